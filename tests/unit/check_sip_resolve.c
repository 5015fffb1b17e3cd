/* sip_resolve.c without DNS: trunk host names accepted or refused, and the
 * choice among a trunk's targets (RFC 2782 priority and weight, RFC 3263
 * 4.3 passing over a target that did not answer). The DNS path runs against
 * dnsmasq in tests/integration/sip_trunk_dns.sh. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "sip/sip_resolve.h"
#include "sip/sip_trunk.h"
#include "tests/unit/unit.h"

START_TEST(test_host_valid)
{
	ck_assert(sip_trunk_host_valid("127.0.0.1"));
	ck_assert(sip_trunk_host_valid("2001:db8::1"));
	ck_assert(sip_trunk_host_valid("carrier.example"));
	ck_assert(sip_trunk_host_valid("sip-1.carrier.example."));
	ck_assert(!sip_trunk_host_valid(""));
	ck_assert(!sip_trunk_host_valid("bad..name"));
	ck_assert(!sip_trunk_host_valid(".lead"));
	ck_assert(!sip_trunk_host_valid("under score!"));
	ck_assert(!sip_trunk_host_valid("a/b"));
}
END_TEST

static void target(struct sip_target *tg, const char *ip, uint16_t port, uint16_t prio,
		   uint16_t weight)
{
	struct sockaddr_in *a = (struct sockaddr_in *)&tg->addr;

	memset(tg, 0, sizeof(*tg));
	a->sin_family = AF_INET;
	a->sin_port = htons(port);
	inet_pton(AF_INET, ip, &a->sin_addr);
	tg->addr_len = sizeof(*a);
	tg->prio = prio;
	tg->weight = weight;
	strcpy(tg->name, ip);
}

static unsigned dest_last_octet(const struct sip_txn_dest *d)
{
	return ntohl(((const struct sockaddr_in *)&d->addr)->sin_addr.s_addr) & 0xff;
}

START_TEST(test_choice_and_pass_over)
{
	struct sip_trunk t = {.name = "t", .host = "10.0.0.1", .port = 5060};
	struct sip_resolver *r;
	struct sip_txn_dest d;
	unsigned n[4] = {0};
	uint8_t a[4];

	INIT_LLIST_HEAD(&sip_cfg.trunks);
	llist_add_tail(&t.list, &sip_cfg.trunks);
	/* a numeric remote: one target at once, no DNS (no loop needed) */
	r = sip_resolver_start(unit_ctx, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(t.res);
	ck_assert_uint_eq(t.res->n, 1);
	ck_assert_int_eq(sip_trunk_res_dest(&t, &d), 0);
	ck_assert_uint_eq(dest_last_octet(&d), 1);
	/* a single target is never passed over: nothing else to try */
	ck_assert_int_eq(sip_trunk_res_status(&t, &d, 503), -ENOENT);
	ck_assert_int_eq(sip_trunk_res_dest(&t, &d), 0);

	/* as SRV would give them: priority 10 (weights 1 and 3), then 20 */
	target(&t.res->tg[0], "10.0.0.1", 5060, 10, 1);
	target(&t.res->tg[1], "10.0.0.2", 5060, 10, 3);
	target(&t.res->tg[2], "10.0.0.3", 5060, 20, 50);
	t.res->n = 3;
	for (unsigned i = 0; i < 4000; i++) {
		ck_assert_int_eq(sip_trunk_res_dest(&t, &d), 0);
		n[dest_last_octet(&d)]++;
	}
	ck_assert_uint_eq(n[3], 0); /* a lower priority only when the higher fail */
	ck_assert_msg(n[2] > 2 * n[1] && n[2] < 4 * n[1], "weights 1:3 gave %u:%u", n[1], n[2]);

	/* 10.0.0.2 times out: passed over, 10.0.0.1 left in its priority */
	target(&t.res->tg[1], "10.0.0.2", 5060, 10, 3);
	d.addr = t.res->tg[1].addr;
	d.addr_len = t.res->tg[1].addr_len;
	ck_assert_int_eq(sip_trunk_res_status(&t, &d, 408), 0);
	for (unsigned i = 0; i < 50; i++) {
		ck_assert_int_eq(sip_trunk_res_dest(&t, &d), 0);
		ck_assert_uint_eq(dest_last_octet(&d), 1);
	}
	/* 10.0.0.1 gives 503 too: priority 20 now */
	ck_assert_int_eq(sip_trunk_res_status(&t, &d, 503), 0);
	ck_assert_int_eq(sip_trunk_res_dest(&t, &d), 0);
	ck_assert_uint_eq(dest_last_octet(&d), 3);
	/* a refusal by the called side is an answer: it does not pass over */
	ck_assert_int_eq(sip_trunk_res_status(&t, &d, 486), -ENOENT);
	ck_assert_int_eq(sip_trunk_res_dest(&t, &d), 0);
	ck_assert_uint_eq(dest_last_octet(&d), 3);
	ck_assert_uint_eq(t.res->tg[2].responses, 1);
	/* the last one fails: none left; the one passed over first comes back */
	ck_assert_int_eq(sip_trunk_res_status(&t, &d, 503), -ENOENT);
	ck_assert_int_eq(sip_trunk_res_dest(&t, &d), 0);
	ck_assert_uint_eq(dest_last_octet(&d), 2);

	/* admission by the targets' addresses */
	inet_pton(AF_INET, "10.0.0.3", a);
	ck_assert(sip_trunk_res_has_addr(&t, AF_INET, a, 5060));
	ck_assert(sip_trunk_res_has_addr(&t, AF_INET, a, 0));
	ck_assert(!sip_trunk_res_has_addr(&t, AF_INET, a, 5070));
	inet_pton(AF_INET, "10.0.0.9", a);
	ck_assert(!sip_trunk_res_has_addr(&t, AF_INET, a, 0));

	sip_resolver_free(r);
	ck_assert_ptr_null(t.res);
	llist_del(&t.list);
}
END_TEST

Suite *sip_resolve_suite(void)
{
	Suite *s = suite_create("sip_resolve");
	TCase *tc = unit_tcase("resolve");

	tcase_add_test(tc, test_host_valid);
	tcase_add_test(tc, test_choice_and_pass_over);
	suite_add_tcase(s, tc);
	return s;
}
