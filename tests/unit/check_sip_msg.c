/* sip/sip_msg, sip_hdr, sip_check: every RFC 4475 / RFC 5118 torture
 * vector against tests/vectors/sip/index.txt, framing and limits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sip_check.h"
#include "sip/sip_hdr.h"
#include "sip/sip_mime.h"
#include "tests/unit/unit.h"

#define MAX_VEC	 128
#define MAX_FILE (128 * 1024)

struct vec {
	char name[64];
	char line[2048]; /* the index line: TAB-separated key=value */
};

static struct vec vecs[MAX_VEC];
static int n_vecs;

static void load_index(void)
{
	FILE *f = fopen(unit_vector_path("sip/index.txt"), "r");
	char line[2048];

	n_vecs = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && n_vecs < MAX_VEC) {
		char *tab = strchr(line, '\t');

		if (line[0] == '#' || !tab)
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(vecs[n_vecs].name, sizeof(vecs[n_vecs].name), "%.*s", (int)(tab - line),
			 line);
		snprintf(vecs[n_vecs].line, sizeof(vecs[n_vecs].line), "%s", tab);
		n_vecs++;
	}
	fclose(f);
}

/* Value of key in an index line, or NULL. */
static const char *field(const struct vec *v, const char *key, char *buf, size_t size)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\t%s=", key);
	p = strstr(v->line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	e = strchr(p, '\t');
	snprintf(buf, size, "%.*s", (int)(e ? e - p : (long)strlen(p)), p);
	return buf;
}

static size_t read_vec(const char *name, char *buf)
{
	char rel[128];
	FILE *f;
	size_t n;

	snprintf(rel, sizeof(rel), "sip/%s", name);
	f = fopen(unit_vector_path(rel), "rb");
	ck_assert_msg(f != NULL, "cannot open vector %s", name);
	n = fread(buf, 1, MAX_FILE, f);
	fclose(f);
	return n;
}

static void expect_tstr(const char *vname, const char *key, const char *want, struct tstr got)
{
	ck_assert_msg(tstr_eq_cstr(got, want), "%s: %s is '%.*s', index says '%s'", vname, key,
		      TSTR_FMT(got), want);
}

static void expect_num(const char *vname, const char *key, const char *want, unsigned long got)
{
	ck_assert_msg(strtoul(want, NULL, 10) == got, "%s: %s is %lu, index says %s", vname, key,
		      got, want);
}

static void check_values(const struct vec *v, const struct sip_msg *m)
{
	char b[1024];
	struct sip_nameaddr na;
	struct sip_cseq cs;
	struct sip_via via;
	struct tstr t;
	uint32_t u;

	if (field(v, "kind", b, sizeof(b)))
		ck_assert_msg(m->is_request == (strcmp(b, "request") == 0), "%s: kind", v->name);
	if (field(v, "method", b, sizeof(b)))
		expect_tstr(v->name, "method", b, m->method);
	if (field(v, "ruri", b, sizeof(b)))
		expect_tstr(v->name, "ruri", b, m->ruri);
	if (field(v, "status", b, sizeof(b)))
		expect_num(v->name, "status", b, m->status);
	if (field(v, "call_id", b, sizeof(b))) {
		ck_assert_int_eq(sip_msg_call_id(m, &t), 0);
		expect_tstr(v->name, "call_id", b, t);
	}
	if (field(v, "cseq", b, sizeof(b))) {
		ck_assert_int_eq(sip_msg_cseq(m, &cs), 0);
		expect_num(v->name, "cseq", b, cs.num);
		if (field(v, "cseq_method", b, sizeof(b)))
			expect_tstr(v->name, "cseq_method", b, cs.method);
	}
	if (field(v, "from_tag", b, sizeof(b))) {
		ck_assert_int_eq(sip_msg_from(m, &na), 0);
		expect_tstr(v->name, "from_tag", b, na.tag);
	}
	if (field(v, "to_tag", b, sizeof(b))) {
		ck_assert_int_eq(sip_msg_to(m, &na), 0);
		expect_tstr(v->name, "to_tag", b, na.tag);
	}
	if (field(v, "vias", b, sizeof(b)))
		expect_num(v->name, "vias", b, sip_msg_count(m, SIP_HDR_VIA));
	if (field(v, "contacts", b, sizeof(b)))
		expect_num(v->name, "contacts", b, sip_msg_count(m, SIP_HDR_CONTACT));
	if (sip_msg_via(m, 0, &via) == 0) {
		if (field(v, "via0_transport", b, sizeof(b)))
			expect_tstr(v->name, "via0_transport", b, via.transport);
		if (field(v, "via0_host", b, sizeof(b)))
			expect_tstr(v->name, "via0_host", b, via.host);
		if (field(v, "via0_port", b, sizeof(b)))
			expect_num(v->name, "via0_port", b, via.port);
		if (field(v, "via0_branch", b, sizeof(b)))
			expect_tstr(v->name, "via0_branch", b, via.branch);
		if (field(v, "via0_received", b, sizeof(b)))
			expect_tstr(v->name, "via0_received", b, via.received);
	}
	if (field(v, "max_forwards", b, sizeof(b))) {
		ck_assert_int_eq(sip_msg_max_forwards(m, &u), 0);
		expect_num(v->name, "max_forwards", b, u);
	}
	if (field(v, "content_length", b, sizeof(b)))
		expect_num(v->name, "content_length", b, (unsigned long)m->content_length);
	if (field(v, "body_length", b, sizeof(b)))
		expect_num(v->name, "body_length", b, m->body.len);
	if (field(v, "mime_parts", b, sizeof(b))) {
		struct sip_mime_part parts[4];
		unsigned n = 0;

		ck_assert_int_eq(sip_msg_multipart(m, parts, 4, &n), 0);
		expect_num(v->name, "mime_parts", b, n);
	}
}

START_TEST(test_torture_vector)
{
	static char buf[MAX_FILE];
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg);
	const struct vec *v;
	struct sip_verdict ver;
	char b[256];
	size_t len;
	int rc;

	ck_assert_int_lt(_i, n_vecs);
	v = &vecs[_i];
	len = read_vec(v->name, buf);

	/* datagram: verdict, reply and values */
	sip_msg_inspect(m, buf, len, false, NULL, NULL, &ver);
	ck_assert_msg(field(v, "verdict", b, sizeof(b)), "%s: no verdict", v->name);
	ck_assert_msg(ver.valid == (strcmp(b, "valid") == 0),
		      "%s: verdict %s expected, got %s (%s)", v->name, b,
		      ver.valid ? "valid" : "invalid", ver.error ? ver.error : "");
	field(v, "reply", b, sizeof(b));
	ck_assert_msg(ver.reply == (strcmp(b, "-") ? strtoul(b, NULL, 10) : 0),
		      "%s: reply %s expected, got %u (%s)", v->name, b, ver.reply,
		      ver.error ? ver.error : "");
	if (ver.parsed)
		check_values(v, m);

	/* the same bytes on a stream */
	rc = sip_msg_inspect(m, buf, len, true, NULL, NULL, &ver);
	field(v, "tcp", b, sizeof(b));
	if (strcmp(b, "incomplete") == 0)
		ck_assert_msg(rc == -EAGAIN, "%s: tcp should need more bytes, rc %d", v->name, rc);
	else
		ck_assert_msg(ver.valid == (strcmp(b, "valid") == 0), "%s: tcp verdict %s expected",
			      v->name, b);
	talloc_free(m);
}
END_TEST

START_TEST(test_index_complete)
{
	/* 49 RFC 4475 messages, 12 RFC 5118 ones, one corrected variant, and the
	 * messages fuzzing found (fuzz-*.sip) */
	ck_assert_int_ge(n_vecs, 63);
}
END_TEST

static const char small_invite[] = "INVITE sip:+4930123@gw.example.net;user=phone SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n"
				   "Max-Forwards: 70\r\n"
				   "To: <sip:+4930123@gw.example.net;user=phone>\r\n"
				   "From: \"Alice\" <sip:alice@example.com>;tag=1928301774\r\n"
				   "Call-ID: a84b4c76e66710@pc33.example.com\r\n"
				   "CSeq: 314159 INVITE\r\n"
				   "Contact: <sip:alice@192.0.2.1>\r\n"
				   "Content-Type: application/sdp\r\n"
				   "Content-Length: 4\r\n"
				   "\r\n"
				   "v=0\n";

START_TEST(test_stream_framing)
{
	size_t n = sizeof(small_invite) - 1, len = 0, cut;
	char two[2 * sizeof(small_invite)];

	/* every prefix needs more bytes, the whole message frames exactly */
	for (cut = 0; cut < n; cut++)
		ck_assert_int_eq(sip_stream_frame(small_invite, cut, NULL, &len), -EAGAIN);
	ck_assert_int_eq(sip_stream_frame(small_invite, n, NULL, &len), 0);
	ck_assert_uint_eq(len, n);
	/* two back to back: the first frame ends where the second starts */
	memcpy(two, small_invite, n);
	memcpy(two + n, small_invite, n);
	ck_assert_int_eq(sip_stream_frame(two, 2 * n, NULL, &len), 0);
	ck_assert_uint_eq(len, n);
	/* RFC 5626 keep-alive CRLFs ahead of a message are part of its frame */
	ck_assert_int_eq(sip_stream_frame("\r\n\r\n", 4, NULL, &len), 0);
	ck_assert_uint_eq(len, 4);
	/* malformed: no Content-Length, negative, doubled, header without colon */
	ck_assert_int_eq(
		sip_stream_frame("OPTIONS sip:a@b SIP/2.0\r\nVia: x\r\n\r\n", 35, NULL, &len),
		-EBADMSG);
	ck_assert_int_eq(
		sip_stream_frame("OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n", 34, NULL, &len),
		-EBADMSG);
	ck_assert_int_eq(
		sip_stream_frame("OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\nl: 0\r\n\r\n", 39, NULL, &len),
		-EBADMSG);
	ck_assert_int_eq(
		sip_stream_frame("OPTIONS sip:a@b SIP/2.0\r\nnocolon\r\n\r\n", 36, NULL, &len),
		-EBADMSG);
}
END_TEST

START_TEST(test_limits)
{
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg);
	struct sip_limits lim;
	size_t n = sizeof(small_invite) - 1, len;

	sip_limits_default(&lim);
	ck_assert_int_eq(sip_msg_parse(m, small_invite, n, &lim), 0);
	ck_assert_uint_eq(m->n_hdr, 9);
	lim.max_headers = 8;
	ck_assert_int_eq(sip_msg_parse(m, small_invite, n, &lim), -EMSGSIZE);
	sip_limits_default(&lim);
	lim.max_line_len = 50;
	ck_assert_int_eq(sip_msg_parse(m, small_invite, n, &lim), -EMSGSIZE);
	ck_assert_int_eq(sip_stream_frame(small_invite, n, &lim, &len), -EMSGSIZE);
	sip_limits_default(&lim);
	lim.max_msg_size = n - 1;
	ck_assert_int_eq(sip_msg_parse(m, small_invite, n, &lim), -EMSGSIZE);
	ck_assert_uint_eq(m->error_status, SIP_MESSAGE_TOO_LARGE);
	ck_assert_int_eq(sip_stream_frame(small_invite, n, &lim, &len), -EMSGSIZE);
	talloc_free(m);
}
END_TEST

START_TEST(test_header_index)
{
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg);
	const struct sip_hdr *h;
	struct sip_nameaddr na;
	struct sip_contact c;
	struct sip_ctype ct;

	ck_assert_int_eq(sip_msg_parse(m, small_invite, sizeof(small_invite) - 1, NULL), 0);
	ck_assert_ptr_eq(m->buf, small_invite);
	h = sip_msg_hdr(m, SIP_HDR_CALL_ID);
	ck_assert_ptr_nonnull(h);
	/* a view into the caller's buffer, not a copy */
	ck_assert(h->value.p > small_invite && h->value.p < small_invite + sizeof(small_invite));
	ck_assert_int_eq(sip_msg_from(m, &na), 0);
	expect_tstr("small", "display", "\"Alice\"", na.display);
	expect_tstr("small", "tag", "1928301774", na.tag);
	ck_assert_int_eq(sip_msg_contact(m, 0, &c), 0);
	ck_assert_int_eq(c.expires, -1);
	ck_assert_int_eq(sip_msg_contact(m, 1, &c), -ENOENT);
	ck_assert_int_eq(sip_msg_content_type(m, &ct), 0);
	expect_tstr("small", "subtype", "sdp", ct.subtype);
	expect_tstr("small", "body", "v=0\n", m->body);
	ck_assert_uint_eq(sip_msg_check_uas(m, NULL, NULL), 0);
	talloc_free(m);
}
END_TEST

static const char ext_msg[] =
	"UPDATE sip:gw@192.0.2.9 SIP/2.0\r\n"
	"v: SIP/2.0/TLS [2001:db8::1]:5061;branch=z9hG4bKx;rport=5061;received=[2001:db8::2]\r\n"
	"f: <sip:a@example.com>;tag=1\r\nt: "
	"<tel:+1-201-555-0123;phone-context=example.com>;tag=2\r\n"
	"i: u1\r\nCSeq: 5 UPDATE\r\nMax-Forwards: 0\r\n"
	"m: <sip:a@192.0.2.1>;expires=60;q=0.7, \"B\" <sip:b@192.0.2.2>\r\n"
	"Session-Expires: 1800;refresher=uac\r\nMin-SE: 90\r\nRSeq: 7\r\nRAck: 7 4 INVITE\r\n"
	"P-Asserted-Identity: \"Alice\" <sip:+4930123@example.com>, <tel:+4930123>\r\n"
	"Privacy: id;header\r\nReason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"
	"Diversion: <sip:+4930999@example.com>;reason=unconditional;counter=1\r\n"
	"History-Info: <sip:a@example.com>;index=1, <sip:b@example.com>;index=1.1\r\n"
	"Proxy-Authorization: Digest username=\"u\", realm=\"r\", nonce=\"n,1\", uri=\"sip:gw\"\r\n"
	"k: 100rel, timer\r\nRequire: timer\r\nAllow: INVITE, ACK, BYE\r\n"
	"Content-Disposition: session;handling=required\r\nl: 0\r\n\r\n";

START_TEST(test_header_decoders)
{
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg);
	struct sip_session_expires se;
	struct sip_nameaddr na;
	struct sip_authhdr a;
	struct sip_contact c;
	struct sip_rack rack;
	struct sip_via via;
	struct sip_uri u;
	struct tstr t, p;
	uint32_t x;

	ck_assert_int_eq(sip_msg_parse(m, ext_msg, sizeof(ext_msg) - 1, NULL), 0);
	ck_assert_int_eq(sip_msg_via(m, 0, &via), 0);
	ck_assert(via.host_ipv6);
	expect_tstr("ext", "via host", "2001:db8::1", via.host);
	ck_assert_uint_eq(via.port, 5061);
	ck_assert(via.rport);
	ck_assert_uint_eq(via.rport_value, 5061);
	expect_tstr("ext", "received", "2001:db8::2", via.received);
	ck_assert_int_eq(sip_msg_to(m, &na), 0);
	ck_assert_int_eq(sip_uri_decode(na.uri, &u), 0);
	ck_assert_int_eq(u.scheme, SIP_URI_TEL);
	expect_tstr("ext", "tel number", "+1-201-555-0123", u.user);
	ck_assert(sip_param_find(u.params, "phone-context", &t));
	ck_assert_int_eq(sip_msg_contact(m, 0, &c), 0);
	ck_assert_int_eq(c.expires, 60);
	ck_assert_int_eq(c.q, 700);
	ck_assert_int_eq(sip_msg_contact(m, 1, &c), 0);
	expect_tstr("ext", "display", "\"B\"", c.na.display);
	ck_assert_int_eq(sip_msg_session_expires(m, &se), 0);
	ck_assert_uint_eq(se.delta, 1800);
	expect_tstr("ext", "refresher", "uac", se.refresher);
	ck_assert_int_eq(sip_msg_min_se(m, &x), 0);
	ck_assert_uint_eq(x, 90);
	ck_assert_int_eq(sip_msg_rseq(m, &x), 0);
	ck_assert_uint_eq(x, 7);
	ck_assert_int_eq(sip_msg_rack(m, &rack), 0);
	ck_assert_uint_eq(rack.cseq, 4);
	expect_tstr("ext", "rack method", "INVITE", rack.method);
	ck_assert_int_eq(sip_msg_pai(m, 1, &na), 0);
	expect_tstr("ext", "pai", "tel:+4930123", na.uri);
	ck_assert(sip_msg_has_token(m, SIP_HDR_PRIVACY, "header"));
	ck_assert(!sip_msg_has_token(m, SIP_HDR_PRIVACY, "user"));
	/* Reason (RFC 3326) is indexed here and read by interwork/iw_cause.c */
	ck_assert_ptr_nonnull(sip_msg_hdr(m, SIP_HDR_REASON));
	ck_assert_uint_eq(sip_msg_count(m, SIP_HDR_REASON), 1);
	ck_assert_int_eq(sip_msg_diversion(m, 0, &na), 0);
	ck_assert(sip_param_find(na.params, "counter", &t));
	expect_tstr("ext", "counter", "1", t);
	ck_assert_int_eq(sip_msg_history_info(m, 1, &na), 0);
	ck_assert(sip_param_find(na.params, "index", &t));
	expect_tstr("ext", "index", "1.1", t);
	ck_assert_int_eq(sip_msg_auth(m, SIP_HDR_PROXY_AUTHORIZATION, 0, &a), 0);
	expect_tstr("ext", "scheme", "Digest", a.scheme);
	ck_assert(sip_auth_param_find(a.params, "nonce", &t));
	expect_tstr("ext", "nonce", "n,1", t);
	ck_assert(sip_msg_has_token(m, SIP_HDR_SUPPORTED, "100rel"));
	ck_assert(sip_msg_has_token(m, SIP_HDR_ALLOW, "BYE"));
	ck_assert_int_eq(sip_msg_content_disposition(m, &t, &p), 0);
	expect_tstr("ext", "disposition", "session", t);
	/* Max-Forwards 0 on an UPDATE: RFC 3261 16.3 */
	ck_assert_uint_eq(sip_msg_check_uas(m, NULL, NULL), SIP_TOO_MANY_HOPS);
	talloc_free(m);
}
END_TEST

START_TEST(test_uri)
{
	struct sip_uri u;
	char out[16];

	ck_assert_int_eq(sip_uri_decode(TSTR_LIT("sips:u:pw@[::1]:5061;transport=tcp;lr?X=y"), &u),
			 0);
	ck_assert_int_eq(u.scheme, SIP_URI_SIPS);
	expect_tstr("uri", "password", "pw", u.password);
	expect_tstr("uri", "host", "::1", u.host);
	ck_assert_uint_eq(u.port, 5061);
	expect_tstr("uri", "headers", "X=y", u.headers);
	ck_assert(sip_param_find(u.params, "lr", &u.user));
	/* RFC 4475 3.1.1.4: escaped NULs stay bytes */
	ck_assert_int_eq(sip_unescape(TSTR_LIT("null-%00-null"), out, sizeof(out)), 11);
	ck_assert_int_eq(out[5], 0);
	ck_assert_int_eq(memcmp(out, "null-\0-null", 11), 0);
	ck_assert(sip_uri_user_eq(TSTR_LIT("%75se%72"), TSTR_LIT("user")));
	ck_assert_int_eq(sip_unescape(TSTR_LIT("%4"), out, sizeof(out)), -EBADMSG);
	ck_assert_int_eq(sip_uri_decode(TSTR_LIT("sip:a@b:70000"), &u), -EBADMSG);
	ck_assert_int_eq(sip_uri_decode(TSTR_LIT("sip:a@@b"), &u), -EBADMSG);
	ck_assert_int_eq(sip_uri_decode(TSTR_LIT("sip:a%zz@b"), &u), -EBADMSG);
	ck_assert_int_eq(sip_uri_decode(TSTR_LIT("tel:"), &u), -EBADMSG);
	ck_assert_int_eq(sip_uri_decode(TSTR_LIT("sip:[2001:db8::1"), &u), -EBADMSG);
}
END_TEST

START_TEST(test_multipart)
{
	static char buf[MAX_FILE];
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg);
	struct sip_mime_part parts[4];
	size_t len = read_vec("mpart01.sip", buf);
	unsigned n = 0;

	ck_assert_int_eq(sip_msg_parse(m, buf, len, NULL), 0);
	ck_assert_int_eq(sip_msg_multipart(m, parts, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	expect_tstr("mpart01", "part 0 type", "text/plain", parts[0].content_type);
	expect_tstr("mpart01", "part 0 body", "Hello", parts[0].body);
	expect_tstr("mpart01", "part 1 type", "application/octet-stream", parts[1].content_type);
	/* RFC 4475 3.1.1.11: 342 octets of CMS with NULs, framed exactly */
	ck_assert_uint_eq(parts[1].body.len, 342);
	ck_assert_int_eq((unsigned char)parts[1].body.p[0], 0x30);
	ck_assert_int_eq((unsigned char)parts[1].body.p[341], 0x05);
	ck_assert_ptr_nonnull(memchr(parts[1].body.p, 0, parts[1].body.len));
	ck_assert_int_eq(sip_msg_multipart(m, parts, 1, &n), -ENOSPC);
	ck_assert_int_eq(sip_multipart_split(m->body, TSTR_LIT("nope"), parts, 4, &n), -EBADMSG);
	/* a part without headers, and the close delimiter missing */
	ck_assert_int_eq(sip_multipart_split(TSTR_LIT("--b\r\n\r\nx\r\n--b--\r\n"), TSTR_LIT("b"),
					     parts, 4, &n),
			 0);
	ck_assert_uint_eq(n, 1);
	expect_tstr("hdrless", "body", "x", parts[0].body);
	ck_assert_int_eq(
		sip_multipart_split(TSTR_LIT("--b\r\n\r\nx\r\n"), TSTR_LIT("b"), parts, 4, &n),
		-EBADMSG);
	ck_assert_int_eq(sip_msg_multipart(m, parts, 4, &n), 0);
	talloc_free(m);
}
END_TEST

#define HDRS(method)                                                                \
	"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKt1\r\nTo: <sip:gw@192.0.2.9>\r\n" \
	"From: <sip:a@example.com>;tag=f1\r\nCall-ID: t1@192.0.2.1\r\nCSeq: 1 " method "\r\n"

/* RFC 3261 8.2 answers beyond the torture messages. */
static const struct {
	const char *msg;
	unsigned reply;
} uas_cases[] = {
	/* 10.2.2: "*" only in a REGISTER */
	{"INVITE sip:gw@192.0.2.9 SIP/2.0\r\n" HDRS("INVITE") "Contact: *\r\nl: 0\r\n\r\n", 400},
	{"REGISTER sip:gw SIP/2.0\r\n" HDRS("REGISTER") "Contact: *\r\nExpires: 0\r\nl: 0\r\n\r\n",
	 405},
	/* 16.3: Max-Forwards 0 on anything but OPTIONS */
	{"BYE sip:gw@192.0.2.9 SIP/2.0\r\n" HDRS("BYE") "Max-Forwards: 0\r\nl: 0\r\n\r\n", 483},
	/* 8.2.2.3: understood extension; none checked for CANCEL/ACK */
	{"OPTIONS sip:gw@192.0.2.9 SIP/2.0\r\n" HDRS("OPTIONS") "Require: 100rel\r\nl: 0\r\n\r\n",
	 0},
	{"CANCEL sip:gw@192.0.2.9 SIP/2.0\r\n" HDRS("CANCEL") "Require: foo\r\nl: 0\r\n\r\n", 0},
	/* 8.2.3: unknown encoding; 20.15: a body needs its type */
	{"INVITE sip:gw@192.0.2.9 SIP/2.0\r\n" HDRS(
		 "INVITE") "Content-Type: application/sdp\r\nContent-Encoding: gzip\r\nl: "
			   "3\r\n\r\nv=0",
	 415},
	{"INVITE sip:gw@192.0.2.9 SIP/2.0\r\n" HDRS("INVITE") "l: 3\r\n\r\nv=0", 400},
	/* SIP-I: multipart with SDP and ISUP (RFC 3204) is processed */
	{"INVITE sip:gw@192.0.2.9 SIP/2.0\r\n" HDRS(
		 "INVITE") "Content-Type: multipart/mixed;boundary=b1\r\nl: 94\r\n\r\n"
			   "--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n"
			   "--b1\r\nContent-Type: application/isup\r\n\r\n\x01\x02\r\n--b1--",
	 0},
	/* tel: Request-URI is processed; Date in GMT is fine */
	{"INVITE tel:+4930123 SIP/2.0\r\n" HDRS(
		 "INVITE") "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\nl: 0\r\n\r\n",
	 0},
	/* 8.1.1.5: CSeq below 2**31 */
	{"BYE sip:gw SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\nTo: <sip:a@b>\r\n"
	 "From: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 2147483648 BYE\r\n\r\n",
	 400},
};

START_TEST(test_uas_case)
{
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg);
	const char *why = NULL;
	unsigned st;

	ck_assert_int_eq(sip_msg_parse(m, uas_cases[_i].msg, strlen(uas_cases[_i].msg), NULL), 0);
	st = sip_msg_check_uas(m, NULL, &why);
	ck_assert_msg(st == uas_cases[_i].reply, "case %d: %u (%s), want %u", _i, st,
		      why ? why : "", uas_cases[_i].reply);
	talloc_free(m);
}
END_TEST

START_TEST(test_status_line)
{
	struct sip_msg *m = talloc_zero(NULL, struct sip_msg);
	static const char no_reason[] = "SIP/2.0 180\r\n\r\n", v3[] = "SIP/3.0 200 OK\r\n\r\n";

	ck_assert_int_eq(sip_msg_parse(m, no_reason, sizeof(no_reason) - 1, NULL), 0);
	ck_assert_uint_eq(m->status, 180);
	ck_assert_uint_eq(m->reason.len, 0);
	/* headers a response needs are missing: it is discarded */
	ck_assert_int_eq(sip_msg_check_response(m, NULL), -EBADMSG);
	ck_assert_int_eq(sip_msg_parse(m, v3, sizeof(v3) - 1, NULL), -EBADMSG);
	ck_assert(!m->is_request);
	talloc_free(m);
}
END_TEST

Suite *sip_msg_suite(void)
{
	Suite *s = suite_create("sip_msg");
	TCase *tc = unit_tcase("torture");

	load_index();
	tcase_add_test(tc, test_index_complete);
	tcase_add_loop_test(tc, test_torture_vector, 0, n_vecs);
	suite_add_tcase(s, tc);
	tc = unit_tcase("parser");
	tcase_add_test(tc, test_stream_framing);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_header_index);
	tcase_add_test(tc, test_header_decoders);
	tcase_add_test(tc, test_uri);
	tcase_add_test(tc, test_multipart);
	tcase_add_test(tc, test_status_line);
	tcase_add_loop_test(tc, test_uas_case, 0, sizeof(uas_cases) / sizeof(uas_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}
