/* Captures of a call's signalling to HEP and to the log (iw_capture.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/addr.h"
#include "core/hep.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/pcap.h"
#include "core/vty.h"
#include "media/media.h"
#include "media/rtcp_json.h"
#include "interwork/iw_call_int.h"
#include "interwork/iw_capture.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_proto.h"
#include "sigtran/isup_vty.h"
#include "sigtran/m3ua_conn.h"
#include "sigtran/m3ua_msg.h"
#include "sigtran/m3ua_proto.h"
#include "sip/sip_transport.h"

#define CAP_QUEUE_MAX	4096	      /* messages waiting for their call */
#define CAP_WAIT_NS	2000000000ull /* an ISUP message waits this long for a Call-ID */
#define CAP_RECENT	256	      /* CICs' last Call-ID (the RLC after the call is gone) */
#define TRACE_CALLS_MAX 64

/* configuration ("hep" node) */
static struct {
	char *addr;
	unsigned port;
	uint32_t agent_id;
	char *auth_key;
	bool sip, isup, rtcp;
	char *trace_dir; /* where "trace call ... pcap" writes */
} cfg = {.agent_id = 1, .sip = true, .isup = true, .rtcp = true};

struct cap_item {
	struct llist_head list;
	bool sip, tx;
	uint8_t ip_proto;
	struct sockaddr_storage src, dst;
	struct timespec ts;
	uint64_t queued_ns;
	size_t len;
	uint8_t msg[];
};

/* the CIC's last call, for messages after the call is gone */
struct cap_recent {
	char linkset[32];
	unsigned cic;
	unsigned call;
	char call_id[96];
};

static struct {
	void *ctx;
	struct loop *l;
	struct iw *iw;
	char *iw_guard; /* a child of iw: tells when iw goes */
	struct llist_head queue;
	unsigned queued;
	struct loop_timer tmr;
	struct cap_recent recent[CAP_RECENT];
	unsigned recent_next;
	uint64_t dropped, uncorrelated, isup_sent, sip_sent, rtcp_sent;
	bool hooked;
} cap;

/* "trace call" */
static struct {
	bool on;
	char number[48];
	unsigned left; /* calls still to take */
	struct {
		unsigned id;
		char call_id[96];
		uint32_t chan; /* its media channel, tapped (with rtp) */
		bool tapped;
	} calls[TRACE_CALLS_MAX];
	unsigned n_calls;
	uint64_t lines;
	struct tandem_pcap *pcap; /* the traced calls' messages as a pcap too */
	char pcap_path[512];
	uint64_t pcap_errors;
	bool rtp;	      /* the calls' RTP and RTCP into the pcap too */
	uint64_t rtp_records; /* of them */
} trace;

static void kick(void);

/* --- Call-ID out of a SIP message (RFC 3261 20.8, compact form "i") --- */

void iw_capture_sip_call_id(const char *msg, size_t len, char *out, size_t outlen)
{
	const char *p = msg, *end = msg + len;

	out[0] = '\0';
	/* the start line, then header lines up to the blank line */
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end, *c, *v;
		size_t nlen;

		if (le > p && le[-1] == '\r')
			le--;
		if (le == p && p != msg)
			return; /* end of the headers */
		c = memchr(p, ':', (size_t)(le - p));
		if (c && p != msg) {
			nlen = (size_t)(c - p);
			while (nlen && (p[nlen - 1] == ' ' || p[nlen - 1] == '\t'))
				nlen--;
			if ((nlen == 7 && !strncasecmp(p, "call-id", 7)) ||
			    (nlen == 1 && (*p == 'i' || *p == 'I'))) {
				size_t n;

				for (v = c + 1; v < le && (*v == ' ' || *v == '\t'); v++)
					;
				n = (size_t)(le - v);
				while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
					n--;
				if (n >= outlen)
					n = outlen - 1;
				memcpy(out, v, n);
				out[n] = '\0';
				return;
			}
		}
		if (!eol)
			return;
		p = eol + 1;
	}
}

/* --- hooks: copy, match after the message was handled --- */

static void enqueue(bool sip, bool tx, uint8_t ip_proto, const struct sockaddr *src,
		    const struct sockaddr *dst, const uint8_t *msg, size_t len)
{
	struct cap_item *it;

	if (cap.queued >= CAP_QUEUE_MAX || !src || !dst) {
		cap.dropped++;
		return;
	}
	it = talloc_size(cap.ctx, sizeof(*it) + len);
	if (!it) {
		cap.dropped++;
		return;
	}
	memset(it, 0, sizeof(*it));
	it->sip = sip;
	it->tx = tx;
	it->ip_proto = ip_proto;
	memcpy(&it->src, src,
	       src->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					  : sizeof(struct sockaddr_in));
	memcpy(&it->dst, dst,
	       dst->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					  : sizeof(struct sockaddr_in));
	clock_gettime(CLOCK_REALTIME, &it->ts);
	it->queued_ns = loop_now_ns();
	it->len = len;
	memcpy(it->msg, msg, len);
	llist_add_tail(&it->list, &cap.queue);
	cap.queued++;
	kick();
}

static bool hep_wants(bool sip)
{
	return tandem_hep_running() && (sip ? cfg.sip : cfg.isup);
}

static void sip_hook(void *priv, const struct sip_capture *c)
{
	(void)priv;
	if (hep_wants(true) || trace.n_calls || (trace.on && trace.left))
		enqueue(true, c->tx, c->proto == SIP_PROTO_UDP ? IPPROTO_UDP : IPPROTO_TCP, c->src,
			c->dst, c->msg, c->len);
}

static void m3ua_hook(void *priv, const struct m3ua_capture *c)
{
	(void)priv;
	if (hep_wants(false) || trace.n_calls || (trace.on && trace.left))
		enqueue(false, c->tx, c->sctp ? IPPROTO_SCTP : IPPROTO_TCP, c->src, c->dst, c->msg,
			c->len);
}

/* --- matching --- */

static struct iw_call *call_by_call_id(const char *call_id)
{
	return cap.iw ? iw_call_by_call_id(cap.iw, call_id) : NULL;
}

static struct iw_call *call_by_cic(const char *linkset, unsigned cic)
{
	return cap.iw ? iw_call_by_cic(cap.iw, linkset, cic) : NULL;
}

static struct cap_recent *recent_find(const char *linkset, unsigned cic)
{
	for (unsigned i = 0; i < CAP_RECENT; i++) {
		struct cap_recent *r =
			&cap.recent[(cap.recent_next + CAP_RECENT - 1 - i) % CAP_RECENT];

		if (r->call_id[0] && r->cic == cic && !strcmp(r->linkset, linkset))
			return r;
	}
	return NULL;
}

static void recent_note(const char *linkset, unsigned cic, const struct iw_call *c)
{
	struct cap_recent *r = recent_find(linkset, cic);

	if (!r) {
		r = &cap.recent[cap.recent_next];
		cap.recent_next = (cap.recent_next + 1) % CAP_RECENT;
	}
	snprintf(r->linkset, sizeof(r->linkset), "%s", linkset);
	r->cic = cic;
	r->call = c->id;
	snprintf(r->call_id, sizeof(r->call_id), "%s", c->call_id);
}

/* the trace entry of a call (by its id, or by Call-ID once it is gone);
 * a new call of the traced number takes one of the calls left */
static void trace_tap(unsigned i, const struct iw_call *c);

static int trace_index(const struct iw_call *c, const char *call_id)
{
	for (unsigned i = 0; i < trace.n_calls; i++) {
		if (c && trace.calls[i].id == c->id) {
			if (c->call_id[0])
				snprintf(trace.calls[i].call_id, sizeof(trace.calls[i].call_id),
					 "%s", c->call_id);
			trace_tap(i, c);
			return (int)i;
		}
		if (call_id && call_id[0] && !strcmp(trace.calls[i].call_id, call_id))
			return (int)i;
	}
	if (!c || !trace.on || !trace.left || trace.n_calls >= TRACE_CALLS_MAX)
		return -1;
	if (!strstr(c->called, trace.number) && !strstr(c->calling, trace.number))
		return -1;
	trace.calls[trace.n_calls].id = c->id;
	trace.calls[trace.n_calls].tapped = false;
	trace_tap(trace.n_calls, c);
	snprintf(trace.calls[trace.n_calls].call_id, sizeof(trace.calls[0].call_id), "%s",
		 c->call_id);
	trace.left--;
	LOGP(DIW, LOGL_NOTICE, "trace call %u: %s -> %s matches %s (%u more call(s) to trace)\n",
	     c->id, c->calling[0] ? c->calling : "-", c->called, trace.number, trace.left);
	return (int)trace.n_calls++;
}

/* the message as it went on the wire, into the trace's pcap */
static void trace_pcap(const struct cap_item *it)
{
	if (!trace.pcap)
		return;
	/* M3UA's SCTP payload protocol id is 3 (RFC 4666 1.4.8) */
	if (tandem_pcap_write(trace.pcap, &it->ts, it->ip_proto, it->sip ? 0 : 3,
			      (const struct sockaddr *)&it->src, (const struct sockaddr *)&it->dst,
			      it->msg, it->len) < 0)
		trace.pcap_errors++;
}

static void trace_sip(unsigned id, const struct cap_item *it)
{
	char s[64], d[64];
	int n = it->len > 8000 ? 8000 : (int)it->len;

	trace_pcap(it);
	trace.lines++;
	LOGP(DIW, LOGL_NOTICE, "trace call %u: SIP %s %s -> %s (%zu bytes)\n%.*s%s\n", id,
	     it->tx ? "sent" : "received", tandem_addr_str(&it->src, s, sizeof(s)),
	     tandem_addr_str(&it->dst, d, sizeof(d)), it->len, n, (const char *)it->msg,
	     (size_t)n < it->len ? "\n[...]" : "");
}

static void trace_isup(unsigned id, const struct cap_item *it, const struct m3ua_pdata *pd,
		       unsigned cic)
{
	char s[64], d[64], hex[3 * 272 + 1] = "";
	size_t n = pd->data_len > 272 ? 272 : pd->data_len;

	for (size_t i = 0; i < n; i++)
		snprintf(hex + 3 * i, 4, "%02x ", pd->data[i]);
	trace_pcap(it);
	trace.lines++;
	LOGP(DIW, LOGL_NOTICE,
	     "trace call %u: ISUP %s %s CIC %u OPC %u DPC %u SLS %u, M3UA %s -> %s: %s\n", id,
	     it->tx ? "sent" : "received", pd->data_len > 2 ? isup_msg_type_name(pd->data[2]) : "?",
	     cic, pd->opc, pd->dpc, pd->sls, tandem_addr_str(&it->src, s, sizeof(s)),
	     tandem_addr_str(&it->dst, d, sizeof(d)), hex);
}

static void send_hep(const struct cap_item *it, uint8_t type, const char *corr)
{
	struct hep_pkt p = {
		.src = (const struct sockaddr *)&it->src,
		.dst = (const struct sockaddr *)&it->dst,
		.ip_proto = it->ip_proto,
		.proto_type = type,
		.ts_sec = (uint32_t)it->ts.tv_sec,
		.ts_usec = (uint32_t)(it->ts.tv_nsec / 1000),
		.corr = corr,
		.payload = it->msg,
		.len = it->len,
	};

	if (!corr || !corr[0])
		cap.uncorrelated++;
	if (tandem_hep_send(&p) == 0)
		(*(type == HEP_PROTO_SIP ? &cap.sip_sent : &cap.isup_sent))++;
}

static void handle_sip(const struct cap_item *it)
{
	char call_id[96];
	struct iw_call *c;
	int t;

	iw_capture_sip_call_id((const char *)it->msg, it->len, call_id, sizeof(call_id));
	c = call_by_call_id(call_id);
	t = trace_index(c, call_id);
	if (t >= 0)
		trace_sip(trace.calls[t].id, it);
	if (hep_wants(true))
		send_hep(it, HEP_PROTO_SIP, call_id);
}

static const struct isup_vty_linkset *linkset_of(const struct m3ua_pdata *pd, bool tx)
{
	const struct isup_vty_linkset *ls;

	llist_for_each_entry(ls, &isup_vty_linksets, list)
	{
		uint32_t ours = ls->cfg.opc, theirs = ls->cfg.dpc;

		if (tx ? (pd->opc == ours && pd->dpc == theirs)
		       : (pd->opc == theirs && pd->dpc == ours))
			return ls;
	}
	return NULL;
}

/* false: keep it queued (its call has no Call-ID yet) */
static bool handle_m3ua(const struct cap_item *it, uint64_t now)
{
	struct m3ua_msg m;
	struct m3ua_pdata pd;
	const struct m3ua_param *pp;
	const struct isup_vty_linkset *ls;
	const struct cap_recent *r;
	const char *corr = NULL;
	struct iw_call *c;
	unsigned cic, id = 0;
	uint32_t err;
	uint8_t type;
	int t;

	if (m3ua_decode(&m, it->msg, it->len, &err) < 0 ||
	    !(pp = m3ua_msg_find(&m, M3UA_IEI_PROT_DATA)) || m3ua_pdata_decode(&pd, pp) < 0 ||
	    pd.si != 5 /* ISUP (Q.704 14.2.1) */ || pd.data_len < 3 ||
	    !(ls = linkset_of(&pd, it->tx))) {
		if (hep_wants(false))
			send_hep(it, HEP_PROTO_M3UA, NULL);
		return true;
	}
	/* Q.763 1.2: 12-bit CIC; T1.113: 14 bits */
	cic = pd.data[0] | (unsigned)(pd.data[1] & (ls->cfg.variant == ISUP_VAR_ANSI ? 0x3f : 0x0f))
				   << 8;
	type = pd.data[2];
	c = call_by_cic(ls->name, cic);
	if (c && !c->call_id[0] && now - it->queued_ns < CAP_WAIT_NS)
		return false;
	if (c) {
		id = c->id;
		if (c->call_id[0]) {
			corr = c->call_id;
			recent_note(ls->name, cic, c);
		}
	} else if (type != ISUP_MT_IAM && (r = recent_find(ls->name, cic))) {
		/* RLC after REL, a late message: the CIC's last call */
		corr = r->call_id;
		id = r->call;
	}
	t = trace_index(c, corr);
	if (t >= 0)
		trace_isup(id ? id : trace.calls[t].id, it, &pd, cic);
	if (hep_wants(false))
		send_hep(it, HEP_PROTO_M3UA, corr);
	return true;
}

static void flush(void *priv)
{
	struct cap_item *it, *tmp;
	uint64_t now = loop_now_ns();
	bool waiting = false;

	(void)priv;
	llist_for_each_entry_safe(it, tmp, &cap.queue, list)
	{
		if (!(it->sip ? (handle_sip(it), true) : handle_m3ua(it, now))) {
			waiting = true;
			continue;
		}
		llist_del(&it->list);
		cap.queued--;
		talloc_free(it);
	}
	if (waiting && cap.l)
		loop_timer_schedule(cap.l, &cap.tmr, 50000);
}

/* matched once every handler of this loop turn ran (the call exists) */
static void kick(void)
{
	if (cap.l && !loop_timer_pending(&cap.tmr))
		loop_timer_schedule(cap.l, &cap.tmr, 0);
}

/* --- media: a traced call's RTP and RTCP, RTCP reports to HEP --- */

/* the traced call's channel copies its RTP and RTCP once the call has one */
static void trace_tap(unsigned i, const struct iw_call *c)
{
	if (!trace.rtp || !trace.pcap || trace.calls[i].tapped || !c->have_chan || !cap.iw ||
	    !cap.iw->media)
		return;
	if (media_chan_tap(cap.iw->media, c->chan, MEDIA_TAP_RTP | MEDIA_TAP_RTCP) == 0) {
		trace.calls[i].chan = c->chan;
		trace.calls[i].tapped = true;
	}
}

static void tap_trace(const struct media_tap_pkt *p, const struct iw_call *c)
{
	struct timespec ts = {.tv_sec = (time_t)(p->ts_ns / 1000000000ull),
			      .tv_nsec = (long)(p->ts_ns % 1000000000ull)};

	for (unsigned i = 0; i < trace.n_calls; i++) {
		/* the channel still the traced call's (a freed id is reused) */
		if (!trace.calls[i].tapped || trace.calls[i].chan != p->chan ||
		    trace.calls[i].id != c->id)
			continue;
		if (tandem_pcap_write(trace.pcap, &ts, IPPROTO_UDP, 0, &p->src.sa, &p->dst.sa,
				      p->data, p->len) < 0)
			trace.pcap_errors++;
		else
			trace.rtp_records++;
		return;
	}
}

static void trace_untap(void)
{
	for (unsigned i = 0; i < trace.n_calls; i++)
		if (trace.calls[i].tapped && cap.iw && cap.iw->media) {
			struct iw_call *c = iw_call_by_chan(cap.iw, trace.calls[i].chan);

			if (c && c->id == trace.calls[i].id)
				media_chan_tap(cap.iw->media, trace.calls[i].chan, 0);
			trace.calls[i].tapped = false;
		}
}

/* RTCP as HEP type 5: the report as JSON (media/rtcp_json.h), the call's
 * Call-ID as correlation id, so a collector shows it with the call */
static void tap_hep_rtcp(const struct media_tap_pkt *p, const struct iw_call *c)
{
	char json[5120]; /* 31 report blocks fit */
	int n = rtcp_json_encode(json, sizeof(json), p->data, p->len);
	struct hep_pkt h = {
		.src = &p->src.sa,
		.dst = &p->dst.sa,
		.ip_proto = IPPROTO_UDP,
		.proto_type = HEP_PROTO_RTCP,
		.ts_sec = (uint32_t)(p->ts_ns / 1000000000ull),
		.ts_usec = (uint32_t)(p->ts_ns % 1000000000ull / 1000),
		.corr = c->call_id,
		.payload = (const uint8_t *)json,
	};

	if (n <= 0)
		return;
	h.len = (size_t)n;
	if (!c->call_id[0])
		cap.uncorrelated++;
	if (tandem_hep_send(&h) == 0)
		cap.rtcp_sent++;
}

static void media_tap(void *priv, const struct media_tap_pkt *p)
{
	const struct iw_call *c = cap.iw ? iw_call_by_chan(cap.iw, p->chan) : NULL;

	(void)priv;
	if (!c)
		return;
	if (trace.pcap && trace.rtp)
		tap_trace(p, c);
	if (p->kind == MEDIA_TAP_RTCP && tandem_hep_running() && cfg.rtcp)
		tap_hep_rtcp(p, c);
}

/* every channel's RTCP while a collector takes RTCP reports */
static void rtcp_tap_apply(void)
{
	if (cap.iw && cap.iw->media)
		media_engine_tap_rtcp(cap.iw->media,
				      cap.hooked && tandem_hep_running() && cfg.rtcp);
}

/* --- start / stop --- */

static int hep_apply(void)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int rc;

	if (!cap.l)
		return 0;
	tandem_hep_stop();
	if (!cfg.addr)
		return 0;
	if (strchr(cfg.addr, ':')) {
		struct sockaddr_in6 *a = (void *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)cfg.port);
		inet_pton(AF_INET6, cfg.addr, &a->sin6_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)cfg.port);
		inet_pton(AF_INET, cfg.addr, &a->sin_addr);
		len = sizeof(*a);
	}
	rc = tandem_hep_start(cap.l, (struct sockaddr *)&ss, len, cfg.agent_id, cfg.auth_key);
	if (rc < 0)
		LOGP(DIW, LOGL_ERROR, "HEP collector %s port %u: %s\n", cfg.addr, cfg.port,
		     strerror(-rc));
	else
		LOGP(DIW, LOGL_NOTICE, "HEP capture (%s%s%s) to %s port %u, agent id %" PRIu32 "\n",
		     cfg.sip ? "sip" : "", cfg.sip && cfg.isup ? ", " : "", cfg.isup ? "isup" : "",
		     cfg.addr, cfg.port, cfg.agent_id);
	rtcp_tap_apply();
	return rc;
}

/* the calls are gone with iw (freed before the operations stop) */
static int iw_gone(char *guard)
{
	(void)guard;
	cap.iw = NULL;
	cap.iw_guard = NULL;
	return 0;
}

int iw_capture_start(struct loop *l, struct iw *iw)
{
	cap.ctx = talloc_named_const(NULL, 0, "iw_capture");
	cap.l = l;
	cap.iw = iw;
	cap.iw_guard = talloc_zero(iw, char);
	if (cap.iw_guard)
		talloc_set_destructor(cap.iw_guard, iw_gone);
	INIT_LLIST_HEAD(&cap.queue);
	loop_timer_init(&cap.tmr, flush, NULL);
	sip_transport_set_capture(sip_hook, NULL);
	m3ua_conn_set_capture(m3ua_hook, NULL);
	if (iw->media)
		media_engine_set_tap_cb(iw->media, media_tap, NULL);
	cap.hooked = true;
	return hep_apply();
}

void iw_capture_stop(void)
{
	struct cap_item *it, *tmp;

	if (!cap.hooked)
		return;
	sip_transport_set_capture(NULL, NULL);
	m3ua_conn_set_capture(NULL, NULL);
	if (cap.iw && cap.iw->media) {
		media_engine_tap_rtcp(cap.iw->media, false);
		media_engine_set_tap_cb(cap.iw->media, NULL, NULL);
	}
	if (cap.l)
		loop_timer_cancel(cap.l, &cap.tmr);
	llist_for_each_entry_safe(it, tmp, &cap.queue, list)
	{
		llist_del(&it->list);
		talloc_free(it);
	}
	cap.queued = 0;
	tandem_hep_stop();
	tandem_pcap_close(trace.pcap);
	trace.pcap = NULL;
	if (cap.iw_guard) {
		talloc_set_destructor(cap.iw_guard, NULL);
		talloc_free(cap.iw_guard);
		cap.iw_guard = NULL;
	}
	talloc_free(cap.ctx);
	cap.ctx = NULL;
	cap.l = NULL;
	cap.iw = NULL;
	cap.hooked = false;
}

/* --- VTY --- */

static struct cmd_node hep_node = {
	.node = TANDEM_HEP_NODE,
	.prompt = "%s(config-hep)# ",
	.vtysh = 1,
};

DEFUN(cfg_hep, cfg_hep_cmd, "hep", "HEP (Homer) capture of SIP and ISUP messages\n")
{
	vty->node = TANDEM_HEP_NODE;
	return CMD_SUCCESS;
}

static int apply_vty(struct vty *vty)
{
	if (hep_apply() < 0) {
		vty_out(vty, "%% cannot send to the HEP collector %s port %u%s", cfg.addr, cfg.port,
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_hep_collector, cfg_hep_collector_cmd, "collector ADDR <1-65535>",
      "Where HEP packets go (UDP)\nIPv4 or IPv6 address\nUDP port (9060 is usual)\n")
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, argv[0], &a4) != 1 && inet_pton(AF_INET6, argv[0], &a6) != 1) {
		tandem_config_reason("hep collector: '%s' is not an IPv4 or IPv6 address", argv[0]);
		vty_out(vty, "%% not an IP address: %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(tall_vty_ctx, &cfg.addr, argv[0]);
	cfg.port = (unsigned)atoi(argv[1]);
	return apply_vty(vty);
}

DEFUN(cfg_hep_no_collector, cfg_hep_no_collector_cmd, "no collector",
      NO_STR "Send no HEP packets\n")
{
	TALLOC_FREE(cfg.addr);
	tandem_hep_stop();
	rtcp_tap_apply();
	return CMD_SUCCESS;
}

DEFUN(cfg_hep_agent, cfg_hep_agent_cmd, "agent-id <0-4294967295>",
      "Capture agent id (chunk 0x000c: which node captured)\nId\n")
{
	cfg.agent_id = (uint32_t)strtoul(argv[0], NULL, 10);
	return apply_vty(vty);
}

DEFUN(cfg_hep_key, cfg_hep_key_cmd, "auth-key KEY",
      "Authentication key the collector checks (chunk 0x000e)\nKey\n")
{
	osmo_talloc_replace_string(tall_vty_ctx, &cfg.auth_key, argv[0]);
	return apply_vty(vty);
}

DEFUN(cfg_hep_no_key, cfg_hep_no_key_cmd, "no auth-key", NO_STR "No authentication key\n")
{
	TALLOC_FREE(cfg.auth_key);
	return apply_vty(vty);
}

static void capture_set(const char *what, bool on)
{
	if (!strcmp(what, "sip"))
		cfg.sip = on;
	else if (!strcmp(what, "isup"))
		cfg.isup = on;
	else
		cfg.rtcp = on;
	rtcp_tap_apply();
}

DEFUN(cfg_hep_capture, cfg_hep_capture_cmd, "capture (sip|isup|rtcp)",
      "What to capture\nSIP messages (every transport)\nISUP messages (M3UA DATA, the whole M3UA "
      "message)\nRTCP reports of every call, sent and received (HEP type 5, JSON)\n")
{
	capture_set(argv[0], true);
	return CMD_SUCCESS;
}

DEFUN(cfg_hep_no_capture, cfg_hep_no_capture_cmd, "no capture (sip|isup|rtcp)",
      NO_STR "What to capture\nNo SIP messages\nNo ISUP messages\nNo RTCP reports\n")
{
	capture_set(argv[0], false);
	return CMD_SUCCESS;
}

DEFUN(cfg_hep_trace_dir, cfg_hep_trace_dir_cmd, "trace-directory DIR",
      "Where 'trace call NUMBER N pcap' writes its pcap files\nAn existing directory\n")
{
	struct stat st;

	if (stat(argv[0], &st) < 0 || !S_ISDIR(st.st_mode)) {
		tandem_config_reason("hep trace-directory: '%s' is not a directory", argv[0]);
		vty_out(vty, "%% not a directory: %s%s", argv[0], VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(tall_vty_ctx, &cfg.trace_dir, argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_hep_no_trace_dir, cfg_hep_no_trace_dir_cmd, "no trace-directory",
      NO_STR "No pcap files for traced calls\n")
{
	TALLOC_FREE(cfg.trace_dir);
	return CMD_SUCCESS;
}

static int config_write_hep(struct vty *vty)
{
	if (!cfg.addr && !cfg.trace_dir)
		return CMD_SUCCESS;
	vty_out(vty, "hep%s", VTY_NEWLINE);
	if (cfg.trace_dir)
		vty_out(vty, " trace-directory %s%s", cfg.trace_dir, VTY_NEWLINE);
	if (!cfg.addr)
		return CMD_SUCCESS;
	vty_out(vty, " collector %s %u%s", cfg.addr, cfg.port, VTY_NEWLINE);
	vty_out(vty, " agent-id %" PRIu32 "%s", cfg.agent_id, VTY_NEWLINE);
	if (cfg.auth_key)
		vty_out(vty, " auth-key %s%s", cfg.auth_key, VTY_NEWLINE);
	vty_out(vty, " %scapture sip%s", cfg.sip ? "" : "no ", VTY_NEWLINE);
	vty_out(vty, " %scapture isup%s", cfg.isup ? "" : "no ", VTY_NEWLINE);
	vty_out(vty, " %scapture rtcp%s", cfg.rtcp ? "" : "no ", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_hep, show_hep_cmd, "show hep", SHOW_STR "HEP capture: collector and counters\n")
{
	const struct hep_stats *st = tandem_hep_get_stats();

	if (!cfg.addr)
		vty_out(vty, "HEP: no collector configured%s", VTY_NEWLINE);
	else
		vty_out(vty,
			"HEP: collector %s port %u (UDP), agent id %" PRIu32
			", %s, capture%s%s%s%s",
			cfg.addr, cfg.port, cfg.agent_id,
			tandem_hep_running() ? "running" : "not running", cfg.sip ? " sip" : "",
			cfg.isup ? " isup" : "", cfg.rtcp ? " rtcp" : "", VTY_NEWLINE);
	vty_out(vty,
		"packets sent %" PRIu64 " (sip %" PRIu64 ", isup %" PRIu64 ", rtcp %" PRIu64
		"), send errors %" PRIu64 ", encode errors %" PRIu64 "%s",
		st->sent, cap.sip_sent, cap.isup_sent, cap.rtcp_sent, st->send_errors,
		st->encode_errors, VTY_NEWLINE);
	vty_out(vty,
		"without a call's correlation id %" PRIu64
		", waiting %u, dropped (queue full) %" PRIu64 "%s",
		cap.uncorrelated, cap.queued, cap.dropped, VTY_NEWLINE);
	if (cap.iw && cap.iw->media)
		vty_out(vty, "media packet copies dropped (worker ring full) %" PRIu64 "%s",
			media_engine_tap_dropped(cap.iw->media), VTY_NEWLINE);
	return CMD_SUCCESS;
}

static int trace_start(struct vty *vty, const char *number, unsigned n, bool pcap, bool rtp)
{
	char path[sizeof(trace.pcap_path)];
	struct tandem_pcap *f = NULL;

	if (strlen(number) >= sizeof(trace.number) ||
	    strspn(number, "0123456789*#+") != strlen(number)) {
		vty_out(vty, "%% a number: digits (and * # +)%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	if (pcap) {
		/* only into the configured directory, under a name of our own
		 * (the VTY names no path: no file anywhere else is written) */
		if (!cfg.trace_dir) {
			vty_out(vty, "%% no trace-directory configured (hep node)%s", VTY_NEWLINE);
			return CMD_WARNING;
		}
		snprintf(path, sizeof(path), "%s/trace-%s-%lld.pcap", cfg.trace_dir,
			 number[0] == '+' ? number + 1 : number, (long long)time(NULL));
		f = tandem_pcap_open(cap.ctx, path);
		if (!f) {
			vty_out(vty, "%% cannot write %s: %s%s", path, strerror(errno),
				VTY_NEWLINE);
			return CMD_WARNING;
		}
	}
	trace_untap();
	tandem_pcap_close(trace.pcap);
	trace.pcap = f;
	trace.pcap_errors = 0;
	trace.rtp = rtp;
	trace.rtp_records = 0;
	snprintf(trace.pcap_path, sizeof(trace.pcap_path), "%s", f ? path : "");
	snprintf(trace.number, sizeof(trace.number), "%s", number[0] == '+' ? number + 1 : number);
	trace.left = n;
	trace.on = true;
	trace.n_calls = 0;
	LOGP(DIW, LOGL_NOTICE, "trace call: the next %u call(s) of %s%s%s\n", trace.left,
	     trace.number, f ? ", pcap " : "", trace.pcap_path);
	vty_out(vty, "tracing the next %u call(s) of %s to the log%s%s%s%s", trace.left,
		trace.number, f ? " and " : "", trace.pcap_path, rtp ? " (with RTP and RTCP)" : "",
		VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(trace_call, trace_call_cmd, "trace call NUMBER [<1-1000>]",
      "Trace calls\nWrite every SIP and ISUP message of calls to the log (NOTICE)\nA called or "
      "calling number containing these digits (as in show calls)\nHow many calls (default 1)\n")
{
	return trace_start(vty, argv[0], argc > 1 ? (unsigned)atoi(argv[1]) : 1, false, false);
}

DEFUN(trace_call_pcap, trace_call_pcap_cmd, "trace call NUMBER <1-1000> pcap [rtp]",
      "Trace calls\nWrite every SIP and ISUP message of calls to the log (NOTICE)\nA called or "
      "calling number containing these digits (as in show calls)\nHow many calls\nAlso as a "
      "pcap file in the hep node's trace-directory (SIP, and M3UA over its TCP or SCTP)\n"
      "The calls' RTP and RTCP into the pcap too (copied by the media worker)\n")
{
	return trace_start(vty, argv[0], (unsigned)atoi(argv[1]), true, argc > 2);
}

DEFUN(no_trace_call, no_trace_call_cmd, "no trace call", NO_STR "Trace calls\nStop tracing\n")
{
	trace.on = false;
	trace.left = 0;
	trace_untap();
	trace.n_calls = 0;
	if (trace.pcap)
		LOGP(DIW, LOGL_NOTICE, "trace call: %lu message(s) in %s\n",
		     tandem_pcap_records(trace.pcap), trace.pcap_path);
	tandem_pcap_close(trace.pcap);
	trace.pcap = NULL;
	LOGP(DIW, LOGL_NOTICE, "trace call: off\n");
	return CMD_SUCCESS;
}

DEFUN(show_trace, show_trace_cmd, "show trace", SHOW_STR "Call trace state\n")
{
	if (!trace.on)
		vty_out(vty, "trace call: off%s", VTY_NEWLINE);
	else
		vty_out(vty,
			"trace call %s: %u call(s) traced, %u more to take, %" PRIu64
			" message(s) logged%s",
			trace.number, trace.n_calls, trace.left, trace.lines, VTY_NEWLINE);
	if (trace.pcap)
		vty_out(vty,
			" pcap %s: %lu message(s) (RTP and RTCP %" PRIu64 "), %" PRIu64
			" write error(s)%s",
			trace.pcap_path, tandem_pcap_records(trace.pcap), trace.rtp_records,
			trace.pcap_errors, VTY_NEWLINE);
	for (unsigned i = 0; i < trace.n_calls; i++)
		vty_out(vty, " call %u %s%s", trace.calls[i].id,
			trace.calls[i].call_id[0] ? trace.calls[i].call_id : "-", VTY_NEWLINE);
	return CMD_SUCCESS;
}

void iw_capture_vty_init(void)
{
	install_node(&hep_node, config_write_hep);
	install_element(CONFIG_NODE, &cfg_hep_cmd);
	install_element(TANDEM_HEP_NODE, &cfg_hep_collector_cmd);
	install_element(TANDEM_HEP_NODE, &cfg_hep_no_collector_cmd);
	install_element(TANDEM_HEP_NODE, &cfg_hep_agent_cmd);
	install_element(TANDEM_HEP_NODE, &cfg_hep_key_cmd);
	install_element(TANDEM_HEP_NODE, &cfg_hep_no_key_cmd);
	install_element(TANDEM_HEP_NODE, &cfg_hep_capture_cmd);
	install_element(TANDEM_HEP_NODE, &cfg_hep_no_capture_cmd);
	install_element(TANDEM_HEP_NODE, &cfg_hep_trace_dir_cmd);
	install_element(TANDEM_HEP_NODE, &cfg_hep_no_trace_dir_cmd);
	install_element(ENABLE_NODE, &trace_call_cmd);
	install_element(ENABLE_NODE, &trace_call_pcap_cmd);
	install_element(ENABLE_NODE, &no_trace_call_cmd);
	install_element_ve(&show_hep_cmd);
	install_element_ve(&show_trace_cmd);
}
