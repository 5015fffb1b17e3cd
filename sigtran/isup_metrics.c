/* ISUP figures for /metrics: circuits per linkset by state (what a CIC
 * grid shows), linkset availability, messages by type, call counters. */
#include "core/metrics.h"
#include "sigtran/isup_cic.h"
#include "sigtran/isup_metrics.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_vty.h"

static void collect(struct tandem_metrics_out *o, void *priv)
{
	struct isup_vty_linkset *ls;

	(void)priv;
	tandem_metrics_family(o, "tandem_isup_linkset_up", "gauge",
			      "1 when the linkset's signalling route is available (MTP-RESUME)");
	llist_for_each_entry(ls, &isup_vty_linksets, list) if (ls->link) tandem_metrics_sample(
		o, "tandem_isup_linkset_up", isup_link_is_up(ls->link), "linkset", ls->name, NULL);
	/* A circuit counts once per state it is in: a locally blocked busy
	 * circuit is in "busy_in" and "blocked_local" (Q.764 2.8.2: blocking
	 * leaves a call up). */
	tandem_metrics_family(
		o, "tandem_isup_circuits", "gauge",
		"Circuits of a linkset by state: idle, busy_in, busy_out, blocked_local, "
		"blocked_remote, resetting");
	llist_for_each_entry(ls, &isup_vty_linksets, list)
	{
		struct isup_cic_summary s = {0};

		if (!ls->link)
			continue;
		isup_cic_summarise(isup_link_cics(ls->link), 0, ISUP_CIC_MAX_ANSI, &s);
#define CIC(st, v)                                                                              \
	tandem_metrics_sample(o, "tandem_isup_circuits", (v), "linkset", ls->name, "state", st, \
			      NULL)
		CIC("idle", s.idle);
		CIC("busy_in", s.in_busy);
		CIC("busy_out", s.out_busy);
		CIC("blocked_local", s.local_blocked);
		CIC("blocked_remote", s.remote_blocked);
		CIC("resetting", s.resetting);
#undef CIC
	}
	tandem_metrics_family(o, "tandem_isup_messages_total", "counter",
			      "ISUP messages by linkset, direction and type");
	llist_for_each_entry(ls, &isup_vty_linksets, list)
	{
		const struct isup_link_stats *st;

		if (!ls->link)
			continue;
		st = isup_link_stats(ls->link);
		for (unsigned t = 0; t < 256; t++) {
			if (st->rx[t])
				tandem_metrics_sample(o, "tandem_isup_messages_total",
						      (double)st->rx[t], "linkset", ls->name,
						      "direction", "rx", "type",
						      isup_msg_type_name((uint8_t)t), NULL);
			if (st->tx[t])
				tandem_metrics_sample(o, "tandem_isup_messages_total",
						      (double)st->tx[t], "linkset", ls->name,
						      "direction", "tx", "type",
						      isup_msg_type_name((uint8_t)t), NULL);
		}
	}
	tandem_metrics_family(o, "tandem_isup_calls_total", "counter",
			      "ISUP calls by linkset and direction (in: IAM received)");
	llist_for_each_entry(ls, &isup_vty_linksets, list) if (ls->link)
	{
		const struct isup_link_stats *st = isup_link_stats(ls->link);

		tandem_metrics_sample(o, "tandem_isup_calls_total", (double)st->calls_in, "linkset",
				      ls->name, "direction", "in", NULL);
		tandem_metrics_sample(o, "tandem_isup_calls_total", (double)st->calls_out,
				      "linkset", ls->name, "direction", "out", NULL);
	}
	tandem_metrics_family(
		o, "tandem_isup_errors_total", "counter",
		"ISUP messages refused: malformed, unknown CIC, unexpected; dual seizures");
	llist_for_each_entry(ls, &isup_vty_linksets, list) if (ls->link)
	{
		const struct isup_link_stats *st = isup_link_stats(ls->link);

		tandem_metrics_sample(o, "tandem_isup_errors_total", (double)st->rx_bad, "linkset",
				      ls->name, "kind", "malformed", NULL);
		tandem_metrics_sample(o, "tandem_isup_errors_total", (double)st->rx_unknown_cic,
				      "linkset", ls->name, "kind", "unknown_cic", NULL);
		tandem_metrics_sample(o, "tandem_isup_errors_total", (double)st->rx_unexpected,
				      "linkset", ls->name, "kind", "unexpected", NULL);
		tandem_metrics_sample(o, "tandem_isup_errors_total", (double)st->glare, "linkset",
				      ls->name, "kind", "glare", NULL);
	}
}

int isup_metrics_register(void)
{
	return tandem_metrics_register(collect, NULL);
}
