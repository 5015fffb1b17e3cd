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
	DCDR,	/* one record per finished call (and its media): a category of its
		 * own so that records go to their own target and level, apart
		 * from the per-call lines of DIW (INFO) */
	DISDN,	/* isdn/: ISDN PRI D channels (Q.921/Q.931 through libpri) */
	_DTANDEM_MAX,
};

extern const struct log_info tandem_log_info;

/* Set up libosmocore logging with tandem's categories on stderr. ctx is the
 * talloc parent of the logging state. Returns 0 or -errno. */
int tandem_log_init(void *ctx);

/* Logging from threads other than the signalling thread (media workers).
 *
 * libosmocore's logging is not safe from a second thread: a "log stderr" or
 * "log file" target configured from the VTY writes through an osmo_wqueue
 * (msgb per line, appended by the logging thread, written out and pulled by
 * the signalling thread's select dispatch without a lock), and a VTY
 * "logging enable" target writes into the telnet session's buffers.
 * log_enable_multithread() serialises the loggers but not that consumer, so
 * a worker logging under load corrupted the queue ("msgb too small to
 * pull") and interleaved lines. A thread that attaches a relay therefore
 * hands each line (with its category, level, file and line) to the
 * signalling thread through an SPSC queue; LOGP below takes that path
 * whenever the calling thread has one, so code shared by both kinds of
 * thread (core/loop_net.c, media/) needs no change. */
struct log_relay;
extern __thread struct log_relay *tandem_log_relay_self;

void tandem_log_relay_printf(struct log_relay *r, int subsys, int level, const char *file, int line,
			     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#undef LOGP
#define LOGP(ss, level, fmt, args...)                                                       \
	do {                                                                                \
		if (tandem_log_relay_self)                                                  \
			tandem_log_relay_printf(tandem_log_relay_self, ss, level, __FILE__, \
						__LINE__, fmt, ##args);                     \
		else                                                                        \
			LOGPSRC(ss, level, NULL, 0, fmt, ##args);                           \
	} while (0)
