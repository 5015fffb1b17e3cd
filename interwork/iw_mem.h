/* Memory of the running gateway: "show memory" (RSS, talloc, signalling
 * bytes per call) and giving freed heap back to the system once the load
 * has fallen (issue 13 item 6: glibc keeps freed arenas otherwise). */
#pragma once

struct iw;
struct loop;

/* At the start of main(), before any thread: malloc settings that let the
 * idle trim give memory back (one arena for all threads). */
void iw_mem_early(void);
/* "show memory" (view and enable nodes). */
void iw_mem_vty_init(void);
/* Start the idle trim (a 1 s timer on the loop) and "show memory" for iw;
 * root is the daemon's talloc context. */
void iw_mem_start(struct loop *l, struct iw *iw, const void *root);
void iw_mem_stop(void);
