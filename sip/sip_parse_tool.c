/* tandem-tool sip-parse [--transport udp|tcp] [FILE|-]
 * Parses one SIP message and prints one JSON object (see issue 3, item 7). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tool.h"
#include "sip/sip_check.h"
#include "sip/sip_hdr.h"

#define MAX_INPUT (1024 * 1024)

/* Length of the well-formed UTF-8 sequence at p (RFC 3629), 0 if none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t need, i;
	unsigned cp;

	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	need = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	if (n < need)
		return 0;
	cp = p[0] & (0x7f >> need);
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* A JSON string: control characters as \u00XX; bytes that are not UTF-8
 * (the wire may carry anything) as the code point of the same value. */
static void json_str(FILE *f, struct tstr s)
{
	size_t i = 0;

	fputc('"', f);
	while (i < s.len) {
		unsigned char c = (unsigned char)s.p[i];
		size_t u;

		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
		} else if (c >= 0x80) {
			u = utf8_len((const unsigned char *)s.p + i, s.len - i);
			if (u) {
				fwrite(s.p + i, 1, u, f);
				i += u;
				continue;
			}
			fprintf(f, "\\u%04x", c);
		} else {
			fputc(c, f);
		}
		i++;
	}
	fputc('"', f);
}

static void json_key_str(FILE *f, const char *key, struct tstr s)
{
	fprintf(f, ",\"%s\":", key);
	json_str(f, s);
}

static void print_nameaddr(FILE *f, const char *key, int rc, const struct sip_nameaddr *na)
{
	if (rc)
		return;
	fprintf(f, ",\"%s\":{\"uri\":", key);
	json_str(f, na->uri);
	if (na->tag.p) {
		fputs(",\"tag\":", f);
		json_str(f, na->tag);
	}
	fputc('}', f);
}

static void print_vias(FILE *f, const struct sip_msg *m)
{
	struct sip_hdr_iter it;
	struct sip_via v;
	struct tstr e;
	bool first = true;

	if (!m->count[SIP_HDR_VIA])
		return;
	fputs(",\"via\":[", f);
	sip_hdr_iter_init(&it, m, SIP_HDR_VIA);
	while (sip_hdr_iter_next(&it, &e)) {
		if (sip_via_decode(e, &v))
			continue;
		fputs(first ? "{" : ",{", f);
		first = false;
		fputs("\"transport\":", f);
		json_str(f, v.transport);
		json_key_str(f, "host", v.host);
		if (v.port)
			fprintf(f, ",\"port\":%u", v.port);
		if (v.branch.p)
			json_key_str(f, "branch", v.branch);
		fputc('}', f);
	}
	fputc(']', f);
}

static void print_msg(FILE *f, const struct sip_msg *m)
{
	struct sip_nameaddr na;
	struct sip_cseq cs;
	struct tstr cid;
	uint32_t mf;

	if (m->is_request) {
		json_key_str(f, "method", m->method);
		json_key_str(f, "ruri", m->ruri);
	} else {
		fprintf(f, ",\"status\":%u", m->status);
		json_key_str(f, "reason", m->reason);
	}
	if (sip_msg_call_id(m, &cid) == 0)
		json_key_str(f, "call_id", cid);
	if (sip_msg_cseq(m, &cs) == 0) {
		fprintf(f, ",\"cseq\":{\"num\":%u,\"method\":", cs.num);
		json_str(f, cs.method);
		fputc('}', f);
	}
	print_nameaddr(f, "from", sip_msg_from(m, &na), &na);
	print_nameaddr(f, "to", sip_msg_to(m, &na), &na);
	print_vias(f, m);
	if (sip_msg_max_forwards(m, &mf) == 0)
		fprintf(f, ",\"max_forwards\":%u", mf);
	if (m->content_length >= 0)
		fprintf(f, ",\"content_length\":%ld", m->content_length);
	fprintf(f, ",\"body_length\":%zu", m->body.len);
}

static int read_all(FILE *in, char *buf, size_t size, size_t *len)
{
	size_t n = 0, r;

	while ((r = fread(buf + n, 1, size - n, in)) > 0) {
		n += r;
		if (n == size)
			return -EMSGSIZE;
	}
	if (ferror(in))
		return -EIO;
	*len = n;
	return 0;
}

static int run(int argc, char **argv)
{
	const char *path = NULL;
	bool stream = false;
	struct sip_verdict v;
	struct sip_msg *m;
	FILE *in = stdin;
	size_t len = 0;
	char *buf;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--transport") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "tcp") == 0)
				stream = true;
			else if (strcmp(argv[i], "udp") != 0)
				return 2;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			return 2;
		} else if (!path) {
			path = argv[i];
		} else {
			return 2;
		}
	}
	if (path && strcmp(path, "-") != 0) {
		in = fopen(path, "rb");
		if (!in) {
			fprintf(stderr, "sip-parse: %s: %s\n", path, strerror(errno));
			return 2;
		}
	}
	buf = malloc(MAX_INPUT);
	m = malloc(sizeof(*m));
	if (!buf || !m) {
		rc = 1;
		goto out;
	}
	rc = read_all(in, buf, MAX_INPUT, &len);
	if (rc) {
		printf("{\"verdict\":\"invalid\",\"error\":\"input unreadable or too large\"}\n");
		rc = 1;
		goto out;
	}
	sip_msg_inspect(m, buf, len, stream, NULL, NULL, &v);
	printf("{\"verdict\":\"%s\"", v.valid ? "valid" : "invalid");
	if (v.parsed || m->method.len || m->status)
		printf(",\"kind\":\"%s\"", m->is_request ? "request" : "response");
	if (v.parsed)
		print_msg(stdout, m);
	else if (m->is_request && m->method.len)
		json_key_str(stdout, "method", m->method);
	if (v.reply)
		printf(",\"reply\":%u", v.reply);
	if (v.error)
		json_key_str(stdout, "error", tstr_make(v.error, strlen(v.error)));
	printf("}\n");
	rc = v.valid ? 0 : 1;
out:
	free(buf);
	free(m);
	if (in != stdin)
		fclose(in);
	return rc;
}

TOOL_CMD(sip_parse_cmd, "sip-parse", "[--transport udp|tcp] [FILE|-]",
	 "parse one SIP message as received, print JSON", run);
