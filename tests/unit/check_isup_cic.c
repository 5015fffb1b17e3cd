/* sigtran/isup_cic: ranges, dual-seizure control (Q.764 2.10.1.4), hunting
 * that prefers controlled circuits and skips blocked/resetting ones. */
#include <errno.h>

#include "sigtran/isup_cic.h"
#include "tests/unit/unit.h"

START_TEST(test_ranges)
{
	struct isup_cic_table *t = isup_cic_table_alloc(unit_ctx, 100, 200, false);

	ck_assert_int_eq(isup_cic_add_range(t, 1, 31, 0, 1), 0);
	ck_assert_int_eq(isup_cic_add_range(t, 31, 40, 1, 1), -EEXIST);
	ck_assert_int_eq(isup_cic_add_range(t, 4000, 4096, -1, 0), -ERANGE); /* ITU: 12 bits */
	ck_assert_int_eq(isup_cic_add_range(t, 33, 63, 1, 1), 0);
	ck_assert_uint_eq(isup_cic_count(t), 62);
	ck_assert_ptr_null(isup_cic_get(t, 32));
	ck_assert_int_eq(isup_cic_get(t, 40)->span, 1);
	ck_assert_uint_eq(isup_cic_get(t, 40)->timeslot, 8);
	ck_assert_uint_eq(isup_cic_next(t, isup_cic_get(t, 31))->cic, 33);
	talloc_free(t);

	t = isup_cic_table_alloc(unit_ctx, 100, 200, true);
	ck_assert_int_eq(isup_cic_add_range(t, 16000, 16383, -1, 0), 0); /* ANSI: 14 bits */
	talloc_free(t);
}
END_TEST

START_TEST(test_glare_control)
{
	struct isup_cic_table *lo = isup_cic_table_alloc(unit_ctx, 100, 200, false);
	struct isup_cic_table *hi = isup_cic_table_alloc(unit_ctx, 200, 100, false);

	/* the higher point code controls even CICs; each CIC has one controller */
	for (unsigned cic = 1; cic < 40; cic++) {
		ck_assert(isup_cic_we_control(hi, cic) == (cic % 2 == 0));
		ck_assert(isup_cic_we_control(lo, cic) != isup_cic_we_control(hi, cic));
		ck_assert(isup_cic_glare(lo, cic) != isup_cic_glare(hi, cic));
	}
	isup_cic_table_set_glare(lo, ISUP_GLARE_ALWAYS_WIN);
	ck_assert_int_eq(isup_cic_glare(lo, 2), ISUP_GLARE_KEEP_OURS);
	talloc_free(lo);
	talloc_free(hi);
}
END_TEST

START_TEST(test_hunt)
{
	struct isup_cic_table *t = isup_cic_table_alloc(unit_ctx, 200, 100, false);
	struct isup_cic *c;
	struct isup_cic_summary s;

	isup_cic_add_range(t, 1, 6, 0, 1);
	/* we control the even ones: they come first, round-robin */
	ck_assert_uint_eq(isup_cic_hunt(t, -1)->cic, 2);
	ck_assert_uint_eq(isup_cic_hunt(t, -1)->cic, 4);
	isup_cic_get(t, 6)->blocked = ISUP_BLK_REMOTE_MAINT;
	isup_cic_get(t, 2)->call = ISUP_CIC_OUT_BUSY;
	isup_cic_get(t, 4)->pending = ISUP_PEND_RESET;
	/* no controlled circuit left: the odd ones, skipping the excluded one */
	c = isup_cic_hunt(t, 1);
	ck_assert_uint_eq(c->cic, 3);
	c->call = ISUP_CIC_IN_BUSY;
	ck_assert_uint_eq(isup_cic_hunt(t, 1)->cic, 5);
	isup_cic_get(t, 5)->blocked = ISUP_BLK_LOCAL_HW;
	isup_cic_get(t, 1)->call = ISUP_CIC_OUT_BUSY;
	ck_assert_ptr_null(isup_cic_hunt(t, -1));
	isup_cic_summarise(t, 1, 6, &s);
	ck_assert_uint_eq(s.total, 6);
	ck_assert_uint_eq(s.idle, 3);
	ck_assert_uint_eq(s.out_busy, 2);
	ck_assert_uint_eq(s.in_busy, 1);
	ck_assert_uint_eq(s.remote_blocked, 1);
	ck_assert_uint_eq(s.local_blocked, 1);
	ck_assert_uint_eq(s.resetting, 1);
	talloc_free(t);
}
END_TEST

Suite *isup_cic_suite(void)
{
	Suite *s = suite_create("isup_cic");
	TCase *tc = unit_tcase("cic");

	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_glare_control);
	tcase_add_test(tc, test_hunt);
	suite_add_tcase(s, tc);
	return s;
}
