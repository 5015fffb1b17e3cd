/* relay-load: RTP relay load for make bench (tests/bench/relay.sh).
 *
 * A generator sends 20 ms G.711 RTP packets (172 bytes) on STREAMS streams,
 * one packet per stream every 20 ms, from one socket to each stream's relay
 * address, and counts what comes back on a second socket, per stream (SSRC)
 * by sequence number. While it runs, the relay's CPU time is read from
 * /proc/<pid>/task/<tid>/schedstat (ns, every thread summed): the relay
 * process's own time, user and kernel, nothing of the generator's.
 *
 *   relay-load tandem --streams N --seconds S --gen-port P --addr-count K
 *                     --port-min A --port-max B
 *       tandem's media engine in this process, one worker, N relay pairs
 *       (MEDIA_MODE_RELAY); the generator is a forked child.
 *   relay-load target --targets FILE --pid PID --streams N --seconds S --gen-port P
 *       a relay already running as PID (rtpengine), FILE giving the
 *       "IP PORT" each stream is sent to.
 *
 * Prints one line: RESULT streams= sent= rcvd= lost= dup= (late or repeated) window_rcvd= cpu_s=
 *   pps= pps_per_cpu= us_per_pkt= jitter_ms_p99= */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "core/loop.h"
#include "media/media.h"
#include "media/worker_int.h" /* the worker's loop counters, for the diagnostic line */

#define PKT	172 /* 12-byte RTP header + 160 bytes of 20 ms G.711 */
#define BATCH	64
#define MAX_STR 4096
#define WARMUP	1.0 /* s of load before the measured window */
#define DRAIN	0.3 /* s after the last send, for what is still in flight */

static unsigned n_streams = 1000, seconds = 10;
static uint16_t gen_port = 26402;
static struct sockaddr_in targets[MAX_STR];

struct stream {
	uint16_t seq_tx, next;
	bool seen;
	uint64_t sent, rcvd, dup;
	double last_arr, last_ts, jitter; /* RFC 3550 6.4.1 interarrival jitter, seconds */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* CPU time of every thread of PID (or every thread but the caller's own
 * when pid is 0: this process's relay threads, not its main thread). */
static double proc_cpu_s(pid_t pid)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	double sum = 0;
	pid_t self = pid ? 0 : getpid();

	snprintf(path, sizeof(path), "/proc/%d/task", pid ? pid : getpid());
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char p2[352];
		unsigned long long run = 0;
		FILE *f;

		if (de->d_name[0] == '.' || (self && atoi(de->d_name) == self))
			continue;
		snprintf(p2, sizeof(p2), "%s/%s/schedstat", path, de->d_name);
		f = fopen(p2, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &run) == 1)
			sum += (double)run / 1e9;
		fclose(f);
	}
	closedir(d);
	return sum;
}

static int udp_bind(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), buf = 8 << 20;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "relay-load: bind 127.0.0.1:%u: %s\n", port, strerror(errno));
		exit(2);
	}
	/* above rmem_max when root may: a stalled generator must not be what drops */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return fd;
}

/* Datagrams the kernel dropped at a local UDP port for want of buffer
 * (/proc/net/udp, last column): loss of the generator's, not the relay's. */
static unsigned long long udp_drops(uint16_t port)
{
	FILE *f = fopen("/proc/net/udp", "r");
	char l[512];
	unsigned long long drops = 0;

	if (!f)
		return 0;
	while (fgets(l, sizeof(l), f)) {
		unsigned a, p;
		const char *last = strrchr(l, ' ');

		if (sscanf(l, " %*u: %x:%x", &a, &p) == 2 && p == port && last)
			drops += strtoull(last + 1, NULL, 10);
	}
	fclose(f);
	return drops;
}

static void rx_packet(struct stream *st, const uint8_t *p, size_t len, double arr, bool in_window,
		      uint64_t *window_rcvd)
{
	uint32_t ssrc, ts;
	uint16_t seq;
	struct stream *s;

	if (len < 12 || (p[0] >> 6) != 2)
		return;
	seq = (uint16_t)(p[2] << 8 | p[3]);
	ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	if (ssrc - 0x10000u >= n_streams)
		return;
	s = &st[ssrc - 0x10000u];
	if (s->seen) {
		int16_t d = (int16_t)(seq - s->next);

		if (d < 0) { /* late: reordered by the relay, or a duplicate */
			s->dup++;
			s->rcvd++;
			return;
		}
		/* RFC 3550 6.4.1: J += (|D(i-1,i)| - J) / 16, D from arrival and
		 * RTP timestamp, both in seconds */
		double dd = fabs((arr - s->last_arr) - ((double)ts / 8000.0 - s->last_ts));

		s->jitter += (dd - s->jitter) / 16.0;
	}
	s->seen = true;
	s->next = (uint16_t)(seq + 1);
	s->last_arr = arr;
	s->last_ts = (double)ts / 8000.0;
	s->rcvd++;
	if (in_window)
		(*window_rcvd)++;
}

/* The generator: writes "S\n" to out_fd when the measured window opens,
 * "F\n" when it closes, "E sent rcvd lost dup window_rcvd jitter_p99_us\n" when done. */
static void generator(int out_fd)
{
	int tx = udp_bind(gen_port), rx = udp_bind((uint16_t)(gen_port + 2));
	struct stream *st = calloc(n_streams, sizeof(*st));
	double t0 = now_s(), tick = t0, w_start = t0 + WARMUP, end = w_start + seconds;
	double per_ms = n_streams * 50 / 1000.0, credit = 0, w_end = 0;
	uint64_t sent = 0, window_rcvd = 0;
	unsigned next = 0;
	bool started = false;
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	static uint8_t pkt[BATCH][PKT], rxb[BATCH][512];
	char line[160];

	for (;;) {
		double t = now_s();

		if (!started && t >= w_start) {
			started = true;
			if (write(out_fd, "S\n", 2) != 2)
				_exit(1);
		}
		if (t >= end + DRAIN)
			break;
		if (t < end && t >= tick) {
			credit += per_ms;
			tick += 0.001;
			while (credit >= 1) {
				unsigned k = credit < BATCH ? (unsigned)credit : BATCH;
				int r;

				for (unsigned i = 0; i < k; i++) {
					struct stream *s = &st[next];
					uint32_t ts = (uint32_t)s->seq_tx * 160u,
						 ssrc = 0x10000u + next;
					uint8_t *p = pkt[i];

					p[0] = 0x80;
					p[1] = 8;
					p[2] = (uint8_t)(s->seq_tx >> 8);
					p[3] = (uint8_t)s->seq_tx;
					p[4] = (uint8_t)(ts >> 24);
					p[5] = (uint8_t)(ts >> 16);
					p[6] = (uint8_t)(ts >> 8);
					p[7] = (uint8_t)ts;
					p[8] = (uint8_t)(ssrc >> 24);
					p[9] = (uint8_t)(ssrc >> 16);
					p[10] = (uint8_t)(ssrc >> 8);
					p[11] = (uint8_t)ssrc;
					memset(p + 12, 0xd5, PKT - 12); /* A-law silence */
					s->seq_tx++;
					s->sent++;
					iov[i] = (struct iovec){p, PKT};
					m[i].msg_hdr = (struct msghdr){
						.msg_name = &targets[next],
						.msg_namelen = sizeof(targets[next]),
						.msg_iov = &iov[i],
						.msg_iovlen = 1};
					next = (next + 1) % n_streams;
				}
				r = sendmmsg(tx, m, k, 0);
				if (r > 0)
					sent += (unsigned)r;
				credit -= k;
			}
		}
		if (t >= end && !w_end) {
			w_end = t;
			/* the window closes: the relay's CPU is read now */
			if (write(out_fd, "F\n", 2) != 2)
				_exit(1);
		}
		for (;;) {
			int r;
			double arr;

			for (unsigned i = 0; i < BATCH; i++) {
				iov[i] = (struct iovec){rxb[i], sizeof(rxb[i])};
				m[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
			}
			r = recvmmsg(rx, m, BATCH, MSG_DONTWAIT, NULL);
			if (r <= 0)
				break;
			arr = now_s();
			for (int i = 0; i < r; i++)
				rx_packet(st, rxb[i], m[i].msg_len, arr, started && !w_end,
					  &window_rcvd);
		}
		usleep(200);
	}
	{
		uint64_t rcvd = 0, lost = 0, dup = 0;
		double *j = calloc(n_streams, sizeof(double)), p99;

		for (unsigned i = 0; i < n_streams; i++) {
			rcvd += st[i].rcvd;
			dup += st[i].dup;
			/* sent and never received; a late packet (the relay
			 * reordered it) is counted when it comes, and as dup */
			lost += st[i].sent > st[i].rcvd ? st[i].sent - st[i].rcvd : 0;
			j[i] = st[i].jitter;
		}
		for (unsigned i = 1; i < n_streams; i++) /* insertion sort, n is small */
			for (unsigned k = i; k > 0 && j[k - 1] > j[k]; k--) {
				double x = j[k];

				j[k] = j[k - 1];
				j[k - 1] = x;
			}
		p99 = j[(n_streams * 99) / 100 < n_streams ? (n_streams * 99) / 100 : 0];
		snprintf(line, sizeof(line), "E %llu %llu %llu %llu %llu %.0f %llu\n",
			 (unsigned long long)sent, (unsigned long long)rcvd,
			 (unsigned long long)lost, (unsigned long long)dup,
			 (unsigned long long)window_rcvd, p99 * 1e6,
			 udp_drops((uint16_t)(gen_port + 2)));
	}
	if (write(out_fd, line, strlen(line)) < 0)
		_exit(1);
	_exit(0);
}

/* Runs the generator in a child; the window's CPU of the relay (pid, or
 * this process's other threads when 0) is measured here. */
static int measure(pid_t relay)
{
	int p[2];
	pid_t g;
	char buf[256];
	size_t have = 0;
	double c0 = -1, c1 = -1;
	unsigned long long sent = 0, rcvd = 0, lost = 0, dup = 0, wr = 0;
	double p99_us = 0;
	unsigned long long gen_drops = 0;

	if (pipe(p) < 0)
		return 2;
	g = fork();
	if (g < 0)
		return 2;
	if (g == 0) {
		close(p[0]);
		generator(p[1]);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], buf + have, sizeof(buf) - 1 - have);
		char *nl;

		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			if (buf[0] == 'S')
				c0 = proc_cpu_s(relay);
			else if (buf[0] == 'F')
				c1 = proc_cpu_s(relay);
			else if (buf[0] == 'E') {
				sscanf(buf, "E %llu %llu %llu %llu %llu %lf %llu", &sent, &rcvd,
				       &lost, &dup, &wr, &p99_us, &gen_drops);
			}
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
	}
	close(p[0]);
	waitpid(g, NULL, 0);
	if (c0 < 0 || c1 < 0) {
		fprintf(stderr, "relay-load: no measurement (generator failed?)\n");
		return 2;
	}
	double cpu = c1 - c0, pps = (double)wr / seconds;

	printf("RESULT streams=%u sent=%llu rcvd=%llu lost=%llu dup=%llu window_rcvd=%llu "
	       "cpu_s=%.3f pps=%.0f pps_per_cpu=%.0f us_per_pkt=%.3f jitter_ms_p99=%.3f "
	       "gen_drops=%llu\n",
	       n_streams, sent, rcvd, lost, dup, wr, cpu, pps, cpu > 0 ? (double)wr / cpu : 0,
	       wr ? cpu * 1e6 / (double)wr : 0, p99_us / 1000.0, gen_drops);
	fflush(stdout);
	return 0;
}

static void nop_event(void *priv, const struct media_event *ev)
{
	(void)priv;
	(void)ev;
}

static int retry_busy(int rc)
{
	return rc == -EBUSY;
}

static int run_tandem(unsigned addr_count, uint16_t pmin, uint16_t pmax)
{
	void *ctx = talloc_new(NULL);
	struct loop_cfg lc = {0};
	struct loop *sig = loop_alloc(ctx, &lc);
	struct media_cfg mc = {.workers = 1,
			       .chans_per_worker = 2 * n_streams,
			       .rtp_addr = "127.0.0.1",
			       .rtp_addr_count = addr_count,
			       .rtp_port_min = pmin,
			       .rtp_port_max = pmax};
	struct media_engine *e = sig ? media_engine_alloc(ctx, sig, &mc, nop_event, NULL) : NULL;
	struct sockaddr_in gen_tx = {.sin_family = AF_INET, .sin_port = htons(gen_port)};
	struct sockaddr_in gen_rx = {.sin_family = AF_INET, .sin_port = htons(gen_port + 2)};
	int rc;

	gen_tx.sin_addr.s_addr = gen_rx.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!e || media_engine_start(e) < 0) {
		fprintf(stderr, "relay-load: media engine did not start\n");
		return 2;
	}
	for (unsigned i = 0; i < n_streams; i++) {
		uint32_t a, b;
		struct sockaddr_storage la;
		struct media_chan_cfg ca = {.mode = MEDIA_MODE_RELAY}, cb = ca;

		while (retry_busy(rc = media_chan_alloc(e, 0, &a, &la)))
			usleep(1000);
		if (rc == 0)
			while (retry_busy(rc = media_chan_alloc(e, 0, &b, NULL)))
				usleep(1000);
		if (rc < 0) {
			fprintf(stderr, "relay-load: channel %u: %s\n", i, strerror(-rc));
			return 2;
		}
		memcpy(&targets[i], &la, sizeof(targets[i]));
		ca.peer = b;
		memcpy(&ca.remote, &gen_tx, sizeof(gen_tx));
		ca.remote_len = sizeof(gen_tx);
		cb.peer = a;
		memcpy(&cb.remote, &gen_rx, sizeof(gen_rx));
		cb.remote_len = sizeof(gen_rx);
		while (retry_busy(rc = media_chan_modify(e, a, &ca)))
			usleep(1000);
		while (retry_busy(rc = media_chan_modify(e, b, &cb)))
			usleep(1000);
	}
	usleep(200000); /* the worker has taken every command before the clock starts */
	rc = measure(0);
	{
		/* read from another thread while the worker idles: a diagnostic */
		const struct loop_stats *ls = loop_get_stats(e->w[0].loop);

		printf("LOOP turns=%llu cqes=%llu sqes=%llu cqes_per_turn=%.1f enobufs=%llu "
		       "no_slot=%llu\n",
		       (unsigned long long)ls->turns, (unsigned long long)ls->cqes,
		       (unsigned long long)ls->sqes,
		       ls->turns ? (double)ls->cqes / (double)ls->turns : 0.0,
		       (unsigned long long)ls->udp_enobufs, (unsigned long long)ls->send_no_slot);
	}
	media_engine_stop(e);
	talloc_free(ctx);
	return rc;
}

static int load_targets(const char *file)
{
	FILE *f = fopen(file, "r");
	char ip[64];
	unsigned port, n = 0;

	if (!f)
		return -1;
	while (n < MAX_STR && fscanf(f, "%63s %u", ip, &port) == 2) {
		targets[n] = (struct sockaddr_in){.sin_family = AF_INET,
						  .sin_port = htons((uint16_t)port)};
		if (inet_pton(AF_INET, ip, &targets[n].sin_addr) != 1)
			break;
		n++;
	}
	fclose(f);
	return (int)n;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *tfile = NULL;
	unsigned addr_count = 1;
	uint16_t pmin = 26500, pmax = 26999;
	pid_t pid = 0;

	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--streams"))
			n_streams = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--gen-port"))
			gen_port = (uint16_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--addr-count"))
			addr_count = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--port-min"))
			pmin = (uint16_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--port-max"))
			pmax = (uint16_t)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--targets"))
			tfile = argv[i + 1];
		else if (!strcmp(argv[i], "--pid"))
			pid = (pid_t)atoi(argv[i + 1]);
	}
	if (n_streams == 0 || n_streams > MAX_STR || seconds == 0) {
		fprintf(stderr, "relay-load: 1..%u streams, seconds > 0\n", MAX_STR);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(mode, "tandem"))
		return run_tandem(addr_count, pmin, pmax);
	if (!strcmp(mode, "target") && tfile && pid > 0) {
		int n = load_targets(tfile);

		if (n < (int)n_streams) {
			fprintf(stderr, "relay-load: %s: %d targets for %u streams\n", tfile, n,
				n_streams);
			return 2;
		}
		return measure(pid);
	}
	fprintf(stderr, "usage: relay-load tandem|target [options] (see the source)\n");
	return 2;
}
