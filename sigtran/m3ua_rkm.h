/* RKM message coding (RFC 4666 3.6.1-3.6.4), no I/O. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sigtran/m3ua_asp.h"
#include "sigtran/m3ua_msg.h"

/* REG REQ with one Routing Key: Local-RK-Identifier, Traffic Mode Type (when
 * not 0), DPC, Network Appearance (when set), Service Indicators, OPC list, Circuit Range. Length
 * or -ENOSPC. */
int m3ua_rkm_reg_req_encode(uint8_t *buf, size_t size, const struct m3ua_rk *rk,
			    uint32_t traffic_mode);
/* The first Registration Result of a REG RSP. 0 or -EBADMSG; *rc is 0 unless
 * the status is success. */
int m3ua_rkm_reg_rsp_decode(const struct m3ua_msg *m, uint32_t *lrk_id, uint32_t *status,
			    uint32_t *rc);
int m3ua_rkm_dereg_req_encode(uint8_t *buf, size_t size, uint32_t rc);
int m3ua_rkm_dereg_rsp_decode(const struct m3ua_msg *m, uint32_t *rc, uint32_t *status);
const char *m3ua_reg_status_name(uint32_t st);
