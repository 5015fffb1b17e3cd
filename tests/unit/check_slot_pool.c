/* media/slot_pool: a media worker's free channel slots, taken and given
 * back in O(1): order, exhaustion, reuse, and slots given back twice or
 * never handed out refused. */
#include <errno.h>

#include "media/slot_pool.h"
#include "tests/unit/unit.h"

START_TEST(test_order_exhaustion_reuse)
{
	void *ctx = talloc_new(unit_ctx);
	struct slot_pool p;
	uint32_t s, peeked;

	ck_assert_int_eq(media_slot_pool_init(ctx, &p, 4), 0);
	/* lowest first while none was given back */
	for (uint32_t i = 0; i < 4; i++) {
		ck_assert_int_eq(media_slot_pool_peek(&p, &peeked), 0);
		ck_assert_int_eq(media_slot_pool_get(&p, &s), 0);
		ck_assert_uint_eq(s, i);
		ck_assert_uint_eq(peeked, s);
		ck_assert(media_slot_pool_used(&p, s));
	}
	/* exhausted: nothing handed out, s untouched */
	s = 77;
	ck_assert_int_eq(media_slot_pool_peek(&p, &s), -ENOSPC);
	ck_assert_int_eq(media_slot_pool_get(&p, &s), -ENOSPC);
	ck_assert_uint_eq(s, 77);
	/* a slot given back is the next one handed out */
	ck_assert_int_eq(media_slot_pool_put(&p, 2), 0);
	ck_assert(!media_slot_pool_used(&p, 2));
	ck_assert_int_eq(media_slot_pool_put(&p, 0), 0);
	ck_assert_int_eq(media_slot_pool_get(&p, &s), 0);
	ck_assert_uint_eq(s, 0);
	ck_assert_int_eq(media_slot_pool_get(&p, &s), 0);
	ck_assert_uint_eq(s, 2);
	ck_assert_int_eq(media_slot_pool_get(&p, &s), -ENOSPC);
	talloc_free(ctx);
}
END_TEST

START_TEST(test_double_free_refused)
{
	void *ctx = talloc_new(unit_ctx);
	struct slot_pool p;
	uint32_t a, b, c;

	ck_assert_int_eq(media_slot_pool_init(ctx, &p, 3), 0);
	/* never handed out, or past the pool */
	ck_assert_int_eq(media_slot_pool_put(&p, 1), -EALREADY);
	ck_assert_int_eq(media_slot_pool_put(&p, 3), -EINVAL);
	ck_assert(!media_slot_pool_used(&p, 3));
	ck_assert_int_eq(media_slot_pool_get(&p, &a), 0);
	ck_assert_int_eq(media_slot_pool_get(&p, &b), 0);
	ck_assert_int_eq(media_slot_pool_put(&p, a), 0);
	ck_assert_int_eq(media_slot_pool_put(&p, a), -EALREADY);
	/* the refused second put did not push a twice: a, then the one never
	 * handed out, then none; b is still held */
	ck_assert_int_eq(media_slot_pool_get(&p, &c), 0);
	ck_assert_uint_eq(c, a);
	ck_assert_int_eq(media_slot_pool_get(&p, &c), 0);
	ck_assert_uint_ne(c, a);
	ck_assert_uint_ne(c, b);
	ck_assert_int_eq(media_slot_pool_get(&p, &c), -ENOSPC);
	ck_assert(media_slot_pool_used(&p, b));
	talloc_free(ctx);
}
END_TEST

/* Every slot of a large pool held, then given back in a scattered order
 * and taken again: each slot handed out exactly once per round. */
START_TEST(test_large_pool_round_trip)
{
	enum { N = 65536 };
	void *ctx = talloc_new(unit_ctx);
	struct slot_pool p;
	uint8_t *seen = talloc_zero_array(ctx, uint8_t, N);
	uint32_t s;

	ck_assert_int_eq(media_slot_pool_init(ctx, &p, N), 0);
	for (uint32_t i = 0; i < N; i++) {
		ck_assert_int_eq(media_slot_pool_get(&p, &s), 0);
		ck_assert_uint_eq(s, i);
	}
	/* 40503 is odd: i * 40503 mod 2^16 visits every slot once */
	for (uint32_t i = 0; i < N; i++)
		ck_assert_int_eq(media_slot_pool_put(&p, (i * 40503u) % N), 0);
	for (uint32_t i = 0; i < N; i++) {
		ck_assert_int_eq(media_slot_pool_get(&p, &s), 0);
		ck_assert_uint_eq(seen[s], 0);
		seen[s] = 1;
	}
	ck_assert_int_eq(media_slot_pool_get(&p, &s), -ENOSPC);
	talloc_free(ctx);
}
END_TEST

Suite *slot_pool_suite(void)
{
	Suite *s = suite_create("slot_pool");
	TCase *tc = unit_tcase("slot_pool");

	tcase_add_test(tc, test_order_exhaustion_reuse);
	tcase_add_test(tc, test_double_free_refused);
	tcase_add_test(tc, test_large_pool_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
