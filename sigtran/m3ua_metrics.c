/* M3UA figures for /metrics: ASP and AS states (one gauge per state, 1
 * for the current one, the Prometheus way of an enum), messages by class
 * and type, errors. */
#include "core/metrics.h"
#include "sigtran/isup_metrics.h"
#include "sigtran/m3ua_msg.h"
#include "sigtran/m3ua_vty.h"

static void collect(struct tandem_metrics_out *o, void *priv)
{
	static const char *const asp_states[] = {"down", "inactive", "active"};
	static const char *const as_states[] = {"down", "inactive", "active", "pending"};
	struct m3ua_vty_asp *a;
	struct m3ua_vty_as *as;

	(void)priv;
	tandem_metrics_family(o, "tandem_m3ua_asp_state", "gauge",
			      "M3UA ASP state (RFC 4666 4.3.1): 1 for the current one");
	llist_for_each_entry(a, &m3ua_vty_asps, list) if (a->asp)
	{
		enum m3ua_asp_state st = m3ua_asp_state(a->asp);

		for (unsigned i = 0; i < 3; i++)
			tandem_metrics_sample(o, "tandem_m3ua_asp_state",
					      st == (enum m3ua_asp_state)i, "asp", a->name, "state",
					      asp_states[i], NULL);
	}
	tandem_metrics_family(o, "tandem_m3ua_as_state", "gauge",
			      "M3UA AS state (RFC 4666 4.3.2): 1 for the current one");
	llist_for_each_entry(as, &m3ua_vty_ases, list) if (as->as)
	{
		enum m3ua_as_fsm_state st = m3ua_as_state(as->as);

		for (unsigned i = 0; i < 4; i++)
			tandem_metrics_sample(o, "tandem_m3ua_as_state",
					      st == (enum m3ua_as_fsm_state)i, "as", as->name,
					      "state", as_states[i], NULL);
	}
	tandem_metrics_family(o, "tandem_m3ua_messages_total", "counter",
			      "M3UA messages by ASP, direction, class and type");
	llist_for_each_entry(a, &m3ua_vty_asps, list) if (a->asp)
	{
		const struct m3ua_asp_stats *s = m3ua_asp_get_stats(a->asp);

		for (unsigned c = 0; c < 10; c++)
			for (unsigned t = 0; t < 8; t++) {
				if (s->rx[c][t])
					tandem_metrics_sample(
						o, "tandem_m3ua_messages_total",
						(double)s->rx[c][t], "asp", a->name, "direction",
						"rx", "class", m3ua_class_name((uint8_t)c), "type",
						m3ua_type_name((uint8_t)c, (uint8_t)t), NULL);
				if (s->tx[c][t])
					tandem_metrics_sample(
						o, "tandem_m3ua_messages_total",
						(double)s->tx[c][t], "asp", a->name, "direction",
						"tx", "class", m3ua_class_name((uint8_t)c), "type",
						m3ua_type_name((uint8_t)c, (uint8_t)t), NULL);
			}
	}
	tandem_metrics_family(o, "tandem_m3ua_errors_total", "counter",
			      "M3UA messages refused by ASP: malformed, other network appearance, "
			      "other routing context; ERR sent");
	llist_for_each_entry(a, &m3ua_vty_asps, list) if (a->asp)
	{
		const struct m3ua_asp_stats *s = m3ua_asp_get_stats(a->asp);

		tandem_metrics_sample(o, "tandem_m3ua_errors_total", (double)s->rx_bad, "asp",
				      a->name, "kind", "malformed", NULL);
		tandem_metrics_sample(o, "tandem_m3ua_errors_total", (double)s->rx_bad_na, "asp",
				      a->name, "kind", "network_appearance", NULL);
		tandem_metrics_sample(o, "tandem_m3ua_errors_total", (double)s->rx_bad_rc, "asp",
				      a->name, "kind", "routing_context", NULL);
		tandem_metrics_sample(o, "tandem_m3ua_errors_total", (double)s->rx_err_sent, "asp",
				      a->name, "kind", "err_sent", NULL);
	}
}

int m3ua_metrics_register(void)
{
	return tandem_metrics_register(collect, NULL);
}
