/* sip/sip_auth: digest authentication (RFC 2617, RFC 7616, RFC 8760). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sip/sip_auth.h"
#include "tests/unit/unit.h"

#define T(s) tstr_make((s), strlen(s))

/* RFC 2617 3.5: the worked example (MD5, qop=auth). */
START_TEST(test_rfc2617_3_5)
{
	static const char chal[] = "Digest\r\n realm=\"testrealm@host.com\",\r\n"
				   " qop=\"auth,auth-int\",\r\n"
				   " nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n"
				   " opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";
	struct sip_auth_challenge ch;
	struct sip_auth_client st = {0};
	struct sip_auth_request rq = {.user = "Mufasa",
				      .password = "Circle Of Life",
				      .method = "GET",
				      .uri = TSTR_LIT("/dir/index.html"),
				      .cnonce = "0a4f113b"};
	struct sip_auth_credentials cr;
	char out[1024];
	int n;

	ck_assert_int_eq(sip_auth_challenge_decode(&ch, chal, sizeof(chal) - 1), 0);
	ck_assert(tstr_eq_cstr(ch.realm, "testrealm@host.com"));
	ck_assert(tstr_eq_cstr(ch.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093"));
	ck_assert(tstr_eq_cstr(ch.opaque, "5ccc069c403ebaf9f0171e9517f40e41"));
	ck_assert_int_eq(ch.alg, SIP_AUTH_MD5);
	ck_assert(ch.qop_auth);
	ck_assert(!ch.stale);
	n = sip_auth_response_encode(out, sizeof(out), &st, &ch, &rq);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(out, "response=\"6629fae49393a05397450978507c4ef1\""));
	ck_assert_ptr_nonnull(strstr(out, "nc=00000001"));
	ck_assert_ptr_nonnull(strstr(out, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
	/* Our own output parses as credentials with the same values. */
	ck_assert_int_eq(sip_auth_credentials_decode(&cr, out, (size_t)n), 0);
	ck_assert(tstr_eq_cstr(cr.username, "Mufasa"));
	ck_assert(tstr_eq_cstr(cr.uri, "/dir/index.html"));
	ck_assert(tstr_eq_cstr(cr.cnonce, "0a4f113b"));
	ck_assert_uint_eq(cr.nc, 1);
	ck_assert(tstr_eq_cstr(cr.response, "6629fae49393a05397450978507c4ef1"));
}
END_TEST

/* RFC 7616 3.9.1: the same request with MD5 and with SHA-256. */
static const struct {
	const char *alg;
	enum sip_auth_alg id;
	const char *response;
} rfc7616[] = {
	{"MD5", SIP_AUTH_MD5, "8ca523f5e9506fed4657c9700eebdbec"},
	{"SHA-256", SIP_AUTH_SHA256,
	 "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
};

START_TEST(test_rfc7616_3_9_1)
{
	char chal[512], out[1024], want[128];
	struct sip_auth_challenge ch;
	struct sip_auth_client st = {0};
	struct sip_auth_request rq = {.user = "Mufasa",
				      .password = "Circle of Life",
				      .method = "GET",
				      .uri = TSTR_LIT("/dir/index.html"),
				      .cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"};
	int n;

	n = snprintf(chal, sizeof(chal),
		     "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", "
		     "algorithm=%s, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", "
		     "opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
		     rfc7616[_i].alg);
	ck_assert_int_eq(sip_auth_challenge_decode(&ch, chal, (size_t)n), 0);
	ck_assert_int_eq(ch.alg, rfc7616[_i].id);
	n = sip_auth_response_encode(out, sizeof(out), &st, &ch, &rq);
	ck_assert_int_gt(n, 0);
	snprintf(want, sizeof(want), "response=\"%s\"", rfc7616[_i].response);
	ck_assert_msg(strstr(out, want), "got %s", out);
	snprintf(want, sizeof(want), "algorithm=%s,", rfc7616[_i].alg);
	ck_assert_ptr_nonnull(strstr(out, want));
}
END_TEST

/* RFC 7616 3.4.2 -sess: HA1 includes nonce and cnonce, so a verify on our
 * own server must succeed for the sess algorithms too (round trip below);
 * here check that -sess actually changes the digest. */
START_TEST(test_sess_differs)
{
	char ha1[SIP_AUTH_HEX_MAX], a[SIP_AUTH_HEX_MAX], b[SIP_AUTH_HEX_MAX];

	ck_assert_int_eq(sip_auth_ha1(ha1, SIP_AUTH_MD5, T("u"), T("r"), T("p")), 0);
	ck_assert_int_eq(sip_auth_digest(a, SIP_AUTH_MD5, ha1, T("n"), T("c"), T("00000001"),
					 "auth", T("INVITE"), T("sip:x@y")),
			 0);
	ck_assert_int_eq(sip_auth_digest(b, SIP_AUTH_MD5_SESS, ha1, T("n"), T("c"), T("00000001"),
					 "auth", T("INVITE"), T("sip:x@y")),
			 0);
	ck_assert_str_ne(a, b);
	ck_assert_uint_eq(strlen(a), 32);
}
END_TEST

START_TEST(test_nonce_count)
{
	static const char c1[] = "Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"";
	static const char c2[] = "Digest realm=\"r\", nonce=\"n2\", qop=\"auth\", stale=TRUE";
	struct sip_auth_challenge ch;
	struct sip_auth_client st = {0};
	struct sip_auth_request rq = {.user = "u",
				      .password = "p",
				      .method = "REGISTER",
				      .uri = TSTR_LIT("sip:example.net"),
				      .cnonce = "abc"};
	char out[512];

	ck_assert_int_eq(sip_auth_challenge_decode(&ch, c1, sizeof(c1) - 1), 0);
	ck_assert_int_gt(sip_auth_response_encode(out, sizeof(out), &st, &ch, &rq), 0);
	ck_assert_ptr_nonnull(strstr(out, "nc=00000001"));
	ck_assert_int_gt(sip_auth_response_encode(out, sizeof(out), &st, &ch, &rq), 0);
	ck_assert_ptr_nonnull(strstr(out, "nc=00000002"));
	/* A failed build (no room) does not consume a count. */
	ck_assert_int_eq(sip_auth_response_encode(out, 20, &st, &ch, &rq), -ENOSPC);
	ck_assert_int_gt(sip_auth_response_encode(out, sizeof(out), &st, &ch, &rq), 0);
	ck_assert_ptr_nonnull(strstr(out, "nc=00000003"));
	/* New nonce: back to 1. */
	ck_assert_int_eq(sip_auth_challenge_decode(&ch, c2, sizeof(c2) - 1), 0);
	ck_assert(ch.stale);
	ck_assert_int_gt(sip_auth_response_encode(out, sizeof(out), &st, &ch, &rq), 0);
	ck_assert_ptr_nonnull(strstr(out, "nc=00000001"));
}
END_TEST

START_TEST(test_no_qop_rfc2069)
{
	static const char c[] = "Digest realm=\"r\", nonce=\"n\"";
	struct sip_auth_challenge ch;
	struct sip_auth_client st = {0};
	struct sip_auth_request rq = {.user = "u\"q",
				      .password = "p",
				      .method = "INVITE",
				      .uri = TSTR_LIT("sip:a@b"),
				      .cnonce = "x"};
	char out[512], ha1[SIP_AUTH_HEX_MAX], want[SIP_AUTH_HEX_MAX];

	ck_assert_int_eq(sip_auth_challenge_decode(&ch, c, sizeof(c) - 1), 0);
	ck_assert(!ch.qop_present);
	ck_assert_int_gt(sip_auth_response_encode(out, sizeof(out), &st, &ch, &rq), 0);
	ck_assert_ptr_null(strstr(out, "nc="));
	ck_assert_ptr_null(strstr(out, "cnonce="));
	/* the user name is escaped in the quoted-string */
	ck_assert_ptr_nonnull(strstr(out, "username=\"u\\\"q\""));
	ck_assert_int_eq(sip_auth_ha1(ha1, SIP_AUTH_MD5, T("u\"q"), T("r"), T("p")), 0);
	ck_assert_int_eq(sip_auth_digest(want, SIP_AUTH_MD5, ha1, T("n"), TSTR_NULL, TSTR_NULL,
					 NULL, T("INVITE"), T("sip:a@b")),
			 0);
	ck_assert_ptr_nonnull(strstr(out, want));
}
END_TEST

static const struct {
	const char *v;
	int rc;
} bad_chal[] = {
	{"", -ENOTSUP},
	{"Basic realm=\"x\"", -ENOTSUP},
	{"Digestrealm=\"x\"", -ENOTSUP},
	{"Digest", -EBADMSG},
	{"Digest realm=\"r\"", -EBADMSG},	     /* no nonce */
	{"Digest nonce=\"n\"", -EBADMSG},	     /* no realm */
	{"Digest realm=r, nonce=\"n\"", -EBADMSG},   /* realm must be quoted */
	{"Digest realm=\"r, nonce=\"n\"", -EBADMSG}, /* unterminated */
	{"Digest realm=\"r\", nonce=\"n", -EBADMSG},
	{"Digest realm=\"r\" nonce=\"n\"", -EBADMSG},		    /* missing comma */
	{"Digest realm=\"r\", realm=\"s\", nonce=\"n\"", -EBADMSG}, /* duplicate */
	{"Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512", -ENOTSUP},
	{"Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"", -ENOTSUP},
	{"Digest realm=\"r\", nonce=\"n\\", -EBADMSG},
	{"Digest realm=\"r\", nonce=", -EBADMSG},
	{"Digest realm=\"r\", =\"n\"", -EBADMSG},
	{"Digest realm=\"r\", nonce=\"n\", stale", -EBADMSG},
};

START_TEST(test_bad_challenges)
{
	struct sip_auth_challenge ch;
	size_t len = strlen(bad_chal[_i].v);
	char *buf = talloc_memdup(NULL, bad_chal[_i].v, len ? len : 1);

	memset(&ch, 0x77, sizeof(ch));
	ck_assert_int_eq(sip_auth_challenge_decode(&ch, buf, len), bad_chal[_i].rc);
	ck_assert_uint_eq(((unsigned char *)&ch)[0], 0x77);
	talloc_free(buf);
}
END_TEST

START_TEST(test_challenge_extras)
{
	static const char c[] = "digest   realm=\"a \\\"b\\\\\" ,, nonce=\"n\", "
				"domain=\"sip:x\", algorithm=\"md5-sess\", userhash=false, "
				"foo=bar, qop=\"auth-int , auth\"";
	struct sip_auth_challenge ch;
	char realm[64];

	ck_assert_int_eq(sip_auth_challenge_decode(&ch, c, sizeof(c) - 1), 0);
	ck_assert_int_eq(ch.alg, SIP_AUTH_MD5_SESS);
	ck_assert(ch.qop_auth);
	ck_assert_int_eq(sip_auth_unquote(ch.realm, realm, sizeof(realm)), 5);
	ck_assert_str_eq(realm, "a \"b\\");
	/* unquoted qop token from lax servers */
	ck_assert_int_eq(
		sip_auth_challenge_decode(&ch, "Digest realm=\"r\", nonce=\"n\", qop=auth",
					  strlen("Digest realm=\"r\", nonce=\"n\", qop=auth")),
		0);
	ck_assert(ch.qop_auth);
}
END_TEST

/* ---- server side ---- */

static const uint8_t key[32] = "0123456789abcdef0123456789abcdef";
static const uint8_t salt[8] = {1, 2, 3, 4, 5, 6, 7, 8};

static const enum sip_auth_alg algs[] = {SIP_AUTH_MD5,	      SIP_AUTH_MD5_SESS,
					 SIP_AUTH_SHA256,     SIP_AUTH_SHA256_SESS,
					 SIP_AUTH_SHA512_256, SIP_AUTH_SHA512_256_SESS};
#define N_ALGS (sizeof(algs) / sizeof(algs[0]))

/* Server challenge -> client response -> server verify, per algorithm. */
START_TEST(test_round_trip)
{
	struct sip_auth_server srv = {.realm = "gw.example.net",
				      .alg = algs[_i],
				      .key = key,
				      .key_len = sizeof(key),
				      .nonce_ttl = 300,
				      .qop_auth = true};
	struct sip_auth_challenge ch;
	struct sip_auth_client st = {0};
	struct sip_auth_request rq = {.user = "trunk1",
				      .password = "s3cret",
				      .method = "INVITE",
				      .uri = TSTR_LIT("sip:+4930123@gw.example.net"),
				      .cnonce = "c0ffee"};
	struct sip_auth_credentials cr;
	char chal[512], resp[1024], ha1[SIP_AUTH_HEX_MAX];
	uint32_t nc_seen = 0;
	int n;

	n = sip_auth_challenge_encode(chal, sizeof(chal), &srv, 1000000, salt, false);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sip_auth_challenge_decode(&ch, chal, (size_t)n), 0);
	ck_assert_int_eq(ch.alg, algs[_i]);
	ck_assert(ch.qop_auth);
	n = sip_auth_response_encode(resp, sizeof(resp), &st, &ch, &rq);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sip_auth_credentials_decode(&cr, resp, (size_t)n), 0);
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", "s3cret", false, 1000010, &nc_seen),
			 0);
	ck_assert_uint_eq(nc_seen, 1);
	/* Replay of the same nc is refused. */
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", "s3cret", false, 1000010, &nc_seen),
			 -EALREADY);
	/* Next request with nc=2 passes; verification from stored HA1 too. */
	n = sip_auth_response_encode(resp, sizeof(resp), &st, &ch, &rq);
	ck_assert_int_eq(sip_auth_credentials_decode(&cr, resp, (size_t)n), 0);
	ck_assert_uint_eq(cr.nc, 2);
	ck_assert_int_eq(sip_auth_ha1(ha1, algs[_i], T("trunk1"), T("gw.example.net"), T("s3cret")),
			 0);
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", ha1, true, 1000020, &nc_seen), 0);
	ck_assert_uint_eq(nc_seen, 2);
	/* Stored HA1 in upper-case hex works as well. */
	for (char *p = ha1; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", ha1, true, 1000020, NULL), 0);
	/* Wrong password, wrong method. */
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", "s3creT", false, 1000020, NULL),
			 -EACCES);
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "BYE", "s3cret", false, 1000020, NULL),
			 -EACCES);
	/* Expired nonce with a right digest: stale (RFC 7616 3.3) ... */
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", "s3cret", false, 1000301, NULL),
			 -ESTALE);
	/* ... but with a wrong digest it is simply refused. */
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", "x", false, 1000301, NULL), -EACCES);
	/* A nonce minted under another key is not ours. */
	{
		static const uint8_t key2[32] = "fedcba9876543210fedcba9876543210";
		struct sip_auth_server other = srv;

		other.key = key2;
		ck_assert_int_eq(
			sip_auth_verify(&other, &cr, "INVITE", "s3cret", false, 1000020, NULL),
			-EACCES);
	}
	/* Algorithm downgrade is refused. */
	{
		struct sip_auth_server other = srv;

		other.alg = algs[(_i + 1) % N_ALGS];
		ck_assert_int_eq(
			sip_auth_verify(&other, &cr, "INVITE", "s3cret", false, 1000020, NULL),
			-EACCES);
	}
}
END_TEST

START_TEST(test_server_stale_flag_and_forgery)
{
	struct sip_auth_server srv = {.realm = "r",
				      .alg = SIP_AUTH_MD5,
				      .key = key,
				      .key_len = sizeof(key),
				      .nonce_ttl = 60,
				      .qop_auth = true};
	struct sip_auth_credentials cr;
	char chal[512], resp[1024], nonce[65];
	struct sip_auth_challenge ch;
	int n;

	n = sip_auth_challenge_encode(chal, sizeof(chal), &srv, 500, salt, true);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(chal, "stale=true"));
	ck_assert_ptr_nonnull(strstr(chal, "qop=\"auth\""));
	ck_assert_int_eq(sip_auth_challenge_decode(&ch, chal, (size_t)n), 0);
	ck_assert(ch.stale);
	ck_assert_uint_eq(ch.nonce.len, 64);
	/* Tamper with the timestamp inside the nonce: MAC fails. */
	tstr_to_buf(ch.nonce, nonce, sizeof(nonce));
	nonce[15] = nonce[15] == '0' ? '1' : '0';
	{
		char ha1[SIP_AUTH_HEX_MAX], dig[SIP_AUTH_HEX_MAX];

		ck_assert_int_eq(sip_auth_ha1(ha1, SIP_AUTH_MD5, T("u"), T("r"), T("p")), 0);
		ck_assert_int_eq(sip_auth_digest(dig, SIP_AUTH_MD5, ha1, T(nonce), T("c"),
						 T("00000001"), "auth", T("INVITE"), T("sip:a")),
				 0);
		n = snprintf(resp, sizeof(resp),
			     "Digest username=\"u\", realm=\"r\", nonce=\"%s\", uri=\"sip:a\", "
			     "response=\"%s\", algorithm=MD5, cnonce=\"c\", qop=auth, nc=00000001",
			     nonce, dig);
	}
	ck_assert_int_eq(sip_auth_credentials_decode(&cr, resp, (size_t)n), 0);
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", "p", false, 510, NULL), -EACCES);
	/* Wrong realm. */
	{
		struct sip_auth_server other = srv;

		other.realm = "s";
		ck_assert_int_eq(sip_auth_verify(&other, &cr, "INVITE", "p", false, 510, NULL),
				 -EACCES);
	}
}
END_TEST

START_TEST(test_qop_required)
{
	struct sip_auth_server srv = {.realm = "r",
				      .alg = SIP_AUTH_MD5,
				      .key = key,
				      .key_len = sizeof(key),
				      .nonce_ttl = 60,
				      .qop_auth = false};
	struct sip_auth_challenge ch;
	struct sip_auth_client st = {0};
	struct sip_auth_request rq = {.user = "u",
				      .password = "p",
				      .method = "INVITE",
				      .uri = TSTR_LIT("sip:a"),
				      .cnonce = "c"};
	struct sip_auth_credentials cr;
	char chal[512], resp[1024];
	int n;

	/* Without qop (RFC 2069 style) the exchange works when the server allows it ... */
	n = sip_auth_challenge_encode(chal, sizeof(chal), &srv, 100, salt, false);
	ck_assert_int_eq(sip_auth_challenge_decode(&ch, chal, (size_t)n), 0);
	ck_assert(!ch.qop_present);
	n = sip_auth_response_encode(resp, sizeof(resp), &st, &ch, &rq);
	ck_assert_int_eq(sip_auth_credentials_decode(&cr, resp, (size_t)n), 0);
	ck_assert(!cr.has_qop);
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", "p", false, 100, NULL), 0);
	/* ... and is refused by a server that asks for qop=auth. */
	srv.qop_auth = true;
	ck_assert_int_eq(sip_auth_verify(&srv, &cr, "INVITE", "p", false, 100, NULL), -EACCES);
}
END_TEST

static const char *const bad_creds[] = {
	"Digest realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"", /* no username */
	"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\", qop=auth",
	"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\", qop=auth, "
	"cnonce=\"c\", nc=1",
	"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\", qop=auth, "
	"cnonce=\"c\", nc=0000000g",
	"Digest username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\", "
	"cnonce=\"c\", nc=00000001", /* nc without qop */
	"Digest username=a, realm=\"r\", nonce=\"n\", uri=\"u\", response=\"x\"",
	"Digest username=\"a\", username=\"a\", realm=\"r\", nonce=\"n\", uri=\"u\", "
	"response=\"x\"",
};

START_TEST(test_bad_credentials)
{
	struct sip_auth_credentials cr;

	ck_assert_int_eq(sip_auth_credentials_decode(&cr, bad_creds[_i], strlen(bad_creds[_i])),
			 -EBADMSG);
}
END_TEST

Suite *sip_auth_suite(void)
{
	Suite *s = suite_create("sip_auth");
	TCase *tc = unit_tcase("client");

	tcase_add_test(tc, test_rfc2617_3_5);
	tcase_add_loop_test(tc, test_rfc7616_3_9_1, 0, 2);
	tcase_add_test(tc, test_sess_differs);
	tcase_add_test(tc, test_nonce_count);
	tcase_add_test(tc, test_no_qop_rfc2069);
	tcase_add_loop_test(tc, test_bad_challenges, 0, sizeof(bad_chal) / sizeof(bad_chal[0]));
	tcase_add_test(tc, test_challenge_extras);
	suite_add_tcase(s, tc);

	tc = unit_tcase("server");
	tcase_add_loop_test(tc, test_round_trip, 0, N_ALGS);
	tcase_add_test(tc, test_server_stale_flag_and_forgery);
	tcase_add_test(tc, test_qop_required);
	tcase_add_loop_test(tc, test_bad_credentials, 0, sizeof(bad_creds) / sizeof(bad_creds[0]));
	suite_add_tcase(s, tc);
	return s;
}
