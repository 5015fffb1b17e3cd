/* sigtran/isup_link + isup_call_fsm, Circuit query and abnormal input (Q.764
 * 2.9.5, 2.10.5, 2.12): CQM/CQR, unequipped CIC (UCIC) both ways, unknown
 * message (CFN), unexpected ANM, malformed messages, the circuits' free/busy
 * state. Loop tests run once per variant: _i 0 is ITU (Q.763), 1 is ANSI
 * (T1.113); the harness is isup_link_harness.h. */
#include <errno.h>
#include <string.h>

#include "tests/unit/isup_link_harness.h"

/* Q.763 3.14: CQR reports each circuit's state (DC: 1 incoming busy,
 * 2 outgoing busy, 3 idle; BA maintenance blocking; 3 alone unequipped). */
START_TEST(test_cqm)
{
	const struct isup_param *p;
	struct isup_range_status rs;
	struct isup_call *c;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_iam(2, "123", _i == 0, NULL);		  /* incoming busy */
	rx_simple(ISUP_MT_BLO, 3);			  /* remotely blocked */
	ck_assert_int_eq(isup_link_block(L, 4, true), 0); /* locally blocked */
	c = call_out("456");				  /* the one free: CIC 1 */
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(isup_call_cic(c), 1);
	TX.n = 0;

	rx_range(ISUP_MT_CQM, 1, 4, NULL, -1); /* CICs 1..5; 5 is not equipped */
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_CQR, 1, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 4);
	ck_assert_uint_eq(rs.status_len, 0);
	p = isup_msg_param(&m, ISUP_PAR_CIRCUIT_STATE_INDICATOR);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->len, 5);
	ck_assert_uint_eq(p->val[0], 0x08); /* outgoing busy */
	ck_assert_uint_eq(p->val[1], 0x04); /* incoming busy */
	ck_assert_uint_eq(p->val[2], 0x0e); /* idle, remotely blocked */
	ck_assert_uint_eq(p->val[3], 0x0d); /* idle, locally blocked */
	ck_assert_uint_eq(p->val[4], 0x03); /* unequipped */

	/* all idle */
	ck_assert_int_eq(isup_call_release(c, 16), 0);
	rx_simple(ISUP_MT_RLC, 1);
	TX.n = 0;
	rx_range(ISUP_MT_CQM, 1, 0, NULL, -1);
	expect(0, ISUP_MT_CQR, 1, &m);
	p = isup_msg_param(&m, ISUP_PAR_CIRCUIT_STATE_INDICATOR);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->len, 1);
	ck_assert_uint_eq(p->val[0], 0x0c);
	finish();
}
END_TEST

/* Q.764 2.12: a message for a CIC not equipped here gets UCIC (but not a
 * UCIC for a UCIC). */
START_TEST(test_ucic)
{
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_iam(99, "123", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_UCIC, 99, &m);
	rx_simple(ISUP_MT_BLO, 100);
	expect(1, ISUP_MT_UCIC, 100, &m);
	rx_simple(ISUP_MT_UCIC, 101);
	ck_assert_uint_eq(TX.n, 2);
	ck_assert_uint_eq(isup_link_stats(L)->rx_unknown_cic, 3);
	finish();
}
END_TEST

/* Q.764 2.12: UCIC for a circuit of ours: it is kept off (blocked), a call
 * on it ends (41), and what we had pending on it stops: the peer has no
 * such circuit and will never acknowledge. */
START_TEST(test_ucic_received)
{
	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_iam(2, "1", _i == 0, NULL);
	ck_assert_int_eq(isup_link_block(L, 3, true), 0);
	ck_assert_int_eq(isup_link_reset(L, 4), 0);
	TX.n = 0;
	rx_simple(ISUP_MT_UCIC, 2);
	rx_simple(ISUP_MT_UCIC, 3);
	rx_simple(ISUP_MT_UCIC, 4);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	for (unsigned i = 2; i <= 4; i++) {
		ck_assert_uint_eq(cic(i)->call, ISUP_CIC_IDLE);
		ck_assert(cic(i)->blocked & ISUP_BLK_REMOTE_MAINT);
		ck_assert_uint_eq(cic(i)->pending, 0);
	}
	advance_s(600);
	ck_assert_uint_eq(TX.n, 0);
	finish();
}
END_TEST

/* Q.764 2.9.5.1: unrecognised message type: CFN, cause 97, the type as
 * diagnostic. */
START_TEST(test_unknown_type_cfn)
{
	const uint8_t unknown = 0x7f;
	uint8_t buf[] = {2, 0, unknown, 0x01, 0x02, 0x03};
	const struct isup_param *p;
	struct isup_cause cause;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	ck_assert(!isup_msg_type_known(V, unknown));
	isup_link_rx(L, DPC, buf, sizeof(buf));
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_CFN, 2, &m);
	p = isup_msg_param(&m, ISUP_PAR_CAUSE_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_cause_decode(p->val, p->len, &cause), 0);
	ck_assert_uint_eq(cause.value, 97);
	ck_assert_uint_eq(cause.diag_len, 1);
	ck_assert_uint_eq(cause.diag[0], unknown);
	finish();
}
END_TEST

/* Q.764 2.10.5.1: ANM on an idle circuit: reset it (RSC). */
START_TEST(test_unexpected_anm)
{
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_simple(ISUP_MT_ANM, 3);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_RSC, 3, &m);
	ck_assert(cic(3)->pending & ISUP_PEND_RESET);
	rx_simple(ISUP_MT_RLC, 3);
	ck_assert_uint_eq(cic(3)->pending, 0);
	/* REL on an idle circuit: RLC */
	rx_rel(4, 16);
	expect(1, ISUP_MT_RLC, 4, &m);
	ck_assert_uint_eq(TX.n, 2);
	finish();
}
END_TEST

/* Malformed input is discarded without a reply; every truncation of a
 * valid IAM that the decoder refuses is dropped quietly; a wrong OPC too. */
START_TEST(test_malformed)
{
	uint8_t iam[272], junk[] = {1, 0, ISUP_MT_IAM, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	enum isup_decode_err err;
	struct isup_msg m;
	unsigned tried = 0;
	int n;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	n = build_iam(iam, sizeof(iam), 1, "4930123456", _i == 0, "3055551234");
	ck_assert_int_gt(n, 10);
	for (int len = 0; len < n; len++) {
		if (isup_msg_decode(V, iam, (size_t)len, &m, &err) != -EBADMSG)
			continue;
		tried++;
		isup_link_rx(L, DPC, iam, (size_t)len);
		ck_assert_msg(TX.n == 0, "reply to an IAM truncated to %d", len);
		ck_assert_int_eq(OW.setups, 0);
	}
	ck_assert_uint_ge(tried, 10);
	isup_link_rx(L, DPC, junk, sizeof(junk));
	isup_link_rx(L, DPC, NULL, 0);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert_uint_ge(isup_link_stats(L)->rx_bad, tried + 2);
	/* the real thing from another point code */
	isup_link_rx(L, DPC + 1, iam, (size_t)n);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert_int_eq(OW.setups, 0);
	for (unsigned i = 1; i <= 4; i++)
		ck_assert_uint_eq(cic(i)->call, ISUP_CIC_IDLE);
	/* the link still works */
	isup_link_rx(L, DPC, iam, (size_t)n);
	ck_assert_int_eq(OW.setups, 1);
	finish();
}
END_TEST

/* Freeing the link with calls and procedures alive gives everything back
 * and tells no owner. */
START_TEST(test_free_busy)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);

	cfg.grs_on_up = true;
	start_cfg(&cfg, 1, 8);
	isup_link_up(L);
	rx_range(ISUP_MT_GRA, 1, 7, (const uint8_t[]){0}, -1);
	rx_iam(1, "1", _i == 0, NULL);
	ck_assert_ptr_nonnull(call_out("2"));
	ck_assert_int_eq(isup_link_block(L, 5, true), 0);
	ck_assert_int_eq(isup_link_reset(L, 6), 0);
	finish();
	ck_assert_int_eq(OW.releases, 0);
}
END_TEST

Suite *isup_link_maint_suite(void)
{
	Suite *s = suite_create("isup_link_maint");
	TCase *tc = unit_tcase("maintenance");

	tcase_add_loop_test(tc, test_cqm, 0, 2);
	tcase_add_loop_test(tc, test_ucic, 0, 2);
	tcase_add_loop_test(tc, test_ucic_received, 0, 2);
	tcase_add_loop_test(tc, test_unknown_type_cfn, 0, 2);
	tcase_add_loop_test(tc, test_unexpected_anm, 0, 2);
	tcase_add_loop_test(tc, test_malformed, 0, 2);
	tcase_add_loop_test(tc, test_free_busy, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
