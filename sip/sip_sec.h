/* The SIP edge's trust boundary: which sources may send requests (a
 * configured trunk's remote address or one of its allow entries), the
 * per-source rate limit for everyone else, and the counters of what was
 * refused ("show sip security").
 *
 * Every check runs on the received bytes before the transaction layer sees
 * them: a refused request leaves no transaction, dialog, call or circuit
 * behind, and its ACK is dropped the same way. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sip/sip_msg.h"
#include "sip/sip_transport.h"

struct loop;
struct sip_sec;
struct sip_trunk;
struct sip_pike_stats;

struct sip_sec_cfg {
	bool unknown_drop;	/* requests from unknown sources: no answer (else 403) */
	bool flood_limit;	/* per-source rate limit for sources that are no trunk */
	unsigned flood_rate;	/* requests per second per source */
	unsigned flood_burst;	/* requests at once */
	unsigned flood_sources; /* sources remembered */
	unsigned reply_rate;	/* 403s per second in all (reflection bound) */
	/* optional: the same per source for trunk sources, out-of-dialog
	 * requests past it answered 503 with Retry-After (default off: a
	 * trunk's own "limits" bound its calls) */
	bool trunk_limit;
	unsigned trunk_rate, trunk_burst;
	char *user_agent; /* Server / User-Agent header; NULL: "tandem" */
	/* stream transports */
	unsigned max_conns, max_conns_per_source;
	unsigned max_msg;	   /* bytes of one message (stream buffering bound) */
	unsigned header_timeout_s; /* a message must be complete this long after it began */
	unsigned idle_timeout_s;
	/* ICMP unreachable for a UDP request (RFC 3261 18.4): counted and
	 * logged only, the transactions left to Timer B/F (where forged ICMP
	 * errors are a concern more than dead targets) */
	bool icmp_ignore;
};
extern struct sip_sec_cfg sip_sec_cfg;

enum sip_sec_refusal {
	SIP_SEC_R_UNKNOWN_SOURCE,  /* request from no trunk: 403 */
	SIP_SEC_R_UNKNOWN_DROPPED, /* the same with "unknown-sources drop" */
	SIP_SEC_R_UNKNOWN_ACK,	   /* ACK from no trunk (to our 403): dropped */
	SIP_SEC_R_UNKNOWN_BAD,	   /* unparseable from no trunk: dropped, no 400 */
	SIP_SEC_R_FLOOD,	   /* over the per-source rate: dropped */
	SIP_SEC_R_REPLY_BUDGET,	   /* 403 not sent: over the reply rate in all */
	SIP_SEC_R_TRUNK_RATE,	   /* a trunk source over its rate: 503 */
	_SIP_SEC_R_NUM
};

struct sip_sec_stats {
	uint64_t admitted;	/* messages from trunks */
	uint64_t stranger_msgs; /* messages from other sources (responses included) */
	uint64_t refused[_SIP_SEC_R_NUM];
	uint64_t log_lines, log_suppressed;
};

enum sip_sec_source {
	SIP_SEC_TRUNK,	  /* a trunk's address or allow entry */
	SIP_SEC_STRANGER, /* anyone else, within its rate */
	SIP_SEC_FLOOD,	  /* anyone else, over its rate: drop without parsing */
};

struct sip_sec *sip_sec_alloc(void *ctx, struct loop *l, uint64_t seed);
void sip_sec_free(struct sip_sec *s);

/* The trunk a source belongs to: remote address and port, then remote
 * address alone, then the allow entries (proto < 0: any transport). */
struct sip_trunk *sip_sec_trunk_match(const struct sockaddr *src, int proto);

/* Before parsing: who sent it. */
enum sip_sec_source sip_sec_classify(struct sip_sec *s, const struct sip_rx *rx);

/* An out-of-dialog request from a trunk source (not ACK or CANCEL): true
 * when it is over "flood-limit trunks" and gets 503 (counted, logged). */
bool sip_sec_trunk_over(struct sip_sec *s, const struct sip_rx *rx);

/* A request from a stranger (m NULL: it did not parse). Counts, logs (one
 * line per source per minute) and says whether to answer 403. */
bool sip_sec_refuse(struct sip_sec *s, const struct sip_rx *rx, const struct sip_msg *m);

const struct sip_sec_stats *sip_sec_get_stats(const struct sip_sec *s);
const char *sip_sec_refusal_name(enum sip_sec_refusal r);
/* The Server / User-Agent value. */
const char *sip_sec_user_agent(void);

/* "show sip security" reads the running UA's state through this. */
void sip_sec_vty_set(struct sip_sec *s, struct sip_transport *tr, struct loop *l);
void sip_sec_vty_init(void);
struct vty;
void sip_sec_vty_write(struct vty *vty);
void sip_sec_vty_write_trunk(struct vty *vty, const struct sip_trunk *t);
/* The flood table's counters (NULL: no flood limit). */
const struct sip_pike_stats *sip_sec_flood_stats(const struct sip_sec *s);
/* A listen address as written is an address (refused with the reason). */
bool sip_sec_addr_ok(struct vty *vty, const char *addr);
/* Cross-checks of the "sip" node after reading (certificate files, trunk
 * addresses): problems printed to out as FILE:LINE: what; returns their
 * number. */
int sip_sec_cfg_check(FILE *out);
