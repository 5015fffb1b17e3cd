/* The SIP leg core: its life cycle, lookup, the requests it sends in its
 * dialog (BYE, INFO; CANCEL's client transaction) and the requests it
 * receives there (re-INVITE, UPDATE, INFO, BYE). The roles: sip_uac.c,
 * sip_uas.c; RFC 4028: sip_session_timer.c. */
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
#include "sip/sip_uri.h"

/* --- the leg's state --- */

#define S(x) (1u << SIP_LEG_S_##x)

/* Each state and the states it may go to: the INVITE dialog of RFC 3261
 * 12-15 (with 9.1 for CANCEL, RFC 3262 for reliable provisionals, RFC 6026
 * for the 2xx before its ACK). */
static const struct {
	const char *name;
	uint32_t out;
} leg_states[] = {
	[SIP_LEG_S_INIT] = {"INIT",
			    /* UAC: INVITE sent (or not: no route); UAS: INVITE taken */
			    S(CALLING) | S(PROCEEDING) | S(TERMINATING)},
	[SIP_LEG_S_CALLING] = {"CALLING",
			       /* 18x; 2xx; cancelled before a provisional; failed */
			       S(PROCEEDING) | S(CONFIRMED) | S(CANCEL_WAIT) | S(TERMINATING)},
	[SIP_LEG_S_PROCEEDING] = {"PROCEEDING",
				  /* UAC: INVITE again after 401/407/422; 2xx; CANCEL;
				   * UAS: our 2xx; either: failed, refused, BYE in the
				   * early dialog */
				  S(CALLING) | S(CONFIRMED) | S(ACCEPTED) | S(CANCELLING) |
					  S(TERMINATING)},
	[SIP_LEG_S_ACCEPTED] = {"ACCEPTED", /* the ACK; BYE either way (no ACK: 408) */
				S(CONFIRMED) | S(TERMINATING)},
	[SIP_LEG_S_CONFIRMED] = {"CONFIRMED", /* BYE either way, session timer */
				 S(TERMINATING)},
	[SIP_LEG_S_CANCEL_WAIT] = {"CANCEL_WAIT",
				   /* a provisional: CANCEL sent; a final response;
				    * the INVITE transaction gone */
				   S(CANCELLING) | S(TERMINATING) | S(TERMINATED)},
	[SIP_LEG_S_CANCELLING] = {"CANCELLING",
				  /* 487 or other final (a 2xx: ACK and BYE); the
				   * INVITE transaction gone */
				  S(TERMINATING) | S(TERMINATED)},
	[SIP_LEG_S_TERMINATING] = {"TERMINATING", S(TERMINATED)},
	[SIP_LEG_S_TERMINATED] = {"TERMINATED", 0},
};

#undef S

const char *sip_leg_state_name(enum sip_leg_state st)
{
	return (unsigned)st < sizeof(leg_states) / sizeof(leg_states[0]) ? leg_states[st].name
									 : "?";
}

enum sip_leg_state sip_leg_state(const struct sip_leg *leg)
{
	return leg->state;
}

int sip_leg_state_chg(struct sip_leg *leg, enum sip_leg_state st)
{
	if (st == leg->state)
		return 0;
	if ((unsigned)st >= sizeof(leg_states) / sizeof(leg_states[0]) ||
	    !(leg_states[leg->state].out & (1u << st))) {
		LOGP(DSIP, LOGL_ERROR, "%s: %s leg: %s -> %s is not a transition of the leg\n",
		     leg->call_id ? leg->call_id : "-", leg->uac ? "UAC" : "UAS",
		     sip_leg_state_name(leg->state), sip_leg_state_name(st));
		return -EINVAL;
	}
	LOGP(DSIP, LOGL_DEBUG, "%s: %s leg: %s -> %s\n", leg->call_id ? leg->call_id : "-",
	     leg->uac ? "UAC" : "UAS", sip_leg_state_name(leg->state), sip_leg_state_name(st));
	leg->state = st;
	return 0;
}

static unsigned tag_bucket(struct tstr tag)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t k = 0; k < tag.len; k++)
		h = (h ^ (uint8_t)tag.p[k]) * 16777619u;
	return h & (SIP_LEG_BUCKETS - 1);
}

void sip_leg_index(struct sip_leg *leg)
{
	llist_del_init(&leg->by_tag);
	llist_add_tail(&leg->by_tag,
		       &leg->ua->legs_by_tag[tag_bucket(sip_ua_view(leg->local_tag))]);
}

static bool leg_matches(const struct sip_leg *leg, struct tstr call_id, struct tstr local_tag,
			struct tstr remote_tag)
{
	if (!tstr_eq_cstr(call_id, leg->call_id) || !tstr_eq_cstr(local_tag, leg->local_tag))
		return false;
	/* an early UAC leg may not know the remote tag yet */
	return !leg->remote_tag || tstr_eq_cstr(remote_tag, leg->remote_tag);
}

struct sip_leg *sip_leg_by_dialog(struct sip_ua *ua, struct tstr call_id, struct tstr local_tag,
				  struct tstr remote_tag)
{
	struct sip_leg *leg;

	llist_for_each_entry(leg, &ua->legs_by_tag[tag_bucket(local_tag)], by_tag)
	{
		if (leg_matches(leg, call_id, local_tag, remote_tag))
			return leg;
	}
	llist_for_each_entry(leg, &ua->legs_untagged, by_tag)
	{
		if (leg_matches(leg, call_id, local_tag, remote_tag))
			return leg;
	}
	return NULL;
}

/* A request in a dialog: the To tag is ours, the From tag theirs. */
struct sip_leg *sip_leg_for_request(struct sip_ua *ua, const struct sip_txn_info *i)
{
	return sip_leg_by_dialog(ua, i->call_id, i->to_tag, i->from_tag);
}

/* The leg goes once it is done and nothing it waits for is pending: a UAC
 * INVITE still without final response (a CANCEL may cross a 2xx that must
 * be ACKed and BYEd), a BYE or CANCEL without final response. Transactions
 * that live on to absorb retransmissions are detached from it. */
void sip_leg_maybe_free(struct sip_leg *leg)
{
	if (!sip_leg_ended(leg) || leg->state == SIP_LEG_S_TERMINATED ||
	    (leg->uac && !leg->invite_final) || leg->bye_txn || leg->cancel_txn)
		return;
	if (leg->invite_txn) {
		sip_txn_detach_user(leg->invite_txn);
		leg->invite_txn = NULL;
	}
	if (leg->refresh_txn) {
		sip_txn_detach_user(leg->refresh_txn);
		leg->refresh_txn = NULL;
	}
	sip_leg_state_chg(leg, SIP_LEG_S_TERMINATED);
	if (leg->ops && leg->ops->gone)
		leg->ops->gone(leg->u, leg);
	osmo_timer_del(&leg->ok_timer);
	osmo_timer_del(&leg->ack_timer);
	osmo_timer_del(&leg->rel_timer);
	osmo_timer_del(&leg->st_timer);
	llist_del(&leg->list);
	llist_del(&leg->by_tag);
	leg->ua->st.legs_active--;
	talloc_free(leg);
}

struct sip_leg *sip_leg_new(struct sip_ua *ua, bool uac)
{
	struct sip_leg *leg = talloc_zero(ua, struct sip_leg);

	if (!leg)
		return NULL;
	leg->ua = ua;
	leg->uac = uac;
	llist_add_tail(&leg->list, &ua->legs);
	llist_add_tail(&leg->by_tag, &ua->legs_untagged);
	ua->st.legs_active++;
	return leg;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

/* The next hop URI as an address: a numeric host only (a host name keeps
 * the trunk's resolved address: the remote target and route of a trunk's
 * dialog are nearly always numeric, and the loop has no blocking lookup);
 * the transport as the URI's transport parameter or sips says, else the
 * one the dialog was made on. */
static int uri_dest(struct tstr uri, enum sip_proto dflt, struct sip_txn_dest *d)
{
	struct sip_uri u;
	struct tstr tp;
	char host[INET6_ADDRSTRLEN];

	if (sip_uri_decode(uri, &u) < 0 || (u.scheme != SIP_URI_SIP && u.scheme != SIP_URI_SIPS) ||
	    u.host.len >= sizeof(host))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->proto = dflt;
	if (u.scheme == SIP_URI_SIPS)
		d->proto = SIP_PROTO_TLS;
	else if (sip_param_find(u.params, "transport", &tp)) {
		if (tstr_casecmp_cstr(tp, "udp"))
			d->proto = SIP_PROTO_UDP;
		else if (tstr_casecmp_cstr(tp, "tcp"))
			d->proto = SIP_PROTO_TCP;
		else if (tstr_casecmp_cstr(tp, "tls"))
			d->proto = SIP_PROTO_TLS;
		else
			return -EPROTONOSUPPORT;
	}
	tstr_to_buf(u.host, host, sizeof(host));
	if (!u.port)
		u.port = d->proto == SIP_PROTO_TLS ? 5061 : 5060;
	if (u.host_ipv6 || strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&d->addr;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(u.port);
		d->addr_len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&d->addr;

		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons(u.port);
		d->addr_len = sizeof(*a);
	}
	return 0;
}

void sip_leg_dialog_dest(const struct sip_leg *leg, struct sip_txn_dest *d)
{
	struct sip_dialog_plan p;
	struct sip_txn_dest t;
	struct sip_tls_cfg tc;

	*d = leg->dest;
	/* the trunk as outbound proxy takes every request; a stream the peer
	 * opened toward us carries the dialog's requests back (its Contact's
	 * port is often not listening: RFC 5923 connection reuse); a
	 * registered peer is reached where its REGISTER came from (NAT) */
	if (!leg->dlg || leg->dest.conn ||
	    (leg->trunk && (leg->trunk->outbound_proxy || leg->trunk->registrar)))
		return;
	sip_dialog_plan(leg->dlg, &p);
	if (!p.next_hop || !p.next_hop[0] ||
	    uri_dest(tstr_make(p.next_hop, strlen(p.next_hop)), leg->dest.proto, &t) < 0)
		return;
	if (t.proto == leg->dest.proto && same_addr(&t.addr, &leg->dest.addr))
		return;
	/* TLS only toward an address whose certificate checks we know (a
	 * configured trunk's): a peer cannot steer the dialog's requests to
	 * an unchecked host */
	if (t.proto == SIP_PROTO_TLS && !sip_ua_dest_tls(&t, &tc))
		return;
	*d = t;
}

void sip_leg_send_ack(struct sip_leg *leg)
{
	struct sip_txn_dest d;

	if (!leg->uac || !leg->ack)
		return;
	sip_leg_dialog_dest(leg, &d);
	sip_ua_send(leg->ua, &d, leg->ack, leg->ack_len);
}

/* Build a request in the leg's dialog (RFC 3261 12.2.1.1): Request-URI and
 * Route headers from the dialog's plan, the Via transport the one the
 * request is sent on. */
int sip_leg_build_request(struct sip_leg *leg, const char *method, uint32_t cseq,
			  const char *branch, const struct sip_body *b, uint8_t *out, size_t size)
{
	struct sip_ua *ua = leg->ua;
	struct tstr routes[SIP_DIALOG_MAX_ROUTES + 1];
	struct sip_req_spec s = {0};
	struct sip_build_extra ex = {0};
	struct sip_dialog_plan p = {0};
	struct sip_txn_dest d;
	char host[INET6_ADDRSTRLEN], contact[128];
	uint16_t port;

	sip_leg_dialog_dest(leg, &d);
	sip_ua_local_contact(ua, d.proto, contact, sizeof(contact), host, sizeof(host), &port);
	s.method = method;
	if (leg->dlg && leg->dlg->remote_target[0])
		sip_dialog_plan(leg->dlg, &p);
	s.ruri = sip_ua_view(p.ruri ? p.ruri : leg->remote_uri);
	s.from = sip_ua_view(leg->local_uri);
	s.from_tag = sip_ua_view(leg->local_tag);
	s.to = sip_ua_view(leg->remote_uri);
	s.to_tag = sip_ua_view(leg->remote_tag);
	s.call_id = sip_ua_view(leg->call_id);
	s.cseq = cseq;
	s.via_transport = sip_proto_name(d.proto);
	s.via_host = sip_ua_view(host);
	s.via_port = port;
	s.branch = sip_ua_view(branch);
	if (p.n_routes) {
		for (unsigned i = 0; i < p.n_routes; i++)
			routes[i] = sip_ua_view(p.routes[i]);
		s.routes = routes;
		s.n_routes = p.n_routes;
	}
	s.contact = sip_ua_view(contact);
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
struct sip_txn *sip_leg_start_request_body(struct sip_leg *leg, const char *method, uint32_t cseq,
					   const struct sip_body *b,
					   const struct sip_txn_user_ops *uops)
{
	uint8_t buf[MSG_MAX];
	char *branch = sip_ua_token(leg->ua, leg, "z9hG4bK");
	struct sip_msg m;
	struct sip_txn_info i;
	int n = sip_leg_build_request(leg, method, cseq, branch, b, buf, sizeof(buf));
	struct sip_txn_dest d;

	talloc_free(branch);
	if (n < 0 || sip_msg_parse(&m, (const char *)buf, (size_t)n, NULL) < 0)
		return NULL;
	sip_ua_txn_info(&m, &i);
	sip_leg_dialog_dest(leg, &d);
	return sip_txn_client_start(leg->ua->tl, &i, buf, (size_t)n, &d, uops, leg);
}

struct sip_txn *sip_leg_start_request(struct sip_leg *leg, const char *method, uint32_t cseq,
				      const char *extra_hdrs, const struct sip_txn_user_ops *uops)
{
	struct sip_body b = {.headers = extra_hdrs};

	return sip_leg_start_request_body(leg, method, cseq, &b, uops);
}

/* The INVITE got its 2xx and the ACK: what only the INVITE transaction
 * needed (the INVITE copied for CANCEL, responses and a challenge's retry;
 * our 2xx, retransmitted until the ACK) goes; it was the larger part of an
 * established leg (issue 13 item 6). */
void sip_leg_confirmed_trim(struct sip_leg *leg)
{
	TALLOC_FREE(leg->invite);
	leg->invite_len = 0;
	TALLOC_FREE(leg->ruri);
	TALLOC_FREE(leg->hdrs);
	TALLOC_FREE(leg->ct);
	TALLOC_FREE(leg->body);
	leg->body_len = 0;
	if (!leg->uac) {
		TALLOC_FREE(leg->ok); /* UAS: acknowledged, not sent again */
		leg->ok_len = 0;
	}
}

/* --- BYE and CANCEL client transactions --- */

static void bye_done(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	(void)t;
	leg->bye_txn = NULL;
	sip_leg_maybe_free(leg);
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
	sip_leg_maybe_free(leg);
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
	sip_leg_maybe_free(leg);
}

const struct sip_txn_user_ops sip_leg_cancel_ops = {
	.response = bye_response,
	.timeout = bye_timeout,
	.transport_error = bye_timeout,
	.terminated = cancel_done,
};

int sip_leg_bye(struct sip_leg *leg, const char *reason_hdr)
{
	struct sip_body b = {.headers = reason_hdr};

	return sip_leg_bye_body(leg, &b);
}

int sip_leg_bye_body(struct sip_leg *leg, const struct sip_body *body)
{
	/* UAC: also in the early dialog, and for a 2xx that crossed our end;
	 * UAS: once our 2xx went (RFC 3261 15) */
	if (!leg->dlg || leg->bye_txn || leg->state == SIP_LEG_S_TERMINATED ||
	    (!leg->uac && leg->state != SIP_LEG_S_ACCEPTED && leg->state != SIP_LEG_S_CONFIRMED))
		return -ENOTCONN;
	leg->bye_txn = sip_leg_start_request_body(leg, "BYE", sip_dialog_next_cseq(leg->dlg), body,
						  &bye_ops);
	if (!leg->uac)
		osmo_timer_del(&leg->ok_timer);
	sip_leg_state_chg(leg, SIP_LEG_S_TERMINATING); /* we ended it: the owner knows */
	return leg->bye_txn ? 0 : -EIO;
}

static const struct sip_txn_user_ops info_ops = {0};

int sip_leg_info(struct sip_leg *leg, const struct sip_body *body)
{
	if (!leg->dlg || sip_leg_ended(leg) ||
	    (!leg->uac && leg->state != SIP_LEG_S_ACCEPTED && leg->state != SIP_LEG_S_CONFIRMED))
		return -ENOTCONN;
	return sip_leg_start_request_body(leg, "INFO", sip_dialog_next_cseq(leg->dlg), body,
					  &info_ops)
		       ? 0
		       : -EIO;
}

/* --- requests inside the dialog --- */

/* A re-INVITE (RFC 3261 14.2). */
void sip_leg_reinvite_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i)
{
	const struct sip_msg *m = i->msg;
	struct sip_leg *leg;
	struct sip_body answer = {0};
	unsigned st = 481;

	leg = sip_leg_for_request(ua, i);
	if (leg && leg->dlg && !sip_dialog_rx_cseq(leg->dlg, i->cseq))
		st = 500;
	else if (leg && sip_leg_ended(leg))
		st = 481; /* RFC 5407 3.2.2: our BYE crossed it, the session is over */
	else if (leg && leg->offer_pending)
		st = 491; /* 14.2: their offer meets ours */
	else if (leg) {
		/* RFC 4028: any re-INVITE refreshes the session; the
		 * owner answers the offer (or, without one, makes
		 * its own in the 200, RFC 3264 4) */
		sip_st_refreshed(leg);
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
		int n = sip_build_response((char *)buf, sizeof(buf), m, 200, NULL, NULL, &ex);

		if (n > 0)
			sip_txn_respond(t, 200, buf, (size_t)n);
		return;
	}
	sip_ua_respond_simple(ua, t, m, st, NULL);
}

void sip_leg_bye_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i)
{
	const struct sip_msg *m = i->msg;
	struct sip_leg *leg;
	bool tell;

	leg = sip_leg_for_request(ua, i);
	if (!leg || !leg->dlg) {
		sip_ua_respond_simple(ua, t, m, 481, NULL);
		return;
	}
	sip_ua_respond_simple(ua, t, m, 200, NULL);
	if (!leg->uac)
		osmo_timer_del(&leg->ok_timer);
	tell = !sip_leg_ended(leg);
	sip_leg_state_chg(leg, SIP_LEG_S_TERMINATING);
	if (tell && leg->ops && leg->ops->bye)
		leg->ops->bye(leg->u, leg, m);
	sip_leg_maybe_free(leg);
}

void sip_leg_info_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i)
{
	const struct sip_msg *m = i->msg;
	struct sip_leg *leg;

	/* RFC 6086 (legacy usage without Info-Package included): the
	 * owner reads what it knows (DTMF relay) and the rest is taken */
	leg = sip_leg_for_request(ua, i);
	sip_ua_respond_simple(ua, t, m, leg && leg->dlg ? 200 : 481, NULL);
	if (leg && leg->dlg && !sip_leg_ended(leg) && leg->ops && leg->ops->info)
		leg->ops->info(leg->u, leg, m);
}

/* UPDATE (RFC 3311): an offer, or a session refresh without one (RFC 4028). */
void sip_leg_update_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i)
{
	const struct sip_msg *m = i->msg;
	struct sip_leg *leg;
	struct sip_body answer = {0};
	unsigned st = 481;

	leg = sip_leg_for_request(ua, i);
	if (leg && sip_leg_ended(leg)) {
		sip_ua_respond_simple(ua, t, m, 481, NULL); /* RFC 5407 3.2: after our BYE */
		return;
	}
	if (leg && leg->offer_pending && m->body.len) {
		sip_ua_respond_simple(ua, t, m, 491, NULL); /* RFC 3311 5.2 */
		return;
	}
	/* RFC 3311 5.2: an offer while the INVITE's has no reliable answer yet
	 * (no 2xx; no reliable provisional, or one not PRACKed): 500 with a
	 * Retry-After of 0-10 s */
	if (leg && !leg->uac && leg->state < SIP_LEG_S_ACCEPTED && m->body.len &&
	    (!leg->dlg || leg->rel)) {
		char ra[32];

		snprintf(ra, sizeof(ra), "Retry-After: %u\r\n",
			 (unsigned)(sip_ua_rnd_next(ua) % 11));
		LOGP(DSIP, LOGL_INFO,
		     "%s: UPDATE with an offer before the INVITE's is answered "
		     "reliably: 500\n",
		     leg->call_id);
		sip_ua_respond_simple(ua, t, m, 500, ra);
		return;
	}
	if (leg)
		sip_st_refreshed(leg);
	if (leg && leg->ops && leg->ops->offer && m->body.len)
		st = leg->ops->offer(leg->u, leg, m, &answer);
	else if (leg)
		st = 200;
	if (st == 200 && answer.content_type) {
		uint8_t buf[MSG_MAX];
		struct sip_build_extra ex = {.content_type = answer.content_type,
					     .body = answer.body,
					     .body_len = answer.len};
		int n = sip_build_response((char *)buf, sizeof(buf), m, 200, NULL, NULL, &ex);

		if (n > 0)
			sip_txn_respond(t, 200, buf, (size_t)n);
		return;
	}
	sip_ua_respond_simple(ua, t, m, st, NULL);
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
