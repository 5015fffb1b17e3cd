/* sip/sip_txn: every transaction path with a fake clock (RFC 3261 17,
 * RFC 6026): retransmission schedules, each timer's expiry, ACK for non-2xx,
 * 100 Trying after 200 ms, absorption of retransmissions, reliable
 * transports, CANCEL and RFC 2543 matching. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <osmocom/core/timer.h>

#include "sip/sip_txn.h"
#include "tests/unit/unit.h"

struct rec {
	int sent;
	char last[64];
	uint64_t sent_at_ms[64];
	int requests, responses, timeouts, terminated, acks, tr_errors, stray;
	int last_status;
	struct sip_txn *srv; /* last server transaction created */
	bool null_request;   /* an ACK with no transaction */
	/* the sends numbered fail_from.. (1-based) fail with fail_rc; 0: none */
	int fail_from, fail_rc;
};

static struct rec R;
static uint64_t now_ms;

static int t_send(void *priv, const struct sip_txn_dest *d, const uint8_t *buf, size_t len)
{
	(void)priv;
	(void)d;
	if (R.sent < 64)
		R.sent_at_ms[R.sent] = now_ms;
	R.sent++;
	snprintf(R.last, sizeof(R.last), "%.*s", (int)len, buf);
	return R.fail_from && R.sent >= R.fail_from ? R.fail_rc : 0;
}

static void t_request(void *priv, struct sip_txn *t, const struct sip_txn_info *req,
		      const uint8_t *raw, size_t len, const struct sip_txn_dest *src);

static int t_build_ack(void *priv, const uint8_t *req, size_t req_len, const uint8_t *rsp,
		       size_t rsp_len, const void *rsp_msg, uint8_t *buf, size_t size)
{
	(void)priv;
	(void)req;
	(void)req_len;
	(void)rsp;
	(void)rsp_len;
	(void)rsp_msg;
	return snprintf((char *)buf, size, "ACK");
}

static int t_build_trying(void *priv, const uint8_t *req, size_t req_len, const void *m,
			  uint8_t *buf, size_t size)
{
	(void)priv;
	(void)req;
	(void)req_len;
	(void)m;
	return snprintf((char *)buf, size, "SIP/2.0 100 Trying");
}

static void t_stray(void *priv, const struct sip_txn_info *rsp, const uint8_t *raw, size_t len,
		    const struct sip_txn_dest *src)
{
	(void)priv;
	(void)rsp;
	(void)raw;
	(void)len;
	(void)src;
	R.stray++;
}

static const struct sip_txn_layer_ops lops = {
	.send = t_send,
	.request = t_request,
	.stray_response = t_stray,
	.build_ack = t_build_ack,
	.build_trying = t_build_trying,
};

static void u_response(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp,
		       const uint8_t *raw, size_t len)
{
	(void)tu;
	(void)t;
	(void)raw;
	(void)len;
	R.responses++;
	R.last_status = rsp->status;
}

static void u_timeout(void *tu, struct sip_txn *t)
{
	(void)tu;
	(void)t;
	R.timeouts++;
}

static void u_terminated(void *tu, struct sip_txn *t)
{
	(void)tu;
	if (t == R.srv)
		R.srv = NULL;
	R.terminated++;
}

static void u_ack(void *tu, struct sip_txn *t, const struct sip_txn_info *ack, const uint8_t *raw,
		  size_t len)
{
	(void)tu;
	(void)t;
	(void)ack;
	(void)raw;
	(void)len;
	R.acks++;
}

static void u_terr(void *tu, struct sip_txn *t)
{
	(void)tu;
	(void)t;
	R.tr_errors++;
}

static const struct sip_txn_user_ops uops = {
	.response = u_response,
	.timeout = u_timeout,
	.ack = u_ack,
	.terminated = u_terminated,
	.transport_error = u_terr,
};

static void t_request(void *priv, struct sip_txn *t, const struct sip_txn_info *req,
		      const uint8_t *raw, size_t len, const struct sip_txn_dest *src)
{
	(void)priv;
	(void)req;
	(void)raw;
	(void)len;
	(void)src;
	R.requests++;
	if (!t) {
		R.null_request = true;
		return;
	}
	R.srv = t;
	sip_txn_set_user(t, &uops, NULL);
}

/* Move the fake clock in 10 ms steps so timers fire in order. */
static void advance(unsigned ms)
{
	for (unsigned i = 0; i < ms; i += 10) {
		/* libosmocore 1.7 timers read osmo_gettimeofday(); fsm and tdef
		 * users may read the monotonic clock: move both */
		osmo_gettimeofday_override_add(0, 10000);
		osmo_clock_override_add(CLOCK_MONOTONIC, 0, 10 * 1000000);
		now_ms += 10;
		osmo_timers_prepare();
		osmo_timers_update();
	}
}

static struct sip_txn_layer *tl;

static void setup(void)
{
	memset(&R, 0, sizeof(R));
	now_ms = 0;
	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 1000};
	tl = sip_txn_layer_alloc(unit_ctx, &lops, NULL, NULL);
}

static void teardown(void)
{
	sip_txn_layer_free(tl);
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	osmo_gettimeofday_override = false;
}

static struct sip_txn_info info(bool request, const char *method, int status, const char *branch)
{
	struct sip_txn_info i = {
		.request = request,
		.method = tstr_make(method, strlen(method)),
		.status = status,
		.branch = tstr_make(branch, strlen(branch)),
		.via_host = TSTR_LIT("198.51.100.7"),
		.via_port = 5060,
		.ruri = TSTR_LIT("sip:+15551234@gw"),
		.call_id = TSTR_LIT("call-1"),
		.from_tag = TSTR_LIT("ft"),
		.cseq = 1,
	};
	return i;
}

static const struct sip_txn_dest udp = {.proto = SIP_PROTO_UDP};
static const struct sip_txn_dest tcp = {.proto = SIP_PROTO_TCP};
#define REQ ((const uint8_t *)"INVITE sip:x SIP/2.0")

static void rx(const char *method, int status, const char *branch, bool request)
{
	struct sip_txn_info i = info(request, method, status, branch);

	sip_txn_layer_rx(tl, &i, (const uint8_t *)"x", 1, &udp);
}

START_TEST(test_ict_timer_a_and_b)
{
	struct sip_txn_info i = info(true, "INVITE", 0, "z9hG4bKa1");
	static const uint64_t want[] = {0, 500, 1500, 3500, 7500, 15500, 31500};

	ck_assert_ptr_nonnull(sip_txn_client_start(tl, &i, REQ, 20, &udp, &uops, NULL));
	advance(32500);
	/* 17.1.1.2: Timer A doubles: 0.5, 1, 2, 4, 8, 16 s; Timer B = 64*T1 */
	ck_assert_int_eq(R.sent, 7);
	for (int k = 0; k < 7; k++)
		ck_assert_uint_eq(R.sent_at_ms[k], want[k]);
	ck_assert_int_eq(R.timeouts, 1);
	ck_assert_int_eq(R.terminated, 1);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 0);
}
END_TEST

START_TEST(test_udp_unreachable_spares_answered)
{
	/* An ICMP unreachable for an address (RFC 3261 18.4) fails the
	 * client transactions toward it that have no response yet (the
	 * second one for a transaction: its retransmission refused too),
	 * from an event of their own; one that has a 180 heard the peer after its
	 * send and runs on. Over TCP a dead connection fails them all. */
	struct sip_txn_info a = info(true, "INVITE", 0, "z9hG4bKu1"),
			    b = info(true, "INVITE", 0, "z9hG4bKu2"),
			    c = info(true, "OPTIONS", 0, "z9hG4bKu3");

	ck_assert_ptr_nonnull(sip_txn_client_start(tl, &a, REQ, 20, &udp, &uops, NULL));
	rx("INVITE", 180, "z9hG4bKu1", false);
	ck_assert_ptr_nonnull(sip_txn_client_start(tl, &b, REQ, 20, &udp, &uops, NULL));
	ck_assert_ptr_nonnull(sip_txn_client_start(tl, &c, REQ, 20, &udp, &uops, NULL));
	/* the first one is only noted (the retransmission may still reach a
	 * peer whose socket opened just after our first datagram) */
	sip_txn_layer_transport_error(tl, &udp, NULL);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 0);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 3);
	/* another before their retransmission (another transaction's
	 * datagram to the address): not theirs, nothing fails */
	sip_txn_layer_transport_error(tl, &udp, NULL);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 0);
	/* after their retransmission (Timer A/E, T1 = 500 ms): that one was
	 * refused too, and fails them */
	advance(500);
	sip_txn_layer_transport_error(tl, &udp, NULL);
	ck_assert_int_eq(R.tr_errors, 0); /* never inside the call */
	advance(10);
	ck_assert_int_eq(R.tr_errors, 2);
	ck_assert_int_eq(R.terminated, 2);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 1);
	ck_assert_int_eq(R.responses, 1);
	/* the answered one ends as usual */
	rx("INVITE", 486, "z9hG4bKu1", false);
	ck_assert_int_eq(R.responses, 2);
	ck_assert_int_eq(R.tr_errors, 2);
}
END_TEST

static struct sip_txn_dest dest_at(enum sip_proto proto, const char *ip, uint16_t port)
{
	struct sip_txn_dest d = {.proto = proto};

	if (strchr(ip, ':')) {
		struct sockaddr_in6 *a = (void *)&d.addr;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
		d.addr_len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (void *)&d.addr;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, ip, &a->sin_addr), 1);
		d.addr_len = sizeof(*a);
	}
	return d;
}

START_TEST(test_unreachable_only_its_address)
{
	/* An error names an address: only the client transactions toward
	 * that transport, address and port end, among 2,000 toward others
	 * (other ports of the same host, other hosts, TCP to the same
	 * address, IPv6) and the server transactions */
	struct sip_txn_dest dead = dest_at(SIP_PROTO_UDP, "192.0.2.1", 5060),
			    v6 = dest_at(SIP_PROTO_UDP, "2001:db8::1", 5060),
			    t4 = dest_at(SIP_PROTO_TCP, "192.0.2.1", 5060);
	char br[32];
	unsigned n = 0;

	for (unsigned i = 0; i < 2000; i++) {
		struct sip_txn_dest o =
			dest_at(i % 2 ? SIP_PROTO_UDP : SIP_PROTO_TCP,
				i % 3 ? "192.0.2.1" : "192.0.2.2", (uint16_t)(5061 + i % 500));
		struct sip_txn_info a;

		snprintf(br, sizeof(br), "z9hG4bKo%u", i);
		a = info(true, i % 4 ? "INVITE" : "OPTIONS", 0, br);
		ck_assert_ptr_nonnull(sip_txn_client_start(tl, &a, REQ, 20, &o, &uops, NULL));
		n++;
	}
	for (unsigned i = 0; i < 3; i++) {
		struct sip_txn_info a;

		snprintf(br, sizeof(br), "z9hG4bKd%u", i);
		a = info(true, i ? "INVITE" : "BYE", 0, br);
		ck_assert_ptr_nonnull(sip_txn_client_start(tl, &a, REQ, 20, &dead, &uops, NULL));
		snprintf(br, sizeof(br), "z9hG4bKv%u", i);
		a = info(true, "INVITE", 0, br);
		ck_assert_ptr_nonnull(sip_txn_client_start(tl, &a, REQ, 20, &v6, &uops, NULL));
		snprintf(br, sizeof(br), "z9hG4bKt%u", i);
		a = info(true, "INVITE", 0, br);
		ck_assert_ptr_nonnull(sip_txn_client_start(tl, &a, REQ, 20, &t4, &uops, NULL));
		n += 3;
	}
	rx("INVITE", 0, "z9hG4bKsrv", true); /* a server transaction */
	n++;
	ck_assert_uint_eq(sip_txn_layer_count(tl), n);
	sip_txn_layer_transport_error(tl, &dead, NULL);
	sip_txn_layer_transport_error(tl, &v6, NULL);
	advance(500); /* the retransmissions */
	sip_txn_layer_transport_error(tl, &dead, NULL);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 3);
	ck_assert_uint_eq(sip_txn_layer_count(tl), n - 3);
	/* the IPv6 ones */
	sip_txn_layer_transport_error(tl, &v6, NULL);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 6);
	/* a TCP connection to the same address lost: its three at once */
	sip_txn_layer_transport_error(tl, &t4, NULL);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 9);
	ck_assert_uint_eq(sip_txn_layer_count(tl), n - 9);
	ck_assert_ptr_nonnull(R.srv);
}
END_TEST

static struct sip_refused refused(const char *method, const char *branch)
{
	return (struct sip_refused){.method = method,
				    .method_len = strlen(method),
				    .branch = branch,
				    .branch_len = strlen(branch)};
}

START_TEST(test_unreachable_quoted_request_only)
{
	/* The ICMP error quoted the refused request: only that transaction
	 * counts it (its method and top Via branch), not the others toward
	 * the same address: another INVITE, and the CANCEL that shares the
	 * INVITE's branch; a second one quoting it (another of its own
	 * datagrams refused) fails it. A quote without a branch of ours (an
	 * RFC 2543 peer's, or cut off) falls back to the address. */
	struct sip_txn_dest dead = dest_at(SIP_PROTO_UDP, "192.0.2.1", 5060);
	struct sip_txn_info a = info(true, "INVITE", 0, "z9hG4bKqa"),
			    b = info(true, "INVITE", 0, "z9hG4bKqb"),
			    c = info(true, "CANCEL", 0, "z9hG4bKqa");
	struct sip_refused ra = refused("INVITE", "z9hG4bKqa"),
			   other = refused("INVITE", "z9hG4bKzz"), old = refused("INVITE", "1234");

	ck_assert_ptr_nonnull(sip_txn_client_start(tl, &a, REQ, 20, &dead, &uops, NULL));
	ck_assert_ptr_nonnull(sip_txn_client_start(tl, &b, REQ, 20, &dead, &uops, NULL));
	ck_assert_ptr_nonnull(sip_txn_client_start(tl, &c, REQ, 20, &dead, &uops, NULL));
	/* forged or stale: a branch nobody has, many times */
	for (int i = 0; i < 5; i++)
		sip_txn_layer_transport_error(tl, &dead, &other);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 0);
	/* the INVITE's first datagram and, at once, a second quote of it */
	sip_txn_layer_transport_error(tl, &dead, &ra);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 0);
	sip_txn_layer_transport_error(tl, &dead, &ra);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 1);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 2);
	/* no branch of ours quoted: by address, after their retransmission */
	sip_txn_layer_transport_error(tl, &dead, &old);
	advance(500);
	sip_txn_layer_transport_error(tl, &dead, &old);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 3);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 0);
}
END_TEST

START_TEST(test_unreachable_quoted_response)
{
	/* An ICMP error quoting one of our responses to the peer's INVITE
	 * (the peer's branch, the CSeq's method): the second such error
	 * fails that INVITE's server transaction (RFC 3261 17.2.4: its user
	 * ends the call; the caller's port is closed). Nothing else: a
	 * branch nobody has, a response to a BYE or to a CANCEL with the
	 * INVITE's branch, a response whose CSeq was cut off, a request of
	 * ours quoting that branch. */
	struct sip_refused inv = refused("INVITE", "z9hG4bKr1"), bye = refused("BYE", "z9hG4bKr2"),
			   cancel = refused("CANCEL", "z9hG4bKr1"),
			   other = refused("INVITE", "z9hG4bKzz"), cut = refused("", "z9hG4bKr1"),
			   req = refused("INVITE", "z9hG4bKr1");
	struct sip_txn *ist;

	inv.response = bye.response = cancel.response = other.response = cut.response = true;
	rx("BYE", 0, "z9hG4bKr2", true);
	sip_txn_respond(R.srv, 200, (const uint8_t *)"SIP/2.0 200", 11);
	rx("INVITE", 0, "z9hG4bKr1", true);
	ist = R.srv;
	ck_assert_ptr_nonnull(ist);
	ck_assert_int_eq(sip_txn_respond(ist, 180, (const uint8_t *)"SIP/2.0 180", 11), 0);
	for (int i = 0; i < 5; i++)
		sip_txn_layer_transport_error(tl, &udp, &other);
	sip_txn_layer_transport_error(tl, &udp, &inv);
	for (int i = 0; i < 2; i++) {
		sip_txn_layer_transport_error(tl, &udp, &bye);
		sip_txn_layer_transport_error(tl, &udp, &cancel);
		sip_txn_layer_transport_error(tl, &udp, &cut);
		sip_txn_layer_transport_error(tl, &udp, &req);
	}
	advance(10);
	ck_assert_int_eq(R.tr_errors, 0);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 2);
	/* the second of its own responses refused */
	sip_txn_layer_transport_error(tl, &udp, &inv);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 1);
	ck_assert_ptr_null(R.srv);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 1);
}
END_TEST

START_TEST(test_unreachable_index_holds_unanswered)
{
	/* The index an ICMP error walks holds, toward a UDP address, only
	 * the client transactions without a response (a busy trunk: 2,000
	 * INVITEs, 1,990 of them answered, 10 being set up); a quoted error
	 * for an answered one finds nothing. Over TCP all stay (a lost
	 * connection fails them all). */
	struct sip_txn_dest trunk = dest_at(SIP_PROTO_UDP, "192.0.2.5", 5060),
			    t4 = dest_at(SIP_PROTO_TCP, "192.0.2.5", 5060);
	struct sip_refused ra = refused("INVITE", "z9hG4bKb0");
	char br[32];

	for (unsigned i = 0; i < 2000; i++) {
		struct sip_txn_info a;

		snprintf(br, sizeof(br), "z9hG4bKb%u", i);
		a = info(true, "INVITE", 0, br);
		ck_assert_ptr_nonnull(sip_txn_client_start(tl, &a, REQ, 20, &trunk, &uops, NULL));
		if (i >= 10)
			rx("INVITE", i % 2 ? 180 : 200, br, false);
	}
	for (unsigned i = 0; i < 3; i++) {
		struct sip_txn_info a;

		snprintf(br, sizeof(br), "z9hG4bKt%u", i);
		a = info(true, "INVITE", 0, br);
		ck_assert_ptr_nonnull(sip_txn_client_start(tl, &a, REQ, 20, &t4, &uops, NULL));
	}
	rx("INVITE", 180, "z9hG4bKt0", false);
	ck_assert_uint_eq(sip_txn_layer_pending_toward(tl, &trunk), 10);
	ck_assert_uint_eq(sip_txn_layer_pending_toward(tl, &t4), 3);
	/* an answered one quoted (z9hG4bKb10 has its 200): nothing */
	ra = refused("INVITE", "z9hG4bKb10");
	sip_txn_layer_transport_error(tl, &trunk, &ra);
	sip_txn_layer_transport_error(tl, &trunk, &ra);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 0);
	/* one being set up, quoted twice: it alone */
	ra = refused("INVITE", "z9hG4bKb3");
	sip_txn_layer_transport_error(tl, &trunk, &ra);
	sip_txn_layer_transport_error(tl, &trunk, &ra);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 1);
	ck_assert_uint_eq(sip_txn_layer_pending_toward(tl, &trunk), 9);
	/* the TCP connection lost: all three, the answered one too */
	sip_txn_layer_transport_error(tl, &t4, NULL);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 4);
	ck_assert_uint_eq(sip_txn_layer_pending_toward(tl, &t4), 0);
}
END_TEST

START_TEST(test_timers_follow_t1)
{
	struct sip_txn_info i = info(true, "INVITE", 0, "z9hG4bKt1");

	/* T1 = 100 ms: A = 100 ms, B = 6.4 s */
	osmo_tdef_set(sip_txn_tdefs, 1, 100, OSMO_TDEF_MS);
	sip_txn_client_start(tl, &i, REQ, 20, &udp, &uops, NULL);
	for (int k = 0; k < 630; k++) {
		advance(10);
		ck_assert_msg(R.timeouts == 0, "timeout at %llu ms", (unsigned long long)now_ms);
	}
	ck_assert_uint_eq(R.sent_at_ms[1], 100);
	ck_assert_uint_eq(R.sent_at_ms[2], 300);
	advance(200);
	ck_assert_int_eq(R.timeouts, 1);
	osmo_tdefs_reset(sip_txn_tdefs);
}
END_TEST

START_TEST(test_ict_non2xx_ack_and_timer_d)
{
	struct sip_txn_info i = info(true, "INVITE", 0, "z9hG4bKa2");
	struct sip_txn *t = sip_txn_client_start(tl, &i, REQ, 20, &udp, &uops, NULL);

	advance(100);
	rx("INVITE", 180, "z9hG4bKa2", false);
	ck_assert_str_eq(sip_txn_state_name(t), "PROCEEDING");
	advance(5000);
	ck_assert_int_eq(R.sent, 1); /* no retransmission once Proceeding */
	rx("INVITE", 486, "z9hG4bKa2", false);
	ck_assert_int_eq(R.sent, 2);
	ck_assert_str_eq(R.last, "ACK");
	ck_assert_int_eq(R.responses, 2);
	ck_assert_int_eq(R.last_status, 486);
	ck_assert_str_eq(sip_txn_state_name(t), "COMPLETED");
	/* a retransmitted final response is ACKed again, not passed up */
	rx("INVITE", 486, "z9hG4bKa2", false);
	ck_assert_int_eq(R.sent, 3);
	ck_assert_int_eq(R.responses, 2);
	advance(31000);
	ck_assert_int_eq(R.terminated, 0);
	advance(1500); /* Timer D: 32 s */
	ck_assert_int_eq(R.terminated, 1);
	ck_assert_int_eq(R.timeouts, 0);
	/* after the end, a response is stray */
	rx("INVITE", 486, "z9hG4bKa2", false);
	ck_assert_int_eq(R.stray, 1);
}
END_TEST

START_TEST(test_ict_2xx_accepted_timer_m)
{
	struct sip_txn_info i = info(true, "INVITE", 0, "z9hG4bKa3");
	struct sip_txn *t = sip_txn_client_start(tl, &i, REQ, 20, &udp, &uops, NULL);

	rx("INVITE", 200, "z9hG4bKa3", false);
	ck_assert_str_eq(sip_txn_state_name(t), "ACCEPTED");
	ck_assert_int_eq(R.sent, 1); /* the 2xx ACK is the TU's, end to end */
	rx("INVITE", 200, "z9hG4bKa3", false);
	ck_assert_int_eq(R.responses, 2); /* RFC 6026: retransmissions reach the TU */
	advance(32500);
	ck_assert_int_eq(R.terminated, 1);
	ck_assert_int_eq(R.sent, 1);
}
END_TEST

START_TEST(test_ict_reliable)
{
	struct sip_txn_info i = info(true, "INVITE", 0, "z9hG4bKa4");

	sip_txn_client_start(tl, &i, REQ, 20, &tcp, &uops, NULL);
	advance(10000);
	ck_assert_int_eq(R.sent, 1); /* no Timer A on TCP */
	rx("INVITE", 503, "z9hG4bKa4", false);
	ck_assert_str_eq(R.last, "ACK");
	ck_assert_int_eq(R.terminated, 1); /* Timer D = 0 */
}
END_TEST

START_TEST(test_nict_timer_e_f)
{
	struct sip_txn_info i = info(true, "OPTIONS", 0, "z9hG4bKn1");
	static const uint64_t want[] = {0,     500,   1500,  3500,  7500, 11500,
					15500, 19500, 23500, 27500, 31500};

	sip_txn_client_start(tl, &i, REQ, 20, &udp, &uops, NULL);
	advance(32500);
	/* 17.1.2.2: E doubles up to T2 (4 s), F = 64*T1 */
	ck_assert_int_eq(R.sent, 11);
	for (int k = 0; k < 11; k++)
		ck_assert_uint_eq(R.sent_at_ms[k], want[k]);
	ck_assert_int_eq(R.timeouts, 1);
	ck_assert_int_eq(R.terminated, 1);
}
END_TEST

START_TEST(test_nict_proceeding_then_final_timer_k)
{
	struct sip_txn_info i = info(true, "BYE", 0, "z9hG4bKn2");

	sip_txn_client_start(tl, &i, REQ, 20, &udp, &uops, NULL);
	rx("BYE", 100, "z9hG4bKn2", false);
	/* 17.1.2.2: the pending E fires in Proceeding, then every T2 */
	advance(9000);
	ck_assert_int_eq(R.sent, 4);
	ck_assert_uint_eq(R.sent_at_ms[1], 500);
	ck_assert_uint_eq(R.sent_at_ms[2], 4500);
	ck_assert_uint_eq(R.sent_at_ms[3], 8500);
	rx("BYE", 200, "z9hG4bKn2", false);
	ck_assert_int_eq(R.responses, 2);
	rx("BYE", 200, "z9hG4bKn2", false); /* absorbed */
	ck_assert_int_eq(R.responses, 2);
	advance(5100); /* Timer K = T4 */
	ck_assert_int_eq(R.terminated, 1);
	ck_assert_int_eq(R.sent, 4);
}
END_TEST

START_TEST(test_ist_trying_g_ack_i)
{
	rx("INVITE", 0, "z9hG4bKs1", true);
	ck_assert_int_eq(R.requests, 1);
	ck_assert_ptr_nonnull(R.srv);
	advance(150);
	ck_assert_int_eq(R.sent, 0);
	advance(100); /* 17.2.1: 100 Trying after 200 ms */
	ck_assert_int_eq(R.sent, 1);
	ck_assert_str_eq(R.last, "SIP/2.0 100 Trying");
	rx("INVITE", 0, "z9hG4bKs1", true); /* retransmission: the last response again */
	ck_assert_int_eq(R.requests, 1);
	ck_assert_int_eq(R.sent, 2);
	ck_assert_int_eq(sip_txn_respond(R.srv, 486, (const uint8_t *)"SIP/2.0 486", 11), 0);
	ck_assert_int_eq(R.sent, 3);
	advance(1600); /* Timer G: 0.5 s, 1 s */
	ck_assert_int_eq(R.sent, 5);
	ck_assert_str_eq(R.last, "SIP/2.0 486");
	rx("ACK", 0, "z9hG4bKs1", true);
	ck_assert_str_eq(sip_txn_state_name(R.srv), "CONFIRMED");
	advance(3000);
	ck_assert_int_eq(R.sent, 5); /* no more retransmissions */
	advance(2100);		     /* Timer I = T4 */
	ck_assert_int_eq(R.terminated, 1);
	ck_assert_int_eq(R.acks, 0); /* the ACK for a non-2xx stays in the transaction */
}
END_TEST

START_TEST(test_ist_timer_h)
{
	rx("INVITE", 0, "z9hG4bKs2", true);
	sip_txn_respond(R.srv, 404, (const uint8_t *)"SIP/2.0 404", 11);
	advance(32100);
	ck_assert_int_eq(R.timeouts, 1); /* no ACK: Timer H */
	ck_assert_int_eq(R.terminated, 1);
	/* G: 0.5 1 2 4 4 4 4 4 4 ... within 32 s */
	ck_assert_int_ge(R.sent, 9);
}
END_TEST

START_TEST(test_ist_2xx_accepted_ack_to_tu)
{
	struct sip_txn *t;

	rx("INVITE", 0, "z9hG4bKs3", true);
	t = R.srv;
	ck_assert_int_eq(sip_txn_respond(t, 180, (const uint8_t *)"SIP/2.0 180", 11), 0);
	ck_assert_int_eq(sip_txn_respond(t, 200, (const uint8_t *)"SIP/2.0 200", 11), 0);
	ck_assert_str_eq(sip_txn_state_name(t), "ACCEPTED");
	ck_assert_int_eq(sip_txn_respond(t, 486, (const uint8_t *)"SIP/2.0 486", 11), -EALREADY);
	rx("INVITE", 0, "z9hG4bKs3", true); /* absorbed */
	ck_assert_int_eq(R.sent, 2);
	rx("ACK", 0, "z9hG4bKs3", true);
	ck_assert_int_eq(R.acks, 1);
	advance(32100); /* Timer L */
	ck_assert_int_eq(R.terminated, 1);
}
END_TEST

START_TEST(test_nist_timer_j_and_reliable)
{
	rx("OPTIONS", 0, "z9hG4bKs4", true);
	rx("OPTIONS", 0, "z9hG4bKs4", true); /* absorbed while Trying */
	ck_assert_int_eq(R.sent, 0);
	ck_assert_int_eq(R.requests, 1);
	sip_txn_respond(R.srv, 200, (const uint8_t *)"SIP/2.0 200", 11);
	rx("OPTIONS", 0, "z9hG4bKs4", true);
	ck_assert_int_eq(R.sent, 2); /* the 200 again */
	advance(32100);		     /* Timer J */
	ck_assert_int_eq(R.terminated, 1);

	/* on TCP the transaction ends with the final response */
	{
		struct sip_txn_info i = info(true, "OPTIONS", 0, "z9hG4bKs5");

		sip_txn_layer_rx(tl, &i, (const uint8_t *)"x", 1, &tcp);
		sip_txn_respond(R.srv, 200, (const uint8_t *)"SIP/2.0 200", 11);
		ck_assert_int_eq(R.terminated, 2);
	}
}
END_TEST

START_TEST(test_cancel_and_stray_ack)
{
	struct sip_txn *inv;
	struct sip_txn_info c = info(true, "CANCEL", 0, "z9hG4bKs6");

	rx("INVITE", 0, "z9hG4bKs6", true);
	inv = R.srv;
	sip_txn_layer_rx(tl, &c, (const uint8_t *)"x", 1, &udp);
	ck_assert_int_eq(R.requests, 2);
	ck_assert_ptr_ne(R.srv, inv); /* the CANCEL has its own transaction */
	ck_assert_ptr_eq(sip_txn_find_invite(tl, &c), inv);
	c.via_port = 5070; /* another sent-by: not the same INVITE */
	ck_assert_ptr_null(sip_txn_find_invite(tl, &c));
	/* an ACK for a 2xx that no transaction holds goes to the core */
	rx("ACK", 0, "z9hG4bKzzz", true);
	ck_assert(R.null_request);
}
END_TEST

START_TEST(test_rfc2543_matching)
{
	/* no magic cookie: matched on Call-ID, CSeq, From tag, Request-URI, Via */
	rx("INVITE", 0, "1234", true);
	ck_assert_int_eq(R.requests, 1);
	rx("INVITE", 0, "1234", true);
	ck_assert_int_eq(R.requests, 1);
	sip_txn_respond(R.srv, 486, (const uint8_t *)"SIP/2.0 486", 11);
	rx("ACK", 0, "1234", true);
	ck_assert_str_eq(sip_txn_state_name(R.srv), "CONFIRMED");
	{
		struct sip_txn_info i = info(true, "INVITE", 0, "1234");

		i.cseq = 2; /* a new request */
		sip_txn_layer_rx(tl, &i, (const uint8_t *)"x", 1, &udp);
		ck_assert_int_eq(R.requests, 2);
	}
}
END_TEST

/* A send that fails never ends the transaction under its caller (issue 13:
 * sip_txn_client_start returned a freed transaction, the BYE's leg kept it;
 * rtx_cb wrote rtx_ms into one: glibc "mismatching next->prev_size" in a
 * loaded scale run). The TU hears the transport error in an event of its
 * own; under ASan the old code fails here with heap-use-after-free. */
START_TEST(test_send_error_later)
{
	struct sip_txn_info i = info(true, "BYE", 0, "z9hG4bKf1");
	struct sip_txn *t;

	R.fail_from = 1;
	R.fail_rc = -ECONNRESET;
	t = sip_txn_client_start(tl, &i, REQ, 20, &tcp, &uops, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(sip_txn_kind(t), SIP_TXN_NICT); /* alive */
	ck_assert_int_eq(R.tr_errors, 0);		 /* not heard inside the call */
	ck_assert_uint_eq(sip_txn_layer_count(tl), 1);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 1);
	ck_assert_int_eq(R.terminated, 1);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 0);
}
END_TEST

/* A retransmission over UDP that fails with a hard error: rtx_cb goes on
 * with a live transaction; the TU hears it in the next event. */
START_TEST(test_rtx_send_error_later)
{
	struct sip_txn_info i = info(true, "BYE", 0, "z9hG4bKf2");

	R.fail_from = 2;
	R.fail_rc = -ENETUNREACH;
	ck_assert_ptr_nonnull(sip_txn_client_start(tl, &i, REQ, 20, &udp, &uops, NULL));
	advance(500); /* Timer E: the second send fails */
	ck_assert_int_eq(R.sent, 2);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 1);
	ck_assert_int_eq(R.terminated, 1);
	ck_assert_int_eq(R.timeouts, 0);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 0);
}
END_TEST

/* A server transaction whose response cannot be sent: sip_txn_respond
 * reads the transaction after the send, which must still be there. */
START_TEST(test_respond_send_error_later)
{
	{
		struct sip_txn_info r = info(true, "INVITE", 0, "z9hG4bKf3");

		sip_txn_layer_rx(tl, &r, (const uint8_t *)"x", 1, &tcp);
	}
	ck_assert_ptr_nonnull(R.srv);
	R.fail_from = 1;
	R.fail_rc = -EPIPE;
	ck_assert_int_eq(sip_txn_respond(R.srv, 486, (const uint8_t *)"SIP/2.0 486", 11), 0);
	ck_assert_int_eq(R.tr_errors, 0);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 1);
	ck_assert_uint_eq(sip_txn_layer_count(tl), 0);
}
END_TEST

/* Over UDP a local shortage (io_uring send slots all in use: -ENOBUFS) is
 * a datagram lost: the retransmission goes, no transport error. */
START_TEST(test_udp_no_buffer_is_a_loss)
{
	struct sip_txn_info i = info(true, "BYE", 0, "z9hG4bKf4");
	struct sip_txn *t;

	R.fail_from = 1;
	R.fail_rc = -ENOBUFS;
	t = sip_txn_client_start(tl, &i, REQ, 20, &udp, &uops, NULL);
	ck_assert_ptr_nonnull(t);
	advance(10);
	ck_assert_int_eq(R.tr_errors, 0);
	R.fail_from = 0;
	advance(500); /* Timer E */
	ck_assert_int_eq(R.sent, 2);
	rx("BYE", 200, "z9hG4bKf4", false);
	ck_assert_int_eq(R.responses, 1);
	ck_assert_int_eq(R.last_status, 200);
	ck_assert_int_eq(R.tr_errors, 0);
	ck_assert_int_eq(R.timeouts, 0);
}
END_TEST

Suite *sip_txn_suite(void)
{
	Suite *s = suite_create("sip_txn");
	TCase *tc = unit_tcase("txn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ict_timer_a_and_b);
	tcase_add_test(tc, test_timers_follow_t1);
	tcase_add_test(tc, test_ict_non2xx_ack_and_timer_d);
	tcase_add_test(tc, test_ict_2xx_accepted_timer_m);
	tcase_add_test(tc, test_ict_reliable);
	tcase_add_test(tc, test_nict_timer_e_f);
	tcase_add_test(tc, test_nict_proceeding_then_final_timer_k);
	tcase_add_test(tc, test_ist_trying_g_ack_i);
	tcase_add_test(tc, test_ist_timer_h);
	tcase_add_test(tc, test_ist_2xx_accepted_ack_to_tu);
	tcase_add_test(tc, test_nist_timer_j_and_reliable);
	tcase_add_test(tc, test_cancel_and_stray_ack);
	tcase_add_test(tc, test_rfc2543_matching);
	tcase_add_test(tc, test_send_error_later);
	tcase_add_test(tc, test_rtx_send_error_later);
	tcase_add_test(tc, test_respond_send_error_later);
	tcase_add_test(tc, test_udp_no_buffer_is_a_loss);
	tcase_add_test(tc, test_udp_unreachable_spares_answered);
	tcase_add_test(tc, test_unreachable_only_its_address);
	tcase_add_test(tc, test_unreachable_quoted_request_only);
	tcase_add_test(tc, test_unreachable_index_holds_unanswered);
	tcase_add_test(tc, test_unreachable_quoted_response);
	suite_add_tcase(s, tc);
	return s;
}
