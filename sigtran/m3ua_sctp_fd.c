/* M3UA over SCTP without the ring: stream choice, control data, the receive
 * checks, address packing, the configuration's socket options, notifications
 * for the log, and what "show m3ua" reads from a socket (see m3ua_sctp.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <stdio.h>
#include <string.h>

#include "core/addr.h"
#include "sigtran/m3ua_msg.h"
#include "sigtran/m3ua_sctp.h"

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

		tandem_host_str((const struct sockaddr *)&ss, a, sizeof(a));
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

unsigned m3ua_sctp_fd_paths(int fd, struct m3ua_sctp_path *out, unsigned max)
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

	memset(&u, 0, sizeof(u));
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_GET_PEER_ADDRS, &u, &len) < 0)
		return 0;
	memset(&prim, 0, sizeof(prim));
	len = sizeof(prim);
	if (getsockopt(fd, IPPROTO_SCTP, SCTP_PRIMARY_ADDR, &prim, &len) == 0)
		tandem_host_str((const struct sockaddr *)&prim.ssp_addr, pbuf, sizeof(pbuf));
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
		tandem_host_str(sa, o->addr, sizeof(o->addr));
		o->primary = !strcmp(o->addr, pbuf);
		o->state = "?";
		memset(&pi, 0, sizeof(pi));
		memcpy(&pi.spinfo_address, sa, al);
		len = sizeof(pi);
		if (getsockopt(fd, IPPROTO_SCTP, SCTP_GET_PEER_ADDR_INFO, &pi, &len) == 0) {
			o->state = path_state(pi.spinfo_state);
			o->rto_ms = pi.spinfo_rto;
			o->srtt_ms = pi.spinfo_srtt;
			o->cwnd = pi.spinfo_cwnd;
		}
		p += al;
	}
	return n;
}
