/* M3UA ASP state machine (RFC 4666 4.3.1, 4.3.4), BEAT, DATA and NTFY; RKM (4.4)
 * is in m3ua_asp_rkm.c, SSNM (4.5) in m3ua_asp_ssnm.c. */
#include <errno.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "core/log.h"
#include "sigtran/m3ua_asp.h"
#include "sigtran/m3ua_asp_int.h"
#include "sigtran/m3ua_dest.h"
#include "sigtran/m3ua_sctp.h"

#define MAX_RETRY_DOWN 3 /* ASPDN / DEREG REQ unanswered this often: give up */

/* Valid from the start (.val set): the configuration may change it before
 * the first ASP exists. */
struct osmo_tdef m3ua_asp_tdefs[] = {
	{.T = -1,
	 .default_val = 2000,
	 .val = 2000,
	 .unit = OSMO_TDEF_MS,
	 .desc = "T(ack): ASPUP/ASPAC/ASPIA/ASPDN/REG/DEREG unanswered this long is sent again "
		 "(RFC 4666 4.3.4, 4.4)"},
	{},
};

static const struct value_string asp_event_names[] = {
	{E_CONN_UP, "ASSOCIATION_UP"},
	{E_CONN_DOWN, "ASSOCIATION_DOWN"},
	{E_RX_UP_ACK, "RX_ASPUP_ACK"},
	{E_RX_ACTIVE_ACK, "RX_ASPAC_ACK"},
	{E_RX_INACTIVE_ACK, "RX_ASPIA_ACK"},
	{E_RX_DOWN_ACK, "RX_ASPDN_ACK"},
	{E_RX_ALT_ASP_ACTIVE, "RX_NTFY_ALTERNATE_ASP_ACTIVE"},
	{E_ADMIN, "MANAGEMENT"},
	{E_T_ACK, "T_ACK_EXPIRED"},
	{0, NULL},
};

static const char *const pending_names[] = {"-",     "ASPUP",	  "REG_REQ", "ASPAC",
					    "ASPIA", "DEREG_REQ", "ASPDN"};

static void count(uint64_t t[10][8], uint8_t cls, uint8_t type)
{
	if (cls < 10 && type < 8)
		t[cls][type]++;
}

int m3ua_asp_tx(struct m3ua_asp *asp, const uint8_t *buf, int n, uint16_t stream)
{
	if (n < 0)
		return n;
	count(asp->st.tx, buf[2], buf[3]);
	return m3ua_conn_tx(asp->conn, buf, (size_t)n, stream);
}

bool m3ua_asp_rc(const struct m3ua_asp *asp, uint32_t *rc)
{
	/* a routing context learned by registration wins over the configured one */
	if (asp->rk_state == M3UA_RK_REGISTERED) {
		*rc = asp->rk_rc;
		return true;
	}
	if (asp->cfg.have_rc) {
		*rc = asp->cfg.rc;
		return true;
	}
	return false;
}

int m3ua_asp_send_simple(struct m3ua_asp *asp, uint8_t cls, uint8_t type)
{
	uint8_t buf[64];
	struct m3ua_enc e;
	uint32_t rc;

	m3ua_enc_start(&e, buf, sizeof(buf), cls, type);
	/* RFC 4666 3.5.1: the ASP Identifier tells the SG which ASP this
	 * association is, e.g. after a restart from another address */
	if (cls == M3UA_CLS_ASPSM && type == M3UA_ASPSM_UP && asp->cfg.have_asp_id)
		m3ua_enc_u32(&e, M3UA_IEI_ASP_ID, asp->cfg.asp_id);
	if (cls == M3UA_CLS_ASPTM) {
		/* RFC 4666 3.7.1: Traffic Mode Type only in ASPAC */
		if (type == M3UA_ASPTM_ACTIVE && asp->cfg.traffic_mode)
			m3ua_enc_u32(&e, M3UA_IEI_TRAF_MODE_TYPE, asp->cfg.traffic_mode);
		if (m3ua_asp_rc(asp, &rc))
			m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, rc);
	}
	/* RFC 4666 4.3.1: ASPSM and ASPTM on stream 0 */
	return m3ua_asp_tx(asp, buf, m3ua_enc_finish(&e), 0);
}

static void asp_notify(struct m3ua_asp *asp, enum m3ua_asp_state st)
{
	if (asp->ops->state)
		asp->ops->state(asp->priv, st);
}

/* --- the next request toward the target state --- */

static enum pending next_request(struct m3ua_asp *asp)
{
	if (!m3ua_conn_is_up(asp->conn) || asp->cfg.role == M3UA_ROLE_IPSP_SERVER)
		return P_NONE;
	switch (asp->fi->state) {
	case M3UA_ASP_S_DOWN:
		return asp->target != M3UA_ASP_S_DOWN ? P_ASPUP : P_NONE;
	case M3UA_ASP_S_INACTIVE:
		/* RFC 4666 4.4.1: register once ASP-INACTIVE (a standby too, so that
		 * it is ready to take over), before ASPAC names the routing context
		 * the SG assigned */
		if (asp->target != M3UA_ASP_S_DOWN && asp->cfg.rk.enabled &&
		    (asp->rk_state == M3UA_RK_NONE || asp->rk_state == M3UA_RK_PENDING ||
		     asp->rk_state == M3UA_RK_DEREGISTERED))
			return P_REG;
		if (asp->target == M3UA_ASP_S_ACTIVE)
			return P_ASPAC;
		if (asp->target == M3UA_ASP_S_DOWN) {
			/* 4.4.3: deregister while ASP-INACTIVE, then ASPDN */
			if (asp->rk_state == M3UA_RK_REGISTERED)
				return P_DEREG;
			return P_ASPDN;
		}
		return P_NONE;
	default:
		return asp->target != M3UA_ASP_S_ACTIVE ? P_ASPIA : P_NONE;
	}
}

static void send_request(struct m3ua_asp *asp, enum pending p)
{
	switch (p) {
	case P_ASPUP:
		m3ua_asp_send_simple(asp, M3UA_CLS_ASPSM, M3UA_ASPSM_UP);
		break;
	case P_ASPDN:
		m3ua_asp_send_simple(asp, M3UA_CLS_ASPSM, M3UA_ASPSM_DOWN);
		break;
	case P_ASPAC:
		m3ua_asp_send_simple(asp, M3UA_CLS_ASPTM, M3UA_ASPTM_ACTIVE);
		break;
	case P_ASPIA:
		m3ua_asp_send_simple(asp, M3UA_CLS_ASPTM, M3UA_ASPTM_INACTIVE);
		break;
	case P_REG:
		m3ua_asp_send_reg(asp);
		break;
	case P_DEREG:
		m3ua_asp_send_dereg(asp);
		break;
	case P_NONE:
		break;
	}
}

unsigned m3ua_asp_ack_ms(const struct m3ua_asp *asp)
{
	if (asp->cfg.ack_ms)
		return asp->cfg.ack_ms;
	return (unsigned)osmo_tdef_get(m3ua_asp_tdefs, -1, OSMO_TDEF_MS, 2000);
}

/* Send the next request, or nothing when the ASP is where it should be. */
static void drive(struct m3ua_asp *asp)
{
	enum pending p = next_request(asp);
	unsigned ms;

	if (p != asp->pending)
		asp->tries = 0;
	asp->pending = p;
	if (p == P_NONE) {
		osmo_timer_del(&asp->t_ack);
		return;
	}
	LOGPFSML(asp->fi, LOGL_DEBUG, "sending %s (target %s)\n", pending_names[p],
		 m3ua_asp_state_name(asp->target));
	send_request(asp, p);
	ms = m3ua_asp_ack_ms(asp);
	osmo_timer_schedule(&asp->t_ack, ms / 1000, (ms % 1000) * 1000);
}

/* --- the FSM: DOWN, INACTIVE, ACTIVE; requests follow the target --- */

static void st_down_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct m3ua_asp *asp = fi->priv;

	(void)prev;
	m3ua_asp_dests_clear(asp);
	asp->as_state = M3UA_AS_UNKNOWN;
	asp_notify(asp, M3UA_ASP_S_DOWN);
	drive(asp);
}

static void st_inactive_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct m3ua_asp *asp = fi->priv;

	(void)prev;
	asp_notify(asp, M3UA_ASP_S_INACTIVE);
	drive(asp);
}

static void st_active_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct m3ua_asp *asp = fi->priv;

	(void)prev;
	asp_notify(asp, M3UA_ASP_S_ACTIVE);
	drive(asp);
}

static void on_conn_down(struct m3ua_asp *asp)
{
	asp->peer_state = M3UA_ASP_S_DOWN;
	/* RFC 4666 4.4.1: a dynamic registration lives as long as the association */
	if (asp->rk_state != M3UA_RK_NONE)
		asp->rk_state = M3UA_RK_NONE;
	asp->pending = P_NONE;
	osmo_timer_del(&asp->t_ack);
}

static void on_t_ack(struct osmo_fsm_inst *fi)
{
	struct m3ua_asp *asp = fi->priv;

	/* T(ack) expired (RFC 4666 4.3.4.1-4.3.4.4, 4.4.1): send again; a peer
	 * that never answers ASPDN or DEREG REQ does not keep us from going. */
	asp->tries++;
	if (asp->pending == P_REG && asp->tries >= MAX_RETRY_DOWN) {
		LOGPFSML(fi, LOGL_ERROR, "no REG RSP: going on without a routing key\n");
		asp->rk_state = M3UA_RK_REFUSED;
		asp->rk_status = M3UA_REG_ERR_UNKNOWN;
	} else if (asp->pending == P_DEREG && asp->tries >= MAX_RETRY_DOWN) {
		asp->rk_state = M3UA_RK_NONE;
	} else if (asp->pending == P_ASPDN && asp->tries >= MAX_RETRY_DOWN) {
		LOGPFSML(fi, LOGL_NOTICE, "no ASPDN ACK: considered down\n");
		osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_DOWN, 0, 0);
		return;
	} else {
		unsigned t = asp->tries;

		asp->pending = P_NONE; /* so that drive() keeps the count */
		drive(asp);
		asp->tries = t;
		return;
	}
	drive(asp);
}

static void st_any(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct m3ua_asp *asp = fi->priv;

	(void)data;
	switch (event) {
	case E_CONN_UP:
	case E_ADMIN:
		drive(asp);
		break;
	case E_T_ACK:
		on_t_ack(fi);
		break;
	case E_CONN_DOWN:
		on_conn_down(asp);
		if (fi->state != M3UA_ASP_S_DOWN)
			osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_DOWN, 0, 0);
		else
			drive(asp);
		break;
	case E_RX_UP_ACK:
		/* 4.3.4.1: also an answer to a duplicate ASPUP while INACTIVE/ACTIVE */
		if (fi->state == M3UA_ASP_S_DOWN)
			osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_INACTIVE, 0, 0);
		break;
	case E_RX_ACTIVE_ACK:
		if (fi->state == M3UA_ASP_S_INACTIVE)
			osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_ACTIVE, 0, 0);
		break;
	case E_RX_INACTIVE_ACK:
		/* ours, or the SG's own (4.3.4.4: it may take the ASP inactive) */
		if (fi->state == M3UA_ASP_S_ACTIVE) {
			if (asp->pending != P_ASPIA && asp->target == M3UA_ASP_S_ACTIVE &&
			    asp->cfg.role != M3UA_ROLE_IPSP_SERVER)
				LOGPFSML(fi, LOGL_NOTICE, "the SG took the ASP inactive\n");
			osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_INACTIVE, 0, 0);
		}
		break;
	case E_RX_ALT_ASP_ACTIVE:
		/* 4.3.4.3 (override): another ASP took the traffic: stand by rather
		 * than fight for it */
		if (fi->state == M3UA_ASP_S_ACTIVE) {
			asp->target = M3UA_ASP_S_INACTIVE;
			osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_INACTIVE, 0, 0);
		}
		break;
	case E_RX_DOWN_ACK:
		if (fi->state != M3UA_ASP_S_DOWN) {
			if (asp->pending != P_ASPDN && asp->cfg.role != M3UA_ROLE_IPSP_SERVER)
				LOGPFSML(fi, LOGL_NOTICE, "the SG took the ASP down\n");
			asp->rk_state =
				asp->rk_state == M3UA_RK_REGISTERED ? M3UA_RK_NONE : asp->rk_state;
			osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_DOWN, 0, 0);
		} else {
			drive(asp);
		}
		break;
	}
}

static void t_ack_cb(void *priv)
{
	struct m3ua_asp *asp = priv;

	osmo_fsm_inst_dispatch(asp->fi, E_T_ACK, NULL);
}

/* The ASP state machine, ASP side (RFC 4666 4.3.1, figure "ASP State
 * Transition Diagram"), as this table allows it:
 *
 *   ASP-DOWN     --ASP Up Ack (4.3.4.1)----------------> ASP-INACTIVE
 *   ASP-INACTIVE --ASP Active Ack (4.3.4.3)------------> ASP-ACTIVE
 *   ASP-ACTIVE   --ASP Inactive Ack (4.3.4.4), or
 *                  NTFY Alternate ASP Active (4.3.4.3)-> ASP-INACTIVE
 *   ASP-INACTIVE/ACTIVE --ASP Down Ack (4.3.4.2), association lost
 *                  (SCTP CDI/RI), T(ack) gave up on ASPDN---> ASP-DOWN
 *
 * Events a state takes without a transition: a duplicate ACK answering a
 * request T(ack) sent twice (ASP Up Ack in INACTIVE/ACTIVE, ASP Active Ack in
 * ACTIVE, ASP Inactive Ack in INACTIVE), an ASP Down Ack in DOWN (the SGP
 * saying so, 4.3.4.2), management and RKM answers (E_ADMIN: drive toward the
 * target), T(ack) (4.3.4, 4.4) wherever a request can wait. Refused
 * (osmo_fsm_inst_dispatch() fails, nothing changes): the association coming
 * up outside ASP-DOWN, ASP Active/Inactive Ack in ASP-DOWN (ASPTM needs ASP
 * Up first, 4.3.4.3), NTFY Alternate ASP Active outside ASP-ACTIVE. */
#define S(x) (1 << (x))
static const struct osmo_fsm_state asp_states[] = {
	[M3UA_ASP_S_DOWN] = {.name = "ASP_DOWN",
			     .in_event_mask = S(E_CONN_UP) | S(E_CONN_DOWN) | S(E_RX_UP_ACK) |
					      S(E_RX_DOWN_ACK) | S(E_ADMIN) | S(E_T_ACK),
			     .out_state_mask = S(M3UA_ASP_S_INACTIVE),
			     .onenter = st_down_onenter,
			     .action = st_any},
	[M3UA_ASP_S_INACTIVE] = {.name = "ASP_INACTIVE",
				 .in_event_mask = S(E_CONN_DOWN) | S(E_RX_UP_ACK) |
						  S(E_RX_ACTIVE_ACK) | S(E_RX_INACTIVE_ACK) |
						  S(E_RX_DOWN_ACK) | S(E_ADMIN) | S(E_T_ACK),
				 .out_state_mask = S(M3UA_ASP_S_ACTIVE) | S(M3UA_ASP_S_DOWN),
				 .onenter = st_inactive_onenter,
				 .action = st_any},
	[M3UA_ASP_S_ACTIVE] = {.name = "ASP_ACTIVE",
			       .in_event_mask = S(E_CONN_DOWN) | S(E_RX_UP_ACK) |
						S(E_RX_ACTIVE_ACK) | S(E_RX_INACTIVE_ACK) |
						S(E_RX_DOWN_ACK) | S(E_RX_ALT_ASP_ACTIVE) |
						S(E_ADMIN) | S(E_T_ACK),
			       .out_state_mask = S(M3UA_ASP_S_INACTIVE) | S(M3UA_ASP_S_DOWN),
			       .onenter = st_active_onenter,
			       .action = st_any},
};

static struct osmo_fsm asp_fsm = {
	.name = "M3UA_ASP",
	.states = asp_states,
	.num_states = ARRAY_SIZE(asp_states),
	.event_names = asp_event_names,
	.log_subsys = DM3UA,
};

/* --- association events --- */

static void beat_arm(struct m3ua_asp *asp)
{
	osmo_timer_schedule(&asp->beat, asp->cfg.beat_ms / 1000, (asp->cfg.beat_ms % 1000) * 1000);
}

/* RFC 4666 4.3.4.6: BEAT while the association is up; the peer echoes its
 * data. Two periods without an answer: the association is dead, drop it
 * (the client connects again). */
static void beat_cb(void *priv)
{
	struct m3ua_asp *asp = priv;
	uint8_t buf[32], hb[4];
	struct m3ua_enc e;

	if (!m3ua_conn_is_up(asp->conn))
		return;
	if (asp->beats_out >= 2) {
		LOGPFSML(asp->fi, LOGL_ERROR,
			 "no BEAT ACK for %u BEATs: dropping the association\n", asp->beats_out);
		asp->beats_out = 0;
		m3ua_conn_reset(asp->conn);
		return;
	}
	asp->beat_seq++;
	hb[0] = asp->beat_seq >> 24;
	hb[1] = asp->beat_seq >> 16;
	hb[2] = asp->beat_seq >> 8;
	hb[3] = asp->beat_seq;
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT);
	m3ua_enc_param(&e, M3UA_IEI_HEARDBT_DATA, hb, sizeof(hb));
	if (m3ua_asp_tx(asp, buf, m3ua_enc_finish(&e), 0) == 0)
		asp->beats_out++;
	beat_arm(asp);
}

static void conn_up(void *priv)
{
	struct m3ua_asp *asp = priv;

	asp->beats_out = 0;
	if (asp->cfg.beat_ms)
		beat_arm(asp);
	osmo_fsm_inst_dispatch(asp->fi, E_CONN_UP, NULL);
}

static void conn_down(void *priv, int err)
{
	struct m3ua_asp *asp = priv;

	(void)err;
	osmo_timer_del(&asp->beat);
	osmo_fsm_inst_dispatch(asp->fi, E_CONN_DOWN, NULL);
}

static void send_err_na(struct m3ua_asp *asp, uint32_t code, const uint32_t *na)
{
	uint8_t buf[32];
	struct m3ua_enc e;
	int n;

	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_MGMT, M3UA_MGMT_ERR);
	m3ua_enc_u32(&e, M3UA_IEI_ERR_CODE, code);
	if (na)
		m3ua_enc_u32(&e, M3UA_IEI_NET_APPEARANCE, *na);
	n = m3ua_enc_finish(&e);
	if (n > 0 && m3ua_asp_tx(asp, buf, n, 0) == 0)
		asp->st.rx_err_sent++;
}

void m3ua_asp_send_err(struct m3ua_asp *asp, uint32_t code)
{
	send_err_na(asp, code, NULL);
}

/* RFC 4666 3.3.1 / 3.8.1: a message naming a Network Appearance other than
 * the configured one is refused with ERR "Invalid Network Appearance", which
 * carries the offending value. Without one configured, any is taken (the
 * parameter is optional and the peer may use it alone). */
bool m3ua_asp_na_ok(struct m3ua_asp *asp, const struct m3ua_msg *m)
{
	uint32_t na;
	int rc = m3ua_msg_u32(m, M3UA_IEI_NET_APPEARANCE, &na);

	if (rc == -ENOENT || (rc == 0 && (!asp->cfg.have_na || na == asp->cfg.na)))
		return true;
	asp->st.rx_bad_na++;
	if (rc < 0) {
		LOGPFSML(asp->fi, LOGL_ERROR, "%s with a malformed Network Appearance\n",
			 m3ua_type_name(m->cls, m->type));
		m3ua_asp_send_err(asp, M3UA_ERR_PARAM_FIELD_ERR);
		return false;
	}
	LOGPFSML(asp->fi, LOGL_ERROR,
		 "%s with Network Appearance %u, configured %u: ERR invalid Network "
		 "Appearance\n",
		 m3ua_type_name(m->cls, m->type), na, asp->cfg.na);
	send_err_na(asp, M3UA_ERR_INVAL_NET_APPEAR, &na);
	return false;
}

/* RFC 4666 3.3.1 / 3.8.1: DATA naming a Routing Context that is not the
 * one in use (configured, or learned by registration) is refused with ERR
 * "Invalid Routing Context" carrying the offending value. Without one in
 * use, any is taken (the parameter is optional). */
static bool rc_ok(struct m3ua_asp *asp, const struct m3ua_msg *m)
{
	uint32_t got, mine;
	int r = m3ua_msg_u32(m, M3UA_IEI_ROUTE_CTX, &got);
	uint8_t buf[32];
	struct m3ua_enc e;
	int n;

	if (r == -ENOENT || (r == 0 && (!m3ua_asp_rc(asp, &mine) || got == mine)))
		return true;
	asp->st.rx_bad_rc++;
	if (r < 0) {
		LOGPFSML(asp->fi, LOGL_ERROR, "%s with a malformed Routing Context\n",
			 m3ua_type_name(m->cls, m->type));
		m3ua_asp_send_err(asp, M3UA_ERR_PARAM_FIELD_ERR);
		return false;
	}
	LOGPFSML(asp->fi, LOGL_ERROR,
		 "%s with Routing Context %u, ours is %u: ERR invalid Routing Context\n",
		 m3ua_type_name(m->cls, m->type), got, mine);
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_MGMT, M3UA_MGMT_ERR);
	m3ua_enc_u32(&e, M3UA_IEI_ERR_CODE, M3UA_ERR_INVAL_ROUT_CTX);
	m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, got);
	n = m3ua_enc_finish(&e);
	if (n > 0 && m3ua_asp_tx(asp, buf, n, 0) == 0)
		asp->st.rx_err_sent++;
	return false;
}

static void rx_ntfy(struct m3ua_asp *asp, const struct m3ua_msg *m)
{
	/* 3.8.2: Status = type (16) | info (16) */
	uint32_t status = 0;

	if (m3ua_msg_u32(m, M3UA_IEI_STATUS, &status) < 0)
		return;
	if ((status >> 16) == M3UA_NTFY_T_AS_STATE_CHG) {
		static const enum m3ua_as_state map[5] = {
			[2] = M3UA_AS_INACTIVE, [3] = M3UA_AS_ACTIVE, [4] = M3UA_AS_PENDING};
		unsigned info = status & 0xffff;

		asp->as_state = info < 5 ? map[info] : M3UA_AS_UNKNOWN;
		LOGP(DM3UA, LOGL_NOTICE, "M3UA: the SG says the AS is %s\n",
		     m3ua_as_state_name(asp->as_state));
	} else if ((status >> 16) == M3UA_NTFY_T_OTHER) {
		LOGP(DM3UA, LOGL_NOTICE, "M3UA: NTFY other: %u\n", status & 0xffff);
		/* only an active ASP can be replaced (4.3.4.3); elsewhere it is
		 * news, not an event of the state machine */
		if ((status & 0xffff) == M3UA_NTFY_I_ALT_ASP_ACT &&
		    asp->fi->state == M3UA_ASP_S_ACTIVE)
			osmo_fsm_inst_dispatch(asp->fi, E_RX_ALT_ASP_ACTIVE, NULL);
	}
}

static void rx_data(struct m3ua_asp *asp, const struct m3ua_msg *m)
{
	const struct m3ua_param *p = m3ua_msg_find(m, M3UA_IEI_PROT_DATA);
	struct m3ua_pdata pd;
	struct m3ua_dest *d;

	/* 4.3.4.3: DATA only from an active peer; in a double exchange the
	 * peer's own ASPAC said so, otherwise ours (or, as server, its) */
	if (m3ua_asp_peer_state(asp) != M3UA_ASP_S_ACTIVE) {
		m3ua_asp_send_err(asp, M3UA_ERR_UNEXPECTED_MSG);
		return;
	}
	if (!m3ua_asp_na_ok(asp, m) || !rc_ok(asp, m))
		return;
	if (!p || m3ua_pdata_decode(&pd, p) < 0) {
		m3ua_asp_send_err(asp, M3UA_ERR_PARAM_FIELD_ERR);
		return;
	}
	/* the far user part speaks again: it is available (Q.704 11.2.7) */
	d = m3ua_dests_find(&asp->dests, pd.opc & 0xffffff, 0, false);
	if (d && pd.si < 16 && (d->dupu & (1u << pd.si))) {
		d->dupu &= (uint16_t) ~(1u << pd.si);
		m3ua_dests_gc(&asp->dests);
	}
	if (asp->ops->transfer)
		asp->ops->transfer(asp->priv, &pd);
}

static void conn_rx(void *priv, const uint8_t *buf, size_t len, uint16_t stream)
{
	struct m3ua_asp *asp = priv;
	struct m3ua_msg m;
	uint32_t err = 0;

	if (m3ua_decode(&m, buf, len, &err) < 0) {
		asp->st.rx_bad++;
		LOGP(DM3UA, LOGL_NOTICE, "M3UA: malformed message (%zu bytes), ERR 0x%02x\n", len,
		     err);
		m3ua_asp_send_err(asp, err);
		return;
	}
	count(asp->st.rx, m.cls, m.type);
	if (!m3ua_sctp_stream_ok(m.cls, stream)) {
		LOGPFSML(asp->fi, LOGL_ERROR, "%s on SCTP stream %u: ERR invalid stream\n",
			 m3ua_type_name(m.cls, m.type), stream);
		m3ua_asp_send_err(asp, M3UA_ERR_INVAL_STREAM_ID);
		return;
	}
	if (m3ua_ipsp_rx(asp, &m))
		return;
	switch (m.cls) {
	case M3UA_CLS_ASPSM:
		if (m.type == M3UA_ASPSM_UP_ACK)
			osmo_fsm_inst_dispatch(asp->fi, E_RX_UP_ACK, NULL);
		else if (m.type == M3UA_ASPSM_DOWN_ACK)
			osmo_fsm_inst_dispatch(asp->fi, E_RX_DOWN_ACK, NULL);
		else if (m.type == M3UA_ASPSM_BEAT_ACK)
			asp->beats_out = 0;
		else if (m.type == M3UA_ASPSM_BEAT) {
			/* 4.3.4.6: echo the heartbeat data back */
			const struct m3ua_param *hb = m3ua_msg_find(&m, M3UA_IEI_HEARDBT_DATA);
			uint8_t out[1024];
			struct m3ua_enc e;

			m3ua_enc_start(&e, out, sizeof(out), M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK);
			if (hb)
				m3ua_enc_param(&e, M3UA_IEI_HEARDBT_DATA, hb->val, hb->len);
			m3ua_asp_tx(asp, out, m3ua_enc_finish(&e), 0);
		}
		break;
	case M3UA_CLS_ASPTM:
		/* 4.3.4.3: ASPTM ACKs in ASP-DOWN are refused by the FSM table:
		 * ERR Unexpected Message (3.8.1) */
		if ((m.type == M3UA_ASPTM_ACTIVE_ACK &&
		     osmo_fsm_inst_dispatch(asp->fi, E_RX_ACTIVE_ACK, NULL) < 0) ||
		    (m.type == M3UA_ASPTM_INACTIVE_ACK &&
		     osmo_fsm_inst_dispatch(asp->fi, E_RX_INACTIVE_ACK, NULL) < 0))
			m3ua_asp_send_err(asp, M3UA_ERR_UNEXPECTED_MSG);
		break;
	case M3UA_CLS_XFER:
		rx_data(asp, &m);
		break;
	case M3UA_CLS_SSNM:
		m3ua_asp_rx_ssnm(asp, &m);
		break;
	case M3UA_CLS_RKM:
		m3ua_asp_rx_rkm(asp, &m);
		break;
	case M3UA_CLS_MGMT:
		if (m.type == M3UA_MGMT_NTFY) {
			rx_ntfy(asp, &m);
		} else if (m.type == M3UA_MGMT_ERR) {
			uint32_t code = 0;

			m3ua_msg_u32(&m, M3UA_IEI_ERR_CODE, &code);
			LOGP(DM3UA, LOGL_ERROR, "M3UA: the SG sent ERR 0x%02x\n", code);
		}
		break;
	default:
		break;
	}
}

static const struct m3ua_conn_ops conn_ops = {.up = conn_up, .down = conn_down, .rx = conn_rx};

struct m3ua_asp *m3ua_asp_alloc(void *ctx, struct loop *l, const struct m3ua_asp_cfg *cfg,
				const struct m3ua_asp_ops *ops, void *priv)
{
	static bool registered;
	struct m3ua_asp *asp;

	if (!registered) {
		OSMO_ASSERT(osmo_fsm_register(&asp_fsm) == 0);
		registered = true;
	}
	asp = talloc_zero(ctx, struct m3ua_asp);
	if (!asp)
		return NULL;
	asp->cfg = *cfg;
	/* the routing key names the ASP's Network Appearance (RFC 4666 3.6.1) */
	asp->cfg.rk.have_na = cfg->have_na;
	asp->cfg.rk.na = cfg->na;
	asp->cfg.rk.have_rc = cfg->have_rc;
	asp->cfg.rk.rc = cfg->rc;
	if (!asp->cfg.daud_ms)
		asp->cfg.daud_ms = 30000;
	asp->target = cfg->standby ? M3UA_ASP_S_INACTIVE : M3UA_ASP_S_ACTIVE;
	asp->ops = ops;
	asp->priv = priv;
	osmo_timer_setup(&asp->t_ack, t_ack_cb, asp);
	m3ua_asp_ssnm_init(asp);
	osmo_timer_setup(&asp->beat, beat_cb, asp);
	asp->fi = osmo_fsm_inst_alloc(&asp_fsm, asp, asp, LOGL_INFO, NULL);
	if (!asp->fi) {
		talloc_free(asp);
		return NULL;
	}
	asp->conn = m3ua_conn_alloc(asp, l, &cfg->conn, &conn_ops, asp);
	if (!asp->conn) {
		osmo_fsm_inst_free(asp->fi);
		talloc_free(asp);
		return NULL;
	}
	return asp;
}

void m3ua_asp_free(struct m3ua_asp *asp)
{
	if (!asp)
		return;
	osmo_timer_del(&asp->t_ack);
	osmo_timer_del(&asp->daud);
	osmo_timer_del(&asp->beat);
	m3ua_conn_free(asp->conn);
	osmo_fsm_inst_free(asp->fi);
	m3ua_dests_free(&asp->dests);
	talloc_free(asp);
}

enum m3ua_asp_state m3ua_asp_state(const struct m3ua_asp *asp)
{
	return (enum m3ua_asp_state)asp->fi->state;
}

const char *m3ua_asp_state_name(enum m3ua_asp_state st)
{
	return st < ARRAY_SIZE(asp_states) ? asp_states[st].name : "?";
}

void m3ua_asp_set_target(struct m3ua_asp *asp, enum m3ua_asp_state want)
{
	if (want > M3UA_ASP_S_ACTIVE)
		return;
	asp->target = want;
	osmo_fsm_inst_dispatch(asp->fi, E_ADMIN, NULL);
}

enum m3ua_asp_state m3ua_asp_target(const struct m3ua_asp *asp)
{
	return asp->target;
}

bool m3ua_asp_settled(const struct m3ua_asp *asp)
{
	return asp->pending == P_NONE;
}

enum m3ua_asp_state m3ua_asp_peer_state(const struct m3ua_asp *asp)
{
	if (asp->cfg.role == M3UA_ROLE_IPSP_DE)
		return asp->peer_state;
	return (enum m3ua_asp_state)asp->fi->state;
}

int m3ua_asp_local(const struct m3ua_asp *asp, struct sockaddr_storage *ss)
{
	return m3ua_conn_local(asp->conn, ss);
}

void m3ua_asp_reset(struct m3ua_asp *asp)
{
	m3ua_conn_reset(asp->conn);
}

unsigned m3ua_asp_paths(const struct m3ua_asp *asp, struct m3ua_sctp_path *out, unsigned max)
{
	return m3ua_conn_paths(asp->conn, out, max);
}

int m3ua_asp_sctp_info(const struct m3ua_asp *asp, struct m3ua_sctp_info *out)
{
	return m3ua_conn_sctp_info(asp->conn, out);
}

int m3ua_asp_transfer(struct m3ua_asp *asp, const struct m3ua_pdata *pd)
{
	uint8_t buf[512];
	struct m3ua_enc e;
	uint32_t rc;

	if (asp->fi->state != M3UA_ASP_S_ACTIVE)
		return -ENOTCONN;
	if (!m3ua_asp_dest_available(asp, pd->dpc))
		return -EHOSTUNREACH;
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
	/* RFC 4666 3.3.1: Network Appearance, Routing Context, Protocol Data */
	if (asp->cfg.have_na)
		m3ua_enc_u32(&e, M3UA_IEI_NET_APPEARANCE, asp->cfg.na);
	if (m3ua_asp_rc(asp, &rc))
		m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, rc);
	m3ua_enc_pdata(&e, pd);
	/* 1.4.7: DATA of one SLS on one stream (not 0), so it stays in sequence;
	 * the transport maps 1 + SLS onto the streams it has */
	return m3ua_asp_tx(asp, buf, m3ua_enc_finish(&e), (uint16_t)(1 + pd->sls));
}

enum m3ua_as_state m3ua_asp_as_state(const struct m3ua_asp *asp)
{
	return asp->as_state;
}

const char *m3ua_as_state_name(enum m3ua_as_state st)
{
	static const char *const names[] = {"unknown", "AS-INACTIVE", "AS-ACTIVE", "AS-PENDING"};

	return st <= M3UA_AS_PENDING ? names[st] : "?";
}

const struct m3ua_asp_stats *m3ua_asp_get_stats(const struct m3ua_asp *asp)
{
	return &asp->st;
}
