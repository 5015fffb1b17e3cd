/* The "routing" node: the number context of the ISUP side, the two routing
 * tables (toward SIP trunks, toward ISUP linksets), and "show calls". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/vty.h"
#include "interwork/iw_call.h"
#include "interwork/iw_cause.h"
#include "interwork/iw_enum_dns.h"
#include "interwork/iw_route.h"
#include "interwork/iw_route_vty.h"
#include "sigtran/isup_vty.h"
#include "sip/sip_trunk.h"

struct iw_cfg iw_vty_cfg = {.tone_plan = "itu", .ringback = true};
static struct iw_route_table *to_sip, *to_isup;
static struct iw *vty_iw;
static struct iw_cause_map vty_causes;
static char *cause_table_path;

/* A change to iw_vty_cfg reaches a running gateway for its next calls. */
static int applied(void)
{
	if (vty_iw)
		iw_reconfigure(vty_iw, &iw_vty_cfg);
	return CMD_SUCCESS;
}

static struct cmd_node routing_node = {
	.node = TANDEM_ROUTING_NODE,
	.prompt = "%s(config-routing)# ",
	.vtysh = 1,
};

static struct iw_route_table *table(const char *dir)
{
	struct iw_route_table **t = !strcmp(dir, "to-sip") ? &to_sip : &to_isup;

	if (!*t)
		*t = iw_route_table_alloc(tall_vty_ctx);
	return *t;
}

DEFUN(cfg_routing, cfg_routing_cmd, "routing", "Configure number handling and routing\n")
{
	vty->node = TANDEM_ROUTING_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_numbering, cfg_numbering_cmd,
      "numbering country-code <1-999> national-prefix (DIGITS|none) international-prefix "
      "(DIGITS|none)",
      "How numbers are written on the ISUP side\nCountry code (E.164)\nCode\nTrunk prefix of "
      "national numbers\nDigits\nNone\nInternational prefix\nDigits\nNone\n")
{
	const char *np = strcmp(argv[1], "none") ? argv[1] : "";
	const char *ip = strcmp(argv[2], "none") ? argv[2] : "";

	if (iw_number_ctx_set(&iw_vty_cfg.num, argv[0], np, ip, iw_vty_cfg.num.area_code) < 0) {
		vty_out(vty, "%% prefixes must be digits, at most 7%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return applied();
}

/* Numbering contexts of single linksets and trunks (a linkset toward
 * another country, a trunk that sends national numbers). */
struct num_override {
	struct llist_head list;
	bool trunk;
	char name[32];
	struct iw_number_ctx ctx;
};
static LLIST_HEAD(num_overrides);

static struct num_override *num_find(bool trunk, const char *name)
{
	struct num_override *o;

	llist_for_each_entry(o, &num_overrides,
			     list) if (o->trunk == trunk && !strcmp(o->name, name)) return o;
	return NULL;
}

static const struct iw_number_ctx *iw_vty_numbering(bool trunk, const char *name)
{
	struct num_override *o = num_find(trunk, name);

	return o ? &o->ctx : NULL;
}

DEFUN(cfg_numbering_for, cfg_numbering_for_cmd,
      "numbering (linkset|trunk) NAME country-code <1-999> national-prefix (DIGITS|none) "
      "international-prefix (DIGITS|none) area-code (DIGITS|none)",
      "How numbers are written on the ISUP side\nFor one ISUP linkset\nFor one SIP trunk (numbers "
      "it sends without '+')\nIts name\nCountry code (E.164)\nCode\nTrunk prefix of national "
      "numbers\nDigits\nNone\nInternational prefix\nDigits\nNone\nArea code of subscriber "
      "numbers\nDigits\nNone\n")
{
	bool trunk = !strcmp(argv[0], "trunk");
	struct num_override *o = num_find(trunk, argv[1]);
	struct iw_number_ctx ctx;
	const char *np = strcmp(argv[3], "none") ? argv[3] : "";
	const char *ip = strcmp(argv[4], "none") ? argv[4] : "";
	const char *ac = strcmp(argv[5], "none") ? argv[5] : "";

	if (strlen(argv[1]) >= sizeof(o->name) ||
	    iw_number_ctx_set(&ctx, argv[2], np, ip, ac) < 0) {
		vty_out(vty,
			"%% prefixes and area code must be digits, at most 7; name at most 31%s",
			VTY_NEWLINE);
		tandem_config_reason("numbering %s %s: prefixes and area code must be digits, at "
				     "most 7",
				     argv[0], argv[1]);
		return CMD_WARNING;
	}
	if (!o) {
		o = talloc_zero(tall_vty_ctx, struct num_override);
		o->trunk = trunk;
		snprintf(o->name, sizeof(o->name), "%s", argv[1]);
		llist_add_tail(&o->list, &num_overrides);
	}
	o->ctx = ctx;
	return CMD_SUCCESS;
}

DEFUN(cfg_no_numbering_for, cfg_no_numbering_for_cmd, "no numbering (linkset|trunk) NAME",
      NO_STR "Numbering context\nOf a linkset\nOf a trunk\nName\n")
{
	struct num_override *o = num_find(!strcmp(argv[0], "trunk"), argv[1]);

	if (o) {
		llist_del(&o->list);
		talloc_free(o);
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_area, cfg_area_cmd, "area-code (DIGITS|none)",
      "Area code of subscriber numbers (NOA subscriber)\nDigits\nNone\n")
{
	struct iw_number_ctx *n = &iw_vty_cfg.num;

	if (iw_number_ctx_set(n, n->cc, n->national_prefix, n->intl_prefix,
			      strcmp(argv[0], "none") ? argv[0] : "") < 0) {
		vty_out(vty, "%% area code must be digits, at most 7%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return applied();
}

DEFUN(cfg_tones, cfg_tones_cmd, "ringback (itu|us|off)",
      "Ringback toward TDM when the SIP side rings without early media\nITU (E.180)\nNorth "
      "American\nNone\n")
{
	iw_vty_cfg.ringback = strcmp(argv[0], "off") != 0;
	if (iw_vty_cfg.ringback)
		iw_vty_cfg.tone_plan = !strcmp(argv[0], "us") ? "us" : "itu";
	return applied();
}

static int add_route(struct vty *vty, const char *dir, const char *prefix, unsigned strip,
		     const char *prepend, bool use_enum, int argc, const char **args)
{
	const char *names[IW_ROUTE_TARGETS_MAX];
	unsigned weights[IW_ROUTE_TARGETS_MAX] = {0};
	char buf[IW_ROUTE_TARGETS_MAX][IW_ROUTE_TARGET_MAX + 1];
	struct iw_route_spec spec = {.prefix = strcmp(prefix, "default") ? prefix : "",
				     .strip = strip,
				     .prepend = prepend,
				     .targets = names,
				     .weights = weights,
				     .n_targets = (unsigned)argc,
				     .enum_first = use_enum};
	struct iw_route_table *t = table(dir);
	int rc;

	if (!t)
		return CMD_WARNING;
	if (argc > IW_ROUTE_TARGETS_MAX) {
		vty_out(vty, "%% route %s: at most %u targets%s", prefix, IW_ROUTE_TARGETS_MAX,
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	/* NAME or NAME:WEIGHT (load sharing among neighbours) */
	for (int i = 0; i < argc; i++) {
		const char *colon = strrchr(args[i], ':');
		char *end;

		snprintf(buf[i], sizeof(buf[i]), "%s", args[i]);
		names[i] = buf[i];
		if (!colon)
			continue;
		buf[i][colon - args[i]] = 0;
		weights[i] = (unsigned)strtoul(colon + 1, &end, 10);
		if (*end || !colon[1] || weights[i] < 1 || weights[i] > IW_ROUTE_WEIGHT_MAX) {
			vty_out(vty, "%% route %s: target '%s': weight must be 1-%u%s", prefix,
				args[i], IW_ROUTE_WEIGHT_MAX, VTY_NEWLINE);
			return CMD_WARNING;
		}
	}
	{
		/* a rewrite already set on this prefix stays */
		const struct iw_route_rule *old = iw_route_get(t, spec.prefix);
		char *re = old && old->have_regex ? talloc_strdup(t, old->regex) : NULL;
		char *rp = re ? talloc_strdup(t, old->replace) : NULL;

		iw_route_del(t, spec.prefix);
		rc = iw_route_add(t, &spec);
		if (rc == 0 && re && rp)
			iw_route_set_regex(t, spec.prefix, re, rp, NULL, 0);
		talloc_free(re);
		talloc_free(rp);
	}
	if (rc < 0) {
		vty_out(vty, "%% route %s: %s%s", prefix,
			rc == -EINVAL ? "prefix must be digits (at most 15), 1-8 targets"
				      : strerror(-rc),
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_route, cfg_route_cmd, "route (to-sip|to-isup) (PREFIX|default) via .NAMES",
      "A routing rule (longest prefix of the E.164 number wins)\nISUP calls toward SIP "
      "trunks\nSIP calls toward ISUP linksets\nE.164 prefix without '+'\nEvery number\n"
      "Targets in failover order\nTrunk or linkset names; NAME:WEIGHT (1-1000) shares the "
      "load among neighbouring weighted targets\n")
{
	return add_route(vty, argv[0], argv[1], 0, NULL, false, argc - 2, &argv[2]);
}

DEFUN(cfg_route_regex, cfg_route_regex_cmd,
      "route (to-sip|to-isup) (PREFIX|default) rewrite REGEX REPLACEMENT",
      "A routing rule (configured before)\nISUP calls toward SIP trunks\nSIP calls toward ISUP "
      "linksets\nE.164 prefix without '+'\nThe default rule\nRewrite the number by regular "
      "expression before strip and prepend\nPOSIX extended regular expression\nWhat replaces "
      "the first match (\\0..\\9: the match and its groups)\n")
{
	char err[128];
	int rc = iw_route_set_regex(table(argv[0]), strcmp(argv[1], "default") ? argv[1] : "",
				    argv[2], argv[3], err, sizeof(err));

	if (rc < 0) {
		tandem_config_reason("route %s rewrite: %s", argv[1],
				     rc == -ENOENT   ? "no such route"
				     : rc == -EINVAL ? err
						     : "error");
		vty_out(vty, "%% route %s rewrite: %s%s", argv[1],
			rc == -ENOENT	? "no such route (configure the route first)"
			: rc == -EINVAL ? err
					: strerror(-rc),
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_no_route_regex, cfg_no_route_regex_cmd,
      "no route (to-sip|to-isup) (PREFIX|default) rewrite",
      NO_STR "A routing rule\nTo SIP\nTo ISUP\nPrefix\nThe default rule\nIts rewrite\n")
{
	if (iw_route_set_regex(table(argv[0]), strcmp(argv[1], "default") ? argv[1] : "", NULL,
			       NULL, NULL, 0) < 0) {
		vty_out(vty, "%% no such route%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_cause_table, cfg_cause_table_cmd, "cause-table FILE",
      "Cause mapping between ISUP and SIP: the RFC 3398 tables with the overrides in FILE "
      "(lines 'isup2sip CAUSE STATUS|-' and 'sip2isup STATUS CAUSE')\nPath\n")
{
	static struct iw_cause_map m;
	char err[160];

	if (iw_cause_map_load(&m, argv[0], err, sizeof(err)) < 0) {
		vty_out(vty, "%% cause-table: %s%s", err, VTY_NEWLINE);
		tandem_config_reason("cause-table: %s", err);
		return CMD_WARNING;
	}
	/* copied whole once it loaded: a bad file leaves the old table */
	vty_causes = m;
	talloc_free(cause_table_path);
	cause_table_path = talloc_strdup(tall_vty_ctx, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_np, cfg_np_cmd, "number-portability to-isup (dialled|prefix)",
      "Number portability (RFC 4694 rn= and npdi in the Request-URI): the call is routed on "
      "the routing number\nWhat the IAM's called party number carries\nThe dialled number "
      "(default)\nThe routing number's digits, then the dialled number's\n")
{
	iw_vty_cfg.np_prefix = !strcmp(argv[0], "prefix");
	return applied();
}

DEFUN(cfg_route_attempts, cfg_route_attempts_cmd, "route-advance attempts <1-8>",
      "Route advance: the next target after a failure that another route may not have (SIP "
      "408/5xx, Timer B; ISUP causes 34, 38, 41, 42, no free circuit)\nAt most this many "
      "targets per call\nTargets (default 3)\n")
{
	iw_vty_cfg.max_attempts = (unsigned)atoi(argv[0]);
	return applied();
}

DEFUN(cfg_ss7_hold, cfg_ss7_hold_cmd, "ss7-outage-hold <0-86400>",
      "Longest time a call stays while its signalling route is down (Q.764 2.13)\n"
      "Seconds; 0: until the route returns\n")
{
	iw_vty_cfg.ss7_hold_s = (unsigned)atoi(argv[0]);
	return applied();
}

DEFUN(cfg_route_enum, cfg_route_enum_cmd, "route to-sip (PREFIX|default) enum via .NAMES",
      "A routing rule (longest prefix of the E.164 number wins)\nISUP calls toward SIP "
      "trunks\nE.164 prefix without '+'\nEvery number\nLook the number up in ENUM first "
      "(RFC 6116): a SIP URI found is the Request-URI, a routing number (RFC 4694) is "
      "routed on\nTargets in failover order\nTrunk names\n")
{
	const char *v[2] = {"to-sip", argv[0]};

	return add_route(vty, v[0], v[1], 0, NULL, true, argc - 1, &argv[1]);
}

DEFUN(cfg_enum, cfg_enum_cmd, "enum servers LIST",
      "ENUM (RFC 6116) for routes marked enum\nDNS servers\nIP:PORT[,IP:PORT...]\n")
{
	talloc_free((char *)iw_vty_cfg.enum_servers);
	iw_vty_cfg.enum_servers = talloc_strdup(tall_vty_ctx, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_enum_suffix, cfg_enum_suffix_cmd, "enum suffix DOMAIN",
      "ENUM (RFC 6116)\nThe domain the numbers live under (default e164.arpa)\nDomain\n")
{
	talloc_free((char *)iw_vty_cfg.enum_suffix);
	iw_vty_cfg.enum_suffix = talloc_strdup(tall_vty_ctx, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_enum_budget, cfg_enum_budget_cmd, "enum budget <50-10000>",
      "ENUM (RFC 6116)\nTime a call waits for ENUM before the static route is used\n"
      "Milliseconds (default 300)\n")
{
	iw_vty_cfg.enum_budget_ms = (unsigned)atoi(argv[0]);
	return applied();
}

DEFUN(show_enum, show_enum_cmd, "show enum", SHOW_STR "ENUM resolver: cache and counters\n")
{
	struct iw_enum *e = vty_iw ? iw_get_enum(vty_iw) : NULL;
	struct iw_enum_stats st;

	if (!e) {
		vty_out(vty, "%% no ENUM servers configured (routing: enum servers ...)%s",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	iw_enum_get_stats(e, &st);
	vty_out(vty,
		"ENUM servers %s: lookups %llu, cache hits %llu, negative hits %llu, queries "
		"%llu, joined %llu, found %llu, not found %llu, errors %llu; cache entries %u, "
		"pending %u; calls routed statically after the budget %llu%s",
		iw_vty_cfg.enum_servers, (unsigned long long)st.lookups,
		(unsigned long long)st.cache_hits, (unsigned long long)st.neg_hits,
		(unsigned long long)st.queries, (unsigned long long)st.joined,
		(unsigned long long)st.found, (unsigned long long)st.not_found,
		(unsigned long long)st.errors, st.cache_entries, st.pending,
		(unsigned long long)iw_get_stats(vty_iw)->enum_timeouts, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int show_cache_ent(void *priv, const char *e164, int status, const struct iw_enum_result *r,
			  unsigned ttl_left)
{
	struct vty *vty = priv;

	if (status < 0)
		vty_out(vty, "%s: no record (negative), %u s left%s", e164, ttl_left, VTY_NEWLINE);
	else
		vty_out(vty, "%s: %s (%s, order %u pref %u%s%s%s), %u s left%s", e164, r->uri,
			r->service, r->order, r->pref, r->np.npdi ? ", npdi" : "",
			r->np.has_rn ? ", rn " : "", r->np.has_rn ? r->np.rn : "", ttl_left,
			VTY_NEWLINE);
	return 0;
}

DEFUN(show_enum_cache, show_enum_cache_cmd, "show enum cache",
      SHOW_STR "ENUM resolver\nCached answers (positive and negative) with their time left\n")
{
	struct iw_enum *e = vty_iw ? iw_get_enum(vty_iw) : NULL;

	if (!e) {
		vty_out(vty, "%% no ENUM servers configured (routing: enum servers ...)%s",
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	iw_enum_cache_foreach(e, show_cache_ent, vty);
	return CMD_SUCCESS;
}

DEFUN(clear_enum_cache, clear_enum_cache_cmd, "clear enum cache",
      "Clear\nENUM resolver\nForget every cached answer\n")
{
	struct iw_enum *e = vty_iw ? iw_get_enum(vty_iw) : NULL;

	if (e)
		iw_enum_cache_flush(e);
	return CMD_SUCCESS;
}

DEFUN(cfg_enum_timeout, cfg_enum_timeout_cmd, "enum timeout <100-10000>",
      "ENUM (RFC 6116)\nTime per try and server\nMilliseconds (default 1000)\n")
{
	iw_vty_cfg.enum_timeout_ms = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_route_rw, cfg_route_rw_cmd,
      "route (to-sip|to-isup) (PREFIX|default) strip <0-15> prepend (DIGITS|none) via .NAMES",
      "A routing rule (longest prefix of the E.164 number wins)\nISUP calls toward SIP "
      "trunks\nSIP calls toward ISUP linksets\nE.164 prefix without '+'\nEvery number\n"
      "Remove leading digits\nHow many\nThen put digits in front\nDigits\nNothing\n"
      "Targets in failover order\nTrunk or linkset names\n")
{
	return add_route(vty, argv[0], argv[1], (unsigned)atoi(argv[2]),
			 strcmp(argv[3], "none") ? argv[3] : NULL, false, argc - 4, &argv[4]);
}

DEFUN(cfg_no_route, cfg_no_route_cmd, "no route (to-sip|to-isup) (PREFIX|default)",
      NO_STR "A routing rule\nTo SIP\nTo ISUP\nPrefix\nThe default rule\n")
{
	if (iw_route_del(table(argv[0]), strcmp(argv[1], "default") ? argv[1] : "") < 0) {
		vty_out(vty, "%% no such route%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

struct write_ctx {
	struct vty *vty;
	const char *dir;
};

static int write_rule(const struct iw_route_rule *r, void *priv)
{
	struct write_ctx *w = priv;
	struct vty *vty = w->vty;

	vty_out(w->vty, " route %s %s", w->dir, r->prefix[0] ? r->prefix : "default");
	if (r->strip || r->prepend[0])
		vty_out(w->vty, " strip %u prepend %s", r->strip,
			r->prepend[0] ? r->prepend : "none");
	if (r->enum_first)
		vty_out(w->vty, " enum");
	vty_out(w->vty, " via");
	for (unsigned i = 0; i < r->n_targets; i++) {
		vty_out(w->vty, " %s", r->targets[i]);
		if (r->weights[i])
			vty_out(w->vty, ":%u", r->weights[i]);
	}
	vty_out(w->vty, "%s", VTY_NEWLINE);
	if (r->have_regex)
		vty_out(w->vty, " route %s %s rewrite %s %s%s", w->dir,
			r->prefix[0] ? r->prefix : "default", r->regex, r->replace, VTY_NEWLINE);
	return 0;
}

static int config_write_routing(struct vty *vty)
{
	const struct iw_number_ctx *n = &iw_vty_cfg.num;
	struct write_ctx w = {.vty = vty};

	vty_out(vty, "routing%s", VTY_NEWLINE);
	if (n->cc[0])
		vty_out(vty,
			" numbering country-code %s national-prefix %s international-prefix %s%s",
			n->cc, n->national_prefix[0] ? n->national_prefix : "none",
			n->intl_prefix[0] ? n->intl_prefix : "none", VTY_NEWLINE);
	if (n->area_code[0])
		vty_out(vty, " area-code %s%s", n->area_code, VTY_NEWLINE);
	{
		struct num_override *o;

		llist_for_each_entry(o, &num_overrides, list)
		{
			const struct iw_number_ctx *x = &o->ctx;

			vty_out(vty,
				" numbering %s %s country-code %s national-prefix %s "
				"international-prefix %s area-code %s%s",
				o->trunk ? "trunk" : "linkset", o->name, x->cc,
				x->national_prefix[0] ? x->national_prefix : "none",
				x->intl_prefix[0] ? x->intl_prefix : "none",
				x->area_code[0] ? x->area_code : "none", VTY_NEWLINE);
		}
	}
	vty_out(vty, " ringback %s%s", iw_vty_cfg.ringback ? iw_vty_cfg.tone_plan : "off",
		VTY_NEWLINE);
	if (iw_vty_cfg.enum_servers) {
		vty_out(vty, " enum servers %s%s", iw_vty_cfg.enum_servers, VTY_NEWLINE);
		if (iw_vty_cfg.enum_suffix)
			vty_out(vty, " enum suffix %s%s", iw_vty_cfg.enum_suffix, VTY_NEWLINE);
		if (iw_vty_cfg.enum_timeout_ms)
			vty_out(vty, " enum timeout %u%s", iw_vty_cfg.enum_timeout_ms, VTY_NEWLINE);
		if (iw_vty_cfg.enum_budget_ms)
			vty_out(vty, " enum budget %u%s", iw_vty_cfg.enum_budget_ms, VTY_NEWLINE);
	}
	if (iw_vty_cfg.np_prefix)
		vty_out(vty, " number-portability to-isup prefix%s", VTY_NEWLINE);
	if (cause_table_path)
		vty_out(vty, " cause-table %s%s", cause_table_path, VTY_NEWLINE);
	if (iw_vty_cfg.max_attempts)
		vty_out(vty, " route-advance attempts %u%s", iw_vty_cfg.max_attempts, VTY_NEWLINE);
	if (iw_vty_cfg.ss7_hold_s)
		vty_out(vty, " ss7-outage-hold %u%s", iw_vty_cfg.ss7_hold_s, VTY_NEWLINE);
	if (to_sip) {
		w.dir = "to-sip";
		iw_route_foreach(to_sip, write_rule, &w);
	}
	if (to_isup) {
		w.dir = "to-isup";
		iw_route_foreach(to_isup, write_rule, &w);
	}
	return CMD_SUCCESS;
}

int iw_vty_route(void *priv, bool to_sip_dir, const char *e164, struct iw_route_res *res)
{
	(void)priv;
	return iw_route_select(to_sip_dir ? to_sip : to_isup, to_sip_dir, e164, res);
}

void iw_vty_set_iw(struct iw *iw)
{
	vty_iw = iw;
}

DEFUN(show_calls, show_calls_cmd, "show calls", SHOW_STR "Interworking calls\n")
{
	struct iw_call *c = NULL;
	unsigned n = 0;

	if (!vty_iw) {
		vty_out(vty, "%% interworking not running%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	while ((c = iw_call_next(vty_iw, c))) {
		struct iw_call_info i;

		iw_call_info(c, &i);
		bool pri = i.kind && !strcmp(i.kind, "PRI");

		/* PRI: the span and its B channel, ISUP: the linkset and CIC */
		vty_out(vty,
			"call %u %s->%s %s: +%s -> +%s; %s %s %s %u; SIP trunk %s Call-ID %s; "
			"channel %08x; %u s answered%s",
			i.id, i.from_isup ? (pri ? "PRI" : "ISUP") : "SIP",
			i.from_isup ? "SIP" : (pri ? "PRI" : "ISUP"), i.state,
			i.calling[0] ? i.calling : "?", i.called, pri ? "PRI" : "ISUP",
			i.linkset[0] ? i.linkset : "-", pri ? "B channel" : "CIC", i.cic, i.trunk,
			i.call_id[0] ? i.call_id : "-", i.have_chan ? i.chan : 0, i.seconds,
			VTY_NEWLINE);
		if (i.joined)
			vty_out(vty, "  joined with call %u (attended transfer, no SIP leg)%s",
				i.joined, VTY_NEWLINE);
		if (i.codec)
			vty_out(vty, "  media %s/%u ms", i.codec, i.ptime);
		if (i.codec && i.have_stats) {
			const struct media_chan_stats *st = &i.stats;

			vty_out(vty,
				"; RTP rx %llu tx %llu lost %d jitter %.1f ms; jitter buffer lost "
				"%llu late %llu",
				(unsigned long long)st->rx_pkts, (unsigned long long)st->tx_pkts,
				st->rtp_lost, st->rtp_jitter_ms, (unsigned long long)st->jb_lost,
				(unsigned long long)st->jb_late);
			/* media admission and the far end's RTCP reports */
			vty_out(vty, "; refused %llu", (unsigned long long)st->rx_refused);
			if (st->peer_have_rb)
				vty_out(vty, "; peer reports lost %d (%.1f %%) jitter %.1f ms",
					st->peer_lost, st->peer_fraction_pct, st->peer_jitter_ms);
			if (st->rtt_ms >= 0)
				vty_out(vty, " rtt %.1f ms", st->rtt_ms);
			vty_out(vty, "; RTCP rx %llu%s", (unsigned long long)st->rtcp_rx,
				st->rtcp_mux ? " (rtcp-mux)" : "");
			if (!st->have_ec)
				vty_out(vty, "; EC off");
			else if (st->ec_tone_disabled)
				vty_out(vty, "; EC disabled by 2100 Hz tone");
			else if (st->ec_convergence_ms < 0)
				vty_out(vty, "; EC ERL %.1f dB ERLE %.1f dB, not converged",
					st->ec_erl_db, st->ec_erle_db);
			else
				vty_out(vty,
					"; EC ERL %.1f dB ERLE %.1f dB, converged in %d ms, double "
					"talk "
					"%.1f %%",
					st->ec_erl_db, st->ec_erle_db, st->ec_convergence_ms,
					st->ec_double_talk * 100.0f);
		}
		if (i.codec)
			vty_out(vty, "%s", VTY_NEWLINE);
		n++;
	}
	{
		const struct iw_stats *s = iw_get_stats(vty_iw);

		vty_out(vty,
			"%u calls; since start: %llu ISUP->SIP, %llu SIP->ISUP, %llu answered, "
			"%llu failed, %llu trunk failovers%s",
			n, (unsigned long long)s->isup_to_sip, (unsigned long long)s->sip_to_isup,
			(unsigned long long)s->answered, (unsigned long long)s->failed,
			(unsigned long long)s->failovers, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

void iw_route_vty_init(void)
{
	iw_number_ctx_set(&iw_vty_cfg.num, NULL, "0", "00", NULL);
	/* the running gateway reads this table: a cause-table loaded later
	 * applies to the next calls */
	iw_cause_map_init(&vty_causes);
	iw_vty_cfg.causes = &vty_causes;
	iw_vty_cfg.numbering = iw_vty_numbering;
	install_element(CONFIG_NODE, &cfg_routing_cmd);
	install_node(&routing_node, config_write_routing);
	install_element(TANDEM_ROUTING_NODE, &cfg_numbering_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_area_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_numbering_for_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_no_numbering_for_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_tones_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_route_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_route_rw_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_route_enum_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_enum_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_enum_suffix_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_enum_timeout_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_enum_budget_cmd);
	install_element_ve(&show_enum_cmd);
	install_element_ve(&show_enum_cache_cmd);
	install_element(ENABLE_NODE, &clear_enum_cache_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_no_route_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_route_regex_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_no_route_regex_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_route_attempts_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_ss7_hold_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_cause_table_cmd);
	install_element(TANDEM_ROUTING_NODE, &cfg_np_cmd);
	install_element_ve(&show_calls_cmd);
}

const struct iw_route_table *iw_route_vty_table(bool to_sip_side)
{
	return to_sip_side ? to_sip : to_isup;
}

/* reload: the routing node read anew into empty tables; the old ones are
 * kept until the new text proved good, and come back if it did not */
static struct {
	struct iw_route_table *to_sip, *to_isup;
	struct llist_head ovr;
	struct iw_cfg cfg;
	struct iw_cause_map causes;
} before;

void iw_route_vty_reload_begin(void)
{
	before.to_sip = to_sip;
	before.to_isup = to_isup;
	to_sip = to_isup = NULL;
	INIT_LLIST_HEAD(&before.ovr);
	llist_splice_init(&num_overrides, &before.ovr);
	before.cfg = iw_vty_cfg;
	before.causes = vty_causes;
	/* what the new text leaves out is back at its default */
	iw_vty_cfg = (struct iw_cfg){.tone_plan = "itu",
				     .ringback = true,
				     .numbering = before.cfg.numbering,
				     .causes = &vty_causes};
	iw_number_ctx_set(&iw_vty_cfg.num, NULL, "0", "00", NULL);
	iw_cause_map_init(&vty_causes);
}

static void overrides_free(struct llist_head *h)
{
	struct num_override *o, *n;

	llist_for_each_entry_safe(o, n, h, list)
	{
		llist_del(&o->list);
		talloc_free(o);
	}
}

void iw_route_vty_reload_end(bool keep)
{
	if (keep) {
		iw_route_table_free(before.to_sip);
		iw_route_table_free(before.to_isup);
		overrides_free(&before.ovr);
		applied(); /* the calls that start from now */
		return;
	}
	iw_route_table_free(to_sip);
	iw_route_table_free(to_isup);
	to_sip = before.to_sip;
	to_isup = before.to_isup;
	overrides_free(&num_overrides);
	llist_splice_init(&before.ovr, &num_overrides);
	iw_vty_cfg = before.cfg;
	vty_causes = before.causes;
	iw_vty_cfg.causes = &vty_causes;
}
