/* ISUP configuration ("isup" node: linksets, CIC ranges, timers), its
 * writing, and "show isup ...", "isup reset|block ...". The running
 * linksets on their M3UA ASPs are isup_mtp.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/vty/tdef_vty.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/vty.h"
#include "sigtran/isup_link_int.h"
#include "sigtran/isup_vty.h"
#include "sigtran/m3ua_vty.h"

struct llist_head isup_vty_linksets = LLIST_HEAD_INIT(isup_vty_linksets);

static struct cmd_node isup_node = {
	.node = TANDEM_ISUP_NODE,
	.prompt = "%s(config-isup)# ",
	.vtysh = 1,
};

static struct cmd_node linkset_node = {
	.node = TANDEM_ISUP_LINKSET_NODE,
	.prompt = "%s(config-isup-linkset)# ",
	.vtysh = 1,
};

DEFUN(cfg_isup, cfg_isup_cmd, "isup", "Configure ISUP (linksets, circuits)\n")
{
	vty->node = TANDEM_ISUP_NODE;
	return CMD_SUCCESS;
}

DEFUN(cfg_linkset, cfg_linkset_cmd, "linkset NAME",
      "ISUP linkset toward one adjacent exchange\nName\n")
{
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets, list) if (!strcmp(s->name, argv[0])) goto found;
	s = talloc_zero(tall_vty_ctx, struct isup_vty_linkset);
	s->name = talloc_strdup(s, argv[0]);
	s->cfg.name = s->name;
	s->cfg.variant = ISUP_VAR_ITU;
	s->cfg.ni = 2;
	s->cfg.grs_on_up = true;
	llist_add_tail(&s->list, &isup_vty_linksets);
found:
	vty->index = s;
	vty->node = TANDEM_ISUP_LINKSET_NODE;
	return CMD_SUCCESS;
}

#define LS struct isup_vty_linkset *s = vty->index

DEFUN(cfg_ls_asp, cfg_ls_asp_cmd, "asp NAME", "M3UA ASP (sigtran node) carrying it\nName\n")
{
	LS;
	talloc_free(s->asp_name);
	talloc_free(s->as_name);
	s->as_name = NULL;
	s->asp_name = talloc_strdup(s, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_as, cfg_ls_as_cmd, "as NAME",
      "M3UA AS (sigtran node) carrying it, over its ASPs\nName\n")
{
	LS;
	talloc_free(s->asp_name);
	talloc_free(s->as_name);
	s->asp_name = NULL;
	s->as_name = talloc_strdup(s, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_variant, cfg_ls_variant_cmd, "variant (itu|ansi)",
      "ISUP variant\nITU-T Q.763/Q.764\nANSI T1.113\n")
{
	LS;
	s->cfg.variant = !strcmp(argv[0], "ansi") ? ISUP_VAR_ANSI : ISUP_VAR_ITU;
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_opc, cfg_ls_opc_cmd, "point-code local <0-16777215> remote <0-16777215>",
      "Point codes\nOur point code (OPC of what we send)\nValue\nThe adjacent exchange\nValue\n")
{
	LS;
	s->cfg.opc = (uint32_t)strtoul(argv[0], NULL, 10);
	s->cfg.dpc = (uint32_t)strtoul(argv[1], NULL, 10);
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_ni, cfg_ls_ni_cmd, "network-indicator (international|national|spare|reserved)",
      "Network indicator in the SIO\nInternational (0)\nNational (2)\nSpare (1)\nReserved (3)\n")
{
	LS;
	s->cfg.ni = !strcmp(argv[0], "international") ? 0
		    : !strcmp(argv[0], "spare")	      ? 1
		    : !strcmp(argv[0], "national")    ? 2
						      : 3;
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_glare, cfg_ls_glare_cmd, "dual-seizure (even-odd|always-win|always-yield)",
      "Who controls a circuit on dual seizure (Q.764 2.10.1.4)\nHigher point code controls "
      "even CICs\nThis side controls all\nThe other side controls all\n")
{
	LS;
	s->cfg.glare = !strcmp(argv[0], "always-win")	  ? ISUP_GLARE_ALWAYS_WIN
		       : !strcmp(argv[0], "always-yield") ? ISUP_GLARE_ALWAYS_YIELD
							  : ISUP_GLARE_EVEN_ODD;
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_grs, cfg_ls_grs_cmd, "reset-on-link-up (yes|no)",
      "Reset every circuit (GRS) when the destination becomes available\nYes\nNo\n")
{
	LS;
	s->cfg.grs_on_up = !strcmp(argv[0], "yes");
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_overlap, cfg_ls_overlap_cmd, "overlap (yes|no)",
      "Accept overlap signalling (SAM until ST or T35)\nYes\nNo (en-bloc)\n")
{
	LS;
	s->cfg.overlap = !strcmp(argv[0], "yes");
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_limit, cfg_ls_limit_cmd, "limit (calls|cps) <0-100000>",
      "Admission limits of the calls the gateway carries on this linkset (both directions; "
      "past them: cause 42 toward ISUP, 503 with Retry-After toward SIP, or the route's next "
      "linkset)\nCalls at once\nNew calls per second\nLimit (0: none)\n")
{
	LS;
	if (!strcmp(argv[0], "calls"))
		s->cfg.max_calls = (unsigned)atoi(argv[1]);
	else
		s->cfg.max_cps = (unsigned)atoi(argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_echo, cfg_ls_echo_cmd, "echo-control (always|network)",
      "Echo control on this linkset's circuits (Q.764 2.7)\nThe gateway's canceller on every "
      "call (default)\nOff for calls where the other exchange says an echo control device "
      "is included (IAM nature of connection, ACM/CON backward call indicators)\n")
{
	LS;
	s->cfg.echo_defer = !strcmp(argv[0], "network");
	return CMD_SUCCESS;
}

/* Mark first..last in the linkset's CIC map; on overlap, the first CIC
 * already taken (nothing marked). */
static int cic_map_take(struct isup_vty_linkset *s, unsigned first, unsigned last, unsigned *taken)
{
	if (!s->cic_map) {
		s->cic_map = talloc_zero_size(s, (ISUP_CIC_MAX_ANSI + 1) / 8);
		if (!s->cic_map)
			return -ENOMEM;
	}
	for (unsigned i = first; i <= last; i++) {
		if (s->cic_map[i / 8] & (1u << (i % 8))) {
			*taken = i;
			return -EEXIST;
		}
	}
	for (unsigned i = first; i <= last; i++)
		s->cic_map[i / 8] |= (uint8_t)(1u << (i % 8));
	return 0;
}

/* The reason on the console and in the configuration error (file:line). */
static void range_err(struct vty *vty, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void range_err(struct vty *vty, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vty_out(vty, "%% %s%s", buf, VTY_NEWLINE);
	tandem_config_reason("%s", buf);
}

static int ls_add_range(struct vty *vty, struct isup_vty_linkset *s,
			const struct isup_vty_range *in)
{
	unsigned max = s->cfg.variant == ISUP_VAR_ANSI ? ISUP_CIC_MAX_ANSI : ISUP_CIC_MAX_ITU;
	unsigned n = in->last - in->first + 1, taken = 0;
	struct isup_vty_range *r;
	int rc;

	if (in->last < in->first) {
		range_err(vty, "last CIC below the first");
		return CMD_WARNING;
	}
	if (in->last > max) {
		range_err(vty, "CIC %u is past the %s maximum %u", in->last,
			  s->cfg.variant == ISUP_VAR_ANSI ? "ANSI" : "ITU", max);
		return CMD_WARNING;
	}
	if (in->layout == ISUP_VTY_TS_FROM && in->ts + (n - 1) > 31) {
		range_err(vty, "CICs %u-%u from timeslot %u run past timeslot 31", in->first,
			  in->last, in->ts);
		return CMD_WARNING;
	}
	if (in->layout != ISUP_VTY_TS_FROM) {
		unsigned spans = (unsigned)(in->span_last - in->span + 1);
		unsigned per = isup_vty_layout_per_span(in->layout);

		if (in->span_last < in->span || in->span_last > ISUP_VTY_MAX_SPAN) {
			range_err(vty, "spans %d-%d: give FIRST-LAST within 0-%d", in->span,
				  in->span_last, ISUP_VTY_MAX_SPAN);
			return CMD_WARNING;
		}
		if (n > spans * per) {
			range_err(vty, "CICs %u-%u are %u circuits; spans %d-%d hold %u", in->first,
				  in->last, n, in->span, in->span_last, spans * per);
			return CMD_WARNING;
		}
	}
	rc = cic_map_take(s, in->first, in->last, &taken);
	if (rc == -EEXIST) {
		range_err(vty, "CICs %u-%u overlap an earlier range (CIC %u)", in->first, in->last,
			  taken);
		return CMD_WARNING;
	}
	r = rc < 0 ? NULL : talloc_realloc(s, s->ranges, struct isup_vty_range, s->n_ranges + 1);
	if (!r) {
		range_err(vty, "out of memory");
		return CMD_WARNING;
	}
	s->ranges = r;
	s->ranges[s->n_ranges++] = *in;
	return CMD_SUCCESS;
}

DEFUN(cfg_ls_cic, cfg_ls_cic_cmd, "cic <0-16383> <0-16383> span <0-1023> timeslot <1-31>",
      "A CIC range and the TDM timeslots it uses\nFirst CIC\nLast CIC\nTDM span\nSpan "
      "number\nTimeslot of the first CIC\nTimeslot\n")
{
	LS;
	struct isup_vty_range r = {.first = (unsigned)atoi(argv[0]),
				   .last = (unsigned)atoi(argv[1]),
				   .span = atoi(argv[2]),
				   .ts = (unsigned)atoi(argv[3]),
				   .layout = ISUP_VTY_TS_FROM};

	r.span_last = r.span;
	return ls_add_range(vty, s, &r);
}

DEFUN(cfg_ls_cic_spans, cfg_ls_cic_spans_cmd, "cic <0-16383> <0-16383> span SPANS",
      "A CIC range and the TDM timeslots it uses\nFirst CIC\nLast CIC\nTDM spans\n"
      "FIRST-LAST: the CICs fill timeslots 1-31 of each E1 span in turn\n")
{
	LS;
	struct isup_vty_range r = {.first = (unsigned)atoi(argv[0]),
				   .last = (unsigned)atoi(argv[1]),
				   .layout = ISUP_VTY_E1};
	unsigned a, b;
	int end = 0;

	if (sscanf(argv[2], "%u-%u%n", &a, &b, &end) != 2 || argv[2][end] || a > 1023 || b > 1023) {
		range_err(vty, "spans '%s': give FIRST-LAST, e.g. 0-131 (0-%d)", argv[2],
			  ISUP_VTY_MAX_SPAN);
		return CMD_WARNING;
	}
	r.span = (int)a;
	r.span_last = (int)b;
	if (argc > 3)
		r.layout = !strcmp(argv[3], "t1")	    ? ISUP_VTY_T1
			   : !strcmp(argv[3], "e1-no-ts16") ? ISUP_VTY_E1_NO16
							    : ISUP_VTY_E1;
	return ls_add_range(vty, s, &r);
}

ALIAS(cfg_ls_cic_spans, cfg_ls_cic_spans_layout_cmd,
      "cic <0-16383> <0-16383> span SPANS (e1|e1-no-ts16|t1)",
      "A CIC range and the TDM timeslots it uses\nFirst CIC\nLast CIC\nTDM spans\n"
      "FIRST-LAST\nE1: timeslots 1-31 of each span\nE1: timeslots 1-15 and 17-31 (TS16 "
      "carries CAS)\nT1: timeslots 1-24 of each span\n")

DEFUN(cfg_ls_timer, cfg_ls_timer_cmd, "timer " OSMO_TDEF_VTY_ARG_T " " OSMO_TDEF_VTY_ARG_VAL,
      "A Q.764 timer for this linkset only (over 'timer isup ...')\n"
      "Timer number, e.g. T7\nSeconds\nBack to the isup group's value\n")
{
	LS;
	const char *t = argv[0];
	int T;

	if ((t[0] == 'T' || t[0] == 't') && t[1])
		t++;
	T = atoi(t);
	if (!osmo_tdef_get_entry(isup_tdefs, T)) {
		vty_out(vty, "%% no ISUP timer %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	for (unsigned i = 0; i < s->n_ovr; i++) {
		if (s->ovr[i].T != T)
			continue;
		s->ovr[i] = s->ovr[--s->n_ovr];
		break;
	}
	if (!strcmp(argv[1], "default"))
		return CMD_SUCCESS;
	if (s->n_ovr == sizeof(s->ovr) / sizeof(s->ovr[0]))
		return CMD_WARNING;
	s->ovr[s->n_ovr].T = T;
	s->ovr[s->n_ovr++].val = strtoul(argv[1], NULL, 10);
	return CMD_SUCCESS;
}

static int config_write_isup(struct vty *vty)
{
	static const char *ni[] = {"international", "spare", "national", "reserved"};
	static const char *glare[] = {"even-odd", "always-win", "always-yield"};
	struct isup_vty_linkset *s;

	if (llist_empty(&isup_vty_linksets))
		return CMD_SUCCESS;
	vty_out(vty, "isup%s", VTY_NEWLINE);
	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		vty_out(vty, " linkset %s%s", s->name, VTY_NEWLINE);
		if (s->asp_name)
			vty_out(vty, "  asp %s%s", s->asp_name, VTY_NEWLINE);
		if (s->as_name)
			vty_out(vty, "  as %s%s", s->as_name, VTY_NEWLINE);
		vty_out(vty, "  variant %s%s", s->cfg.variant == ISUP_VAR_ANSI ? "ansi" : "itu",
			VTY_NEWLINE);
		vty_out(vty, "  point-code local %u remote %u%s", s->cfg.opc, s->cfg.dpc,
			VTY_NEWLINE);
		vty_out(vty, "  network-indicator %s%s", ni[s->cfg.ni & 3], VTY_NEWLINE);
		vty_out(vty, "  dual-seizure %s%s", glare[s->cfg.glare], VTY_NEWLINE);
		vty_out(vty, "  reset-on-link-up %s%s", s->cfg.grs_on_up ? "yes" : "no",
			VTY_NEWLINE);
		vty_out(vty, "  overlap %s%s", s->cfg.overlap ? "yes" : "no", VTY_NEWLINE);
		if (s->cfg.echo_defer)
			vty_out(vty, "  echo-control network%s", VTY_NEWLINE);
		if (s->cfg.max_calls)
			vty_out(vty, "  limit calls %u%s", s->cfg.max_calls, VTY_NEWLINE);
		if (s->cfg.max_cps)
			vty_out(vty, "  limit cps %u%s", s->cfg.max_cps, VTY_NEWLINE);
		for (unsigned i = 0; i < s->n_ranges; i++) {
			const struct isup_vty_range *r = &s->ranges[i];
			static const char *lay[] = {"", "", " e1-no-ts16", " t1"};

			if (r->layout == ISUP_VTY_TS_FROM)
				vty_out(vty, "  cic %u %u span %d timeslot %u%s", r->first, r->last,
					r->span, r->ts, VTY_NEWLINE);
			else
				vty_out(vty, "  cic %u %u span %d-%d%s%s", r->first, r->last,
					r->span, r->span_last, lay[r->layout], VTY_NEWLINE);
		}
		for (unsigned i = 0; i < s->n_ovr; i++)
			vty_out(vty, "  timer T%d %lu%s", s->ovr[i].T, s->ovr[i].val, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

static int config_write_linkset(struct vty *vty)
{
	(void)vty; /* written by the isup node */
	return CMD_SUCCESS;
}

/* --- show and maintenance --- */

static struct isup_link *vty_link(struct vty *vty, const char *name)
{
	struct isup_link *l = isup_vty_link(name);

	if (!l)
		vty_out(vty, "%% no running linkset %s%s", name, VTY_NEWLINE);
	return l;
}

static const char *call_name(uint8_t c)
{
	return c == ISUP_CIC_IN_BUSY ? "incoming" : c == ISUP_CIC_OUT_BUSY ? "outgoing" : "idle";
}

static void blocked_str(char *buf, size_t size, uint8_t b, uint8_t pend)
{
	snprintf(buf, size, "%s%s%s%s%s%s%s", b & ISUP_BLK_LOCAL_MAINT ? " local-blocked" : "",
		 b & ISUP_BLK_LOCAL_HW ? " local-hw-blocked" : "",
		 b & ISUP_BLK_REMOTE_MAINT ? " remote-blocked" : "",
		 b & ISUP_BLK_REMOTE_HW ? " remote-hw-blocked" : "",
		 pend & ISUP_PEND_RESET ? " resetting" : "",
		 pend & ISUP_PEND_BLO ? " blocking" : "",
		 pend & ISUP_PEND_UBL ? " unblocking" : "");
}

DEFUN(show_isup_circuits, show_isup_circuits_cmd, "show isup circuits [NAME]",
      SHOW_STR "ISUP\nCircuits: a summary per linkset and each circuit not idle\n"
	       "Linkset\n")
{
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		struct isup_cic_summary sum;
		struct isup_cic *cc = NULL;

		if (argc > 0 && strcmp(argv[0], s->name))
			continue;
		if (!s->link) {
			vty_out(vty, "linkset %s: not running%s", s->name, VTY_NEWLINE);
			continue;
		}
		isup_cic_summarise(isup_link_cics(s->link), 0, 16383, &sum);
		vty_out(vty,
			"linkset %s (%s, %u -> %u, %s): %u circuits: %u idle, %u incoming, "
			"%u outgoing, %u locally blocked, %u remotely blocked, %u resetting%s",
			s->name, s->cfg.variant == ISUP_VAR_ANSI ? "ANSI" : "ITU", s->cfg.opc,
			s->cfg.dpc, isup_link_is_up(s->link) ? "available" : "unavailable",
			sum.total, sum.idle, sum.in_busy, sum.out_busy, sum.local_blocked,
			sum.remote_blocked, sum.resetting, VTY_NEWLINE);
		while ((cc = isup_cic_next(isup_link_cics(s->link), cc))) {
			char b[120];

			if (cc->call == ISUP_CIC_IDLE && !cc->blocked && !cc->pending)
				continue;
			blocked_str(b, sizeof(b), cc->blocked, cc->pending);
			vty_out(vty, "  CIC %u span %d ts %u: %s%s%s%s%s", cc->cic, cc->span,
				cc->timeslot, call_name(cc->call), b, cc->user ? " " : "",
				cc->user ? isup_call_state_name(cc->user) : "", VTY_NEWLINE);
		}
	}
	return CMD_SUCCESS;
}

/* One character per circuit for a CIC grid (tandem-tool top): what a new
 * call can tell at a glance. A reset pending outranks blocking, blocking
 * outranks the call; lower case is a blocked circuit still carrying its
 * call (Q.764 2.8.2: blocking does not clear it). */
static char cic_char(const struct isup_cic *c)
{
	bool loc = c->blocked & (ISUP_BLK_LOCAL_MAINT | ISUP_BLK_LOCAL_HW);
	bool rem = c->blocked & (ISUP_BLK_REMOTE_MAINT | ISUP_BLK_REMOTE_HW);

	if (c->pending & ISUP_PEND_RESET)
		return '*';
	if (loc || rem) {
		char ch = loc && rem ? 'b' : loc ? 'l' : 'r';

		return c->call == ISUP_CIC_IDLE ? (char)(ch - 'a' + 'A') : ch;
	}
	return c->call == ISUP_CIC_IN_BUSY ? 'I' : c->call == ISUP_CIC_OUT_BUSY ? 'O' : '.';
}

DEFUN(show_isup_circuits_compact, show_isup_circuits_compact_cmd,
      "show isup circuits compact [NAME]",
      SHOW_STR "ISUP\nCircuits: a summary per linkset and each circuit not idle\n"
	       "One line per linkset: name, state, first CIC, one character per CIC "
	       "(. idle, I/O busy in/out, L/R/B blocked local/remote/both, l/r/b the same "
	       "with a call, * resetting, - not configured)\n"
	       "Linkset\n")
{
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		struct isup_cic_table *t;
		struct isup_cic *cc = NULL, *first;
		char *line;
		size_t n = 0;

		if (argc > 0 && strcmp(argv[0], s->name))
			continue;
		if (!s->link || !(first = isup_cic_next(isup_link_cics(s->link), NULL))) {
			vty_out(vty, "linkset %s %s 0 %s", s->name,
				!s->link		   ? "not-running"
				: isup_link_is_up(s->link) ? "available"
							   : "unavailable",
				VTY_NEWLINE);
			continue;
		}
		t = isup_link_cics(s->link);
		/* CICs run 0..ISUP_CIC_MAX_ANSI: at most that many + 1 characters */
		line = talloc_size(NULL, ISUP_CIC_MAX_ANSI + 2);
		if (!line)
			return CMD_WARNING;
		while ((cc = isup_cic_next(t, cc)) && n <= ISUP_CIC_MAX_ANSI) {
			while (first->cic + n < cc->cic && n < ISUP_CIC_MAX_ANSI)
				line[n++] = '-';
			line[n++] = cic_char(cc);
		}
		line[n] = '\0';
		vty_out(vty, "linkset %s %s %u %s%s", s->name,
			isup_link_is_up(s->link) ? "available" : "unavailable", first->cic, line,
			VTY_NEWLINE);
		talloc_free(line);
	}
	return CMD_SUCCESS;
}

DEFUN(show_isup_linksets, show_isup_linksets_cmd, "show isup linksets",
      SHOW_STR "ISUP\nLinksets and their message counters\n")
{
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		const struct isup_link_stats *st;
		struct isup_link_pending pend;

		if (!s->link)
			continue;
		st = isup_link_stats(s->link);
		vty_out(vty,
			"linkset %s: %s %s, %s; calls in %" PRIu64 " out %" PRIu64
			", dual seizures %" PRIu64 " (lost %" PRIu64 "); rx IAM %" PRIu64
			" REL %" PRIu64 " GRS %" PRIu64 "; tx IAM %" PRIu64 " REL %" PRIu64
			" GRS %" PRIu64 "; malformed %" PRIu64 ", unknown CIC %" PRIu64
			", unexpected %" PRIu64 "%s",
			s->name, s->as_name ? "as" : "asp",
			s->as_name    ? s->as_name
			: s->asp_name ? s->asp_name
				      : "-",
			isup_link_is_up(s->link) ? "available" : "unavailable", st->calls_in,
			st->calls_out, st->glare, st->glare_lost, st->rx[ISUP_MT_IAM],
			st->rx[ISUP_MT_REL], st->rx[ISUP_MT_GRS], st->tx[ISUP_MT_IAM],
			st->tx[ISUP_MT_REL], st->tx[ISUP_MT_GRS], st->rx_bad, st->rx_unknown_cic,
			st->rx_unexpected, VTY_NEWLINE);
		isup_link_pending(s->link, &pend);
		vty_out(vty,
			"  procedures pending: RSC %u, GRS %u, BLO %u, UBL %u, CGB %u, CGU %u%s",
			pend.rsc, pend.grs, pend.blo, pend.ubl, pend.cgb, pend.cgu, VTY_NEWLINE);
	}
	return CMD_SUCCESS;
}

DEFUN(show_isup_timers, show_isup_timers_cmd, "show isup timers [NAME]",
      SHOW_STR "ISUP\nQ.764 timers in force, per linkset\nLinkset\n")
{
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		if (argc > 0 && strcmp(argv[0], s->name))
			continue;
		vty_out(vty, "linkset %s:%s", s->name, VTY_NEWLINE);
		osmo_tdef_vty_out_all(vty, s->tdefs ? s->tdefs : isup_tdefs, "  ");
	}
	return CMD_SUCCESS;
}

DEFUN(show_isup_calls, show_isup_calls_cmd, "show isup calls",
      SHOW_STR "ISUP\nCalls on the circuits\n")
{
	struct isup_vty_linkset *s;
	unsigned n = 0;

	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		struct isup_call *c;

		if (!s->link)
			continue;
		llist_for_each_entry(c, &s->link->calls, list)
		{
			vty_out(vty, "%s CIC %u %s %s called %s%s", s->name, c->cic,
				c->incoming ? "in" : "out", isup_call_state_name(c),
				c->incoming ? c->called.digits : c->spec.called.digits,
				VTY_NEWLINE);
			n++;
		}
	}
	vty_out(vty, "%u calls%s", n, VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int maint_result(struct vty *vty, int rc)
{
	if (rc < 0) {
		vty_out(vty, "%% %s%s",
			rc == -ENOENT	? "no such circuit"
			: rc == -EBUSY	? "a procedure is already pending"
			: rc == -ERANGE ? "a group is 2 to 32 circuits"
					: strerror(-rc),
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(isup_maint, isup_maint_cmd, "isup (reset|block|unblock) NAME <0-16383>",
      "ISUP maintenance\nReset the circuit (RSC)\nBlock it (BLO)\nUnblock it (UBL)\nLinkset\nCIC\n")
{
	struct isup_link *l = vty_link(vty, argv[1]);
	unsigned cic = (unsigned)atoi(argv[2]);

	if (!l)
		return CMD_WARNING;
	if (!strcmp(argv[0], "reset"))
		return maint_result(vty, isup_link_reset(l, cic));
	return maint_result(vty, isup_link_block(l, cic, !strcmp(argv[0], "block")));
}

DEFUN(isup_group, isup_group_cmd,
      "isup (reset|block|unblock|hw-block|hw-unblock|query) NAME <0-16383> count <1-32>",
      "ISUP maintenance\nGroup reset (GRS)\nGroup block for maintenance (CGB)\nGroup unblock "
      "(CGU)\nGroup block, hardware failure (CGB)\nGroup unblock, hardware (CGU)\nCircuit "
      "query (CQM)\nLinkset\nFirst CIC\nNumber of circuits\nCount\n")
{
	struct isup_link *l = vty_link(vty, argv[1]);
	unsigned cic = (unsigned)atoi(argv[2]), n = (unsigned)atoi(argv[3]);
	const char *op = argv[0];

	if (!l)
		return CMD_WARNING;
	if (!strcmp(op, "reset"))
		return maint_result(vty, isup_link_group_reset(l, cic, n));
	if (!strcmp(op, "query"))
		return maint_result(vty, isup_link_query(l, cic, n));
	return maint_result(vty, isup_link_group_block(l, cic, n, strstr(op, "un") == NULL,
						       !strncmp(op, "hw", 2)));
}

void isup_vty_init(void)
{
	/* the defaults are in force before the configuration changes them */
	osmo_tdefs_reset(isup_tdefs);
	install_element(CONFIG_NODE, &cfg_isup_cmd);
	install_node(&isup_node, config_write_isup);
	install_element(TANDEM_ISUP_NODE, &cfg_linkset_cmd);
	install_node(&linkset_node, config_write_linkset);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_asp_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_as_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_variant_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_opc_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_ni_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_glare_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_grs_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_overlap_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_limit_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_echo_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_cic_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_cic_spans_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_cic_spans_layout_cmd);
	install_element(TANDEM_ISUP_LINKSET_NODE, &cfg_ls_timer_cmd);
	install_element_ve(&show_isup_timers_cmd);
	install_element_ve(&show_isup_circuits_cmd);
	install_element_ve(&show_isup_circuits_compact_cmd);
	install_element_ve(&show_isup_linksets_cmd);
	install_element_ve(&show_isup_calls_cmd);
	install_element(ENABLE_NODE, &isup_maint_cmd);
	install_element(ENABLE_NODE, &isup_group_cmd);
}
