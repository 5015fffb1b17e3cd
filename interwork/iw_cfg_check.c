/* Checks of a configuration after it was read (see iw_cfg_check.h). */
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>

#include "core/vty.h"
#include "interwork/iw_cdr_pg.h"
#include "interwork/iw_cfg_check.h"
#include "interwork/iw_route.h"
#include "interwork/iw_route_vty.h"
#include "media/media.h"
#include "sigtran/isup_vty.h"
#include "sip/sip_registrar.h"
#include "sip/sip_sec.h"
#include "sip/sip_trunk.h"

struct route_ctx {
	FILE *out;
	bool to_sip;
	unsigned problems;
};

static bool linkset_exists(const char *name)
{
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets, list) if (!strcmp(s->name, name)) return true;
	return false;
}

/* A PRI span as a route target: "spanN" for a span with "signalling pri". */
static bool pri_span_exists(const char *name)
{
	unsigned id;
	char rest;

	if (sscanf(name, "span%u%c", &id, &rest) != 1)
		return false;
	for (unsigned i = 0; i < media_vty_n_spans; i++)
		if (media_vty_spans[i].id == id && media_vty_spans[i].dchan_ts)
			return true;
	return false;
}

static int route_targets(const struct iw_route_rule *r, void *priv)
{
	struct route_ctx *c = priv;
	char prefix[48];

	snprintf(prefix, sizeof(prefix), "route %s %s", c->to_sip ? "to-sip" : "to-isup",
		 r->prefix[0] ? r->prefix : "default");
	for (unsigned i = 0; i < r->n_targets; i++) {
		const char *t = r->targets[i];

		if (c->to_sip ? sip_trunk_find(t) != NULL : linkset_exists(t) || pri_span_exists(t))
			continue;
		fprintf(c->out, "%s:%u: %s: no %s named %s\n", tandem_config_name(),
			tandem_config_find_line(prefix, t, 0), prefix,
			c->to_sip ? "SIP trunk" : "ISUP linkset or PRI span", t);
		c->problems++;
	}
	return 0;
}

/* Two CIC ranges (of one linkset or of two) on the same span timeslot, or
 * one CIC twice in a linkset: the voice of two calls in one timeslot. */
static unsigned timeslot_overlaps(FILE *out)
{
	const struct isup_vty_linkset *a, *b;
	unsigned n = 0, ai = 0;

	llist_for_each_entry(a, &isup_vty_linksets, list)
	{
		ai++;
		for (unsigned i = 0; i < a->n_ranges; i++) {
			const struct isup_vty_range *x = &a->ranges[i];
			unsigned x_end = x->ts + (x->last - x->first), bi = 0;

			llist_for_each_entry(b, &isup_vty_linksets, list)
			{
				if (++bi < ai)
					continue; /* each pair once: b is a or after it */
				for (unsigned j = 0; j < b->n_ranges; j++) {
					const struct isup_vty_range *y = &b->ranges[j];
					unsigned y_end = y->ts + (y->last - y->first);
					bool same = a == b;
					bool ts_clash = x->span == y->span && x->ts <= y_end &&
							y->ts <= x_end;
					bool cic_clash =
						same && x->first <= y->last && y->first <= x->last;
					char pfx[64];

					if (same && j <= i)
						continue;
					if (!ts_clash && !cic_clash)
						continue;
					snprintf(pfx, sizeof(pfx), "cic %u %u span %d", y->first,
						 y->last, y->span);
					fprintf(out,
						"%s:%u: linkset %s: cic %u-%u %s linkset %s's cic "
						"%u-%u\n",
						tandem_config_name(),
						tandem_config_find_line(pfx, NULL, 0), b->name,
						y->first, y->last,
						cic_clash ? "overlaps"
							  : "uses the same span timeslots as",
						a->name, x->first, x->last);
					n++;
				}
			}
		}
	}
	return n;
}

void iw_cfg_check(FILE *out, struct iw_cfg_check_res *res)
{
	struct route_ctx c = {.out = out};
	const struct iw_route_table *t;

	memset(res, 0, sizeof(*res));
	res->errors += timeslot_overlaps(out);
	res->errors += (unsigned)sip_sec_cfg_check(out);
	res->errors += iw_cdr_pg_cfg_check(out);
	res->errors += (unsigned)sip_registrar_cfg_check(out);
	for (int dir = 0; dir < 2; dir++) {
		c.to_sip = dir == 0;
		t = iw_route_vty_table(c.to_sip);
		if (t)
			iw_route_foreach(t, route_targets, &c);
	}
	res->warnings += c.problems;
}
