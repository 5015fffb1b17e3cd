/* RTP/RTCP port pairs from a configured range (RFC 3550 11: RTP on an
 * even port, RTCP on the next odd one). A bitmap sized at start-up and a
 * rotating cursor, so a freed pair is the last to be handed out again and
 * late packets of an old call do not land in a new one. Pure; the caller
 * binds the sockets (and returns a pair it could not bind). */
#pragma once

#include <stdint.h>

struct port_pool;

/* Pairs (p, p + 1) with lo <= p, p + 1 <= hi, p even. NULL if none fit. */
struct port_pool *port_pool_alloc(void *ctx, uint16_t lo, uint16_t hi);
void port_pool_free(struct port_pool *pp);
/* Take a pair: 0 and *rtp_port set (RTCP is *rtp_port + 1), or -ENOSPC. */
int port_pool_get(struct port_pool *pp, uint16_t *rtp_port);
/* Give a pair back: 0, or -EINVAL if it is not one handed out. */
int port_pool_put(struct port_pool *pp, uint16_t rtp_port);
unsigned port_pool_available(const struct port_pool *pp);
unsigned port_pool_size(const struct port_pool *pp);
