/* Number normalisation between ISUP (nature of address + digits, Q.763
 * 3.9 / 3.10) and E.164 ("+" country code and national significant number,
 * ITU-T E.164), and from tel: URIs / SIP user parts (RFC 3966). Pure: no
 * I/O, no globals. Functions return the length written (without the NUL)
 * or -EINVAL for a number that cannot be normalised, -ENOSPC when the
 * output does not fit; outputs are written only on success. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* ITU-T E.164 6.1: at most 15 digits, country code included. */
#define IW_E164_MAX_DIGITS 15
/* "+", 15 digits, NUL */
#define IW_E164_BUF (IW_E164_MAX_DIGITS + 2)

/* Nature of address indicator values (Q.763 3.9 b). */
enum iw_noa {
	IW_NOA_SUBSCRIBER = 1,
	IW_NOA_UNKNOWN = 2,
	IW_NOA_NATIONAL = 3,
	IW_NOA_INTERNATIONAL = 4,
};

/* How numbers are written on one linkset. Empty strings: none. */
struct iw_number_ctx {
	char cc[4];		 /* country code, 1..3 digits */
	char national_prefix[8]; /* trunk prefix, e.g. "0" */
	char intl_prefix[8];	 /* international prefix, e.g. "00" */
	char area_code[8];	 /* area code of subscriber numbers, e.g. "30" */
};

/* Fills ctx from strings (NULL: empty), checking each is digits only and
 * fits. -EINVAL otherwise (ctx then unchanged). */
int iw_number_ctx_set(struct iw_number_ctx *ctx, const char *cc, const char *national_prefix,
		      const char *intl_prefix, const char *area_code);

/* ISUP called/calling number -> "+CC..." in out (NUL-terminated).
 * international: digits are CC + NSN; national: NSN; subscriber: the area
 * code of ctx goes in front (-EINVAL when there is none); unknown: a
 * leading international prefix makes it international, a leading national
 * prefix national, otherwise it is a subscriber number when ctx has an
 * area code and national when not. Digits '0'-'9' only (the caller drops
 * ST); the result has at most 15 digits. */
int iw_number_to_e164(const struct iw_number_ctx *ctx, uint8_t noa, const char *digits, size_t len,
		      char *out, size_t size);

/* E.164 ("+" optional) -> NOA and digits for an outgoing IAM: national
 * (NSN) when the country code is ctx's, international (CC + NSN) when not. */
int iw_number_from_e164(const struct iw_number_ctx *ctx, const char *e164, size_t len, uint8_t *noa,
			char *digits, size_t size);

/* A tel: URI ("tel:+49-30-1234", "tel:030-1234;phone-context=+49") or a
 * SIP URI's user part ("+49301234;npdi", "0301234"), with or without the
 * "tel:" / "sip:" / "sips:" scheme (a "@host" part is dropped) -> "+CC...".
 * Visual separators - . ( ) are removed (RFC 3966 5.1.1). A global number
 * stands as it is. A local number is read in its phone-context when that
 * is a global number prefix: with ctx's prefixes and that context's area
 * digits when the context is in ctx's country, by appending the digits to
 * the context otherwise; with no phone-context, or a domain name one, it
 * is taken as an unknown-NOA number of ctx. Other parameters (ext, isub,
 * npdi, rn...) are ignored. */
int iw_number_from_uri(const struct iw_number_ctx *ctx, const char *uri, size_t len, char *out,
		       size_t size);

/* Name of a NOA value ("subscriber"...) or NULL; and back (-EINVAL). */
const char *iw_noa_name(uint8_t noa);
int iw_noa_from_name(const char *name);
