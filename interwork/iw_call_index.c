/* The calls indexed by SIP Call-ID and by circuit (linkset, CIC), beside
 * iw->by_id: a message captured for HEP or a trace finds its call in
 * constant time, not by walking every call (10,000 calls up, each SIP and
 * ISUP message captured). A call is in by_call_id once its Call-ID is set
 * and in by_cic once a circuit leg is attached; both move when the value
 * changes (a route advance to another linkset) and go when the call does. */
#include <string.h>

#include "interwork/iw_call_int.h"

/* FNV-1a, 32 bits: enough to spread Call-IDs and linkset names */
static uint32_t str_key(const char *s, uint32_t h)
{
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

static uint32_t cic_key(const char *linkset, unsigned cic)
{
	return str_key(linkset, 2166136261u ^ (cic * 2654435761u));
}

void iw_call_index_init(struct iw *iw)
{
	hash_init(iw->by_call_id);
	hash_init(iw->by_cic);
}

void iw_call_index_call_id(struct iw_call *c)
{
	hash_del(&c->call_id_node);
	if (c->call_id[0])
		hash_add(c->iw->by_call_id, &c->call_id_node, str_key(c->call_id, 2166136261u));
}

void iw_call_index_cic(struct iw_call *c)
{
	hash_del(&c->cic_node);
	hash_add(c->iw->by_cic, &c->cic_node, cic_key(c->linkset, c->cic));
}

void iw_call_unindex(struct iw_call *c)
{
	hash_del(&c->call_id_node);
	hash_del(&c->cic_node);
}

struct iw_call *iw_call_by_call_id(struct iw *iw, const char *call_id)
{
	struct iw_call *c;

	if (!call_id[0])
		return NULL;
	hash_for_each_possible(
		iw->by_call_id, c, call_id_node,
		str_key(call_id, 2166136261u)) if (!strcmp(c->call_id, call_id)) return c;
	return NULL;
}

/* an ISUP circuit's call (a PRI leg's linkset is its span group: no match
 * for an ISUP message) */
struct iw_call *iw_call_by_cic(struct iw *iw, const char *linkset, unsigned cic)
{
	struct iw_call *c;

	hash_for_each_possible(iw->by_cic, c, cic_node,
			       cic_key(linkset, cic)) if (c->isup_variant >= 0 && c->cic == cic &&
							  !strcmp(c->linkset, linkset)) return c;
	return NULL;
}

/* the call holding a media channel (an RTCP report for HEP, a traced RTP
 * packet) */
struct iw_call *iw_call_by_chan(struct iw *iw, uint32_t chan)
{
	struct iw_call *c;

	hash_for_each_possible(iw->by_chan, c, chan_node,
			       chan) if (c->have_chan && c->chan == chan) return c;
	return NULL;
}
