/* SIP, SIPS and tel URIs (RFC 3261 19.1, 25.1; RFC 3966), zero-copy. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tstr.h"

enum sip_uri_scheme {
	SIP_URI_OTHER = 0,
	SIP_URI_SIP,
	SIP_URI_SIPS,
	SIP_URI_TEL,
};

struct sip_uri {
	enum sip_uri_scheme scheme;
	struct tstr scheme_str;
	struct tstr user;     /* still %-escaped; for tel: the number */
	struct tstr password; /* still %-escaped */
	struct tstr host;     /* IPv6 references without their brackets */
	bool host_ipv6;
	uint16_t port;	     /* 0 when absent */
	struct tstr params;  /* after the first ';' of the uri-parameters, raw */
	struct tstr headers; /* after '?', raw */
	struct tstr opaque;  /* everything after "scheme:" for other schemes */
};

/* Decode a URI. sip/sips are checked against the RFC 3261 grammar (escapes,
 * host, port range); tel needs a number; other schemes are only split off.
 * Returns 0 or -EBADMSG. */
int sip_uri_decode(struct tstr s, struct sip_uri *u);

/* Find a parameter in a ';'-separated list ("a=b;c;d=e", LWS allowed around
 * ';' and '='; names compared case-insensitively). *val is set (possibly
 * empty, quotes stripped) when found. */
bool sip_param_find(struct tstr params, const char *name, struct tstr *val);

/* Take the next ';' item off *rest (quotes respected): name and value
 * trimmed, *has_val when there was a '='. False when rest is exhausted. */
bool sip_param_next(struct tstr *rest, struct tstr *name, struct tstr *val, bool *has_val);
/* A parameter value: token, quoted-string or (IPv6) address characters. */
bool sip_param_value_ok(struct tstr v);

/* Check a ';'-separated parameter list: every name a token, every value a
 * token, quoted string, or (IPv6) bracketed reference. 0 or -EBADMSG. */
int sip_params_check(struct tstr params);

/* Undo %-escapes into out (escaped NULs become 0 bytes; RFC 3261 19.1.2).
 * Returns the decoded length, -EBADMSG for a bad escape, -ENOSPC. */
int sip_unescape(struct tstr s, char *out, size_t size);

/* RFC 3261 19.1.4 equality of the user parts after unescaping. */
bool sip_uri_user_eq(struct tstr a, struct tstr b);

/* RFC 3261 19.1.4 equality of two sip/sips URIs: scheme, userinfo
 * (case-sensitive), host (case-insensitive) and port (absent != 5060) after
 * unescaping; parameters in both must match, user/ttl/method/maddr in only
 * one never match, others in only one are ignored; headers all in both.
 * Other schemes compare byte for byte. */
bool sip_uri_equal(struct tstr a, struct tstr b);

/* host = hostname / IPv4address / IPv6reference; IPv6 without brackets
 * when bracketed is false (Via received, RFC 5118 4.5). */
bool sip_host_valid(struct tstr host, bool ipv6);
