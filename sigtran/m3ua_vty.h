/* M3UA ASPs and ASes as configured in the "sigtran" node, and running. */
#pragma once

#include <osmocom/core/linuxlist.h>

#include "sigtran/m3ua_as.h"
#include "sigtran/m3ua_asp.h"

struct loop;
struct m3ua_vty_as;

struct m3ua_vty_asp {
	struct llist_head list;
	char *name;
	struct m3ua_asp_cfg cfg;
	struct m3ua_asp *asp;	   /* running (owned by its AS) */
	struct m3ua_vty_as *in_as; /* running: the AS that runs it */
};

/* "as NAME" with its ASPs; an ASP named by no AS runs in an AS of its own
 * (same name, T(r) 0: its user hears of a loss at once, as before ASes). */
struct m3ua_vty_as {
	struct llist_head list;
	char *name;
	uint32_t traffic_mode; /* 1 override, 2 loadshare */
	int tr_ms;	       /* T(r); -1: the default */
	char *asp_names[M3UA_AS_MAX_ASP];
	unsigned n_asp;
	bool implicit;
	struct m3ua_as *as; /* running */
	struct osmo_tdef *tdefs;
};

extern struct llist_head m3ua_vty_asps;
extern struct llist_head m3ua_vty_ases;
void m3ua_vty_init(void);
struct m3ua_vty_asp *m3ua_vty_asp_find(const char *name);
/* configured (explicit) AS by name */
struct m3ua_vty_as *m3ua_vty_as_find(const char *name);
/* Start every AS and its ASPs; ops reach priv = the struct m3ua_vty_as.
 * 0 or -errno (the reason on stderr). */
int m3ua_vty_start(void *ctx, struct loop *l, const struct m3ua_asp_ops *ops);
/* Every ASP leaves (ASPIA, DEREG REQ, ASPDN) within a second, then all is freed. */
void m3ua_vty_stop(struct loop *l);
/* "show m3ua" and "m3ua asp NAME ..." (m3ua_vty_run.c; m3ua_vty_init calls it). */
void m3ua_vty_run_init(void);
