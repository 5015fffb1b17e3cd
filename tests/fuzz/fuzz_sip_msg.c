/* libFuzzer target: SIP message parser, stream framing, every lazy
 * decoder, UAS checks, multipart split and the response builder. Views
 * must stay inside the input; nothing may crash or leak. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "interwork/iw_cause.h"
#include "sip/sip_build.h"
#include "sip/sip_check.h"
#include "sip/sip_hdr.h"
#include "sip/sip_mime.h"

static void in_buf(struct tstr t, const uint8_t *data, size_t size)
{
	if (t.len && (t.p < (const char *)data || t.p + t.len > (const char *)data + size))
		abort();
}

static void decode_all(const struct sip_msg *m, const uint8_t *data, size_t size)
{
	static const enum sip_hdr_kind na_kinds[] = {SIP_HDR_ROUTE, SIP_HDR_RECORD_ROUTE,
						     SIP_HDR_P_ASSERTED_IDENTITY, SIP_HDR_DIVERSION,
						     SIP_HDR_HISTORY_INFO};
	struct sip_session_expires se;
	struct sip_mime_part parts[8];
	struct sip_nameaddr na;
	struct sip_authhdr a;
	struct sip_contact c;
	struct sip_ctype ct;
	struct sip_rack rk;
	struct sip_cseq cs;
	struct sip_via v;
	struct tstr t, p;
	unsigned i, k, n;
	uint32_t u;
	char out[4096];

	for (i = 0; i < 8; i++) {
		int rc = sip_msg_via(m, i, &v);

		if (rc == -ENOENT)
			break;
		if (rc == 0)
			in_buf(v.host, data, size);
	}
	for (i = 0; i < 8 && sip_msg_contact(m, i, &c) != -ENOENT; i++)
		;
	for (k = 0; k < sizeof(na_kinds) / sizeof(na_kinds[0]); k++)
		for (i = 0; i < 4; i++) {
			struct tstr e;

			if (sip_msg_elem(m, na_kinds[k], i, &e))
				break;
			if (sip_nameaddr_decode(e, &na) == 0) {
				struct sip_uri uri;

				in_buf(na.uri, data, size);
				sip_uri_decode(na.uri, &uri);
			}
		}
	if (sip_msg_from(m, &na) == 0)
		in_buf(na.tag, data, size);
	sip_msg_to(m, &na);
	sip_msg_call_id(m, &t);
	sip_msg_cseq(m, &cs);
	sip_msg_max_forwards(m, &u);
	sip_msg_expires(m, &u);
	sip_msg_min_se(m, &u);
	sip_msg_rseq(m, &u);
	sip_msg_rack(m, &rk);
	sip_msg_session_expires(m, &se);
	sip_msg_content_type(m, &ct);
	sip_msg_content_disposition(m, &t, &p);
	if (sip_msg_auth(m, SIP_HDR_AUTHORIZATION, 0, &a) == 0)
		sip_auth_param_find(a.params, "nonce", &t);
	sip_msg_has_token(m, SIP_HDR_PRIVACY, "id");
	/* the Reason headers as the interworking reads them (iw_cause.c) */
	iw_reason_msg_cause(m);
	sip_msg_has_token(m, SIP_HDR_REQUIRE, "100rel");
	if (sip_msg_multipart(m, parts, 8, &n) == 0)
		for (i = 0; i < n; i++)
			in_buf(parts[i].body, data, size);
	if (m->is_request) {
		sip_msg_check_uas(m, NULL, NULL);
		sip_build_response(out, sizeof(out), m, 400, NULL, "t", NULL);
		sip_build_cancel(out, sizeof(out), m);
	} else {
		sip_msg_check_response(m, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg *m = malloc(sizeof(*m));
	struct sip_verdict v;
	size_t len;

	if (!m)
		return 0;
	if (sip_msg_parse(m, (const char *)data, size, NULL) == 0) {
		if (m->len > size)
			abort();
		in_buf(m->body, data, size);
		decode_all(m, data, size);
	}
	if (sip_stream_frame((const char *)data, size, NULL, &len) == 0 && len > size)
		abort();
	sip_msg_inspect(m, (const char *)data, size, true, NULL, NULL, &v);
	free(m);
	return 0;
}
