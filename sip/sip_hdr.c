/* Lazy decoders of SIP header values (RFC 3261 20, 25.1 and extensions). */
#include <errno.h>
#include <string.h>

#include "sip/sip_hdr.h"
#include "sip/sip_lex.h"

int sip_uint32_decode(struct tstr s, uint32_t *out)
{
	unsigned long v;
	int rc = sip_ulong_decode(sip_trim(s), 0xffffffffUL, &v);

	if (rc)
		return rc;
	*out = (uint32_t)v;
	return 0;
}

/* Take a token off the front of *s (after LWS); empty when none. */
static struct tstr take_token(struct tstr *s)
{
	struct tstr t;

	*s = sip_skip_lws(*s);
	t = tstr_make(s->p, sip_token_len(*s));
	*s = sip_advance(*s, t.len);
	return t;
}

/* Expect character c after optional LWS. */
static bool take_char(struct tstr *s, char c)
{
	*s = sip_skip_lws(*s);
	if (!s->len || s->p[0] != c)
		return false;
	*s = sip_advance(*s, 1);
	return true;
}

/* RFC 5118 4.5: received carries an IPv6 address with or without [] */
static int via_received(struct sip_via *v, struct tstr val)
{
	bool v6 = val.len && val.p[0] == '[';

	if (v6) {
		if (val.len < 2 || val.p[val.len - 1] != ']')
			return -EBADMSG;
		val = tstr_make(val.p + 1, val.len - 2);
	} else {
		v6 = val.len && memchr(val.p, ':', val.len) != NULL;
	}
	if (!sip_host_valid(val, v6))
		return -EBADMSG;
	v->received = val;
	return 0;
}

int sip_via_decode(struct tstr elem, struct sip_via *out)
{
	struct sip_via v;
	struct tstr s = elem, t, val;
	size_t i = 0;

	memset(&v, 0, sizeof(v));
	t = take_token(&s);
	if (!SIP_IEQ(t, "sip") || !take_char(&s, '/'))
		return -EBADMSG;
	t = take_token(&s);
	if (!t.len || !take_char(&s, '/'))
		return -EBADMSG;
	v.transport = take_token(&s);
	if (!v.transport.len || !s.len || !sip_is_lws((unsigned char)s.p[0]))
		return -EBADMSG;
	s = sip_skip_lws(s);
	/* sent-by = host [ COLON port ] */
	if (s.len && s.p[0] == '[') {
		const char *rb = memchr(s.p, ']', s.len);

		if (!rb)
			return -EBADMSG;
		v.host = tstr_make(s.p + 1, (size_t)(rb - s.p - 1));
		v.host_ipv6 = true;
		i = (size_t)(rb - s.p) + 1;
	} else {
		while (i < s.len &&
		       (sip_is_alnum((unsigned char)s.p[i]) || s.p[i] == '-' || s.p[i] == '.'))
			i++;
		v.host = tstr_make(s.p, i);
	}
	if (!sip_host_valid(v.host, v.host_ipv6))
		return -EBADMSG;
	s = sip_advance(s, i);
	if (take_char(&s, ':')) {
		unsigned long port;

		s = sip_skip_lws(s);
		for (i = 0; i < s.len && sip_is_digit((unsigned char)s.p[i]); i++)
			;
		if (sip_ulong_decode(tstr_make(s.p, i), 65535, &port) || !port)
			return -EBADMSG;
		v.port = (uint16_t)port;
		s = sip_advance(s, i);
	}
	s = sip_skip_lws(s);
	if (s.len) {
		struct tstr rest, name;
		bool hv;

		if (s.p[0] != ';')
			return -EBADMSG;
		v.params = rest = tstr_make(s.p + 1, s.len - 1);
		/* one pass: check every via-param, pick the known ones */
		while (sip_param_next(&rest, &name, &val, &hv)) {
			if (!name.len || sip_token_len(name) != name.len ||
			    (hv && !sip_param_value_ok(val)))
				return -EBADMSG;
			if (SIP_IEQ(name, "branch"))
				v.branch = val;
			else if (SIP_IEQ(name, "received")) {
				if (via_received(&v, val))
					return -EBADMSG;
			} else if (SIP_IEQ(name, "rport")) {
				v.rport = true;
				if (hv) {
					unsigned long p;

					if (sip_ulong_decode(val, 65535, &p))
						return -EBADMSG;
					v.rport_value = (uint16_t)p;
				}
			} else if (SIP_IEQ(name, "maddr"))
				v.maddr = val;
		}
	}
	*out = v;
	return 0;
}

/* display-name = *(token LWS) / quoted-string */
static bool display_tokens_ok(struct tstr d)
{
	size_t i;

	for (i = 0; i < d.len; i++) {
		unsigned char c = (unsigned char)d.p[i];

		if (!sip_is_token(c) && !sip_is_lws(c))
			return false;
	}
	return true;
}

int sip_nameaddr_decode(struct tstr elem, struct sip_nameaddr *out)
{
	struct sip_nameaddr na;
	struct tstr s = sip_trim(elem);
	const char *lt = NULL;
	size_t i;

	memset(&na, 0, sizeof(na));
	if (!s.len)
		return -EBADMSG;
	if (s.p[0] == '"') {
		size_t q = sip_quoted_len(s);

		if (!q)
			return -EBADMSG;
		na.display = tstr_make(s.p, q);
		s = sip_skip_lws(sip_advance(s, q));
		if (!s.len || s.p[0] != '<')
			return -EBADMSG;
		lt = s.p;
	} else {
		for (i = 0; i < s.len; i++) {
			if (s.p[i] == '<') {
				lt = s.p + i;
				break;
			}
			if (s.p[i] == ';' || s.p[i] == '"')
				break;
		}
		if (lt) {
			na.display = sip_trim(tstr_make(s.p, (size_t)(lt - s.p)));
			if (!display_tokens_ok(na.display))
				return -EBADMSG;
		}
	}
	if (lt) {
		const char *gt;

		s = tstr_make(lt + 1, (size_t)(s.p + s.len - lt - 1));
		gt = memchr(s.p, '>', s.len);
		if (!gt)
			return -EBADMSG;
		na.uri = tstr_make(s.p, (size_t)(gt - s.p));
		s = sip_skip_lws(sip_advance(s, na.uri.len + 1));
	} else if (s.len == 1 && s.p[0] == '*') {
		na.star = true;
		*out = na;
		return 0;
	} else {
		/* addr-spec: RFC 3261 20.10, a URI with ',', '?' or ';' must be
		 * in <>; a ';' here starts the header parameters */
		for (i = 0; i < s.len && s.p[i] != ';'; i++)
			;
		na.uri = sip_trim(tstr_make(s.p, i));
		if (memchr(na.uri.p, '?', na.uri.len) || memchr(na.uri.p, ',', na.uri.len))
			return -EBADMSG;
		s = sip_advance(s, i);
	}
	/* the URI itself is decoded on request (sip_uri_decode): here only
	 * its scheme is checked */
	for (i = 0; i < na.uri.len && na.uri.p[i] != ':'; i++)
		if (!sip_is_alnum((unsigned char)na.uri.p[i]) && na.uri.p[i] != '+' &&
		    na.uri.p[i] != '-' && na.uri.p[i] != '.')
			return -EBADMSG;
	if (!i || i + 1 >= na.uri.len || !sip_is_alpha((unsigned char)na.uri.p[0]))
		return -EBADMSG;
	if (s.len) {
		struct tstr rest, name, val;
		bool hv;

		if (s.p[0] != ';')
			return -EBADMSG;
		na.params = rest = tstr_make(s.p + 1, s.len - 1);
		while (sip_param_next(&rest, &name, &val, &hv)) {
			if (!name.len || sip_token_len(name) != name.len ||
			    (hv && !sip_param_value_ok(val)))
				return -EBADMSG;
			if (!na.tag.p && SIP_IEQ(name, "tag"))
				na.tag = val;
		}
	}
	*out = na;
	return 0;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
static int qvalue_decode(struct tstr q)
{
	int v, scale = 100;
	size_t i;

	if (!q.len || (q.p[0] != '0' && q.p[0] != '1'))
		return -1;
	v = (q.p[0] - '0') * 1000;
	if (q.len == 1)
		return v;
	if (q.p[1] != '.' || q.len > 5)
		return -1;
	for (i = 2; i < q.len; i++, scale /= 10) {
		if (!sip_is_digit((unsigned char)q.p[i]))
			return -1;
		v += (q.p[i] - '0') * scale;
	}
	return v > 1000 ? -1 : v;
}

int sip_contact_decode(struct tstr elem, struct sip_contact *out)
{
	struct sip_contact c;
	struct tstr val;
	uint32_t e;
	int rc = sip_nameaddr_decode(elem, &c.na);

	if (rc)
		return rc;
	c.expires = -1;
	c.q = -1;
	/* RFC 4475 3.1.2.4: an out-of-range expires is treated as absent */
	if (sip_param_find(c.na.params, "expires", &val) && sip_uint32_decode(val, &e) == 0)
		c.expires = (long)e;
	if (sip_param_find(c.na.params, "q", &val)) {
		c.q = qvalue_decode(val);
		if (c.q < 0)
			return -EBADMSG;
	}
	*out = c;
	return 0;
}

int sip_cseq_decode(struct tstr value, struct sip_cseq *out)
{
	struct tstr s = sip_trim(value), num;
	unsigned long n;
	size_t i = 0;
	int rc;

	while (i < s.len && sip_is_digit((unsigned char)s.p[i]))
		i++;
	num = tstr_make(s.p, i);
	s = sip_advance(s, i);
	if (!s.len || !sip_is_lws((unsigned char)s.p[0]))
		return -EBADMSG;
	/* RFC 3261 8.1.1.5: the sequence number MUST be less than 2**31 */
	rc = sip_ulong_decode(num, 0x7fffffffUL, &n);
	if (rc)
		return rc;
	s = sip_skip_lws(s);
	if (!s.len || sip_token_len(s) != s.len)
		return -EBADMSG;
	out->num = (uint32_t)n;
	out->method = s;
	out->meth = sip_method_from_name(s);
	return 0;
}

int sip_ctype_decode(struct tstr value, struct sip_ctype *out)
{
	struct tstr s = value, type, sub;

	type = take_token(&s);
	if (!type.len || !take_char(&s, '/'))
		return -EBADMSG;
	sub = take_token(&s);
	if (!sub.len)
		return -EBADMSG;
	s = sip_skip_lws(s);
	if (s.len) {
		if (s.p[0] != ';' || sip_params_check(sip_advance(s, 1)))
			return -EBADMSG;
		s = sip_advance(s, 1);
	}
	out->type = type;
	out->subtype = sub;
	out->params = s;
	return 0;
}

int sip_rack_decode(struct tstr value, struct sip_rack *out)
{
	struct tstr s = sip_skip_lws(value), t;
	uint32_t rseq, cseq;

	t = take_token(&s);
	if (sip_uint32_decode(t, &rseq))
		return -EBADMSG;
	t = take_token(&s);
	if (sip_uint32_decode(t, &cseq))
		return -EBADMSG;
	t = take_token(&s);
	if (!t.len || sip_skip_lws(s).len)
		return -EBADMSG;
	out->rseq = rseq;
	out->cseq = cseq;
	out->method = t;
	return 0;
}

int sip_session_expires_decode(struct tstr value, struct sip_session_expires *out)
{
	struct tstr s = value, t, val;
	uint32_t d;

	t = take_token(&s);
	if (sip_uint32_decode(t, &d))
		return -EBADMSG;
	s = sip_skip_lws(s);
	out->refresher = TSTR_NULL;
	if (s.len) {
		if (s.p[0] != ';' || sip_params_check(sip_advance(s, 1)))
			return -EBADMSG;
		if (sip_param_find(sip_advance(s, 1), "refresher", &val))
			out->refresher = val;
	}
	out->delta = d;
	return 0;
}

int sip_authhdr_decode(struct tstr value, struct sip_authhdr *out)
{
	struct tstr s = value, scheme;

	scheme = take_token(&s);
	if (!scheme.len || (s.len && !sip_is_lws((unsigned char)s.p[0])))
		return -EBADMSG;
	out->scheme = scheme;
	out->params = sip_trim(s);
	return 0;
}

bool sip_auth_param_find(struct tstr params, const char *name, struct tstr *val)
{
	struct tstr s = params;

	while (s.len) {
		struct tstr n = take_token(&s), v;

		if (!n.len || !take_char(&s, '='))
			return false;
		s = sip_skip_lws(s);
		if (s.len && s.p[0] == '"') {
			size_t q = sip_quoted_len(s);

			if (!q)
				return false;
			v = tstr_make(s.p + 1, q - 2);
			s = sip_advance(s, q);
		} else {
			size_t i = 0;

			while (i < s.len && s.p[i] != ',' && !sip_is_lws((unsigned char)s.p[i]))
				i++;
			v = tstr_make(s.p, i);
			s = sip_advance(s, i);
		}
		if (tstr_casecmp_cstr(n, name)) {
			*val = v;
			return true;
		}
		if (!take_char(&s, ','))
			return false;
	}
	return false;
}

int sip_msg_elem(const struct sip_msg *m, enum sip_hdr_kind kind, unsigned i, struct tstr *e)
{
	struct sip_hdr_iter it;
	struct tstr x;
	unsigned n = 0;

	sip_hdr_iter_init(&it, m, kind);
	while (sip_hdr_iter_next(&it, &x))
		if (n++ == i) {
			*e = x;
			return 0;
		}
	return -ENOENT;
}

/* The single value of a header that may appear once. */
static int single(const struct sip_msg *m, enum sip_hdr_kind kind, struct tstr *v)
{
	const struct sip_hdr *h = sip_msg_hdr(m, kind);

	if (!h)
		return -ENOENT;
	if (m->count[kind] > 1)
		return -EBADMSG;
	*v = h->value;
	return 0;
}

int sip_msg_via(const struct sip_msg *m, unsigned i, struct sip_via *v)
{
	struct tstr e;
	int rc = sip_msg_elem(m, SIP_HDR_VIA, i, &e);

	return rc ? rc : sip_via_decode(e, v);
}

int sip_msg_from(const struct sip_msg *m, struct sip_nameaddr *na)
{
	struct tstr v;
	int rc = single(m, SIP_HDR_FROM, &v);

	return rc ? rc : sip_nameaddr_decode(v, na);
}

int sip_msg_to(const struct sip_msg *m, struct sip_nameaddr *na)
{
	struct tstr v;
	int rc = single(m, SIP_HDR_TO, &v);

	return rc ? rc : sip_nameaddr_decode(v, na);
}

int sip_msg_call_id(const struct sip_msg *m, struct tstr *call_id)
{
	struct tstr v;
	size_t i;
	int rc = single(m, SIP_HDR_CALL_ID, &v);

	if (rc)
		return rc;
	/* callid = word [ "@" word ] */
	if (!v.len)
		return -EBADMSG;
	for (i = 0; i < v.len; i++)
		if (!sip_is_word((unsigned char)v.p[i]) && v.p[i] != '@')
			return -EBADMSG;
	*call_id = v;
	return 0;
}

int sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *c)
{
	struct tstr v;
	int rc = single(m, SIP_HDR_CSEQ, &v);

	return rc ? rc : sip_cseq_decode(v, c);
}

int sip_msg_max_forwards(const struct sip_msg *m, uint32_t *mf)
{
	struct tstr v;
	unsigned long n;
	int rc = single(m, SIP_HDR_MAX_FORWARDS, &v);

	if (rc)
		return rc;
	rc = sip_ulong_decode(v, 255, &n);
	if (rc)
		return rc;
	*mf = (uint32_t)n;
	return 0;
}

int sip_msg_contact(const struct sip_msg *m, unsigned i, struct sip_contact *c)
{
	struct tstr e;
	int rc = sip_msg_elem(m, SIP_HDR_CONTACT, i, &e);

	return rc ? rc : sip_contact_decode(e, c);
}

static int nameaddr_at(const struct sip_msg *m, enum sip_hdr_kind k, unsigned i,
		       struct sip_nameaddr *na)
{
	struct tstr e;
	int rc = sip_msg_elem(m, k, i, &e);

	return rc ? rc : sip_nameaddr_decode(e, na);
}

int sip_msg_route(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na)
{
	return nameaddr_at(m, SIP_HDR_ROUTE, i, na);
}

int sip_msg_record_route(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na)
{
	return nameaddr_at(m, SIP_HDR_RECORD_ROUTE, i, na);
}

int sip_msg_pai(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na)
{
	return nameaddr_at(m, SIP_HDR_P_ASSERTED_IDENTITY, i, na);
}

int sip_msg_diversion(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na)
{
	return nameaddr_at(m, SIP_HDR_DIVERSION, i, na);
}

int sip_msg_history_info(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na)
{
	return nameaddr_at(m, SIP_HDR_HISTORY_INFO, i, na);
}

int sip_msg_content_type(const struct sip_msg *m, struct sip_ctype *ct)
{
	struct tstr v;
	int rc = single(m, SIP_HDR_CONTENT_TYPE, &v);

	return rc ? rc : sip_ctype_decode(v, ct);
}

int sip_msg_content_disposition(const struct sip_msg *m, struct tstr *disp, struct tstr *params)
{
	struct tstr v, t;
	int rc = single(m, SIP_HDR_CONTENT_DISPOSITION, &v);

	if (rc)
		return rc;
	t = take_token(&v);
	v = sip_skip_lws(v);
	if (!t.len || (v.len && (v.p[0] != ';' || sip_params_check(sip_advance(v, 1)))))
		return -EBADMSG;
	*disp = t;
	*params = v.len ? sip_advance(v, 1) : TSTR_NULL;
	return 0;
}

int sip_msg_expires(const struct sip_msg *m, uint32_t *expires)
{
	struct tstr v;
	int rc = single(m, SIP_HDR_EXPIRES, &v);

	return rc ? rc : sip_uint32_decode(v, expires);
}

int sip_msg_session_expires(const struct sip_msg *m, struct sip_session_expires *se)
{
	struct tstr v;
	int rc = single(m, SIP_HDR_SESSION_EXPIRES, &v);

	return rc ? rc : sip_session_expires_decode(v, se);
}

int sip_msg_min_se(const struct sip_msg *m, uint32_t *min_se)
{
	struct tstr v;
	const char *semi;
	int rc = single(m, SIP_HDR_MIN_SE, &v);

	if (rc)
		return rc;
	semi = memchr(v.p, ';', v.len);
	if (semi)
		v.len = (size_t)(semi - v.p);
	return sip_uint32_decode(v, min_se);
}

int sip_msg_rseq(const struct sip_msg *m, uint32_t *rseq)
{
	struct tstr v;
	int rc = single(m, SIP_HDR_RSEQ, &v);

	return rc ? rc : sip_uint32_decode(v, rseq);
}

int sip_msg_rack(const struct sip_msg *m, struct sip_rack *r)
{
	struct tstr v;
	int rc = single(m, SIP_HDR_RACK, &v);

	return rc ? rc : sip_rack_decode(v, r);
}

int sip_msg_auth(const struct sip_msg *m, enum sip_hdr_kind kind, unsigned i, struct sip_authhdr *a)
{
	const struct sip_hdr *h = sip_msg_hdr(m, kind);

	/* credentials hold commas of their own: one header line is one value */
	while (h && i--)
		h = sip_msg_hdr_next(m, h);
	if (!h)
		return -ENOENT;
	return sip_authhdr_decode(h->value, a);
}

bool sip_msg_has_token(const struct sip_msg *m, enum sip_hdr_kind kind, const char *token)
{
	struct sip_hdr_iter it;
	struct tstr e;

	sip_hdr_iter_init(&it, m, kind);
	while (sip_hdr_iter_next(&it, &e)) {
		/* Privacy: priv-value *(";" priv-value) (RFC 3323) */
		while (e.len) {
			const char *semi = memchr(e.p, ';', e.len);
			size_t n = semi ? (size_t)(semi - e.p) : e.len;

			if (tstr_casecmp_cstr(sip_trim(tstr_make(e.p, n)), token))
				return true;
			e = semi ? sip_advance(e, n + 1) : TSTR_NULL;
		}
	}
	return false;
}
