/* Destination state from SSNM (RFC 4666 4.5). */
#include "sigtran/m3ua_dest.h"
#include "sigtran/m3ua_asp.h"

struct m3ua_dest *m3ua_dests_find(struct m3ua_dests *t, uint32_t pc, uint8_t mask, bool create)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->d[i].pc == pc && t->d[i].mask == mask)
			return &t->d[i];
	if (!create || t->n == M3UA_MAX_DEST)
		return NULL;
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

size_t m3ua_dests_audit(const struct m3ua_dests *t, uint8_t *apc, size_t size)
{
	size_t n = 0;

	for (unsigned i = 0; i < t->n && n + 4 <= size; i++) {
		const struct m3ua_dest *d = &t->d[i];

		if (d->st != M3UA_DEST_UNAVAILABLE && !d->cong)
			continue;
		apc[n++] = d->mask;
		apc[n++] = (uint8_t)(d->pc >> 16);
		apc[n++] = (uint8_t)(d->pc >> 8);
		apc[n++] = (uint8_t)d->pc;
	}
	return n;
}
