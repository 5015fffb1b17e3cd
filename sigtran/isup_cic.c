#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "sigtran/isup_cic.h"

struct isup_cic_table {
	uint32_t opc, dpc;
	bool ansi;
	enum isup_glare_rule glare;
	unsigned max_cic, count;
	struct isup_cic *c; /* indexed by CIC, max_cic + 1 entries */
	unsigned hunt_ctl, hunt_other;
};

struct isup_cic_table *isup_cic_table_alloc(void *ctx, uint32_t opc, uint32_t dpc, bool ansi)
{
	struct isup_cic_table *t = talloc_zero(ctx, struct isup_cic_table);

	if (!t)
		return NULL;
	t->opc = opc;
	t->dpc = dpc;
	t->ansi = ansi;
	t->max_cic = ansi ? ISUP_CIC_MAX_ANSI : ISUP_CIC_MAX_ITU;
	t->c = talloc_zero_array(t, struct isup_cic, t->max_cic + 1);
	if (!t->c) {
		talloc_free(t);
		return NULL;
	}
	for (unsigned i = 0; i <= t->max_cic; i++) {
		t->c[i].cic = (uint16_t)i;
		t->c[i].span = -1;
	}
	return t;
}

void isup_cic_table_set_glare(struct isup_cic_table *t, enum isup_glare_rule rule)
{
	t->glare = rule;
}

int isup_cic_add_range(struct isup_cic_table *t, unsigned first, unsigned last, int span,
		       unsigned first_ts)
{
	if (first > last || last > t->max_cic)
		return -ERANGE;
	if (span >= 0 && first_ts + (last - first) > 255)
		return -ERANGE;
	for (unsigned i = first; i <= last; i++)
		if (t->c[i].configured)
			return -EEXIST;
	for (unsigned i = first; i <= last; i++) {
		t->c[i].configured = true;
		t->c[i].span = (int16_t)span;
		t->c[i].timeslot = (uint8_t)(span >= 0 ? first_ts + (i - first) : 0);
	}
	t->count += last - first + 1;
	return 0;
}

struct isup_cic *isup_cic_get(struct isup_cic_table *t, unsigned cic)
{
	if (cic > t->max_cic || !t->c[cic].configured)
		return NULL;
	return &t->c[cic];
}

unsigned isup_cic_count(const struct isup_cic_table *t)
{
	return t->count;
}

struct isup_cic *isup_cic_next(struct isup_cic_table *t, const struct isup_cic *prev)
{
	for (unsigned i = prev ? prev->cic + 1u : 0; i <= t->max_cic; i++)
		if (t->c[i].configured)
			return &t->c[i];
	return NULL;
}

bool isup_cic_we_control(const struct isup_cic_table *t, unsigned cic)
{
	switch (t->glare) {
	case ISUP_GLARE_ALWAYS_WIN:
		return true;
	case ISUP_GLARE_ALWAYS_YIELD:
		return false;
	case ISUP_GLARE_EVEN_ODD:
		break;
	}
	/* Q.764 2.10.1.4 a): the exchange with the higher signalling point
	 * code controls all even-numbered circuits, the other the odd ones. */
	return (t->opc > t->dpc) == (cic % 2 == 0);
}

enum isup_glare_result isup_cic_glare(const struct isup_cic_table *t, unsigned cic)
{
	/* The controlling exchange completes its own call and disregards the
	 * IAM; the other backs off and makes an automatic repeat attempt. */
	return isup_cic_we_control(t, cic) ? ISUP_GLARE_KEEP_OURS : ISUP_GLARE_YIELD;
}

bool isup_cic_usable_out(const struct isup_cic *c)
{
	return c->configured && c->call == ISUP_CIC_IDLE && !c->blocked && !c->pending;
}

static struct isup_cic *hunt_group(struct isup_cic_table *t, bool ctl, unsigned *cursor, int except)
{
	for (unsigned n = 0; n <= t->max_cic; n++) {
		unsigned i = (*cursor + n) % (t->max_cic + 1);
		struct isup_cic *c = &t->c[i];

		if ((int)i == except || !isup_cic_usable_out(c) || isup_cic_we_control(t, i) != ctl)
			continue;
		*cursor = (i + 1) % (t->max_cic + 1);
		return c;
	}
	return NULL;
}

struct isup_cic *isup_cic_hunt(struct isup_cic_table *t, int except)
{
	struct isup_cic *c = hunt_group(t, true, &t->hunt_ctl, except);

	return c ? c : hunt_group(t, false, &t->hunt_other, except);
}

void isup_cic_summarise(struct isup_cic_table *t, unsigned first, unsigned last,
			struct isup_cic_summary *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned i = first; i <= last && i <= t->max_cic; i++) {
		const struct isup_cic *c = &t->c[i];

		if (!c->configured)
			continue;
		s->total++;
		if (c->call == ISUP_CIC_IDLE)
			s->idle++;
		else if (c->call == ISUP_CIC_IN_BUSY)
			s->in_busy++;
		else
			s->out_busy++;
		if (c->blocked & (ISUP_BLK_LOCAL_MAINT | ISUP_BLK_LOCAL_HW))
			s->local_blocked++;
		if (c->blocked & (ISUP_BLK_REMOTE_MAINT | ISUP_BLK_REMOTE_HW))
			s->remote_blocked++;
		if (c->pending & ISUP_PEND_RESET)
			s->resetting++;
	}
}
