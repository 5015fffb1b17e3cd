/* Call admission: calls at once and calls per second, for SIP trunks and
 * circuit groups (linksets, PRI spans) alike, and the one question routing
 * and failover both ask: can this target take a call now? */
#include <time.h>

#include "interwork/iw_call_int.h"
#include "sip/sip_trunk.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Admission limits, the same for trunks and groups: calls at once and
 * calls started in the current one-second window. */
static bool over_limit(unsigned calls, uint64_t window_ms, unsigned count, unsigned max_calls,
		       unsigned max_cps)
{
	if (max_calls && calls >= max_calls)
		return true;
	return max_cps && now_ms() - window_ms < 1000 && count >= max_cps;
}

static void count_call(unsigned *calls, uint64_t *window_ms, unsigned *count)
{
	uint64_t now = now_ms();

	(*calls)++;
	if (now - *window_ms >= 1000) {
		*window_ms = now;
		*count = 0;
	}
	(*count)++;
}

bool iw_trunk_over_limit(const struct sip_trunk *t)
{
	return over_limit(t->calls, t->cps_window_ms, t->cps_count, t->max_calls, t->max_cps);
}

bool iw_admit_trunk(const struct sip_trunk *t)
{
	/* a trunk probed with OPTIONS (RFC 3261 11) and found down takes none */
	if (!t || (t->options_interval && !t->up))
		return false;
	return !iw_trunk_over_limit(t);
}

/* A call starts on the trunk: counted until it ends (NULL). */
void iw_trunk_take(struct iw_call *c, struct sip_trunk *t)
{
	if (c->counted_trunk == t)
		return;
	if (c->counted_trunk)
		c->counted_trunk->calls--;
	c->counted_trunk = t;
	if (t)
		count_call(&t->calls, &t->cps_window_ms, &t->cps_count);
}

unsigned iw_max_attempts(const struct iw *iw)
{
	return iw->cfg.max_attempts ? iw->cfg.max_attempts : 3;
}

static struct iw_group_load *group_load(struct iw *iw, const void *g, bool add)
{
	struct iw_group_load *free_slot = NULL;

	for (unsigned i = 0; i < IW_MAX_GROUPS; i++) {
		if (iw->groups[i].group == g)
			return &iw->groups[i];
		if (!iw->groups[i].group && !free_slot)
			free_slot = &iw->groups[i];
	}
	if (add && free_slot)
		free_slot->group = g;
	return add ? free_slot : NULL;
}

bool iw_group_over_limit(struct iw *iw, const struct iw_leg_class *cls, const void *group)
{
	struct iw_leg_group_info gi = {0};
	const struct iw_group_load *ld = group_load(iw, group, false);

	cls->group_info(group, &gi);
	if (ld &&
	    over_limit(ld->calls, ld->cps_window_ms, ld->cps_count, gi.max_calls, gi.max_cps)) {
		LOGP(DIW, LOGL_INFO, "%s %s at its limit (%u calls, %u/s)\n", cls->kind, gi.name,
		     gi.max_calls, gi.max_cps);
		return true;
	}
	return false;
}

bool iw_admit_group(struct iw *iw, const struct iw_leg_class *cls, const void *group, bool *limited)
{
	struct iw_leg_group_info gi = {0};
	const struct iw_group_load *ld;

	cls->group_info(group, &gi);
	if (!gi.up) {
		LOGP(DIW, LOGL_INFO, "%s %s not available\n", cls->kind, gi.name ? gi.name : "-");
		return false;
	}
	ld = group_load(iw, group, false);
	if (ld &&
	    over_limit(ld->calls, ld->cps_window_ms, ld->cps_count, gi.max_calls, gi.max_cps)) {
		LOGP(DIW, LOGL_INFO, "%s %s at its limit (%u calls, %u/s)\n", cls->kind, gi.name,
		     gi.max_calls, gi.max_cps);
		if (limited)
			*limited = true;
		return false;
	}
	return true;
}

/* The call is carried on the group from now on (NULL: no longer). */
void iw_group_take(struct iw_call *c, const void *group)
{
	struct iw_group_load *ld = group ? group_load(c->iw, group, true) : NULL;

	if (c->counted_link == ld)
		return;
	if (c->counted_link)
		c->counted_link->calls--;
	c->counted_link = ld;
	if (ld)
		count_call(&ld->calls, &ld->cps_window_ms, &ld->cps_count);
}
