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
	/* Hunting without a walk over every CIC: a bit per CIC, 64 to a
	 * word. idle: set when the circuit's call became idle (configured,
	 * isup_cic_set_idle), cleared lazily when a hunt meets it busy; a
	 * set bit is only a candidate (usable_out decides), so a circuit
	 * that went busy unseen costs one look. ctl: the CICs this side
	 * controls (Q.764 2.10.1.4), from the glare rule. */
	uint64_t *idle, *ctl;
	unsigned words;
};

static void ctl_rebuild(struct isup_cic_table *t)
{
	memset(t->ctl, 0, t->words * sizeof(*t->ctl));
	for (unsigned i = 0; i <= t->max_cic; i++)
		if (isup_cic_we_control(t, i))
			t->ctl[i / 64] |= 1ull << (i % 64);
}

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
	t->words = (t->max_cic + 64) / 64;
	t->idle = talloc_zero_array(t, uint64_t, t->words);
	t->ctl = talloc_zero_array(t, uint64_t, t->words);
	if (!t->c || !t->idle || !t->ctl) {
		talloc_free(t);
		return NULL;
	}
	for (unsigned i = 0; i <= t->max_cic; i++) {
		t->c[i].cic = (uint16_t)i;
		t->c[i].span = -1;
	}
	ctl_rebuild(t);
	return t;
}

void isup_cic_table_set_glare(struct isup_cic_table *t, enum isup_glare_rule rule)
{
	t->glare = rule;
	ctl_rebuild(t);
}

void isup_cic_set_idle(struct isup_cic_table *t, struct isup_cic *c)
{
	c->call = ISUP_CIC_IDLE;
	t->idle[c->cic / 64] |= 1ull << (c->cic % 64);
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
		t->idle[i / 64] |= 1ull << (i % 64);
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

/* The first usable CIC of the group from *cursor up, wrapping round (the
 * order a walk over every CIC would give), by the idle and ctl words. */
static struct isup_cic *hunt_group(struct isup_cic_table *t, bool ctl, unsigned *cursor, int except)
{
	unsigned start = *cursor % (t->max_cic + 1), w0 = start / 64;

	/* word w0 twice: its bits from the cursor up first, below it last */
	for (unsigned n = 0; n <= t->words; n++) {
		unsigned w = (w0 + n) % t->words;
		uint64_t bits = t->idle[w] & (ctl ? t->ctl[w] : ~t->ctl[w]);

		if (n == 0)
			bits &= ~0ull << (start % 64);
		else if (n == t->words)
			bits &= (1ull << (start % 64)) - 1;
		while (bits) {
			unsigned i = w * 64 + (unsigned)__builtin_ctzll(bits);
			struct isup_cic *c = &t->c[i];

			bits &= bits - 1;
			if (c->call != ISUP_CIC_IDLE || !c->configured) {
				t->idle[w] &= ~(1ull << (i % 64)); /* busy: until set idle */
				continue;
			}
			if ((int)i == except || !isup_cic_usable_out(c))
				continue; /* blocked or resetting: stays a candidate */
			*cursor = (i + 1) % (t->max_cic + 1);
			return c;
		}
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
