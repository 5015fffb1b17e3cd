/* An M3UA ASP (RFC 4666 4.3): one association toward an SG, brought up with
 * ASPUP and ASPAC, carrying DATA for the MTP3 user (ISUP), answering BEAT,
 * and keeping the availability of destinations from SSNM (DUNA/DAVA) so
 * the user can ask before it sends. States are an osmo_fsm. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sigtran/m3ua_conn.h"
#include "sigtran/m3ua_msg.h"

struct loop;
struct m3ua_asp;

enum m3ua_asp_state {
	M3UA_ASP_S_DOWN,     /* no association, or ASPUP not yet acknowledged */
	M3UA_ASP_S_INACTIVE, /* ASPUP acknowledged, ASPAC not (yet) */
	M3UA_ASP_S_ACTIVE,   /* traffic flows */
};

struct m3ua_asp_cfg {
	struct m3ua_conn_cfg conn;
	bool have_rc;
	uint32_t rc;	       /* routing context */
	uint32_t traffic_mode; /* 1 override, 2 loadshare, 3 broadcast (RFC 4666 3.5.1); 0: none */
	unsigned ack_ms;       /* T(ack): ASPUP/ASPAC retransmission (default 2000) */
};

struct m3ua_asp_ops {
	void (*state)(void *priv, enum m3ua_asp_state st);
	/* MTP-TRANSFER indication: a DATA message's Protocol Data */
	void (*transfer)(void *priv, const struct m3ua_pdata *pd);
	/* MTP-PAUSE / MTP-RESUME for a destination (DUNA / DAVA) */
	void (*pause)(void *priv, uint32_t dpc);
	void (*resume)(void *priv, uint32_t dpc);
};

/* The AS state as the SG announces it (NTFY, RFC 4666 3.8.2). */
enum m3ua_as_state {
	M3UA_AS_UNKNOWN,
	M3UA_AS_INACTIVE,
	M3UA_AS_ACTIVE,
	M3UA_AS_PENDING,
};

struct m3ua_asp_stats {
	uint64_t rx[10][8], tx[10][8]; /* per class and type */
	uint64_t rx_err_sent, rx_bad;
};

struct m3ua_asp *m3ua_asp_alloc(void *ctx, struct loop *l, const struct m3ua_asp_cfg *cfg,
				const struct m3ua_asp_ops *ops, void *priv);
void m3ua_asp_free(struct m3ua_asp *asp);
enum m3ua_asp_state m3ua_asp_state(const struct m3ua_asp *asp);
const char *m3ua_asp_state_name(enum m3ua_asp_state st);
/* MTP-TRANSFER request. -ENOTCONN unless ACTIVE, -EHOSTUNREACH when the
 * SG said the destination is unavailable (DUNA). */
int m3ua_asp_transfer(struct m3ua_asp *asp, const struct m3ua_pdata *pd);
bool m3ua_asp_dest_available(const struct m3ua_asp *asp, uint32_t dpc);
const struct m3ua_asp_stats *m3ua_asp_get_stats(const struct m3ua_asp *asp);
enum m3ua_as_state m3ua_asp_as_state(const struct m3ua_asp *asp);
const char *m3ua_as_state_name(enum m3ua_as_state st);
