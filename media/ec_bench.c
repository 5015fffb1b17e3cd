/* Echo canceller test bench. See ec_bench.h. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include <stdint.h>

#include <talloc.h>

/* the G.168 Annex D echo path models, as data (spandsp's header defines the
 * arrays: included in this one file only) */
#include <spandsp/g168models.h>

#include "media/ec_bench.h"

#define FS	 8000.0
#define DISP_MAX 128 /* dispersive part of the echo path, at most 16 ms */

/* 0 dBm0 as rms of 16-bit linear samples (G.711: +3.14 dBm0 full-scale sine) */
static double dbm0_rms(double db)
{
	return 16055.0 * pow(10.0, db / 20.0);
}

struct rng {
	uint64_t s;
	bool have;
	double spare;
};

static uint64_t rng_u64(struct rng *r)
{
	/* splitmix64 */
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double rng_uni(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double rng_gauss(struct rng *r)
{
	double u, v;

	if (r->have) {
		r->have = false;
		return r->spare;
	}
	u = rng_uni(r) + 1e-300;
	v = rng_uni(r);
	r->spare = sqrt(-2.0 * log(u)) * sin(2.0 * M_PI * v);
	r->have = true;
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* Biquad, RBJ audio EQ cookbook forms. */
struct bq {
	double b0, b1, b2, a1, a2, z1, z2;
};

enum bq_type { BQ_LP, BQ_HP, BQ_BP };

static void bq_init(struct bq *f, enum bq_type t, double fc, double q)
{
	double w = 2.0 * M_PI * fc / FS, cw = cos(w), al = sin(w) / (2.0 * q), a0 = 1.0 + al;

	memset(f, 0, sizeof(*f));
	switch (t) {
	case BQ_LP:
		f->b0 = f->b2 = (1.0 - cw) / 2.0;
		f->b1 = 1.0 - cw;
		break;
	case BQ_HP:
		f->b0 = f->b2 = (1.0 + cw) / 2.0;
		f->b1 = -(1.0 + cw);
		break;
	case BQ_BP: /* constant 0 dB peak gain */
		f->b0 = al;
		f->b1 = 0.0;
		f->b2 = -al;
		break;
	}
	f->b0 /= a0, f->b1 /= a0, f->b2 /= a0;
	f->a1 = -2.0 * cw / a0;
	f->a2 = (1.0 - al) / a0;
}

static double bq_run(struct bq *f, double x)
{
	double y = f->b0 * x + f->z1;

	f->z1 = f->b1 * x - f->a1 * y + f->z2;
	f->z2 = f->b2 * x - f->a2 * y;
	return y;
}

/* --- far-end and near-end sources (float, unit-free; scaled later) --- */

/* Composite source signal in the manner of G.168 (CSS, after ITU-T P.501):
 * a voiced part (48.62 ms: glottal pulse train at a pitch that varies from
 * cycle to cycle, through three formant resonators), an unvoiced part
 * (200 ms of speech-spectrum noise) and a pause (101.38 ms); the sign flips
 * every other cycle as in G.168. */
static void gen_css(struct rng *r, float *x, uint8_t *act, size_t n)
{
	const size_t voiced = 389, unvoiced = 1600, pause = 811; /* 350 ms cycle */
	struct bq f1, f2, f3, hp, sh1, sh2;
	size_t i = 0, k;
	unsigned cycle = 0;

	bq_init(&hp, BQ_HP, 100.0, 0.7);
	bq_init(&sh1, BQ_BP, 500.0, 0.5);
	bq_init(&sh2, BQ_LP, 2500.0, 0.6);
	while (i < n) {
		double f0 = 100.0 + 120.0 * rng_uni(r), sign = (cycle & 1) ? -1.0 : 1.0, ph = 0.0;

		bq_init(&f1, BQ_BP, 500.0 + 300.0 * rng_uni(r), 5.0);
		bq_init(&f2, BQ_BP, 1100.0 + 700.0 * rng_uni(r), 8.0);
		bq_init(&f3, BQ_BP, 2400.0 + 400.0 * rng_uni(r), 12.0);
		for (k = 0; k < voiced && i < n; k++, i++) {
			double pulse = 0.0, v;

			ph += f0 / FS;
			if (ph >= 1.0) {
				ph -= 1.0;
				pulse = 1.0;
			}
			pulse = bq_run(&hp, pulse);
			v = 1.0 * bq_run(&f1, pulse) + 0.6 * bq_run(&f2, pulse) +
			    0.3 * bq_run(&f3, pulse);
			x[i] = (float)(sign * 6.0 * v);
			act[i] = 1;
		}
		for (k = 0; k < unvoiced && i < n; k++, i++) {
			double v = bq_run(&sh2, bq_run(&sh1, rng_gauss(r)));

			x[i] = (float)(sign * 1.2 * v);
			act[i] = 1;
		}
		for (k = 0; k < pause && i < n; k++, i++) {
			x[i] = 0.0f;
			act[i] = 0;
		}
		cycle++;
	}
}

/* Speech-like signal: Gaussian noise shaped by a long-term average speech
 * spectrum (peak near 500 Hz, falling about 9 dB/octave above 1 kHz, little
 * below 150 Hz; cf. ITU-T P.50), amplitude-modulated by syllables (120 to
 * 300 ms, raised-sine envelope, random strength) grouped into talk spurts
 * (0.6 to 2 s) separated by pauses (0.2 to 0.8 s). */
static void gen_speech(struct rng *r, float *x, uint8_t *act, size_t n)
{
	struct bq hp, pk, lp1, lp2;
	size_t i = 0, k;

	bq_init(&hp, BQ_HP, 150.0, 0.7);
	bq_init(&pk, BQ_BP, 500.0, 0.6);
	bq_init(&lp1, BQ_LP, 1000.0, 0.6);
	bq_init(&lp2, BQ_LP, 3200.0, 0.7);
	while (i < n) {
		size_t spurt = (size_t)((0.6 + 1.4 * rng_uni(r)) * FS);
		size_t pause = (size_t)((0.2 + 0.6 * rng_uni(r)) * FS);
		size_t end = i + spurt;

		while (i < end && i < n) {
			size_t syl = (size_t)((0.12 + 0.18 * rng_uni(r)) * FS);
			double amp = 0.4 + 0.6 * rng_uni(r);

			for (k = 0; k < syl && i < n; k++, i++) {
				double env = sin(M_PI * (double)k / (double)syl);
				double v = rng_gauss(r);

				v = bq_run(&hp, v);
				v = 0.6 * bq_run(&pk, v) + 0.4 * v;
				v = bq_run(&lp2, bq_run(&lp1, v));
				x[i] = (float)(3.0 * amp * env * env * v);
				act[i] = env * env * amp > 0.1;
			}
		}
		for (k = 0; k < pause && i < n; k++, i++) {
			x[i] = 0.0f;
			act[i] = 0;
		}
	}
}

static void gen_noise(struct rng *r, float *x, uint8_t *act, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		x[i] = (float)rng_gauss(r);
		act[i] = 1;
	}
}

/* Scale so that the active samples have the given rms. */
static void set_level(float *x, const uint8_t *act, size_t n, double rms)
{
	double p = 0.0, g;
	size_t i, na = 0;

	for (i = 0; i < n; i++)
		if (act[i]) {
			p += (double)x[i] * x[i];
			na++;
		}
	if (!na || p <= 0.0)
		return;
	g = rms / sqrt(p / (double)na);
	for (i = 0; i < n; i++)
		x[i] = (float)(x[i] * g);
}

/* --- echo path models --- */

/* Dispersive hybrid responses of the kind G.168 Annex D tabulates (models
 * built from measured hybrids: a band-limited main lobe a few taps wide,
 * then a decaying, ringing tail of several ms caused by the line's
 * transformer high-pass and impedance mismatch). These are tandem's own
 * synthetic responses with that shape: an impulse through a high-pass (the
 * transformer), a low-pass (the codec filter) and a mismatch resonance,
 * truncated with a raised-cosine taper. Returns the number of taps. */
static unsigned echo_path(unsigned model, double *h)
{
	static const struct {
		double hp, hpq, lp, lpq, res, resq, resg, sign;
		unsigned len;
	} m[EC_BENCH_PATHS] = {
		{250.0, 0.7, 3400.0, 0.7, 0.0, 1.0, 0.0, 1.0, 64},
		{150.0, 0.8, 3300.0, 0.9, 1800.0, 2.0, 0.5, 1.0, 96},
		{300.0, 1.3, 3200.0, 0.8, 600.0, 3.0, 0.4, -1.0, 128},
		{200.0, 0.7, 3000.0, 1.1, 2600.0, 4.0, 0.6, -1.0, 80},
	};
	struct bq hp, lp, res;
	unsigned i, len, taper;

	model = model ? model - 1 : 0;
	len = m[model].len;
	taper = len / 4;
	bq_init(&hp, BQ_HP, m[model].hp, m[model].hpq);
	bq_init(&lp, BQ_LP, m[model].lp, m[model].lpq);
	bq_init(&res, BQ_BP, m[model].res > 0.0 ? m[model].res : 1000.0, m[model].resq);
	for (i = 0; i < len; i++) {
		double v = bq_run(&lp, bq_run(&hp, i == 0 ? 1.0 : 0.0));

		v += m[model].resg * bq_run(&res, v);
		if (i >= len - taper)
			v *= 0.5 * (1.0 + cos(M_PI * (double)(i - (len - taper)) / (double)taper));
		h[i] = m[model].sign * v;
	}
	return len;
}

/* G.168 Annex D model D.<model> (2..9), scaled to unit energy (the bench
 * sets the ERL itself). Returns the number of taps, 0 for no such model. */
static unsigned g168_path(unsigned model, double *h)
{
	static const struct {
		const int32_t *c;
		unsigned n;
	} m[] = {
		{line_model_d2_coeffs, sizeof(line_model_d2_coeffs) / sizeof(int32_t)},
		{line_model_d3_coeffs, sizeof(line_model_d3_coeffs) / sizeof(int32_t)},
		{line_model_d4_coeffs, sizeof(line_model_d4_coeffs) / sizeof(int32_t)},
		{line_model_d5_coeffs, sizeof(line_model_d5_coeffs) / sizeof(int32_t)},
		{line_model_d6_coeffs, sizeof(line_model_d6_coeffs) / sizeof(int32_t)},
		{line_model_d7_coeffs, sizeof(line_model_d7_coeffs) / sizeof(int32_t)},
		{line_model_d8_coeffs, sizeof(line_model_d8_coeffs) / sizeof(int32_t)},
		{line_model_d9_coeffs, sizeof(line_model_d9_coeffs) / sizeof(int32_t)},
	};
	double e = 0.0;
	unsigned i, k;

	if (model < EC_BENCH_G168_FIRST || model > EC_BENCH_G168_LAST)
		return 0;
	k = model - EC_BENCH_G168_FIRST;
	if (m[k].n > DISP_MAX)
		return 0;
	for (i = 0; i < m[k].n; i++)
		e += (double)m[k].c[i] * m[k].c[i];
	for (i = 0; i < m[k].n; i++)
		h[i] = (double)m[k].c[i] / sqrt(e);
	return m[k].n;
}

static int16_t q16(double v)
{
	v = nearbyint(v);
	if (v > 32767.0)
		return 32767;
	if (v < -32768.0)
		return -32768;
	return (int16_t)v;
}

int ec_bench_signal_parse(const char *s, enum ec_bench_signal *out)
{
	if (!strcmp(s, "noise"))
		*out = EC_BENCH_NOISE;
	else if (!strcmp(s, "css"))
		*out = EC_BENCH_CSS;
	else if (!strcmp(s, "speech"))
		*out = EC_BENCH_SPEECH;
	else
		return -EINVAL;
	return 0;
}

const char *ec_bench_signal_name(enum ec_bench_signal s)
{
	switch (s) {
	case EC_BENCH_NOISE:
		return "noise";
	case EC_BENCH_CSS:
		return "css";
	case EC_BENCH_SPEECH:
		return "speech";
	}
	return "?";
}

static void gen(struct rng *r, enum ec_bench_signal s, float *x, uint8_t *act, size_t n)
{
	switch (s) {
	case EC_BENCH_NOISE:
		gen_noise(r, x, act, n);
		break;
	case EC_BENCH_CSS:
		gen_css(r, x, act, n);
		break;
	case EC_BENCH_SPEECH:
		gen_speech(r, x, act, n);
		break;
	}
}

struct meas {
	const float *echo, *resid;
	const uint8_t *act;
};

/* ERLE over [a, b) on far-end-active samples; NAN when none. */
static double erle(const struct meas *m, size_t a, size_t b, size_t *nact)
{
	double pe = 0.0, pr = 0.0;
	size_t i, na = 0;

	for (i = a; i < b; i++)
		if (m->act[i]) {
			pe += (double)m->echo[i] * m->echo[i];
			pr += (double)m->resid[i] * m->resid[i];
			na++;
		}
	if (nact)
		*nact = na;
	if (!na || pe <= 0.0)
		return NAN;
	return 10.0 * log10(pe / (pr + 1e-3 * (double)na));
}

int ec_bench_run(void *ctx, const struct ec_bench_cfg *cfg, struct ec_bench_result *res)
{
	struct ec_params ep = {.ops = cfg->ops, .tail_ms = cfg->tail_ms, .nlp = cfg->nlp};
	double seconds = cfg->seconds > 0.0f ? cfg->seconds : (cfg->double_talk ? 6.0 : 4.0);
	double level = cfg->level_dbm0 != 0.0f ? cfg->level_dbm0 : -16.0;
	double noise_db = cfg->noise_dbm0 != 0.0f ? cfg->noise_dbm0 : -70.0;
	unsigned block = cfg->block ? cfg->block : 80, lat, hl, delay;
	size_t n, i, j, dt0 = 0, dt1 = 0;
	double h[DISP_MAX], h2[DISP_MAX], pe = 0.0, px = 0.0, g, ps = 0.0, pr = 0.0;
	size_t chg = 0;
	unsigned hl2 = 0, delay2 = 0;
	struct rng r = {.s = cfg->seed ? cfg->seed : 1};
	struct timespec t0, t1;
	float *x, *echo, *near, *resid;
	int16_t *tx, *rx, *out;
	uint8_t *act, *nact;
	void *tmp;
	struct ec *ec;
	int rc = -ENOMEM;

	if (cfg->delay_ms > 120 || cfg->erl_db < 0.0f || cfg->erl_db > 40.0f ||
	    cfg->near_db < 0.0f || cfg->near_db > 40.0f || cfg->path > EC_BENCH_PATHS ||
	    seconds > 60.0 || seconds < 1.0 || block > 8000)
		return -EINVAL;
	if ((cfg->g168 && !g168_path(cfg->g168, h)) || cfg->change_delay_ms > 120 ||
	    (cfg->change_s > 0.0f &&
	     (!g168_path(cfg->change_g168, h2) || cfg->change_s + 1.0f > (float)seconds)))
		return -EINVAL;
	n = (size_t)(seconds * FS);
	n -= n % block;
	delay = cfg->delay_ms * 8;
	if (cfg->change_s > 0.0f) {
		chg = (size_t)(cfg->change_s * FS);
		delay2 = cfg->change_delay_ms * 8;
		hl2 = g168_path(cfg->change_g168, h2);
	}
	tmp = talloc_new(ctx);
	if (!tmp)
		return -ENOMEM;
	x = talloc_zero_array(tmp, float, n);
	echo = talloc_zero_array(tmp, float, n);
	near = talloc_zero_array(tmp, float, n);
	resid = talloc_zero_array(tmp, float, n);
	tx = talloc_zero_array(tmp, int16_t, n);
	rx = talloc_zero_array(tmp, int16_t, n);
	out = talloc_zero_array(tmp, int16_t, n);
	act = talloc_zero_array(tmp, uint8_t, n);
	nact = talloc_zero_array(tmp, uint8_t, n);
	if (!x || !echo || !near || !resid || !tx || !rx || !out || !act || !nact)
		goto out;

	gen(&r, cfg->signal, x, act, n);
	set_level(x, act, n, dbm0_rms(level));
	for (i = 0; i < n; i++) {
		tx[i] = q16(x[i]);
		x[i] = tx[i];
	}

	/* echo = h * tx, delayed; then scaled to the ERL on active samples
	 * (before and after a path change separately) */
	hl = cfg->g168 ? g168_path(cfg->g168, h) : echo_path(cfg->path, h);
	for (i = 0; i < n; i++) {
		const double *hh = chg && i >= chg ? h2 : h;
		unsigned hn = chg && i >= chg ? hl2 : hl, d = chg && i >= chg ? delay2 : delay;
		double acc = 0.0;

		for (j = 0; j < hn && j + d <= i; j++)
			acc += hh[j] * x[i - d - j];
		echo[i] = (float)acc;
	}
	for (size_t seg = 0, a = 0, b = chg ? chg : n; seg < 2 && a < n; seg++, a = b, b = n) {
		px = pe = 0.0;
		for (i = a; i < b; i++)
			if (act[i]) {
				px += (double)x[i] * x[i];
				pe += (double)echo[i] * echo[i];
			}
		g = pe > 0.0 ? sqrt(px / pe / pow(10.0, cfg->erl_db / 10.0)) : 0.0;
		for (i = a; i < b; i++)
			echo[i] = (float)(echo[i] * g);
	}

	/* near end: background noise, and speech during the middle third */
	if (cfg->double_talk) {
		struct rng rn = {.s = (cfg->seed ? cfg->seed : 1) * 7919u + 17u};
		float *s = resid; /* scratch */

		dt0 = n / 3;
		dt1 = 2 * n / 3;
		gen_speech(&rn, s, nact, dt1 - dt0);
		set_level(s, nact, dt1 - dt0, dbm0_rms(level - cfg->near_db));
		memmove(near + dt0, s, (dt1 - dt0) * sizeof(float));
		memmove(nact + dt0, nact, dt1 - dt0);
		memset(nact, 0, dt0);
		memset(resid, 0, n * sizeof(float));
	}
	{
		struct rng rb = {.s = (cfg->seed ? cfg->seed : 1) * 104729u + 3u};
		double nr = dbm0_rms(noise_db);

		for (i = 0; i < n; i++)
			near[i] += (float)(nr * rng_gauss(&rb));
	}
	for (i = 0; i < n; i++)
		rx[i] = q16((double)echo[i] + near[i]);

	ec = ec_alloc(tmp, &ep);
	if (!ec) {
		rc = -EINVAL;
		goto out;
	}
	lat = ec_ops(ec)->latency;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	for (i = 0; i < n; i += block)
		ec_process(ec, tx + i, rx + i, out + i, block);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);

	memset(res, 0, sizeof(*res));
	res->us_per_channel_second =
		((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) /
		((double)n / FS);
	res->state_bytes = ec_state_bytes(ec);
	ec_metrics(ec, &res->metrics);

	/* residual = out (aligned by the latency) minus the clean near end */
	for (i = 0; i + lat < n; i++)
		resid[i] = (float)out[i + lat] - near[i];
	n -= lat;
	{
		struct meas m = {.echo = echo, .resid = resid, .act = act};
		size_t w = 800, st = 80, na;

		res->erle_db_1s = (float)erle(&m, 4000, 8000 < n ? 8000 : n, NULL);
		res->ms_to_20db = -1;
		for (i = 0; i + w <= n; i += st) {
			double e = erle(&m, i, i + w, &na);

			if (na >= 160 && e >= 20.0) {
				res->ms_to_20db = (int32_t)((i + w) / 8);
				break;
			}
		}
		res->ms_to_20db_change = -1;
		if (chg) {
			res->erle_db_change_1s = (float)erle(&m, chg + 4000, chg + 8000, NULL);
			for (i = chg; i + w <= n; i += st) {
				double e = erle(&m, i, i + w, &na);

				if (na >= 160 && e >= 20.0) {
					res->ms_to_20db_change = (int32_t)((i + w - chg) / 8);
					break;
				}
			}
		}
		if (cfg->double_talk) {
			res->erle_db_steady = (float)erle(&m, n - n / 6, n, NULL);
			res->erle_db_before_dt = (float)erle(&m, dt0 - 4000, dt0, NULL);
			res->erle_db_after_dt = (float)erle(&m, dt1, dt1 + 4000, NULL);
			for (i = dt0; i < dt1; i++)
				if (nact[i]) {
					ps += (double)near[i] * near[i];
					pr += (double)resid[i] * resid[i];
				}
			res->dt_sdr_db = (float)(10.0 * log10(ps / (pr + 1e-9)));
			res->dt_distortion_db = (float)(10.0 * log10((ps + pr) / ps));
		} else {
			res->erle_db_steady = (float)erle(&m, n - n / 4, n, NULL);
		}
	}
	rc = 0;
out:
	talloc_free(tmp);
	return rc;
}
