/* M3UA RKM, ASP side (RFC 4666 4.4): REG REQ once ASP-INACTIVE, the REG RSP
 * naming the routing context the SG assigned, DEREG before ASPDN. The
 * message coding is in m3ua_rkm.c. */
#include <osmocom/core/fsm.h>
#include <osmocom/core/logging.h>

#include "core/log.h"
#include "sigtran/m3ua_asp.h"
#include "sigtran/m3ua_asp_int.h"
#include "sigtran/m3ua_rkm.h"

void m3ua_asp_send_reg(struct m3ua_asp *asp)
{
	uint8_t buf[512];

	asp->rk_state = M3UA_RK_PENDING;
	m3ua_asp_tx(asp, buf,
		    m3ua_rkm_reg_req_encode(buf, sizeof(buf), &asp->cfg.rk, asp->cfg.traffic_mode),
		    0);
}

void m3ua_asp_send_dereg(struct m3ua_asp *asp)
{
	uint8_t buf[512];
	uint32_t rc;

	if (m3ua_asp_rc(asp, &rc))
		m3ua_asp_tx(asp, buf, m3ua_rkm_dereg_req_encode(buf, sizeof(buf), rc), 0);
}

void m3ua_asp_rx_rkm(struct m3ua_asp *asp, const struct m3ua_msg *m)
{
	uint32_t id, status, rc;

	if (m->type == M3UA_RKM_REG_RSP) {
		if (asp->rk_state != M3UA_RK_PENDING ||
		    m3ua_rkm_reg_rsp_decode(m, &id, &status, &rc) < 0 || id != asp->cfg.rk.lrk_id) {
			m3ua_asp_send_err(asp, M3UA_ERR_UNEXPECTED_MSG);
			return;
		}
		asp->rk_status = status;
		if (status == M3UA_REG_SUCCESS) {
			asp->rk_state = M3UA_RK_REGISTERED;
			asp->rk_rc = rc;
			LOGPFSML(asp->fi, LOGL_NOTICE, "routing key %u registered: RC %u\n", id,
				 rc);
		} else {
			/* 4.4.1: refused: go on without a routing context of our own */
			asp->rk_state = M3UA_RK_REFUSED;
			LOGPFSML(asp->fi, LOGL_ERROR, "routing key %u refused: %s (%u)\n", id,
				 m3ua_reg_status_name(status), status);
		}
		osmo_fsm_inst_dispatch(asp->fi, E_ADMIN, NULL);
	} else if (m->type == M3UA_RKM_DEREG_RSP) {
		if (m3ua_rkm_dereg_rsp_decode(m, &rc, &status) < 0) {
			m3ua_asp_send_err(asp, M3UA_ERR_MISSING_PARAM);
			return;
		}
		LOGPFSML(asp->fi, status ? LOGL_ERROR : LOGL_NOTICE,
			 "routing context %u deregistered: status %u\n", rc, status);
		asp->rk_state = M3UA_RK_DEREGISTERED;
		osmo_fsm_inst_dispatch(asp->fi, E_ADMIN, NULL);
	} else {
		/* REG/DEREG REQ go from ASP to SG, never back (4.4) */
		m3ua_asp_send_err(asp, M3UA_ERR_UNSUPP_MSG_TYPE);
	}
}

enum m3ua_rk_state m3ua_asp_rk_state(const struct m3ua_asp *asp, uint32_t *rc, uint32_t *status)
{
	if (rc)
		*rc = asp->rk_rc;
	if (status)
		*status = asp->rk_status;
	return asp->rk_state;
}

const char *m3ua_rk_state_name(enum m3ua_rk_state st)
{
	static const char *const names[] = {"none", "pending", "registered", "refused",
					    "deregistered"};

	return st <= M3UA_RK_DEREGISTERED ? names[st] : "?";
}
