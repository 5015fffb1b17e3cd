/* RTP header coding, sender continuity and RFC 3550 Appendix A receiver
 * statistics. */
#include <errno.h>
#include <string.h>

#include "media/rtp.h"

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

int rtp_decode(const uint8_t *buf, size_t len, struct rtp_hdr *out)
{
	struct rtp_hdr h;
	size_t off, end;

	if (len < RTP_HDR_LEN || (buf[0] >> 6) != RTP_VERSION)
		return -EBADMSG;
	memset(&h, 0, sizeof(h));
	h.padding = buf[0] & 0x20;
	h.extension = buf[0] & 0x10;
	h.cc = buf[0] & 0x0f;
	h.marker = buf[1] & 0x80;
	h.pt = buf[1] & 0x7f;
	h.seq = rd16(buf + 2);
	h.ts = rd32(buf + 4);
	h.ssrc = rd32(buf + 8);
	off = RTP_HDR_LEN + 4u * h.cc;
	if (off > len)
		return -EBADMSG;
	for (unsigned i = 0; i < h.cc; i++)
		h.csrc[i] = rd32(buf + RTP_HDR_LEN + 4 * i);
	if (h.extension) {
		size_t words;

		if (len - off < 4)
			return -EBADMSG;
		h.ext_profile = rd16(buf + off);
		words = rd16(buf + off + 2);
		off += 4;
		if (words * 4 > len - off)
			return -EBADMSG;
		h.ext = buf + off;
		h.ext_len = words * 4;
		off += words * 4;
	}
	end = len;
	if (h.padding) {
		/* RFC 3550 5.1: the last octet counts the padding, itself
		 * included; it cannot reach into the header. */
		h.pad_len = buf[len - 1];
		if (h.pad_len == 0 || h.pad_len > len - off)
			return -EBADMSG;
		end = len - h.pad_len;
	}
	h.payload = buf + off;
	h.payload_len = end - off;
	*out = h;
	return 0;
}

int rtp_encode_hdr(uint8_t *buf, size_t size, const struct rtp_hdr *h)
{
	size_t need = RTP_HDR_LEN + 4u * h->cc;

	if (h->cc > RTP_MAX_CSRC || (h->ext_len & 3) || h->ext_len / 4 > 0xffff)
		return -EINVAL;
	if (h->extension)
		need += 4 + h->ext_len;
	if (need > size)
		return -ENOSPC;
	buf[0] = RTP_VERSION << 6 | (h->extension ? 0x10 : 0) | h->cc;
	buf[1] = (h->marker ? 0x80 : 0) | (h->pt & 0x7f);
	wr16(buf + 2, h->seq);
	wr32(buf + 4, h->ts);
	wr32(buf + 8, h->ssrc);
	for (unsigned i = 0; i < h->cc; i++)
		wr32(buf + RTP_HDR_LEN + 4 * i, h->csrc[i]);
	if (h->extension) {
		uint8_t *p = buf + RTP_HDR_LEN + 4 * h->cc;

		wr16(p, h->ext_profile);
		wr16(p + 2, (uint16_t)(h->ext_len / 4));
		if (h->ext_len)
			memcpy(p + 4, h->ext, h->ext_len);
	}
	return (int)need;
}

int rtp_cn_decode(const uint8_t *payload, size_t len, uint8_t *level_dbov)
{
	/* RFC 3389 3: the level byte has its top bit zero (0..127 -dBov). */
	if (len < 1 || (payload[0] & 0x80))
		return -EBADMSG;
	*level_dbov = payload[0];
	return 0;
}

void rtp_tx_init(struct rtp_tx *tx, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	memset(tx, 0, sizeof(*tx));
	tx->ssrc = ssrc;
	tx->seq = seq;
	tx->ts = ts;
	tx->mark_next = true; /* the first packet starts a talkspurt */
}

void rtp_tx_mark(struct rtp_tx *tx)
{
	tx->mark_next = true;
}

void rtp_tx_skip(struct rtp_tx *tx, uint32_t samples)
{
	tx->ts += samples;
}

void rtp_tx_new_ssrc(struct rtp_tx *tx, uint32_t ssrc)
{
	tx->ssrc = ssrc;
	/* RFC 3550 6.4.1: SR counts restart with a new SSRC. */
	tx->packets = 0;
	tx->octets = 0;
}

int rtp_tx_packet(struct rtp_tx *tx, uint8_t *buf, size_t size, uint8_t pt, bool marker,
		  uint32_t ts, const uint8_t *payload, size_t len)
{
	if (size < RTP_HDR_LEN || len > size - RTP_HDR_LEN)
		return -ENOSPC;
	buf[0] = RTP_VERSION << 6;
	buf[1] = (marker ? 0x80 : 0) | (pt & 0x7f);
	wr16(buf + 2, tx->seq);
	wr32(buf + 4, ts);
	wr32(buf + 8, tx->ssrc);
	if (len)
		memcpy(buf + RTP_HDR_LEN, payload, len);
	tx->seq++;
	tx->packets++;
	tx->octets += (uint32_t)len;
	return (int)(RTP_HDR_LEN + len);
}

int rtp_tx_audio(struct rtp_tx *tx, uint8_t *buf, size_t size, uint8_t pt, const uint8_t *payload,
		 size_t len, uint32_t samples)
{
	int n = rtp_tx_packet(tx, buf, size, pt, tx->mark_next, tx->ts, payload, len);

	if (n < 0)
		return n;
	tx->mark_next = false;
	tx->ts += samples;
	return n;
}

/* A.1 init_seq */
static void rx_init_seq(struct rtp_rx *rx, uint16_t seq)
{
	rx->base_seq = seq;
	rx->max_seq = seq;
	rx->bad_seq = RTP_SEQ_MOD + 1; /* so seq == bad_seq is false */
	rx->cycles = 0;
	rx->received = 0;
	rx->expected_prior = 0;
	rx->received_prior = 0;
	rx->seen_mask = 1;
}

void rtp_rx_init(struct rtp_rx *rx, uint32_t clock_rate)
{
	memset(rx, 0, sizeof(*rx));
	rx->clock_rate = clock_rate ? clock_rate : 8000;
	rx->ts_jump = rx->clock_rate * 10; /* 10 s: no jitter is that large */
}

/* A.8: J += (|D| - J) / 16, kept scaled by 16. */
static void rx_jitter(struct rtp_rx *rx, uint32_t ts, uint64_t arrival_ns)
{
	/* Arrival in timestamp units; wraps like the timestamp does. */
	uint32_t arrival = (uint32_t)((arrival_ns / 1000000000u) * rx->clock_rate +
				      (arrival_ns % 1000000000u) * rx->clock_rate / 1000000000u);
	int64_t transit = (int32_t)(arrival - ts);
	int64_t d;

	if (!rx->have_transit) {
		rx->transit = transit;
		rx->have_transit = true;
		return;
	}
	d = (int32_t)(uint32_t)(transit - rx->transit);
	rx->transit = transit;
	if (d < 0)
		d = -d;
	if (d > rx->ts_jump) {
		rx->ts_jumps++;
		return;
	}
	rx->jitter_q4 += (uint32_t)(d - ((rx->jitter_q4 + 8) >> 4));
}

enum rtp_rx_verdict rtp_rx_update(struct rtp_rx *rx, const struct rtp_hdr *h, uint64_t arrival_ns)
{
	uint16_t seq = h->seq;
	uint16_t udelta;

	if (!rx->started) {
		/* A.1: a new source is on probation for MIN_SEQUENTIAL
		 * in-order packets before it is declared valid. */
		rx->started = true;
		rx->ssrc = h->ssrc;
		rx_init_seq(rx, seq);
		rx->max_seq = seq - 1;
		rx->probation = RTP_MIN_SEQUENTIAL;
		rx->have_transit = false;
	} else if (h->ssrc != rx->ssrc) {
		if (h->ssrc == rx->cand_ssrc && rx->cand_count &&
		    seq == (uint16_t)(rx->cand_seq + 1)) {
			rx->cand_count++;
		} else {
			rx->cand_ssrc = h->ssrc;
			rx->cand_count = 1;
		}
		rx->cand_seq = seq;
		if (rx->cand_count < RTP_SSRC_SWITCH)
			return RTP_RX_OTHER_SSRC;
		/* The new source has proven itself: it starts valid (its
		 * probation was the run just seen). */
		rx->ssrc = h->ssrc;
		rx->cand_count = 0;
		rx->ssrc_changes++;
		rx_init_seq(rx, seq);
		rx->probation = 0;
		rx->have_transit = false;
		rx->jitter_q4 = 0;
		rx->last_sr_arrival_ns = 0;
		rx->received = 1;
		rx_jitter(rx, h->ts, arrival_ns);
		return RTP_RX_NEW_SSRC;
	}
	rx->cand_count = 0;
	udelta = seq - rx->max_seq;
	if (rx->probation) {
		if (seq == (uint16_t)(rx->max_seq + 1)) {
			rx->probation--;
			rx->max_seq = seq;
			if (rx->probation == 0) {
				rx_init_seq(rx, seq);
				rx->received++;
				rx_jitter(rx, h->ts, arrival_ns);
				return RTP_RX_OK;
			}
		} else {
			rx->probation = RTP_MIN_SEQUENTIAL - 1;
			rx->max_seq = seq;
		}
		rx_jitter(rx, h->ts, arrival_ns);
		return RTP_RX_PROBATION;
	} else if (udelta == 0) {
		rx->duplicates++;
		return RTP_RX_DUPLICATE;
	} else if (udelta < RTP_MAX_DROPOUT) {
		/* In order, with a permissible gap. */
		if (seq < rx->max_seq)
			rx->cycles += RTP_SEQ_MOD; /* wrapped */
		rx->seen_mask = udelta < 64 ? (rx->seen_mask << udelta) | 1 : 1;
		rx->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - RTP_MAX_MISORDER) {
		/* A very large jump: accept only if the next packet follows
		 * it (the sender restarted), otherwise drop. */
		if (seq == rx->bad_seq) {
			rx_init_seq(rx, seq);
			rx->resyncs++;
			rx->have_transit = false;
			rx->received++;
			rx_jitter(rx, h->ts, arrival_ns);
			return RTP_RX_RESTARTED;
		}
		rx->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
		return RTP_RX_BAD_SEQ;
	} else {
		/* Duplicate or reordered packet behind max_seq. */
		uint16_t back = rx->max_seq - seq;

		if (back < 64) {
			if (rx->seen_mask & (1ull << back)) {
				rx->duplicates++;
				return RTP_RX_DUPLICATE;
			}
			rx->seen_mask |= 1ull << back;
		}
		rx->reordered++;
	}
	rx->received++;
	rx_jitter(rx, h->ts, arrival_ns);
	return RTP_RX_OK;
}

uint32_t rtp_rx_ext_max(const struct rtp_rx *rx)
{
	return rx->cycles + rx->max_seq;
}

int32_t rtp_rx_cum_lost(const struct rtp_rx *rx)
{
	int64_t expected, lost;

	if (!rx->started || rx->probation)
		return 0;
	expected = (int64_t)rtp_rx_ext_max(rx) - rx->base_seq + 1;
	lost = expected - rx->received;
	/* A.3: clamp to the 24-bit signed field. */
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

uint8_t rtp_rx_fraction_lost(struct rtp_rx *rx)
{
	uint32_t expected, exp_int, rec_int;
	int32_t lost_int;

	if (!rx->started || rx->probation)
		return 0;
	expected = rtp_rx_ext_max(rx) - rx->base_seq + 1;
	exp_int = expected - rx->expected_prior;
	rx->expected_prior = expected;
	rec_int = rx->received - rx->received_prior;
	rx->received_prior = rx->received;
	lost_int = (int32_t)(exp_int - rec_int);
	if (exp_int == 0 || lost_int <= 0)
		return 0;
	return (uint8_t)(((uint32_t)lost_int << 8) / exp_int);
}

uint32_t rtp_rx_jitter(const struct rtp_rx *rx)
{
	return rx->jitter_q4 >> 4;
}

void rtp_rx_sr_seen(struct rtp_rx *rx, uint64_t ntp, uint64_t arrival_ns)
{
	rx->last_sr_ntp_mid = (uint32_t)(ntp >> 16);
	rx->last_sr_arrival_ns = arrival_ns;
}
