/* core/loop: datagrams the kernel drops on a full receive queue, counted
 * from SO_RXQ_OVFL on the datagrams read afterwards (loop_udp_count_drops;
 * the media workers' health check), against the kernel's own counter
 * (SO_MEMINFO); a socket that did not ask counts nothing, and the payload
 * after the control data is intact. How late the loop ran: a datagram's
 * wait in its socket (loop_udp_measure_wait, with the drop counter on the
 * same datagrams) and a turn's work, each against a sleep of known length. */
#include <arpa/inet.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/loop.h"
#include "tests/unit/unit.h"

struct rx_rec {
	unsigned n;
	char last[64];
	size_t last_len;
};

static void rec_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		   socklen_t fromlen)
{
	struct rx_rec *r = priv;

	(void)from;
	(void)fromlen;
	r->n++;
	r->last_len = len < sizeof(r->last) ? len : sizeof(r->last);
	memcpy(r->last, data, r->last_len);
}

static void noop_cb(void *p)
{
	(void)p;
}

/* a few turns of at most 20 ms each: what is queued is read */
static void turns(struct loop *l, unsigned n)
{
	struct loop_timer guard;

	loop_timer_init(&guard, noop_cb, NULL);
	for (unsigned i = 0; i < n; i++) {
		loop_timer_schedule(l, &guard, 20000);
		ck_assert_int_eq(loop_run_once(l), 0);
	}
	loop_timer_cancel(l, &guard);
}

static uint32_t meminfo_drops(int fd)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mi, &len), 0);
	return mi[SK_MEMINFO_DROPS];
}

/* A loop's socket on loopback (the drop counter asked for when count)
 * and a plain socket connected to it: *fd. */
static struct loop_udp *open_pair(struct loop *l, bool count, struct rx_rec *r, int *fd)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct sockaddr_storage ss;
	struct loop_udp *u;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_ptr_nonnull(l);
	u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), rec_rx, r);
	ck_assert_ptr_nonnull(u);
	if (count)
		ck_assert_int_eq(loop_udp_count_drops(u), 0);
	ck_assert_int_eq(loop_udp_local(u, &ss), 0);
	*fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(*fd, 0);
	ck_assert_int_eq(connect(*fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
	return u;
}

/* A socket with a tiny receive buffer and a burst sent before the loop
 * reads: the kernel drops most; the next datagram tells how many. */
static void burst(bool count, uint32_t *kernel, uint64_t *counted, struct rx_rec *r)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	char msg[200];
	int fd;
	struct loop_udp *u = open_pair(l, count, r, &fd);

	/* the kernel's minimum (about 4.6 kB): a handful of datagrams */
	ck_assert_int_eq(setsockopt(loop_udp_fd(u), SOL_SOCKET, SO_RCVBUF, &(int){1}, sizeof(int)),
			 0);
	memset(msg, 'x', sizeof(msg));
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(send(fd, msg, sizeof(msg), 0), (ssize_t)sizeof(msg));
	turns(l, 5);
	/* one more, read alone: it carries the drop counter */
	snprintf(msg, sizeof(msg), "the last one");
	ck_assert_int_eq(send(fd, msg, strlen(msg), 0), (ssize_t)strlen(msg));
	turns(l, 5);
	*kernel = meminfo_drops(loop_udp_fd(u));
	*counted = loop_get_stats(l)->udp_kernel_drops;
	close(fd);
	loop_udp_close(u);
	turns(l, 2);
	loop_free(l);
}

START_TEST(test_drops_counted)
{
	struct rx_rec r = {0};
	uint32_t kernel;
	uint64_t counted;

	burst(true, &kernel, &counted, &r);
	/* the burst overflowed: every datagram is either read or dropped */
	ck_assert_uint_gt(kernel, 50);
	ck_assert_uint_eq(r.n + kernel, 101);
	ck_assert_uint_eq(counted, kernel);
	/* the control message did not shift the payload */
	ck_assert_uint_eq(r.last_len, strlen("the last one"));
	ck_assert(!memcmp(r.last, "the last one", r.last_len));
}
END_TEST

START_TEST(test_drops_not_asked)
{
	struct rx_rec r = {0};
	uint32_t kernel;
	uint64_t counted;

	burst(false, &kernel, &counted, &r);
	ck_assert_uint_gt(kernel, 50);
	ck_assert_uint_eq(counted, 0);
	ck_assert_uint_eq(r.last_len, strlen("the last one"));
	ck_assert(!memcmp(r.last, "the last one", r.last_len));
}
END_TEST

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* Datagrams sent, then the loop kept away for wait_ms before it reads. */
static void late_rx(bool measure, unsigned wait_ms, struct loop_late *got, struct rx_rec *r)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	int fd;
	struct loop_udp *u = open_pair(l, true, r, &fd);

	struct loop_late before = {0}, after;

	turns(l, 1); /* the receive is armed, nothing read */
	if (measure) {
		ck_assert_int_eq(loop_udp_measure_wait(u), 0);
		/* The kernel stamps datagrams on arrival only once its
		 * timestamping is switched on, which the first socket asking
		 * does through a work item that a loaded machine may run late
		 * (until then the stamp is taken at the read): probes until a
		 * 30 ms wait is seen as one. */
		for (unsigned i = 0; i < 50; i++) {
			ck_assert_int_eq(send(fd, "probe", 5, 0), 5);
			sleep_ms(30);
			turns(l, 1);
			if (loop_get_stats(l)->udp_wait.max_ns >= 30 * 1000000ull)
				break;
		}
		ck_assert_uint_ge(loop_get_stats(l)->udp_wait.max_ns, 30 * 1000000ull);
		before = loop_get_stats(l)->udp_wait;
	}
	r->n = 0;
	ck_assert_int_eq(send(fd, "early", 5, 0), 5);
	sleep_ms(wait_ms);
	ck_assert_int_eq(send(fd, "on time", 7, 0), 7);
	turns(l, 3);
	/* the pair's own figures (the longest includes the probes', all
	 * far below the pair's first) */
	after = loop_get_stats(l)->udp_wait;
	*got = after;
	got->n = after.n - before.n;
	for (unsigned i = 0; i < LOOP_LATE_STEPS; i++)
		got->over[i] = after.over[i] - before.over[i];
	close(fd);
	loop_udp_close(u);
	turns(l, 2);
	loop_free(l);
}

START_TEST(test_wait_measured)
{
	struct rx_rec r = {0};
	struct loop_late w;

	late_rx(true, 150, &w, &r);
	ck_assert_uint_eq(r.n, 2);
	/* both measured; the first waited the 150 ms (and what a loaded
	 * machine adds), the second did not */
	ck_assert_uint_eq(w.n, 2);
	ck_assert_uint_ge(w.max_ns, 150 * 1000000ull);
	ck_assert_uint_lt(w.max_ns, 60 * 1000000000ull);
	ck_assert_uint_ge(w.over[0], 1);
	ck_assert_uint_ge(w.over[1], 1);
	ck_assert_uint_le(w.over[0], 2);
	/* the payload after two control messages is intact */
	ck_assert_uint_eq(r.last_len, strlen("on time"));
	ck_assert(!memcmp(r.last, "on time", r.last_len));
}
END_TEST

START_TEST(test_wait_not_asked)
{
	struct rx_rec r = {0};
	struct loop_late w;

	late_rx(false, 20, &w, &r);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(w.n, 0);
	ck_assert_uint_eq(w.max_ns, 0);
	ck_assert_uint_eq(w.over[0], 0);
}
END_TEST

static void slow_cb(void *p)
{
	sleep_ms(*(unsigned *)p);
}

/* A timer that keeps the thread 120 ms: that turn worked over 100 ms. */
START_TEST(test_turn_work)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct loop_timer t;
	unsigned ms = 120;
	struct loop_late before, after;

	ck_assert_ptr_nonnull(l);
	turns(l, 2);
	before = loop_get_stats(l)->turn_work;
	ck_assert_uint_eq(before.n, 2);
	loop_timer_init(&t, slow_cb, &ms);
	loop_timer_schedule(l, &t, 1000);
	turns(l, 3);
	after = loop_get_stats(l)->turn_work;
	ck_assert_uint_eq(after.n, before.n + 3);
	ck_assert_uint_ge(after.over[1] - before.over[1], 1);
	ck_assert_uint_ge(after.max_ns, 120 * 1000000ull);
	ck_assert_uint_lt(after.max_ns, 60 * 1000000000ull);
	loop_free(l);
}
END_TEST

/* A larger receive queue (loop_udp_rcvbuf): 300 datagrams of 1,000 bytes
 * sent while the loop is away all wait for it (the default queue, ~200 kB
 * counted with the kernel's overhead, holds about 90 of them). */
START_TEST(test_rcvbuf_holds_burst)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct rx_rec r = {0};
	char msg[1000];
	int fd, got;
	struct loop_udp *u = open_pair(l, true, &r, &fd);

	got = loop_udp_rcvbuf(u, 1 << 20);
	ck_assert_int_gt(got, 0);
	ck_assert_int_le(got, 1 << 20);
	if (got < 1 << 20) {
		/* no CAP_NET_ADMIN and net.core.rmem_max below 1 MB */
		close(fd);
		loop_udp_close(u);
		turns(l, 2);
		loop_free(l);
		unit_skip("loop_udp_rcvbuf granted %d of 1048576 bytes (rmem_max)", got);
		return;
	}
	memset(msg, 'y', sizeof(msg));
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(send(fd, msg, sizeof(msg), 0), (ssize_t)sizeof(msg));
	for (int i = 0; i < 50 && r.n < 300; i++)
		turns(l, 1);
	ck_assert_uint_eq(r.n, 300);
	ck_assert_uint_eq(meminfo_drops(loop_udp_fd(u)), 0);
	ck_assert_uint_eq(loop_get_stats(l)->udp_kernel_drops, 0);
	close(fd);
	loop_udp_close(u);
	turns(l, 2);
	loop_free(l);
}
END_TEST

Suite *loop_drops_suite(void)
{
	Suite *s = suite_create("loop_drops");
	TCase *tc = unit_tcase("loop_drops");

	tcase_add_test(tc, test_drops_counted);
	tcase_add_test(tc, test_drops_not_asked);
	tcase_add_test(tc, test_wait_measured);
	tcase_add_test(tc, test_wait_not_asked);
	tcase_add_test(tc, test_turn_work);
	tcase_add_test(tc, test_rcvbuf_holds_burst);
	suite_add_tcase(s, tc);
	return s;
}
