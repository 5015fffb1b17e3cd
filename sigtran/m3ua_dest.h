/* What SSNM said about destinations (RFC 4666 4.5): one entry per point
 * code or masked group that is not plainly available. A plain table, no
 * I/O; an ASP keeps one per association. It grows as SSNM names more
 * destinations, up to a limit (an SG that names more is counted in
 * 'refused' and shown by `show m3ua`). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room made at first use, and the most entries kept: a whole ITU 14-bit
 * point code space. */
#define M3UA_DEST_INITIAL 64
#define M3UA_DEST_LIMIT	  16384

struct m3ua_dest {
	uint32_t pc;
	uint8_t mask;  /* RFC 4666 3.4.1: low bits of pc that are wildcards */
	uint8_t st;    /* enum m3ua_dest_state */
	uint8_t cong;  /* SCON level 0-3 */
	uint16_t dupu; /* one bit per SI whose user part is unavailable (DUPU) */
};

struct m3ua_dests {
	struct m3ua_dest *d; /* malloc'd, cap entries */
	unsigned n, cap;
	unsigned limit;	  /* 0: M3UA_DEST_LIMIT */
	uint64_t refused; /* entries not made: the limit was reached (or no memory) */
};

/* The entry for exactly (pc, mask); create: add it (available) when absent.
 * NULL when absent and not created, or the table is at its limit. */
struct m3ua_dest *m3ua_dests_find(struct m3ua_dests *t, uint32_t pc, uint8_t mask, bool create);
/* The entry that covers dpc: exact first, then the narrowest wildcard. */
const struct m3ua_dest *m3ua_dests_lookup(const struct m3ua_dests *t, uint32_t dpc);
/* Drop the entries that are plainly available again. */
void m3ua_dests_gc(struct m3ua_dests *t);
/* The Affected Point Code list of a DAUD (RFC 4666 4.5.3): the entries
 * unavailable or congested, 4 bytes each (mask, 24-bit PC), from entry
 * *pos on; *pos moves past the last one written, so that a long list goes
 * out in several DAUDs. Bytes written (0: nothing more). */
size_t m3ua_dests_audit_from(const struct m3ua_dests *t, unsigned *pos, uint8_t *apc, size_t size);
/* The same from the first entry. */
size_t m3ua_dests_audit(const struct m3ua_dests *t, uint8_t *apc, size_t size);
/* Free the entries (the table is empty and usable again after). */
void m3ua_dests_free(struct m3ua_dests *t);
