/* UAS request inspection (RFC 3261 8.2) and response sanity (18.1.2),
 * with the answers RFC 4475 and RFC 5118 give for their torture messages. */
#include <errno.h>
#include <string.h>

#include "sip/sip_build.h"
#include "sip/sip_check.h"
#include "sip/sip_hdr.h"
#include "sip/sip_lex.h"
#include "sip/sip_mime.h"

static const char *const trunk_tags[] = {"100rel", "timer", NULL};
static const char *const trunk_types[] = {"application/sdp",  "multipart/mixed",
					  "application/isup", "application/dtmf-relay",
					  "application/dtmf", NULL};

void sip_uas_policy_trunk(struct sip_uas_policy *pol)
{
	pol->methods = 1u << SIP_METHOD_INVITE | 1u << SIP_METHOD_ACK | 1u << SIP_METHOD_BYE |
		       1u << SIP_METHOD_CANCEL | 1u << SIP_METHOD_OPTIONS | 1u << SIP_METHOD_PRACK |
		       1u << SIP_METHOD_UPDATE | 1u << SIP_METHOD_INFO;
	pol->methods |= 1u << SIP_METHOD_REFER; /* in a dialog only (sip_refer.c) */
	pol->option_tags = trunk_tags;
	pol->content_types = trunk_types;
}

static bool in_list(const char *const *list, struct tstr s)
{
	for (; list && *list; list++)
		if (tstr_casecmp_cstr(s, *list))
			return true;
	return false;
}

static unsigned bad(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return SIP_BAD_REQUEST;
}

/* Every element of a kind decodes as name-addr (or is "*" for Contact). */
static bool nameaddrs_ok(const struct sip_msg *m, enum sip_hdr_kind k)
{
	struct sip_hdr_iter it;
	struct sip_nameaddr na;
	struct sip_uri u;
	struct tstr e;
	unsigned n = 0;
	bool star = false;

	sip_hdr_iter_init(&it, m, k);
	while (sip_hdr_iter_next(&it, &e)) {
		if (sip_nameaddr_decode(e, &na) || (!na.star && sip_uri_decode(na.uri, &u)))
			return false;
		star |= na.star;
		n++;
	}
	/* RFC 3261 10.2.2: "*" stands alone, in a REGISTER */
	return !star || (k == SIP_HDR_CONTACT && n == 1 && m->meth == SIP_METHOD_REGISTER);
}

/* Headers every request and response carries (RFC 3261 8.1.1, 20): one
 * each of From, To, Call-ID, CSeq; at least one Via; all decodable. */
static const char *common_check(const struct sip_msg *m, struct sip_cseq *cseq)
{
	struct sip_via via;
	struct tstr cid;
	struct sip_hdr_iter it;
	struct tstr e;

	if (!m->count[SIP_HDR_VIA])
		return "missing Via";
	sip_hdr_iter_init(&it, m, SIP_HDR_VIA);
	while (sip_hdr_iter_next(&it, &e))
		if (sip_via_decode(e, &via))
			return "malformed Via";
	if (!m->count[SIP_HDR_FROM] || !m->count[SIP_HDR_TO] || !m->count[SIP_HDR_CALL_ID] ||
	    !m->count[SIP_HDR_CSEQ])
		return "missing From, To, Call-ID or CSeq";
	if (m->count[SIP_HDR_FROM] > 1 || m->count[SIP_HDR_TO] > 1 ||
	    m->count[SIP_HDR_CALL_ID] > 1 || m->count[SIP_HDR_CSEQ] > 1)
		return "repeated From, To, Call-ID or CSeq";
	if (!nameaddrs_ok(m, SIP_HDR_FROM))
		return "malformed From";
	if (!nameaddrs_ok(m, SIP_HDR_TO))
		return "malformed To";
	if (sip_msg_call_id(m, &cid))
		return "malformed Call-ID";
	if (sip_msg_cseq(m, cseq))
		return "malformed CSeq";
	return NULL;
}

int sip_msg_check_response(const struct sip_msg *m, const char **why)
{
	struct sip_cseq cseq;
	const char *err = common_check(m, &cseq);

	if (!err && m->count[SIP_HDR_CONTACT] && !nameaddrs_ok(m, SIP_HDR_CONTACT))
		err = "malformed Contact";
	if (err) {
		if (why)
			*why = err;
		return -EBADMSG;
	}
	return 0;
}

/* RFC 3261 20.17: SIP-date is an rfc1123-date and always in GMT. */
static bool date_ok(struct tstr d)
{
	d = sip_trim(d);
	return d.len > 4 && strncmp(d.p + d.len - 4, " GMT", 4) == 0;
}

/* Syntax checks beyond the parser: the 400 class. */
static const char *request_syntax(const struct sip_msg *m, struct sip_cseq *cseq,
				  struct sip_uri *ruri)
{
	const char *err = common_check(m, cseq);
	const struct sip_hdr *h;
	uint32_t u32;

	if (err)
		return err;
	if (m->count[SIP_HDR_MAX_FORWARDS] && sip_msg_max_forwards(m, &u32))
		return "malformed Max-Forwards";
	if (!nameaddrs_ok(m, SIP_HDR_CONTACT))
		return "malformed Contact";
	if (!nameaddrs_ok(m, SIP_HDR_ROUTE) || !nameaddrs_ok(m, SIP_HDR_RECORD_ROUTE))
		return "malformed Route or Record-Route";
	if (m->count[SIP_HDR_EXPIRES] && sip_msg_expires(m, &u32))
		return "malformed Expires";
	h = sip_msg_hdr(m, SIP_HDR_DATE);
	if (h && !date_ok(h->value))
		return "malformed Date";
	if (sip_uri_decode(m->ruri, ruri))
		return "malformed Request-URI";
	/* RFC 3261 19.1.1 table: no headers component in a Request-URI */
	if ((ruri->scheme == SIP_URI_SIP || ruri->scheme == SIP_URI_SIPS) && ruri->headers.len)
		return "headers in Request-URI";
	if (m->body.len && !m->count[SIP_HDR_CONTENT_TYPE])
		return "body without Content-Type";
	return NULL;
}

/* RFC 3261 8.2.2.3: the first Require tag not understood, if any. */
static bool unsupported_require(const struct sip_msg *m, const struct sip_uas_policy *pol)
{
	struct sip_hdr_iter it;
	struct tstr e;

	sip_hdr_iter_init(&it, m, SIP_HDR_REQUIRE);
	while (sip_hdr_iter_next(&it, &e))
		if (!in_list(pol->option_tags, e))
			return true;
	return false;
}

/* RFC 3261 8.2.3: a body the UAS cannot handle gets 415. */
static unsigned check_body(const struct sip_msg *m, const struct sip_uas_policy *pol,
			   const char **why)
{
	struct sip_ctype ct;
	const struct sip_hdr *enc = sip_msg_hdr(m, SIP_HDR_CONTENT_ENCODING);

	if (!m->body.len)
		return 0;
	if (sip_msg_content_type(m, &ct))
		return bad(why, "malformed Content-Type");
	if (SIP_IEQ(ct.type, "multipart")) {
		struct sip_mime_part parts[SIP_MIME_MAX_PARTS];
		unsigned n;

		if (sip_msg_multipart(m, parts, SIP_MIME_MAX_PARTS, &n))
			return bad(why, "multipart body cannot be split");
	}
	if (!in_list(pol->content_types,
		     tstr_make(ct.type.p, (size_t)(ct.subtype.p + ct.subtype.len - ct.type.p))) ||
	    (enc && !tstr_casecmp_cstr(enc->value, "identity"))) {
		if (why)
			*why = "unsupported media type";
		return SIP_UNSUPPORTED_MEDIA_TYPE;
	}
	return 0;
}

/* RFC 3261 8.2.3 / 21.4.7: an INVITE whose Accept rules out SDP cannot get
 * the SDP answer it needs (RFC 4475 3.3.15). */
static bool accepts_sdp(const struct sip_msg *m)
{
	struct sip_hdr_iter it;
	struct tstr e;

	if (!m->count[SIP_HDR_ACCEPT])
		return true;
	sip_hdr_iter_init(&it, m, SIP_HDR_ACCEPT);
	while (sip_hdr_iter_next(&it, &e)) {
		const char *semi = memchr(e.p, ';', e.len);
		struct tstr t = sip_trim(tstr_make(e.p, semi ? (size_t)(semi - e.p) : e.len));

		if (tstr_casecmp_cstr(t, "application/sdp") || tstr_casecmp_cstr(t, "*/*") ||
		    tstr_casecmp_cstr(t, "application/*"))
			return true;
	}
	return false;
}

unsigned sip_msg_check_uas(const struct sip_msg *m, const struct sip_uas_policy *pol,
			   const char **why)
{
	struct sip_uas_policy trunk;
	struct sip_cseq cseq;
	struct sip_uri ruri;
	const char *err;
	uint32_t mf;
	unsigned st;

	if (!pol) {
		sip_uas_policy_trunk(&trunk);
		pol = &trunk;
	}
	if (why)
		*why = NULL;
	if (!m->is_request)
		return 0;
	err = request_syntax(m, &cseq, &ruri);
	if (err)
		return bad(why, err);
	/* RFC 3261 8.2.1; RFC 4475 3.1.2.18 prefers 501 over the CSeq mismatch */
	if (m->meth == SIP_METHOD_OTHER) {
		if (why)
			*why = "method not implemented";
		return SIP_NOT_IMPLEMENTED;
	}
	if (!tstr_eq(cseq.method, m->method))
		return bad(why, "CSeq method does not match the request method");
	/* RFC 3261 8.2.2.1 */
	if (ruri.scheme == SIP_URI_OTHER) {
		if (why)
			*why = "unsupported Request-URI scheme";
		return SIP_UNSUPPORTED_URI_SCHEME;
	}
	if (!(pol->methods & (1u << m->meth))) {
		if (why)
			*why = "method not allowed";
		return SIP_METHOD_NOT_ALLOWED;
	}
	/* RFC 3261 16.3 item 2 applied by the B2BUA before it forwards; OPTIONS
	 * with 0 is answered by the element itself (RFC 4475 3.3.11). */
	if (m->count[SIP_HDR_MAX_FORWARDS] && sip_msg_max_forwards(m, &mf) == 0 && mf == 0 &&
	    m->meth != SIP_METHOD_OPTIONS) {
		if (why)
			*why = "Max-Forwards reached 0";
		return SIP_TOO_MANY_HOPS;
	}
	/* RFC 3261 8.2.2.3: not for CANCEL, nor for ACK */
	if (m->meth != SIP_METHOD_ACK && m->meth != SIP_METHOD_CANCEL &&
	    unsupported_require(m, pol)) {
		if (why)
			*why = "Require lists an extension not supported";
		return SIP_BAD_EXTENSION;
	}
	st = check_body(m, pol, why);
	if (st)
		return st;
	if (m->meth == SIP_METHOD_INVITE && !accepts_sdp(m)) {
		if (why)
			*why = "Accept excludes application/sdp";
		return SIP_NOT_ACCEPTABLE;
	}
	return 0;
}

int sip_msg_inspect(struct sip_msg *m, const char *buf, size_t len, bool stream,
		    const struct sip_limits *lim, const struct sip_uas_policy *pol,
		    struct sip_verdict *v)
{
	size_t mlen = len;
	int rc;

	memset(v, 0, sizeof(*v));
	if (stream) {
		rc = sip_stream_frame(buf, len, lim, &mlen);
		if (rc == -EAGAIN) {
			v->error = "incomplete message: stream needs more bytes";
			return rc;
		}
		if (rc) {
			/* learn the kind from an unframed parse to answer it */
			sip_msg_parse(m, buf, len, lim);
			v->error = rc == -EMSGSIZE ? "message exceeds limits"
						   : "no usable Content-Length on a stream";
			v->reply = m->is_request && m->method.len ? SIP_BAD_REQUEST : 0;
			return rc;
		}
	}
	rc = sip_msg_parse(m, buf, mlen, lim);
	if (rc) {
		v->error = m->error;
		v->reply = m->is_request ? m->error_status : 0;
		return rc;
	}
	v->parsed = true;
	if (!m->is_request) {
		v->valid = sip_msg_check_response(m, &v->error) == 0;
		return 0;
	}
	v->reply = sip_msg_check_uas(m, pol, &v->error);
	v->valid = v->reply != SIP_BAD_REQUEST && v->reply != SIP_VERSION_NOT_SUPPORTED &&
		   v->reply != SIP_MESSAGE_TOO_LARGE;
	return 0;
}

/* Appends to buf what fits; false once it did not. */
static bool hdr_add(char *buf, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len + n + 1 > size)
		return false;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = 0;
	return true;
}

int sip_reject_headers(const struct sip_msg *req, unsigned status, const struct sip_uas_policy *pol,
		       char *buf, size_t size)
{
	struct sip_uas_policy trunk;
	struct sip_hdr_iter it;
	struct tstr e;
	size_t len = 0;
	bool ok = true, first = true;

	if (!size)
		return -ENOSPC;
	buf[0] = 0;
	if (!pol) {
		sip_uas_policy_trunk(&trunk);
		pol = &trunk;
	}
	switch (status) {
	case SIP_METHOD_NOT_ALLOWED:
		/* RFC 3261 21.4.6: MUST list the methods supported */
		ok = hdr_add(buf, size, &len, "Allow: ", 7);
		for (unsigned k = 1; k < SIP_METHOD__NUM; k++) {
			const char *n = sip_method_name((enum sip_method)k);

			if (!(pol->methods & (1u << k)))
				continue;
			ok = ok && (first || hdr_add(buf, size, &len, ", ", 2)) &&
			     hdr_add(buf, size, &len, n, strlen(n));
			first = false;
		}
		break;
	case SIP_BAD_EXTENSION:
		/* RFC 3261 8.2.2.3 / 20.40: the Require tags not understood */
		ok = hdr_add(buf, size, &len, "Unsupported: ", 13);
		sip_hdr_iter_init(&it, req, SIP_HDR_REQUIRE);
		while (ok && sip_hdr_iter_next(&it, &e)) {
			if (!e.len || in_list(pol->option_tags, e) || sip_token_len(e) != e.len)
				continue;
			ok = (first || hdr_add(buf, size, &len, ", ", 2)) &&
			     hdr_add(buf, size, &len, e.p, e.len);
			first = false;
		}
		break;
	case SIP_UNSUPPORTED_MEDIA_TYPE:
		/* RFC 3261 8.2.3 / 21.4.13: the formats accepted */
		ok = hdr_add(buf, size, &len, "Accept: ", 8);
		for (const char *const *t = pol->content_types; ok && t && *t; t++) {
			ok = (first || hdr_add(buf, size, &len, ", ", 2)) &&
			     hdr_add(buf, size, &len, *t, strlen(*t));
			first = false;
		}
		break;
	default:
		return 0;
	}
	if (!ok || !hdr_add(buf, size, &len, "\r\n", 2)) {
		buf[0] = 0;
		return -ENOSPC;
	}
	return (int)len;
}

int sip_reject_build(char *out, size_t size, const struct sip_msg *req, unsigned status,
		     const struct sip_uas_policy *pol)
{
	char hdrs[512];
	struct sip_build_extra x = {.headers = hdrs};

	if (sip_reject_headers(req, status, pol, hdrs, sizeof(hdrs)) < 0)
		hdrs[0] = 0;
	return sip_build_reject(out, size, req, status, &x);
}
