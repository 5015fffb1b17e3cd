/* core/vty: configuration files, and each kind of error with file and line. */
#include <errno.h>
#include <stdlib.h>

#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/misc.h>
#include <osmocom/vty/tdef_vty.h>
#include <osmocom/vty/vty.h>


#include "core/vty.h"
#include "interwork/iw_call_int.h"
#include "interwork/iw_vty.h"
#include "isdn/isdn_pri.h"
#include "media/media.h"
#include "sigtran/isup_link.h"
#include "sigtran/isup_vty.h"
#include "sigtran/m3ua_asp.h"
#include "sip/sip_txn.h"
#include "tests/unit/unit.h"

static struct vty_app_info app = {.name = "tandem-test", .version = "0"};

/* In the runner process, once: libosmovty's state is global. */
static void vty_setup(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	app.tall_ctx = unit_ctx;
	vty_init(&app);
	logging_vty_add_cmds();
	iw_vty_install_all();
}

static int read_str(const char *text, char *err, size_t errlen)
{
	err[0] = 0;
	return tandem_config_read_buf("test.cfg", text, strlen(text), err, errlen);
}

START_TEST(test_default_file_ok)
{
	char err[512];
	char path[4096];

	snprintf(path, sizeof(path), "%s/etc/tandem.cfg",
		 getenv("UNIT_TOP") ? getenv("UNIT_TOP") : ".");
	ck_assert_msg(tandem_config_read(path, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(tandem_loop_cfg.udp_bufs, 1024);
}
END_TEST

static const struct {
	const char *text;
	const char *want; /* the whole message */
} bad[] = {
	{"loop\n ring-entries 256\nfrobnicate now\n",
	 "test.cfg:3: unknown command, or an argument out of range: 'frobnicate now'"},
	{"!\nloop\n udp-buffers 3\n",
	 "test.cfg:3: unknown command, or an argument out of range: 'udp-buffers 3'"},
	{"loop\n udp-buffers 1000\n",
	 "test.cfg:2: command incomplete or value rejected: 'udp-buffers 1000'"},
	{"loop\n ring-entries\n",
	 "test.cfg:2: command incomplete or value rejected: 'ring-entries'"},
	{"line vty\n bind 127.0.0.1 70000\n",
	 "test.cfg:2: unknown command, or an argument out of range: 'bind 127.0.0.1 70000'"},
	/* no newline at the end of the file */
	{"loop\n udp-buffer-size 1", "test.cfg:2: unknown command, or an argument out of range: "
				     "'udp-buffer-size 1'"},
};

START_TEST(test_errors_name_file_and_line)
{
	char err[512];

	ck_assert_int_eq(read_str(bad[_i].text, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, bad[_i].want);
}
END_TEST

START_TEST(test_good_values_apply)
{
	char err[512];

	ck_assert_int_eq(
		read_str("loop\n udp-buffers 64\n udp-buffer-size 4096\n", err, sizeof(err)), 0);
	ck_assert_uint_eq(tandem_loop_cfg.udp_bufs, 64);
	ck_assert_uint_eq(tandem_loop_cfg.udp_buf_size, 4096);
}
END_TEST

/* The timer groups of "timer GROUP T VALUE" and "show timer". */
static const struct {
	const char *name;
	struct osmo_tdef *t;
} groups[] = {{"sip", sip_txn_tdefs},
	      {"isup", isup_tdefs},
	      {"m3ua", m3ua_asp_tdefs},
	      {"pri", isdn_tdefs},
	      {"call", iw_call_tdefs}};

static char *file_text(void *ctx, const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = talloc_zero_size(ctx, 65536);
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* What "show timer" prints, every group */
static char *show_timer(void *ctx)
{
	char path[] = "/tmp/tandem-unit-timers-XXXXXX";
	struct vty *v = vty_new();
	char *text;

	v->type = VTY_FILE;
	v->fd = mkstemp(path);
	ck_assert_int_ge(v->fd, 0);
	for (unsigned i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		osmo_tdef_vty_out_all(v, groups[i].t, "%s: ", groups[i].name);
	vty_close(v); /* flushes and closes the file */
	text = file_text(ctx, path);
	unlink(path);
	return text;
}

static void timers_reset(void)
{
	for (unsigned i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		osmo_tdefs_reset(groups[i].t);
}

/* Issue 16: "write" keeps the timers the file set (only those that differ
 * from their default), and read back they show as before. */
START_TEST(test_timers_written)
{
	char err[512], path[] = "/tmp/tandem-unit-cfg-XXXXXX";
	char *before, *defaults, *after, *written;
	const char *p;
	unsigned lines = 0;
	void *ctx = talloc_new(unit_ctx);
	int fd;

	timers_reset();
	defaults = show_timer(ctx);
	ck_assert_int_eq(read_str("timer sip T1 400\n"
				  "timer isup T7 25\n"
				  "timer m3ua X1 1500\n"
				  "timer pri T302 12\n"
				  "timer call X3 5\n",
				  err, sizeof(err)),
			 0);
	before = show_timer(ctx);
	ck_assert_str_ne(before, defaults);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(osmo_vty_write_config_file(path), 0);
	written = file_text(ctx, path);
	ck_assert_ptr_nonnull(strstr(written, "\ntimer sip T1 400\n"));
	ck_assert_ptr_nonnull(strstr(written, "\ntimer isup T7 25\n"));
	ck_assert_ptr_nonnull(strstr(written, "\ntimer m3ua X1 1500\n"));
	ck_assert_ptr_nonnull(strstr(written, "\ntimer pri T302 12\n"));
	ck_assert_ptr_nonnull(strstr(written, "\ntimer call X3 5\n"));
	for (p = written; (p = strstr(p, "\ntimer ")); p++)
		lines++;
	ck_assert_uint_eq(lines, 5); /* the timers at their default are not written */
	timers_reset();
	ck_assert_str_eq(show_timer(ctx), defaults);
	ck_assert_msg(tandem_config_read(path, err, sizeof(err)) == 0, "%s\n%s", err, written);
	after = show_timer(ctx);
	ck_assert_str_eq(after, before);
	unlink(path);
	timers_reset();
	talloc_free(ctx);
}
END_TEST

START_TEST(test_missing_file)
{
	char err[512];

	ck_assert_int_eq(tandem_config_read("/nonexistent/tandem.cfg", err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "/nonexistent/tandem.cfg: cannot open: No such file or directory");
}
END_TEST

/* Issue 13 item 4: 16,452 circuits on three linksets (ITU 12-bit CICs, ANSI
 * 14-bit) over 614 spans, each range in one command. */
static const char big_cfg[] =
	"isup\n"
	" linkset cap1\n"
	"  variant itu\n"
	"  cic 1 4092 span 0-131\n"
	" linkset cap2\n"
	"  variant itu\n"
	"  cic 1 3960 span 132-263 e1-no-ts16\n"
	" linkset cap3\n"
	"  variant ansi\n"
	"  cic 0 8399 span 264-613 t1\n"
	"media\n"
	" spans 0-263 e1 local 127.0.0.1 30000 remote 127.0.0.1 40000 frames 8\n"
	" spans 264-613 t1 local 127.0.0.1 30264 remote 127.0.0.1 40264 frames 8\n";

static struct isup_vty_linkset *ls_named(const char *name)
{
	struct isup_vty_linkset *s;

	llist_for_each_entry(s, &isup_vty_linksets, list) if (!strcmp(s->name, name)) return s;
	return NULL;
}

START_TEST(test_capacity_16k_circuits)
{
	static const char *names[] = {"cap1", "cap2", "cap3"};
	char err[512];
	unsigned total = 0, spans0 = media_vty_n_spans;

	/* what it parses into; how long it takes is no unit test's business
	 * (a shared machine under ASan took 1.4 s once): iw_capacity.sh times
	 * tandemd -t on the same size, and the show commands over it */
	ck_assert_msg(read_str(big_cfg, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(media_vty_n_spans - spans0, 614);
	ck_assert_uint_eq(media_vty_spans[spans0 + 613].id, 613);
	ck_assert(media_vty_spans[spans0 + 613].t1);
	for (unsigned i = 0; i < 3; i++) {
		struct isup_vty_linkset *s = ls_named(names[i]);
		struct isup_cic_table *t;

		ck_assert_ptr_nonnull(s);
		t = isup_cic_table_alloc(unit_ctx, 2, 1, s->cfg.variant == ISUP_VAR_ANSI);
		for (unsigned r = 0; r < s->n_ranges; r++)
			ck_assert_int_eq(isup_vty_range_add(t, &s->ranges[r]), 0);
		total += isup_cic_count(t);
		if (i == 0) {
			/* E1: CIC k+1 on span k/31, timeslots 1..31 (TS16 a bearer) */
			ck_assert_int_eq(isup_cic_get(t, 1)->span, 0);
			ck_assert_uint_eq(isup_cic_get(t, 1)->timeslot, 1);
			ck_assert_uint_eq(isup_cic_get(t, 16)->timeslot, 16);
			ck_assert_uint_eq(isup_cic_get(t, 31)->timeslot, 31);
			ck_assert_int_eq(isup_cic_get(t, 32)->span, 1);
			ck_assert_uint_eq(isup_cic_get(t, 32)->timeslot, 1);
			ck_assert_int_eq(isup_cic_get(t, 4092)->span, 131);
			ck_assert_uint_eq(isup_cic_get(t, 4092)->timeslot, 31);
			ck_assert_ptr_null(isup_cic_get(t, 4093));
		} else if (i == 1) {
			/* TS16 skipped: CIC 16 on timeslot 17, 30 per span */
			ck_assert_uint_eq(isup_cic_get(t, 15)->timeslot, 15);
			ck_assert_uint_eq(isup_cic_get(t, 16)->timeslot, 17);
			ck_assert_uint_eq(isup_cic_get(t, 30)->timeslot, 31);
			ck_assert_int_eq(isup_cic_get(t, 31)->span, 133);
			ck_assert_uint_eq(isup_cic_get(t, 31)->timeslot, 1);
			ck_assert_int_eq(isup_cic_get(t, 3960)->span, 263);
		} else {
			/* T1, ANSI 14-bit CICs from 0: 24 per span */
			ck_assert_int_eq(isup_cic_get(t, 0)->span, 264);
			ck_assert_uint_eq(isup_cic_get(t, 23)->timeslot, 24);
			ck_assert_int_eq(isup_cic_get(t, 24)->span, 265);
			ck_assert_uint_eq(isup_cic_get(t, 24)->timeslot, 1);
			ck_assert_int_eq(isup_cic_get(t, 8399)->span, 613);
			ck_assert_uint_eq(isup_cic_get(t, 8399)->timeslot, 24);
		}
		talloc_free(t);
	}
	ck_assert_uint_ge(total, 16384);
}
END_TEST

static const struct {
	const char *text;
	const char *want;
} bad_ranges[] = {
	{"isup\n linkset capx\n  variant itu\n  cic 1 4092 span 0-131\n"
	 "  cic 4000 4095 span 200-210\n",
	 "test.cfg:5: CICs 4000-4095 overlap an earlier range (CIC 4000): "
	 "'cic 4000 4095 span 200-210'"},
	{"isup\n linkset capy\n  variant itu\n  cic 1 5000 span 0-300\n",
	 "test.cfg:4: CIC 5000 is past the ITU maximum 4095: 'cic 1 5000 span 0-300'"},
	{"isup\n linkset capz\n  cic 1 500 span 0-10\n",
	 "test.cfg:3: CICs 1-500 are 500 circuits; spans 0-10 hold 341: 'cic 1 500 span 0-10'"},
	{"isup\n linkset capw\n  cic 1 31 span 3-2\n",
	 "test.cfg:3: spans 3-2: give FIRST-LAST within 0-1023: 'cic 1 31 span 3-2'"},
	{"isup\n linkset capv\n  cic 1 31 span 0-2000\n",
	 "test.cfg:3: spans '0-2000': give FIRST-LAST, e.g. 0-131 (0-1023): "
	 "'cic 1 31 span 0-2000'"},
	{"media\n spans 900-901 e1 local 127.0.0.1 1 remote 127.0.0.1 3 frames 8\n"
	 " spans 901-902 e1 local 127.0.0.1 1 remote 127.0.0.1 2 frames 8\n",
	 "test.cfg:3: span 901 is configured already: "
	 "'spans 901-902 e1 local 127.0.0.1 1 remote 127.0.0.1 2 frames 8'"},
	{"media\n spans 1020-1030 e1 local 127.0.0.1 1 remote 127.0.0.1 2 frames 8\n",
	 "test.cfg:2: spans '1020-1030': give FIRST-LAST within 0-1023: "
	 "'spans 1020-1030 e1 local 127.0.0.1 1 remote 127.0.0.1 2 frames 8'"},
};

START_TEST(test_capacity_errors)
{
	char err[512];

	ck_assert_int_eq(read_str(bad_ranges[_i].text, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, bad_ranges[_i].want);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = unit_tcase("config");

	TCase *tf = tcase_create("config-file");

	/* The shipped file creates libosmocore state meant to live for the
	 * whole process (a log target, the VTY bind address): no leak check. */
	tcase_add_unchecked_fixture(tf, vty_setup, NULL);
	tcase_add_test(tf, test_default_file_ok);
	/* the configuration lives on in the VTY's globals: not a leak */
	tcase_add_test(tf, test_capacity_16k_circuits);
	tcase_add_loop_test(tf, test_capacity_errors, 0,
			    sizeof(bad_ranges) / sizeof(bad_ranges[0]));
	suite_add_tcase(s, tf);

	tcase_add_unchecked_fixture(tc, vty_setup, NULL);
	tcase_add_loop_test(tc, test_errors_name_file_and_line, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_good_values_apply);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_timers_written);
	suite_add_tcase(s, tc);
	return s;
}
