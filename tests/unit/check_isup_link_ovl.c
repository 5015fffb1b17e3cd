/* sigtran/isup_link + isup_call_fsm, Overlap signalling (Q.764 2.1.2): SAM,
 * T35, en bloc when overlap is off, a late SAM, a release before the setup
 * completes. Loop tests run once per variant: _i 0 is ITU (Q.763), 1 is ANSI
 * (T1.113); the harness is isup_link_harness.h. */
#include <errno.h>
#include <string.h>

#include "tests/unit/isup_link_harness.h"

/* Overlap (ITU): the IAM without ST waits for SAMs; the SAM with ST
 * completes the number. ANSI has no SAM: its IAM is complete as it is. */
START_TEST(test_overlap_sam)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);

	cfg.overlap = true;
	start_cfg(&cfg, 1, 4);
	isup_link_up(L);
	rx_iam(1, "4930", false, "3055551234");
	if (_i) {
		ck_assert_int_eq(OW.setups, 1);
		ck_assert_str_eq(OW.called, "4930");
		finish();
		return;
	}
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_uint_eq(cic(1)->call, ISUP_CIC_IN_BUSY);
	advance_s(5);
	rx_sam(1, "12", false);
	ck_assert_int_eq(OW.setups, 0);
	advance_s(10); /* T35 restarted by the SAM */
	ck_assert_int_eq(OW.setups, 0);
	rx_sam(1, "3456", true);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_str_eq(OW.called, "4930123456");
	ck_assert(OW.called_st);
	ck_assert_str_eq(OW.calling, "3055551234");
	ck_assert_uint_eq(OW.setup_cic, 1);
	/* a SAM after the number is complete changes nothing */
	rx_sam(1, "7", true);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(TX.n, 0);
	advance_s(60);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(TX.n, 0);
	finish();
}
END_TEST

/* Overlap (ITU): no SAM within T35: the digits so far go to routing. */
START_TEST(test_overlap_t35)
{
	struct isup_link_cfg cfg = base_cfg(ISUP_VAR_ITU);

	cfg.overlap = true;
	start_cfg(&cfg, 1, 4);
	isup_link_up(L);
	rx_iam(3, "4930", false, NULL);
	advance_s(14);
	ck_assert_int_eq(OW.setups, 0);
	advance_s(1);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_str_eq(OW.called, "4930");
	ck_assert(!OW.called_st);
	ck_assert_uint_eq(OW.setup_cic, 3);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	ck_assert_uint_eq(TX.n, 1);
	finish();
}
END_TEST

/* Overlap off: an ITU IAM without ST is complete. */
START_TEST(test_no_overlap_en_bloc)
{
	start(ISUP_VAR_ITU, 1, 4);
	rx_iam(3, "4930", false, NULL);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_str_eq(OW.called, "4930");
	finish();
}
END_TEST

/* Overlap: a SAM that crosses our ACM is discarded (the number was
 * complete for us); the call goes on. */
START_TEST(test_overlap_late_sam)
{
	struct isup_link_cfg cfg = base_cfg(ISUP_VAR_ITU);

	cfg.overlap = true;
	start_cfg(&cfg, 1, 4);
	isup_link_up(L);
	rx_iam(1, "4930", false, NULL);
	advance_s(15);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	rx_sam(1, "5", false);
	ck_assert_uint_eq(TX.n, 1);
	ck_assert_int_eq(OW.releases, 0);
	ck_assert_ptr_eq(cic(1)->user, OW.call);
	ck_assert_int_eq(isup_call_anm(OW.call), 0);
	rx_sam(1, "6", true);
	ck_assert_uint_eq(TX.n, 2);
	ck_assert_int_eq(OW.releases, 0);
	finish();
}
END_TEST

/* An incoming call still collecting digits (overlap) or waiting for COT
 * has not been given to the owner: when it ends (REL, RSC, GRS) the owner
 * must not hear of it either; its release callback would get the link's
 * ops_priv as the call's user pointer. */
START_TEST(test_release_before_setup)
{
	struct isup_link_cfg cfg = base_cfg(ISUP_VAR_ITU);
	struct isup_msg m;

	cfg.overlap = true;
	start_cfg(&cfg, 1, 4);
	isup_link_up(L);
	rx_iam(1, "4930", false, NULL);
	rx_rel(1, 16);
	expect(0, ISUP_MT_RLC, 1, &m);
	ck_assert_uint_eq(cic(1)->call, ISUP_CIC_IDLE);
	rx_iam(2, "4930", false, NULL);
	rx_simple(ISUP_MT_RSC, 2);
	expect(1, ISUP_MT_RLC, 2, &m);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	rx_iam_cot(3);
	rx_rel(3, 16);
	expect(2, ISUP_MT_RLC, 3, &m);
	rx_iam(4, "4930", false, NULL);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_int_eq(OW.releases, 0);
	/* once given to the owner, it does hear of the release */
	advance_s(15);
	ck_assert_int_eq(OW.setups, 1);
	rx_rel(4, 16);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_ptr_eq(OW.released, OW.call);
	finish();
}
END_TEST

Suite *isup_link_ovl_suite(void)
{
	Suite *s = suite_create("isup_link_ovl");
	TCase *tc = unit_tcase("overlap");

	tcase_add_loop_test(tc, test_overlap_sam, 0, 2);
	tcase_add_test(tc, test_overlap_t35);
	tcase_add_test(tc, test_no_overlap_en_bloc);
	tcase_add_test(tc, test_overlap_late_sam);
	tcase_add_test(tc, test_release_before_setup);
	suite_add_tcase(s, tc);
	return s;
}
