#include <errno.h>

#include <osmocom/core/application.h>

#include "core/log.h"

static const struct log_info_cat tandem_cats[] = {
	[DLOOP] =
		{
			.name = "DLOOP",
			.description = "io_uring loop, timers and queues",
			.color = "\033[1;36m",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
	[DM3UA] =
		{
			.name = "DM3UA",
			.description = "SIGTRAN M3UA associations and messages",
			.color = "\033[1;33m",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
	[DISUP] =
		{
			.name = "DISUP",
			.description = "ISUP circuits and call control",
			.color = "\033[1;32m",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
	[DSIP] =
		{
			.name = "DSIP",
			.description = "SIP transports, transactions and dialogs",
			.color = "\033[1;34m",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
	[DMEDIA] =
		{
			.name = "DMEDIA",
			.description = "Media plane: RTP, TDM, codecs, DTMF",
			.color = "\033[1;35m",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
	[DEC] =
		{
			.name = "DEC",
			.description = "Line echo canceller",
			.color = "\033[0;35m",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
	[DIW] =
		{
			.name = "DIW",
			.description = "Interworking: calls, routing, numbers, ENUM",
			.color = "\033[1;31m",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
	[DMAIN] =
		{
			.name = "DMAIN",
			.description = "Start-up, configuration and signals",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
	[DCDR] =
		{
			.name = "DCDR",
			.description = "Call detail records: one line per finished call, one per "
				       "media channel",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
	[DISDN] =
		{
			.name = "DISDN",
			.description =
				"ISDN PRI: D channels, Q.921 links, Q.931 calls and restarts",
			.color = "\033[1;36m",
			.enabled = 1,
			.loglevel = LOGL_NOTICE,
		},
};

const struct log_info tandem_log_info = {
	.cat = tandem_cats,
	.num_cat = _DTANDEM_MAX,
};

int tandem_log_init(void *ctx)
{
	if (osmo_init_logging2(ctx, &tandem_log_info) < 0)
		return -ENOMEM;
	log_set_print_category(osmo_stderr_target, 1);
	log_set_print_category_hex(osmo_stderr_target, 0);
	log_set_print_level(osmo_stderr_target, 1);
	log_set_use_color(osmo_stderr_target, 0);
	return 0;
}
