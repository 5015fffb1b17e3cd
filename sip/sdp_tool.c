/* tandem-tool sdp-answer: answer an SDP offer the way a trunk would. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tool.h"
#include "sip/sdp.h"

#define MAX_SDP 65536

static int usage(void)
{
	fprintf(stderr,
		"usage: tandem-tool sdp-answer --codecs LIST [--addr IP] [--port N] "
		"[--ptime MS] [--offerer-order] [--dir sendrecv|sendonly|recvonly|inactive] "
		"[FILE|-]\n");
	return 2;
}

static int read_all(const char *path, char *buf, size_t size, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (!f)
		return -errno;
	n = fread(buf, 1, size, f);
	if (ferror(f))
		rc = -EIO;
	else if (n == size)
		rc = -EFBIG;
	if (f != stdin)
		fclose(f);
	if (rc == 0)
		*len = n;
	return rc;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"codecs", required_argument, NULL, 'c'},
					     {"addr", required_argument, NULL, 'a'},
					     {"port", required_argument, NULL, 'p'},
					     {"ptime", required_argument, NULL, 't'},
					     {"dir", required_argument, NULL, 'd'},
					     {"offerer-order", no_argument, NULL, 'o'},
					     {NULL, 0, NULL, 0}};
	struct sdp_prefs prefs;
	struct sdp_local local = {
		.addr = "127.0.0.1", .port = 4000, .sess_id = 1, .sess_version = 1};
	const char *codecs = NULL, *path = "-", *reason = NULL;
	static char in[MAX_SDP], out[4096];
	static struct sdp_session offer;
	struct sdp_answer_res res;
	bool offerer_order = false;
	unsigned ptime = 0;
	size_t len = 0;
	char *end;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		unsigned long v;

		switch (c) {
		case 'c':
			codecs = optarg;
			break;
		case 'a': {
			unsigned char bin[16];

			if (inet_pton(strchr(optarg, ':') ? AF_INET6 : AF_INET, optarg, bin) != 1)
				return usage();
			local.addr = optarg;
			break;
		}
		case 'p':
			v = strtoul(optarg, &end, 10);
			if (*end || v == 0 || v > 65535)
				return usage();
			local.port = (uint16_t)v;
			break;
		case 't':
			v = strtoul(optarg, &end, 10);
			if (*end || v == 0 || v > 1000)
				return usage();
			ptime = (unsigned)v;
			break;
		case 'd':
			for (c = 0; c < 4 && strcmp(optarg, sdp_dir_name(c)); c++)
				;
			if (c == 4)
				return usage();
			local.dir = (enum sdp_dir)c;
			break;
		case 'o':
			offerer_order = true;
			break;
		default:
			return usage();
		}
	}
	if (!codecs || sdp_prefs_parse(&prefs, codecs) < 0 || argc - optind > 1)
		return usage();
	if (ptime)
		prefs.ptime = ptime;
	prefs.offerer_order = offerer_order;
	if (optind < argc)
		path = argv[optind];
	rc = read_all(path, in, sizeof(in), &len);
	if (rc < 0) {
		fprintf(stderr, "sdp-answer: %s: %s\n", path, strerror(-rc));
		return 1;
	}
	rc = sdp_decode(&offer, in, len, &reason);
	if (rc < 0) {
		/* RFC 3261 21.4.1: a body we cannot parse is a 400. */
		printf("400 %s\n", reason ? reason : strerror(-rc));
		return 1;
	}
	if (sdp_answer(&res, &offer, &prefs, &local) < 0)
		return usage();
	if (res.reject) {
		rc = sdp_warning_encode(out, sizeof(out), res.warn_code, "tandem", res.warn_text);
		printf("488 %s\n", rc > 0 ? out : res.warn_text);
		return 1;
	}
	rc = sdp_answer_encode(out, sizeof(out), &offer, &res, &prefs, &local);
	if (rc < 0) {
		fprintf(stderr, "sdp-answer: %s\n", strerror(-rc));
		return 1;
	}
	fwrite(out, 1, (size_t)rc, stdout);
	return 0;
}

TOOL_CMD(sdp_answer_cmd, "sdp-answer",
	 "--codecs PCMA,PCMU,telephone-event [--addr IP --port N] [--ptime MS] "
	 "[--offerer-order] [--dir D] [FILE|-]",
	 "answer an SDP offer (prints the answer, or 488 <warning>)", run);
