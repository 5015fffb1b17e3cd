/* The running ISUP linksets on M3UA (the MTP-3 user side, RFC 4666 1.4):
 * each configured linkset ("isup" node, isup_vty.c) becomes an isup_link
 * whose messages go out as M3UA DATA (SI 5) through its AS, and the AS's
 * DATA, state and SSNM indications (DUNA/DAVA pause and resume, SCON, DUPU)
 * come back to the linkset of their point codes; the CIC ranges' mapping
 * onto TDM spans and timeslots. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>

#include "core/log.h"
#include "core/loop.h"
#include "sigtran/isup_link_int.h"
#include "sigtran/isup_vty.h"
#include "sigtran/m3ua_vty.h"

unsigned isup_vty_layout_per_span(enum isup_vty_layout layout)
{
	switch (layout) {
	case ISUP_VTY_E1:
		return 31;
	case ISUP_VTY_E1_NO16:
		return 30;
	case ISUP_VTY_T1:
		return 24;
	case ISUP_VTY_TS_FROM:
		break;
	}
	return 0;
}

void isup_vty_range_map(const struct isup_vty_range *r, unsigned k, int *span, unsigned *ts)
{
	unsigned per = isup_vty_layout_per_span(r->layout), j;

	if (!per) {
		*span = r->span;
		*ts = r->ts + k;
		return;
	}
	*span = r->span + (int)(k / per);
	j = k % per;
	/* E1 timeslot 0 is framing; TS16 carries CAS where the span has it */
	*ts = r->layout == ISUP_VTY_E1_NO16 && j >= 15 ? j + 2 : j + 1;
}

/* --- running: the linksets on their ASPs --- */

static struct isup_vty_linkset *find_ls(const char *name)
{
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets,
			     list) if (!name || !strcmp(s->name, name)) return s;
	return NULL;
}

struct isup_link *isup_vty_link(const char *name)
{
	struct isup_vty_linkset *s = find_ls(name);

	return s ? s->link : NULL;
}

static size_t n_isup_tdefs(void)
{
	size_t n = 0;

	while (isup_tdefs[n].T)
		n++;
	return n + 1; /* with the terminating entry */
}

static int link_tx(void *priv, uint32_t opc, uint32_t dpc, uint8_t ni, uint8_t sls,
		   const uint8_t *buf, size_t len)
{
	struct isup_vty_linkset *s = priv;
	struct m3ua_pdata pd = {.opc = opc,
				.dpc = dpc,
				.si = 5,
				.ni = ni,
				.sls = sls,
				.data = buf,
				.data_len = len};

	if (!s->vas || !s->vas->as)
		return -ENOTCONN;
	/* DUPU for ISUP at the far end (RFC 4666 4.5.4, Q.764 2.13): no new call
	 * toward it; what belongs to calls in progress still goes */
	if (len > 2 && buf[2] == ISUP_MT_IAM && !m3ua_as_user_available(s->vas->as, dpc, 5)) {
		LOGP(DISUP, LOGL_NOTICE,
		     "linkset %s: ISUP at %u unavailable (DUPU): IAM not sent\n", s->name, dpc);
		return -EHOSTUNREACH;
	}
	return m3ua_as_transfer(s->vas->as, &pd);
}

/* AS user: hand each DATA to the linkset of its point codes. */
static void asp_state(void *priv, enum m3ua_asp_state st)
{
	struct m3ua_vty_as *a = priv;
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		if (s->vas != a || !s->link)
			continue;
		if (st == M3UA_ASP_S_ACTIVE && m3ua_as_dest_available(a->as, s->cfg.dpc))
			isup_link_up(s->link);
		else if (st != M3UA_ASP_S_ACTIVE)
			isup_link_down(s->link);
	}
}

static void asp_transfer(void *priv, const struct m3ua_pdata *pd)
{
	struct m3ua_vty_as *a = priv;
	struct isup_vty_linkset *s;

	if (pd->si != 5) {
		LOGP(DISUP, LOGL_INFO, "as %s: DATA for SI %u (not ISUP): discarded\n", a->name,
		     pd->si);
		return;
	}
	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		if (s->vas == a && s->link && pd->opc == s->cfg.dpc && pd->dpc == s->cfg.opc) {
			isup_link_rx(s->link, pd->opc, pd->data, pd->data_len);
			return;
		}
	}
	LOGP(DISUP, LOGL_NOTICE, "as %s: ISUP from %u to %u: no linkset for it, discarded\n",
	     a->name, pd->opc, pd->dpc);
}

static void asp_pause(void *priv, uint32_t dpc)
{
	struct m3ua_vty_as *a = priv;
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets,
			     list) if (s->vas == a && s->link && s->cfg.dpc == dpc)
		isup_link_down(s->link);
}

static void asp_resume(void *priv, uint32_t dpc)
{
	struct m3ua_vty_as *a = priv;
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets,
			     list) if (s->vas == a && s->link && s->cfg.dpc == dpc &&
				       m3ua_as_state(a->as) == M3UA_AS_S_ACTIVE)
		isup_link_up(s->link);
}

static void asp_congestion(void *priv, uint32_t dpc, unsigned level)
{
	struct m3ua_vty_as *a = priv;

	LOGP(DISUP, LOGL_NOTICE, "as %s: destination %u congestion level %u (MTP-STATUS)\n",
	     a->name, dpc, level);
}

static void asp_user_unavailable(void *priv, uint32_t dpc, uint8_t user, unsigned cause)
{
	struct m3ua_vty_as *a = priv;

	if (user == 5)
		LOGP(DISUP, LOGL_NOTICE,
		     "as %s: ISUP at %u unavailable (cause %u): no new calls toward it\n", a->name,
		     dpc, cause);
}

static const struct m3ua_asp_ops asp_ops = {
	.state = asp_state,
	.transfer = asp_transfer,
	.pause = asp_pause,
	.resume = asp_resume,
	.congestion = asp_congestion,
	.user_unavailable = asp_user_unavailable,
};

static struct loop *vty_loop;

/* A range into the linkset's CIC table: one run of consecutive timeslots
 * at a time (a span, or half of one around TS16). */
int isup_vty_range_add(struct isup_cic_table *t, const struct isup_vty_range *r)
{
	unsigned k = 0, n = r->last - r->first + 1;

	while (k < n) {
		unsigned ts, run = 1;
		int span, sp2;
		unsigned ts2;
		int rc;

		isup_vty_range_map(r, k, &span, &ts);
		while (k + run < n) {
			isup_vty_range_map(r, k + run, &sp2, &ts2);
			if (sp2 != span || ts2 != ts + run)
				break;
			run++;
		}
		rc = isup_cic_add_range(t, r->first + k, r->first + k + run - 1, span, ts);
		if (rc < 0)
			return rc;
		k += run;
	}
	return 0;
}

int isup_vty_start(void *ctx, struct loop *l, const struct isup_call_ops *ops, void *priv)
{
	struct isup_vty_linkset *s;
	int rc;

	vty_loop = l;
	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		s->vas = NULL;
		if (s->as_name ? !m3ua_vty_as_find(s->as_name)
			       : !s->asp_name || !m3ua_vty_asp_find(s->asp_name)) {
			fprintf(stderr, "tandemd: isup linkset %s: no sigtran %s '%s'\n", s->name,
				s->as_name ? "as" : "asp",
				s->as_name    ? s->as_name
				: s->asp_name ? s->asp_name
					      : "(none configured)");
			return -ENOENT;
		}
		/* the group's values ("timer isup"), then this linkset's own */
		s->tdefs =
			talloc_memdup(ctx, isup_tdefs, sizeof(struct osmo_tdef) * n_isup_tdefs());
		if (!s->tdefs)
			return -ENOMEM;
		for (unsigned i = 0; i < s->n_ovr; i++)
			osmo_tdef_set(s->tdefs, s->ovr[i].T, s->ovr[i].val, OSMO_TDEF_S);
		s->cfg.tdefs = s->tdefs;
		s->link = isup_link_alloc(ctx, &s->cfg, link_tx, s, ops, priv);
		if (!s->link)
			return -ENOMEM;
		for (unsigned i = 0; i < s->n_ranges; i++) {
			const struct isup_vty_range *r = &s->ranges[i];

			rc = isup_vty_range_add(isup_link_cics(s->link), r);
			if (rc < 0) {
				fprintf(stderr, "tandemd: isup linkset %s: cic %u %u: %s\n",
					s->name, r->first, r->last,
					rc == -ERANGE ? "outside the variant's CIC range"
						      : "overlaps another range");
				return rc;
			}
		}
	}
	rc = m3ua_vty_start(ctx, l, &asp_ops);
	if (rc < 0)
		return rc;
	/* "asp NAME": the AS that runs that ASP (its own, or a configured one) */
	llist_for_each_entry(s, &isup_vty_linksets, list) s->vas =
		s->as_name ? m3ua_vty_as_find(s->as_name) : m3ua_vty_asp_find(s->asp_name)->in_as;
	return 0;
}

void isup_vty_stop(void)
{
	struct isup_vty_linkset *s;

	m3ua_vty_stop(vty_loop);
	llist_for_each_entry(s, &isup_vty_linksets, list)
	{
		isup_link_free(s->link);
		s->link = NULL;
		s->vas = NULL;
		talloc_free(s->tdefs);
		s->tdefs = NULL;
	}
}
