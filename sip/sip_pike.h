/* Per-source request rate limit (flood and scan protection).
 *
 * A table of sources of bounded size: each source has a token bucket
 * (rate tokens a second, at most burst stored); a request takes one token,
 * and a source with none left is over its rate. The table never grows: a
 * new source takes a free slot in its probe window, or the one used least
 * recently in that window (an idle source's bucket is full, so forgetting
 * it changes nothing). The hash is keyed with a secret, so that a sender
 * cannot choose addresses that collide.
 *
 * Pure: the caller passes the time; no I/O, no globals. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct sip_pike;

struct sip_pike_cfg {
	unsigned rate;	      /* requests per second a source may send, sustained */
	unsigned burst;	      /* requests it may send at once after being quiet */
	unsigned max_sources; /* table size (rounded up to a power of two, >= 64) */
};

struct sip_pike_stats {
	uint64_t taken;	  /* requests within the rate */
	uint64_t limited; /* requests over it */
	uint64_t evicted; /* sources forgotten to make room */
	unsigned sources; /* slots in use */
	unsigned slots;
};

struct sip_pike *sip_pike_alloc(void *ctx, const struct sip_pike_cfg *cfg, uint64_t seed);
void sip_pike_free(struct sip_pike *p);

/* One request from the source (family AF_INET/AF_INET6, addr in network
 * order, 4 or 16 bytes used) at now_ms. true: within its rate. */
bool sip_pike_take(struct sip_pike *p, int family, const uint8_t addr[16], uint64_t now_ms);

/* A per-source reminder for rate-limited logging: true when nothing was
 * noted for this source in the last interval_ms (and notes now). */
bool sip_pike_note(struct sip_pike *p, int family, const uint8_t addr[16], uint64_t now_ms,
		   uint64_t interval_ms);

const struct sip_pike_stats *sip_pike_get_stats(const struct sip_pike *p);
