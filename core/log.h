/* Logging categories of tandem, one per layer (libosmocore logging). */
#pragma once

#include <osmocom/core/logging.h>

enum tandem_log_cat {
	DLOOP,	/* core/: io_uring loop, timers, queues */
	DM3UA,	/* sigtran/: M3UA ASP/IPSP and transports */
	DISUP,	/* sigtran/: ISUP codec, circuits, call control */
	DSIP,	/* sip/: transports, transactions, dialogs, SDP */
	DMEDIA, /* media/: RTP, TDM, codecs, DTMF, tones */
	DEC,	/* media/: echo canceller */
	DIW,	/* interwork/: calls, routing, numbers, ENUM */
	DMAIN,	/* start-up, configuration, signals */
	_DTANDEM_MAX,
};

extern const struct log_info tandem_log_info;

/* Set up libosmocore logging with tandem's categories on stderr. ctx is the
 * talloc parent of the logging state. Returns 0 or -errno. */
int tandem_log_init(void *ctx);
