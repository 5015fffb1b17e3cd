/* One runner for every Check suite (tests/unit/check_*.c).
 *
 * Prints one line per test: "PASS unit:<case>:<test>",
 * "FAIL ...: file:line: message" or "SKIP ...: reason" (unit_skip), then
 * "unit: N passed, N failed, N skipped, N registered".
 * CK_RUN_SUITE / CK_RUN_CASE select a subset (Check's own variables).
 * Exit 0 when every test passed or skipped and every registered test
 * reported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <osmocom/core/application.h>

#include "core/log.h"
#include "tests/unit/unit.h"

#define SUITE(n) Suite *n##_suite(void);
#include "suites.h"
#undef SUITE

static int report(const char *tap_path, const char *label)
{
	char line[4096];
	int passed = 0, failed = 0, skipped = 0;
	FILE *f = fopen(tap_path, "r");

	if (!f) {
		perror(tap_path);
		return -1;
	}
	/* TAP from Check: "ok N - file:case:test: msg" / "not ok N - ..." */
	while (fgets(line, sizeof(line), f)) {
		char *p;
		int ok;

		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "ok ", 3))
			ok = 1;
		else if (!strncmp(line, "not ok ", 7))
			ok = 0;
		else
			continue;
		p = strstr(line, " - ");
		p = p ? p + 3 : line;
		/* drop the file name; keep case:test and, on failure, the message */
		if (strchr(p, ':'))
			p = strchr(p, ':') + 1;
		if (ok && strstr(p, ": Passed"))
			*strstr(p, ": Passed") = 0;
		if (!ok && strstr(p, ": SKIP: ")) {
			/* "case:test: file:line: SKIP: reason" -> "case:test: reason" */
			char *reason = strstr(p, ": SKIP: ") + 8;
			char *end = strchr(strchr(p, ':') + 1, ':');

			if (end)
				*end = 0;
			printf("SKIP %s:%s: %s\n", label, p, reason);
			skipped++;
			continue;
		}
		printf("%s %s:%s\n", ok ? "PASS" : "FAIL", label, p);
		if (ok)
			passed++;
		else
			failed++;
	}
	fclose(f);
	if (passed + failed + skipped != unit_registered) {
		printf("FAIL %s:runner: %d tests registered, %d reported\n", label, unit_registered,
		       passed + failed + skipped);
		failed++;
	}
	printf("%s: %d passed, %d failed, %d skipped, %d registered\n", label, passed, failed,
	       skipped, unit_registered);
	return failed;
}

int main(int argc, char **argv)
{
	char tap[256];
	const char *label = argc > 1 ? argv[1] : "unit";
	SRunner *sr;
	int failed;

	talloc_enable_null_tracking();
	unit_ctx = talloc_named_const(NULL, 0, "unit");
	tandem_log_init(unit_ctx);
	log_set_log_level(osmo_stderr_target, LOGL_FATAL);

	sr = srunner_create(NULL);
#define SUITE(n) srunner_add_suite(sr, n##_suite());
#include "suites.h"
#undef SUITE

	snprintf(tap, sizeof(tap), "/tmp/tandem-unit-%d.tap", (int)getpid());
	srunner_set_tap(sr, tap);
	srunner_run_all(sr, CK_SILENT);
	srunner_free(sr);

	failed = report(tap, label);
	unlink(tap);
	return failed == 0 ? 0 : 1;
}
