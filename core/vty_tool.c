/* tandem-tool vty: run commands on a running tandemd's telnet VTY like a
 * person would: wait for each prompt before typing the next command. */
#include <arpa/inet.h>
#include <ctype.h>
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

#define VTY_BUF 262144

/* The last line of buf[0..n) is a prompt: a node name and "> " or "# "
 * alone on it (a "# HELP" line of show metrics cut by a read is not). */
static bool is_prompt(const char *buf, size_t n)
{
	size_t i = n - 2;

	if (i == 0)
		return false;
	while (i > 0 && buf[i - 1] != '\n') {
		char ch = buf[--i];

		if (!isalnum((unsigned char)ch) && ch != '-' && ch != '_' && ch != '(' &&
		    ch != ')' && ch != '.')
			return false;
	}
	return i < n - 2;
}

/* Read until the text ends in a prompt ("name> " or "name# "), skipping
 * telnet option negotiation (IAC sequences). Returns bytes kept, or -1. */
static int read_to_prompt(int fd, char **bufp, size_t *sizep, int timeout_ms)
{
	/* *bufp grows as the answer needs ("show calls" with 10,000 calls up is
	 * ~3 MB); the timeout is for silence, a long answer keeps coming */
	const size_t max = 256u << 20;
	char *buf = *bufp;
	size_t n = 0, size = *sizep;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		unsigned char tmp[4096];
		ssize_t r;
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = timeout_ms -
		       ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -1;
		r = read(fd, tmp, sizeof(tmp));
		if (r <= 0)
			return -1;
		t0 = t;
		for (ssize_t i = 0; i < r; i++) {
			if (tmp[i] == 0xff) { /* IAC: skip the option (3 bytes) */
				i += 2;
				continue;
			}
			if (tmp[i] == '\r')
				continue;
			if (n + 1 >= size) {
				char *nb = size < max ? realloc(buf, 2 * size) : NULL;

				if (!nb)
					return -1;
				*bufp = buf = nb;
				*sizep = size = 2 * size;
			}
			buf[n++] = (char)tmp[i];
		}
		buf[n] = 0;
		if (n >= 2 && buf[n - 1] == ' ' && (buf[n - 2] == '>' || buf[n - 2] == '#') &&
		    is_prompt(buf, n))
			return (int)n;
	}
}

static int run(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int port = 4270, i = 1, fd, rc = 0;
	char *buf;
	size_t size = VTY_BUF;

	if (argc > 2 && !strcmp(argv[1], "--port")) {
		port = atoi(argv[2]);
		i = 3;
	}
	if (i >= argc || port <= 0 || port > 65535) {
		fprintf(stderr, "usage: tandem-tool vty [--port N] COMMAND...\n");
		return 2;
	}
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "tandem-tool vty: 127.0.0.1:%d: %s\n", port, strerror(errno));
		return 1;
	}
	buf = malloc(VTY_BUF);
	if (!buf || read_to_prompt(fd, &buf, &size, 3000) < 0) {
		fprintf(stderr, "tandem-tool vty: no prompt from 127.0.0.1:%d\n", port);
		rc = 1;
		goto out;
	}
	for (; i < argc; i++) {
		char *nl, *end;

		if (dprintf(fd, "%s\n", argv[i]) < 0 || read_to_prompt(fd, &buf, &size, 5000) < 0) {
			fprintf(stderr, "tandem-tool vty: no answer to '%s'\n", argv[i]);
			rc = 1;
			goto out;
		}
		/* drop the echoed command line and the trailing prompt */
		nl = strchr(buf, '\n');
		end = strrchr(buf, '\n');
		if (nl && end && end > nl)
			printf("%.*s\n", (int)(end - nl - 1), nl + 1);
		if (strstr(buf, "% Unknown command") || strstr(buf, "% Command incomplete"))
			rc = 1;
	}
	if (dprintf(fd, "exit\n") < 0)
		rc = 1;
out:
	free(buf);
	close(fd);
	return rc;
}

TOOL_CMD(vty_cmd, "vty", "[--port N] COMMAND...",
	 "run commands on a running tandemd's VTY, print the answers", run)
