/* A token bucket for things that must not flood: log lines about refused
 * requests, answers to strangers. n tokens come back every per_ms, at most
 * burst are held, and the bucket is full when first used. It also counts
 * what it held back since it last let one through, so the next line can
 * say "(N lines held back)". The caller passes the time (a loop's clock in
 * ms), which keeps it testable; not thread-safe. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct throttle_cfg {
	unsigned n;	 /* tokens back every per_ms; 0: no limit */
	unsigned per_ms; /* 0 is taken as 1000 (n a second) */
	unsigned burst;	 /* tokens held at most (at least 1) */
};

struct throttle {
	bool used;
	uint64_t ms;	  /* the last refill */
	uint64_t credit;  /* n per ms; a token costs per_ms */
	unsigned held;	  /* refused since the last one let through */
	uint64_t passed;  /* all let through */
	uint64_t refused; /* all held back */
};

/* Takes a token at now_ms: true if there was one. On true and with
 * held_back not NULL, *held_back gets the refusals since the last true
 * (then the count restarts). */
bool tandem_throttle_take(struct throttle *t, const struct throttle_cfg *cfg, uint64_t now_ms,
			  unsigned *held_back);
