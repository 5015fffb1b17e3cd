/* core/addr: socket addresses as log text, IPv4, IPv6 in brackets, an
 * IPv4-mapped IPv6 peer as its IPv4 address, unknown families, and a
 * buffer too short (cut, still NUL-terminated). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/addr.h"
#include "tests/unit/unit.h"

static struct sockaddr_storage mk(int fam, const char *ip, unsigned port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = (sa_family_t)fam;
	if (fam == AF_INET) {
		struct sockaddr_in *a = (void *)&ss;

		ck_assert_int_eq(inet_pton(AF_INET, ip, &a->sin_addr), 1);
		a->sin_port = htons((uint16_t)port);
	} else if (fam == AF_INET6) {
		struct sockaddr_in6 *a = (void *)&ss;

		ck_assert_int_eq(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
		a->sin6_port = htons((uint16_t)port);
	}
	return ss;
}

START_TEST(test_addr_str)
{
	char b[ADDR_STR_MAX], small[8];
	struct sockaddr_storage ss;

	ss = mk(AF_INET, "192.0.2.1", 5060);
	ck_assert_ptr_eq(tandem_addr_str(&ss, b, sizeof(b)), b);
	ck_assert_str_eq(b, "192.0.2.1:5060");
	ss = mk(AF_INET6, "2001:db8::1", 5061);
	ck_assert_str_eq(tandem_addr_str(&ss, b, sizeof(b)), "[2001:db8::1]:5061");
	ss = mk(AF_INET6, "::ffff:198.51.100.7", 0);
	ck_assert_str_eq(tandem_addr_str(&ss, b, sizeof(b)), "198.51.100.7:0");
	/* a long one fits ADDR_STR_MAX whole */
	ss = mk(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
	tandem_addr_str(&ss, b, sizeof(b));
	ck_assert_str_eq(b, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535");
	ss = mk(AF_UNIX, NULL, 0);
	ck_assert_str_eq(tandem_addr_str(&ss, b, sizeof(b)), "?");
	ck_assert_str_eq(tandem_addr_str(NULL, b, sizeof(b)), "?");
	ss = mk(AF_INET, "192.0.2.1", 5060);
	ck_assert_str_eq(tandem_addr_str(&ss, small, sizeof(small)), "192.0.2");
}
END_TEST

/* host only, as the SCTP path list shows it; from an odd address inside a
 * packed buffer as SCTP_GET_PEER_ADDRS returns them */
START_TEST(test_host_str)
{
	char b[ADDR_STR_MAX], small[6];
	unsigned char packed[1 + sizeof(struct sockaddr_in6)];
	struct sockaddr_storage ss;

	ss = mk(AF_INET, "192.0.2.1", 2905);
	ck_assert_ptr_eq(tandem_host_str((const void *)&ss, b, sizeof(b)), b);
	ck_assert_str_eq(b, "192.0.2.1");
	ss = mk(AF_INET6, "2001:db8::1", 2905);
	ck_assert_str_eq(tandem_host_str((const void *)&ss, b, sizeof(b)), "2001:db8::1");
	ss = mk(AF_INET6, "::ffff:198.51.100.7", 2905);
	ck_assert_str_eq(tandem_host_str((const void *)&ss, b, sizeof(b)), "198.51.100.7");
	ss = mk(AF_INET6, "2001:db8::2", 9);
	memcpy(packed + 1, &ss, sizeof(struct sockaddr_in6));
	ck_assert_str_eq(tandem_host_str((const void *)(packed + 1), b, sizeof(b)), "2001:db8::2");
	ss = mk(AF_UNIX, NULL, 0);
	ck_assert_str_eq(tandem_host_str((const void *)&ss, b, sizeof(b)), "?");
	ck_assert_str_eq(tandem_host_str(NULL, b, sizeof(b)), "?");
	ss = mk(AF_INET, "192.0.2.1", 1);
	ck_assert_str_eq(tandem_host_str((const void *)&ss, small, sizeof(small)), "192.0");
}
END_TEST

Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = unit_tcase("str");

	tcase_add_test(tc, test_addr_str);
	tcase_add_test(tc, test_host_str);
	suite_add_tcase(s, tc);
	return s;
}
