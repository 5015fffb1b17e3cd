/* ISUP figures for /metrics: circuits per linkset by state (what a CIC
 * grid shows), linkset availability, messages by type, call counters. */
#include "core/metrics.h"
#include "sigtran/isup_cic.h"
#include "sigtran/isup_metrics.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_vty.h"

/* circuits in reset (available false) or free for a new call (true) */
static unsigned count(struct isup_link *l, bool available)
{
	struct isup_cic_table *t = isup_link_cics(l);
	struct isup_cic *c = NULL;
	unsigned n = 0;

	while ((c = isup_cic_next(t, c))) {
		bool resetting = c->pending & ISUP_PEND_RESET;

		if (!c->configured)
			continue;
		if (available ? !resetting && c->call == ISUP_CIC_IDLE && !c->blocked : resetting)
			n++;
	}
	return n;
}

static void collect(struct tandem_metrics_out *o, void *priv)
{
	struct isup_vty_linkset *ls;

	(void)priv;
	tandem_metrics_family(o, "tandem_isup_linkset_up", "gauge",
			      "1 when the linkset's signalling route is available (MTP-RESUME)");
	llist_for_each_entry(ls, &isup_vty_linksets, list) if (ls->link) tandem_metrics_sample(
		o, "tandem_isup_linkset_up", isup_link_is_up(ls->link), "linkset", ls->name, NULL);
	/* Call state (idle, busy_in, busy_out: each circuit in one, they sum
	 * to the configured circuits); blocking and reset apart, as a blocked
	 * circuit may still carry its call (Q.764 2.8.2); "available": idle,
	 * unblocked, not resetting, what a new call can seize. */
	tandem_metrics_family(o, "tandem_isup_circuits", "gauge",
			      "Circuits of a linkset by call state: idle, busy_in, busy_out");
	llist_for_each_entry(ls, &isup_vty_linksets, list)
	{
		struct isup_cic_summary s = {0};

		if (!ls->link)
			continue;
		isup_cic_summarise(isup_link_cics(ls->link), 0, ISUP_CIC_MAX_ANSI, &s);
		tandem_metrics_sample(o, "tandem_isup_circuits", s.idle, "linkset", ls->name,
				      "state", "idle", NULL);
		tandem_metrics_sample(o, "tandem_isup_circuits", s.in_busy, "linkset", ls->name,
				      "state", "busy_in", NULL);
		tandem_metrics_sample(o, "tandem_isup_circuits", s.out_busy, "linkset", ls->name,
				      "state", "busy_out", NULL);
	}
	tandem_metrics_family(o, "tandem_isup_circuits_blocked", "gauge",
			      "Circuits of a linkset blocked (maintenance or hardware) by side: "
			      "local (we blocked), remote (the peer did)");
	llist_for_each_entry(ls, &isup_vty_linksets, list)
	{
		struct isup_cic_summary s = {0};

		if (!ls->link)
			continue;
		isup_cic_summarise(isup_link_cics(ls->link), 0, ISUP_CIC_MAX_ANSI, &s);
		tandem_metrics_sample(o, "tandem_isup_circuits_blocked", s.local_blocked, "linkset",
				      ls->name, "side", "local", NULL);
		tandem_metrics_sample(o, "tandem_isup_circuits_blocked", s.remote_blocked,
				      "linkset", ls->name, "side", "remote", NULL);
	}
	tandem_metrics_family(o, "tandem_isup_circuits_resetting", "gauge",
			      "Circuits of a linkset awaiting the acknowledgement of a reset");
	llist_for_each_entry(ls, &isup_vty_linksets, list) if (ls->link)
		tandem_metrics_sample(o, "tandem_isup_circuits_resetting", count(ls->link, false),
				      "linkset", ls->name, NULL);
	tandem_metrics_family(o, "tandem_isup_circuits_available", "gauge",
			      "Circuits of a linkset a new call can take: idle, unblocked, not "
			      "resetting");
	llist_for_each_entry(ls, &isup_vty_linksets, list) if (ls->link)
		tandem_metrics_sample(o, "tandem_isup_circuits_available", count(ls->link, true),
				      "linkset", ls->name, NULL);
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
