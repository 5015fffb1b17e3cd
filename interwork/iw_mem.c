/* Memory of the running gateway: "show memory", and malloc_trim() when
 * the calls have fallen well below their peak.
 *
 * glibc keeps what a busy hour freed (in the main heap and in each media
 * worker's arena) and RSS stays at its peak. Once the calls up fell to half
 * of the peak or less and stayed there 5 s, the heap is trimmed, then every
 * 10 s for a minute (SIP transactions and the media channels' buffers go
 * later than the calls), then the peak restarts from the calls up. With
 * the heap go the pages a burst left in the loop's UDP send slots and
 * receive buffer rings, and in the media command queues; each media
 * worker then trims its own (event queue, channels no longer used, and
 * with none left its loop's). */
#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>
#include <talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/proc_rss.h"
#include "interwork/iw_call.h"
#include "interwork/iw_call_int.h"
#include "interwork/iw_mem.h"

#define TRIM_MIN_PEAK 64 /* below it there is little to give back */

static struct {
	struct loop *loop;
	struct iw *iw;
	const void *root;
	struct loop_timer timer;
	unsigned peak, quiet_s, trims;
	long last_freed_kb;
	uint64_t last_trim_ns; /* how long the last trim held the thread */
} m;

static void trim_tick(void *priv)
{
	unsigned n = iw_active_calls(m.iw);

	(void)priv;
	if (n > m.peak) {
		m.peak = n;
		m.quiet_s = 0;
	} else if (m.peak >= TRIM_MIN_PEAK && n <= m.peak / 2) {
		m.quiet_s++;
		if (m.quiet_s % 10 == 5) {
			long before = tandem_rss_kb();
			uint64_t t[5];

			/* each step timed: the signalling thread does nothing
			 * else meanwhile */
			t[0] = loop_now_ns();
			malloc_trim(0);
			t[1] = loop_now_ns();
			loop_trim(m.loop); /* the send slots a burst touched */
			t[2] = loop_now_ns();
			loop_trim_rx(m.loop); /* the receive buffers it filled */
			t[3] = loop_now_ns();
			media_engine_trim(m.iw->media); /* the command queues' slots */
			t[4] = loop_now_ns();
			m.trims++;
			m.last_freed_kb = before - tandem_rss_kb();
			m.last_trim_ns = t[4] - t[0];
			LOGP(DIW, m.last_trim_ns > 50000000 ? LOGL_NOTICE : LOGL_INFO,
			     "calls %u (peak %u): heap trimmed, RSS -%ld kB in %" PRIu64
			     " ms (heap %" PRIu64 ", send slots %" PRIu64 ", receive rings %" PRIu64
			     ", media queues %" PRIu64 ")\n",
			     n, m.peak, m.last_freed_kb, (t[4] - t[0]) / 1000000,
			     (t[1] - t[0]) / 1000000, (t[2] - t[1]) / 1000000,
			     (t[3] - t[2]) / 1000000, (t[4] - t[3]) / 1000000);
		}
		if (m.quiet_s >= 65) {
			m.peak = n;
			m.quiet_s = 0;
		}
	} else {
		m.quiet_s = 0;
	}
	loop_timer_schedule(m.loop, &m.timer, 1000000);
}

/* glibc keeps a thread arena for each media worker: what a worker freed at
 * the end of its channels (transcoder, jitter buffer, DTMF detector, echo
 * canceller: ~20 KiB a channel) is merged into that arena's top, which
 * malloc_trim() never shrinks (only the main arena's), so RSS stayed up
 * after load (600 calls: the worker's arena 5.5 MB idle, 18.4 MB a minute
 * after the last call, the trims giving back 0 kB). One arena for all
 * threads: the workers allocate only when channels come and go, the packet
 * path does not, and the idle trim then reaches all freed memory. Before
 * any thread starts. */
void iw_mem_early(void)
{
	mallopt(M_ARENA_MAX, 1);
}

void iw_mem_start(struct loop *l, struct iw *iw, const void *root)
{
	m.loop = l;
	m.iw = iw;
	m.root = root;
	loop_timer_init(&m.timer, trim_tick, NULL);
	loop_timer_schedule(l, &m.timer, 1000000);
}

void iw_mem_stop(void)
{
	if (m.loop)
		loop_timer_cancel(m.loop, &m.timer);
	m.loop = NULL;
	m.iw = NULL;
}

void iw_mem_read(struct iw *iw, const void *root, unsigned max_read, bool walk,
		 struct iw_mem_figures *f)
{
	struct iw_call *c = NULL;
	uint64_t t0 = loop_now_ns();
	unsigned stride, k = 0;

	memset(f, 0, sizeof(*f));
	/* the list's length is kept (a call joins and leaves it where it is
	 * counted): one pass, reading every stride-th call's tree */
	f->calls = iw_active_calls(iw);
	stride = max_read && f->calls > max_read ? (f->calls + max_read - 1) / max_read : 1;
	while ((c = iw_call_next(iw, c))) {
		size_t part[3], b;

		if (k++ % stride)
			continue;
		b = iw_call_mem(c, part);
		for (unsigned i = 0; i < 3; i++)
			f->part[i] += part[i];
		f->bytes += b;
		f->largest = b > f->largest ? b : f->largest;
		f->read++;
	}
	if (walk) {
		f->walked = true;
		f->talloc_bytes = talloc_total_size(root);
		f->talloc_blocks = talloc_total_blocks(root);
	}
	f->ns = loop_now_ns() - t0;
}

DEFUN(show_memory, show_memory_cmd, "show memory [all]",
      SHOW_STR "Memory: resident size, talloc total, signalling state per call\n"
	       "Read every call and the whole talloc tree, however many calls are up (the "
	       "gateway does nothing else meanwhile)\n")
{
	struct iw_mem_figures f;
	bool all = argc > 0;
	unsigned n;

	if (!m.iw) {
		vty_out(vty, "%% not running%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	n = iw_active_calls(m.iw);
	iw_mem_read(m.iw, m.root, all ? 0 : IW_MEM_READ_CALLS, all || n <= IW_MEM_WALK_CALLS, &f);
	if (f.walked)
		vty_out(vty, "RSS %ld kB; talloc %zu bytes in %zu blocks%s", tandem_rss_kb(),
			f.talloc_bytes, f.talloc_blocks, VTY_NEWLINE);
	else
		vty_out(vty,
			"RSS %ld kB; talloc not walked with %u calls up (over %u: show memory "
			"all)%s",
			tandem_rss_kb(), n, IW_MEM_WALK_CALLS, VTY_NEWLINE);
	vty_out(vty,
		"calls %u: signalling per call %zu bytes (largest %zu): call %zu, SIP leg %zu, "
		"ISUP call %zu; %u calls read in %.1f ms%s",
		f.calls, f.read ? f.bytes / f.read : 0, f.largest, f.read ? f.part[0] / f.read : 0,
		f.read ? f.part[1] / f.read : 0, f.read ? f.part[2] / f.read : 0, f.read,
		(double)f.ns / 1e6, VTY_NEWLINE);
	vty_out(vty, "heap trims %u (last gave back %ld kB in %.1f ms); calls peak %u%s", m.trims,
		m.last_freed_kb, (double)m.last_trim_ns / 1e6, m.peak, VTY_NEWLINE);
	return CMD_SUCCESS;
}

void iw_mem_vty_init(void)
{
	install_element_ve(&show_memory_cmd);
}
