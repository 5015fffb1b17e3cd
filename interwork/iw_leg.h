/* The circuit leg of an interworking call: the TDM side, with its own call
 * control. ISUP (iw_leg_isup.c) implements it now, Q.931 (PRI) next; the
 * call (iw_call.c) speaks only this interface toward the circuit.
 *
 * Down (call -> leg): the ops below (progress, answer, release with a Q.850
 * cause, DTMF, media attach) and, for an outgoing call, the class's seize.
 * Up (leg -> call): iw_leg_incoming() for a new call from the circuit, then
 * iw_leg_event() for what the far exchange or PBX does.
 *
 * Numbers and the outgoing setup are in Q.763 terms (struct isup_number:
 * nature of address, numbering plan, presentation; struct isup_call_spec):
 * ISUP uses them as they are, a Q.931 leg maps them to its type of number,
 * numbering plan and presentation (Q.931 4.5.8, 4.5.10).
 *
 * Lifetime: a leg is talloc'd under its call (an incoming leg is moved under
 * the call by iw_leg_incoming()). After ops->release() returns, and after
 * an IW_LEG_EV_RELEASE event has been handled, the leg is gone: the call
 * drops its pointer and hears nothing more of it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sigtran/isup_link.h"
#include "sigtran/isup_msg.h"

struct iw;
struct iw_call;
struct iw_leg;

/* A group of circuits a route names: an ISUP linkset, a PRI span. */
struct iw_leg_group_info {
	const char *name;
	bool up;		     /* its signalling works: calls can go out */
	unsigned max_calls, max_cps; /* admission limits (iw_admit.c), 0: none */
};

/* A kind of circuit leg (ISUP, PRI): finding groups and seizing circuits.
 * A route's target names are tried against each class in turn. */
struct iw_leg_class {
	const char *kind; /* "ISUP", "PRI": for logs and show calls */
	/* The group named (NULL or "": the first one), or NULL when this
	 * class has none of that name. */
	const void *(*group_find)(const char *name);
	void (*group_info)(const void *group, struct iw_leg_group_info *out);
	/* Outgoing: seize a free circuit of the group and send the setup
	 * (IAM, SETUP). The new leg (talloc'd under c), or NULL when no
	 * circuit is free (the call tries the next group; cause 34). */
	struct iw_leg *(*seize)(struct iw_call *c, const void *group,
				const struct isup_call_spec *spec);
};

/* Call -> leg. Every op returns 0 or -errno unless it says otherwise. */
struct iw_leg_ops {
	/* Incoming call: the called side progresses. First time: ACM / ALERTING
	 * or PROGRESS (alerting: the called party is free and alerted; inband:
	 * in-band information, i.e. a tone or announcement, is on the bearer);
	 * later: CPG / PROGRESS with that event (Q.763 3.21). */
	int (*progress)(struct iw_leg *leg, bool alerting, bool inband);
	/* Incoming call: answered (ANM after progress, else CON; CONNECT). */
	int (*answer)(struct iw_leg *leg);
	/* Incoming call: a backward ISUP message received encapsulated in
	 * SIP-I (ACM, CPG, ANM, CON; Q.1912.5 profile C) goes to the circuit
	 * with its own parameters instead of the ones progress/answer would
	 * pick. Optional (a leg that does not speak ISUP has none); -EINVAL
	 * when the message does not fit the leg's state: the call then uses
	 * progress/answer. */
	int (*backward)(struct iw_leg *leg, const struct isup_msg *m);
	/* The coded cause (Q.763 3.12, diagnostics included) of an ISUP REL
	 * received encapsulated: the release that follows with the same cause
	 * value and location carries it as it came. Optional. */
	void (*release_detail)(struct iw_leg *leg, const uint8_t *ci, size_t len);
	/* The release that follows sends the caller's exchange to another
	 * number (ISUP REL with cause 23: redirection number, Q.763 3.46, and
	 * redirection information, 3.45). Optional; -ENOTSUP where the
	 * protocol or variant carries neither (ANSI, PRI). */
	int (*release_redirect)(struct iw_leg *leg, const struct isup_number *rn,
				const uint8_t ri[2]);
	/* Release toward the circuit with a Q.850 cause and location
	 * (ISUP_LOC_*): REL, DISCONNECT. The leg is gone when this returns. */
	void (*release)(struct iw_leg *leg, uint8_t cause, uint8_t location);
	/* A digit toward the circuit out of band (Q.931 KEYPAD / INFO).
	 * NULL: digits travel in-band, the media channel plays them. */
	int (*dtmf)(struct iw_leg *leg, char digit, unsigned ms);
	/* The media channel is on the bearer (on) or left it. Optional (ISUP
	 * has nothing to say; a PRI leg may connect the B channel through). */
	void (*media_attach)(struct iw_leg *leg, bool on);
	/* Incoming call: our echo canceller works on the bearer (ISUP: BCI
	 * bit N in ACM/CON, Q.763 3.5). Optional. */
	void (*echo_control)(struct iw_leg *leg, bool on);
	/* The leg's signalling path is up (Q.764 2.13: calls are held while
	 * the route is paused; iw_call ends them after ss7-outage-hold). */
	bool (*signalling_up)(const struct iw_leg *leg);
	/* The protocol's own state name, for logs. */
	const char *(*state_name)(const struct iw_leg *leg);
	/* Bytes of signalling state the leg holds (show memory). */
	size_t (*mem)(const struct iw_leg *leg);
};

struct iw_leg {
	const struct iw_leg_ops *ops;
	const struct iw_leg_class *cls;
	struct iw_call *call; /* the owner */
	const void *group;    /* the group it belongs to (cls->group_find) */
	char group_name[32];  /* linkset or span name */
	unsigned cic;	      /* circuit identification: ISUP CIC, PRI channel */
	int span;	      /* the bearer: span and timeslot; span < 0: not known yet */
	unsigned ts;
	bool incoming;
	/* ISUP only: the variant its messages are coded in, so that SIP-I /
	 * SIP-T bodies can carry them; -1 for a leg that does not speak ISUP
	 * (a SIP-I trunk then carries SDP alone). */
	int isup_variant;
	void *priv; /* the implementation's own call (struct isup_call ...) */
};

/* Leg -> call: a new call from the circuit (after the complete address). */
struct iw_leg_in {
	const struct isup_number *called;
	const struct isup_number *calling; /* NULL: none */
	/* Max-Forwards for the INVITE from the hop counter (Q.764 2.14):
	 * 0 none given (70), < 0 spent (a loop: cause 25) */
	int hops;
	/* the preceding exchange put an echo control device in the
	 * connection and the group defers to it (NoCI bit E, Q.763 3.35) */
	bool far_echo_control;
	/* the setup message as received when the leg speaks ISUP (the IAM:
	 * SIP-I bodies, Diversion / History-Info), else NULL */
	const struct isup_msg *isup;
};

/* Leg -> call: what happened on the circuit. */
enum iw_leg_ev_type {
	IW_LEG_EV_PROGRESS, /* outgoing: ACM / CPG, ALERTING / PROGRESS */
	IW_LEG_EV_ANSWER,   /* outgoing: ANM / CON, CONNECT */
	IW_LEG_EV_RELEASE,  /* either way: REL, DISCONNECT, or failed here (T7, reset...) */
	IW_LEG_EV_BEARER,   /* the bearer (span, ts) is known or moved */
	IW_LEG_EV_DTMF,	    /* a digit out of band (Q.931 KEYPAD) */
	IW_LEG_EV_SUSPEND,  /* network suspend / resume of an answered call */
	_NUM_IW_LEG_EV
};

struct iw_leg_ev {
	enum iw_leg_ev_type type;
	bool alerting;	       /* PROGRESS: the called party is free and alerted */
	bool inband;	       /* PROGRESS: in-band information on the bearer */
	bool far_echo_control; /* PROGRESS, ANSWER: the called side cancels echo */
	uint8_t cause;	       /* RELEASE: Q.850 cause and location */
	uint8_t location;
	char digit; /* DTMF */
	unsigned ms;
	bool suspended; /* SUSPEND: true suspended, false resumed */
	/* the ISUP message behind the event when there is one (SIP-I bodies) */
	const struct isup_msg *isup;
};

/* Implemented by the call (iw_call.c). */
void iw_leg_incoming(struct iw *iw, struct iw_leg *leg, const struct iw_leg_in *in);
void iw_leg_event(struct iw_leg *leg, const struct iw_leg_ev *ev);

/* The classes a route's circuit targets are looked up in, NULL-terminated
 * (iw_leg.c). */
extern const struct iw_leg_class *const iw_leg_classes[];
/* The group a route names, over all classes; NULL when none has it. */
const void *iw_leg_group_find(const char *name, const struct iw_leg_class **cls);

/* ISUP (iw_leg_isup.c). */
extern const struct iw_leg_class iw_leg_isup_class;
