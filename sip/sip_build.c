/* SIP message builder: responses, ACK, CANCEL, in-dialog requests. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <talloc.h>

#include "sip/sip_build.h"
#include "sip/sip_hdr.h"
#include "sip/sip_lex.h"

struct wbuf {
	char *p;
	size_t size, len;
	bool full;
};

static void put_mem(struct wbuf *b, const char *s, size_t n)
{
	if (b->full || b->size - b->len < n) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void __attribute__((format(printf, 2, 3))) put(struct wbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->size - b->len)
		b->full = true;
	else
		b->len += (size_t)n;
}

/* A header value with every fold (CRLF + white space) written as one SP:
 * RFC 3261 7.3.1 makes them equivalent and receivers of our messages need
 * no unfolding. */
static void put_value(struct wbuf *b, struct tstr v)
{
	size_t i = 0;

	while (i < v.len) {
		size_t j = i;

		while (j < v.len && v.p[j] != '\r' && v.p[j] != '\n')
			j++;
		put_mem(b, v.p + i, j - i);
		if (j == v.len)
			break;
		while (j < v.len && sip_is_lws((unsigned char)v.p[j]))
			j++;
		put_mem(b, " ", 1);
		i = j;
	}
}

static void put_header(struct wbuf *b, const char *name, struct tstr v)
{
	put(b, "%s: ", name);
	put_value(b, v);
	put_mem(b, "\r\n", 2);
}

static void put_all(struct wbuf *b, const struct sip_msg *m, enum sip_hdr_kind k)
{
	const struct sip_hdr *h;

	for (h = sip_msg_hdr(m, k); h; h = sip_msg_hdr_next(m, h))
		put_header(b, sip_hdr_kind_name(k), h->value);
}

static int finish(struct wbuf *b, const struct sip_build_extra *x)
{
	size_t blen = x ? x->body_len : 0;

	if (x && x->headers)
		put(b, "%s", x->headers);
	if (blen) {
		if (!x->content_type || !x->body)
			return -EINVAL;
		put(b, "Content-Type: %s\r\n", x->content_type);
	}
	put(b, "Content-Length: %zu\r\n\r\n", blen);
	if (blen)
		put_mem(b, x->body, blen);
	return b->full ? -ENOSPC : (int)b->len;
}

const char *sip_reason_phrase(unsigned status)
{
	switch (status) {
	case 100:
		return "Trying";
	case 180:
		return "Ringing";
	case 181:
		return "Call Is Being Forwarded";
	case 182:
		return "Queued";
	case 183:
		return "Session Progress";
	case 200:
		return "OK";
	case 202:
		return "Accepted";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 406:
		return "Not Acceptable";
	case 407:
		return "Proxy Authentication Required";
	case 408:
		return "Request Timeout";
	case 413:
		return "Request Entity Too Large";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Unsupported URI Scheme";
	case 420:
		return "Bad Extension";
	case 421:
		return "Extension Required";
	case 422:
		return "Session Interval Too Small";
	case 480:
		return "Temporarily Unavailable";
	case 481:
		return "Call/Transaction Does Not Exist";
	case 482:
		return "Loop Detected";
	case 483:
		return "Too Many Hops";
	case 484:
		return "Address Incomplete";
	case 486:
		return "Busy Here";
	case 487:
		return "Request Terminated";
	case 488:
		return "Not Acceptable Here";
	case 491:
		return "Request Pending";
	case 500:
		return "Server Internal Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Server Time-out";
	case 505:
		return "Version Not Supported";
	case 513:
		return "Message Too Large";
	case 600:
		return "Busy Everywhere";
	case 603:
		return "Decline";
	case 604:
		return "Does Not Exist Anywhere";
	}
	return "";
}

int sip_build_response(char *out, size_t size, const struct sip_msg *req, unsigned status,
		       const char *reason, const char *to_tag, const struct sip_build_extra *extra)
{
	struct wbuf b = {out, size, 0, false};
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	struct sip_nameaddr na;
	struct sip_cseq cs;

	if (!req->is_request || status < 100 || status > 699 || !to ||
	    !sip_msg_hdr(req, SIP_HDR_FROM) || !sip_msg_hdr(req, SIP_HDR_CALL_ID) ||
	    !req->count[SIP_HDR_VIA] || sip_msg_cseq(req, &cs))
		return -EINVAL;
	put(&b, "SIP/2.0 %u %s\r\n", status, reason ? reason : sip_reason_phrase(status));
	put_all(&b, req, SIP_HDR_VIA);
	if (status > 100 && status < 300)
		put_all(&b, req, SIP_HDR_RECORD_ROUTE);
	put_header(&b, "From", sip_msg_hdr(req, SIP_HDR_FROM)->value);
	put(&b, "To: ");
	put_value(&b, to->value);
	/* RFC 3261 8.2.6.2: a UAS adds a To tag unless the request had one;
	 * a 100 Trying may go without */
	if (status > 100 && to_tag && sip_nameaddr_decode(to->value, &na) == 0 && !na.tag.p)
		put(&b, ";tag=%s", to_tag);
	put_mem(&b, "\r\n", 2);
	put_header(&b, "Call-ID", sip_msg_hdr(req, SIP_HDR_CALL_ID)->value);
	put(&b, "CSeq: %u %.*s\r\n", cs.num, TSTR_FMT(cs.method));
	return finish(&b, extra);
}

/* FNV-1a over the top Via and the Call-ID: the same request (and its
 * retransmissions) gets the same To tag from a stateless answer. */
static uint32_t reject_tag(const struct sip_msg *req)
{
	const struct sip_hdr *hs[2] = {sip_msg_hdr(req, SIP_HDR_VIA),
				       sip_msg_hdr(req, SIP_HDR_CALL_ID)};
	uint32_t h = 2166136261u;

	for (unsigned k = 0; k < 2; k++)
		for (size_t i = 0; hs[k] && i < hs[k]->value.len; i++)
			h = (h ^ (uint8_t)hs[k]->value.p[i]) * 16777619u;
	return h;
}

int sip_build_reject(char *out, size_t size, const struct sip_msg *req, unsigned status,
		     const struct sip_build_extra *extra)
{
	struct wbuf b = {out, size, 0, false};
	const struct sip_hdr *to = sip_msg_hdr(req, SIP_HDR_TO);
	const struct sip_hdr *from = sip_msg_hdr(req, SIP_HDR_FROM);
	const struct sip_hdr *cid = sip_msg_hdr(req, SIP_HDR_CALL_ID);
	const struct sip_hdr *cseq = sip_msg_hdr(req, SIP_HDR_CSEQ);
	struct sip_nameaddr na;

	/* the Via list routes the response (RFC 3261 18.2.2): without it
	 * there is no one to answer */
	if (!req->is_request || status < 300 || status > 699 || !req->count[SIP_HDR_VIA])
		return -EINVAL;
	put(&b, "SIP/2.0 %u %s\r\n", status, sip_reason_phrase(status));
	put_all(&b, req, SIP_HDR_VIA);
	if (from)
		put_header(&b, "From", from->value);
	if (to) {
		put(&b, "To: ");
		put_value(&b, to->value);
		/* RFC 3261 8.2.6.2: a tag unless the request had one (a To that
		 * does not decode gets none: it is copied as received) */
		if (sip_nameaddr_decode(to->value, &na) == 0 && !na.tag.p)
			put(&b, ";tag=r%08x", reject_tag(req));
		put_mem(&b, "\r\n", 2);
	}
	if (cid)
		put_header(&b, "Call-ID", cid->value);
	if (cseq)
		put_header(&b, "CSeq", cseq->value);
	return finish(&b, extra);
}

char *sip_build_response_talloc(void *ctx, const struct sip_msg *req, unsigned status,
				const char *reason, const char *to_tag,
				const struct sip_build_extra *extra, size_t *len)
{
	/* the copied headers can only shrink (folds become one SP); the rest
	 * is bounded by what the caller passes */
	size_t size = req->headers.len + 256 + (reason ? strlen(reason) : 0) +
		      (to_tag ? strlen(to_tag) : 0);
	char *out;
	int n;

	if (extra)
		size += (extra->headers ? strlen(extra->headers) : 0) +
			(extra->content_type ? strlen(extra->content_type) : 0) + extra->body_len;
	out = talloc_size(ctx, size + 1);
	if (!out)
		return NULL;
	n = sip_build_response(out, size, req, status, reason, to_tag, extra);
	if (n < 0) {
		talloc_free(out);
		return NULL;
	}
	out[n] = 0;
	*len = (size_t)n;
	return out;
}

int sip_build_ack_non2xx(char *out, size_t size, const struct sip_msg *invite,
			 const struct sip_msg *resp)
{
	struct wbuf b = {out, size, 0, false};
	const struct sip_hdr *to = sip_msg_hdr(resp, SIP_HDR_TO);
	struct sip_cseq cs;
	struct tstr via;

	if (!invite->is_request || invite->meth != SIP_METHOD_INVITE || resp->is_request ||
	    resp->status < 300 || !to || sip_msg_cseq(invite, &cs) ||
	    sip_msg_elem(invite, SIP_HDR_VIA, 0, &via) || !sip_msg_hdr(invite, SIP_HDR_FROM) ||
	    !sip_msg_hdr(invite, SIP_HDR_CALL_ID))
		return -EINVAL;
	put(&b, "ACK %.*s SIP/2.0\r\n", TSTR_FMT(invite->ruri));
	put_header(&b, "Via", via);
	put_all(&b, invite, SIP_HDR_ROUTE);
	put(&b, "Max-Forwards: %d\r\n", SIP_MAX_FORWARDS_DEFAULT);
	put_header(&b, "From", sip_msg_hdr(invite, SIP_HDR_FROM)->value);
	put_header(&b, "To", to->value);
	put_header(&b, "Call-ID", sip_msg_hdr(invite, SIP_HDR_CALL_ID)->value);
	put(&b, "CSeq: %u ACK\r\n", cs.num);
	return finish(&b, NULL);
}

int sip_build_cancel(char *out, size_t size, const struct sip_msg *req)
{
	struct wbuf b = {out, size, 0, false};
	struct sip_cseq cs;
	struct tstr via;

	if (!req->is_request || req->meth == SIP_METHOD_ACK || req->meth == SIP_METHOD_CANCEL ||
	    sip_msg_cseq(req, &cs) || sip_msg_elem(req, SIP_HDR_VIA, 0, &via) ||
	    !sip_msg_hdr(req, SIP_HDR_FROM) || !sip_msg_hdr(req, SIP_HDR_TO) ||
	    !sip_msg_hdr(req, SIP_HDR_CALL_ID))
		return -EINVAL;
	put(&b, "CANCEL %.*s SIP/2.0\r\n", TSTR_FMT(req->ruri));
	put_header(&b, "Via", via);
	put_all(&b, req, SIP_HDR_ROUTE);
	put(&b, "Max-Forwards: %d\r\n", SIP_MAX_FORWARDS_DEFAULT);
	put_header(&b, "From", sip_msg_hdr(req, SIP_HDR_FROM)->value);
	put_header(&b, "To", sip_msg_hdr(req, SIP_HDR_TO)->value);
	put_header(&b, "Call-ID", sip_msg_hdr(req, SIP_HDR_CALL_ID)->value);
	put(&b, "CSeq: %u CANCEL\r\n", cs.num);
	return finish(&b, NULL);
}

int sip_build_request(char *out, size_t size, const struct sip_req_spec *s,
		      const struct sip_build_extra *extra)
{
	struct wbuf b = {out, size, 0, false};
	bool v6 = s->via_host.len && memchr(s->via_host.p, ':', s->via_host.len);
	unsigned i;

	if (!s->method || !s->method[0] || !s->ruri.len || !s->from.len || !s->to.len ||
	    !s->from_tag.len || !s->call_id.len || !s->via_transport || !s->via_host.len ||
	    s->branch.len <= strlen(SIP_BRANCH_MAGIC) ||
	    strncmp(s->branch.p, SIP_BRANCH_MAGIC, strlen(SIP_BRANCH_MAGIC)) != 0 ||
	    s->cseq > 0x7fffffffu)
		return -EINVAL;
	put(&b, "%s %.*s SIP/2.0\r\n", s->method, TSTR_FMT(s->ruri));
	put(&b, "Via: SIP/2.0/%s %s%.*s%s", s->via_transport, v6 ? "[" : "", TSTR_FMT(s->via_host),
	    v6 ? "]" : "");
	if (s->via_port)
		put(&b, ":%u", s->via_port);
	put(&b, ";branch=%.*s\r\n", TSTR_FMT(s->branch));
	for (i = 0; i < s->n_routes; i++)
		put(&b, "Route: <%.*s>\r\n", TSTR_FMT(s->routes[i]));
	put(&b, "Max-Forwards: %u\r\n",
	    s->max_forwards ? s->max_forwards : SIP_MAX_FORWARDS_DEFAULT);
	put(&b, "From: <%.*s>;tag=%.*s\r\n", TSTR_FMT(s->from), TSTR_FMT(s->from_tag));
	put(&b, "To: <%.*s>", TSTR_FMT(s->to));
	if (s->to_tag.len)
		put(&b, ";tag=%.*s", TSTR_FMT(s->to_tag));
	put(&b, "\r\nCall-ID: %.*s\r\nCSeq: %u %s\r\n", TSTR_FMT(s->call_id), s->cseq, s->method);
	if (s->contact.len)
		put(&b, "Contact: <%.*s>\r\n", TSTR_FMT(s->contact));
	return finish(&b, extra);
}
