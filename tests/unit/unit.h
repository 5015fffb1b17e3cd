/* Shared support for tandem's Check suites.
 *
 * A suite lives in tests/unit/check_<name>.c and defines
 *     Suite *<name>_suite(void);
 * The runner finds it from the file name. Build test cases with
 * unit_tcase(): every test in it then fails if the talloc block count under
 * the NULL context differs before and after the test (a leak). */
#pragma once

#include <check.h>
#include <talloc.h>

/* A test that cannot do its work here (no kernel SCTP, no IPv6, a vector
 * the codec rejects) ends with unit_skip("reason"): the runner prints
 * "SKIP unit:<case>:<test>: reason" instead of PASS. It does not return. */
#define unit_skip(...) ck_abort_msg("SKIP: " __VA_ARGS__)

/* The runner counts the tests registered (under CK_RUN_SUITE / CK_RUN_CASE
 * and their CK_EXCLUDE_ variants), so that a test which never reports is a
 * failure: suite_create, tcase_create and _tcase_add_test go through unit.c. */
Suite *unit_suite_create(const char *name);
TCase *unit_tcase_create(const char *name);
void unit_add_test(TCase *tc, const TTest *t, int sig, int exit_value, int start, int end);
extern int unit_registered;
#define suite_create(n)			      unit_suite_create(n)
#define tcase_create(n)			      unit_tcase_create(n)
#define _tcase_add_test(tc, t, sig, ex, s, e) unit_add_test(tc, t, sig, ex, s, e)

/* talloc parent for objects a test allocates; freed state is checked. */
extern void *unit_ctx;

/* A test case with the leak-checking fixture attached. */
TCase *unit_tcase(const char *name);

/* Path of a file under tests/vectors/ (the runner runs from the tree top or
 * from UNIT_TOP). Returns a static buffer. */
const char *unit_vector_path(const char *rel);

/* Real loopback I/O under a fake osmo clock (osmo_gettimeofday_override and
 * the CLOCK_MONOTONIC override enabled by the test): turn the loop until it
 * is quiet (no completion but our own guard timer twice), then move the osmo
 * clock fake_ms forward in 10 ms steps, the loop quiet at each, osmo timers
 * run. Fixed numbers of turns were flaky under load; quiet is not. */
struct loop;
void unit_loop_run(struct loop *l, unsigned fake_ms);
/* milliseconds of the real monotonic clock (not the osmo override) */
unsigned long long unit_real_ms(void);
/* UNIT_LOOP_UNTIL(l, COND, FAKE_STEP, REAL_MS): unit_loop_run(l, FAKE_STEP)
 * until COND holds or REAL_MS of real time went by: a TCP handshake on a
 * starved machine needs more passes than any fixed count gave it */
#define UNIT_LOOP_UNTIL(l, cond, fake_step, real_ms)                \
	do {                                                        \
		unsigned long long t0_ = unit_real_ms();            \
		while (!(cond) && unit_real_ms() - t0_ < (real_ms)) \
			unit_loop_run((l), (fake_step));            \
	} while (0)
