/* tandem-tool cause isup2sip N | sip2isup STATUS [REASON]: the RFC 3398
 * release cause mapping, one value at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tool.h"
#include "interwork/iw_cause.h"

static int parse_num(const char *s, long lo, long hi, long *out)
{
	char *e;
	long v;

	errno = 0;
	v = strtol(s, &e, 10);
	if (errno || e == s || *e || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int run(int argc, char **argv)
{
	long v;

	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[1], "sip2isup"))) {
		fprintf(stderr, "usage: %s isup2sip CAUSE | sip2isup STATUS [REASON-VALUE]\n",
			argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "isup2sip")) {
		const char *t;
		int st;

		if (parse_num(argv[2], 0, 255, &v) < 0) {
			fprintf(stderr, "%s: cause must be a number\n", argv[0]);
			return 2;
		}
		st = iw_cause_isup_to_sip((uint8_t)v);
		if (st < 0) {
			fprintf(stderr, "%s: cause %ld is not a Q.850 value (1..127)\n", argv[0],
				v);
			return 1;
		}
		t = iw_cause_text((uint8_t)v);
		if (v == 16) {
			/* RFC 3398 7.2.4.1: normal clearing ends the call with BYE or
			 * CANCEL; the table has no response for it */
			printf("\n");
			fprintf(stderr,
				"cause 16 (%s) -> no response (BYE/CANCEL); an INVITE still to "
				"answer gets %d\n",
				t, st);
			return 0;
		}
		printf("%d\n", st);
		fprintf(stderr, "cause %ld (%s) -> %d\n", v, t ? t : "not named by Q.850", st);
		return 0;
	}
	if (!strcmp(argv[1], "sip2isup")) {
		uint8_t c;

		if (parse_num(argv[2], 0, 999, &v) < 0) {
			fprintf(stderr, "%s: status must be a number\n", argv[0]);
			return 2;
		}
		if (argc == 4)
			c = iw_cause_from_response((int)v, argv[3], strlen(argv[3]));
		else
			c = iw_cause_sip_to_isup((int)v);
		if (c == 0) {
			fprintf(stderr, "%s: %ld is not a failure response (300..699)\n", argv[0],
				v);
			return 1;
		}
		printf("%u\n", c);
		return 0;
	}
	fprintf(stderr, "%s: unknown direction '%s' (isup2sip, sip2isup)\n", argv[0], argv[1]);
	return 2;
}

TOOL_CMD(cause_cmd, "cause", "isup2sip CAUSE | sip2isup STATUS [REASON-VALUE]",
	 "map a Q.850 release cause to a SIP status or back (RFC 3398)", run);
