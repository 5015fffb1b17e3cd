/* core/vty: configuration files, and each kind of error with file and line. */
#include <errno.h>
#include <stdlib.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/logging.h>
#include <osmocom/vty/vty.h>

#include "core/vty.h"
#include "interwork/iw_vty.h"
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

START_TEST(test_missing_file)
{
	char err[512];

	ck_assert_int_eq(tandem_config_read("/nonexistent/tandem.cfg", err, sizeof(err)), -ENOENT);
	ck_assert_str_eq(err, "/nonexistent/tandem.cfg: cannot open: No such file or directory");
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
	suite_add_tcase(s, tf);

	tcase_add_unchecked_fixture(tc, vty_setup, NULL);
	tcase_add_loop_test(tc, test_errors_name_file_and_line, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_good_values_apply);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);
	return s;
}
