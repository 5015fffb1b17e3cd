/* core/xsk_csum.h: the IPv4 and UDP checksums the AF_XDP path writes and
 * checks, summed 32 bits at a time in memory order, against the textbook
 * 16-bit big-endian sum (RFC 1071) on a known header and on random data
 * of every length and alignment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xsk_csum.h"
#include "tests/unit/unit.h"

/* the reference: 16-bit words in network order, an odd byte padded */
static uint16_t ref_sum(uint32_t sum, const uint8_t *b, size_t len)
{
	for (; len > 1; len -= 2, b += 2)
		sum += (uint32_t)(b[0] << 8 | b[1]);
	if (len)
		sum += (uint32_t)b[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t ref_udp(const uint8_t *ip, const uint8_t *udp, size_t ulen)
{
	uint32_t sum = 17 + (uint32_t)ulen;

	for (unsigned i = 12; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	return ref_sum(sum, udp, ulen);
}

/* as it goes on the wire: the stored bytes read in network order */
static uint16_t wire(uint16_t c)
{
	uint8_t b[2];

	memcpy(b, &c, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

START_TEST(test_ipv4_header_known)
{
	/* a header with its checksum (0xb861) known */
	uint8_t ip[20] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint16_t c = csum_fold(csum_add(0, ip, 20));

	ck_assert_uint_eq(wire(c), 0xb861);
	memcpy(ip + 10, &c, 2);
	ck_assert_uint_eq(ip[10], 0xb8);
	ck_assert_uint_eq(ip[11], 0x61);
	/* a receiver's check: the sum over the header with it is all ones */
	ck_assert_uint_eq(csum_fold(csum_add(0, ip, 20)), 0);
	ip[15] ^= 1;
	ck_assert_uint_ne(csum_fold(csum_add(0, ip, 20)), 0);
}
END_TEST

START_TEST(test_udp_against_reference)
{
	static uint8_t buf[20 + 8 + 1500 + 4];
	unsigned seed = 21;

	for (unsigned it = 0; it < 20000; it++) {
		size_t ulen = 8 + (size_t)(rand_r(&seed) % 1493);
		unsigned off = it % 4; /* any alignment of the datagram */
		uint8_t *ip = buf + off, *udp = ip + 20;

		for (size_t i = 0; i < 20 + ulen; i++)
			ip[i] = (uint8_t)(it % 5 == 0 ? 0xff : rand_r(&seed));
		udp[6] = udp[7] = 0;
		ck_assert_uint_eq(wire(udp_csum(ip, udp, ulen)), ref_udp(ip, udp, ulen));
		ck_assert_uint_eq(wire(csum_fold(csum_add(0, ip, 20))), ref_sum(0, ip, 20));
		/* with the checksum in place the datagram checks */
		{
			uint16_t c = udp_csum(ip, udp, ulen);

			memcpy(udp + 6, &c, 2);
			ck_assert_uint_eq(udp_csum(ip, udp, ulen), 0);
		}
	}
}
END_TEST

START_TEST(test_short_lengths)
{
	uint8_t b[8] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0};

	for (size_t len = 0; len <= sizeof(b); len++)
		ck_assert_uint_eq(wire(csum_fold(csum_add(0, b, len))), ref_sum(0, b, len));
}
END_TEST

Suite *xsk_csum_suite(void)
{
	Suite *s = suite_create("xsk_csum");
	TCase *tc = unit_tcase("xsk_csum");

	tcase_add_test(tc, test_ipv4_header_known);
	tcase_add_test(tc, test_udp_against_reference);
	tcase_add_test(tc, test_short_lengths);
	suite_add_tcase(s, tc);
	return s;
}
