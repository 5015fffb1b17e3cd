/* An M3UA ASP (RFC 4666 4.3): one association toward an SG, brought up with
 * ASPUP and ASPAC (and taken back with ASPIA and ASPDN), carrying DATA for
 * the MTP3 user (ISUP), answering BEAT, registering a routing key (RKM),
 * and keeping the state of destinations from SSNM (DUNA, DAVA, DRST, SCON,
 * DUPU; DAUD while one is unavailable) so the user can ask before it sends.
 * States are an osmo_fsm; every ASPSM/ASPTM/RKM request is sent again when
 * T(ack) expires without its answer. */
#pragma once

#include <osmocom/core/tdef.h>
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

/* RFC 4666 3.6.1 Routing Key for ISUP, registered with REG REQ (4.4.1). */
#define M3UA_RK_MAX_OPC 4
struct m3ua_rk {
	bool enabled;
	uint32_t lrk_id; /* Local-RK-Identifier */
	uint32_t dpc;	 /* our point code: traffic toward it */
	uint8_t si;	 /* service indicator, 5 for ISUP; 0: none in the key */
	uint32_t opc[M3UA_RK_MAX_OPC];
	unsigned n_opc;
	bool have_cics; /* Circuit Range: CICs from cic_opc */
	uint32_t cic_opc;
	uint16_t cic_first, cic_last;
	bool have_na; /* Network Appearance in the key (RFC 4666 3.6.1) */
	uint32_t na;
	/* Routing Context asked for in the key (3.6.1: optional): the ASP's
	 * configured one, so that a second ASP joins the AS the first one's
	 * registration made (the SG finds the AS by it) */
	bool have_rc;
	uint32_t rc;
};

enum m3ua_rk_state {
	M3UA_RK_NONE,	     /* not configured, or not yet asked */
	M3UA_RK_PENDING,     /* REG REQ sent */
	M3UA_RK_REGISTERED,  /* REG RSP success: routing context learned */
	M3UA_RK_REFUSED,     /* REG RSP with an error status (or no answer) */
	M3UA_RK_DEREGISTERED /* DEREG RSP */
};

/* RFC 4666 1.5 / 4.3: who starts ASPUP and ASPAC. An ASP toward an SG and
 * the client IPSP of a single exchange (IPSP SE) send them; the server
 * IPSP answers them (as an SG would) and sends no request of its own. In a
 * double exchange (IPSP DE, 4.3.1) both sides do both: each brings its own
 * state up with its requests and follows the peer's from the peer's
 * requests (m3ua_asp_peer_state()). */
/* T(ack), milliseconds (RFC 4666 4.3.4.1-4.3.4.4, 4.4: a request unanswered
 * this long is sent again): osmo_tdef T = -1, "timer m3ua X1", "show timer".
 * An ASP's own "timer ack" overrides it. */
extern struct osmo_tdef m3ua_asp_tdefs[];

enum m3ua_role {
	M3UA_ROLE_ASP,
	M3UA_ROLE_IPSP_CLIENT,
	M3UA_ROLE_IPSP_SERVER,
	M3UA_ROLE_IPSP_DE,
};

struct m3ua_asp_cfg {
	struct m3ua_conn_cfg conn;
	enum m3ua_role role;
	bool have_rc;
	uint32_t rc;	       /* routing context */
	uint32_t traffic_mode; /* 1 override, 2 loadshare, 3 broadcast (RFC 4666 3.5.1); 0: none */
	unsigned ack_ms;       /* T(ack) for this ASP; 0: "timer m3ua X1" (m3ua_asp_tdefs) */
	unsigned daud_ms;      /* DAUD period while a destination is unavailable (default 30000) */
	unsigned beat_ms;      /* BEAT period (RFC 4666 4.3.4.6); 0: none. Two unanswered: reset */
	bool standby;	       /* come up to ASP-INACTIVE only (m3ua_asp_set_target() later) */
	/* RFC 4666 3.3.1: Network Appearance in DATA, SSNM and the routing key;
	 * DATA or SSNM naming another one is refused with ERR 0x15 */
	bool have_na;
	uint32_t na;
	/* RFC 4666 3.5.1: ASP Identifier in ASPUP */
	bool have_asp_id;
	uint32_t asp_id;
	struct m3ua_rk rk;
};

/* Destination state from SSNM (RFC 4666 4.5, 1.4.3). */
enum m3ua_dest_state {
	M3UA_DEST_AVAILABLE,
	M3UA_DEST_RESTRICTED, /* DRST: reachable, by a restricted route */
	M3UA_DEST_UNAVAILABLE,
};

struct m3ua_asp_ops {
	void (*state)(void *priv, enum m3ua_asp_state st);
	/* MTP-TRANSFER indication: a DATA message's Protocol Data */
	void (*transfer)(void *priv, const struct m3ua_pdata *pd);
	/* MTP-PAUSE / MTP-RESUME for a destination (DUNA / DAVA, DRST) */
	void (*pause)(void *priv, uint32_t dpc);
	void (*resume)(void *priv, uint32_t dpc);
	/* optional: MTP-STATUS congestion (SCON, level 0-3; DAVA brings 0) */
	void (*congestion)(void *priv, uint32_t dpc, unsigned level);
	/* optional: MTP-STATUS user part unavailable (DUPU): user is the SI */
	void (*user_unavailable)(void *priv, uint32_t dpc, uint8_t user, unsigned cause);
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
	uint64_t rx_bad_na; /* DATA/SSNM with another Network Appearance */
	uint64_t rx_bad_rc; /* DATA with a Routing Context not ours */
};

struct m3ua_asp *m3ua_asp_alloc(void *ctx, struct loop *l, const struct m3ua_asp_cfg *cfg,
				const struct m3ua_asp_ops *ops, void *priv);
void m3ua_asp_free(struct m3ua_asp *asp);
enum m3ua_asp_state m3ua_asp_state(const struct m3ua_asp *asp);
const char *m3ua_asp_state_name(enum m3ua_asp_state st);

/* Where management wants the ASP: ACTIVE (ASPUP, REG REQ, ASPAC), INACTIVE
 * (ASPIA from ACTIVE), DOWN (ASPIA, DEREG REQ, ASPDN). Each step waits for
 * its acknowledgement; T(ack) sends again. */
void m3ua_asp_set_target(struct m3ua_asp *asp, enum m3ua_asp_state want);
enum m3ua_asp_state m3ua_asp_target(const struct m3ua_asp *asp);
/* true when nothing is pending: the ASP is where it was asked to be, or the
 * association is down. */
bool m3ua_asp_settled(const struct m3ua_asp *asp);
/* T(ack) in force for this ASP, milliseconds (its own "timer ack" or X1). */
unsigned m3ua_asp_ack_ms(const struct m3ua_asp *asp);

/* MTP-TRANSFER request. -ENOTCONN unless ACTIVE, -EHOSTUNREACH when the
 * SG said the destination is unavailable (DUNA). */
int m3ua_asp_transfer(struct m3ua_asp *asp, const struct m3ua_pdata *pd);
bool m3ua_asp_dest_available(const struct m3ua_asp *asp, uint32_t dpc);
enum m3ua_dest_state m3ua_asp_dest_state(const struct m3ua_asp *asp, uint32_t dpc);
unsigned m3ua_asp_dest_congestion(const struct m3ua_asp *asp, uint32_t dpc);
/* false after DUPU for (dpc, si) until DAVA or until DATA of that user
 * arrives from dpc. */
bool m3ua_asp_user_available(const struct m3ua_asp *asp, uint32_t dpc, uint8_t si);
/* What SSNM said, one entry per destination (or masked group) not plainly
 * available; returns how many were written. */
struct m3ua_dest_info {
	uint32_t pc;
	uint8_t mask;
	enum m3ua_dest_state st;
	unsigned cong;
	uint16_t dupu; /* bit per SI */
};
unsigned m3ua_asp_dests(const struct m3ua_asp *asp, struct m3ua_dest_info *out, unsigned max);
/* How many entries the table holds, and in *refused how many SSNM could
 * not add at its limit (M3UA_DEST_LIMIT). */
unsigned m3ua_asp_dest_count(const struct m3ua_asp *asp, uint64_t *refused);
struct m3ua_sctp_path;
/* SCTP: the association's paths (m3ua_sctp_paths()); 0 over TCP. */
unsigned m3ua_asp_paths(const struct m3ua_asp *asp, struct m3ua_sctp_path *out, unsigned max);
struct m3ua_sctp_info;
/* SCTP: the association's parameters as the kernel reports them
 * (m3ua_sctp_info()); -ENOTCONN over TCP or while down. */
int m3ua_asp_sctp_info(const struct m3ua_asp *asp, struct m3ua_sctp_info *out);
/* Routing key registration; *rc and *status (RFC 4666 3.6.2) when known. */
enum m3ua_rk_state m3ua_asp_rk_state(const struct m3ua_asp *asp, uint32_t *rc, uint32_t *status);
const char *m3ua_rk_state_name(enum m3ua_rk_state st);
const char *m3ua_dest_state_name(enum m3ua_dest_state st);
/* Routing context in use (configured or learned); false when none. */
bool m3ua_asp_rc(const struct m3ua_asp *asp, uint32_t *rc);
const struct m3ua_asp_stats *m3ua_asp_get_stats(const struct m3ua_asp *asp);
enum m3ua_as_state m3ua_asp_as_state(const struct m3ua_asp *asp);
const char *m3ua_as_state_name(enum m3ua_as_state st);
/* The peer's state as its own requests set it: IPSP DE (ASPUP, ASPAC,
 * ASPIA, ASPDN from the peer, answered by us); for the other roles the same
 * as m3ua_asp_state(). */
enum m3ua_asp_state m3ua_asp_peer_state(const struct m3ua_asp *asp);
/* The listening address of a server-role association. */
int m3ua_asp_local(const struct m3ua_asp *asp, struct sockaddr_storage *ss);
/* Drop the association now (a test, or "asp NAME reset"). */
void m3ua_asp_reset(struct m3ua_asp *asp);
