/* One connection's life cycle on the ring (see struct loop_stream). */
#include <sys/socket.h>
#include <unistd.h>

#include <osmocom/core/talloc.h>

#include "core/loop_int.h"

void loop_stream_init(struct loop_stream *s, struct loop *l, int fd, void *obj,
		      void (*rx_cb)(struct loop *, struct loop_op *, const struct io_uring_cqe *),
		      void (*tx_cb)(struct loop *, struct loop_op *, const struct io_uring_cqe *),
		      void (*conn_cb)(struct loop *, struct loop_op *, const struct io_uring_cqe *))
{
	*s = (struct loop_stream){.l = l,
				  .fd = fd,
				  .obj = obj,
				  .rx_op = {.cb = rx_cb, .priv = obj},
				  .tx_op = {.cb = tx_cb, .priv = obj},
				  .conn_op = {.cb = conn_cb, .priv = obj}};
}

struct io_uring_sqe *loop_stream_sqe(struct loop_stream *s, struct loop_op *op)
{
	struct io_uring_sqe *sqe = loop_sqe(s->l, op);

	if (!sqe)
		return NULL;
	if (op == &s->rx_op)
		s->rx_armed = true;
	else if (op == &s->tx_op)
		s->tx_busy = true;
	else if (op == &s->conn_op)
		s->connecting = true;
	s->inflight++;
	return sqe;
}

void loop_stream_put(struct loop_stream *s)
{
	s->inflight--;
	if (s->closing && s->inflight == 0) {
		close(s->fd);
		talloc_free(s->obj);
	}
}

static void cancel(struct loop_stream *s, struct loop_op *op)
{
	struct io_uring_sqe *sqe = loop_sqe(s->l, &s->l->ignore_op);

	if (sqe)
		io_uring_prep_cancel(sqe, op, 0);
}

void loop_stream_close(struct loop_stream *s)
{
	if (s->closing)
		return;
	s->closing = true;
	if (s->rx_armed)
		cancel(s, &s->rx_op);
	if (s->connecting)
		cancel(s, &s->conn_op);
	/* A send in flight completes by itself (or fails once the fd is shut). */
	if (s->tx_busy)
		shutdown(s->fd, SHUT_RDWR);
	/* freed now when nothing is in flight */
	loop_stream_hold(s);
	loop_stream_put(s);
}

void loop_stream_fail(struct loop_stream *s, void (*cb)(void *priv, int err), void *priv, int err)
{
	if (s->closing)
		return;
	loop_stream_close(s);
	if (cb)
		cb(priv, err);
}
