/* ENUM lookups (RFC 6116) on the signalling loop: NAPTR queries through
 * c-ares driven by the io_uring loop (core/loop_ares.h), the record set
 * processed by iw_enum_select(), with a positive cache honouring the
 * answer's TTL and a short negative cache. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "interwork/iw_enum.h"

struct loop;
struct iw_enum;

struct iw_enum_cfg {
	const char *servers; /* "127.0.0.1:5353,[::1]:53"; NULL: the system's resolv.conf */
	const char *suffix;  /* NULL: "e164.arpa" */
	unsigned timeout_ms; /* per try (default 1000) */
	unsigned tries;	     /* per server (default 2) */
	unsigned services;   /* IW_ENUM_SVC_* (default IW_ENUM_SVC_DEFAULT) */
	struct iw_enum_filter filter; /* enumservices accepted; n > 0 replaces services */
	uint32_t ttl_cap;	      /* seconds a positive answer is kept at most (default 300);
				       * an answer with TTL 0 is not cached */
	uint32_t neg_ttl;	      /* seconds NXDOMAIN / no usable record is kept (default 30) */
	unsigned max_entries; /* cache size, least recently used dropped first (default 1024) */
	bool no_cache;	      /* no cache at all */
	bool no_neg_cache;    /* no negative cache */
};

/* status: 0 found (r valid during the call only), -ENOENT NXDOMAIN, no NAPTR
 * or no usable record, -ETIMEDOUT no answer, -ECONNREFUSED every server
 * refused, failed or was unreachable (c-ares 1.18 tries the next server on
 * SERVFAIL/REFUSED and then reports them all as ARES_ECONNREFUSED), -EIO a
 * malformed answer or SERVFAIL as such, -ENOMEM. */
typedef void (*iw_enum_cb)(void *priv, int status, const struct iw_enum_result *r);

struct iw_enum *iw_enum_alloc(void *ctx, struct loop *l, const struct iw_enum_cfg *cfg);
/* Pending lookups are dropped: their callbacks do not run. */
void iw_enum_free(struct iw_enum *e);

/* Look e164 ("+4930123") up. The callback always runs later from the loop,
 * never inside this call, also for cache hits. A lookup of a number whose
 * query is already out waits for that answer (stats: joined). Returns 0, -EINVAL for a
 * number that is not E.164, -ENOMEM. */
int iw_enum_lookup(struct iw_enum *e, const char *e164, iw_enum_cb cb, void *priv);
/* Drop every pending lookup whose priv is priv (a call going away). Returns
 * how many. */
unsigned iw_enum_cancel(struct iw_enum *e, void *priv);

void iw_enum_cache_flush(struct iw_enum *e);
/* Every live cache entry, most recently used first: status 0 (r is the
 * answer) or -ENOENT (negative), seconds left. A non-zero return stops. */
typedef int (*iw_enum_cache_cb)(void *priv, const char *e164, int status,
				const struct iw_enum_result *r, unsigned ttl_left);
int iw_enum_cache_foreach(struct iw_enum *e, iw_enum_cache_cb cb, void *priv);

struct iw_enum_stats {
	uint64_t lookups, cache_hits, neg_hits, queries, joined, found, not_found, errors;
	unsigned cache_entries, pending;
};
void iw_enum_get_stats(const struct iw_enum *e, struct iw_enum_stats *st);

/* The smallest TTL of the answer records in a DNS response (RFC 1035 4.1.3),
 * since ares_parse_naptr_reply() does not report TTLs. 0 or -EBADMSG. */
int iw_enum_answer_ttl(const uint8_t *abuf, size_t alen, uint32_t *ttl);
