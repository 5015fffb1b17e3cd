/* An M3UA Application Server as the ASP side sees it (RFC 4666 4.3.2,
 * 4.3.4.3): several ASPs (associations) serving one AS, in override (one
 * active, the others standing by, failover when the active one goes) or
 * loadshare (all active, SLS picks one). The AS state is an osmo_fsm:
 * DOWN, INACTIVE, ACTIVE, and PENDING for T(r) after the last active ASP
 * went, during which the user sees no pause and its messages are held to
 * go out through the ASP that takes over. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>

#include "sigtran/m3ua_asp.h"

struct loop;
struct m3ua_as;

#define M3UA_AS_MAX_ASP 4

enum m3ua_as_fsm_state {
	M3UA_AS_S_DOWN,
	M3UA_AS_S_INACTIVE,
	M3UA_AS_S_ACTIVE,
	M3UA_AS_S_PENDING,
};

/* T(r), milliseconds (osmo_tdef T = -1, "timer m3ua X1" style). */
extern struct osmo_tdef m3ua_as_tdefs[2]; /* with its terminating entry */

struct m3ua_as_cfg {
	uint32_t traffic_mode;	 /* 1 override (default), 2 loadshare */
	struct osmo_tdef *tdefs; /* NULL: m3ua_as_tdefs */
};

/* ops reach the AS's user: state() says ACTIVE when the AS is, and DOWN or
 * INACTIVE only once T(r) is over; the rest come from whichever ASP heard
 * them. */
struct m3ua_as *m3ua_as_alloc(void *ctx, const char *name, const struct m3ua_as_cfg *cfg,
			      const struct m3ua_asp_ops *ops, void *priv);
/* Start one more ASP in it: in override the first asks for ASP-ACTIVE, the
 * others stand by in ASP-INACTIVE. Its traffic mode is the AS's. */
struct m3ua_asp *m3ua_as_add_asp(struct m3ua_as *as, struct loop *l,
				 const struct m3ua_asp_cfg *cfg);
void m3ua_as_free(struct m3ua_as *as);
enum m3ua_as_fsm_state m3ua_as_state(const struct m3ua_as *as);
const char *m3ua_as_fsm_state_name(enum m3ua_as_fsm_state st);
unsigned m3ua_as_n_asp(const struct m3ua_as *as);
struct m3ua_asp *m3ua_as_asp(const struct m3ua_as *as, unsigned i);
/* MTP-TRANSFER through the AS: the active ASP (override) or the one SLS
 * picks among the active ones (loadshare). PENDING: held (-EAGAIN when the
 * hold is full), sent when an ASP is active again, dropped at T(r). */
int m3ua_as_transfer(struct m3ua_as *as, const struct m3ua_pdata *pd);
bool m3ua_as_dest_available(const struct m3ua_as *as, uint32_t dpc);
bool m3ua_as_user_available(const struct m3ua_as *as, uint32_t dpc, uint8_t si);
/* Management of one ASP of the AS: INACTIVE or DOWN also keeps the AS from
 * choosing it to take over; ACTIVE (override) takes the traffic from the
 * one that has it. */
void m3ua_as_set_asp_target(struct m3ua_as *as, struct m3ua_asp *asp, enum m3ua_asp_state want);
/* Every ASP toward DOWN (clean shutdown), or back to service. */
void m3ua_as_stop(struct m3ua_as *as);
bool m3ua_as_settled(const struct m3ua_as *as);
