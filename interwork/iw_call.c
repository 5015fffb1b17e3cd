/* The interworking call (RFC 3398 for plain SIP trunks):
 *
 *   ISUP -> SIP: IAM -> E.164 -> route -> INVITE with our SDP offer;
 *                180 -> ACM (subscriber free; ringback toward TDM unless
 *                early media), 183 -> ACM/CPG with in-band information,
 *                200 -> ANM (CON when no ACM went), failures -> REL with the
 *                mapped cause (Reason: Q.850 wins), BYE -> REL 16.
 *   SIP -> ISUP: INVITE -> route -> seize a CIC (glare rules) -> IAM;
 *                ACM -> 180 (183 with in-band information), ANM/CON -> 200
 *                with our SDP answer, REL -> final error or BYE with
 *                Reason: Q.850, CANCEL/BYE -> REL 16.
 *
 * The media channel joins the circuit's timeslot to RTP as soon as both
 * ends are known (early media included). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <osmocom/core/hashtable.h>
#include <osmocom/core/linuxlist.h>
#include <talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "interwork/iw_call.h"
#include "interwork/iw_cdr.h"
#include "interwork/iw_cause.h"
#include "interwork/iw_enum_dns.h"
#include "interwork/iw_sipi.h"
#include "interwork/iw_trust.h"
#include "media/media.h"
#include "sip/sdp.h"
#include "sip/sip_hdr.h"
#include "sip/sip_mime.h"
#include "sip/sip_trunk.h"
#include "sip/sip_uri.h"
#include "sigtran/isup_vty.h"
#include "sip/sip_ua.h"

#define LOGCALL(c, lvl, fmt, args...)                                   \
	LOGP(DIW, lvl, "call %u (CIC %u, %s): " fmt, (c)->id, (c)->cic, \
	     (c)->leg ? sip_leg_call_id((c)->leg) : "-", ##args)

#define IW_MAX_COT	32
#define IW_MAX_LINKSETS 32

/* what a linkset carries now, for its admission limits */
struct iw_link_load {
	const struct isup_link *l;
	unsigned calls, cps_count;
	uint64_t cps_window_ms;
};

/* a circuit looped back for the far end's continuity check */
struct iw_cot {
	bool in_use;
	unsigned cic;
	int span;
	uint32_t chan;
};

struct iw {
	void *ctx;
	struct iw_cfg cfg;
	struct media_engine *media;
	struct sip_ua *ua;
	iw_route_cb route;
	void *route_priv;
	struct loop *loop;
	struct iw_enum *en;
	struct iw_cot cot[IW_MAX_COT];
	struct iw_link_load links[IW_MAX_LINKSETS];
	struct loop_timer stats_timer; /* asks the workers for the calls' media figures */
	struct llist_head calls;
	/* calls by media channel id: the workers' events (stats every 2 s for
	 * each call, RTP timeouts, digits) find their call without a scan */
	DECLARE_HASHTABLE(by_chan, 12);
	unsigned next_id;
	struct iw_stats st;
};

enum iw_call_state {
	IW_S_SETUP,   /* routing, INVITE or IAM out */
	IW_S_EARLY,   /* alerting / progress */
	IW_S_ACTIVE,  /* answered */
	IW_S_CLEARING /* one side is gone */
};

static const char *const state_names[] = {"setup", "early", "active", "clearing"};

typedef char iw_alt_name[32]; /* a trunk or linkset name (route advance) */

struct iw_call {
	struct llist_head list;
	struct hlist_node chan_node; /* in iw->by_chan while have_chan */
	struct iw *iw;
	unsigned id;
	bool from_isup;
	enum iw_call_state state;
	struct isup_call *isup;
	struct isup_link *link;
	unsigned cic;
	struct sip_leg *leg;
	struct sip_trunk *trunk;
	char trunk_name[32];
	char linkset[32];
	char call_id[96];
	char called[48], calling[48];
	bool calling_restricted;
	bool calling_asserted; /* from P-Asserted-Identity */
	unsigned max_forwards; /* ISUP -> SIP: from the IAM's hop counter (0: 70) */
	/* media */
	uint32_t chan;
	bool have_chan, media_up, tone_on;
	bool chan_left; /* the channel went with the circuit (circuit_left) */
	int span;
	unsigned ts;
	struct sdp_prefs prefs;
	struct sdp_local local;
	char local_addr[64];
	struct sdp_agreed agreed;
	bool agreed_ok;
	/* our offer (ISUP -> SIP) or answer (SIP -> ISUP), talloc'd at its size */
	char *sdp;
	int sdp_len;
	bool acm_sent;
	time_t start, answer_time;
	struct sip_trunk *counted_trunk;   /* holds one of the trunk's calls */
	struct iw_link_load *counted_link; /* and one of the linkset's */
	unsigned attempts;		   /* targets tried (route advance) */
	struct isup_call_spec *spec;	   /* SIP -> ISUP: the IAM, for the next linkset */
	/* SIP -> ISUP: the caller's SDP offer, kept for route advance until
	 * the call is answered (talloc'd at its size, then freed) */
	char *offer;
	size_t offer_len;
	/* for the CDR line */
	int cause;	   /* Q.850 cause of the release, 0: none yet */
	uint8_t cause_loc; /* its Q.850 location in a REL toward ISUP */
	int sip_status;	   /* final status on the SIP side (200 answered) */
	struct timespec t_start;
	struct timespec t_answer; /* CLOCK_REALTIME, for the CDR file */
	const char *rel_side;	  /* who released first: "isup", "sip" (NULL: we did) */
	/* ENUM lookup budget: past it the static route is used */
	struct loop_timer enum_timer;
	/* the busy or congestion tone before the REL (tones-on-failure) */
	struct loop_timer fail_timer;
	/* the trunk's max-call-duration, from the answer */
	struct loop_timer dur_timer;
	time_t ss7_down_since; /* the circuit's signalling route is down since (0: up) */
	/* route advance: the trunks or linksets still to try, and what the
	 * INVITE carried */
	iw_alt_name *alt; /* IW_ROUTE_ALT_MAX of them, talloc'd; freed once answered */
	unsigned n_alt, next_alt;
	char number[48];
	char *ruri_sent; /* talloc'd */
	bool ruri_fixed; /* from ENUM: keep it on the next trunk */
	/* SIP -> ISUP: the calling party came in a SIP-I IAM (kept as it is);
	 * a diverted call's numbers (E.164), written per linkset */
	bool calling_from_sipi;
	char redir_e164[48], ocn_e164[48];
	char np_rn[48]; /* RFC 4694 routing number of the Request-URI, "" none */
	/* the IAM as received, for a SIP-I/SIP-T INVITE body and the
	 * redirection headers; talloc'd at its size, freed once answered */
	uint8_t *iam;
	int iam_len;
	/* ENUM lookup before the INVITE */
	bool enum_pending;
	struct sip_trunk *enum_trunk;
	char enum_number[48];
	/* the other exchange cancels echo on this call (echo-control network) */
	bool ec_off;
	/* the channel's last figures (MEDIA_EV_STATS), for show calls */
	struct media_chan_stats mst;
	bool have_mst;
};

/* Largest SDP we build (ours: a few codecs, one media line). */
#define IW_SDP_MAX 2048

/* Keep n bytes of SDP from buf as the call's own (NUL-terminated); n < 0
 * (the encoder failed) leaves the call's SDP as it was. Returns n or < 0. */
static int sdp_keep(struct iw_call *c, const char *buf, int n)
{
	char *p;

	if (n < 0)
		return n; /* the one we had stays */
	p = talloc_strndup(c, buf, (size_t)n);
	if (!p)
		return -ENOMEM;
	talloc_free(c->sdp);
	c->sdp = p;
	c->sdp_len = n;
	return n;
}

/* Route targets as the routing layer gave them (route advance). */
static int alt_set(struct iw_call *c, const struct iw_route_res *rr)
{
	if (!c->alt)
		c->alt = talloc_zero_array(c, iw_alt_name, IW_ROUTE_ALT_MAX);
	if (!c->alt)
		return -ENOMEM;
	memcpy(c->alt, rr->alt, sizeof(rr->alt));
	c->n_alt = rr->n_alt;
	return 0;
}

/* Answered: route advance is over; what only it needed goes. */
static void call_answered_trim(struct iw_call *c)
{
	TALLOC_FREE(c->alt);
	c->n_alt = c->next_alt = 0;
	TALLOC_FREE(c->spec);
	TALLOC_FREE(c->offer);
	c->offer_len = 0;
	TALLOC_FREE(c->iam);
	c->iam_len = 0;
}

static void call_maybe_free(struct iw_call *c);
static void trunk_take(struct iw_call *c, struct sip_trunk *t);
static void link_take(struct iw_call *c, const struct isup_link *l);
static int seize(struct iw_call *c);
static int media_move(struct iw_call *c);
static void circuit_left(struct iw_call *c);
static void call_end(struct iw_call *c, uint8_t cause);
static void history_to_isup(struct iw_call *c, const struct sip_msg *invite,
			    struct isup_call_spec *spec);

#define IW_STATS_PERIOD_US 2000000

/* Q.764 2.13: while the circuit's signalling route is down the call stays;
 * past ss7-outage-hold it ends (cause 38 network out of order: the SIP side
 * gets a BYE with that Reason; the REL cannot leave while the route is
 * down and is repeated under the release supervision, T1/T5, once it is
 * back). Checked with the stats tick: a 2 s granularity. */
static void ss7_hold_check(struct iw_call *c)
{
	time_t now = time(NULL);

	if (!c->isup || !c->link || isup_link_is_up(c->link)) {
		c->ss7_down_since = 0;
		return;
	}
	if (!c->ss7_down_since) {
		c->ss7_down_since = now;
		return;
	}
	if (!c->iw->cfg.ss7_hold_s || now - c->ss7_down_since < (time_t)c->iw->cfg.ss7_hold_s)
		return;
	LOGCALL(c, LOGL_NOTICE, "signalling route down for %ld s (ss7-outage-hold): cause 38\n",
		(long)(now - c->ss7_down_since));
	call_end(c, 38);
}

/* Every 2 s the channels of calls with media report their figures
 * (show calls); a few hundred bytes per call through the event queue. */
static void stats_tick(void *priv)
{
	struct iw *iw = priv;
	struct iw_call *c, *n;

	llist_for_each_entry(c, &iw->calls, list) if (c->have_chan && c->media_up)
		media_chan_query(iw->media, c->chan);
	llist_for_each_entry_safe(c, n, &iw->calls, list) ss7_hold_check(c);
	loop_timer_schedule(iw->loop, &iw->stats_timer, IW_STATS_PERIOD_US);
}

struct iw *iw_alloc(void *ctx, const struct iw_cfg *cfg, struct loop *l, struct media_engine *media,
		    struct sip_ua *ua, iw_route_cb route, void *route_priv)
{
	struct iw *iw = talloc_zero(ctx, struct iw);

	if (!iw)
		return NULL;
	iw->ctx = ctx;
	iw->cfg = *cfg;
	if (!iw->cfg.tone_plan)
		iw->cfg.tone_plan = "itu";
	iw->media = media;
	iw->ua = ua;
	iw->loop = l;
	iw->route = route;
	iw->route_priv = route_priv;
	INIT_LLIST_HEAD(&iw->calls);
	hash_init(iw->by_chan);
	loop_timer_init(&iw->stats_timer, stats_tick, iw);
	loop_timer_schedule(l, &iw->stats_timer, IW_STATS_PERIOD_US);
	if (cfg->enum_servers && cfg->enum_servers[0]) {
		struct iw_enum_cfg ec = {.servers = cfg->enum_servers,
					 .suffix = cfg->enum_suffix,
					 .timeout_ms = cfg->enum_timeout_ms};

		iw->en = iw_enum_alloc(iw, l, &ec);
		if (!iw->en) {
			loop_timer_cancel(l, &iw->stats_timer);
			talloc_free(iw);
			return NULL;
		}
	}
	return iw;
}

void iw_free(struct iw *iw)
{
	struct iw_call *c, *n;

	if (!iw)
		return;
	llist_for_each_entry_safe(c, n, &iw->calls, list)
	{
		if (c->leg)
			sip_leg_detach(c->leg);
		c->leg = NULL;
		if (c->isup)
			isup_call_release(c->isup, ISUP_CAUSE_TEMPORARY_FAILURE);
		circuit_left(c);
		call_maybe_free(c);
	}
	iw_enum_free(iw->en);
	loop_timer_cancel(iw->loop, &iw->stats_timer);
	talloc_free(iw);
}

const struct iw_stats *iw_get_stats(const struct iw *iw)
{
	return &iw->st;
}

static struct iw_call *call_alloc(struct iw *iw, bool from_isup)
{
	struct iw_call *c = talloc_zero(iw, struct iw_call);

	if (!c)
		return NULL;
	c->iw = iw;
	c->id = ++iw->next_id;
	c->from_isup = from_isup;
	c->span = -1;
	c->start = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &c->t_start);
	llist_add_tail(&c->list, &iw->calls);
	iw->st.active++;
	if (from_isup)
		iw->st.isup_to_sip++;
	else
		iw->st.sip_to_isup++;
	return c;
}

/* The CDR file's record of an attempt (iw_cdr.c): the call's last one
 * (final), or one the route advanced past, with its own status or cause. */
static void cdr_record(const struct iw_call *c, bool final, int sip_status, int cause, int loc)
{
	struct iw_cdr_rec r = {
		.final = final,
		.call = c->id,
		.attempt = c->attempts ? c->attempts : 1,
		.from_isup = c->from_isup,
		.answer = final ? c->t_answer : (struct timespec){0},
		.calling_in = c->calling,
		.called_in = c->called,
		.calling_out = c->calling,
		.called_out = c->number[0] ? c->number : c->called,
		.ruri_out = c->ruri_sent,
		.linkset = c->linkset,
		.cic = c->cic,
		.span = c->span,
		.timeslot = c->span >= 0 ? (int)c->ts : -1,
		.trunk = c->trunk_name,
		.call_id = c->call_id,
		.cause = cause,
		.cause_loc = cause ? loc : -1,
		.sip_status = sip_status,
		.release_side = final ? c->rel_side : (c->from_isup ? "sip" : "isup"),
		.codec = c->agreed_ok ? sdp_codec_info(c->agreed.codec)->name : NULL,
		.ptime = c->agreed.tx_ptime ? c->agreed.tx_ptime : 20,
		.have_media = c->have_mst,
		.media = c->mst,
	};
	struct timespec mono;
	int64_t ns;

	clock_gettime(CLOCK_REALTIME, &r.end);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	/* the start in wall-clock time with ms, from the monotonic age */
	ns = (int64_t)(mono.tv_sec - c->t_start.tv_sec) * 1000000000 +
	     (mono.tv_nsec - c->t_start.tv_nsec);
	ns = (int64_t)r.end.tv_sec * 1000000000 + r.end.tv_nsec - ns;
	r.start.tv_sec = (time_t)(ns / 1000000000);
	r.start.tv_nsec = (long)(ns % 1000000000);
	iw_cdr_write(&r);
}

/* One line per finished call: directions, numbers, both sides' identities,
 * times, the cause and the SIP status. The channel's media figures follow
 * in a "media" line when the worker hands the channel back. */
static void cdr(const struct iw_call *c)
{
	struct timespec now;
	double setup_s, total_s;
	char start[32];
	struct tm tm;

	clock_gettime(CLOCK_MONOTONIC, &now);
	total_s = (double)(now.tv_sec - c->t_start.tv_sec) +
		  (double)(now.tv_nsec - c->t_start.tv_nsec) / 1e9;
	setup_s = c->answer_time ? (double)(c->answer_time - c->start) : total_s;
	gmtime_r(&c->start, &tm);
	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%SZ", &tm);
	LOGP(DCDR, LOGL_NOTICE,
	     "CDR call=%u dir=%s start=%s setup_s=%.0f answered=%s talk_s=%ld calling=%s%s "
	     "called=+%s linkset=%s cic=%u trunk=%s call_id=%s cause=%d sip=%d channel=%08x\n",
	     c->id, c->from_isup ? "isup-sip" : "sip-isup", start, setup_s,
	     c->answer_time ? "yes" : "no",
	     c->answer_time ? (long)(time(NULL) - c->answer_time) : 0L, c->calling[0] ? "+" : "",
	     c->calling, c->called, c->linkset[0] ? c->linkset : "-", c->cic,
	     c->trunk_name[0] ? c->trunk_name : "-", c->call_id[0] ? c->call_id : "-", c->cause,
	     c->sip_status, c->have_chan || c->chan_left ? c->chan : 0);
	cdr_record(c, true, c->sip_status, c->cause, c->cause_loc);
}

static void call_maybe_free(struct iw_call *c)
{
	if (c->isup || c->leg)
		return;
	if (c->enum_pending) {
		iw_enum_cancel(c->iw->en, c);
		c->enum_pending = false;
	}
	if (c->enum_timer.cb)
		loop_timer_cancel(c->iw->loop, &c->enum_timer);
	if (c->fail_timer.cb)
		loop_timer_cancel(c->iw->loop, &c->fail_timer);
	if (c->dur_timer.cb)
		loop_timer_cancel(c->iw->loop, &c->dur_timer);
	if (c->have_chan) {
		media_chan_free(c->iw->media, c->chan);
		hash_del(&c->chan_node);
	}
	trunk_take(c, NULL);
	link_take(c, NULL);
	cdr(c);
	llist_del(&c->list);
	c->iw->st.active--;
	talloc_free(c);
}

/* The circuit is left (REL sent or received): its timeslot goes back now,
 * not when the SIP side has cleared too. A span's channels live on one
 * worker whose commands run in order, so the next call seizing this CIC
 * finds the timeslot free (issue 13: re-seized CICs failed with "Device or
 * resource busy" while the last call's BYE was still out). */
static void circuit_left(struct iw_call *c)
{
	c->isup = NULL;
	if (!c->have_chan)
		return;
	media_chan_free(c->iw->media, c->chan);
	hash_del(&c->chan_node);
	c->have_chan = false;
	c->media_up = false;
	c->chan_left = true;
}

/* --- trunk limits (calls at once, calls per second) --- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Admission limits, the same for trunks and linksets: calls at once and
 * calls started in the current one-second window. */
static bool over_limit(unsigned calls, uint64_t window_ms, unsigned count, unsigned max_calls,
		       unsigned max_cps)
{
	if (max_calls && calls >= max_calls)
		return true;
	return max_cps && now_ms() - window_ms < 1000 && count >= max_cps;
}

static void count_call(unsigned *calls, uint64_t *window_ms, unsigned *count)
{
	uint64_t now = now_ms();

	(*calls)++;
	if (now - *window_ms >= 1000) {
		*window_ms = now;
		*count = 0;
	}
	(*count)++;
}

bool iw_trunk_over_limit(const struct sip_trunk *t)
{
	return over_limit(t->calls, t->cps_window_ms, t->cps_count, t->max_calls, t->max_cps);
}

/* A call starts on the trunk: counted until it ends (NULL). */
static void trunk_take(struct iw_call *c, struct sip_trunk *t)
{
	if (c->counted_trunk == t)
		return;
	if (c->counted_trunk)
		c->counted_trunk->calls--;
	c->counted_trunk = t;
	if (t)
		count_call(&t->calls, &t->cps_window_ms, &t->cps_count);
}

void iw_reconfigure(struct iw *iw, const struct iw_cfg *cfg)
{
	/* the ENUM resolver (servers, suffix, timeout) is made once, at start */
	iw->cfg.num = cfg->num;
	iw->cfg.tone_plan = cfg->tone_plan ? cfg->tone_plan : "itu";
	iw->cfg.ringback = cfg->ringback;
	iw->cfg.enum_budget_ms = cfg->enum_budget_ms;
	iw->cfg.max_attempts = cfg->max_attempts;
	iw->cfg.np_prefix = cfg->np_prefix;
	iw->cfg.numbering = cfg->numbering;
	iw->cfg.causes = cfg->causes;
	iw->cfg.ss7_hold_s = cfg->ss7_hold_s;
}

static unsigned max_attempts(const struct iw *iw)
{
	return iw->cfg.max_attempts ? iw->cfg.max_attempts : 3;
}

static struct iw_link_load *link_load(struct iw *iw, const struct isup_link *l, bool add)
{
	struct iw_link_load *free_slot = NULL;

	for (unsigned i = 0; i < IW_MAX_LINKSETS; i++) {
		if (iw->links[i].l == l)
			return &iw->links[i];
		if (!iw->links[i].l && !free_slot)
			free_slot = &iw->links[i];
	}
	if (add && free_slot)
		free_slot->l = l;
	return add ? free_slot : NULL;
}

/* The linkset is at its limit of calls at once or new calls per second. */
static bool link_over_limit(struct iw *iw, const struct isup_link *l)
{
	const struct isup_link_cfg *cfg = isup_link_cfg(l);
	const struct iw_link_load *ld = link_load(iw, l, false);

	return ld && over_limit(ld->calls, ld->cps_window_ms, ld->cps_count, cfg->max_calls,
				cfg->max_cps);
}

/* The call is carried on linkset l from now on (NULL: no longer). */
static void link_take(struct iw_call *c, const struct isup_link *l)
{
	struct iw_link_load *ld = l ? link_load(c->iw, l, true) : NULL;

	if (c->counted_link == ld)
		return;
	if (c->counted_link)
		c->counted_link->calls--;
	c->counted_link = ld;
	if (ld)
		count_call(&ld->calls, &ld->cps_window_ms, &ld->cps_count);
}

/* The final response rejecting an INVITE for an ISUP cause, through the
 * configured cause table (iw_cause_map_reject_status). */
static unsigned isup_to_sip(const struct iw *iw, uint8_t cause, uint8_t location)
{
	return (unsigned)iw_cause_map_reject_status(iw->cfg.causes, cause, location);
}

/* --- numbers --- */

/* ISUP number -> E.164 digits without '+' (iw_number: NOA, prefixes,
 * area code). -EINVAL for a number that has no E.164 reading (out holds the
 * digits as they came, for the log). */
/* The numbering context of a linkset or trunk: its own when configured,
 * else the gateway's. */
static const struct iw_number_ctx *num_ctx(const struct iw *iw, bool trunk, const char *name)
{
	const struct iw_number_ctx *n =
		iw->cfg.numbering && name && name[0] ? iw->cfg.numbering(trunk, name) : NULL;

	return n ? n : &iw->cfg.num;
}

static const struct iw_number_ctx *link_num(const struct iw_call *c, const struct isup_link *l)
{
	return num_ctx(c->iw, false, l ? isup_link_cfg(l)->name : NULL);
}

static const struct iw_number_ctx *trunk_num(const struct iw_call *c)
{
	return num_ctx(c->iw, true, c->trunk ? c->trunk->name : NULL);
}

static int isup_to_e164(const struct iw_number_ctx *num, const struct isup_number *n, char *out,
			size_t size)
{
	char buf[48];

	if (iw_number_to_e164(num, n->noa, n->digits, strlen(n->digits), buf, sizeof(buf)) > 0 &&
	    buf[0] == '+') {
		snprintf(out, size, "%s", buf + 1);
		return 0;
	}
	snprintf(out, size, "%s", n->digits);
	return -EINVAL;
}

/* E.164 (no '+') -> ISUP number: national inside our country code. */
static void e164_to_isup(const struct iw_number_ctx *num, const char *e164, struct isup_number *n)
{
	uint8_t noa = 4;

	memset(n, 0, sizeof(*n));
	n->npi = 1; /* E.164 */
	if (iw_number_from_e164(num, e164, strlen(e164), &noa, n->digits, sizeof(n->digits)) < 0) {
		noa = 4;
		snprintf(n->digits, sizeof(n->digits), "%s", e164);
	}
	n->noa = noa;
}

/* A Request-URI or From URI -> E.164 digits without '+'. */
static int uri_to_e164(const struct iw_number_ctx *num, struct tstr uri, char *out, size_t size)
{
	char buf[48];

	if (iw_number_from_uri(num, uri.p, uri.len, buf, sizeof(buf)) < 0 || buf[0] != '+')
		return -EINVAL;
	snprintf(out, size, "%s", buf + 1);
	return 0;
}

/* --- media --- */

/* The timeslot is the call's from now on: tones can be played on it before
 * the far end's RTP address is known. */
static void chan_idle(struct iw_call *c)
{
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_TDM,
				    .span = (unsigned)c->span,
				    .timeslot = c->ts,
				    .codec = MEDIA_CODEC_PCMA,
				    .pt = 8,
				    .ptime = 20};

	media_chan_modify(c->iw->media, c->chan, &cc);
}

static int chan_open(struct iw_call *c)
{
	struct media_engine *m = c->iw->media;
	struct sockaddr_storage local;
	int w;

	if (c->span < 0)
		return -ENOENT;
	w = media_span_worker(m, (unsigned)c->span);
	if (w < 0)
		return w;
	if (media_chan_alloc(m, w, &c->chan, &local) < 0)
		return -ENOSPC;
	c->have_chan = true;
	hash_add(c->iw->by_chan, &c->chan_node, c->chan);
	if (local.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&local)->sin6_addr, c->local_addr,
			  sizeof(c->local_addr));
		c->local.port = ntohs(((struct sockaddr_in6 *)&local)->sin6_port);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&local)->sin_addr, c->local_addr,
			  sizeof(c->local_addr));
		c->local.port = ntohs(((struct sockaddr_in *)&local)->sin_port);
	}
	chan_idle(c);
	c->local.addr = c->local_addr;
	c->local.user = "tandem";
	c->local.sess_id = ((uint64_t)time(NULL) << 16) ^ c->id;
	c->local.sess_version = c->local.sess_id;
	return 0;
}

static void prefs_for(struct iw_call *c, struct sip_trunk *t)
{
	char list[128] = "";

	for (unsigned i = 0; t && i < t->n_codecs; i++) {
		if (t->dtmf_info && !strcasecmp(t->codecs[i], "telephone-event"))
			continue; /* digits go as SIP INFO */
		strncat(list, i ? "," : "", sizeof(list) - strlen(list) - 1);
		strncat(list, t->codecs[i], sizeof(list) - strlen(list) - 1);
	}
	if (!list[0] || sdp_prefs_parse(&c->prefs, list) < 0)
		sdp_prefs_parse(&c->prefs, "PCMA,PCMU,telephone-event");
	if (t && t->ptime)
		c->prefs.ptime = t->ptime;
}

/* Connect the timeslot to the agreed RTP peer. */
static void media_connect(struct iw_call *c)
{
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_TDM};
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&cc.remote;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&cc.remote;

	if (!c->have_chan || !c->agreed_ok)
		return;
	if (c->agreed.remote_type == SDP_ADDR_IP6) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(c->agreed.remote_port);
		inet_pton(AF_INET6, c->agreed.remote_addr, &a6->sin6_addr);
		cc.remote_len = sizeof(*a6);
	} else {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(c->agreed.remote_port);
		inet_pton(AF_INET, c->agreed.remote_addr, &a4->sin_addr);
		cc.remote_len = sizeof(*a4);
	}
	/* issue 14 item 5: media only from the SDP's address and ports, or
	 * latched in the first 2 s on a trunk behind NAT */
	cc.rtcp_port = c->agreed.remote_rtcp_port;
	cc.latch = c->trunk && c->trunk->rtp_latch;
	cc.span = (unsigned)c->span;
	cc.timeslot = c->ts;
	cc.codec = c->agreed.codec == SDP_CODEC_PCMU   ? MEDIA_CODEC_PCMU
		   : c->agreed.codec == SDP_CODEC_G722 ? MEDIA_CODEC_G722
						       : MEDIA_CODEC_PCMA;
	cc.pt = c->agreed.tx_pt;
	cc.dtmf_pt = c->agreed.te ? c->agreed.te_tx_pt : 0;
	/* SIP INFO trunks: digits are found on TDM and relayed by signalling */
	cc.dtmf_detect = c->trunk && c->trunk->dtmf_info;
	if (cc.dtmf_detect)
		cc.dtmf_pt = 0;
	cc.ptime = c->agreed.tx_ptime ? c->agreed.tx_ptime : 20;
	snprintf(cc.ec, sizeof(cc.ec), "%s",
		 media_vty_ec_name && !c->ec_off ? media_vty_ec_name : "");
	cc.ec_tail_ms = media_vty_ec_tail_ms;
	if (media_chan_modify(c->iw->media, c->chan, &cc) == 0) {
		c->media_up = true;
		LOGCALL(c, LOGL_INFO, "media: span %d ts %u <-> %s:%u %s pt %u%s\n", c->span, c->ts,
			c->agreed.remote_addr, c->agreed.remote_port,
			sdp_codec_info(c->agreed.codec)->name, cc.pt,
			cc.dtmf_pt ? " + telephone-event" : "");
	}
}

static void tone(struct iw_call *c, const char *name)
{
	if (!c->have_chan || (!name && !c->tone_on))
		return;
	/* the trunk's tone plan, else the gateway's */
	media_chan_tone(c->iw->media, c->chan,
			c->trunk && c->trunk->tone_plan[0] ? c->trunk->tone_plan
							   : c->iw->cfg.tone_plan,
			name);
	c->tone_on = name != NULL;
}

/* The SDP of a message: the body when application/sdp, or the SDP part of
 * a multipart body (SIP-I/SIP-T). */
static bool msg_sdp(const struct sip_msg *m, struct tstr *out)
{
	struct sip_mime_part parts[4];
	struct sip_ctype ct;
	unsigned n = 0;

	if (!m || !m->body.len || sip_msg_content_type(m, &ct) < 0)
		return false;
	if (tstr_casecmp_cstr(ct.type, "application") && tstr_casecmp_cstr(ct.subtype, "sdp")) {
		*out = m->body;
		return true;
	}
	if (sip_msg_multipart(m, parts, 4, &n) < 0)
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (parts[i].content_type.len >= 15 &&
		    !strncasecmp(parts[i].content_type.p, "application/sdp", 15)) {
			*out = parts[i].body;
			return true;
		}
	}
	return false;
}

static void reason_hdr(char *buf, size_t size, uint8_t cause)
{
	if (iw_reason_format(buf, size, cause) < 0)
		buf[0] = '\0';
}

/* --- SIP-I / SIP-T (Q.1912.5, RFC 3372): the ISUP message rides along --- */

static bool sipi_trunk(const struct iw_call *c)
{
	return c->trunk && c->trunk->mode != SIP_MODE_PLAIN && c->link;
}

/* A multipart body of our SDP (sdp_len 0: none) and the ISUP message m
 * (RFC 3204: without its CIC). Returns the length with the Content-Type in
 * ctype, or < 0 when the call carries no ISUP body. */
static int sipi_body(const struct iw_call *c, const char *sdp, int sdp_len,
		     const struct isup_msg *m, char *buf, size_t size, char *ctype, size_t ctsize)
{
	enum isup_variant v;
	uint8_t enc[272];
	const uint8_t *body;
	size_t blen;
	uint16_t cic;
	char boundary[40];
	int n;

	if (!sipi_trunk(c) || !m)
		return -ENOENT;
	v = isup_link_cfg(c->link)->variant;
	n = isup_msg_encode(v, m, enc, sizeof(enc));
	if (n < 0 || iw_sipi_isup_strip_cic(enc, (size_t)n, &body, &blen, &cic) < 0)
		return -EINVAL;
	for (unsigned k = 0; k < 4; k++) {
		snprintf(boundary, sizeof(boundary), "tandem-%u-%u", c->id, k * 7919u + 1u);
		n = iw_sipi_build(buf, size, sdp, sdp_len > 0 ? (size_t)sdp_len : 0, body, blen,
				  c->trunk->mode == SIP_MODE_SIP_T ? IW_SIPI_ANSI00
								   : IW_SIPI_ITU_T92,
				  boundary, ctype, ctsize);
		if (n != -EEXIST)
			return n;
	}
	return -EEXIST;
}

/* The ISUP message of a SIP-I/SIP-T body, decoded into m (views into
 * store). -ENOENT when there is none. */
static int sipi_isup(const struct iw_call *c, const struct sip_msg *sm, struct isup_msg *m,
		     uint8_t *store, size_t size)
{
	struct iw_sipi_body b;
	enum isup_decode_err err;
	enum isup_variant v;
	int n;

	if (!sm || !c->trunk || c->trunk->mode == SIP_MODE_PLAIN || iw_sipi_parse(sm, &b) < 0 ||
	    !b.has_isup)
		return -ENOENT;
	if (iw_sipi_variant(b.version, &v) < 0)
		v = c->trunk->mode == SIP_MODE_SIP_T ? ISUP_VAR_ANSI : ISUP_VAR_ITU;
	n = iw_sipi_isup_with_cic(store, size, (uint16_t)c->cic, (const uint8_t *)b.isup.p,
				  b.isup.len);
	if (n < 0 || isup_msg_decode(v, store, (size_t)n, m, &err) < 0)
		return -EBADMSG;
	return 0;
}

/* Q.1912.5: the cause of an encapsulated REL wins over the SIP status. */
static int sipi_rel_cause(const struct iw_call *c, const struct sip_msg *sm, uint8_t *loc)
{
	const struct isup_param *p;
	struct isup_cause ci;
	struct isup_msg m;
	uint8_t store[280];

	if (sipi_isup(c, sm, &m, store, sizeof(store)) < 0 || m.type != ISUP_MT_REL)
		return -1;
	p = isup_msg_param(&m, ISUP_PAR_CAUSE_INDICATORS);
	if (!p || isup_cause_decode(p->val, p->len, &ci) < 0 || ci.value == 0)
		return -1;
	*loc = ci.location;
	return ci.value;
}

/* ============ ISUP -> SIP ============ */

static const struct sip_leg_ops out_leg_ops;

/* Apply the SDP answer of a 18x/2xx to our offer. */
static void rx_answer_sdp(struct iw_call *c, const struct sip_msg *rsp)
{
	struct sdp_session s;
	const char *why = NULL;
	struct tstr body;

	if (c->agreed_ok || !msg_sdp(rsp, &body))
		return;
	if (sdp_decode(&s, body.p, body.len, &why) < 0 ||
	    sdp_answer_rx(&c->agreed, &s, &c->prefs, &c->local, &why) < 0) {
		LOGCALL(c, LOGL_INFO, "SDP answer not usable: %s\n", why ? why : "?");
		return;
	}
	c->agreed_ok = true;
	tone(c, NULL);
	media_connect(c);
}

static void out_progress(void *u, struct sip_leg *leg, const struct sip_msg *rsp)
{
	struct iw_call *c = u;
	bool alerting = rsp->status == 180;

	(void)leg;
	rx_answer_sdp(c, rsp);
	if (!c->isup)
		return;
	/* RFC 3398 7.2.1.1 / 8.2.?: 180 -> ACM "subscriber free"; 183 -> ACM
	 * with in-band information (or CPG when the ACM went already) */
	if (!c->acm_sent) {
		c->acm_sent = true;
		c->state = IW_S_EARLY;
		/* without early media the caller hears our ringback */
		if (alerting && !c->agreed_ok && c->iw->cfg.ringback)
			tone(c, "ringback");
		isup_call_acm(c->isup, alerting, c->agreed_ok || c->tone_on);
	} else {
		if (alerting && !c->agreed_ok && c->iw->cfg.ringback)
			tone(c, "ringback");
		isup_call_cpg(c->isup, alerting ? 1 : 3);
	}
}

static void max_duration_done(void *priv)
{
	struct iw_call *c = priv;

	/* an operator's limit, not a failure: normal clearing, with the
	 * reason in the Reason header's text for the far end and the CDR */
	LOGCALL(c, LOGL_NOTICE, "maximum call duration (%u s) reached: releasing (cause 16)\n",
		c->trunk ? c->trunk->max_call_s : 0);
	call_end(c, 16);
}

/* From the answer on, the trunk's max-call-duration runs. */
static void max_duration_start(struct iw_call *c)
{
	if (!c->trunk || !c->trunk->max_call_s)
		return;
	loop_timer_init(&c->dur_timer, max_duration_done, c);
	loop_timer_schedule(c->iw->loop, &c->dur_timer, (uint64_t)c->trunk->max_call_s * 1000000u);
}

/* RFC 4028 10: the SIP side's session timer ran out (its far end stopped
 * refreshing, or our refresh went unanswered): the leg sends the BYE; the
 * circuit gets Q.850 102 "recovery on timer expiry", the cause for a call
 * ended by a supervision timer, so billing and the far exchange can tell
 * it from the subscriber's normal clearing (16). */
static void sip_side_expired(void *u, struct sip_leg *leg)
{
	struct iw_call *c = u;

	(void)leg;
	LOGCALL(c, LOGL_NOTICE, "SIP session timer expired: REL cause 102\n");
	if (!c->cause)
		c->cause = 102;
	c->state = IW_S_CLEARING;
	if (c->isup)
		isup_call_release(c->isup, 102);
	circuit_left(c);
}

static void out_answered(void *u, struct sip_leg *leg, const struct sip_msg *rsp)
{
	struct iw_call *c = u;

	(void)leg;
	rx_answer_sdp(c, rsp);
	tone(c, NULL);
	c->state = IW_S_ACTIVE;
	call_answered_trim(c);
	c->answer_time = time(NULL);
	clock_gettime(CLOCK_REALTIME, &c->t_answer);
	c->sip_status = 200;
	c->iw->st.answered++;
	max_duration_start(c);
	if (!c->isup)
		return;
	LOGCALL(c, LOGL_INFO, "answered\n");
	if (c->acm_sent)
		isup_call_anm(c->isup);
	else
		isup_call_con(c->isup);
}

static void send_invite(struct iw_call *c, struct sip_trunk *trunk, const char *number,
			const char *ruri_in);

/* Worth another trunk: no answer (408, or no response at all), or the
 * trunk could not take the call (500, 502, 503, 504); a refusal by the
 * called side (4xx, 6xx) is not. */
static bool try_next_trunk(struct iw_call *c, struct sip_leg *leg, unsigned status)
{
	while (c->next_alt < c->n_alt && c->attempts < max_attempts(c->iw)) {
		struct sip_trunk *t = sip_trunk_find(c->alt[c->next_alt++]);
		char ruri[256];

		if (!t || (t->options_interval && !t->up) ||
		    (t->max_calls && t->calls >= t->max_calls))
			continue;
		LOGCALL(c, LOGL_INFO, "SIP %u from trunk %s: trying trunk %s\n", status,
			c->trunk_name, t->name);
		cdr_record(c, false, (int)status, 0, -1);
		/* the failed dialog finishes on its own, without us */
		sip_leg_detach(leg);
		c->leg = NULL;
		c->iw->st.failovers++;
		snprintf(ruri, sizeof(ruri), "%s", c->ruri_sent ? c->ruri_sent : "");
		send_invite(c, t, c->number, c->ruri_fixed ? ruri : NULL);
		return true;
	}
	return false;
}

/* tones-on-failure is over: the REL with the cause the SIP side gave */
static void fail_tone_done(void *priv)
{
	struct iw_call *c = priv;

	tone(c, NULL);
	if (c->isup)
		isup_call_release_loc(c->isup, (uint8_t)c->cause, c->cause_loc);
	circuit_left(c);
	call_maybe_free(c);
}

/* Q.1912.5 / national practice: instead of releasing at once, tell the
 * caller by tone (ACM or CPG with in-band information, busy or congestion
 * toward TDM), then REL. Returns true when the tone runs. */
static bool fail_tone(struct iw_call *c, int cause)
{
	const char *name = iw_cause_failure_tone((uint8_t)cause);

	if (!name || !c->isup || !c->have_chan || !c->trunk || !c->trunk->failure_tone_s)
		return false;
	tone(c, name);
	if (!c->acm_sent) {
		c->acm_sent = true;
		isup_call_acm(c->isup, false, true);
	} else {
		isup_call_cpg(c->isup, 3); /* in-band information available */
	}
	loop_timer_init(&c->fail_timer, fail_tone_done, c);
	loop_timer_schedule(c->iw->loop, &c->fail_timer,
			    (uint64_t)c->trunk->failure_tone_s * 1000000u);
	LOGCALL(c, LOGL_INFO, "%s tone toward TDM for %u s, then REL %d\n", name,
		c->trunk->failure_tone_s, cause);
	return true;
}

static void out_failed(void *u, struct sip_leg *leg, unsigned status, const struct sip_msg *rsp)
{
	struct iw_call *c = u;
	uint8_t loc = iw_cause_sip_location((int)status);
	int cause = sipi_rel_cause(c, rsp, &loc);

	if (c->isup && !c->acm_sent && iw_cause_sip_failover((int)status) &&
	    try_next_trunk(c, leg, status))
		return;
	if (cause < 0)
		cause = iw_cause_map_from_msg(c->iw->cfg.causes, (int)status, rsp);
	LOGCALL(c, LOGL_INFO, "SIP %u: REL cause %d\n", status, cause);
	if (!c->cause)
		c->rel_side = "sip";
	c->cause = cause;
	c->cause_loc = loc;
	c->sip_status = (int)status;
	c->iw->st.failed++;
	c->state = IW_S_CLEARING;
	if (fail_tone(c, cause))
		return;
	tone(c, NULL);
	if (c->isup)
		isup_call_release_loc(c->isup, (uint8_t)cause, loc);
	circuit_left(c);
}

static void sip_side_bye(void *u, struct sip_leg *leg, const struct sip_msg *bye)
{
	struct iw_call *c = u;
	uint8_t loc = ISUP_LOC_BEYOND_INTERWORKING;
	int cause = sipi_rel_cause(c, bye, &loc);

	(void)leg;
	/* BYE (or CANCEL) -> REL 16 normal clearing unless Reason says */
	if (cause < 0)
		cause = iw_cause_from_bye_msg(bye);
	LOGCALL(c, LOGL_INFO, "SIP side hung up: REL cause %d\n", cause);
	if (!c->cause) {
		c->cause = cause;
		c->rel_side = "sip";
	}
	c->state = IW_S_CLEARING;
	if (c->isup)
		isup_call_release_loc(c->isup, (uint8_t)cause, loc);
	circuit_left(c);
}

static void sip_side_gone(void *u, struct sip_leg *leg)
{
	struct iw_call *c = u;

	(void)leg;
	c->leg = NULL;
	if (c->isup && !loop_timer_pending(&c->fail_timer)) {
		/* the dialog ended without a BYE or failure we saw (no ACK...);
		 * a failure tone on its way keeps the circuit until it ends */
		isup_call_release(c->isup, ISUP_CAUSE_TEMPORARY_FAILURE);
		circuit_left(c);
	}
	call_maybe_free(c);
}

/* A re-INVITE or UPDATE with an offer (hold, resume, codec change): the
 * SIP side and the media channel follow it; ISUP is not told (RFC 3398 9:
 * no ISUP message maps to it). */
static unsigned leg_offer(void *u, struct sip_leg *leg, const struct sip_msg *req,
			  struct sip_body *answer)
{
	struct iw_call *c = u;
	struct sdp_answer_res ar;
	struct sdp_session offer;
	const char *why = NULL;
	struct tstr body;
	char sdpbuf[IW_SDP_MAX];
	int n;

	(void)leg;
	if (!req->body.len && c->sdp_len > 0) {
		/* a re-INVITE without an offer (a session refresh, RFC 4028):
		 * our current session description is the offer in the 200 */
		answer->content_type = "application/sdp";
		answer->body = c->sdp;
		answer->len = (size_t)c->sdp_len;
		return 200;
	}
	if (!msg_sdp(req, &body) || sdp_decode(&offer, body.p, body.len, &why) < 0) {
		LOGCALL(c, LOGL_INFO, "re-INVITE without a usable offer (%s): 488\n",
			why ? why : "none");
		return 488;
	}
	if (sdp_answer(&ar, &offer, &c->prefs, &c->local) < 0 || ar.reject) {
		LOGCALL(c, LOGL_INFO, "re-INVITE offer not acceptable: 488\n");
		return 488;
	}
	n = sdp_keep(c, sdpbuf,
		     sdp_answer_encode(sdpbuf, sizeof(sdpbuf), &offer, &ar, &c->prefs, &c->local));
	if (n < 0)
		return 500;
	c->sdp_len = n;
	c->agreed = ar.agreed;
	c->agreed_ok = true;
	LOGCALL(c, LOGL_INFO, "re-INVITE: %s:%u%s\n", c->agreed.remote_addr, c->agreed.remote_port,
		c->agreed.remote_hold ? " (on hold)" : "");
	media_connect(c);
	answer->content_type = "application/sdp";
	answer->body = c->sdp;
	answer->len = (size_t)n;
	return 200;
}

/* SIP INFO with application/dtmf-relay (the de-facto format: lines
 * "Signal=5" and "Duration=160" in ms): the digit is played toward TDM. */
static void sip_side_info(void *u, struct sip_leg *leg, const struct sip_msg *req)
{
	struct iw_call *c = u;
	struct sip_ctype ct;
	char body[128], *sig, *dur;
	char digit;
	unsigned ms = 250;

	(void)leg;
	if (!c->have_chan || !req->body.len || sip_msg_content_type(req, &ct) < 0 ||
	    !tstr_casecmp_cstr(ct.type, "application") ||
	    !tstr_casecmp_cstr(ct.subtype, "dtmf-relay"))
		return;
	snprintf(body, sizeof(body), "%.*s", (int)req->body.len, req->body.p);
	sig = strcasestr(body, "Signal=");
	if (!sig)
		return;
	sig += 7;
	while (*sig == ' ')
		sig++;
	digit = *sig == '*' || *sig == '#' ? *sig : (char)toupper((unsigned char)*sig);
	dur = strcasestr(body, "Duration=");
	if (dur) {
		long v = strtol(dur + 9, NULL, 10);

		ms = v < 40 ? 40 : v > 5000 ? 5000 : (unsigned)v;
	}
	if (media_chan_dtmf(c->iw->media, c->chan, digit, ms) < 0) {
		LOGCALL(c, LOGL_INFO, "INFO dtmf-relay with an unusable signal '%c'\n", *sig);
		return;
	}
	LOGCALL(c, LOGL_INFO, "INFO DTMF %c (%u ms) -> TDM\n", digit, ms);
}

static const struct sip_leg_ops out_leg_ops = {
	.info = sip_side_info,
	.offer = leg_offer,
	.progress = out_progress,
	.answered = out_answered,
	.failed = out_failed,
	.bye = sip_side_bye,
	.expired = sip_side_expired,
	.gone = sip_side_gone,
};

/* The call cannot go on toward SIP: REL with cause. */
static void isup_side_fail(struct iw_call *c, uint8_t cause)
{
	if (!c->cause)
		c->cause = cause;
	if (c->isup)
		isup_call_release(c->isup, cause);
	circuit_left(c);
	c->iw->st.failed++;
	call_maybe_free(c);
}

/* Q.763 3.45 redirecting reason -> RFC 5806 Diversion reason and the
 * RFC 4458 cause (the SIP status a diverting UA would have given). */
static const struct {
	const char *reason;
	unsigned cause;
} redir_reason[16] = {
	[0] = {"unknown", 404},	      [1] = {"user-busy", 486},	 [2] = {"no-answer", 408},
	[3] = {"unconditional", 302}, [4] = {"deflection", 487}, [5] = {"deflection", 480},
	[6] = {"unavailable", 503},
};

/* A diverted call (redirecting number, original called number and
 * redirection information in the IAM) becomes Diversion (RFC 5806) or
 * History-Info (RFC 7044) as the trunk says (RFC 3398 7.2.1.3). */
static void redirection_headers(const struct iw_call *c, const struct sip_trunk *t,
				const char *host, char *out, size_t size)
{
	struct isup_msg m;
	enum isup_decode_err err;
	const struct isup_param *p;
	struct isup_number redir = {0}, ocn = {0};
	char redir_e[48] = "", ocn_e[48] = "";
	unsigned reason = 0, orig_reason = 0, counter = 1;

	out[0] = '\0';
	if (t->redir == SIP_REDIR_NONE || c->iam_len <= 0 || !c->link ||
	    isup_msg_decode(isup_link_cfg(c->link)->variant, c->iam, (size_t)c->iam_len, &m, &err) <
		    0)
		return;
	p = isup_msg_param(&m, ISUP_PAR_REDIRECTING_NUMBER);
	if (p && isup_number_decode(ISUP_PAR_REDIRECTING_NUMBER, p->val, p->len, &redir) == 0)
		isup_to_e164(link_num(c, c->link), &redir, redir_e, sizeof(redir_e));
	p = isup_msg_param(&m, ISUP_PAR_ORIGINAL_CALLED_NUMBER);
	if (p && isup_number_decode(ISUP_PAR_ORIGINAL_CALLED_NUMBER, p->val, p->len, &ocn) == 0)
		isup_to_e164(link_num(c, c->link), &ocn, ocn_e, sizeof(ocn_e));
	p = isup_msg_param(&m, ISUP_PAR_REDIRECTION_INFORMATION);
	if (p && p->len >= 2) {
		orig_reason = p->val[0] >> 4;
		counter = p->val[1] & 7;
		reason = p->val[1] >> 4;
	}
	if (!redir_e[0] && !ocn_e[0])
		return;
	if (!redir_e[0])
		snprintf(redir_e, sizeof(redir_e), "%s", ocn_e);
	if (!counter)
		counter = 1;
	if (t->redir == SIP_REDIR_DIVERSION) {
		int n = snprintf(
			out, size, "Diversion: <sip:+%s@%s;user=phone>;reason=%s;counter=%u",
			redir_e, host,
			redir_reason[reason].reason ? redir_reason[reason].reason : "unknown",
			counter);

		/* the first diversion (original called number) goes last */
		if (ocn_e[0] && strcmp(ocn_e, redir_e) && n > 0 && (size_t)n < size)
			n += snprintf(out + n, size - (size_t)n,
				      ", <sip:+%s@%s;user=phone>;reason=%s;counter=1", ocn_e, host,
				      redir_reason[orig_reason].reason
					      ? redir_reason[orig_reason].reason
					      : "unknown");
		if (n > 0 && (size_t)n + 3 < size)
			memcpy(out + n, "\r\n", 3);
		else
			out[0] = '\0';
		return;
	}
	/* RFC 7044: the diverting user (index 1), then the target it was
	 * diverted to, with the RFC 4458 cause of the diversion (index 1.1) */
	{
		unsigned cause = redir_reason[reason].cause ? redir_reason[reason].cause : 404;
		int n = snprintf(out, size,
				 "History-Info: <sip:+%s@%s;user=phone>;index=1, "
				 "<sip:+%s@%s;user=phone;cause=%u>;index=1.1;mp=1\r\n",
				 ocn_e[0] ? ocn_e : redir_e, host, c->called, host, cause);

		if (n < 0 || (size_t)n >= size)
			out[0] = '\0';
	}
}

/* INVITE toward the trunk; ruri NULL: built from the number. */
static void send_invite(struct iw_call *c, struct sip_trunk *trunk, const char *number,
			const char *ruri_in)
{
	struct iw *iw = c->iw;
	struct sip_invite_spec spec = {0};
	char ruri[256], from[200], hdrs[700] = "";
	char mp_body[2048], mp_ctype[120], sdpbuf[IW_SDP_MAX];
	const char *host = trunk->domain ? trunk->domain : trunk->host;

	c->trunk = trunk;
	c->attempts++;
	snprintf(c->trunk_name, sizeof(c->trunk_name), "%s", trunk->name);
	trunk_take(c, trunk);
	prefs_for(c, trunk);
	if ((!c->have_chan && chan_open(c) < 0) ||
	    sdp_keep(c, sdpbuf, sdp_offer_encode(sdpbuf, sizeof(sdpbuf), &c->prefs, &c->local)) <
		    0) {
		LOGCALL(c, LOGL_ERROR, "no media channel for span %d ts %u: REL 47\n", c->span,
			c->ts);
		isup_side_fail(c, ISUP_CAUSE_RESOURCE_UNAVAILABLE);
		return;
	}
	/* a failover passes c->number itself: copying it onto itself emptied it
	 * (the next trunk got "sip:+@host") */
	if (number != c->number)
		snprintf(c->number, sizeof(c->number), "%s", number);
	c->ruri_fixed = ruri_in != NULL;
	if (ruri_in)
		snprintf(ruri, sizeof(ruri), "%s", ruri_in);
	else if (trunk->ruri == SIP_RURI_TEL)
		snprintf(ruri, sizeof(ruri), "tel:+%s", number);
	else
		snprintf(ruri, sizeof(ruri), "sip:+%s@%s;user=phone", number, host);
	/* RFC 3398 7.2.1.2 / RFC 3325: a restricted calling number travels
	 * only in P-Asserted-Identity, with Privacy: id */
	iw_identity_out(trunk, c->calling, c->calling_restricted, c->local_addr, from, sizeof(from),
			hdrs, sizeof(hdrs));
	redirection_headers(c, trunk, host, hdrs + strlen(hdrs), sizeof(hdrs) - strlen(hdrs));
	spec.trunk = trunk;
	spec.ruri = ruri;
	spec.from = from;
	spec.to = ruri;
	spec.body.content_type = "application/sdp";
	spec.body.body = c->sdp;
	spec.body.len = (size_t)c->sdp_len;
	spec.body.headers = hdrs;
	spec.max_forwards = c->max_forwards;
	if (c->iam_len > 0 && trunk->mode != SIP_MODE_PLAIN) {
		struct isup_msg m;
		enum isup_decode_err err;

		/* Q.1912.5 / RFC 3372: the IAM goes along, unchanged */
		if (isup_msg_decode(isup_link_cfg(c->link)->variant, c->iam, (size_t)c->iam_len, &m,
				    &err) == 0) {
			int n = sipi_body(c, c->sdp, c->sdp_len, &m, mp_body, sizeof(mp_body),
					  mp_ctype, sizeof(mp_ctype));

			if (n > 0) {
				spec.body.content_type = mp_ctype;
				spec.body.body = mp_body;
				spec.body.len = (size_t)n;
			}
		}
	}
	c->leg = sip_leg_invite(iw->ua, &spec, &out_leg_ops, c);
	if (!c->leg) {
		LOGCALL(c, LOGL_INFO, "INVITE to trunk %s failed: REL 41\n", trunk->name);
		isup_side_fail(c, ISUP_CAUSE_TEMPORARY_FAILURE);
		return;
	}
	snprintf(c->call_id, sizeof(c->call_id), "%s", sip_leg_call_id(c->leg));
	talloc_free(c->ruri_sent);
	c->ruri_sent = talloc_strdup(c, ruri);
	LOGCALL(c, LOGL_INFO, "ISUP IAM %s -> %s: INVITE %s via trunk %s\n",
		c->calling[0] ? c->calling : "-", c->called, ruri, trunk->name);
}

/* ENUM answered (RFC 6116): a SIP URI is the Request-URI; a tel: URI with
 * number portability data (RFC 4694) is routed on its routing number and
 * carries ;npdi;rn= on; nothing usable (or no answer): the number goes on
 * as the routing table said. */
static void enum_done(void *priv, int status, const struct iw_enum_result *r)
{
	struct iw_call *c = priv;
	struct iw_route_res rr2 = {.cause = ISUP_CAUSE_NO_ROUTE_DESTINATION};
	char ruri[256];
	const char *host = c->enum_trunk->domain ? c->enum_trunk->domain : c->enum_trunk->host;

	c->enum_pending = false;
	loop_timer_cancel(c->iw->loop, &c->enum_timer);
	if (!c->isup) {
		call_maybe_free(c);
		return;
	}
	if (status < 0) {
		LOGCALL(c, LOGL_INFO, "ENUM +%s: %s; routing on the number\n", c->called,
			status == -ENOENT ? "no record" : strerror(-status));
		send_invite(c, c->enum_trunk, c->enum_number, NULL);
		return;
	}
	if (r->np.has_rn) {
		const char *rn = r->np.rn[0] == '+' ? r->np.rn + 1 : r->np.rn;
		struct sip_trunk *t = c->enum_trunk;

		/* the ported number is routed on its routing number */
		if (c->iw->route && c->iw->route(c->iw->route_priv, true, rn, &rr2) == 0 &&
		    rr2.trunk)
			t = rr2.trunk;
		host = t->domain ? t->domain : t->host;
		snprintf(ruri, sizeof(ruri), "sip:+%s;npdi;rn=+%s@%s;user=phone", c->called, rn,
			 host);
		LOGCALL(c, LOGL_INFO, "ENUM +%s: ported, routing number +%s (trunk %s)\n",
			c->called, rn, t->name);
		send_invite(c, t, c->called, ruri);
		return;
	}
	if (!strncmp(r->uri, "sip:", 4) || !strncmp(r->uri, "sips:", 5)) {
		LOGCALL(c, LOGL_INFO, "ENUM +%s: %s\n", c->called, r->uri);
		send_invite(c, c->enum_trunk, c->enum_number, r->uri);
		return;
	}
	if (r->np.npdi)
		snprintf(ruri, sizeof(ruri), "sip:+%s;npdi@%s;user=phone", c->called, host);
	else
		snprintf(ruri, sizeof(ruri), "sip:+%s@%s;user=phone", c->enum_number, host);
	send_invite(c, c->enum_trunk, c->enum_number, ruri);
}

/* ENUM took longer than its budget: a slow or dead DNS never fails a call,
 * the static route is used. */
static void enum_budget_cb(void *priv)
{
	struct iw_call *c = priv;

	if (!c->enum_pending)
		return;
	iw_enum_cancel(c->iw->en, c);
	c->enum_pending = false;
	c->iw->st.enum_timeouts++;
	LOGCALL(c, LOGL_INFO, "ENUM +%s: no answer within the budget; routing on the number\n",
		c->called);
	send_invite(c, c->enum_trunk, c->enum_number, NULL);
}

static void isup_setup(void *priv, struct isup_call *ic, const struct isup_msg *iam,
		       const struct isup_number *called, const struct isup_number *calling)
{
	struct iw *iw = priv;
	struct iw_route_res rr = {.cause = ISUP_CAUSE_NO_ROUTE_DESTINATION};
	struct iw_call *c;
	char e164[48];

	c = call_alloc(iw, true);
	if (!c) {
		isup_call_release(ic, ISUP_CAUSE_RESOURCE_UNAVAILABLE);
		return;
	}
	c->isup = ic;
	c->link = isup_call_link(ic);
	{
		uint8_t buf[272];
		int n = isup_msg_encode(isup_link_cfg(c->link)->variant, iam, buf, sizeof(buf));

		c->iam = n > 0 ? talloc_memdup(c, buf, (size_t)n) : NULL;
		c->iam_len = c->iam ? n : -1;
	}
	c->cic = isup_call_cic(ic);
	c->span = isup_call_span(ic);
	c->ts = isup_call_timeslot(ic);
	snprintf(c->linkset, sizeof(c->linkset), "%s", isup_link_cfg(c->link)->name);
	isup_call_set_user(ic, c);
	{
		uint8_t noci = 0;

		/* Q.763 3.35 bit E: the preceding exchange put an echo control
		 * device in the connection; with echo-control network ours stays
		 * out (and our ACM does not claim one) */
		if (isup_link_cfg(c->link)->echo_defer &&
		    isup_msg_u8(iam, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci) == 0 &&
		    (noci & 0x10)) {
			c->ec_off = true;
			LOGCALL(c, LOGL_INFO, "echo control device in the connection: ours off\n");
		}
	}
	isup_call_set_echo_control(ic, media_vty_ec_name && media_vty_ec_name[0] && !c->ec_off);
	if (link_over_limit(iw, c->link)) {
		/* Q.850 42 switching equipment congestion */
		LOGCALL(c, LOGL_INFO, "linkset %s at its limit (%u calls, %u/s): REL 42\n",
			c->linkset, isup_link_cfg(c->link)->max_calls,
			isup_link_cfg(c->link)->max_cps);
		isup_side_fail(c, ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION);
		return;
	}
	link_take(c, c->link);
	if (isup_to_e164(link_num(c, c->link), called, e164, sizeof(e164)) < 0) {
		/* Q.850 28 invalid number format (address incomplete) */
		snprintf(c->called, sizeof(c->called), "%s", e164);
		LOGCALL(c, LOGL_INFO, "called number NOA %u '%s' has no E.164 form: REL 28\n",
			called->noa, called->digits);
		c->cause = ISUP_CAUSE_INVALID_NUMBER_FORMAT;
		isup_side_fail(c, ISUP_CAUSE_INVALID_NUMBER_FORMAT);
		return;
	}
	LOGCALL(c, LOGL_INFO, "IAM called NOA %u '%s' -> +%s\n", called->noa, called->digits, e164);
	snprintf(c->called, sizeof(c->called), "%s", e164);
	if (calling) {
		if (isup_to_e164(link_num(c, c->link), calling, c->calling, sizeof(c->calling)) < 0)
			c->calling[0] = '\0'; /* no E.164 form: not sent */
		c->calling_restricted = calling->apri == 1;
	}
	if (iw_hops_isup_to_sip(iam, &c->max_forwards) < 0) {
		/* Q.764 2.14.2: the hop counter is spent: a loop; cause 25 */
		LOGCALL(c, LOGL_NOTICE, "hop counter spent: REL 25 (loop?)\n");
		c->cause = ISUP_CAUSE_EXCHANGE_ROUTING_ERROR;
		isup_side_fail(c, ISUP_CAUSE_EXCHANGE_ROUTING_ERROR);
		return;
	}
	if (!iw->route || iw->route(iw->route_priv, true, e164, &rr) < 0 || !rr.trunk) {
		LOGCALL(c, LOGL_INFO, "no route for +%s: REL cause %u\n", e164, rr.cause);
		isup_side_fail(c, rr.cause ? rr.cause : ISUP_CAUSE_NO_ROUTE_DESTINATION);
		return;
	}
	alt_set(c, &rr);
	if (rr.enum_first && iw->en) {
		char aus[50];

		snprintf(aus, sizeof(aus), "+%s", e164);
		c->enum_trunk = rr.trunk;
		snprintf(c->enum_number, sizeof(c->enum_number), "%s", rr.number);
		if (iw_enum_lookup(iw->en, aus, enum_done, c) == 0) {
			c->enum_pending = true;
			loop_timer_init(&c->enum_timer, enum_budget_cb, c);
			loop_timer_schedule(
				iw->loop, &c->enum_timer,
				(uint64_t)(iw->cfg.enum_budget_ms ? iw->cfg.enum_budget_ms : 300) *
					1000);
			return;
		}
	}
	send_invite(c, rr.trunk, rr.number, NULL);
}

/* ============ SIP -> ISUP ============ */

static void in_cancelled(void *u, struct sip_leg *leg, const struct sip_msg *cancel)
{
	sip_side_bye(u, leg, cancel);
}

static const struct sip_leg_ops in_leg_ops = {
	.info = sip_side_info,
	.offer = leg_offer,
	.cancelled = in_cancelled,
	.bye = sip_side_bye,
	.expired = sip_side_expired,
	.gone = sip_side_gone,
};

/* 18x/200 with our SDP; on SIP-I/SIP-T trunks the ISUP message that
 * caused it (ACM, CPG, ANM, CON) rides along. */
static void respond_sdp(struct iw_call *c, unsigned status, const struct isup_msg *m)
{
	struct sip_body b = {
		.content_type = "application/sdp", .body = c->sdp, .len = (size_t)c->sdp_len};
	char mp_body[2048], mp_ctype[120];
	int n = sipi_body(c, c->sdp, c->sdp_len, m, mp_body, sizeof(mp_body), mp_ctype,
			  sizeof(mp_ctype));

	if (n > 0) {
		b.content_type = mp_ctype;
		b.body = mp_body;
		b.len = (size_t)n;
	}
	sip_leg_respond(c->leg, status, c->sdp_len > 0 || n > 0 ? &b : NULL);
}

/* Q.763 3.5 bit N in ACM/CON: the succeeding exchange includes an echo
 * control device; with echo-control network ours goes off for the call. */
static void backward_echo(struct iw_call *c, const struct isup_msg *m)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_BACKWARD_CALL_INDICATORS);
	struct isup_bci b;

	if (!p || !c->link || !isup_link_cfg(c->link)->echo_defer || c->ec_off ||
	    isup_bci_decode(p->val, p->len, &b) < 0 || !b.echo_control_device)
		return;
	c->ec_off = true;
	LOGCALL(c, LOGL_INFO, "the called side includes an echo control device: ours off\n");
	if (c->media_up)
		media_connect(c);
}

static void isup_progress(void *u, struct isup_call *ic, const struct isup_msg *m, bool alerting)
{
	struct iw_call *c = u;
	uint8_t obci = 0;

	(void)ic;
	if (!c->leg || c->from_isup)
		return;
	isup_msg_u8(m, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS, &obci);
	backward_echo(c, m);
	c->state = IW_S_EARLY;
	/* RFC 3398 7.2.? : ACM "subscriber free" -> 180; otherwise (or with
	 * in-band information) 183; both carry our SDP so the far end's
	 * in-band tones reach the caller */
	respond_sdp(c, alerting && !(obci & 1) ? 180 : 183, m);
}

static void isup_answer(void *u, struct isup_call *ic, const struct isup_msg *m)
{
	struct iw_call *c = u;

	(void)ic;
	if (!c->leg)
		return;
	backward_echo(c, m); /* CON (or an ANM with backward call indicators) */
	c->state = IW_S_ACTIVE;
	c->answer_time = time(NULL);
	clock_gettime(CLOCK_REALTIME, &c->t_answer);
	c->sip_status = 200;
	c->iw->st.answered++;
	max_duration_start(c);
	LOGCALL(c, LOGL_INFO, "answered\n");
	respond_sdp(c, 200, m);
	call_answered_trim(c);
}

static void isup_release(void *u, struct isup_call *ic, const struct isup_cause *cause,
			 const struct isup_msg *m)
{
	struct iw_call *c = u;
	char reason[96];

	(void)ic;
	if (!c)
		return;
	c->isup = NULL;
	if (!c->from_isup && c->leg && c->state == IW_S_SETUP &&
	    iw_cause_route_advance(cause->value)) {
		/* route advance: before any backward message, another linkset */
		LOGCALL(c, LOGL_INFO, "REL cause %u on linkset %s: route advance\n", cause->value,
			c->linkset);
		cdr_record(c, false, 0, cause->value, cause->location);
		if (seize(c) == 0) {
			if (media_move(c) == 0) {
				c->iw->st.failovers++;
				return;
			}
			isup_call_release(c->isup, ISUP_CAUSE_RESOURCE_UNAVAILABLE);
			c->isup = NULL;
		}
	}
	c->state = IW_S_CLEARING;
	if (!c->cause) {
		c->cause = cause->value;
		c->cause_loc = cause->location;
		c->rel_side = "isup";
	}
	reason_hdr(reason, sizeof(reason), cause->value);
	tone(c, NULL);
	circuit_left(c); /* RLC went: the CIC is idle, so is its timeslot */
	if (c->leg) {
		if (!c->from_isup && !c->answer_time) {
			struct sip_body b = {.headers = reason};
			unsigned status = isup_to_sip(c->iw, cause->value, cause->location);
			char mp_body[1024], mp_ctype[120];
			int n = sipi_body(c, NULL, 0, m, mp_body, sizeof(mp_body), mp_ctype,
					  sizeof(mp_ctype));

			if (n > 0) {
				b.content_type = mp_ctype;
				b.body = mp_body;
				b.len = (size_t)n;
			}

			LOGCALL(c, LOGL_INFO, "REL cause %u: SIP %u\n", cause->value, status);
			c->sip_status = (int)status;
			c->iw->st.failed++;
			sip_leg_respond(c->leg, status, &b);
		} else if (c->from_isup && !c->answer_time) {
			LOGCALL(c, LOGL_INFO, "REL cause %u: CANCEL\n", cause->value);
			sip_leg_cancel(c->leg, reason);
		} else {
			/* Q.1912.5 profile C: on a SIP-I/SIP-T trunk the REL
			 * travels in the BYE */
			struct sip_body b = {.headers = reason};
			char mp_body[1024], mp_ctype[120];
			int n = sipi_body(c, NULL, 0, m, mp_body, sizeof(mp_body), mp_ctype,
					  sizeof(mp_ctype));

			if (n > 0) {
				b.content_type = mp_ctype;
				b.body = mp_body;
				b.len = (size_t)n;
			}
			LOGCALL(c, LOGL_INFO, "REL cause %u: BYE%s\n", cause->value,
				n > 0 ? " with the REL" : "");
			sip_leg_bye_body(c->leg, &b);
		}
	}
	call_maybe_free(c);
}

/* Q.764 2.1.8 / Q.724: the far end checks continuity on this circuit: loop
 * the timeslot back (a channel of its own, freed when the check is over;
 * the call's channel comes after). */
static void isup_cot_loop(void *priv, unsigned cic, int span, unsigned ts, bool on)
{
	struct iw *iw = priv;
	struct iw_cot *k = NULL;

	for (unsigned i = 0; i < IW_MAX_COT; i++)
		if (iw->cot[i].in_use && iw->cot[i].cic == cic && iw->cot[i].span == span)
			k = &iw->cot[i];
	if (!on) {
		if (!k)
			return;
		media_chan_cot(iw->media, k->chan, MEDIA_COT_OFF);
		media_chan_free(iw->media, k->chan);
		k->in_use = false;
		LOGP(DIW, LOGL_INFO, "CIC %u (span %d ts %u): continuity loop off\n", cic, span,
		     ts);
		return;
	}
	for (unsigned i = 0; !k && i < IW_MAX_COT; i++)
		if (!iw->cot[i].in_use)
			k = &iw->cot[i];
	if (!k || span < 0) {
		LOGP(DIW, LOGL_ERROR,
		     "CIC %u: no room to loop the circuit for a continuity check\n", cic);
		return;
	}
	{
		struct media_chan_cfg cc = {.mode = MEDIA_MODE_TDM,
					    .span = (unsigned)span,
					    .timeslot = ts,
					    .codec = MEDIA_CODEC_PCMA,
					    .pt = 8,
					    .ptime = 20};
		struct sockaddr_storage local;
		int w = media_span_worker(iw->media, (unsigned)span);

		if (w < 0 || media_chan_alloc(iw->media, w, &k->chan, &local) < 0)
			return;
		if (media_chan_modify(iw->media, k->chan, &cc) < 0 ||
		    media_chan_cot(iw->media, k->chan, MEDIA_COT_LOOP) < 0) {
			media_chan_free(iw->media, k->chan);
			return;
		}
	}
	k->in_use = true;
	k->cic = cic;
	k->span = span;
	LOGP(DIW, LOGL_INFO, "CIC %u (span %d ts %u): looped back for the continuity check\n", cic,
	     span, ts);
}

static const struct isup_call_ops isup_ops = {
	.setup = isup_setup,
	.progress = isup_progress,
	.answer = isup_answer,
	.release = isup_release,
	.cot_loop = isup_cot_loop,
};

const struct isup_call_ops *iw_isup_ops(void)
{
	return &isup_ops;
}

/* RFC 5806 reason -> Q.763 3.45 redirecting reason */
static uint8_t diversion_reason(struct tstr r)
{
	static const struct {
		const char *name;
		uint8_t code;
	} map[] = {
		{"user-busy", 1},  {"no-answer", 2},   {"unconditional", 3},
		{"deflection", 4}, {"unavailable", 6}, {"out-of-service", 6},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (tstr_casecmp_cstr(r, map[i].name))
			return map[i].code;
	return 0;
}

/* RFC 3398 / RFC 5806: Diversion headers toward ISUP. The first entry is
 * the last diversion (redirecting number and reason), the last entry the
 * first one (original called number); the counters add up to the
 * redirection counter (1..5, Q.763 3.45). */
static void diversion_to_isup(struct iw_call *c, const struct sip_msg *invite,
			      struct isup_call_spec *spec)
{
	struct sip_nameaddr na;
	unsigned n = 0, counter = 0;
	uint8_t reason = 0, first_reason = 0;
	char e164[48];

	while (n < 8 && sip_msg_diversion(invite, n, &na) == 0) {
		struct tstr v;
		uint32_t k = 1;
		uint8_t r = sip_param_find(na.params, "reason", &v) ? diversion_reason(v) : 0;

		if (sip_param_find(na.params, "counter", &v))
			sip_uint32_decode(v, &k);
		counter += k ? k : 1;
		if (uri_to_e164(trunk_num(c), na.uri, e164, sizeof(e164)) == 0) {
			if (n == 0) {
				snprintf(c->redir_e164, sizeof(c->redir_e164), "%s", e164);
				spec->have_redirecting = true;
				reason = r;
			}
			snprintf(c->ocn_e164, sizeof(c->ocn_e164), "%s", e164);
			first_reason = r;
		}
		n++;
	}
	if (n == 0) {
		history_to_isup(c, invite, spec);
		return;
	}
	if (!spec->have_redirecting)
		return;
	spec->have_ocn = n > 1;
	if (counter > 5)
		counter = 5;
	/* octet 1: redirecting indicator 3 "call diverted", original reason;
	 * octet 2: counter, redirecting reason */
	spec->redirection_info[0] = (uint8_t)(3 | first_reason << 4);
	spec->redirection_info[1] = (uint8_t)(counter | reason << 4);
	LOGCALL(c, LOGL_INFO, "Diversion: redirecting +%s, %u diversions\n", c->redir_e164,
		counter);
}

/* RFC 4458 cause of a retargeted History-Info entry (the "cause" URI
 * parameter), 0 when there is none. */
static unsigned hi_cause(struct tstr uri)
{
	struct sip_uri u;
	struct tstr v;
	uint32_t cause = 0;

	if (sip_uri_decode(uri, &u) < 0 || !sip_param_find(u.params, "cause", &v) ||
	    sip_uint32_decode(v, &cause) < 0)
		return 0;
	return cause;
}

/* RFC 4458 cause -> Q.763 3.45 redirecting reason (the inverse of the
 * table used toward SIP). */
static uint8_t hi_reason(unsigned cause)
{
	switch (cause) {
	case 486:
		return 1; /* user busy */
	case 408:
		return 2; /* no reply */
	case 302:
		return 3; /* unconditional */
	case 487:
		return 4; /* deflection during alerting */
	case 480:
		return 5; /* deflection immediate response */
	case 503:
		return 6; /* mobile subscriber not reachable */
	default:
		return 0; /* unknown (404 and the rest) */
	}
}

/* RFC 7044 / Q.1912.5: History-Info toward ISUP. Entries whose URI carries
 * an RFC 4458 cause were reached by a diversion: their count is the
 * redirection counter; the entry before the last of them is the
 * redirecting party (its cause the redirecting reason), the entry before
 * the first of them the original called party. */
static void history_to_isup(struct iw_call *c, const struct sip_msg *invite,
			    struct isup_call_spec *spec)
{
	struct sip_nameaddr hi[16];
	unsigned n = 0, counter = 0, first = 0, last = 0;
	char e164[48];

	while (n < 16 && sip_msg_history_info(invite, n, &hi[n]) == 0)
		n++;
	for (unsigned i = 1; i < n; i++)
		if (hi_cause(hi[i].uri)) {
			if (!counter)
				first = i;
			last = i;
			counter++;
		}
	if (!counter)
		return;
	if (uri_to_e164(trunk_num(c), hi[last - 1].uri, e164, sizeof(e164)) < 0)
		return;
	snprintf(c->redir_e164, sizeof(c->redir_e164), "%s", e164);
	spec->have_redirecting = true;
	if (uri_to_e164(trunk_num(c), hi[first - 1].uri, e164, sizeof(e164)) == 0 &&
	    (counter > 1 || strcmp(e164, c->redir_e164))) {
		snprintf(c->ocn_e164, sizeof(c->ocn_e164), "%s", e164);
		spec->have_ocn = true;
	}
	if (counter > 5)
		counter = 5;
	spec->redirection_info[0] = (uint8_t)(3 | hi_reason(hi_cause(hi[first].uri)) << 4);
	spec->redirection_info[1] = (uint8_t)(counter | hi_reason(hi_cause(hi[last].uri)) << 4);
	LOGCALL(c, LOGL_INFO, "History-Info: redirecting +%s, %u diversions\n", c->redir_e164,
		counter);
}

/* RFC 4694 parameters of the Request-URI (iw_enum_np_parse, the parser ENUM
 * results go through): the routing number without '+' into rn ("" when
 * none); returns whether npdi is present. */
static bool uri_np(struct tstr uri, char *rn, size_t size)
{
	char buf[256];
	struct iw_enum_np np;

	rn[0] = 0;
	if (uri.len >= sizeof(buf))
		return false;
	memcpy(buf, uri.p, uri.len);
	buf[uri.len] = 0;
	if (iw_enum_np_parse(buf, &np) < 0)
		return false; /* a malformed rn: the number is routed as dialled */
	if (np.has_rn) {
		const char *d = np.rn[0] == '+' ? np.rn + 1 : np.rn;
		size_t n = strlen(d);

		if (n < size) /* longer than any E.164 number: not used */
			memcpy(rn, d, n + 1);
	}
	return np.npdi;
}

/* The IAM's numbers as this linkset writes them (its numbering context). */
static void isup_numbers(struct iw_call *c, const struct isup_link *l)
{
	const struct iw_number_ctx *num = link_num(c, l);
	struct isup_call_spec *spec = c->spec;

	e164_to_isup(num, c->number, &spec->called);
	if (c->np_rn[0] && c->iw->cfg.np_prefix) {
		/* the national rule of some networks: routing number digits in
		 * front of the dialled number's */
		struct isup_number rn;
		size_t a, b;

		e164_to_isup(num, c->np_rn, &rn);
		a = strlen(rn.digits);
		b = strlen(spec->called.digits);
		if (a + b < sizeof(spec->called.digits)) {
			memmove(spec->called.digits + a, spec->called.digits, b + 1);
			memcpy(spec->called.digits, rn.digits, a);
		}
	}
	if (c->calling[0] && !c->calling_from_sipi) {
		e164_to_isup(num, c->calling, &spec->calling);
		/* Q.763 3.10: 3 network provided, 0 user provided not verified */
		spec->calling.screening = c->calling_asserted ? 3 : 0;
		spec->calling.apri = c->calling_restricted ? 1 : 0;
		spec->have_calling = true;
	}
	if (spec->have_redirecting)
		e164_to_isup(num, c->redir_e164, &spec->redirecting);
	if (spec->have_ocn)
		e164_to_isup(num, c->ocn_e164, &spec->ocn);
}

/* Seize a circuit on the next linkset of the route that can take the call
 * (up, below its limits, a circuit free) and send the IAM. 0, or the cause
 * when none could: 42 when limits stopped it, else 34 (no circuit). */
static int seize(struct iw_call *c)
{
	struct iw *iw = c->iw;
	bool limited = false;

	if (!c->spec)
		return 34;
	if (!c->n_alt && !c->attempts) {
		/* no route targets: the first linkset */
		if (!c->alt && !(c->alt = talloc_zero_array(c, iw_alt_name, IW_ROUTE_ALT_MAX)))
			return 34;
		c->alt[0][0] = '\0';
		c->n_alt = 1;
	}
	while (c->next_alt < c->n_alt && c->attempts < max_attempts(iw)) {
		const char *name = c->alt[c->next_alt++];
		struct isup_link *l = isup_vty_link(name[0] ? name : NULL);

		if (!l || !isup_link_is_up(l)) {
			LOGCALL(c, LOGL_INFO, "linkset %s not available\n", name[0] ? name : "-");
			continue;
		}
		if (link_over_limit(iw, l)) {
			LOGCALL(c, LOGL_INFO, "linkset %s at its limit (%u calls, %u/s)\n",
				isup_link_cfg(l)->name, isup_link_cfg(l)->max_calls,
				isup_link_cfg(l)->max_cps);
			limited = true;
			continue;
		}
		isup_numbers(c, l);
		c->isup = isup_call_out(l, c->spec, &isup_ops, c);
		if (!c->isup) {
			LOGCALL(c, LOGL_INFO, "no free circuit on linkset %s\n",
				isup_link_cfg(l)->name);
			continue;
		}
		c->attempts++;
		c->link = l;
		link_take(c, l);
		c->cic = isup_call_cic(c->isup);
		c->span = isup_call_span(c->isup);
		c->ts = isup_call_timeslot(c->isup);
		snprintf(c->linkset, sizeof(c->linkset), "%s", isup_link_cfg(l)->name);
		return 0;
	}
	LOGCALL(c, LOGL_INFO, "no linkset could take the call: cause %d\n", limited ? 42 : 34);
	return limited ? ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION
		       : ISUP_CAUSE_NO_CIRCUIT_AVAILABLE;
}

/* The answer to the caller's offer, on the circuit's channel (opened here
 * when the call has none). */
static int answer_offer(struct iw_call *c)
{
	struct sdp_answer_res ar;
	struct sdp_session offer;
	const char *why = NULL;
	char sdpbuf[IW_SDP_MAX];

	if (!c->offer || sdp_decode(&offer, c->offer, c->offer_len, &why) < 0)
		return -EINVAL;
	if (!c->have_chan && chan_open(c) < 0)
		return -ENOSPC;
	if (sdp_answer(&ar, &offer, &c->prefs, &c->local) < 0 || ar.reject)
		return -EPROTO;
	c->agreed_ok = sdp_keep(c, sdpbuf,
				sdp_answer_encode(sdpbuf, sizeof(sdpbuf), &offer, &ar, &c->prefs,
						  &c->local)) > 0;
	c->agreed = ar.agreed;
	return 0;
}

/* Route advance seized another circuit: the channel follows it (the same
 * channel when the new span is on the same worker; the SDP answer has not
 * gone out yet, so a new channel and port are fine too). */
static int media_move(struct iw_call *c)
{
	struct media_engine *m = c->iw->media;

	if (c->have_chan && c->span >= 0 &&
	    media_span_worker(m, (unsigned)c->span) == (int)media_chan_worker(c->chan)) {
		chan_idle(c);
		if (c->media_up)
			media_connect(c);
		return 0;
	}
	if (c->have_chan) {
		media_chan_free(m, c->chan);
		hash_del(&c->chan_node);
	}
	c->have_chan = c->media_up = false;
	if (answer_offer(c) < 0)
		return -1;
	media_connect(c);
	return 0;
}

void iw_sip_incoming(struct iw *iw, struct sip_leg *leg, struct sip_trunk *trunk,
		     const struct sip_msg *invite)
{
	struct iw_route_res rr = {.cause = ISUP_CAUSE_NO_ROUTE_DESTINATION};
	struct isup_call_spec spec = {.cpc = 10,
				      .tmr = 3,
				      .except_cic = -1,
				      .echo_control = media_vty_ec_name && media_vty_ec_name[0]};
	struct sdp_session offer;
	struct iw_call *c;
	int rc;
	struct tstr body;
	char e164[48];
	const char *why = NULL;

	c = call_alloc(iw, false);
	if (!c) {
		sip_leg_respond(leg, 503, NULL);
		return;
	}
	c->leg = leg;
	c->trunk = trunk;
	snprintf(c->trunk_name, sizeof(c->trunk_name), "%s", trunk ? trunk->name : "-");
	snprintf(c->call_id, sizeof(c->call_id), "%s", sip_leg_call_id(leg));
	sip_leg_set_user(leg, &in_leg_ops, c);
	if (trunk && iw_trunk_over_limit(trunk)) {
		/* RFC 3261 21.5.4: come back later; Q.850 42 congestion */
		struct sip_body b = {.headers = "Retry-After: 1\r\n"};

		LOGCALL(c, LOGL_INFO, "trunk %s at its limit (%u calls, %u/s): 503\n",
			trunk->name, trunk->max_calls, trunk->max_cps);
		c->cause = ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION;
		c->sip_status = 503;
		sip_leg_respond(leg, 503, &b);
		goto out_fail;
	}
	trunk_take(c, trunk);

	if (uri_to_e164(trunk_num(c), invite->ruri, e164, sizeof(e164)) < 0) {
		/* RFC 3398 / Q.1912.5: an unusable number is an incomplete address */
		LOGCALL(c, LOGL_INFO, "Request-URI without a usable number: 484\n");
		goto reject_484;
	}
	snprintf(c->called, sizeof(c->called), "%s", e164);
	/* RFC 3398 8.2.1 / RFC 3325: the calling party is the asserted
	 * identity when there is one (network provided), else the From (user
	 * provided, not verified); Privacy: id restricts its presentation */
	{
		/* ... but only a trusted trunk asserts (iw_trust.c) */
		struct iw_identity_in id;

		iw_identity_in(trunk, invite, &id);
		if (id.src == IW_ID_DEFAULT)
			snprintf(c->calling, sizeof(c->calling), "%s", id.number);
		else if (id.src == IW_ID_NONE ||
			 uri_to_e164(trunk_num(c), id.uri, c->calling, sizeof(c->calling)) < 0)
			c->calling[0] = '\0';
		c->calling_asserted = id.network_provided;
		c->calling_restricted = id.restricted;
	}
	if (iw_hops_sip_to_isup(invite, &spec.hop_counter) < 0) {
		/* RFC 3261 16.3 / Q.764 2.14: the hops are spent: a loop */
		LOGCALL(c, LOGL_NOTICE, "Max-Forwards spent: 483 (loop?)\n");
		c->cause = ISUP_CAUSE_EXCHANGE_ROUTING_ERROR;
		c->sip_status = 483;
		sip_leg_respond(leg, 483, NULL);
		goto out_fail;
	}
	if (!msg_sdp(invite, &body) || body.len >= IW_SDP_MAX ||
	    sdp_decode(&offer, body.p, body.len, &why) < 0) {
		/* an INVITE without an offer would need a delayed offer toward
		 * ISUP; refused for now */
		LOGCALL(c, LOGL_INFO, "INVITE without a usable SDP offer (%s): 488\n",
			why			 ? why
			: body.len >= IW_SDP_MAX ? "too long"
						 : "none");
		sip_leg_respond(leg, 488, NULL);
		goto out_fail;
	}
	c->offer = talloc_strndup(c, body.p, body.len);
	if (!c->offer) {
		sip_leg_respond(leg, 500, NULL);
		goto out_fail;
	}
	c->offer_len = body.len;
	/* RFC 4694: a ported number travels with its routing number (rn=)
	 * and the portability dip indicator (npdi); the call is routed on
	 * the routing number */
	spec.number_translated = uri_np(invite->ruri, c->np_rn, sizeof(c->np_rn));
	if (!iw->route ||
	    iw->route(iw->route_priv, false, c->np_rn[0] ? c->np_rn : e164, &rr) < 0) {
		LOGCALL(c, LOGL_INFO, "no route for +%s: cause %u\n", c->np_rn[0] ? c->np_rn : e164,
			rr.cause);
		goto reject_cause;
	}
	if (c->np_rn[0]) {
		/* the route rewrote the routing number; the dialled number goes on */
		LOGCALL(c, LOGL_INFO, "ported: +%s routed on +%s%s\n", e164, c->np_rn,
			spec.number_translated ? " (npdi)" : "");
		snprintf(c->np_rn, sizeof(c->np_rn), "%s", rr.number);
		snprintf(rr.number, sizeof(rr.number), "%s", e164);
	}
	alt_set(c, &rr);
	snprintf(c->number, sizeof(c->number), "%s", rr.number);
	{
		/* SIP-I/SIP-T (Q.1912.5 profile C): the caller's IAM came along;
		 * its calling party (with presentation and screening as the
		 * originating network set them) and category go on */
		struct isup_msg im;
		uint8_t store[280], u8;
		const struct isup_param *p;

		if (sipi_isup(c, invite, &im, store, sizeof(store)) == 0 &&
		    im.type == ISUP_MT_IAM) {
			p = iw_identity_trusted(trunk)
				    ? isup_msg_param(&im, ISUP_PAR_CALLING_PARTY_NUMBER)
				    : NULL;
			if (p && isup_number_decode(ISUP_PAR_CALLING_PARTY_NUMBER, p->val, p->len,
						    &spec.calling) == 0)
				spec.have_calling = c->calling_from_sipi = true;
			if (isup_msg_u8(&im, ISUP_PAR_CALLING_PARTYS_CATEGORY, &u8) == 0)
				spec.cpc = u8;
			if (isup_msg_u8(&im, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &u8) == 0)
				spec.tmr = u8;
			LOGCALL(c, LOGL_INFO,
				"SIP-I: the encapsulated IAM gives calling %s, CPC %u\n",
				spec.have_calling ? spec.calling.digits : "-", spec.cpc);
		}
	}
	diversion_to_isup(c, invite, &spec);
	c->spec = talloc_memdup(c, &spec, sizeof(spec));
	rc = seize(c);
	if (rc) {
		rr.cause = (uint8_t)rc;
		goto reject_cause;
	}
	prefs_for(c, trunk);
	if (answer_offer(c) < 0) {
		LOGCALL(c, LOGL_INFO, "offer not acceptable: 488, REL 65\n");
		isup_call_release(c->isup, ISUP_CAUSE_BEARER_NOT_IMPLEMENTED);
		circuit_left(c);
		sip_leg_respond(leg, 488, NULL);
		goto out_fail;
	}
	media_connect(c);
	/* RFC 3261 17.2.1: the answer now waits on the ISUP side (ACM, or
	 * T7): 100 Trying at once stops the caller's retransmissions, instead
	 * of the transaction's 200 ms timer, late when the loop is busy */
	sip_leg_respond(leg, 100, NULL);
	LOGCALL(c, LOGL_INFO, "INVITE %s -> +%s: IAM on linkset %s CIC %u\n",
		c->calling[0] ? c->calling : "-", e164, c->linkset, c->cic);
	return;

reject_484:
	c->sip_status = 484;
	sip_leg_respond(leg, 484, NULL);
	goto out_fail;
reject_cause : {
	char reason[128];
	struct sip_body b = {.headers = reason};

	c->cause = rr.cause;
	c->sip_status = (int)isup_to_sip(iw, rr.cause, ISUP_LOC_BEYOND_INTERWORKING);
	reason_hdr(reason, sizeof(reason), rr.cause);
	if (rr.cause == ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION) /* RFC 3261 21.5.4: at our
								      limits, come back later */
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
			 "Retry-After: 1\r\n");
	sip_leg_respond(leg, (unsigned)c->sip_status, &b);
}
out_fail:
	iw->st.failed++;
	/* the leg reports "gone" when its transaction is over */
	c->state = IW_S_CLEARING;
}

void iw_media_event(struct iw *iw, const struct media_event *ev)
{
	struct iw_call *c;
	uint32_t chan = ev->chan;

	if (ev->type == MEDIA_EV_FREED) {
		const struct media_chan_stats *st = &ev->stats;

		/* the media half of the CDR (matched by the channel id) */
		LOGP(DCDR, LOGL_NOTICE,
		     "CDR media channel=%08x rtp_rx=%llu rtp_tx=%llu bad=%llu refused=%llu "
		     "rtp_lost=%d jitter_ms=%.1f peer_lost=%d peer_jitter_ms=%.1f rtt_ms=%.1f "
		     "rtcp_rx=%llu jb_lost=%llu jb_late=%llu concealed=%llu ec=%s ec_erl_db=%.1f "
		     "ec_erle_db=%.1f ec_conv_ms=%d ec_dt_pct=%.1f\n",
		     chan, (unsigned long long)st->rx_pkts, (unsigned long long)st->tx_pkts,
		     (unsigned long long)st->rx_bad, (unsigned long long)st->rx_refused,
		     st->rtp_lost, st->rtp_jitter_ms, st->peer_have_rb ? st->peer_lost : -1,
		     st->peer_have_rb ? st->peer_jitter_ms : -1.0f, st->rtt_ms,
		     (unsigned long long)st->rtcp_rx, (unsigned long long)st->jb_lost,
		     (unsigned long long)st->jb_late, (unsigned long long)st->jb_concealed,
		     !st->have_ec	    ? "off"
		     : st->ec_tone_disabled ? "tone-disabled"
					    : "on",
		     st->ec_erl_db, st->ec_erle_db, st->ec_convergence_ms,
		     st->ec_double_talk * 100.0f);
		return;
	}
	if (ev->type == MEDIA_EV_DTMF && !ev->from_rtp) {
		/* a digit on TDM toward a trunk that takes DTMF as SIP INFO */
		hash_for_each_possible(iw->by_chan, c, chan_node, chan)
		{
			char body[64];
			struct sip_body b = {.content_type = "application/dtmf-relay",
					     .body = body};

			if (!c->have_chan || c->chan != chan || !c->leg || !c->trunk ||
			    !c->trunk->dtmf_info || c->state != IW_S_ACTIVE)
				continue;
			b.len = (size_t)snprintf(body, sizeof(body), "Signal=%c\r\nDuration=%u\r\n",
						 ev->digit, ev->duration / 8);
			if (sip_leg_info(c->leg, &b) == 0)
				LOGCALL(c, LOGL_INFO, "DTMF %c on TDM -> INFO\n", ev->digit);
		}
		return;
	}
	if (ev->type == MEDIA_EV_STATS) {
		hash_for_each_possible(iw->by_chan, c, chan_node, chan) if (c->chan == chan)
		{
			c->mst = ev->stats;
			c->have_mst = true;
		}
		return;
	}
	if (ev->type == MEDIA_EV_CHAN_FAILED) {
		llist_for_each_entry(c, &iw->calls, list)
		{
			if (!c->have_chan || c->chan != chan || c->state == IW_S_CLEARING)
				continue;
			/* never a call without its voice path: Q.850 47 resource
			 * unavailable, on both sides (answered or not) */
			LOGCALL(c, LOGL_ERROR,
				"span %d timeslot %u: no voice path, releasing (cause 47)\n",
				c->span, c->ts);
			iw->st.failed++;
			call_end(c, 47);
			return;
		}
		return;
	}
	if (ev->type != MEDIA_EV_RTP_TIMEOUT)
		return;
	hash_for_each_possible(iw->by_chan, c, chan_node, chan)
	{
		if (!c->have_chan || c->chan != chan || c->state != IW_S_ACTIVE)
			continue;
		/* no RTP for rtp-timeout: the far end is gone (RFC 3398 leaves
		 * this to policy; cause 41 temporary failure, as a lost path) */
		LOGCALL(c, LOGL_INFO, "no RTP: releasing both sides (cause 41)\n");
		if (c->isup)
			isup_call_release(c->isup, ISUP_CAUSE_TEMPORARY_FAILURE);
		circuit_left(c);
		if (c->leg) {
			char reason[96];

			reason_hdr(reason, sizeof(reason), ISUP_CAUSE_TEMPORARY_FAILURE);
			sip_leg_bye(c->leg, reason);
		}
		return;
	}
}

size_t iw_call_mem(const struct iw_call *c, size_t part[3])
{
	size_t p[3] = {talloc_total_size(c), c->leg ? talloc_total_size(c->leg) : 0,
		       c->isup ? talloc_total_size(c->isup) : 0};

	if (part)
		memcpy(part, p, sizeof(p));
	return p[0] + p[1] + p[2];
}

struct iw_call *iw_call_next(struct iw *iw, struct iw_call *prev)
{
	struct llist_head *n = prev ? prev->list.next : iw->calls.next;

	return n == &iw->calls ? NULL : llist_entry(n, struct iw_call, list);
}

void iw_call_info(const struct iw_call *c, struct iw_call_info *out)
{
	out->id = c->id;
	out->from_isup = c->from_isup;
	out->state = state_names[c->state];
	out->linkset = c->linkset;
	out->cic = c->cic;
	out->call_id = c->call_id;
	out->trunk = c->trunk_name;
	out->called = c->called;
	out->calling = c->calling;
	out->chan = c->chan;
	out->have_chan = c->have_chan;
	out->seconds = c->answer_time ? (unsigned)(time(NULL) - c->answer_time) : 0;
	out->codec = c->agreed_ok ? sdp_codec_info(c->agreed.codec)->name : NULL;
	out->ptime = c->agreed.tx_ptime ? c->agreed.tx_ptime : 20;
	out->have_stats = c->have_mst;
	out->stats = c->mst;
}

struct iw_enum *iw_get_enum(struct iw *iw)
{
	return iw->en;
}

/* End both sides of a call with a Q.850 cause: REL toward the circuit;
 * BYE, CANCEL or the final error (RFC 3398 mapping) toward SIP. */
static void call_end(struct iw_call *c, uint8_t cause)
{
	struct iw *iw = c->iw;
	char reason[96];

	reason_hdr(reason, sizeof(reason), cause);
	if (!c->cause)
		c->cause = cause;
	c->state = IW_S_CLEARING;
	if (c->enum_pending) {
		iw_enum_cancel(iw->en, c);
		c->enum_pending = false;
	}
	if (c->isup) {
		isup_call_release(c->isup, cause);
		circuit_left(c);
	}
	if (c->leg) {
		if (c->answer_time) {
			sip_leg_bye(c->leg, reason);
		} else if (c->from_isup) {
			sip_leg_cancel(c->leg, reason);
		} else {
			struct sip_body b = {.headers = reason};

			c->sip_status = (int)isup_to_sip(iw, cause, ISUP_LOC_BEYOND_INTERWORKING);
			sip_leg_respond(c->leg, (unsigned)c->sip_status, &b);
		}
	}
	call_maybe_free(c);
}

unsigned iw_release_all(struct iw *iw, uint8_t cause)
{
	struct iw_call *c, *n;
	unsigned k = 0;

	llist_for_each_entry_safe(c, n, &iw->calls, list)
	{
		call_end(c, cause);
		k++;
	}
	return k;
}

unsigned iw_active_calls(const struct iw *iw)
{
	return (unsigned)iw->st.active;
}
