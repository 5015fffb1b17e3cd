/* RTP port pair pool. */
#include <errno.h>
#include <talloc.h>

#include "media/port_pool.h"

struct port_pool {
	uint16_t base; /* first even port */
	unsigned n;    /* pairs */
	unsigned avail;
	unsigned cursor; /* next pair index to try */
	uint64_t *used;	 /* bit set: pair handed out */
};

struct port_pool *port_pool_alloc(void *ctx, uint16_t lo, uint16_t hi)
{
	struct port_pool *pp;
	unsigned base = (lo + 1u) & ~1u, n;

	if (base + 1 > hi)
		return NULL;
	n = (hi - base + 1u) / 2;
	pp = talloc_zero(ctx, struct port_pool);
	if (!pp)
		return NULL;
	pp->used = talloc_zero_array(pp, uint64_t, (n + 63) / 64);
	if (!pp->used) {
		talloc_free(pp);
		return NULL;
	}
	pp->base = (uint16_t)base;
	pp->n = n;
	pp->avail = n;
	return pp;
}

void port_pool_free(struct port_pool *pp)
{
	talloc_free(pp);
}

int port_pool_get(struct port_pool *pp, uint16_t *rtp_port)
{
	unsigned words = (pp->n + 63) / 64, i = pp->cursor;

	if (!pp->avail)
		return -ENOSPC;
	/* Scan word by word from the cursor, wrapping once. */
	for (unsigned k = 0; k <= words; k++) {
		unsigned w = i / 64;
		uint64_t free_bits = ~pp->used[w];

		/* Only bits at or after i in this word, and inside the range. */
		free_bits &= ~0ull << (i % 64);
		if (w == words - 1 && pp->n % 64)
			free_bits &= (1ull << (pp->n % 64)) - 1;
		if (free_bits) {
			unsigned b = (unsigned)__builtin_ctzll(free_bits), idx = w * 64 + b;

			pp->used[w] |= 1ull << b;
			pp->avail--;
			pp->cursor = idx + 1 == pp->n ? 0 : idx + 1;
			*rtp_port = (uint16_t)(pp->base + 2 * idx);
			return 0;
		}
		i = (w + 1 == words) ? 0 : (w + 1) * 64;
	}
	return -ENOSPC;
}

int port_pool_put(struct port_pool *pp, uint16_t rtp_port)
{
	unsigned idx;

	if (rtp_port < pp->base || (rtp_port - pp->base) & 1)
		return -EINVAL;
	idx = (rtp_port - pp->base) / 2u;
	if (idx >= pp->n || !(pp->used[idx / 64] & (1ull << (idx % 64))))
		return -EINVAL;
	pp->used[idx / 64] &= ~(1ull << (idx % 64));
	pp->avail++;
	return 0;
}

unsigned port_pool_available(const struct port_pool *pp)
{
	return pp->avail;
}

unsigned port_pool_size(const struct port_pool *pp)
{
	return pp->n;
}
