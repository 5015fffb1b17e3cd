/* Inside the interworking call: the structures and the functions the call's
 * files share (iw_call.c life cycle, iw_call_to_sip.c, iw_call_to_circuit.c,
 * iw_call_media.c, iw_call_sipi.c, iw_redirect.c, iw_admit.c,
 * iw_leg_isup.c). Not for use outside interwork/. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/hashtable.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/tdef.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/tstr.h"
#include "interwork/iw_call.h"
#include "interwork/iw_leg.h"
#include "media/media.h"
#include "sip/sdp.h"
#include "sip/sip_ua.h"

struct sip_msg;
struct sip_body;
struct isup_msg;

#define LOGCALL(c, lvl, fmt, args...)                                   \
	LOGP(DIW, lvl, "call %u (CIC %u, %s): " fmt, (c)->id, (c)->cic, \
	     (c)->leg ? sip_leg_call_id((c)->leg) : "-", ##args)

#define IW_MAX_COT	  32
#define IW_MAX_GROUPS	  32
#define IW_SDP_MAX	  2048 /* largest SDP we build (a few codecs, one media line) */
#define IW_CALL_HASH_BITS 12

/* what a circuit group (linkset, PRI span) carries now, for its limits */
struct iw_group_load {
	const void *group;
	unsigned calls, cps_count;
	uint64_t cps_window_ms;
};

/* a circuit looped back for the far end's continuity check */
struct iw_cot {
	bool in_use;
	unsigned cic;
	int span;
	uint32_t chan;
};

struct iw {
	void *ctx;
	struct iw_cfg cfg;
	struct media_engine *media;
	struct sip_ua *ua;
	iw_route_cb route;
	void *route_priv;
	struct loop *loop;
	struct iw_enum *en;
	struct iw_cot cot[IW_MAX_COT];
	struct iw_group_load groups[IW_MAX_GROUPS];
	struct loop_timer stats_timer; /* asks the workers for the calls' media figures */
	struct iw_call *stats_next;    /* the call it asks next (NULL: the list's first) */
	struct llist_head calls;
	/* calls by media channel id: the workers' events (stats every 2 s for
	 * each call, RTP timeouts, digits) find their call without a scan */
	DECLARE_HASHTABLE(by_chan, IW_CALL_HASH_BITS);
	/* calls by call id (iw_call_find) */
	DECLARE_HASHTABLE(by_id, IW_CALL_HASH_BITS);
	/* calls by SIP Call-ID and by circuit (linkset, CIC): what a captured
	 * message is matched by (iw_call_index.c) */
	DECLARE_HASHTABLE(by_call_id, IW_CALL_HASH_BITS);
	DECLARE_HASHTABLE(by_cic, IW_CALL_HASH_BITS);
	unsigned next_id;
	struct iw_stats st;
};

/* The call's states (iw_call.c has the table: allowed events and next
 * states per state). */
enum iw_call_state {
	IW_CALL_S_ROUTING,   /* new: checks, route lookup */
	IW_CALL_S_ENUM,	     /* ISUP -> SIP: ENUM lookup under its budget (timer X1) */
	IW_CALL_S_SETUP,     /* INVITE or IAM out, nothing back yet */
	IW_CALL_S_EARLY,     /* alerting / progress (early media) */
	IW_CALL_S_ACTIVE,    /* answered */
	IW_CALL_S_FAIL_TONE, /* busy / congestion tone toward TDM, then REL (timer X2) */
	IW_CALL_S_CLEARING,  /* one side is gone, the other finishing */
};

/* The call's events: what the SIP leg, the circuit leg, the ENUM resolver
 * and the operator do to it (event data: struct iw_call_ev). */
enum iw_call_event {
	IW_CALL_E_SIP_PROGRESS,	    /* 18x to our INVITE */
	IW_CALL_E_SIP_ANSWER,	    /* 200 to our INVITE */
	IW_CALL_E_SIP_FAILED,	    /* a final error to our INVITE */
	IW_CALL_E_SIP_BYE,	    /* BYE, or CANCEL of the caller's INVITE */
	IW_CALL_E_SIP_EXPIRED,	    /* the session timer ran out (RFC 4028) */
	IW_CALL_E_SIP_GONE,	    /* the SIP dialog is over */
	IW_CALL_E_CIRCUIT_PROGRESS, /* ACM / CPG, ALERTING / PROGRESS */
	IW_CALL_E_CIRCUIT_ANSWER,   /* ANM / CON, CONNECT */
	IW_CALL_E_CIRCUIT_RELEASE,  /* REL, DISCONNECT, or the circuit failed */
	IW_CALL_E_ENUM_DONE,	    /* the ENUM lookup answered */
	IW_CALL_E_END,		    /* end both sides with a cause (operator, media, limits) */
};

struct iw_enum_result;
struct iw_call_ev {
	const struct sip_msg *msg;   /* SIP events */
	unsigned status;	     /* SIP_FAILED */
	const struct iw_leg_ev *lev; /* circuit events */
	uint8_t cause;		     /* END */
	int enum_status;	     /* ENUM_DONE */
	const struct iw_enum_result *enum_res;
};

typedef char iw_alt_name[32]; /* a trunk or group name (route advance) */

struct iw_call {
	struct llist_head list;
	struct hlist_node chan_node;	/* in iw->by_chan while have_chan */
	struct hlist_node id_node;	/* in iw->by_id */
	struct hlist_node call_id_node; /* in iw->by_call_id while call_id is set */
	struct hlist_node cic_node;	/* in iw->by_cic once a circuit leg is attached */
	struct iw *iw;
	struct osmo_fsm_inst *fi;
	unsigned id;
	bool from_isup;	      /* from the circuit side (ISUP or PRI) toward SIP */
	struct iw_leg *cleg;  /* the circuit leg (NULL: none yet, or it is over) */
	int isup_variant;     /* the circuit leg's ISUP variant, -1: not ISUP */
	const char *kind;     /* the circuit leg's kind: "ISUP" (also before any leg), "PRI" */
	bool circuit_counted; /* the first circuit leg counted in iw_stats (pri_to_sip ...) */
	unsigned cic;
	const void *group; /* the circuit leg's group (linkset) */
	struct sip_leg *leg;
	struct sip_trunk *trunk;
	char trunk_name[32];
	char linkset[32];
	const char *call_id; /* talloc'd at its size (iw_call_set_call_id), "" none */
	char called[48], calling[48];
	bool calling_restricted;
	bool calling_asserted; /* from P-Asserted-Identity */
	unsigned max_forwards; /* ISUP -> SIP: from the IAM's hop counter (0: 70) */
	/* media */
	uint32_t chan;
	bool have_chan, media_up, tone_on;
	bool chan_left; /* the channel went with the circuit (circuit_left) */
	int span;
	unsigned ts;
	struct sdp_prefs prefs;
	struct sdp_local local;
	char local_addr[INET6_ADDRSTRLEN]; /* inet_ntop() of the channel's address */
	struct sdp_agreed agreed;
	bool agreed_ok;
	/* our offer (ISUP -> SIP) or answer (SIP -> ISUP), talloc'd at its size */
	char *sdp;
	int sdp_len;
	bool acm_sent; /* progress went toward the circuit */
	time_t start;
	struct sip_trunk *counted_trunk;    /* holds one of the trunk's calls */
	struct iw_group_load *counted_link; /* and one of the group's */
	unsigned attempts;		    /* targets tried (route advance) */
	int sip_status;			    /* CDR: final status on the SIP side (200 answered) */
	struct isup_call_spec *spec;	    /* SIP -> ISUP: the IAM, for the next linkset */
	/* SIP -> ISUP: the caller's SDP offer, kept for route advance until
	 * the call is answered (talloc'd at its size, then freed) */
	char *offer;
	size_t offer_len;
	/* SIP -> ISUP: the INVITE had no offer (delayed offer): ours goes in the
	 * 200, the answer comes in the ACK (RFC 3261 13.2.1, RFC 3264 5) */
	bool delayed_offer;
	bool offer_sent; /* ... and it went (in a reliable 18x or the 200) */
	/* ISUP -> SIP toward a trunk with "offer delayed": our INVITE had no
	 * SDP; the trunk's offer comes in the 200 or a reliable 18x, our answer
	 * goes in the ACK or PRACK (iw_call_to_sip.c) */
	bool out_delayed;
	/* for the CDR line */
	int cause;	   /* Q.850 cause of the release, 0: none yet */
	uint8_t cause_loc; /* its Q.850 location in a REL toward ISUP */
	struct timespec t_start;
	struct timespec t_answer; /* CLOCK_REALTIME; tv_sec 0: not answered */
	const char *rel_side;	  /* who released first: "isup", "sip" (NULL: we did) */
	/* the trunk's max-call-duration, from the answer */
	struct loop_timer dur_timer;
	uint64_t ss7_down_since_ms; /* its signalling route down since (monotonic ms; 0: up) */
	/* route advance: the trunks or linksets still to try, and what the
	 * INVITE carried */
	iw_alt_name *alt; /* IW_ROUTE_ALT_MAX of them, talloc'd; freed once answered */
	unsigned n_alt, next_alt;
	char number[48];
	char *ruri_sent; /* talloc'd */
	bool ruri_fixed; /* from ENUM: keep it on the next trunk */
	/* 3xx follow (iw_call_to_sip.c, RFC 3261 8.1.3.4): the Contacts
	 * admitted and not tried yet (q order), every URI tried (no loop),
	 * how many the first redirecting trunk allows, and the Diversion /
	 * History-Info line of the redirection for the next INVITE; all
	 * talloc'd under the call */
	char **redir_todo, **redir_tried;
	unsigned n_redir_todo, n_redir_tried, redirects, redir_max;
	char *redir_hdr;
	/* SIP -> ISUP: the calling party came in a SIP-I IAM (kept as it is);
	 * a diverted call's numbers (E.164), written per linkset */
	bool calling_from_sipi;
	/* one direction's numbers or the other's (signalling memory per call,
	 * issue 13): only SIP -> ISUP calls write and read the first, only
	 * ISUP -> SIP calls enum_number */
	union {
		struct {
			char redir_e164[48], ocn_e164[48];
			char np_rn[48]; /* RFC 4694 routing number of the Request-URI, "" none */
		};
		char enum_number[48]; /* ISUP -> SIP: the number ENUM is asked about */
	};
	/* the IAM as received, for a SIP-I/SIP-T INVITE body and the
	 * redirection headers; talloc'd at its size, freed once answered */
	uint8_t *iam;
	int iam_len;
	/* ENUM lookup before the INVITE */
	bool enum_pending;
	struct sip_trunk *enum_trunk;
	/* the other exchange cancels echo on this call (echo-control network) */
	bool ec_off;
	/* the channel's last figures (MEDIA_EV_STATS), for show calls */
	struct media_chan_stats mst;
	bool have_mst;
	struct iw_refer *refer; /* a transfer by REFER in progress (iw_refer.c) */
	/* attended transfer (REFER with Replaces, iw_refer.c): the call whose
	 * circuit this one's is connected to, both SIP legs gone; the end of
	 * one circuit releases the other */
	struct iw_call *joined;
};

/* --- iw_call.c: life cycle --- */
extern struct osmo_tdef iw_call_tdefs[];
struct iw_call *iw_call_alloc(struct iw *iw, bool from_isup);
/* The circuit side's name in lower case ("isup", "pri") and the call's
 * direction for the CDR ("isup-sip", "sip-pri", ...). */
const char *iw_call_circuit(const struct iw_call *c);
const char *iw_call_dir(const struct iw_call *c);
/* A state change through the call FSM (refused and logged when the table
 * does not allow it); timers of the new state start here. */
int iw_call_state(struct iw_call *c, enum iw_call_state st);
enum iw_call_state iw_call_get_state(const struct iw_call *c);
void iw_call_maybe_free(struct iw_call *c);
/* The SIP leg's Call-ID, for the CDR and capture (a copy at its size). */
void iw_call_set_call_id(struct iw_call *c, const char *id);

/* iw_call_index.c: the Call-ID and circuit indexes (iw->by_call_id, by_cic) */
void iw_call_index_init(struct iw *iw);
void iw_call_index_call_id(struct iw_call *c);
void iw_call_index_cic(struct iw_call *c);
void iw_call_unindex(struct iw_call *c);
struct iw_call *iw_call_by_call_id(struct iw *iw, const char *call_id);
struct iw_call *iw_call_by_cic(struct iw *iw, const char *linkset, unsigned cic);
struct iw_call *iw_call_by_chan(struct iw *iw, uint32_t chan);
/* The circuit is left (REL sent or received): the leg and timeslot go. */
void iw_circuit_left(struct iw_call *c);
/* Release toward the circuit (when there is one) and leave it. */
void iw_circuit_release(struct iw_call *c, uint8_t cause, uint8_t location);
void iw_call_end(struct iw_call *c, uint8_t cause);
void iw_call_answered(struct iw_call *c);
void iw_reason_hdr(char *buf, size_t size, uint8_t cause);
unsigned iw_isup_to_sip(const struct iw *iw, uint8_t cause, uint8_t location);
/* Give the call an event (iw_call_ev data; NULL: none). The call may be
 * gone when this returns. */
void iw_call_dispatch(struct iw_call *c, enum iw_call_event e, const struct iw_call_ev *d);
/* the SIP leg's events both directions share (BYE, gone, session timer) */
void iw_sip_side_bye(void *u, struct sip_leg *leg, const struct sip_msg *bye);
void iw_sip_side_gone(void *u, struct sip_leg *leg);
void iw_sip_side_expired(void *u, struct sip_leg *leg);
/* The failure tone (tones-on-failure) is over: the REL. */
void iw_fail_tone_done(struct iw_call *c);
/* The CDR file's record of an attempt (iw_cdr.c): the call's last one
 * (final), or one the route advanced past, with its own status or cause. */
void iw_call_cdr_record(const struct iw_call *c, bool final, int sip_status, int cause, int loc);
/* the FSM's table, for the unit tests */
extern struct osmo_fsm iw_call_fsm;

/* --- iw_admit.c: call and rate limits --- */
/* Can this trunk take one more call now (up when probed, below its calls
 * at once and calls per second)? */
bool iw_admit_trunk(const struct sip_trunk *t);
/* Can this circuit group take one more call now (up, below its limits)?
 * *limited tells a limit stopped it (cause 42, not 34). */
bool iw_admit_group(struct iw *iw, const struct iw_leg_class *cls, const void *group,
		    bool *limited);
/* Only the limits (an incoming call: its group's signalling works). */
bool iw_group_over_limit(struct iw *iw, const struct iw_leg_class *cls, const void *group);
void iw_trunk_take(struct iw_call *c, struct sip_trunk *t);
void iw_group_take(struct iw_call *c, const void *group);
unsigned iw_max_attempts(const struct iw *iw);

/* --- iw_call_num.c: numbers per numbering context --- */
const struct iw_number_ctx *iw_group_num(const struct iw_call *c, const char *group);
const struct iw_number_ctx *iw_trunk_num(const struct iw_call *c);
int iw_isup_to_e164(const struct iw_number_ctx *num, const struct isup_number *n, char *out,
		    size_t size);
void iw_e164_to_isup(const struct iw_number_ctx *num, const char *e164, struct isup_number *n);
int iw_uri_to_e164(const struct iw_number_ctx *num, struct tstr uri, char *out, size_t size);

/* --- iw_call_media.c --- */
int iw_sdp_keep(struct iw_call *c, const char *buf, int n);
int iw_chan_open(struct iw_call *c);
void iw_chan_idle(struct iw_call *c);
void iw_prefs_for(struct iw_call *c, struct sip_trunk *t);
void iw_media_connect(struct iw_call *c);
void iw_tone(struct iw_call *c, const char *name);
bool iw_msg_sdp(const struct sip_msg *m, struct tstr *out);
void iw_rx_answer_sdp(struct iw_call *c, const struct sip_msg *rsp);
int iw_answer_offer(struct iw_call *c);
/* Delayed offer toward a trunk: the offer of a 200 or reliable 18x
 * answered (our answer kept as the call's SDP, the channel connected);
 * answer points at it. 0, or < 0 when the offer is unusable. */
int iw_answer_rx_offer(struct iw_call *c, const struct sip_msg *rsp, struct sip_body *answer);
/* Delayed offer: our SDP offer for a caller that sent none (RFC 3264 5). */
int iw_make_offer(struct iw_call *c);
int iw_media_move(struct iw_call *c);
/* A digit the circuit signalled out of band (Q.931 KEYPAD) toward SIP: as
 * SIP INFO when the trunk takes DTMF so, else RFC 4733 events when the
 * SIP side agreed telephone-event; dropped (logged) otherwise. */
void iw_media_dtmf_to_sip(struct iw_call *c, char digit, unsigned ms);
/* the SIP leg's offers (re-INVITE, UPDATE) and INFO digits */
unsigned iw_sip_side_offer(void *u, struct sip_leg *leg, const struct sip_msg *req,
			   struct sip_body *answer);
void iw_sip_side_info(void *u, struct sip_leg *leg, const struct sip_msg *req);
/* the ISUP continuity-check loop (Q.764 2.1.8) */
void iw_cot_loop(struct iw *iw, unsigned cic, int span, unsigned ts, bool on);

/* --- iw_call_sipi.c: SIP-I / SIP-T bodies --- */
bool iw_sipi_trunk(const struct iw_call *c);
int iw_sipi_body(const struct iw_call *c, const char *sdp, int sdp_len, const struct isup_msg *m,
		 char *buf, size_t size, char *ctype, size_t ctsize);
int iw_sipi_isup(const struct iw_call *c, const struct sip_msg *sm, struct isup_msg *m,
		 uint8_t *store, size_t size);
/* iw_sipi_isup() and the variant the body is coded in */
int iw_sipi_isup_var(const struct iw_call *c, const struct sip_msg *sm, struct isup_msg *m,
		     uint8_t *store, size_t size, enum isup_variant *v);
int iw_sipi_rel_cause(const struct iw_call *c, const struct sip_msg *sm, uint8_t *loc);
int iw_sipi_backward(struct iw_call *c, const struct sip_msg *sm, const char *what,
		     struct isup_msg *m, uint8_t *store, size_t size);
bool iw_sipi_to_circuit(struct iw_call *c, const struct sip_msg *sm, const char *what);

/* --- iw_redirect.c: Diversion / History-Info <-> ISUP redirection --- */
void iw_redirection_headers(const struct iw_call *c, const struct sip_trunk *t, const char *host,
			    char *out, size_t size);
void iw_diversion_to_isup(struct iw_call *c, const struct sip_msg *invite,
			  struct isup_call_spec *spec);
/* The Contacts of a 3xx (RFC 3261 8.1.3.4), each with a verdict: usable
 * ones first, highest q first (no q: 1.0; equal q keep their order),
 * then the others in message order. tried(priv, uri): the URI was tried
 * already (a loop); allowed(priv, u): its host is one we may send to (a
 * configured trunk), or for a tel: URI (RFC 3966) its number routes to a
 * trunk. Pure but for the callbacks; returns how many out
 * holds (at most max). */
struct sip_uri;
enum iw_redir_verdict {
	IW_REDIR_USE,
	IW_REDIR_NOT_SIP,  /* not a sip/sips URI, or a '*' */
	IW_REDIR_TRIED,	   /* a URI tried before */
	IW_REDIR_FOREIGN,  /* a host that belongs to no configured trunk */
	IW_REDIR_NO_ROUTE, /* a tel: URI whose number routes to no trunk */
};
struct iw_redir_target {
	char uri[256];
	int q; /* x1000 */
	enum iw_redir_verdict verdict;
};
unsigned iw_redir_targets(const struct sip_msg *rsp, bool (*tried)(void *priv, const char *uri),
			  bool (*allowed)(void *priv, const struct sip_uri *u), void *priv,
			  struct iw_redir_target *out, unsigned max);

/* --- iw_call_to_sip.c: circuit -> SIP (the SIP leg is our UAC) --- */
void iw_to_sip_progress(struct iw_call *c, const struct sip_msg *rsp);
void iw_to_sip_answered(struct iw_call *c, const struct sip_msg *rsp);
void iw_to_sip_failed(struct iw_call *c, unsigned status, const struct sip_msg *rsp);
void iw_to_sip_enum_done(struct iw_call *c, int status, const struct iw_enum_result *r);
void iw_to_sip_enum_budget(struct iw_call *c);

/* The configured trunk a SIP URI points at (host/domain and port), NULL:
 * none; 3xx Contacts and REFER targets go only there. */
struct sip_trunk *iw_uri_trunk(const struct sip_uri *u);

/* --- iw_refer.c: transfer by REFER (RFC 3515) --- */
unsigned iw_sip_side_refer(void *u, struct sip_leg *leg, const struct sip_msg *req,
			   const char *target);
/* The transferor's leg ended (BYE) while the target is tried: true when
 * that was it (the call waits for the target, RFC 5589 blind transfer). */
bool iw_refer_xfer_left(struct iw_call *c, struct sip_leg *leg);
/* The circuit left the call: a transfer in progress ends (the target's
 * INVITE cancelled). */
void iw_refer_abort(struct iw_call *c);
/* REFER with Replaces naming another call's dialog (RFC 3891): the two
 * circuits are joined, both SIP legs end. */
unsigned iw_sip_side_refer_replaces(void *u, struct sip_leg *leg, const struct sip_msg *req,
				    struct sip_leg *replaced);
/* A joined call is being freed: its peer's circuit is released with the
 * same cause (and that call freed); NULL when c was not joined. */
void iw_refer_joined_end(struct iw_call *c);

/* --- iw_call_to_circuit.c: SIP -> circuit (the SIP leg is our UAS) --- */
void iw_to_circuit_progress(struct iw_call *c, const struct iw_leg_ev *ev);
void iw_to_circuit_answer(struct iw_call *c, const struct iw_leg_ev *ev);
/* Route advance / first try: seize on the next group. 0 or the cause. */
int iw_seize(struct iw_call *c);
/* another route target is left to try (and the attempt limit allows it) */
bool iw_seize_more(const struct iw_call *c);
/* the leg is now the call's circuit leg */
void iw_call_attach_leg(struct iw_call *c, struct iw_leg *leg);
