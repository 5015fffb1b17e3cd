/* core/loop: timers, UDP through the ring, buffer-ring exhaustion, TCP with
 * partial sends and a slow reader, libosmocore fds and timers on the ring. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <unistd.h>

#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#include "core/loop.h"
#include "core/proc_rss.h"
#include "tests/unit/unit.h"

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

/* Turn the loop until *flag or the deadline (ms); returns whether flag got set. */
static bool turn_until(struct loop *l, const bool *flag, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct loop_timer guard;

	/* A guard timer makes sure a turn never waits past the deadline. */
	loop_timer_init(&guard, noop_cb, NULL);
	while (!*flag && loop_now_ns() < end) {
		loop_timer_schedule(l, &guard, 20000);
		ck_assert_int_eq(loop_run_once(l), 0);
	}
	loop_timer_cancel(l, &guard);
	return *flag;
}

/* --- timers --- */

struct tmr_rec {
	uint64_t at_ns[8];
	int order[8];
	int n;
};

struct tmr_ctx {
	struct tmr_rec *rec;
	int id;
};

static void tmr_cb(void *p)
{
	struct tmr_ctx *c = p;

	c->rec->at_ns[c->rec->n] = loop_now_ns();
	c->rec->order[c->rec->n++] = c->id;
}

START_TEST(test_timers_order)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	static const unsigned delay_ms[5] = {50, 10, 30, 20, 40};
	struct loop_timer t[6];
	struct tmr_ctx c[6];
	struct tmr_rec rec = {0};
	bool never = false;
	uint64_t start = loop_now_ns();

	ck_assert_ptr_nonnull(l);
	for (int i = 0; i < 5; i++) {
		c[i] = (struct tmr_ctx){&rec, i};
		loop_timer_init(&t[i], tmr_cb, &c[i]);
		loop_timer_schedule(l, &t[i], delay_ms[i] * 1000);
	}
	/* a cancelled timer never fires */
	c[5] = (struct tmr_ctx){&rec, 5};
	loop_timer_init(&t[5], tmr_cb, &c[5]);
	loop_timer_schedule(l, &t[5], 25000);
	loop_timer_cancel(l, &t[5]);
	ck_assert(!loop_timer_pending(&t[5]));

	turn_until(l, &never, 600);
	ck_assert_int_eq(rec.n, 5);
	for (int i = 0; i < 5; i++) {
		double late_ms;

		ck_assert_int_eq(delay_ms[rec.order[i]], (unsigned)(i + 1) * 10);
		late_ms = (double)(rec.at_ns[i] - start) / 1e6 - delay_ms[rec.order[i]];
		/* never early; late only by scheduling noise (a bound for a wrong
		 * unit or a lost wake-up, not a speed target: a loaded machine
		 * once made it 84 ms) */
		ck_assert_msg(late_ms >= 0 && late_ms < 500, "timer %d late by %.2f ms", i,
			      late_ms);
	}
	loop_free(l);
}
END_TEST

/* A timer that was never initialised (zeroed: heap_idx 0) or never
 * scheduled, cancelled, leaves the scheduled ones alone (a zeroed one once
 * took slot 0 out of the heap: the loop's heap length wrapped and the next
 * cancel crashed tandemd at every stop). */
START_TEST(test_timer_cancel_unscheduled)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct loop_timer t[2], zeroed, idle;
	struct tmr_ctx c[2];
	struct tmr_rec rec = {0};
	bool never = false;

	ck_assert_ptr_nonnull(l);
	for (int i = 0; i < 2; i++) {
		c[i] = (struct tmr_ctx){&rec, i};
		loop_timer_init(&t[i], tmr_cb, &c[i]);
		loop_timer_schedule(l, &t[i], (unsigned)(i + 1) * 10000);
	}
	memset(&zeroed, 0, sizeof(zeroed));
	loop_timer_cancel(l, &zeroed);
	loop_timer_init(&idle, tmr_cb, &c[0]);
	loop_timer_cancel(l, &idle);
	loop_timer_cancel(l, &idle);
	ck_assert(loop_timer_pending(&t[0]) && loop_timer_pending(&t[1]));
	turn_until(l, &never, 60);
	ck_assert_int_eq(rec.n, 2);
	ck_assert_int_eq(rec.order[0], 0);
	ck_assert_int_eq(rec.order[1], 1);
	loop_free(l);
}
END_TEST

/* --- UDP --- */

struct udp_echo {
	struct loop_udp *u;
	int echoed;
};

static void echo_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		    socklen_t fromlen)
{
	struct udp_echo *e = priv;

	ck_assert_int_eq(loop_udp_send(e->u, data, len, from, fromlen), 0);
	e->echoed++;
}

static int client_socket(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (const struct sockaddr *)to, sizeof(*to)), 0);
	return fd;
}

START_TEST(test_udp_echo)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct sockaddr_in a = lo_any();
	struct sockaddr_storage ss;
	struct udp_echo e = {0};
	int fd, got = 0;
	bool never = false;

	e.u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), echo_rx, &e);
	ck_assert_ptr_nonnull(e.u);
	ck_assert_int_eq(loop_udp_local(e.u, &ss), 0);
	fd = client_socket((struct sockaddr_in *)&ss);
	for (int i = 0; i < 100; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof(msg), "packet %d", i);

		ck_assert_int_eq(send(fd, msg, (size_t)n, 0), n);
	}
	turn_until(l, &never, 200);
	ck_assert_int_eq(e.echoed, 100);
	for (int i = 0; i < 100; i++) {
		char buf[64], want[32];
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

		if (n < 0)
			break;
		buf[n] = 0;
		snprintf(want, sizeof(want), "packet %d", i);
		ck_assert_str_eq(buf, want);
		got++;
	}
	ck_assert_int_eq(got, 100);
	ck_assert_uint_eq(loop_get_stats(l)->udp_tx, 100);
	close(fd);
	loop_udp_close(e.u);
	turn_until(l, &never, 30);
	loop_free(l);
}
END_TEST

/* issue 13: the send slots a burst touched stay resident; loop_trim gives
 * their pages back while none is in use, and sends work after it. */
START_TEST(test_trim_send_slots)
{
	struct loop_cfg cfg = {.udp_buf_size = 16384};
	struct loop *l = loop_alloc(unit_ctx, &cfg);
	struct sockaddr_in a = lo_any(), cl = lo_any();
	socklen_t cl_len = sizeof(cl);
	static uint8_t big[16000], got[16384];
	struct loop_udp *u;
	bool never = false;
	long before, after;
	ssize_t n;
	int fd;

	u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), NULL, NULL);
	ck_assert_ptr_nonnull(u);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&cl, sizeof(cl)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&cl, &cl_len), 0);
	memset(big, 'x', sizeof(big));
	/* 100 sends of 16 kB at once: 100 slots, 4 pages each, in use */
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(loop_udp_send(u, big, sizeof(big), (struct sockaddr *)&cl, cl_len),
				 0);
	ck_assert_uint_eq(loop_trim(l), 0); /* sends in flight: nothing given back */
	turn_until(l, &never, 50);
	while (recv(fd, got, sizeof(got), 0) > 0)
		;
	before = tandem_rss_kb();
	ck_assert_uint_gt(loop_trim(l), 100 * sizeof(big));
	after = tandem_rss_kb();
	ck_assert_msg(before - after >= 1000, "RSS %ld -> %ld kB", before, after);
	/* the slots still carry what is sent through them */
	big[0] = 'z';
	ck_assert_int_eq(loop_udp_send(u, big, sizeof(big), (struct sockaddr *)&cl, cl_len), 0);
	turn_until(l, &never, 50);
	n = recv(fd, got, sizeof(got), 0);
	ck_assert_int_eq(n, (ssize_t)sizeof(big));
	ck_assert(got[0] == 'z' && !memcmp(got + 1, big + 1, sizeof(big) - 1));
	close(fd);
	loop_udp_close(u);
	turn_until(l, &never, 30);
	loop_free(l);
}
END_TEST

static void count_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		     socklen_t fromlen)
{
	(void)data;
	(void)len;
	(void)from;
	(void)fromlen;
	(*(int *)priv)++;
}

START_TEST(test_bufring_exhausted_recovers)
{
	/* 8 buffers, 64 datagrams waiting: the multishot receive runs the ring
	 * dry, ends with -ENOBUFS, and is re-armed once buffers come back. */
	struct loop_cfg cfg = {.udp_bufs = 8, .udp_buf_size = 256};
	struct loop *l = loop_alloc(unit_ctx, &cfg);
	struct sockaddr_in a = lo_any();
	struct sockaddr_storage ss;
	struct loop_udp *u;
	int fd, rx = 0, rcvbuf = 1 << 20;
	bool never = false;

	ck_assert_ptr_nonnull(l);
	u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), count_rx, &rx);
	ck_assert_ptr_nonnull(u);
	setsockopt(loop_udp_fd(u), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	ck_assert_int_eq(loop_udp_local(u, &ss), 0);
	fd = client_socket((struct sockaddr_in *)&ss);
	/* Let the receive be armed before the flood. */
	for (int i = 0; i < 3 && rx == 0; i++) {
		struct loop_timer t;

		loop_timer_init(&t, noop_cb, NULL);
		loop_timer_schedule(l, &t, 1000);
		loop_run_once(l);
		loop_timer_cancel(l, &t);
	}
	for (int i = 0; i < 64; i++)
		ck_assert_int_eq(send(fd, "x", 1, 0), 1);
	turn_until(l, &never, 300);
	ck_assert_int_eq(rx, 64);
	ck_assert_uint_ge(loop_get_stats(l)->udp_enobufs, 1);
	ck_assert_uint_eq(loop_get_stats(l)->udp_bufs_in_use, 0);
	close(fd);
	loop_udp_close(u);
	turn_until(l, &never, 30);
	loop_free(l);
}
END_TEST

struct size_rx {
	int n;
	size_t last_len;
};

static void size_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		    socklen_t fromlen)
{
	struct size_rx *r = priv;

	(void)data;
	(void)from;
	(void)fromlen;
	r->n++;
	r->last_len = len;
}

START_TEST(test_udp_oversize_dropped)
{
	/* udp_buf_size is the largest payload received whole: a datagram of
	 * exactly that size arrives whole, one byte more is cut by the kernel
	 * (MSG_TRUNC) and must be dropped and counted, never delivered cut. */
	struct loop_cfg cfg = {.udp_bufs = 16, .udp_buf_size = 1024};
	struct loop *l = loop_alloc(unit_ctx, &cfg);
	struct sockaddr_in a = lo_any();
	struct sockaddr_storage ss;
	struct size_rx r = {0};
	struct loop_udp *u;
	static uint8_t big[1100];
	bool never = false;
	int fd;

	ck_assert_ptr_nonnull(l);
	memset(big, 'a', sizeof(big));
	u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), size_rx, &r);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(loop_udp_local(u, &ss), 0);
	fd = client_socket((struct sockaddr_in *)&ss);
	ck_assert_int_eq(send(fd, big, 1024, 0), 1024);
	turn_until(l, &never, 100);
	ck_assert_int_eq(r.n, 1);
	ck_assert_uint_eq(r.last_len, 1024);
	ck_assert_int_eq(send(fd, big, 1025, 0), 1025);
	ck_assert_int_eq(send(fd, big, 1100, 0), 1100);
	ck_assert_int_eq(send(fd, big, 10, 0), 10);
	turn_until(l, &never, 100);
	ck_assert_int_eq(r.n, 2);
	ck_assert_uint_eq(r.last_len, 10);
	ck_assert_uint_eq(loop_get_stats(l)->udp_trunc, 2);
	ck_assert_uint_eq(loop_get_stats(l)->udp_rx, 2);
	close(fd);
	loop_udp_close(u);
	turn_until(l, &never, 30);
	loop_free(l);
}
END_TEST

/* An odd buffer size (65,535, the default, is one) must not misalign the
 * struct io_uring_recvmsg_out the kernel writes at the start of every
 * buffer: UBSan (make check's ASan+UBSan run) caught tandemd reading it at
 * an odd address from the second buffer on. */
START_TEST(test_udp_odd_buffer_size)
{
	struct loop_cfg cfg = {.udp_bufs = 16, .udp_buf_size = 1001};
	struct loop *l = loop_alloc(unit_ctx, &cfg);
	struct sockaddr_in a = lo_any();
	struct sockaddr_storage ss;
	struct size_rx r = {0};
	struct loop_udp *u;
	static const uint8_t small[10];
	bool never = false;
	int fd;

	ck_assert_ptr_nonnull(l);
	u = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), size_rx, &r);
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(loop_udp_local(u, &ss), 0);
	fd = client_socket((struct sockaddr_in *)&ss);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(send(fd, small, sizeof(small), 0), (int)sizeof(small));
	turn_until(l, &never, 100);
	ck_assert_int_eq(r.n, 4);
	ck_assert_uint_eq(r.last_len, sizeof(small));
	close(fd);
	loop_udp_close(u);
	turn_until(l, &never, 30);
	loop_free(l);
}
END_TEST

/* --- TCP: 4 MiB through the send queue toward a slow reader (a thread
 * reading a small socket buffer bit by bit), then framed replies cut into
 * odd pieces to exercise "consume what is complete, keep the rest". --- */

#define TCP_TOTAL (4u << 20)
#define N_FRAMES  200

struct tcp_t {
	struct loop *l;
	struct loop_listener *ls;
	struct loop_conn *cli;
	int srv_fd;
	pthread_t reader;
	uint32_t rx_sum, tx_sum;
	size_t rx_total, sent;
	int frames, bad_frames;
	bool connected, closed, done, writable_seen, refused;
};

static void *slow_reader(void *p)
{
	struct tcp_t *t = p;
	uint8_t buf[1000];
	int fl = fcntl(t->srv_fd, F_GETFL);

	fcntl(t->srv_fd, F_SETFL, fl & ~O_NONBLOCK);
	while (t->rx_total < TCP_TOTAL) {
		ssize_t n = read(t->srv_fd, buf, sizeof(buf));

		if (n <= 0)
			return NULL;
		for (ssize_t i = 0; i < n; i++)
			t->rx_sum = t->rx_sum * 31 + buf[i];
		t->rx_total += (size_t)n;
		if ((t->rx_total / 1000) % 64 == 0)
			usleep(200); /* slow */
	}
	/* Frames: 2-byte length, then that many bytes of the frame number;
	 * written in pieces of 3 bytes so frames arrive split. */
	for (int f = 0; f < N_FRAMES; f++) {
		uint8_t fr[2 + 64];
		size_t len = 1 + (size_t)(f % 60);

		fr[0] = (uint8_t)(len >> 8);
		fr[1] = (uint8_t)len;
		memset(fr + 2, f, len);
		for (size_t off = 0; off < len + 2; off += 3) {
			size_t k = len + 2 - off < 3 ? len + 2 - off : 3;

			if (write(t->srv_fd, fr + off, k) != (ssize_t)k)
				return NULL;
			if (f % 50 == 0)
				usleep(100);
		}
	}
	return NULL;
}

static void on_accept(void *priv, int fd, const struct sockaddr *peer, socklen_t plen)
{
	struct tcp_t *t = priv;
	int v = 4096;

	(void)peer;
	(void)plen;
	/* a small receive buffer makes the kernel push back on the sender */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	t->srv_fd = fd;
	pthread_create(&t->reader, NULL, slow_reader, t);
}

static void cli_fill(struct tcp_t *t)
{
	uint8_t chunk[7919]; /* a prime, so chunks straddle every boundary */

	while (t->sent < TCP_TOTAL) {
		size_t n =
			TCP_TOTAL - t->sent < sizeof(chunk) ? TCP_TOTAL - t->sent : sizeof(chunk);
		int rc;

		for (size_t i = 0; i < n; i++)
			chunk[i] = (uint8_t)((t->sent + i) * 7);
		rc = loop_conn_send(t->cli, chunk, n);
		if (rc == -ENOBUFS) {
			t->refused = true;
			return; /* back-pressure: wait for on_writable */
		}
		ck_assert_int_eq(rc, 0);
		for (size_t i = 0; i < n; i++)
			t->tx_sum = t->tx_sum * 31 + chunk[i];
		t->sent += n;
	}
}

static void cli_connect(void *priv, int err)
{
	struct tcp_t *t = priv;

	ck_assert_int_eq(err, 0);
	t->connected = true;
	cli_fill(t);
}

static void cli_writable(void *priv)
{
	struct tcp_t *t = priv;

	t->writable_seen = true;
	cli_fill(t);
}

/* Consume whole frames only; what is left must come back in front. */
static size_t cli_data(void *priv, const uint8_t *d, size_t len)
{
	struct tcp_t *t = priv;
	size_t used = 0;

	while (len - used >= 2) {
		size_t flen = ((size_t)d[used] << 8) | d[used + 1];

		if (len - used < 2 + flen)
			break;
		if (flen != 1 + (size_t)(t->frames % 60))
			t->bad_frames++;
		for (size_t i = 0; i < flen; i++)
			if (d[used + 2 + i] != (uint8_t)t->frames)
				t->bad_frames++;
		t->frames++;
		used += 2 + flen;
	}
	if (t->frames == N_FRAMES)
		t->done = true;
	return used;
}

static void cli_close(void *priv, int err)
{
	(void)err;
	((struct tcp_t *)priv)->closed = true;
}

static const struct loop_conn_cbs cli_cbs = {.on_connect = cli_connect,
					     .on_data = cli_data,
					     .on_close = cli_close,
					     .on_writable = cli_writable};

START_TEST(test_tcp_backpressure_slow_reader)
{
	struct tcp_t t = {.srv_fd = -1};
	struct sockaddr_in a = lo_any();
	struct sockaddr_storage ss;
	bool never = false;
	int v = 4096;

	t.l = loop_alloc(unit_ctx, NULL);
	t.ls = loop_tcp_listen(t.l, (struct sockaddr *)&a, sizeof(a), on_accept, &t);
	ck_assert_ptr_nonnull(t.ls);
	ck_assert_int_eq(loop_listener_local(t.ls, &ss), 0);
	t.cli = loop_tcp_connect(t.l, (struct sockaddr *)&ss, sizeof(struct sockaddr_in), &cli_cbs,
				 &t);
	ck_assert_ptr_nonnull(t.cli);
	setsockopt(loop_conn_fd(t.cli), SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	loop_conn_set_limits(t.cli, 256 * 1024, 64 * 1024);
	turn_until(t.l, &t.done, 20000);
	ck_assert_msg(t.done, "sent %zu, read %zu of %u, frames %d", t.sent, t.rx_total, TCP_TOTAL,
		      t.frames);
	pthread_join(t.reader, NULL);
	ck_assert(t.connected);
	ck_assert(t.refused);	    /* the queue limit was hit... */
	ck_assert(t.writable_seen); /* ...and released */
	ck_assert_uint_eq(t.rx_total, TCP_TOTAL);
	ck_assert_uint_eq(t.rx_sum, t.tx_sum);
	ck_assert_int_eq(t.bad_frames, 0);
	ck_assert_uint_eq(loop_conn_queued(t.cli), 0);

	/* the peer closes: on_close(0) once */
	close(t.srv_fd);
	turn_until(t.l, &t.closed, 1000);
	ck_assert(t.closed);
	loop_listener_close(t.ls);
	turn_until(t.l, &never, 30);
	loop_free(t.l);
}
END_TEST

/* --- libosmocore on the ring --- */

struct osmo_t {
	int reads;
	bool timer_fired, done;
	char got[16];
};

static int ofd_read(struct osmo_fd *ofd, unsigned int what)
{
	struct osmo_t *o = ofd->data;
	ssize_t n;

	ck_assert(what & OSMO_FD_READ);
	n = read(ofd->fd, o->got, sizeof(o->got) - 1);
	ck_assert_int_gt(n, 0);
	o->got[n] = 0;
	o->reads++;
	return 0;
}

static void osmo_tmr(void *p)
{
	struct osmo_t *o = p;

	o->timer_fired = true;
	o->done = o->reads > 0;
}

START_TEST(test_osmo_fd_and_timer)
{
	struct loop_cfg cfg = {.drive_osmocom = true};
	struct loop *l = loop_alloc(unit_ctx, &cfg);
	struct osmo_t o = {0};
	struct osmo_fd ofd = {0};
	struct osmo_timer_list tm = {0};
	int p[2];

	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	osmo_fd_setup(&ofd, p[0], OSMO_FD_READ, ofd_read, &o, 0);
	ck_assert_int_eq(osmo_fd_register(&ofd), 0);
	osmo_timer_setup(&tm, osmo_tmr, &o);
	osmo_timer_schedule(&tm, 0, 30000);
	ck_assert_int_eq(write(p[1], "hello", 5), 5);
	ck_assert(turn_until(l, &o.done, 1000));
	ck_assert_int_eq(o.reads, 1);
	ck_assert_str_eq(o.got, "hello");
	ck_assert(o.timer_fired);

	/* unregistered fds are withdrawn from the ring */
	osmo_fd_unregister(&ofd);
	ck_assert_int_eq(write(p[1], "again", 5), 5);
	{
		bool never = false;

		turn_until(l, &never, 30);
	}
	ck_assert_int_eq(o.reads, 1);
	close(p[0]);
	close(p[1]);
	loop_free(l);
}
END_TEST

/* Issue 13 item 1: a libosmocore fd at or above FD_SETSIZE (a VTY telnet
 * session accepted while calls hold the low descriptors) is polled and
 * dispatched like any other; through fd_set it aborted the process
 * ("bit out of range 0 - FD_SETSIZE"). */
START_TEST(test_osmo_fd_above_fd_setsize)
{
	struct loop_cfg cfg = {.drive_osmocom = true};
	struct loop *l;
	struct osmo_t o = {0};
	struct osmo_fd ofd = {0}, low = {0};
	struct rlimit rl;
	int p[2], q[2], hi = FD_SETSIZE + 476;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= (rlim_t)hi) {
		printf("SKIP unit:loop:osmo_fd_above_fd_setsize: hard fd limit %lu\n",
		       (unsigned long)rl.rlim_max);
		return;
	}
	if (rl.rlim_cur <= (rlim_t)hi) {
		rl.rlim_cur = (rlim_t)hi + 1;
		ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	l = loop_alloc(unit_ctx, &cfg);
	ck_assert_ptr_nonnull(l);
	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	ck_assert_int_eq(pipe2(q, O_NONBLOCK), 0);
	ck_assert_int_eq(dup2(p[0], hi), hi);
	close(p[0]);
	/* one low fd next to the high one: both kinds in one turn */
	osmo_fd_setup(&low, q[0], OSMO_FD_READ, ofd_read, &o, 0);
	ck_assert_int_eq(osmo_fd_register(&low), 0);
	osmo_fd_setup(&ofd, hi, OSMO_FD_READ, ofd_read, &o, 0);
	ck_assert_int_eq(osmo_fd_register(&ofd), 0);
	ck_assert_int_eq(write(p[1], "high", 4), 4);
	o.done = false;
	for (int i = 0; i < 200 && o.reads < 1; i++)
		loop_run_once(l);
	ck_assert_int_eq(o.reads, 1);
	ck_assert_str_eq(o.got, "high");
	ck_assert_int_eq(write(q[1], "low", 3), 3);
	for (int i = 0; i < 200 && o.reads < 2; i++)
		loop_run_once(l);
	ck_assert_int_eq(o.reads, 2);
	ck_assert_str_eq(o.got, "low");

	/* withdrawn when unregistered, also above FD_SETSIZE */
	osmo_fd_unregister(&ofd);
	ck_assert_int_eq(write(p[1], "again", 5), 5);
	{
		bool never = false;

		turn_until(l, &never, 30);
	}
	ck_assert_int_eq(o.reads, 2);
	osmo_fd_unregister(&low);
	close(hi);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	loop_free(l);
}
END_TEST

/* --- wake-up from another thread --- */

static void wake_cb(void *p)
{
	*(bool *)p = true;
}

static void *waker(void *p)
{
	usleep(20000);
	loop_wake_signal(p);
	return NULL;
}

START_TEST(test_wake_from_thread)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	bool woke = false;
	struct loop_wake *w = loop_wake_alloc(l, wake_cb, &woke);
	pthread_t th;

	ck_assert_ptr_nonnull(w);
	pthread_create(&th, NULL, waker, w);
	ck_assert(turn_until(l, &woke, 1000));
	pthread_join(th, NULL);
	loop_wake_free(w);
	{
		bool never = false;

		turn_until(l, &never, 20);
	}
	loop_free(l);
}
END_TEST

Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc = unit_tcase("loop");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_timers_order);
	tcase_add_test(tc, test_timer_cancel_unscheduled);
	tcase_add_test(tc, test_udp_echo);
	tcase_add_test(tc, test_bufring_exhausted_recovers);
	tcase_add_test(tc, test_udp_oversize_dropped);
	tcase_add_test(tc, test_udp_odd_buffer_size);
	tcase_add_test(tc, test_tcp_backpressure_slow_reader);
	tcase_add_test(tc, test_osmo_fd_and_timer);
	tcase_add_test(tc, test_osmo_fd_above_fd_setsize);
	tcase_add_test(tc, test_wake_from_thread);
	tcase_add_test(tc, test_trim_send_slots);
	suite_add_tcase(s, tc);
	return s;
}
