/* Interworking metrics (iw_metrics.h). */
#include <stdio.h>
#include <string.h>

#include "core/metrics.h"
#include "interwork/iw_call.h"
#include "interwork/iw_cdr.h"
#include "interwork/iw_drain.h"
#include "interwork/iw_metrics.h"

static const char *const results[] = {"answered",  "busy",   "no-answer",
				      "cancelled", "failed", "advanced"};
#define N_RESULTS 6
/* index: circuit -> SIP adds 1, a PRI circuit side adds 2 (dir_index) */
static const char *const dirs[] = {"sip-isup", "isup-sip", "sip-pri", "pri-sip"};
#define N_DIRS 4

static unsigned dir_index(bool from_circuit, const char *circuit)
{
	return (from_circuit ? 1u : 0u) + (circuit && !strcmp(circuit, "pri") ? 2u : 0u);
}

/* Prometheus histogram: cumulative buckets, sum, count. */
struct histo {
	const double *le;
	unsigned n;
	uint64_t bucket[12];
	double sum;
	uint64_t count;
};

static const double jitter_le[] = {0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2};
static const double erle_le[] = {0, 6, 10, 20, 30, 40, 50};
static const double setup_le[] = {0.1, 0.25, 0.5, 1, 2, 5, 10, 30};

static struct {
	uint64_t calls[N_DIRS][N_RESULTS];
	uint64_t causes[N_DIRS][128];
	uint64_t sip[N_DIRS][700];
	uint64_t rtp_lost[N_DIRS];
	struct histo jitter, erle, setup;
} m = {
	.jitter = {.le = jitter_le, .n = 7},
	.erle = {.le = erle_le, .n = 7},
	.setup = {.le = setup_le, .n = 8},
};

static void observe(struct histo *h, double v)
{
	for (unsigned i = 0; i < h->n; i++)
		if (v <= h->le[i])
			h->bucket[i]++;
	h->sum += v;
	h->count++;
}

static void histo_out(struct tandem_metrics_out *o, const char *name, const char *help,
		      const struct histo *h)
{
	char bn[128], le[32];

	tandem_metrics_family(o, name, "histogram", help);
	snprintf(bn, sizeof(bn), "%s_bucket", name);
	for (unsigned i = 0; i < h->n; i++) {
		snprintf(le, sizeof(le), "%g", h->le[i]);
		tandem_metrics_sample(o, bn, (double)h->bucket[i], "le", le, NULL);
	}
	tandem_metrics_sample(o, bn, (double)h->count, "le", "+Inf", NULL);
	snprintf(bn, sizeof(bn), "%s_sum", name);
	tandem_metrics_sample(o, bn, h->sum, NULL);
	snprintf(bn, sizeof(bn), "%s_count", name);
	tandem_metrics_sample(o, bn, (double)h->count, NULL);
}

void iw_metrics_record(const struct iw_cdr_rec *r)
{
	const char *res = iw_cdr_result(r);
	unsigned d = dir_index(r->from_isup, r->circuit);

	for (unsigned i = 0; i < N_RESULTS; i++)
		if (!strcmp(res, results[i]))
			m.calls[d][i]++;
	if (!r->final)
		return;
	if (r->cause > 0 && r->cause < 128)
		m.causes[d][r->cause]++;
	if (r->sip_status >= 100 && r->sip_status < 700)
		m.sip[d][r->sip_status]++;
	if (r->answer.tv_sec)
		observe(&m.setup, (double)(r->answer.tv_sec - r->start.tv_sec) +
					  (double)(r->answer.tv_nsec - r->start.tv_nsec) / 1e9);
	if (r->have_media) {
		if (r->media.rtp_lost > 0)
			m.rtp_lost[d] += (uint64_t)r->media.rtp_lost;
		observe(&m.jitter, r->media.rtp_jitter_ms / 1000.0);
		if (r->media.have_ec && !r->media.ec_tone_disabled)
			observe(&m.erle, r->media.ec_erle_db);
	}
}

static void collect(struct tandem_metrics_out *o, void *priv)
{
	struct iw *iw = priv;
	const struct iw_stats *st = iw_get_stats(iw);
	const struct iw_cdr_stats *cs = iw_cdr_get_stats();
	static const char *const states[] = {"setup", "early", "active", "clearing"};
	unsigned active[N_DIRS][4] = {{0}};
	struct iw_call *c = NULL;
	char v[16];

	while ((c = iw_call_next(iw, c))) {
		struct iw_call_info ci;
		bool pri;

		iw_call_info(c, &ci);
		pri = ci.kind && !strcmp(ci.kind, "PRI");
		for (unsigned s = 0; s < 4; s++)
			if (!strcmp(ci.state, states[s]))
				active[dir_index(ci.from_isup, pri ? "pri" : "isup")][s]++;
	}
	tandem_metrics_family(o, "tandem_calls", "gauge", "Calls now by direction and state");
	for (unsigned d = 0; d < N_DIRS; d++)
		for (unsigned s = 0; s < 4; s++)
			tandem_metrics_sample(o, "tandem_calls", active[d][s], "direction", dirs[d],
					      "state", states[s], NULL);
	tandem_metrics_family(
		o, "tandem_calls_finished_total", "counter",
		"Call attempts ended, by direction and result (advanced: route advance "
		"went on to the next target)");
	for (unsigned d = 0; d < N_DIRS; d++)
		for (unsigned i = 0; i < N_RESULTS; i++)
			tandem_metrics_sample(o, "tandem_calls_finished_total",
					      (double)m.calls[d][i], "direction", dirs[d], "result",
					      results[i], NULL);
	tandem_metrics_family(o, "tandem_call_releases_total", "counter",
			      "Finished calls by direction and Q.850 cause");
	for (unsigned d = 0; d < N_DIRS; d++)
		for (unsigned k = 1; k < 128; k++)
			if (m.causes[d][k]) {
				snprintf(v, sizeof(v), "%u", k);
				tandem_metrics_sample(o, "tandem_call_releases_total",
						      (double)m.causes[d][k], "direction", dirs[d],
						      "cause", v, NULL);
			}
	tandem_metrics_family(o, "tandem_call_sip_final_total", "counter",
			      "Finished calls by direction and final SIP status");
	for (unsigned d = 0; d < N_DIRS; d++)
		for (unsigned k = 100; k < 700; k++)
			if (m.sip[d][k]) {
				snprintf(v, sizeof(v), "%u", k);
				tandem_metrics_sample(o, "tandem_call_sip_final_total",
						      (double)m.sip[d][k], "direction", dirs[d],
						      "status", v, NULL);
			}
	tandem_metrics_family(o, "tandem_calls_started_total", "counter",
			      "Calls started by direction");
	/* a call's circuit side is known once it holds a circuit: PRI calls
	 * are counted when their first circuit is a B channel (iw_call_attach_leg);
	 * a SIP call that never seized one stays under sip-isup, as its CDR */
	tandem_metrics_sample(o, "tandem_calls_started_total",
			      (double)(st->sip_to_isup - st->sip_to_pri), "direction", dirs[0],
			      NULL);
	tandem_metrics_sample(o, "tandem_calls_started_total",
			      (double)(st->isup_to_sip - st->pri_to_sip), "direction", dirs[1],
			      NULL);
	tandem_metrics_sample(o, "tandem_calls_started_total", (double)st->sip_to_pri, "direction",
			      dirs[2], NULL);
	tandem_metrics_sample(o, "tandem_calls_started_total", (double)st->pri_to_sip, "direction",
			      dirs[3], NULL);
	tandem_metrics_family(o, "tandem_route_failovers_total", "counter",
			      "Route advances to the next trunk or linkset");
	tandem_metrics_sample(o, "tandem_route_failovers_total", (double)st->failovers, NULL);
	tandem_metrics_family(o, "tandem_sipi_isup_received_total", "counter",
			      "SIP-I/SIP-T backward ISUP messages received encapsulated");
	tandem_metrics_sample(o, "tandem_sipi_isup_received_total", (double)st->sipi_rx, "result",
			      "used", NULL);
	tandem_metrics_sample(o, "tandem_sipi_isup_received_total", (double)st->sipi_bad, "result",
			      "malformed", NULL);
	tandem_metrics_family(o, "tandem_sip_redirect_targets_total", "counter",
			      "3xx Contact targets tried, or refused by trunk policy");
	tandem_metrics_sample(o, "tandem_sip_redirect_targets_total", (double)st->redirects,
			      "result", "tried", NULL);
	tandem_metrics_sample(o, "tandem_sip_redirect_targets_total", (double)st->redirects_refused,
			      "result", "refused", NULL);
	tandem_metrics_family(o, "tandem_sip_transfers_total", "counter",
			      "REFER transfers completed, or refused (trunk policy, target)");
	tandem_metrics_sample(o, "tandem_sip_transfers_total", (double)st->transfers, "result",
			      "done", NULL);
	tandem_metrics_sample(o, "tandem_sip_transfers_total", (double)st->transfers_refused,
			      "result", "refused", NULL);
	tandem_metrics_family(o, "tandem_enum_timeouts_total", "counter",
			      "ENUM lookups past their budget (the static route was used)");
	tandem_metrics_sample(o, "tandem_enum_timeouts_total", (double)st->enum_timeouts, NULL);
	tandem_metrics_family(o, "tandem_call_rtp_lost_packets_total", "counter",
			      "RTP packets lost (RFC 3550 A.3) in finished calls");
	for (unsigned d = 0; d < N_DIRS; d++)
		tandem_metrics_sample(o, "tandem_call_rtp_lost_packets_total",
				      (double)m.rtp_lost[d], "direction", dirs[d], NULL);
	histo_out(o, "tandem_call_setup_seconds", "From the call's start to its answer", &m.setup);
	histo_out(o, "tandem_call_jitter_seconds",
		  "RTP interarrival jitter (RFC 3550 A.8) at the end of each call with media",
		  &m.jitter);
	histo_out(o, "tandem_call_ec_erle_decibels",
		  "Echo return loss enhancement at the end of each call with an echo canceller",
		  &m.erle);
	tandem_metrics_family(o, "tandem_cdr_records_total", "counter", "CDR records written");
	tandem_metrics_sample(o, "tandem_cdr_records_total", (double)cs->records, NULL);
	tandem_metrics_family(o, "tandem_cdr_write_errors_total", "counter",
			      "CDR records the file did not take (logged whole instead)");
	tandem_metrics_sample(o, "tandem_cdr_write_errors_total", (double)cs->write_errors, NULL);
	tandem_metrics_family(o, "tandem_cdr_rotations_total", "counter", "CDR file rotations");
	tandem_metrics_sample(o, "tandem_cdr_rotations_total", (double)cs->rotations, NULL);
	tandem_metrics_family(o, "tandem_draining", "gauge",
			      "1 while 'shutdown graceful' drains the gateway");
	tandem_metrics_sample(o, "tandem_draining", iw_drain_active(), NULL);
}

int iw_metrics_register(struct iw *iw)
{
	return iw ? tandem_metrics_register(collect, iw) : 0;
}
