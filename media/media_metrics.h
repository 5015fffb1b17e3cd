/* The media workers' figures for /metrics (core/metrics.h). */
#pragma once

struct media_engine;

int media_metrics_register(struct media_engine *e);
