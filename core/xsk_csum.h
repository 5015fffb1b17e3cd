/* Internet checksums for core/xsk.c, which builds and checks IPv4/UDP
 * headers itself (a header of its own so that the unit tests reach it). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* --- checksums (RFC 1071) ---
 * The one's complement sum does not depend on byte order (RFC 1071 2.B):
 * it runs on the words as they lie in memory, 32 bits at a time into a
 * 64-bit accumulator (no carry to handle below 2^32 words), folds to 16
 * bits and is stored as it came out, so the result lands in network
 * order on any host. */

static inline uint64_t csum_add(uint64_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t w;
	uint16_t h;

	for (; len >= 4; len -= 4, b += 4) {
		memcpy(&w, b, 4);
		sum += w;
	}
	if (len >= 2) {
		memcpy(&h, b, 2);
		sum += h;
		b += 2;
		len -= 2;
	}
	if (len) { /* an odd last byte is the high half of its word */
		uint8_t t[2] = {b[0], 0};

		memcpy(&h, t, 2);
		sum += h;
	}
	return sum;
}

/* the complement of the folded sum, as it goes into the header (memory order) */
static inline uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* the UDP pseudo-header (RFC 768): addresses, zero, protocol, length */
static inline uint64_t udp_pseudo(const uint8_t *ip, size_t ulen)
{
	const uint8_t z[4] = {0, 17, (uint8_t)(ulen >> 8), (uint8_t)ulen};

	return csum_add(csum_add(0, ip + 12, 8), z, 4);
}

static inline uint16_t udp_csum(const uint8_t *ip, const uint8_t *udp, size_t ulen)
{
	return csum_fold(csum_add(udp_pseudo(ip, ulen), udp, ulen));
}
