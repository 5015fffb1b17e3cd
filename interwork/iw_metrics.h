/* The interworking layer's figures for /metrics (core/metrics.h): calls
 * by direction and state now, finished calls by result, cause and SIP
 * status (counted from the CDR records), call media quality histograms,
 * CDR file counters, drain state. */
#pragma once

struct iw;
struct iw_cdr_rec;

int iw_metrics_register(struct iw *iw);
/* Count one CDR record (iw_cdr_write calls this, file or not). */
void iw_metrics_record(const struct iw_cdr_rec *r);
