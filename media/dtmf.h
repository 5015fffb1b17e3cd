/* In-band DTMF on the 8 kHz TDM side.
 *
 * Detection runs spandsp's dtmf_rx (Q.24 receiver) and reports each digit's
 * start and end with its duration, which drives the RFC 4733 sender. The
 * audio passed through is delayed by a short look-ahead so that a digit can
 * be removed from it completely once detected (detection needs a few tens
 * of ms of tone; without the delay that much tone would leak to RTP).
 *
 * Generation plays RFC 4733 events toward TDM as Q.23 dual tones. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/g711.h"
#include "media/tones.h"

#define DTMF_MAX_DELAY	   800 /* samples (100 ms) */
#define DTMF_DEFAULT_DELAY 400

/* spandsp's receiver confirms a digit about 250 samples (two or three of
 * its 102-sample blocks) after the tone starts and its end about 195
 * samples after the tone stops (measured on this build, +-50 samples).
 * Events are back-dated by these so that start and duration describe the
 * tone itself, as RFC 4733 wants (2.5.1.1: the timestamp is the onset). */
#define DTMF_START_LAG 250
#define DTMF_END_LAG   195

struct dtmf_event {
	char digit;
	bool end;
	uint64_t start;	      /* estimated onset, input sample index */
	uint64_t detected_at; /* input sample index of this report */
	uint32_t duration;    /* estimated tone length in samples, on the end event */
	int level_dbm0;	      /* as spandsp reports it, on the start event */
};

typedef void (*dtmf_event_cb)(const struct dtmf_event *ev, void *priv);

struct dtmf_det;

/* delay: look-ahead in samples (0..DTMF_MAX_DELAY); 0 disables
 * suppression delay (the tone start then leaks). */
struct dtmf_det *dtmf_det_alloc(void *ctx, unsigned delay, dtmf_event_cb cb, void *priv);
void dtmf_det_free(struct dtmf_det *d);
/* Detect on samples and, in place, replace them with the delayed audio
 * with any detected digit muted. */
void dtmf_det_rx(struct dtmf_det *d, int16_t *samples, size_t n);
bool dtmf_det_in_digit(const struct dtmf_det *d);

/* Q.23 dual-tone generator. */
struct dtmf_gen {
	struct tone_osc lo, hi;
	float a_lo, a_hi;
	bool active;
};

/* Levels per frequency in dBm0 (the high group is usually sent 2 dB above
 * the low group: "pre-emphasis" per Q.23 allows for the line's tilt).
 * Returns 0 or -EINVAL for a non-DTMF digit. */
int dtmf_gen_start(struct dtmf_gen *g, char digit, enum g711_law law, double lo_dbm0,
		   double hi_dbm0);
void dtmf_gen_stop(struct dtmf_gen *g);
/* Write n samples: the tone while active, else leave out untouched.
 * Returns true when it wrote. */
bool dtmf_gen_fill(struct dtmf_gen *g, int16_t *out, size_t n);
