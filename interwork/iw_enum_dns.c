/* ENUM lookups through c-ares on the loop; see iw_enum_dns.h. */
#include <arpa/nameser.h>
#include <errno.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/loop_ares.h"
#include "interwork/iw_enum_dns.h"

#define NAPTR_MAX 64 /* records of one answer that are looked at */

struct cache_ent {
	struct llist_head lru;	  /* most recently used first */
	struct llist_head bucket; /* hash chain */
	char e164[IW_ENUM_E164_MAX + 2];
	int status; /* 0 or -ENOENT */
	struct iw_enum_result r;
	uint64_t expires_ns;
};

/* One NAPTR query in c-ares; lookups of the same number made while it is
 * out wait on it instead of asking again. */
struct flight {
	struct llist_head list;	   /* e->flights */
	struct llist_head waiters; /* struct iw_enum_q.wait */
	struct iw_enum *e;
	char e164[IW_ENUM_E164_MAX + 2];
};

struct iw_enum_q {
	struct llist_head list; /* e->pending, until delivered or cancelled */
	struct llist_head wait; /* flight->waiters while the answer is out */
	struct flight *f;	/* NULL once answered (or a cache hit) */
	struct iw_enum *e;
	iw_enum_cb cb;
	void *priv;
	struct loop_timer tmr; /* delivers the answer from the loop */
	int status;
	struct iw_enum_result r;
};

struct iw_enum {
	struct loop *l;
	struct loop_ares *a;
	struct iw_enum_cfg cfg;
	char suffix[256];
	struct llist_head pending;
	struct llist_head flights;
	struct llist_head lru;
	struct llist_head *buckets;
	unsigned nbuckets, nentries;
	struct iw_enum_stats st;
	bool freeing;
};

static unsigned hash_str(const char *s, unsigned nbuckets)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h & (nbuckets - 1);
}

static void ent_free(struct iw_enum *e, struct cache_ent *c)
{
	llist_del(&c->lru);
	llist_del(&c->bucket);
	e->nentries--;
	talloc_free(c);
}

static struct cache_ent *cache_find(struct iw_enum *e, const char *e164)
{
	struct cache_ent *c;

	if (!e->nbuckets)
		return NULL;
	llist_for_each_entry(c, &e->buckets[hash_str(e164, e->nbuckets)], bucket)
	{
		if (strcmp(c->e164, e164))
			continue;
		if (c->expires_ns <= loop_now_ns()) {
			ent_free(e, c);
			return NULL;
		}
		llist_del(&c->lru);
		llist_add(&c->lru, &e->lru);
		return c;
	}
	return NULL;
}

static void cache_put(struct iw_enum *e, const char *e164, int status,
		      const struct iw_enum_result *r, uint32_t secs)
{
	struct cache_ent *c;

	if (!e->nbuckets || !secs)
		return;
	c = cache_find(e, e164);
	if (c) {
		ent_free(e, c);
	} else if (e->nentries >= e->cfg.max_entries) {
		ent_free(e, llist_last_entry(&e->lru, struct cache_ent, lru));
	}
	c = talloc_zero(e, struct cache_ent);
	if (!c)
		return;
	memcpy(c->e164, e164, sizeof(c->e164));
	c->status = status;
	if (r)
		c->r = *r;
	c->expires_ns = loop_now_ns() + (uint64_t)secs * 1000000000ull;
	llist_add(&c->lru, &e->lru);
	llist_add(&c->bucket, &e->buckets[hash_str(e164, e->nbuckets)]);
	e->nentries++;
}

int iw_enum_cache_foreach(struct iw_enum *e, iw_enum_cache_cb cb, void *priv)
{
	struct cache_ent *c;
	uint64_t now = loop_now_ns();
	int rc;

	llist_for_each_entry(c, &e->lru, lru)
	{
		if (c->expires_ns <= now)
			continue;
		rc = cb(priv, c->e164, c->status, &c->r,
			(unsigned)((c->expires_ns - now + 999999999ull) / 1000000000ull));
		if (rc)
			return rc;
	}
	return 0;
}

void iw_enum_cache_flush(struct iw_enum *e)
{
	struct cache_ent *c, *n;

	llist_for_each_entry_safe(c, n, &e->lru, lru) ent_free(e, c);
}

int iw_enum_answer_ttl(const uint8_t *b, size_t len, uint32_t *ttl)
{
	return loop_ares_answer_ttl(b, len, ttl);
}

static int status_from_ares(int st)
{
	switch (st) {
	case ARES_SUCCESS:
		return 0;
	case ARES_ENOTFOUND: /* NXDOMAIN */
	case ARES_ENODATA:   /* the name exists, without NAPTR records */
		return -ENOENT;
	case ARES_ETIMEOUT:
		return -ETIMEDOUT;
	case ARES_ECONNREFUSED:
	case ARES_EREFUSED:
		return -ECONNREFUSED;
	case ARES_ENOMEM:
		return -ENOMEM;
	case ARES_ECANCELLED:
	case ARES_EDESTRUCTION:
		return -ECANCELED;
	default: /* ARES_ESERVFAIL, ARES_EFORMERR, ARES_EBADRESP, ... */
		return -EIO;
	}
}

static int answer_process(struct iw_enum *e, const char *e164, const uint8_t *abuf, int alen,
			  struct iw_enum_result *r)
{
	struct ares_naptr_reply *head = NULL, *x;
	struct iw_enum_naptr recs[NAPTR_MAX];
	size_t n = 0;
	uint32_t ttl = 0;
	int rc;

	if (ares_parse_naptr_reply(abuf, alen, &head) != ARES_SUCCESS)
		return -EIO;
	/* c-ares returns the records in wire order; iw_enum_select() sorts */
	for (x = head; x && n < NAPTR_MAX; x = x->next) {
		recs[n].order = x->order;
		recs[n].pref = x->preference;
		recs[n].flags = tstr_make((const char *)x->flags, strlen((const char *)x->flags));
		recs[n].service =
			tstr_make((const char *)x->service, strlen((const char *)x->service));
		recs[n].regexp =
			tstr_make((const char *)x->regexp, strlen((const char *)x->regexp));
		recs[n].replacement = tstr_make(x->replacement, strlen(x->replacement));
		n++;
	}
	rc = iw_enum_select_filter(recs, n, e164, &e->cfg.filter, r);
	ares_free_data(head);
	if (rc < 0)
		return rc;
	if (iw_enum_answer_ttl(abuf, (size_t)alen, &ttl) < 0)
		ttl = 0;
	r->ttl = ttl;
	return 0;
}

static void q_deliver(void *priv)
{
	struct iw_enum_q *q = priv;
	struct iw_enum *e = q->e;
	struct iw_enum_result r = q->r;
	iw_enum_cb cb = q->cb;
	void *cb_priv = q->priv;
	int status = q->status;

	/* freed before the callback: it may free e (and with it q) */
	llist_del(&q->list);
	talloc_free(q);
	if (status == 0)
		e->st.found++;
	else if (status == -ENOENT)
		e->st.not_found++;
	else
		e->st.errors++;
	cb(cb_priv, status, status == 0 ? &r : NULL);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct flight *f = arg;
	struct iw_enum *e = f->e;
	struct iw_enum_result r;
	struct iw_enum_q *q, *n;
	int st;

	(void)timeouts;
	llist_del(&f->list);
	if (e->freeing) { /* ARES_EDESTRUCTION from iw_enum_free() */
		talloc_free(f);
		return;
	}
	memset(&r, 0, sizeof(r));
	st = status_from_ares(status);
	if (st == 0)
		st = answer_process(e, f->e164, abuf, alen, &r);
	/* cached even when every waiter went away: the next call asks again */
	if (st == 0)
		cache_put(e, f->e164, 0, &r, r.ttl < e->cfg.ttl_cap ? r.ttl : e->cfg.ttl_cap);
	else if (st == -ENOENT)
		cache_put(e, f->e164, -ENOENT, NULL, e->cfg.neg_ttl);
	LOGP(DIW, st ? LOGL_INFO : LOGL_DEBUG, "ENUM %s: %s\n", f->e164,
	     st ? strerror(-st) : r.uri);
	llist_for_each_entry_safe(q, n, &f->waiters, wait)
	{
		llist_del(&q->wait);
		q->f = NULL;
		q->status = st;
		q->r = r;
		/* c-ares is inside ares_process_fd() here: answer from the loop */
		loop_timer_schedule(e->l, &q->tmr, 0);
	}
	talloc_free(f);
}

struct iw_enum *iw_enum_alloc(void *ctx, struct loop *l, const struct iw_enum_cfg *cfg)
{
	struct iw_enum *e = talloc_zero(ctx, struct iw_enum);
	struct ares_options o;
	unsigned i;

	if (!e)
		return NULL;
	e->l = l;
	INIT_LLIST_HEAD(&e->pending);
	INIT_LLIST_HEAD(&e->flights);
	INIT_LLIST_HEAD(&e->lru);
	if (cfg)
		e->cfg = *cfg;
	if (!e->cfg.ttl_cap)
		e->cfg.ttl_cap = 300;
	if (!e->cfg.neg_ttl)
		e->cfg.neg_ttl = 30;
	if (e->cfg.no_neg_cache)
		e->cfg.neg_ttl = 0;
	if (!e->cfg.max_entries)
		e->cfg.max_entries = 1024;
	if (!e->cfg.timeout_ms)
		e->cfg.timeout_ms = 1000;
	if (!e->cfg.tries)
		e->cfg.tries = 2;
	if (!e->cfg.services)
		e->cfg.services = IW_ENUM_SVC_DEFAULT;
	if (!e->cfg.filter.n)
		iw_enum_filter_from_bits(&e->cfg.filter, e->cfg.services);
	if (e->cfg.suffix) {
		if (strlen(e->cfg.suffix) >= sizeof(e->suffix))
			goto fail;
		strcpy(e->suffix, e->cfg.suffix);
	}
	e->cfg.suffix = e->suffix[0] ? e->suffix : NULL;
	e->cfg.servers = NULL; /* not kept: only needed here */
	{
		char probe[256];

		if (iw_enum_domain("+1", e->cfg.suffix, probe, sizeof(probe)) < 0)
			goto fail;
	}
	if (!e->cfg.no_cache) {
		for (e->nbuckets = 16;
		     e->nbuckets < e->cfg.max_entries && e->nbuckets < (1u << 20);)
			e->nbuckets <<= 1;
		e->buckets = talloc_array(e, struct llist_head, e->nbuckets);
		if (!e->buckets)
			goto fail;
		for (i = 0; i < e->nbuckets; i++)
			INIT_LLIST_HEAD(&e->buckets[i]);
	}
	memset(&o, 0, sizeof(o));
	o.timeout = (int)e->cfg.timeout_ms;
	o.tries = (int)e->cfg.tries;
	e->a = loop_ares_alloc(e, l, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (!e->a)
		goto fail;
	if (cfg && cfg->servers && *cfg->servers &&
	    ares_set_servers_ports_csv(loop_ares_channel(e->a), cfg->servers) != ARES_SUCCESS) {
		loop_ares_free(e->a);
		goto fail;
	}
	return e;
fail:
	talloc_free(e);
	return NULL;
}

static void q_drop(struct iw_enum_q *q)
{
	llist_del(&q->list);
	if (q->f)
		llist_del(&q->wait); /* the flight stays: its answer fills the cache */
	loop_timer_cancel(q->e->l, &q->tmr);
	talloc_free(q);
}

void iw_enum_free(struct iw_enum *e)
{
	struct iw_enum_q *q, *n;

	if (!e)
		return;
	llist_for_each_entry_safe(q, n, &e->pending, list) q_drop(q);
	/* the flights still in c-ares come back with ARES_EDESTRUCTION and
	 * free themselves (on_answer) */
	e->freeing = true;
	loop_ares_free(e->a);
	talloc_free(e);
}

unsigned iw_enum_cancel(struct iw_enum *e, void *priv)
{
	struct iw_enum_q *q, *n;
	unsigned cnt = 0;

	llist_for_each_entry_safe(q, n, &e->pending, list)
	{
		if (q->priv != priv)
			continue;
		q_drop(q);
		cnt++;
	}
	return cnt;
}

int iw_enum_lookup(struct iw_enum *e, const char *e164, iw_enum_cb cb, void *priv)
{
	char domain[300];
	struct cache_ent *c;
	struct iw_enum_q *q;
	struct flight *f;
	bool fresh = false;

	if (iw_enum_domain(e164, e->cfg.suffix, domain, sizeof(domain)) < 0)
		return -EINVAL;
	q = talloc_zero(e, struct iw_enum_q);
	if (!q)
		return -ENOMEM;
	q->e = e;
	q->cb = cb;
	q->priv = priv;
	loop_timer_init(&q->tmr, q_deliver, q);
	llist_add_tail(&q->list, &e->pending);
	e->st.lookups++;
	c = cache_find(e, e164);
	if (c) {
		e->st.cache_hits++;
		if (c->status)
			e->st.neg_hits++;
		q->status = c->status;
		if (!c->status) {
			uint64_t now = loop_now_ns();

			q->r = c->r;
			q->r.cached = true;
			q->r.ttl = (uint32_t)((c->expires_ns - now + 999999999ull) / 1000000000ull);
		}
		loop_timer_schedule(e->l, &q->tmr, 0);
		return 0;
	}
	llist_for_each_entry(f, &e->flights, list)
	{
		if (!strcmp(f->e164, e164)) {
			e->st.joined++;
			goto join;
		}
	}
	f = talloc_zero(e, struct flight);
	if (!f) {
		llist_del(&q->list);
		talloc_free(q);
		return -ENOMEM;
	}
	f->e = e;
	strcpy(f->e164, e164); /* checked: '+' and at most 15 digits */
	INIT_LLIST_HEAD(&f->waiters);
	llist_add_tail(&f->list, &e->flights);
	e->st.queries++;
	fresh = true;
join:
	q->f = f;
	llist_add_tail(&q->wait, &f->waiters);
	if (fresh) {
		/* may answer at once (on_answer frees f): f is not used after */
		ares_query(loop_ares_channel(e->a), domain, ns_c_in, ns_t_naptr, on_answer, f);
		loop_ares_kick(e->a);
	}
	return 0;
}

void iw_enum_get_stats(const struct iw_enum *e, struct iw_enum_stats *st)
{
	struct iw_enum_q *q;

	*st = e->st;
	st->cache_entries = e->nentries;
	st->pending = 0;
	llist_for_each_entry(q, &e->pending, list) st->pending++;
}
