/* CESoPSN packet coding (RFC 5086, control word per RFC 4385). */
#include <errno.h>
#include <string.h>

#include "media/cesopsn.h"

/* Bearer timeslots a span may carry: E1 timeslot 0 is frame alignment
 * (G.704); T1 has 24 channels, numbered 1..24 here. */
#define E1_TS_ALL 0xfffffffeu
#define T1_TS_ALL 0x01fffffeu

static uint32_t span_mask(enum cesop_span span)
{
	return span == CESOP_E1 ? E1_TS_ALL : T1_TS_ALL;
}

int cesop_cfg_set_timeslots(struct cesop_cfg *cfg, uint32_t mask)
{
	unsigned n = 0;

	if (!mask || (mask & ~span_mask(cfg->span)))
		return -EINVAL;
	for (unsigned ts = 0; ts < CESOP_MAX_TS; ts++)
		if (mask & (1u << ts))
			cfg->ts_list[n++] = (uint8_t)ts;
	cfg->ts_mask = mask;
	cfg->n_ts = (uint8_t)n;
	return 0;
}

int cesop_cfg_set_frames(struct cesop_cfg *cfg, unsigned frames)
{
	if (frames < 1 || frames > CESOP_MAX_FRAMES)
		return -EINVAL;
	cfg->frames = (uint8_t)frames;
	return 0;
}

void cesop_cfg_init(struct cesop_cfg *cfg, enum cesop_span span)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->span = span;
	cfg->law = span == CESOP_E1 ? G711_LAW_A : G711_LAW_U;
	cfg->frames = CESOP_DEFAULT_FRAMES;
	cfg->rtp = CESOP_RTP_NONE;
	cfg->rtp_pt = 96;
	cesop_cfg_set_timeslots(cfg, span_mask(span));
}

size_t cesop_payload_len(const struct cesop_cfg *cfg)
{
	return (size_t)cfg->frames * cfg->n_ts;
}

static int cw_decode(const uint8_t *p, struct cesop_cw *cw)
{
	/* RFC 4385 3: the first nibble of a PW control word is 0000 (it is
	 * what keeps it from looking like IPv4/IPv6 to an LSR). */
	if (p[0] & 0xf0)
		return -EBADMSG;
	cw->l = p[0] & 0x08;
	cw->r = p[0] & 0x04;
	cw->m = p[0] & 0x03;
	cw->frg = p[1] >> 6;
	cw->len = p[1] & 0x3f;
	cw->seq = (uint16_t)(p[2] << 8 | p[3]);
	return 0;
}

int cesop_decode(const struct cesop_cfg *cfg, const uint8_t *buf, size_t len, struct cesop_pkt *out)
{
	struct cesop_pkt pkt;
	size_t off = 0, hdr_start = 0, end = len;
	int rc;

	memset(&pkt, 0, sizeof(pkt));
	if (cfg->rtp == CESOP_RTP_BEFORE_CW) {
		if (len < RTP_HDR_LEN + CESOP_CW_LEN)
			return -EBADMSG;
		rc = rtp_decode(buf, len, &pkt.rtp);
		if (rc)
			return rc;
		pkt.has_rtp = true;
		off = (size_t)(pkt.rtp.payload - buf);
		end = off + pkt.rtp.payload_len;
		if (end - off < CESOP_CW_LEN)
			return -EBADMSG;
	}
	if (end - off < CESOP_CW_LEN)
		return -EBADMSG;
	if (cw_decode(buf + off, &pkt.cw))
		return -EBADMSG;
	off += CESOP_CW_LEN;
	if (cfg->rtp == CESOP_RTP_AFTER_CW) {
		rc = rtp_decode(buf + off, end - off, &pkt.rtp);
		if (rc)
			return rc;
		pkt.has_rtp = true;
		end = (size_t)(pkt.rtp.payload - buf) + pkt.rtp.payload_len;
		off = (size_t)(pkt.rtp.payload - buf);
	}
	/* RFC 5086 5.2: FRG is 00 in the basic mode (no CAS multiframes). */
	if (pkt.cw.frg)
		return -EBADMSG;
	/* 5.2: M=01 is reserved and M=11 marks CAS signalling packets,
	 * which the basic mode does not carry. */
	if (pkt.cw.m == 1 || pkt.cw.m == 3)
		return -EBADMSG;
	if (pkt.cw.len) {
		/* A non-zero length counts the CESoPSN header (control word
		 * and RTP if present) and payload; the rest is PSN padding. */
		size_t total = end - hdr_start;

		if (pkt.cw.len > total || pkt.cw.len < (off - hdr_start))
			return -EBADMSG;
		end = hdr_start + pkt.cw.len;
	}
	pkt.payload = buf + off;
	pkt.payload_len = end - off;
	if (pkt.payload_len == 0) {
		/* Only a packet with L=1 may omit its payload (5.2). */
		if (!pkt.cw.l)
			return -EBADMSG;
	} else if (pkt.payload_len != cesop_payload_len(cfg)) {
		return -EBADMSG;
	}
	*out = pkt;
	return 0;
}

void cesop_tx_init(struct cesop_tx *tx, uint16_t seq, uint32_t ssrc, uint32_t ts)
{
	tx->seq = seq;
	tx->ssrc = ssrc;
	tx->ts = ts;
}

int cesop_encode(const struct cesop_cfg *cfg, struct cesop_tx *tx, const struct cesop_cw *flags,
		 const uint8_t *payload, uint8_t *buf, size_t size)
{
	size_t plen = payload ? cesop_payload_len(cfg) : 0;
	size_t rtp_len = cfg->rtp == CESOP_RTP_NONE ? 0 : RTP_HDR_LEN;
	size_t total = CESOP_CW_LEN + rtp_len + plen, off = 0;
	bool l = flags && flags->l;
	uint8_t m = flags ? flags->m & 3 : 0;
	uint8_t *cw;

	if (!payload && !l)
		return -EINVAL;
	if (total > size)
		return -ENOSPC;
	if (cfg->rtp == CESOP_RTP_BEFORE_CW) {
		struct rtp_hdr h = {
			.pt = cfg->rtp_pt, .seq = tx->seq, .ts = tx->ts, .ssrc = tx->ssrc};

		rtp_encode_hdr(buf, size, &h);
		off = RTP_HDR_LEN;
	}
	cw = buf + off;
	cw[0] = (l ? 0x08 : 0) | (flags && flags->r ? 0x04 : 0) | m;
	cw[1] = total < CESOP_MIN_LEN_FIELD ? (uint8_t)total : 0;
	cw[2] = tx->seq >> 8;
	cw[3] = tx->seq & 0xff;
	off += CESOP_CW_LEN;
	if (cfg->rtp == CESOP_RTP_AFTER_CW) {
		struct rtp_hdr h = {
			.pt = cfg->rtp_pt, .seq = tx->seq, .ts = tx->ts, .ssrc = tx->ssrc};

		rtp_encode_hdr(buf + off, size - off, &h);
		off += RTP_HDR_LEN;
	}
	if (plen)
		memcpy(buf + off, payload, plen);
	tx->seq++;
	/* RFC 5086 5.3: the RTP timestamp counts 8 kHz frames. */
	tx->ts += cfg->frames;
	return (int)total;
}

void cesop_deinterleave(const uint8_t *payload, unsigned n_ts, unsigned frames, uint8_t *out)
{
	for (unsigned f = 0; f < frames; f++) {
		const uint8_t *row = payload + (size_t)f * n_ts;

		for (unsigned t = 0; t < n_ts; t++)
			out[(size_t)t * frames + f] = row[t];
	}
}

void cesop_interleave(const uint8_t *streams, unsigned n_ts, unsigned frames, uint8_t *payload)
{
	for (unsigned f = 0; f < frames; f++) {
		uint8_t *row = payload + (size_t)f * n_ts;

		for (unsigned t = 0; t < n_ts; t++)
			row[t] = streams[(size_t)t * frames + f];
	}
}
