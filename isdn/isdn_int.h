/* Inside isdn/ (built with libpri): the span and call state that
 * isdn_pri.c (spans, libpri I/O and timers, RESTART, SERVICE) and
 * isdn_call.c (Q.931 calls and libpri's events) share. Not for other
 * layers: they see isdn_pri.h only. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libpri.h>

#include "core/loop.h"
#include "isdn/isdn_pri.h"

/* libpri's channel words: the channel number in the low byte (the span
 * and the "explicit" flag above it) */
#define CHAN_OF(x) ((int)((x)&0xff))

struct isdn_call {
	struct isdn_span *s;
	q931_call *q;
	unsigned channel;
	bool outgoing;
	bool answered_back; /* outgoing: the far end took it (PROCEEDING, ALERTING...) */
	/* overlap receiving (SETUP without sending complete): the setup
	 * waits here while INFORMATION brings digits, T302 between them */
	bool collecting;
	struct isdn_setup_info si;
	struct loop_timer t302;
	bool owner_gone; /* released toward the owner (or by it): no more events */
	void *priv;
};

struct isdn_span {
	struct isdn_span_cfg cfg;
	struct pri *pri;
	struct loop_timer timer;
	/* the frame pri_check_event() is reading */
	const uint8_t *rx_frame;
	size_t rx_len;
	bool up;
	bool restart_all; /* a RESTART of every channel is running, one at a time */
	unsigned restart_next;
	enum isdn_chan_state ch[ISDN_MAX_CHAN];
	bool oos[ISDN_MAX_CHAN]; /* out of service (SERVICE): free means OOS, not idle */
	struct isdn_call *call[ISDN_MAX_CHAN]; /* by B channel */
	/* glare (Q.931 5.7), user side: our SETUPs whose channel the network's
	 * SETUP took; channel 0, they wait for the network to clear them */
	struct isdn_call *glared[4];
	uint64_t glares;
	uint64_t up_count, down_count, rx_frames, tx_frames;
	uint64_t calls_in, calls_out, restarts_sent, restart_acks, restarts_rcvd;
	uint64_t services_sent, service_acks, services_rcvd;
};

extern struct loop *isdn_loop;
extern const struct isdn_call_ops *isdn_ops;
extern void *isdn_ops_priv;

/* the span's loop timer set to libpri's next timer (after every call into it) */
void isdn_span_arm(struct isdn_span *s);
/* one libpri event (isdn_call.c) */
void isdn_handle(struct isdn_span *s, pri_event *e);
/* T309 into libpri; false when it is off (calls cleared at once) */
bool isdn_apply_t309(struct isdn_span *s);
/* our call for libpri's, by B channel or among the glared ones */
struct isdn_call *isdn_call_of(struct isdn_span *s, q931_call *q);
/* frees c and gives its channel back (idle, or out of service) */
void isdn_call_free(struct isdn_call *c);
/* the call ends for its owner, once */
void isdn_call_gone(struct isdn_call *c, uint8_t cause);
/* RESTART / SERVICE from the far end, and the next channel of a RESTART of all */
void isdn_restart_rcvd(struct isdn_span *s, int channel);
void isdn_service_rcvd(struct isdn_span *s, int channel, int status);
bool isdn_is_bchan(const struct isdn_span *s, unsigned ch);
void isdn_restart_step(struct isdn_span *s);
