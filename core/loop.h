/* The io_uring event loop: one per thread.
 *
 * Everything that waits does so through the ring: sockets (multishot receive
 * into provided buffer rings), timers (the nearest expiry is one io_uring
 * timeout), libosmocore's file descriptors (poll requests on the ring) and
 * timers (osmo_timer, used by osmo_fsm and osmo_tdef), signals (signalfd),
 * and wake-ups from other threads (eventfd). Submission happens once per
 * loop turn, after every handler ran. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <liburing.h>

struct loop;

/* Every request carries a pointer to one of these as its user_data. */
struct loop_op {
	void (*cb)(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe);
	void *priv;
};

struct loop_cfg {
	unsigned entries;      /* submission queue size (default 1024) */
	unsigned udp_bufs;     /* buffers in the UDP receive ring (power of 2, default 1024) */
	unsigned udp_buf_size; /* largest UDP payload received whole (default 2048); each
				* receive buffer has LOOP_UDP_RX_ROOM more for the
				* recvmsg header and source address. A larger datagram
				* is dropped and counted (udp_trunc), never cut. */
	unsigned tcp_bufs;     /* buffers in the TCP receive ring (power of 2, default 256) */
	unsigned tcp_buf_size; /* bytes per TCP receive buffer (default 16384) */
	unsigned send_slots;   /* UDP send slots, each udp_buf_size bytes (default 1024) */
	bool drive_osmocom;    /* poll osmo_fds and run osmo_timers from this loop */
	bool plain_ring;       /* do not ask for SINGLE_ISSUER|DEFER_TASKRUN */
};

/* Room in a UDP receive buffer before the payload: the multishot recvmsg
 * header, the source address and the control data (liburing
 * io_uring_recvmsg_out layout); LOOP_UDP_CTL_ROOM holds the control
 * messages a socket may ask for: SO_RXQ_OVFL (loop_udp_count_drops, 24
 * bytes) and SCM_TIMESTAMPNS (loop_udp_measure_wait, 32 bytes). */
#define LOOP_UDP_CTL_ROOM 64u
#define LOOP_UDP_RX_ROOM \
	(sizeof(struct io_uring_recvmsg_out) + sizeof(struct sockaddr_storage) + LOOP_UDP_CTL_ROOM)

/* How late the loop ran: the longest time seen and how many times it was
 * over each of loop_late_ms[] (10, 100 and 500 ms). */
#define LOOP_LATE_STEPS 3
extern const unsigned loop_late_ms[LOOP_LATE_STEPS];
struct loop_late {
	uint64_t n;	 /* times measured */
	uint64_t max_ns; /* the longest */
	uint64_t over[LOOP_LATE_STEPS];
};

struct loop_stats {
	uint64_t turns;		 /* loop iterations */
	uint64_t enter_calls;	 /* io_uring_enter system calls (submit and/or wait) */
	uint64_t sqes;		 /* requests submitted */
	uint64_t cqes;		 /* completions handled */
	uint64_t udp_rx, udp_tx; /* datagrams */
	uint64_t udp_enobufs;	 /* multishot receives ended because the buffer ring ran dry */
	uint64_t tcp_enobufs;
	uint64_t rx_ring_lost;	   /* a trim could not register a receive ring again */
	uint64_t rx_parked;	   /* receives parked while their ring was lost */
	unsigned rx_parked_now;	   /* parked at this moment */
	uint64_t udp_trunc;	   /* datagrams larger than a buffer: dropped */
	uint64_t udp_kernel_drops; /* datagrams the kernel dropped on sockets that count
				    * them (loop_udp_count_drops), as the next datagram
				    * received on each tells */
	uint64_t send_no_slot;	   /* UDP sends refused: no free send slot */
	uint64_t udp_icmp_errors;  /* ICMP errors read off UDP error queues */
	uint64_t udp_tx_resent;	   /* sends failed by another datagram's ICMP error, sent again */
	uint64_t timers_fired;
	uint64_t osmo_fd_polls; /* poll requests for libosmocore fds */
	uint64_t osmo_fd_disp;	/* dispatches of ready libosmocore fds */
	/* Datagrams' wait in their socket, from the kernel queueing them to
	 * the owner's callback (sockets that asked: loop_udp_measure_wait):
	 * what a peer's retransmission timer sees of this loop. */
	struct loop_late udp_wait;
	/* Turns' work: from the wait's end to the turn's end (completions,
	 * libosmocore fds, timers); nothing else runs on the thread meanwhile. */
	struct loop_late turn_work;
	unsigned udp_bufs_in_use, udp_bufs_total;
	unsigned tcp_bufs_in_use, tcp_bufs_total;
	unsigned send_slots_in_use, send_slots_total;
	unsigned timers_pending;
	/* UDP sockets open, those closing included (each closes when its
	 * last request ends: a cancelled receive's completion) */
	unsigned udp_open;
};

/* What the kernel gave us, for "show loop" and the start-up log. */
struct loop_features {
	bool single_issuer, defer_taskrun, ext_arg, fast_poll, recv_multishot, buf_ring;
};

/* Raise RLIMIT_NOFILE's soft limit to the hard one (once, at start-up).
 * Returns the limit now in force or -errno. */
int loop_raise_fd_limit(void);

struct loop *loop_alloc(void *ctx, const struct loop_cfg *cfg);
void loop_free(struct loop *l);

/* One turn: submit what is queued, wait for a completion (or the nearest
 * timer), handle every completion, run due timers. -errno on ring failure. */
int loop_run_once(struct loop *l);
/* Turn until loop_stop(). Returns 0, or -errno on ring failure. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
bool loop_stopping(const struct loop *l);

/* A submission queue entry; submits the queue first if it is full. */
struct io_uring_sqe *loop_sqe(struct loop *l, struct loop_op *op);

const struct loop_stats *loop_get_stats(struct loop *l);
const struct loop_features *loop_get_features(const struct loop *l);
struct io_uring *loop_ring(struct loop *l);
uint64_t loop_now_ns(void);

/* --- timers (min-heap; nearest expiry is the ring's one timeout) --- */
struct loop_timer {
	uint64_t expires_ns;
	void (*cb)(void *priv);
	void *priv;
	int heap_idx; /* -1 when not scheduled */
};

void loop_timer_init(struct loop_timer *t, void (*cb)(void *priv), void *priv);
void loop_timer_schedule(struct loop *l, struct loop_timer *t, uint64_t delay_us);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);
bool loop_timer_pending(const struct loop_timer *t);

/* --- signals: SIGTERM/SIGINT stop the loop, SIGHUP calls hup_cb --- */
int loop_signals_start(struct loop *l, void (*hup_cb)(void *priv), void *priv);
/* SIGTERM calls term_cb instead of stopping (a graceful drain); the
 * callback stops the loop when it wants. NULL: SIGTERM stops at once. */
void loop_signals_on_term(struct loop *l, void (*term_cb)(void *priv), void *priv);

/* --- UDP: multishot recvmsg into the provided buffer ring --- */
struct loop_udp;
/* data points into a ring buffer, valid only during the call. */
typedef void (*loop_udp_rx_cb)(void *priv, const uint8_t *data, size_t len,
			       const struct sockaddr *from, socklen_t fromlen);

struct loop_udp *loop_udp_open(struct loop *l, const struct sockaddr *bind_addr, socklen_t alen,
			       loop_udp_rx_cb cb, void *priv);
/* Wrap an already bound socket (the loop owns it afterwards). */
struct loop_udp *loop_udp_adopt(struct loop *l, int fd, loop_udp_rx_cb cb, void *priv);
/* Copy into a send slot and queue a sendmsg; sent with the turn's batch.
 * -ENOBUFS when every slot is in flight, -EMSGSIZE when too large. */
int loop_udp_send(struct loop_udp *u, const void *data, size_t len, const struct sockaddr *to,
		  socklen_t tolen);
int loop_udp_fd(const struct loop_udp *u);
/* Hand the socket's datagrams to another callback from the next one on
 * (a socket kept between owners: media/keep.c); an error callback
 * (loop_udp_on_error) gets the new priv too. Call on the loop's thread. */
void loop_udp_set_cb(struct loop_udp *u, loop_udp_rx_cb cb, void *priv);
/* Count the datagrams the kernel drops on this socket (receive queue full):
 * SO_RXQ_OVFL gives the socket's drop counter with each datagram received
 * after a drop, added to loop_stats.udp_kernel_drops as they are read. A
 * check of the whole loop without a system call per socket; drops after
 * the last datagram a socket receives are not seen. 0 or -errno. */
int loop_udp_count_drops(struct loop_udp *u);
/* Measure how long each datagram waited in this socket before its callback
 * ran (SO_TIMESTAMPNS, the kernel's receive time on the real-time clock),
 * into loop_stats.udp_wait; waits over a minute (the clock was set) are
 * not counted. 0 or -errno. */
int loop_udp_measure_wait(struct loop_udp *u);
/* A receive queue of about bytes (what waits while the loop is busy):
 * SO_RCVBUFFORCE where the process may (CAP_NET_ADMIN), else SO_RCVBUF,
 * which the kernel caps at net.core.rmem_max. Returns the payload room
 * granted (half the kernel's figure, which counts its overhead), or
 * -errno. */
int loop_udp_rcvbuf(struct loop_udp *u, int bytes);
/* While no UDP send slot is in use (an idle loop), give their pages back to
 * the system (a burst of sends left them resident); the bytes given, 0 when
 * a send is in flight. Call on the loop's thread. */
size_t loop_trim(struct loop *l);
/* Give back the pages of the receive buffers (UDP and TCP buffer rings):
 * each receive the kernel made into one left pages resident, and the ring
 * hands out every buffer in turn. The rings are taken back from the
 * kernel, dropped and handed out again untouched; receives go on. Only
 * where no completion is waiting (from a timer, or between turns: from a
 * completion's callback it gives 0) and with DEFER_TASKRUN (0 without).
 * The bytes given. Call on the loop's thread. */
size_t loop_trim_rx(struct loop *l);
/* Tests: the next n registrations of a receive ring fail (-ENOMEM), as
 * the kernel's would without memory. */
void loop_test_fail_ring_register(struct loop *l, unsigned n);
/* ICMP errors for what this socket sent (IP_RECVERR / IPV6_RECVERR, read
 * off the socket's error queue): dst is where the datagram was going,
 * offender who reported it (a router, or dst itself). */
struct loop_udp_err {
	int err;	    /* errno the kernel derived (ECONNREFUSED: port unreachable) */
	bool icmp6;	    /* origin ICMPv6, else ICMP */
	uint8_t type, code; /* the ICMP message's */
	const struct sockaddr *dst;
	socklen_t dst_len;
	const struct sockaddr *offender; /* NULL when not given */
	/* the start of the refused datagram's payload as the ICMP message
	 * quoted it (IPv4: some 500 bytes, IPv6: up to about 1,200) */
	const uint8_t *quote;
	size_t quote_len;
};
typedef void (*loop_udp_err_cb)(void *priv, const struct loop_udp_err *e);
/* Ask for them (priv as the receive callback's). With the option on, the
 * kernel also fails the next send or receive with the error once; a send
 * failed that way was never sent and goes out again (up to 3 times). 0 or
 * -errno. */
int loop_udp_on_error(struct loop_udp *u, loop_udp_err_cb cb);
/* Sends whose completion the kernel failed (each is also logged). */
uint64_t loop_udp_tx_errors(const struct loop_udp *u);
int loop_udp_local(const struct loop_udp *u, struct sockaddr_storage *ss);
/* Stop receiving and close; memory is released when the last request ends. */
void loop_udp_close(struct loop_udp *u);

/* --- TCP --- */
struct loop_conn;

struct loop_conn_cbs {
	/* Outgoing connection result: 0 connected, or -errno (then on_close is not called). */
	void (*on_connect)(void *priv, int err);
	/* Received bytes; return how many were consumed. The rest is kept and
	 * presented again, in front of the next bytes (stream framing). */
	size_t (*on_data)(void *priv, const uint8_t *data, size_t len);
	/* The peer closed (err 0) or the connection failed (-errno). The
	 * connection is gone after this returns. */
	void (*on_close)(void *priv, int err);
	/* The send queue drained below the low watermark after back-pressure. */
	void (*on_writable)(void *priv);
};

struct loop_listener;
typedef void (*loop_accept_cb)(void *priv, int fd, const struct sockaddr *peer, socklen_t plen);

struct loop_listener *loop_tcp_listen(struct loop *l, const struct sockaddr *addr, socklen_t alen,
				      loop_accept_cb cb, void *priv);
/* Accept on a socket already listening (any stream protocol; the loop owns
 * it afterwards). */
struct loop_listener *loop_listener_adopt(struct loop *l, int fd, loop_accept_cb cb, void *priv);
int loop_listener_local(const struct loop_listener *ls, struct sockaddr_storage *ss);
void loop_listener_close(struct loop_listener *ls);

struct loop_conn *loop_tcp_connect(struct loop *l, const struct sockaddr *addr, socklen_t alen,
				   const struct loop_conn_cbs *cbs, void *priv);
struct loop_conn *loop_conn_adopt(struct loop *l, int fd, const struct loop_conn_cbs *cbs,
				  void *priv);
/* Queue bytes (copied). -ENOBUFS when the queue is over its limit
 * (back-pressure: wait for on_writable), -ENOTCONN when closing. */
int loop_conn_send(struct loop_conn *c, const void *data, size_t len);
size_t loop_conn_queued(const struct loop_conn *c);
void loop_conn_set_limits(struct loop_conn *c, size_t high, size_t low);
int loop_conn_fd(const struct loop_conn *c);
/* Close now (queued bytes are dropped); no callback follows. */
void loop_conn_close(struct loop_conn *c);
/* Close once the queued bytes are sent. */
void loop_conn_close_after_send(struct loop_conn *c);

/* --- one connection on the ring: its life cycle, whatever the protocol ---
 * Embedded by the loop's TCP connections and by message-mode sockets kept
 * elsewhere (M3UA over SCTP). A request in flight (one receive, one send, one
 * connect) holds the connection, and so does a completion while its owner's
 * callbacks run: closing cancels the receive and the connect, shuts the
 * socket under a send, and the fd and the owning object (a talloc object
 * that embeds this) go when nothing holds them any more. */
struct loop_stream {
	struct loop *l;
	int fd;
	void *obj; /* freed with the stream */
	struct loop_op rx_op, tx_op, conn_op;
	unsigned inflight;
	bool closing, connecting, rx_armed, tx_busy;
};

/* The ops' callbacks get obj as their priv. */
void loop_stream_init(struct loop_stream *s, struct loop *l, int fd, void *obj,
		      void (*rx_cb)(struct loop *, struct loop_op *, const struct io_uring_cqe *),
		      void (*tx_cb)(struct loop *, struct loop_op *, const struct io_uring_cqe *),
		      void (*conn_cb)(struct loop *, struct loop_op *,
				      const struct io_uring_cqe *));
/* A request on one of the three ops: its flag is set and it holds the
 * stream. NULL (nothing changed) when the ring is full. */
struct io_uring_sqe *loop_stream_sqe(struct loop_stream *s, struct loop_op *op);
static inline void loop_stream_hold(struct loop_stream *s)
{
	s->inflight++;
}
/* The end of a hold: frees the stream and its object when it is closing
 * and nothing holds it any more (do not touch either afterwards). */
void loop_stream_put(struct loop_stream *s);
/* Close now; no callback follows. */
void loop_stream_close(struct loop_stream *s);
/* The connection ended under its owner: close, then tell cb(priv, err)
 * once (not at all when it was closing already). */
void loop_stream_fail(struct loop_stream *s, void (*cb)(void *priv, int err), void *priv, int err);

/* --- wake-ups from other threads: an eventfd read on the ring --- */
struct loop_wake;
struct loop_wake *loop_wake_alloc(struct loop *l, void (*cb)(void *priv), void *priv);
/* Any thread: make the owning loop call cb soon. */
void loop_wake_signal(struct loop_wake *w);
/* From the thread running loop l: wake w at the end of l's turn, once
 * however many times this turn asked (a queue filled by several commands
 * in one turn costs one eventfd write, and the woken thread does not
 * preempt this one in the middle of its turn). */
void loop_wake_signal_later(struct loop *l, struct loop_wake *w);
/* Send the wake-ups asked for this turn now (before waiting on another
 * thread outside the loop, or before freeing a wake). */
void loop_wake_flush(struct loop *l);
void loop_wake_free(struct loop_wake *w);
