/* Internals shared by the ISUP linkset (isup_link.c: receive dispatch and
 * circuit supervision) and its call state machine (isup_call_fsm.c). */
#pragma once

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>

#include "sigtran/isup_link.h"

struct osmo_fsm_inst;

/* A circuit supervision procedure waiting for its acknowledgement, with
 * the Q.764 pair of timers: repeat every short (T12, T14, T16, T18, T20,
 * T22) until long (T13, T15, T17, T19, T21, T23) has run once, then alert
 * maintenance and repeat every long. */
enum isup_proc_kind {
	ISUP_PROC_RSC,
	ISUP_PROC_GRS,
	ISUP_PROC_BLO,
	ISUP_PROC_UBL,
	ISUP_PROC_CGB,
	ISUP_PROC_CGU,
	_ISUP_PROC_N,
};

struct isup_proc {
	struct llist_head list;
	struct isup_link *l;
	enum isup_proc_kind kind;
	unsigned cic, n; /* first CIC and number of circuits */
	bool hardware;	 /* CGB/CGU: hardware failure oriented */
	uint8_t status[4];
	bool long_phase;
	unsigned repeats;
	struct osmo_timer_list timer;
	struct osmo_timer_list long_timer;
};

struct isup_link {
	struct isup_link_cfg cfg;
	char name[32];
	struct isup_cic_table *cics;
	isup_tx_cb tx;
	void *tx_priv;
	const struct isup_call_ops *ops;
	void *ops_priv;
	bool up;
	struct isup_link_stats st;
	struct osmo_tdef *T;
	struct llist_head calls;
	struct llist_head procs;
};

enum isup_call_state {
	ISUP_CALL_S_IN_COLLECT,	  /* overlap: waiting for SAMs (T35) */
	ISUP_CALL_S_IN_COT,	  /* continuity check required: waiting for COT (T8) */
	ISUP_CALL_S_IN_SETUP,	  /* IAM given to the owner: waiting for ACM/CON/REL */
	ISUP_CALL_S_IN_ALERTING,  /* ACM sent: waiting for ANM or REL */
	ISUP_CALL_S_OUT_WAIT_ACM, /* IAM sent (T7) */
	ISUP_CALL_S_OUT_ALERTING, /* ACM received (T9 when configured) */
	ISUP_CALL_S_ANSWERED,
	ISUP_CALL_S_RELEASING, /* REL sent: waiting for RLC (T1, T5) */
};

enum isup_call_event {
	ISUP_CALL_E_RX_SAM,
	ISUP_CALL_E_RX_COT,
	ISUP_CALL_E_RX_ACM,
	ISUP_CALL_E_RX_CPG,
	ISUP_CALL_E_RX_ANM,
	ISUP_CALL_E_RX_CON,
	ISUP_CALL_E_RX_REL,
	ISUP_CALL_E_RX_RLC,
	ISUP_CALL_E_RX_SUS,
	ISUP_CALL_E_RX_RES,
	ISUP_CALL_E_TX_ACM,
	ISUP_CALL_E_TX_CPG,
	ISUP_CALL_E_TX_ANM,
	ISUP_CALL_E_TX_CON,
	ISUP_CALL_E_TX_REL,
	ISUP_CALL_E_RESET, /* the circuit was reset or blocked under the call */
};

struct isup_call {
	struct llist_head list;
	struct isup_link *l;
	struct isup_cic *cc;
	unsigned cic;
	struct osmo_fsm_inst *fi;
	const struct isup_call_ops *ops;
	void *u;
	bool incoming;
	bool owner_gone;   /* the owner released or was told of the release */
	bool repeat;	   /* lost a dual seizure: try again on another circuit */
	bool echo_control; /* an echo canceller works on this circuit (NoCI, BCI) */
	bool cot_looped;   /* the owner looped the circuit for the far end's check (2.1.8) */
	/* an outgoing call's IAM (kept for a repeat after a dual seizure) or
	 * an incoming call's numbers: never both (signalling memory per call,
	 * issue 13) */
	union {
		struct isup_call_spec spec; /* outgoing */
		struct {		    /* incoming */
			struct isup_number called, calling;
			bool have_calling;
		};
	};
	uint8_t rel_cause, rel_loc; /* of the REL we send (and repeat on T1) */
	struct osmo_timer_list t5, t6;
	uint8_t *iam; /* incoming: the IAM as received, talloc'd at its size */
	size_t iam_len;
	/* isup_call_backward(): the parameters the next TX_ACM/CPG/ANM/CON
	 * sends (set only while that event is dispatched) */
	const struct isup_msg *tx_from;
	/* isup_call_set_rel_cause(): cause indicators as coded, diagnostics
	 * included, for a release with the same value and location */
	uint8_t rel_raw[32];
	uint8_t rel_raw_len;
	/* isup_call_set_rel_redirection(): the redirection number (Q.763
	 * 3.46, coded) and redirection information (3.45) our REL carries */
	uint8_t rel_rn[20];
	uint8_t rel_rn_len;
	uint8_t rel_ri[2];
};

#define ISUP_CALL_IAM_MAX 272

/* isup_link.c */
int isup_link_send(struct isup_link *l, const struct isup_msg *m);
/* send a message with no parameters (RLC, RSC, BLO, BLA, ...) */
int isup_link_send_simple(struct isup_link *l, uint8_t type, unsigned cic);
unsigned long isup_link_T(const struct isup_link *l, int T);
void isup_link_circuit_idle(struct isup_link *l, struct isup_cic *cc);

/* isup_call_fsm.c */
struct isup_call *isup_call_alloc(struct isup_link *l, struct isup_cic *cc, bool incoming);
/* an IAM arrived on an idle (or just yielded) circuit */
void isup_call_rx_iam(struct isup_link *l, struct isup_cic *cc, const struct isup_msg *m,
		      const uint8_t *buf, size_t len);
/* a call message for the circuit's call; false when it was unexpected */
bool isup_call_rx(struct isup_call *c, const struct isup_msg *m);
/* the circuit was reset (RSC/GRS received) or blocked: end the call without RLC */
void isup_call_reset(struct isup_call *c, uint8_t cause);
/* we lost a dual seizure: re-attempt our call on another circuit */
void isup_call_glare_yield(struct isup_call *c);
