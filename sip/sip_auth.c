/* SIP digest authentication: header values, digests, stateless nonces. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sip/sip_auth.h"

/* Unescaped values we hash are bounded; longer ones are refused, not cut. */
#define VAL_MAX 512

static const char *const alg_names[] = {
	[SIP_AUTH_MD5] = "MD5",
	[SIP_AUTH_MD5_SESS] = "MD5-sess",
	[SIP_AUTH_SHA256] = "SHA-256",
	[SIP_AUTH_SHA256_SESS] = "SHA-256-sess",
	[SIP_AUTH_SHA512_256] = "SHA-512-256",
	[SIP_AUTH_SHA512_256_SESS] = "SHA-512-256-sess",
};

#define ALG_LAST SIP_AUTH_SHA512_256_SESS

int sip_auth_alg_rank(enum sip_auth_alg a)
{
	switch (a) {
	case SIP_AUTH_MD5:
	case SIP_AUTH_MD5_SESS:
		return 1;
	case SIP_AUTH_SHA256:
	case SIP_AUTH_SHA256_SESS:
		return 2;
	case SIP_AUTH_SHA512_256:
	case SIP_AUTH_SHA512_256_SESS:
		return 3;
	}
	return 0;
}

const char *sip_auth_alg_name(enum sip_auth_alg a)
{
	return (unsigned)a <= ALG_LAST ? alg_names[a] : "?";
}

static bool alg_parse(struct tstr t, enum sip_auth_alg *out)
{
	/* RFC 7616 3.3: algorithm names compare case-insensitively. */
	for (unsigned i = 0; i <= ALG_LAST; i++)
		if (tstr_casecmp_cstr(t, alg_names[i])) {
			*out = (enum sip_auth_alg)i;
			return true;
		}
	return false;
}

static bool alg_sess(enum sip_auth_alg a)
{
	return a == SIP_AUTH_MD5_SESS || a == SIP_AUTH_SHA256_SESS || a == SIP_AUTH_SHA512_256_SESS;
}

static const EVP_MD *alg_md(enum sip_auth_alg a)
{
	switch (a) {
	case SIP_AUTH_SHA256:
	case SIP_AUTH_SHA256_SESS:
		return EVP_sha256();
	case SIP_AUTH_SHA512_256:
	case SIP_AUTH_SHA512_256_SESS:
		return EVP_sha512_256();
	default:
		return EVP_md5();
	}
}

/* ---- auth-param lists (RFC 3261 25.1, RFC 7235 2.1) ---- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 3261 25.1 token characters. */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("-.!%*_+`'~", c) != NULL;
}

struct ap_iter {
	const char *p, *end;
	bool first;
};

struct ap {
	struct tstr name;
	struct tstr val; /* quoted: content between the quotes, still escaped */
	bool quoted;
};

static void skip_ws(struct ap_iter *it)
{
	while (it->p < it->end && is_ws(*it->p))
		it->p++;
}

/* Returns 1 with *a, 0 at the end, -EBADMSG. */
static int ap_next(struct ap_iter *it, struct ap *a)
{
	const char *s;

	skip_ws(it);
	if (it->p == it->end)
		return 0;
	if (!it->first) {
		if (*it->p != ',')
			return -EBADMSG;
		it->p++;
		skip_ws(it);
		/* RFC 7230 7: empty list elements are tolerated. */
		while (it->p < it->end && *it->p == ',') {
			it->p++;
			skip_ws(it);
		}
		if (it->p == it->end)
			return 0;
	}
	it->first = false;
	s = it->p;
	while (it->p < it->end && is_tchar(*it->p))
		it->p++;
	if (it->p == s)
		return -EBADMSG;
	a->name = tstr_make(s, (size_t)(it->p - s));
	skip_ws(it);
	if (it->p == it->end || *it->p != '=')
		return -EBADMSG;
	it->p++;
	skip_ws(it);
	if (it->p == it->end)
		return -EBADMSG;
	if (*it->p == '"') {
		s = ++it->p;
		for (;;) {
			if (it->p == it->end)
				return -EBADMSG;
			if (*it->p == '"')
				break;
			if (*it->p == '\\') {
				/* quoted-pair: any char but CR/LF */
				if (it->p + 1 == it->end || it->p[1] == '\r' || it->p[1] == '\n')
					return -EBADMSG;
				it->p += 2;
				continue;
			}
			if (*it->p == '\0')
				return -EBADMSG;
			it->p++;
		}
		a->val = tstr_make(s, (size_t)(it->p - s));
		a->quoted = true;
		it->p++;
		return 1;
	}
	s = it->p;
	while (it->p < it->end && is_tchar(*it->p))
		it->p++;
	if (it->p == s)
		return -EBADMSG;
	a->val = tstr_make(s, (size_t)(it->p - s));
	a->quoted = false;
	return 1;
}

/* "Digest" SP params. Returns 0 and an iterator at the params. */
static int scheme_digest(struct ap_iter *it, const char *val, size_t len)
{
	const char *p = val, *end = val + len;

	while (p < end && is_ws(*p))
		p++;
	if ((size_t)(end - p) < 6 || strncasecmp(p, "Digest", 6) != 0 ||
	    ((size_t)(end - p) > 6 && !is_ws(p[6])))
		return -ENOTSUP;
	it->p = p + 6;
	it->end = end;
	it->first = true;
	return 0;
}

int sip_auth_unquote(struct tstr raw, char *buf, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < raw.len; i++) {
		char c = raw.p[i];

		if (c == '\\' && i + 1 < raw.len)
			c = raw.p[++i];
		if (n + 1 >= size)
			return -ENOSPC;
		buf[n++] = c;
	}
	if (size == 0)
		return -ENOSPC;
	buf[n] = 0;
	return (int)n;
}

#define SEEN(bit)                         \
	do {                              \
		if (seen & (1u << (bit))) \
			goto bad;         \
		seen |= 1u << (bit);      \
	} while (0)

int sip_auth_challenge_decode(struct sip_auth_challenge *out, const char *val, size_t len)
{
	struct sip_auth_challenge c;
	struct ap_iter it;
	struct ap a;
	unsigned seen = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = scheme_digest(&it, val, len);
	if (rc)
		return rc;
	while ((rc = ap_next(&it, &a)) == 1) {
		if (tstr_casecmp_cstr(a.name, "realm")) {
			SEEN(0);
			if (!a.quoted)
				goto bad;
			c.realm = a.val;
		} else if (tstr_casecmp_cstr(a.name, "nonce")) {
			SEEN(1);
			if (!a.quoted)
				goto bad;
			c.nonce = a.val;
		} else if (tstr_casecmp_cstr(a.name, "opaque")) {
			SEEN(2);
			if (!a.quoted)
				goto bad;
			c.opaque = a.val;
			c.has_opaque = true;
		} else if (tstr_casecmp_cstr(a.name, "algorithm")) {
			SEEN(3);
			/* Some servers quote it although RFC 7616 3.3 says token. */
			if (!alg_parse(a.val, &c.alg))
				return -ENOTSUP;
		} else if (tstr_casecmp_cstr(a.name, "qop")) {
			struct tstr l = a.val;

			SEEN(4);
			/* qop-options: quoted, comma-separated list of tokens
			 * (RFC 7616 3.3); a bare token is seen from some
			 * servers and means the same. */
			c.qop_present = true;
			while (l.len) {
				const char *comma = memchr(l.p, ',', l.len);
				struct tstr t =
					tstr_make(l.p, comma ? (size_t)(comma - l.p) : l.len);

				while (t.len && is_ws(t.p[0])) {
					t.p++;
					t.len--;
				}
				while (t.len && is_ws(t.p[t.len - 1]))
					t.len--;
				if (tstr_casecmp_cstr(t, "auth"))
					c.qop_auth = true;
				if (!comma)
					break;
				l = tstr_make(comma + 1, (size_t)(l.p + l.len - comma - 1));
			}
		} else if (tstr_casecmp_cstr(a.name, "stale")) {
			SEEN(5);
			c.stale = tstr_casecmp_cstr(a.val, "true");
		}
		/* domain, charset, userhash and extensions: not needed for SIP. */
	}
	if (rc < 0)
		return rc;
	if (!(seen & 1) || !(seen & 2))
		goto bad;
	if (c.qop_present && !c.qop_auth)
		return -ENOTSUP; /* only auth-int offered: we do not hash bodies */
	*out = c;
	return 0;
bad:
	return -EBADMSG;
}

static bool hex8(struct tstr t, uint32_t *out)
{
	uint32_t v = 0;

	if (t.len != 8)
		return false;
	for (size_t i = 0; i < 8; i++) {
		char ch = t.p[i];
		unsigned d;

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			return false;
		v = v << 4 | d;
	}
	*out = v;
	return true;
}

int sip_auth_credentials_decode(struct sip_auth_credentials *out, const char *val, size_t len)
{
	struct sip_auth_credentials c;
	struct ap_iter it;
	struct ap a;
	unsigned seen = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = scheme_digest(&it, val, len);
	if (rc)
		return rc;
	while ((rc = ap_next(&it, &a)) == 1) {
		static const char *const q[] = {"username", "realm",  "nonce", "uri",
						"response", "cnonce", "opaque"};
		struct tstr *dst[] = {&c.username, &c.realm,  &c.nonce, &c.uri,
				      &c.response, &c.cnonce, &c.opaque};
		bool done = false;

		for (unsigned i = 0; i < 7; i++) {
			if (!tstr_casecmp_cstr(a.name, q[i]))
				continue;
			SEEN(i);
			if (!a.quoted)
				goto bad;
			*dst[i] = a.val;
			done = true;
		}
		if (done)
			continue;
		if (tstr_casecmp_cstr(a.name, "algorithm")) {
			SEEN(7);
			if (!alg_parse(a.val, &c.alg))
				return -ENOTSUP;
		} else if (tstr_casecmp_cstr(a.name, "qop")) {
			SEEN(8);
			c.qop = a.val;
			c.has_qop = true;
		} else if (tstr_casecmp_cstr(a.name, "nc")) {
			SEEN(9);
			/* RFC 7616 3.4: nc is exactly 8 hex digits. */
			if (a.quoted || !hex8(a.val, &c.nc))
				goto bad;
			c.nc_raw = a.val;
		}
	}
	if (rc < 0)
		return rc;
	/* username, realm, nonce, uri, response are mandatory (RFC 7616 3.4). */
	if ((seen & 0x1f) != 0x1f)
		goto bad;
	/* With qop, cnonce and nc must be present; without, they must not. */
	if (c.has_qop != ((seen & (1u << 5)) != 0) || c.has_qop != ((seen & (1u << 9)) != 0))
		goto bad;
	*out = c;
	return 0;
bad:
	return -EBADMSG;
}

/* ---- digests ---- */

/* hex(H(p0 ":" p1 ":" ...)) */
static int hash_parts(char out[SIP_AUTH_HEX_MAX], enum sip_auth_alg alg, const struct tstr *parts,
		      unsigned n)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int rc = -ENOMEM;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, alg_md(alg), NULL) != 1)
		goto out;
	for (unsigned i = 0; i < n; i++) {
		if (i && EVP_DigestUpdate(ctx, ":", 1) != 1)
			goto out;
		if (parts[i].len && EVP_DigestUpdate(ctx, parts[i].p, parts[i].len) != 1)
			goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen * 2 >= SIP_AUTH_HEX_MAX)
		goto out;
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int sip_auth_ha1(char out[SIP_AUTH_HEX_MAX], enum sip_auth_alg alg, struct tstr user,
		 struct tstr realm, struct tstr password)
{
	struct tstr p[3] = {user, realm, password};

	return hash_parts(out, alg, p, 3);
}

int sip_auth_digest(char out[SIP_AUTH_HEX_MAX], enum sip_auth_alg alg, const char *ha1,
		    struct tstr nonce, struct tstr cnonce, struct tstr nc, const char *qop,
		    struct tstr method, struct tstr uri)
{
	char h1[SIP_AUTH_HEX_MAX], h2[SIP_AUTH_HEX_MAX];
	int rc;

	if (!ha1)
		return -EINVAL;
	tstr_to_buf(tstr_make(ha1, strlen(ha1)), h1, sizeof(h1));
	if (alg_sess(alg)) {
		/* RFC 7616 3.4.2: HA1 = H(H(user:realm:pw) ":" nonce ":" cnonce) */
		struct tstr p[3] = {tstr_make(ha1, strlen(ha1)), nonce, cnonce};

		rc = hash_parts(h1, alg, p, 3);
		if (rc)
			return rc;
	}
	{
		struct tstr p[2] = {method, uri};

		rc = hash_parts(h2, alg, p, 2);
		if (rc)
			return rc;
	}
	if (qop) {
		struct tstr p[6] = {
			tstr_make(h1, strlen(h1)), nonce, nc, cnonce, tstr_make(qop, strlen(qop)),
			tstr_make(h2, strlen(h2))};

		return hash_parts(out, alg, p, 6);
	}
	/* RFC 2617 3.2.2.1 / RFC 2069 compatibility: no qop. */
	{
		struct tstr p[3] = {tstr_make(h1, strlen(h1)), nonce, tstr_make(h2, strlen(h2))};

		return hash_parts(out, alg, p, 3);
	}
}

/* ---- client ---- */

struct wbuf {
	char *p;
	size_t size, len;
	bool overflow;
};

static void w_mem(struct wbuf *w, const char *s, size_t n)
{
	if (w->overflow || w->len + n >= w->size) {
		w->overflow = true;
		return;
	}
	memcpy(w->p + w->len, s, n);
	w->len += n;
	w->p[w->len] = 0;
}

static void w_str(struct wbuf *w, const char *s)
{
	w_mem(w, s, strlen(s));
}

/* A quoted-string from plain text: escape '"' and '\' (RFC 3261 25.1). */
static void w_quoted(struct wbuf *w, struct tstr s)
{
	w_mem(w, "\"", 1);
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] == '"' || s.p[i] == '\\')
			w_mem(w, "\\", 1);
		w_mem(w, &s.p[i], 1);
	}
	w_mem(w, "\"", 1);
}

/* Re-emit a view that is already quoted-string content. */
static void w_raw_quoted(struct wbuf *w, struct tstr s)
{
	w_mem(w, "\"", 1);
	w_mem(w, s.p, s.len);
	w_mem(w, "\"", 1);
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

int sip_auth_response_encode(char *buf, size_t size, struct sip_auth_client *st,
			     const struct sip_auth_challenge *ch, const struct sip_auth_request *rq)
{
	char realm[VAL_MAX], nonce[VAL_MAX], ha1[SIP_AUTH_HEX_MAX], resp[SIP_AUTH_HEX_MAX];
	char ncbuf[9];
	struct wbuf w = {.p = buf, .size = size};
	uint32_t nc = 1;
	int rc;

	if (!buf || size == 0 || !st || !ch || !rq || !rq->user || !rq->password || !rq->method ||
	    !rq->cnonce || has_ctl(rq->user) || has_ctl(rq->cnonce) || strchr(rq->cnonce, '"') ||
	    strchr(rq->cnonce, '\\'))
		return -EINVAL;
	if (sip_auth_unquote(ch->realm, realm, sizeof(realm)) < 0 ||
	    sip_auth_unquote(ch->nonce, nonce, sizeof(nonce)) < 0)
		return -ENOSPC;
	/* RFC 7616 3.4: nc counts requests with this nonce, from 1. */
	if (st->nc && st->nonce_len == ch->nonce.len && st->nonce_len <= sizeof(st->nonce) &&
	    memcmp(st->nonce, ch->nonce.p, ch->nonce.len) == 0)
		nc = st->nc + 1;
	snprintf(ncbuf, sizeof(ncbuf), "%08x", nc);
	rc = sip_auth_ha1(ha1, ch->alg, tstr_make(rq->user, strlen(rq->user)),
			  tstr_make(realm, strlen(realm)),
			  tstr_make(rq->password, strlen(rq->password)));
	if (rc)
		return rc;
	rc = sip_auth_digest(resp, ch->alg, ha1, tstr_make(nonce, strlen(nonce)),
			     tstr_make(rq->cnonce, strlen(rq->cnonce)), tstr_make(ncbuf, 8),
			     ch->qop_auth ? "auth" : NULL,
			     tstr_make(rq->method, strlen(rq->method)), rq->uri);
	if (rc)
		return rc;
	w_str(&w, "Digest username=");
	w_quoted(&w, tstr_make(rq->user, strlen(rq->user)));
	w_str(&w, ", realm=");
	w_raw_quoted(&w, ch->realm);
	w_str(&w, ", nonce=");
	w_raw_quoted(&w, ch->nonce);
	w_str(&w, ", uri=");
	w_quoted(&w, rq->uri);
	w_str(&w, ", response=\"");
	w_str(&w, resp);
	w_str(&w, "\", algorithm=");
	w_str(&w, sip_auth_alg_name(ch->alg));
	if (ch->qop_auth) {
		w_str(&w, ", cnonce=\"");
		w_str(&w, rq->cnonce);
		w_str(&w, "\", qop=auth, nc=");
		w_str(&w, ncbuf);
	}
	if (ch->has_opaque) {
		w_str(&w, ", opaque=");
		w_raw_quoted(&w, ch->opaque);
	}
	if (w.overflow)
		return -ENOSPC;
	/* Only a request actually built consumes a count. */
	if (ch->nonce.len <= sizeof(st->nonce)) {
		memcpy(st->nonce, ch->nonce.p, ch->nonce.len);
		st->nonce_len = ch->nonce.len;
		st->nc = nc;
	}
	return (int)w.len;
}

/* ---- server ---- */

#define NONCE_TS   8
#define NONCE_SALT 8
#define NONCE_MAC  16
#define NONCE_BIN  (NONCE_TS + NONCE_SALT + NONCE_MAC)
/* A nonce from the future beyond this is not ours (clock steps aside). */
#define NONCE_SKEW 30

static int nonce_mac(const struct sip_auth_server *srv, const uint8_t *ts_salt, uint8_t *mac)
{
	uint8_t in[NONCE_TS + NONCE_SALT + 256];
	size_t rl = strlen(srv->realm);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	if (rl > 256)
		return -EINVAL;
	memcpy(in, ts_salt, NONCE_TS + NONCE_SALT);
	memcpy(in + NONCE_TS + NONCE_SALT, srv->realm, rl);
	if (!HMAC(EVP_sha256(), srv->key, (int)srv->key_len, in, NONCE_TS + NONCE_SALT + rl, md,
		  &mdlen) ||
	    mdlen < NONCE_MAC)
		return -EIO;
	memcpy(mac, md, NONCE_MAC);
	return 0;
}

static bool server_ok(const struct sip_auth_server *srv)
{
	return srv && srv->realm && srv->key && srv->key_len >= 16 && !has_ctl(srv->realm) &&
	       (unsigned)srv->alg <= ALG_LAST;
}

int sip_auth_challenge_encode(char *buf, size_t size, const struct sip_auth_server *srv,
			      uint64_t now, const uint8_t salt[8], bool stale)
{
	uint8_t bin[NONCE_BIN];
	char hex[2 * NONCE_BIN + 1];
	struct wbuf w = {.p = buf, .size = size};
	int rc;

	if (!buf || size == 0 || !server_ok(srv) || !salt)
		return -EINVAL;
	for (int i = 0; i < NONCE_TS; i++)
		bin[i] = (uint8_t)(now >> (8 * (NONCE_TS - 1 - i)));
	memcpy(bin + NONCE_TS, salt, NONCE_SALT);
	rc = nonce_mac(srv, bin, bin + NONCE_TS + NONCE_SALT);
	if (rc)
		return rc;
	for (int i = 0; i < NONCE_BIN; i++)
		snprintf(hex + 2 * i, 3, "%02x", bin[i]);
	w_str(&w, "Digest realm=");
	w_quoted(&w, tstr_make(srv->realm, strlen(srv->realm)));
	w_str(&w, ", nonce=\"");
	w_str(&w, hex);
	w_str(&w, "\", algorithm=");
	w_str(&w, sip_auth_alg_name(srv->alg));
	if (srv->qop_auth)
		w_str(&w, ", qop=\"auth\"");
	if (stale)
		w_str(&w, ", stale=true");
	return w.overflow ? -ENOSPC : (int)w.len;
}

static int unhex(struct tstr t, uint8_t *out, size_t n)
{
	if (t.len != 2 * n)
		return -1;
	for (size_t i = 0; i < 2 * n; i++) {
		char c = t.p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

		if (d < 0)
			return -1;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(d << 4);
		else
			out[i / 2] |= (uint8_t)d;
	}
	return 0;
}

int sip_auth_verify(const struct sip_auth_server *srv, const struct sip_auth_credentials *cr,
		    const char *method, const char *secret, bool is_ha1, uint64_t now,
		    uint32_t *nc_seen)
{
	uint8_t bin[NONCE_BIN], mac[NONCE_MAC];
	char user[VAL_MAX], realm[VAL_MAX], uri[VAL_MAX], cnonce[VAL_MAX];
	char ha1[SIP_AUTH_HEX_MAX], want[SIP_AUTH_HEX_MAX];
	uint64_t ts = 0;
	bool qop_auth;
	int rc;

	if (!server_ok(srv) || !cr || !method || !secret)
		return -EINVAL;
	if (cr->alg != srv->alg)
		return -EACCES;
	if (sip_auth_unquote(cr->realm, realm, sizeof(realm)) < 0 || strcmp(realm, srv->realm) != 0)
		return -EACCES;
	/* Our nonces are plain hex; anything else is not ours. */
	if (unhex(cr->nonce, bin, NONCE_BIN) < 0)
		return -EACCES;
	rc = nonce_mac(srv, bin, mac);
	if (rc)
		return rc;
	if (CRYPTO_memcmp(mac, bin + NONCE_TS + NONCE_SALT, NONCE_MAC) != 0)
		return -EACCES;
	for (int i = 0; i < NONCE_TS; i++)
		ts = ts << 8 | bin[i];
	if (ts > now + NONCE_SKEW)
		return -EACCES;
	qop_auth = cr->has_qop && tstr_casecmp_cstr(cr->qop, "auth");
	if (cr->has_qop && !qop_auth)
		return -EACCES;
	/* RFC 8760 / RFC 3261 22.4: when we asked for qop, it must be used. */
	if (srv->qop_auth && !qop_auth)
		return -EACCES;
	if (sip_auth_unquote(cr->username, user, sizeof(user)) < 0 ||
	    sip_auth_unquote(cr->uri, uri, sizeof(uri)) < 0 ||
	    sip_auth_unquote(cr->cnonce, cnonce, sizeof(cnonce)) < 0)
		return -EACCES;
	if (is_ha1) {
		size_t hl = strlen(secret);

		if (hl + 1 > sizeof(ha1))
			return -EINVAL;
		/* Stored HA1s may be upper-case hex; digests hash lower-case. */
		for (size_t i = 0; i <= hl; i++)
			ha1[i] = secret[i] >= 'A' && secret[i] <= 'F'
					 ? (char)(secret[i] - 'A' + 'a')
					 : secret[i];
	} else {
		rc = sip_auth_ha1(ha1, srv->alg, tstr_make(user, strlen(user)),
				  tstr_make(realm, strlen(realm)),
				  tstr_make(secret, strlen(secret)));
		if (rc)
			return rc;
	}
	rc = sip_auth_digest(want, srv->alg, ha1, cr->nonce, tstr_make(cnonce, strlen(cnonce)),
			     cr->nc_raw, qop_auth ? "auth" : NULL,
			     tstr_make(method, strlen(method)), tstr_make(uri, strlen(uri)));
	if (rc)
		return rc;
	/* Hex compare, case-insensitive per RFC 7616 3.4.1 (lower-case LHEX). */
	if (cr->response.len != strlen(want))
		return -EACCES;
	{
		unsigned diff = 0;

		for (size_t i = 0; i < cr->response.len; i++) {
			char c = cr->response.p[i];

			if (c >= 'A' && c <= 'F')
				c = (char)(c - 'A' + 'a');
			diff |= (unsigned)(c ^ want[i]);
		}
		if (diff)
			return -EACCES;
	}
	/* RFC 7616 3.3: stale means the digest was right but the nonce is old. */
	if (now > ts + srv->nonce_ttl)
		return -ESTALE;
	if (nc_seen && qop_auth) {
		if (cr->nc <= *nc_seen)
			return -EALREADY;
		*nc_seen = cr->nc;
	}
	return 0;
}
