/* Inside an M3UA ASP: shared by m3ua_asp.c (the FSM, BEAT, DATA, NTFY),
 * m3ua_asp_ssnm.c (SSNM), m3ua_asp_rkm.c (RKM) and m3ua_ipsp.c (the answers
 * an IPSP gives to its peer's requests). Not for other modules. */
#pragma once

#include <osmocom/core/fsm.h>
#include <osmocom/core/timer.h>

#include "sigtran/m3ua_asp.h"
#include "sigtran/m3ua_dest.h"

enum asp_event {
	E_CONN_UP,
	E_CONN_DOWN,
	E_RX_UP_ACK,
	E_RX_ACTIVE_ACK,
	E_RX_INACTIVE_ACK,
	E_RX_DOWN_ACK,
	E_RX_ALT_ASP_ACTIVE,
	E_ADMIN,
	E_T_ACK, /* T(ack) expired: send the pending request again */
};

/* the request waiting for its answer (T(ack) sends it again) */
enum pending { P_NONE, P_ASPUP, P_REG, P_ASPAC, P_ASPIA, P_DEREG, P_ASPDN };
struct m3ua_asp {
	struct osmo_fsm_inst *fi;
	struct m3ua_asp_cfg cfg;
	const struct m3ua_asp_ops *ops;
	void *priv;
	struct m3ua_conn *conn;
	enum m3ua_asp_state target;
	enum pending pending;
	unsigned tries;
	enum m3ua_as_state as_state;
	enum m3ua_asp_state peer_state; /* IPSP DE: the peer's own ASP state */
	enum m3ua_rk_state rk_state;
	uint32_t rk_rc, rk_status;
	struct m3ua_dests dests;
	struct osmo_timer_list t_ack; /* T(ack) (m3ua_asp_tdefs X1 or cfg.ack_ms) */
	struct osmo_timer_list daud;
	struct osmo_timer_list beat;
	unsigned beats_out; /* BEATs not answered yet */
	uint32_t beat_seq;
	struct m3ua_asp_stats st;
};

int m3ua_asp_tx(struct m3ua_asp *asp, const uint8_t *buf, int n, uint16_t stream);
int m3ua_asp_send_simple(struct m3ua_asp *asp, uint8_t cls, uint8_t type);
void m3ua_asp_send_err(struct m3ua_asp *asp, uint32_t code);
/* An IPSP's answer to the peer's ASPSM/ASPTM request (server role of a
 * single exchange, or either side of a double exchange): true when handled. */
bool m3ua_ipsp_rx(struct m3ua_asp *asp, const struct m3ua_msg *m);
/* RFC 4666 3.3.1 / 3.8.1: false (and ERR sent) when m names a Network
 * Appearance other than the configured one. */
bool m3ua_asp_na_ok(struct m3ua_asp *asp, const struct m3ua_msg *m);

/* SSNM (m3ua_asp_ssnm.c): the destination table and its DAUD timer */
void m3ua_asp_ssnm_init(struct m3ua_asp *asp);
void m3ua_asp_dests_clear(struct m3ua_asp *asp);
void m3ua_asp_rx_ssnm(struct m3ua_asp *asp, const struct m3ua_msg *m);

/* RKM (m3ua_asp_rkm.c): REG/DEREG REQ out, REG/DEREG RSP in */
void m3ua_asp_send_reg(struct m3ua_asp *asp);
void m3ua_asp_send_dereg(struct m3ua_asp *asp);
void m3ua_asp_rx_rkm(struct m3ua_asp *asp, const struct m3ua_msg *m);
