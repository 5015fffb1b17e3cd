/* isup-switch: the adjacent MTP2/MTP3 node libss7 sees on its datagram link.
 *
 * libss7 writes one MTP2 signal unit per write (BSN|BIB, FSN|FIB, LI, then
 * SIO+SIF for an MSU or the status octet for an LSSU, then 2 FCS octets it
 * leaves zero). This file plays the far end of that link:
 *   - Q.703 alignment: SIO to its SIO/SIOS, SIE to its SIN/SIE (emergency
 *     proving keeps the proving period short), FISU once it sends FISUs;
 *   - Q.703 basic error correction: BSN/BIB acknowledge what it sent, FSN/FIB
 *     number what we send, retransmission when its BIB asks for it;
 *   - Q.707 signalling link test: SLTM answered with SLTA;
 *   - Q.704 traffic restart allowed (TRA) both ways;
 *   - SI=5 (ISUP) MSUs go to M3UA and M3UA DATA comes back as MSUs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libss7.h>

#include "isw.h"

enum { LSSU_SIO = 0, LSSU_SIN = 1, LSSU_SIE = 2, LSSU_SIOS = 3 };
enum { SI_SNM = 0, SI_MTN = 1, SI_MTNS = 2, SI_ISUP = 5 };

#define SU_MAX	     300
#define LI_MAX	     63
#define FSN_MOD	     128
#define KEEPALIVE_MS 200

struct unacked {
	bool used;
	uint8_t buf[SU_MAX];
	size_t len;
};

static struct {
	int fd, ss7_fd;
	struct ss7 *ss7;
	bool in_service;
	int lssu_to_send; /* while aligning */
	/* what we send */
	uint8_t fsn, fib;
	/* what we received */
	uint8_t last_rx_fsn, rx_fib, rx_bib;
	uint8_t acked; /* our last FSN they acknowledged */
	struct unacked txbuf[FSN_MOD];
	bool got_tra, sent_tra, sent_sltm;
	bool last_msu;
	int64_t last_tx_ms;
	int64_t in_service_ms; /* when MTP2 came into service */
} m;

static const char *lssu_name(int type)
{
	static const char *const n[] = {"SIO", "SIN", "SIE", "SIOS", "SIPO", "SIB"};

	return type >= 0 && type < 6 ? n[type] : "LSSU?";
}

static void reset_seq(void)
{
	/* Q.703 5.2: both ends restart from FSN = BSN = 127, indicator bits 1 */
	m.fsn = 127;
	m.fib = 1;
	m.last_rx_fsn = 127;
	m.rx_fib = 1;
	m.rx_bib = 1;
	m.acked = 127;
	memset(m.txbuf, 0, sizeof(m.txbuf));
	m.got_tra = m.sent_tra = m.sent_sltm = false;
}

void isw_mtp_init(int fd, int ss7_fd, void *ss7)
{
	memset(&m, 0, sizeof(m));
	m.fd = fd;
	m.ss7_fd = ss7_fd;
	m.ss7 = ss7;
	m.lssu_to_send = LSSU_SIOS;
	reset_seq();
}

bool isw_mtp_in_service(void)
{
	return m.in_service;
}

bool isw_mtp_last_rx_was_msu(void)
{
	return m.last_msu;
}

/* One signal unit to libss7; it reads it at once (same thread). */
static void su_write(const uint8_t *su, size_t len)
{
	uint8_t buf[SU_MAX + 2];

	if (len > SU_MAX)
		return;
	memcpy(buf, su, len);
	buf[len] = buf[len + 1] = 0; /* the FCS libss7 expects room for */
	if (send(m.fd, buf, len + 2, MSG_DONTWAIT) < 0) {
		isw_out("ERR mtp: send: %s", strerror(errno));
		return;
	}
	m.last_tx_ms = isw_now_ms();
	ss7_read(m.ss7, m.ss7_fd);
	isw_drain_events();
}

static void put_header(uint8_t *su, uint8_t fsn, uint8_t li)
{
	su[0] = (uint8_t)(m.last_rx_fsn | (m.rx_fib << 7)); /* BSN, BIB = their FIB */
	su[1] = (uint8_t)(fsn | (m.fib << 7));
	su[2] = li;
}

static void send_status(void)
{
	uint8_t su[4];

	if (m.in_service) {
		put_header(su, m.fsn, 0);
		su_write(su, 3);
	} else {
		put_header(su, m.fsn, 1);
		su[3] = (uint8_t)m.lssu_to_send;
		su_write(su, 4);
	}
}

void isw_mtp_tick(void)
{
	if (isw_now_ms() - m.last_tx_ms >= KEEPALIVE_MS)
		send_status();
}

static int send_msu(uint8_t sio, const uint8_t *sif, size_t siflen)
{
	struct unacked *u;
	size_t len = 4 + siflen;

	if (!m.in_service || len > SU_MAX)
		return -1;
	m.fsn = (uint8_t)((m.fsn + 1) % FSN_MOD);
	u = &m.txbuf[m.fsn];
	put_header(u->buf, m.fsn, (uint8_t)(siflen + 1 > LI_MAX ? LI_MAX : siflen + 1));
	u->buf[3] = sio;
	memcpy(u->buf + 4, sif, siflen);
	u->len = len;
	u->used = true;
	su_write(u->buf, u->len);
	return 0;
}

/* Q.703 5.3: BSN acknowledges everything up to it; a BIB that differs from
 * our FIB asks for everything after BSN again. */
static void rx_ack(uint8_t bsn, uint8_t bib)
{
	uint8_t i;
	unsigned outstanding = (m.fsn + FSN_MOD - m.acked) % FSN_MOD;

	if ((unsigned)(bsn + FSN_MOD - m.acked) % FSN_MOD <= outstanding) {
		for (i = m.acked; i != bsn;) {
			i = (uint8_t)((i + 1) % FSN_MOD);
			m.txbuf[i].used = false;
		}
		m.acked = bsn;
	}
	m.rx_bib = bib;
	if (bib != m.fib) {
		m.fib = bib;
		for (i = (uint8_t)((bsn + 1) % FSN_MOD); i != (uint8_t)((m.fsn + 1) % FSN_MOD);
		     i = (uint8_t)((i + 1) % FSN_MOD)) {
			if (!m.txbuf[i].used)
				continue;
			m.txbuf[i].buf[0] = (uint8_t)(m.last_rx_fsn | (m.rx_fib << 7));
			m.txbuf[i].buf[1] = (uint8_t)(i | (m.fib << 7));
			su_write(m.txbuf[i].buf, m.txbuf[i].len);
		}
	}
}

/* Routing label (Q.704 2.2 / T1.111.4): ITU 4 octets, ANSI 7. */
static size_t label_len(void)
{
	return isw_cfg.ansi ? 7 : 4;
}

static void label_get(const uint8_t *b, uint32_t *dpc, uint32_t *opc, uint8_t *sls)
{
	if (isw_cfg.ansi) {
		*dpc = b[0] | (b[1] << 8) | ((uint32_t)b[2] << 16);
		*opc = b[3] | (b[4] << 8) | ((uint32_t)b[5] << 16);
		*sls = b[6];
	} else {
		*dpc = (b[0] | (b[1] << 8)) & 0x3fff;
		*opc = ((b[1] >> 6) | (b[2] << 2) | (b[3] << 10)) & 0x3fff;
		*sls = b[3] >> 4;
	}
}

static void label_put(uint8_t *b, uint32_t dpc, uint32_t opc, uint8_t sls)
{
	if (isw_cfg.ansi) {
		b[0] = dpc & 0xff;
		b[1] = (dpc >> 8) & 0xff;
		b[2] = (dpc >> 16) & 0xff;
		b[3] = opc & 0xff;
		b[4] = (opc >> 8) & 0xff;
		b[5] = (opc >> 16) & 0xff;
		b[6] = sls;
	} else {
		b[0] = dpc & 0xff;
		b[1] = (uint8_t)(((dpc >> 8) & 0x3f) | ((opc & 0x3) << 6));
		b[2] = (opc >> 2) & 0xff;
		b[3] = (uint8_t)(((opc >> 10) & 0x0f) | ((sls & 0x0f) << 4));
	}
}

static uint8_t sio_make(uint8_t si, uint8_t ni, uint8_t mp)
{
	/* ANSI puts the message priority in SIO bits 5-4 (T1.111.4 14.2.1) */
	return (uint8_t)((ni << 6) | (isw_cfg.ansi ? ((mp & 3) << 4) : 0) | (si & 0x0f));
}

static void send_tra(uint8_t sls)
{
	uint8_t sif[16];
	size_t ll = label_len();

	label_put(sif, isw_cfg.opc, isw_cfg.dpc, sls);
	sif[ll] = 0x17; /* Q.704 15.11: H0 = 7 (MIM... TRM group), H1 = 1 TRA */
	send_msu(sio_make(SI_SNM, isw_cfg.ni, 3), sif, ll + 1);
	m.sent_tra = true;
}

static void rx_test(uint8_t si, const uint8_t *sif, size_t len)
{
	uint8_t out[SU_MAX];
	uint32_t dpc, opc;
	uint8_t sls;
	size_t ll = label_len();

	if (len < ll + 2 || len > sizeof(out))
		return;
	label_get(sif, &dpc, &opc, &sls);
	if (sif[ll] != 0x11) /* Q.707 5.4: H0 = 1, H1 = 1 is SLTM */
		return;
	/* SLTA: the same test pattern (and SLC/length octet) back */
	label_put(out, opc, dpc, sls);
	memcpy(out + ll, sif + ll, len - ll);
	out[ll] = 0x21;
	send_msu(sio_make(si, isw_cfg.ni, 3), out, len);
	if (!m.sent_sltm) {
		/* Q.707 2.2: the test runs from both ends of the link */
		out[ll] = 0x11;
		send_msu(sio_make(si, isw_cfg.ni, 3), out, len);
		m.sent_sltm = true;
	}
	if (!m.sent_tra)
		send_tra(sls);
}

static void rx_msu(const uint8_t *su, size_t len)
{
	uint8_t fsn = su[1] & 0x7f, sio;
	const uint8_t *sif;
	size_t siflen;
	struct isw_pdu p;

	if (fsn == m.last_rx_fsn)
		return; /* a retransmission of what we have */
	if (fsn != (m.last_rx_fsn + 1) % FSN_MOD) {
		isw_out("ERR mtp: FSN %u after %u, dropped", fsn, m.last_rx_fsn);
		return;
	}
	m.last_rx_fsn = fsn;
	sio = su[3];
	sif = su + 4;
	siflen = len - 4;
	if (siflen < label_len())
		goto ack;
	switch (sio & 0x0f) {
	case SI_SNM:
		if (siflen > label_len() && sif[label_len()] == 0x17) {
			m.got_tra = true;
			if (!m.sent_tra)
				send_tra(0);
		}
		break;
	case SI_MTN:
	case SI_MTNS:
		rx_test(sio & 0x0f, sif, siflen);
		break;
	case SI_ISUP:
		label_get(sif, &p.dpc, &p.opc, &p.sls);
		p.si = SI_ISUP;
		p.ni = sio >> 6;
		p.mp = isw_cfg.ansi ? (sio >> 4) & 3 : 0;
		p.data = sif + label_len();
		p.len = siflen - label_len();
		if (isw_m3ua_tx_data(&p) < 0)
			isw_out("ERR ISUP to M3UA dropped: no active ASP");
		break;
	default:
		break;
	}
ack:
	send_status();
}

static void rx_su(const uint8_t *su, size_t len)
{
	uint8_t li, type;

	if (len < 3 + 2)
		return;
	len -= 2; /* FCS */
	li = su[2] & 0x3f;
	m.last_msu = false;
	if (li > 2 || li == 0)
		m.rx_fib = su[1] >> 7;
	if (li == 0) {
		rx_ack(su[0] & 0x7f, su[0] >> 7);
		if (!m.in_service && m.lssu_to_send == LSSU_SIE) {
			/* it finished proving and waits for our FISU (Q.703 7.3) */
			m.in_service = true;
			m.in_service_ms = isw_now_ms();
			isw_out("EV MTP2_UP");
			send_status();
		}
		return;
	}
	if (li <= 2) {
		type = su[3] & 0x07;
		if (m.in_service) {
			/* Q.703 7.2: libss7 took its end out of service and aligns
			 * again; this shim never does so by itself. */
			m.in_service = false;
			isw_out("EV MTP2_DOWN reason=libss7-sent-%s in_service_ms=%lld lag_ms=%lld",
				lssu_name(type), (long long)(isw_now_ms() - m.in_service_ms),
				(long long)isw_loop_lag_ms());
		}
		if (type == LSSU_SIO || type == LSSU_SIOS) {
			reset_seq();
			m.lssu_to_send = LSSU_SIO;
		} else if (type == LSSU_SIN || type == LSSU_SIE) {
			m.lssu_to_send = LSSU_SIE;
		}
		send_status();
		return;
	}
	if (!m.in_service || len < 4)
		return;
	m.last_msu = true;
	rx_ack(su[0] & 0x7f, su[0] >> 7);
	rx_msu(su, len);
}

void isw_mtp_rx(void)
{
	uint8_t buf[1024];
	ssize_t n;

	while ((n = recv(m.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
		rx_su(buf, (size_t)n);
}

int isw_mtp_tx_user(const struct isw_pdu *p)
{
	uint8_t sif[SU_MAX];
	size_t ll = label_len();

	if (p->len + ll > SU_MAX - 4)
		return -1;
	if (p->ni != isw_cfg.ni)
		isw_out("ERR M3UA DATA with NI %u, the switch uses %u (libss7 drops it)", p->ni,
			isw_cfg.ni);
	label_put(sif, p->dpc, p->opc, p->sls);
	memcpy(sif + ll, p->data, p->len);
	return send_msu(sio_make(p->si, p->ni, p->mp), sif, ll + p->len);
}
