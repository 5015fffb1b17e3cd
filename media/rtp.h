/* RTP (RFC 3550) header coding, sender continuity and receiver statistics.
 *
 * Pure: no I/O, no allocation. Per-packet functions work on caller-owned
 * state that is sized once, so a media worker can call them on its packet
 * path. Times are given by the caller (nanoseconds of a monotonic clock). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_VERSION  2
#define RTP_HDR_LEN  12
#define RTP_MAX_CSRC 15

/* RFC 3551 static payload types used here. */
#define RTP_PT_PCMU 0
#define RTP_PT_PCMA 8
#define RTP_PT_G722 9
#define RTP_PT_CN   13

struct rtp_hdr {
	bool padding;
	bool extension;
	bool marker;
	uint8_t cc;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint32_t csrc[RTP_MAX_CSRC];
	/* RFC 3550 5.3.1: profile-defined word and extension words. */
	uint16_t ext_profile;
	const uint8_t *ext;
	size_t ext_len; /* bytes */
	/* Payload after the header and before any padding. */
	const uint8_t *payload;
	size_t payload_len;
	uint8_t pad_len;
};

/* Decode and validate an RTP packet (RFC 3550 5.1, A.1): version 2, CSRC
 * list, extension and padding lengths inside the packet. Returns 0, or
 * -EBADMSG. Never reads outside buf[0..len). */
int rtp_decode(const uint8_t *buf, size_t len, struct rtp_hdr *out);

/* Write the fixed header plus CSRCs and extension (no padding) of h.
 * Returns the header length or -ENOSPC. */
int rtp_encode_hdr(uint8_t *buf, size_t size, const struct rtp_hdr *h);

/* RFC 3389 comfort noise: first payload byte is the noise level in -dBov
 * (0..127); the spectral coefficients that may follow are accepted and
 * ignored. Returns 0 or -EBADMSG. */
int rtp_cn_decode(const uint8_t *payload, size_t len, uint8_t *level_dbov);

/* Sender state. RFC 3550 5.1: sequence numbers and timestamps start
 * random and run on; a codec change (new PT) or a new remote address keeps
 * SSRC, sequence and timestamp running (the receiver sees one source, 8.2
 * only changes the SSRC on a collision). */
struct rtp_tx {
	uint32_t ssrc;
	uint16_t seq;	  /* next sequence number */
	uint32_t ts;	  /* timestamp of the next media sample */
	bool mark_next;	  /* RFC 3551 4.1: first packet of a talkspurt */
	uint32_t packets; /* for RTCP SR */
	uint32_t octets;
};

void rtp_tx_init(struct rtp_tx *tx, uint32_t ssrc, uint16_t seq, uint32_t ts);
/* Next packet carries the marker bit (start of a talkspurt, or after a
 * remote-address change so the far end resynchronises its playout). */
void rtp_tx_mark(struct rtp_tx *tx);
/* The media clock skipped samples (silence suppression, a gap): keep the
 * timestamp in step with real time. */
void rtp_tx_skip(struct rtp_tx *tx, uint32_t samples);
/* RFC 3550 8.2: on an SSRC collision pick a new SSRC; sequence and
 * timestamp run on. */
void rtp_tx_new_ssrc(struct rtp_tx *tx, uint32_t ssrc);

/* Build a media packet at the current timestamp, then advance the
 * sequence by one and the timestamp by samples. Returns the packet length
 * or -ENOSPC. */
int rtp_tx_audio(struct rtp_tx *tx, uint8_t *buf, size_t size, uint8_t pt, const uint8_t *payload,
		 size_t len, uint32_t samples);
/* Build a packet with an explicit timestamp and marker (RFC 4733 events
 * keep the event's start timestamp); advances only the sequence number. */
int rtp_tx_packet(struct rtp_tx *tx, uint8_t *buf, size_t size, uint8_t pt, bool marker,
		  uint32_t ts, const uint8_t *payload, size_t len);

/* Receiver statistics for one source (RFC 3550 A.1, A.3, A.8). */
#define RTP_MIN_SEQUENTIAL 2
#define RTP_MAX_DROPOUT	   3000
#define RTP_MAX_MISORDER   100
#define RTP_SEQ_MOD	   (1u << 16)

struct rtp_rx {
	uint32_t clock_rate;
	uint32_t ssrc;
	bool started;
	uint16_t max_seq;
	uint32_t cycles; /* shifted count of sequence wraps */
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t probation;
	uint32_t received;
	uint32_t expected_prior;
	uint32_t received_prior;
	/* A.8 jitter, kept scaled by 16 as in the RFC's integer version. */
	int64_t transit;
	bool have_transit;
	uint32_t jitter_q4;
	/* A timestamp step larger than this (in clock units) between
	 * consecutive packets is a new timeline (source switched behind a
	 * B2BUA, sender restart), not jitter: transit is re-based. */
	uint32_t ts_jump;
	/* Counters beyond A.1. */
	uint32_t duplicates;
	uint32_t reordered;
	uint32_t ts_jumps;
	uint32_t resyncs;
	/* For RTCP LSR/DLSR (6.4.1). */
	uint32_t last_sr_ntp_mid;
	uint64_t last_sr_arrival_ns;
	/* Last sequence numbers seen, to tell duplicates from old packets. */
	uint64_t seen_mask; /* bit i: max_seq - i was received */
	/* Another SSRC that keeps arriving in sequence replaces the tracked
	 * one (the far end switched source: RFC 3550 8.2 collision, a
	 * re-INVITE toward another media server behind the same address). */
	uint32_t cand_ssrc;
	uint16_t cand_seq;
	uint8_t cand_count;
	uint32_t ssrc_changes;
};

void rtp_rx_init(struct rtp_rx *rx, uint32_t clock_rate);

enum rtp_rx_verdict {
	RTP_RX_OK = 0,
	RTP_RX_PROBATION,  /* source not yet valid (A.1 probation) */
	RTP_RX_DUPLICATE,  /* already counted */
	RTP_RX_BAD_SEQ,	   /* jump too large; dropped until confirmed */
	RTP_RX_RESTARTED,  /* confirmed jump: statistics restarted */
	RTP_RX_OTHER_SSRC, /* not the source being tracked (yet) */
	RTP_RX_NEW_SSRC,   /* switched to a new source; statistics restarted */
};

/* In-sequence packets from another SSRC before the receiver follows it. */
#define RTP_SSRC_SWITCH 3

/* Account one received packet; arrival_ns on the receiver's clock. */
enum rtp_rx_verdict rtp_rx_update(struct rtp_rx *rx, const struct rtp_hdr *h, uint64_t arrival_ns);

/* Extended highest sequence number received (A.3). */
uint32_t rtp_rx_ext_max(const struct rtp_rx *rx);
/* Cumulative number lost, clamped to the 24-bit signed RTCP field. */
int32_t rtp_rx_cum_lost(const struct rtp_rx *rx);
/* Fraction lost since the last call, 8-bit fixed point (A.3); advances
 * the interval. */
uint8_t rtp_rx_fraction_lost(struct rtp_rx *rx);
/* Interarrival jitter in timestamp units (A.8). */
uint32_t rtp_rx_jitter(const struct rtp_rx *rx);
/* Record an SR from this source (for LSR/DLSR in our reports). */
void rtp_rx_sr_seen(struct rtp_rx *rx, uint64_t ntp, uint64_t arrival_ns);
