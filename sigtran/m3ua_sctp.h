/* M3UA over kernel SCTP (RFC 4666 1.4.7, 3): one-to-one SOCK_STREAM
 * IPPROTO_SCTP sockets on the io_uring loop, PPID 3, stream 0 for
 * management and streams chosen by SLS for DATA, struct sctp_sndrcvinfo in
 * the control data of sendmsg/recvmsg, several local and remote addresses
 * (multi-homing). The helpers at the top are pure (no socket) so that a
 * unit test can check them on a kernel without SCTP. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define M3UA_SCTP_PPID	    3 /* RFC 4666 1.4.7: SCTP Payload Protocol Identifier */
#define M3UA_SCTP_MAX_ADDRS 4
/* Outbound streams asked for in INIT: stream 0 and 16 for DATA by SLS. */
#define M3UA_SCTP_STREAMS 17

struct loop;

/* SCTP parameters of one association (RFC 4960 15 "Suggested SCTP Protocol
 * Parameter Values", RFC 6458 8.1): each 0 leaves the kernel's default
 * (net.sctp.*). Set on the socket before INIT (connect, or the listener,
 * whose accepted associations inherit them). */
struct m3ua_sctp_params {
	uint32_t rto_initial_ms, rto_min_ms, rto_max_ms; /* SCTP_RTOINFO */
	uint32_t hb_interval_ms;			 /* SCTP_PEER_ADDR_PARAMS */
	bool hb_off;					 /* no HEARTBEAT at all */
	uint16_t path_max_retrans;			 /* SCTP_PEER_ADDR_PARAMS */
	uint16_t assoc_max_retrans;			 /* SCTP_ASSOCINFO */
	uint16_t init_max_attempts, init_max_timeo_ms;	 /* SCTP_INITMSG */
	uint16_t streams; /* outbound asked for and inbound allowed; 0: M3UA_SCTP_STREAMS */
};

/* Is the set consistent (RTO min <= initial <= max, as far as given)? 0,
 * or -EINVAL with the reason in why. */
int m3ua_sctp_params_check(const struct m3ua_sctp_params *p, char *why, size_t len);
/* Anything set at all? */
bool m3ua_sctp_params_any(const struct m3ua_sctp_params *p);

/* What the kernel says an association (or the socket, before one) uses:
 * getsockopt of the same options, and SCTP_STATUS's agreed streams. */
struct m3ua_sctp_info {
	uint32_t rto_initial_ms, rto_min_ms, rto_max_ms;
	uint32_t hb_interval_ms;
	bool hb_on;
	uint32_t path_max_retrans, assoc_max_retrans;
	uint16_t init_max_attempts, init_max_timeo_ms, init_ostreams, init_instreams;
	uint16_t n_out, n_in; /* agreed at set-up */
};
/* Fill *out from the socket fd; 0 or -errno (of the first option that
 * failed). */
int m3ua_sctp_fd_info(int fd, struct m3ua_sctp_info *out);
/* Apply p to fd (SCTP_INITMSG, SCTP_RTOINFO, SCTP_PEER_ADDR_PARAMS,
 * SCTP_ASSOCINFO). 0, or -errno with *opt naming the option refused. */
int m3ua_sctp_fd_params(int fd, const struct m3ua_sctp_params *p, const char **opt);

/* One SCTP notification (MSG_NOTIFICATION) in words for the log, e.g.
 * "path 127.0.0.1 unreachable (error 0)"; 0 when it is one worth a log
 * line (peer address change, association change, shutdown), else
 * -ENOENT. */
int m3ua_sctp_notification_str(const uint8_t *buf, size_t len, char *out, size_t size);

/* RFC 4666 1.4.7 / 3.8.1: ASPSM, ASPTM, MGMT and RKM go on stream 0; SSNM
 * too unless ssnm_on_data (then stream 1); DATA on (SLS mod (n_out - 1)) + 1
 * so one signalling relation stays in sequence on one stream. With a single
 * outbound stream everything goes on 0. */
uint16_t m3ua_sctp_stream(uint8_t cls, uint8_t sls, uint16_t n_out, bool ssnm_on_data);
/* RFC 4666 3.8.1 "Invalid Stream Identifier": MGMT and ASPSM arrive on
 * stream 0 only. */
bool m3ua_sctp_stream_ok(uint8_t cls, uint16_t stream);

/* Control data for sendmsg: one SCTP_SNDRCV cmsg carrying stream and PPID
 * (network byte order on the wire, as the SCTP sockets API passes it
 * through). buf must be aligned for struct cmsghdr. Returns the
 * msg_controllen to use, or -ENOSPC. */
int m3ua_sctp_cmsg_build(void *buf, size_t size, uint16_t stream, uint32_t ppid);
/* Stream and PPID (host order) from SCTP_SNDRCV or SCTP_RCVINFO control
 * data. 0, or -ENOENT when neither is there. */
int m3ua_sctp_cmsg_parse(const void *control, size_t controllen, uint16_t *stream, uint32_t *ppid);

/* What to do with one received SCTP record (recvmsg result):
 *   0         one whole M3UA message: hand it up
 *   -ENOMSG   an SCTP notification, not user data
 *   -EMSGSIZE no MSG_EOR and the common header wants more: the record
 *             did not fit the buffer
 *   -EPROTO   PPID neither 3 nor 0 (unspecified): not M3UA
 *   -EBADMSG  the common header's length is not the record's length */
int m3ua_sctp_rx_check(const uint8_t *buf, size_t len, int msg_flags, uint32_t ppid);

/* The packed address array SCTP_SOCKOPT_BINDX_ADD / SCTP_SOCKOPT_CONNECTX
 * take (sockaddr_in / sockaddr_in6 back to back). Bytes written, or
 * -ENOSPC / -EAFNOSUPPORT. */
int m3ua_sctp_pack_addrs(const struct sockaddr_storage *a, unsigned n, uint8_t *out, size_t size);

/* --- a socket on the loop --- */
struct m3ua_sctp;
struct m3ua_sctp_listener;

struct m3ua_sctp_cbs {
	void (*on_connect)(void *priv, int err); /* client: 0 or -errno (no on_close then) */
	void (*on_msg)(void *priv, const uint8_t *msg, size_t len, uint16_t stream);
	void (*on_close)(void *priv, int err); /* the association ended; gone after this */
};

struct m3ua_sctp_addrs {
	struct sockaddr_storage a[M3UA_SCTP_MAX_ADDRS];
	unsigned n;
};

struct m3ua_sctp_stats {
	uint64_t rx_bad_ppid, rx_bad_len, rx_notifications;
	uint16_t n_out, n_in; /* streams agreed at association set-up */
};

/* Connect (several remote addresses: SCTP_SOCKOPT_CONNECTX); local may be
 * empty (n 0: the kernel picks). NULL with errno on failure. */
struct m3ua_sctp *m3ua_sctp_connect(struct loop *l, const struct m3ua_sctp_addrs *local,
				    const struct m3ua_sctp_addrs *remote, size_t max_msg,
				    bool ssnm_on_data, const struct m3ua_sctp_params *par,
				    const struct m3ua_sctp_cbs *cbs, void *priv);
/* Send one whole M3UA message (copied); the stream comes from
 * m3ua_sctp_stream() with the message's class and sls_hint - 1 as the SLS
 * (DATA passes 1 + SLS; the rest 0). */
int m3ua_sctp_send(struct m3ua_sctp *s, const void *msg, size_t len, uint16_t sls_hint);
/* Close now; no callback follows. */
void m3ua_sctp_close(struct m3ua_sctp *s);
const struct m3ua_sctp_stats *m3ua_sctp_get_stats(const struct m3ua_sctp *s);
/* The association's parameters as the kernel reports them. */
int m3ua_sctp_info(const struct m3ua_sctp *s, struct m3ua_sctp_info *out);

/* One transport address of the peer (RFC 4960 6.4) as the kernel sees it. */
struct m3ua_sctp_path {
	char addr[48];	   /* "127.0.0.2" */
	const char *state; /* "active", "inactive", "potentially-failed", "unconfirmed", "?" */
	bool primary;
	uint32_t rto_ms, srtt_ms, cwnd;
};
/* The association's peer addresses and their state (SCTP_GET_PEER_ADDRS,
 * SCTP_GET_PEER_ADDR_INFO, SCTP_PRIMARY_ADDR): how many written. */
unsigned m3ua_sctp_paths(const struct m3ua_sctp *s, struct m3ua_sctp_path *out, unsigned max);
/* The same from the socket fd. */
unsigned m3ua_sctp_fd_paths(int fd, struct m3ua_sctp_path *out, unsigned max);

typedef void (*m3ua_sctp_accept_cb)(void *priv, struct m3ua_sctp *s);
/* Listen on every local address (the first binds, the others are added);
 * accepted associations are handed over with cbs/priv already set. */
struct m3ua_sctp_listener *m3ua_sctp_listen(struct loop *l, const struct m3ua_sctp_addrs *local,
					    size_t max_msg, bool ssnm_on_data,
					    const struct m3ua_sctp_params *par,
					    const struct m3ua_sctp_cbs *cbs, void *cb_priv,
					    m3ua_sctp_accept_cb acb, void *priv);
int m3ua_sctp_listener_local(const struct m3ua_sctp_listener *ls, struct sockaddr_storage *ss);
void m3ua_sctp_listener_close(struct m3ua_sctp_listener *ls);
