/* core/hep: the HEP3 encoding, chunk by chunk against the layout of the
 * HEP/EEP version 3 specification (rev. 12: "HEP3", total length, then
 * vendor id / type / length / value chunks, lengths counting the 6-octet
 * chunk header, network byte order), and sending over the loop to a
 * collector that is there and to one that is not. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/hep.h"
#include "core/loop.h"
#include "interwork/iw_capture.h"
#include "tests/unit/unit.h"

static struct sockaddr_in in4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* the chunk at *off: vendor, type, length, value; advances *off */
static const uint8_t *chunk(const uint8_t *b, size_t *off, uint16_t type, size_t vlen)
{
	const uint8_t *c = b + *off;

	ck_assert_msg(c[0] == 0 && c[1] == 0, "chunk %#x: vendor %02x%02x, not 0", type, c[0],
		      c[1]);
	ck_assert_msg(((c[2] << 8) | c[3]) == type, "at %zu: chunk type %#x, expected %#x", *off,
		      (c[2] << 8) | c[3], type);
	ck_assert_int_eq((c[4] << 8) | c[5], (int)(6 + vlen));
	*off += 6 + vlen;
	return c + 6;
}

START_TEST(test_encode_ipv4_sip)
{
	struct sockaddr_in s = in4("192.0.2.10", 5060), d = in4("198.51.100.7", 5080);
	static const char msg[] = "INVITE sip:+4930123@x SIP/2.0\r\nCall-ID: abc@h\r\n\r\n";
	struct hep_pkt p = {
		.src = (struct sockaddr *)&s,
		.dst = (struct sockaddr *)&d,
		.ip_proto = IPPROTO_UDP,
		.proto_type = HEP_PROTO_SIP,
		.ts_sec = 0x698a1234,
		.ts_usec = 999999,
		.corr = "abc@h",
		.payload = (const uint8_t *)msg,
		.len = sizeof(msg) - 1,
	};
	uint8_t b[512];
	size_t off = 6;
	const uint8_t *v;
	int n = tandem_hep_encode(b, sizeof(b), &p, 0x01020304, "secret");
	/* header 6; family, proto 7+7; IPv4 addresses 10+10; ports 8+8; time
	 * 10+10; type 7; agent 10; key 6+6; correlation 6+5; payload 6+len */
	size_t want = 6 + 7 + 7 + 10 + 10 + 8 + 8 + 10 + 10 + 7 + 10 + 12 + 11 + 6 + p.len;

	ck_assert_int_eq(n, (int)want);
	ck_assert(!memcmp(b, "HEP3", 4));
	ck_assert_int_eq((b[4] << 8) | b[5], n);
	v = chunk(b, &off, 0x0001, 1);
	ck_assert_int_eq(v[0], 2); /* IPv4 */
	v = chunk(b, &off, 0x0002, 1);
	ck_assert_int_eq(v[0], 17); /* UDP */
	v = chunk(b, &off, 0x0003, 4);
	ck_assert(!memcmp(v, "\xc0\x00\x02\x0a", 4));
	v = chunk(b, &off, 0x0004, 4);
	ck_assert(!memcmp(v, "\xc6\x33\x64\x07", 4));
	v = chunk(b, &off, 0x0007, 2);
	ck_assert(!memcmp(v, "\x13\xc4", 2)); /* 5060 */
	v = chunk(b, &off, 0x0008, 2);
	ck_assert(!memcmp(v, "\x13\xd8", 2)); /* 5080 */
	v = chunk(b, &off, 0x0009, 4);
	ck_assert(!memcmp(v, "\x69\x8a\x12\x34", 4));
	v = chunk(b, &off, 0x000a, 4);
	ck_assert(!memcmp(v, "\x00\x0f\x42\x3f", 4)); /* 999999 */
	v = chunk(b, &off, 0x000b, 1);
	ck_assert_int_eq(v[0], 1); /* SIP */
	v = chunk(b, &off, 0x000c, 4);
	ck_assert(!memcmp(v, "\x01\x02\x03\x04", 4));
	v = chunk(b, &off, 0x000e, 6);
	ck_assert(!memcmp(v, "secret", 6));
	v = chunk(b, &off, 0x0011, 5);
	ck_assert(!memcmp(v, "abc@h", 5));
	v = chunk(b, &off, 0x000f, p.len);
	ck_assert(!memcmp(v, msg, p.len));
	ck_assert_int_eq(off, (size_t)n);
}
END_TEST

START_TEST(test_encode_ipv6_m3ua)
{
	struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons(40001)};
	struct sockaddr_in6 d = {.sin6_family = AF_INET6, .sin6_port = htons(2905)};
	/* an M3UA DATA message's first octets: version 1, class 1, type 1 */
	static const uint8_t m3ua[] = {1, 0, 1, 1, 0, 0, 0, 16, 2, 0x10, 0, 8, 0, 0, 0, 1};
	struct hep_pkt p = {
		.src = (struct sockaddr *)&s,
		.dst = (struct sockaddr *)&d,
		.ip_proto = IPPROTO_SCTP,
		.proto_type = HEP_PROTO_M3UA,
		.ts_sec = 1,
		.ts_usec = 2,
		.payload = m3ua,
		.len = sizeof(m3ua),
	};
	uint8_t b[256];
	size_t off = 6;
	const uint8_t *v;
	int n;

	inet_pton(AF_INET6, "2001:db8::1", &s.sin6_addr);
	inet_pton(AF_INET6, "2001:db8::2", &d.sin6_addr);
	n = tandem_hep_encode(b, sizeof(b), &p, 7, NULL);
	/* no key, no correlation chunk */
	ck_assert_int_eq(n, 6 + 7 + 7 + 22 + 22 + 8 + 8 + 10 + 10 + 7 + 10 + 6 + 16);
	ck_assert_int_eq((b[4] << 8) | b[5], n);
	v = chunk(b, &off, 0x0001, 1);
	ck_assert_int_eq(v[0], 10); /* IPv6 */
	v = chunk(b, &off, 0x0002, 1);
	ck_assert_int_eq(v[0], 132); /* SCTP */
	v = chunk(b, &off, 0x0005, 16);
	ck_assert(!memcmp(v, &s.sin6_addr, 16));
	ck_assert_int_eq(v[0], 0x20);
	ck_assert_int_eq(v[15], 1);
	v = chunk(b, &off, 0x0006, 16);
	ck_assert_int_eq(v[15], 2);
	v = chunk(b, &off, 0x0007, 2);
	ck_assert(!memcmp(v, "\x9c\x41", 2)); /* 40001 */
	v = chunk(b, &off, 0x0008, 2);
	ck_assert(!memcmp(v, "\x0b\x59", 2)); /* 2905 */
	v = chunk(b, &off, 0x0009, 4);
	ck_assert(!memcmp(v, "\0\0\0\1", 4));
	v = chunk(b, &off, 0x000a, 4);
	ck_assert(!memcmp(v, "\0\0\0\2", 4));
	v = chunk(b, &off, 0x000b, 1);
	ck_assert_int_eq(v[0], 0x09); /* M3UA */
	v = chunk(b, &off, 0x000c, 4);
	ck_assert(!memcmp(v, "\0\0\0\7", 4));
	v = chunk(b, &off, 0x000f, sizeof(m3ua));
	ck_assert(!memcmp(v, m3ua, sizeof(m3ua)));
	ck_assert_int_eq(off, (size_t)n);
}
END_TEST

START_TEST(test_encode_refusals)
{
	struct sockaddr_in s = in4("127.0.0.1", 1);
	struct sockaddr_in6 d6 = {.sin6_family = AF_INET6};
	static uint8_t big[65536];
	struct hep_pkt p = {
		.src = (struct sockaddr *)&s,
		.dst = (struct sockaddr *)&d6,
		.payload = (const uint8_t *)"x",
		.len = 1,
	};
	static uint8_t b[70000];

	ck_assert_int_eq(tandem_hep_encode(b, sizeof(b), &p, 0, NULL), -EAFNOSUPPORT);
	p.dst = (struct sockaddr *)&s;
	ck_assert_int_gt(tandem_hep_encode(b, sizeof(b), &p, 0, NULL), 0);
	/* the buffer ends inside the payload chunk */
	ck_assert_int_eq(tandem_hep_encode(b, 80, &p, 0, NULL), -EMSGSIZE);
	/* past the 16-bit total length */
	p.payload = big;
	p.len = 65500;
	ck_assert_int_eq(tandem_hep_encode(b, sizeof(b), &p, 0, NULL), -EMSGSIZE);
}
END_TEST

struct rx {
	uint8_t buf[2048];
	size_t len;
	bool got;
};

static void rx_cb(void *priv, const uint8_t *data, size_t len, const struct sockaddr *from,
		  socklen_t fromlen)
{
	struct rx *r = priv;

	(void)from, (void)fromlen;
	if (len <= sizeof(r->buf)) {
		memcpy(r->buf, data, len);
		r->len = len;
	}
	r->got = true;
}

static void noop(void *p)
{
	(void)p;
}

static void turn(struct loop *l, const bool *flag, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct loop_timer guard;

	loop_timer_init(&guard, noop, NULL);
	while ((!flag || !*flag) && loop_now_ns() < end) {
		loop_timer_schedule(l, &guard, 20000);
		ck_assert_int_eq(loop_run_once(l), 0);
	}
	loop_timer_cancel(l, &guard);
}

/* On the loop: the collector gets exactly what tandem_hep_encode makes; with the
 * collector gone (its port closed) sending goes on and nothing blocks. */
START_TEST(test_send_to_collector)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct sockaddr_in a = in4("127.0.0.1", 0), s = in4("127.0.0.1", 5060),
			   d = in4("127.0.0.1", 5070);
	struct sockaddr_storage ss;
	struct rx r = {0};
	struct loop_udp *col = loop_udp_open(l, (struct sockaddr *)&a, sizeof(a), rx_cb, &r);
	struct hep_pkt p = {
		.src = (struct sockaddr *)&s,
		.dst = (struct sockaddr *)&d,
		.ip_proto = IPPROTO_UDP,
		.proto_type = HEP_PROTO_SIP,
		.corr = "c1",
		.payload = (const uint8_t *)"OPTIONS sip:x SIP/2.0\r\n\r\n",
		.len = 25,
	};
	uint8_t want[256];
	int n = tandem_hep_encode(want, sizeof(want), &p, 42, NULL);
	uint64_t sent0 = tandem_hep_get_stats()->sent;

	ck_assert_ptr_nonnull(col);
	ck_assert_int_eq(loop_udp_local(col, &ss), 0);
	ck_assert_int_eq(
		tandem_hep_start(l, (struct sockaddr *)&ss, sizeof(struct sockaddr_in), 42, NULL),
		0);
	ck_assert(tandem_hep_running());
	ck_assert_int_eq(tandem_hep_send(&p), 0);
	turn(l, &r.got, 2000);
	ck_assert(r.got);
	ck_assert_int_eq(r.len, (size_t)n);
	ck_assert(!memcmp(r.buf, want, (size_t)n));
	/* the collector goes away: every send still returns at once */
	loop_udp_close(col);
	turn(l, NULL, 20);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(tandem_hep_send(&p), 0);
	turn(l, NULL, 50);
	ck_assert_int_eq(tandem_hep_get_stats()->sent, sent0 + 51);
	tandem_hep_stop();
	ck_assert(!tandem_hep_running());
	ck_assert_int_eq(tandem_hep_send(&p), -ENOTCONN);
	turn(l, NULL, 20);
	loop_free(l);
}
END_TEST

/* interwork/iw_capture: the correlation id of a SIP message is its
 * Call-ID (RFC 3261 20.8; compact form "i", 7.3.3; any case; blanks
 * around the colon); a body line that looks like one does not count. */
START_TEST(test_sip_call_id)
{
	static const struct {
		const char *msg, *want;
	} v[] = {
		{"INVITE sip:a@b SIP/2.0\r\nVia: x\r\nCall-ID: abc@h\r\n\r\n", "abc@h"},
		{"SIP/2.0 200 OK\r\ni:  k9 \r\nTo: y\r\n\r\n", "k9"},
		{"BYE sip:a SIP/2.0\r\nCALL-id\t: Z\r\n\r\n", "Z"},
		{"BYE sip:a SIP/2.0\nX: 1\nCall-Id:lf-only\n\n", "lf-only"},
		{"INVITE sip:a SIP/2.0\r\nVia: x\r\n\r\nCall-ID: in-body\r\n", ""},
		{"INVITE sip:a SIP/2.0\r\nCall-Info: <x>\r\nIn-Reply-To: q\r\n\r\n", ""},
	};
	char out[96];

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		iw_capture_sip_call_id(v[i].msg, strlen(v[i].msg), out, sizeof(out));
		ck_assert_msg(!strcmp(out, v[i].want), "%u: '%s', expected '%s'", i, out,
			      v[i].want);
	}
	/* cut to the room given */
	iw_capture_sip_call_id(v[0].msg, strlen(v[0].msg), out, 4);
	ck_assert_str_eq(out, "abc");
}
END_TEST

Suite *hep_suite(void)
{
	Suite *s = suite_create("hep");
	TCase *tc = unit_tcase("encode");

	tcase_add_test(tc, test_encode_ipv4_sip);
	tcase_add_test(tc, test_encode_ipv6_m3ua);
	tcase_add_test(tc, test_encode_refusals);
	tcase_add_test(tc, test_sip_call_id);
	suite_add_tcase(s, tc);
	tc = unit_tcase("send");
	tcase_add_test(tc, test_send_to_collector);
	suite_add_tcase(s, tc);
	return s;
}
