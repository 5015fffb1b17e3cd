/* SIP's figures for /metrics (core/metrics.h). */
#pragma once

struct sip_ua;

int sip_metrics_register(struct sip_ua *ua);
