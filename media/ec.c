/* Echo canceller: registry, enable / tone disable, per-call metrics. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <talloc.h>

#include "media/ec.h"
#include "media/ec_tone.h"

/* Far end counts as active above -40 dBm0 (short-term power). */
#define FAR_ACTIVE_POWER (16055.0f * 16055.0f * 1e-4f)
#define METRIC_BLOCK	 80 /* metrics advance in 10 ms steps */

struct ec {
	const struct ec_ops *ops;
	void *impl;
	struct ec_params params;
	bool enabled;
	bool tone_off;
	struct ec_tone tone_tx, tone_rx;
	/* metrics: 10 ms block sums, smoothed long-term powers */
	float bx, bd, be;
	unsigned bfill;
	float lx, ld, le; /* smoothed over far-end-active blocks */
	uint64_t samples, far_active, far_active_ms;
	int32_t convergence_ms;
};

static const struct ec_ops *const impls[] = {&ec_nlms_ops, &ec_spandsp_ops, &ec_speex_ops, NULL};

const struct ec_ops *const *ec_impls(void)
{
	return impls;
}

const struct ec_ops *ec_find(const char *name)
{
	unsigned i;

	for (i = 0; impls[i]; i++)
		if (!strcmp(impls[i]->name, name))
			return impls[i];
	return NULL;
}

static void metrics_reset(struct ec *ec)
{
	ec->bx = ec->bd = ec->be = 0.0f;
	ec->bfill = 0;
	ec->lx = ec->ld = ec->le = 0.0f;
	ec->samples = ec->far_active = ec->far_active_ms = 0;
	ec->convergence_ms = -1;
}

struct ec *ec_alloc(void *ctx, const struct ec_params *p)
{
	struct ec *ec;
	unsigned tail_ms = p->tail_ms ? p->tail_ms : EC_TAIL_MS_DEFAULT;

	if (tail_ms < EC_TAIL_MS_MIN || tail_ms > EC_TAIL_MS_MAX)
		return NULL;
	ec = talloc_zero(ctx, struct ec);
	if (!ec)
		return NULL;
	ec->ops = p->ops ? p->ops : &ec_nlms_ops;
	ec->params = *p;
	ec->params.ops = ec->ops;
	ec->params.tail_ms = tail_ms;
	ec->impl = ec->ops->alloc(ec, tail_ms * (EC_RATE / 1000), &ec->params);
	if (!ec->impl) {
		talloc_free(ec);
		return NULL;
	}
	ec->enabled = true;
	ec_tone_init(&ec->tone_tx);
	ec_tone_init(&ec->tone_rx);
	metrics_reset(ec);
	return ec;
}

void ec_free(struct ec *ec)
{
	talloc_free(ec);
}

void ec_reset(struct ec *ec)
{
	ec->ops->reset(ec->impl);
	ec->tone_off = false;
	ec_tone_init(&ec->tone_tx);
	ec_tone_init(&ec->tone_rx);
	metrics_reset(ec);
}

void ec_enable(struct ec *ec, bool on)
{
	ec->enabled = on;
}

enum ec_state ec_state(const struct ec *ec)
{
	if (!ec->enabled)
		return EC_S_DISABLED;
	if (ec->tone_off)
		return EC_S_TONE_DISABLED;
	return EC_S_ACTIVE;
}

const struct ec_ops *ec_ops(const struct ec *ec)
{
	return ec->ops;
}

size_t ec_state_bytes(const struct ec *ec)
{
	size_t b = ec->ops->state_bytes ? ec->ops->state_bytes(ec->impl) : 0;

	return b ? b + sizeof(*ec) : 0;
}

/* Metrics on 10 ms blocks: ERL and ERLE are long-term ratios of powers
 * accumulated only while the far end is active (G.168 3.x definitions of ERL
 * and ERLE as level differences). Latency of the implementation is ignored
 * here: at 10 ms blocks it only blurs block edges. */
static void metrics_block(struct ec *ec)
{
	float px = ec->bx / METRIC_BLOCK, pd = ec->bd / METRIC_BLOCK, pe = ec->be / METRIC_BLOCK;

	ec->bx = ec->bd = ec->be = 0.0f;
	ec->bfill = 0;
	if (px < FAR_ACTIVE_POWER)
		return;
	ec->far_active_ms += 10;
	/* about 1 s memory */
	ec->lx += 0.01f * (px - ec->lx);
	ec->ld += 0.01f * (pd - ec->ld);
	ec->le += 0.01f * (pe - ec->le);
	if (ec->convergence_ms < 0 && ec->far_active_ms >= 200 && ec->le > 0.0f &&
	    ec->ld >= 100.0f * ec->le)
		ec->convergence_ms = (int32_t)ec->far_active_ms;
}

void ec_process(struct ec *ec, const int16_t *tx, const int16_t *rx, int16_t *out, size_t n)
{
	size_t i;

	if (ec->params.tone_disable && !ec->tone_off) {
		bool a = ec_tone_rx(&ec->tone_tx, tx, n);
		bool b = ec_tone_rx(&ec->tone_rx, rx, n);

		ec->tone_off = a || b;
	}
	if (!ec->enabled || ec->tone_off) {
		if (out != rx)
			memmove(out, rx, n * sizeof(*out));
		ec->samples += n;
		return;
	}
	ec->ops->process(ec->impl, tx, rx, out, n);
	for (i = 0; i < n; i++) {
		float x = tx[i], d = rx[i], e = out[i];

		ec->bx += x * x;
		ec->bd += d * d;
		ec->be += e * e;
		if (++ec->bfill == METRIC_BLOCK) {
			if (ec->bx / METRIC_BLOCK >= FAR_ACTIVE_POWER)
				ec->far_active += METRIC_BLOCK;
			metrics_block(ec);
		}
	}
	ec->samples += n;
}

static float db(float num, float den)
{
	if (num <= 0.0f || den <= 0.0f)
		return 0.0f;
	return 10.0f * log10f(num / den);
}

void ec_metrics(const struct ec *ec, struct ec_metrics *m)
{
	memset(m, 0, sizeof(*m));
	m->erl_db = db(ec->lx, ec->ld);
	m->erle_db = db(ec->ld, ec->le);
	m->convergence_ms = ec->convergence_ms;
	m->samples = ec->samples;
	m->far_active = ec->far_active;
	if (ec->ops->double_talk) {
		uint64_t far = 0;

		/* the canceller judges double talk where its own detector finds
		 * the far end active, not by the metric blocks' threshold: the
		 * share takes the same base (over 100 % once without it) */
		m->double_talk = ec->ops->double_talk(ec->impl, &far);
		m->double_talk_share = far ? (float)m->double_talk / (float)far : 0.0f;
	}
	m->state = ec_state(ec);
}
