/* core/spsc: a million items between two threads, none lost or reordered;
 * the producer's trim of the free slots' pages (issue 13). */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>

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

/* Items of 256 bytes, sequence at both ends: a page dropped under one
 * that is queued would read back as zeros. */
struct big_item {
	uint32_t seq;
	uint8_t fill[248];
	uint32_t seq2;
};

static struct big_item big(uint32_t i)
{
	struct big_item it = {.seq = i, .seq2 = ~i};

	memset(it.fill, (int)(i & 0xff), sizeof(it.fill));
	return it;
}

static void big_check(const struct big_item *it, uint32_t i)
{
	ck_assert_uint_eq(it->seq, i);
	ck_assert_uint_eq(it->seq2, ~i);
	ck_assert_uint_eq(it->fill[0], i & 0xff);
	ck_assert_uint_eq(it->fill[sizeof(it->fill) - 1], i & 0xff);
}

START_TEST(test_spsc_trim)
{
	/* 1,024 x 256 B = 64 pages: a wrap touched them all */
	struct spsc *q = spsc_alloc(unit_ctx, 1024, sizeof(struct big_item));
	struct big_item it;
	uint32_t in = 0, out = 0;
	size_t given;

	for (; in < 1500; in++) {
		it = big(in);
		ck_assert(spsc_push(q, &it));
		ck_assert(spsc_pop(q, &it));
		big_check(&it, out++);
	}
	/* 100 queued across the wrap point stay; the rest goes */
	for (; in < 1600; in++) {
		it = big(in);
		ck_assert(spsc_push(q, &it));
	}
	given = spsc_trim(q);
	ck_assert_uint_ge(given, (size_t)(1024 - 100) * sizeof(it) -
					 4 * 4096); /* both ends of both spans */
	ck_assert_uint_le(given, (size_t)(1024 - 100) * sizeof(it));
	/* the queued items read back whole, and new ones go through the
	 * dropped pages */
	for (; in < 4000; in++) {
		it = big(in);
		ck_assert(spsc_push(q, &it));
		ck_assert(spsc_pop(q, &it));
		big_check(&it, out++);
	}
	while (spsc_pop(q, &it))
		big_check(&it, out++);
	ck_assert_uint_eq(out, in);
	/* full: nothing free, nothing given */
	for (uint32_t i = 0; i < 1024; i++) {
		it = big(i);
		ck_assert(spsc_push(q, &it));
	}
	ck_assert_uint_eq(spsc_trim(q), 0);
	for (uint32_t i = 0; i < 1024; i++) {
		ck_assert(spsc_pop(q, &it));
		big_check(&it, i);
	}
	spsc_free(q);
}
END_TEST

#define N_TRIMMED 200000u

static void *producer_trimming(void *p)
{
	struct spsc *q = p;

	for (uint32_t i = 0; i < N_TRIMMED; i++) {
		struct big_item it = big(i);

		while (!spsc_push(q, &it))
			sched_yield();
		if (i % 97 == 0)
			spsc_trim(q); /* while the consumer reads */
	}
	return NULL;
}

START_TEST(test_spsc_trim_two_threads)
{
	/* 64 x 256 B: 4 pages, trimmed under the consumer again and again */
	struct spsc *q = spsc_alloc(unit_ctx, 64, sizeof(struct big_item));
	pthread_t th;
	uint32_t next = 0;

	ck_assert_ptr_nonnull(q);
	pthread_create(&th, NULL, producer_trimming, q);
	while (next < N_TRIMMED) {
		struct big_item it;

		if (!spsc_pop(q, &it)) {
			sched_yield();
			continue;
		}
		big_check(&it, next);
		next++;
	}
	pthread_join(th, NULL);
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
	tcase_add_test(tc, test_spsc_trim);
	tcase_add_test(tc, test_spsc_trim_two_threads);
	suite_add_tcase(s, tc);
	return s;
}
