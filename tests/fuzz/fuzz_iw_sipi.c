/* libFuzzer: SIP-I / SIP-T bodies. The input is parsed as a whole SIP
 * message and, separately, as a multipart body; whatever SDP and ISUP come
 * out are rebuilt into a body of our own, which must parse back to the
 * same contents, and the ISUP goes through sigtran's decoder with a CIC. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interwork/iw_sipi.h"
#include "sigtran/isup_msg.h"
#include "sip/sip_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_body(const struct iw_sipi_body *b)
{
	static uint8_t full[70000];
	static char out[140000];
	static struct isup_msg im;
	enum isup_decode_err err;
	enum isup_variant var;
	struct iw_sipi_body back;
	char ctype[128];
	int n;

	if (b->has_isup) {
		n = iw_sipi_isup_with_cic(full, sizeof(full), 0x123, (const uint8_t *)b->isup.p,
					  b->isup.len);
		if (n > 0) {
			if (iw_sipi_variant(b->version, &var))
				var = ISUP_VAR_ITU;
			isup_msg_decode(var, full, (size_t)n, &im, &err);
		}
	}
	if (!b->sdp.len && !b->isup.len)
		return;
	n = iw_sipi_build(out, sizeof(out), b->sdp.p, b->sdp.len, (const uint8_t *)b->isup.p,
			  b->isup.len, IW_SIPI_ANSI00, "fz-7e1c", ctype, sizeof(ctype));
	if (n < 0)
		return; /* the boundary occurs in a content (-EEXIST) */
	if (iw_sipi_decode(tstr_make(ctype, strlen(ctype)), TSTR_NULL, tstr_make(out, (size_t)n),
			   &back) ||
	    !tstr_eq(back.sdp, b->sdp) || !tstr_eq(back.isup, b->isup) ||
	    back.has_sdp != (b->sdp.len > 0) || back.has_isup != (b->isup.len > 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sip_msg m;
	struct iw_sipi_body b;
	/* Exact-size copy so ASan sees any over-read. */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (sip_msg_parse(&m, buf, size, NULL) == 0 && iw_sipi_parse(&m, &b) == 0)
		check_body(&b);
	if (iw_sipi_decode(TSTR_LIT("multipart/mixed;boundary=unique-boundary-1"), TSTR_NULL,
			   tstr_make(buf, size), &b) == 0)
		check_body(&b);
	free(buf);
	return 0;
}
