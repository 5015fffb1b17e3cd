/* sigtran/isup_link + isup_call_fsm, Circuit and group reset and the link
 * going down and up (Q.764 2.9.3, 2.10.3): GRS at link up in groups, GRA
 * checks, RSC and GRS received, a reset keeps or repeats local blocking,
 * T22/T23. Loop tests run once per variant: _i 0 is ITU (Q.763), 1 is ANSI
 * (T1.113); the harness is isup_link_harness.h. */
#include <errno.h>
#include <string.h>

#include "tests/unit/isup_link_harness.h"

/* Q.764 2.9.3.1: reset on link up, in groups of up to 32 circuits; GRA
 * completes a group; T22 repeats an unanswered GRS. ANSI uses CICs above
 * the ITU 12-bit range to show the 14-bit CIC round trip. */
START_TEST(test_grs_on_up)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	unsigned b = _i ? 5000 : 1, single = b + 49;
	struct isup_range_status rs;
	struct isup_msg m;
	uint8_t st4[4] = {0}, st1[1] = {0x01};

	cfg.grs_on_up = true;
	start_cfg(&cfg, b, b + 39);
	ck_assert_int_eq(isup_cic_add_range(isup_link_cics(L), single, single, 0, 60), 0);
	isup_link_up(L);

	ck_assert_uint_eq(TX.n, 3);
	expect(0, ISUP_MT_GRS, b, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 31);
	ck_assert_uint_eq(rs.status_len, 0);
	expect(1, ISUP_MT_GRS, b + 32, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 7);
	/* a lone circuit gets RSC: a group has 2..32 (Q.763 3.43) */
	expect(2, ISUP_MT_RSC, single, &m);
	for (unsigned i = b; i < b + 40; i++)
		ck_assert(cic(i)->pending & ISUP_PEND_RESET);
	ck_assert(cic(single)->pending & ISUP_PEND_RESET);
	/* nothing free while every circuit is being reset */
	ck_assert_ptr_null(call_out("123"));

	/* GRA for the first group: 32 circuits, none blocked */
	rx_range(ISUP_MT_GRA, b, 31, st4, -1);
	for (unsigned i = b; i < b + 32; i++)
		ck_assert_uint_eq(cic(i)->pending, 0);
	for (unsigned i = b + 32; i < b + 40; i++)
		ck_assert(cic(i)->pending & ISUP_PEND_RESET);
	ck_assert_uint_eq(TX.n, 3);

	/* T22 (15 s): the unanswered GRS goes again; T16 repeats the RSC */
	advance_s(14);
	ck_assert_uint_eq(TX.n, 3);
	advance_s(1);
	ck_assert_uint_eq(TX.n, 5);
	ck_assert_uint_eq(count_type(ISUP_MT_GRS), 3); /* 2 at link up, 1 repeat */
	ck_assert_uint_eq(count_type(ISUP_MT_RSC), 2);
	for (unsigned i = 3; i < 5; i++) {
		sent_msg(i, &m);
		if (m.type == ISUP_MT_GRS) {
			ck_assert_uint_eq(m.cic, b + 32);
			rs_of(&m, &rs);
			ck_assert_uint_eq(rs.range, 7);
		} else {
			ck_assert_uint_eq(m.cic, single);
		}
	}

	/* GRA for the second group: its status bit 0 says the peer blocks
	 * the first circuit (Q.764 2.9.3.2) */
	rx_range(ISUP_MT_GRA, b + 32, 7, st1, -1);
	rx_simple(ISUP_MT_RLC, single);
	for (unsigned i = b + 32; i < b + 40; i++)
		ck_assert_uint_eq(cic(i)->pending, 0);
	ck_assert_uint_eq(cic(b + 32)->blocked, ISUP_BLK_REMOTE_MAINT);
	ck_assert_uint_eq(cic(b + 33)->blocked, 0);
	ck_assert_uint_eq(cic(single)->pending, 0);

	/* procedures done: no more repeats */
	TX.n = 0;
	advance_s(400);
	ck_assert_uint_eq(TX.n, 0);
	finish();
}
END_TEST

/* A GRA that does not match our GRS (other range) leaves the reset pending. */
START_TEST(test_gra_mismatch)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	uint8_t st[1] = {0};

	cfg.grs_on_up = true;
	start_cfg(&cfg, 1, 8);
	isup_link_up(L);
	ck_assert_uint_eq(TX.n, 1);
	rx_range(ISUP_MT_GRA, 1, 3, st, -1);
	ck_assert(cic(1)->pending & ISUP_PEND_RESET);
	rx_range(ISUP_MT_GRA, 1, 7, st, -1);
	ck_assert_uint_eq(cic(1)->pending, 0);
	ck_assert_uint_eq(cic(8)->pending, 0);
	ck_assert_uint_eq(TX.n, 1);
	finish();
}
END_TEST

/* Q.764 2.9.3.1: RSC received: RLC, the call on it ends with cause 41. */
START_TEST(test_rsc_received)
{
	struct isup_msg m;
	size_t base;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	base = blocks();
	rx_iam(3, "123", _i == 0, NULL);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	rx_simple(ISUP_MT_RSC, 3);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_RLC, 3, &m);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	ck_assert(!OW.rel_had_msg);
	ck_assert_uint_eq(cic(3)->call, ISUP_CIC_IDLE);
	ck_assert_ptr_null(cic(3)->user);
	ck_assert_uint_eq(blocks(), base);
	/* RSC on an idle circuit: RLC all the same */
	rx_simple(ISUP_MT_RSC, 4);
	expect(2, ISUP_MT_RLC, 4, &m);
	finish();
}
END_TEST

/* Q.764 2.9.3.2: GRS received: calls on the group end (cause 41), GRA
 * marks the circuits we block for maintenance, remote blocks go. */
START_TEST(test_grs_received)
{
	struct isup_range_status rs;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 10);
	rx_iam(3, "123", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_int_eq(isup_link_block(L, 2, true), 0);
	rx_simple(ISUP_MT_BLA, 2);
	rx_simple(ISUP_MT_BLO, 4);
	TX.n = 0;
	rx_range(ISUP_MT_GRS, 1, 9, NULL, -1);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_GRA, 1, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 9);
	ck_assert_uint_eq(rs.status_len, 2);
	ck_assert_uint_eq(rs.status[0], 0x02); /* CIC 2 */
	ck_assert_uint_eq(rs.status[1], 0x00);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	ck_assert_uint_eq(cic(3)->call, ISUP_CIC_IDLE);
	ck_assert_uint_eq(cic(4)->blocked, 0);
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_LOCAL_MAINT);
	finish();
}
END_TEST

/* Both ends reset at link up: the far end's GRS leaves our circuits idle
 * while our own GRS still waits for its GRA; the procedure counts say so
 * (show isup linksets), a new RSC is refused until the GRA, then taken. */
START_TEST(test_procs_pending_crossed_grs)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_link_pending n;
	struct isup_msg m;
	uint8_t st[1] = {0};

	cfg.grs_on_up = true;
	start_cfg(&cfg, 1, 8);
	isup_link_pending(L, &n);
	ck_assert_uint_eq(n.grs, 0);
	isup_link_up(L);
	isup_link_pending(L, &n);
	ck_assert_uint_eq(n.grs, 1);
	ck_assert_uint_eq(n.rsc, 0);
	/* the far end's GRS for the same circuits: answered, circuits idle */
	TX.n = 0;
	rx_range(ISUP_MT_GRS, 1, 7, NULL, -1);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_GRA, 1, &m);
	ck_assert_uint_eq(cic(3)->pending, 0);
	isup_link_pending(L, &n);
	ck_assert_uint_eq(n.grs, 1);
	ck_assert_int_eq(isup_link_reset(L, 3), -EBUSY);
	ck_assert_uint_eq(TX.n, 1);
	/* our GRA: nothing pending, an RSC goes */
	rx_range(ISUP_MT_GRA, 1, 7, st, -1);
	isup_link_pending(L, &n);
	ck_assert_uint_eq(n.grs, 0);
	TX.n = 0;
	ck_assert_int_eq(isup_link_reset(L, 3), 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_RSC, 3, &m);
	isup_link_pending(L, &n);
	ck_assert_uint_eq(n.rsc, 1);
	ck_assert_uint_eq(n.grs, 0);
	rx_simple(ISUP_MT_RLC, 3);
	isup_link_pending(L, &n);
	ck_assert_uint_eq(n.rsc, 0);
	finish();
}
END_TEST

/* Q.764 2.9.3.1: a reset circuit we block for maintenance gets its BLO
 * again after the RLC. */
START_TEST(test_rsc_on_locally_blocked)
{
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	ck_assert_int_eq(isup_link_block(L, 2, true), 0);
	rx_simple(ISUP_MT_BLA, 2);
	rx_simple(ISUP_MT_BLO, 2); /* and the peer blocks it too */
	TX.n = 0;
	rx_simple(ISUP_MT_RSC, 2);
	ck_assert_uint_eq(TX.n, 2);
	expect(0, ISUP_MT_RLC, 2, &m);
	expect(1, ISUP_MT_BLO, 2, &m);
	/* the reset removed the remote block, ours stays */
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_LOCAL_MAINT);
	rx_simple(ISUP_MT_BLA, 2);
	ck_assert_uint_eq(cic(2)->pending, 0);
	advance_s(60);
	ck_assert_uint_eq(TX.n, 2);
	finish();
}
END_TEST

/* A reset we send clears the peer's record of our maintenance block (it
 * drops "remotely blocked" on RSC and GRS, Q.764 2.9.3.1/2.9.3.2), so a
 * circuit we block is blocked again after our RSC or GRS. */
START_TEST(test_reset_reblocks)
{
	struct isup_msg m;
	const uint8_t st[1] = {0};

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	ck_assert_int_eq(isup_link_block(L, 2, true), 0);
	rx_simple(ISUP_MT_BLA, 2);
	TX.n = 0;
	ck_assert_int_eq(isup_link_reset(L, 2), 0);
	ck_assert_uint_eq(TX.n, 2);
	expect(0, ISUP_MT_RSC, 2, &m);
	expect(1, ISUP_MT_BLO, 2, &m);
	rx_simple(ISUP_MT_RLC, 2);
	rx_simple(ISUP_MT_BLA, 2);
	ck_assert_uint_eq(cic(2)->pending, 0);
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_LOCAL_MAINT);

	TX.n = 0;
	ck_assert_int_eq(isup_link_group_reset(L, 1, 4), 0);
	ck_assert_uint_eq(TX.n, 2);
	expect(0, ISUP_MT_GRS, 1, &m);
	expect(1, ISUP_MT_BLO, 2, &m);
	rx_range(ISUP_MT_GRA, 1, 3, st, -1);
	rx_simple(ISUP_MT_BLA, 2);
	for (unsigned i = 1; i <= 4; i++)
		ck_assert_uint_eq(cic(i)->pending, 0);
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_LOCAL_MAINT);
	advance_s(60);
	ck_assert_uint_eq(TX.n, 2);
	finish();
}
END_TEST

/* Blocked while the destination was away, reset on resume: the BLO must
 * reach the peer after the GRS, or the GRS undoes it. */
START_TEST(test_grs_on_up_reblocks)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_msg m;

	cfg.grs_on_up = true;
	start_cfg(&cfg, 1, 4);
	ck_assert_int_eq(isup_link_block(L, 3, true), 0);
	ck_assert_uint_eq(TX.n, 0);
	isup_link_up(L);
	ck_assert_uint_ge(TX.n, 2);
	sent_msg(TX.n - 1, &m);
	ck_assert_uint_eq(m.type, ISUP_MT_BLO);
	ck_assert_uint_eq(m.cic, 3);
	ck_assert_uint_eq(count_type(ISUP_MT_GRS), 1);
	finish();
}
END_TEST

/* Q.764 2.13 (MTP pause/resume): nothing is sent while the destination is
 * unavailable, no outgoing call starts; what is pending goes on resume. */
START_TEST(test_link_down_up)
{
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	rx_iam(1, "1", _i == 0, NULL);
	isup_link_down(L);
	ck_assert(!isup_link_is_up(L));
	ck_assert_ptr_null(call_out("2"));
	ck_assert_int_eq(isup_link_block(L, 2, true), 0);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert(cic(2)->pending & ISUP_PEND_BLO);
	/* the call survives the pause */
	ck_assert_ptr_eq(cic(1)->user, OW.call);
	isup_link_up(L);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_BLO, 2, &m);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	expect(1, ISUP_MT_ACM, 1, &m);
	/* a local reset ends the call with cause 41 */
	ck_assert_int_eq(isup_link_reset(L, 1), 0);
	expect(2, ISUP_MT_RSC, 1, &m);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	ck_assert_int_eq(isup_link_reset(L, 1), -EBUSY);
	ck_assert_int_eq(isup_link_reset(L, 3), -ENOENT);
	finish();
}
END_TEST

Suite *isup_link_reset_suite(void)
{
	Suite *s = suite_create("isup_link_reset");
	TCase *tc = unit_tcase("reset");

	tcase_add_loop_test(tc, test_grs_on_up, 0, 2);
	tcase_add_loop_test(tc, test_gra_mismatch, 0, 2);
	tcase_add_loop_test(tc, test_procs_pending_crossed_grs, 0, 2);
	tcase_add_loop_test(tc, test_rsc_received, 0, 2);
	tcase_add_loop_test(tc, test_grs_received, 0, 2);
	tcase_add_loop_test(tc, test_rsc_on_locally_blocked, 0, 2);
	tcase_add_loop_test(tc, test_reset_reblocks, 0, 2);
	tcase_add_loop_test(tc, test_grs_on_up_reblocks, 0, 2);
	tcase_add_loop_test(tc, test_link_down_up, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
