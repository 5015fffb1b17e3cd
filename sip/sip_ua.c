/* SIP UA core: message in -> parse -> UAS checks -> transactions -> legs. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/tdef.h>

#include "core/log.h"
#include "core/loop.h"
#include "sip/sip_auth.h"
#include "sip/sip_build.h"
#include "sip/sip_check.h"
#include "sip/sip_dialog.h"
#include "sip/sip_hdr.h"
#include "sip/sip_sec.h"
#include "sip/sip_resolve.h"
#include "sip/sip_trunk.h"
#include "sip/sip_txn.h"
#include "sip/sip_ua.h"
#include "sip/sip_ua_int.h"

#define MSG_MAX		     16384
#define ALLOW_HDR	     "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO\r\n"
#define SUPPORTED_HDR	     "Supported: timer\r\n"
#define SUPPORTED_100REL_HDR "Supported: 100rel, timer\r\n"

struct sip_leg {
	struct llist_head list;
	struct sip_ua *ua;
	const struct sip_leg_ops *ops;
	void *u;
	bool uac;
	struct sip_trunk *trunk;
	struct sip_txn_dest dest; /* where our requests go */
	char *call_id, *local_tag, *remote_tag, *local_uri, *remote_uri;
	struct sip_dialog *dlg;
	/* the INVITE (ours as UAC, theirs as UAS), for CANCEL and responses */
	uint8_t *invite;
	size_t invite_len;
	uint32_t invite_cseq;
	struct sip_txn *invite_txn, *bye_txn, *cancel_txn;
	bool got_provisional, cancel_pending, answered, failed, done, gone_told;
	bool owner_ended;  /* the owner ended the leg: no more events but 'gone' */
	bool invite_final; /* UAC: the INVITE got its final response (or timed out) */
	/* UAC: what the INVITE is made of, to send it again with credentials */
	char *ruri, *ct, *body, *hdrs;
	size_t body_len;
	unsigned max_forwards; /* 0: the default 70 */
	unsigned auth_tries;
	struct sip_auth_client *auth; /* allocated at the first challenge */
	char *cancel_reason;
	/* UAC: the ACK for the 2xx, sent again for each retransmitted 2xx */
	uint8_t *ack;
	size_t ack_len;
	/* UAS: our 2xx, retransmitted until the ACK (13.3.1.4) */
	uint8_t *ok;
	size_t ok_len;
	struct osmo_timer_list ok_timer;
	unsigned ok_interval_ms, ok_elapsed_ms;
	bool acked;
	/* RFC 4028 session timer of the established dialog */
	struct sip_session_timer st;
	/* UAC: what our INVITE asks (7.1; the trunk's session-timer, raised
	 * by a 422's Min-SE), and how many 422s came */
	struct sip_session_timer st_req;
	unsigned st_422s;
	bool we_refresh;
	bool offer_pending; /* our UPDATE/re-INVITE is out: theirs meets 491 (RFC 3261 14.2,
			       3311 5.2) */
	struct osmo_timer_list st_timer;
	/* UAS: our reliable provisional, retransmitted until PRACKed (RFC 3262 3) */
	uint8_t *rel;
	size_t rel_len;
	struct osmo_timer_list rel_timer;
	unsigned rel_interval_ms, rel_elapsed_ms;
};

static const struct sip_txn_user_ops uac_invite_ops, bye_ops, cancel_ops, uas_invite_ops;

static void st_arm(struct sip_leg *leg);

/* PRACK client transactions run on their own; the leg does not wait. */
static const struct sip_txn_user_ops prack_ops = {0};
static int uac_auth_retry(struct sip_leg *leg, struct sip_txn *t, const struct sip_msg *m,
			  unsigned st);
static int uac_422_retry(struct sip_leg *leg, struct sip_txn *t, const struct sip_msg *m);
static int uac_target_retry(struct sip_leg *leg, struct sip_txn *t);

/* --- helpers --- */

uint64_t rnd_next(struct sip_ua *ua)
{
	/* xorshift64*: identifiers need uniqueness, not secrecy */
	ua->rnd ^= ua->rnd >> 12;
	ua->rnd ^= ua->rnd << 25;
	ua->rnd ^= ua->rnd >> 27;
	return ua->rnd * 0x2545F4914F6CDD1Dull;
}

static char *rnd_token(struct sip_ua *ua, void *ctx, const char *prefix)
{
	return talloc_asprintf(ctx, "%s%016llx", prefix, (unsigned long long)rnd_next(ua));
}

static char *dup_view(void *ctx, struct tstr s)
{
	return talloc_strndup(ctx, s.p ? s.p : "", s.len);
}

struct tstr view(const char *s)
{
	return s ? tstr_make(s, strlen(s)) : TSTR_NULL;
}

static int ua_send(struct sip_ua *ua, const struct sip_txn_dest *d, const void *buf, size_t len)
{
	struct sip_tls_cfg tc;
	const struct sip_tls_cfg *tls = sip_ua_dest_tls(d, &tc);

	return sip_transport_send(ua->tr, d->proto, (const struct sockaddr *)&d->addr, d->addr_len,
				  d->conn, tls, buf, len);
}

/* Our address as the peer should see it, for Via and Contact. */
void local_hostport(struct sip_ua *ua, enum sip_proto proto, char *host, size_t hlen,
		    uint16_t *port)
{
	struct sockaddr_storage ss;

	if (sip_transport_local_addr(ua->tr, proto, &ss) < 0 &&
	    sip_transport_local_addr(ua->tr, SIP_PROTO_TCP, &ss) < 0 &&
	    sip_transport_local_addr(ua->tr, SIP_PROTO_UDP, &ss) < 0) {
		snprintf(host, hlen, "127.0.0.1");
		*port = 5060;
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, (socklen_t)hlen);
		*port = ntohs(a->sin6_port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, (socklen_t)hlen);
		*port = ntohs(a->sin_port);
	}
}

/* Our Contact URI for proto; host and port (for Via) are returned too. */
void local_contact(struct sip_ua *ua, enum sip_proto proto, char *contact, size_t clen, char *host,
		   size_t hlen, uint16_t *port)
{
	bool v6;

	local_hostport(ua, proto, host, hlen, port);
	v6 = strchr(host, ':') != NULL;
	snprintf(contact, clen, "sip:tandem@%s%s%s:%u%s", v6 ? "[" : "", host, v6 ? "]" : "", *port,
		 proto == SIP_PROTO_TCP	  ? ";transport=tcp"
		 : proto == SIP_PROTO_TLS ? ";transport=tls"
					  : "");
}

void txn_info(const struct sip_msg *m, struct sip_txn_info *i)
{
	struct sip_via v;
	struct sip_nameaddr na;
	struct sip_cseq cs;

	memset(i, 0, sizeof(*i));
	i->request = m->is_request;
	i->status = (int)m->status;
	i->msg = m;
	if (sip_msg_via(m, 0, &v) == 0) {
		i->branch = v.branch;
		i->via_host = v.host;
		i->via_port = v.port ? v.port : 5060;
	}
	if (sip_msg_cseq(m, &cs) == 0) {
		i->cseq = cs.num;
		i->method = m->is_request ? m->method : cs.method;
	}
	i->ruri = m->ruri;
	sip_msg_call_id(m, &i->call_id);
	if (sip_msg_from(m, &na) == 0)
		i->from_tag = na.tag;
	if (sip_msg_to(m, &na) == 0)
		i->to_tag = na.tag;
}

static struct sip_trunk *trunk_by_source(const struct sip_txn_dest *src)
{
	/* remote address and port, remote address, then the allow entries */
	return sip_sec_trunk_match((const struct sockaddr *)&src->addr, (int)src->proto);
}

int trunk_dest(const struct sip_trunk *t, struct sip_txn_dest *d)
{
	if (t->res) /* RFC 3263: one of its resolved targets (sip_resolve.c) */
		return sip_trunk_res_dest((struct sip_trunk *)t, d);
	memset(d, 0, sizeof(*d));
	d->proto = t->proto;
	if (!t->host)
		return -EINVAL;
	if (strchr(t->host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&d->addr;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(t->port);
		if (inet_pton(AF_INET6, t->host, &a->sin6_addr) != 1)
			return -EINVAL;
		d->addr_len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&d->addr;

		a->sin_family = AF_INET;
		a->sin_port = htons(t->port);
		if (inet_pton(AF_INET, t->host, &a->sin_addr) != 1)
			return -EINVAL;
		d->addr_len = sizeof(*a);
	}
	return 0;
}

static struct sip_leg *leg_by_dialog(struct sip_ua *ua, struct tstr call_id, struct tstr local_tag,
				     struct tstr remote_tag)
{
	struct sip_leg *leg;

	llist_for_each_entry(leg, &ua->legs, list)
	{
		if (!tstr_eq_cstr(call_id, leg->call_id) ||
		    !tstr_eq_cstr(local_tag, leg->local_tag))
			continue;
		/* an early UAC leg may not know the remote tag yet */
		if (!leg->remote_tag || tstr_eq_cstr(remote_tag, leg->remote_tag))
			return leg;
	}
	return NULL;
}

/* A request in a dialog: the To tag is ours, the From tag theirs. */
static struct sip_leg *leg_for_request(struct sip_ua *ua, const struct sip_txn_info *i)
{
	return leg_by_dialog(ua, i->call_id, i->to_tag, i->from_tag);
}

/* The leg goes once it is done and nothing it waits for is pending: a UAC
 * INVITE still without final response (a CANCEL may cross a 2xx that must
 * be ACKed and BYEd), a BYE or CANCEL without final response. Transactions
 * that live on to absorb retransmissions are detached from it. */
static void leg_maybe_free(struct sip_leg *leg)
{
	if (!leg->done || (leg->uac && !leg->invite_final) || leg->bye_txn || leg->cancel_txn)
		return;
	if (leg->invite_txn) {
		sip_txn_detach_user(leg->invite_txn);
		leg->invite_txn = NULL;
	}
	if (!leg->gone_told && leg->ops && leg->ops->gone) {
		leg->gone_told = true;
		leg->ops->gone(leg->u, leg);
	}
	osmo_timer_del(&leg->ok_timer);
	osmo_timer_del(&leg->rel_timer);
	osmo_timer_del(&leg->st_timer);
	llist_del(&leg->list);
	leg->ua->st.legs_active--;
	talloc_free(leg);
}

static struct sip_leg *leg_new(struct sip_ua *ua, bool uac)
{
	struct sip_leg *leg = talloc_zero(ua, struct sip_leg);

	if (!leg)
		return NULL;
	leg->ua = ua;
	leg->uac = uac;
	llist_add_tail(&leg->list, &ua->legs);
	ua->st.legs_active++;
	return leg;
}

/* Build a request in the leg's dialog (RFC 3261 12.2.1.1). */
static int leg_build_request(struct sip_leg *leg, const char *method, uint32_t cseq,
			     const char *branch, const struct sip_body *b, uint8_t *out,
			     size_t size)
{
	struct sip_ua *ua = leg->ua;
	struct tstr routes[SIP_DIALOG_MAX_ROUTES];
	struct sip_req_spec s = {0};
	struct sip_build_extra ex = {0};
	char host[INET6_ADDRSTRLEN], contact[128];
	uint16_t port;

	local_contact(ua, leg->dest.proto, contact, sizeof(contact), host, sizeof(host), &port);
	s.method = method;
	s.ruri = view(leg->dlg && leg->dlg->remote_target[0] ? leg->dlg->remote_target
							     : leg->remote_uri);
	s.from = view(leg->local_uri);
	s.from_tag = view(leg->local_tag);
	s.to = view(leg->remote_uri);
	s.to_tag = view(leg->remote_tag);
	s.call_id = view(leg->call_id);
	s.cseq = cseq;
	s.via_transport = sip_proto_name(leg->dest.proto);
	s.via_host = view(host);
	s.via_port = port;
	s.branch = view(branch);
	if (leg->dlg) {
		for (unsigned i = 0; i < leg->dlg->n_routes; i++)
			routes[i] = view(leg->dlg->routes[i]);
		s.routes = routes;
		s.n_routes = leg->dlg->n_routes;
	}
	s.contact = view(contact);
	if (b) {
		ex.headers = b->headers;
		if (b->content_type && b->len) {
			ex.content_type = b->content_type;
			ex.body = b->body;
			ex.body_len = b->len;
		}
	}
	return sip_build_request((char *)out, size, &s, &ex);
}

/* An in-dialog request (or one built like it) with extra headers and an
 * optional body. */
static struct sip_txn *leg_start_request_body(struct sip_leg *leg, const char *method,
					      uint32_t cseq, const struct sip_body *b,
					      const struct sip_txn_user_ops *uops)
{
	uint8_t buf[MSG_MAX];
	char *branch = rnd_token(leg->ua, leg, "z9hG4bK");
	struct sip_msg m;
	struct sip_txn_info i;
	int n = leg_build_request(leg, method, cseq, branch, b, buf, sizeof(buf));

	talloc_free(branch);
	if (n < 0 || sip_msg_parse(&m, (const char *)buf, (size_t)n, NULL) < 0)
		return NULL;
	txn_info(&m, &i);
	return sip_txn_client_start(leg->ua->tl, &i, buf, (size_t)n, &leg->dest, uops, leg);
}

static struct sip_txn *leg_start_request(struct sip_leg *leg, const char *method, uint32_t cseq,
					 const char *extra_hdrs,
					 const struct sip_txn_user_ops *uops)
{
	struct sip_body b = {.headers = extra_hdrs};

	return leg_start_request_body(leg, method, cseq, &b, uops);
}

/* --- UAC INVITE --- */

static void send_cancel(struct sip_leg *leg)
{
	uint8_t buf[MSG_MAX];
	struct sip_msg inv, m;
	struct sip_txn_info i;
	int n;

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
	txn_info(&m, &i);
	leg->cancel_txn =
		sip_txn_client_start(leg->ua->tl, &i, buf, (size_t)n, &leg->dest, &cancel_ops, leg);
	leg->cancel_pending = false;
}

/* The INVITE got its 2xx and the ACK: what only the INVITE transaction
 * needed (the INVITE copied for CANCEL, responses and a challenge's retry;
 * our 2xx, retransmitted until the ACK) goes; it was the larger part of an
 * established leg (issue 13 item 6). */
static void leg_confirmed_trim(struct sip_leg *leg)
{
	TALLOC_FREE(leg->invite);
	leg->invite_len = 0;
	TALLOC_FREE(leg->ruri);
	TALLOC_FREE(leg->hdrs);
	TALLOC_FREE(leg->ct);
	TALLOC_FREE(leg->body);
	leg->body_len = 0;
	TALLOC_FREE(leg->ok); /* UAS: acknowledged, not sent again */
	leg->ok_len = 0;
}

static void uac_ack_2xx(struct sip_leg *leg, const struct sip_msg *rsp)
{
	uint8_t buf[MSG_MAX];
	char *branch;
	int n;

	(void)rsp;
	branch = rnd_token(leg->ua, leg, "z9hG4bK");
	/* 13.2.2.4: the ACK has the INVITE's CSeq number, a new branch */
	n = leg_build_request(leg, "ACK", leg->invite_cseq, branch, NULL, buf, sizeof(buf));
	talloc_free(branch);
	if (n < 0)
		return;
	talloc_free(leg->ack);
	leg->ack = talloc_memdup(leg, buf, (size_t)n);
	leg->ack_len = (size_t)n;
	ua_send(leg->ua, &leg->dest, buf, (size_t)n);
}

static void dialog_from_response(struct sip_leg *leg, const struct sip_msg *rsp, bool confirmed)
{
	struct sip_dialog_init in = {0};
	struct sip_nameaddr na;
	struct sip_contact ct;

	if (leg->dlg) {
		if (confirmed)
			sip_dialog_confirm(leg->dlg);
		return;
	}
	in.call_id = view(leg->call_id);
	in.local_tag = view(leg->local_tag);
	in.remote_tag = view(leg->remote_tag);
	in.local_uri = view(leg->local_uri);
	in.remote_uri = view(leg->remote_uri);
	if (sip_msg_contact(rsp, 0, &ct) == 0)
		in.remote_target = ct.na.uri;
	else
		in.remote_target = view(leg->remote_uri);
	for (unsigned i = 0; i < SIP_DIALOG_MAX_ROUTES && sip_msg_record_route(rsp, i, &na) == 0;
	     i++) {
		in.routes[i] = na.uri;
		in.n_routes = i + 1;
	}
	in.cseq = leg->invite_cseq;
	leg->dlg = sip_dialog_uac(leg, &in, confirmed);
}

static void uac_invite_response(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp,
				const uint8_t *raw, size_t len)
{
	struct sip_leg *leg = tu;
	const struct sip_msg *m = rsp->msg;
	unsigned st = (unsigned)rsp->status;

	(void)raw;
	(void)len;
	if (st < 200) {
		if (st == 100)
			return;
		leg->got_provisional = true;
		if (!leg->remote_tag && rsp->to_tag.len) {
			leg->remote_tag = dup_view(leg, rsp->to_tag);
			dialog_from_response(leg, m, false);
		}
		if (leg->cancel_pending) {
			send_cancel(leg);
			return;
		}
		{
			uint32_t rseq;

			/* RFC 3262 4: a reliable provisional is PRACKed once, in
			 * order; its retransmissions are not passed up again */
			if (sip_msg_has_token(m, SIP_HDR_REQUIRE, "100rel") &&
			    sip_msg_rseq(m, &rseq) == 0 && leg->dlg) {
				char rack[64];

				if (!sip_dialog_rseq_rx(leg->dlg, rseq))
					return;
				snprintf(rack, sizeof(rack), "RAck: %u %u INVITE\r\n", rseq,
					 leg->invite_cseq);
				leg_start_request(leg, "PRACK", sip_dialog_next_cseq(leg->dlg),
						  rack, &prack_ops);
			}
		}
		if (leg->ops && leg->ops->progress && !leg->done)
			leg->ops->progress(leg->u, leg, m);
		return;
	}
	if (st < 300) {
		if (!leg->answered && leg->trunk && leg->trunk->res)
			sip_trunk_res_status(leg->trunk, &leg->dest, st);
		if (leg->answered) {
			/* RFC 6026: a retransmitted 2xx gets the same ACK again */
			if (leg->ack)
				ua_send(leg->ua, &leg->dest, leg->ack, leg->ack_len);
			return;
		}
		leg->answered = true;
		leg->invite_final = true;
		if (!leg->remote_tag || !tstr_eq_cstr(rsp->to_tag, leg->remote_tag)) {
			talloc_free(leg->remote_tag);
			leg->remote_tag = dup_view(leg, rsp->to_tag);
			TALLOC_FREE(leg->dlg);
		}
		dialog_from_response(leg, m, true);
		uac_ack_2xx(leg, m);
		leg_confirmed_trim(leg);
		{
			struct sip_session_expires se;

			/* RFC 4028 7.2: the 2xx says who refreshes; without it, no timer */
			if (sip_msg_session_expires(m, &se) == 0) {
				leg->st.interval = se.delta;
				leg->we_refresh = !tstr_eq_cstr(se.refresher, "uas");
				st_arm(leg);
			}
		}
		if (leg->cancel_pending || leg->cancel_txn || leg->done) {
			/* 9.1: the 2xx crossed our CANCEL: the call is up, end it */
			leg->cancel_pending = false;
			sip_leg_bye(leg, leg->cancel_reason);
			return;
		}
		if (leg->ops && leg->ops->answered)
			leg->ops->answered(leg->u, leg, m);
		return;
	}
	if (leg->trunk && leg->trunk->res &&
	    sip_trunk_res_status(leg->trunk, &leg->dest, st) == 0 && uac_target_retry(leg, t) == 0)
		return;
	if ((st == 401 || st == 407) && !leg->owner_ended && uac_auth_retry(leg, t, m, st) == 0)
		return;
	if (st == 422 && !leg->owner_ended && uac_422_retry(leg, t, m) == 0)
		return;
	leg->failed = true;
	leg->done = true;
	leg->invite_final = true;
	if (leg->ops && leg->ops->failed && !leg->owner_ended)
		leg->ops->failed(leg->u, leg, st, m);
	leg_maybe_free(leg);
}

static void uac_invite_fail(struct sip_leg *leg, unsigned status)
{
	if (leg->answered || leg->failed)
		return;
	leg->failed = true;
	leg->done = true;
	leg->invite_final = true;
	if (leg->ops && leg->ops->failed && !leg->owner_ended)
		leg->ops->failed(leg->u, leg, status, NULL);
	leg_maybe_free(leg);
}

static void uac_invite_timeout(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	if (leg->trunk && leg->trunk->res && !leg->answered && !leg->failed &&
	    sip_trunk_res_status(leg->trunk, &leg->dest, 408) == 0 && uac_target_retry(leg, t) == 0)
		return;
	uac_invite_fail(tu, 408); /* Timer B */
}

static void uac_invite_terr(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	if (leg->trunk && leg->trunk->res && !leg->answered && !leg->failed &&
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
	leg_maybe_free(leg);
}

static const struct sip_txn_user_ops uac_invite_ops = {
	.response = uac_invite_response,
	.timeout = uac_invite_timeout,
	.transport_error = uac_invite_terr,
	.terminated = uac_invite_gone,
};

/* --- BYE and CANCEL client transactions --- */

static void bye_done(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	(void)t;
	leg->bye_txn = NULL;
	leg->done = true;
	leg_maybe_free(leg);
}

/* A final response (or the timeout) to our BYE/CANCEL is all the leg
 * waits for; the transaction stays to absorb retransmissions, detached. */
static void aux_finished(struct sip_leg *leg, struct sip_txn *t)
{
	sip_txn_detach_user(t);
	if (leg->bye_txn == t)
		leg->bye_txn = NULL;
	if (leg->cancel_txn == t)
		leg->cancel_txn = NULL;
	leg_maybe_free(leg);
}

static void bye_response(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp,
			 const uint8_t *raw, size_t len)
{
	(void)raw;
	(void)len;
	if (rsp->status >= 200)
		aux_finished(tu, t);
}

static void bye_timeout(void *tu, struct sip_txn *t)
{
	aux_finished(tu, t);
}

static const struct sip_txn_user_ops bye_ops = {
	.response = bye_response,
	.timeout = bye_timeout,
	.transport_error = bye_timeout,
	.terminated = bye_done,
};

static void cancel_done(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	(void)t;
	leg->cancel_txn = NULL;
	leg_maybe_free(leg);
}

static const struct sip_txn_user_ops cancel_ops = {
	.response = bye_response,
	.timeout = bye_timeout,
	.transport_error = bye_timeout,
	.terminated = cancel_done,
};

/* Build and send the leg's INVITE (again, with credentials, after a 401/407). */
static int leg_send_invite(struct sip_leg *leg, const char *auth_hdr)
{
	struct sip_ua *ua = leg->ua;
	struct sip_msg m;
	struct sip_txn_info i;
	uint8_t buf[MSG_MAX];
	char hdrs[4096], host[INET6_ADDRSTRLEN], contact[128];
	struct sip_build_extra ex = {0};
	struct sip_req_spec s = {0};
	char *branch = rnd_token(ua, leg, "z9hG4bK");
	uint16_t port;
	int n;

	local_contact(ua, leg->dest.proto, contact, sizeof(contact), host, sizeof(host), &port);
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
	s.ruri = view(leg->ruri);
	s.from = view(leg->local_uri);
	s.from_tag = view(leg->local_tag);
	s.to = view(leg->remote_uri);
	s.call_id = view(leg->call_id);
	s.cseq = leg->invite_cseq;
	s.via_transport = sip_proto_name(leg->dest.proto);
	s.via_host = view(host);
	s.via_port = port;
	s.branch = view(branch);
	s.contact = view(contact);
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
		local_contact(ua, leg->dest.proto, contact, sizeof(contact), host, sizeof(host),
			      &port);
		s.via_transport = sip_proto_name(leg->dest.proto);
		s.via_host = view(host);
		s.via_port = port;
		s.contact = view(contact);
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
	txn_info(&m, &i);
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

	if (leg->owner_ended || leg->got_provisional || !leg->trunk || !leg->trunk->res ||
	    trunk_dest(leg->trunk, &d) < 0 ||
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
	leg->got_provisional = false;
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
	snprintf(cnonce, sizeof(cnonce), "%016llx", (unsigned long long)rnd_next(leg->ua));
	rq.user = leg->trunk->auth_user;
	rq.password = leg->trunk->auth_pass ? leg->trunk->auth_pass : "";
	rq.method = "INVITE";
	rq.uri = view(leg->ruri);
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
	leg->got_provisional = false;
	return leg_send_invite(leg, hdr);
}

struct sip_leg *sip_leg_invite(struct sip_ua *ua, const struct sip_invite_spec *spec,
			       const struct sip_leg_ops *ops, void *u)
{
	struct sip_leg *leg;

	if (!spec->trunk)
		return NULL;
	leg = leg_new(ua, true);
	if (!leg)
		return NULL;
	leg->ops = ops;
	leg->u = u;
	leg->trunk = spec->trunk;
	if (trunk_dest(spec->trunk, &leg->dest) < 0) {
		leg->done = true;
		leg->invite_final = true;
		leg_maybe_free(leg);
		return NULL;
	}
	leg->call_id = talloc_asprintf(leg, "%016llx@tandem", (unsigned long long)rnd_next(ua));
	leg->local_tag = rnd_token(ua, leg, "t");
	leg->local_uri = talloc_strdup(leg, spec->from);
	leg->remote_uri = talloc_strdup(leg, spec->to);
	leg->ruri = talloc_strdup(leg, spec->ruri);
	leg->max_forwards = spec->max_forwards;
	leg->hdrs = spec->body.headers ? talloc_strdup(leg, spec->body.headers) : NULL;
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
	if (leg_send_invite(leg, NULL) < 0) {
		leg->done = true;
		leg->invite_final = true;
		leg_maybe_free(leg);
		return NULL;
	}
	ua->st.legs_out++;
	return leg;
}

int sip_leg_cancel(struct sip_leg *leg, const char *reason_hdr)
{
	if (!leg->uac || leg->answered || leg->failed || leg->cancel_txn)
		return -EALREADY;
	if (reason_hdr)
		leg->cancel_reason = talloc_strdup(leg, reason_hdr);
	leg->done = true; /* whatever comes now, the owner is not told */
	leg->owner_ended = true;
	/* 9.1: no CANCEL before a provisional response */
	if (leg->got_provisional)
		send_cancel(leg);
	else
		leg->cancel_pending = true;
	return 0;
}

int sip_leg_bye(struct sip_leg *leg, const char *reason_hdr)
{
	struct sip_body b = {.headers = reason_hdr};

	return sip_leg_bye_body(leg, &b);
}

int sip_leg_bye_body(struct sip_leg *leg, const struct sip_body *body)
{
	if (!leg->dlg || leg->bye_txn || (!leg->uac && !leg->answered))
		return -ENOTCONN;
	leg->bye_txn =
		leg_start_request_body(leg, "BYE", sip_dialog_next_cseq(leg->dlg), body, &bye_ops);
	osmo_timer_del(&leg->ok_timer);
	leg->done = true;
	leg->owner_ended = true; /* we ended it: the owner knows */
	return leg->bye_txn ? 0 : -EIO;
}

static const struct sip_txn_user_ops info_ops = {0};

int sip_leg_info(struct sip_leg *leg, const struct sip_body *body)
{
	if (!leg->dlg || leg->done || (!leg->uac && !leg->answered))
		return -ENOTCONN;
	return leg_start_request_body(leg, "INFO", sip_dialog_next_cseq(leg->dlg), body, &info_ops)
		       ? 0
		       : -EIO;
}

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

	if (leg->acked || !leg->ok)
		return;
	leg->ok_elapsed_ms += leg->ok_interval_ms;
	if (leg->ok_elapsed_ms >= 64 * t1) {
		/* 13.3.1.4: no ACK: confirm the dialog and end the session */
		LOGP(DSIP, LOGL_NOTICE, "%s: no ACK for our 2xx, sending BYE\n", leg->call_id);
		if (leg->ops && leg->ops->bye && !leg->owner_ended)
			leg->ops->bye(leg->u, leg, NULL);
		sip_leg_bye(leg, "Reason: SIP;cause=408;text=\"no ACK\"\r\n");
		return;
	}
	ua_send(leg->ua, &leg->dest, leg->ok, leg->ok_len);
	leg->ok_interval_ms = leg->ok_interval_ms * 2 < t2 ? leg->ok_interval_ms * 2 : t2;
	osmo_timer_schedule(&leg->ok_timer, leg->ok_interval_ms / 1000,
			    (leg->ok_interval_ms % 1000) * 1000);
}

static void uas_invite_gone(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	(void)t;
	leg->invite_txn = NULL;
	leg_maybe_free(leg);
}

static void uas_invite_timeout(void *tu, struct sip_txn *t)
{
	(void)tu;
	(void)t; /* Timer H: the non-2xx was never ACKed; the leg ends anyway */
}

static const struct sip_txn_user_ops uas_invite_ops = {
	.timeout = uas_invite_timeout,
	.transport_error = uas_invite_timeout,
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

/* An early dialog for a UAS leg at its first reliable provisional. */
static void uas_early_dialog(struct sip_leg *leg, const struct sip_msg *inv)
{
	struct sip_dialog_init in = {0};
	struct sip_contact ct;

	if (leg->dlg)
		return;
	in.call_id = view(leg->call_id);
	in.local_tag = view(leg->local_tag);
	in.remote_tag = view(leg->remote_tag);
	in.local_uri = view(leg->local_uri);
	in.remote_uri = view(leg->remote_uri);
	in.remote_target = sip_msg_contact(inv, 0, &ct) == 0 ? ct.na.uri : view(leg->remote_uri);
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
		if (leg->ops && leg->ops->failed && !leg->owner_ended)
			leg->ops->failed(leg->u, leg, 504, NULL);
		sip_leg_respond(leg, 504, NULL);
		return;
	}
	ua_send(leg->ua, &leg->dest, leg->rel, leg->rel_len);
	leg->rel_interval_ms *= 2;
	osmo_timer_schedule(&leg->rel_timer, leg->rel_interval_ms / 1000,
			    (leg->rel_interval_ms % 1000) * 1000);
}

/* --- RFC 4028 session timers --- */

static void st_fire(void *priv);

static void st_arm(struct sip_leg *leg)
{
	uint32_t secs;

	if (!leg->st.interval)
		return;
	/* 10: the refresher refreshes at half the interval; the other side
	 * ends the session shortly before the interval is over */
	secs = leg->we_refresh ? sip_session_refresh_at(&leg->st) : sip_session_expire_at(&leg->st);
	osmo_timer_setup(&leg->st_timer, st_fire, leg);
	osmo_timer_schedule(&leg->st_timer, secs, 0);
}

static const struct sip_txn_user_ops refresh_ops;

/* RFC 4028 10: the session is over: the owner hears it (expired, else as a
 * BYE), the far end gets a BYE. */
static void st_expired(struct sip_leg *leg)
{
	osmo_timer_del(&leg->st_timer);
	if (leg->ops && !leg->owner_ended) {
		if (leg->ops->expired)
			leg->ops->expired(leg->u, leg);
		else if (leg->ops->bye)
			leg->ops->bye(leg->u, leg, NULL);
	}
	sip_leg_bye(leg, "Reason: SIP;cause=408;text=\"session timer expired\"\r\n");
}

static void st_fire(void *priv)
{
	struct sip_leg *leg = priv;

	if (leg->done || !leg->dlg)
		return;
	if (leg->we_refresh) {
		char hdr[96];

		/* refresh with an UPDATE without a body (RFC 4028 7.4, RFC 3311) */
		snprintf(hdr, sizeof(hdr), "Session-Expires: %u;refresher=%s\r\n", leg->st.interval,
			 leg->uac ? "uac" : "uas");
		if (leg_start_request(leg, "UPDATE", sip_dialog_next_cseq(leg->dlg), hdr,
				      &refresh_ops))
			leg->offer_pending = true;
		st_arm(leg);
		return;
	}
	LOGP(DSIP, LOGL_NOTICE, "%s: session timer expired (%u s without a refresh), BYE\n",
	     leg->call_id, leg->st.interval);
	st_expired(leg);
}

static void refresh_rsp(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp,
			const uint8_t *raw, size_t len)
{
	struct sip_leg *leg = tu;

	(void)raw;
	(void)len;
	if (rsp->status >= 300 && rsp->status != 491)
		LOGP(DSIP, LOGL_NOTICE, "%s: session refresh answered %d\n", leg->call_id,
		     rsp->status);
	if (rsp->status >= 200) {
		leg->offer_pending = false;
		sip_txn_detach_user(t);
	}
	/* RFC 4028 10: a refresh answered 408 or 481 ends the session */
	if ((rsp->status == 408 || rsp->status == 481) && !leg->done)
		st_expired(leg);
}

static void refresh_fail(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	leg->offer_pending = false;
	sip_txn_detach_user(t);
	/* RFC 4028 10: so does a refresh that timed out (no answer at all) */
	if (!leg->done) {
		LOGP(DSIP, LOGL_NOTICE, "%s: session refresh unanswered, BYE\n", leg->call_id);
		st_expired(leg);
	}
}

static const struct sip_txn_user_ops refresh_ops = {
	.response = refresh_rsp, .timeout = refresh_fail, .transport_error = refresh_fail};

/* A refresh (re-INVITE or UPDATE) arrived: the session lives on. */
static void st_refreshed(struct sip_leg *leg)
{
	if (leg->st.interval && !leg->we_refresh) {
		osmo_timer_del(&leg->st_timer);
		st_arm(leg);
	}
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

	if (leg->uac || !leg->invite_txn || leg->ok || leg->answered)
		return -EALREADY;
	if (sip_msg_parse(&inv, (const char *)leg->invite, leg->invite_len, NULL) < 0)
		return -EINVAL;
	local_contact(ua, leg->dest.proto, contact, sizeof(contact), host, sizeof(host), &port);
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
	if (status >= 200 && status < 300) {
		struct sip_session_expires se;
		struct sip_session_timer req = {0}, local = {0};
		uint32_t min_se;
		bool sup = sip_msg_has_token(&inv, SIP_HDR_SUPPORTED, "timer") ||
			   sip_msg_has_token(&inv, SIP_HDR_REQUIRE, "timer");

		if (sip_msg_session_expires(&inv, &se) == 0) {
			req.interval = se.delta;
			req.refresher = tstr_eq_cstr(se.refresher, "uac")   ? SIP_REFRESHER_UAC
					: tstr_eq_cstr(se.refresher, "uas") ? SIP_REFRESHER_UAS
									    : SIP_REFRESHER_NONE;
		}
		if (sip_msg_min_se(&inv, &min_se) == 0)
			req.min_se = min_se;
		local.interval = leg->trunk ? leg->trunk->session_expires : 0;
		local.min_se = SIP_MIN_SE_FLOOR;
		if ((req.interval || local.interval) &&
		    sip_session_timer_uas(&req, sup, &local, &leg->st) == 0 && leg->st.interval) {
			size_t hl = strlen(hdrs);

			/* RFC 4028 9: the 2xx carries the outcome; Require: timer
			 * when the UAC is to refresh */
			snprintf(hdrs + hl, sizeof(hdrs) - hl,
				 "Session-Expires: %u;refresher=%s\r\n%s", leg->st.interval,
				 leg->st.refresher == SIP_REFRESHER_UAC ? "uac" : "uas",
				 leg->st.refresher == SIP_REFRESHER_UAC ? "Require: timer\r\n"
									: "");
			ex.headers = hdrs;
			leg->we_refresh = leg->st.refresher == SIP_REFRESHER_UAS;
			n = sip_build_response((char *)buf, sizeof(buf), &inv, status, NULL,
					       leg->local_tag, &ex);
			if (n < 0)
				return n;
			st_arm(leg);
		}
	}
	if (status >= 200 && status < 300) {
		struct sip_dialog_init in = {0};
		struct sip_nameaddr na;
		struct sip_contact ct;

		in.call_id = view(leg->call_id);
		in.local_tag = view(leg->local_tag);
		in.remote_tag = view(leg->remote_tag);
		in.local_uri = view(leg->local_uri);
		in.remote_uri = view(leg->remote_uri);
		in.remote_target =
			sip_msg_contact(&inv, 0, &ct) == 0 ? ct.na.uri : view(leg->remote_uri);
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
		leg->answered = true;
		/* 13.3.1.4: the core retransmits the 2xx until the ACK, T1 doubling to T2 */
		if (leg->dest.proto == SIP_PROTO_UDP) {
			leg->ok_interval_ms = ua_t1();
			osmo_timer_setup(&leg->ok_timer, ok_retransmit, leg);
			osmo_timer_schedule(&leg->ok_timer, leg->ok_interval_ms / 1000,
					    (leg->ok_interval_ms % 1000) * 1000);
		}
	} else if (status >= 300) {
		leg->done = true;
		leg->owner_ended = true; /* the owner decided it */
	}
	return sip_txn_respond(leg->invite_txn, (int)status, buf, (size_t)n);
}

static struct sip_leg *uas_leg_new(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
				   const uint8_t *raw, size_t len, const struct sip_txn_dest *src,
				   const struct sip_txn_info *i)
{
	struct sip_leg *leg = leg_new(ua, false);
	struct sip_nameaddr na;

	if (!leg)
		return NULL;
	leg->dest = *src;
	leg->call_id = dup_view(leg, i->call_id);
	leg->remote_tag = dup_view(leg, i->from_tag);
	leg->local_tag = rnd_token(ua, leg, "t");
	if (sip_msg_from(m, &na) == 0)
		leg->remote_uri = dup_view(leg, na.uri);
	if (sip_msg_to(m, &na) == 0)
		leg->local_uri = dup_view(leg, na.uri);
	leg->invite = talloc_memdup(leg, raw, len);
	leg->invite_len = len;
	leg->invite_cseq = i->cseq;
	leg->invite_txn = t;
	leg->trunk = trunk_by_source(src);
	sip_txn_set_user(t, &uas_invite_ops, leg);
	ua->st.legs_in++;
	return leg;
}

/* --- requests from the transaction layer --- */

static void respond_simple(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
			   unsigned status, const char *hdrs)
{
	uint8_t buf[MSG_MAX];
	struct sip_build_extra ex = {.headers = hdrs};
	char tag[24];
	int n;

	/* RFC 3261 8.2.6.2: a To tag where the request had none (OPTIONS out
	 * of dialog); the builder leaves a tagged To as it is */
	snprintf(tag, sizeof(tag), "%016llx", (unsigned long long)rnd_next(ua));
	n = sip_build_response((char *)buf, sizeof(buf), m, status, NULL, tag, &ex);
	if (n > 0)
		sip_txn_respond(t, (int)status, buf, (size_t)n);
}

static void on_request(void *priv, struct sip_txn *t, const struct sip_txn_info *i,
		       const uint8_t *raw, size_t len, const struct sip_txn_dest *src)
{
	struct sip_ua *ua = priv;
	const struct sip_msg *m = i->msg;
	struct sip_leg *leg;

	/* tls client-ca: the trunk's certificate; require-auth: INVITE, BYE,
	 * INFO, UPDATE, REFER... carry good digest credentials; or 401/403 */
	if (sip_ua_tls_check(ua, t, m, trunk_by_source(src), src) < 0 ||
	    sip_ua_auth_check(ua, t, m, trunk_by_source(src)) < 0)
		return;
	switch (m->meth) {
	case SIP_METHOD_ACK:
		leg = leg_for_request(ua, i);
		if (leg && !leg->uac && leg->ok && !leg->acked) {
			leg->acked = true;
			osmo_timer_del(&leg->ok_timer);
			leg_confirmed_trim(leg);
			if (leg->ops && leg->ops->ack)
				leg->ops->ack(leg->u, leg, m);
		}
		return;
	case SIP_METHOD_INVITE:
		if (i->to_tag.len) {
			struct sip_body answer = {0};
			unsigned st = 481;

			leg = leg_for_request(ua, i);
			if (leg && leg->dlg && !sip_dialog_rx_cseq(leg->dlg, i->cseq))
				st = 500;
			else if (leg && leg->offer_pending)
				st = 491; /* 14.2: their offer meets ours */
			else if (leg) {
				/* RFC 4028: any re-INVITE refreshes the session; the
				 * owner answers the offer (or, without one, makes
				 * its own in the 200, RFC 3264 4) */
				st_refreshed(leg);
				if (leg->ops && leg->ops->offer)
					st = leg->ops->offer(leg->u, leg, m, &answer);
				else
					st = m->body.len ? 488 : 200;
			}
			if (st == 200) {
				uint8_t buf[MSG_MAX];
				struct sip_contact ct;

				/* 12.2.2: a re-INVITE refreshes the remote target */
				if (leg->dlg && sip_msg_contact(m, 0, &ct) == 0)
					sip_dialog_set_target(leg->dlg, ct.na.uri);
				struct sip_build_extra ex = {.content_type = answer.content_type,
							     .body = answer.body,
							     .body_len = answer.len};
				int n = sip_build_response((char *)buf, sizeof(buf), m, 200, NULL,
							   NULL, &ex);

				if (n > 0)
					sip_txn_respond(t, 200, buf, (size_t)n);
				return;
			}
			respond_simple(ua, t, m, st, NULL);
			return;
		}
		{
			struct sip_session_expires se;

			/* RFC 4028 8.1.1: below our Min-SE: 422 with Min-SE */
			if (sip_msg_session_expires(m, &se) == 0 && se.delta < SIP_MIN_SE_FLOOR) {
				char hdr[48];

				snprintf(hdr, sizeof(hdr), "Min-SE: %u\r\n", SIP_MIN_SE_FLOOR);
				respond_simple(ua, t, m, 422, hdr);
				return;
			}
		}
		leg = uas_leg_new(ua, t, m, raw, len, src, i);
		if (!leg) {
			respond_simple(ua, t, m, 500, NULL);
			return;
		}
		if (ua->ops && ua->ops->incoming)
			ua->ops->incoming(ua->priv, leg, leg->trunk, m);
		else
			sip_leg_respond(leg, 480, NULL);
		return;
	case SIP_METHOD_CANCEL: {
		struct sip_txn *inv = sip_txn_find_invite(ua->tl, i);
		struct sip_leg *l2;

		if (!inv) {
			respond_simple(ua, t, m, 481, NULL);
			return;
		}
		respond_simple(ua, t, m, 200, NULL);
		llist_for_each_entry(l2, &ua->legs, list)
		{
			if (l2->invite_txn != inv || l2->ok)
				continue;
			sip_leg_respond(l2, 487, NULL);
			if (l2->ops && l2->ops->cancelled)
				l2->ops->cancelled(l2->u, l2, m);
			break;
		}
		return;
	}
	case SIP_METHOD_BYE:
		leg = leg_for_request(ua, i);
		if (!leg || !leg->dlg) {
			respond_simple(ua, t, m, 481, NULL);
			return;
		}
		respond_simple(ua, t, m, 200, NULL);
		osmo_timer_del(&leg->ok_timer);
		leg->done = true;
		if (leg->ops && leg->ops->bye && !leg->owner_ended)
			leg->ops->bye(leg->u, leg, m);
		leg->owner_ended = true;
		leg_maybe_free(leg);
		return;
	case SIP_METHOD_OPTIONS: {
		char hdrs[128] = "";
		unsigned st = ua->ops && ua->ops->options
				      ? ua->ops->options(ua->priv, hdrs, sizeof(hdrs))
				      : 200;

		/* RFC 3261 11.2: answered as an INVITE would be: a proxy probing
		 * with OPTIONS sees 503 while the node takes no calls */
		if (st != 200) {
			respond_simple(ua, t, m, st, hdrs);
			return;
		}
		respond_simple(ua, t, m, 200,
			       ALLOW_HDR SUPPORTED_HDR "Accept: application/sdp, application/isup, "
						       "multipart/mixed\r\n");
		return;
	}
	case SIP_METHOD_PRACK: {
		struct sip_rack ra;

		leg = leg_for_request(ua, i);
		if (leg && leg->dlg && sip_msg_rack(m, &ra) == 0 &&
		    sip_dialog_prack_rx(leg->dlg, ra.rseq)) {
			osmo_timer_del(&leg->rel_timer);
			TALLOC_FREE(leg->rel);
			respond_simple(ua, t, m, 200, NULL);
		} else {
			respond_simple(ua, t, m, 481, NULL); /* RFC 3262 7.2 */
		}
		return;
	}
	case SIP_METHOD_INFO:
		/* RFC 6086 (legacy usage without Info-Package included): the
		 * owner reads what it knows (DTMF relay) and the rest is taken */
		leg = leg_for_request(ua, i);
		respond_simple(ua, t, m, leg && leg->dlg ? 200 : 481, NULL);
		if (leg && leg->dlg && !leg->done && leg->ops && leg->ops->info)
			leg->ops->info(leg->u, leg, m);
		return;
	case SIP_METHOD_UPDATE: {
		struct sip_body answer = {0};
		unsigned st = 481;

		leg = leg_for_request(ua, i);
		if (leg && leg->offer_pending && m->body.len) {
			respond_simple(ua, t, m, 491, NULL); /* RFC 3311 5.2 */
			return;
		}
		if (leg)
			st_refreshed(leg);
		if (leg && leg->ops && leg->ops->offer && m->body.len)
			st = leg->ops->offer(leg->u, leg, m, &answer);
		else if (leg)
			st = 200;
		if (st == 200 && answer.content_type) {
			uint8_t buf[MSG_MAX];
			struct sip_build_extra ex = {.content_type = answer.content_type,
						     .body = answer.body,
						     .body_len = answer.len};
			int n = sip_build_response((char *)buf, sizeof(buf), m, 200, NULL, NULL,
						   &ex);

			if (n > 0)
				sip_txn_respond(t, 200, buf, (size_t)n);
			return;
		}
		respond_simple(ua, t, m, st, NULL);
		return;
	}
	default:
		respond_simple(ua, t, m, 405, ALLOW_HDR);
		return;
	}
}

static void on_stray_response(void *priv, const struct sip_txn_info *i, const uint8_t *raw,
			      size_t len, const struct sip_txn_dest *src)
{
	struct sip_ua *ua = priv;
	struct sip_leg *leg;

	(void)raw;
	(void)len;
	(void)src;
	/* a 2xx to our INVITE after its transaction ended: ACK it again */
	if (i->status < 200 || i->status >= 300 || !tstr_eq_cstr(i->method, "INVITE"))
		return;
	leg = leg_by_dialog(ua, i->call_id, i->from_tag, i->to_tag);
	if (leg && leg->uac && leg->ack)
		ua_send(ua, &leg->dest, leg->ack, leg->ack_len);
}

static int txl_send(void *priv, const struct sip_txn_dest *d, const uint8_t *buf, size_t len)
{
	return ua_send(priv, d, buf, len);
}

static int txl_build_ack(void *priv, const uint8_t *req, size_t req_len, const uint8_t *rsp,
			 size_t rsp_len, const void *rsp_msg, uint8_t *buf, size_t size)
{
	struct sip_msg inv, r;

	(void)priv;
	(void)rsp_msg;
	if (sip_msg_parse(&inv, (const char *)req, req_len, NULL) < 0 ||
	    sip_msg_parse(&r, (const char *)rsp, rsp_len, NULL) < 0)
		return -EINVAL;
	return sip_build_ack_non2xx((char *)buf, size, &inv, &r);
}

static int txl_build_trying(void *priv, const uint8_t *req, size_t req_len, const void *req_msg,
			    uint8_t *buf, size_t size)
{
	struct sip_msg m;

	(void)priv;
	(void)req_msg;
	if (sip_msg_parse(&m, (const char *)req, req_len, NULL) < 0)
		return -EINVAL;
	return sip_build_response((char *)buf, size, &m, 100, NULL, NULL, NULL);
}

static const struct sip_txn_layer_ops txl_ops = {
	.send = txl_send,
	.request = on_request,
	.stray_response = on_stray_response,
	.build_ack = txl_build_ack,
	.build_trying = txl_build_trying,
};

/* --- transport in --- */

static ssize_t frame(const uint8_t *buf, size_t len)
{
	size_t n;
	int rc = sip_stream_frame((const char *)buf, len, NULL, &n);

	if (rc == -EAGAIN)
		return 0;
	return rc < 0 ? -1 : (ssize_t)n;
}

static bool in_dialog(const struct sip_msg *m)
{
	struct sip_nameaddr na;

	return sip_msg_to(m, &na) == 0 && na.tag.len;
}

static void stateless_reply_hdrs(struct sip_ua *ua, const struct sip_txn_dest *to,
				 const struct sip_msg *m, unsigned status, const char *hdrs)
{
	uint8_t buf[2048];
	struct sip_build_extra ex = {.headers = hdrs};
	int n = sip_build_response((char *)buf, sizeof(buf), m, status, NULL, NULL, &ex);

	if (n > 0) {
		ua->st.stateless_replies++;
		ua_send(ua, to, buf, (size_t)n);
	}
}

static void on_rx(void *priv, const struct sip_rx *rx)
{
	struct sip_ua *ua = priv;
	struct sip_msg m;
	struct sip_txn_info i;
	struct sip_txn_dest src = {
		.proto = rx->proto, .addr = rx->src, .addr_len = rx->src_len, .conn = rx->conn};
	const char *why = NULL;
	unsigned st;
	/* the trust boundary, before anything is parsed or kept (sip_sec.h) */
	enum sip_sec_source who = sip_sec_classify(ua->sec, rx);

	if (who == SIP_SEC_FLOOD)
		return;
	if (sip_msg_parse(&m, (const char *)rx->data, rx->len, &ua->lim) < 0) {
		ua->st.rx_invalid++;
		if (who == SIP_SEC_STRANGER) {
			sip_sec_refuse(ua->sec, rx, NULL);
			return;
		}
		LOGP(DSIP, LOGL_NOTICE, "%s: unparseable message (%zu bytes): %s\n",
		     sip_proto_name(rx->proto), rx->len, m.error ? m.error : "?");
		/* a request that got as far as its headers gets its 400/505/513
		 * (an ACK gets no response, RFC 3261 17) */
		if (m.error_status && m.is_request && m.meth != SIP_METHOD_ACK) {
			uint8_t buf[MSG_MAX];
			int n = sip_reject_build((char *)buf, sizeof(buf), &m, m.error_status,
						 &ua->pol);

			if (n > 0) {
				ua->st.stateless_replies++;
				ua_send(ua, &src, buf, (size_t)n);
			}
		}
		return;
	}
	if (m.is_request) {
		ua->st.rx_requests++;
		if (who == SIP_SEC_STRANGER) {
			/* answered without a transaction (RFC 3261 8.2.6 stateless);
			 * the ACK to it is dropped here too */
			if (sip_sec_refuse(ua->sec, rx, &m))
				stateless_reply_hdrs(ua, &src, &m, 403, NULL);
			return;
		}
		if (m.meth != SIP_METHOD_ACK && m.meth != SIP_METHOD_CANCEL && !in_dialog(&m) &&
		    sip_sec_trunk_over(ua->sec, rx)) {
			stateless_reply_hdrs(ua, &src, &m, 503, "Retry-After: 1\r\n");
			return;
		}
		st = sip_msg_check_uas(&m, &ua->pol, &why);
		if (st) {
			ua->st.rx_invalid++;
			LOGP(DSIP, LOGL_INFO, "%.*s refused with %u: %s\n", TSTR_FMT(m.method), st,
			     why ? why : "");
			if (m.meth != SIP_METHOD_ACK) {
				uint8_t buf[MSG_MAX];
				int n = sip_reject_build((char *)buf, sizeof(buf), &m, st,
							 &ua->pol);

				if (n > 0) {
					ua->st.stateless_replies++;
					ua_send(ua, &src, buf, (size_t)n);
				}
			}
			return;
		}
	} else {
		ua->st.rx_responses++;
		if (sip_msg_check_response(&m, &why) < 0) {
			ua->st.rx_invalid++;
			LOGP(DSIP, LOGL_INFO, "response discarded: %s\n", why ? why : "");
			return;
		}
	}
	txn_info(&m, &i);
	sip_txn_layer_rx(ua->tl, &i, rx->data, rx->len, &src);
}

static void on_conn_error(void *priv, enum sip_proto proto, const struct sockaddr *peer,
			  socklen_t plen)
{
	struct sip_ua *ua = priv;
	struct sip_txn_dest d = {.proto = proto, .addr_len = plen};

	if (plen > sizeof(d.addr))
		return;
	memcpy(&d.addr, peer, plen);
	sip_txn_layer_transport_error(ua->tl, &d);
}

/* --- the UA --- */

struct sip_ua *sip_ua_alloc(void *ctx, struct loop *l, const struct sip_ua_cfg *cfg,
			    const struct sip_ua_ops *ops, void *priv)
{
	struct sip_ua *ua = talloc_zero(ctx, struct sip_ua);

	if (!ua)
		return NULL;
	ua->l = l;
	if (cfg)
		ua->cfg = *cfg;
	ua->ops = ops;
	ua->priv = priv;
	INIT_LLIST_HEAD(&ua->legs);
	INIT_LLIST_HEAD(&ua->pings);
	INIT_LLIST_HEAD(&ua->regs);
	sip_limits_default(&ua->lim);
	sip_uas_policy_trunk(&ua->pol);
	if (getrandom(&ua->rnd, sizeof(ua->rnd), 0) != sizeof(ua->rnd) || !ua->rnd)
		ua->rnd = 0x9e3779b97f4a7c15ull ^ (uintptr_t)ua ^ (uint64_t)time(NULL);
	if (getrandom(ua->auth_key, sizeof(ua->auth_key), 0) != sizeof(ua->auth_key)) {
		LOGP(DSIP, LOGL_ERROR, "getrandom failed: digest nonces are weaker\n");
		for (unsigned k = 0; k < sizeof(ua->auth_key); k += 8) {
			uint64_t r = rnd_next(ua);

			memcpy(ua->auth_key + k, &r, 8);
		}
	}
	ua->sec = sip_sec_alloc(ua, l, rnd_next(ua));
	ua->tr = sip_transport_alloc(
		ua, l,
		&(struct sip_transport_cfg){.max_msg = sip_sec_cfg.max_msg,
					    .idle_timeout_s = sip_sec_cfg.idle_timeout_s,
					    .msg_timeout_s = sip_sec_cfg.header_timeout_s,
					    .max_conns = sip_sec_cfg.max_conns,
					    .max_conns_per_source =
						    sip_sec_cfg.max_conns_per_source},
		frame, on_rx, ua);
	ua->tl = sip_txn_layer_alloc(ua, &txl_ops, ua, NULL);
	if (ua->tr)
		sip_transport_on_conn_error(ua->tr, on_conn_error);
	if (!ua->sec || !ua->tr || !ua->tl) {
		talloc_free(ua);
		return NULL;
	}
	sip_sec_vty_set(ua->sec, ua->tr, l);
	return ua;
}

void sip_ua_free(struct sip_ua *ua)
{
	struct sip_leg *leg, *n;
	struct trunk_ping *p;

	llist_for_each_entry(p, &ua->pings, list)
	{
		loop_timer_cancel(ua->l, &p->tmr);
		if (p->txn)
			sip_txn_detach_user(p->txn);
	}
	llist_for_each_entry_safe(leg, n, &ua->legs, list)
	{
		osmo_timer_del(&leg->ok_timer);
		leg->ops = NULL;
	}
	sip_sec_vty_set(NULL, NULL, NULL);
	sip_txn_layer_free(ua->tl);
	sip_transport_free(ua->tr);
	talloc_free(ua);
}

int sip_ua_listen(struct sip_ua *ua, enum sip_proto proto, const struct sockaddr *addr,
		  socklen_t alen, const struct sip_tls_cfg *tls)
{
	return sip_transport_listen(ua->tr, proto, addr, alen, tls) ? 0 : -EADDRNOTAVAIL;
}

const struct sip_ua_stats *sip_ua_get_stats(const struct sip_ua *ua)
{
	return &ua->st;
}

struct sip_transport *sip_ua_transport(struct sip_ua *ua)
{
	return ua->tr;
}

void sip_leg_set_user(struct sip_leg *leg, const struct sip_leg_ops *ops, void *u)
{
	leg->ops = ops;
	leg->u = u;
}

void sip_leg_detach(struct sip_leg *leg)
{
	leg->ops = NULL;
	leg->u = NULL;
}

const char *sip_leg_call_id(const struct sip_leg *leg)
{
	return leg->call_id;
}

struct sip_trunk *sip_leg_trunk(const struct sip_leg *leg)
{
	return leg->trunk;
}

bool sip_leg_is_uac(const struct sip_leg *leg)
{
	return leg->uac;
}
