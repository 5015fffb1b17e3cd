/* tandem-tool top's data: a scrape of tandemd's /metrics (calls, linkset
 * counts, trunks, M3UA states) and, over the VTY, "show isup circuits
 * compact" for the CIC grid (per-circuit state is no metric: one series per
 * circuit would be a cardinality Prometheus warns against). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "interwork/iw_top.h"

#define TOP_VTY_BUF (1 << 20)

static uint64_t mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int dial(const struct sockaddr_storage *ss, socklen_t len)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)ss, len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* GET /metrics over HTTP/1.0 (the server closes after the answer): the
 * body in a malloc'd buffer, or NULL with the reason in c->metrics_err */
static char *fetch(struct top_ctx *c)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: tandemd\r\n\r\n";
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *body;
	int fd = dial(&c->metrics_ss, c->metrics_len);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	if (!buf || fd < 0 ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(req) - 1)) {
		snprintf(c->metrics_err, sizeof(c->metrics_err), "/metrics %s: %s",
			 c->metrics_where, strerror(errno));
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (poll(&pfd, 1, 5000) <= 0) {
			snprintf(c->metrics_err, sizeof(c->metrics_err),
				 "/metrics %s: no answer in 5 s", c->metrics_where);
			goto fail;
		}
		if (n + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (strncmp(buf, "HTTP/1.", 7) || strncmp(buf + 8, " 200", 4) ||
	    !(body = strstr(buf, "\r\n\r\n"))) {
		snprintf(c->metrics_err, sizeof(c->metrics_err), "/metrics %s: not a 200 answer",
			 c->metrics_where);
		free(buf);
		return NULL;
	}
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

/* text format 0.0.4: NAME{LABELS} VALUE, comments skipped */
static void parse(struct top_ctx *c, char *text)
{
	char *save = NULL;

	c->n_samples = 0;
	for (char *l = strtok_r(text, "\n", &save); l && c->n_samples < TOP_MAX_SAMPLES;
	     l = strtok_r(NULL, "\n", &save)) {
		struct top_sample *s = &c->samples[c->n_samples];
		char *sp, *br;

		if (l[0] == '#' || !(sp = strrchr(l, ' ')))
			continue;
		*sp = '\0';
		br = strchr(l, '{');
		if (br) {
			char *end = strrchr(br, '}');

			if (!end)
				continue;
			*end = '\0';
			snprintf(s->labels, sizeof(s->labels), "%s", br + 1);
			*br = '\0';
		} else
			s->labels[0] = '\0';
		snprintf(s->name, sizeof(s->name), "%s", l);
		s->v = strtod(sp + 1, NULL);
		c->n_samples++;
	}
}

const char *iw_top_label(const struct top_sample *s, const char *key, char *out, size_t len)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), "%s=\"", key);
	out[0] = '\0';
	for (p = s->labels; (p = strstr(p, pat)); p++)
		if (p == s->labels || p[-1] == ',') {
			const char *v = p + strlen(pat), *e = strchr(v, '"');

			snprintf(out, len, "%.*s", e ? (int)(e - v) : 0, v);
			break;
		}
	return out;
}

double iw_top_sum(const struct top_ctx *c, const char *name, const char *want1, const char *want2)
{
	double t = 0;

	for (unsigned i = 0; i < c->n_samples; i++)
		if (!strcmp(c->samples[i].name, name) &&
		    (!want1 || strstr(c->samples[i].labels, want1)) &&
		    (!want2 || strstr(c->samples[i].labels, want2)))
			t += c->samples[i].v;
	return t;
}

/* --- the VTY: telnet, prompt "name> " --- */

/* read until the text ends in a prompt, telnet option negotiation (IAC,
 * 3 bytes) skipped; bytes kept or -1 */
static int vty_read(int fd, char *buf, size_t size, int timeout_ms)
{
	size_t n = 0;
	uint64_t end = mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		unsigned char tmp[8192];
		uint64_t now = mono_ns();
		ssize_t r;

		if (now >= end || poll(&p, 1, (int)((end - now) / 1000000ull) + 1) <= 0)
			return -1;
		r = read(fd, tmp, sizeof(tmp));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		for (ssize_t i = 0; i < r; i++) {
			if (tmp[i] == 0xff) {
				i += 2;
				continue;
			}
			if (tmp[i] == '\r' || n + 1 >= size)
				continue;
			buf[n++] = (char)tmp[i];
		}
		buf[n] = '\0';
		if (n >= 2 && buf[n - 1] == ' ' && (buf[n - 2] == '>' || buf[n - 2] == '#'))
			return (int)n;
	}
}

/* no stale grid under the error */
static void vty_fail(struct top_ctx *c, const char *what)
{
	snprintf(c->vty_err, sizeof(c->vty_err), "VTY %s: %s", c->vty_where, what);
	if (c->vty_fd >= 0)
		close(c->vty_fd);
	c->vty_fd = -1;
	for (unsigned i = 0; i < c->n_grids; i++)
		free(c->grids[i].cells);
	c->n_grids = 0;
}

/* "linkset NAME STATE FIRST CELLS" lines into c->grids */
static void grids_parse(struct top_ctx *c, char *text)
{
	char *save = NULL;

	for (unsigned i = 0; i < c->n_grids; i++)
		free(c->grids[i].cells);
	c->n_grids = 0;
	for (char *l = strtok_r(text, "\n", &save); l && c->n_grids < TOP_MAX_LINKSETS;
	     l = strtok_r(NULL, "\n", &save)) {
		struct top_grid *g = &c->grids[c->n_grids];
		char name[32], state[16];
		unsigned first;
		int off = 0;

		if (sscanf(l, "linkset %31s %15s %u %n", name, state, &first, &off) != 3 || !off)
			continue;
		snprintf(g->name, sizeof(g->name), "%s", name);
		snprintf(g->state, sizeof(g->state), "%s", state);
		g->first = first;
		g->n = strspn(l + off, ".IOLRBlrb*-");
		g->cells = strndup(l + off, g->n);
		if (!g->cells)
			break;
		c->n_grids++;
	}
}

static void vty_grid(struct top_ctx *c)
{
	static const char cmd[] = "show isup circuits compact\n";
	char *buf = malloc(TOP_VTY_BUF), *nl, *end;
	int n;

	c->vty_err[0] = '\0';
	if (!buf) {
		vty_fail(c, "out of memory");
		return;
	}
	if (c->vty_fd < 0) {
		c->vty_fd = dial(&c->vty_ss, c->vty_len);
		if (c->vty_fd < 0) {
			vty_fail(c, strerror(errno));
			goto out;
		}
		if (vty_read(c->vty_fd, buf, TOP_VTY_BUF, 3000) < 0) {
			vty_fail(c, "no prompt");
			goto out;
		}
	}
	if (send(c->vty_fd, cmd, sizeof(cmd) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(cmd) - 1) ||
	    (n = vty_read(c->vty_fd, buf, TOP_VTY_BUF, 5000)) < 0) {
		vty_fail(c, "no answer");
		goto out;
	}
	if (strstr(buf, "% Unknown command")) {
		vty_fail(c, "no \"show isup circuits compact\" (an older tandemd?)");
		goto out;
	}
	/* the echoed command line first, the prompt last */
	nl = strchr(buf, '\n');
	end = strrchr(buf, '\n');
	if (nl && end && end > nl) {
		*end = '\0';
		grids_parse(c, nl + 1);
	}
out:
	free(buf);
}

int iw_top_refresh(struct top_ctx *c)
{
	char *text;
	uint64_t now = mono_ns();
	double started;

	if (c->vty_where)
		vty_grid(c);
	if (!c->metrics_where) { /* --metrics none: the grid alone */
		c->n_samples = 0;
		snprintf(c->metrics_err, sizeof(c->metrics_err), "%s", c->vty_err);
		return c->vty_err[0] ? -1 : 0;
	}
	text = fetch(c);
	if (!text) {
		c->n_samples = 0;
		c->have_cps = false;
		c->prev_started = -1;
		return -1;
	}
	c->metrics_err[0] = '\0';
	parse(c, text);
	free(text);
	started = iw_top_sum(c, "tandem_calls_started_total", NULL, NULL);
	c->have_cps = c->prev_started >= 0 && now > c->prev_ns;
	if (c->have_cps)
		c->cps = (started - c->prev_started) / ((double)(now - c->prev_ns) / 1e9);
	c->prev_started = started;
	c->prev_ns = now;
	return 0;
}

void iw_top_ctx_close(struct top_ctx *c)
{
	if (c->vty_fd >= 0) {
		if (send(c->vty_fd, "exit\n", 5, MSG_NOSIGNAL) < 0) {
			/* closing anyway */
		}
		close(c->vty_fd);
	}
	c->vty_fd = -1;
	for (unsigned i = 0; i < c->n_grids; i++)
		free(c->grids[i].cells);
	c->n_grids = 0;
}

/* ADDR:PORT, [IPv6]:PORT, or (bare_port) a PORT on 127.0.0.1 */
int iw_top_parse_addr(const char *s, bool bare_port, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':'), *p;
	unsigned long port;
	char *e;

	memset(ss, 0, sizeof(*ss));
	if (!colon && bare_port) {
		snprintf(host, sizeof(host), "127.0.0.1");
		p = s;
	} else if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	else {
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		p = colon + 1;
	}
	port = strtoul(p, &e, 10);
	if (!port || port > 65535 || *e)
		return -1;
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (void *)ss;

		if (host[strlen(host) - 1] != ']')
			return -1;
		host[strlen(host) - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *a = (void *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	*len = sizeof(*a);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

enum top_attr iw_top_cic_attr(char ch)
{
	switch (ch) {
	case '.':
		return TOP_A_IDLE;
	case 'I':
		return TOP_A_BUSY_IN;
	case 'O':
		return TOP_A_BUSY_OUT;
	case 'L':
	case 'l':
		return TOP_A_BLK_LOCAL;
	case 'R':
	case 'r':
		return TOP_A_BLK_REMOTE;
	case 'B':
	case 'b':
		return TOP_A_BLK_BOTH;
	case '*':
		return TOP_A_RESET;
	default:
		return TOP_A_NONE;
	}
}
