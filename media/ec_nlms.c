/* tandem's line echo canceller: time-domain NLMS, pre-whitened adaptation.
 *
 * Sample by sample (no added delay), tail 32..128 ms (256..1024 taps).
 *
 * - Filter and update share one pass over the taps: the update from the
 *   previous sample's error is applied, then the echo estimate is formed with
 *   the updated taps, which is exactly the NLMS recursion (w(n) = w(n-1) +
 *   step; y(n) = w(n).x(n)) at one load/store of the taps per sample. The
 *   pass runs on 8-float GCC vectors, compiled for AVX2+FMA and picked at
 *   run time when the CPU has them, else the same code lowered to SSE2.
 * - Adaptation on pre-whitened signals: speech is strongly coloured and plain
 *   NLMS converges at the pace of its weakest spectral mode. The far end is
 *   whitened by an order-8 LPC inverse filter A(z) (re-estimated every 16 ms
 *   from smoothed autocorrelation), rx by the same A(z); because A(z) is
 *   linear it commutes with the echo path, so the taps still model the echo
 *   path itself. The same pass forms both w.x (the echo estimate) and w.xw
 *   (the whitened one, for the adaptation error).
 * - Double talk (G.168 test 3): the Geigel detector (|rx| above half the
 *   largest far-end sample in the tail) with a 100 ms hangover (on
 *   short-term powers, threshold scaled by the measured ERL once
 *   converged), plus an energy check once converged (the residual suddenly
 *   close to rx means near-end speech, not echo). Under either, adaptation
 *   stops; if the energy check alone persists for 250 ms without the Geigel
 *   detector seeing near-end speech, the echo path changed: convergence is
 *   forgotten and adaptation resumes at full step.
 * - NLP (switchable): once converged, during far-end single talk the
 *   residual is replaced by comfort noise at the level of the background
 *   noise measured during far-end silence (G.168 clause 3: NLP and CNG). */
#include <math.h>
#include <string.h>

#include <talloc.h>

#include "media/ec.h"

#define LPC_ORDER   8
#define SHIFT_BLOCK 128 /* history buffers slide every 16 ms */
#define PMAX_BLOCK  32
/* Whitening strength: a -15 dB white-noise floor in the autocorrelation and
 * 10 % bandwidth expansion. A full-strength A(z) also whitens (and so
 * amplifies) the near-end background noise in rx, which then swamps the
 * whitened echo: measured, -60 dBm0 noise on a 20 dB hybrid stopped
 * adaptation; with these limits it reaches 25 dB. */
#define WNC	       1.03f
#define BWE	       0.9f
#define DBM0_POWER(db) (16055.0f * 16055.0f * powf(10.0f, (db) / 10.0f))

typedef float v8f __attribute__((vector_size(32)));
typedef float (*fused_fn)(float *w, const float *xw_prev, const float *x, float c, unsigned n,
			  float *yw);

struct nlms {
	unsigned n; /* taps, multiple of 16 */
	unsigned p; /* write index in the history buffers, n <= p < n + SHIFT_BLOCK */
	float *w;   /* taps, time-reversed: w[j] weighs x(t - (n - 1 - j)) */
	float *x;   /* far-end history, n + SHIFT_BLOCK */
	float *xw;  /* whitened far-end history */
	fused_fn fused;
	bool nlp;

	float c;		/* step for the next update (0: none) */
	float pw;		/* power of the whitened window */
	float a[LPC_ORDER + 1]; /* A(z), a[0] = 1 */
	float racc[LPC_ORDER + 1], r[LPC_ORDER + 1];
	unsigned lpc_blocks;
	float dhist[LPC_ORDER]; /* past rx samples for whitening */

	float pmax[EC_TAIL_MS_MAX * 8 / PMAX_BLOCK + 1]; /* far power maxima per block */
	unsigned pmax_n, pmax_i, pmax_fill;
	float pmax_cur, pmax_win; /* current block, whole tail */
	unsigned geigel_hold;
	unsigned energy_run;
	float sx, sd, se; /* short-term powers (8 ms) */
	float lx, ld, le; /* long-term far / rx / residual power in single talk */
	float noise;	  /* background noise power (comfort noise level) */
	uint32_t rng;
	uint64_t dt_samples;
};

/* One pass: w += c * xw_prev, then *yw = sum w * xw_cur and return
 * sum w * x (xw_cur is xw_prev one sample later). Macro so that each target
 * gets its own copy inlined. */
#define FUSED_BODY                                                                           \
	v8f acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};                                  \
	v8f vc = {c, c, c, c, c, c, c, c};                                                   \
	unsigned j;                                                                          \
	for (j = 0; j < n; j += 16) {                                                        \
		v8f w0, u0, v0, x0, w1, u1, v1, x1;                                          \
		__builtin_memcpy(&w0, w + j, 32);                                            \
		__builtin_memcpy(&w1, w + j + 8, 32);                                        \
		__builtin_memcpy(&u0, xw_prev + j, 32);                                      \
		__builtin_memcpy(&u1, xw_prev + j + 8, 32);                                  \
		__builtin_memcpy(&v0, xw_prev + j + 1, 32);                                  \
		__builtin_memcpy(&v1, xw_prev + j + 9, 32);                                  \
		__builtin_memcpy(&x0, x + j, 32);                                            \
		__builtin_memcpy(&x1, x + j + 8, 32);                                        \
		w0 += vc * u0;                                                               \
		w1 += vc * u1;                                                               \
		__builtin_memcpy(w + j, &w0, 32);                                            \
		__builtin_memcpy(w + j + 8, &w1, 32);                                        \
		acc0 += w0 * x0;                                                             \
		acc1 += w0 * v0;                                                             \
		acc2 += w1 * x1;                                                             \
		acc3 += w1 * v1;                                                             \
	}                                                                                    \
	acc0 += acc2;                                                                        \
	acc1 += acc3;                                                                        \
	*yw = acc1[0] + acc1[1] + acc1[2] + acc1[3] + acc1[4] + acc1[5] + acc1[6] + acc1[7]; \
	return acc0[0] + acc0[1] + acc0[2] + acc0[3] + acc0[4] + acc0[5] + acc0[6] + acc0[7];

__attribute__((target("avx2,fma"))) static float
fused_avx2(float *w, const float *xw_prev, const float *x, float c, unsigned n, float *yw)
{
	FUSED_BODY
}

static float fused_generic(float *w, const float *xw_prev, const float *x, float c, unsigned n,
			   float *yw)
{
	FUSED_BODY
}

static void nlms_reset(void *st)
{
	struct nlms *s = st;
	unsigned hist = s->n + SHIFT_BLOCK;

	memset(s->w, 0, s->n * sizeof(float));
	memset(s->x, 0, hist * sizeof(float));
	memset(s->xw, 0, hist * sizeof(float));
	s->p = s->n;
	s->c = 0.0f;
	s->pw = 0.0f;
	memset(s->a, 0, sizeof(s->a));
	s->a[0] = 1.0f;
	memset(s->racc, 0, sizeof(s->racc));
	s->lpc_blocks = 0;
	memset(s->r, 0, sizeof(s->r));
	memset(s->dhist, 0, sizeof(s->dhist));
	memset(s->pmax, 0, sizeof(s->pmax));
	s->pmax_i = s->pmax_fill = 0;
	s->pmax_cur = s->pmax_win = 0.0f;
	s->geigel_hold = s->energy_run = 0;
	s->sx = s->sd = s->se = 0.0f;
	s->lx = s->ld = s->le = 0.0f;
	s->noise = DBM0_POWER(-70.0f);
	s->rng = 0x2545f491u;
	s->dt_samples = 0;
}

static void *nlms_alloc(void *ctx, unsigned tail, const struct ec_params *p)
{
	struct nlms *s;
	unsigned n = (tail + 15) & ~15u;
	unsigned hist = n + SHIFT_BLOCK;
	size_t bytes = sizeof(*s) + (n + 2 * hist) * sizeof(float);

	s = talloc_zero_size(ctx, bytes);
	if (!s)
		return NULL;
	talloc_set_name_const(s, "struct nlms");
	s->n = n;
	s->w = (float *)(s + 1);
	s->x = s->w + n;
	s->xw = s->x + hist;
	s->nlp = p->nlp;
	s->pmax_n = n / PMAX_BLOCK + 1;
	__builtin_cpu_init();
	s->fused = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? fused_avx2
										   : fused_generic;
	nlms_reset(s);
	return s;
}

/* Levinson-Durbin on the smoothed autocorrelation, with a lag window and a
 * white-noise floor so that A(z) stays well conditioned (see WNC, BWE). */
static void lpc_update(struct nlms *s)
{
	float r[LPC_ORDER + 1], a[LPC_ORDER + 1], tmp[LPC_ORDER + 1], err;
	unsigned i, k;

	for (k = 0; k <= LPC_ORDER; k++) {
		s->r[k] = 0.98f * s->r[k] + s->racc[k];
		s->racc[k] = 0.0f;
		/* Gaussian lag window, about 60 Hz bandwidth */
		r[k] = s->r[k] * expf(-0.5f * (0.047f * k) * (0.047f * k));
	}
	/* A(z) is held for 0.5 s between updates (after a quick first
	 * estimate): rx is whitened with today's A(z) while the far-end
	 * samples the echo came from were whitened up to 128 ms earlier, so
	 * every change of A(z) costs a short mismatch. */
	s->lpc_blocks++;
	if (s->lpc_blocks > 8 && s->lpc_blocks % 32)
		return;
	if (r[0] < DBM0_POWER(-50.0f) * SHIFT_BLOCK)
		return; /* far end silent: keep the last filter */
	r[0] *= WNC;
	memset(a, 0, sizeof(a));
	a[0] = 1.0f;
	err = r[0];
	for (i = 1; i <= LPC_ORDER; i++) {
		float acc = r[i], kk;

		for (k = 1; k < i; k++)
			acc += a[k] * r[i - k];
		kk = -acc / err;
		if (kk >= 1.0f || kk <= -1.0f)
			return;
		memcpy(tmp, a, sizeof(a));
		for (k = 1; k < i; k++)
			a[k] = tmp[k] + kk * tmp[i - k];
		a[i] = kk;
		err *= 1.0f - kk * kk;
	}
	{
		float gk = 1.0f;

		for (k = 1; k <= LPC_ORDER; k++) {
			gk *= BWE;
			a[k] *= gk;
		}
	}
	memcpy(s->a, a, sizeof(a));
}

static void slide(struct nlms *s)
{
	unsigned j, n = s->n;
	float pw = 0.0f;

	memmove(s->x, s->x + SHIFT_BLOCK, n * sizeof(float));
	memmove(s->xw, s->xw + SHIFT_BLOCK, n * sizeof(float));
	s->p = n;
	/* exact recomputation: the running sums drift in float */
	for (j = 0; j < n; j++)
		pw += s->xw[j] * s->xw[j];
	s->pw = pw;
	lpc_update(s);
}

static uint32_t rng_next(uint32_t *r)
{
	*r ^= *r << 13;
	*r ^= *r >> 17;
	*r ^= *r << 5;
	return *r;
}

static int16_t sat16(float v)
{
	if (v > 32767.0f)
		return 32767;
	if (v < -32768.0f)
		return -32768;
	return (int16_t)lrintf(v);
}

static void nlms_process(void *st, const int16_t *tx, const int16_t *rx, int16_t *out, size_t cnt)
{
	struct nlms *s = st;
	const unsigned n = s->n;
	const float far_floor = DBM0_POWER(-42.0f);
	const float delta = (float)n * DBM0_POWER(-55.0f);
	size_t i;

	for (i = 0; i < cnt; i++) {
		float xv = tx[i], d = rx[i], xwv, y, yw, e, ew, old, g, thr;
		unsigned p = s->p, k;
		bool dt, far, converged, energy_dt;

		/* far end in, whitened by A(z) */
		s->x[p] = xv;
		xwv = xv;
		for (k = 1; k <= LPC_ORDER; k++) {
			xwv += s->a[k] * s->x[p - k];
			s->racc[k] += xv * s->x[p - k];
		}
		s->racc[0] += xv * xv;
		s->xw[p] = xwv;
		old = s->xw[p - n];
		s->pw += xwv * xwv - old * old;
		if (s->pw < 0.0f)
			s->pw = 0.0f;

		/* update with the previous error, then estimate the echo */
		y = s->fused(s->w, s->xw + p - n, s->x + p - n + 1, s->c, n, &yw);
		if (!(fabsf(y) < 1e6f && fabsf(yw) < 1e6f)) {
			/* cannot happen with the step bounds below; never let
			 * a numerical accident reach the line */
			memset(s->w, 0, n * sizeof(float));
			y = yw = 0.0f;
		}
		e = d - y;

		/* the error in the whitened domain, exactly: A(z)d - w.xw */
		ew = d - yw;
		for (k = 1; k <= LPC_ORDER; k++)
			ew += s->a[k] * s->dhist[k - 1];
		memmove(s->dhist + 1, s->dhist, (LPC_ORDER - 1) * sizeof(float));
		s->dhist[0] = d;

		/* short-term powers, 8 ms */
		s->sx += (xv * xv - s->sx) * (1.0f / 64);
		s->sd += (d * d - s->sd) * (1.0f / 64);
		s->se += (e * e - s->se) * (1.0f / 64);
		far = s->sx > far_floor;
		converged = s->le > 0.0f && s->ld > 16.0f * s->le;

		/* Geigel on short-term power: near-end speech makes rx louder
		 * than the hybrid can return. G.168 networks have ERL >= 6 dB;
		 * the threshold (-3 dB) leaves 3 dB for a dispersive path whose
		 * short-term gain exceeds its average. Sample peaks (the
		 * classic Geigel) false-alarm on dispersive 6 dB paths. */
		s->pmax_cur = fmaxf(s->pmax_cur, s->sx);
		if (++s->pmax_fill == PMAX_BLOCK) {
			s->pmax[s->pmax_i] = s->pmax_cur;
			s->pmax_i = s->pmax_i + 1 == s->pmax_n ? 0 : s->pmax_i + 1;
			s->pmax_cur = 0.0f;
			s->pmax_fill = 0;
			g = 0.0f;
			for (k = 0; k < s->pmax_n; k++)
				g = fmaxf(g, s->pmax[k]);
			s->pmax_win = g;
		}
		g = fmaxf(s->pmax_win, s->pmax_cur);
		/* Once converged the measured echo path gain replaces the 6 dB
		 * assumption (with 6 dB of margin): on a 20 dB hybrid, near-end
		 * speech 14 dB below the far end is still caught. */
		thr = 0.5f;
		if (converged && s->lx > 0.0f)
			thr = fminf(0.5f, fmaxf(0.02f, 4.0f * s->ld / s->lx));
		/* the smoothed power reacts in ms; a single sample 12 dB above
		 * the expected power (speech crest factor) reacts at once */
		if ((s->sd > thr * g || d * d > 16.0f * thr * g) && s->sd > far_floor * 0.1f)
			s->geigel_hold = 800;
		else if (s->geigel_hold)
			s->geigel_hold--;
		energy_dt = converged && far && s->se > 0.25f * s->sd;
		s->energy_run = energy_dt && !s->geigel_hold ? s->energy_run + 1 : 0;
		if (s->energy_run > 2000) {
			/* 250 ms of a poor residual that the (ERL-scaled)
			 * Geigel does not call near-end speech: the echo path
			 * changed. Forget convergence: full step again. */
			s->ld = s->le = 0.0f;
			s->energy_run = 0;
			converged = energy_dt = false;
		}
		dt = s->geigel_hold || energy_dt;

		s->c = 0.0f;
		if (far && !s->geigel_hold) {
			float mu = converged ? 0.3f : 0.9f;

			if (energy_dt)
				mu = 0.0f;
			s->c = mu * ew / (s->pw + delta);
		}
		if (far && !dt) {
			s->lx += (xv * xv - s->lx) * (1.0f / 2048);
			s->ld += (d * d - s->ld) * (1.0f / 2048);
			s->le += (e * e - s->le) * (1.0f / 2048);
		}
		if (far && dt)
			s->dt_samples++;
		if (!far) {
			/* comfort noise level: slow-rising minimum of the residual */
			s->noise = s->se < s->noise ? s->se : s->noise * 1.0005f;
		}

		if (s->nlp && far && !dt && converged) {
			float u = (float)(int32_t)rng_next(&s->rng) * (1.0f / 2147483648.0f);

			e = u * sqrtf(3.0f * s->noise);
		}
		out[i] = sat16(e);

		if (++s->p == n + SHIFT_BLOCK)
			slide(s);
	}
}

static uint64_t nlms_double_talk(const void *st)
{
	const struct nlms *s = st;

	return s->dt_samples;
}

static size_t nlms_state_bytes(const void *st)
{
	const struct nlms *s = st;

	return sizeof(*s) + (s->n + 2 * (s->n + SHIFT_BLOCK)) * sizeof(float);
}

const struct ec_ops ec_nlms_ops = {
	.name = "tandem",
	.alloc = nlms_alloc,
	.process = nlms_process,
	.reset = nlms_reset,
	.double_talk = nlms_double_talk,
	.state_bytes = nlms_state_bytes,
	.latency = 0,
};
