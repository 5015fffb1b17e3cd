/* Private to core/loop*.c. */
#pragma once

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/select.h>

#include "core/loop.h"

/* A provided buffer ring (liburing 2.3 has no io_uring_setup_buf_ring: the
 * ring memory is mapped here and registered by hand). */
struct loop_bufring {
	struct io_uring_buf_ring *br;
	size_t ring_bytes;
	uint8_t *mem;
	unsigned nbufs, mask, buf_size, in_use;
	unsigned stride; /* bytes from one buffer to the next (buf_size rounded up to 64) */
	uint16_t bgid;
	bool lost; /* not registered: a trim failed to register it again */
};

struct loop_send_slot;
struct loop_xsk;

struct loop_udp {
	struct loop *l;
	int fd;
	struct loop_op rx_op;
	struct msghdr rx_msg; /* template for multishot recvmsg: name and control lengths */
	uint32_t drops_seen;  /* the socket's drop counter, as SO_RXQ_OVFL last said */
	loop_udp_rx_cb cb;
	void *priv;
	unsigned inflight; /* requests that still reference this object */
	bool closing, rx_armed;
	bool parked; /* waits for its lost ring (loop.parked_udp) */
	struct loop_udp *parked_next;
	uint64_t tx_errors;	/* sends the kernel refused (completion < 0) */
	loop_udp_err_cb err_cb; /* ICMP errors wanted (loop_udp_on_error) */
	/* on the loop's AF_XDP socket (core/xdp.c) */
	bool xsk_on;
	uint8_t xsk_tos;
	uint16_t xsk_port;	   /* local, host order */
	uint32_t xsk_addr;	   /* local, network order */
	struct loop_udp *xsk_next; /* same port, another address */
};

/* Per-fd state of libosmocore's file descriptors polled through the ring,
 * allocated on the fd's first use and kept (a request in flight points
 * at it). */
struct loop_ofd {
	struct loop_op op;
	struct llist_head armed_entry; /* in loop.ofd_armed while a poll is in flight */
	int fd;
	unsigned armed; /* POLLIN/POLLOUT asked in the request in flight */
	unsigned seen;	/* loop.ofd_gen when last found registered */
	bool inflight, ready;
	bool ready_r, ready_w, ready_e;
};

/* One more time measured into a lateness figure (core/loop.c). */
void loop_late_add(struct loop_late *lt, uint64_t ns);

#define LOOP_WAKE_LATER 8

struct loop {
	struct io_uring ring;
	struct loop_features feat;
	struct loop_cfg cfg;
	struct loop_stats st;
	uint64_t late_logged_ns; /* no "loop turn worked" line before this */
	bool stop;
	unsigned pending_sqes;

	/* timers */
	struct loop_timer **heap;
	unsigned heap_len, heap_cap;
	struct loop_op timeout_op;
	struct __kernel_timespec timeout_ts;
	uint64_t timeout_armed_ns; /* 0: no timeout request in flight */
	struct loop_op ignore_op;  /* for requests whose completion we don't need */

	/* libosmocore: its osmo_fds are walked through a sentinel of ours
	 * in its list (no fd_set: fds of any number) */
	struct loop_ofd **ofd; /* by fd number */
	unsigned ofd_cap, ofd_gen;
	struct llist_head ofd_armed;
	int *ofd_ready; /* fds whose poll completed this turn */
	unsigned n_ready, ready_cap;
	struct osmo_fd ofd_sentinel;
	struct llist_head *osmo_fds; /* libosmocore's list head (its thread's) */

	/* receive buffer rings, send slots */
	struct loop_bufring udp_br, tcp_br;
	/* receives that ended with -ENOBUFS while their ring was lost, waiting
	 * for ring_retry to register it again (core/loop_net.c) */
	struct loop_udp *parked_udp;
	struct loop_conn *parked_conn;
	struct loop_timer ring_retry;
	unsigned ring_retry_ms;	     /* the next retry's delay: doubles to RING_RETRY_MAX_MS */
	unsigned fail_ring_register; /* tests: the next N registrations fail */
	struct loop_send_slot *slots;
	struct loop_send_slot *free_slots;

	/* signals */
	int sfd;
	struct loop_op sig_op;
	uint8_t sig_buf[128];
	void (*hup_cb)(void *priv);
	void *hup_priv;
	void (*term_cb)(void *priv); /* NULL: SIGTERM stops the loop */
	void *term_priv;

	/* AF_XDP under the UDP sockets (core/xdp.c), NULL: sockets only */
	struct loop_xsk *xsk;

	/* other threads' loops to wake at the end of this turn, each once
	 * (loop_wake_signal_later) */
	struct loop_wake *later[LOOP_WAKE_LATER];
	unsigned n_later;
};

int loop_bufring_init(struct loop *l, struct loop_bufring *b, uint16_t bgid, unsigned nbufs,
		      unsigned buf_size);
void loop_bufring_exit(struct loop *l, struct loop_bufring *b);
uint8_t *loop_bufring_get(struct loop_bufring *b, unsigned bid);
void loop_bufring_recycle(struct loop_bufring *b, unsigned bid);
int loop_send_slots_init(struct loop *l);
void loop_ring_retry_cb(void *priv);

/* core/loop_net.c: hand a datagram to a socket's owner */
void loop_udp_deliver(struct loop_udp *u, const uint8_t *data, size_t len,
		      const struct sockaddr *from, socklen_t fromlen);
/* core/xdp.c: a socket on or off the loop's xsk; a send through it
 * (-EAGAIN: not possible now, the kernel socket sends) */
int loop_xsk_udp_add(struct loop *l, struct loop_udp *u);
void loop_xsk_udp_del(struct loop *l, struct loop_udp *u);
int loop_xsk_udp_send(struct loop *l, struct loop_udp *u, const void *data, size_t len,
		      const struct sockaddr *to, socklen_t tolen);
