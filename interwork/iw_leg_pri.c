/* The circuit leg on an ISDN PRI B channel (Q.931 through isdn/, libpri):
 * the class that routes name ("spanN") and seize, the ops the call drives,
 * and the isdn/ call events turned into leg events.
 *
 * Q.931 -> call: SETUP (en bloc) -> CALL PROCEEDING at once, then
 * iw_leg_incoming(); ALERTING -> PROGRESS alerting; PROGRESS -> PROGRESS;
 * CONNECT -> ANSWER; DISCONNECT / RELEASE (or the D channel lost: 38) ->
 * RELEASE with the cause as it came (the call maps it with the same Q.850
 * tables as ISUP's).
 * call -> Q.931: progress -> ALERTING or PROGRESS (progress indicator 8
 * when in-band), answer -> CONNECT, release -> DISCONNECT with the cause.
 *
 * Numbers: Q.931's type of number and numbering plan (4.5.8, 4.5.10) are
 * carried in the call as Q.763 nature of address and numbering plan
 * (iw_leg.h), the call normalises them to E.164 with the numbering rules
 * as for ISUP. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "interwork/iw_leg.h"
#include "interwork/iw_leg_pri.h"
#include "isdn/isdn_pri.h"
#include "sigtran/isup_proto.h"

struct pri_leg {
	struct iw_leg leg;
	struct isdn_call *ic;
	bool network; /* our side of the span: the cause location depends on it */
};

static void *pri_ctx;
static struct iw *pri_iw;

/* --- numbers: Q.931 octet 3 (type of number << 4 | plan) <-> Q.763 --- */

uint8_t iw_pri_ton_to_noa(uint8_t ton)
{
	switch (ton) {
	case 1:
		return ISUP_NOA_INTERNATIONAL;
	case 2:
		return ISUP_NOA_NATIONAL;
	case 3:
		return ISUP_NOA_NETWORK_SPECIFIC;
	case 4:
		return ISUP_NOA_SUBSCRIBER;
	}
	return ISUP_NOA_UNKNOWN; /* 0 unknown, 6 abbreviated, reserved */
}

uint8_t iw_pri_noa_to_ton(uint8_t noa)
{
	switch (noa) {
	case ISUP_NOA_INTERNATIONAL:
		return 1;
	case ISUP_NOA_NATIONAL:
		return 2;
	case ISUP_NOA_NETWORK_SPECIFIC:
		return 3;
	case ISUP_NOA_SUBSCRIBER:
		return 4;
	}
	return 0;
}

void iw_pri_number_in(uint8_t plan, uint8_t pres, const char *digits, struct isup_number *out)
{
	memset(out, 0, sizeof(*out));
	out->noa = iw_pri_ton_to_noa((plan >> 4) & 7);
	/* Q.931 plan 1 is E.164 as Q.763's 1; 9 (private) is Q.763's 5 */
	out->npi = (plan & 0xf) == 9 ? ISUP_NPI_PRIVATE : ISUP_NPI_ISDN;
	/* presentation (octet 3a bits 7-6) and screening (bits 2-1) have
	 * the same codes in both */
	out->apri = (pres >> 5) & 3;
	out->screening = pres & 3;
	snprintf(out->digits, sizeof(out->digits), "%s", digits);
}

uint8_t iw_pri_plan_out(const struct isup_number *n)
{
	return (uint8_t)(iw_pri_noa_to_ton(n->noa) << 4 | (n->npi == ISUP_NPI_PRIVATE ? 9 : 1));
}

uint8_t iw_pri_pres_out(const struct isup_number *n)
{
	return (uint8_t)((n->apri & 3) << 5 | (n->screening & 3));
}

/* --- ops: call -> Q.931 --- */

static struct isdn_call *ic_of(struct iw_leg *leg)
{
	return ((struct pri_leg *)leg)->ic;
}

static int op_progress(struct iw_leg *leg, bool alerting, bool inband)
{
	struct isdn_call *ic = ic_of(leg);

	if (!ic)
		return -ENOTCONN;
	return alerting ? isdn_call_alerting(ic, inband) : isdn_call_progress(ic, inband);
}

static int op_answer(struct iw_leg *leg)
{
	struct isdn_call *ic = ic_of(leg);

	return ic ? isdn_call_answer(ic) : -ENOTCONN;
}

static void op_release(struct iw_leg *leg, uint8_t cause, uint8_t location)
{
	struct pri_leg *pl = (struct pri_leg *)leg;

	(void)location; /* libpri codes its own location */
	if (!pl->ic)
		return;
	isdn_call_set_priv(pl->ic, NULL);
	isdn_call_release(pl->ic, cause);
	pl->ic = NULL;
}

static bool op_signalling_up(const struct iw_leg *leg)
{
	struct isdn_span_info si;

	return leg->group && isdn_span_info(leg->group, &si) == 0 && si.up;
}

static const char *op_state_name(const struct iw_leg *leg)
{
	return ((const struct pri_leg *)leg)->ic ? "Q.931 call" : "Q.931 released";
}

static size_t op_mem(const struct iw_leg *leg)
{
	(void)leg;
	return sizeof(struct pri_leg);
}

static const struct iw_leg_ops pri_ops = {
	.progress = op_progress,
	.answer = op_answer,
	.release = op_release,
	/* digits travel in-band on the B channel (the media channel plays them) */
	.signalling_up = op_signalling_up,
	.state_name = op_state_name,
	.mem = op_mem,
};

/* --- the class: spans as route targets --- */

static const void *group_find(const char *name)
{
	unsigned id;
	char rest;

	if (!name || !name[0]) {
		struct isdn_span *first = NULL;

		for (unsigned i = 0; i < 1024 && !first; i++)
			first = isdn_span_find(i);
		return first;
	}
	if (sscanf(name, "span%u%c", &id, &rest) != 1)
		return NULL;
	return isdn_span_find(id);
}

static void group_info(const void *group, struct iw_leg_group_info *out)
{
	static char name[16];
	struct isdn_span_info si;

	memset(out, 0, sizeof(*out));
	if (isdn_span_info(group, &si) < 0)
		return;
	snprintf(name, sizeof(name), "span%u", si.id);
	out->name = name;
	out->up = si.up;
}

static struct pri_leg *leg_new(void *ctx, struct isdn_span *s, struct isdn_call *ic, bool in)
{
	struct pri_leg *pl = talloc_zero(ctx, struct pri_leg);
	struct isdn_span_info si;

	if (!pl)
		return NULL;
	isdn_span_info(s, &si);
	pl->ic = ic;
	pl->network = si.network;
	pl->leg.ops = &pri_ops;
	pl->leg.cls = &iw_leg_pri_class;
	pl->leg.group = s;
	snprintf(pl->leg.group_name, sizeof(pl->leg.group_name), "span%u", si.id);
	pl->leg.cic = isdn_call_channel(ic);
	pl->leg.span = (int)si.id;
	pl->leg.ts = isdn_call_channel(ic); /* the B channel's number is its timeslot */
	pl->leg.incoming = in;
	pl->leg.isup_variant = -1;
	pl->leg.priv = ic;
	isdn_call_set_priv(ic, pl);
	return pl;
}

static struct iw_leg *seize(struct iw_call *c, const void *group, const struct isup_call_spec *spec)
{
	struct isdn_span *s = (struct isdn_span *)group;
	struct isdn_call *ic;
	struct pri_leg *pl;
	uint8_t cause = 0;

	ic = isdn_call_place(s, 0, spec->called.digits, iw_pri_plan_out(&spec->called),
			     spec->have_calling ? spec->calling.digits : NULL,
			     spec->have_calling ? iw_pri_plan_out(&spec->calling) : 0,
			     spec->have_calling ? iw_pri_pres_out(&spec->calling) : 0, &cause);
	if (!ic)
		return NULL;
	pl = leg_new(c, s, ic, false);
	if (!pl) {
		isdn_call_release(ic, 47);
		return NULL;
	}
	return &pl->leg;
}

const struct iw_leg_class iw_leg_pri_class = {
	.kind = "PRI",
	.group_find = group_find,
	.group_info = group_info,
	.seize = seize,
};

/* --- isdn/ events -> the call --- */

static struct iw_leg *leg_of(struct isdn_call *ic)
{
	struct pri_leg *pl = isdn_call_priv(ic);

	return pl ? &pl->leg : NULL;
}

static void ev(struct isdn_call *ic, const struct iw_leg_ev *e)
{
	struct iw_leg *leg = leg_of(ic);

	if (leg)
		iw_leg_event(leg, e);
}

static int on_setup(void *priv, struct isdn_call *ic, const struct isdn_setup_info *si)
{
	struct isup_number called, calling;
	struct iw_leg_in in = {.called = &called};
	struct pri_leg *pl;
	struct isdn_span *s = isdn_span_find(isdn_call_span(ic));

	(void)priv;
	if (!pri_iw || !s)
		return 63;
	/* overlap receiving (SETUP ACKNOWLEDGE, INFORMATION, T302) is done
	 * in isdn/: the number here is complete */
	pl = leg_new(pri_ctx, s, ic, true);
	if (!pl)
		return 47;
	iw_pri_number_in(si->called_plan, 0, si->called, &called);
	if (si->calling[0]) {
		iw_pri_number_in(si->calling_plan, si->calling_pres, si->calling, &calling);
		in.calling = &calling;
	}
	/* Q.931 5.2.5.2: the network answers a complete SETUP with CALL
	 * PROCEEDING (it also makes libpri's later DISCONNECT go out) */
	isdn_call_proceeding(ic);
	iw_leg_incoming(pri_iw, &pl->leg, &in);
	return 0;
}

static void on_progress(void *priv, struct isdn_call *ic, bool inband)
{
	struct iw_leg_ev e = {.type = IW_LEG_EV_PROGRESS, .inband = inband};

	(void)priv;
	ev(ic, &e);
}

static void on_alerting(void *priv, struct isdn_call *ic, bool inband)
{
	struct iw_leg_ev e = {.type = IW_LEG_EV_PROGRESS, .alerting = true, .inband = inband};

	(void)priv;
	ev(ic, &e);
}

static void on_connect(void *priv, struct isdn_call *ic)
{
	struct iw_leg_ev e = {.type = IW_LEG_EV_ANSWER};

	(void)priv;
	ev(ic, &e);
}

static void on_released(void *priv, struct isdn_call *ic, uint8_t cause)
{
	struct pri_leg *pl = isdn_call_priv(ic);
	struct iw_leg_ev e = {.type = IW_LEG_EV_RELEASE, .cause = cause};

	(void)priv;
	if (!pl)
		return;
	/* the far end is the PBX's private network (we are the network
	 * side) or the public network (we are its user) */
	e.location = pl->network ? ISUP_LOC_PRIVATE_LOCAL : ISUP_LOC_PUBLIC_LOCAL;
	pl->ic = NULL;
	isdn_call_set_priv(ic, NULL);
	iw_leg_event(&pl->leg, &e);
}

/* KEYPAD (Q.931 4.5.18): digits out of band, each toward SIP like one
 * detected in-band (RFC 4733 or INFO, as the trunk takes DTMF) */
static void on_keypad(void *priv, struct isdn_call *ic, const char *digits)
{
	(void)priv;
	for (const char *d = digits; *d; d++) {
		struct iw_leg_ev e = {.type = IW_LEG_EV_DTMF, .digit = *d, .ms = 100};

		ev(ic, &e);
	}
}

static const struct isdn_call_ops pri_call_ops = {
	.keypad = on_keypad,
	.setup = on_setup,
	.progress = on_progress,
	.alerting = on_alerting,
	.connect = on_connect,
	.released = on_released,
};

const struct isdn_call_ops *iw_leg_pri_ops(void *ctx)
{
	pri_ctx = ctx;
	return &pri_call_ops;
}

void iw_leg_pri_set_iw(struct iw *iw)
{
	pri_iw = iw;
}
