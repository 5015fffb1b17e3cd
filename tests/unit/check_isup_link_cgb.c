/* sigtran/isup_link + isup_call_fsm, Blocking and unblocking (Q.764 2.8):
 * BLO/UBL and CGB/CGU received (maintenance and hardware failure oriented), a
 * call kept or cleared, local blocking from maintenance, T12/T13. Loop tests
 * run once per variant: _i 0 is ITU (Q.763), 1 is ANSI (T1.113); the harness
 * is isup_link_harness.h. */
#include <errno.h>
#include <string.h>

#include "tests/unit/isup_link_harness.h"

/* Q.764 2.8.2: BLO -> BLA and no outgoing call on it; UBL -> UBA. */
START_TEST(test_blo_ubl_received)
{
	struct isup_call *c;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	rx_simple(ISUP_MT_BLO, 1);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_BLA, 1, &m);
	ck_assert_uint_eq(cic(1)->blocked, ISUP_BLK_REMOTE_MAINT);
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(isup_call_cic(c), 2);
	/* the only other circuit is busy: none left */
	ck_assert_ptr_null(call_out("456"));
	ck_assert_uint_eq(TX.n, 2);

	rx_simple(ISUP_MT_UBL, 1);
	expect(2, ISUP_MT_UBA, 1, &m);
	ck_assert_uint_eq(cic(1)->blocked, 0);
	c = call_out("456");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(isup_call_cic(c), 1);
	finish();
}
END_TEST

/* Q.764 2.8.2.1: a maintenance BLO leaves a call on the circuit alone. */
START_TEST(test_blo_keeps_call)
{
	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	rx_iam(1, "123", _i == 0, NULL);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	rx_simple(ISUP_MT_BLO, 1);
	ck_assert_int_eq(OW.releases, 0);
	ck_assert_ptr_eq(cic(1)->user, OW.call);
	ck_assert_int_eq(isup_call_anm(OW.call), 0);
	ck_assert_uint_eq(TX.n, 3); /* ACM, BLA, ANM */
	finish();
}
END_TEST

/* Q.764 2.8.2.2: CGB/CGU (maintenance) acknowledged with the same range
 * and status; only the circuits with a status bit are affected. */
START_TEST(test_cgb_cgu_received)
{
	const uint8_t st_b[1] = {0xa5}, st_u[1] = {0x05};
	struct isup_range_status rs;
	struct isup_msg m;
	uint8_t t;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 8);
	rx_range(ISUP_MT_CGB, 1, 7, st_b, 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_CGBA, 1, &m);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &t), 0);
	ck_assert_uint_eq(t, 0);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 7);
	ck_assert_uint_eq(rs.status_len, 1);
	ck_assert_uint_eq(rs.status[0], 0xa5);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(cic(1 + i)->blocked, (0xa5 >> i) & 1 ? ISUP_BLK_REMOTE_MAINT : 0);

	rx_range(ISUP_MT_CGU, 1, 7, st_u, 0);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_CGUA, 1, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 7);
	ck_assert_uint_eq(rs.status[0], 0x05);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(cic(1 + i)->blocked, (0xa0 >> i) & 1 ? ISUP_BLK_REMOTE_MAINT : 0);
	finish();
}
END_TEST

/* Hardware-failure CGB ends the calls on the circuits at once. */
START_TEST(test_cgb_hardware_clears_call)
{
	const uint8_t st[1] = {0x03};
	struct isup_msg m;
	uint8_t t;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_iam(2, "123", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 1);
	rx_range(ISUP_MT_CGB, 1, 1, st, 1);
	expect(0, ISUP_MT_CGBA, 1, &m);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &t), 0);
	ck_assert_uint_eq(t, 1);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_REMOTE_HW);
	finish();
}
END_TEST

/* Q.764 2.8.2.1: local blocking: BLO, T12 repeats, BLA ends it; the
 * circuit is kept off outgoing calls; UBL/UBA lifts it. */
START_TEST(test_local_block)
{
	struct isup_call *c;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	ck_assert_int_eq(isup_link_block(L, 1, true), 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_BLO, 1, &m);
	ck_assert(cic(1)->pending & ISUP_PEND_BLO);
	ck_assert(cic(1)->blocked & ISUP_BLK_LOCAL_MAINT);
	ck_assert_int_eq(isup_link_block(L, 1, true), -EBUSY);
	ck_assert_int_eq(isup_link_block(L, 9, true), -ENOENT);

	advance_s(14);
	ck_assert_uint_eq(TX.n, 1);
	advance_s(1);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_BLO, 1, &m);

	rx_simple(ISUP_MT_BLA, 1);
	ck_assert_uint_eq(cic(1)->pending, 0);
	ck_assert_uint_eq(cic(1)->blocked, ISUP_BLK_LOCAL_MAINT);
	advance_s(400);
	ck_assert_uint_eq(TX.n, 2);

	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(isup_call_cic(c), 2);
	ck_assert_ptr_null(call_out("123"));
	ck_assert_int_eq(isup_call_release(c, 16), 0);
	rx_simple(ISUP_MT_RLC, 2);
	TX.n = 0;

	ck_assert_int_eq(isup_link_block(L, 1, false), 0);
	expect(0, ISUP_MT_UBL, 1, &m);
	rx_simple(ISUP_MT_UBA, 1);
	ck_assert_uint_eq(cic(1)->pending, 0);
	ck_assert_uint_eq(cic(1)->blocked, 0);
	/* an unexpected BLA is discarded */
	rx_simple(ISUP_MT_BLA, 1);
	ck_assert_uint_eq(cic(1)->blocked, 0);
	ck_assert_uint_eq(TX.n, 1);
	finish();
}
END_TEST

/* Q.764 2.8.2.2: our CGB (maintenance): status bits for the whole group,
 * T18 repeats until CGBA; CGU/CGUA lift it. */
START_TEST(test_local_cgb)
{
	struct isup_range_status rs;
	struct isup_msg m;
	uint8_t t, st[1] = {0x0f};

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	ck_assert_int_eq(isup_link_group_block(L, 1, 1, true, false), -ERANGE);
	ck_assert_int_eq(isup_link_group_block(L, 1, 4, true, false), 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_CGB, 1, &m);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &t), 0);
	ck_assert_uint_eq(t, 0);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 3);
	ck_assert_uint_eq(rs.status_len, 1);
	ck_assert_uint_eq(rs.status[0], 0x0f);
	ck_assert_ptr_null(call_out("1"));
	advance_s(15);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_CGB, 1, &m);
	rx_range(ISUP_MT_CGBA, 1, 3, st, 0);
	for (unsigned i = 1; i <= 4; i++) {
		ck_assert_uint_eq(cic(i)->pending, 0);
		ck_assert_uint_eq(cic(i)->blocked, ISUP_BLK_LOCAL_MAINT);
	}
	advance_s(60);
	ck_assert_uint_eq(TX.n, 2);
	ck_assert_int_eq(isup_link_group_block(L, 1, 4, false, false), 0);
	expect(2, ISUP_MT_CGU, 1, &m);
	rx_range(ISUP_MT_CGUA, 1, 3, st, 0);
	for (unsigned i = 1; i <= 4; i++)
		ck_assert_uint_eq(cic(i)->blocked, 0);
	ck_assert_ptr_nonnull(call_out("1"));
	finish();
}
END_TEST

/* Q.764 2.9.4: BLO unanswered: repeated every T12 (15 s) until T13
 * (300 s), then once per T13 with a maintenance alert. */
START_TEST(test_block_t13)
{
	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	ck_assert_int_eq(isup_link_block(L, 1, true), 0);
	advance_s(299);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 20); /* 0, 15, ..., 285 */
	advance_s(1);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 21);
	advance_s(299);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 21);
	advance_s(1);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 22);
	rx_simple(ISUP_MT_BLA, 1);
	advance_s(600);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 22);
	finish();
}
END_TEST

Suite *isup_link_cgb_suite(void)
{
	Suite *s = suite_create("isup_link_cgb");
	TCase *tc = unit_tcase("blocking");

	tcase_add_loop_test(tc, test_blo_ubl_received, 0, 2);
	tcase_add_loop_test(tc, test_blo_keeps_call, 0, 2);
	tcase_add_loop_test(tc, test_cgb_cgu_received, 0, 2);
	tcase_add_loop_test(tc, test_cgb_hardware_clears_call, 0, 2);
	tcase_add_loop_test(tc, test_local_block, 0, 2);
	tcase_add_loop_test(tc, test_local_cgb, 0, 2);
	tcase_add_loop_test(tc, test_block_t13, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
