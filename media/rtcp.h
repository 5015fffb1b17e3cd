/* RTCP (RFC 3550 6): SR, RR, SDES and BYE building and parsing, compound
 * packets. Pure; the caller owns every buffer. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/rtp.h"

#define RTCP_SR	  200
#define RTCP_RR	  201
#define RTCP_SDES 202
#define RTCP_BYE  203
#define RTCP_APP  204

#define RTCP_SDES_END	0
#define RTCP_SDES_CNAME 1

#define RTCP_MAX_RB 31

struct rtcp_rb {
	uint32_t ssrc;
	uint8_t fraction;
	int32_t lost; /* 24-bit signed */
	uint32_t ext_max;
	uint32_t jitter;
	uint32_t lsr;
	uint32_t dlsr; /* 1/65536 s */
};

struct rtcp_sr_info {
	uint64_t ntp;
	uint32_t rtp_ts;
	uint32_t packets;
	uint32_t octets;
};

/* A decoded SR or RR. */
struct rtcp_report {
	bool is_sr;
	uint32_t ssrc;
	struct rtcp_sr_info sr;
	uint8_t rb_count;
	struct rtcp_rb rb[RTCP_MAX_RB];
};

/* One packet of a compound: common header plus a view of its body. */
struct rtcp_pkt {
	uint8_t count; /* RC / SC / subtype */
	uint8_t pt;
	const uint8_t *body; /* after the 4-byte common header */
	size_t body_len;     /* without padding */
};

/* Iterate a compound packet. rtcp_iter_init() checks the whole compound
 * first (RFC 3550 A.2: version 2 everywhere, first packet SR or RR, padding
 * only on the last, lengths add up to the datagram). */
struct rtcp_iter {
	const uint8_t *p;
	size_t left;
};

int rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len);
/* Returns 1 with *pkt set, 0 at the end. */
int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_pkt *pkt);

int rtcp_report_decode(const struct rtcp_pkt *pkt, struct rtcp_report *out);
/* First chunk's CNAME (for the usual one-chunk SDES). */
int rtcp_sdes_cname(const struct rtcp_pkt *pkt, uint32_t *ssrc, const char **cname,
		    size_t *cname_len);
/* BYE: the first SSRC and the optional reason. */
int rtcp_bye_decode(const struct rtcp_pkt *pkt, uint32_t *ssrc, const char **reason,
		    size_t *reason_len);

/* Compound builder: append packets into buf; each append returns 0 or
 * -ENOSPC and leaves len unchanged on failure. */
struct rtcp_builder {
	uint8_t *buf;
	size_t size;
	size_t len;
};

void rtcp_builder_init(struct rtcp_builder *b, uint8_t *buf, size_t size);
int rtcp_add_sr(struct rtcp_builder *b, uint32_t ssrc, const struct rtcp_sr_info *sr,
		const struct rtcp_rb *rb, unsigned n_rb);
int rtcp_add_rr(struct rtcp_builder *b, uint32_t ssrc, const struct rtcp_rb *rb, unsigned n_rb);
int rtcp_add_sdes_cname(struct rtcp_builder *b, uint32_t ssrc, const char *cname);
int rtcp_add_bye(struct rtcp_builder *b, uint32_t ssrc, const char *reason);

/* Fill a report block for the source rx tracks (A.3, 6.4.1), at now_ns on
 * the clock rtp_rx_sr_seen() was given. Advances the fraction interval. */
void rtcp_rb_from_rx(struct rtp_rx *rx, struct rtcp_rb *rb, uint64_t now_ns);

/* The periodic report of one RTP session (RFC 3550 6.4): an SR when we
 * sent media since the last report (else an RR), with a report block for
 * the remote source once it is valid, then SDES CNAME (6.5.1: every
 * compound carries it). ntp_now and rtp_now are the same instant on the
 * wallclock (NTP format) and the media clock. Returns the length or
 * -ENOSPC. */
int rtcp_build_report(uint8_t *buf, size_t size, const struct rtp_tx *tx, bool sent,
		      uint64_t ntp_now, uint32_t rtp_now, struct rtp_rx *rx, uint64_t now_ns,
		      const char *cname);

/* What the far end tells us in its reports about the stream we send
 * (RFC 3550 6.4): its loss, jitter, and the round trip from LSR/DLSR. */
struct rtcp_peer {
	uint64_t reports; /* compound packets taken in */
	uint64_t bad;	  /* compound packets refused as malformed */
	bool have_rb;	  /* a report block about our SSRC arrived */
	uint8_t fraction; /* 8-bit fixed point, of the last interval */
	int32_t lost;	  /* cumulative */
	uint32_t jitter;  /* timestamp units */
	bool have_rtt;
	uint32_t rtt_q16;     /* 1/65536 s */
	uint64_t last_sr_ntp; /* the last SR's NTP timestamp (0: none yet) */
};

/* RFC 5761 4: on a port shared by RTP and RTCP (rtcp-mux), is this
 * datagram RTCP? Its second octet is an RTCP packet type 192-223 (which
 * RTP payload types 64-95, with either marker bit, never take). */
static inline bool rtcp_is_muxed(const uint8_t *buf, size_t len)
{
	return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

/* Take in one compound packet (checked whole first, RFC 3550 A.2). ssrc:
 * the SSRC we send with (report blocks about other sources are skipped);
 * ntp_now: the arrival on the wallclock, NTP format. 0, or -EBADMSG with
 * nothing taken over. *sr_ntp: the NTP timestamp of an SR in it, else 0
 * (the caller notes it for the LSR/DLSR of its own reports). */
int rtcp_peer_rx(struct rtcp_peer *p, const uint8_t *buf, size_t len, uint32_t ssrc,
		 uint64_t ntp_now, uint64_t *sr_ntp);
