/* SIP transports on the io_uring loop: UDP, TCP and TLS (openssl over memory
 * BIOs, so the ring does all socket I/O), IPv4 and IPv6.
 *
 * The transport moves whole messages: datagrams as they come, streams cut by
 * the framing function the SIP message layer provides (RFC 3261 18.3:
 * Content-Length). Streams answer RFC 5626 CRLF keep-alives. Connections are
 * reused per remote address (RFC 3261 18.1.1, 18.2.2). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct loop;
struct sip_transport;
struct sip_listener;
struct sip_conn;

enum sip_proto {
	SIP_PROTO_UDP,
	SIP_PROTO_TCP,
	SIP_PROTO_TLS,
};

const char *sip_proto_name(enum sip_proto p); /* "UDP", "TCP", "TLS" (Via transport) */

struct sip_rx {
	enum sip_proto proto;
	const uint8_t *data; /* one whole message; valid during the callback only */
	size_t len;
	struct sockaddr_storage src;
	socklen_t src_len;
	struct sip_listener *listener; /* the local socket it came to (NULL: outgoing conn) */
	struct sip_conn *conn;	       /* stream: the connection (for responses) */
};

typedef void (*sip_rx_cb)(void *priv, const struct sip_rx *rx);

/* Stream framing: length of the message at the front of buf, 0 if more
 * bytes are needed, negative if what is there can never be a message. */
typedef ssize_t (*sip_frame_fn)(const uint8_t *buf, size_t len);

/* TLS 1.2 suites we accept: forward-secret AEAD only. */
#define SIP_TLS12_CIPHERS                                                                          \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:" \
	"ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"   \
	"DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256"
/* Distinct per-trunk TLS client settings one transport holds. */
#define SIP_TLS_TRUNK_CTX_MAX 32

struct sip_tls_cfg {
	const char *cert_file, *key_file; /* ours (to listen; outgoing: mutual TLS) */
	const char *ca_file;		  /* trust anchors for peer verification */
	bool verify_peer;		  /* require and verify the peer's certificate */
	const char *server_name;	  /* outgoing: SNI and the name to verify */
};

struct sip_transport_cfg {
	size_t max_msg;		 /* largest message accepted on a stream (default 65535) */
	unsigned idle_timeout_s; /* close stream connections idle this long (default 600) */
	/* Slow senders: a message (and a TLS handshake) must be complete this
	 * long after its first byte, and an accepted connection must bring its
	 * first message as fast (default 10). */
	unsigned msg_timeout_s;
	unsigned max_conns;	       /* connections in all (default 1024) */
	unsigned max_conns_per_source; /* accepted from one address (default 32) */
};

struct sip_transport_stats {
	uint64_t rx_msgs, tx_msgs, rx_bad_frames, keepalives_answered;
	uint64_t conns_in, conns_out, conns_closed, tls_handshake_failures;
	uint64_t conns_refused_total, conns_refused_source; /* accepts over the caps */
	uint64_t conns_deadline, conns_idle;		    /* closed: message deadline, idle */
	/* ICMP unreachable for a datagram sent (RFC 3261 18.4): its requests failed */
	uint64_t udp_icmp_unreachable;
};

struct sip_transport *sip_transport_alloc(void *ctx, struct loop *l,
					  const struct sip_transport_cfg *cfg, sip_frame_fn frame,
					  sip_rx_cb cb, void *priv);
void sip_transport_free(struct sip_transport *t);

/* Listen; tls is needed for SIP_PROTO_TLS. NULL on failure (logged). */
struct sip_listener *sip_transport_listen(struct sip_transport *t, enum sip_proto proto,
					  const struct sockaddr *addr, socklen_t alen,
					  const struct sip_tls_cfg *tls);
int sip_listener_local(const struct sip_listener *ls, struct sockaddr_storage *ss);

/* Send one message. UDP goes out of the first UDP listener of the address
 * family. Streams: on conn when given (a response), else on a connection to
 * dst, reused or opened (tls: for a new TLS connection). 0 or -errno. */
int sip_transport_send(struct sip_transport *t, enum sip_proto proto, const struct sockaddr *dst,
		       socklen_t dlen, struct sip_conn *conn, const struct sip_tls_cfg *tls,
		       const void *buf, size_t len);

/* Which message an ICMP error refused, from what the ICMP message quotes
 * of it: a request's method (request line) and the branch of its top Via
 * (ours), or a response's to a request of the peer's: that request's
 * method (CSeq) and branch (top Via: the peer's); lengths 0 when the
 * quote does not hold them whole. */
struct sip_refused {
	const char *method, *branch;
	size_t method_len, branch_len;
	bool response;
};
/* Find them in a quoted datagram; 1 when it is a response, else 0. */
int sip_refused_parse(const uint8_t *quote, size_t len, struct sip_refused *r);

/* A connection we opened could not be used (connect or TLS handshake
 * failed, or it broke before anything came back), or an ICMP unreachable
 * came back for a request sent to peer over UDP (18.4): the transactions
 * waiting on it learn of it (RFC 3261 8.1.3.1, 17.1.4). which: the refused
 * request as the ICMP message quoted it (NULL for a connection). */
typedef void (*sip_conn_error_cb)(void *priv, enum sip_proto proto, const struct sockaddr *peer,
				  socklen_t plen, const struct sip_refused *which);
void sip_transport_on_conn_error(struct sip_transport *t, sip_conn_error_cb cb);

/* Configure TLS for connections this transport opens. */
int sip_transport_set_client_tls(struct sip_transport *t, const struct sip_tls_cfg *tls);

/* The local address of the first listener of proto (for Via and Contact). */
int sip_transport_local_addr(struct sip_transport *t, enum sip_proto proto,
			     struct sockaddr_storage *ss);

/* Capture (HEP, traces): every message received or sent, as it goes on the
 * wire (TLS: the plain text), with its addresses. One hook for the
 * process, NULL to stop; it must not send or close anything. */
struct sip_capture {
	bool tx;
	enum sip_proto proto;
	const struct sockaddr *src, *dst;
	const uint8_t *msg;
	size_t len;
};
typedef void (*sip_capture_cb)(void *priv, const struct sip_capture *cap);
void sip_transport_set_capture(sip_capture_cb cb, void *priv);

const struct sip_transport_stats *sip_transport_get_stats(const struct sip_transport *t);
/* A TLS connection's peer certificate against a trunk's trust: chains to
 * ca_file and (name not NULL) carries name in its subjectAltName (DNS or IP).
 * 0; -ENOENT no certificate; -EACCES not verified; -ENOTCONN; -EINVAL. */
int sip_conn_verify_peer(struct sip_transport *t, const struct sip_conn *conn, const char *ca_file,
			 const char *name);
unsigned sip_transport_conn_count(const struct sip_transport *t);
/* The destination of the last ICMP unreachable report ("addr:port") and
 * its kind ("port unreachable"...), NULL when there was none. */
const char *sip_transport_icmp_last(const struct sip_transport *t, const char **what);
