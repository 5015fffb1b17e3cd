/* Private to sip/sip_ua*.c: the UA's state and the helpers its parts share. */
#pragma once

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/timer.h>

#include "core/loop.h"
#include "sip/sip_auth.h"
#include "sip/sip_check.h"
#include "sip/sip_dialog.h"
#include "sip/sip_msg.h"
#include "sip/sip_transport.h"
#include "sip/sip_txn.h"
#include "sip/sip_ua.h"

#define MSG_MAX	  16384
#define ALLOW_HDR "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER\r\n"
/* ALLOW_HDR with REGISTER, while a trunk is of kind registered */
#define ALLOW_REG_HDR \
	"Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER, REGISTER\r\n"
#define SUPPORTED_HDR	     "Supported: timer\r\n"
#define SUPPORTED_100REL_HDR "Supported: 100rel, timer\r\n"

/* One INVITE dialog, UAC or UAS (sip_leg.c: core; sip_uac.c, sip_uas.c:
 * the two roles; sip_session_timer.c: RFC 4028). */
struct sip_leg {
	struct llist_head list;
	/* in ua->legs_untagged from sip_leg_new, in ua->legs_by_tag once
	 * sip_leg_index is called after local_tag is set */
	struct llist_head by_tag;
	struct sip_ua *ua;
	const struct sip_leg_ops *ops;
	void *u;
	bool uac;
	struct sip_trunk *trunk;
	struct sip_txn_dest dest; /* where our requests go */
	char *call_id, *local_tag, *remote_tag, *local_uri, *remote_uri;
	struct sip_dialog *dlg;
	/* the INVITE (ours as UAC, theirs as UAS), for CANCEL and responses */
	uint8_t *invite;
	size_t invite_len;
	uint32_t invite_cseq;
	struct sip_txn *invite_txn, *bye_txn, *cancel_txn;
	enum sip_leg_state state; /* change it with sip_leg_state_chg() only */
	/* UAC: the INVITE transaction got its final response (or timed out).
	 * Not a state of the leg: a leg ended early (BYE in the early dialog,
	 * CANCEL) still waits for it, to ACK and BYE a 2xx that crosses. */
	bool invite_final;
	/* UAC: what the INVITE is made of, to send it again with credentials */
	char *ruri, *ct, *body, *hdrs;
	size_t body_len;
	unsigned max_forwards; /* 0: the default 70 */
	unsigned auth_tries;
	struct sip_auth_client *auth; /* allocated at the first challenge */
	char *cancel_reason;
	/* UAC: our INVITE carried no SDP (delayed offer): a 2xx's SDP is an
	 * offer that its ACK must answer (RFC 3261 13.2.1), a late fork's too */
	bool offerless;
	/* a leg is a UAC or a UAS for its life: what only one of them keeps
	 * shares the memory (issue 13: <= 4 KiB of signalling per call) */
	union {
		/* UAC: the ACK for the 2xx, sent again for each retransmitted
		 * 2xx, freed 64*T1 after the 2xx (no retransmission comes later) */
		struct {
			uint8_t *ack;
			size_t ack_len;
			struct osmo_timer_list ack_timer;
		};
		/* UAS: our 2xx, retransmitted until the ACK (13.3.1.4) */
		struct {
			uint8_t *ok;
			size_t ok_len;
			struct osmo_timer_list ok_timer;
			unsigned ok_interval_ms, ok_elapsed_ms;
		};
	};
	/* RFC 4028 session timer of the established dialog */
	struct sip_session_timer st;
	/* UAC: what our INVITE asks (7.1; the trunk's session-timer, raised
	 * by a 422's Min-SE), and how many 422s came */
	struct sip_session_timer st_req;
	unsigned st_422s;
	bool we_refresh;
	bool offer_pending; /* our UPDATE/re-INVITE is out: theirs meets 491 (RFC 3261 14.2,
			       3311 5.2) */
	struct osmo_timer_list st_timer;
	struct sip_txn *refresh_txn; /* our session refresh (UPDATE) out, until its final answer */
	/* UAS: our reliable provisional, retransmitted until PRACKed (RFC 3262 3) */
	uint8_t *rel;
	size_t rel_len;
	struct osmo_timer_list rel_timer;
	unsigned rel_interval_ms, rel_elapsed_ms;
	/* RFC 3515: the REFER accepted in this dialog (sip_refer.c): its CSeq
	 * names the implicit subscription (Event: refer;id=), active until the
	 * final NOTIFY */
	uint32_t refer_cseq;
	bool refer_active;
};

/* --- sip_ua.c: the UA's shared helpers --- */
char *sip_ua_token(struct sip_ua *ua, void *ctx, const char *prefix);
char *sip_ua_dup_view(void *ctx, struct tstr s);
int sip_ua_send(struct sip_ua *ua, const struct sip_txn_dest *d, const void *buf, size_t len);
struct sip_trunk *sip_ua_trunk_by_source(const struct sip_txn_dest *src);
/* A response with a fresh To tag where the request had none (8.2.6.2). */
void sip_ua_respond_simple(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
			   unsigned status, const char *hdrs);

/* --- sip_leg.c: the leg core --- */
/* Index the leg by its local tag, once it is set (it never changes). */
void sip_leg_index(struct sip_leg *leg);
/* Move the leg to st if the table allows it (logged); otherwise log an
 * ERROR, leave the state and return -EINVAL. The same state: no-op. */
int sip_leg_state_chg(struct sip_leg *leg, enum sip_leg_state st);
/* The owner ended the leg or heard its end: no events to it but 'gone'. */
static inline bool sip_leg_ended(const struct sip_leg *leg)
{
	return leg->state >= SIP_LEG_S_CANCEL_WAIT;
}
struct sip_leg *sip_leg_new(struct sip_ua *ua, bool uac);
/* Free the leg once it is over and nothing it waits for is pending. */
void sip_leg_maybe_free(struct sip_leg *leg);
struct sip_leg *sip_leg_by_dialog(struct sip_ua *ua, struct tstr call_id, struct tstr local_tag,
				  struct tstr remote_tag);
/* A request in a dialog: the To tag is ours, the From tag theirs. */
struct sip_leg *sip_leg_for_request(struct sip_ua *ua, const struct sip_txn_info *i);
/* Where a request of the leg's dialog goes (RFC 3261 12.2.1.1, 8.1.2): the
 * first route, else the remote target, when numeric; the leg's dest (the
 * trunk's address, or the stream the peer opened) for a trunk that is our
 * outbound proxy, a host name, or no dialog yet. */
void sip_leg_dialog_dest(const struct sip_leg *leg, struct sip_txn_dest *d);
/* The kept ACK of our 2xx, (again) toward that address. */
void sip_leg_send_ack(struct sip_leg *leg);
int sip_leg_build_request(struct sip_leg *leg, const char *method, uint32_t cseq,
			  const char *branch, const struct sip_body *b, uint8_t *out, size_t size);
struct sip_txn *sip_leg_start_request_body(struct sip_leg *leg, const char *method, uint32_t cseq,
					   const struct sip_body *b,
					   const struct sip_txn_user_ops *uops);
struct sip_txn *sip_leg_start_request(struct sip_leg *leg, const char *method, uint32_t cseq,
				      const char *extra_hdrs, const struct sip_txn_user_ops *uops);
void sip_leg_confirmed_trim(struct sip_leg *leg);
extern const struct sip_txn_user_ops sip_leg_cancel_ops;
/* Requests inside the dialog (either role). */
void sip_leg_reinvite_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i);
void sip_leg_bye_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i);
void sip_leg_info_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i);
void sip_leg_update_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i);
/* sip_refer.c: REFER in the dialog (RFC 3515) */
void sip_leg_refer_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i);

/* --- sip_uas.c: the called side --- */
void sip_uas_invite_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i,
		       const uint8_t *raw, size_t len, const struct sip_txn_dest *src);
void sip_uas_ack_rx(struct sip_ua *ua, const struct sip_txn_info *i);
void sip_uas_cancel_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i);
void sip_uas_prack_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_txn_info *i);

/* --- sip_session_timer.c: RFC 4028 on the leg (the rules: sip_dialog.c) --- */
void sip_st_arm(struct sip_leg *leg);
/* A refresh (re-INVITE or UPDATE) arrived: the session lives on. */
void sip_st_refreshed(struct sip_leg *leg);
/* UAC: the 2xx says who refreshes (7.2); without Session-Expires, no timer. */
void sip_st_uac_answered(struct sip_leg *leg, const struct sip_msg *rsp);
/* UAS: the outcome for our 2xx (9) appended to hdrs: 1 when a timer
 * applies (the caller arms it once the 2xx is built), else 0. */
int sip_st_uas_answer(struct sip_leg *leg, const struct sip_msg *inv, char *hdrs, size_t size);

#define SIP_LEG_BUCKETS 4096 /* a power of 2 */

struct sip_ua {
	struct loop *l;
	struct sip_ua_cfg cfg;
	const struct sip_ua_ops *ops;
	void *priv;
	struct sip_transport *tr;
	struct sip_txn_layer *tl;
	struct sip_sec *sec; /* the trust boundary: admission, flood limit */
	struct sip_limits lim;
	struct sip_uas_policy pol;
	struct llist_head legs;
	/* the legs by a hash of their local tag, which every in-dialog request
	 * and response names (sip_leg_by_dialog: O(1), not a walk of all legs) */
	struct llist_head legs_by_tag[SIP_LEG_BUCKETS];
	/* legs nobody indexed (yet): looked at when the bucket has no match, so
	 * a leg whose maker sets local_tag without sip_leg_index is still found */
	struct llist_head legs_untagged;
	struct sip_ua_stats st;
	uint64_t rnd;
	uint8_t auth_key[32];	      /* HMAC key of our stateless nonces */
	struct sip_ua_nonces *nonces; /* issued nonces and their counts (sip_ua_auth.c) */
	struct llist_head pings, regs;
};

/* OPTIONS keep-alive of one trunk: up on any final response, down on a
 * transaction timeout or transport error. */
struct trunk_ping {
	struct llist_head list;
	struct sip_ua *ua;
	struct sip_trunk *trunk;
	struct loop_timer tmr;
	struct sip_txn *txn;
	uint64_t sent_ns; /* when txn's OPTIONS went out (its round trip) */
};

uint64_t sip_ua_rnd_next(struct sip_ua *ua);
/* require-auth (sip_ua_auth.c): 0 when the request may go on (the trunk does
 * not require authentication, the method is not guarded, or the credentials
 * are good); otherwise the 401/403 is sent and a negative errno returned. */
int sip_ua_auth_check(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		      const struct sip_trunk *tr);
/* The same for any request of tr, whatever its method (REGISTER to a
 * registered trunk, sip_registrar_ua.c). */
int sip_ua_auth_demand(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		       const struct sip_trunk *tr);
/* True when tr's requests of method meth must be authenticated (RFC 3261 8.2:
 * authentication comes before the method, header and body checks). */
bool sip_ua_auth_guards(const struct sip_trunk *tr, enum sip_method meth);
struct tstr sip_ua_view(const char *s);
void sip_ua_local_hostport(struct sip_ua *ua, enum sip_proto proto, char *host, size_t hlen,
			   uint16_t *port);
/* Our Contact URI for proto; host and port (for Via) are returned too. */
void sip_ua_local_contact(struct sip_ua *ua, enum sip_proto proto, char *contact, size_t clen,
			  char *host, size_t hlen, uint16_t *port);
void sip_ua_local_contact_user(struct sip_ua *ua, enum sip_proto proto, const char *user,
			       char *contact, size_t clen, char *host, size_t hlen, uint16_t *port);
void sip_ua_txn_info(const struct sip_msg *m, struct sip_txn_info *i);
int sip_ua_trunk_dest(const struct sip_trunk *t, struct sip_txn_dest *d);
/* sip_ua_tls.c: the TLS settings of the trunk d leads to (NULL: none). */
const struct sip_tls_cfg *sip_ua_dest_tls(const struct sip_txn_dest *d, struct sip_tls_cfg *out);
/* A trunk with "tls client-ca": 0 when the request came over TLS with a
 * certificate of that CA (and name); else 403 is sent (not to an ACK). */
int sip_ua_tls_check(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		     const struct sip_trunk *tr, const struct sip_txn_dest *src);
