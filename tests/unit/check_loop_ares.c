/* core/loop_ares: c-ares queries answered (NXDOMAIN) and timed out, with
 * sockets and timers on the io_uring loop. The DNS server is a thread of the
 * test that answers "nx.test" with NXDOMAIN and never answers "slow.test". */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "core/loop_ares.h"
#include "tests/unit/unit.h"

struct fake_dns {
	int fd;
	volatile bool stop;
	int answered, ignored;
};

static void *dns_thread(void *p)
{
	struct fake_dns *d = p;

	while (!d->stop) {
		struct pollfd pf = {.fd = d->fd, .events = POLLIN};
		uint8_t q[512];
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (poll(&pf, 1, 20) <= 0)
			continue;
		n = recvfrom(d->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
		if (n < 12)
			continue;
		/* RFC 1035 4.1.1: echo the question with QR=1, RCODE=3 (NXDOMAIN) */
		if (memmem(q + 12, (size_t)n - 12, "\x04slow", 5)) {
			d->ignored++;
			continue;
		}
		q[2] = 0x81;	     /* QR, RD */
		q[3] = 0x83;	     /* RA, NXDOMAIN */
		memset(q + 6, 0, 6); /* no answer, authority, additional records */
		sendto(d->fd, q, (size_t)n, 0, (struct sockaddr *)&from, flen);
		d->answered++;
	}
	return NULL;
}

struct res {
	int status;
	bool done;
};

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct res *r = arg;

	(void)timeouts;
	(void)abuf;
	(void)alen;
	r->status = status;
	r->done = true;
}

static void noop(void *p)
{
	(void)p;
}

static bool turn_until(struct loop *l, const bool *flag, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct loop_timer g;

	loop_timer_init(&g, noop, NULL);
	while (!*flag && loop_now_ns() < end) {
		loop_timer_schedule(l, &g, 20000);
		loop_run_once(l);
	}
	loop_timer_cancel(l, &g);
	return *flag;
}

START_TEST(test_ares_on_the_ring)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct fake_dns d = {0};
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	struct ares_options o = {.timeout = 300, .tries = 1};
	struct loop_ares *ar;
	struct res r1 = {0}, r2 = {0};
	char servers[64];
	pthread_t th;
	uint64_t t0;
	double ms;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d.fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(d.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(d.fd, (struct sockaddr *)&a, &alen);
	pthread_create(&th, NULL, dns_thread, &d);

	ar = loop_ares_alloc(unit_ctx, l, &o, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	ck_assert_ptr_nonnull(ar);
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", ntohs(a.sin_port));
	ck_assert_int_eq(ares_set_servers_ports_csv(loop_ares_channel(ar), servers), ARES_SUCCESS);

	ares_query(loop_ares_channel(ar), "nx.test", ns_c_in, ns_t_naptr, on_answer, &r1);
	loop_ares_kick(ar);
	ck_assert(turn_until(l, &r1.done, 2000));
	ck_assert_int_eq(r1.status, ARES_ENOTFOUND);

	t0 = loop_now_ns();
	ares_query(loop_ares_channel(ar), "slow.test", ns_c_in, ns_t_naptr, on_answer, &r2);
	loop_ares_kick(ar);
	ck_assert(turn_until(l, &r2.done, 3000));
	ms = (double)(loop_now_ns() - t0) / 1e6;
	ck_assert_int_eq(r2.status, ARES_ETIMEOUT);
	/* one try of 300 ms, ended by the loop's timer (without it the query
	 * never times out and turn_until gives up); how late past 300 ms is the
	 * machine's load, not a property of the code (1,638 ms once at load
	 * average 23): bounded by turn_until, not by a speed figure */
	ck_assert_msg(ms >= 250, "timed out after %.0f ms", ms);

	d.stop = true;
	pthread_join(th, NULL);
	close(d.fd);
	ck_assert_int_eq(d.answered, 1);
	loop_ares_free(ar);
	{
		bool never = false;

		turn_until(l, &never, 30);
	}
	loop_free(l);
}
END_TEST

Suite *loop_ares_suite(void)
{
	Suite *s = suite_create("loop_ares");
	TCase *tc = unit_tcase("ares");

	tcase_add_test(tc, test_ares_on_the_ring);
	suite_add_tcase(s, tc);
	return s;
}
