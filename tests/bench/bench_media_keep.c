/* make bench: what a channel's set-up and release cost with the RTP
 * sockets kept between calls (media/keep.c) against without them (`no
 * rtp-socket-keep`: socket+bind of the pair per call, close and the cancel
 * of its receives after), the same work otherwise.
 *
 * tandem's media engine runs in this process with one worker, HELD
 * channels up (each with its two armed receives: what the kernel walks to
 * find a receive to cancel), then CHURN channels set up and released one
 * after the other, the oldest released as each new one comes (as calls
 * end and begin at a steady rate), each given a remote address as a call
 * would. CPU per call = utime+stime of the whole process (signalling
 * thread and worker; getrusage) over the churn / CHURN. Rounds alternate
 * off, on, on, off, ...; the process is pinned to one CPU. The kept pairs
 * rest 1 ms here (4 s in tandemd: at a steady rate the oldest kept pair
 * has rested whatever the rest, so the work per call is the same).
 *
 *   bench_media_keep [ROUNDS [HELD [CHURN]]]   (default 4, 2000, 20000)
 *
 * Ports: 40000-59999 on 127.0.0.1 (RTP and RTCP). */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "core/loop.h"
#include "media/media.h"

static unsigned freed;

static void on_event(void *priv, const struct media_event *ev)
{
	(void)priv;
	if (ev->type == MEDIA_EV_FREED)
		freed++;
}

static void nop(void *p)
{
	(void)p;
}

/* One turn of the signalling loop: events in, commands out. */
static void turn(struct loop *l)
{
	struct loop_timer t;

	loop_timer_init(&t, nop, NULL);
	loop_timer_schedule(l, &t, 200);
	loop_run_once(l);
	loop_timer_cancel(l, &t);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int alloc_one(struct media_engine *e, struct loop *l, uint32_t *id)
{
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_IDLE};
	struct sockaddr_in *r = (struct sockaddr_in *)&cc.remote;
	struct sockaddr_storage la;
	int rc;

	while ((rc = media_chan_alloc(e, 0, id, &la)) == -EBUSY || rc == -ENOSPC)
		turn(l);
	if (rc < 0)
		return rc;
	r->sin_family = AF_INET;
	r->sin_port = htons(9);
	r->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cc.remote_len = sizeof(*r);
	cc.rtcp_port = 10;
	while ((rc = media_chan_modify(e, *id, &cc)) == -EBUSY)
		turn(l);
	return rc;
}

/* CPU us per call of one round, or < 0 */
static double round_us(bool keep, unsigned held, unsigned churn, double *wall_us, unsigned *reused)
{
	void *ctx = talloc_new(NULL);
	struct loop *l = loop_alloc(ctx, NULL);
	struct media_cfg mc = {.workers = 1,
			       .chans_per_worker = held + 1024,
			       .rtp_port_min = 40000,
			       .rtp_port_max = 59999,
			       .keep_off = !keep,
			       .keep_rest_ms = 1};
	struct media_engine *e = l ? media_engine_alloc(ctx, l, &mc, on_event, NULL) : NULL;
	uint32_t *ring = talloc_array(ctx, uint32_t, held + 1);
	unsigned head = 0, n = 0;
	struct media_worker_stats ws;
	double c0, t0, us = -1;
	int rc;

	if (!e || !ring || media_engine_start(e) < 0) {
		fprintf(stderr, "bench_media_keep: no engine\n");
		goto out;
	}
	for (; n < held; n++)
		if ((rc = alloc_one(e, l, &ring[n])) < 0) {
			fprintf(stderr, "bench_media_keep: channel %u: %s\n", n, strerror(-rc));
			goto out;
		}
	for (int i = 0; i < 50; i++)
		turn(l);
	freed = 0;
	c0 = cpu_s();
	t0 = wall_s();
	for (unsigned k = 0; k < churn; k++) {
		uint32_t id;

		if ((rc = media_chan_free(e, ring[head])) < 0 ||
		    (head = (head + 1) % (held + 1), rc = alloc_one(e, l, &id)) < 0) {
			fprintf(stderr, "bench_media_keep: call %u: %s\n", k, strerror(-rc));
			goto out;
		}
		ring[(head + held - 1) % (held + 1)] = id;
		if (k % 16 == 15)
			turn(l);
	}
	for (int i = 0; i < 2000 && freed < churn; i++)
		turn(l);
	if (freed < churn) {
		fprintf(stderr, "bench_media_keep: %u of %u released\n", freed, churn);
		goto out;
	}
	us = (cpu_s() - c0) * 1e6 / churn;
	*wall_us = (wall_s() - t0) * 1e6 / churn;
	media_engine_worker_stats(e, 0, &ws);
	*reused = (unsigned)ws.keep_reused;
out:
	if (e)
		media_engine_stop(e);
	if (l)
		loop_free(l);
	talloc_free(ctx);
	return us;
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 4;
	unsigned held = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
	unsigned churn = argc > 3 ? (unsigned)atoi(argv[3]) : 20000;
	double sum[2] = {0, 0}, wsum[2] = {0, 0};
	unsigned got[2] = {0, 0};
	struct rlimit rl;
	cpu_set_t set;

	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		CPU_ZERO(&set);
		CPU_SET(1, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	printf("bench_media_keep: %u channels held, %u set up and released per round, one "
	       "worker, pinned; CPU of the whole process per call\n",
	       held, churn);
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned j = 0; j < 2; j++) {
			bool keep = (r + j) % 2; /* off on, on off, ... */
			double wall = 0;
			unsigned reused = 0;
			double us = round_us(keep, held, churn, &wall, &reused);

			if (us < 0) {
				printf("  round %u keep %s: failed\n", r + 1, keep ? "on" : "off");
				continue;
			}
			printf("  round %u keep %-3s: %.1f us CPU per call (%.1f us wall; %u taken "
			       "over)\n",
			       r + 1, keep ? "on" : "off", us, wall, reused);
			sum[keep] += us;
			wsum[keep] += wall;
			got[keep]++;
		}
	}
	if (!got[0] || !got[1])
		return 1;
	printf("bench_media_keep: mean CPU per call: keep off %.1f us, keep on %.1f us (%.2fx); "
	       "%u rounds each\n",
	       sum[0] / got[0], sum[1] / got[1], (sum[0] / got[0]) / (sum[1] / got[1]), got[0]);
	return 0;
}
