/* sip/sip_ua + sip_leg: the SIP leg as UAC and UAS against a scripted peer
 * on a loopback UDP socket, under a fake clock (the transactions' and the
 * leg's own RFC 3261 timers run in fake time): INVITE -> 180 -> 200 -> ACK,
 * a retransmitted 2xx ACKed again (13.2.2.4), CANCEL before any provisional
 * (9.1) and the 487, the UAS 2xx sent again until the ACK (13.3.1.4) and
 * the BYE with Reason 408 when none comes, BYE both ways, CANCEL of an
 * incoming INVITE, a reliable 180 sent again until PRACKed (RFC 3262 3),
 * RFC 4028 session timers both ways, REFER (RFC 3515: 202, the NOTIFYs'
 * sipfrags, the refusals), the leg's state table refusing
 * what it does not list, and the role-only copies a leg keeps in one
 * union (a UAS leg never sends an ACK, a UAC leg never a 2xx). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <osmocom/core/timer.h>

#include "core/loop.h"
#include "sip/sip_refer.h"
#include "sip/sip_sec.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"
#include "sip/sip_ua_int.h"
#include "tests/unit/sip_peer.h"
#include "tests/unit/unit.h"

struct ev {
	int incoming, progress, answered, failed, cancelled, bye, bye_null, ack, prack, gone;
	unsigned failed_status;
	struct sip_leg *leg;
};

static struct {
	struct loop *l;
	struct sip_ua *ua;
	struct sip_trunk trunk;
	struct sip_peer p; /* the scripted peer (tests/unit/sip_peer.h) */
	struct ev ev;
} T;

/* --- the owner --- */

static void o_progress(void *u, struct sip_leg *leg, const struct sip_msg *rsp)
{
	(void)u;
	(void)leg;
	(void)rsp;
	T.ev.progress++;
}

static void o_answered(void *u, struct sip_leg *leg, const struct sip_msg *rsp)
{
	(void)u;
	(void)leg;
	(void)rsp;
	T.ev.answered++;
}

static void o_failed(void *u, struct sip_leg *leg, unsigned status, const struct sip_msg *rsp)
{
	(void)u;
	(void)leg;
	(void)rsp;
	T.ev.failed++;
	T.ev.failed_status = status;
}

static void o_cancelled(void *u, struct sip_leg *leg, const struct sip_msg *cancel)
{
	(void)u;
	(void)leg;
	(void)cancel;
	T.ev.cancelled++;
}

static void o_bye(void *u, struct sip_leg *leg, const struct sip_msg *bye)
{
	(void)u;
	(void)leg;
	T.ev.bye++;
	if (!bye)
		T.ev.bye_null++;
}

static void o_ack(void *u, struct sip_leg *leg, const struct sip_msg *ack)
{
	(void)u;
	(void)leg;
	(void)ack;
	T.ev.ack++;
}

static void o_prack(void *u, struct sip_leg *leg, const struct sip_msg *prack)
{
	(void)u;
	(void)leg;
	(void)prack;
	T.ev.prack++;
}

static void o_gone(void *u, struct sip_leg *leg)
{
	(void)u;
	if (leg == T.ev.leg)
		T.ev.leg = NULL;
	T.ev.gone++;
}

static const struct sip_leg_ops leg_ops = {
	.progress = o_progress,
	.answered = o_answered,
	.failed = o_failed,
	.cancelled = o_cancelled,
	.bye = o_bye,
	.ack = o_ack,
	.prack = o_prack,
	.gone = o_gone,
};

static void o_incoming(void *priv, struct sip_leg *leg, struct sip_trunk *trunk,
		       const struct sip_msg *invite)
{
	(void)priv;
	(void)invite;
	ck_assert_ptr_eq(trunk, &T.trunk);
	T.ev.incoming++;
	T.ev.leg = leg;
	sip_leg_set_user(leg, &leg_ops, NULL);
}

static const struct sip_ua_ops ua_ops = {.incoming = o_incoming};

/* --- the scripted peer --- */

static void drain(void)
{
	sip_peer_drain(&T.p);
}

static void pump(unsigned ms)
{
	unit_loop_run(T.l, ms);
	drain();
}

/* Long quiet stretches (session timers) in 100 ms steps of the fake clock. */
static void pump_coarse(unsigned ms)
{
	for (unsigned t = 0; t < ms; t += 100) {
		osmo_gettimeofday_override_add(0, 100000);
		osmo_clock_override_add(CLOCK_MONOTONIC, 0, 100 * 1000000);
		osmo_timers_prepare();
		osmo_timers_update();
		unit_loop_run(T.l, 0);
	}
	drain();
}

/* How many messages the peer got whose first line starts with start. */
static int count(const char *start)
{
	return sip_peer_count(&T.p, start, NULL);
}

/* The last one of them. */
static const char *last(const char *start)
{
	const char *m = sip_peer_find(&T.p, start, NULL);

	ck_assert_msg(m != NULL, "the peer got no '%s'", start);
	return m;
}

#define hdr	       sip_peer_hdr
#define peer_send(...) sip_peer_send(&T.p, __VA_ARGS__)

/* A response of the peer to tandem's request req; to_tag added to a To
 * without one. */
static void peer_respond(const char *req, unsigned status, const char *to_tag)
{
	sip_peer_respond(&T.p, req, status, to_tag, NULL, NULL);
}

/* A request of the peer in the call "c1" (the peer is the UAC: its tag
 * "pt"); to_tag NULL: outside a dialog. */
static void peer_request(const char *method, unsigned cseq, const char *branch, const char *to_tag,
			 const char *extra)
{
	unsigned port = ntohs(T.p.addr.sin_port);

	peer_send("%s sip:+4930123@127.0.0.1:%u SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=%s\r\nMax-Forwards: 70\r\n"
		  "From: <sip:+4989555@127.0.0.1>;tag=pt\r\nTo: <sip:+4930123@127.0.0.1>%s%s\r\n"
		  "Call-ID: c1@peer\r\nCSeq: %u %s\r\nContact: <sip:peer@127.0.0.1:%u>\r\n"
		  "%sContent-Length: 0\r\n\r\n",
		  method, ntohs(T.p.ua_addr.sin_port), port, branch, to_tag ? ";tag=" : "",
		  to_tag ? to_tag : "", cseq, method, port, extra ? extra : "");
}

/* The To tag tandem gave in its last response starting with start. */
static void tandem_tag(const char *start, char *tag, size_t size)
{
	char to[256];
	const char *p;

	hdr(last(start), "To", to, sizeof(to));
	p = strstr(to, ";tag=");
	ck_assert_ptr_nonnull(p);
	snprintf(tag, size, "%s", p + 5);
}

/* --- the bed --- */

static void bed_start(void)
{
	struct sockaddr_storage ss;
	struct sip_ua_cfg cfg = {0};

	memset(&T, 0, sizeof(T));
	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 300000};
	T.l = loop_alloc(unit_ctx, NULL);
	ck_assert_ptr_nonnull(T.l);

	sip_peer_open(&T.p);

	T.trunk.name = "peer";
	T.trunk.host = "127.0.0.1";
	T.trunk.port = ntohs(T.p.addr.sin_port);
	T.trunk.proto = SIP_PROTO_UDP;
	llist_add_tail(&T.trunk.list, &sip_cfg.trunks);

	T.ua = sip_ua_alloc(unit_ctx, T.l, &cfg, &ua_ops, NULL);
	ck_assert_ptr_nonnull(T.ua);
	T.p.ua_addr.sin_family = AF_INET;
	T.p.ua_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(sip_ua_listen(T.ua, SIP_PROTO_UDP, (struct sockaddr *)&T.p.ua_addr,
				       sizeof(T.p.ua_addr), NULL),
			 0);
	ck_assert_int_eq(sip_transport_local_addr(sip_ua_transport(T.ua), SIP_PROTO_UDP, &ss), 0);
	memcpy(&T.p.ua_addr, &ss, sizeof(T.p.ua_addr));
	pump(20);
}

static void bed_stop(void)
{
	sip_ua_free(T.ua);
	unit_loop_run(T.l, 20);
	loop_free(T.l);
	llist_del(&T.trunk.list);
	sip_peer_close(&T.p);
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	osmo_gettimeofday_override = false;
}

static struct sip_leg *uac_invite(void)
{
	struct sip_invite_spec spec = {
		.trunk = &T.trunk,
		.ruri = "sip:+4930123@127.0.0.1",
		.from = "sip:+4989555@tandem",
		.to = "sip:+4930123@127.0.0.1",
	};
	struct sip_leg *leg = sip_leg_invite(T.ua, &spec, &leg_ops, NULL);

	ck_assert_ptr_nonnull(leg);
	T.ev.leg = leg;
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CALLING);
	pump(20);
	ck_assert_int_eq(count("INVITE "), 1);
	return leg;
}

/* --- UAC --- */

START_TEST(test_uac_180_200_ack_bye)
{
	struct sip_leg *leg;
	const char *inv;

	bed_start();
	leg = uac_invite();
	inv = last("INVITE ");

	peer_respond(inv, 180, "p1");
	pump(20);
	ck_assert_int_eq(T.ev.progress, 1);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_PROCEEDING);

	peer_respond(inv, 200, "p1");
	pump(20);
	ck_assert_int_eq(T.ev.answered, 1);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CONFIRMED);
	ck_assert_int_eq(count("ACK "), 1);
	/* 13.2.2.4: the ACK has the INVITE's CSeq number */
	{
		char cseq[64];

		ck_assert_str_eq(hdr(last("ACK "), "CSeq", cseq, sizeof(cseq)), "1 ACK");
	}

	/* the peer did not hear the ACK: its 2xx again gets the same ACK,
	 * the owner hears nothing new */
	peer_respond(inv, 200, "p1");
	pump(20);
	ck_assert_int_eq(count("ACK "), 2);
	ck_assert_int_eq(T.ev.answered, 1);
	/* 13.3.1.4: the peer sends its 2xx for 64*T1 at most: the ACK copy is
	 * kept that long (one more 2xx just before, ACKed) and not after */
	pump_coarse(31700);
	peer_respond(inv, 200, "p1");
	pump(20);
	ck_assert_int_eq(count("ACK "), 3);
	pump_coarse(500);
	peer_respond(inv, 200, "p1");
	pump(20);
	ck_assert_int_eq(count("ACK "), 3);
	ck_assert_int_eq(T.ev.answered, 1);

	/* our BYE; the leg goes once it is answered */
	ck_assert_int_eq(sip_leg_bye(leg, "Reason: Q.850;cause=16\r\n"), 0);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_TERMINATING);
	ck_assert_int_eq(sip_leg_bye(leg, NULL), -ENOTCONN); /* one BYE */
	pump(20);
	ck_assert_int_eq(count("BYE "), 1);
	ck_assert_ptr_nonnull(strstr(last("BYE "), "Reason: Q.850;cause=16\r\n"));
	ck_assert_int_eq(T.ev.gone, 0);
	peer_respond(last("BYE "), 200, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.gone, 1);
	ck_assert_int_eq(T.ev.bye, 0); /* we ended it: no bye event */
	ck_assert_int_eq(T.ev.failed, 0);
	bed_stop();
}
END_TEST

/* A UDP socket of the test on 127.0.0.1 (another port of the peer). */
static int side_socket(uint16_t *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* What fd got so far: how many messages starting with start, the last one
 * into last (size 4096). */
static int side_count(int fd, const char *start, char *last_msg)
{
	char buf[4096];
	ssize_t n;
	int c = 0;

	while ((n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT)) > 0) {
		buf[n] = 0;
		if (!strncmp(buf, start, strlen(start))) {
			c++;
			memcpy(last_msg, buf, (size_t)n + 1);
		}
	}
	return c;
}

/* RFC 3261 12.2.1.1 / 8.1.2: the ACK of the 2xx and the BYE go to the
 * remote target (the 200's Contact, here another port than the INVITE's),
 * or with a Record-Route to the first route with the Contact still the
 * Request-URI; "outbound-proxy" on the trunk sends them to its address. */
START_TEST(test_uac_dialog_next_hop)
{
	char via[256], from[256], to[256], cid[128], msg[4096], v[256];
	uint16_t cport, rport;
	int cfd, rfd;
	const char *inv;
	struct sip_leg *leg;

	for (int round = 0; round < 3; round++) {
		bed_start();
		cfd = side_socket(&cport);
		rfd = side_socket(&rport);
		T.trunk.outbound_proxy = round == 2;
		leg = uac_invite();
		inv = last("INVITE ");
		hdr(inv, "Via", via, sizeof(via));
		hdr(inv, "From", from, sizeof(from));
		hdr(inv, "To", to, sizeof(to));
		hdr(inv, "Call-ID", cid, sizeof(cid));
		snprintf(v, sizeof(v), "Record-Route: <sip:127.0.0.1:%u;lr>\r\n", rport);
		peer_send("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=nh\r\n"
			  "Call-ID: %s\r\nCSeq: 1 INVITE\r\n%s"
			  "Contact: <sip:uas@127.0.0.1:%u>\r\nContent-Length: 0\r\n\r\n",
			  via, from, to, cid, round == 1 ? v : "", cport);
		pump(20);
		ck_assert_int_eq(T.ev.answered, 1);
		/* the ACK: to the Contact (no route set), the loose router, or
		 * the trunk (outbound proxy) */
		ck_assert_int_eq(count("ACK "), round == 2);
		ck_assert_int_eq(side_count(cfd, "ACK ", msg), round == 0);
		ck_assert_int_eq(side_count(rfd, "ACK ", msg), round == 1);
		ck_assert_int_eq(sip_leg_bye(leg, NULL), 0);
		pump(20);
		ck_assert_int_eq(count("BYE "), round == 2);
		ck_assert_int_eq(side_count(cfd, "BYE ", msg), round == 0);
		ck_assert_int_eq(side_count(rfd, "BYE ", msg), round == 1);
		if (round == 2)
			snprintf(msg, sizeof(msg), "%s", last("BYE "));
		/* the Request-URI is the remote target every time */
		snprintf(v, sizeof(v), "BYE sip:uas@127.0.0.1:%u SIP/2.0\r\n", cport);
		ck_assert_msg(!strncmp(msg, v, strlen(v)), "BYE: %.80s", msg);
		/* a loose router is named in a Route header */
		snprintf(v, sizeof(v), "\r\nRoute: <sip:127.0.0.1:%u;lr>\r\n", rport);
		ck_assert_msg((strstr(msg, v) != NULL) == (round == 1), "BYE Route: %s", msg);
		T.trunk.outbound_proxy = false;
		close(cfd);
		close(rfd);
		bed_stop();
	}
}
END_TEST

/* A forking proxy let a second 2xx through, after our INVITE without SDP
 * (delayed offer): that 2xx offers, so its ACK carries an answer refusing
 * every stream (RFC 3261 13.2.2.4, RFC 3264 6), then the BYE ends it. */
START_TEST(test_uac_fork_2xx_offer_refused)
{
	char via[256], from[256], to[256], cid[128], v[64];
	const char *inv, *ack;
	struct sip_leg *leg;
	static const char sdp[] = "v=0\r\no=b 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
				  "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
				  "m=audio 40000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
				  "m=video 40002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n";

	bed_start();
	leg = uac_invite();
	inv = last("INVITE ");
	ck_assert_ptr_nonnull(strstr(inv, "Content-Length: 0\r\n"));
	peer_respond(inv, 200, "fa");
	pump(20);
	ck_assert_int_eq(T.ev.answered, 1);
	ck_assert_int_eq(count("ACK "), 1);
	hdr(inv, "Via", via, sizeof(via));
	hdr(inv, "From", from, sizeof(from));
	hdr(inv, "To", to, sizeof(to));
	hdr(inv, "Call-ID", cid, sizeof(cid));
	peer_send("SIP/2.0 200 OK\r\nVia: %s\r\nFrom: %s\r\nTo: %s;tag=fb\r\nCall-ID: %s\r\n"
		  "CSeq: 1 INVITE\r\nContact: <sip:fb@127.0.0.1:%u>\r\n"
		  "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		  via, from, to, cid, ntohs(T.p.addr.sin_port), strlen(sdp), sdp);
	pump(20);
	ck_assert_int_eq(T.ev.answered, 1);
	ck_assert_int_eq(count("ACK "), 2);
	ack = last("ACK ");
	ck_assert_ptr_nonnull(strstr(ack, "tag=fb"));
	ck_assert_str_eq(hdr(ack, "Content-Type", v, sizeof(v)), "application/sdp");
	ck_assert_ptr_nonnull(strstr(ack, "\r\nm=audio 0 RTP/AVP 8 101\r\n"));
	ck_assert_ptr_nonnull(strstr(ack, "\r\nm=video 0 RTP/AVP 96\r\n"));
	ck_assert_ptr_nonnull(strstr(ack, "\r\nc=IN IP4 127.0.0.1\r\n"));
	ck_assert_int_eq(count("BYE "), 1);
	ck_assert_ptr_nonnull(strstr(last("BYE "), "tag=fb"));
	ck_assert_uint_eq(T.ua->st.forks_ended, 1);
	/* the first ACK (no offer from the winner's 2xx, none to answer) had no body */
	for (int i = 0; i < T.p.n_inbox; i++)
		if (!strncmp(T.p.inbox[i], "ACK ", 4)) {
			ck_assert_ptr_nonnull(strstr(T.p.inbox[i], "Content-Length: 0\r\n"));
			break;
		}
	(void)leg;
	bed_stop();
}
END_TEST

START_TEST(test_uac_cancel_before_provisional_487)
{
	struct sip_leg *leg;
	const char *inv;

	bed_start();
	leg = uac_invite();
	inv = last("INVITE ");

	/* 9.1: no CANCEL before a provisional response: it waits */
	ck_assert_int_eq(sip_leg_cancel(leg, "Reason: Q.850;cause=31\r\n"), 0);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CANCEL_WAIT);
	pump(20);
	ck_assert_int_eq(count("CANCEL "), 0);

	peer_respond(inv, 180, "p2");
	pump(20);
	ck_assert_int_eq(count("CANCEL "), 1);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CANCELLING);
	ck_assert_int_eq(T.ev.progress, 0); /* the owner ended it */
	ck_assert_ptr_nonnull(strstr(last("CANCEL "), "Reason: Q.850;cause=31\r\n"));
	ck_assert_int_eq(sip_leg_cancel(leg, NULL), -EALREADY);

	peer_respond(last("CANCEL "), 200, "p2");
	peer_respond(inv, 487, "p2");
	pump(20);
	/* the non-2xx is ACKed by the transaction (17.1.1.3) */
	ck_assert_int_eq(count("ACK "), 1);
	ck_assert_int_eq(T.ev.failed, 0); /* the owner is not told */
	ck_assert_int_eq(T.ev.gone, 1);
	ck_assert_int_eq(count("BYE "), 0);
	bed_stop();
}
END_TEST

START_TEST(test_uac_200_crosses_cancel)
{
	struct sip_leg *leg;
	const char *inv;

	bed_start();
	leg = uac_invite();
	inv = last("INVITE ");
	peer_respond(inv, 183, "p3");
	pump(20);
	ck_assert_int_eq(sip_leg_cancel(leg, NULL), 0);
	pump(20);
	ck_assert_int_eq(count("CANCEL "), 1);
	/* 9.1: the 2xx came anyway: ACK it and end the call with a BYE */
	peer_respond(last("CANCEL "), 200, "p3");
	peer_respond(inv, 200, "p3");
	pump(20);
	ck_assert_int_eq(count("ACK "), 1);
	ck_assert_int_eq(count("BYE "), 1);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_TERMINATING);
	ck_assert_int_eq(T.ev.answered, 0);
	peer_respond(last("BYE "), 200, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.gone, 1);
	bed_stop();
}
END_TEST

START_TEST(test_uac_failure_told)
{
	struct sip_leg *leg;

	bed_start();
	leg = uac_invite();
	(void)leg;
	peer_respond(last("INVITE "), 486, "p4");
	pump(20);
	ck_assert_int_eq(T.ev.failed, 1);
	ck_assert_uint_eq(T.ev.failed_status, 486);
	ck_assert_int_eq(T.ev.gone, 1);
	ck_assert_int_eq(count("ACK "), 1);
	bed_stop();
}
END_TEST

/* --- UAS --- */

static struct sip_leg *uas_invite_hdrs(const char *extra)
{
	peer_request("INVITE", 1, "z9hG4bK-inv1", NULL, extra);
	pump(20);
	ck_assert_int_eq(T.ev.incoming, 1);
	ck_assert_ptr_nonnull(T.ev.leg);
	ck_assert_int_eq(sip_leg_state(T.ev.leg), SIP_LEG_S_PROCEEDING);
	return T.ev.leg;
}

static struct sip_leg *uas_invite(void)
{
	return uas_invite_hdrs(NULL);
}

START_TEST(test_uas_200_until_ack_then_bye_in)
{
	struct sip_leg *leg;
	char tag[64];
	int oks;

	bed_start();
	leg = uas_invite();
	/* API refusals in PROCEEDING (UAS) */
	ck_assert_int_eq(sip_leg_bye(leg, NULL), -ENOTCONN);
	ck_assert_int_eq(sip_leg_cancel(leg, NULL), -EALREADY);

	ck_assert_int_eq(sip_leg_respond(leg, 180, NULL), 0);
	ck_assert_int_eq(sip_leg_respond(leg, 200, NULL), 0);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_ACCEPTED);
	ck_assert_int_eq(sip_leg_respond(leg, 486, NULL), -EALREADY);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 180"), 1);
	ck_assert_int_eq(count("SIP/2.0 200"), 1);
	/* 13.3.1.4: again after T1 (500 ms), then 2*T1 */
	pump(600);
	ck_assert_int_eq(count("SIP/2.0 200"), 2);
	pump(1000);
	ck_assert_int_eq(count("SIP/2.0 200"), 3);

	tandem_tag("SIP/2.0 200", tag, sizeof(tag));
	peer_request("ACK", 1, "z9hG4bK-ack1", tag, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.ack, 1);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CONFIRMED);
	oks = count("SIP/2.0 200");
	pump(5000);
	ck_assert_int_eq(count("SIP/2.0 200"), oks); /* ACKed: no more */

	/* BYE from the peer: 200, the owner hears it, the leg goes */
	peer_request("BYE", 2, "z9hG4bK-bye1", tag, NULL);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 200"), oks + 1);
	{
		char cseq[64];

		ck_assert_str_eq(hdr(last("SIP/2.0 200"), "CSeq", cseq, sizeof(cseq)), "2 BYE");
	}
	ck_assert_int_eq(T.ev.bye, 1);
	pump(100);
	ck_assert_int_eq(T.ev.gone, 1);
	bed_stop();
}
END_TEST

START_TEST(test_uas_no_ack_bye_408)
{
	struct sip_leg *leg;
	int oks;

	bed_start();
	leg = uas_invite();
	ck_assert_int_eq(sip_leg_respond(leg, 200, NULL), 0);
	pump(31000);
	/* T1 doubling to T2: sent at 0, 0.5, 1.5, 3.5, 7.5, 11.5, ... 27.5 s */
	oks = count("SIP/2.0 200");
	ck_assert_int_eq(oks, 10);
	ck_assert_int_eq(count("BYE "), 0);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_ACCEPTED);
	/* 64*T1 without an ACK: the owner hears a BYE, the peer gets one
	 * with the reason at 64*T1 = 32 s (after a last 2xx at 31.5 s; the
	 * BYE's own retransmission would follow at 32.5 s) */
	pump(900);
	ck_assert_int_eq(count("BYE "), 0);
	pump(200);
	ck_assert_int_eq(count("BYE "), 1);
	ck_assert_ptr_nonnull(strstr(last("BYE "), "Reason: SIP;cause=408"));
	ck_assert_int_eq(T.ev.bye_null, 1);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_TERMINATING);
	ck_assert_int_eq(count("SIP/2.0 200"), oks + 1); /* the last at 31.5 s */
	peer_respond(last("BYE "), 200, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.gone, 1);
	ck_assert_int_eq(T.ev.ack, 0);
	bed_stop();
}
END_TEST

START_TEST(test_uas_bye_out)
{
	struct sip_leg *leg;
	char tag[64], cseq[64];

	bed_start();
	leg = uas_invite();
	ck_assert_int_eq(sip_leg_respond(leg, 200, NULL), 0);
	pump(20);
	tandem_tag("SIP/2.0 200", tag, sizeof(tag));
	peer_request("ACK", 1, "z9hG4bK-ack2", tag, NULL);
	pump(20);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CONFIRMED);
	ck_assert_int_eq(sip_leg_bye(leg, NULL), 0);
	pump(20);
	ck_assert_int_eq(count("BYE "), 1);
	/* the BYE goes to the peer's Contact, in its dialog */
	ck_assert_int_eq(strncmp(last("BYE "), "BYE sip:peer@127.0.0.1:", 23), 0);
	ck_assert_str_eq(hdr(last("BYE "), "Call-ID", cseq, sizeof(cseq)), "c1@peer");
	peer_respond(last("BYE "), 200, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.gone, 1);
	ck_assert_int_eq(T.ev.bye, 0);
	bed_stop();
}
END_TEST

START_TEST(test_uas_cancel_487)
{
	struct sip_leg *leg;
	char tag[64];

	bed_start();
	leg = uas_invite();
	ck_assert_int_eq(sip_leg_respond(leg, 180, NULL), 0);
	pump(20);
	peer_request("CANCEL", 1, "z9hG4bK-inv1", NULL, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.cancelled, 1);
	ck_assert_int_eq(count("SIP/2.0 487"), 1);
	ck_assert_int_eq(count("SIP/2.0 200"), 1); /* to the CANCEL */
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_TERMINATING);
	ck_assert_int_eq(sip_leg_respond(leg, 480, NULL), -EALREADY);
	tandem_tag("SIP/2.0 487", tag, sizeof(tag));
	peer_request("ACK", 1, "z9hG4bK-inv1", tag, NULL);
	/* Timer I (T4, 5 s on UDP) ends the transaction, then the leg */
	pump(6000);
	ck_assert_int_eq(T.ev.gone, 1);
	bed_stop();
}
END_TEST

/* A CANCEL among several calls ringing at once reaches its own leg only
 * (the leg is found from its INVITE transaction); one for a call already
 * answered gets its 200 and changes nothing; an unknown one a 481. */
START_TEST(test_uas_cancel_among_many)
{
	struct sip_leg *legs[3];
	unsigned port;
	int oks;

	bed_start();
	port = ntohs(T.p.addr.sin_port);
	for (unsigned k = 0; k < 3; k++) {
		peer_send("INVITE sip:+4930123@127.0.0.1:%u SIP/2.0\r\n"
			  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-many%u\r\n"
			  "Max-Forwards: 70\r\nFrom: <sip:+4989555@127.0.0.1>;tag=f%u\r\n"
			  "To: <sip:+4930123@127.0.0.1>\r\nCall-ID: many%u@peer\r\n"
			  "CSeq: 1 INVITE\r\nContact: <sip:peer@127.0.0.1:%u>\r\n"
			  "Content-Length: 0\r\n\r\n",
			  ntohs(T.p.ua_addr.sin_port), port, k, k, k, port);
		pump(20);
		ck_assert_int_eq(T.ev.incoming, (int)k + 1);
		legs[k] = T.ev.leg;
		ck_assert_int_eq(sip_leg_respond(legs[k], 180, NULL), 0);
	}
	ck_assert_int_eq(sip_leg_respond(legs[2], 200, NULL), 0);
	pump(20);
	oks = count("SIP/2.0 200");
	/* the middle one */
	peer_send("CANCEL sip:+4930123@127.0.0.1:%u SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-many1\r\nMax-Forwards: 70\r\n"
		  "From: <sip:+4989555@127.0.0.1>;tag=f1\r\nTo: <sip:+4930123@127.0.0.1>\r\n"
		  "Call-ID: many1@peer\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
		  ntohs(T.p.ua_addr.sin_port), port);
	pump(20);
	ck_assert_int_eq(T.ev.cancelled, 1);
	ck_assert_int_eq(count("SIP/2.0 487"), 1);
	ck_assert_int_eq(sip_leg_state(legs[1]), SIP_LEG_S_TERMINATING);
	ck_assert_int_eq(sip_leg_state(legs[0]), SIP_LEG_S_PROCEEDING);
	ck_assert_int_eq(sip_leg_state(legs[2]), SIP_LEG_S_ACCEPTED);
	/* the answered one: 200 to the CANCEL, the call stays */
	peer_send("CANCEL sip:+4930123@127.0.0.1:%u SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-many2\r\nMax-Forwards: 70\r\n"
		  "From: <sip:+4989555@127.0.0.1>;tag=f2\r\nTo: <sip:+4930123@127.0.0.1>\r\n"
		  "Call-ID: many2@peer\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
		  ntohs(T.p.ua_addr.sin_port), port);
	pump(20);
	ck_assert_int_eq(T.ev.cancelled, 1);
	ck_assert_int_eq(count("SIP/2.0 487"), 1);
	ck_assert_int_eq(sip_leg_state(legs[2]), SIP_LEG_S_ACCEPTED);
	ck_assert_int_ge(count("SIP/2.0 200"), oks + 1);
	/* no such INVITE: 481 (RFC 3261 9.2) */
	peer_send("CANCEL sip:+4930123@127.0.0.1:%u SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-none\r\nMax-Forwards: 70\r\n"
		  "From: <sip:+4989555@127.0.0.1>;tag=f9\r\nTo: <sip:+4930123@127.0.0.1>\r\n"
		  "Call-ID: none@peer\r\nCSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n",
		  ntohs(T.p.ua_addr.sin_port), port);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 481"), 1);
	ck_assert_int_eq(sip_leg_state(legs[0]), SIP_LEG_S_PROCEEDING);
	bed_stop();
}
END_TEST

START_TEST(test_uas_reliable_180_prack)
{
	struct sip_leg *leg;
	char tag[64], rseq[16], hdrs[64];

	bed_start();
	leg = uas_invite_hdrs("Require: 100rel\r\n");
	ck_assert(sip_leg_provisional_reliable(leg));
	ck_assert_int_eq(sip_leg_respond(leg, 180, NULL), 0);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 180"), 1);
	hdr(last("SIP/2.0 180"), "RSeq", rseq, sizeof(rseq));
	/* RFC 3262 3: sent again (T1) until PRACKed */
	pump(600);
	ck_assert_int_eq(count("SIP/2.0 180"), 2);
	tandem_tag("SIP/2.0 180", tag, sizeof(tag));
	snprintf(hdrs, sizeof(hdrs), "RAck: %s 1 INVITE\r\n", rseq);
	peer_request("PRACK", 2, "z9hG4bK-prack1", tag, hdrs);
	pump(20);
	ck_assert_int_eq(T.ev.prack, 1);
	ck_assert_int_eq(count("SIP/2.0 200"), 1); /* to the PRACK */
	pump(3000);
	ck_assert_int_eq(count("SIP/2.0 180"), 2); /* PRACKed: no more */
	/* a PRACK for an RSeq never sent: 481 (RFC 3262 7.2), not passed up */
	peer_request("PRACK", 3, "z9hG4bK-prack2", tag, "RAck: 999 1 INVITE\r\n");
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 481"), 1);
	ck_assert_int_eq(T.ev.prack, 1);
	ck_assert_int_eq(sip_leg_respond(leg, 486, NULL), 0);
	pump(20);
	tandem_tag("SIP/2.0 486", tag, sizeof(tag));
	peer_request("ACK", 1, "z9hG4bK-inv1", tag, NULL);
	pump(6000);
	ck_assert_int_eq(T.ev.gone, 1);
	bed_stop();
}
END_TEST

START_TEST(test_uas_unreliable_180)
{
	struct sip_leg *leg;

	bed_start();
	leg = uas_invite_hdrs("Supported: 100rel\r\n"); /* we are not set to use it */
	ck_assert(!sip_leg_provisional_reliable(leg));
	ck_assert_int_eq(sip_leg_respond(leg, 180, NULL), 0);
	pump(2000);
	ck_assert_int_eq(count("SIP/2.0 180"), 1);
	ck_assert_ptr_null(strstr(last("SIP/2.0 180"), "RSeq:"));
	ck_assert_int_eq(sip_leg_respond(leg, 480, NULL), 0);
	pump(20);
	bed_stop();
}
END_TEST

/* RFC 3311 5.2: an UPDATE that offers while the INVITE's offer has had no
 * reliable answer (only an unreliable 180) gets 500 with a Retry-After of
 * 0-10 s, and the owner is not asked */
START_TEST(test_uas_update_offer_too_early_500)
{
	static const char sdp[] = "v=0\r\no=p 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
				  "t=0 0\r\nm=audio 4002 RTP/AVP 8\r\n";
	unsigned port;
	struct sip_leg *leg;
	char tag[64], ra[16];

	bed_start();
	port = ntohs(T.p.addr.sin_port);
	leg = uas_invite();
	ck_assert_int_eq(sip_leg_respond(leg, 180, NULL), 0);
	pump(20);
	tandem_tag("SIP/2.0 180", tag, sizeof(tag));
	peer_send("UPDATE sip:+4930123@127.0.0.1:%u SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-upd5\r\nMax-Forwards: 70\r\n"
		  "From: <sip:+4989555@127.0.0.1>;tag=pt\r\nTo: <sip:+4930123@127.0.0.1>;tag=%s\r\n"
		  "Call-ID: c1@peer\r\nCSeq: 2 UPDATE\r\nContact: <sip:peer@127.0.0.1:%u>\r\n"
		  "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
		  ntohs(T.p.ua_addr.sin_port), port, tag, port, strlen(sdp), sdp);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 500"), 1);
	ck_assert_ptr_nonnull(hdr(last("SIP/2.0 500"), "Retry-After", ra, sizeof(ra)));
	ck_assert_int_le(atoi(ra), 10);
	ck_assert_int_eq(count("SIP/2.0 200"), 0);
	ck_assert_int_eq(sip_leg_respond(leg, 480, NULL), 0);
	pump(20);
	bed_stop();
}
END_TEST

/* RFC 4028: the caller refreshes (refresher=uac); a refresh (UPDATE) keeps
 * the session; without one it ends shortly before the interval (10: the
 * BYE with Reason 408), the owner hearing a BYE. */
START_TEST(test_session_timer_expires)
{
	struct sip_leg *leg;
	char tag[64], se[64];

	bed_start();
	leg = uas_invite_hdrs("Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n");
	ck_assert_int_eq(sip_leg_respond(leg, 200, NULL), 0);
	pump(20);
	ck_assert_str_eq(hdr(last("SIP/2.0 200"), "Session-Expires", se, sizeof(se)),
			 "90;refresher=uac");
	ck_assert_ptr_nonnull(strstr(last("SIP/2.0 200"), "\r\nRequire: timer\r\n"));
	tandem_tag("SIP/2.0 200", tag, sizeof(tag));
	peer_request("ACK", 1, "z9hG4bK-ack3", tag, NULL);
	pump_coarse(40000);
	peer_request("UPDATE", 2, "z9hG4bK-upd1", tag, "Session-Expires: 90;refresher=uac\r\n");
	pump_coarse(21000); /* 61 s: past 90 - 30 s of the first interval, refreshed at 40 s */
	ck_assert_int_eq(count("BYE "), 0);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CONFIRMED);
	pump_coarse(39200); /* 100.2 s: 60 s after the refresh */
	ck_assert_int_eq(count("BYE "), 1);
	ck_assert_ptr_nonnull(strstr(last("BYE "), "Reason: SIP;cause=408"));
	ck_assert_int_eq(T.ev.bye_null, 1);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_TERMINATING);
	peer_respond(last("BYE "), 200, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.gone, 1);
	bed_stop();
}
END_TEST

/* RFC 4028: we refresh (refresher=uas) with an UPDATE at half the
 * interval; answered, the session goes on. */
START_TEST(test_session_timer_we_refresh)
{
	struct sip_leg *leg;
	char tag[64], se[64];

	bed_start();
	leg = uas_invite_hdrs("Supported: timer\r\nSession-Expires: 90;refresher=uas\r\n");
	ck_assert_int_eq(sip_leg_respond(leg, 200, NULL), 0);
	pump(20);
	ck_assert_str_eq(hdr(last("SIP/2.0 200"), "Session-Expires", se, sizeof(se)),
			 "90;refresher=uas");
	ck_assert_ptr_null(strstr(last("SIP/2.0 200"), "\r\nRequire: timer\r\n"));
	tandem_tag("SIP/2.0 200", tag, sizeof(tag));
	peer_request("ACK", 1, "z9hG4bK-ack4", tag, NULL);
	pump_coarse(44000);
	ck_assert_int_eq(count("UPDATE "), 0);
	pump_coarse(1200);
	ck_assert_int_eq(count("UPDATE "), 1);
	ck_assert_str_eq(hdr(last("UPDATE "), "Session-Expires", se, sizeof(se)),
			 "90;refresher=uas");
	peer_respond(last("UPDATE "), 200, NULL);
	pump_coarse(20000); /* 65 s: past where a silent session would have ended */
	ck_assert_int_eq(count("BYE "), 0);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CONFIRMED);
	ck_assert_int_eq(sip_leg_bye(leg, NULL), 0);
	pump(20);
	peer_respond(last("BYE "), 200, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.gone, 1);
	bed_stop();
}
END_TEST

/* Our refresh UPDATE is still out (no answer yet) when the leg ends and
 * goes (BYE from the peer); its answer comes afterwards: its transaction's
 * user was the freed leg (ASan: heap-use-after-free; a 481 there ended
 * the freed leg's session with a BYE) */
START_TEST(test_session_refresh_outlives_leg)
{
	struct sip_leg *leg;
	char tag[64];

	bed_start();
	leg = uas_invite_hdrs("Supported: timer\r\nSession-Expires: 90;refresher=uas\r\n");
	ck_assert_int_eq(sip_leg_respond(leg, 200, NULL), 0);
	pump(20);
	tandem_tag("SIP/2.0 200", tag, sizeof(tag));
	peer_request("ACK", 1, "z9hG4bK-ack9", tag, NULL);
	pump_coarse(45200);
	ck_assert_int_eq(count("UPDATE "), 1);
	/* the peer hangs up before answering the UPDATE */
	peer_request("BYE", 3, "z9hG4bK-bye9", tag, NULL);
	pump(100);
	ck_assert_int_eq(T.ev.gone, 1);
	/* ... and answers the UPDATE late: its transaction's user is the
	 * freed leg */
	peer_respond(last("UPDATE "), 481, NULL);
	pump(100);
	/* the session was over: no BYE of ours, no second 'gone' */
	ck_assert_int_eq(count("BYE "), 0);
	ck_assert_int_eq(T.ev.gone, 1);
	bed_stop();
}
END_TEST

/* The caller's port closes after its INVITE (it crashed, or gave up
 * without CANCEL): the kernel refuses our responses (ICMP port
 * unreachable, quoting them). At the second refused response the leg ends
 * without anything more sent there, and the owner hears 'gone' (the
 * circuit is released): ringing (180, 183), or answered (180, 200: no 2xx
 * retransmissions for 64*T1 and no BYE). Before, a ringing call stayed
 * until the callee answered, and an answered one until the no-ACK BYE. */
START_TEST(test_uas_caller_unreachable)
{
	for (int answered = 0; answered < 2; answered++) {
		struct sip_leg *leg;

		bed_start();
		leg = uas_invite();
		close(T.p.fd);
		T.p.fd = -1;
		ck_assert_int_eq(sip_leg_respond(leg, 180, NULL), 0);
		pump(50);
		ck_assert_int_eq(T.ev.gone, 0);
		ck_assert_int_eq(sip_leg_respond(leg, answered ? 200 : 183, NULL), 0);
		for (int i = 0; i < 20 && !T.ev.gone; i++)
			pump(10);
		ck_assert_int_eq(T.ev.gone, 1);
		ck_assert_int_eq(T.ev.bye + T.ev.cancelled, 0);
		ck_assert_uint_eq(sip_ua_get_stats(T.ua)->uas_unreachable, 1);
		ck_assert_uint_eq(sip_ua_get_stats(T.ua)->legs_active, 0);
		bed_stop();
	}
}
END_TEST

/* --- the state table --- */

/* RFC 3515 in the leg: REFER handed to the owner's refer op, the 202 and
 * the implicit subscription's NOTIFYs (message/sipfrag); refusals. */
static char refer_target[128];
static unsigned refer_answer;

static unsigned o_refer(void *u, struct sip_leg *leg, const struct sip_msg *req, const char *target)
{
	(void)u;
	(void)leg;
	(void)req;
	snprintf(refer_target, sizeof(refer_target), "%s", target);
	return refer_answer;
}

static const struct sip_leg_ops refer_ops = {.refer = o_refer, .gone = o_gone};

START_TEST(test_uas_refer)
{
	struct sip_leg *leg;
	char tag[64], v[128];

	bed_start();
	/* outside a dialog: 403 */
	peer_request("REFER", 1, "z9hG4bK-ref0", NULL, "Refer-To: <sip:x@127.0.0.1>\r\n");
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 403"), 1);
	leg = uas_invite();
	ck_assert_int_eq(sip_leg_respond(leg, 200, NULL), 0);
	pump(20);
	tandem_tag("SIP/2.0 200", tag, sizeof(tag));
	/* before the ACK: 491 */
	peer_request("REFER", 2, "z9hG4bK-ref1", tag, "Refer-To: <sip:x@127.0.0.1>\r\n");
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 491"), 1);
	peer_request("ACK", 1, "z9hG4bK-ack9", tag, NULL);
	pump(20);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CONFIRMED);
	/* an owner without a refer op: 405 */
	peer_request("REFER", 3, "z9hG4bK-ref2", tag, "Refer-To: <sip:x@127.0.0.1>\r\n");
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 405"), 1);
	ck_assert_ptr_nonnull(strstr(last("SIP/2.0 405"), "REFER"));
	sip_leg_set_user(leg, &refer_ops, NULL);
	/* 2.4.1: none or two Refer-To: 400 */
	peer_request("REFER", 4, "z9hG4bK-ref3", tag, NULL);
	pump(20);
	peer_request("REFER", 5, "z9hG4bK-ref4", tag,
		     "Refer-To: <sip:x@127.0.0.1>\r\nRefer-To: <sip:y@127.0.0.1>\r\n");
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 400"), 2);
	/* the owner refuses */
	refer_answer = 403;
	peer_request("REFER", 6, "z9hG4bK-ref5", tag, "Refer-To: <sip:x@127.0.0.1>\r\n");
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 403"), 2);
	ck_assert_int_eq(count("NOTIFY "), 0);
	ck_assert_int_eq(sip_leg_refer_notify(leg, 200, NULL), -ENOTCONN);
	/* accepted: 202, then NOTIFY 100 Trying (subscription active) */
	refer_answer = 202;
	peer_request("REFER", 7, "z9hG4bK-ref6", tag,
		     "Refer-To: \"T\" <sip:+4930999@127.0.0.1:5099;user=phone>\r\n");
	pump(20);
	ck_assert_str_eq(refer_target, "sip:+4930999@127.0.0.1:5099;user=phone");
	ck_assert_int_eq(count("SIP/2.0 202"), 1);
	ck_assert_int_eq(count("NOTIFY "), 1);
	ck_assert_str_eq(hdr(last("NOTIFY "), "Event", v, sizeof(v)), "refer;id=7");
	ck_assert_str_eq(hdr(last("NOTIFY "), "Subscription-State", v, sizeof(v)),
			 "active;expires=60");
	ck_assert_str_eq(hdr(last("NOTIFY "), "Content-Type", v, sizeof(v)),
			 "message/sipfrag;version=2.0");
	ck_assert_ptr_nonnull(strstr(last("NOTIFY "), "\r\n\r\nSIP/2.0 100 Trying\r\n"));
	/* one at a time */
	peer_request("REFER", 8, "z9hG4bK-ref7", tag, "Refer-To: <sip:x@127.0.0.1>\r\n");
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 491"), 2);
	/* the outcome ends the subscription; nothing after it */
	peer_respond(last("NOTIFY "), 200, NULL);
	ck_assert_int_eq(sip_leg_refer_notify(leg, 486, NULL), 0);
	pump(20);
	ck_assert_int_eq(count("NOTIFY "), 2);
	ck_assert_str_eq(hdr(last("NOTIFY "), "Subscription-State", v, sizeof(v)),
			 "terminated;reason=noresource");
	ck_assert_ptr_nonnull(strstr(last("NOTIFY "), "\r\n\r\nSIP/2.0 486 Busy Here\r\n"));
	ck_assert_int_eq(sip_leg_refer_notify(leg, 200, NULL), -ENOTCONN);
	peer_respond(last("NOTIFY "), 200, NULL);
	pump(20);
	ck_assert_int_eq(sip_leg_bye(leg, NULL), 0);
	pump(20);
	peer_respond(last("BYE "), 200, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.gone, 1);
	bed_stop();
}
END_TEST

/* A require-auth trunk's 401 challenge and its 403 refusal are answers of
 * a UAS to a request out of dialog: each carries a To tag (RFC 3261
 * 8.2.6.2), and WWW-Authenticate on the 401. */
START_TEST(test_uas_auth_answers_tagged)
{
	char to[256], v[512];

	bed_start();
	T.trunk.require_auth = true;
	T.trunk.auth_user = "u";
	T.trunk.auth_pass = "p";
	peer_request("INVITE", 1, "z9hG4bK-au1", NULL, NULL);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 401"), 1);
	hdr(last("SIP/2.0 401"), "To", to, sizeof(to));
	ck_assert_msg(strstr(to, ";tag=") && strlen(strstr(to, ";tag=")) > 5, "401 To: %s", to);
	hdr(last("SIP/2.0 401"), "WWW-Authenticate", v, sizeof(v));
	ck_assert_ptr_nonnull(strstr(v, "Digest "));
	/* credentials missing on the trunk: refused with a 403 */
	T.trunk.auth_user = NULL;
	peer_request("MESSAGE", 2, "z9hG4bK-au2", NULL, NULL);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 403"), 1);
	hdr(last("SIP/2.0 403"), "To", to, sizeof(to));
	ck_assert_msg(strstr(to, ";tag=") && strlen(strstr(to, ";tag=")) > 5, "403 To: %s", to);
	T.trunk.require_auth = false;
	T.trunk.auth_pass = NULL;
	bed_stop();
}
END_TEST

/* Answers made without a transaction (a trunk over its request rate: 503)
 * are still a UAS's answers out of dialog: the To carries a tag (RFC 3261
 * 8.2.6.2), the same one for a retransmission of the request. */
START_TEST(test_stateless_reply_tagged)
{
	struct sip_sec_cfg saved = sip_sec_cfg;
	char to[256], to2[256];

	bed_start();
	sip_sec_cfg.trunk_limit = true;
	sip_sec_cfg.trunk_rate = 1;
	sip_sec_cfg.trunk_burst = 1;
	peer_request("OPTIONS", 1, "z9hG4bK-sl1", NULL, NULL);
	peer_request("INVITE", 2, "z9hG4bK-sl2", NULL, NULL);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 503"), 1);
	hdr(last("SIP/2.0 503"), "To", to, sizeof(to));
	ck_assert_msg(strstr(to, ";tag=") && strlen(strstr(to, ";tag=")) > 5, "503 To: %s", to);
	peer_request("INVITE", 2, "z9hG4bK-sl2", NULL, NULL);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 503"), 2);
	hdr(last("SIP/2.0 503"), "To", to2, sizeof(to2));
	ck_assert_str_eq(to, to2);
	sip_sec_cfg = saved;
	bed_stop();
}
END_TEST

START_TEST(test_state_table)
{
	struct sip_leg leg = {.call_id = "table@test", .uac = true};

	/* the UAC's way through CANCEL */
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CALLING), 0);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CALLING), 0); /* same: no-op */
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CANCEL_WAIT), 0);
	/* refused: not in the table; the state stays */
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CONFIRMED), -EINVAL);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_PROCEEDING), -EINVAL);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_ACCEPTED), -EINVAL);
	ck_assert_int_eq(leg.state, SIP_LEG_S_CANCEL_WAIT);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CANCELLING), 0);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CANCEL_WAIT), -EINVAL);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_TERMINATING), 0);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CONFIRMED), -EINVAL);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_TERMINATED), 0);
	/* TERMINATED is the end */
	for (int s = SIP_LEG_S_INIT; s < SIP_LEG_S_TERMINATED; s++)
		ck_assert_int_eq(sip_leg_state_chg(&leg, (enum sip_leg_state)s), -EINVAL);
	ck_assert_int_eq(sip_leg_state_chg(&leg, (enum sip_leg_state)99), -EINVAL);
	ck_assert_int_eq(leg.state, SIP_LEG_S_TERMINATED);

	/* UAS: the 2xx before the ACK; a confirmed dialog only ends */
	leg = (struct sip_leg){.call_id = "table@test"};
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CONFIRMED), -EINVAL);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_PROCEEDING), 0);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_ACCEPTED), 0);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_PROCEEDING), -EINVAL);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CONFIRMED), 0);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_ACCEPTED), -EINVAL);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_CANCELLING), -EINVAL);
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_TERMINATED), -EINVAL);
	ck_assert(!sip_leg_ended(&leg));
	ck_assert_int_eq(sip_leg_state_chg(&leg, SIP_LEG_S_TERMINATING), 0);
	ck_assert(sip_leg_ended(&leg));
	ck_assert_str_eq(sip_leg_state_name(leg.state), "TERMINATING");
	ck_assert_str_eq(sip_leg_state_name((enum sip_leg_state)99), "?");
}
END_TEST

/* RFC 3891 3 Replaces inside a Refer-To URI's headers (RFC 3261 19.1.1
 * escapes; RFC 5589 7.1 shows the form). */
START_TEST(test_replaces_decode)
{
	static const struct {
		const char *hdrs;
		int rc;
		const char *call_id, *to_tag, *from_tag;
		bool early;
	} v[] = {
		{"Replaces=abc%40h.example%3Bto-tag%3D7743%3Bfrom-tag%3D6472", 0, "abc@h.example",
		 "7743", "6472", false},
		/* unescaped '@' as phones send it; another header before */
		{"Require=replaces&Replaces=x@y%3Bfrom-tag%3Db%3Bto-tag%3Da%3Bearly-only", 0, "x@y",
		 "a", "b", true},
		{"replaces=k%3B%20to-tag%3D1%3B%20from-tag%3D2", 0, "k", "1", "2", false},
		{"Foo=bar", -ENOENT, NULL, NULL, NULL, false},
		{"Replaces=k%3Bto-tag%3D1", -EBADMSG, NULL, NULL, NULL, false},
		{"Replaces=%3Bto-tag%3D1%3Bfrom-tag%3D2", -EBADMSG, NULL, NULL, NULL, false},
		{"Replaces=k%3Bto-tag%3D1%3Bfrom-tag%3D2&Replaces=j%3Bto-tag%3D1%3Bfrom-tag%3D2",
		 -EBADMSG, NULL, NULL, NULL, false},
		{"Replaces=k%3Bto-tag%3D1%3Bfrom-tag%3D%2", -EBADMSG, NULL, NULL, NULL, false},
	};
	char buf[128];

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sip_replaces r;
		int rc = sip_replaces_decode(tstr_make(v[i].hdrs, strlen(v[i].hdrs)), &r, buf,
					     sizeof(buf));

		ck_assert_msg(rc == v[i].rc, "%s: %d", v[i].hdrs, rc);
		if (rc)
			continue;
		ck_assert(tstr_eq_cstr(r.call_id, v[i].call_id));
		ck_assert(tstr_eq_cstr(r.to_tag, v[i].to_tag));
		ck_assert(tstr_eq_cstr(r.from_tag, v[i].from_tag));
		ck_assert(r.early_only == v[i].early);
	}
	/* too long for the buffer */
	ck_assert_int_eq(sip_replaces_decode(TSTR_LIT("Replaces=abcdefgh%3Bto-tag%3D1"),
					     &(struct sip_replaces){0}, buf, 4),
			 -ENOSPC);
}
END_TEST

/* --- the role-only copies (the union in struct sip_leg) --- */

/* A 2xx to an INVITE that no transaction of tandem's knows (another
 * branch), in the dialog with tandem's tag local_tag and the peer's
 * remote_tag: it reaches the UA's stray-response path, where only a UAC
 * leg answers with its ACK copy (RFC 3261 13.2.2.4). */
static void peer_stray_2xx(const char *call_id, const char *local_tag, const char *remote_tag)
{
	peer_send("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-stray\r\n"
		  "From: <sip:a@127.0.0.1>;tag=%s\r\nTo: <sip:b@127.0.0.1>;tag=%s\r\n"
		  "Call-ID: %s\r\nCSeq: 1 INVITE\r\nContact: <sip:peer@127.0.0.1:%u>\r\n"
		  "Content-Length: 0\r\n\r\n",
		  ntohs(T.p.ua_addr.sin_port), local_tag, remote_tag, call_id,
		  ntohs(T.p.addr.sin_port));
}

/* A UAS leg keeps its 2xx where a UAC leg keeps its ACK: it never sends an
 * ACK (a stray 2xx in its dialog, before and after the peer's ACK), never
 * takes its 2xx for an ACK, and its 2xx goes on being sent again on the
 * 13.3.1.4 schedule until the peer's ACK. */
START_TEST(test_uas_leg_never_acks)
{
	struct sip_leg *leg;
	char tag[64];
	int oks;

	bed_start();
	leg = uas_invite();
	ck_assert_int_eq(sip_leg_respond(leg, 200, NULL), 0);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 200"), 1);
	tandem_tag("SIP/2.0 200", tag, sizeof(tag));

	/* the 2xx is held (ACCEPTED): a stray 2xx in the dialog is no
	 * business of a UAS; nothing goes out for it */
	peer_stray_2xx("c1@peer", tag, "pt");
	pump(20);
	ck_assert_int_eq(T.p.n_inbox, 1);
	ck_assert_int_eq(count("ACK "), 0);
	/* the 2xx is still sent again after T1, then 2*T1 */
	pump(600);
	ck_assert_int_eq(count("SIP/2.0 200"), 2);
	pump(1000);
	ck_assert_int_eq(count("SIP/2.0 200"), 3);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_ACCEPTED);

	peer_request("ACK", 1, "z9hG4bK-ack9", tag, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.ack, 1);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CONFIRMED);
	oks = count("SIP/2.0 200");
	peer_stray_2xx("c1@peer", tag, "pt");
	pump(5000);
	ck_assert_int_eq(count("SIP/2.0 200"), oks);
	ck_assert_int_eq(count("ACK "), 0);

	peer_request("BYE", 2, "z9hG4bK-bye9", tag, NULL);
	pump(20);
	ck_assert_int_eq(count("SIP/2.0 200"), oks + 1);
	ck_assert_int_eq(T.ev.bye, 1);
	pump(100);
	ck_assert_int_eq(T.ev.gone, 1);
	ck_assert_int_eq(count("ACK "), 0);
	ck_assert_int_eq(count("BYE "), 0);
	bed_stop();
}
END_TEST

/* A UAC leg keeps its ACK where a UAS leg keeps its 2xx: it never sends a
 * response to its INVITE (no 2xx retransmission from the UAS timer), an
 * ACK from the peer in its dialog is not taken as the ACK of a 2xx of
 * ours, and its ACK copy keeps answering a 2xx in the dialog, also one
 * that reaches it outside the INVITE transaction. */
START_TEST(test_uac_leg_never_sends_2xx)
{
	struct sip_leg *leg;
	char from[256], cid[128];
	const char *inv, *p;
	char ltag[64];

	bed_start();
	leg = uac_invite();
	inv = last("INVITE ");
	hdr(inv, "From", from, sizeof(from));
	hdr(inv, "Call-ID", cid, sizeof(cid));
	p = strstr(from, ";tag=");
	ck_assert_ptr_nonnull(p);
	snprintf(ltag, sizeof(ltag), "%s", p + 5);

	peer_respond(inv, 200, "p1");
	pump(20);
	ck_assert_int_eq(T.ev.answered, 1);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CONFIRMED);
	ck_assert_int_eq(count("ACK "), 1);

	/* an ACK from the peer in our dialog: no UAS 2xx to stop, no ack
	 * event for the owner */
	peer_send("ACK sip:tandem@127.0.0.1:%u SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-pack\r\nMax-Forwards: 70\r\n"
		  "From: <sip:+4930123@127.0.0.1>;tag=p1\r\nTo: <sip:+4989555@tandem>;tag=%s\r\n"
		  "Call-ID: %s\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n",
		  ntohs(T.p.ua_addr.sin_port), ntohs(T.p.addr.sin_port), ltag, cid);
	pump(20);
	ck_assert_int_eq(T.ev.ack, 0);
	ck_assert_int_eq(sip_leg_state(leg), SIP_LEG_S_CONFIRMED);

	/* the ACK copy answers the INVITE's 2xx again, and a 2xx of the
	 * dialog that no transaction knows */
	peer_respond(inv, 200, "p1");
	pump(20);
	ck_assert_int_eq(count("ACK "), 2);
	peer_stray_2xx(cid, ltag, "p1");
	pump(20);
	ck_assert_int_eq(count("ACK "), 3);
	ck_assert_int_eq(T.ev.answered, 1);

	/* 32 s: a UAC leg never sends a response of its own */
	pump_coarse(32000);
	ck_assert_int_eq(count("SIP/2.0 "), 0);
	ck_assert_int_eq(count("ACK "), 3);

	ck_assert_int_eq(sip_leg_bye(leg, NULL), 0);
	pump(20);
	ck_assert_int_eq(count("BYE "), 1);
	peer_respond(last("BYE "), 200, NULL);
	pump(20);
	ck_assert_int_eq(T.ev.gone, 1);
	ck_assert_int_eq(count("SIP/2.0 "), 0);
	bed_stop();
}
END_TEST

Suite *sip_ua_suite(void)
{
	Suite *s = suite_create("sip_ua");
	TCase *tc = unit_tcase("sip_ua");

	tcase_add_test(tc, test_uac_180_200_ack_bye);
	tcase_add_test(tc, test_uac_dialog_next_hop);
	tcase_add_test(tc, test_uac_fork_2xx_offer_refused);
	tcase_add_test(tc, test_uac_cancel_before_provisional_487);
	tcase_add_test(tc, test_uac_200_crosses_cancel);
	tcase_add_test(tc, test_uac_failure_told);
	tcase_add_test(tc, test_uas_200_until_ack_then_bye_in);
	tcase_add_test(tc, test_uas_no_ack_bye_408);
	tcase_add_test(tc, test_uas_refer);
	tcase_add_test(tc, test_replaces_decode);
	tcase_add_test(tc, test_uas_bye_out);
	tcase_add_test(tc, test_uas_cancel_487);
	tcase_add_test(tc, test_uas_cancel_among_many);
	tcase_add_test(tc, test_uas_reliable_180_prack);
	tcase_add_test(tc, test_uas_unreliable_180);
	tcase_add_test(tc, test_uas_update_offer_too_early_500);
	tcase_add_test(tc, test_session_timer_expires);
	tcase_add_test(tc, test_session_timer_we_refresh);
	tcase_add_test(tc, test_session_refresh_outlives_leg);
	tcase_add_test(tc, test_uas_caller_unreachable);
	tcase_add_test(tc, test_uas_auth_answers_tagged);
	tcase_add_test(tc, test_state_table);
	tcase_add_test(tc, test_stateless_reply_tagged);
	tcase_add_test(tc, test_uas_leg_never_acks);
	tcase_add_test(tc, test_uac_leg_never_sends_2xx);
	suite_add_tcase(s, tc);
	return s;
}
