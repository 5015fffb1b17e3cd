/* IPSP answers (RFC 4666 4.3, 5.5): the server side of a single exchange
 * answers its peer's ASPSM/ASPTM requests as an SG would and follows them
 * with its own state; either side of a double exchange (4.3.1) answers them
 * too but keeps the peer's state apart from its own. */
#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>

#include "core/log.h"
#include "sigtran/m3ua_asp_int.h"

/* IPSP DE (RFC 4666 4.3.1): the peer's own requests, answered as an SG
 * would; they set the peer's state, not ours (our requests and the peer's
 * ACKs do that). */
static bool ipsp_de_rx(struct m3ua_asp *asp, const struct m3ua_msg *m)
{
	const struct m3ua_param *p;
	uint8_t buf[64];
	struct m3ua_enc e;

	switch (m->cls << 8 | m->type) {
	case M3UA_CLS_ASPSM << 8 | M3UA_ASPSM_UP:
		m3ua_asp_send_simple(asp, M3UA_CLS_ASPSM, M3UA_ASPSM_UP_ACK);
		if (asp->peer_state != M3UA_ASP_S_DOWN && asp->fi->state != M3UA_ASP_S_DOWN) {
			/* 4.3.4.1: ASPUP from a peer we had up: it restarted and
			 * forgot us too, so we announce ourselves again */
			LOGPFSML(asp->fi, LOGL_NOTICE,
				 "ASPUP from an IPSP that was up: it restarted\n");
			asp->peer_state = M3UA_ASP_S_INACTIVE;
			osmo_fsm_inst_state_chg(asp->fi, M3UA_ASP_S_DOWN, 0, 0);
			return true;
		}
		asp->peer_state = M3UA_ASP_S_INACTIVE;
		return true;
	case M3UA_CLS_ASPSM << 8 | M3UA_ASPSM_DOWN:
		m3ua_asp_send_simple(asp, M3UA_CLS_ASPSM, M3UA_ASPSM_DOWN_ACK);
		asp->peer_state = M3UA_ASP_S_DOWN;
		return true;
	case M3UA_CLS_ASPTM << 8 | M3UA_ASPTM_ACTIVE:
	case M3UA_CLS_ASPTM << 8 | M3UA_ASPTM_INACTIVE:
		if (asp->peer_state == M3UA_ASP_S_DOWN) {
			m3ua_asp_send_err(asp, M3UA_ERR_UNEXPECTED_MSG); /* 4.3.4.3: ASPUP first */
			return true;
		}
		m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPTM,
			       m->type == M3UA_ASPTM_ACTIVE ? M3UA_ASPTM_ACTIVE_ACK
							    : M3UA_ASPTM_INACTIVE_ACK);
		if (m->type == M3UA_ASPTM_ACTIVE && (p = m3ua_msg_find(m, M3UA_IEI_TRAF_MODE_TYPE)))
			m3ua_enc_param(&e, p->tag, p->val, p->len);
		if ((p = m3ua_msg_find(m, M3UA_IEI_ROUTE_CTX)))
			m3ua_enc_param(&e, p->tag, p->val, p->len);
		m3ua_asp_tx(asp, buf, m3ua_enc_finish(&e), 0);
		asp->peer_state =
			m->type == M3UA_ASPTM_ACTIVE ? M3UA_ASP_S_ACTIVE : M3UA_ASP_S_INACTIVE;
		return true;
	}
	return false;
}

/* IPSP SE, server side (RFC 4666 4.3.4, 5.5): answer the client's ASPSM and
 * ASPTM requests as an SG would, and follow its state. */
bool m3ua_ipsp_rx(struct m3ua_asp *asp, const struct m3ua_msg *m)
{
	const struct m3ua_param *p;
	uint8_t buf[64];
	struct m3ua_enc e;

	if (asp->cfg.role == M3UA_ROLE_IPSP_DE)
		return ipsp_de_rx(asp, m);
	if (asp->cfg.role != M3UA_ROLE_IPSP_SERVER)
		return false;
	switch (m->cls << 8 | m->type) {
	case M3UA_CLS_ASPSM << 8 | M3UA_ASPSM_UP:
		m3ua_asp_send_simple(asp, M3UA_CLS_ASPSM, M3UA_ASPSM_UP_ACK);
		/* 4.3.4.1: ASPUP while INACTIVE/ACTIVE: the peer restarted */
		if (asp->fi->state == M3UA_ASP_S_ACTIVE)
			osmo_fsm_inst_dispatch(asp->fi, E_RX_INACTIVE_ACK, NULL);
		osmo_fsm_inst_dispatch(asp->fi, E_RX_UP_ACK, NULL);
		return true;
	case M3UA_CLS_ASPSM << 8 | M3UA_ASPSM_DOWN:
		m3ua_asp_send_simple(asp, M3UA_CLS_ASPSM, M3UA_ASPSM_DOWN_ACK);
		osmo_fsm_inst_dispatch(asp->fi, E_RX_DOWN_ACK, NULL);
		return true;
	case M3UA_CLS_ASPTM << 8 | M3UA_ASPTM_ACTIVE:
	case M3UA_CLS_ASPTM << 8 | M3UA_ASPTM_INACTIVE:
		if (asp->fi->state == M3UA_ASP_S_DOWN) {
			m3ua_asp_send_err(asp, M3UA_ERR_UNEXPECTED_MSG); /* 4.3.4.3: ASPUP first */
			return true;
		}
		m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPTM,
			       m->type == M3UA_ASPTM_ACTIVE ? M3UA_ASPTM_ACTIVE_ACK
							    : M3UA_ASPTM_INACTIVE_ACK);
		if (m->type == M3UA_ASPTM_ACTIVE && (p = m3ua_msg_find(m, M3UA_IEI_TRAF_MODE_TYPE)))
			m3ua_enc_param(&e, p->tag, p->val, p->len);
		if ((p = m3ua_msg_find(m, M3UA_IEI_ROUTE_CTX)))
			m3ua_enc_param(&e, p->tag, p->val, p->len);
		m3ua_asp_tx(asp, buf, m3ua_enc_finish(&e), 0);
		osmo_fsm_inst_dispatch(
			asp->fi, m->type == M3UA_ASPTM_ACTIVE ? E_RX_ACTIVE_ACK : E_RX_INACTIVE_ACK,
			NULL);
		return true;
	}
	return false;
}
