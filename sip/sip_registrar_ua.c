/* REGISTER toward a trunk of kind registered: the UA side of the registrar
 * (RFC 3261 10.3). The binding table is sip_registrar.c.
 *
 * Who may register: the REGISTER names its trunk by the To URI's user part
 * (the address-of-record's user is the trunk's auth user). A registered
 * trunk without "allow" entries takes REGISTER from any source, as an
 * access SBC does for IP-PBXs on dynamic addresses: such a source still
 * meets the per-source flood limit of strangers, then a digest challenge
 * (SHA-256 and MD5, nonce-count replay check), and only the REGISTER is let
 * in. With "allow" entries only those sources may register. Once bound,
 * the binding's source (address, port and transport as the REGISTER came)
 * is the trunk's: its INVITEs and in-dialog requests are admitted as the
 * trunk's, until the binding expires or is removed.
 *
 * Calls toward the trunk use the best binding's Contact as Request-URI but
 * go to the address the REGISTER came from, not to the host in the
 * Contact: behind a NAT the Contact holds the PBX's private address, and
 * only the source address and port (the NAT's mapping, kept open by the
 * PBX's re-registrations) reach it (RFC 3581's idea, applied as carrier
 * SBCs do for registered endpoints; over TCP the PBX's own connection is
 * reused). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/addr.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/throttle.h"
#include "sip/sip_acl.h"
#include "sip/sip_hdr.h"
#include "sip/sip_registrar.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua_int.h"
#include "sip/sip_uri.h"

#define DEF_MIN_EXPIRES 60
#define DEF_MAX_EXPIRES 3600

struct sip_registrar_stats sip_registrar_stats;

struct sip_registrar_state {
	struct sip_trunk *trunk;
	struct loop *l;
	struct sip_reg_table tab;
	struct loop_timer tmr;
	struct throttle log; /* refusal lines */
};

uint64_t sip_registrar_now(void)
{
	return loop_now_ns() / 1000000000ull;
}

const struct sip_reg_table *sip_registrar_table(const struct sip_trunk *t)
{
	return t->reg ? &t->reg->tab : NULL;
}

bool sip_registrar_enabled(void)
{
	struct sip_trunk *t;

	llist_for_each_entry(t, &sip_cfg.trunks, list) if (t->registrar) return true;
	return false;
}

/* "udp:192.0.2.1:5060" for log lines and the VTY; "-" when none */
static void src_str(const struct sockaddr_storage *ss, socklen_t len, enum sip_proto proto,
		    char *buf, size_t size)
{
	char a[ADDR_STR_MAX];

	if (!len) {
		snprintf(buf, size, "-");
		return;
	}
	snprintf(buf, size, "%s:%s", sip_proto_name(proto), tandem_addr_str(ss, a, sizeof(a)));
}

struct sip_trunk *sip_registrar_trunk_by_source(const struct sockaddr *src, int proto)
{
	struct sip_trunk *t;
	uint64_t now = sip_registrar_now();

	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		if (t->registrar && t->reg && sip_reg_has_source(&t->reg->tab, src, proto, now))
			return t;
	}
	return NULL;
}

/* The registered trunk whose auth user is the To URI's user. */
static struct sip_trunk *trunk_for_aor(const struct sip_msg *m)
{
	struct sip_nameaddr na;
	struct sip_uri u;
	struct sip_trunk *t;

	if (sip_msg_to(m, &na) < 0 || sip_uri_decode(na.uri, &u) < 0 || !u.user.len)
		return NULL;
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		if (t->registrar && t->auth_user &&
		    sip_uri_user_eq(u.user, sip_ua_view(t->auth_user)))
			return t;
	}
	return NULL;
}

bool sip_registrar_admits(const struct sip_msg *m)
{
	struct sip_trunk *t;

	if (m->meth != SIP_METHOD_REGISTER)
		return false;
	t = trunk_for_aor(m);
	return t && !t->n_allow;
}

bool sip_registrar_dialog_admits(struct sip_ua *ua, const struct sip_msg *m,
				 const struct sip_txn_dest *src)
{
	struct sip_nameaddr from, to;
	struct tstr cid;
	struct sip_leg *leg;
	uint8_t a[16], b[16];
	int fa, fb;
	uint16_t pa, pb;

	if (sip_msg_to(m, &to) < 0 || !to.tag.len || sip_msg_from(m, &from) < 0 ||
	    sip_msg_call_id(m, &cid) < 0)
		return false;
	leg = sip_leg_by_dialog(ua, cid, to.tag, from.tag);
	if (!leg || !leg->trunk || !leg->trunk->registrar || leg->dest.proto != src->proto ||
	    sip_acl_addr((const struct sockaddr *)&leg->dest.addr, a, &fa, &pa) < 0 ||
	    sip_acl_addr((const struct sockaddr *)&src->addr, b, &fb, &pb) < 0)
		return false;
	return fa == fb && pa == pb && !memcmp(a, b, fa == AF_INET ? 4 : 16);
}

int sip_registrar_dest(const struct sip_trunk *t, struct sip_txn_dest *d)
{
	const struct sip_reg_binding *b =
		t->reg ? sip_reg_best(&t->reg->tab, sip_registrar_now()) : NULL;

	if (!b || !b->src_len)
		return -ENOENT;
	memset(d, 0, sizeof(*d));
	d->proto = b->proto;
	memcpy(&d->addr, &b->src, b->src_len);
	d->addr_len = b->src_len;
	return 0;
}

int sip_registrar_ruri(const struct sip_trunk *t, char *buf, size_t len)
{
	const struct sip_reg_binding *b =
		t->reg ? sip_reg_best(&t->reg->tab, sip_registrar_now()) : NULL;

	if (!b) {
		sip_registrar_stats.calls_absent++;
		return -ENOENT;
	}
	if ((size_t)snprintf(buf, len, "%s", b->contact) >= len)
		return -ENOSPC;
	return 0;
}

static void arm(struct sip_registrar_state *s)
{
	uint64_t next = sip_reg_next_expiry(&s->tab), now = sip_registrar_now();

	loop_timer_cancel(s->l, &s->tmr);
	if (next)
		loop_timer_schedule(s->l, &s->tmr,
				    (next > now ? next - now : 0) * 1000000ull + 1000);
}

/* The trunk's bindings to its state file, when it has one. */
static void store(struct sip_registrar_state *s)
{
	struct timespec ts;
	int rc;

	if (!s->trunk->reg_state_file)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	rc = sip_reg_table_save(&s->tab, s->trunk->reg_state_file, sip_registrar_now(),
				(int64_t)ts.tv_sec);
	if (rc < 0)
		LOGP(DSIP, LOGL_ERROR, "trunk %s: bindings not written to %s: %s\n", s->trunk->name,
		     s->trunk->reg_state_file, strerror(-rc));
}

static void expiry(void *priv)
{
	struct sip_registrar_state *s = priv;
	uint64_t now = sip_registrar_now();
	unsigned gone;
	char src[64];

	for (unsigned i = 0; i < s->tab.n; i++) {
		const struct sip_reg_binding *b = &s->tab.b[i];

		if (b->expires_at > now)
			continue;
		src_str(&b->src, b->src_len, b->proto, src, sizeof(src));
		LOGP(DSIP, LOGL_NOTICE, "trunk %s: registration of %s (from %s) expired\n",
		     s->trunk->name, b->contact, src);
	}
	gone = sip_reg_expire(&s->tab, now);
	sip_registrar_stats.expired += gone;
	if (gone)
		store(s);
	arm(s);
}

static struct sip_registrar_state *state(struct sip_ua *ua, struct sip_trunk *t)
{
	if (!t->reg) {
		t->reg = talloc_zero(t, struct sip_registrar_state);
		if (!t->reg)
			return NULL;
		t->reg->trunk = t;
		t->reg->l = ua->l;
		loop_timer_init(&t->reg->tmr, expiry, t->reg);
	}
	return t->reg;
}

void sip_registrar_restore(struct sip_ua *ua)
{
	struct sip_trunk *t;

	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		struct sip_registrar_state *s;
		struct timespec ts;
		unsigned expired;
		char err[256];
		int n;

		if (!t->registrar || !t->reg_state_file || !(s = state(ua, t)))
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		n = sip_reg_table_load(&s->tab, t->reg_state_file, sip_registrar_now(),
				       (int64_t)ts.tv_sec, &expired, err, sizeof(err));
		if (n == -ENOENT)
			continue; /* nothing kept yet */
		if (n < 0) {
			LOGP(DSIP, LOGL_ERROR, "trunk %s: bindings not restored: %s\n", t->name,
			     err);
			continue;
		}
		for (int i = 0; i < n; i++) {
			const struct sip_reg_binding *b = &s->tab.b[i];
			char a[64];

			src_str(&b->src, b->src_len, b->proto, a, sizeof(a));
			LOGP(DSIP, LOGL_NOTICE,
			     "trunk %s: binding %s (from %s) restored from %s, expires in %" PRIu64
			     " s\n",
			     t->name, b->contact, a, t->reg_state_file,
			     b->expires_at - sip_registrar_now());
		}
		if (expired)
			LOGP(DSIP, LOGL_NOTICE, "trunk %s: %u binding(s) in %s expired meanwhile\n",
			     t->name, expired, t->reg_state_file);
		sip_registrar_stats.added += (unsigned)n;
		arm(s);
	}
}

/* A refusal's line: at most one every 10 s per trunk, and as many for the
 * refusals that found no trunk (strangers: the ones that could flood) */
static const struct throttle_cfg refusal_log = {.n = 1, .per_ms = 10000, .burst = 1};
static struct throttle refusal_log_no_trunk;

static void refusal(struct sip_registrar_state *s, const struct sip_trunk *t,
		    const struct sip_txn_dest *src, unsigned st, const char *why)
{
	unsigned held = 0;
	char a[64];

	sip_registrar_stats.refused++;
	if (!tandem_throttle_take(s ? &s->log : &refusal_log_no_trunk, &refusal_log,
				  loop_now_ns() / 1000000ull, &held))
		return;
	src_str(&src->addr, src->addr_len, src->proto, a, sizeof(a));
	LOGP(DSIP, LOGL_INFO,
	     "trunk %s: REGISTER from %s refused with %u: %s (%u lines held back)\n",
	     t ? t->name : "-", a, st, why, held);
}

static int request(const struct sip_msg *m, const struct sip_txn_dest *src,
		   struct sip_reg_request *rq)
{
	struct sip_cseq cs;
	struct sip_contact c;
	const struct sip_hdr *ua;
	uint32_t e;
	int rc;

	memset(rq, 0, sizeof(*rq));
	if (sip_msg_call_id(m, &rq->call_id) < 0 || sip_msg_cseq(m, &cs) < 0)
		return -EBADMSG;
	rq->cseq = cs.num;
	rq->expires_hdr = sip_msg_expires(m, &e) == 0 ? (long)e : -1;
	for (unsigned i = 0;; i++) {
		rc = sip_msg_contact(m, i, &c);
		if (rc == -ENOENT)
			break;
		if (rc < 0)
			return -EBADMSG;
		if (c.na.star) {
			rq->star = true;
			continue;
		}
		if (rq->n == SIP_REG_MAX_BINDINGS)
			return -ENOSPC;
		rq->c[rq->n].uri = c.na.uri;
		rq->c[rq->n].expires = c.expires;
		rq->c[rq->n].q = c.q;
		rq->n++;
	}
	ua = sip_msg_hdr(m, SIP_HDR_USER_AGENT);
	if (ua)
		rq->user_agent = ua->value;
	rq->proto = src->proto;
	rq->src = (const struct sockaddr *)&src->addr;
	rq->src_len = src->addr_len;
	return 0;
}

void sip_registrar_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		      const struct sip_txn_dest *src)
{
	struct sip_trunk *tr, *by_src;
	struct sip_registrar_state *s;
	struct sip_reg_request rq;
	struct sip_reg_outcome out;
	struct sip_reg_limits lim;
	char hdrs[SIP_REG_MAX_BINDINGS * (SIP_REG_URI_MAX + 32) + 64], a[64];
	size_t hl = 0;
	uint64_t now;
	int st, rc;

	if (!sip_registrar_enabled()) {
		sip_ua_respond_simple(ua, t, m, 405, ALLOW_HDR);
		return;
	}
	sip_registrar_stats.registers++;
	tr = trunk_for_aor(m);
	by_src = sip_ua_trunk_by_source(src);
	if (!by_src)
		by_src = sip_registrar_trunk_by_source((const struct sockaddr *)&src->addr,
						       (int)src->proto);
	if (!tr) {
		/* RFC 3261 10.3 step 3: not an address-of-record of ours */
		refusal(NULL, NULL, src, 404, "no registered trunk has that user");
		sip_ua_respond_simple(ua, t, m, 404, NULL);
		return;
	}
	s = state(ua, tr);
	if ((by_src && by_src != tr) || (!by_src && tr->n_allow)) {
		refusal(s, tr, src, 403,
			by_src ? "the source is another trunk's" : "source not allowed");
		sip_ua_respond_simple(ua, t, m, 403, NULL);
		return;
	}
	/* 10.3 step 4: the registrar authenticates the UAC (401 or 403 sent) */
	if (sip_ua_auth_demand(ua, t, m, tr) < 0)
		return;
	if (!s) {
		sip_ua_respond_simple(ua, t, m, 500, NULL);
		return;
	}
	rc = request(m, src, &rq);
	if (rc < 0) {
		st = rc == -ENOSPC ? 503 : 400;
		refusal(s, tr, src, (unsigned)st,
			rc == -ENOSPC ? "too many Contacts" : "malformed Contact or CSeq");
		sip_ua_respond_simple(ua, t, m, (unsigned)st, NULL);
		return;
	}
	lim = (struct sip_reg_limits){
		.min_expires = tr->reg_min_expires ? tr->reg_min_expires : DEF_MIN_EXPIRES,
		.max_expires = tr->reg_max_expires ? tr->reg_max_expires : DEF_MAX_EXPIRES,
		.def_expires = tr->reg_max_expires ? tr->reg_max_expires : DEF_MAX_EXPIRES,
	};
	now = sip_registrar_now();
	/* the expired bindings' lines before the table drops them */
	expiry(s);
	st = sip_reg_apply(&s->tab, &rq, &lim, now, &out);
	if (st) {
		if (st == 423)
			sip_registrar_stats.too_brief++;
		if (st == 500)
			sip_registrar_stats.out_of_order++;
		refusal(s, tr, src, (unsigned)st, out.why);
		if (st == 423) {
			snprintf(hdrs, sizeof(hdrs), "Min-Expires: %u\r\n", out.min_expires);
			sip_ua_respond_simple(ua, t, m, 423, hdrs);
		} else {
			sip_ua_respond_simple(ua, t, m, (unsigned)st, NULL);
		}
		return;
	}
	sip_registrar_stats.ok++;
	sip_registrar_stats.added += out.added;
	sip_registrar_stats.removed += out.removed;
	if (!rq.n && !rq.star)
		sip_registrar_stats.queries++;
	src_str(&src->addr, src->addr_len, src->proto, a, sizeof(a));
	if (out.added || out.removed)
		LOGP(DSIP, LOGL_NOTICE,
		     "trunk %s: REGISTER from %s: %u bound, %u removed, %u refreshed; %u now\n",
		     tr->name, a, out.added, out.removed, out.refreshed, s->tab.n);
	else
		LOGP(DSIP, LOGL_DEBUG, "trunk %s: REGISTER from %s: %u refreshed\n", tr->name, a,
		     out.refreshed);
	arm(s);
	if (rq.n || rq.star)
		store(s);
	/* 10.3 step 8: the current bindings, each with its expires */
	for (unsigned i = 0; i < s->tab.n && hl < sizeof(hdrs); i++) {
		const struct sip_reg_binding *b = &s->tab.b[i];

		hl += (size_t)snprintf(hdrs + hl, sizeof(hdrs) - hl,
				       "Contact: <%s>;expires=%" PRIu64 "\r\n", b->contact,
				       b->expires_at > now ? b->expires_at - now : 0);
	}
	if (hl >= sizeof(hdrs))
		hdrs[0] = '\0';
	sip_ua_respond_simple(ua, t, m, 200, hl ? hdrs : NULL);
}
