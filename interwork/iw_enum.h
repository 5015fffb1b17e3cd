/* ENUM (RFC 6116) without I/O: the E.164 number to domain mapping, the
 * NAPTR record set processing of the DDDS algorithm (RFC 3402, RFC 3403)
 * for the enumservices tandem routes on, the substitution expression, and
 * the number portability parameters (RFC 4694) of the resulting URI.
 *
 * Everything here works on caller-owned bytes and keeps no state, so a unit
 * test or a fuzzer can drive it directly; iw_enum_dns.h does the lookups. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tstr.h"

#define IW_ENUM_SUFFIX	 "e164.arpa"
#define IW_ENUM_E164_MAX 15  /* E.164 6.1: at most 15 digits */
#define IW_ENUM_URI_MAX	 512 /* a substitution result longer than this is refused */
#define IW_ENUM_RN_MAX	 40
#define IW_ENUM_SVC_MAX	 64

/* Enumservice types a record may carry to be usable (RFC 6116 3.4). */
enum iw_enum_svc {
	IW_ENUM_SVC_SIP = 1 << 0,  /* "sip" (RFC 3764): sip: / sips: URI */
	IW_ENUM_SVC_PSTN = 1 << 1, /* "pstn" (RFC 4769): tel: or sip: URI with NP data */
};
#define IW_ENUM_SVC_DEFAULT (IW_ENUM_SVC_SIP | IW_ENUM_SVC_PSTN)

/* One NAPTR record (RFC 3403 4.1); the fields are views, not copies. */
struct iw_enum_naptr {
	uint16_t order, pref;
	struct tstr flags, service, regexp, replacement;
};

/* Number portability data of a tel URI (RFC 4694 4). */
struct iw_enum_np {
	bool npdi;			 /* ";npdi": the NP dip was done */
	bool has_rn;			 /* ";rn=" present */
	char rn[IW_ENUM_RN_MAX];	 /* routing number, visual separators removed */
	char rn_context[IW_ENUM_RN_MAX]; /* ";rn-context=" as given, "" if absent */
};

/* The record chosen for a number. */
struct iw_enum_result {
	char uri[IW_ENUM_URI_MAX];
	char service[IW_ENUM_SVC_MAX]; /* the record's service field */
	uint16_t order, pref;
	struct iw_enum_np np;
	uint32_t ttl;	 /* seconds; filled in by the resolver, 0 from iw_enum_select() */
	bool cached;	 /* answered from iw_enum_dns's cache */
	unsigned usable; /* how many records of the set were usable */
};

/* The Application Unique String (RFC 6116 2.1): '+' and 1..15 digits.
 * Returns 0 or -EINVAL. */
int iw_enum_aus_check(const char *e164);

/* RFC 6116 2.4: "+4930123" -> "3.2.1.0.3.4.e164.arpa". suffix NULL or ""
 * means "e164.arpa"; leading and trailing dots of suffix are ignored.
 * Returns the length written, -EINVAL for a bad number or suffix, -ENOSPC
 * when out is too small. */
int iw_enum_domain(const char *e164, const char *suffix, char *out, size_t size);

/* RFC 6116 3.4.3 service field: "E2U" 1*("+" type *(":" subtype)).
 * Returns the IW_ENUM_SVC_* bits of the enumservices found (0 when none of
 * ours), or -EINVAL when the field is not an E2U service field. Type and
 * subtype names compare case-insensitively. */
int iw_enum_service_parse(struct tstr service);

/* RFC 3402 3.2 substitution expression, e.g. "!^(.*)$!sip:\1@example.net!i",
 * applied to the AUS: ERE (POSIX), backreferences \1..\9, "\" delim for a
 * literal delimiter, flag "i" for case-insensitive matching. Writes the
 * NUL-terminated result. Returns its length, -ENOENT when the ERE does not
 * match, -EINVAL for a malformed expression (bad delimiter, bad ERE, a
 * backreference to a missing group, an unknown flag), -ENOSPC when the
 * result does not fit. */
int iw_enum_regexp_apply(struct tstr regexp, const char *aus, char *out, size_t size);

/* Sort by order, then preference (RFC 3403 4.1), stable. */
void iw_enum_sort(struct iw_enum_naptr *recs, size_t n);

/* The DDDS loop for a terminal answer: sorts recs, keeps records whose
 * flags are "u" (RFC 6116 3.4.1: terminal, the result is a URI) and whose
 * service carries one of the types in services, applies the regexp and
 * returns the first result whose URI scheme fits the service. Records that
 * carry a replacement besides the regexp (other than "." or empty), or
 * are malformed, non-terminal or of other services are skipped (non-terminal
 * rewrites are not followed). 0 with *res filled, -ENOENT when no record is
 * usable, -EINVAL for a bad AUS. */
int iw_enum_select(struct iw_enum_naptr *recs, size_t n, const char *aus, unsigned services,
		   struct iw_enum_result *res);

/* Enumservices accepted, as a list of "E2U+type" or "E2U+type:subtype"
 * (RFC 6116 3.4.3, one enumservice each): "E2U+sip" (RFC 3764),
 * "E2U+pstn:sip", "E2U+pstn:tel" (RFC 4769), "E2U+tel", "E2U+voice:tel"...
 * A record is accepted when one of its enumservices has the type of an
 * entry and, when the entry names a subtype, that subtype among its own.
 * The URI must fit the entry that matched: type sip gives sip:/sips:, a
 * subtype sip, sips or tel names the URI scheme, type tel gives tel:, and
 * otherwise any URI tandem can route (sip:, sips:, tel:). */
#define IW_ENUM_FILTER_MAX 8
#define IW_ENUM_TOKEN_MAX  32 /* RFC 6116 3.4.3: type and subtype are 1..32 characters */
struct iw_enum_filter {
	unsigned n;
	struct iw_enum_filter_spec {
		char type[IW_ENUM_TOKEN_MAX + 1];
		char subtype[IW_ENUM_TOKEN_MAX + 1]; /* "": any subtype, or none */
	} spec[IW_ENUM_FILTER_MAX];
};

/* Parses "E2U+pstn:tel,E2U+sip" (entries separated by commas, "E2U"
 * case-insensitive, names kept in lower case) into f. Returns 0, -EINVAL
 * for an entry that is not E2U+type[:subtype] with names of letters,
 * digits and '-', or for more than IW_ENUM_FILTER_MAX entries. */
int iw_enum_filter_parse(struct iw_enum_filter *f, const char *list);

/* The filter the IW_ENUM_SVC_* bits stand for: "E2U+sip", "E2U+pstn". */
void iw_enum_filter_from_bits(struct iw_enum_filter *f, unsigned services);

/* Which entries of f a record's service field matches: a bit mask (bit k
 * for f->spec[k]), 0 for none, -EINVAL for a malformed service field. */
int iw_enum_filter_match(const struct iw_enum_filter *f, struct tstr service);

/* iw_enum_select() with a filter in place of the IW_ENUM_SVC_* bits. */
int iw_enum_select_filter(struct iw_enum_naptr *recs, size_t n, const char *aus,
			  const struct iw_enum_filter *f, struct iw_enum_result *res);

/* RFC 4694 parameters of "tel:NUMBER;npdi;rn=..." or of the user part of a
 * sip:/sips: URI ("sip:+1202...;npdi;rn=+1202...@host;user=phone").
 * Returns 0 (np cleared, then filled with what is present; a URI without
 * them is fine), -EINVAL for a malformed rn or a repeated parameter. */
int iw_enum_np_parse(const char *uri, struct iw_enum_np *np);
