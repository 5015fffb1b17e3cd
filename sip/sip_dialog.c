#include <errno.h>
#include <string.h>

#include <talloc.h>

#include "sip/sip_dialog.h"
#include "sip/sip_uri.h"

static char *dup_view(void *ctx, struct tstr s)
{
	return talloc_strndup(ctx, s.p ? s.p : "", s.len);
}

static struct sip_dialog *dialog_new(void *ctx, const struct sip_dialog_init *in, bool uac,
				     bool confirmed)
{
	struct sip_dialog *d = talloc_zero(ctx, struct sip_dialog);

	if (!d)
		return NULL;
	d->uac = uac;
	d->state = confirmed ? SIP_DIALOG_CONFIRMED : SIP_DIALOG_EARLY;
	d->call_id = dup_view(d, in->call_id);
	d->local_tag = dup_view(d, in->local_tag);
	d->remote_tag = dup_view(d, in->remote_tag);
	d->local_uri = dup_view(d, in->local_uri);
	d->remote_uri = dup_view(d, in->remote_uri);
	d->remote_target = dup_view(d, in->remote_target);
	d->secure = in->secure;
	d->n_routes = in->n_routes < SIP_DIALOG_MAX_ROUTES ? in->n_routes : SIP_DIALOG_MAX_ROUTES;
	for (unsigned i = 0; i < d->n_routes; i++) {
		/* 12.1.2: the UAC's route set is the Record-Route list reversed;
		 * 12.1.1: the UAS keeps the order */
		unsigned src = uac ? d->n_routes - 1 - i : i;

		d->routes[i] = dup_view(d, in->routes[src]);
	}
	if (uac) {
		d->local_cseq = in->cseq;
	} else {
		d->remote_cseq = in->cseq;
		/* 12.1.1: our first request's CSeq is ours to choose */
		d->local_cseq = 0;
	}
	return d;
}

struct sip_dialog *sip_dialog_uac(void *ctx, const struct sip_dialog_init *in, bool confirmed)
{
	return dialog_new(ctx, in, true, confirmed);
}

struct sip_dialog *sip_dialog_uas(void *ctx, const struct sip_dialog_init *in, bool confirmed)
{
	return dialog_new(ctx, in, false, confirmed);
}

bool sip_dialog_match(const struct sip_dialog *d, struct tstr call_id, struct tstr local_tag,
		      struct tstr remote_tag)
{
	return tstr_eq_cstr(call_id, d->call_id) && tstr_eq_cstr(local_tag, d->local_tag) &&
	       tstr_eq_cstr(remote_tag, d->remote_tag);
}

uint32_t sip_dialog_next_cseq(struct sip_dialog *d)
{
	/* 12.2.1.1: strictly increasing by one; 8.1.1.5: below 2**31 */
	d->local_cseq = (d->local_cseq + 1) & 0x7fffffffu;
	if (d->local_cseq == 0)
		d->local_cseq = 1;
	return d->local_cseq;
}

bool sip_dialog_rx_cseq(struct sip_dialog *d, uint32_t cseq)
{
	/* 12.2.2: lower than remembered: out of order (500); an empty remote
	 * sequence number (0) takes any value */
	if (d->remote_cseq && cseq < d->remote_cseq)
		return false;
	d->remote_cseq = cseq;
	return true;
}

int sip_dialog_set_target(struct sip_dialog *d, struct tstr contact)
{
	char *t;

	if (tstr_empty(contact))
		return -EINVAL;
	t = dup_view(d, contact);
	if (!t)
		return -ENOMEM;
	talloc_free(d->remote_target);
	d->remote_target = t;
	return 0;
}

static bool loose_router(const char *uri)
{
	struct sip_uri u;
	struct tstr v;

	/* a route that does not decode is taken as loose: its URI is then
	 * never put into the Request-URI */
	if (sip_uri_decode(tstr_make(uri, strlen(uri)), &u) < 0)
		return true;
	return sip_param_find(u.params, "lr", &v);
}

void sip_dialog_plan(const struct sip_dialog *d, struct sip_dialog_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->ruri = d->remote_target;
	p->next_hop = d->remote_target;
	if (!d->n_routes)
		return;
	p->next_hop = d->routes[0];
	if (loose_router(d->routes[0])) {
		for (unsigned i = 0; i < d->n_routes; i++)
			p->routes[p->n_routes++] = d->routes[i];
		return;
	}
	/* 12.2.1.1, strict router: its URI is the Request-URI, the remote
	 * target goes last in the Route list */
	p->strict = true;
	p->ruri = d->routes[0];
	for (unsigned i = 1; i < d->n_routes; i++)
		p->routes[p->n_routes++] = d->routes[i];
	p->routes[p->n_routes++] = d->remote_target;
}

void sip_dialog_confirm(struct sip_dialog *d)
{
	if (d->state == SIP_DIALOG_EARLY)
		d->state = SIP_DIALOG_CONFIRMED;
}

uint32_t sip_dialog_next_rseq(struct sip_dialog *d)
{
	if (d->unacked_rseq)
		return 0;
	/* RFC 3262 3: the first RSeq is random in 1..2**31-1; counting up
	 * from a value derived from our tag keeps tests reproducible */
	if (!d->local_rseq) {
		uint32_t h = 2166136261u;

		for (const char *p = d->local_tag; p && *p; p++)
			h = (h ^ (uint8_t)*p) * 16777619u;
		d->local_rseq = (h & 0x3fffffffu) + 1;
	} else {
		d->local_rseq++;
	}
	d->unacked_rseq = d->local_rseq;
	return d->local_rseq;
}

bool sip_dialog_prack_rx(struct sip_dialog *d, uint32_t rseq)
{
	if (!d->unacked_rseq || rseq != d->unacked_rseq)
		return false; /* RFC 3262 7.2: 481 for a PRACK matching nothing */
	d->unacked_rseq = 0;
	return true;
}

bool sip_dialog_rseq_rx(struct sip_dialog *d, uint32_t rseq)
{
	/* RFC 3262 4: the first sets the sequence; later ones must be the next */
	if (d->remote_rseq && rseq != d->remote_rseq + 1)
		return false;
	d->remote_rseq = rseq;
	return true;
}

/* --- RFC 4028 --- */

int sip_session_timer_uas(const struct sip_session_timer *req, bool uac_supports,
			  const struct sip_session_timer *local, struct sip_session_timer *out)
{
	uint32_t our_min = local->min_se < SIP_MIN_SE_FLOOR ? SIP_MIN_SE_FLOOR : local->min_se;
	uint32_t min_se = req->min_se > our_min ? req->min_se : our_min;

	memset(out, 0, sizeof(*out));
	out->min_se = min_se;
	if (req->interval) {
		/* 9: smaller than our minimum: reject with 422 */
		if (req->interval < our_min)
			return 422;
		out->interval = req->interval;
	} else if (local->interval) {
		/* 9: no Session-Expires: we may insert ours, not below Min-SE */
		out->interval = local->interval < min_se ? min_se : local->interval;
	} else {
		return 0;
	}
	/* 9: refresher as asked; unspecified: the UAC if it supports the
	 * extension, else us */
	if (req->refresher != SIP_REFRESHER_NONE &&
	    (uac_supports || req->refresher == SIP_REFRESHER_UAS))
		out->refresher = req->refresher;
	else
		out->refresher = uac_supports ? SIP_REFRESHER_UAC : SIP_REFRESHER_UAS;
	return 0;
}

void sip_session_timer_after_422(struct sip_session_timer *offer, uint32_t min_se)
{
	/* 7.4: retry with Session-Expires at least the Min-SE of the 422 */
	if (min_se > offer->min_se)
		offer->min_se = min_se;
	if (offer->interval < offer->min_se)
		offer->interval = offer->min_se;
}

uint32_t sip_session_refresh_at(const struct sip_session_timer *t)
{
	return t->interval / 2;
}

uint32_t sip_session_expire_at(const struct sip_session_timer *t)
{
	uint32_t third = t->interval / 3;

	return t->interval - (third < 32 ? third : 32);
}

uint32_t sip_glare_backoff_ms(bool call_id_owner, uint64_t rnd)
{
	uint64_t r = rnd >> 32; /* the high half: xorshift-style generators mix it best */

	return call_id_owner ? 2100 + (uint32_t)(r % 191) * 10 : (uint32_t)(r % 201) * 10;
}
