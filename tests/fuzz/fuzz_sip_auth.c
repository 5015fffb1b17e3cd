/* libFuzzer: WWW-Authenticate challenge and Authorization credential parsing,
 * and the client/server paths behind them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[16] = "fuzzfuzzfuzzfuzz";
	struct sip_auth_server srv = {.realm = "r",
				      .alg = SIP_AUTH_MD5,
				      .key = key,
				      .key_len = sizeof(key),
				      .nonce_ttl = 60,
				      .qop_auth = true};
	struct sip_auth_request rq = {.user = "u",
				      .password = "p",
				      .method = "INVITE",
				      .uri = TSTR_LIT("sip:a@b"),
				      .cnonce = "c"};
	struct sip_auth_challenge ch;
	struct sip_auth_credentials cr;
	struct sip_auth_client st = {0};
	uint32_t nc_seen = 0;
	char out[2048];
	char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (sip_auth_challenge_decode(&ch, buf, size) == 0)
		sip_auth_response_encode(out, sizeof(out), &st, &ch, &rq);
	if (sip_auth_credentials_decode(&cr, buf, size) == 0) {
		srv.alg = cr.alg;
		sip_auth_verify(&srv, &cr, "INVITE", "p", false, 100, &nc_seen);
	}
	free(buf);
	return 0;
}
