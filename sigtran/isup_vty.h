/* The "isup" configuration node (linksets: variant, point codes, the M3UA
 * ASP that carries them, CIC ranges on TDM spans) and the ISUP show and
 * maintenance commands (isup_vty.c); the running linksets bound to their
 * ASPs and the CIC range mapping (isup_mtp.c). */
#pragma once

#include <osmocom/core/linuxlist.h>

#include "sigtran/isup_link.h"

struct loop;
struct m3ua_vty_as;
struct osmo_tdef;

/* Spans a CIC range may name (the media plane's span numbers). */
#define ISUP_VTY_MAX_SPAN 1023

/* How a range's CICs sit on its spans. */
enum isup_vty_layout {
	ISUP_VTY_TS_FROM, /* "span S timeslot T": one span, consecutive from T */
	ISUP_VTY_E1,	  /* "span A-B": timeslots 1..31 of each span in turn */
	ISUP_VTY_E1_NO16, /* "span A-B e1-no-ts16": 1..15, 17..31 (TS16 left to CAS) */
	ISUP_VTY_T1,	  /* "span A-B t1": 1..24 */
};

struct isup_vty_range {
	unsigned first, last;
	int span, span_last;
	unsigned ts;
	enum isup_vty_layout layout;
};

/* isup_mtp.c: timeslots of one span a layout uses (0 for ISUP_VTY_TS_FROM), and where
 * CIC number k (0-based) of a range lands: span and timeslot. */
unsigned isup_vty_layout_per_span(enum isup_vty_layout layout);
void isup_vty_range_map(const struct isup_vty_range *r, unsigned k, int *span, unsigned *ts);
/* Put a range's circuits into a CIC table: 0 or -errno (isup_cic_add_range). */
int isup_vty_range_add(struct isup_cic_table *t, const struct isup_vty_range *r);

struct isup_vty_linkset {
	struct llist_head list;
	char *name;
	char *asp_name; /* "asp NAME": the AS that runs that ASP */
	char *as_name;	/* "as NAME" */
	struct isup_link_cfg cfg;
	struct isup_vty_range *ranges; /* talloc array, grown by "cic" */
	unsigned n_ranges;
	uint8_t *cic_map; /* bit per CIC 0..16383 already in a range (overlap check) */
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
/* isup_mtp.c: start every configured M3UA ASP and every linkset on it; calls reach ops.
 * 0 or -errno (with the reason on stderr). */
int isup_vty_start(void *ctx, struct loop *l, const struct isup_call_ops *ops, void *priv);
void isup_vty_stop(void);
struct isup_link *isup_vty_link(const char *name); /* NULL: the first one */
