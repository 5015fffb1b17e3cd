/* Multipart MIME bodies (RFC 2046 5.1, RFC 5621): split into parts with
 * their headers, as views into the message. Used for SIP-I/SIP-T bodies
 * (SDP next to application/isup, RFC 3204). */
#pragma once

#include "sip/sip_msg.h"

/* Parts a UAS accepts in one body (SDP, ISUP, a few more). */
#define SIP_MIME_MAX_PARTS 8

struct sip_mime_part {
	struct tstr headers;	  /* raw header lines of the part (may be empty) */
	struct tstr content_type; /* value of its Content-Type, empty if none */
	struct tstr body;
};

/* Split body at boundary. Returns 0 and *n parts, -EBADMSG (no delimiter,
 * no close delimiter, malformed part), -ENOSPC (more than max parts). */
int sip_multipart_split(struct tstr body, struct tstr boundary, struct sip_mime_part *parts,
			unsigned max, unsigned *n);

/* Split a message body whose Content-Type is multipart/<any> with a
 * boundary parameter. -ENOENT when the body is not multipart. */
int sip_msg_multipart(const struct sip_msg *m, struct sip_mime_part *parts, unsigned max,
		      unsigned *n);
