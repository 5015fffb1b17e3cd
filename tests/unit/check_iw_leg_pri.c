/* interwork/iw_leg_pri: Q.931 numbers (type of number, numbering plan,
 * presentation, screening) <-> the Q.763 terms the call carries. */
#include <string.h>

#include "interwork/iw_leg_pri.h"
#include "sigtran/isup_proto.h"
#include "tests/unit/unit.h"

START_TEST(test_ton_noa)
{
	/* Q.931 4.5.8 type of number <-> Q.763 3.9 nature of address */
	ck_assert_int_eq(iw_pri_ton_to_noa(1), ISUP_NOA_INTERNATIONAL);
	ck_assert_int_eq(iw_pri_ton_to_noa(2), ISUP_NOA_NATIONAL);
	ck_assert_int_eq(iw_pri_ton_to_noa(3), ISUP_NOA_NETWORK_SPECIFIC);
	ck_assert_int_eq(iw_pri_ton_to_noa(4), ISUP_NOA_SUBSCRIBER);
	ck_assert_int_eq(iw_pri_ton_to_noa(0), ISUP_NOA_UNKNOWN);
	ck_assert_int_eq(iw_pri_ton_to_noa(6), ISUP_NOA_UNKNOWN); /* abbreviated */
	for (uint8_t t = 1; t <= 4; t++)
		ck_assert_int_eq(iw_pri_noa_to_ton(iw_pri_ton_to_noa(t)), t);
	ck_assert_int_eq(iw_pri_noa_to_ton(ISUP_NOA_UNKNOWN), 0);
}
END_TEST

START_TEST(test_number_in_out)
{
	struct isup_number n;

	/* calling: national, E.164, presentation restricted, network provided */
	iw_pri_number_in(0x21, 0x23, "3012345", &n);
	ck_assert_int_eq(n.noa, ISUP_NOA_NATIONAL);
	ck_assert_int_eq(n.npi, ISUP_NPI_ISDN);
	ck_assert_int_eq(n.apri, 1);
	ck_assert_int_eq(n.screening, 3);
	ck_assert_str_eq(n.digits, "3012345");
	ck_assert_int_eq(iw_pri_plan_out(&n), 0x21);
	ck_assert_int_eq(iw_pri_pres_out(&n), 0x23); /* and back, unchanged */
	/* international E.164 */
	iw_pri_number_in(0x11, 0, "4930123", &n);
	ck_assert_int_eq(n.noa, ISUP_NOA_INTERNATIONAL);
	ck_assert_int_eq(iw_pri_plan_out(&n), 0x11);
	ck_assert_int_eq(iw_pri_pres_out(&n), 0); /* allowed, user provided */
	/* a private plan number stays private */
	iw_pri_number_in(0x49, 0, "2001", &n);
	ck_assert_int_eq(n.noa, ISUP_NOA_SUBSCRIBER);
	ck_assert_int_eq(n.npi, ISUP_NPI_PRIVATE);
	ck_assert_int_eq(iw_pri_plan_out(&n), 0x49);
}
END_TEST

Suite *iw_leg_pri_suite(void)
{
	Suite *s = suite_create("iw_leg_pri");
	TCase *tc = unit_tcase("iw_leg_pri");

	tcase_add_test(tc, test_ton_noa);
	tcase_add_test(tc, test_number_in_out);
	suite_add_tcase(s, tc);
	return s;
}
