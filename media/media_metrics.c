/* Media figures for /metrics: per worker channels, packets, refusals,
 * kernel drops, overload and tick lateness (the worker's load). */
#include <stdio.h>

#include "core/metrics.h"
#include "media/media.h"
#include "media/media_metrics.h"

static void collect(struct tandem_metrics_out *o, void *priv)
{
	struct media_engine *e = priv;
	unsigned n = media_engine_workers(e);
	struct media_worker_stats ws[64];

	if (n > 64)
		n = 64;
	for (unsigned i = 0; i < n; i++)
		if (media_engine_worker_stats(e, i, &ws[i]) < 0)
			return;
#define EACH(name, type, help, expr)                                                        \
	do {                                                                                \
		tandem_metrics_family(o, name, type, help);                                 \
		for (unsigned i = 0; i < n; i++) {                                          \
			const struct media_worker_stats *s = &ws[i];                        \
			char wn[16];                                                        \
			snprintf(wn, sizeof(wn), "%u", i);                                  \
			tandem_metrics_sample(o, name, (double)(expr), "worker", wn, NULL); \
		}                                                                           \
	} while (0)
	EACH("tandem_media_channels", "gauge", "Media channels allocated on the worker", s->chans);
	EACH("tandem_media_rtp_received_packets_total", "counter", "RTP packets received",
	     s->rx_pkts);
	EACH("tandem_media_rtp_sent_packets_total", "counter", "RTP packets sent", s->tx_pkts);
	EACH("tandem_media_rtp_invalid_packets_total", "counter", "RTP packets malformed",
	     s->rx_bad);
	EACH("tandem_media_rtp_refused_packets_total", "counter",
	     "RTP/RTCP packets from a source not admitted (dropped)", s->rx_refused);
	EACH("tandem_media_rtp_timeouts_total", "counter", "Channels that stopped receiving RTP",
	     s->timeouts);
	EACH("tandem_media_kernel_drops_total", "counter",
	     "Datagrams the kernel dropped: the worker did not read them in time", s->kernel_drops);
	EACH("tandem_media_send_refused_total", "counter", "Sends refused for want of a slot",
	     s->send_refused);
	EACH("tandem_media_events_dropped_total", "counter",
	     "Events to the signalling thread dropped (queue full)", s->ev_dropped);
	EACH("tandem_media_overloads_total", "counter", "Times the worker became overloaded",
	     s->overloads);
	EACH("tandem_media_overloaded", "gauge", "1 while the worker is overloaded", s->overloaded);
	EACH("tandem_media_kept_socket_pairs", "gauge",
	     "RTP/RTCP socket pairs kept bound between calls", s->keep_now);
	EACH("tandem_media_kept_pairs_taken_total", "counter",
	     "Channels that took over a kept socket pair (no socket and bind)", s->keep_reused);
	EACH("tandem_media_tick_late_max_seconds", "gauge",
	     "Worst lateness of the worker's 20 ms tick in the last second",
	     s->late_max_ms / 1000.0);
#undef EACH
}

int media_metrics_register(struct media_engine *e)
{
	return e ? tandem_metrics_register(collect, e) : 0;
}
