/* SDP parser (RFC 8866). Strict on structure, tolerant of unknown lines. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sip/sdp.h"

struct sdp_pctx {
	struct sdp_session *s;
	const char *reason;
};

#define FAIL(ctx, why)                 \
	do {                           \
		(ctx)->reason = (why); \
		return -EBADMSG;       \
	} while (0)

/* Split off the next space-separated token (RFC 8866 uses exactly one SP,
 * we accept runs of SP/HTAB as many implementations emit them). */
static bool next_tok(struct tstr *rest, struct tstr *tok)
{
	const char *p = rest->p, *end = rest->p + rest->len;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end)
		return false;
	tok->p = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	tok->len = (size_t)(p - tok->p);
	rest->len = (size_t)(end - p);
	rest->p = p;
	return true;
}

static bool rest_empty(struct tstr rest)
{
	struct tstr t;

	return !next_tok(&rest, &t);
}

/* Decimal without sign, up to max. */
static bool tstr_to_uint(struct tstr t, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (t.len == 0 || t.len > 10)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		if (t.p[i] < '0' || t.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t.p[i] - '0');
	}
	if (v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool all_digits(struct tstr t)
{
	if (t.len == 0)
		return false;
	for (size_t i = 0; i < t.len; i++)
		if (t.p[i] < '0' || t.p[i] > '9')
			return false;
	return true;
}

/* <nettype> <addrtype> <address>: RFC 8866 5.7. For IP4/IP6 unicast a TTL or
 * count suffix is not allowed; we do not do multicast. */
static int parse_conn(struct sdp_pctx *ctx, struct tstr rest, struct sdp_conn *c)
{
	struct tstr net, at, addr;
	char tmp[SDP_ADDR_MAX];
	unsigned char bin[16];

	if (!next_tok(&rest, &net) || !next_tok(&rest, &at) || !next_tok(&rest, &addr) ||
	    !rest_empty(rest))
		FAIL(ctx, "connection data needs <nettype> <addrtype> <address>");
	if (!tstr_eq_cstr(net, "IN"))
		FAIL(ctx, "connection nettype is not IN");
	if (tstr_eq_cstr(at, "IP4"))
		c->type = SDP_ADDR_IP4;
	else if (tstr_eq_cstr(at, "IP6"))
		c->type = SDP_ADDR_IP6;
	else
		FAIL(ctx, "connection addrtype is not IP4 or IP6");
	if (addr.len >= sizeof(tmp))
		FAIL(ctx, "connection address too long");
	tstr_to_buf(addr, tmp, sizeof(tmp));
	c->addr = addr;
	c->numeric = inet_pton(c->type == SDP_ADDR_IP4 ? AF_INET : AF_INET6, tmp, bin) == 1;
	if (!c->numeric) {
		/* RFC 8866 5.7 allows an FQDN; a multicast TTL suffix is not supported. */
		for (size_t i = 0; i < addr.len; i++) {
			char ch = addr.p[i];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
			      (c->type == SDP_ADDR_IP6 && ch == ':')))
				FAIL(ctx,
				     "connection address is neither an IP literal nor an FQDN");
		}
	}
	c->unspecified =
		c->numeric && ((c->type == SDP_ADDR_IP4 && memcmp(bin, "\0\0\0\0", 4) == 0) ||
			       (c->type == SDP_ADDR_IP6 &&
				memcmp(bin, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0));
	c->present = true;
	return 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address> */
static int parse_origin(struct sdp_pctx *ctx, struct tstr rest)
{
	struct sdp_session *s = ctx->s;

	if (!next_tok(&rest, &s->o_user) || !next_tok(&rest, &s->o_sess_id) ||
	    !next_tok(&rest, &s->o_sess_version))
		FAIL(ctx, "o= line has too few fields");
	if (!all_digits(s->o_sess_id) || !all_digits(s->o_sess_version))
		FAIL(ctx, "o= sess-id/sess-version not numeric");
	return parse_conn(ctx, rest, &s->o_addr);
}

/* m=<media> <port>[/<number of ports>] <proto> <fmt> ... */
static int parse_media(struct sdp_pctx *ctx, struct tstr rest, struct sdp_media *m)
{
	struct tstr port, fmt;
	uint32_t v;
	const char *slash;

	if (!next_tok(&rest, &m->type) || !next_tok(&rest, &port) || !next_tok(&rest, &m->proto))
		FAIL(ctx, "m= line has too few fields");
	m->nports = 1;
	slash = memchr(port.p, '/', port.len);
	if (slash) {
		struct tstr n = tstr_make(slash + 1, (size_t)(port.p + port.len - slash - 1));

		if (!tstr_to_uint(n, 65535, &v) || v == 0)
			FAIL(ctx, "m= number of ports invalid");
		m->nports = (uint16_t)v;
		port.len = (size_t)(slash - port.p);
	}
	if (!tstr_to_uint(port, 65535, &v))
		FAIL(ctx, "m= port invalid");
	m->port = (uint16_t)v;
	/* Format list: whatever follows the proto, trimmed. */
	while (rest.len && (rest.p[0] == ' ' || rest.p[0] == '\t')) {
		rest.p++;
		rest.len--;
	}
	while (rest.len && (rest.p[rest.len - 1] == ' ' || rest.p[rest.len - 1] == '\t'))
		rest.len--;
	if (rest.len == 0)
		FAIL(ctx, "m= line has no format");
	m->fmt_list = rest;
	m->rtp = tstr_eq_cstr(m->proto, "RTP/AVP") || tstr_eq_cstr(m->proto, "RTP/AVPF") ||
		 tstr_eq_cstr(m->proto, "RTP/SAVP") || tstr_eq_cstr(m->proto, "RTP/SAVPF");
	if (!m->rtp)
		return 0;
	/* RFC 3551: RTP formats are payload type numbers 0..127. */
	while (next_tok(&rest, &fmt)) {
		if (!tstr_to_uint(fmt, 127, &v))
			FAIL(ctx, "m= RTP format is not a payload type 0..127");
		for (unsigned i = 0; i < m->n_fmt; i++)
			if (m->fmt[i].pt == v)
				FAIL(ctx, "m= payload type listed twice");
		if (m->n_fmt == SDP_MAX_FMT) {
			ctx->reason = "too many payload types on one m= line";
			return -E2BIG;
		}
		m->fmt[m->n_fmt++].pt = (uint8_t)v;
	}
	return 0;
}

static struct sdp_fmt *find_fmt(struct sdp_media *m, struct tstr pt)
{
	uint32_t v;

	if (!tstr_to_uint(pt, 127, &v))
		return NULL;
	for (unsigned i = 0; i < m->n_fmt; i++)
		if (m->fmt[i].pt == v)
			return &m->fmt[i];
	return NULL;
}

/* a=rtpmap:<pt> <encoding name>/<clock rate>[/<channels>] (RFC 8866 6.6) */
static int parse_rtpmap(struct sdp_pctx *ctx, struct sdp_media *m, struct tstr v)
{
	struct tstr pt, enc, part;
	struct sdp_fmt *f;
	const char *p, *end;
	uint32_t n;

	if (!next_tok(&v, &pt) || !next_tok(&v, &enc) || !rest_empty(v))
		FAIL(ctx, "a=rtpmap needs <pt> <encoding>/<rate>");
	f = find_fmt(m, pt);
	if (!f) {
		/* RFC 8866 6.6 ties rtpmap to a listed format; an unlisted one is
		 * harmless, ignore it (common with some SBCs). */
		if (!all_digits(pt))
			FAIL(ctx, "a=rtpmap payload type not numeric");
		return 0;
	}
	if (f->has_rtpmap)
		FAIL(ctx, "a=rtpmap repeated for a payload type");
	end = enc.p + enc.len;
	p = memchr(enc.p, '/', enc.len);
	if (!p || p == enc.p)
		FAIL(ctx, "a=rtpmap encoding without clock rate");
	f->enc = tstr_make(enc.p, (size_t)(p - enc.p));
	part.p = p + 1;
	p = memchr(part.p, '/', (size_t)(end - part.p));
	part.len = (size_t)((p ? p : end) - part.p);
	if (!tstr_to_uint(part, 10000000, &n) || n == 0)
		FAIL(ctx, "a=rtpmap clock rate invalid");
	f->rate = n;
	f->channels = 1;
	if (p) {
		part = tstr_make(p + 1, (size_t)(end - p - 1));
		if (!tstr_to_uint(part, 255, &n) || n == 0)
			FAIL(ctx, "a=rtpmap channels invalid");
		f->channels = (uint8_t)n;
	}
	f->has_rtpmap = true;
	return 0;
}

static int parse_fmtp(struct sdp_pctx *ctx, struct sdp_media *m, struct tstr v)
{
	struct tstr pt;
	struct sdp_fmt *f;

	if (!next_tok(&v, &pt))
		FAIL(ctx, "a=fmtp without payload type");
	while (v.len && (v.p[0] == ' ' || v.p[0] == '\t')) {
		v.p++;
		v.len--;
	}
	f = find_fmt(m, pt);
	if (f)
		f->fmtp = v;
	return 0;
}

/* ptime/maxptime (RFC 8866 6.4, 6.5): integer ms; "20.0" is seen in the wild. */
static int parse_ms(struct sdp_pctx *ctx, struct tstr v, unsigned *out)
{
	uint32_t n;
	const char *dot = memchr(v.p, '.', v.len);

	if (dot) {
		struct tstr frac = tstr_make(dot + 1, (size_t)(v.p + v.len - dot - 1));

		if (!all_digits(frac))
			FAIL(ctx, "a=ptime/maxptime not a number");
		v.len = (size_t)(dot - v.p);
	}
	if (!tstr_to_uint(v, 10000, &n) || n == 0)
		FAIL(ctx, "a=ptime/maxptime not a number 1..10000");
	*out = n;
	return 0;
}

/* a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605 2.1) */
static int parse_rtcp(struct sdp_pctx *ctx, struct sdp_media *m, struct tstr v)
{
	struct tstr port;
	uint32_t n;

	if (!next_tok(&v, &port) || !tstr_to_uint(port, 65535, &n))
		FAIL(ctx, "a=rtcp port invalid");
	m->rtcp_port = (uint16_t)n;
	m->has_rtcp = true;
	if (rest_empty(v))
		return 0;
	return parse_conn(ctx, v, &m->rtcp_c);
}

static int parse_attr(struct sdp_pctx *ctx, struct sdp_media *m, struct tstr v)
{
	const char *colon = memchr(v.p, ':', v.len);
	struct tstr name = tstr_make(v.p, colon ? (size_t)(colon - v.p) : v.len);
	struct tstr val = colon ? tstr_make(colon + 1, (size_t)(v.p + v.len - colon - 1))
				: tstr_make(v.p + v.len, 0);
	enum sdp_dir *dir = m ? &m->dir : &ctx->s->dir;
	bool *dir_set = m ? &m->dir_set : &ctx->s->dir_set;
	static const char *const dirs[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

	if (name.len == 0)
		FAIL(ctx, "a= attribute without name");
	for (unsigned i = 0; i < 4; i++) {
		if (!colon && tstr_eq_cstr(name, dirs[i])) {
			/* RFC 3264 5.1: one direction per level. */
			if (*dir_set)
				FAIL(ctx, "more than one direction attribute");
			*dir = (enum sdp_dir)i;
			*dir_set = true;
			return 0;
		}
	}
	if (!m || !m->rtp)
		return 0;
	if (!colon && tstr_eq_cstr(name, "rtcp-mux")) {
		m->rtcp_mux = true;
		return 0;
	}
	if (tstr_eq_cstr(name, "rtpmap"))
		return parse_rtpmap(ctx, m, val);
	if (tstr_eq_cstr(name, "fmtp"))
		return parse_fmtp(ctx, m, val);
	if (tstr_eq_cstr(name, "ptime"))
		return parse_ms(ctx, val, &m->ptime);
	if (tstr_eq_cstr(name, "maxptime"))
		return parse_ms(ctx, val, &m->maxptime);
	if (tstr_eq_cstr(name, "rtcp"))
		return parse_rtcp(ctx, m, val);
	return 0;
}

/* RFC 8866 9: v o s [i] [u] [e*] [p*] [c] [b*] (t [r*])+ [z] [k] [a*] (m ...)*.
 * We enforce v,o,s first and a t= before the first m=; other session lines
 * may come in any order (RFC 8866 5 asks parsers to be lenient there). */
static int parse_lines(struct sdp_pctx *ctx, const char *buf, size_t len)
{
	struct sdp_session *s = ctx->s;
	const char *p = buf, *end = buf + len;
	unsigned line_no = 0;
	bool have_t = false;
	struct sdp_media *m = NULL;
	int rc;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *lend = eol ? eol : end;
		struct tstr v;
		char type;

		if (lend > p && lend[-1] == '\r')
			lend--;
		if (lend == p) {
			/* Blank lines are only tolerated at the very end. */
			for (const char *q = p; q < end; q++)
				if (*q != '\r' && *q != '\n')
					FAIL(ctx, "empty line inside SDP");
			break;
		}
		if (lend - p < 2 || p[1] != '=')
			FAIL(ctx, "line is not <type>=<value>");
		type = p[0];
		v = tstr_make(p + 2, (size_t)(lend - p - 2));
		for (size_t i = 0; i < v.len; i++)
			if (v.p[i] == '\0' || v.p[i] == '\r')
				FAIL(ctx, "NUL or stray CR in a line");
		p = eol ? eol + 1 : end;
		line_no++;

		if (line_no == 1) {
			if (type != 'v' || !tstr_eq_cstr(v, "0"))
				FAIL(ctx, "first line is not v=0");
			continue;
		}
		if (line_no == 2 && type != 'o')
			FAIL(ctx, "second line is not o=");
		if (line_no == 3 && type != 's')
			FAIL(ctx, "third line is not s=");
		switch (type) {
		case 'v':
			FAIL(ctx, "v= repeated");
		case 'o':
			if (line_no != 2)
				FAIL(ctx, "o= repeated");
			rc = parse_origin(ctx, v);
			break;
		case 's':
			if (line_no != 3)
				FAIL(ctx, "s= repeated");
			/* RFC 8866 5.3: s= must not be empty; "s= " is the documented
			 * fallback, and bare "s=" is common, so allow it. */
			s->name = v;
			rc = 0;
			break;
		case 'c':
			if (m ? m->c.present : s->c.present)
				FAIL(ctx, "c= repeated at the same level");
			rc = parse_conn(ctx, v, m ? &m->c : &s->c);
			break;
		case 't': {
			struct tstr a, b;

			if (m)
				FAIL(ctx, "t= after m=");
			if (!next_tok(&v, &a) || !next_tok(&v, &b) || !rest_empty(v) ||
			    !all_digits(a) || !all_digits(b))
				FAIL(ctx, "t= needs <start> <stop>");
			have_t = true;
			rc = 0;
			break;
		}
		case 'm':
			if (!have_t)
				FAIL(ctx, "m= before any t=");
			if (s->n_media == SDP_MAX_MEDIA) {
				ctx->reason = "too many m= lines";
				return -E2BIG;
			}
			m = &s->m[s->n_media++];
			rc = parse_media(ctx, v, m);
			break;
		case 'a':
			rc = parse_attr(ctx, m, v);
			break;
		case 'b':
			if (!memchr(v.p, ':', v.len))
				FAIL(ctx, "b= without <bwtype>:<bandwidth>");
			rc = 0;
			break;
		case 'i':
		case 'u':
		case 'e':
		case 'p':
		case 'r':
		case 'z':
		case 'k':
			rc = 0;
			break;
		default:
			/* RFC 8866 5: unknown type letters are ignored; anything else is not SDP.
			 */
			if (type < 'a' || type > 'z')
				FAIL(ctx, "line type is not a lower-case letter");
			rc = 0;
			break;
		}
		if (rc)
			return rc;
	}
	if (line_no < 3)
		FAIL(ctx, "missing v=, o= or s=");
	if (!have_t)
		FAIL(ctx, "missing t=");
	/* RFC 8866 5.7: c= at session level or in every m= section. */
	for (unsigned i = 0; i < s->n_media; i++)
		if (!s->c.present && !s->m[i].c.present)
			FAIL(ctx, "m= section without c= and no session c=");
	return 0;
}

int sdp_decode(struct sdp_session *out, const char *buf, size_t len, const char **reason)
{
	struct sdp_session tmp;
	struct sdp_pctx ctx = {.s = &tmp, .reason = NULL};
	int rc;

	memset(&tmp, 0, sizeof(tmp));
	if (!buf || len == 0) {
		ctx.reason = "empty SDP";
		rc = -EBADMSG;
		goto out;
	}
	rc = parse_lines(&ctx, buf, len);
	if (rc == 0)
		memcpy(out, &tmp, sizeof(tmp));
out:
	if (reason)
		*reason = ctx.reason;
	return rc;
}

const struct sdp_conn *sdp_media_conn(const struct sdp_session *s, unsigned idx)
{
	if (idx >= s->n_media)
		return NULL;
	return s->m[idx].c.present ? &s->m[idx].c : &s->c;
}

enum sdp_dir sdp_media_dir(const struct sdp_session *s, unsigned idx)
{
	const struct sdp_media *m;
	const struct sdp_conn *c;
	enum sdp_dir d = SDP_DIR_SENDRECV;

	if (idx >= s->n_media)
		return SDP_DIR_INACTIVE;
	m = &s->m[idx];
	if (m->dir_set)
		d = m->dir;
	else if (s->dir_set)
		d = s->dir;
	c = sdp_media_conn(s, idx);
	/* RFC 3264 8.4 / RFC 2543: c=0.0.0.0 means "do not send to me". */
	if (c && c->unspecified) {
		if (d == SDP_DIR_SENDRECV)
			d = SDP_DIR_SENDONLY;
		else if (d == SDP_DIR_RECVONLY)
			d = SDP_DIR_INACTIVE;
	}
	return d;
}

const char *sdp_dir_name(enum sdp_dir d)
{
	switch (d) {
	case SDP_DIR_SENDRECV:
		return "sendrecv";
	case SDP_DIR_SENDONLY:
		return "sendonly";
	case SDP_DIR_RECVONLY:
		return "recvonly";
	case SDP_DIR_INACTIVE:
		return "inactive";
	}
	return "?";
}

static uint64_t fnv1a_step(uint64_t h, struct tstr t)
{
	for (size_t i = 0; i < t.len; i++) {
		h ^= (unsigned char)t.p[i];
		h *= 0x100000001b3ULL;
	}
	/* separator so ("ab","c") and ("a","bc") differ */
	h ^= 0xff;
	return h * 0x100000001b3ULL;
}

static uint64_t origin_id(const struct sdp_session *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	h = fnv1a_step(h, s->o_user);
	h = fnv1a_step(h, s->o_sess_id);
	return fnv1a_step(h, s->o_addr.addr);
}

enum sdp_origin_change sdp_origin_check(const struct sdp_origin *o, const struct sdp_session *s)
{
	if (!o->set)
		return SDP_ORIGIN_FIRST;
	if (o->id_hash != origin_id(s))
		return SDP_ORIGIN_OTHER_SESSION;
	if (o->ver_hash != fnv1a_step(0xcbf29ce484222325ULL, s->o_sess_version))
		return SDP_ORIGIN_NEW_VERSION;
	return SDP_ORIGIN_SAME;
}

void sdp_origin_save(struct sdp_origin *o, const struct sdp_session *s)
{
	o->set = true;
	o->id_hash = origin_id(s);
	o->ver_hash = fnv1a_step(0xcbf29ce484222325ULL, s->o_sess_version);
}
