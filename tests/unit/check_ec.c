/* media/ec: echo canceller, measured on the bench (media/ec_bench.c).
 *
 * Thresholds sit a few dB under what tandem's canceller measures on the
 * same deterministic signals (docs/echo-canceller.md), so a canceller that
 * does not converge, diverges under double talk or distorts the near end
 * fails. Runs are 4-6 s of signal each: a few ms of CPU per run. */
#include <math.h>
#include <string.h>

#include "media/ec.h"
#include "media/ec_bench.h"
#include "tests/unit/unit.h"

static void bench(struct ec_bench_cfg *c, struct ec_bench_result *r)
{
	ck_assert_int_eq(ec_bench_run(unit_ctx, c, r), 0);
}

struct conv_case {
	enum ec_bench_signal sig;
	unsigned delay_ms;
	float erl_db;
	float min_1s, min_steady;
};

/* measured (seed 1): css 0/6: 34.8/40.8, css 50/12: 19+/39, speech 0/12:
 * 22.8/31.2, speech 100/6: 10.9/32.9, noise 50/20 */
static const struct conv_case conv_cases[] = {
	{EC_BENCH_CSS, 0, 6.0f, 28.0f, 34.0f},	   {EC_BENCH_CSS, 50, 12.0f, 12.0f, 30.0f},
	{EC_BENCH_SPEECH, 0, 12.0f, 18.0f, 27.0f}, {EC_BENCH_SPEECH, 100, 6.0f, 6.0f, 27.0f},
	{EC_BENCH_NOISE, 50, 20.0f, 15.0f, 30.0f},
};

START_TEST(test_converges)
{
	const struct conv_case *k = &conv_cases[_i];
	struct ec_bench_cfg c = {
		.signal = k->sig, .delay_ms = k->delay_ms, .erl_db = k->erl_db, .seed = 1};
	struct ec_bench_result r;

	bench(&c, &r);
	ck_assert_msg(r.erle_db_1s >= k->min_1s, "ERLE at 1 s %.1f dB < %.1f", r.erle_db_1s,
		      k->min_1s);
	ck_assert_msg(r.erle_db_steady >= k->min_steady, "steady ERLE %.1f dB < %.1f",
		      r.erle_db_steady, k->min_steady);
	ck_assert_int_ge(r.ms_to_20db, 0);
	/* the canceller's own metrics agree with the bench */
	ck_assert_float_ge(r.metrics.erle_db, 15.0f);
	ck_assert_float_lt(fabsf(r.metrics.erl_db - k->erl_db), 3.0f);
	if (r.metrics.erle_db >= 21.0f)
		ck_assert_int_gt(r.metrics.convergence_ms, 0);
}
END_TEST

/* Disabled by the caller (ISUP: an echo control device is already in the
 * connection): rx passes untouched. */
START_TEST(test_disable_and_short_run)
{
	struct ec_bench_cfg c = {.signal = EC_BENCH_CSS, .erl_db = 6.0f, .seed = 1};
	struct ec_bench_result r;
	struct ec *ec;
	struct ec_params p = {0};

	/* a disabled canceller passes rx through: ERLE stays near 0 dB */
	ec = ec_alloc(unit_ctx, &p);
	ck_assert_ptr_nonnull(ec);
	ec_enable(ec, false);
	ck_assert_int_eq(ec_state(ec), EC_S_DISABLED);
	{
		int16_t tx[80], rx[80], out[80];
		unsigned i;

		for (i = 0; i < 80; i++) {
			tx[i] = (int16_t)(i * 300 - 12000);
			rx[i] = (int16_t)(i * 7);
		}
		ec_process(ec, tx, rx, out, 80);
		ck_assert_mem_eq(out, rx, sizeof(rx));
	}
	ec_free(ec);
	/* a short run: 20 dB reached early (measured 130 ms) */
	c.seconds = 2.0f;
	bench(&c, &r);
	ck_assert_int_ge(r.ms_to_20db, 50);
	ck_assert_int_le(r.ms_to_20db, 500);
}
END_TEST

struct dt_case {
	enum ec_bench_signal sig;
	float erl_db;
	float min_after, min_sdr;
};

/* measured: css/6: after 18.0, SDR 22.6; speech/6: 10.0, 14.4; css/20:
 * 17.5, 36.8; speech/20: 24.4, 49.3 */
static const struct dt_case dt_cases[] = {
	{EC_BENCH_CSS, 6.0f, 12.0f, 17.0f},
	{EC_BENCH_SPEECH, 6.0f, 3.0f, 9.0f},
	{EC_BENCH_CSS, 20.0f, 12.0f, 30.0f},
	{EC_BENCH_SPEECH, 20.0f, 18.0f, 40.0f},
};

START_TEST(test_double_talk)
{
	const struct dt_case *k = &dt_cases[_i];
	struct ec_bench_cfg c = {.signal = k->sig,
				 .delay_ms = 60,
				 .erl_db = k->erl_db,
				 .double_talk = true,
				 .seed = 1};
	struct ec_bench_result r;

	bench(&c, &r);
	/* no divergence: the echo stays cancelled right after double talk */
	ck_assert_msg(r.erle_db_after_dt >= k->min_after, "ERLE after double talk %.1f dB",
		      r.erle_db_after_dt);
	ck_assert_msg(r.dt_sdr_db >= k->min_sdr, "near end SDR %.1f dB", r.dt_sdr_db);
	ck_assert_float_le(r.dt_distortion_db, 3.0f);
	ck_assert_float_gt(r.metrics.double_talk_share, 0.1f);
}
END_TEST

/* 2100 Hz at -12 dBm0 with phase reversals every 450 ms (V.25 ANSam
 * without modulation), optionally with a frequency offset. */
static void answer_tone(int16_t *x, size_t n, double f, bool reversals)
{
	size_t i;
	double ph = 0.0;

	for (i = 0; i < n; i++) {
		double rev = reversals && (i / 3600) % 2 ? M_PI : 0.0;

		x[i] = (int16_t)lrint(16055.0 * 1.4142 * 0.251 * sin(ph + rev));
		ph += 2.0 * M_PI * f / 8000.0;
	}
}

static int tone_run(double f, bool reversals, bool on_rx, size_t *disabled_at)
{
	struct ec_params p = {.tone_disable = true};
	struct ec *ec = ec_alloc(unit_ctx, &p);
	static int16_t tone[24000], quiet[24000], out[80];
	size_t i;
	int state;

	ck_assert_ptr_nonnull(ec);
	answer_tone(tone, 24000, f, reversals);
	memset(quiet, 0, sizeof(quiet));
	*disabled_at = 0;
	for (i = 0; i < 24000; i += 80) {
		ec_process(ec, on_rx ? quiet + i : tone + i, on_rx ? tone + i : quiet + i, out, 80);
		if (!*disabled_at && ec_state(ec) == EC_S_TONE_DISABLED)
			*disabled_at = i + 80;
	}
	state = ec_state(ec);
	if (state == EC_S_TONE_DISABLED) {
		/* disabled: rx passes untouched; ec_reset (call end) re-enables */
		ec_process(ec, tone, tone + 80, out, 80);
		ck_assert_mem_eq(out, tone + 80, sizeof(out));
		ec_reset(ec);
		ck_assert_int_eq(ec_state(ec), EC_S_ACTIVE);
	}
	ec_free(ec);
	return state;
}

START_TEST(test_tone_disable)
{
	size_t at;

	/* G.165: tone with reversals disables, within about 1 s */
	ck_assert_int_eq(tone_run(2100.0, true, false, &at), EC_S_TONE_DISABLED);
	ck_assert_uint_le(at, 8000);
	ck_assert_int_eq(tone_run(2100.0, true, true, &at), EC_S_TONE_DISABLED);
	ck_assert_int_eq(tone_run(2115.0, true, true, &at), EC_S_TONE_DISABLED);
	ck_assert_int_eq(tone_run(2085.0, true, false, &at), EC_S_TONE_DISABLED);
	/* the same tone without reversals (fax CED) must not disable */
	ck_assert_int_eq(tone_run(2100.0, false, false, &at), EC_S_ACTIVE);
	ck_assert_int_eq(tone_run(2115.0, false, true, &at), EC_S_ACTIVE);
	/* reversals on another frequency are not the answer tone */
	ck_assert_int_eq(tone_run(1800.0, true, true, &at), EC_S_ACTIVE);
}
END_TEST

/* NLP with comfort noise: the residual under far-end single talk is
 * replaced by noise at the background level, so the measured return loss
 * grows; near-end speech under double talk still passes. */
START_TEST(test_nlp)
{
	struct ec_bench_cfg c = {
		.signal = EC_BENCH_SPEECH, .delay_ms = 50, .erl_db = 12.0f, .seed = 1};
	struct ec_bench_result off, on;

	bench(&c, &off);
	c.nlp = true;
	bench(&c, &on);
	ck_assert_float_ge(on.erle_db_steady, off.erle_db_steady + 3.0f);
	c.double_talk = true;
	c.erl_db = 20.0f;
	bench(&c, &on);
	ck_assert_float_le(on.dt_distortion_db, 3.0f);
}
END_TEST

/* Sample-by-sample: the block length the media plane uses must not change
 * a single output sample. */
START_TEST(test_block_size_invariance)
{
	struct ec_params p = {.tail_ms = 64};
	struct ec *a = ec_alloc(unit_ctx, &p), *b = ec_alloc(unit_ctx, &p);
	static int16_t tx[8000], rx[8000], oa[8000], ob[8000];
	uint32_t r = 12345;
	size_t i, n;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	for (i = 0; i < 8000; i++) {
		r = r * 1103515245u + 12345u;
		tx[i] = (int16_t)((int32_t)(r >> 16) - 32768) / 4;
		rx[i] = (int16_t)(i >= 81 ? tx[i - 80] / 3 - tx[i - 81] / 5 : 0);
	}
	ec_process(a, tx, rx, oa, 8000);
	for (i = 0; i < 8000; i += n) {
		n = 1 + i % 13;
		if (n > 8000 - i)
			n = 8000 - i;
		ec_process(b, tx + i, rx + i, ob + i, n);
	}
	ck_assert_mem_eq(oa, ob, sizeof(oa));
	ec_free(a);
	ec_free(b);
}
END_TEST

START_TEST(test_state_and_registry)
{
	struct ec_params p = {.tail_ms = 128};
	struct ec *ec;

	ck_assert_ptr_eq(ec_find("tandem"), &ec_nlms_ops);
	ck_assert_ptr_eq(ec_find("spandsp"), &ec_spandsp_ops);
	ck_assert_ptr_eq(ec_find("speex"), &ec_speex_ops);
	ck_assert_ptr_null(ec_find("nope"));
	ec = ec_alloc(unit_ctx, &p);
	ck_assert_ptr_nonnull(ec);
	ck_assert_uint_gt(ec_state_bytes(ec), 8192);
	ck_assert_uint_le(ec_state_bytes(ec), 16384);
	ck_assert_uint_le(talloc_total_size(ec), 16384);
	ec_free(ec);
	p.tail_ms = 16;
	ck_assert_ptr_null(ec_alloc(unit_ctx, &p));
	p.tail_ms = 256;
	ck_assert_ptr_null(ec_alloc(unit_ctx, &p));
	p.tail_ms = 32;
	p.ops = &ec_speex_ops;
	ec = ec_alloc(unit_ctx, &p);
	ck_assert_ptr_nonnull(ec);
	ec_free(ec);
}
END_TEST

Suite *ec_suite(void)
{
	Suite *s = suite_create("ec");
	TCase *tc = unit_tcase("bench");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_converges, 0, sizeof(conv_cases) / sizeof(conv_cases[0]));
	tcase_add_test(tc, test_disable_and_short_run);
	tcase_add_test(tc, test_nlp);
	tcase_add_test(tc, test_block_size_invariance);
	tcase_add_loop_test(tc, test_double_talk, 0, sizeof(dt_cases) / sizeof(dt_cases[0]));
	suite_add_tcase(s, tc);
	tc = unit_tcase("control");
	tcase_add_test(tc, test_tone_disable);
	tcase_add_test(tc, test_state_and_registry);
	suite_add_tcase(s, tc);
	return s;
}
