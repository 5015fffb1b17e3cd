/* tandem-tool enum: one ENUM lookup on the loop, the chosen URI as JSON.
 * tandem-tool enum-rewrite: one RFC 3402 substitution expression applied. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/application.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/tool.h"
#include "interwork/iw_enum.h"
#include "interwork/iw_enum_dns.h"

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static const char *reason(int st)
{
	switch (st) {
	case -ENOENT:
		return "not found";
	case -ETIMEDOUT:
		return "timeout";
	case -ECONNREFUSED:
		return "servers refused, failed or unreachable";
	case -EIO:
		return "server failure or malformed answer";
	case -EINVAL:
		return "not an E.164 number (+ and 1..15 digits)";
	default:
		return strerror(-st);
	}
}

struct lookup_state {
	bool done;
	int status;
	struct iw_enum_result r;
};

static void on_result(void *priv, int status, const struct iw_enum_result *r)
{
	struct lookup_state *s = priv;

	s->done = true;
	s->status = status;
	if (r)
		s->r = *r;
}

static void print_np(const struct iw_enum_np *np)
{
	if (np->npdi)
		printf(",\"npdi\":true");
	if (np->has_rn) {
		printf(",\"rn\":");
		json_str(np->rn);
	}
	if (np->rn_context[0]) {
		printf(",\"rn_context\":");
		json_str(np->rn_context);
	}
}

static int run_enum(int argc, char **argv)
{
	static const struct option lo[] = {
		{"server", required_argument, NULL, 's'},  {"suffix", required_argument, NULL, 'x'},
		{"timeout", required_argument, NULL, 't'}, {"tries", required_argument, NULL, 'n'},
		{"service", required_argument, NULL, 'v'}, {NULL, 0, NULL, 0}};
	struct iw_enum_cfg cfg = {.timeout_ms = 1000, .tries = 2, .no_cache = true};
	struct lookup_state s = {0};
	const char *service = "E2U+sip";
	char domain[300];
	struct iw_enum *e;
	struct loop *l;
	uint64_t t0;
	void *ctx;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			cfg.servers = optarg;
			break;
		case 'x':
			cfg.suffix = optarg;
			break;
		case 't':
			cfg.timeout_ms = (unsigned)atoi(optarg);
			break;
		case 'n':
			cfg.tries = (unsigned)atoi(optarg);
			break;
		case 'v':
			service = optarg;
			break;
		default:
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr,
			"usage: %s [--server IP:PORT] [--suffix S] [--service E2U+TYPE[:SUB][,..]] "
			"[--timeout MS] [--tries N] +E164\n",
			argv[0]);
		return 2;
	}
	if (iw_enum_filter_parse(&cfg.filter, service) < 0) {
		fprintf(stderr,
			"%s: --service '%s': want E2U+TYPE or E2U+TYPE:SUBTYPE (e.g. E2U+sip, "
			"E2U+pstn:tel), up to %d separated by commas\n",
			argv[0], service, IW_ENUM_FILTER_MAX);
		return 2;
	}
	if (iw_enum_domain(argv[optind], cfg.suffix, domain, sizeof(domain)) < 0) {
		printf("{\"e164\":");
		json_str(argv[optind]);
		printf(",\"error\":\"%s\"}\n", reason(-EINVAL));
		return 1;
	}
	ctx = talloc_named_const(NULL, 0, "enum-tool");
	tandem_log_init(ctx);
	log_set_log_level(osmo_stderr_target, LOGL_ERROR);
	l = loop_alloc(ctx, NULL);
	e = l ? iw_enum_alloc(ctx, l, &cfg) : NULL;
	if (!e) {
		fprintf(stderr, "%s: cannot set up the resolver (servers '%s')\n", argv[0],
			cfg.servers ? cfg.servers : "system");
		talloc_free(ctx);
		return 1;
	}
	t0 = loop_now_ns();
	rc = iw_enum_lookup(e, argv[optind], on_result, &s);
	while (!rc && !s.done)
		if (loop_run_once(l) < 0)
			break;
	printf("{\"e164\":");
	json_str(argv[optind]);
	printf(",\"domain\":");
	json_str(domain);
	/* the lookup's own time, without this process's start */
	printf(",\"lookup_ms\":%llu", (unsigned long long)((loop_now_ns() - t0) / 1000000));
	if (rc || !s.done || s.status) {
		printf(",\"error\":\"%s\"}\n", reason(rc ? rc : s.done ? s.status : -EIO));
		rc = 1;
	} else {
		printf(",\"uri\":");
		json_str(s.r.uri);
		printf(",\"service\":");
		json_str(s.r.service);
		printf(",\"order\":%u,\"pref\":%u,\"ttl\":%u,\"usable\":%u", s.r.order, s.r.pref,
		       s.r.ttl, s.r.usable);
		print_np(&s.r.np);
		printf("}\n");
		rc = 0;
	}
	iw_enum_free(e);
	loop_free(l);
	talloc_free(ctx);
	return rc;
}

static int run_rewrite(int argc, char **argv)
{
	static const struct option lo[] = {{"regexp", required_argument, NULL, 'r'},
					   {"aus", required_argument, NULL, 'a'},
					   {NULL, 0, NULL, 0}};
	const char *rx = NULL, *aus = NULL;
	char out[IW_ENUM_URI_MAX];
	struct iw_enum_np np;
	int c, rc;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'r')
			rx = optarg;
		else if (c == 'a')
			aus = optarg;
		else
			return 2;
	}
	if (!rx || !aus || optind != argc) {
		fprintf(stderr, "usage: %s --regexp EXPR --aus +E164\n", argv[0]);
		return 2;
	}
	rc = iw_enum_regexp_apply(tstr_make(rx, strlen(rx)), aus, out, sizeof(out));
	printf("{\"aus\":");
	json_str(aus);
	if (rc < 0) {
		printf(",\"error\":\"%s\"}\n", rc == -ENOENT ? "no match"
					       : rc == -ENOSPC
						       ? "result too long"
						       : "malformed substitution expression");
		return 1;
	}
	printf(",\"uri\":");
	json_str(out);
	if (iw_enum_np_parse(out, &np) == 0)
		print_np(&np);
	printf("}\n");
	return 0;
}

TOOL_CMD(
	enum_cmd, "enum",
	"[--server IP:PORT[,..]] [--suffix S] [--service E2U+sip] [--timeout MS] [--tries N] +E164",
	"ENUM (RFC 6116) lookup of a number, the chosen URI as JSON", run_enum);
TOOL_CMD(enum_rewrite_cmd, "enum-rewrite", "--regexp EXPR --aus +E164",
	 "apply an ENUM NAPTR substitution expression (RFC 3402) to a number", run_rewrite);
