/* The SIP user agent core of tandem: one side of the B2BUA. It owns the
 * transports, the transaction layer and the dialogs, and offers "legs": a
 * leg is one INVITE dialog, created and driven by its owner (the
 * interworking call) through calls and callbacks. Nothing of one leg leaks
 * into another (topology hiding): every request and response is built here
 * from the leg's own state. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sip/sip_msg.h"
#include "sip/sip_transport.h"

struct loop;
struct sip_ua;
struct sip_leg;
struct sip_trunk;

/* Bodies and extra headers the owner adds to what the leg sends. */
struct sip_body {
	const char *content_type; /* NULL: no body */
	const char *body;
	size_t len;
	const char *headers; /* extra header lines, each ending in CRLF (Reason, PAI...) */
};

struct sip_leg_ops {
	/* UAC: a provisional response (100 excluded) */
	void (*progress)(void *u, struct sip_leg *leg, const struct sip_msg *rsp);
	/* UAC: 2xx; the ACK is sent already */
	void (*answered)(void *u, struct sip_leg *leg, const struct sip_msg *rsp);
	/* UAC: the INVITE failed: status 300-699, or 408 (Timer B), 503
	 * (transport); rsp NULL when no response came */
	void (*failed)(void *u, struct sip_leg *leg, unsigned status, const struct sip_msg *rsp);
	/* UAS: the caller cancelled (the 487 is sent already) */
	void (*cancelled)(void *u, struct sip_leg *leg, const struct sip_msg *cancel);
	/* either side: the peer hung up (BYE answered 200 already) */
	void (*bye)(void *u, struct sip_leg *leg, const struct sip_msg *bye);
	/* UAS: the ACK for our 2xx arrived */
	void (*ack)(void *u, struct sip_leg *leg, const struct sip_msg *ack);
	/* UAS: the PRACK for our reliable provisional arrived (answered 200
	 * already); it answers an offer we made there (RFC 3262 5) */
	void (*prack)(void *u, struct sip_leg *leg, const struct sip_msg *prack);
	/* a re-INVITE or UPDATE with an offer: fill answer (SDP) and return 200,
	 * or return an error status (488...). */
	unsigned (*offer)(void *u, struct sip_leg *leg, const struct sip_msg *req,
			  struct sip_body *answer);
	/* UAC: our INVITE had no offer (delayed offer) and this 2xx or
	 * reliable 18x carries the peer's: fill answer (SDP) for the ACK or
	 * PRACK and return 0; < 0: nothing to answer (no offer, or one answered
	 * already), the ACK/PRACK goes without a body. Optional. */
	int (*answer_offer)(void *u, struct sip_leg *leg, const struct sip_msg *rsp,
			    struct sip_body *answer);
	/* an INFO in the dialog (answered 200 already), e.g. DTMF relay */
	void (*info)(void *u, struct sip_leg *leg, const struct sip_msg *req);
	/* the session timer ran out (RFC 4028 10: no refresh came, or ours
	 * failed); the leg sends the BYE itself. Optional: else bye(NULL). */
	void (*expired)(void *u, struct sip_leg *leg);
	/* the leg is over (BYE done, failure, or no ACK): drop the pointer */
	void (*gone)(void *u, struct sip_leg *leg);
	/* a REFER in the confirmed dialog (RFC 3515) asking us to call target
	 * (the Refer-To URI, NUL-terminated): return 202 to accept it (its
	 * progress then goes with sip_leg_refer_notify) or the refusal (403...).
	 * NULL op: 405. */
	unsigned (*refer)(void *u, struct sip_leg *leg, const struct sip_msg *req,
			  const char *target);
	/* a REFER whose Refer-To carries Replaces (RFC 3891) naming another
	 * confirmed dialog of ours on the same trunk (replaced): attended
	 * transfer between two calls we hold, the owner joins what the two
	 * dialogs carry. The 202 and the NOTIFY "100 Trying" went already; the
	 * owner sends the final NOTIFY (sip_leg_refer_notify) before it ends
	 * the legs, or returns an error status (403, 488...) that the leg puts
	 * in the final NOTIFY. NULL op: the REFER is answered 403. */
	unsigned (*refer_replaces)(void *u, struct sip_leg *leg, const struct sip_msg *req,
				   struct sip_leg *replaced);
};

struct sip_ua_ops {
	/* A new INVITE outside any dialog, from trunk (NULL: unknown source).
	 * The owner calls sip_leg_set_user() and answers through the leg, or
	 * rejects with sip_leg_respond(leg, 403/404/503..., NULL). The 100
	 * Trying is sent by the transaction after 200 ms anyway. */
	void (*incoming)(void *priv, struct sip_leg *leg, struct sip_trunk *trunk,
			 const struct sip_msg *invite);
	/* An OPTIONS outside any dialog (a proxy's or trunk's probe): the
	 * status to answer, 200 or e.g. 503 while draining, with extra header
	 * lines written to hdrs (NULL op: always 200). */
	unsigned (*options)(void *priv, char *hdrs, size_t len);
};

struct sip_ua_cfg {
	const char *user_agent; /* Server/User-Agent header (NULL: none) */
	bool prack;		/* send provisionals reliably to callers that support 100rel */
};

struct sip_ua_stats {
	uint64_t rx_requests, rx_responses, rx_invalid, stateless_replies;
	uint64_t legs_in, legs_out, legs_active;
	uint64_t forks_ended;	  /* a second 2xx of a forked INVITE: ACKed and BYEd */
	uint64_t uas_unreachable; /* incoming calls whose caller our responses did not reach */
};

/* Digest authentication of trunks with require-auth (RFC 7616, RFC 8760). */
struct sip_ua_auth_stats {
	uint64_t challenges, accepted, stale, replays, uri_mismatch, refused;
};
const struct sip_ua_auth_stats *sip_ua_auth_get_stats(struct sip_ua *ua);

struct sip_ua *sip_ua_alloc(void *ctx, struct loop *l, const struct sip_ua_cfg *cfg,
			    const struct sip_ua_ops *ops, void *priv);
void sip_ua_free(struct sip_ua *ua);
/* Listen (as the "sip" node configures, or directly). */
int sip_ua_listen(struct sip_ua *ua, enum sip_proto proto, const struct sockaddr *addr,
		  socklen_t alen, const struct sip_tls_cfg *tls);
const struct sip_ua_stats *sip_ua_get_stats(const struct sip_ua *ua);
/* OPTIONS keep-alive toward every configured trunk with an interval. */
void sip_ua_start_keepalives(struct sip_ua *ua);
/* REGISTER toward every trunk configured with "register", with refresh. */
void sip_ua_start_registrations(struct sip_ua *ua);
/* At stop: REGISTER with Expires 0 to every trunk we are registered at
 * (RFC 3261 10.2.2); the number sent. Then turn the loop while
 * sip_ua_unregister_pending() says answers are still awaited. */
unsigned sip_ua_unregister_all(struct sip_ua *ua);
unsigned sip_ua_unregister_pending(const struct sip_ua *ua);
struct sip_transport *sip_ua_transport(struct sip_ua *ua);

/* --- legs --- */

struct sip_invite_spec {
	struct sip_trunk *trunk;
	const char *ruri;      /* "sip:+4930123@carrier;user=phone" or "tel:+4930123" */
	const char *from;      /* name-addr or URI, without tag */
	const char *to;	       /* name-addr or URI */
	struct sip_body body;  /* SDP offer (or multipart), extra headers */
	unsigned max_forwards; /* 1..255; 0: 70 (RFC 3261 8.1.1.6) */
};

/* UAC: send an INVITE on the trunk. NULL on failure (no transport...). */
struct sip_leg *sip_leg_invite(struct sip_ua *ua, const struct sip_invite_spec *spec,
			       const struct sip_leg_ops *ops, void *u);
void sip_leg_set_user(struct sip_leg *leg, const struct sip_leg_ops *ops, void *u);
/* UAS: answer the INVITE (18x, 2xx, or a final error). */
int sip_leg_respond(struct sip_leg *leg, unsigned status, const struct sip_body *body);
/* UAS: our 18x (101-199) go reliably (RFC 3262: the caller requires 100rel,
 * or supports it and we are set to use it), so the PRACK answers them. */
bool sip_leg_provisional_reliable(const struct sip_leg *leg);
/* UAC before the final response: CANCEL (sent once a provisional came,
 * RFC 3261 9.1); reason: a Reason header line or NULL. */
int sip_leg_cancel(struct sip_leg *leg, const char *reason_hdr);
/* Established (or early on the UAC side after 2xx): BYE. */
int sip_leg_bye(struct sip_leg *leg, const char *reason_hdr);
/* The same with a body (SIP-I: the REL) and extra headers in body. */
int sip_leg_bye_body(struct sip_leg *leg, const struct sip_body *body);
/* An INFO in the established dialog (no answer expected by the owner). */
int sip_leg_info(struct sip_leg *leg, const struct sip_body *body);
/* RFC 3515 2.4.4-2.4.5: the progress of the REFER accepted on this leg, as
 * a NOTIFY (Event: refer) with the message/sipfrag "SIP/2.0 status reason";
 * a status >= 200 is the last one (Subscription-State: terminated). The
 * 100 Trying after the 202 is sent by the leg itself. */
int sip_leg_refer_notify(struct sip_leg *leg, unsigned status, const char *reason);
/* Forget the owner; the leg finishes what it must on its own. */
void sip_leg_detach(struct sip_leg *leg);

/* The leg's state: the INVITE dialog as RFC 3261 12/13/15 and RFC 3262
 * name its steps. The transitions allowed are a table in sip_leg.c. */
enum sip_leg_state {
	SIP_LEG_S_INIT,	      /* allocated; no INVITE sent or taken yet */
	SIP_LEG_S_CALLING,    /* UAC: INVITE sent, nothing but 100 back (17.1.1 Calling) */
	SIP_LEG_S_PROCEEDING, /* UAC: a provisional came (a CANCEL may go, 9.1); UAS: the
				 INVITE is ours to answer, no final response yet; an early
				 dialog exists once a To tag was given (12.1) */
	SIP_LEG_S_ACCEPTED,   /* UAS: our 2xx went, sent again until the ACK (13.3.1.4,
				 RFC 6026 Accepted) */
	SIP_LEG_S_CONFIRMED,  /* the dialog is confirmed: the 2xx ACKed (UAC), the ACK came (UAS) */
	/* from here the owner has ended the leg or heard its end: no more
	 * events but 'gone' */
	SIP_LEG_S_CANCEL_WAIT, /* UAC: cancelled before any provisional: the CANCEL waits
				  for one (9.1) */
	SIP_LEG_S_CANCELLING,  /* UAC: CANCEL sent, the INVITE's final response awaited */
	SIP_LEG_S_TERMINATING, /* over (BYE sent or received, INVITE failed or refused);
				  the leg stays while a transaction it waits for runs */
	SIP_LEG_S_TERMINATED,  /* nothing pending: the owner hears 'gone', the leg is freed */
};
enum sip_leg_state sip_leg_state(const struct sip_leg *leg);
const char *sip_leg_state_name(enum sip_leg_state st);

const char *sip_leg_call_id(const struct sip_leg *leg);
struct sip_trunk *sip_leg_trunk(const struct sip_leg *leg);
bool sip_leg_is_uac(const struct sip_leg *leg);
