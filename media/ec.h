/* Line echo canceller interface (ITU-T G.168), one instance per TDM channel.
 *
 * The TDM side returns an echo of what tandem sends toward it (the 2-wire /
 * 4-wire hybrid). ec_process() takes the samples sent toward TDM (tx, the far
 * end's speech) and those received from TDM (rx, near end plus echo) and
 * writes rx with the echo removed. 8 kHz, 16-bit linear.
 *
 * Several implementations sit behind one interface and are picked by name
 * (ec_find): "tandem" (media/ec_nlms.c, the default), "spandsp", "speex".
 * All state is allocated by ec_alloc(); ec_process() never allocates.
 *
 * The generic layer (media/ec.c) adds to every implementation: enable /
 * disable (the caller decides, e.g. from the ISUP nature-of-connection
 * "echo control device included" indicator), the G.165 2100 Hz answer tone
 * with phase reversals disabler (re-enabled by ec_reset at call end), and the
 * per-call metrics. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EC_RATE		   8000
#define EC_TAIL_MS_MIN	   32
#define EC_TAIL_MS_MAX	   128
#define EC_TAIL_MS_DEFAULT 128

struct ec;

struct ec_params {
	const struct ec_ops *ops; /* NULL: the default ("tandem") */
	unsigned tail_ms;	  /* 32..128, 0 = EC_TAIL_MS_DEFAULT */
	bool nlp;		  /* non-linear processor + comfort noise */
	bool tone_disable;	  /* G.165 2100 Hz + phase reversal disabler */
};

/* Why the canceller is not cancelling. */
enum ec_state {
	EC_S_ACTIVE,
	EC_S_DISABLED,	    /* by the caller (ec_enable(ec, false)) */
	EC_S_TONE_DISABLED, /* 2100 Hz with phase reversals seen (G.165) */
};

struct ec_metrics {
	float erl_db;		 /* echo return loss: tx power / rx power, far end only */
	float erle_db;		 /* rx power / out power, far end only, smoothed */
	int32_t convergence_ms;	 /* far-end-active time until ERLE >= 20 dB; -1 not yet */
	float double_talk_share; /* share of far-end-active samples under double talk (the
				  * implementation's own far-end detection: <= 1) */
	uint64_t samples;	 /* processed samples */
	uint64_t far_active;	 /* of which the far end was active */
	uint64_t double_talk;	 /* of which the canceller saw double talk */
	enum ec_state state;
};

/* An implementation. process() handles any n; latency is the fixed delay (in
 * samples) of out behind rx (0 for sample-by-sample cancellers). */
struct ec_ops {
	const char *name;
	/* Allocate the implementation state as a talloc child of ctx; NULL on
	 * failure. tail is in samples (already validated). */
	void *(*alloc)(void *ctx, unsigned tail, const struct ec_params *p);
	void (*process)(void *st, const int16_t *tx, const int16_t *rx, int16_t *out, size_t n);
	void (*reset)(void *st);
	/* Samples flagged as double talk since the last reset (NULL: unknown),
	 * and in *far the samples the implementation itself took as far-end
	 * active (double talk is only judged there). */
	uint64_t (*double_talk)(const void *st, uint64_t *far);
	/* Bytes of per-channel state (0: unknown, e.g. a library's private state). */
	size_t (*state_bytes)(const void *st);
	unsigned latency;
};

const struct ec_ops *ec_find(const char *name);
/* NULL-terminated list of the implementations built in. */
const struct ec_ops *const *ec_impls(void);

/* Returns the canceller (a talloc child of ctx) or NULL (bad parameters, or
 * out of memory). */
struct ec *ec_alloc(void *ctx, const struct ec_params *p);
void ec_free(struct ec *ec);

/* Cancel the echo of tx in rx into out (out must not overlap tx or rx: the
 * metrics read rx after the implementation wrote out). n is any block
 * length; out lags rx by ec_ops(ec)->latency samples. */
void ec_process(struct ec *ec, const int16_t *tx, const int16_t *rx, int16_t *out, size_t n);

/* Call end: clear the filter, metrics and the tone disabler; the caller's
 * enable flag is kept. */
void ec_reset(struct ec *ec);
/* Caller control (ISUP-aware: disable when the nature-of-connection
 * indicators say an echo control device is already included, Q.763 3.35). */
void ec_enable(struct ec *ec, bool on);
enum ec_state ec_state(const struct ec *ec);
void ec_metrics(const struct ec *ec, struct ec_metrics *m);
const struct ec_ops *ec_ops(const struct ec *ec);
/* Bytes of state of this channel (the wrapper's and the implementation's;
 * 0 when the implementation cannot tell). */
size_t ec_state_bytes(const struct ec *ec);

extern const struct ec_ops ec_nlms_ops;
extern const struct ec_ops ec_spandsp_ops;
extern const struct ec_ops ec_speex_ops;
/* speexdsp on 20 and 32 ms frames: bench candidates, not in ec_impls() */
extern const struct ec_ops ec_speex160_ops;
extern const struct ec_ops ec_speex256_ops;
