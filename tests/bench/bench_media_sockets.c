/* make bench: the whole media chain through real sockets on loopback.
 *
 * tandem's media engine runs in this process with one worker; E1 spans
 * (CESoPSN, RFC 5086, 8 frames = 1 ms per packet, 31 timeslots) carry N
 * channels in TDM mode (A-law span <-> PCMA RTP, ptime 20, no echo
 * canceller, no DTMF detection; and the same with tandem's echo canceller,
 * 128 ms tail, and in-band DTMF detection on every channel, rounds
 * interleaved). A forked generator plays the far side of
 * both: it sends every span's packet each millisecond and 20 ms RTP packets
 * to every channel, and receives what tandem sends both ways.
 *
 * Added delay and jitter, TDM -> RTP: every timeslot sample of CESoPSN
 * packet q carries the byte q mod 256, which PCMA carries through unchanged,
 * so the last byte of an RTP packet names the span packet that completed it;
 * tandem sends that RTP packet when the span packet D later arrives (D: the
 * span's jitter buffer depth, found per channel as the smallest distance
 * seen). Delay = kernel receive timestamp of the RTP packet (SO_TIMESTAMPNS)
 * - the generator's send time of that span packet: no sender jitter, no
 * receiver scheduling in it. Jitter p99 = p99 over all packets of (delay -
 * the channel's smallest delay).
 *
 * CPU per channel-second = CPU of the worker thread over the window
 * (/proc/self/task/TID/schedstat) / (N x seconds). Loss: RTP by sequence per
 * channel, CESoPSN by sequence per span.
 *
 *   bench_media_sockets [SECONDS [N...]]    (default 8 s; 200 and 1000 channels)
 *
 * Ports: 127.0.0.1:26406/26408 (generator), 127.0.0.30:26410.. (spans),
 * 26500-26999 on 127.0.0.1-10 (channels).
 *
 * AF_XDP against sockets (issue 21; tests/bench/media_xdp.sh sets it up):
 * with BENCH_XDP_IF=IF, BENCH_PEER_NETNS=/proc/PID/ns/net and
 * BENCH_NET=A.B.C, tandem uses A.B.C.1-10 (channels) and A.B.C.30 (spans)
 * on IF, the generator runs in the other namespace on A.B.C.100, and each
 * round runs the socket path and the AF_XDP path (order alternating),
 * each with EC+DTMF off and on. CPU per packet = worker CPU / (span and
 * RTP packets both ways in the window). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
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
#include "media/cesopsn.h"
#include "media/media.h"

#define GEN_E1	 26406
#define GEN_RTP	 26408
#define SPAN0	 26410
#define PMIN	 26500
#define PMAX	 26999
#define NADDR	 10
#define MAX_CH	 2048
#define NTS	 31
#define FRAMES	 8
#define WARMUP	 1.0
#define DRAIN	 1.0	/* s: a worker that fell behind catches up before the count */
#define HIST_US	 200000 /* histogram of delays, 1 µs bins up to 200 ms */
#define BATCH	 64
#define MAX_TICK 200000

static unsigned n_ch, n_spans, seconds = 8;
/* where the two sides live (loopback, or a veth between namespaces) */
static const char *ip_tandem = "127.0.0.1", *ip_span = "127.0.0.30", *ip_gen = "127.0.0.1";
static const char *xdp_if, *peer_ns;
static bool path_xdp; /* this run: media on AF_XDP (xdp_if) */
static char ip_buf[3][32];
static uint32_t tandem_net; /* ip_tandem's /24, host order, shifted */
/* the run's channels with the line echo canceller (tandem's, 128 ms tail)
 * and in-band DTMF detection on, as a call toward a SIP INFO trunk has
 * them; off: the bare TDM <-> RTP chain */
static bool dsp_on;
static struct sockaddr_in ch_addr[MAX_CH]; /* channel's local RTP address */
static int addr_index[NADDR * (PMAX - PMIN + 1)];

static double now_rt(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double cpu_self(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double worker_cpu_s(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	double sum = 0;
	pid_t self = getpid();

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char p[300];
		unsigned long long run = 0;
		FILE *f;

		if (de->d_name[0] == '.' || atoi(de->d_name) == self)
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/schedstat", de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &run) == 1)
			sum += (double)run / 1e9;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/* veth's NAPI threads of the AF_XDP interface (threaded NAPI, set by
 * tests/bench/media_xdp.sh): the XDP program and the copy into the UMEM
 * run there, for tandem; pinned to tandem's CPU at SCHED_FIFO (as a NIC's
 * interrupt steered to the worker's core) and counted with the worker. */
static double napi_cpu_s(bool pin)
{
	DIR *d;
	struct dirent *de;
	double sum = 0;
	char pfx[40];

	if (!xdp_if)
		return 0;
	if (pin && path_xdp) {
		/* veth has NAPI instances only while an XDP program is attached */
		FILE *t;

		snprintf(pfx, sizeof(pfx), "/sys/class/net/%s/threaded", xdp_if);
		t = fopen(pfx, "w");
		if (!t || fputs("1", t) < 0 || fclose(t) != 0)
			fprintf(stderr, "bench_media_sockets: no threaded NAPI on %s\n", xdp_if);
	}
	if (!(d = opendir("/proc")))
		return 0;
	snprintf(pfx, sizeof(pfx), "napi/%s-", xdp_if);
	while ((de = readdir(d))) {
		char p[300], comm[64] = "";
		unsigned long long run = 0;
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/comm", de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strncmp(comm, pfx, strlen(pfx)))
			continue;
		if (pin) {
			cpu_set_t set;
			struct sched_param sp = {.sched_priority = 50};

			CPU_ZERO(&set);
			CPU_SET(1, &set);
			sched_setaffinity(atoi(de->d_name), sizeof(set), &set);
			sched_setscheduler(atoi(de->d_name), SCHED_FIFO, &sp);
		}
		snprintf(p, sizeof(p), "/proc/%s/schedstat", de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &run) == 1)
			sum += (double)run / 1e9;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/* the AF_XDP interface's receive drops (veth: its ring, a failed redirect) */
static unsigned long long if_rx_dropped(void)
{
	char p[96];
	unsigned long long v = 0;
	FILE *f;

	if (!xdp_if)
		return 0;
	snprintf(p, sizeof(p), "/sys/class/net/%s/statistics/rx_dropped", xdp_if);
	f = fopen(p, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static int udp_bind(const char *ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), buf = 8 << 20,
	    on = 1;

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "bench_media_sockets: bind %s:%u: %s\n", ip, port, strerror(errno));
		_exit(2);
	}
	/* above rmem_max when root may: a stalled generator must not be what drops */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
	return fd;
}

struct gch {
	bool seen;
	uint16_t next, seq_tx;
	uint64_t rcvd, lost;
	int depth;	  /* D + 1, 0: not known yet. D: smallest (latest span packet
			   * sent before the arrival) - q */
	double min_del;	  /* smallest delay seen */
	uint32_t *del_us; /* window delays, for the jitter pass */
	unsigned n_del;
};

struct gspan {
	bool seen;
	uint16_t next;
	uint64_t rcvd, lost;
};

struct gen_result {
	uint64_t e1_sent, e1_rcvd, e1_lost, rtp_sent, rtp_rcvd, rtp_lost, win_pkts;
	uint64_t rx_all, pkts; /* datagrams received; both ways from the window's start */
	double del_p50_us, del_p99_us, jit_p99_us, jit_max_us, send_jit_p99_us;
};

static double *tsend; /* generator send time of span packet q */
static uint32_t n_tick;

/* The span packet that completed an RTP packet: the latest q sent before
 * arrival whose marker is m. */
static long find_q(uint8_t m, double arr)
{
	long q = (long)n_tick - 1;

	while (q >= 0 && tsend[q] > arr)
		q--;
	for (long k = q; k >= 0 && k > q - 256; k--)
		if ((uint8_t)k == m)
			return k;
	return -1;
}

static long latest_q(double arr)
{
	long q = (long)n_tick - 1;

	while (q >= 0 && tsend[q] > arr)
		q--;
	return q;
}

static double pct(const uint32_t *hist, uint64_t n, double p)
{
	uint64_t want = (uint64_t)((double)n * p), acc = 0;

	for (unsigned i = 0; i <= HIST_US; i++) {
		acc += hist[i];
		if (acc > want)
			return i;
	}
	return HIST_US;
}

static void generator(int out_fd)
{
	int e1, rtp;
	struct gch *ch = calloc(n_ch, sizeof(*ch));
	struct gspan *sp = calloc(n_spans, sizeof(*sp));
	struct gen_result r = {0};
	struct cesop_cfg cc;
	struct cesop_tx ctx[64];
	struct sockaddr_in span_addr[64];
	static uint8_t e1pkt[64][512], rtppkt[MAX_CH / 20 + 1][172], rxb[BATCH][1500];
	static char cbuf[BATCH][64];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	static uint32_t hist_del[HIST_US + 1], hist_jit[HIST_US + 1], hist_snd[HIST_US + 1];
	uint64_t n_hist = 0, n_snd = 0;
	double t0 = now_rt(), end = t0 + WARMUP + seconds, w_start = t0 + WARMUP;
	bool started = false, finished = false;
	double gen_cpu0 = 0, gen_cpu = 0;
	uint64_t pkts0 = 0;
	char line[512];

	if (peer_ns) {
		int fd = open(peer_ns, O_RDONLY | O_CLOEXEC);

		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "bench_media_sockets: setns %s: %s\n", peer_ns,
				strerror(errno));
			_exit(2);
		}
		close(fd);
	}
	{
		struct in_addr ta;

		inet_pton(AF_INET, ip_tandem, &ta);
		tandem_net = ntohl(ta.s_addr) >> 8;
	}
	e1 = udp_bind(ip_gen, GEN_E1);
	rtp = udp_bind(ip_gen, GEN_RTP);
	tsend = calloc(MAX_TICK, sizeof(double));
	cesop_cfg_init(&cc, CESOP_E1);
	for (unsigned s = 0; s < n_spans; s++) {
		cesop_tx_init(&ctx[s], 0, 0, 0);
		span_addr[s] = (struct sockaddr_in){.sin_family = AF_INET,
						    .sin_port = htons((uint16_t)(SPAN0 + 2 * s))};
		inet_pton(AF_INET, ip_span, &span_addr[s].sin_addr);
	}
	for (unsigned c = 0; c < n_ch; c++)
		ch[c].min_del = 1e9;
	for (;;) {
		double t = now_rt(), next_tick = t0 + (double)n_tick * 0.001;

		if (!started && t >= w_start) {
			started = true;
			gen_cpu0 = cpu_self();
			pkts0 = r.e1_sent + r.rtp_sent + r.rx_all;
			if (write(out_fd, "S\n", 2) != 2)
				_exit(1);
		}
		if (t >= end && !finished) {
			finished = true;
			gen_cpu = cpu_self() - gen_cpu0;
			if (write(out_fd, "F\n", 2) != 2)
				_exit(1);
		}
		if (t >= end + DRAIN)
			break;
		if (t < end && t >= next_tick && n_tick < MAX_TICK) {
			uint8_t pay[NTS * FRAMES];
			uint32_t q = n_tick;
			unsigned k = 0, sent;

			/* the span packets of this millisecond */
			memset(pay, (uint8_t)q, sizeof(pay));
			for (unsigned s = 0; s < n_spans; s++) {
				struct cesop_cw fl = {0};
				int len = cesop_encode(&cc, &ctx[s], &fl, pay, e1pkt[s],
						       sizeof(e1pkt[s]));

				iov[s] = (struct iovec){e1pkt[s], (size_t)(len > 0 ? len : 0)};
				m[s].msg_hdr = (struct msghdr){.msg_name = &span_addr[s],
							       .msg_namelen = sizeof(span_addr[s]),
							       .msg_iov = &iov[s],
							       .msg_iovlen = 1};
			}
			tsend[q] = now_rt();
			if (tsend[q] - next_tick < HIST_US / 1e6 && tsend[q] >= w_start) {
				hist_snd[(unsigned)((tsend[q] - next_tick) * 1e6)]++;
				n_snd++;
			}
			sent = 0;
			while (sent < n_spans) {
				int rr = sendmmsg(e1, m + sent, n_spans - sent, 0);

				if (rr <= 0)
					break;
				sent += (unsigned)rr;
			}
			r.e1_sent += sent;
			n_tick++;
			/* RTP toward TDM: each channel every 20 ms, spread over the ticks */
			for (unsigned c = q % 20; c < n_ch; c += 20) {
				uint8_t *p = rtppkt[k];
				uint32_t ts = (uint32_t)ch[c].seq_tx * 160u;

				memset(p, 0xd5, 172);
				p[0] = 0x80;
				p[1] = 8;
				p[2] = (uint8_t)(ch[c].seq_tx >> 8);
				p[3] = (uint8_t)ch[c].seq_tx;
				p[4] = (uint8_t)(ts >> 24);
				p[5] = (uint8_t)(ts >> 16);
				p[6] = (uint8_t)(ts >> 8);
				p[7] = (uint8_t)ts;
				p[11] = (uint8_t)(c + 1);
				p[10] = (uint8_t)((c + 1) >> 8);
				ch[c].seq_tx++;
				iov[k] = (struct iovec){p, 172};
				m[k].msg_hdr = (struct msghdr){.msg_name = &ch_addr[c],
							       .msg_namelen = sizeof(ch_addr[c]),
							       .msg_iov = &iov[k],
							       .msg_iovlen = 1};
				k++;
			}
			for (unsigned i = 0; i < k;) {
				int rr = sendmmsg(rtp, m + i, k - i, 0);

				if (rr <= 0)
					break;
				i += (unsigned)rr;
				r.rtp_sent += (unsigned)rr;
			}
		}
		/* receive both ways */
		for (int sock = 0; sock < 2; sock++) {
			int fd = sock ? rtp : e1;

			for (;;) {
				int n;

				for (unsigned i = 0; i < BATCH; i++) {
					iov[i] = (struct iovec){rxb[i], sizeof(rxb[i])};
					m[i].msg_hdr =
						(struct msghdr){.msg_name = &from[i],
								.msg_namelen = sizeof(from[i]),
								.msg_iov = &iov[i],
								.msg_iovlen = 1,
								.msg_control = cbuf[i],
								.msg_controllen = sizeof(cbuf[i])};
				}
				n = recvmmsg(fd, m, BATCH, MSG_DONTWAIT, NULL);
				if (n <= 0)
					break;
				for (int i = 0; i < n; i++) {
					const uint8_t *p = rxb[i];
					size_t len = m[i].msg_len;
					double arr = now_rt();
					struct cmsghdr *cm;

					r.rx_all++;
					for (cm = CMSG_FIRSTHDR(&m[i].msg_hdr); cm;
					     cm = CMSG_NXTHDR(&m[i].msg_hdr, cm))
						if (cm->cmsg_level == SOL_SOCKET &&
						    cm->cmsg_type == SCM_TIMESTAMPNS) {
							struct timespec ts;

							memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
							arr = (double)ts.tv_sec + ts.tv_nsec / 1e9;
						}
					if (!sock) {
						unsigned s = ntohs(from[i].sin_port) - SPAN0;
						struct cesop_pkt cp;

						if (s / 2 >= n_spans || s % 2 ||
						    cesop_decode(&cc, p, len, &cp) < 0)
							continue;
						s /= 2;
						if (sp[s].seen && cp.cw.seq != sp[s].next)
							sp[s].lost +=
								(uint16_t)(cp.cw.seq - sp[s].next);
						sp[s].seen = true;
						sp[s].next = (uint16_t)(cp.cw.seq + 1);
						sp[s].rcvd++;
						continue;
					}
					/* RTP from a channel: which one, by its source address */
					uint32_t a = ntohl(from[i].sin_addr.s_addr);
					unsigned port = ntohs(from[i].sin_port),
						 ai = (a & 0xff) - 1;
					int c;
					struct gch *g;
					long q, lq;

					if (len != 172 || (a >> 8) != tandem_net || ai >= NADDR ||
					    port < PMIN || port > PMAX)
						continue;
					c = addr_index[ai * (PMAX - PMIN + 1) + (port - PMIN)] - 1;
					if (c < 0)
						continue;
					g = &ch[c];
					{
						uint16_t seq = (uint16_t)(p[2] << 8 | p[3]);

						if (g->seen && seq != g->next)
							g->lost += (uint16_t)(seq - g->next);
						g->seen = true;
						g->next = (uint16_t)(seq + 1);
						g->rcvd++;
					}
					q = find_q(p[171], arr);
					lq = latest_q(arr);
					if (q < 0 || lq < 0)
						continue;
					if (g->depth == 0 || lq - q < g->depth - 1)
						g->depth = (int)(lq - q) + 1; /* stored + 1 */
					if (q + g->depth - 1 >= (long)n_tick)
						continue;
					double del = arr - tsend[q + g->depth - 1];

					if (arr < w_start || t >= end)
						continue;
					r.win_pkts++;
					if (del < g->min_del)
						g->min_del = del;
					if (del >= 0 && del * 1e6 < HIST_US) {
						hist_del[(unsigned)(del * 1e6)]++;
						n_hist++;
					}
					if (!g->del_us)
						g->del_us = calloc((size_t)seconds * 50 + 200,
								   sizeof(uint32_t));
					if (g->n_del < (unsigned)seconds * 50 + 200)
						g->del_us[g->n_del++] =
							del > 0 ? (uint32_t)(del * 1e6) : 0;
				}
			}
		}
		{
			double nt = t0 + (double)n_tick * 0.001, wait = nt - now_rt();
			struct pollfd pf[2] = {{.fd = e1, .events = POLLIN},
					       {.fd = rtp, .events = POLLIN}};
			struct timespec tmo = {0, wait > 0 ? (long)(wait * 1e9) : 0};

			if (wait > 0)
				ppoll(pf, 2, &tmo, NULL);
		}
	}
	/* jitter: each delay above its channel's floor; the depth D can have
	 * settled after the first delays were taken, so the floor is the
	 * smallest of the window's own */
	{
		uint64_t nj = 0;

		for (unsigned c = 0; c < n_ch; c++) {
			uint32_t mn = UINT32_MAX;

			for (unsigned i = 0; i < ch[c].n_del; i++)
				if (ch[c].del_us[i] < mn)
					mn = ch[c].del_us[i];
			for (unsigned i = 0; i < ch[c].n_del; i++) {
				uint32_t j = ch[c].del_us[i] - mn;

				hist_jit[j < HIST_US ? j : HIST_US]++;
				nj++;
				if (j > r.jit_max_us)
					r.jit_max_us = j;
			}
			r.rtp_rcvd += ch[c].rcvd;
			/* tandem numbers these: loss is the gaps (and a channel
			 * never heard counts one) */
			r.rtp_lost += ch[c].lost + (ch[c].seen ? 0 : 1);
		}
		r.jit_p99_us = nj ? pct(hist_jit, nj, 0.99) : -1;
	}
	for (unsigned s = 0; s < n_spans; s++) {
		r.e1_rcvd += sp[s].rcvd;
		r.e1_lost += sp[s].lost + (sp[s].seen ? 0 : 1);
	}
	r.del_p50_us = n_hist ? pct(hist_del, n_hist, 0.5) : -1;
	r.del_p99_us = n_hist ? pct(hist_del, n_hist, 0.99) : -1;
	r.send_jit_p99_us = n_snd ? pct(hist_snd, n_snd, 0.99) : -1;
	r.pkts = r.e1_sent + r.rtp_sent + r.rx_all - pkts0;
	snprintf(line, sizeof(line),
		 "E %llu %llu %llu %llu %llu %llu %llu %.0f %.0f %.0f %.0f %.0f %.3f %llu\n",
		 (unsigned long long)r.e1_sent, (unsigned long long)r.e1_rcvd,
		 (unsigned long long)r.e1_lost, (unsigned long long)r.rtp_sent,
		 (unsigned long long)r.rtp_rcvd, (unsigned long long)r.rtp_lost,
		 (unsigned long long)r.win_pkts, r.del_p50_us, r.del_p99_us, r.jit_p99_us,
		 r.jit_max_us, r.send_jit_p99_us, gen_cpu, (unsigned long long)r.pkts);
	if (write(out_fd, line, strlen(line)) < 0)
		_exit(1);
	_exit(0);
}

static void nop_event(void *priv, const struct media_event *ev)
{
	(void)priv;
	(void)ev;
}

struct result {
	unsigned n;
	double cpu_s, gen_cpu_s, ns_per_ch_s, del_p50_us, del_p99_us, jit_p99_us, jit_max_us,
		snd_p99_us;
	unsigned long long e1_sent, e1_rcvd, e1_lost, rtp_sent, rtp_rcvd, rtp_lost, win;
	unsigned long long pkts; /* both ways, from the window's start to the end of the drain */
	unsigned long long tdm_in, tdm_in_lost, rtp_in; /* as tandem counted them */
	bool xdp;					/* the worker ran on AF_XDP */
	unsigned long long xsk_drops, xsk_kernel_tx, xsk_no_room, if_drops;
	double ns_per_pkt;
	double napi_s, ns_per_pkt_napi; /* with the AF_XDP interface's NAPI thread */
};

/* Pin the calling thread (and what it starts later) to one CPU, when the
 * machine has more than one; best effort. */
static void pin_cpu(int cpu)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int run(unsigned n, struct result *res)
{
	void *ctx = talloc_new(NULL);
	struct loop_cfg lc = {0};
	struct loop *sig = loop_alloc(ctx, &lc);
	struct media_cfg mc = {
		.workers = 1,
		.chans_per_worker = n,
		.rtp_addr = ip_tandem,
		.rtp_addr_count = NADDR,
		.rtp_port_min = PMIN,
		.rtp_port_max = PMAX,
		.nice = -10, /* as tandemd runs its workers (media worker-priority) */
		.xdp_if = path_xdp ? xdp_if : NULL,
		.xdp_queues = 1};
	struct media_engine *e = sig ? media_engine_alloc(ctx, sig, &mc, nop_event, NULL) : NULL;
	struct sockaddr_in gen_rtp = {.sin_family = AF_INET, .sin_port = htons(GEN_RTP)};
	int p[2], rc = 0;
	pid_t g;
	char buf[512];
	size_t have = 0;
	double c0 = -1, c1 = -1, c2 = -1, n0 = 0, n1 = 0, n2 = 0;

	n_ch = n;
	n_spans = (n + NTS - 1) / NTS;
	memset(addr_index, 0, sizeof(addr_index));
	inet_pton(AF_INET, ip_gen, &gen_rtp.sin_addr);
	if (!e || n > MAX_CH || n_spans > 64)
		return -1;
	for (unsigned s = 0; s < n_spans; s++) {
		struct media_span_cfg sc = {.id = s, .frames = FRAMES, .worker = 0};
		struct sockaddr_in *l = (struct sockaddr_in *)&sc.local,
				   *r = (struct sockaddr_in *)&sc.remote;

		l->sin_family = r->sin_family = AF_INET;
		l->sin_port = htons((uint16_t)(SPAN0 + 2 * s));
		inet_pton(AF_INET, ip_span, &l->sin_addr);
		r->sin_port = htons(GEN_E1);
		inet_pton(AF_INET, ip_gen, &r->sin_addr);
		sc.local_len = sc.remote_len = sizeof(struct sockaddr_in);
		if (media_engine_add_span(e, &sc) < 0)
			return -1;
	}
	pin_cpu(1); /* tandem (and its worker, which inherits it) on CPU 1 */
	if ((rc = media_engine_start(e)) < 0) {
		fprintf(stderr, "bench_media_sockets: engine start: %s\n", strerror(-rc));
		talloc_free(ctx); /* detaches an XDP program */
		return -1;
	}
	for (unsigned c = 0; c < n; c++) {
		struct sockaddr_storage la;
		struct media_chan_cfg cc = {.mode = MEDIA_MODE_TDM,
					    .span = c / NTS,
					    .timeslot = c % NTS + 1,
					    .codec = MEDIA_CODEC_PCMA,
					    .pt = 8,
					    .ptime = 20};
		uint32_t id;
		uint32_t a;
		unsigned port;

		memcpy(&cc.remote, &gen_rtp, sizeof(gen_rtp));
		cc.remote_len = sizeof(gen_rtp);
		if (dsp_on) {
			snprintf(cc.ec, sizeof(cc.ec), "tandem");
			cc.ec_tail_ms = 128;
			cc.dtmf_detect = true;
		}
		while ((rc = media_chan_alloc(e, 0, &id, &la)) == -EBUSY) {
			loop_wake_flush(sig);
			usleep(1000);
		}
		if (rc < 0) {
			fprintf(stderr, "bench_media_sockets: channel %u: %s\n", c, strerror(-rc));
			return -1;
		}
		while ((rc = media_chan_modify(e, id, &cc)) == -EBUSY) {
			loop_wake_flush(sig);
			usleep(1000);
		}
		memcpy(&ch_addr[c], &la, sizeof(ch_addr[c]));
		a = ntohl(ch_addr[c].sin_addr.s_addr);
		port = ntohs(ch_addr[c].sin_port);
		addr_index[((a & 0xff) - 1) * (PMAX - PMIN + 1) + (port - PMIN)] = (int)c + 1;
	}
	/* commands wake the worker at the end of the signalling loop's turn
	 * (loop_wake_signal_later), and this thread never turns that loop:
	 * send the wake now, or the worker sleeps through the run */
	loop_wake_flush(sig);
	usleep(200000);
	napi_cpu_s(true);
	res->if_drops = if_rx_dropped();
	if (pipe(p) < 0)
		return -1;
	g = fork();
	if (g < 0)
		return -1;
	if (g == 0) {
		close(p[0]);
		pin_cpu(0); /* the generator on the other core, outside the measure */
		/* at the worker's priority: a starved generator sends late and in
		 * bursts, and that would be charged to tandem */
		if (setpriority(PRIO_PROCESS, 0, -10) < 0)
			fprintf(stderr, "bench_media_sockets: generator at normal priority\n");
		generator(p[1]);
	}
	close(p[1]);
	for (;;) {
		ssize_t k = read(p[0], buf + have, sizeof(buf) - 1 - have);
		char *nl;

		if (k <= 0)
			break;
		have += (size_t)k;
		buf[have] = 0;
		while ((nl = strchr(buf, '\n'))) {
			*nl = 0;
			if (buf[0] == 'S') {
				c0 = worker_cpu_s();
				n0 = napi_cpu_s(false);
			} else if (buf[0] == 'F') {
				c1 = worker_cpu_s();
				n1 = napi_cpu_s(false);
			} else if (buf[0] == 'E') {
				c2 = worker_cpu_s();
				n2 = napi_cpu_s(false);
				sscanf(buf,
				       "E %llu %llu %llu %llu %llu %llu %llu %lf %lf %lf %lf %lf "
				       "%lf %llu",
				       &res->e1_sent, &res->e1_rcvd, &res->e1_lost, &res->rtp_sent,
				       &res->rtp_rcvd, &res->rtp_lost, &res->win, &res->del_p50_us,
				       &res->del_p99_us, &res->jit_p99_us, &res->jit_max_us,
				       &res->snd_p99_us, &res->gen_cpu_s, &res->pkts);
			}
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
	}
	close(p[0]);
	waitpid(g, NULL, 0);
	/* what reached tandem: a packet dropped on the way in (a full socket
	 * buffer while the worker was behind) never shows as a gap in what
	 * tandem numbers and sends back */
	{
		struct media_worker_stats ws;

		for (unsigned s = 0; s < n_spans; s++) {
			struct media_span_stats ss;

			if (media_span_stats(e, s, &ss) == 0) {
				res->tdm_in += ss.rx_pkts;
				res->tdm_in_lost += ss.rx_lost;
			}
		}
		res->if_drops = if_rx_dropped() - res->if_drops;
		if (media_engine_worker_stats(e, 0, &ws) == 0) {
			res->rtp_in = ws.rx_pkts;
			res->xdp = ws.xdp;
			res->xsk_drops = ws.xsk_drops;
			res->xsk_kernel_tx = ws.xsk_kernel_tx;
			res->xsk_no_room = ws.xsk_no_room;
			if (path_xdp && !ws.xdp)
				fprintf(stderr, "bench_media_sockets: worker on %s\n", ws.path);
		}
	}
	media_engine_stop(e);
	talloc_free(ctx);
	if (c0 < 0 || c1 < 0 || c2 < 0 || !res->pkts)
		return -1;
	res->n = n;
	res->cpu_s = c1 - c0;
	/* The CPU from the window's start to the end of the drain, over the
	 * datagrams that crossed in that time (counted by the generator):
	 * on a loaded machine a worker held off the CPU does part of the
	 * window's work after it, and a generator held off sends less in it;
	 * CPU over the window / nominal packets counted neither right (a run
	 * once showed a fifth of the cost) */
	res->napi_s = n2 - n0;
	res->ns_per_pkt = (c2 - c0) * 1e9 / (double)res->pkts;
	res->ns_per_pkt_napi = (c2 - c0 + res->napi_s) * 1e9 / (double)res->pkts;
	/* per span 1,000 CESoPSN packets/s each way, per channel 50 RTP/s each way */
	res->ns_per_ch_s = res->ns_per_pkt * (n_spans * 2000.0 + n * 100.0) / n;
	(void)n1;
	return 0;
}

/* One run in a process of its own (a clean port range and fd table). */
static int run_forked(unsigned n, struct result *r)
{
	int p[2];
	pid_t c;

	memset(r, 0, sizeof(*r));
	if (n == 0 || n > MAX_CH || pipe(p) < 0 || (c = fork()) < 0)
		return -1;
	if (c == 0) {
		close(p[0]);
		if (run(n, r) < 0 || write(p[1], r, sizeof(*r)) < 0)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], r, sizeof(*r)) != (ssize_t)sizeof(*r))
		r->n = 0;
	close(p[0]);
	waitpid(c, NULL, 0);
	return r->n == n ? 0 : -1;
}

static void print_run(const struct result *r, const char *mode, unsigned round)
{
	printf("  %4u ch %-14s round %u: worker CPU %6.3f s  %7.0f ns per channel-second "
	       "(%5.0f ch/core)  TDM->RTP delay p50 %.0f us p99 %.0f us, added jitter p99 %.0f "
	       "us  (generator's own send jitter p99 %.0f us)\n",
	       r->n, mode, round, r->cpu_s, r->ns_per_ch_s, 1e9 / r->ns_per_ch_s, r->del_p50_us,
	       r->del_p99_us, r->jit_p99_us, r->snd_p99_us);
	if (r->snd_p99_us > 2000)
		printf("           NOTE: the generator itself ran %.1f ms late at p99: the machine "
		       "is busy, delay and jitter include that contention\n",
		       r->snd_p99_us / 1000.0);
	printf("           into tandem: CESoPSN %llu of %llu (lost %llu), RTP %llu of %llu | out "
	       "of tandem: RTP %llu (lost %llu), CESoPSN %llu (lost %llu) | generator CPU %.3f s\n",
	       r->tdm_in, r->e1_sent, r->e1_sent - r->tdm_in, r->rtp_in, r->rtp_sent, r->rtp_rcvd,
	       r->rtp_lost, r->e1_rcvd, r->e1_lost, r->gen_cpu_s);
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#define MAX_ROUNDS 8

/* median CPU per channel-second and per packet of the runs without loss */
static unsigned median(const struct result *rs, unsigned rounds, double *ch_s, double *pkt,
		       double *pkt_napi)
{
	double v[MAX_ROUNDS], w[MAX_ROUNDS], z[MAX_ROUNDS];
	unsigned nv = 0;

	/* a run that lost packets did less work than it was given: its CPU
	 * per channel-second is not the chain's cost */
	for (unsigned k = 0; k < rounds; k++) {
		const struct result *x = &rs[k];

		if (x->e1_sent == x->tdm_in && x->rtp_sent == x->rtp_in && !x->rtp_lost &&
		    !x->e1_lost) {
			v[nv] = x->ns_per_ch_s;
			z[nv] = x->ns_per_pkt_napi;
			w[nv++] = x->ns_per_pkt;
		}
	}
	qsort(v, nv, sizeof(v[0]), cmp_d);
	qsort(w, nv, sizeof(w[0]), cmp_d);
	qsort(z, nv, sizeof(z[0]), cmp_d);
	*pkt_napi = !nv ? 0 : nv % 2 ? z[nv / 2] : (z[nv / 2 - 1] + z[nv / 2]) / 2;
	*ch_s = !nv ? 0 : nv % 2 ? v[nv / 2] : (v[nv / 2 - 1] + v[nv / 2]) / 2;
	*pkt = !nv ? 0 : nv % 2 ? w[nv / 2] : (w[nv / 2 - 1] + w[nv / 2]) / 2;
	return nv;
}

int main(int argc, char **argv)
{
	static const char *const mode_name[2][2] = {{"EC+DTMF off", "EC+DTMF on"},
						    {"xdp EC+DTMF off", "xdp EC+DTMF on"}};
	static const char *const path_name[2] = {"sockets", "AF_XDP"};
	unsigned ns[8] = {200, 1000}, nn = 2, rounds = 2, npaths = 1;
	static struct result r[8][2][2][MAX_ROUNDS]; /* [size][path][dsp][round] */
	const char *env = getenv("ROUNDS"), *net = getenv("BENCH_NET");
	/* for a profile of one kind of run: BENCH_ONLY=sockets|xdp, BENCH_DSP=off|on
	 * (the side-by-side table then has nothing to compare) */
	const char *only = getenv("BENCH_ONLY"), *odsp = getenv("BENCH_DSP");
	int only_path = !only ? -1 : !strcmp(only, "xdp") ? 1 : 0;
	int only_dsp = !odsp ? -1 : !strcmp(odsp, "on") ? 1 : 0;

	signal(SIGPIPE, SIG_IGN);
	/* whole lines: the engine's log lines go to stderr between them */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env && atoi(env) > 0)
		rounds = (unsigned)atoi(env) > MAX_ROUNDS ? MAX_ROUNDS : (unsigned)atoi(env);
	if (argc > 1)
		seconds = (unsigned)atoi(argv[1]);
	if (argc > 2) {
		nn = 0;
		for (int i = 2; i < argc && nn < 8; i++)
			ns[nn++] = (unsigned)atoi(argv[i]);
	}
	if (!seconds)
		seconds = 8;
	xdp_if = getenv("BENCH_XDP_IF");
	peer_ns = getenv("BENCH_PEER_NETNS");
	if (xdp_if && peer_ns && net) {
		snprintf(ip_buf[0], sizeof(ip_buf[0]), "%s.1", net);
		snprintf(ip_buf[1], sizeof(ip_buf[1]), "%s.30", net);
		snprintf(ip_buf[2], sizeof(ip_buf[2]), "%s.100", net);
		ip_tandem = ip_buf[0];
		ip_span = ip_buf[1];
		ip_gen = ip_buf[2];
		npaths = 2;
	} else {
		xdp_if = peer_ns = NULL;
	}
	printf("media chain through %s: E1 CESoPSN (8 frames/pkt) <-> PCMA RTP 20 ms, "
	       "1 worker pinned to CPU 1, generator pinned to CPU 0 and not counted, %u s per "
	       "run, %u rounds, EC+DTMF off and on interleaved (off on off on ...)\n"
	       "  on = tandem's echo canceller (128 ms tail) and in-band DTMF detection on every "
	       "channel; off = neither\n",
	       npaths == 2 ? "a veth pair between two namespaces, io_uring sockets and AF_XDP "
			     "interleaved (order alternating by round)"
			   : "sockets",
	       seconds, rounds);
	for (unsigned i = 0; i < nn; i++)
		for (unsigned k = 0; k < rounds; k++)
			for (unsigned q = 0; q < npaths; q++) {
				unsigned pa = npaths == 2 && (k % 2) ? 1 - q : q;

				if (only_path >= 0 && (int)pa != only_path)
					continue;
				for (unsigned m = 0; m < 2; m++) {
					struct result *x = &r[i][pa][m][k];

					if (only_dsp >= 0 && (int)m != only_dsp)
						continue;

					dsp_on = m == 1;
					path_xdp = pa == 1;
					/* the last run's ring may still be closing its
					 * sockets in the kernel (io_uring exit work) */
					int rc = run_forked(ns[i], x);

					for (int t = 0; (rc < 0 || (path_xdp && !x->xdp)) && t < 3;
					     t++) {
						sleep(2);
						rc = run_forked(ns[i], x);
					}
					if (rc < 0) {
						printf("  %u channels (%s): run failed\n", ns[i],
						       mode_name[pa][m]);
						return 1;
					}
					if (path_xdp && !x->xdp) {
						printf("  %u channels: the worker did not run on "
						       "AF_XDP "
						       "(see above)\n",
						       ns[i]);
						return 1;
					}
					print_run(x, mode_name[pa][m], k + 1);
					if (path_xdp)
						printf("           xsk: drops %llu, sends through "
						       "the kernel %llu, without a frame %llu; %s "
						       "receive drops %llu; CPU %.0f ns per packet "
						       "(%.0f with veth's NAPI thread: %.3f s)\n",
						       x->xsk_drops, x->xsk_kernel_tx,
						       x->xsk_no_room, xdp_if, x->if_drops,
						       x->ns_per_pkt, x->ns_per_pkt_napi,
						       x->napi_s);
					else
						printf("           %s receive drops %llu; CPU %.0f "
						       "ns "
						       "per packet\n",
						       xdp_if ? xdp_if : "-", x->if_drops,
						       x->ns_per_pkt);
				}
			}
	printf("side by side (median of the rounds without loss; CPU of tandem's worker thread "
	       "per channel-second and per packet, both directions, generator excluded):\n");
	double med[8][2][2], mpk[8][2][2], mpn[8][2][2];

	for (unsigned i = 0; i < nn; i++)
		for (unsigned pa = 0; pa < npaths; pa++) {
			unsigned nv[2];

			for (unsigned m = 0; m < 2; m++)
				nv[m] = median(r[i][pa][m], rounds, &med[i][pa][m], &mpk[i][pa][m],
					       &mpn[i][pa][m]);
			if ((!nv[0] && only_dsp != 1) || (!nv[1] && only_dsp != 0)) {
				printf("  %4u channels %-7s: no comparison: runs without loss, off "
				       "%u "
				       "on %u of %u (the worker did not get the CPU it needs on "
				       "this "
				       "machine now)\n",
				       ns[i], path_name[pa], nv[0], nv[1], rounds);
				continue;
			}
			printf("  %4u channels %-7s: EC+DTMF off %7.0f ns/ch-s (%5.0f ch/core) "
			       "%5.0f ns/pkt | on %7.0f ns/ch-s (%5.0f ch/core) | on/off %.2f  "
			       "(runs "
			       "without loss: %u and %u of %u)\n",
			       ns[i], path_name[pa], med[i][pa][0], 1e9 / med[i][pa][0],
			       mpk[i][pa][0], med[i][pa][1], 1e9 / med[i][pa][1],
			       med[i][pa][1] / med[i][pa][0], nv[0], nv[1], rounds);
		}
	if (npaths == 2)
		for (unsigned i = 0; i < nn; i++)
			if (mpk[i][0][0] > 0 && mpk[i][1][0] > 0)
				printf("  %4u channels: AF_XDP / sockets packets per CPU-second: "
				       "%.2fx (EC+DTMF off; %.2fx counting veth's NAPI thread for "
				       "AF_XDP, %.0f ns/pkt), whole chain with EC on %.2fx\n",
				       ns[i], mpk[i][0][0] / mpk[i][1][0],
				       mpn[i][1][0] > 0 ? mpk[i][0][0] / mpn[i][1][0] : 0,
				       mpn[i][1][0],
				       med[i][1][1] > 0 ? med[i][0][1] / med[i][1][1] : 0);
	printf("{\"bench\":\"media_sockets\",\"seconds\":%u,\"rounds\":%u,\"runs\":[", seconds,
	       rounds);
	for (unsigned i = 0; i < nn; i++)
		for (unsigned pa = 0; pa < npaths; pa++)
			printf("%s{\"channels\":%u,\"path\":\"%s\",\"ns_per_chan_s_off\":%.0f,"
			       "\"ns_per_chan_s_on\":%.0f,\"ns_per_pkt_off\":%.0f}",
			       i || pa ? "," : "", ns[i], path_name[pa], med[i][pa][0],
			       med[i][pa][1], mpk[i][pa][0]);
	printf("]}\n");
	return 0;
}
