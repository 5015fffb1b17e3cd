/* The interworking call: one ISUP circuit call, one SIP dialog (a B2BUA
 * leg) and one media channel (the circuit's TDM timeslot <-> RTP), mapped
 * per RFC 3398 (plain SIP trunks). The call owns its channel; it lives until
 * both signalling legs are over. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <osmocom/core/linuxlist.h>

#include "interwork/iw_number.h"
#include "media/media.h"
#include "sigtran/isup_link.h"

struct loop;
struct media_engine;
struct sip_ua;
struct sip_leg;
struct sip_trunk;
struct sip_msg;
struct iw;
struct iw_call;
struct iw_cause_map;

#define IW_ROUTE_ALT_MAX 8

/* Where a call goes: set by the routing layer. */
struct iw_route_res {
	struct sip_trunk *trunk; /* ISUP -> SIP */
	const char *linkset;	 /* SIP -> ISUP: alt[0] (NULL: the first linkset) */
	char number[48];	 /* the number to send, E.164 without '+', rewritten */
	uint8_t cause;		 /* when nothing fits: the Q.850 cause (e.g. 3 no route) */
	bool enum_first;	 /* look the number up in ENUM before sending it */
	/* ISUP -> SIP: the trunks after the chosen one, in failover order;
	 * SIP -> ISUP: every linkset in the order to try */
	char alt[IW_ROUTE_ALT_MAX][32];
	unsigned n_alt;
};

/* Route lookup, ISUP -> SIP (to_sip) or SIP -> ISUP, on an E.164 number
 * without '+'. 0 and *res filled, or -ENOENT with res->cause. */
typedef int (*iw_route_cb)(void *priv, bool to_sip, const char *e164, struct iw_route_res *res);

struct iw_cfg {
	/* how numbers are written on the ISUP side (country code, prefixes) */
	struct iw_number_ctx num;
	const char *tone_plan; /* "itu" or "us" (ringback played toward TDM) */
	bool ringback;	       /* play ringback toward TDM on 180 without early media */
	/* ENUM (RFC 6116) for routes marked "enum": servers "IP:PORT,..." */
	const char *enum_servers;
	const char *enum_suffix; /* NULL: e164.arpa */
	unsigned enum_timeout_ms;
	unsigned enum_budget_ms; /* whole lookup; past it the static route (default 300) */
	unsigned max_attempts;	 /* route advance: targets tried per call (0: 3) */
	/* a linkset's or trunk's own numbering context, NULL: num above */
	const struct iw_number_ctx *(*numbering)(bool trunk, const char *name);
	/* a SIP call's routing number (RFC 4694 rn=) toward ISUP: false: the
	 * dialled number only (the routing number chooses the route), true:
	 * the routing number's digits in front of the dialled number's */
	bool np_prefix;
	/* cause mapping (RFC 3398 defaults with overrides); NULL: defaults */
	const struct iw_cause_map *causes;
	/* Q.764 2.13 keeps calls while the signalling route is paused (MTP
	 * pause, M3UA down); a call held that long without it ends (cause
	 * 38). 0: kept until the route returns. */
	unsigned ss7_hold_s;
};

struct iw_stats {
	uint64_t isup_to_sip, sip_to_isup, answered, failed, active, failovers, enum_timeouts;
	/* SIP-I on receipt: encapsulated backward messages sent on to the
	 * circuit, malformed ones ignored; 3xx Contacts tried, refused */
	uint64_t sipi_rx, sipi_bad, redirects, redirects_refused;
	uint64_t transfers, transfers_refused; /* REFER (iw_refer.c) */
	/* of isup_to_sip / sip_to_isup: the calls whose first circuit was a
	 * PRI B channel */
	uint64_t pri_to_sip, sip_to_pri;
};

/* NULL on failure (an ENUM resolver that cannot start, no memory). */
struct iw *iw_alloc(void *ctx, const struct iw_cfg *cfg, struct loop *l, struct media_engine *media,
		    struct sip_ua *ua, iw_route_cb route, void *route_priv);
void iw_free(struct iw *iw);
/* ISUP events for calls (give to isup_link_alloc / isup_vty_start). */
const struct isup_call_ops *iw_isup_ops(void);
/* A new INVITE (from sip_ua_ops.incoming). */
void iw_sip_incoming(struct iw *iw, struct sip_leg *leg, struct sip_trunk *trunk,
		     const struct sip_msg *invite);
/* A media event for a channel (RTP timeout: release; freed: the media CDR). */
struct media_event;
void iw_media_event(struct iw *iw, const struct media_event *ev);
/* The ENUM resolver (NULL when none is configured). */
struct iw_enum *iw_get_enum(struct iw *iw);
const struct iw_stats *iw_get_stats(const struct iw *iw);
/* The configuration changed (the VTY): numbering, tones, ENUM budget,
 * route advance, number portability, cause table and numbering contexts
 * apply to the calls that start from now; the ENUM resolver stays. */
void iw_reconfigure(struct iw *iw, const struct iw_cfg *cfg);

/* The trunk is at its limit of concurrent calls or calls per second. */
bool iw_trunk_over_limit(const struct sip_trunk *t);

/* Shutting down: release every call (REL toward ISUP; BYE, CANCEL or a
 * final response toward SIP, each with Reason: Q.850). Returns how many. */
unsigned iw_release_all(struct iw *iw, uint8_t cause);
/* Calls not yet over (their SIP dialogs still finishing). */
unsigned iw_active_calls(const struct iw *iw);

/* For "show calls". */
struct iw_call_info {
	unsigned id;
	bool from_isup;
	const char *kind; /* the circuit side: "ISUP", "PRI" */
	const char *state;
	const char *linkset;
	unsigned cic;
	const char *call_id;
	const char *trunk;
	const char *called, *calling;
	uint32_t chan;
	bool have_chan;
	unsigned seconds;
	const char *codec; /* agreed with the SIP side, NULL before */
	unsigned ptime;
	bool have_stats; /* the channel's figures, at most 2 s old */
	struct media_chan_stats stats;
	unsigned joined; /* attended transfer: the call whose circuit this one's is joined to */
};
/* Iterate: start with NULL. */
struct iw_call *iw_call_next(struct iw *iw, struct iw_call *prev);
/* The call with this id (show calls' first column), NULL when none: a hash
 * lookup, not a scan of the calls. */
struct iw_call *iw_call_find(struct iw *iw, unsigned id);
void iw_call_info(const struct iw_call *c, struct iw_call_info *out);
/* Signalling state a call holds: its own talloc tree, its SIP leg's (dialog,
 * the messages kept for retransmission) and its ISUP call's (with the FSM),
 * in bytes (and each of the three in part, when not NULL). SIP transactions
 * (their own lifetime) are not in it. */
size_t iw_call_mem(const struct iw_call *c, size_t part[3]); /* part: call, leg, ISUP, or NULL */
