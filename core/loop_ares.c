#include <errno.h>
#include <stdint.h>
#include <poll.h>
#include <string.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/talloc.h>

#include "core/loop.h"
#include "core/loop_ares.h"

/* One poll request per c-ares socket, one-shot and re-armed while c-ares
 * still wants the socket; a socket c-ares let go keeps its record until the
 * request in flight completes (it is cancelled). */
struct ares_sock {
	struct llist_head list;
	struct loop_ares *a;
	struct loop_op op;
	int fd;
	unsigned want; /* POLLIN / POLLOUT that c-ares asked for */
	bool inflight;
	bool gone; /* c-ares closed it */
	bool busy; /* inside ares_process_fd() for this socket */
};

struct loop_ares {
	struct loop *l;
	ares_channel ch;
	struct llist_head socks;
	struct loop_timer tmr;
	bool freeing;
};

static void ignore_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	(void)l;
	(void)op;
	(void)cqe;
}

/* For poll-remove requests: stateless, so it may outlive any loop_ares. */
static struct loop_op ignore_op = {.cb = ignore_cb};

static void sock_arm(struct ares_sock *s)
{
	struct io_uring_sqe *sqe;

	if (s->inflight || s->gone || !s->want)
		return;
	sqe = loop_sqe(s->a->l, &s->op);
	if (!sqe)
		return;
	io_uring_prep_poll_add(sqe, s->fd, s->want);
	s->inflight = true;
}

static void sock_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct ares_sock *s = op->priv;
	struct loop_ares *a = s->a;

	(void)l;
	s->inflight = false;
	if (s->gone) {
		llist_del(&s->list);
		talloc_free(s);
		return;
	}
	if (cqe->res > 0) {
		int rfd = cqe->res & (POLLIN | POLLERR | POLLHUP) ? s->fd : ARES_SOCKET_BAD;
		int wfd = cqe->res & POLLOUT ? s->fd : ARES_SOCKET_BAD;

		s->busy = true;
		ares_process_fd(a->ch, rfd, wfd); /* may close the socket (sock_state_cb) */
		s->busy = false;
	}
	if (s->gone) {
		llist_del(&s->list);
		talloc_free(s);
	} else {
		sock_arm(s);
	}
	loop_ares_kick(a);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct loop_ares *a = data;
	struct ares_sock *s, *found = NULL;
	unsigned want = (readable ? POLLIN : 0) | (writable ? POLLOUT : 0);

	llist_for_each_entry(s, &a->socks, list) if (s->fd == fd && !s->gone) found = s;
	if (!want) {
		if (!found)
			return;
		found->gone = true;
		if (found->busy)
			return; /* sock_cb frees it when ares_process_fd() returns */
		if (found->inflight) {
			struct io_uring_sqe *sqe = loop_sqe(a->l, &ignore_op);

			if (sqe)
				io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)&found->op);
		} else {
			llist_del(&found->list);
			talloc_free(found);
		}
		return;
	}
	if (!found) {
		found = talloc_zero(a, struct ares_sock);
		if (!found)
			return;
		found->a = a;
		found->fd = fd;
		found->op.cb = sock_cb;
		found->op.priv = found;
		llist_add_tail(&found->list, &a->socks);
	}
	if (found->inflight && found->want != want) {
		/* interest changed: withdraw; the completion re-arms with the new mask */
		struct io_uring_sqe *sqe = loop_sqe(a->l, &ignore_op);

		if (sqe)
			io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)&found->op);
	}
	found->want = want;
	sock_arm(found);
}

static void tmr_cb(void *priv)
{
	struct loop_ares *a = priv;

	ares_process_fd(a->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	loop_ares_kick(a);
}

void loop_ares_kick(struct loop_ares *a)
{
	struct timeval tv, *t;

	if (a->freeing)
		return;
	t = ares_timeout(a->ch, NULL, &tv);
	if (!t) {
		loop_timer_cancel(a->l, &a->tmr);
		return;
	}
	loop_timer_schedule(a->l, &a->tmr, (uint64_t)t->tv_sec * 1000000ull + (uint64_t)t->tv_usec);
}

struct loop_ares *loop_ares_alloc(void *ctx, struct loop *l, struct ares_options *opts, int optmask)
{
	struct loop_ares *a = talloc_zero(ctx, struct loop_ares);
	struct ares_options o;

	if (!a)
		return NULL;
	if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		talloc_free(a);
		return NULL;
	}
	a->l = l;
	INIT_LLIST_HEAD(&a->socks);
	loop_timer_init(&a->tmr, tmr_cb, a);
	if (opts)
		o = *opts;
	else
		memset(&o, 0, sizeof(o));
	o.sock_state_cb = sock_state;
	o.sock_state_cb_data = a;
	if (ares_init_options(&a->ch, &o, optmask | ARES_OPT_SOCK_STATE_CB) != ARES_SUCCESS) {
		ares_library_cleanup();
		talloc_free(a);
		return NULL;
	}
	return a;
}

ares_channel loop_ares_channel(struct loop_ares *a)
{
	return a->ch;
}

void loop_ares_free(struct loop_ares *a)
{
	struct ares_sock *s, *n;

	/* c-ares tells us about every socket it closes (sock_state_cb); records
	 * with a request in flight are kept until it completes. */
	ares_destroy(a->ch);
	a->freeing = true;
	loop_timer_cancel(a->l, &a->tmr);
	llist_for_each_entry_safe(s, n, &a->socks, list)
	{
		if (s->inflight) {
			/* the record outlives us: re-parent it to the loop */
			s->gone = true;
			talloc_steal(a->l, s);
		}
	}
	ares_library_cleanup();
	if (llist_empty(&a->socks)) {
		talloc_free(a);
		return;
	}
	/* detach remaining in-flight records from our list head, then free */
	llist_for_each_entry_safe(s, n, &a->socks, list) llist_del_init(&s->list);
	talloc_free(a);
}

/* RFC 1035 4.1.3: skip an owner name (labels, or a pointer) */
static int skip_name(const uint8_t *b, size_t len, size_t *off)
{
	for (unsigned labels = 0; labels < 128; labels++) {
		uint8_t c;

		if (*off >= len)
			return -EBADMSG;
		c = b[*off];
		if (c == 0) {
			(*off)++;
			return 0;
		}
		if ((c & 0xc0) == 0xc0) { /* RFC 1035 4.1.4: a pointer ends the name */
			if (*off + 2 > len)
				return -EBADMSG;
			*off += 2;
			return 0;
		}
		if (c & 0xc0)
			return -EBADMSG;
		*off += 1u + c;
	}
	return -EBADMSG;
}

int loop_ares_answer_ttl(const uint8_t *b, size_t len, uint32_t *ttl)
{
	size_t off = 12;
	unsigned qd, an, i;
	uint32_t min = UINT32_MAX;

	if (len < 12)
		return -EBADMSG;
	qd = (unsigned)b[4] << 8 | b[5];
	an = (unsigned)b[6] << 8 | b[7];
	for (i = 0; i < qd; i++) {
		if (skip_name(b, len, &off) < 0 || off + 4 > len)
			return -EBADMSG;
		off += 4;
	}
	for (i = 0; i < an; i++) {
		uint32_t t;
		unsigned rdlen;

		if (skip_name(b, len, &off) < 0 || off + 10 > len)
			return -EBADMSG;
		t = (uint32_t)b[off + 4] << 24 | (uint32_t)b[off + 5] << 16 |
		    (uint32_t)b[off + 6] << 8 | b[off + 7];
		rdlen = (unsigned)b[off + 8] << 8 | b[off + 9];
		off += 10;
		if (off + rdlen > len)
			return -EBADMSG;
		off += rdlen;
		if (t & 0x80000000u) /* RFC 2181 8: a TTL with the top bit set is 0 */
			t = 0;
		if (t < min)
			min = t;
	}
	*ttl = an ? min : 0;
	return 0;
}
