/* SIP-I / SIP-T bodies (RFC 3204, RFC 3372, Q.1912.5): building and
 * picking apart the multipart/mixed body that carries SDP and ISUP. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "interwork/iw_sipi.h"
#include "sigtran/isup_fmt.h"
#include "sip/sip_hdr.h"
#include "sip/sip_mime.h"
#include "sip/sip_uri.h"

const char *iw_sipi_version_name(enum iw_sipi_version v)
{
	switch (v) {
	case IW_SIPI_ITU_T92:
		return "itu-t92+";
	case IW_SIPI_ANSI00:
		return "ansi00";
	}
	return NULL;
}

static bool has_prefix(struct tstr s, const char *pfx)
{
	size_t n = strlen(pfx);

	return s.len >= n && strncasecmp(s.p, pfx, n) == 0;
}

int iw_sipi_variant(struct tstr version, enum isup_variant *var)
{
	/* RFC 3204 3.1 table 1: itu-t88, itu-t92+, etsi121, etsi356, ttc87,
	 * ttc93+ follow the ITU format; ansi88, ansi00, gr317 the ANSI one. */
	if (has_prefix(version, "itu") || has_prefix(version, "etsi") ||
	    has_prefix(version, "ttc")) {
		*var = ISUP_VAR_ITU;
		return 0;
	}
	if (has_prefix(version, "ansi") || has_prefix(version, "gr")) {
		*var = ISUP_VAR_ANSI;
		return 0;
	}
	return -ENOTSUP;
}

/* ---- building ---- */

/* RFC 2046 5.1.1: bchars := bcharsnospace / " " */
static bool is_bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	       strchr("'()+_,-./:=? ", c) != NULL;
}

/* RFC 3261 25.1 token characters, for deciding whether to quote. */
static bool is_token_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
	       (c && strchr("-.!%*_+`'~", c) != NULL);
}

static bool boundary_ok(const char *b, size_t n)
{
	size_t i;

	if (n < 1 || n > 70 || b[n - 1] == ' ')
		return false;
	for (i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return false;
	return true;
}

/* RFC 2046 5.1.1: the boundary must not appear inside an encapsulated
 * part. Be strict and refuse "--boundary" anywhere, not only at a line
 * start: binary ISUP has no lines. */
static bool occurs_in(const void *content, size_t len, const char *b, size_t n)
{
	const char *p = content;
	size_t at = 0;

	while (len && at + 2 + n <= len) {
		const char *d = memmem(p + at, len - at, "--", 2);

		if (!d)
			return false;
		at = (size_t)(d - p);
		if (at + 2 + n <= len && memcmp(d + 2, b, n) == 0)
			return true;
		at++;
	}
	return false;
}

struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static void put(struct out *o, const void *p, size_t n)
{
	if (o->full || n > o->size - o->len) {
		o->full = true;
		return;
	}
	if (n)
		memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_delim(struct out *o, const char *b, size_t n)
{
	puts_(o, "--");
	put(o, b, n);
	puts_(o, "\r\n");
}

int iw_sipi_build(char *buf, size_t size, const char *sdp, size_t sdp_len, const uint8_t *isup,
		  size_t isup_len, enum iw_sipi_version v, const char *boundary, char *ctype,
		  size_t ctype_size)
{
	const char *vname = iw_sipi_version_name(v);
	struct out o = {.buf = buf, .size = size};
	size_t blen, i;
	bool quote = false;
	int n;

	if (!boundary || (!sdp_len && !isup_len) || (sdp_len && !sdp) || (isup_len && !isup) ||
	    (isup_len && !vname))
		return -EINVAL;
	blen = strlen(boundary);
	if (!boundary_ok(boundary, blen))
		return -EINVAL;
	if (occurs_in(sdp, sdp_len, boundary, blen) || occurs_in(isup, isup_len, boundary, blen))
		return -EEXIST;
	for (i = 0; i < blen; i++)
		quote |= !is_token_char((unsigned char)boundary[i]);
	n = snprintf(ctype, ctype_size,
		     quote ? "multipart/mixed;boundary=\"%s\"" : "multipart/mixed;boundary=%s",
		     boundary);
	if (n < 0 || (size_t)n >= ctype_size)
		return -ENOSPC;

	/* RFC 2046 5.1.1: the CRLF ahead of each delimiter belongs to it, so
	 * each content is followed by one CRLF that is not part of it. */
	if (sdp_len) {
		put_delim(&o, boundary, blen);
		puts_(&o, "Content-Type: application/sdp\r\n\r\n");
		put(&o, sdp, sdp_len);
		puts_(&o, "\r\n");
	}
	if (isup_len) {
		put_delim(&o, boundary, blen);
		puts_(&o, "Content-Type: application/isup; version=");
		puts_(&o, vname);
		/* RFC 3204 encapsulation example; see the header comment */
		puts_(&o, "\r\nContent-Disposition: signal; handling=optional\r\n\r\n");
		put(&o, isup, isup_len);
		puts_(&o, "\r\n");
	}
	puts_(&o, "--");
	put(&o, boundary, blen);
	puts_(&o, "--\r\n");
	if (o.full || o.len > INT_MAX)
		return -ENOSPC;
	if (o.len < size)
		buf[o.len] = 0;
	return (int)o.len;
}

/* ---- parsing ---- */

enum part_kind { PART_OTHER, PART_SDP, PART_ISUP };

struct disp {
	struct tstr type;   /* empty when there was no Content-Disposition */
	struct tstr params; /* raw, for sip_param_find() */
};

static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct tstr trim(struct tstr v)
{
	while (v.len && is_lws(v.p[0])) {
		v.p++;
		v.len--;
	}
	while (v.len && is_lws(v.p[v.len - 1]))
		v.len--;
	return v;
}

/* Content-Disposition value (RFC 3261 20.11): disp-type *(SEMI disp-param). */
static int disp_decode(struct tstr v, struct disp *d)
{
	size_t i = 0;

	v = trim(v);
	d->type = d->params = TSTR_NULL;
	if (!v.len)
		return 0;
	while (i < v.len && is_token_char((unsigned char)v.p[i]))
		i++;
	if (!i)
		return -EBADMSG;
	d->type = tstr_make(v.p, i);
	while (i < v.len && is_lws(v.p[i]))
		i++;
	if (i == v.len)
		return 0;
	if (v.p[i] != ';')
		return -EBADMSG;
	d->params = tstr_make(v.p + i + 1, v.len - i - 1);
	return sip_params_check(d->params) ? -EBADMSG : 0;
}

/* Content-Type and Content-Disposition among a part's raw header lines,
 * continuation lines included (RFC 5322 2.2.3: the RFC 3204 encapsulation example
 * folds its ISUP Content-Type). */
static int part_headers(struct tstr hdrs, struct tstr *ctype, struct disp *d)
{
	size_t i = 0;
	bool seen_ct = false, seen_cd = false;

	*ctype = TSTR_NULL;
	d->type = d->params = TSTR_NULL;
	while (i < hdrs.len) {
		size_t start = i, end, colon;
		enum sip_hdr_kind kind;
		struct tstr name, value;

		/* a header line and its continuation lines */
		for (;;) {
			const char *lf = memchr(hdrs.p + i, '\n', hdrs.len - i);

			i = lf ? (size_t)(lf - hdrs.p) + 1 : hdrs.len;
			if (i >= hdrs.len || (hdrs.p[i] != ' ' && hdrs.p[i] != '\t'))
				break;
		}
		end = i;
		for (colon = start; colon < end && hdrs.p[colon] != ':'; colon++)
			;
		if (colon == end)
			return -EBADMSG;
		name = tstr_make(hdrs.p + start, colon - start);
		while (name.len && (name.p[name.len - 1] == ' ' || name.p[name.len - 1] == '\t'))
			name.len--;
		value = trim(tstr_make(hdrs.p + colon + 1, end - colon - 1));
		kind = sip_hdr_kind_from_name(name);
		if (kind == SIP_HDR_CONTENT_TYPE) {
			if (seen_ct || !value.len)
				return -EBADMSG;
			seen_ct = true;
			*ctype = value;
		} else if (kind == SIP_HDR_CONTENT_DISPOSITION) {
			/* RFC 2183: one per part */
			if (seen_cd || disp_decode(value, d) || !d->type.len)
				return -EBADMSG;
			seen_cd = true;
		}
	}
	return 0;
}

static enum part_kind kind_of(const struct sip_ctype *ct)
{
	if (!tstr_casecmp_cstr(ct->type, "application"))
		return PART_OTHER;
	if (tstr_casecmp_cstr(ct->subtype, "sdp"))
		return PART_SDP;
	if (tstr_casecmp_cstr(ct->subtype, "isup"))
		return PART_ISUP;
	return PART_OTHER;
}

/* RFC 3261 20.11: a missing handling parameter means "required". */
static bool handling_optional(const struct disp *d)
{
	struct tstr h;

	return d->type.len && sip_param_find(d->params, "handling", &h) &&
	       tstr_casecmp_cstr(h, "optional");
}

/* Do we understand this disposition for this kind of content? No
 * disposition takes the type's default (RFC 3261 20.11: session for SDP;
 * RFC 3204 gives ISUP none, signal is what it registers). */
static bool disp_understood(enum part_kind k, const struct disp *d)
{
	if (!d->type.len)
		return true;
	if (k == PART_SDP)
		return tstr_casecmp_cstr(d->type, "session");
	if (k == PART_ISUP)
		return tstr_casecmp_cstr(d->type, "signal");
	return false;
}

/* Take one body (a part, or the whole non-multipart body) into r. */
static int take(struct iw_sipi_body *r, struct tstr ctype, const struct disp *d,
		struct tstr content)
{
	struct sip_ctype ct = {0};
	enum part_kind k = PART_OTHER;

	if (ctype.len) {
		if (sip_ctype_decode(ctype, &ct))
			return -EBADMSG;
		k = kind_of(&ct);
	}
	/* RFC 2046 5.1: a part without Content-Type is text/plain, which we
	 * do not use either */
	if (k == PART_OTHER || !disp_understood(k, d)) {
		if (!handling_optional(d))
			return -ENOTSUP;
		r->ignored++;
		return 0;
	}
	if (k == PART_SDP) {
		if (r->has_sdp)
			return -EBADMSG;
		r->has_sdp = true;
		r->sdp = content;
		return 0;
	}
	if (r->has_isup)
		return -EBADMSG;
	r->has_isup = true;
	r->isup = content;
	if (!sip_param_find(ct.params, "version", &r->version))
		r->version = TSTR_NULL;
	if (!sip_param_find(ct.params, "base", &r->base))
		r->base = TSTR_NULL;
	return 0;
}

int iw_sipi_decode(struct tstr ctype, struct tstr cdisp, struct tstr body, struct iw_sipi_body *out)
{
	struct sip_mime_part parts[SIP_MIME_MAX_PARTS];
	struct iw_sipi_body r = {0};
	struct sip_ctype ct;
	struct tstr boundary;
	struct disp d;
	unsigned n, i;
	int rc;

	if (!ctype.len) {
		if (body.len)
			return -EBADMSG; /* RFC 3261 20.15: a body has a Content-Type */
		*out = r;
		return 0;
	}
	if (sip_ctype_decode(ctype, &ct))
		return -EBADMSG;
	if (!tstr_casecmp_cstr(ct.type, "multipart")) {
		if (disp_decode(cdisp, &d))
			return -EBADMSG;
		rc = take(&r, ctype, &d, body);
		if (rc)
			return rc;
		*out = r;
		return 0;
	}
	/* RFC 5621 8: a multipart body's parts carry their own
	 * dispositions; nested multiparts are parts we do not understand. */
	if (!sip_param_find(ct.params, "boundary", &boundary))
		return -EBADMSG;
	rc = sip_multipart_split(body, boundary, parts, SIP_MIME_MAX_PARTS, &n);
	if (rc)
		return -EBADMSG;
	for (i = 0; i < n; i++) {
		struct tstr pct;

		if (part_headers(parts[i].headers, &pct, &d))
			return -EBADMSG;
		rc = take(&r, pct, &d, parts[i].body);
		if (rc)
			return rc;
	}
	*out = r;
	return 0;
}

int iw_sipi_parse(const struct sip_msg *m, struct iw_sipi_body *out)
{
	const struct sip_hdr *ct = sip_msg_hdr(m, SIP_HDR_CONTENT_TYPE);
	const struct sip_hdr *cd = sip_msg_hdr(m, SIP_HDR_CONTENT_DISPOSITION);

	if ((ct && sip_msg_hdr_next(m, ct)) || (cd && sip_msg_hdr_next(m, cd)))
		return -EBADMSG;
	return iw_sipi_decode(ct ? ct->value : TSTR_NULL, cd ? cd->value : TSTR_NULL, m->body, out);
}

/* ---- the CIC ---- */

int iw_sipi_isup_with_cic(uint8_t *out, size_t size, uint16_t cic, const uint8_t *body, size_t len)
{
	if (!len)
		return -EINVAL;
	/* T1.113.3 2.2: 14 bits; Q.763 1.2: 12 (the decoder masks per variant) */
	if (cic > 0x3fff)
		return -ERANGE;
	if (len > INT_MAX - 2 || size < len + 2)
		return -ENOSPC;
	out[0] = (uint8_t)(cic & 0xff);
	out[1] = (uint8_t)(cic >> 8);
	memmove(out + 2, body, len);
	return (int)(len + 2);
}

int iw_sipi_isup_strip_cic(const uint8_t *msg, size_t len, const uint8_t **body, size_t *body_len,
			   uint16_t *cic)
{
	if (len < 3)
		return -EBADMSG;
	*cic = (uint16_t)(msg[0] | msg[1] << 8);
	*body = msg + 2;
	*body_len = len - 2;
	return 0;
}

bool iw_sipi_fits(const char *what, uint8_t type, bool acm_sent)
{
	unsigned status = 0;

	if (!what)
		return false;
	if (!strcasecmp(what, "BYE") || !strcasecmp(what, "CANCEL"))
		return type == ISUP_MT_REL;
	if (!strcasecmp(what, "INFO"))
		return type == ISUP_MT_CPG && acm_sent;
	for (const char *p = what; *p; p++) {
		if (*p < '0' || *p > '9' || status > 699)
			return false;
		status = status * 10 + (unsigned)(*p - '0');
	}
	if (status >= 180 && status <= 189)
		return type == (acm_sent ? ISUP_MT_CPG : ISUP_MT_ACM);
	if (status >= 200 && status <= 299)
		return type == (acm_sent ? ISUP_MT_ANM : ISUP_MT_CON);
	if (status >= 300 && status <= 699)
		return type == ISUP_MT_REL;
	return false;
}

/* Parameters Q.763 and T1.113 code alike (the ones a call's forward and
 * backward messages carry between networks); the rest is national. */
static bool both_variants(uint8_t code)
{
	switch (code) {
	case ISUP_PAR_ACCESS_TRANSPORT:
	case ISUP_PAR_CALLED_PARTY_NUMBER:
	case ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS:
	case ISUP_PAR_FORWARD_CALL_INDICATORS:
	case ISUP_PAR_CALLING_PARTYS_CATEGORY:
	case ISUP_PAR_CALLING_PARTY_NUMBER:
	case ISUP_PAR_REDIRECTING_NUMBER:
	case ISUP_PAR_REDIRECTION_NUMBER:
	case ISUP_PAR_BACKWARD_CALL_INDICATORS:
	case ISUP_PAR_CAUSE_INDICATORS:
	case ISUP_PAR_REDIRECTION_INFORMATION:
	case ISUP_PAR_USER_TO_USER_INFORMATION:
	case ISUP_PAR_EVENT_INFORMATION:
	case ISUP_PAR_ORIGINAL_CALLED_NUMBER:
	case ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS:
	case ISUP_PAR_HOP_COUNTER:
		return true;
	default:
		return false;
	}
}

/* Q.931 4.5.5 bearer capability octets 3-5 as T1.113 carries them */
static const uint8_t usi_speech[] = {0x80, 0x90, 0xa2}; /* speech, 64 kbit/s, G.711 mu */
static const uint8_t usi_audio[] = {0x90, 0x90, 0xa2};	/* 3.1 kHz audio */
static const uint8_t usi_digital[] = {0x88, 0x90};	/* unrestricted digital */
static const uint8_t tmr_values[] = {0x00, 0x02, 0x03}; /* Q.763 3.54 */

int iw_sipi_convert(enum isup_variant from, enum isup_variant to, const struct isup_msg *in,
		    struct isup_msg *out, uint8_t cause_buf[IW_SIPI_CAUSE_MAX], unsigned *dropped)
{
	unsigned drop = 0;

	*dropped = 0;
	if (from == to) {
		*out = *in;
		return 0;
	}
	if (!isup_fmt_get(to, in->type))
		return -ENOTSUP;
	*out = (struct isup_msg){.cic = in->cic, .type = in->type};
	for (unsigned i = 0; i < in->nparams && i < ISUP_MAX_PARAMS; i++) {
		struct isup_param q = in->p[i];

		if (q.code == ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT && to == ISUP_VAR_ANSI) {
			if (q.len != 1)
				return -EINVAL;
			if (q.val[0] == 0x00)
				q.val = usi_speech, q.len = sizeof(usi_speech);
			else if (q.val[0] == 0x03)
				q.val = usi_audio, q.len = sizeof(usi_audio);
			else if (q.val[0] == 0x02)
				q.val = usi_digital, q.len = sizeof(usi_digital);
			else
				return -ENOTSUP;
			q.code = ISUP_PAR_USER_SERVICE_INFORMATION;
		} else if (q.code == ISUP_PAR_USER_SERVICE_INFORMATION && to == ISUP_VAR_ITU) {
			/* information transfer capability, octet 3 bits 5-1 */
			uint8_t cap = q.len ? q.val[0] & 0x1f : 0xff;

			if (cap == 0x00)
				q.val = &tmr_values[0];
			else if (cap == 0x08)
				q.val = &tmr_values[1];
			else if (cap == 0x10)
				q.val = &tmr_values[2];
			else
				return -ENOTSUP;
			q.code = ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT;
			q.len = 1;
		} else if (!both_variants(q.code)) {
			drop++;
			continue;
		} else if (q.code == ISUP_PAR_CAUSE_INDICATORS && to == ISUP_VAR_ITU &&
			   q.len >= 2 && (q.val[0] & 0x60) != 0) {
			uint8_t v = q.val[1] & 0x7f;

			if (q.len > IW_SIPI_CAUSE_MAX)
				return -EINVAL;
			memcpy(cause_buf, q.val, q.len);
			cause_buf[0] &= (uint8_t)~0x60; /* coding standard: ITU-T */
			if (v == 23 || v == 24 || v == 25 || v == 26 || v == 46 || v == 51 ||
			    v == 54)
				cause_buf[1] = (uint8_t)((q.val[1] & 0x80) | 127);
			q.val = cause_buf;
		}
		out->p[out->nparams++] = q;
	}
	*dropped = drop;
	return 0;
}

static bool raw_put(struct iw_sipi_unknown *u, size_t max, const struct isup_param *p)
{
	if (u->len + 2 + (size_t)p->len > max)
		return false;
	u->raw[u->len++] = p->code;
	u->raw[u->len++] = p->len;
	memcpy(u->raw + u->len, p->val, p->len);
	u->len += p->len;
	return true;
}

void iw_sipi_unknown(const struct isup_msg *m, size_t max, struct iw_sipi_unknown *u)
{
	const struct isup_param *pci =
		isup_msg_param(m, ISUP_PAR_PARAMETER_COMPATIBILITY_INFORMATION);
	size_t room;

	memset(u, 0, sizeof(*u));
	if (max > IW_SIPI_UNKNOWN_MAX)
		max = IW_SIPI_UNKNOWN_MAX;
	/* the PCI's own room is kept aside so the next exchange learns the
	 * instructions for what passes on */
	room = pci && max >= 2u + pci->len ? max - 2u - pci->len : max;
	for (unsigned i = 0; i < m->nparams; i++) {
		const struct isup_param *p = &m->p[i];
		bool fits, notify;
		enum isup_compat d;

		if (p->part != ISUP_PART_OPT || isup_param_known(p->code))
			continue;
		fits = u->len + 2 + (size_t)p->len <= room;
		d = isup_param_compat(m, p->code, fits, &notify);
		u->notify |= notify;
		switch (d) {
		case ISUP_COMPAT_PASS_ON:
			raw_put(u, room, p);
			u->passed++;
			break;
		case ISUP_COMPAT_DISCARD_PARAM:
			u->discarded++;
			break;
		case ISUP_COMPAT_DISCARD_MSG:
			u->discard_msg = true;
			u->discarded++;
			break;
		case ISUP_COMPAT_RELEASE:
			if (!u->release)
				u->release_code = p->code;
			u->release = true;
			u->discarded++;
			break;
		}
	}
	if (u->passed && pci)
		raw_put(u, max, pci);
}
