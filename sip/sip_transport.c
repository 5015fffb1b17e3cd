/* SIP over UDP, TCP and TLS on the io_uring loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>

#include "core/addr.h"
#include "core/log.h"
#include "core/loop.h"
#include "sip/sip_sec.h"
#include "sip/sip_transport.h"

struct sip_listener {
	struct llist_head list;
	struct sip_transport *t;
	enum sip_proto proto;
	struct loop_udp *udp;
	struct loop_listener *tcp;
	SSL_CTX *ssl_ctx;
	struct sockaddr_storage local;
	int rcvbuf; /* UDP: the receive queue's payload room granted, bytes */
};

/* The receive queue asked for each UDP listener: about a second of
 * requests at 1,000 calls a second. */
#define SIP_UDP_RCVBUF (4 << 20)

struct sip_conn {
	struct llist_head list;
	struct sip_transport *t;
	enum sip_proto proto;
	struct loop_conn *c;
	struct sip_listener *ls; /* accepted on; NULL for outgoing */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	uint64_t last_ns;
	uint64_t created_ns, msg_start_ns; /* msg_start_ns: 0 when no message is partial */
	uint64_t msgs;			   /* messages received */
	/* TLS */
	SSL *ssl;
	BIO *rbio, *wbio;
	uint8_t *plain; /* decrypted bytes not yet framed */
	size_t plain_len;
	uint8_t *pending; /* plaintext written before the handshake finished */
	size_t pending_len;
	char *peer_ok_for; /* settings the peer's certificate last passed (a cache) */
	bool dead;	   /* being closed: sends must not pick it */
};

struct sip_transport {
	struct loop *l;
	struct sip_transport_cfg cfg;
	sip_frame_fn frame;
	sip_rx_cb cb;
	void *priv;
	struct llist_head listeners, conns;
	SSL_CTX *client_ctx;
	char *client_server_name; /* SNI and name checked on connections we open */
	/* per-trunk client contexts (CA, name, client certificate), by settings */
	struct {
		char *key;
		SSL_CTX *ctx;
	} trunk_ctx[SIP_TLS_TRUNK_CTX_MAX];
	unsigned n_trunk_ctx;
	sip_conn_error_cb conn_error;
	struct loop_timer idle_tmr;
	struct sip_transport_stats st;
	unsigned nconns;
	uint64_t refuse_log_ns;			/* last "connection refused" log line */
	uint64_t icmp_log_ns;			/* last ICMP unreachable log line */
	unsigned icmp_unlogged;			/* reports since it */
	char icmp_last[64], icmp_last_what[32]; /* the last report: destination, kind */
};

static sip_capture_cb capture_cb;
static void *capture_priv;

void sip_transport_set_capture(sip_capture_cb cb, void *priv)
{
	capture_cb = cb;
	capture_priv = priv;
}

static void capture(bool tx, enum sip_proto proto, const struct sockaddr *local,
		    const struct sockaddr *peer, const void *msg, size_t len)
{
	struct sip_capture c = {
		.tx = tx,
		.proto = proto,
		.src = tx ? local : peer,
		.dst = tx ? peer : local,
		.msg = msg,
		.len = len,
	};

	capture_cb(capture_priv, &c);
}

/* a stream's local address, asked only while capturing */
static void conn_local(const struct sip_conn *sc, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	memset(ss, 0, sizeof(*ss));
	if (!sc->c || getsockname(loop_conn_fd(sc->c), (struct sockaddr *)ss, &len) < 0)
		ss->ss_family = sc->peer.ss_family;
}

const char *sip_proto_name(enum sip_proto p)
{
	switch (p) {
	case SIP_PROTO_UDP:
		return "UDP";
	case SIP_PROTO_TCP:
		return "TCP";
	case SIP_PROTO_TLS:
		return "TLS";
	}
	return "?";
}

static bool addr_eq(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (b->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

/* --- TLS contexts --- */

/* The reason of the first error on this thread's OpenSSL error queue, which
 * it leaves empty: SSL_get_error() reads the queue, and an error left over
 * from another connection (a failed verification pushes several) would make
 * a healthy connection's WANT_READ look like a fatal error. */
static const char *tls_reason(void)
{
	unsigned long first = ERR_get_error();
	const char *r = first ? ERR_reason_error_string(first) : NULL;

	ERR_clear_error();
	return r ? r : "no reason given";
}

static int keep_any_cert(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

static SSL_CTX *tls_ctx_new(const struct sip_tls_cfg *cfg, bool server)
{
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (!ctx)
		return NULL;
	/* TLS 1.2 at least (RFC 8996 deprecates 1.0 and 1.1); on 1.2 only
	 * forward-secret AEAD suites (ECDHE/DHE with GCM or ChaCha20-Poly1305):
	 * no static-RSA key exchange, no CBC, no SHA-1 MACs. TLS 1.3 suites
	 * are all forward-secret AEAD. No renegotiation. */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_set_cipher_list(ctx, SIP_TLS12_CIPHERS) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_NO_COMPRESSION);
	if (server) {
		/* No session resumption: a trunk's certificate is checked
		 * against its trunk's CA and name at its first request
		 * (sip_conn_verify_peer), which needs the whole chain it sends
		 * in a full handshake. No session cache, no tickets (1.2 and
		 * 1.3): a client offering an old session gets a full handshake.
		 * The context is set all the same: OpenSSL refuses a resumption
		 * offered to a verifying server without one ("session id context
		 * uninitialized"), which failed stunnel's second connection. */
		static const unsigned char sid_ctx[] = "tandem-sip";

		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		SSL_CTX_set_num_tickets(ctx, 0);
		SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	}
	if (cfg->cert_file &&
	    (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1 ||
	     SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file ? cfg->key_file : cfg->cert_file,
					 SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_check_private_key(ctx) != 1)) {
		LOGP(DSIP, LOGL_ERROR, "TLS: cannot load certificate %s / key %s: %s\n",
		     cfg->cert_file, cfg->key_file ? cfg->key_file : cfg->cert_file, tls_reason());
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (cfg->ca_file && SSL_CTX_load_verify_locations(ctx, cfg->ca_file, NULL) != 1) {
		LOGP(DSIP, LOGL_ERROR, "TLS: cannot load CA file %s: %s\n", cfg->ca_file,
		     tls_reason());
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (cfg->verify_peer)
		SSL_CTX_set_verify(ctx,
				   SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
				   NULL);
	else if (server)
		/* ask every client for its certificate and keep it: which trunk
		 * a connection belongs to, and so which CA and name it must
		 * prove, is known only from its first request
		 * (sip_conn_verify_peer) */
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_CLIENT_ONCE, keep_any_cert);
	return ctx;
}

int sip_transport_set_client_tls(struct sip_transport *t, const struct sip_tls_cfg *tls)
{
	SSL_CTX *ctx = tls_ctx_new(tls, false);

	if (!ctx)
		return -EINVAL;
	if (t->client_ctx)
		SSL_CTX_free(t->client_ctx);
	t->client_ctx = ctx;
	talloc_free(t->client_server_name);
	t->client_server_name = tls->server_name ? talloc_strdup(t, tls->server_name) : NULL;
	return 0;
}

/* --- connections --- */

static void conn_error(struct sip_conn *sc)
{
	/* a request the transaction layer sends again from here opens a new
	 * connection rather than queueing on this dying one */
	sc->dead = true;
	/* only connections we opened have transactions waiting for them */
	if (!sc->ls && sc->t->conn_error)
		sc->t->conn_error(sc->t->priv, sc->proto, (struct sockaddr *)&sc->peer,
				  sc->peer_len, NULL);
}

static void conn_destroy(struct sip_conn *sc)
{
	llist_del(&sc->list);
	sc->t->nconns--;
	sc->t->st.conns_closed++;
	if (sc->ssl)
		SSL_free(sc->ssl); /* frees both BIOs */
	talloc_free(sc);
}

static void conn_close(struct sip_conn *sc)
{
	loop_conn_close(sc->c);
	conn_destroy(sc);
}

static void deliver(struct sip_conn *sc, const uint8_t *msg, size_t len)
{
	struct sip_rx rx = {
		.proto = sc->proto,
		.data = msg,
		.len = len,
		.src = sc->peer,
		.src_len = sc->peer_len,
		.listener = sc->ls,
		.conn = sc,
	};

	sc->t->st.rx_msgs++;
	sc->msgs++;
	if (capture_cb) {
		struct sockaddr_storage local;

		conn_local(sc, &local);
		capture(false, sc->proto, (struct sockaddr *)&local, (struct sockaddr *)&sc->peer,
			msg, len);
	}
	sc->t->cb(sc->t->priv, &rx);
}

static int raw_send(struct sip_conn *sc, const void *buf, size_t len);

/* Cut whole messages off the front of a stream. Returns bytes used, or -1
 * when the stream cannot be resynchronised (the caller closes it). */
static ssize_t stream_consume(struct sip_conn *sc, const uint8_t *buf, size_t len)
{
	size_t used = 0;
	char peer[64];

	while (used < len) {
		const uint8_t *p = buf + used;
		size_t left = len - used;
		ssize_t n;

		/* RFC 5626 4.4.1: a double CRLF is a ping, answered by one CRLF
		 * (the pong); a lone CRLF between messages is skipped. */
		if (p[0] == '\r' || p[0] == '\n') {
			if (left >= 4 && !memcmp(p, "\r\n\r\n", 4)) {
				raw_send(sc, "\r\n", 2);
				sc->t->st.keepalives_answered++;
				used += 4;
				continue;
			}
			if (left < 4 && !memcmp(p, "\r\n\r\n", left))
				break; /* might become a ping */
			used += (left >= 2 && p[0] == '\r' && p[1] == '\n') ? 2 : 1;
			continue;
		}
		n = sc->t->frame(p, left);
		if (n < 0 || (n == 0 && left > sc->t->cfg.max_msg) || (size_t)n > left) {
			sc->t->st.rx_bad_frames++;
			LOGP(DSIP, LOGL_NOTICE,
			     "%s %s: unframeable stream data (%zu bytes), closing\n",
			     sip_proto_name(sc->proto),
			     tandem_addr_str(&sc->peer, peer, sizeof(peer)), left);
			return -1;
		}
		if (n == 0)
			break;
		deliver(sc, p, (size_t)n);
		used += (size_t)n;
	}
	return (ssize_t)used;
}

static void tls_flush(struct sip_conn *sc)
{
	uint8_t buf[16384];
	int n;

	while ((n = BIO_read(sc->wbio, buf, sizeof(buf))) > 0)
		loop_conn_send(sc->c, buf, (size_t)n);
}

static int raw_send(struct sip_conn *sc, const void *buf, size_t len)
{
	int rc;

	sc->last_ns = loop_now_ns();
	if (!sc->ssl)
		return loop_conn_send(sc->c, buf, len);
	if (!SSL_is_init_finished(sc->ssl)) {
		uint8_t *p = talloc_realloc_size(sc, sc->pending, sc->pending_len + len);

		if (!p)
			return -ENOMEM;
		memcpy(p + sc->pending_len, buf, len);
		sc->pending = p;
		sc->pending_len += len;
		return 0;
	}
	ERR_clear_error();
	rc = SSL_write(sc->ssl, buf, (int)len);
	tls_flush(sc);
	if (rc <= 0)
		ERR_clear_error();
	return rc == (int)len ? 0 : -EIO;
}

/* Drive the TLS engine with what arrived; false when the connection died.
 * What arrived before a close_notify or an alert is still delivered; after
 * an alert or a broken record the requests we sent on it are failed at once
 * rather than by Timer F (an orderly close, like a TCP FIN, leaves them: the
 * far end may answer on a new connection, RFC 3261 18.2.2). */
static bool tls_pump(struct sip_conn *sc)
{
	char peer[64];
	bool alive = true, failed = false;

	if (!SSL_is_init_finished(sc->ssl)) {
		int rc;

		ERR_clear_error();
		rc = SSL_do_handshake(sc->ssl);

		tls_flush(sc);
		if (rc != 1) {
			int e = SSL_get_error(sc->ssl, rc);

			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return true;
			long vr = SSL_get_verify_result(sc->ssl);

			sc->t->st.tls_handshake_failures++;
			/* the certificate check's own reason (wrong CA, wrong
			 * name, expired) where that is what failed */
			LOGP(DSIP, LOGL_NOTICE, "TLS %s: handshake failed: %s%s%s\n",
			     tandem_addr_str(&sc->peer, peer, sizeof(peer)), tls_reason(),
			     vr != X509_V_OK ? ": " : "",
			     vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "");
			conn_error(sc);
			return false;
		}
		if (sc->pending_len) {
			uint8_t *p = sc->pending;
			size_t n = sc->pending_len;

			sc->pending = NULL;
			sc->pending_len = 0;
			raw_send(sc, p, n);
			talloc_free(p);
		}
	}
	for (;;) {
		uint8_t buf[16384];
		int n, e;
		uint8_t *p;

		ERR_clear_error();
		n = SSL_read(sc->ssl, buf, sizeof(buf));
		if (n <= 0) {
			e = SSL_get_error(sc->ssl, n);
			tls_flush(sc);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				break;
			if (e == SSL_ERROR_ZERO_RETURN)
				LOGP(DSIP, LOGL_INFO, "TLS %s: closed by the peer (close_notify)\n",
				     tandem_addr_str(&sc->peer, peer, sizeof(peer)));
			else
				LOGP(DSIP, LOGL_NOTICE, "TLS %s: %s, closing\n",
				     tandem_addr_str(&sc->peer, peer, sizeof(peer)),
				     e == SSL_ERROR_SSL ? tls_reason() : "transport error");
			ERR_clear_error();
			failed = e != SSL_ERROR_ZERO_RETURN;
			alive = false;
			break;
		}
		if (sc->plain_len + (size_t)n > sc->t->cfg.max_msg * 2)
			return false;
		p = talloc_realloc_size(sc, sc->plain, sc->plain_len + (size_t)n);
		if (!p)
			return false;
		memcpy(p + sc->plain_len, buf, (size_t)n);
		sc->plain = p;
		sc->plain_len += (size_t)n;
	}
	if (sc->plain_len) {
		ssize_t used = stream_consume(sc, sc->plain, sc->plain_len);

		if (used < 0)
			return false;
		memmove(sc->plain, sc->plain + used, sc->plain_len - (size_t)used);
		sc->plain_len -= (size_t)used;
	}
	if (failed)
		conn_error(sc);
	return alive;
}

/* The message deadline: running while bytes of an unfinished message (or
 * an unfinished TLS handshake) wait; a message that completed restarts it
 * for whatever follows. */
static void conn_partial(struct sip_conn *sc, bool partial, uint64_t msgs_before)
{
	if (!partial)
		sc->msg_start_ns = 0;
	else if (!sc->msg_start_ns || sc->msgs != msgs_before)
		sc->msg_start_ns = sc->last_ns;
}

static size_t conn_data(void *priv, const uint8_t *data, size_t len)
{
	struct sip_conn *sc = priv;
	uint64_t msgs = sc->msgs;
	ssize_t used;

	sc->last_ns = loop_now_ns();
	if (sc->ssl) {
		BIO_write(sc->rbio, data, (int)len);
		if (!tls_pump(sc)) {
			conn_close(sc);
			return len;
		}
		conn_partial(sc, sc->plain_len > 0 || !SSL_is_init_finished(sc->ssl), msgs);
		return len;
	}
	used = stream_consume(sc, data, len);
	if (used < 0) {
		conn_close(sc);
		return len;
	}
	conn_partial(sc, (size_t)used < len, msgs);
	return (size_t)used;
}

static void conn_closed(void *priv, int err)
{
	struct sip_conn *sc = priv;
	char peer[64];

	LOGP(DSIP, LOGL_INFO, "%s %s: connection closed (%s)\n", sip_proto_name(sc->proto),
	     tandem_addr_str(&sc->peer, peer, sizeof(peer)), err ? strerror(-err) : "by peer");
	conn_destroy(sc);
}

static void conn_connected(void *priv, int err)
{
	struct sip_conn *sc = priv;
	char peer[64];

	if (err) {
		LOGP(DSIP, LOGL_NOTICE, "%s %s: connect failed: %s\n", sip_proto_name(sc->proto),
		     tandem_addr_str(&sc->peer, peer, sizeof(peer)), strerror(-err));
		conn_error(sc);
		conn_destroy(sc);
		return;
	}
	if (sc->ssl && !tls_pump(sc))
		conn_close(sc);
}

static const struct loop_conn_cbs conn_cbs = {
	.on_connect = conn_connected,
	.on_data = conn_data,
	.on_close = conn_closed,
};

static struct sip_conn *conn_new(struct sip_transport *t, enum sip_proto proto,
				 const struct sockaddr *peer, socklen_t plen)
{
	struct sip_conn *sc = talloc_zero(t, struct sip_conn);

	if (!sc)
		return NULL;
	sc->t = t;
	sc->proto = proto;
	memcpy(&sc->peer, peer, plen);
	sc->peer_len = plen;
	sc->last_ns = loop_now_ns();
	sc->created_ns = sc->last_ns;
	llist_add_tail(&sc->list, &t->conns);
	t->nconns++;
	return sc;
}

static bool conn_tls_setup(struct sip_conn *sc, SSL_CTX *ctx, bool server, const char *sni)
{
	sc->ssl = SSL_new(ctx);
	sc->rbio = BIO_new(BIO_s_mem());
	sc->wbio = BIO_new(BIO_s_mem());
	if (!sc->ssl || !sc->rbio || !sc->wbio) {
		BIO_free(sc->rbio);
		BIO_free(sc->wbio);
		return false;
	}
	SSL_set_bio(sc->ssl, sc->rbio, sc->wbio);
	if (server) {
		SSL_set_accept_state(sc->ssl);
	} else {
		SSL_set_connect_state(sc->ssl);
		if (sni) {
			SSL_set_tlsext_host_name(sc->ssl, sni);
			SSL_set1_host(sc->ssl, sni);
		}
	}
	return true;
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (b->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return false;
}

/* The caps on stream connections: true when this one may stay. */
static bool accept_allowed(struct sip_transport *t, const struct sockaddr *peer, socklen_t plen)
{
	struct sip_conn *it;
	unsigned from_peer = 0;
	const char *why = NULL;

	if (t->nconns >= t->cfg.max_conns) {
		t->st.conns_refused_total++;
		why = "connections in all";
	} else {
		llist_for_each_entry(it, &t->conns, list) if (it->ls && same_host(&it->peer, peer))
			from_peer++;
		if (from_peer >= t->cfg.max_conns_per_source) {
			t->st.conns_refused_source++;
			why = "connections from this address";
		}
	}
	if (!why)
		return true;
	/* at most one line a second: a flood of connections is one event */
	if (loop_now_ns() - t->refuse_log_ns > 1000000000ull) {
		struct sockaddr_storage ss = {0};
		char buf[64];

		t->refuse_log_ns = loop_now_ns();
		memcpy(&ss, peer, plen < sizeof(ss) ? plen : sizeof(ss));
		LOGP(DSIP, LOGL_NOTICE, "connection from %s refused: at the limit of %s\n",
		     tandem_addr_str(&ss, buf, sizeof(buf)), why);
	}
	return false;
}

static void on_accept(void *priv, int fd, const struct sockaddr *peer, socklen_t plen)
{
	struct sip_listener *ls = priv;
	struct sip_transport *t = ls->t;
	struct sip_conn *sc;

	if (!plen || !accept_allowed(t, peer, plen)) {
		close(fd);
		return;
	}
	sc = conn_new(t, ls->proto, peer, plen);
	if (!sc) {
		close(fd);
		return;
	}
	sc->ls = ls;
	if (ls->proto == SIP_PROTO_TLS && !conn_tls_setup(sc, ls->ssl_ctx, true, NULL)) {
		close(fd);
		conn_destroy(sc);
		return;
	}
	sc->c = loop_conn_adopt(t->l, fd, &conn_cbs, sc);
	if (!sc->c) {
		close(fd);
		conn_destroy(sc);
		return;
	}
	t->st.conns_in++;
}

/* --- UDP --- */

static void udp_rx(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		   socklen_t fromlen)
{
	struct sip_listener *ls = priv;
	struct sip_rx rx = {
		.proto = SIP_PROTO_UDP,
		.data = data,
		.len = len,
		.src_len = fromlen,
		.listener = ls,
	};

	/* RFC 5626 4.4.2 uses STUN for UDP keep-alives; a stray CRLF is not a message */
	if (len <= 4 && strspn((const char *)data, "\r\n") >= len)
		return;
	memcpy(&rx.src, from, fromlen);
	ls->t->st.rx_msgs++;
	if (capture_cb)
		capture(false, SIP_PROTO_UDP, (struct sockaddr *)&ls->local, from, data, len);
	ls->t->cb(ls->t->priv, &rx);
}

/* RFC 3261 18.4: ICMP host, network, port or protocol unreachable for a
 * datagram we sent fails the client transactions toward its destination
 * at once (17.1.1.2, 17.1.2.2) instead of at Timer B/F. Fragmentation
 * needed, time exceeded and source quench are not "unreachable". */
static const char *icmp_unreachable(const struct loop_udp_err *e)
{
	if (!e->icmp6) {
		if (e->type != 3 /* destination unreachable */)
			return NULL;
		switch (e->code) {
		case 0:
		case 6:
			return "network unreachable";
		case 1:
		case 7:
			return "host unreachable";
		case 2:
			return "protocol unreachable";
		case 3:
			return "port unreachable";
		case 4: /* fragmentation needed: path MTU, not the target */
			return NULL;
		case 9:
		case 10:
		case 13:
			return "administratively prohibited";
		}
		return "unreachable";
	}
	if (e->type == 1 /* destination unreachable */) {
		switch (e->code) {
		case 0:
			return "no route";
		case 1:
			return "administratively prohibited";
		case 3:
			return "address unreachable";
		case 4:
			return "port unreachable";
		}
		return "unreachable";
	}
	if (e->type == 4 && e->code == 1) /* parameter problem: next header */
		return "protocol unreachable";
	return NULL;
}

/* RFC 3261 token characters, at most max of them (a quote may come from
 * anyone: nothing else reaches a log line or a comparison) */
static bool is_token(const char *p, size_t n, size_t max)
{
	if (!n || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || strchr("-.!%*_+`'~", ch)))
			return false;
	}
	return true;
}

/* The quoted datagram: its request line's method, then the header lines
 * up to the first Via (or v) and that line's branch parameter, all whole
 * inside the quote (one cut off names nothing) and tokens. */
/* The header's name, when the line p..eol is a header (else NULL): its
 * length in *nlen; the value starts after *colon */
static const char *refused_hdr(const char *p, const char *eol, size_t *nlen, const char **colon)
{
	const char *c = memchr(p, ':', (size_t)(eol - p));

	if (!c)
		return NULL;
	*colon = c;
	while (c > p && (c[-1] == ' ' || c[-1] == '\t'))
		c--;
	*nlen = (size_t)(c - p);
	return p;
}

/* The top Via's branch (its first value's) on the line after c */
static void refused_branch(const char *c, const char *eol, struct sip_refused *r)
{
	for (const char *b = c; b + 7 <= eol; b++) {
		const char *v = b + 7, *ve = v;

		if (strncasecmp(b, "branch=", 7) || (b[-1] != ';' && b[-1] != ' '))
			continue;
		while (ve < eol && *ve != ';' && *ve != ',' && *ve != ' ' && *ve != '\t' &&
		       *ve != '\r')
			ve++;
		if (is_token(v, (size_t)(ve - v), 128)) {
			r->branch = v;
			r->branch_len = (size_t)(ve - v);
		}
		return;
	}
}

/* The method of a CSeq value ("1 INVITE") on the line after c */
static void refused_cseq(const char *c, const char *eol, struct sip_refused *r)
{
	const char *m, *me;

	for (m = c + 1; m < eol && (*m == ' ' || *m == '\t'); m++)
		;
	while (m < eol && *m >= '0' && *m <= '9')
		m++;
	while (m < eol && (*m == ' ' || *m == '\t'))
		m++;
	for (me = m; me < eol && *me != ' ' && *me != '\t' && *me != '\r'; me++)
		;
	if (me < eol && is_token(m, (size_t)(me - m), 32)) {
		r->method = m;
		r->method_len = (size_t)(me - m);
	}
}

int sip_refused_parse(const uint8_t *quote, size_t len, struct sip_refused *r)
{
	const char *p = (const char *)quote, *end = p + len, *eol, *sp;
	bool via = false, cseq = false;

	memset(r, 0, sizeof(*r));
	eol = memchr(p, '\n', len);
	if (len >= 8 && !memcmp(p, "SIP/2.0 ", 8)) {
		r->response = true; /* the method is its CSeq's */
	} else {
		sp = memchr(p, ' ', len);
		if (!sp || !eol || sp > eol || !is_token(p, (size_t)(sp - p), 32))
			return 0;
		r->method = p;
		r->method_len = (size_t)(sp - p);
		cseq = true;
	}
	if (!eol)
		return r->response;
	for (p = eol + 1; p < end && !(via && cseq); p = eol + 1) {
		const char *c;
		size_t n;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol || eol == p || (eol == p + 1 && *p == '\r'))
			break; /* cut off, or the end of the headers */
		if (!refused_hdr(p, eol, &n, &c))
			continue;
		if (!via && ((n == 3 && !strncasecmp(p, "Via", 3)) ||
			     (n == 1 && (*p == 'v' || *p == 'V')))) {
			via = true; /* the top one only */
			refused_branch(c, eol, r);
		} else if (!cseq && n == 4 && !strncasecmp(p, "CSeq", 4)) {
			cseq = true;
			refused_cseq(c, eol, r);
		}
	}
	return r->response;
}

static void udp_err(void *priv, const struct loop_udp_err *e)
{
	struct sip_listener *ls = priv;
	struct sip_transport *t = ls->t;
	const char *what = icmp_unreachable(e);
	struct sip_refused which;
	bool rsp;
	struct sockaddr_storage dst;
	socklen_t dlen;
	char peer[64], from[64];
	uint64_t now;

	if (!what)
		return;
	/* the address as a transaction holds it: family, address, port */
	memset(&dst, 0, sizeof(dst));
	if (e->dst->sa_family == AF_INET && e->dst_len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in *d = (struct sockaddr_in *)&dst;

		memcpy(d, e->dst, sizeof(*d));
		memset(d->sin_zero, 0, sizeof(d->sin_zero));
		dlen = sizeof(*d);
	} else if (e->dst->sa_family == AF_INET6 && e->dst_len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *x = (const void *)e->dst;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&dst;

		d->sin6_family = AF_INET6;
		d->sin6_port = x->sin6_port;
		d->sin6_addr = x->sin6_addr;
		d->sin6_scope_id = IN6_IS_ADDR_LINKLOCAL(&x->sin6_addr) ? x->sin6_scope_id : 0;
		dlen = sizeof(*d);
	} else
		return;
	t->st.udp_icmp_unreachable++;
	/* what it refused: a response concerns no client transaction */
	rsp = sip_refused_parse(e->quote, e->quote_len, &which) == 1;
	tandem_addr_str(&dst, t->icmp_last, sizeof(t->icmp_last));
	snprintf(t->icmp_last_what, sizeof(t->icmp_last_what), "%s", what);
	now = loop_now_ns();
	if (!t->icmp_log_ns || now - t->icmp_log_ns >= 1000000000ull) {
		if (e->offender && e->offender->sa_family == dst.ss_family) {
			struct sockaddr_storage off;

			memset(&off, 0, sizeof(off));
			memcpy(&off, e->offender,
			       e->offender->sa_family == AF_INET ? sizeof(struct sockaddr_in)
								 : sizeof(struct sockaddr_in6));
			tandem_addr_str(&off, from, sizeof(from));
			/* the offender's port means nothing */
			char *colon = strrchr(from, ':');

			if (colon && off.ss_family == AF_INET)
				*colon = 0;
		} else
			snprintf(from, sizeof(from), "?");
		bool inv_rsp = rsp && which.branch_len && which.method_len == 6 &&
			       !memcmp(which.method, "INVITE", 6);

		LOGP(DSIP, LOGL_NOTICE, "UDP %s: ICMP %s (from %s) for %s%.*s%s%.*s: %s%s%.0u%s\n",
		     tandem_addr_str(&dst, peer, sizeof(peer)), what, from,
		     rsp && which.method_len ? "a response to "
		     : rsp		     ? "a response"
		     : which.method_len	     ? ""
					     : "a datagram",
		     (int)which.method_len, which.method ? which.method : "",
		     which.branch_len ? " branch " : "", (int)which.branch_len,
		     which.branch ? which.branch : "",
		     sip_sec_cfg.icmp_ignore ? "ignored (icmp-errors ignore)"
		     : inv_rsp ? "at the second the caller is taken for gone and its call ends "
				 "(RFC 3261 17.2.4)"
		     : rsp     ? "no transaction concerned"
		     : which.branch_len ? "its transaction fails at the second (RFC 3261 18.4)"
					: "requests to it without a response fail at the second "
					  "(RFC 3261 18.4)",
		     t->icmp_unlogged ? ", " : "", t->icmp_unlogged,
		     t->icmp_unlogged ? " more since the last line" : "");
		t->icmp_log_ns = now;
		t->icmp_unlogged = 0;
	} else
		t->icmp_unlogged++;
	/* (with icmp-errors ignore the UA only counts it on the trunks; a
	 * response concerns the server transaction of its request) */
	if (t->conn_error)
		t->conn_error(t->priv, SIP_PROTO_UDP, (struct sockaddr *)&dst, dlen, &which);
}

/* --- transport --- */

static void idle_check(void *priv)
{
	struct sip_transport *t = priv;
	struct sip_conn *sc, *n;
	uint64_t now = loop_now_ns(), limit = (uint64_t)t->cfg.idle_timeout_s * 1000000000ull;
	uint64_t msg_limit = (uint64_t)t->cfg.msg_timeout_s * 1000000000ull;

	llist_for_each_entry_safe(sc, n, &t->conns, list)
	{
		char peer[64];

		/* a slow sender (one byte every few seconds) or a connection
		 * that never brings a message: the deadline, not the idle timer */
		if ((sc->msg_start_ns && now - sc->msg_start_ns > msg_limit) ||
		    (sc->ls && !sc->msgs && now - sc->created_ns > msg_limit)) {
			t->st.conns_deadline++;
			LOGP(DSIP, LOGL_INFO, "%s %s: no complete message within %u s, closing\n",
			     sip_proto_name(sc->proto),
			     tandem_addr_str(&sc->peer, peer, sizeof(peer)), t->cfg.msg_timeout_s);
			conn_close(sc);
		} else if (now - sc->last_ns > limit) {
			t->st.conns_idle++;
			LOGP(DSIP, LOGL_INFO, "%s %s: idle, closing\n", sip_proto_name(sc->proto),
			     tandem_addr_str(&sc->peer, peer, sizeof(peer)));
			conn_close(sc);
		}
	}
	loop_timer_schedule(t->l, &t->idle_tmr, 1000000);
}

struct sip_transport *sip_transport_alloc(void *ctx, struct loop *l,
					  const struct sip_transport_cfg *cfg, sip_frame_fn frame,
					  sip_rx_cb cb, void *priv)
{
	struct sip_transport *t = talloc_zero(ctx, struct sip_transport);

	if (!t)
		return NULL;
	t->l = l;
	if (cfg)
		t->cfg = *cfg;
	if (!t->cfg.max_msg)
		t->cfg.max_msg = 65535;
	if (!t->cfg.idle_timeout_s)
		t->cfg.idle_timeout_s = 600;
	if (!t->cfg.msg_timeout_s)
		t->cfg.msg_timeout_s = 10;
	if (!t->cfg.max_conns)
		t->cfg.max_conns = 1024;
	if (!t->cfg.max_conns_per_source)
		t->cfg.max_conns_per_source = 32;
	t->frame = frame;
	t->cb = cb;
	t->priv = priv;
	INIT_LLIST_HEAD(&t->listeners);
	INIT_LLIST_HEAD(&t->conns);
	loop_timer_init(&t->idle_tmr, idle_check, t);
	loop_timer_schedule(l, &t->idle_tmr, 1000000);
	return t;
}

void sip_transport_free(struct sip_transport *t)
{
	struct sip_conn *sc, *n;
	struct sip_listener *ls, *ln;

	loop_timer_cancel(t->l, &t->idle_tmr);
	llist_for_each_entry_safe(sc, n, &t->conns, list) conn_close(sc);
	llist_for_each_entry_safe(ls, ln, &t->listeners, list)
	{
		if (ls->udp)
			loop_udp_close(ls->udp);
		if (ls->tcp)
			loop_listener_close(ls->tcp);
		if (ls->ssl_ctx)
			SSL_CTX_free(ls->ssl_ctx);
		llist_del(&ls->list);
	}
	if (t->client_ctx)
		SSL_CTX_free(t->client_ctx);
	for (unsigned i = 0; i < t->n_trunk_ctx; i++)
		SSL_CTX_free(t->trunk_ctx[i].ctx);
	talloc_free(t);
}

struct sip_listener *sip_transport_listen(struct sip_transport *t, enum sip_proto proto,
					  const struct sockaddr *addr, socklen_t alen,
					  const struct sip_tls_cfg *tls)
{
	struct sip_listener *ls = talloc_zero(t, struct sip_listener);
	char buf[64];

	if (!ls)
		return NULL;
	ls->t = t;
	ls->proto = proto;
	if (proto == SIP_PROTO_TLS) {
		if (!tls || !tls->cert_file || !(ls->ssl_ctx = tls_ctx_new(tls, true))) {
			LOGP(DSIP, LOGL_ERROR, "TLS listener needs a certificate and key\n");
			talloc_free(ls);
			return NULL;
		}
	}
	if (proto == SIP_PROTO_UDP) {
		ls->udp = loop_udp_open(t->l, addr, alen, udp_rx, ls);
		if (ls->udp && loop_udp_on_error(ls->udp, udp_err) < 0)
			LOGP(DSIP, LOGL_NOTICE,
			     "UDP listener: no ICMP error reports (IP_RECVERR): a dead "
			     "target is found by Timer B/F only\n");
		/* how long requests wait for us ("show loop"): what a peer's
		 * retransmission timer sees */
		if (ls->udp && loop_udp_measure_wait(ls->udp) < 0)
			LOGP(DSIP, LOGL_INFO, "UDP listener: no receive times (SO_TIMESTAMPNS)\n");
		/* a queue that rides out a moment of a busy thread: at 1,000
		 * calls a second (3,000 requests) the default ~200 kB held
		 * about 60 ms of them, and a 300 ms heap trim lost 141 */
		if (ls->udp) {
			int got = loop_udp_rcvbuf(ls->udp, SIP_UDP_RCVBUF);

			ls->rcvbuf = got > 0 ? got : 0;
			if (got >= 0 && got < SIP_UDP_RCVBUF / 2)
				LOGP(DSIP, LOGL_NOTICE,
				     "UDP listener: receive queue %d kB of the %d kB asked "
				     "(net.core.rmem_max caps it; CAP_NET_ADMIN would not): "
				     "a busy moment may lose requests\n",
				     got / 1024, SIP_UDP_RCVBUF / 1024);
		}
	} else
		ls->tcp = loop_tcp_listen(t->l, addr, alen, on_accept, ls);
	if (!ls->udp && !ls->tcp) {
		memcpy(&ls->local, addr, alen);
		LOGP(DSIP, LOGL_ERROR, "cannot listen on %s %s\n", sip_proto_name(proto),
		     tandem_addr_str(&ls->local, buf, sizeof(buf)));
		if (ls->ssl_ctx)
			SSL_CTX_free(ls->ssl_ctx);
		talloc_free(ls);
		return NULL;
	}
	sip_listener_local(ls, &ls->local);
	llist_add_tail(&ls->list, &t->listeners);
	if (ls->udp)
		LOGP(DSIP, LOGL_NOTICE, "listening on %s %s (receive queue %d kB)\n",
		     sip_proto_name(proto), tandem_addr_str(&ls->local, buf, sizeof(buf)),
		     ls->rcvbuf / 1024);
	else
		LOGP(DSIP, LOGL_NOTICE, "listening on %s %s\n", sip_proto_name(proto),
		     tandem_addr_str(&ls->local, buf, sizeof(buf)));
	return ls;
}

/* The client context for one trunk's settings, made once. */
static SSL_CTX *trunk_client_ctx(struct sip_transport *t, const struct sip_tls_cfg *tls)
{
	char key[1024];
	SSL_CTX *ctx;

	snprintf(key, sizeof(key), "%s|%s|%s|%s|%d", tls->ca_file ? tls->ca_file : "",
		 tls->server_name ? tls->server_name : "", tls->cert_file ? tls->cert_file : "",
		 tls->key_file ? tls->key_file : "", tls->verify_peer);
	for (unsigned i = 0; i < t->n_trunk_ctx; i++)
		if (!strcmp(t->trunk_ctx[i].key, key))
			return t->trunk_ctx[i].ctx;
	if (t->n_trunk_ctx == SIP_TLS_TRUNK_CTX_MAX)
		return NULL;
	ctx = tls_ctx_new(tls, false);
	if (!ctx)
		return NULL;
	t->trunk_ctx[t->n_trunk_ctx].key = talloc_strdup(t, key);
	t->trunk_ctx[t->n_trunk_ctx++].ctx = ctx;
	return ctx;
}

int sip_listener_local(const struct sip_listener *ls, struct sockaddr_storage *ss)
{
	return ls->udp ? loop_udp_local(ls->udp, ss) : loop_listener_local(ls->tcp, ss);
}

int sip_transport_send(struct sip_transport *t, enum sip_proto proto, const struct sockaddr *dst,
		       socklen_t dlen, struct sip_conn *conn, const struct sip_tls_cfg *tls,
		       const void *buf, size_t len)
{
	struct sip_conn *sc = NULL, *it;
	int rc;

	if (proto == SIP_PROTO_UDP) {
		struct sip_listener *ls;

		llist_for_each_entry(ls, &t->listeners, list)
		{
			if (ls->udp && ls->local.ss_family == dst->sa_family) {
				rc = loop_udp_send(ls->udp, buf, len, dst, dlen);
				if (rc == 0)
					t->st.tx_msgs++;
				if (rc == 0 && capture_cb)
					capture(true, proto, (struct sockaddr *)&ls->local, dst,
						buf, len);
				return rc;
			}
		}
		return -ENETUNREACH;
	}
	/* the connection given must still exist: look it up rather than trust it */
	llist_for_each_entry(it, &t->conns, list)
	{
		if (it->dead)
			continue;
		if (conn && it == conn) {
			sc = it;
			break;
		}
		if (!conn && it->proto == proto && dst && addr_eq(&it->peer, dst))
			sc = it;
	}
	if (!sc && conn && dst) {
		llist_for_each_entry(it, &t->conns, list) if (!it->dead && it->proto == proto &&
							      addr_eq(&it->peer, dst)) sc = it;
	}
	if (!sc) {
		if (!dst || dlen > sizeof(struct sockaddr_storage))
			return -ENOTCONN;
		SSL_CTX *cctx = NULL;

		/* a trunk's own settings (CA, name, client certificate), else
		 * the transport's default */
		if (proto == SIP_PROTO_TLS &&
		    !(cctx = tls ? trunk_client_ctx(t, tls) : t->client_ctx))
			return -EINVAL;
		sc = conn_new(t, proto, dst, dlen);
		if (!sc)
			return -ENOMEM;
		if (proto == SIP_PROTO_TLS &&
		    !conn_tls_setup(sc, cctx, false,
				    tls ? tls->server_name : t->client_server_name)) {
			conn_destroy(sc);
			return -ENOMEM;
		}
		sc->c = loop_tcp_connect(t->l, dst, dlen, &conn_cbs, sc);
		if (!sc->c) {
			conn_destroy(sc);
			return -ECONNREFUSED;
		}
		t->st.conns_out++;
	}
	rc = raw_send(sc, buf, len);
	if (rc == 0)
		t->st.tx_msgs++;
	if (rc == 0 && capture_cb) {
		struct sockaddr_storage local;

		conn_local(sc, &local);
		capture(true, sc->proto, (struct sockaddr *)&local, (struct sockaddr *)&sc->peer,
			buf, len);
	}
	return rc;
}

int sip_conn_verify_peer(struct sip_transport *t, const struct sip_conn *conn, const char *ca_file,
			 const char *name)
{
	struct sip_conn *sc = NULL, *it;
	X509_STORE *st = NULL;
	X509_STORE_CTX *xc = NULL;
	X509 *cert;
	char key[600];
	int rc = -EACCES;

	if (!conn || !ca_file)
		return -EINVAL;
	llist_for_each_entry(it, &t->conns, list) if (it == conn) sc = it;
	if (!sc || !sc->ssl)
		return -ENOTCONN;
	snprintf(key, sizeof(key), "%s|%s", ca_file, name ? name : "");
	if (sc->peer_ok_for && !strcmp(sc->peer_ok_for, key))
		return 0;
	cert = SSL_get0_peer_certificate(sc->ssl);
	if (!cert)
		return -ENOENT;
	st = X509_STORE_new();
	xc = X509_STORE_CTX_new();
	if (!st || !xc || X509_STORE_load_file(st, ca_file) != 1 ||
	    X509_STORE_CTX_init(xc, st, cert, SSL_get_peer_cert_chain(sc->ssl)) != 1) {
		rc = -EINVAL;
		goto out;
	}
	X509_STORE_CTX_set_purpose(xc, X509_PURPOSE_SSL_CLIENT);
	if (name) {
		X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(xc);

		X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
		if (X509_VERIFY_PARAM_set1_ip_asc(vp, name) != 1 &&
		    X509_VERIFY_PARAM_set1_host(vp, name, 0) != 1) {
			rc = -EINVAL;
			goto out;
		}
	}
	if (X509_verify_cert(xc) == 1) {
		rc = 0;
		talloc_free(sc->peer_ok_for);
		sc->peer_ok_for = talloc_strdup(sc, key);
	} else {
		LOGP(DSIP, LOGL_NOTICE, "TLS peer certificate not accepted for %s: %s\n", key,
		     X509_verify_cert_error_string(X509_STORE_CTX_get_error(xc)));
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(xc);
	X509_STORE_free(st);
	return rc;
}

const struct sip_transport_stats *sip_transport_get_stats(const struct sip_transport *t)
{
	return &t->st;
}

const char *sip_transport_icmp_last(const struct sip_transport *t, const char **what)
{
	if (!t->st.udp_icmp_unreachable)
		return NULL;
	*what = t->icmp_last_what;
	return t->icmp_last;
}

unsigned sip_transport_conn_count(const struct sip_transport *t)
{
	return t->nconns;
}

void sip_transport_on_conn_error(struct sip_transport *t, sip_conn_error_cb cb)
{
	t->conn_error = cb;
}

int sip_transport_local_addr(struct sip_transport *t, enum sip_proto proto,
			     struct sockaddr_storage *ss)
{
	struct sip_listener *ls;

	llist_for_each_entry(ls, &t->listeners, list)
	{
		if (ls->proto == proto) {
			*ss = ls->local;
			return 0;
		}
	}
	return -ENOENT;
}
