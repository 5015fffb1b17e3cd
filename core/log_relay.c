/* A worker thread's log lines, carried to the signalling thread through an
 * SPSC queue and emitted there with their own category, level and source
 * position. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>

#include <osmocom/core/talloc.h>

#include "core/log_relay.h"
#include "core/loop.h"
#include "core/spsc.h"

__thread struct log_relay *tandem_log_relay_self;

#define RELAY_TEXT 232

struct relay_line {
	const char *file; /* __FILE__: a string literal, valid everywhere */
	int line;
	int16_t subsys, level;
	char text[RELAY_TEXT];
};

struct log_relay {
	struct spsc *q;
	struct loop_wake *wake;
	_Atomic uint64_t dropped;
	uint64_t dropped_told;
};

static void relay_drain(void *priv)
{
	struct log_relay *r = priv;
	struct relay_line ln;
	uint64_t d;

	while (spsc_pop(r->q, &ln))
		LOGPSRC(ln.subsys, ln.level, ln.file, ln.line, "%s", ln.text);
	d = atomic_load_explicit(&r->dropped, memory_order_relaxed);
	if (d != r->dropped_told) {
		LOGPSRC(DLOOP, LOGL_ERROR, __FILE__, __LINE__,
			"worker log queue full: %llu line(s) lost\n",
			(unsigned long long)(d - r->dropped_told));
		r->dropped_told = d;
	}
}

struct log_relay *tandem_log_relay_alloc(void *ctx, struct loop *sig_loop, unsigned depth)
{
	struct log_relay *r = talloc_zero(ctx, struct log_relay);

	if (!r)
		return NULL;
	r->q = spsc_alloc(r, depth, sizeof(struct relay_line));
	r->wake = r->q ? loop_wake_alloc(sig_loop, relay_drain, r) : NULL;
	if (!r->wake) {
		talloc_free(r);
		return NULL;
	}
	return r;
}

void tandem_log_relay_free(struct log_relay *r)
{
	if (!r)
		return;
	relay_drain(r);
	loop_wake_free(r->wake);
	r->wake = NULL;
	talloc_free(r);
}

void tandem_log_relay_attach(struct log_relay *r)
{
	tandem_log_relay_self = r;
}

uint64_t tandem_log_relay_dropped(const struct log_relay *r)
{
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}

void tandem_log_relay_printf(struct log_relay *r, int subsys, int level, const char *file, int line,
			     const char *fmt, ...)
{
	struct relay_line ln = {.file = file, .line = line};
	va_list ap;
	int n;

	ln.subsys = (int16_t)subsys;
	ln.level = (int16_t)level;
	va_start(ap, fmt);
	n = vsnprintf(ln.text, sizeof(ln.text), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(ln.text))
		ln.text[sizeof(ln.text) - 2] = '\n'; /* cut, but still one line */
	if (!spsc_push(r->q, &ln)) {
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
		return;
	}
	loop_wake_signal(r->wake);
}
