/* The metrics registry and the text exposition format (Prometheus 0.0.4). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/metrics.h"

#define METRICS_MAX_COLLECTORS 32

static struct {
	tandem_metrics_collect_cb cb;
	void *priv;
} collectors[METRICS_MAX_COLLECTORS];
static unsigned n_collectors;

struct tandem_metrics_out {
	char *buf;
	size_t len, cap;
	bool err;
};

int tandem_metrics_register(tandem_metrics_collect_cb cb, void *priv)
{
	for (unsigned i = 0; i < n_collectors; i++)
		if (collectors[i].cb == cb && collectors[i].priv == priv)
			return 0;
	if (n_collectors == METRICS_MAX_COLLECTORS)
		return -ENOMEM;
	collectors[n_collectors].cb = cb;
	collectors[n_collectors].priv = priv;
	n_collectors++;
	return 0;
}

void tandem_metrics_unregister(tandem_metrics_collect_cb cb, void *priv)
{
	for (unsigned i = 0; i < n_collectors; i++) {
		if (collectors[i].cb != cb || collectors[i].priv != priv)
			continue;
		memmove(&collectors[i], &collectors[i + 1],
			(n_collectors - i - 1) * sizeof(collectors[0]));
		n_collectors--;
		return;
	}
}

static void put(struct tandem_metrics_out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 16384;
		char *b;

		while (o->len + n + 1 > cap)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (!b) {
			o->err = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct tandem_metrics_out *o, const char *s)
{
	put(o, s, strlen(s));
}

void tandem_metrics_family(struct tandem_metrics_out *o, const char *name, const char *type,
			   const char *help)
{
	puts_(o, "# HELP ");
	puts_(o, name);
	puts_(o, " ");
	/* HELP escapes only backslash and line feed */
	for (const char *s = help; *s; s++) {
		if (*s == '\\')
			puts_(o, "\\\\");
		else if (*s == '\n')
			puts_(o, "\\n");
		else
			put(o, s, 1);
	}
	puts_(o, "\n# TYPE ");
	puts_(o, name);
	puts_(o, " ");
	puts_(o, type);
	puts_(o, "\n");
}

void tandem_metrics_sample(struct tandem_metrics_out *o, const char *name, double value, ...)
{
	const char *k;
	char num[64];
	bool first = true;
	va_list ap;

	puts_(o, name);
	va_start(ap, value);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		puts_(o, first ? "{" : ",");
		first = false;
		puts_(o, k);
		puts_(o, "=\"");
		for (const char *s = v ? v : ""; *s; s++) {
			if (*s == '\\')
				puts_(o, "\\\\");
			else if (*s == '"')
				puts_(o, "\\\"");
			else if (*s == '\n')
				puts_(o, "\\n");
			else
				put(o, s, 1);
		}
		puts_(o, "\"");
	}
	va_end(ap);
	if (!first)
		puts_(o, "}");
	if (isnan(value))
		snprintf(num, sizeof(num), " NaN\n");
	else if (isinf(value))
		snprintf(num, sizeof(num), " %s\n", value > 0 ? "+Inf" : "-Inf");
	else if (value == (double)(int64_t)value && fabs(value) < 9e15)
		snprintf(num, sizeof(num), " %lld\n", (long long)value);
	else
		snprintf(num, sizeof(num), " %.17g\n", value);
	puts_(o, num);
}

char *tandem_metrics_render(size_t *len)
{
	struct tandem_metrics_out o = {0};

	for (unsigned i = 0; i < n_collectors; i++)
		collectors[i].cb(&o, collectors[i].priv);
	put(&o, "", 0);
	if (o.err) {
		free(o.buf);
		return NULL;
	}
	if (len)
		*len = o.len;
	return o.buf;
}
