/* libFuzzer: SDP parse, answer negotiation and answer building, plus
 * processing the input as the answer to our own offer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sdp_session s;
	struct sdp_prefs prefs;
	struct sdp_local local = {.addr = "192.0.2.1", .port = 4000, .sess_id = 1};
	struct sdp_answer_res res;
	struct sdp_agreed agreed;
	char out[4096];
	/* Exact-size copy so ASan sees any over-read. */
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (sdp_decode(&s, buf, size, NULL) == 0) {
		sdp_prefs_parse(&prefs, "PCMA,PCMU,G722,telephone-event");
		prefs.offerer_order = size & 1;
		if (sdp_answer(&res, &s, &prefs, &local) == 0 && !res.reject)
			sdp_answer_encode(out, sizeof(out), &s, &res, &prefs, &local);
		sdp_answer_rx(&agreed, &s, &prefs, &local, NULL);
	}
	free(buf);
	return 0;
}
