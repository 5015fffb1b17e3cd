/* c-ares driven by the io_uring loop: the resolver's sockets are polled
 * through the ring and its timeouts are a loop timer, so DNS (ENUM) never
 * blocks the signalling thread. */
#pragma once

#include <ares.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct loop_ares;

/* Create a c-ares channel driven by l. opts/optmask as for
 * ares_init_options(); the socket-state callback is ours. NULL on failure. */
struct loop_ares *loop_ares_alloc(void *ctx, struct loop *l, struct ares_options *opts,
				  int optmask);
ares_channel loop_ares_channel(struct loop_ares *a);
/* Call after starting queries, so the timeout is (re)armed. */
void loop_ares_kick(struct loop_ares *a);
/* The smallest TTL of the answer section of a DNS reply (c-ares' parsers of
 * NAPTR and SRV replies drop it): 0, or -EBADMSG for a malformed reply. */
int loop_ares_answer_ttl(const uint8_t *abuf, size_t alen, uint32_t *ttl);
/* Cancels pending queries (their callbacks run with ARES_EDESTRUCTION). */
void loop_ares_free(struct loop_ares *a);
