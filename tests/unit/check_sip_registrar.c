/* sip/sip_registrar: the binding table of a registered trunk (RFC 3261
 * 10.3 steps 6-7: expires, 423, "*", Call-ID/CSeq ordering, expiry). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sip/sip_registrar.h"
#include "sip/sip_uri.h"
#include "tests/unit/unit.h"

static const struct sip_reg_limits lim = {
	.min_expires = 60, .max_expires = 3600, .def_expires = 3600};

static struct sockaddr_in src4(const char *host, unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};

	ck_assert_int_eq(inet_pton(AF_INET, host, &a.sin_addr), 1);
	return a;
}

/* A REGISTER with one Contact (uri NULL: none; "*": star). */
static struct sip_reg_request req(const char *call_id, uint32_t cseq, const char *uri, long c_exp,
				  long hdr_exp, const struct sockaddr_in *src)
{
	struct sip_reg_request rq = {.call_id = tstr_make(call_id, strlen(call_id)),
				     .cseq = cseq,
				     .expires_hdr = hdr_exp,
				     .user_agent = tstr_make("pbx/1", 5),
				     .proto = SIP_PROTO_UDP,
				     .src = (const struct sockaddr *)src,
				     .src_len = src ? sizeof(*src) : 0};

	if (uri && !strcmp(uri, "*")) {
		rq.star = true;
	} else if (uri) {
		rq.c[0] = (struct sip_reg_contact){
			.uri = tstr_make(uri, strlen(uri)), .expires = c_exp, .q = -1};
		rq.n = 1;
	}
	return rq;
}

START_TEST(test_bind_refresh_remove)
{
	struct sip_reg_table t = {0};
	struct sip_reg_outcome o;
	struct sockaddr_in a = src4("192.0.2.10", 40000);
	struct sip_reg_request rq = req("c1", 1, "sip:pbx@10.0.0.5:5060", -1, 120, &a);

	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1000, &o), 0);
	ck_assert_uint_eq(o.added, 1);
	ck_assert_uint_eq(t.n, 1);
	ck_assert_uint_eq(t.b[0].expires_at, 1120); /* the Expires header */
	ck_assert_str_eq(t.b[0].user_agent, "pbx/1");
	/* refresh: the contact parameter wins over the header (10.3 step 7) */
	rq = req("c1", 2, "sip:pbx@10.0.0.5:5060", 300, 120, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1010, &o), 0);
	ck_assert_uint_eq(o.refreshed, 1);
	ck_assert_uint_eq(t.n, 1);
	ck_assert_uint_eq(t.b[0].expires_at, 1310);
	ck_assert_uint_eq(t.b[0].since, 1000);
	/* too long: shortened to max; neither given: the default */
	rq = req("c1", 3, "sip:pbx@10.0.0.5:5060", 99999, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1020, &o), 0);
	ck_assert_uint_eq(t.b[0].expires_at, 1020 + 3600);
	/* a query: no Contact, nothing changes */
	rq = req("c1", 4, NULL, -1, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1030, &o), 0);
	ck_assert_uint_eq(t.n, 1);
	/* expires=0 removes it */
	rq = req("c1", 5, "sip:pbx@10.0.0.5:5060", 0, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1040, &o), 0);
	ck_assert_uint_eq(o.removed, 1);
	ck_assert_uint_eq(t.n, 0);
}
END_TEST

START_TEST(test_too_brief_and_order)
{
	struct sip_reg_table t = {0};
	struct sip_reg_outcome o;
	struct sockaddr_in a = src4("192.0.2.10", 40000);
	struct sip_reg_request rq = req("c1", 10, "sip:pbx@10.0.0.5", 30, -1, &a);

	/* 423 with Min-Expires, nothing bound */
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 100, &o), 423);
	ck_assert_uint_eq(o.min_expires, 60);
	ck_assert_uint_eq(t.n, 0);
	rq = req("c1", 10, "sip:pbx@10.0.0.5", 60, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 100, &o), 0);
	/* the same Call-ID with a CSeq not above: 500, binding untouched */
	rq = req("c1", 10, "sip:pbx@10.0.0.5", 0, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 101, &o), 500);
	rq = req("c1", 9, "sip:pbx@10.0.0.5", 0, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 101, &o), 500);
	ck_assert_uint_eq(t.n, 1);
	/* another Call-ID (a rebooted PBX) may replace it whatever its CSeq */
	rq = req("c2", 1, "sip:pbx@10.0.0.5", 120, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 102, &o), 0);
	ck_assert_uint_eq(o.refreshed, 1);
	ck_assert_str_eq(t.b[0].call_id, "c2");
	ck_assert_uint_eq(t.b[0].expires_at, 222);
}
END_TEST

START_TEST(test_star)
{
	struct sip_reg_table t = {0};
	struct sip_reg_outcome o;
	struct sockaddr_in a = src4("192.0.2.10", 40000);
	struct sip_reg_request rq = req("c1", 1, "sip:a@10.0.0.5", -1, 600, &a);

	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 0, &o), 0);
	rq = req("c1", 2, "sip:b@10.0.0.6", -1, 600, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 0, &o), 0);
	ck_assert_uint_eq(t.n, 2);
	/* "*" needs Expires: 0 (10.3 step 6) */
	rq = req("c1", 3, "*", -1, 600, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1, &o), 400);
	rq = req("c1", 3, "*", -1, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1, &o), 400);
	/* ... and an old CSeq is refused even for "*" */
	rq = req("c1", 2, "*", -1, 0, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1, &o), 500);
	ck_assert_uint_eq(t.n, 2);
	rq = req("c1", 3, "*", -1, 0, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1, &o), 0);
	ck_assert_uint_eq(o.removed, 2);
	ck_assert_uint_eq(t.n, 0);
}
END_TEST

START_TEST(test_expiry_best_source)
{
	struct sip_reg_table t = {0};
	struct sip_reg_outcome o;
	struct sockaddr_in a = src4("192.0.2.10", 40000), b = src4("192.0.2.11", 5060);
	struct sockaddr_in other_port = src4("192.0.2.10", 40001);
	struct sip_reg_request rq = req("c1", 1, "sip:a@10.0.0.5", 100, -1, &a);
	const struct sip_reg_binding *best;

	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 0, &o), 0);
	rq = req("c2", 1, "sip:b@10.0.0.6", 200, -1, &b);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 10, &o), 0);
	/* the latest registered of equal q */
	best = sip_reg_best(&t, 20);
	ck_assert_ptr_nonnull(best);
	ck_assert_str_eq(best->contact, "sip:b@10.0.0.6");
	/* a q-value beats recency */
	rq = req("c1", 2, "sip:a@10.0.0.5", 100, -1, &a);
	rq.c[0].q = 1000;
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 20, &o), 0);
	t.b[1].q = 500;
	ck_assert_str_eq(sip_reg_best(&t, 30)->contact, "sip:a@10.0.0.5");
	/* admission: the binding's address and port on its transport */
	ck_assert(sip_reg_has_source(&t, (struct sockaddr *)&a, SIP_PROTO_UDP, 30));
	ck_assert(sip_reg_has_source(&t, (struct sockaddr *)&a, -1, 30));
	ck_assert(!sip_reg_has_source(&t, (struct sockaddr *)&a, SIP_PROTO_TCP, 30));
	ck_assert(!sip_reg_has_source(&t, (struct sockaddr *)&other_port, SIP_PROTO_UDP, 30));
	ck_assert_uint_eq(sip_reg_next_expiry(&t), 120);
	/* a expires at 120: gone from the best choice and from admission */
	ck_assert_str_eq(sip_reg_best(&t, 120)->contact, "sip:b@10.0.0.6");
	ck_assert(!sip_reg_has_source(&t, (struct sockaddr *)&a, SIP_PROTO_UDP, 120));
	ck_assert_uint_eq(sip_reg_expire(&t, 120), 1);
	ck_assert_uint_eq(t.n, 1);
	ck_assert_uint_eq(sip_reg_next_expiry(&t), 210);
	ck_assert_uint_eq(sip_reg_expire(&t, 210), 1);
	ck_assert_ptr_null(sip_reg_best(&t, 210));
	ck_assert_uint_eq(sip_reg_next_expiry(&t), 0);
}
END_TEST

START_TEST(test_full_and_atomic)
{
	struct sip_reg_table t = {0};
	struct sip_reg_outcome o;
	struct sockaddr_in a = src4("192.0.2.10", 40000);
	char uri[SIP_REG_MAX_BINDINGS + 1][32], longuri[SIP_REG_URI_MAX + 8];
	struct sip_reg_request rq;

	for (unsigned i = 0; i < SIP_REG_MAX_BINDINGS; i++) {
		snprintf(uri[i], sizeof(uri[i]), "sip:u%u@10.0.0.5", i);
		rq = req("c1", i + 1, uri[i], 600, -1, &a);
		ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 0, &o), 0);
	}
	snprintf(uri[SIP_REG_MAX_BINDINGS], sizeof(uri[0]), "sip:extra@10.0.0.5");
	rq = req("c1", 100, uri[SIP_REG_MAX_BINDINGS], 600, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 0, &o), 503);
	ck_assert_uint_eq(t.n, SIP_REG_MAX_BINDINGS);
	/* two Contacts, the second too brief: the first is not applied either */
	rq = req("c9", 1, uri[0], 0, -1, &a);
	rq.c[1] = (struct sip_reg_contact){
		.uri = tstr_make(uri[1], strlen(uri[1])), .expires = 5, .q = -1};
	rq.n = 2;
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 0, &o), 423);
	ck_assert_uint_eq(t.n, SIP_REG_MAX_BINDINGS);
	/* a Contact longer than the table keeps */
	memset(longuri, 'a', sizeof(longuri) - 1);
	memcpy(longuri, "sip:", 4);
	longuri[sizeof(longuri) - 1] = '\0';
	t.n = 0;
	rq = req("c1", 1, longuri, 600, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 0, &o), 400);
	ck_assert_uint_eq(t.n, 0);
}
END_TEST

/* RFC 3261 19.1.4 URI equality, the examples of the RFC among them */
START_TEST(test_uri_equal)
{
#define EQ(a, b) ck_assert_msg(sip_uri_equal(TSTR_LIT(a), TSTR_LIT(b)), "%s == %s", a, b)
#define NE(a, b) ck_assert_msg(!sip_uri_equal(TSTR_LIT(a), TSTR_LIT(b)), "%s != %s", a, b)
	/* the RFC's equal pairs */
	EQ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp");
	EQ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5");
	EQ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on");
	EQ("sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on");
	EQ("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
	   "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com");
	EQ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	   "sip:alice@atlanta.com?priority=urgent&subject=project%20x");
	/* the RFC's unequal pairs */
	NE("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP");
	NE("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060");
	NE("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp;maddr=10.0.0.1");
	NE("sip:bob@192.0.2.4", "sip:bob@phone21.boxesbybob.com");
	NE("sip:bob@biloxi.com:6000;transport=tcp", "sip:bob@biloxi.com:6000;transport=udp");
	NE("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting");
	NE("sips:carol@chicago.com", "sip:carol@chicago.com");
	/* user/ttl/method in one only never match, even with a default value */
	NE("sip:+4930123@gw.example;user=phone", "sip:+4930123@gw.example");
	NE("sip:a@h;ttl=1", "sip:a@h");
	NE("sip:a@h;method=INVITE", "sip:a@h");
	/* userinfo is case-sensitive, escapes count as their character */
	NE("sip:Alice@h", "sip:alice@h");
	EQ("sip:a%6Cice:pw@h", "sip:alice:pw@h");
	NE("sip:alice:pw@h", "sip:alice:PW@h");
	NE("sip:alice@h", "sip:h");
	EQ("sip:pbx@[2001:DB8::1]:5060", "sip:pbx@[2001:db8::1]:5060");
#undef EQ
#undef NE
}
END_TEST

/* a refresh whose Contact differs only as 19.1.4 allows finds the binding */
START_TEST(test_refresh_equivalent_contact)
{
	struct sip_reg_table t = {0};
	struct sip_reg_outcome o;
	struct sockaddr_in a = src4("192.0.2.10", 40000);
	struct sip_reg_request rq =
		req("c1", 1, "sip:pbx@PBX.example:5062;transport=udp;line=7", -1, 120, &a);

	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1000, &o), 0);
	ck_assert_uint_eq(o.added, 1);
	rq = req("c1", 2, "sip:%70bx@pbx.example:5062;line=7;Transport=UDP", -1, 300, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1010, &o), 0);
	ck_assert_uint_eq(o.refreshed, 1);
	ck_assert_uint_eq(o.added, 0);
	ck_assert_uint_eq(t.n, 1);
	ck_assert_uint_eq(t.b[0].expires_at, 1310);
	/* another port is another binding */
	rq = req("c1", 3, "sip:pbx@pbx.example;transport=udp;line=7", -1, 300, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1020, &o), 0);
	ck_assert_uint_eq(o.added, 1);
	ck_assert_uint_eq(t.n, 2);
	/* removal by an equivalent Contact */
	rq = req("c1", 4, "sip:pbx@pbx.EXAMPLE:5062;line=7", 0, -1, &a);
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1030, &o), 0);
	ck_assert_uint_eq(o.removed, 1);
	ck_assert_uint_eq(t.n, 1);
}
END_TEST

/* the state file: what is saved comes back with the lifetime it has left;
 * what expired meanwhile does not; a bad line names file and line */
START_TEST(test_store_roundtrip)
{
	struct sip_reg_table t = {0}, u;
	struct sip_reg_outcome o;
	struct sockaddr_in a = src4("192.0.2.10", 40000);
	struct sip_reg_request rq = req("c1@pbx", 7, "sip:pbx@10.0.0.5:5060;line=1", -1, 120, &a);
	char path[] = "/tmp/check-reg-XXXXXX", err[256];
	unsigned expired;
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_int_ge(fd, 0);
	close(fd);
	rq.user_agent = TSTR_LIT("PBX model 2 (fw 1.0)");
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1000, &o), 0);
	rq = req("c2@pbx", 1, "sip:pbx@10.0.0.6:5062", 300, -1, &a);
	rq.c[0].q = 500;
	ck_assert_int_eq(sip_reg_apply(&t, &rq, &lim, 1000, &o), 0);
	/* saved at table time 1010 = wall 1,700,000,010 */
	ck_assert_int_eq(sip_reg_table_save(&t, path, 1010, 1700000010), 0);
	/* the new process: its clock at 5, the wall 30 s later */
	ck_assert_int_eq(sip_reg_table_load(&u, path, 5, 1700000040, &expired, err, sizeof(err)),
			 2);
	ck_assert_uint_eq(expired, 0);
	ck_assert_str_eq(u.b[0].contact, "sip:pbx@10.0.0.5:5060;line=1");
	ck_assert_str_eq(u.b[0].call_id, "c1@pbx");
	ck_assert_str_eq(u.b[0].user_agent, "PBX model 2 (fw 1.0)");
	ck_assert_uint_eq(u.b[0].cseq, 7);
	ck_assert_int_eq(u.b[0].q, -1);
	ck_assert_uint_eq(u.b[0].expires_at, 5 + 120 - 10 - 30);
	ck_assert_int_eq(u.b[1].q, 500);
	ck_assert_uint_eq(u.b[1].expires_at, 5 + 300 - 10 - 30);
	ck_assert(sip_reg_has_source(&u, (const struct sockaddr *)&a, SIP_PROTO_UDP, 5));
	/* 200 s later the first one is gone */
	ck_assert_int_eq(sip_reg_table_load(&u, path, 5, 1700000210, &expired, err, sizeof(err)),
			 1);
	ck_assert_uint_eq(expired, 1);
	ck_assert_str_eq(u.b[0].contact, "sip:pbx@10.0.0.6:5062");
	/* a damaged file: nothing loaded, the line named */
	f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	fputs("binding 17 garbage\n", f);
	fclose(f);
	ck_assert_int_lt(sip_reg_table_load(&u, path, 5, 1700000040, &expired, err, sizeof(err)),
			 0);
	ck_assert_uint_eq(u.n, 0);
	ck_assert_msg(strstr(err, ":4: not a binding line") != NULL, "%s", err);
	unlink(path);
}
END_TEST

Suite *sip_registrar_suite(void)
{
	Suite *s = suite_create("sip_registrar");
	TCase *tc = unit_tcase("sip_registrar");

	tcase_add_test(tc, test_bind_refresh_remove);
	tcase_add_test(tc, test_too_brief_and_order);
	tcase_add_test(tc, test_star);
	tcase_add_test(tc, test_expiry_best_source);
	tcase_add_test(tc, test_full_and_atomic);
	tcase_add_test(tc, test_uri_equal);
	tcase_add_test(tc, test_refresh_equivalent_contact);
	tcase_add_test(tc, test_store_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
