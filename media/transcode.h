/* Per-channel transcoder between the 8 kHz G.711 TDM side and the RTP
 * payload the SDP answer chose: PCMA, PCMU (RFC 3551 4.5.14), G.722
 * (4.5.2; 16 kHz audio, 8000 Hz RTP clock) or L16 mono at 8 kHz (4.5.11).
 * All buffers are inside the object; per-packet calls do not allocate. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "media/g711.h"

enum xc_codec {
	XC_PCMA,
	XC_PCMU,
	XC_G722,
	XC_L16,
};

#define XC_MAX_PTIME_MS 30
#define XC_MAX_SAMPLES	(XC_MAX_PTIME_MS * 8) /* TDM samples per packet */

struct xc;

/* tdm: the span's law. ptime: 10, 20 or 30 ms. NULL on bad arguments. */
struct xc *xc_alloc(void *ctx, enum g711_law tdm, enum xc_codec codec, unsigned ptime_ms);
void xc_free(struct xc *xc);
/* Re-negotiation: new codec/ptime; codec state restarts. 0 or -EINVAL. */
int xc_set(struct xc *xc, enum xc_codec codec, unsigned ptime_ms);

/* TDM samples (bytes on the span) per packet, and payload bytes. */
unsigned xc_samples(const struct xc *xc);
size_t xc_payload_len(const struct xc *xc);
uint8_t xc_payload_type(const struct xc *xc); /* static PT; L16 needs a dynamic one */

/* One packet's worth (xc_samples()) of TDM bytes -> RTP payload. Returns
 * the payload length or -ENOSPC. */
int xc_encode(struct xc *xc, const uint8_t *tdm, uint8_t *payload, size_t size);
/* RTP payload of any whole duration up to XC_MAX_SAMPLES (the far end may
 * use another ptime) -> TDM bytes. Returns samples written, -EBADMSG for a
 * payload that is not whole samples, -ENOSPC. */
int xc_decode(struct xc *xc, const uint8_t *payload, size_t len, uint8_t *tdm, size_t size);
