/* Digest authentication of a trunk's requests (require-auth): the UA as the
 * server of RFC 3261 22.4 with RFC 7616 / RFC 8760 challenges.
 *
 * Every challenge offers SHA-256 first and MD5 second (RFC 8760 2.4: one
 * WWW-Authenticate per algorithm, the preferred first), always with
 * qop="auth" so that the nonce-count protects against replays. Nonces are
 * stateless and authenticated (sip_auth.c), but each one issued is also
 * remembered here with the highest nonce-count seen: a request whose nc
 * does not grow is a replay and gets a fresh challenge, never the service.
 * A nonce no longer remembered (the table wrapped) is treated as stale.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "sip/sip_build.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua_int.h"

/* Nonces remembered at once; a nonce lives SIP_UA_NONCE_TTL seconds, so at
 * this size up to ~3 challenges per second stay verifiable for their life. */
#define NONCES		 1024
#define SIP_UA_NONCE_TTL 300
#define NONCE_HEX	 64 /* 32 bytes in hex (sip_auth.c's stateless nonce) */

struct nonce_slot {
	char nonce[NONCE_HEX + 1];
	uint32_t nc; /* highest nonce-count accepted (0: none yet) */
};

struct sip_ua_nonces {
	struct nonce_slot slot[NONCES];
	unsigned next;
	struct sip_ua_auth_stats st;
};

const char *sip_trunk_auth_realm(const struct sip_trunk *tr)
{
	return tr->auth_realm ? tr->auth_realm : "tandem";
}

static struct sip_ua_nonces *nonces(struct sip_ua *ua)
{
	if (!ua->nonces)
		ua->nonces = talloc_zero(ua, struct sip_ua_nonces);
	return ua->nonces;
}

const struct sip_ua_auth_stats *sip_ua_auth_get_stats(struct sip_ua *ua)
{
	static const struct sip_ua_auth_stats zero;

	return ua->nonces ? &ua->nonces->st : &zero;
}

static struct nonce_slot *nonce_find(struct sip_ua_nonces *ns, struct tstr n)
{
	if (n.len != NONCE_HEX)
		return NULL;
	for (unsigned i = 0; i < NONCES; i++)
		if (!memcmp(ns->slot[i].nonce, n.p, NONCE_HEX) && ns->slot[i].nonce[0])
			return &ns->slot[i];
	return NULL;
}

/* RFC 3261 8.2.6.2: the 401/403/500 carry a To tag of ours (the request
 * is out of dialog; a retransmission gets the same answer again from the
 * transaction) */
static void reply(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m, unsigned status,
		  const char *hdrs)
{
	sip_ua_respond_simple(ua, t, m, status, hdrs);
}

static void server_for(struct sip_ua *ua, const struct sip_trunk *tr, enum sip_auth_alg alg,
		       struct sip_auth_server *srv)
{
	*srv = (struct sip_auth_server){.realm = sip_trunk_auth_realm(tr),
					.alg = alg,
					.key = ua->auth_key,
					.key_len = sizeof(ua->auth_key),
					.nonce_ttl = SIP_UA_NONCE_TTL,
					.qop_auth = true};
}

static bool alg_offered(const struct sip_trunk *tr, enum sip_auth_alg alg)
{
	unsigned want = alg == SIP_AUTH_SHA256 ? SIP_TRUNK_AUTH_SHA256
			: alg == SIP_AUTH_MD5  ? SIP_TRUNK_AUTH_MD5
					       : 0;

	return want && (!tr->auth_algs || (tr->auth_algs & want));
}

/* 401 with one challenge per algorithm (SHA-256, then MD5), one nonce. */
static void challenge(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		      const struct sip_trunk *tr, bool stale)
{
	static const enum sip_auth_alg algs[] = {SIP_AUTH_SHA256, SIP_AUTH_MD5};
	struct sip_ua_nonces *ns = nonces(ua);
	struct sip_auth_server srv;
	struct sip_auth_challenge ch;
	char val[512], hdrs[1200];
	size_t hl = 0;
	uint8_t salt[8];
	uint64_t r = sip_ua_rnd_next(ua), now = (uint64_t)time(NULL);

	if (!ns) {
		reply(ua, t, m, 500, NULL);
		return;
	}
	memcpy(salt, &r, sizeof(salt));
	for (unsigned i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		int n;

		if (!alg_offered(tr, algs[i]))
			continue;
		server_for(ua, tr, algs[i], &srv);
		n = sip_auth_challenge_encode(val, sizeof(val), &srv, now, salt, stale);
		if (n < 0 || hl + (size_t)n + 24 >= sizeof(hdrs)) {
			reply(ua, t, m, 500, NULL);
			return;
		}
		hl += (size_t)snprintf(hdrs + hl, sizeof(hdrs) - hl, "WWW-Authenticate: %s\r\n",
				       val);
		if (sip_auth_challenge_decode(&ch, val, (size_t)n) == 0 &&
		    ch.nonce.len == NONCE_HEX) {
			struct nonce_slot *s = &ns->slot[ns->next % NONCES];

			/* one nonce for both challenges: remembered once */
			if (memcmp(s->nonce, ch.nonce.p, NONCE_HEX) != 0) {
				s = &ns->slot[++ns->next % NONCES];
				memcpy(s->nonce, ch.nonce.p, NONCE_HEX);
				s->nonce[NONCE_HEX] = '\0';
				s->nc = 0;
			}
		}
	}
	ns->st.challenges++;
	reply(ua, t, m, 401, hdrs);
}

static bool method_guarded(enum sip_method meth)
{
	/* RFC 3261 22.1: ACK and CANCEL cannot be challenged; the rest that
	 * can start or change a call is */
	switch (meth) {
	case SIP_METHOD_INVITE:
	case SIP_METHOD_BYE:
	case SIP_METHOD_INFO:
	case SIP_METHOD_UPDATE:
	case SIP_METHOD_REFER:
	case SIP_METHOD_MESSAGE:
	case SIP_METHOD_NOTIFY:
	case SIP_METHOD_SUBSCRIBE:
		return true;
	default:
		return false;
	}
}

bool sip_ua_auth_guards(const struct sip_trunk *tr, enum sip_method meth)
{
	return tr && tr->require_auth && method_guarded(meth);
}

static void refuse(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		   const struct sip_trunk *tr, const char *why)
{
	ua->nonces->st.refused++;
	LOGP(DSIP, LOGL_NOTICE, "trunk %s: %.*s refused: %s: 403\n", tr->name, (int)m->method.len,
	     m->method.p, why);
	reply(ua, t, m, 403, NULL);
}

int sip_ua_auth_check(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		      const struct sip_trunk *tr)
{
	if (!tr || !tr->require_auth || !m->is_request || !method_guarded(m->meth))
		return 0;
	return sip_ua_auth_demand(ua, t, m, tr);
}

int sip_ua_auth_demand(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		       const struct sip_trunk *tr)
{
	const struct sip_hdr *h;
	struct sip_auth_credentials cr;
	struct sip_auth_server srv;
	struct sip_ua_nonces *ns;
	struct nonce_slot *slot;
	char user[256], uri[1024], method[32];
	int rc;

	ns = nonces(ua);
	if (!ns) {
		reply(ua, t, m, 500, NULL);
		return -ENOMEM;
	}
	if (!tr->auth_user) {
		refuse(ua, t, m, tr, "require-auth without auth credentials configured");
		return -EACCES;
	}
	h = sip_msg_hdr(m, SIP_HDR_AUTHORIZATION);
	if (!h) {
		challenge(ua, t, m, tr, false);
		return -EAGAIN;
	}
	if (sip_auth_credentials_decode(&cr, h->value.p, h->value.len) < 0) {
		refuse(ua, t, m, tr, "malformed Authorization");
		return -EACCES;
	}
	if (sip_auth_unquote(cr.username, user, sizeof(user)) < 0 ||
	    strcmp(user, tr->auth_user) != 0) {
		refuse(ua, t, m, tr, "unknown user name");
		return -EACCES;
	}
	if (!alg_offered(tr, cr.alg)) {
		refuse(ua, t, m, tr, "algorithm not offered");
		return -EACCES;
	}
	/* RFC 7616 3.4.6 / RFC 3261 22.4: the credentials are for this
	 * request: the digest-uri must be the Request-URI it arrived with */
	if (sip_auth_unquote(cr.uri, uri, sizeof(uri)) < 0 || strlen(uri) != m->ruri.len ||
	    memcmp(uri, m->ruri.p, m->ruri.len) != 0) {
		ns->st.uri_mismatch++;
		refuse(ua, t, m, tr, "digest uri is not the Request-URI");
		return -EACCES;
	}
	if (m->method.len >= sizeof(method)) {
		refuse(ua, t, m, tr, "method too long");
		return -EACCES;
	}
	memcpy(method, m->method.p, m->method.len);
	method[m->method.len] = '\0';
	server_for(ua, tr, cr.alg, &srv);
	slot = nonce_find(ns, cr.nonce);
	if (!slot) {
		uint32_t none = 0;

		/* authentic but forgotten, or not ours at all */
		rc = sip_auth_verify(&srv, &cr, method, tr->auth_pass ? tr->auth_pass : "", false,
				     (uint64_t)time(NULL), &none);
		if (rc == 0 || rc == -ESTALE) {
			ns->st.stale++;
			challenge(ua, t, m, tr, true);
			return -EAGAIN;
		}
		refuse(ua, t, m, tr, "wrong credentials or foreign nonce");
		return -EACCES;
	}
	rc = sip_auth_verify(&srv, &cr, method, tr->auth_pass ? tr->auth_pass : "", false,
			     (uint64_t)time(NULL), &slot->nc);
	switch (rc) {
	case 0:
		ns->st.accepted++;
		LOGP(DSIP, LOGL_INFO, "trunk %s: %s authenticated (%s, nc %u)\n", tr->name, method,
		     sip_auth_alg_name(cr.alg), cr.nc);
		return 0;
	case -ESTALE:
		/* RFC 7616 3.3: right password, old nonce: stale=true */
		ns->st.stale++;
		challenge(ua, t, m, tr, true);
		return -EAGAIN;
	case -EALREADY:
		ns->st.replays++;
		LOGP(DSIP, LOGL_NOTICE,
		     "trunk %s: %s with nonce-count %u already seen for its nonce: replay, "
		     "challenged again\n",
		     tr->name, method, cr.nc);
		challenge(ua, t, m, tr, false);
		return -EALREADY;
	default:
		refuse(ua, t, m, tr, "wrong credentials");
		return -EACCES;
	}
}
