/* 2100 Hz answer-tone detector (ITU-T G.164 / G.165, V.25 ANS and /ANS).
 *
 * Works on 10 ms blocks of 8 kHz samples. A block holds the tone when the
 * 2100 Hz correlation carries most of its power and the level is above the
 * threshold; the block-to-block phase advance measures the frequency
 * offset exactly enough to enforce 2100 +-15 Hz, and a step of about 180
 * degrees beyond that advance is a phase reversal. Events:
 *   ANS     2100 Hz held for the recognition time (G.164 tone disabler;
 *           an echo suppressor must switch off)
 *   ANS_PR  /ANS: phase reversals at 450 +-25 ms intervals (G.165: an
 *           echo canceller must switch off)
 *   END     the tone stopped after ANS was reported. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/g711.h"

enum ans_event {
	ANS_EV_NONE,
	ANS_EV_ANS,
	ANS_EV_ANS_PR,
	ANS_EV_END,
};

#define ANS_BLOCK 80

struct ans_det {
	enum g711_law law;
	double min_ms;	    /* level threshold as mean square */
	unsigned recog_blk; /* blocks of tone before ANS */
	/* running block */
	int16_t blk[ANS_BLOCK];
	/* 2100/8000 = 21/80: the reference phasor repeats every block, so
	 * one block of cos/sin is all the correlation needs. */
	float ref_c[ANS_BLOCK], ref_s[ANS_BLOCK];
	unsigned fill;
	uint64_t n; /* samples seen */
	uint64_t blkno;
	/* tone tracking */
	unsigned run; /* consecutive tone blocks (gaps of one allowed) */
	unsigned gap;
	bool have_prev, have_prev2;
	float ph_prev, ph_prev2;
	double drift; /* phase advance per block, rad */
	unsigned drift_n;
	uint64_t onset_blk;
	uint64_t last_rev_blk;
	bool have_rev;
	unsigned reversals;
	bool ans_sent, pr_sent;
};

/* threshold_dbm0: weakest tone accepted (G.164 asks for detection down
 * to -31 dBm0). recog_ms: time the tone must be present before ANS. */
void ans_det_init(struct ans_det *d, enum g711_law law, double threshold_dbm0, unsigned recog_ms);
/* Feed samples; returns the first event raised within them (at most one
 * per block; callers feed 10-30 ms at a time). */
enum ans_event ans_det_rx(struct ans_det *d, const int16_t *x, size_t n);
const char *ans_event_name(enum ans_event ev);
