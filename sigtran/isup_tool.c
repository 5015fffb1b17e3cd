/* tandem-tool isup-decode / isup-encode: one ISUP message (from the CIC
 * on) between hex and the JSON of sigtran/isup_json.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include "core/tool.h"
#include "sigtran/isup_json.h"
#include "sigtran/isup_msg.h"

#define ISUP_TOOL_MAX 4096

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex with optional spaces or colons between octets. */
static int unhex(const char *s, uint8_t *out, size_t size)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int d;

		if (*s == ' ' || *s == ':' || *s == '\n' || *s == '\t')
			continue;
		d = hexdig(*s);
		if (d < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = d;
			continue;
		}
		if (n >= size)
			return -ENOSPC;
		out[n++] = (uint8_t)(hi << 4 | d);
		hi = -1;
	}
	return hi < 0 ? (int)n : -EINVAL;
}

static bool list_params;

/* --variant itu|ansi [--params] ARG: 0 and the variant and argument, or -1
 * (usage). */
static int args(int argc, char **argv, enum isup_variant *v, const char **arg)
{
	int i;

	*v = ISUP_VAR_ITU;
	*arg = NULL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--params")) {
			list_params = true;
		} else if (!strcmp(argv[i], "--variant") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "itu"))
				*v = ISUP_VAR_ITU;
			else if (!strcmp(argv[i], "ansi"))
				*v = ISUP_VAR_ANSI;
			else
				return -1;
		} else if (!*arg && argv[i][0] != '-') {
			*arg = argv[i];
		} else {
			return -1;
		}
	}
	return *arg ? 0 : -1;
}

static int decode_run(int argc, char **argv)
{
	static uint8_t buf[ISUP_TOOL_MAX];
	static char out[64 * 1024];
	enum isup_decode_err err;
	enum isup_variant v;
	struct isup_msg m;
	const char *hex;
	int n, rc;

	if (args(argc, argv, &v, &hex)) {
		fprintf(stderr, "usage: %s --variant itu|ansi HEX\n", argv[0]);
		return 2;
	}
	n = unhex(hex, buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "%s: invalid hex\n", argv[0]);
		return 2;
	}
	rc = isup_msg_decode(v, buf, (size_t)n, &m, &err);
	if (rc == -ENOTSUP) {
		printf("{\"error\":\"%s\",\"cic\":%u,\"type\":%u}\n", isup_decode_err_str(err),
		       m.cic, m.type);
		return 1;
	}
	if (rc < 0) {
		printf("{\"error\":\"%s\"}\n", isup_decode_err_str(err));
		return 1;
	}
	if (isup_json_print(v, &m, out, sizeof(out)) < 0) {
		printf("{\"error\":\"output too long\"}\n");
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

static int encode_run(int argc, char **argv)
{
	static uint8_t store[ISUP_TOOL_MAX], buf[ISUP_TOOL_MAX];
	enum isup_variant v;
	struct isup_msg m;
	const char *json;
	char err[160];
	int n, i;

	if (args(argc, argv, &v, &json)) {
		fprintf(stderr, "usage: %s --variant itu|ansi [--params] JSON\n", argv[0]);
		return 2;
	}
	if (isup_json_parse(v, json, &m, store, sizeof(store), err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		return 1;
	}
	n = isup_msg_encode(v, &m, buf, sizeof(buf));
	if (n < 0) {
		fprintf(stderr, "%s: cannot encode %s for this variant: %s\n", argv[0],
			isup_msg_type_name(m.type), strerror(-n));
		return 1;
	}
	for (i = 0; i < n; i++)
		printf("%02x", buf[i]);
	putchar('\n');
	/* --params: what was encoded, for an independent decoder to compare:
	 * "type T cic C", then "param CODE HEX" per parameter (hex codes) */
	if (list_params) {
		printf("type %u cic %u\n", m.type, m.cic);
		for (unsigned k = 0; k < m.nparams; k++) {
			printf("param %02x ", m.p[k].code);
			for (unsigned b = 0; b < m.p[k].len; b++)
				printf("%02x", m.p[k].val[b]);
			putchar('\n');
		}
	}
	return 0;
}

TOOL_CMD(isup_decode_cmd, "isup-decode", "--variant itu|ansi HEX",
	 "decode one ISUP message (from the CIC on), print JSON", decode_run);
TOOL_CMD(isup_encode_cmd, "isup-encode", "--variant itu|ansi [--params] JSON",
	 "encode one ISUP message from JSON, print hex (--params: then each parameter)",
	 encode_run);
