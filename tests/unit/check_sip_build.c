/* sip/sip_build: responses, ACK for non-2xx, CANCEL, in-dialog requests;
 * every built message is parsed back and checked. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_build.h"
#include "sip/sip_check.h"
#include "sip/sip_hdr.h"
#include "tests/unit/unit.h"

static const char invite[] = "INVITE sip:+4930123@gw.example.net;user=phone SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP proxy.example.net;branch=z9hG4bKp1\r\n"
			     "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport\r\n"
			     "Record-Route: <sip:proxy.example.net;lr>\r\n"
			     "Route: <sip:edge.example.net;lr>\r\n"
			     "Max-Forwards: 69\r\n"
			     "To: <sip:+4930123@gw.example.net;user=phone>\r\n"
			     "From: \"Alice\" <sip:alice@example.com>\r\n"
			     " ;tag=1928301774\r\n"
			     "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
			     "CSeq: 314159 INVITE\r\n"
			     "Contact: <sip:alice@192.0.2.1>\r\n"
			     "Content-Length: 0\r\n\r\n";

static struct sip_msg *parse(const char *buf, size_t len)
{
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg);
	int rc = sip_msg_parse(m, buf, len, NULL);

	ck_assert_msg(rc == 0, "built message does not parse: %s\n%.*s", m->error, (int)len, buf);
	return m;
}

static void eq(struct tstr got, const char *want)
{
	ck_assert_msg(tstr_eq_cstr(got, want), "got '%.*s', want '%s'", TSTR_FMT(got), want);
}

START_TEST(test_response)
{
	struct sip_msg *req = parse(invite, sizeof(invite) - 1), *rsp;
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\n";
	struct sip_build_extra x = {.headers = "Contact: <sip:gw@192.0.2.9>\r\n",
				    .content_type = "application/sdp",
				    .body = sdp,
				    .body_len = sizeof(sdp) - 1};
	struct sip_nameaddr na;
	struct sip_cseq cs;
	struct sip_via v;
	struct tstr t;
	char out[2048];
	int n;

	n = sip_build_response(out, sizeof(out), req, 200, NULL, "gw-42", &x);
	ck_assert_int_gt(n, 0);
	rsp = parse(out, (size_t)n);
	ck_assert(!rsp->is_request);
	ck_assert_uint_eq(rsp->status, 200);
	eq(rsp->reason, "OK");
	/* Via list copied in order, branches intact (RFC 3261 8.2.6.2) */
	ck_assert_uint_eq(sip_msg_count(rsp, SIP_HDR_VIA), 2);
	ck_assert_int_eq(sip_msg_via(rsp, 0, &v), 0);
	eq(v.branch, "z9hG4bKp1");
	ck_assert_int_eq(sip_msg_via(rsp, 1, &v), 0);
	eq(v.branch, "z9hG4bK776asdhds");
	ck_assert(v.rport);
	ck_assert_int_eq(sip_msg_record_route(rsp, 0, &na), 0);
	eq(na.uri, "sip:proxy.example.net;lr");
	ck_assert_uint_eq(rsp->count[SIP_HDR_ROUTE], 0);
	ck_assert_int_eq(sip_msg_from(rsp, &na), 0);
	eq(na.tag, "1928301774");
	ck_assert_int_eq(sip_msg_to(rsp, &na), 0);
	eq(na.tag, "gw-42");
	ck_assert_int_eq(sip_msg_call_id(rsp, &t), 0);
	eq(t, "a84b4c76e66710@pc33.example.com");
	ck_assert_int_eq(sip_msg_cseq(rsp, &cs), 0);
	ck_assert_uint_eq(cs.num, 314159);
	eq(cs.method, "INVITE");
	/* Content-Length counts the body exactly */
	ck_assert_int_eq(rsp->content_length, (long)sizeof(sdp) - 1);
	eq(rsp->body, sdp);
	ck_assert_int_eq(sip_msg_check_response(rsp, NULL), 0);
	talloc_free(rsp);

	/* 100 Trying: no tag; unknown status: empty phrase allowed */
	n = sip_build_response(out, sizeof(out), req, 100, NULL, "gw-42", NULL);
	ck_assert_int_gt(n, 0);
	rsp = parse(out, (size_t)n);
	ck_assert_int_eq(sip_msg_to(rsp, &na), 0);
	ck_assert_ptr_null(na.tag.p);
	ck_assert_int_eq(rsp->content_length, 0);
	ck_assert_uint_eq(rsp->count[SIP_HDR_RECORD_ROUTE], 0);
	talloc_free(rsp);

	/* talloc variant: same bytes, owned by the caller's context */
	{
		size_t tl = 0;
		char *t = sip_build_response_talloc(unit_ctx, req, 100, NULL, "gw-42", NULL, &tl);

		ck_assert_ptr_nonnull(t);
		ck_assert_uint_eq(tl, (size_t)n);
		ck_assert_int_eq(memcmp(t, out, tl), 0);
		talloc_free(t);
	}
	/* every buffer too small is refused, never overrun */
	for (size_t sz = 0; sz < (size_t)n; sz++)
		ck_assert_int_eq(sip_build_response(out, sz, req, 100, NULL, NULL, NULL), -ENOSPC);
	/* a body without its type is refused */
	x.content_type = NULL;
	ck_assert_int_eq(sip_build_response(out, sizeof(out), req, 200, NULL, "t", &x), -EINVAL);
	talloc_free(req);
}
END_TEST

START_TEST(test_response_keeps_tag_and_unfolds)
{
	static const char bye[] = "BYE sip:gw@192.0.2.9 SIP/2.0\r\n"
				  "Via: SIP/2.0/TCP 192.0.2.1\r\n ;branch=z9hG4bKb2\r\n"
				  "To: <sip:gw@192.0.2.9>;tag=gw-42\r\n"
				  "From: <sip:alice@example.com>;tag=a1\r\n"
				  "Call-ID: c1\r\nCSeq: 0009\r\n BYE\r\nl: 0\r\n\r\n";
	struct sip_msg *req = parse(bye, sizeof(bye) - 1), *rsp;
	struct sip_nameaddr na;
	char out[1024];
	int n = sip_build_response(out, sizeof(out), req, 481, NULL, "other", NULL);

	ck_assert_int_gt(n, 0);
	ck_assert_ptr_null(memmem(out, (size_t)n, "\r\n ", 3));
	rsp = parse(out, (size_t)n);
	ck_assert_int_eq(sip_msg_to(rsp, &na), 0);
	eq(na.tag, "gw-42");
	ck_assert_ptr_nonnull(strstr(out, "CSeq: 9 BYE\r\n"));
	ck_assert_ptr_nonnull(strstr(out, "SIP/2.0 481 Call/Transaction Does Not Exist\r\n"));
	talloc_free(rsp);
	talloc_free(req);
}
END_TEST

START_TEST(test_ack_and_cancel)
{
	static const char busy[] = "SIP/2.0 486 Busy Here\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
				   "To: <sip:+4930123@gw.example.net;user=phone>;tag=b7\r\n"
				   "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
				   "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
				   "CSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n";
	struct sip_msg *req = parse(invite, sizeof(invite) - 1);
	struct sip_msg *rsp = parse(busy, sizeof(busy) - 1), *m;
	struct sip_nameaddr na;
	struct sip_cseq cs;
	struct sip_via v;
	char out[1024];
	int n;

	n = sip_build_ack_non2xx(out, sizeof(out), req, rsp);
	ck_assert_int_gt(n, 0);
	m = parse(out, (size_t)n);
	eq(m->method, "ACK");
	eq(m->ruri, "sip:+4930123@gw.example.net;user=phone");
	/* RFC 3261 17.1.1.3: one Via, the INVITE's top one, same branch */
	ck_assert_uint_eq(sip_msg_count(m, SIP_HDR_VIA), 1);
	ck_assert_int_eq(sip_msg_via(m, 0, &v), 0);
	eq(v.branch, "z9hG4bKp1");
	ck_assert_int_eq(sip_msg_to(m, &na), 0);
	eq(na.tag, "b7");
	ck_assert_int_eq(sip_msg_cseq(m, &cs), 0);
	ck_assert_uint_eq(cs.num, 314159);
	eq(cs.method, "ACK");
	ck_assert_int_eq(sip_msg_route(m, 0, &na), 0);
	eq(na.uri, "sip:edge.example.net;lr");
	ck_assert_uint_eq(sip_msg_check_uas(m, NULL, NULL), 0);
	talloc_free(m);
	/* only for final non-2xx responses to an INVITE */
	ck_assert_int_eq(sip_build_ack_non2xx(out, sizeof(out), rsp, rsp), -EINVAL);

	n = sip_build_cancel(out, sizeof(out), req);
	ck_assert_int_gt(n, 0);
	m = parse(out, (size_t)n);
	eq(m->method, "CANCEL");
	eq(m->ruri, "sip:+4930123@gw.example.net;user=phone");
	ck_assert_uint_eq(sip_msg_count(m, SIP_HDR_VIA), 1);
	ck_assert_int_eq(sip_msg_via(m, 0, &v), 0);
	eq(v.branch, "z9hG4bKp1");
	ck_assert_int_eq(sip_msg_to(m, &na), 0);
	ck_assert_ptr_null(na.tag.p);
	ck_assert_int_eq(sip_msg_cseq(m, &cs), 0);
	ck_assert_uint_eq(cs.num, 314159);
	eq(cs.method, "CANCEL");
	ck_assert_int_eq(m->content_length, 0);
	ck_assert_uint_eq(sip_msg_check_uas(m, NULL, NULL), 0);
	talloc_free(m);
	talloc_free(rsp);
	talloc_free(req);
}
END_TEST

START_TEST(test_in_dialog_request)
{
	const struct tstr routes[] = {TSTR_LIT("sip:p1.example.net;lr"),
				      TSTR_LIT("sip:p2.example.net;lr")};
	struct sip_req_spec s = {
		.method = "BYE",
		.ruri = TSTR_LIT("sip:alice@192.0.2.1"),
		.from = TSTR_LIT("sip:+4930123@gw.example.net"),
		.from_tag = TSTR_LIT("gw-42"),
		.to = TSTR_LIT("sip:alice@example.com"),
		.to_tag = TSTR_LIT("1928301774"),
		.call_id = TSTR_LIT("a84b4c76e66710@pc33.example.com"),
		.cseq = 2,
		.via_transport = "UDP",
		.via_host = TSTR_LIT("2001:db8::9"),
		.via_port = 5060,
		.branch = TSTR_LIT("z9hG4bKgw1"),
		.routes = routes,
		.n_routes = 2,
		.contact = TSTR_LIT("sip:gw@[2001:db8::9]"),
	};
	struct sip_nameaddr na;
	struct sip_via v;
	struct sip_msg *m;
	char out[1024];
	uint32_t mf;
	int n = sip_build_request(out, sizeof(out), &s, NULL);

	ck_assert_int_gt(n, 0);
	m = parse(out, (size_t)n);
	ck_assert_uint_eq(sip_msg_check_uas(m, NULL, NULL), 0);
	ck_assert_int_eq(sip_msg_via(m, 0, &v), 0);
	ck_assert(v.host_ipv6);
	eq(v.host, "2001:db8::9");
	ck_assert_int_eq(sip_msg_route(m, 1, &na), 0);
	eq(na.uri, "sip:p2.example.net;lr");
	ck_assert_int_eq(sip_msg_max_forwards(m, &mf), 0);
	ck_assert_uint_eq(mf, 70);
	ck_assert_int_eq(sip_msg_to(m, &na), 0);
	eq(na.tag, "1928301774");
	talloc_free(m);
	/* RFC 3261 8.1.1.7: a branch without the magic cookie is refused */
	s.branch = TSTR_LIT("abc");
	ck_assert_int_eq(sip_build_request(out, sizeof(out), &s, NULL), -EINVAL);
}
END_TEST

/* A refusal is built from what the request has (RFC 3261 8.2.6; RFC 4475
 * 3.3.1): each case drops or breaks one header and still gets its answer,
 * with the header its status requires; the answer parses back. */
static const struct {
	const char *name, *req;
	unsigned status;
	const char *want; /* a line the answer must hold, or NULL */
} rejects[] = {
	{"other version",
	 "OPTIONS sip:a@gw SIP/3.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	 "From: <sip:b@x>;tag=1\r\nTo: <sip:a@gw>\r\nCall-ID: v1\r\nCSeq: 1 OPTIONS\r\n\r\n",
	 505, "Call-ID: v1\r\n"},
	{"no Call-ID",
	 "OPTIONS sip:a@gw SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	 "From: <sip:b@x>;tag=1\r\nTo: <sip:a@gw>\r\nCSeq: 1 OPTIONS\r\n\r\n",
	 400, "CSeq: 1 OPTIONS\r\n"},
	{"no CSeq",
	 "OPTIONS sip:a@gw SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	 "From: <sip:b@x>;tag=1\r\nTo: <sip:a@gw>\r\nCall-ID: c2\r\n\r\n",
	 400, "Call-ID: c2\r\n"},
	{"no From, no To",
	 "OPTIONS sip:a@gw SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	 "Call-ID: c3\r\nCSeq: 1 OPTIONS\r\n\r\n",
	 400, "Call-ID: c3\r\n"},
	{"CSeq too large",
	 "OPTIONS sip:a@gw SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	 "From: <sip:b@x>;tag=1\r\nTo: <sip:a@gw>\r\nCall-ID: c4\r\n"
	 "CSeq: 4294967296 OPTIONS\r\n\r\n",
	 400, "CSeq: 4294967296 OPTIONS\r\n"},
	{"405",
	 "REGISTER sip:gw SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	 "From: <sip:b@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c5\r\nCSeq: 1 REGISTER\r\n\r\n",
	 405, "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO, REFER\r\n"},
	{"420",
	 "OPTIONS sip:a@gw SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	 "From: <sip:b@x>;tag=1\r\nTo: <sip:a@gw>\r\nCall-ID: c6\r\nCSeq: 1 OPTIONS\r\n"
	 "Require: 100rel, foo\r\nRequire: bar\r\n\r\n",
	 420, "Unsupported: foo, bar\r\n"},
	{"415",
	 "INVITE sip:a@gw SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
	 "From: <sip:b@x>;tag=1\r\nTo: <sip:a@gw>\r\nCall-ID: c7\r\nCSeq: 1 INVITE\r\n"
	 "Content-Type: text/x-unknown\r\nContent-Length: 2\r\n\r\nhi",
	 415, "Accept: application/sdp, multipart/mixed, application/isup"},
};

START_TEST(test_reject)
{
	const char *in = rejects[_i].req;
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg), *r;
	const char *why = NULL;
	unsigned st;
	char out[1024];
	int n;

	if (sip_msg_parse(m, in, strlen(in), NULL) < 0)
		st = m->error_status;
	else
		st = sip_msg_check_uas(m, NULL, &why);
	ck_assert_msg(st == rejects[_i].status, "%s: status %u, want %u", rejects[_i].name, st,
		      rejects[_i].status);
	/* the strict builder cannot answer these: the reject builder can */
	n = sip_reject_build(out, sizeof(out), m, st, NULL);
	ck_assert_msg(n > 0, "%s: %d", rejects[_i].name, n);
	out[n] = 0;
	ck_assert_msg(!strncmp(out, "SIP/2.0 ", 8) && (unsigned)atoi(out + 8) == st, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"));
	ck_assert_msg(strstr(out, rejects[_i].want), "%s: no '%s' in\n%s", rejects[_i].name,
		      rejects[_i].want, out);
	/* a To without a tag gets one, the same for a retransmission */
	if (strstr(in, "To: <sip:a@gw>\r\n")) {
		char again[1024];

		ck_assert_ptr_nonnull(strstr(out, "To: <sip:a@gw>;tag=r"));
		ck_assert_int_eq(sip_reject_build(again, sizeof(again), m, st, NULL), n);
		ck_assert(!memcmp(again, out, (size_t)n));
	}
	r = talloc_zero(NULL, struct sip_msg);
	ck_assert_int_eq(sip_msg_parse(r, out, (size_t)n, NULL), 0);
	ck_assert(!r->is_request);
	ck_assert_uint_eq(r->status, st);
	/* too small a buffer: -ENOSPC, never a cut message */
	ck_assert_int_eq(sip_reject_build(out, (size_t)n - 1, m, st, NULL), -ENOSPC);
	talloc_free(r);
	talloc_free(m);
}
END_TEST

START_TEST(test_reject_needs_via)
{
	static const char in[] = "OPTIONS sip:a@gw SIP/2.0\r\nFrom: <sip:b@x>;tag=1\r\n"
				 "To: <sip:a@gw>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg);
	char out[512];

	ck_assert_int_eq(sip_msg_parse(m, in, sizeof(in) - 1, NULL), 0);
	ck_assert_int_eq(sip_reject_build(out, sizeof(out), m, 400, NULL), -EINVAL);
	/* nor is a response ever answered, nor with a 2xx */
	ck_assert_int_eq(sip_build_reject(out, sizeof(out), m, 200, NULL), -EINVAL);
	talloc_free(m);
}
END_TEST

Suite *sip_build_suite(void)
{
	Suite *s = suite_create("sip_build");
	TCase *tc = unit_tcase("build");

	tcase_add_test(tc, test_response);
	tcase_add_test(tc, test_response_keeps_tag_and_unfolds);
	tcase_add_test(tc, test_ack_and_cancel);
	tcase_add_test(tc, test_in_dialog_request);
	tcase_add_loop_test(tc, test_reject, 0, sizeof(rejects) / sizeof(rejects[0]));
	tcase_add_test(tc, test_reject_needs_via);
	suite_add_tcase(s, tc);
	return s;
}
