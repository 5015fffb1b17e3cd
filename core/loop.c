/* The io_uring loop: ring set-up and feature probe, turns, timers, and
 * libosmocore's fds and timers driven from the ring. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/select.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "core/log.h"
#include "core/loop_int.h"

uint64_t loop_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const unsigned loop_late_ms[LOOP_LATE_STEPS] = {10, 100, 500};

void loop_late_add(struct loop_late *lt, uint64_t ns)
{
	lt->n++;
	if (ns > lt->max_ns)
		lt->max_ns = ns;
	for (unsigned i = 0; i < LOOP_LATE_STEPS; i++)
		if (ns > loop_late_ms[i] * 1000000ull)
			lt->over[i]++;
}

static void ignore_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	(void)l;
	(void)op;
	(void)cqe;
}

struct io_uring_sqe *loop_sqe(struct loop *l, struct loop_op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);

	if (!sqe) {
		/* Queue full: hand what we have to the kernel and take a fresh entry. */
		int rc = io_uring_submit(&l->ring);

		l->st.enter_calls++;
		if (rc > 0)
			l->st.sqes += (unsigned)rc;
		l->pending_sqes = 0;
		sqe = io_uring_get_sqe(&l->ring);
		if (!sqe)
			return NULL;
	}
	io_uring_sqe_set_data(sqe, op);
	l->pending_sqes++;
	return sqe;
}

/* --- timers: a binary min-heap on expiry --- */

static void heap_swap(struct loop *l, unsigned a, unsigned b)
{
	struct loop_timer *t = l->heap[a];

	l->heap[a] = l->heap[b];
	l->heap[b] = t;
	l->heap[a]->heap_idx = (int)a;
	l->heap[b]->heap_idx = (int)b;
}

static void heap_up(struct loop *l, unsigned i)
{
	while (i > 0) {
		unsigned p = (i - 1) / 2;

		if (l->heap[p]->expires_ns <= l->heap[i]->expires_ns)
			break;
		heap_swap(l, p, i);
		i = p;
	}
}

static void heap_down(struct loop *l, unsigned i)
{
	for (;;) {
		unsigned c = 2 * i + 1, m = i;

		if (c < l->heap_len && l->heap[c]->expires_ns < l->heap[m]->expires_ns)
			m = c;
		if (c + 1 < l->heap_len && l->heap[c + 1]->expires_ns < l->heap[m]->expires_ns)
			m = c + 1;
		if (m == i)
			return;
		heap_swap(l, i, m);
		i = m;
	}
}

void loop_timer_init(struct loop_timer *t, void (*cb)(void *priv), void *priv)
{
	t->cb = cb;
	t->priv = priv;
	t->expires_ns = 0;
	t->heap_idx = -1;
}

bool loop_timer_pending(const struct loop_timer *t)
{
	return t->heap_idx >= 0;
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	unsigned i;

	/* a timer never scheduled, or never initialised (zeroed: heap_idx 0),
	 * is not in the heap: leave the heap alone */
	if (t->heap_idx < 0 || (unsigned)t->heap_idx >= l->heap_len || l->heap[t->heap_idx] != t)
		return;
	i = (unsigned)t->heap_idx;
	t->heap_idx = -1;
	l->heap_len--;
	if (i == l->heap_len)
		return;
	l->heap[i] = l->heap[l->heap_len];
	l->heap[i]->heap_idx = (int)i;
	heap_up(l, i);
	heap_down(l, (unsigned)l->heap[i]->heap_idx);
}

void loop_timer_schedule(struct loop *l, struct loop_timer *t, uint64_t delay_us)
{
	loop_timer_cancel(l, t);
	if (l->heap_len == l->heap_cap) {
		unsigned cap = l->heap_cap ? l->heap_cap * 2 : 64;
		struct loop_timer **h = talloc_realloc(l, l->heap, struct loop_timer *, cap);

		OSMO_ASSERT(h);
		l->heap = h;
		l->heap_cap = cap;
	}
	t->expires_ns = loop_now_ns() + delay_us * 1000ull;
	t->heap_idx = (int)l->heap_len;
	l->heap[l->heap_len++] = t;
	heap_up(l, (unsigned)t->heap_idx);
}

static void run_timers(struct loop *l)
{
	uint64_t now = loop_now_ns();

	while (l->heap_len && l->heap[0]->expires_ns <= now) {
		struct loop_timer *t = l->heap[0];

		loop_timer_cancel(l, t);
		l->st.timers_fired++;
		t->cb(t->priv);
	}
}

static void timeout_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	(void)op;
	/* -ETIME: expired. Anything else (-ECANCELED...) also ends the request. */
	(void)cqe;
	l->timeout_armed_ns = 0;
}

/* The nearest of our timers and libosmocore's, as one absolute io_uring
 * timeout. An earlier expiry updates the request in flight; a later one
 * leaves it (a spurious wake-up is cheaper than an update per turn). */
static void arm_timeout(struct loop *l)
{
	uint64_t next = 0, now = loop_now_ns();
	struct io_uring_sqe *sqe;

	if (l->heap_len)
		next = l->heap[0]->expires_ns;
	if (l->cfg.drive_osmocom) {
		struct timeval *tv;

		osmo_timers_prepare();
		tv = osmo_timers_nearest();
		if (tv) {
			uint64_t o = now + (uint64_t)tv->tv_sec * 1000000000ull +
				     (uint64_t)tv->tv_usec * 1000ull;

			if (!next || o < next)
				next = o;
		}
	}
	if (!next)
		return;
	if (l->timeout_armed_ns && l->timeout_armed_ns <= next)
		return;
	l->timeout_ts.tv_sec = (long long)(next / 1000000000ull);
	l->timeout_ts.tv_nsec = (long long)(next % 1000000000ull);
	if (l->timeout_armed_ns) {
		sqe = loop_sqe(l, &l->ignore_op);
		if (!sqe)
			return;
		io_uring_prep_timeout_update(sqe, &l->timeout_ts,
					     (uint64_t)(uintptr_t)&l->timeout_op,
					     IORING_TIMEOUT_ABS);
	} else {
		sqe = loop_sqe(l, &l->timeout_op);
		if (!sqe)
			return;
		io_uring_prep_timeout(sqe, &l->timeout_ts, 0, IORING_TIMEOUT_ABS);
	}
	l->timeout_armed_ns = next;
}

/* --- libosmocore's file descriptors, polled through the ring ---
 *
 * libosmocore 1.7 offers osmo_fd_fill_fds()/osmo_fd_disp_fds() to a foreign
 * loop, but they go through fd_set: an osmo_fd numbered FD_SETSIZE or more
 * (a VTY telnet session accepted while calls hold the low descriptors)
 * aborts the process in glibc's FD_SET check. Instead we walk its list of
 * osmo_fds ourselves: osmo_fd_register() appends (llist_add_tail) to one
 * list per thread, so a sentinel osmo_fd of ours, registered once, has that
 * list's head as its next entry. struct osmo_fd and its list member are
 * public API; the walk is exactly what osmo_select_main() does internally.
 * Dispatch looks each ready fd up again with osmo_fd_get_by_fd(), so a
 * callback may unregister or free any osmo_fd, its own included.
 *
 * (Keeping libosmocore's fds below FD_SETSIZE instead, by moving every
 * socket of ours above it, would need every place that opens a descriptor
 * - sockets, accepts, eventfds, c-ares, media workers - to cooperate, and a
 * single one forgotten brings the abort back.) */

static void ofd_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_ofd *s = op->priv;

	s->inflight = false;
	s->armed = 0;
	llist_del_init(&s->armed_entry);
	if (cqe->res <= 0)
		return; /* cancelled (no longer wanted) or the fd went away */
	if (cqe->res & (POLLIN | POLLHUP | POLLERR | POLLRDHUP))
		s->ready_r = true;
	if (cqe->res & POLLOUT)
		s->ready_w = true;
	if (cqe->res & POLLPRI)
		s->ready_e = true;
	if (s->ready)
		return; /* listed already */
	if (l->n_ready == l->ready_cap) {
		int *a = talloc_realloc(l, l->ofd_ready, int, l->ready_cap * 2);

		if (!a)
			return; /* the flags stay: the next completion lists it */
		l->ofd_ready = a;
		l->ready_cap *= 2;
	}
	s->ready = true;
	l->ofd_ready[l->n_ready++] = s->fd;
}

static struct loop_ofd *ofd_get(struct loop *l, int fd)
{
	struct loop_ofd *s;

	if (fd < 0)
		return NULL;
	if ((unsigned)fd >= l->ofd_cap) {
		unsigned cap = l->ofd_cap ? l->ofd_cap : 64;
		struct loop_ofd **a;

		while (cap <= (unsigned)fd)
			cap *= 2;
		a = talloc_realloc(l, l->ofd, struct loop_ofd *, cap);
		if (!a)
			return NULL;
		memset(a + l->ofd_cap, 0, (cap - l->ofd_cap) * sizeof(*a));
		l->ofd = a;
		l->ofd_cap = cap;
	}
	s = l->ofd[fd];
	if (!s) {
		s = talloc_zero(l, struct loop_ofd);
		if (!s)
			return NULL;
		s->fd = fd;
		s->op.cb = ofd_cb;
		s->op.priv = s;
		INIT_LLIST_HEAD(&s->armed_entry);
		l->ofd[fd] = s;
	}
	return s;
}

/* Bring one fd's poll request in line with what libosmocore wants now. */
static void ofd_want(struct loop *l, struct loop_ofd *s, unsigned want)
{
	struct io_uring_sqe *sqe;

	if (s->inflight) {
		if (s->armed == want || s->armed == ~0u)
			return;
		/* Interest changed or the fd was unregistered: withdraw the
		 * request; it completes with -ECANCELED and is re-armed then. */
		sqe = loop_sqe(l, &l->ignore_op);
		if (sqe)
			io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)&s->op);
		s->armed = ~0u; /* "being removed" */
		return;
	}
	if (!want)
		return;
	sqe = loop_sqe(l, &s->op);
	if (!sqe)
		return;
	io_uring_prep_poll_add(sqe, s->fd, want);
	s->inflight = true;
	s->armed = want;
	llist_add_tail(&s->armed_entry, &l->ofd_armed);
	l->st.osmo_fd_polls++;
}

static void ofd_arm(struct loop *l)
{
	struct llist_head *pos;
	struct loop_ofd *s, *tmp;
	unsigned gen = ++l->ofd_gen;

	for (pos = l->osmo_fds->next; pos != l->osmo_fds; pos = pos->next) {
		struct osmo_fd *ufd = llist_entry(pos, struct osmo_fd, list);
		unsigned want = 0;

		if (ufd == &l->ofd_sentinel)
			continue;
		s = ofd_get(l, ufd->fd);
		if (!s)
			continue;
		if (ufd->when & OSMO_FD_READ)
			want |= POLLIN;
		if (ufd->when & OSMO_FD_WRITE)
			want |= POLLOUT;
		if (ufd->when & OSMO_FD_EXCEPT)
			want |= POLLPRI;
		s->seen = gen;
		ofd_want(l, s, want);
	}
	/* polls in flight for fds libosmocore no longer has */
	llist_for_each_entry_safe(s, tmp, &l->ofd_armed, armed_entry)
	{
		if (s->seen != gen)
			ofd_want(l, s, 0);
	}
}

static void ofd_dispatch(struct loop *l)
{
	unsigned n = l->n_ready;

	if (!n)
		return;
	l->n_ready = 0;
	l->st.osmo_fd_disp++;
	for (unsigned i = 0; i < n; i++) {
		struct loop_ofd *s = l->ofd[l->ofd_ready[i]];
		struct osmo_fd *ufd;
		unsigned what = 0;

		if (s->ready_r)
			what |= OSMO_FD_READ;
		if (s->ready_w)
			what |= OSMO_FD_WRITE;
		if (s->ready_e)
			what |= OSMO_FD_EXCEPT;
		s->ready = s->ready_r = s->ready_w = s->ready_e = false;
		/* looked up now: an earlier callback may have closed it */
		ufd = osmo_fd_get_by_fd(s->fd);
		if (!ufd || ufd == &l->ofd_sentinel)
			continue;
		what &= ufd->when;
		if (what)
			ufd->cb(ufd, what);
	}
}

static int ofd_init(struct loop *l)
{
	int fd;

	INIT_LLIST_HEAD(&l->ofd_armed);
	l->ready_cap = 64;
	l->ofd_ready = talloc_array(l, int, l->ready_cap);
	if (!l->ofd_ready)
		return -ENOMEM;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	osmo_fd_setup(&l->ofd_sentinel, fd, 0, NULL, NULL, 0);
	if (osmo_fd_register(&l->ofd_sentinel) < 0) {
		close(fd);
		l->ofd_sentinel.fd = -1;
		return -EIO;
	}
	/* appended last: its successor is the list head */
	l->osmo_fds = l->ofd_sentinel.list.next;
	if (osmo_fd_get_by_fd(fd) != &l->ofd_sentinel ||
	    l->osmo_fds->prev != &l->ofd_sentinel.list) {
		LOGP(DLOOP, LOGL_ERROR, "libosmocore's osmo_fd list is not as expected\n");
		return -EPROTO;
	}
	return 0;
}

static void ofd_exit(struct loop *l)
{
	if (!l->osmo_fds)
		return;
	osmo_fd_unregister(&l->ofd_sentinel);
	close(l->ofd_sentinel.fd);
	l->osmo_fds = NULL;
}

/* --- set-up --- */

static int ring_init(struct loop *l)
{
	struct io_uring_params p;
	int rc;

	memset(&p, 0, sizeof(p));
	if (!l->cfg.plain_ring) {
		p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
		rc = io_uring_queue_init_params(l->cfg.entries, &l->ring, &p);
		if (rc == 0) {
			l->feat.single_issuer = l->feat.defer_taskrun = true;
			goto probed;
		}
		LOGP(DLOOP, LOGL_NOTICE,
		     "io_uring: SINGLE_ISSUER|DEFER_TASKRUN not available (%s), using a plain "
		     "ring\n",
		     strerror(-rc));
		memset(&p, 0, sizeof(p));
	}
	rc = io_uring_queue_init_params(l->cfg.entries, &l->ring, &p);
	if (rc < 0) {
		LOGP(DLOOP, LOGL_ERROR, "io_uring_queue_init: %s\n", strerror(-rc));
		return rc;
	}
probed:
	l->feat.ext_arg = p.features & IORING_FEAT_EXT_ARG;
	l->feat.fast_poll = p.features & IORING_FEAT_FAST_POLL;
	{
		struct io_uring_probe *pr = io_uring_get_probe_ring(&l->ring);

		if (pr) {
			/* multishot recv arrived with IORING_OP_RECV in 6.0, but the
			 * opcode probe cannot tell; buffer rings need 5.19, which also
			 * brought IORING_OP_SOCKET: use that as the witness. */
			l->feat.buf_ring = io_uring_opcode_supported(pr, IORING_OP_SOCKET);
			l->feat.recv_multishot = io_uring_opcode_supported(pr, IORING_OP_SEND_ZC);
			io_uring_free_probe(pr);
		}
	}
	if (!l->feat.buf_ring || !l->feat.recv_multishot) {
		LOGP(DLOOP, LOGL_ERROR,
		     "io_uring: this kernel lacks %s%s (needs Linux 6.0 or later)\n",
		     l->feat.buf_ring ? "" : "provided buffer rings ",
		     l->feat.recv_multishot ? "" : "multishot receive");
		io_uring_queue_exit(&l->ring);
		return -ENOSYS;
	}
	return 0;
}

/* Cancel every request and collect the completions, so that no file stays
 * referenced by the ring after we are gone (the kernel tears a ring down
 * asynchronously; a socket held by a multishot receive would keep its
 * port bound for a while after the process ended). Bounded: 200 ms. */
static void loop_drain(struct loop *l)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	struct __kernel_timespec ts = {.tv_nsec = 20 * 1000000};
	uint64_t end = loop_now_ns() + 200000000ull;

	if (!sqe)
		return;
	io_uring_prep_cancel(sqe, NULL, IORING_ASYNC_CANCEL_ANY);
	io_uring_sqe_set_data(sqe, NULL);
	io_uring_submit(&l->ring);
	while (loop_now_ns() < end) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;

		if (io_uring_wait_cqe_timeout(&l->ring, &cqe, &ts) < 0)
			break; /* nothing more within 20 ms: all is in */
		/* owners are going away with the loop: just count them off */
		io_uring_for_each_cqe(&l->ring, head, cqe) n++;
		io_uring_cq_advance(&l->ring, n);
	}
}

static int loop_destructor(struct loop *l)
{
	loop_wake_flush(l);
	loop_drain(l);
	ofd_exit(l);
	if (l->sfd >= 0)
		close(l->sfd);
	loop_bufring_exit(l, &l->udp_br);
	loop_bufring_exit(l, &l->tcp_br);
	io_uring_queue_exit(&l->ring);
	return 0;
}

struct loop *loop_alloc(void *ctx, const struct loop_cfg *cfg)
{
	struct loop *l = talloc_zero(ctx, struct loop);

	if (!l)
		return NULL;
	if (cfg)
		l->cfg = *cfg;
	if (!l->cfg.entries)
		l->cfg.entries = 1024;
	if (!l->cfg.udp_bufs)
		l->cfg.udp_bufs = 1024;
	if (!l->cfg.udp_buf_size)
		l->cfg.udp_buf_size = 2048;
	if (!l->cfg.tcp_bufs)
		l->cfg.tcp_bufs = 256;
	if (!l->cfg.tcp_buf_size)
		l->cfg.tcp_buf_size = 16384;
	if (!l->cfg.send_slots)
		l->cfg.send_slots = 1024;
	l->sfd = -1;
	l->ignore_op.cb = ignore_cb;
	l->timeout_op.cb = timeout_cb;
	loop_timer_init(&l->ring_retry, loop_ring_retry_cb, l);
	if (ring_init(l) < 0) {
		talloc_free(l);
		return NULL;
	}
	talloc_set_destructor(l, loop_destructor);
	if (loop_bufring_init(l, &l->udp_br, 0, l->cfg.udp_bufs,
			      l->cfg.udp_buf_size + LOOP_UDP_RX_ROOM) < 0 ||
	    loop_bufring_init(l, &l->tcp_br, 1, l->cfg.tcp_bufs, l->cfg.tcp_buf_size) < 0 ||
	    loop_send_slots_init(l) < 0 || (l->cfg.drive_osmocom && ofd_init(l) < 0)) {
		talloc_free(l);
		return NULL;
	}
	LOGP(DLOOP, LOGL_INFO, "io_uring ready: %u entries, single_issuer=%d defer_taskrun=%d\n",
	     l->cfg.entries, l->feat.single_issuer, l->feat.defer_taskrun);
	return l;
}

void loop_free(struct loop *l)
{
	talloc_free(l);
}

/* Calls hold descriptors (TCP connections, RTP and RTCP sockets): the
 * usual soft limit of 1024 is far below what a gateway carries, and the
 * hard limit is what the administrator allows. */
int loop_raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur != rl.rlim_max) {
		rlim_t was = rl.rlim_cur;

		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
		LOGP(DLOOP, LOGL_INFO, "descriptor limit raised from %llu to %llu\n",
		     (unsigned long long)was, (unsigned long long)rl.rlim_cur);
	}
	return rl.rlim_cur > INT32_MAX ? INT32_MAX : (int)rl.rlim_cur;
}

/* --- turns --- */

int loop_run_once(struct loop *l)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	uint64_t t0, work;
	int rc;

	if (l->cfg.drive_osmocom)
		ofd_arm(l);
	arm_timeout(l);

	loop_wake_flush(l);
	l->st.turns++;
	l->st.enter_calls++;
	rc = io_uring_submit_and_wait(&l->ring, 1);
	if (rc < 0 && rc != -EINTR && rc != -ETIME && rc != -EBUSY) {
		LOGP(DLOOP, LOGL_ERROR, "io_uring_submit_and_wait: %s\n", strerror(-rc));
		return rc;
	}
	if (rc > 0)
		l->st.sqes += (unsigned)rc;
	l->pending_sqes = 0;
	t0 = loop_now_ns();

	io_uring_for_each_cqe(&l->ring, head, cqe)
	{
		struct loop_op *op = io_uring_cqe_get_data(cqe);

		n++;
		if (op && op->cb)
			op->cb(l, op, cqe);
	}
	io_uring_cq_advance(&l->ring, n);
	l->st.cqes += n;

	if (l->cfg.drive_osmocom)
		ofd_dispatch(l);
	run_timers(l);
	if (l->cfg.drive_osmocom) {
		osmo_timers_prepare();
		osmo_timers_update();
	}
	work = loop_now_ns() - t0;
	loop_late_add(&l->st.turn_work, work);
	if (work > loop_late_ms[LOOP_LATE_STEPS - 1] * 1000000ull && t0 >= l->late_logged_ns) {
		/* at most one line a minute: the counters say how often */
		l->late_logged_ns = t0 + 60 * 1000000000ull;
		LOGP(DLOOP, LOGL_NOTICE,
		     "loop turn worked %" PRIu64 " ms without a break (%u completions); "
		     "%" PRIu64 " turns over %u ms so far\n",
		     work / 1000000, n, l->st.turn_work.over[LOOP_LATE_STEPS - 1],
		     loop_late_ms[LOOP_LATE_STEPS - 1]);
	}
	return 0;
}

int loop_run(struct loop *l)
{
	int rc = 0;

	while (!l->stop && rc == 0)
		rc = loop_run_once(l);
	return rc;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}

bool loop_stopping(const struct loop *l)
{
	return l->stop;
}

const struct loop_stats *loop_get_stats(struct loop *l)
{
	l->st.udp_bufs_in_use = l->udp_br.in_use;
	l->st.udp_bufs_total = l->udp_br.nbufs;
	l->st.tcp_bufs_in_use = l->tcp_br.in_use;
	l->st.tcp_bufs_total = l->tcp_br.nbufs;
	l->st.send_slots_total = l->cfg.send_slots;
	l->st.timers_pending = l->heap_len;
	return &l->st;
}

const struct loop_features *loop_get_features(const struct loop *l)
{
	return &l->feat;
}

struct io_uring *loop_ring(struct loop *l)
{
	return &l->ring;
}

/* --- signals through signalfd --- */

static void sig_arm(struct loop *l)
{
	struct io_uring_sqe *sqe = loop_sqe(l, &l->sig_op);

	if (sqe)
		io_uring_prep_read(sqe, l->sfd, l->sig_buf, sizeof(struct signalfd_siginfo), 0);
}

static void sig_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	const struct signalfd_siginfo *si = (const void *)l->sig_buf;

	(void)op;
	if (cqe->res == (int)sizeof(*si)) {
		switch (si->ssi_signo) {
		case SIGTERM:
			if (l->term_cb) {
				LOGP(DMAIN, LOGL_NOTICE, "signal %u: handing to the owner\n",
				     si->ssi_signo);
				l->term_cb(l->term_priv);
				break;
			}
			/* fall through */
		case SIGINT:
			LOGP(DMAIN, LOGL_NOTICE, "signal %u: stopping\n", si->ssi_signo);
			l->stop = true;
			break;
		case SIGHUP:
			LOGP(DMAIN, LOGL_NOTICE, "SIGHUP: reopening logs, re-reading\n");
			if (l->hup_cb)
				l->hup_cb(l->hup_priv);
			break;
		}
	}
	if (!l->stop)
		sig_arm(l);
}

void loop_signals_on_term(struct loop *l, void (*term_cb)(void *priv), void *priv)
{
	l->term_cb = term_cb;
	l->term_priv = priv;
}

int loop_signals_start(struct loop *l, void (*hup_cb)(void *priv), void *priv)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
		return -errno;
	l->sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (l->sfd < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	l->hup_cb = hup_cb;
	l->hup_priv = priv;
	l->sig_op.cb = sig_cb;
	sig_arm(l);
	return 0;
}

/* --- wake-ups from other threads --- */

struct loop_wake {
	struct loop *l;
	struct loop_op op;
	int efd;
	uint64_t val;
	bool closing, inflight;
	void (*cb)(void *priv);
	void *priv;
};

static void wake_arm(struct loop_wake *w)
{
	struct io_uring_sqe *sqe = loop_sqe(w->l, &w->op);

	if (!sqe)
		return;
	io_uring_prep_read(sqe, w->efd, &w->val, sizeof(w->val), 0);
	w->inflight = true;
}

static void wake_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct loop_wake *w = op->priv;

	(void)l;
	w->inflight = false;
	if (w->closing) {
		close(w->efd);
		talloc_free(w);
		return;
	}
	if (cqe->res == sizeof(uint64_t))
		w->cb(w->priv);
	wake_arm(w);
}

struct loop_wake *loop_wake_alloc(struct loop *l, void (*cb)(void *priv), void *priv)
{
	struct loop_wake *w = talloc_zero(l, struct loop_wake);

	if (!w)
		return NULL;
	w->efd = eventfd(0, EFD_CLOEXEC);
	if (w->efd < 0) {
		talloc_free(w);
		return NULL;
	}
	w->l = l;
	w->cb = cb;
	w->priv = priv;
	w->op.cb = wake_cb;
	w->op.priv = w;
	wake_arm(w);
	return w;
}

void loop_wake_signal(struct loop_wake *w)
{
	uint64_t one = 1;

	/* Only fails when the counter would overflow: then a wake-up is pending anyway. */
	if (write(w->efd, &one, sizeof(one)) < 0)
		return;
}

void loop_wake_signal_later(struct loop *l, struct loop_wake *w)
{
	for (unsigned i = 0; i < l->n_later; i++)
		if (l->later[i] == w)
			return;
	if (l->n_later == LOOP_WAKE_LATER) {
		loop_wake_signal(w);
		return;
	}
	l->later[l->n_later++] = w;
}

void loop_wake_flush(struct loop *l)
{
	for (unsigned i = 0; i < l->n_later; i++)
		loop_wake_signal(l->later[i]);
	l->n_later = 0;
}

void loop_wake_free(struct loop_wake *w)
{
	if (!w->inflight) {
		close(w->efd);
		talloc_free(w);
		return;
	}
	/* The read in flight completes once we signal; free then. */
	w->closing = true;
	loop_wake_signal(w);
}
