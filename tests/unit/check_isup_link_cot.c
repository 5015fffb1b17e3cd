/* sigtran/isup_link + isup_call_fsm, Continuity check (Q.764 2.1.8): the loop
 * on the circuit, COT, T8. Loop tests run once per variant: _i 0 is ITU
 * (Q.763), 1 is ANSI (T1.113); the harness is isup_link_harness.h. */
#include <errno.h>
#include <string.h>

#include "tests/unit/isup_link_harness.h"

/* Q.764 2.1.8: continuity check on this circuit: the loop is put on, the
 * setup waits for COT; a successful COT completes it. No COT within T8:
 * REL 41, the owner never heard of the call. */
static struct {
	int on, off;
} LOOP;

static void ow_cot_loop(void *priv, unsigned cic, int span, unsigned ts, bool on)
{
	(void)priv;
	(void)cic;
	(void)span;
	(void)ts;
	if (on)
		LOOP.on++;
	else
		LOOP.off++;
}

START_TEST(test_continuity)
{
	static const struct isup_call_ops cot_ops = {
		.setup = ow_setup,
		.release = ow_release,
		.cot_loop = ow_cot_loop,
	};
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	uint8_t ok = 0x01;
	struct isup_msg m;

	memset(&LOOP, 0, sizeof(LOOP));
	start_cfg(&cfg, 1, 2);
	isup_link_free(L);
	L = isup_link_alloc(ctx, &cfg, cap_tx, NULL, &cot_ops, NULL);
	ck_assert_ptr_nonnull(L);
	ck_assert_int_eq(isup_cic_add_range(isup_link_cics(L), 1, 2, 0, 1), 0);
	isup_link_up(L);

	rx_iam_cot(1);
	ck_assert_int_eq(LOOP.on, 1);
	ck_assert_int_eq(OW.setups, 0);
	isup_msg_init(&m, ISUP_MT_COT, 1);
	isup_msg_add(&m, ISUP_PAR_CONTINUITY_INDICATORS, &ok, 1);
	rx_msg(&m);
	ck_assert_int_eq(LOOP.off, 1);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_str_eq(OW.called, "5551234");

	rx_iam_cot(2);
	ck_assert_int_eq(LOOP.on, 2);
	advance_s(9);
	ck_assert_uint_eq(TX.n, 0);
	advance_s(1);
	ck_assert_int_eq(LOOP.off, 2);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_REL, 2, &m);
	ck_assert_uint_eq(cause_of(&m), 41);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_int_eq(OW.releases, 0);
	rx_simple(ISUP_MT_RLC, 2);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	finish();
}
END_TEST

/* The far end gives the call up while we wait for its COT (REL: the
 * caller hung up; or it resets the circuit, RSC / GRS): the loop goes off
 * as on COT or T8. Before, call_free went without it: the owner's loop
 * channel (iw_cot_loop: a media channel on the timeslot) stayed for good,
 * and the next IAM with a continuity check on that CIC put a second one
 * over it (the first never freed). */
START_TEST(test_continuity_abandoned)
{
	static const struct isup_call_ops cot_ops = {
		.setup = ow_setup,
		.release = ow_release,
		.cot_loop = ow_cot_loop,
	};
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_msg m;

	memset(&LOOP, 0, sizeof(LOOP));
	start_cfg(&cfg, 1, 3);
	isup_link_free(L);
	L = isup_link_alloc(ctx, &cfg, cap_tx, NULL, &cot_ops, NULL);
	ck_assert_ptr_nonnull(L);
	ck_assert_int_eq(isup_cic_add_range(isup_link_cics(L), 1, 3, 0, 1), 0);
	isup_link_up(L);

	/* REL during the check: RLC, the loop off, the circuit idle */
	rx_iam_cot(1);
	ck_assert_int_eq(LOOP.on, 1);
	rx_rel(1, 16);
	expect(0, ISUP_MT_RLC, 1, &m);
	ck_assert_uint_eq(cic(1)->call, ISUP_CIC_IDLE);
	ck_assert_int_eq(LOOP.off, 1);

	/* RSC during the check */
	rx_iam_cot(2);
	ck_assert_int_eq(LOOP.on, 2);
	rx_simple(ISUP_MT_RSC, 2);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	ck_assert_int_eq(LOOP.off, 2);

	/* GRS over it */
	rx_iam_cot(3);
	ck_assert_int_eq(LOOP.on, 3);
	rx_range(ISUP_MT_GRS, 2, 1, NULL, -1);
	ck_assert_uint_eq(cic(3)->call, ISUP_CIC_IDLE);
	ck_assert_int_eq(LOOP.off, 3);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_int_eq(OW.releases, 0);
	finish();
}
END_TEST

Suite *isup_link_cot_suite(void)
{
	Suite *s = suite_create("isup_link_cot");
	TCase *tc = unit_tcase("continuity");

	tcase_add_loop_test(tc, test_continuity, 0, 2);
	tcase_add_loop_test(tc, test_continuity_abandoned, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
