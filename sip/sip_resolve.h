/* Where a trunk's requests go (RFC 3263): its "remote" resolved to a list
 * of targets (transport, address, port, SRV priority and weight), looked up
 * with c-ares on the loop and kept as long as the records' TTL allows. A
 * numeric remote is one target and needs no DNS. A target that did not
 * answer (timeout, transport error, 503) is passed over for a while; the
 * request goes to the next one (RFC 3263 4.3). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/loop.h"
#include "sip/sip_transport.h"
#include "sip/sip_txn.h"

#define SIP_TARGETS_MAX 8

struct loop;
struct sip_trunk;
struct vty;

struct sip_target {
	enum sip_proto proto;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint16_t prio, weight;	/* RFC 2782 */
	char name[128];		/* the SRV target (or the trunk's host) */
	uint64_t down_until_ms; /* passed over until then (0: not) */
	unsigned last_status;	/* the last final response from it (0: none yet) */
	uint64_t last_status_ms;
	unsigned responses, failures;
	unsigned icmp; /* ICMP unreachable errors for requests sent to it (UDP) */
};

struct sip_trunk_res {
	struct sip_trunk *trunk;
	struct sip_resolver *r;
	bool numeric; /* an address: no DNS */
	struct sip_target tg[SIP_TARGETS_MAX];
	unsigned n;
	uint64_t expires_ms; /* look up again then */
	char how[160];	     /* what the last lookup followed */
	int last_err;	     /* of the last lookup: 0 or an ARES_* status */
	/* a lookup under way: its targets until every address query is back */
	struct sip_target pend[SIP_TARGETS_MAX];
	unsigned n_pend, waiting, gen;
	uint32_t pend_ttl;
	bool busy;
	struct loop_timer tmr;
};

struct sip_resolver_cfg {
	const char *servers; /* "IP:PORT,..." (NULL: /etc/resolv.conf) */
	unsigned down_s;     /* a target that did not answer is passed over this long */
	unsigned timeout_ms; /* per try and server */
};

extern struct sip_resolver_cfg sip_resolver_cfg;

/* Start resolving every configured trunk (numeric ones at once). NULL on
 * failure (c-ares could not start, bad server list). */
struct sip_resolver *sip_resolver_start(void *ctx, struct loop *l);
void sip_resolver_free(struct sip_resolver *r);

/* The target a new request to t goes to: the best priority among those not
 * passed over, by weight within it (RFC 2782); when every target is passed
 * over, the best anyway. -EAGAIN while nothing is resolved yet. */
int sip_trunk_res_dest(struct sip_trunk *t, struct sip_txn_dest *d);
/* d (a target of t) gave status (a final response; 408 for a timeout, 503
 * for a transport error). A failure (408, 503) passes it over for down_s; 0
 * when another target is left to try, -ENOENT when not. Other statuses only
 * count, and bring it back. */
int sip_trunk_res_status(struct sip_trunk *t, const struct sip_txn_dest *d, unsigned status);
/* Is this source address (and, port != 0, port) one of t's targets? */
bool sip_trunk_res_has_addr(const struct sip_trunk *t, int family, const uint8_t *addr,
			    uint16_t port);
/* Is d exactly one of t's targets (address, port, transport)? */
bool sip_trunk_res_has_dest(const struct sip_trunk *t, const struct sip_txn_dest *d);
/* An ICMP unreachable for a request sent to d: counted on t's target
 * there, if it has one; whether it had. */
bool sip_trunk_res_icmp(struct sip_trunk *t, const struct sip_txn_dest *d);
/* The ICMP unreachable errors counted on all of t's targets */
unsigned sip_trunk_res_icmp_total(const struct sip_trunk *t);

/* A trunk "remote": an IP address, or a host name of RFC 1123 form. */
bool sip_trunk_host_valid(const char *host);

/* show sip trunks: the lines under a trunk; the last response of any target */
void sip_trunk_res_vty_show(struct vty *vty, const struct sip_trunk *t);
bool sip_trunk_last_status(const struct sip_trunk *t, unsigned *status, unsigned *ago_s);
/* the "sip" node's "resolver ..." commands */
void sip_resolver_vty_init(void);
void sip_resolver_vty_write(struct vty *vty);
