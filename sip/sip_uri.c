/* SIP/SIPS/tel URI decoding and URI/header parameter lists. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "sip/sip_lex.h"
#include "sip/sip_uri.h"

/* user-unreserved = "&" / "=" / "+" / "$" / "," / ";" / "?" / "/" */
static bool is_user_char(unsigned char c)
{
	return sip_is_unreserved(c) || (c && strchr("&=+$,;?/", c));
}

/* password = *( unreserved / escaped / "&" / "=" / "+" / "$" / "," ) */
static bool is_pass_char(unsigned char c)
{
	return sip_is_unreserved(c) || (c && strchr("&=+$,", c));
}

/* paramchar = param-unreserved / unreserved / escaped, plus the ';' and '='
 * that structure uri-parameters */
static bool is_param_char(unsigned char c)
{
	return sip_is_unreserved(c) || (c && strchr("[]/:&+$;=", c));
}

/* hnv-unreserved / unreserved, plus '=' and '&' between headers */
static bool is_hdr_char(unsigned char c)
{
	return sip_is_unreserved(c) || (c && strchr("[]/?:+$=&", c));
}

/* Every byte passes ok() or is part of a valid %HH escape. */
static bool chars_ok(struct tstr s, bool (*ok)(unsigned char))
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];

		if (c == '%') {
			if (i + 2 >= s.len || sip_hexval((unsigned char)s.p[i + 1]) < 0 ||
			    sip_hexval((unsigned char)s.p[i + 2]) < 0)
				return false;
			i += 2;
			continue;
		}
		if (!ok(c))
			return false;
	}
	return true;
}

static bool ipv6_valid(struct tstr h)
{
	size_t i, colons = 0;

	if (h.len < 2 || h.len > 45)
		return false;
	for (i = 0; i < h.len; i++) {
		unsigned char c = (unsigned char)h.p[i];

		if (c == ':')
			colons++;
		else if (c != '.' && sip_hexval(c) < 0)
			return false;
	}
	/* RFC 5118 4.10: tolerate the "2001:db8:::192.0.2.1" form that the
	 * RFC 3261 ABNF admits; only the character set and shape are checked */
	return colons >= 2 && colons <= 8;
}

bool sip_host_valid(struct tstr host, bool ipv6)
{
	size_t i;

	if (ipv6)
		return ipv6_valid(host);
	if (!host.len || host.p[0] == '-' || host.p[0] == '.')
		return false;
	for (i = 0; i < host.len; i++) {
		unsigned char c = (unsigned char)host.p[i];

		if (!sip_is_alnum(c) && c != '-' && c != '.')
			return false;
	}
	return true;
}

/* hostport at the start of s; returns bytes used or -1 */
static long decode_hostport(struct tstr s, struct sip_uri *u)
{
	size_t i = 0;

	if (s.len && s.p[0] == '[') {
		const char *rb = memchr(s.p, ']', s.len);

		if (!rb)
			return -1;
		u->host = tstr_make(s.p + 1, (size_t)(rb - s.p - 1));
		u->host_ipv6 = true;
		if (!ipv6_valid(u->host))
			return -1;
		i = (size_t)(rb - s.p) + 1;
	} else {
		while (i < s.len &&
		       (sip_is_alnum((unsigned char)s.p[i]) || s.p[i] == '-' || s.p[i] == '.'))
			i++;
		u->host = tstr_make(s.p, i);
		if (!sip_host_valid(u->host, false))
			return -1;
	}
	if (i < s.len && s.p[i] == ':') {
		size_t d = ++i;
		unsigned long port;

		while (i < s.len && sip_is_digit((unsigned char)s.p[i]))
			i++;
		if (sip_ulong_decode(tstr_make(s.p + d, i - d), 65535, &port) || !port)
			return -1;
		u->port = (uint16_t)port;
	}
	return (long)i;
}

static int decode_sip(struct tstr s, struct sip_uri *u)
{
	const char *at = memchr(s.p, '@', s.len);
	struct tstr hp;
	long n;

	if (at) {
		struct tstr ui = tstr_make(s.p, (size_t)(at - s.p));
		const char *colon = memchr(ui.p, ':', ui.len);

		if (memchr(at + 1, '@', s.len - ui.len - 1))
			return -EBADMSG;
		if (colon) {
			u->user = tstr_make(ui.p, (size_t)(colon - ui.p));
			u->password = tstr_make(colon + 1, ui.len - u->user.len - 1);
		} else {
			u->user = ui;
		}
		if (!u->user.len || !chars_ok(u->user, is_user_char) ||
		    !chars_ok(u->password, is_pass_char))
			return -EBADMSG;
		hp = tstr_make(at + 1, s.len - ui.len - 1);
	} else {
		hp = s;
	}
	n = decode_hostport(hp, u);
	if (n < 0)
		return -EBADMSG;
	hp = sip_advance(hp, (size_t)n);
	if (hp.len && hp.p[0] == ';') {
		const char *q = memchr(hp.p, '?', hp.len);
		size_t plen = q ? (size_t)(q - hp.p) : hp.len;

		u->params = tstr_make(hp.p + 1, plen - 1);
		if (!chars_ok(u->params, is_param_char) || sip_params_check(u->params))
			return -EBADMSG;
		hp = sip_advance(hp, plen);
	}
	if (hp.len && hp.p[0] == '?') {
		u->headers = tstr_make(hp.p + 1, hp.len - 1);
		if (!u->headers.len || !chars_ok(u->headers, is_hdr_char))
			return -EBADMSG;
		hp = sip_advance(hp, hp.len);
	}
	return hp.len ? -EBADMSG : 0;
}

static bool is_tel_char(unsigned char c)
{
	return sip_is_digit(c) || sip_hexval(c) >= 0 || (c && strchr("+-.()*#", c));
}

static int decode_tel(struct tstr s, struct sip_uri *u)
{
	const char *semi = memchr(s.p, ';', s.len);
	size_t i;

	u->user = tstr_make(s.p, semi ? (size_t)(semi - s.p) : s.len);
	if (!u->user.len)
		return -EBADMSG;
	for (i = 0; i < u->user.len; i++)
		if (!is_tel_char((unsigned char)u->user.p[i]))
			return -EBADMSG;
	if (semi) {
		u->params = tstr_make(semi + 1, s.len - u->user.len - 1);
		if (!chars_ok(u->params, is_param_char) || sip_params_check(u->params))
			return -EBADMSG;
	}
	return 0;
}

int sip_uri_decode(struct tstr s, struct sip_uri *out)
{
	struct sip_uri u;
	size_t i = 1;
	int rc;

	memset(&u, 0, sizeof(u));
	if (!s.len || !sip_is_alpha((unsigned char)s.p[0]))
		return -EBADMSG;
	while (i < s.len && (sip_is_alnum((unsigned char)s.p[i]) || s.p[i] == '+' ||
			     s.p[i] == '-' || s.p[i] == '.'))
		i++;
	if (i >= s.len || s.p[i] != ':')
		return -EBADMSG;
	u.scheme_str = tstr_make(s.p, i);
	u.opaque = tstr_make(s.p + i + 1, s.len - i - 1);
	if (tstr_casecmp_cstr(u.scheme_str, "sip"))
		u.scheme = SIP_URI_SIP;
	else if (tstr_casecmp_cstr(u.scheme_str, "sips"))
		u.scheme = SIP_URI_SIPS;
	else if (tstr_casecmp_cstr(u.scheme_str, "tel"))
		u.scheme = SIP_URI_TEL;
	for (i = 0; i < u.opaque.len; i++) {
		unsigned char c = (unsigned char)u.opaque.p[i];

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
			return -EBADMSG;
	}
	switch (u.scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		rc = decode_sip(u.opaque, &u);
		break;
	case SIP_URI_TEL:
		rc = decode_tel(u.opaque, &u);
		break;
	default:
		rc = u.opaque.len ? 0 : -EBADMSG;
		break;
	}
	if (rc)
		return rc;
	*out = u;
	return 0;
}

bool sip_param_next(struct tstr *rest, struct tstr *name, struct tstr *val, bool *has_val)
{
	size_t i = 0, eq = (size_t)-1;

	if (!rest->p)
		return false;
	while (i < rest->len && rest->p[i] != ';') {
		if (rest->p[i] == '"') {
			size_t q = sip_quoted_len(sip_advance(*rest, i));

			i += q ? q : rest->len - i;
			continue;
		}
		if (rest->p[i] == '=' && eq == (size_t)-1)
			eq = i;
		i++;
	}
	if (eq != (size_t)-1) {
		*name = sip_trim(tstr_make(rest->p, eq));
		*val = sip_trim(tstr_make(rest->p + eq + 1, i - eq - 1));
		*has_val = true;
	} else {
		*name = sip_trim(tstr_make(rest->p, i));
		*val = TSTR_NULL;
		*has_val = false;
	}
	if (i < rest->len)
		*rest = sip_advance(*rest, i + 1);
	else
		*rest = TSTR_NULL;
	return true;
}

bool sip_param_find(struct tstr params, const char *name, struct tstr *val)
{
	struct tstr n, v;
	bool hv;

	while (sip_param_next(&params, &n, &v, &hv)) {
		if (!tstr_casecmp_cstr(n, name))
			continue;
		if (v.len >= 2 && v.p[0] == '"' && v.p[v.len - 1] == '"')
			v = tstr_make(v.p + 1, v.len - 2);
		*val = v;
		return true;
	}
	return false;
}

bool sip_param_value_ok(struct tstr v)
{
	size_t i;

	if (!v.len)
		return false;
	if (v.p[0] == '"')
		return sip_quoted_len(v) == v.len;
	for (i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (!sip_is_token(c) && c != ':' && c != '[' && c != ']')
			return false;
	}
	return true;
}

int sip_params_check(struct tstr params)
{
	struct tstr n, v;
	bool hv;

	while (sip_param_next(&params, &n, &v, &hv)) {
		if (!n.len || sip_token_len(n) != n.len)
			return -EBADMSG;
		if (hv && !sip_param_value_ok(v))
			return -EBADMSG;
	}
	return 0;
}

int sip_unescape(struct tstr s, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (c == '%') {
			int h, l;

			if (i + 2 >= s.len)
				return -EBADMSG;
			h = sip_hexval((unsigned char)s.p[i + 1]);
			l = sip_hexval((unsigned char)s.p[i + 2]);
			if (h < 0 || l < 0)
				return -EBADMSG;
			c = (char)(h * 16 + l);
			i += 2;
		}
		if (o >= size)
			return -ENOSPC;
		out[o++] = c;
	}
	return (int)o;
}

bool sip_uri_user_eq(struct tstr a, struct tstr b)
{
	char ba[256], bb[256];
	int la = sip_unescape(a, ba, sizeof(ba));
	int lb = sip_unescape(b, bb, sizeof(bb));

	return la >= 0 && la == lb && memcmp(ba, bb, (size_t)la) == 0;
}

/* two escaped strings equal once unescaped; case-insensitively when icase */
static bool esc_eq(struct tstr a, struct tstr b, bool icase)
{
	char ba[256], bb[256];
	int la = sip_unescape(a, ba, sizeof(ba));
	int lb = sip_unescape(b, bb, sizeof(bb));

	if (la < 0 || la != lb)
		return false;
	return icase ? strncasecmp(ba, bb, (size_t)la) == 0 : memcmp(ba, bb, (size_t)la) == 0;
}

/* the value of the parameter (or header) called name in list (items split
 * at sep, names compared unescaped and case-insensitively) */
static bool item_find(struct tstr list, char sep, struct tstr name, struct tstr *val, bool *hv)
{
	while (list.len) {
		size_t i = 0, eq = (size_t)-1;
		struct tstr n;

		while (i < list.len && list.p[i] != sep) {
			if (list.p[i] == '=' && eq == (size_t)-1)
				eq = i;
			i++;
		}
		n = sip_trim(tstr_make(list.p, eq != (size_t)-1 ? eq : i));
		if (esc_eq(n, name, true)) {
			*hv = eq != (size_t)-1;
			*val = *hv ? sip_trim(tstr_make(list.p + eq + 1, i - eq - 1)) : TSTR_NULL;
			return true;
		}
		list = i < list.len ? sip_advance(list, i + 1) : TSTR_NULL;
	}
	return false;
}

/* every item of a that b has too carries an equal value there; for
 * headers (sep '&') b must have every item of a */
static bool items_match(struct tstr a, struct tstr b, char sep, bool vals_icase)
{
	while (a.len) {
		size_t i = 0, eq = (size_t)-1;
		struct tstr n, v, bv;
		bool hv, bhv;

		while (i < a.len && a.p[i] != sep) {
			if (a.p[i] == '=' && eq == (size_t)-1)
				eq = i;
			i++;
		}
		n = sip_trim(tstr_make(a.p, eq != (size_t)-1 ? eq : i));
		hv = eq != (size_t)-1;
		v = hv ? sip_trim(tstr_make(a.p + eq + 1, i - eq - 1)) : TSTR_NULL;
		a = i < a.len ? sip_advance(a, i + 1) : TSTR_NULL;
		if (!n.len)
			continue;
		if (!item_find(b, sep, n, &bv, &bhv)) {
			if (sep == '&')
				return false; /* headers are never ignored */
			continue;
		}
		if (hv != bhv || (hv && !esc_eq(v, bv, vals_icase)))
			return false;
	}
	return true;
}

bool sip_uri_equal(struct tstr a, struct tstr b)
{
	static const char *const must[] = {"user", "ttl", "method", "maddr"};
	struct sip_uri ua, ub;

	if (sip_uri_decode(a, &ua) < 0 || sip_uri_decode(b, &ub) < 0)
		return false;
	if (ua.scheme != ub.scheme || (ua.scheme != SIP_URI_SIP && ua.scheme != SIP_URI_SIPS))
		return tstr_eq(a, b);
	/* userinfo case-sensitive, the rest case-insensitive, all after
	 * unescaping; an absent port never equals an explicit one */
	if (ua.user.len != 0) {
		if (!ub.user.len || !sip_uri_user_eq(ua.user, ub.user))
			return false;
	} else if (ub.user.len)
		return false;
	if (!esc_eq(ua.password, ub.password, false) || ua.host_ipv6 != ub.host_ipv6 ||
	    !esc_eq(ua.host, ub.host, true) || ua.port != ub.port)
		return false;
	/* parameters in both must match; user, ttl, method and maddr in only
	 * one never match; the others in only one are ignored */
	if (!items_match(ua.params, ub.params, ';', true) ||
	    !items_match(ub.params, ua.params, ';', true))
		return false;
	for (unsigned i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		struct tstr v, n = tstr_make(must[i], strlen(must[i]));
		bool hv;

		if (item_find(ua.params, ';', n, &v, &hv) != item_find(ub.params, ';', n, &v, &hv))
			return false;
	}
	/* headers: all present in both, equal (values case-sensitive) */
	return items_match(ua.headers, ub.headers, '&', false) &&
	       items_match(ub.headers, ua.headers, '&', false);
}
