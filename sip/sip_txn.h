/* SIP transactions (RFC 3261 17, with the RFC 6026 Accepted states).
 *
 * The layer does not parse: its caller (the UA core) gives, with each
 * message, the few fields matching needs (struct sip_txn_info) and the
 * parsed message as an opaque pointer that is handed to the transaction
 * user untouched. It sends through a callback and builds the two messages
 * it must build itself (the ACK for a non-2xx final response, 17.1.1.3, and
 * the 100 Trying of an INVITE server transaction, 17.2.1) through callbacks.
 *
 * Timers are osmo_tdef entries (configurable from the VTY): T1, T2, T4 and
 * A..M as T1001..T1013 (A=1001, B=1002, ... M=1013), plus T100 for the
 * 100 Trying delay (200 ms). A..M left at 0 follow T1/T4 as 17.1 and 17.2
 * derive them (B = 64*T1...). Unreliable transports retransmit; reliable
 * ones use 0 for D, I, J, K as 17.1.1.2 / 17.2.x say. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/tstr.h"
#include "sip/sip_transport.h"

#include <osmocom/core/tdef.h>
struct sip_txn;
struct sip_txn_layer;

/* Where a message goes or came from. */
struct sip_txn_dest {
	enum sip_proto proto;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct sip_conn *conn; /* stream connection to answer on, if any */
};

/* What matching needs from a message (views into the caller's buffer). */
struct sip_txn_info {
	bool request;
	struct tstr method;   /* request: its method; response: the CSeq method */
	int status;	      /* response status */
	struct tstr branch;   /* top Via branch */
	struct tstr via_host; /* top Via sent-by */
	uint16_t via_port;
	/* RFC 2543 fallback matching (branch without the z9hG4bK cookie) */
	struct tstr ruri, call_id, from_tag, to_tag;
	uint32_t cseq;
	const void *msg; /* the parsed message, for the transaction user */
};

enum sip_txn_kind { SIP_TXN_ICT, SIP_TXN_NICT, SIP_TXN_IST, SIP_TXN_NIST };

/* The transaction user (a dialog, a registration...). */
struct sip_txn_user_ops {
	/* client: a response (provisional or final) was received */
	void (*response)(void *tu, struct sip_txn *t, const struct sip_txn_info *rsp,
			 const uint8_t *raw, size_t len);
	/* client: Timer B/F fired; server INVITE: Timer H (no ACK) */
	void (*timeout)(void *tu, struct sip_txn *t);
	void (*transport_error)(void *tu, struct sip_txn *t);
	/* server INVITE in Accepted: an ACK (for our 2xx) arrived */
	void (*ack)(void *tu, struct sip_txn *t, const struct sip_txn_info *ack, const uint8_t *raw,
		    size_t len);
	/* the transaction is gone; t must not be used after this */
	void (*terminated)(void *tu, struct sip_txn *t);
};

struct sip_txn_layer_ops {
	int (*send)(void *priv, const struct sip_txn_dest *d, const uint8_t *buf, size_t len);
	/* A new request that matched no transaction. For requests other than
	 * ACK a server transaction t was created: answer through it. ACK that
	 * matched nothing (the ACK for a 2xx sent by a dialog) comes with t NULL. */
	void (*request)(void *priv, struct sip_txn *t, const struct sip_txn_info *req,
			const uint8_t *raw, size_t len, const struct sip_txn_dest *src);
	/* A response that matched no client transaction (e.g. a retransmitted
	 * 2xx after the ICT ended: RFC 6026 hands it to the core). */
	void (*stray_response)(void *priv, const struct sip_txn_info *rsp, const uint8_t *raw,
			       size_t len, const struct sip_txn_dest *src);
	/* 17.1.1.3: build the ACK for a non-2xx final response into buf;
	 * returns its length or -errno. */
	int (*build_ack)(void *priv, const uint8_t *req, size_t req_len, const uint8_t *rsp,
			 size_t rsp_len, const void *rsp_msg, uint8_t *buf, size_t size);
	/* 8.2.6: build a 100 Trying for the request; length or -errno. */
	int (*build_trying)(void *priv, const uint8_t *req, size_t req_len, const void *req_msg,
			    uint8_t *buf, size_t size);
};

/* The timer table (copy it per layer if several need different values). */
extern struct osmo_tdef sip_txn_tdefs[];

struct sip_txn_layer *sip_txn_layer_alloc(void *ctx, const struct sip_txn_layer_ops *ops,
					  void *priv, struct osmo_tdef *tdefs);
void sip_txn_layer_free(struct sip_txn_layer *tl);

/* Feed a received message; the layer matches it (17.1.3, 17.2.3). */
void sip_txn_layer_rx(struct sip_txn_layer *tl, const struct sip_txn_info *info, const uint8_t *raw,
		      size_t len, const struct sip_txn_dest *src);

/* Client: send req (copied) to d and run its transaction. info describes
 * req (branch, method). NULL on failure. */
struct sip_txn *sip_txn_client_start(struct sip_txn_layer *tl, const struct sip_txn_info *info,
				     const uint8_t *req, size_t len, const struct sip_txn_dest *d,
				     const struct sip_txn_user_ops *uops, void *tu);

/* Server: attach the transaction user that will get timeout/ack/terminated. */
void sip_txn_set_user(struct sip_txn *t, const struct sip_txn_user_ops *uops, void *tu);
/* Server: send a response (copied); status drives the state machine. */
int sip_txn_respond(struct sip_txn *t, int status, const uint8_t *rsp, size_t len);

/* The transport could not reach d: client transactions toward it fail
 * with a transport error (RFC 3261 17.1.4), from an event of their own.
 * Over UDP (ICMP unreachable, 18.4) only those without a response yet
 * (one that has a response heard the peer after its send), and with which
 * (the refused request's method and branch, as the ICMP quoted them) only
 * that transaction; which NULL or empty: all toward the address. */
void sip_txn_layer_transport_error(struct sip_txn_layer *tl, const struct sip_txn_dest *d,
				   const struct sip_refused *which);

/* Client transactions toward d that a transport error there would concern:
 * over UDP those without a response yet, over TCP/TLS all of them. */
unsigned sip_txn_layer_pending_toward(struct sip_txn_layer *tl, const struct sip_txn_dest *d);

/* Server: the INVITE server transaction a CANCEL (info) refers to (9.2). */
struct sip_txn *sip_txn_find_invite(struct sip_txn_layer *tl, const struct sip_txn_info *cancel);

enum sip_txn_kind sip_txn_kind(const struct sip_txn *t);
const char *sip_txn_state_name(const struct sip_txn *t);
const struct sip_txn_dest *sip_txn_dest(const struct sip_txn *t);
/* The request this transaction is about (as sent or received). */
const uint8_t *sip_txn_request(const struct sip_txn *t, size_t *len);
unsigned sip_txn_layer_count(const struct sip_txn_layer *tl);
/* Client: forget the user (it is going away); the transaction runs on. */
void sip_txn_detach_user(struct sip_txn *t);
/* The transaction user, when it was attached with uops (else NULL). */
void *sip_txn_user(const struct sip_txn *t, const struct sip_txn_user_ops *uops);
