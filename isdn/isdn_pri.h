/* ISDN primary rate (Q.921 / Q.931) on a span's D channel, through libpri.
 *
 * One isdn_span per PRI span, on the signalling thread. The D channel's
 * HDLC frames come and go through the functions the owner gives
 * (isdn_span_cfg.tx; isdn_span_rx for what arrived): this layer knows no
 * media plane, no SIP and no call routing; it raises call events through
 * isdn_call_ops, which interwork/ registers, and takes orders through the
 * isdn_call_* functions. libpri's Q.921 and Q.931 timers run on the
 * tandem loop. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/tdef.h>

struct loop;
struct isdn_span;
struct isdn_call;

enum isdn_switch {
	ISDN_SW_EUROISDN,
	ISDN_SW_NI2,
	ISDN_SW_DMS100,
	ISDN_SW_5ESS,
	ISDN_SW_4ESS,
	ISDN_SW_QSIG,
};

/* "euroisdn" ... "qsig" -> the switch type; -1 when unknown. */
int isdn_switch_parse(const char *name);
const char *isdn_switch_name(enum isdn_switch sw);

#define ISDN_MAX_CHAN 32 /* channel (= timeslot) numbers 1..31 */

enum isdn_chan_state {
	ISDN_CH_NONE, /* not a B channel (TS0, the D channel, beyond the span) */
	ISDN_CH_IDLE,
	ISDN_CH_BUSY,	    /* a call holds it */
	ISDN_CH_RESTARTING, /* RESTART sent, RESTART ACKNOWLEDGE awaited */
	ISDN_CH_OOS,	    /* out of service or in maintenance (SERVICE, either side) */
	_NUM_ISDN_CH
};
const char *isdn_chan_state_name(enum isdn_chan_state st);

/* Sends one Q.921 frame (no FCS) on the span's D channel. 0 or -errno. */
typedef int (*isdn_tx_fn)(void *priv, unsigned span, const uint8_t *frame, size_t len);

struct isdn_span_cfg {
	unsigned id;
	bool t1;
	bool network; /* the network side (facing a PBX); else the user side */
	enum isdn_switch sw;
	unsigned dchan_ts; /* 16 (E1) or 24 (T1) */
	/* RESTART every B channel when the D channel comes up (Q.931 5.5) */
	bool restart_on_up;
	isdn_tx_fn tx;
	void *tx_priv;
};

/* What a SETUP brought. */
struct isdn_setup_info {
	int channel; /* B channel (timeslot), -1: any */
	bool exclusive;
	char called[32], calling[32];
	uint8_t called_plan;  /* Q.931 type of number << 4 | numbering plan */
	uint8_t calling_plan; /* same */
	uint8_t calling_pres; /* presentation << 5 | screening, as Q.931 codes them */
	bool complete;	      /* sending complete came (else T302 ended the overlap) */
	bool overlap;	      /* the number came in INFORMATION messages too */
	unsigned bearer;      /* Q.931 information transfer capability */
};

/* Events toward the owner of the calls (interwork/); all optional. */
struct isdn_call_ops {
	/* A SETUP came and took channel si->channel (after overlap receiving,
	 * once the number is complete: sending complete or T302). Return 0 to take the
	 * call (answer it with isdn_call_proceeding etc.), or a Q.850 cause
	 * (> 0) to refuse it with RELEASE COMPLETE. */
	int (*setup)(void *priv, struct isdn_call *c, const struct isdn_setup_info *si);
	void (*proceeding)(void *priv, struct isdn_call *c);
	/* PROGRESS / ALERTING; inband: progress indicator 1 or 8 */
	void (*progress)(void *priv, struct isdn_call *c, bool inband);
	void (*alerting)(void *priv, struct isdn_call *c, bool inband);
	void (*connect)(void *priv, struct isdn_call *c);
	/* DISCONNECT or RELEASE from the far end (or the D channel was lost:
	 * cause 38); the call is gone after this returns */
	void (*released)(void *priv, struct isdn_call *c, uint8_t cause);
	/* KEYPAD digits (Q.931 4.5.18: INFORMATION during the call) */
	void (*keypad)(void *priv, struct isdn_call *c, const char *digits);
	/* the D channel went up or down */
	void (*dchan)(void *priv, struct isdn_span *s, bool up);
};

/* 0, or -ENOTSUP when tandem was built without libpri. */
int isdn_init(struct loop *l, const struct isdn_call_ops *ops, void *priv);
struct isdn_span *isdn_span_create(void *ctx, const struct isdn_span_cfg *cfg);
void isdn_span_free(struct isdn_span *s);
struct isdn_span *isdn_span_find(unsigned id);
/* A D channel frame (no FCS) arrived on the span. */
void isdn_span_rx(struct isdn_span *s, const uint8_t *frame, size_t len);
/* RESTART for one B channel, or channel 0: every B channel of the span
 * (one RESTART each, Q.931 5.5.1 with class "indicated channels"). 0,
 * -ENOTCONN (D channel down), -EINVAL (no such B channel). */
int isdn_span_restart(struct isdn_span *s, unsigned channel);

/* SERVICE (maintenance, AT&T / NI-2 switch types): put B channel `channel`
 * in service (status 0), in maintenance (1) or out of service (2) toward
 * the far end; a channel out of service takes no call either way (a call
 * on it runs to its end). 0, -ENOTSUP (the switch type has no SERVICE
 * messages), -ENOTCONN (D channel down), -EINVAL (no such B channel or
 * status). The far end's SERVICE ACKNOWLEDGE is counted. */
int isdn_span_service(struct isdn_span *s, unsigned channel, unsigned status);

struct isdn_span_info {
	unsigned id;
	bool t1, network, up;
	enum isdn_switch sw;
	unsigned dchan_ts;
	uint64_t up_count, down_count; /* D channel transitions */
	uint64_t rx_frames, tx_frames;
	uint64_t calls_in, calls_out, restarts_sent, restart_acks, restarts_rcvd;
	uint64_t services_sent, service_acks, services_rcvd;
	uint64_t glares;   /* user side: our SETUPs whose channel the network's took (Q.931 5.7) */
	bool service_msgs; /* the switch type has SERVICE messages (NI-2, 4ESS, 5ESS) */
	enum isdn_chan_state ch[ISDN_MAX_CHAN];
};
int isdn_span_info(const struct isdn_span *s, struct isdn_span_info *out);
/* Each span in id order; cb may not create or free spans. */
void isdn_span_foreach(void (*cb)(struct isdn_span *s, void *priv), void *priv);

/* Outgoing call: SETUP on span s, channel (0: any idle) with the called
 * and calling numbers (digits; plan and the calling number's presentation
 * / screening as in isdn_setup_info). NULL with
 * *cause set (34: no channel, 38: D channel down) when it cannot go. */
struct isdn_call *isdn_call_place(struct isdn_span *s, unsigned channel, const char *called,
				  uint8_t called_plan, const char *calling, uint8_t calling_plan,
				  uint8_t calling_pres, uint8_t *cause);
int isdn_call_proceeding(struct isdn_call *c);
int isdn_call_progress(struct isdn_call *c, bool inband);
int isdn_call_alerting(struct isdn_call *c, bool inband);
int isdn_call_answer(struct isdn_call *c);
/* DISCONNECT with the cause (or RELEASE COMPLETE before any answer from
 * us); the call is gone for the owner after this returns. */
int isdn_call_release(struct isdn_call *c, uint8_t cause);
/* Maintenance: clear the call like isdn_call_release, and tell its owner
 * first (ops->released with the cause). */
int isdn_call_clear(struct isdn_call *c, uint8_t cause);
unsigned isdn_call_channel(const struct isdn_call *c);
/* The call on a B channel of the span, or NULL. */
struct isdn_call *isdn_span_call(struct isdn_span *s, unsigned channel);
unsigned isdn_call_span(const struct isdn_call *c);
void isdn_call_set_priv(struct isdn_call *c, void *priv);
void *isdn_call_priv(const struct isdn_call *c);

/* Timers of the PRI layer (as "timer pri TNNN"): T302, overlap receiving
 * (Q.931 5.2.4: from SETUP ACKNOWLEDGE / each INFORMATION to the next). */
extern struct osmo_tdef isdn_tdefs[];

/* VTY: "show pri spans", "pri restart span N [channel C]". */
void isdn_vty_init(void);
