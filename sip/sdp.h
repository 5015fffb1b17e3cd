/* SDP (RFC 8866) parsing, building and offer/answer negotiation (RFC 3264).
 *
 * Pure code: no I/O, no allocation, no globals. sdp_decode() fills a fixed
 * struct of views into the caller's buffer (which must outlive the struct);
 * the encoders write into a caller buffer and return the length.
 *
 * A B2BUA leg uses it like this:
 *   - outgoing INVITE: sdp_offer_encode(trunk prefs, local) -> body;
 *     on the 2xx/18x: sdp_decode() + sdp_answer_rx() -> struct sdp_agreed.
 *   - incoming INVITE: sdp_decode() + sdp_answer() -> struct sdp_answer_res;
 *     res.reject ? 488 + Warning (sdp_warning_encode) : sdp_answer_encode().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tstr.h"

#define SDP_MAX_MEDIA  8
#define SDP_MAX_FMT    32
#define SDP_MAX_CODECS 8
/* Textual IPv6 address with scope, plus NUL. */
#define SDP_ADDR_MAX 64

enum sdp_dir {
	SDP_DIR_SENDRECV = 0,
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

enum sdp_addrtype {
	SDP_ADDR_NONE = 0,
	SDP_ADDR_IP4,
	SDP_ADDR_IP6,
};

/* c= line (RFC 8866 5.7), or the address part of a=rtcp (RFC 3605). */
struct sdp_conn {
	bool present;
	enum sdp_addrtype type;
	struct tstr addr;
	/* addr is a literal IP address (not an FQDN). */
	bool numeric;
	/* 0.0.0.0 or :: - the legacy hold of RFC 2543 (RFC 3264 8.4). */
	bool unspecified;
};

/* One payload type of an m= line with its rtpmap/fmtp attributes. */
struct sdp_fmt {
	uint8_t pt;
	bool has_rtpmap;
	struct tstr enc;
	uint32_t rate;
	uint8_t channels;
	struct tstr fmtp;
};

struct sdp_media {
	struct tstr type; /* audio, video, image, ... */
	uint16_t port;
	uint16_t nports;   /* 1 unless m=<media> <port>/<n> */
	struct tstr proto; /* RTP/AVP, RTP/SAVP, udptl, ... */
	/* Raw format list, so a rejected non-RTP stream can be echoed. */
	struct tstr fmt_list;
	bool rtp; /* proto is RTP/AVP or RTP/AVPF: fmt[] is valid */
	unsigned n_fmt;
	struct sdp_fmt fmt[SDP_MAX_FMT];
	struct sdp_conn c;
	enum sdp_dir dir;
	bool dir_set;
	unsigned ptime;	   /* ms, 0 = absent */
	unsigned maxptime; /* ms, 0 = absent */
	bool has_rtcp;
	uint16_t rtcp_port;
	struct sdp_conn rtcp_c;
	bool rtcp_mux; /* a=rtcp-mux (RFC 5761 5.1.1) */
};

struct sdp_session {
	struct tstr o_user;
	struct tstr o_sess_id;
	struct tstr o_sess_version;
	struct sdp_conn o_addr;
	struct tstr name;
	struct sdp_conn c;
	enum sdp_dir dir;
	bool dir_set;
	unsigned n_media;
	struct sdp_media m[SDP_MAX_MEDIA];
};

/* Parse an SDP body. Returns 0, -EBADMSG (malformed; *reason says why) or
 * -E2BIG (more m= lines or formats than this gateway keeps). *out is set only
 * on success; reason may be NULL. Never reads past buf[len]. */
int sdp_decode(struct sdp_session *out, const char *buf, size_t len, const char **reason);

/* Effective direction of a stream: media-level attribute, else session-level,
 * else sendrecv (RFC 3264 5.1); a c= of 0.0.0.0 removes "receive" (8.4). */
enum sdp_dir sdp_media_dir(const struct sdp_session *s, unsigned idx);
const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, unsigned idx);
const char *sdp_dir_name(enum sdp_dir d);

/* The peer's o= line as remembered by a dialog between offers (RFC 3264 8:
 * a re-offer with an unchanged version is the same SDP and needs no new
 * negotiation; a different username/sess-id/address is another session). */
struct sdp_origin {
	bool set;
	uint64_t id_hash;
	uint64_t ver_hash;
};

enum sdp_origin_change {
	SDP_ORIGIN_FIRST = 0, /* nothing remembered yet */
	SDP_ORIGIN_SAME,      /* same session, same version */
	SDP_ORIGIN_NEW_VERSION,
	SDP_ORIGIN_OTHER_SESSION,
};

enum sdp_origin_change sdp_origin_check(const struct sdp_origin *o, const struct sdp_session *s);
void sdp_origin_save(struct sdp_origin *o, const struct sdp_session *s);

/* Codecs the media plane can handle. */
enum sdp_codec {
	SDP_CODEC_PCMU = 0,
	SDP_CODEC_PCMA,
	SDP_CODEC_G722,
	SDP_CODEC_TEL_EVENT,
	SDP_CODEC__NUM,
};

struct sdp_codec_info {
	const char *name; /* rtpmap encoding name */
	int static_pt;	  /* RFC 3551 table 4, or -1 for dynamic */
	uint32_t rate;	  /* RTP clock rate (G.722 is 8000, RFC 3551 4.5.2) */
	const char *fmtp; /* what we offer, or NULL */
};

const struct sdp_codec_info *sdp_codec_info(enum sdp_codec c);
/* By rtpmap name (case-insensitive, RFC 4855 3). -1 if unknown. */
int sdp_codec_by_name(struct tstr name);

/* A trunk's codec policy. */
struct sdp_prefs {
	unsigned n_codec;
	enum sdp_codec codec[SDP_MAX_CODECS]; /* most preferred first */
	unsigned ptime;			      /* ms we ask to receive; 0 = 20 */
	uint8_t te_pt;	    /* dynamic pt for telephone-event in our offers (96..127) */
	bool offerer_order; /* answer: pick by the offerer's order, not ours */
};

/* "PCMA,PCMU,telephone-event" -> prefs (order kept, te_pt 101, ptime 20).
 * Returns 0 or -EINVAL (unknown or repeated name, empty, too many). */
int sdp_prefs_parse(struct sdp_prefs *p, const char *list);

/* Our side of the session: address, port and the o= line state that lives
 * as long as the dialog (RFC 3264 8: same sess-id, version +1 per change). */
struct sdp_local {
	const char *user;   /* o= username; NULL = "-" */
	const char *addr;   /* numeric IPv4 or IPv6 */
	uint16_t port;	    /* RTP port; RTCP is port+1 unless rtcp_port */
	uint16_t rtcp_port; /* 0 = no a=rtcp line */
	enum sdp_dir dir;   /* what we want (sendrecv; sendonly to hold) */
	/* RFC 5761 5.1.1: offer a=rtcp-mux (RTCP on the RTP port if the
	 * answer accepts; a=rtcp/port+1 stays the fallback). An offer that
	 * has it is always answered with it (RFC 8035 4). */
	bool rtcp_mux;
	uint64_t sess_id;      /* chosen once by the caller */
	uint64_t sess_version; /* starts at the caller's value */
	/* Private: fingerprint of the last body so an unchanged re-offer keeps
	 * its version (RFC 3264 8: "the version MUST NOT change" if identical). */
	bool sent;
	uint64_t last_fp;
};

/* The agreement on one audio stream. */
struct sdp_agreed {
	int m_idx; /* m= line index */
	enum sdp_codec codec;
	uint8_t tx_pt; /* payload type we send with */
	uint8_t rx_pt; /* payload type we receive */
	bool te;       /* telephone-event agreed */
	uint8_t te_tx_pt;
	uint32_t rate;
	unsigned tx_ptime; /* what the peer wants to receive */
	unsigned rx_ptime;
	enum sdp_dir dir; /* our direction */
	uint8_t te_rx_pt;
	bool remote_hold; /* peer does not want to receive (sendonly/inactive/0.0.0.0) */
	enum sdp_addrtype remote_type;
	char remote_addr[SDP_ADDR_MAX];
	uint16_t remote_port;
	uint16_t remote_rtcp_port; /* = remote_port with rtcp_mux */
	bool rtcp_mux;		   /* RTP and RTCP share one port each way (RFC 5761) */
};

/* Warning codes of RFC 3261 20.43 for a 488. */
#define SDP_WARN_NET_ADDR  301 /* Incompatible network address formats */
#define SDP_WARN_TRANSPORT 302 /* Incompatible transport protocol */
#define SDP_WARN_MEDIA	   304 /* Media type not available */
#define SDP_WARN_FORMAT	   305 /* Incompatible media format */

struct sdp_answer_res {
	bool reject; /* nothing acceptable: 488 with warn_code/warn_text */
	int warn_code;
	const char *warn_text;
	struct sdp_agreed agreed;
	/* RFC 4733 2.4.1: events offered and supported by us (0-15), as an fmtp
	 * event list ("0-15", "0-11"). */
	char te_events[48];
	unsigned n_media;
	bool accepted[SDP_MAX_MEDIA];
};

/* Negotiate the answer to a received offer. The first audio RTP/AVP(F)
 * stream with a common codec, a literal address of local->addr's family is
 * accepted; every other m= line is rejected (port 0). Returns 0 (see
 * res->reject), -EINVAL on bad arguments. */
int sdp_answer(struct sdp_answer_res *res, const struct sdp_session *offer,
	       const struct sdp_prefs *prefs, const struct sdp_local *local);

/* Build the answer body. local's version is bumped if the body changed since
 * the last one sent on this dialog. Returns length (< size, NUL-terminated),
 * -ENOSPC or -EINVAL. */
int sdp_answer_encode(char *buf, size_t size, const struct sdp_session *offer,
		      const struct sdp_answer_res *res, const struct sdp_prefs *prefs,
		      struct sdp_local *local);

/* Build an offer with one audio stream from prefs. Returns like above. */
int sdp_offer_encode(char *buf, size_t size, const struct sdp_prefs *prefs,
		     struct sdp_local *local);

/* Process the answer to our offer (built by sdp_offer_encode with prefs).
 * Returns 0 and *out, -EPROTO if the answer is not valid for that offer
 * (different m= count, codec not offered, no common codec; *reason says which),
 * or -ENOMEDIUM if the peer rejected the audio stream (port 0). */
int sdp_answer_rx(struct sdp_agreed *out, const struct sdp_session *answer,
		  const struct sdp_prefs *prefs, const struct sdp_local *local,
		  const char **reason);

/* Warning header value: 305 host "Incompatible media format".
 * Returns length or -ENOSPC. */
int sdp_warning_encode(char *buf, size_t size, int code, const char *agent, const char *text);
