/* M3UA ASP state machine (RFC 4666 4.3.1, 4.3.4). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/utils.h>

#include "core/log.h"
#include "sigtran/m3ua_asp.h"

#define MAX_UNAVAIL 64

enum asp_event {
	E_CONN_UP,
	E_CONN_DOWN,
	E_RX_UP_ACK,
	E_RX_ACTIVE_ACK,
	E_RX_DOWN_ACK,
};

static const struct value_string asp_event_names[] = {
	{E_CONN_UP, "ASSOCIATION_UP"},	 {E_CONN_DOWN, "ASSOCIATION_DOWN"},
	{E_RX_UP_ACK, "RX_ASPUP_ACK"},	 {E_RX_ACTIVE_ACK, "RX_ASPAC_ACK"},
	{E_RX_DOWN_ACK, "RX_ASPDN_ACK"}, {0, NULL},
};

struct m3ua_asp {
	struct osmo_fsm_inst *fi;
	struct m3ua_asp_cfg cfg;
	const struct m3ua_asp_ops *ops;
	void *priv;
	struct m3ua_conn *conn;
	enum m3ua_as_state as_state;
	uint32_t unavail[MAX_UNAVAIL];
	unsigned n_unavail;
	struct m3ua_asp_stats st;
};

static void count(uint64_t t[10][8], uint8_t cls, uint8_t type)
{
	if (cls < 10 && type < 8)
		t[cls][type]++;
}

static int send_simple(struct m3ua_asp *asp, uint8_t cls, uint8_t type, bool with_ctx)
{
	uint8_t buf[64];
	struct m3ua_enc e;
	int n;

	m3ua_enc_start(&e, buf, sizeof(buf), cls, type);
	if (with_ctx && cls == M3UA_CLS_ASPTM) {
		if (asp->cfg.traffic_mode)
			m3ua_enc_u32(&e, M3UA_IEI_TRAF_MODE_TYPE, asp->cfg.traffic_mode);
		if (asp->cfg.have_rc)
			m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, asp->cfg.rc);
	}
	n = m3ua_enc_finish(&e);
	if (n < 0)
		return n;
	count(asp->st.tx, cls, type);
	/* RFC 4666 4.3.1: ASPSM on stream 0 */
	return m3ua_conn_tx(asp->conn, buf, (size_t)n, 0);
}

static void asp_notify(struct m3ua_asp *asp, enum m3ua_asp_state st)
{
	if (asp->ops->state)
		asp->ops->state(asp->priv, st);
}

/* --- the FSM: DOWN (ASPUP sent while associated), INACTIVE (ASPAC sent), ACTIVE --- */

static void st_down_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct m3ua_asp *asp = fi->priv;

	(void)prev;
	asp->n_unavail = 0;
	asp->as_state = M3UA_AS_UNKNOWN;
	asp_notify(asp, M3UA_ASP_S_DOWN);
	if (m3ua_conn_is_up(asp->conn)) {
		send_simple(asp, M3UA_CLS_ASPSM, M3UA_ASPSM_UP, false);
		osmo_timer_schedule(&fi->timer, asp->cfg.ack_ms / 1000,
				    (asp->cfg.ack_ms % 1000) * 1000);
		fi->T = 1; /* T(ack) */
	}
}

static void st_down(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	(void)data;
	switch (event) {
	case E_CONN_UP:
		st_down_onenter(fi, 0);
		break;
	case E_RX_UP_ACK:
		osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_INACTIVE, 0, 0);
		break;
	}
}

static void st_inactive_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	struct m3ua_asp *asp = fi->priv;

	(void)prev;
	asp_notify(asp, M3UA_ASP_S_INACTIVE);
	send_simple(asp, M3UA_CLS_ASPTM, M3UA_ASPTM_ACTIVE, true);
	osmo_timer_schedule(&fi->timer, asp->cfg.ack_ms / 1000, (asp->cfg.ack_ms % 1000) * 1000);
	fi->T = 1;
}

static void st_inactive(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	(void)data;
	switch (event) {
	case E_RX_ACTIVE_ACK:
		osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_ACTIVE, 0, 0);
		break;
	case E_CONN_DOWN:
		osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_DOWN, 0, 0);
		break;
	}
}

static void st_active_onenter(struct osmo_fsm_inst *fi, uint32_t prev)
{
	(void)prev;
	osmo_timer_del(&fi->timer);
	asp_notify(fi->priv, M3UA_ASP_S_ACTIVE);
}

static void st_active(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	(void)data;
	if (event == E_CONN_DOWN)
		osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_DOWN, 0, 0);
}

static int asp_timer_cb(struct osmo_fsm_inst *fi)
{
	/* T(ack) expired: send again (RFC 4666 4.3.4.1, 4.3.4.3) */
	if (fi->state == M3UA_ASP_S_DOWN)
		st_down_onenter(fi, 0);
	else if (fi->state == M3UA_ASP_S_INACTIVE)
		st_inactive_onenter(fi, 0);
	return 0;
}

#define S(x) (1 << (x))
static const struct osmo_fsm_state asp_states[] = {
	[M3UA_ASP_S_DOWN] = {.name = "ASP_DOWN",
			     .in_event_mask = S(E_CONN_UP) | S(E_CONN_DOWN) | S(E_RX_UP_ACK),
			     .out_state_mask = S(M3UA_ASP_S_INACTIVE) | S(M3UA_ASP_S_DOWN),
			     .onenter = st_down_onenter,
			     .action = st_down},
	[M3UA_ASP_S_INACTIVE] = {.name = "ASP_INACTIVE",
				 .in_event_mask =
					 S(E_RX_ACTIVE_ACK) | S(E_CONN_DOWN) | S(E_RX_UP_ACK),
				 .out_state_mask = S(M3UA_ASP_S_ACTIVE) | S(M3UA_ASP_S_DOWN),
				 .onenter = st_inactive_onenter,
				 .action = st_inactive},
	[M3UA_ASP_S_ACTIVE] = {.name = "ASP_ACTIVE",
			       .in_event_mask =
				       S(E_CONN_DOWN) | S(E_RX_ACTIVE_ACK) | S(E_RX_UP_ACK),
			       .out_state_mask = S(M3UA_ASP_S_DOWN),
			       .onenter = st_active_onenter,
			       .action = st_active},
};

static struct osmo_fsm asp_fsm = {
	.name = "M3UA_ASP",
	.states = asp_states,
	.num_states = ARRAY_SIZE(asp_states),
	.timer_cb = asp_timer_cb,
	.event_names = asp_event_names,
	.log_subsys = DM3UA,
};

/* --- association events --- */

static void conn_up(void *priv)
{
	struct m3ua_asp *asp = priv;

	osmo_fsm_inst_dispatch(asp->fi, E_CONN_UP, NULL);
}

static void conn_down(void *priv, int err)
{
	struct m3ua_asp *asp = priv;

	(void)err;
	osmo_timer_del(&asp->fi->timer);
	if (asp->fi->state != M3UA_ASP_S_DOWN)
		osmo_fsm_inst_dispatch(asp->fi, E_CONN_DOWN, NULL);
}

static void set_avail(struct m3ua_asp *asp, uint32_t dpc, bool avail)
{
	unsigned i;

	for (i = 0; i < asp->n_unavail && asp->unavail[i] != dpc; i++)
		;
	if (avail && i < asp->n_unavail) {
		asp->unavail[i] = asp->unavail[--asp->n_unavail];
		if (asp->ops->resume)
			asp->ops->resume(asp->priv, dpc);
	} else if (!avail && i == asp->n_unavail && asp->n_unavail < MAX_UNAVAIL) {
		asp->unavail[asp->n_unavail++] = dpc;
		if (asp->ops->pause)
			asp->ops->pause(asp->priv, dpc);
	}
}

/* RFC 4666 3.4.1/3.4.2: Affected Point Code: mask(8) | point code(24), several */
static void ssnm(struct m3ua_asp *asp, const struct m3ua_msg *m, bool avail)
{
	const struct m3ua_param *p = m3ua_msg_find(m, M3UA_IEI_AFFECTED_PC);

	if (!p)
		return;
	for (unsigned i = 0; i + 4 <= p->len; i += 4) {
		uint32_t pc = (uint32_t)p->val[i + 1] << 16 | (uint32_t)p->val[i + 2] << 8 |
			      p->val[i + 3];

		set_avail(asp, pc, avail);
	}
}

static void send_err(struct m3ua_asp *asp, uint32_t code)
{
	uint8_t buf[32];
	struct m3ua_enc e;
	int n;

	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_MGMT, M3UA_MGMT_ERR);
	m3ua_enc_u32(&e, M3UA_IEI_ERR_CODE, code);
	n = m3ua_enc_finish(&e);
	if (n > 0 && m3ua_conn_tx(asp->conn, buf, (size_t)n, 0) == 0)
		asp->st.rx_err_sent++;
}

static void conn_rx(void *priv, const uint8_t *buf, size_t len, uint16_t stream)
{
	struct m3ua_asp *asp = priv;
	struct m3ua_msg m;
	uint32_t err = 0;

	(void)stream;
	if (m3ua_decode(&m, buf, len, &err) < 0) {
		asp->st.rx_bad++;
		LOGP(DM3UA, LOGL_NOTICE, "M3UA: malformed message (%zu bytes), ERR 0x%02x\n", len,
		     err);
		send_err(asp, err);
		return;
	}
	count(asp->st.rx, m.cls, m.type);
	switch (m.cls) {
	case M3UA_CLS_ASPSM:
		if (m.type == M3UA_ASPSM_UP_ACK)
			osmo_fsm_inst_dispatch(asp->fi, E_RX_UP_ACK, NULL);
		else if (m.type == M3UA_ASPSM_BEAT) {
			/* 4.3.4.6: echo the heartbeat data back */
			const struct m3ua_param *hb = m3ua_msg_find(&m, M3UA_IEI_HEARDBT_DATA);
			uint8_t out[1024];
			struct m3ua_enc e;
			int n;

			m3ua_enc_start(&e, out, sizeof(out), M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK);
			if (hb)
				m3ua_enc_param(&e, M3UA_IEI_HEARDBT_DATA, hb->val, hb->len);
			n = m3ua_enc_finish(&e);
			if (n > 0)
				m3ua_conn_tx(asp->conn, out, (size_t)n, 0);
			count(asp->st.tx, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK);
		}
		break;
	case M3UA_CLS_ASPTM:
		if (m.type == M3UA_ASPTM_ACTIVE_ACK)
			osmo_fsm_inst_dispatch(asp->fi, E_RX_ACTIVE_ACK, NULL);
		break;
	case M3UA_CLS_XFER: {
		const struct m3ua_param *p = m3ua_msg_find(&m, M3UA_IEI_PROT_DATA);
		struct m3ua_pdata pd;

		if (asp->fi->state != M3UA_ASP_S_ACTIVE) {
			send_err(asp, M3UA_ERR_UNEXPECTED_MSG); /* 4.3.4.3: not active */
			break;
		}
		if (p && m3ua_pdata_decode(&pd, p) == 0 && asp->ops->transfer)
			asp->ops->transfer(asp->priv, &pd);
		break;
	}
	case M3UA_CLS_SSNM:
		if (m.type == M3UA_SSNM_DUNA)
			ssnm(asp, &m, false);
		else if (m.type == M3UA_SSNM_DAVA)
			ssnm(asp, &m, true);
		break;
	case M3UA_CLS_MGMT:
		if (m.type == M3UA_MGMT_NTFY) {
			/* 3.8.2: Status = type (16) | info (16); type 1 = AS state
			 * change: 2 inactive, 3 active, 4 pending */
			uint32_t status = 0;

			if (m3ua_msg_u32(&m, M3UA_IEI_STATUS, &status) == 0 &&
			    (status >> 16) == 1) {
				static const enum m3ua_as_state map[5] = {[2] = M3UA_AS_INACTIVE,
									  [3] = M3UA_AS_ACTIVE,
									  [4] = M3UA_AS_PENDING};
				unsigned info = status & 0xffff;

				asp->as_state = info < 5 ? map[info] : M3UA_AS_UNKNOWN;
				LOGP(DM3UA, LOGL_NOTICE, "M3UA: the SG says the AS is %s\n",
				     m3ua_as_state_name(asp->as_state));
			} else if ((status >> 16) == 2) {
				LOGP(DM3UA, LOGL_NOTICE, "M3UA: NTFY other: %u\n", status & 0xffff);
			}
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
	if (!asp->cfg.ack_ms)
		asp->cfg.ack_ms = 2000;
	asp->ops = ops;
	asp->priv = priv;
	asp->fi = osmo_fsm_inst_alloc(&asp_fsm, asp, asp, LOGL_INFO, NULL);
	if (!asp->fi) {
		talloc_free(asp);
		return NULL;
	}
	asp->conn = m3ua_conn_alloc(asp, l, &cfg->conn, &conn_ops, asp);
	if (!asp->conn) {
		talloc_free(asp);
		return NULL;
	}
	return asp;
}

void m3ua_asp_free(struct m3ua_asp *asp)
{
	m3ua_conn_free(asp->conn);
	osmo_fsm_inst_free(asp->fi);
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

bool m3ua_asp_dest_available(const struct m3ua_asp *asp, uint32_t dpc)
{
	for (unsigned i = 0; i < asp->n_unavail; i++)
		if (asp->unavail[i] == dpc)
			return false;
	return true;
}

int m3ua_asp_transfer(struct m3ua_asp *asp, const struct m3ua_pdata *pd)
{
	uint8_t buf[512];
	struct m3ua_enc e;
	int n;

	if (asp->fi->state != M3UA_ASP_S_ACTIVE)
		return -ENOTCONN;
	if (!m3ua_asp_dest_available(asp, pd->dpc))
		return -EHOSTUNREACH;
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
	if (asp->cfg.have_rc)
		m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, asp->cfg.rc);
	m3ua_enc_pdata(&e, pd);
	n = m3ua_enc_finish(&e);
	if (n < 0)
		return n;
	count(asp->st.tx, M3UA_CLS_XFER, M3UA_XFER_DATA);
	/* 4.3.4.3: DATA on a stream other than 0, chosen by SLS */
	return m3ua_conn_tx(asp->conn, buf, (size_t)n, (uint16_t)(1 + (pd->sls & 0x0f)));
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
