/* DTMF detection (spandsp dtmf_rx) with suppression, and Q.23 generation. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <spandsp.h>
#include <talloc.h>

#include "media/dtmf.h"

/* Feed the receiver in slices this long so events are timed to within
 * 5 ms rather than to the caller's packet. */
#define SLICE 40

struct dtmf_det {
	dtmf_rx_state_t *rx;
	dtmf_event_cb cb;
	void *priv;
	unsigned delay;
	int16_t line[DTMF_MAX_DELAY];
	unsigned head;
	uint64_t in_pos;    /* samples given to the receiver so far */
	uint64_t out_pos;   /* samples handed back so far */
	uint64_t slice_end; /* in_pos at the end of the slice being analysed */
	bool in_digit;
	char digit;
	uint64_t digit_start;
	uint64_t mute_until; /* out_pos before which output stays muted */
};

static int det_destroy(struct dtmf_det *d)
{
	if (d->rx)
		dtmf_rx_free(d->rx);
	return 0;
}

static void rt_cb(void *user_data, int code, int level, int delay)
{
	struct dtmf_det *d = user_data;
	struct dtmf_event ev = {0};

	(void)delay;
	if (code) {
		if (d->in_digit)
			return;
		d->in_digit = true;
		d->digit = (char)code;
		d->digit_start = d->slice_end > DTMF_START_LAG ? d->slice_end - DTMF_START_LAG : 0;
		ev.digit = (char)code;
		ev.start = d->digit_start;
		ev.detected_at = d->slice_end;
		ev.level_dbm0 = level;
	} else {
		if (!d->in_digit)
			return;
		d->in_digit = false;
		ev.digit = d->digit;
		ev.end = true;
		ev.start = d->digit_start;
		ev.detected_at = d->slice_end;
		ev.duration = d->slice_end - DTMF_END_LAG > d->digit_start
				      ? (uint32_t)(d->slice_end - DTMF_END_LAG - d->digit_start)
				      : 0;
		/* The tone's tail is still in the delay line: keep muting
		 * until it has left, plus one slice for the detector's own
		 * end lag. */
		d->mute_until = d->out_pos + d->delay + SLICE;
	}
	if (d->cb)
		d->cb(&ev, d->priv);
}

struct dtmf_det *dtmf_det_alloc(void *ctx, unsigned delay, dtmf_event_cb cb, void *priv)
{
	struct dtmf_det *d;

	if (delay > DTMF_MAX_DELAY)
		return NULL;
	d = talloc_zero(ctx, struct dtmf_det);
	if (!d)
		return NULL;
	talloc_set_destructor(d, det_destroy);
	d->rx = dtmf_rx_init(NULL, NULL, NULL);
	if (!d->rx) {
		talloc_free(d);
		return NULL;
	}
	dtmf_rx_set_realtime_callback(d->rx, rt_cb, d);
	d->cb = cb;
	d->priv = priv;
	d->delay = delay;
	return d;
}

void dtmf_det_free(struct dtmf_det *d)
{
	talloc_free(d);
}

bool dtmf_det_in_digit(const struct dtmf_det *d)
{
	return d->in_digit;
}

void dtmf_det_rx(struct dtmf_det *d, int16_t *samples, size_t n)
{
	for (size_t off = 0; off < n; off += SLICE) {
		size_t len = n - off < SLICE ? n - off : SLICE;
		int16_t *s = samples + off;

		d->slice_end = d->in_pos + len;
		dtmf_rx(d->rx, s, (int)len);
		d->in_pos += len;
		for (size_t i = 0; i < len; i++) {
			int16_t out;

			if (d->delay) {
				out = d->line[d->head];
				d->line[d->head] = s[i];
				d->head = d->head + 1 == d->delay ? 0 : d->head + 1;
			} else {
				out = s[i];
			}
			if (d->in_digit || d->out_pos < d->mute_until)
				out = 0;
			s[i] = out;
			d->out_pos++;
		}
	}
}

/* Q.23: rows 697/770/852/941 Hz, columns 1209/1336/1477/1633 Hz. */
static const char keypad[4][5] = {"123A", "456B", "789C", "*0#D"};
static const uint16_t row_hz[4] = {697, 770, 852, 941};
static const uint16_t col_hz[4] = {1209, 1336, 1477, 1633};

int dtmf_gen_start(struct dtmf_gen *g, char digit, enum g711_law law, double lo_dbm0,
		   double hi_dbm0)
{
	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 'a' + 'A');
	for (int r = 0; r < 4; r++)
		for (int c = 0; c < 4; c++)
			if (keypad[r][c] == digit) {
				tone_osc_init(&g->lo, row_hz[r]);
				tone_osc_init(&g->hi, col_hz[c]);
				g->a_lo = (float)tone_dbm0_amp(law, lo_dbm0);
				g->a_hi = (float)tone_dbm0_amp(law, hi_dbm0);
				g->active = true;
				return 0;
			}
	return -EINVAL;
}

void dtmf_gen_stop(struct dtmf_gen *g)
{
	g->active = false;
}

bool dtmf_gen_fill(struct dtmf_gen *g, int16_t *out, size_t n)
{
	if (!g->active)
		return false;
	for (size_t i = 0; i < n; i++)
		out[i] = (int16_t)lrintf(g->a_lo * tone_osc_next(&g->lo) +
					 g->a_hi * tone_osc_next(&g->hi));
	tone_osc_renorm(&g->lo);
	tone_osc_renorm(&g->hi);
	return true;
}
