/* interwork/iw_cause: RFC 3398 cause tables and the Reason header. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "interwork/iw_cause.h"
#include "sip/sip_msg.h"
#include "tests/unit/unit.h"

/* Rows of a vector file: up to three whitespace-separated fields before
 * an optional comment; continuation comment lines start with a tab. */
static int read_rows(const char *rel, char rows[][3][16], int max)
{
	FILE *f = fopen(unit_vector_path(rel), "r");
	char line[256];
	int n = 0;

	ck_assert_msg(f != NULL, "cannot open %s", rel);
	while (fgets(line, sizeof(line), f)) {
		char *h = strchr(line, '#');
		int k;

		if (h)
			*h = 0;
		memset(rows[n], 0, sizeof(rows[n]));
		k = sscanf(line, "%15s %15s %15s", rows[n][0], rows[n][1], rows[n][2]);
		if (k <= 0)
			continue;
		ck_assert_int_lt(n, max);
		n++;
	}
	fclose(f);
	return n;
}

START_TEST(test_isup2sip_vectors)
{
	static char rows[256][3][16];
	int n = read_rows("interwork/rfc3398_isup2sip.txt", rows, 256);

	ck_assert_int_ge(n, 40);
	for (int i = 0; i < n; i++) {
		int cause = atoi(rows[i][0]), want = atoi(rows[i][2]);
		int got;

		/* "none": no response in the RFC table; the call code answers an
		 * INVITE it still holds with 480 (see the vector file) */
		if (!strcmp(rows[i][2], "none"))
			want = 480;
		got = !strcmp(rows[i][1], "user")
			      ? iw_cause_isup_to_sip_loc((uint8_t)cause, ISUP_LOC_USER)
			      : iw_cause_isup_to_sip((uint8_t)cause);

		ck_assert_msg(got == want, "cause %d (%s): got %d, want %d", cause, rows[i][1], got,
			      want);
		/* Not at location user, the location variant agrees. */
		if (strcmp(rows[i][1], "user"))
			ck_assert_int_eq(iw_cause_isup_to_sip_loc((uint8_t)cause, 4), want);
	}
}
END_TEST

START_TEST(test_sip2isup_vectors)
{
	static char rows[256][3][16];
	int n = read_rows("interwork/rfc3398_sip2isup.txt", rows, 256);

	ck_assert_int_ge(n, 40);
	for (int i = 0; i < n; i++) {
		int status = atoi(rows[i][0]), want = atoi(rows[i][1]);

		ck_assert_msg(iw_cause_sip_to_isup(status) == want, "status %d: got %u, want %d",
			      status, iw_cause_sip_to_isup(status), want);
	}
}
END_TEST

START_TEST(test_ranges)
{
	ck_assert_int_eq(iw_cause_isup_to_sip(0), -EINVAL);
	ck_assert_int_eq(iw_cause_isup_to_sip(128), -EINVAL);
	ck_assert_int_eq(iw_cause_isup_to_sip(255), -EINVAL);
	for (int c = 1; c <= 127; c++) {
		int s = iw_cause_isup_to_sip((uint8_t)c);

		ck_assert_msg(s >= 400 && s <= 699, "cause %d -> %d", c, s);
	}
	/* Only cause 21 depends on the location. */
	for (int c = 1; c <= 127; c++)
		if (c != 21)
			ck_assert_int_eq(iw_cause_isup_to_sip_loc((uint8_t)c, 0),
					 iw_cause_isup_to_sip((uint8_t)c));
	for (int s = -1; s < 1000; s++) {
		uint8_t c = iw_cause_sip_to_isup(s);

		if (s < 300 || s > 699)
			ck_assert_uint_eq(c, 0);
		else
			ck_assert_msg(c >= 1 && c <= 127, "status %d -> %u", s, c);
	}
	ck_assert_uint_eq(iw_cause_sip_location(603), ISUP_LOC_USER);
	ck_assert_uint_eq(iw_cause_sip_location(486), ISUP_LOC_BEYOND_INTERWORKING);
	ck_assert_uint_eq(iw_cause_sip_location(503), ISUP_LOC_BEYOND_INTERWORKING);
}
END_TEST

START_TEST(test_text)
{
	ck_assert_str_eq(iw_cause_text(16), "Normal call clearing");
	ck_assert_str_eq(iw_cause_text(17), "User busy");
	ck_assert_str_eq(iw_cause_text(127), "Interworking, unspecified");
	ck_assert_ptr_null(iw_cause_text(0));
	ck_assert_ptr_null(iw_cause_text(12));
	ck_assert_ptr_null(iw_cause_text(128));
	/* Every name fits a quoted-string as it is (no '"' or '\\'). */
	for (int c = 0; c < 256; c++) {
		const char *t = iw_cause_text((uint8_t)c);

		if (t)
			ck_assert_ptr_null(strpbrk(t, "\"\\\r\n"));
	}
}
END_TEST

START_TEST(test_reason_format)
{
	char buf[256];
	const char *want = "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n";
	int n = iw_reason_format(buf, sizeof(buf), 16);

	ck_assert_int_eq(n, (int)strlen(want));
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(iw_reason_format(buf, sizeof(buf), 12),
			 (int)strlen("Reason: Q.850;cause=12\r\n"));
	ck_assert_str_eq(buf, "Reason: Q.850;cause=12\r\n");
	ck_assert_int_eq(iw_reason_format(buf, sizeof(buf), 128), -EINVAL);
	/* Every size short of the line (and its NUL) is refused. */
	for (size_t sz = 0; sz <= strlen(want); sz++)
		ck_assert_int_eq(iw_reason_format(buf, sz, 16), -ENOSPC);
	ck_assert_int_eq(iw_reason_format(buf, strlen(want) + 1, 16), (int)strlen(want));
}
END_TEST

/* Every cause written is read back, from an exact-size heap copy so that
 * an over-read shows under ASan. */
START_TEST(test_reason_round_trip)
{
	for (int c = 0; c <= 127; c++) {
		char buf[256], *copy;
		uint8_t got = 0xff;
		int n = iw_reason_format(buf, sizeof(buf), (uint8_t)c);

		ck_assert_int_gt(n, 0);
		copy = malloc((size_t)n);
		memcpy(copy, buf, (size_t)n);
		ck_assert_int_eq(iw_reason_parse(copy, (size_t)n, &got), 0);
		ck_assert_uint_eq(got, c);
		/* every truncation is handled without reading past it */
		for (int k = 0; k < n; k++)
			(void)iw_reason_parse(copy, (size_t)k, &got);
		free(copy);
	}
}
END_TEST

static const struct {
	const char *in;
	int rc;
	uint8_t cause;
} parse_cases[] = {
	{"Q.850;cause=16;text=\"Normal call clearing\"", 0, 16},
	{"Reason: Q.850;cause=17", 0, 17},
	{"q.850 ; CAUSE = 34 ; text=\"x\"", 0, 34},
	{"SIP;cause=200;text=\"Call completed elsewhere\"", -ENOENT, 0},
	{"SIP;cause=600;text=\"Busy, everywhere\", Q.850;cause=17", 0, 17},
	{"SIP ;cause=480 ,\r\n Q.850 ;cause=19", 0, 19},
	{"Q.850;text=\"a;cause=3\";cause=41", 0, 41},
	{"Q.850;cause=21, Q.850;cause=17", 0, 21},
	{"Q.850;cause=007", 0, 7},
	{"Q.850;cause=127", 0, 127},
	{"Q.850;cause=128", -EBADMSG, 0},
	{"Q.850;cause=99999999999999999999", -EBADMSG, 0},
	{"Q.850;cause=", -EBADMSG, 0},
	{"Q.850;cause=1x", -EBADMSG, 0},
	{"Q.850;text=\"no cause\"", -EBADMSG, 0},
	{"Q.850", -EBADMSG, 0},
	{"SIP;text=\"unterminated", -EBADMSG, 0},
	{"preemption;cause=1;text=\"UA Preemption\"", -ENOENT, 0},
	{"", -ENOENT, 0},
	{"   ", -ENOENT, 0},
	{"Q.850;;cause=16", -EBADMSG, 0},
	{"@@@", -EBADMSG, 0},
	{"X;host=[2001:db8::1], Q.850;cause=31", 0, 31},
};

START_TEST(test_reason_parse)
{
	const char *in = parse_cases[_i].in;
	size_t n = strlen(in);
	char *copy = malloc(n ? n : 1);
	uint8_t c = 0xee;
	int rc;

	memcpy(copy, in, n);
	rc = iw_reason_parse(copy, n, &c);
	ck_assert_msg(rc == parse_cases[_i].rc, "'%s': rc %d, want %d", in, rc, parse_cases[_i].rc);
	if (rc == 0)
		ck_assert_uint_eq(c, parse_cases[_i].cause);
	else
		ck_assert_uint_eq(c, 0xee); /* untouched on failure */
	free(copy);
}
END_TEST

START_TEST(test_reason_wins)
{
	const char *r = "Q.850;cause=34;text=\"No circuit/channel available\"";

	/* RFC 3398 / Q.1912.5: the Q.850 cause in Reason, not the status. */
	ck_assert_uint_eq(iw_cause_from_response(486, r, strlen(r)), 34);
	ck_assert_uint_eq(iw_cause_from_response(486, NULL, 0), 17);
	ck_assert_uint_eq(iw_cause_from_response(486, "SIP;cause=486", 13), 17);
	ck_assert_uint_eq(iw_cause_from_response(404, "Q.850;cause=200", 15), 1);
	/* cause 0 is no cause: the status decides */
	ck_assert_uint_eq(iw_cause_from_response(503, "Q.850;cause=0", 13), 41);
}
END_TEST

/* An empty map, and a map loaded from an empty text, give the RFC 3398
 * tables for every value (with 16 as "no response"). */
START_TEST(test_map_default)
{
	struct iw_cause_map m;
	char err[128];

	iw_cause_map_init(&m);
	ck_assert_int_eq(iw_cause_map_parse(&m, "# nothing\n\n   \t\n", 16, "t", err, sizeof(err)),
			 0);
	ck_assert_uint_eq(m.entries, 0);
	for (int c = 1; c <= 127; c++) {
		int want = c == 16 ? 0 : iw_cause_isup_to_sip((uint8_t)c);

		ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, (uint8_t)c, 4), want);
		ck_assert_int_eq(iw_cause_map_isup_to_sip(NULL, (uint8_t)c, 4), want);
	}
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 21, ISUP_LOC_USER), 603);
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 0, 4), -EINVAL);
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 128, 4), -EINVAL);
	for (int st = 250; st <= 750; st++)
		ck_assert_uint_eq(iw_cause_map_sip_to_isup(&m, st), iw_cause_sip_to_isup(st));
}
END_TEST

START_TEST(test_map_overrides)
{
	static const char t[] = "# operator table\n"
				"isup2sip 17 600   # busy everywhere\n"
				"isup2sip\t16\t-\n"
				"isup2sip 31 -\r\n"
				"isup2sip 21 486\n"
				"  sip2isup 486 34\n"
				"sip2isup 699 127\n"
				"sip2isup 300 1"; /* no newline at the end */
	struct iw_cause_map m;
	char err[128];

	iw_cause_map_init(&m);
	ck_assert_int_eq(iw_cause_map_parse(&m, t, sizeof(t) - 1, "t", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(m.entries, 7);
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 17, 4), 600);
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 16, 4), 0);
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 31, 4), 0);
	/* the override holds at location user too (no 603) */
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 21, ISUP_LOC_USER), 486);
	/* the rest stays RFC 3398 */
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 18, 4), 408);
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 1, 4), 404);
	ck_assert_uint_eq(iw_cause_map_sip_to_isup(&m, 486), 34);
	ck_assert_uint_eq(iw_cause_map_sip_to_isup(&m, 699), 127);
	ck_assert_uint_eq(iw_cause_map_sip_to_isup(&m, 300), 1);
	ck_assert_uint_eq(iw_cause_map_sip_to_isup(&m, 404), 1);
	ck_assert_uint_eq(iw_cause_map_sip_to_isup(&m, 600), 17);
	ck_assert_uint_eq(iw_cause_map_sip_to_isup(&m, 200), 0);
	/* a Q.850 Reason still wins over the table */
	ck_assert_uint_eq(iw_cause_map_from_response(&m, 486, "Q.850;cause=17", 14), 17);
	ck_assert_uint_eq(iw_cause_map_from_response(&m, 486, NULL, 0), 34);
	/* a second text on top: later entries win, counted once */
	ck_assert_int_eq(iw_cause_map_parse(&m, "isup2sip 17 486\n", 16, "u", err, sizeof(err)), 0);
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 17, 4), 486);
	ck_assert_uint_eq(m.entries, 7);
	/* the defaults themselves are untouched by a map */
	ck_assert_int_eq(iw_cause_isup_to_sip(17), 486);
	ck_assert_uint_eq(iw_cause_sip_to_isup(486), 17);
}
END_TEST

static const struct {
	const char *text;
	const char *err; /* the whole message */
} bad_tables[] = {
	{"isup2sip 17\n", "f:1: want 3 fields (isup2sip CAUSE STATUS|- or sip2isup STATUS CAUSE), "
			  "found 2"},
	{"\n\nisup2sip 17 486 x\n", "f:3: want 3 fields (isup2sip CAUSE STATUS|- or sip2isup "
				    "STATUS CAUSE), found more than 3"},
	{"isup2sip 17 486 # ok\nisup2sip 0 486\n", "f:2: ISUP cause '0' is not a number in 1..127"},
	{"isup2sip 128 486\n", "f:1: ISUP cause '128' is not a number in 1..127"},
	{"isup2sip +17 486\n", "f:1: ISUP cause '+17' is not a number in 1..127"},
	{"isup2sip 0017 486\n", "f:1: ISUP cause '0017' is not a number in 1..127"},
	{"isup2sip 17 200\n", "f:1: SIP status '200' is not a number in 300..699 or '-' (no "
			      "response)"},
	{"isup2sip 17 486x\n", "f:1: SIP status '486x' is not a number in 300..699 or '-' (no "
			       "response)"},
	{"isup2sip 17 --\n", "f:1: SIP status '--' is not a number in 300..699 or '-' (no "
			     "response)"},
	{"sip2isup 486 -\n", "f:1: ISUP cause '-' is not a number in 1..127"},
	{"sip2isup 700 17\n", "f:1: SIP status '700' is not a number in 300..699"},
	{"sip2isup 486 128\n", "f:1: ISUP cause '128' is not a number in 1..127"},
	{"isup2sip 17 486\r\nsip2isup 486 17\nisup2sip 17 600\n",
	 "f:3: isup2sip 17 given twice (first on line 1)"},
	{"sip2isup 486 17\nsip2isup 486 17\n", "f:2: sip2isup 486 given twice (first on line 1)"},
	{"ISUP2SIP 17 486\n", "f:1: unknown direction 'ISUP2SIP' (isup2sip or sip2isup)"},
	{"isup2sip17 486 1\n", "f:1: unknown direction 'isup2sip17' (isup2sip or sip2isup)"},
	{"isup2sip 1\0 486\n", "f:1: NUL byte in the line"},
	{"# x\nisup2sip 17 4861234567890123456789012345678901234567890\n",
	 "f:2: SIP status '48612345678901234567890123456789' is not a number in 300..699 or '-' "
	 "(no response)"},
};

START_TEST(test_map_bad)
{
	struct iw_cause_map m;
	char err[160];
	/* the NUL case has its length from the array, not strlen */
	size_t len = strlen(bad_tables[_i].text);

	if (strstr(bad_tables[_i].err, "NUL"))
		len = 17;
	iw_cause_map_init(&m);
	ck_assert_int_eq(iw_cause_map_parse(&m, bad_tables[_i].text, len, "f", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, bad_tables[_i].err);
	/* a short buffer gets a truncated, terminated message */
	iw_cause_map_init(&m);
	ck_assert_int_eq(iw_cause_map_parse(&m, bad_tables[_i].text, len, "f", err, 6), -EINVAL);
	ck_assert_uint_eq(strlen(err), 5);
	ck_assert_int_eq(iw_cause_map_parse(&m, bad_tables[_i].text, len, "f", NULL, 0), -EINVAL);
}
END_TEST

START_TEST(test_map_load)
{
	char path[] = "/tmp/check_iw_cause_XXXXXX";
	struct iw_cause_map m;
	char err[256];
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs("isup2sip 17 600\nsip2isup 486 34\n", f);
	fclose(f);
	ck_assert_int_eq(iw_cause_map_load(&m, path, err, sizeof(err)), 0);
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 17, 4), 600);
	ck_assert_uint_eq(iw_cause_map_sip_to_isup(&m, 486), 34);

	/* a bad line: the message names the file, the map is left default */
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("isup2sip 17 600\nsip2isup 486\n", f);
	fclose(f);
	ck_assert_int_eq(iw_cause_map_load(&m, path, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_ptr_nonnull(strstr(err, ":2: want 3 fields"));
	ck_assert_uint_eq(m.entries, 0);
	ck_assert_int_eq(iw_cause_map_isup_to_sip(&m, 17, 4), 486);
	unlink(path);

	ck_assert_int_eq(iw_cause_map_load(&m, path, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ck_assert_int_eq(iw_cause_map_load(&m, "/", err, sizeof(err)), -EISDIR);
}
END_TEST

/* A SIP message of the row's kind carrying the Reason header lines given
 * (NULL: none), parsed. */
static struct sip_msg *reason_msg(char *buf, size_t size, bool bye, int status,
				  const char *const *reasons)
{
	struct sip_msg *m = calloc(1, sizeof(*m));
	int n;

	ck_assert_ptr_nonnull(m);
	if (bye)
		n = snprintf(buf, size, "BYE sip:a@192.0.2.1 SIP/2.0\r\n");
	else
		n = snprintf(buf, size, "SIP/2.0 %d Failure\r\n", status);
	n += snprintf(buf + n, size - (size_t)n,
		      "Via: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bK1\r\n"
		      "From: <sip:b@192.0.2.2>;tag=1\r\nTo: <sip:a@192.0.2.1>;tag=2\r\n"
		      "Call-ID: r1\r\nCSeq: 2 %s\r\n",
		      bye ? "BYE" : "INVITE");
	for (unsigned i = 0; reasons && reasons[i]; i++)
		n += snprintf(buf + n, size - (size_t)n, "Reason: %s\r\n", reasons[i]);
	n += snprintf(buf + n, size - (size_t)n, "Content-Length: 0\r\n\r\n");
	ck_assert_int_lt(n, (int)size);
	ck_assert_int_eq(sip_msg_parse(m, buf, (size_t)n, NULL), 0);
	return m;
}

/* tests/vectors/interwork/reason_release.txt: the same decision from the
 * text (what `tandem-tool cause` calls) and from a parsed message (what
 * tandemd calls), for responses and BYE. */
START_TEST(test_reason_release_vectors)
{
	FILE *f = fopen(unit_vector_path("interwork/reason_release.txt"), "r");
	char line[512], buf[1024];
	int rows = 0, zero_rows = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		char *kind, *st, *reason, *cause, *save;
		const char *rv[2] = {NULL, NULL};
		struct sip_msg *m;
		uint8_t want, got;
		bool bye;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = 0;
		kind = strtok_r(line, "\t", &save);
		st = strtok_r(NULL, "\t", &save);
		reason = strtok_r(NULL, "\t", &save);
		cause = strtok_r(NULL, "\t", &save);
		ck_assert_msg(kind && st && reason && cause, "bad row %d", rows + 1);
		bye = !strcmp(kind, "bye");
		want = (uint8_t)atoi(cause);
		if (strcmp(reason, "-"))
			rv[0] = reason;
		if (strstr(reason, "cause=0"))
			zero_rows++;
		if (bye)
			got = iw_cause_from_bye(rv[0], rv[0] ? strlen(rv[0]) : 0);
		else
			got = iw_cause_map_from_response(NULL, atoi(st), rv[0],
							 rv[0] ? strlen(rv[0]) : 0);
		ck_assert_msg(got == want, "%s %s '%s' (text): got %u, want %u", kind, st, reason,
			      got, want);
		m = reason_msg(buf, sizeof(buf), bye, bye ? 0 : atoi(st), rv[0] ? rv : NULL);
		got = bye ? iw_cause_from_bye_msg(m) : iw_cause_map_from_msg(NULL, atoi(st), m);
		ck_assert_msg(got == want, "%s %s '%s' (message): got %u, want %u", kind, st,
			      reason, got, want);
		free(m);
		rows++;
	}
	fclose(f);
	ck_assert_int_ge(rows, 15);
	ck_assert_int_ge(zero_rows, 3); /* the "cause=0" disagreement stays covered */
}
END_TEST

/* Several Reason header lines: the first line holding a Q.850 value
 * decides, as the first Q.850 value within one line does. */
START_TEST(test_reason_msg_lines)
{
	static const char *const a[] = {"SIP;cause=486", "Q.850;cause=34", NULL};
	static const char *const b[] = {"Q.850;cause=0", "Q.850;cause=34", NULL};
	static const char *const c[] = {"Q.850;cause=999", "Q.850;cause=21", NULL};
	char buf[1024];
	struct sip_msg *m;

	m = reason_msg(buf, sizeof(buf), false, 486, a);
	ck_assert_uint_eq(iw_reason_msg_cause(m), 34);
	ck_assert_uint_eq(iw_cause_map_from_msg(NULL, 486, m), 34);
	free(m);
	m = reason_msg(buf, sizeof(buf), false, 486, b);
	ck_assert_uint_eq(iw_reason_msg_cause(m), 0);
	ck_assert_uint_eq(iw_cause_map_from_msg(NULL, 486, m), 17);
	free(m);
	/* a malformed line is passed over */
	m = reason_msg(buf, sizeof(buf), true, 0, c);
	ck_assert_uint_eq(iw_cause_from_bye_msg(m), 21);
	free(m);
	ck_assert_uint_eq(iw_reason_msg_cause(NULL), 0);
	ck_assert_uint_eq(iw_cause_from_bye_msg(NULL), 16);
}
END_TEST

START_TEST(test_policy_sets)
{
	struct iw_cause_map m;
	char err[64];
	unsigned adv = 0, fo = 0;

	/* an INVITE still to answer always gets a final response */
	ck_assert_int_eq(iw_cause_map_reject_status(NULL, ISUP_CAUSE_NORMAL_CLEARING, 4), 480);
	ck_assert_int_eq(iw_cause_map_reject_status(NULL, 0, 4), 480);
	ck_assert_int_eq(iw_cause_map_reject_status(NULL, ISUP_CAUSE_USER_BUSY, 4), 486);
	ck_assert_int_eq(iw_cause_map_reject_status(NULL, ISUP_CAUSE_CALL_REJECTED, ISUP_LOC_USER),
			 603);
	iw_cause_map_init(&m);
	ck_assert_int_eq(iw_cause_map_parse(&m, "isup2sip 17 -\n", 14, "t", err, sizeof(err)), 0);
	ck_assert_int_eq(iw_cause_map_reject_status(&m, ISUP_CAUSE_USER_BUSY, 4), 480);

	/* route advance: exactly the causes another route may not give */
	for (int c = 0; c < 256; c++)
		adv += iw_cause_route_advance((uint8_t)c);
	ck_assert_uint_eq(adv, 6);
	ck_assert(iw_cause_route_advance(ISUP_CAUSE_NO_CIRCUIT_AVAILABLE));
	ck_assert(iw_cause_route_advance(ISUP_CAUSE_REQUESTED_CIRCUIT_UNAVAILABLE));
	ck_assert(iw_cause_route_advance(ISUP_CAUSE_RESOURCE_UNAVAILABLE));
	ck_assert(!iw_cause_route_advance(ISUP_CAUSE_UNALLOCATED_NUMBER));
	ck_assert(iw_cause_route_advance(ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION));
	ck_assert(!iw_cause_route_advance(ISUP_CAUSE_USER_BUSY));
	for (int st = 100; st < 700; st++)
		fo += iw_cause_sip_failover(st);
	ck_assert_uint_eq(fo, 5);
	ck_assert(iw_cause_sip_failover(408));
	ck_assert(!iw_cause_sip_failover(501));
	ck_assert_str_eq(iw_cause_failure_tone(ISUP_CAUSE_USER_BUSY), "busy");
	ck_assert_str_eq(iw_cause_failure_tone(ISUP_CAUSE_NO_CIRCUIT_AVAILABLE), "congestion");
	ck_assert_str_eq(iw_cause_failure_tone(ISUP_CAUSE_RESOURCE_UNAVAILABLE), "congestion");
	ck_assert_ptr_null(iw_cause_failure_tone(ISUP_CAUSE_UNALLOCATED_NUMBER));
	ck_assert_ptr_null(iw_cause_failure_tone(0));
}
END_TEST

Suite *iw_cause_suite(void)
{
	Suite *s = suite_create("iw_cause");
	TCase *tc = unit_tcase("tables");

	tcase_add_test(tc, test_isup2sip_vectors);
	tcase_add_test(tc, test_sip2isup_vectors);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_text);
	suite_add_tcase(s, tc);
	tc = unit_tcase("reason");
	tcase_add_test(tc, test_reason_format);
	tcase_add_test(tc, test_reason_round_trip);
	tcase_add_test(tc, test_reason_release_vectors);
	tcase_add_test(tc, test_reason_msg_lines);
	tcase_add_test(tc, test_policy_sets);
	tcase_add_loop_test(tc, test_reason_parse, 0, sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_reason_wins);
	suite_add_tcase(s, tc);
	tc = unit_tcase("map");
	tcase_add_test(tc, test_map_default);
	tcase_add_test(tc, test_map_overrides);
	tcase_add_loop_test(tc, test_map_bad, 0, sizeof(bad_tables) / sizeof(bad_tables[0]));
	tcase_add_test(tc, test_map_load);
	suite_add_tcase(s, tc);
	return s;
}
