/* REFER in an INVITE dialog (RFC 3515): the request taken and handed to the
 * leg's owner, which decides (trunk policy, allowed target) and starts the
 * new call; the implicit subscription's NOTIFYs with message/sipfrag bodies
 * (2.4.4, 2.4.5); the per-trunk "refer accept|reject" command. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/log.h"
#include "core/vty.h"
#include "sip/sip_build.h"
#include "sip/sip_hdr.h"
#include "sip/sip_refer.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua_int.h"
#include "sip/sip_uri.h"

#define REFER_URI_MAX 256
/* RFC 3515 2.4.4 leaves the subscription's duration to the notifier; the
 * transfer's INVITE ends well before (Timer C is longer, but the final
 * NOTIFY terminates it anyway) */
#define REFER_SUB_EXPIRES 60

static const struct sip_txn_user_ops notify_ops = {0};

int sip_replaces_decode(struct tstr uri_headers, struct sip_replaces *r, char *buf, size_t size)
{
	struct tstr rest = uri_headers, val = TSTR_NULL, n, v;
	bool found = false;
	int len;

	/* RFC 3261 19.1.1: headers = "?" header *( "&" header ) */
	while (rest.len) {
		const char *amp = memchr(rest.p, '&', rest.len);
		struct tstr h = tstr_make(rest.p, amp ? (size_t)(amp - rest.p) : rest.len);
		const char *eq = memchr(h.p, '=', h.len);

		rest = amp ? tstr_make(amp + 1, rest.len - h.len - 1) : TSTR_NULL;
		if (!eq || !tstr_casecmp_cstr(tstr_make(h.p, (size_t)(eq - h.p)), "Replaces"))
			continue;
		if (found)
			return -EBADMSG; /* RFC 3891 3: at most one */
		found = true;
		val = tstr_make(eq + 1, h.len - (size_t)(eq - h.p) - 1);
	}
	if (!found)
		return -ENOENT;
	len = sip_unescape(val, buf, size);
	if (len < 0)
		return len;
	memset(r, 0, sizeof(*r));
	/* Replaces = callid *(SEMI replaces-param) */
	rest = tstr_make(buf, (size_t)len);
	{
		const char *semi = memchr(buf, ';', (size_t)len);
		size_t cl = semi ? (size_t)(semi - buf) : (size_t)len;

		while (cl && (buf[cl - 1] == ' ' || buf[cl - 1] == '\t'))
			cl--;
		r->call_id = tstr_make(buf, cl);
		rest = semi ? tstr_make(semi + 1, (size_t)len - (size_t)(semi - buf) - 1)
			    : TSTR_NULL;
	}
	if (!r->call_id.len || memchr(r->call_id.p, 0, r->call_id.len))
		return -EBADMSG;
	while (sip_param_next(&rest, &n, &v, &found)) {
		if (tstr_casecmp_cstr(n, "to-tag") && found)
			r->to_tag = v;
		else if (tstr_casecmp_cstr(n, "from-tag") && found)
			r->from_tag = v;
		else if (tstr_casecmp_cstr(n, "early-only"))
			r->early_only = true;
	}
	if (!r->to_tag.len || !r->from_tag.len)
		return -EBADMSG;
	return 0;
}

int sip_leg_refer_notify(struct sip_leg *leg, unsigned status, const char *reason)
{
	char hdrs[160], frag[96];
	struct sip_body b = {.content_type = "message/sipfrag;version=2.0", .body = frag};
	bool last = status >= 200;
	int n;

	if (!leg->refer_active || !leg->dlg || leg->state == SIP_LEG_S_TERMINATED ||
	    leg->state == SIP_LEG_S_TERMINATING)
		return -ENOTCONN;
	/* 2.4.6: the id names the REFER (its CSeq) the NOTIFY reports on */
	if (last)
		snprintf(hdrs, sizeof(hdrs),
			 "Event: refer;id=%u\r\nSubscription-State: "
			 "terminated;reason=noresource\r\n",
			 leg->refer_cseq);
	else
		snprintf(hdrs, sizeof(hdrs),
			 "Event: refer;id=%u\r\nSubscription-State: active;expires=%u\r\n",
			 leg->refer_cseq, REFER_SUB_EXPIRES);
	n = snprintf(frag, sizeof(frag), "SIP/2.0 %u %s\r\n", status,
		     reason && *reason ? reason : sip_reason_phrase(status));
	if (n < 0 || (size_t)n >= sizeof(frag))
		return -ENOSPC;
	b.len = (size_t)n;
	b.headers = hdrs;
	if (last)
		leg->refer_active = false;
	LOGP(DSIP, LOGL_INFO, "%s: NOTIFY refer;id=%u SIP/2.0 %u%s\n", leg->call_id,
	     leg->refer_cseq, status, last ? " (subscription terminated)" : "");
	return sip_leg_start_request_body(leg, "NOTIFY", sip_dialog_next_cseq(leg->dlg), &b,
					  &notify_ops)
		       ? 0
		       : -EIO;
}

/* The final NOTIFY for a REFER accepted with Replaces, when the owner did
 * not send it itself. */
static void replaces_final(struct sip_leg *leg, unsigned st)
{
	if (leg->refer_active)
		sip_leg_refer_notify(leg, st, NULL);
}

/* A Refer-To with Replaces (RFC 3891): attended transfer between two
 * calls we hold, done by the owner. True when the REFER was answered here
 * (the Refer-To had Replaces, well-formed or not). */
static bool refer_replaces_rx(struct sip_ua *ua, struct sip_txn *t, struct sip_leg *leg,
			      const struct sip_msg *m, uint32_t cseq, const char *target,
			      struct tstr uri_s)
{
	const char *q = memchr(uri_s.p, '?', uri_s.len);
	struct sip_replaces r;
	struct sip_uri uri;
	struct sip_leg *other;
	struct tstr hdrs;
	char buf[REFER_URI_MAX];
	unsigned st;
	bool usable;
	int rc;

	if (!q)
		return false;
	/* the headers as the URI grammar finds them; else after the '?'
	 * (phones put a Call-ID's '@' there unescaped, which 19.1.1's
	 * hvalue does not allow) */
	if (sip_uri_decode(uri_s, &uri) == 0)
		hdrs = uri.headers;
	else
		hdrs = tstr_make(q + 1, uri_s.len - (size_t)(q - uri_s.p) - 1);
	rc = sip_replaces_decode(hdrs, &r, buf, sizeof(buf));
	if (rc == -ENOENT)
		return false;
	if (rc < 0) {
		LOGP(DSIP, LOGL_INFO, "%s: REFER with a malformed Replaces in %s: 400\n",
		     leg->call_id, target);
		sip_ua_respond_simple(ua, t, m, 400, NULL);
		return true;
	}
	if (!leg->trunk || !leg->trunk->refer_accept || !leg->ops->refer_replaces) {
		LOGP(DSIP, LOGL_INFO,
		     "%s: REFER with Replaces: trunk %s does not take transfers: 403\n",
		     leg->call_id, leg->trunk ? leg->trunk->name : "-");
		sip_ua_respond_simple(ua, t, m, 403, NULL);
		return true;
	}
	/* 3: the to-tag is the local tag of the dialog at its recipient (us),
	 * the from-tag the remote one */
	other = sip_leg_by_dialog(ua, r.call_id, r.to_tag, r.from_tag);
	usable = other && other != leg && other->remote_tag && !sip_leg_ended(other) &&
		 other->state == SIP_LEG_S_CONFIRMED;
	if (usable && other->trunk != leg->trunk) {
		/* a dialog of another trunk's is not that transferor's to hand */
		LOGP(DSIP, LOGL_NOTICE,
		     "%s: REFER with Replaces names a dialog of trunk %s, not %s: 403\n",
		     leg->call_id, other->trunk ? other->trunk->name : "-", leg->trunk->name);
		sip_ua_respond_simple(ua, t, m, 403, NULL);
		return true;
	}
	leg->refer_cseq = cseq;
	leg->refer_active = true;
	sip_ua_respond_simple(ua, t, m, 202, NULL);
	sip_leg_refer_notify(leg, 100, "Trying");
	if (!usable) {
		/* what an INVITE with this Replaces would get (3) */
		LOGP(DSIP, LOGL_INFO, "%s: REFER Replaces %.*s: no such confirmed dialog: 481\n",
		     leg->call_id, TSTR_FMT(r.call_id));
		replaces_final(leg, 481);
		return true;
	}
	if (r.early_only) {
		/* 3: early-only and the dialog is confirmed */
		LOGP(DSIP, LOGL_INFO, "%s: REFER Replaces %s early-only, it is confirmed: 486\n",
		     leg->call_id, other->call_id);
		replaces_final(leg, 486);
		return true;
	}
	LOGP(DSIP, LOGL_INFO, "%s: REFER Replaces %s accepted (attended transfer)\n", leg->call_id,
	     other->call_id);
	st = leg->ops->refer_replaces(leg->u, leg, m, other);
	if (st >= 300 || st < 200)
		LOGP(DSIP, LOGL_INFO, "%s: REFER Replaces %s refused: %u\n", leg->call_id,
		     other->call_id, st);
	replaces_final(leg, st >= 200 ? st : 500);
	return true;
}

void sip_leg_refer_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i)
{
	const struct sip_msg *m = i->msg;
	struct sip_leg *leg;
	struct sip_nameaddr na;
	struct tstr e;
	char target[REFER_URI_MAX];
	unsigned st;

	if (!i->to_tag.len) {
		/* 2.4.1 allows REFER outside a dialog; a gateway transfers only
		 * the calls it carries */
		LOGP(DSIP, LOGL_INFO, "REFER outside a dialog refused: 403\n");
		sip_ua_respond_simple(ua, t, m, 403, NULL);
		return;
	}
	leg = sip_leg_for_request(ua, i);
	if (!leg || !leg->dlg || sip_leg_ended(leg)) {
		sip_ua_respond_simple(ua, t, m, 481, NULL);
		return;
	}
	if (!sip_dialog_rx_cseq(leg->dlg, i->cseq)) {
		sip_ua_respond_simple(ua, t, m, 500, NULL);
		return;
	}
	/* 2.4.1: exactly one Refer-To */
	if (sip_msg_count(m, SIP_HDR_REFER_TO) != 1 ||
	    sip_msg_elem(m, SIP_HDR_REFER_TO, 0, &e) < 0 || sip_nameaddr_decode(e, &na) < 0 ||
	    !na.uri.len || na.uri.len >= sizeof(target)) {
		LOGP(DSIP, LOGL_INFO, "%s: REFER without one usable Refer-To: 400\n", leg->call_id);
		sip_ua_respond_simple(ua, t, m, 400, NULL);
		return;
	}
	memcpy(target, na.uri.p, na.uri.len);
	target[na.uri.len] = 0;
	if (leg->state != SIP_LEG_S_CONFIRMED) {
		/* an early or not yet acknowledged dialog: nothing to transfer */
		LOGP(DSIP, LOGL_INFO, "%s: REFER before the call is established: 491\n",
		     leg->call_id);
		sip_ua_respond_simple(ua, t, m, 491, NULL);
		return;
	}
	if (leg->refer_active) {
		/* one transfer at a time on a call */
		LOGP(DSIP, LOGL_INFO, "%s: REFER while one is in progress: 491\n", leg->call_id);
		sip_ua_respond_simple(ua, t, m, 491, NULL);
		return;
	}
	if (!leg->ops || !leg->ops->refer) {
		sip_ua_respond_simple(ua, t, m, 405, ALLOW_HDR);
		return;
	}
	/* RFC 3892: the transferor's identity is taken note of and goes no
	 * further; the new INVITE is the circuit party's own (topology
	 * hiding: a URI of one trunk is not shown to another) */
	if (sip_msg_elem(m, SIP_HDR_REFERRED_BY, 0, &e) == 0)
		LOGP(DSIP, LOGL_INFO, "%s: REFER Referred-By %.*s (kept here, not passed on)\n",
		     leg->call_id, (int)(e.len < 120 ? e.len : 120), e.p);
	if (refer_replaces_rx(ua, t, leg, m, i->cseq, target, na.uri))
		return;
	leg->refer_cseq = i->cseq;
	leg->refer_active = true;
	st = leg->ops->refer(leg->u, leg, m, target);
	if (st < 200 || st >= 300) {
		leg->refer_active = false;
		LOGP(DSIP, LOGL_INFO, "%s: REFER to %s refused: %u\n", leg->call_id, target, st);
		sip_ua_respond_simple(ua, t, m, st, NULL);
		return;
	}
	LOGP(DSIP, LOGL_INFO, "%s: REFER to %s accepted\n", leg->call_id, target);
	sip_ua_respond_simple(ua, t, m, 202, NULL);
	/* 2.4.4: a NOTIFY right away, the subscription's initial state */
	if (leg->refer_active)
		sip_leg_refer_notify(leg, 100, "Trying");
}

/* --- the trunk's policy --- */

DEFUN(cfg_trunk_refer, cfg_trunk_refer_cmd, "refer (accept|reject)",
      "REFER (RFC 3515) from this trunk on an established call\n"
      "Transfer the call: a new INVITE to the Refer-To target (only a configured trunk's host)\n"
      "Refuse with 403 (the default)\n")
{
	struct sip_trunk *t = vty->index;

	t->refer_accept = !strcmp(argv[0], "accept");
	return CMD_SUCCESS;
}

void sip_refer_vty_init(void)
{
	install_element(TANDEM_SIP_TRUNK_NODE, &cfg_trunk_refer_cmd);
}

void sip_refer_vty_write(struct vty *vty, const struct sip_trunk *t)
{
	if (t->refer_accept)
		vty_out(vty, "  refer accept%s", VTY_NEWLINE);
}
