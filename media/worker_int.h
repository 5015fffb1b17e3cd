/* Private to media/worker.c and media/span.c: the worker, its channels and
 * its TDM spans. */
#pragma once

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/loop.h"
#include "core/spsc.h"
#include "core/xdp.h"
#include "media/cesopsn.h"
#include "media/cot.h"
#include "media/dtmf.h"
#include "media/ec.h"
#include "media/rtp_event.h"
#include "media/tones.h"
#include "media/jitterbuf.h"
#include "media/media.h"
#include "media/rtp.h"
#include "media/rtcp.h"
#include "media/slot_pool.h"
#include "media/transcode.h"

#define QUEUE_DEPTH 4096

enum cmd_op {
	CMD_CREATE,
	CMD_MODIFY,
	CMD_QUERY,
	CMD_FREE,
	CMD_STOP,
	CMD_SPAN,
	CMD_TONE,
	CMD_COT,
	CMD_DTMF,
	CMD_DTMF_RTP,
	CMD_TAP,
	CMD_KEEP_DROP /* close the worker's oldest kept socket pair (media/keep.c) */
};

#define MEDIA_MAX_SPANS 1024

struct media_cmd {
	enum cmd_op op;
	uint32_t slot;
	int fd_rtp, fd_rtcp;
	/* CMD_CREATE: the pair's pool index (also CMD_KEEP_DROP's); kept: the
	 * worker's oldest kept pair, not fd_rtp (media/keep.c); mux: no RTCP
	 * socket (else fd_rtcp, or the kept one) */
	uint32_t port;
	bool kept, mux;
	struct media_chan_cfg cfg;
	struct media_span_cfg span;  /* CMD_SPAN */
	char tone_plan[8], tone[16]; /* CMD_TONE; tone "" stops */
	enum media_cot cot;	     /* CMD_COT */
	char digit;		     /* CMD_DTMF */
	unsigned digit_ms;
	unsigned tap; /* CMD_TAP: MEDIA_TAP_* */
};

struct media_worker;

/* A source address in short (media/keep.c): what sent to a kept pair */
struct media_src {
	sa_family_t family; /* 0: none */
	uint16_t port;	    /* network order */
	uint8_t addr[16];
};

struct media_chan {
	struct media_worker *w;
	uint32_t id;
	bool in_use, timeout_reported;
	unsigned live_idx; /* in w->live_slots while in_use */
	uint32_t port;	   /* the pair's pool index (media_engine.ports_used) */
	struct loop_udp *rtp, *rtcp;
	struct media_chan_cfg cfg;
	struct media_chan_stats st;
	uint64_t last_rx_ns;
	/* TDM mode (media/span.c) */
	struct media_span *span;
	unsigned ts_index; /* position of the timeslot in the span's payload */
	struct xc *xc;
	struct jb *jb;
	struct rtp_tx rtp_tx;
	uint8_t up[2 * XC_MAX_SAMPLES]; /* TDM -> RTP: samples gathered for a packet */
	unsigned up_fill;
	uint8_t down[XC_MAX_SAMPLES]; /* RTP -> TDM: the frame being played */
	unsigned down_len, down_off;
	/* DTMF: in-band on TDM <-> RFC 4733 on RTP */
	struct dtmf_det *det;
	struct rtp_event_tx evtx;
	int evtx_left; /* samples a timed RFC 4733 event (CMD_DTMF_RTP) still lasts; 0: none */
	char evq[16];  /* CMD_DTMF_RTP digits waiting for the one on to end */
	unsigned evq_n, evq_ms;
	int pending_event; /* a digit that began while the last one's end packets went out; -1 none
			    */
	struct rtp_event_rx evrx;
	struct dtmf_gen gen;
	uint32_t gen_left; /* samples of a timed digit (CMD_DTMF) still to play; 0: untimed */
	/* RFC 4733 digits toward TDM are played for their signalled duration
	 * on the span's clock, whenever their packets came (a worker that
	 * took START and END in one batch played nothing): the one on has
	 * gen_played samples out; those that came meanwhile wait in tdmq
	 * (len 0: its END not seen yet), each after a pause of gen_pause */
	uint32_t gen_played, gen_pause;
	char tdmq[4];
	uint32_t tdmq_len[4];
	unsigned tdmq_n;
	struct tone_gen tone; /* call-progress tone toward TDM */
	bool ans_reported;
	struct cot cot; /* continuity check tone transceiver */
	enum media_cot cot_mode;
	struct ec *ec; /* line echo canceller on the TDM side */
	/* RFC 3550 receiver statistics and the periodic RTCP report */
	struct rtp_rx rx;
	struct rtcp_peer peer; /* what the far end reports (rtcp_rx) */
	uint64_t next_rtcp_ns;
	uint32_t tx_pkts_at_rtcp;
	/* media admission (worker.c chan_admit): the configured remote as
	 * the signalling side gave it, where RTCP comes from and goes to,
	 * and the rtp-latch window and locks */
	struct sockaddr_storage sdp_remote, rtcp_remote;
	socklen_t rtcp_remote_len;
	uint16_t sdp_rtcp_port;
	uint64_t latch_until_ns;
	bool rtp_locked, rtcp_locked;
	/* a kept pair's: sources that sent to it before this channel took it
	 * over (the last call's far end) are never latched (media/keep.c) */
	struct media_src stale[2];
	/* rtcp-mux (RFC 5761): RTCP on the RTP socket, c->rtcp closed */
	bool mux;
	/* copies for a trace or HEP (media/tap.c): MEDIA_TAP_* of this
	 * channel, and its local RTP and RTCP addresses (read once) */
	uint8_t tap;
	bool tap_local_ok;
	union media_tap_addr tap_local[2];
};

/* A CESoPSN span owned by one worker; its packets are the TDM clock. */
struct media_span {
	bool in_use;
	struct media_worker *w;
	struct media_span_cfg cfg;
	struct cesop_cfg cc;
	struct cesop_tx tx;
	struct loop_udp *sock;
	struct media_chan *chan[CESOP_MAX_TS]; /* by position in the payload */
	struct jb *jb; /* reorders and conceals the span's packets (2 packets deep) */
	uint16_t rx_expect;
	bool rx_started;
	_Atomic uint64_t rx_pkts, tx_pkts, rx_bad, rx_lost, rx_l_bit;
	/* D channel (cfg.dchan_ts): HDLC on the timeslot at dch_pos; frames
	 * to the signalling thread on drxq, from it on dtxq (both made by the
	 * signalling thread before the span starts); pend: the frame taken
	 * from dtxq that the HDLC encoder has not accepted yet */
	int dch_pos;
	struct hdlc_rx_state_s *hrx; /* spandsp */
	struct hdlc_tx_state_s *htx;
	struct spsc *drxq, *dtxq;
	struct media_dchan_frame *pend;
	_Atomic uint64_t d_rx_frames, d_rx_bad, d_tx_frames, d_dropped;
};

/* One D channel frame on the queues. */
struct media_dchan_frame {
	uint16_t len;
	uint8_t data[MEDIA_DCHAN_MAX];
};

/* media/keep.c: socket pairs kept between calls, oldest at head */
struct media_keep_socks {
	struct loop_udp *rtp, *rtcp; /* rtcp NULL: the last call was muxed */
	uint32_t port;
	struct media_worker *w;
	struct media_src stale[2]; /* the last sources of RTP and RTCP while kept */
};
struct media_keep_ring { /* the worker's */
	struct media_keep_socks *s;
	unsigned head, n, cap;
};
struct media_keep_port {
	uint32_t port;
	bool rtcp;
	uint64_t since_ns;
};
struct media_keep_mirror { /* the signalling side's */
	struct media_keep_port *s;
	unsigned head, n, cap;
};

struct media_worker {
	struct media_engine *e;
	unsigned idx;
	pthread_t th;
	sem_t ready;
	int start_rc;
	struct loop *loop;
	struct loop_wake *cmd_wake; /* lives in this worker's loop */
	struct spsc *cmdq, *evq;
	struct media_chan *chans;
	/* the slots of the channels in use, in no order (the 100 ms tick and
	 * the health second walk these, not all chans_per_worker slots) */
	uint32_t *live_slots;
	unsigned n_live;
	unsigned tick_next; /* where in live_slots the next tick goes on */
	struct loop_timer tick;
	/* by span number; made by the signalling thread before CMD_SPAN */
	struct media_span *spans[MEDIA_MAX_SPANS];
	unsigned live; /* channels allocated (signalling side's view) */
	/* signalling side: frees the full command queue refused, sent again
	 * at the next event drain or by e->free_retry: a free is never lost
	 * (its slot, RTP ports, descriptors and timeslot would stay taken) */
	uint32_t *free_later;
	unsigned n_free_later;
	uint64_t frees_deferred;
	_Atomic bool test_hold; /* media_test_hold_worker */
	/* written by the worker only, read by "show media" */
	_Atomic uint64_t rx_pkts, tx_pkts, rx_bad, timeouts, rx_refused;
	/* The worker's own talloc tree, made by the signalling thread and then
	 * touched by this worker only (talloc is not thread-safe). */
	void *ctx;
	struct log_relay *log; /* this worker's LOGP lines, to the signalling thread */
	uint64_t ev_dropped;
	/* Overload: the worker is behind when the kernel drops datagrams its
	 * receive queues had no room for, when sends find no free slot, or
	 * when its 100 ms tick runs late. Checked once a second (worker.c
	 * worker_health); "show media" and one log line per change say so. */
	uint64_t tick_due_ns, next_health_ns, late_max_ns, send_no_slot_seen, udp_drops_seen;
	unsigned clear_s;
	_Atomic bool overloaded;
	/* set by media_engine_trim: at its next tick the worker gives back its
	 * event queue's free pages and, with no channel left, its loop's */
	_Atomic bool trim_req;
	_Atomic uint64_t trimmed; /* bytes so given, in all */
	_Atomic uint64_t kernel_drops, overloads, send_refused;
	_Atomic uint32_t late_max_ms; /* worst tick lateness of the last check */
	/* data path (worker.c worker_path): set before the worker reports
	 * ready, read-only afterwards; xsk counters from worker_health */
	bool xdp;
	char path[224];
	uint64_t xsk_drops_seen;
	_Atomic uint64_t xsk_rx, xsk_tx, xsk_kernel_tx, xsk_drops, xsk_bad, xsk_no_room;
	/* packet copies to the signalling thread (media/tap.c): made by it
	 * before the first command or flag that lets this worker copy */
	struct spsc *tapq;
	_Atomic uint64_t tap_dropped;
	/* media/keep.c: the kept sockets (worker) and datagrams they dropped;
	 * their ports in the same order, pairs taken over, closed unused
	 * (signalling side) */
	struct media_keep_ring keep;
	_Atomic uint64_t keep_rx;
	struct media_keep_mirror kmirror;
	uint64_t keep_reused, keep_closed;
};

struct media_engine {
	struct media_cfg cfg;
	struct loop *sig;
	struct loop_wake *ev_wake;    /* lives in the signalling loop */
	struct loop_timer free_retry; /* deferred frees (media_worker.free_later) */
	struct loop_timer keep_timer; /* kept sockets unused too long (media/keep.c) */
	media_event_cb cb;
	void *priv;
	struct media_worker *w;
	unsigned nw;
	struct media_span_cfg *span_cfg[MEDIA_MAX_SPANS]; /* NULL: no such span */
	bool running;
	struct loop_xdp *xdp; /* the interface with tandem's XDP program, or NULL */
	char xdp_why[192];    /* why not, when NULL */
	/* port pool: one bit per even port, set = in use */
	uint8_t *ports_used;
	unsigned nports, naddrs, port_next; /* pool index = address * nports + pair */
	uint32_t addr0;			    /* first RTP address, host order */
	/* per worker per slot: which pool entry (signalling side) */
	uint32_t **slot_port;
	/* per worker: its free channel slots, taken and given back in O(1)
	 * (signalling side) */
	struct slot_pool *slots;
	media_dchan_cb dchan_cb;
	void *dchan_priv;
	unsigned n_dchan; /* spans with a D channel, their numbers */
	unsigned dchan_span[MEDIA_MAX_SPANS];
	/* their frame queues by span number, made before the workers start;
	 * the signalling thread uses these (the worker its copies in the span) */
	struct spsc *dchan_rxq[MEDIA_MAX_SPANS], *dchan_txq[MEDIA_MAX_SPANS];
	/* media/tap.c */
	media_tap_cb tap_cb;
	void *tap_priv;
	_Atomic bool tap_rtcp; /* every channel's RTCP */
};

/* media/span.c */
int span_create(struct media_worker *w, const struct media_span_cfg *cfg, int fd);
void span_destroy(struct media_span *s);
int chan_tdm_setup(struct media_worker *w, struct media_chan *c, const struct media_chan_cfg *cfg);
void chan_tdm_release(struct media_chan *c);
/* RTP received on a channel in TDM mode */
void chan_tdm_rtp_rx(struct media_chan *c, const uint8_t *data, size_t len);
int chan_tdm_tone(struct media_chan *c, const char *plan, const char *tone);
int chan_tdm_dtmf(struct media_chan *c, char digit, unsigned ms);
int chan_rtp_dtmf(struct media_chan *c, char digit, unsigned ms);
int chan_tdm_cot(struct media_chan *c, enum media_cot mode);
/* worker.c: queue an event for the signalling thread */
void worker_event(struct media_worker *w, const struct media_event *ev);
/* The socket RTCP goes out on: the RTP one once rtcp-mux is on. */
static inline struct loop_udp *chan_rtcp_sock(const struct media_chan *c)
{
	return c->mux ? c->rtp : c->rtcp;
}

/* span.c: send the channel's RTCP report when due (called from the tick) */
void chan_rtcp_tick(struct media_chan *c, uint64_t now_ns);
/* worker.c: the wallclock in NTP format (RFC 3550 4) */
uint64_t worker_ntp_now(void);

/* The port pool's bits (signalling side): pair p is a channel's or kept */
static inline bool media_port_taken(const struct media_engine *e, uint32_t p)
{
	return e->ports_used[p / 8] & (1u << (p % 8));
}
static inline void media_port_take(struct media_engine *e, uint32_t p)
{
	e->ports_used[p / 8] |= (uint8_t)(1u << (p % 8));
}
static inline void media_port_free(struct media_engine *e, uint32_t p)
{
	e->ports_used[p / 8] &= (uint8_t) ~(1u << (p % 8));
}

/* worker.c, signalling side: queue a command for worker wi (-EBUSY: the
 * queue is full); bind the RTP (or RTCP) port of pool entry p */
int media_cmd_send(struct media_engine *e, unsigned wi, const struct media_cmd *cmd);
int media_bind_pair(const struct media_engine *e, uint32_t p, bool rtcp);

/* media/keep.c, worker side: keep a freed channel's sockets (false: the
 * caller closes them); take over or close the oldest pair, which must be
 * port's; close all (stop) */
bool media_keep_park(struct media_worker *w, struct media_chan *c);
int media_keep_take(struct media_worker *w, uint32_t port, struct media_chan *c,
		    struct loop_udp **rtcp);
/* from is one of c's stale sources (of RTP, or of RTCP) */
bool media_keep_stale(const struct media_chan *c, bool rtcp, const struct sockaddr *from);
void media_keep_drop(struct media_worker *w, uint32_t port);
void media_keep_close_all(struct media_worker *w);
/* signalling side: the rings; a pair the worker kept (its FREED); a new
 * channel on the oldest pair (rested: only one that rested
 * keep_rest_ms), 0 and *port, -ENOENT (none) or the queue's error; the
 * idle timer */
int media_keep_init(struct media_engine *e, struct media_worker *w);
void media_keep_kept(struct media_engine *e, unsigned wi, uint32_t p, bool rtcp);
int media_keep_alloc(struct media_engine *e, unsigned wi, uint32_t slot, bool mux, bool rested,
		     uint32_t *port);
void media_keep_timer_cb(void *priv);
/* close worker wi's oldest kept pair (another worker ran out of ports or
 * descriptors); 0 or -ENOENT / the queue's error */
int media_keep_shed(struct media_engine *e, unsigned wi);
/* after the stop: no pair is kept, their ports are free */
void media_keep_reset(struct media_engine *e);

/* media/tap.c: copy a packet of the channel when it is tapped (worker) */
void chan_tap_copy(struct media_chan *c, unsigned kind, bool tx, const uint8_t *data, size_t len,
		   const struct sockaddr *peer, socklen_t peer_len);
static inline void chan_tap(struct media_chan *c, unsigned kind, bool tx, const uint8_t *data,
			    size_t len, const struct sockaddr *peer, socklen_t peer_len)
{
	if ((c->tap & kind) || (kind == MEDIA_TAP_RTCP &&
				atomic_load_explicit(&c->w->e->tap_rtcp, memory_order_acquire)))
		chan_tap_copy(c, kind, tx, data, len, peer, peer_len);
}
/* worker.c: a command to the channel's worker (signalling side) */
int media_chan_cmd(struct media_engine *e, uint32_t id, struct media_cmd *cmd);
/* CMD_TAP on the worker */
void chan_tap_set(struct media_chan *c, unsigned kinds);
/* the signalling thread: hand the copies to the callback */
void media_tap_drain(struct media_engine *e);
