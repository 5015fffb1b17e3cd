#include "sigtran/m3ua_msg.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

int m3ua_frame(const uint8_t *buf, size_t len)
{
	uint32_t mlen;

	if (len < M3UA_HDR_LEN)
		return -EAGAIN;
	mlen = rd32(buf + 4);
	/* RFC 4666 3.1: length counts the header and is a multiple of 4
	 * (parameters padded). The version is not looked at here: a message of
	 * another version is still framed by its length, so that m3ua_decode()
	 * can refuse it with ERR "Invalid Version" (3.8.1) instead of the
	 * association being dropped. */
	if (mlen < M3UA_HDR_LEN || (mlen & 3) || mlen > 65536)
		return -EBADMSG;
	if (len < mlen)
		return -EAGAIN;
	return (int)mlen;
}

/* RFC 4666 3.1.3: which message types exist in each class. */
static int type_valid(uint8_t cls, uint8_t type)
{
	switch (cls) {
	case M3UA_CLS_MGMT:
		return type <= M3UA_MGMT_NTFY;
	case M3UA_CLS_XFER:
		return type == M3UA_XFER_DATA;
	case M3UA_CLS_SSNM:
		return type >= M3UA_SSNM_DUNA && type <= M3UA_SSNM_DRST;
	case M3UA_CLS_ASPSM:
		return type >= M3UA_ASPSM_UP && type <= M3UA_ASPSM_BEAT_ACK;
	case M3UA_CLS_ASPTM:
		return type >= M3UA_ASPTM_ACTIVE && type <= M3UA_ASPTM_INACTIVE_ACK;
	case M3UA_CLS_RKM:
		return type >= M3UA_RKM_REG_REQ && type <= M3UA_RKM_DEREG_RSP;
	}
	return -1;
}

/* Mandatory parameters per RFC 4666 3.3.1 (DATA), 3.4 (SSNM), 3.6 (RKM), 3.8 (MGMT). */
static unsigned int mandatory_params(uint8_t cls, uint8_t type, uint16_t need[2])
{
	switch (cls) {
	case M3UA_CLS_XFER:
		need[0] = M3UA_IEI_PROT_DATA;
		return 1;
	case M3UA_CLS_SSNM:
		need[0] = M3UA_IEI_AFFECTED_PC;
		if (type == M3UA_SSNM_DUPU) {
			need[1] = M3UA_IEI_USER_CAUSE;
			return 2;
		}
		return 1;
	case M3UA_CLS_MGMT:
		need[0] = type == M3UA_MGMT_ERR ? M3UA_IEI_ERR_CODE : M3UA_IEI_STATUS;
		return 1;
	case M3UA_CLS_RKM:
		switch (type) {
		case M3UA_RKM_REG_REQ:
			need[0] = M3UA_IEI_ROUTING_KEY;
			break;
		case M3UA_RKM_REG_RSP:
			need[0] = M3UA_IEI_REG_RESULT;
			break;
		case M3UA_RKM_DEREG_REQ:
			need[0] = M3UA_IEI_ROUTE_CTX;
			break;
		default:
			need[0] = M3UA_IEI_DEREG_RESULT;
			break;
		}
		return 1;
	}
	return 0;
}

int m3ua_decode(struct m3ua_msg *out, const uint8_t *buf, size_t len, uint32_t *err_code)
{
	uint32_t mlen, off;
	int tv;

	*err_code = M3UA_ERR_PROTOCOL_ERR;
	if (len < M3UA_HDR_LEN)
		return -EBADMSG;
	if (buf[0] != M3UA_VERSION) {
		*err_code = M3UA_ERR_INVAL_VERSION;
		return -EBADMSG;
	}
	mlen = rd32(buf + 4);
	if (mlen != len || (mlen & 3)) {
		*err_code = M3UA_ERR_PARAM_FIELD_ERR;
		return -EBADMSG;
	}
	tv = type_valid(buf[2], buf[3]);
	if (tv < 0) {
		*err_code = M3UA_ERR_UNSUPP_MSG_CLASS;
		return -EBADMSG;
	}
	if (!tv) {
		*err_code = M3UA_ERR_UNSUPP_MSG_TYPE;
		return -EBADMSG;
	}
	unsigned int n = 0;
	struct m3ua_param tmp[M3UA_MAX_PARAMS];
	for (off = M3UA_HDR_LEN; off < mlen;) {
		uint16_t plen;

		if (mlen - off < M3UA_PARAM_HDR_LEN) {
			*err_code = M3UA_ERR_PARAM_FIELD_ERR;
			return -EBADMSG;
		}
		plen = rd16(buf + off + 2);
		/* RFC 4666 3.2: the parameter length includes its 4-byte header, not the padding.
		 */
		if (plen < M3UA_PARAM_HDR_LEN || plen > mlen - off || n >= M3UA_MAX_PARAMS) {
			*err_code = M3UA_ERR_PARAM_FIELD_ERR;
			return -EBADMSG;
		}
		tmp[n].tag = rd16(buf + off);
		tmp[n].len = plen - M3UA_PARAM_HDR_LEN;
		tmp[n].val = buf + off + M3UA_PARAM_HDR_LEN;
		n++;
		off += (plen + 3u) & ~3u;
		if (off > mlen) {
			*err_code = M3UA_ERR_PARAM_FIELD_ERR;
			return -EBADMSG;
		}
	}
	/* RFC 4666 3.3-3.6: mandatory parameters per message; absent -> Missing Parameter. */
	{
		uint16_t need[2];
		unsigned int k, i, nn = mandatory_params(buf[2], buf[3], need);

		for (k = 0; k < nn; k++) {
			for (i = 0; i < n && tmp[i].tag != need[k]; i++)
				;
			if (i == n) {
				*err_code = M3UA_ERR_MISSING_PARAM;
				return -EBADMSG;
			}
		}
	}
	out->version = buf[0];
	out->cls = buf[2];
	out->type = buf[3];
	out->len = mlen;
	out->nparams = n;
	memcpy(out->params, tmp, n * sizeof(tmp[0]));
	*err_code = 0;
	return 0;
}

int m3ua_decode_nested(struct m3ua_msg *out, const struct m3ua_param *p)
{
	struct m3ua_param tmp[M3UA_MAX_PARAMS];
	unsigned int n = 0;
	size_t off = 0;

	/* RFC 4666 3.6: Routing Key, Registration and Deregistration Result hold
	 * a parameter list of their own, padded like the message's. */
	while (off < p->len) {
		uint16_t plen;

		if (p->len - off < M3UA_PARAM_HDR_LEN)
			return -EBADMSG;
		plen = rd16(p->val + off + 2);
		if (plen < M3UA_PARAM_HDR_LEN || plen > p->len - off || n >= M3UA_MAX_PARAMS)
			return -EBADMSG;
		tmp[n].tag = rd16(p->val + off);
		tmp[n].len = plen - M3UA_PARAM_HDR_LEN;
		tmp[n].val = p->val + off + M3UA_PARAM_HDR_LEN;
		n++;
		off += (plen + 3u) & ~3u;
	}
	memset(out, 0, offsetof(struct m3ua_msg, params));
	out->nparams = n;
	memcpy(out->params, tmp, n * sizeof(tmp[0]));
	return 0;
}

const struct m3ua_param *m3ua_msg_find(const struct m3ua_msg *m, uint16_t tag)
{
	unsigned int i;

	for (i = 0; i < m->nparams; i++)
		if (m->params[i].tag == tag)
			return &m->params[i];
	return NULL;
}

int m3ua_msg_u32(const struct m3ua_msg *m, uint16_t tag, uint32_t *v)
{
	const struct m3ua_param *p = m3ua_msg_find(m, tag);

	if (!p)
		return -ENOENT;
	if (p->len != 4)
		return -EBADMSG;
	*v = rd32(p->val);
	return 0;
}

int m3ua_pdata_decode(struct m3ua_pdata *out, const struct m3ua_param *p)
{
	/* RFC 4666 3.3.1.1: OPC(4) DPC(4) SI NI MP SLS, then user protocol data. */
	if (p->len < 12)
		return -EBADMSG;
	out->opc = rd32(p->val);
	out->dpc = rd32(p->val + 4);
	out->si = p->val[8];
	out->ni = p->val[9];
	out->mp = p->val[10];
	out->sls = p->val[11];
	out->data = p->val + 12;
	out->data_len = p->len - 12u;
	return 0;
}

void m3ua_enc_start(struct m3ua_enc *e, uint8_t *buf, size_t size, uint8_t cls, uint8_t type)
{
	e->buf = buf;
	e->size = size;
	e->len = 0;
	e->err = 0;
	if (size < M3UA_HDR_LEN) {
		e->err = -ENOSPC;
		return;
	}
	buf[0] = M3UA_VERSION;
	buf[1] = 0;
	buf[2] = cls;
	buf[3] = type;
	wr32(buf + 4, 0);
	e->len = M3UA_HDR_LEN;
}

static uint8_t *enc_reserve(struct m3ua_enc *e, uint16_t tag, size_t len)
{
	size_t padded = (len + 3) & ~(size_t)3;
	uint8_t *p;

	if (e->err || len > 0xffff - M3UA_PARAM_HDR_LEN ||
	    e->size - e->len < M3UA_PARAM_HDR_LEN + padded) {
		e->err = -ENOSPC;
		return NULL;
	}
	p = e->buf + e->len;
	p[0] = tag >> 8;
	p[1] = tag;
	p[2] = (len + M3UA_PARAM_HDR_LEN) >> 8;
	p[3] = len + M3UA_PARAM_HDR_LEN;
	memset(p + M3UA_PARAM_HDR_LEN + len, 0, padded - len);
	e->len += M3UA_PARAM_HDR_LEN + padded;
	return p + M3UA_PARAM_HDR_LEN;
}

void m3ua_enc_param(struct m3ua_enc *e, uint16_t tag, const void *val, size_t len)
{
	uint8_t *p = enc_reserve(e, tag, len);

	if (p && len)
		memcpy(p, val, len);
}

void m3ua_enc_u32(struct m3ua_enc *e, uint16_t tag, uint32_t v)
{
	uint8_t *p = enc_reserve(e, tag, 4);

	if (p)
		wr32(p, v);
}

void m3ua_enc_pdata(struct m3ua_enc *e, const struct m3ua_pdata *pd)
{
	uint8_t *p = enc_reserve(e, M3UA_IEI_PROT_DATA, 12 + pd->data_len);

	if (!p)
		return;
	wr32(p, pd->opc);
	wr32(p + 4, pd->dpc);
	p[8] = pd->si;
	p[9] = pd->ni;
	p[10] = pd->mp;
	p[11] = pd->sls;
	if (pd->data_len)
		memcpy(p + 12, pd->data, pd->data_len);
}

int m3ua_enc_finish(struct m3ua_enc *e)
{
	if (e->err)
		return e->err;
	wr32(e->buf + 4, (uint32_t)e->len);
	return (int)e->len;
}

const char *m3ua_class_name(uint8_t cls)
{
	switch (cls) {
	case M3UA_CLS_MGMT:
		return "MGMT";
	case M3UA_CLS_XFER:
		return "TRANSFER";
	case M3UA_CLS_SSNM:
		return "SSNM";
	case M3UA_CLS_ASPSM:
		return "ASPSM";
	case M3UA_CLS_ASPTM:
		return "ASPTM";
	case M3UA_CLS_RKM:
		return "RKM";
	}
	return "unknown";
}

const char *m3ua_type_name(uint8_t cls, uint8_t type)
{
	static const char *const mgmt[] = {"ERR", "NTFY"};
	static const char *const ssnm[] = {"", "DUNA", "DAVA", "DAUD", "SCON", "DUPU", "DRST"};
	static const char *const aspsm[] = {"",		 "ASPUP",     "ASPDN",	 "BEAT",
					    "ASPUP_ACK", "ASPDN_ACK", "BEAT_ACK"};
	static const char *const asptm[] = {"", "ASPAC", "ASPIA", "ASPAC_ACK", "ASPIA_ACK"};
	static const char *const rkm[] = {"", "REG_REQ", "REG_RSP", "DEREG_REQ", "DEREG_RSP"};

	if (type_valid(cls, type) != 1)
		return "unknown";
	switch (cls) {
	case M3UA_CLS_MGMT:
		return mgmt[type];
	case M3UA_CLS_XFER:
		return "DATA";
	case M3UA_CLS_SSNM:
		return ssnm[type];
	case M3UA_CLS_ASPSM:
		return aspsm[type];
	case M3UA_CLS_ASPTM:
		return asptm[type];
	default:
		return rkm[type];
	}
}

const char *m3ua_param_name(uint16_t tag)
{
	switch (tag) {
	case M3UA_IEI_INFO_STRING:
		return "info_string";
	case M3UA_IEI_ROUTE_CTX:
		return "routing_context";
	case M3UA_IEI_DIAG_INFO:
		return "diagnostic_info";
	case M3UA_IEI_HEARDBT_DATA:
		return "heartbeat_data";
	case M3UA_IEI_TRAF_MODE_TYPE:
		return "traffic_mode_type";
	case M3UA_IEI_ERR_CODE:
		return "error_code";
	case M3UA_IEI_STATUS:
		return "status";
	case M3UA_IEI_ASP_ID:
		return "asp_identifier";
	case M3UA_IEI_AFFECTED_PC:
		return "affected_point_code";
	case M3UA_IEI_CORR_ID:
		return "correlation_id";
	case M3UA_IEI_NET_APPEARANCE:
		return "network_appearance";
	case M3UA_IEI_USER_CAUSE:
		return "user_cause";
	case M3UA_IEI_CONG_IND:
		return "congestion_indications";
	case M3UA_IEI_CONCERNED_DEST:
		return "concerned_destination";
	case M3UA_IEI_ROUTING_KEY:
		return "routing_key";
	case M3UA_IEI_REG_RESULT:
		return "registration_result";
	case M3UA_IEI_DEREG_RESULT:
		return "deregistration_result";
	case M3UA_IEI_LOC_RKEY_ID:
		return "local_routing_key_id";
	case M3UA_IEI_DEST_PC:
		return "destination_point_code";
	case M3UA_IEI_SVC_IND:
		return "service_indicators";
	case M3UA_IEI_ORIG_PC:
		return "originating_point_code_list";
	case M3UA_IEI_CIRCUIT_RANGE:
		return "circuit_range";
	case M3UA_IEI_PROT_DATA:
		return "protocol_data";
	case M3UA_IEI_REG_STATUS:
		return "registration_status";
	case M3UA_IEI_DEREG_STATUS:
		return "deregistration_status";
	}
	return "unknown";
}
