/* Source admission lists (see sip_acl.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_acl.h"

int sip_acl_addr(const struct sockaddr *src, uint8_t addr[16], int *family, uint16_t *port)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(addr, 0, 16);
	if (src->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)src;

		memcpy(addr, &a->sin_addr, 4);
		*family = AF_INET;
		*port = ntohs(a->sin_port);
		return 0;
	}
	if (src->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)src;

		*port = ntohs(a->sin6_port);
		if (!memcmp(&a->sin6_addr, v4mapped, sizeof(v4mapped))) {
			memcpy(addr, (const uint8_t *)&a->sin6_addr + 12, 4);
			*family = AF_INET;
		} else {
			memcpy(addr, &a->sin6_addr, 16);
			*family = AF_INET6;
		}
		return 0;
	}
	return -EAFNOSUPPORT;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned plen)
{
	unsigned full = plen / 8, rest = plen % 8;

	if (memcmp(a, b, full))
		return false;
	if (!rest)
		return true;
	return ((a[full] ^ b[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

int sip_acl_entry_parse(struct sip_acl_entry *e, const char *prefix, unsigned port,
			const char *transport)
{
	struct sip_acl_entry n = {0};
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(prefix, '/');
	size_t hlen = slash ? (size_t)(slash - prefix) : strlen(prefix);
	unsigned max;

	if (hlen == 0 || hlen >= sizeof(host) || port > 65535)
		return -EINVAL;
	memcpy(host, prefix, hlen);
	host[hlen] = 0;
	if (inet_pton(AF_INET, host, n.addr) == 1) {
		n.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, n.addr) == 1) {
		n.family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	n.plen = (uint8_t)max;
	if (slash) {
		char *end;
		unsigned long v;

		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		v = strtoul(slash + 1, &end, 10);
		if (*end || v > max)
			return -EINVAL;
		n.plen = (uint8_t)v;
	}
	/* no host bits past the prefix */
	for (unsigned bit = n.plen; bit < max; bit++)
		if (n.addr[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	n.port = (uint16_t)port;
	if (transport) {
		if (!strcasecmp(transport, "udp"))
			n.protos = 1u << SIP_PROTO_UDP;
		else if (!strcasecmp(transport, "tcp"))
			n.protos = 1u << SIP_PROTO_TCP;
		else if (!strcasecmp(transport, "tls"))
			n.protos = 1u << SIP_PROTO_TLS;
		else
			return -EINVAL;
	}
	*e = n;
	return 0;
}

int sip_acl_entry_str(const struct sip_acl_entry *e, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	int n, k;

	if (!inet_ntop(e->family, e->addr, host, sizeof(host)))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%u", host, e->plen);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	if (e->port) {
		k = snprintf(buf + n, len - (size_t)n, " port %u", e->port);
		if (k < 0 || (size_t)(n + k) >= len)
			return -ENOSPC;
		n += k;
	}
	for (int p = SIP_PROTO_UDP; p <= SIP_PROTO_TLS; p++) {
		if (!(e->protos & (1u << p)))
			continue;
		k = snprintf(buf + n, len - (size_t)n, " transport %s",
			     p == SIP_PROTO_UDP	  ? "udp"
			     : p == SIP_PROTO_TCP ? "tcp"
						  : "tls");
		if (k < 0 || (size_t)(n + k) >= len)
			return -ENOSPC;
		n += k;
	}
	return n;
}

bool sip_acl_entry_match(const struct sip_acl_entry *e, const struct sockaddr *src,
			 enum sip_proto proto)
{
	uint8_t a[16];
	int family;
	uint16_t port;

	if (sip_acl_addr(src, a, &family, &port) < 0 || family != e->family)
		return false;
	if (e->port && e->port != port)
		return false;
	if (e->protos && !(e->protos & (1u << proto)))
		return false;
	return prefix_eq(a, e->addr, e->plen);
}
