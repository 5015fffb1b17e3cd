/* Decoders of header values, called on request (lazily) on a parsed
 * struct sip_msg. All results are views into the message buffer. Every
 * decoder returns 0, -EBADMSG (malformed), -ERANGE (number too large) or
 * -ENOENT (no such header/element) and sets its out-param only on success. */
#pragma once

#include <stdint.h>

#include "sip/sip_msg.h"
#include "sip/sip_uri.h"

/* via-parm (RFC 3261 20.42, RFC 3581 rport, RFC 5118 4.5) */
struct sip_via {
	struct tstr transport; /* "UDP", "TCP", "TLS", "SCTP", "WS"... */
	struct tstr host;      /* IPv6 without brackets */
	bool host_ipv6;
	uint16_t port; /* 0 when absent */
	struct tstr branch;
	struct tstr received; /* brackets of an IPv6 value stripped */
	bool rport;	      /* rport present */
	uint16_t rport_value; /* 0 when it has no value */
	struct tstr maddr;
	struct tstr params; /* all via-params, raw, for sip_param_find() */
};

/* name-addr / addr-spec with header parameters (From, To, Contact, Route,
 * Record-Route, P-Asserted-Identity, Diversion, History-Info, Refer-To) */
struct sip_nameaddr {
	struct tstr display; /* quotes kept; empty when none */
	struct tstr uri;     /* without < > */
	struct tstr params;  /* header params after the URI, raw */
	struct tstr tag;
	bool star; /* Contact: * */
};

struct sip_cseq {
	uint32_t num;
	struct tstr method;
	enum sip_method meth;
};

struct sip_contact {
	struct sip_nameaddr na;
	long expires; /* -1 when absent */
	int q;	      /* q-value x1000, -1 when absent */
};

/* media-type (RFC 3261 20.15) */
struct sip_ctype {
	struct tstr type, subtype;
	struct tstr params;
};

struct sip_rack {
	uint32_t rseq, cseq;
	struct tstr method;
};

/* RFC 4028 */
struct sip_session_expires {
	uint32_t delta;
	struct tstr refresher; /* "uac", "uas" or empty */
};

/* credentials / challenge (RFC 3261 20.7, 20.44): scheme and its
 * comma-separated auth-params, raw */
struct sip_authhdr {
	struct tstr scheme;
	struct tstr params;
};

int sip_via_decode(struct tstr elem, struct sip_via *v);
int sip_nameaddr_decode(struct tstr elem, struct sip_nameaddr *na);
int sip_contact_decode(struct tstr elem, struct sip_contact *c);
int sip_cseq_decode(struct tstr value, struct sip_cseq *c);
int sip_ctype_decode(struct tstr value, struct sip_ctype *ct);
int sip_rack_decode(struct tstr value, struct sip_rack *r);
int sip_session_expires_decode(struct tstr value, struct sip_session_expires *se);
int sip_authhdr_decode(struct tstr value, struct sip_authhdr *a);
/* An auth-param by name (quotes stripped). */
bool sip_auth_param_find(struct tstr params, const char *name, struct tstr *val);
/* delta-seconds / 32-bit counters */
int sip_uint32_decode(struct tstr s, uint32_t *out);

/* Accessors on a parsed message. i counts elements across headers of the
 * kind (a Via list may be split over several header lines). */
int sip_msg_via(const struct sip_msg *m, unsigned i, struct sip_via *v);
int sip_msg_from(const struct sip_msg *m, struct sip_nameaddr *na);
int sip_msg_to(const struct sip_msg *m, struct sip_nameaddr *na);
int sip_msg_call_id(const struct sip_msg *m, struct tstr *call_id);
int sip_msg_cseq(const struct sip_msg *m, struct sip_cseq *c);
int sip_msg_max_forwards(const struct sip_msg *m, uint32_t *mf);
int sip_msg_contact(const struct sip_msg *m, unsigned i, struct sip_contact *c);
int sip_msg_route(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na);
int sip_msg_record_route(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na);
int sip_msg_pai(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na);
int sip_msg_diversion(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na);
int sip_msg_history_info(const struct sip_msg *m, unsigned i, struct sip_nameaddr *na);
int sip_msg_content_type(const struct sip_msg *m, struct sip_ctype *ct);
int sip_msg_content_disposition(const struct sip_msg *m, struct tstr *disp, struct tstr *params);
int sip_msg_expires(const struct sip_msg *m, uint32_t *expires);
int sip_msg_session_expires(const struct sip_msg *m, struct sip_session_expires *se);
int sip_msg_min_se(const struct sip_msg *m, uint32_t *min_se);
int sip_msg_rseq(const struct sip_msg *m, uint32_t *rseq);
int sip_msg_rack(const struct sip_msg *m, struct sip_rack *r);
int sip_msg_auth(const struct sip_msg *m, enum sip_hdr_kind kind, unsigned i,
		 struct sip_authhdr *a);
/* Is token (case-insensitive) among the elements of a token-list header:
 * Require, Supported, Proxy-Require, Allow, Privacy (';'-separated too). */
bool sip_msg_has_token(const struct sip_msg *m, enum sip_hdr_kind kind, const char *token);
/* The i-th element of any kind, raw (for other list headers). */
int sip_msg_elem(const struct sip_msg *m, enum sip_hdr_kind kind, unsigned i, struct tstr *e);
