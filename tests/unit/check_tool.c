/* core/tool: the tandem-tool subcommand registry. */
#include <string.h>

#include "core/tool.h"
#include "tests/unit/unit.h"

static int dummy_run(int argc, char **argv)
{
	(void)argv;
	return argc;
}

static struct tool_cmd cmd_b = {.name = "bbb", .usage = "", .summary = "", .run = dummy_run};
static struct tool_cmd cmd_a = {.name = "aaa", .usage = "", .summary = "", .run = dummy_run};

START_TEST(test_register_sorted_and_found)
{
	const struct tool_cmd *c, *prev = NULL;

	tool_register(&cmd_b);
	tool_register(&cmd_a);
	ck_assert_ptr_eq(tool_find("aaa"), &cmd_a);
	ck_assert_ptr_eq(tool_find("bbb"), &cmd_b);
	ck_assert_ptr_null(tool_find("zzz"));
	for (c = tool_first(); c; prev = c, c = c->next)
		if (prev)
			ck_assert_int_lt(strcmp(prev->name, c->name), 0);
}
END_TEST

Suite *tool_suite(void)
{
	Suite *s = suite_create("tool");
	TCase *tc = unit_tcase("registry");

	tcase_add_test(tc, test_register_sorted_and_found);
	suite_add_tcase(s, tc);
	return s;
}
