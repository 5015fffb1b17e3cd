/* Continuity check transceiver. */
#include <math.h>
#include <string.h>

#include "media/cot.h"

void cot_init(struct cot *c, enum g711_law law, double threshold_dbm0, unsigned recog_ms)
{
	double a = tone_dbm0_amp(law, threshold_dbm0);

	memset(c, 0, sizeof(*c));
	c->law = law;
	c->min_ms = a * a / 2;
	c->recog_blk = recog_ms >= 10 ? recog_ms / 10 : 1;
	/* Drop-out must last as long as recognition before TONE_OFF, so a
	 * short hit on the transmission path does not end the check. */
	c->release_blk = c->recog_blk;
	c->amp = (float)tone_dbm0_amp(law, COT_SEND_DBM0);
}

void cot_start(struct cot *c, enum cot_mode mode)
{
	c->mode = mode;
	c->fill = 0;
	c->on_run = c->off_run = 0;
	c->present = false;
	switch (mode) {
	case COT_ORIG_4W:
		c->expect_hz = COT_CHECK_HZ;
		c->sending = true;
		tone_osc_init(&c->osc, COT_CHECK_HZ);
		break;
	case COT_ORIG_2W:
		c->expect_hz = COT_TRANSCEIVE_HZ;
		c->sending = true;
		tone_osc_init(&c->osc, COT_CHECK_HZ);
		break;
	case COT_TRANSCEIVE:
		/* Answer only while the check tone is heard. */
		c->expect_hz = COT_CHECK_HZ;
		c->sending = false;
		tone_osc_init(&c->osc, COT_TRANSCEIVE_HZ);
		break;
	case COT_IDLE:
		c->sending = false;
		break;
	}
}

void cot_stop(struct cot *c)
{
	cot_start(c, COT_IDLE);
}

bool cot_tone_present(const struct cot *c)
{
	return c->present;
}

static enum cot_event block(struct cot *c)
{
	double e = tone_mean_square(c->blk, COT_BLOCK);
	double p = tone_goertzel(c->blk, COT_BLOCK, c->expect_hz);
	/* Most of the power at the expected frequency: a 10 ms Goertzel's
	 * main lobe is +-100 Hz wide, so 1780 and 2000 Hz (220 Hz apart)
	 * fall outside each other's. */
	bool tone = e >= c->min_ms && p > 0.6 * e;

	if (tone) {
		c->off_run = 0;
		if (!c->present && ++c->on_run >= c->recog_blk) {
			c->present = true;
			if (c->mode == COT_TRANSCEIVE)
				c->sending = true;
			return COT_EV_TONE_ON;
		}
	} else {
		c->on_run = 0;
		if (c->present && ++c->off_run >= c->release_blk) {
			c->present = false;
			if (c->mode == COT_TRANSCEIVE)
				c->sending = false;
			return COT_EV_TONE_OFF;
		}
	}
	return COT_EV_NONE;
}

enum cot_event cot_process(struct cot *c, const int16_t *rx, int16_t *tx, size_t n)
{
	enum cot_event first = COT_EV_NONE, ev;

	if (c->mode == COT_IDLE)
		return COT_EV_NONE;
	for (size_t i = 0; i < n; i++) {
		c->blk[c->fill++] = rx ? rx[i] : 0;
		if (c->fill == COT_BLOCK) {
			c->fill = 0;
			ev = block(c);
			if (first == COT_EV_NONE)
				first = ev;
		}
		if (c->sending && tx)
			tx[i] = (int16_t)lrintf(c->amp * tone_osc_next(&c->osc));
	}
	tone_osc_renorm(&c->osc);
	return first;
}

const char *cot_event_name(enum cot_event ev)
{
	switch (ev) {
	case COT_EV_NONE:
		return "none";
	case COT_EV_TONE_ON:
		return "tone-on";
	case COT_EV_TONE_OFF:
		return "tone-off";
	}
	return "?";
}

const char *cot_mode_name(enum cot_mode mode)
{
	switch (mode) {
	case COT_IDLE:
		return "idle";
	case COT_ORIG_4W:
		return "originate-4w";
	case COT_ORIG_2W:
		return "originate-2w";
	case COT_TRANSCEIVE:
		return "transceiver";
	}
	return "?";
}
