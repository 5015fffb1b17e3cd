/* ISUP continuity check tones (ITU-T Q.724 clause 7, Q.764 2.1.8).
 *
 * The exchange that tests sends the check tone, 2000 +-20 Hz at -12 dBm0,
 * and listens for it to come back: a 4-wire circuit's far end loops the
 * channel back, so 2000 Hz returns; a 2-wire far end uses a transceiver
 * that answers 2000 Hz with 1780 +-20 Hz. The signalling side runs the
 * timers (T24 etc.) and the loop-back itself is a worker copy; this object
 * is the tone transceiver on 8 kHz linear samples. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/g711.h"
#include "media/tones.h"

#define COT_CHECK_HZ	  2000
#define COT_TRANSCEIVE_HZ 1780
#define COT_SEND_DBM0	  -12.0
#define COT_BLOCK	  80 /* 10 ms */

enum cot_mode {
	COT_IDLE,
	COT_ORIG_4W,	/* send 2000 Hz, expect 2000 Hz back */
	COT_ORIG_2W,	/* send 2000 Hz, expect 1780 Hz back */
	COT_TRANSCEIVE, /* far end of a 2-wire circuit: answer 2000 with 1780 */
};

enum cot_event {
	COT_EV_NONE,
	COT_EV_TONE_ON,	 /* expected tone recognised */
	COT_EV_TONE_OFF, /* expected tone gone */
};

struct cot {
	enum cot_mode mode;
	enum g711_law law;
	struct tone_osc osc;
	float amp;
	bool sending;
	double min_ms;	    /* mean-square threshold for detection */
	unsigned recog_blk; /* blocks of tone to recognise */
	unsigned release_blk;
	double expect_hz;
	int16_t blk[COT_BLOCK];
	unsigned fill;
	unsigned on_run, off_run;
	bool present;
};

/* threshold_dbm0: weakest returned tone accepted. recog_ms: Q.724 asks
 * the receiver to recognise within 30-60 ms; 40 is used by default. */
void cot_init(struct cot *c, enum g711_law law, double threshold_dbm0, unsigned recog_ms);
void cot_start(struct cot *c, enum cot_mode mode);
void cot_stop(struct cot *c);
/* rx: samples from the circuit (may be NULL: silence); tx: samples toward
 * the circuit, written when this side sends (left untouched otherwise).
 * Returns the first event within the n samples. */
enum cot_event cot_process(struct cot *c, const int16_t *rx, int16_t *tx, size_t n);
bool cot_tone_present(const struct cot *c);
const char *cot_event_name(enum cot_event ev);
const char *cot_mode_name(enum cot_mode mode);
