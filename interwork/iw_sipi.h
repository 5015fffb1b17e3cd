/* SIP-I (ITU-T Q.1912.5 profile C) and SIP-T (RFC 3372) bodies: the ISUP
 * message encapsulated next to the SDP in a multipart/mixed body (RFC 2046
 * 5.1, RFC 5621) with the application/isup media type of RFC 3204.
 * Pure: no I/O, no globals, no allocation; parse results are views.
 *
 * What the body holds (RFC 3204 3.1): "The ISUP message is encapsulated
 * beginning with the Message Type Code (i.e., omitting Routing Label and
 * Circuit ID Code)". The CIC belongs to the trunk the gateway picks, so
 * iw_sipi_isup_with_cic() puts one in front for sigtran's isup_msg_decode()
 * and iw_sipi_isup_strip_cic() takes it off an encoded message.
 *
 * Disposition: RFC 3204 registers the "signal" disposition and the
 * "handling" parameter for these bodies, and its encapsulation example
 * sends the ISUP part as "Content-Disposition: signal; handling=optional".
 * We do the same, so that a SIP entity that does not understand ISUP still
 * handles the request from its SIP headers and SDP (the SIP-T aim of
 * RFC 3372: the ISUP rides along, SIP routes).
 * On receipt (RFC 3261 20.11, RFC 5621 8): a part whose type or
 * disposition we do not understand is ignored when handling=optional;
 * with handling=required, or no handling parameter at all (RFC 3261 20.11:
 * then "required" is assumed), the request is refused with 415. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "core/tstr.h"
#include "sigtran/isup_msg.h"
#include "sip/sip_msg.h"

/* The version parameter we send (RFC 3204 3.1 table 1 names). */
enum iw_sipi_version {
	IW_SIPI_ITU_T92, /* "itu-t92+": SIP-I, Q.1912.5 profile C */
	IW_SIPI_ANSI00,	 /* "ansi00": SIP-T towards an ANSI T1.113 network */
};

/* "itu-t92+", "ansi00"; NULL for an unknown value. */
const char *iw_sipi_version_name(enum iw_sipi_version v);

/* Which ISUP coding a received version (or base) string names: the ITU
 * family (itu-t*, etsi*, ttc*) or the ANSI family (ansi*, gr*), case
 * insensitive. -ENOTSUP when it names neither (a bilateral private value
 * the caller may still map by configuration). */
int iw_sipi_variant(struct tstr version, enum isup_variant *var);

/* Build the body: part 1 "application/sdp" when sdp_len > 0, part 2
 * "application/isup; version=..." with the signal disposition when
 * isup_len > 0 (ISUP-only bodies, e.g. REL in a BYE, are allowed; so are
 * SDP-only ones). The body is always multipart/mixed so the ISUP part's
 * Content-Disposition travels with it. isup is the message from the
 * message type code on (no CIC). boundary: 1-70 RFC 2046 bchars, not
 * ending in a space, and not occurring in either content.
 * Writes the Content-Type header value ("multipart/mixed;boundary=...",
 * quoted when the boundary is not a SIP token) into ctype, NUL-terminated.
 * Returns the body length (buf is NUL-terminated after it when there is
 * room; the body itself may contain NULs), or -EINVAL (no content, bad
 * boundary or version), -EEXIST (the boundary occurs in a content: pick
 * another), -ENOSPC (buf or ctype too small). */
int iw_sipi_build(char *buf, size_t size, const char *sdp, size_t sdp_len, const uint8_t *isup,
		  size_t isup_len, enum iw_sipi_version v, const char *boundary, char *ctype,
		  size_t ctype_size);

/* What a received body carries. Views into the message buffer. */
struct iw_sipi_body {
	struct tstr sdp;     /* the application/sdp content; empty when absent */
	struct tstr isup;    /* application/isup content (message type on); empty when absent */
	struct tstr version; /* its version parameter (quotes stripped); empty when absent */
	struct tstr base;    /* its optional base parameter; empty when absent */
	bool has_sdp, has_isup;
	unsigned ignored; /* parts skipped as handling=optional */
};

/* Find the SDP and ISUP in a body given its Content-Type and
 * Content-Disposition header values (cdisp empty when there is none; it
 * only matters for a body that is not multipart). A multipart/<any> body
 * is split; a single application/sdp or application/isup body counts
 * too; an empty body with no Content-Type gives an empty result.
 * Returns 0, -EBADMSG (malformed Content-Type, multipart or part headers,
 * more than SIP_MIME_MAX_PARTS parts, two SDP or two ISUP parts, a body
 * without Content-Type) or -ENOTSUP (a part we do not understand is not
 * marked handling=optional: answer 415 Unsupported Media Type with an
 * Accept header, RFC 3261 21.4.13). out is set only on success. */
int iw_sipi_decode(struct tstr ctype, struct tstr cdisp, struct tstr body,
		   struct iw_sipi_body *out);

/* iw_sipi_decode() on a parsed message's Content-Type, Content-Disposition
 * and body. */
int iw_sipi_parse(const struct sip_msg *m, struct iw_sipi_body *out);

/* Q.763 1.2: put the CIC (two octets, least significant first) in front of
 * a body's ISUP bytes so isup_msg_decode() can take it. Returns len + 2,
 * -EINVAL (empty body), -ERANGE (cic above 14 bits, the widest variant),
 * -ENOSPC. */
int iw_sipi_isup_with_cic(uint8_t *out, size_t size, uint16_t cic, const uint8_t *body, size_t len);

/* The reverse, for building: the part of an encoded ISUP message (CIC
 * first) that goes into the body, as a view, and the CIC it had (not
 * masked: the variant's width is the decoder's business). 0 or -EBADMSG
 * (shorter than CIC and message type). */
int iw_sipi_isup_strip_cic(const uint8_t *msg, size_t len, const uint8_t **body, size_t *body_len,
			   uint16_t *cic);

/* Q.1912.5 profile C on receipt: may a SIP message toward the ISUP side
 * carry an encapsulated backward message of this type? what: the response
 * status as digits ("180", "200", "486") or the request method ("BYE",
 * "CANCEL", "INFO"); acm_sent: an ACM (or CON) went to the circuit.
 * 18x: ACM first, CPG after it; 2xx: CON before any ACM, ANM after one;
 * 3xx-6xx, BYE, CANCEL: REL; INFO: CPG after the ACM. Anything else
 * (ANM in a 180, ACM twice, REL in a 200) does not fit. */
bool iw_sipi_fits(const char *what, uint8_t type, bool acm_sent);

/* The largest cause indicators value iw_sipi_convert rewrites (location,
 * value and diagnostics, Q.850 2.2). */
#define IW_SIPI_CAUSE_MAX 32

/* An ISUP message coded for one variant made fit for the other, for a
 * SIP-I/SIP-T body whose variant is not the linkset's (Q.1912.5 profile C
 * between an ITU and an ANSI network): the message type must exist in
 * both (CON has no ANSI counterpart: -ENOTSUP); parameters that Q.763 and
 * T1.113 define alike are kept (views into in's memory), the others are
 * dropped and counted in *dropped; the IAM's transmission medium
 * requirement (ITU) and user service information (ANSI) are made from each
 * other (speech, 3.1 kHz audio, 64 kbit/s unrestricted; anything else:
 * -ENOTSUP); a cause coded to the ANSI standard gets the ITU coding
 * standard, its ANSI-only values (23, 24, 25, 26, 46, 51, 54) becoming 127
 * interworking, written into cause_buf. from == to copies in. */
int iw_sipi_convert(enum isup_variant from, enum isup_variant to, const struct isup_msg *in,
		    struct isup_msg *out, uint8_t cause_buf[IW_SIPI_CAUSE_MAX], unsigned *dropped);

/* Q.764 2.9.5.3 / Q.1912.5 at the interworking unit: the optional
 * parameters of m that tandem does not recognise (isup_param_known()),
 * as code, length, value triples in raw[] for the message it sends on,
 * each as isup_param_compat() decides with passing on possible while
 * they fit in max octets (at most IW_SIPI_UNKNOWN_MAX; pass 0 where the
 * onward side cannot carry them at all). The parameter compatibility
 * information goes along when anything passes on (it tells the next
 * exchange too). release: the call must be released with cause 99
 * (release_code names the parameter, the diagnostic); discard_msg: the
 * message must be dropped. */
#define IW_SIPI_UNKNOWN_MAX 96
struct iw_sipi_unknown {
	uint8_t raw[IW_SIPI_UNKNOWN_MAX];
	size_t len;
	unsigned passed, discarded;
	bool release, discard_msg, notify;
	uint8_t release_code;
};
void iw_sipi_unknown(const struct isup_msg *m, size_t max, struct iw_sipi_unknown *u);
