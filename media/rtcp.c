/* RTCP compound packets (RFC 3550 6.4-6.6, A.2). */
#include <errno.h>
#include <string.h>

#include "media/rtcp.h"

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

int rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len)
{
	size_t off = 0;

	if (len < 4 || (len & 3))
		return -EBADMSG;
	/* A.2: the first packet is SR or RR and has no padding. */
	if ((buf[0] & 0xe0) != 0x80 || (buf[1] != RTCP_SR && buf[1] != RTCP_RR))
		return -EBADMSG;
	while (off < len) {
		size_t plen;

		if (len - off < 4 || (buf[off] >> 6) != RTP_VERSION)
			return -EBADMSG;
		plen = 4 * ((size_t)rd16(buf + off + 2) + 1);
		if (plen > len - off)
			return -EBADMSG;
		if ((buf[off] & 0x20) && off + plen != len)
			return -EBADMSG; /* padding only on the last packet */
		off += plen;
	}
	it->p = buf;
	it->left = len;
	return 0;
}

int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_pkt *pkt)
{
	size_t plen, body;

	if (it->left < 4)
		return 0;
	plen = 4 * ((size_t)rd16(it->p + 2) + 1);
	if (plen > it->left)
		return 0;
	body = plen - 4;
	if (it->p[0] & 0x20) {
		uint8_t pad = it->p[plen - 1];

		if (pad == 0 || pad > body)
			return 0;
		body -= pad;
	}
	pkt->count = it->p[0] & 0x1f;
	pkt->pt = it->p[1];
	pkt->body = it->p + 4;
	pkt->body_len = body;
	it->p += plen;
	it->left -= plen;
	return 1;
}

static void rb_decode(const uint8_t *p, struct rtcp_rb *rb)
{
	uint32_t l = (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];

	rb->ssrc = rd32(p);
	rb->fraction = p[4];
	rb->lost = (l & 0x800000) ? (int32_t)l - 0x1000000 : (int32_t)l;
	rb->ext_max = rd32(p + 8);
	rb->jitter = rd32(p + 12);
	rb->lsr = rd32(p + 16);
	rb->dlsr = rd32(p + 20);
}

int rtcp_report_decode(const struct rtcp_pkt *pkt, struct rtcp_report *out)
{
	const uint8_t *p = pkt->body;
	size_t need;
	struct rtcp_report r;

	if (pkt->pt != RTCP_SR && pkt->pt != RTCP_RR)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	r.is_sr = pkt->pt == RTCP_SR;
	need = 4 + (r.is_sr ? 20 : 0) + 24u * pkt->count;
	if (pkt->body_len < need)
		return -EBADMSG;
	r.ssrc = rd32(p);
	p += 4;
	if (r.is_sr) {
		r.sr.ntp = (uint64_t)rd32(p) << 32 | rd32(p + 4);
		r.sr.rtp_ts = rd32(p + 8);
		r.sr.packets = rd32(p + 12);
		r.sr.octets = rd32(p + 16);
		p += 20;
	}
	r.rb_count = pkt->count;
	for (unsigned i = 0; i < r.rb_count; i++, p += 24)
		rb_decode(p, &r.rb[i]);
	*out = r;
	return 0;
}

int rtcp_sdes_cname(const struct rtcp_pkt *pkt, uint32_t *ssrc, const char **cname,
		    size_t *cname_len)
{
	size_t off = 4;

	if (pkt->pt != RTCP_SDES || pkt->count < 1 || pkt->body_len < 4)
		return -EBADMSG;
	while (off + 1 <= pkt->body_len) {
		uint8_t type = pkt->body[off], l;

		if (type == RTCP_SDES_END)
			break;
		if (off + 2 > pkt->body_len)
			return -EBADMSG;
		l = pkt->body[off + 1];
		if (l > pkt->body_len - off - 2)
			return -EBADMSG;
		if (type == RTCP_SDES_CNAME) {
			*ssrc = rd32(pkt->body);
			*cname = (const char *)pkt->body + off + 2;
			*cname_len = l;
			return 0;
		}
		off += 2 + l;
	}
	return -ENOENT;
}

int rtcp_bye_decode(const struct rtcp_pkt *pkt, uint32_t *ssrc, const char **reason,
		    size_t *reason_len)
{
	size_t off = 4u * pkt->count;

	if (pkt->pt != RTCP_BYE || pkt->count < 1 || pkt->body_len < off)
		return -EBADMSG;
	*ssrc = rd32(pkt->body);
	*reason = NULL;
	*reason_len = 0;
	if (pkt->body_len > off) {
		uint8_t l = pkt->body[off];

		if (l > pkt->body_len - off - 1)
			return -EBADMSG;
		*reason = (const char *)pkt->body + off + 1;
		*reason_len = l;
	}
	return 0;
}

void rtcp_builder_init(struct rtcp_builder *b, uint8_t *buf, size_t size)
{
	b->buf = buf;
	b->size = size;
	b->len = 0;
}

static uint8_t *hdr(struct rtcp_builder *b, size_t plen, uint8_t count, uint8_t pt)
{
	uint8_t *p;

	if (plen > b->size - b->len)
		return NULL;
	p = b->buf + b->len;
	p[0] = RTP_VERSION << 6 | count;
	p[1] = pt;
	wr16(p + 2, (uint16_t)(plen / 4 - 1));
	b->len += plen;
	return p;
}

static void rb_encode(uint8_t *p, const struct rtcp_rb *rb)
{
	uint32_t l = (uint32_t)rb->lost & 0xffffff;

	wr32(p, rb->ssrc);
	p[4] = rb->fraction;
	p[5] = l >> 16;
	p[6] = (l >> 8) & 0xff;
	p[7] = l & 0xff;
	wr32(p + 8, rb->ext_max);
	wr32(p + 12, rb->jitter);
	wr32(p + 16, rb->lsr);
	wr32(p + 20, rb->dlsr);
}

int rtcp_add_sr(struct rtcp_builder *b, uint32_t ssrc, const struct rtcp_sr_info *sr,
		const struct rtcp_rb *rb, unsigned n_rb)
{
	uint8_t *p;

	if (n_rb > RTCP_MAX_RB)
		return -EINVAL;
	p = hdr(b, 28 + 24 * n_rb, (uint8_t)n_rb, RTCP_SR);
	if (!p)
		return -ENOSPC;
	wr32(p + 4, ssrc);
	wr32(p + 8, (uint32_t)(sr->ntp >> 32));
	wr32(p + 12, (uint32_t)sr->ntp);
	wr32(p + 16, sr->rtp_ts);
	wr32(p + 20, sr->packets);
	wr32(p + 24, sr->octets);
	for (unsigned i = 0; i < n_rb; i++)
		rb_encode(p + 28 + 24 * i, &rb[i]);
	return 0;
}

int rtcp_add_rr(struct rtcp_builder *b, uint32_t ssrc, const struct rtcp_rb *rb, unsigned n_rb)
{
	uint8_t *p;

	if (n_rb > RTCP_MAX_RB)
		return -EINVAL;
	p = hdr(b, 8 + 24 * n_rb, (uint8_t)n_rb, RTCP_RR);
	if (!p)
		return -ENOSPC;
	wr32(p + 4, ssrc);
	for (unsigned i = 0; i < n_rb; i++)
		rb_encode(p + 8 + 24 * i, &rb[i]);
	return 0;
}

int rtcp_add_sdes_cname(struct rtcp_builder *b, uint32_t ssrc, const char *cname)
{
	size_t l = strlen(cname), chunk, plen;
	uint8_t *p;

	if (l > 255)
		return -EINVAL;
	/* 6.5: SSRC, items, then a zero item type; the chunk is padded with
	 * null octets to a 32-bit boundary (at least one null octet). */
	chunk = 4 + 2 + l + 1;
	chunk = (chunk + 3) & ~(size_t)3;
	plen = 4 + chunk;
	p = hdr(b, plen, 1, RTCP_SDES);
	if (!p)
		return -ENOSPC;
	memset(p + 4, 0, chunk);
	wr32(p + 4, ssrc);
	p[8] = RTCP_SDES_CNAME;
	p[9] = (uint8_t)l;
	memcpy(p + 10, cname, l);
	return 0;
}

int rtcp_add_bye(struct rtcp_builder *b, uint32_t ssrc, const char *reason)
{
	size_t l = reason ? strlen(reason) : 0, plen;
	uint8_t *p;

	if (l > 255)
		return -EINVAL;
	plen = 8 + (l ? (1 + l + 3) & ~(size_t)3 : 0);
	p = hdr(b, plen, 1, RTCP_BYE);
	if (!p)
		return -ENOSPC;
	memset(p + 4, 0, plen - 4);
	wr32(p + 4, ssrc);
	if (l) {
		p[8] = (uint8_t)l;
		memcpy(p + 9, reason, l);
	}
	return 0;
}

void rtcp_rb_from_rx(struct rtp_rx *rx, struct rtcp_rb *rb, uint64_t now_ns)
{
	memset(rb, 0, sizeof(*rb));
	rb->ssrc = rx->ssrc;
	rb->fraction = rtp_rx_fraction_lost(rx);
	rb->lost = rtp_rx_cum_lost(rx);
	rb->ext_max = rtp_rx_ext_max(rx);
	rb->jitter = rtp_rx_jitter(rx);
	if (rx->last_sr_arrival_ns && now_ns >= rx->last_sr_arrival_ns) {
		uint64_t d = now_ns - rx->last_sr_arrival_ns;

		rb->lsr = rx->last_sr_ntp_mid;
		/* 6.4.1: DLSR in units of 1/65536 s. */
		rb->dlsr = (uint32_t)((d / 1000000000u) * 65536 +
				      (d % 1000000000u) * 65536 / 1000000000u);
	}
}

int rtcp_build_report(uint8_t *buf, size_t size, const struct rtp_tx *tx, bool sent,
		      uint64_t ntp_now, uint32_t rtp_now, struct rtp_rx *rx, uint64_t now_ns,
		      const char *cname)
{
	struct rtcp_builder b;
	struct rtcp_rb rb;
	unsigned n_rb = 0;
	int rc;

	rtcp_builder_init(&b, buf, size);
	if (rx && rx->started && !rx->probation) {
		rtcp_rb_from_rx(rx, &rb, now_ns);
		n_rb = 1;
	}
	if (sent) {
		struct rtcp_sr_info sr = {.ntp = ntp_now,
					  .rtp_ts = rtp_now,
					  .packets = tx->packets,
					  .octets = tx->octets};

		rc = rtcp_add_sr(&b, tx->ssrc, &sr, &rb, n_rb);
	} else {
		rc = rtcp_add_rr(&b, tx->ssrc, &rb, n_rb);
	}
	if (!rc)
		rc = rtcp_add_sdes_cname(&b, tx->ssrc, cname);
	return rc ? rc : (int)b.len;
}

int rtcp_peer_rx(struct rtcp_peer *p, const uint8_t *buf, size_t len, uint32_t ssrc,
		 uint64_t ntp_now, uint64_t *sr_ntp)
{
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	struct rtcp_peer n = *p;
	bool any = false;

	*sr_ntp = 0;
	if (rtcp_iter_init(&it, buf, len) < 0)
		goto bad;
	while (rtcp_iter_next(&it, &pkt) == 1) {
		struct rtcp_report r;

		if (pkt.pt != RTCP_SR && pkt.pt != RTCP_RR)
			continue; /* SDES, BYE, APP and what may come: not needed here */
		if (rtcp_report_decode(&pkt, &r) < 0)
			goto bad;
		any = true;
		if (r.is_sr) {
			*sr_ntp = r.sr.ntp;
			n.last_sr_ntp = r.sr.ntp;
		}
		for (unsigned i = 0; i < r.rb_count; i++) {
			const struct rtcp_rb *rb = &r.rb[i];
			uint32_t a, d;

			if (rb->ssrc != ssrc)
				continue;
			n.have_rb = true;
			n.fraction = rb->fraction;
			n.lost = rb->lost;
			n.jitter = rb->jitter;
			/* 6.4.1: RTT = A - LSR - DLSR, all in the middle 32 bits
			 * of NTP time; LSR 0 means no SR was received yet; a
			 * negative result (clock step, bogus DLSR) is dropped */
			if (!rb->lsr)
				continue;
			a = (uint32_t)(ntp_now >> 16);
			d = a - rb->lsr;
			if (d >= rb->dlsr && d - rb->dlsr < 60u * 65536u) {
				n.have_rtt = true;
				n.rtt_q16 = d - rb->dlsr;
			}
		}
	}
	if (!any)
		goto bad;
	n.reports++;
	*p = n;
	return 0;
bad:
	*sr_ntp = 0;
	p->bad++;
	return -EBADMSG;
}
