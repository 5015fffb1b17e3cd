/* Copies of RTP and RTCP packets for a call trace and for HEP (media.h).
 *
 * Each worker has one SPSC ring of fixed records toward the signalling
 * thread, made by that thread the first time a tap is asked for (before
 * the command or the flag that lets the worker use it). On the packet
 * path the worker only copies into the ring: no allocation, no lock, no
 * wait; a full ring drops the copy and counts it. */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "core/loop.h"
#include "core/spsc.h"
#include "media/media.h"
#include "media/worker_int.h"

/* RTP of a few traced channels (100 packets/s each, both ways) and the
 * RTCP of every channel (one report each way per 5 s) between two turns
 * of the signalling loop */
#define TAP_RING 512

/* --- worker side --- */

static void addr_copy(union media_tap_addr *to, const struct sockaddr *sa, socklen_t len)
{
	memset(to, 0, sizeof(*to));
	if (sa && len <= sizeof(*to) && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		memcpy(to, sa, len);
}

static void local_addrs(struct media_chan *c)
{
	struct sockaddr_storage ss;

	/* once per channel (a getsockname each), not per packet */
	c->tap_local_ok = true;
	if (loop_udp_local(c->rtp, &ss) == 0)
		addr_copy(&c->tap_local[0], (struct sockaddr *)&ss, sizeof(c->tap_local[0]));
	if (loop_udp_local(chan_rtcp_sock(c), &ss) == 0)
		addr_copy(&c->tap_local[1], (struct sockaddr *)&ss, sizeof(c->tap_local[1]));
}

void chan_tap_set(struct media_chan *c, unsigned kinds)
{
	c->tap = (uint8_t)kinds;
	if (kinds && !c->tap_local_ok)
		local_addrs(c);
}

void chan_tap_copy(struct media_chan *c, unsigned kind, bool tx, const uint8_t *data, size_t len,
		   const struct sockaddr *peer, socklen_t peer_len)
{
	struct media_worker *w = c->w;
	struct media_tap_pkt p;
	struct timespec ts;
	const union media_tap_addr *local;

	if (!w->tapq)
		return;
	if (!c->tap_local_ok)
		local_addrs(c);
	local = &c->tap_local[kind == MEDIA_TAP_RTCP];
	clock_gettime(CLOCK_REALTIME, &ts);
	p.chan = c->id;
	p.kind = (uint8_t)kind;
	p.tx = tx;
	p.wire_len = (uint16_t)(len > UINT16_MAX ? UINT16_MAX : len);
	p.len = (uint16_t)(len > MEDIA_TAP_SNAP ? MEDIA_TAP_SNAP : len);
	p.ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (tx) {
		p.src = *local;
		addr_copy(&p.dst, peer, peer_len);
	} else {
		addr_copy(&p.src, peer, peer_len);
		p.dst = *local;
	}
	memcpy(p.data, data, p.len);
	if (!spsc_push(w->tapq, &p)) {
		atomic_fetch_add_explicit(&w->tap_dropped, 1, memory_order_relaxed);
		return;
	}
	loop_wake_signal_later(w->loop, w->e->ev_wake);
}

/* --- signalling side --- */

static int rings(struct media_engine *e)
{
	for (unsigned i = 0; i < e->nw; i++) {
		if (e->w[i].tapq)
			continue;
		e->w[i].tapq = spsc_alloc(e, TAP_RING, sizeof(struct media_tap_pkt));
		if (!e->w[i].tapq)
			return -ENOMEM;
	}
	return 0;
}

void media_engine_set_tap_cb(struct media_engine *e, media_tap_cb cb, void *priv)
{
	e->tap_cb = cb;
	e->tap_priv = priv;
}

int media_chan_tap(struct media_engine *e, uint32_t id, unsigned kinds)
{
	unsigned wi = media_chan_worker(id);
	struct media_cmd cmd = {.op = CMD_TAP, .tap = kinds};

	if (wi >= e->nw)
		return -ENOENT;
	if (kinds && rings(e) < 0)
		return -ENOMEM;
	return media_chan_cmd(e, id, &cmd);
}

int media_engine_tap_rtcp(struct media_engine *e, bool on)
{
	if (on && rings(e) < 0)
		return -ENOMEM;
	/* release: a worker that sees the flag sees its ring */
	atomic_store_explicit(&e->tap_rtcp, on, memory_order_release);
	return 0;
}

uint64_t media_engine_tap_dropped(const struct media_engine *e)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < e->nw; i++)
		n += atomic_load_explicit(&e->w[i].tap_dropped, memory_order_relaxed);
	return n;
}

void media_tap_drain(struct media_engine *e)
{
	static struct media_tap_pkt p; /* the signalling thread's only */

	for (unsigned i = 0; i < e->nw; i++) {
		struct spsc *q = e->w[i].tapq;

		while (q && spsc_pop(q, &p))
			if (e->tap_cb)
				e->tap_cb(e->tap_priv, &p);
	}
}
