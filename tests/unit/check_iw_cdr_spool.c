/* interwork/iw_cdr_spool: the CSV record splitter (RFC 4180, the inverse
 * of the CDR encoder), and the spool: append, read back, commit, reopen
 * (backlog and sequence carried over), a torn last record cut, a done
 * mark inside a record set back (replay all), compaction. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "interwork/iw_cdr.h"
#include "interwork/iw_cdr_spool.h"
#include "tests/unit/unit.h"

static char dir[64];
static char path[128];

static void mkdir_tmp(void)
{
	iw_cdr_spool_datasync = fdatasync; /* whatever a failed test left */
	snprintf(dir, sizeof(dir), "/tmp/tandem-spool.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s", dir);
}

static void rm_tmp(void)
{
	char p[160];

	unlink(path);
	snprintf(p, sizeof(p), "%s.done", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s.tmp", path);
	unlink(p);
	rmdir(dir);
}

static off_t fsize(const char *p)
{
	struct stat sb;

	return stat(p, &sb) == 0 ? sb.st_size : -1;
}

#define REC_BYTES 300 /* each record fill() appends, with its LF */

/* n records of REC_BYTES appended, each c... and a LF */
static void fill(struct iw_cdr_spool *sp, unsigned n, char c)
{
	char line[REC_BYTES];

	memset(line, c, sizeof(line));
	line[sizeof(line) - 1] = '\n';
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(iw_cdr_spool_append(sp, line, sizeof(line)), 0);
}

/* p holds exactly len bytes of data */
static void put_file(const char *p, const char *data, size_t len)
{
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

START_TEST(test_csv_roundtrip)
{
	struct iw_cdr_rec r = {.final = true,
			       .boot = 1796480000,
			       .call = 9,
			       .attempt = 2,
			       .start = {1796480000, 5000000},
			       .end = {1796480001, 0},
			       .calling_in = "4989555",
			       .call_id = "a\"b,c\nd@x",
			       .span = -1,
			       .cause = 17,
			       .cause_loc = 1};
	char buf[4096], hdr[2048], out[4096], hout[2048];
	const char *f[64], *h[64];
	int n, nh, k;

	n = iw_cdr_encode(buf, sizeof(buf), IW_CDR_CSV, &r);
	ck_assert_int_gt(n, 0);
	/* the quoted line break does not end the record */
	ck_assert_uint_eq(iw_cdr_csv_record_len(buf, (size_t)n), (size_t)n);
	ck_assert_uint_eq(iw_cdr_csv_record_len(buf, (size_t)n - 1), 0);
	nh = iw_cdr_header(hdr, sizeof(hdr), IW_CDR_CSV);
	ck_assert_int_gt(nh, 0);
	nh = iw_cdr_csv_split(hdr, strlen(hdr), hout, h, 64);
	k = iw_cdr_csv_split(buf, (size_t)n, out, f, 64);
	ck_assert_int_eq(k, nh);
	for (int i = 0; i < k; i++) {
		if (!strcmp(h[i], "call_id"))
			ck_assert_str_eq(f[i], "a\"b,c\nd@x");
		else if (!strcmp(h[i], "record_id"))
			ck_assert_str_eq(f[i], "1796480000-9-2");
		else if (!strcmp(h[i], "cause"))
			ck_assert_str_eq(f[i], "17");
		else if (!strcmp(h[i], "answer_utc") || !strcmp(h[i], "linkset"))
			ck_assert_ptr_null(f[i]); /* empty: NULL in the database */
	}
}
END_TEST

START_TEST(test_csv_malformed)
{
	char out[64];
	const char *f[4];

	ck_assert_int_eq(iw_cdr_csv_split("a,\"b\n", 5, out, f, 4), -EBADMSG);
	ck_assert_int_eq(iw_cdr_csv_split("a,b\"c\n", 6, out, f, 4), -EBADMSG);
	ck_assert_int_eq(iw_cdr_csv_split("\"a\"x,b\n", 7, out, f, 4), -EBADMSG);
	ck_assert_int_eq(iw_cdr_csv_split("a,b,c,d,e\n", 10, out, f, 4), -EBADMSG);
	ck_assert_int_eq(iw_cdr_csv_split("\"\",,x\r\n", 7, out, f, 4), 3);
	ck_assert_str_eq(f[0], ""); /* quoted empty: an empty string */
	ck_assert_ptr_null(f[1]);
	ck_assert_str_eq(f[2], "x");
}
END_TEST

/* The spool at path opened again: its backlog, and the first record it
 * would replay. */
static void expect_replay(uint64_t backlog, uint64_t first_seq)
{
	struct iw_cdr_spool *sp = iw_cdr_spool_open(unit_ctx, path);
	struct iw_cdr_spool_rec rec[1];
	uint64_t end;

	ck_assert_ptr_nonnull(sp);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->backlog, backlog);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 1, &end), backlog ? 1 : 0);
	if (backlog)
		ck_assert_uint_eq(rec[0].seq, first_seq);
	iw_cdr_spool_close(sp);
}

/* until busy(sp) is false (at most 5 s): the spool's sync thread, or its
 * compaction's, is done */
static void wait_idle(struct iw_cdr_spool *sp, bool (*busy)(struct iw_cdr_spool *))
{
	for (int i = 0; i < 500 && busy(sp); i++)
		usleep(10000);
	ck_assert(!busy(sp));
}

static void wait_sync(struct iw_cdr_spool *sp)
{
	wait_idle(sp, iw_cdr_spool_syncing);
}

static void wait_compact(struct iw_cdr_spool *sp)
{
	wait_idle(sp, iw_cdr_spool_compacting);
}

START_TEST(test_spool_cycle)
{
	struct iw_cdr_spool *sp;
	struct iw_cdr_spool_rec rec[4];
	uint64_t end;

	mkdir_tmp();
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "a,1\n", 4), 0);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "b,\"x\ny\"\n", 8), 0);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "c,3\n", 4), 0);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "no newline", 10), -EINVAL);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->backlog, 3);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 2, &end), 2);
	ck_assert_uint_eq(rec[0].seq, 1);
	ck_assert_uint_eq(rec[1].seq, 2);
	ck_assert_uint_eq(rec[1].len, 8);
	ck_assert(!memcmp(rec[1].csv, "b,\"x\ny\"\n", 8));
	ck_assert_int_eq(iw_cdr_spool_commit(sp, end, 2, 2), 0);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->backlog, 1);
	/* what was not committed is there for the next run */
	iw_cdr_spool_close(sp);
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_ptr_nonnull(sp);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->backlog, 1);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 4, &end), 1);
	ck_assert_uint_eq(rec[0].seq, 3);
	ck_assert_int_eq(iw_cdr_spool_commit(sp, end, 1, 3), 0);
	/* drained: the file is cut once the mark is on the disk (the sync on
	 * its own thread, the cut at the next call), the sequence goes on */
	ck_assert(iw_cdr_spool_cut_pending(sp));
	wait_sync(sp);
	iw_cdr_spool_poll(sp);
	ck_assert(!iw_cdr_spool_cut_pending(sp));
	ck_assert_int_eq(fsize(path), 0);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 4, &end), 0);
	iw_cdr_spool_close(sp);
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->backlog, 0);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "d,4\n", 4), 0);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 4, &end), 1);
	ck_assert_uint_eq(rec[0].seq, 4);
	ck_assert_int_eq(iw_cdr_spool_commit(sp, end + 1, 1, 4), -EINVAL);
	iw_cdr_spool_close(sp);
	rm_tmp();
}
END_TEST

START_TEST(test_spool_torn_and_bad_mark)
{
	struct iw_cdr_spool *sp;
	struct iw_cdr_spool_rec rec[4];
	char dp[160];
	uint64_t end;
	int fd;

	mkdir_tmp();
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "a,1\n", 4), 0);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "b,2\n", 4), 0);
	iw_cdr_spool_close(sp);
	/* a power loss cut the last write */
	fd = open(path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "3\tc,\"par", 8), 8);
	close(fd);
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_ptr_nonnull(sp);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->torn, 1);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->backlog, 2);
	ck_assert_int_eq(fsize(path), 12);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "c,3\n", 4), 0);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 4, &end), 3);
	ck_assert_uint_eq(rec[2].seq, 3);
	iw_cdr_spool_close(sp);
	/* a done mark inside a record: everything goes again (the database
	 * ignores what it has) rather than a record lost */
	snprintf(dp, sizeof(dp), "%s.done", path);
	fd = open(dp, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "5 1\n", 4), 4);
	close(fd);
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->backlog, 3);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 4, &end), 3);
	ck_assert_uint_eq(rec[0].seq, 1);
	iw_cdr_spool_close(sp);
	/* a mark past the end (the file was cut, the mark not yet written) */
	fd = open(dp, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, "999999 3\n", 9), 9);
	close(fd);
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->backlog, 3);
	iw_cdr_spool_close(sp);
	rm_tmp();
}
END_TEST

/* a disk that takes 300 ms for each sync; whether one ran on the test's
 * own thread; one that fails while disk_fails is set */
static pthread_t test_thread;
static atomic_bool on_test_thread, disk_fails;
static atomic_int slow_calls;

static atomic_int dir_syncs;

static int slow_datasync(int fd)
{
	struct stat sb;

	if (pthread_equal(pthread_self(), test_thread))
		atomic_store(&on_test_thread, true);
	atomic_fetch_add(&slow_calls, 1);
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
		atomic_fetch_add(&dir_syncs, 1);
	usleep(300000);
	return fdatasync(fd);
}

static int failing_datasync(int fd)
{
	if (atomic_load(&disk_fails)) {
		errno = EIO;
		return -1;
	}
	return fdatasync(fd);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The syncs a drain and the period ask for run off the caller's thread: a
 * busy disk does not hold the signalling thread. The drained file is cut
 * only once a mark with its last sequence was synced; records appended
 * meanwhile are kept. */
START_TEST(test_spool_sync_off_thread)
{
	struct iw_cdr_spool *sp;
	struct iw_cdr_spool_rec rec[4];
	uint64_t end, t0, took;

	mkdir_tmp();
	iw_cdr_spool_datasync = slow_datasync;
	test_thread = pthread_self();
	atomic_store(&on_test_thread, false);
	atomic_store(&slow_calls, 0);
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "a,1\n", 4), 0);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "b,2\n", 4), 0);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 4, &end), 2);
	t0 = now_ms();
	ck_assert_int_eq(iw_cdr_spool_commit(sp, end, 2, 2), 0);
	took = now_ms() - t0;
	ck_assert_msg(took < 100, "the drain held the caller %" PRIu64 " ms", took);
	ck_assert(iw_cdr_spool_syncing(sp));
	/* the period's sync meanwhile: busy, to be asked again */
	ck_assert_int_eq(iw_cdr_spool_sync(sp), -EBUSY);
	/* not cut while the mark is not on the disk; a record meanwhile */
	ck_assert_int_eq(iw_cdr_spool_append(sp, "c,3\n", 4), 0);
	ck_assert_int_eq(fsize(path), 18);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 4, &end), 1);
	ck_assert_uint_eq(rec[0].seq, 3);
	ck_assert_int_eq(iw_cdr_spool_commit(sp, end, 1, 3), 0);
	/* the first sync had seq 2: not enough to cut past 3 */
	wait_sync(sp);
	t0 = now_ms();
	iw_cdr_spool_poll(sp); /* starts the sync that has 3 */
	ck_assert_int_lt(now_ms() - t0, 100);
	ck_assert(iw_cdr_spool_syncing(sp));
	ck_assert_int_eq(fsize(path), 18);
	wait_sync(sp);
	iw_cdr_spool_poll(sp);
	ck_assert_int_eq(fsize(path), 0);
	ck_assert(!iw_cdr_spool_cut_pending(sp));
	wait_sync(sp);
	ck_assert(!atomic_load(&on_test_thread));
	ck_assert_int_ge(atomic_load(&slow_calls), 4); /* two syncs, mark and records each */
	ck_assert_uint_ge(iw_cdr_spool_get_stats(sp)->syncs, 2);
	iw_cdr_spool_close(sp);
	iw_cdr_spool_datasync = fdatasync;
	/* the sequence lived on in the mark */
	expect_replay(0, 0);
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->last_seq, 3);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "d,4\n", 4), 0);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 4, &end), 1);
	ck_assert_uint_eq(rec[0].seq, 4);
	iw_cdr_spool_close(sp);
	rm_tmp();
}
END_TEST

/* A disk slower than the batches: every commit drains the spool, and the
 * next record comes before a sync of its mark is done, so the cut never
 * has its sync; the file is cut anyway at 1 MiB (before: it grew without
 * end, compaction being only for a spool not drained). */
START_TEST(test_spool_slow_disk_bounded)
{
	struct iw_cdr_spool *sp;
	struct iw_cdr_spool_rec rec[1];
	char line[300];
	uint64_t end;
	off_t biggest = 0;

	mkdir_tmp();
	iw_cdr_spool_datasync = slow_datasync;
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_ptr_nonnull(sp);
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 5000; i++) {
		ck_assert_int_eq(iw_cdr_spool_append(sp, line, sizeof(line)), 0);
		ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 1, &end), 1);
		ck_assert_int_eq(iw_cdr_spool_commit(sp, end, 1, rec[0].seq), 0);
		if (fsize(path) > biggest)
			biggest = fsize(path);
	}
	ck_assert_int_le(biggest, (1 << 20) + 2 * (off_t)sizeof(line));
	ck_assert_uint_ge(iw_cdr_spool_get_stats(sp)->compactions, 1);
	wait_sync(sp);
	iw_cdr_spool_close(sp);
	/* nothing to replay, the sequence at least where it was cut */
	expect_replay(0, 0);
	iw_cdr_spool_datasync = fdatasync;
	rm_tmp();
}
END_TEST

/* A failing disk: no cut on a failed sync, one log line and the count,
 * the next try a second later (not one per call), the mark written again
 * before it; cut once a sync succeeds. */
START_TEST(test_spool_sync_fails)
{
	struct iw_cdr_spool *sp;
	struct iw_cdr_spool_rec rec[1];
	uint64_t end;

	mkdir_tmp();
	iw_cdr_spool_datasync = failing_datasync;
	atomic_store(&disk_fails, true);
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_ptr_nonnull(sp);
	ck_assert_int_eq(iw_cdr_spool_append(sp, "a,1\n", 4), 0);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 1, &end), 1);
	ck_assert_int_eq(iw_cdr_spool_commit(sp, end, 1, 1), 0);
	wait_sync(sp);
	iw_cdr_spool_poll(sp);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->write_errors, 1);
	ck_assert(iw_cdr_spool_cut_pending(sp));
	ck_assert(!iw_cdr_spool_syncing(sp)); /* not again at once */
	ck_assert_int_eq(iw_cdr_spool_sync(sp), -EAGAIN);
	ck_assert_int_eq(fsize(path), 6);
	atomic_store(&disk_fails, false);
	usleep(1050000);
	iw_cdr_spool_poll(sp); /* a second on: the sync again */
	wait_sync(sp);
	iw_cdr_spool_poll(sp);
	ck_assert(!iw_cdr_spool_cut_pending(sp));
	ck_assert_int_eq(fsize(path), 0);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->write_errors, 1);
	ck_assert_uint_ge(iw_cdr_spool_get_stats(sp)->syncs, 1);
	iw_cdr_spool_close(sp);
	iw_cdr_spool_datasync = fdatasync;
	rm_tmp();
}
END_TEST

/* a disk whose syncs wait while the gate is shut (at most 5 s): a
 * compaction or a sync held for as long as a test needs, whatever the
 * machine's load; the thread and the directories counted as above */
static atomic_bool gate_shut;

static int gated_datasync(int fd)
{
	struct stat sb;

	if (pthread_equal(pthread_self(), test_thread))
		atomic_store(&on_test_thread, true);
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode))
		atomic_fetch_add(&dir_syncs, 1);
	for (int i = 0; i < 500 && atomic_load(&gate_shut); i++)
		usleep(10000);
	return fdatasync(fd);
}

static void gate_start(bool shut)
{
	mkdir_tmp();
	test_thread = pthread_self();
	atomic_store(&on_test_thread, false);
	atomic_store(&dir_syncs, 0);
	atomic_store(&gate_shut, shut);
	iw_cdr_spool_datasync = gated_datasync;
}

/* n records committed, batch at a time; the longest a commit held */
static uint64_t commit_batches(struct iw_cdr_spool *sp, unsigned n, unsigned batch)
{
	struct iw_cdr_spool_rec rec[500];
	uint64_t end, t0, held = 0;
	int k;

	ck_assert_uint_le(batch, 500);
	for (unsigned done = 0; done < n; done += (unsigned)k) {
		k = iw_cdr_spool_peek(sp, rec, n - done < batch ? n - done : batch, &end);
		ck_assert_int_gt(k, 0);
		t0 = now_ms();
		ck_assert_int_eq(iw_cdr_spool_commit(sp, end, (unsigned)k, rec[k - 1].seq), 0);
		held = now_ms() - t0 > held ? now_ms() - t0 : held;
	}
	return held;
}

/* The unsent tail moves to a new file on a thread of its own, its sync
 * held: the commit that starts it does not wait; no sync starts while it
 * copies; a batch read before the new file took over is committed after
 * it; the next append takes it over; the next sync syncs the directory;
 * the backlog and its order survive a reopen. (Before: copied and synced
 * on the caller's thread, inside the commit.) */
START_TEST(test_spool_compact)
{
	struct iw_cdr_spool *sp;
	struct iw_cdr_spool_rec rec[500];
	uint64_t end, seq, rec_len = 5 + REC_BYTES; /* "3501\t" .. "5011\t", the record */
	int n;

	size_t blocks = talloc_total_blocks(unit_ctx);

	gate_start(true);
	sp = iw_cdr_spool_open(unit_ctx, path);
	fill(sp, 5000, 'x');
	/* 3,500 committed (1.07 MB, the 1,500 behind it 0.46 MB): the last
	 * commit starts the compaction (held: it would wait for the gate) */
	ck_assert_uint_lt(commit_batches(sp, 3500, 500), 1000);
	ck_assert(iw_cdr_spool_compacting(sp));
	ck_assert_int_eq(iw_cdr_spool_sync(sp), -EBUSY);
	/* a batch read while it copies, and records appended meanwhile */
	n = iw_cdr_spool_peek(sp, rec, 500, &end);
	ck_assert_int_eq(n, 500);
	ck_assert_uint_eq(rec[0].seq, 3501);
	seq = rec[n - 1].seq;
	fill(sp, 10, 'x');
	ck_assert(iw_cdr_spool_compacting(sp));
	atomic_store(&gate_shut, false);
	wait_compact(sp);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->compactions, 0);
	fill(sp, 1, 'x'); /* taken over first: the copy and the 10 after it */
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->compactions, 1);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->compact_copied, 1510 * rec_len);
	ck_assert_int_eq(fsize(path), (off_t)(1511 * rec_len));
	ck_assert_int_eq(iw_cdr_spool_commit(sp, end, (unsigned)n, seq), 0);
	n = iw_cdr_spool_peek(sp, rec, 500, &end);
	ck_assert_int_eq(n, 500);
	ck_assert_uint_eq(rec[0].seq, 4001);
	ck_assert_int_eq(iw_cdr_spool_commit(sp, end, (unsigned)n, rec[n - 1].seq), 0);
	/* the next sync: the mark, the new file, the directory */
	ck_assert_int_eq(atomic_load(&dir_syncs), 0);
	ck_assert_int_eq(iw_cdr_spool_sync(sp), 0);
	wait_sync(sp);
	ck_assert_int_eq(atomic_load(&dir_syncs), 1);
	ck_assert(!atomic_load(&on_test_thread));
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->write_errors, 0);
	iw_cdr_spool_close(sp);
	ck_assert_uint_eq(talloc_total_blocks(unit_ctx), blocks); /* nothing left behind */
	iw_cdr_spool_datasync = fdatasync;
	expect_replay(511, 4501);
	rm_tmp();
}
END_TEST

/* No compaction beside a sync (what the sync covered of the old file
 * after the copy's end would be in the new one unsynced): it starts at a
 * commit after the sync. A rename no sync has covered yet: the close
 * syncs the directory. */
START_TEST(test_spool_compact_beside_sync)
{
	struct iw_cdr_spool *sp;

	gate_start(false);
	sp = iw_cdr_spool_open(unit_ctx, path);
	fill(sp, 5000, 'x');
	commit_batches(sp, 3000, 500); /* 0.9 MB: none yet */
	atomic_store(&gate_shut, true);
	ck_assert_int_eq(iw_cdr_spool_sync(sp), 0);
	commit_batches(sp, 500, 500);
	ck_assert(iw_cdr_spool_syncing(sp));
	ck_assert(!iw_cdr_spool_compacting(sp));
	atomic_store(&gate_shut, false);
	wait_sync(sp);
	commit_batches(sp, 100, 100);
	wait_compact(sp);
	iw_cdr_spool_poll(sp);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->compactions, 1);
	ck_assert_int_eq(atomic_load(&dir_syncs), 0);
	iw_cdr_spool_close(sp);
	ck_assert_int_eq(atomic_load(&dir_syncs), 1);
	iw_cdr_spool_datasync = fdatasync;
	expect_replay(1400, 3601);
	rm_tmp();
}
END_TEST

/* The file drains while a compaction copies: the cut waits for it, the
 * compaction is dropped (its file removed), then the cut comes. */
START_TEST(test_spool_compact_drained_meanwhile)
{
	struct iw_cdr_spool *sp;
	char tp[160];

	gate_start(true);
	snprintf(tp, sizeof(tp), "%s.tmp", path);
	sp = iw_cdr_spool_open(unit_ctx, path);
	fill(sp, 5000, 'x');
	commit_batches(sp, 3500, 500);
	ck_assert(iw_cdr_spool_compacting(sp));
	commit_batches(sp, 1500, 500);
	ck_assert(iw_cdr_spool_cut_pending(sp));
	iw_cdr_spool_poll(sp);
	ck_assert(iw_cdr_spool_cut_pending(sp));
	ck_assert_int_gt(fsize(path), 1 << 20);
	atomic_store(&gate_shut, false);
	wait_compact(sp);
	for (int i = 0; i < 500 && iw_cdr_spool_cut_pending(sp); i++) {
		iw_cdr_spool_poll(sp);
		usleep(10000);
	}
	ck_assert(!iw_cdr_spool_cut_pending(sp));
	ck_assert_int_eq(fsize(path), 0);
	ck_assert_int_eq(fsize(tp), -1);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->compact_copied, 0);
	iw_cdr_spool_close(sp);
	iw_cdr_spool_datasync = fdatasync;
	expect_replay(0, 0);
	rm_tmp();
}
END_TEST

/* A compaction whose new file cannot be synced: dropped (its file
 * removed), counted, the old file kept whole; not tried again at once. */
START_TEST(test_spool_compact_fails)
{
	struct iw_cdr_spool *sp;
	struct iw_cdr_spool_rec rec[500];
	char tp[160];
	uint64_t end;
	unsigned done = 0;
	off_t before;
	int n;

	mkdir_tmp();
	snprintf(tp, sizeof(tp), "%s.tmp", path);
	atomic_store(&disk_fails, true);
	iw_cdr_spool_datasync = failing_datasync;
	sp = iw_cdr_spool_open(unit_ctx, path);
	fill(sp, 5000, 'z');
	before = fsize(path);
	while (done < 3500) {
		n = iw_cdr_spool_peek(sp, rec, 500, &end);
		ck_assert_int_eq(iw_cdr_spool_commit(sp, end, (unsigned)n, rec[n - 1].seq), 0);
		done += (unsigned)n;
	}
	wait_compact(sp);
	iw_cdr_spool_poll(sp);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->compactions, 0);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->write_errors, 1);
	ck_assert_int_eq(fsize(tp), -1);
	ck_assert_int_eq(fsize(path), before);
	/* the next commit does not start another within the retry time */
	n = iw_cdr_spool_peek(sp, rec, 500, &end);
	ck_assert_int_eq(iw_cdr_spool_commit(sp, end, (unsigned)n, rec[n - 1].seq), 0);
	ck_assert(!iw_cdr_spool_compacting(sp));
	ck_assert_int_eq(fsize(tp), -1);
	atomic_store(&disk_fails, false);
	iw_cdr_spool_datasync = fdatasync;
	iw_cdr_spool_close(sp);
	expect_replay(1000, 4001);
	rm_tmp();
}
END_TEST

/* A replay after a long outage: 6 MB of backlog committed 200 records at
 * a time. Each compaction is paid for by as many bytes committed: the
 * copies add up to less than the backlog (before: the tail was copied at
 * each MiB committed, 14 MB here, about 245 GB for a 700 MB backlog). */
START_TEST(test_spool_compact_amortized)
{
	struct iw_cdr_spool *sp;
	struct iw_cdr_spool_rec rec[200];
	uint64_t end, total;
	int n;

	mkdir_tmp();
	sp = iw_cdr_spool_open(unit_ctx, path);
	fill(sp, 20000, 'y');
	total = (uint64_t)fsize(path);
	for (unsigned done = 0; done < 19800; done += 200) {
		n = iw_cdr_spool_peek(sp, rec, 200, &end);
		ck_assert_int_eq(n, 200);
		ck_assert_uint_eq(rec[0].seq, done + 1);
		ck_assert_int_eq(iw_cdr_spool_commit(sp, end, 200, rec[n - 1].seq), 0);
		wait_compact(sp); /* the database is slower than a copy */
	}
	ck_assert_uint_ge(iw_cdr_spool_get_stats(sp)->compactions, 2);
	ck_assert_uint_le(iw_cdr_spool_get_stats(sp)->compact_copied, total);
	ck_assert_int_lt(fsize(path), 1 << 21);
	iw_cdr_spool_close(sp);
	expect_replay(200, 19801);
	rm_tmp();
}
END_TEST

/* What a power loss right after a compaction may leave: the new file's
 * name with the old file's mark, or the old name with the new mark. The
 * old file has records 1-10 (8 bytes each), 1-3 were committed when the
 * copy began (the new file: 4-10), 1-6 are committed now. Neither replays
 * from past record 7. */
START_TEST(test_spool_compact_power_loss)
{
	char dp[160], recs[128] = "";

	mkdir_tmp();
	for (int i = 1; i <= 10; i++)
		snprintf(recs + strlen(recs), sizeof(recs) - strlen(recs), "%02d\tr,%02d\n", i, i);
	ck_assert_uint_eq(strlen(recs), 80);
	snprintf(dp, sizeof(dp), "%s.done", path);
	/* the new file's name, the old mark (record 7 at 48 in the old one) */
	put_file(path, recs + 24, 56);
	put_file(dp, "48 6\n", 5);
	expect_replay(4, 7);
	/* the old file's name, the new mark (record 7 at 24 in the new one) */
	put_file(path, recs, 80);
	put_file(dp, "24 6\n", 5);
	expect_replay(7, 4);
	rm_tmp();
}
END_TEST

/* A mark synced before the drained file was cut, and new records written
 * over its offset (the cut and the records reached the disk, the mark's
 * move back to 0 did not): the offset falls on a record's start, but the
 * records before it are newer than the mark: they are replayed, not
 * skipped (before: the first was lost). */
START_TEST(test_spool_recover_by_seq)
{
	char dp[160];

	mkdir_tmp();
	put_file(path, "3\tc,3\n4\td,4\n", 12);
	snprintf(dp, sizeof(dp), "%s.done", path);
	put_file(dp, "6 2\n", 4);
	expect_replay(2, 3);
	/* the mark right: the offset is kept */
	put_file(dp, "6 3\n", 4);
	expect_replay(1, 4);
	rm_tmp();
}
END_TEST

Suite *iw_cdr_spool_suite(void)
{
	Suite *s = suite_create("iw_cdr_spool");
	TCase *tc = unit_tcase("cdr_spool");

	tcase_add_test(tc, test_csv_roundtrip);
	tcase_add_test(tc, test_csv_malformed);
	tcase_add_test(tc, test_spool_cycle);
	tcase_add_test(tc, test_spool_torn_and_bad_mark);
	tcase_add_test(tc, test_spool_sync_off_thread);
	tcase_add_test(tc, test_spool_recover_by_seq);
	tcase_add_test(tc, test_spool_slow_disk_bounded);
	tcase_add_test(tc, test_spool_sync_fails);
	tcase_add_test(tc, test_spool_compact);
	tcase_add_test(tc, test_spool_compact_amortized);
	tcase_add_test(tc, test_spool_compact_beside_sync);
	tcase_add_test(tc, test_spool_compact_drained_meanwhile);
	tcase_add_test(tc, test_spool_compact_fails);
	tcase_add_test(tc, test_spool_compact_power_loss);
	suite_add_tcase(s, tc);
	return s;
}
