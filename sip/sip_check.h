/* What a UAS does with a request before any processing (RFC 3261 8.2):
 * the status it answers at once, or 0 to go on. Pure: looks at a parsed
 * struct sip_msg only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip/sip_msg.h"

struct sip_uas_policy {
	uint32_t methods;		  /* bit (1 << enum sip_method) per method processed */
	const char *const *option_tags;	  /* Require tags understood (RFC 3261 8.2.2.3) */
	const char *const *content_types; /* "type/subtype" accepted in requests (8.2.3) */
};

/* What a trunk-facing B2BUA leg of tandem processes: INVITE, ACK, BYE,
 * CANCEL, OPTIONS, PRACK, UPDATE, INFO; 100rel and timer; SDP, multipart
 * (SIP-I/SIP-T ISUP bodies, RFC 3204) and DTMF relay bodies. */
void sip_uas_policy_trunk(struct sip_uas_policy *pol);

/* The final status a UAS answers this request with at once (400 malformed,
 * 501, 416, 405, 483, 420, 415, 406), or 0 when it would process it.
 * *why (may be NULL) names the reason. pol NULL means the trunk policy. */
unsigned sip_msg_check_uas(const struct sip_msg *m, const struct sip_uas_policy *pol,
			   const char **why);

/* A response is usable (RFC 3261 18.1.2): one top Via, From, To, Call-ID
 * and CSeq decodable. Returns 0, or -EBADMSG: the response is discarded. */
int sip_msg_check_response(const struct sip_msg *m, const char **why);

/* The whole judgement tandem makes of bytes received on a transport. */
struct sip_verdict {
	bool parsed;	   /* m holds a parsed message */
	bool valid;	   /* well-formed (a semantic refusal may still apply) */
	unsigned reply;	   /* status answered at once, 0 for none */
	const char *error; /* why invalid or refused */
};

/* Parse bytes as received on a datagram (stream false) or stream transport
 * (stream true: framed by Content-Length first, RFC 3261 18.3) and judge
 * them as the UAS of a trunk would. Returns 0 when m holds a parsed
 * message, else the parse/framing error (-EAGAIN: incomplete stream). */
int sip_msg_inspect(struct sip_msg *m, const char *buf, size_t len, bool stream,
		    const struct sip_limits *lim, const struct sip_uas_policy *pol,
		    struct sip_verdict *v);

/* The header lines (each ending in CRLF, NUL-terminated in buf) that a
 * refusal with this status must carry: Allow for 405 (RFC 3261 21.4.6),
 * Unsupported with the Require tags not understood for 420 (8.2.2.3),
 * Accept for 415 (8.2.3); none for other statuses. Returns the length,
 * -ENOSPC (buf emptied) when they do not fit. pol NULL: the trunk policy. */
int sip_reject_headers(const struct sip_msg *req, unsigned status, const struct sip_uas_policy *pol,
		       char *buf, size_t size);

/* The whole stateless refusal: sip_build_reject() with those headers.
 * Returns the length, -EINVAL (no Via: nobody to answer), -ENOSPC. */
int sip_reject_build(char *out, size_t size, const struct sip_msg *req, unsigned status,
		     const struct sip_uas_policy *pol);
