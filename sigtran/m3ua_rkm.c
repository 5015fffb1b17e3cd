/* RKM message coding (RFC 4666 3.6): REG REQ with a routing key for ISUP,
 * REG RSP, DEREG REQ, DEREG RSP. Pure: bytes in, bytes out. */
#include <errno.h>
#include <string.h>

#include "sigtran/m3ua_rkm.h"

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

int m3ua_rkm_reg_req_encode(uint8_t *buf, size_t size, const struct m3ua_rk *rk,
			    uint32_t traffic_mode)
{
	uint8_t key[256], v[4 * M3UA_RK_MAX_OPC];
	struct m3ua_enc in, e;
	int n;

	/* RFC 4666 3.6.1: the Routing Key's own parameters, in the RFC's order */
	m3ua_enc_start(&in, key, sizeof(key), M3UA_CLS_RKM, M3UA_RKM_REG_REQ);
	m3ua_enc_u32(&in, M3UA_IEI_LOC_RKEY_ID, rk->lrk_id);
	if (rk->have_rc)
		m3ua_enc_u32(&in, M3UA_IEI_ROUTE_CTX, rk->rc);
	if (traffic_mode)
		m3ua_enc_u32(&in, M3UA_IEI_TRAF_MODE_TYPE, traffic_mode);
	/* Destination Point Code: mask (8 bits, 0: exactly this one) | PC (24) */
	m3ua_enc_u32(&in, M3UA_IEI_DEST_PC, rk->dpc & 0xffffff);
	if (rk->have_na)
		m3ua_enc_u32(&in, M3UA_IEI_NET_APPEARANCE, rk->na);
	/* a key by DPC alone has no Service Indicators (some SGs, osmo-stp
	 * among them, take no other kind) */
	if (rk->si)
		m3ua_enc_param(&in, M3UA_IEI_SVC_IND, &rk->si, 1);
	if (rk->n_opc) {
		for (unsigned i = 0; i < rk->n_opc && i < M3UA_RK_MAX_OPC; i++)
			put32(v + 4 * i, rk->opc[i] & 0xffffff);
		m3ua_enc_param(&in, M3UA_IEI_ORIG_PC, v,
			       4 * (rk->n_opc < M3UA_RK_MAX_OPC ? rk->n_opc : M3UA_RK_MAX_OPC));
	}
	if (rk->have_cics) {
		uint8_t cr[8];

		/* Circuit Range: mask | point code (of the circuits' far end), lower and
		 * upper CIC, 16 bits each */
		put32(cr, rk->cic_opc & 0xffffff);
		cr[4] = rk->cic_first >> 8;
		cr[5] = rk->cic_first;
		cr[6] = rk->cic_last >> 8;
		cr[7] = rk->cic_last;
		m3ua_enc_param(&in, M3UA_IEI_CIRCUIT_RANGE, cr, sizeof(cr));
	}
	n = m3ua_enc_finish(&in);
	if (n < 0)
		return n;
	m3ua_enc_start(&e, buf, size, M3UA_CLS_RKM, M3UA_RKM_REG_REQ);
	m3ua_enc_param(&e, M3UA_IEI_ROUTING_KEY, key + M3UA_HDR_LEN, (size_t)n - M3UA_HDR_LEN);
	return m3ua_enc_finish(&e);
}

int m3ua_rkm_reg_rsp_decode(const struct m3ua_msg *m, uint32_t *lrk_id, uint32_t *status,
			    uint32_t *rc)
{
	const struct m3ua_param *p = m3ua_msg_find(m, M3UA_IEI_REG_RESULT);
	struct m3ua_msg res;
	uint32_t id, st, r = 0;

	if (!p || m3ua_decode_nested(&res, p) < 0)
		return -EBADMSG;
	/* RFC 4666 3.6.2: Local-RK-Identifier, Registration Status, Routing Context */
	if (m3ua_msg_u32(&res, M3UA_IEI_LOC_RKEY_ID, &id) < 0 ||
	    m3ua_msg_u32(&res, M3UA_IEI_REG_STATUS, &st) < 0)
		return -EBADMSG;
	if (st == M3UA_REG_SUCCESS && m3ua_msg_u32(&res, M3UA_IEI_ROUTE_CTX, &r) < 0)
		return -EBADMSG;
	*lrk_id = id;
	*status = st;
	*rc = r;
	return 0;
}

int m3ua_rkm_dereg_req_encode(uint8_t *buf, size_t size, uint32_t rc)
{
	struct m3ua_enc e;

	m3ua_enc_start(&e, buf, size, M3UA_CLS_RKM, M3UA_RKM_DEREG_REQ);
	m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, rc);
	return m3ua_enc_finish(&e);
}

int m3ua_rkm_dereg_rsp_decode(const struct m3ua_msg *m, uint32_t *rc, uint32_t *status)
{
	const struct m3ua_param *p = m3ua_msg_find(m, M3UA_IEI_DEREG_RESULT);
	struct m3ua_msg res;
	uint32_t r, st;

	if (!p || m3ua_decode_nested(&res, p) < 0)
		return -EBADMSG;
	/* RFC 4666 3.6.4: Routing Context, Deregistration Status */
	if (m3ua_msg_u32(&res, M3UA_IEI_ROUTE_CTX, &r) < 0 ||
	    m3ua_msg_u32(&res, M3UA_IEI_DEREG_STATUS, &st) < 0)
		return -EBADMSG;
	*rc = r;
	*status = st;
	return 0;
}

const char *m3ua_reg_status_name(uint32_t st)
{
	static const char *const names[] = {
		"success",
		"unknown error",
		"invalid DPC",
		"invalid network appearance",
		"invalid routing key",
		"permission denied",
		"cannot support unique routing",
		"routing key not currently provisioned",
		"insufficient resources",
		"unsupported RK parameter field",
		"unsupported/invalid traffic handling mode",
		"routing key change refused",
		"routing key already registered",
	};

	return st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown status";
}
