/* The "routing" configuration node and "show calls". */
#pragma once

#include <stdbool.h>

#include "interwork/iw_call.h"

extern struct iw_cfg iw_vty_cfg;
void iw_route_vty_init(void);
/* The route callback of the interworking calls (iw_route_cb). */
int iw_vty_route(void *priv, bool to_sip, const char *e164, struct iw_route_res *res);
void iw_vty_set_iw(struct iw *iw);
/* The routing tables as configured (NULL: no rule yet), for the checks
 * after reading (iw_cfg_check.c). */
struct iw_route_table;
const struct iw_route_table *iw_route_vty_table(bool to_sip);
/* "reload": keep the routing node's state aside (tables, numbering,
 * settings), read the node anew, then drop the old state (keep true: the
 * next calls take the new routes; the calls up keep theirs) or put it back
 * (the new text was refused). */
void iw_route_vty_reload_begin(void);
void iw_route_vty_reload_end(bool keep);
