/* sip/sip_dialog: dialog rules (RFC 3261 12), RSeq/RAck (RFC 3262) and
 * session-timer negotiation (RFC 4028). */
#include "sip/sip_dialog.h"
#include "tests/unit/unit.h"

static struct sip_dialog_init base(void)
{
	struct sip_dialog_init in = {
		.call_id = TSTR_LIT("abc@198.51.100.1"),
		.local_tag = TSTR_LIT("ours"),
		.remote_tag = TSTR_LIT("theirs"),
		.local_uri = TSTR_LIT("<sip:+4930123@gw>"),
		.remote_uri = TSTR_LIT("<sip:+4940555@carrier>"),
		.remote_target = TSTR_LIT("<sip:peer@203.0.113.9:5060>"),
		.routes = {TSTR_LIT("<sip:p1;lr>"), TSTR_LIT("<sip:p2;lr>"),
			   TSTR_LIT("<sip:p3;lr>")},
		.n_routes = 3,
		.cseq = 314,
	};
	return in;
}

START_TEST(test_route_sets_and_cseq)
{
	struct sip_dialog_init in = base();
	struct sip_dialog *uac = sip_dialog_uac(unit_ctx, &in, true);
	struct sip_dialog *uas = sip_dialog_uas(unit_ctx, &in, false);

	/* 12.1.2 reversed for the UAC, 12.1.1 as received for the UAS */
	ck_assert_str_eq(uac->routes[0], "<sip:p3;lr>");
	ck_assert_str_eq(uac->routes[2], "<sip:p1;lr>");
	ck_assert_str_eq(uas->routes[0], "<sip:p1;lr>");
	ck_assert_int_eq(uas->state, SIP_DIALOG_EARLY);
	sip_dialog_confirm(uas);
	ck_assert_int_eq(uas->state, SIP_DIALOG_CONFIRMED);

	/* the UAC continues from the INVITE's CSeq; the UAS starts its own */
	ck_assert_uint_eq(sip_dialog_next_cseq(uac), 315);
	ck_assert_uint_eq(sip_dialog_next_cseq(uas), 1);
	/* 12.2.2: a lower CSeq from the peer is out of order */
	ck_assert(sip_dialog_rx_cseq(uas, 315));
	ck_assert(!sip_dialog_rx_cseq(uas, 314));
	ck_assert(sip_dialog_rx_cseq(uac, 7)); /* empty remote sequence: anything */

	ck_assert(sip_dialog_match(uac, TSTR_LIT("abc@198.51.100.1"), TSTR_LIT("ours"),
				   TSTR_LIT("theirs")));
	ck_assert(!sip_dialog_match(uac, TSTR_LIT("abc@198.51.100.1"), TSTR_LIT("ours"),
				    TSTR_LIT("other")));
	ck_assert_int_eq(sip_dialog_set_target(uac, TSTR_LIT("<sip:new@203.0.113.10>")), 0);
	ck_assert_str_eq(uac->remote_target, "<sip:new@203.0.113.10>");
	talloc_free(uac);
	talloc_free(uas);
}
END_TEST

/* 12.2.1.1: Request-URI, Route headers and next hop of a request in the
 * dialog, with no route set, behind loose routers and behind a strict one. */
START_TEST(test_request_plan)
{
	struct sip_dialog_init in = base();
	struct sip_dialog_plan p;
	struct sip_dialog *d;

	in.remote_target = TSTR_LIT("sip:peer@203.0.113.9:5072");
	in.n_routes = 0;
	d = sip_dialog_uac(unit_ctx, &in, true);
	sip_dialog_plan(d, &p);
	ck_assert_str_eq(p.ruri, "sip:peer@203.0.113.9:5072");
	ck_assert_str_eq(p.next_hop, "sip:peer@203.0.113.9:5072");
	ck_assert_uint_eq(p.n_routes, 0);
	talloc_free(d);

	/* loose: the UAC's route set is the Record-Route reversed; the
	 * request goes to the first, the Request-URI stays the target */
	in.routes[0] = TSTR_LIT("sip:p1.example;lr");
	in.routes[1] = TSTR_LIT("sip:198.51.100.7:5080;lr;transport=udp");
	in.n_routes = 2;
	d = sip_dialog_uac(unit_ctx, &in, true);
	sip_dialog_plan(d, &p);
	ck_assert(!p.strict);
	ck_assert_str_eq(p.ruri, "sip:peer@203.0.113.9:5072");
	ck_assert_str_eq(p.next_hop, "sip:198.51.100.7:5080;lr;transport=udp");
	ck_assert_uint_eq(p.n_routes, 2);
	ck_assert_str_eq(p.routes[0], "sip:198.51.100.7:5080;lr;transport=udp");
	ck_assert_str_eq(p.routes[1], "sip:p1.example;lr");
	talloc_free(d);

	/* strict (no lr): its URI is the Request-URI, the target the last Route */
	in.routes[1] = TSTR_LIT("sip:198.51.100.7:5080");
	d = sip_dialog_uac(unit_ctx, &in, true);
	sip_dialog_plan(d, &p);
	ck_assert(p.strict);
	ck_assert_str_eq(p.ruri, "sip:198.51.100.7:5080");
	ck_assert_str_eq(p.next_hop, "sip:198.51.100.7:5080");
	ck_assert_uint_eq(p.n_routes, 2);
	ck_assert_str_eq(p.routes[0], "sip:p1.example;lr");
	ck_assert_str_eq(p.routes[1], "sip:peer@203.0.113.9:5072");
	talloc_free(d);
}
END_TEST

START_TEST(test_100rel)
{
	struct sip_dialog_init in = base();
	struct sip_dialog *d = sip_dialog_uas(unit_ctx, &in, false);
	uint32_t r1 = sip_dialog_next_rseq(d);

	ck_assert_uint_gt(r1, 0);
	ck_assert_uint_lt(r1, 0x80000000u);
	ck_assert_uint_eq(sip_dialog_next_rseq(d), 0); /* one at a time */
	ck_assert(!sip_dialog_prack_rx(d, r1 + 1));
	ck_assert(sip_dialog_prack_rx(d, r1));
	ck_assert(!sip_dialog_prack_rx(d, r1)); /* already acknowledged */
	ck_assert_uint_eq(sip_dialog_next_rseq(d), r1 + 1);

	/* receiving: in order only, retransmissions spotted */
	ck_assert(sip_dialog_rseq_rx(d, 77));
	ck_assert(!sip_dialog_rseq_rx(d, 77));
	ck_assert(!sip_dialog_rseq_rx(d, 79));
	ck_assert(sip_dialog_rseq_rx(d, 78));
	talloc_free(d);
}
END_TEST

START_TEST(test_session_timers)
{
	struct sip_session_timer local = {.interval = 1800, .min_se = 90}, req, out;

	/* too small: 422 with our Min-SE */
	req = (struct sip_session_timer){.interval = 60};
	ck_assert_int_eq(sip_session_timer_uas(&req, true, &local, &out), 422);
	ck_assert_uint_eq(out.min_se, 90);
	/* as asked, refresher unspecified: the UAC (it supports timer) */
	req = (struct sip_session_timer){.interval = 600, .min_se = 120};
	ck_assert_int_eq(sip_session_timer_uas(&req, true, &local, &out), 0);
	ck_assert_uint_eq(out.interval, 600);
	ck_assert_uint_eq(out.min_se, 120);
	ck_assert_int_eq(out.refresher, SIP_REFRESHER_UAC);
	/* the UAC without support: we refresh, with our interval */
	req = (struct sip_session_timer){0};
	ck_assert_int_eq(sip_session_timer_uas(&req, false, &local, &out), 0);
	ck_assert_uint_eq(out.interval, 1800);
	ck_assert_int_eq(out.refresher, SIP_REFRESHER_UAS);
	/* refresh at half; expire before the end by min(32 s, a third) */
	ck_assert_uint_eq(sip_session_refresh_at(&out), 900);
	ck_assert_uint_eq(sip_session_expire_at(&out), 1768);
	out.interval = 90;
	ck_assert_uint_eq(sip_session_expire_at(&out), 60);
	/* after 422 Min-SE: 300 the UAC retries with at least 300 */
	req = (struct sip_session_timer){.interval = 90, .min_se = 90};
	sip_session_timer_after_422(&req, 300);
	ck_assert_uint_eq(req.interval, 300);
	ck_assert_uint_eq(req.min_se, 300);
}
END_TEST

/* RFC 3261 14.1: the 491 back-off's ranges and its 10 ms units */
START_TEST(test_glare_backoff)
{
	uint32_t lo[2] = {UINT32_MAX, UINT32_MAX}, hi[2] = {0, 0};
	uint64_t r = 88172645463325252ull;

	for (unsigned i = 0; i < 20000; i++) {
		for (int own = 0; own < 2; own++) {
			uint32_t ms = sip_glare_backoff_ms(own, r);

			ck_assert_uint_eq(ms % 10, 0);
			lo[own] = ms < lo[own] ? ms : lo[own];
			hi[own] = ms > hi[own] ? ms : hi[own];
		}
		r ^= r << 13; /* xorshift64 */
		r ^= r >> 7;
		r ^= r << 17;
	}
	ck_assert_uint_eq(lo[1], 2100);
	ck_assert_uint_eq(hi[1], 4000);
	ck_assert_uint_eq(lo[0], 0);
	ck_assert_uint_eq(hi[0], 2000);
	ck_assert_uint_eq(sip_glare_backoff_ms(true, 0), 2100);
	ck_assert_uint_eq(sip_glare_backoff_ms(false, 200ull << 32), 2000);
	ck_assert_uint_eq(sip_glare_backoff_ms(true, 190ull << 32), 4000);
}
END_TEST

Suite *sip_dialog_suite(void)
{
	Suite *s = suite_create("sip_dialog");
	TCase *tc = unit_tcase("dialog");

	tcase_add_test(tc, test_route_sets_and_cseq);
	tcase_add_test(tc, test_100rel);
	tcase_add_test(tc, test_request_plan);
	tcase_add_test(tc, test_session_timers);
	tcase_add_test(tc, test_glare_backoff);
	suite_add_tcase(s, tc);
	return s;
}
