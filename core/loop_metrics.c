/* The signalling loop's figures for /metrics: how busy the thread is
 * (turns, completions), buffer and send-slot use, pending timers. */
#include <stdio.h>

#include "core/loop.h"
#include "core/metrics.h"

/* NAME_total (all measured), NAME_over_total{seconds="0.01"...} and
 * NAME_max_seconds (the longest since start) */
static void late(struct tandem_metrics_out *o, const char *name, const char *what,
		 const struct loop_late *lt)
{
	char fam[96], help[160], over[16];

	snprintf(fam, sizeof(fam), "%s_total", name);
	tandem_metrics_family(o, fam, "counter", what);
	tandem_metrics_sample(o, fam, (double)lt->n, NULL);
	snprintf(fam, sizeof(fam), "%s_over_total", name);
	snprintf(help, sizeof(help), "%s, longer than 'seconds'", what);
	tandem_metrics_family(o, fam, "counter", help);
	for (unsigned i = 0; i < LOOP_LATE_STEPS; i++) {
		snprintf(over, sizeof(over), "%g", loop_late_ms[i] / 1000.0);
		tandem_metrics_sample(o, fam, (double)lt->over[i], "seconds", over, NULL);
	}
	snprintf(fam, sizeof(fam), "%s_max_seconds", name);
	snprintf(help, sizeof(help), "%s: the longest since start", what);
	tandem_metrics_family(o, fam, "gauge", help);
	tandem_metrics_sample(o, fam, (double)lt->max_ns / 1e9, NULL);
}

static void collect(struct tandem_metrics_out *o, void *priv)
{
	const struct loop_stats *s = loop_get_stats(priv);

	tandem_metrics_family(o, "tandem_loop_turns_total", "counter",
			      "Signalling loop iterations");
	tandem_metrics_sample(o, "tandem_loop_turns_total", (double)s->turns, NULL);
	tandem_metrics_family(o, "tandem_loop_completions_total", "counter",
			      "io_uring completions handled by the signalling loop");
	tandem_metrics_sample(o, "tandem_loop_completions_total", (double)s->cqes, NULL);
	tandem_metrics_family(o, "tandem_loop_udp_datagrams_total", "counter",
			      "UDP datagrams of the signalling loop by direction");
	tandem_metrics_sample(o, "tandem_loop_udp_datagrams_total", (double)s->udp_rx, "direction",
			      "rx", NULL);
	tandem_metrics_sample(o, "tandem_loop_udp_datagrams_total", (double)s->udp_tx, "direction",
			      "tx", NULL);
	tandem_metrics_family(
		o, "tandem_loop_buffer_exhausted_total", "counter",
		"Receives ended by an empty buffer ring, UDP sends without a free slot");
	tandem_metrics_sample(o, "tandem_loop_buffer_exhausted_total", (double)s->udp_enobufs,
			      "kind", "udp_rx", NULL);
	tandem_metrics_sample(o, "tandem_loop_buffer_exhausted_total", (double)s->tcp_enobufs,
			      "kind", "tcp_rx", NULL);
	tandem_metrics_sample(o, "tandem_loop_buffer_exhausted_total", (double)s->send_no_slot,
			      "kind", "udp_tx", NULL);
	tandem_metrics_family(o, "tandem_loop_rx_ring_lost_total", "counter",
			      "Receive buffer rings a trim could not register again");
	tandem_metrics_sample(o, "tandem_loop_rx_ring_lost_total", (double)s->rx_ring_lost, NULL);
	tandem_metrics_family(o, "tandem_loop_rx_parked", "gauge",
			      "Receives waiting for a lost buffer ring to be registered again");
	tandem_metrics_sample(o, "tandem_loop_rx_parked", (double)s->rx_parked_now, NULL);
	tandem_metrics_family(
		o, "tandem_loop_udp_icmp_errors_total", "counter",
		"ICMP errors for datagrams sent, read off the UDP sockets' error queues");
	tandem_metrics_sample(o, "tandem_loop_udp_icmp_errors_total", (double)s->udp_icmp_errors,
			      NULL);
	tandem_metrics_family(o, "tandem_loop_udp_tx_resent_total", "counter",
			      "UDP sends failed by another datagram's ICMP error, sent again");
	tandem_metrics_sample(o, "tandem_loop_udp_tx_resent_total", (double)s->udp_tx_resent, NULL);
	tandem_metrics_family(o, "tandem_loop_buffers_in_use", "gauge",
			      "Receive buffers and send slots in use");
	tandem_metrics_sample(o, "tandem_loop_buffers_in_use", s->udp_bufs_in_use, "kind", "udp_rx",
			      NULL);
	tandem_metrics_sample(o, "tandem_loop_buffers_in_use", s->tcp_bufs_in_use, "kind", "tcp_rx",
			      NULL);
	tandem_metrics_sample(o, "tandem_loop_buffers_in_use", s->send_slots_in_use, "kind",
			      "udp_tx", NULL);
	tandem_metrics_family(o, "tandem_loop_timers", "gauge",
			      "Timers pending on the signalling loop");
	tandem_metrics_sample(o, "tandem_loop_timers", s->timers_pending, NULL);
	late(o, "tandem_loop_turns_worked",
	     "Signalling loop turns measured (the work from the wait's end to the turn's end)",
	     &s->turn_work);
	late(o, "tandem_loop_sip_datagrams_waited",
	     "SIP datagrams measured (their wait in the socket before being handled)",
	     &s->udp_wait);
}

int loop_metrics_register(struct loop *l)
{
	return tandem_metrics_register(collect, l);
}
