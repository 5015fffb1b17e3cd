/* M3UA ASPs as configured in the "sigtran" node. */
#pragma once

#include <osmocom/core/linuxlist.h>

#include "sigtran/m3ua_asp.h"

struct m3ua_vty_asp {
	struct llist_head list;
	char *name;
	struct m3ua_asp_cfg cfg;
	struct m3ua_asp *asp; /* running */
};

extern struct llist_head m3ua_vty_asps;
void m3ua_vty_init(void);
