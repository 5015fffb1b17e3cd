/* The interworking call's life cycle (RFC 3398 for plain SIP trunks): the
 * call FSM (states, allowed events, timers), allocation and the end of a
 * call (clearing from either side, the CDR line), the periodic round over
 * the calls, and what show calls / show memory read.
 *
 *   circuit -> SIP: iw_call_to_sip.c     SIP -> circuit: iw_call_to_circuit.c
 *   media channel:  iw_call_media.c      limits: iw_admit.c
 *   SIP-I bodies:   iw_call_sipi.c       Diversion / History-Info: iw_redirect.c
 *   the circuit leg (ISUP now, Q.931 next): iw_leg.h, iw_leg_isup.c
 *
 * Who ends a call: either side's release (REL, BYE, CANCEL, a final error)
 * moves it to CLEARING and tells the other side; the call is freed when
 * neither its circuit leg nor its SIP leg is left. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "interwork/iw_call_int.h"
#include "interwork/iw_cdr.h"
#include "interwork/iw_cause.h"
#include "interwork/iw_enum_dns.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"

#define S(x) (1u << (x))

/* The call's own timers ("timer call XN", "show timer"), valid from the
 * start (.val as the default: no reset needed before the configuration).
 * The trunk's max-call-duration stays with the trunk (a per-trunk figure). */
struct osmo_tdef iw_call_tdefs[] = {
	{.T = -1,
	 .default_val = 300,
	 .val = 300,
	 .unit = OSMO_TDEF_MS,
	 .desc = "ENUM lookup budget before the static route is used (enum budget)"},
	{.T = -2,
	 .default_val = 0,
	 .unit = OSMO_TDEF_S,
	 .desc = "failure tone toward TDM before the REL (0: each trunk's tones-on-failure)"},
	{.T = -3,
	 .default_val = 0,
	 .unit = OSMO_TDEF_S,
	 .desc = "no answer: from the INVITE or IAM to the answer, then cause 18/19 (0: off)"},
	{},
};

/* show calls keeps its words: setup, early, active, clearing */
static const char *const state_show[] = {
	[IW_CALL_S_ROUTING] = "setup",	   [IW_CALL_S_ENUM] = "setup",
	[IW_CALL_S_SETUP] = "setup",	   [IW_CALL_S_EARLY] = "early",
	[IW_CALL_S_ACTIVE] = "active",	   [IW_CALL_S_FAIL_TONE] = "clearing",
	[IW_CALL_S_CLEARING] = "clearing",
};

static const struct value_string call_event_names[] = {
	{IW_CALL_E_SIP_PROGRESS, "SIP_PROGRESS"},
	{IW_CALL_E_SIP_ANSWER, "SIP_ANSWER"},
	{IW_CALL_E_SIP_FAILED, "SIP_FAILED"},
	{IW_CALL_E_SIP_BYE, "SIP_BYE"},
	{IW_CALL_E_SIP_EXPIRED, "SIP_SESSION_EXPIRED"},
	{IW_CALL_E_SIP_GONE, "SIP_GONE"},
	{IW_CALL_E_CIRCUIT_PROGRESS, "CIRCUIT_PROGRESS"},
	{IW_CALL_E_CIRCUIT_ANSWER, "CIRCUIT_ANSWER"},
	{IW_CALL_E_CIRCUIT_RELEASE, "CIRCUIT_RELEASE"},
	{IW_CALL_E_ENUM_DONE, "ENUM_DONE"},
	{IW_CALL_E_END, "END"},
	{0, NULL},
};

static void call_action(struct osmo_fsm_inst *fi, uint32_t event, void *data);
static int call_timer_cb(struct osmo_fsm_inst *fi);

/* either side may end the call, and the operator may, in every state */
#define ENDING (S(IW_CALL_E_CIRCUIT_RELEASE) | S(IW_CALL_E_END))
/* what our INVITE (circuit -> SIP) and our IAM (SIP -> circuit) hear
 * before the answer */
#define SETUP_IN                                                                                  \
	(ENDING | S(IW_CALL_E_SIP_PROGRESS) | S(IW_CALL_E_SIP_ANSWER) | S(IW_CALL_E_SIP_FAILED) | \
	 S(IW_CALL_E_SIP_BYE) | S(IW_CALL_E_SIP_EXPIRED) | S(IW_CALL_E_SIP_GONE) |                \
	 S(IW_CALL_E_CIRCUIT_PROGRESS) | S(IW_CALL_E_CIRCUIT_ANSWER))

static const struct osmo_fsm_state call_states[] = {
	/* synchronous: the checks, the route; the SIP side may only be
	 * answered (a refusal), its dialog then ends */
	[IW_CALL_S_ROUTING] = {.name = "ROUTING",
			       .in_event_mask = ENDING | S(IW_CALL_E_SIP_GONE),
			       .out_state_mask = S(IW_CALL_S_ENUM) | S(IW_CALL_S_SETUP) |
						 S(IW_CALL_S_CLEARING),
			       .action = call_action},
	/* circuit -> SIP: no SIP leg yet; the lookup or its budget (X1) */
	[IW_CALL_S_ENUM] = {.name = "ENUM",
			    .in_event_mask = ENDING | S(IW_CALL_E_ENUM_DONE),
			    .out_state_mask = S(IW_CALL_S_SETUP) | S(IW_CALL_S_CLEARING),
			    .action = call_action},
	/* INVITE or IAM out (route advance stays here); no answer: X3 */
	[IW_CALL_S_SETUP] = {.name = "SETUP",
			     .in_event_mask = SETUP_IN,
			     .out_state_mask = S(IW_CALL_S_EARLY) | S(IW_CALL_S_ACTIVE) |
					       S(IW_CALL_S_FAIL_TONE) | S(IW_CALL_S_CLEARING),
			     .action = call_action},
	/* alerting or progress went back; X3 keeps running */
	[IW_CALL_S_EARLY] = {.name = "EARLY",
			     .in_event_mask = SETUP_IN,
			     .out_state_mask = S(IW_CALL_S_ACTIVE) | S(IW_CALL_S_FAIL_TONE) |
					       S(IW_CALL_S_CLEARING),
			     .action = call_action},
	/* answered: re-INVITEs and INFO are the SIP leg's business */
	[IW_CALL_S_ACTIVE] = {.name = "ACTIVE",
			      .in_event_mask = ENDING | S(IW_CALL_E_SIP_BYE) |
					       S(IW_CALL_E_SIP_EXPIRED) | S(IW_CALL_E_SIP_GONE),
			      .out_state_mask = S(IW_CALL_S_CLEARING),
			      .action = call_action},
	/* circuit -> SIP refused: busy or congestion toward TDM (X2 or the
	 * trunk's tones-on-failure), then REL; the SIP dialog finishes */
	[IW_CALL_S_FAIL_TONE] = {.name = "FAILURE_TONE",
				 .in_event_mask = ENDING | S(IW_CALL_E_SIP_GONE),
				 .out_state_mask = S(IW_CALL_S_CLEARING),
				 .action = call_action},
	/* one side is gone; the other's responses and its end still come */
	[IW_CALL_S_CLEARING] = {.name = "CLEARING",
				.in_event_mask = ENDING | S(IW_CALL_E_SIP_PROGRESS) |
						 S(IW_CALL_E_SIP_ANSWER) | S(IW_CALL_E_SIP_FAILED) |
						 S(IW_CALL_E_SIP_BYE) | S(IW_CALL_E_SIP_EXPIRED) |
						 S(IW_CALL_E_SIP_GONE),
				.out_state_mask = 0,
				.action = call_action},
};

struct osmo_fsm iw_call_fsm = {
	.name = "IW_CALL",
	.states = call_states,
	.num_states = ARRAY_SIZE(call_states),
	.timer_cb = call_timer_cb,
	.log_subsys = DIW,
	.event_names = call_event_names,
};

#define IW_STATS_PERIOD_US 2000000
#define IW_STATS_SLICES	   8

static void circuit_released(struct iw_call *c, const struct iw_leg_ev *ev);
static void call_end(struct iw_call *c, uint8_t cause);

/* Q.764 2.13: while the circuit's signalling route is down the call stays;
 * past ss7-outage-hold it ends (cause 38 network out of order: the SIP side
 * gets a BYE with that Reason; the REL cannot leave while the route is
 * down and is repeated under the release supervision, T1/T5, once it is
 * back). Checked with the stats tick: a 2 s granularity. */
static bool ss7_hold_check(struct iw_call *c)
{
	/* milliseconds on the monotonic clock: whole seconds of time()
	 * ended a 4 s hold after 3.0 s when the two ticks fell either side
	 * of a second's boundary */
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (!c->cleg || !c->cleg->ops->signalling_up || c->cleg->ops->signalling_up(c->cleg)) {
		c->ss7_down_since_ms = 0;
		return false;
	}
	if (!c->ss7_down_since_ms) {
		c->ss7_down_since_ms = now;
		return false;
	}
	if (!c->iw->cfg.ss7_hold_s || now - c->ss7_down_since_ms < c->iw->cfg.ss7_hold_s * 1000ull)
		return false;
	LOGCALL(c, LOGL_NOTICE, "signalling route down for %.1f s (ss7-outage-hold): cause 38\n",
		(double)(now - c->ss7_down_since_ms) / 1000.0);
	return true;
}

/* The call after c in a walk over iw->calls that may end c: a call joined
 * to c (attended transfer) is released and freed with it, so when the
 * peer is the walk's next one the walk steps over it. */
static struct iw_call *next_past_peer(struct iw *iw, struct iw_call *c, struct iw_call *n)
{
	if (c->joined && c->joined == n)
		n = n->list.next == &iw->calls ? NULL
					       : llist_entry(n->list.next, struct iw_call, list);
	return n;
}

/* Every 2 s the channels of calls with media report their figures
 * (show calls); a few hundred bytes per call through the event queue. The
 * round goes in IW_STATS_SLICES steps, each taking the next eighth of the
 * calls from where the last stopped (iw->stats_next, moved on when that
 * call goes): 10,000 calls asked at once were 10,000 queries in a worker's
 * command queue of 4,096, crowding out the commands of calls being set up
 * and released, and a step that walked the whole list to pick its eighth
 * by id was 5 % of tandemd's time with 10,000 calls up (the busy-hour
 * bench's profile). Each query is O(1) (the reports come back by channel
 * id through iw->by_chan). */
static void stats_tick(void *priv)
{
	struct iw *iw = priv;
	unsigned quota = (unsigned)((iw->st.active + IW_STATS_SLICES - 1) / IW_STATS_SLICES);

	for (unsigned k = 0; k < quota; k++) {
		struct iw_call *c = iw->stats_next ? iw->stats_next : iw_call_next(iw, NULL);

		if (!c)
			break;
		iw->stats_next = iw_call_next(iw, c);
		if (!iw->stats_next)
			k = quota; /* the list's end ends the step: a round is >= 8 steps */
		if (c->have_chan && c->media_up)
			media_chan_query(iw->media, c->chan);
		/* ending c may end its joined partner too: whichever goes
		 * while it is stats_next moves stats_next on (call_free) */
		if (ss7_hold_check(c))
			iw_call_end(c, 38);
	}
	loop_timer_schedule(iw->loop, &iw->stats_timer, IW_STATS_PERIOD_US / IW_STATS_SLICES);
}

struct iw *iw_alloc(void *ctx, const struct iw_cfg *cfg, struct loop *l, struct media_engine *media,
		    struct sip_ua *ua, iw_route_cb route, void *route_priv)
{
	static bool registered;
	struct iw *iw = talloc_zero(ctx, struct iw);

	if (!iw)
		return NULL;
	if (!registered) {
		OSMO_ASSERT(osmo_fsm_register(&iw_call_fsm) == 0);
		registered = true;
	}
	iw->ctx = ctx;
	iw->cfg = *cfg;
	if (!iw->cfg.tone_plan)
		iw->cfg.tone_plan = "itu";
	if (cfg->enum_budget_ms)
		osmo_tdef_set(iw_call_tdefs, -1, cfg->enum_budget_ms, OSMO_TDEF_MS);
	iw->media = media;
	iw->ua = ua;
	iw->loop = l;
	iw->route = route;
	iw->route_priv = route_priv;
	INIT_LLIST_HEAD(&iw->calls);
	hash_init(iw->by_chan);
	hash_init(iw->by_id);
	iw_call_index_init(iw);
	loop_timer_init(&iw->stats_timer, stats_tick, iw);
	loop_timer_schedule(l, &iw->stats_timer, IW_STATS_PERIOD_US / IW_STATS_SLICES);
	if (cfg->enum_servers && cfg->enum_servers[0]) {
		struct iw_enum_cfg ec = {.servers = cfg->enum_servers,
					 .suffix = cfg->enum_suffix,
					 .timeout_ms = cfg->enum_timeout_ms};

		iw->en = iw_enum_alloc(iw, l, &ec);
		if (!iw->en) {
			loop_timer_cancel(l, &iw->stats_timer);
			talloc_free(iw);
			return NULL;
		}
	}
	return iw;
}

void iw_free(struct iw *iw)
{
	struct iw_call *c, *n;

	if (!iw)
		return;
	for (c = iw_call_next(iw, NULL); c; c = n) {
		n = next_past_peer(iw, c, iw_call_next(iw, c));
		if (c->leg)
			sip_leg_detach(c->leg);
		c->leg = NULL;
		iw_circuit_release(c, ISUP_CAUSE_TEMPORARY_FAILURE, ISUP_LOC_BEYOND_INTERWORKING);
		iw_call_maybe_free(c);
	}
	iw_enum_free(iw->en);
	loop_timer_cancel(iw->loop, &iw->stats_timer);
	talloc_free(iw);
}

const struct iw_stats *iw_get_stats(const struct iw *iw)
{
	return &iw->st;
}

void iw_reconfigure(struct iw *iw, const struct iw_cfg *cfg)
{
	/* the ENUM resolver (servers, suffix, timeout) is made once, at start */
	iw->cfg.num = cfg->num;
	iw->cfg.tone_plan = cfg->tone_plan ? cfg->tone_plan : "itu";
	iw->cfg.ringback = cfg->ringback;
	iw->cfg.enum_budget_ms = cfg->enum_budget_ms;
	if (cfg->enum_budget_ms)
		osmo_tdef_set(iw_call_tdefs, -1, cfg->enum_budget_ms, OSMO_TDEF_MS);
	iw->cfg.max_attempts = cfg->max_attempts;
	iw->cfg.np_prefix = cfg->np_prefix;
	iw->cfg.numbering = cfg->numbering;
	iw->cfg.causes = cfg->causes;
	iw->cfg.ss7_hold_s = cfg->ss7_hold_s;
}

/* The call lives in its FSM instance's talloc tree: terminating the
 * instance frees the call with everything it owns. */
static const char no_call_id[] = "";

void iw_call_set_call_id(struct iw_call *c, const char *id)
{
	char *p = talloc_strdup(c, id ? id : "");

	if (!p)
		return; /* the one we had stays */
	if (c->call_id != no_call_id)
		talloc_free((void *)c->call_id);
	c->call_id = p;
	iw_call_index_call_id(c);
}

struct iw_call *iw_call_alloc(struct iw *iw, bool from_isup)
{
	struct osmo_fsm_inst *fi;
	struct iw_call *c;
	char id[16];

	snprintf(id, sizeof(id), "%u", iw->next_id + 1);
	fi = osmo_fsm_inst_alloc(&iw_call_fsm, iw, NULL, LOGL_INFO, id);
	if (!fi)
		return NULL;
	c = talloc_zero(fi, struct iw_call);
	if (!c) {
		osmo_fsm_inst_free(fi);
		return NULL;
	}
	fi->priv = c;
	c->fi = fi;
	c->iw = iw;
	c->id = ++iw->next_id;
	c->from_isup = from_isup;
	c->span = -1;
	c->isup_variant = -1;
	c->kind = "ISUP";
	c->call_id = no_call_id;
	c->start = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &c->t_start);
	llist_add_tail(&c->list, &iw->calls);
	hash_add(iw->by_id, &c->id_node, c->id);
	iw->st.active++;
	if (from_isup)
		iw->st.isup_to_sip++;
	else
		iw->st.sip_to_isup++;
	return c;
}

const char *iw_call_circuit(const struct iw_call *c)
{
	return c->kind && !strcmp(c->kind, "PRI") ? "pri" : "isup";
}

const char *iw_call_dir(const struct iw_call *c)
{
	bool pri = !strcmp(iw_call_circuit(c), "pri");

	if (c->from_isup)
		return pri ? "pri-sip" : "isup-sip";
	return pri ? "sip-pri" : "sip-isup";
}

struct iw_call *iw_call_find(struct iw *iw, unsigned id)
{
	struct iw_call *c;

	hash_for_each_possible(iw->by_id, c, id_node, id) if (c->id == id) return c;
	return NULL;
}

enum iw_call_state iw_call_get_state(const struct iw_call *c)
{
	return (enum iw_call_state)c->fi->state;
}

int iw_call_state(struct iw_call *c, enum iw_call_state st)
{
	struct osmo_fsm_inst *fi = c->fi;
	unsigned long secs;

	if (fi->state == (uint32_t)st)
		return 0;
	switch (st) {
	case IW_CALL_S_ENUM: {
		unsigned long ms = osmo_tdef_get(iw_call_tdefs, -1, OSMO_TDEF_MS, 300);
		int rc = osmo_fsm_inst_state_chg(fi, st, 0, 0);

		/* libosmocore 1.7's osmo_fsm_inst_state_chg_ms() takes the
		 * sub-second part as microseconds (300 ms ran 0.3 ms): the
		 * instance timer is armed here (as sip_txn.c does) */
		if (rc == 0) {
			fi->T = -1;
			osmo_timer_schedule(&fi->timer, ms / 1000, (ms % 1000) * 1000);
		}
		return rc;
	}
	case IW_CALL_S_SETUP:
		return osmo_fsm_inst_state_chg(
			fi, st, osmo_tdef_get(iw_call_tdefs, -3, OSMO_TDEF_S, 0), -3);
	case IW_CALL_S_EARLY:
		/* the no-answer supervision runs on from the INVITE or IAM */
		return osmo_fsm_inst_state_chg_keep_timer(fi, st);
	case IW_CALL_S_FAIL_TONE:
		secs = osmo_tdef_get(iw_call_tdefs, -2, OSMO_TDEF_S, 0);
		if (!secs && c->trunk)
			secs = c->trunk->failure_tone_s;
		return osmo_fsm_inst_state_chg(fi, st, secs ? secs : 1, -2);
	default:
		return osmo_fsm_inst_state_chg(fi, st, 0, 0);
	}
}

void iw_call_dispatch(struct iw_call *c, enum iw_call_event e, const struct iw_call_ev *d)
{
	osmo_fsm_inst_dispatch(c->fi, e, (void *)d);
}

static void call_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct iw_call *c = fi->priv;
	const struct iw_call_ev *d = data;

	switch (event) {
	case IW_CALL_E_SIP_PROGRESS:
		iw_to_sip_progress(c, d->msg);
		break;
	case IW_CALL_E_SIP_ANSWER:
		iw_to_sip_answered(c, d->msg);
		break;
	case IW_CALL_E_SIP_FAILED:
		iw_to_sip_failed(c, d->status, d->msg);
		break;
	case IW_CALL_E_SIP_BYE: {
		uint8_t loc = ISUP_LOC_BEYOND_INTERWORKING;
		int cause = iw_sipi_rel_cause(c, d->msg, &loc);

		/* BYE (or CANCEL) -> REL 16 normal clearing unless Reason says */
		if (cause < 0)
			cause = iw_cause_from_bye_msg(d->msg);
		LOGCALL(c, LOGL_INFO, "SIP side hung up: REL cause %d\n", cause);
		if (!c->cause) {
			c->cause = cause;
			c->rel_side = "sip";
		}
		iw_call_state(c, IW_CALL_S_CLEARING);
		iw_circuit_release(c, (uint8_t)cause, loc);
		break;
	}
	case IW_CALL_E_SIP_EXPIRED:
		/* RFC 4028 10: the SIP side's session timer ran out (its far end
		 * stopped refreshing, or our refresh went unanswered): the leg
		 * sends the BYE; the circuit gets Q.850 102 "recovery on timer
		 * expiry", the cause for a call ended by a supervision timer, so
		 * billing and the far exchange can tell it from the subscriber's
		 * normal clearing (16). */
		LOGCALL(c, LOGL_NOTICE, "SIP session timer expired: REL cause 102\n");
		if (!c->cause)
			c->cause = 102;
		iw_call_state(c, IW_CALL_S_CLEARING);
		iw_circuit_release(c, 102, ISUP_LOC_BEYOND_INTERWORKING);
		break;
	case IW_CALL_E_SIP_GONE:
		c->leg = NULL;
		if (c->cleg && fi->state != IW_CALL_S_FAIL_TONE) {
			/* the dialog ended without a BYE or failure we saw (no
			 * ACK...); a failure tone on its way keeps the circuit
			 * until it ends */
			iw_circuit_release(c, ISUP_CAUSE_TEMPORARY_FAILURE,
					   ISUP_LOC_BEYOND_INTERWORKING);
		}
		iw_call_maybe_free(c);
		break;
	case IW_CALL_E_CIRCUIT_PROGRESS:
		iw_to_circuit_progress(c, d->lev);
		break;
	case IW_CALL_E_CIRCUIT_ANSWER:
		iw_to_circuit_answer(c, d->lev);
		break;
	case IW_CALL_E_CIRCUIT_RELEASE:
		circuit_released(c, d->lev);
		break;
	case IW_CALL_E_ENUM_DONE:
		iw_to_sip_enum_done(c, d->enum_status, d->enum_res);
		break;
	case IW_CALL_E_END:
		call_end(c, d->cause);
		break;
	}
}

static int call_timer_cb(struct osmo_fsm_inst *fi)
{
	struct iw_call *c = fi->priv;

	switch (fi->T) {
	case -1:
		iw_to_sip_enum_budget(c);
		break;
	case -2:
		iw_fail_tone_done(c);
		break;
	case -3:
		/* Q.850 19 "no answer from user (user alerted)" once alerting
		 * came, else 18 "no user responding" */
		LOGCALL(c, LOGL_NOTICE, "no answer within %lu s (timer X3): cause %u\n",
			osmo_tdef_get(iw_call_tdefs, -3, OSMO_TDEF_S, 0),
			fi->state == IW_CALL_S_EARLY ? 19 : 18);
		call_end(c, fi->state == IW_CALL_S_EARLY ? 19 : 18);
		break;
	}
	return 0; /* the call ends itself (iw_call_maybe_free) */
}

void iw_call_cdr_record(const struct iw_call *c, bool final, int sip_status, int cause, int loc)
{
	struct iw_cdr_rec r = {
		.final = final,
		.call = c->id,
		.attempt = c->attempts ? c->attempts : 1,
		.from_isup = c->from_isup,
		.circuit = iw_call_circuit(c),
		.answer = final ? c->t_answer : (struct timespec){0},
		.calling_in = c->calling,
		.called_in = c->called,
		.calling_out = c->calling,
		.called_out = c->number[0] ? c->number : c->called,
		.ruri_out = c->ruri_sent,
		.linkset = c->linkset,
		.cic = c->cic,
		.span = c->span,
		.timeslot = c->span >= 0 ? (int)c->ts : -1,
		.trunk = c->trunk_name,
		.call_id = c->call_id,
		.cause = cause,
		.cause_loc = cause ? loc : -1,
		.sip_status = sip_status,
		.release_side = final ? c->rel_side : (c->from_isup ? "sip" : iw_call_circuit(c)),
		.codec = c->agreed_ok ? sdp_codec_info(c->agreed.codec)->name : NULL,
		.ptime = c->agreed.tx_ptime ? c->agreed.tx_ptime : 20,
		.have_media = c->have_mst,
		.media = c->mst,
	};
	struct timespec mono;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &r.end);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	/* the start in wall-clock time with ms, from the monotonic age */
	ns = (int64_t)(mono.tv_sec - c->t_start.tv_sec) * 1000000000 +
	     (mono.tv_nsec - c->t_start.tv_nsec);
	ns = (int64_t)r.end.tv_sec * 1000000000 + r.end.tv_nsec - ns;
	r.start.tv_sec = (time_t)(ns / 1000000000);
	r.start.tv_nsec = (long)(ns % 1000000000);
	iw_cdr_write(&r);
}

/* One line per finished call: directions, numbers, both sides' identities,
 * times, the cause and the SIP status. The channel's media figures follow
 * in a "media" line when the worker hands the channel back. */
static void cdr(const struct iw_call *c)
{
	struct timespec now;
	double setup_s, total_s;
	char start[32];
	struct tm tm;

	clock_gettime(CLOCK_MONOTONIC, &now);
	total_s = (double)(now.tv_sec - c->t_start.tv_sec) +
		  (double)(now.tv_nsec - c->t_start.tv_nsec) / 1e9;
	setup_s = c->t_answer.tv_sec ? (double)(c->t_answer.tv_sec - c->start) : total_s;
	gmtime_r(&c->start, &tm);
	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
	LOGP(DCDR, LOGL_NOTICE,
	     "CDR call=%u dir=%s start=%s setup_s=%.0f answered=%s talk_s=%ld calling=%s%s "
	     "called=+%s linkset=%s cic=%u trunk=%s call_id=%s cause=%d sip=%d channel=%08x\n",
	     c->id, iw_call_dir(c), start, setup_s, c->t_answer.tv_sec ? "yes" : "no",
	     c->t_answer.tv_sec ? (long)(time(NULL) - c->t_answer.tv_sec) : 0L,
	     c->calling[0] ? "+" : "", c->calling, c->called, c->linkset[0] ? c->linkset : "-",
	     c->cic, c->trunk_name[0] ? c->trunk_name : "-", c->call_id[0] ? c->call_id : "-",
	     c->cause, c->sip_status, c->have_chan || c->chan_left ? c->chan : 0);
	iw_call_cdr_record(c, true, c->sip_status, c->cause, c->cause_loc);
}

void iw_call_maybe_free(struct iw_call *c)
{
	if (c->cleg || c->leg)
		return;
	if (c->joined)
		iw_refer_joined_end(c);
	if (c->enum_pending) {
		iw_enum_cancel(c->iw->en, c);
		c->enum_pending = false;
	}
	if (c->dur_timer.cb)
		loop_timer_cancel(c->iw->loop, &c->dur_timer);
	if (c->have_chan) {
		media_chan_free(c->iw->media, c->chan);
		hash_del(&c->chan_node);
	}
	iw_trunk_take(c, NULL);
	iw_group_take(c, NULL);
	cdr(c);
	if (c->iw->stats_next == c)
		c->iw->stats_next = iw_call_next(c->iw, c);
	llist_del(&c->list);
	hash_del(&c->id_node);
	iw_call_unindex(c);
	c->iw->st.active--;
	osmo_fsm_inst_term(c->fi, OSMO_FSM_TERM_REGULAR, NULL);
}

/* The circuit is left (REL sent or received): its timeslot goes back now,
 * not when the SIP side has cleared too. A span's channels live on one
 * worker whose commands run in order, so the next call seizing this CIC
 * finds the timeslot free (issue 13: re-seized CICs failed with "Device or
 * resource busy" while the last call's BYE was still out). */
void iw_circuit_left(struct iw_call *c)
{
	c->cleg = NULL;
	iw_refer_abort(c);
	if (!c->have_chan)
		return;
	media_chan_free(c->iw->media, c->chan);
	hash_del(&c->chan_node);
	c->have_chan = false;
	c->media_up = false;
	c->chan_left = true;
}

void iw_circuit_release(struct iw_call *c, uint8_t cause, uint8_t location)
{
	struct iw_leg *leg = c->cleg;

	c->cleg = NULL;
	if (leg)
		leg->ops->release(leg, cause, location);
	iw_circuit_left(c);
}

void iw_call_attach_leg(struct iw_call *c, struct iw_leg *leg)
{
	c->cleg = leg;
	leg->call = c;
	c->group = leg->group;
	c->kind = leg->cls && leg->cls->kind ? leg->cls->kind : "ISUP";
	if (!c->circuit_counted) {
		/* the call's first circuit: its direction for the metrics */
		c->circuit_counted = true;
		if (!strcmp(c->kind, "PRI"))
			(*(c->from_isup ? &c->iw->st.pri_to_sip : &c->iw->st.sip_to_pri))++;
	}
	c->isup_variant = leg->isup_variant;
	c->cic = leg->cic;
	c->span = leg->span;
	c->ts = leg->ts;
	snprintf(c->linkset, sizeof(c->linkset), "%s", leg->group_name);
	iw_call_index_cic(c);
}

/* Answered: route advance is over; what only it needed goes. The trunk's
 * max-call-duration runs from here. */
static void max_duration_done(void *priv)
{
	struct iw_call *c = priv;

	/* an operator's limit, not a failure: normal clearing, with the
	 * reason in the Reason header's text for the far end and the CDR */
	LOGCALL(c, LOGL_NOTICE, "maximum call duration (%u s) reached: releasing (cause 16)\n",
		c->trunk ? c->trunk->max_call_s : 0);
	iw_call_end(c, 16);
}

void iw_call_answered(struct iw_call *c)
{
	TALLOC_FREE(c->alt);
	c->n_alt = c->next_alt = 0;
	TALLOC_FREE(c->spec);
	TALLOC_FREE(c->offer);
	c->offer_len = 0;
	TALLOC_FREE(c->iam);
	c->iam_len = 0;
	clock_gettime(CLOCK_REALTIME, &c->t_answer);
	c->sip_status = 200;
	c->iw->st.answered++;
	if (!c->trunk || !c->trunk->max_call_s)
		return;
	loop_timer_init(&c->dur_timer, max_duration_done, c);
	loop_timer_schedule(c->iw->loop, &c->dur_timer, (uint64_t)c->trunk->max_call_s * 1000000u);
}

void iw_reason_hdr(char *buf, size_t size, uint8_t cause)
{
	if (iw_reason_format(buf, size, cause) < 0)
		buf[0] = '\0';
}

/* The final response rejecting an INVITE for an ISUP cause, through the
 * configured cause table (iw_cause_map_reject_status). */
unsigned iw_isup_to_sip(const struct iw *iw, uint8_t cause, uint8_t location)
{
	return (unsigned)iw_cause_map_reject_status(iw->cfg.causes, cause, location);
}

/* --- the SIP leg's events both directions share --- */

void iw_sip_side_bye(void *u, struct sip_leg *leg, const struct sip_msg *bye)
{
	struct iw_call_ev d = {.msg = bye};

	if (iw_refer_xfer_left(u, leg))
		return; /* a transferor leaving: the call waits for the target */
	iw_call_dispatch(u, IW_CALL_E_SIP_BYE, &d);
}

void iw_sip_side_gone(void *u, struct sip_leg *leg)
{
	if (iw_refer_xfer_left(u, leg))
		return;
	iw_call_dispatch(u, IW_CALL_E_SIP_GONE, NULL);
}

void iw_sip_side_expired(void *u, struct sip_leg *leg)
{
	(void)leg;
	iw_call_dispatch(u, IW_CALL_E_SIP_EXPIRED, NULL);
}

/* --- the circuit leg's events --- */

void iw_leg_event(struct iw_leg *leg, const struct iw_leg_ev *ev)
{
	struct iw_call *c = leg->call;
	struct iw_call_ev d = {.lev = ev};

	if (!c)
		return;
	switch (ev->type) {
	case IW_LEG_EV_PROGRESS:
		iw_call_dispatch(c, IW_CALL_E_CIRCUIT_PROGRESS, &d);
		break;
	case IW_LEG_EV_ANSWER:
		iw_call_dispatch(c, IW_CALL_E_CIRCUIT_ANSWER, &d);
		break;
	case IW_LEG_EV_RELEASE:
		/* the leg is over: the call forgets it before anything else */
		if (c->cleg == leg)
			c->cleg = NULL;
		leg->call = NULL;
		iw_call_dispatch(c, IW_CALL_E_CIRCUIT_RELEASE, &d);
		break;
	case IW_LEG_EV_BEARER:
		if (c->cleg != leg || (leg->span == c->span && leg->ts == c->ts))
			break;
		c->span = leg->span;
		c->ts = leg->ts;
		if (iw_media_move(c) < 0)
			LOGCALL(c, LOGL_ERROR, "the bearer moved to span %d ts %u: no channel\n",
				c->span, c->ts);
		break;
	case IW_LEG_EV_DTMF:
		/* a digit the circuit signalled out of band: toward SIP */
		iw_media_dtmf_to_sip(c, ev->digit, ev->ms);
		break;
	case IW_LEG_EV_SUSPEND:
		LOGCALL(c, LOGL_INFO, "circuit %s\n", ev->suspended ? "suspended" : "resumed");
		break;
	default:
		break;
	}
}

/* The circuit side released (REL received, or the circuit failed here:
 * T7, T9, reset, blocking). SIP -> circuit before any backward message:
 * route advance to the next group; else the SIP side ends with the mapped
 * status, a CANCEL or a BYE (RFC 3398 7.2.3, 8.2.3). */
static void circuit_released(struct iw_call *c, const struct iw_leg_ev *ev)
{
	char reason[96];

	c->cleg = NULL;
	if (!c->from_isup && c->leg && iw_call_get_state(c) == IW_CALL_S_SETUP &&
	    iw_cause_route_advance(ev->cause) && iw_seize_more(c)) {
		/* route advance: before any backward message, another linkset */
		LOGCALL(c, LOGL_INFO, "REL cause %u on linkset %s: route advance\n", ev->cause,
			c->linkset);
		iw_call_cdr_record(c, false, 0, ev->cause, ev->location);
		if (iw_seize(c) == 0) {
			if (iw_media_move(c) == 0) {
				c->iw->st.failovers++;
				return;
			}
			iw_circuit_release(c, ISUP_CAUSE_RESOURCE_UNAVAILABLE,
					   ISUP_LOC_BEYOND_INTERWORKING);
		}
	}
	iw_call_state(c, IW_CALL_S_CLEARING);
	if (!c->cause) {
		c->cause = ev->cause;
		c->cause_loc = ev->location;
		c->rel_side = iw_call_circuit(c);
	}
	iw_reason_hdr(reason, sizeof(reason), ev->cause);
	iw_tone(c, NULL);
	iw_circuit_left(c); /* RLC went: the CIC is idle, so is its timeslot */
	if (c->leg) {
		struct sip_body b = {.headers = reason};
		char mp_body[1024], mp_ctype[120];
		int n;

		if (c->from_isup && !c->t_answer.tv_sec) {
			LOGCALL(c, LOGL_INFO, "REL cause %u: CANCEL\n", ev->cause);
			sip_leg_cancel(c->leg, reason);
			goto out;
		}
		/* Q.1912.5 profile C: on a SIP-I/SIP-T trunk the REL travels in
		 * the final response or the BYE */
		n = iw_sipi_body(c, NULL, 0, ev->isup, mp_body, sizeof(mp_body), mp_ctype,
				 sizeof(mp_ctype));
		if (n > 0) {
			b.content_type = mp_ctype;
			b.body = mp_body;
			b.len = (size_t)n;
		}
		if (!c->from_isup && !c->t_answer.tv_sec) {
			unsigned status = iw_isup_to_sip(c->iw, ev->cause, ev->location);

			LOGCALL(c, LOGL_INFO, "REL cause %u: SIP %u\n", ev->cause, status);
			c->sip_status = (int)status;
			c->iw->st.failed++;
			sip_leg_respond(c->leg, status, &b);
		} else {
			LOGCALL(c, LOGL_INFO, "REL cause %u: BYE%s\n", ev->cause,
				n > 0 ? " with the REL" : "");
			sip_leg_bye_body(c->leg, &b);
		}
	}
out:
	iw_call_maybe_free(c);
}

/* End both sides of a call with a Q.850 cause: REL toward the circuit;
 * BYE, CANCEL or the final error (RFC 3398 mapping) toward SIP. */
static void call_end(struct iw_call *c, uint8_t cause)
{
	struct iw *iw = c->iw;
	char reason[96];

	iw_reason_hdr(reason, sizeof(reason), cause);
	if (!c->cause)
		c->cause = cause;
	iw_call_state(c, IW_CALL_S_CLEARING);
	if (c->enum_pending) {
		iw_enum_cancel(iw->en, c);
		c->enum_pending = false;
	}
	if (c->cleg)
		iw_circuit_release(c, cause, ISUP_LOC_BEYOND_INTERWORKING);
	if (c->leg) {
		/* a confirmed dialog not taken as an answer (a 200 whose delayed
		 * offer was unusable) ends with a BYE too: a CANCEL is too late */
		if (c->t_answer.tv_sec || sip_leg_state(c->leg) == SIP_LEG_S_CONFIRMED) {
			sip_leg_bye(c->leg, reason);
		} else if (c->from_isup) {
			sip_leg_cancel(c->leg, reason);
		} else {
			struct sip_body b = {.headers = reason};

			c->sip_status =
				(int)iw_isup_to_sip(iw, cause, ISUP_LOC_BEYOND_INTERWORKING);
			sip_leg_respond(c->leg, (unsigned)c->sip_status, &b);
		}
	}
	iw_call_maybe_free(c);
}

void iw_call_end(struct iw_call *c, uint8_t cause)
{
	struct iw_call_ev d = {.cause = cause};

	iw_call_dispatch(c, IW_CALL_E_END, &d);
}

unsigned iw_release_all(struct iw *iw, uint8_t cause)
{
	struct iw_call *c, *n;
	unsigned k = 0;

	llist_for_each_entry_safe(c, n, &iw->calls, list)
	{
		if (c->joined) {
			/* each ends in turn here, not through its peer (which
			 * the safe iteration could not see freed) */
			c->joined->joined = NULL;
			c->joined = NULL;
		}
		iw_call_end(c, cause);
		k++;
	}
	return k;
}

unsigned iw_active_calls(const struct iw *iw)
{
	return (unsigned)iw->st.active;
}

struct iw_enum *iw_get_enum(struct iw *iw)
{
	return iw->en;
}

size_t iw_call_mem(const struct iw_call *c, size_t part[3])
{
	size_t p[3] = {talloc_total_size(c), c->leg ? talloc_total_size(c->leg) : 0,
		       c->cleg && c->cleg->ops->mem ? c->cleg->ops->mem(c->cleg) : 0};

	if (part)
		memcpy(part, p, sizeof(p));
	return p[0] + p[1] + p[2];
}

struct iw_call *iw_call_next(struct iw *iw, struct iw_call *prev)
{
	struct llist_head *n = prev ? prev->list.next : iw->calls.next;

	return n == &iw->calls ? NULL : llist_entry(n, struct iw_call, list);
}

void iw_call_info(const struct iw_call *c, struct iw_call_info *out)
{
	out->id = c->id;
	out->from_isup = c->from_isup;
	out->kind = c->kind;
	out->state = state_show[c->fi->state];
	out->linkset = c->linkset;
	out->cic = c->cic;
	out->call_id = c->call_id;
	out->trunk = c->trunk_name;
	out->called = c->called;
	out->calling = c->calling;
	out->chan = c->chan;
	out->have_chan = c->have_chan;
	out->seconds = c->t_answer.tv_sec ? (unsigned)(time(NULL) - c->t_answer.tv_sec) : 0;
	out->codec = c->agreed_ok ? sdp_codec_info(c->agreed.codec)->name : NULL;
	out->ptime = c->agreed.tx_ptime ? c->agreed.tx_ptime : 20;
	out->have_stats = c->have_mst;
	out->stats = c->mst;
	out->joined = c->joined ? c->joined->id : 0;
}
