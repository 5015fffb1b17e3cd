#include <string.h>

#include "core/tool.h"

static struct tool_cmd *tool_head;

/* Keep the list sorted by name so that --help reads well. */
void tool_register(struct tool_cmd *cmd)
{
	struct tool_cmd **pp = &tool_head;

	while (*pp && strcmp((*pp)->name, cmd->name) < 0)
		pp = &(*pp)->next;
	cmd->next = *pp;
	*pp = cmd;
}

const struct tool_cmd *tool_find(const char *name)
{
	for (const struct tool_cmd *c = tool_head; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

const struct tool_cmd *tool_first(void)
{
	return tool_head;
}
