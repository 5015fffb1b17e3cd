/* 2100 Hz answer tone and phase reversal detection. */
#include <math.h>
#include <string.h>

#include "media/ans_det.h"
#include "media/tones.h"

#define ANS_HZ 2100.0
/* G.164: the disabler operates for 2100 +-15 Hz; measurement noise on a
 * pure tone is far below a hertz, so only a little margin is added. */
#define ANS_TOL_HZ 17.0
/* V.25 / G.165: reversals every 450 +-25 ms; a block is 10 ms, so allow
 * one block either side on top. */
#define REV_MIN_BLK 42
#define REV_MAX_BLK 48
#define BLK_S	    (ANS_BLOCK / (double)TONE_RATE)

void ans_det_init(struct ans_det *d, enum g711_law law, double threshold_dbm0, unsigned recog_ms)
{
	double a = tone_dbm0_amp(law, threshold_dbm0);

	memset(d, 0, sizeof(*d));
	d->law = law;
	d->min_ms = a * a / 2;
	d->recog_blk = recog_ms / 10 ? recog_ms / 10 : 1;
	for (unsigned i = 0; i < ANS_BLOCK; i++) {
		double a = 2 * M_PI * ANS_HZ * i / TONE_RATE;

		d->ref_c[i] = (float)cos(a);
		d->ref_s[i] = (float)sin(a);
	}
}

static double wrap(double p)
{
	while (p > M_PI)
		p -= 2 * M_PI;
	while (p < -M_PI)
		p += 2 * M_PI;
	return p;
}

static void lose_tone(struct ans_det *d)
{
	d->run = 0;
	d->gap = 0;
	d->have_prev = d->have_prev2 = false;
	d->drift = 0;
	d->drift_n = 0;
	d->have_rev = false;
	d->reversals = 0;
}

static enum ans_event block(struct ans_det *d)
{
	double e = 0, zr = 0, zi = 0, ratio, ph;
	enum ans_event ev = ANS_EV_NONE;
	bool tone;

	/* Correlate with exp(-j w n) on the absolute sample index (blocks
	 * start at multiples of 80, where the reference phase is zero), so a
	 * steady tone keeps a steady phase across blocks. */
	for (unsigned i = 0; i < ANS_BLOCK; i++) {
		double x = d->blk[i];

		e += x * x;
		zr += x * d->ref_c[i];
		zi -= x * d->ref_s[i];
	}
	e /= ANS_BLOCK;
	/* A pure tone of amplitude A: |Z| = A N / 2 and e = A^2 / 2. */
	ratio = e > 0 ? 2 * (zr * zr + zi * zi) / ((double)ANS_BLOCK * ANS_BLOCK) / e : 0;
	tone = e >= d->min_ms && ratio > 0.8;
	d->blkno++;
	if (!tone) {
		/* A reversal inside a block cancels part of it: tolerate a
		 * single weak block within the tone. */
		if (d->run && ++d->gap <= 1)
			return ANS_EV_NONE;
		if (d->ans_sent) {
			d->ans_sent = d->pr_sent = false;
			ev = ANS_EV_END;
		}
		lose_tone(d);
		return ev;
	}
	ph = atan2(zi, zr);
	if (!d->run)
		d->onset_blk = d->blkno;
	d->run++;
	if (d->have_prev && d->gap == 0) {
		double adv = wrap(ph - d->ph_prev);
		double dev = d->drift_n ? wrap(adv - d->drift) : 0;

		if (d->drift_n >= 3 && fabs(dev) > 2 * M_PI / 3) {
			/* A step of about 180 degrees: reversal at this
			 * block's boundary. */
			uint64_t since = d->blkno - (d->have_rev ? d->last_rev_blk : d->onset_blk);

			if (!d->have_rev || d->blkno - d->last_rev_blk > 3) {
				if (since >= REV_MIN_BLK && since <= REV_MAX_BLK)
					d->reversals++;
				else
					d->reversals = 0;
				d->have_rev = true;
				d->last_rev_blk = d->blkno;
			}
		} else if (fabs(dev) < 0.5) {
			d->drift = d->drift_n ? 0.8 * d->drift + 0.2 * adv : adv;
			d->drift_n++;
		}
	} else if (d->have_prev2 && d->gap == 1 && d->drift_n >= 3) {
		/* Across the weak block: two advances expected. */
		double dev = wrap(ph - d->ph_prev2 - 2 * d->drift);

		if (fabs(dev) > 2 * M_PI / 3 && (!d->have_rev || d->blkno - d->last_rev_blk > 3)) {
			uint64_t since =
				d->blkno - 1 - (d->have_rev ? d->last_rev_blk : d->onset_blk);

			if (since >= REV_MIN_BLK && since <= REV_MAX_BLK)
				d->reversals++;
			else
				d->reversals = 0;
			d->have_rev = true;
			d->last_rev_blk = d->blkno - 1;
		}
	}
	d->gap = 0;
	d->ph_prev2 = d->ph_prev;
	d->have_prev2 = d->have_prev;
	d->ph_prev = (float)ph;
	d->have_prev = true;
	if (d->drift_n >= 5 && fabs(d->drift / (2 * M_PI * BLK_S)) > ANS_TOL_HZ)
		return ANS_EV_NONE; /* a tone, but not 2100 +-15 Hz */
	if (!d->ans_sent && d->run >= d->recog_blk && d->drift_n >= 5) {
		d->ans_sent = true;
		return ANS_EV_ANS;
	}
	if (d->ans_sent && !d->pr_sent && d->reversals >= 1) {
		d->pr_sent = true;
		return ANS_EV_ANS_PR;
	}
	return ANS_EV_NONE;
}

enum ans_event ans_det_rx(struct ans_det *d, const int16_t *x, size_t n)
{
	enum ans_event first = ANS_EV_NONE, ev;

	for (size_t i = 0; i < n; i++) {
		d->blk[d->fill++] = x[i];
		d->n++;
		if (d->fill == ANS_BLOCK) {
			d->fill = 0;
			ev = block(d);
			if (first == ANS_EV_NONE)
				first = ev;
		}
	}
	return first;
}

const char *ans_event_name(enum ans_event ev)
{
	switch (ev) {
	case ANS_EV_NONE:
		return "none";
	case ANS_EV_ANS:
		return "ANS";
	case ANS_EV_ANS_PR:
		return "/ANS";
	case ANS_EV_END:
		return "end";
	}
	return "?";
}
