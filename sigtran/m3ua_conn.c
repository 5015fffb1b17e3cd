#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "sigtran/m3ua_conn.h"
#include "sigtran/m3ua_msg.h"

struct m3ua_conn {
	struct loop *l;
	struct m3ua_conn_cfg cfg;
	const struct m3ua_conn_ops *ops;
	void *priv;
	struct loop_conn *c;
	struct loop_listener *ls;
	struct loop_timer retry;
	bool up;
	struct m3ua_conn_stats st;
};

int m3ua_sctp_probe(char *why, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	snprintf(why, len,
		 "kernel SCTP is not available (%s): load the sctp module (modprobe sctp), "
		 "or configure 'transport tcp' (M3UA over TCP, framed by the common header "
		 "length)",
		 strerror(errno));
	return -errno;
}

static void schedule_retry(struct m3ua_conn *c)
{
	unsigned ms = c->st.backoff_ms ? c->st.backoff_ms : c->cfg.reconnect_min_ms;

	loop_timer_schedule(c->l, &c->retry, (uint64_t)ms * 1000);
	/* exponential back-off, reset once a connection comes up */
	c->st.backoff_ms = ms * 2 > c->cfg.reconnect_max_ms ? c->cfg.reconnect_max_ms : ms * 2;
}

static void went_down(struct m3ua_conn *c, int err)
{
	bool was_up = c->up;

	c->up = false;
	c->c = NULL;
	if (was_up) {
		c->st.disconnects++;
		if (c->ops->down)
			c->ops->down(c->priv, err);
	}
	if (!c->cfg.server)
		schedule_retry(c);
}

/* Whole messages by the common header length (RFC 4666 3.1, m3ua_frame()). */
static size_t on_data(void *priv, const uint8_t *d, size_t len)
{
	struct m3ua_conn *c = priv;
	size_t used = 0;

	while (used < len) {
		int n = m3ua_frame(d + used, len - used);

		if (n == -EAGAIN)
			break;
		if (n < 0 || (size_t)n > c->cfg.max_msg) {
			/* a stream cannot be resynchronised: drop the association */
			c->st.bad_frames++;
			LOGP(DM3UA, LOGL_ERROR, "M3UA/TCP: bad common header, closing\n");
			loop_conn_close(c->c);
			went_down(c, -EBADMSG);
			return len;
		}
		c->st.rx_msgs++;
		c->ops->rx(c->priv, d + used, (size_t)n, 0);
		used += (size_t)n;
		if (!c->c)
			return len; /* the user reset us */
	}
	return used;
}

static void on_close(void *priv, int err)
{
	struct m3ua_conn *c = priv;

	LOGP(DM3UA, LOGL_NOTICE, "M3UA association lost (%s)\n", err ? strerror(-err) : "closed");
	went_down(c, err ? err : -ECONNRESET);
}

static void mark_up(struct m3ua_conn *c)
{
	c->up = true;
	c->st.connects++;
	c->st.backoff_ms = 0;
	LOGP(DM3UA, LOGL_NOTICE, "M3UA association up (%s)\n",
	     c->cfg.server ? "accepted" : "connected");
	if (c->ops->up)
		c->ops->up(c->priv);
}

static void on_connect(void *priv, int err)
{
	struct m3ua_conn *c = priv;

	if (err) {
		LOGP(DM3UA, LOGL_INFO, "M3UA connect: %s; retry in %u ms\n", strerror(-err),
		     c->st.backoff_ms ? c->st.backoff_ms : c->cfg.reconnect_min_ms);
		c->c = NULL;
		schedule_retry(c);
		return;
	}
	mark_up(c);
}

static const struct loop_conn_cbs conn_cbs = {
	.on_connect = on_connect,
	.on_data = on_data,
	.on_close = on_close,
};

static void do_connect(void *priv)
{
	struct m3ua_conn *c = priv;

	c->c = loop_tcp_connect(c->l, (struct sockaddr *)&c->cfg.remote, c->cfg.remote_len,
				&conn_cbs, c);
	if (!c->c)
		schedule_retry(c);
}

static void on_accept(void *priv, int fd, const struct sockaddr *peer, socklen_t plen)
{
	struct m3ua_conn *c = priv;

	(void)peer;
	(void)plen;
	if (c->c) {
		/* the peer came back (restart): the old association is stale */
		LOGP(DM3UA, LOGL_NOTICE, "M3UA: new connection replaces the current one\n");
		loop_conn_close(c->c);
		went_down(c, -ECONNRESET);
	}
	c->c = loop_conn_adopt(c->l, fd, &conn_cbs, c);
	if (!c->c) {
		close(fd);
		return;
	}
	mark_up(c);
}

struct m3ua_conn *m3ua_conn_alloc(void *ctx, struct loop *l, const struct m3ua_conn_cfg *cfg,
				  const struct m3ua_conn_ops *ops, void *priv)
{
	struct m3ua_conn *c;
	char why[256];

	if (cfg->transport == M3UA_TRANSPORT_SCTP) {
		if (m3ua_sctp_probe(why, sizeof(why)) < 0) {
			LOGP(DM3UA, LOGL_ERROR, "%s\n", why);
			return NULL;
		}
		/* The kernel has SCTP, but the SCTP data path (sctp_sndrcvinfo
		 * on the ring) is not part of this build. */
		LOGP(DM3UA, LOGL_ERROR,
		     "M3UA over kernel SCTP is not supported by this build; "
		     "use 'transport tcp'\n");
		return NULL;
	}
	c = talloc_zero(ctx, struct m3ua_conn);
	if (!c)
		return NULL;
	c->l = l;
	c->cfg = *cfg;
	if (!c->cfg.reconnect_min_ms)
		c->cfg.reconnect_min_ms = 200;
	if (!c->cfg.reconnect_max_ms)
		c->cfg.reconnect_max_ms = 10000;
	if (!c->cfg.max_msg)
		c->cfg.max_msg = 65536;
	c->ops = ops;
	c->priv = priv;
	loop_timer_init(&c->retry, do_connect, c);
	if (cfg->server) {
		c->ls = loop_tcp_listen(l, (struct sockaddr *)&cfg->local, cfg->local_len,
					on_accept, c);
		if (!c->ls) {
			talloc_free(c);
			return NULL;
		}
	} else {
		do_connect(c);
	}
	return c;
}

void m3ua_conn_free(struct m3ua_conn *c)
{
	loop_timer_cancel(c->l, &c->retry);
	if (c->c)
		loop_conn_close(c->c);
	if (c->ls)
		loop_listener_close(c->ls);
	talloc_free(c);
}

int m3ua_conn_tx(struct m3ua_conn *c, const uint8_t *msg, size_t len, uint16_t stream)
{
	int rc;

	(void)stream; /* one ordered byte stream on TCP */
	if (!c->up || !c->c)
		return -ENOTCONN;
	rc = loop_conn_send(c->c, msg, len);
	if (rc == 0)
		c->st.tx_msgs++;
	return rc;
}

bool m3ua_conn_is_up(const struct m3ua_conn *c)
{
	return c->up;
}

void m3ua_conn_reset(struct m3ua_conn *c)
{
	if (!c->c)
		return;
	loop_conn_close(c->c);
	went_down(c, -ECONNABORTED);
}

const struct m3ua_conn_stats *m3ua_conn_get_stats(const struct m3ua_conn *c)
{
	return &c->st;
}

int m3ua_conn_local(const struct m3ua_conn *c, struct sockaddr_storage *ss)
{
	if (c->ls)
		return loop_listener_local(c->ls, ss);
	return -ENOTCONN;
}
