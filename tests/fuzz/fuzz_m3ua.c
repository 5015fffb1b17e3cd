/* Fuzz the M3UA stream framer and decoder, and the RKM results nested in
 * it (RFC 4666 3.6): never crash, never over-read. */
#include <stddef.h>
#include <stdint.h>

#include "sigtran/m3ua_msg.h"
#include "sigtran/m3ua_rkm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct m3ua_msg m;
	struct m3ua_pdata pd;
	uint32_t ec;
	int n;

	while ((n = m3ua_frame(data, size)) > 0) {
		if (m3ua_decode(&m, data, (size_t)n, &ec) == 0) {
			const struct m3ua_param *p = m3ua_msg_find(&m, M3UA_IEI_PROT_DATA);

			uint32_t a, b, c;
			struct m3ua_msg k;

			if (p)
				(void)m3ua_pdata_decode(&pd, p);
			(void)m3ua_rkm_reg_rsp_decode(&m, &a, &b, &c);
			(void)m3ua_rkm_dereg_rsp_decode(&m, &a, &b);
			if ((p = m3ua_msg_find(&m, M3UA_IEI_ROUTING_KEY)))
				(void)m3ua_decode_nested(&k, p);
		}
		data += n;
		size -= (size_t)n;
	}
	(void)m3ua_decode(&m, data, size, &ec);
	return 0;
}
