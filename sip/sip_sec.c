/* The SIP edge's trust boundary (see sip_sec.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/throttle.h"
#include "sip/sip_acl.h"
#include "sip/sip_pike.h"
#include "sip/sip_sec.h"
#include "sip/sip_resolve.h"
#include "sip/sip_trunk.h"

#define LOG_INTERVAL_MS 60000 /* one line per source per minute */
#define LOG_RATE	10    /* and at most this many lines a second in all */

struct sip_sec {
	struct loop *l;
	struct sip_pike *pike;		  /* NULL: no flood limit */
	struct sip_pike *logs;		  /* per-source log reminders (always there) */
	struct sip_pike *trunk_pike;	  /* "flood-limit trunks", made when first needed */
	unsigned trunk_rate, trunk_burst; /* what trunk_pike was made with */
	uint64_t seed;
	struct sip_sec_stats st;
	struct throttle reply_bucket; /* 403s, all strangers together */
	struct throttle log_bucket;   /* log lines, all strangers together */
};

static const char *const refusal_names[_SIP_SEC_R_NUM] = {
	[SIP_SEC_R_UNKNOWN_SOURCE] = "unknown source, 403",
	[SIP_SEC_R_UNKNOWN_DROPPED] = "unknown source, dropped",
	[SIP_SEC_R_UNKNOWN_ACK] = "ACK from unknown source, dropped",
	[SIP_SEC_R_UNKNOWN_BAD] = "unparseable from unknown source, dropped",
	[SIP_SEC_R_FLOOD] = "over the per-source rate, dropped",
	[SIP_SEC_R_REPLY_BUDGET] = "403 not sent (reply rate), dropped",
	[SIP_SEC_R_TRUNK_RATE] = "trunk source over its rate, 503",
};

const char *sip_sec_refusal_name(enum sip_sec_refusal r)
{
	return r < _SIP_SEC_R_NUM ? refusal_names[r] : "?";
}

const char *sip_sec_user_agent(void)
{
	return sip_sec_cfg.user_agent ? sip_sec_cfg.user_agent : "tandem";
}

struct sip_sec *sip_sec_alloc(void *ctx, struct loop *l, uint64_t seed)
{
	struct sip_sec *s = talloc_zero(ctx, struct sip_sec);
	const struct sip_sec_cfg *c = &sip_sec_cfg;

	if (!s)
		return NULL;
	s->l = l;
	s->seed = seed;
	if (c->flood_limit) {
		s->pike = sip_pike_alloc(s,
					 &(struct sip_pike_cfg){.rate = c->flood_rate,
								.burst = c->flood_burst,
								.max_sources = c->flood_sources},
					 seed);
		if (!s->pike)
			goto fail;
	}
	s->logs = sip_pike_alloc(s,
				 &(struct sip_pike_cfg){.rate = 1, .burst = 1, .max_sources = 1024},
				 seed * 31 + 7);
	if (!s->logs)
		goto fail;
	return s;
fail:
	talloc_free(s);
	return NULL;
}

void sip_sec_free(struct sip_sec *s)
{
	talloc_free(s);
}

static bool host_is(const char *host, int family, const uint8_t *addr)
{
	uint8_t a[16] = {0};

	if (!host)
		return false;
	if (family == AF_INET)
		return inet_pton(AF_INET, host, a) == 1 && !memcmp(a, addr, 4);
	return inet_pton(AF_INET6, host, a) == 1 && !memcmp(a, addr, 16);
}

struct sip_trunk *sip_sec_trunk_match(const struct sockaddr *src, int proto)
{
	struct sip_trunk *t;
	uint8_t addr[16];
	int family;
	uint16_t port;

	if (sip_acl_addr(src, addr, &family, &port) < 0)
		return NULL;
	/* address and port first (several trunks behind one host), then the
	 * address alone (a peer that sends from another port than it listens
	 * on, as every TCP/TLS connection it opens does), one of the
	 * request's transport first, then the allow entries */
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		if ((t->port == port && host_is(t->host, family, addr)) ||
		    sip_trunk_res_has_addr(t, family, addr, port))
			return t;
	}
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		if (proto >= 0 && (int)t->proto == proto && host_is(t->host, family, addr))
			return t;
	}
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		if (host_is(t->host, family, addr) || sip_trunk_res_has_addr(t, family, addr, 0))
			return t;
	}
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		for (unsigned i = 0; i < t->n_allow; i++) {
			const struct sip_acl_entry *e = &t->allow[i];

			if (proto < 0) {
				struct sip_acl_entry any = *e;

				any.protos = 0;
				if (sip_acl_entry_match(&any, src, SIP_PROTO_UDP))
					return t;
			} else if (sip_acl_entry_match(e, src, (enum sip_proto)proto)) {
				return t;
			}
		}
	}
	return NULL;
}

/* A token bucket shared by all strangers (rate a second, burst at once);
 * rate 0: no limit. */
static bool bucket_take(struct throttle *b, unsigned rate, unsigned burst)
{
	return tandem_throttle_take(
		b, &(struct throttle_cfg){.n = rate, .per_ms = 1000, .burst = burst},
		loop_now_ns() / 1000000, NULL);
}

/* A log line about a source, if it had none this minute and the lines of
 * all sources together stay under LOG_RATE a second (a scan from many
 * addresses is still a handful of lines). */
static bool log_due(struct sip_sec *s, int family, const uint8_t *addr)
{
	if (!sip_pike_note(s->logs, family, addr, loop_now_ns() / 1000000, LOG_INTERVAL_MS) ||
	    !bucket_take(&s->log_bucket, LOG_RATE, LOG_RATE * 5)) {
		s->st.log_suppressed++;
		return false;
	}
	s->st.log_lines++;
	return true;
}

enum sip_sec_source sip_sec_classify(struct sip_sec *s, const struct sip_rx *rx)
{
	uint8_t addr[16];
	int family;
	uint16_t port;

	if (sip_sec_trunk_match((const struct sockaddr *)&rx->src, (int)rx->proto)) {
		s->st.admitted++;
		return SIP_SEC_TRUNK;
	}
	s->st.stranger_msgs++;
	if (!s->pike || sip_acl_addr((const struct sockaddr *)&rx->src, addr, &family, &port) < 0)
		return SIP_SEC_STRANGER;
	if (sip_pike_take(s->pike, family, addr, loop_now_ns() / 1000000))
		return SIP_SEC_STRANGER;
	s->st.refused[SIP_SEC_R_FLOOD]++;
	if (log_due(s, family, addr)) {
		char host[INET6_ADDRSTRLEN] = "?";

		inet_ntop(family, addr, host, sizeof(host));
		LOGP(DSIP, LOGL_NOTICE,
		     "%s %s: over %u requests/s from one source: dropping (one line a minute)\n",
		     sip_proto_name(rx->proto), host, sip_sec_cfg.flood_rate);
	}
	return SIP_SEC_FLOOD;
}

bool sip_sec_trunk_over(struct sip_sec *s, const struct sip_rx *rx)
{
	const struct sip_sec_cfg *c = &sip_sec_cfg;
	uint8_t addr[16];
	int family;
	uint16_t port;

	if (!c->trunk_limit)
		return false;
	/* configured at run time: the table follows the setting */
	if (s->trunk_pike && (s->trunk_rate != c->trunk_rate || s->trunk_burst != c->trunk_burst))
		TALLOC_FREE(s->trunk_pike);
	if (!s->trunk_pike) {
		s->trunk_pike = sip_pike_alloc(s,
					       &(struct sip_pike_cfg){.rate = c->trunk_rate,
								      .burst = c->trunk_burst,
								      .max_sources = 1024},
					       s->seed ^ 0x5bd1e995);
		if (!s->trunk_pike)
			return false;
		s->trunk_rate = c->trunk_rate;
		s->trunk_burst = c->trunk_burst;
	}
	if (sip_acl_addr((const struct sockaddr *)&rx->src, addr, &family, &port) < 0 ||
	    sip_pike_take(s->trunk_pike, family, addr, loop_now_ns() / 1000000))
		return false;
	s->st.refused[SIP_SEC_R_TRUNK_RATE]++;
	if (log_due(s, family, addr)) {
		char host[INET6_ADDRSTRLEN] = "?";

		inet_ntop(family, addr, host, sizeof(host));
		LOGP(DSIP, LOGL_NOTICE,
		     "%s %s: trunk source over %u requests/s: 503 (one line a minute)\n",
		     sip_proto_name(rx->proto), host, c->trunk_rate);
	}
	return true;
}

bool sip_sec_refuse(struct sip_sec *s, const struct sip_rx *rx, const struct sip_msg *m)
{
	enum sip_sec_refusal r;
	uint8_t addr[16];
	int family;
	uint16_t port = 0;
	bool answer = false;

	if (!m)
		r = SIP_SEC_R_UNKNOWN_BAD;
	else if (m->meth == SIP_METHOD_ACK)
		r = SIP_SEC_R_UNKNOWN_ACK;
	else if (sip_sec_cfg.unknown_drop)
		r = SIP_SEC_R_UNKNOWN_DROPPED;
	else if (!bucket_take(&s->reply_bucket, sip_sec_cfg.reply_rate, sip_sec_cfg.reply_rate))
		r = SIP_SEC_R_REPLY_BUDGET;
	else {
		r = SIP_SEC_R_UNKNOWN_SOURCE;
		answer = true;
	}
	s->st.refused[r]++;
	if (sip_acl_addr((const struct sockaddr *)&rx->src, addr, &family, &port) < 0)
		return answer;
	if (log_due(s, family, addr)) {
		char host[INET6_ADDRSTRLEN] = "?";
		struct tstr meth = m ? m->method : (struct tstr){"?", 1};

		inet_ntop(family, addr, host, sizeof(host));
		LOGP(DSIP, LOGL_NOTICE,
		     "%s %s port %u: %.*s from a source that is no trunk: %s (one line a minute "
		     "per source; show sip security counts them all)\n",
		     sip_proto_name(rx->proto), host, port, TSTR_FMT(meth),
		     sip_sec_refusal_name(r));
	}
	return answer;
}

const struct sip_sec_stats *sip_sec_get_stats(const struct sip_sec *s)
{
	return &s->st;
}

const struct sip_pike_stats *sip_sec_flood_stats(const struct sip_sec *s)
{
	return s->pike ? sip_pike_get_stats(s->pike) : NULL;
}
