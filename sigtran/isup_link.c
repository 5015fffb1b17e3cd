/* ISUP linkset: receive dispatch and circuit supervision (Q.764 2.8-2.10,
 * 2.12, 2.9.5). Call control proper is in isup_call_fsm.c. */
#include <errno.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "core/log.h"
#include "sigtran/isup_link_int.h"

#define LOGL(l, lvl, fmt, args...) LOGP(DISUP, lvl, "linkset %s: " fmt, (l)->name, ##args)

/* Q.764 Annex A, the timers of the procedures implemented here (T2, T10,
 * T33 and T38 belong to procedures tandem does not run: user-initiated
 * suspend, interworking overlap, sending INR, international suspend).
 * Where the recommendation gives a range the lower end is the default;
 * T9 (awaiting answer) is off unless configured, since the SIP side
 * usually supervises answer. */
struct osmo_tdef isup_tdefs[] = {
	{.T = 1, .default_val = 15, .unit = OSMO_TDEF_S, .desc = "REL sent: repeat REL (15-60 s)"},
	{.T = 5,
	 .default_val = 300,
	 .unit = OSMO_TDEF_S,
	 .desc = "REL sent: give up, send RSC (5-15 min)"},
	{.T = 6, .default_val = 60, .unit = OSMO_TDEF_S, .desc = "network SUS: wait for RES"},
	{.T = 7,
	 .default_val = 20,
	 .unit = OSMO_TDEF_S,
	 .desc = "IAM sent: wait for ACM (20-30 s)"},
	{.T = 8,
	 .default_val = 10,
	 .unit = OSMO_TDEF_S,
	 .desc = "IAM with continuity check: wait for COT (10-15 s)"},
	{.T = 9,
	 .default_val = 0,
	 .unit = OSMO_TDEF_S,
	 .desc = "ACM received: wait for answer (90-180 s; 0 off)"},
	{.T = 12, .default_val = 15, .unit = OSMO_TDEF_S, .desc = "BLO sent: repeat (15-60 s)"},
	{.T = 13, .default_val = 300, .unit = OSMO_TDEF_S, .desc = "BLO sent: alert (5-15 min)"},
	{.T = 14, .default_val = 15, .unit = OSMO_TDEF_S, .desc = "UBL sent: repeat (15-60 s)"},
	{.T = 15, .default_val = 300, .unit = OSMO_TDEF_S, .desc = "UBL sent: alert (5-15 min)"},
	{.T = 16, .default_val = 15, .unit = OSMO_TDEF_S, .desc = "RSC sent: repeat (15-60 s)"},
	{.T = 17, .default_val = 300, .unit = OSMO_TDEF_S, .desc = "RSC sent: alert (5-15 min)"},
	{.T = 18, .default_val = 15, .unit = OSMO_TDEF_S, .desc = "CGB sent: repeat (15-60 s)"},
	{.T = 19, .default_val = 300, .unit = OSMO_TDEF_S, .desc = "CGB sent: alert (5-15 min)"},
	{.T = 20, .default_val = 15, .unit = OSMO_TDEF_S, .desc = "CGU sent: repeat (15-60 s)"},
	{.T = 21, .default_val = 300, .unit = OSMO_TDEF_S, .desc = "CGU sent: alert (5-15 min)"},
	{.T = 22, .default_val = 15, .unit = OSMO_TDEF_S, .desc = "GRS sent: repeat (15-60 s)"},
	{.T = 23, .default_val = 300, .unit = OSMO_TDEF_S, .desc = "GRS sent: alert (5-15 min)"},
	{.T = 35,
	 .default_val = 15,
	 .unit = OSMO_TDEF_S,
	 .desc = "overlap: wait for the next SAM, then route what came (15-20 s)"},
	{},
};

/* short and long timer of each procedure (Q.764 2.9.2, 2.9.3) */
static const int proc_T[_ISUP_PROC_N][2] = {
	[ISUP_PROC_RSC] = {16, 17}, [ISUP_PROC_GRS] = {22, 23}, [ISUP_PROC_BLO] = {12, 13},
	[ISUP_PROC_UBL] = {14, 15}, [ISUP_PROC_CGB] = {18, 19}, [ISUP_PROC_CGU] = {20, 21},
};
static const char *const proc_name[_ISUP_PROC_N] = {"RSC", "GRS", "BLO", "UBL", "CGB", "CGU"};

unsigned long isup_link_T(const struct isup_link *l, int T)
{
	return osmo_tdef_get(l->T, T, OSMO_TDEF_S, 0);
}

struct isup_link *isup_link_alloc(void *ctx, const struct isup_link_cfg *cfg, isup_tx_cb tx,
				  void *tx_priv, const struct isup_call_ops *ops, void *ops_priv)
{
	struct isup_link *l = talloc_zero(ctx, struct isup_link);

	if (!l)
		return NULL;
	l->cfg = *cfg;
	snprintf(l->name, sizeof(l->name), "%s", cfg->name ? cfg->name : "isup");
	l->cfg.name = l->name;
	l->cics = isup_cic_table_alloc(l, cfg->opc, cfg->dpc, cfg->variant == ISUP_VAR_ANSI);
	if (!l->cics) {
		talloc_free(l);
		return NULL;
	}
	isup_cic_table_set_glare(l->cics, cfg->glare);
	if (!isup_tdefs[0].val)
		osmo_tdefs_reset(isup_tdefs);
	l->T = cfg->tdefs ? cfg->tdefs : isup_tdefs;
	l->tx = tx;
	l->tx_priv = tx_priv;
	l->ops = ops;
	l->ops_priv = ops_priv;
	INIT_LLIST_HEAD(&l->calls);
	INIT_LLIST_HEAD(&l->procs);
	return l;
}

static void proc_free(struct isup_proc *p)
{
	osmo_timer_del(&p->timer);
	osmo_timer_del(&p->long_timer);
	llist_del(&p->list);
	talloc_free(p);
}

void isup_link_free(struct isup_link *l)
{
	struct isup_call *c, *cn;
	struct isup_proc *p, *pn;

	if (!l)
		return;
	llist_for_each_entry_safe(c, cn, &l->calls, list)
	{
		c->owner_gone = true;  /* the owner is being torn down with us */
		c->cot_looped = false; /* its loop too (it may be gone already) */
		isup_call_reset(c, ISUP_CAUSE_TEMPORARY_FAILURE);
	}
	llist_for_each_entry_safe(p, pn, &l->procs, list) proc_free(p);
	talloc_free(l);
}

struct isup_cic_table *isup_link_cics(struct isup_link *l)
{
	return l->cics;
}

const struct isup_link_cfg *isup_link_cfg(const struct isup_link *l)
{
	return &l->cfg;
}

const struct isup_link_stats *isup_link_stats(const struct isup_link *l)
{
	return &l->st;
}

void isup_link_pending(const struct isup_link *l, struct isup_link_pending *out)
{
	const struct isup_proc *p;
	unsigned n[_ISUP_PROC_N] = {0};

	llist_for_each_entry(p, &l->procs, list) n[p->kind]++;
	*out = (struct isup_link_pending){.rsc = n[ISUP_PROC_RSC],
					  .grs = n[ISUP_PROC_GRS],
					  .blo = n[ISUP_PROC_BLO],
					  .ubl = n[ISUP_PROC_UBL],
					  .cgb = n[ISUP_PROC_CGB],
					  .cgu = n[ISUP_PROC_CGU]};
}

bool isup_link_is_up(const struct isup_link *l)
{
	return l->up;
}

/* --- sending --- */

int isup_link_send(struct isup_link *l, const struct isup_msg *m)
{
	uint8_t buf[272];
	int n;

	n = isup_msg_encode(l->cfg.variant, m, buf, sizeof(buf));
	if (n < 0) {
		LOGL(l, LOGL_ERROR, "CIC %u: cannot encode %s: %s\n", m->cic,
		     isup_msg_type_name(m->type) ?: "?", strerror(-n));
		return n;
	}
	if (!l->up) {
		LOGL(l, LOGL_NOTICE, "CIC %u: %s not sent: destination unavailable\n", m->cic,
		     isup_msg_type_name(m->type) ?: "?");
		return -ENOTCONN;
	}
	l->st.tx[m->type]++;
	LOGL(l, LOGL_DEBUG, "CIC %u: tx %s\n", m->cic, isup_msg_type_name(m->type) ?: "?");
	/* SLS from the CIC keeps one circuit's messages in sequence (Q.704 2.2) */
	return l->tx(l->tx_priv, l->cfg.opc, l->cfg.dpc, l->cfg.ni,
		     (uint8_t)(m->cic & (l->cfg.variant == ISUP_VAR_ANSI ? 0x1f : 0x0f)), buf,
		     (size_t)n);
}

int isup_link_send_simple(struct isup_link *l, uint8_t type, unsigned cic)
{
	struct isup_msg m;

	isup_msg_init(&m, type, (uint16_t)cic);
	return isup_link_send(l, &m);
}

static int send_range(struct isup_link *l, uint8_t type, unsigned cic, unsigned n,
		      const uint8_t *status, uint8_t cgs_type, bool with_cgs)
{
	struct isup_range_status rs = {.range = (uint8_t)(n - 1)};
	uint8_t rsbuf[40];
	struct isup_msg m;
	int len;

	if (status) {
		rs.status_len = (uint8_t)((n + 7) / 8);
		memcpy(rs.status, status, rs.status_len);
	}
	len = isup_range_status_encode(&rs, rsbuf, sizeof(rsbuf));
	if (len < 0)
		return len;
	isup_msg_init(&m, type, (uint16_t)cic);
	if (with_cgs)
		isup_msg_add(&m, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &cgs_type, 1);
	isup_msg_add(&m, ISUP_PAR_RANGE_AND_STATUS, rsbuf, (size_t)len);
	return isup_link_send(l, &m);
}

/* --- supervision procedures with their timers --- */

static void proc_send(struct isup_proc *p)
{
	struct isup_link *l = p->l;
	uint8_t cgs = p->hardware ? 1 : 0;

	switch (p->kind) {
	case ISUP_PROC_RSC:
		isup_link_send_simple(l, ISUP_MT_RSC, p->cic);
		break;
	case ISUP_PROC_BLO:
		isup_link_send_simple(l, ISUP_MT_BLO, p->cic);
		break;
	case ISUP_PROC_UBL:
		isup_link_send_simple(l, ISUP_MT_UBL, p->cic);
		break;
	case ISUP_PROC_GRS:
		send_range(l, ISUP_MT_GRS, p->cic, p->n, NULL, 0, false);
		break;
	case ISUP_PROC_CGB:
		send_range(l, ISUP_MT_CGB, p->cic, p->n, p->status, cgs, true);
		break;
	case ISUP_PROC_CGU:
		send_range(l, ISUP_MT_CGU, p->cic, p->n, p->status, cgs, true);
		break;
	default:
		break;
	}
}

/* Arm the short (repeat) timer of the first phase, unless the long timer
 * runs out first or at the same moment: its expiry sends the message
 * itself (Q.764 2.9.3, 2.9.4), and a short repeat due then as well would
 * put the message on the link twice. */
static void proc_schedule_short(struct isup_proc *p)
{
	unsigned long t = isup_link_T(p->l, proc_T[p->kind][0]);
	struct timeval rem;

	if (osmo_timer_pending(&p->long_timer) &&
	    osmo_timer_remaining(&p->long_timer, NULL, &rem) == 0 &&
	    (unsigned long long)rem.tv_sec * 1000000ULL + (unsigned long long)rem.tv_usec <=
		    (unsigned long long)t * 1000000ULL)
		return;
	osmo_timer_schedule(&p->timer, t, 0);
}

static void proc_short_cb(void *data)
{
	struct isup_proc *p = data;

	p->repeats++;
	LOGL(p->l, LOGL_NOTICE, "CIC %u: no answer to %s within T%d: repeating\n", p->cic,
	     proc_name[p->kind], proc_T[p->kind][0]);
	proc_send(p);
	if (p->long_phase)
		osmo_timer_schedule(&p->timer, isup_link_T(p->l, proc_T[p->kind][1]), 0);
	else
		proc_schedule_short(p);
}

static void proc_long_cb(void *data)
{
	struct isup_proc *p = data;

	/* Q.764 2.9.3.1 b): alert maintenance, go on at the long interval */
	LOGL(p->l, LOGL_ERROR, "CIC %u: %s unanswered for T%d: maintenance alert\n", p->cic,
	     proc_name[p->kind], proc_T[p->kind][1]);
	p->long_phase = true;
	osmo_timer_del(&p->timer);
	proc_send(p);
	osmo_timer_schedule(&p->timer, isup_link_T(p->l, proc_T[p->kind][1]), 0);
}

static struct isup_proc *proc_find(struct isup_link *l, enum isup_proc_kind k, unsigned cic)
{
	struct isup_proc *p;

	llist_for_each_entry(p, &l->procs, list) if (p->kind == k && cic >= p->cic &&
						     cic < p->cic + p->n) return p;
	return NULL;
}

static struct isup_proc *proc_start(struct isup_link *l, enum isup_proc_kind k, unsigned cic,
				    unsigned n)
{
	struct isup_proc *p = talloc_zero(l, struct isup_proc);

	if (!p)
		return NULL;
	p->l = l;
	p->kind = k;
	p->cic = cic;
	p->n = n;
	osmo_timer_setup(&p->timer, proc_short_cb, p);
	osmo_timer_setup(&p->long_timer, proc_long_cb, p);
	llist_add_tail(&p->list, &l->procs);
	return p;
}

static void proc_arm(struct isup_proc *p)
{
	proc_send(p);
	osmo_timer_schedule(&p->long_timer, isup_link_T(p->l, proc_T[p->kind][1]), 0);
	proc_schedule_short(p);
}

/* A procedure on a circuit replaces an older one of the opposite sense. */
static void proc_cancel(struct isup_link *l, enum isup_proc_kind k, unsigned cic)
{
	struct isup_proc *p = proc_find(l, k, cic);

	if (p)
		proc_free(p);
}

void isup_link_circuit_idle(struct isup_link *l, struct isup_cic *cc)
{
	isup_cic_set_idle(l->cics, cc);
	cc->user = NULL;
}

/* End whatever call the circuit carries (reset, or blocked by the far end
 * before answer): the owner hears of it with the cause. */
static void circuit_clear(struct isup_link *l, struct isup_cic *cc, uint8_t cause)
{
	if (cc->user)
		isup_call_reset(cc->user, cause);
	isup_link_circuit_idle(l, cc);
}

/* Q.764 2.9.3.1 / 2.9.3.2: the far end takes our RSC or GRS as clearing
 * its "remotely blocked" record of the circuits, so a circuit we block for
 * maintenance has to be blocked again once the reset has gone out (a BLO
 * already pending is repeated now, after the reset, not before it). */
static void reblock_after_reset(struct isup_link *l, unsigned cic, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct isup_cic *cc = isup_cic_get(l->cics, cic + i);
		struct isup_proc *p;

		if (!cc || !(cc->blocked & ISUP_BLK_LOCAL_MAINT))
			continue;
		p = proc_find(l, ISUP_PROC_BLO, cc->cic);
		if (p) {
			proc_send(p);
			continue;
		}
		p = proc_start(l, ISUP_PROC_BLO, cc->cic, 1);
		if (!p)
			continue;
		cc->pending |= ISUP_PEND_BLO;
		proc_arm(p);
	}
}

int isup_link_reset(struct isup_link *l, unsigned cic)
{
	struct isup_cic *cc = isup_cic_get(l->cics, cic);
	struct isup_proc *p;

	if (!cc)
		return -ENOENT;
	if (proc_find(l, ISUP_PROC_RSC, cic) || proc_find(l, ISUP_PROC_GRS, cic))
		return -EBUSY;
	circuit_clear(l, cc, ISUP_CAUSE_TEMPORARY_FAILURE);
	p = proc_start(l, ISUP_PROC_RSC, cic, 1);
	if (!p)
		return -ENOMEM;
	cc->pending |= ISUP_PEND_RESET;
	proc_arm(p);
	reblock_after_reset(l, cic, 1);
	return 0;
}

static int check_group(struct isup_link *l, unsigned cic, unsigned n)
{
	/* Q.763 3.43: range 1..31 (2..32 circuits) for the group messages */
	if (n < 2 || n > 32)
		return -ERANGE;
	for (unsigned i = 0; i < n; i++)
		if (!isup_cic_get(l->cics, cic + i))
			return -ENOENT;
	return 0;
}

int isup_link_group_reset(struct isup_link *l, unsigned cic, unsigned n)
{
	struct isup_proc *p;
	int rc = check_group(l, cic, n);

	if (rc < 0)
		return rc;
	if (proc_find(l, ISUP_PROC_GRS, cic))
		return -EBUSY;
	for (unsigned i = 0; i < n; i++) {
		struct isup_cic *cc = isup_cic_get(l->cics, cic + i);

		proc_cancel(l, ISUP_PROC_RSC, cic + i);
		circuit_clear(l, cc, ISUP_CAUSE_TEMPORARY_FAILURE);
		cc->pending |= ISUP_PEND_RESET;
	}
	p = proc_start(l, ISUP_PROC_GRS, cic, n);
	if (!p)
		return -ENOMEM;
	proc_arm(p);
	reblock_after_reset(l, cic, n);
	return 0;
}

int isup_link_block(struct isup_link *l, unsigned cic, bool block)
{
	struct isup_cic *cc = isup_cic_get(l->cics, cic);
	struct isup_proc *p;

	if (!cc)
		return -ENOENT;
	proc_cancel(l, block ? ISUP_PROC_UBL : ISUP_PROC_BLO, cic);
	if (proc_find(l, block ? ISUP_PROC_BLO : ISUP_PROC_UBL, cic))
		return -EBUSY;
	p = proc_start(l, block ? ISUP_PROC_BLO : ISUP_PROC_UBL, cic, 1);
	if (!p)
		return -ENOMEM;
	/* Q.764 2.8.2.1: a maintenance block does not end a call in progress;
	 * it only keeps new outgoing calls off the circuit, at once */
	if (block)
		cc->blocked |= ISUP_BLK_LOCAL_MAINT;
	cc->pending |= block ? ISUP_PEND_BLO : ISUP_PEND_UBL;
	proc_arm(p);
	return 0;
}

int isup_link_group_block(struct isup_link *l, unsigned cic, unsigned n, bool block, bool hardware)
{
	uint8_t bit = hardware ? ISUP_BLK_LOCAL_HW : ISUP_BLK_LOCAL_MAINT;
	struct isup_proc *p;
	int rc = check_group(l, cic, n);

	if (rc < 0)
		return rc;
	if (proc_find(l, block ? ISUP_PROC_CGB : ISUP_PROC_CGU, cic))
		return -EBUSY;
	proc_cancel(l, block ? ISUP_PROC_CGU : ISUP_PROC_CGB, cic);
	p = proc_start(l, block ? ISUP_PROC_CGB : ISUP_PROC_CGU, cic, n);
	if (!p)
		return -ENOMEM;
	p->hardware = hardware;
	for (unsigned i = 0; i < n; i++) {
		struct isup_cic *cc = isup_cic_get(l->cics, cic + i);

		p->status[i / 8] |= (uint8_t)(1u << (i % 8));
		if (block) {
			cc->blocked |= bit;
			/* Q.764 2.8.2.2: hardware blocking clears calls at once */
			if (hardware)
				circuit_clear(l, cc, ISUP_CAUSE_TEMPORARY_FAILURE);
		}
		cc->pending |= block ? ISUP_PEND_BLO : ISUP_PEND_UBL;
	}
	proc_arm(p);
	return 0;
}

int isup_link_query(struct isup_link *l, unsigned cic, unsigned n)
{
	int rc = check_group(l, cic, n);

	if (rc < 0 && !(rc == -ERANGE && n == 1))
		return rc;
	return send_range(l, ISUP_MT_CQM, cic, n, NULL, 0, false);
}

/* --- link state --- */

void isup_link_up(struct isup_link *l)
{
	struct isup_cic *cc = NULL;

	if (l->up)
		return;
	l->up = true;
	LOGL(l, LOGL_NOTICE, "destination %u available\n", l->cfg.dpc);
	{
		struct isup_proc *p;

		/* what was pending went nowhere while the destination was away */
		llist_for_each_entry(p, &l->procs, list) proc_send(p);
	}
	if (!l->cfg.grs_on_up)
		return;
	/* Q.764 2.9.3.1: after a failure the circuits' state is not known:
	 * reset them all, in groups of up to 32 consecutive CICs */
	while ((cc = isup_cic_next(l->cics, cc))) {
		unsigned first = cc->cic, n = 1;
		struct isup_cic *next;

		while (n < 32 && (next = isup_cic_get(l->cics, first + n)))
			n++;
		if (n == 1)
			isup_link_reset(l, first);
		else
			isup_link_group_reset(l, first, n);
		cc = isup_cic_get(l->cics, first + n - 1);
	}
}

void isup_link_down(struct isup_link *l)
{
	if (!l->up)
		return;
	l->up = false;
	/* Q.764 2.13 (MTP pause): calls stay; nothing is sent until resume */
	LOGL(l, LOGL_NOTICE, "destination %u unavailable\n", l->cfg.dpc);
}

/* --- receiving --- */

static int rx_range(struct isup_link *l, const struct isup_msg *m, struct isup_range_status *rs)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_RANGE_AND_STATUS);

	if (!p || isup_range_status_decode(p->val, p->len, rs) < 0) {
		LOGL(l, LOGL_NOTICE, "CIC %u: %s without a valid range and status: discarded\n",
		     m->cic, isup_msg_type_name(m->type));
		l->st.rx_bad++;
		return -EBADMSG;
	}
	return 0;
}

static void rx_rsc(struct isup_link *l, struct isup_cic *cc)
{
	/* Q.764 2.9.3.1 a)-e): the call is released, remote blocking removed,
	 * RLC sent; a circuit we blocked gets its BLO again */
	proc_cancel(l, ISUP_PROC_RSC, cc->cic);
	cc->pending &= (uint8_t)~ISUP_PEND_RESET;
	circuit_clear(l, cc, ISUP_CAUSE_TEMPORARY_FAILURE);
	cc->blocked &= (uint8_t)~ISUP_BLK_REMOTE_MAINT;
	isup_link_send_simple(l, ISUP_MT_RLC, cc->cic);
	if ((cc->blocked & ISUP_BLK_LOCAL_MAINT) && !proc_find(l, ISUP_PROC_BLO, cc->cic)) {
		struct isup_proc *p = proc_start(l, ISUP_PROC_BLO, cc->cic, 1);

		if (p)
			proc_arm(p);
	}
}

static void rx_grs(struct isup_link *l, const struct isup_msg *m)
{
	struct isup_range_status rs;
	uint8_t status[4] = {0};
	unsigned n;

	if (rx_range(l, m, &rs) < 0)
		return;
	n = rs.range + 1u;
	if (n < 2 || n > 32) {
		LOGL(l, LOGL_NOTICE, "CIC %u: GRS range %u out of 1..31: discarded\n", m->cic,
		     rs.range);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		struct isup_cic *cc = isup_cic_get(l->cics, m->cic + i);

		if (!cc)
			continue;
		proc_cancel(l, ISUP_PROC_RSC, cc->cic);
		cc->pending &= (uint8_t)~ISUP_PEND_RESET;
		circuit_clear(l, cc, ISUP_CAUSE_TEMPORARY_FAILURE);
		cc->blocked &= (uint8_t) ~(ISUP_BLK_REMOTE_MAINT);
		/* Q.764 2.9.3.2: GRA reports circuits we block for maintenance */
		if (cc->blocked & ISUP_BLK_LOCAL_MAINT)
			status[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	send_range(l, ISUP_MT_GRA, m->cic, n, status, 0, false);
}

static void rx_gra(struct isup_link *l, const struct isup_msg *m)
{
	struct isup_proc *p = proc_find(l, ISUP_PROC_GRS, m->cic);
	struct isup_range_status rs;

	if (!p || p->cic != m->cic) {
		LOGL(l, LOGL_INFO, "CIC %u: GRA without a GRS of ours: discarded\n", m->cic);
		l->st.rx_unexpected++;
		return;
	}
	if (rx_range(l, m, &rs) < 0)
		return;
	if (rs.range + 1u != p->n) {
		LOGL(l, LOGL_NOTICE, "CIC %u: GRA range %u, our GRS had %u: discarded\n", m->cic,
		     rs.range, p->n - 1);
		return;
	}
	for (unsigned i = 0; i < p->n; i++) {
		struct isup_cic *cc = isup_cic_get(l->cics, p->cic + i);
		bool blk = i / 8 < rs.status_len && (rs.status[i / 8] >> (i % 8)) & 1;

		cc->pending &= (uint8_t)~ISUP_PEND_RESET;
		if (blk)
			cc->blocked |= ISUP_BLK_REMOTE_MAINT;
		else
			cc->blocked &= (uint8_t)~ISUP_BLK_REMOTE_MAINT;
	}
	LOGL(l, LOGL_INFO, "CIC %u-%u reset (GRA)\n", p->cic, p->cic + p->n - 1);
	proc_free(p);
}

static void rx_cgb(struct isup_link *l, const struct isup_msg *m, bool block)
{
	struct isup_range_status rs;
	uint8_t type;
	unsigned n;
	uint8_t bit;

	if (rx_range(l, m, &rs) < 0 ||
	    isup_msg_u8(m, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &type) < 0)
		return;
	n = rs.range + 1u;
	if (n < 2 || n > 32 || rs.status_len < (n + 7) / 8) {
		LOGL(l, LOGL_NOTICE, "CIC %u: %s range %u invalid: discarded\n", m->cic,
		     block ? "CGB" : "CGU", rs.range);
		return;
	}
	bit = (type & 3) == 1 ? ISUP_BLK_REMOTE_HW : ISUP_BLK_REMOTE_MAINT;
	for (unsigned i = 0; i < n; i++) {
		struct isup_cic *cc;

		if (!((rs.status[i / 8] >> (i % 8)) & 1))
			continue;
		cc = isup_cic_get(l->cics, m->cic + i);
		if (!cc) {
			/* acknowledge only what we have */
			rs.status[i / 8] &= (uint8_t) ~(1u << (i % 8));
			continue;
		}
		if (block) {
			cc->blocked |= bit;
			/* Q.764 2.8.2.2: hardware blocking releases calls */
			if (bit == ISUP_BLK_REMOTE_HW)
				circuit_clear(l, cc, ISUP_CAUSE_TEMPORARY_FAILURE);
		} else {
			cc->blocked &= (uint8_t)~bit;
		}
	}
	{
		uint8_t rsbuf[40];
		struct isup_msg a;
		int len = isup_range_status_encode(&rs, rsbuf, sizeof(rsbuf));

		if (len < 0)
			return;
		isup_msg_init(&a, block ? ISUP_MT_CGBA : ISUP_MT_CGUA, m->cic);
		isup_msg_add(&a, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &type, 1);
		isup_msg_add(&a, ISUP_PAR_RANGE_AND_STATUS, rsbuf, (size_t)len);
		isup_link_send(l, &a);
	}
}

static void rx_cgba(struct isup_link *l, const struct isup_msg *m, bool block)
{
	struct isup_proc *p = proc_find(l, block ? ISUP_PROC_CGB : ISUP_PROC_CGU, m->cic);
	struct isup_range_status rs;

	if (!p || p->cic != m->cic) {
		l->st.rx_unexpected++;
		LOGL(l, LOGL_INFO, "CIC %u: %s without our request: discarded\n", m->cic,
		     block ? "CGBA" : "CGUA");
		return;
	}
	if (rx_range(l, m, &rs) < 0)
		return;
	for (unsigned i = 0; i < p->n; i++) {
		struct isup_cic *cc = isup_cic_get(l->cics, p->cic + i);

		cc->pending &= (uint8_t) ~(block ? ISUP_PEND_BLO : ISUP_PEND_UBL);
		if (!block)
			cc->blocked &=
				(uint8_t) ~(p->hardware ? ISUP_BLK_LOCAL_HW : ISUP_BLK_LOCAL_MAINT);
	}
	LOGL(l, LOGL_INFO, "CIC %u-%u %s acknowledged\n", p->cic, p->cic + p->n - 1,
	     block ? "blocking" : "unblocking");
	proc_free(p);
}

/* Q.763 3.14 circuit state indicator, one octet per circuit */
static uint8_t circuit_state(const struct isup_cic *cc)
{
	uint8_t ba = 0, dc, fe = 0;

	if (!cc)
		return 3; /* unequipped */
	if (cc->blocked & ISUP_BLK_LOCAL_MAINT)
		ba |= 1;
	if (cc->blocked & ISUP_BLK_REMOTE_MAINT)
		ba |= 2;
	if (cc->blocked & ISUP_BLK_LOCAL_HW)
		fe |= 1;
	if (cc->blocked & ISUP_BLK_REMOTE_HW)
		fe |= 2;
	dc = cc->call == ISUP_CIC_IN_BUSY ? 1 : cc->call == ISUP_CIC_OUT_BUSY ? 2 : 3;
	return (uint8_t)(ba | dc << 2 | fe << 4);
}

static void rx_cqm(struct isup_link *l, const struct isup_msg *m)
{
	struct isup_range_status rs;
	uint8_t rsbuf[8], csi[32];
	struct isup_msg a;
	unsigned n;
	int len;

	if (rx_range(l, m, &rs) < 0)
		return;
	n = rs.range + 1u;
	if (n > 32)
		return;
	for (unsigned i = 0; i < n; i++)
		csi[i] = circuit_state(isup_cic_get(l->cics, m->cic + i));
	rs.status_len = 0;
	len = isup_range_status_encode(&rs, rsbuf, sizeof(rsbuf));
	if (len < 0)
		return;
	isup_msg_init(&a, ISUP_MT_CQR, m->cic);
	isup_msg_add(&a, ISUP_PAR_RANGE_AND_STATUS, rsbuf, (size_t)len);
	isup_msg_add(&a, ISUP_PAR_CIRCUIT_STATE_INDICATOR, csi, n);
	isup_link_send(l, &a);
}

static void send_cfn(struct isup_link *l, unsigned cic, uint8_t cause, uint8_t diag)
{
	struct isup_cause c = {
		.location = ISUP_LOC_USER, .value = cause, .diag_len = 1, .diag = {diag}};
	uint8_t buf[40];
	struct isup_msg m;
	int len = isup_cause_encode(&c, buf, sizeof(buf));

	if (len < 0)
		return;
	isup_msg_init(&m, ISUP_MT_CFN, (uint16_t)cic);
	isup_msg_add(&m, ISUP_PAR_CAUSE_INDICATORS, buf, (size_t)len);
	isup_link_send(l, &m);
}

static void rx_iam(struct isup_link *l, struct isup_cic *cc, const struct isup_msg *m,
		   const uint8_t *buf, size_t len)
{
	struct isup_call *ours = cc->user;

	if (cc->blocked & ISUP_BLK_REMOTE_MAINT) {
		/* Q.764 2.8.2.3 viii): an IAM unblocks a remotely blocked circuit */
		LOGL(l, LOGL_NOTICE, "CIC %u: IAM on a circuit the peer blocked: unblocked\n",
		     cc->cic);
		cc->blocked &= (uint8_t)~ISUP_BLK_REMOTE_MAINT;
	}
	if (cc->blocked & (ISUP_BLK_LOCAL_MAINT | ISUP_BLK_LOCAL_HW)) {
		/* Q.764 2.8.2.3 iv): a test call would go on; other calls are
		 * refused and the blocking repeated */
		LOGL(l, LOGL_NOTICE, "CIC %u: IAM on a circuit we blocked: BLO again\n", cc->cic);
		isup_link_send_simple(l, ISUP_MT_BLO, cc->cic);
		return;
	}
	if (cc->pending & ISUP_PEND_RESET) {
		LOGL(l, LOGL_NOTICE, "CIC %u: IAM while our reset is pending: discarded\n",
		     cc->cic);
		return;
	}
	if (ours && cc->call == ISUP_CIC_OUT_BUSY && ours->fi &&
	    ours->fi->state == ISUP_CALL_S_OUT_WAIT_ACM) {
		/* Q.764 2.10.1.4: dual seizure */
		l->st.glare++;
		if (isup_cic_glare(l->cics, cc->cic) == ISUP_GLARE_KEEP_OURS) {
			LOGL(l, LOGL_NOTICE, "CIC %u: dual seizure, we control it: IAM ignored\n",
			     cc->cic);
			return;
		}
		l->st.glare_lost++;
		LOGL(l, LOGL_NOTICE,
		     "CIC %u: dual seizure, the peer controls it: our call "
		     "moves to another circuit\n",
		     cc->cic);
		isup_call_glare_yield(ours);
	} else if (cc->call != ISUP_CIC_IDLE) {
		/* Q.764 2.10.5.1 (unreasonable message): IAM on a busy
		 * circuit: reset it */
		LOGL(l, LOGL_NOTICE, "CIC %u: IAM on a busy circuit: resetting it\n", cc->cic);
		l->st.rx_unexpected++;
		isup_link_reset(l, cc->cic);
		return;
	}
	l->st.calls_in++;
	isup_call_rx_iam(l, cc, m, buf, len);
}

void isup_link_rx(struct isup_link *l, uint32_t opc, const uint8_t *buf, size_t len)
{
	enum isup_decode_err err = ISUP_DEC_OK;
	struct isup_msg m;
	struct isup_cic *cc;
	int rc;

	if (opc != l->cfg.dpc) {
		LOGL(l, LOGL_NOTICE, "message from point code %u, expected %u: discarded\n", opc,
		     l->cfg.dpc);
		l->st.rx_bad++;
		return;
	}
	rc = isup_msg_decode(l->cfg.variant, buf, len, &m, &err);
	if (rc == -ENOTSUP) {
		/* Q.764 2.9.5.1: unrecognised message: confusion, cause 97 */
		LOGL(l, LOGL_NOTICE, "CIC %u: unknown message type 0x%02x: CFN\n", m.cic, m.type);
		l->st.rx_bad++;
		if (m.type != ISUP_MT_CFN && isup_cic_get(l->cics, m.cic))
			send_cfn(l, m.cic, ISUP_CAUSE_MESSAGE_TYPE_NONEXISTENT, m.type);
		return;
	}
	if (rc < 0) {
		char hex[3 * 24 + 1];

		osmo_hexdump_buf(hex, sizeof(hex), buf, len < 24 ? len : 24, "", true);
		LOGL(l, LOGL_NOTICE, "malformed ISUP (%s, error %d), discarded: %s%s\n",
		     len >= 3 ? isup_msg_type_name(buf[2]) ?: "?" : "?", err, hex,
		     len > 24 ? "..." : "");
		l->st.rx_bad++;
		return;
	}
	l->st.rx[m.type]++;
	LOGL(l, LOGL_DEBUG, "CIC %u: rx %s\n", m.cic, isup_msg_type_name(m.type) ?: "?");
	cc = isup_cic_get(l->cics, m.cic);
	if (!cc) {
		/* Q.764 2.12: a CIC we do not have: tell the peer (not for UCIC) */
		l->st.rx_unknown_cic++;
		LOGL(l, LOGL_NOTICE, "%s for CIC %u, which is not equipped here: UCIC\n",
		     isup_msg_type_name(m.type), m.cic);
		if (m.type != ISUP_MT_UCIC && m.type != ISUP_MT_GRS && m.type != ISUP_MT_CGB &&
		    m.type != ISUP_MT_CGU && m.type != ISUP_MT_CQM)
			isup_link_send_simple(l, ISUP_MT_UCIC, m.cic);
		else if (m.type == ISUP_MT_CQM)
			rx_cqm(l, &m);
		else if (m.type == ISUP_MT_CGB || m.type == ISUP_MT_CGU)
			rx_cgb(l, &m, m.type == ISUP_MT_CGB);
		else if (m.type == ISUP_MT_GRS)
			rx_grs(l, &m);
		return;
	}

	switch (m.type) {
	case ISUP_MT_IAM:
		rx_iam(l, cc, &m, buf, len);
		return;
	case ISUP_MT_RSC:
		rx_rsc(l, cc);
		return;
	case ISUP_MT_GRS:
		rx_grs(l, &m);
		return;
	case ISUP_MT_GRA:
		rx_gra(l, &m);
		return;
	case ISUP_MT_BLO:
		cc->blocked |= ISUP_BLK_REMOTE_MAINT;
		isup_link_send_simple(l, ISUP_MT_BLA, cc->cic);
		/* Q.764 2.8.2.1: a call in progress stays; an outgoing call not yet
		 * answered... stays too; only new outgoing calls are barred */
		return;
	case ISUP_MT_UBL:
		cc->blocked &= (uint8_t)~ISUP_BLK_REMOTE_MAINT;
		isup_link_send_simple(l, ISUP_MT_UBA, cc->cic);
		return;
	case ISUP_MT_BLA:
	case ISUP_MT_UBA: {
		bool blo = m.type == ISUP_MT_BLA;
		struct isup_proc *p = proc_find(l, blo ? ISUP_PROC_BLO : ISUP_PROC_UBL, cc->cic);

		if (!p) {
			/* Q.764 2.9.4 (unexpected BLA/UBA): discarded */
			l->st.rx_unexpected++;
			LOGL(l, LOGL_INFO, "CIC %u: %s without our request: discarded\n", cc->cic,
			     isup_msg_type_name(m.type));
			return;
		}
		cc->pending &= (uint8_t) ~(blo ? ISUP_PEND_BLO : ISUP_PEND_UBL);
		if (!blo)
			cc->blocked &= (uint8_t)~ISUP_BLK_LOCAL_MAINT;
		proc_free(p);
		return;
	}
	case ISUP_MT_CGB:
	case ISUP_MT_CGU:
		rx_cgb(l, &m, m.type == ISUP_MT_CGB);
		return;
	case ISUP_MT_CGBA:
	case ISUP_MT_CGUA:
		rx_cgba(l, &m, m.type == ISUP_MT_CGBA);
		return;
	case ISUP_MT_CQM:
		rx_cqm(l, &m);
		return;
	case ISUP_MT_CQR:
		LOGL(l, LOGL_INFO, "CIC %u: circuit query response\n", cc->cic);
		return;
	case ISUP_MT_UCIC:
		/* Q.764 2.12.2: the peer has no such circuit: keep it off */
		LOGL(l, LOGL_ERROR, "CIC %u: the peer says it is unequipped: blocked\n", cc->cic);
		cc->blocked |= ISUP_BLK_REMOTE_MAINT;
		circuit_clear(l, cc, ISUP_CAUSE_TEMPORARY_FAILURE);
		/* nothing pending on it will ever be acknowledged */
		proc_cancel(l, ISUP_PROC_RSC, cc->cic);
		proc_cancel(l, ISUP_PROC_BLO, cc->cic);
		proc_cancel(l, ISUP_PROC_UBL, cc->cic);
		cc->pending = 0;
		return;
	case ISUP_MT_CFN:
		LOGL(l, LOGL_NOTICE, "CIC %u: the peer sent confusion (CFN)\n", cc->cic);
		return;
	case ISUP_MT_RLC:
		/* RLC answering our RSC ends the reset */
		if (proc_find(l, ISUP_PROC_RSC, cc->cic)) {
			proc_cancel(l, ISUP_PROC_RSC, cc->cic);
			cc->pending &= (uint8_t)~ISUP_PEND_RESET;
			isup_link_circuit_idle(l, cc);
			LOGL(l, LOGL_INFO, "CIC %u reset (RLC)\n", cc->cic);
			return;
		}
		break;
	case ISUP_MT_REL:
		if (!cc->user) {
			/* Q.764 2.10.5.1: REL on an idle circuit: RLC */
			isup_link_send_simple(l, ISUP_MT_RLC, cc->cic);
			return;
		}
		break;
	default:
		break;
	}

	if (cc->user && isup_call_rx(cc->user, &m))
		return;
	if (m.type == ISUP_MT_RLC) {
		l->st.rx_unexpected++;
		LOGL(l, LOGL_INFO, "CIC %u: unexpected RLC: discarded\n", cc->cic);
		return;
	}
	l->st.rx_unexpected++;
	switch (m.type) {
	case ISUP_MT_SAM:
	case ISUP_MT_COT:
	case ISUP_MT_ACM:
	case ISUP_MT_CPG:
	case ISUP_MT_ANM:
	case ISUP_MT_CON:
		break;
	default:
		LOGL(l, LOGL_INFO, "CIC %u: %s not handled in this state: discarded\n", cc->cic,
		     isup_msg_type_name(m.type) ?: "?");
		return;
	}
	/* Q.764 2.10.5.1: a call message on a circuit without a call (or out of
	 * sequence) resets the circuit so both ends agree it is idle */
	LOGL(l, LOGL_NOTICE, "CIC %u: unexpected %s: resetting the circuit\n", cc->cic,
	     isup_msg_type_name(m.type) ?: "?");
	if (!proc_find(l, ISUP_PROC_RSC, cc->cic) && !proc_find(l, ISUP_PROC_GRS, cc->cic))
		isup_link_reset(l, cc->cic);
}
