/* Sockets on the ring: provided buffer rings, UDP (multishot recvmsg, batched
 * sendmsg from send slots) and TCP (multishot accept, connect, multishot recv
 * with buffer selection, a send queue with partial writes and back-pressure). */
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/loop_int.h"

/* --- provided buffer rings --- */

/* a lost ring is tried again after this long (loop_ring_retry_cb), then
 * twice as long each time up to RING_RETRY_MAX_MS */
#define RING_RETRY_MS	  100u
#define RING_RETRY_MAX_MS 5000u

static void ring_retry_later(struct loop *l);
static void unpark_ready(struct loop *l);

/* Register the ring with the kernel and hand it every buffer. */
static int bufring_register(struct loop *l, struct loop_bufring *b)
{
	struct io_uring_buf_reg reg;
	int rc;

	if (l->fail_ring_register) {
		l->fail_ring_register--;
		LOGP(DLOOP, LOGL_ERROR, "io_uring_register_buf_ring: refused (test)\n");
		return -ENOMEM;
	}
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (uint64_t)(uintptr_t)b->br;
	reg.ring_entries = b->nbufs;
	reg.bgid = b->bgid;
	rc = io_uring_register_buf_ring(&l->ring, &reg, 0);
	if (rc < 0)
		return rc;
	io_uring_buf_ring_init(b->br);
	for (unsigned i = 0; i < b->nbufs; i++)
		io_uring_buf_ring_add(b->br, b->mem + (size_t)i * b->stride, b->buf_size,
				      (unsigned short)i, b->mask, (int)i);
	io_uring_buf_ring_advance(b->br, (int)b->nbufs);
	b->in_use = 0;
	return 0;
}

int loop_bufring_init(struct loop *l, struct loop_bufring *b, uint16_t bgid, unsigned nbufs,
		      unsigned buf_size)
{
	int rc;

	if (nbufs == 0 || (nbufs & (nbufs - 1)) || nbufs > 32768)
		return -EINVAL;
	b->ring_bytes = nbufs * sizeof(struct io_uring_buf);
	b->br = mmap(NULL, b->ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1,
		     0);
	if (b->br == MAP_FAILED) {
		b->br = NULL;
		return -errno;
	}
	/* Buffers start on 64-byte boundaries: a multishot recvmsg puts its
	 * struct io_uring_recvmsg_out at the start of each (4-byte alignment
	 * needed; an odd size such as 65,535 + the header misaligned every
	 * other buffer). The kernel is given buf_size bytes of each, so what
	 * does not fit is still cut off and flagged (MSG_TRUNC). */
	b->stride = (buf_size + 63u) & ~63u;
	b->mem = talloc_size(l, (size_t)nbufs * b->stride);
	if (!b->mem) {
		munmap(b->br, b->ring_bytes);
		b->br = NULL;
		return -ENOMEM;
	}
	b->nbufs = nbufs;
	b->mask = io_uring_buf_ring_mask(nbufs);
	b->buf_size = buf_size;
	b->bgid = bgid;
	rc = bufring_register(l, b);
	if (rc < 0) {
		LOGP(DLOOP, LOGL_ERROR, "io_uring_register_buf_ring: %s\n", strerror(-rc));
		munmap(b->br, b->ring_bytes);
		b->br = NULL;
	}
	return rc;
}

void loop_bufring_exit(struct loop *l, struct loop_bufring *b)
{
	if (!b->br)
		return;
	io_uring_unregister_buf_ring(&l->ring, b->bgid);
	munmap(b->br, b->ring_bytes);
	b->br = NULL;
}

uint8_t *loop_bufring_get(struct loop_bufring *b, unsigned bid)
{
	b->in_use++;
	return b->mem + (size_t)bid * b->stride;
}

void loop_bufring_recycle(struct loop_bufring *b, unsigned bid)
{
	io_uring_buf_ring_add(b->br, b->mem + (size_t)bid * b->stride, b->buf_size,
			      (unsigned short)bid, b->mask, 0);
	io_uring_buf_ring_advance(b->br, 1);
	b->in_use--;
}

/* Give back the pages of a ring's buffers (issue 13). Every buffer in the
 * ring is the kernel's to fill, in ring order: after a burst each one the
 * kernel took still has its first pages resident (the main loop's 1,024
 * SIP buffers of 64 kB: ~5 MB after 600 calls), and a buffer the kernel
 * owns must never be discarded under it, nor one it filled whose
 * completion we have not read yet. So:
 * - only with DEFER_TASKRUN: the kernel then fills buffers and posts their
 *   completions only inside io_uring_enter (never from an interrupt's
 *   task work half way through our code), and we are between two;
 * - no completion waiting (the CQ empty, none in the kernel's overflow
 *   list) and none of the ring's buffers held by a callback (in_use 0):
 *   every buffer the kernel took is back in the ring, i.e. all are its;
 * - the ring is then taken back (unregistered: the kernel holds none of
 *   its buffers any more; our receives are never handed to io-wq
 *   threads, which pick a buffer early: no IOSQE_ASYNC, sockets poll),
 *   a receive that looks for a buffer now finds no ring, ends with
 *   -ENOBUFS and is re-armed (its data waits in the socket); the pages
 *   are dropped and the ring registered again with every buffer,
 *   untouched. */
static size_t bufring_trim(struct loop *l, struct loop_bufring *b)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE), a, e;
	size_t given = 0;
	int rc;

	if (!b->br || b->lost || b->in_use || !l->feat.defer_taskrun ||
	    io_uring_cq_ready(&l->ring) || io_uring_cq_has_overflow(&l->ring))
		return 0;
	rc = io_uring_unregister_buf_ring(&l->ring, b->bgid);
	if (rc < 0) {
		LOGP(DLOOP, LOGL_NOTICE, "buffer ring %u: unregister: %s\n", b->bgid,
		     strerror(-rc));
		return 0;
	}
	a = ((uintptr_t)b->mem + ps - 1) & ~(ps - 1);
	e = ((uintptr_t)b->mem + (size_t)b->nbufs * b->stride) & ~(ps - 1);
	if (io_uring_cq_ready(&l->ring))
		/* cannot happen (nothing entered the ring): keep the data */
		LOGP(DLOOP, LOGL_ERROR, "buffer ring %u: completions came during trim\n", b->bgid);
	else if (e > a && madvise((void *)a, e - a, MADV_DONTNEED) == 0)
		given = e - a;
	rc = bufring_register(l, b);
	if (rc < 0) {
		/* the kernel's memory only: receives on this ring end with
		 * -ENOBUFS and wait, parked, until ring_retry registers it */
		LOGP(DLOOP, LOGL_ERROR,
		     "buffer ring %u lost (%s): its receives wait, the ring is tried again\n",
		     b->bgid, strerror(-rc));
		b->lost = true;
		l->st.rx_ring_lost++;
		ring_retry_later(l);
	}
	return given;
}

/* The lost rings registered again if the kernel lets us now (a failure is
 * not logged again: the loss was); whether any came back. */
static bool rings_register_lost(struct loop *l)
{
	struct loop_bufring *rings[] = {&l->udp_br, &l->tcp_br};
	bool back = false;

	for (unsigned i = 0; i < 2; i++) {
		if (rings[i]->lost && bufring_register(l, rings[i]) == 0) {
			rings[i]->lost = false;
			back = true;
			LOGP(DLOOP, LOGL_NOTICE,
			     "buffer ring %u registered again: its receives go on\n",
			     rings[i]->bgid);
		}
	}
	return back;
}

size_t loop_trim_rx(struct loop *l)
{
	if (rings_register_lost(l))
		unpark_ready(l);
	return bufring_trim(l, &l->udp_br) + bufring_trim(l, &l->tcp_br);
}

void loop_test_fail_ring_register(struct loop *l, unsigned n)
{
	l->fail_ring_register = n;
}

/* --- UDP send slots: fixed at start-up, no allocation per datagram; each
 * holds as much as a receive buffer (cfg.udp_buf_size) --- */

struct loop_send_slot {
	struct loop_op op;
	struct loop_send_slot *next;
	struct loop_udp *owner;
	struct msghdr msg;
	struct iovec iov;
	struct sockaddr_storage to;
	uint8_t *data;
	uint8_t resent; /* times it went out again after an ICMP error's send failure */
};

int loop_send_slots_init(struct loop *l)
{
	uint8_t *mem;

	l->slots = talloc_zero_array(l, struct loop_send_slot, l->cfg.send_slots);
	mem = talloc_size(l, (size_t)l->cfg.send_slots * l->cfg.udp_buf_size);
	if (!l->slots || !mem)
		return -ENOMEM;
	for (unsigned i = 0; i < l->cfg.send_slots; i++) {
		l->slots[i].data = mem + (size_t)i * l->cfg.udp_buf_size;
		l->slots[i].next = l->free_slots;
		l->free_slots = &l->slots[i];
	}
	return 0;
}

size_t loop_trim(struct loop *l)
{
	uintptr_t ps = (uintptr_t)sysconf(_SC_PAGESIZE), a, b;

	if (!l->slots || !l->cfg.send_slots || l->st.send_slots_in_use)
		return 0;
	/* the whole pages inside the slots' memory (slot 0 is its start) */
	a = ((uintptr_t)l->slots[0].data + ps - 1) & ~(ps - 1);
	b = ((uintptr_t)l->slots[0].data + (size_t)l->cfg.send_slots * l->cfg.udp_buf_size) &
	    ~(ps - 1);
	if (b <= a || madvise((void *)a, b - a, MADV_DONTNEED) < 0)
		return 0;
	return b - a;
}

/* --- UDP --- */

static void udp_rx_arm(struct loop_udp *u);
static void conn_rx_arm(struct loop_conn *c);

/* A lost ring (a trim could not register it again): a receive on it ends
 * with -ENOBUFS at once, and armed again at once it would spin the loop
 * for as long as datagrams wait. Such a receive is parked instead, holding
 * its socket; ring_retry tries the ring (after 100 ms, then twice as long
 * each time up to 5 s) and arms the parked receives once it is back. A
 * socket closed while parked leaves the list at once (its fd closed, its
 * port free). */
static void udp_park(struct loop_udp *u)
{
	if (u->parked)
		return;
	u->parked = true;
	u->inflight++; /* the socket stays while parked */
	u->parked_next = u->l->parked_udp;
	u->l->parked_udp = u;
	u->l->st.rx_parked++;
	u->l->st.rx_parked_now++;
	ring_retry_later(u->l);
}

/* Off the list; the caller drops the hold (udp_maybe_free after) */
static void udp_unpark(struct loop_udp *u)
{
	struct loop_udp **pp;

	for (pp = &u->l->parked_udp; *pp; pp = &(*pp)->parked_next)
		if (*pp == u) {
			*pp = u->parked_next;
			break;
		}
	u->parked = false;
	u->inflight--;
	u->l->st.rx_parked_now--;
}

static void udp_maybe_free(struct loop_udp *u);
static void conn_unpark_ready(struct loop *l);

static void unpark_ready(struct loop *l)
{
	struct loop_udp *u = l->parked_udp, *keep = NULL;

	l->parked_udp = NULL;
	while (u) {
		struct loop_udp *next = u->parked_next;

		if (l->udp_br.lost) {
			u->parked_next = keep;
			keep = u;
		} else {
			u->parked = false;
			l->st.rx_parked_now--;
			if (!u->closing && !u->rx_armed)
				udp_rx_arm(u);
			u->inflight--;
			udp_maybe_free(u);
		}
		u = next;
	}
	l->parked_udp = keep;
	conn_unpark_ready(l);
}

static void ring_retry_later(struct loop *l)
{
	if (loop_timer_pending(&l->ring_retry))
		return;
	if (!l->ring_retry_ms)
		l->ring_retry_ms = RING_RETRY_MS;
	loop_timer_schedule(l, &l->ring_retry, l->ring_retry_ms * 1000ull);
}

void loop_ring_retry_cb(void *priv)
{
	struct loop *l = priv;

	rings_register_lost(l);
	unpark_ready(l);
	if (l->udp_br.lost || l->tcp_br.lost) {
		l->ring_retry_ms = l->ring_retry_ms * 2 > RING_RETRY_MAX_MS ? RING_RETRY_MAX_MS
									    : l->ring_retry_ms * 2;
		ring_retry_later(l);
	} else {
		l->ring_retry_ms = 0;
	}
}

static void udp_rx_arm(struct loop_udp *u)
{
	struct io_uring_sqe *sqe = loop_sqe(u->l, &u->rx_op);

	if (!sqe)
		return;
	io_uring_prep_recvmsg_multishot(sqe, u->fd, &u->rx_msg, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = u->l->udp_br.bgid;
	u->rx_armed = true;
	u->inflight++;
}

static void udp_maybe_free(struct loop_udp *u)
{
	if (u->closing && u->inflight == 0) {
		close(u->fd);
		u->l->st.udp_open--;
		talloc_free(u);
	}
}

/* The control messages a datagram came with: SO_RXQ_OVFL, the socket's
 * drop counter when it was queued (present only when not 0, and only on
 * sockets that asked), and SCM_TIMESTAMPNS, when the kernel received it
 * (sockets that asked: its wait is measured). */
static void udp_rx_ctl(struct loop *l, struct loop_udp *u, struct io_uring_recvmsg_out *o)
{
	struct cmsghdr *cm;

	if (!o->controllen || (o->flags & MSG_CTRUNC))
		return;
	for (cm = io_uring_recvmsg_cmsg_firsthdr(o, &u->rx_msg); cm;
	     cm = io_uring_recvmsg_cmsg_nexthdr(o, &u->rx_msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET)
			continue;
		if (cm->cmsg_type == SO_RXQ_OVFL && cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
			uint32_t d;

			memcpy(&d, CMSG_DATA(cm), sizeof(d));
			/* a counter that only grows (mod 2^32); an older
			 * datagram may carry a smaller figure than one
			 * already seen */
			if ((int32_t)(d - u->drops_seen) > 0) {
				l->st.udp_kernel_drops += d - u->drops_seen;
				u->drops_seen = d;
			}
		} else if (cm->cmsg_type == SCM_TIMESTAMPNS &&
			   cm->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
			struct timespec rx, now;
			int64_t ns;

			memcpy(&rx, CMSG_DATA(cm), sizeof(rx));
			clock_gettime(CLOCK_REALTIME, &now);
			ns = (int64_t)(now.tv_sec - rx.tv_sec) * 1000000000 +
			     (now.tv_nsec - rx.tv_nsec);
			if (ns >= 0 && ns < 60 * 1000000000ll)
				loop_late_add(&l->st.udp_wait, (uint64_t)ns);
		}
	}
}

/* Errors a send or receive failed with when an ICMP error came in for an
 * earlier datagram (the socket's pending error, which the kernel hands to
 * the next call whichever it is). */
static bool icmp_errno(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENONET:
	case ENOPROTOOPT:
	case EPROTO:
	case EACCES:
	case EMSGSIZE:
		return true;
	}
	return false;
}

/* Read the socket's error queue (bounded per call; what is left keeps the
 * socket's POLLERR and comes with the next failed call) and report each
 * ICMP error. Reading it to the end also clears the pending error. */
static void udp_drain_errors(struct loop_udp *u)
{
	for (unsigned i = 0; i < 64 && !u->closing; i++) {
		struct sockaddr_storage dst;
		union {
			char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
					    sizeof(struct sockaddr_storage))];
			struct cmsghdr align;
		} ctl;
		uint8_t data[1280];
		struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
		struct msghdr m = {
			.msg_name = &dst,
			.msg_namelen = sizeof(dst),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		struct cmsghdr *c;
		ssize_t n = recvmsg(u->fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT);

		if (n < 0)
			return;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			struct sock_extended_err ee;
			struct loop_udp_err e;

			if (!((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
			      (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) ||
			    c->cmsg_len < CMSG_LEN(sizeof(ee)))
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin != SO_EE_ORIGIN_ICMP && ee.ee_origin != SO_EE_ORIGIN_ICMP6)
				continue;
			u->l->st.udp_icmp_errors++;
			if (m.msg_namelen < sizeof(struct sockaddr_in) ||
			    m.msg_namelen > sizeof(dst) ||
			    (dst.ss_family != AF_INET && dst.ss_family != AF_INET6))
				continue;
			e = (struct loop_udp_err){
				.err = (int)ee.ee_errno,
				.icmp6 = ee.ee_origin == SO_EE_ORIGIN_ICMP6,
				.type = ee.ee_type,
				.code = ee.ee_code,
				.dst = (struct sockaddr *)&dst,
				.dst_len = m.msg_namelen,
				.quote = data,
				.quote_len = (size_t)n,
			};
			if (c->cmsg_len >= CMSG_LEN(sizeof(ee) + sizeof(struct sockaddr_in))) {
				const struct sockaddr *off = SO_EE_OFFENDER(
					(struct sock_extended_err *)(void *)CMSG_DATA(c));

				if (off->sa_family == AF_INET || off->sa_family == AF_INET6)
					e.offender = off;
			}
			u->err_cb(u->priv, &e);
		}
	}
}

int loop_udp_on_error(struct loop_udp *u, loop_udp_err_cb cb)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1, rc;

	if (getsockname(u->fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		rc = setsockopt(u->fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one));
	else
		rc = setsockopt(u->fd, SOL_IP, IP_RECVERR, &one, sizeof(one));
	if (rc < 0)
		return -errno;
	u->err_cb = cb;
	return 0;
}

static void udp_rx_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_udp *u = op->priv;
	bool more = cqe->flags & IORING_CQE_F_MORE;

	u->inflight++; /* the owner's callback may close the socket */
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		uint8_t *buf = loop_bufring_get(&l->udp_br, bid);

		if (cqe->res > 0 && !u->closing) {
			struct io_uring_recvmsg_out *o =
				io_uring_recvmsg_validate(buf, cqe->res, &u->rx_msg);

			if (o && (o->flags & MSG_TRUNC)) {
				/* larger than a buffer: what we have is a cut-off
				 * piece, never a message; counted, not delivered */
				l->st.udp_trunc++;
			} else if (o) {
				l->st.udp_rx++;
				udp_rx_ctl(l, u, o);
				u->cb(u->priv, io_uring_recvmsg_payload(o, &u->rx_msg),
				      io_uring_recvmsg_payload_length(o, cqe->res, &u->rx_msg),
				      io_uring_recvmsg_name(o), o->namelen);
			}
		}
		/* Handled in place; the buffer goes straight back to the ring. */
		loop_bufring_recycle(&l->udp_br, bid);
	} else if (cqe->res == -ENOBUFS) {
		/* The ring ran dry: datagrams wait in the socket until re-armed. */
		l->st.udp_enobufs++;
	} else if (cqe->res < 0 && u->err_cb && icmp_errno(-cqe->res)) {
		/* an ICMP error for something we sent ended the multishot
		 * receive (re-armed below); the error queue says for what */
		udp_drain_errors(u);
	} else if (cqe->res < 0 && cqe->res != -ECANCELED) {
		LOGP(DLOOP, LOGL_NOTICE, "udp fd %d: recvmsg: %s\n", u->fd, strerror(-cqe->res));
	}
	if (!more) {
		u->inflight--;
		u->rx_armed = false;
		if (!u->closing && cqe->res == -ENOBUFS && l->udp_br.lost)
			udp_park(u);
		else if (!u->closing)
			udp_rx_arm(u);
	}
	u->inflight--;
	udp_maybe_free(u);
}

/* A datagram that came another way (core/xdp.c): as from the socket. */
void loop_udp_deliver(struct loop_udp *u, const uint8_t *data, size_t len,
		      const struct sockaddr *from, socklen_t fromlen)
{
	if (u->closing)
		return;
	u->l->st.udp_rx++;
	u->inflight++; /* the owner's callback may close the socket */
	u->cb(u->priv, data, len, from, fromlen);
	u->inflight--;
	udp_maybe_free(u);
}

static void udp_tx_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_send_slot *s = (struct loop_send_slot *)op;
	struct loop_udp *u = s->owner;

	if (cqe->res < 0 && u->err_cb && icmp_errno(-cqe->res) && !u->closing) {
		/* The kernel failed this send with the error an ICMP message
		 * left on the socket, most likely about another datagram: the
		 * queue says which; this one was never sent and goes again
		 * (a few times at most: another ICMP error may come before
		 * it goes, and a send that fails for its own sake fails
		 * again). */
		udp_drain_errors(u);
		if (s->resent < 3 && !u->closing) {
			struct io_uring_sqe *sqe = loop_sqe(l, &s->op);

			if (sqe) {
				s->resent++;
				l->st.udp_tx_resent++;
				io_uring_prep_sendmsg(sqe, u->fd, &s->msg, 0);
				return; /* the slot and u->inflight stay taken */
			}
		}
	}
	if (cqe->res < 0) {
		u->tx_errors++;
		LOGP(DLOOP, LOGL_INFO, "udp fd %d: sendmsg: %s\n", u->fd, strerror(-cqe->res));
	} else
		l->st.udp_tx++;
	s->next = l->free_slots;
	l->free_slots = s;
	l->st.send_slots_in_use--;
	u->inflight--;
	udp_maybe_free(u);
}

struct loop_udp *loop_udp_adopt(struct loop *l, int fd, loop_udp_rx_cb cb, void *priv)
{
	struct loop_udp *u = talloc_zero(l, struct loop_udp);

	if (!u)
		return NULL;
	u->l = l;
	u->fd = fd;
	u->cb = cb;
	u->priv = priv;
	l->st.udp_open++;
	u->rx_op.cb = udp_rx_cb;
	u->rx_op.priv = u;
	u->rx_msg.msg_namelen = sizeof(struct sockaddr_storage);
	u->rx_msg.msg_controllen = LOOP_UDP_CTL_ROOM;
	udp_rx_arm(u);
	if (l->xsk)
		loop_xsk_udp_add(l, u); /* else (or refused) the socket alone */
	return u;
}

struct loop_udp *loop_udp_open(struct loop *l, const struct sockaddr *bind_addr, socklen_t alen,
			       loop_udp_rx_cb cb, void *priv)
{
	struct loop_udp *u;
	int fd = socket(bind_addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return NULL;
	if (bind(fd, bind_addr, alen) < 0) {
		LOGP(DLOOP, LOGL_ERROR, "udp bind: %s\n", strerror(errno));
		close(fd);
		return NULL;
	}
	u = loop_udp_adopt(l, fd, cb, priv);
	if (!u)
		close(fd);
	return u;
}

uint64_t loop_udp_tx_errors(const struct loop_udp *u)
{
	return u->tx_errors;
}

int loop_udp_send(struct loop_udp *u, const void *data, size_t len, const struct sockaddr *to,
		  socklen_t tolen)
{
	struct loop *l = u->l;
	struct loop_send_slot *s = l->free_slots;
	struct io_uring_sqe *sqe;

	if (u->closing)
		return -ENOTCONN;
	if (len > l->cfg.udp_buf_size || tolen > sizeof(s->to))
		return -EMSGSIZE;
	if (u->xsk_on) {
		int rc = loop_xsk_udp_send(l, u, data, len, to, tolen);

		if (rc != -EAGAIN) /* -EAGAIN: no next hop yet, the socket sends */
			return rc;
	}
	if (!s) {
		l->st.send_no_slot++;
		return -ENOBUFS;
	}
	sqe = loop_sqe(l, &s->op);
	if (!sqe)
		return -EBUSY;
	l->free_slots = s->next;
	l->st.send_slots_in_use++;
	s->op.cb = udp_tx_cb;
	s->owner = u;
	s->resent = 0;
	memcpy(s->data, data, len);
	memcpy(&s->to, to, tolen);
	s->iov.iov_base = s->data;
	s->iov.iov_len = len;
	memset(&s->msg, 0, sizeof(s->msg));
	s->msg.msg_name = &s->to;
	s->msg.msg_namelen = tolen;
	s->msg.msg_iov = &s->iov;
	s->msg.msg_iovlen = 1;
	io_uring_prep_sendmsg(sqe, u->fd, &s->msg, 0);
	u->inflight++;
	return 0;
}

int loop_udp_count_drops(struct loop_udp *u)
{
	return setsockopt(u->fd, SOL_SOCKET, SO_RXQ_OVFL, &(int){1}, sizeof(int)) < 0 ? -errno : 0;
}

int loop_udp_measure_wait(struct loop_udp *u)
{
	return setsockopt(u->fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){1}, sizeof(int)) < 0 ? -errno
											 : 0;
}

int loop_udp_rcvbuf(struct loop_udp *u, int bytes)
{
	int got = 0;
	socklen_t len = sizeof(got);

	if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0 &&
	    setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) < 0)
		return -errno;
	if (getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &got, &len) < 0)
		return -errno;
	return got / 2;
}

int loop_udp_fd(const struct loop_udp *u)
{
	return u->fd;
}

void loop_udp_set_cb(struct loop_udp *u, loop_udp_rx_cb cb, void *priv)
{
	u->cb = cb;
	u->priv = priv;
}

int loop_udp_local(const struct loop_udp *u, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	return getsockname(u->fd, (struct sockaddr *)ss, &len) < 0 ? -errno : 0;
}

void loop_udp_close(struct loop_udp *u)
{
	if (u->closing)
		return;
	u->closing = true;
	if (u->parked)
		udp_unpark(u);
	loop_xsk_udp_del(u->l, u);
	if (u->rx_armed) {
		struct io_uring_sqe *sqe = loop_sqe(u->l, &u->l->ignore_op);

		if (sqe)
			io_uring_prep_cancel(sqe, &u->rx_op, 0);
	}
	udp_maybe_free(u);
}

/* --- TCP listener --- */

struct loop_listener {
	struct loop *l;
	int fd;
	struct loop_op op;
	loop_accept_cb cb;
	void *priv;
	bool closing, armed;
};

static void listener_arm(struct loop_listener *ls)
{
	struct io_uring_sqe *sqe = loop_sqe(ls->l, &ls->op);

	if (!sqe)
		return;
	io_uring_prep_multishot_accept(sqe, ls->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	ls->armed = true;
}

static void listener_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_listener *ls = op->priv;

	(void)l;
	if (cqe->res >= 0) {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);

		if (ls->closing) {
			close(cqe->res);
		} else {
			if (getpeername(cqe->res, (struct sockaddr *)&ss, &slen) < 0)
				slen = 0;
			ls->cb(ls->priv, cqe->res, (struct sockaddr *)&ss, slen);
		}
	} else if (cqe->res != -ECANCELED) {
		LOGP(DLOOP, LOGL_NOTICE, "accept on fd %d: %s\n", ls->fd, strerror(-cqe->res));
	}
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		ls->armed = false;
		if (ls->closing) {
			close(ls->fd);
			talloc_free(ls);
			return;
		}
		listener_arm(ls);
	}
}

struct loop_listener *loop_tcp_listen(struct loop *l, const struct sockaddr *addr, socklen_t alen,
				      loop_accept_cb cb, void *priv)
{
	struct loop_listener *ls;
	int one = 1;
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return NULL;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, addr, alen) < 0 || listen(fd, 128) < 0) {
		LOGP(DLOOP, LOGL_ERROR, "tcp listen: %s\n", strerror(errno));
		close(fd);
		return NULL;
	}
	ls = loop_listener_adopt(l, fd, cb, priv);
	if (!ls)
		close(fd);
	return ls;
}

struct loop_listener *loop_listener_adopt(struct loop *l, int fd, loop_accept_cb cb, void *priv)
{
	struct loop_listener *ls = talloc_zero(l, struct loop_listener);

	if (!ls)
		return NULL;
	ls->l = l;
	ls->fd = fd;
	ls->cb = cb;
	ls->priv = priv;
	ls->op.cb = listener_cb;
	ls->op.priv = ls;
	listener_arm(ls);
	return ls;
}

int loop_listener_local(const struct loop_listener *ls, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	return getsockname(ls->fd, (struct sockaddr *)ss, &len) < 0 ? -errno : 0;
}

void loop_listener_close(struct loop_listener *ls)
{
	struct io_uring_sqe *sqe;

	if (ls->closing)
		return;
	ls->closing = true;
	if (!ls->armed) {
		close(ls->fd);
		talloc_free(ls);
		return;
	}
	sqe = loop_sqe(ls->l, &ls->l->ignore_op);
	if (sqe)
		io_uring_prep_cancel(sqe, &ls->op, 0);
}

/* --- TCP connections --- */

struct tx_chunk {
	struct llist_head list;
	size_t len, off;
	uint8_t data[];
};

struct loop_conn {
	struct loop_stream io;
	struct loop_conn_cbs cbs;
	void *priv;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct llist_head txq;
	size_t queued, high, low;
	bool throttled, close_after_send;
	bool parked; /* waits for its lost ring (loop.parked_conn) */
	struct loop_conn *parked_next;
	/* bytes the consumer left for later (an incomplete message) */
	uint8_t *pend;
	size_t pend_len;
};

/* A parked connection (its ring lost) closing leaves the list first: its
 * hold goes (it is not closing yet, so nothing is freed here) and the
 * close then frees it once nothing else is in flight. */
static void conn_unpark(struct loop_conn *c)
{
	struct loop_conn **pp;

	if (!c->parked)
		return;
	for (pp = &c->io.l->parked_conn; *pp; pp = &(*pp)->parked_next)
		if (*pp == c) {
			*pp = c->parked_next;
			break;
		}
	c->parked = false;
	c->io.l->st.rx_parked_now--;
	loop_stream_put(&c->io);
}

void loop_conn_close(struct loop_conn *c)
{
	if (!c->io.closing)
		conn_unpark(c);
	loop_stream_close(&c->io);
}

/* The connection ended under us: tell the owner once, then go away. */
static void conn_fail(struct loop_conn *c, int err)
{
	if (!c->io.closing)
		conn_unpark(c);
	loop_stream_fail(&c->io, c->cbs.on_close, c->priv, err);
}

static void conn_rx_arm(struct loop_conn *c)
{
	struct io_uring_sqe *sqe = loop_stream_sqe(&c->io, &c->io.rx_op);

	if (!sqe)
		return;
	io_uring_prep_recv_multishot(sqe, c->io.fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = c->io.l->tcp_br.bgid;
}

static void conn_deliver(struct loop_conn *c, const uint8_t *data, size_t len)
{
	size_t used;

	if (c->pend_len) {
		uint8_t *p = talloc_realloc_size(c, c->pend, c->pend_len + len);

		if (!p) {
			conn_fail(c, -ENOMEM);
			return;
		}
		memcpy(p + c->pend_len, data, len);
		c->pend = p;
		c->pend_len += len;
		used = c->cbs.on_data(c->priv, c->pend, c->pend_len);
		if (c->io.closing)
			return;
		if (used >= c->pend_len) {
			TALLOC_FREE(c->pend);
			c->pend_len = 0;
		} else if (used) {
			memmove(c->pend, c->pend + used, c->pend_len - used);
			c->pend_len -= used;
		}
		return;
	}
	used = c->cbs.on_data(c->priv, data, len);
	if (c->io.closing || used >= len)
		return;
	c->pend = talloc_memdup(c, data + used, len - used);
	if (!c->pend) {
		conn_fail(c, -ENOMEM);
		return;
	}
	c->pend_len = len - used;
}

static void conn_rx_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_conn *c = op->priv;
	bool more = cqe->flags & IORING_CQE_F_MORE;
	int err = 0;

	/* Hold the connection while its owner's callbacks run: they may close it. */
	loop_stream_hold(&c->io);
	if (!more) {
		c->io.inflight--;
		c->io.rx_armed = false;
	}
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
		uint8_t *buf = loop_bufring_get(&l->tcp_br, bid);

		if (cqe->res > 0 && !c->io.closing)
			conn_deliver(c, buf, (size_t)cqe->res);
		loop_bufring_recycle(&l->tcp_br, bid);
	} else if (cqe->res == 0) {
		err = -ECONNRESET; /* orderly close by the peer */
		if (!c->io.closing)
			conn_fail(c, 0);
	} else if (cqe->res == -ENOBUFS) {
		l->st.tcp_enobufs++;
	} else if (cqe->res < 0 && cqe->res != -ECANCELED) {
		err = cqe->res;
		conn_fail(c, err);
	}
	if (!more && !c->io.closing && !err) {
		if (cqe->res == -ENOBUFS && l->tcp_br.lost && !c->parked) {
			/* parked as a UDP receive is (udp_park), holding it */
			c->parked = true;
			loop_stream_hold(&c->io);
			c->parked_next = l->parked_conn;
			l->parked_conn = c;
			l->st.rx_parked++;
			l->st.rx_parked_now++;
			ring_retry_later(l);
		} else if (!c->parked) {
			conn_rx_arm(c);
		}
	}
	loop_stream_put(&c->io);
}

static void conn_unpark_ready(struct loop *l)
{
	struct loop_conn *c = l->parked_conn, *keep = NULL;

	l->parked_conn = NULL;
	while (c) {
		struct loop_conn *next = c->parked_next;

		if (l->tcp_br.lost) {
			c->parked_next = keep;
			keep = c;
		} else {
			c->parked = false;
			l->st.rx_parked_now--;
			if (!c->io.closing && !c->io.rx_armed)
				conn_rx_arm(c);
			loop_stream_put(&c->io);
		}
		c = next;
	}
	l->parked_conn = keep;
}

static void conn_tx_next(struct loop_conn *c)
{
	struct tx_chunk *ch;
	struct io_uring_sqe *sqe;

	if (c->io.tx_busy || llist_empty(&c->txq) || c->io.connecting)
		return;
	ch = llist_first_entry(&c->txq, struct tx_chunk, list);
	sqe = loop_stream_sqe(&c->io, &c->io.tx_op);
	if (!sqe)
		return;
	io_uring_prep_send(sqe, c->io.fd, ch->data + ch->off, ch->len - ch->off, MSG_NOSIGNAL);
}

static void conn_tx_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_conn *c = op->priv;

	(void)l;
	c->io.tx_busy = false;
	/* the send's own reference becomes the guard while callbacks run */
	if (c->io.closing)
		goto out;
	if (cqe->res < 0) {
		if (cqe->res == -EAGAIN || cqe->res == -EINTR)
			conn_tx_next(c);
		else
			conn_fail(c, cqe->res);
		goto out;
	}
	/* A partial write leaves the rest of the chunk at the head of the queue. */
	if (!llist_empty(&c->txq)) {
		struct tx_chunk *ch = llist_first_entry(&c->txq, struct tx_chunk, list);

		ch->off += (size_t)cqe->res;
		c->queued -= (size_t)cqe->res;
		if (ch->off >= ch->len) {
			llist_del(&ch->list);
			talloc_free(ch);
		}
	}
	if (c->throttled && c->queued <= c->low) {
		c->throttled = false;
		if (c->cbs.on_writable)
			c->cbs.on_writable(c->priv);
		if (c->io.closing)
			goto out;
	}
	if (llist_empty(&c->txq) && c->close_after_send)
		loop_conn_close(c);
	else
		conn_tx_next(c);
out:
	loop_stream_put(&c->io);
}

static void conn_connect_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_conn *c = op->priv;

	(void)l;
	c->io.connecting = false;
	if (c->io.closing)
		goto out;
	if (cqe->res < 0) {
		loop_stream_fail(&c->io, c->cbs.on_connect, c->priv, cqe->res);
		goto out;
	}
	conn_rx_arm(c);
	conn_tx_next(c);
	if (c->cbs.on_connect)
		c->cbs.on_connect(c->priv, 0);
out:
	loop_stream_put(&c->io);
}

static struct loop_conn *conn_new(struct loop *l, int fd, const struct loop_conn_cbs *cbs,
				  void *priv)
{
	struct loop_conn *c = talloc_zero(l, struct loop_conn);
	int one = 1;

	if (!c)
		return NULL;
	loop_stream_init(&c->io, l, fd, c, conn_rx_cb, conn_tx_cb, conn_connect_cb);
	c->cbs = *cbs;
	c->priv = priv;
	c->high = 4u << 20;
	c->low = 1u << 20;
	INIT_LLIST_HEAD(&c->txq);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return c;
}

struct loop_conn *loop_conn_adopt(struct loop *l, int fd, const struct loop_conn_cbs *cbs,
				  void *priv)
{
	struct loop_conn *c = conn_new(l, fd, cbs, priv);

	if (c)
		conn_rx_arm(c);
	return c;
}

struct loop_conn *loop_tcp_connect(struct loop *l, const struct sockaddr *addr, socklen_t alen,
				   const struct loop_conn_cbs *cbs, void *priv)
{
	struct loop_conn *c;
	struct io_uring_sqe *sqe;
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || alen > sizeof(struct sockaddr_storage)) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	c = conn_new(l, fd, cbs, priv);
	if (!c) {
		close(fd);
		return NULL;
	}
	memcpy(&c->peer, addr, alen);
	c->peer_len = alen;
	sqe = loop_stream_sqe(&c->io, &c->io.conn_op);
	if (!sqe) {
		close(fd);
		talloc_free(c);
		return NULL;
	}
	io_uring_prep_connect(sqe, fd, (struct sockaddr *)&c->peer, c->peer_len);
	return c;
}

int loop_conn_send(struct loop_conn *c, const void *data, size_t len)
{
	struct tx_chunk *ch;

	if (c->io.closing || c->close_after_send)
		return -ENOTCONN;
	if (c->queued + len > c->high) {
		c->throttled = true;
		return -ENOBUFS;
	}
	ch = talloc_size(c, sizeof(*ch) + len);
	if (!ch)
		return -ENOMEM;
	ch->len = len;
	ch->off = 0;
	memcpy(ch->data, data, len);
	llist_add_tail(&ch->list, &c->txq);
	c->queued += len;
	if (c->queued > c->low)
		c->throttled = true;
	conn_tx_next(c);
	return 0;
}

size_t loop_conn_queued(const struct loop_conn *c)
{
	return c->queued;
}

void loop_conn_set_limits(struct loop_conn *c, size_t high, size_t low)
{
	c->high = high;
	c->low = low < high ? low : high / 2;
}

int loop_conn_fd(const struct loop_conn *c)
{
	return c->io.fd;
}

void loop_conn_close_after_send(struct loop_conn *c)
{
	if (llist_empty(&c->txq) && !c->io.tx_busy)
		loop_conn_close(c);
	else
		c->close_after_send = true;
}
