/* media/tones, media/ans_det, media/cot: tone plans measured by Goertzel
 * (frequency and dBm0 level), the 2100 Hz answer-tone detector with and
 * without phase reversals, the continuity-check transceiver. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "media/cot.h"
#include "media/ans_det.h"
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

/* f Hz at lvl dBm0 for ms, phase reversed every rev_ms (0: never). */
static size_t ans_signal(double f, double lvl, unsigned ms, unsigned rev_ms)
{
	double a = tone_dbm0_amp(G711_LAW_A, lvl);
	size_t n = ms * 8;

	for (size_t i = 0; i < n; i++) {
		double ph = 2 * M_PI * f * i / 8000.0;

		if (rev_ms && (i / (rev_ms * 8)) % 2)
			ph += M_PI;
		sig[i] = g711_alaw_decode(g711_alaw_encode((int16_t)lrint(a * sin(ph))));
	}
	return n;
}

struct ans_result {
	int ans, pr, end;
	unsigned ans_ms, pr_ms;
};

static struct ans_result run_ans(size_t n)
{
	struct ans_det d;
	struct ans_result r = {0};
	static const int16_t zero[800];

	ans_det_init(&d, G711_LAW_A, -31, 400);
	for (size_t off = 0; off < n; off += 160) {
		enum ans_event ev = ans_det_rx(&d, sig + off, 160);

		if (ev == ANS_EV_ANS && !r.ans++)
			r.ans_ms = (unsigned)((off + 160) / 8);
		if (ev == ANS_EV_ANS_PR && !r.pr++)
			r.pr_ms = (unsigned)((off + 160) / 8);
	}
	if (ans_det_rx(&d, zero, 800) == ANS_EV_END)
		r.end++;
	return r;
}

START_TEST(test_ans_plain)
{
	struct ans_result r = run_ans(ans_signal(2100, -12, 3300, 0));

	ck_assert_int_eq(r.ans, 1);
	ck_assert_int_eq(r.pr, 0);
	ck_assert_int_eq(r.end, 1);
	ck_assert_str_eq(ans_event_name(ANS_EV_ANS_PR), "/ANS");
	ck_assert_uint_ge(r.ans_ms, 400);
	ck_assert_uint_le(r.ans_ms, 500);
}
END_TEST

START_TEST(test_ans_reversals)
{
	/* V.25 ANS with reversals every 450 ms; also at the tolerance
	 * limits (425, 475) and at 15 Hz off, -30 dBm0. */
	static const struct {
		double f, lvl;
		unsigned rev;
	} c[] = {{2100, -12, 450},
		 {2100, -12, 425},
		 {2100, -12, 475},
		 {2115, -20, 450},
		 {2085, -30, 450}};

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ans_result r = run_ans(ans_signal(c[i].f, c[i].lvl, 3300, c[i].rev));

		ck_assert_msg(r.ans == 1 && r.pr == 1, "case %u: ans %d pr %d", i, r.ans, r.pr);
		/* Reported at the first reversal (450 ms) or soon after. */
		ck_assert_uint_le(r.pr_ms, c[i].rev + 100);
	}
}
END_TEST

START_TEST(test_ans_rejects)
{
	struct ans_result r;

	/* Reversals at the wrong rhythm are not /ANS. */
	r = run_ans(ans_signal(2100, -12, 3300, 300));
	ck_assert_int_eq(r.pr, 0);
	/* Outside 2100 +-15 Hz, the COT tone, a busy-tone frequency. */
	r = run_ans(ans_signal(2130, -12, 2000, 0));
	ck_assert_int_eq(r.ans, 0);
	r = run_ans(ans_signal(2070, -12, 2000, 0));
	ck_assert_int_eq(r.ans, 0);
	r = run_ans(ans_signal(2000, -12, 2000, 0));
	ck_assert_int_eq(r.ans, 0);
	r = run_ans(ans_signal(480, -12, 2000, 0));
	ck_assert_int_eq(r.ans, 0);
	/* Too weak. */
	r = run_ans(ans_signal(2100, -40, 2000, 0));
	ck_assert_int_eq(r.ans, 0);
	/* Too short. */
	r = run_ans(ans_signal(2100, -12, 300, 0));
	ck_assert_int_eq(r.ans, 0);
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
	TCase *ta = unit_tcase("answer-tone");
	TCase *tcot = unit_tcase("cot");

	tcase_add_test(tc, test_plans);
	tcase_add_test(tc, test_level_override);
	tcase_add_test(ta, test_ans_plain);
	tcase_add_test(ta, test_ans_reversals);
	tcase_add_test(ta, test_ans_rejects);
	tcase_add_test(tcot, test_cot_4w_loop);
	tcase_add_test(tcot, test_cot_2w_transceiver);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, ta);
	suite_add_tcase(s, tcot);
	return s;
}
