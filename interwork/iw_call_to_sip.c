/* A call from the circuit toward SIP (RFC 3398 7, Q.1912.5):
 *
 *   IAM / SETUP -> E.164 -> route (ENUM first when the route says) ->
 *   INVITE with our SDP offer; 180 -> ACM "subscriber free" (ringback
 *   toward TDM unless early media), 183 -> ACM/CPG with in-band
 *   information, 200 -> ANM (CON when no ACM went), a failure -> the next
 *   trunk of the route (no answer, trunk trouble) or REL with the mapped
 *   cause (Reason: Q.850 wins), after a busy/congestion tone when the
 *   trunk says. BYE -> REL 16 is in iw_call.c (both directions).
 *   On a SIP-I trunk the ACM/CPG/ANM/CON encapsulated in the 18x/200 go to
 *   the circuit with their own parameters instead (iw_call_sipi.c), the
 *   REL's cause in a failure or BYE wins over the status and Reason. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <talloc.h>

#include "interwork/iw_call_int.h"
#include "interwork/iw_cause.h"
#include "interwork/iw_enum_dns.h"
#include "interwork/iw_sipi.h"
#include "interwork/iw_trust.h"
#include "sip/sip_hdr.h"
#include "sip/sip_registrar.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"
#include "sip/sip_uri.h"

static void send_invite(struct iw_call *c, struct sip_trunk *trunk, const char *number,
			const char *ruri_in);
static void enum_done_cb(void *priv, int status, const struct iw_enum_result *r);

/* The call cannot go on toward SIP: REL with cause. */
static void circuit_fail(struct iw_call *c, uint8_t cause)
{
	if (!c->cause)
		c->cause = cause;
	iw_call_state(c, IW_CALL_S_CLEARING);
	iw_circuit_release(c, cause, ISUP_LOC_BEYOND_INTERWORKING);
	c->iw->st.failed++;
	iw_call_maybe_free(c);
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

void iw_leg_incoming(struct iw *iw, struct iw_leg *leg, const struct iw_leg_in *in)
{
	struct iw_route_res rr = {.cause = ISUP_CAUSE_NO_ROUTE_DESTINATION};
	const struct isup_number *called = in->called, *calling = in->calling;
	struct iw_call *c;
	char e164[48];

	c = iw_call_alloc(iw, true);
	if (!c) {
		leg->ops->release(leg, ISUP_CAUSE_RESOURCE_UNAVAILABLE,
				  ISUP_LOC_BEYOND_INTERWORKING);
		return;
	}
	talloc_steal(c, leg);
	iw_call_attach_leg(c, leg);
	if (in->isup && c->isup_variant >= 0) {
		uint8_t buf[272];
		int n = isup_msg_encode((enum isup_variant)c->isup_variant, in->isup, buf,
					sizeof(buf));

		c->iam = n > 0 ? talloc_memdup(c, buf, (size_t)n) : NULL;
		c->iam_len = c->iam ? n : -1;
	}
	if (in->far_echo_control) {
		/* Q.763 3.35 bit E: the preceding exchange put an echo control
		 * device in the connection; with echo-control network ours stays
		 * out (and our ACM does not claim one) */
		c->ec_off = true;
		LOGCALL(c, LOGL_INFO, "echo control device in the connection: ours off\n");
	}
	if (leg->ops->echo_control)
		leg->ops->echo_control(leg,
				       media_vty_ec_name && media_vty_ec_name[0] && !c->ec_off);
	if (iw_group_over_limit(iw, leg->cls, leg->group)) {
		/* Q.850 42 switching equipment congestion */
		LOGCALL(c, LOGL_INFO, "linkset %s at its limit: REL 42\n", c->linkset);
		circuit_fail(c, ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION);
		return;
	}
	iw_group_take(c, leg->group);
	if (iw_isup_to_e164(iw_group_num(c, c->linkset), called, e164, sizeof(e164)) < 0) {
		/* Q.850 28 invalid number format (address incomplete) */
		snprintf(c->called, sizeof(c->called), "%s", e164);
		LOGCALL(c, LOGL_INFO, "called number NOA %u '%s' has no E.164 form: REL 28\n",
			called->noa, called->digits);
		c->cause = ISUP_CAUSE_INVALID_NUMBER_FORMAT;
		circuit_fail(c, ISUP_CAUSE_INVALID_NUMBER_FORMAT);
		return;
	}
	LOGCALL(c, LOGL_INFO, "IAM called NOA %u '%s' -> +%s\n", called->noa, called->digits, e164);
	snprintf(c->called, sizeof(c->called), "%s", e164);
	if (calling) {
		if (iw_isup_to_e164(iw_group_num(c, c->linkset), calling, c->calling,
				    sizeof(c->calling)) < 0)
			c->calling[0] = '\0'; /* no E.164 form: not sent */
		c->calling_restricted = calling->apri == 1;
	}
	if (in->hops < 0) {
		/* Q.764 2.14.2: the hop counter is spent: a loop; cause 25 */
		LOGCALL(c, LOGL_NOTICE, "hop counter spent: REL 25 (loop?)\n");
		c->cause = ISUP_CAUSE_EXCHANGE_ROUTING_ERROR;
		circuit_fail(c, ISUP_CAUSE_EXCHANGE_ROUTING_ERROR);
		return;
	}
	c->max_forwards = (unsigned)in->hops;
	if (!iw->route || iw->route(iw->route_priv, true, e164, &rr) < 0 || !rr.trunk) {
		LOGCALL(c, LOGL_INFO, "no route for +%s: REL cause %u\n", e164, rr.cause);
		circuit_fail(c, rr.cause ? rr.cause : ISUP_CAUSE_NO_ROUTE_DESTINATION);
		return;
	}
	alt_set(c, &rr);
	if (rr.enum_first && iw->en) {
		char aus[50];

		snprintf(aus, sizeof(aus), "+%s", e164);
		c->enum_trunk = rr.trunk;
		snprintf(c->enum_number, sizeof(c->enum_number), "%s", rr.number);
		if (iw_enum_lookup(iw->en, aus, enum_done_cb, c) == 0) {
			c->enum_pending = true;
			iw_call_state(c, IW_CALL_S_ENUM); /* its budget: timer X1 */
			return;
		}
	}
	send_invite(c, rr.trunk, rr.number, NULL);
}

/* --- the SIP side answers our INVITE --- */

void iw_to_sip_progress(struct iw_call *c, const struct sip_msg *rsp)
{
	bool alerting = rsp->status == 180;
	char what[8];

	iw_rx_answer_sdp(c, rsp);
	if (!c->cleg)
		return;
	snprintf(what, sizeof(what), "%u", rsp->status);
	if (!c->acm_sent) {
		struct isup_msg m;
		uint8_t store[280 + IW_SIPI_CAUSE_MAX];
		const struct isup_param *p;
		struct isup_bci b;

		/* SIP-I (Q.1912.5): the encapsulated ACM goes to the circuit as
		 * it came; its called party status, not the SIP status code,
		 * says whether the caller hears ringing */
		if (iw_sipi_backward(c, rsp, what, &m, store, sizeof(store)) == 0 &&
		    (p = isup_msg_param(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS)) &&
		    isup_bci_decode(p->val, p->len, &b) == 0 && iw_sipi_to_circuit(c, rsp, what)) {
			iw_call_state(c, IW_CALL_S_EARLY);
			if (b.called_status == 1 && !c->agreed_ok && c->iw->cfg.ringback)
				iw_tone(c, "ringback");
			return;
		}
	} else if (iw_sipi_to_circuit(c, rsp, what)) {
		return; /* the encapsulated CPG */
	}
	/* RFC 3398 7.2.1.1: 180 -> ACM "subscriber free"; 183 -> ACM with
	 * in-band information (or CPG when the ACM went already) */
	if (!c->acm_sent) {
		c->acm_sent = true;
		iw_call_state(c, IW_CALL_S_EARLY);
		/* without early media the caller hears our ringback */
		if (alerting && !c->agreed_ok && c->iw->cfg.ringback)
			iw_tone(c, "ringback");
		c->cleg->ops->progress(c->cleg, alerting, c->agreed_ok || c->tone_on);
	} else {
		if (alerting && !c->agreed_ok && c->iw->cfg.ringback)
			iw_tone(c, "ringback");
		c->cleg->ops->progress(c->cleg, alerting, !alerting);
	}
}

void iw_to_sip_answered(struct iw_call *c, const struct sip_msg *rsp)
{
	iw_rx_answer_sdp(c, rsp);
	if (c->out_delayed && !c->agreed_ok && iw_call_get_state(c) != IW_CALL_S_CLEARING) {
		/* RFC 3261 13.2.2.4: no usable offer in the 200 (nor earlier):
		 * ACKed, then ended at once; Q.850 65 toward ISUP */
		LOGCALL(c, LOGL_NOTICE,
			"delayed offer: no usable offer from the trunk: BYE, REL 65\n");
		iw_call_end(c, ISUP_CAUSE_BEARER_NOT_IMPLEMENTED);
		return;
	}
	iw_tone(c, NULL);
	/* a 200 that crossed our CANCEL: counted, the dialog ends on its own */
	if (iw_call_get_state(c) != IW_CALL_S_CLEARING)
		iw_call_state(c, IW_CALL_S_ACTIVE);
	iw_call_answered(c);
	if (!c->cleg)
		return;
	LOGCALL(c, LOGL_INFO, "answered\n");
	if (!iw_sipi_to_circuit(c, rsp, "200"))
		c->cleg->ops->answer(c->cleg);
}

/* Worth another trunk: no answer (408, or no response at all), or the
 * trunk could not take the call (500, 502, 503, 504); a refusal by the
 * called side (4xx, 6xx) is not. The next trunk must pass the same
 * admission as the first (iw_admit_trunk: up, calls, calls per second). */
static bool try_next_trunk(struct iw_call *c, unsigned status)
{
	while (c->next_alt < c->n_alt && c->attempts < iw_max_attempts(c->iw)) {
		struct sip_trunk *t = sip_trunk_find(c->alt[c->next_alt++]);
		char ruri[256];

		if (!iw_admit_trunk(t))
			continue;
		LOGCALL(c, LOGL_INFO, "SIP %u from trunk %s: trying trunk %s\n", status,
			c->trunk_name, t->name);
		iw_call_cdr_record(c, false, (int)status, 0, -1);
		/* the failed dialog finishes on its own, without us */
		sip_leg_detach(c->leg);
		c->leg = NULL;
		c->iw->st.failovers++;
		snprintf(ruri, sizeof(ruri), "%s", c->ruri_sent ? c->ruri_sent : "");
		send_invite(c, t, c->number, c->ruri_fixed ? ruri : NULL);
		return true;
	}
	return false;
}

/* --- 3xx follow (RFC 3261 8.1.3.4, RFC 3398 7.2.1.4) --- */

/* The configured trunk a Contact points at: its host is the trunk's
 * remote host or domain, and the port the trunk's (5060/5061 when either
 * says none). An SBC is not steered to hosts it has no trunk for. */
static struct sip_trunk *redir_trunk(const struct sip_uri *u)
{
	struct sip_trunk *t;
	unsigned dflt = u->scheme == SIP_URI_SIPS ? 5061 : 5060;
	unsigned port = u->port ? u->port : dflt;

	llist_for_each_entry(t, &sip_cfg.trunks, list)
	{
		unsigned tport = t->port ? t->port : (t->proto == SIP_PROTO_TLS ? 5061 : 5060);

		/* the domain of our Request-URIs (sent without a port) */
		if (t->domain && !u->port && tstr_casecmp_cstr(u->host, t->domain))
			return t;
		if (tport != port)
			continue;
		if (t->host && tstr_casecmp_cstr(u->host, t->host))
			return t;
	}
	return NULL;
}

struct sip_trunk *iw_uri_trunk(const struct sip_uri *u)
{
	return redir_trunk(u);
}

static bool redir_was_tried(const struct iw_call *c, const char *uri)
{
	if (c->ruri_sent && !strcasecmp(c->ruri_sent, uri))
		return true;
	for (unsigned i = 0; i < c->n_redir_tried; i++)
		if (!strcasecmp(c->redir_tried[i], uri))
			return true;
	for (unsigned i = 0; i < c->n_redir_todo; i++)
		if (!strcasecmp(c->redir_todo[i], uri))
			return true;
	return false;
}

static int strv_add(void *ctx, char ***v, unsigned *n, const char *s, bool front)
{
	char **nv = talloc_realloc(ctx, *v, char *, *n + 1);

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (front) {
		memmove(nv + 1, nv, *n * sizeof(*nv));
		nv[0] = talloc_strdup(nv, s);
	} else {
		nv[*n] = talloc_strdup(nv, s);
	}
	(*n)++;
	return 0;
}

/* A tel: Contact (RFC 3966): its number (global, or local with a
 * phone-context) through the redirecting trunk's numbering rules, then
 * routed toward SIP like the number of an IAM: 0 with e164 and rr (the
 * trunk and the number to send), or -ENOENT. */
static int tel_route(struct iw_call *c, const char *uri, char *e164, size_t esize,
		     struct iw_route_res *rr)
{
	struct iw *iw = c->iw;

	memset(rr, 0, sizeof(*rr));
	if (iw_uri_to_e164(iw_trunk_num(c), (struct tstr){uri, strlen(uri)}, e164, esize) < 0 ||
	    !iw->route || iw->route(iw->route_priv, true, e164, rr) < 0 || !rr->trunk)
		return -ENOENT;
	return 0;
}

static bool cb_tried(void *priv, const char *uri)
{
	struct iw_call *c = priv;
	char e164[48];

	if (redir_was_tried(c, uri))
		return true;
	/* a tel: Contact naming the number just called is a loop too */
	return !strncasecmp(uri, "tel:", 4) &&
	       iw_uri_to_e164(iw_trunk_num(c), (struct tstr){uri, strlen(uri)}, e164,
			      sizeof(e164)) >= 0 &&
	       !strcmp(e164, c->number);
}

static bool cb_allowed(void *priv, const struct sip_uri *u)
{
	struct iw_call *c = priv;
	struct iw_route_res rr;
	char e164[48], uri[256];

	if (u->scheme != SIP_URI_TEL)
		return redir_trunk(u) != NULL;
	snprintf(uri, sizeof(uri), "tel:%.*s", (int)u->opaque.len, u->opaque.p);
	return tel_route(c, uri, e164, sizeof(e164), &rr) == 0;
}

/* A 3xx: its usable Contacts (iw_redir_targets) go in front of those
 * still to try, in their q order; the others are logged. */
static void redir_collect(struct iw_call *c, unsigned status, const struct sip_msg *rsp)
{
	struct iw_redir_target v[8];
	unsigned n = iw_redir_targets(rsp, cb_tried, cb_allowed, c, v, 8), k = 0;

	for (unsigned i = 0; i < n; i++) {
		switch (v[i].verdict) {
		case IW_REDIR_USE:
			k = i + 1;
			break;
		case IW_REDIR_NOT_SIP:
			LOGCALL(c, LOGL_NOTICE, "SIP %u Contact %s: not a sip/sips URI: skipped\n",
				status, v[i].uri);
			break;
		case IW_REDIR_TRIED:
			LOGCALL(c, LOGL_INFO, "SIP %u Contact %s: tried already (loop): skipped\n",
				status, v[i].uri);
			break;
		case IW_REDIR_FOREIGN:
			c->iw->st.redirects_refused++;
			LOGCALL(c, LOGL_NOTICE,
				"SIP %u Contact %s: its host is no configured trunk: refused\n",
				status, v[i].uri);
			break;
		case IW_REDIR_NO_ROUTE:
			c->iw->st.redirects_refused++;
			LOGCALL(c, LOGL_NOTICE,
				"SIP %u Contact %s: its number routes to no SIP trunk: refused\n",
				status, v[i].uri);
			break;
		}
	}
	while (k > 0)
		strv_add(c, &c->redir_todo, &c->n_redir_todo, v[--k].uri, true);
}

/* The Diversion (RFC 5806) or History-Info (RFC 7044 with the RFC 4458
 * cause) line telling the next target who redirected the call. */
static void redir_header(struct iw_call *c, const struct sip_trunk *t, unsigned status,
			 const char *target)
{
	const char *from = c->ruri_sent ? c->ruri_sent : "";

	talloc_free(c->redir_hdr);
	c->redir_hdr = NULL;
	if (t->redir == SIP_REDIR_DIVERSION)
		c->redir_hdr = talloc_asprintf(c, "Diversion: <%s>;reason=%s;counter=%u\r\n", from,
					       status == 300 ? "deflection" : "unconditional",
					       c->redirects);
	else if (t->redir == SIP_REDIR_HISTORY_INFO)
		c->redir_hdr = talloc_asprintf(
			c, "History-Info: <%s>;index=1, <%s;cause=%u>;index=1.1;rc\r\n", from,
			target, status);
}

/* A redirect target whose user is a number (RFC 3261 19.1.1 user part):
 * the number normalised with the redirecting trunk's numbering rules into
 * e164 (digits) and ruri, the URI with "+e164" for the user (and
 * user=phone when it has no user parameter). False: not a number, the
 * Contact is used as it came. */
static bool redir_normalise(struct iw_call *c, const char *uri, const struct sip_uri *u, char *e164,
			    size_t esize, char *ruri, size_t rsize)
{
	struct tstr v;
	const char *user_end;
	int n;

	if (!u->user.len ||
	    iw_uri_to_e164(iw_trunk_num(c), (struct tstr){uri, strlen(uri)}, e164, esize) < 0)
		return false;
	user_end = u->user.p + u->user.len;
	n = snprintf(ruri, rsize, "%.*s+%s%s%s", (int)(u->user.p - uri), uri, e164, user_end,
		     sip_param_find(u->params, "user", &v) || u->headers.len ? "" : ";user=phone");
	return n > 0 && (size_t)n < rsize;
}

/* A tel: Contact (RFC 3966): the number, normalised, routed as an IAM's
 * would be (the route's trunk and number; its Request-URI in the
 * trunk's own form). True when an INVITE went. */
static bool try_tel(struct iw_call *c, unsigned status, const char *uri)
{
	struct iw_route_res rr;
	char e164[48];

	if (tel_route(c, uri, e164, sizeof(e164), &rr) < 0 || !iw_admit_trunk(rr.trunk)) {
		LOGCALL(c, LOGL_INFO, "redirect target %s: no SIP route available\n", uri);
		return false;
	}
	c->redirects++;
	c->iw->st.redirects++;
	LOGCALL(c, LOGL_INFO,
		"SIP %u from trunk %s: redirect %u/%u to %s (number +%s) via trunk %s\n", status,
		c->trunk_name, c->redirects, c->redir_max, uri, e164, rr.trunk->name);
	iw_call_cdr_record(c, false, (int)status, 0, -1);
	redir_header(c, rr.trunk, status, uri);
	sip_leg_detach(c->leg);
	c->leg = NULL;
	send_invite(c, rr.trunk, rr.number[0] ? rr.number : e164, NULL);
	return true;
}

/* The next Contact still to try (the ISUP side keeps waiting): true when
 * an INVITE went. status: the answer that made us look (3xx, or the
 * failure of a redirected target). */
static bool try_redirect(struct iw_call *c, unsigned status)
{
	while (c->n_redir_todo && c->redirects < c->redir_max) {
		char *uri = talloc_steal(c, c->redir_todo[0]);
		struct sip_uri u;
		struct sip_trunk *t;

		memmove(c->redir_todo, c->redir_todo + 1, --c->n_redir_todo * sizeof(char *));
		strv_add(c, &c->redir_tried, &c->n_redir_tried, uri, false);
		if (!strncasecmp(uri, "tel:", 4)) {
			if (try_tel(c, status, uri)) {
				talloc_free(uri);
				return true;
			}
			talloc_free(uri);
			continue;
		}
		if (sip_uri_decode((struct tstr){uri, strlen(uri)}, &u) < 0 ||
		    !(t = redir_trunk(&u)) || !iw_admit_trunk(t)) {
			LOGCALL(c, LOGL_INFO, "redirect target %s: trunk not available\n", uri);
			talloc_free(uri);
			continue;
		}
		c->redirects++;
		c->iw->st.redirects++;
		LOGCALL(c, LOGL_INFO, "SIP %u from trunk %s: redirect %u/%u to %s via trunk %s\n",
			status, c->trunk_name, c->redirects, c->redir_max, uri, t->name);
		iw_call_cdr_record(c, false, (int)status, 0, -1);
		redir_header(c, t, status, uri);
		{
			/* the Contact's user through the numbering rules of
			 * the redirecting trunk (a redirect server may answer
			 * in national form): +E.164, the rest kept */
			char e164[48], ruri[320];
			const char *num = c->number;

			if (redir_normalise(c, uri, &u, e164, sizeof(e164), ruri, sizeof(ruri))) {
				LOGCALL(c, LOGL_INFO,
					"redirect target %s: number +%s, Request-URI %s\n", uri,
					e164, ruri);
				num = e164;
			} else {
				snprintf(ruri, sizeof(ruri), "%s", uri);
			}
			sip_leg_detach(c->leg);
			c->leg = NULL;
			send_invite(c, t, num, ruri);
		}
		talloc_free(uri);
		return true;
	}
	if (c->n_redir_todo) {
		/* RFC 3261 8.1.3.4 leaves the number of targets to the UAC */
		LOGCALL(c, LOGL_NOTICE, "redirect limit %u reached: %u Contact(s) not tried\n",
			c->redir_max, c->n_redir_todo);
		c->n_redir_todo = 0;
	}
	return false;
}

/* 305 Use Proxy (RFC 3261 21.3.6): the same request again through the
 * proxy its Contact names. Our next hop is configuration, so only a
 * proxy that is a configured trunk (other than the one that answered) is
 * used, within the trunk's "redirect follow" budget; any other is refused
 * (a 305 must not steer a gateway to a host of the answerer's choosing,
 * the reason HTTP gave 305 up). */
static bool use_proxy(struct iw_call *c, const struct sip_msg *rsp)
{
	struct sip_contact ct;
	char ruri[256];

	if (!c->redir_max)
		c->redir_max = c->trunk->redirect_follow;
	if (!c->ruri_sent || c->redirects >= c->redir_max) {
		LOGCALL(c, LOGL_NOTICE, "SIP 305 from trunk %s: %s: not followed\n", c->trunk_name,
			c->redir_max ? "redirect limit reached" : "redirect follow 0");
		return false;
	}
	for (unsigned i = 0; i < 8 && sip_msg_contact(rsp, i, &ct) == 0; i++) {
		struct sip_uri u;
		struct sip_trunk *t;

		if (ct.na.star || sip_uri_decode(ct.na.uri, &u) < 0 ||
		    (u.scheme != SIP_URI_SIP && u.scheme != SIP_URI_SIPS) ||
		    !(t = redir_trunk(&u)) || t == c->trunk || !iw_admit_trunk(t)) {
			c->iw->st.redirects_refused++;
			LOGCALL(c, LOGL_NOTICE,
				"SIP 305 Contact %.*s: not another configured trunk: refused\n",
				(int)ct.na.uri.len, ct.na.uri.p);
			continue;
		}
		c->redirects++;
		c->iw->st.redirects++;
		snprintf(ruri, sizeof(ruri), "%s", c->ruri_sent);
		LOGCALL(c, LOGL_INFO, "SIP 305 from trunk %s: %s again through proxy trunk %s\n",
			c->trunk_name, ruri, t->name);
		iw_call_cdr_record(c, false, 305, 0, -1);
		sip_leg_detach(c->leg);
		c->leg = NULL;
		send_invite(c, t, c->number, ruri);
		return true;
	}
	return false;
}

/* tones-on-failure is over: the REL with the cause the SIP side gave */
void iw_fail_tone_done(struct iw_call *c)
{
	iw_tone(c, NULL);
	iw_call_state(c, IW_CALL_S_CLEARING);
	iw_circuit_release(c, (uint8_t)c->cause, c->cause_loc);
	iw_call_maybe_free(c);
}

/* Q.1912.5 / national practice: instead of releasing at once, tell the
 * caller by tone (ACM or CPG with in-band information, busy or congestion
 * toward TDM), then REL. Returns true when the tone runs. */
static bool fail_tone(struct iw_call *c, int cause)
{
	const char *name = iw_cause_failure_tone((uint8_t)cause);

	if (!name || !c->cleg || !c->have_chan || !c->trunk || !c->trunk->failure_tone_s)
		return false;
	iw_tone(c, name);
	c->acm_sent = true;
	c->cleg->ops->progress(c->cleg, false, true);
	/* its length: timer X2, else the trunk's tones-on-failure */
	iw_call_state(c, IW_CALL_S_FAIL_TONE);
	LOGCALL(c, LOGL_INFO, "%s tone toward TDM for %lu s, then REL %d\n", name,
		osmo_tdef_get(iw_call_tdefs, -2, OSMO_TDEF_S, 0) ?: c->trunk->failure_tone_s,
		cause);
	return true;
}

/* A 300/301/302 we do not follow (the trunk's "redirect follow 0", or its
 * limit reached): the caller's exchange is told where the called party
 * went, as Q.732.2 call rerouting has it (REL cause 23 "redirection to new
 * destination" with the redirection number and redirection information),
 * where the circuit's protocol carries them (ITU ISUP); the number is the
 * first Contact (sip, sips or tel) whose user part is one, normalised
 * with the redirecting trunk's rules. True when the REL will carry them. */
static bool redirect_back(struct iw_call *c, unsigned status, const struct sip_msg *rsp)
{
	struct sip_contact ct;
	struct isup_number rn;
	char uri[256], e164[48];
	uint8_t ri[2];

	if (!c->cleg || !c->cleg->ops->release_redirect || status < 300 || status > 302)
		return false;
	for (unsigned i = 0; i < 8 && sip_msg_contact(rsp, i, &ct) == 0; i++) {
		struct sip_uri u;

		if (ct.na.star || ct.na.uri.len >= sizeof(uri) ||
		    sip_uri_decode(ct.na.uri, &u) < 0 ||
		    (u.scheme != SIP_URI_SIP && u.scheme != SIP_URI_SIPS &&
		     u.scheme != SIP_URI_TEL) ||
		    !u.user.len)
			continue;
		snprintf(uri, sizeof(uri), "%.*s", (int)ct.na.uri.len, ct.na.uri.p);
		if (iw_uri_to_e164(iw_trunk_num(c), (struct tstr){uri, strlen(uri)}, e164,
				   sizeof(e164)) < 0)
			continue;
		iw_e164_to_isup(iw_group_num(c, c->linkset), e164, &rn);
		/* Q.763 3.45: "call diverted" (3), reason unknown for the
		 * original; the counter; redirecting reason 3 unconditional
		 * (301/302) or 5 deflection immediate response (300) */
		ri[0] = 3;
		ri[1] = (uint8_t)((c->redirects + 1 > 7 ? 7 : c->redirects + 1) |
				  (status == 300 ? 5 : 3) << 4);
		if (c->cleg->ops->release_redirect(c->cleg, &rn, ri) < 0)
			return false;
		LOGCALL(c, LOGL_INFO,
			"SIP %u not followed: REL 23 with redirection number %s (NOA %u) from %s\n",
			status, rn.digits, rn.noa, uri);
		return true;
	}
	return false;
}

void iw_to_sip_failed(struct iw_call *c, unsigned status, const struct sip_msg *rsp)
{
	uint8_t loc = iw_cause_sip_location((int)status);
	int cause = iw_sipi_rel_cause(c, rsp, &loc);

	if (c->cleg && status >= 300 && status <= 302 && c->trunk) {
		/* the first redirecting trunk says how far we follow */
		if (!c->redir_max)
			c->redir_max = c->trunk->redirect_follow;
		if (c->redir_max)
			redir_collect(c, status, rsp);
	}
	if (c->cleg && status == 305 && c->trunk && use_proxy(c, rsp))
		return;
	if (status == 380)
		/* RFC 3261 21.3.7: the alternatives are described in the
		 * body, for a person to choose: nothing to call; the REL
		 * has the status's cause (unlisted in RFC 3398 8.2.6.1) */
		LOGCALL(c, LOGL_INFO, "SIP 380 Alternative Service from trunk %s: not followed\n",
			c->trunk_name);
	if (c->cleg && try_redirect(c, status))
		return;
	if (c->cleg && !c->acm_sent && iw_cause_sip_failover((int)status) &&
	    try_next_trunk(c, status))
		return;
	if (cause < 0 && status >= 300 && status <= 302 && c->trunk &&
	    c->redirects >= c->redir_max && redirect_back(c, status, rsp))
		cause = ISUP_CAUSE_REDIRECTION;
	if (cause < 0)
		cause = iw_cause_map_from_msg(c->iw->cfg.causes, (int)status, rsp);
	LOGCALL(c, LOGL_INFO, "SIP %u: REL cause %d\n", status, cause);
	if (!c->cause)
		c->rel_side = "sip";
	c->cause = cause;
	c->cause_loc = loc;
	c->sip_status = (int)status;
	c->iw->st.failed++;
	if (iw_call_get_state(c) != IW_CALL_S_CLEARING && fail_tone(c, cause))
		return;
	iw_call_state(c, IW_CALL_S_CLEARING);
	iw_tone(c, NULL);
	iw_circuit_release(c, (uint8_t)cause, loc);
}

static void out_progress(void *u, struct sip_leg *leg, const struct sip_msg *rsp)
{
	struct iw_call_ev d = {.msg = rsp};

	(void)leg;
	iw_call_dispatch(u, IW_CALL_E_SIP_PROGRESS, &d);
}

static void out_answered(void *u, struct sip_leg *leg, const struct sip_msg *rsp)
{
	struct iw_call_ev d = {.msg = rsp};

	(void)leg;
	iw_call_dispatch(u, IW_CALL_E_SIP_ANSWER, &d);
}

static void out_failed(void *u, struct sip_leg *leg, unsigned status, const struct sip_msg *rsp)
{
	struct iw_call_ev d = {.msg = rsp, .status = status};

	(void)leg;
	iw_call_dispatch(u, IW_CALL_E_SIP_FAILED, &d);
}

/* "offer delayed" trunk: the offer in its 200 or reliable 18x, answered
 * once (in the ACK or PRACK) */
static int out_answer_offer(void *u, struct sip_leg *leg, const struct sip_msg *rsp,
			    struct sip_body *answer)
{
	struct iw_call *c = u;

	(void)leg;
	if (!c->out_delayed || c->agreed_ok)
		return -EALREADY;
	return iw_answer_rx_offer(c, rsp, answer);
}

static const struct sip_leg_ops out_leg_ops = {
	.answer_offer = out_answer_offer,
	.info = iw_sip_side_info,
	.offer = iw_sip_side_offer,
	.progress = out_progress,
	.answered = out_answered,
	.failed = out_failed,
	.bye = iw_sip_side_bye,
	.expired = iw_sip_side_expired,
	.gone = iw_sip_side_gone,
	.refer = iw_sip_side_refer,
	.refer_replaces = iw_sip_side_refer_replaces,
};

/* INVITE toward the trunk; ruri NULL: built from the number. */
static void send_invite(struct iw_call *c, struct sip_trunk *trunk, const char *number,
			const char *ruri_in)
{
	struct iw *iw = c->iw;
	struct sip_invite_spec spec = {0};
	char ruri[256], from[200], hdrs[700] = "";
	char mp_body[2048], mp_ctype[120], sdpbuf[IW_SDP_MAX];
	const char *host = trunk->domain ? trunk->domain : trunk->host ? trunk->host : "invalid";

	c->trunk = trunk;
	c->attempts++;
	snprintf(c->trunk_name, sizeof(c->trunk_name), "%s", trunk->name);
	iw_trunk_take(c, trunk);
	iw_prefs_for(c, trunk);
	/* RFC 5761 5.1.1: ask for rtcp-mux where the trunk is set to */
	c->local.rtcp_mux = trunk->rtcp_mux_offer;
	if ((!c->have_chan && iw_chan_open(c) < 0) ||
	    iw_sdp_keep(c, sdpbuf, sdp_offer_encode(sdpbuf, sizeof(sdpbuf), &c->prefs, &c->local)) <
		    0) {
		LOGCALL(c, LOGL_ERROR, "no media channel for span %d ts %u: REL 47\n", c->span,
			c->ts);
		circuit_fail(c, ISUP_CAUSE_RESOURCE_UNAVAILABLE);
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
	/* a registered trunk (an IP-PBX): its registered Contact, or no one
	 * there to call: Q.850 20 subscriber absent */
	if (!ruri_in && trunk->registrar && sip_registrar_ruri(trunk, ruri, sizeof(ruri)) < 0) {
		LOGCALL(c, LOGL_INFO, "trunk %s: no live registration: REL 20\n", trunk->name);
		circuit_fail(c, ISUP_CAUSE_SUBSCRIBER_ABSENT);
		return;
	}
	/* RFC 3398 7.2.1.2 / RFC 3325: a restricted calling number travels
	 * only in P-Asserted-Identity, with Privacy: id */
	iw_identity_out(trunk, c->calling, c->calling_restricted, c->local_addr, from, sizeof(from),
			hdrs, sizeof(hdrs));
	if (c->redir_hdr && strlen(hdrs) + strlen(c->redir_hdr) < sizeof(hdrs))
		strcat(hdrs, c->redir_hdr); /* a 3xx followed: who redirected */
	iw_redirection_headers(c, trunk, host, hdrs + strlen(hdrs), sizeof(hdrs) - strlen(hdrs));
	spec.trunk = trunk;
	spec.ruri = ruri;
	spec.from = from;
	spec.to = ruri;
	/* "offer delayed" (RFC 3261 13.2.1): no SDP in the INVITE; the channel
	 * waits for the trunk's offer (no early media before it) */
	c->out_delayed = trunk->offer_delayed;
	if (c->out_delayed)
		c->agreed_ok = false; /* what an earlier target agreed is not this one's */
	if (!c->out_delayed) {
		spec.body.content_type = "application/sdp";
		spec.body.body = c->sdp;
		spec.body.len = (size_t)c->sdp_len;
	}
	spec.body.headers = hdrs;
	spec.max_forwards = c->max_forwards;
	if (c->iam_len > 0 && c->isup_variant >= 0 && trunk->mode != SIP_MODE_PLAIN) {
		struct isup_msg m;
		enum isup_decode_err err;

		/* Q.1912.5 / RFC 3372: the IAM goes along, unchanged */
		if (isup_msg_decode((enum isup_variant)c->isup_variant, c->iam, (size_t)c->iam_len,
				    &m, &err) == 0) {
			int n = iw_sipi_body(c, c->out_delayed ? NULL : c->sdp,
					     c->out_delayed ? 0 : c->sdp_len, &m, mp_body,
					     sizeof(mp_body), mp_ctype, sizeof(mp_ctype));

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
		circuit_fail(c, ISUP_CAUSE_TEMPORARY_FAILURE);
		return;
	}
	iw_call_set_call_id(c, sip_leg_call_id(c->leg));
	iw_call_state(c, IW_CALL_S_SETUP); /* no answer: timer X3 */
	talloc_free(c->ruri_sent);
	c->ruri_sent = talloc_strdup(c, ruri);
	LOGCALL(c, LOGL_INFO, "ISUP IAM %s -> %s: INVITE %s via trunk %s\n",
		c->calling[0] ? c->calling : "-", c->called, ruri, trunk->name);
}

/* ENUM answered (RFC 6116): a SIP URI is the Request-URI; a tel: URI with
 * number portability data (RFC 4694) is routed on its routing number and
 * carries ;npdi;rn= on; nothing usable (or no answer): the number goes on
 * as the routing table said. */
void iw_to_sip_enum_done(struct iw_call *c, int status, const struct iw_enum_result *r)
{
	struct iw_route_res rr2 = {.cause = ISUP_CAUSE_NO_ROUTE_DESTINATION};
	char ruri[256];
	const char *host = c->enum_trunk->domain ? c->enum_trunk->domain : c->enum_trunk->host;

	c->enum_pending = false;
	if (!c->cleg) {
		iw_call_maybe_free(c);
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
void iw_to_sip_enum_budget(struct iw_call *c)
{
	if (!c->enum_pending)
		return;
	iw_enum_cancel(c->iw->en, c);
	c->enum_pending = false;
	c->iw->st.enum_timeouts++;
	LOGCALL(c, LOGL_INFO, "ENUM +%s: no answer within the budget; routing on the number\n",
		c->called);
	send_invite(c, c->enum_trunk, c->enum_number, NULL);
}

static void enum_done_cb(void *priv, int status, const struct iw_enum_result *r)
{
	struct iw_call_ev d = {.enum_status = status, .enum_res = r};

	iw_call_dispatch(priv, IW_CALL_E_ENUM_DONE, &d);
}
