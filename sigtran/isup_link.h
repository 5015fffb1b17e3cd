/* An ISUP linkset (Q.764): the circuits toward one adjacent exchange (one
 * OPC/DPC pair, one variant), circuit supervision (reset, blocking, group
 * procedures, circuit query, unequipped circuits, confusion) and call
 * control, one osmo_fsm per call. Transport-agnostic: messages leave through
 * a tx callback (M3UA MTP-TRANSFER in the daemon, a capture in unit tests)
 * and arrive through isup_link_rx(). The interworking layer drives calls
 * through the isup_call_* functions and hears of them through
 * struct isup_call_ops. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigtran/isup_cic.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_param.h"

#include <osmocom/core/tdef.h>
struct isup_link;
struct isup_call;

/* Q.764 timers (Annex A), seconds; configurable per linkset ("timer isup"). */
extern struct osmo_tdef isup_tdefs[];

struct isup_link_cfg {
	const char *name;
	enum isup_variant variant;
	uint32_t opc, dpc;
	uint8_t ni; /* network indicator for the SIO: 0 international, 2 national */
	enum isup_glare_rule glare;
	bool grs_on_up;		 /* Q.764 2.9.3.1: reset every circuit when the link comes up */
	bool overlap;		 /* accept overlap signalling (SAM) until ST or T35 */
	struct osmo_tdef *tdefs; /* NULL: isup_tdefs */
	/* admission limits the call owner applies (0: none): calls at once,
	 * new calls per second */
	unsigned max_calls, max_cps;
	/* Q.764 2.7: when the other exchange says an echo control device is
	 * in the connection (IAM NoCI bit E, ACM/CON BCI bit N), the call
	 * owner switches its own canceller off for the call */
	bool echo_defer;
};

/* The message to send: ISUP bytes from the CIC on, and the routing label. */
typedef int (*isup_tx_cb)(void *priv, uint32_t opc, uint32_t dpc, uint8_t ni, uint8_t sls,
			  const uint8_t *buf, size_t len);

/* What a call tells its owner. The owner answers with isup_call_* calls. */
struct isup_call_ops {
	/* incoming: a complete IAM (after SAMs and a required continuity check):
	 * the owner calls isup_call_set_user() and then acm/anm/release */
	void (*setup)(void *priv, struct isup_call *c, const struct isup_msg *iam,
		      const struct isup_number *called, const struct isup_number *calling);
	/* outgoing: ACM (alerting true when the called party is free and
	 * alerting), CPG (event information in m) */
	void (*progress)(void *u, struct isup_call *c, const struct isup_msg *m, bool alerting);
	/* outgoing: ANM or CON */
	void (*answer)(void *u, struct isup_call *c, const struct isup_msg *m);
	/* the far end released (REL; RLC is sent already), or the call failed
	 * here (T7, T9, circuit reset or blocked, no COT): cause says why; m
	 * is the REL or NULL. The call is gone after this returns. */
	void (*release)(void *u, struct isup_call *c, const struct isup_cause *cause,
			const struct isup_msg *m);
	/* network suspend (SUS) / resume (RES) of an answered call */
	void (*suspend)(void *u, struct isup_call *c, bool suspended);
	/* Continuity check on this circuit (Q.764 2.1.8): loop the timeslot back
	 * (on) for the far end's check, or stop (off). Optional. */
	void (*cot_loop)(void *priv, unsigned cic, int span, unsigned ts, bool on);
};

struct isup_link_stats {
	uint64_t rx[256], tx[256]; /* per message type */
	uint64_t rx_bad, rx_unknown_cic, rx_unexpected, calls_in, calls_out, glare, glare_lost;
};

struct isup_link *isup_link_alloc(void *ctx, const struct isup_link_cfg *cfg, isup_tx_cb tx,
				  void *tx_priv, const struct isup_call_ops *ops, void *ops_priv);
void isup_link_free(struct isup_link *l);
struct isup_cic_table *isup_link_cics(struct isup_link *l);
const struct isup_link_cfg *isup_link_cfg(const struct isup_link *l);
const struct isup_link_stats *isup_link_stats(const struct isup_link *l);
bool isup_link_is_up(const struct isup_link *l);
/* Our maintenance procedures awaiting their answer, per kind: a circuit
 * the far end reset (its GRS) shows idle while our own GRS on it still waits
 * for its GRA, and a new reset of it is refused until then. */
struct isup_link_pending {
	unsigned rsc, grs, blo, ubl, cgb, cgu;
};
void isup_link_pending(const struct isup_link *l, struct isup_link_pending *out);

/* MTP-RESUME / MTP-PAUSE for the DPC (M3UA ASP active and DAVA / DUNA). */
void isup_link_up(struct isup_link *l);
void isup_link_down(struct isup_link *l);
/* MTP-TRANSFER indication: one ISUP message (from the CIC on). */
void isup_link_rx(struct isup_link *l, uint32_t opc, const uint8_t *buf, size_t len);

/* Circuit supervision (VTY, tests). 0 or -errno (-ENOENT no such CIC,
 * -ERANGE group too large, -EBUSY a procedure is pending). */
int isup_link_reset(struct isup_link *l, unsigned cic);			  /* RSC */
int isup_link_group_reset(struct isup_link *l, unsigned cic, unsigned n); /* GRS */
int isup_link_block(struct isup_link *l, unsigned cic, bool block);	  /* BLO / UBL */
int isup_link_group_block(struct isup_link *l, unsigned cic, unsigned n, bool block,
			  bool hardware);			    /* CGB / CGU */
int isup_link_query(struct isup_link *l, unsigned cic, unsigned n); /* CQM */

/* --- calls --- */

/* the most octets of carried-on optional parameters an IAM takes */
#define ISUP_CALL_EXTRA_MAX 96

struct isup_call_spec {
	struct isup_number called, calling;
	bool have_calling;
	uint8_t cpc; /* calling party's category (Q.763 3.11; 10 ordinary subscriber) */
	uint8_t tmr; /* transmission medium requirement (0 speech, 3 3.1 kHz audio) */
	bool isdn_all_the_way;
	bool echo_control; /* the gateway cancels echo on the circuit (NoCI bit E) */
	/* a diverted call (Q.763 3.44, 3.39, 3.45): redirecting number,
	 * original called number, redirection information (2 octets) */
	bool have_redirecting, have_ocn;
	struct isup_number redirecting, ocn;
	uint8_t redirection_info[2];
	int except_cic; /* do not seize this CIC (-1: none) */
	/* number portability (Q.769.1): the called number went through a
	 * portability query (FCI bit L "number translated") */
	bool number_translated;
	/* Q.763 3.80 / Q.764 2.14: hop counter (1..31; 0: parameter absent) */
	uint8_t hop_counter;
	/* optional parameters carried on as they came (Q.764 2.9.5.3: ones
	 * tandem does not recognise, from a SIP-I IAM): code, length, value
	 * triples, appended to the IAM's optional part (at most
	 * ISUP_CALL_EXTRA_MAX octets; isup_call_out keeps its own copy, so
	 * that only a call that carries some pays for them) */
	uint8_t extra_len;
	uint8_t extra_variant; /* enum isup_variant they are coded in: another linkset drops them */
	const uint8_t *extra;
};

/* Seize a circuit and send IAM. NULL when no circuit is free (-> cause 34). */
struct isup_call *isup_call_out(struct isup_link *l, const struct isup_call_spec *spec,
				const struct isup_call_ops *ops, void *u);
void isup_call_set_user(struct isup_call *c, void *u);
/* Incoming: an echo canceller works on the circuit (BCI bit N in ACM/CON). */
void isup_call_set_echo_control(struct isup_call *c, bool on);
/* Incoming: ACM (alerting: subscriber free, else no indication), CPG with
 * an event (Q.763 3.21: 1 alerting, 2 progress, 3 in-band info), ANM after
 * ACM, or CON instead of ACM+ANM. */
int isup_call_acm(struct isup_call *c, bool alerting, bool inband);
int isup_call_cpg(struct isup_call *c, uint8_t event);
int isup_call_anm(struct isup_call *c);
int isup_call_con(struct isup_call *c);
/* Incoming: the backward message m (ACM, CPG, ANM, CON) with the
 * parameters it carries, as one received encapsulated in SIP-I (Q.1912.5
 * profile C) gives them: its backward call indicators, optional backward
 * call indicators, event information and whatever else it holds go out
 * under our CIC; BCI bit N still says whether our echo canceller works.
 * m's values must be coded in the linkset's variant. -EINVAL when m's type
 * is not one of these four or does not fit the call's state (ACM and CON
 * before anything else went back, CPG and ANM after the ACM), so that the
 * caller can fall back on the calls above. */
int isup_call_backward(struct isup_call *c, const struct isup_msg *m);
/* Either side: the cause indicators (Q.763 3.12 as coded: location,
 * value, diagnostics) the REL is to carry when the release comes with the
 * same cause value and location, so that the diagnostics of a REL received
 * encapsulated (SIP-I, Q.1912.5) go on; a release with another cause
 * ignores them. 0, or -EINVAL (length outside 2..32, not decodable). */
int isup_call_set_rel_cause(struct isup_call *c, const uint8_t *ci, size_t len);
/* ITU only (Q.763 table 33 lists both in REL): the REL that follows
 * carries the redirection number rn (3.46) and the redirection
 * information ri (3.45), e.g. with cause 23 "redirection to new
 * destination" so that the preceding exchange reroutes the call.
 * -EINVAL when the number does not code, -ENOTSUP on an ANSI link. */
int isup_call_set_rel_redirection(struct isup_call *c, const struct isup_number *rn,
				  const uint8_t ri[2]);
/* Either side: release with a Q.850 cause (REL; the RLC, T1 and T5 are the
 * link's business from here). The owner hears nothing more of this call. */
int isup_call_release(struct isup_call *c, uint8_t cause);
/* The same with the Q.850 location of the cause (ISUP_LOC_*);
 * isup_call_release() says "network beyond interworking point". */
int isup_call_release_loc(struct isup_call *c, uint8_t cause, uint8_t location);

unsigned isup_call_cic(const struct isup_call *c);
int isup_call_span(const struct isup_call *c);
unsigned isup_call_timeslot(const struct isup_call *c);
bool isup_call_incoming(const struct isup_call *c);
const char *isup_call_state_name(const struct isup_call *c);
struct isup_link *isup_call_link(const struct isup_call *c);
