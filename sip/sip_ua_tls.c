/* TLS per trunk. Toward it: the trunk's own settings (CA file, the name its
 * certificate must carry, our client certificate for mutual TLS) for a
 * connection the UA opens, found by the destination the trunk resolves to.
 * From it (tls client-ca): its requests come over TLS with a certificate
 * of its CA carrying its name, or get 403. */
#include <errno.h>
#include <string.h>

#include <osmocom/core/logging.h>

#include "core/log.h"
#include "sip/sip_build.h"
#include "sip/sip_resolve.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua_int.h"

/* A trunk without "tls ca" is not verified: its own context says so, not
 * the transport's default (another trunk's settings, maybe verifying). */
static const struct sip_tls_cfg *trunk_tls(const struct sip_trunk *t, struct sip_tls_cfg *out)
{
	if (!sip_trunk_tls_cfg(t, out))
		*out = (struct sip_tls_cfg){.verify_peer = false};
	return out;
}

const struct sip_tls_cfg *sip_ua_dest_tls(const struct sip_txn_dest *d, struct sip_tls_cfg *out)
{
	struct sip_trunk *t;

	if (d->proto != SIP_PROTO_TLS)
		return NULL;
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		struct sip_txn_dest td;

		if (t->res) { /* any of its targets (RFC 3263) */
			if (sip_trunk_res_has_dest(t, d))
				return trunk_tls(t, out);
			continue;
		}
		if (t->proto != SIP_PROTO_TLS || sip_ua_trunk_dest(t, &td) < 0)
			continue;
		if (td.addr_len == d->addr_len && !memcmp(&td.addr, &d->addr, td.addr_len))
			return trunk_tls(t, out);
	}
	return NULL;
}

int sip_ua_tls_check(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		     const struct sip_trunk *tr, const struct sip_txn_dest *src)
{
	const char *why;
	int rc;

	if (!tr || !tr->tls_client_ca || !m->is_request)
		return 0;
	rc = src->proto == SIP_PROTO_TLS
		     ? sip_conn_verify_peer(ua->tr, src->conn, tr->tls_client_ca,
					    tr->tls_client_name)
		     : -EPROTO;
	if (rc == 0)
		return 0;
	why = rc == -EPROTO   ? "not over TLS"
	      : rc == -ENOENT ? "no client certificate"
	      : rc == -EACCES ? "client certificate not of its CA or without its name"
			      : "client certificate not checked";
	LOGP(DSIP, LOGL_NOTICE, "trunk %s: %.*s refused: %s: 403\n", tr->name, (int)m->method.len,
	     m->method.p, why);
	/* with a To tag (RFC 3261 8.2.6.2) */
	if (m->meth != SIP_METHOD_ACK)
		sip_ua_respond_simple(ua, t, m, 403, NULL);
	return rc;
}
