/* RFC 4028 session timers on the SIP leg: the refresher refreshes with an
 * UPDATE at half the interval, the other side ends the session with a BYE
 * shortly before it is over. The negotiation rules themselves are pure
 * functions in sip_dialog.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>

#include "core/log.h"
#include "sip/sip_build.h"
#include "sip/sip_dialog.h"
#include "sip/sip_hdr.h"
#include "sip/sip_trunk.h"
#include "sip/sip_txn.h"
#include "sip/sip_ua.h"
#include "sip/sip_ua_int.h"

static void st_fire(void *priv);

void sip_st_arm(struct sip_leg *leg)
{
	uint32_t secs;

	if (!leg->st.interval)
		return;
	/* 10: the refresher refreshes at half the interval; the other side
	 * ends the session shortly before the interval is over */
	secs = leg->we_refresh ? sip_session_refresh_at(&leg->st) : sip_session_expire_at(&leg->st);
	osmo_timer_setup(&leg->st_timer, st_fire, leg);
	osmo_timer_schedule(&leg->st_timer, secs, 0);
}

static const struct sip_txn_user_ops refresh_ops;

/* RFC 4028 10: the session is over: the owner hears it (expired, else as a
 * BYE), the far end gets a BYE. */
static void st_expired(struct sip_leg *leg)
{
	osmo_timer_del(&leg->st_timer);
	if (leg->ops && !sip_leg_ended(leg)) {
		if (leg->ops->expired)
			leg->ops->expired(leg->u, leg);
		else if (leg->ops->bye)
			leg->ops->bye(leg->u, leg, NULL);
	}
	sip_leg_bye(leg, "Reason: SIP;cause=408;text=\"session timer expired\"\r\n");
}

static void st_fire(void *priv)
{
	struct sip_leg *leg = priv;

	if (sip_leg_ended(leg) || !leg->dlg)
		return;
	if (leg->we_refresh) {
		char hdr[96];

		/* refresh with an UPDATE without a body (RFC 4028 7.4, RFC 3311) */
		snprintf(hdr, sizeof(hdr), "Session-Expires: %u;refresher=%s\r\n", leg->st.interval,
			 leg->uac ? "uac" : "uas");
		if (leg->refresh_txn)
			sip_txn_detach_user(leg->refresh_txn);
		leg->refresh_txn = sip_leg_start_request(
			leg, "UPDATE", sip_dialog_next_cseq(leg->dlg), hdr, &refresh_ops);
		if (leg->refresh_txn)
			leg->offer_pending = true;
		sip_st_arm(leg);
		return;
	}
	LOGP(DSIP, LOGL_NOTICE, "%s: session timer expired (%u s without a refresh), BYE\n",
	     leg->call_id, leg->st.interval);
	st_expired(leg);
}

/* RFC 3311 5.2 / RFC 3261 14.1: our refresh met the peer's offer (491):
 * again after the back-off (sip_glare_backoff_ms), so the two sides do not
 * collide again; the session's own timer goes on from that refresh. */
static void st_glare_backoff(struct sip_leg *leg)
{
	uint32_t ms = sip_glare_backoff_ms(leg->uac, sip_ua_rnd_next(leg->ua));

	LOGP(DSIP, LOGL_INFO, "%s: session refresh met 491 (glare): again in %u ms\n", leg->call_id,
	     ms);
	osmo_timer_del(&leg->st_timer);
	osmo_timer_setup(&leg->st_timer, st_fire, leg);
	osmo_timer_schedule(&leg->st_timer, ms / 1000, (ms % 1000) * 1000);
}

static void refresh_rsp(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp,
			const uint8_t *raw, size_t len)
{
	struct sip_leg *leg = tu;

	(void)raw;
	(void)len;
	if (rsp->status >= 300 && rsp->status != 491)
		LOGP(DSIP, LOGL_NOTICE, "%s: session refresh answered %d\n", leg->call_id,
		     rsp->status);
	if (rsp->status >= 200) {
		leg->offer_pending = false;
		sip_txn_detach_user(t);
		leg->refresh_txn = NULL;
	}
	/* RFC 4028 10: a refresh answered 408 or 481 ends the session */
	if ((rsp->status == 408 || rsp->status == 481) && !sip_leg_ended(leg))
		st_expired(leg);
	if (rsp->status == 491 && !sip_leg_ended(leg))
		st_glare_backoff(leg);
}

static void refresh_fail(void *tu, struct sip_txn *t)
{
	struct sip_leg *leg = tu;

	leg->offer_pending = false;
	sip_txn_detach_user(t);
	leg->refresh_txn = NULL;
	/* RFC 4028 10: so does a refresh that timed out (no answer at all) */
	if (!sip_leg_ended(leg)) {
		LOGP(DSIP, LOGL_NOTICE, "%s: session refresh unanswered, BYE\n", leg->call_id);
		st_expired(leg);
	}
}

static const struct sip_txn_user_ops refresh_ops = {
	.response = refresh_rsp, .timeout = refresh_fail, .transport_error = refresh_fail};

/* A refresh (re-INVITE or UPDATE) arrived: the session lives on. */
void sip_st_refreshed(struct sip_leg *leg)
{
	if (leg->st.interval && !leg->we_refresh) {
		osmo_timer_del(&leg->st_timer);
		sip_st_arm(leg);
	}
}

/* RFC 4028 7.2: the 2xx says who refreshes; without it, no timer. */
void sip_st_uac_answered(struct sip_leg *leg, const struct sip_msg *rsp)
{
	struct sip_session_expires se;

	if (sip_msg_session_expires(rsp, &se) == 0) {
		leg->st.interval = se.delta;
		leg->we_refresh = !tstr_eq_cstr(se.refresher, "uas");
		sip_st_arm(leg);
	}
}

/* RFC 4028 9: the outcome of the INVITE's request (or our trunk's wish)
 * goes into our 2xx; Require: timer when the UAC is to refresh. */
int sip_st_uas_answer(struct sip_leg *leg, const struct sip_msg *inv, char *hdrs, size_t size)
{
	struct sip_session_expires se;
	struct sip_session_timer req = {0}, local = {0};
	uint32_t min_se;
	size_t hl;
	bool sup = sip_msg_has_token(inv, SIP_HDR_SUPPORTED, "timer") ||
		   sip_msg_has_token(inv, SIP_HDR_REQUIRE, "timer");

	if (sip_msg_session_expires(inv, &se) == 0) {
		req.interval = se.delta;
		req.refresher = tstr_eq_cstr(se.refresher, "uac")   ? SIP_REFRESHER_UAC
				: tstr_eq_cstr(se.refresher, "uas") ? SIP_REFRESHER_UAS
								    : SIP_REFRESHER_NONE;
	}
	if (sip_msg_min_se(inv, &min_se) == 0)
		req.min_se = min_se;
	local.interval = leg->trunk ? leg->trunk->session_expires : 0;
	local.min_se = SIP_MIN_SE_FLOOR;
	if (!req.interval && !local.interval)
		return 0;
	if (sip_session_timer_uas(&req, sup, &local, &leg->st) < 0 || !leg->st.interval)
		return 0;
	hl = strlen(hdrs);
	snprintf(hdrs + hl, size - hl, "Session-Expires: %u;refresher=%s\r\n%s", leg->st.interval,
		 leg->st.refresher == SIP_REFRESHER_UAC ? "uac" : "uas",
		 leg->st.refresher == SIP_REFRESHER_UAC ? "Require: timer\r\n" : "");
	leg->we_refresh = leg->st.refresher == SIP_REFRESHER_UAS;
	return 1;
}
