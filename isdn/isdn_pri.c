/* ISDN PRI spans: libpri (Q.921 and Q.931) driven by the tandem loop.
 *
 * libpri does no I/O of its own here: it is made with pri_new_cb() and
 * read/write callbacks. A frame that came from the D channel is handed to
 * it through pri_check_event() (its read callback returns that frame),
 * and what it writes goes to the owner's tx function. libpri's frames
 * carry two FCS placeholder bytes (it writes 00 00 and ignores the last
 * two bytes it reads): they are dropped on the way out and added on the
 * way in, the HDLC layer below computes the real CRC. Its timers are one
 * loop timer per span, set from pri_schedule_next() after every call
 * into libpri. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/utils.h>

#include "core/log.h"
#include "core/loop.h"
#include "isdn/isdn_pri.h"

#define MAX_SPANS 1024

static const char *const sw_names[] = {
	[ISDN_SW_EUROISDN] = "euroisdn", [ISDN_SW_NI2] = "ni2",	  [ISDN_SW_DMS100] = "dms100",
	[ISDN_SW_5ESS] = "5ess",	 [ISDN_SW_4ESS] = "4ess", [ISDN_SW_QSIG] = "qsig",
};

int isdn_switch_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof(sw_names) / sizeof(sw_names[0]); i++)
		if (!strcmp(name, sw_names[i]))
			return (int)i;
	return -1;
}

const char *isdn_switch_name(enum isdn_switch sw)
{
	return (unsigned)sw < sizeof(sw_names) / sizeof(sw_names[0]) ? sw_names[sw] : "?";
}

const char *isdn_chan_state_name(enum isdn_chan_state st)
{
	switch (st) {
	case ISDN_CH_IDLE:
		return "idle";
	case ISDN_CH_BUSY:
		return "busy";
	case ISDN_CH_RESTARTING:
		return "restarting";
	case ISDN_CH_OOS:
		return "out of service";
	case _NUM_ISDN_CH:
	case ISDN_CH_NONE:
		break;
	}
	return "-";
}

static struct isdn_span *spans[MAX_SPANS];

struct osmo_tdef isdn_tdefs[] = {
	{.T = 302,
	 .default_val = 10,
	 .unit = OSMO_TDEF_S,
	 .desc = "overlap receiving: SETUP ACKNOWLEDGE / INFORMATION to the next (Q.931: 10-15 s)"},
	/* libpri's 6 s by default (Q.931 Table 9-1 says 90 s): calls on a
	 * PBX line rarely survive long outages of their D channel */
	{.T = 309,
	 .default_val = 6,
	 .unit = OSMO_TDEF_S,
	 .desc = "D channel lost: active calls are kept this long after Q.921 gave up "
		 "re-establishing, then cleared (Q.931 5.8.8); 0: cleared at once"},
	{},
};

struct isdn_span *isdn_span_find(unsigned id)
{
	return id < MAX_SPANS ? spans[id] : NULL;
}

void isdn_span_foreach(void (*cb)(struct isdn_span *s, void *priv), void *priv)
{
	for (unsigned i = 0; i < MAX_SPANS; i++)
		if (spans[i])
			cb(spans[i], priv);
}

#ifdef TANDEM_HAVE_LIBPRI

#include <libpri.h>

/* libpri's channel words: the channel number in the low byte (the span
 * and the "explicit" flag above it) */
#define CHAN_OF(x) ((int)((x)&0xff))

struct isdn_call {
	struct isdn_span *s;
	q931_call *q;
	unsigned channel;
	bool outgoing;
	bool answered_back; /* outgoing: the far end took it (PROCEEDING, ALERTING...) */
	/* overlap receiving (SETUP without sending complete): the setup
	 * waits here while INFORMATION brings digits, T302 between them */
	bool collecting;
	struct isdn_setup_info si;
	struct loop_timer t302;
	bool owner_gone; /* released toward the owner (or by it): no more events */
	void *priv;
};

struct isdn_span {
	struct isdn_span_cfg cfg;
	struct pri *pri;
	struct loop_timer timer;
	/* the frame pri_check_event() is reading */
	const uint8_t *rx_frame;
	size_t rx_len;
	bool up;
	bool restart_all; /* a RESTART of every channel is running, one at a time */
	unsigned restart_next;
	enum isdn_chan_state ch[ISDN_MAX_CHAN];
	bool oos[ISDN_MAX_CHAN]; /* out of service (SERVICE): free means OOS, not idle */
	struct isdn_call *call[ISDN_MAX_CHAN]; /* by B channel */
	/* glare (Q.931 5.7), user side: our SETUPs whose channel the network's
	 * SETUP took; channel 0, they wait for the network to clear them */
	struct isdn_call *glared[4];
	uint64_t glares;
	uint64_t up_count, down_count, rx_frames, tx_frames;
	uint64_t calls_in, calls_out, restarts_sent, restart_acks, restarts_rcvd;
	uint64_t services_sent, service_acks, services_rcvd;
};

static struct loop *isdn_loop;
static struct pri *retired[64]; /* instances of freed spans (see span_destructor) */
static unsigned n_retired;
static const struct isdn_call_ops *ops;
static void *ops_priv;

static void span_arm(struct isdn_span *s);
static void handle(struct isdn_span *s, pri_event *e);
static bool apply_t309(struct isdn_span *s);

static struct isdn_span *span_of(struct pri *p)
{
	return p ? pri_get_userdata(p) : NULL;
}

/* libpri's own lines (Q.921/Q.931 anomalies, debug dumps) */
static void pri_log_msg(struct pri *p, char *text)
{
	struct isdn_span *s = span_of(p);

	LOGP(DISDN, LOGL_DEBUG, "span %d: libpri: %s%s", s ? (int)s->cfg.id : -1, text,
	     text[0] && text[strlen(text) - 1] == '\n' ? "" : "\n");
}

static void pri_log_err(struct pri *p, char *text)
{
	struct isdn_span *s = span_of(p);

	LOGP(DISDN, LOGL_ERROR, "span %d: libpri: %s%s", s ? (int)s->cfg.id : -1, text,
	     text[0] && text[strlen(text) - 1] == '\n' ? "" : "\n");
}

static int io_read(struct pri *p, void *buf, int buflen)
{
	struct isdn_span *s = span_of(p);

	if (!s || !s->rx_frame || (int)s->rx_len + 2 > buflen)
		return 0;
	memcpy(buf, s->rx_frame, s->rx_len);
	memset((uint8_t *)buf + s->rx_len, 0, 2); /* the FCS, checked below already */
	s->rx_frame = NULL;
	return (int)s->rx_len + 2;
}

static int io_write(struct pri *p, void *buf, int len)
{
	struct isdn_span *s = span_of(p);

	if (!s || len <= 2)
		return len;
	if (s->cfg.tx(s->cfg.tx_priv, s->cfg.id, buf, (size_t)len - 2) == 0)
		s->tx_frames++;
	return len;
}

static void span_timer(void *priv)
{
	struct isdn_span *s = priv;
	pri_event *e = pri_schedule_run(s->pri);

	if (e)
		handle(s, e);
	span_arm(s);
}

static void span_arm(struct isdn_span *s)
{
	struct timeval *tv = pri_schedule_next(s->pri), now;
	int64_t us;

	if (!tv) {
		loop_timer_cancel(isdn_loop, &s->timer);
		return;
	}
	gettimeofday(&now, NULL);
	us = (int64_t)(tv->tv_sec - now.tv_sec) * 1000000 + (tv->tv_usec - now.tv_usec);
	loop_timer_schedule(isdn_loop, &s->timer, us > 0 ? (uint64_t)us : 0);
}

int isdn_init(struct loop *l, const struct isdn_call_ops *o, void *priv)
{
	isdn_loop = l;
	ops = o;
	ops_priv = priv;
	pri_set_message(pri_log_msg);
	pri_set_error(pri_log_err);
	return 0;
}

static int sw_to_pri(const struct isdn_span_cfg *c)
{
	switch (c->sw) {
	case ISDN_SW_EUROISDN:
		return c->t1 ? PRI_SWITCH_EUROISDN_T1 : PRI_SWITCH_EUROISDN_E1;
	case ISDN_SW_NI2:
		return PRI_SWITCH_NI2;
	case ISDN_SW_DMS100:
		return PRI_SWITCH_DMS100;
	case ISDN_SW_5ESS:
		return PRI_SWITCH_LUCENT5E;
	case ISDN_SW_4ESS:
		return PRI_SWITCH_ATT4ESS;
	case ISDN_SW_QSIG:
		return PRI_SWITCH_QSIG;
	}
	return PRI_SWITCH_EUROISDN_E1;
}

static bool service_msgs(const struct isdn_span_cfg *c)
{
	return c->sw == ISDN_SW_NI2 || c->sw == ISDN_SW_4ESS || c->sw == ISDN_SW_5ESS;
}

static bool is_bchan(const struct isdn_span *s, unsigned ch)
{
	return ch >= 1 && ch <= (s->cfg.t1 ? 24u : 31u) && ch != s->cfg.dchan_ts;
}

static int span_destructor(struct isdn_span *s)
{
	if (spans[s->cfg.id] == s)
		spans[s->cfg.id] = NULL;
	if (isdn_loop)
		loop_timer_cancel(isdn_loop, &s->timer);
	for (unsigned i = 0; i < ISDN_MAX_CHAN; i++)
		TALLOC_FREE(s->call[i]);
	/* libpri 1.6 has no call to free an instance: it is kept (reachable,
	 * with the span's callbacks cut off) for the life of the process */
	if (s->pri) {
		pri_set_userdata(s->pri, NULL);
		if (n_retired < sizeof(retired) / sizeof(retired[0]))
			retired[n_retired++] = s->pri;
	}
	return 0;
}

struct isdn_span *isdn_span_create(void *ctx, const struct isdn_span_cfg *cfg)
{
	struct isdn_span *s;

	if (!isdn_loop || cfg->id >= MAX_SPANS || spans[cfg->id] || !cfg->tx)
		return NULL;
	s = talloc_zero(ctx, struct isdn_span);
	if (!s)
		return NULL;
	s->cfg = *cfg;
	loop_timer_init(&s->timer, span_timer, s);
	for (unsigned i = 0; i < ISDN_MAX_CHAN; i++)
		s->ch[i] = is_bchan(s, i) ? ISDN_CH_IDLE : ISDN_CH_NONE;
	spans[cfg->id] = s;
	talloc_set_destructor(s, span_destructor);
	/* libpri sends its first SABME from in here (through io_write) */
	s->pri = pri_new_cb(-1, cfg->network ? PRI_NETWORK : PRI_CPE, sw_to_pri(cfg), io_read,
			    io_write, s);
	if (!s->pri) {
		talloc_free(s);
		return NULL;
	}
	/* RELEASE COMPLETE answers a RELEASE even when the call is gone */
	pri_hangup_fix_enable(s->pri, 1);
	/* the network side takes overlap receiving (Q.931 5.2.4); without
	 * this libpri reports every SETUP as complete */
	if (cfg->network)
		pri_set_overlapdial(s->pri, 1);
	apply_t309(s);
	/* SERVICE / SERVICE ACKNOWLEDGE (maintenance of B channels) where
	 * the switch type has them */
	if (service_msgs(cfg))
		pri_set_service_message_support(s->pri, 1);
	/* "logging level isdn debug": libpri's decoded Q.921/Q.931 too */
	if (log_check_level(DISDN, LOGL_DEBUG))
		pri_set_debug(s->pri,
			      PRI_DEBUG_Q931_DUMP | PRI_DEBUG_Q931_STATE | PRI_DEBUG_Q921_STATE);
	LOGP(DISDN, LOGL_NOTICE, "span %u: PRI %s side, %s, D channel on TS%u\n", cfg->id,
	     cfg->network ? "network" : "user", isdn_switch_name(cfg->sw), cfg->dchan_ts);
	span_arm(s);
	return s;
}

void isdn_span_free(struct isdn_span *s)
{
	talloc_free(s);
}

void isdn_span_rx(struct isdn_span *s, const uint8_t *frame, size_t len)
{
	pri_event *e;

	if (len < 3 || len > 1024)
		return;
	s->rx_frames++;
	s->rx_frame = frame;
	s->rx_len = len;
	e = pri_check_event(s->pri);
	s->rx_frame = NULL;
	if (e)
		handle(s, e);
	span_arm(s);
}

/* --- B channels, restarts --- */

static struct isdn_call *call_of(struct isdn_span *s, q931_call *q)
{
	for (unsigned i = 0; q && i < ISDN_MAX_CHAN; i++)
		if (s->call[i] && s->call[i]->q == q)
			return s->call[i];
	for (unsigned i = 0; q && i < ARRAY_SIZE(s->glared); i++)
		if (s->glared[i] && s->glared[i]->q == q)
			return s->glared[i];
	return NULL;
}

static void call_free(struct isdn_call *c)
{
	struct isdn_span *s = c->s;

	loop_timer_cancel(isdn_loop, &c->t302);
	for (unsigned i = 0; i < ARRAY_SIZE(s->glared); i++)
		if (s->glared[i] == c)
			s->glared[i] = NULL;
	if (s->call[c->channel] == c) {
		s->call[c->channel] = NULL;
		if (s->ch[c->channel] == ISDN_CH_BUSY)
			s->ch[c->channel] = s->oos[c->channel] ? ISDN_CH_OOS : ISDN_CH_IDLE;
	}
	talloc_free(c);
}

/* "timer pri T309" into libpri. Read when a span is made and when its D
 * channel goes down, so a change applies to the next loss. Returns false
 * when T309 is off (0 here, or libpri has it off for the switch type):
 * the calls are then released at once. libpri takes no negative value
 * to switch it off, so "off" is done here. */
static bool apply_t309(struct isdn_span *s)
{
	unsigned long ms = osmo_tdef_get(isdn_tdefs, 309, OSMO_TDEF_MS, 6000);

	if (!ms)
		return false;
	if (pri_get_timer(s->pri, PRI_TIMER_T309) < 0)
		return false;
	pri_set_timer(s->pri, PRI_TIMER_T309, (int)ms);
	return true;
}

/* The call ends for its owner (once). */
static void call_gone(struct isdn_call *c, uint8_t cause)
{
	if (c->owner_gone)
		return;
	c->owner_gone = true;
	if (ops && ops->released)
		ops->released(ops_priv, c, cause);
}

static int send_restart(struct isdn_span *s, unsigned ch)
{
	if (pri_reset(s->pri, (int)ch) < 0)
		return -EIO;
	s->ch[ch] = ISDN_CH_RESTARTING;
	s->restarts_sent++;
	LOGP(DISDN, LOGL_INFO, "span %u: RESTART channel %u\n", s->cfg.id, ch);
	return 0;
}

/* The next channel of a RESTART of the whole span. */
static void restart_step(struct isdn_span *s)
{
	while (s->restart_all && s->restart_next < ISDN_MAX_CHAN) {
		unsigned ch = s->restart_next++;

		if (s->ch[ch] != ISDN_CH_IDLE)
			continue; /* a busy channel keeps its call; NONE is no B channel */
		if (send_restart(s, ch) == 0)
			return;
	}
	if (s->restart_all)
		LOGP(DISDN, LOGL_NOTICE, "span %u: RESTART of the span sent\n", s->cfg.id);
	s->restart_all = false;
}

int isdn_span_restart(struct isdn_span *s, unsigned channel)
{
	int rc = 0;

	if (!s->up)
		return -ENOTCONN;
	if (channel) {
		if (!is_bchan(s, channel))
			return -EINVAL;
		if (s->call[channel]) {
			/* Q.931 5.5.1: the channel's call is cleared first */
			call_gone(s->call[channel], 41);
			pri_destroycall(s->pri, s->call[channel]->q);
			call_free(s->call[channel]);
		}
		rc = send_restart(s, channel);
	} else {
		s->restart_all = true;
		s->restart_next = 1;
		restart_step(s);
	}
	span_arm(s);
	return rc;
}

/* Channels of a restart event (-1 or 0: the whole interface). */
static void restart_rcvd(struct isdn_span *s, int channel)
{
	unsigned from = 1, to = ISDN_MAX_CHAN - 1;

	if (channel > 0) {
		from = to = (unsigned)CHAN_OF(channel);
		if (from >= ISDN_MAX_CHAN)
			return;
	}
	s->restarts_rcvd++;
	for (unsigned ch = from; ch <= to; ch++) {
		if (!is_bchan(s, ch))
			continue;
		if (s->call[ch]) {
			call_gone(s->call[ch], 41);
			pri_destroycall(s->pri, s->call[ch]->q);
			call_free(s->call[ch]);
		}
		/* a RESTART does not change the service state (SERVICE) */
		s->ch[ch] = s->oos[ch] ? ISDN_CH_OOS : ISDN_CH_IDLE;
	}
	LOGP(DISDN, LOGL_NOTICE, "span %u: RESTART received for %s %d, acknowledged\n", s->cfg.id,
	     channel > 0 ? "channel" : "the interface", channel > 0 ? CHAN_OF(channel) : 0);
}

/* --- SERVICE (maintenance): AT&T / NI-2 --- */

static const char *service_status_name(unsigned status)
{
	return status == 0 ? "in service" : status == 1 ? "maintenance" : "out of service";
}

/* Our side or the far end's puts a B channel in or out of service. */
static void set_service(struct isdn_span *s, unsigned ch, unsigned status)
{
	s->oos[ch] = status != 0;
	if (s->ch[ch] == ISDN_CH_IDLE && s->oos[ch])
		s->ch[ch] = ISDN_CH_OOS;
	else if (s->ch[ch] == ISDN_CH_OOS && !s->oos[ch])
		s->ch[ch] = ISDN_CH_IDLE;
	/* a busy channel keeps its call and is out of service after it */
}

/* SERVICE from the far end (libpri has answered it with SERVICE
 * ACKNOWLEDGE). */
static void service_rcvd(struct isdn_span *s, int channel, int status)
{
	int ch = channel > 0 ? CHAN_OF(channel) : -1;

	s->services_rcvd++;
	if (ch <= 0 || ch >= ISDN_MAX_CHAN || !is_bchan(s, (unsigned)ch) || status < 0 ||
	    status > 2) {
		LOGP(DISDN, LOGL_NOTICE, "span %u: SERVICE for channel %d status %d ignored\n",
		     s->cfg.id, ch, status);
		return;
	}
	set_service(s, (unsigned)ch, (unsigned)status);
	LOGP(DISDN, LOGL_NOTICE, "span %u: SERVICE received: channel %d %s\n", s->cfg.id, ch,
	     service_status_name((unsigned)status));
}

int isdn_span_service(struct isdn_span *s, unsigned channel, unsigned status)
{
	if (!service_msgs(&s->cfg))
		return -ENOTSUP;
	if (!s->up)
		return -ENOTCONN;
	if (!is_bchan(s, channel) || status > 2)
		return -EINVAL;
	if (pri_maintenance_service(s->pri, 0, (int)channel, (int)status) < 0)
		return -EIO;
	s->services_sent++;
	set_service(s, channel, status);
	LOGP(DISDN, LOGL_NOTICE, "span %u: SERVICE sent: channel %u %s\n", s->cfg.id, channel,
	     service_status_name(status));
	span_arm(s);
	return 0;
}

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
	call_gone(c, PRI_CAUSE_REQUESTED_CHAN_UNAVAIL);
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
	if (is_bchan(s, (unsigned)ch) && s->ch[ch] == ISDN_CH_BUSY && !s->cfg.network)
		glare(s, (unsigned)ch);
	if (s->cfg.network && r->flexible &&
	    (!is_bchan(s, (unsigned)ch) || s->ch[ch] != ISDN_CH_IDLE)) {
		/* Q.931 5.1.2 b): the channel was only preferred: the network
		 * gives another one (CALL PROCEEDING names it, exclusive) */
		int want = ch;

		ch = -1;
		for (unsigned i = 1; i < ISDN_MAX_CHAN && ch < 0; i++)
			if (is_bchan(s, i) && s->ch[i] == ISDN_CH_IDLE)
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
	if (!is_bchan(s, (unsigned)ch) || s->ch[ch] != ISDN_CH_IDLE) {
		LOGP(DISDN, LOGL_NOTICE, "span %u: SETUP for channel %d (%s): refused, cause 44\n",
		     s->cfg.id, ch,
		     is_bchan(s, (unsigned)ch) ? isdn_chan_state_name(s->ch[ch]) : "no B channel");
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
	struct isdn_call *c = call_of(s, r->call);
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
	span_arm(s);
}

/* The complete setup to the owner, or refused. */
static void offer(struct isdn_call *c, const struct isdn_setup_info *si)
{
	struct isdn_span *s = c->s;
	int cause, ch = (int)c->channel;

	if (!ops || !ops->setup) {
		/* no owner for PRI calls in this build (interwork has not
		 * registered one): refused, not left hanging */
		LOGP(DISDN, LOGL_NOTICE,
		     "span %u: SETUP on channel %d refused, cause 63: no call handler for PRI\n",
		     s->cfg.id, ch);
		cause = PRI_CAUSE_SERVICEOROPTION_NOTAVAIL;
	} else {
		cause = ops->setup(ops_priv, c, si);
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

static void handle(struct isdn_span *s, pri_event *e)
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
		if (ops && ops->dchan)
			ops->dchan(ops_priv, s, true);
		if (s->cfg.restart_on_up)
			isdn_span_restart(s, 0);
		break;
	case PRI_EVENT_DCHAN_DOWN:
		if (!s->up)
			break;
		s->up = false;
		s->down_count++;
		s->restart_all = false;
		t309 = apply_t309(s);
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
				call_gone(s->call[i], PRI_CAUSE_NETWORK_OUT_OF_ORDER);
				pri_destroycall(s->pri, s->call[i]->q);
				call_free(s->call[i]);
			}
			if (s->ch[i] == ISDN_CH_RESTARTING)
				s->ch[i] = s->oos[i] ? ISDN_CH_OOS : ISDN_CH_IDLE;
		}
		for (unsigned i = 0; i < ARRAY_SIZE(s->glared); i++)
			if (s->glared[i] && !t309) {
				call_gone(s->glared[i], PRI_CAUSE_NETWORK_OUT_OF_ORDER);
				pri_destroycall(s->pri, s->glared[i]->q);
				call_free(s->glared[i]);
			}
		if (ops && ops->dchan)
			ops->dchan(ops_priv, s, false);
		break;
	case PRI_EVENT_RESTART:
		restart_rcvd(s, e->restart.channel);
		break;
	case PRI_EVENT_RESTART_ACK: {
		int ch = e->restartack.channel > 0 ? CHAN_OF(e->restartack.channel) : -1;

		s->restart_acks++;
		LOGP(DISDN, LOGL_INFO, "span %u: RESTART ACKNOWLEDGE channel %d\n", s->cfg.id, ch);
		if (ch > 0 && ch < ISDN_MAX_CHAN && s->ch[ch] == ISDN_CH_RESTARTING)
			s->ch[ch] = s->oos[ch] ? ISDN_CH_OOS : ISDN_CH_IDLE;
		restart_step(s);
		break;
	}
	case PRI_EVENT_RING:
		ring(s, &e->ring);
		break;
	case PRI_EVENT_SERVICE:
		service_rcvd(s, e->service.channel, e->service.changestatus);
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
		c = call_of(s, e->proceeding.call);
		if (glared_answer(s, c))
			break;
		if (c)
			c->answered_back = true;
		if (c && !c->owner_gone && ops && ops->proceeding)
			ops->proceeding(ops_priv, c);
		break;
	case PRI_EVENT_PROGRESS:
		c = call_of(s, e->proceeding.call);
		if (c && !c->owner_gone && ops && ops->progress)
			ops->progress(ops_priv, c,
				      e->proceeding.progressmask & (PRI_PROG_INBAND_AVAILABLE |
								    PRI_PROG_CALL_NOT_E2E_ISDN));
		break;
	case PRI_EVENT_RINGING:
		c = call_of(s, e->ringing.call);
		if (glared_answer(s, c))
			break;
		if (c)
			c->answered_back = true;
		LOGP(DISDN, LOGL_INFO, "span %u: ALERTING channel %u\n", s->cfg.id,
		     c ? c->channel : 0);
		if (c && !c->owner_gone && ops && ops->alerting)
			ops->alerting(ops_priv, c,
				      e->ringing.progressmask & PRI_PROG_INBAND_AVAILABLE);
		break;
	case PRI_EVENT_ANSWER:
		c = call_of(s, e->answer.call);
		if (glared_answer(s, c))
			break;
		LOGP(DISDN, LOGL_INFO, "span %u: CONNECT channel %u\n", s->cfg.id,
		     c ? c->channel : 0);
		if (c && !c->owner_gone && ops && ops->connect)
			ops->connect(ops_priv, c);
		break;
	case PRI_EVENT_HANGUP_REQ:
		/* DISCONNECT from the far end: tell the owner, answer RELEASE */
		c = call_of(s, e->hangup.call);
		LOGP(DISDN, LOGL_INFO, "span %u: DISCONNECT channel %u cause %d\n", s->cfg.id,
		     c ? c->channel : 0, e->hangup.cause);
		if (c)
			call_gone(c, (uint8_t)e->hangup.cause);
		pri_hangup(s->pri, e->hangup.call, e->hangup.cause);
		break;
	case PRI_EVENT_HANGUP:
		/* RELEASE or RELEASE COMPLETE: the call is over */
		c = call_of(s, e->hangup.call);
		LOGP(DISDN, LOGL_INFO, "span %u: call on channel %u released, cause %d\n",
		     s->cfg.id, c ? c->channel : 0, e->hangup.cause);
		if (c)
			call_gone(c, (uint8_t)e->hangup.cause);
		pri_hangup(s->pri, e->hangup.call, e->hangup.cause);
		if (c)
			call_free(c);
		break;
	case PRI_EVENT_HANGUP_ACK:
		c = call_of(s, e->hangup.call);
		if (c)
			call_free(c);
		break;
	case PRI_EVENT_KEYPAD_DIGIT:
		c = call_of(s, e->digit.call);
		LOGP(DISDN, LOGL_INFO, "span %u: KEYPAD channel %u: %s\n", s->cfg.id,
		     c ? c->channel : 0, e->digit.digits);
		if (c && !c->owner_gone && ops && ops->keypad)
			ops->keypad(ops_priv, c, e->digit.digits);
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
	if (!channel || !is_bchan(s, channel) || s->ch[channel] != ISDN_CH_IDLE) {
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
	span_arm(s);
	return c;
}

int isdn_call_proceeding(struct isdn_call *c)
{
	int rc = pri_proceeding(c->s->pri, c->q, (int)c->channel, 0);

	span_arm(c->s);
	return rc < 0 ? -EIO : 0;
}

int isdn_call_progress(struct isdn_call *c, bool inband)
{
	int rc = pri_progress(c->s->pri, c->q, (int)c->channel, inband);

	span_arm(c->s);
	return rc < 0 ? -EIO : 0;
}

int isdn_call_alerting(struct isdn_call *c, bool inband)
{
	int rc = pri_acknowledge(c->s->pri, c->q, (int)c->channel, inband);

	span_arm(c->s);
	return rc < 0 ? -EIO : 0;
}

int isdn_call_answer(struct isdn_call *c)
{
	int rc = pri_answer(c->s->pri, c->q, (int)c->channel, 0);

	span_arm(c->s);
	return rc < 0 ? -EIO : 0;
}

int isdn_call_release(struct isdn_call *c, uint8_t cause)
{
	struct isdn_span *s = c->s;

	c->owner_gone = true;
	pri_hangup(s->pri, c->q, cause);
	/* the channel stays busy until RELEASE / RELEASE COMPLETE (HANGUP
	 * or HANGUP_ACK events) */
	span_arm(s);
	return 0;
}

int isdn_call_clear(struct isdn_call *c, uint8_t cause)
{
	call_gone(c, cause);
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

int isdn_span_info(const struct isdn_span *s, struct isdn_span_info *o)
{
	memset(o, 0, sizeof(*o));
	o->id = s->cfg.id;
	o->t1 = s->cfg.t1;
	o->network = s->cfg.network;
	o->sw = s->cfg.sw;
	o->dchan_ts = s->cfg.dchan_ts;
	o->up = s->up;
	o->up_count = s->up_count;
	o->down_count = s->down_count;
	o->rx_frames = s->rx_frames;
	o->tx_frames = s->tx_frames;
	o->calls_in = s->calls_in;
	o->calls_out = s->calls_out;
	o->restarts_sent = s->restarts_sent;
	o->restart_acks = s->restart_acks;
	o->restarts_rcvd = s->restarts_rcvd;
	o->services_sent = s->services_sent;
	o->service_acks = s->service_acks;
	o->services_rcvd = s->services_rcvd;
	o->glares = s->glares;
	o->service_msgs = service_msgs(&s->cfg);
	memcpy(o->ch, s->ch, sizeof(o->ch));
	return 0;
}

#else /* built without libpri: PRI spans are refused with the reason */

int isdn_init(struct loop *l, const struct isdn_call_ops *o, void *priv)
{
	(void)l;
	(void)o;
	(void)priv;
	return -ENOTSUP;
}

struct isdn_span *isdn_span_create(void *ctx, const struct isdn_span_cfg *cfg)
{
	(void)ctx;
	LOGP(DISDN, LOGL_ERROR, "span %u: PRI signalling needs libpri (libpri-dev), not built in\n",
	     cfg->id);
	return NULL;
}

void isdn_span_free(struct isdn_span *s)
{
	(void)s;
}

void isdn_span_rx(struct isdn_span *s, const uint8_t *frame, size_t len)
{
	(void)s;
	(void)frame;
	(void)len;
}

int isdn_span_restart(struct isdn_span *s, unsigned channel)
{
	(void)s;
	(void)channel;
	return -ENOTSUP;
}

int isdn_span_service(struct isdn_span *s, unsigned channel, unsigned status)
{
	(void)s;
	(void)channel;
	(void)status;
	return -ENOTSUP;
}

int isdn_span_info(const struct isdn_span *s, struct isdn_span_info *o)
{
	(void)s;
	memset(o, 0, sizeof(*o));
	return -ENOTSUP;
}

struct isdn_call *isdn_call_place(struct isdn_span *s, unsigned channel, const char *called,
				  uint8_t called_plan, const char *calling, uint8_t calling_plan,
				  uint8_t calling_pres, uint8_t *cause)
{
	(void)s;
	(void)channel;
	(void)called;
	(void)calling_pres;
	(void)called_plan;
	(void)calling;
	(void)calling_plan;
	*cause = 63;
	return NULL;
}

int isdn_call_proceeding(struct isdn_call *c)
{
	(void)c;
	return -ENOTSUP;
}

int isdn_call_progress(struct isdn_call *c, bool inband)
{
	(void)c;
	(void)inband;
	return -ENOTSUP;
}

int isdn_call_alerting(struct isdn_call *c, bool inband)
{
	(void)c;
	(void)inband;
	return -ENOTSUP;
}

int isdn_call_answer(struct isdn_call *c)
{
	(void)c;
	return -ENOTSUP;
}

int isdn_call_release(struct isdn_call *c, uint8_t cause)
{
	(void)c;
	(void)cause;
	return -ENOTSUP;
}

int isdn_call_clear(struct isdn_call *c, uint8_t cause)
{
	(void)c;
	(void)cause;
	return -ENOTSUP;
}

unsigned isdn_call_channel(const struct isdn_call *c)
{
	(void)c;
	return 0;
}

unsigned isdn_call_span(const struct isdn_call *c)
{
	(void)c;
	return 0;
}

struct isdn_call *isdn_span_call(struct isdn_span *s, unsigned channel)
{
	(void)s;
	(void)channel;
	return NULL;
}

void isdn_call_set_priv(struct isdn_call *c, void *priv)
{
	(void)c;
	(void)priv;
}

void *isdn_call_priv(const struct isdn_call *c)
{
	(void)c;
	return NULL;
}

#endif
