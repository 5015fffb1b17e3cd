/* SIP listeners and trunks as configured (the "sip" VTY node). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>

#include "sip/sip_acl.h"
#include "sip/sip_transport.h"

#define SIP_TRUNK_MAX_CODECS  8
#define SIP_TRUNK_AUTH_SHA256 1u
#define SIP_TRUNK_AUTH_MD5    2u

enum sip_trunk_mode {
	SIP_MODE_PLAIN, /* RFC 3398 mapping, no ISUP body */
	SIP_MODE_SIP_I, /* Q.1912.5 profile C: application/isup; version=itu-t92+ */
	SIP_MODE_SIP_T, /* RFC 3372: application/isup; version=ansi */
};

enum sip_ruri_format {
	SIP_RURI_USER_PHONE, /* sip:+E164@host;user=phone */
	SIP_RURI_TEL,	     /* tel:+E164 */
};

enum sip_redir_hdr {
	SIP_REDIR_NONE,
	SIP_REDIR_DIVERSION,	/* RFC 5806 */
	SIP_REDIR_HISTORY_INFO, /* RFC 7044 */
};

struct sip_listen_cfg {
	struct llist_head list;
	enum sip_proto proto;
	char *addr;
	uint16_t port;
	char *cert, *key; /* TLS */
};

struct sip_trunk {
	struct llist_head list;
	char *name;
	enum sip_proto proto;
	bool proto_set; /* "transport" given: RFC 3263 4.1, no NAPTR for a name */
	char *host;	/* remote address or host name (RFC 3263, sip_resolve.c) */
	uint16_t port;	/* 0: not given (SRV for a name, else 5060/5061) */
	char *domain;	/* host part of the URIs we send (default: host) */
	enum sip_trunk_mode mode;
	enum sip_ruri_format ruri;
	enum sip_redir_hdr redir;
	char *codecs[SIP_TRUNK_MAX_CODECS]; /* preference order */
	unsigned n_codecs;
	unsigned ptime;
	unsigned options_interval; /* seconds; 0: no OPTIONS keep-alive */
	char *auth_user, *auth_pass;
	bool do_register;
	unsigned register_expires;
	unsigned register_retry_base, register_retry_max; /* seconds: failure backoff */
	bool require_auth;				  /* challenge requests from this trunk */
	char *auth_realm;	     /* realm of our challenges (NULL: "tandem") */
	unsigned auth_algs;	     /* SIP_TRUNK_AUTH_*; 0: both, SHA-256 first */
	unsigned max_calls, max_cps; /* 0: unlimited */
	bool prack;
	/* "offer delayed": our INVITEs carry no SDP; the trunk offers in its
	 * 200 (or a reliable 18x), we answer in the ACK (or PRACK), RFC 3261
	 * 13.2.1 / RFC 3264 5 */
	bool offer_delayed;
	char tone_plan[4];	 /* call-progress tones toward TDM: "itu", "us", "" the gateway's */
	unsigned failure_tone_s; /* busy/congestion toward TDM this long before REL (0: off) */
	bool dtmf_info;		 /* DTMF as SIP INFO application/dtmf-relay, not RFC 4733 */
	bool rtp_latch; /* media from the first source in the first 2 s (NAT), else the SDP's */
	/* "outbound-proxy": every request of a dialog goes to the trunk's
	 * address (a carrier SBC or proxy that wants it all); without it they
	 * go where RFC 3261 12.2.1.1 / 8.1.2 says: the first route, else the
	 * remote target (sip_leg_dialog_dest) */
	bool outbound_proxy;
	bool rtcp_mux_offer;	  /* our offers carry a=rtcp-mux (RFC 5761); offers are always
				     answered with it when they have it */
	unsigned session_expires; /* 0: no session timer */
	unsigned max_call_s;	  /* answered calls end after this long (0: no limit) */
	unsigned redirect_follow; /* 3xx Contacts tried per call (default 3; 0: not followed) */
	bool refer_accept;	  /* REFER on a call: transfer it (sip_refer.c), else 403 */
	bool tls_verify;
	char *tls_ca, *tls_server_name;
	char *tls_cert, *tls_key; /* client certificate toward the trunk (mutual TLS) */
	char *tls_client_ca, *tls_client_name; /* the trunk's own certificate, when it connects */
	bool trust_identity;		       /* RFC 3325: the trunk is in our trust domain */
	char *default_calling; /* calling number from an untrusted trunk without From number */
	struct sip_acl_entry *allow; /* sources admitted besides the remote (sip_sec_vty.c) */
	unsigned n_allow;
	/* kind registered: the peer registers with us (sip_registrar.h) */
	bool registrar;
	unsigned reg_min_expires, reg_max_expires;
	char *reg_state_file;		 /* bindings kept across restarts (NULL: not kept) */
	struct sip_registrar_state *reg; /* its bindings (NULL: none yet) */
	/* state */
	bool up, registered;
	unsigned options_rtt_us; /* the last OPTIONS answer's round trip (0: none yet) */
	/* outbound registration (sip_ua_trunk.c) */
	char *register_user; /* our Contact's user part (NULL: "tandem") */
	unsigned reg_granted, reg_failures, reg_last_status;
	uint64_t reg_next_ns;	   /* loop_now_ns() of the next REGISTER */
	unsigned calls;		   /* calls on the trunk now (kept by the interworking layer) */
	uint64_t cps_window_ms;	   /* start of the current one-second window */
	unsigned cps_count;	   /* calls started in it */
	struct sip_trunk_res *res; /* its targets, resolved (sip_resolve.c; NULL: not yet) */
};

struct sip_cfg {
	struct llist_head listeners;
	struct llist_head trunks;
};

extern struct sip_cfg sip_cfg;

struct sip_trunk *sip_trunk_find(const char *name);
const char *sip_trunk_auth_realm(const struct sip_trunk *tr);
const char *sip_mode_name(enum sip_trunk_mode m);
/* The trunk's state as `show sip trunks` says it: "up" or "down" by its
 * OPTIONS keep-alive; without keep-alive nothing tells, so "in use" while
 * it carries calls and "unknown" otherwise (never "down"). */
const char *sip_trunk_state_name(const struct sip_trunk *t);
/* ", registered (...)" / ", not registered (...)" for "show sip trunks";
 * empty when the trunk does not register */
void sip_trunk_reg_describe(const struct sip_trunk *t, char *buf, size_t size);
/* Whether user is the Contact user a trunk registering with its carrier
 * binds ("register contact-user", default tandem): a request to it was
 * retargeted by that registrar and names the called party in To. */
bool sip_trunk_is_reg_contact_user(const char *user, size_t len);

/* The "sip" node, "show sip trunks", and the SIP timers (timer sip ...). */
void sip_vty_init(void);
/* The trunk's security commands (sip_vty_sec.c): auth-realm, trust-identity,
 * default-calling-number, tls certificate; installed and written by sip_vty.c. */
void sip_vty_sec_init(void);
struct vty;
void sip_vty_sec_write_trunk(struct vty *vty, const struct sip_trunk *t);
/* The TLS settings toward a trunk (NULL when it has none). */
struct sip_tls_cfg;
bool sip_trunk_tls_cfg(const struct sip_trunk *t, struct sip_tls_cfg *out);
