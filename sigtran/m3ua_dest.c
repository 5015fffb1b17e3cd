/* Destination state from SSNM (RFC 4666 4.5). */
#include <stdlib.h>

#include "sigtran/m3ua_dest.h"
#include "sigtran/m3ua_asp.h"

struct m3ua_dest *m3ua_dests_find(struct m3ua_dests *t, uint32_t pc, uint8_t mask, bool create)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->d[i].pc == pc && t->d[i].mask == mask)
			return &t->d[i];
	if (!create)
		return NULL;
	if (t->n == t->cap) {
		unsigned limit = t->limit ? t->limit : M3UA_DEST_LIMIT;
		unsigned cap = t->cap ? t->cap * 2 : M3UA_DEST_INITIAL;
		struct m3ua_dest *nd;

		if (cap > limit)
			cap = limit;
		if (cap <= t->cap || !(nd = realloc(t->d, cap * sizeof(*nd)))) {
			t->refused++;
			return NULL;
		}
		t->d = nd;
		t->cap = cap;
	}
	t->d[t->n] = (struct m3ua_dest){.pc = pc, .mask = mask, .st = M3UA_DEST_AVAILABLE};
	return &t->d[t->n++];
}

const struct m3ua_dest *m3ua_dests_lookup(const struct m3ua_dests *t, uint32_t dpc)
{
	const struct m3ua_dest *best = NULL;

	for (unsigned i = 0; i < t->n; i++) {
		const struct m3ua_dest *d = &t->d[i];
		unsigned m = d->mask > 24 ? 24 : d->mask;

		if ((d->pc >> m) == ((dpc & 0xffffff) >> m) && (!best || d->mask < best->mask))
			best = d;
	}
	return best;
}

void m3ua_dests_gc(struct m3ua_dests *t)
{
	for (unsigned i = 0; i < t->n;) {
		struct m3ua_dest *d = &t->d[i];

		if (d->st == M3UA_DEST_AVAILABLE && !d->cong && !d->dupu)
			*d = t->d[--t->n];
		else
			i++;
	}
}

size_t m3ua_dests_audit_from(const struct m3ua_dests *t, unsigned *pos, uint8_t *apc, size_t size)
{
	size_t n = 0;
	unsigned i;

	for (i = *pos; i < t->n && n + 4 <= size; i++) {
		const struct m3ua_dest *d = &t->d[i];

		if (d->st != M3UA_DEST_UNAVAILABLE && !d->cong)
			continue;
		apc[n++] = d->mask;
		apc[n++] = (uint8_t)(d->pc >> 16);
		apc[n++] = (uint8_t)(d->pc >> 8);
		apc[n++] = (uint8_t)d->pc;
	}
	*pos = i;
	return n;
}

size_t m3ua_dests_audit(const struct m3ua_dests *t, uint8_t *apc, size_t size)
{
	unsigned pos = 0;

	return m3ua_dests_audit_from(t, &pos, apc, size);
}

void m3ua_dests_free(struct m3ua_dests *t)
{
	free(t->d);
	t->d = NULL;
	t->n = t->cap = 0;
}
