/* speexdsp's MDF (multidelay block frequency-domain) canceller behind the
 * ec_ interface, a candidate. Linked through pkg-config speexdsp (Makefile PKGS).
 *
 * MDF works on whole frames; frames of 80 samples (10 ms; 160 and 256 for
 * the bench) are collected here, so out lags rx by a constant frame
 * whatever block size the caller uses (ops.latency). */
#include <string.h>

#include <talloc.h>

#include <speex/speex_echo.h>

#include "media/ec.h"

#define SPEEX_FRAME 80 /* the registered candidate: 10 ms, tandem's block */

struct ec_speex {
	SpeexEchoState *st;
	unsigned frame, fill;
	int16_t *tx, *rx, *out;
};

static int speex_destroy(struct ec_speex *s)
{
	if (s->st)
		speex_echo_state_destroy(s->st);
	return 0;
}

static void *speex_alloc_frame(void *ctx, unsigned tail, unsigned frame)
{
	struct ec_speex *s = talloc_zero(ctx, struct ec_speex);
	int rate = EC_RATE;

	/* speexdsp's residual suppressor lives in its preprocessor: NLP off */
	if (!s)
		return NULL;
	s->frame = frame;
	s->tx = talloc_zero_array(s, int16_t, frame);
	s->rx = talloc_zero_array(s, int16_t, frame);
	s->out = talloc_zero_array(s, int16_t, frame);
	s->st = speex_echo_state_init((int)frame, (int)tail);
	if (!s->st || !s->tx || !s->rx || !s->out) {
		talloc_free(s);
		return NULL;
	}
	speex_echo_ctl(s->st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	talloc_set_destructor(s, speex_destroy);
	return s;
}

static void *speex_alloc(void *ctx, unsigned tail, const struct ec_params *p)
{
	(void)p;
	return speex_alloc_frame(ctx, tail, SPEEX_FRAME);
}

static void *speex_alloc160(void *ctx, unsigned tail, const struct ec_params *p)
{
	(void)p;
	return speex_alloc_frame(ctx, tail, 160);
}

static void *speex_alloc256(void *ctx, unsigned tail, const struct ec_params *p)
{
	(void)p;
	return speex_alloc_frame(ctx, tail, 256);
}

static void speex_process(void *st, const int16_t *tx, const int16_t *rx, int16_t *out, size_t n)
{
	struct ec_speex *s = st;
	size_t i;

	for (i = 0; i < n; i++) {
		/* out[i] is the sample that left the frame one frame ago */
		int16_t o = s->out[s->fill];

		s->tx[s->fill] = tx[i];
		s->rx[s->fill] = rx[i];
		out[i] = o;
		if (++s->fill == s->frame) {
			speex_echo_cancellation(s->st, s->rx, s->tx, s->out);
			s->fill = 0;
		}
	}
}

static void speex_reset(void *st)
{
	struct ec_speex *s = st;

	speex_echo_state_reset(s->st);
	s->fill = 0;
	memset(s->out, 0, s->frame * sizeof(*s->out));
}

const struct ec_ops ec_speex_ops = {
	.name = "speex",
	.alloc = speex_alloc,
	.process = speex_process,
	.reset = speex_reset,
	.latency = SPEEX_FRAME,
};

/* The same canceller on longer frames (MDF's cost per sample falls with
 * the frame; its adaptation is per frame), for the bench only. */
const struct ec_ops ec_speex160_ops = {
	.name = "speex-160",
	.alloc = speex_alloc160,
	.process = speex_process,
	.reset = speex_reset,
	.latency = 160,
};

const struct ec_ops ec_speex256_ops = {
	.name = "speex-256",
	.alloc = speex_alloc256,
	.process = speex_process,
	.reset = speex_reset,
	.latency = 256,
};
