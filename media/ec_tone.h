/* G.165 / G.164 answer tone disabler: 2100 Hz with periodic phase reversals.
 *
 * G.165 (tone disabler) and V.25 / V.8: an echo canceller is disabled by a 2100 Hz tone (+-21 Hz)
 * whose phase is reversed by 180 degrees every 450 ms (V.25 ANSam / V.8 modems, echo-cancelling
 * data modems). A 2100 Hz tone WITHOUT reversals disables echo suppressors (G.164) but must not
 * disable an echo canceller (fax and older modems want it on).
 *
 * Method: the signal is demodulated to baseband at 2100 Hz and averaged
 * over 5 ms blocks (exactly 10.5 periods of 2100 Hz, so the double-frequency
 * product cancels). A block carries the tone when its level is above
 * -31 dBm0 and the baseband power is most of the block power. A reversal is
 * a phase jump of more than 120 degrees between blocks 10 ms apart, after the
 * steady drift caused by a frequency offset is removed. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define EC_TONE_BLOCK  40 /* 5 ms */
#define EC_TONE_PERIOD 80 /* 2100/8000 = 21/80: the phasor repeats every 80 samples */

struct ec_tone {
	unsigned phase;	    /* index into the phasor table (one for all, ec_tone.c) */
	unsigned fill;	    /* samples in the current block */
	float zr, zi, p;    /* block sums */
	float hr[3], hi[3]; /* baseband of the last 3 blocks, [0] newest */
	bool hpure[3];
	float dr, di;	   /* smoothed block-to-block drift phasor */
	unsigned tone_run; /* consecutive tone blocks */
	unsigned gap;	   /* tolerated non-tone blocks inside a run */
	unsigned holdoff;  /* blocks before the next reversal test */
	unsigned confirm;  /* tone blocks still needed after a reversal */
	unsigned reversals;
	bool detected; /* tone with phase reversal seen (latched) */
};

void ec_tone_init(struct ec_tone *t);
/* Feed samples; returns true once the tone with a phase reversal has been
 * detected (latched until ec_tone_init). */
bool ec_tone_rx(struct ec_tone *t, const int16_t *x, size_t n);
