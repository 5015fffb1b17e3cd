/* Token bucket throttle. The credit is kept in units of 1/per_ms of a
 * token per ms of n: each ms adds n, a token costs per_ms. All integers,
 * so a rate of n per per_ms refills exactly whatever the gaps between
 * calls. */
#include "core/throttle.h"

bool tandem_throttle_take(struct throttle *t, const struct throttle_cfg *cfg, uint64_t now_ms,
			  unsigned *held_back)
{
	uint64_t per = cfg->per_ms ? cfg->per_ms : 1000;
	uint64_t cap = (uint64_t)(cfg->burst ? cfg->burst : 1) * per;

	if (cfg->n) {
		if (!t->used) {
			t->used = true;
			t->credit = cap;
		} else if (now_ms > t->ms) {
			/* a full bucket's worth of time fills it (and cannot
			 * overflow after a long quiet spell) */
			uint64_t dt = now_ms - t->ms < cap ? now_ms - t->ms : cap;

			t->credit += dt * cfg->n;
		}
		if (t->credit > cap)
			t->credit = cap;
		t->ms = now_ms;
		if (t->credit < per) {
			t->held++;
			t->refused++;
			return false;
		}
		t->credit -= per;
	}
	if (held_back)
		*held_back = t->held;
	t->held = 0;
	t->passed++;
	return true;
}
