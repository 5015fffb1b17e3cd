/* sip/sip_transport: UDP, TCP (pipelining, CRLF keep-alive, connection
 * reuse, bad framing), TLS (verified, and a wrong name refused; a stale
 * OpenSSL error queue); ICMP port unreachable on UDP fails the client
 * transactions toward that address at once (RFC 3261 18.4). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "core/loop.h"
#include "sip/sip_transport.h"
#include "sip/sip_txn.h"
#include "tests/unit/unit.h"

/* Test framing: headers end at the blank line, Content-Length gives the
 * body (the real one comes from the SIP message layer). */
static ssize_t test_frame(const uint8_t *buf, size_t len)
{
	const char *s = (const char *)buf, *end = memmem(s, len, "\r\n\r\n", 4), *cl;
	size_t hdr, body = 0;

	if (!end)
		return len > 8192 ? -1 : 0;
	hdr = (size_t)(end - s) + 4;
	if (len < 3 || (memcmp(s, "SIP", 3) && memcmp(s, "INV", 3) && memcmp(s, "OPT", 3)))
		return -1;
	cl = memmem(s, hdr, "\r\nContent-Length:", 17);
	if (cl)
		body = (size_t)strtoul(cl + 17, NULL, 10);
	return hdr + body <= len ? (ssize_t)(hdr + body) : 0;
}

struct side {
	struct sip_transport *t;
	int got;
	char last[512];
	struct sip_rx last_rx;
	bool reply;
};

static void on_rx(void *priv, const struct sip_rx *rx)
{
	struct side *s = priv;
	size_t n = rx->len < sizeof(s->last) - 1 ? rx->len : sizeof(s->last) - 1;

	memcpy(s->last, rx->data, n);
	s->last[n] = 0;
	s->last_rx = *rx;
	s->got++;
	if (s->reply) {
		static const char resp[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";

		ck_assert_int_eq(sip_transport_send(s->t, rx->proto, (struct sockaddr *)&rx->src,
						    rx->src_len, rx->conn, NULL, resp,
						    sizeof(resp) - 1),
				 0);
	}
}

static void noop(void *p)
{
	(void)p;
}

static void turn_until(struct loop *l, const int *counter, int want, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct loop_timer g;

	loop_timer_init(&g, noop, NULL);
	while ((!counter || *counter < want) && loop_now_ns() < end) {
		loop_timer_schedule(l, &g, 10000);
		loop_run_once(l);
	}
	loop_timer_cancel(l, &g);
}

static struct sockaddr_in lo(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static const char req1[] = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nContent-Length: 4\r\n\r\nbody";
static const char req2[] = "INVITE sip:b@127.0.0.1 SIP/2.0\r\nContent-Length: 0\r\n\r\n";

START_TEST(test_udp)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct side a = {.reply = true};
	struct sockaddr_in addr = lo();
	struct sockaddr_storage local;
	struct sip_listener *ls;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[256];
	struct pollfd p = {.fd = fd, .events = POLLIN};

	a.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &a);
	ls = sip_transport_listen(a.t, SIP_PROTO_UDP, (struct sockaddr *)&addr, sizeof(addr), NULL);
	ck_assert_ptr_nonnull(ls);
	sip_listener_local(ls, &local);
	sendto(fd, req1, sizeof(req1) - 1, 0, (struct sockaddr *)&local, sizeof(addr));
	sendto(fd, "\r\n\r\n", 4, 0, (struct sockaddr *)&local, sizeof(addr)); /* ignored */
	turn_until(l, &a.got, 1, 1000);
	ck_assert_int_eq(a.got, 1);
	ck_assert_str_eq(a.last, req1);
	ck_assert_int_eq(a.last_rx.proto, SIP_PROTO_UDP);
	turn_until(l, NULL, 0, 30);
	ck_assert_int_eq(poll(&p, 1, 500), 1);
	ck_assert_int_gt(recv(fd, buf, sizeof(buf), 0), 10);
	ck_assert(!memcmp(buf, "SIP/2.0 200 OK", 14));
	ck_assert_int_eq(a.got, 1);
	close(fd);
	sip_transport_free(a.t);
	turn_until(l, NULL, 0, 20);
	loop_free(l);
}
END_TEST

START_TEST(test_tcp_caps_and_deadline)
{
	/* 2 connections per source, 3 in all: of 4 clients from 127.0.0.1
	 * two stay; one from 127.0.0.2 stays, a second from there is over the
	 * cap in all. A client that never finishes its headers is closed by
	 * the message deadline (1 s) while a complete message goes through. */
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct side a = {0};
	struct sockaddr_in addr = lo(), src2 = lo();
	struct sockaddr_storage local;
	struct sip_listener *ls;
	const struct sip_transport_stats *st;
	struct sip_transport_cfg cfg = {
		.max_conns = 3, .max_conns_per_source = 2, .msg_timeout_s = 1};
	int fd[6], closed = 0;
	bool gone[6] = {false};

	a.t = sip_transport_alloc(unit_ctx, l, &cfg, test_frame, on_rx, &a);
	ls = sip_transport_listen(a.t, SIP_PROTO_TCP, (struct sockaddr *)&addr, sizeof(addr), NULL);
	ck_assert_ptr_nonnull(ls);
	sip_listener_local(ls, &local);
	src2.sin_addr.s_addr = htonl(0x7f000002);
	for (int i = 0; i < 6; i++) {
		fd[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (i >= 4)
			ck_assert_int_eq(bind(fd[i], (struct sockaddr *)&src2, sizeof(src2)), 0);
		ck_assert_int_eq(connect(fd[i], (struct sockaddr *)&local, sizeof(addr)), 0);
		turn_until(l, NULL, 0, 30);
	}
	st = sip_transport_get_stats(a.t);
	ck_assert_uint_eq(sip_transport_conn_count(a.t), 3);
	ck_assert_uint_eq(st->conns_refused_source, 2);
	ck_assert_uint_eq(st->conns_refused_total, 1);
	/* the kept ones: 0, 1 and 4. 0 sends a whole message, 1 half a one */
	ck_assert_int_eq(send(fd[0], req2, sizeof(req2) - 1, 0), (ssize_t)sizeof(req2) - 1);
	ck_assert_int_eq(send(fd[1], req2, 20, 0), 20);
	turn_until(l, &a.got, 1, 500);
	ck_assert_int_eq(a.got, 1);
	turn_until(l, NULL, 0, 2600);
	/* 1 (half a message) and 4 (nothing at all) are gone; 0 stays */
	ck_assert_uint_eq(st->conns_deadline, 2);
	ck_assert_uint_eq(sip_transport_conn_count(a.t), 1);
	/* the clients see the closes (the server's close of a connection
	 * that timed out completes in the loop's next turns: on a loaded
	 * machine after the deadline's own turn, so turned until seen) */
	for (int round = 0; round < 150 && closed < 5; round++) {
		for (int i = 0; i < 6; i++) {
			struct pollfd p = {.fd = fd[i], .events = POLLIN};
			char c;

			if (!gone[i] && poll(&p, 1, 0) == 1 &&
			    recv(fd[i], &c, 1, MSG_DONTWAIT) <= 0) {
				gone[i] = true;
				closed++;
			}
		}
		if (closed < 5)
			turn_until(l, NULL, 0, 20);
	}
	ck_assert_int_eq(closed, 5);
	ck_assert(!gone[0]);
	for (int i = 0; i < 6; i++)
		close(fd[i]);
	sip_transport_free(a.t);
	turn_until(l, NULL, 0, 20);
	loop_free(l);
}
END_TEST

START_TEST(test_tcp_pipeline_keepalive_reuse)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct side a = {.reply = true}, b = {0};
	struct sockaddr_in addr = lo();
	struct sockaddr_storage local;
	struct sip_listener *ls;
	char two[512];

	a.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &a);
	b.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &b);
	ls = sip_transport_listen(a.t, SIP_PROTO_TCP, (struct sockaddr *)&addr, sizeof(addr), NULL);
	ck_assert_ptr_nonnull(ls);
	sip_listener_local(ls, &local);

	/* two requests and a keep-alive ping in one write */
	snprintf(two, sizeof(two), "%s\r\n\r\n%s", req1, req2);
	ck_assert_int_eq(sip_transport_send(b.t, SIP_PROTO_TCP, (struct sockaddr *)&local,
					    sizeof(addr), NULL, NULL, two, strlen(two)),
			 0);
	turn_until(l, &b.got, 2, 2000);
	ck_assert_int_eq(a.got, 2);
	ck_assert_str_eq(a.last, req2);
	ck_assert_int_eq(b.got, 2); /* two responses, on the same connection */
	ck_assert_ptr_nonnull(b.last_rx.conn);
	ck_assert_uint_eq(sip_transport_get_stats(a.t)->keepalives_answered, 1);

	/* a further request reuses the connection */
	ck_assert_int_eq(sip_transport_send(b.t, SIP_PROTO_TCP, (struct sockaddr *)&local,
					    sizeof(addr), NULL, NULL, req1, sizeof(req1) - 1),
			 0);
	turn_until(l, &b.got, 3, 2000);
	ck_assert_int_eq(a.got, 3);
	ck_assert_uint_eq(sip_transport_get_stats(b.t)->conns_out, 1);
	ck_assert_uint_eq(sip_transport_conn_count(b.t), 1);

	/* garbage on the stream closes that connection, on both sides */
	ck_assert_int_eq(sip_transport_send(b.t, SIP_PROTO_TCP, (struct sockaddr *)&local,
					    sizeof(addr), NULL, NULL, "GARBAGE\r\n\r\n", 11),
			 0);
	turn_until(l, NULL, 0, 200);
	ck_assert_uint_eq(sip_transport_get_stats(a.t)->rx_bad_frames, 1);
	ck_assert_uint_eq(sip_transport_conn_count(a.t), 0);
	ck_assert_uint_eq(sip_transport_conn_count(b.t), 0);

	sip_transport_free(b.t);
	sip_transport_free(a.t);
	turn_until(l, NULL, 0, 20);
	loop_free(l);
}
END_TEST

START_TEST(test_ipv6_udp_tcp)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct side a = {.reply = true}, b = {0};
	struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_storage ludp, ltcp;
	struct sip_listener *lu, *lt;

	a.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &a);
	b.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &b);
	lu = sip_transport_listen(a.t, SIP_PROTO_UDP, (struct sockaddr *)&addr, sizeof(addr), NULL);
	lt = sip_transport_listen(a.t, SIP_PROTO_TCP, (struct sockaddr *)&addr, sizeof(addr), NULL);
	if (!lu || !lt) {
		sip_transport_free(b.t);
		sip_transport_free(a.t);
		loop_free(l);
		unit_skip("no IPv6 on loopback (cannot bind [::1])");
	}
	sip_listener_local(lu, &ludp);
	sip_listener_local(lt, &ltcp);
	/* b needs a UDP socket of its own family to send from */
	{
		struct sockaddr_in6 any = {.sin6_family = AF_INET6,
					   .sin6_addr = IN6ADDR_LOOPBACK_INIT};

		ck_assert_ptr_nonnull(sip_transport_listen(
			b.t, SIP_PROTO_UDP, (struct sockaddr *)&any, sizeof(any), NULL));
	}
	ck_assert_int_eq(sip_transport_send(b.t, SIP_PROTO_UDP, (struct sockaddr *)&ludp,
					    sizeof(struct sockaddr_in6), NULL, NULL, req1,
					    sizeof(req1) - 1),
			 0);
	ck_assert_int_eq(sip_transport_send(b.t, SIP_PROTO_TCP, (struct sockaddr *)&ltcp,
					    sizeof(struct sockaddr_in6), NULL, NULL, req2,
					    sizeof(req2) - 1),
			 0);
	turn_until(l, &b.got, 2, 2000);
	ck_assert_int_eq(a.got, 2);
	ck_assert_int_eq(b.got, 2); /* both answered, over [::1] */
	ck_assert_int_eq(a.last_rx.src.ss_family, AF_INET6);
	sip_transport_free(b.t);
	sip_transport_free(a.t);
	turn_until(l, NULL, 0, 20);
	loop_free(l);
}
END_TEST

static const char *vec(const char *name, char *buf)
{
	strcpy(buf, unit_vector_path(name));
	return buf;
}

START_TEST(test_tls_verified_and_wrong_name)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct side a = {.reply = true}, b = {0};
	struct sockaddr_in addr = lo();
	struct sockaddr_storage local;
	char cert[4096], key[4096], ca[4096];
	struct sip_tls_cfg srv = {.cert_file = vec("tls/server.pem", cert),
				  .key_file = vec("tls/server.key", key)};
	struct sip_tls_cfg cli = {
		.ca_file = vec("tls/ca.pem", ca), .verify_peer = true, .server_name = "localhost"};
	struct sip_listener *ls;

	a.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &a);
	b.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &b);
	ls = sip_transport_listen(a.t, SIP_PROTO_TLS, (struct sockaddr *)&addr, sizeof(addr), &srv);
	ck_assert_ptr_nonnull(ls);
	sip_listener_local(ls, &local);

	ck_assert_int_eq(sip_transport_send(b.t, SIP_PROTO_TLS, (struct sockaddr *)&local,
					    sizeof(addr), NULL, &cli, req1, sizeof(req1) - 1),
			 0);
	turn_until(l, &b.got, 1, 3000);
	ck_assert_int_eq(a.got, 1);
	ck_assert_str_eq(a.last, req1);
	ck_assert_int_eq(a.last_rx.proto, SIP_PROTO_TLS);
	ck_assert_int_eq(b.got, 1);
	ck_assert(!memcmp(b.last, "SIP/2.0 200 OK", 14));
	sip_transport_free(b.t);

	/* the certificate is for localhost: a client expecting another name refuses it */
	b.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &b);
	cli.server_name = "carrier.example";
	ck_assert_int_eq(sip_transport_send(b.t, SIP_PROTO_TLS, (struct sockaddr *)&local,
					    sizeof(addr), NULL, &cli, req1, sizeof(req1) - 1),
			 0);
	turn_until(l, NULL, 0, 500);
	ck_assert_int_eq(a.got, 1);
	ck_assert_uint_eq(sip_transport_get_stats(b.t)->tls_handshake_failures, 1);
	ck_assert_uint_eq(sip_transport_conn_count(b.t), 0);

	sip_transport_free(b.t);
	sip_transport_free(a.t);
	turn_until(l, NULL, 0, 20);
	loop_free(l);
}
END_TEST

/* OpenSSL's error queue is per thread and SSL_get_error() reads it: an
 * error another connection left there (a failed verification pushes
 * several) must not make a healthy handshake or read look fatal. The queue
 * is dirtied before every turn of the loop. */
START_TEST(test_tls_stale_error_queue)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct side a = {.reply = true}, b = {0};
	struct sockaddr_in addr = lo();
	struct sockaddr_storage local;
	char cert[4096], key[4096], ca[4096];
	struct sip_tls_cfg srv = {.cert_file = vec("tls/server.pem", cert),
				  .key_file = vec("tls/server.key", key)};
	struct sip_tls_cfg cli = {
		.ca_file = vec("tls/ca.pem", ca), .verify_peer = true, .server_name = "localhost"};
	struct sip_listener *ls;
	uint64_t end;
	struct loop_timer g;

	a.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &a);
	b.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, on_rx, &b);
	ls = sip_transport_listen(a.t, SIP_PROTO_TLS, (struct sockaddr *)&addr, sizeof(addr), &srv);
	ck_assert_ptr_nonnull(ls);
	sip_listener_local(ls, &local);
	ck_assert_int_eq(sip_transport_send(b.t, SIP_PROTO_TLS, (struct sockaddr *)&local,
					    sizeof(addr), NULL, &cli, req1, sizeof(req1) - 1),
			 0);
	loop_timer_init(&g, noop, NULL);
	end = loop_now_ns() + 3000000000ull;
	while (b.got < 1 && loop_now_ns() < end) {
		ERR_raise(ERR_LIB_SSL, SSL_R_CERTIFICATE_VERIFY_FAILED);
		ERR_raise(ERR_LIB_SSL, SSL_R_UNEXPECTED_EOF_WHILE_READING);
		loop_timer_schedule(l, &g, 10000);
		loop_run_once(l);
	}
	loop_timer_cancel(l, &g);
	ERR_clear_error();
	ck_assert_int_eq(a.got, 1);
	ck_assert_int_eq(b.got, 1);
	ck_assert(!memcmp(b.last, "SIP/2.0 200 OK", 14));
	ck_assert_uint_eq(sip_transport_get_stats(a.t)->tls_handshake_failures, 0);
	ck_assert_uint_eq(sip_transport_get_stats(b.t)->tls_handshake_failures, 0);
	ck_assert_uint_eq(sip_transport_conn_count(b.t), 1);

	sip_transport_free(b.t);
	sip_transport_free(a.t);
	turn_until(l, NULL, 0, 20);
	loop_free(l);
}
END_TEST

/* --- ICMP unreachable on UDP (RFC 3261 18.4, 17.1.1.2, 17.1.2.2) --- */

struct icmp_side {
	struct sip_transport *t;
	struct sip_txn_layer *tl;
	int terr, timeouts, terminated, conn_errors, rx, quoted;
	uint64_t terr_ns;
};

static struct icmp_side *IS;

static void icmp_rx(void *priv, const struct sip_rx *rx)
{
	struct icmp_side *s = priv;

	(void)rx;
	s->rx++;
}

static int icmp_send(void *priv, const struct sip_txn_dest *d, const uint8_t *buf, size_t len)
{
	struct icmp_side *s = priv;

	return sip_transport_send(s->t, d->proto, (const struct sockaddr *)&d->addr, d->addr_len,
				  d->conn, NULL, buf, len);
}

static int icmp_no_build(void *priv, const uint8_t *req, size_t req_len, const uint8_t *rsp,
			 size_t rsp_len, const void *rsp_msg, uint8_t *buf, size_t size)
{
	(void)priv, (void)req, (void)req_len, (void)rsp, (void)rsp_len, (void)rsp_msg, (void)buf,
		(void)size;
	return -EINVAL;
}

static const struct sip_txn_layer_ops icmp_lops = {
	.send = icmp_send,
	.build_ack = icmp_no_build,
};

static void icmp_conn_error(void *priv, enum sip_proto proto, const struct sockaddr *peer,
			    socklen_t plen, const struct sip_refused *which)
{
	struct icmp_side *s = priv;
	struct sip_txn_dest d = {.proto = proto, .addr_len = plen};

	memcpy(&d.addr, peer, plen);
	s->conn_errors++;
	if (which && which->branch_len)
		s->quoted++;
	sip_txn_layer_transport_error(s->tl, &d, which);
}

static void icmp_u_terr(void *tu, struct sip_txn *t)
{
	(void)tu;
	(void)t;
	IS->terr++;
	IS->terr_ns = loop_now_ns();
}

static void icmp_u_timeout(void *tu, struct sip_txn *t)
{
	(void)tu;
	(void)t;
	IS->timeouts++;
}

static void icmp_u_terminated(void *tu, struct sip_txn *t)
{
	(void)tu;
	(void)t;
	IS->terminated++;
}

static const struct sip_txn_user_ops icmp_uops = {
	.timeout = icmp_u_timeout,
	.transport_error = icmp_u_terr,
	.terminated = icmp_u_terminated,
};

/* A transport and a transaction layer over it, ICMP errors reported to
 * the layer (IS: the side the callbacks count on) */
static void icmp_side_open(struct icmp_side *s, struct loop *l)
{
	IS = s;
	s->t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, icmp_rx, s);
	s->tl = sip_txn_layer_alloc(unit_ctx, &icmp_lops, s, NULL);
	sip_transport_on_conn_error(s->t, icmp_conn_error);
}

static void icmp_side_close(struct icmp_side *s, struct loop *l)
{
	sip_txn_layer_free(s->tl);
	sip_transport_free(s->t);
	turn_until(l, NULL, 0, 20);
	loop_free(l);
	IS = NULL;
}

static struct sip_txn_info icmp_info(const char *method, const char *branch)
{
	return (struct sip_txn_info){
		.request = true,
		.method = tstr_make(method, strlen(method)),
		.branch = tstr_make(branch, strlen(branch)),
		.via_host = TSTR_LIT("127.0.0.1"),
		.via_port = 5060,
		.ruri = TSTR_LIT("sip:x@127.0.0.1"),
		.call_id = TSTR_LIT("icmp-1"),
		.from_tag = TSTR_LIT("ft"),
		.cseq = 1,
	};
}

/* a UDP port on 127.0.0.1 that nothing listens on (bound, then closed) */
static struct sockaddr_in closed_port(void)
{
	struct sockaddr_in a = lo();
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return a;
}

START_TEST(test_udp_icmp_unreachable)
{
	/* An INVITE client transaction toward a closed UDP port ends with a
	 * transport error within a second (Timer B would be 32 s), delivered
	 * from the layer's own event, never inside the send; a transaction
	 * toward a live address sent at the same time is not touched. */
	struct loop_cfg lc = {.drive_osmocom = true}; /* the layer's timers */
	struct loop *l = loop_alloc(unit_ctx, &lc);
	struct icmp_side s = {0};
	struct sockaddr_in addr = lo(), dead = closed_port(), live = lo();
	socklen_t llen = sizeof(live);
	struct sip_listener *ls;
	int lfd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sip_txn_info inv = icmp_info("INVITE", "z9hG4bK-icmp-inv"),
			    opt = icmp_info("OPTIONS", "z9hG4bK-icmp-opt");
	struct sip_txn_dest dd = {.proto = SIP_PROTO_UDP, .addr_len = sizeof(dead)},
			    dl = {.proto = SIP_PROTO_UDP, .addr_len = sizeof(live)};
	struct sip_txn *ti, *to;
	const char *what = NULL, *last;
	char want[64], buf[256];
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	uint64_t t0;

	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&live, sizeof(live)), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&live, &llen), 0);
	memcpy(&dd.addr, &dead, sizeof(dead));
	memcpy(&dl.addr, &live, sizeof(live));
	icmp_side_open(&s, l);
	ls = sip_transport_listen(s.t, SIP_PROTO_UDP, (struct sockaddr *)&addr, sizeof(addr), NULL);
	ck_assert_ptr_nonnull(ls);

	t0 = loop_now_ns();
	ti = sip_txn_client_start(s.tl, &inv, (const uint8_t *)req2, sizeof(req2) - 1, &dd,
				  &icmp_uops, NULL);
	to = sip_txn_client_start(s.tl, &opt, (const uint8_t *)req1, sizeof(req1) - 1, &dl,
				  &icmp_uops, NULL);
	ck_assert_ptr_nonnull(ti);
	ck_assert_ptr_nonnull(to);
	/* nothing reached the user inside the sends */
	ck_assert_int_eq(s.terr, 0);
	ck_assert_int_eq(sip_txn_layer_count(s.tl), 2);
	/* the INVITE's retransmission (T1, 500 ms) refused too: well before
	 * Timer B (32 s) */
	turn_until(l, &s.terr, 1, 3000);
	ck_assert_int_eq(s.terr, 1);
	ck_assert_uint_lt(s.terr_ns - t0, 3000000000ull);
	ck_assert_int_eq(s.timeouts, 0);
	turn_until(l, NULL, 0, 50);
	/* the INVITE's transaction is gone, the OPTIONS' runs on */
	ck_assert_int_eq(s.terr, 1);
	ck_assert_int_eq(s.terminated, 1);
	ck_assert_int_eq(sip_txn_layer_count(s.tl), 1);
	ck_assert_int_ge(s.conn_errors, 1);
	ck_assert_uint_ge(sip_transport_get_stats(s.t)->udp_icmp_unreachable, 1);
	last = sip_transport_icmp_last(s.t, &what);
	ck_assert_ptr_nonnull(last);
	snprintf(want, sizeof(want), "127.0.0.1:%u", ntohs(dead.sin_port));
	ck_assert_str_eq(last, want);
	ck_assert_str_eq(what, "port unreachable");
	ck_assert_int_eq(poll(&p, 1, 500), 1);
	ck_assert_int_gt(recv(lfd, buf, sizeof(buf), 0), 10);
	ck_assert(!memcmp(buf, "OPTIONS ", 8));
	ck_assert_uint_ge(loop_get_stats(l)->udp_icmp_errors, 1);
	/* the error ended the multishot receive: it was armed again */
	{
		struct sockaddr_storage local;

		sip_listener_local(ls, &local);
		ck_assert_int_eq(sendto(lfd, req1, sizeof(req1) - 1, 0, (struct sockaddr *)&local,
					sizeof(struct sockaddr_in)),
				 (ssize_t)(sizeof(req1) - 1));
		turn_until(l, &s.rx, 1, 1000);
		ck_assert_int_eq(s.rx, 1);
	}

	close(lfd);
	icmp_side_close(&s, l);
}
END_TEST

START_TEST(test_udp_icmp6_unreachable)
{
	/* The same over IPv6 (IPV6_RECVERR, ICMPv6 port unreachable): the
	 * client transaction toward a closed [::1] port ends at once. */
	struct loop_cfg lc = {.drive_osmocom = true};
	struct loop *l = loop_alloc(unit_ctx, &lc);
	struct icmp_side s = {0};
	struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT},
			    dead = addr;
	socklen_t dlen = sizeof(dead);
	struct sip_listener *ls;
	struct sip_txn_info inv = icmp_info("INVITE", "z9hG4bK-icmp6-inv");
	struct sip_txn_dest dd = {.proto = SIP_PROTO_UDP, .addr_len = sizeof(dead)};
	const char *what = NULL;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	uint64_t t0;

	icmp_side_open(&s, l);
	ls = sip_transport_listen(s.t, SIP_PROTO_UDP, (struct sockaddr *)&addr, sizeof(addr), NULL);
	if (!ls || fd < 0 || bind(fd, (struct sockaddr *)&dead, sizeof(dead)) < 0) {
		if (fd >= 0)
			close(fd);
		sip_txn_layer_free(s.tl);
		sip_transport_free(s.t);
		loop_free(l);
		IS = NULL;
		unit_skip("no IPv6 on loopback (cannot bind [::1])");
	}
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&dead, &dlen), 0);
	close(fd); /* the port is closed now */
	memcpy(&dd.addr, &dead, sizeof(dead));
	t0 = loop_now_ns();
	ck_assert_ptr_nonnull(sip_txn_client_start(s.tl, &inv, (const uint8_t *)req2,
						   sizeof(req2) - 1, &dd, &icmp_uops, NULL));
	/* the INVITE's retransmission (T1, 500 ms) refused too: well before
	 * Timer B (32 s) */
	turn_until(l, &s.terr, 1, 3000);
	ck_assert_int_eq(s.terr, 1);
	ck_assert_uint_lt(s.terr_ns - t0, 3000000000ull);
	ck_assert_int_eq(s.timeouts, 0);
	/* the first datagram's and its retransmission's */
	ck_assert_uint_eq(sip_transport_get_stats(s.t)->udp_icmp_unreachable, 2);
	ck_assert_ptr_nonnull(sip_transport_icmp_last(s.t, &what));
	ck_assert_str_eq(what, "port unreachable");

	icmp_side_close(&s, l);
}
END_TEST

START_TEST(test_refused_parse)
{
	/* what an ICMP error quotes of a request: the method and the top
	 * Via's branch, whole; of a response: its request's branch and the
	 * CSeq's method */
	static const struct {
		const char *quote, *method, *branch;
		int rc;
	} v[] = {
		{"INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP "
		 "10.0.0.1:5060;branch=z9hG4bKx1;rport\r\n"
		 "Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKnot\r\n",
		 "INVITE", "z9hG4bKx1", 0},
		{"CANCEL sip:a@b SIP/2.0\r\nMax-Forwards: 70\r\nv : SIP/2.0/UDP "
		 "h;BRANCH=z9hG4bKc2\r\n",
		 "CANCEL", "z9hG4bKc2", 0},
		{"BYE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;received=1.2.3.4;branch=z9hG4bKb3, "
		 "SIP/2.0/UDP g;branch=z9hG4bKb4\r\n",
		 "BYE", "z9hG4bKb3", 0},
		/* cut off inside the Via line: no branch */
		{"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKcu", "OPTIONS", "",
		 0},
		/* no Via before the headers end */
		{"INFO sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\n\r\nVia: x;branch=z9hG4bKbody\r\n",
		 "INFO", "", 0},
		/* a header merely ending in "via" is not Via */
		{"INVITE sip:a@b SIP/2.0\r\nX-Via: SIP/2.0/UDP h;branch=z9hG4bKxv\r\n", "INVITE",
		 "", 0},
		/* a response: its request's branch (top Via) and method (CSeq) */
		{"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr1\r\n"
		 "Via: SIP/2.0/UDP g;branch=z9hG4bKr0\r\nCSeq: 1 INVITE\r\n",
		 "INVITE", "z9hG4bKr1", 1},
		{"SIP/2.0 200 OK\r\nCSeq:7 CANCEL\r\nv: x;branch=z9hG4bKc7\r\n", "CANCEL",
		 "z9hG4bKc7", 1},
		/* no CSeq, or one cut off: no method */
		{"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKr\r\n", "", "z9hG4bKr", 1},
		{"SIP/2.0 200 OK\r\nVia: x;branch=z9hG4bKr\r\nCSeq: 1 INVI", "", "z9hG4bKr", 1},
		/* a request's method is its request line's */
		{"INVITE sip:a@b SIP/2.0\r\nCSeq: 1 BYE\r\nVia: x;branch=z9hG4bKq\r\n", "INVITE",
		 "z9hG4bKq", 0},
		{"garbage", "", "", 0},
		/* not tokens (a forged quote aimed at the log): nothing */
		{"INV\x1b[2JITE sip:a@b SIP/2.0\r\nVia: x;branch=z9hG4bKok\r\n", "", "", 0},
		{"INVITE sip:a@b SIP/2.0\r\nVia: x;branch=z9hG4bK\x07"
		 "bell\r\n",
		 "INVITE", "", 0},
		{"", "", "", 0},
	};

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct sip_refused r;
		int rc = sip_refused_parse((const uint8_t *)v[i].quote, strlen(v[i].quote), &r);

		ck_assert_int_eq(rc, v[i].rc);
		ck_assert_msg(r.method_len == strlen(v[i].method) &&
				      !memcmp(r.method ? r.method : "", v[i].method, r.method_len),
			      "vector %u: method '%.*s'", i, (int)r.method_len,
			      r.method ? r.method : "");
		ck_assert_msg(r.branch_len == strlen(v[i].branch) &&
				      !memcmp(r.branch ? r.branch : "", v[i].branch, r.branch_len),
			      "vector %u: branch '%.*s'", i, (int)r.branch_len,
			      r.branch ? r.branch : "");
	}
}
END_TEST

/* The kernel's ICMP error quotes the refused INVITE: its branch reaches
 * the transaction layer, which ends that INVITE only; another INVITE to
 * the same closed port, sent later, has its own quotes. */
START_TEST(test_udp_icmp_quotes_the_request)
{
	struct loop_cfg lc = {.drive_osmocom = true};
	struct loop *l = loop_alloc(unit_ctx, &lc);
	struct icmp_side s = {0};
	struct sockaddr_in addr = lo(), dead = closed_port();
	struct sip_listener *ls;
	static const char inv[] = "INVITE sip:b@127.0.0.1 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-q-one;rport\r\n"
				  "Content-Length: 0\r\n\r\n";
	struct sip_txn_info one = icmp_info("INVITE", "z9hG4bK-q-one");
	struct sip_txn_dest dd = {.proto = SIP_PROTO_UDP, .addr_len = sizeof(dead)};

	memcpy(&dd.addr, &dead, sizeof(dead));
	icmp_side_open(&s, l);
	ls = sip_transport_listen(s.t, SIP_PROTO_UDP, (struct sockaddr *)&addr, sizeof(addr), NULL);
	ck_assert_ptr_nonnull(ls);
	ck_assert_ptr_nonnull(sip_txn_client_start(s.tl, &one, (const uint8_t *)inv,
						   sizeof(inv) - 1, &dd, &icmp_uops, NULL));
	/* its first datagram and its retransmission refused: quoted both */
	turn_until(l, &s.terr, 1, 3000);
	ck_assert_int_eq(s.terr, 1);
	ck_assert_int_ge(s.quoted, 2);
	ck_assert_int_eq(s.quoted, s.conn_errors);
	ck_assert_int_eq(s.timeouts, 0);

	icmp_side_close(&s, l);
}
END_TEST

START_TEST(test_udp_icmp_pending_error_send_again)
{
	/* With IP_RECVERR the kernel fails the socket's next call with an
	 * ICMP error it holds, whichever datagram that call sends. Two sends
	 * in one batch: on loopback the closed port's ICMP comes back while
	 * the first is sent, so the second (to a live peer) fails with it: it
	 * goes out again and arrives, and only the closed port is reported. */
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct icmp_side s = {0};
	struct sockaddr_in addr = lo(), dead = closed_port(), live = lo();
	socklen_t llen = sizeof(live);
	struct sip_listener *ls;
	int lfd = socket(AF_INET, SOCK_DGRAM, 0);
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	char buf[256];

	IS = &s;
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&live, sizeof(live)), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&live, &llen), 0);
	s.t = sip_transport_alloc(unit_ctx, l, NULL, test_frame, icmp_rx, &s);
	ls = sip_transport_listen(s.t, SIP_PROTO_UDP, (struct sockaddr *)&addr, sizeof(addr), NULL);
	ck_assert_ptr_nonnull(ls);

	ck_assert_int_eq(sip_transport_send(s.t, SIP_PROTO_UDP, (struct sockaddr *)&dead,
					    sizeof(dead), NULL, NULL, req2, sizeof(req2) - 1),
			 0);
	ck_assert_int_eq(sip_transport_send(s.t, SIP_PROTO_UDP, (struct sockaddr *)&live,
					    sizeof(live), NULL, NULL, req1, sizeof(req1) - 1),
			 0);
	turn_until(l, NULL, 0, 100);
	ck_assert_int_eq(poll(&p, 1, 500), 1);
	ck_assert_int_gt(recv(lfd, buf, sizeof(buf), 0), 10);
	ck_assert(!memcmp(buf, "OPTIONS ", 8));
	ck_assert_uint_eq(loop_get_stats(l)->udp_tx_resent, 1);
	ck_assert_uint_eq(loop_get_stats(l)->udp_tx, 2);
	ck_assert_uint_eq(sip_transport_get_stats(s.t)->udp_icmp_unreachable, 1);
	ck_assert_uint_eq(loop_get_stats(l)->udp_icmp_errors, 1);

	close(lfd);
	sip_transport_free(s.t);
	turn_until(l, NULL, 0, 20);
	loop_free(l);
	IS = NULL;
}
END_TEST

Suite *sip_transport_suite(void)
{
	Suite *s = suite_create("sip_transport");
	TCase *tc = unit_tcase("transport");

	tcase_add_test(tc, test_udp);
	tcase_add_test(tc, test_tcp_pipeline_keepalive_reuse);
	tcase_add_test(tc, test_tcp_caps_and_deadline);
	tcase_add_test(tc, test_tls_verified_and_wrong_name);
	tcase_add_test(tc, test_tls_stale_error_queue);
	tcase_add_test(tc, test_ipv6_udp_tcp);
	tcase_add_test(tc, test_udp_icmp_unreachable);
	tcase_add_test(tc, test_udp_icmp_pending_error_send_again);
	tcase_add_test(tc, test_udp_icmp6_unreachable);
	tcase_add_test(tc, test_refused_parse);
	tcase_add_test(tc, test_udp_icmp_quotes_the_request);
	suite_add_tcase(s, tc);
	return s;
}
