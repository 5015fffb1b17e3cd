/* core/pcap: the file header (libpcap 2.4, link type RAW), and each record's
 * IP and transport headers laid out as on the wire: IPv4/UDP, IPv4/TCP with
 * the sequence number running per direction, IPv6/SCTP with one DATA chunk
 * (TSN per direction, the PPID, padding to 4 octets); an existing file is
 * never overwritten. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pcap.h"
#include "tests/unit/unit.h"

static uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* the pcap headers' fields are in the writer's byte order, unaligned here */
static uint32_t h32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

static uint16_t h16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, sizeof(v));
	return v;
}

START_TEST(test_pcap_records)
{
	char dir[] = "/tmp/tandem-pcap.XXXXXX", path[64];
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(5060)},
			   b = {.sin_family = AF_INET, .sin_port = htons(5062)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(2905)},
			    b6 = {.sin6_family = AF_INET6, .sin6_port = htons(2906)};
	struct timespec ts = {.tv_sec = 1700000000, .tv_nsec = 123456789};
	struct tandem_pcap *p;
	uint8_t buf[4096];
	const uint8_t *r;
	size_t n;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.pcap", dir);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	inet_pton(AF_INET, "127.0.0.2", &b.sin_addr);
	inet_pton(AF_INET6, "::1", &a6.sin6_addr);
	inet_pton(AF_INET6, "2001:db8::2", &b6.sin6_addr);
	p = tandem_pcap_open(unit_ctx, path);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(
		tandem_pcap_write(p, &ts, IPPROTO_UDP, 0, (void *)&a, (void *)&b, "INVITE", 6), 0);
	ck_assert_int_eq(
		tandem_pcap_write(p, &ts, IPPROTO_TCP, 0, (void *)&a, (void *)&b, "abcd", 4), 0);
	ck_assert_int_eq(tandem_pcap_write(p, &ts, IPPROTO_TCP, 0, (void *)&a, (void *)&b, "ef", 2),
			 0);
	ck_assert_int_eq(
		tandem_pcap_write(p, &ts, IPPROTO_SCTP, 3, (void *)&a6, (void *)&b6, "12345", 5),
		0);
	/* mixed families: refused */
	ck_assert_int_eq(tandem_pcap_write(p, &ts, IPPROTO_UDP, 0, (void *)&a, (void *)&b6, "x", 1),
			 -EAFNOSUPPORT);
	ck_assert_uint_eq(tandem_pcap_records(p), 4);
	/* the file is there: a second open of it does not overwrite it */
	ck_assert_ptr_null(tandem_pcap_open(unit_ctx, path));
	ck_assert_int_eq(errno, EEXIST);
	tandem_pcap_close(p);

	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* global header: magic (host order), 2.4, snaplen, link type 101 */
	ck_assert_uint_eq(h32(buf), 0xa1b2c3d4u);
	ck_assert_uint_eq(h16(buf + 4), 2);
	ck_assert_uint_eq(h16(buf + 6), 4);
	ck_assert_uint_eq(h32(buf + 20), 101);
	r = buf + 24;
	/* 1: IPv4/UDP */
	ck_assert_uint_eq(h32(r), 1700000000u);
	ck_assert_uint_eq(h32(r + 4), 123456);
	ck_assert_uint_eq(h32(r + 8), 20 + 8 + 6);
	r += 16;
	ck_assert_uint_eq(r[0], 0x45);
	ck_assert_uint_eq(rd16(r + 2), 34);
	ck_assert_uint_eq(r[9], IPPROTO_UDP);
	ck_assert_uint_eq(rd32(r + 12), 0x7f000001);
	ck_assert_uint_eq(rd32(r + 16), 0x7f000002);
	ck_assert_uint_eq(rd16(r + 20), 5060);
	ck_assert_uint_eq(rd16(r + 22), 5062);
	ck_assert_uint_eq(rd16(r + 24), 14);
	ck_assert(!memcmp(r + 28, "INVITE", 6));
	r += 34;
	/* 2, 3: IPv4/TCP, sequence 1 then 5 (after 4 octets), PSH ACK */
	ck_assert_uint_eq(h32(r + 8), 20 + 20 + 4);
	r += 16;
	ck_assert_uint_eq(r[9], IPPROTO_TCP);
	ck_assert_uint_eq(rd32(r + 24), 1);
	ck_assert_uint_eq(r[32], 0x50);
	ck_assert_uint_eq(r[33], 0x18);
	ck_assert(!memcmp(r + 40, "abcd", 4));
	r += 44;
	r += 16;
	ck_assert_uint_eq(rd32(r + 24), 5);
	ck_assert(!memcmp(r + 40, "ef", 2));
	r += 42;
	/* 4: IPv6/SCTP, DATA chunk B+E, length 16 + 5, TSN 1, PPID 3, padded */
	ck_assert_uint_eq(h32(r + 8), 40 + 12 + 16 + 8);
	r += 16;
	ck_assert_uint_eq(r[0] >> 4, 6);
	ck_assert_uint_eq(rd16(r + 4), 12 + 16 + 8);
	ck_assert_uint_eq(r[6], IPPROTO_SCTP);
	ck_assert_uint_eq(rd16(r + 40), 2905);
	ck_assert_uint_eq(r[52], 0);
	ck_assert_uint_eq(r[53], 0x03);
	ck_assert_uint_eq(rd16(r + 54), 21);
	ck_assert_uint_eq(rd32(r + 56), 1);
	ck_assert_uint_eq(rd32(r + 64), 3);
	ck_assert(!memcmp(r + 68, "12345\0\0\0", 8));
	r += 76;
	ck_assert_uint_eq((size_t)(r - buf), n);
	unlink(path);
	rmdir(dir);
}
END_TEST

Suite *pcap_suite(void)
{
	Suite *s = suite_create("pcap");
	TCase *tc = unit_tcase("write");

	tcase_add_test(tc, test_pcap_records);
	suite_add_tcase(s, tc);
	return s;
}
