/* tandem-tool subcommand registry.
 *
 * Each layer offers its offline helpers as subcommands in a file named
 * <layer>/<name>_tool.c, linked into tandem-tool only:
 *
 *     static int run(int argc, char **argv) { ... }
 *     TOOL_CMD(sip_parse, "sip-parse", "[--transport udp|tcp] [FILE|-]",
 *              "parse one SIP message, print JSON", run);
 *
 * argv[0] is the subcommand name. Exit codes: 0 success, 1 failure the
 * subcommand reports (malformed input...), 2 usage error.
 */
#pragma once

struct tool_cmd {
	const char *name;
	const char *usage;
	const char *summary;
	int (*run)(int argc, char **argv);
	struct tool_cmd *next;
};

void tool_register(struct tool_cmd *cmd);
const struct tool_cmd *tool_find(const char *name);
const struct tool_cmd *tool_first(void);

#define TOOL_CMD(var, name_, usage_, summary_, fn)                               \
	static struct tool_cmd var = {                                           \
		.name = name_, .usage = usage_, .summary = summary_, .run = fn}; \
	static void __attribute__((constructor)) var##_register(void)            \
	{                                                                        \
		tool_register(&var);                                             \
	}
