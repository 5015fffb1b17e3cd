/* A call from SIP toward the circuit (RFC 3398 8, Q.1912.5):
 *
 *   INVITE -> route -> seize a circuit on the first group of the route
 *   that can take it (glare rules are the leg's) -> IAM / SETUP; ACM ->
 *   180 (183 with in-band information), ANM / CON -> 200 with our SDP
 *   answer; REL before any backward message -> route advance to the next
 *   group, else the final error (iw_call.c). CANCEL / BYE -> REL 16. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "interwork/iw_call_int.h"
#include "interwork/iw_cause.h"
#include "interwork/iw_enum.h"
#include "interwork/iw_sipi.h"
#include "interwork/iw_trust.h"
#include "sip/sip_hdr.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"
#include "sip/sip_uri.h"

/* RFC 4694 parameters of the Request-URI (iw_enum_np_parse, the parser ENUM
 * results go through): the routing number without '+' into rn ("" when
 * none); returns whether npdi is present. */
static bool uri_np(struct tstr uri, char *rn, size_t size)
{
	char buf[256];
	struct iw_enum_np np;

	rn[0] = 0;
	if (uri.len >= sizeof(buf))
		return false;
	memcpy(buf, uri.p, uri.len);
	buf[uri.len] = 0;
	if (iw_enum_np_parse(buf, &np) < 0)
		return false; /* a malformed rn: the number is routed as dialled */
	if (np.has_rn) {
		const char *d = np.rn[0] == '+' ? np.rn + 1 : np.rn;
		size_t n = strlen(d);

		if (n < size) /* longer than any E.164 number: not used */
			memcpy(rn, d, n + 1);
	}
	return np.npdi;
}

/* The IAM's numbers as this linkset writes them (its numbering context). */
static void isup_numbers(struct iw_call *c, const char *group)
{
	const struct iw_number_ctx *num = iw_group_num(c, group);
	struct isup_call_spec *spec = c->spec;

	iw_e164_to_isup(num, c->number, &spec->called);
	if (c->np_rn[0] && c->iw->cfg.np_prefix) {
		/* the national rule of some networks: routing number digits in
		 * front of the dialled number's */
		struct isup_number rn;
		size_t a, b;

		iw_e164_to_isup(num, c->np_rn, &rn);
		a = strlen(rn.digits);
		b = strlen(spec->called.digits);
		if (a + b < sizeof(spec->called.digits)) {
			memmove(spec->called.digits + a, spec->called.digits, b + 1);
			memcpy(spec->called.digits, rn.digits, a);
		}
	}
	if (c->calling[0] && !c->calling_from_sipi) {
		iw_e164_to_isup(num, c->calling, &spec->calling);
		/* Q.763 3.10: 3 network provided, 0 user provided not verified */
		spec->calling.screening = c->calling_asserted ? 3 : 0;
		spec->calling.apri = c->calling_restricted ? 1 : 0;
		spec->have_calling = true;
	}
	if (spec->have_redirecting)
		iw_e164_to_isup(num, c->redir_e164, &spec->redirecting);
	if (spec->have_ocn)
		iw_e164_to_isup(num, c->ocn_e164, &spec->ocn);
}

/* Seize a circuit on the next group of the route that can take the call
 * (up, below its limits: iw_admit_group; a circuit free) and send the IAM
 * or SETUP. 0, or the cause when none could: 42 when limits stopped it,
 * else 34 (no circuit). */
int iw_seize(struct iw_call *c)
{
	struct iw *iw = c->iw;
	bool limited = false;

	if (!c->spec)
		return ISUP_CAUSE_NO_CIRCUIT_AVAILABLE;
	if (!c->n_alt && !c->attempts) {
		/* no route targets: the first linkset */
		if (!c->alt && !(c->alt = talloc_zero_array(c, iw_alt_name, IW_ROUTE_ALT_MAX)))
			return ISUP_CAUSE_NO_CIRCUIT_AVAILABLE;
		c->alt[0][0] = '\0';
		c->n_alt = 1;
	}
	while (c->next_alt < c->n_alt && c->attempts < iw_max_attempts(iw)) {
		const char *name = c->alt[c->next_alt++];
		const struct iw_leg_class *cls = NULL;
		const void *g = iw_leg_group_find(name[0] ? name : NULL, &cls);
		struct iw_leg_group_info gi = {0};
		struct iw_leg *leg;

		if (!g) {
			LOGCALL(c, LOGL_INFO, "linkset %s not available\n", name[0] ? name : "-");
			continue;
		}
		if (!iw_admit_group(iw, cls, g, &limited))
			continue;
		cls->group_info(g, &gi);
		isup_numbers(c, gi.name);
		leg = cls->seize(c, g, c->spec);
		if (!leg) {
			LOGCALL(c, LOGL_INFO, "no free circuit on %s %s\n", cls->kind, gi.name);
			continue;
		}
		c->attempts++;
		iw_call_attach_leg(c, leg);
		iw_group_take(c, g);
		return 0;
	}
	LOGCALL(c, LOGL_INFO, "no linkset could take the call: cause %d\n", limited ? 42 : 34);
	return limited ? ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION
		       : ISUP_CAUSE_NO_CIRCUIT_AVAILABLE;
}

bool iw_seize_more(const struct iw_call *c)
{
	return c->next_alt < c->n_alt && c->attempts < iw_max_attempts(c->iw);
}

/* CANCEL of the caller's INVITE: the leg has answered it 487, which the
 * CDR's SIP status says (it said 0) */
static void in_cancelled(void *u, struct sip_leg *leg, const struct sip_msg *cancel)
{
	struct iw_call *c = u;

	if (!c->sip_status)
		c->sip_status = 487;
	iw_sip_side_bye(u, leg, cancel);
}

/* The ACK for our 2xx. With a delayed offer it carries the answer (RFC
 * 3264 5); without one the call can have no media: it ends (BYE, REL). */
static void in_ack(void *u, struct sip_leg *leg, const struct sip_msg *ack)
{
	struct iw_call *c = u;

	(void)leg;
	if (!c->delayed_offer || c->agreed_ok)
		return;
	iw_rx_answer_sdp(c, ack);
	if (c->agreed_ok) {
		LOGCALL(c, LOGL_INFO, "delayed offer: the ACK answered, media %s:%u\n",
			c->agreed.remote_addr, c->agreed.remote_port);
		return;
	}
	LOGCALL(c, LOGL_NOTICE, "delayed offer: the ACK has no usable answer: BYE, REL 65\n");
	iw_call_end(c, ISUP_CAUSE_BEARER_NOT_IMPLEMENTED);
}

/* The PRACK for our reliable 18x: with a delayed offer made there it
 * carries the answer (RFC 3262 5); without one, the ACK is the last chance. */
static void in_prack(void *u, struct sip_leg *leg, const struct sip_msg *prack)
{
	struct iw_call *c = u;

	(void)leg;
	if (!c->delayed_offer || c->agreed_ok)
		return;
	iw_rx_answer_sdp(c, prack);
	if (c->agreed_ok)
		LOGCALL(c, LOGL_INFO, "delayed offer: the PRACK answered, media %s:%u\n",
			c->agreed.remote_addr, c->agreed.remote_port);
}

/* The URI that names the called party: the Request-URI, except on a trunk
 * we register with, whose registrar retargets the request to the Contact
 * we bound (RFC 3261 10, 16.5: "sip:tandem@our-address", or the trunk's
 * "register contact-user"), leaving the number the caller dialled in To. */
static struct tstr called_uri(const struct sip_trunk *trunk, const struct sip_msg *invite)
{
	struct sip_uri u;
	struct sip_nameaddr to;

	if (trunk && trunk->do_register && sip_uri_decode(invite->ruri, &u) == 0 &&
	    sip_trunk_is_reg_contact_user(u.user.p, u.user.len) && sip_msg_to(invite, &to) == 0)
		return to.uri;
	return invite->ruri;
}

static const struct sip_leg_ops in_leg_ops = {
	.ack = in_ack,
	.prack = in_prack,
	.info = iw_sip_side_info,
	.offer = iw_sip_side_offer,
	.cancelled = in_cancelled,
	.bye = iw_sip_side_bye,
	.expired = iw_sip_side_expired,
	.gone = iw_sip_side_gone,
	.refer = iw_sip_side_refer,
	.refer_replaces = iw_sip_side_refer_replaces,
};

void iw_sip_incoming(struct iw *iw, struct sip_leg *leg, struct sip_trunk *trunk,
		     const struct sip_msg *invite)
{
	struct iw_route_res rr = {.cause = ISUP_CAUSE_NO_ROUTE_DESTINATION};
	struct isup_call_spec spec = {.cpc = 10,
				      .tmr = 3,
				      .except_cic = -1,
				      .echo_control = media_vty_ec_name && media_vty_ec_name[0]};
	struct sdp_session offer;
	struct iw_call *c;
	int rc;
	struct tstr body;
	char e164[48];
	const char *why = NULL;

	c = iw_call_alloc(iw, false);
	if (!c) {
		sip_leg_respond(leg, 503, NULL);
		return;
	}
	c->leg = leg;
	c->trunk = trunk;
	snprintf(c->trunk_name, sizeof(c->trunk_name), "%s", trunk ? trunk->name : "-");
	iw_call_set_call_id(c, sip_leg_call_id(leg));
	sip_leg_set_user(leg, &in_leg_ops, c);
	if (trunk && iw_trunk_over_limit(trunk)) {
		/* RFC 3261 21.5.4: come back later; Q.850 42 congestion */
		struct sip_body b = {.headers = "Retry-After: 1\r\n"};

		LOGCALL(c, LOGL_INFO, "trunk %s at its limit (%u calls, %u/s): 503\n", trunk->name,
			trunk->max_calls, trunk->max_cps);
		c->cause = ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION;
		c->sip_status = 503;
		sip_leg_respond(leg, 503, &b);
		goto out_fail;
	}
	iw_trunk_take(c, trunk);

	if (iw_uri_to_e164(iw_trunk_num(c), called_uri(trunk, invite), e164, sizeof(e164)) < 0) {
		/* RFC 3398 / Q.1912.5: an unusable number is an incomplete address */
		LOGCALL(c, LOGL_INFO, "Request-URI without a usable number: 484\n");
		goto reject_484;
	}
	snprintf(c->called, sizeof(c->called), "%s", e164);
	/* RFC 3398 8.2.1 / RFC 3325: the calling party is the asserted
	 * identity when there is one (network provided), else the From (user
	 * provided, not verified); Privacy: id restricts its presentation */
	{
		/* ... but only a trusted trunk asserts (iw_trust.c) */
		struct iw_identity_in id;

		iw_identity_in(trunk, invite, &id);
		if (id.src == IW_ID_DEFAULT)
			snprintf(c->calling, sizeof(c->calling), "%s", id.number);
		else if (id.src == IW_ID_NONE || iw_uri_to_e164(iw_trunk_num(c), id.uri, c->calling,
								sizeof(c->calling)) < 0)
			c->calling[0] = '\0';
		c->calling_asserted = id.network_provided;
		c->calling_restricted = id.restricted;
	}
	if (iw_hops_sip_to_isup(invite, &spec.hop_counter) < 0) {
		/* RFC 3261 16.3 / Q.764 2.14: the hops are spent: a loop */
		LOGCALL(c, LOGL_NOTICE, "Max-Forwards spent: 483 (loop?)\n");
		c->cause = ISUP_CAUSE_EXCHANGE_ROUTING_ERROR;
		c->sip_status = 483;
		sip_leg_respond(leg, 483, NULL);
		goto out_fail;
	}
	if (!iw_msg_sdp(invite, &body)) {
		/* RFC 3261 13.2.1 / RFC 3264 5: no offer (delayed offer, common
		 * from PBXs and carriers): we offer in the 200, the ACK answers */
		LOGCALL(c, LOGL_INFO, "INVITE without SDP: delayed offer\n");
		c->delayed_offer = true;
	} else if (body.len >= IW_SDP_MAX || sdp_decode(&offer, body.p, body.len, &why) < 0) {
		LOGCALL(c, LOGL_INFO, "INVITE without a usable SDP offer (%s): 488\n",
			why ? why : "too long");
		c->sip_status = 488;
		c->cause = ISUP_CAUSE_BEARER_NOT_IMPLEMENTED;
		sip_leg_respond(leg, 488, NULL);
		goto out_fail;
	}
	if (!c->delayed_offer) {
		c->offer = talloc_strndup(c, body.p, body.len);
		if (!c->offer) {
			c->sip_status = 500;
			c->cause = ISUP_CAUSE_RESOURCE_UNAVAILABLE;
			sip_leg_respond(leg, 500, NULL);
			goto out_fail;
		}
		c->offer_len = body.len;
	}
	/* RFC 4694: a ported number travels with its routing number (rn=)
	 * and the portability dip indicator (npdi); the call is routed on
	 * the routing number */
	spec.number_translated = uri_np(invite->ruri, c->np_rn, sizeof(c->np_rn));
	if (!iw->route ||
	    iw->route(iw->route_priv, false, c->np_rn[0] ? c->np_rn : e164, &rr) < 0) {
		LOGCALL(c, LOGL_INFO, "no route for +%s: cause %u\n", c->np_rn[0] ? c->np_rn : e164,
			rr.cause);
		goto reject_cause;
	}
	if (c->np_rn[0]) {
		/* the route rewrote the routing number; the dialled number goes on */
		LOGCALL(c, LOGL_INFO, "ported: +%s routed on +%s%s\n", e164, c->np_rn,
			spec.number_translated ? " (npdi)" : "");
		snprintf(c->np_rn, sizeof(c->np_rn), "%s", rr.number);
		snprintf(rr.number, sizeof(rr.number), "%s", e164);
	}
	if (!c->alt)
		c->alt = talloc_zero_array(c, iw_alt_name, IW_ROUTE_ALT_MAX);
	if (c->alt) {
		memcpy(c->alt, rr.alt, sizeof(rr.alt));
		c->n_alt = rr.n_alt;
	}
	snprintf(c->number, sizeof(c->number), "%s", rr.number);
	{
		/* SIP-I/SIP-T (Q.1912.5 profile C): the caller's IAM came along;
		 * its calling party (with presentation and screening as the
		 * originating network set them) and category go on */
		struct isup_msg im;
		uint8_t store[280], u8;
		const struct isup_param *p;

		enum isup_variant bv;

		if (iw_sipi_isup_var(c, invite, &im, store, sizeof(store), &bv) == 0 &&
		    im.type == ISUP_MT_IAM) {
			struct iw_sipi_unknown u;

			/* Q.764 2.9.5.3 / Q.1912.5: what tandem does not
			 * recognise goes on in the IAM as it came, as the
			 * parameter compatibility information allows */
			iw_sipi_unknown(&im, ISUP_CALL_EXTRA_MAX, &u);
			if (u.release || u.discard_msg) {
				LOGCALL(c, LOGL_NOTICE,
					"SIP-I IAM: unrecognised parameter 0x%02x: the "
					"compatibility information says %s: cause 99\n",
					u.release_code,
					u.release ? "release call" : "discard message");
				rr.cause = ISUP_CAUSE_IE_NONEXISTENT;
				goto reject_cause;
			}
			if (u.discarded)
				LOGCALL(c, LOGL_INFO,
					"SIP-I IAM: %u unrecognised parameter(s) discarded\n",
					u.discarded);
			if (u.passed) {
				/* the call owns them: a route advance sends them
				 * again */
				spec.extra = talloc_memdup(c, u.raw, u.len);
				spec.extra_len = spec.extra ? (uint8_t)u.len : 0;
				spec.extra_variant = (uint8_t)bv;
				LOGCALL(c, LOGL_INFO,
					"SIP-I IAM: %u unrecognised parameter(s) passed on (%zu "
					"octets)\n",
					u.passed, u.len);
			}
			p = iw_identity_trusted(trunk)
				    ? isup_msg_param(&im, ISUP_PAR_CALLING_PARTY_NUMBER)
				    : NULL;
			if (p && isup_number_decode(ISUP_PAR_CALLING_PARTY_NUMBER, p->val, p->len,
						    &spec.calling) == 0)
				spec.have_calling = c->calling_from_sipi = true;
			if (isup_msg_u8(&im, ISUP_PAR_CALLING_PARTYS_CATEGORY, &u8) == 0)
				spec.cpc = u8;
			if (isup_msg_u8(&im, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &u8) == 0)
				spec.tmr = u8;
			LOGCALL(c, LOGL_INFO,
				"SIP-I: the encapsulated IAM gives calling %s, CPC %u\n",
				spec.have_calling ? spec.calling.digits : "-", spec.cpc);
		}
	}
	iw_diversion_to_isup(c, invite, &spec);
	c->spec = talloc_memdup(c, &spec, sizeof(spec));
	rc = iw_seize(c);
	if (rc) {
		rr.cause = (uint8_t)rc;
		goto reject_cause;
	}
	iw_call_state(c, IW_CALL_S_SETUP); /* no answer: timer X3 */
	iw_prefs_for(c, trunk);
	if ((c->delayed_offer ? iw_make_offer(c) : iw_answer_offer(c)) < 0) {
		LOGCALL(c, LOGL_INFO, "offer not acceptable (or none to make): 488, REL 65\n");
		c->sip_status = 488;
		c->cause = ISUP_CAUSE_BEARER_NOT_IMPLEMENTED;
		iw_circuit_release(c, ISUP_CAUSE_BEARER_NOT_IMPLEMENTED,
				   ISUP_LOC_BEYOND_INTERWORKING);
		sip_leg_respond(leg, 488, NULL);
		goto out_fail;
	}
	iw_media_connect(c);
	/* RFC 3261 17.2.1: the answer now waits on the ISUP side (ACM, or
	 * T7): 100 Trying at once stops the caller's retransmissions, instead
	 * of the transaction's 200 ms timer, late when the loop is busy */
	sip_leg_respond(leg, 100, NULL);
	LOGCALL(c, LOGL_INFO, "INVITE %s -> +%s: IAM on linkset %s CIC %u\n",
		c->calling[0] ? c->calling : "-", e164, c->linkset, c->cic);
	return;

reject_484:
	c->sip_status = 484;
	sip_leg_respond(leg, 484, NULL);
	goto out_fail;
reject_cause : {
	char reason[128];
	struct sip_body b = {.headers = reason};

	c->cause = rr.cause;
	c->sip_status = (int)iw_isup_to_sip(iw, rr.cause, ISUP_LOC_BEYOND_INTERWORKING);
	iw_reason_hdr(reason, sizeof(reason), rr.cause);
	if (rr.cause == ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION) /* RFC 3261 21.5.4: at our
								      limits, come back later */
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
			 "Retry-After: 1\r\n");
	sip_leg_respond(leg, (unsigned)c->sip_status, &b);
}
out_fail:
	iw->st.failed++;
	/* the leg reports "gone" when its transaction is over */
	iw_call_state(c, IW_CALL_S_CLEARING);
}

/* 18x/200 with our SDP; on SIP-I/SIP-T trunks the ISUP message that
 * caused it (ACM, CPG, ANM, CON) rides along. */
static void respond_sdp(struct iw_call *c, unsigned status, const struct isup_msg *m)
{
	struct sip_body b = {.content_type = "application/sdp", .body = c->sdp};
	char mp_body[2048], mp_ctype[120];
	int sdp_len = c->sdp_len, n;

	if (c->delayed_offer) {
		/* RFC 3261 13.2.1: our offer goes once, in the first reliable
		 * response: a reliable 18x (the PRACK answers, RFC 3262 5) or
		 * the 200 (the ACK answers); an unreliable 18x carries none */
		bool here =
			!c->offer_sent && (status >= 200 || sip_leg_provisional_reliable(c->leg));

		sdp_len = here ? c->sdp_len : 0;
		c->offer_sent = c->offer_sent || here;
	}
	b.len = (size_t)sdp_len;
	n = iw_sipi_body(c, sdp_len > 0 ? c->sdp : NULL, sdp_len, m, mp_body, sizeof(mp_body),
			 mp_ctype, sizeof(mp_ctype));
	if (n > 0) {
		b.content_type = mp_ctype;
		b.body = mp_body;
		b.len = (size_t)n;
	}
	sip_leg_respond(c->leg, status, sdp_len > 0 || n > 0 ? &b : NULL);
}

/* Q.763 3.5 bit N in ACM/CON: the succeeding exchange includes an echo
 * control device; with echo-control network ours goes off for the call
 * (the leg tells: far_echo_control). */
static void backward_echo(struct iw_call *c, const struct iw_leg_ev *ev)
{
	if (!ev->far_echo_control || c->ec_off)
		return;
	c->ec_off = true;
	LOGCALL(c, LOGL_INFO, "the called side includes an echo control device: ours off\n");
	if (c->media_up)
		iw_media_connect(c);
}

void iw_to_circuit_progress(struct iw_call *c, const struct iw_leg_ev *ev)
{
	if (!c->leg || c->from_isup)
		return;
	backward_echo(c, ev);
	iw_call_state(c, IW_CALL_S_EARLY);
	/* RFC 3398 8.2.2: ACM "subscriber free" -> 180; otherwise (or with
	 * in-band information) 183; both carry our SDP so the far end's
	 * in-band tones reach the caller */
	respond_sdp(c, ev->alerting && !ev->inband ? 180 : 183, ev->isup);
}

void iw_to_circuit_answer(struct iw_call *c, const struct iw_leg_ev *ev)
{
	if (!c->leg || c->from_isup)
		return;
	backward_echo(c, ev); /* CON (or an ANM with backward call indicators) */
	iw_call_state(c, IW_CALL_S_ACTIVE);
	LOGCALL(c, LOGL_INFO, "answered\n");
	respond_sdp(c, 200, ev->isup);
	iw_call_answered(c);
}
