/* Prometheus metrics (text exposition format 0.0.4): a registry that each
 * layer fills with its own collector, rendered on demand for /metrics
 * (core/metrics_http.c) and for tests. core/ knows no metric names: the
 * layers choose them (tandem_<layer>_..., base units, _total on counters).
 *
 * A collector is called on the signalling thread for every scrape and
 * writes families and samples through the functions below. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct tandem_metrics_out;
struct loop;

typedef void (*tandem_metrics_collect_cb)(struct tandem_metrics_out *o, void *priv);

/* 0 or -ENOMEM. The same (cb, priv) twice is registered once. */
int tandem_metrics_register(tandem_metrics_collect_cb cb, void *priv);
void tandem_metrics_unregister(tandem_metrics_collect_cb cb, void *priv);

/* "# HELP" and "# TYPE" of a family: type is "counter", "gauge",
 * "histogram" or "untyped". Once per family per scrape. */
void tandem_metrics_family(struct tandem_metrics_out *o, const char *name, const char *type,
			   const char *help);
/* One sample: label names and values in pairs, ended by NULL; values are
 * escaped (\\, \", \n). A NULL value writes "". */
void tandem_metrics_sample(struct tandem_metrics_out *o, const char *name, double value, ...)
	__attribute__((sentinel));

/* Every collector's output in one malloc'd, NUL-terminated buffer (free()
 * it); NULL without memory. */
char *tandem_metrics_render(size_t *len);

/* The loop's own figures (turns, completions, buffers, timers). */
int loop_metrics_register(struct loop *l);

/* The /metrics HTTP endpoint (libmicrohttpd, its epoll descriptor polled by
 * the loop like libosmocore's). 0, -ENOTSUP when tandem was built without
 * libmicrohttpd, or -errno. Starting again moves it. */
int tandem_metrics_http_start(const char *addr, uint16_t port);
void tandem_metrics_http_stop(void);
/* Scrapes served, for the VTY. */
uint64_t tandem_metrics_http_scrapes(void);
