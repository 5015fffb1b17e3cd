/* Echo canceller test bench (library code: no I/O, no globals).
 *
 * Builds a far-end signal, passes it through an echo path model (pure delay
 * + a dispersive hybrid response scaled to the requested ERL, in the manner
 * of the G.168 Annex D echo path models), adds background noise and, for
 * double talk, near-end speech; runs one canceller over it in 10 ms blocks
 * and measures ERLE over time on the samples where the far end is active,
 * time to 20 dB, steady-state ERLE, near-end distortion under double talk
 * and thread CPU time. Deterministic for a given seed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "media/ec.h"

enum ec_bench_signal {
	EC_BENCH_NOISE,	 /* white Gaussian noise */
	EC_BENCH_CSS,	 /* composite source signal: voiced, unvoiced, pause */
	EC_BENCH_SPEECH, /* speech-spectrum noise with syllabic envelope and pauses */
};

#define EC_BENCH_PATHS 4 /* echo path models 1..4 */

struct ec_bench_cfg {
	const struct ec_ops *ops; /* NULL: default */
	unsigned tail_ms;	  /* 0: default */
	unsigned delay_ms;	  /* 0..120 bulk delay before the dispersive part */
	float erl_db;		  /* 6..24 */
	enum ec_bench_signal signal;
	bool double_talk; /* near-end speech at the far end's level, middle third */
	float near_db;	  /* double talk: near end this many dB under the far end (0: equal) */
	bool nlp;
	float seconds;	  /* 0: 4 s (6 s with double talk) */
	unsigned path;	  /* 1..EC_BENCH_PATHS, 0: 1 */
	float level_dbm0; /* far-end active level, 0: -16 dBm0 */
	float noise_dbm0; /* background noise at the near end, 0: -70 dBm0 */
	unsigned block;	  /* samples per ec_process call, 0: 80 */
	uint32_t seed;
	/* ITU-T G.168 Annex D echo path models (the coefficients spandsp
	 * ships in spandsp/g168models.h): 2..9 for D.2..D.9, replacing path;
	 * 0: tandem's synthetic paths above */
	unsigned g168;
	/* echo path change (G.168 test 2 re-convergence): at change_s seconds
	 * the path becomes model change_g168 (2..9) after change_delay_ms of
	 * bulk delay, at the same ERL; 0: no change */
	float change_s;
	unsigned change_g168;
	unsigned change_delay_ms;
};

#define EC_BENCH_G168_FIRST 2
#define EC_BENCH_G168_LAST  9

struct ec_bench_result {
	float erle_db_1s;	 /* ERLE over 0.5..1.0 s */
	float erle_db_steady;	 /* last quarter (single talk), or last sixth after double talk */
	int32_t ms_to_20db;	 /* first 100 ms window with ERLE >= 20 dB; -1 never */
	float dt_distortion_db;	 /* 10 log((Ps + Pr) / Ps) during double talk; 0 without */
	float dt_sdr_db;	 /* 10 log(Ps / Pr) during double talk */
	float erle_db_before_dt; /* 0.5 s before double talk */
	float erle_db_after_dt;	 /* 0.5 s right after it */
	double us_per_channel_second; /* thread CPU time in ec_process */
	size_t state_bytes;
	/* after an echo path change: ERLE over 0.5..1.0 s after it, and the
	 * first 100 ms window after it with ERLE >= 20 dB (ms; -1 never) */
	float erle_db_change_1s;
	int32_t ms_to_20db_change;
	struct ec_metrics metrics; /* the canceller's own view at the end */
};

int ec_bench_signal_parse(const char *s, enum ec_bench_signal *out);
const char *ec_bench_signal_name(enum ec_bench_signal s);

/* Returns 0, -EINVAL for out-of-range parameters, -ENOMEM. Temporary
 * buffers are talloc children of ctx, freed before returning. */
int ec_bench_run(void *ctx, const struct ec_bench_cfg *cfg, struct ec_bench_result *res);
