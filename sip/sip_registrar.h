/* tandem as the registrar of a trunk of kind "registered" (RFC 3261 10.3):
 * an IP-PBX with a dynamic address registers its Contact with digest
 * credentials, and calls toward the trunk go to that Contact, sent to the
 * address the REGISTER came from.
 *
 * The binding table (sip_registrar.c) is pure: no I/O, no globals; the
 * caller gives the time in seconds. The UA side (sip_registrar_ua.c) takes
 * REGISTER from the transaction layer, authenticates it, keeps each
 * trunk's table and its expiry timer; sip_registrar_vty.c has the trunk
 * commands and "show sip registrations". */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "core/tstr.h"
#include "sip/sip_transport.h"

#define SIP_REG_MAX_BINDINGS 8 /* Contacts per trunk */
#define SIP_REG_URI_MAX	     256
#define SIP_REG_CALLID_MAX   128
#define SIP_REG_UA_MAX	     64

/* One Contact bound to the trunk's address-of-record. */
struct sip_reg_binding {
	char contact[SIP_REG_URI_MAX]; /* the Contact URI as registered */
	char call_id[SIP_REG_CALLID_MAX];
	char user_agent[SIP_REG_UA_MAX];
	uint32_t cseq;
	uint64_t expires_at; /* seconds on the caller's clock */
	uint64_t since;	     /* when it was first bound */
	int q;		     /* q-value x1000; -1: none given */
	/* where the REGISTER came from: requests go there (NAT) */
	enum sip_proto proto;
	struct sockaddr_storage src;
	socklen_t src_len;
};

struct sip_reg_table {
	struct sip_reg_binding b[SIP_REG_MAX_BINDINGS];
	unsigned n;
};

struct sip_reg_contact {
	struct tstr uri;
	long expires; /* the contact's expires parameter; -1: none */
	int q;	      /* -1: none */
};

/* A REGISTER as the table needs it (views into the message). */
struct sip_reg_request {
	struct tstr call_id;
	uint32_t cseq;
	bool star;	  /* Contact: * */
	long expires_hdr; /* Expires header; -1: none */
	unsigned n;	  /* Contacts (0: a query) */
	struct sip_reg_contact c[SIP_REG_MAX_BINDINGS];
	struct tstr user_agent;
	enum sip_proto proto;
	const struct sockaddr *src;
	socklen_t src_len;
};

struct sip_reg_limits {
	unsigned min_expires; /* shorter non-zero requests get 423 */
	unsigned max_expires; /* longer ones are shortened */
	unsigned def_expires; /* neither parameter nor Expires header */
};

/* What sip_reg_apply() did (for logs and counters). */
struct sip_reg_outcome {
	unsigned added, refreshed, removed;
	unsigned min_expires; /* with 423: the Min-Expires to answer */
	const char *why;      /* with an error status: what was wrong */
};

/* RFC 3261 10.3 steps 6 and 7 on the table, all or nothing: 0 when done
 * (a query changes nothing), or the status to answer: 400 ("*" with
 * other Contacts or a non-zero Expires, a Contact too long), 423 (an
 * interval too brief), 500 (a Call-ID's CSeq not above the binding's: an
 * old or reordered request), 503 (the table is full). */
int sip_reg_apply(struct sip_reg_table *t, const struct sip_reg_request *rq,
		  const struct sip_reg_limits *lim, uint64_t now, struct sip_reg_outcome *out);
/* Remove the bindings expired at now; how many went. */
unsigned sip_reg_expire(struct sip_reg_table *t, uint64_t now);
/* The earliest expiry (0: no binding). */
uint64_t sip_reg_next_expiry(const struct sip_reg_table *t);
/* The binding calls go to: the highest q, then the latest registered. */
const struct sip_reg_binding *sip_reg_best(const struct sip_reg_table *t, uint64_t now);
/* Does src (on proto; -1: any) hold a live binding? */
bool sip_reg_has_source(const struct sip_reg_table *t, const struct sockaddr *src, int proto,
			uint64_t now);

/* --- the bindings kept across restarts (sip_registrar_store.c) --- */
/* Write the live bindings to path (via path.tmp and rename); expiry and
 * registration time as wall-clock seconds (now: the table's clock, wall:
 * the wall clock at the same instant). 0 or -errno. */
int sip_reg_table_save(const struct sip_reg_table *t, const char *path, uint64_t now, int64_t wall);
/* Read them back into t (emptied first) with the lifetime each has left;
 * those expired meanwhile are counted in *expired, not loaded. The number
 * loaded, or -errno with err saying file, line and what is wrong (t is
 * left empty). */
int sip_reg_table_load(struct sip_reg_table *t, const char *path, uint64_t now, int64_t wall,
		       unsigned *expired, char *err, size_t errsize);

/* --- the UA side (sip_registrar_ua.c) --- */
struct sip_trunk;
struct sip_txn_dest;
struct sip_msg;
struct sip_ua;
struct sip_txn;

struct sip_registrar_stats {
	uint64_t registers, ok, queries, refused, too_brief, out_of_order, added, removed, expired,
		calls_absent;
};
extern struct sip_registrar_stats sip_registrar_stats;

/* A registered trunk's state (allocated at its first REGISTER). */
struct sip_registrar_state;
/* The trunk's table (NULL: nothing ever registered). */
const struct sip_reg_table *sip_registrar_table(const struct sip_trunk *t);
/* Seconds on the registrar's clock (monotonic). */
uint64_t sip_registrar_now(void);

/* Is any trunk of kind registered configured? (else REGISTER gets 405) */
bool sip_registrar_enabled(void);
/* The registered trunk whose live binding src is (NULL: none). */
struct sip_trunk *sip_registrar_trunk_by_source(const struct sockaddr *src, int proto);
/* A REGISTER from a source no trunk admits: true when it names (To user)
 * a registered trunk open to any source (no allow entries); it is then
 * challenged like any other. */
bool sip_registrar_admits(const struct sip_msg *m);
/* A request in a dialog of a registered trunk's call, from where that
 * call's requests go: admitted though the binding is gone (the PBX
 * unregistered or its registration expired during the call: its BYE
 * must still end the call). */
bool sip_registrar_dialog_admits(struct sip_ua *ua, const struct sip_msg *m,
				 const struct sip_txn_dest *src);
/* Where requests to the registered trunk go: its best live binding's
 * source. -ENOENT when no binding is live. */
int sip_registrar_dest(const struct sip_trunk *t, struct sip_txn_dest *d);
/* The Request-URI for a call to the trunk (its best Contact), into buf.
 * -ENOENT when no binding is live (the call gets cause 20). */
int sip_registrar_ruri(const struct sip_trunk *t, char *buf, size_t len);
/* At start: each registered trunk's bindings from its state file. */
void sip_registrar_restore(struct sip_ua *ua);
/* REGISTER from the transaction layer (the UA answers through t). */
void sip_registrar_rx(struct sip_ua *ua, struct sip_txn *t, const struct sip_msg *m,
		      const struct sip_txn_dest *src);

/* "registered ..." commands of the trunk node, "show sip registrations". */
struct vty;
void sip_registrar_vty_init(void);
void sip_registrar_vty_write_trunk(struct vty *vty, const struct sip_trunk *t);
/* After reading the configuration: a registered trunk without auth
 * credentials, or with a remote too; problems written to out (file:line),
 * their count returned. */
int sip_registrar_cfg_check(FILE *out);
/* Its figures for /metrics (called by sip_metrics.c). */
struct tandem_metrics_out;
void sip_registrar_metrics(struct tandem_metrics_out *o);
