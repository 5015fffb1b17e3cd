#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <talloc.h>

#include "core/spsc.h"

struct spsc {
	/* Producer and consumer indices 64 bytes apart: each is written by
	 * one thread only, so keep them off a shared cache line. */
	_Atomic size_t head; /* next slot to write (producer) */
	char pad1[64 - sizeof(size_t)];
	_Atomic size_t tail; /* next slot to read (consumer) */
	char pad2[64 - sizeof(size_t)];
	size_t mask;
	size_t item_size;
	uint8_t *items;
};

struct spsc *spsc_alloc(void *ctx, size_t capacity, size_t item_size)
{
	struct spsc *q;
	size_t cap = 1;

	if (!capacity || !item_size)
		return NULL;
	while (cap < capacity)
		cap <<= 1;
	q = talloc_zero(ctx, struct spsc);
	if (!q)
		return NULL;
	q->items = talloc_size(q, cap * item_size);
	if (!q->items) {
		talloc_free(q);
		return NULL;
	}
	q->mask = cap - 1;
	q->item_size = item_size;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	return q;
}

void spsc_free(struct spsc *q)
{
	talloc_free(q);
}

bool spsc_push(struct spsc *q, const void *item)
{
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);

	if (head - tail > q->mask)
		return false;
	memcpy(q->items + (head & q->mask) * q->item_size, item, q->item_size);
	/* release: the item's bytes are visible before the new head */
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	return true;
}

bool spsc_pop(struct spsc *q, void *item)
{
	size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&q->head, memory_order_acquire);

	if (tail == head)
		return false;
	memcpy(item, q->items + (tail & q->mask) * q->item_size, q->item_size);
	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	return true;
}

/* the whole pages of items[from, to) */
static size_t drop_pages(uint8_t *from, uint8_t *to)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)from + ps - 1) & ~(ps - 1), b = (uintptr_t)to & ~(ps - 1);

	if (b <= a || madvise((void *)a, b - a, MADV_DONTNEED) < 0)
		return 0;
	return b - a;
}

size_t spsc_trim(struct spsc *q)
{
	/* Slots [head, tail + capacity) are free: only the producer writes
	 * there (at head, after this returns). The acquire load of tail
	 * orders the consumer's reads of every slot before it (done before
	 * its release store) before the pages go; tail only grows, so the
	 * free span can only be larger than seen. */
	size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	size_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	size_t cap = q->mask + 1, nfree = cap - (head - tail);
	size_t start = (head & q->mask) * q->item_size, len = nfree * q->item_size;
	size_t all = cap * q->item_size;

	if (!nfree)
		return 0;
	if (start + len <= all)
		return drop_pages(q->items + start, q->items + start + len);
	return drop_pages(q->items + start, q->items + all) +
	       drop_pages(q->items, q->items + (start + len - all));
}

size_t spsc_count(const struct spsc *q)
{
	return atomic_load(&q->head) - atomic_load(&q->tail);
}

size_t spsc_capacity(const struct spsc *q)
{
	return q->mask + 1;
}
