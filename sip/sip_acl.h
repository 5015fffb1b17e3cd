/* Source admission lists: which addresses may send requests to a trunk.
 *
 * One entry is a prefix (IPv4 or IPv6, "A.B.C.D/N" or "X:X::X:X/N"), an
 * optional source port and an optional transport. Pure: no I/O, no globals;
 * a unit test feeds it addresses directly. An IPv4 source seen on an IPv6
 * socket as ::ffff:a.b.c.d is matched as the IPv4 address it is. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sip/sip_transport.h"

struct sip_acl_entry {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t plen;	/* prefix length: 0..32 or 0..128 */
	uint16_t port;	/* 0: any source port */
	uint8_t protos; /* bit (1 << enum sip_proto); 0: any transport */
	uint8_t addr[16];
};

/* Parse "A.B.C.D/N", "X:X::X:X/N", or an address without /N (a host).
 * port 0 means any; transport NULL means any. Bits past the prefix must be
 * zero ("10.1.2.3/8" is refused: it is a typo more often than a wish).
 * 0, or -EINVAL (nothing is written then). */
int sip_acl_entry_parse(struct sip_acl_entry *e, const char *prefix, unsigned port,
			const char *transport);

/* The entry as the configuration writes it: "10.0.0.0/8 port 5060 transport tcp". */
int sip_acl_entry_str(const struct sip_acl_entry *e, char *buf, size_t len);

/* A source address (sockaddr_in or sockaddr_in6) and the transport it came on. */
bool sip_acl_entry_match(const struct sip_acl_entry *e, const struct sockaddr *src,
			 enum sip_proto proto);

/* The address of src as 16 bytes (IPv4: the first 4) and its family,
 * unmapping ::ffff:a.b.c.d. 0, or -EAFNOSUPPORT. */
int sip_acl_addr(const struct sockaddr *src, uint8_t addr[16], int *family, uint16_t *port);
