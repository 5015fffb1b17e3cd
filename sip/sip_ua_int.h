/* Private to sip/sip_ua*.c: the UA's state and the helpers its parts share. */
#pragma once

#include <osmocom/core/linuxlist.h>

#include "core/loop.h"
#include "sip/sip_auth.h"
#include "sip/sip_check.h"
#include "sip/sip_msg.h"
#include "sip/sip_transport.h"
#include "sip/sip_txn.h"
#include "sip/sip_ua.h"

struct sip_ua {
	struct loop *l;
	struct sip_ua_cfg cfg;
	const struct sip_ua_ops *ops;
	void *priv;
	struct sip_transport *tr;
	struct sip_txn_layer *tl;
	struct sip_sec *sec; /* the trust boundary: admission, flood limit */
	struct sip_limits lim;
	struct sip_uas_policy pol;
	struct llist_head legs;
	struct sip_ua_stats st;
	uint64_t rnd;
	uint8_t auth_key[32];	      /* HMAC key of our stateless nonces */
	struct sip_ua_nonces *nonces; /* issued nonces and their counts (sip_ua_auth.c) */
	struct llist_head pings, regs;
};

/* OPTIONS keep-alive of one trunk: up on any final response, down on a
 * transaction timeout or transport error. */
struct trunk_ping {
	struct llist_head list;
	struct sip_ua *ua;
	struct sip_trunk *trunk;
	struct loop_timer tmr;
	struct sip_txn *txn;
};

uint64_t rnd_next(struct sip_ua *ua);
/* require-auth (sip_ua_auth.c): 0 when the request may go on (the trunk does
 * not require authentication, the method is not guarded, or the credentials
 * are good); otherwise the 401/403 is sent and a negative errno returned. */
int sip_ua_auth_check(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		      const struct sip_trunk *tr);
struct tstr view(const char *s);
void local_hostport(struct sip_ua *ua, enum sip_proto proto, char *host, size_t hlen,
		    uint16_t *port);
/* Our Contact URI for proto; host and port (for Via) are returned too. */
void local_contact(struct sip_ua *ua, enum sip_proto proto, char *contact, size_t clen, char *host,
		   size_t hlen, uint16_t *port);
void txn_info(const struct sip_msg *m, struct sip_txn_info *i);
int trunk_dest(const struct sip_trunk *t, struct sip_txn_dest *d);
/* sip_ua_tls.c: the TLS settings of the trunk d leads to (NULL: none). */
const struct sip_tls_cfg *sip_ua_dest_tls(const struct sip_txn_dest *d, struct sip_tls_cfg *out);
/* A trunk with "tls client-ca": 0 when the request came over TLS with a
 * certificate of that CA (and name); else 403 is sent (not to an ACK). */
int sip_ua_tls_check(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		     const struct sip_trunk *tr, const struct sip_txn_dest *src);
