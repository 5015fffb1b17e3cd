/* ISUP call control (Q.764 2.1-2.7): one osmo_fsm instance per call on a
 * circuit, incoming and outgoing, en-bloc and overlap, continuity check,
 * ACM/CPG/ANM/CON, suspend/resume, and release with T1 and T5. */
#include <errno.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/utils.h>
#include <talloc.h>

#include "core/log.h"
#include "sigtran/isup_link_int.h"

#define S(x) (1 << (x))
#define LOGC(c, lvl, fmt, args...) \
	LOGP(DISUP, lvl, "linkset %s CIC %u: " fmt, (c)->l->name, (c)->cic, ##args)

static const struct value_string call_event_names[] = {
	{ISUP_CALL_E_RX_SAM, "RX_SAM"},
	{ISUP_CALL_E_RX_COT, "RX_COT"},
	{ISUP_CALL_E_RX_ACM, "RX_ACM"},
	{ISUP_CALL_E_RX_CPG, "RX_CPG"},
	{ISUP_CALL_E_RX_ANM, "RX_ANM"},
	{ISUP_CALL_E_RX_CON, "RX_CON"},
	{ISUP_CALL_E_RX_REL, "RX_REL"},
	{ISUP_CALL_E_RX_RLC, "RX_RLC"},
	{ISUP_CALL_E_RX_SUS, "RX_SUS"},
	{ISUP_CALL_E_RX_RES, "RX_RES"},
	{ISUP_CALL_E_TX_ACM, "TX_ACM"},
	{ISUP_CALL_E_TX_CPG, "TX_CPG"},
	{ISUP_CALL_E_TX_ANM, "TX_ANM"},
	{ISUP_CALL_E_TX_CON, "TX_CON"},
	{ISUP_CALL_E_TX_REL, "TX_REL"},
	{ISUP_CALL_E_RESET, "CIRCUIT_RESET"},
	{0, NULL},
};

static void call_action(struct osmo_fsm_inst *fi, uint32_t event, void *data);
static int call_timer_cb(struct osmo_fsm_inst *fi);

#define COMMON_IN (S(ISUP_CALL_E_RX_REL) | S(ISUP_CALL_E_TX_REL) | S(ISUP_CALL_E_RESET))

/* Q.764 2.1-2.3 as a table. Every call is allocated in IN_COLLECT (state
 * 0): an incoming one goes on to collect, test continuity or deliver, an
 * outgoing one sends its IAM (OUT_WAIT_ACM). Any state releases
 * (RELEASING); RELEASING and IN_COLLECT restart their own timer (T1
 * repeating REL, T35 after each SAM). CON answers straight from IN_SETUP;
 * ACM/CON/ANM straight from OUT_WAIT_ACM. */

static const struct osmo_fsm_state call_states[] = {
	[ISUP_CALL_S_IN_COLLECT] = {.name = "IN_COLLECT",
				    .in_event_mask = COMMON_IN | S(ISUP_CALL_E_RX_SAM) |
						     S(ISUP_CALL_E_RX_COT),
				    .out_state_mask =
					    S(ISUP_CALL_S_IN_COLLECT) | S(ISUP_CALL_S_IN_COT) |
					    S(ISUP_CALL_S_IN_SETUP) | S(ISUP_CALL_S_OUT_WAIT_ACM) |
					    S(ISUP_CALL_S_RELEASING),
				    .action = call_action},
	[ISUP_CALL_S_IN_COT] = {.name = "IN_WAIT_COT",
				.in_event_mask =
					COMMON_IN | S(ISUP_CALL_E_RX_COT) | S(ISUP_CALL_E_RX_SAM),
				.out_state_mask = S(ISUP_CALL_S_IN_COLLECT) |
						  S(ISUP_CALL_S_IN_SETUP) |
						  S(ISUP_CALL_S_RELEASING),
				.action = call_action},
	[ISUP_CALL_S_IN_SETUP] = {.name = "IN_SETUP",
				  .in_event_mask = COMMON_IN | S(ISUP_CALL_E_TX_ACM) |
						   S(ISUP_CALL_E_TX_CON) | S(ISUP_CALL_E_RX_SAM),
				  .out_state_mask = S(ISUP_CALL_S_IN_ALERTING) |
						    S(ISUP_CALL_S_ANSWERED) |
						    S(ISUP_CALL_S_RELEASING),
				  .action = call_action},
	[ISUP_CALL_S_IN_ALERTING] = {.name = "IN_ALERTING",
				     .in_event_mask = COMMON_IN | S(ISUP_CALL_E_TX_CPG) |
						      S(ISUP_CALL_E_TX_ANM),
				     .out_state_mask =
					     S(ISUP_CALL_S_ANSWERED) | S(ISUP_CALL_S_RELEASING),
				     .action = call_action},
	[ISUP_CALL_S_OUT_WAIT_ACM] = {.name = "OUT_WAIT_ACM",
				      .in_event_mask = COMMON_IN | S(ISUP_CALL_E_RX_ACM) |
						       S(ISUP_CALL_E_RX_CON) |
						       S(ISUP_CALL_E_RX_ANM),
				      /* itself: the IAM again on another circuit
				       * after a dual seizure, with a new T7 */
				      .out_state_mask = S(ISUP_CALL_S_OUT_WAIT_ACM) |
							S(ISUP_CALL_S_OUT_ALERTING) |
							S(ISUP_CALL_S_ANSWERED) |
							S(ISUP_CALL_S_RELEASING),
				      .action = call_action},
	[ISUP_CALL_S_OUT_ALERTING] = {.name = "OUT_ALERTING",
				      .in_event_mask = COMMON_IN | S(ISUP_CALL_E_RX_CPG) |
						       S(ISUP_CALL_E_RX_ANM),
				      .out_state_mask =
					      S(ISUP_CALL_S_ANSWERED) | S(ISUP_CALL_S_RELEASING),
				      .action = call_action},
	[ISUP_CALL_S_ANSWERED] = {.name = "ANSWERED",
				  .in_event_mask = COMMON_IN | S(ISUP_CALL_E_RX_SUS) |
						   S(ISUP_CALL_E_RX_RES) | S(ISUP_CALL_E_RX_CPG) |
						   S(ISUP_CALL_E_TX_CPG),
				  .out_state_mask = S(ISUP_CALL_S_RELEASING),
				  .action = call_action},
	[ISUP_CALL_S_RELEASING] = {.name = "RELEASING",
				   .in_event_mask = S(ISUP_CALL_E_RX_RLC) | S(ISUP_CALL_E_RX_REL) |
						    S(ISUP_CALL_E_RESET) | S(ISUP_CALL_E_TX_REL),
				   .out_state_mask = S(ISUP_CALL_S_RELEASING),
				   .action = call_action},
};

static struct osmo_fsm call_fsm = {
	.name = "ISUP_CALL",
	.states = call_states,
	.num_states = ARRAY_SIZE(call_states),
	.timer_cb = call_timer_cb,
	.event_names = call_event_names,
	.log_subsys = DISUP,
};

static void t5_cb(void *data);
static void t6_cb(void *data);

struct isup_call *isup_call_alloc(struct isup_link *l, struct isup_cic *cc, bool incoming)
{
	static bool registered;
	struct isup_call *c;
	char id[48];

	if (!registered) {
		OSMO_ASSERT(osmo_fsm_register(&call_fsm) == 0);
		registered = true;
	}
	c = talloc_zero(l, struct isup_call);
	if (!c)
		return NULL;
	snprintf(id, sizeof(id), "%s-cic%u", l->name, cc->cic);
	for (char *p = id; *p; p++)
		if (*p == '.' || *p == ' ')
			*p = '_';
	c->fi = osmo_fsm_inst_alloc(&call_fsm, c, c, LOGL_INFO, id);
	if (!c->fi) {
		talloc_free(c);
		return NULL;
	}
	c->l = l;
	c->cc = cc;
	c->cic = cc->cic;
	c->incoming = incoming;
	/* an incoming call has no owner until deliver_setup() hands it over:
	 * while it collects digits or waits for COT nothing may reach the
	 * release callback, whose user pointer would still be ops_priv */
	c->owner_gone = incoming;
	c->ops = l->ops;
	c->u = l->ops_priv;
	osmo_timer_setup(&c->t5, t5_cb, c);
	osmo_timer_setup(&c->t6, t6_cb, c);
	cc->user = c;
	cc->call = incoming ? ISUP_CIC_IN_BUSY : ISUP_CIC_OUT_BUSY;
	llist_add_tail(&c->list, &l->calls);
	return c;
}

/* The continuity loop the far end's check asked for (Q.764 2.1.8) goes:
 * on COT, T8, or the call ending any other way while it waits (REL,
 * reset, blocking): the owner's loop is a media channel on the timeslot. */
static void cot_loop_off(struct isup_call *c)
{
	if (!c->cot_looped)
		return;
	c->cot_looped = false;
	if (c->ops && c->ops->cot_loop && c->cc)
		c->ops->cot_loop(c->l->ops_priv, c->cic, c->cc->span, c->cc->timeslot, false);
}

/* The call is over: the circuit goes idle, the object goes. */
static void call_free(struct isup_call *c)
{
	cot_loop_off(c);
	osmo_timer_del(&c->t5);
	osmo_timer_del(&c->t6);
	if (c->cc && c->cc->user == c)
		isup_link_circuit_idle(c->l, c->cc);
	llist_del(&c->list);
	osmo_fsm_inst_term(c->fi, OSMO_FSM_TERM_REGULAR, NULL);
	talloc_free(c);
}

static void notify_release(struct isup_call *c, uint8_t cause, const struct isup_msg *m)
{
	struct isup_cause ci = {.location = ISUP_LOC_BEYOND_INTERWORKING, .value = cause};
	const struct isup_param *p = m ? isup_msg_param(m, ISUP_PAR_CAUSE_INDICATORS) : NULL;

	if (c->owner_gone)
		return;
	c->owner_gone = true;
	if (p && isup_cause_decode(p->val, p->len, &ci) < 0) {
		ci = (struct isup_cause){.location = ISUP_LOC_USER,
					 .value = ISUP_CAUSE_NORMAL_UNSPECIFIED};
		LOGC(c, LOGL_NOTICE, "REL with malformed cause indicators: taken as 31\n");
	}
	if (c->ops && c->ops->release)
		c->ops->release(c->u, c, &ci, m);
}

static void send_rel(struct isup_call *c)
{
	struct isup_cause ci = {.location = c->rel_loc, .value = c->rel_cause}, raw;
	uint8_t buf[8];
	struct isup_msg m;
	int n = isup_cause_encode(&ci, buf, sizeof(buf));

	if (n < 0)
		return;
	isup_msg_init(&m, ISUP_MT_REL, (uint16_t)c->cic);
	if (c->rel_raw_len && isup_cause_decode(c->rel_raw, c->rel_raw_len, &raw) == 0 &&
	    raw.value == ci.value && raw.location == ci.location)
		isup_msg_add(&m, ISUP_PAR_CAUSE_INDICATORS, c->rel_raw, c->rel_raw_len);
	else
		isup_msg_add(&m, ISUP_PAR_CAUSE_INDICATORS, buf, (size_t)n);
	if (c->rel_rn_len) {
		isup_msg_add(&m, ISUP_PAR_REDIRECTION_NUMBER, c->rel_rn, c->rel_rn_len);
		isup_msg_add(&m, ISUP_PAR_REDIRECTION_INFORMATION, c->rel_ri, 2);
	}
	isup_link_send(c->l, &m);
}

/* The next T1, or 0 (none) when T5 runs out first or at the same moment:
 * T5 expiry stops T1 and resets the circuit (Q.764 2.9.6), so a REL due
 * then would go out together with the RSC. */
static unsigned long next_t1(struct isup_call *c)
{
	unsigned long t1 = isup_link_T(c->l, 1);
	struct timeval rem;

	if (osmo_timer_pending(&c->t5) && osmo_timer_remaining(&c->t5, NULL, &rem) == 0 &&
	    (unsigned long long)rem.tv_sec * 1000000ULL + (unsigned long long)rem.tv_usec <=
		    (unsigned long long)t1 * 1000000ULL)
		return 0;
	return t1;
}

/* REL, then wait for RLC: T1 repeats REL, T5 gives up and resets (2.3.1). */
static void start_release_loc(struct isup_call *c, uint8_t cause, uint8_t location)
{
	c->rel_cause = cause;
	c->rel_loc = location;
	send_rel(c);
	if (!osmo_timer_pending(&c->t5))
		osmo_timer_schedule(&c->t5, isup_link_T(c->l, 5), 0);
	osmo_fsm_inst_state_chg(c->fi, ISUP_CALL_S_RELEASING, next_t1(c), 1);
}

/* Location "network beyond interworking point": the gateway clears on
 * behalf of the SIP side (Q.1912.5 6.11) or on its own timers. */
static void start_release(struct isup_call *c, uint8_t cause)
{
	start_release_loc(c, cause, ISUP_LOC_BEYOND_INTERWORKING);
}

static void t5_cb(void *data)
{
	struct isup_call *c = data;
	struct isup_link *l = c->l;
	unsigned cic = c->cic;

	/* Q.764 2.3.1 e): no RLC within T5: alert maintenance, stop repeating
	 * REL and reset the circuit instead (the reset frees this call) */
	LOGC(c, LOGL_ERROR, "no RLC within T5: resetting the circuit\n");
	c->owner_gone = true;
	call_free(c);
	isup_link_reset(l, cic);
}

static void t6_cb(void *data)
{
	struct isup_call *c = data;

	/* Q.764 2.6.2: no RES within T6 after a network SUS: release */
	LOGC(c, LOGL_NOTICE, "suspended longer than T6: releasing\n");
	notify_release(c, ISUP_CAUSE_RECOVERY_ON_TIMER_EXPIRY, NULL);
	start_release(c, ISUP_CAUSE_RECOVERY_ON_TIMER_EXPIRY);
}

static int encode_bci(struct isup_call *c, bool alerting, uint8_t *buf)
{
	struct isup_bci b = {
		.charge = 2,
		.called_status = alerting ? 1 : 0,
		.called_category = 1,
		/* Q.1912.5 6.1.1: interworking encountered, ISUP not all the way */
		.interworking = true,
		.isup_all_the_way = false,
		/* Q.763 3.5 bit N: an echo control device is included here */
		.echo_control_device = c->echo_control,
	};

	return isup_bci_encode(&b, buf, 2);
}

/* isup_call_backward(): the message to send (type) with c->tx_from's
 * parameters under our CIC; BCI bit N is ours (Q.763 3.5: the echo
 * control device included at this exchange), set when our canceller works
 * and kept when the far side said it has one. bci: 2 octets of storage. */
static int copy_backward(struct isup_call *c, uint8_t type, struct isup_msg *out, uint8_t *bci)
{
	const struct isup_msg *m = c->tx_from;

	isup_msg_init(out, type, (uint16_t)c->cic);
	for (unsigned i = 0; i < m->nparams; i++) {
		const struct isup_param *p = &m->p[i];
		struct isup_bci b;

		if (p->code == ISUP_PAR_BACKWARD_CALL_INDICATORS &&
		    isup_bci_decode(p->val, p->len, &b) == 0) {
			b.echo_control_device = b.echo_control_device || c->echo_control;
			if (isup_bci_encode(&b, bci, 2) < 0 ||
			    isup_msg_add(out, p->code, bci, 2) < 0)
				return -EINVAL;
			continue;
		}
		if (isup_msg_add(out, p->code, p->val, p->len) < 0)
			return -EINVAL;
	}
	return 0;
}

static void deliver_setup(struct isup_call *c)
{
	struct isup_msg m;
	enum isup_decode_err err;

	osmo_fsm_inst_state_chg(c->fi, ISUP_CALL_S_IN_SETUP, 0, 0);
	if (!c->iam || isup_msg_decode(c->l->cfg.variant, c->iam, c->iam_len, &m, &err) < 0 ||
	    !c->ops || !c->ops->setup) {
		c->owner_gone = true;
		start_release(c, ISUP_CAUSE_NO_ROUTE_DESTINATION);
		return;
	}
	c->owner_gone = false;
	c->ops->setup(c->l->ops_priv, c, &m, &c->called, c->have_calling ? &c->calling : NULL);
}

static void add_sam_digits(struct isup_call *c, const struct isup_msg *m)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_SUBSEQUENT_NUMBER);
	struct isup_number sn;

	if (!p || isup_number_decode(ISUP_PAR_SUBSEQUENT_NUMBER, p->val, p->len, &sn) < 0) {
		LOGC(c, LOGL_NOTICE, "SAM without a valid subsequent number: ignored\n");
		return;
	}
	{
		size_t have = strlen(c->called.digits), add = strlen(sn.digits);

		if (have + add >= sizeof(c->called.digits))
			add = sizeof(c->called.digits) - 1 - have;
		memcpy(c->called.digits + have, sn.digits, add);
		c->called.digits[have + add] = '\0';
	}
	if (sn.st)
		c->called.st = true;
}

static void rx_acm(struct isup_call *c, const struct isup_msg *m)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_BACKWARD_CALL_INDICATORS);
	struct isup_bci b = {0};

	if (p)
		isup_bci_decode(p->val, p->len, &b);
	osmo_fsm_inst_state_chg(c->fi, ISUP_CALL_S_OUT_ALERTING, isup_link_T(c->l, 9), 9);
	if (c->ops && c->ops->progress && !c->owner_gone)
		c->ops->progress(c->u, c, m, b.called_status == 1);
}

static void call_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct isup_call *c = fi->priv;
	const struct isup_msg *m = data;
	uint8_t buf[8];
	struct isup_msg out;
	int n;

	switch (event) {
	case ISUP_CALL_E_RX_SAM:
		if (fi->state != ISUP_CALL_S_IN_COLLECT && fi->state != ISUP_CALL_S_IN_COT) {
			LOGC(c, LOGL_INFO, "SAM after the number was complete: ignored\n");
			return;
		}
		add_sam_digits(c, m);
		if (fi->state == ISUP_CALL_S_IN_COLLECT) {
			if (c->called.st)
				deliver_setup(c);
			else
				osmo_fsm_inst_state_chg(fi, ISUP_CALL_S_IN_COLLECT,
							isup_link_T(c->l, 35), 35);
		}
		return;
	case ISUP_CALL_E_RX_COT: {
		uint8_t ci = 0;

		isup_msg_u8(m, ISUP_PAR_CONTINUITY_INDICATORS, &ci);
		cot_loop_off(c);
		if (!(ci & 1)) {
			/* Q.764 2.1.8: continuity failed: the far end re-tests
			 * with CCR; this call attempt is over */
			LOGC(c, LOGL_NOTICE, "continuity check failed (COT): call abandoned\n");
			c->owner_gone = true;
			call_free(c);
			return;
		}
		if (fi->state == ISUP_CALL_S_IN_COT) {
			if (c->l->cfg.overlap && !c->called.st && c->l->cfg.variant == ISUP_VAR_ITU)
				osmo_fsm_inst_state_chg(fi, ISUP_CALL_S_IN_COLLECT,
							isup_link_T(c->l, 35), 35);
			else
				deliver_setup(c);
		}
		return;
	}
	case ISUP_CALL_E_RX_ACM:
		rx_acm(c, m);
		return;
	case ISUP_CALL_E_RX_CPG: {
		uint8_t ev = 0;

		isup_msg_u8(m, ISUP_PAR_EVENT_INFORMATION, &ev);
		if (c->ops && c->ops->progress && !c->owner_gone)
			c->ops->progress(c->u, c, m, (ev & 0x7f) == 1);
		return;
	}
	case ISUP_CALL_E_RX_ANM:
	case ISUP_CALL_E_RX_CON:
		osmo_fsm_inst_state_chg(fi, ISUP_CALL_S_ANSWERED, 0, 0);
		if (c->ops && c->ops->answer && !c->owner_gone)
			c->ops->answer(c->u, c, m);
		return;
	case ISUP_CALL_E_RX_REL:
		/* Q.764 2.3.2: RLC at once; in RELEASING this is a dual
		 * release (2.3.1 f): the circuit is idle either way */
		isup_link_send_simple(c->l, ISUP_MT_RLC, c->cic);
		notify_release(c, ISUP_CAUSE_NORMAL_CLEARING, m);
		call_free(c);
		return;
	case ISUP_CALL_E_RX_RLC:
		call_free(c);
		return;
	case ISUP_CALL_E_RX_SUS:
		osmo_timer_schedule(&c->t6, isup_link_T(c->l, 6), 0);
		if (c->ops && c->ops->suspend && !c->owner_gone)
			c->ops->suspend(c->u, c, true);
		return;
	case ISUP_CALL_E_RX_RES:
		osmo_timer_del(&c->t6);
		if (c->ops && c->ops->suspend && !c->owner_gone)
			c->ops->suspend(c->u, c, false);
		return;
	case ISUP_CALL_E_TX_ACM: {
		const bool *flags = data; /* [0] alerting, [1] in-band */

		if (c->tx_from) {
			if (copy_backward(c, ISUP_MT_ACM, &out, buf) < 0)
				return;
			isup_link_send(c->l, &out);
			osmo_fsm_inst_state_chg(fi, ISUP_CALL_S_IN_ALERTING, 0, 0);
			return;
		}
		n = encode_bci(c, flags[0], buf);
		if (n < 0)
			return;
		isup_msg_init(&out, ISUP_MT_ACM, (uint16_t)c->cic);
		isup_msg_add(&out, ISUP_PAR_BACKWARD_CALL_INDICATORS, buf, (size_t)n);
		if (flags[1]) {
			static const uint8_t obci = 0x01; /* in-band information available */

			isup_msg_add(&out, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS, &obci, 1);
		}
		isup_link_send(c->l, &out);
		osmo_fsm_inst_state_chg(fi, ISUP_CALL_S_IN_ALERTING, 0, 0);
		return;
	}
	case ISUP_CALL_E_TX_CPG: {
		const uint8_t *ev = data;

		if (c->tx_from) {
			if (copy_backward(c, ISUP_MT_CPG, &out, buf) == 0)
				isup_link_send(c->l, &out);
			return;
		}
		isup_msg_init(&out, ISUP_MT_CPG, (uint16_t)c->cic);
		isup_msg_add(&out, ISUP_PAR_EVENT_INFORMATION, ev, 1);
		isup_link_send(c->l, &out);
		return;
	}
	case ISUP_CALL_E_TX_ANM:
		if (c->tx_from && copy_backward(c, ISUP_MT_ANM, &out, buf) == 0)
			isup_link_send(c->l, &out);
		else
			isup_link_send_simple(c->l, ISUP_MT_ANM, c->cic);
		osmo_fsm_inst_state_chg(fi, ISUP_CALL_S_ANSWERED, 0, 0);
		return;
	case ISUP_CALL_E_TX_CON:
		if (c->tx_from && c->l->cfg.variant != ISUP_VAR_ANSI) {
			if (copy_backward(c, ISUP_MT_CON, &out, buf) < 0)
				return;
			isup_link_send(c->l, &out);
		} else if (c->l->cfg.variant == ISUP_VAR_ANSI) {
			/* T1.113 has no CON: ACM then ANM */
			bool flags[2] = {true, false};

			call_action(fi, ISUP_CALL_E_TX_ACM, flags);
			isup_link_send_simple(c->l, ISUP_MT_ANM, c->cic);
		} else {
			n = encode_bci(c, true, buf);
			if (n < 0)
				return;
			isup_msg_init(&out, ISUP_MT_CON, (uint16_t)c->cic);
			isup_msg_add(&out, ISUP_PAR_BACKWARD_CALL_INDICATORS, buf, (size_t)n);
			isup_link_send(c->l, &out);
		}
		osmo_fsm_inst_state_chg(fi, ISUP_CALL_S_ANSWERED, 0, 0);
		return;
	case ISUP_CALL_E_TX_REL:
		c->owner_gone = true;
		if (fi->state != ISUP_CALL_S_RELEASING) {
			const struct isup_cause *rel = data;

			start_release_loc(c, rel->value, rel->location);
		}
		return;
	case ISUP_CALL_E_RESET:
		notify_release(c, *(const uint8_t *)data, NULL);
		call_free(c);
		return;
	default:
		return;
	}
}

static int call_timer_cb(struct osmo_fsm_inst *fi)
{
	struct isup_call *c = fi->priv;

	switch (fi->T) {
	case 1:
		/* Q.764 2.3.1 e): repeat REL every T1 until RLC or T5 */
		LOGC(c, LOGL_NOTICE, "no RLC within T1: repeating REL\n");
		send_rel(c);
		osmo_fsm_inst_state_chg(fi, ISUP_CALL_S_RELEASING, next_t1(c), 1);
		break;
	case 7:
		/* Q.764 2.1.4.? (T7): no ACM: release */
		LOGC(c, LOGL_NOTICE, "no ACM within T7: releasing\n");
		notify_release(c, ISUP_CAUSE_RECOVERY_ON_TIMER_EXPIRY, NULL);
		start_release(c, ISUP_CAUSE_RECOVERY_ON_TIMER_EXPIRY);
		break;
	case 8:
		LOGC(c, LOGL_NOTICE, "no COT within T8: releasing\n");
		cot_loop_off(c);
		c->owner_gone = true;
		start_release(c, ISUP_CAUSE_TEMPORARY_FAILURE);
		break;
	case 9:
		LOGC(c, LOGL_NOTICE, "no answer within T9: releasing\n");
		notify_release(c, ISUP_CAUSE_NO_ANSWER, NULL);
		start_release(c, ISUP_CAUSE_NO_ANSWER);
		break;
	case 35:
		/* end of overlap: route what came; the router says 484 (28)
		 * if it is not enough */
		LOGC(c, LOGL_INFO, "no SAM within T35: number taken as complete\n");
		deliver_setup(c);
		break;
	}
	return 0;
}

void isup_call_rx_iam(struct isup_link *l, struct isup_cic *cc, const struct isup_msg *m,
		      const uint8_t *buf, size_t len)
{
	const struct isup_param *called = isup_msg_param(m, ISUP_PAR_CALLED_PARTY_NUMBER);
	const struct isup_param *calling = isup_msg_param(m, ISUP_PAR_CALLING_PARTY_NUMBER);
	struct isup_call *c;
	uint8_t noci = 0, cot;

	c = isup_call_alloc(l, cc, true);
	if (!c)
		return;
	if (len > ISUP_CALL_IAM_MAX || !called ||
	    isup_number_decode(ISUP_PAR_CALLED_PARTY_NUMBER, called->val, called->len, &c->called) <
		    0) {
		/* Q.764 2.9.5.3 (mandatory parameter content unusable): release */
		LOGC(c, LOGL_NOTICE, "IAM with an unusable called party number: REL 100\n");
		c->owner_gone = true;
		start_release(c, 100);
		return;
	}
	if (calling && isup_number_decode(ISUP_PAR_CALLING_PARTY_NUMBER, calling->val, calling->len,
					  &c->calling) == 0)
		c->have_calling = true;
	c->iam = talloc_memdup(c, buf, len);
	c->iam_len = c->iam ? len : 0;

	isup_msg_u8(m, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci);
	cot = (noci >> 2) & 3;
	if (cot == 1 || cot == 2) {
		/* Q.764 2.1.8: continuity check on this circuit (loop it back
		 * for the far end) or on a previous one: wait for COT */
		if (cot == 1 && c->ops && c->ops->cot_loop) {
			c->ops->cot_loop(l->ops_priv, cc->cic, cc->span, cc->timeslot, true);
			c->cot_looped = true;
		}
		osmo_fsm_inst_state_chg(c->fi, ISUP_CALL_S_IN_COT, isup_link_T(l, 8), 8);
		return;
	}
	if (l->cfg.overlap && !c->called.st && l->cfg.variant == ISUP_VAR_ITU) {
		osmo_fsm_inst_state_chg(c->fi, ISUP_CALL_S_IN_COLLECT, isup_link_T(l, 35), 35);
		return;
	}
	deliver_setup(c);
}

/* Q.764 2.1.6: the far end asks for information about our call (INR):
 * answer with what we have, solicited INF. Information request indicators
 * (Q.763 3.29): bit A calling party address, bit D calling party's
 * category; information indicators (Q.763 3.28): bits BA calling party
 * address response (00 not included, 01 not available, 11 included), bit F
 * category included. */
static void send_inf(struct isup_call *c, const struct isup_msg *inr)
{
	const struct isup_param *p = isup_msg_param(inr, ISUP_PAR_INFORMATION_REQUEST_INDICATORS);
	uint8_t ii[2] = {0, 0}, cpc = c->spec.cpc ? c->spec.cpc : 10, num[24];
	struct isup_msg m;
	int n = -1;

	if (!p || p->len < 1) {
		LOGC(c, LOGL_NOTICE, "INR without request indicators: discarded\n");
		return;
	}
	isup_msg_init(&m, ISUP_MT_INF, (uint16_t)c->cic);
	if (p->val[0] & 0x01) {
		if (c->spec.have_calling)
			n = isup_number_encode(ISUP_PAR_CALLING_PARTY_NUMBER, &c->spec.calling, num,
					       sizeof(num));
		ii[0] |= n > 0 ? 0x03 : 0x01;
	}
	if (p->val[0] & 0x08)
		ii[0] |= 0x20;
	isup_msg_add(&m, ISUP_PAR_INFORMATION_INDICATORS, ii, 2);
	if (n > 0)
		isup_msg_add(&m, ISUP_PAR_CALLING_PARTY_NUMBER, num, (size_t)n);
	if (p->val[0] & 0x08)
		isup_msg_add(&m, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1);
	LOGC(c, LOGL_INFO, "INR: INF sent (calling party %s, category %s)\n",
	     n > 0	       ? "included"
	     : (p->val[0] & 1) ? "not available"
			       : "not asked",
	     (p->val[0] & 0x08) ? "included" : "not asked");
	isup_link_send(c->l, &m);
}

bool isup_call_rx(struct isup_call *c, const struct isup_msg *m)
{
	static const struct {
		uint8_t type;
		uint32_t ev;
	} map[] = {
		{ISUP_MT_SAM, ISUP_CALL_E_RX_SAM}, {ISUP_MT_COT, ISUP_CALL_E_RX_COT},
		{ISUP_MT_ACM, ISUP_CALL_E_RX_ACM}, {ISUP_MT_CPG, ISUP_CALL_E_RX_CPG},
		{ISUP_MT_ANM, ISUP_CALL_E_RX_ANM}, {ISUP_MT_CON, ISUP_CALL_E_RX_CON},
		{ISUP_MT_REL, ISUP_CALL_E_RX_REL}, {ISUP_MT_RLC, ISUP_CALL_E_RX_RLC},
		{ISUP_MT_SUS, ISUP_CALL_E_RX_SUS}, {ISUP_MT_RES, ISUP_CALL_E_RX_RES},
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		if (map[i].type != m->type)
			continue;
		if (!(call_states[c->fi->state].in_event_mask & S(map[i].ev))) {
			/* Q.764 2.9.5 (unexpected messages): once our REL is
			 * out only RLC (or a crossing REL) counts; messages
			 * already in flight (ACM, ANM, CPG...) are discarded,
			 * they are no reason to reset the circuit under the
			 * release */
			if (c->fi->state == ISUP_CALL_S_RELEASING) {
				LOGC(c, LOGL_INFO, "%s crossed our REL: discarded\n",
				     isup_msg_type_name(m->type) ?: "?");
				return true;
			}
			/* SAMs that crossed our ACM: the number was complete */
			if (map[i].ev == ISUP_CALL_E_RX_SAM && c->incoming) {
				LOGC(c, LOGL_INFO, "SAM after the number was complete: ignored\n");
				return true;
			}
			return false;
		}
		osmo_fsm_inst_dispatch(c->fi, map[i].ev, (void *)m);
		return true;
	}
	if (m->type == ISUP_MT_INR && !c->incoming) {
		send_inf(c, m);
		return true;
	}
	/* other messages inside a call (INF, USR, FAC, APM...) are passed over */
	LOGC(c, LOGL_INFO, "%s in the call: not handled, discarded\n",
	     isup_msg_type_name(m->type) ?: "?");
	return true;
}

void isup_call_reset(struct isup_call *c, uint8_t cause)
{
	osmo_fsm_inst_dispatch(c->fi, ISUP_CALL_E_RESET, &cause);
}

static int send_iam(struct isup_call *c)
{
	static const uint8_t usi_speech[3] = {0x80, 0x90, 0xa2}; /* speech, 64k, mu-law */
	const struct isup_call_spec *s = &c->spec;
	/* NoCI (Q.763 3.35) bit E: outgoing half echo control device included */
	uint8_t noci = s->echo_control ? 0x10 : 0, fci[2] = {0x48, 0x00},
		cpc = s->cpc ? s->cpc : 10, tmr = s->tmr, hc;
	uint8_t called[24], calling[24], redir[24], ocn[24];
	struct isup_number cn = s->called;
	struct isup_msg m;
	int n1, n2 = -1, n3, n4;

	/* FCI (Q.763 3.23): national call, interworking encountered (D),
	 * ISUP not used all the way (F=0), ISUP not required all the way (HG=01) */
	if (s->isdn_all_the_way)
		fci[0] = 0x60;
	if (s->number_translated)
		fci[1] |= 0x08; /* bit L (Q.769.1): ported number translation done */
	if (c->l->cfg.variant == ISUP_VAR_ITU)
		cn.st = true; /* en-bloc: the number is complete */
	n1 = isup_number_encode(ISUP_PAR_CALLED_PARTY_NUMBER, &cn, called, sizeof(called));
	if (s->have_calling)
		n2 = isup_number_encode(ISUP_PAR_CALLING_PARTY_NUMBER, &s->calling, calling,
					sizeof(calling));
	if (n1 < 0)
		return n1;
	isup_msg_init(&m, ISUP_MT_IAM, (uint16_t)c->cic);
	isup_msg_add(&m, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci, 1);
	isup_msg_add(&m, ISUP_PAR_FORWARD_CALL_INDICATORS, fci, 2);
	isup_msg_add(&m, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1);
	if (c->l->cfg.variant == ISUP_VAR_ANSI)
		isup_msg_add(&m, ISUP_PAR_USER_SERVICE_INFORMATION, usi_speech, 3);
	else
		isup_msg_add(&m, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &tmr, 1);
	isup_msg_add(&m, ISUP_PAR_CALLED_PARTY_NUMBER, called, (size_t)n1);
	if (n2 > 0)
		isup_msg_add(&m, ISUP_PAR_CALLING_PARTY_NUMBER, calling, (size_t)n2);
	if (s->have_redirecting) {
		n3 = isup_number_encode(ISUP_PAR_REDIRECTING_NUMBER, &s->redirecting, redir,
					sizeof(redir));
		if (n3 > 0) {
			isup_msg_add(&m, ISUP_PAR_REDIRECTING_NUMBER, redir, (size_t)n3);
			isup_msg_add(&m, ISUP_PAR_REDIRECTION_INFORMATION, s->redirection_info, 2);
		}
	}
	if (s->have_ocn) {
		n4 = isup_number_encode(ISUP_PAR_ORIGINAL_CALLED_NUMBER, &s->ocn, ocn, sizeof(ocn));
		if (n4 > 0)
			isup_msg_add(&m, ISUP_PAR_ORIGINAL_CALLED_NUMBER, ocn, (size_t)n4);
	}
	/* the message points at its parameters until it is encoded at the
	 * send below: the hop counter lives as long as the other buffers */
	hc = s->hop_counter & 0x1f; /* bits EDCBA, spare HGF */
	if (s->hop_counter)
		isup_msg_add(&m, ISUP_PAR_HOP_COUNTER, &hc, 1);
	/* carried-on parameters: views into the spec, which outlives the send */
	for (size_t i = 0; s->extra_variant == c->l->cfg.variant && i + 2 <= s->extra_len &&
			   i + 2 + s->extra[i + 1] <= s->extra_len;
	     i += 2 + (size_t)s->extra[i + 1])
		if (isup_msg_add(&m, s->extra[i], &s->extra[i + 2], s->extra[i + 1]) < 0)
			break;
	osmo_fsm_inst_state_chg(c->fi, ISUP_CALL_S_OUT_WAIT_ACM, isup_link_T(c->l, 7), 7);
	return isup_link_send(c->l, &m);
}

struct isup_call *isup_call_out(struct isup_link *l, const struct isup_call_spec *spec,
				const struct isup_call_ops *ops, void *u)
{
	struct isup_cic *cc;
	struct isup_call *c;

	if (!l->up)
		return NULL;
	cc = isup_cic_hunt(l->cics, spec->except_cic);
	if (!cc)
		return NULL;
	c = isup_call_alloc(l, cc, false);
	if (!c)
		return NULL;
	c->spec = *spec;
	c->spec.extra = NULL;
	c->spec.extra_len = 0;
	if (spec->extra && spec->extra_len && spec->extra_len <= ISUP_CALL_EXTRA_MAX &&
	    (c->spec.extra = talloc_memdup(c, spec->extra, spec->extra_len)))
		c->spec.extra_len = spec->extra_len;
	c->echo_control = spec->echo_control;
	if (ops)
		c->ops = ops;
	c->u = u;
	l->st.calls_out++;
	if (send_iam(c) < 0) {
		c->owner_gone = true;
		call_free(c);
		return NULL;
	}
	return c;
}

void isup_call_glare_yield(struct isup_call *c)
{
	struct isup_cic *old = c->cc, *cc;

	/* Q.764 2.10.1.4: the losing call is re-attempted on another circuit */
	isup_link_circuit_idle(c->l, old);
	cc = isup_cic_hunt(c->l->cics, (int)old->cic);
	if (!cc) {
		c->cc = NULL;
		notify_release(c, ISUP_CAUSE_NO_CIRCUIT_AVAILABLE, NULL);
		call_free(c);
		return;
	}
	c->cc = cc;
	c->cic = cc->cic;
	cc->user = c;
	cc->call = ISUP_CIC_OUT_BUSY;
	LOGC(c, LOGL_NOTICE, "call moved here after a dual seizure on CIC %u\n", old->cic);
	send_iam(c);
}

void isup_call_set_user(struct isup_call *c, void *u)
{
	c->u = u;
}

void isup_call_set_echo_control(struct isup_call *c, bool on)
{
	c->echo_control = on;
}

static int dispatch(struct isup_call *c, uint32_t ev, void *data)
{
	/* the owner was told the call is over (or released it already) */
	if (c->owner_gone)
		return -ESHUTDOWN;
	if (!(call_states[c->fi->state].in_event_mask & S(ev)))
		return -EINVAL;
	return osmo_fsm_inst_dispatch(c->fi, ev, data) < 0 ? -EINVAL : 0;
}

int isup_call_acm(struct isup_call *c, bool alerting, bool inband)
{
	bool flags[2] = {alerting, inband};

	return dispatch(c, ISUP_CALL_E_TX_ACM, flags);
}

int isup_call_cpg(struct isup_call *c, uint8_t event)
{
	return dispatch(c, ISUP_CALL_E_TX_CPG, &event);
}

int isup_call_anm(struct isup_call *c)
{
	return dispatch(c, ISUP_CALL_E_TX_ANM, NULL);
}

int isup_call_con(struct isup_call *c)
{
	return dispatch(c, ISUP_CALL_E_TX_CON, NULL);
}

int isup_call_backward(struct isup_call *c, const struct isup_msg *m)
{
	uint32_t ev;
	bool flags[2] = {false, false};
	uint8_t event = 0, obci = 0;
	const struct isup_param *p;
	struct isup_bci b;
	int rc;

	switch (m->type) {
	case ISUP_MT_ACM:
		p = isup_msg_param(m, ISUP_PAR_BACKWARD_CALL_INDICATORS);
		if (!p || isup_bci_decode(p->val, p->len, &b) < 0)
			return -EINVAL;
		flags[0] = b.called_status == 1;
		flags[1] = isup_msg_u8(m, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS, &obci) == 0 &&
			   (obci & 1);
		ev = ISUP_CALL_E_TX_ACM;
		break;
	case ISUP_MT_CPG:
		if (isup_msg_u8(m, ISUP_PAR_EVENT_INFORMATION, &event) < 0)
			return -EINVAL;
		ev = ISUP_CALL_E_TX_CPG;
		break;
	case ISUP_MT_ANM:
		ev = ISUP_CALL_E_TX_ANM;
		break;
	case ISUP_MT_CON:
		if (!isup_msg_param(m, ISUP_PAR_BACKWARD_CALL_INDICATORS))
			return -EINVAL;
		ev = ISUP_CALL_E_TX_CON;
		break;
	default:
		return -EINVAL;
	}
	if (c->owner_gone || !(call_states[c->fi->state].in_event_mask & S(ev)))
		return -EINVAL;
	c->tx_from = m;
	rc = dispatch(c, ev, ev == ISUP_CALL_E_TX_CPG ? (void *)&event : (void *)flags);
	c->tx_from = NULL;
	return rc;
}

int isup_call_set_rel_cause(struct isup_call *c, const uint8_t *ci, size_t len)
{
	struct isup_cause d;

	if (len < 2 || len > sizeof(c->rel_raw) || isup_cause_decode(ci, len, &d) < 0)
		return -EINVAL;
	memcpy(c->rel_raw, ci, len);
	c->rel_raw_len = (uint8_t)len;
	return 0;
}

int isup_call_set_rel_redirection(struct isup_call *c, const struct isup_number *rn,
				  const uint8_t ri[2])
{
	int n;

	if (c->l->cfg.variant != ISUP_VAR_ITU)
		return -ENOTSUP;
	n = isup_number_encode(ISUP_PAR_REDIRECTION_NUMBER, rn, c->rel_rn, sizeof(c->rel_rn));
	if (n < 3)
		return -EINVAL;
	c->rel_rn_len = (uint8_t)n;
	memcpy(c->rel_ri, ri, 2);
	return 0;
}

int isup_call_release_loc(struct isup_call *c, uint8_t cause, uint8_t location)
{
	struct isup_cause rel = {.location = location, .value = cause};

	if (location > 15)
		return -EINVAL;
	return dispatch(c, ISUP_CALL_E_TX_REL, &rel);
}

int isup_call_release(struct isup_call *c, uint8_t cause)
{
	return isup_call_release_loc(c, cause, ISUP_LOC_BEYOND_INTERWORKING);
}

unsigned isup_call_cic(const struct isup_call *c)
{
	return c->cic;
}

int isup_call_span(const struct isup_call *c)
{
	return c->cc ? c->cc->span : -1;
}

unsigned isup_call_timeslot(const struct isup_call *c)
{
	return c->cc ? c->cc->timeslot : 0;
}

bool isup_call_incoming(const struct isup_call *c)
{
	return c->incoming;
}

const char *isup_call_state_name(const struct isup_call *c)
{
	return osmo_fsm_inst_state_name(c->fi);
}

struct isup_link *isup_call_link(const struct isup_call *c)
{
	return c->l;
}
