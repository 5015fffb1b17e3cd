/* interwork/iw_cdr: the record encoder (CSV per RFC 4180, JSON lines per
 * RFC 8259), the result of an attempt, the file writer (header once,
 * append across runs, rotation); core/metrics: the text format. */
#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/metrics.h"
#include "interwork/iw_cdr.h"
#include "tests/unit/unit.h"

static struct iw_cdr_rec answered(void)
{
	struct iw_cdr_rec r = {
		.final = true,
		.boot = 1796480000,
		.call = 7,
		.attempt = 1,
		.from_isup = true,
		.start = {1796480000, 120000000},
		.answer = {1796480002, 620000000},
		.end = {1796480062, 630000000},
		.calling_in = "4989555",
		.called_in = "4930123456",
		.calling_out = "4989555",
		.called_out = "4930123456",
		.ruri_out = "sip:+4930123456@10.0.0.1;user=phone",
		.linkset = "sw1",
		.cic = 3,
		.span = 0,
		.timeslot = 3,
		.trunk = "carrier",
		.call_id = "a\"b,c@x",
		.cause = 16,
		.cause_loc = 0,
		.sip_status = 200,
		.release_side = "isup",
		.codec = "PCMA",
		.ptime = 20,
	};
	return r;
}

/* the fields of one CSV line (RFC 4180: quoted fields, "" inside) */
static int csv_fields(const char *line, char out[][128], int max)
{
	int n = 0;
	const char *p = line;

	while (n < max) {
		size_t k = 0;

		if (*p == '"') {
			for (p++; *p && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				out[n][k++] = *p;
			}
			p++;
		} else {
			while (*p && *p != ',' && *p != '\n')
				out[n][k++] = *p++;
		}
		out[n++][k] = '\0';
		if (*p != ',')
			break;
		p++;
	}
	return n;
}

START_TEST(test_csv)
{
	struct iw_cdr_rec r = answered();
	char hdr[2048], line[4096], h[64][128], f[64][128];
	int nh, nf, lh, ll;

	lh = iw_cdr_header(hdr, sizeof(hdr), IW_CDR_CSV);
	ll = iw_cdr_encode(line, sizeof(line), IW_CDR_CSV, &r);
	ck_assert_int_gt(lh, 0);
	ck_assert_int_gt(ll, 0);
	ck_assert_int_eq(line[ll - 1], '\n');
	nh = csv_fields(hdr, h, 64);
	nf = csv_fields(line, f, 64);
	ck_assert_int_eq(nh, nf); /* every field has its column */
	for (int i = 0; i < nh; i++) {
		if (!strcmp(h[i], "record_id"))
			ck_assert_str_eq(f[i], "1796480000-7-1");
		if (!strcmp(h[i], "call_id"))
			ck_assert_str_eq(f[i], "a\"b,c@x"); /* quoted, quote doubled */
		if (!strcmp(h[i], "start_utc"))
			ck_assert_str_eq(f[i], "2026-12-05T14:13:20.120Z");
		if (!strcmp(h[i], "setup_ms"))
			ck_assert_str_eq(f[i], "2500");
		if (!strcmp(h[i], "duration_ms"))
			ck_assert_str_eq(f[i], "60010");
		if (!strcmp(h[i], "result"))
			ck_assert_str_eq(f[i], "answered");
		if (!strcmp(h[i], "rtp_rx"))
			ck_assert_str_eq(f[i], ""); /* no media figures: empty */
	}
	ck_assert_ptr_nonnull(strstr(line, "\"a\"\"b,c@x\""));
	ck_assert_int_eq(iw_cdr_encode(line, 40, IW_CDR_CSV, &r), -ENOSPC);
}
END_TEST

START_TEST(test_json)
{
	struct iw_cdr_rec r = answered();
	char line[4096];
	int n;

	r.call_id = "q\"\\\n";
	r.have_media = true;
	r.media.rx_pkts = 3000;
	r.media.rtt_ms = -1;
	n = iw_cdr_encode(line, sizeof(line), IW_CDR_JSON, &r);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(line[0], '{');
	ck_assert_str_eq(line + n - 2, "}\n");
	ck_assert_ptr_nonnull(strstr(line, "\"call_id\":\"q\\\"\\\\\\u000a\""));
	ck_assert_ptr_nonnull(strstr(line, "\"rtp_rx\":3000,"));
	ck_assert_ptr_nonnull(strstr(line, "\"rtt_ms\":null,")); /* not known */
	ck_assert_ptr_nonnull(strstr(line, "\"cause_location\":0,"));
	ck_assert_int_eq(iw_cdr_header(line, sizeof(line), IW_CDR_JSON), 0);
}
END_TEST

/* a PRI call's record: the circuit side's name in the direction, and its
 * own side as the caller's for the result */
START_TEST(test_pri_direction)
{
	struct iw_cdr_rec r = answered();
	char line[4096];

	r.circuit = "pri";
	ck_assert_int_gt(iw_cdr_encode(line, sizeof(line), IW_CDR_JSON, &r), 0);
	ck_assert_ptr_nonnull(strstr(line, "\"direction\":\"pri-sip\","));
	r.from_isup = false;
	ck_assert_int_gt(iw_cdr_encode(line, sizeof(line), IW_CDR_JSON, &r), 0);
	ck_assert_ptr_nonnull(strstr(line, "\"direction\":\"sip-pri\","));
	r.from_isup = true;
	r.answer.tv_sec = 0;
	r.sip_status = 487;
	r.release_side = "pri"; /* the PBX caller gave up */
	ck_assert_str_eq(iw_cdr_result(&r), "cancelled");
	r.circuit = NULL; /* ISUP: a "pri" side is not the caller's */
	ck_assert_str_eq(iw_cdr_result(&r), "failed");
}
END_TEST

START_TEST(test_result)
{
	struct iw_cdr_rec r = answered();

	ck_assert_str_eq(iw_cdr_result(&r), "answered");
	r.answer.tv_sec = 0;
	r.cause = 17;
	r.sip_status = 486;
	ck_assert_str_eq(iw_cdr_result(&r), "busy");
	r.cause = 19;
	r.sip_status = 480;
	ck_assert_str_eq(iw_cdr_result(&r), "no-answer");
	r.cause = 16;
	r.sip_status = 487;
	r.release_side = "isup"; /* the ISUP caller gave up */
	ck_assert_str_eq(iw_cdr_result(&r), "cancelled");
	r.release_side = "sip"; /* the called side cleared before the answer */
	ck_assert_str_eq(iw_cdr_result(&r), "failed");
	r.final = false;
	ck_assert_str_eq(iw_cdr_result(&r), "advanced");
}
END_TEST

static int count_lines(const char *path, const char *prefix)
{
	char buf[4096];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (!prefix || !strncmp(buf, prefix, strlen(prefix)))
			n++;
	fclose(f);
	return n;
}

/* a CSV writer (no loop) on DIR/cdr.csv, DIR made from its template */
static void writer_start(char *dir, char *path, size_t len)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, len, "%s/cdr.csv", dir);
	iw_cdr_cfg.path = path;
	iw_cdr_cfg.format = IW_CDR_CSV;
	iw_cdr_cfg.rotate_bytes = 0;
	ck_assert_int_eq(iw_cdr_start(unit_ctx, NULL), 0);
}

/* one rotated file of DIR/cdr.csv with n_old lines and the current one
 * with n_new; then all of it removed */
static void rotated_check_and_clean(const char *dir, const char *path, int n_old, int n_new)
{
	char pat[300];
	glob_t g;

	snprintf(pat, sizeof(pat), "%s.2*Z", path);
	ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
	ck_assert_uint_eq(g.gl_pathc, 1);
	ck_assert_int_eq(count_lines(g.gl_pathv[0], NULL), n_old);
	ck_assert_int_eq(count_lines(path, NULL), n_new);
	unlink(g.gl_pathv[0]);
	globfree(&g);
	unlink(path);
	rmdir(dir);
	iw_cdr_cfg.path = NULL;
}

START_TEST(test_writer)
{
	char dir[] = "/tmp/check-cdr.XXXXXX", path[256];
	struct iw_cdr_rec r = answered();
	uint64_t rot0 = iw_cdr_get_stats()->rotations;

	writer_start(dir, path, sizeof(path));
	iw_cdr_write(&r);
	iw_cdr_write(&r);
	iw_cdr_stop();
	/* a second run appends, without a second header */
	ck_assert_int_eq(iw_cdr_start(unit_ctx, NULL), 0);
	iw_cdr_write(&r);
	ck_assert_int_eq(count_lines(path, "record_id,"), 1);
	ck_assert_int_eq(count_lines(path, NULL), 4);
	/* rotation: the old file renamed with its time, a new one with a header */
	ck_assert_int_eq(iw_cdr_rotate(), 0);
	ck_assert_uint_eq(iw_cdr_get_stats()->rotations, rot0 + 1);
	iw_cdr_write(&r);
	iw_cdr_stop();
	rotated_check_and_clean(dir, path, 4, 2);
}
END_TEST

/* a disk that takes 300 ms to make a write durable */
static pthread_t slow_thread;
static atomic_int slow_calls;

static int slow_datasync(int fd)
{
	slow_thread = pthread_self();
	usleep(300000);
	atomic_fetch_add(&slow_calls, 1);
	return fdatasync(fd);
}

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* op (a sync, a rotation) on DIR/cdr.csv with one record in it, on a disk
 * whose syncs take 300 ms: it returns at once. The syncs counted before
 * it. */
static uint64_t slow_op(int (*op)(void), char *dir, char *path, size_t len)
{
	struct iw_cdr_rec r = answered();
	uint64_t s0;
	double t0, took;

	writer_start(dir, path, len);
	iw_cdr_write(&r);
	s0 = iw_cdr_get_stats()->syncs;
	iw_cdr_datasync = slow_datasync;
	atomic_store(&slow_calls, 0);
	t0 = mono_s();
	ck_assert_int_eq(op(), 0);
	took = mono_s() - t0;
	ck_assert_msg(took < 0.1, "the caller was held %.3f s", took);
	return s0;
}

/* until that op's syncs are done: calls of them, on another thread, and
 * the op counted as one sync */
static void slow_op_done(int calls, uint64_t s0)
{
	for (int i = 0; i < 300 && iw_cdr_sync_running(); i++)
		usleep(10000);
	ck_assert(!iw_cdr_sync_running());
	ck_assert_int_eq(atomic_load(&slow_calls), calls);
	ck_assert(!pthread_equal(slow_thread, pthread_self()));
	ck_assert_uint_eq(iw_cdr_get_stats()->syncs, s0 + 1);
	iw_cdr_datasync = fdatasync;
}

/* The sync does not hold its caller (the signalling thread): it runs on
 * a thread of its own, one at a time, and is counted when done. Before,
 * fdatasync ran in line: 3.7-7 s stalls of the whole loop on a busy disk. */
START_TEST(test_sync_off_thread)
{
	char dir[] = "/tmp/check-cdr.XXXXXX", path[256];
	uint64_t s0 = slow_op(iw_cdr_sync_start, dir, path, sizeof(path));

	/* one at a time */
	ck_assert_int_eq(iw_cdr_sync_start(), -EBUSY);
	slow_op_done(1, s0);
	iw_cdr_stop();
	ck_assert_int_eq(iw_cdr_sync_start(), -EBADF);
	unlink(path);
	rmdir(dir);
	iw_cdr_cfg.path = NULL;
}
END_TEST

/* A rotation does not hold its caller either: the old file's last sync
 * and the directory's run on a thread (before: fsync of the file and two
 * of the directory in line, once per rotation). */
START_TEST(test_rotate_off_thread)
{
	char dir[] = "/tmp/check-cdr.XXXXXX", path[256];
	struct iw_cdr_rec r = answered();
	uint64_t s0 = slow_op(iw_cdr_rotate, dir, path, sizeof(path));

	ck_assert(iw_cdr_sync_running());
	iw_cdr_write(&r);
	slow_op_done(2, s0); /* the rotated file, then its directory */
	iw_cdr_stop();
	rotated_check_and_clean(dir, path, 2, 2);
}
END_TEST

/* A sync that fails on its thread: counted as a write error and logged by
 * the signalling thread at its next look (before: not a trace). */
static int failing_datasync(int fd)
{
	(void)fd;
	errno = EIO;
	return -1;
}

START_TEST(test_sync_failure_counted)
{
	char dir[] = "/tmp/check-cdr.XXXXXX", path[256];
	struct iw_cdr_rec r = answered();
	uint64_t e0;

	writer_start(dir, path, sizeof(path));
	iw_cdr_write(&r);
	e0 = iw_cdr_get_stats()->write_errors;
	iw_cdr_datasync = failing_datasync;
	ck_assert_int_eq(iw_cdr_rotate(), 0);
	ck_assert(iw_cdr_wait_syncs(5000));
	ck_assert_int_eq(iw_cdr_sync_start(), 0);
	ck_assert(iw_cdr_wait_syncs(5000));
	iw_cdr_datasync = fdatasync;
	ck_assert_uint_eq(iw_cdr_get_stats()->write_errors, e0 + 2);
	iw_cdr_stop();
	rotated_check_and_clean(dir, path, 2, 1);
}
END_TEST

/* The exit right after a rotation waits for its syncs (it would cut the
 * thread short: the rotated file's last records not durable); the stop
 * itself does not (a VTY `no cdr file` runs on the signalling thread). */
START_TEST(test_stop_after_rotate)
{
	char dir[] = "/tmp/check-cdr.XXXXXX", path[256];

	slow_op(iw_cdr_rotate, dir, path, sizeof(path));
	ck_assert(iw_cdr_sync_running());
	iw_cdr_stop();
	ck_assert(iw_cdr_sync_running());
	ck_assert(iw_cdr_wait_syncs(5000));
	ck_assert(!iw_cdr_sync_running());
	ck_assert_int_eq(atomic_load(&slow_calls), 2);
	iw_cdr_datasync = fdatasync;
	rotated_check_and_clean(dir, path, 2, 1);
}
END_TEST

static void collect(struct tandem_metrics_out *o, void *priv)
{
	(void)priv;
	tandem_metrics_family(o, "t_x_total", "counter", "line\\one\ntwo");
	tandem_metrics_sample(o, "t_x_total", 3, "a", "q\"\\\n", "b", NULL, NULL);
	tandem_metrics_sample(o, "t_x_total", 0.25, NULL);
}

START_TEST(test_metrics_format)
{
	size_t len;
	char *s;

	ck_assert_int_eq(tandem_metrics_register(collect, NULL), 0);
	ck_assert_int_eq(tandem_metrics_register(collect, NULL), 0); /* once */
	s = tandem_metrics_render(&len);
	tandem_metrics_unregister(collect, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, "# HELP t_x_total line\\\\one\\ntwo\n"
			    "# TYPE t_x_total counter\n"
			    "t_x_total{a=\"q\\\"\\\\\\n\",b=\"\"} 3\n"
			    "t_x_total 0.25\n");
	ck_assert_uint_eq(len, strlen(s));
	free(s);
}
END_TEST

Suite *iw_cdr_suite(void)
{
	Suite *s = suite_create("iw_cdr");
	TCase *tc = unit_tcase("cdr");

	tcase_add_test(tc, test_csv);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_result);
	tcase_add_test(tc, test_pri_direction);
	tcase_add_test(tc, test_writer);
	tcase_add_test(tc, test_sync_off_thread);
	tcase_add_test(tc, test_rotate_off_thread);
	tcase_add_test(tc, test_stop_after_rotate);
	tcase_add_test(tc, test_sync_failure_counted);
	tcase_add_test(tc, test_metrics_format);
	suite_add_tcase(s, tc);
	return s;
}
