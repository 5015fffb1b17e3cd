/* media/transcode, media/resample: PCMA/PCMU/G.722/L16 framing and audio
 * quality through the 8 <-> 16 kHz half-band filters. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "media/resample.h"
#include "media/tones.h"
#include "media/transcode.h"
#include "tests/unit/unit.h"

static void tone_tdm(enum g711_law law, double f, double dbm0, uint8_t *out, size_t n, size_t start)
{
	double a = tone_dbm0_amp(law, dbm0);

	for (size_t i = 0; i < n; i++)
		out[i] = g711_lin2law(law,
				      (int16_t)lrint(a * sin(2 * M_PI * f * (start + i) / 8000)));
}

START_TEST(test_framing)
{
	struct xc *xc = xc_alloc(unit_ctx, G711_LAW_A, XC_PCMU, 20);
	uint8_t tdm[240], pay[480], back[240];

	ck_assert_ptr_nonnull(xc);
	ck_assert_uint_eq(xc_samples(xc), 160);
	ck_assert_uint_eq(xc_payload_len(xc), 160);
	ck_assert_uint_eq(xc_payload_type(xc), 0);
	for (int i = 0; i < 160; i++)
		tdm[i] = (uint8_t)i;
	ck_assert_int_eq(xc_encode(xc, tdm, pay, sizeof(pay)), 160);
	for (int i = 0; i < 160; i++)
		ck_assert_uint_eq(pay[i], g711_alaw_to_ulaw((uint8_t)i));
	/* A 30 ms packet from the far end is accepted whatever our ptime. */
	ck_assert_int_eq(xc_decode(xc, pay, 240, back, sizeof(back)), 240);
	ck_assert_int_eq(xc_encode(xc, tdm, pay, 100), -ENOSPC);
	ck_assert_int_eq(xc_set(xc, XC_L16, 10), 0);
	ck_assert_uint_eq(xc_payload_len(xc), 160);
	ck_assert_int_eq(xc_encode(xc, tdm, pay, sizeof(pay)), 160);
	/* Network byte order. */
	ck_assert_int_eq((int16_t)(pay[2] << 8 | pay[3]), g711_alaw_decode(1));
	ck_assert_int_eq(xc_decode(xc, pay, 160, back, sizeof(back)), 80);
	ck_assert_mem_eq(back, tdm, 80);
	ck_assert_int_eq(xc_decode(xc, pay, 7, back, sizeof(back)), -EBADMSG);
	ck_assert_int_eq(xc_set(xc, XC_PCMA, 25), -EINVAL);
	ck_assert_ptr_null(xc_alloc(unit_ctx, G711_LAW_A, XC_PCMA, 40));
	ck_assert_int_eq(xc_set(xc, XC_PCMA, 30), 0);
	ck_assert_uint_eq(xc_samples(xc), 240);
	ck_assert_int_eq(xc_encode(xc, tdm, pay, sizeof(pay)), 240);
	ck_assert_mem_eq(pay, tdm, 160);
	xc_free(xc);
}
END_TEST

/* The half-band pair: a 1 kHz tone goes up and back down with its level
 * kept, and upsampling it leaves little at its 7 kHz image. */
START_TEST(test_resampler)
{
	struct rs_coef c;
	struct rs_up up;
	struct rs_down dn;
	static int16_t in[1600], hi[3200], out[1600];
	double e_in, e_out, img;

	rs_coef_init(&c);
	rs_up_init(&up);
	rs_down_init(&dn);
	for (int i = 0; i < 1600; i++)
		in[i] = (int16_t)lrint(10000 * sin(2 * M_PI * 1000 * i / 8000.0));
	rs_up(&up, &c, in, 1600, hi);
	rs_down(&dn, &c, hi, 1600, out);
	e_in = tone_mean_square(in + 400, 1000);
	e_out = tone_mean_square(out + 400, 1000);
	ck_assert(fabs(10 * log10(e_out / e_in)) < 0.2);
	/* At 16 kHz: 1 kHz present, its 7 kHz image suppressed. Goertzel at
	 * 16 kHz rate = frequency scaled by 1/2 on the 8 kHz helper. */
	img = tone_goertzel(hi + 800, 2400, 7000 / 2.0);
	ck_assert(10 * log10(img / tone_goertzel(hi + 800, 2400, 1000 / 2.0)) < -50);
	/* Top of the telephone band: 3.3 kHz flat, its 4.7 kHz image down. */
	rs_up_init(&up);
	for (int i = 0; i < 1600; i++)
		in[i] = (int16_t)lrint(10000 * sin(2 * M_PI * 3300 * i / 8000.0));
	rs_up(&up, &c, in, 1600, hi);
	e_in = tone_goertzel(in + 200, 1200, 3300);
	ck_assert(fabs(10 * log10(tone_goertzel(hi + 400, 2400, 3300 / 2.0) / e_in)) < 0.1);
	ck_assert(10 * log10(tone_goertzel(hi + 400, 2400, 4700 / 2.0) / e_in) < -55);
	/* Decimating: a 5 kHz tone at 16 kHz must not alias to 3 kHz. */
	rs_down_init(&dn);
	for (int i = 0; i < 3200; i++)
		hi[i] = (int16_t)lrint(10000 * sin(2 * M_PI * 5000 * i / 16000.0));
	rs_down(&dn, &c, hi, 1600, out);
	ck_assert(tone_power_dbm0(G711_LAW_A, tone_goertzel(out + 200, 1200, 3000)) <
		  tone_power_dbm0(G711_LAW_A, 1e8 / 2) - 60);
}
END_TEST

/* G.722 round trip from and to A-law: a 1004 Hz test tone keeps its
 * frequency and level (within 0.5 dB) through resampling and ADPCM. */
START_TEST(test_g722_round_trip)
{
	struct xc *a = xc_alloc(unit_ctx, G711_LAW_A, XC_G722, 20);
	struct xc *b = xc_alloc(unit_ctx, G711_LAW_A, XC_G722, 20);
	static uint8_t tdm[8000], back[8000];
	static int16_t lin[8000];
	uint8_t pay[240];

	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(xc_payload_type(a), 9);
	tone_tdm(G711_LAW_A, 1004, -10, tdm, 8000, 0);
	for (int off = 0; off < 8000; off += 160) {
		ck_assert_int_eq(xc_encode(a, tdm + off, pay, sizeof(pay)), 160);
		ck_assert_int_eq(xc_decode(b, pay, 160, back + off, 160), 160);
	}
	g711_decode_buf(G711_LAW_A, back, lin, 8000);
	/* Skip the codec start-up; measure 0.5 s. */
	ck_assert(fabs(tone_power_dbm0(G711_LAW_A, tone_goertzel(lin + 2000, 4000, 1004)) + 10) <
		  0.5);
	/* Most of the power is the tone (distortion well down). */
	ck_assert(tone_goertzel(lin + 2000, 4000, 1004) >
		  0.95 * tone_mean_square(lin + 2000, 4000));
	/* Switching codec mid-call needs no allocation and works. */
	ck_assert_int_eq(xc_set(a, XC_PCMA, 10), 0);
	ck_assert_int_eq(xc_encode(a, tdm, pay, sizeof(pay)), 80);
	xc_free(a);
	xc_free(b);
}
END_TEST

Suite *transcode_suite(void)
{
	Suite *s = suite_create("transcode");
	TCase *tc = unit_tcase("transcode");

	tcase_add_test(tc, test_framing);
	tcase_add_test(tc, test_resampler);
	tcase_add_test(tc, test_g722_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
