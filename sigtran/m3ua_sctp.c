/* M3UA over kernel SCTP on the io_uring loop (see m3ua_sctp.h).
 *
 * The loop's ring carries everything: connect completion (a POLLOUT poll
 * after the non-blocking SCTP_SOCKOPT_CONNECTX, since io_uring's connect
 * takes one address and multi-homing needs several), accept (multishot),
 * recvmsg and sendmsg with their control data (io_uring passes cmsg through
 * since Linux 5.10, and writes msg_flags and msg_controllen back into our
 * msghdr as recvmsg(2) does). One recvmsg and one sendmsg are in flight at a
 * time; the msghdr, iovec and cmsg buffers live in this object (or in the
 * queued send record) until their completion arrives, and the object is
 * freed only when none is in flight (core's struct loop_stream keeps that
 * life cycle; accepting is the loop's listener). What needs no ring (stream
 * choice, control data, checks, socket options, path state) is in
 * m3ua_sctp_fd.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "sigtran/m3ua_msg.h"
#include "sigtran/m3ua_sctp.h"

/* --- the socket on the ring --- */

/* Room for SCTP_SNDRCV and SCTP_RCVINFO (48 + 48 bytes on Linux), aligned
 * for struct cmsghdr. Not a union with it: glibc gives it a flexible array
 * member, which would make this a variable-sized field for clang. */
struct sctp_cmsg_buf {
	_Alignas(struct cmsghdr) uint8_t b[128];
};

struct tx_rec {
	struct llist_head list;
	struct msghdr mh;
	struct iovec iov;
	struct sctp_cmsg_buf cm;
	size_t len;
	uint8_t data[];
};

struct m3ua_sctp {
	struct loop_stream io; /* the connection's life cycle (core/loop.h) */
	struct m3ua_sctp_cbs cbs;
	void *priv;
	bool ssnm_on_data;
	struct llist_head txq;
	size_t max_msg;
	uint8_t *rbuf;
	struct msghdr rmh;
	struct iovec riov;
	struct sctp_cmsg_buf rcm;
	struct m3ua_sctp_stats st;
};

void m3ua_sctp_close(struct m3ua_sctp *s)
{
	loop_stream_close(&s->io);
}

static void s_fail(struct m3ua_sctp *s, int err)
{
	loop_stream_fail(&s->io, s->cbs.on_close, s->priv, err);
}

static void s_rx_arm(struct m3ua_sctp *s)
{
	struct io_uring_sqe *sqe;

	if (s->io.closing || s->io.rx_armed)
		return;
	sqe = loop_stream_sqe(&s->io, &s->io.rx_op);
	if (!sqe)
		return;
	/* no stale stream/PPID from the last record if none comes with this one */
	memset(s->rcm.b, 0, sizeof(s->rcm.b));
	s->riov = (struct iovec){.iov_base = s->rbuf, .iov_len = s->max_msg};
	s->rmh = (struct msghdr){.msg_iov = &s->riov,
				 .msg_iovlen = 1,
				 .msg_control = s->rcm.b,
				 .msg_controllen = sizeof(s->rcm.b)};
	io_uring_prep_recvmsg(sqe, s->io.fd, &s->rmh, 0);
}

static void s_rx_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct m3ua_sctp *s = op->priv;
	uint16_t stream = 0;
	uint32_t ppid = 0;
	int rc;

	(void)l;
	s->io.rx_armed = false;
	if (s->io.closing)
		goto out;
	if (cqe->res <= 0) {
		s_fail(s, cqe->res);
		goto out;
	}
	m3ua_sctp_cmsg_parse(s->rmh.msg_control, s->rmh.msg_controllen, &stream, &ppid);
	rc = m3ua_sctp_rx_check(s->rbuf, (size_t)cqe->res, s->rmh.msg_flags, ppid);
	switch (rc) {
	case -ENOMSG: {
		char what[128];

		s->st.rx_notifications++;
		if (m3ua_sctp_notification_str(s->rbuf, (size_t)cqe->res, what, sizeof(what)) == 0)
			LOGP(DM3UA, LOGL_NOTICE, "M3UA/SCTP: %s\n", what);
		break;
	}
	case -EMSGSIZE:
		LOGP(DM3UA, LOGL_ERROR, "M3UA/SCTP: message over %zu bytes: closing\n", s->max_msg);
		s_fail(s, -EMSGSIZE);
		goto out;
	case -EPROTO:
		s->st.rx_bad_ppid++;
		LOGP(DM3UA, LOGL_NOTICE, "M3UA/SCTP: PPID %u is not M3UA (3): dropped\n", ppid);
		break;
	case -EBADMSG:
		/* the boundaries are intact: the decoder answers with ERR */
		s->st.rx_bad_len++;
		/* fall through */
	default:
		if (s->cbs.on_msg)
			s->cbs.on_msg(s->priv, s->rbuf, (size_t)cqe->res, stream);
		break;
	}
	s_rx_arm(s);
out:
	/* counted until here, so that a close from a callback does not free us */
	loop_stream_put(&s->io);
}

static void s_tx_next(struct m3ua_sctp *s)
{
	struct tx_rec *r;
	struct io_uring_sqe *sqe;

	if (s->io.tx_busy || s->io.closing || s->io.connecting || llist_empty(&s->txq))
		return;
	r = llist_first_entry(&s->txq, struct tx_rec, list);
	sqe = loop_stream_sqe(&s->io, &s->io.tx_op);
	if (!sqe)
		return;
	io_uring_prep_sendmsg(sqe, s->io.fd, &r->mh, MSG_NOSIGNAL);
}

static void s_tx_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct m3ua_sctp *s = op->priv;
	struct tx_rec *r;

	(void)l;
	s->io.tx_busy = false;
	if (s->io.closing)
		goto out;
	r = llist_first_entry(&s->txq, struct tx_rec, list);
	/* one SCTP message is sent whole or not at all */
	if (cqe->res < 0 || (size_t)cqe->res != r->len) {
		s_fail(s, cqe->res < 0 ? cqe->res : -EIO);
		goto out;
	}
	llist_del(&r->list);
	talloc_free(r);
	s_tx_next(s);
out:
	/* counted until here, so that a close from a callback does not free us */
	loop_stream_put(&s->io);
}

int m3ua_sctp_send(struct m3ua_sctp *s, const void *msg, size_t len, uint16_t sls_hint)
{
	struct tx_rec *r;
	uint16_t stream;
	int cl;

	if (s->io.closing)
		return -ENOTCONN;
	if (len < M3UA_HDR_LEN)
		return -EINVAL;
	r = talloc_size(s, sizeof(*r) + len);
	if (!r)
		return -ENOMEM;
	memcpy(r->data, msg, len);
	r->len = len;
	stream = m3ua_sctp_stream(r->data[2], (uint8_t)(sls_hint ? sls_hint - 1 : 0), s->st.n_out,
				  s->ssnm_on_data);
	cl = m3ua_sctp_cmsg_build(r->cm.b, sizeof(r->cm.b), stream, M3UA_SCTP_PPID);
	r->iov = (struct iovec){.iov_base = r->data, .iov_len = len};
	r->mh = (struct msghdr){.msg_iov = &r->iov,
				.msg_iovlen = 1,
				.msg_control = r->cm.b,
				.msg_controllen = (size_t)cl};
	llist_add_tail(&r->list, &s->txq);
	s_tx_next(s);
	return 0;
}

/* Streams agreed in INIT/INIT ACK (SCTP_STATUS): DATA spreads over them. */
static void s_read_status(struct m3ua_sctp *s)
{
	struct sctp_status ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockopt(s->io.fd, IPPROTO_SCTP, SCTP_STATUS, &ss, &sl) == 0) {
		s->st.n_out = ss.sstat_outstrms;
		s->st.n_in = ss.sstat_instrms;
	}
}

static void s_conn_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct m3ua_sctp *s = op->priv;
	int err = 0;
	socklen_t el = sizeof(err);

	(void)l;
	s->io.connecting = false;
	if (s->io.closing)
		goto out;
	if (cqe->res < 0)
		err = cqe->res;
	else if (getsockopt(s->io.fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = -errno;
	else
		err = -err;
	if (err) {
		loop_stream_fail(&s->io, s->cbs.on_connect, s->priv, err);
		goto out;
	}
	s_read_status(s);
	s_rx_arm(s);
	s_tx_next(s);
	if (s->cbs.on_connect)
		s->cbs.on_connect(s->priv, 0);
out:
	/* counted until here, so that a close from a callback does not free us */
	loop_stream_put(&s->io);
}

unsigned m3ua_sctp_paths(const struct m3ua_sctp *s, struct m3ua_sctp_path *out, unsigned max)
{
	if (!s || s->io.fd < 0 || s->io.connecting)
		return 0;
	return m3ua_sctp_fd_paths(s->io.fd, out, max);
}

/* INIT asks for the configured streams each way (M3UA_SCTP_STREAMS unless
 * told); the RTO, heartbeat, retransmission and INIT limits of the
 * configuration; the stream and PPID of every received message come with
 * it (data_io_event: SCTP_SNDRCV control data); path and association
 * changes come as notifications, for the log; SCTP_NODELAY: signalling
 * goes out at once, not held back to be bundled with what may follow (the
 * accepted sockets inherit all of it). */
static int s_sockopts(int fd, const struct m3ua_sctp_params *par)
{
	static const struct m3ua_sctp_params none;
	struct sctp_event_subscribe ev;
	const char *opt = NULL;
	int one = 1, rc;

	rc = m3ua_sctp_fd_params(fd, par ? par : &none, &opt);
	if (rc < 0) {
		LOGP(DM3UA, LOGL_ERROR, "M3UA/SCTP: the kernel refuses %s: %s\n", opt,
		     strerror(-rc));
		return rc;
	}
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1;
	ev.sctp_address_event = 1;
	ev.sctp_association_event = 1;
	ev.sctp_shutdown_event = 1;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)) < 0 ||
	    setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

static int s_bind(int fd, const struct m3ua_sctp_addrs *local)
{
	uint8_t packed[M3UA_SCTP_MAX_ADDRS * sizeof(struct sockaddr_in6)];
	int n;

	if (!local || !local->n)
		return 0;
	n = m3ua_sctp_pack_addrs(local->a, local->n, packed, sizeof(packed));
	if (n < 0)
		return n;
	/* several local addresses: multi-homing (RFC 4960 6.4) */
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_SOCKOPT_BINDX_ADD, packed, (socklen_t)n) < 0)
		return -errno;
	return 0;
}

/* An SCTP socket with the configuration's options, bound to the local
 * addresses (none: any): the fd, or -errno. */
static int s_socket(int family, const struct m3ua_sctp_params *par,
		    const struct m3ua_sctp_addrs *local)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_SCTP);
	int err;

	if (fd < 0)
		return -errno;
	err = s_sockopts(fd, par);
	if (!err)
		err = s_bind(fd, local);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static struct m3ua_sctp *s_new(struct loop *l, int fd, size_t max_msg, bool ssnm_on_data,
			       const struct m3ua_sctp_cbs *cbs, void *priv)
{
	struct m3ua_sctp *s = talloc_zero(l, struct m3ua_sctp);

	if (!s)
		return NULL;
	s->rbuf = talloc_size(s, max_msg);
	if (!s->rbuf) {
		talloc_free(s);
		return NULL;
	}
	loop_stream_init(&s->io, l, fd, s, s_rx_cb, s_tx_cb, s_conn_cb);
	s->cbs = *cbs;
	s->priv = priv;
	s->max_msg = max_msg;
	s->ssnm_on_data = ssnm_on_data;
	INIT_LLIST_HEAD(&s->txq);
	return s;
}

struct m3ua_sctp *m3ua_sctp_connect(struct loop *l, const struct m3ua_sctp_addrs *local,
				    const struct m3ua_sctp_addrs *remote, size_t max_msg,
				    bool ssnm_on_data, const struct m3ua_sctp_params *par,
				    const struct m3ua_sctp_cbs *cbs, void *priv)
{
	uint8_t packed[M3UA_SCTP_MAX_ADDRS * sizeof(struct sockaddr_in6)];
	struct io_uring_sqe *sqe;
	struct m3ua_sctp *s = NULL;
	int n, fd, err = 0;

	if (!remote->n) {
		errno = EDESTADDRREQ;
		return NULL;
	}
	fd = s_socket(remote->a[0].ss_family, par, local);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	n = m3ua_sctp_pack_addrs(remote->a, remote->n, packed, sizeof(packed));
	if (n < 0)
		err = n;
	/* all the peer's addresses at once: the association can use any */
	if (!err && setsockopt(fd, IPPROTO_SCTP, SCTP_SOCKOPT_CONNECTX, packed, (socklen_t)n) < 0 &&
	    errno != EINPROGRESS)
		err = -errno;
	if (!err && !(s = s_new(l, fd, max_msg, ssnm_on_data, cbs, priv)))
		err = -ENOMEM;
	if (!err && !(sqe = loop_stream_sqe(&s->io, &s->io.conn_op)))
		err = -EBUSY;
	if (err) {
		talloc_free(s);
		close(fd);
		errno = -err;
		return NULL;
	}
	io_uring_prep_poll_add(sqe, fd, POLLOUT);
	return s;
}

const struct m3ua_sctp_stats *m3ua_sctp_get_stats(const struct m3ua_sctp *s)
{
	return &s->st;
}

int m3ua_sctp_info(const struct m3ua_sctp *s, struct m3ua_sctp_info *out)
{
	if (!s || s->io.fd < 0 || s->io.connecting || s->io.closing)
		return -ENOTCONN;
	return m3ua_sctp_fd_info(s->io.fd, out);
}

/* --- listener --- */

struct m3ua_sctp_listener {
	struct loop_listener *lst; /* the accepting on the ring (core/loop.h) */
	struct loop *l;
	size_t max_msg;
	bool ssnm_on_data;
	struct m3ua_sctp_cbs cbs;
	void *cb_priv;
	m3ua_sctp_accept_cb acb;
	void *priv;
};

static void ls_accept(void *priv, int fd, const struct sockaddr *peer, socklen_t plen)
{
	struct m3ua_sctp_listener *ls = priv;
	struct m3ua_sctp *s;

	(void)peer;
	(void)plen;
	/* the accepted socket inherits the listener's options */
	s = s_new(ls->l, fd, ls->max_msg, ls->ssnm_on_data, &ls->cbs, ls->cb_priv);
	if (!s) {
		close(fd);
		return;
	}
	s_read_status(s);
	s_rx_arm(s);
	ls->acb(ls->priv, s);
}

struct m3ua_sctp_listener *m3ua_sctp_listen(struct loop *l, const struct m3ua_sctp_addrs *local,
					    size_t max_msg, bool ssnm_on_data,
					    const struct m3ua_sctp_params *par,
					    const struct m3ua_sctp_cbs *cbs, void *cb_priv,
					    m3ua_sctp_accept_cb acb, void *priv)
{
	struct m3ua_sctp_listener *ls = NULL;
	int fd, err = 0;

	if (!local->n) {
		errno = EINVAL;
		return NULL;
	}
	fd = s_socket(local->a[0].ss_family, par, local);
	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (listen(fd, 8) < 0)
		err = -errno;
	if (!err && !(ls = talloc_zero(l, struct m3ua_sctp_listener)))
		err = -ENOMEM;
	if (!err) {
		*ls = (struct m3ua_sctp_listener){.l = l,
						  .max_msg = max_msg,
						  .ssnm_on_data = ssnm_on_data,
						  .cbs = *cbs,
						  .cb_priv = cb_priv,
						  .acb = acb,
						  .priv = priv};
		ls->lst = loop_listener_adopt(l, fd, ls_accept, ls);
		if (!ls->lst)
			err = -ENOMEM;
	}
	if (err) {
		talloc_free(ls);
		close(fd);
		errno = -err;
		return NULL;
	}
	return ls;
}

int m3ua_sctp_listener_local(const struct m3ua_sctp_listener *ls, struct sockaddr_storage *ss)
{
	return loop_listener_local(ls->lst, ss);
}

void m3ua_sctp_listener_close(struct m3ua_sctp_listener *ls)
{
	/* accepted after this are closed by the loop, never handed to us */
	loop_listener_close(ls->lst);
	talloc_free(ls);
}
