/* Transcoder: G.711 (TDM law) <-> PCMA/PCMU/G.722/L16. */
#include <errno.h>
#include <string.h>
#include <spandsp.h>
#include <talloc.h>

#include "media/resample.h"
#include "media/rtp.h"
#include "media/transcode.h"

struct xc {
	enum g711_law tdm;
	enum xc_codec codec;
	unsigned samples;
	g722_encode_state_t *g722e;
	g722_decode_state_t *g722d;
	struct rs_coef coef;
	struct rs_up up;
	struct rs_down down;
	int16_t lin8[XC_MAX_SAMPLES];
	int16_t lin16[2 * XC_MAX_SAMPLES];
};

static int xc_destroy(struct xc *xc)
{
	if (xc->g722e)
		g722_encode_free(xc->g722e);
	if (xc->g722d)
		g722_decode_free(xc->g722d);
	return 0;
}

static bool ptime_ok(unsigned ptime)
{
	return ptime == 10 || ptime == 20 || ptime == 30;
}

int xc_set(struct xc *xc, enum xc_codec codec, unsigned ptime_ms)
{
	if (!ptime_ok(ptime_ms) || codec > XC_L16)
		return -EINVAL;
	xc->codec = codec;
	xc->samples = ptime_ms * 8;
	if (codec == XC_G722) {
		/* Restart the ADPCM state: a new stream, not a continuation. */
		g722_encode_init(xc->g722e, 64000, 0);
		g722_decode_init(xc->g722d, 64000, 0);
		rs_up_init(&xc->up);
		rs_down_init(&xc->down);
	}
	return 0;
}

struct xc *xc_alloc(void *ctx, enum g711_law tdm, enum xc_codec codec, unsigned ptime_ms)
{
	struct xc *xc;

	if (!ptime_ok(ptime_ms) || codec > XC_L16)
		return NULL;
	xc = talloc_zero(ctx, struct xc);
	if (!xc)
		return NULL;
	talloc_set_destructor(xc, xc_destroy);
	xc->tdm = tdm;
	/* spandsp allocates these itself; done once here so a later switch
	 * to G.722 needs no allocation. */
	xc->g722e = g722_encode_init(NULL, 64000, 0);
	xc->g722d = g722_decode_init(NULL, 64000, 0);
	if (!xc->g722e || !xc->g722d) {
		talloc_free(xc);
		return NULL;
	}
	rs_coef_init(&xc->coef);
	xc_set(xc, codec, ptime_ms);
	return xc;
}

void xc_free(struct xc *xc)
{
	talloc_free(xc);
}

unsigned xc_samples(const struct xc *xc)
{
	return xc->samples;
}

size_t xc_payload_len(const struct xc *xc)
{
	/* G.722 at 64 kbit/s: one byte per 8 kHz sample period. */
	return xc->codec == XC_L16 ? 2u * xc->samples : xc->samples;
}

uint8_t xc_payload_type(const struct xc *xc)
{
	switch (xc->codec) {
	case XC_PCMA:
		return RTP_PT_PCMA;
	case XC_PCMU:
		return RTP_PT_PCMU;
	case XC_G722:
		return RTP_PT_G722;
	case XC_L16:
		break;
	}
	return 0xff;
}

int xc_encode(struct xc *xc, const uint8_t *tdm, uint8_t *payload, size_t size)
{
	unsigned n = xc->samples;

	if (size < xc_payload_len(xc))
		return -ENOSPC;
	switch (xc->codec) {
	case XC_PCMA:
		g711_convert_buf(xc->tdm, G711_LAW_A, tdm, payload, n);
		break;
	case XC_PCMU:
		g711_convert_buf(xc->tdm, G711_LAW_U, tdm, payload, n);
		break;
	case XC_G722:
		g711_decode_buf(xc->tdm, tdm, xc->lin8, n);
		rs_up(&xc->up, &xc->coef, xc->lin8, n, xc->lin16);
		g722_encode(xc->g722e, payload, xc->lin16, (int)(2 * n));
		break;
	case XC_L16:
		/* RFC 3551 4.5.11: network byte order. */
		for (unsigned i = 0; i < n; i++) {
			uint16_t v = (uint16_t)g711_law2lin(xc->tdm, tdm[i]);

			payload[2 * i] = v >> 8;
			payload[2 * i + 1] = v & 0xff;
		}
		break;
	}
	return (int)xc_payload_len(xc);
}

int xc_decode(struct xc *xc, const uint8_t *payload, size_t len, uint8_t *tdm, size_t size)
{
	size_t n;

	switch (xc->codec) {
	case XC_PCMA:
	case XC_PCMU:
	case XC_G722:
		n = len;
		break;
	case XC_L16:
		if (len & 1)
			return -EBADMSG;
		n = len / 2;
		break;
	default:
		return -EINVAL;
	}
	if (n > XC_MAX_SAMPLES || n > size)
		return -ENOSPC;
	switch (xc->codec) {
	case XC_PCMA:
		g711_convert_buf(G711_LAW_A, xc->tdm, payload, tdm, n);
		break;
	case XC_PCMU:
		g711_convert_buf(G711_LAW_U, xc->tdm, payload, tdm, n);
		break;
	case XC_G722: {
		int got = g722_decode(xc->g722d, xc->lin16, payload, (int)len);

		if (got != (int)(2 * n))
			return -EBADMSG;
		rs_down(&xc->down, &xc->coef, xc->lin16, n, xc->lin8);
		g711_encode_buf(xc->tdm, xc->lin8, tdm, n);
		break;
	}
	case XC_L16:
		for (size_t i = 0; i < n; i++)
			tdm[i] = g711_lin2law(xc->tdm,
					      (int16_t)(payload[2 * i] << 8 | payload[2 * i + 1]));
		break;
	}
	return (int)n;
}
