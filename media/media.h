/* The media plane as the signalling thread sees it.
 *
 * N worker threads, each with its own io_uring loop, own a share of the
 * channels for the channels' whole life. The signalling thread allocates a
 * channel (the RTP port pair is bound here, synchronously, so that the SDP
 * can carry it at once), then commands it; the worker answers with events.
 * Commands and events travel through SPSC queues with a loop wake-up; no
 * lock is taken on the packet path. */
#pragma once

#include <stdbool.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

struct loop;
struct media_engine;

struct media_cfg {
	unsigned workers;	   /* 0: cores - 1, at least 1 */
	unsigned chans_per_worker; /* channel table size per worker (default 1024) */
	const char *rtp_addr;	   /* local address for RTP (default 127.0.0.1) */
	unsigned rtp_addr_count;   /* IPv4 addresses from rtp_addr on, each with the whole
				    * port range (0: 1); a box with several media addresses
				    * holds more channels than one port range gives */
	uint16_t rtp_port_min;	   /* even; default 16384 */
	uint16_t rtp_port_max;	   /* default 32767 */
	unsigned rtp_timeout_ms;   /* no RTP for this long: MEDIA_EV_RTP_TIMEOUT (0: off) */
	/* Scheduling of the worker threads: a span delivers 1,000 packets/s
	 * and has no slack for a fair share of the CPU against other busy
	 * processes. realtime > 0: SCHED_FIFO at that priority; else the
	 * nice value (media_vty default -10; 0 leaves it). Needs
	 * CAP_SYS_NICE; without it the worker says so and runs as it is. */
	unsigned realtime;
	int nice;
	unsigned latch_ms; /* rtp-latch window (0: MEDIA_LATCH_MS) */
	/* AF_XDP (core/xdp.h): workers 0..xdp_queues-1 receive and send the
	 * media of xdp_if's addresses through an xsk on that receive queue;
	 * NULL, or when it cannot be used (logged, "show media"), sockets */
	const char *xdp_if;
	unsigned xdp_queues;
	unsigned xdp_mode, xdp_zc; /* enum loop_xdp_mode, enum loop_xdp_zc */
	/* A freed channel's RTP/RTCP sockets stay bound and receiving (what
	 * comes is counted and dropped); a later channel of the same worker
	 * takes them once they rested keep_rest_ms (0: MEDIA_KEEP_REST_MS),
	 * rather than socket+bind per call and close+cancel after; closed
	 * when unused for keep_idle_ms (0: MEDIA_KEEP_IDLE_MS). keep_off:
	 * none kept (media/keep.c). */
	bool keep_off;
	unsigned keep_rest_ms, keep_idle_ms;
};
#define MEDIA_KEEP_REST_MS 4000
#define MEDIA_KEEP_IDLE_MS 30000

enum media_mode {
	MEDIA_MODE_IDLE,     /* receive and count, send nothing */
	MEDIA_MODE_LOOPBACK, /* maintenance loop-back: RTP goes back where it came from */
	MEDIA_MODE_RELAY,    /* RTP of this channel goes to the peer channel's remote */
	MEDIA_MODE_TDM,	     /* a TDM timeslot <-> RTP with the codec below */
};

enum media_codec {
	MEDIA_CODEC_PCMA,
	MEDIA_CODEC_PCMU,
	MEDIA_CODEC_G722,
};

/* A TDM span: an E1 or T1 carried as a CESoPSN pseudowire (RFC 5086). */
struct media_span_cfg {
	unsigned id;
	bool t1; /* T1 (24 timeslots, µ-law) rather than E1 (31, A-law) */
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	unsigned frames; /* frames per packet (default 8) */
	int worker;	 /* -1: id modulo the number of workers */
	/* A D channel (ISDN PRI, Q.921 frames in HDLC): its timeslot (E1 16,
	 * T1 24; 0: none). The worker does the HDLC framing (spandsp) and
	 * hands whole frames to the signalling thread (media_dchan_*). The
	 * signalling words after it are kept for the layer that runs the
	 * protocol; media does not read them. */
	unsigned dchan_ts;
	char dchan_role[8];    /* "network" | "user" */
	char dchan_switch[12]; /* "euroisdn", "ni2", ... */
};

struct media_chan_cfg {
	enum media_mode mode;
	/* Media admission (RFC 3550 8.2 leaves it to the application; an SBC
	 * admits only what it negotiated): RTP is accepted only from remote
	 * (address and port), RTCP only from remote's address and rtcp_port;
	 * everything else is dropped and counted (rx_refused). */
	struct sockaddr_storage remote; /* where RTP goes and comes from (ss_family 0: none yet) */
	socklen_t remote_len;
	uint16_t rtcp_port; /* RFC 3605 a=rtcp; 0: remote's port + 1 (RFC 3550 11) */
	/* rtp-latch (a peer behind NAT): the first source seen in the first
	 * MEDIA_LATCH_MS after remote was set becomes the remote (RTP and
	 * RTCP each), and is then locked; later sources are refused */
	bool latch;
	/* RFC 5761 rtcp-mux agreed: RTCP comes and goes on the RTP port
	 * (rtcp_port is then remote's RTP port); the channel's RTCP socket
	 * is closed at once, and the channel stays muxed until freed */
	bool rtcp_mux;
	uint32_t peer; /* MEDIA_MODE_RELAY: the other channel (same worker) */
	/* MEDIA_MODE_TDM */
	unsigned span, timeslot;
	enum media_codec codec;
	uint8_t pt;	 /* payload type of the codec, as negotiated */
	uint8_t dtmf_pt; /* telephone-event payload type, 0: none */
	/* detect digits on TDM even without dtmf_pt: take them out of the
	 * audio and report each as MEDIA_EV_DTMF when it ends (SIP INFO) */
	bool dtmf_detect;
	unsigned ptime; /* 10, 20, 30 */
	char ec[16];	/* echo canceller ("tandem", "speex", "spandsp"), "": none */
	unsigned ec_tail_ms;
};

#define MEDIA_LATCH_MS 2000

struct media_chan_stats {
	uint64_t rx_pkts, tx_pkts, rx_bytes, tx_bytes, rx_bad;
	uint64_t rx_refused; /* RTP and RTCP from a source not admitted (dropped) */
	uint64_t jb_lost, jb_late, jb_concealed;
	float ec_erl_db, ec_erle_db; /* echo canceller, when there is one */
	bool ec_tone_disabled;
	bool have_ec;
	bool peer_have_rb;	   /* the far end's RTCP reports (below) came */
	int32_t ec_convergence_ms; /* far-end-active time to 20 dB ERLE; -1 not (yet) */
	float ec_double_talk;	   /* share of far-end-active time under double talk */
	int32_t rtp_lost;	   /* RFC 3550 A.3 cumulative lost of the received stream */
	float rtp_jitter_ms;	   /* RFC 3550 A.8 interarrival jitter */
	uint32_t idle_ms;	   /* since the last RTP packet */
	/* the far end's RTCP reports about what we send (RFC 3550 6.4) */
	uint64_t rtcp_rx, rtcp_bad;
	bool rtcp_mux;		 /* RTCP on the RTP port (RFC 5761); no RTCP socket */
	int32_t peer_lost;	 /* cumulative, as the peer counts it */
	float peer_fraction_pct; /* of its last report interval */
	float peer_jitter_ms;
	float rtt_ms; /* from LSR/DLSR; < 0: not known */
};

enum media_event_type {
	MEDIA_EV_RTP_TIMEOUT,
	MEDIA_EV_STATS,
	MEDIA_EV_FREED, /* the worker released the channel; its id may be reused */
	MEDIA_EV_DTMF,	/* a digit: detected on TDM (sent as RFC 4733) or received on RTP */
	MEDIA_EV_ANS,	/* 2100 Hz answer tone with phase reversals on TDM: canceller off (G.165) */
	MEDIA_EV_COT,	/* continuity check: the check tone came back (Q.724) */
	MEDIA_EV_CHAN_FAILED, /* the channel could not take its timeslot (busy, no such
			       * span): no voice path; the channel stays, idle */
};

struct media_event {
	enum media_event_type type;
	uint32_t chan;
	struct media_chan_stats stats;
	char digit;    /* MEDIA_EV_DTMF */
	bool from_rtp; /* MEDIA_EV_DTMF: RFC 4733 from RTP (else detected on TDM) */
	/* MEDIA_EV_FREED: the worker kept the sockets for another channel
	 * (media_cfg.keep_off), with the RTCP one (in what was padding) */
	bool kept, kept_rtcp;
	uint32_t duration; /* MEDIA_EV_DTMF: samples */
};

typedef void (*media_event_cb)(void *priv, const struct media_event *ev);

struct media_engine *media_engine_alloc(void *ctx, struct loop *sig_loop,
					const struct media_cfg *cfg, media_event_cb cb, void *priv);
/* Start the worker threads. 0 or -errno. */
int media_engine_start(struct media_engine *e);
/* Stop and join the workers; channels are released. */
void media_engine_stop(struct media_engine *e);
/* Signalling thread, when idle: give back the pages of the command queues'
 * free slots (a busy hour's channel set-ups wrapped round all of them:
 * 4,096 x 552 B a worker), and ask each worker to trim its own (see
 * media_engine_trimmed). The bytes given here. */
size_t media_engine_trim(struct media_engine *e);
/* What a worker gave back itself after media_engine_trim asked (its event
 * queue, and with no channel left its loop's send slots and receive
 * rings), bytes in all. */
uint64_t media_engine_trimmed(const struct media_engine *e, unsigned worker);
/* Bytes of one channel's state in a worker's channel array. */
size_t media_chan_size(void);

unsigned media_engine_workers(const struct media_engine *e);
const struct media_cfg *media_engine_cfg(const struct media_engine *e);

/* Totals of one worker, readable from any thread (relaxed counters). */
struct media_worker_stats {
	unsigned chans; /* allocated, as the signalling side sees it */
	uint64_t rx_pkts, tx_pkts, rx_bad, timeouts, ev_dropped;
	/* channel frees its full command queue made wait (sent once there
	 * was room), and those waiting now */
	uint64_t frees_deferred;
	unsigned frees_waiting;
	uint64_t rx_refused; /* media admission: packets from sources not admitted */
	/* overload (worker.c worker_health): datagrams the kernel dropped
	 * because the worker did not read them in time, sends refused for
	 * want of a slot, the worst tick lateness in the last second, and
	 * how often the worker became overloaded */
	uint64_t kernel_drops, send_refused, overloads;
	uint32_t late_max_ms;
	bool overloaded;
	/* the data path: AF_XDP or sockets, and why (a string the worker
	 * keeps); the xsk's datagrams, sends that took the kernel socket
	 * (next hop not known yet), drops from the kernel's xsk statistics,
	 * frames refused by the worker, sends without a free frame */
	bool xdp;
	const char *path;
	uint64_t xsk_rx, xsk_tx, xsk_kernel_tx, xsk_drops, xsk_bad, xsk_no_room;
	/* sockets kept between calls: pairs kept now, taken over by a new
	 * channel, closed unused; datagrams that came to kept ones */
	unsigned keep_now;
	uint64_t keep_reused, keep_closed, keep_rx;
};
int media_engine_worker_stats(struct media_engine *e, unsigned worker,
			      struct media_worker_stats *out);

/* VTY: the "media" configuration node and "show media". */
extern struct media_cfg media_vty_cfg;
/* Spans from the configuration, for the daemon to add before start. */
#define MEDIA_VTY_MAX_SPAN 1023
extern struct media_span_cfg *media_vty_spans;
extern unsigned media_vty_n_spans;
extern const char *media_vty_ec_name;
extern unsigned media_vty_ec_tail_ms;
void media_vty_init(void);
void media_vty_set_engine(struct media_engine *e);

/* Allocate a channel with an RTP/RTCP port pair. worker < 0: the least
 * loaded one (a TDM span pins its channels to the span's worker). */
int media_chan_alloc(struct media_engine *e, int worker, uint32_t *id,
		     struct sockaddr_storage *local_rtp);
/* The same for a channel muxed from the start (RFC 5761: we answer an offer
 * of a=rtcp-mux, which is always accepted): no RTCP socket is opened (the
 * pair's odd port stays unused), RTCP goes on the RTP port. */
int media_chan_alloc_mux(struct media_engine *e, int worker, uint32_t *id,
			 struct sockaddr_storage *local_rtp);
int media_chan_modify(struct media_engine *e, uint32_t id, const struct media_chan_cfg *cfg);
/* Ask the worker for a MEDIA_EV_STATS event. */
int media_chan_query(struct media_engine *e, uint32_t id);
/* Ends the channel; its slot is handed out again after the worker's
 * MEDIA_EV_FREED. A full command queue does not lose it: it waits for
 * room (media_worker_stats frees_deferred). */
int media_chan_free(struct media_engine *e, uint32_t id);
/* Tests: the worker leaves its commands queued while held, as a worker
 * stalled or starved of CPU does. */
void media_test_hold_worker(struct media_engine *e, unsigned wi, bool hold);
/* Play a call-progress tone toward TDM ("ringback", "busy", "congestion",
 * "dial") from a plan ("us", "itu"); tone NULL stops it. It replaces what
 * RTP brings while it plays. */
int media_chan_tone(struct media_engine *e, uint32_t id, const char *plan, const char *tone);
/* Play a DTMF digit (0-9 * # A-D) toward TDM for ms (40-5000), e.g. from
 * a SIP INFO. -EINVAL for another character. */
int media_chan_dtmf(struct media_engine *e, uint32_t id, char digit, unsigned ms);
/* Send a digit toward RTP as RFC 4733 events for ms (40-5000), e.g. one
 * the circuit signalled out of band (Q.931 KEYPAD); only on a channel with
 * a telephone-event payload type. -EINVAL for another character. */
int media_chan_dtmf_rtp(struct media_engine *e, uint32_t id, char digit, unsigned ms);

/* Continuity check on the channel's timeslot (Q.764 2.1.8, Q.724): send
 * the 2000 Hz check tone and report MEDIA_EV_COT when it comes back
 * (4-wire), or loop the timeslot back for the far end's check; OFF ends
 * either. The signalling side keeps the time limit (T8/T24). */
enum media_cot { MEDIA_COT_OFF, MEDIA_COT_CHECK, MEDIA_COT_LOOP };
int media_chan_cot(struct media_engine *e, uint32_t id, enum media_cot mode);

/* Spans are added before media_engine_start(). 0 or -errno. */
int media_engine_add_span(struct media_engine *e, const struct media_span_cfg *cfg);
/* The worker that owns a span (its channels must live there), or -ENOENT. */
int media_span_worker(const struct media_engine *e, unsigned span);

struct media_span_stats {
	uint64_t rx_pkts, tx_pkts, rx_bad, rx_lost, rx_l_bit;
	/* D channel: HDLC frames received (good CRC), refused (bad CRC, too
	 * long, aborted), sent, and frames dropped for want of queue room */
	uint64_t d_rx_frames, d_rx_bad, d_tx_frames, d_dropped;
};

/* D channel frames (without the FCS) between a span's worker and the
 * signalling thread. The callback runs on the signalling thread. */
#define MEDIA_DCHAN_MAX 300
typedef void (*media_dchan_cb)(void *priv, unsigned span, const uint8_t *frame, size_t len);
void media_engine_set_dchan_cb(struct media_engine *e, media_dchan_cb cb, void *priv);
/* Queue one frame for the span's D channel (HDLC on its timeslot).
 * 0, -ENOENT (no such span or no D channel), -EMSGSIZE, -ENOBUFS. */
int media_dchan_send(struct media_engine *e, unsigned span, const uint8_t *frame, size_t len);
int media_span_stats(struct media_engine *e, unsigned span, struct media_span_stats *out);

/* Channel ids: worker in the top byte, slot below. */
static inline unsigned media_chan_worker(uint32_t id)
{
	return id >> 24;
}

/* Copies of a channel's RTP and RTCP for a call trace (pcap) and RTCP
 * reports for a HEP collector (media/tap.c). The worker copies each packet
 * into a ring sized at the first use (no allocation on the packet path,
 * never a wait): a full ring drops the copy and counts it. The copies
 * reach the callback on the signalling thread with the events. */
#define MEDIA_TAP_RTP  0x1
#define MEDIA_TAP_RTCP 0x2
#define MEDIA_TAP_SNAP 1024 /* bytes of a packet copied; the rest is cut */

union media_tap_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct media_tap_pkt {
	uint32_t chan;
	uint8_t kind; /* MEDIA_TAP_RTP or MEDIA_TAP_RTCP */
	bool tx;
	uint16_t len;	   /* bytes in data */
	uint16_t wire_len; /* the datagram's length (> len: cut) */
	uint64_t ts_ns;	   /* CLOCK_REALTIME */
	union media_tap_addr src, dst;
	uint8_t data[MEDIA_TAP_SNAP];
};

typedef void (*media_tap_cb)(void *priv, const struct media_tap_pkt *p);
void media_engine_set_tap_cb(struct media_engine *e, media_tap_cb cb, void *priv);
/* kinds: MEDIA_TAP_* of this channel (0: none). 0 or -errno. */
int media_chan_tap(struct media_engine *e, uint32_t id, unsigned kinds);
/* RTCP of every channel (the HEP collector's quality reports). 0 or -ENOMEM. */
int media_engine_tap_rtcp(struct media_engine *e, bool on);
/* copies dropped because a worker's ring was full */
uint64_t media_engine_tap_dropped(const struct media_engine *e);
