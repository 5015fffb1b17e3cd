/* M3UA message coding (RFC 4666 section 3): zero-copy decoder and encoder into a caller buffer. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sigtran/m3ua_proto.h"

#define M3UA_MAX_PARAMS 32

/* One parameter: a view into the decoded buffer (value without padding). */
struct m3ua_param {
	uint16_t tag;
	uint16_t len; /* value length */
	const uint8_t *val;
};

/* RFC 4666 3.3.1.1 Protocol Data: routing label, SI, NI, MP, SLS and the user part bytes. */
struct m3ua_pdata {
	uint32_t opc, dpc;
	uint8_t si, ni, mp, sls;
	const uint8_t *data;
	size_t data_len;
};

struct m3ua_msg {
	uint8_t version, cls, type;
	uint32_t len;
	unsigned int nparams;
	struct m3ua_param params[M3UA_MAX_PARAMS];
};

/* Stream framing for TCP: length of the first complete message in buf.
 * Returns >0 (message length), -EAGAIN (need more bytes) or -EBADMSG (a
 * length field no message can have). The version is left to m3ua_decode(). */
int m3ua_frame(const uint8_t *buf, size_t len);

/* Decode one complete message. Returns 0, or -EBADMSG with *err_code set to the RFC 4666
 * 3.8.1 error code an ERR message would carry. out is set only on success. */
int m3ua_decode(struct m3ua_msg *out, const uint8_t *buf, size_t len, uint32_t *err_code);

/* The parameter list inside a parameter (Routing Key, Registration/Deregistration
 * Result): out gets views into p. 0 or -EBADMSG. */
int m3ua_decode_nested(struct m3ua_msg *out, const struct m3ua_param *p);
const struct m3ua_param *m3ua_msg_find(const struct m3ua_msg *m, uint16_t tag);
/* 32-bit parameter value; -ENOENT absent, -EBADMSG wrong length. */
int m3ua_msg_u32(const struct m3ua_msg *m, uint16_t tag, uint32_t *v);
int m3ua_pdata_decode(struct m3ua_pdata *out, const struct m3ua_param *p);

/* Encoder: start a message in buf, add parameters (padded to 4), finish writes the length.
 * Each returns the new offset or -ENOSPC. */
struct m3ua_enc {
	uint8_t *buf;
	size_t size, len;
	int err;
};
void m3ua_enc_start(struct m3ua_enc *e, uint8_t *buf, size_t size, uint8_t cls, uint8_t type);
void m3ua_enc_param(struct m3ua_enc *e, uint16_t tag, const void *val, size_t len);
void m3ua_enc_u32(struct m3ua_enc *e, uint16_t tag, uint32_t v);
void m3ua_enc_pdata(struct m3ua_enc *e, const struct m3ua_pdata *pd);
/* Returns total length or -ENOSPC. */
int m3ua_enc_finish(struct m3ua_enc *e);

const char *m3ua_class_name(uint8_t cls);
const char *m3ua_type_name(uint8_t cls, uint8_t type);
const char *m3ua_param_name(uint16_t tag);
