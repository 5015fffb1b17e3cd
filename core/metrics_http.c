/* /metrics over HTTP with libmicrohttpd, driven by tandem's loop: the
 * daemon runs without a thread of its own (MHD_USE_EPOLL, external event
 * loop); its epoll descriptor is an osmo_fd that the loop polls through
 * the ring like libosmocore's, and MHD_run() handles whatever is ready.
 * MHD's own timeout (idle connections) is an osmo_timer. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/select.h>
#include <osmocom/core/timer.h>

#include "core/log.h"
#include "core/metrics.h"

static uint64_t scrapes;

uint64_t tandem_metrics_http_scrapes(void)
{
	return scrapes;
}

#ifdef TANDEM_HAVE_MHD
#include <microhttpd.h>

static struct {
	struct MHD_Daemon *d;
	struct osmo_fd ofd;
	struct osmo_timer_list timer;
} h;

static void rearm(void)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(h.d, &ms) == MHD_YES)
		osmo_timer_schedule(&h.timer, (long)(ms / 1000), (long)(ms % 1000) * 1000);
	else
		osmo_timer_del(&h.timer);
}

static int on_fd(struct osmo_fd *ofd, unsigned what)
{
	(void)ofd;
	(void)what;
	MHD_run(h.d);
	rearm();
	return 0;
}

static void on_timer(void *priv)
{
	(void)priv;
	MHD_run(h.d);
	rearm();
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
			     char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	static char not_found[] = "not found: try /metrics\n";
	static char not_allowed[] = "GET or HEAD only\n";
	char *body;
	size_t len = 0;

	(void)cls;
	(void)version;
	(void)upload_data;
	/* a request with a body is refused below; nothing of it is kept */
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!*con_cls) {
		/* the first call carries only the headers */
		*con_cls = (void *)1;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", not_allowed,
			     strlen(not_allowed), MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found, strlen(not_found),
			     MHD_RESPMEM_PERSISTENT);
	body = tandem_metrics_render(&len);
	if (!body)
		return MHD_NO;
	scrapes++;
	return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
		     MHD_RESPMEM_MUST_FREE);
}

int tandem_metrics_http_start(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss = {0};
	const union MHD_DaemonInfo *di;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	tandem_metrics_http_stop();
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1)
			return -EINVAL;
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &a->sin_addr) != 1)
			return -EINVAL;
	}
	h.d = MHD_start_daemon(flags, port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
			       (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 32u,
			       MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!h.d) {
		LOGP(DMAIN, LOGL_ERROR, "metrics: cannot listen on %s port %u\n", addr, port);
		return -EADDRNOTAVAIL;
	}
	di = MHD_get_daemon_info(h.d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di) {
		MHD_stop_daemon(h.d);
		h.d = NULL;
		return -ENOTSUP;
	}
	osmo_fd_setup(&h.ofd, di->epoll_fd, OSMO_FD_READ, on_fd, NULL, 0);
	if (osmo_fd_register(&h.ofd) < 0) {
		MHD_stop_daemon(h.d);
		h.d = NULL;
		return -EIO;
	}
	osmo_timer_setup(&h.timer, on_timer, NULL);
	rearm();
	LOGP(DMAIN, LOGL_NOTICE, "metrics: http://%s%s%s:%u/metrics\n",
	     strchr(addr, ':') ? "[" : "", addr, strchr(addr, ':') ? "]" : "", port);
	return 0;
}

void tandem_metrics_http_stop(void)
{
	if (!h.d)
		return;
	osmo_fd_unregister(&h.ofd);
	osmo_timer_del(&h.timer);
	MHD_stop_daemon(h.d);
	h.d = NULL;
}

#else

int tandem_metrics_http_start(const char *addr, uint16_t port)
{
	LOGP(DMAIN, LOGL_ERROR,
	     "metrics: %s port %u not served: tandem was built without libmicrohttpd\n", addr,
	     port);
	return -ENOTSUP;
}

void tandem_metrics_http_stop(void)
{
}

#endif
