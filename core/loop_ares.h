/* c-ares driven by the io_uring loop: the resolver's sockets are polled
 * through the ring and its timeouts are a loop timer, so DNS (ENUM) never
 * blocks the signalling thread. */
#pragma once

#include <ares.h>

struct loop;
struct loop_ares;

/* Create a c-ares channel driven by l. opts/optmask as for
 * ares_init_options(); the socket-state callback is ours. NULL on failure. */
struct loop_ares *loop_ares_alloc(void *ctx, struct loop *l, struct ares_options *opts,
				  int optmask);
ares_channel loop_ares_channel(struct loop_ares *a);
/* Call after starting queries, so the timeout is (re)armed. */
void loop_ares_kick(struct loop_ares *a);
/* Cancels pending queries (their callbacks run with ARES_EDESTRUCTION). */
void loop_ares_free(struct loop_ares *a);
