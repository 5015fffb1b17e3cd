/* A fixed pool of slot numbers 0..n-1 handed out and taken back in O(1):
 * a stack of the free ones plus one bit of state per slot, so a slot given
 * back twice (or never handed out) is refused rather than handed out to two
 * owners. Pure data, no locks: each media worker's pool is used by the
 * signalling thread only (media/worker.c media_chan_alloc, engine_events). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct slot_pool {
	uint32_t n;	/* slots 0..n-1 */
	uint32_t nfree; /* free[0..nfree-1]; free[nfree-1] is handed out next */
	uint32_t *free;
	uint8_t *used; /* 1 while handed out */
};

/* The pool's arrays under ctx (talloc); 0 or -ENOMEM. Slot 0 comes first,
 * then 1, 2, ...; a slot given back is the next one handed out. */
int media_slot_pool_init(void *ctx, struct slot_pool *p, uint32_t n);
/* The next free slot without taking it; -ENOSPC when none is free. */
int media_slot_pool_peek(const struct slot_pool *p, uint32_t *slot);
/* Takes the next free slot (the one media_slot_pool_peek names); 0 or -ENOSPC. */
int media_slot_pool_get(struct slot_pool *p, uint32_t *slot);
/* Gives a slot back: 0, -EINVAL past the pool, -EALREADY when it is free. */
int media_slot_pool_put(struct slot_pool *p, uint32_t slot);
bool media_slot_pool_used(const struct slot_pool *p, uint32_t slot);
