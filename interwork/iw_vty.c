#include <osmocom/vty/tdef_vty.h>

#include "core/vty.h"
#include "interwork/iw_call_int.h"
#include "interwork/iw_vty.h"
#include "isdn/isdn_pri.h"
#include "media/media.h"
#include "interwork/iw_ops_vty.h"
#include "interwork/iw_route_vty.h"
#include "sigtran/isup_link.h"
#include "sigtran/isup_vty.h"
#include "sigtran/m3ua_asp.h"
#include "sigtran/m3ua_vty.h"
#include "sip/sip_trunk.h"
#include "sip/sip_txn.h"

/* Timers of every layer, as "timer GROUP TNNNN VALUE" and "show timer". */
static struct osmo_tdef_group timer_groups[] = {
	{.name = "sip",
	 .desc = "SIP transaction timers (RFC 3261 17; A..M as T1001..T1013)",
	 .tdefs = sip_txn_tdefs},
	{.name = "isup", .desc = "ISUP timers (Q.764 Annex A), seconds", .tdefs = isup_tdefs},
	{.name = "m3ua",
	 .desc = "M3UA timers (RFC 4666): X1 T(ack), ms; an ASP's \"timer ack\" overrides it",
	 .tdefs = m3ua_asp_tdefs},
	{.name = "pri", .desc = "ISDN PRI timers (Q.931), seconds", .tdefs = isdn_tdefs},
	{.name = "call",
	 .desc = "Interworking call timers (X1 ENUM budget, X2 failure tone, X3 no answer)",
	 .tdefs = iw_call_tdefs},
	{},
};

/* "timer GROUP T VALUE" is a top-level command: its lines are written by a
 * node of their own (last, after every section), only for the timers that
 * differ from their default, so "write" keeps what the file set. */
static struct cmd_node timer_node = {
	.node = TANDEM_TIMER_NODE,
	.prompt = "%s(config-timer)# ",
	.vtysh = 1,
};

static int config_write_timers(struct vty *vty)
{
	osmo_tdef_vty_groups_write(vty, "");
	return CMD_SUCCESS;
}

void iw_vty_install_all(void)
{
	tandem_vty_init();
	media_vty_init();
	isdn_vty_init();
	sip_vty_init();
	m3ua_vty_init();
	isup_vty_init();
	iw_route_vty_init();
	iw_ops_vty_init();
	osmo_tdef_vty_groups_init(CONFIG_NODE, timer_groups);
	install_node(&timer_node, config_write_timers);
}
