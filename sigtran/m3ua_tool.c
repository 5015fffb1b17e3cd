/* tandem-tool m3ua-decode HEX: print one M3UA message as JSON. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tool.h"
#include "sigtran/m3ua_msg.h"

static void print_hex(const uint8_t *p, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('"');
}

static int hex_decode(const char *s, uint8_t *out, size_t size)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (isspace((unsigned char)*s) || *s == ':')
			continue;
		if (!isxdigit((unsigned char)*s))
			return -EINVAL;
		v = isdigit((unsigned char)*s) ? *s - '0' : (tolower((unsigned char)*s) - 'a' + 10);
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= size)
			return -ENOSPC;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -EINVAL;
}

static int run(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct m3ua_msg m;
	uint32_t ec;
	unsigned int i;
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s HEX\n", argv[0]);
		return 2;
	}
	n = hex_decode(argv[1], buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "%s: invalid hex\n", argv[0]);
		return 2;
	}
	if (m3ua_decode(&m, buf, (size_t)n, &ec) < 0) {
		printf("{\"error\":\"malformed M3UA message\",\"err_code\":%u}\n", ec);
		return 1;
	}
	printf("{\"version\":%u,\"class\":\"%s\",\"type\":\"%s\",\"length\":%u,\"parameters\":[",
	       m.version, m3ua_class_name(m.cls), m3ua_type_name(m.cls, m.type), m.len);
	for (i = 0; i < m.nparams; i++) {
		const struct m3ua_param *p = &m.params[i];
		struct m3ua_pdata pd;

		printf("%s{\"tag\":%u,\"name\":\"%s\",", i ? "," : "", p->tag,
		       m3ua_param_name(p->tag));
		if (p->tag == M3UA_IEI_PROT_DATA && m3ua_pdata_decode(&pd, p) == 0) {
			printf("\"opc\":%u,\"dpc\":%u,\"si\":%u,\"ni\":%u,\"mp\":%u,\"sls\":%u,"
			       "\"data\":",
			       pd.opc, pd.dpc, pd.si, pd.ni, pd.mp, pd.sls);
			print_hex(pd.data, pd.data_len);
		} else {
			printf("\"value\":");
			print_hex(p->val, p->len);
		}
		putchar('}');
	}
	printf("]}\n");
	return 0;
}

TOOL_CMD(m3ua_decode_cmd, "m3ua-decode", "HEX", "decode one M3UA message, print JSON", run);
