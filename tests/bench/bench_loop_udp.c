/* make bench: RTP-like UDP echo load through the io_uring loop versus an
 * epoll + recvmmsg/sendmmsg loop, same sockets, same load, same run.
 *
 * 1,000 UDP sockets on 127.0.0.1 each receive 50 packets/s of 172 bytes (a
 * G.711 20 ms RTP packet) from a generator process and echo them back. For
 * each server we print packets/s echoed, CPU-µs per packet (the server
 * thread's own CPU time, kernel work included), loss, and the ratio.
 *
 *   bench_loop_udp [SOCKETS [PPS_PER_SOCKET [SECONDS]]]   (default 1000 50 5)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "core/loop.h"

#define PAYLOAD 172
#define BATCH	64

static unsigned n_socks = 1000, pps = 50, seconds = 5;

static double now_s(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int *open_socks(uint16_t *ports)
{
	int *fds = calloc(n_socks, sizeof(int));

	for (unsigned i = 0; i < n_socks; i++) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t alen = sizeof(a);
		int rcv = 256 * 1024;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		setsockopt(fds[i], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof(a)) < 0) {
			perror("socket/bind");
			exit(1);
		}
		getsockname(fds[i], (struct sockaddr *)&a, &alen);
		ports[i] = ntohs(a.sin_port);
	}
	return fds;
}

/* The generator: one socket, a batch every millisecond spread over every
 * server port, counting echoes. Writes "sent received" to the pipe. */
static void generator(const uint16_t *ports, int out_fd)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int buf = 8 << 20;
	uint64_t sent = 0, rcvd = 0;
	double t0 = now_s(CLOCK_MONOTONIC), tick = t0, end = t0 + seconds;
	double per_ms = (double)n_socks * pps / 1000.0, credit = 0;
	unsigned next = 0;
	struct sockaddr_in dst[BATCH];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	uint8_t pkt[PAYLOAD], rx[BATCH][256];
	char line[64];

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	memset(pkt, 0x55, sizeof(pkt));
	pkt[0] = 0x80;
	while (now_s(CLOCK_MONOTONIC) < end + 0.3) {
		double t = now_s(CLOCK_MONOTONIC);

		if (t < end && t >= tick) {
			credit += per_ms;
			tick += 0.001;
			while (credit >= 1) {
				unsigned k = credit < BATCH ? (unsigned)credit : BATCH;
				int r;

				for (unsigned i = 0; i < k; i++) {
					dst[i] = (struct sockaddr_in){.sin_family = AF_INET,
								      .sin_port =
									      htons(ports[next])};
					dst[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
					next = (next + 1) % n_socks;
					iov[i] = (struct iovec){pkt, sizeof(pkt)};
					m[i].msg_hdr =
						(struct msghdr){.msg_name = &dst[i],
								.msg_namelen = sizeof(dst[i]),
								.msg_iov = &iov[i],
								.msg_iovlen = 1};
				}
				r = sendmmsg(fd, m, k, 0);
				if (r > 0)
					sent += (unsigned)r;
				credit -= k;
			}
		}
		for (;;) {
			int r;

			for (unsigned i = 0; i < BATCH; i++) {
				iov[i] = (struct iovec){rx[i], sizeof(rx[i])};
				m[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
			}
			r = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
			if (r <= 0)
				break;
			rcvd += (unsigned)r;
		}
		usleep(200);
	}
	snprintf(line, sizeof(line), "%llu %llu\n", (unsigned long long)sent,
		 (unsigned long long)rcvd);
	if (write(out_fd, line, strlen(line)) < 0)
		_exit(1);
	_exit(0);
}

struct result {
	double pps, us_per_pkt, cpu_s;
	unsigned long long sent, rcvd, echoed;
};

static pid_t start_generator(const uint16_t *ports, int *rfd)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		exit(1);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		generator(ports, p[1]);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

static void finish_generator(pid_t pid, int rfd, struct result *r)
{
	char line[64] = "";
	ssize_t n = read(rfd, line, sizeof(line) - 1);

	if (n > 0)
		line[n] = 0;
	waitpid(pid, NULL, 0);
	close(rfd);
	sscanf(line, "%llu %llu", &r->sent, &r->rcvd);
}

/* --- io_uring server --- */

struct ur_sock {
	struct loop_udp *u;
	unsigned long long *echoed;
};

static void ur_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		  socklen_t fromlen)
{
	struct ur_sock *s = priv;

	if (loop_udp_send(s->u, data, len, from, fromlen) == 0)
		(*s->echoed)++;
}

static void stop_cb(void *priv)
{
	loop_stop(priv);
}

static void run_uring(struct result *r)
{
	uint16_t *ports = calloc(n_socks, sizeof(uint16_t));
	int *fds = open_socks(ports);
	struct loop_cfg cfg = {
		.udp_bufs = 4096, .udp_buf_size = 512, .send_slots = 4096, .entries = 4096};
	void *ctx = talloc_new(NULL);
	struct loop *l = loop_alloc(ctx, &cfg);
	struct ur_sock *s = calloc(n_socks, sizeof(*s));
	struct loop_timer stop;
	double c0, c1;
	int rfd;
	pid_t g;

	if (!l) {
		fprintf(stderr, "io_uring loop set-up failed\n");
		exit(1);
	}
	for (unsigned i = 0; i < n_socks; i++) {
		s[i].echoed = &r->echoed;
		s[i].u = loop_udp_adopt(l, fds[i], ur_rx, &s[i]);
	}
	g = start_generator(ports, &rfd);
	loop_timer_init(&stop, stop_cb, l);
	loop_timer_schedule(l, &stop, (uint64_t)(seconds * 1000000ull + 300000));
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	loop_run(l);
	c1 = now_s(CLOCK_THREAD_CPUTIME_ID);
	finish_generator(g, rfd, r);
	r->cpu_s = c1 - c0;
	talloc_free(ctx); /* the loop and its socket objects; the fds are ours */
	for (unsigned i = 0; i < n_socks; i++)
		close(fds[i]);
	free(fds);
	free(ports);
	free(s);
}

/* --- epoll + recvmmsg/sendmmsg server --- */

static void run_epoll(struct result *r)
{
	uint16_t *ports = calloc(n_socks, sizeof(uint16_t));
	int *fds = open_socks(ports);
	int ep = epoll_create1(EPOLL_CLOEXEC), rfd;
	struct epoll_event evs[256];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	static uint8_t buf[BATCH][512];
	double c0, c1, end;
	pid_t g;

	for (unsigned i = 0; i < n_socks; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};

		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	g = start_generator(ports, &rfd);
	c0 = now_s(CLOCK_THREAD_CPUTIME_ID);
	end = now_s(CLOCK_MONOTONIC) + seconds + 0.3;
	while (now_s(CLOCK_MONOTONIC) < end) {
		int n = epoll_wait(ep, evs, 256, 50);

		for (int e = 0; e < n; e++) {
			int fd = fds[evs[e].data.u32];
			int k;

			for (unsigned i = 0; i < BATCH; i++) {
				iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
				m[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
							       .msg_namelen = sizeof(from[i]),
							       .msg_iov = &iov[i],
							       .msg_iovlen = 1};
			}
			k = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
			if (k <= 0)
				continue;
			for (int i = 0; i < k; i++)
				iov[i].iov_len = m[i].msg_len;
			k = sendmmsg(fd, m, (unsigned)k, 0);
			if (k > 0)
				r->echoed += (unsigned)k;
		}
	}
	c1 = now_s(CLOCK_THREAD_CPUTIME_ID);
	finish_generator(g, rfd, r);
	r->cpu_s = c1 - c0;
	close(ep);
	for (unsigned i = 0; i < n_socks; i++)
		close(fds[i]);
	free(fds);
	free(ports);
}

static void report(const char *name, struct result *r)
{
	r->pps = (double)r->echoed / seconds;
	r->us_per_pkt = r->echoed ? r->cpu_s * 1e6 / (double)r->echoed : 0;
	printf("%-22s echoed %9llu  %8.0f pkt/s  CPU %6.3f s  %6.3f CPU-us/pkt  loss %.3f%%\n",
	       name, r->echoed, r->pps, r->cpu_s, r->us_per_pkt,
	       r->sent ? 100.0 * (double)(r->sent - r->rcvd) / (double)r->sent : 0.0);
}

int main(int argc, char **argv)
{
	struct result ur = {0}, ep = {0};

	if (argc > 1)
		n_socks = (unsigned)atoi(argv[1]);
	if (argc > 2)
		pps = (unsigned)atoi(argv[2]);
	if (argc > 3)
		seconds = (unsigned)atoi(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	printf("UDP echo: %u sockets x %u pkt/s, %d-byte packets, %u s per server\n", n_socks, pps,
	       PAYLOAD, seconds);
	run_uring(&ur);
	run_epoll(&ep);
	report("io_uring (tandem loop)", &ur);
	report("epoll+recvmmsg/sendmmsg", &ep);
	if (ur.us_per_pkt > 0)
		printf("ratio: epoll CPU per packet / io_uring CPU per packet = %.2f\n",
		       ep.us_per_pkt / ur.us_per_pkt);
	return 0;
}
