/* ENUM processing without I/O; see iw_enum.h. */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "interwork/iw_enum.h"

/* A DNS character-string (RFC 1035 3.3) holds at most 255 octets, so no
 * regexp field from the wire is longer. */
#define ERE_MAX		 255
#define ERE_BOUND_MAX	 16 /* an AUS has at most 16 characters ('+' and 15 digits) */
#define ERE_BOUNDS	 3  /* with the above, caps regcomp's unrolled automaton */
#define ERE_GROUP_QUANTS 4

int iw_enum_aus_check(const char *e164)
{
	size_t n = 0;

	if (!e164 || e164[0] != '+')
		return -EINVAL;
	for (const char *p = e164 + 1; *p; p++, n++)
		if (!isdigit((unsigned char)*p) || n >= IW_ENUM_E164_MAX)
			return -EINVAL;
	return n ? 0 : -EINVAL;
}

/* The suffix without its outer dots; labels of letters, digits, '-', '_'. */
static int suffix_view(const char *suffix, struct tstr *out)
{
	const char *p = suffix && *suffix ? suffix : IW_ENUM_SUFFIX;
	size_t len = strlen(p), i, label = 0;

	while (len && *p == '.')
		p++, len--;
	while (len && p[len - 1] == '.')
		len--;
	if (!len || len > 200)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (!label)
				return -EINVAL;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return -EINVAL;
		if (++label > 63) /* RFC 1035 2.3.4 */
			return -EINVAL;
	}
	*out = tstr_make(p, len);
	return 0;
}

int iw_enum_domain(const char *e164, const char *suffix, char *out, size_t size)
{
	struct tstr sfx;
	size_t nd, need, o = 0;

	if (iw_enum_aus_check(e164) < 0 || suffix_view(suffix, &sfx) < 0)
		return -EINVAL;
	nd = strlen(e164 + 1);
	need = 2 * nd + sfx.len;
	if (!out || size <= need)
		return -ENOSPC;
	/* RFC 6116 2.4: digits only, reversed, a dot after each, then the suffix */
	for (size_t i = nd; i > 0; i--) {
		out[o++] = e164[i];
		out[o++] = '.';
	}
	memcpy(out + o, sfx.p, sfx.len);
	o += sfx.len;
	out[o] = 0;
	return (int)o;
}

static bool svc_token(const char *p, size_t len)
{
	if (len < 1 || len > 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-')
			return false;
	return true;
}

int iw_enum_service_parse(struct tstr s)
{
	size_t i = 3;
	int bits = 0;

	/* RFC 6116 3.4.3: service-field = "E2U" 1*(servicespec) */
	if (s.len < 5 || strncasecmp(s.p, "E2U", 3) || s.p[3] != '+')
		return -EINVAL;
	while (i < s.len) {
		size_t t0, t1;

		if (s.p[i] != '+')
			return -EINVAL;
		t0 = ++i;
		while (i < s.len && s.p[i] != '+' && s.p[i] != ':')
			i++;
		t1 = i;
		if (!svc_token(s.p + t0, t1 - t0))
			return -EINVAL;
		while (i < s.len && s.p[i] == ':') { /* subtypespec */
			size_t u0 = ++i;

			while (i < s.len && s.p[i] != '+' && s.p[i] != ':')
				i++;
			if (!svc_token(s.p + u0, i - u0))
				return -EINVAL;
		}
		if (t1 - t0 == 3 && !strncasecmp(s.p + t0, "sip", 3))
			bits |= IW_ENUM_SVC_SIP;
		else if (t1 - t0 == 4 && !strncasecmp(s.p + t0, "pstn", 4))
			bits |= IW_ENUM_SVC_PSTN;
	}
	return bits;
}

static bool ere_special(char c)
{
	return strchr(".[]()*+?{}|^$\\", c) != NULL;
}

/* glibc's regcomp unrolls repetitions ("x+" becomes "xx*", "x{3}" three
 * copies), so a regexp from DNS could make it build an automaton of
 * exponential size: "x++++..." or nested quantified groups. Refuse what an
 * AUS ('+' and at most 15 digits) can never need: stacked quantifiers (their
 * meaning is undefined in POSIX EREs anyway), bounds above 16, more than a
 * few bounds or quantified groups. Backreferences are not POSIX ERE and make
 * glibc's matcher exponential: refused too. */
static int ere_check(const char *ere)
{
	unsigned bounds = 0, group_quants = 0;
	bool prev_quant = false, prev_close = false;

	for (const char *p = ere; *p; p++) {
		bool quant = false;

		switch (*p) {
		case '\\':
			if (p[1] >= '1' && p[1] <= '9')
				return -EINVAL;
			if (p[1])
				p++;
			break;
		case '[': /* a bracket expression is one atom */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']') {
				if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
					const char *q = strchr(p + 2, p[1]);

					while (q && q[1] != ']')
						q = strchr(q + 1, p[1]);
					if (!q)
						return 0; /* unterminated: regcomp refuses it */
					p = q + 2;
					continue;
				}
				p++;
			}
			if (!*p)
				return 0;
			break;
		case '{': {
			const char *q = p + 1;
			unsigned long v;
			char *end;

			if (!isdigit((unsigned char)*q))
				break; /* not a bound; regcomp decides */
			v = strtoul(q, &end, 10);
			if (v > ERE_BOUND_MAX)
				return -EINVAL;
			if (*end == ',' && isdigit((unsigned char)end[1])) {
				v = strtoul(end + 1, &end, 10);
				if (v > ERE_BOUND_MAX)
					return -EINVAL;
			} else if (*end == ',') {
				end++;
			}
			if (*end != '}')
				break;
			if (++bounds > ERE_BOUNDS)
				return -EINVAL;
			quant = true;
			p = end;
			break;
		}
		case '*':
		case '+':
		case '?':
			quant = true;
			break;
		default:
			break;
		}
		if (quant) {
			if (prev_quant)
				return -EINVAL;
			if (prev_close && ++group_quants > ERE_GROUP_QUANTS)
				return -EINVAL;
		}
		prev_quant = quant;
		prev_close = *p == ')';
	}
	return 0;
}

/* Expand repl (escapes already checked for the delimiter) into out; with
 * pm NULL only validate and report the highest backreference in *maxref. */
static int repl_expand(struct tstr repl, char delim, const char *aus, const regmatch_t *pm,
		       char *out, size_t size, unsigned *maxref)
{
	size_t o = 0;

	for (size_t i = 0; i < repl.len; i++) {
		char c = repl.p[i];
		const char *src = &repl.p[i];
		size_t n = 1;

		if (c == 0)
			return -EINVAL;
		if (c == '\\') {
			char e;

			if (++i >= repl.len)
				return -EINVAL;
			e = repl.p[i];
			src = &repl.p[i];
			if (e >= '1' && e <= '9') {
				unsigned g = (unsigned)(e - '0');

				if (!pm) {
					if (g > *maxref)
						*maxref = g;
					continue;
				}
				if (pm[g].rm_so < 0) {
					n = 0; /* group did not take part in the match */
				} else {
					src = aus + pm[g].rm_so;
					n = (size_t)(pm[g].rm_eo - pm[g].rm_so);
				}
			} else if (e != delim && e != '\\') {
				return -EINVAL;
			}
		}
		if (!pm)
			continue;
		if (o + n >= size)
			return -ENOSPC;
		memcpy(out + o, src, n);
		o += n;
	}
	if (pm) {
		if (!size)
			return -ENOSPC;
		out[o] = 0;
	}
	return (int)o;
}

int iw_enum_regexp_apply(struct tstr rx, const char *aus, char *out, size_t size)
{
	char ere[2 * ERE_MAX + 1];
	regmatch_t pm[10];
	struct tstr repl;
	size_t i, e = 0;
	unsigned maxref = 0;
	int cflags = REG_EXTENDED, rc;
	regex_t re;
	char delim;

	if (!aus || !rx.p || rx.len < 3 || rx.len > ERE_MAX)
		return -EINVAL;
	/* RFC 3402 3.2: delim-char is any octet but POS-DIGIT and flags; a
	 * backslash would make every escape ambiguous */
	delim = rx.p[0];
	if ((delim >= '1' && delim <= '9') || delim == 'i' || delim == '\\' || delim == 0)
		return -EINVAL;
	for (i = 1; i < rx.len && rx.p[i] != delim; i++) {
		char c = rx.p[i];

		if (c == 0)
			return -EINVAL;
		if (c == '\\') {
			if (++i >= rx.len)
				return -EINVAL;
			c = rx.p[i];
			if (c == 0)
				return -EINVAL;
			/* "\<delim>" is the delimiter itself; keep it escaped
			 * when the ERE would otherwise read it as an operator */
			if (c != delim || ere_special(c))
				ere[e++] = '\\';
		}
		ere[e++] = c;
	}
	if (i >= rx.len)
		return -EINVAL;
	ere[e] = 0;
	repl.p = rx.p + ++i;
	for (; i < rx.len && rx.p[i] != delim; i++)
		if (rx.p[i] == '\\')
			i++;
	if (i >= rx.len)
		return -EINVAL;
	repl.len = (size_t)(rx.p + i - repl.p);
	for (i++; i < rx.len; i++) {
		if (rx.p[i] != 'i') /* RFC 3402 3.2: flags = "i" */
			return -EINVAL;
		cflags |= REG_ICASE;
	}
	rc = repl_expand(repl, delim, aus, NULL, NULL, 0, &maxref);
	if (rc < 0 || ere_check(ere) < 0)
		return -EINVAL;
	if (regcomp(&re, ere, cflags) != 0)
		return -EINVAL;
	if (maxref > re.re_nsub) {
		regfree(&re);
		return -EINVAL;
	}
	rc = regexec(&re, aus, 10, pm, 0);
	regfree(&re);
	if (rc == REG_NOMATCH)
		return -ENOENT;
	if (rc != 0)
		return -EINVAL;
	/* RFC 3402 3.2: the output is repl with the backreferences filled in;
	 * the parts of the AUS outside the match are not carried over */
	return repl_expand(repl, delim, aus, pm, out, size, &maxref);
}

void iw_enum_sort(struct iw_enum_naptr *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct iw_enum_naptr t = r[i];
		size_t j = i;

		while (j && (r[j - 1].order > t.order ||
			     (r[j - 1].order == t.order && r[j - 1].pref > t.pref))) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = t;
	}
}

int iw_enum_filter_parse(struct iw_enum_filter *f, const char *list)
{
	const char *p = list;

	memset(f, 0, sizeof(*f));
	if (!list)
		return -EINVAL;
	for (;;) {
		struct iw_enum_filter_spec *sp;
		const char *e = strchr(p, ','), *t, *c;
		size_t len, tl, sl;

		if (!e)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (f->n == IW_ENUM_FILTER_MAX || len < 5 || strncasecmp(p, "E2U+", 4))
			return -EINVAL;
		t = p + 4;
		c = memchr(t, ':', (size_t)(e - t));
		tl = (size_t)((c ? c : e) - t);
		sl = c ? (size_t)(e - c - 1) : 0;
		if (!svc_token(t, tl) || (c && !svc_token(c + 1, sl)))
			return -EINVAL;
		sp = &f->spec[f->n++];
		for (size_t k = 0; k < tl; k++)
			sp->type[k] = (char)tolower((unsigned char)t[k]);
		for (size_t k = 0; k < sl; k++)
			sp->subtype[k] = (char)tolower((unsigned char)c[1 + k]);
		if (!*e)
			return 0;
		p = e + 1;
	}
}

void iw_enum_filter_from_bits(struct iw_enum_filter *f, unsigned services)
{
	memset(f, 0, sizeof(*f));
	if (services & IW_ENUM_SVC_SIP)
		strcpy(f->spec[f->n++].type, "sip");
	if (services & IW_ENUM_SVC_PSTN)
		strcpy(f->spec[f->n++].type, "pstn");
}

static bool tok_eq(const char *p, size_t n, const char *name)
{
	return strlen(name) == n && !strncasecmp(p, name, n);
}

int iw_enum_filter_match(const struct iw_enum_filter *f, struct tstr s)
{
	size_t i = 3;
	int mask = 0;

	if (iw_enum_service_parse(s) < 0)
		return -EINVAL;
	/* well-formed (checked above): "E2U" 1*("+" type *(":" subtype)) */
	while (i < s.len) {
		size_t t0 = ++i, t1, s0;

		while (i < s.len && s.p[i] != '+' && s.p[i] != ':')
			i++;
		t1 = i;
		s0 = i;
		while (i < s.len && s.p[i] != '+')
			i++;
		for (unsigned k = 0; k < f->n; k++) {
			const struct iw_enum_filter_spec *sp = &f->spec[k];
			bool sub = !sp->subtype[0];

			if (!tok_eq(s.p + t0, t1 - t0, sp->type))
				continue;
			/* the subtypes of this enumservice: s0 .. i, each after ':' */
			for (size_t a = s0; !sub && a < i;) {
				size_t b = ++a;

				while (b < i && s.p[b] != ':')
					b++;
				sub = tok_eq(s.p + a, b - a, sp->subtype);
				a = b;
			}
			if (sub)
				mask |= 1 << k;
		}
	}
	return mask;
}

/* The URI scheme must fit the enumservice: RFC 3764 4 (sip: or sips:),
 * RFC 4769 4 (pstn:tel gives tel:, pstn:sip gives sip:); a subtype that
 * names a scheme (RFC 6116 3.4.3: "voice:tel") that scheme. type and sub
 * are views (sub may be empty). */
static bool scheme_fits(const char *uri, const char *type, size_t tl, const char *sub, size_t sl)
{
	const char *c = strchr(uri, ':');
	bool sip, tel;
	size_t n;

	if (!c || c == uri || !isalpha((unsigned char)uri[0]))
		return false;
	n = (size_t)(c - uri);
	sip = tok_eq(uri, n, "sip") || tok_eq(uri, n, "sips");
	tel = tok_eq(uri, n, "tel");
	if (tok_eq(type, tl, "sip") || tok_eq(sub, sl, "sip"))
		return sip;
	if (tok_eq(sub, sl, "sips"))
		return tok_eq(uri, n, "sips");
	if (tok_eq(sub, sl, "tel") || tok_eq(type, tl, "tel"))
		return tel;
	return sip || tel;
}

/* Whether an enumservice of the record that f accepts allows the URI: the
 * filter's subtype decides when it names one, else the record's own
 * subtypes (a pstn:tel record gives tel: also to a filter "E2U+pstn"). */
static bool svc_fits(const struct iw_enum_filter *f, struct tstr s, const char *uri)
{
	size_t i = 3;

	if (iw_enum_service_parse(s) < 0)
		return false;
	while (i < s.len) {
		size_t t0 = ++i, t1, s0;

		while (i < s.len && s.p[i] != '+' && s.p[i] != ':')
			i++;
		t1 = i;
		s0 = i;
		while (i < s.len && s.p[i] != '+')
			i++;
		for (unsigned k = 0; k < f->n; k++) {
			const struct iw_enum_filter_spec *sp = &f->spec[k];
			const char *t = s.p + t0;
			size_t tl = t1 - t0;

			if (!tok_eq(t, tl, sp->type))
				continue;
			if (s0 == i) { /* no subtypes */
				if (!sp->subtype[0] && scheme_fits(uri, t, tl, "", 0))
					return true;
				continue;
			}
			for (size_t a = s0; a < i;) {
				size_t b = ++a;

				while (b < i && s.p[b] != ':')
					b++;
				if (sp->subtype[0] ? tok_eq(s.p + a, b - a, sp->subtype) &&
							     scheme_fits(uri, t, tl, sp->subtype,
									 strlen(sp->subtype))
						   : scheme_fits(uri, t, tl, s.p + a, b - a))
					return true;
				a = b;
			}
		}
	}
	return false;
}

int iw_enum_select(struct iw_enum_naptr *recs, size_t n, const char *aus, unsigned services,
		   struct iw_enum_result *res)
{
	struct iw_enum_filter f;

	iw_enum_filter_from_bits(&f, services);
	return iw_enum_select_filter(recs, n, aus, &f, res);
}

int iw_enum_select_filter(struct iw_enum_naptr *recs, size_t n, const char *aus,
			  const struct iw_enum_filter *f, struct iw_enum_result *res)
{
	struct iw_enum_result r;
	bool found = false;

	if (iw_enum_aus_check(aus) < 0)
		return -EINVAL;
	memset(&r, 0, sizeof(r));
	iw_enum_sort(recs, n);
	for (size_t i = 0; i < n; i++) {
		const struct iw_enum_naptr *x = &recs[i];
		char uri[IW_ENUM_URI_MAX];
		int mask;

		/* RFC 6116 3.4.1: "u" is the terminal flag of ENUM; other or
		 * unknown flags are not ours to follow (RFC 3403 4.1) */
		if (x->flags.len != 1 || (x->flags.p[0] | 0x20) != 'u')
			continue;
		/* RFC 3403 4.1: regexp and replacement are exclusive; a
		 * terminal ENUM rule carries the regexp and the root name */
		if (x->replacement.len && !tstr_eq_cstr(x->replacement, "."))
			continue;
		mask = iw_enum_filter_match(f, x->service);
		if (mask <= 0)
			continue;
		if (iw_enum_regexp_apply(x->regexp, aus, uri, sizeof(uri)) < 0)
			continue;
		if (!svc_fits(f, x->service, uri))
			continue;
		r.usable++;
		if (found)
			continue;
		found = true;
		memcpy(r.uri, uri, sizeof(uri));
		tstr_to_buf(x->service, r.service, sizeof(r.service));
		r.order = x->order;
		r.pref = x->pref;
		/* malformed NP parameters leave the URI usable, without NP data */
		if (iw_enum_np_parse(r.uri, &r.np) < 0)
			memset(&r.np, 0, sizeof(r.np));
	}
	if (!found)
		return -ENOENT;
	*res = r;
	return 0;
}

/* RFC 3966 3: visual separators in phone digits */
static bool visual_sep(char c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

/* RFC 4694 4: rn = global-rn / local-rn; the digits (hex digits, '*' and
 * '#' for a local one) are kept, the separators dropped. */
static int rn_parse(struct tstr v, char *out, size_t size)
{
	size_t o = 0, digits = 0;
	bool global = v.len && v.p[0] == '+';

	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];

		if (i == 0 && global) {
			out[o++] = c;
			continue;
		}
		if (visual_sep(c))
			continue;
		if (!(isdigit((unsigned char)c) ||
		      (!global && (isxdigit((unsigned char)c) || c == '*' || c == '#'))))
			return -EINVAL;
		if (o + 1 >= size)
			return -EINVAL;
		out[o++] = c;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	out[o] = 0;
	return 0;
}

int iw_enum_np_parse(const char *uri, struct iw_enum_np *np)
{
	struct tstr body;
	const char *p, *end;

	memset(np, 0, sizeof(*np));
	if (!uri)
		return -EINVAL;
	if (!strncasecmp(uri, "tel:", 4)) {
		body = tstr_make(uri + 4, strlen(uri + 4));
	} else if (!strncasecmp(uri, "sip:", 4) || !strncasecmp(uri, "sips:", 5)) {
		/* RFC 4694 5 / RFC 3261 19.1.6: the tel parameters ride in the
		 * user part of a user=phone SIP URI */
		const char *u = strchr(uri, ':') + 1, *at = strchr(u, '@');

		if (!at)
			return 0;
		body = tstr_make(u, (size_t)(at - u));
	} else {
		return 0;
	}
	end = body.p + body.len;
	p = memchr(body.p, ';', body.len);
	while (p && p < end) {
		const char *n0 = p + 1, *n1, *next = memchr(n0, ';', (size_t)(end - n0));
		struct tstr name, val = TSTR_NULL;
		bool has_val;

		if (!next)
			next = end;
		n1 = memchr(n0, '=', (size_t)(next - n0));
		has_val = n1 != NULL;
		if (!n1)
			n1 = next;
		name = tstr_make(n0, (size_t)(n1 - n0));
		if (has_val)
			val = tstr_make(n1 + 1, (size_t)(next - n1 - 1));
		if (tstr_casecmp_cstr(name, "npdi")) {
			if (np->npdi || has_val)
				goto bad;
			np->npdi = true;
		} else if (tstr_casecmp_cstr(name, "rn")) {
			if (np->has_rn || !has_val || rn_parse(val, np->rn, sizeof(np->rn)) < 0)
				goto bad;
			np->has_rn = true;
		} else if (tstr_casecmp_cstr(name, "rn-context")) {
			if (np->rn_context[0] || !val.len || val.len >= sizeof(np->rn_context))
				goto bad;
			tstr_to_buf(val, np->rn_context, sizeof(np->rn_context));
		}
		p = next;
	}
	return 0;
bad:
	memset(np, 0, sizeof(*np));
	return -EINVAL;
}
