/* SIP digest authentication (RFC 3261 22, RFC 2617, RFC 7616, RFC 8760).
 *
 * Pure code: no I/O, no globals, no randomness. Callers supply cnonces,
 * nonce salts and the current time, so the functions are deterministic and
 * unit tests can reproduce the RFC vectors.
 *
 * Client (a trunk registering or answering 401/407):
 *   sip_auth_challenge_decode(WWW-Authenticate value) ->
 *   sip_auth_response_encode(...) -> Authorization value.
 * Server (a trunk that must authenticate its peer):
 *   sip_auth_challenge_encode(...) -> WWW-Authenticate value (stateless nonce);
 *   sip_auth_credentials_decode(Authorization value) -> sip_auth_verify().
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tstr.h"

enum sip_auth_alg {
	SIP_AUTH_MD5 = 0,
	SIP_AUTH_MD5_SESS,
	SIP_AUTH_SHA256,
	SIP_AUTH_SHA256_SESS,
	SIP_AUTH_SHA512_256, /* RFC 8760 2.2: also defined for SIP */
	SIP_AUTH_SHA512_256_SESS,
};

/* Longest hex digest (SHA-256) plus NUL. */
#define SIP_AUTH_HEX_MAX 65

const char *sip_auth_alg_name(enum sip_auth_alg a);
/* RFC 8760 2.4 / RFC 7616 3.7: with several challenges (one per algorithm),
 * a UAC uses the first one it supports in the server's order of preference;
 * servers list the strongest first. Higher is stronger; lets a caller that
 * wants to pick by strength compare. */
int sip_auth_alg_rank(enum sip_auth_alg a);

/* A WWW-Authenticate / Proxy-Authenticate value ("Digest realm=..."). Quoted
 * values are views of the raw quoted content (escapes not yet removed). */
struct sip_auth_challenge {
	struct tstr realm;
	struct tstr nonce;
	struct tstr opaque; /* empty if absent */
	bool has_opaque;
	enum sip_auth_alg alg;
	bool qop_present; /* a qop list was given */
	bool qop_auth;	  /* ... and it contains "auth" */
	bool stale;
};

/* Returns 0, -EBADMSG (malformed), or -ENOTSUP (not Digest, unknown
 * algorithm, or a qop list without "auth": we cannot answer it). */
int sip_auth_challenge_decode(struct sip_auth_challenge *out, const char *val, size_t len);

/* Client state for one credential: RFC 7616 3.4 nonce-count, increments for
 * each request sent with the same nonce and restarts at 1 for a new one. */
struct sip_auth_client {
	uint32_t nc;
	size_t nonce_len;
	char nonce[256];
};

struct sip_auth_request {
	const char *user;
	const char *password;
	const char *method; /* INVITE, REGISTER, ... (ACK/CANCEL use INVITE's, RFC 3261 22.1) */
	struct tstr uri;    /* Request-URI as sent */
	const char *cnonce; /* caller-chosen random token */
};

/* Build the Authorization / Proxy-Authorization value. Returns its length
 * (buf NUL-terminated), -ENOSPC, or -EINVAL. Updates st->nc. */
int sip_auth_response_encode(char *buf, size_t size, struct sip_auth_client *st,
			     const struct sip_auth_challenge *ch,
			     const struct sip_auth_request *rq);

/* Lower-level digest (used by both sides): response hex into out. ha1 is the
 * hex H(user:realm:password) (not yet -sess'ed). qop NULL = RFC 2069 form. */
int sip_auth_digest(char out[SIP_AUTH_HEX_MAX], enum sip_auth_alg alg, const char *ha1,
		    struct tstr nonce, struct tstr cnonce, struct tstr nc, const char *qop,
		    struct tstr method, struct tstr uri);
/* H(user ":" realm ":" password) as hex. */
int sip_auth_ha1(char out[SIP_AUTH_HEX_MAX], enum sip_auth_alg alg, struct tstr user,
		 struct tstr realm, struct tstr password);

/* Server configuration. key is the HMAC secret for nonces (>= 16 bytes). */
struct sip_auth_server {
	const char *realm;
	enum sip_auth_alg alg;
	const uint8_t *key;
	size_t key_len;
	uint32_t nonce_ttl; /* seconds a nonce stays fresh */
	bool qop_auth;	    /* offer qop="auth" (RFC 8760 recommends it) */
};

/* Build a challenge value. The nonce is hex(time, salt, HMAC-SHA256(key,
 * time|salt|realm)) so it verifies without state and expires. salt: 8
 * caller-random bytes. Returns length, -ENOSPC or -EINVAL. */
int sip_auth_challenge_encode(char *buf, size_t size, const struct sip_auth_server *srv,
			      uint64_t now, const uint8_t salt[8], bool stale);

/* An Authorization value. Views as for the challenge. */
struct sip_auth_credentials {
	struct tstr username;
	struct tstr realm;
	struct tstr nonce;
	struct tstr uri;
	struct tstr response;
	struct tstr cnonce;
	struct tstr opaque;
	struct tstr nc_raw;
	struct tstr qop;
	enum sip_auth_alg alg;
	uint32_t nc;
	bool has_qop;
};

int sip_auth_credentials_decode(struct sip_auth_credentials *out, const char *val, size_t len);

/* The user name with quoted-string escapes removed. -ENOSPC if too long. */
int sip_auth_unquote(struct tstr raw, char *buf, size_t size);

/* Check credentials. secret is the password, or the hex HA1 if is_ha1.
 * The caller looks the user up by cr->username and should also check that
 * cr->uri names the Request-URI (RFC 7616 3.4.6) before calling this.
 * nc_seen (optional, per nonce, kept by the caller) rejects replays: nc must
 * grow. Returns 0 ok; -ESTALE nonce authentic but expired (challenge again
 * with stale=true, RFC 7616 3.3); -EACCES wrong response, foreign nonce,
 * wrong realm or algorithm; -EALREADY nonce-count replay; -EINVAL bad args. */
int sip_auth_verify(const struct sip_auth_server *srv, const struct sip_auth_credentials *cr,
		    const char *method, const char *secret, bool is_ha1, uint64_t now,
		    uint32_t *nc_seen);
