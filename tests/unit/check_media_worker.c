/* media/worker: channels on worker threads commanded from a signalling loop:
 * loop-back, relay between two channels, RTP timeout, stats, release and
 * port reuse. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "media/media.h"
#include "tests/unit/unit.h"

struct evlog {
	int timeouts, stats, freed, failed;
	struct media_event last_stats;
	uint32_t last_freed;
};

static void on_event(void *priv, const struct media_event *ev)
{
	struct evlog *l = priv;

	switch (ev->type) {
	case MEDIA_EV_RTP_TIMEOUT:
		l->timeouts++;
		break;
	case MEDIA_EV_STATS:
		l->stats++;
		l->last_stats = *ev;
		break;
	case MEDIA_EV_FREED:
		l->freed++;
		l->last_freed = ev->chan;
		break;
	case MEDIA_EV_CHAN_FAILED:
		l->failed++;
		break;
	case MEDIA_EV_DTMF:
	case MEDIA_EV_ANS:
	case MEDIA_EV_COT:
		break;
	}
}

static void noop(void *p)
{
	(void)p;
}

/* Turn the signalling loop until cond() or ms elapse. */
static void turn(struct loop *l, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct loop_timer g;

	loop_timer_init(&g, noop, NULL);
	while (loop_now_ns() < end) {
		loop_timer_schedule(l, &g, 10000);
		loop_run_once(l);
	}
	loop_timer_cancel(l, &g);
}

/* Until the worker has taken every command sent so far (a query's answer
 * comes after them): a loaded machine may not run it within a fixed turn.
 * The query's event is not counted. */
static void synced(struct loop *l, struct media_engine *e, uint32_t id, struct evlog *log)
{
	int stats = log->stats;

	ck_assert_int_eq(media_chan_query(e, id), 0);
	for (int i = 0; i < 300 && log->stats == stats; i++)
		turn(l, 10);
	ck_assert_int_eq(log->stats, stats + 1);
	log->stats = stats;
}

/* Until the worker's FREED events number n (a loaded machine may be slow
 * to run the worker): at most 3 s. */
static void wait_freed(struct loop *l, struct evlog *log, int n)
{
	for (int i = 0; i < 300 && log->freed < n; i++)
		turn(l, 10);
	ck_assert_int_eq(log->freed, n);
}

/* Descriptors for n sockets and the test's own: the soft limit raised to
 * the hard one, or SKIP when even that is too low. */
static void need_fds(unsigned n)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_cur >= n + 256)
		return;
	if (rl.rlim_max < n + 256)
		unit_skip("descriptor limit below %u (hard limit)", n + 256);
	rl.rlim_cur = rl.rlim_max;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static int udp_client(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void rtp_pkt(uint8_t *p, uint16_t seq)
{
	memset(p, 0xd5, 172);
	p[0] = 0x80;
	p[1] = 8;
	p[2] = (uint8_t)(seq >> 8);
	p[3] = (uint8_t)seq;
}

static int recv_count(int fd, unsigned ms)
{
	int n = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint8_t buf[2048];

	while (poll(&p, 1, (int)ms) > 0) {
		if (recv(fd, buf, sizeof(buf), 0) > 0)
			n++;
		ms = 50;
	}
	return n;
}

START_TEST(test_loopback_relay_timeout_free)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = 8,
				.rtp_port_min = 26000,
				.rtp_port_max = 26011,
				.rtp_timeout_ms = 300};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage la, lb, lc;
	struct media_chan_cfg cc = {0};
	uint32_t a, b, c;
	int ca = udp_client(), cb = udp_client();
	uint8_t pkt[172];

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, &la), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &b, &lb), 0);
	ck_assert_uint_eq(ntohs(((struct sockaddr_in *)&la)->sin_port) % 2, 0);
	ck_assert_uint_ne(ntohs(((struct sockaddr_in *)&la)->sin_port),
			  ntohs(((struct sockaddr_in *)&lb)->sin_port));

	/* loop-back: what client A sends to channel A comes back (no SDP
	 * address: admitted by latching) */
	cc.mode = MEDIA_MODE_LOOPBACK;
	cc.latch = true;
	ck_assert_int_eq(media_chan_modify(e, a, &cc), 0);
	synced(l, e, a, &log); /* the worker has the commands */
	for (uint16_t i = 0; i < 10; i++) {
		rtp_pkt(pkt, i);
		ck_assert_int_eq(sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la,
					sizeof(struct sockaddr_in)),
				 (ssize_t)sizeof(pkt));
	}
	/* not RTP: counted as bad, not echoed */
	ck_assert_int_eq(
		sendto(ca, "junk", 4, 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in)), 4);
	ck_assert_int_eq(recv_count(ca, 500), 10);

	/* relay: A's RTP goes to B's remote (client B, latched from its first packet) */
	cc.mode = MEDIA_MODE_IDLE;
	cc.latch = true;
	ck_assert_int_eq(media_chan_modify(e, b, &cc), 0);
	cc.mode = MEDIA_MODE_RELAY;
	cc.peer = b;
	ck_assert_int_eq(media_chan_modify(e, a, &cc), 0);
	synced(l, e, a, &log); /* the worker has the commands */
	rtp_pkt(pkt, 100);
	sendto(cb, pkt, sizeof(pkt), 0, (struct sockaddr *)&lb, sizeof(struct sockaddr_in));
	synced(l, e, a, &log); /* the worker has the commands */
	for (uint16_t i = 0; i < 5; i++) {
		rtp_pkt(pkt, i);
		sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
	}
	ck_assert_int_eq(recv_count(cb, 500), 5);
	ck_assert_int_eq(recv_count(ca, 50), 0);

	/* stats come back as an event */
	ck_assert_int_eq(media_chan_query(e, a), 0);
	turn(l, 100);
	ck_assert_int_eq(log.stats, 1);
	ck_assert_uint_eq(log.last_stats.stats.rx_pkts, 15);
	ck_assert_uint_eq(log.last_stats.stats.rx_bad, 1);
	ck_assert_uint_eq(log.last_stats.stats.tx_pkts, 10);

	/* no RTP for 300 ms: each channel reports a timeout once */
	turn(l, 700);
	ck_assert_int_eq(log.timeouts, 2);

	/* release: the event comes back, the port pair is reused */
	ck_assert_int_eq(media_chan_free(e, a), 0);
	wait_freed(l, &log, 1);
	ck_assert_uint_eq(log.last_freed, a);
	ck_assert_int_eq(media_chan_free(e, a), -ENOENT);
	/* the pool has 6 pairs: allocate all that remain, the freed one included */
	{
		int got = 0;

		while (media_chan_alloc(e, -1, &c, &lc) == 0)
			got++;
		ck_assert_int_ge(got, 4);
	}
	media_engine_stop(e);
	close(ca);
	close(cb);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* Issue 13 item 2: workers logging under load while the signalling thread
 * logs too, into a target like the VTY's "log file"/"log stderr" (an
 * osmo_wqueue written out by the signalling loop). Worker lines reach the
 * file whole, none lost or garbled; ThreadSanitizer (unit-tests-tsan) sees
 * no race. Before, the workers called libosmocore's logging themselves:
 * msgbs appended to the write queue by one thread while the other pulled
 * them ("msgb too small to pull"). */
START_TEST(test_worker_logging_under_load)
{
	struct loop_cfg lc = {.drive_osmocom = true};
	struct loop *l = loop_alloc(unit_ctx, &lc);
	struct media_cfg cfg = {
		.workers = 2, .chans_per_worker = 8, .rtp_port_min = 26100, .rtp_port_max = 26131};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	char path[] = "/tmp/tandem-wlog.XXXXXX";
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_TDM, .span = 7, .timeslot = 1};
	struct log_target *t;
	uint32_t id[4];
	struct sockaddr_storage ls;
	int fd = mkstemp(path), sent = 0, worker_lines = 0, sig_lines = 0, bad = 0;
	const int rounds = 150;
	char line[512];
	FILE *f;

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_ptr_nonnull(e);
	t = log_target_create_file(path);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_ge(log_target_file_switch_to_wqueue(t), 0); /* 1: already one */
	log_set_all_filter(t, 1);
	log_set_log_level(t, LOGL_INFO);
	log_set_print_category(t, 1);
	log_set_use_color(t, 0);
	log_add_target(t);
	ck_assert_int_eq(media_engine_start(e), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(media_chan_alloc(e, i % 2, &id[i], &ls), 0);
	for (int r = 0; r < rounds; r++) {
		/* span 7 does not exist: each command makes its worker log */
		for (int i = 0; i < 4; i++)
			if (media_chan_modify(e, id[i], &cc) == 0)
				sent++;
		LOGP(DMEDIA, LOGL_NOTICE, "signalling side line %d with some length to it\n", r);
		turn(l, 1);
	}
	turn(l, 200);
	media_engine_stop(e);
	turn(l, 50);
	log_target_destroy(t);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		/* each line whole: "DCAT <xxxx> file:line text\n" */
		if (strncmp(line, "D", 1) || !strstr(line, " <00") || !n || line[n - 1] != '\n') {
			if (bad++ < 3)
				fprintf(stderr, "garbled log line: %s", line);
			continue;
		}
		if (strstr(line, "DMEDIA <") == line &&
		    strstr(line, ": span 7 timeslot 1: No such file or directory\n"))
			worker_lines++;
		else if (strstr(line, "DMEDIA <") == line && strstr(line, "signalling side line "))
			sig_lines++;
	}
	fclose(f);
	unlink(path);
	ck_assert_int_eq(bad, 0);
	ck_assert_int_eq(sig_lines, rounds);
	ck_assert_int_eq(worker_lines, sent);
	/* each refused timeslot is reported, for the call to fail (item 3) */
	ck_assert_int_eq(log.failed, sent);
	ck_assert_int_ge(sent, rounds * 4 - 8);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* Several RTP addresses: each holds the whole port range; the pool hands
 * out every pair of every address once, then refuses, and a freed pair of
 * the second address comes back. */
static int udp_client_at(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_n(int fd, const struct sockaddr_storage *to, uint16_t port_add, unsigned n)
{
	struct sockaddr_in a = *(const struct sockaddr_in *)to;
	uint8_t pkt[172];

	a.sin_port = htons((uint16_t)(ntohs(a.sin_port) + port_add));
	for (unsigned i = 0; i < n; i++) {
		rtp_pkt(pkt, (uint16_t)i);
		ck_assert_int_eq(sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&a, sizeof(a)),
				 (ssize_t)sizeof(pkt));
	}
}

static struct media_chan_stats query(struct media_engine *e, struct loop *l, struct evlog *log,
				     uint32_t id)
{
	int before = log->stats;

	ck_assert_int_eq(media_chan_query(e, id), 0);
	for (int i = 0; i < 50 && log->stats == before; i++)
		turn(l, 10);
	ck_assert_int_gt(log->stats, before);
	return log->last_stats.stats;
}

/* Issue 14 item 5: RTP and RTCP only from the SDP's address and ports, or
 * with rtp-latch from the first source in the window; the rest is
 * dropped (never echoed, never counted as received) and counted. */
START_TEST(test_admission)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = 8,
				.rtp_port_min = 26020,
				.rtp_port_max = 26031,
				.latch_ms = 200};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage la, lb, lc;
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_LOOPBACK};
	struct sockaddr_in *r = (struct sockaddr_in *)&cc.remote;
	struct media_chan_stats st;
	uint32_t a, b, c;
	/* the peer the SDP names (RTP 26100, RTCP 26101) and a third party */
	int pa = udp_client_at(26100), pa_rtcp = udp_client_at(26101),
	    pa_rtcp2 = udp_client_at(26105);
	int px = udp_client_at(26102), px_rtcp = udp_client_at(26103);

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, &la), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &b, &lb), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &c, &lc), 0);
	r->sin_family = AF_INET;
	r->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->sin_port = htons(26100);
	cc.remote_len = sizeof(*r);

	/* strict: only 127.0.0.1:26100 (RTP) and :26101 (RTCP, port + 1) */
	ck_assert_int_eq(media_chan_modify(e, a, &cc), 0);
	turn(l, 20);		    /* the commands go at the end of the turn */
	send_n(px, &la, 0, 7);	    /* a flood from the third party */
	send_n(px_rtcp, &la, 1, 3); /* and its RTCP */
	send_n(pa, &la, 0, 5);
	send_n(pa_rtcp, &la, 1, 2); /* the right source: admitted (not parsed: no RTP session) */
	ck_assert_int_eq(recv_count(pa, 300), 5);
	ck_assert_int_eq(recv_count(px, 50), 0);
	st = query(e, l, &log, a);
	ck_assert_uint_eq(st.rx_pkts, 5);
	ck_assert_uint_eq(st.rx_refused, 10);

	/* RFC 3605 a=rtcp: RTCP from 26105, no longer from 26101 */
	cc.rtcp_port = 26105;
	ck_assert_int_eq(media_chan_modify(e, b, &cc), 0);
	turn(l, 20); /* the commands go at the end of the turn */
	send_n(pa_rtcp, &lb, 1, 2);
	send_n(pa_rtcp2, &lb, 1, 4);
	turn(l, 50);
	st = query(e, l, &log, b);
	ck_assert_uint_eq(st.rx_refused, 2);

	/* rtp-latch: the first source in the window wins (here the third
	 * party, as a NAT would show the real peer) and is locked */
	cc.rtcp_port = 0;
	cc.latch = true;
	ck_assert_int_eq(media_chan_modify(e, c, &cc), 0);
	turn(l, 20); /* the commands go at the end of the turn */
	send_n(px, &lc, 0, 4);
	ck_assert_int_eq(recv_count(px, 300), 4);
	send_n(pa, &lc, 0, 3); /* the SDP's address is refused now */
	ck_assert_int_eq(recv_count(pa, 100), 0);
	/* the same configuration again (a re-INVITE with the same SDP)
	 * keeps the lock */
	ck_assert_int_eq(media_chan_modify(e, c, &cc), 0);
	turn(l, 20); /* the commands go at the end of the turn */
	send_n(pa, &lc, 0, 2);
	ck_assert_int_eq(recv_count(pa, 100), 0);
	st = query(e, l, &log, c);
	ck_assert_uint_eq(st.rx_pkts, 4);
	ck_assert_uint_eq(st.rx_refused, 5);

	/* after the window nothing latches: a new SDP address opens a window
	 * of 200 ms; nobody sends in it; then only the SDP's address counts */
	r->sin_port = htons(26110);
	ck_assert_int_eq(media_chan_modify(e, c, &cc), 0);
	turn(l, 300);
	send_n(px, &lc, 0, 3);
	ck_assert_int_eq(recv_count(px, 100), 0);
	st = query(e, l, &log, c);
	ck_assert_uint_eq(st.rx_refused, 8);

	media_engine_stop(e);
	close(pa);
	close(pa_rtcp);
	close(pa_rtcp2);
	close(px);
	close(px_rtcp);
	talloc_free(e);
	loop_free(l);
}
END_TEST

START_TEST(test_several_addresses)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = 8,
				.rtp_addr = "127.0.0.1",
				.rtp_addr_count = 2,
				.rtp_port_min = 26950,
				.rtp_port_max = 26953};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage ls;
	uint32_t id[5], second = 0;
	unsigned on_addr[2] = {0, 0};
	bool seen[2][2] = {{false}};

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	for (int i = 0; i < 4; i++) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)&ls;
		uint32_t host;
		unsigned port;

		ck_assert_int_eq(media_chan_alloc(e, -1, &id[i], &ls), 0);
		host = ntohl(a->sin_addr.s_addr);
		port = ntohs(a->sin_port);
		ck_assert(host == 0x7f000001 || host == 0x7f000002);
		ck_assert(port == 26950 || port == 26952);
		ck_assert(!seen[host & 1 ? 0 : 1][(port - 26950) / 2]);
		seen[host & 1 ? 0 : 1][(port - 26950) / 2] = true;
		on_addr[host & 1 ? 0 : 1]++;
		if (host == 0x7f000002)
			second = id[i];
	}
	ck_assert_uint_eq(on_addr[0], 2);
	ck_assert_uint_eq(on_addr[1], 2);
	ck_assert_int_eq(media_chan_alloc(e, -1, &id[4], &ls), -EADDRINUSE);
	ck_assert_int_eq(media_chan_free(e, second), 0);
	wait_freed(l, &log, 1);
	ck_assert_int_eq(media_chan_alloc(e, -1, &id[4], &ls), 0);
	ck_assert_uint_eq(ntohl(((struct sockaddr_in *)&ls)->sin_addr.s_addr), 0x7f000002);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* Issue 13: a worker's channel slots run out before the port pool does:
 * -ENOSPC, nothing bound; a freed slot is handed out again (the free stack
 * of media/slot_pool.c), and the channel freed twice is refused. */
START_TEST(test_slots_exhausted_reused)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {
		.workers = 1, .chans_per_worker = 3, .rtp_port_min = 26200, .rtp_port_max = 26231};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct media_worker_stats ws;
	struct sockaddr_storage ls;
	uint32_t id[4];

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	for (unsigned i = 0; i < 3; i++) {
		ck_assert_int_eq(media_chan_alloc(e, -1, &id[i], &ls), 0);
		ck_assert_uint_eq(id[i] & 0xffffff, i);
	}
	ck_assert_int_eq(media_chan_alloc(e, -1, &id[3], &ls), -ENOSPC);
	ck_assert_int_eq(media_chan_alloc(e, 0, &id[3], &ls), -ENOSPC);
	ck_assert_int_eq(media_engine_worker_stats(e, 0, &ws), 0);
	ck_assert_uint_eq(ws.chans, 3);
	/* the slot stays taken until the worker reports it freed */
	ck_assert_int_eq(media_chan_free(e, id[1]), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &id[3], &ls), -ENOSPC);
	wait_freed(l, &log, 1);
	ck_assert_uint_eq(log.last_freed, id[1]);
	ck_assert_int_eq(media_chan_free(e, id[1]), -ENOENT);
	ck_assert_int_eq(media_chan_alloc(e, -1, &id[3], &ls), 0);
	ck_assert_uint_eq(id[3], id[1]);
	ck_assert_int_eq(media_chan_alloc(e, -1, &id[3], &ls), -ENOSPC);
	ck_assert_int_eq(media_engine_worker_stats(e, 0, &ws), 0);
	ck_assert_uint_eq(ws.chans, 3);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* issue 13: a busy hour wraps the command queue round (4,096 x 552 B, all
 * resident after); media_engine_trim gives its free pages back, and the
 * commands after it (through those pages) reach the worker whole. The
 * worker trims its event queue, and its loop once no channel is left. */
START_TEST(test_engine_trim)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {
		.workers = 1, .chans_per_worker = 4, .rtp_port_min = 26240, .rtp_port_max = 26271};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage ls;
	uint32_t id;
	size_t given;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &id, &ls), 0);
	/* 5 x 1,000 queries: every slot of the queue written */
	for (unsigned k = 0; k < 5; k++) {
		for (unsigned i = 0; i < 1000; i++)
			ck_assert_int_eq(media_chan_query(e, id), 0);
		for (unsigned i = 0; i < 100 && log.stats < (int)(k + 1) * 1000; i++)
			turn(l, 10);
		ck_assert_int_eq(log.stats, (int)(k + 1) * 1000);
	}
	given = media_engine_trim(e);
	ck_assert_uint_ge(given, 4096u * 500);
	/* the worker, at its next tick: its event queue (5,000 events wrapped
	 * its 4,096 x 160 B), not its loop (a channel is live) */
	for (unsigned i = 0; i < 100 && !media_engine_trimmed(e, 0); i++)
		turn(l, 10);
	ck_assert_uint_ge(media_engine_trimmed(e, 0), 4096u * 100);
	ck_assert_uint_le(media_engine_trimmed(e, 0), 4096u * 160);
	for (unsigned i = 0; i < 3000; i++)
		ck_assert_int_eq(media_chan_query(e, id), 0);
	for (unsigned i = 0; i < 200 && log.stats < 8000; i++)
		turn(l, 10);
	ck_assert_int_eq(log.stats, 8000);
	ck_assert_uint_eq(log.last_stats.chan, id);
	ck_assert_int_eq(media_chan_free(e, id), 0);
	for (unsigned i = 0; i < 100 && !log.freed; i++)
		turn(l, 10);
	ck_assert_int_eq(log.freed, 1);
	/* no channel left: the worker's loop too (4,096 send slots of 2 kB) */
	given = media_engine_trimmed(e, 0);
	media_engine_trim(e);
	for (unsigned i = 0; i < 100 && media_engine_trimmed(e, 0) == given; i++)
		turn(l, 10);
	ck_assert_uint_ge(media_engine_trimmed(e, 0) - given, 4096u * 2048 - 4096);
	media_engine_stop(e);
	ck_assert_uint_eq(media_engine_trim(NULL), 0);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* The channel array is mapped: the worker's trim drops exactly the whole
 * pages that hold no channel in use (slots are handed out from 0 up). */
static unsigned busy_pages(unsigned live, size_t sz, size_t ps, unsigned whole)
{
	unsigned n = live ? (unsigned)((live * sz + ps - 1) / ps) : 0;

	return n < whole ? n : whole;
}

static uint64_t trim_and_wait(struct media_engine *e, struct loop *l)
{
	uint64_t before = media_engine_trimmed(e, 0);

	media_engine_trim(e);
	for (unsigned i = 0; i < 100 && media_engine_trimmed(e, 0) == before; i++)
		turn(l, 10);
	ck_assert_uint_gt(media_engine_trimmed(e, 0), before);
	return media_engine_trimmed(e, 0) - before;
}

START_TEST(test_chans_trim_pages)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {
		.workers = 1, .chans_per_worker = 64, .rtp_port_min = 26400, .rtp_port_max = 26499};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), sz = media_chan_size();
	unsigned whole = (unsigned)(64 * sz / ps);
	struct sockaddr_storage ls;
	uint32_t id[21];
	uint64_t t1, t2;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &id[0], &ls), 0);
	turn(l, 50);
	t1 = trim_and_wait(e, l); /* event queue (empty: always the same) + free pages */
	for (unsigned i = 1; i < 21; i++)
		ck_assert_int_eq(media_chan_alloc(e, -1, &id[i], &ls), 0);
	turn(l, 50);
	t2 = trim_and_wait(e, l);
	ck_assert_uint_eq(t1 - t2,
			  (uint64_t)(busy_pages(21, sz, ps, whole) - busy_pages(1, sz, ps, whole)) *
				  ps);
	/* the channels in use still work: a query answers for each */
	for (unsigned i = 0; i < 21; i++)
		ck_assert_int_eq(media_chan_query(e, id[i]), 0);
	for (unsigned i = 0; i < 100 && log.stats < 21; i++)
		turn(l, 10);
	ck_assert_int_eq(log.stats, 21);
	for (unsigned i = 0; i < 21; i++)
		ck_assert_int_eq(media_chan_free(e, id[i]), 0);
	for (unsigned i = 0; i < 100 && log.freed < 21; i++)
		turn(l, 10);
	ck_assert_int_eq(log.freed, 21);
	/* a slot given back (all zeros) is taken again as new */
	ck_assert_int_eq(media_chan_alloc(e, -1, &id[0], &ls), 0);
	ck_assert_int_eq(media_chan_query(e, id[0]), 0);
	for (unsigned i = 0; i < 100 && log.stats < 22; i++)
		turn(l, 10);
	ck_assert_int_eq(log.stats, 22);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

START_TEST(test_bad_address)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.rtp_addr = "not an address"};

	ck_assert_ptr_null(media_engine_alloc(unit_ctx, l, &cfg, on_event, NULL));
	cfg.rtp_addr = "255.255.255.255";
	cfg.rtp_addr_count = 2; /* runs past the last IPv4 address */
	ck_assert_ptr_null(media_engine_alloc(unit_ctx, l, &cfg, on_event, NULL));
	loop_free(l);
}
END_TEST

/* Copies of a tapped channel's RTP reach the signalling thread's
 * callback with their addresses; an untapped channel's do not; a ring
 * not drained in time drops copies and counts them, the media goes on. */
struct taplog {
	unsigned rx, tx, other;
	struct media_tap_pkt last_rx, last_tx, last_other;
};

static void on_tap(void *priv, const struct media_tap_pkt *p)
{
	struct taplog *t = priv;

	if (p->kind != MEDIA_TAP_RTP) {
		t->other++;
		t->last_other = *p;
	} else if (p->tx) {
		t->tx++;
		t->last_tx = *p;
	} else {
		t->rx++;
		t->last_rx = *p;
	}
}

START_TEST(test_tap)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {
		.workers = 1, .chans_per_worker = 4, .rtp_port_min = 26020, .rtp_port_max = 26031};
	struct evlog log = {0};
	struct taplog t = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage la;
	struct sockaddr_in ca_addr;
	socklen_t alen = sizeof(ca_addr);
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_LOOPBACK, .latch = true};
	uint32_t a;
	uint64_t rx0, tx0, n;
	int ca = udp_client();
	uint8_t pkt[172];

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(getsockname(ca, (struct sockaddr *)&ca_addr, &alen), 0);
	media_engine_set_tap_cb(e, on_tap, &t);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, &la), 0);
	ck_assert_int_eq(media_chan_modify(e, a, &cc), 0);
	turn(l, 20);
	/* not tapped: echoed, no copies */
	rtp_pkt(pkt, 1);
	sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
	ck_assert_int_eq(recv_count(ca, 1000), 1);
	turn(l, 50);
	ck_assert_uint_eq(t.rx + t.tx + t.other, 0);

	ck_assert_int_eq(media_chan_tap(e, a, MEDIA_TAP_RTP), 0);
	turn(l, 20);
	for (uint16_t i = 0; i < 10; i++) {
		rtp_pkt(pkt, (uint16_t)(100 + i));
		sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
	}
	ck_assert_int_eq(recv_count(ca, 1000), 10);
	turn(l, 200);
	ck_assert_uint_eq(t.rx, 10);
	ck_assert_uint_eq(t.tx, 10);
	ck_assert_uint_eq(t.other, 0);
	ck_assert_uint_eq(t.last_rx.chan, a);
	ck_assert_uint_eq(t.last_rx.len, 172);
	ck_assert_uint_eq(t.last_rx.wire_len, 172);
	ck_assert_uint_eq(t.last_rx.data[3], 109); /* the last one's sequence number */
	ck_assert_uint_eq(t.last_rx.src.in.sin_port, ca_addr.sin_port);
	ck_assert_uint_eq(t.last_rx.dst.in.sin_port, ((struct sockaddr_in *)&la)->sin_port);
	ck_assert_uint_eq(t.last_tx.src.in.sin_port, ((struct sockaddr_in *)&la)->sin_port);
	ck_assert_uint_eq(t.last_tx.dst.in.sin_port, ca_addr.sin_port);
	ck_assert_int_gt(t.last_tx.ts_ns, 1500000000ull * 1000000000ull);
	ck_assert_uint_eq(media_engine_tap_dropped(e), 0);

	/* packets echoed while the signalling loop does not turn, in groups
	 * of 600 until the ring of 512 copies overflowed (one group on an
	 * idle machine; under TSan on a loaded one the kernel dropped half
	 * of a group before the worker read it, and 506 copies fitted): the
	 * rest dropped and counted (the channel's own counters say how many
	 * packets there were; the worker's send slots may refuse some
	 * echoes, which is not the point here) */
	ck_assert_int_eq(media_chan_query(e, a), 0);
	turn(l, 200);
	rx0 = log.last_stats.stats.rx_pkts;
	tx0 = log.last_stats.stats.tx_pkts;
	memset(&t, 0, sizeof(t));
	for (uint16_t i = 0; i < 3000 && (i % 600 || !media_engine_tap_dropped(e)); i++) {
		rtp_pkt(pkt, (uint16_t)(200 + i));
		sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
		if (i % 50 == 49)
			usleep(2000); /* the socket buffers */
		if (i % 600 == 599)
			ck_assert_int_gt(recv_count(ca, 300), 0);
	}
	ck_assert_uint_gt(media_engine_tap_dropped(e), 0);
	turn(l, 200);
	ck_assert_int_eq(media_chan_query(e, a), 0);
	turn(l, 200);
	n = (log.last_stats.stats.rx_pkts - rx0) + (log.last_stats.stats.tx_pkts - tx0);
	ck_assert_uint_gt(n, 512);
	ck_assert_uint_eq(t.rx + t.tx, 512);
	ck_assert_uint_eq(media_engine_tap_dropped(e), n - 512);

	/* tap off: no more copies */
	ck_assert_int_eq(media_chan_tap(e, a, 0), 0);
	turn(l, 20);
	memset(&t, 0, sizeof(t));
	rtp_pkt(pkt, 900);
	sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
	ck_assert_int_eq(recv_count(ca, 1000), 1);
	turn(l, 50);
	ck_assert_uint_eq(t.rx + t.tx, 0);

	/* every channel's RTCP (for HEP): an RR from the admitted RTCP
	 * source (RFC 3605 a=rtcp: the client's own port) is copied, its
	 * RTP is not */
	memcpy(&cc.remote, &ca_addr, sizeof(ca_addr));
	cc.remote_len = sizeof(ca_addr);
	cc.rtcp_port = ntohs(ca_addr.sin_port);
	cc.latch = false;
	ck_assert_int_eq(media_chan_modify(e, a, &cc), 0);
	ck_assert_int_eq(media_engine_tap_rtcp(e, true), 0);
	turn(l, 20);
	{
		static const uint8_t rr[8] = {0x80, 201, 0, 1, 0, 0, 0, 7};
		struct sockaddr_in rtcp_to = *(struct sockaddr_in *)&la;

		rtcp_to.sin_port = htons((uint16_t)(ntohs(rtcp_to.sin_port) + 1));
		sendto(ca, rr, sizeof(rr), 0, (struct sockaddr *)&rtcp_to, sizeof(rtcp_to));
		rtp_pkt(pkt, 901);
		sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
		ck_assert_int_eq(recv_count(ca, 1000), 1);
		turn(l, 200);
		ck_assert_uint_eq(t.other, 1);
		ck_assert_uint_eq(t.rx + t.tx, 0);
		ck_assert_uint_eq(t.last_other.kind, MEDIA_TAP_RTCP);
		ck_assert(!t.last_other.tx);
		ck_assert_uint_eq(t.last_other.len, 8);
		ck_assert_uint_eq(t.last_other.dst.in.sin_port, rtcp_to.sin_port);
		ck_assert_uint_eq(t.last_other.src.in.sin_port, ca_addr.sin_port);
	}
	ck_assert_int_eq(media_engine_tap_rtcp(e, false), 0);

	media_engine_stop(e);
	talloc_free(e);
	close(ca);
	loop_free(l);
}
END_TEST

/* rtcp-mux (RFC 5761): once the channel is told, its RTCP socket is
 * closed (the port is free again), RTCP arriving on the RTP port is
 * taken as RTCP (a copy for HEP, not echoed as RTP), RTP still is. */
START_TEST(test_rtcp_mux)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {
		.workers = 1, .chans_per_worker = 4, .rtp_port_min = 26040, .rtp_port_max = 26047};
	struct evlog log = {0};
	struct taplog t = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage la;
	struct sockaddr_in ca_addr, rtcp_at;
	socklen_t alen = sizeof(ca_addr);
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_LOOPBACK};
	struct media_chan_stats st;
	static const uint8_t rr[8] = {0x80, 201, 0, 1, 0, 0, 0, 7};
	uint8_t pkt[172];
	uint32_t a;
	int ca = udp_client(), probe;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(getsockname(ca, (struct sockaddr *)&ca_addr, &alen), 0);
	media_engine_set_tap_cb(e, on_tap, &t);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, &la), 0);
	rtcp_at = *(struct sockaddr_in *)&la;
	rtcp_at.sin_port = htons((uint16_t)(ntohs(rtcp_at.sin_port) + 1));
	/* before: the RTCP port is the channel's */
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_lt(bind(probe, (struct sockaddr *)&rtcp_at, sizeof(rtcp_at)), 0);
	close(probe);

	memcpy(&cc.remote, &ca_addr, sizeof(ca_addr));
	cc.remote_len = sizeof(ca_addr);
	cc.rtcp_port = ntohs(ca_addr.sin_port); /* as sdp_neg says with mux */
	cc.rtcp_mux = true;
	ck_assert_int_eq(media_chan_modify(e, a, &cc), 0);
	ck_assert_int_eq(media_engine_tap_rtcp(e, true), 0);
	turn(l, 50);
	/* the RTCP socket is gone: its port binds */
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(probe, (struct sockaddr *)&rtcp_at, sizeof(rtcp_at)), 0);
	close(probe);

	/* RTCP then RTP, both to the RTP port: the RR is RTCP, the RTP echoed */
	sendto(ca, rr, sizeof(rr), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
	rtp_pkt(pkt, 1);
	sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
	ck_assert_int_eq(recv_count(ca, 1000), 1);
	turn(l, 200);
	ck_assert_uint_eq(t.other, 1);
	ck_assert_uint_eq(t.last_other.kind, MEDIA_TAP_RTCP);
	ck_assert_uint_eq(t.last_other.len, 8);
	ck_assert_uint_eq(t.last_other.dst.in.sin_port, ((struct sockaddr_in *)&la)->sin_port);
	ck_assert_uint_eq(t.last_other.src.in.sin_port, ca_addr.sin_port);
	st = query(e, l, &log, a);
	ck_assert(st.rtcp_mux);
	ck_assert_uint_eq(st.rx_pkts, 1); /* the RR is not counted as RTP */
	ck_assert_uint_eq(st.rx_bad, 0);
	ck_assert_uint_eq(st.rx_refused, 0);
	/* a modify without mux (a re-INVITE) keeps it: the socket is gone */
	cc.rtcp_mux = false;
	ck_assert_int_eq(media_chan_modify(e, a, &cc), 0);
	turn(l, 20);
	st = query(e, l, &log, a);
	ck_assert(st.rtcp_mux);
	ck_assert_int_eq(media_engine_tap_rtcp(e, false), 0);
	ck_assert_int_eq(media_chan_free(e, a), 0);
	wait_freed(l, &log, 1);

	media_engine_stop(e);
	talloc_free(e);
	close(ca);
	loop_free(l);
}
END_TEST

/* Issue 13: a channel that answers an offer of rtcp-mux is muxed from its
 * allocation: no RTCP socket at all (its port was bound and closed again
 * per call), RTCP taken on the RTP port, the stats say mux. */
START_TEST(test_rtcp_mux_from_alloc)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {
		.workers = 1, .chans_per_worker = 4, .rtp_port_min = 26050, .rtp_port_max = 26057};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage la;
	struct sockaddr_in ca_addr, rtcp_at;
	socklen_t alen = sizeof(ca_addr);
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_LOOPBACK};
	struct media_chan_stats st;
	uint8_t pkt[172];
	uint32_t a;
	int ca = udp_client(), probe;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(getsockname(ca, (struct sockaddr *)&ca_addr, &alen), 0);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc_mux(e, -1, &a, &la), 0);
	st = query(e, l, &log, a);
	ck_assert(st.rtcp_mux);
	/* the odd port of the pair was never the channel's */
	rtcp_at = *(struct sockaddr_in *)&la;
	rtcp_at.sin_port = htons((uint16_t)(ntohs(rtcp_at.sin_port) + 1));
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(probe, (struct sockaddr *)&rtcp_at, sizeof(rtcp_at)), 0);
	close(probe);
	memcpy(&cc.remote, &ca_addr, sizeof(ca_addr));
	cc.remote_len = sizeof(ca_addr);
	cc.rtcp_port = ntohs(ca_addr.sin_port);
	cc.rtcp_mux = true;
	ck_assert_int_eq(media_chan_modify(e, a, &cc), 0);
	turn(l, 20);
	/* an RR and an RTP packet on the RTP port: the RR is RTCP, the RTP echoed */
	sendto(ca, (const uint8_t[8]){0x80, 201, 0, 1, 0, 0, 0, 7}, 8, 0, (struct sockaddr *)&la,
	       sizeof(struct sockaddr_in));
	rtp_pkt(pkt, 1);
	sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
	ck_assert_int_eq(recv_count(ca, 1000), 1);
	st = query(e, l, &log, a);
	ck_assert(st.rtcp_mux);
	ck_assert_uint_eq(st.rx_pkts, 1);
	ck_assert_uint_eq(st.rx_bad, 0);
	ck_assert_uint_eq(st.rx_refused, 0);
	ck_assert_int_eq(media_chan_free(e, a), 0);
	wait_freed(l, &log, 1);
	/* the plain allocation still binds both ports of its pair */
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, &la), 0);
	rtcp_at = *(struct sockaddr_in *)&la;
	rtcp_at.sin_port = htons((uint16_t)(ntohs(rtcp_at.sin_port) + 1));
	probe = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_lt(bind(probe, (struct sockaddr *)&rtcp_at, sizeof(rtcp_at)), 0);
	close(probe);

	media_engine_stop(e);
	talloc_free(e);
	close(ca);
	loop_free(l);
}
END_TEST

/* Issue 13: every channel is still seen by the tick (here: each idle
 * channel reports its RTP timeout once, within about a second of it) when
 * there are more than one tick looks at (256). */
START_TEST(test_tick_many_channels)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = 320,
				.rtp_port_min = 27000,
				.rtp_port_max = 27000 + 2 * 320 - 1,
				.rtp_timeout_ms = 300};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	uint32_t id;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	for (int i = 0; i < 300; i++)
		ck_assert_int_eq(media_chan_alloc(e, -1, &id, NULL), 0);
	synced(l, e, id, &log);
	/* 300 ms without RTP, then at most 10 ticks to see them all (and
	 * room for a loaded machine) */
	for (int i = 0; i < 400 && log.timeouts < 300; i++)
		turn(l, 10);
	ck_assert_int_eq(log.timeouts, 300);
	/* once each: nothing more in another round */
	turn(l, 1200);
	ck_assert_int_eq(log.timeouts, 300);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* Issue 13: with 2,600 channels a tick looks at a tenth of them (260), not
 * all: their RTP timeouts come in about ten batches 100 ms apart (each
 * reaches this thread in a turn of its own; a starved machine may merge a
 * few, so five or more), each channel's once. Before, one tick walked all
 * 2,600 and reported them together. */
#define MANY 2600
START_TEST(test_tick_tenth_many_channels)
{
	struct loop *l;
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = MANY,
				/* below the ephemeral range (32768-), apart from
				 * the integration tests' ports (24600-27639), with
				 * room beside other holders */
				.rtp_port_min = 17000,
				.rtp_port_max = 17000 + 2 * MANY + 599,
				.rtp_timeout_ms = 300};
	struct evlog log = {0};
	struct media_engine *e;
	unsigned batches = 0, seen = 0, biggest = 0;
	uint32_t id;

	need_fds(MANY); /* one socket per channel (RTCP on the RTP port, RFC 5761) */
	l = loop_alloc(unit_ctx, NULL);
	e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	for (int i = 0; i < MANY; i++) {
		ck_assert_int_eq(media_chan_alloc_mux(e, -1, &id, NULL), 0);
		if (i % 500 == 499)
			synced(l, e, id, &log); /* the command queue drained */
	}
	synced(l, e, id, &log);
	for (int i = 0; i < 600 && log.timeouts < MANY; i++) {
		turn(l, 10);
		if ((unsigned)log.timeouts != seen) {
			batches++;
			if ((unsigned)log.timeouts - seen > biggest)
				biggest = (unsigned)log.timeouts - seen;
			seen = (unsigned)log.timeouts;
		}
	}
	ck_assert_int_eq(log.timeouts, MANY);
	ck_assert_msg(batches >= 5, "%u timeouts in %u batches (biggest %u)", MANY, batches,
		      biggest);
	turn(l, 1200);
	ck_assert_int_eq(log.timeouts, MANY);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* The RTP timeout runs from the channel's last configuration: one that
 * ran out before it (a call ringing for longer than the timeout, without
 * early media; the signalling side ignores it then) is reported again
 * once the new configuration (the answer) has had no RTP for as long. */
START_TEST(test_timeout_rearmed_by_modify)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = 2,
				.rtp_port_min = 26040,
				.rtp_port_max = 26043,
				.rtp_timeout_ms = 300};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_IDLE, .latch = true};
	uint32_t a;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, NULL), 0);
	/* "ringing": no RTP for longer than the timeout, reported once */
	for (int i = 0; i < 300 && log.timeouts < 1; i++)
		turn(l, 10);
	ck_assert_int_eq(log.timeouts, 1);
	turn(l, 400);
	ck_assert_int_eq(log.timeouts, 1);
	/* "answered": a new configuration, still no RTP: reported again */
	ck_assert_int_eq(media_chan_modify(e, a, &cc), 0);
	for (int i = 0; i < 300 && log.timeouts < 2; i++)
		turn(l, 10);
	ck_assert_int_eq(log.timeouts, 2);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* issue 13: a worker behind on its commands (a mass release, a stall)
 * filled its queue, and media_chan_free said -EBUSY; its callers went on,
 * so the channel, its RTP ports, descriptors and timeslot stayed taken for
 * good (the next call on that circuit failed). The free now waits for
 * room and goes once there is. */
START_TEST(test_free_waits_for_room)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {
		.workers = 1, .chans_per_worker = 4, .rtp_port_min = 26600, .rtp_port_max = 26615};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct media_worker_stats ws;
	struct sockaddr_storage ls;
	uint32_t id[2];
	unsigned queued = 0;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	for (unsigned i = 0; i < 2; i++)
		ck_assert_int_eq(media_chan_alloc(e, -1, &id[i], &ls), 0);
	synced(l, e, id[1], &log);
	/* the worker stalls; queries fill its queue */
	media_test_hold_worker(e, 0, true);
	while (queued < 100000 && media_chan_query(e, id[1]) == 0)
		queued++;
	ck_assert_uint_gt(queued, 1000);
	ck_assert_int_eq(media_chan_query(e, id[1]), -EBUSY);
	ck_assert_int_eq(media_chan_free(e, id[0]), 0);
	ck_assert_int_eq(media_engine_worker_stats(e, 0, &ws), 0);
	ck_assert_uint_eq(ws.frees_deferred, 1);
	ck_assert_uint_eq(ws.frees_waiting, 1);
	turn(l, 50);
	ck_assert_int_eq(log.freed, 0);
	/* the worker goes on: the free reaches it after the queries */
	media_test_hold_worker(e, 0, false);
	for (int i = 0; i < 500 && !log.freed; i++)
		turn(l, 10);
	ck_assert_int_eq(log.freed, 1);
	ck_assert_uint_eq(log.last_freed, id[0]);
	ck_assert_int_eq(media_engine_worker_stats(e, 0, &ws), 0);
	ck_assert_uint_eq(ws.frees_waiting, 0);
	ck_assert_uint_eq(ws.chans, 1);
	/* its slot is handed out again */
	ck_assert_int_eq(media_chan_alloc(e, -1, &id[0], &ls), 0);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* Issue 13: sockets kept between calls (media/keep.c). */
static bool port_bound(const struct sockaddr_storage *ls, int add)
{
	struct sockaddr_in a = *(const struct sockaddr_in *)ls;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	bool bound;

	a.sin_port = htons((uint16_t)(ntohs(a.sin_port) + add));
	bound = bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0;
	close(fd);
	return bound;
}

/* Until that port binds again (a closed socket goes when its cancelled
 * receive ends, on the worker): at most 1 s. */
static void wait_unbound(struct loop *l, const struct sockaddr_storage *ls, int add)
{
	for (int i = 0; i < 100 && port_bound(ls, add); i++)
		turn(l, 10);
	ck_assert(!port_bound(ls, add));
}

static uint16_t port_of(const struct sockaddr_storage *ls)
{
	return ntohs(((const struct sockaddr_in *)ls)->sin_port);
}

static struct media_worker_stats wstats(struct media_engine *e)
{
	struct media_worker_stats ws;

	ck_assert_int_eq(media_engine_worker_stats(e, 0, &ws), 0);
	return ws;
}

static void free_synced(struct media_engine *e, struct loop *l, struct evlog *log, uint32_t id)
{
	ck_assert_int_eq(media_chan_free(e, id), 0);
	wait_freed(l, log, log->freed + 1);
}

/* A freed channel's pair stays bound; what comes to it is dropped and
 * counted; a new channel does not get it before it rested, then gets it
 * and RTP flows through it to the new channel, which does not latch to
 * what sent to the kept pair (the last call's far end); unused pairs close after
 * the idle time and their ports bind again, as do those kept at the
 * stop. */
START_TEST(test_keep_reuse)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = 4,
				.rtp_port_min = 26600,
				.rtp_port_max = 26611,
				.keep_rest_ms = 1000,
				.keep_idle_ms = 4000};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage la, lb, lc;
	struct media_chan_cfg cc = {.mode = MEDIA_MODE_LOOPBACK, .latch = true};
	uint32_t a, b, c;
	uint8_t pkt[172];
	int ca = udp_client(), cb = udp_client();

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, &la), 0);
	free_synced(e, l, &log, a);
	ck_assert_uint_eq(wstats(e).keep_now, 1);
	ck_assert(port_bound(&la, 0));
	ck_assert(port_bound(&la, 1));
	/* not rested: another pair */
	ck_assert_int_eq(media_chan_alloc(e, -1, &b, &lb), 0);
	ck_assert_uint_ne(port_of(&lb), port_of(&la));
	ck_assert_uint_eq(wstats(e).keep_reused, 0);
	/* to the kept pair: nothing comes back, both datagrams counted */
	rtp_pkt(pkt, 1);
	sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&la, sizeof(struct sockaddr_in));
	{
		struct sockaddr_in r = *(struct sockaddr_in *)&la;

		r.sin_port = htons((uint16_t)(port_of(&la) + 1));
		sendto(ca, pkt, 8, 0, (struct sockaddr *)&r, sizeof(r));
	}
	ck_assert_int_eq(recv_count(ca, 200), 0);
	for (int i = 0; i < 100 && wstats(e).keep_rx < 2; i++)
		turn(l, 10);
	ck_assert_uint_eq(wstats(e).keep_rx, 2);

	/* rested: the kept pair, and the new channel's RTP comes through it */
	turn(l, 1050);
	ck_assert_int_eq(media_chan_alloc(e, -1, &c, &lc), 0);
	ck_assert_msg(port_of(&lc) == port_of(&la),
		      "port %u, kept %u: kept now %u, taken over %" PRIu64 ", closed %" PRIu64,
		      port_of(&lc), port_of(&la), wstats(e).keep_now, wstats(e).keep_reused,
		      wstats(e).keep_closed);
	ck_assert_uint_eq(wstats(e).keep_reused, 1);
	ck_assert_uint_eq(wstats(e).keep_now, 0);
	ck_assert_int_eq(media_chan_modify(e, c, &cc), 0);
	synced(l, e, c, &log);
	/* the source that sent to the kept pair (the last call's far end) is
	 * not latched; another is */
	rtp_pkt(pkt, 1);
	sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&lc, sizeof(struct sockaddr_in));
	ck_assert_int_eq(recv_count(ca, 300), 0);
	ck_assert_uint_eq(query(e, l, &log, c).rx_refused, 1);
	for (uint16_t i = 0; i < 5; i++) {
		rtp_pkt(pkt, i);
		sendto(cb, pkt, sizeof(pkt), 0, (struct sockaddr *)&lc, sizeof(struct sockaddr_in));
	}
	ck_assert_int_eq(recv_count(cb, 500), 5);
	ck_assert_uint_eq(query(e, l, &log, c).rx_pkts, 5);
	ck_assert_uint_eq(wstats(e).keep_rx, 2);

	/* both freed and kept; unused for the idle time: closed, ports free */
	free_synced(e, l, &log, b);
	free_synced(e, l, &log, c);
	ck_assert_uint_eq(wstats(e).keep_now, 2);
	for (int i = 0; i < 700 && wstats(e).keep_now; i++)
		turn(l, 10);
	ck_assert_uint_eq(wstats(e).keep_now, 0);
	ck_assert_uint_eq(wstats(e).keep_closed, 2);
	/* (the worker closes them when it takes the command) */
	wait_unbound(l, &la, 0);
	wait_unbound(l, &la, 1);
	wait_unbound(l, &lb, 0);

	/* kept ones at the stop are closed */
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, &la), 0);
	free_synced(e, l, &log, a);
	ck_assert_uint_eq(wstats(e).keep_now, 1);
	media_engine_stop(e);
	talloc_free(e);
	ck_assert(!port_bound(&la, 0));
	ck_assert(!port_bound(&la, 1));
	close(ca);
	close(cb);
	loop_free(l);
}
END_TEST

/* A muxed call's kept pair has no RTCP socket: a plain call on it binds
 * the RTCP port again; a muxed call on a plain pair closes it. */
START_TEST(test_keep_mux)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = 4,
				.rtp_port_min = 26620,
				.rtp_port_max = 26623,
				.keep_rest_ms = 1};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage la, lb;
	uint32_t a, b;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc_mux(e, -1, &a, &la), 0);
	ck_assert(!port_bound(&la, 1));
	free_synced(e, l, &log, a);
	turn(l, 20);
	ck_assert_int_eq(media_chan_alloc(e, -1, &b, &lb), 0);
	ck_assert_uint_eq(port_of(&lb), port_of(&la));
	ck_assert_uint_eq(wstats(e).keep_reused, 1);
	ck_assert(port_bound(&lb, 1));
	synced(l, e, b, &log);
	ck_assert(!query(e, l, &log, b).rtcp_mux);
	free_synced(e, l, &log, b);
	turn(l, 20);
	ck_assert_int_eq(media_chan_alloc_mux(e, -1, &a, &la), 0);
	ck_assert_uint_eq(port_of(&lb), port_of(&la));
	ck_assert_uint_eq(wstats(e).keep_reused, 2);
	synced(l, e, a, &log);
	ck_assert(query(e, l, &log, a).rtcp_mux);
	wait_unbound(l, &la, 1);
	ck_assert(port_bound(&la, 0));
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* Kept pairs never make the range run out: with every port in use or
 * kept, a new channel takes a kept one that has not rested. keep_off:
 * a freed pair is closed at once, as before. */
START_TEST(test_keep_range_full_and_off)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = 4,
				.rtp_port_min = 26630,
				.rtp_port_max = 26633,
				.keep_rest_ms = 60000};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage la, lb, lc;
	uint32_t a, b, c;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, &la), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &b, &lb), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &c, &lc), -EADDRINUSE);
	free_synced(e, l, &log, a);
	ck_assert_int_eq(media_chan_alloc(e, -1, &c, &lc), 0);
	ck_assert_uint_eq(port_of(&lc), port_of(&la));
	ck_assert_uint_eq(wstats(e).keep_reused, 1);
	/* the worker took it over: RTP comes back through it */
	{
		struct media_chan_cfg cc = {.mode = MEDIA_MODE_LOOPBACK, .latch = true};
		int ca = udp_client();
		uint8_t pkt[172];

		ck_assert_int_eq(media_chan_modify(e, c, &cc), 0);
		synced(l, e, c, &log);
		rtp_pkt(pkt, 1);
		sendto(ca, pkt, sizeof(pkt), 0, (struct sockaddr *)&lc, sizeof(struct sockaddr_in));
		ck_assert_int_eq(recv_count(ca, 500), 1);
		close(ca);
	}
	media_engine_stop(e);
	talloc_free(e);

	cfg.keep_off = true;
	log = (struct evlog){0};
	e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, -1, &a, &la), 0);
	free_synced(e, l, &log, a);
	ck_assert_uint_eq(wstats(e).keep_now, 0);
	wait_unbound(l, &la, 0);
	wait_unbound(l, &la, 1);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* Two workers, three pairs: a channel that may go to any worker takes
 * another worker's kept pair when its own has none and no port is free;
 * one pinned to a worker (a span's) finds none, fails, and the other
 * workers' oldest kept pairs are closed so that the next one binds. */
START_TEST(test_keep_across_workers)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 2,
				.chans_per_worker = 4,
				.rtp_port_min = 26640,
				.rtp_port_max = 26645,
				.keep_rest_ms = 60000};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct media_worker_stats w1;
	struct sockaddr_storage lx, ly, lz, ln;
	uint32_t x, y, z, n;

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	ck_assert_int_eq(media_chan_alloc(e, 0, &x, &lx), 0);
	ck_assert_int_eq(media_chan_alloc(e, 1, &y, &ly), 0);
	ck_assert_int_eq(media_chan_alloc(e, 1, &z, &lz), 0);
	free_synced(e, l, &log, z);
	/* one live on each worker: worker 0 is chosen, has nothing kept */
	ck_assert_int_eq(media_chan_alloc(e, -1, &n, &ln), 0);
	ck_assert_uint_eq(media_chan_worker(n), 1);
	ck_assert_uint_eq(port_of(&ln), port_of(&lz));
	synced(l, e, n, &log); /* (in use: the query answers) */

	free_synced(e, l, &log, y);
	ck_assert_int_eq(media_chan_alloc(e, 0, &z, &lz), -EADDRINUSE);
	ck_assert_int_eq(media_engine_worker_stats(e, 1, &w1), 0);
	ck_assert_uint_eq(w1.keep_closed, 1);
	ck_assert_uint_eq(w1.keep_now, 0);
	wait_unbound(l, &ly, 0);
	ck_assert_int_eq(media_chan_alloc(e, 0, &z, &lz), 0);
	ck_assert_uint_eq(port_of(&lz), port_of(&ly));
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* The stop closes every socket: with 1,500 channels up, the five turns it
 * used to give the cancelled receives left most open (their descriptors
 * and ports held after the stop). */
START_TEST(test_stop_closes_all)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct media_cfg cfg = {.workers = 1,
				.chans_per_worker = 1600,
				.rtp_port_min = 27000,
				.rtp_port_max = 30199};
	struct evlog log = {0};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &cfg, on_event, &log);
	struct sockaddr_storage first, ls;
	unsigned bound = 0;
	uint32_t id;
	int rc;

	need_fds(3000); /* two sockets per channel */
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(media_engine_start(e), 0);
	for (unsigned i = 0; i < 1500; i++) {
		while ((rc = media_chan_alloc(e, -1, &id, i ? &ls : &first)) == -EBUSY)
			turn(l, 1);
		ck_assert_int_eq(rc, 0);
	}
	synced(l, e, id, &log);
	media_engine_stop(e);
	ck_assert_uint_eq(port_of(&first), 27000);
	for (int add = 0; add < 3000; add++)
		bound += port_bound(&first, add);
	ck_assert_uint_eq(bound, 0);
	talloc_free(e);
	loop_free(l);
}
END_TEST

Suite *media_worker_suite(void)
{
	Suite *s = suite_create("media_worker");
	TCase *tc = unit_tcase("worker");

	tcase_add_test(tc, test_loopback_relay_timeout_free);
	tcase_add_test(tc, test_admission);
	tcase_add_test(tc, test_several_addresses);
	tcase_add_test(tc, test_bad_address);
	tcase_add_test(tc, test_slots_exhausted_reused);
	tcase_add_test(tc, test_engine_trim);
	tcase_add_test(tc, test_chans_trim_pages);
	tcase_add_test(tc, test_worker_logging_under_load);
	tcase_add_test(tc, test_tap);
	tcase_add_test(tc, test_rtcp_mux);
	tcase_add_test(tc, test_rtcp_mux_from_alloc);
	tcase_add_test(tc, test_tick_many_channels);
	tcase_add_test(tc, test_tick_tenth_many_channels);
	tcase_add_test(tc, test_timeout_rearmed_by_modify);
	tcase_add_test(tc, test_free_waits_for_room);
	tcase_add_test(tc, test_keep_reuse);
	tcase_add_test(tc, test_keep_mux);
	tcase_add_test(tc, test_keep_range_full_and_off);
	tcase_add_test(tc, test_keep_across_workers);
	tcase_add_test(tc, test_stop_closes_all);
	suite_add_tcase(s, tc);
	return s;
}
