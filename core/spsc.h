/* Single-producer / single-consumer queue of fixed-size items, lock-free.
 * The signalling thread and each media worker talk through a pair of these;
 * the consumer is woken through its loop (struct loop_wake). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spsc;

/* capacity is rounded up to a power of two; item_size bytes per item. */
struct spsc *spsc_alloc(void *ctx, size_t capacity, size_t item_size);
void spsc_free(struct spsc *q);

/* Producer side. false when full (the item is not queued). */
bool spsc_push(struct spsc *q, const void *item);
/* Consumer side. false when empty. */
bool spsc_pop(struct spsc *q, void *item);

/* Producer side: give back the whole pages of the free slots (a queue that
 * once ran deep, or simply wrapped round, has all its pages resident);
 * the bytes given. The items queued stay; the consumer may run meanwhile. */
size_t spsc_trim(struct spsc *q);

size_t spsc_count(const struct spsc *q);
size_t spsc_capacity(const struct spsc *q);
