/* The "isup" configuration node (linksets: variant, point codes, the M3UA
 * ASP that carries them, CIC ranges on TDM spans), the running linksets
 * bound to their ASPs, and the ISUP show and maintenance commands. */
#pragma once

#include <osmocom/core/linuxlist.h>

#include "sigtran/isup_link.h"

struct loop;
struct m3ua_vty_as;
struct osmo_tdef;

struct isup_vty_range {
	unsigned first, last;
	int span;
	unsigned ts;
};

struct isup_vty_linkset {
	struct llist_head list;
	char *name;
	char *asp_name; /* "asp NAME": the AS that runs that ASP */
	char *as_name;	/* "as NAME" */
	struct isup_link_cfg cfg;
	struct isup_vty_range ranges[32];
	unsigned n_ranges;
	/* "timer TNNNN VAL" in the linkset node: over the "timer isup" values */
	struct {
		int T;
		unsigned long val;
	} ovr[24];
	unsigned n_ovr;
	struct osmo_tdef *tdefs; /* running: the group's values with the overrides */
	struct isup_link *link;	 /* running */
	struct m3ua_vty_as *vas; /* running */
};

extern struct llist_head isup_vty_linksets;
void isup_vty_init(void);
/* Start every configured M3UA ASP and every linkset on it; calls reach ops.
 * 0 or -errno (with the reason on stderr). */
int isup_vty_start(void *ctx, struct loop *l, const struct isup_call_ops *ops, void *priv);
void isup_vty_stop(void);
struct isup_link *isup_vty_link(const char *name); /* NULL: the first one */
