/* Per-source request rate limit (see sip_pike.h). */
#include <string.h>

#include <osmocom/core/talloc.h>

#include "sip/sip_pike.h"

#define PROBE 8 /* slots looked at for one source */

struct pike_src {
	uint8_t addr[16];
	uint8_t family; /* 0: free */
	uint32_t milli; /* tokens * 1000 */
	uint64_t last_ms, note_ms;
};

struct sip_pike {
	struct sip_pike_cfg cfg;
	uint64_t seed;
	unsigned mask;
	struct pike_src *src;
	struct sip_pike_stats st;
};

struct sip_pike *sip_pike_alloc(void *ctx, const struct sip_pike_cfg *cfg, uint64_t seed)
{
	struct sip_pike *p = talloc_zero(ctx, struct sip_pike);
	unsigned n = 64;

	if (!p)
		return NULL;
	p->cfg = *cfg;
	if (!p->cfg.rate)
		p->cfg.rate = 1;
	if (p->cfg.burst < 1)
		p->cfg.burst = 1;
	while (n < p->cfg.max_sources && n < (1u << 24))
		n <<= 1;
	p->src = talloc_zero_array(p, struct pike_src, n);
	if (!p->src) {
		talloc_free(p);
		return NULL;
	}
	p->mask = n - 1;
	p->seed = seed | 1;
	p->st.slots = n;
	return p;
}

void sip_pike_free(struct sip_pike *p)
{
	talloc_free(p);
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static unsigned hash(const struct sip_pike *p, int family, const uint8_t addr[16])
{
	uint64_t a, b;

	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	return (unsigned)mix(mix(p->seed ^ a ^ (uint64_t)family) ^ b ^ p->seed);
}

/* Tokens a source would have now. */
static uint64_t tokens_now(const struct sip_pike *p, const struct pike_src *s, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)p->cfg.burst * 1000u, m = s->milli;

	if (now_ms > s->last_ms)
		m += (now_ms - s->last_ms) * p->cfg.rate;
	return m > cap ? cap : m;
}

/* The source's slot, made if needed: a free slot of the probe window, or
 * the one with the most tokens (a quiet source, whose bucket is full: to
 * forget it changes nothing), the least recently used among equals. A
 * source over its rate has none and is the last to go, so that a flood
 * of new addresses cannot wash a flooder's empty bucket out. */
static struct pike_src *lookup(struct sip_pike *p, int family, const uint8_t addr[16],
			       uint64_t now_ms)
{
	unsigned h = hash(p, family, addr);
	struct pike_src *victim = NULL;
	uint64_t victim_tokens = 0;

	for (unsigned i = 0; i < PROBE; i++) {
		struct pike_src *s = &p->src[(h + i) & p->mask];
		uint64_t tk;

		if (s->family == family && !memcmp(s->addr, addr, 16))
			return s;
		if (!s->family) {
			if (!victim || victim->family)
				victim = s;
			continue;
		}
		if (victim && !victim->family)
			continue;
		tk = tokens_now(p, s, now_ms);
		if (!victim || tk > victim_tokens ||
		    (tk == victim_tokens && s->last_ms < victim->last_ms)) {
			victim = s;
			victim_tokens = tk;
		}
	}
	if (victim->family)
		p->st.evicted++;
	else
		p->st.sources++;
	memcpy(victim->addr, addr, 16);
	victim->family = (uint8_t)family;
	victim->milli = p->cfg.burst * 1000u;
	victim->last_ms = now_ms;
	victim->note_ms = 0;
	return victim;
}

bool sip_pike_take(struct sip_pike *p, int family, const uint8_t addr[16], uint64_t now_ms)
{
	struct pike_src *s = lookup(p, family, addr, now_ms);

	/* rate tokens a second = rate milli-tokens a millisecond */
	s->milli = (uint32_t)tokens_now(p, s, now_ms);
	s->last_ms = now_ms;
	if (s->milli >= 1000) {
		s->milli -= 1000;
		p->st.taken++;
		return true;
	}
	p->st.limited++;
	return false;
}

bool sip_pike_note(struct sip_pike *p, int family, const uint8_t addr[16], uint64_t now_ms,
		   uint64_t interval_ms)
{
	struct pike_src *s = lookup(p, family, addr, now_ms);

	if (s->note_ms && now_ms - s->note_ms < interval_ms)
		return false;
	s->note_ms = now_ms ? now_ms : 1;
	return true;
}

const struct sip_pike_stats *sip_pike_get_stats(const struct sip_pike *p)
{
	return &p->st;
}
