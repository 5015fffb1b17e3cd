/* core/spsc: a million items between two threads, none lost or reordered. */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#include "core/spsc.h"
#include "tests/unit/unit.h"

#define N_ITEMS 1000000u

struct item {
	uint32_t seq;
	uint32_t check;
};

static void *producer(void *p)
{
	struct spsc *q = p;

	for (uint32_t i = 0; i < N_ITEMS; i++) {
		struct item it = {i, i ^ 0xa5a5a5a5u};

		while (!spsc_push(q, &it))
			sched_yield();
	}
	return NULL;
}

START_TEST(test_spsc_two_threads)
{
	struct spsc *q = spsc_alloc(unit_ctx, 1000, sizeof(struct item));
	pthread_t th;
	uint32_t next = 0;

	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(spsc_capacity(q), 1024);
	pthread_create(&th, NULL, producer, q);
	while (next < N_ITEMS) {
		struct item it;

		if (!spsc_pop(q, &it)) {
			sched_yield();
			continue;
		}
		ck_assert_uint_eq(it.seq, next);
		ck_assert_uint_eq(it.check, next ^ 0xa5a5a5a5u);
		next++;
	}
	pthread_join(th, NULL);
	ck_assert_uint_eq(spsc_count(q), 0);
	spsc_free(q);
}
END_TEST

START_TEST(test_spsc_full_empty)
{
	struct spsc *q = spsc_alloc(unit_ctx, 4, sizeof(int));
	int v;

	ck_assert(!spsc_pop(q, &v));
	for (int i = 0; i < 4; i++)
		ck_assert(spsc_push(q, &i));
	ck_assert(!spsc_push(q, &v)); /* full */
	ck_assert_uint_eq(spsc_count(q), 4);
	for (int i = 0; i < 4; i++) {
		ck_assert(spsc_pop(q, &v));
		ck_assert_int_eq(v, i);
	}
	ck_assert(!spsc_pop(q, &v));
	ck_assert_ptr_null(spsc_alloc(unit_ctx, 0, 4));
	spsc_free(q);
}
END_TEST

Suite *spsc_suite(void)
{
	Suite *s = suite_create("spsc");
	TCase *tc = unit_tcase("spsc");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_spsc_full_empty);
	tcase_add_test(tc, test_spsc_two_threads);
	suite_add_tcase(s, tc);
	return s;
}
