#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osmocom/core/timer.h>
#include <osmocom/core/timer_compat.h>

#include "core/loop.h"
#include "tests/unit/unit.h"

void *unit_ctx;
static size_t blocks_before;

int unit_registered;
static const char *cur_suite;
static struct {
	const TCase *tc;
	const char *name;
} tcases[1024];
static unsigned n_tcases;

Suite *unit_suite_create(const char *name)
{
	cur_suite = name;
	return (suite_create)(name);
}

TCase *unit_tcase_create(const char *name)
{
	TCase *tc = (tcase_create)(name);

	if (n_tcases == sizeof(tcases) / sizeof(tcases[0])) {
		fprintf(stderr, "unit: more than %u test cases\n", n_tcases);
		abort();
	}
	tcases[n_tcases].tc = tc;
	tcases[n_tcases++].name = name;
	return tc;
}

/* Check's own selection rule: CK_RUN_x names the one to run, CK_EXCLUDE_x a
 * space-separated list not to. */
static int selected(const char *var_run, const char *var_excl, const char *name)
{
	const char *run = getenv(var_run), *ex = getenv(var_excl);
	size_t n = strlen(name);

	if (run && *run && strcmp(run, name))
		return 0;
	for (const char *p = ex; p && *p;) {
		size_t k = strcspn(p, " ");

		if (k == n && !strncmp(p, name, n))
			return 0;
		p += k;
		p += strspn(p, " ");
	}
	return 1;
}

void unit_add_test(TCase *tc, const TTest *t, int sig, int exit_value, int start, int end)
{
	const char *tcname = "";

	for (unsigned i = 0; i < n_tcases; i++)
		if (tcases[i].tc == tc)
			tcname = tcases[i].name;
	if (cur_suite && selected("CK_RUN_SUITE", "CK_EXCLUDE_SUITE", cur_suite) &&
	    selected("CK_RUN_CASE", "CK_EXCLUDE_CASE", tcname))
		unit_registered += end - start;
	(_tcase_add_test)(tc, t, sig, exit_value, start, end);
}

static void leak_setup(void)
{
	blocks_before = talloc_total_blocks(NULL);
}

static void leak_teardown(void)
{
	size_t after = talloc_total_blocks(NULL);

	if (after != blocks_before)
		talloc_report_depth_file(NULL, 0, 2, stderr);
	ck_assert_msg(after == blocks_before, "talloc leak: %zu blocks before, %zu after",
		      blocks_before, after);
}

TCase *unit_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, leak_setup, leak_teardown);
	tcase_set_timeout(tc, 60);
	return tc;
}

const char *unit_vector_path(const char *rel)
{
	static char buf[4096];
	const char *top = getenv("UNIT_TOP");

	snprintf(buf, sizeof(buf), "%s/tests/vectors/%s", top ? top : ".", rel);
	return buf;
}

static void guard_noop(void *p)
{
	(void)p;
}

static void settle(struct loop *l, struct loop_timer *g)
{
	const struct loop_stats *st = loop_get_stats(l);
	int quiet = 0;

	for (int i = 0; i < 200 && quiet < 2; i++) {
		uint64_t before = st->cqes;

		loop_timer_schedule(l, g, 300);
		loop_run_once(l);
		quiet = st->cqes - before <= 1 ? quiet + 1 : 0;
	}
}

unsigned long long unit_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
}

void unit_loop_run(struct loop *l, unsigned fake_ms)
{
	struct loop_timer g;

	loop_timer_init(&g, guard_noop, NULL);
	for (unsigned t = 0; t <= fake_ms; t += 10) {
		settle(l, &g);
		if (t < fake_ms) {
			osmo_gettimeofday_override_add(0, 10000);
			osmo_clock_override_add(CLOCK_MONOTONIC, 0, 10 * 1000000);
		}
		osmo_timers_prepare();
		osmo_timers_update();
	}
	settle(l, &g);
	loop_timer_cancel(l, &g);
}
