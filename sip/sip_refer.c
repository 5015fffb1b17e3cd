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

#define REFER_URI_MAX 256
/* RFC 3515 2.4.4 leaves the subscription's duration to the notifier; the
 * transfer's INVITE ends well before (Timer C is longer, but the final
 * NOTIFY terminates it anyway) */
#define REFER_SUB_EXPIRES 60

static const struct sip_txn_user_ops notify_ops = {0};

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
