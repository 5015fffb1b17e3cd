/* The ISUP circuit leg (Q.764 via sigtran's isup_call): the iw_leg ops
 * toward the circuit, and sigtran's call events turned into leg events.
 * A linkset is the group a route names. */
#include <errno.h>
#include <stdio.h>

#include <talloc.h>

#include "interwork/iw_call_int.h"
#include "interwork/iw_trust.h"
#include "sigtran/isup_param.h"
#include "sigtran/isup_vty.h"

struct isup_leg {
	struct iw_leg leg; /* first: the leg is the isup_leg */
	struct isup_call *ic;
	bool acm_sent;
};

static const struct iw_leg_ops isup_leg_ops;
static const struct isup_call_ops isup_ops;

static struct isup_leg *leg_new(void *ctx, struct isup_link *l, bool incoming)
{
	struct isup_leg *il = talloc_zero(ctx, struct isup_leg);
	const struct isup_link_cfg *cfg = isup_link_cfg(l);

	if (!il)
		return NULL;
	il->leg.ops = &isup_leg_ops;
	il->leg.cls = &iw_leg_isup_class;
	il->leg.group = l;
	snprintf(il->leg.group_name, sizeof(il->leg.group_name), "%s", cfg->name);
	il->leg.incoming = incoming;
	il->leg.isup_variant = (int)cfg->variant;
	il->leg.span = -1;
	return il;
}

static void leg_bind(struct isup_leg *il, struct isup_call *ic)
{
	il->ic = ic;
	il->leg.priv = ic;
	il->leg.cic = isup_call_cic(ic);
	il->leg.span = isup_call_span(ic);
	il->leg.ts = isup_call_timeslot(ic);
	isup_call_set_user(ic, il);
}

/* --- call -> leg --- */

static int leg_progress(struct iw_leg *leg, bool alerting, bool inband)
{
	struct isup_leg *il = (struct isup_leg *)leg;

	if (!il->acm_sent) {
		il->acm_sent = true;
		return isup_call_acm(il->ic, alerting, inband);
	}
	/* Q.763 3.21 event information: 1 alerting, 3 in-band information */
	return isup_call_cpg(il->ic, alerting ? 1 : 3);
}

static int leg_answer(struct iw_leg *leg)
{
	struct isup_leg *il = (struct isup_leg *)leg;

	return il->acm_sent ? isup_call_anm(il->ic) : isup_call_con(il->ic);
}

static int leg_backward(struct iw_leg *leg, const struct isup_msg *m)
{
	struct isup_leg *il = (struct isup_leg *)leg;
	int rc;

	if ((m->type == ISUP_MT_ACM || m->type == ISUP_MT_CON) == il->acm_sent)
		return -EINVAL;
	rc = isup_call_backward(il->ic, m);
	if (rc == 0)
		il->acm_sent = true;
	return rc;
}

static void leg_release_detail(struct iw_leg *leg, const uint8_t *ci, size_t len)
{
	struct isup_leg *il = (struct isup_leg *)leg;

	if (il->ic)
		isup_call_set_rel_cause(il->ic, ci, len);
}

static int leg_release_redirect(struct iw_leg *leg, const struct isup_number *rn,
				const uint8_t ri[2])
{
	struct isup_leg *il = (struct isup_leg *)leg;

	return il->ic ? isup_call_set_rel_redirection(il->ic, rn, ri) : -ENOTSUP;
}

static void leg_release(struct iw_leg *leg, uint8_t cause, uint8_t location)
{
	struct isup_leg *il = (struct isup_leg *)leg;

	/* the RLC, T1 and T5 are the link's business from here */
	if (il->ic)
		isup_call_release_loc(il->ic, cause, location);
	talloc_free(il);
}

static void leg_echo_control(struct iw_leg *leg, bool on)
{
	isup_call_set_echo_control(((struct isup_leg *)leg)->ic, on);
}

static bool leg_signalling_up(const struct iw_leg *leg)
{
	return isup_link_is_up(leg->group);
}

static const char *leg_state_name(const struct iw_leg *leg)
{
	return isup_call_state_name(((const struct isup_leg *)leg)->ic);
}

static size_t leg_mem(const struct iw_leg *leg)
{
	return talloc_total_size(((const struct isup_leg *)leg)->ic);
}

static const struct iw_leg_ops isup_leg_ops = {
	.progress = leg_progress,
	.answer = leg_answer,
	.backward = leg_backward,
	.release_detail = leg_release_detail,
	.release_redirect = leg_release_redirect,
	.release = leg_release,
	.echo_control = leg_echo_control,
	.signalling_up = leg_signalling_up,
	.state_name = leg_state_name,
	.mem = leg_mem,
};

/* --- the class: linksets and seizure --- */

static const void *group_find(const char *name)
{
	return isup_vty_link(name && name[0] ? name : NULL);
}

static void group_info(const void *group, struct iw_leg_group_info *out)
{
	const struct isup_link_cfg *cfg = isup_link_cfg(group);

	out->name = cfg->name;
	out->up = isup_link_is_up(group);
	out->max_calls = cfg->max_calls;
	out->max_cps = cfg->max_cps;
}

static struct iw_leg *seize(struct iw_call *c, const void *group, const struct isup_call_spec *spec)
{
	struct isup_link *l = (struct isup_link *)group;
	struct isup_leg *il = leg_new(c, l, false);
	struct isup_call *ic;

	if (!il)
		return NULL;
	ic = isup_call_out(l, spec, &isup_ops, il);
	if (!ic) {
		talloc_free(il);
		return NULL;
	}
	leg_bind(il, ic);
	return &il->leg;
}

const struct iw_leg_class iw_leg_isup_class = {
	.kind = "ISUP",
	.group_find = group_find,
	.group_info = group_info,
	.seize = seize,
};

/* --- sigtran -> leg -> call --- */

/* Q.763 3.5 bit N: the other exchange includes an echo control device;
 * heeded when the linkset says so (echo-control network) */
static bool far_echo(const struct isup_leg *il, const struct isup_msg *m)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_BACKWARD_CALL_INDICATORS);
	struct isup_bci b;

	return p && isup_link_cfg(il->leg.group)->echo_defer &&
	       isup_bci_decode(p->val, p->len, &b) == 0 && b.echo_control_device;
}

static void isup_setup(void *priv, struct isup_call *ic, const struct isup_msg *iam,
		       const struct isup_number *called, const struct isup_number *calling)
{
	struct iw *iw = priv;
	struct isup_link *l = isup_call_link(ic);
	struct isup_leg *il = leg_new(iw, l, true);
	struct iw_leg_in in = {.called = called, .calling = calling, .isup = iam};
	unsigned mf = 0;
	uint8_t noci = 0;

	if (!il) {
		isup_call_release(ic, ISUP_CAUSE_RESOURCE_UNAVAILABLE);
		return;
	}
	leg_bind(il, ic);
	in.hops = iw_hops_isup_to_sip(iam, &mf) < 0 ? -1 : (int)mf;
	/* Q.763 3.35 bit E: an echo control device is in the connection */
	in.far_echo_control =
		isup_link_cfg(l)->echo_defer &&
		isup_msg_u8(iam, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci) == 0 &&
		(noci & 0x10);
	iw_leg_incoming(iw, &il->leg, &in);
}

static void isup_progress(void *u, struct isup_call *ic, const struct isup_msg *m, bool alerting)
{
	struct isup_leg *il = u;
	struct iw_leg_ev ev = {.type = IW_LEG_EV_PROGRESS, .alerting = alerting, .isup = m};
	uint8_t obci = 0;

	(void)ic;
	if (!il)
		return;
	/* Q.763 3.37 bit A: in-band information available */
	isup_msg_u8(m, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS, &obci);
	ev.inband = obci & 1;
	ev.far_echo_control = far_echo(il, m);
	iw_leg_event(&il->leg, &ev);
}

static void isup_answer(void *u, struct isup_call *ic, const struct isup_msg *m)
{
	struct isup_leg *il = u;
	struct iw_leg_ev ev = {.type = IW_LEG_EV_ANSWER, .isup = m};

	(void)ic;
	if (!il)
		return;
	ev.far_echo_control = far_echo(il, m);
	iw_leg_event(&il->leg, &ev);
}

static void isup_release(void *u, struct isup_call *ic, const struct isup_cause *cause,
			 const struct isup_msg *m)
{
	struct isup_leg *il = u;
	struct iw_leg_ev ev = {.type = IW_LEG_EV_RELEASE,
			       .cause = cause->value,
			       .location = cause->location,
			       .isup = m};

	(void)ic;
	if (!il)
		return;
	il->ic = NULL;
	/* the leg outlives its call's handling (which may free the call) */
	talloc_steal(NULL, il);
	iw_leg_event(&il->leg, &ev);
	talloc_free(il);
}

static void isup_cot_loop(void *priv, unsigned cic, int span, unsigned ts, bool on)
{
	iw_cot_loop(priv, cic, span, ts, on);
}

static const struct isup_call_ops isup_ops = {
	.setup = isup_setup,
	.progress = isup_progress,
	.answer = isup_answer,
	.release = isup_release,
	.cot_loop = isup_cot_loop,
};

const struct isup_call_ops *iw_isup_ops(void)
{
	return &isup_ops;
}
