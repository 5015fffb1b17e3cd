/* ISUP numbers <-> E.164, tel: / SIP user parts -> E.164. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "interwork/iw_number.h"

/* Longest digit string accepted on input before normalisation (an unknown
 * number with both prefixes still fits); ISUP carries up to 40 digits. */
#define DIGITS_IN_MAX 40

static bool all_digits(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static bool has_prefix(const char *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return n && n <= len && memcmp(p, prefix, n) == 0;
}

/* "+" a b c into out; E.164 6.1: 15 digits at most. A number needs a
 * country code and at least one more digit. */
static int emit(char *out, size_t size, const char *a, size_t alen, const char *b, size_t blen,
		const char *c, size_t clen)
{
	size_t n = alen + blen + clen;

	if (n < 2 || n > IW_E164_MAX_DIGITS || clen == 0)
		return -EINVAL;
	if (n + 2 > size)
		return -ENOSPC;
	out[0] = '+';
	memcpy(out + 1, a, alen);
	memcpy(out + 1 + alen, b, blen);
	memcpy(out + 1 + alen + blen, c, clen);
	out[n + 1] = 0;
	return (int)n + 1;
}

static int check_field(const char *src, size_t max)
{
	size_t n = src ? strlen(src) : 0;

	if (n > max || !all_digits(src, n))
		return -EINVAL;
	return 0;
}

int iw_number_ctx_set(struct iw_number_ctx *ctx, const char *cc, const char *national_prefix,
		      const char *intl_prefix, const char *area_code)
{
	struct iw_number_ctx c;

	/* E.164 6.2.1: country codes have 1 to 3 digits. */
	if (!cc || !*cc || check_field(cc, sizeof(c.cc) - 1) < 0 ||
	    check_field(national_prefix, sizeof(c.national_prefix) - 1) < 0 ||
	    check_field(intl_prefix, sizeof(c.intl_prefix) - 1) < 0 ||
	    check_field(area_code, sizeof(c.area_code) - 1) < 0)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	strcpy(c.cc, cc);
	strcpy(c.national_prefix, national_prefix ? national_prefix : "");
	strcpy(c.intl_prefix, intl_prefix ? intl_prefix : "");
	strcpy(c.area_code, area_code ? area_code : "");
	*ctx = c;
	return 0;
}

int iw_number_to_e164(const struct iw_number_ctx *ctx, uint8_t noa, const char *digits, size_t len,
		      char *out, size_t size)
{
	const char *cc = ctx->cc, *area = ctx->area_code;

	if (!digits || len == 0 || len > DIGITS_IN_MAX || !all_digits(digits, len))
		return -EINVAL;
	if (noa == IW_NOA_UNKNOWN) {
		const char *ip = ctx->intl_prefix, *np = ctx->national_prefix;
		/* The longer prefix first: "00" international must not be
		 * read as "0" national followed by "0...". */
		bool ip_first = strlen(ip) >= strlen(np);
		const char *first = ip_first ? ip : np, *second = ip_first ? np : ip;

		if (has_prefix(digits, len, first)) {
			noa = ip_first ? IW_NOA_INTERNATIONAL : IW_NOA_NATIONAL;
			digits += strlen(first);
			len -= strlen(first);
		} else if (has_prefix(digits, len, second)) {
			noa = ip_first ? IW_NOA_NATIONAL : IW_NOA_INTERNATIONAL;
			digits += strlen(second);
			len -= strlen(second);
		} else {
			noa = *area ? IW_NOA_SUBSCRIBER : IW_NOA_NATIONAL;
		}
		if (len == 0)
			return -EINVAL;
	}
	switch (noa) {
	case IW_NOA_INTERNATIONAL:
		return emit(out, size, "", 0, "", 0, digits, len);
	case IW_NOA_NATIONAL:
		if (!*cc)
			return -EINVAL;
		return emit(out, size, cc, strlen(cc), "", 0, digits, len);
	case IW_NOA_SUBSCRIBER:
		if (!*cc || !*area)
			return -EINVAL;
		return emit(out, size, cc, strlen(cc), area, strlen(area), digits, len);
	default:
		/* Q.763 3.9 b: the other values (network-specific, routing
		 * numbers, spare) have no E.164 reading. */
		return -EINVAL;
	}
}

int iw_number_from_e164(const struct iw_number_ctx *ctx, const char *e164, size_t len, uint8_t *noa,
			char *digits, size_t size)
{
	size_t cclen = strlen(ctx->cc);
	uint8_t n = IW_NOA_INTERNATIONAL;

	if (!e164)
		return -EINVAL;
	if (len && e164[0] == '+') {
		e164++;
		len--;
	}
	if (len < 2 || len > IW_E164_MAX_DIGITS || !all_digits(e164, len))
		return -EINVAL;
	/* E.164 country codes form a prefix code, so a match is the CC. */
	if (cclen && len > cclen && memcmp(e164, ctx->cc, cclen) == 0) {
		n = IW_NOA_NATIONAL;
		e164 += cclen;
		len -= cclen;
	}
	if (len + 1 > size)
		return -ENOSPC;
	memcpy(digits, e164, len);
	digits[len] = 0;
	*noa = n;
	return (int)len;
}

/* RFC 3966 5.1.1 visual-separator; returns the digit count or -EINVAL. */
static int strip_separators(const char *p, size_t len, char *out, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = p[i];

		if (c == '-' || c == '.' || c == '(' || c == ')')
			continue;
		/* '*', '#' and A-D (RFC 3966 dtmf-digit) have no E.164 form */
		if (c < '0' || c > '9' || n >= size)
			return -EINVAL;
		out[n++] = c;
	}
	return n ? (int)n : -EINVAL;
}

static bool skip_scheme(const char **p, size_t *len, const char *scheme)
{
	size_t n = strlen(scheme);

	if (*len >= n && strncasecmp(*p, scheme, n) == 0) {
		*p += n;
		*len -= n;
		return true;
	}
	return false;
}

int iw_number_from_uri(const struct iw_number_ctx *ctx, const char *uri, size_t len, char *out,
		       size_t size)
{
	char num[DIGITS_IN_MAX], pc[DIGITS_IN_MAX];
	const char *pcv = NULL, *at, *semi, *end;
	size_t pcl = 0;
	bool global;
	int n, m;

	if (!uri)
		return -EINVAL;
	if (!skip_scheme(&uri, &len, "tel:") && !skip_scheme(&uri, &len, "sips:"))
		skip_scheme(&uri, &len, "sip:");
	at = memchr(uri, '@', len);
	if (at)
		len = (size_t)(at - uri);
	end = uri + len;
	semi = memchr(uri, ';', len);
	if (!semi)
		semi = end;
	/* RFC 3966 3: par = parameter / extension / isdn-subaddress; only
	 * phone-context changes how the digits read. */
	for (const char *q = semi; q < end;) {
		const char *s = q + 1, *e = memchr(s, ';', (size_t)(end - s));

		if (!e)
			e = end;
		if ((size_t)(e - s) > 14 && strncasecmp(s, "phone-context=", 14) == 0) {
			pcv = s + 14;
			pcl = (size_t)(e - pcv);
		}
		q = e;
	}
	global = semi > uri && uri[0] == '+';
	n = strip_separators(uri + global, (size_t)(semi - uri) - global, num, sizeof(num));
	if (n < 0)
		return n;
	if (global)
		return emit(out, size, "", 0, "", 0, num, (size_t)n);
	if (pcv && pcv[0] == '+') {
		size_t cclen = strlen(ctx->cc);

		m = strip_separators(pcv + 1, pcl - 1, pc, sizeof(pc));
		if (m < 0)
			return m;
		if (cclen && (size_t)m >= cclen && memcmp(pc, ctx->cc, cclen) == 0) {
			/* In our country: the digits after the CC are the area
			 * the number is local to. */
			struct iw_number_ctx c = *ctx;
			size_t al = (size_t)m - cclen;

			if (al >= sizeof(c.area_code))
				return -EINVAL;
			memcpy(c.area_code, pc + cclen, al);
			c.area_code[al] = 0;
			return iw_number_to_e164(&c, IW_NOA_UNKNOWN, num, (size_t)n, out, size);
		}
		/* Another country's prefixes are unknown here: RFC 3966 5.1.5
		 * global number digits followed by the local number. */
		return emit(out, size, pc, (size_t)m, "", 0, num, (size_t)n);
	}
	return iw_number_to_e164(ctx, IW_NOA_UNKNOWN, num, (size_t)n, out, size);
}

static const char *const noa_names[] = {
	[IW_NOA_SUBSCRIBER] = "subscriber",
	[IW_NOA_UNKNOWN] = "unknown",
	[IW_NOA_NATIONAL] = "national",
	[IW_NOA_INTERNATIONAL] = "international",
};

const char *iw_noa_name(uint8_t noa)
{
	return noa < sizeof(noa_names) / sizeof(noa_names[0]) ? noa_names[noa] : NULL;
}

int iw_noa_from_name(const char *name)
{
	for (int i = IW_NOA_SUBSCRIBER; i <= IW_NOA_INTERNATIONAL; i++)
		if (!strcasecmp(name, noa_names[i]))
			return i;
	return -EINVAL;
}
