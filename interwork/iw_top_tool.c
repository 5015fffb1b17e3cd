/* tandem-tool top: a live text view of a running tandemd, read from its
 * Prometheus /metrics endpoint ("metrics listen" in the operations node):
 * calls up, calls per second, the circuits of each linkset by state, the
 * SIP trunks. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/tool.h"

#define TOP_MAX_SAMPLES 4096

struct sample {
	char name[64];
	char labels[160];
	double v;
};

static struct sample samples[TOP_MAX_SAMPLES];
static unsigned n_samples;

/* GET /metrics over HTTP/1.0 (the server closes after the answer); the
 * body in a malloc'd buffer or NULL with a reason on stderr */
static char *fetch(const struct sockaddr_storage *ss, socklen_t len)
{
	static const char req[] = "GET /metrics HTTP/1.0\r\nHost: tandemd\r\n\r\n";
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *body;
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	if (!buf || fd < 0 || connect(fd, (const struct sockaddr *)ss, len) < 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
		fprintf(stderr, "tandem-tool top: /metrics: %s\n", strerror(errno));
		goto fail;
	}
	for (;;) {
		ssize_t r;

		if (poll(&pfd, 1, 5000) <= 0) {
			fprintf(stderr, "tandem-tool top: /metrics: no answer in 5 s\n");
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
		fprintf(stderr, "tandem-tool top: /metrics: not a 200 answer\n");
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
static void parse(char *text)
{
	char *save = NULL;

	n_samples = 0;
	for (char *l = strtok_r(text, "\n", &save); l && n_samples < TOP_MAX_SAMPLES;
	     l = strtok_r(NULL, "\n", &save)) {
		struct sample *s = &samples[n_samples];
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
		n_samples++;
	}
}

/* the value of label key in a sample ("" when absent) */
static const char *label(const struct sample *s, const char *key, char *out, size_t len)
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

/* the sum of name's samples whose labels hold every "k=\"v\"" in want */
static double sum(const char *name, const char *want1, const char *want2)
{
	double t = 0;

	for (unsigned i = 0; i < n_samples; i++)
		if (!strcmp(samples[i].name, name) &&
		    (!want1 || strstr(samples[i].labels, want1)) &&
		    (!want2 || strstr(samples[i].labels, want2)))
			t += samples[i].v;
	return t;
}

static void render(const char *where, double cps, bool have_cps)
{
	char ls[64], tr[64], st[32], q1[96], q2[96];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	printf("tandem top  %02d:%02d:%02d  %s\n", tm.tm_hour, tm.tm_min, tm.tm_sec, where);
	printf("calls up: %.0f (isup-sip %.0f, sip-isup %.0f, pri-sip %.0f, sip-pri %.0f)  "
	       "started: %.0f  cps: ",
	       sum("tandem_calls", NULL, NULL), sum("tandem_calls", "direction=\"isup-sip\"", NULL),
	       sum("tandem_calls", "direction=\"sip-isup\"", NULL),
	       sum("tandem_calls", "direction=\"pri-sip\"", NULL),
	       sum("tandem_calls", "direction=\"sip-pri\"", NULL),
	       sum("tandem_calls_started_total", NULL, NULL));
	if (have_cps)
		printf("%.1f", cps);
	else
		printf("-");
	printf("  draining: %s\n\n", sum("tandem_draining", NULL, NULL) > 0 ? "yes" : "no");
	printf("%-16s %3s %6s %6s %8s %8s %6s %6s %6s\n", "LINKSET", "UP", "AVAIL", "IDLE",
	       "BUSY_IN", "BUSY_OUT", "BLK_L", "BLK_R", "RESET");
	for (unsigned i = 0; i < n_samples; i++) {
		if (strcmp(samples[i].name, "tandem_isup_circuits_available"))
			continue;
		label(&samples[i], "linkset", ls, sizeof(ls));
		snprintf(q1, sizeof(q1), "linkset=\"%s\"", ls);
		printf("%-16s %3.0f %6.0f %6.0f %8.0f %8.0f %6.0f %6.0f %6.0f\n", ls,
		       sum("tandem_isup_linkset_up", q1, NULL), samples[i].v,
		       sum("tandem_isup_circuits", q1, "state=\"idle\""),
		       sum("tandem_isup_circuits", q1, "state=\"busy_in\""),
		       sum("tandem_isup_circuits", q1, "state=\"busy_out\""),
		       sum("tandem_isup_circuits_blocked", q1, "side=\"local\""),
		       sum("tandem_isup_circuits_blocked", q1, "side=\"remote\""),
		       sum("tandem_isup_circuits_resetting", q1, NULL));
	}
	printf("\n%-16s %-12s %6s %6s\n", "TRUNK", "STATE", "CALLS", "MAX");
	for (unsigned i = 0; i < n_samples; i++) {
		if (strcmp(samples[i].name, "tandem_sip_trunk_calls"))
			continue;
		label(&samples[i], "trunk", tr, sizeof(tr));
		snprintf(q1, sizeof(q1), "trunk=\"%s\"", tr);
		st[0] = '\0';
		for (unsigned j = 0; j < n_samples; j++)
			if (!strcmp(samples[j].name, "tandem_sip_trunk_state") &&
			    samples[j].v > 0 && strstr(samples[j].labels, q1))
				label(&samples[j], "state", st, sizeof(st));
		snprintf(q2, sizeof(q2), "%s", q1);
		printf("%-16s %-12s %6.0f %6.0f\n", tr, st[0] ? st : "-", samples[i].v,
		       sum("tandem_sip_trunk_calls_max", q2, NULL));
	}
	fflush(stdout);
}

static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	unsigned long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	port = strtoul(colon + 1, NULL, 10);
	if (!port || port > 65535)
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (void *)ss;

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

static int run(int argc, char **argv)
{
	const char *where = "127.0.0.1:9100";
	unsigned count = 0, interval = 1;
	struct sockaddr_storage ss;
	socklen_t len;
	double prev_started = -1;
	struct timespec prev_t = {0};
	bool tty = isatty(STDOUT_FILENO);

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--metrics") && i + 1 < argc)
			where = argv[++i];
		else if (!strcmp(argv[i], "--count") && i + 1 < argc)
			count = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--interval") && i + 1 < argc)
			interval = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr,
				"usage: tandem-tool top [--metrics ADDR:PORT] [--interval S] "
				"[--count N]\n");
			return 2;
		}
	}
	if (parse_addr(where, &ss, &len) < 0 || !interval) {
		fprintf(stderr, "tandem-tool top: --metrics IPv4:PORT or [IPv6]:PORT\n");
		return 2;
	}
	for (unsigned k = 0; !count || k < count; k++) {
		struct timespec t;
		char *text = fetch(&ss, len);
		double started, cps = 0;

		if (!text)
			return 1;
		parse(text);
		free(text);
		clock_gettime(CLOCK_MONOTONIC, &t);
		started = sum("tandem_calls_started_total", NULL, NULL);
		if (prev_started >= 0) {
			double dt = (double)(t.tv_sec - prev_t.tv_sec) +
				    (double)(t.tv_nsec - prev_t.tv_nsec) / 1e9;

			cps = dt > 0 ? (started - prev_started) / dt : 0;
		}
		if (tty)
			printf("\033[H\033[2J");
		else if (k)
			printf("\n");
		render(where, cps, prev_started >= 0);
		prev_started = started;
		prev_t = t;
		if (!count || k + 1 < count)
			sleep(interval);
	}
	return 0;
}

TOOL_CMD(top_cmd, "top", "[--metrics ADDR:PORT] [--interval S] [--count N]",
	 "live view of a running tandemd (calls, cps, linksets, trunks) from its /metrics", run);
