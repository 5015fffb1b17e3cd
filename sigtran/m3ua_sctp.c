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
 * freed only when none is in flight. */
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

/* --- pure helpers --- */

uint16_t m3ua_sctp_stream(uint8_t cls, uint8_t sls, uint16_t n_out, bool ssnm_on_data)
{
	if (n_out < 2)
		return 0;
	switch (cls) {
	case M3UA_CLS_XFER:
		return (uint16_t)(1 + sls % (n_out - 1));
	case M3UA_CLS_SSNM:
		return ssnm_on_data ? 1 : 0;
	default:
		return 0;
	}
}

bool m3ua_sctp_stream_ok(uint8_t cls, uint16_t stream)
{
	/* 3.8.1: "a Management message was received on a stream other than 0" */
	if (cls == M3UA_CLS_MGMT || cls == M3UA_CLS_ASPSM)
		return stream == 0;
	return true;
}

/* Room for SCTP_SNDRCV and SCTP_RCVINFO (48 + 48 bytes on Linux), aligned
 * for struct cmsghdr. Not a union with it: glibc gives it a flexible array
 * member, which would make this a variable-sized field for clang. */
struct sctp_cmsg_buf {
	_Alignas(struct cmsghdr) uint8_t b[128];
};

int m3ua_sctp_cmsg_build(void *buf, size_t size, uint16_t stream, uint32_t ppid)
{
	struct sctp_sndrcvinfo si;
	struct cmsghdr *cm = buf;

	if (size < CMSG_SPACE(sizeof(si)))
		return -ENOSPC;
	memset(buf, 0, CMSG_SPACE(sizeof(si)));
	memset(&si, 0, sizeof(si));
	si.sinfo_stream = stream;
	si.sinfo_ppid = htonl(ppid);
	cm->cmsg_level = IPPROTO_SCTP;
	cm->cmsg_type = SCTP_SNDRCV;
	cm->cmsg_len = CMSG_LEN(sizeof(si));
	memcpy(CMSG_DATA(cm), &si, sizeof(si));
	return (int)CMSG_SPACE(sizeof(si));
}

int m3ua_sctp_cmsg_parse(const void *control, size_t controllen, uint16_t *stream, uint32_t *ppid)
{
	struct msghdr mh = {.msg_control = (void *)control, .msg_controllen = controllen};
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t off = (size_t)((const uint8_t *)cm - (const uint8_t *)control);

		/* CMSG_FIRSTHDR does not check the header's own length against
		 * the buffer: a cut one must not make us read past it */
		if (cm->cmsg_len < sizeof(*cm) || cm->cmsg_len > controllen - off)
			break;
		if (cm->cmsg_level != IPPROTO_SCTP)
			continue;
		if (cm->cmsg_type == SCTP_SNDRCV &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct sctp_sndrcvinfo))) {
			struct sctp_sndrcvinfo si;

			memcpy(&si, CMSG_DATA(cm), sizeof(si));
			*stream = si.sinfo_stream;
			*ppid = ntohl(si.sinfo_ppid);
			return 0;
		}
		if (cm->cmsg_type == SCTP_RCVINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct sctp_rcvinfo))) {
			struct sctp_rcvinfo ri;

			memcpy(&ri, CMSG_DATA(cm), sizeof(ri));
			*stream = ri.rcv_sid;
			*ppid = ntohl(ri.rcv_ppid);
			return 0;
		}
	}
	return -ENOENT;
}

int m3ua_sctp_rx_check(const uint8_t *buf, size_t len, int msg_flags, uint32_t ppid)
{
	int n;

	if (msg_flags & MSG_NOTIFICATION)
		return -ENOMSG;
	n = m3ua_frame(buf, len);
	/* Without MSG_EOR the record goes on (it did not fit, or partial
	 * delivery), unless the common header says it is all there: so a
	 * kernel that left msg_flags unset would still work */
	if (!(msg_flags & MSG_EOR) && (n < 0 || (size_t)n != len))
		return -EMSGSIZE;
	/* RFC 4666 1.4.7: PPID 3; 0 (unspecified) is taken from lax peers */
	if (ppid != M3UA_SCTP_PPID && ppid != 0)
		return -EPROTO;
	/* SCTP keeps the boundaries; the common header must agree with them */
	if (n < 0 || (size_t)n != len)
		return -EBADMSG;
	return 0;
}

int m3ua_sctp_pack_addrs(const struct sockaddr_storage *a, unsigned n, uint8_t *out, size_t size)
{
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		size_t al = a[i].ss_family == AF_INET	 ? sizeof(struct sockaddr_in)
			    : a[i].ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							 : 0;

		if (!al)
			return -EAFNOSUPPORT;
		if (off + al > size)
			return -ENOSPC;
		memcpy(out + off, &a[i], al);
		off += al;
	}
	return (int)off;
}

bool m3ua_sctp_params_any(const struct m3ua_sctp_params *p)
{
	return p->rto_initial_ms || p->rto_min_ms || p->rto_max_ms || p->hb_interval_ms ||
	       p->hb_off || p->path_max_retrans || p->assoc_max_retrans || p->init_max_attempts ||
	       p->init_max_timeo_ms || p->streams;
}

int m3ua_sctp_params_check(const struct m3ua_sctp_params *p, char *why, size_t len)
{
	/* RFC 4960 6.3.1 C1-C7: RTO starts at RTO.Initial and stays within
	 * [RTO.Min, RTO.Max] */
	if (p->rto_min_ms && p->rto_max_ms && p->rto_min_ms > p->rto_max_ms) {
		snprintf(why, len, "RTO min %u ms is above RTO max %u ms", p->rto_min_ms,
			 p->rto_max_ms);
		return -EINVAL;
	}
	if (p->rto_initial_ms && p->rto_min_ms && p->rto_initial_ms < p->rto_min_ms) {
		snprintf(why, len, "RTO initial %u ms is below RTO min %u ms", p->rto_initial_ms,
			 p->rto_min_ms);
		return -EINVAL;
	}
	if (p->rto_initial_ms && p->rto_max_ms && p->rto_initial_ms > p->rto_max_ms) {
		snprintf(why, len, "RTO initial %u ms is above RTO max %u ms", p->rto_initial_ms,
			 p->rto_max_ms);
		return -EINVAL;
	}
	if (p->hb_off && p->hb_interval_ms) {
		snprintf(why, len, "heartbeat both off and every %u ms", p->hb_interval_ms);
		return -EINVAL;
	}
	if (p->streams == 1) {
		snprintf(why, len, "one stream leaves none for DATA (2 at least)");
		return -EINVAL;
	}
	return 0;
}

static void addr_str(const struct sockaddr *sa, char *out, size_t size);

int m3ua_sctp_notification_str(const uint8_t *buf, size_t len, char *out, size_t size)
{
	union sctp_notification n;

	if (len < sizeof(n.sn_header))
		return -ENOENT;
	memset(&n, 0, sizeof(n));
	memcpy(&n, buf, len < sizeof(n) ? len : sizeof(n));
	switch (n.sn_header.sn_type) {
	case SCTP_PEER_ADDR_CHANGE: {
		static const char *const st[] = {
			[SCTP_ADDR_AVAILABLE] = "available",
			[SCTP_ADDR_UNREACHABLE] = "unreachable",
			[SCTP_ADDR_REMOVED] = "removed",
			[SCTP_ADDR_ADDED] = "added",
			[SCTP_ADDR_MADE_PRIM] = "made primary",
			[SCTP_ADDR_CONFIRMED] = "confirmed",
			[SCTP_ADDR_POTENTIALLY_FAILED] = "potentially-failed",
		};
		char a[48];
		int k = n.sn_paddr_change.spc_state;

		if (len < sizeof(n.sn_paddr_change))
			return -ENOENT;
		struct sockaddr_storage ss;
		unsigned port;

		/* a copy: the member is packed */
		memcpy(&ss, &n.sn_paddr_change.spc_aaddr, sizeof(ss));
		port = ntohs(ss.ss_family == AF_INET6
				     ? ((const struct sockaddr_in6 *)&ss)->sin6_port
				     : ((const struct sockaddr_in *)&ss)->sin_port);
		char pstr[16] = "";

		addr_str((const struct sockaddr *)&ss, a, sizeof(a));
		/* the peer's port tells one association from another */
		if (port)
			snprintf(pstr, sizeof(pstr), " port %u", port);
		snprintf(out, size, "path %s%s %s (error %d)", a, pstr,
			 k >= 0 && k < (int)(sizeof(st) / sizeof(st[0])) && st[k] ? st[k] : "?",
			 n.sn_paddr_change.spc_error);
		return 0;
	}
	case SCTP_ASSOC_CHANGE: {
		static const char *const st[] = {
			[SCTP_COMM_UP] = "up",
			[SCTP_COMM_LOST] = "lost",
			[SCTP_RESTART] = "restarted by the peer",
			[SCTP_SHUTDOWN_COMP] = "shut down",
			[SCTP_CANT_STR_ASSOC] = "could not start",
		};
		unsigned k = n.sn_assoc_change.sac_state;

		if (len < sizeof(n.sn_assoc_change))
			return -ENOENT;
		snprintf(out, size, "association %s (streams out %u in %u, error %u)",
			 k < sizeof(st) / sizeof(st[0]) && st[k] ? st[k] : "?",
			 n.sn_assoc_change.sac_outbound_streams,
			 n.sn_assoc_change.sac_inbound_streams, n.sn_assoc_change.sac_error);
		return 0;
	}
	case SCTP_SHUTDOWN_EVENT:
		snprintf(out, size, "the peer shuts the association down");
		return 0;
	default:
		return -ENOENT;
	}
}

int m3ua_sctp_fd_params(int fd, const struct m3ua_sctp_params *p, const char **opt)
{
	struct sctp_initmsg im = {
		.sinit_num_ostreams = p->streams ? p->streams : M3UA_SCTP_STREAMS,
		.sinit_max_instreams = p->streams ? p->streams : M3UA_SCTP_STREAMS,
		.sinit_max_attempts = p->init_max_attempts,
		.sinit_max_init_timeo = p->init_max_timeo_ms,
	};

	*opt = "SCTP_INITMSG";
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im)) < 0)
		return -errno;
	/* the kernel checks min <= max against what it has: the bounds first
	 * (both in one call), 0 keeps a field as it is */
	if (p->rto_initial_ms || p->rto_min_ms || p->rto_max_ms) {
		struct sctp_rtoinfo ri = {.srto_initial = p->rto_initial_ms,
					  .srto_min = p->rto_min_ms,
					  .srto_max = p->rto_max_ms};

		*opt = "SCTP_RTOINFO";
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &ri, sizeof(ri)) < 0)
			return -errno;
	}
	if (p->hb_interval_ms || p->hb_off || p->path_max_retrans) {
		struct sctp_paddrparams pp;

		/* no address: the defaults of every path of the association */
		memset(&pp, 0, sizeof(pp));
		pp.spp_hbinterval = p->hb_interval_ms;
		pp.spp_pathmaxrxt = p->path_max_retrans;
		if (p->hb_off)
			pp.spp_flags = SPP_HB_DISABLE;
		else if (p->hb_interval_ms)
			pp.spp_flags = SPP_HB_ENABLE;
		*opt = "SCTP_PEER_ADDR_PARAMS";
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp)) < 0)
			return -errno;
	}
	if (p->assoc_max_retrans) {
		struct sctp_assocparams ap;

		memset(&ap, 0, sizeof(ap));
		ap.sasoc_asocmaxrxt = p->assoc_max_retrans;
		*opt = "SCTP_ASSOCINFO";
		if (setsockopt(fd, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, sizeof(ap)) < 0)
			return -errno;
	}
	*opt = NULL;
	return 0;
}

int m3ua_sctp_fd_info(int fd, struct m3ua_sctp_info *out)
{
	struct sctp_rtoinfo ri;
	struct sctp_paddrparams pp;
	struct sctp_assocparams ap;
	struct sctp_initmsg im;
	struct sctp_status ss;
	socklen_t l;

	memset(out, 0, sizeof(*out));
	memset(&ri, 0, sizeof(ri));
	l = sizeof(ri);
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &ri, &l) < 0)
		return -errno;
	out->rto_initial_ms = ri.srto_initial;
	out->rto_min_ms = ri.srto_min;
	out->rto_max_ms = ri.srto_max;
	memset(&pp, 0, sizeof(pp));
	l = sizeof(pp);
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, &l) < 0)
		return -errno;
	out->hb_interval_ms = pp.spp_hbinterval;
	out->hb_on = !(pp.spp_flags & SPP_HB_DISABLE);
	out->path_max_retrans = pp.spp_pathmaxrxt;
	memset(&ap, 0, sizeof(ap));
	l = sizeof(ap);
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, &l) < 0)
		return -errno;
	out->assoc_max_retrans = ap.sasoc_asocmaxrxt;
	memset(&im, 0, sizeof(im));
	l = sizeof(im);
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &im, &l) < 0)
		return -errno;
	out->init_max_attempts = im.sinit_max_attempts;
	out->init_max_timeo_ms = im.sinit_max_init_timeo;
	out->init_ostreams = im.sinit_num_ostreams;
	out->init_instreams = im.sinit_max_instreams;
	/* no association yet (a listener): no agreed streams */
	memset(&ss, 0, sizeof(ss));
	l = sizeof(ss);
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &ss, &l) == 0) {
		out->n_out = ss.sstat_outstrms;
		out->n_in = ss.sstat_instrms;
	}
	return 0;
}

/* --- the socket on the ring --- */

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

static const char *path_state(int st)
{
	switch (st) {
	case SCTP_ACTIVE:
		return "active";
	case SCTP_INACTIVE:
		return "inactive";
	case SCTP_PF:
		return "potentially-failed";
	case SCTP_UNCONFIRMED:
		return "unconfirmed";
	default:
		return "?";
	}
}

static void addr_str(const struct sockaddr *sa, char *out, size_t size)
{
	const void *a = sa->sa_family == AF_INET6
				? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
				: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (!inet_ntop(sa->sa_family, a, out, (socklen_t)size))
		snprintf(out, size, "?");
}

unsigned m3ua_sctp_paths(const struct m3ua_sctp *s, struct m3ua_sctp_path *out, unsigned max)
{
	union {
		struct sctp_getaddrs ga;
		uint8_t b[sizeof(struct sctp_getaddrs) + 8 * sizeof(struct sockaddr_in6)];
	} u;
	struct sctp_prim prim;
	socklen_t len = sizeof(u);
	const uint8_t *p;
	unsigned n = 0;
	char pbuf[48] = "";

	if (!s || s->io.fd < 0 || s->io.connecting)
		return 0;
	memset(&u, 0, sizeof(u));
	if (getsockopt(s->io.fd, IPPROTO_SCTP, SCTP_GET_PEER_ADDRS, &u, &len) < 0)
		return 0;
	memset(&prim, 0, sizeof(prim));
	len = sizeof(prim);
	if (getsockopt(s->io.fd, IPPROTO_SCTP, SCTP_PRIMARY_ADDR, &prim, &len) == 0)
		addr_str((const struct sockaddr *)&prim.ssp_addr, pbuf, sizeof(pbuf));
	p = (const uint8_t *)u.ga.addrs;
	for (unsigned i = 0; i < u.ga.addr_num && n < max; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)p;
		size_t al = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						      : sizeof(struct sockaddr_in);
		struct sctp_paddrinfo pi;
		struct m3ua_sctp_path *o = &out[n++];

		if (p + al > u.b + sizeof(u))
			break;
		memset(o, 0, sizeof(*o));
		addr_str(sa, o->addr, sizeof(o->addr));
		o->primary = !strcmp(o->addr, pbuf);
		o->state = "?";
		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.spinfo_address, sa, al);
		len = sizeof(pi);
		if (getsockopt(s->io.fd, IPPROTO_SCTP, SCTP_GET_PEER_ADDR_INFO, &pi, &len) == 0) {
			o->state = path_state(pi.spinfo_state);
			o->rto_ms = pi.spinfo_rto;
			o->srtt_ms = pi.spinfo_srtt;
			o->cwnd = pi.spinfo_cwnd;
		}
		p += al;
	}
	return n;
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
