/* SIP message parser: start line, header index, body (RFC 3261 7, 18.3). */
#include <errno.h>
#include <string.h>

#include "sip/sip_lex.h"
#include "sip/sip_msg.h"

void sip_limits_default(struct sip_limits *lim)
{
	lim->max_msg_size = 65535;
	lim->max_headers = 128;
	lim->max_line_len = 8192;
}

int sip_ulong_decode(struct tstr s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	if (!s.len)
		return -EBADMSG;
	for (i = 0; i < s.len; i++) {
		unsigned d;

		if (!sip_is_digit((unsigned char)s.p[i]))
			return -EBADMSG;
		d = (unsigned)(s.p[i] - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

struct hdr_name {
	const char *name;
	uint8_t len;
	uint8_t kind;
};

#define HN(s, k)                    \
	{                           \
		s, sizeof(s) - 1, k \
	}

/* Full names, grouped by first letter in alphabetical order (the lookup
 * below stops past its letter). */
static const struct hdr_name hdr_names[] = {
	HN("accept", SIP_HDR_ACCEPT),
	HN("allow", SIP_HDR_ALLOW),
	HN("allow-events", SIP_HDR_ALLOW_EVENTS),
	HN("authorization", SIP_HDR_AUTHORIZATION),
	HN("call-id", SIP_HDR_CALL_ID),
	HN("contact", SIP_HDR_CONTACT),
	HN("content-type", SIP_HDR_CONTENT_TYPE),
	HN("content-length", SIP_HDR_CONTENT_LENGTH),
	HN("content-disposition", SIP_HDR_CONTENT_DISPOSITION),
	HN("content-encoding", SIP_HDR_CONTENT_ENCODING),
	HN("cseq", SIP_HDR_CSEQ),
	HN("date", SIP_HDR_DATE),
	HN("diversion", SIP_HDR_DIVERSION),
	HN("expires", SIP_HDR_EXPIRES),
	HN("event", SIP_HDR_EVENT),
	HN("from", SIP_HDR_FROM),
	HN("history-info", SIP_HDR_HISTORY_INFO),
	HN("max-forwards", SIP_HDR_MAX_FORWARDS),
	HN("min-se", SIP_HDR_MIN_SE),
	HN("min-expires", SIP_HDR_MIN_EXPIRES),
	HN("p-asserted-identity", SIP_HDR_P_ASSERTED_IDENTITY),
	HN("p-preferred-identity", SIP_HDR_P_PREFERRED_IDENTITY),
	HN("privacy", SIP_HDR_PRIVACY),
	HN("proxy-require", SIP_HDR_PROXY_REQUIRE),
	HN("proxy-authenticate", SIP_HDR_PROXY_AUTHENTICATE),
	HN("proxy-authorization", SIP_HDR_PROXY_AUTHORIZATION),
	HN("route", SIP_HDR_ROUTE),
	HN("record-route", SIP_HDR_RECORD_ROUTE),
	HN("require", SIP_HDR_REQUIRE),
	HN("rseq", SIP_HDR_RSEQ),
	HN("rack", SIP_HDR_RACK),
	HN("reason", SIP_HDR_REASON),
	HN("refer-to", SIP_HDR_REFER_TO),
	HN("referred-by", SIP_HDR_REFERRED_BY),
	HN("retry-after", SIP_HDR_RETRY_AFTER),
	HN("session-expires", SIP_HDR_SESSION_EXPIRES),
	HN("supported", SIP_HDR_SUPPORTED),
	HN("subject", SIP_HDR_SUBJECT),
	HN("server", SIP_HDR_SERVER),
	HN("to", SIP_HDR_TO),
	HN("unsupported", SIP_HDR_UNSUPPORTED),
	HN("user-agent", SIP_HDR_USER_AGENT),
	HN("via", SIP_HDR_VIA),
	HN("warning", SIP_HDR_WARNING),
	HN("www-authenticate", SIP_HDR_WWW_AUTHENTICATE),
};

/* RFC 3261 7.3.3 and the registry of compact forms (RFC 3515, 3265, 4028,
 * 3841, 4474). Index: letter - 'a'. */
static const uint8_t compact_kind[26] = {
	['c' - 'a'] = SIP_HDR_CONTENT_TYPE, ['e' - 'a'] = SIP_HDR_CONTENT_ENCODING,
	['f' - 'a'] = SIP_HDR_FROM,	    ['i' - 'a'] = SIP_HDR_CALL_ID,
	['k' - 'a'] = SIP_HDR_SUPPORTED,    ['l' - 'a'] = SIP_HDR_CONTENT_LENGTH,
	['m' - 'a'] = SIP_HDR_CONTACT,	    ['o' - 'a'] = SIP_HDR_EVENT,
	['r' - 'a'] = SIP_HDR_REFER_TO,	    ['s' - 'a'] = SIP_HDR_SUBJECT,
	['t' - 'a'] = SIP_HDR_TO,	    ['u' - 'a'] = SIP_HDR_ALLOW_EVENTS,
	['v' - 'a'] = SIP_HDR_VIA,	    ['x' - 'a'] = SIP_HDR_SESSION_EXPIRES,
	['b' - 'a'] = SIP_HDR_REFERRED_BY,
};

enum sip_hdr_kind sip_hdr_kind_from_name(struct tstr name)
{
	unsigned char c0;
	size_t i;

	if (!name.len)
		return SIP_HDR_OTHER;
	c0 = (unsigned char)(name.p[0] | 0x20);
	if (c0 < 'a' || c0 > 'z')
		return SIP_HDR_OTHER;
	if (name.len == 1)
		return compact_kind[c0 - 'a'];
	for (i = 0; i < sizeof(hdr_names) / sizeof(hdr_names[0]); i++) {
		const struct hdr_name *h = &hdr_names[i];

		/* hdr_names is grouped by first letter, in alphabetical order */
		if ((unsigned char)h->name[0] > c0)
			break;
		if (h->len == name.len && (unsigned char)h->name[0] == c0 &&
		    sip_ieq(name, h->name, h->len))
			return h->kind;
	}
	return SIP_HDR_OTHER;
}

static const char *const kind_names[SIP_HDR__NUM] = {
	[SIP_HDR_OTHER] = "",
	[SIP_HDR_VIA] = "Via",
	[SIP_HDR_FROM] = "From",
	[SIP_HDR_TO] = "To",
	[SIP_HDR_CALL_ID] = "Call-ID",
	[SIP_HDR_CSEQ] = "CSeq",
	[SIP_HDR_MAX_FORWARDS] = "Max-Forwards",
	[SIP_HDR_CONTACT] = "Contact",
	[SIP_HDR_ROUTE] = "Route",
	[SIP_HDR_RECORD_ROUTE] = "Record-Route",
	[SIP_HDR_CONTENT_TYPE] = "Content-Type",
	[SIP_HDR_CONTENT_LENGTH] = "Content-Length",
	[SIP_HDR_CONTENT_DISPOSITION] = "Content-Disposition",
	[SIP_HDR_CONTENT_ENCODING] = "Content-Encoding",
	[SIP_HDR_REQUIRE] = "Require",
	[SIP_HDR_SUPPORTED] = "Supported",
	[SIP_HDR_PROXY_REQUIRE] = "Proxy-Require",
	[SIP_HDR_UNSUPPORTED] = "Unsupported",
	[SIP_HDR_ALLOW] = "Allow",
	[SIP_HDR_ACCEPT] = "Accept",
	[SIP_HDR_EXPIRES] = "Expires",
	[SIP_HDR_SESSION_EXPIRES] = "Session-Expires",
	[SIP_HDR_MIN_SE] = "Min-SE",
	[SIP_HDR_RSEQ] = "RSeq",
	[SIP_HDR_RACK] = "RAck",
	[SIP_HDR_P_ASSERTED_IDENTITY] = "P-Asserted-Identity",
	[SIP_HDR_P_PREFERRED_IDENTITY] = "P-Preferred-Identity",
	[SIP_HDR_PRIVACY] = "Privacy",
	[SIP_HDR_REASON] = "Reason",
	[SIP_HDR_DIVERSION] = "Diversion",
	[SIP_HDR_HISTORY_INFO] = "History-Info",
	[SIP_HDR_AUTHORIZATION] = "Authorization",
	[SIP_HDR_PROXY_AUTHORIZATION] = "Proxy-Authorization",
	[SIP_HDR_WWW_AUTHENTICATE] = "WWW-Authenticate",
	[SIP_HDR_PROXY_AUTHENTICATE] = "Proxy-Authenticate",
	[SIP_HDR_DATE] = "Date",
	[SIP_HDR_SUBJECT] = "Subject",
	[SIP_HDR_EVENT] = "Event",
	[SIP_HDR_REFER_TO] = "Refer-To",
	[SIP_HDR_REFERRED_BY] = "Referred-By",
	[SIP_HDR_ALLOW_EVENTS] = "Allow-Events",
	[SIP_HDR_USER_AGENT] = "User-Agent",
	[SIP_HDR_SERVER] = "Server",
	[SIP_HDR_WARNING] = "Warning",
	[SIP_HDR_RETRY_AFTER] = "Retry-After",
	[SIP_HDR_MIN_EXPIRES] = "Min-Expires",
};

const char *sip_hdr_kind_name(enum sip_hdr_kind kind)
{
	return (unsigned)kind < SIP_HDR__NUM ? kind_names[kind] : "";
}

static const char *const method_names[SIP_METHOD__NUM] = {
	[SIP_METHOD_OTHER] = "",
	[SIP_METHOD_INVITE] = "INVITE",
	[SIP_METHOD_ACK] = "ACK",
	[SIP_METHOD_BYE] = "BYE",
	[SIP_METHOD_CANCEL] = "CANCEL",
	[SIP_METHOD_OPTIONS] = "OPTIONS",
	[SIP_METHOD_REGISTER] = "REGISTER",
	[SIP_METHOD_PRACK] = "PRACK",
	[SIP_METHOD_UPDATE] = "UPDATE",
	[SIP_METHOD_INFO] = "INFO",
	[SIP_METHOD_REFER] = "REFER",
	[SIP_METHOD_SUBSCRIBE] = "SUBSCRIBE",
	[SIP_METHOD_NOTIFY] = "NOTIFY",
	[SIP_METHOD_MESSAGE] = "MESSAGE",
	[SIP_METHOD_PUBLISH] = "PUBLISH",
};

enum sip_method sip_method_from_name(struct tstr name)
{
	unsigned i;

	for (i = 1; i < SIP_METHOD__NUM; i++)
		if (tstr_eq_cstr(name, method_names[i]))
			return (enum sip_method)i;
	return SIP_METHOD_OTHER;
}

const char *sip_method_name(enum sip_method meth)
{
	return (unsigned)meth < SIP_METHOD__NUM ? method_names[meth] : "";
}

/* Position of the next line end at or after i; *eol_len gets 2 for CRLF,
 * 1 for a bare LF (tolerated, RFC 3261 7.5 is strict on senders only).
 * Returns len when there is none. */
static size_t find_eol(const char *p, size_t i, size_t len, size_t *eol_len)
{
	const char *lf = memchr(p + i, '\n', len - i);
	size_t pos;

	if (!lf)
		return len;
	pos = (size_t)(lf - p);
	if (pos > i && p[pos - 1] == '\r') {
		*eol_len = 2;
		return pos - 1;
	}
	*eol_len = 1;
	return pos;
}

static int fail(struct sip_msg *m, int rc, unsigned status, const char *why)
{
	m->error = why;
	m->error_status = status;
	return rc;
}

/* "SIP/2.0": 505 for a well-formed other version, -1 for garbage. */
static int check_version(struct tstr v)
{
	size_t i = 4, d1 = 0, d2 = 0;

	if (v.len < 7 || strncasecmp(v.p, "SIP/", 4) != 0)
		return -1;
	while (i < v.len && sip_is_digit((unsigned char)v.p[i]))
		i++, d1++;
	if (!d1 || i >= v.len || v.p[i] != '.')
		return -1;
	i++;
	while (i < v.len && sip_is_digit((unsigned char)v.p[i]))
		i++, d2++;
	if (!d2 || i != v.len)
		return -1;
	return tstr_casecmp_cstr(v, SIP_VERSION) ? 0 : SIP_VERSION_NOT_SUPPORTED;
}

/* Request-URI: scheme ":" then URI characters only (RFC 3261 25.1
 * Request-URI = SIP-URI / SIPS-URI / absoluteURI); no SP, CTL, <, >, ". */
static bool ruri_ok(struct tstr u)
{
	size_t i = 1;

	if (!u.len || !sip_is_alpha((unsigned char)u.p[0]))
		return false;
	while (i < u.len && (sip_is_alnum((unsigned char)u.p[i]) || u.p[i] == '+' ||
			     u.p[i] == '-' || u.p[i] == '.'))
		i++;
	if (i >= u.len || u.p[i] != ':')
		return false;
	for (; i < u.len; i++) {
		unsigned char c = (unsigned char)u.p[i];

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
			return false;
	}
	return true;
}

static int parse_start_line(struct sip_msg *m, struct tstr line)
{
	const char *sp1, *sp2;
	int vrc;

	sp1 = memchr(line.p, ' ', line.len);
	if (!sp1)
		return fail(m, -EBADMSG, SIP_BAD_REQUEST, "malformed start line");
	if ((size_t)(sp1 - line.p) >= 4 && strncasecmp(line.p, "SIP/", 4) == 0) {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
		struct tstr ver = tstr_make(line.p, (size_t)(sp1 - line.p));
		struct tstr rest = tstr_make(sp1 + 1, line.len - ver.len - 1);

		m->is_request = false;
		if (check_version(ver) != 0)
			return fail(m, -EBADMSG, 0, "unsupported SIP version in status line");
		/* the SP before an empty Reason-Phrase is tolerated missing */
		if (rest.len < 3 || (rest.len > 3 && rest.p[3] != ' ') ||
		    !sip_is_digit((unsigned char)rest.p[0]) ||
		    !sip_is_digit((unsigned char)rest.p[1]) ||
		    !sip_is_digit((unsigned char)rest.p[2]) || rest.p[0] < '1' || rest.p[0] > '6')
			return fail(m, -EBADMSG, 0, "malformed status code");
		m->status = (unsigned)((rest.p[0] - '0') * 100 + (rest.p[1] - '0') * 10 +
				       (rest.p[2] - '0'));
		m->reason = rest.len > 4 ? tstr_make(rest.p + 4, rest.len - 4)
					 : tstr_make(rest.p + 3, 0);
		return 0;
	}
	/* Request-Line = Method SP Request-URI SP SIP-Version: exactly two
	 * single spaces (RFC 4475 3.1.2.8-10 are rejected here). */
	m->is_request = true;
	m->method = tstr_make(line.p, (size_t)(sp1 - line.p));
	if (!m->method.len || sip_token_len(m->method) != m->method.len)
		return fail(m, -EBADMSG, SIP_BAD_REQUEST, "malformed method");
	m->meth = sip_method_from_name(m->method);
	sp2 = line.p + line.len;
	while (sp2 > sp1 && sp2[-1] != ' ')
		sp2--;
	sp2--;
	if (sp2 == sp1)
		return fail(m, -EBADMSG, SIP_BAD_REQUEST, "malformed request line");
	vrc = check_version(tstr_make(sp2 + 1, (size_t)(line.p + line.len - sp2 - 1)));
	if (vrc < 0)
		return fail(m, -EBADMSG, SIP_BAD_REQUEST, "malformed SIP version");
	m->ruri = tstr_make(sp1 + 1, (size_t)(sp2 - sp1 - 1));
	if (!ruri_ok(m->ruri))
		return fail(m, -EBADMSG, SIP_BAD_REQUEST, "malformed Request-URI");
	if (vrc == SIP_VERSION_NOT_SUPPORTED)
		return fail(m, -EBADMSG, SIP_VERSION_NOT_SUPPORTED, "SIP version not supported");
	return 0;
}

static int add_header(struct sip_msg *m, const struct sip_limits *lim, struct tstr line,
		      uint16_t *last)
{
	const char *colon = memchr(line.p, ':', line.len);
	struct sip_hdr *h;
	struct tstr name;
	unsigned k;

	if (!colon)
		return fail(m, -EBADMSG, SIP_BAD_REQUEST, "header line without colon");
	name = tstr_make(line.p, (size_t)(colon - line.p));
	/* HCOLON = *( SP / HTAB ) ":" SWS */
	while (name.len && (name.p[name.len - 1] == ' ' || name.p[name.len - 1] == '\t'))
		name.len--;
	if (!name.len || sip_token_len(name) != name.len)
		return fail(m, -EBADMSG, SIP_BAD_REQUEST, "malformed header name");
	if (m->n_hdr >= lim->max_headers || m->n_hdr >= SIP_MSG_MAX_HDRS)
		return fail(m, -EMSGSIZE, SIP_BAD_REQUEST, "too many headers");
	h = &m->hdr[m->n_hdr];
	h->name = name;
	h->value = sip_trim(tstr_make(colon + 1, (size_t)(line.p + line.len - colon - 1)));
	k = sip_hdr_kind_from_name(name);
	h->kind = (uint8_t)k;
	h->next = 0;
	m->n_hdr++;
	if (last[k])
		m->hdr[last[k] - 1].next = (uint16_t)m->n_hdr;
	else
		m->first[k] = (uint16_t)m->n_hdr;
	last[k] = (uint16_t)m->n_hdr;
	m->count[k]++;
	return 0;
}

/* Scan the header section starting at *pos. On success *pos is just past
 * the empty line. */
static int parse_headers(struct sip_msg *m, const char *p, size_t len, size_t *pos,
			 const struct sip_limits *lim)
{
	uint16_t last[SIP_HDR__NUM] = {0};
	size_t i = *pos, hstart = i;
	struct tstr cur = TSTR_NULL;

	for (;;) {
		size_t el = 0, e = find_eol(p, i, len, &el);

		if (e == len)
			return fail(m, -EBADMSG, SIP_BAD_REQUEST, "header section not terminated");
		if (e - i > lim->max_line_len)
			return fail(m, -EMSGSIZE, SIP_BAD_REQUEST, "header line too long");
		if (e == i) {
			/* the empty line */
			if (cur.p) {
				int rc = add_header(m, lim, cur, last);

				if (rc)
					return rc;
			}
			m->headers = tstr_make(p + hstart, i - hstart);
			*pos = e + el;
			return 0;
		}
		if (p[i] == ' ' || p[i] == '\t') {
			/* folded continuation (RFC 3261 7.3.1) */
			if (!cur.p)
				return fail(m, -EBADMSG, SIP_BAD_REQUEST,
					    "continuation line first");
			cur.len = e - (size_t)(cur.p - p);
		} else {
			if (cur.p) {
				int rc = add_header(m, lim, cur, last);

				if (rc)
					return rc;
			}
			cur = tstr_make(p + i, e - i);
		}
		i = e + el;
	}
}

int sip_msg_parse(struct sip_msg *m, const char *buf, size_t len, const struct sip_limits *lim)
{
	struct sip_limits dl;
	size_t i = 0, el = 0, e, rest;
	const struct sip_hdr *cl;
	int rc;

	if (!lim) {
		sip_limits_default(&dl);
		lim = &dl;
	}
	m->buf = buf;
	m->is_request = false;
	m->method = m->ruri = m->reason = m->headers = m->body = TSTR_NULL;
	m->meth = SIP_METHOD_OTHER;
	m->status = 0;
	m->content_length = -1;
	m->n_hdr = 0;
	memset(m->first, 0, sizeof(m->first));
	memset(m->count, 0, sizeof(m->count));
	m->error = NULL;
	m->error_status = 0;
	m->len = 0;

	if (len > lim->max_msg_size)
		return fail(m, -EMSGSIZE, SIP_MESSAGE_TOO_LARGE, "message too large");
	/* RFC 3261 7.5: ignore CRLFs before the start line. */
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	e = find_eol(buf, i, len, &el);
	if (e == len)
		return fail(m, -EBADMSG, SIP_BAD_REQUEST, "no start line");
	if (e - i > lim->max_line_len)
		return fail(m, -EMSGSIZE, SIP_BAD_REQUEST, "start line too long");
	rc = parse_start_line(m, tstr_make(buf + i, e - i));
	if (rc) {
		/* a request refused for its start line (505, 400) is still
		 * answered: index what headers there are (Via above all) for
		 * the response to copy; the first error stays the verdict */
		if (m->is_request && m->error_status) {
			const char *why = m->error;
			unsigned st = m->error_status;
			size_t j = e + el;

			(void)parse_headers(m, buf, len, &j, lim);
			m->error = why;
			m->error_status = st;
		}
		return rc;
	}
	i = e + el;
	rc = parse_headers(m, buf, len, &i, lim);
	if (rc)
		return rc;

	rest = len - i;
	cl = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH);
	if (cl) {
		unsigned long v;

		/* RFC 4475 3.3.9: conflicting Content-Lengths cannot be framed. */
		if (m->count[SIP_HDR_CONTENT_LENGTH] > 1)
			return fail(m, -EBADMSG, SIP_BAD_REQUEST, "multiple Content-Length");
		if (sip_ulong_decode(cl->value, lim->max_msg_size, &v))
			return fail(m, -EBADMSG, SIP_BAD_REQUEST, "bad Content-Length");
		if (v > rest)
			return fail(m, -EBADMSG, SIP_BAD_REQUEST,
				    "Content-Length larger than the body received");
		m->content_length = (long)v;
		rest = v;
	}
	m->body = tstr_make(buf + i, rest);
	m->len = i + rest;
	return 0;
}

int sip_stream_frame(const char *buf, size_t len, const struct sip_limits *lim, size_t *msg_len)
{
	struct sip_limits dl;
	size_t i = 0, line = 0, hdr_end = 0, el = 0;
	long clen = -1;

	if (!lim) {
		sip_limits_default(&dl);
		lim = &dl;
	}
	while (i < len && (buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (i == len) {
		/* only keep-alive CRLFs so far: hand them over as a frame */
		if (!len)
			return -EAGAIN;
		*msg_len = len;
		return 0;
	}
	line = i;
	for (;;) {
		size_t e = find_eol(buf, line, len, &el);

		if (e == len) {
			if (len - line > lim->max_line_len || len > lim->max_msg_size)
				return -EMSGSIZE;
			return -EAGAIN;
		}
		if (e - line > lim->max_line_len)
			return -EMSGSIZE;
		if (e == line) {
			hdr_end = e + el;
			break;
		}
		if (line > i && buf[line] != ' ' && buf[line] != '\t') {
			const char *colon = memchr(buf + line, ':', e - line);
			struct tstr name;

			if (!colon)
				return -EBADMSG;
			name = sip_trim(tstr_make(buf + line, (size_t)(colon - buf - line)));
			if (sip_hdr_kind_from_name(name) == SIP_HDR_CONTENT_LENGTH) {
				unsigned long v;
				/* the value may be folded: take this line only,
				 * folding inside a number is not legal anyway */
				struct tstr val = sip_trim(
					tstr_make(colon + 1, (size_t)(buf + e - colon - 1)));

				if (clen >= 0 || sip_ulong_decode(val, lim->max_msg_size, &v))
					return -EBADMSG;
				clen = (long)v;
			}
		}
		line = e + el;
	}
	if (clen < 0)
		return -EBADMSG;
	if (hdr_end + (size_t)clen > lim->max_msg_size)
		return -EMSGSIZE;
	if (len < hdr_end + (size_t)clen)
		return -EAGAIN;
	*msg_len = hdr_end + (size_t)clen;
	return 0;
}

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_kind kind)
{
	unsigned i = (unsigned)kind < SIP_HDR__NUM ? m->first[kind] : 0;

	return i ? &m->hdr[i - 1] : NULL;
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h)
{
	return h->next ? &m->hdr[h->next - 1] : NULL;
}

const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m, const char *name)
{
	unsigned i;

	for (i = 0; i < m->n_hdr; i++)
		if (tstr_casecmp_cstr(m->hdr[i].name, name))
			return &m->hdr[i];
	return NULL;
}

void sip_hdr_iter_init(struct sip_hdr_iter *it, const struct sip_msg *m, enum sip_hdr_kind kind)
{
	it->m = m;
	it->h = sip_msg_hdr(m, kind);
	it->rest = it->h ? it->h->value : TSTR_NULL;
}

bool sip_hdr_iter_next(struct sip_hdr_iter *it, struct tstr *elem)
{
	size_t i = 0;
	bool angle = false;

	while (it->h && !it->rest.p) {
		it->h = sip_msg_hdr_next(it->m, it->h);
		it->rest = it->h ? it->h->value : TSTR_NULL;
	}
	if (!it->h)
		return false;
	while (i < it->rest.len) {
		char c = it->rest.p[i];

		if (c == '"' && !angle) {
			size_t q = sip_quoted_len(sip_advance(it->rest, i));

			i += q ? q : it->rest.len - i;
			continue;
		}
		if (c == '<')
			angle = true;
		else if (c == '>')
			angle = false;
		else if (c == ',' && !angle)
			break;
		i++;
	}
	*elem = sip_trim(tstr_make(it->rest.p, i));
	if (i < it->rest.len)
		it->rest = sip_advance(it->rest, i + 1);
	else
		it->rest = TSTR_NULL;
	return true;
}

unsigned sip_msg_count(const struct sip_msg *m, enum sip_hdr_kind kind)
{
	struct sip_hdr_iter it;
	struct tstr e;
	unsigned n = 0;

	sip_hdr_iter_init(&it, m, kind);
	while (sip_hdr_iter_next(&it, &e))
		n++;
	return n;
}
