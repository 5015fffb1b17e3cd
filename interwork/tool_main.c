/* tandem-tool: offline helpers used by people and by tests. The subcommands
 * live next to the code they exercise (<layer>/NAME_tool.c). */
#include <stdio.h>
#include <string.h>

#include "core/tool.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: tandem-tool [--help|--version] COMMAND [ARGS...]\n\ncommands:\n");
	for (const struct tool_cmd *c = tool_first(); c; c = c->next)
		fprintf(f, "  %-14s %s\n      %s %s\n", c->name, c->summary, c->name, c->usage);
}

int main(int argc, char **argv)
{
	const struct tool_cmd *cmd;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("tandem-tool %s (%s)\n", TANDEM_VERSION, TANDEM_GIT_REV);
		return 0;
	}
	cmd = tool_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "tandem-tool: unknown command '%s' (try --help)\n", argv[1]);
		return 2;
	}
	if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
		printf("usage: tandem-tool %s %s\n  %s\n", cmd->name, cmd->usage, cmd->summary);
		return 0;
	}
	return cmd->run(argc - 1, argv + 1);
}
