/* Memory of the running gateway: "show memory" (RSS, talloc, signalling
 * bytes per call) and giving freed heap back to the system once the load
 * has fallen (issue 13 item 6: glibc keeps freed arenas otherwise). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iw;
struct loop;

/* "show memory" reads at most this many calls' talloc trees (spread over
 * the list), and walks the daemon's whole talloc tree only with at most
 * IW_MEM_WALK_CALLS calls up: the signalling thread does nothing else
 * meanwhile, and with 10,000 calls up the walks took it away for parts of
 * a second every time (the busy-hour bench's retransmission bursts).
 * "show memory all" reads everything. */
#define IW_MEM_READ_CALLS 256
#define IW_MEM_WALK_CALLS 1000

struct iw_mem_figures {
	unsigned calls;	       /* in the call list */
	unsigned read;	       /* of them, read */
	size_t bytes, largest; /* signalling bytes of the calls read: sum, largest */
	size_t part[3];	       /* sum of the call, SIP leg, ISUP call */
	bool walked;	       /* the whole tree was walked: */
	size_t talloc_bytes, talloc_blocks;
	uint64_t ns; /* how long the reading took */
};

/* Signalling memory of the calls: every call's when max_read is 0 or the
 * calls are no more, else about max_read spread evenly over the list; the
 * whole talloc tree under root when walk. */
void iw_mem_read(struct iw *iw, const void *root, unsigned max_read, bool walk,
		 struct iw_mem_figures *f);

/* At the start of main(), before any thread: malloc settings that let the
 * idle trim give memory back (one arena for all threads). */
void iw_mem_early(void);
/* "show memory" (view and enable nodes). */
void iw_mem_vty_init(void);
/* Start the idle trim (a 1 s timer on the loop) and "show memory" for iw;
 * root is the daemon's talloc context. */
void iw_mem_start(struct loop *l, struct iw *iw, const void *root);
void iw_mem_stop(void);
