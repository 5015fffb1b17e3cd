/* libFuzzer target: URI decoding, parameter lists, %-unescaping, and the
 * name-addr / Via element decoders that wrap URIs. */
#include <stdint.h>
#include <stdlib.h>

#include "sip/sip_hdr.h"
#include "sip/sip_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tstr s = tstr_make((const char *)data, size), v;
	struct sip_nameaddr na;
	struct sip_via via;
	struct sip_uri u;
	char out[256];

	if (sip_uri_decode(s, &u) == 0) {
		if (u.host.len && (u.host.p < s.p || u.host.p + u.host.len > s.p + s.len))
			abort();
		sip_param_find(u.params, "transport", &v);
		sip_param_find(u.params, "lr", &v);
		sip_unescape(u.user, out, sizeof(out));
		sip_unescape(u.headers, out, sizeof(out));
		sip_uri_user_eq(u.user, u.password);
	}
	sip_params_check(s);
	sip_unescape(s, out, sizeof(out));
	sip_nameaddr_decode(s, &na);
	sip_via_decode(s, &via);
	return 0;
}
