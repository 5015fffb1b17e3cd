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
#include "sip/sip_lex.h"
#include "sip/sip_registrar.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua_int.h"
#include "sip/sip_uri.h"

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
	char contact[128]; /* the Contact we bind (sought in the 200's list) */
	uint32_t cseq;
	unsigned auth_tries, brief_tries;
	unsigned expires; /* asked for: the configured lifetime, or a 423's Min-Expires */
	bool unreg;	  /* stopping: the Contact being removed (Expires 0) */
	struct sip_auth_client auth;
};

static void reg_send(struct trunk_reg *r, const char *auth_hdr);

static void reg_at(struct trunk_reg *r, uint64_t us)
{
	r->trunk->reg_next_ns = loop_now_ns() + us * 1000ull;
	loop_timer_schedule(r->ua->l, &r->tmr, us);
}

/* The wait after the n-th failure in a row (RFC 5626 4.5's shape): the
 * base doubled per failure up to the maximum, then 50..100 % of that at
 * random, so gateways that lost their registrar together do not all come
 * back in the same second. */
static uint64_t reg_backoff_us(struct trunk_reg *r)
{
	const struct sip_trunk *t = r->trunk;
	uint64_t max = (uint64_t)t->register_retry_max * 1000000ull;
	uint64_t w = (uint64_t)t->register_retry_base * 1000000ull;

	for (unsigned i = 1; i < t->reg_failures && w < max; i++)
		w *= 2;
	if (w > max)
		w = max;
	return w / 2 + sip_ua_rnd_next(r->ua) % (w / 2 + 1);
}

/* st: the refusal (0: no answer). A 503 with Retry-After waits that long
 * (RFC 3261 21.5.4), within the maximum; the rest back off. */
static void reg_failed(struct trunk_reg *r, unsigned st, const struct sip_msg *m)
{
	struct sip_trunk *t = r->trunk;
	const struct sip_hdr *ra = m && st == 503 ? sip_msg_hdr(m, SIP_HDR_RETRY_AFTER) : NULL;
	uint32_t after = 0;
	uint64_t us;

	if (t->registered)
		LOGP(DSIP, LOGL_ERROR, "trunk %s: registration lost\n", t->name);
	t->registered = false;
	t->reg_granted = 0;
	t->reg_failures++;
	t->reg_last_status = st;
	r->expires = t->register_expires;
	r->brief_tries = 0;
	if (ra && sip_uint32_decode(sip_trim(ra->value), &after) == 0 && after > 0) {
		if (after > t->register_retry_max)
			after = t->register_retry_max;
		us = (uint64_t)after * 1000000ull;
	} else {
		us = reg_backoff_us(r);
	}
	if (st)
		LOGP(DSIP, LOGL_ERROR,
		     "trunk %s: registration refused with %u (failure %u), retry in %.1f s\n",
		     t->name, st, t->reg_failures, (double)us / 1e6);
	else
		LOGP(DSIP, LOGL_ERROR,
		     "trunk %s: no answer to REGISTER (failure %u), retry in %.1f s\n", t->name,
		     t->reg_failures, (double)us / 1e6);
	reg_at(r, us);
}

/* RFC 3261 10.2.4: the lifetime the registrar granted is our Contact's
 * expires parameter in the 200's list (found by 19.1.4 equality), else
 * the Expires header, else what we asked for. */
static unsigned reg_granted(const struct trunk_reg *r, const struct sip_msg *m)
{
	const struct sip_hdr *eh = sip_msg_hdr(m, SIP_HDR_EXPIRES);
	struct sip_contact ct;
	long cexp = -1;
	unsigned i;
	uint32_t e;

	for (i = 0; sip_msg_contact(m, i, &ct) == 0; i++)
		if (!ct.na.star && sip_uri_equal(ct.na.uri, sip_ua_view(r->contact))) {
			cexp = ct.expires;
			break;
		}
	if (i > 0 && cexp < 0 && sip_msg_contact(m, i, &ct) < 0)
		/* a registrar that rewrote our Contact: lenient, the header */
		LOGP(DSIP, LOGL_NOTICE, "trunk %s: the 200 to REGISTER lists no Contact %s\n",
		     r->trunk->name, r->contact);
	if (cexp >= 0)
		return cexp > 86400 * 7 ? 86400 * 7 : (unsigned)cexp;
	if (eh && sip_uint32_decode(sip_trim(eh->value), &e) == 0)
		return e;
	return r->expires;
}

static void reg_rsp(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp, const uint8_t *raw,
		    size_t len)
{
	struct trunk_reg *r = tu;
	struct sip_trunk *tr = r->trunk;
	const struct sip_msg *m = rsp->msg;
	unsigned st = (unsigned)rsp->status;

	(void)raw;
	(void)len;
	if (st < 200)
		return;
	sip_txn_detach_user(t);
	r->txn = NULL;
	if ((st == 401 || st == 407) && tr->auth_user && r->auth_tries < 2) {
		const struct sip_hdr *h = sip_msg_hdr(m, st == 401 ? SIP_HDR_WWW_AUTHENTICATE
								   : SIP_HDR_PROXY_AUTHENTICATE);
		struct sip_auth_challenge ch;
		struct sip_auth_request rq = {0};
		char cnonce[32], ruri[128], val[1024], hdr[1100];

		if (h && sip_auth_challenge_decode(&ch, h->value.p, h->value.len) == 0) {
			snprintf(cnonce, sizeof(cnonce), "%016llx",
				 (unsigned long long)sip_ua_rnd_next(r->ua));
			snprintf(ruri, sizeof(ruri), "sip:%s", tr->domain ? tr->domain : tr->host);
			rq.user = tr->auth_user;
			rq.password = tr->auth_pass ? tr->auth_pass : "";
			rq.method = "REGISTER";
			rq.uri = sip_ua_view(ruri);
			rq.cnonce = cnonce;
			if (sip_auth_response_encode(val, sizeof(val), &r->auth, &ch, &rq) > 0) {
				snprintf(hdr, sizeof(hdr), "%s: %s\r\n",
					 st == 401 ? "Authorization" : "Proxy-Authorization", val);
				r->auth_tries++;
				LOGP(DSIP, LOGL_INFO,
				     "trunk %s: REGISTER challenged (%u), answered\n", tr->name,
				     st);
				reg_send(r, hdr);
				return;
			}
		}
	}
	r->auth_tries = 0;
	if (r->unreg) {
		tr->registered = false;
		if (st < 300)
			LOGP(DSIP, LOGL_NOTICE, "trunk %s: unregistered (%u)\n", tr->name, st);
		else
			LOGP(DSIP, LOGL_ERROR, "trunk %s: un-REGISTER refused with %u\n", tr->name,
			     st);
		return;
	}
	if (st == 423 && r->brief_tries < 2) {
		/* RFC 3261 10.2.8: ask again with at least the Min-Expires */
		const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_MIN_EXPIRES);
		uint32_t min = 0;

		if (h && sip_uint32_decode(sip_trim(h->value), &min) == 0 && min > r->expires &&
		    min <= 86400 * 7) {
			LOGP(DSIP, LOGL_NOTICE, "trunk %s: 423, registering again for %u s\n",
			     tr->name, min);
			r->expires = min;
			r->brief_tries++;
			reg_send(r, NULL);
			return;
		}
	}
	if (st < 300) {
		unsigned g = reg_granted(r, m);

		if (!g) {
			LOGP(DSIP, LOGL_ERROR, "trunk %s: 200 to REGISTER granting 0 s\n",
			     tr->name);
			reg_failed(r, st, NULL);
			return;
		}
		if (!tr->registered)
			LOGP(DSIP, LOGL_NOTICE, "trunk %s: registered for %u s (asked %u)\n",
			     tr->name, g, r->expires);
		else
			LOGP(DSIP, LOGL_INFO, "trunk %s: registration refreshed, %u s granted\n",
			     tr->name, g);
		tr->registered = true;
		tr->reg_failures = 0;
		tr->reg_last_status = st;
		tr->reg_granted = g;
		r->brief_tries = 0;
		/* refresh at half the granted lifetime, so a lost request
		 * still has time for its retransmissions and one more try */
		reg_at(r, g > 1 ? (uint64_t)g * 500000ull : 500000ull);
		return;
	}
	reg_failed(r, st, m);
}

static void reg_fail(void *tu, struct sip_txn *t)
{
	struct trunk_reg *r = tu;

	sip_txn_detach_user(t);
	r->txn = NULL;
	if (r->unreg) {
		LOGP(DSIP, LOGL_ERROR, "trunk %s: no answer to un-REGISTER\n", r->trunk->name);
		return;
	}
	reg_failed(r, 0, NULL);
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
	char host[INET6_ADDRSTRLEN], ruri[128], aor[160], branch[32], hdrs[1400];
	const char *domain = r->trunk->domain ? r->trunk->domain : r->trunk->host;
	uint16_t port;
	int n;

	if (r->txn)
		return;
	if (sip_ua_trunk_dest(r->trunk, &d) < 0) {
		/* not resolved (yet): try again later, as a failure */
		if (!r->unreg)
			reg_failed(r, 0, NULL);
		return;
	}
	sip_ua_local_contact_user(ua, d.proto,
				  r->trunk->register_user ? r->trunk->register_user : "tandem",
				  r->contact, sizeof(r->contact), host, sizeof(host), &port);
	snprintf(ruri, sizeof(ruri), "sip:%s", domain);
	snprintf(aor, sizeof(aor), "sip:%s@%s",
		 r->trunk->auth_user ? r->trunk->auth_user : "tandem", domain);
	snprintf(branch, sizeof(branch), "z9hG4bK%016llx", (unsigned long long)sip_ua_rnd_next(ua));
	snprintf(hdrs, sizeof(hdrs), "%sExpires: %u\r\n", auth_hdr ? auth_hdr : "", r->expires);
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
	s.contact = sip_ua_view(r->contact);
	ex.headers = hdrs;
	n = sip_build_request((char *)buf, sizeof(buf), &s, &ex);
	if (n < 0 || sip_msg_parse(&m, (const char *)buf, (size_t)n, NULL) < 0)
		return;
	sip_ua_txn_info(&m, &i);
	r->txn = sip_txn_client_start(ua->tl, &i, buf, (size_t)n, &d, &reg_ops, r);
}

void sip_trunk_reg_describe(const struct sip_trunk *t, char *buf, size_t size)
{
	uint64_t now = loop_now_ns();
	unsigned in = t->reg_next_ns > now ? (unsigned)((t->reg_next_ns - now) / 1000000000ull) : 0;

	if (!t->do_register)
		buf[0] = '\0';
	else if (t->registered)
		snprintf(buf, size, ", registered (%u s granted, refresh in %u s)", t->reg_granted,
			 in);
	else if (t->reg_failures)
		snprintf(buf, size, ", not registered (%u failures, last %s%u, retry in %u s)",
			 t->reg_failures, t->reg_last_status ? "" : "no answer ",
			 t->reg_last_status, in);
	else
		snprintf(buf, size, ", not registered");
}

bool sip_trunk_is_reg_contact_user(const char *user, size_t len)
{
	const struct sip_trunk *t;

	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		const char *u = t->register_user ? t->register_user : "tandem";

		if (t->do_register && strlen(u) == len && !memcmp(u, user, len))
			return true;
	}
	return false;
}

static void reg_timer(void *priv)
{
	reg_send(priv, NULL);
}

void sip_ua_start_registrations(struct sip_ua *ua)
{
	struct sip_trunk *t;

	/* the bindings of trunks registered with us, kept in their state files */
	sip_registrar_restore(ua);

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
		r->expires = t->register_expires;
		snprintf(r->call_id, sizeof(r->call_id), "%016llx@tandem",
			 (unsigned long long)sip_ua_rnd_next(ua));
		snprintf(r->tag, sizeof(r->tag), "t%016llx",
			 (unsigned long long)sip_ua_rnd_next(ua));
		loop_timer_init(&r->tmr, reg_timer, r);
		llist_add_tail(&r->list, &ua->regs);
		loop_timer_schedule(ua->l, &r->tmr, 100000);
	}
}

/* RFC 3261 10.2.2: at stop, each trunk we are bound at is asked to remove
 * our Contact (Expires 0); the caller turns the loop until none is left
 * pending (sip_ua_unregister_pending), within its own bound. */
unsigned sip_ua_unregister_all(struct sip_ua *ua)
{
	struct trunk_reg *r;
	unsigned n = 0;

	llist_for_each_entry(r, &ua->regs, list)
	{
		/* bound, or a REGISTER out that may bind us after we are gone */
		if ((!r->trunk->registered && !r->txn) || r->unreg)
			continue;
		loop_timer_cancel(ua->l, &r->tmr);
		if (r->txn) { /* a refresh still out: its answer no longer matters */
			sip_txn_detach_user(r->txn);
			r->txn = NULL;
		}
		r->unreg = true;
		r->expires = 0;
		r->auth_tries = 0;
		LOGP(DSIP, LOGL_NOTICE, "trunk %s: stopping: un-registering %s\n", r->trunk->name,
		     r->contact);
		reg_send(r, NULL);
		if (r->txn)
			n++;
	}
	return n;
}

unsigned sip_ua_unregister_pending(const struct sip_ua *ua)
{
	const struct trunk_reg *r;
	unsigned n = 0;

	llist_for_each_entry(r, &ua->regs, list) n += r->unreg && r->txn;
	return n;
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
