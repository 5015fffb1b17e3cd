/* SIP message parser (RFC 3261 7, 20, 25): pure, zero-copy, bounded.
 *
 * sip_msg_parse() makes one pass over the bytes as received and fills a
 * fixed struct sip_msg: the start line and an index of every header line by
 * kind. Nothing is allocated and the buffer is never written; every string
 * is a struct tstr view into it, so the buffer must outlive the message.
 * A header value view is raw: it may contain folding (CRLF followed by
 * white space), which every decoder here treats as linear white space.
 *
 * Inner structure is decoded on request: sip_msg_via(), sip_msg_from(),
 * sip_msg_cseq()... and the element decoders in sip/sip_hdr.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tstr.h"
#include "sip/sip_proto.h"

/* Hard upper bound of the header index; sip_limits.max_headers may only
 * lower it. */
#define SIP_MSG_MAX_HDRS 160

struct sip_limits {
	size_t max_msg_size;  /* whole message: start line, headers and body */
	unsigned max_headers; /* header lines (after unfolding) */
	size_t max_line_len;  /* one physical line, without its line end */
};

/* 64 KiB messages (the UDP maximum), 128 headers, 8 KiB lines. */
void sip_limits_default(struct sip_limits *lim);

struct sip_hdr {
	struct tstr name;  /* as received */
	struct tstr value; /* raw: leading/trailing white space trimmed */
	uint8_t kind;	   /* enum sip_hdr_kind */
	uint16_t next;	   /* index + 1 of the next header of this kind, 0 = last */
};

struct sip_msg {
	const char *buf;
	size_t len; /* bytes of this message (start line to end of body) */

	bool is_request;
	/* request line */
	struct tstr method;
	enum sip_method meth;
	struct tstr ruri;
	/* status line */
	unsigned status;
	struct tstr reason;

	struct tstr headers; /* the header section, without the empty line */
	struct tstr body;

	/* Content-Length value; -1 when absent. */
	long content_length;

	unsigned n_hdr;
	struct sip_hdr hdr[SIP_MSG_MAX_HDRS];
	uint16_t first[SIP_HDR__NUM]; /* index + 1 of the first header of a kind */
	uint16_t count[SIP_HDR__NUM]; /* header lines of a kind */

	/* Why parsing failed, and the status a UAS would answer a request that
	 * got that far (400, 505, 513); set only when sip_msg_parse() fails. */
	const char *error;
	unsigned error_status;
};

/* Parse exactly one message from a datagram (UDP) or from a frame cut by
 * sip_stream_frame(). RFC 3261 18.3: bytes after Content-Length are
 * ignored; a body shorter than Content-Length is an error.
 * Returns 0, -EBADMSG (malformed), -EMSGSIZE (a limit was exceeded); on
 * error m->error and m->error_status say why. lim may be NULL (defaults). */
int sip_msg_parse(struct sip_msg *m, const char *buf, size_t len, const struct sip_limits *lim);

/* Stream transports (TCP, TLS): how long is the message at the start of
 * buf? Leading CRLFs (RFC 5626 keep-alives, RFC 3261 7.5) count towards it.
 * Returns 0 and *msg_len, -EAGAIN (need more bytes), -EBADMSG (no valid
 * Content-Length: RFC 3261 18.3 makes it mandatory on streams) or -EMSGSIZE
 * (limits). */
int sip_stream_frame(const char *buf, size_t len, const struct sip_limits *lim, size_t *msg_len);

/* Header kind of a header name (full or compact form, any case). */
enum sip_hdr_kind sip_hdr_kind_from_name(struct tstr name);
const char *sip_hdr_kind_name(enum sip_hdr_kind kind);
/* Method from its token (case-sensitive, RFC 3261 7.1). */
enum sip_method sip_method_from_name(struct tstr name);
const char *sip_method_name(enum sip_method meth);

/* The first header of a kind, or NULL. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_kind kind);
/* The header after h of the same kind, or NULL. */
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h);
/* First header whose name matches (case-insensitive), for unindexed kinds. */
const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m, const char *name);

/* Iterator over the comma-separated elements of every header of one kind
 * (RFC 3261 7.3.1), in order. Commas inside quotes or <...> do not split. */
struct sip_hdr_iter {
	const struct sip_msg *m;
	const struct sip_hdr *h;
	struct tstr rest;
};
void sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *m, enum sip_hdr_kind kind);
/* Returns true and the next element (trimmed), false at the end. An empty
 * element (",,") is returned as an empty view: callers reject it. */
bool sip_hdr_iter_next(struct sip_hdr_iter *it, struct tstr *elem);
/* Number of elements of a kind across all its headers. */
unsigned sip_msg_count(const struct sip_msg *m, enum sip_hdr_kind kind);
