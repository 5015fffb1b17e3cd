#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/unit.h"

void *unit_ctx;
static size_t blocks_before;

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
