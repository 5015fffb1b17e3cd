/* The binding table of a registered trunk (RFC 3261 10.3), pure. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "sip/sip_acl.h"
#include "sip/sip_registrar.h"
#include "sip/sip_uri.h"

static int find(const struct sip_reg_table *t, struct tstr uri)
{
	/* RFC 3261 10.3 step 7: Contacts compare by 19.1.4 URI equality (a
	 * PBX may change the case of the host or the order of parameters) */
	for (unsigned i = 0; i < t->n; i++)
		if (sip_uri_equal(tstr_make(t->b[i].contact, strlen(t->b[i].contact)), uri))
			return (int)i;
	return -1;
}

static void copy(char *dst, size_t size, struct tstr s)
{
	size_t n = s.len < size - 1 ? s.len : size - 1;

	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
}

static bool same_call_id(const struct sip_reg_binding *b, struct tstr cid)
{
	return strlen(b->call_id) == cid.len && !memcmp(b->call_id, cid.p, cid.len);
}

/* 10.3 step 7: the same Call-ID with a CSeq not above the binding's is an
 * old or reordered request: it must not undo a newer one */
static bool out_of_order(const struct sip_reg_binding *b, const struct sip_reg_request *rq)
{
	return same_call_id(b, rq->call_id) && rq->cseq <= b->cseq;
}

static void drop(struct sip_reg_table *t, unsigned i)
{
	t->b[i] = t->b[--t->n];
}

static int fail(struct sip_reg_outcome *out, int status, const char *why)
{
	out->why = why;
	return status;
}

int sip_reg_apply(struct sip_reg_table *t, const struct sip_reg_request *rq,
		  const struct sip_reg_limits *lim, uint64_t now, struct sip_reg_outcome *out)
{
	long exp[SIP_REG_MAX_BINDINGS];
	unsigned fresh = 0;

	memset(out, 0, sizeof(*out));
	sip_reg_expire(t, now);
	if (rq->star) {
		/* 10.3 step 6: "*" only alone and with Expires: 0 */
		if (rq->n || rq->expires_hdr != 0)
			return fail(out, 400, "Contact: * needs Expires: 0 and no other Contact");
		for (unsigned i = 0; i < t->n; i++)
			if (out_of_order(&t->b[i], rq))
				return fail(out, 500, "CSeq not above the binding's");
		out->removed = t->n;
		t->n = 0;
		return 0;
	}
	if (rq->n > SIP_REG_MAX_BINDINGS)
		return fail(out, 503, "too many Contacts");
	/* first check everything: a refused request changes nothing */
	for (unsigned k = 0; k < rq->n; k++) {
		const struct sip_reg_contact *c = &rq->c[k];
		long e = c->expires >= 0	? c->expires
			 : rq->expires_hdr >= 0 ? rq->expires_hdr
						: (long)lim->def_expires;
		int i = find(t, c->uri);

		if (!c->uri.len || c->uri.len >= SIP_REG_URI_MAX)
			return fail(out, 400, "Contact URI empty or too long");
		if (e > 0 && (unsigned long)e < lim->min_expires) {
			out->min_expires = lim->min_expires;
			return fail(out, 423, "interval too brief");
		}
		if (lim->max_expires && (unsigned long)e > lim->max_expires)
			e = (long)lim->max_expires;
		exp[k] = e;
		if (i >= 0 && out_of_order(&t->b[i], rq))
			return fail(out, 500, "CSeq not above the binding's");
		if (i < 0 && e > 0) {
			/* a Contact twice in one request binds once */
			bool dup = false;

			for (unsigned j = 0; j < k; j++)
				dup |= rq->c[j].uri.len == c->uri.len &&
				       !memcmp(rq->c[j].uri.p, c->uri.p, c->uri.len);
			fresh += !dup;
		}
	}
	if (t->n + fresh > SIP_REG_MAX_BINDINGS)
		return fail(out, 503, "binding table full");
	for (unsigned k = 0; k < rq->n; k++) {
		const struct sip_reg_contact *c = &rq->c[k];
		int i = find(t, c->uri);
		struct sip_reg_binding *b;

		if (exp[k] == 0) {
			if (i >= 0) {
				drop(t, (unsigned)i);
				out->removed++;
			}
			continue;
		}
		if (i >= 0) {
			b = &t->b[i];
			out->refreshed++;
		} else {
			b = &t->b[t->n++];
			memset(b, 0, sizeof(*b));
			copy(b->contact, sizeof(b->contact), c->uri);
			b->since = now;
			out->added++;
		}
		copy(b->call_id, sizeof(b->call_id), rq->call_id);
		copy(b->user_agent, sizeof(b->user_agent), rq->user_agent);
		b->cseq = rq->cseq;
		b->expires_at = now + (uint64_t)exp[k];
		b->q = c->q;
		b->proto = rq->proto;
		b->src_len = 0;
		if (rq->src && rq->src_len <= sizeof(b->src)) {
			memcpy(&b->src, rq->src, rq->src_len);
			b->src_len = rq->src_len;
		}
	}
	return 0;
}

unsigned sip_reg_expire(struct sip_reg_table *t, uint64_t now)
{
	unsigned gone = 0;

	for (unsigned i = 0; i < t->n;) {
		if (t->b[i].expires_at <= now) {
			drop(t, i);
			gone++;
		} else {
			i++;
		}
	}
	return gone;
}

uint64_t sip_reg_next_expiry(const struct sip_reg_table *t)
{
	uint64_t e = 0;

	for (unsigned i = 0; i < t->n; i++)
		if (!e || t->b[i].expires_at < e)
			e = t->b[i].expires_at;
	return e;
}

const struct sip_reg_binding *sip_reg_best(const struct sip_reg_table *t, uint64_t now)
{
	const struct sip_reg_binding *best = NULL;

	for (unsigned i = 0; i < t->n; i++) {
		const struct sip_reg_binding *b = &t->b[i];
		int q = b->q < 0 ? 1000 : b->q, bq;

		if (b->expires_at <= now)
			continue;
		if (!best) {
			best = b;
			continue;
		}
		bq = best->q < 0 ? 1000 : best->q;
		if (q > bq || (q == bq && b->since > best->since))
			best = b;
	}
	return best;
}

bool sip_reg_has_source(const struct sip_reg_table *t, const struct sockaddr *src, int proto,
			uint64_t now)
{
	uint8_t a[16], b[16];
	int fa, fb;
	uint16_t pa, pb;

	if (sip_acl_addr(src, a, &fa, &pa) < 0)
		return false;
	for (unsigned i = 0; i < t->n; i++) {
		const struct sip_reg_binding *x = &t->b[i];

		if (x->expires_at <= now || !x->src_len || (proto >= 0 && (int)x->proto != proto) ||
		    sip_acl_addr((const struct sockaddr *)&x->src, b, &fb, &pb) < 0)
			continue;
		/* the source address and port: behind a NAT the port is the
		 * PBX's mapping, and another port on that address is someone
		 * else */
		if (fa == fb && pa == pb && !memcmp(a, b, fa == AF_INET ? 4 : 16))
			return true;
	}
	return false;
}
