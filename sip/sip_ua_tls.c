/* TLS toward a trunk: the trunk's own settings (CA file, the name its
 * certificate must carry, our client certificate for mutual TLS) for a
 * connection the UA opens, found by the destination the trunk resolves to. */
#include <string.h>

#include "sip/sip_trunk.h"
#include "sip/sip_ua_int.h"

const struct sip_tls_cfg *sip_ua_dest_tls(const struct sip_txn_dest *d, struct sip_tls_cfg *out)
{
	struct sip_trunk *t;

	if (d->proto != SIP_PROTO_TLS)
		return NULL;
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		struct sip_txn_dest td;

		if (t->proto != SIP_PROTO_TLS || trunk_dest(t, &td) < 0)
			continue;
		if (td.addr_len == d->addr_len && !memcmp(&td.addr, &d->addr, td.addr_len))
			return sip_trunk_tls_cfg(t, out) ? out : NULL;
	}
	return NULL;
}
