/* core/loop: loop_trim_rx gives back the pages of the receive buffer rings
 * (issue 13) and receiving goes on whole: datagrams and stream bytes
 * waiting in their sockets while the rings are taken back, receives in
 * flight, many trims between turns. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/proc_rss.h"
#include "tests/unit/unit.h"

#define DGRAM 12000 /* three pages of a 16 kB buffer */

static struct sockaddr_in lo_any(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static void noop_cb(void *p)
{
	(void)p;
}

/* Turn the loop until *n reaches want or ms pass; whether it did. */
static bool turn_until_n(struct loop *l, const unsigned *n, unsigned want, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct loop_timer guard;

	loop_timer_init(&guard, noop_cb, NULL);
	while (*n < want && loop_now_ns() < end) {
		loop_timer_schedule(l, &guard, 20000);
		ck_assert_int_eq(loop_run_once(l), 0);
	}
	loop_timer_cancel(l, &guard);
	return *n >= want;
}

/* Datagram k: its number, then bytes that follow from it, to its end. */
static void fill(uint8_t *p, size_t len, uint32_t k)
{
	memcpy(p, &k, sizeof(k));
	for (size_t i = sizeof(k); i < len; i++)
		p[i] = (uint8_t)(k * 31 + i);
}

struct rx {
	struct loop *l;
	unsigned n, bad;
	uint32_t next;
	size_t trimmed_in_cb; /* loop_trim_rx from inside the callback */
	bool trim_in_cb;
};

static void on_dgram(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		     socklen_t fromlen)
{
	struct rx *r = priv;
	static uint8_t want[DGRAM];
	uint32_t k;

	(void)from;
	(void)fromlen;
	if (len != DGRAM) {
		r->bad++;
		return;
	}
	memcpy(&k, data, sizeof(k));
	fill(want, DGRAM, k);
	/* in order (one socket, loopback) and byte for byte */
	if (k != r->next || memcmp(data, want, DGRAM))
		r->bad++;
	r->next = k + 1;
	r->n++;
	if (r->trim_in_cb)
		r->trimmed_in_cb += loop_trim_rx(r->l);
}

static void send_dgrams(int fd, uint32_t from, unsigned n)
{
	static uint8_t buf[DGRAM];

	for (uint32_t k = from; k < from + n; k++) {
		fill(buf, DGRAM, k);
		ck_assert_int_eq(send(fd, buf, DGRAM, 0), DGRAM);
	}
}

static int client_to(struct loop_udp *u)
{
	struct sockaddr_storage ss;
	int fd = socket(AF_INET, SOCK_DGRAM, 0), big = 4 << 20;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(loop_udp_local(u, &ss), 0);
	setsockopt(loop_udp_fd(u), SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	return fd;
}

/* A loop whose rings can be trimmed (the test SKIPs without DEFER_TASKRUN) */
static struct loop *trim_loop(const struct loop_cfg *cfg)
{
	struct loop *l = loop_alloc(unit_ctx, cfg);

	ck_assert_ptr_nonnull(l);
	if (!loop_get_features(l)->defer_taskrun) {
		loop_free(l);
		unit_skip("no IORING_SETUP_DEFER_TASKRUN here: the rings are never trimmed");
	}
	return l;
}

/* A burst left three pages of each of 256 buffers resident: the trim gives
 * them back (RSS falls by most of 3 MB), and what comes after is received
 * whole through the same, now untouched, buffers. */
START_TEST(test_trim_rx_gives_back)
{
	struct loop_cfg cfg = {.udp_bufs = 256, .udp_buf_size = 16384};
	struct loop *l = loop_alloc(unit_ctx, &cfg);
	struct sockaddr_in a = lo_any();
	struct rx r = {.l = NULL};
	struct loop_udp *u;
	long before, after;
	size_t given;
	int fd;

	ck_assert_ptr_nonnull(l);
	if (!loop_get_features(l)->defer_taskrun) {
		ck_assert_uint_eq(loop_trim_rx(l), 0); /* never without it */
		loop_free(l);
		unit_skip("no IORING_SETUP_DEFER_TASKRUN here: the rings are never trimmed");
	}
	r.l = l;
	u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), on_dgram, &r);
	ck_assert_ptr_nonnull(u);
	fd = client_to(u);
	ck_assert(turn_until_n(l, &r.n, 1, 50) == false); /* armed, nothing yet */
	/* 4 x 64: every buffer of the ring filled once */
	for (unsigned i = 0; i < 4; i++) {
		send_dgrams(fd, i * 64, 64);
		ck_assert_msg(turn_until_n(l, &r.n, (i + 1) * 64, 2000), "received %u", r.n);
	}
	ck_assert_uint_eq(r.bad, 0);
	before = tandem_rss_kb();
	given = loop_trim_rx(l);
	after = tandem_rss_kb();
	/* the UDP ring's 256 x 16,448 B and the TCP ring's 256 x 16 kB */
	ck_assert_uint_ge(given, 256u * 16384u);
	ck_assert_msg(before - after >= 2000, "RSS %ld -> %ld kB", before, after);
	for (unsigned i = 4; i < 8; i++) {
		send_dgrams(fd, i * 64, 64);
		ck_assert_msg(turn_until_n(l, &r.n, (i + 1) * 64, 2000), "received %u", r.n);
	}
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_eq(r.n, 512);
	ck_assert_uint_eq(loop_get_stats(l)->udp_bufs_in_use, 0);
	close(fd);
	loop_udp_close(u);
	turn_until_n(l, &r.n, ~0u, 30);
	loop_free(l);
}
END_TEST

/* Trims between turns while datagrams wait in the socket and the multishot
 * receive is armed, and from inside a receive callback (a buffer held:
 * nothing given then): every datagram arrives once, whole, in order. */
START_TEST(test_trim_rx_under_traffic)
{
	struct loop_cfg cfg = {.udp_bufs = 32, .udp_buf_size = 16384};
	struct loop *l = loop_alloc(unit_ctx, &cfg);
	struct sockaddr_in a = lo_any();
	struct rx r = {.l = NULL};
	struct loop_udp *u;
	uint32_t sent = 0;
	int fd;

	ck_assert_ptr_nonnull(l);
	r.l = l;
	u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), on_dgram, &r);
	ck_assert_ptr_nonnull(u);
	fd = client_to(u);
	turn_until_n(l, &r.n, 1, 30);
	for (unsigned round = 0; round < 200; round++) {
		unsigned n = 1 + round % 48; /* some rounds more than the ring holds */

		send_dgrams(fd, sent, n);
		sent += n;
		loop_trim_rx(l); /* they wait in the socket meanwhile */
		if (round % 3 == 0)
			ck_assert_int_eq(loop_run_once(l), 0); /* part of them only */
		loop_trim_rx(l);
		r.trim_in_cb = round % 5 == 0;
		ck_assert_msg(turn_until_n(l, &r.n, sent, 2000), "round %u: received %u of %u",
			      round, r.n, sent);
		r.trim_in_cb = false;
	}
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_eq(r.n, sent);
	ck_assert_uint_eq(r.trimmed_in_cb, 0);
	ck_assert_uint_eq(loop_get_stats(l)->udp_bufs_in_use, 0);
	close(fd);
	loop_udp_close(u);
	turn_until_n(l, &r.n, ~0u, 30);
	loop_free(l);
}
END_TEST

/* A trim whose ring the kernel would not register again (injected, and
 * every retry too until the test lets it): the receive ends with -ENOBUFS
 * and is parked, not re-armed in a spin (a few -ENOBUFS, not one per turn,
 * and few turns); once the kernel lets it, a retry registers the ring and
 * every datagram that waited meanwhile arrives whole and in order. A
 * socket closed while parked is closed at once (its port can be bound
 * again), not at the next retry. */
START_TEST(test_trim_rx_ring_lost_comes_back)
{
	struct loop_cfg cfg = {.udp_bufs = 32, .udp_buf_size = 16384};
	struct loop *l = trim_loop(&cfg);
	struct sockaddr_in a = lo_any();
	struct rx r = {.l = l};
	const struct loop_stats *st;
	struct loop_udp *u;
	uint64_t turns0;
	int fd;

	u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), on_dgram, &r);
	ck_assert_ptr_nonnull(u);
	fd = client_to(u);
	send_dgrams(fd, 0, 16);
	ck_assert(turn_until_n(l, &r.n, 16, 2000));
	/* the rings' registrations fail (UDP's and TCP's), and every retry */
	loop_test_fail_ring_register(l, ~0u);
	ck_assert_uint_gt(loop_trim_rx(l), 0);
	st = loop_get_stats(l);
	ck_assert_uint_eq(st->rx_ring_lost, 2);
	send_dgrams(fd, 16, 16);
	turns0 = st->turns;
	/* 50 ms: the receive ends with -ENOBUFS and waits, parked */
	ck_assert(!turn_until_n(l, &r.n, 17, 50));
	st = loop_get_stats(l);
	ck_assert_uint_eq(r.n, 16);
	ck_assert_uint_ge(st->udp_enobufs, 1);
	ck_assert_uint_le(st->udp_enobufs, 2);
	ck_assert_uint_eq(st->rx_parked, 1);
	ck_assert_uint_eq(st->rx_parked_now, 1);
	/* no spin: the 20 ms guard timer's turns, a handful, not thousands */
	ck_assert_msg(st->turns - turns0 < 50, "%llu turns in 50 ms",
		      (unsigned long long)(st->turns - turns0));
	/* the kernel lets it again: a retry (100 ms, 200 ms, ... after the
	 * loss) registers it and arms the receive: all of them, in order */
	loop_test_fail_ring_register(l, 0);
	ck_assert_msg(turn_until_n(l, &r.n, 32, 2000), "received %u", r.n);
	send_dgrams(fd, 32, 32);
	ck_assert_msg(turn_until_n(l, &r.n, 64, 2000), "received %u", r.n);
	ck_assert_uint_eq(r.bad, 0);
	ck_assert_uint_eq(loop_get_stats(l)->rx_parked, 1);
	ck_assert_uint_eq(loop_get_stats(l)->rx_parked_now, 0);
	/* lost again, parked again, then closed: the port is free at once */
	loop_test_fail_ring_register(l, ~0u);
	loop_trim_rx(l);
	send_dgrams(fd, 64, 1);
	for (unsigned i = 0; i < 100 && loop_get_stats(l)->rx_parked_now == 0; i++)
		turn_until_n(l, &r.n, ~0u, 10);
	ck_assert_uint_eq(loop_get_stats(l)->rx_parked, 2);
	ck_assert_uint_eq(loop_get_stats(l)->rx_parked_now, 1);
	{
		struct sockaddr_storage ss;
		int again = socket(AF_INET, SOCK_DGRAM, 0);

		ck_assert_int_eq(loop_udp_local(u, &ss), 0);
		loop_udp_close(u);
		ck_assert_uint_eq(loop_get_stats(l)->rx_parked_now, 0);
		turn_until_n(l, &r.n, ~0u, 30); /* the receive's cancel, if any */
		ck_assert_int_eq(bind(again, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)),
				 0);
		close(again);
	}
	ck_assert_uint_eq(r.n, 64);
	loop_test_fail_ring_register(l, 0);
	close(fd);
	loop_free(l);
}
END_TEST

/* --- TCP: a stream received through the TCP ring, trimmed between turns --- */

struct tcp_rx {
	struct loop *l;
	struct loop_conn *srv;
	size_t got, bad;
	bool accepted;
};

static size_t srv_data(void *priv, const uint8_t *data, size_t len)
{
	struct tcp_rx *t = priv;

	for (size_t i = 0; i < len; i++)
		if (data[i] != (uint8_t)((t->got + i) * 7 + 3))
			t->bad++;
	t->got += len;
	return len;
}

static void srv_close(void *priv, int err)
{
	(void)err;
	((struct tcp_rx *)priv)->srv = NULL;
}

static const struct loop_conn_cbs srv_cbs = {.on_data = srv_data, .on_close = srv_close};

static void on_accept(void *priv, int fd, const struct sockaddr *peer, socklen_t plen)
{
	struct tcp_rx *t = priv;

	(void)peer;
	(void)plen;
	t->srv = loop_conn_adopt(t->l, fd, &srv_cbs, t);
	t->accepted = t->srv != NULL;
}

/* A TCP connection from a plain socket (returned) to a listener on l,
 * accepted into t->srv */
static int tcp_connected(struct loop *l, struct tcp_rx *t, struct loop_listener **ls)
{
	struct sockaddr_in a = lo_any();
	struct sockaddr_storage ss;
	unsigned acc = 0;
	int fd;

	t->l = l;
	*ls = loop_tcp_listen(l, (struct sockaddr *)&a, sizeof(a), on_accept, t);
	ck_assert_ptr_nonnull(*ls);
	ck_assert_int_eq(loop_listener_local(*ls, &ss), 0);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	for (unsigned i = 0; i < 100 && !t->accepted; i++)
		turn_until_n(l, &acc, 1, 10);
	ck_assert(t->accepted);
	return fd;
}

/* The client closes; the listener, then the loop go */
static void tcp_done(struct loop *l, int fd, struct loop_listener *ls)
{
	unsigned acc = 0;

	close(fd);
	turn_until_n(l, &acc, ~0u, 50);
	loop_listener_close(ls);
	turn_until_n(l, &acc, ~0u, 30);
	loop_free(l);
}

START_TEST(test_trim_rx_tcp_stream)
{
	struct loop_cfg cfg = {.tcp_bufs = 16, .tcp_buf_size = 4096};
	struct loop *l = loop_alloc(unit_ctx, &cfg);
	struct loop_listener *ls;
	struct tcp_rx t = {.l = NULL};
	static uint8_t chunk[20000];
	unsigned acc = 0;
	size_t sent = 0;
	int fd;

	ck_assert_ptr_nonnull(l);
	fd = tcp_connected(l, &t, &ls);
	for (unsigned round = 0; round < 100; round++) {
		size_t n = 1000 + (size_t)round * 190; /* up to 5 buffers' worth */

		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)((sent + i) * 7 + 3);
		ck_assert_int_eq(send(fd, chunk, n, 0), (ssize_t)n);
		sent += n;
		loop_trim_rx(l);
		for (unsigned i = 0; i < 200 && t.got < sent; i++) {
			turn_until_n(l, &acc, 1, 10); /* acc stays 0: 10 ms of turns */
			if (i % 4 == 0)
				loop_trim_rx(l);
		}
		ck_assert_msg(t.got == sent, "round %u: %zu of %zu bytes", round, t.got, sent);
	}
	ck_assert_uint_eq(t.bad, 0);
	ck_assert_ptr_nonnull(t.srv); /* never failed over a trim */
	ck_assert_uint_eq(loop_get_stats(l)->tcp_bufs_in_use, 0);
	tcp_done(l, fd, ls);
}
END_TEST

/* The TCP ring lost after a trim (injected): the stream's receive is
 * parked, the bytes wait in the socket, and arrive whole once the retry
 * registers the ring; the connection is never failed for it. */
START_TEST(test_trim_rx_tcp_ring_lost)
{
	struct loop_cfg cfg = {.tcp_bufs = 16, .tcp_buf_size = 4096};
	struct loop *l = trim_loop(&cfg);
	struct loop_listener *ls;
	struct tcp_rx t = {.l = NULL};
	static uint8_t chunk[20000];
	unsigned acc = 0;
	uint64_t enobufs0;
	int fd = tcp_connected(l, &t, &ls);

	enobufs0 = loop_get_stats(l)->tcp_enobufs;
	/* both rings' registrations fail (UDP's, then TCP's) */
	loop_test_fail_ring_register(l, 2);
	loop_trim_rx(l);
	ck_assert_uint_ge(loop_get_stats(l)->rx_ring_lost, 1);
	for (size_t i = 0; i < sizeof(chunk); i++)
		chunk[i] = (uint8_t)(i * 7 + 3);
	ck_assert_int_eq(send(fd, chunk, sizeof(chunk), 0), (ssize_t)sizeof(chunk));
	turn_until_n(l, &acc, 1, 50);
	ck_assert_uint_le(loop_get_stats(l)->tcp_enobufs - enobufs0, 2);
	ck_assert_uint_ge(loop_get_stats(l)->rx_parked, 1);
	for (unsigned i = 0; i < 200 && t.got < sizeof(chunk); i++)
		turn_until_n(l, &acc, 1, 10);
	ck_assert_msg(t.got == sizeof(chunk), "%zu of %zu bytes", t.got, sizeof(chunk));
	ck_assert_uint_eq(t.bad, 0);
	ck_assert_ptr_nonnull(t.srv);
	tcp_done(l, fd, ls);
}
END_TEST

Suite *loop_trim_suite(void)
{
	Suite *s = suite_create("loop_trim");
	TCase *tc = unit_tcase("loop_trim");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_trim_rx_gives_back);
	tcase_add_test(tc, test_trim_rx_under_traffic);
	tcase_add_test(tc, test_trim_rx_ring_lost_comes_back);
	tcase_add_test(tc, test_trim_rx_tcp_stream);
	tcase_add_test(tc, test_trim_rx_tcp_ring_lost);
	suite_add_tcase(s, tc);
	return s;
}
