/* The configured ASes and ASPs running: start (an AS of its own for an ASP
 * named by none), a clean stop, "show m3ua" and "m3ua asp NAME ..." (the
 * configuration nodes are in m3ua_vty.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/loop.h"
#include "core/vty.h"
#include "sigtran/m3ua_asp.h"
#include "sigtran/m3ua_dest.h"
#include "sigtran/m3ua_sctp.h"
#include "sigtran/m3ua_vty.h"

/* the ASes of ASPs that no "as" names */
static LLIST_HEAD(implicit_ases);

static int start_as(void *ctx, struct loop *l, struct m3ua_vty_as *s,
		    const struct m3ua_asp_ops *ops)
{
	struct m3ua_as_cfg cfg = {.traffic_mode = s->traffic_mode};

	s->tdefs = talloc_memdup(ctx, m3ua_as_tdefs, sizeof(m3ua_as_tdefs));
	if (!s->tdefs)
		return -ENOMEM;
	if (s->tr_ms >= 0)
		osmo_tdef_set(s->tdefs, -1, (unsigned long)s->tr_ms, OSMO_TDEF_MS);
	cfg.tdefs = s->tdefs;
	s->as = m3ua_as_alloc(ctx, s->name, &cfg, ops, s);
	if (!s->as)
		return -ENOMEM;
	for (unsigned i = 0; i < s->n_asp; i++) {
		struct m3ua_vty_asp *a = m3ua_vty_asp_find(s->asp_names[i]);

		if (!a) {
			fprintf(stderr, "tandemd: sigtran as %s: no asp '%s'\n", s->name,
				s->asp_names[i]);
			return -ENOENT;
		}
		if (a->in_as) {
			fprintf(stderr, "tandemd: sigtran asp %s: in two ASes (%s, %s)\n", a->name,
				a->in_as->name, s->name);
			return -EEXIST;
		}
		a->in_as = s;
		a->asp = m3ua_as_add_asp(s->as, l, &a->cfg);
		if (!a->asp) {
			fprintf(stderr, "tandemd: M3UA ASP %s cannot start (see the log above)\n",
				a->name);
			return -EIO;
		}
	}
	return 0;
}

int m3ua_vty_start(void *ctx, struct loop *l, const struct m3ua_asp_ops *ops)
{
	struct m3ua_vty_as *s;
	struct m3ua_vty_asp *a;
	int rc;

	llist_for_each_entry(a, &m3ua_vty_asps, list)
	{
		a->in_as = NULL;
		a->asp = NULL;
		if (a->cfg.conn.transport != M3UA_TRANSPORT_SCTP &&
		    m3ua_sctp_params_any(&a->cfg.conn.sctp)) {
			fprintf(stderr,
				"%s:%u: sigtran asp %s: 'sctp' parameters on an association over "
				"TCP ('transport sctp' is missing)\n",
				tandem_config_name(), tandem_config_find_line("asp", a->name, 0),
				a->name);
			return -EINVAL;
		}
	}
	llist_for_each_entry(s, &m3ua_vty_ases, list)
	{
		rc = start_as(ctx, l, s, ops);
		if (rc < 0)
			return rc;
	}
	llist_for_each_entry(a, &m3ua_vty_asps, list)
	{
		if (a->in_as)
			continue;
		s = talloc_zero(ctx, struct m3ua_vty_as);
		if (!s)
			return -ENOMEM;
		s->name = talloc_strdup(s, a->name);
		s->implicit = true;
		s->traffic_mode = a->cfg.traffic_mode;
		s->tr_ms = 0;
		s->asp_names[s->n_asp++] = talloc_strdup(s, a->name);
		llist_add_tail(&s->list, &implicit_ases);
		rc = start_as(ctx, l, s, ops);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void stop_guard(void *p)
{
	(void)p;
}

static void stop_list(struct llist_head *lh)
{
	struct m3ua_vty_as *s;

	llist_for_each_entry(s, lh, list) if (s->as) m3ua_as_stop(s->as);
}

static bool settled_list(struct llist_head *lh)
{
	struct m3ua_vty_as *s;

	llist_for_each_entry(s, lh, list) if (s->as && !m3ua_as_settled(s->as)) return false;
	return true;
}

void m3ua_vty_stop(struct loop *l)
{
	struct m3ua_vty_as *s, *t;
	struct m3ua_vty_asp *a;

	/* RFC 4666 4.3.4.2: leave cleanly: ASPIA, DEREG REQ, ASPDN, each answered
	 * (or given up on after T(ack)), within a second at most */
	stop_list(&m3ua_vty_ases);
	stop_list(&implicit_ases);
	if (l) {
		uint64_t end = loop_now_ns() + 1000000000ull;
		struct loop_timer g;

		loop_timer_init(&g, stop_guard, NULL);
		while (!(settled_list(&m3ua_vty_ases) && settled_list(&implicit_ases)) &&
		       loop_now_ns() < end) {
			loop_timer_schedule(l, &g, 20000);
			if (loop_run_once(l) < 0)
				break;
		}
		loop_timer_cancel(l, &g);
	}
	llist_for_each_entry(s, &m3ua_vty_ases, list)
	{
		m3ua_as_free(s->as);
		s->as = NULL;
		talloc_free(s->tdefs);
		s->tdefs = NULL;
	}
	llist_for_each_entry_safe(s, t, &implicit_ases, list)
	{
		m3ua_as_free(s->as);
		talloc_free(s->tdefs);
		llist_del(&s->list);
		talloc_free(s);
	}
	llist_for_each_entry(a, &m3ua_vty_asps, list)
	{
		a->asp = NULL;
		a->in_as = NULL;
	}
}

static void show_as(struct vty *vty, struct m3ua_vty_as *s)
{
	vty_out(vty, "as %s%s: %s, %s, T(r) %lu ms;", s->name, s->implicit ? " (implicit)" : "",
		m3ua_as_fsm_state_name(m3ua_as_state(s->as)),
		s->traffic_mode == 2 ? "loadshare" : "override",
		osmo_tdef_get(s->tdefs, -1, OSMO_TDEF_MS, 0));
	for (unsigned i = 0; i < m3ua_as_n_asp(s->as); i++)
		vty_out(vty, " %s=%s", s->asp_names[i],
			m3ua_asp_state_name(m3ua_asp_state(m3ua_as_asp(s->as, i))));
	vty_out(vty, "%s", VTY_NEWLINE);
}

DEFUN(show_m3ua, show_m3ua_cmd, "show m3ua", SHOW_STR "M3UA ASPs and their counters\n")
{
	struct m3ua_vty_asp *a;
	struct m3ua_vty_as *s;

	llist_for_each_entry(s, &m3ua_vty_ases, list) if (s->as) show_as(vty, s);
	llist_for_each_entry(s, &implicit_ases, list) if (s->as) show_as(vty, s);
	llist_for_each_entry(a, &m3ua_vty_asps, list)
	{
		const struct m3ua_asp_stats *st;

		if (!a->asp) {
			vty_out(vty, "asp %s: not running%s", a->name, VTY_NEWLINE);
			continue;
		}
		st = m3ua_asp_get_stats(a->asp);
		vty_out(vty,
			"asp %s: %s (%s); tx ASPUP %" PRIu64 " ASPAC %" PRIu64 " DATA %" PRIu64
			"; rx DATA %" PRIu64 " DUNA %" PRIu64 " DAVA %" PRIu64 " ERR %" PRIu64
			"; malformed %" PRIu64 "%s",
			a->name, m3ua_asp_state_name(m3ua_asp_state(a->asp)),
			m3ua_as_state_name(m3ua_asp_as_state(a->asp)),
			st->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP],
			st->tx[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE],
			st->tx[M3UA_CLS_XFER][M3UA_XFER_DATA],
			st->rx[M3UA_CLS_XFER][M3UA_XFER_DATA],
			st->rx[M3UA_CLS_SSNM][M3UA_SSNM_DUNA],
			st->rx[M3UA_CLS_SSNM][M3UA_SSNM_DAVA], st->rx[M3UA_CLS_MGMT][M3UA_MGMT_ERR],
			st->rx_bad, VTY_NEWLINE);
		{
			uint32_t rc = 0, status = 0;
			enum m3ua_rk_state rks = m3ua_asp_rk_state(a->asp, &rc, &status);
			char rcs[16] = "none";

			if (m3ua_asp_rc(a->asp, &rc))
				snprintf(rcs, sizeof(rcs), "%u", rc);
			vty_out(vty,
				"  target %s%s; routing key %s (status %u); routing context %s; "
				"tx ASPIA %" PRIu64 " ASPDN %" PRIu64 " REG %" PRIu64
				" DEREG %" PRIu64 " DAUD %" PRIu64 "; rx SCON %" PRIu64
				" DUPU %" PRIu64 " DRST %" PRIu64 "%s",
				m3ua_asp_state_name(m3ua_asp_target(a->asp)),
				m3ua_asp_settled(a->asp) ? "" : " (pending)",
				m3ua_rk_state_name(rks), status, rcs,
				st->tx[M3UA_CLS_ASPTM][M3UA_ASPTM_INACTIVE],
				st->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_DOWN],
				st->tx[M3UA_CLS_RKM][M3UA_RKM_REG_REQ],
				st->tx[M3UA_CLS_RKM][M3UA_RKM_DEREG_REQ],
				st->tx[M3UA_CLS_SSNM][M3UA_SSNM_DAUD],
				st->rx[M3UA_CLS_SSNM][M3UA_SSNM_SCON],
				st->rx[M3UA_CLS_SSNM][M3UA_SSNM_DUPU],
				st->rx[M3UA_CLS_SSNM][M3UA_SSNM_DRST], VTY_NEWLINE);
		}
		{
			struct m3ua_sctp_info si;

			if (m3ua_asp_sctp_info(a->asp, &si) == 0) {
				vty_out(vty,
					"  sctp (kernel): RTO initial %u min %u max %u ms; "
					"heartbeat "
					"%s%u ms; path-max-retrans %u; association-max-retrans "
					"%u%s",
					si.rto_initial_ms, si.rto_min_ms, si.rto_max_ms,
					si.hb_on ? "" : "off, ", si.hb_interval_ms,
					si.path_max_retrans, si.assoc_max_retrans, VTY_NEWLINE);
				vty_out(vty,
					"  sctp (kernel): init max-attempts %u max-timeout %u ms; "
					"streams asked %u out %u in, agreed %u out %u in%s",
					si.init_max_attempts, si.init_max_timeo_ms,
					si.init_ostreams, si.init_instreams, si.n_out, si.n_in,
					VTY_NEWLINE);
			}
		}
		{
			struct m3ua_sctp_path ps[M3UA_SCTP_MAX_ADDRS * 2];
			unsigned np = m3ua_asp_paths(a->asp, ps, M3UA_SCTP_MAX_ADDRS * 2);

			for (unsigned i = 0; i < np; i++)
				vty_out(vty, "  path %s: %s%s, RTO %u ms, SRTT %u ms, cwnd %u%s",
					ps[i].addr, ps[i].state, ps[i].primary ? ", primary" : "",
					ps[i].rto_ms, ps[i].srtt_ms, ps[i].cwnd, VTY_NEWLINE);
		}
		if (a->cfg.role == M3UA_ROLE_IPSP_DE)
			vty_out(vty, "  double exchange: the peer IPSP is %s%s",
				m3ua_asp_state_name(m3ua_asp_peer_state(a->asp)), VTY_NEWLINE);
		if (st->rx_bad_rc)
			vty_out(vty, "  refused for another routing context: %" PRIu64 "%s",
				st->rx_bad_rc, VTY_NEWLINE);
		if (a->cfg.have_na || st->rx_bad_na)
			vty_out(vty, "  network appearance %s%u; refused for another %" PRIu64 "%s",
				a->cfg.have_na ? "" : "none ", a->cfg.have_na ? a->cfg.na : 0,
				st->rx_bad_na, VTY_NEWLINE);
		{
			struct m3ua_dest_info d[16];
			unsigned n = m3ua_asp_dests(a->asp, d, 16);

			for (unsigned i = 0; i < n; i++)
				vty_out(vty, "  destination %u/%u: %s, congestion %u%s%s", d[i].pc,
					d[i].mask, m3ua_dest_state_name(d[i].st), d[i].cong,
					d[i].dupu & (1u << 5) ? ", ISUP unavailable (DUPU)" : "",
					VTY_NEWLINE);
			uint64_t refused = 0;
			unsigned total = m3ua_asp_dest_count(a->asp, &refused);

			if (total > n || refused)
				vty_out(vty,
					"  destinations not available: %u (%u shown); %" PRIu64
					" refused at the table's limit of %u%s",
					total, n, refused, M3UA_DEST_LIMIT, VTY_NEWLINE);
		}
	}
	return CMD_SUCCESS;
}

static struct m3ua_vty_asp *running_asp(struct vty *vty, const char *name)
{
	struct m3ua_vty_asp *a;

	llist_for_each_entry(a, &m3ua_vty_asps,
			     list) if (!strcmp(a->name, name) && a->asp) return a;
	vty_out(vty, "%% no running asp %s%s", name, VTY_NEWLINE);
	return NULL;
}

DEFUN(m3ua_asp_admin, m3ua_asp_admin_cmd, "m3ua asp NAME (active|inactive|down|reset)",
      "M3UA maintenance\nAn ASP\nName\nASPAC (and ASPUP first)\nASPIA\nASPIA, DEREG "
      "REQ, ASPDN\nDrop the association (it comes back)\n")
{
	struct m3ua_vty_asp *a = running_asp(vty, argv[0]);

	if (!a)
		return CMD_WARNING;
	if (!strcmp(argv[1], "reset"))
		m3ua_asp_reset(a->asp);
	else
		m3ua_as_set_asp_target(a->in_as->as, a->asp,
				       !strcmp(argv[1], "active")     ? M3UA_ASP_S_ACTIVE
				       : !strcmp(argv[1], "inactive") ? M3UA_ASP_S_INACTIVE
								      : M3UA_ASP_S_DOWN);
	return CMD_SUCCESS;
}

void m3ua_vty_run_init(void)
{
	install_element_ve(&show_m3ua_cmd);
	install_element(ENABLE_NODE, &m3ua_asp_admin_cmd);
}
