/* Call transfer by REFER (RFC 3515) from the SIP side of an answered call,
 * done as a B2BUA: the circuit side (ISUP, PRI) is the transferee and never
 * hears of it. The REFER is accepted (202) when the SIP leg's trunk says
 * "refer accept" and the Refer-To URI points at a configured trunk (the
 * rule of the 3xx follow: an SBC is not steered to arbitrary hosts); a new
 * INVITE goes there with our offer from the call's own media channel, and
 * the transferor hears the progress as NOTIFYs (message/sipfrag). When the
 * target answers, the channel's RTP peer becomes the target's, the new leg
 * becomes the call's SIP leg, and the transferor gets the final NOTIFY and
 * a BYE. When the target fails, the transferor gets its status in the final
 * NOTIFY and the call stays as it was (RFC 5589 6: the transferee keeps the
 * original call). Should the transferor hang up while the target is tried
 * (a blind transfer, RFC 5589 6), the call waits for the target: answered,
 * it goes on; failed, the circuit is released with the failure's cause. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "interwork/iw_call_int.h"
#include "interwork/iw_cause.h"
#include "interwork/iw_trust.h"
#include "sip/sdp.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"
#include "sip/sip_uri.h"

/* One transfer in progress on a call (c->refer), under the call's talloc
 * tree: freeing the call cancels the target's INVITE. */
struct iw_refer {
	struct iw_call *c;
	struct sip_leg *xfer;	 /* the transferor's leg (the call's, until the target answers;
				    NULL: it hung up meanwhile) */
	struct sip_leg *leg;	 /* the new leg toward the target */
	struct sip_trunk *trunk; /* the target's */
	char *target;
	char *offer; /* our SDP offer to the target, and the prefs it was built with */
	int offer_len;
	struct sdp_prefs prefs;
};

static int refer_destroy(struct iw_refer *r)
{
	/* the call ended while the target was tried: that INVITE goes too */
	if (r->leg) {
		sip_leg_detach(r->leg);
		sip_leg_cancel(r->leg, "Reason: Q.850;cause=16\r\n");
		r->leg = NULL;
	}
	return 0;
}

static void refer_done(struct iw_call *c)
{
	struct iw_refer *r = c->refer;

	c->refer = NULL;
	if (r) {
		r->leg = NULL;
		talloc_free(r);
	}
}

/* The target's INVITE failed (or its leg ended before an answer). */
static void target_failed(struct iw_refer *r, unsigned status, const struct sip_msg *rsp)
{
	struct iw_call *c = r->c;
	uint8_t cause;

	LOGCALL(c, LOGL_NOTICE, "transfer to %s failed: SIP %u%s\n", r->target, status,
		r->xfer ? ", the call stays with the transferor" : "");
	if (r->xfer) {
		sip_leg_refer_notify(r->xfer, status, NULL);
		refer_done(c);
		return;
	}
	/* the transferor is gone: nobody is left on the SIP side */
	cause = iw_cause_map_from_msg(c->iw->cfg.causes, (int)status, rsp);
	refer_done(c);
	if (!c->cause) {
		c->cause = cause;
		c->cause_loc = iw_cause_sip_location((int)status);
		c->rel_side = "sip";
	}
	c->sip_status = (int)status;
	iw_call_state(c, IW_CALL_S_CLEARING);
	iw_circuit_release(c, cause, c->cause_loc);
	iw_call_maybe_free(c);
}

static const struct sip_leg_ops adopted_ops;

static void target_answered(void *u, struct sip_leg *leg, const struct sip_msg *rsp)
{
	struct iw_refer *r = u;
	struct iw_call *c = r->c;
	struct sip_leg *old = r->xfer;
	struct sdp_session s;
	struct sdp_agreed ag;
	const char *why = NULL;
	struct tstr body;

	if (!iw_msg_sdp(rsp, &body) || sdp_decode(&s, body.p, body.len, &why) < 0 ||
	    sdp_answer_rx(&ag, &s, &r->prefs, &c->local, &why) < 0) {
		/* RFC 3261 13.2.1: the 2xx is ACKed; the session we cannot use
		 * ends at once */
		LOGCALL(c, LOGL_NOTICE, "transfer target %s answered without a usable SDP: %s\n",
			r->target, why ? why : "no SDP");
		sip_leg_detach(leg);
		sip_leg_bye(leg, "Reason: Q.850;cause=65\r\n");
		r->leg = NULL;
		target_failed(r, 488, NULL);
		return;
	}
	if (old)
		sip_leg_refer_notify(old, 200, NULL);
	/* the CDR: the transferor's part of the call is an attempt of its
	 * own (sip 202: ended by an accepted REFER); the final record names
	 * the target */
	iw_call_cdr_record(c, false, 202, 0, -1);
	c->attempts++;
	c->leg = leg;
	sip_leg_set_user(leg, &adopted_ops, c);
	iw_call_set_call_id(c, sip_leg_call_id(leg));
	c->trunk = r->trunk;
	snprintf(c->trunk_name, sizeof(c->trunk_name), "%s", r->trunk->name);
	iw_trunk_take(c, r->trunk);
	talloc_free(c->ruri_sent);
	c->ruri_sent = talloc_strdup(c, r->target);
	c->prefs = r->prefs;
	iw_sdp_keep(c, r->offer, r->offer_len);
	c->agreed = ag;
	c->agreed_ok = true;
	c->sip_status = 200;
	c->iw->st.transfers++;
	iw_media_connect(c);
	LOGCALL(c, LOGL_NOTICE, "transferred to %s via trunk %s: media %s:%u\n", r->target,
		r->trunk->name, c->agreed.remote_addr, c->agreed.remote_port);
	r->leg = NULL;
	r->xfer = NULL;
	refer_done(c);
	if (old) {
		sip_leg_detach(old);
		sip_leg_bye(old, NULL);
	}
}

static void target_leg_failed(void *u, struct sip_leg *leg, unsigned status,
			      const struct sip_msg *rsp)
{
	struct iw_refer *r = u;

	sip_leg_detach(leg); /* it finishes on its own */
	r->leg = NULL;
	target_failed(r, status, rsp);
}

static void target_gone(void *u, struct sip_leg *leg)
{
	struct iw_refer *r = u;

	(void)leg;
	r->leg = NULL;
	target_failed(r, 500, NULL);
}

/* 2.4.5 lets the target's provisional responses be reported too; the
 * transferor learns only the 100 Trying and the outcome (its UI has no
 * more to show, and every NOTIFY is a transaction on its leg) */
static const struct sip_leg_ops target_ops = {
	.answered = target_answered,
	.failed = target_leg_failed,
	.gone = target_gone,
};

/* the target's leg once it is the call's: as any answered SIP leg */
static const struct sip_leg_ops adopted_ops = {
	.info = iw_sip_side_info,
	.offer = iw_sip_side_offer,
	.bye = iw_sip_side_bye,
	.expired = iw_sip_side_expired,
	.gone = iw_sip_side_gone,
	.refer = iw_sip_side_refer,
	.refer_replaces = iw_sip_side_refer_replaces,
};

unsigned iw_sip_side_refer(void *u, struct sip_leg *leg, const struct sip_msg *req,
			   const char *target)
{
	struct iw_call *c = u;
	struct sip_invite_spec spec = {0};
	struct sdp_prefs saved = c->prefs;
	struct sip_trunk *t;
	struct sip_uri uri;
	struct iw_refer *r;
	char from[200], hdrs[512] = "", sdpbuf[IW_SDP_MAX];
	const char *calling;
	int n;

	(void)req;
	if (leg != c->leg || !c->trunk || !c->trunk->refer_accept) {
		LOGCALL(c, LOGL_INFO, "REFER to %s: trunk %s does not take transfers: 403\n",
			target, c->trunk_name);
		c->iw->st.transfers_refused++;
		return 403;
	}
	if (iw_call_get_state(c) != IW_CALL_S_ACTIVE || !c->cleg || !c->have_chan) {
		LOGCALL(c, LOGL_INFO, "REFER to %s: the call is not established: 403\n", target);
		c->iw->st.transfers_refused++;
		return 403;
	}
	if (c->refer)
		return 491;
	if (sip_uri_decode((struct tstr){target, strlen(target)}, &uri) < 0)
		return 400;
	/* a header in the URI is not taken: Replaces (RFC 3891) naming a
	 * dialog of ours came to iw_sip_side_refer_replaces instead, and
	 * toward another host it would ask us to replace a dialog we are not
	 * party to */
	if ((uri.scheme != SIP_URI_SIP && uri.scheme != SIP_URI_SIPS) || uri.headers.len ||
	    !(t = iw_uri_trunk(&uri))) {
		LOGCALL(c, LOGL_NOTICE,
			"REFER to %s refused: not a sip URI without headers on a configured trunk: "
			"403\n",
			target);
		c->iw->st.transfers_refused++;
		return 403;
	}
	if (!iw_admit_trunk(t)) {
		LOGCALL(c, LOGL_INFO, "REFER to %s: trunk %s cannot take a call now: 503\n", target,
			t->name);
		c->iw->st.transfers_refused++;
		return 503;
	}
	r = talloc_zero(c, struct iw_refer);
	if (!r)
		return 500;
	r->c = c;
	r->xfer = leg;
	r->trunk = t;
	r->target = talloc_strdup(r, target);
	/* the offer from the call's own channel, with the target trunk's codecs */
	iw_prefs_for(c, t);
	r->prefs = c->prefs;
	c->prefs = saved;
	n = sdp_offer_encode(sdpbuf, sizeof(sdpbuf), &r->prefs, &c->local);
	if (n <= 0 || !r->target || !(r->offer = talloc_strndup(r, sdpbuf, (size_t)n))) {
		talloc_free(r);
		return 500;
	}
	r->offer_len = n;
	/* the new INVITE is from the circuit side's party, as the first one */
	calling = c->from_isup ? c->calling : (c->number[0] ? c->number : c->called);
	iw_identity_out(t, calling, c->from_isup && c->calling_restricted, c->local_addr, from,
			sizeof(from), hdrs, sizeof(hdrs));
	spec.trunk = t;
	spec.ruri = target;
	spec.from = from;
	spec.to = target;
	spec.body.content_type = "application/sdp";
	spec.body.body = r->offer;
	spec.body.len = (size_t)n;
	spec.body.headers = hdrs;
	r->leg = sip_leg_invite(c->iw->ua, &spec, &target_ops, r);
	if (!r->leg) {
		LOGCALL(c, LOGL_INFO, "REFER to %s: INVITE via trunk %s failed: 503\n", target,
			t->name);
		talloc_free(r);
		return 503;
	}
	talloc_set_destructor(r, refer_destroy);
	c->refer = r;
	LOGCALL(c, LOGL_NOTICE, "REFER accepted: INVITE %s via trunk %s (call-id %s)\n", target,
		t->name, sip_leg_call_id(r->leg));
	return 202;
}

void iw_refer_abort(struct iw_call *c)
{
	struct iw_refer *r = c->refer;

	if (!r)
		return;
	/* the circuit (the transferee) is gone: there is nobody left for the
	 * target to talk to. Its INVITE is cancelled (a 2xx that crosses the
	 * CANCEL is ACKed and BYEd by the leg); the transferor's dialog ends
	 * with the call's BYE, its subscription with it. */
	LOGCALL(c, LOGL_NOTICE, "the circuit left during the transfer to %s: cancelled\n",
		r->target);
	c->refer = NULL;
	talloc_free(r); /* refer_destroy: the target's leg detached and cancelled */
}

bool iw_refer_xfer_left(struct iw_call *c, struct sip_leg *leg)
{
	struct iw_refer *r = c->refer;

	/* only while the call is up: a BYE that ends a call being cleared
	 * (the circuit released) frees the call, and the target's INVITE
	 * is cancelled with it */
	if (!r || !leg || leg != r->xfer || iw_call_get_state(c) != IW_CALL_S_ACTIVE)
		return false;
	LOGCALL(c, LOGL_NOTICE, "the transferor hung up during the transfer: waiting for %s\n",
		r->target);
	sip_leg_detach(leg);
	r->xfer = NULL;
	c->leg = NULL;
	return true;
}

/* --- attended transfer: REFER with Replaces (RFC 3891) naming another
 * call of ours ---
 *
 * The transferor (a phone on a trunk that takes transfers) holds two
 * answered calls through us, A and B, each a circuit and a SIP dialog. Its
 * REFER on A asks A's far party to call the target and replace dialog B;
 * that party is a circuit here, so as a B2BUA we connect the two circuits
 * instead: each media channel's RTP goes to the other channel's local
 * address (its media admission then takes exactly that source), both SIP
 * dialogs end with a BYE, and the two calls stay up without the SIP side
 * as one joined call until either circuit releases. */

/* Point c's channel at its peer o's local RTP address. */
static int join_media(struct iw_call *c, const struct iw_call *o, enum sdp_codec codec)
{
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_TDM};
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&cc.remote;
	struct sockaddr_in *a4 = (struct sockaddr_in *)&cc.remote;
	const struct sdp_codec_info *ci = sdp_codec_info(codec);

	if (inet_pton(AF_INET, o->local_addr, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(o->local.port);
		cc.remote_len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, o->local_addr, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(o->local.port);
		cc.remote_len = sizeof(*a6);
	} else {
		return -EINVAL;
	}
	/* no latching: the peer's source is known exactly; RTCP on port + 1 */
	cc.span = (unsigned)c->span;
	cc.timeslot = c->ts;
	cc.codec = codec == SDP_CODEC_PCMU ? MEDIA_CODEC_PCMU : MEDIA_CODEC_PCMA;
	cc.pt = codec == SDP_CODEC_PCMU ? 0 : 8;
	/* digits stay in the audio between two circuits */
	cc.ptime = 20;
	snprintf(cc.ec, sizeof(cc.ec), "%s",
		 media_vty_ec_name && !c->ec_off ? media_vty_ec_name : "");
	cc.ec_tail_ms = media_vty_ec_tail_ms;
	if (media_chan_modify(c->iw->media, c->chan, &cc) < 0)
		return -EIO;
	/* show calls and the CDR: the session is now with the other channel */
	memset(&c->agreed, 0, sizeof(c->agreed));
	c->agreed.codec = codec;
	c->agreed.tx_pt = c->agreed.rx_pt = cc.pt;
	c->agreed.rate = ci ? ci->rate : 8000;
	c->agreed.tx_ptime = c->agreed.rx_ptime = 20;
	c->agreed.remote_type = cc.remote.ss_family == AF_INET6 ? SDP_ADDR_IP6 : SDP_ADDR_IP4;
	snprintf(c->agreed.remote_addr, sizeof(c->agreed.remote_addr), "%s", o->local_addr);
	c->agreed.remote_port = o->local.port;
	c->agreed_ok = true;
	c->media_up = true;
	return 0;
}

/* The call leaves the SIP side: its dialog ends with a BYE, its trunk no
 * longer carries it. The trunk's max-call-duration keeps running: two
 * circuits joined by a phone are still that trunk's doing (and a joined
 * call left up for ever is the classic toll fraud). */
static void join_drop_sip(struct iw_call *c)
{
	struct sip_leg *leg = c->leg;

	c->leg = NULL;
	iw_trunk_take(c, NULL);
	if (leg) {
		sip_leg_detach(leg);
		sip_leg_bye(leg, NULL);
	}
}

static bool joinable(const struct iw_call *c)
{
	return iw_call_get_state(c) == IW_CALL_S_ACTIVE && c->cleg && c->have_chan && c->leg &&
	       !c->refer && !c->joined && c->span >= 0;
}

unsigned iw_sip_side_refer_replaces(void *u, struct sip_leg *leg, const struct sip_msg *req,
				    struct sip_leg *replaced)
{
	struct iw_call *a = u, *b;
	struct sdp_agreed ag_a, ag_b;
	enum sdp_codec codec;

	(void)req;
	b = iw_call_by_call_id(a->iw, sip_leg_call_id(replaced));
	if (!b || b->leg != replaced || b == a) {
		LOGCALL(a, LOGL_INFO, "REFER Replaces %s: no call of ours on that dialog: 481\n",
			sip_leg_call_id(replaced));
		a->iw->st.transfers_refused++;
		return 481;
	}
	if (leg != a->leg || !joinable(a) || !joinable(b)) {
		LOGCALL(a, LOGL_INFO,
			"REFER Replaces %s (call %u): both calls must be answered circuit calls: "
			"403\n",
			sip_leg_call_id(replaced), b->id);
		a->iw->st.transfers_refused++;
		return 403;
	}
	/* one codec both ways between the two channels: the calls' own when
	 * they agree on a G.711 law, else A-law */
	ag_a = a->agreed;
	ag_b = b->agreed;
	codec = a->agreed_ok && b->agreed_ok && a->agreed.codec == b->agreed.codec &&
				a->agreed.codec == SDP_CODEC_PCMU
			? SDP_CODEC_PCMU
			: SDP_CODEC_PCMA;
	if (join_media(a, b, codec) < 0 || join_media(b, a, codec) < 0) {
		/* both back to their SIP sides as they were */
		LOGCALL(a, LOGL_ERROR, "REFER Replaces: the two channels cannot be joined: 500\n");
		a->agreed = ag_a;
		b->agreed = ag_b;
		iw_media_connect(a);
		iw_media_connect(b);
		return 500;
	}
	a->joined = b;
	b->joined = a;
	a->iw->st.transfers++;
	LOGCALL(a, LOGL_NOTICE,
		"attended transfer: joined with call %u (CIC %u, %s): span %d ts %u <-> span %d ts "
		"%u, RTP %s:%u <-> %s:%u\n",
		b->id, b->cic, b->call_id, a->span, a->ts, b->span, b->ts, a->local_addr,
		a->local.port, b->local_addr, b->local.port);
	/* RFC 3515 2.4.5: the final NOTIFY before the dialog goes */
	sip_leg_refer_notify(leg, 200, NULL);
	join_drop_sip(a);
	join_drop_sip(b);
	return 200;
}

void iw_refer_joined_end(struct iw_call *c)
{
	struct iw_call *o = c->joined;
	uint8_t cause = c->cause ? (uint8_t)c->cause : 16;

	c->joined = NULL;
	if (!o)
		return;
	o->joined = NULL;
	LOGCALL(o, LOGL_NOTICE, "the joined call %u ended (cause %u): releasing this circuit\n",
		c->id, cause);
	if (!o->cause) {
		o->cause = cause;
		o->cause_loc = c->cause_loc;
		o->rel_side = c->rel_side;
	}
	iw_call_state(o, IW_CALL_S_CLEARING);
	iw_circuit_release(o, cause, o->cause_loc);
	iw_call_maybe_free(o);
}
