/* sip/sip_acl (allow entries), sip/sip_pike (per-source rate limit) and the
 * trunk lookup of sip/sip_sec that admission stands on. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "sip/sip_acl.h"
#include "sip/sip_pike.h"
#include "sip/sip_sec.h"
#include "sip/sip_trunk.h"
#include "tests/unit/unit.h"

static struct sockaddr_storage sa(const char *host, unsigned port)
{
	struct sockaddr_storage ss = {0};

	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET6, host, &a->sin6_addr), 1);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET, host, &a->sin_addr), 1);
	}
	return ss;
}

/* entry (prefix, port, transport), source (address, port, transport), match */
static const struct {
	const char *prefix;
	unsigned port;
	const char *tr;
	const char *src;
	unsigned sport;
	enum sip_proto sproto;
	bool match;
} acl_vectors[] = {
	{"10.0.0.0/8", 0, NULL, "10.200.3.4", 5060, SIP_PROTO_UDP, true},
	{"10.0.0.0/8", 0, NULL, "11.0.0.1", 5060, SIP_PROTO_UDP, false},
	{"192.0.2.0/25", 0, NULL, "192.0.2.127", 1, SIP_PROTO_TCP, true},
	{"192.0.2.0/25", 0, NULL, "192.0.2.128", 1, SIP_PROTO_TCP, false},
	{"192.0.2.7", 0, NULL, "192.0.2.7", 9, SIP_PROTO_UDP, true}, /* a host: /32 */
	{"192.0.2.7", 0, NULL, "192.0.2.6", 9, SIP_PROTO_UDP, false},
	{"0.0.0.0/0", 0, NULL, "203.0.113.9", 9, SIP_PROTO_UDP, true},
	{"0.0.0.0/0", 0, NULL, "2001:db8::1", 9, SIP_PROTO_UDP, false}, /* family differs */
	{"192.0.2.0/24", 5060, NULL, "192.0.2.1", 5060, SIP_PROTO_UDP, true},
	{"192.0.2.0/24", 5060, NULL, "192.0.2.1", 5061, SIP_PROTO_UDP, false},
	{"192.0.2.0/24", 0, "tcp", "192.0.2.1", 5061, SIP_PROTO_TCP, true},
	{"192.0.2.0/24", 0, "tcp", "192.0.2.1", 5061, SIP_PROTO_UDP, false},
	{"192.0.2.0/24", 0, "tls", "192.0.2.1", 5061, SIP_PROTO_TCP, false},
	{"192.0.2.0/24", 5061, "tls", "192.0.2.1", 5061, SIP_PROTO_TLS, true},
	{"2001:db8::/32", 0, NULL, "2001:db8:ffff::1", 5060, SIP_PROTO_UDP, true},
	{"2001:db8::/32", 0, NULL, "2001:db9::1", 5060, SIP_PROTO_UDP, false},
	{"2001:db8:0:2::/63", 0, NULL, "2001:db8:0:3::5", 5060, SIP_PROTO_UDP, true},
	{"2001:db8:0:2::/63", 0, NULL, "2001:db8:0:1::5", 5060, SIP_PROTO_UDP, false},
	/* an IPv4 source seen on an IPv6 socket is matched as IPv4 */
	{"198.51.100.0/24", 0, NULL, "::ffff:198.51.100.20", 5060, SIP_PROTO_UDP, true},
	{"198.51.100.0/24", 0, NULL, "::ffff:198.51.101.20", 5060, SIP_PROTO_UDP, false},
};

START_TEST(test_acl_match)
{
	struct sip_acl_entry e;
	struct sockaddr_storage ss = sa(acl_vectors[_i].src, acl_vectors[_i].sport);

	ck_assert_int_eq(sip_acl_entry_parse(&e, acl_vectors[_i].prefix, acl_vectors[_i].port,
					     acl_vectors[_i].tr),
			 0);
	ck_assert_msg(sip_acl_entry_match(&e, (struct sockaddr *)&ss, acl_vectors[_i].sproto) ==
			      acl_vectors[_i].match,
		      "%s port %u %s vs %s:%u", acl_vectors[_i].prefix, acl_vectors[_i].port,
		      acl_vectors[_i].tr ? acl_vectors[_i].tr : "any", acl_vectors[_i].src,
		      acl_vectors[_i].sport);
}
END_TEST

START_TEST(test_acl_parse_refuses)
{
	static const char *const bad[] = {
		"999.1.1.1/8",	"10.0.0.0/33",	"10.1.2.3/8", /* host bits past the prefix */
		"10.0.0.0/",	"10.0.0.0/x",	"2001:db8::/129", "2001:db8::1/32", "",
		"host.example", "10.0.0.0/8/8",
	};
	struct sip_acl_entry e = {.plen = 77};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(sip_acl_entry_parse(&e, bad[i], 0, NULL) == -EINVAL, "%s", bad[i]);
		ck_assert_uint_eq(e.plen, 77); /* untouched */
	}
	ck_assert_int_eq(sip_acl_entry_parse(&e, "10.0.0.0/8", 0, "sctp"), -EINVAL);
	ck_assert_int_eq(sip_acl_entry_parse(&e, "10.0.0.0/8", 70000, NULL), -EINVAL);
}
END_TEST

START_TEST(test_acl_str_round_trip)
{
	static const char *const in[][3] = {
		{"10.0.0.0/8", "0", ""},
		{"192.0.2.7", "5060", "tcp"},
		{"2001:db8::/32", "0", "tls"},
	};
	static const char *const want[] = {
		"10.0.0.0/8",
		"192.0.2.7/32 port 5060 transport tcp",
		"2001:db8::/32 transport tls",
	};

	for (unsigned i = 0; i < 3; i++) {
		struct sip_acl_entry e, e2;
		char buf[96];

		ck_assert_int_eq(sip_acl_entry_parse(&e, in[i][0], (unsigned)atoi(in[i][1]),
						     in[i][2][0] ? in[i][2] : NULL),
				 0);
		ck_assert_int_gt(sip_acl_entry_str(&e, buf, sizeof(buf)), 0);
		ck_assert_str_eq(buf, want[i]);
		/* what is written reads back the same */
		ck_assert_int_eq(
			sip_acl_entry_parse(&e2, in[i][0], e.port, in[i][2][0] ? in[i][2] : NULL),
			0);
		ck_assert_mem_eq(&e, &e2, sizeof(e));
	}
}
END_TEST

static const uint8_t A1[16] = {192, 0, 2, 1}, A2[16] = {192, 0, 2, 2};

START_TEST(test_pike_bucket)
{
	/* 10/s, burst 5: five at once, then one every 100 ms */
	struct sip_pike *p =
		sip_pike_alloc(unit_ctx, &(struct sip_pike_cfg){.rate = 10, .burst = 5}, 42);
	uint64_t t = 1000000;
	unsigned ok = 0;

	for (int i = 0; i < 8; i++)
		ok += sip_pike_take(p, AF_INET, A1, t);
	ck_assert_uint_eq(ok, 5);
	/* another source has its own bucket */
	ck_assert(sip_pike_take(p, AF_INET, A2, t));
	ck_assert(!sip_pike_take(p, AF_INET, A1, t + 50));
	ck_assert(sip_pike_take(p, AF_INET, A1, t + 100));
	ck_assert(!sip_pike_take(p, AF_INET, A1, t + 150));
	/* sustained: 100 requests 10 ms apart (100/s) over 1 s: about 10 pass */
	ok = 0;
	for (int i = 1; i <= 100; i++)
		ok += sip_pike_take(p, AF_INET, A1, t + 150 + (uint64_t)i * 10);
	ck_assert_uint_ge(ok, 9);
	ck_assert_uint_le(ok, 11);
	/* quiet for a long time: the burst again, not more */
	ok = 0;
	for (int i = 0; i < 20; i++)
		ok += sip_pike_take(p, AF_INET, A1, t + 100000);
	ck_assert_uint_eq(ok, 5);
	ck_assert_uint_eq(sip_pike_get_stats(p)->sources, 2);
	sip_pike_free(p);
}
END_TEST

START_TEST(test_pike_bounded)
{
	/* 100,000 sources through a 64-slot table: it never grows, old ones
	 * are forgotten, and a flooding source that keeps sending is still
	 * limited (it is the most recently used in its window). */
	struct sip_pike *p = sip_pike_alloc(
		unit_ctx, &(struct sip_pike_cfg){.rate = 1, .burst = 2, .max_sources = 64}, 7);
	size_t before = talloc_total_size(p);
	unsigned flood_ok = 0;

	for (uint32_t i = 0; i < 100000; i++) {
		uint8_t a[16] = {10};

		memcpy(a + 1, &i, 3);
		ck_assert(sip_pike_take(p, AF_INET, a, 5000)); /* a new source has its burst */
		if (!(i % 16))
			flood_ok += sip_pike_take(p, AF_INET, A1, 5000);
	}
	ck_assert_uint_eq(talloc_total_size(p), before);
	ck_assert_uint_eq(sip_pike_get_stats(p)->slots, 64);
	ck_assert_uint_le(sip_pike_get_stats(p)->sources, 64);
	ck_assert_uint_gt(sip_pike_get_stats(p)->evicted, 99000);
	ck_assert_uint_le(flood_ok, 4);
	/* log reminders: once per interval per source */
	ck_assert(sip_pike_note(p, AF_INET, A2, 10000, 60000));
	ck_assert(!sip_pike_note(p, AF_INET, A2, 20000, 60000));
	ck_assert(sip_pike_note(p, AF_INET, A2, 70001, 60000));
	sip_pike_free(p);
}
END_TEST

START_TEST(test_trunk_match)
{
	struct sip_acl_entry allow[2];
	struct sip_trunk a = {.name = "a", .host = "192.0.2.10", .port = 5060};
	struct sip_trunk b = {.name = "b", .host = "192.0.2.10", .port = 5070};
	struct sip_trunk d = {
		.name = "d", .host = "192.0.2.10", .port = 5080, .proto = SIP_PROTO_TCP};
	struct sip_trunk c = {
		.name = "c", .host = "2001:db8::10", .port = 5060, .allow = allow, .n_allow = 2};
	struct sockaddr_storage ss;

	ck_assert_int_eq(sip_acl_entry_parse(&allow[0], "198.51.100.0/24", 0, "tcp"), 0);
	ck_assert_int_eq(sip_acl_entry_parse(&allow[1], "2001:db8:1::/48", 5062, NULL), 0);
	llist_add_tail(&a.list, &sip_cfg.trunks);
	llist_add_tail(&b.list, &sip_cfg.trunks);
	llist_add_tail(&c.list, &sip_cfg.trunks);
	ss = sa("192.0.2.10", 5070); /* address and port */
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_UDP), &b);
	ss = sa("192.0.2.10", 40000); /* address alone: the first */
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_UDP), &a);
	ss = sa("::ffff:192.0.2.10", 40000);
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_TCP), &a);
	ss = sa("2001:db8::10", 1);
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_TLS), &c);
	ss = sa("198.51.100.77", 1); /* allow entry, transport tcp only */
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_TCP), &c);
	ck_assert_ptr_null(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_UDP));
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, -1), &c);
	ss = sa("2001:db8:1:5::1", 5062);
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_UDP), &c);
	ss = sa("2001:db8:1:5::1", 5063);
	ck_assert_ptr_null(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_UDP));
	ss = sa("127.0.0.3", 5060); /* nobody's */
	ck_assert_ptr_null(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_UDP));
	/* a TCP trunk at the same host, listed after a: a connection from
	 * another port (every TCP/TLS connection the peer opens) is its */
	llist_add_tail(&d.list, &sip_cfg.trunks);
	ss = sa("192.0.2.10", 40001);
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_TCP), &d);
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_UDP), &a);
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, SIP_PROTO_TLS), &a);
	ck_assert_ptr_eq(sip_sec_trunk_match((struct sockaddr *)&ss, -1), &a);
	llist_del(&d.list);
	llist_del(&a.list);
	llist_del(&b.list);
	llist_del(&c.list);
}
END_TEST

Suite *sip_sec_suite(void)
{
	Suite *s = suite_create("sip_sec");
	TCase *tc = unit_tcase("sip_sec");

	tcase_add_loop_test(tc, test_acl_match, 0, sizeof(acl_vectors) / sizeof(acl_vectors[0]));
	tcase_add_test(tc, test_acl_parse_refuses);
	tcase_add_test(tc, test_acl_str_round_trip);
	tcase_add_test(tc, test_pike_bucket);
	tcase_add_test(tc, test_pike_bounded);
	tcase_add_test(tc, test_trunk_match);
	suite_add_tcase(s, tc);
	return s;
}
