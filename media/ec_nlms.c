/* tandem's line echo canceller: a short adaptive window placed on the echo
 * path by a delay estimator, background / foreground filters, pre-whitened
 * NLMS.
 *
 * Sample by sample (no added delay), tail 32..128 ms (256..1024 taps).
 *
 * - Where the echo is: a line echo is a bulk delay (up to the tail) and a
 *   dispersive hybrid response of a few ms (G.168 Annex D models: under
 *   16 ms). The cross-correlation of the whitened far end with the whitened
 *   rx over every lag of the tail is, up to the residual colour of the
 *   whitened far end, the echo path's impulse response; its peak places an
 *   active window of WIN_TAPS taps (4 ms before the peak, 28 ms after).
 *   NLMS over 256 taps instead of 1024 converges four times faster (its
 *   rate per sample goes with 1 / taps) and costs a quarter. The window
 *   moves only while not converged (a new call, or convergence lost to an
 *   echo path change), when the correlation shows the echo outside it;
 *   taps that the old and new windows share are kept. The correlation
 *   rests while converged.
 * - Two filters over the window: the background one adapts; the foreground
 *   one, which makes the output, does not adapt but takes a copy of the
 *   background taps when those cancel better (short-term error power,
 *   whitened and raw, with the background taps as they were before their
 *   last update) and at least 9 dB. Double talk the detector misses can
 *   pull the background taps away, never the output's; a background filter
 *   that fell behind the foreground one is given the foreground taps back.
 * - Adaptation on pre-whitened signals: speech is strongly coloured and plain
 *   NLMS converges at the pace of its weakest spectral mode. The far end is
 *   whitened by an order-8 LPC inverse filter A(z) (re-estimated every 16 ms
 *   from smoothed autocorrelation), rx by the same A(z); because A(z) is
 *   linear it commutes with the echo path, so the taps still model the echo
 *   path itself. One pass over the taps updates them with the previous
 *   error and forms both w.x (the echo estimate) and w.xw (the whitened one,
 *   for the adaptation error), on 8-float GCC vectors (AVX2+FMA when the CPU
 *   has them, picked at alloc; the same code lowered to SSE2 otherwise).
 * - Double talk (G.168 test 3): the Geigel detector (rx short-term power
 *   above half the largest far-end power in the tail; the threshold follows
 *   the measured ERL once converged; 100 ms hangover), plus an energy check
 *   once converged (the residual suddenly close to rx). If the energy check
 *   alone persists for 250 ms of far-end speech (125 ms with the residual
 *   louder than rx) without the Geigel detector seeing near-end speech,
 *   the echo path changed: convergence is forgotten (the residual power
 *   is set to the rx power, so the canceller counts as converged again
 *   only once it cancels 12 dB over the long-term average; the far-end and
 *   rx powers, and so the measured ERL, are kept).
 * - NLP (switchable): once converged, during far-end single talk the
 *   residual is replaced by comfort noise at the level of the background
 *   noise measured during far-end silence (G.168 clause 3: NLP and CNG). */
#include <math.h>
#include <string.h>

#include <immintrin.h>
#include <talloc.h>

#include "media/ec.h"

#define LPC_ORDER   8
#define SHIFT_BLOCK 128 /* history buffers slide every 16 ms */
/* history length: the tail, a slide block, and one sample before the
 * oldest lag (index -1) for the running lag-one sums */
#define HIST(n)	    ((n) + SHIFT_BLOCK + 1)
#define PMAX_BLOCK  32
#define WIN_TAPS    256		/* active window, 32 ms */
#define WIN_PRE	    32		/* window start before the correlation peak */
#define WIN_POST    128		/* dispersion the window must cover after the peak */
#define XFER_EVERY  32		/* background / foreground comparison period */
#define CORR_EVERY  64		/* delay analysis period */
#define CORR_REGION 80		/* lags around the correlation peak counted as the echo path */
#define CORR_DECAY  0.985f	/* per analysis: about 0.5 s memory */
#define CORR_LAMBDA 0.99976403f /* the same per sample: CORR_DECAY^(1/CORR_EVERY) */
#define EX_STEP	    16		/* far-end energy history step (lags) */
#define EX_HIST	    (EC_TAIL_MS_MAX * 8 / EX_STEP)
#define CORR_RATIO  3.0f  /* peak region density over the other lags' */
#define CORR_SHARE  0.25f /* share of rx the peak region explains */
#define CORR_SEARCH 16000 /* samples correlated at full rate, 2 s */
#define CORR_SLOW   4	  /* then one in CORR_SLOW */
/* Background step (normalised): measured on the bench, 0.9 converges more
 * slowly on 20 dB hybrids (the whitened near-end noise, amplified by A(z),
 * is then within about 20 dB of the whitened echo and a large step follows
 * it); 0.4 before convergence and 0.08 after gave the best 1 s and steady
 * ERLE over css and speech, ERL 6-20 dB (0.15 after: steady ERLE 3-5 dB
 * lower on 20 dB hybrids). */
#define MU0 0.4f
#define MU1 0.08f
/* Whitening strength: a -15 dB white-noise floor in the autocorrelation and
 * 10 % bandwidth expansion. A full-strength A(z) also whitens (and so
 * amplifies) the near-end background noise in rx, which then swamps the
 * whitened echo: measured, -60 dBm0 noise on a 20 dB hybrid stopped
 * adaptation; with these limits it reaches 25 dB. */
#define WNC	       1.03f
#define BWE	       0.9f
#define DBM0_POWER(db) (16055.0f * 16055.0f * powf(10.0f, (db) / 10.0f))

typedef float v8f __attribute__((vector_size(32)));
typedef short v8s __attribute__((vector_size(16)));
typedef float (*adapt_fn)(float *w, const float *xw_prev, const int16_t *x, float c, unsigned n,
			  float *yw);
typedef float (*dot_fn)(const float *w, const float *xw, const int16_t *x, unsigned n, float *yw);
typedef void (*corr_fn)(float *r, const float *xw, float d, unsigned n);

struct nlms {
	unsigned n;  /* tail taps, multiple of 16 */
	unsigned nw; /* window taps, multiple of 16, <= n */
	unsigned ws; /* window start (lag of its newest tap) */
	unsigned p;  /* write index in the histories, n <= p < n + SHIFT_BLOCK */
	float *wf;   /* foreground taps, time-reversed: w[j] weighs lag ws + nw - 1 - j */
	float *wb;   /* background taps */
	float *xw;   /* whitened far-end history, HIST(n) from index -1 */
	float *corr; /* whitened cross-correlation, corr[j] is lag n - 1 - j (NULL: nw == n) */
	int16_t *x;  /* far-end history, HIST(n) from index -1 */
	adapt_fn adapt;
	dot_fn dot;
	corr_fn corr_add;
	bool nlp;

	float c;		/* background step for the next update (0: none) */
	float pw;		/* power of the whitened window */
	float q1, q2;		/* window sums of xw(t - 1) xw(t) and xw(t - 1) x(t) */
	float a[LPC_ORDER + 1]; /* A(z), a[0] = 1 */
	float racc[LPC_ORDER + 1], r[LPC_ORDER + 1];
	unsigned lpc_blocks;
	float dhist[LPC_ORDER];	      /* past rx samples for whitening */
	unsigned peak_lag, peak_runs; /* delay estimate and how often it repeated */
	unsigned xfer;		      /* samples to the next filter comparison */
	unsigned seen;		      /* samples since reset, up to the tail */
	/* the correlation's normalisation: decayed energies of the whitened
	 * rx and far end, the latter every EX_STEP samples over the tail */
	float ed, ex, exh[EX_HIST];
	unsigned exh_i;
	bool corr_idle;
	unsigned corr_n; /* correlated samples since the last restart */

	float pmax[EC_TAIL_MS_MAX * 8 / PMAX_BLOCK + 1]; /* far power maxima per block */
	unsigned pmax_n, pmax_i, pmax_fill;
	float pmax_cur, pmax_win; /* current block, whole tail */
	unsigned geigel_hold;
	unsigned energy_run;
	float sx, sd, se, sb; /* short-term powers (8 ms): far, rx, residual, background's */
	float swd, swf, swb;  /* the same, whitened: rx, foreground, background */
	float lx, ld, le;     /* long-term far / rx / residual power in single talk */
	float noise;	      /* background noise power (comfort noise level) */
	uint32_t rng;
	uint64_t dt_samples, far_samples; /* double talk, of the far-end-active samples */
};

/* 8 int16 to 8 floats; the AVX2 copies redefine it (one 256-bit widening
 * instead of two 128-bit halves) */
#define LOADX_GENERIC(dst, ptr)                           \
	do {                                              \
		v8s t_;                                   \
		__builtin_memcpy(&t_, (ptr), 16);         \
		(dst) = __builtin_convertvector(t_, v8f); \
	} while (0)
#define LOADX_AVX2(dst, ptr)                                                        \
	do {                                                                        \
		__m128i t_ = _mm_loadu_si128((const __m128i *)(const void *)(ptr)); \
		(dst) = (v8f)_mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(t_));         \
	} while (0)
#define HSUM(v) ((v)[0] + (v)[1] + (v)[2] + (v)[3] + (v)[4] + (v)[5] + (v)[6] + (v)[7])

/* One pass: w += c * xw_prev, then return sum w * x and *yw = sum w *
 * xw_cur (xw_cur is xw_prev one sample later). The taps' outputs before
 * this update are these minus c * (xw_prev . x) and c * (xw_prev . xw_cur),
 * kept as running sums by the caller: two more accumulators here would
 * spill a register (16 ymm) into the loop's dependency chain (measured:
 * the pass then cost 2.6 times as much per tap). Macros so that each
 * target gets its own copy inlined. */
#define ADAPT_BODY                                          \
	v8f acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0}; \
	v8f vc = {c, c, c, c, c, c, c, c};                  \
	unsigned j;                                         \
	for (j = 0; j < n; j += 16) {                       \
		v8f w0, u0, v0, x0, w1, u1, v1, x1;         \
		__builtin_memcpy(&w0, w + j, 32);           \
		__builtin_memcpy(&w1, w + j + 8, 32);       \
		__builtin_memcpy(&u0, xw_prev + j, 32);     \
		__builtin_memcpy(&u1, xw_prev + j + 8, 32); \
		__builtin_memcpy(&v0, xw_prev + j + 1, 32); \
		__builtin_memcpy(&v1, xw_prev + j + 9, 32); \
		LOADX(x0, x + j);                           \
		LOADX(x1, x + j + 8);                       \
		w0 += vc * u0;                              \
		w1 += vc * u1;                              \
		__builtin_memcpy(w + j, &w0, 32);           \
		__builtin_memcpy(w + j + 8, &w1, 32);       \
		acc0 += w0 * x0;                            \
		acc1 += w0 * v0;                            \
		acc2 += w1 * x1;                            \
		acc3 += w1 * v1;                            \
	}                                                   \
	acc0 += acc2;                                       \
	acc1 += acc3;                                       \
	*yw = HSUM(acc1);                                   \
	return HSUM(acc0);

#define DOT_BODY                                            \
	v8f acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0}; \
	unsigned j;                                         \
	for (j = 0; j < n; j += 16) {                       \
		v8f w0, w1, x0, x1, v0, v1;                 \
		__builtin_memcpy(&w0, w + j, 32);           \
		__builtin_memcpy(&w1, w + j + 8, 32);       \
		__builtin_memcpy(&v0, xw + j, 32);          \
		__builtin_memcpy(&v1, xw + j + 8, 32);      \
		LOADX(x0, x + j);                           \
		LOADX(x1, x + j + 8);                       \
		acc0 += w0 * x0;                            \
		acc1 += w1 * x1;                            \
		acc2 += w0 * v0;                            \
		acc3 += w1 * v1;                            \
	}                                                   \
	acc0 += acc1;                                       \
	acc2 += acc3;                                       \
	*yw = HSUM(acc2);                                   \
	return HSUM(acc0);

#define CORR_BODY                                  \
	v8f vd = {d, d, d, d, d, d, d, d};         \
	unsigned j;                                \
	for (j = 0; j < n; j += 8) {               \
		v8f r0, u0;                        \
		__builtin_memcpy(&r0, r + j, 32);  \
		__builtin_memcpy(&u0, xw + j, 32); \
		r0 += vd * u0;                     \
		__builtin_memcpy(r + j, &r0, 32);  \
	}

#define LOADX LOADX_AVX2
__attribute__((target("avx2,fma"))) static float
adapt_avx2(float *w, const float *xw_prev, const int16_t *x, float c, unsigned n, float *yw)
{
	ADAPT_BODY
}

__attribute__((target("avx2,fma"))) static float dot_avx2(const float *w, const float *xw,
							  const int16_t *x, unsigned n, float *yw)
{
	DOT_BODY
}
#undef LOADX

#define LOADX LOADX_GENERIC
static float adapt_generic(float *w, const float *xw_prev, const int16_t *x, float c, unsigned n,
			   float *yw)
{
	ADAPT_BODY
}

static float dot_generic(const float *w, const float *xw, const int16_t *x, unsigned n, float *yw)
{
	DOT_BODY
}
#undef LOADX

__attribute__((target("avx2,fma"))) static void corr_avx2(float *r, const float *xw, float d,
							  unsigned n)
{
	CORR_BODY
}

static void corr_generic(float *r, const float *xw, float d, unsigned n)
{
	CORR_BODY
}

static void nlms_reset(void *st)
{
	struct nlms *s = st;
	unsigned hist = HIST(s->n);

	memset(s->wf, 0, s->nw * sizeof(float));
	memset(s->wb, 0, s->nw * sizeof(float));
	memset(s->xw - 1, 0, hist * sizeof(float));
	if (s->corr)
		memset(s->corr, 0, s->n * sizeof(float));
	memset(s->x - 1, 0, hist * sizeof(int16_t));
	s->ws = 0;
	s->p = s->n;
	s->c = 0.0f;
	s->pw = s->q1 = s->q2 = 0.0f;
	memset(s->a, 0, sizeof(s->a));
	s->a[0] = 1.0f;
	memset(s->racc, 0, sizeof(s->racc));
	s->lpc_blocks = 0;
	memset(s->r, 0, sizeof(s->r));
	memset(s->dhist, 0, sizeof(s->dhist));
	s->peak_lag = s->peak_runs = 0;
	s->xfer = XFER_EVERY;
	s->seen = 0;
	s->ed = s->ex = 0.0f;
	memset(s->exh, 0, sizeof(s->exh));
	s->exh_i = 0;
	s->corr_idle = false;
	s->corr_n = 0;
	memset(s->pmax, 0, sizeof(s->pmax));
	s->pmax_i = s->pmax_fill = 0;
	s->pmax_cur = s->pmax_win = 0.0f;
	s->geigel_hold = s->energy_run = 0;
	s->sx = s->sd = s->se = s->sb = 0.0f;
	s->swd = s->swf = s->swb = 0.0f;
	s->lx = s->ld = s->le = 0.0f;
	s->noise = DBM0_POWER(-70.0f);
	s->rng = 0x2545f491u;
	s->dt_samples = s->far_samples = 0;
}

static size_t nlms_bytes(unsigned n, unsigned nw)
{
	unsigned hist = HIST(n);

	return sizeof(struct nlms) + (2 * nw + hist + (nw < n ? n : 0)) * sizeof(float) +
	       hist * sizeof(int16_t);
}

static void *nlms_alloc(void *ctx, unsigned tail, const struct ec_params *p)
{
	struct nlms *s;
	unsigned n = (tail + 15) & ~15u;
	unsigned nw = n < WIN_TAPS ? n : WIN_TAPS;
	unsigned hist = HIST(n);
	bool avx2;

	s = talloc_zero_size(ctx, nlms_bytes(n, nw));
	if (!s)
		return NULL;
	talloc_set_name_const(s, "struct nlms");
	s->n = n;
	s->nw = nw;
	s->wf = (float *)(s + 1);
	s->wb = s->wf + nw;
	s->corr = nw < n ? s->wb + nw : NULL;
	s->xw = s->wb + nw + (nw < n ? n : 0) + 1;
	s->x = (int16_t *)(s->xw - 1 + hist) + 1;
	s->nlp = p->nlp;
	s->pmax_n = n / PMAX_BLOCK + 1;
	__builtin_cpu_init();
	avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	s->adapt = avx2 ? adapt_avx2 : adapt_generic;
	s->dot = avx2 ? dot_avx2 : dot_generic;
	s->corr_add = avx2 ? corr_avx2 : corr_generic;
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

/* Exact window sums (the running ones drift in float), called before
 * sample p is written: they cover the window one sample ago. */
static void window_power(struct nlms *s)
{
	const float *v = s->xw + s->p - s->ws - s->nw;
	const int16_t *u = s->x + s->p - s->ws - s->nw;
	float pw = 0.0f, q1 = 0.0f, q2 = 0.0f;
	unsigned j;

	for (j = 0; j < s->nw; j++) {
		pw += v[j] * v[j];
		q1 += v[(int)j - 1] * v[j];
		q2 += v[(int)j - 1] * (float)u[j];
	}
	s->pw = pw;
	s->q1 = q1;
	s->q2 = q2;
}

/* Move the window to start at lag ws; taps both windows cover are kept. */
static void window_move(struct nlms *s, unsigned ws)
{
	int shift = (int)ws - (int)s->ws, nw = (int)s->nw;
	float *f[2] = {s->wf, s->wb};
	unsigned k;

	for (k = 0; k < 2; k++) {
		float *w = f[k];

		/* new w[j] = old w[j - shift] (same lag) */
		if (shift >= nw || shift <= -nw) {
			memset(w, 0, s->nw * sizeof(float));
		} else if (shift > 0) {
			memmove(w + shift, w, (size_t)(nw - shift) * sizeof(float));
			memset(w, 0, (size_t)shift * sizeof(float));
		} else if (shift < 0) {
			memmove(w, w - shift, (size_t)(nw + shift) * sizeof(float));
			memset(w + nw + shift, 0, (size_t)(-shift) * sizeof(float));
		}
	}
	s->ws = ws;
	s->sb = s->se = s->sd;
	s->swb = s->swf = s->swd;
	window_power(s);
}

/* Delay estimate from the whitened cross-correlation, normalised per lag
 * by the far-end energy it saw and the rx energy: z(L) is the share of rx
 * explained by lag L, about 1 / (samples) at every lag without echo, and
 * the echo path's share of rx summed over its taps with one. The lag of
 * the largest z is trusted when the 10 ms around it hold CORR_RATIO times
 * the density of the other lags, and at least CORR_SHARE of rx. The window
 * moves there when it does not cover that lag and what follows it, and
 * the canceller is not converged (a new call, or a changed echo path). */
static void delay_update(struct nlms *s, bool converged)
{
	/* lags seen for under 8 ms have too rough a normalisation */
	const unsigned n = s->n, nl = s->seen < n ? (s->seen > 64 ? s->seen - 64 : 0) : n;
	float inv[EX_HIST], tot = 0.0f, pk = 0.0f, m = 0.0f, ratio, decay;
	unsigned j, b, jp = 0, lag, lo, hi, ws;

	if (!s->corr || converged || nl < 2 * CORR_REGION || !(s->ed > 0.0f))
		return;
	/* exh[exh_i - 1] is now, one entry per EX_STEP lags back */
	for (b = 0; b < EX_HIST; b++) {
		/* the newer of the two entries around the lag (the larger
		 * energy: the conservative side); lags whose far end was 12 dB
		 * below today's carry too little to normalise */
		float e = s->exh[(s->exh_i + EX_HIST - 1 - b) % EX_HIST];

		if (b)
			e = fmaxf(e, s->exh[(s->exh_i + EX_HIST - b) % EX_HIST]);
		inv[b] = e > 0.0625f * s->ex ? 1.0f / (e * s->ed) : 0.0f;
	}
	/* corr[j] is lag n - 1 - j: the lags of block b (EX_STEP of them,
	 * one normalisation) are j = n - EX_STEP (b + 1) .. n - 1 - EX_STEP b */
	for (b = 0; b < n / EX_STEP && b * EX_STEP < nl; b++) {
		const float *c = s->corr + n - EX_STEP * (b + 1);
		float bm = 0.0f, bs = 0.0f;
		unsigned k, bk = 0;

		for (k = 0; k < EX_STEP; k++) {
			float v = c[k] * c[k];

			bs += v;
			if (v > bm) {
				bm = v;
				bk = k;
			}
		}
		tot += bs * inv[b];
		if (bm * inv[b] > m) {
			m = bm * inv[b];
			jp = n - EX_STEP * (b + 1) + bk;
		}
	}
	lag = n - 1 - jp;
	lo = lag > 16 ? lag - 16 : 0;
	hi = lo + CORR_REGION;
	if (hi > nl) {
		hi = nl;
		lo = nl - CORR_REGION;
	}
	for (j = lo; j < hi; j++)
		pk += s->corr[n - 1 - j] * s->corr[n - 1 - j] * inv[j / EX_STEP];
	ratio = pk * (float)(nl - CORR_REGION) / (CORR_REGION * (tot - pk) + 1e-30f);
	/* every CORR_EVERY samples while searching, every slide after */
	decay = s->corr_n < CORR_SEARCH ? CORR_DECAY : CORR_DECAY * CORR_DECAY;
	for (j = 0; j < n; j++)
		s->corr[j] *= decay;
	if (!(tot > 0.0f) || ratio < CORR_RATIO || pk < CORR_SHARE) {
		s->peak_runs = 0;
		return;
	}
	s->peak_runs = (lag + 8 >= s->peak_lag && lag <= s->peak_lag + 8) ? s->peak_runs + 1 : 1;
	s->peak_lag = lag;
	if (converged || s->peak_runs < 2)
		return;
	if ((lag >= s->ws + 8 || s->ws == 0) &&
	    (lag + WIN_POST < n ? lag + WIN_POST : n) <= s->ws + s->nw)
		return; /* covered */
	ws = lag > WIN_PRE ? lag - WIN_PRE : 0;
	if (ws > n - s->nw)
		ws = n - s->nw;
	window_move(s, ws);
}

static void slide(struct nlms *s, bool converged)
{
	unsigned n = s->n;

	memmove(s->x - 1, s->x - 1 + SHIFT_BLOCK, (n + 1) * sizeof(int16_t));
	memmove(s->xw - 1, s->xw - 1 + SHIFT_BLOCK, (n + 1) * sizeof(float));
	s->p = n;
	window_power(s);
	delay_update(s, converged);
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
	const unsigned n = s->n, nw = s->nw;
	const float far_floor = DBM0_POWER(-42.0f);
	const float delta = (float)nw * DBM0_POWER(-55.0f);
	size_t i;

	for (i = 0; i < cnt; i++) {
		float xv = tx[i], d = rx[i], xwv, yf, yfw, yb, ewp, ybw, e, eb, dw, ew, nv, ov, g,
		      thr;
		unsigned p = s->p, k, base;
		bool dt, far, converged, energy_dt;

		/* far end in, whitened by A(z) */
		s->x[p] = tx[i];
		xwv = xv;
		for (k = 1; k <= LPC_ORDER; k++) {
			float xo = s->x[p - k];

			xwv += s->a[k] * xo;
			s->racc[k] += xv * xo;
		}
		s->racc[0] += xv * xv;
		s->xw[p] = xwv;
		base = p - s->ws - nw; /* the window's oldest lag, one sample ago */
		nv = s->xw[p - s->ws];
		ov = s->xw[base];
		s->pw += nv * nv - ov * ov;
		if (s->pw < 0.0f)
			s->pw = 0.0f;
		/* lag-one sums over the window: the background taps'
		 * outputs before their update (see ADAPT_BODY) */
		s->q1 += s->xw[p - s->ws - 1] * nv - s->xw[(int)base - 1] * ov;
		s->q2 += s->xw[p - s->ws - 1] * (float)s->x[p - s->ws] -
			 s->xw[(int)base - 1] * (float)s->x[base];

		/* background: update with the previous error, then estimate;
		 * foreground: estimate only */
		yb = s->adapt(s->wb, s->xw + base, s->x + base + 1, s->c, nw, &ybw);
		yf = s->dot(s->wf, s->xw + base + 1, s->x + base + 1, nw, &yfw);
		if (!(fabsf(yb) < 1e6f && fabsf(ybw) < 1e6f)) {
			/* cannot happen with the step bounds below; never let
			 * a numerical accident reach the line */
			memcpy(s->wb, s->wf, nw * sizeof(float));
			yb = ybw = 0.0f;
		}
		if (!(fabsf(yf) < 1e6f)) {
			memset(s->wf, 0, nw * sizeof(float));
			yf = 0.0f;
		}
		e = d - yf;
		/* the background error with its taps before the last update
		 * (see the comparison below) */
		eb = d - yb + s->c * s->q2;

		/* rx whitened, A(z)d, and the background error in that domain */
		dw = d;
		for (k = 1; k <= LPC_ORDER; k++)
			dw += s->a[k] * s->dhist[k - 1];
		ew = dw - ybw;
		s->swd += (dw * dw - s->swd) * (1.0f / 64);
		ewp = ew + s->c * s->q1;
		s->swb += (ewp * ewp - s->swb) * (1.0f / 64);
		s->swf += ((dw - yfw) * (dw - yfw) - s->swf) * (1.0f / 64);
		memmove(s->dhist + 1, s->dhist, (LPC_ORDER - 1) * sizeof(float));
		s->dhist[0] = d;

		/* short-term powers, 8 ms */
		s->sx += (xv * xv - s->sx) * (1.0f / 64);
		s->sd += (d * d - s->sd) * (1.0f / 64);
		s->se += (e * e - s->se) * (1.0f / 64);
		s->sb += (eb * eb - s->sb) * (1.0f / 64);
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
		/* counted over far-end speech only: pauses (syllables,
		 * css) must not restart the count. A residual louder than
		 * rx counts double: near-end speech adds to both alike,
		 * only an estimate unrelated to the echo (a changed path)
		 * makes the residual louder than rx. */
		if (s->geigel_hold || (far && !energy_dt))
			s->energy_run = 0;
		else if (energy_dt)
			s->energy_run += s->se > s->sd ? 2 : 1;
		if (s->energy_run > 2000) {
			/* 250 ms of a poor residual (125 ms of one louder
			 * than rx) that the (ERL-scaled) Geigel does not call
			 * near-end speech: the echo path changed. Forget
			 * convergence: larger step, delay search again. Only
			 * the residual power is reset, to rx's: ld / le then
			 * reads 0 dB ERLE and converges again with the
			 * long-term averages. Clearing ld and le (as before)
			 * let one sample make ld > 16 le, with ld / lx near 0
			 * the ERL-following Geigel threshold sat at its floor,
			 * every sample was double talk, the powers froze and
			 * adaptation stopped for good (G.168 D.2 -> D.3/D.4/D.6
			 * never re-converged). 250 ms for every case left
			 * D.7-D.9 at 22-27 dB combined loss 1 s after the
			 * change; 125 ms for every case forgot convergence
			 * under near-end speech at the echo's level (SDR 40 ->
			 * 23 dB); this split gives 28-44 dB 1 s after every
			 * Annex D change (check_ec.c test_g168_path_change)
			 * and leaves weak double talk as it was
			 * (test_double_talk_weak). */
			s->le = s->ld;
			s->energy_run = 0;
			converged = energy_dt = false;
		}
		dt = s->geigel_hold || energy_dt;

		s->c = 0.0f;
		if (far && (!s->geigel_hold || !converged)) {
			float mu = converged ? MU1 : MU0;

			if (energy_dt)
				mu = 0.0f;
			/* before convergence the Geigel detector false-alarms on
			 * 6 dB hybrids (its threshold assumes the worst ERL);
			 * a wrong alarm would stop convergence for 100 ms, while
			 * near-end speech cannot reach the output filter (the
			 * comparison below) */
			if (s->geigel_hold)
				mu *= 0.5f;
			s->c = mu * ew / (s->pw + delta);
		}
		if (s->corr && converged != s->corr_idle) {
			/* the window only moves while not converged: the
			 * correlation rests meanwhile, and starts afresh when
			 * convergence is lost (the echo path changed) */
			s->corr_idle = converged;
			if (!converged) {
				memset(s->corr, 0, n * sizeof(float));
				s->ed = 0.0f;
				s->peak_runs = 0;
				s->corr_n = 0;
			}
		}
		if (s->corr && !converged && !s->geigel_hold) {
			/* every lag, whether the far end speaks now or not: rx
			 * then still holds the echo of what it said before.
			 * Every sample for CORR_SEARCH samples; a canceller
			 * still not converged then (a noisy line, no echo)
			 * correlates every CORR_SLOW-th sample, weighted so,
			 * to bound its CPU. */
			unsigned step = s->corr_n < CORR_SEARCH ? 1 : CORR_SLOW;

			if (++s->corr_n % step == 0) {
				s->corr_add(s->corr, s->xw + p - n + 1, dw * (float)step, n);
				s->ed += dw * dw * (float)step;
			}
			s->ed *= CORR_LAMBDA;
		}
		if (s->corr) {
			s->ex = s->ex * CORR_LAMBDA + xwv * xwv;
			if ((s->seen & (EX_STEP - 1)) == 0) {
				s->exh[s->exh_i] = s->ex;
				s->exh_i = (s->exh_i + 1) % EX_HIST;
			}
		}

		/* Background / foreground, every 4 ms. The comparison is on
		 * the errors, the background's taken with its taps
		 * before the last update: that update carries the last error,
		 * so with it the background filter partly follows whatever rx
		 * holds besides the echo, and under near-end speech the
		 * detector missed it would look better than the output filter
		 * (measured: 2-3 dB whitened, up to 13 dB on raw samples).
		 * Both measures (whitened and raw) are taken that way.
		 * The output filter takes the background taps when they cancel
		 * better (1.5 dB) and at least 9 dB; a background filter 6 dB
		 * behind a working output filter (pulled away by missed double
		 * talk) gets the output filter's taps back. */
		if (--s->xfer == 0) {
			bool better = s->swb < 0.7f * s->swf && s->sb < 0.125f * s->sd;

			s->xfer = XFER_EVERY;
			if (far && !s->geigel_hold && better) {
				memcpy(s->wf, s->wb, nw * sizeof(float));
				s->se = s->sb;
				s->swf = s->swb;
			} else if (s->swb > 4.0f * s->swf && s->swf < 0.125f * s->swd) {
				memcpy(s->wb, s->wf, nw * sizeof(float));
				s->sb = s->se;
				s->swb = s->swf;
				s->c = 0.0f;
			}
		}

		if (far && !dt) {
			s->lx += (xv * xv - s->lx) * (1.0f / 2048);
			s->ld += (d * d - s->ld) * (1.0f / 2048);
			s->le += (e * e - s->le) * (1.0f / 2048);
		}
		if (far) {
			s->far_samples++;
			s->dt_samples += dt;
		}
		if (!far) {
			/* comfort noise level: slow-rising minimum of the residual */
			s->noise = s->se < s->noise ? s->se : s->noise * 1.0005f;
		}

		if (s->nlp && far && !dt && converged) {
			float u = (float)(int32_t)rng_next(&s->rng) * (1.0f / 2147483648.0f);

			e = u * sqrtf(3.0f * s->noise);
		}
		out[i] = sat16(e);

		s->seen = s->seen < n ? s->seen + 1 : n + ((s->seen + 1) & (EX_STEP - 1));
		if (++s->p == n + SHIFT_BLOCK)
			slide(s, converged);
		else if (s->p == n + CORR_EVERY && s->corr_n < CORR_SEARCH)
			delay_update(s, converged);
	}
}

static uint64_t nlms_double_talk(const void *st, uint64_t *far)
{
	const struct nlms *s = st;

	*far = s->far_samples;
	return s->dt_samples;
}

static size_t nlms_state_bytes(const void *st)
{
	const struct nlms *s = st;

	return nlms_bytes(s->n, s->nw);
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
