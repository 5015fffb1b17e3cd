/* Log lines of a worker thread, emitted by the signalling thread (see
 * core/log.h). */
#pragma once

#include <stdint.h>

#include "core/log.h"

struct loop;

/* Made by the signalling thread on its loop; depth lines may wait. */
struct log_relay *tandem_log_relay_alloc(void *ctx, struct loop *sig_loop, unsigned depth);
/* Emit what waits, then free (after the producer thread has ended). */
void tandem_log_relay_free(struct log_relay *r);
/* The calling thread's LOGP lines go to r from now on (NULL: back to
 * libosmocore directly). */
void tandem_log_relay_attach(struct log_relay *r);
/* Lines lost because the queue was full. */
uint64_t tandem_log_relay_dropped(const struct log_relay *r);
