/* RFC 3263 for trunks (see sip_resolve.h): NAPTR -> SRV -> A/AAAA with
 * c-ares on the loop, the targets kept for the records' TTL, failover among
 * them by priority and weight. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/addr.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/loop_ares.h"
#include "core/vty.h"
#include "sip/sip_resolve.h"
#include "sip/sip_trunk.h"

#define TTL_FLOOR_S 5	 /* a lookup at most this often per trunk */
#define TTL_CAP_S   3600 /* and at least this often */
#define RETRY_S	    30	 /* after a failed lookup (the old targets stay) */

struct sip_resolver_cfg sip_resolver_cfg = {.down_s = 30, .timeout_ms = 1000};

struct sip_resolver {
	struct loop *l;
	struct loop_ares *a;
	void *ctx;
	bool freeing;
	uint64_t rnd;
};

/* One query in flight; it names its lookup by generation, so an answer
 * for a lookup that was replaced is dropped. */
struct rq {
	struct sip_trunk_res *res;
	unsigned gen;
	enum sip_proto proto;
	uint16_t port, prio, weight;
	char name[128];
};

static uint64_t now_ms(void)
{
	return loop_now_ns() / 1000000ull;
}

static uint32_t rnd32(struct sip_resolver *r)
{
	/* xorshift64: weights need no more than this */
	r->rnd ^= r->rnd << 13;
	r->rnd ^= r->rnd >> 7;
	r->rnd ^= r->rnd << 17;
	return (uint32_t)(r->rnd >> 16);
}

bool sip_trunk_host_valid(const char *host)
{
	uint8_t a[16];
	size_t label = 0;

	if (!host || !*host)
		return false;
	if (inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1)
		return true;
	if (strlen(host) > 253)
		return false;
	/* RFC 1123 2.1: letters, digits, hyphens; labels of 1..63 */
	for (const char *p = host; *p; p++) {
		if (*p == '.') {
			if (!label)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*p) || *p == '-' || *p == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 || host[strlen(host) - 1] == '.';
}

static uint16_t default_port(enum sip_proto p)
{
	return p == SIP_PROTO_TLS ? 5061 : 5060; /* RFC 3263 4.2 */
}

static int numeric_target(const char *host, uint16_t port, struct sip_target *tg)
{
	memset(tg, 0, sizeof(*tg));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&tg->addr;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		tg->addr_len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&tg->addr;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		tg->addr_len = sizeof(*a);
	}
	snprintf(tg->name, sizeof(tg->name), "%s", host);
	return 0;
}

static bool same_target(const struct sip_target *a, const struct sip_target *b)
{
	return a->proto == b->proto && a->addr_len == b->addr_len &&
	       !memcmp(&a->addr, &b->addr, a->addr_len);
}

static void lookup_start(struct sip_trunk_res *res);

static void schedule(struct sip_trunk_res *res, unsigned s)
{
	loop_timer_schedule(res->r->l, &res->tmr, (uint64_t)s * 1000000ull);
}

/* Every query of the lookup is back: the new targets replace the old,
 * keeping what was learnt of a target that stays. */
static void lookup_done(struct sip_trunk_res *res)
{
	struct sip_trunk *t = res->trunk;
	uint32_t ttl = res->pend_ttl;

	res->busy = false;
	if (!res->n_pend) {
		LOGP(DSIP, res->n ? LOGL_NOTICE : LOGL_ERROR,
		     "trunk %s: %s: no target (%s)%s, again in %u s\n", t->name, t->host,
		     res->last_err ? ares_strerror(res->last_err) : "no usable record",
		     res->n ? "; the previous targets stay" : "", RETRY_S);
		schedule(res, RETRY_S);
		return;
	}
	for (unsigned i = 0; i < res->n_pend; i++)
		for (unsigned j = 0; j < res->n; j++)
			if (same_target(&res->pend[i], &res->tg[j])) {
				struct sip_target keep = res->tg[j];

				keep.prio = res->pend[i].prio;
				keep.weight = res->pend[i].weight;
				memcpy(keep.name, res->pend[i].name, sizeof(keep.name));
				res->pend[i] = keep;
			}
	memcpy(res->tg, res->pend, sizeof(res->pend[0]) * res->n_pend);
	res->n = res->n_pend;
	res->last_err = 0;
	if (ttl < TTL_FLOOR_S)
		ttl = TTL_FLOOR_S;
	if (ttl > TTL_CAP_S)
		ttl = TTL_CAP_S;
	res->expires_ms = now_ms() + (uint64_t)ttl * 1000u;
	LOGP(DSIP, LOGL_INFO, "trunk %s: %s -> %u target(s) (%s), TTL %u s\n", t->name, t->host,
	     res->n, res->how, ttl);
	schedule(res, ttl);
}

static void pend_ttl(struct sip_trunk_res *res, uint32_t ttl)
{
	if (ttl < res->pend_ttl)
		res->pend_ttl = ttl;
}

static struct rq *rq_new(struct sip_trunk_res *res, enum sip_proto proto, const char *name,
			 uint16_t port, uint16_t prio, uint16_t weight)
{
	struct rq *q = talloc_zero(res->r, struct rq);

	if (!q)
		return NULL;
	q->res = res;
	q->gen = res->gen;
	q->proto = proto;
	q->port = port;
	q->prio = prio;
	q->weight = weight;
	snprintf(q->name, sizeof(q->name), "%s", name);
	return q;
}

/* Drops q; true when its lookup is gone (the resolver ends, or a newer
 * lookup replaced it). */
static bool rq_stale(struct rq *q, int status)
{
	bool stale = status == ARES_EDESTRUCTION || q->res->r->freeing || q->gen != q->res->gen;

	if (stale)
		talloc_free(q);
	return stale;
}

static void on_addr(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct rq *q = arg;
	struct sip_trunk_res *res = q->res;

	(void)timeouts;
	if (rq_stale(q, status)) {
		if (ai)
			ares_freeaddrinfo(ai);
		return;
	}
	if (status != ARES_SUCCESS)
		res->last_err = status;
	for (struct ares_addrinfo_node *n = ai ? ai->nodes : NULL; n; n = n->ai_next) {
		struct sip_target *tg;

		if (res->n_pend >= SIP_TARGETS_MAX)
			break;
		if ((n->ai_family != AF_INET && n->ai_family != AF_INET6) ||
		    n->ai_addrlen > sizeof(tg->addr))
			continue;
		tg = &res->pend[res->n_pend++];
		memset(tg, 0, sizeof(*tg));
		memcpy(&tg->addr, n->ai_addr, n->ai_addrlen);
		tg->addr_len = n->ai_addrlen;
		if (n->ai_family == AF_INET)
			((struct sockaddr_in *)&tg->addr)->sin_port = htons(q->port);
		else
			((struct sockaddr_in6 *)&tg->addr)->sin6_port = htons(q->port);
		tg->proto = q->proto;
		tg->prio = q->prio;
		tg->weight = q->weight;
		snprintf(tg->name, sizeof(tg->name), "%s", q->name);
		pend_ttl(res, n->ai_ttl > 0 ? (uint32_t)n->ai_ttl : 0);
	}
	if (ai)
		ares_freeaddrinfo(ai);
	talloc_free(q);
	if (--res->waiting == 0)
		lookup_done(res);
}

static void query_addr(struct sip_trunk_res *res, enum sip_proto proto, const char *name,
		       uint16_t port, uint16_t prio, uint16_t weight)
{
	struct ares_addrinfo_hints h = {.ai_family = AF_UNSPEC, .ai_flags = ARES_AI_NOSORT};
	struct rq *q = rq_new(res, proto, name, port, prio, weight);

	if (!q)
		return;
	res->waiting++;
	ares_getaddrinfo(loop_ares_channel(res->r->a), name, NULL, &h, on_addr, q);
}

static void srv_failed(struct sip_trunk_res *res, struct rq *q)
{
	/* RFC 3263 4.2: no SRV record: the host's addresses, the
	 * transport's default port */
	size_t l = strlen(res->how);

	snprintf(res->how + l, sizeof(res->how) - l, " (no SRV) A/AAAA %s", res->trunk->host);
	query_addr(res, q->proto, res->trunk->host, default_port(q->proto), 0, 0);
}

static void on_srv(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct rq *q = arg;
	struct sip_trunk_res *res = q->res;
	struct ares_srv_reply *head = NULL;
	uint32_t ttl = 0;

	(void)timeouts;
	if (rq_stale(q, status))
		return;
	if (status == ARES_SUCCESS && ares_parse_srv_reply(abuf, alen, &head) == ARES_SUCCESS &&
	    head) {
		if (loop_ares_answer_ttl(abuf, (size_t)alen, &ttl) == 0)
			pend_ttl(res, ttl);
		for (struct ares_srv_reply *s = head; s; s = s->next) {
			/* RFC 2782: a target of "." says the service is not here */
			if (!strcmp(s->host, ".") || !s->host[0])
				continue;
			query_addr(res, q->proto, s->host, s->port, s->priority, s->weight);
		}
		ares_free_data(head);
	} else {
		if (status != ARES_SUCCESS && status != ARES_ENOTFOUND && status != ARES_ENODATA)
			res->last_err = status;
		if (head)
			ares_free_data(head);
		srv_failed(res, q);
	}
	talloc_free(q);
	if (--res->waiting == 0)
		lookup_done(res);
}

static const char *srv_prefix(enum sip_proto p)
{
	return p == SIP_PROTO_TLS   ? "_sips._tcp."
	       : p == SIP_PROTO_TCP ? "_sip._tcp."
				    : "_sip._udp.";
}

static void query_srv(struct sip_trunk_res *res, enum sip_proto proto, const char *name)
{
	struct rq *q = rq_new(res, proto, name, 0, 0, 0);
	size_t l = strlen(res->how);

	if (!q)
		return;
	snprintf(res->how + l, sizeof(res->how) - l, "%sSRV %s", l ? " -> " : "", name);
	res->waiting++;
	ares_query(loop_ares_channel(res->r->a), name, ns_c_in, ns_t_srv, on_srv, q);
}

/* RFC 3263 4.1: the NAPTR services a client of each transport follows */
static int naptr_proto(const struct ares_naptr_reply *n, enum sip_proto *p)
{
	const char *svc = (const char *)n->service;

	if (strcasecmp((const char *)n->flags, "s"))
		return -1;
	if (!strcasecmp(svc, "SIP+D2U"))
		*p = SIP_PROTO_UDP;
	else if (!strcasecmp(svc, "SIP+D2T"))
		*p = SIP_PROTO_TCP;
	else if (!strcasecmp(svc, "SIPS+D2T"))
		*p = SIP_PROTO_TLS;
	else
		return -1;
	return 0;
}

static void on_naptr(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct rq *q = arg;
	struct sip_trunk_res *res = q->res;
	struct ares_naptr_reply *head = NULL, *best = NULL;
	enum sip_proto best_p = SIP_PROTO_UDP, p;
	uint32_t ttl = 0;

	(void)timeouts;
	if (rq_stale(q, status))
		return;
	if (status == ARES_SUCCESS && ares_parse_naptr_reply(abuf, alen, &head) == ARES_SUCCESS) {
		if (loop_ares_answer_ttl(abuf, (size_t)alen, &ttl) == 0)
			pend_ttl(res, ttl);
		/* c-ares leaves them as they came: the lowest order, then
		 * preference, among the services we speak */
		for (struct ares_naptr_reply *n = head; n; n = n->next) {
			if (naptr_proto(n, &p) < 0)
				continue;
			if (!best || n->order < best->order ||
			    (n->order == best->order && n->preference < best->preference)) {
				best = n;
				best_p = p;
			}
		}
	} else if (status != ARES_SUCCESS && status != ARES_ENOTFOUND && status != ARES_ENODATA) {
		res->last_err = status;
	}
	if (best) {
		char name[256];

		snprintf(name, sizeof(name), "%s", best->replacement);
		snprintf(res->how, sizeof(res->how), "NAPTR %s", best->service);
		query_srv(res, best_p, name);
	} else {
		char name[300];

		/* 4.1: no NAPTR: SRV of the transport configured (UDP by default) */
		snprintf(res->how, sizeof(res->how), "no NAPTR");
		snprintf(name, sizeof(name), "%s%s", srv_prefix(res->trunk->proto),
			 res->trunk->host);
		query_srv(res, res->trunk->proto, name);
	}
	if (head)
		ares_free_data(head);
	talloc_free(q);
	if (--res->waiting == 0)
		lookup_done(res);
}

static void lookup_start(struct sip_trunk_res *res)
{
	struct sip_trunk *t = res->trunk;
	char name[300];

	res->gen++;
	res->n_pend = 0;
	res->waiting = 0;
	res->pend_ttl = TTL_CAP_S;
	res->how[0] = 0;
	res->last_err = 0;
	res->busy = true;
	res->waiting++; /* held until every query below is started */
	if (t->port) {
		/* RFC 3263 4.2: a port given: the host's addresses, no SRV */
		snprintf(res->how, sizeof(res->how), "A/AAAA %s", t->host);
		query_addr(res, t->proto, t->host, t->port, 0, 0);
	} else if (t->proto_set) {
		/* 4.1: the transport given: no NAPTR */
		snprintf(name, sizeof(name), "%s%s", srv_prefix(t->proto), t->host);
		query_srv(res, t->proto, name);
	} else {
		struct rq *q = rq_new(res, t->proto, t->host, 0, 0, 0);

		if (q) {
			res->waiting++;
			ares_query(loop_ares_channel(res->r->a), t->host, ns_c_in, ns_t_naptr,
				   on_naptr, q);
		}
	}
	loop_ares_kick(res->r->a);
	if (--res->waiting == 0)
		lookup_done(res);
}

static void res_timer(void *priv)
{
	struct sip_trunk_res *res = priv;

	if (!res->busy)
		lookup_start(res);
}

static int res_destructor(struct sip_trunk_res *res)
{
	if (res->trunk->res == res)
		res->trunk->res = NULL;
	loop_timer_cancel(res->r->l, &res->tmr);
	return 0;
}

struct sip_resolver *sip_resolver_start(void *ctx, struct loop *l)
{
	struct sip_resolver *r = talloc_zero(ctx, struct sip_resolver);
	struct ares_options o = {0};
	struct sip_trunk *t;
	struct timespec ts;

	if (!r)
		return NULL;
	r->l = l;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->rnd = (uint64_t)ts.tv_nsec * 2654435761u ^ (uint64_t)ts.tv_sec ^ 0x9e3779b97f4a7c15ull;
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		struct sip_trunk_res *res;
		bool numeric;

		if (!t->host)
			continue;
		res = talloc_zero(r, struct sip_trunk_res);
		if (!res)
			goto fail;
		res->trunk = t;
		res->r = r;
		t->res = res;
		talloc_set_destructor(res, res_destructor);
		loop_timer_init(&res->tmr, res_timer, res);
		numeric = numeric_target(t->host, t->port ? t->port : default_port(t->proto),
					 &res->tg[0]) == 0;
		if (numeric) {
			res->numeric = true;
			res->tg[0].proto = t->proto;
			res->n = 1;
			snprintf(res->how, sizeof(res->how), "address");
			continue;
		}
		if (!r->a) {
			o.timeout = (int)sip_resolver_cfg.timeout_ms;
			o.tries = 2;
			r->a = loop_ares_alloc(r, l, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
			if (!r->a)
				goto fail;
			if (sip_resolver_cfg.servers &&
			    ares_set_servers_ports_csv(loop_ares_channel(r->a),
						       sip_resolver_cfg.servers) != ARES_SUCCESS) {
				LOGP(DSIP, LOGL_ERROR, "resolver servers '%s' unusable\n",
				     sip_resolver_cfg.servers);
				goto fail;
			}
		}
		lookup_start(res);
	}
	return r;
fail:
	sip_resolver_free(r);
	return NULL;
}

void sip_resolver_free(struct sip_resolver *r)
{
	if (!r)
		return;
	r->freeing = true;
	if (r->a)
		loop_ares_free(r->a); /* the queries come back with ARES_EDESTRUCTION */
	r->a = NULL;
	talloc_free(r);
}

static bool usable(const struct sip_target *tg, uint64_t now)
{
	return !tg->down_until_ms || tg->down_until_ms <= now;
}

int sip_trunk_res_dest(struct sip_trunk *t, struct sip_txn_dest *d)
{
	struct sip_trunk_res *res = t->res;
	uint64_t now = now_ms();
	unsigned best_prio = 65536, sum = 0, pick, any = 0;
	const struct sip_target *chosen = NULL;

	if (!res->n)
		return -EAGAIN;
	for (unsigned i = 0; i < res->n; i++)
		if (usable(&res->tg[i], now)) {
			any++;
			if (res->tg[i].prio < best_prio)
				best_prio = res->tg[i].prio;
		}
	if (!any) {
		/* all passed over: the one that comes back first */
		chosen = &res->tg[0];
		for (unsigned i = 1; i < res->n; i++)
			if (res->tg[i].down_until_ms < chosen->down_until_ms)
				chosen = &res->tg[i];
		goto out;
	}
	/* RFC 2782: within the priority, by weight (0 keeps a small chance) */
	for (unsigned i = 0; i < res->n; i++)
		if (usable(&res->tg[i], now) && res->tg[i].prio == best_prio)
			sum += res->tg[i].weight ? res->tg[i].weight * 100u : 1u;
	pick = rnd32(res->r) % sum;
	for (unsigned i = 0; i < res->n; i++) {
		unsigned w;

		if (!usable(&res->tg[i], now) || res->tg[i].prio != best_prio)
			continue;
		w = res->tg[i].weight ? res->tg[i].weight * 100u : 1u;
		chosen = &res->tg[i];
		if (pick < w)
			break;
		pick -= w;
	}
out:
	memset(d, 0, sizeof(*d));
	d->proto = chosen->proto;
	memcpy(&d->addr, &chosen->addr, chosen->addr_len);
	d->addr_len = chosen->addr_len;
	return 0;
}

static struct sip_target *target_of(struct sip_trunk_res *res, const struct sip_txn_dest *d)
{
	for (unsigned i = 0; i < res->n; i++)
		if (res->tg[i].addr_len == d->addr_len &&
		    !memcmp(&res->tg[i].addr, &d->addr, d->addr_len))
			return &res->tg[i];
	return NULL;
}

int sip_trunk_res_status(struct sip_trunk *t, const struct sip_txn_dest *d, unsigned status)
{
	struct sip_trunk_res *res = t->res;
	struct sip_target *tg;
	uint64_t now = now_ms();
	char a[64];

	if (!res || !(tg = target_of(res, d)))
		return -ENOENT;
	tg->last_status = status;
	tg->last_status_ms = now;
	tg->responses++;
	if (status != 408 && status != 503) {
		tg->down_until_ms = 0;
		return -ENOENT;
	}
	tg->failures++;
	if (res->n < 2)
		return -ENOENT; /* nothing to pass over to */
	tg->down_until_ms = now + (uint64_t)sip_resolver_cfg.down_s * 1000u;
	/* the one passed over first comes back first, also when two failed in
	 * the same millisecond (the choice when all are passed over) */
	for (unsigned i = 0; i < res->n; i++)
		if (&res->tg[i] != tg && res->tg[i].down_until_ms >= tg->down_until_ms)
			tg->down_until_ms = res->tg[i].down_until_ms + 1;
	tandem_addr_str(&tg->addr, a, sizeof(a));
	for (unsigned i = 0; i < res->n; i++)
		if (usable(&res->tg[i], now)) {
			LOGP(DSIP, LOGL_NOTICE,
			     "trunk %s: target %s %s gave %u: passed over for %u s, next target\n",
			     t->name, tg->name, a, status, sip_resolver_cfg.down_s);
			return 0;
		}
	LOGP(DSIP, LOGL_NOTICE, "trunk %s: target %s %s gave %u: no other target left\n", t->name,
	     tg->name, a, status);
	return -ENOENT;
}

bool sip_trunk_res_icmp(struct sip_trunk *t, const struct sip_txn_dest *d)
{
	struct sip_target *tg;

	if (!t->res || !(tg = target_of(t->res, d)) || tg->proto != d->proto)
		return false;
	tg->icmp++;
	return true;
}

unsigned sip_trunk_res_icmp_total(const struct sip_trunk *t)
{
	unsigned n = 0;

	for (unsigned i = 0; t->res && i < t->res->n; i++)
		n += t->res->tg[i].icmp;
	return n;
}

bool sip_trunk_res_has_addr(const struct sip_trunk *t, int family, const uint8_t *addr,
			    uint16_t port)
{
	const struct sip_trunk_res *res = t->res;

	if (!res)
		return false;
	for (unsigned i = 0; i < res->n; i++) {
		const struct sockaddr_storage *s = &res->tg[i].addr;

		if (s->ss_family != family)
			continue;
		if (family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)s;

			if (!memcmp(&a->sin_addr, addr, 4) && (!port || ntohs(a->sin_port) == port))
				return true;
		} else {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)s;

			if (!memcmp(&a->sin6_addr, addr, 16) &&
			    (!port || ntohs(a->sin6_port) == port))
				return true;
		}
	}
	return false;
}

bool sip_trunk_res_has_dest(const struct sip_trunk *t, const struct sip_txn_dest *d)
{
	const struct sip_trunk_res *res = t->res;

	if (!res)
		return false;
	for (unsigned i = 0; i < res->n; i++)
		if (res->tg[i].proto == d->proto && res->tg[i].addr_len == d->addr_len &&
		    !memcmp(&res->tg[i].addr, &d->addr, d->addr_len))
			return true;
	return false;
}

bool sip_trunk_last_status(const struct sip_trunk *t, unsigned *status, unsigned *ago_s)
{
	const struct sip_target *last = NULL;

	if (!t->res)
		return false;
	for (unsigned i = 0; i < t->res->n; i++)
		if (t->res->tg[i].last_status_ms &&
		    (!last || t->res->tg[i].last_status_ms > last->last_status_ms))
			last = &t->res->tg[i];
	if (!last)
		return false;
	*status = last->last_status;
	*ago_s = (unsigned)((now_ms() - last->last_status_ms) / 1000u);
	return true;
}

void sip_trunk_res_vty_show(struct vty *vty, const struct sip_trunk *t)
{
	const struct sip_trunk_res *res = t->res;
	uint64_t now = now_ms();

	if (!res || res->numeric)
		return;
	vty_out(vty, "  resolved %s: %s, %u target(s)", t->host, res->how[0] ? res->how : "-",
		res->n);
	if (res->busy)
		vty_out(vty, ", lookup under way");
	else if (res->expires_ms > now)
		vty_out(vty, ", TTL left %llu s",
			(unsigned long long)((res->expires_ms - now + 999) / 1000));
	if (res->last_err)
		vty_out(vty, ", last lookup: %s", ares_strerror(res->last_err));
	vty_out(vty, "%s", VTY_NEWLINE);
	for (unsigned i = 0; i < res->n; i++) {
		const struct sip_target *tg = &res->tg[i];
		char a[64];

		tandem_addr_str(&tg->addr, a, sizeof(a));
		vty_out(vty, "   target %s %s:%s prio %u weight %u: %s", tg->name,
			sip_proto_name(tg->proto), a, tg->prio, tg->weight,
			usable(tg, now) ? (tg->last_status ? "answering" : "untried")
					: "passed over");
		if (!usable(tg, now))
			vty_out(vty, " for %llu s",
				(unsigned long long)((tg->down_until_ms - now + 999) / 1000));
		if (tg->last_status)
			vty_out(vty, ", last %u %llu s ago", tg->last_status,
				(unsigned long long)((now - tg->last_status_ms) / 1000));
		vty_out(vty, ", %u responses, %u failures", tg->responses, tg->failures);
		if (tg->icmp)
			vty_out(vty, ", ICMP unreachable %u", tg->icmp);
		vty_out(vty, "%s", VTY_NEWLINE);
	}
}

DEFUN(cfg_sip_resolver, cfg_sip_resolver_cmd, "resolver servers LIST",
      "Trunk host names (RFC 3263 NAPTR/SRV/A)\nDNS servers (default: /etc/resolv.conf)\n"
      "IP:PORT[,IP:PORT...]\n")
{
	talloc_free((char *)sip_resolver_cfg.servers);
	sip_resolver_cfg.servers = talloc_strdup(tall_vty_ctx, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_sip_resolver_down, cfg_sip_resolver_down_cmd, "resolver pass-over <1-3600>",
      "Trunk host names (RFC 3263 NAPTR/SRV/A)\n"
      "How long a target that did not answer is passed over\nSeconds (default 30)\n")
{
	sip_resolver_cfg.down_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

void sip_resolver_vty_init(void)
{
	install_element(TANDEM_SIP_NODE, &cfg_sip_resolver_cmd);
	install_element(TANDEM_SIP_NODE, &cfg_sip_resolver_down_cmd);
}

void sip_resolver_vty_write(struct vty *vty)
{
	if (sip_resolver_cfg.servers)
		vty_out(vty, " resolver servers %s%s", sip_resolver_cfg.servers, VTY_NEWLINE);
	if (sip_resolver_cfg.down_s != 30)
		vty_out(vty, " resolver pass-over %u%s", sip_resolver_cfg.down_s, VTY_NEWLINE);
}
