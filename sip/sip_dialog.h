/* Dialog state (RFC 3261 12), reliable provisional responses (RFC 3262)
 * and session timers (RFC 4028): the bookkeeping a B2BUA leg needs, fed
 * with header values the message layer extracted. No I/O, no parsing. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "core/tstr.h"

#define SIP_DIALOG_MAX_ROUTES 8

enum sip_dialog_state {
	SIP_DIALOG_EARLY,
	SIP_DIALOG_CONFIRMED,
	SIP_DIALOG_TERMINATED,
};

struct sip_dialog {
	enum sip_dialog_state state;
	bool uac; /* we sent the INVITE */
	char *call_id, *local_tag, *remote_tag;
	char *local_uri, *remote_uri; /* From/To as they appear in requests we send */
	char *remote_target;	      /* Contact of the peer: the Request-URI */
	char *routes[SIP_DIALOG_MAX_ROUTES];
	unsigned n_routes;
	bool secure;
	uint32_t local_cseq;  /* last CSeq we used */
	uint32_t remote_cseq; /* last CSeq the peer used (0: none yet) */
	/* RFC 3262 */
	uint32_t local_rseq;   /* last RSeq we sent */
	uint32_t remote_rseq;  /* last RSeq we received in order (0: none) */
	uint32_t unacked_rseq; /* our reliable provisional awaiting PRACK (0: none) */
};

/* What the dialog is built from (views; the dialog copies them). */
struct sip_dialog_init {
	struct tstr call_id, local_tag, remote_tag, local_uri, remote_uri, remote_target;
	struct tstr routes[SIP_DIALOG_MAX_ROUTES]; /* Record-Route values, in message order */
	unsigned n_routes;
	uint32_t cseq; /* of the INVITE */
	bool secure;
};

/* 12.1.2: UAC side, from a 1xx-with-tag or 2xx response to our INVITE
 * (the route set is the Record-Route list reversed). */
struct sip_dialog *sip_dialog_uac(void *ctx, const struct sip_dialog_init *in, bool confirmed);
/* 12.1.1: UAS side, from the INVITE (route set = Record-Route in order). */
struct sip_dialog *sip_dialog_uas(void *ctx, const struct sip_dialog_init *in, bool confirmed);

/* Does an in-dialog message belong here (Call-ID and both tags, 12.2)? */
bool sip_dialog_match(const struct sip_dialog *d, struct tstr call_id, struct tstr local_tag,
		      struct tstr remote_tag);

/* 12.2.1.1: the CSeq for our next request (ACK and CANCEL reuse theirs). */
uint32_t sip_dialog_next_cseq(struct sip_dialog *d);
/* 12.2.2: check a request's CSeq; false when lower than the last one (the
 * caller answers 500 with Retry-After); records it otherwise. */
bool sip_dialog_rx_cseq(struct sip_dialog *d, uint32_t cseq);
/* 12.2.1.2 / 12.2.2: a target refresh (re-INVITE, UPDATE, their 2xx) may
 * change the remote target. */
int sip_dialog_set_target(struct sip_dialog *d, struct tstr contact);
void sip_dialog_confirm(struct sip_dialog *d);

/* 12.2.1.1: how a request in the dialog is addressed. With an empty route
 * set the Request-URI is the remote target and so is the next hop; when
 * the first route is a loose router (";lr", 16.12.1.1) the Request-URI is
 * still the remote target, every route becomes a Route header and the
 * request goes to the first; a strict router (no ";lr") gets the request
 * with its own URI as Request-URI, the other routes and then the remote
 * target as Route headers. */
struct sip_dialog_plan {
	const char *ruri;
	const char *routes[SIP_DIALOG_MAX_ROUTES + 1];
	unsigned n_routes;
	const char *next_hop; /* the URI the request is sent toward (8.1.2) */
	bool strict;	      /* the first route was a strict router */
};
void sip_dialog_plan(const struct sip_dialog *d, struct sip_dialog_plan *p);

/* RFC 3262 3: the RSeq for our next reliable provisional; 0 while one is
 * still unacknowledged (only one at a time before the final response). */
uint32_t sip_dialog_next_rseq(struct sip_dialog *d);
/* RFC 3262 7.2: a PRACK's RAck (rseq, cseq) acknowledges ours? */
bool sip_dialog_prack_rx(struct sip_dialog *d, uint32_t rseq);
/* RFC 3262 4: a received reliable provisional: true if in order and new
 * (to be PRACKed and passed up), false for a retransmission or a gap. */
bool sip_dialog_rseq_rx(struct sip_dialog *d, uint32_t rseq);

/* --- RFC 4028 session timers --- */

enum sip_refresher { SIP_REFRESHER_NONE, SIP_REFRESHER_UAC, SIP_REFRESHER_UAS };

struct sip_session_timer {
	uint32_t interval; /* Session-Expires, seconds */
	uint32_t min_se;   /* Min-SE, seconds */
	enum sip_refresher refresher;
};

#define SIP_MIN_SE_FLOOR 90 /* RFC 4028 4: Min-SE never below 90 s */

/* UAS: a request asked for se (0: absent) with min_se and refresher
 * (NONE: unspecified); local is our configuration (interval, min_se) and
 * whether the UAC supports "timer". Returns 0 and fills out, or 422 when se
 * is below our Min-SE (the response carries Min-SE: out->min_se). */
int sip_session_timer_uas(const struct sip_session_timer *req, bool uac_supports,
			  const struct sip_session_timer *local, struct sip_session_timer *out);
/* UAC: our offer after a 422 carrying min_se (RFC 4028 7.4). */
void sip_session_timer_after_422(struct sip_session_timer *offer, uint32_t min_se);
/* When to refresh (RFC 4028 10: half the interval) and when to give up
 * (10: interval minus the lesser of 32 s and a third of it), in seconds. */
uint32_t sip_session_refresh_at(const struct sip_session_timer *t);
uint32_t sip_session_expire_at(const struct sip_session_timer *t);
/* RFC 3261 14.1 (and RFC 3311 5.2): the wait before a re-INVITE or UPDATE
 * answered 491 goes again, in ms: 2100-4000 when we own the Call-ID (we
 * made it), else 0-2000, in units of 10 ms; rnd: any random number. */
uint32_t sip_glare_backoff_ms(bool call_id_owner, uint64_t rnd);
