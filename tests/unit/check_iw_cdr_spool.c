/* interwork/iw_cdr_spool: the CSV record splitter (RFC 4180, the inverse
 * of the CDR encoder), and the spool: append, read back, commit, reopen
 * (backlog and sequence carried over), a torn last record cut, a done
 * mark inside a record set back (replay all), compaction. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interwork/iw_cdr.h"
#include "interwork/iw_cdr_spool.h"
#include "tests/unit/unit.h"

static char dir[64];
static char path[128];

static void mkdir_tmp(void)
{
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
	/* drained: the file is cut, the sequence goes on */
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

START_TEST(test_spool_compact)
{
	struct iw_cdr_spool *sp;
	struct iw_cdr_spool_rec rec[500];
	char line[300];
	uint64_t end, seq = 0;
	unsigned done = 0;
	int n;

	mkdir_tmp();
	sp = iw_cdr_spool_open(unit_ctx, path);
	memset(line, 'x', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	for (int i = 0; i < 5000; i++)
		ck_assert_int_eq(iw_cdr_spool_append(sp, line, sizeof(line)), 0);
	/* 4500 committed in batches of 500: past 1 MiB the tail moves */
	while (done < 4500) {
		n = iw_cdr_spool_peek(sp, rec, 500, &end);
		ck_assert_int_eq(n, 500);
		seq = rec[n - 1].seq;
		ck_assert_int_eq(iw_cdr_spool_commit(sp, end, (unsigned)n, seq), 0);
		done += (unsigned)n;
	}
	ck_assert_uint_ge(iw_cdr_spool_get_stats(sp)->compactions, 1);
	ck_assert_int_lt(fsize(path), 1 << 20);
	iw_cdr_spool_close(sp);
	sp = iw_cdr_spool_open(unit_ctx, path);
	ck_assert_uint_eq(iw_cdr_spool_get_stats(sp)->backlog, 500);
	ck_assert_int_eq(iw_cdr_spool_peek(sp, rec, 1, &end), 1);
	ck_assert_uint_eq(rec[0].seq, 4501);
	iw_cdr_spool_close(sp);
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
	tcase_add_test(tc, test_spool_compact);
	suite_add_tcase(s, tc);
	return s;
}
