/* SIP UA core: message in -> parse -> UAS checks -> transactions -> legs.
 * The legs themselves: sip_leg.c (core, in-dialog requests), sip_uac.c,
 * sip_uas.c, sip_session_timer.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/tdef.h>

#include "core/log.h"
#include "core/loop.h"
#include "sip/sip_auth.h"
#include "sip/sip_build.h"
#include "sip/sip_check.h"
#include "sip/sip_dialog.h"
#include "sip/sip_hdr.h"
#include "sip/sip_registrar.h"
#include "sip/sip_sec.h"
#include "sip/sip_resolve.h"
#include "sip/sip_trunk.h"
#include "sip/sip_txn.h"
#include "sip/sip_ua.h"
#include "sip/sip_ua_int.h"

/* --- helpers --- */

/* --- helpers --- */

uint64_t sip_ua_rnd_next(struct sip_ua *ua)
{
	/* xorshift64*: identifiers need uniqueness, not secrecy */
	ua->rnd ^= ua->rnd >> 12;
	ua->rnd ^= ua->rnd << 25;
	ua->rnd ^= ua->rnd >> 27;
	return ua->rnd * 0x2545F4914F6CDD1Dull;
}

char *sip_ua_token(struct sip_ua *ua, void *ctx, const char *prefix)
{
	return talloc_asprintf(ctx, "%s%016llx", prefix, (unsigned long long)sip_ua_rnd_next(ua));
}

char *sip_ua_dup_view(void *ctx, struct tstr s)
{
	return talloc_strndup(ctx, s.p ? s.p : "", s.len);
}

struct tstr sip_ua_view(const char *s)
{
	return s ? tstr_make(s, strlen(s)) : TSTR_NULL;
}

int sip_ua_send(struct sip_ua *ua, const struct sip_txn_dest *d, const void *buf, size_t len)
{
	struct sip_tls_cfg tc;
	const struct sip_tls_cfg *tls = sip_ua_dest_tls(d, &tc);

	return sip_transport_send(ua->tr, d->proto, (const struct sockaddr *)&d->addr, d->addr_len,
				  d->conn, tls, buf, len);
}

/* Our address as the peer should see it, for Via and Contact. */
void sip_ua_local_hostport(struct sip_ua *ua, enum sip_proto proto, char *host, size_t hlen,
			   uint16_t *port)
{
	struct sockaddr_storage ss;

	if (sip_transport_local_addr(ua->tr, proto, &ss) < 0 &&
	    sip_transport_local_addr(ua->tr, SIP_PROTO_TCP, &ss) < 0 &&
	    sip_transport_local_addr(ua->tr, SIP_PROTO_UDP, &ss) < 0) {
		snprintf(host, hlen, "127.0.0.1");
		*port = 5060;
		return;
	}
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a->sin6_addr, host, (socklen_t)hlen);
		*port = ntohs(a->sin6_port);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a->sin_addr, host, (socklen_t)hlen);
		*port = ntohs(a->sin_port);
	}
}

/* Our Contact URI for proto; host and port (for Via) are returned too. */
void sip_ua_local_contact(struct sip_ua *ua, enum sip_proto proto, char *contact, size_t clen,
			  char *host, size_t hlen, uint16_t *port)
{
	sip_ua_local_contact_user(ua, proto, "tandem", contact, clen, host, hlen, port);
}

/* The same with another user part (a registration's "register contact-user") */
void sip_ua_local_contact_user(struct sip_ua *ua, enum sip_proto proto, const char *user,
			       char *contact, size_t clen, char *host, size_t hlen, uint16_t *port)
{
	bool v6;

	sip_ua_local_hostport(ua, proto, host, hlen, port);
	v6 = strchr(host, ':') != NULL;
	snprintf(contact, clen, "sip:%s@%s%s%s:%u%s", user, v6 ? "[" : "", host, v6 ? "]" : "",
		 *port,
		 proto == SIP_PROTO_TCP	  ? ";transport=tcp"
		 : proto == SIP_PROTO_TLS ? ";transport=tls"
					  : "");
}

void sip_ua_txn_info(const struct sip_msg *m, struct sip_txn_info *i)
{
	struct sip_via v;
	struct sip_nameaddr na;
	struct sip_cseq cs;

	memset(i, 0, sizeof(*i));
	i->request = m->is_request;
	i->status = (int)m->status;
	i->msg = m;
	if (sip_msg_via(m, 0, &v) == 0) {
		i->branch = v.branch;
		i->via_host = v.host;
		i->via_port = v.port ? v.port : 5060;
	}
	if (sip_msg_cseq(m, &cs) == 0) {
		i->cseq = cs.num;
		i->method = m->is_request ? m->method : cs.method;
	}
	i->ruri = m->ruri;
	sip_msg_call_id(m, &i->call_id);
	if (sip_msg_from(m, &na) == 0)
		i->from_tag = na.tag;
	if (sip_msg_to(m, &na) == 0)
		i->to_tag = na.tag;
}

struct sip_trunk *sip_ua_trunk_by_source(const struct sip_txn_dest *src)
{
	/* remote address and port, remote address, then the allow entries;
	 * then a registered trunk's live binding */
	struct sip_trunk *t =
		sip_sec_trunk_match((const struct sockaddr *)&src->addr, (int)src->proto);

	return t ? t
		 : sip_registrar_trunk_by_source((const struct sockaddr *)&src->addr,
						 (int)src->proto);
}

int sip_ua_trunk_dest(const struct sip_trunk *t, struct sip_txn_dest *d)
{
	if (t->registrar) /* where its REGISTER came from (sip_registrar_ua.c) */
		return sip_registrar_dest(t, d);
	if (t->res) /* RFC 3263: one of its resolved targets (sip_resolve.c) */
		return sip_trunk_res_dest((struct sip_trunk *)t, d);
	memset(d, 0, sizeof(*d));
	d->proto = t->proto;
	if (!t->host)
		return -EINVAL;
	if (strchr(t->host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&d->addr;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(t->port);
		if (inet_pton(AF_INET6, t->host, &a->sin6_addr) != 1)
			return -EINVAL;
		d->addr_len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&d->addr;

		a->sin_family = AF_INET;
		a->sin_port = htons(t->port);
		if (inet_pton(AF_INET, t->host, &a->sin_addr) != 1)
			return -EINVAL;
		d->addr_len = sizeof(*a);
	}
	return 0;
}

/* --- requests from the transaction layer --- */

void sip_ua_respond_simple(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
			   unsigned status, const char *hdrs)
{
	uint8_t buf[MSG_MAX];
	struct sip_build_extra ex = {.headers = hdrs};
	char tag[24];
	int n;

	/* RFC 3261 8.2.6.2: a To tag where the request had none (OPTIONS out
	 * of dialog); the builder leaves a tagged To as it is */
	snprintf(tag, sizeof(tag), "%016llx", (unsigned long long)sip_ua_rnd_next(ua));
	n = sip_build_response((char *)buf, sizeof(buf), m, status, NULL, tag, &ex);
	if (n > 0)
		sip_txn_respond(t, (int)status, buf, (size_t)n);
}

/* The request checks whose answer waits for the digest check of a
 * require-auth trunk (the rest are about the message's syntax). */
static bool auth_first(unsigned st)
{
	return st == SIP_METHOD_NOT_ALLOWED || st == SIP_NOT_ACCEPTABLE ||
	       st == SIP_UNSUPPORTED_MEDIA_TYPE || st == SIP_BAD_EXTENSION;
}

/* The methods processed: REGISTER too while a trunk is of kind registered. */
static const struct sip_uas_policy *reg_pol(struct sip_ua *ua)
{
	static struct sip_uas_policy pol;

	if (!sip_registrar_enabled())
		return &ua->pol;
	pol = ua->pol;
	pol.methods |= 1u << SIP_METHOD_REGISTER;
	return &pol;
}

static void on_request(void *priv, struct sip_txn *t, const struct sip_txn_info *i,
		       const uint8_t *raw, size_t len, const struct sip_txn_dest *src)
{
	struct sip_ua *ua = priv;
	const struct sip_msg *m = i->msg;
	const struct sip_trunk *tr = sip_ua_trunk_by_source(src);

	/* tls client-ca: the trunk's certificate; require-auth: INVITE, BYE,
	 * INFO, UPDATE, REFER... carry good digest credentials; or 401/403 */
	if (sip_ua_tls_check(ua, t, m, tr, src) < 0 || sip_ua_auth_check(ua, t, m, tr) < 0)
		return;
	/* authenticated: now the checks on_packet left for after it */
	if (sip_ua_auth_guards(tr, m->meth)) {
		const char *why = NULL;
		unsigned st = sip_msg_check_uas(m, reg_pol(ua), &why);

		if (auth_first(st)) {
			uint8_t buf[MSG_MAX];
			int n = sip_reject_build((char *)buf, sizeof(buf), m, st, reg_pol(ua));

			LOGP(DSIP, LOGL_INFO, "%.*s refused with %u: %s\n", TSTR_FMT(m->method), st,
			     why ? why : "");
			if (n > 0)
				sip_txn_respond(t, (int)st, buf, (size_t)n);
			return;
		}
	}
	switch (m->meth) {
	case SIP_METHOD_ACK:
		sip_uas_ack_rx(ua, i);
		return;
	case SIP_METHOD_INVITE:
		if (i->to_tag.len)
			sip_leg_reinvite_rx(ua, t, i);
		else
			sip_uas_invite_rx(ua, t, i, raw, len, src);
		return;
	case SIP_METHOD_CANCEL:
		sip_uas_cancel_rx(ua, t, i);
		return;
	case SIP_METHOD_BYE:
		sip_leg_bye_rx(ua, t, i);
		return;
	case SIP_METHOD_OPTIONS: {
		char hdrs[128] = "";
		unsigned st = ua->ops && ua->ops->options
				      ? ua->ops->options(ua->priv, hdrs, sizeof(hdrs))
				      : 200;

		/* RFC 3261 11.2: answered as an INVITE would be: a proxy probing
		 * with OPTIONS sees 503 while the node takes no calls */
		if (st != 200) {
			sip_ua_respond_simple(ua, t, m, st, hdrs);
			return;
		}
		/* RFC 3261 11.2: Allow lists what we process, REGISTER
		 * included while a trunk is of kind registered */
		if (sip_registrar_enabled())
			sip_ua_respond_simple(ua, t, m, 200,
					      ALLOW_REG_HDR SUPPORTED_HDR
					      "Accept: application/sdp, application/isup, "
					      "multipart/mixed\r\n");
		else
			sip_ua_respond_simple(ua, t, m, 200,
					      ALLOW_HDR SUPPORTED_HDR
					      "Accept: application/sdp, application/isup, "
					      "multipart/mixed\r\n");
		return;
	}
	case SIP_METHOD_PRACK:
		sip_uas_prack_rx(ua, t, i);
		return;
	case SIP_METHOD_INFO:
		sip_leg_info_rx(ua, t, i);
		return;
	case SIP_METHOD_UPDATE:
		sip_leg_update_rx(ua, t, i);
		return;
	case SIP_METHOD_REGISTER: /* 405 unless a trunk is of kind registered */
		sip_registrar_rx(ua, t, m, src);
		return;
	case SIP_METHOD_REFER:
		sip_leg_refer_rx(ua, t, i);
		return;
	default:
		sip_ua_respond_simple(ua, t, m, 405,
				      sip_registrar_enabled() ? ALLOW_REG_HDR : ALLOW_HDR);
		return;
	}
}

static void on_stray_response(void *priv, const struct sip_txn_info *i, const uint8_t *raw,
			      size_t len, const struct sip_txn_dest *src)
{
	struct sip_ua *ua = priv;
	struct sip_leg *leg;

	(void)raw;
	(void)len;
	(void)src;
	/* a 2xx to our INVITE after its transaction ended: ACK it again */
	if (i->status < 200 || i->status >= 300 || !tstr_eq_cstr(i->method, "INVITE"))
		return;
	leg = sip_leg_by_dialog(ua, i->call_id, i->from_tag, i->to_tag);
	if (leg && leg->uac)
		sip_leg_send_ack(leg);
}

static int txl_send(void *priv, const struct sip_txn_dest *d, const uint8_t *buf, size_t len)
{
	return sip_ua_send(priv, d, buf, len);
}

static int txl_build_ack(void *priv, const uint8_t *req, size_t req_len, const uint8_t *rsp,
			 size_t rsp_len, const void *rsp_msg, uint8_t *buf, size_t size)
{
	struct sip_msg inv, r;

	(void)priv;
	(void)rsp_msg;
	if (sip_msg_parse(&inv, (const char *)req, req_len, NULL) < 0 ||
	    sip_msg_parse(&r, (const char *)rsp, rsp_len, NULL) < 0)
		return -EINVAL;
	return sip_build_ack_non2xx((char *)buf, size, &inv, &r);
}

static int txl_build_trying(void *priv, const uint8_t *req, size_t req_len, const void *req_msg,
			    uint8_t *buf, size_t size)
{
	struct sip_msg m;

	(void)priv;
	(void)req_msg;
	if (sip_msg_parse(&m, (const char *)req, req_len, NULL) < 0)
		return -EINVAL;
	return sip_build_response((char *)buf, size, &m, 100, NULL, NULL, NULL);
}

static const struct sip_txn_layer_ops txl_ops = {
	.send = txl_send,
	.request = on_request,
	.stray_response = on_stray_response,
	.build_ack = txl_build_ack,
	.build_trying = txl_build_trying,
};

/* --- transport in --- */

static ssize_t frame(const uint8_t *buf, size_t len)
{
	size_t n;
	int rc = sip_stream_frame((const char *)buf, len, NULL, &n);

	if (rc == -EAGAIN)
		return 0;
	return rc < 0 ? -1 : (ssize_t)n;
}

static bool in_dialog(const struct sip_msg *m)
{
	struct sip_nameaddr na;

	return sip_msg_to(m, &na) == 0 && na.tag.len;
}

static void stateless_reply_hdrs(struct sip_ua *ua, const struct sip_txn_dest *to,
				 const struct sip_msg *m, unsigned status, const char *hdrs)
{
	uint8_t buf[2048];
	struct sip_build_extra ex = {.headers = hdrs};
	/* RFC 3261 8.2.6.2: a response other than 100 to a request without a
	 * To tag gets one, even without a transaction; derived from the request
	 * so a retransmission gets the same answer */
	int n = sip_build_reject((char *)buf, sizeof(buf), m, status, &ex);

	if (n > 0) {
		ua->st.stateless_replies++;
		sip_ua_send(ua, to, buf, (size_t)n);
	}
}

static void on_rx(void *priv, const struct sip_rx *rx)
{
	struct sip_ua *ua = priv;
	struct sip_msg m;
	struct sip_txn_info i;
	struct sip_txn_dest src = {
		.proto = rx->proto, .addr = rx->src, .addr_len = rx->src_len, .conn = rx->conn};
	const char *why = NULL;
	unsigned st;
	/* the trust boundary, before anything is parsed or kept (sip_sec.h) */
	enum sip_sec_source who = sip_sec_classify(ua->sec, rx);

	if (who == SIP_SEC_FLOOD)
		return;
	if (sip_msg_parse(&m, (const char *)rx->data, rx->len, &ua->lim) < 0) {
		ua->st.rx_invalid++;
		if (who == SIP_SEC_STRANGER) {
			sip_sec_refuse(ua->sec, rx, NULL);
			return;
		}
		LOGP(DSIP, LOGL_NOTICE, "%s: unparseable message (%zu bytes): %s\n",
		     sip_proto_name(rx->proto), rx->len, m.error ? m.error : "?");
		/* a request that got as far as its headers gets its 400/505/513
		 * (an ACK gets no response, RFC 3261 17) */
		if (m.error_status && m.is_request && m.meth != SIP_METHOD_ACK) {
			uint8_t buf[MSG_MAX];
			int n = sip_reject_build((char *)buf, sizeof(buf), &m, m.error_status,
						 &ua->pol);

			if (n > 0) {
				ua->st.stateless_replies++;
				sip_ua_send(ua, &src, buf, (size_t)n);
			}
		}
		return;
	}
	/* a registered trunk's binding, or a REGISTER to one open to any source */
	if (who == SIP_SEC_STRANGER && m.is_request &&
	    (sip_registrar_trunk_by_source((const struct sockaddr *)&rx->src, (int)rx->proto) ||
	     sip_registrar_admits(&m) || sip_registrar_dialog_admits(ua, &m, &src)))
		who = SIP_SEC_TRUNK;
	if (m.is_request) {
		ua->st.rx_requests++;
		if (who == SIP_SEC_STRANGER) {
			/* answered without a transaction (RFC 3261 8.2.6 stateless);
			 * the ACK to it is dropped here too */
			if (sip_sec_refuse(ua->sec, rx, &m))
				stateless_reply_hdrs(ua, &src, &m, 403, NULL);
			return;
		}
		if (m.meth != SIP_METHOD_ACK && m.meth != SIP_METHOD_CANCEL && !in_dialog(&m) &&
		    sip_sec_trunk_over(ua->sec, rx)) {
			stateless_reply_hdrs(ua, &src, &m, 503, "Retry-After: 1\r\n");
			return;
		}
		st = sip_msg_check_uas(&m, reg_pol(ua), &why);
		/* RFC 3261 8.2: a require-auth trunk's request is authenticated
		 * before its method, extensions and body are judged: those
		 * answers wait for the digest check (on_request) */
		if (auth_first(st) && sip_ua_auth_guards(sip_ua_trunk_by_source(&src), m.meth))
			st = 0;
		if (st) {
			ua->st.rx_invalid++;
			LOGP(DSIP, LOGL_INFO, "%.*s refused with %u: %s\n", TSTR_FMT(m.method), st,
			     why ? why : "");
			if (m.meth != SIP_METHOD_ACK) {
				uint8_t buf[MSG_MAX];
				int n = sip_reject_build((char *)buf, sizeof(buf), &m, st,
							 &ua->pol);

				if (n > 0) {
					ua->st.stateless_replies++;
					sip_ua_send(ua, &src, buf, (size_t)n);
				}
			}
			return;
		}
	} else {
		ua->st.rx_responses++;
		if (sip_msg_check_response(&m, &why) < 0) {
			ua->st.rx_invalid++;
			LOGP(DSIP, LOGL_INFO, "response discarded: %s\n", why ? why : "");
			return;
		}
	}
	sip_ua_txn_info(&m, &i);
	sip_txn_layer_rx(ua->tl, &i, rx->data, rx->len, &src);
}

static void on_conn_error(void *priv, enum sip_proto proto, const struct sockaddr *peer,
			  socklen_t plen, const struct sip_refused *which)
{
	struct sip_ua *ua = priv;
	struct sip_txn_dest d = {.proto = proto, .addr_len = plen};

	if (plen > sizeof(d.addr))
		return;
	memcpy(&d.addr, peer, plen);
	if (proto == SIP_PROTO_UDP) {
		struct sip_trunk *t;

		/* an ICMP error: counted on the trunks' targets there */
		llist_for_each_entry(t, &sip_cfg.trunks, list) sip_trunk_res_icmp(t, &d);
		if (sip_sec_cfg.icmp_ignore)
			return;
	}
	sip_txn_layer_transport_error(ua->tl, &d, which);
}

/* --- the UA --- */

struct sip_ua *sip_ua_alloc(void *ctx, struct loop *l, const struct sip_ua_cfg *cfg,
			    const struct sip_ua_ops *ops, void *priv)
{
	struct sip_ua *ua = talloc_zero(ctx, struct sip_ua);

	if (!ua)
		return NULL;
	ua->l = l;
	if (cfg)
		ua->cfg = *cfg;
	ua->ops = ops;
	ua->priv = priv;
	INIT_LLIST_HEAD(&ua->legs);
	for (unsigned b = 0; b < SIP_LEG_BUCKETS; b++)
		INIT_LLIST_HEAD(&ua->legs_by_tag[b]);
	INIT_LLIST_HEAD(&ua->legs_untagged);
	INIT_LLIST_HEAD(&ua->pings);
	INIT_LLIST_HEAD(&ua->regs);
	sip_limits_default(&ua->lim);
	sip_uas_policy_trunk(&ua->pol);
	if (getrandom(&ua->rnd, sizeof(ua->rnd), 0) != sizeof(ua->rnd) || !ua->rnd)
		ua->rnd = 0x9e3779b97f4a7c15ull ^ (uintptr_t)ua ^ (uint64_t)time(NULL);
	if (getrandom(ua->auth_key, sizeof(ua->auth_key), 0) != sizeof(ua->auth_key)) {
		LOGP(DSIP, LOGL_ERROR, "getrandom failed: digest nonces are weaker\n");
		for (unsigned k = 0; k < sizeof(ua->auth_key); k += 8) {
			uint64_t r = sip_ua_rnd_next(ua);

			memcpy(ua->auth_key + k, &r, 8);
		}
	}
	ua->sec = sip_sec_alloc(ua, l, sip_ua_rnd_next(ua));
	ua->tr = sip_transport_alloc(
		ua, l,
		&(struct sip_transport_cfg){.max_msg = sip_sec_cfg.max_msg,
					    .idle_timeout_s = sip_sec_cfg.idle_timeout_s,
					    .msg_timeout_s = sip_sec_cfg.header_timeout_s,
					    .max_conns = sip_sec_cfg.max_conns,
					    .max_conns_per_source =
						    sip_sec_cfg.max_conns_per_source},
		frame, on_rx, ua);
	ua->tl = sip_txn_layer_alloc(ua, &txl_ops, ua, NULL);
	if (ua->tr)
		sip_transport_on_conn_error(ua->tr, on_conn_error);
	if (!ua->sec || !ua->tr || !ua->tl) {
		talloc_free(ua);
		return NULL;
	}
	sip_sec_vty_set(ua->sec, ua->tr, l);
	return ua;
}

void sip_ua_free(struct sip_ua *ua)
{
	struct sip_leg *leg, *n;
	struct trunk_ping *p;

	llist_for_each_entry(p, &ua->pings, list)
	{
		loop_timer_cancel(ua->l, &p->tmr);
		if (p->txn)
			sip_txn_detach_user(p->txn);
	}
	llist_for_each_entry_safe(leg, n, &ua->legs, list)
	{
		/* the legs go with the UA: none of their timers may fire */
		osmo_timer_del(&leg->ok_timer);
		osmo_timer_del(&leg->ack_timer);
		osmo_timer_del(&leg->rel_timer);
		osmo_timer_del(&leg->st_timer);
		leg->ops = NULL;
	}
	sip_sec_vty_set(NULL, NULL, NULL);
	sip_txn_layer_free(ua->tl);
	sip_transport_free(ua->tr);
	talloc_free(ua);
}

int sip_ua_listen(struct sip_ua *ua, enum sip_proto proto, const struct sockaddr *addr,
		  socklen_t alen, const struct sip_tls_cfg *tls)
{
	return sip_transport_listen(ua->tr, proto, addr, alen, tls) ? 0 : -EADDRNOTAVAIL;
}

const struct sip_ua_stats *sip_ua_get_stats(const struct sip_ua *ua)
{
	return &ua->st;
}

struct sip_transport *sip_ua_transport(struct sip_ua *ua)
{
	return ua->tr;
}
