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
#include "sigtran/m3ua_sctp.h"

struct m3ua_conn {
	struct loop *l;
	struct m3ua_conn_cfg cfg;
	const struct m3ua_conn_ops *ops;
	void *priv;
	struct loop_conn *c;
	struct loop_listener *ls;
	struct m3ua_sctp *s; /* SCTP: the association */
	struct m3ua_sctp_listener *sls;
	struct loop_timer retry;
	bool up;
	struct m3ua_conn_stats st;
	struct sockaddr_storage cap_local, cap_peer; /* for captures, from mark_up */
};

static m3ua_capture_cb capture_cb;
static void *capture_priv;

void m3ua_conn_set_capture(m3ua_capture_cb cb, void *priv)
{
	capture_cb = cb;
	capture_priv = priv;
}

/* DATA only: management stays out of call traces */
static void capture(struct m3ua_conn *c, bool tx, const uint8_t *msg, size_t len)
{
	struct m3ua_capture cap = {
		.tx = tx,
		.sctp = c->s != NULL,
		.src = (struct sockaddr *)(tx ? &c->cap_local : &c->cap_peer),
		.dst = (struct sockaddr *)(tx ? &c->cap_peer : &c->cap_local),
		.msg = msg,
		.len = len,
	};

	if (len >= 8 && msg[2] == M3UA_CLS_XFER && msg[3] == M3UA_XFER_DATA)
		capture_cb(capture_priv, &cap);
}

static void capture_addrs(struct m3ua_conn *c)
{
	socklen_t l1 = sizeof(c->cap_local), l2 = sizeof(c->cap_peer);

	memcpy(&c->cap_local, &c->cfg.local, sizeof(c->cap_local));
	memcpy(&c->cap_peer, &c->cfg.remote, sizeof(c->cap_peer));
	if (c->c) {
		getsockname(loop_conn_fd(c->c), (struct sockaddr *)&c->cap_local, &l1);
		getpeername(loop_conn_fd(c->c), (struct sockaddr *)&c->cap_peer, &l2);
	}
}

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
	c->s = NULL;
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
		if (capture_cb)
			capture(c, false, d + used, (size_t)n);
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
	capture_addrs(c);
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

/* --- SCTP: message boundaries from the transport, stream with each --- */

static void sctp_on_msg(void *priv, const uint8_t *d, size_t len, uint16_t stream)
{
	struct m3ua_conn *c = priv;

	c->st.rx_msgs++;
	if (capture_cb)
		capture(c, false, d, len);
	c->ops->rx(c->priv, d, len, stream);
}

static void sctp_on_connect(void *priv, int err)
{
	struct m3ua_conn *c = priv;

	if (err) {
		LOGP(DM3UA, LOGL_INFO, "M3UA/SCTP connect: %s; retry in %u ms\n", strerror(-err),
		     c->st.backoff_ms ? c->st.backoff_ms : c->cfg.reconnect_min_ms);
		c->s = NULL;
		schedule_retry(c);
		return;
	}
	mark_up(c);
}

static const struct m3ua_sctp_cbs sctp_cbs = {
	.on_connect = sctp_on_connect,
	.on_msg = sctp_on_msg,
	.on_close = on_close,
};

/* the configured address and its companions (RFC 4960 6.4 multi-homing) */
static void sctp_addrs(struct m3ua_sctp_addrs *out, const struct sockaddr_storage *first,
		       socklen_t first_len, const struct sockaddr_storage *more, unsigned n_more)
{
	in_port_t port = ((const struct sockaddr_in *)first)->sin_port;

	out->n = 0;
	if (first_len)
		out->a[out->n++] = *first;
	for (unsigned i = 0; i < n_more && out->n < M3UA_SCTP_MAX_ADDRS; i++) {
		out->a[out->n] = more[i];
		if (out->a[out->n].ss_family == AF_INET)
			((struct sockaddr_in *)&out->a[out->n])->sin_port = port;
		else if (out->a[out->n].ss_family == AF_INET6)
			((struct sockaddr_in6 *)&out->a[out->n])->sin6_port = port;
		out->n++;
	}
}

static void sctp_connect(struct m3ua_conn *c)
{
	struct m3ua_sctp_addrs local, remote;

	sctp_addrs(&local, &c->cfg.local, c->cfg.local_len, c->cfg.local_more, c->cfg.n_local_more);
	sctp_addrs(&remote, &c->cfg.remote, c->cfg.remote_len, c->cfg.remote_more,
		   c->cfg.n_remote_more);
	c->s = m3ua_sctp_connect(c->l, &local, &remote, c->cfg.max_msg, c->cfg.ssnm_on_data,
				 &c->cfg.sctp, &sctp_cbs, c);
	if (!c->s) {
		LOGP(DM3UA, LOGL_INFO, "M3UA/SCTP connect: %s\n", strerror(errno));
		schedule_retry(c);
	}
}

static void sctp_on_accept(void *priv, struct m3ua_sctp *s)
{
	struct m3ua_conn *c = priv;

	if (c->s) {
		LOGP(DM3UA, LOGL_NOTICE, "M3UA: new association replaces the current one\n");
		m3ua_sctp_close(c->s);
		went_down(c, -ECONNRESET);
	}
	c->s = s;
	mark_up(c);
}

static void do_connect(void *priv)
{
	struct m3ua_conn *c = priv;

	if (c->cfg.transport == M3UA_TRANSPORT_SCTP) {
		sctp_connect(c);
		return;
	}
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

/* The association parameters, checked and tried on a socket of their own at
 * start-up: a value the kernel refuses stops the start rather than every
 * later connect. */
static int sctp_params_try(const struct m3ua_sctp_params *p)
{
	char why[160];
	const char *opt = NULL;
	int fd, rc;

	if (m3ua_sctp_params_check(p, why, sizeof(why)) < 0) {
		LOGP(DM3UA, LOGL_ERROR, "M3UA/SCTP: %s\n", why);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
	if (fd < 0)
		return 0; /* the connect says why */
	rc = m3ua_sctp_fd_params(fd, p, &opt);
	close(fd);
	if (rc < 0)
		LOGP(DM3UA, LOGL_ERROR, "M3UA/SCTP: the kernel refuses %s: %s\n", opt,
		     strerror(-rc));
	return rc;
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
		if (sctp_params_try(&cfg->sctp) < 0)
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
	if (cfg->server && cfg->transport == M3UA_TRANSPORT_SCTP) {
		struct m3ua_sctp_addrs local;

		sctp_addrs(&local, &cfg->local, cfg->local_len, cfg->local_more, cfg->n_local_more);
		c->sls = m3ua_sctp_listen(l, &local, c->cfg.max_msg, cfg->ssnm_on_data, &cfg->sctp,
					  &sctp_cbs, c, sctp_on_accept, c);
		if (!c->sls) {
			LOGP(DM3UA, LOGL_ERROR, "M3UA/SCTP listen: %s\n", strerror(errno));
			talloc_free(c);
			return NULL;
		}
	} else if (cfg->server) {
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
	if (c->s)
		m3ua_sctp_close(c->s);
	if (c->ls)
		loop_listener_close(c->ls);
	if (c->sls)
		m3ua_sctp_listener_close(c->sls);
	talloc_free(c);
}

int m3ua_conn_tx(struct m3ua_conn *c, const uint8_t *msg, size_t len, uint16_t stream)
{
	int rc;

	if (!c->up || (!c->c && !c->s))
		return -ENOTCONN;
	if (c->s)
		rc = m3ua_sctp_send(c->s, msg, len, stream);
	else
		rc = loop_conn_send(c->c, msg, len); /* one ordered byte stream on TCP */
	if (rc == 0)
		c->st.tx_msgs++;
	if (rc == 0 && capture_cb)
		capture(c, true, msg, len);
	return rc;
}

bool m3ua_conn_is_up(const struct m3ua_conn *c)
{
	return c->up;
}

void m3ua_conn_reset(struct m3ua_conn *c)
{
	if (!c->c && !c->s)
		return;
	if (c->s)
		m3ua_sctp_close(c->s);
	else
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
	if (c->sls)
		return m3ua_sctp_listener_local(c->sls, ss);
	return -ENOTCONN;
}

unsigned m3ua_conn_paths(const struct m3ua_conn *c, struct m3ua_sctp_path *out, unsigned max)
{
	return c && c->s && c->up ? m3ua_sctp_paths(c->s, out, max) : 0;
}

int m3ua_conn_sctp_info(const struct m3ua_conn *c, struct m3ua_sctp_info *out)
{
	return c && c->s && c->up ? m3ua_sctp_info(c->s, out) : -ENOTCONN;
}
