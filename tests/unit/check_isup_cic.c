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

/* The hunt as a walk over every CIC (the order isup_cic_hunt keeps):
 * from the group's cursor up, wrapping, the first usable one. */
static struct isup_cic *ref_group(struct isup_cic_table *t, unsigned max, bool ctl,
				  unsigned *cursor, int except)
{
	for (unsigned n = 0; n <= max; n++) {
		unsigned i = (*cursor + n) % (max + 1);
		struct isup_cic *c = isup_cic_get(t, i);

		if (!c || (int)i == except || !isup_cic_usable_out(c) ||
		    isup_cic_we_control(t, i) != ctl)
			continue;
		*cursor = (i + 1) % (max + 1);
		return c;
	}
	return NULL;
}

/* Random seizures, releases, blocking and resets on three ranges with
 * holes (CICs 1-700, 1000-1930, 4000-4095): every hunt picks what the
 * walk over every CIC picks, with both glare rules. */
START_TEST(test_hunt_order_random)
{
	for (unsigned rule = 0; rule < 2; rule++) {
		struct isup_cic_table *t = isup_cic_table_alloc(unit_ctx, 200, 100, false);
		unsigned cur_ctl = 0, cur_other = 0, seized = 0, none = 0;
		uint32_t r = 12345 + rule;

		isup_cic_add_range(t, 1, 700, -1, 0);
		isup_cic_add_range(t, 1000, 1930, -1, 0);
		isup_cic_add_range(t, 4000, 4095, -1, 0);
		if (rule)
			isup_cic_table_set_glare(t, ISUP_GLARE_ALWAYS_YIELD);
		for (unsigned step = 0; step < 20000; step++) {
			unsigned op, cic;
			struct isup_cic *c, *want;
			int except;

			r = r * 1103515245u + 12345u;
			op = (r >> 16) % 100;
			r = r * 1103515245u + 12345u;
			cic = (r >> 8) % 4096;
			c = isup_cic_get(t, cic);
			if (op < 55) {
				/* hunt and seize (an outgoing call), maybe with an except */
				except = op < 5 ? (int)cic : -1;
				want = ref_group(t, ISUP_CIC_MAX_ITU, true, &cur_ctl, except);
				if (!want)
					want = ref_group(t, ISUP_CIC_MAX_ITU, false, &cur_other,
							 except);
				ck_assert_ptr_eq(isup_cic_hunt(t, except), want);
				if (want) {
					want->call = ISUP_CIC_OUT_BUSY;
					seized++;
				} else {
					none++;
				}
			} else if (op < 65) {
				/* an incoming call seizes a circuit (no hunt) */
				if (c && c->call == ISUP_CIC_IDLE)
					c->call = ISUP_CIC_IN_BUSY;
			} else if (op < 92) {
				if (c && c->call != ISUP_CIC_IDLE)
					isup_cic_set_idle(t, c);
			} else if (op < 96) {
				if (c)
					c->blocked ^= ISUP_BLK_REMOTE_MAINT;
			} else if (c) {
				c->pending ^= ISUP_PEND_RESET;
			}
		}
		/* both ways were taken: the table filled up and emptied */
		ck_assert_uint_gt(seized, 1000);
		ck_assert_uint_gt(none, 0);
		talloc_free(t);
	}
}
END_TEST

Suite *isup_cic_suite(void)
{
	Suite *s = suite_create("isup_cic");
	TCase *tc = unit_tcase("cic");

	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_glare_control);
	tcase_add_test(tc, test_hunt);
	tcase_add_test(tc, test_hunt_order_random);
	suite_add_tcase(s, tc);
	return s;
}
