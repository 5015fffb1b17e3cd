/* core/throttle: a token bucket on a clock the test drives: the burst at
 * first use, exact refill (n per per_ms, whatever the call pattern), the
 * held-back count handed to the next line let through, no limit with n 0,
 * no overflow after a long quiet spell. */
#include "core/throttle.h"
#include "tests/unit/unit.h"

START_TEST(test_throttle_rate_and_burst)
{
	/* 10 a second, 5 at once: sip_sec's stranger log lines */
	const struct throttle_cfg c = {.n = 10, .per_ms = 1000, .burst = 5};
	struct throttle t = {0};
	unsigned held = 99, n = 0;

	for (int i = 0; i < 5; i++)
		ck_assert(tandem_throttle_take(&t, &c, 1000, &held));
	ck_assert_uint_eq(held, 0);
	ck_assert(!tandem_throttle_take(&t, &c, 1000, &held));
	ck_assert(!tandem_throttle_take(&t, &c, 1099, &held));
	/* one token every 100 ms */
	ck_assert(tandem_throttle_take(&t, &c, 1100, &held));
	ck_assert_uint_eq(held, 2);
	/* asked every ms for 10 s: exactly 100 more pass, none lost to
	 * rounding */
	for (uint64_t ms = 1101; ms <= 11100; ms++)
		n += tandem_throttle_take(&t, &c, ms, NULL);
	ck_assert_uint_eq(n, 100);
	ck_assert_uint_eq(t.passed, 106);
	ck_assert_uint_eq(t.refused, 2 + 10000 - 100);
}
END_TEST

START_TEST(test_throttle_one_per_interval)
{
	/* one line every 10 s: the registrar's refusal lines */
	const struct throttle_cfg c = {.n = 1, .per_ms = 10000, .burst = 1};
	struct throttle t = {0};
	unsigned held = 99;

	ck_assert(tandem_throttle_take(&t, &c, 0, &held));
	ck_assert_uint_eq(held, 0);
	for (uint64_t ms = 1000; ms < 10000; ms += 1000)
		ck_assert(!tandem_throttle_take(&t, &c, ms, &held));
	ck_assert(tandem_throttle_take(&t, &c, 10000, &held));
	ck_assert_uint_eq(held, 9);
	/* a year of quiet: one token back, not an overflowed heap of them */
	ck_assert(tandem_throttle_take(&t, &c, 10000 + 365ull * 86400 * 1000, &held));
	ck_assert_uint_eq(held, 0);
	ck_assert(!tandem_throttle_take(&t, &c, 10000 + 365ull * 86400 * 1000, NULL));
	/* the clock going back refills nothing */
	ck_assert(!tandem_throttle_take(&t, &c, 5000, NULL));
}
END_TEST

START_TEST(test_throttle_no_limit)
{
	const struct throttle_cfg c = {.n = 0};
	struct throttle t = {0};

	for (int i = 0; i < 1000; i++)
		ck_assert(tandem_throttle_take(&t, &c, 7, NULL));
	ck_assert_uint_eq(t.passed, 1000);
	ck_assert_uint_eq(t.refused, 0);
}
END_TEST

Suite *throttle_suite(void)
{
	Suite *s = suite_create("throttle");
	TCase *tc = unit_tcase("bucket");

	tcase_add_test(tc, test_throttle_rate_and_burst);
	tcase_add_test(tc, test_throttle_one_per_interval);
	tcase_add_test(tc, test_throttle_no_limit);
	suite_add_tcase(s, tc);
	return s;
}
