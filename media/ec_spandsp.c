/* spandsp 0.0.6 echo_can behind the ec_ interface (a candidate, measured by
 * tests/bench/bench_ec.c). Note: Debian's 0.0.6 build of echo_can_update()
 * prints two debug lines to stdout per sample; callers that use it must point
 * stdout elsewhere (tandem-tool erle and bench_ec do). */
#include <talloc.h>

#include <spandsp.h>

#include "media/ec.h"

struct ec_spandsp {
	echo_can_state_t *ec;
	int mode;
};

static int spandsp_destroy(struct ec_spandsp *s)
{
	if (s->ec)
		echo_can_free(s->ec);
	return 0;
}

static void *spandsp_alloc(void *ctx, unsigned tail, const struct ec_params *p)
{
	struct ec_spandsp *s = talloc_zero(ctx, struct ec_spandsp);

	if (!s)
		return NULL;
	s->mode = ECHO_CAN_USE_ADAPTION;
	if (p->nlp)
		s->mode |= ECHO_CAN_USE_NLP | ECHO_CAN_USE_CNG;
	s->ec = echo_can_init((int)tail, s->mode);
	if (!s->ec) {
		talloc_free(s);
		return NULL;
	}
	talloc_set_destructor(s, spandsp_destroy);
	return s;
}

static void spandsp_process(void *st, const int16_t *tx, const int16_t *rx, int16_t *out, size_t n)
{
	struct ec_spandsp *s = st;
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = echo_can_update(s->ec, tx[i], rx[i]);
}

static void spandsp_reset(void *st)
{
	struct ec_spandsp *s = st;

	echo_can_flush(s->ec);
	echo_can_adaption_mode(s->ec, s->mode);
}

const struct ec_ops ec_spandsp_ops = {
	.name = "spandsp",
	.alloc = spandsp_alloc,
	.process = spandsp_process,
	.reset = spandsp_reset,
	.latency = 0,
};
