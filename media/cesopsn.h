/* CESoPSN (RFC 5086): structured NxDS0 over a packet network, basic mode
 * (no CAS), for E1 and T1 spans. Pure packet coding and timeslot
 * (de)interleaving; the socket and the clock belong to the TDM backend. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/g711.h"
#include "media/rtp.h"

#define CESOP_CW_LEN	     4
#define CESOP_MAX_TS	     32
#define CESOP_MAX_FRAMES     64
#define CESOP_DEFAULT_FRAMES 8
#define CESOP_MAX_PAYLOAD    (CESOP_MAX_TS * CESOP_MAX_FRAMES)
/* RFC 4385 3 / RFC 5086 5.2: the length field is used only when the packet
 * (CESoPSN header and payload) is shorter than this, because the PSN may
 * pad short frames (Ethernet). */
#define CESOP_MIN_LEN_FIELD 64

enum cesop_span {
	CESOP_E1,
	CESOP_T1,
};

/* Where the optional RTP header goes (RFC 5086 5.1, figure 1): over UDP/IP
 * it precedes the control word; over MPLS it follows it. */
enum cesop_rtp_mode {
	CESOP_RTP_NONE,
	CESOP_RTP_BEFORE_CW,
	CESOP_RTP_AFTER_CW,
};

/* M bits for the basic mode (RFC 5086 5.2, L = 0). */
enum cesop_m {
	CESOP_M_NORMAL = 0,
	CESOP_M_RDI = 2, /* L=0, M=10: RDI of the attachment circuit */
};

struct cesop_cfg {
	enum cesop_span span;
	uint32_t ts_mask; /* bit n = timeslot n carried (E1: 1..31, T1: 1..24) */
	uint8_t n_ts;	  /* popcount of ts_mask */
	uint8_t ts_list[CESOP_MAX_TS];
	uint8_t frames; /* frames per packet (RFC 5086: N, default 8 = 1 ms) */
	enum g711_law law;
	enum cesop_rtp_mode rtp;
	uint8_t rtp_pt;
};

/* Defaults: E1 carries timeslots 1..31, A-law; T1 timeslots 1..24, µ-law;
 * 8 frames per packet; no RTP header. */
void cesop_cfg_init(struct cesop_cfg *cfg, enum cesop_span span);
/* Choose the timeslots (bit n = timeslot n). -EINVAL if a bit is outside
 * the span (E1 timeslot 0 is framing, T1 has 1..24). */
int cesop_cfg_set_timeslots(struct cesop_cfg *cfg, uint32_t mask);
int cesop_cfg_set_frames(struct cesop_cfg *cfg, unsigned frames);
/* Payload bytes of one full packet: frames x timeslots. */
size_t cesop_payload_len(const struct cesop_cfg *cfg);

struct cesop_cw {
	bool l;	     /* local TDM failure: payload may be omitted */
	bool r;	     /* remote: the peer is losing our packets */
	uint8_t m;   /* 2 bits */
	uint8_t frg; /* 2 bits; 00 in the basic mode */
	uint8_t len; /* 6 bits, see CESOP_MIN_LEN_FIELD */
	uint16_t seq;
};

struct cesop_pkt {
	struct cesop_cw cw;
	bool has_rtp;
	struct rtp_hdr rtp;
	const uint8_t *payload; /* frames x timeslots, frame-major */
	/* 0 when L=1 and the payload was omitted (RFC 5086 5.2: a local
	 * attachment-circuit failure); jb_put() of an empty frame plays the
	 * idle code, the trunk conditioning the TDM side expects. */
	size_t payload_len;
};

/* Decode one packet. Returns 0, -EBADMSG (bad control word, bad length,
 * fragmented, payload not a whole number of frames for this config). */
int cesop_decode(const struct cesop_cfg *cfg, const uint8_t *buf, size_t len,
		 struct cesop_pkt *out);

/* Sender state: sequence numbers (the CW one and, in RTP mode, RTP's,
 * which RFC 5086 5.3 says carry the same value) and RTP timestamp. */
struct cesop_tx {
	uint16_t seq;
	uint32_t ssrc;
	uint32_t ts; /* RTP timestamp, 8 kHz units: + frames per packet */
};

void cesop_tx_init(struct cesop_tx *tx, uint16_t seq, uint32_t ssrc, uint32_t ts);
/* Build one packet from frames x timeslots of payload (frame-major);
 * payload may be NULL with cw_flags l set (AIS: payload omitted). Returns
 * the packet length or -ENOSPC / -EINVAL. */
int cesop_encode(const struct cesop_cfg *cfg, struct cesop_tx *tx, const struct cesop_cw *flags,
		 const uint8_t *payload, uint8_t *buf, size_t size);

/* Frame-major packet payload -> one contiguous stream per timeslot:
 * out[t * frames + f] = payload[f * n_ts + t]. */
void cesop_deinterleave(const uint8_t *payload, unsigned n_ts, unsigned frames, uint8_t *out);
void cesop_interleave(const uint8_t *streams, unsigned n_ts, unsigned frames, uint8_t *payload);
