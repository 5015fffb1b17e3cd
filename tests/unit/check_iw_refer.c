/* interwork/iw_refer: a transfer by REFER (RFC 3515) whose call loses its
 * circuit while the target's INVITE is out: a circuit -> SIP call from a
 * scripted circuit leg to a scripted SIP peer on a loopback UDP socket (the
 * trunk takes transfers), answered; the peer REFERs it to a URI of the same
 * trunk; the circuit releases (REL from the caller) while the transferor
 * still has the call, so the transferor gets a BYE (not answered yet); then
 * the target answers. Before the fix, the target's leg was adopted by the
 * call that had no circuit any more: no CANCEL and no BYE toward the target,
 * the call stayed up (show calls: clearing) with the target in silence
 * until the target hung up. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <talloc.h>

#include "core/loop.h"
#include "interwork/iw_call_int.h"
#include "media/media.h"
#include "sigtran/isup_proto.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"
#include "sip/sip_transport.h"
#include "tests/unit/sip_peer.h"
#include "tests/unit/unit.h"

static struct {
	struct loop *l;
	struct sip_ua *ua;
	struct sip_trunk trunk;
	struct sip_peer p; /* the transferor and the target (tests/unit/sip_peer.h) */
	unsigned rel_count;
} R;

/* --- the circuit --- */

struct fake_group {
	const char *name;
};

static struct fake_group grp = {.name = "fake1"};

static void f_release(struct iw_leg *leg, uint8_t cause, uint8_t location)
{
	(void)cause;
	(void)location;
	R.rel_count++;
	talloc_free(leg);
}

static int f_progress(struct iw_leg *leg, bool alerting, bool inband)
{
	(void)leg;
	(void)alerting;
	(void)inband;
	return 0;
}

static int f_answer(struct iw_leg *leg)
{
	(void)leg;
	return 0;
}

static const struct iw_leg_ops f_ops = {
	.progress = f_progress, .answer = f_answer, .release = f_release};

static const void *f_find(const char *name)
{
	return !name || !strcmp(name, grp.name) ? &grp : NULL;
}

static void f_info(const void *group, struct iw_leg_group_info *out)
{
	const struct fake_group *g = group;

	memset(out, 0, sizeof(*out));
	out->name = g->name;
	out->up = true;
}

static const struct iw_leg_class f_class = {
	.kind = "FAKE", .group_find = f_find, .group_info = f_info};

static int f_route(void *priv, bool to_sip, const char *e164, struct iw_route_res *res)
{
	(void)priv;
	(void)to_sip;
	memset(res, 0, sizeof(*res));
	res->trunk = &R.trunk;
	snprintf(res->number, sizeof(res->number), "%s", e164);
	return 0;
}

static void f_media_ev(void *priv, const struct media_event *ev)
{
	(void)priv;
	(void)ev;
}

/* --- the SIP peer --- */

static void noop(void *p)
{
	(void)p;
}

static void pump(unsigned ms)
{
	unsigned long long end = unit_real_ms() + ms;
	struct loop_timer g;

	loop_timer_init(&g, noop, NULL);
	do {
		loop_timer_schedule(R.l, &g, 5000);
		loop_run_once(R.l);
		sip_peer_drain(&R.p);
	} while (unit_real_ms() < end);
	loop_timer_cancel(R.l, &g);
}

#define hdr		  sip_peer_hdr
#define find(start, cid)  sip_peer_find(&R.p, start, cid)
#define count(start, cid) sip_peer_count(&R.p, start, cid)
#define peer_send(...)	  sip_peer_send(&R.p, __VA_ARGS__)

static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
			  "t=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

/* The peer's response to req; to_tag added to a To without one; with the
 * SDP answer when sdp_body. */
static void peer_respond(const char *req, unsigned status, const char *to_tag, bool sdp_body)
{
	sip_peer_respond(&R.p, req, status, to_tag, "application/sdp", sdp_body ? sdp : NULL);
}

/* --- the bed --- */

static struct iw *bed_start(struct media_engine **pe)
{
	struct sockaddr_storage ss;
	struct sip_ua_cfg ucfg = {0};
	struct iw_cfg cfg = {.num = {.cc = "49"}};
	struct media_cfg mc = {
		.workers = 1, .chans_per_worker = 4, .rtp_port_min = 27400, .rtp_port_max = 27411};
	struct media_span_cfg sc = {.id = 0, .frames = 8, .worker = -1};
	struct sockaddr_in *loc = (struct sockaddr_in *)&sc.local,
			   *rem = (struct sockaddr_in *)&sc.remote;
	struct media_engine *e;
	struct iw *iw;

	memset(&R, 0, sizeof(R));
	R.l = loop_alloc(unit_ctx, NULL);
	ck_assert_ptr_nonnull(R.l);
	sip_peer_open(&R.p);
	R.trunk.name = "peer";
	R.trunk.host = "127.0.0.1";
	R.trunk.port = ntohs(R.p.addr.sin_port);
	R.trunk.proto = SIP_PROTO_UDP;
	R.trunk.refer_accept = true;
	llist_add_tail(&R.trunk.list, &sip_cfg.trunks);

	R.ua = sip_ua_alloc(unit_ctx, R.l, &ucfg, NULL, NULL);
	ck_assert_ptr_nonnull(R.ua);
	R.p.ua_addr.sin_family = AF_INET;
	R.p.ua_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(sip_ua_listen(R.ua, SIP_PROTO_UDP, (struct sockaddr *)&R.p.ua_addr,
				       sizeof(R.p.ua_addr), NULL),
			 0);
	ck_assert_int_eq(sip_transport_local_addr(sip_ua_transport(R.ua), SIP_PROTO_UDP, &ss), 0);
	memcpy(&R.p.ua_addr, &ss, sizeof(R.p.ua_addr));

	loc->sin_family = rem->sin_family = AF_INET;
	loc->sin_addr.s_addr = rem->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	loc->sin_port = htons(27420);
	rem->sin_port = htons(27421);
	sc.local_len = sc.remote_len = sizeof(struct sockaddr_in);
	e = media_engine_alloc(unit_ctx, R.l, &mc, f_media_ev, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_add_span(e, &sc), 0);
	ck_assert_int_eq(media_engine_start(e), 0);
	iw = iw_alloc(unit_ctx, &cfg, R.l, e, R.ua, f_route, NULL);
	ck_assert_ptr_nonnull(iw);
	*pe = e;
	return iw;
}

static void bed_stop(struct iw *iw, struct media_engine *e)
{
	iw_free(iw);
	sip_ua_free(R.ua);
	pump(50);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(R.l);
	llist_del(&R.trunk.list);
	sip_peer_close(&R.p);
}

START_TEST(test_refer_circuit_gone_target_answers)
{
	struct media_engine *e;
	struct iw *iw = bed_start(&e);
	struct isup_number called = {.noa = 3, .npi = 1};
	struct iw_leg_in in = {.called = &called};
	struct iw_leg_ev rel = {.type = IW_LEG_EV_RELEASE, .cause = 16, .location = 1};
	struct iw_leg *leg = talloc_zero(iw, struct iw_leg);
	char cid[128], tcid[128], ftag[128], from[256], to[256], v[256];
	const char *inv, *tinv, *bye, *p;
	unsigned port = ntohs(R.p.addr.sin_port);

	/* the circuit's call: INVITE to the peer, answered */
	leg->ops = &f_ops;
	leg->cls = &f_class;
	leg->group = &grp;
	strcpy(leg->group_name, grp.name);
	leg->cic = 1;
	leg->span = 0;
	leg->ts = 1;
	leg->isup_variant = -1;
	strcpy(called.digits, "30123456");
	iw_leg_incoming(iw, leg, &in);
	pump(100);
	inv = find("INVITE ", NULL);
	ck_assert_ptr_nonnull(inv);
	hdr(inv, "Call-ID", cid, sizeof(cid));
	peer_respond(inv, 200, "pt", true);
	pump(100);
	ck_assert_ptr_nonnull(find("ACK ", cid));
	ck_assert_uint_eq(iw_active_calls(iw), 1);

	/* the peer (the transferor) REFERs the call to a URI of its trunk */
	hdr(inv, "From", from, sizeof(from));
	hdr(inv, "To", to, sizeof(to));
	p = strstr(from, ";tag=");
	ck_assert_ptr_nonnull(p);
	snprintf(ftag, sizeof(ftag), "%s", p + 5);
	peer_send("REFER sip:tandem@127.0.0.1:%u SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-refer1\r\nMax-Forwards: 70\r\n"
		  "From: %s;tag=pt\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: 1 REFER\r\n"
		  "Contact: <sip:peer@127.0.0.1:%u>\r\n"
		  "Refer-To: <sip:+4930999@127.0.0.1:%u>\r\nContent-Length: 0\r\n\r\n",
		  ntohs(R.p.ua_addr.sin_port), port, to, from, cid, port, port);
	pump(100);
	ck_assert_ptr_nonnull(find("SIP/2.0 202", cid));
	/* the target's INVITE: another Call-ID */
	tinv = NULL;
	for (int i = R.p.n_inbox - 1; i >= 0 && !tinv; i--)
		if (!strncmp(R.p.inbox[i], "INVITE ", 7) &&
		    strcmp(hdr(R.p.inbox[i], "Call-ID", v, sizeof(v)), cid))
			tinv = R.p.inbox[i];
	ck_assert_ptr_nonnull(tinv);
	hdr(tinv, "Call-ID", tcid, sizeof(tcid));

	/* the caller hangs up: REL; the transferor gets a BYE, not answered
	 * yet (a slow or gone phone) */
	iw_leg_event(leg, &rel);
	pump(100);
	bye = find("BYE ", cid);
	ck_assert_ptr_nonnull(bye);

	/* the target answers (or its 200 crossed the CANCEL) */
	peer_respond(tinv, 200, "pt2", true);
	pump(200);
	ck_assert_ptr_nonnull(find("ACK ", tcid));
	/* the transferor's BYE is answered now */
	peer_respond(bye, 200, NULL, false);
	pump(300);
	/* the target is not left connected to a call without a circuit: its
	 * INVITE was cancelled, or its dialog ends with a BYE; the call goes */
	ck_assert_msg(count("CANCEL ", tcid) + count("BYE ", tcid) >= 1,
		      "the target's dialog neither cancelled nor ended (calls up: %u)",
		      iw_active_calls(iw));
	ck_assert_uint_eq(iw_active_calls(iw), 0);
	bed_stop(iw, e);
}
END_TEST

Suite *iw_refer_suite(void)
{
	Suite *s = suite_create("iw_refer");
	TCase *tc = unit_tcase("iw_refer");

	tcase_add_test(tc, test_refer_circuit_gone_target_answers);
	suite_add_tcase(s, tc);
	return s;
}
