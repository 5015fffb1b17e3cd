/* One M3UA association on the io_uring loop: TCP (framed by the M3UA common
 * header length, as newer Osmocom releases also do) or kernel SCTP (checked
 * at start-up; sigtran/m3ua_sctp.h: PPID 3, streams by class and SLS,
 * multi-homing). Client role reconnects with exponential back-off; server
 * role accepts the peer (a new connection replaces a stale one). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sigtran/m3ua_sctp.h"

struct loop;
struct m3ua_conn;

#define M3UA_CONN_MORE_ADDRS 3

enum m3ua_transport {
	M3UA_TRANSPORT_TCP,
	M3UA_TRANSPORT_SCTP,
};

struct m3ua_conn_cfg {
	enum m3ua_transport transport;
	bool server; /* listen on local; else connect to remote */
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	unsigned reconnect_min_ms; /* default 200 */
	unsigned reconnect_max_ms; /* default 10000 */
	size_t max_msg;		   /* default 65536 */
	/* SCTP multi-homing: more local / remote addresses (the port is that
	 * of local / remote) */
	struct sockaddr_storage local_more[M3UA_CONN_MORE_ADDRS], remote_more[M3UA_CONN_MORE_ADDRS];
	unsigned n_local_more, n_remote_more;
	bool ssnm_on_data;	      /* SCTP: SSNM on stream 1 rather than 0 */
	struct m3ua_sctp_params sctp; /* SCTP: RTO, heartbeat, INIT, streams */
};

struct m3ua_conn_ops {
	void (*up)(void *priv);
	void (*down)(void *priv, int err);
	/* one whole M3UA message (common header included) */
	void (*rx)(void *priv, const uint8_t *msg, size_t len, uint16_t stream);
};

struct m3ua_conn_stats {
	uint64_t rx_msgs, tx_msgs, connects, disconnects, bad_frames;
	unsigned backoff_ms;
};

/* Is kernel SCTP usable here? 0, or -errno with a sentence in why. */
int m3ua_sctp_probe(char *why, size_t len);

/* NULL with a log line on failure (e.g. SCTP asked for on a kernel without
 * it: the message names the TCP alternative). */
struct m3ua_conn *m3ua_conn_alloc(void *ctx, struct loop *l, const struct m3ua_conn_cfg *cfg,
				  const struct m3ua_conn_ops *ops, void *priv);
void m3ua_conn_free(struct m3ua_conn *c);
/* Send one message. -ENOTCONN while down. stream: 0 for management, 1 + SLS
 * for DATA; TCP has one byte stream, SCTP maps it onto the streams the
 * association has (m3ua_sctp_stream()). */
int m3ua_conn_tx(struct m3ua_conn *c, const uint8_t *msg, size_t len, uint16_t stream);
bool m3ua_conn_is_up(const struct m3ua_conn *c);
/* Drop the connection now (client: it reconnects after the back-off). */
void m3ua_conn_reset(struct m3ua_conn *c);
const struct m3ua_conn_stats *m3ua_conn_get_stats(const struct m3ua_conn *c);
int m3ua_conn_local(const struct m3ua_conn *c, struct sockaddr_storage *ss);

/* Capture (HEP, traces): every DATA message (RFC 4666 3.3.1) sent or
 * received, whole, with the association's addresses (SCTP: the configured
 * ones). One hook for the process, NULL to stop; it must not send. */
struct m3ua_capture {
	bool tx, sctp;
	const struct sockaddr *src, *dst;
	const uint8_t *msg;
	size_t len;
};
typedef void (*m3ua_capture_cb)(void *priv, const struct m3ua_capture *cap);
void m3ua_conn_set_capture(m3ua_capture_cb cb, void *priv);
struct m3ua_sctp_path;
/* SCTP: the peer's addresses and their state (m3ua_sctp_paths()); 0 for
 * TCP or while down. */
unsigned m3ua_conn_paths(const struct m3ua_conn *c, struct m3ua_sctp_path *out, unsigned max);
/* SCTP: the association's parameters as the kernel reports them; -ENOTCONN
 * for TCP or while down. */
int m3ua_conn_sctp_info(const struct m3ua_conn *c, struct m3ua_sctp_info *out);
