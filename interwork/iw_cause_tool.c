/* tandem-tool cause isup2sip N | sip2isup STATUS [REASON] | bye [REASON]
 * [--table FILE]: the RFC 3398 release cause mapping, or a table file's
 * overrides of it, one value at a time, through the same iw_cause calls
 * tandemd makes. */
#include <errno.h>
#include <getopt.h>
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

static int usage(const char *name)
{
	fprintf(stderr,
		"usage: %s isup2sip CAUSE | sip2isup STATUS [REASON-VALUE] | bye [REASON-VALUE] "
		"[--table FILE]\n",
		name);
	return 2;
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {{"table", required_argument, NULL, 't'},
					     {NULL, 0, NULL, 0}};
	static struct iw_cause_map map;
	const struct iw_cause_map *m = NULL;
	const char *table = NULL, *name = argv[0];
	int o, npos;
	char **pos;
	long v;

	optind = 1;
	/* "+" would stop at the first operand; the table option may follow
	 * the operands, so GNU permutation is wanted, and a '-' operand
	 * (negative number) is an error anyway */
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 't')
			return usage(name);
		table = optarg;
	}
	pos = argv + optind;
	npos = argc - optind;
	if (npos < 1 || npos > 3)
		return usage(name);
	if (strcmp(pos[0], "isup2sip") && strcmp(pos[0], "sip2isup") && strcmp(pos[0], "bye")) {
		fprintf(stderr, "%s: unknown direction '%s' (isup2sip, sip2isup, bye)\n", name,
			pos[0]);
		return 2;
	}
	if (!strcmp(pos[0], "bye")) {
		/* BYE or CANCEL toward the REL: the Reason's Q.850 cause or 16 */
		if (npos > 2)
			return usage(name);
		printf("%u\n", iw_cause_from_bye(npos == 2 ? pos[1] : NULL,
						 npos == 2 ? strlen(pos[1]) : 0));
		return 0;
	}
	if (npos < 2 || (npos == 3 && strcmp(pos[0], "sip2isup")))
		return usage(name);
	if (table) {
		char err[256];

		if (iw_cause_map_load(&map, table, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", name, err);
			return 2;
		}
		m = &map;
	}
	if (!strcmp(pos[0], "isup2sip")) {
		const char *t;
		int st;

		if (parse_num(pos[1], 0, 255, &v) < 0) {
			fprintf(stderr, "%s: cause must be a number\n", name);
			return 2;
		}
		st = iw_cause_map_isup_to_sip(m, (uint8_t)v, 0xff);
		if (st < 0) {
			fprintf(stderr, "%s: cause %ld is not a Q.850 value (1..127)\n", name, v);
			return 1;
		}
		t = iw_cause_text((uint8_t)v);
		if (st == 0) {
			/* RFC 3398 7.2.4.1: normal clearing ends the call with BYE or
			 * CANCEL; the table has no response for it */
			printf("\n");
			fprintf(stderr,
				"cause %ld (%s) -> no response%s; an INVITE still to answer "
				"gets 480\n",
				v, t ? t : "not named by Q.850",
				m && m->isup2sip[v] ? " (table)" : " (BYE/CANCEL)");
			return 0;
		}
		printf("%d\n", st);
		fprintf(stderr, "cause %ld (%s) -> %d%s\n", v, t ? t : "not named by Q.850", st,
			m && m->isup2sip[v] ? " (table)" : "");
		return 0;
	} else {
		uint8_t c;

		if (parse_num(pos[1], 0, 999, &v) < 0) {
			fprintf(stderr, "%s: status must be a number\n", name);
			return 2;
		}
		if (npos == 3)
			c = iw_cause_map_from_response(m, (int)v, pos[2], strlen(pos[2]));
		else
			c = iw_cause_map_sip_to_isup(m, (int)v);
		if (c == 0) {
			fprintf(stderr, "%s: %ld is not a failure response (300..699)\n", name, v);
			return 1;
		}
		printf("%u\n", c);
		/* the location tandemd puts in the REL's cause indicators */
		fprintf(stderr, "SIP %ld -> cause %u (%s), location %s\n", v, c,
			iw_cause_text(c) ? iw_cause_text(c) : "not named by Q.850",
			iw_cause_sip_location((int)v) == ISUP_LOC_USER
				? "user (0)"
				: "network beyond interworking point (10)");
		return 0;
	}
}

TOOL_CMD(cause_cmd, "cause",
	 "isup2sip CAUSE | sip2isup STATUS [REASON-VALUE] | bye [REASON-VALUE] [--table FILE]",
	 "map a Q.850 release cause to a SIP status or back (RFC 3398, or a table file)", run);
