/* The SIP leg as UAC: the outgoing INVITE, its responses (PRACK for a
 * reliable provisional, ACK for the 2xx, retransmitted 2xx re-ACKed), the
 * retries (next RFC 3263 target, 422 with a larger Session-Expires, digest
 * credentials after a 401/407) and CANCEL (RFC 3261 9.1). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/timer.h>

#include "core/log.h"
#include "sip/sdp.h"
#include "sip/sip_build.h"
#include "sip/sip_dialog.h"
#include "sip/sip_hdr.h"
#include "sip/sip_mime.h"
#include "sip/sip_trunk.h"
#include "sip/sip_txn.h"
#include "sip/sip_ua.h"
#include "sip/sip_ua_int.h"
#include "sip/sip_auth.h"
#include "sip/sip_resolve.h"

static const struct sip_txn_user_ops uac_invite_ops;
/* PRACK client transactions run on their own; the leg does not wait. */
static const struct sip_txn_user_ops prack_ops = {0};
static int uac_auth_retry(struct sip_leg *leg, struct sip_txn *t, const struct sip_msg *m,
			  unsigned st);
static int uac_422_retry(struct sip_leg *leg, struct sip_txn *t, const struct sip_msg *m);
static int uac_target_retry(struct sip_leg *leg, struct sip_txn *t);

static void send_cancel(struct sip_leg *leg)
{
	uint8_t buf[MSG_MAX];
	struct sip_msg inv, m;
	struct sip_txn_info i;
	int n;

	sip_leg_state_chg(leg, SIP_LEG_S_CANCELLING);
	if (sip_msg_parse(&inv, (const char *)leg->invite, leg->invite_len, NULL) < 0)
		return;
	n = sip_build_cancel((char *)buf, sizeof(buf), &inv);
	if (n < 0)
		return;
	if (leg->cancel_reason) {
		/* RFC 3326: the Reason goes right before the end of the headers */
		size_t rl = strlen(leg->cancel_reason);

		if ((size_t)n + rl < sizeof(buf) && n >= 4) {
			memmove(buf + n - 2 + rl, buf + n - 2, 2);
			memcpy(buf + n - 2, leg->cancel_reason, rl);
			n += (int)rl;
		}
	}
	if (sip_msg_parse(&m, (const char *)buf, (size_t)n, NULL) < 0)
		return;
	sip_ua_txn_info(&m, &i);
	leg->cancel_txn = sip_txn_client_start(leg->ua->tl, &i, buf, (size_t)n, &leg->dest,
					       &sip_leg_cancel_ops, leg);
}

/* Delayed offer (RFC 3261 13.2.1, RFC 3262 5): the owner's answer to the
 * offer a 2xx or reliable 18x carries, for the ACK or PRACK; NULL: none. */
static const struct sip_body *uac_answer_for(struct sip_leg *leg, const struct sip_msg *rsp,
					     struct sip_body *b)
{
	if (!rsp->body.len || !leg->ops || !leg->ops->answer_offer || sip_leg_ended(leg) ||
	    leg->ops->answer_offer(leg->u, leg, rsp, b) < 0 || !b->content_type)
		return NULL;
	return b;
}

/* The SDP of a message: its body, or the application/sdp part of a
 * multipart one (SIP-I). */
static bool msg_sdp(const struct sip_msg *m, struct tstr *out)
{
	struct sip_mime_part parts[4];
	struct sip_ctype ct;
	unsigned n = 0;

	if (!m->body.len || sip_msg_content_type(m, &ct) < 0)
		return false;
	if (tstr_casecmp_cstr(ct.type, "application") && tstr_casecmp_cstr(ct.subtype, "sdp")) {
		*out = m->body;
		return true;
	}
	if (sip_msg_multipart(m, parts, 4, &n) < 0)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (parts[i].content_type.len >= 15 &&
		    !strncasecmp(parts[i].content_type.p, "application/sdp", 15)) {
			*out = parts[i].body;
			return true;
		}
	return false;
}

/* A late fork's 2xx offered (our INVITE had no SDP): the dialog is ended
 * at once, so the answer its ACK must carry (RFC 3261 13.2.2.4, RFC 3264
 * 6) refuses every offered stream: each m= line echoed with port 0. The
 * length in buf, or <0 when the 2xx has no usable offer. */
static int fork_refusal(struct sip_leg *leg, const struct sip_msg *rsp, char *buf, size_t size)
{
	struct sdp_session offer;
	struct tstr sdp;
	char host[INET6_ADDRSTRLEN], contact[128];
	uint16_t port;
	char ipv;
	int n;

	if (!msg_sdp(rsp, &sdp) || sdp_decode(&offer, sdp.p, sdp.len, NULL) < 0)
		return -ENOENT;
	sip_ua_local_contact(leg->ua, leg->dest.proto, contact, sizeof(contact), host, sizeof(host),
			     &port);
	ipv = strchr(host, ':') ? '6' : '4';
	n = snprintf(buf, size,
		     "v=0\r\no=tandem %llu 1 IN IP%c %s\r\ns=-\r\nc=IN IP%c %s\r\nt=0 0\r\n",
		     (unsigned long long)(sip_ua_rnd_next(leg->ua) >> 2), ipv, host, ipv, host);
	for (unsigned i = 0; i < offer.n_media && n > 0 && (size_t)n < size; i++) {
		const struct sdp_media *m = &offer.m[i];

		n += snprintf(buf + n, size - (size_t)n, "m=%.*s 0 %.*s %.*s\r\n",
			      TSTR_FMT(m->type), TSTR_FMT(m->proto), TSTR_FMT(m->fmt_list));
	}
	return n > 0 && (size_t)n < size ? n : -ENOSPC;
}

/* RFC 3261 13.3.1.4: the UAS sends its 2xx again for 64*T1 at most (RFC
 * 6026's Timer M ends our INVITE transaction then too): later no 2xx is
 * to be ACKed again and the copy, the larger part of an established UAC
 * leg, goes. */
static void ack_expired(void *priv)
{
	struct sip_leg *leg = priv;

	TALLOC_FREE(leg->ack);
	leg->ack_len = 0;
}

/* answer: the body for the ACK (NULL: the owner's answer when the 2xx
 * offered, else none) */
static void uac_ack_2xx_body(struct sip_leg *leg, const struct sip_msg *rsp,
			     const struct sip_body *answer)
{
	unsigned long t1 = osmo_tdef_get(sip_txn_tdefs, 1, OSMO_TDEF_MS, 500);
	uint8_t buf[MSG_MAX];
	struct sip_body ans = {0};
	char *branch;
	int n;

	branch = sip_ua_token(leg->ua, leg, "z9hG4bK");
	/* 13.2.2.4: the ACK has the INVITE's CSeq number, a new branch (and
	 * the answer when the 2xx made the offer) */
	n = sip_leg_build_request(leg, "ACK", leg->invite_cseq, branch,
				  answer ? answer : uac_answer_for(leg, rsp, &ans), buf,
				  sizeof(buf));
	talloc_free(branch);
	if (n < 0)
		return;
	talloc_free(leg->ack);
	leg->ack = talloc_memdup(leg, buf, (size_t)n);
	leg->ack_len = (size_t)n;
	osmo_timer_setup(&leg->ack_timer, ack_expired, leg);
	osmo_timer_schedule(&leg->ack_timer, 64 * t1 / 1000, (64 * t1 % 1000) * 1000);
	sip_leg_send_ack(leg);
}

static void uac_ack_2xx(struct sip_leg *leg, const struct sip_msg *rsp)
{
	uac_ack_2xx_body(leg, rsp, NULL);
}

static void dialog_from_response(struct sip_leg *leg, const struct sip_msg *rsp, bool confirmed)
{
	struct sip_dialog_init in = {0};
	struct sip_nameaddr na;
	struct sip_contact ct;

	if (leg->dlg) {
		/* RFC 3261 12.2.1.2: the 2xx to the INVITE (a target refresh)
		 * replaces the remote target with its Contact; a provisional
		 * without one had left the To URI there */
		if (sip_msg_contact(rsp, 0, &ct) == 0)
			sip_dialog_set_target(leg->dlg, ct.na.uri);
		if (confirmed)
			sip_dialog_confirm(leg->dlg);
		return;
	}
	in.call_id = sip_ua_view(leg->call_id);
	in.local_tag = sip_ua_view(leg->local_tag);
	in.remote_tag = sip_ua_view(leg->remote_tag);
	in.local_uri = sip_ua_view(leg->local_uri);
	in.remote_uri = sip_ua_view(leg->remote_uri);
	if (sip_msg_contact(rsp, 0, &ct) == 0)
		in.remote_target = ct.na.uri;
	else
		in.remote_target = sip_ua_view(leg->remote_uri);
	for (unsigned i = 0; i < SIP_DIALOG_MAX_ROUTES && sip_msg_record_route(rsp, i, &na) == 0;
	     i++) {
		in.routes[i] = na.uri;
		in.n_routes = i + 1;
	}
	in.cseq = leg->invite_cseq;
	leg->dlg = sip_dialog_uac(leg, &in, confirmed);
}

/* RFC 3261 13.2.2.4 / 16.7: a forking proxy let a second 2xx (another To
 * tag) through after the first one won: that dialog is confirmed by its
 * own ACK and ended at once by a BYE, on a leg of its own that nobody owns
 * (it goes when the BYE is done); its retransmitted 2xx get the same ACK. */
static void uac_fork_2xx(struct sip_leg *leg, const struct sip_msg *rsp, struct tstr to_tag)
{
	struct sip_leg *g = sip_leg_by_dialog(leg->ua, sip_ua_view(leg->call_id),
					      sip_ua_view(leg->local_tag), to_tag);

	if (g && g != leg) {
		sip_leg_send_ack(g);
		return;
	}
	g = sip_leg_new(leg->ua, true);
	if (!g)
		return;
	g->trunk = leg->trunk;
	g->dest = leg->dest;
	g->call_id = talloc_strdup(g, leg->call_id);
	g->local_tag = talloc_strdup(g, leg->local_tag);
	sip_leg_index(g);
	g->local_uri = talloc_strdup(g, leg->local_uri);
	g->remote_uri = talloc_strdup(g, leg->remote_uri);
	g->remote_tag = sip_ua_dup_view(g, to_tag);
	g->invite_cseq = leg->invite_cseq;
	g->invite_final = true;
	dialog_from_response(g, rsp, true);
	{
		char sdp[1024];
		int n = leg->offerless ? fork_refusal(g, rsp, sdp, sizeof(sdp)) : -ENOENT;
		struct sip_body refusal = {.content_type = "application/sdp",
					   .body = sdp,
					   .len = n > 0 ? (size_t)n : 0};

		uac_ack_2xx_body(g, rsp, n > 0 ? &refusal : NULL);
		leg->ua->st.forks_ended++;
		LOGP(DSIP, LOGL_NOTICE,
		     "%s: a 2xx from another fork (To tag %.*s) after the first: ACK%s, BYE\n",
		     leg->call_id, (int)to_tag.len, to_tag.p,
		     n > 0 ? " answering its offer with every stream refused" : "");
	}
	if (sip_leg_bye(g, NULL) < 0) {
		sip_leg_state_chg(g, SIP_LEG_S_TERMINATING);
		sip_leg_maybe_free(g);
	}
}

static void uac_invite_response(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp,
				const uint8_t *raw, size_t len)
{
	struct sip_leg *leg = tu;
	const struct sip_msg *m = rsp->msg;
	unsigned st = (unsigned)rsp->status;
	bool tell;

	(void)raw;
	(void)len;
	if (st < 200) {
		if (st == 100)
			return;
		if (leg->state == SIP_LEG_S_CALLING)
			sip_leg_state_chg(leg, SIP_LEG_S_PROCEEDING);
		if (!leg->remote_tag && rsp->to_tag.len) {
			leg->remote_tag = sip_ua_dup_view(leg, rsp->to_tag);
			dialog_from_response(leg, m, false);
		}
		if (leg->state == SIP_LEG_S_CANCEL_WAIT) {
			send_cancel(leg);
			return;
		}
		{
			uint32_t rseq;

			/* RFC 3262 4: a reliable provisional is PRACKed once, in
			 * order; its retransmissions are not passed up again.
			 * Only in the early dialog the leg keeps (the first To
			 * tag): a PRACK of another fork's 18x would go in the
			 * wrong dialog */
			if (sip_msg_has_token(m, SIP_HDR_REQUIRE, "100rel") &&
			    sip_msg_rseq(m, &rseq) == 0 && leg->dlg &&
			    tstr_eq_cstr(rsp->to_tag, leg->remote_tag)) {
				char rack[64];
				struct sip_body ans = {0};
				const struct sip_body *a;

				if (!sip_dialog_rseq_rx(leg->dlg, rseq))
					return;
				snprintf(rack, sizeof(rack), "RAck: %u %u INVITE\r\n", rseq,
					 leg->invite_cseq);
				/* RFC 3262 5: an offer here is answered in the PRACK */
				a = uac_answer_for(leg, m, &ans);
				ans.headers = rack;
				sip_leg_start_request_body(
					leg, "PRACK", sip_dialog_next_cseq(leg->dlg),
					a ? a : &(struct sip_body){.headers = rack}, &prack_ops);
			}
		}
		if (leg->ops && leg->ops->progress && !sip_leg_ended(leg))
			leg->ops->progress(leg->u, leg, m);
		return;
	}
	if (st < 300) {
		if (!leg->invite_final && leg->trunk && leg->trunk->res)
			sip_trunk_res_status(leg->trunk, &leg->dest, st);
		if (leg->invite_final && leg->remote_tag && rsp->to_tag.len &&
		    !tstr_eq_cstr(rsp->to_tag, leg->remote_tag)) {
			uac_fork_2xx(leg, m, rsp->to_tag); /* another fork answered too */
			return;
		}
		if (leg->invite_final) {
			/* RFC 6026: a retransmitted 2xx gets the same ACK again */
			sip_leg_send_ack(leg);
			return;
		}
		leg->invite_final = true;
		if (!leg->remote_tag || !tstr_eq_cstr(rsp->to_tag, leg->remote_tag)) {
			talloc_free(leg->remote_tag);
			leg->remote_tag = sip_ua_dup_view(leg, rsp->to_tag);
			TALLOC_FREE(leg->dlg);
		}
		dialog_from_response(leg, m, true);
		uac_ack_2xx(leg, m);
		sip_leg_confirmed_trim(leg);
		sip_st_uac_answered(leg, m);
		if (sip_leg_ended(leg)) {
			/* 9.1: the 2xx crossed our CANCEL (or BYE): the call is up, end it */
			sip_leg_bye(leg, leg->cancel_reason);
			return;
		}
		sip_leg_state_chg(leg, SIP_LEG_S_CONFIRMED);
		if (leg->ops && leg->ops->answered)
			leg->ops->answered(leg->u, leg, m);
		return;
	}
	if (leg->trunk && leg->trunk->res &&
	    sip_trunk_res_status(leg->trunk, &leg->dest, st) == 0 && uac_target_retry(leg, t) == 0)
		return;
	if ((st == 401 || st == 407) && !sip_leg_ended(leg) && uac_auth_retry(leg, t, m, st) == 0)
		return;
	if (st == 422 && !sip_leg_ended(leg) && uac_422_retry(leg, t, m) == 0)
		return;
	tell = !sip_leg_ended(leg);
	leg->invite_final = true;
	sip_leg_state_chg(leg, SIP_LEG_S_TERMINATING);
	if (tell && leg->ops && leg->ops->failed)
		leg->ops->failed(leg->u, leg, st, m);
	sip_leg_maybe_free(leg);
}

static void uac_invite_fail(struct sip_leg *leg, unsigned status)
{
	bool tell = !sip_leg_ended(leg);

	if (leg->invite_final)
		return;
	leg->invite_final = true;
	sip_leg_state_chg(leg, SIP_LEG_S_TERMINATING);
	if (tell && leg->ops && leg->ops->failed)
		leg->ops->failed(leg->u, leg, status, NULL);
	sip_leg_maybe_free(leg);
}

static void uac_invite_timeout(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	if (leg->trunk && leg->trunk->res && !leg->invite_final &&
	    sip_trunk_res_status(leg->trunk, &leg->dest, 408) == 0 && uac_target_retry(leg, t) == 0)
		return;
	uac_invite_fail(tu, 408); /* Timer B */
}

static void uac_invite_terr(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	if (leg->trunk && leg->trunk->res && !leg->invite_final &&
	    sip_trunk_res_status(leg->trunk, &leg->dest, 503) == 0 && uac_target_retry(leg, t) == 0)
		return;
	uac_invite_fail(tu, 503); /* RFC 3261 8.1.3.1 */
}

static void uac_invite_gone(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	if (t != leg->invite_txn)
		return;
	leg->invite_txn = NULL;
	leg->invite_final = true;
	sip_leg_maybe_free(leg);
}

static const struct sip_txn_user_ops uac_invite_ops = {
	.response = uac_invite_response,
	.timeout = uac_invite_timeout,
	.transport_error = uac_invite_terr,
	.terminated = uac_invite_gone,
};

static int leg_send_invite(struct sip_leg *leg, const char *auth_hdr)
{
	struct sip_ua *ua = leg->ua;
	struct sip_msg m;
	struct sip_txn_info i;
	uint8_t buf[MSG_MAX];
	char hdrs[4096], host[INET6_ADDRSTRLEN], contact[128];
	struct sip_build_extra ex = {0};
	struct sip_req_spec s = {0};
	char *branch = sip_ua_token(ua, leg, "z9hG4bK");
	uint16_t port;
	int n;

	sip_ua_local_contact(ua, leg->dest.proto, contact, sizeof(contact), host, sizeof(host),
			     &port);
	snprintf(hdrs, sizeof(hdrs), "%s%s" ALLOW_HDR "%s%s%s%s", auth_hdr ? auth_hdr : "",
		 leg->hdrs ? leg->hdrs : "",
		 leg->trunk && leg->trunk->prack ? SUPPORTED_100REL_HDR : SUPPORTED_HDR,
		 ua->cfg.user_agent ? "User-Agent: " : "",
		 ua->cfg.user_agent ? ua->cfg.user_agent : "", ua->cfg.user_agent ? "\r\n" : "");
	if (leg->st_req.interval) {
		size_t hl = strlen(hdrs);

		/* RFC 4028 7.1: the interval we want and our Min-SE; the
		 * refresher is left to the UAS (9), either choice is enforced */
		snprintf(hdrs + hl, sizeof(hdrs) - hl, "Session-Expires: %u\r\nMin-SE: %u\r\n",
			 leg->st_req.interval, leg->st_req.min_se);
	}
	s.method = "INVITE";
	s.ruri = sip_ua_view(leg->ruri);
	s.from = sip_ua_view(leg->local_uri);
	s.from_tag = sip_ua_view(leg->local_tag);
	s.to = sip_ua_view(leg->remote_uri);
	s.call_id = sip_ua_view(leg->call_id);
	s.cseq = leg->invite_cseq;
	s.via_transport = sip_proto_name(leg->dest.proto);
	s.via_host = sip_ua_view(host);
	s.via_port = port;
	s.branch = sip_ua_view(branch);
	s.contact = sip_ua_view(contact);
	s.max_forwards = leg->max_forwards;
	ex.headers = hdrs;
	ex.content_type = leg->ct;
	ex.body = leg->body;
	ex.body_len = leg->ct ? leg->body_len : 0;
	n = sip_build_request((char *)buf, sizeof(buf), &s, &ex);
	if (n > 1300 && leg->dest.proto == SIP_PROTO_UDP &&
	    sip_transport_local_addr(ua->tr, SIP_PROTO_TCP, &(struct sockaddr_storage){0}) == 0) {
		/* RFC 3261 18.1.1: within 200 bytes of a 1500-byte MTU a request
		 * goes over a congestion-controlled transport (SIP-I bodies do) */
		leg->dest.proto = SIP_PROTO_TCP;
		sip_ua_local_contact(ua, leg->dest.proto, contact, sizeof(contact), host,
				     sizeof(host), &port);
		s.via_transport = sip_proto_name(leg->dest.proto);
		s.via_host = sip_ua_view(host);
		s.via_port = port;
		s.contact = sip_ua_view(contact);
		n = sip_build_request((char *)buf, sizeof(buf), &s, &ex);
	}
	talloc_free(branch);
	if (n < 0 || sip_msg_parse(&m, (const char *)buf, (size_t)n, NULL) < 0) {
		LOGP(DSIP, LOGL_ERROR, "cannot build the INVITE to %s\n", leg->ruri);
		return -EINVAL;
	}
	talloc_free(leg->invite);
	leg->invite = talloc_memdup(leg, buf, (size_t)n);
	leg->invite_len = (size_t)n;
	sip_ua_txn_info(&m, &i);
	leg->invite_txn =
		sip_txn_client_start(ua->tl, &i, buf, (size_t)n, &leg->dest, &uac_invite_ops, leg);
	return leg->invite_txn ? 0 : -EIO;
}

/* RFC 3263 4.3: no answer, a transport error or a 503 from one target of
 * the trunk (sip_trunk_res_status passed it over): the same request as a
 * new transaction to the next target, unless the far side said something
 * already or the owner gave up. */
static int uac_target_retry(struct sip_leg *leg, struct sip_txn *t)
{
	struct sip_txn_dest d;

	if (leg->state != SIP_LEG_S_CALLING || !leg->trunk || !leg->trunk->res ||
	    sip_ua_trunk_dest(leg->trunk, &d) < 0 ||
	    (d.addr_len == leg->dest.addr_len && !memcmp(&d.addr, &leg->dest.addr, d.addr_len)))
		return -ENOENT;
	sip_txn_detach_user(t);
	leg->invite_txn = NULL;
	leg->dest = d;
	return leg_send_invite(leg, NULL);
}

/* RFC 4028 7.4: a 422 names the smallest interval the far side takes: ask
 * again with at least that (twice at most; a third 422 fails the call). */
static int uac_422_retry(struct sip_leg *leg, struct sip_txn *t, const struct sip_msg *m)
{
	uint32_t min_se;

	if (!leg->st_req.interval || leg->st_422s >= 2 || sip_msg_min_se(m, &min_se) < 0 ||
	    (min_se <= leg->st_req.interval && min_se <= leg->st_req.min_se))
		return -EPROTO;
	sip_session_timer_after_422(&leg->st_req, min_se);
	LOGP(DSIP, LOGL_INFO, "%s: 422, Min-SE %u: INVITE again with Session-Expires %u\n",
	     leg->call_id, min_se, leg->st_req.interval);
	sip_txn_detach_user(t);
	leg->invite_txn = NULL;
	leg->st_422s++;
	leg->invite_cseq++;
	sip_leg_state_chg(leg, SIP_LEG_S_CALLING); /* a new INVITE transaction */
	return leg_send_invite(leg, NULL);
}

/* RFC 3261 22.2: answer a 401/407 once per challenge with credentials. */
static int uac_auth_retry(struct sip_leg *leg, struct sip_txn *t, const struct sip_msg *m,
			  unsigned st)
{
	const struct sip_hdr *h =
		sip_msg_hdr(m, st == 401 ? SIP_HDR_WWW_AUTHENTICATE : SIP_HDR_PROXY_AUTHENTICATE);
	struct sip_auth_challenge ch;
	struct sip_auth_request rq = {0};
	char cnonce[32], val[1024], hdr[1100];

	if (!h || !leg->trunk || !leg->trunk->auth_user || leg->auth_tries >= 2)
		return -EPERM;
	if (sip_auth_challenge_decode(&ch, h->value.p, h->value.len) < 0)
		return -EBADMSG;
	snprintf(cnonce, sizeof(cnonce), "%016llx", (unsigned long long)sip_ua_rnd_next(leg->ua));
	rq.user = leg->trunk->auth_user;
	rq.password = leg->trunk->auth_pass ? leg->trunk->auth_pass : "";
	rq.method = "INVITE";
	rq.uri = sip_ua_view(leg->ruri);
	rq.cnonce = cnonce;
	if (!leg->auth)
		leg->auth = talloc_zero(leg, struct sip_auth_client);
	if (!leg->auth)
		return -ENOMEM;
	if (sip_auth_response_encode(val, sizeof(val), leg->auth, &ch, &rq) < 0)
		return -EINVAL;
	snprintf(hdr, sizeof(hdr), "%s: %s\r\n",
		 st == 401 ? "Authorization" : "Proxy-Authorization", val);
	/* the challenged transaction ACKs its response by itself */
	sip_txn_detach_user(t);
	leg->invite_txn = NULL;
	leg->auth_tries++;
	leg->invite_cseq++;
	sip_leg_state_chg(leg, SIP_LEG_S_CALLING); /* a new INVITE transaction */
	return leg_send_invite(leg, hdr);
}

struct sip_leg *sip_leg_invite(struct sip_ua *ua, const struct sip_invite_spec *spec,
			       const struct sip_leg_ops *ops, void *u)
{
	struct sip_leg *leg;

	if (!spec->trunk)
		return NULL;
	leg = sip_leg_new(ua, true);
	if (!leg)
		return NULL;
	leg->ops = ops;
	leg->u = u;
	leg->trunk = spec->trunk;
	if (sip_ua_trunk_dest(spec->trunk, &leg->dest) < 0) {
		sip_leg_detach(leg); /* the owner never had it: no gone */
		leg->invite_final = true;
		sip_leg_state_chg(leg, SIP_LEG_S_TERMINATING);
		sip_leg_maybe_free(leg);
		return NULL;
	}
	leg->call_id =
		talloc_asprintf(leg, "%016llx@tandem", (unsigned long long)sip_ua_rnd_next(ua));
	leg->local_tag = sip_ua_token(ua, leg, "t");
	sip_leg_index(leg);
	leg->local_uri = talloc_strdup(leg, spec->from);
	leg->remote_uri = talloc_strdup(leg, spec->to);
	leg->ruri = talloc_strdup(leg, spec->ruri);
	leg->max_forwards = spec->max_forwards;
	leg->hdrs = spec->body.headers ? talloc_strdup(leg, spec->body.headers) : NULL;
	leg->offerless = !spec->body.content_type || !spec->body.len ||
			 (strncasecmp(spec->body.content_type, "application/sdp", 15) &&
			  !memmem(spec->body.body, spec->body.len, "application/sdp", 15));
	if (spec->body.content_type) {
		leg->ct = talloc_strdup(leg, spec->body.content_type);
		leg->body =
			talloc_memdup(leg, spec->body.body, spec->body.len ? spec->body.len : 1);
		leg->body_len = spec->body.len;
	}
	leg->invite_cseq = 1;
	if (spec->trunk->session_expires) {
		leg->st_req.interval = spec->trunk->session_expires;
		leg->st_req.min_se = SIP_MIN_SE_FLOOR;
	}
	sip_leg_state_chg(leg, SIP_LEG_S_CALLING);
	if (leg_send_invite(leg, NULL) < 0) {
		sip_leg_detach(leg);
		leg->invite_final = true;
		sip_leg_state_chg(leg, SIP_LEG_S_TERMINATING);
		sip_leg_maybe_free(leg);
		return NULL;
	}
	ua->st.legs_out++;
	return leg;
}

int sip_leg_cancel(struct sip_leg *leg, const char *reason_hdr)
{
	if (!leg->uac || leg->invite_final ||
	    (leg->state != SIP_LEG_S_CALLING && leg->state != SIP_LEG_S_PROCEEDING &&
	     leg->state != SIP_LEG_S_CANCEL_WAIT))
		return -EALREADY;
	if (reason_hdr)
		leg->cancel_reason = talloc_strdup(leg, reason_hdr);
	/* whatever comes now, the owner is not told; 9.1: no CANCEL before a
	 * provisional response */
	if (leg->state == SIP_LEG_S_PROCEEDING)
		send_cancel(leg);
	else
		sip_leg_state_chg(leg, SIP_LEG_S_CANCEL_WAIT);
	return 0;
}
