/* ISDN PRI calls: Q.931 call control through libpri (SETUP in and out,
 * overlap receiving with T302, glare, the clearing) and the dispatch of
 * libpri's events; the span, its I/O and timers, RESTART and SERVICE are
 * isdn_pri.c's. */
#ifdef TANDEM_HAVE_LIBPRI

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "core/log.h"
#include "core/loop.h"
#include "isdn/isdn_int.h"

/* --- calls --- */

/* Refuse a SETUP that has no isdn_call (no channel for it). libpri 1.6
 * sends nothing for a hangup in the Call Present state (the call is not
 * "alive" until answered), so CALL PROCEEDING goes first, then DISCONNECT
 * with the cause; libpri finishes the clearing (RELEASE / RELEASE
 * COMPLETE) and frees the call on its own. */
static void refuse(struct isdn_span *s, q931_call *q, int ch, int cause)
{
	pri_proceeding(s->pri, q, ch > 0 ? ch : 0, 0);
	pri_hangup(s->pri, q, cause);
}

static void offer(struct isdn_call *c, const struct isdn_setup_info *si);
static void t302_expired(void *priv);

/* Glare, we the user side: the network's SETUP names channel ch, which our
 * own SETUP took and the network has not answered yet. Q.931 5.7: the
 * network's call has priority; ours (exclusive) is cleared by the network
 * (RELEASE COMPLETE, cause 44). Ours lets go of the channel and waits for
 * that; the network's call gets the channel. */
static void glare(struct isdn_span *s, unsigned ch)
{
	struct isdn_call *c = s->call[ch];

	if (!c || !c->outgoing || c->answered_back)
		return; /* the network already took ours on it: 44 for its SETUP */
	for (unsigned i = 0; i < ARRAY_SIZE(s->glared); i++)
		if (!s->glared[i]) {
			s->glared[i] = c;
			s->call[ch] = NULL;
			s->ch[ch] = s->oos[ch] ? ISDN_CH_OOS : ISDN_CH_IDLE;
			c->channel = 0;
			s->glares++;
			LOGP(DISDN, LOGL_NOTICE,
			     "span %u: glare on channel %u: the network's SETUP has priority "
			     "(Q.931 5.7); ours waits to be cleared\n",
			     s->cfg.id, ch);
			return;
		}
}

/* The network went on with a SETUP of ours that lost its channel to glare
 * (it should have cleared it): cleared here, cause 44. true when c was one. */
static bool glared_answer(struct isdn_span *s, struct isdn_call *c)
{
	if (!c || c->channel)
		return false;
	LOGP(DISDN, LOGL_NOTICE,
	     "span %u: the network answered our SETUP that lost its channel "
	     "to glare: cleared, cause 44\n",
	     s->cfg.id);
	isdn_call_gone(c, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
	pri_hangup(s->pri, c->q, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
	return true;
}

static void ring(struct isdn_span *s, pri_event_ring *r)
{
	struct isdn_setup_info si;
	struct isdn_call *c;
	int ch = r->channel > 0 ? CHAN_OF(r->channel) : -1;

	if (ch < 0) {
		/* any channel: the first idle one */
		for (unsigned i = 1; i < ISDN_MAX_CHAN && ch < 0; i++)
			if (s->ch[i] == ISDN_CH_IDLE)
				ch = (int)i;
		if (ch < 0) {
			LOGP(DISDN, LOGL_NOTICE, "span %u: SETUP refused: no idle B channel\n",
			     s->cfg.id);
			refuse(s, r->call, 0, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
			return;
		}
	}
	if (isdn_is_bchan(s, (unsigned)ch) && s->ch[ch] == ISDN_CH_BUSY && !s->cfg.network)
		glare(s, (unsigned)ch);
	if (s->cfg.network && r->flexible &&
	    (!isdn_is_bchan(s, (unsigned)ch) || s->ch[ch] != ISDN_CH_IDLE)) {
		/* Q.931 5.1.2 b): the channel was only preferred: the network
		 * gives another one (CALL PROCEEDING names it, exclusive) */
		int want = ch;

		ch = -1;
		for (unsigned i = 1; i < ISDN_MAX_CHAN && ch < 0; i++)
			if (isdn_is_bchan(s, i) && s->ch[i] == ISDN_CH_IDLE)
				ch = (int)i;
		if (ch < 0) {
			LOGP(DISDN, LOGL_NOTICE,
			     "span %u: SETUP preferring channel %d refused: no idle B channel\n",
			     s->cfg.id, want);
			refuse(s, r->call, 0, PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION);
			return;
		}
		LOGP(DISDN, LOGL_NOTICE,
		     "span %u: SETUP preferring channel %d (busy): channel %d\n", s->cfg.id, want,
		     ch);
	}
	if (!isdn_is_bchan(s, (unsigned)ch) || s->ch[ch] != ISDN_CH_IDLE) {
		LOGP(DISDN, LOGL_NOTICE, "span %u: SETUP for channel %d (%s): refused, cause 44\n",
		     s->cfg.id, ch,
		     isdn_is_bchan(s, (unsigned)ch) ? isdn_chan_state_name(s->ch[ch])
						    : "no B channel");
		refuse(s, r->call, ch, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
		return;
	}
	c = talloc_zero(s, struct isdn_call);
	if (!c) {
		refuse(s, r->call, ch, PRI_CAUSE_SWITCH_CONGESTION);
		return;
	}
	c->s = s;
	c->q = r->call;
	c->channel = (unsigned)ch;
	s->call[ch] = c;
	s->ch[ch] = ISDN_CH_BUSY;
	s->calls_in++;
	loop_timer_init(&c->t302, t302_expired, c);
	memset(&si, 0, sizeof(si));
	si.channel = ch;
	si.exclusive = r->flexible == 0;
	/* numbers longer than E.164's 15 digits (plus margin) are cut */
	snprintf(si.called, sizeof(si.called), "%.31s", r->callednum);
	snprintf(si.calling, sizeof(si.calling), "%.31s", r->callingnum);
	si.called_plan = (uint8_t)r->calledplan;
	si.calling_plan = (uint8_t)r->callingplan;
	si.calling_pres = (uint8_t)r->callingpres;
	si.complete = r->complete != 0;
	si.bearer = (unsigned)r->ctype;
	LOGP(DISDN, LOGL_INFO, "span %u: SETUP channel %d called %s calling %s%s\n", s->cfg.id, ch,
	     si.called, si.calling, si.complete ? "" : " (overlap)");
	if (!si.complete && s->cfg.network) {
		/* Q.931 5.2.4: SETUP ACKNOWLEDGE, then INFORMATION until
		 * sending complete or T302 */
		c->collecting = true;
		c->si = si;
		pri_need_more_info(s->pri, c->q, ch, 0);
		loop_timer_schedule(isdn_loop, &c->t302,
				    osmo_tdef_get(isdn_tdefs, 302, OSMO_TDEF_MS, 10000) * 1000ull);
		return;
	}
	offer(c, &si);
}

/* More digits (INFORMATION) for a call in overlap receiving. */
static void info_rcvd(struct isdn_span *s, pri_event_ring *r)
{
	struct isdn_call *c = isdn_call_of(s, r->call);
	size_t have;

	if (!c || !c->collecting)
		return;
	have = strlen(c->si.called);
	snprintf(c->si.called + have, sizeof(c->si.called) - have, "%s", r->callednum);
	c->si.overlap = true;
	LOGP(DISDN, LOGL_INFO, "span %u: INFORMATION channel %u: called now %s%s\n", s->cfg.id,
	     c->channel, c->si.called, r->complete ? " (sending complete)" : "");
	if (r->complete) {
		c->si.complete = true;
		c->collecting = false;
		loop_timer_cancel(isdn_loop, &c->t302);
		offer(c, &c->si);
		return;
	}
	loop_timer_schedule(isdn_loop, &c->t302,
			    osmo_tdef_get(isdn_tdefs, 302, OSMO_TDEF_MS, 10000) * 1000ull);
}

static void t302_expired(void *priv)
{
	struct isdn_call *c = priv;
	struct isdn_span *s = c->s;

	if (!c->collecting)
		return;
	c->collecting = false;
	LOGP(DISDN, LOGL_INFO, "span %u: T302 on channel %u: called %s taken as complete\n",
	     s->cfg.id, c->channel, c->si.called);
	if (!c->si.called[0]) {
		/* Q.931 5.2.4.3: no digits at all: invalid number format */
		c->owner_gone = true;
		pri_hangup(s->pri, c->q, PRI_CAUSE_INVALID_NUMBER_FORMAT);
	} else {
		offer(c, &c->si);
	}
	isdn_span_arm(s);
}

/* The complete setup to the owner, or refused. */
static void offer(struct isdn_call *c, const struct isdn_setup_info *si)
{
	struct isdn_span *s = c->s;
	int cause, ch = (int)c->channel;

	if (!isdn_ops || !isdn_ops->setup) {
		/* no owner for PRI calls in this build (interwork has not
		 * registered one): refused, not left hanging */
		LOGP(DISDN, LOGL_NOTICE,
		     "span %u: SETUP on channel %d refused, cause 63: no call handler for PRI\n",
		     s->cfg.id, ch);
		cause = PRI_CAUSE_SERVICEOROPTION_NOTAVAIL;
	} else {
		cause = isdn_ops->setup(isdn_ops_priv, c, si);
	}
	if (cause > 0) {
		/* libpri 1.6 sends nothing for a hangup in the Call Present
		 * state (the call is not "alive" until answered): CALL
		 * PROCEEDING first, then DISCONNECT with the cause; the channel
		 * is free when RELEASE COMPLETE closes it (Q.931 5.3) */
		c->owner_gone = true;
		if (!si->overlap && si->complete)
			pri_proceeding(s->pri, c->q, ch, 0);
		pri_hangup(s->pri, c->q, cause);
	}
}

void isdn_handle(struct isdn_span *s, pri_event *e)
{
	struct isdn_call *c;
	bool t309;

	switch (e->e) {
	case PRI_EVENT_DCHAN_UP:
		if (s->up)
			break;
		s->up = true;
		s->up_count++;
		LOGP(DISDN, LOGL_NOTICE,
		     "span %u: D channel up (Q.921 multiple frame established)\n", s->cfg.id);
		if (isdn_ops && isdn_ops->dchan)
			isdn_ops->dchan(isdn_ops_priv, s, true);
		if (s->cfg.restart_on_up)
			isdn_span_restart(s, 0);
		break;
	case PRI_EVENT_DCHAN_DOWN:
		if (!s->up)
			break;
		s->up = false;
		s->down_count++;
		s->restart_all = false;
		t309 = isdn_apply_t309(s);
		if (!t309)
			LOGP(DISDN, LOGL_ERROR,
			     "span %u: D channel down (Q.921 link lost); calls released\n",
			     s->cfg.id);
		else
			LOGP(DISDN, LOGL_ERROR,
			     "span %u: D channel down (Q.921 link lost); calls held for T309, "
			     "%d ms (released if it runs out)\n",
			     s->cfg.id, pri_get_timer(s->pri, PRI_TIMER_T309));
		for (unsigned i = 0; i < ISDN_MAX_CHAN; i++) {
			/* Q.931 5.8.8 / T309: with the timer on, calls live on
			 * through a short outage (libpri ends them with HANGUP
			 * when it runs out); without it libpri keeps them and
			 * never ends them: they are ended here */
			if (s->call[i] && !t309) {
				isdn_call_gone(s->call[i], PRI_CAUSE_NETWORK_OUT_OF_ORDER);
				pri_destroycall(s->pri, s->call[i]->q);
				isdn_call_free(s->call[i]);
			}
			if (s->ch[i] == ISDN_CH_RESTARTING)
				s->ch[i] = s->oos[i] ? ISDN_CH_OOS : ISDN_CH_IDLE;
		}
		for (unsigned i = 0; i < ARRAY_SIZE(s->glared); i++)
			if (s->glared[i] && !t309) {
				isdn_call_gone(s->glared[i], PRI_CAUSE_NETWORK_OUT_OF_ORDER);
				pri_destroycall(s->pri, s->glared[i]->q);
				isdn_call_free(s->glared[i]);
			}
		if (isdn_ops && isdn_ops->dchan)
			isdn_ops->dchan(isdn_ops_priv, s, false);
		break;
	case PRI_EVENT_RESTART:
		isdn_restart_rcvd(s, e->restart.channel);
		break;
	case PRI_EVENT_RESTART_ACK: {
		int ch = e->restartack.channel > 0 ? CHAN_OF(e->restartack.channel) : -1;

		s->restart_acks++;
		LOGP(DISDN, LOGL_INFO, "span %u: RESTART ACKNOWLEDGE channel %d\n", s->cfg.id, ch);
		if (ch > 0 && ch < ISDN_MAX_CHAN && s->ch[ch] == ISDN_CH_RESTARTING)
			s->ch[ch] = s->oos[ch] ? ISDN_CH_OOS : ISDN_CH_IDLE;
		isdn_restart_step(s);
		break;
	}
	case PRI_EVENT_RING:
		ring(s, &e->ring);
		break;
	case PRI_EVENT_SERVICE:
		isdn_service_rcvd(s, e->service.channel, e->service.changestatus);
		break;
	case PRI_EVENT_SERVICE_ACK:
		s->service_acks++;
		LOGP(DISDN, LOGL_INFO, "span %u: SERVICE ACKNOWLEDGE channel %d status %d\n",
		     s->cfg.id, e->service_ack.channel > 0 ? CHAN_OF(e->service_ack.channel) : -1,
		     e->service_ack.changestatus);
		break;
	case PRI_EVENT_INFO_RECEIVED:
		info_rcvd(s, &e->ring);
		break;
	case PRI_EVENT_PROCEEDING:
		c = isdn_call_of(s, e->proceeding.call);
		if (glared_answer(s, c))
			break;
		if (c)
			c->answered_back = true;
		if (c && !c->owner_gone && isdn_ops && isdn_ops->proceeding)
			isdn_ops->proceeding(isdn_ops_priv, c);
		break;
	case PRI_EVENT_PROGRESS:
		c = isdn_call_of(s, e->proceeding.call);
		if (c && !c->owner_gone && isdn_ops && isdn_ops->progress)
			isdn_ops->progress(
				isdn_ops_priv, c,
				e->proceeding.progressmask &
					(PRI_PROG_INBAND_AVAILABLE | PRI_PROG_CALL_NOT_E2E_ISDN));
		break;
	case PRI_EVENT_RINGING:
		c = isdn_call_of(s, e->ringing.call);
		if (glared_answer(s, c))
			break;
		if (c)
			c->answered_back = true;
		LOGP(DISDN, LOGL_INFO, "span %u: ALERTING channel %u\n", s->cfg.id,
		     c ? c->channel : 0);
		if (c && !c->owner_gone && isdn_ops && isdn_ops->alerting)
			isdn_ops->alerting(isdn_ops_priv, c,
					   e->ringing.progressmask & PRI_PROG_INBAND_AVAILABLE);
		break;
	case PRI_EVENT_ANSWER:
		c = isdn_call_of(s, e->answer.call);
		if (glared_answer(s, c))
			break;
		LOGP(DISDN, LOGL_INFO, "span %u: CONNECT channel %u\n", s->cfg.id,
		     c ? c->channel : 0);
		if (c && !c->owner_gone && isdn_ops && isdn_ops->connect)
			isdn_ops->connect(isdn_ops_priv, c);
		break;
	case PRI_EVENT_HANGUP_REQ:
		/* DISCONNECT from the far end: tell the owner, answer RELEASE */
		c = isdn_call_of(s, e->hangup.call);
		LOGP(DISDN, LOGL_INFO, "span %u: DISCONNECT channel %u cause %d\n", s->cfg.id,
		     c ? c->channel : 0, e->hangup.cause);
		if (c)
			isdn_call_gone(c, (uint8_t)e->hangup.cause);
		pri_hangup(s->pri, e->hangup.call, e->hangup.cause);
		break;
	case PRI_EVENT_HANGUP:
		/* RELEASE or RELEASE COMPLETE: the call is over */
		c = isdn_call_of(s, e->hangup.call);
		LOGP(DISDN, LOGL_INFO, "span %u: call on channel %u released, cause %d\n",
		     s->cfg.id, c ? c->channel : 0, e->hangup.cause);
		if (c)
			isdn_call_gone(c, (uint8_t)e->hangup.cause);
		pri_hangup(s->pri, e->hangup.call, e->hangup.cause);
		if (c)
			isdn_call_free(c);
		break;
	case PRI_EVENT_HANGUP_ACK:
		c = isdn_call_of(s, e->hangup.call);
		if (c)
			isdn_call_free(c);
		break;
	case PRI_EVENT_KEYPAD_DIGIT:
		c = isdn_call_of(s, e->digit.call);
		LOGP(DISDN, LOGL_INFO, "span %u: KEYPAD channel %u: %s\n", s->cfg.id,
		     c ? c->channel : 0, e->digit.digits);
		if (c && !c->owner_gone && isdn_ops && isdn_ops->keypad)
			isdn_ops->keypad(isdn_ops_priv, c, e->digit.digits);
		break;
	case PRI_EVENT_CONFIG_ERR:
		LOGP(DISDN, LOGL_ERROR, "span %u: configuration error reported by libpri: %s\n",
		     s->cfg.id, e->err.err);
		break;
	default:
		LOGP(DISDN, LOGL_DEBUG, "span %u: %s (not acted on)\n", s->cfg.id,
		     pri_event2str(e->e));
		break;
	}
}

struct isdn_call *isdn_call_place(struct isdn_span *s, unsigned channel, const char *called,
				  uint8_t called_plan, const char *calling, uint8_t calling_plan,
				  uint8_t calling_pres, uint8_t *cause)
{
	struct isdn_call *c;
	struct pri_sr *sr;
	char cd[32], cg[32];

	if (!s->up) {
		*cause = PRI_CAUSE_NETWORK_OUT_OF_ORDER;
		return NULL;
	}
	for (unsigned i = 1; !channel && i < ISDN_MAX_CHAN; i++)
		if (s->ch[i] == ISDN_CH_IDLE)
			channel = i;
	if (!channel || !isdn_is_bchan(s, channel) || s->ch[channel] != ISDN_CH_IDLE) {
		*cause = PRI_CAUSE_NORMAL_CIRCUIT_CONGESTION;
		return NULL;
	}
	c = talloc_zero(s, struct isdn_call);
	if (c)
		loop_timer_init(&c->t302, t302_expired, c); /* never runs: not collecting */
	sr = pri_sr_new();
	if (!c || !sr || !(c->q = pri_new_call(s->pri))) {
		if (sr)
			pri_sr_free(sr);
		talloc_free(c);
		*cause = PRI_CAUSE_SWITCH_CONGESTION;
		return NULL;
	}
	snprintf(cd, sizeof(cd), "%s", called ? called : "");
	snprintf(cg, sizeof(cg), "%s", calling ? calling : "");
	pri_sr_set_channel(sr, (int)channel, 1, 0);
	pri_sr_set_bearer(sr, PRI_TRANS_CAP_SPEECH,
			  s->cfg.t1 ? PRI_LAYER_1_ULAW : PRI_LAYER_1_ALAW);
	pri_sr_set_called(sr, cd, called_plan, 1);
	/* presentation and screening as Q.931 4.5.10 octet 3a codes them
	 * (libpri's PRES_* values are that octet's bits 7-6 and 2-1) */
	pri_sr_set_caller(sr, cg[0] ? cg : NULL, NULL, calling_plan, calling_pres & 0x63);
	if (pri_setup(s->pri, c->q, sr) < 0) {
		pri_sr_free(sr);
		pri_destroycall(s->pri, c->q);
		talloc_free(c);
		*cause = PRI_CAUSE_SWITCH_CONGESTION;
		return NULL;
	}
	pri_sr_free(sr);
	c->s = s;
	c->channel = channel;
	c->outgoing = true;
	s->call[channel] = c;
	s->ch[channel] = ISDN_CH_BUSY;
	s->calls_out++;
	LOGP(DISDN, LOGL_INFO, "span %u: SETUP channel %u called %s calling %s%s\n", s->cfg.id,
	     channel, cd, cg, (calling_pres & 0x60) == 0x20 ? " (presentation restricted)" : "");
	isdn_span_arm(s);
	return c;
}

int isdn_call_proceeding(struct isdn_call *c)
{
	int rc = pri_proceeding(c->s->pri, c->q, (int)c->channel, 0);

	isdn_span_arm(c->s);
	return rc < 0 ? -EIO : 0;
}

int isdn_call_progress(struct isdn_call *c, bool inband)
{
	int rc = pri_progress(c->s->pri, c->q, (int)c->channel, inband);

	isdn_span_arm(c->s);
	return rc < 0 ? -EIO : 0;
}

int isdn_call_alerting(struct isdn_call *c, bool inband)
{
	int rc = pri_acknowledge(c->s->pri, c->q, (int)c->channel, inband);

	isdn_span_arm(c->s);
	return rc < 0 ? -EIO : 0;
}

int isdn_call_answer(struct isdn_call *c)
{
	int rc = pri_answer(c->s->pri, c->q, (int)c->channel, 0);

	isdn_span_arm(c->s);
	return rc < 0 ? -EIO : 0;
}

int isdn_call_release(struct isdn_call *c, uint8_t cause)
{
	struct isdn_span *s = c->s;

	c->owner_gone = true;
	pri_hangup(s->pri, c->q, cause);
	/* the channel stays busy until RELEASE / RELEASE COMPLETE (HANGUP
	 * or HANGUP_ACK events) */
	isdn_span_arm(s);
	return 0;
}

int isdn_call_clear(struct isdn_call *c, uint8_t cause)
{
	isdn_call_gone(c, cause);
	return isdn_call_release(c, cause);
}

unsigned isdn_call_channel(const struct isdn_call *c)
{
	return c->channel;
}

unsigned isdn_call_span(const struct isdn_call *c)
{
	return c->s->cfg.id;
}

struct isdn_call *isdn_span_call(struct isdn_span *s, unsigned channel)
{
	return channel < ISDN_MAX_CHAN ? s->call[channel] : NULL;
}

void isdn_call_set_priv(struct isdn_call *c, void *priv)
{
	c->priv = priv;
}

void *isdn_call_priv(const struct isdn_call *c)
{
	return c->priv;
}

#endif /* TANDEM_HAVE_LIBPRI */
