/* isup-switch: a small M3UA SG (server side) over TCP, RFC 4666; or, with
 * --asp-sctp, an ASP (client side) over kernel SCTP toward an SG/STP such as
 * osmo-stp: ASPUP, then ASPAC (override, its routing context), PPID 3,
 * management on stream 0 and DATA on stream 1 + SLS mod 16.
 *
 * Its own code on purpose (it checks tandem's M3UA, it does not share it).
 * One ASP at a time: ASPUP -> ASPUP_ACK (+ NTFY AS-INACTIVE), ASPAC ->
 * ASPAC_ACK echoing routing context and traffic mode (+ NTFY AS-ACTIVE),
 * ASPIA, ASPDN, BEAT -> BEAT_ACK, DAUD -> DAVA, DATA both ways. Messages are
 * framed on the stream by the common header's length (RFC 4666 3.1).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sctp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "isw.h"

/* RFC 4666 3.1.2 message classes and types */
enum { CL_MGMT = 0, CL_XFER = 1, CL_SSNM = 2, CL_ASPSM = 3, CL_ASPTM = 4 };
enum { MGMT_ERR = 0, MGMT_NTFY = 1 };
enum { XFER_DATA = 1 };
enum { SSNM_DUNA = 1, SSNM_DAVA = 2, SSNM_DAUD = 3 };
enum {
	ASPSM_UP = 1,
	ASPSM_DN = 2,
	ASPSM_BEAT = 3,
	ASPSM_UP_ACK = 4,
	ASPSM_DN_ACK = 5,
	ASPSM_BEAT_ACK = 6
};
enum { ASPTM_AC = 1, ASPTM_IA = 2, ASPTM_AC_ACK = 3, ASPTM_IA_ACK = 4 };
/* RFC 4666 3.2 / 3.3 parameter tags */
enum {
	TAG_INFO = 0x0004,
	TAG_RC = 0x0006,
	TAG_HB = 0x0009,
	TAG_TMT = 0x000b,
	TAG_ERR = 0x000c,
	TAG_STATUS = 0x000d,
	TAG_ASPID = 0x0011,
	TAG_APC = 0x0012,
	TAG_PD = 0x0210
};
/* RFC 4666 3.8.2 */
enum { AS_INACTIVE = 2, AS_ACTIVE = 3, AS_PENDING = 4 };
enum {
	ERR_UNSUPP_CLASS = 0x03,
	ERR_UNSUPP_TYPE = 0x04,
	ERR_UNEXPECTED = 0x06,
	ERR_PARAM_VALUE = 0x11
};

#define MSG_MAX 4096

static struct {
	int lfd, cfd;
	uint8_t rbuf[MSG_MAX * 2];
	size_t rlen;
	bool up, active;
	bool asp;	 /* --asp-sctp: we are the ASP, the far end the SG */
	uint16_t stream; /* SCTP stream of the next message */
	uint16_t n_out;	 /* SCTP outbound streams agreed at set-up */
} s = {.lfd = -1, .cfd = -1};

struct msgb {
	uint8_t b[MSG_MAX];
	size_t len;
};

static void mb_init(struct msgb *mb, uint8_t cls, uint8_t type)
{
	memset(mb->b, 0, 8);
	mb->b[0] = 1; /* version */
	mb->b[2] = cls;
	mb->b[3] = type;
	mb->len = 8;
}

static void mb_param(struct msgb *mb, uint16_t tag, const void *v, size_t vlen)
{
	size_t pad = (4 - vlen % 4) % 4;

	if (mb->len + 4 + vlen + pad > sizeof(mb->b))
		return;
	mb->b[mb->len] = tag >> 8;
	mb->b[mb->len + 1] = tag & 0xff;
	mb->b[mb->len + 2] = (uint8_t)((vlen + 4) >> 8);
	mb->b[mb->len + 3] = (uint8_t)((vlen + 4) & 0xff);
	memcpy(mb->b + mb->len + 4, v, vlen);
	memset(mb->b + mb->len + 4 + vlen, 0, pad);
	mb->len += 4 + vlen + pad;
}

static void mb_u32(struct msgb *mb, uint16_t tag, uint32_t v)
{
	uint32_t n = htonl(v);

	mb_param(mb, tag, &n, 4);
}

static void drop_conn(const char *why)
{
	if (s.cfd < 0)
		return;
	close(s.cfd);
	s.cfd = -1;
	s.rlen = 0;
	s.up = s.active = false;
	isw_out("EV ASP_DOWN reason=%s", why);
}

static int mb_send(struct msgb *mb)
{
	size_t off = 0;
	ssize_t n;

	if (s.cfd < 0)
		return -1;
	mb->b[4] = (uint8_t)(mb->len >> 24);
	mb->b[5] = (uint8_t)(mb->len >> 16);
	mb->b[6] = (uint8_t)(mb->len >> 8);
	mb->b[7] = (uint8_t)mb->len;
	if (s.asp) {
		/* one SCTP message: PPID 3 and the stream in SCTP_SNDRCV (RFC 4666 1.4.7) */
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))];
		} cm;
		struct sctp_sndrcvinfo si = {.sinfo_stream = s.stream, .sinfo_ppid = htonl(3)};
		struct iovec iov = {.iov_base = mb->b, .iov_len = mb->len};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cm.b,
				    .msg_controllen = sizeof(cm.b)};

		memset(cm.b, 0, sizeof(cm.b));
		cm.h.cmsg_level = IPPROTO_SCTP;
		cm.h.cmsg_type = SCTP_SNDRCV;
		cm.h.cmsg_len = CMSG_LEN(sizeof(si));
		memcpy(CMSG_DATA(&cm.h), &si, sizeof(si));
		s.stream = 0;
		if (sendmsg(s.cfd, &mh, MSG_NOSIGNAL) != (ssize_t)mb->len) {
			drop_conn("send");
			return -1;
		}
		return 0;
	}
	/* small messages on a local socket: a blocking send is fine for a test peer */
	while (off < mb->len) {
		n = send(s.cfd, mb->b + off, mb->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			drop_conn("send");
			return -1;
		}
		off += (size_t)n;
	}
	return 0;
}

static void send_err(uint32_t code)
{
	struct msgb mb;

	mb_init(&mb, CL_MGMT, MGMT_ERR);
	mb_u32(&mb, TAG_ERR, code);
	mb_send(&mb);
}

static void send_ntfy(uint16_t info)
{
	struct msgb mb;
	uint32_t st = (1u << 16) | info; /* status type 1: AS state change */

	mb_init(&mb, CL_MGMT, MGMT_NTFY);
	mb_u32(&mb, TAG_STATUS, st);
	if (isw_cfg.have_rc)
		mb_u32(&mb, TAG_RC, isw_cfg.rc);
	mb_send(&mb);
}

/* RFC 4666 3.4.1/3.4.2: the SG tells the ASP whether the switch behind it
 * can be reached: DUNA while libss7's link is down, DAVA once it is up. */
static bool dest_up;

static void send_dest_state(void)
{
	struct msgb mb;

	mb_init(&mb, CL_SSNM, dest_up ? SSNM_DAVA : SSNM_DUNA);
	if (isw_cfg.have_rc)
		mb_u32(&mb, TAG_RC, isw_cfg.rc);
	mb_u32(&mb, TAG_APC, isw_cfg.opc & 0xffffff);
	mb_send(&mb);
}

void isw_m3ua_dest(bool up)
{
	dest_up = up;
	if (s.active && !s.asp) /* SSNM goes from SG to ASP only */
		send_dest_state();
}

static void send_aspac(void)
{
	struct msgb mb;

	mb_init(&mb, CL_ASPTM, ASPTM_AC);
	mb_u32(&mb, TAG_TMT, 1); /* override */
	if (isw_cfg.have_rc)
		mb_u32(&mb, TAG_RC, isw_cfg.rc);
	mb_send(&mb);
}

int isw_m3ua_asp_sctp(const char *addr, const char *local)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in sin = {.sin_family = AF_INET};
	struct sctp_initmsg im = {.sinit_num_ostreams = 17, .sinit_max_instreams = 17};
	struct msgb mb;
	int one = 1;

	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return -EINVAL;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -EINVAL;
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	s.cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
	if (s.cfd < 0)
		return -errno;
	setsockopt(s.cfd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im));
	setsockopt(s.cfd, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one));
	if (local) {
		struct sockaddr_in la = {.sin_family = AF_INET};

		if (inet_pton(AF_INET, local, &la.sin_addr) != 1 ||
		    bind(s.cfd, (struct sockaddr *)&la, sizeof(la)) < 0) {
			close(s.cfd);
			s.cfd = -1;
			return -EADDRNOTAVAIL;
		}
	}
	if (connect(s.cfd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = -errno;

		close(s.cfd);
		s.cfd = -1;
		return e;
	}
	s.asp = true;
	{
		struct sctp_status st;
		socklen_t sl = sizeof(st);

		memset(&st, 0, sizeof(st));
		s.n_out = getsockopt(s.cfd, IPPROTO_SCTP, SCTP_STATUS, &st, &sl) == 0
				  ? st.sstat_outstrms
				  : 1;
	}
	isw_out("EV ASP_CONNECTED sctp streams=%u", s.n_out);
	mb_init(&mb, CL_ASPSM, ASPSM_UP);
	return mb_send(&mb);
}

int isw_m3ua_listen(const char *addr)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int one = 1;

	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return -EINVAL;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -EINVAL;
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	s.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s.lfd < 0)
		return -errno;
	setsockopt(s.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s.lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(s.lfd, 4) < 0) {
		int e = -errno;

		close(s.lfd);
		s.lfd = -1;
		return e;
	}
	return 0;
}

int isw_m3ua_pollfds(struct pollfd *pfd)
{
	int n = 0;

	pfd[n++] = (struct pollfd){.fd = s.lfd, .events = POLLIN};
	if (s.cfd >= 0)
		pfd[n++] = (struct pollfd){.fd = s.cfd, .events = POLLIN};
	return n;
}

bool isw_m3ua_active(void)
{
	return s.cfd >= 0 && s.active;
}

/* Find a parameter in a message body; returns its value or NULL. */
static const uint8_t *find_param(const uint8_t *p, size_t len, uint16_t tag, size_t *vlen)
{
	size_t off = 0, plen;

	while (off + 4 <= len) {
		plen = (size_t)(p[off + 2] << 8 | p[off + 3]);
		if (plen < 4 || off + plen > len)
			return NULL;
		if ((p[off] << 8 | p[off + 1]) == tag) {
			*vlen = plen - 4;
			return p + off + 4;
		}
		off += plen + (4 - plen % 4) % 4;
	}
	return NULL;
}

static uint32_t get_u32(const uint8_t *v)
{
	return (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
}

static void rx_data(const uint8_t *body, size_t len)
{
	const uint8_t *pd, *rc;
	size_t pdlen, rclen;
	struct isw_pdu p;

	if (!s.active) {
		send_err(ERR_UNEXPECTED);
		isw_out("ERR M3UA DATA while the ASP is not active");
		return;
	}
	rc = find_param(body, len, TAG_RC, &rclen);
	if (isw_cfg.have_rc && (!rc || rclen != 4 || get_u32(rc) != isw_cfg.rc))
		isw_out("ERR M3UA DATA routing context %s, expected %u",
			rc && rclen == 4 ? "differs" : "missing", isw_cfg.rc);
	pd = find_param(body, len, TAG_PD, &pdlen);
	if (!pd || pdlen < 12) {
		send_err(ERR_PARAM_VALUE);
		isw_out("ERR M3UA DATA without a usable Protocol Data");
		return;
	}
	p.opc = get_u32(pd);
	p.dpc = get_u32(pd + 4);
	p.si = pd[8];
	p.ni = pd[9];
	p.mp = pd[10];
	p.sls = pd[11];
	p.data = pd + 12;
	p.len = pdlen - 12;
	if (p.dpc != isw_cfg.opc)
		isw_out("ERR M3UA DATA for DPC %u, the switch is %u", p.dpc, isw_cfg.opc);
	if (p.si == 5 && !isw_sniff_rx_isup(p.data, p.len))
		return;
	if (isw_mtp_tx_user(&p) < 0)
		isw_out("ERR M3UA DATA dropped: MTP link to libss7 not in service");
}

static void rx_msg(const uint8_t *msg, size_t len)
{
	const uint8_t *body = msg + 8, *v;
	size_t blen = len - 8, vlen;
	struct msgb mb;

	if (msg[0] != 1) {
		send_err(0x01); /* invalid version */
		return;
	}
	if (s.asp) {
		switch (msg[2] << 8 | msg[3]) {
		case CL_ASPSM << 8 | ASPSM_UP_ACK:
			s.up = true;
			isw_out("EV ASP_UP");
			send_aspac();
			return;
		case CL_ASPTM << 8 | ASPTM_AC_ACK:
			s.active = true;
			isw_out("EV ASP_ACTIVE");
			return;
		case CL_MGMT << 8 | MGMT_NTFY:
			v = find_param(body, blen, TAG_STATUS, &vlen);
			isw_out("EV NTFY status=0x%08x", v && vlen == 4 ? get_u32(v) : 0);
			return;
		case CL_MGMT << 8 | MGMT_ERR:
			v = find_param(body, blen, TAG_ERR, &vlen);
			isw_out("ERR M3UA ERR 0x%02x from the SG", v && vlen == 4 ? get_u32(v) : 0);
			return;
		case CL_SSNM << 8 | SSNM_DUNA:
		case CL_SSNM << 8 | SSNM_DAVA: {
			/* the affected point codes: mask octet, then the PC */
			char pcs[128] = "";
			size_t o = 0;

			v = find_param(body, blen, TAG_APC, &vlen);
			for (size_t i = 0; v && i + 4 <= vlen && o < sizeof(pcs) - 12; i += 4)
				o += (size_t)snprintf(pcs + o, sizeof(pcs) - o, "%s%u",
						      o ? "," : "", get_u32(v + i) & 0xffffff);
			isw_out("EV %s pc=%s", msg[3] == SSNM_DUNA ? "DUNA" : "DAVA", pcs);
			return;
		}
		case CL_ASPSM << 8 | ASPSM_BEAT:
		case CL_XFER << 8 | XFER_DATA:
			break; /* as below */
		default:
			isw_out("EV M3UA class %u type %u from the SG", msg[2], msg[3]);
			return;
		}
	}
	switch (msg[2] << 8 | msg[3]) {
	case CL_ASPSM << 8 | ASPSM_UP:
		mb_init(&mb, CL_ASPSM, ASPSM_UP_ACK);
		if ((v = find_param(body, blen, TAG_ASPID, &vlen)))
			mb_param(&mb, TAG_ASPID, v, vlen);
		mb_send(&mb);
		s.up = true;
		s.active = false;
		isw_out("EV ASP_UP");
		send_ntfy(AS_INACTIVE);
		break;
	case CL_ASPSM << 8 | ASPSM_DN:
		mb_init(&mb, CL_ASPSM, ASPSM_DN_ACK);
		mb_send(&mb);
		s.up = s.active = false;
		isw_out("EV ASP_DOWN reason=aspdn");
		break;
	case CL_ASPSM << 8 | ASPSM_BEAT:
		mb_init(&mb, CL_ASPSM, ASPSM_BEAT_ACK);
		memcpy(mb.b + 8, body, blen); /* the heartbeat data, unchanged */
		mb.len = len;
		mb_send(&mb);
		break;
	case CL_ASPTM << 8 | ASPTM_AC:
		if (!s.up) {
			send_err(ERR_UNEXPECTED);
			break;
		}
		mb_init(&mb, CL_ASPTM, ASPTM_AC_ACK);
		if ((v = find_param(body, blen, TAG_TMT, &vlen)))
			mb_param(&mb, TAG_TMT, v, vlen);
		if ((v = find_param(body, blen, TAG_RC, &vlen)))
			mb_param(&mb, TAG_RC, v, vlen);
		else if (isw_cfg.have_rc)
			mb_u32(&mb, TAG_RC, isw_cfg.rc);
		mb_send(&mb);
		s.active = true;
		isw_out("EV ASP_ACTIVE");
		send_ntfy(AS_ACTIVE);
		if (!dest_up)
			send_dest_state();
		break;
	case CL_ASPTM << 8 | ASPTM_IA:
		mb_init(&mb, CL_ASPTM, ASPTM_IA_ACK);
		if ((v = find_param(body, blen, TAG_RC, &vlen)))
			mb_param(&mb, TAG_RC, v, vlen);
		mb_send(&mb);
		s.active = false;
		isw_out("EV ASP_INACTIVE");
		send_ntfy(AS_PENDING);
		break;
	case CL_SSNM << 8 | SSNM_DAUD:
		/* the one destination behind this SG is the switch itself */
		mb_init(&mb, CL_SSNM, dest_up ? SSNM_DAVA : SSNM_DUNA);
		if ((v = find_param(body, blen, TAG_RC, &vlen)))
			mb_param(&mb, TAG_RC, v, vlen);
		if ((v = find_param(body, blen, TAG_APC, &vlen)))
			mb_param(&mb, TAG_APC, v, vlen);
		mb_send(&mb);
		break;
	case CL_XFER << 8 | XFER_DATA:
		rx_data(body, blen);
		break;
	case CL_MGMT << 8 | MGMT_ERR:
	case CL_MGMT << 8 | MGMT_NTFY:
		isw_out("ERR M3UA %s received from the ASP", msg[3] ? "NTFY" : "ERR");
		break;
	default:
		send_err(msg[2] <= CL_ASPTM ? ERR_UNSUPP_TYPE : ERR_UNSUPP_CLASS);
		break;
	}
}

static void rx_stream(void)
{
	ssize_t n;
	size_t off = 0, mlen;

	n = recv(s.cfd, s.rbuf + s.rlen, sizeof(s.rbuf) - s.rlen, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop_conn(n == 0 ? "closed" : "error");
		return;
	}
	if (n < 0)
		return;
	s.rlen += (size_t)n;
	while (s.rlen - off >= 8) {
		const uint8_t *h = s.rbuf + off;

		mlen = get_u32(h + 4);
		if (mlen < 8 || mlen > MSG_MAX) {
			isw_out("ERR M3UA length %zu: dropping the connection", mlen);
			drop_conn("malformed");
			return;
		}
		if (s.rlen - off < mlen)
			break;
		rx_msg(h, mlen);
		if (s.cfd < 0)
			return;
		off += mlen;
	}
	memmove(s.rbuf, s.rbuf + off, s.rlen - off);
	s.rlen -= off;
}

void isw_m3ua_handle(const struct pollfd *pfd, int n)
{
	int i, fd, one = 1;

	for (i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == s.lfd) {
			fd = accept4(s.lfd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			drop_conn("replaced");
			s.cfd = fd;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			isw_out("EV ASP_CONNECTED");
		} else if (pfd[i].fd == s.cfd) {
			rx_stream();
		}
	}
}

int isw_m3ua_tx_data(const struct isw_pdu *p)
{
	struct msgb mb;
	uint8_t pd[MSG_MAX - 64];

	if (!isw_m3ua_active() || p->len + 12 > sizeof(pd))
		return -1;
	mb_init(&mb, CL_XFER, XFER_DATA);
	if (isw_cfg.have_rc)
		mb_u32(&mb, TAG_RC, isw_cfg.rc);
	/* DATA on 1 + SLS mod (streams - 1), stream 0 when there is only one */
	s.stream = s.n_out > 1 ? (uint16_t)(1 + p->sls % (s.n_out - 1)) : 0;
	pd[0] = (uint8_t)(p->opc >> 24);
	pd[1] = (uint8_t)(p->opc >> 16);
	pd[2] = (uint8_t)(p->opc >> 8);
	pd[3] = (uint8_t)p->opc;
	pd[4] = (uint8_t)(p->dpc >> 24);
	pd[5] = (uint8_t)(p->dpc >> 16);
	pd[6] = (uint8_t)(p->dpc >> 8);
	pd[7] = (uint8_t)p->dpc;
	pd[8] = p->si;
	pd[9] = p->ni;
	pd[10] = p->mp;
	pd[11] = p->sls;
	memcpy(pd + 12, p->data, p->len);
	mb_param(&mb, TAG_PD, pd, p->len + 12);
	return mb_send(&mb);
}

void isw_m3ua_close(void)
{
	drop_conn("exit");
	if (s.lfd >= 0)
		close(s.lfd);
	s.lfd = -1;
}
