/* m3ua-sg: a small scripted M3UA SG over TCP (RFC 4666) for tandem's M3UA
 * procedure tests. Its own code on purpose: it checks tandem's sigtran/,
 * it does not share it.
 *
 * Several ASPs (associations) at once, one AS: ASPUP/ASPDN, ASPAC/ASPIA
 * (override: a newer active ASP takes over and the old one gets NTFY
 * Alternate ASP Active; loadshare: all carry), BEAT, REG REQ accepted or
 * refused (--rkm), DEREG REQ, DAUD answered from the destinations' state,
 * DATA both ways. Commands from --commands FILE (a FIFO; default stdin), one
 * per line:
 *   duna PC | dava PC | drst PC | scon PC LEVEL | dupu PC USER CAUSE
 *   data OPC DPC SLS HEX      DATA (SI 5, NI 2) to an active ASP
 *   data-na NA OPC DPC SLS HEX  the same with this Network Appearance
 *   data-rc RC OPC DPC SLS HEX  the same with this Routing Context
 *   badver [CONN]             a BEAT of M3UA version 2 (to the active ASP)
 *   drop [CONN]               close an association (default: the active one)
 *   quit
 * Output (stdout, one line each): READY, EV CONNECTED conn=N, EV RX conn=N
 * NAME (every message), EV ACTIVE/INACTIVE/UP/DOWN conn=N, EV REG ..., EV
 * DATA conn=N opc= dpc= si= sls= hex= na=, EV ERR conn=N code= na=, EV
 * CLOSED conn=N; over SCTP (--sctp) EV STREAM conn=N class= type= stream=
 * ppid= eor= for every message. --na N puts Network Appearance N (RFC 4666 3.3.1) in the
 * DATA and SSNM it sends. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/sctp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC	4
#define MSG_MAX 4096

/* RFC 4666 3.1.2 / 3.2 */
enum { MGMT = 0, XFER = 1, SSNM = 2, ASPSM = 3, ASPTM = 4, RKM = 9 };
enum {
	T_INFO = 0x0004,
	T_RC = 0x0006,
	T_HB = 0x0009,
	T_TMT = 0x000b,
	T_ERR = 0x000c,
	T_STATUS = 0x000d,
	T_ASPID = 0x0011,
	T_APC = 0x0012,
	T_NA = 0x0200,
	T_USER_CAUSE = 0x0204,
	T_CONG = 0x0205,
	T_RK = 0x0207,
	T_REG_RES = 0x0208,
	T_DEREG_RES = 0x0209,
	T_LRK = 0x020a,
	T_DPC = 0x020b,
	T_SI = 0x020c,
	T_OPC = 0x020e,
	T_CIC = 0x020f,
	T_PD = 0x0210,
	T_REG_ST = 0x0212,
	T_DEREG_ST = 0x0213,
};

struct conn {
	int fd;
	uint8_t rbuf[MSG_MAX * 2];
	size_t rlen;
	bool up, active;
	uint32_t tmt;
};

static struct conn C[MAXC];
static int lfd = -1;
static uint32_t cfg_rc;
static bool have_rc;
static int rkm_mode; /* 0 ignore, 1 accept, 2 refuse */
static uint32_t rkm_val;
static uint32_t reg_rc;
static bool reg_done;
static long long cfg_na = -1; /* --na: in DATA and SSNM we send */
static bool use_sctp;	      /* --sctp: one-to-one SCTP, PPID 3, DATA on stream 1+SLS%16 */
static uint16_t tx_stream;    /* SCTP stream of the next send_mb() */
/* destinations we announced: 0 available, 1 unavailable, 2 restricted */
static struct {
	uint32_t pc;
	int st;
	uint32_t cong, dupu; /* SCON level; DUPU user/cause (0: none) */
} dst[16];
static int ndst;

static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

struct mb {
	uint8_t b[MSG_MAX];
	size_t len;
};

static void mb_init(struct mb *m, uint8_t cls, uint8_t type)
{
	memset(m->b, 0, 8);
	m->b[0] = 1;
	m->b[2] = cls;
	m->b[3] = type;
	m->len = 8;
}

static void mb_param(struct mb *m, uint16_t tag, const void *v, size_t vlen)
{
	size_t pad = (4 - vlen % 4) % 4;

	if (m->len + 4 + vlen + pad > sizeof(m->b))
		return;
	m->b[m->len] = tag >> 8;
	m->b[m->len + 1] = tag & 0xff;
	m->b[m->len + 2] = (uint8_t)((vlen + 4) >> 8);
	m->b[m->len + 3] = (uint8_t)(vlen + 4);
	memcpy(m->b + m->len + 4, v, vlen);
	memset(m->b + m->len + 4 + vlen, 0, pad);
	m->len += 4 + vlen + pad;
}

static void mb_u32(struct mb *m, uint16_t tag, uint32_t v)
{
	uint32_t n = htonl(v);

	mb_param(m, tag, &n, 4);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void drop(int i, const char *why)
{
	if (C[i].fd < 0)
		return;
	close(C[i].fd);
	C[i].fd = -1;
	C[i].up = C[i].active = false;
	out("EV CLOSED conn=%d reason=%s", i, why);
}

static void send_mb(int i, struct mb *m)
{
	size_t off = 0;

	if (C[i].fd < 0)
		return;
	m->b[4] = (uint8_t)(m->len >> 24);
	m->b[5] = (uint8_t)(m->len >> 16);
	m->b[6] = (uint8_t)(m->len >> 8);
	m->b[7] = (uint8_t)m->len;
	if (use_sctp) {
		/* RFC 4666 1.4.7: PPID 3; the stream in SCTP_SNDRCV control data */
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))];
		} cm;
		struct sctp_sndrcvinfo si = {.sinfo_stream = tx_stream, .sinfo_ppid = htonl(3)};
		struct iovec iov = {.iov_base = m->b, .iov_len = m->len};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cm.b,
				    .msg_controllen = sizeof(cm.b)};

		memset(cm.b, 0, sizeof(cm.b));
		cm.h.cmsg_level = IPPROTO_SCTP;
		cm.h.cmsg_type = SCTP_SNDRCV;
		cm.h.cmsg_len = CMSG_LEN(sizeof(si));
		memcpy(CMSG_DATA(&cm.h), &si, sizeof(si));
		tx_stream = 0;
		if (sendmsg(C[i].fd, &mh, MSG_NOSIGNAL) != (ssize_t)m->len)
			drop(i, "send");
		return;
	}
	while (off < m->len) {
		ssize_t n = send(C[i].fd, m->b + off, m->len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			drop(i, "send");
			return;
		}
		off += (size_t)n;
	}
}

static void send_simple(int i, uint8_t cls, uint8_t type)
{
	struct mb m;

	mb_init(&m, cls, type);
	send_mb(i, &m);
}

static void ntfy(int i, uint16_t type, uint16_t info)
{
	struct mb m;

	mb_init(&m, MGMT, 1);
	mb_u32(&m, T_STATUS, (uint32_t)type << 16 | info);
	send_mb(i, &m);
}

/* parameter lookup in a list of len bytes */
static const uint8_t *find(const uint8_t *p, size_t len, uint16_t tag, size_t *vlen)
{
	size_t off = 0;

	while (off + 4 <= len) {
		size_t plen = (size_t)(p[off + 2] << 8 | p[off + 3]);

		if (plen < 4 || off + plen > len)
			return NULL;
		if ((p[off] << 8 | p[off + 1]) == tag) {
			*vlen = plen - 4;
			return p + off + 4;
		}
		off += (plen + 3) & ~(size_t)3;
	}
	return NULL;
}

static const char *name(uint8_t cls, uint8_t type)
{
	static const char *const aspsm[] = {"?",	 "ASPUP",     "ASPDN",	 "BEAT",
					    "ASPUP_ACK", "ASPDN_ACK", "BEAT_ACK"};
	static const char *const asptm[] = {"?", "ASPAC", "ASPIA", "ASPAC_ACK", "ASPIA_ACK"};
	static const char *const ssnm[] = {"?", "DUNA", "DAVA", "DAUD", "SCON", "DUPU", "DRST"};
	static const char *const rkm[] = {"?", "REG_REQ", "REG_RSP", "DEREG_REQ", "DEREG_RSP"};

	if (cls == MGMT && type <= 1)
		return type ? "NTFY" : "ERR";
	if (cls == XFER && type == 1)
		return "DATA";
	if (cls == ASPSM && type <= 6)
		return aspsm[type];
	if (cls == ASPTM && type <= 4)
		return asptm[type];
	if (cls == SSNM && type <= 6)
		return ssnm[type];
	if (cls == RKM && type <= 4)
		return rkm[type];
	return "UNKNOWN";
}

static int active_conn(uint8_t sls)
{
	int act[MAXC], n = 0;

	for (int i = 0; i < MAXC; i++)
		if (C[i].fd >= 0 && C[i].active)
			act[n++] = i;
	return n ? act[sls % n] : -1;
}

/* an optional 32-bit parameter as text: the value, or "-" */
static const char *opt32(const uint8_t *body, size_t blen, uint16_t tag, char *buf)
{
	size_t vlen;
	const uint8_t *v = find(body, blen, tag, &vlen);

	if (!v || vlen != 4)
		return "-";
	sprintf(buf, "%u", get32(v));
	return buf;
}

static void mb_na(struct mb *m, long long na)
{
	if (na >= 0)
		mb_u32(m, T_NA, (uint32_t)na);
}

static void rx_reg(int i, const uint8_t *body, size_t blen)
{
	size_t klen, vlen;
	const uint8_t *k = find(body, blen, T_RK, &klen), *v;
	char nb[16];
	uint32_t lrk = 0, dpc = 0, opc = 0;
	unsigned si = 0, c0 = 0, c1 = 0;
	struct mb res, m;

	if (!k) {
		out("ERR REG REQ without a routing key");
		return;
	}
	if ((v = find(k, klen, T_LRK, &vlen)) && vlen == 4)
		lrk = get32(v);
	if ((v = find(k, klen, T_DPC, &vlen)) && vlen == 4)
		dpc = get32(v) & 0xffffff;
	if ((v = find(k, klen, T_SI, &vlen)) && vlen >= 1)
		si = v[0];
	if ((v = find(k, klen, T_OPC, &vlen)) && vlen >= 4)
		opc = get32(v) & 0xffffff;
	if ((v = find(k, klen, T_CIC, &vlen)) && vlen == 8) {
		c0 = (unsigned)(v[4] << 8 | v[5]);
		c1 = (unsigned)(v[6] << 8 | v[7]);
	}
	out("EV REG conn=%d lrk=%u dpc=%u si=%u opc=%u cics=%u-%u -> %s na=%s", i, lrk, dpc, si,
	    opc, c0, c1,
	    rkm_mode == 1   ? "accepted"
	    : rkm_mode == 2 ? "refused"
			    : "ignored",
	    opt32(k, klen, T_NA, nb));
	if (!rkm_mode)
		return;
	/* RFC 4666 3.6.2 Registration Result */
	mb_init(&res, RKM, 2);
	mb_u32(&res, T_LRK, lrk);
	mb_u32(&res, T_REG_ST, rkm_mode == 1 ? 0 : rkm_val);
	mb_u32(&res, T_RC, rkm_mode == 1 ? rkm_val : 0);
	mb_init(&m, RKM, 2);
	mb_param(&m, T_REG_RES, res.b + 8, res.len - 8);
	send_mb(i, &m);
	if (rkm_mode == 1) {
		reg_rc = rkm_val;
		reg_done = true;
	}
}

static void rx_msg(int i, const uint8_t *msg, size_t len)
{
	const uint8_t *body = msg + 8, *v;
	size_t blen = len - 8, vlen;
	struct mb m;
	uint32_t rc;
	char nb[16], eb[16];

	out("EV RX conn=%d %s", i, name(msg[2], msg[3]));
	switch (msg[2] << 8 | msg[3]) {
	case ASPSM << 8 | 1:
		send_simple(i, ASPSM, 4);
		C[i].up = true;
		C[i].active = false;
		out("EV UP conn=%d aspid=%s", i, opt32(body, blen, T_ASPID, nb));
		ntfy(i, 1, 2); /* AS-INACTIVE */
		break;
	case ASPSM << 8 | 2:
		send_simple(i, ASPSM, 5);
		C[i].up = C[i].active = false;
		out("EV DOWN conn=%d", i);
		break;
	case ASPSM << 8 | 3:
		mb_init(&m, ASPSM, 6);
		if ((v = find(body, blen, T_HB, &vlen)))
			mb_param(&m, T_HB, v, vlen);
		send_mb(i, &m);
		break;
	case ASPTM << 8 | 1:
		if (!C[i].up) {
			mb_init(&m, MGMT, 0);
			mb_u32(&m, T_ERR, 0x06);
			send_mb(i, &m);
			break;
		}
		C[i].tmt = (v = find(body, blen, T_TMT, &vlen)) && vlen == 4 ? get32(v) : 1;
		rc = (v = find(body, blen, T_RC, &vlen)) && vlen == 4 ? get32(v) : ~0u;
		mb_init(&m, ASPTM, 3);
		mb_u32(&m, T_TMT, C[i].tmt);
		if (rc != ~0u)
			mb_u32(&m, T_RC, rc);
		send_mb(i, &m);
		/* RFC 4666 4.3.4.3 override: the newly active ASP takes over */
		if (C[i].tmt == 1)
			for (int j = 0; j < MAXC; j++)
				if (j != i && C[j].fd >= 0 && C[j].active) {
					C[j].active = false;
					ntfy(j, 2, 2); /* Alternate ASP Active */
					out("EV INACTIVE conn=%d (alternate active)", j);
				}
		C[i].active = true;
		out("EV ACTIVE conn=%d rc=%d tmt=%u", i, rc == ~0u ? -1 : (int)rc, C[i].tmt);
		ntfy(i, 1, 3); /* AS-ACTIVE */
		break;
	case ASPTM << 8 | 2:
		mb_init(&m, ASPTM, 4);
		if ((v = find(body, blen, T_RC, &vlen)))
			mb_param(&m, T_RC, v, vlen);
		send_mb(i, &m);
		C[i].active = false;
		out("EV INACTIVE conn=%d", i);
		if (active_conn(0) < 0)
			ntfy(i, 1, 4); /* AS-PENDING */
		break;
	case RKM << 8 | 1:
		rx_reg(i, body, blen);
		break;
	case RKM << 8 | 3: {
		struct mb res;

		rc = (v = find(body, blen, T_RC, &vlen)) && vlen == 4 ? get32(v) : 0;
		out("EV DEREG conn=%d rc=%u", i, rc);
		mb_init(&res, RKM, 4);
		mb_u32(&res, T_RC, rc);
		mb_u32(&res, T_DEREG_ST, reg_done && rc == reg_rc ? 0 : 4);
		mb_init(&m, RKM, 4);
		mb_param(&m, T_DEREG_RES, res.b + 8, res.len - 8);
		send_mb(i, &m);
		break;
	}
	case SSNM << 8 | 3: /* DAUD: answer from what we announced (4.5.3) */
		if ((v = find(body, blen, T_APC, &vlen)))
			for (size_t k = 0; k + 4 <= vlen; k += 4) {
				uint32_t pc = get32(v + k) & 0xffffff, cong = 0, dupu = 0;
				int st = 0;

				for (int d = 0; d < ndst; d++)
					if (dst[d].pc == pc) {
						st = dst[d].st;
						cong = dst[d].cong;
						dupu = dst[d].dupu;
					}
				mb_init(&m, SSNM, st == 1 ? 1 : st == 2 ? 6 : 2);
				mb_na(&m, cfg_na);
				mb_u32(&m, T_APC, pc);
				send_mb(i, &m);
				/* 4.5.3: congestion and user part state are answered too */
				if (cong && st != 1) {
					mb_init(&m, SSNM, 4);
					mb_u32(&m, T_APC, pc);
					mb_u32(&m, T_CONG, cong);
					send_mb(i, &m);
				}
				if (dupu && st != 1) {
					mb_init(&m, SSNM, 5);
					mb_u32(&m, T_APC, pc);
					mb_u32(&m, T_USER_CAUSE, dupu);
					send_mb(i, &m);
				}
				out("EV DAUD conn=%d pc=%u answered=%s", i, pc,
				    st == 1   ? "DUNA"
				    : st == 2 ? "DRST"
					      : "DAVA");
			}
		break;
	case XFER << 8 | 1: {
		char hex[2 * 272 + 1] = "";

		if (!C[i].active)
			out("ERR DATA on conn %d, not active", i);
		rc = (v = find(body, blen, T_RC, &vlen)) && vlen == 4 ? get32(v) : ~0u;
		v = find(body, blen, T_PD, &vlen);
		if (!v || vlen < 12) {
			out("ERR DATA without protocol data");
			break;
		}
		for (size_t k = 12; k < vlen && k < 12 + 272; k++)
			sprintf(hex + 2 * (k - 12), "%02x", v[k]);
		out("EV DATA conn=%d rc=%d opc=%u dpc=%u si=%u sls=%u hex=%s na=%s", i,
		    rc == ~0u ? -1 : (int)rc, get32(v), get32(v + 4), v[8], v[11], hex,
		    opt32(body, blen, T_NA, nb));
		break;
	}
	case MGMT << 8 | 0:
		out("EV ERR conn=%d code=0x%02x na=%s", i,
		    (v = find(body, blen, T_ERR, &vlen)) && vlen == 4 ? get32(v) : 0,
		    opt32(body, blen, T_NA, eb));
		break;
	default:
		break;
	}
}

static void rx(int i)
{
	struct conn *c = &C[i];
	union {
		struct cmsghdr h;
		uint8_t b[CMSG_SPACE(sizeof(struct sctp_sndrcvinfo))];
	} cm;
	struct iovec iov = {.iov_base = c->rbuf + c->rlen, .iov_len = sizeof(c->rbuf) - c->rlen};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cm.b,
			    .msg_controllen = sizeof(cm.b)};
	ssize_t n = recvmsg(c->fd, &mh, MSG_DONTWAIT);
	size_t off = 0;

	if (use_sctp && n > 0 && !(mh.msg_flags & MSG_NOTIFICATION)) {
		struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
		struct sctp_sndrcvinfo si;

		/* every SCTP record is one whole message (MSG_EOR) */
		if (h && h->cmsg_level == IPPROTO_SCTP && h->cmsg_type == SCTP_SNDRCV &&
		    h->cmsg_len >= CMSG_LEN(sizeof(si)) && n >= 8) {
			memcpy(&si, CMSG_DATA(h), sizeof(si));
			out("EV STREAM conn=%d class=%u type=%u stream=%u ppid=%u eor=%d", i,
			    c->rbuf[c->rlen + 2], c->rbuf[c->rlen + 3], si.sinfo_stream,
			    ntohl(si.sinfo_ppid), !!(mh.msg_flags & MSG_EOR));
		}
	}

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop(i, n == 0 ? "closed" : "error");
		return;
	}
	if (n < 0)
		return;
	c->rlen += (size_t)n;
	while (c->rlen - off >= 8) {
		uint32_t mlen = get32(c->rbuf + off + 4);

		if (c->rbuf[off] != 1 || mlen < 8 || mlen > MSG_MAX || (mlen & 3)) {
			out("ERR malformed common header on conn %d", i);
			drop(i, "malformed");
			return;
		}
		if (c->rlen - off < mlen)
			break;
		rx_msg(i, c->rbuf + off, mlen);
		if (c->fd < 0)
			return;
		off += mlen;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
}

static typeof(dst[0]) *get_dst(uint32_t pc)
{
	for (int d = 0; d < ndst; d++)
		if (dst[d].pc == pc)
			return &dst[d];
	if (ndst == 16)
		return &dst[15];
	dst[ndst] = (typeof(dst[0])){.pc = pc};
	return &dst[ndst++];
}

static void set_dst(uint32_t pc, int st)
{
	typeof(dst[0]) *d = get_dst(pc);

	d->st = st;
	if (st == 0) /* DAVA: all clear */
		d->cong = d->dupu = 0;
}

/* SSNM to every active ASP (RFC 4666 4.5.1: to all ASPs that may send there) */
static void ssnm_all(uint8_t type, uint32_t pc, uint16_t tag, uint32_t v)
{
	for (int i = 0; i < MAXC; i++) {
		struct mb m;

		if (C[i].fd < 0 || !C[i].active)
			continue;
		mb_init(&m, SSNM, type);
		mb_na(&m, cfg_na);
		if (reg_done)
			mb_u32(&m, T_RC, reg_rc);
		else if (have_rc)
			mb_u32(&m, T_RC, cfg_rc);
		mb_u32(&m, T_APC, pc & 0xffffff);
		if (tag)
			mb_u32(&m, tag, v);
		send_mb(i, &m);
	}
}

static int command(char *line)
{
	char cmd[16] = "", hex[600] = "";
	unsigned a = 0, b = 0, c = 0;
	long long na = cfg_na, rc_over = -1;

	if (sscanf(line, "%15s", cmd) != 1)
		return 0;
	if (!strcmp(cmd, "quit"))
		return 1;
	if (!strcmp(cmd, "duna") && sscanf(line, "%*s %u", &a) == 1) {
		set_dst(a, 1);
		ssnm_all(1, a, 0, 0);
	} else if (!strcmp(cmd, "dava") && sscanf(line, "%*s %u", &a) == 1) {
		set_dst(a, 0);
		ssnm_all(2, a, 0, 0);
	} else if (!strcmp(cmd, "drst") && sscanf(line, "%*s %u", &a) == 1) {
		set_dst(a, 2);
		ssnm_all(6, a, 0, 0);
	} else if (!strcmp(cmd, "scon") && sscanf(line, "%*s %u %u", &a, &b) == 2) {
		get_dst(a)->cong = b;
		ssnm_all(4, a, T_CONG, b);
	} else if (!strcmp(cmd, "dupu") && sscanf(line, "%*s %u %u %u", &a, &b, &c) == 3) {
		get_dst(a)->dupu = c << 16 | b;
		ssnm_all(5, a, T_USER_CAUSE, c << 16 | b);
	} else if ((!strcmp(cmd, "data") &&
		    sscanf(line, "%*s %u %u %u %599s", &a, &b, &c, hex) == 4) ||
		   (!strcmp(cmd, "data-na") &&
		    sscanf(line, "%*s %lld %u %u %u %599s", &na, &a, &b, &c, hex) == 5) ||
		   (!strcmp(cmd, "data-rc") &&
		    sscanf(line, "%*s %lld %u %u %u %599s", &rc_over, &a, &b, &c, hex) == 5)) {
		uint8_t pd[12 + 290];
		size_t n = strlen(hex) / 2;
		int i = active_conn((uint8_t)c);
		struct mb m;

		if (i < 0 || n > 290) {
			out("ERR data: no active ASP");
			return 0;
		}
		*(uint32_t *)pd = htonl(a);
		*(uint32_t *)(pd + 4) = htonl(b);
		pd[8] = 5;
		pd[9] = 2;
		pd[10] = 0;
		pd[11] = (uint8_t)c;
		for (size_t k = 0; k < n; k++)
			sscanf(hex + 2 * k, "%2hhx", &pd[12 + k]);
		mb_init(&m, XFER, 1);
		tx_stream = (uint16_t)(1 + c % 16);
		mb_na(&m, na);
		if (rc_over >= 0)
			mb_u32(&m, T_RC, (uint32_t)rc_over);
		else if (reg_done)
			mb_u32(&m, T_RC, reg_rc);
		else if (have_rc)
			mb_u32(&m, T_RC, cfg_rc);
		mb_param(&m, T_PD, pd, 12 + n);
		send_mb(i, &m);
		out("EV SENT DATA conn=%d", i);
	} else if (!strcmp(cmd, "badver")) {
		int i = sscanf(line, "%*s %u", &a) == 1 ? (int)a : active_conn(0);
		struct mb m;

		if (i < 0 || i >= MAXC) {
			out("ERR badver: no such association");
			return 0;
		}
		mb_init(&m, ASPSM, 3);
		m.b[0] = 2;
		send_mb(i, &m);
		out("EV SENT BADVER conn=%d", i);
	} else if (!strcmp(cmd, "drop")) {
		int i = sscanf(line, "%*s %u", &a) == 1 ? (int)a : active_conn(0);

		if (i >= 0 && i < MAXC)
			drop(i, "command");
	} else {
		out("ERR unknown command: %s", line);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *listen_at = NULL;
	int timeout_s = 60, one = 1;
	char line[1024];
	size_t llen = 0;
	time_t t0 = time(NULL);
	bool in_open = true;
	int cmd_fd = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen_at = argv[++i];
		else if (!strcmp(argv[i], "--rc") && i + 1 < argc) {
			have_rc = true;
			cfg_rc = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--rkm") && i + 1 < argc) {
			const char *v = argv[++i];

			if (!strncmp(v, "accept:", 7)) {
				rkm_mode = 1;
				rkm_val = (uint32_t)strtoul(v + 7, NULL, 0);
			} else if (!strncmp(v, "refuse:", 7)) {
				rkm_mode = 2;
				rkm_val = (uint32_t)strtoul(v + 7, NULL, 0);
			}
		} else if (!strcmp(argv[i], "--sctp")) {
			use_sctp = true;
		} else if (!strcmp(argv[i], "--na") && i + 1 < argc) {
			cfg_na = strtoll(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--commands") && i + 1 < argc) {
			cmd_fd = open(argv[++i], O_RDONLY);
			if (cmd_fd < 0) {
				perror("m3ua-sg: --commands");
				return 2;
			}
		} else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: m3ua-sg --listen ADDR:PORT [--rc N] "
					"[--rkm accept:RC|refuse:STATUS] [--na N] [--sctp] "
					"[--commands FILE] "
					"[--timeout S]\n");
			return 2;
		}
	}
	if (!listen_at || !strchr(listen_at, ':'))
		return 2;
	{
		struct sockaddr_in sin = {.sin_family = AF_INET};
		char host[64];
		const char *colon = strrchr(listen_at, ':');

		snprintf(host, sizeof(host), "%.*s", (int)(colon - listen_at), listen_at);
		inet_pton(AF_INET, host, &sin.sin_addr);
		sin.sin_port = htons((uint16_t)atoi(colon + 1));
		lfd = socket(AF_INET, SOCK_STREAM, use_sctp ? IPPROTO_SCTP : 0);
		if (lfd < 0) {
			perror("m3ua-sg: socket");
			return 1;
		}
		if (use_sctp) {
			struct sctp_initmsg im = {.sinit_num_ostreams = 17,
						  .sinit_max_instreams = 17};

			setsockopt(lfd, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im));
		}
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0 || listen(lfd, 4) < 0) {
			perror("m3ua-sg: listen");
			return 1;
		}
	}
	for (int i = 0; i < MAXC; i++)
		C[i].fd = -1;
	out("READY listen=%s", listen_at);
	while (time(NULL) - t0 < timeout_s) {
		struct pollfd p[MAXC + 2];
		int n = 0, map[MAXC + 2];

		p[n] = (struct pollfd){.fd = lfd, .events = POLLIN};
		map[n++] = -1;
		if (in_open) {
			p[n] = (struct pollfd){.fd = cmd_fd, .events = POLLIN};
			map[n++] = -2;
		}
		for (int i = 0; i < MAXC; i++)
			if (C[i].fd >= 0) {
				p[n] = (struct pollfd){.fd = C[i].fd, .events = POLLIN};
				map[n++] = i;
			}
		if (poll(p, (nfds_t)n, 200) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < n; k++) {
			if (!p[k].revents)
				continue;
			if (map[k] == -1) {
				int fd = accept(lfd, NULL, NULL), i;

				for (i = 0; i < MAXC && C[i].fd >= 0; i++)
					;
				if (fd < 0)
					continue;
				if (i == MAXC) {
					close(fd);
					continue;
				}
				if (use_sctp) {
					struct sctp_event_subscribe ev = {.sctp_data_io_event = 1};

					setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev));
				} else {
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				}
				C[i] = (struct conn){.fd = fd};
				out("EV CONNECTED conn=%d", i);
			} else if (map[k] == -2) {
				ssize_t r = read(cmd_fd, line + llen, sizeof(line) - 1 - llen);
				char *nl;

				if (r <= 0) {
					in_open = false;
					continue;
				}
				llen += (size_t)r;
				line[llen] = 0;
				while ((nl = strchr(line, '\n'))) {
					*nl = 0;
					if (command(line))
						goto done;
					memmove(line, nl + 1, llen - (size_t)(nl + 1 - line) + 1);
					llen -= (size_t)(nl + 1 - line);
				}
				if (llen == sizeof(line) - 1)
					llen = 0;
			} else if (C[map[k]].fd >= 0) {
				rx(map[k]);
			}
		}
	}
done:
	for (int i = 0; i < MAXC; i++)
		drop(i, "exit");
	close(lfd);
	return 0;
}
