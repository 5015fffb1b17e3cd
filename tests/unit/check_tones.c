/* media/tones, media/cot: tone plans measured by Goertzel (frequency and
 * dBm0 level), the continuity-check transceiver. (The 2100 Hz tone
 * disabler is media/ec_tone, tested in check_ec.c.) */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "media/cot.h"
#include "media/tones.h"
#include "tests/unit/unit.h"

#define LEN_S 6
static int16_t sig[8000 * LEN_S];

/* Level of one frequency in dBm0 after a G.711 round trip. */
static double level_at(const int16_t *x, size_t n, double f, enum g711_law law)
{
	return tone_power_dbm0(law, tone_goertzel(x, n, f));
}

START_TEST(test_plans)
{
	FILE *f = fopen(unit_vector_path("media/tone_plans.txt"), "r");
	char line[256], plan[16], name[16];
	int cases = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned f1, f2, on, off;
		int lvl;
		struct tone_gen g;
		enum g711_law law;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_int_eq(sscanf(line, "%15s %15s %u %u %d %u %u", plan, name, &f1, &f2,
					&lvl, &on, &off),
				 7);
		law = strcmp(plan, "us") ? G711_LAW_A : G711_LAW_U;
		ck_assert_int_eq(tone_gen_start(&g, plan, name, law, INT16_MIN), 0);
		tone_gen_fill(&g, sig, 8000 * LEN_S);
		for (size_t i = 0; i < 8000 * LEN_S; i++)
			sig[i] = g711_law2lin(law, g711_lin2law(law, sig[i]));
		/* Measure over the first on-period (or 1 s if steady). */
		{
			size_t m = on ? on * 8 : 8000;
			double l1 = level_at(sig, m, f1, law);
			double total = tone_power_dbm0(law, tone_mean_square(sig, m));

			ck_assert_msg(fabs(l1 - lvl) <= 0.5, "%s %s f1 %.2f dBm0", plan, name, l1);
			if (f2) {
				double l2 = level_at(sig, m, f2, law);

				ck_assert_msg(fabs(l2 - lvl) <= 0.5, "%s %s f2 %.2f", plan, name,
					      l2);
				/* Two equal tones: 3 dB above each. */
				ck_assert(fabs(total - (lvl + 3.01)) <= 0.5);
			} else {
				ck_assert(fabs(total - lvl) <= 0.5);
			}
			/* 30 Hz below the nominal frequency there is much less. */
			ck_assert(level_at(sig, m, f1 - 30.0, law) < lvl - 10);
		}
		/* Cadence: silence in the off period, tone again after it. */
		if (on) {
			size_t off0 = on * 8, on2 = (on + off) * 8;

			/* (A-law idle decodes to +-8, about -66 dBm0.) */
			ck_assert(tone_power_dbm0(law, tone_mean_square(sig + off0 + 8,
									off * 8 - 16)) < -60);
			if (on2 + 800 <= 8000 * LEN_S) {
				ck_assert(tone_mean_square(sig + off0 - 80, 80) > 0);
				ck_assert(fabs(level_at(sig + on2, 800, f1, law) - lvl) <= 0.5);
			}
		}
		cases++;
	}
	fclose(f);
	ck_assert_int_eq(cases, 8);
	ck_assert_ptr_null(tone_plan_find("us", "howler"));
	ck_assert_ptr_null(tone_plan_find("xx", "busy"));
}
END_TEST

START_TEST(test_level_override)
{
	struct tone_gen g;

	ck_assert_int_eq(tone_gen_start(&g, "itu", "dial", G711_LAW_A, -200), 0);
	tone_gen_fill(&g, sig, 8000);
	ck_assert(fabs(level_at(sig, 8000, 425, G711_LAW_A) + 20.0) <= 0.5);
	tone_gen_stop(&g);
	tone_gen_fill(&g, sig, 80);
	ck_assert(tone_mean_square(sig, 80) == 0);
}
END_TEST

/* Q.724: the originating exchange sends 2000 Hz at -12 dBm0; on a 4-wire
 * circuit it comes back through the far end's loop. */
START_TEST(test_cot_4w_loop)
{
	struct cot c;
	int16_t tx[160], rx[160];
	int on = 0, off = 0;
	unsigned on_at = 0;

	cot_init(&c, G711_LAW_A, -25, 40);
	cot_start(&c, COT_ORIG_4W);
	memset(rx, 0, sizeof(rx));
	for (unsigned t = 0; t < 50; t++) { /* 1 s in 20 ms steps */
		enum cot_event ev;

		memset(tx, 0, sizeof(tx));
		ev = cot_process(&c, rx, tx, 160);
		if (t == 0) {
			ck_assert(fabs(level_at(tx, 160, 2000, G711_LAW_A) + 12) <= 0.5);
		}
		if (ev == COT_EV_TONE_ON && !on++)
			on_at = t;
		off += ev == COT_EV_TONE_OFF;
		/* The loop: 20 ms later, 6 dB down, through A-law. */
		for (int i = 0; i < 160; i++)
			rx[i] = g711_alaw_decode(g711_alaw_encode((int16_t)(tx[i] / 2)));
	}
	ck_assert_int_eq(on, 1);
	ck_assert_int_eq(off, 0);
	ck_assert_str_eq(cot_event_name(COT_EV_TONE_ON), "tone-on");
	ck_assert_str_eq(cot_mode_name(c.mode), "originate-4w");
	/* One packet of loop delay plus 40-60 ms recognition. */
	ck_assert_uint_le(on_at, 5);
	ck_assert(cot_tone_present(&c));
	/* The loop opens: tone off reported. */
	memset(rx, 0, sizeof(rx));
	for (unsigned t = 0; t < 5; t++)
		off += cot_process(&c, rx, tx, 160) == COT_EV_TONE_OFF;
	ck_assert_int_eq(off, 1);
}
END_TEST

/* 2-wire: the far end transceiver answers 2000 with 1780 Hz; the
 * originator expecting 1780 recognises it, and a plain 2000 Hz loop is
 * not taken for the transceiver's answer. */
START_TEST(test_cot_2w_transceiver)
{
	struct cot orig, far;
	int16_t a2b[160], b2a[160];
	int orig_on = 0, far_on = 0;

	cot_init(&orig, G711_LAW_U, -25, 40);
	cot_init(&far, G711_LAW_U, -25, 40);
	cot_start(&orig, COT_ORIG_2W);
	cot_start(&far, COT_TRANSCEIVE);
	memset(b2a, 0, sizeof(b2a));
	for (unsigned t = 0; t < 50; t++) {
		memset(a2b, 0, sizeof(a2b));
		orig_on += cot_process(&orig, b2a, a2b, 160) == COT_EV_TONE_ON;
		memset(b2a, 0, sizeof(b2a));
		far_on += cot_process(&far, a2b, b2a, 160) == COT_EV_TONE_ON;
		if (t == 10)
			ck_assert(fabs(level_at(b2a, 160, 1780, G711_LAW_U) + 12) <= 0.5);
	}
	ck_assert_int_eq(far_on, 1);
	ck_assert_int_eq(orig_on, 1);

	/* Expecting 1780 but the 2000 Hz comes straight back: no detect. */
	cot_start(&orig, COT_ORIG_2W);
	memset(b2a, 0, sizeof(b2a));
	orig_on = 0;
	for (unsigned t = 0; t < 50; t++) {
		memset(a2b, 0, sizeof(a2b));
		orig_on += cot_process(&orig, b2a, a2b, 160) == COT_EV_TONE_ON;
		memcpy(b2a, a2b, sizeof(b2a));
	}
	ck_assert_int_eq(orig_on, 0);
	/* Too weak a return (-30 dBm0 against a -25 threshold). */
	cot_start(&orig, COT_ORIG_4W);
	orig_on = 0;
	for (unsigned t = 0; t < 50; t++) {
		memset(a2b, 0, sizeof(a2b));
		orig_on += cot_process(&orig, b2a, a2b, 160) == COT_EV_TONE_ON;
		for (int i = 0; i < 160; i++)
			b2a[i] = (int16_t)(a2b[i] * 0.178); /* -15 dB */
	}
	ck_assert_int_eq(orig_on, 0);
}
END_TEST

Suite *tones_suite(void)
{
	Suite *s = suite_create("tones");
	TCase *tc = unit_tcase("tones");
	TCase *tcot = unit_tcase("cot");

	tcase_add_test(tc, test_plans);
	tcase_add_test(tc, test_level_override);
	tcase_add_test(tcot, test_cot_4w_loop);
	tcase_add_test(tcot, test_cot_2w_transceiver);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tcot);
	return s;
}
