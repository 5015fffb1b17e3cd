/* Free stack of slot numbers (see slot_pool.h). */
#include <errno.h>

#include <osmocom/core/talloc.h>

#include "media/slot_pool.h"

int media_slot_pool_init(void *ctx, struct slot_pool *p, uint32_t n)
{
	p->n = n;
	p->nfree = n;
	p->free = talloc_array(ctx, uint32_t, n ? n : 1);
	p->used = talloc_zero_array(ctx, uint8_t, n ? n : 1);
	if (!p->free || !p->used)
		return -ENOMEM;
	/* top of the stack is slot 0 */
	for (uint32_t i = 0; i < n; i++)
		p->free[i] = n - 1 - i;
	return 0;
}

int media_slot_pool_peek(const struct slot_pool *p, uint32_t *slot)
{
	if (!p->nfree)
		return -ENOSPC;
	*slot = p->free[p->nfree - 1];
	return 0;
}

int media_slot_pool_get(struct slot_pool *p, uint32_t *slot)
{
	uint32_t s;

	if (!p->nfree)
		return -ENOSPC;
	s = p->free[--p->nfree];
	p->used[s] = 1;
	*slot = s;
	return 0;
}

int media_slot_pool_put(struct slot_pool *p, uint32_t slot)
{
	if (slot >= p->n)
		return -EINVAL;
	if (!p->used[slot])
		return -EALREADY;
	p->used[slot] = 0;
	p->free[p->nfree++] = slot;
	return 0;
}

bool media_slot_pool_used(const struct slot_pool *p, uint32_t slot)
{
	return slot < p->n && p->used[slot];
}
