/* The SIP leg as UAS: the incoming INVITE, our provisional (reliable ones
 * retransmitted until PRACKed, RFC 3262 3), 2xx (retransmitted until the
 * ACK, RFC 3261 13.3.1.4) and final responses; ACK, PRACK and CANCEL. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "core/log.h"
#include "sip/sip_build.h"
#include "sip/sip_dialog.h"
#include "sip/sip_hdr.h"
#include "sip/sip_trunk.h"
#include "sip/sip_txn.h"
#include "sip/sip_ua.h"
#include "sip/sip_ua_int.h"
#include <osmocom/core/tdef.h>

/* --- UAS INVITE --- */

/* RFC 3261 T1 and T2 as configured ("timer sip T1", "timer sip T2"), in
 * ms: the 2xx (13.3.1.4) and reliable provisional (RFC 3262 3)
 * retransmissions are timed by them as the transactions are. */
static unsigned ua_t1(void)
{
	return (unsigned)osmo_tdef_get(sip_txn_tdefs, 1, OSMO_TDEF_MS, 500);
}

static unsigned ua_t2(void)
{
	return (unsigned)osmo_tdef_get(sip_txn_tdefs, 2, OSMO_TDEF_MS, 4000);
}

static void ok_retransmit(void *priv)
{
	struct sip_leg *leg = priv;
	unsigned t1 = ua_t1(), t2 = ua_t2();

	if (leg->state != SIP_LEG_S_ACCEPTED || !leg->ok)
		return;
	leg->ok_elapsed_ms += leg->ok_interval_ms;
	if (leg->ok_elapsed_ms >= 64 * t1) {
		/* 13.3.1.4: no ACK: confirm the dialog and end the session */
		LOGP(DSIP, LOGL_NOTICE, "%s: no ACK for our 2xx, sending BYE\n", leg->call_id);
		if (leg->ops && leg->ops->bye && !sip_leg_ended(leg))
			leg->ops->bye(leg->u, leg, NULL);
		sip_leg_bye(leg, "Reason: SIP;cause=408;text=\"no ACK\"\r\n");
		return;
	}
	sip_ua_send(leg->ua, &leg->dest, leg->ok, leg->ok_len);
	leg->ok_interval_ms = leg->ok_interval_ms * 2 < t2 ? leg->ok_interval_ms * 2 : t2;
	/* the last wait ends at 64*T1 exactly, not at the next T2 step */
	if (leg->ok_elapsed_ms + leg->ok_interval_ms > 64 * t1)
		leg->ok_interval_ms = 64 * t1 - leg->ok_elapsed_ms;
	osmo_timer_schedule(&leg->ok_timer, leg->ok_interval_ms / 1000,
			    (leg->ok_interval_ms % 1000) * 1000);
}

static void uas_invite_gone(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	(void)t;
	leg->invite_txn = NULL;
	sip_leg_maybe_free(leg);
}

static void uas_invite_timeout(void *tu, struct sip_txn *t)
{
	(void)tu;
	(void)t; /* Timer H: the non-2xx was never ACKed; the leg ends anyway */
}

/* Our responses to the INVITE cannot reach the caller: the transport
 * failed to send one, or two were refused by ICMP (the caller's port
 * closed: it crashed or gave up without CANCEL). 17.2.4 tells the TU;
 * nothing sent there arrives, so no BYE or final response goes: the leg
 * ends, and the owner hears 'gone' (a circuit is released with cause 41).
 * A confirmed dialog stays (its ACK came: the caller was there). */
static void uas_invite_terr(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	(void)t;
	if (leg->state != SIP_LEG_S_PROCEEDING && leg->state != SIP_LEG_S_ACCEPTED)
		return;
	LOGP(DSIP, LOGL_NOTICE,
	     "%s: our responses to the INVITE do not reach the caller (%s): "
	     "the call ends\n",
	     leg->call_id, leg->state == SIP_LEG_S_ACCEPTED ? "2xx, no ACK" : "ringing");
	leg->ua->st.uas_unreachable++;
	osmo_timer_del(&leg->ok_timer);
	osmo_timer_del(&leg->rel_timer);
	sip_leg_state_chg(leg, SIP_LEG_S_TERMINATING);
	/* freed when the transaction ends, right after this (uas_invite_gone) */
}

static const struct sip_txn_user_ops uas_invite_ops = {
	.timeout = uas_invite_timeout,
	.transport_error = uas_invite_terr,
	.terminated = uas_invite_gone,
};

/* RFC 3262: the caller supports (or requires) 100rel and we are to use it */
static bool leg_wants_100rel(const struct sip_leg *leg, const struct sip_msg *inv)
{
	if (sip_msg_has_token(inv, SIP_HDR_REQUIRE, "100rel"))
		return true;
	return sip_msg_has_token(inv, SIP_HDR_SUPPORTED, "100rel") &&
	       ((leg->trunk && leg->trunk->prack) || leg->ua->cfg.prack);
}

bool sip_leg_provisional_reliable(const struct sip_leg *leg)
{
	struct sip_msg inv;

	if (leg->uac || !leg->invite ||
	    sip_msg_parse(&inv, (const char *)leg->invite, leg->invite_len, NULL) < 0)
		return false;
	return leg_wants_100rel(leg, &inv);
}

/* An early dialog for a UAS leg at its first reliable provisional. */
static void uas_early_dialog(struct sip_leg *leg, const struct sip_msg *inv)
{
	struct sip_dialog_init in = {0};
	struct sip_contact ct;

	if (leg->dlg)
		return;
	in.call_id = sip_ua_view(leg->call_id);
	in.local_tag = sip_ua_view(leg->local_tag);
	in.remote_tag = sip_ua_view(leg->remote_tag);
	in.local_uri = sip_ua_view(leg->local_uri);
	in.remote_uri = sip_ua_view(leg->remote_uri);
	in.remote_target =
		sip_msg_contact(inv, 0, &ct) == 0 ? ct.na.uri : sip_ua_view(leg->remote_uri);
	in.cseq = leg->invite_cseq;
	leg->dlg = sip_dialog_uas(leg, &in, false);
}

static void rel_retransmit(void *priv)
{
	struct sip_leg *leg = priv;

	if (!leg->rel)
		return;
	leg->rel_elapsed_ms += leg->rel_interval_ms;
	if (leg->rel_elapsed_ms >= 64 * ua_t1()) {
		/* RFC 3262 3: never PRACKed: reject the INVITE with a 5xx */
		LOGP(DSIP, LOGL_NOTICE, "%s: reliable provisional never PRACKed\n", leg->call_id);
		TALLOC_FREE(leg->rel);
		if (leg->ops && leg->ops->failed && !sip_leg_ended(leg))
			leg->ops->failed(leg->u, leg, 504, NULL);
		sip_leg_respond(leg, 504, NULL);
		return;
	}
	sip_ua_send(leg->ua, &leg->dest, leg->rel, leg->rel_len);
	leg->rel_interval_ms *= 2;
	osmo_timer_schedule(&leg->rel_timer, leg->rel_interval_ms / 1000,
			    (leg->rel_interval_ms % 1000) * 1000);
}

int sip_leg_respond(struct sip_leg *leg, unsigned status, const struct sip_body *body)
{
	struct sip_ua *ua = leg->ua;
	uint8_t buf[MSG_MAX];
	char hdrs[2048], host[INET6_ADDRSTRLEN], contact[128];
	struct sip_build_extra ex = {0};
	struct sip_msg inv;
	uint16_t port;
	int n;

	if (leg->uac || !leg->invite_txn || leg->state != SIP_LEG_S_PROCEEDING)
		return -EALREADY;
	if (sip_msg_parse(&inv, (const char *)leg->invite, leg->invite_len, NULL) < 0)
		return -EINVAL;
	sip_ua_local_contact(ua, leg->dest.proto, contact, sizeof(contact), host, sizeof(host),
			     &port);
	snprintf(hdrs, sizeof(hdrs), "%sContact: <%s>\r\n" ALLOW_HDR "%s%s%s",
		 body && body->headers ? body->headers : "", contact,
		 ua->cfg.user_agent ? "Server: " : "", ua->cfg.user_agent ? ua->cfg.user_agent : "",
		 ua->cfg.user_agent ? "\r\n" : "");
	ex.headers = status > 100 && status < 300 ? hdrs : (body ? body->headers : NULL);
	if (body && body->content_type) {
		ex.content_type = body->content_type;
		ex.body = body->body;
		ex.body_len = body->len;
	}
	if (status > 100 && status < 200 && leg_wants_100rel(leg, &inv)) {
		uint32_t rseq;

		uas_early_dialog(leg, &inv);
		rseq = leg->dlg ? sip_dialog_next_rseq(leg->dlg) : 0;
		if (rseq) {
			/* RFC 3262 3: Require: 100rel and an RSeq, sent again until PRACKed */
			size_t hl = strlen(hdrs);

			snprintf(hdrs + hl, sizeof(hdrs) - hl, "Require: 100rel\r\nRSeq: %u\r\n",
				 rseq);
			ex.headers = hdrs;
		}
		n = sip_build_response((char *)buf, sizeof(buf), &inv, status, NULL, leg->local_tag,
				       &ex);
		if (n > 0 && rseq) {
			talloc_free(leg->rel);
			leg->rel = talloc_memdup(leg, buf, (size_t)n);
			leg->rel_len = (size_t)n;
			leg->rel_elapsed_ms = 0;
			leg->rel_interval_ms = ua_t1();
			osmo_timer_setup(&leg->rel_timer, rel_retransmit, leg);
			osmo_timer_schedule(&leg->rel_timer, leg->rel_interval_ms / 1000,
					    (leg->rel_interval_ms % 1000) * 1000);
		}
		if (n < 0)
			return n;
		return sip_txn_respond(leg->invite_txn, (int)status, buf, (size_t)n);
	}
	n = sip_build_response((char *)buf, sizeof(buf), &inv, status, NULL, leg->local_tag, &ex);
	if (n < 0)
		return n;
	if (status >= 200)
		osmo_timer_del(&leg->rel_timer); /* the final response ends it */
	if (status >= 200 && status < 300 && sip_st_uas_answer(leg, &inv, hdrs, sizeof(hdrs))) {
		ex.headers = hdrs;
		n = sip_build_response((char *)buf, sizeof(buf), &inv, status, NULL, leg->local_tag,
				       &ex);
		if (n < 0)
			return n;
		sip_st_arm(leg);
	}
	if (status >= 200 && status < 300) {
		struct sip_dialog_init in = {0};
		struct sip_nameaddr na;
		struct sip_contact ct;

		in.call_id = sip_ua_view(leg->call_id);
		in.local_tag = sip_ua_view(leg->local_tag);
		in.remote_tag = sip_ua_view(leg->remote_tag);
		in.local_uri = sip_ua_view(leg->local_uri);
		in.remote_uri = sip_ua_view(leg->remote_uri);
		in.remote_target = sip_msg_contact(&inv, 0, &ct) == 0
					   ? ct.na.uri
					   : sip_ua_view(leg->remote_uri);
		for (unsigned i = 0;
		     i < SIP_DIALOG_MAX_ROUTES && sip_msg_record_route(&inv, i, &na) == 0; i++) {
			in.routes[i] = na.uri;
			in.n_routes = i + 1;
		}
		in.cseq = leg->invite_cseq;
		if (!leg->dlg)
			leg->dlg = sip_dialog_uas(leg, &in, true);
		leg->ok = talloc_memdup(leg, buf, (size_t)n);
		leg->ok_len = (size_t)n;
		sip_leg_state_chg(leg, SIP_LEG_S_ACCEPTED);
		/* 13.3.1.4: the core retransmits the 2xx until the ACK, T1 doubling to T2 */
		if (leg->dest.proto == SIP_PROTO_UDP) {
			leg->ok_interval_ms = ua_t1();
			osmo_timer_setup(&leg->ok_timer, ok_retransmit, leg);
			osmo_timer_schedule(&leg->ok_timer, leg->ok_interval_ms / 1000,
					    (leg->ok_interval_ms % 1000) * 1000);
		}
	} else if (status >= 300) {
		sip_leg_state_chg(leg, SIP_LEG_S_TERMINATING); /* the owner decided it */
	}
	return sip_txn_respond(leg->invite_txn, (int)status, buf, (size_t)n);
}

static struct sip_leg *uas_leg_new(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
				   const uint8_t *raw, size_t len, const struct sip_txn_dest *src,
				   const struct sip_txn_info *i)
{
	struct sip_leg *leg = sip_leg_new(ua, false);
	struct sip_nameaddr na;

	if (!leg)
		return NULL;
	leg->dest = *src;
	leg->call_id = sip_ua_dup_view(leg, i->call_id);
	leg->remote_tag = sip_ua_dup_view(leg, i->from_tag);
	leg->local_tag = sip_ua_token(ua, leg, "t");
	sip_leg_index(leg);
	if (sip_msg_from(m, &na) == 0)
		leg->remote_uri = sip_ua_dup_view(leg, na.uri);
	if (sip_msg_to(m, &na) == 0)
		leg->local_uri = sip_ua_dup_view(leg, na.uri);
	leg->invite = talloc_memdup(leg, raw, len);
	leg->invite_len = len;
	leg->invite_cseq = i->cseq;
	leg->invite_txn = t;
	leg->trunk = sip_ua_trunk_by_source(src);
	sip_txn_set_user(t, &uas_invite_ops, leg);
	sip_leg_state_chg(leg, SIP_LEG_S_PROCEEDING);
	ua->st.legs_in++;
	return leg;
}

/* --- requests for the UAS side --- */

/* A new INVITE outside any dialog: a leg for the owner to answer. */
void sip_uas_invite_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i,
		       const uint8_t *raw, size_t len, const struct sip_txn_dest *src)
{
	const struct sip_msg *m = i->msg;
	struct sip_leg *leg;
	struct sip_session_expires se;

	/* RFC 4028 8.1.1: below our Min-SE: 422 with Min-SE */
	if (sip_msg_session_expires(m, &se) == 0 && se.delta < SIP_MIN_SE_FLOOR) {
		char hdr[48];

		snprintf(hdr, sizeof(hdr), "Min-SE: %u\r\n", SIP_MIN_SE_FLOOR);
		sip_ua_respond_simple(ua, t, m, 422, hdr);
		return;
	}
	leg = uas_leg_new(ua, t, m, raw, len, src, i);
	if (!leg) {
		sip_ua_respond_simple(ua, t, m, 500, NULL);
		return;
	}
	if (ua->ops && ua->ops->incoming)
		ua->ops->incoming(ua->priv, leg, leg->trunk, m);
	else
		sip_leg_respond(leg, 480, NULL);
}

void sip_uas_ack_rx(struct sip_ua *ua, const struct sip_txn_info *i)
{
	const struct sip_msg *m = i->msg;
	struct sip_leg *leg;

	leg = sip_leg_for_request(ua, i);
	if (leg && !leg->uac && leg->state == SIP_LEG_S_ACCEPTED) {
		sip_leg_state_chg(leg, SIP_LEG_S_CONFIRMED);
		osmo_timer_del(&leg->ok_timer);
		sip_leg_confirmed_trim(leg);
		if (leg->ops && leg->ops->ack)
			leg->ops->ack(leg->u, leg, m);
	}
}

void sip_uas_cancel_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i)
{
	const struct sip_msg *m = i->msg;
	struct sip_txn *inv = sip_txn_find_invite(ua->tl, i);
	struct sip_leg *l2;

	if (!inv) {
		sip_ua_respond_simple(ua, t, m, 481, NULL);
		return;
	}
	sip_ua_respond_simple(ua, t, m, 200, NULL);
	/* the leg is the INVITE transaction's user (uas_leg_new): found at
	 * once, not by walking every leg of the gateway per CANCEL */
	l2 = sip_txn_user(inv, &uas_invite_ops);
	if (!l2 || l2->invite_txn != inv || l2->state != SIP_LEG_S_PROCEEDING)
		return;
	sip_leg_respond(l2, 487, NULL);
	if (l2->ops && l2->ops->cancelled)
		l2->ops->cancelled(l2->u, l2, m);
}

void sip_uas_prack_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i)
{
	const struct sip_msg *m = i->msg;
	struct sip_leg *leg;
	struct sip_rack ra;

	leg = sip_leg_for_request(ua, i);
	if (leg && leg->dlg && sip_msg_rack(m, &ra) == 0 &&
	    sip_dialog_prack_rx(leg->dlg, ra.rseq)) {
		osmo_timer_del(&leg->rel_timer);
		TALLOC_FREE(leg->rel);
		sip_ua_respond_simple(ua, t, m, 200, NULL);
		if (!sip_leg_ended(leg) && leg->ops && leg->ops->prack)
			leg->ops->prack(leg->u, leg, m);
	} else {
		sip_ua_respond_simple(ua, t, m, 481, NULL); /* RFC 3262 7.2 */
	}
}
