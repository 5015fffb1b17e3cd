/* speexdsp's MDF (multidelay block frequency-domain) canceller behind the
 * ec_ interface, a candidate. Linked through pkg-config speexdsp (Makefile PKGS).
 *
 * MDF works on whole frames; frames of 80 samples (10 ms) are collected
 * here, so out lags rx by a constant 80 samples whatever block size the
 * caller uses (ops.latency). */
#include <string.h>

#include <talloc.h>

#include <speex/speex_echo.h>

#include "media/ec.h"

#define SPEEX_FRAME 80

struct ec_speex {
	SpeexEchoState *st;
	unsigned fill;
	int16_t tx[SPEEX_FRAME], rx[SPEEX_FRAME], out[SPEEX_FRAME];
};

static int speex_destroy(struct ec_speex *s)
{
	if (s->st)
		speex_echo_state_destroy(s->st);
	return 0;
}

static void *speex_alloc(void *ctx, unsigned tail, const struct ec_params *p)
{
	struct ec_speex *s = talloc_zero(ctx, struct ec_speex);
	int rate = EC_RATE;

	(void)p; /* speexdsp's residual suppressor lives in its preprocessor: NLP off */
	if (!s)
		return NULL;
	s->st = speex_echo_state_init(SPEEX_FRAME, (int)tail);
	if (!s->st) {
		talloc_free(s);
		return NULL;
	}
	speex_echo_ctl(s->st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
	talloc_set_destructor(s, speex_destroy);
	return s;
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
		if (++s->fill == SPEEX_FRAME) {
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
	memset(s->out, 0, sizeof(s->out));
}

const struct ec_ops ec_speex_ops = {
	.name = "speex",
	.alloc = speex_alloc,
	.process = speex_process,
	.reset = speex_reset,
	.latency = SPEEX_FRAME,
};
