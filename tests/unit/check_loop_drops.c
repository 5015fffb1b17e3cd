/* core/loop: datagrams the kernel drops on a full receive queue, counted
 * from SO_RXQ_OVFL on the datagrams read afterwards (loop_udp_count_drops;
 * the media workers' health check), against the kernel's own counter
 * (SO_MEMINFO); a socket that did not ask counts nothing, and the payload
 * after the control data is intact. */
#include <arpa/inet.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

/* A socket with a tiny receive buffer and a burst sent before the loop
 * reads: the kernel drops most; the next datagram tells how many. */
static void burst(bool count, uint32_t *kernel, uint64_t *counted, struct rx_rec *r)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct sockaddr_in a = {.sin_family = AF_INET};
	struct sockaddr_storage ss;
	struct loop_udp *u;
	char msg[200];
	int fd;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_ptr_nonnull(l);
	u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), rec_rx, r);
	ck_assert_ptr_nonnull(u);
	if (count)
		ck_assert_int_eq(loop_udp_count_drops(u), 0);
	/* the kernel's minimum (about 4.6 kB): a handful of datagrams */
	ck_assert_int_eq(setsockopt(loop_udp_fd(u), SOL_SOCKET, SO_RCVBUF, &(int){1}, sizeof(int)),
			 0);
	ck_assert_int_eq(loop_udp_local(u, &ss), 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
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

Suite *loop_drops_suite(void)
{
	Suite *s = suite_create("loop_drops");
	TCase *tc = unit_tcase("loop_drops");

	tcase_add_test(tc, test_drops_counted);
	tcase_add_test(tc, test_drops_not_asked);
	suite_add_tcase(s, tc);
	return s;
}
