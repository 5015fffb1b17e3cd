/* interwork/iw_number: ISUP NOA + digits <-> E.164, tel: / SIP user parts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "interwork/iw_number.h"
#include "tests/unit/unit.h"

/* Contexts: a country with trunk prefix 0 and international prefix 00
 * (ITU-T recommended), one with NANP-style 1 / 011, one without a trunk
 * prefix. */
static const struct {
	const char *cc, *np, *ip, *area;
} ctxs[] = {
	{"49", "0", "00", "30"},
	{"49", "0", "00", NULL},
	{"1", "1", "011", "212"},
	{"39", NULL, "00", NULL},
};

static const struct {
	int ctx;
	uint8_t noa;
	const char *digits;
	const char *want; /* NULL: -EINVAL */
} e164_cases[] = {
	{0, IW_NOA_INTERNATIONAL, "441234567890", "+441234567890"},
	{0, IW_NOA_NATIONAL, "301234567", "+49301234567"},
	{0, IW_NOA_SUBSCRIBER, "1234567", "+49301234567"},
	{1, IW_NOA_SUBSCRIBER, "1234567", NULL}, /* no area code */
	{0, IW_NOA_UNKNOWN, "00441234567890", "+441234567890"},
	{0, IW_NOA_UNKNOWN, "0301234567", "+49301234567"},
	{0, IW_NOA_UNKNOWN, "1234567", "+49301234567"},	  /* subscriber, area 30 */
	{1, IW_NOA_UNKNOWN, "301234567", "+49301234567"}, /* national */
	{0, IW_NOA_UNKNOWN, "00", NULL},		  /* prefix only */
	{0, IW_NOA_UNKNOWN, "0", NULL},
	{2, IW_NOA_UNKNOWN, "0114930123456", "+4930123456"},
	{2, IW_NOA_UNKNOWN, "12125551234", "+12125551234"},
	{2, IW_NOA_UNKNOWN, "5551234", "+12125551234"},
	{2, IW_NOA_NATIONAL, "2125551234", "+12125551234"},
	{3, IW_NOA_UNKNOWN, "0612345678", "+390612345678"}, /* Italy keeps the 0 */
	{3, IW_NOA_UNKNOWN, "0044207946000", "+44207946000"},
	/* E.164 6.1: 15 digits with the country code, not 16 */
	{0, IW_NOA_INTERNATIONAL, "123456789012345", "+123456789012345"},
	{0, IW_NOA_INTERNATIONAL, "1234567890123456", NULL},
	{0, IW_NOA_NATIONAL, "1234567890123", "+491234567890123"},
	{0, IW_NOA_NATIONAL, "12345678901234", NULL},
	{0, IW_NOA_UNKNOWN, "00123456789012345", "+123456789012345"},
	{0, IW_NOA_UNKNOWN, "001234567890123456", NULL},
	{0, IW_NOA_NATIONAL, "", NULL},
	{0, IW_NOA_NATIONAL, "30 1234", NULL},
	{0, IW_NOA_NATIONAL, "30A1234", NULL},
	{0, IW_NOA_NATIONAL, "301234#", NULL},
	{0, IW_NOA_INTERNATIONAL, "+4930", NULL},
	{0, IW_NOA_INTERNATIONAL, "4", NULL},
	{0, 0, "301234", NULL}, /* spare */
	{0, 5, "301234", NULL}, /* network-specific */
	{0, 127, "301234", NULL},
};

static void make_ctx(int i, struct iw_number_ctx *c)
{
	ck_assert_int_eq(iw_number_ctx_set(c, ctxs[i].cc, ctxs[i].np, ctxs[i].ip, ctxs[i].area), 0);
}

START_TEST(test_to_e164)
{
	struct iw_number_ctx c;
	char out[IW_E164_BUF];
	const char *d = e164_cases[_i].digits, *want = e164_cases[_i].want;
	size_t n = strlen(d);
	char *copy = malloc(n + 1);
	int rc;

	memcpy(copy, d, n); /* no NUL: the length is what counts */
	make_ctx(e164_cases[_i].ctx, &c);
	strcpy(out, "untouched");
	rc = iw_number_to_e164(&c, e164_cases[_i].noa, copy, n, out, sizeof(out));
	if (want) {
		ck_assert_msg(rc == (int)strlen(want), "%s: rc %d", d, rc);
		ck_assert_str_eq(out, want);
		/* one byte short of the NUL: refused, not truncated */
		ck_assert_int_eq(
			iw_number_to_e164(&c, e164_cases[_i].noa, copy, n, out, strlen(want)),
			-ENOSPC);
	} else {
		ck_assert_msg(rc == -EINVAL, "%s: rc %d, want -EINVAL", d, rc);
		ck_assert_str_eq(out, "untouched");
	}
	free(copy);
}
END_TEST

static const struct {
	int ctx;
	const char *e164;
	int noa; /* 0: -EINVAL */
	const char *digits;
} from_cases[] = {
	{0, "+49301234567", IW_NOA_NATIONAL, "301234567"},
	{0, "49301234567", IW_NOA_NATIONAL, "301234567"},
	{0, "+441234567890", IW_NOA_INTERNATIONAL, "441234567890"},
	{2, "+12125551234", IW_NOA_NATIONAL, "2125551234"},
	{2, "+4930123456", IW_NOA_INTERNATIONAL, "4930123456"},
	{3, "+390612345678", IW_NOA_NATIONAL, "0612345678"},
	{0, "+4", 0, NULL},
	{0, "+49", IW_NOA_INTERNATIONAL, "49"}, /* nothing after the CC */
	{0, "+1234567890123456", 0, NULL},
	{0, "+49-30-1234", 0, NULL},
	{0, "", 0, NULL},
	{0, "+", 0, NULL},
};

START_TEST(test_from_e164)
{
	struct iw_number_ctx c;
	char out[32];
	uint8_t noa = 0xee;
	const char *in = from_cases[_i].e164;
	int rc;

	make_ctx(from_cases[_i].ctx, &c);
	rc = iw_number_from_e164(&c, in, strlen(in), &noa, out, sizeof(out));
	if (from_cases[_i].noa) {
		ck_assert_int_eq(rc, (int)strlen(from_cases[_i].digits));
		ck_assert_str_eq(out, from_cases[_i].digits);
		ck_assert_uint_eq(noa, from_cases[_i].noa);
	} else {
		ck_assert_int_eq(rc, -EINVAL);
		ck_assert_uint_eq(noa, 0xee);
	}
}
END_TEST

/* What goes out comes back: from_e164 then to_e164 is the identity. */
START_TEST(test_round_trip)
{
	static const char *nums[] = {"+49301234567",  "+441234567890",	  "+12125551234",
				     "+390612345678", "+123456789012345", "+4912"};

	for (unsigned ci = 0; ci < sizeof(ctxs) / sizeof(ctxs[0]); ci++) {
		struct iw_number_ctx c;

		make_ctx((int)ci, &c);
		for (unsigned i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
			char d[32], e[IW_E164_BUF];
			uint8_t noa;

			ck_assert_int_gt(iw_number_from_e164(&c, nums[i], strlen(nums[i]), &noa, d,
							     sizeof(d)),
					 0);
			ck_assert_int_gt(iw_number_to_e164(&c, noa, d, strlen(d), e, sizeof(e)), 0);
			ck_assert_str_eq(e, nums[i]);
		}
	}
}
END_TEST

static const struct {
	int ctx;
	const char *uri;
	const char *want;
} uri_cases[] = {
	{0, "tel:+49-30-1234567", "+49301234567"},
	{0, "TEL:+1.212.555.1234", "+12125551234"},
	{0, "tel:+1-(212)-555-1234;ext=22", "+12125551234"},
	{0, "+49301234567;npdi;rn=+49309999", "+49301234567"},
	{0, "sip:+49301234567@gw.example.net;user=phone", "+49301234567"},
	{0, "sips:+44-20-7946-0000;isub=1@example.org", "+442079460000"},
	{0, "tel:030-1234567;phone-context=+49", "+49301234567"},
	{0, "tel:1234567;phone-context=+49-30", "+49301234567"},
	{0, "tel:1234567;phone-context=+4930", "+49301234567"},
	{0, "tel:00441234567;phone-context=+49", "+441234567"},
	{0, "tel:7946000;phone-context=+4420",
	 "+4420"
	 "7946000"}, /* other country */
	{0, "0301234567", "+49301234567"},
	{0, "1234567", "+49301234567"},
	{0, "tel:1234567;phone-context=example.com", "+49301234567"},
	{1, "301234567", "+49301234567"},
	{0, "tel:+49*30", NULL},
	{0, "tel:#31#", NULL},
	{0, "tel:+", NULL},
	{0, "tel:", NULL},
	{0, "", NULL},
	{0, "alice", NULL},
	{0, "tel:+1234567890123456", NULL},
	{0, "tel:1234;phone-context=+12345678901234", NULL}, /* 18 digits */
	{0, "tel:1234;phone-context=+", NULL},
	{0, "tel:1234;phone-context=+4930abc", NULL},
	{0, "tel:---", NULL},
	{0, "sip:@host", NULL},
};

START_TEST(test_from_uri)
{
	struct iw_number_ctx c;
	char out[IW_E164_BUF];
	const char *in = uri_cases[_i].uri, *want = uri_cases[_i].want;
	size_t n = strlen(in);
	char *copy = malloc(n ? n : 1);
	int rc;

	memcpy(copy, in, n);
	make_ctx(uri_cases[_i].ctx, &c);
	rc = iw_number_from_uri(&c, copy, n, out, sizeof(out));
	if (want) {
		ck_assert_msg(rc == (int)strlen(want), "%s: rc %d", in, rc);
		ck_assert_str_eq(out, want);
	} else {
		ck_assert_msg(rc == -EINVAL, "%s: rc %d, want -EINVAL", in, rc);
	}
	/* truncations never read past the length */
	for (size_t k = 0; k < n; k++)
		(void)iw_number_from_uri(&c, copy, k, out, sizeof(out));
	free(copy);
}
END_TEST

START_TEST(test_ctx_and_names)
{
	struct iw_number_ctx c, keep;

	ck_assert_int_eq(iw_number_ctx_set(&c, "49", "0", "00", "30"), 0);
	keep = c;
	ck_assert_int_eq(iw_number_ctx_set(&c, NULL, "0", "00", NULL), -EINVAL);
	ck_assert_int_eq(iw_number_ctx_set(&c, "", "0", "00", NULL), -EINVAL);
	ck_assert_int_eq(iw_number_ctx_set(&c, "4912", "0", "00", NULL), -EINVAL);
	ck_assert_int_eq(iw_number_ctx_set(&c, "4a", "0", "00", NULL), -EINVAL);
	ck_assert_int_eq(iw_number_ctx_set(&c, "49", "+", "00", NULL), -EINVAL);
	ck_assert_int_eq(iw_number_ctx_set(&c, "49", "0", "00", "12345678"), -EINVAL);
	ck_assert_mem_eq(&c, &keep, sizeof(c));
	ck_assert_int_eq(iw_number_ctx_set(&c, "1", NULL, NULL, NULL), 0);
	ck_assert_str_eq(c.national_prefix, "");

	ck_assert_str_eq(iw_noa_name(IW_NOA_NATIONAL), "national");
	ck_assert_ptr_null(iw_noa_name(0));
	ck_assert_ptr_null(iw_noa_name(5));
	for (int i = 1; i <= 4; i++)
		ck_assert_int_eq(iw_noa_from_name(iw_noa_name((uint8_t)i)), i);
	ck_assert_int_eq(iw_noa_from_name("International"), IW_NOA_INTERNATIONAL);
	ck_assert_int_eq(iw_noa_from_name("abbreviated"), -EINVAL);
}
END_TEST

Suite *iw_number_suite(void)
{
	Suite *s = suite_create("iw_number");
	TCase *tc = unit_tcase("e164");

	tcase_add_loop_test(tc, test_to_e164, 0, sizeof(e164_cases) / sizeof(e164_cases[0]));
	tcase_add_loop_test(tc, test_from_e164, 0, sizeof(from_cases) / sizeof(from_cases[0]));
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_ctx_and_names);
	suite_add_tcase(s, tc);
	tc = unit_tcase("uri");
	tcase_add_loop_test(tc, test_from_uri, 0, sizeof(uri_cases) / sizeof(uri_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
