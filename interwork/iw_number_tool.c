/* tandem-tool e164 --cc CC [--national-prefix P] [--international-prefix P]
 * [--area-code A] NOA DIGITS: an ISUP number as the gateway normalises it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tool.h"
#include "interwork/iw_number.h"

static int parse_noa(const char *s)
{
	char *e;
	long v;

	if (s[0] >= '0' && s[0] <= '9') {
		v = strtol(s, &e, 10);
		return *e || v < 0 || v > 127 ? -EINVAL : (int)v;
	}
	return iw_noa_from_name(s);
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cc", required_argument, NULL, 'c'},
		{"national-prefix", required_argument, NULL, 'n'},
		{"international-prefix", required_argument, NULL, 'i'},
		{"area-code", required_argument, NULL, 'a'},
		{"uri", no_argument, NULL, 'u'},
		{},
	};
	/* ITU-T E.164 Annex / E.123 recommend "0" and "00". */
	const char *cc = NULL, *np = "0", *ip = "00", *area = NULL;
	struct iw_number_ctx ctx;
	char out[IW_E164_BUF];
	int o, noa = IW_NOA_UNKNOWN, n, uri = 0;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			cc = optarg;
			break;
		case 'n':
			np = optarg;
			break;
		case 'i':
			ip = optarg;
			break;
		case 'a':
			area = optarg;
			break;
		case 'u':
			uri = 1;
			break;
		default:
			goto usage;
		}
	}
	if (!cc || argc - optind != (uri ? 1 : 2))
		goto usage;
	if (iw_number_ctx_set(&ctx, cc, np, ip, area) < 0) {
		fprintf(stderr,
			"%s: --cc needs 1-3 digits, prefixes and area code up to 7 digits\n",
			argv[0]);
		return 2;
	}
	if (uri) {
		n = iw_number_from_uri(&ctx, argv[optind], strlen(argv[optind]), out, sizeof(out));
	} else {
		noa = parse_noa(argv[optind]);
		if (noa < 0) {
			fprintf(stderr,
				"%s: NOA is 1-4 or subscriber, unknown, national, "
				"international\n",
				argv[0]);
			return 2;
		}
		n = iw_number_to_e164(&ctx, (uint8_t)noa, argv[optind + 1],
				      strlen(argv[optind + 1]), out, sizeof(out));
	}
	if (n < 0) {
		const char *why = "not a number that normalises to E.164 (digits only, at most 15 "
				  "with the country code)";

		if (!uri && noa == IW_NOA_SUBSCRIBER && !area)
			why = "a subscriber number needs --area-code";
		else if (!uri && !iw_noa_name((uint8_t)noa))
			why = "this nature of address has no E.164 form";
		printf("error: %s\n", why);
		return 1;
	}
	printf("%s\n", out);
	return 0;
usage:
	fprintf(stderr,
		"usage: %s --cc CC [--national-prefix P] [--international-prefix P] "
		"[--area-code A] NOA DIGITS | --uri URI\n",
		argv[0]);
	return 2;
}

TOOL_CMD(e164_cmd, "e164",
	 "--cc CC [--national-prefix P] [--international-prefix P] [--area-code A] "
	 "NOA DIGITS | --uri URI",
	 "normalise an ISUP number (or a tel:/SIP user part) to E.164", run);
