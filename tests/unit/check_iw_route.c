/* interwork/iw_route: longest-prefix routing table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interwork/iw_route.h"
#include "tests/unit/unit.h"

static int add(struct iw_route_table *t, const char *prefix, unsigned strip, const char *prepend,
	       const char *targets, bool enum_first)
{
	const char *v[IW_ROUTE_TARGETS_MAX + 2];
	char buf[256], *save, *tok;
	unsigned n = 0;
	struct iw_route_spec s = {.prefix = prefix,
				  .strip = strip,
				  .prepend = prepend,
				  .targets = v,
				  .enum_first = enum_first};

	snprintf(buf, sizeof(buf), "%s", targets);
	for (tok = strtok_r(buf, ",", &save); tok && n < IW_ROUTE_TARGETS_MAX + 2;
	     tok = strtok_r(NULL, ",", &save))
		v[n++] = tok;
	s.n_targets = n;
	return iw_route_add(t, &s);
}

static const char *lookup(struct iw_route_table *t, const char *num, char *out, size_t size)
{
	const struct iw_route_rule *r = NULL;
	int rc = iw_route_lookup(t, num, strlen(num), &r, out, size);

	if (rc < 0)
		return NULL;
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(rc, (int)strlen(out));
	return r->prefix;
}

START_TEST(test_longest_prefix_and_rewrite)
{
	struct iw_route_table *t = iw_route_table_alloc(unit_ctx);
	const struct iw_route_rule *r = NULL;
	char out[64];

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(add(t, "49", 2, "0", "de-a,de-b", false), 0);
	ck_assert_int_eq(add(t, "4930", 0, NULL, "berlin", true), 0);
	ck_assert_int_eq(add(t, "44", 0, "+", "uk", false), 0);
	ck_assert_int_eq(iw_route_count(t), 3);

	/* 4930... takes the longer rule, 4989... the shorter */
	ck_assert_str_eq(lookup(t, "+49301234567", out, sizeof(out)), "4930");
	ck_assert_str_eq(out, "49301234567");
	ck_assert_int_eq(iw_route_lookup(t, "49301234567", 11, &r, out, sizeof(out)), 11);
	ck_assert(r->enum_first);
	ck_assert_uint_eq(r->n_targets, 1);
	ck_assert_str_eq(r->targets[0], "berlin");
	ck_assert_str_eq(lookup(t, "49891234", out, sizeof(out)), "49");
	ck_assert_str_eq(out, "0891234");
	ck_assert_int_eq(iw_route_lookup(t, "49891234", 8, &r, out, sizeof(out)), 7);
	ck_assert(!r->enum_first);
	ck_assert_uint_eq(r->n_targets, 2);
	ck_assert_str_eq(r->targets[0], "de-a");
	ck_assert_str_eq(r->targets[1], "de-b");
	ck_assert_str_eq(lookup(t, "442079460000", out, sizeof(out)), "44");
	ck_assert_str_eq(out, "+442079460000");
	/* a number equal to a prefix matches it; one shorter does not */
	ck_assert_str_eq(lookup(t, "4930", out, sizeof(out)), "4930");
	ck_assert_str_eq(lookup(t, "493", out, sizeof(out)), "49");
	ck_assert_ptr_null(lookup(t, "4", out, sizeof(out)));
	ck_assert_ptr_null(lookup(t, "33123456", out, sizeof(out)));
	r = (void *)1;
	ck_assert_int_eq(iw_route_lookup(t, "33123456", 8, &r, out, sizeof(out)), -ENOENT);
	ck_assert_ptr_eq(r, (void *)1); /* untouched on failure */

	/* the default rule catches the rest */
	ck_assert_int_eq(add(t, "", 0, "", "default", false), 0);
	ck_assert_str_eq(lookup(t, "33123456", out, sizeof(out)), "");
	ck_assert_str_eq(out, "33123456");
	ck_assert_str_eq(lookup(t, "4", out, sizeof(out)), "");

	/* output buffer: exactly enough, one short */
	ck_assert_int_eq(iw_route_lookup(t, "49891234", 8, &r, out, 8), 7);
	ck_assert_int_eq(iw_route_lookup(t, "49891234", 8, &r, out, 7), -ENOSPC);

	/* bad numbers */
	ck_assert_int_eq(iw_route_lookup(t, "", 0, &r, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(iw_route_lookup(t, "+", 1, &r, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(iw_route_lookup(t, "49a", 3, &r, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(iw_route_lookup(t, "1234567890123456", 16, &r, out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(iw_route_lookup(t, "123456789012345", 15, &r, out, sizeof(out)), 15);
	iw_route_table_free(t);
}
END_TEST

START_TEST(test_strip_more_than_number)
{
	struct iw_route_table *t = iw_route_table_alloc(unit_ctx);
	char out[64];

	ck_assert_int_eq(add(t, "1", 5, "999", "x", false), 0);
	ck_assert_str_eq(lookup(t, "123", out, sizeof(out)), "1");
	ck_assert_str_eq(out, "999");
	ck_assert_str_eq(lookup(t, "1234567", out, sizeof(out)), "1");
	ck_assert_str_eq(out, "999"
			      "67");
	iw_route_table_free(t);
}
END_TEST

START_TEST(test_add_errors)
{
	struct iw_route_table *t = iw_route_table_alloc(unit_ctx);
	const char *nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
	struct iw_route_spec s = {.prefix = "1", .targets = nine, .n_targets = 9};

	ck_assert_int_eq(iw_route_add(t, &s), -EINVAL);
	s.n_targets = 8;
	ck_assert_int_eq(iw_route_add(t, &s), 0);
	ck_assert_int_eq(iw_route_add(t, &s), -EEXIST);
	ck_assert_int_eq(add(t, "12a", 0, NULL, "x", false), -EINVAL);
	ck_assert_int_eq(add(t, "+49", 0, NULL, "x", false), -EINVAL);
	ck_assert_int_eq(add(t, "1234567890123456", 0, NULL, "x", false), -EINVAL);
	ck_assert_int_eq(add(t, "123456789012345", 0, NULL, "x", false), 0);
	ck_assert_int_eq(add(t, "2", 16, NULL, "x", false), -EINVAL);
	ck_assert_int_eq(add(t, "2", 0, "0+1", "x", false), -EINVAL);
	ck_assert_int_eq(add(t, "2", 0, "abc", "x", false), -EINVAL);
	ck_assert_int_eq(add(t, "2", 0, "123456789012345678901234567890123", "x", false), -EINVAL);
	ck_assert_int_eq(add(t, "2", 0, NULL, "", false), -EINVAL); /* no target, no enum */
	ck_assert_int_eq(add(t, "2", 0, NULL, "", true), 0);	    /* ENUM only */
	ck_assert_int_eq(add(t, "3", 0, NULL, "has space", false), -EINVAL);
	ck_assert_int_eq(add(t, "3", 0, NULL,
			     "x234567890123456789012345678901234567890123456789012345678901234",
			     false),
			 -EINVAL);
	s.prefix = NULL;
	ck_assert_int_eq(iw_route_add(t, &s), -EINVAL);
	s.prefix = "4";
	s.targets = NULL;
	ck_assert_int_eq(iw_route_add(t, &s), -EINVAL);
	/* failed adds left nothing behind */
	ck_assert_int_eq(iw_route_count(t), 3);
	ck_assert_ptr_null(iw_route_get(t, "3"));
	ck_assert_ptr_nonnull(iw_route_get(t, "2"));
	ck_assert_ptr_null(iw_route_get(t, "2x"));
	ck_assert_ptr_null(iw_route_get(t, NULL));
	iw_route_table_free(t);
}
END_TEST

/* Deleting prunes the trie: the table's talloc blocks come back to what an
 * empty table has. */
START_TEST(test_delete)
{
	struct iw_route_table *t = iw_route_table_alloc(unit_ctx);
	size_t empty = talloc_total_blocks(t);
	char out[64];

	ck_assert_int_eq(add(t, "4930", 0, NULL, "berlin", false), 0);
	ck_assert_int_eq(add(t, "49", 0, NULL, "de", false), 0);
	ck_assert_int_eq(add(t, "493012", 0, NULL, "mitte", false), 0);
	ck_assert_int_eq(iw_route_del(t, "4930"), 0);
	ck_assert_int_eq(iw_route_del(t, "4930"), -ENOENT);
	ck_assert_int_eq(iw_route_del(t, "493"), -ENOENT); /* a node, not a rule */
	ck_assert_int_eq(iw_route_del(t, "7"), -ENOENT);
	ck_assert_int_eq(iw_route_del(t, "x"), -ENOENT);
	ck_assert_str_eq(lookup(t, "4930999", out, sizeof(out)), "49");
	ck_assert_str_eq(lookup(t, "49301234", out, sizeof(out)), "493012");
	ck_assert_int_eq(iw_route_del(t, "493012"), 0);
	ck_assert_str_eq(lookup(t, "49301234", out, sizeof(out)), "49");
	ck_assert_int_eq(iw_route_del(t, "49"), 0);
	ck_assert_ptr_null(lookup(t, "49301234", out, sizeof(out)));
	ck_assert_int_eq(iw_route_count(t), 0);
	ck_assert_uint_eq(talloc_total_blocks(t), empty);
	/* and it is usable again */
	ck_assert_int_eq(add(t, "49", 0, NULL, "de", false), 0);
	ck_assert_str_eq(lookup(t, "49301234", out, sizeof(out)), "49");
	talloc_free(t);
}
END_TEST

static int collect(const struct iw_route_rule *r, void *priv)
{
	char *s = priv;

	strcat(s, "[");
	strcat(s, r->prefix);
	strcat(s, "]");
	return strlen(s) > 18 ? 7 : 0;
}

START_TEST(test_foreach_order)
{
	struct iw_route_table *t = iw_route_table_alloc(unit_ctx);
	char s[256] = "";

	ck_assert_int_eq(add(t, "49", 0, NULL, "a", false), 0);
	ck_assert_int_eq(add(t, "1", 0, NULL, "a", false), 0);
	ck_assert_int_eq(add(t, "", 0, NULL, "a", false), 0);
	ck_assert_int_eq(add(t, "4", 0, NULL, "a", false), 0);
	ck_assert_int_eq(add(t, "10", 0, NULL, "a", false), 0);
	ck_assert_int_eq(iw_route_foreach(t, collect, s), 0);
	ck_assert_str_eq(s, "[][1][10][4][49]");
	ck_assert_int_eq(add(t, "5", 0, NULL, "a", false), 0);
	ck_assert_int_eq(add(t, "6", 0, NULL, "a", false), 0);
	s[0] = 0;
	ck_assert_int_eq(iw_route_foreach(t, collect, s), 7); /* stopped */
	ck_assert_str_eq(s, "[][1][10][4][49][5]");
	iw_route_table_free(t);
}
END_TEST

/* Random rules and numbers against a linear longest-prefix search. */
START_TEST(test_against_linear_search)
{
	struct iw_route_table *t = iw_route_table_alloc(unit_ctx);
	static char prefixes[300][8];
	unsigned n = 0, seed = 12345;

	for (unsigned i = 0; i < 300; i++) {
		unsigned len = 1 + rand_r(&seed) % 5;

		for (unsigned k = 0; k < len; k++)
			prefixes[n][k] = (char)('0' + rand_r(&seed) % 4); /* dense trie */
		prefixes[n][len] = 0;
		if (add(t, prefixes[n], 0, NULL, "t", false) == 0)
			n++;
	}
	/* delete every third one */
	for (unsigned i = 0; i < n; i += 3) {
		ck_assert_int_eq(iw_route_del(t, prefixes[i]), 0);
		prefixes[i][0] = 'x';
	}
	for (unsigned i = 0; i < 5000; i++) {
		char num[16], out[32];
		const struct iw_route_rule *r = NULL;
		unsigned len = 1 + rand_r(&seed) % 8, best = 0;
		int bestlen = -1, rc;

		for (unsigned k = 0; k < len; k++)
			num[k] = (char)('0' + rand_r(&seed) % 5);
		num[len] = 0;
		for (unsigned j = 0; j < n; j++) {
			size_t pl = strlen(prefixes[j]);

			if (prefixes[j][0] != 'x' && pl <= len && !memcmp(num, prefixes[j], pl) &&
			    (int)pl > bestlen) {
				bestlen = (int)pl;
				best = j;
			}
		}
		rc = iw_route_lookup(t, num, len, &r, out, sizeof(out));
		if (bestlen < 0) {
			ck_assert_int_eq(rc, -ENOENT);
		} else {
			ck_assert_int_eq(rc, (int)len);
			ck_assert_str_eq(r->prefix, prefixes[best]);
		}
	}
	iw_route_table_free(t);
}
END_TEST

/* Weighted neighbours share the calls in proportion (smooth weighted round
 * robin), each call then falls back on the rest of the group by weight and
 * then on the plain targets after it. */
START_TEST(test_weights_share_and_order)
{
	struct iw_route_table *t = iw_route_table_alloc(NULL);
	const char *names[] = {"a", "b", "c", "last"};
	const unsigned w[] = {3, 1, 0, 0};
	struct iw_route_spec s = {.prefix = "49", .targets = names, .weights = w, .n_targets = 4};
	const struct iw_route_rule *r;
	unsigned order[IW_ROUTE_TARGETS_MAX], first[4] = {0}, n;
	char out[32];

	ck_assert_int_eq(iw_route_add(t, &s), 0);
	ck_assert_int_gt(iw_route_lookup(t, "4930", 4, &r, out, sizeof(out)), 0);
	for (unsigned call = 0; call < 400; call++) {
		n = iw_route_order(t, r, order);
		ck_assert_uint_eq(n, 4);
		first[order[0]]++;
		/* a and b in some order, then c, then last */
		ck_assert(order[0] <= 1 && order[1] <= 1 && order[0] != order[1]);
		ck_assert_uint_eq(order[2], 2);
		ck_assert_uint_eq(order[3], 3);
		/* smooth: b never goes first twice in a row out of 4 */
		if (call % 4 == 3)
			ck_assert_uint_eq(first[1] * 3, first[0]);
	}
	ck_assert_uint_eq(first[0], 300);
	ck_assert_uint_eq(first[1], 100);
	iw_route_table_free(t);
}
END_TEST

/* Plain targets keep their order; a weight out of range is refused. */
START_TEST(test_weights_plain_and_errors)
{
	struct iw_route_table *t = iw_route_table_alloc(NULL);
	const char *names[] = {"x", "y", "z"};
	unsigned w[] = {0, 2, 2};
	struct iw_route_spec s = {.prefix = "1", .targets = names, .weights = w, .n_targets = 3};
	const struct iw_route_rule *r;
	unsigned order[IW_ROUTE_TARGETS_MAX], seen_y = 0;
	char out[32];

	ck_assert_int_eq(iw_route_add(t, &s), 0);
	ck_assert_int_gt(iw_route_lookup(t, "1555", 4, &r, out, sizeof(out)), 0);
	for (unsigned i = 0; i < 10; i++) {
		ck_assert_uint_eq(iw_route_order(t, r, order), 3);
		ck_assert_uint_eq(order[0], 0);
		seen_y += order[1] == 1;
	}
	ck_assert_uint_eq(seen_y, 5); /* equal weights alternate */
	w[1] = IW_ROUTE_WEIGHT_MAX + 1;
	s.prefix = "2";
	ck_assert_int_eq(iw_route_add(t, &s), -EINVAL);
	iw_route_table_free(t);
}
END_TEST

/* A regular expression rewrites before strip/prepend; groups, no match,
 * a result that is no number, bad expressions. */
START_TEST(test_regex_rewrite)
{
	struct iw_route_table *t = iw_route_table_alloc(NULL);
	const struct iw_route_rule *r;
	char out[32], err[128];

	ck_assert_int_eq(add(t, "49", 0, NULL, "t1", false), 0);
	ck_assert_int_eq(add(t, "44", 2, "0044", "t2", false), 0);
	ck_assert_int_eq(add(t, "33", 0, NULL, "t3", false), 0);
	/* +49 30 x -> +49 301 x (an area code change), 89 untouched */
	ck_assert_int_eq(
		iw_route_set_regex(t, "49", "^49(30)([0-9]+)$", "49\\11\\2", err, sizeof(err)), 0);
	ck_assert_int_eq(iw_route_lookup(t, "+4930123", 8, &r, out, sizeof(out)), 8);
	ck_assert_str_eq(out, "49301123");
	ck_assert_int_eq(iw_route_lookup(t, "4989123", 7, &r, out, sizeof(out)), 7);
	ck_assert_str_eq(out, "4989123");
	/* regex then strip 2 and prepend 0044 */
	ck_assert_int_eq(iw_route_set_regex(t, "44", "^4420", "4421", err, sizeof(err)), 0);
	ck_assert_int_eq(iw_route_lookup(t, "442071", 6, &r, out, sizeof(out)), 8);
	ck_assert_str_eq(out, "00442171");
	/* \0 is the whole match; a rewrite to no digits is -EDOM */
	ck_assert_int_eq(iw_route_set_regex(t, "33", "^33(1)", "\\0\\0", err, sizeof(err)), 0);
	ck_assert_int_eq(iw_route_lookup(t, "3312", 4, &r, out, sizeof(out)), 7);
	ck_assert_str_eq(out, "331331"
			      "2");
	ck_assert_int_eq(iw_route_set_regex(t, "33", "^.*$", "x", err, sizeof(err)), 0);
	ck_assert_int_eq(iw_route_lookup(t, "3312", 4, &r, out, sizeof(out)), -EDOM);
	ck_assert_int_eq(iw_route_set_regex(t, "33", "^.*$", "", err, sizeof(err)), 0);
	ck_assert_int_eq(iw_route_lookup(t, "3312", 4, &r, out, sizeof(out)), -EDOM);
	/* errors: no rule, an expression that does not compile, a group too many */
	ck_assert_int_eq(iw_route_set_regex(t, "7", "1", "2", err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(iw_route_set_regex(t, "33", "(12", "2", err, sizeof(err)), -EINVAL);
	ck_assert(err[0] != 0);
	ck_assert_int_eq(iw_route_set_regex(t, "33", "(1)", "\\2", err, sizeof(err)), -EINVAL);
	ck_assert(strstr(err, "group") != NULL);
	/* removed: the number goes as it is */
	ck_assert_int_eq(iw_route_set_regex(t, "33", NULL, NULL, NULL, 0), 0);
	ck_assert_int_eq(iw_route_lookup(t, "3312", 4, &r, out, sizeof(out)), 4);
	ck_assert_str_eq(out, "3312");
	iw_route_table_free(t); /* frees the compiled expressions (ASan) */
}
END_TEST

Suite *iw_route_suite(void)
{
	Suite *s = suite_create("iw_route");
	TCase *tc = unit_tcase("table");

	tcase_add_test(tc, test_longest_prefix_and_rewrite);
	tcase_add_test(tc, test_strip_more_than_number);
	tcase_add_test(tc, test_add_errors);
	tcase_add_test(tc, test_delete);
	tcase_add_test(tc, test_foreach_order);
	tcase_add_test(tc, test_against_linear_search);
	tcase_add_test(tc, test_weights_share_and_order);
	tcase_add_test(tc, test_weights_plain_and_errors);
	tcase_add_test(tc, test_regex_rewrite);
	suite_add_tcase(s, tc);
	return s;
}
