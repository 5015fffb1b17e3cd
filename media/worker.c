/* Media workers: threads with their own io_uring loop, fed by SPSC command
 * queues from the signalling thread, answering through SPSC event queues.
 * The RTP port pool lives on the signalling side (ports are needed for the
 * SDP before the worker has seen the command). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <string.h>
#include <unistd.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/log_relay.h"
#include "core/loop.h"
#include "core/spsc.h"
#include "media/media.h"

#include "media/tones.h"
#include "media/worker_int.h"

/* --- worker side --- */

void worker_event(struct media_worker *w, const struct media_event *ev);

static void ev_push(struct media_worker *w, const struct media_event *ev)
{
	if (!spsc_push(w->evq, ev))
		w->ev_dropped++;
	/* once per turn of the worker, however many events it had (at once
	 * when the queue is half full) */
	if (spsc_count(w->evq) * 2 >= spsc_capacity(w->evq))
		loop_wake_signal(w->e->ev_wake);
	else
		loop_wake_signal_later(w->loop, w->e->ev_wake);
}

void worker_event(struct media_worker *w, const struct media_event *ev)
{
	ev_push(w, ev);
}

static void chan_send(struct media_chan *c, const uint8_t *data, size_t len,
		      const struct sockaddr *to, socklen_t tolen)
{
	if (loop_udp_send(c->rtp, data, len, to, tolen) == 0) {
		atomic_fetch_add_explicit(&c->w->tx_pkts, 1, memory_order_relaxed);
		c->st.tx_pkts++;
		c->st.tx_bytes += len;
		chan_tap(c, MEDIA_TAP_RTP, true, data, len, to, tolen);
	}
}

/* --- media admission --- */

static bool sa_same(const struct sockaddr *a, socklen_t alen, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET && alen >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6 && alen >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

static void sa_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static uint16_t sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

/* RTCP's address: the RTP address with the a=rtcp port, else port + 1. */
static void chan_rtcp_remote(struct media_chan *c, uint16_t rtcp_port)
{
	c->rtcp_remote = c->cfg.remote;
	c->rtcp_remote_len = c->cfg.remote_len;
	if (c->rtcp_remote.ss_family)
		sa_set_port(&c->rtcp_remote,
			    rtcp_port ? rtcp_port : (uint16_t)(sa_port(&c->cfg.remote) + 1));
}

/* A new configuration from the signalling side. The remote it names (and
 * with rtp-latch a new 2 s window) applies when it differs from the last
 * one; a repeated one (re-INVITE, 183 then 200) keeps what was latched. */
static void chan_configure(struct media_chan *c, const struct media_chan_cfg *cfg)
{
	bool same = c->sdp_remote.ss_family == cfg->remote.ss_family &&
		    (!cfg->remote.ss_family || sa_same((const struct sockaddr *)&cfg->remote,
						       cfg->remote_len, &c->sdp_remote)) &&
		    c->sdp_rtcp_port == cfg->rtcp_port && c->cfg.latch == cfg->latch;
	struct sockaddr_storage remote = c->cfg.remote;
	socklen_t remote_len = c->cfg.remote_len;

	c->cfg = *cfg;
	if (same && c->latch_until_ns) {
		c->cfg.remote = remote;
		c->cfg.remote_len = remote_len;
		return;
	}
	c->sdp_remote = cfg->remote;
	c->sdp_rtcp_port = cfg->rtcp_port;
	chan_rtcp_remote(c, c->mux ? sa_port(&cfg->remote) : cfg->rtcp_port);
	c->rtp_locked = c->rtcp_locked = false;
	c->latch_until_ns =
		loop_now_ns() + (cfg->latch ? c->w->e->cfg.latch_ms * 1000000ull : 0) + 1;
}

/* May this packet in? RTP from the remote, RTCP from its RTCP address;
 * with rtp-latch, the first source inside the window instead, locked. */
static bool chan_admit(struct media_chan *c, const struct sockaddr *from, socklen_t fromlen,
		       bool rtcp)
{
	struct sockaddr_storage *want = rtcp ? &c->rtcp_remote : &c->cfg.remote;
	bool *locked = rtcp ? &c->rtcp_locked : &c->rtp_locked;

	if (want->ss_family && sa_same(from, fromlen, want)) {
		*locked = true;
		return true;
	}
	if (!c->cfg.latch || *locked || loop_now_ns() >= c->latch_until_ns ||
	    fromlen > sizeof(*want) ||
	    (from->sa_family != AF_INET && from->sa_family != AF_INET6) ||
	    media_keep_stale(c, rtcp, from))
		return false;
	memcpy(want, from, fromlen);
	if (rtcp) {
		c->rtcp_remote_len = fromlen;
	} else {
		c->cfg.remote_len = fromlen;
		/* RTCP follows the latched address until it latches itself
		 * (muxed: the same address and port) */
		if (!c->rtcp_locked)
			chan_rtcp_remote(c, c->mux ? sa_port(&c->cfg.remote) : 0);
	}
	*locked = true;
	LOGP(DMEDIA, LOGL_INFO, "channel %08x: %s latched to the first source seen\n", c->id,
	     rtcp ? "RTCP" : "RTP");
	return true;
}

static void chan_refused(struct media_chan *c)
{
	c->st.rx_refused++;
	atomic_fetch_add_explicit(&c->w->rx_refused, 1, memory_order_relaxed);
}

static void rtcp_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		    socklen_t fromlen);

static void rtp_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		   socklen_t fromlen)
{
	struct media_chan *c = priv;
	struct media_worker *w = c->w;

	/* rtcp-mux: RTCP on this port is told from RTP by its packet type */
	if (c->mux && rtcp_is_muxed(data, len)) {
		rtcp_rx(priv, data, len, from, fromlen);
		return;
	}
	/* admitted sources only: a third party's packets never reach the
	 * statistics, the jitter buffer or the timeslot */
	if (!chan_admit(c, from, fromlen, false)) {
		chan_refused(c);
		return;
	}
	/* RFC 3550 5.1: fixed header is 12 bytes, version 2. Anything else is
	 * counted and dropped. */
	if (len < 12 || (data[0] >> 6) != 2) {
		atomic_fetch_add_explicit(&w->rx_bad, 1, memory_order_relaxed);
		c->st.rx_bad++;
		return;
	}
	chan_tap(c, MEDIA_TAP_RTP, false, data, len, from, fromlen);
	atomic_fetch_add_explicit(&w->rx_pkts, 1, memory_order_relaxed);
	c->st.rx_pkts++;
	c->st.rx_bytes += len;
	c->last_rx_ns = loop_now_ns();
	c->timeout_reported = false;
	switch (c->cfg.mode) {
	case MEDIA_MODE_TDM:
		chan_tdm_rtp_rx(c, data, len);
		break;
	case MEDIA_MODE_LOOPBACK:
		chan_send(c, data, len, from, fromlen);
		break;
	case MEDIA_MODE_RELAY: {
		uint32_t slot = c->cfg.peer & 0xffffff;
		struct media_chan *p;

		if (media_chan_worker(c->cfg.peer) != w->idx || slot >= w->e->cfg.chans_per_worker)
			break;
		p = &w->chans[slot];
		if (p->in_use && p->cfg.remote.ss_family)
			chan_send(p, data, len, (struct sockaddr *)&p->cfg.remote,
				  p->cfg.remote_len);
		break;
	}
	case MEDIA_MODE_IDLE:
		break;
	}
}

/* NTP format (RFC 3550 4: seconds since 1900, 32.32 fixed point) */
uint64_t worker_ntp_now(void)
{
	struct timespec rt;

	clock_gettime(CLOCK_REALTIME, &rt);
	return ((uint64_t)(rt.tv_sec + 2208988800u) << 32) |
	       (uint64_t)(((uint64_t)rt.tv_nsec << 32) / 1000000000ull);
}

/* The far end's RTCP: its SR (for the LSR/DLSR of our reports) and its
 * report blocks about our stream (loss, jitter, round trip). */
static void rtcp_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		    socklen_t fromlen)
{
	struct media_chan *c = priv;
	uint64_t sr_ntp;

	if (!chan_admit(c, from, fromlen, true)) {
		chan_refused(c);
		return;
	}
	chan_tap(c, MEDIA_TAP_RTCP, false, data, len, from, fromlen);
	if (!c->xc)
		return; /* no RTP session of our own on this channel (relay, loop-back) */
	if (rtcp_peer_rx(&c->peer, data, len, c->rtp_tx.ssrc, worker_ntp_now(), &sr_ntp) < 0) {
		if (c->peer.bad == 1)
			LOGP(DMEDIA, LOGL_NOTICE,
			     "channel %08x: malformed RTCP (%zu bytes, first %02x %02x); "
			     "further ones only counted\n",
			     c->id, len, len > 0 ? data[0] : 0, len > 1 ? data[1] : 0);
		return;
	}
	if (sr_ntp)
		rtp_rx_sr_seen(&c->rx, sr_ntp, loop_now_ns());
}

static void chan_release(struct media_chan *c)
{
	if (!c->in_use)
		return;
	chan_tdm_release(c);
	if (c->rtp) /* (kept: media_keep_park took them) */
		loop_udp_close(c->rtp);
	if (c->rtcp)
		loop_udp_close(c->rtcp);
	c->rtp = c->rtcp = NULL;
	c->in_use = false;
	{
		struct media_worker *w = c->w;
		uint32_t last = w->live_slots[--w->n_live];

		w->live_slots[c->live_idx] = last;
		w->chans[last].live_idx = c->live_idx;
	}
}

/* The channel's figures as the signalling side sees them (stats events,
 * the call's end line). */
static void chan_fill_stats(struct media_chan *c, struct media_chan_stats *st)
{
	if (st != &c->st)
		*st = c->st;
	st->have_ec = c->ec != NULL;
	st->ec_convergence_ms = -1;
	if (c->ec) {
		struct ec_metrics em;

		ec_metrics(c->ec, &em);
		st->ec_erl_db = em.erl_db;
		st->ec_erle_db = em.erle_db;
		st->ec_tone_disabled = em.state == EC_S_TONE_DISABLED;
		st->ec_convergence_ms = em.convergence_ms;
		st->ec_double_talk = em.double_talk_share;
	}
	if (c->jb) {
		const struct jb_stats *js = jb_stats(c->jb);

		st->jb_lost = js->lost;
		st->jb_late = js->late;
		st->jb_concealed = js->concealed;
	}
	st->rtp_lost = c->rx.started ? rtp_rx_cum_lost(&c->rx) : 0;
	st->rtp_jitter_ms =
		c->rx.clock_rate ? (float)rtp_rx_jitter(&c->rx) * 1000.0f / (float)c->rx.clock_rate
				 : 0.0f;
	st->idle_ms = (uint32_t)((loop_now_ns() - c->last_rx_ns) / 1000000);
	st->rtcp_rx = c->peer.reports;
	st->rtcp_bad = c->peer.bad;
	st->rtcp_mux = c->mux;
	st->peer_have_rb = c->peer.have_rb;
	st->peer_lost = c->peer.lost;
	st->peer_fraction_pct = (float)c->peer.fraction * 100.0f / 256.0f;
	st->peer_jitter_ms = (float)c->peer.jitter / 8.0f; /* G.711 and G.722 (RFC 3551) */
	st->rtt_ms = c->peer.have_rtt ? (float)c->peer.rtt_q16 * 1000.0f / 65536.0f : -1.0f;
}

/* rtcp-mux agreed (RFC 5761): the RTCP socket goes (its descriptor is
 * what 10,000 held calls run out of); RTCP is sent and taken on the RTP
 * socket from now on. It is not undone: the port may be another's now. */
static void chan_mux_on(struct media_chan *c)
{
	if (c->mux)
		return;
	c->mux = true;
	if (c->rtcp) {
		loop_udp_close(c->rtcp);
		c->rtcp = NULL;
	}
	if (c->tap_local_ok)
		c->tap_local[1] = c->tap_local[0];
}

/* CMD_CREATE on the worker's oldest kept pair (media/keep.c); an RTCP
 * socket it no longer has comes as fd_rtcp, one a muxed call does not
 * want is closed. */
static void chan_take_kept(struct media_chan *c, const struct media_cmd *cmd)
{
	struct loop_udp *rtcp = NULL;

	if (media_keep_take(c->w, cmd->port, c, &rtcp) < 0) {
		c->rtp = NULL;
		return;
	}
	loop_udp_set_cb(c->rtp, rtp_rx, c);
	if (rtcp && c->mux) {
		loop_udp_close(rtcp);
	} else if (rtcp) {
		c->rtcp = rtcp;
		loop_udp_set_cb(rtcp, rtcp_rx, c);
	}
}

static void worker_cmd(void *priv)
{
	struct media_worker *w = priv;
	struct media_cmd cmd;

	if (atomic_load_explicit(&w->test_hold, memory_order_acquire))
		return; /* a test holds its commands (media_test_hold_worker) */
	while (spsc_pop(w->cmdq, &cmd)) {
		struct media_chan *c =
			cmd.slot < w->e->cfg.chans_per_worker ? &w->chans[cmd.slot] : NULL;
		struct media_event ev = {.chan = (w->idx << 24) | cmd.slot};

		switch (cmd.op) {
		case CMD_CREATE:
			chan_release(c); /* (never in use here: the slot came back freed) */
			memset(c, 0, sizeof(*c));
			c->w = w;
			c->id = ev.chan;
			c->port = cmd.port;
			/* no RTCP socket: muxed from the start */
			c->mux = cmd.mux;
			if (cmd.kept)
				chan_take_kept(c, &cmd);
			else if (!(c->rtp = loop_udp_adopt(w->loop, cmd.fd_rtp, rtp_rx, c)))
				close(cmd.fd_rtp);
			if (cmd.fd_rtcp >= 0 && (!c->rtp || c->mux || c->rtcp))
				close(cmd.fd_rtcp); /* (no channel, or cannot be) */
			else if (cmd.fd_rtcp >= 0 &&
				 !(c->rtcp = loop_udp_adopt(w->loop, cmd.fd_rtcp, rtcp_rx, c)))
				close(cmd.fd_rtcp);
			c->last_rx_ns = loop_now_ns();
			c->in_use = c->rtp && (c->rtcp || c->mux);
			if (c->in_use) {
				/* the health check's kernel drops (worker_health);
				 * a kept socket asked already */
				if (!cmd.kept)
					loop_udp_count_drops(c->rtp);
				if (c->rtcp && (!cmd.kept || cmd.fd_rtcp >= 0))
					loop_udp_count_drops(c->rtcp);
				c->live_idx = w->n_live;
				w->live_slots[w->n_live++] = cmd.slot;
			}
			if (!c->in_use) {
				LOGP(DMEDIA, LOGL_ERROR,
				     "worker %u: channel %u: cannot adopt sockets\n", w->idx,
				     cmd.slot);
				if (c->rtp)
					loop_udp_close(c->rtp);
				c->rtp = NULL;
			}
			break;
		case CMD_MODIFY:
			if (!c || !c->in_use)
				break;
			if (cmd.cfg.mode == MEDIA_MODE_TDM) {
				int rc = chan_tdm_setup(w, c, &cmd.cfg);

				if (rc < 0) {
					LOGP(DMEDIA, LOGL_ERROR,
					     "channel %08x: span %u timeslot %u: %s\n", c->id,
					     cmd.cfg.span, cmd.cfg.timeslot, strerror(-rc));
					cmd.cfg.mode = MEDIA_MODE_IDLE;
					ev.type = MEDIA_EV_CHAN_FAILED;
					ev_push(w, &ev);
				}
			} else {
				chan_tdm_release(c);
			}
			if (cmd.cfg.rtcp_mux)
				chan_mux_on(c);
			chan_configure(c, &cmd.cfg);
			/* the RTP timeout counts from the new configuration (the
			 * answer): one that ran out while the call was ringing
			 * without media was reported then, and ignored as the
			 * call was not up, and never again: an answered call
			 * without RTP stayed up for ever */
			c->last_rx_ns = loop_now_ns();
			c->timeout_reported = false;
			break;
		case CMD_QUERY:
			if (c && c->in_use) {
				ev.type = MEDIA_EV_STATS;
				chan_fill_stats(c, &ev.stats);
				ev_push(w, &ev);
			}
			break;
		case CMD_FREE:
			if (c) {
				/* the call's end figures, before the canceller and
				 * the jitter buffer go */
				if (c->in_use) {
					chan_fill_stats(c, &c->st);
					ev.kept_rtcp = c->rtcp != NULL;
					ev.kept = media_keep_park(w, c);
				}
				chan_release(c);
				ev.type = MEDIA_EV_FREED;
				ev.stats = c->st;
				ev_push(w, &ev);
			}
			break;
		case CMD_TONE:
			if (c && c->in_use && chan_tdm_tone(c, cmd.tone_plan, cmd.tone) < 0)
				LOGP(DMEDIA, LOGL_ERROR, "channel %08x: no tone %s/%s\n", c->id,
				     cmd.tone_plan, cmd.tone);
			break;
		case CMD_DTMF:
			if (c && c->in_use && chan_tdm_dtmf(c, cmd.digit, cmd.digit_ms) < 0)
				LOGP(DMEDIA, LOGL_ERROR, "channel %08x: cannot play DTMF %c\n",
				     c->id, cmd.digit);
			break;
		case CMD_DTMF_RTP:
			if (c && c->in_use && chan_rtp_dtmf(c, cmd.digit, cmd.digit_ms) < 0)
				LOGP(DMEDIA, LOGL_ERROR,
				     "channel %08x: cannot send DTMF %c on RTP\n", c->id,
				     cmd.digit);
			break;
		case CMD_COT:
			if (c && c->in_use && chan_tdm_cot(c, cmd.cot) < 0)
				LOGP(DMEDIA, LOGL_ERROR, "channel %08x: no timeslot for COT\n",
				     c->id);
			break;
		case CMD_TAP:
			if (c && c->in_use)
				chan_tap_set(c, cmd.tap);
			break;
		case CMD_SPAN:
			if (span_create(w, &cmd.span, cmd.fd_rtp) < 0)
				LOGP(DMEDIA, LOGL_ERROR, "worker %u: span %u: cannot start\n",
				     w->idx, cmd.span.id);
			break;
		case CMD_STOP:
			for (unsigned i = 0; i < w->e->cfg.chans_per_worker; i++)
				chan_release(&w->chans[i]);
			media_keep_close_all(w);
			for (unsigned i = 0; i < MEDIA_MAX_SPANS; i++)
				span_destroy(w->spans[i]);
			loop_stop(w->loop);
			break;
		case CMD_KEEP_DROP:
			media_keep_drop(w, cmd.port);
			break;
		}
	}
}

/* Once a second: is this worker keeping up? A worker that falls behind
 * its spans loses their packets in the kernel, which no sequence check
 * downstream sees (the span clocks the RTP side), so it is measured at
 * the sockets themselves: each span and channel socket reports its drop
 * counter with the datagrams it delivers (SO_RXQ_OVFL, counted by the
 * loop), so this check costs no system call per socket (it read every
 * socket's SO_MEMINFO: 10,000 calls held made 20,000 syscalls a second). */
#define OVERLOAD_LATE_NS 100000000ull /* a tick 100 ms late: playout ran dry */
#define OVERLOAD_CLEAR_S 5	      /* seconds without a sign before it is over */

static void worker_health(struct media_worker *w)
{
	const struct loop_stats *ls = loop_get_stats(w->loop);
	uint64_t drops = ls->udp_kernel_drops - w->udp_drops_seen,
		 refused = ls->send_no_slot - w->send_no_slot_seen;
	uint32_t late_ms = (uint32_t)(w->late_max_ns / 1000000);
	bool over;

	w->udp_drops_seen = ls->udp_kernel_drops;
	if (w->xdp) {
		struct loop_xsk_stats xs;

		if (loop_xsk_stats(w->loop, &xs) == 0) {
			/* the kernel counts a datagram dropped for want of a
			 * fill-ring frame in rx_dropped and in fill_empty */
			uint64_t d =
				xs.rx_dropped + xs.rx_ring_full + xs.rx_invalid + xs.tx_invalid;

			/* the xsk's losses are the worker's as much as a socket's */
			drops += d - w->xsk_drops_seen;
			w->xsk_drops_seen = d;
			atomic_store_explicit(&w->xsk_rx, xs.rx, memory_order_relaxed);
			atomic_store_explicit(&w->xsk_tx, xs.tx, memory_order_relaxed);
			atomic_store_explicit(&w->xsk_kernel_tx, xs.tx_kernel,
					      memory_order_relaxed);
			atomic_store_explicit(&w->xsk_drops, d, memory_order_relaxed);
			atomic_store_explicit(&w->xsk_bad, xs.rx_bad, memory_order_relaxed);
			atomic_store_explicit(&w->xsk_no_room, xs.tx_no_room, memory_order_relaxed);
		}
	}
	w->send_no_slot_seen = ls->send_no_slot;
	atomic_fetch_add_explicit(&w->kernel_drops, drops, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->send_refused, refused, memory_order_relaxed);
	atomic_store_explicit(&w->late_max_ms, late_ms, memory_order_relaxed);
	w->late_max_ns = 0;
	over = drops || refused || late_ms * 1000000ull >= OVERLOAD_LATE_NS;
	if (over) {
		w->clear_s = 0;
		if (!atomic_load_explicit(&w->overloaded, memory_order_relaxed)) {
			atomic_store_explicit(&w->overloaded, true, memory_order_relaxed);
			atomic_fetch_add_explicit(&w->overloads, 1, memory_order_relaxed);
			LOGP(DMEDIA, LOGL_ERROR,
			     "media worker %u overloaded: %llu datagrams dropped by the kernel "
			     "(receive queues full), %llu sends refused, tick up to %u ms late in "
			     "the last second\n",
			     w->idx, (unsigned long long)drops, (unsigned long long)refused,
			     late_ms);
		}
	} else if (atomic_load_explicit(&w->overloaded, memory_order_relaxed) &&
		   ++w->clear_s >= OVERLOAD_CLEAR_S) {
		atomic_store_explicit(&w->overloaded, false, memory_order_relaxed);
		LOGP(DMEDIA, LOGL_NOTICE, "media worker %u keeps up again (%u s without loss)\n",
		     w->idx, OVERLOAD_CLEAR_S);
	}
}

/* The channels one 100 ms tick looks at (RTCP due, RTP timeout): up to
 * TICK_ALL, all of them; more are seen in turn, a tenth per tick (each
 * once a second: RTCP's 5 s interval and the RTP timeout need no finer
 * grain), so 10,000 channels cost 10,000 visits a second, not 100,000. */
#define TICK_ALL 256

static unsigned tick_share(unsigned n_live)
{
	unsigned tenth = (n_live + 9) / 10;

	if (n_live <= TICK_ALL)
		return n_live;
	return tenth > TICK_ALL ? tenth : TICK_ALL;
}

/* The worker's side of media_engine_trim, from its tick (a timer: no
 * completion waiting, as loop_trim_rx needs). The event queue's free
 * slots and the pages of channels not in use always; the loop's send
 * slots and receive rings once no channel is left (with RTP still
 * flowing they would be touched again at once). */
static size_t chans_trim(struct media_worker *w);

static void worker_trim(struct media_worker *w)
{
	size_t given = spsc_trim(w->evq) + chans_trim(w);

	if (!w->n_live)
		given += loop_trim(w->loop) + loop_trim_rx(w->loop);
	atomic_fetch_add_explicit(&w->trimmed, given, memory_order_relaxed);
}

static void worker_tick(void *priv)
{
	struct media_worker *w = priv;
	uint64_t now = loop_now_ns(), limit = (uint64_t)w->e->cfg.rtp_timeout_ms * 1000000ull;
	unsigned visits = tick_share(w->n_live);

	if (w->tick_due_ns && now > w->tick_due_ns && now - w->tick_due_ns > w->late_max_ns)
		w->late_max_ns = now - w->tick_due_ns;
	if (w->xdp)
		loop_xsk_tick(w->loop);
	if (now >= w->next_health_ns) {
		if (w->next_health_ns)
			worker_health(w);
		w->next_health_ns = now + 1000000000ull;
	}

	for (unsigned k = 0; k < visits; k++) {
		struct media_chan *c;

		/* (a release moves the last slot into the freed place: a
		 * channel may be seen twice or once not in a round, no harm) */
		if (w->tick_next >= w->n_live)
			w->tick_next = 0;
		c = &w->chans[w->live_slots[w->tick_next++]];
		if (c->cfg.mode == MEDIA_MODE_TDM)
			chan_rtcp_tick(c, now);
		if (!limit)
			continue;

		if (!c->timeout_reported && now - c->last_rx_ns > limit) {
			struct media_event ev = {.type = MEDIA_EV_RTP_TIMEOUT, .chan = c->id};

			c->timeout_reported = true;
			atomic_fetch_add_explicit(&w->timeouts, 1, memory_order_relaxed);
			ev.stats = c->st;
			ev_push(w, &ev);
		}
	}
	if (atomic_exchange_explicit(&w->trim_req, false, memory_order_relaxed))
		worker_trim(w);
	w->tick_due_ns = loop_now_ns() + 100000000ull;
	loop_timer_schedule(w->loop, &w->tick, 100000);
}

/* Raise the worker above ordinary processes (see media_cfg.realtime). */
static void worker_sched(struct media_worker *w)
{
	const struct media_cfg *cfg = &w->e->cfg;
	int rc = 0;

	if (cfg->realtime) {
		struct sched_param sp = {.sched_priority = (int)cfg->realtime};

		rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		if (rc == 0) {
			LOGP(DMEDIA, LOGL_INFO, "media worker %u: SCHED_FIFO priority %u\n", w->idx,
			     cfg->realtime);
			return;
		}
	} else if (cfg->nice) {
		/* Linux: the nice value is per thread (setpriority on the tid) */
		if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), cfg->nice) == 0)
			return;
		rc = errno;
	} else {
		return;
	}
	LOGP(DMEDIA, LOGL_NOTICE,
	     "media worker %u: cannot raise its priority (%s; needs CAP_SYS_NICE): under CPU "
	     "load from other processes it may fall behind (show media says so)\n",
	     w->idx, strerror(rc));
}

/* AF_XDP or sockets for this worker's media, said once in the log and
 * kept for "show media". */
static void worker_path(struct media_worker *w)
{
	struct media_engine *e = w->e;
	struct loop_xsk_stats xs;
	char why[160];

	if (!e->cfg.xdp_if) {
		snprintf(w->path, sizeof(w->path), "sockets (no xdp interface configured)");
		return;
	}
	if (!e->xdp) {
		snprintf(w->path, sizeof(w->path), "sockets (AF_XDP on %s: %s)", e->cfg.xdp_if,
			 e->xdp_why);
		return;
	}
	if (w->idx >= e->cfg.xdp_queues) {
		snprintf(w->path, sizeof(w->path),
			 "sockets (xdp queues %u: no receive queue for worker %u)",
			 e->cfg.xdp_queues, w->idx);
		return;
	}
	if (loop_xsk_start(w->loop, e->xdp, w->idx, why, sizeof(why)) < 0) {
		snprintf(w->path, sizeof(w->path), "sockets (AF_XDP on %s: %s)", e->cfg.xdp_if,
			 why);
		LOGP(DMEDIA, LOGL_NOTICE, "media worker %u: AF_XDP not used: %s; sockets\n", w->idx,
		     why);
		return;
	}
	loop_xsk_stats(w->loop, &xs);
	w->xdp = true;
	snprintf(w->path, sizeof(w->path), "AF_XDP on %s queue %u, %s mode, %s", e->cfg.xdp_if,
		 w->idx, loop_xdp_mode_name(e->xdp), xs.zerocopy ? "zero-copy" : "copy");
	LOGP(DMEDIA, LOGL_NOTICE, "media worker %u: %s\n", w->idx, w->path);
}

static void *worker_main(void *arg)
{
	struct media_worker *w = arg;
	struct loop_cfg lc = {.udp_bufs = 4096,
			      .udp_buf_size = 2048,
			      .send_slots = 4096,
			      .entries = 4096,
			      .tcp_bufs = 16,
			      .tcp_buf_size = 4096};
	void *ctx = w->ctx;

	/* this thread's log lines are emitted by the signalling thread */
	tandem_log_relay_attach(w->log);
	worker_sched(w);
	/* The ring belongs to the thread that submits to it (SINGLE_ISSUER):
	 * create it here, not in the signalling thread. */
	w->loop = loop_alloc(ctx, &lc);
	if (w->loop)
		w->cmd_wake = loop_wake_alloc(w->loop, worker_cmd, w);
	if (w->loop && w->cmd_wake)
		worker_path(w);
	w->start_rc = w->loop && w->cmd_wake ? 0 : -ENOMEM;
	sem_post(&w->ready);
	if (w->start_rc)
		goto out;
	loop_timer_init(&w->tick, worker_tick, w);
	loop_timer_schedule(w->loop, &w->tick, 100000);
	loop_run(w->loop);
	loop_xsk_stop(w->loop);
	/* let cancelled receives complete so the sockets really close: five
	 * turns left thousands open (2,000 channels: 3,900 descriptors and
	 * their ports held after the stop); at most 2 s */
	for (int i = 0; i < 2000 && (i < 5 || loop_get_stats(w->loop)->udp_open); i++) {
		loop_timer_schedule(w->loop, &w->tick, 1000);
		loop_run_once(w->loop);
	}
	if (loop_get_stats(w->loop)->udp_open)
		LOGP(DMEDIA, LOGL_ERROR, "media worker %u: %u sockets not closed at the stop\n",
		     w->idx, loop_get_stats(w->loop)->udp_open);
out:
	tandem_log_relay_attach(NULL);
	/* ctx (loop, sockets) is freed by the signalling thread after the join */
	return NULL;
}

/* --- signalling side --- */

/* Send the frees that waited for room, in order; false when the queue
 * filled again (the rest wait on) */
static bool frees_flush(struct media_engine *e)
{
	bool all = true;

	for (unsigned i = 0; i < e->nw; i++) {
		struct media_worker *w = &e->w[i];
		unsigned k = 0;

		while (k < w->n_free_later) {
			struct media_cmd cmd = {.op = CMD_FREE, .slot = w->free_later[k]};

			if (media_cmd_send(e, i, &cmd) < 0)
				break;
			k++;
		}
		memmove(w->free_later, w->free_later + k,
			(w->n_free_later - k) * sizeof(w->free_later[0]));
		w->n_free_later -= k;
		all = all && !w->n_free_later;
	}
	return all;
}

static void free_retry_cb(void *priv)
{
	struct media_engine *e = priv;

	if (e->running && !frees_flush(e))
		loop_timer_schedule(e->sig, &e->free_retry, 10000);
}

static void engine_events(void *priv)
{
	struct media_engine *e = priv;

	/* D channel frames first: a span's frames keep their order */
	for (unsigned k = 0; k < e->n_dchan; k++) {
		unsigned id = e->dchan_span[k];
		struct media_dchan_frame f;

		while (e->dchan_rxq[id] && spsc_pop(e->dchan_rxq[id], &f))
			if (e->dchan_cb)
				e->dchan_cb(e->dchan_priv, id, f.data, f.len);
	}
	media_tap_drain(e);
	for (unsigned i = 0; i < e->nw; i++) {
		struct media_worker *w = &e->w[i];
		struct media_event ev;

		while (spsc_pop(w->evq, &ev)) {
			unsigned slot = ev.chan & 0xffffff;

			/* a FREED for a slot that is not handed out (twice, or
			 * never) gives nothing back; sockets the worker kept
			 * are in its ring whatever the slot (media/keep.c) */
			if (ev.type == MEDIA_EV_FREED) {
				unsigned p = e->slot_port[i][slot];
				bool back = media_slot_pool_put(&e->slots[i], slot) == 0;

				if (ev.kept)
					media_keep_kept(e, i, p, ev.kept_rtcp);
				else if (back)
					media_port_free(e, p);
				if (back)
					w->live--;
			}
			e->cb(e->priv, &ev);
		}
	}
	/* the worker took commands: room for frees that waited */
	for (unsigned i = 0; i < e->nw; i++)
		if (e->w[i].n_free_later) {
			frees_flush(e);
			break;
		}
}

/* The channel array (16,384 x 2,160 B a worker in a large configuration):
 * mapped, not allocated and zeroed, so that only the pages of channels
 * in use are resident (zeroed talloc memory had all of it resident from
 * start-up: 34.6 MB of tandemd's 57 MB idle), and the worker gives back
 * the pages of those no longer used (worker_trim). A slot all zeros is a
 * free one, as at start. */
static size_t chans_bytes(const struct media_engine *e)
{
	return (size_t)e->cfg.chans_per_worker * sizeof(struct media_chan);
}

static struct media_chan *chans_map(const struct media_engine *e)
{
	void *p = mmap(NULL, chans_bytes(e), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Worker thread: drop the pages that hold no channel in use; the bytes. */
static size_t chans_trim(struct media_worker *w)
{
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), sz = sizeof(struct media_chan);
	size_t npages = chans_bytes(w->e) / ps, run = 0, given = 0;
	uint8_t *base = (uint8_t *)w->chans;

	/* whole pages only (the last, partly ours, stays) */
	for (size_t pg = 0; pg <= npages; pg++) {
		bool busy = false;

		if (pg < npages)
			for (size_t s = pg * ps / sz; s <= ((pg + 1) * ps - 1) / sz && !busy; s++)
				busy = s < w->e->cfg.chans_per_worker && w->chans[s].in_use;
		if (pg < npages && !busy) {
			run++;
			continue;
		}
		if (run && madvise(base + (pg - run) * ps, run * ps, MADV_DONTNEED) == 0)
			given += run * ps;
		run = 0;
	}
	return given;
}

/* The workers' trees and log relays are not under e (see above); freed
 * here when the engine never started or has been stopped. */
static int engine_destructor(struct media_engine *e)
{
	media_engine_stop(e);
	if (e->sig) {
		loop_timer_cancel(e->sig, &e->free_retry);
		loop_timer_cancel(e->sig, &e->keep_timer);
	}
	for (unsigned i = 0; e->w && i < e->nw; i++) {
		if (e->w[i].chans)
			munmap(e->w[i].chans, chans_bytes(e));
		e->w[i].chans = NULL;
		TALLOC_FREE(e->w[i].ctx);
		tandem_log_relay_free(e->w[i].log);
		e->w[i].log = NULL;
	}
	return 0;
}

struct media_engine *media_engine_alloc(void *ctx, struct loop *sig_loop,
					const struct media_cfg *cfg, media_event_cb cb, void *priv)
{
	struct media_engine *e = talloc_zero(ctx, struct media_engine);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	struct in_addr a4;

	if (!e)
		return NULL;
	e->cfg = *cfg;
	if (!e->cfg.workers)
		e->cfg.workers = cores > 1 ? (unsigned)cores - 1 : 1;
	if (e->cfg.workers > 255)
		e->cfg.workers = 255;
	if (!e->cfg.chans_per_worker)
		e->cfg.chans_per_worker = 1024;
	if (!e->cfg.latch_ms)
		e->cfg.latch_ms = MEDIA_LATCH_MS;
	if (!e->cfg.rtp_addr)
		e->cfg.rtp_addr = "127.0.0.1";
	if (e->cfg.xdp_if && !e->cfg.xdp_queues)
		e->cfg.xdp_queues = 1;
	if (!e->cfg.rtp_port_min)
		e->cfg.rtp_port_min = 16384;
	if (!e->cfg.rtp_port_max)
		e->cfg.rtp_port_max = 32767;
	e->cfg.rtp_port_min &= (uint16_t)~1u;
	if (e->cfg.rtp_port_max <= e->cfg.rtp_port_min + 1) {
		talloc_free(e);
		return NULL;
	}
	e->sig = sig_loop;
	loop_timer_init(&e->free_retry, free_retry_cb, e);
	loop_timer_init(&e->keep_timer, media_keep_timer_cb, e);
	e->cb = cb;
	e->priv = priv;
	e->nw = e->cfg.workers;
	if (inet_pton(AF_INET, e->cfg.rtp_addr, &a4) != 1) {
		talloc_free(e);
		return NULL;
	}
	e->addr0 = ntohl(a4.s_addr);
	e->naddrs = e->cfg.rtp_addr_count ? e->cfg.rtp_addr_count : 1;
	if (e->naddrs > 256 || e->addr0 + (e->naddrs - 1) < e->addr0) {
		talloc_free(e);
		return NULL;
	}
	e->nports = (unsigned)(e->cfg.rtp_port_max - e->cfg.rtp_port_min + 1) / 2;
	e->ports_used = talloc_zero_array(e, uint8_t, e->nports * e->naddrs / 8 + 1);
	e->w = talloc_zero_array(e, struct media_worker, e->nw);
	e->slot_port = talloc_zero_array(e, uint32_t *, e->nw);
	e->slots = talloc_zero_array(e, struct slot_pool, e->nw);
	if (!e->ports_used || !e->w || !e->slot_port || !e->slots)
		goto fail;
	for (unsigned i = 0; i < e->nw; i++) {
		struct media_worker *w = &e->w[i];

		w->e = e;
		w->idx = i;
		w->cmdq = spsc_alloc(e, QUEUE_DEPTH, sizeof(struct media_cmd));
		w->evq = spsc_alloc(e, QUEUE_DEPTH, sizeof(struct media_event));
		w->chans = chans_map(e);
		w->live_slots = talloc_zero_array(e, uint32_t, e->cfg.chans_per_worker);
		w->free_later = talloc_zero_array(e, uint32_t, e->cfg.chans_per_worker);
		/* a root of its own: a walk of the signalling tree ("show
		 * talloc-context", leak checks) never meets the worker's
		 * allocations while it makes them */
		w->ctx = talloc_named_const(NULL, 0, "media worker");
		e->slot_port[i] = talloc_zero_array(e, uint32_t, e->cfg.chans_per_worker);
		if (!w->cmdq || !w->evq || !w->chans || !w->live_slots || !w->free_later ||
		    !w->ctx || !e->slot_port[i] ||
		    media_slot_pool_init(e, &e->slots[i], e->cfg.chans_per_worker) < 0 ||
		    media_keep_init(e, w) < 0)
			goto fail;
	}
	talloc_set_destructor(e, engine_destructor);
	return e;
fail:
	engine_destructor(e);
	talloc_free(e);
	return NULL;
}

unsigned media_engine_workers(const struct media_engine *e)
{
	return e->nw;
}

const struct media_cfg *media_engine_cfg(const struct media_engine *e)
{
	return &e->cfg;
}

int media_engine_worker_stats(struct media_engine *e, unsigned worker,
			      struct media_worker_stats *out)
{
	struct media_worker *w;

	if (worker >= e->nw)
		return -ENOENT;
	w = &e->w[worker];
	out->chans = w->live;
	out->rx_pkts = atomic_load_explicit(&w->rx_pkts, memory_order_relaxed);
	out->tx_pkts = atomic_load_explicit(&w->tx_pkts, memory_order_relaxed);
	out->rx_bad = atomic_load_explicit(&w->rx_bad, memory_order_relaxed);
	out->timeouts = atomic_load_explicit(&w->timeouts, memory_order_relaxed);
	out->ev_dropped = w->ev_dropped;
	out->frees_deferred = w->frees_deferred;
	out->frees_waiting = w->n_free_later;
	out->rx_refused = atomic_load_explicit(&w->rx_refused, memory_order_relaxed);
	out->kernel_drops = atomic_load_explicit(&w->kernel_drops, memory_order_relaxed);
	out->send_refused = atomic_load_explicit(&w->send_refused, memory_order_relaxed);
	out->overloads = atomic_load_explicit(&w->overloads, memory_order_relaxed);
	out->late_max_ms = atomic_load_explicit(&w->late_max_ms, memory_order_relaxed);
	out->overloaded = atomic_load_explicit(&w->overloaded, memory_order_relaxed);
	out->xdp = w->xdp;
	out->path = w->path;
	out->xsk_rx = atomic_load_explicit(&w->xsk_rx, memory_order_relaxed);
	out->xsk_tx = atomic_load_explicit(&w->xsk_tx, memory_order_relaxed);
	out->xsk_kernel_tx = atomic_load_explicit(&w->xsk_kernel_tx, memory_order_relaxed);
	out->xsk_drops = atomic_load_explicit(&w->xsk_drops, memory_order_relaxed);
	out->xsk_bad = atomic_load_explicit(&w->xsk_bad, memory_order_relaxed);
	out->xsk_no_room = atomic_load_explicit(&w->xsk_no_room, memory_order_relaxed);
	out->keep_now = w->kmirror.n;
	out->keep_reused = w->keep_reused;
	out->keep_closed = w->keep_closed;
	out->keep_rx = atomic_load_explicit(&w->keep_rx, memory_order_relaxed);
	return 0;
}

int media_engine_add_span(struct media_engine *e, const struct media_span_cfg *cfg)
{
	if (e->running)
		return -EBUSY;
	if (cfg->id >= MEDIA_MAX_SPANS)
		return -ERANGE;
	if (e->span_cfg[cfg->id])
		return -EEXIST;
	e->span_cfg[cfg->id] = talloc_memdup(e, cfg, sizeof(*cfg));
	if (!e->span_cfg[cfg->id])
		return -ENOMEM;
	if (cfg->worker < 0 || (unsigned)cfg->worker >= e->nw)
		e->span_cfg[cfg->id]->worker = (int)(cfg->id % e->nw);
	return 0;
}

int media_span_worker(const struct media_engine *e, unsigned span)
{
	if (span >= MEDIA_MAX_SPANS || !e->span_cfg[span])
		return -ENOENT;
	return e->span_cfg[span]->worker;
}

int media_span_stats(struct media_engine *e, unsigned span, struct media_span_stats *out)
{
	struct media_span *s;

	if (media_span_worker(e, span) < 0)
		return -ENOENT;
	s = e->w[e->span_cfg[span]->worker].spans[span];
	if (!s)
		return -ENOENT;
	out->rx_pkts = atomic_load_explicit(&s->rx_pkts, memory_order_relaxed);
	out->tx_pkts = atomic_load_explicit(&s->tx_pkts, memory_order_relaxed);
	out->rx_bad = atomic_load_explicit(&s->rx_bad, memory_order_relaxed);
	out->rx_lost = atomic_load_explicit(&s->rx_lost, memory_order_relaxed);
	out->rx_l_bit = atomic_load_explicit(&s->rx_l_bit, memory_order_relaxed);
	out->d_rx_frames = atomic_load_explicit(&s->d_rx_frames, memory_order_relaxed);
	out->d_rx_bad = atomic_load_explicit(&s->d_rx_bad, memory_order_relaxed);
	out->d_tx_frames = atomic_load_explicit(&s->d_tx_frames, memory_order_relaxed);
	out->d_dropped = atomic_load_explicit(&s->d_dropped, memory_order_relaxed);
	return 0;
}

void media_engine_set_dchan_cb(struct media_engine *e, media_dchan_cb cb, void *priv)
{
	e->dchan_cb = cb;
	e->dchan_priv = priv;
}

int media_dchan_send(struct media_engine *e, unsigned span, const uint8_t *frame, size_t len)
{
	struct media_span *s;
	struct media_dchan_frame f;

	if (media_span_worker(e, span) < 0 || !e->dchan_txq[span])
		return -ENOENT;
	s = e->w[e->span_cfg[span]->worker].spans[span];
	if (!len || len > MEDIA_DCHAN_MAX)
		return -EMSGSIZE;
	f.len = (uint16_t)len;
	memcpy(f.data, frame, len);
	if (!spsc_push(e->dchan_txq[span], &f)) {
		atomic_fetch_add_explicit(&s->d_dropped, 1, memory_order_relaxed);
		return -ENOBUFS;
	}
	return 0;
}

size_t media_chan_size(void)
{
	return sizeof(struct media_chan);
}

uint64_t media_engine_trimmed(const struct media_engine *e, unsigned worker)
{
	return e && worker < e->nw ? atomic_load(&e->w[worker].trimmed) : 0;
}

size_t media_engine_trim(struct media_engine *e)
{
	size_t given = 0;

	/* the signalling thread is the command queues' producer; each
	 * worker trims the rest itself at its next tick */
	for (unsigned i = 0; e && i < e->nw; i++) {
		if (e->w[i].cmdq)
			given += spsc_trim(e->w[i].cmdq);
		atomic_store_explicit(&e->w[i].trim_req, true, memory_order_relaxed);
	}
	return given;
}

static int spans_start(struct media_engine *e)
{
	e->n_dchan = 0;
	for (unsigned i = 0; i < MEDIA_MAX_SPANS; i++) {
		struct media_span_cfg *sc = e->span_cfg[i];
		struct media_cmd cmd = {.op = CMD_SPAN};
		int fd;

		if (!sc)
			continue;
		if (!e->w[sc->worker].spans[i])
			e->w[sc->worker].spans[i] = talloc_zero(e, struct media_span);
		if (!e->w[sc->worker].spans[i])
			return -ENOMEM;
		if (sc->dchan_ts) {
			/* room for far more than Q.921's window (k = 7) either way */
			if (!e->dchan_rxq[i])
				e->dchan_rxq[i] =
					spsc_alloc(e, 64, sizeof(struct media_dchan_frame));
			if (!e->dchan_txq[i])
				e->dchan_txq[i] =
					spsc_alloc(e, 64, sizeof(struct media_dchan_frame));
			if (!e->dchan_rxq[i] || !e->dchan_txq[i])
				return -ENOMEM;
			e->dchan_span[e->n_dchan++] = i;
		}
		fd = socket(sc->local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		/* A span brings 1,000 packets/s (8 frames each): the default
		 * receive buffer holds about 0.15 s of them, too little for a
		 * worker that loses its core for a moment; ask for ~1 s (the
		 * kernel caps it at rmem_max). */
		if (fd >= 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){1 << 20}, sizeof(int));
		if (fd < 0 || bind(fd, (struct sockaddr *)&sc->local, sc->local_len) < 0) {
			LOGP(DMEDIA, LOGL_ERROR, "span %u: cannot bind its pseudowire: %s\n", i,
			     strerror(errno));
			if (fd >= 0)
				close(fd);
			return -EADDRNOTAVAIL;
		}
		cmd.span = *sc;
		cmd.fd_rtp = fd;
		if (media_cmd_send(e, (unsigned)sc->worker, &cmd) < 0) {
			close(fd);
			return -EBUSY;
		}
	}
	return 0;
}

/* With autogrouping (sched(7), CONFIG_SCHED_AUTOGROUP) a nice value acts
 * only inside the process's session: against every other session on the
 * box the workers would still get one share. Give the session the
 * workers' nice value too (it has the same CAP_SYS_NICE requirement). */
static void engine_autogroup(const struct media_engine *e)
{
	FILE *f;

	if (e->cfg.realtime || e->cfg.nice >= 0)
		return;
	f = fopen("/proc/self/autogroup", "w");
	if (!f)
		return; /* no autogrouping in this kernel */
	if (fprintf(f, "%d", e->cfg.nice) < 0 || fclose(f) != 0) {
		LOGP(DMEDIA, LOGL_NOTICE,
		     "media: cannot give the session (autogroup) nice %d: other sessions' load "
		     "can still starve the workers\n",
		     e->cfg.nice);
		return;
	}
}

int media_engine_start(struct media_engine *e)
{
	e->ev_wake = loop_wake_alloc(e->sig, engine_events, e);
	if (!e->ev_wake)
		return -ENOMEM;
	engine_autogroup(e);
	if (e->cfg.xdp_if) {
		struct loop_xdp_cfg xc = {.ifname = e->cfg.xdp_if,
					  .queues = e->cfg.xdp_queues,
					  .mode = (enum loop_xdp_mode)e->cfg.xdp_mode,
					  .zc = (enum loop_xdp_zc)e->cfg.xdp_zc};

		e->xdp = loop_xdp_open(e, &xc, e->xdp_why, sizeof(e->xdp_why));
		if (!e->xdp)
			LOGP(DMEDIA, LOGL_NOTICE,
			     "media: AF_XDP on %s not used: %s; the workers use sockets\n",
			     e->cfg.xdp_if, e->xdp_why);
	}
	for (unsigned i = 0; i < e->nw; i++) {
		struct media_worker *w = &e->w[i];

		sem_init(&w->ready, 0, 0);
		w->log = tandem_log_relay_alloc(e, e->sig, 256);
		if (!w->log)
			return -ENOMEM;
		if (pthread_create(&w->th, NULL, worker_main, w) != 0)
			return -errno;
		sem_wait(&w->ready);
		if (w->start_rc < 0)
			return w->start_rc;
	}
	e->running = true;
	if (spans_start(e) < 0)
		return -EADDRNOTAVAIL;
	LOGP(DMEDIA, LOGL_NOTICE, "media: %u worker(s), RTP %s (%u address(es)) ports %u-%u\n",
	     e->nw, e->cfg.rtp_addr, e->naddrs, e->cfg.rtp_port_min, e->cfg.rtp_port_max);
	return 0;
}

int media_cmd_send(struct media_engine *e, unsigned wi, const struct media_cmd *cmd)
{
	struct media_worker *w = &e->w[wi];

	if (!e->running)
		return -ENOTCONN;
	if (!spsc_push(w->cmdq, cmd))
		return -EBUSY;
	/* at the end of this turn of the signalling loop, once per worker:
	 * the commands of a turn (a call's channel set-up, several calls'
	 * releases) cost one eventfd write, and the worker (pinned to the
	 * same CPU or not) does not preempt the turn half way. A queue half
	 * full (a mass release, the stats round) wakes it at once. */
	if (spsc_count(w->cmdq) * 2 >= spsc_capacity(w->cmdq))
		loop_wake_signal(w->cmd_wake);
	else
		loop_wake_signal_later(e->sig, w->cmd_wake);
	return 0;
}

void media_engine_stop(struct media_engine *e)
{
	struct media_cmd cmd = {.op = CMD_STOP};

	if (!e->running)
		return;
	loop_timer_cancel(e->sig, &e->keep_timer);
	for (unsigned i = 0; i < e->nw; i++) {
		/* the queue may be full: keep trying, the worker drains it */
		while (media_cmd_send(e, i, &cmd) == -EBUSY) {
			loop_wake_flush(e->sig);
			usleep(1000);
		}
	}
	/* the workers are woken now: their loops end before the wakes go */
	loop_wake_flush(e->sig);
	for (unsigned i = 0; i < e->nw; i++) {
		pthread_join(e->w[i].th, NULL);
		TALLOC_FREE(e->w[i].ctx);
		tandem_log_relay_free(e->w[i].log);
		e->w[i].log = NULL;
	}
	if (e->xdp) {
		loop_xdp_close(e->xdp);
		e->xdp = NULL;
	}
	media_keep_reset(e); /* (the workers closed them) */
	e->running = false;
	loop_wake_free(e->ev_wake);
	e->ev_wake = NULL;
}

static int bind_udp(uint32_t addr, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd;

	a.sin_addr.s_addr = htonl(addr);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static uint16_t pair_port(const struct media_engine *e, uint32_t p)
{
	return (uint16_t)(e->cfg.rtp_port_min + 2 * (p % e->nports));
}

static uint32_t pair_addr(const struct media_engine *e, uint32_t p)
{
	return e->addr0 + p / e->nports;
}

int media_bind_pair(const struct media_engine *e, uint32_t p, bool rtcp)
{
	return bind_udp(pair_addr(e, p), (uint16_t)(pair_port(e, p) + rtcp));
}

/* The slot is the worker's and pair p the channel's; the caller's id and
 * RTP address */
static void chan_allocated(struct media_engine *e, unsigned wi, uint32_t p, uint32_t *id,
			   struct sockaddr_storage *local_rtp)
{
	uint32_t slot;

	media_slot_pool_get(&e->slots[wi], &slot);
	e->slot_port[wi][slot] = p;
	e->w[wi].live++;
	*id = (wi << 24) | slot;
	if (local_rtp) {
		struct sockaddr_in *a = (struct sockaddr_in *)local_rtp;

		memset(local_rtp, 0, sizeof(*local_rtp));
		a->sin_family = AF_INET;
		a->sin_port = htons(pair_port(e, p));
		a->sin_addr.s_addr = htonl(pair_addr(e, p));
	}
}

static int chan_alloc(struct media_engine *e, int worker, uint32_t *id,
		      struct sockaddr_storage *local_rtp, bool mux)
{
	unsigned wi = 0;
	uint32_t slot, kp;
	struct media_cmd cmd = {.op = CMD_CREATE, .mux = mux};
	int rc;

	if (worker >= 0 && (unsigned)worker < e->nw) {
		wi = (unsigned)worker;
	} else {
		for (unsigned i = 1; i < e->nw; i++)
			if (e->w[i].live < e->w[wi].live)
				wi = i;
	}
	/* the slot is taken only once its port pair is bound and the worker has the command */
	if (media_slot_pool_peek(&e->slots[wi], &slot) < 0)
		return -ENOSPC;
	/* a kept pair that rested (media/keep.c) */
	rc = media_keep_alloc(e, wi, slot, mux, true, &kp);
	if (rc == 0) {
		chan_allocated(e, wi, kp, id, local_rtp);
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	/* Next free even port whose pair binds (another process may hold it). */
	for (unsigned tries = 0, n = e->nports * e->naddrs; tries < n; tries++) {
		unsigned p = (e->port_next + tries) % n;

		if (media_port_taken(e, p))
			continue;
		cmd.fd_rtp = media_bind_pair(e, p, false);
		if (cmd.fd_rtp == -EMFILE || cmd.fd_rtp == -ENFILE)
			break; /* no descriptor: no port will bind */
		if (cmd.fd_rtp < 0)
			continue;
		cmd.fd_rtcp = mux ? -1 : media_bind_pair(e, p, true);
		if (!mux && cmd.fd_rtcp < 0) {
			close(cmd.fd_rtp);
			continue;
		}
		cmd.slot = slot;
		cmd.port = p;
		rc = media_cmd_send(e, wi, &cmd);
		if (rc < 0) {
			close(cmd.fd_rtp);
			if (cmd.fd_rtcp >= 0)
				close(cmd.fd_rtcp);
			return rc;
		}
		media_port_take(e, p);
		e->port_next = (p + 1) % n;
		chan_allocated(e, wi, p, id, local_rtp);
		return 0;
	}
	/* every port is in use or kept (or no descriptor is left): a kept
	 * pair that has not rested, this worker's or, for a channel that may
	 * go to any, another's; else the other workers' oldest are closed for
	 * the next channel */
	rc = media_keep_alloc(e, wi, slot, mux, false, &kp);
	for (unsigned i = 0; rc == -ENOENT && worker < 0 && i < e->nw; i++)
		if (i != wi && media_slot_pool_peek(&e->slots[i], &slot) == 0 &&
		    (rc = media_keep_alloc(e, i, slot, mux, false, &kp)) == 0)
			wi = i;
	if (rc == 0) {
		chan_allocated(e, wi, kp, id, local_rtp);
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	for (unsigned i = 0; i < e->nw; i++)
		media_keep_shed(e, i);
	return -EADDRINUSE;
}

int media_chan_alloc(struct media_engine *e, int worker, uint32_t *id,
		     struct sockaddr_storage *local_rtp)
{
	return chan_alloc(e, worker, id, local_rtp, false);
}

int media_chan_alloc_mux(struct media_engine *e, int worker, uint32_t *id,
			 struct sockaddr_storage *local_rtp)
{
	return chan_alloc(e, worker, id, local_rtp, true);
}

static int chan_cmd(struct media_engine *e, uint32_t id, struct media_cmd *cmd)
{
	unsigned wi = media_chan_worker(id), slot = id & 0xffffff;

	if (wi >= e->nw || !media_slot_pool_used(&e->slots[wi], slot))
		return -ENOENT;
	cmd->slot = slot;
	return media_cmd_send(e, wi, cmd);
}

int media_chan_cmd(struct media_engine *e, uint32_t id, struct media_cmd *cmd)
{
	return chan_cmd(e, id, cmd);
}

int media_chan_modify(struct media_engine *e, uint32_t id, const struct media_chan_cfg *cfg)
{
	struct media_cmd cmd = {.op = CMD_MODIFY, .cfg = *cfg};

	return chan_cmd(e, id, &cmd);
}

int media_chan_query(struct media_engine *e, uint32_t id)
{
	struct media_cmd cmd = {.op = CMD_QUERY};

	return chan_cmd(e, id, &cmd);
}

int media_chan_tone(struct media_engine *e, uint32_t id, const char *plan, const char *tone)
{
	struct media_cmd cmd = {.op = CMD_TONE};

	snprintf(cmd.tone_plan, sizeof(cmd.tone_plan), "%s", plan ? plan : "itu");
	snprintf(cmd.tone, sizeof(cmd.tone), "%s", tone ? tone : "");
	if (tone && !tone_plan_find(cmd.tone_plan, tone))
		return -ENOENT;
	return chan_cmd(e, id, &cmd);
}

int media_chan_dtmf(struct media_engine *e, uint32_t id, char digit, unsigned ms)
{
	struct media_cmd cmd = {.op = CMD_DTMF, .digit = digit, .digit_ms = ms};

	if (!strchr("0123456789*#ABCD", digit) || !digit || ms < 40 || ms > 5000)
		return -EINVAL;
	return chan_cmd(e, id, &cmd);
}

int media_chan_dtmf_rtp(struct media_engine *e, uint32_t id, char digit, unsigned ms)
{
	struct media_cmd cmd = {.op = CMD_DTMF_RTP, .digit = digit, .digit_ms = ms};

	if (!strchr("0123456789*#ABCD", digit) || !digit || ms < 40 || ms > 5000)
		return -EINVAL;
	return chan_cmd(e, id, &cmd);
}

int media_chan_cot(struct media_engine *e, uint32_t id, enum media_cot mode)
{
	struct media_cmd cmd = {.op = CMD_COT, .cot = mode};

	return chan_cmd(e, id, &cmd);
}

void media_test_hold_worker(struct media_engine *e, unsigned wi, bool hold)
{
	atomic_store_explicit(&e->w[wi].test_hold, hold, memory_order_release);
	if (!hold)
		loop_wake_signal(e->w[wi].cmd_wake);
}

int media_chan_free(struct media_engine *e, uint32_t id)
{
	struct media_cmd cmd = {.op = CMD_FREE};
	struct media_worker *w;
	int rc = chan_cmd(e, id, &cmd);

	if (rc != -EBUSY)
		return rc;
	/* the worker's queue is full (a mass release, a stalled worker):
	 * the free waits for room, after those already waiting. A slot is
	 * handed out again only after the worker's FREED, so it cannot be
	 * here twice but by a second free of the same channel. */
	w = &e->w[media_chan_worker(id)];
	if (w->n_free_later >= e->cfg.chans_per_worker)
		return -EBUSY;
	if (!w->n_free_later)
		LOGP(DMEDIA, LOGL_NOTICE,
		     "media worker %u: command queue full: channel frees wait for room\n", w->idx);
	w->free_later[w->n_free_later++] = cmd.slot;
	w->frees_deferred++;
	if (!loop_timer_pending(&e->free_retry))
		loop_timer_schedule(e->sig, &e->free_retry, 10000);
	return 0;
}
