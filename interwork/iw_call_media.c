/* The call's media channel: the circuit's timeslot <-> RTP, opened as soon
 * as the timeslot is known, connected once both ends are (early media
 * included), tones toward TDM, the SDP offer/answer on the call's side
 * (RFC 3264), re-INVITE offers, DTMF by SIP INFO, the media workers'
 * events, and the continuity-check loop (Q.764 2.1.8). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <talloc.h>

#include "interwork/iw_call_int.h"
#include "interwork/iw_cause.h"
#include "sip/sip_hdr.h"
#include "sip/sip_mime.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"

/* Keep n bytes of SDP from buf as the call's own (NUL-terminated); n < 0
 * (the encoder failed) leaves the call's SDP as it was. Returns n or < 0. */
int iw_sdp_keep(struct iw_call *c, const char *buf, int n)
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

/* The timeslot is the call's from now on: tones can be played on it before
 * the far end's RTP address is known. */
void iw_chan_idle(struct iw_call *c)
{
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_TDM,
				    .span = (unsigned)c->span,
				    .timeslot = c->ts,
				    .codec = MEDIA_CODEC_PCMA,
				    .pt = 8,
				    .ptime = 20};

	media_chan_modify(c->iw->media, c->chan, &cc);
}

static int chan_open(struct iw_call *c, bool mux)
{
	struct media_engine *m = c->iw->media;
	struct sockaddr_storage local;
	int w;

	if (c->span < 0)
		return -ENOENT;
	w = media_span_worker(m, (unsigned)c->span);
	if (w < 0)
		return w;
	if ((mux ? media_chan_alloc_mux(m, w, &c->chan, &local)
		 : media_chan_alloc(m, w, &c->chan, &local)) < 0)
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
	iw_chan_idle(c);
	c->local.addr = c->local_addr;
	c->local.user = "tandem";
	c->local.sess_id = ((uint64_t)time(NULL) << 16) ^ c->id;
	c->local.sess_version = c->local.sess_id;
	return 0;
}

int iw_chan_open(struct iw_call *c)
{
	return chan_open(c, false);
}

/* Every audio stream of the offer asks for rtcp-mux: our answer accepts
 * it (RFC 5761 5.1.1, RFC 8035 4), so the channel needs no RTCP socket
 * (opened and closed again at once before). */
static bool offer_all_mux(const struct sdp_session *offer)
{
	bool any = false;

	for (unsigned i = 0; i < offer->n_media; i++) {
		const struct sdp_media *m = &offer->m[i];

		if (!m->port || !tstr_eq_cstr(m->type, "audio"))
			continue;
		if (!m->rtcp_mux)
			return false;
		any = true;
	}
	return any;
}

void iw_prefs_for(struct iw_call *c, struct sip_trunk *t)
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
void iw_media_connect(struct iw_call *c)
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
	/* RFC 5761: the channel's RTCP socket goes; our later offers keep
	 * asking for mux (RFC 8035 4) */
	cc.rtcp_mux = c->agreed.rtcp_mux;
	if (c->agreed.rtcp_mux)
		c->local.rtcp_mux = true;
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

void iw_tone(struct iw_call *c, const char *name)
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
bool iw_msg_sdp(const struct sip_msg *m, struct tstr *out)
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

/* Apply the SDP answer of a 18x/2xx to our offer. */
void iw_rx_answer_sdp(struct iw_call *c, const struct sip_msg *rsp)
{
	struct sdp_session s;
	const char *why = NULL;
	struct tstr body;

	/* toward an "offer delayed" trunk the SDP of a response is an offer:
	 * it is answered in the ACK or PRACK (iw_answer_rx_offer) */
	if (c->agreed_ok || c->out_delayed || !iw_msg_sdp(rsp, &body))
		return;
	if (sdp_decode(&s, body.p, body.len, &why) < 0 ||
	    sdp_answer_rx(&c->agreed, &s, &c->prefs, &c->local, &why) < 0) {
		LOGCALL(c, LOGL_INFO, "SDP answer not usable: %s\n", why ? why : "?");
		return;
	}
	c->agreed_ok = true;
	iw_tone(c, NULL);
	iw_media_connect(c);
}

/* A re-INVITE or UPDATE with an offer (hold, resume, codec change): the
 * SIP side and the media channel follow it; ISUP is not told (RFC 3398 9:
 * no ISUP message maps to it). */
unsigned iw_sip_side_offer(void *u, struct sip_leg *leg, const struct sip_msg *req,
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
	if (!iw_msg_sdp(req, &body) || sdp_decode(&offer, body.p, body.len, &why) < 0) {
		LOGCALL(c, LOGL_INFO, "re-INVITE without a usable offer (%s): 488\n",
			why ? why : "none");
		return 488;
	}
	if (sdp_answer(&ar, &offer, &c->prefs, &c->local) < 0 || ar.reject) {
		LOGCALL(c, LOGL_INFO, "re-INVITE offer not acceptable: 488\n");
		return 488;
	}
	n = iw_sdp_keep(
		c, sdpbuf,
		sdp_answer_encode(sdpbuf, sizeof(sdpbuf), &offer, &ar, &c->prefs, &c->local));
	if (n < 0)
		return 500;
	c->sdp_len = n;
	c->agreed = ar.agreed;
	c->agreed_ok = true;
	LOGCALL(c, LOGL_INFO, "re-INVITE: %s:%u%s\n", c->agreed.remote_addr, c->agreed.remote_port,
		c->agreed.remote_hold ? " (on hold)" : "");
	iw_media_connect(c);
	answer->content_type = "application/sdp";
	answer->body = c->sdp;
	answer->len = (size_t)n;
	return 200;
}

/* SIP INFO with application/dtmf-relay (the de-facto format: lines
 * "Signal=5" and "Duration=160" in ms): the digit is played toward TDM. */
void iw_sip_side_info(void *u, struct sip_leg *leg, const struct sip_msg *req)
{
	struct iw_call *c = u;
	struct sip_ctype ct;
	char body[128], *sig, *dur;
	char digit;
	unsigned ms = 250;

	(void)leg;
	/* SIP-I: a CPG in an INFO (Q.1912.5) goes to the circuit as it came */
	if (iw_sipi_to_circuit(c, req, "INFO"))
		return;
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

void iw_media_dtmf_to_sip(struct iw_call *c, char digit, unsigned ms)
{
	if (c->leg && c->trunk && c->trunk->dtmf_info) {
		char body[64];
		struct sip_body b = {.content_type = "application/dtmf-relay", .body = body};

		b.len = (size_t)snprintf(body, sizeof(body), "Signal=%c\r\nDuration=%u\r\n", digit,
					 ms);
		if (iw_call_get_state(c) == IW_CALL_S_ACTIVE && sip_leg_info(c->leg, &b) == 0) {
			LOGCALL(c, LOGL_INFO, "KEYPAD %c -> INFO\n", digit);
			return;
		}
	} else if (c->have_chan && c->agreed_ok && c->agreed.te &&
		   media_chan_dtmf_rtp(c->iw->media, c->chan, digit, ms) == 0) {
		LOGCALL(c, LOGL_INFO, "KEYPAD %c -> RFC 4733\n", digit);
		return;
	}
	LOGCALL(c, LOGL_NOTICE,
		"KEYPAD %c: no way to send it to SIP (no telephone-event, no INFO)\n", digit);
}

/* The answer to the caller's offer, on the circuit's channel (opened here
 * when the call has none). */
int iw_answer_offer(struct iw_call *c)
{
	struct sdp_answer_res ar;
	struct sdp_session offer;
	const char *why = NULL;
	char sdpbuf[IW_SDP_MAX];

	if (!c->offer || sdp_decode(&offer, c->offer, c->offer_len, &why) < 0)
		return -EINVAL;
	if (!c->have_chan && chan_open(c, offer_all_mux(&offer)) < 0)
		return -ENOSPC;
	if (sdp_answer(&ar, &offer, &c->prefs, &c->local) < 0 || ar.reject)
		return -EPROTO;
	c->agreed_ok = iw_sdp_keep(c, sdpbuf,
				   sdp_answer_encode(sdpbuf, sizeof(sdpbuf), &offer, &ar, &c->prefs,
						     &c->local)) > 0;
	c->agreed = ar.agreed;
	return 0;
}

/* An answer refusing every stream of offer (RFC 3264 6: each m= line
 * echoed with port 0). Its length, or -ENOSPC. */
static int reject_answer(const struct iw_call *c, const struct sdp_session *offer, char *buf,
			 size_t size)
{
	char ipv = strchr(c->local_addr, ':') ? '6' : '4';
	int n = snprintf(buf, size,
			 "v=0\r\no=tandem %llu %llu IN IP%c %s\r\ns=-\r\nc=IN IP%c %s\r\nt=0 0\r\n",
			 (unsigned long long)c->local.sess_id,
			 (unsigned long long)c->local.sess_version, ipv, c->local_addr, ipv,
			 c->local_addr);

	for (unsigned i = 0; i < offer->n_media && n > 0 && (size_t)n < size; i++) {
		const struct sdp_media *m = &offer->m[i];

		n += snprintf(buf + n, size - (size_t)n, "m=%.*s 0 %.*s %.*s\r\n", (int)m->type.len,
			      m->type.p, (int)m->proto.len, m->proto.p, (int)m->fmt_list.len,
			      m->fmt_list.p);
	}
	return n > 0 && (size_t)n < size ? n : -ENOSPC;
}

int iw_answer_rx_offer(struct iw_call *c, const struct sip_msg *rsp, struct sip_body *answer)
{
	struct sdp_answer_res ar;
	struct sdp_session offer;
	const char *why = NULL;
	struct tstr body;
	char sdpbuf[IW_SDP_MAX];
	int n;

	if (!iw_msg_sdp(rsp, &body))
		return -ENOENT;
	if (body.len >= IW_SDP_MAX || sdp_decode(&offer, body.p, body.len, &why) < 0) {
		LOGCALL(c, LOGL_NOTICE,
			"delayed offer: the trunk's offer in the %u is not usable (%s)\n",
			rsp->status, why ? why : "too long");
		return -EPROTO;
	}
	if (sdp_answer(&ar, &offer, &c->prefs, &c->local) < 0 || ar.reject) {
		LOGCALL(c, LOGL_NOTICE,
			"delayed offer: the trunk's offer in the %u is not usable (%s)\n",
			rsp->status, "no codec in common");
		/* RFC 3261 13.2.2.4: the ACK still carries a valid answer,
		 * every stream refused (port 0, RFC 3264 6); then the BYE */
		if (rsp->status < 200 ||
		    (n = reject_answer(c, &offer, sdpbuf, sizeof(sdpbuf))) < 0 ||
		    iw_sdp_keep(c, sdpbuf, n) < 0)
			return -EPROTO;
		answer->content_type = "application/sdp";
		answer->body = c->sdp;
		answer->len = (size_t)n;
		return 0;
	}
	n = iw_sdp_keep(
		c, sdpbuf,
		sdp_answer_encode(sdpbuf, sizeof(sdpbuf), &offer, &ar, &c->prefs, &c->local));
	if (n < 0)
		return n;
	c->agreed = ar.agreed;
	c->agreed_ok = true;
	LOGCALL(c, LOGL_INFO, "delayed offer: the %u offered %s:%u, answered in the %s\n",
		rsp->status, c->agreed.remote_addr, c->agreed.remote_port,
		rsp->status >= 200 ? "ACK" : "PRACK");
	iw_tone(c, NULL);
	iw_media_connect(c);
	answer->content_type = "application/sdp";
	answer->body = c->sdp;
	answer->len = (size_t)n;
	return 0;
}

int iw_make_offer(struct iw_call *c)
{
	char sdpbuf[IW_SDP_MAX];

	if (!c->have_chan && iw_chan_open(c) < 0)
		return -ENOSPC;
	if (c->trunk && c->trunk->rtcp_mux_offer)
		c->local.rtcp_mux = true;
	if (iw_sdp_keep(c, sdpbuf, sdp_offer_encode(sdpbuf, sizeof(sdpbuf), &c->prefs, &c->local)) <
	    0)
		return -EPROTO;
	return 0;
}

/* Route advance seized another circuit: the channel follows it (the same
 * channel when the new span is on the same worker; the SDP answer has not
 * gone out yet, so a new channel and port are fine too). */
int iw_media_move(struct iw_call *c)
{
	struct media_engine *m = c->iw->media;

	if (c->have_chan && c->span >= 0 &&
	    media_span_worker(m, (unsigned)c->span) == (int)media_chan_worker(c->chan)) {
		iw_chan_idle(c);
		if (c->media_up)
			iw_media_connect(c);
		return 0;
	}
	if (c->have_chan) {
		media_chan_free(m, c->chan);
		hash_del(&c->chan_node);
	}
	c->have_chan = c->media_up = false;
	if ((c->delayed_offer ? iw_make_offer(c) : iw_answer_offer(c)) < 0)
		return -1;
	iw_media_connect(c);
	return 0;
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
			    !c->trunk->dtmf_info || iw_call_get_state(c) != IW_CALL_S_ACTIVE)
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
		hash_for_each_possible(iw->by_chan, c, chan_node, chan)
		{
			if (!c->have_chan || c->chan != chan ||
			    iw_call_get_state(c) == IW_CALL_S_FAIL_TONE ||
			    iw_call_get_state(c) == IW_CALL_S_CLEARING)
				continue;
			/* never a call without its voice path: Q.850 47 resource
			 * unavailable, on both sides (answered or not) */
			LOGCALL(c, LOGL_ERROR,
				"span %d timeslot %u: no voice path, releasing (cause 47)\n",
				c->span, c->ts);
			iw->st.failed++;
			iw_call_end(c, 47);
			return;
		}
		return;
	}
	if (ev->type != MEDIA_EV_RTP_TIMEOUT)
		return;
	hash_for_each_possible(iw->by_chan, c, chan_node, chan)
	{
		if (!c->have_chan || c->chan != chan || iw_call_get_state(c) != IW_CALL_S_ACTIVE)
			continue;
		/* no RTP for rtp-timeout: the far end is gone (RFC 3398 leaves
		 * this to policy; cause 41 temporary failure, as a lost path):
		 * REL and BYE, both with that cause */
		LOGCALL(c, LOGL_INFO, "no RTP: releasing both sides (cause 41)\n");
		iw_call_end(c, ISUP_CAUSE_TEMPORARY_FAILURE);
		return;
	}
}

/* Q.764 2.1.8 / Q.724: the far end checks continuity on this circuit: loop
 * the timeslot back (a channel of its own, freed when the check is over;
 * the call's channel comes after). */
void iw_cot_loop(struct iw *iw, unsigned cic, int span, unsigned ts, bool on)
{
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
	if (k) {
		/* a loop left on this circuit (its check never ended): the new
		 * one replaces it, its channel is not lost */
		media_chan_cot(iw->media, k->chan, MEDIA_COT_OFF);
		media_chan_free(iw->media, k->chan);
		k->in_use = false;
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
