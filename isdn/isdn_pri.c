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

#include "isdn/isdn_int.h"

struct loop *isdn_loop;
static struct pri *retired[64]; /* instances of freed spans (see span_destructor) */
static unsigned n_retired;
const struct isdn_call_ops *isdn_ops;
void *isdn_ops_priv;

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
		isdn_handle(s, e);
	isdn_span_arm(s);
}

void isdn_span_arm(struct isdn_span *s)
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
	isdn_ops = o;
	isdn_ops_priv = priv;
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

bool isdn_is_bchan(const struct isdn_span *s, unsigned ch)
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
		s->ch[i] = isdn_is_bchan(s, i) ? ISDN_CH_IDLE : ISDN_CH_NONE;
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
	isdn_apply_t309(s);
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
	isdn_span_arm(s);
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
		isdn_handle(s, e);
	isdn_span_arm(s);
}

/* --- B channels, restarts --- */

struct isdn_call *isdn_call_of(struct isdn_span *s, q931_call *q)
{
	for (unsigned i = 0; q && i < ISDN_MAX_CHAN; i++)
		if (s->call[i] && s->call[i]->q == q)
			return s->call[i];
	for (unsigned i = 0; q && i < ARRAY_SIZE(s->glared); i++)
		if (s->glared[i] && s->glared[i]->q == q)
			return s->glared[i];
	return NULL;
}

void isdn_call_free(struct isdn_call *c)
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
bool isdn_apply_t309(struct isdn_span *s)
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
void isdn_call_gone(struct isdn_call *c, uint8_t cause)
{
	if (c->owner_gone)
		return;
	c->owner_gone = true;
	if (isdn_ops && isdn_ops->released)
		isdn_ops->released(isdn_ops_priv, c, cause);
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
void isdn_restart_step(struct isdn_span *s)
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
		if (!isdn_is_bchan(s, channel))
			return -EINVAL;
		if (s->call[channel]) {
			/* Q.931 5.5.1: the channel's call is cleared first */
			isdn_call_gone(s->call[channel], 41);
			pri_destroycall(s->pri, s->call[channel]->q);
			isdn_call_free(s->call[channel]);
		}
		rc = send_restart(s, channel);
	} else {
		s->restart_all = true;
		s->restart_next = 1;
		isdn_restart_step(s);
	}
	isdn_span_arm(s);
	return rc;
}

/* Channels of a restart event (-1 or 0: the whole interface). */
void isdn_restart_rcvd(struct isdn_span *s, int channel)
{
	unsigned from = 1, to = ISDN_MAX_CHAN - 1;

	if (channel > 0) {
		from = to = (unsigned)CHAN_OF(channel);
		if (from >= ISDN_MAX_CHAN)
			return;
	}
	s->restarts_rcvd++;
	for (unsigned ch = from; ch <= to; ch++) {
		if (!isdn_is_bchan(s, ch))
			continue;
		if (s->call[ch]) {
			isdn_call_gone(s->call[ch], 41);
			pri_destroycall(s->pri, s->call[ch]->q);
			isdn_call_free(s->call[ch]);
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
void isdn_service_rcvd(struct isdn_span *s, int channel, int status)
{
	int ch = channel > 0 ? CHAN_OF(channel) : -1;

	s->services_rcvd++;
	if (ch <= 0 || ch >= ISDN_MAX_CHAN || !isdn_is_bchan(s, (unsigned)ch) || status < 0 ||
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
	if (!isdn_is_bchan(s, channel) || status > 2)
		return -EINVAL;
	if (pri_maintenance_service(s->pri, 0, (int)channel, (int)status) < 0)
		return -EIO;
	s->services_sent++;
	set_service(s, channel, status);
	LOGP(DISDN, LOGL_NOTICE, "span %u: SERVICE sent: channel %u %s\n", s->cfg.id, channel,
	     service_status_name(status));
	isdn_span_arm(s);
	return 0;
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

#endif /* TANDEM_HAVE_LIBPRI */
