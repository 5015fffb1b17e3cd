/* M3UA AS state machine, ASP side (RFC 4666 4.3.2, 4.3.4.3, 4.3.4.5). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "core/log.h"
#include "sigtran/m3ua_as.h"

#define MAX_HELD  32
#define HELD_DATA 272 /* an ISUP message fits (Q.703 SIF 272) */

struct osmo_tdef m3ua_as_tdefs[2] = {
	{.T = -1,
	 .default_val = 2000,
	 .unit = OSMO_TDEF_MS,
	 .desc = "T(r): AS-PENDING waits this long for an ASP to take over (RFC 4666 4.3.4.3)"},
	{},
};

enum as_event { E_ASP_STATE };
static const struct value_string as_event_names[] = {{E_ASP_STATE, "ASP_STATE_CHANGE"}, {0, NULL}};

struct member {
	struct m3ua_as *as;
	struct m3ua_asp *asp;
	enum m3ua_asp_state st;
	bool blocked; /* management wants it out of service */
};

struct held {
	struct m3ua_pdata pd;
	uint8_t data[HELD_DATA];
};

struct m3ua_as {
	struct osmo_fsm_inst *fi;
	struct m3ua_as_cfg cfg;
	const struct m3ua_asp_ops *ops;
	void *priv;
	struct member m[M3UA_AS_MAX_ASP];
	unsigned n;
	struct held held[MAX_HELD];
	unsigned n_held;
	bool user_up; /* what the user was last told */
	bool stopping;
};

static unsigned count_st(const struct m3ua_as *as, enum m3ua_asp_state st)
{
	unsigned k = 0;

	for (unsigned i = 0; i < as->n; i++)
		k += as->m[i].st == st;
	return k;
}

static void tell_user(struct m3ua_as *as, bool up)
{
	if (as->user_up == up)
		return;
	as->user_up = up;
	if (as->ops->state)
		as->ops->state(as->priv, up ? M3UA_ASP_S_ACTIVE : M3UA_ASP_S_INACTIVE);
}

static struct m3ua_asp *pick(const struct m3ua_as *as, uint8_t sls)
{
	struct m3ua_asp *act[M3UA_AS_MAX_ASP];
	unsigned k = 0;

	for (unsigned i = 0; i < as->n; i++)
		if (as->m[i].st == M3UA_ASP_S_ACTIVE)
			act[k++] = as->m[i].asp;
	if (!k)
		return NULL;
	/* 4.3.4.5 loadshare: SLS spreads the traffic and keeps one signalling
	 * relation's messages on one ASP (in sequence) */
	return as->cfg.traffic_mode == 2 ? act[sls % k] : act[0];
}

static void flush_held(struct m3ua_as *as)
{
	for (unsigned i = 0; i < as->n_held; i++) {
		struct m3ua_asp *asp = pick(as, as->held[i].pd.sls);

		as->held[i].pd.data = as->held[i].data;
		if (asp)
			m3ua_asp_transfer(asp, &as->held[i].pd);
	}
	as->n_held = 0;
}

/* override: a standby ASP takes the traffic; the one that failed stands by
 * when it comes back (no fight for ASPAC) */
static void promote_standby(struct m3ua_as *as)
{
	if (as->cfg.traffic_mode == 2 || as->stopping)
		return;
	for (unsigned i = 0; i < as->n; i++)
		if (m3ua_asp_target(as->m[i].asp) == M3UA_ASP_S_ACTIVE &&
		    as->m[i].st == M3UA_ASP_S_DOWN)
			m3ua_asp_set_target(as->m[i].asp, M3UA_ASP_S_INACTIVE);
	/* one taking over already (ASPAC sent) is enough */
	for (unsigned i = 0; i < as->n; i++)
		if (m3ua_asp_target(as->m[i].asp) == M3UA_ASP_S_ACTIVE)
			return;
	for (unsigned i = 0; i < as->n; i++)
		if (as->m[i].st == M3UA_ASP_S_INACTIVE && !as->m[i].blocked) {
			LOGPFSML(as->fi, LOGL_NOTICE, "ASP %u takes over\n", i);
			m3ua_asp_set_target(as->m[i].asp, M3UA_ASP_S_ACTIVE);
			return;
		}
}

static void recompute(struct osmo_fsm_inst *fi)
{
	struct m3ua_as *as = fi->priv;
	unsigned act = count_st(as, M3UA_ASP_S_ACTIVE), inact = count_st(as, M3UA_ASP_S_INACTIVE);

	if (act) {
		if (fi->state != M3UA_AS_S_ACTIVE)
			osmo_fsm_inst_state_chg(fi, M3UA_AS_S_ACTIVE, 0, 0);
		return;
	}
	switch (as->stopping ? M3UA_AS_S_DOWN : fi->state) {
	case M3UA_AS_S_ACTIVE: {
		unsigned long tr = osmo_tdef_get(as->cfg.tdefs, -1, OSMO_TDEF_MS, 2000);

		/* 4.3.4.3: the last active ASP went: T(r) for another to take over */
		if (!tr)
			break;
		osmo_fsm_inst_state_chg_ms(fi, M3UA_AS_S_PENDING, tr, -1);
		promote_standby(as);
		return;
	}
	case M3UA_AS_S_PENDING:
		/* an ASP back to INACTIVE (reconnected) may take over within T(r) */
		promote_standby(as);
		return;
	default:
		break;
	}
	if (inact && fi->state != M3UA_AS_S_INACTIVE)
		osmo_fsm_inst_state_chg(fi, M3UA_AS_S_INACTIVE, 0, 0);
	else if (!inact && fi->state != M3UA_AS_S_DOWN)
		osmo_fsm_inst_state_chg(fi, M3UA_AS_S_DOWN, 0, 0);
}

static void st_any(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	(void)event;
	(void)data;
	recompute(fi);
}

static void st_active_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct m3ua_as *as = fi->priv;

	if (prev == M3UA_AS_S_PENDING)
		LOGPFSML(fi, LOGL_NOTICE, "an ASP took over within T(r): %u held message(s) go\n",
			 as->n_held);
	flush_held(as);
	tell_user(as, true);
}

static void st_idle_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct m3ua_as *as = fi->priv;

	(void)prev;
	as->n_held = 0;
	tell_user(as, false);
}

static int as_timer_cb(struct osmo_fsm_inst *fi)
{
	struct m3ua_as *as = fi->priv;
	unsigned inact = count_st(as, M3UA_ASP_S_INACTIVE);

	/* T(r) expired with no ASP active: the AS is out of service */
	LOGPFSML(fi, LOGL_NOTICE, "T(r) expired: %u held message(s) dropped\n", as->n_held);
	osmo_fsm_inst_state_chg(fi, inact ? M3UA_AS_S_INACTIVE : M3UA_AS_S_DOWN, 0, 0);
	return 0;
}

/* The AS state machine as the ASP side keeps it (RFC 4666 4.3.2, figure
 * "AS State Transition Diagram"); the one event is "a member ASP changed
 * state" (4.3.2: the AS state follows its ASPs):
 *
 *   AS-DOWN     --an ASP to ASP-INACTIVE------------------> AS-INACTIVE
 *   AS-INACTIVE --an ASP to ASP-ACTIVE--------------------> AS-ACTIVE
 *   AS-INACTIVE --the last ASP to ASP-DOWN----------------> AS-DOWN
 *   AS-ACTIVE   --the last active ASP to INACTIVE/DOWN, T(r) started
 *                 (4.3.4.3)------------------------------> AS-PENDING
 *   AS-PENDING  --an ASP to ASP-ACTIVE within T(r)--------> AS-ACTIVE
 *   AS-PENDING  --T(r) expiry: an ASP INACTIVE / none up--> AS-INACTIVE / AS-DOWN
 *
 * Outside the RFC figure, two local cases take AS-ACTIVE straight to
 * AS-INACTIVE or AS-DOWN: "timer recovery 0" (T(r) off) and m3ua_as_stop()
 * (nothing to wait for). AS-DOWN never
 * goes to AS-ACTIVE or AS-PENDING directly (an ASP is INACTIVE before it is
 * ACTIVE), and only AS-ACTIVE starts T(r). */
#define S(x) (1 << (x))
static const struct osmo_fsm_state as_states[] = {
	[M3UA_AS_S_DOWN] = {.name = "AS_DOWN",
			    .in_event_mask = S(E_ASP_STATE),
			    .out_state_mask = S(M3UA_AS_S_INACTIVE),
			    .onenter = st_idle_onenter,
			    .action = st_any},
	[M3UA_AS_S_INACTIVE] = {.name = "AS_INACTIVE",
				.in_event_mask = S(E_ASP_STATE),
				.out_state_mask = S(M3UA_AS_S_ACTIVE) | S(M3UA_AS_S_DOWN),
				.onenter = st_idle_onenter,
				.action = st_any},
	[M3UA_AS_S_ACTIVE] = {.name = "AS_ACTIVE",
			      .in_event_mask = S(E_ASP_STATE),
			      .out_state_mask = S(M3UA_AS_S_PENDING) | S(M3UA_AS_S_INACTIVE) |
						S(M3UA_AS_S_DOWN),
			      .onenter = st_active_onenter,
			      .action = st_any},
	[M3UA_AS_S_PENDING] = {.name = "AS_PENDING",
			       .in_event_mask = S(E_ASP_STATE),
			       .out_state_mask = S(M3UA_AS_S_ACTIVE) | S(M3UA_AS_S_INACTIVE) |
						 S(M3UA_AS_S_DOWN),
			       .action = st_any},
};

static struct osmo_fsm as_fsm = {
	.name = "M3UA_AS",
	.states = as_states,
	.num_states = ARRAY_SIZE(as_states),
	.timer_cb = as_timer_cb,
	.event_names = as_event_names,
	.log_subsys = DM3UA,
};

/* --- what the ASPs tell us --- */

static void m_state(void *priv, enum m3ua_asp_state st)
{
	struct member *m = priv;

	m->st = st;
	if (m->as->fi)
		osmo_fsm_inst_dispatch(m->as->fi, E_ASP_STATE, NULL);
}

static void m_transfer(void *priv, const struct m3ua_pdata *pd)
{
	struct member *m = priv;

	if (m->as->ops->transfer)
		m->as->ops->transfer(m->as->priv, pd);
}

static void m_pause(void *priv, uint32_t dpc)
{
	struct member *m = priv;

	if (m->as->ops->pause)
		m->as->ops->pause(m->as->priv, dpc);
}

static void m_resume(void *priv, uint32_t dpc)
{
	struct member *m = priv;

	if (m->as->ops->resume)
		m->as->ops->resume(m->as->priv, dpc);
}

static void m_congestion(void *priv, uint32_t dpc, unsigned level)
{
	struct member *m = priv;

	if (m->as->ops->congestion)
		m->as->ops->congestion(m->as->priv, dpc, level);
}

static void m_dupu(void *priv, uint32_t dpc, uint8_t user, unsigned cause)
{
	struct member *m = priv;

	if (m->as->ops->user_unavailable)
		m->as->ops->user_unavailable(m->as->priv, dpc, user, cause);
}

static const struct m3ua_asp_ops member_ops = {
	.state = m_state,
	.transfer = m_transfer,
	.pause = m_pause,
	.resume = m_resume,
	.congestion = m_congestion,
	.user_unavailable = m_dupu,
};

struct m3ua_as *m3ua_as_alloc(void *ctx, const char *name, const struct m3ua_as_cfg *cfg,
			      const struct m3ua_asp_ops *ops, void *priv)
{
	static bool registered;
	struct m3ua_as *as;

	if (!registered) {
		OSMO_ASSERT(osmo_fsm_register(&as_fsm) == 0);
		osmo_tdefs_reset(m3ua_as_tdefs);
		registered = true;
	}
	as = talloc_zero(ctx, struct m3ua_as);
	if (!as)
		return NULL;
	as->cfg = *cfg;
	if (as->cfg.traffic_mode != 2 && as->cfg.traffic_mode != 3)
		as->cfg.traffic_mode = 1;
	if (!as->cfg.tdefs)
		as->cfg.tdefs = m3ua_as_tdefs;
	as->ops = ops;
	as->priv = priv;
	as->fi = osmo_fsm_inst_alloc(&as_fsm, as, as, LOGL_INFO, NULL);
	if (!as->fi) {
		talloc_free(as);
		return NULL;
	}
	if (name)
		osmo_fsm_inst_update_id_f_sanitize(as->fi, '-', "%s", name);
	return as;
}

struct m3ua_asp *m3ua_as_add_asp(struct m3ua_as *as, struct loop *l, const struct m3ua_asp_cfg *cfg)
{
	struct m3ua_asp_cfg c = *cfg;
	struct member *m;

	if (as->n == M3UA_AS_MAX_ASP)
		return NULL;
	m = &as->m[as->n];
	*m = (struct member){.as = as, .st = M3UA_ASP_S_DOWN};
	c.traffic_mode = as->cfg.traffic_mode;
	/* override: one ASP asks for the traffic, the others stand by */
	c.standby = as->cfg.traffic_mode == 1 && as->n > 0;
	m->asp = m3ua_asp_alloc(as, l, &c, &member_ops, m);
	if (!m->asp)
		return NULL;
	as->n++;
	return m->asp;
}

void m3ua_as_free(struct m3ua_as *as)
{
	struct osmo_fsm_inst *fi;

	if (!as)
		return;
	fi = as->fi;
	as->fi = NULL; /* ASPs going down while freed tell nobody */
	for (unsigned i = 0; i < as->n; i++)
		m3ua_asp_free(as->m[i].asp);
	osmo_fsm_inst_free(fi);
	talloc_free(as);
}

enum m3ua_as_fsm_state m3ua_as_state(const struct m3ua_as *as)
{
	return (enum m3ua_as_fsm_state)as->fi->state;
}

const char *m3ua_as_fsm_state_name(enum m3ua_as_fsm_state st)
{
	return st < ARRAY_SIZE(as_states) ? as_states[st].name : "?";
}

unsigned m3ua_as_n_asp(const struct m3ua_as *as)
{
	return as->n;
}

struct m3ua_asp *m3ua_as_asp(const struct m3ua_as *as, unsigned i)
{
	return i < as->n ? as->m[i].asp : NULL;
}

int m3ua_as_transfer(struct m3ua_as *as, const struct m3ua_pdata *pd)
{
	struct m3ua_asp *asp;
	struct held *h;

	if (as->fi->state == M3UA_AS_S_PENDING) {
		if (as->n_held == MAX_HELD || pd->data_len > HELD_DATA)
			return -EAGAIN;
		h = &as->held[as->n_held++];
		h->pd = *pd;
		memcpy(h->data, pd->data, pd->data_len);
		h->pd.data = h->data;
		return 0;
	}
	asp = pick(as, pd->sls);
	if (!asp)
		return -ENOTCONN;
	return m3ua_asp_transfer(asp, pd);
}

bool m3ua_as_dest_available(const struct m3ua_as *as, uint32_t dpc)
{
	struct m3ua_asp *asp = pick(as, 0);

	/* the SG tells each active ASP (4.5.1); PENDING: as last known */
	return !asp || m3ua_asp_dest_available(asp, dpc);
}

bool m3ua_as_user_available(const struct m3ua_as *as, uint32_t dpc, uint8_t si)
{
	for (unsigned i = 0; i < as->n; i++)
		if (as->m[i].st == M3UA_ASP_S_ACTIVE &&
		    !m3ua_asp_user_available(as->m[i].asp, dpc, si))
			return false;
	return true;
}

void m3ua_as_set_asp_target(struct m3ua_as *as, struct m3ua_asp *asp, enum m3ua_asp_state want)
{
	for (unsigned i = 0; i < as->n; i++)
		if (as->m[i].asp == asp)
			as->m[i].blocked = want != M3UA_ASP_S_ACTIVE;
	m3ua_asp_set_target(asp, want);
}

void m3ua_as_stop(struct m3ua_as *as)
{
	as->stopping = true;
	for (unsigned i = 0; i < as->n; i++)
		m3ua_asp_set_target(as->m[i].asp, M3UA_ASP_S_DOWN);
}

bool m3ua_as_settled(const struct m3ua_as *as)
{
	for (unsigned i = 0; i < as->n; i++)
		if (!m3ua_asp_settled(as->m[i].asp))
			return false;
	return true;
}
