/* SIP message builder (RFC 3261 8.1.1, 8.2.6, 9.1, 12.2.1.1, 17.1.1.3).
 * Writes into a caller-supplied buffer; Content-Length is always written
 * and always counts the body given. Functions return the message length,
 * -ENOSPC when the buffer is too small, or -EINVAL for unusable input
 * (e.g. a request lacking the headers a response must copy). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sip/sip_msg.h"

/* Optional extras of any built message. */
struct sip_build_extra {
	const char *headers;	  /* complete header lines, each ending in CRLF */
	const char *content_type; /* required when body_len > 0 */
	const char *body;
	size_t body_len;
};

/* A response to req (RFC 3261 8.2.6): Via list in order, From, To (with
 * to_tag added when the request had none and status > 100), Call-ID and
 * CSeq copied; Record-Route copied on 101-299 (12.1.1). reason NULL picks
 * the standard phrase. */
int sip_build_response(char *out, size_t size, const struct sip_msg *req, unsigned status,
		       const char *reason, const char *to_tag, const struct sip_build_extra *extra);

/* The answer to a request refused at once (RFC 3261 8.2), built from what
 * it has: every Via (one is needed: -EINVAL without), then From, To,
 * Call-ID and CSeq as received when present (the first of repeated ones),
 * so that a request lacking some of them, or with a malformed one, still
 * gets its 400 (RFC 4475 3.3.1, 3.3.8) and one with another SIP version
 * its 505. The To gets a tag derived from the request when it has none
 * and decodes. Status 300..699. */
int sip_build_reject(char *out, size_t size, const struct sip_msg *req, unsigned status,
		     const struct sip_build_extra *extra);

/* The same into a talloc buffer under ctx (NUL-terminated for logging);
 * *len gets the message length. NULL on failure. */
char *sip_build_response_talloc(void *ctx, const struct sip_msg *req, unsigned status,
				const char *reason, const char *to_tag,
				const struct sip_build_extra *extra, size_t *len);

/* The ACK a client INVITE transaction sends for a non-2xx final response
 * (RFC 3261 17.1.1.3): Request-URI, top Via (same branch), From, Call-ID,
 * Route of the INVITE; To of the response; CSeq number with ACK. */
int sip_build_ack_non2xx(char *out, size_t size, const struct sip_msg *invite,
			 const struct sip_msg *resp);

/* CANCEL for a pending request (RFC 3261 9.1): same Request-URI, top Via,
 * From, To, Call-ID, Route, CSeq number with CANCEL. */
int sip_build_cancel(char *out, size_t size, const struct sip_msg *req);

/* A request inside a dialog (RFC 3261 12.2.1.1) or any new request. */
struct sip_req_spec {
	const char *method;
	struct tstr ruri;	    /* remote target (or first strict route) */
	struct tstr from, from_tag; /* local URI and tag */
	struct tstr to, to_tag;	    /* remote URI and tag (empty tag: none) */
	struct tstr call_id;
	uint32_t cseq;
	const char *via_transport; /* "UDP", "TCP", "TLS" */
	struct tstr via_host;	   /* IPv6 without brackets */
	uint16_t via_port;	   /* 0: none */
	struct tstr branch;	   /* must start with z9hG4bK */
	const struct tstr *routes; /* route set, each a URI, in order */
	unsigned n_routes;
	struct tstr contact;   /* URI, empty: no Contact */
	unsigned max_forwards; /* 0 means 70 */
};
int sip_build_request(char *out, size_t size, const struct sip_req_spec *spec,
		      const struct sip_build_extra *extra);

/* Standard reason phrase of a status code ("" when unknown). */
const char *sip_reason_phrase(unsigned status);
