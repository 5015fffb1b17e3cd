/* interwork/iw_trust: RFC 3325 identity per trunk, Max-Forwards <-> hop counter. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "interwork/iw_trust.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_proto.h"
#include "sip/sip_msg.h"
#include "sip/sip_trunk.h"
#include "tests/unit/unit.h"

static char buf[2048];

static void parse(struct sip_msg *m, const char *extra)
{
	int n = snprintf(buf, sizeof(buf),
			 "INVITE sip:+4930123456@gw.example.net SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKiwtrust\r\n"
			 "From: <sip:+4989111@a.example>;tag=1\r\n"
			 "To: <sip:+4930123456@gw.example.net>\r\n"
			 "Call-ID: iwtrust@192.0.2.1\r\n"
			 "CSeq: 1 INVITE\r\n"
			 "%s"
			 "Content-Length: 0\r\n\r\n",
			 extra);

	ck_assert(n > 0 && (size_t)n < sizeof(buf));
	ck_assert_int_eq(sip_msg_parse(m, buf, (size_t)n, NULL), 0);
}

static bool uri_is(struct tstr t, const char *s)
{
	return t.len == strlen(s) && !memcmp(t.p, s, t.len);
}

START_TEST(test_identity_untrusted)
{
	struct sip_trunk t = {.name = "u"};
	struct sip_msg m;
	struct iw_identity_in id;

	parse(&m, "P-Asserted-Identity: <sip:+4930555666@a.example;user=phone>\r\n"
		  "Max-Forwards: 70\r\n");
	iw_identity_in(&t, &m, &id);
	ck_assert_int_eq(id.src, IW_ID_FROM);
	ck_assert(uri_is(id.uri, "sip:+4989111@a.example"));
	ck_assert(!id.network_provided);
	ck_assert(!id.restricted);
	/* a default number replaces whatever the caller wrote */
	t.default_calling = "4930999";
	iw_identity_in(&t, &m, &id);
	ck_assert_int_eq(id.src, IW_ID_DEFAULT);
	ck_assert_str_eq(id.number, "4930999");
	/* the SIP-I body's calling number counts for nothing either */
	ck_assert(!iw_identity_trusted(&t));
	ck_assert(!iw_identity_trusted(NULL));
}
END_TEST

START_TEST(test_identity_trusted)
{
	struct sip_trunk t = {.name = "t", .trust_identity = true, .default_calling = "4930999"};
	struct sip_msg m;
	struct iw_identity_in id;

	parse(&m, "P-Asserted-Identity: <sip:+4930555666@a.example;user=phone>\r\n"
		  "Privacy: id\r\n");
	iw_identity_in(&t, &m, &id);
	ck_assert_int_eq(id.src, IW_ID_PAI);
	ck_assert(uri_is(id.uri, "sip:+4930555666@a.example;user=phone"));
	ck_assert(id.network_provided);
	ck_assert(id.restricted);
	/* without PAI, a trusted trunk's From is still only user provided */
	parse(&m, "");
	iw_identity_in(&t, &m, &id);
	ck_assert_int_eq(id.src, IW_ID_FROM);
	ck_assert(!id.network_provided);
}
END_TEST

START_TEST(test_identity_out)
{
	struct sip_trunk un = {.name = "u"}, tr = {.name = "t", .trust_identity = true};
	char from[128], hdrs[256];

	iw_identity_out(&un, "4930555", true, "192.0.2.9", from, sizeof(from), hdrs, sizeof(hdrs));
	ck_assert_str_eq(from, "sip:anonymous@anonymous.invalid");
	ck_assert_ptr_eq(strstr(hdrs, "P-Asserted-Identity"), NULL);
	ck_assert_ptr_eq(strstr(hdrs, "4930555"), NULL);
	iw_identity_out(&tr, "4930555", true, "192.0.2.9", from, sizeof(from), hdrs, sizeof(hdrs));
	ck_assert_str_eq(from, "sip:anonymous@anonymous.invalid");
	ck_assert_str_eq(
		hdrs,
		"P-Asserted-Identity: <sip:+4930555@192.0.2.9;user=phone>\r\nPrivacy: id\r\n");
	iw_identity_out(&un, "4930555", false, "192.0.2.9", from, sizeof(from), hdrs, sizeof(hdrs));
	ck_assert_str_eq(from, "sip:+4930555@192.0.2.9;user=phone");
	iw_identity_out(&un, "", false, "192.0.2.9", from, sizeof(from), hdrs, sizeof(hdrs));
	ck_assert_str_eq(from, "sip:unknown@192.0.2.9");
	ck_assert_str_eq(hdrs, "");
}
END_TEST

START_TEST(test_hops_sip_to_isup)
{
	struct sip_msg m;
	uint8_t hc = 0;

	parse(&m, "Max-Forwards: 70\r\n");
	ck_assert_int_eq(iw_hops_sip_to_isup(&m, &hc), 0);
	ck_assert_uint_eq(hc, 31); /* capped to 5 bits */
	parse(&m, "Max-Forwards: 10\r\n");
	ck_assert_int_eq(iw_hops_sip_to_isup(&m, &hc), 0);
	ck_assert_uint_eq(hc, 9);
	parse(&m, "Max-Forwards: 2\r\n");
	ck_assert_int_eq(iw_hops_sip_to_isup(&m, &hc), 0);
	ck_assert_uint_eq(hc, 1);
	parse(&m, "Max-Forwards: 1\r\n");
	ck_assert_int_eq(iw_hops_sip_to_isup(&m, &hc), -ELOOP);
	parse(&m, "");
	ck_assert_int_eq(iw_hops_sip_to_isup(&m, &hc), 0);
	ck_assert_uint_eq(hc, 31);
}
END_TEST

START_TEST(test_hops_isup_to_sip)
{
	struct isup_msg m;
	unsigned mf = 0;
	uint8_t hc;

	isup_msg_init(&m, ISUP_MT_IAM, 1);
	ck_assert_int_eq(iw_hops_isup_to_sip(&m, &mf), 0);
	ck_assert_uint_eq(mf, 70); /* no hop counter: RFC 3261's default */
	hc = 0xe0 | 12;		   /* spare bits set: ignored */
	isup_msg_add(&m, ISUP_PAR_HOP_COUNTER, &hc, 1);
	ck_assert_int_eq(iw_hops_isup_to_sip(&m, &mf), 0);
	ck_assert_uint_eq(mf, 11);
	isup_msg_init(&m, ISUP_MT_IAM, 1);
	hc = 1;
	isup_msg_add(&m, ISUP_PAR_HOP_COUNTER, &hc, 1);
	ck_assert_int_eq(iw_hops_isup_to_sip(&m, &mf), -ELOOP);
}
END_TEST

Suite *iw_trust_suite(void)
{
	Suite *s = suite_create("iw_trust");
	TCase *tc = unit_tcase("iw_trust");

	tcase_add_test(tc, test_identity_untrusted);
	tcase_add_test(tc, test_identity_trusted);
	tcase_add_test(tc, test_identity_out);
	tcase_add_test(tc, test_hops_sip_to_isup);
	tcase_add_test(tc, test_hops_isup_to_sip);
	suite_add_tcase(s, tc);
	return s;
}
