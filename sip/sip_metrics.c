/* SIP figures for /metrics: trunk states and calls, user agent counters. */
#include <string.h>

#include "core/metrics.h"
#include "sip/sip_metrics.h"
#include "sip/sip_registrar.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"

static void collect(struct tandem_metrics_out *o, void *priv)
{
	/* sip_trunk_state_name()'s words, as label values */
	static const char *const states[] = {"up", "down", "in use", "unknown"};
	static const char *const labels[] = {"up", "down", "in_use", "unknown"};
	const struct sip_ua_stats *s = sip_ua_get_stats(priv);
	struct sip_trunk *t;

	tandem_metrics_family(
		o, "tandem_sip_trunk_state", "gauge",
		"SIP trunk state as 'show sip trunks' says it: 1 for the current one");
	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		const char *cur = sip_trunk_state_name(t);

		for (unsigned i = 0; i < 4; i++)
			tandem_metrics_sample(o, "tandem_sip_trunk_state", !strcmp(cur, states[i]),
					      "trunk", t->name, "state", labels[i], NULL);
	}
	tandem_metrics_family(o, "tandem_sip_trunk_options_rtt_seconds", "gauge",
			      "Round trip of the last OPTIONS keep-alive the trunk answered");
	llist_for_each_entry(t, &sip_cfg.trunks, list) if (t->options_interval && t->options_rtt_us)
		tandem_metrics_sample(o, "tandem_sip_trunk_options_rtt_seconds",
				      t->options_rtt_us / 1e6, "trunk", t->name, NULL);
	tandem_metrics_family(o, "tandem_sip_trunk_calls", "gauge", "Calls on the SIP trunk now");
	llist_for_each_entry(t, &sip_cfg.trunks, list) tandem_metrics_sample(
		o, "tandem_sip_trunk_calls", t->calls, "trunk", t->name, NULL);
	tandem_metrics_family(o, "tandem_sip_trunk_calls_max", "gauge",
			      "The trunk's limit of concurrent calls (0: none)");
	llist_for_each_entry(t, &sip_cfg.trunks, list) tandem_metrics_sample(
		o, "tandem_sip_trunk_calls_max", t->max_calls, "trunk", t->name, NULL);
	tandem_metrics_family(o, "tandem_sip_messages_received_total", "counter",
			      "SIP messages received: requests, responses, invalid");
	tandem_metrics_sample(o, "tandem_sip_messages_received_total", (double)s->rx_requests,
			      "kind", "request", NULL);
	tandem_metrics_sample(o, "tandem_sip_messages_received_total", (double)s->rx_responses,
			      "kind", "response", NULL);
	tandem_metrics_sample(o, "tandem_sip_messages_received_total", (double)s->rx_invalid,
			      "kind", "invalid", NULL);
	tandem_metrics_family(o, "tandem_sip_stateless_replies_total", "counter",
			      "Requests answered without a transaction (refusals)");
	tandem_metrics_sample(o, "tandem_sip_stateless_replies_total", (double)s->stateless_replies,
			      NULL);
	tandem_metrics_family(o, "tandem_sip_legs_total", "counter", "SIP call legs by direction");
	tandem_metrics_sample(o, "tandem_sip_legs_total", (double)s->legs_in, "direction", "in",
			      NULL);
	tandem_metrics_sample(o, "tandem_sip_legs_total", (double)s->legs_out, "direction", "out",
			      NULL);
	tandem_metrics_family(o, "tandem_sip_legs_active", "gauge", "SIP call legs now");
	tandem_metrics_sample(o, "tandem_sip_legs_active", (double)s->legs_active, NULL);
	tandem_metrics_family(o, "tandem_sip_forks_ended_total", "counter",
			      "2xx of another fork after the first one: ACKed and ended by BYE");
	tandem_metrics_sample(o, "tandem_sip_forks_ended_total", (double)s->forks_ended, NULL);
	tandem_metrics_family(o, "tandem_sip_callers_unreachable_total", "counter",
			      "Incoming calls ended because our responses to the INVITE could not "
			      "reach the caller (refused by ICMP twice, or the transport failed)");
	tandem_metrics_sample(o, "tandem_sip_callers_unreachable_total", (double)s->uas_unreachable,
			      NULL);
	sip_registrar_metrics(o);
}

int sip_metrics_register(struct sip_ua *ua)
{
	return ua ? tandem_metrics_register(collect, ua) : 0;
}
