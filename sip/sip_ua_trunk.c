/* The UA toward its trunks on its own: OPTIONS keep-alive with up/down
 * state, and outbound registration with digest and refresh. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "sip/sip_build.h"
#include "sip/sip_hdr.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua_int.h"

const char *sip_trunk_state_name(const struct sip_trunk *t)
{
	if (t->options_interval)
		return t->up ? "up" : "down";
	return t->calls ? "in use" : "unknown";
}

/* --- OPTIONS keep-alive per trunk --- */

static void ping_state(struct trunk_ping *p, bool up, unsigned status)
{
	if (p->trunk->up != up)
		LOGP(DSIP, up ? LOGL_NOTICE : LOGL_ERROR, "trunk %s is %s (%s %u)\n",
		     p->trunk->name, up ? "UP" : "DOWN", status ? "OPTIONS answered" : "no answer",
		     status);
	p->trunk->up = up;
}

static void ping_rsp(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp,
		     const uint8_t *raw, size_t len)
{
	struct trunk_ping *p = tu;

	(void)raw;
	(void)len;
	if (rsp->status < 200)
		return;
	/* from the first transmission: a retransmission's wait counts too */
	p->trunk->options_rtt_us = (unsigned)((loop_now_ns() - p->sent_ns) / 1000u);
	ping_state(p, true, (unsigned)rsp->status);
	/* done: the transaction absorbs retransmissions on its own */
	sip_txn_detach_user(t);
	p->txn = NULL;
}

static void ping_fail(void *tu, struct sip_txn *t)
{
	struct trunk_ping *p = tu;

	ping_state(p, false, 0);
	sip_txn_detach_user(t);
	p->txn = NULL;
}

static void ping_gone(void *tu, struct sip_txn *t)
{
	struct trunk_ping *p = tu;

	if (p->txn == t)
		p->txn = NULL;
}

static const struct sip_txn_user_ops ping_ops = {
	.response = ping_rsp,
	.timeout = ping_fail,
	.transport_error = ping_fail,
	.terminated = ping_gone,
};

static void ping_send(void *priv)
{
	struct trunk_ping *p = priv;
	struct sip_ua *ua = p->ua;
	struct sip_txn_dest d;
	struct sip_req_spec s = {0};
	struct sip_msg m;
	struct sip_txn_info i;
	uint8_t buf[2048];
	char host[INET6_ADDRSTRLEN], ruri[128], from[160], cid[40], tag[24], branch[32];
	uint16_t port;
	int n;

	loop_timer_schedule(ua->l, &p->tmr, (uint64_t)p->trunk->options_interval * 1000000ull);
	if (p->txn || sip_ua_trunk_dest(p->trunk, &d) < 0)
		return; /* the previous one is still out */
	sip_ua_local_hostport(ua, d.proto, host, sizeof(host), &port);
	if (p->trunk->port)
		snprintf(ruri, sizeof(ruri), "sip:%s:%u", p->trunk->host, p->trunk->port);
	else /* a name resolved by NAPTR/SRV: the URI without a port (RFC 3263 4.2) */
		snprintf(ruri, sizeof(ruri), "sip:%s", p->trunk->host);
	snprintf(from, sizeof(from), "sip:tandem@%s", host);
	snprintf(cid, sizeof(cid), "%016llx@tandem", (unsigned long long)sip_ua_rnd_next(ua));
	snprintf(tag, sizeof(tag), "t%016llx", (unsigned long long)sip_ua_rnd_next(ua));
	snprintf(branch, sizeof(branch), "z9hG4bK%016llx", (unsigned long long)sip_ua_rnd_next(ua));
	s.method = "OPTIONS";
	s.ruri = sip_ua_view(ruri);
	s.from = sip_ua_view(from);
	s.from_tag = sip_ua_view(tag);
	s.to = sip_ua_view(ruri);
	s.call_id = sip_ua_view(cid);
	s.cseq = 1;
	s.via_transport = sip_proto_name(d.proto);
	s.via_host = sip_ua_view(host);
	s.via_port = port;
	s.branch = sip_ua_view(branch);
	n = sip_build_request((char *)buf, sizeof(buf), &s, NULL);
	if (n < 0 || sip_msg_parse(&m, (const char *)buf, (size_t)n, NULL) < 0)
		return;
	sip_ua_txn_info(&m, &i);
	p->sent_ns = loop_now_ns();
	p->txn = sip_txn_client_start(ua->tl, &i, buf, (size_t)n, &d, &ping_ops, p);
}

/* --- outbound registration to a carrier trunk (RFC 3261 10) --- */

struct trunk_reg {
	struct llist_head list;
	struct sip_ua *ua;
	struct sip_trunk *trunk;
	struct loop_timer tmr;
	struct sip_txn *txn;
	char call_id[40], tag[24];
	uint32_t cseq;
	unsigned auth_tries;
	struct sip_auth_client auth;
};

static void reg_send(struct trunk_reg *r, const char *auth_hdr);

static void reg_rsp(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp, const uint8_t *raw,
		    size_t len)
{
	struct trunk_reg *r = tu;
	const struct sip_msg *m = rsp->msg;
	unsigned st = (unsigned)rsp->status;

	(void)raw;
	(void)len;
	if (st < 200)
		return;
	sip_txn_detach_user(t);
	r->txn = NULL;
	if ((st == 401 || st == 407) && r->trunk->auth_user && r->auth_tries < 2) {
		const struct sip_hdr *h = sip_msg_hdr(m, st == 401 ? SIP_HDR_WWW_AUTHENTICATE
								   : SIP_HDR_PROXY_AUTHENTICATE);
		struct sip_auth_challenge ch;
		struct sip_auth_request rq = {0};
		char cnonce[32], ruri[128], val[1024], hdr[1100];

		if (h && sip_auth_challenge_decode(&ch, h->value.p, h->value.len) == 0) {
			snprintf(cnonce, sizeof(cnonce), "%016llx",
				 (unsigned long long)sip_ua_rnd_next(r->ua));
			snprintf(ruri, sizeof(ruri), "sip:%s",
				 r->trunk->domain ? r->trunk->domain : r->trunk->host);
			rq.user = r->trunk->auth_user;
			rq.password = r->trunk->auth_pass ? r->trunk->auth_pass : "";
			rq.method = "REGISTER";
			rq.uri = sip_ua_view(ruri);
			rq.cnonce = cnonce;
			if (sip_auth_response_encode(val, sizeof(val), &r->auth, &ch, &rq) > 0) {
				snprintf(hdr, sizeof(hdr), "%s: %s\r\n",
					 st == 401 ? "Authorization" : "Proxy-Authorization", val);
				r->auth_tries++;
				reg_send(r, hdr);
				return;
			}
		}
	}
	r->auth_tries = 0;
	if (st < 300) {
		if (!r->trunk->registered)
			LOGP(DSIP, LOGL_NOTICE, "trunk %s: registered for %u s\n", r->trunk->name,
			     r->trunk->register_expires);
		r->trunk->registered = true;
		/* refresh at half the lifetime */
		loop_timer_schedule(r->ua->l, &r->tmr,
				    (uint64_t)r->trunk->register_expires * 500000ull);
		return;
	}
	LOGP(DSIP, LOGL_ERROR, "trunk %s: registration refused with %u, retry in 30 s\n",
	     r->trunk->name, st);
	r->trunk->registered = false;
	loop_timer_schedule(r->ua->l, &r->tmr, 30000000ull);
}

static void reg_fail(void *tu, struct sip_txn *t)
{
	struct trunk_reg *r = tu;

	sip_txn_detach_user(t);
	r->txn = NULL;
	r->trunk->registered = false;
	LOGP(DSIP, LOGL_ERROR, "trunk %s: no answer to REGISTER, retry in 30 s\n", r->trunk->name);
	loop_timer_schedule(r->ua->l, &r->tmr, 30000000ull);
}

static const struct sip_txn_user_ops reg_ops = {
	.response = reg_rsp, .timeout = reg_fail, .transport_error = reg_fail};

static void reg_send(struct trunk_reg *r, const char *auth_hdr)
{
	struct sip_ua *ua = r->ua;
	struct sip_txn_dest d;
	struct sip_req_spec s = {0};
	struct sip_build_extra ex = {0};
	struct sip_msg m;
	struct sip_txn_info i;
	uint8_t buf[4096];
	char host[INET6_ADDRSTRLEN], ruri[128], aor[160], contact[128], branch[32], hdrs[1400];
	const char *domain = r->trunk->domain ? r->trunk->domain : r->trunk->host;
	uint16_t port;
	int n;

	if (r->txn || sip_ua_trunk_dest(r->trunk, &d) < 0)
		return;
	sip_ua_local_contact(ua, d.proto, contact, sizeof(contact), host, sizeof(host), &port);
	snprintf(ruri, sizeof(ruri), "sip:%s", domain);
	snprintf(aor, sizeof(aor), "sip:%s@%s",
		 r->trunk->auth_user ? r->trunk->auth_user : "tandem", domain);
	snprintf(branch, sizeof(branch), "z9hG4bK%016llx", (unsigned long long)sip_ua_rnd_next(ua));
	snprintf(hdrs, sizeof(hdrs), "%sExpires: %u\r\n", auth_hdr ? auth_hdr : "",
		 r->trunk->register_expires);
	s.method = "REGISTER";
	s.ruri = sip_ua_view(ruri);
	s.from = sip_ua_view(aor);
	s.from_tag = sip_ua_view(r->tag);
	s.to = sip_ua_view(aor);
	s.call_id = sip_ua_view(r->call_id);
	s.cseq = ++r->cseq; /* 10.2.4: the same Call-ID, CSeq going up */
	s.via_transport = sip_proto_name(d.proto);
	s.via_host = sip_ua_view(host);
	s.via_port = port;
	s.branch = sip_ua_view(branch);
	s.contact = sip_ua_view(contact);
	ex.headers = hdrs;
	n = sip_build_request((char *)buf, sizeof(buf), &s, &ex);
	if (n < 0 || sip_msg_parse(&m, (const char *)buf, (size_t)n, NULL) < 0)
		return;
	sip_ua_txn_info(&m, &i);
	r->txn = sip_txn_client_start(ua->tl, &i, buf, (size_t)n, &d, &reg_ops, r);
}

static void reg_timer(void *priv)
{
	reg_send(priv, NULL);
}

void sip_ua_start_registrations(struct sip_ua *ua)
{
	struct sip_trunk *t;

	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		struct trunk_reg *r;

		if (!t->do_register || !t->host)
			continue;
		r = talloc_zero(ua, struct trunk_reg);
		if (!r)
			continue;
		r->ua = ua;
		r->trunk = t;
		snprintf(r->call_id, sizeof(r->call_id), "%016llx@tandem",
			 (unsigned long long)sip_ua_rnd_next(ua));
		snprintf(r->tag, sizeof(r->tag), "t%016llx",
			 (unsigned long long)sip_ua_rnd_next(ua));
		loop_timer_init(&r->tmr, reg_timer, r);
		llist_add_tail(&r->list, &ua->regs);
		loop_timer_schedule(ua->l, &r->tmr, 100000);
	}
}

void sip_ua_start_keepalives(struct sip_ua *ua)
{
	struct sip_trunk *t;

	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		struct trunk_ping *p;

		if (!t->options_interval || !t->host)
			continue;
		p = talloc_zero(ua, struct trunk_ping);
		if (!p)
			continue;
		p->ua = ua;
		p->trunk = t;
		loop_timer_init(&p->tmr, ping_send, p);
		llist_add_tail(&p->list, &ua->pings);
		loop_timer_schedule(ua->l, &p->tmr, 100000); /* the first one right away */
	}
}
