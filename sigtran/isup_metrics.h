/* ISUP's and M3UA's figures for /metrics (core/metrics.h). */
#pragma once

int isup_metrics_register(void);
int m3ua_metrics_register(void);
