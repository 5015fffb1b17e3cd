/* sigtran/isup_link + isup_call_fsm, Dual seizure (Q.764 2.10.1.4): always-
 * win, always-yield (with and without another circuit), even-odd by point
 * code. Loop tests run once per variant: _i 0 is ITU (Q.763), 1 is ANSI
 * (T1.113); the harness is isup_link_harness.h. */
#include <errno.h>
#include <string.h>

#include "tests/unit/isup_link_harness.h"

/* Q.764 2.10.1.4 dual seizure, the controlling side: the IAM is ignored. */
START_TEST(test_glare_win)
{
	struct isup_call *c;
	unsigned k;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	rx_iam(k, "456", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_uint_eq(TX.n, 1);
	ck_assert_ptr_eq(cic(k)->user, c);
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_OUT_BUSY);
	ck_assert_str_eq(isup_call_state_name(c), "OUT_WAIT_ACM");
	ck_assert_uint_eq(isup_link_stats(L)->glare, 1);
	ck_assert_uint_eq(isup_link_stats(L)->glare_lost, 0);
	rx_acm(k, true);
	ck_assert_int_eq(OW.progress, 1);
	finish();
}
END_TEST

/* ... the non-controlling side: theirs is accepted, ours moves circuit. */
START_TEST(test_glare_yield)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_call *c;
	struct isup_number n;
	const struct isup_param *p;
	struct isup_msg m;
	unsigned k, k2;

	cfg.glare = ISUP_GLARE_ALWAYS_YIELD;
	start_cfg(&cfg, 1, 2);
	isup_link_up(L);
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	rx_iam(k, "456", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(OW.setup_cic, k);
	ck_assert_str_eq(OW.called, "456");
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_IN_BUSY);
	ck_assert_ptr_eq(cic(k)->user, OW.call);
	/* our call is re-attempted on the other circuit */
	k2 = isup_call_cic(c);
	ck_assert_uint_ne(k2, k);
	ck_assert_uint_eq(cic(k2)->call, ISUP_CIC_OUT_BUSY);
	ck_assert_ptr_eq(cic(k2)->user, c);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_IAM, k2, &m);
	p = isup_msg_param(&m, ISUP_PAR_CALLED_PARTY_NUMBER);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_number_decode(ISUP_PAR_CALLED_PARTY_NUMBER, p->val, p->len, &n), 0);
	ck_assert_str_eq(n.digits, "123");
	ck_assert_uint_eq(isup_link_stats(L)->glare_lost, 1);
	ck_assert_int_eq(OW.releases, 0);
	/* both calls go on */
	rx_acm(k2, true);
	ck_assert_int_eq(OW.progress, 1);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	expect(2, ISUP_MT_ACM, k, &m);
	finish();
}
END_TEST

/* Q.764 2.10.1.4: the IAM that goes again on the other circuit starts its
 * own T7 (awaiting ACM). The state change OUT_WAIT_ACM -> OUT_WAIT_ACM was
 * refused by the FSM table (not in its out_state_mask: -EPERM, logged),
 * so T7 ran on from the first IAM and the repeated attempt was given up
 * (REL 102 to the far end, cause 102 to the owner) T7 after the first. */
START_TEST(test_glare_yield_t7)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_call *c;
	unsigned k;

	cfg.glare = ISUP_GLARE_ALWAYS_YIELD;
	start_cfg(&cfg, 1, 2);
	isup_link_up(L);
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	advance_s(15);
	rx_iam(k, "456", _i == 0, NULL);
	ck_assert_uint_ne(isup_call_cic(c), k);
	ck_assert_str_eq(isup_call_state_name(c), "OUT_WAIT_ACM");
	/* 21 s after the first IAM, 6 s after the second */
	advance_s(6);
	ck_assert_int_eq(OW.releases, 0);
	ck_assert_uint_eq(count_type(ISUP_MT_REL), 0);
	/* T7 after the second IAM */
	advance_s(15);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(count_type(ISUP_MT_REL), 1);
	finish();
}
END_TEST

/* ... and with no other circuit the yielding call fails with cause 34. */
START_TEST(test_glare_yield_no_circuit)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_call *c;

	cfg.glare = ISUP_GLARE_ALWAYS_YIELD;
	start_cfg(&cfg, 7, 7);
	isup_link_up(L);
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	rx_iam(7, "456", _i == 0, NULL);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 34);
	ck_assert_ptr_eq(OW.released, c);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(cic(7)->call, ISUP_CIC_IN_BUSY);
	ck_assert_uint_eq(TX.n, 1);
	finish();
}
END_TEST

/* Q.764 2.9.1.4 a): with the even/odd rule the exchange with the higher
 * point code controls the even circuits. OPC 100 < DPC 200: we control
 * the odd ones, hunt them first, and keep our call on one; on an even one
 * we yield. */
START_TEST(test_glare_even_odd)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_call *a, *b;

	cfg.glare = ISUP_GLARE_EVEN_ODD;
	start_cfg(&cfg, 1, 2);
	isup_link_up(L);
	a = call_out("1");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(isup_call_cic(a), 1);
	b = call_out("2");
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(isup_call_cic(b), 2);
	rx_iam(1, "9", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_ptr_eq(cic(1)->user, a);
	rx_iam(2, "9", _i == 0, NULL);
	/* no other circuit for ours: it fails with cause 34 */
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(OW.setup_cic, 2);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_ptr_eq(OW.released, b);
	ck_assert_uint_eq(OW.rel_cause, 34);
	finish();
}
END_TEST

Suite *isup_link_glare_suite(void)
{
	Suite *s = suite_create("isup_link_glare");
	TCase *tc = unit_tcase("glare");

	tcase_add_loop_test(tc, test_glare_win, 0, 2);
	tcase_add_loop_test(tc, test_glare_yield, 0, 2);
	tcase_add_loop_test(tc, test_glare_yield_t7, 0, 2);
	tcase_add_loop_test(tc, test_glare_yield_no_circuit, 0, 2);
	tcase_add_loop_test(tc, test_glare_even_odd, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
