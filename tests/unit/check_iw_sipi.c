/* interwork/iw_sipi: SIP-I / SIP-T bodies (RFC 3204, RFC 3372, Q.1912.5). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interwork/iw_sipi.h"
#include "sigtran/isup_msg.h"
#include "sigtran/isup_param.h"
#include "sip/sip_msg.h"
#include "tests/unit/unit.h"

static const char sdp_offer[] = "v=0\r\n"
				"o=tandem 1 1 IN IP4 192.0.2.1\r\n"
				"s=-\r\n"
				"c=IN IP4 192.0.2.1\r\n"
				"t=0 0\r\n"
				"m=audio 4000 RTP/AVP 8 0 101\r\n"
				"a=rtpmap:101 telephone-event/8000\r\n";

/* A SIP request around a body, for sip_msg_parse(). */
static size_t wrap(char *out, size_t size, const char *method, const char *ctype, const char *body,
		   size_t blen)
{
	int n = snprintf(out, size,
			 "%s sip:+4930123456@gw.example.net SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKiwsipi\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: <sip:a@example.com>;tag=1\r\n"
			 "To: <sip:b@example.net>\r\n"
			 "Call-ID: iwsipi@192.0.2.1\r\n"
			 "CSeq: 1 %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 method, method, ctype, blen);

	ck_assert(n > 0 && (size_t)n + blen <= size);
	memcpy(out + n, body, blen);
	return (size_t)n + blen;
}

static bool tstr_eq_mem(struct tstr t, const void *p, size_t n)
{
	return t.len == n && memcmp(t.p, p, n) == 0;
}

/* An ITU IAM from the real encoder, CIC first. */
static int encode_iam(uint16_t cic, uint8_t *buf, size_t size)
{
	static const uint8_t nci = 0x00, fci[2] = {0x20, 0x01}, cpc = 0x0a, tmr = 0x03;
	struct isup_number cdpn = {.noa = 3, .npi = 1};
	uint8_t cd[16];
	struct isup_msg m;
	int n;

	strcpy(cdpn.digits, "4930123456");
	n = isup_number_encode(ISUP_PAR_CALLED_PARTY_NUMBER, &cdpn, cd, sizeof(cd));
	ck_assert_int_gt(n, 0);
	isup_msg_init(&m, ISUP_MT_IAM, cic);
	ck_assert_int_eq(isup_msg_add(&m, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &nci, 1), 0);
	ck_assert_int_eq(isup_msg_add(&m, ISUP_PAR_FORWARD_CALL_INDICATORS, fci, 2), 0);
	ck_assert_int_eq(isup_msg_add(&m, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1), 0);
	ck_assert_int_eq(isup_msg_add(&m, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &tmr, 1), 0);
	ck_assert_int_eq(isup_msg_add(&m, ISUP_PAR_CALLED_PARTY_NUMBER, cd, (size_t)n), 0);
	return isup_msg_encode(ISUP_VAR_ITU, &m, buf, size);
}

static void expect_number(const struct isup_msg *m, uint8_t code, const char *digits)
{
	const struct isup_param *p = isup_msg_param(m, code);
	struct isup_number num;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_number_decode(code, p->val, p->len, &num), 0);
	ck_assert_str_eq(num.digits, digits);
}

START_TEST(test_roundtrip_sipi)
{
	uint8_t iam[128], full[130];
	const uint8_t *isup;
	size_t isup_len;
	uint16_t cic;
	char body[1024], ctype[128], msgbuf[2048];
	struct sip_msg *m = malloc(sizeof(*m));
	struct iw_sipi_body b;
	struct isup_msg dec;
	enum isup_decode_err err;
	enum isup_variant var;
	int n = encode_iam(42, iam, sizeof(iam)), blen;
	size_t mlen;

	ck_assert_int_gt(n, 3);
	ck_assert_int_eq(iw_sipi_isup_strip_cic(iam, (size_t)n, &isup, &isup_len, &cic), 0);
	ck_assert_uint_eq(cic, 42);
	ck_assert_uint_eq(isup[0], ISUP_MT_IAM);
	blen = iw_sipi_build(body, sizeof(body), sdp_offer, strlen(sdp_offer), isup, isup_len,
			     IW_SIPI_ITU_T92, "tandem-b1", ctype, sizeof(ctype));
	ck_assert_int_gt(blen, 0);
	ck_assert_str_eq(ctype, "multipart/mixed;boundary=tandem-b1");
	ck_assert_ptr_nonnull(memmem(body, (size_t)blen,
				     "Content-Type: application/isup; version=itu-t92+\r\n"
				     "Content-Disposition: signal; handling=optional\r\n",
				     98));

	mlen = wrap(msgbuf, sizeof(msgbuf), "INVITE", ctype, body, (size_t)blen);
	ck_assert_int_eq(sip_msg_parse(m, msgbuf, mlen, NULL), 0);
	ck_assert_int_eq(iw_sipi_parse(m, &b), 0);
	ck_assert(b.has_sdp && b.has_isup);
	ck_assert(tstr_eq_cstr(b.sdp, sdp_offer));
	ck_assert(tstr_eq_mem(b.isup, isup, isup_len));
	ck_assert(tstr_eq_cstr(b.version, "itu-t92+"));
	ck_assert_uint_eq(b.base.len, 0);
	ck_assert_uint_eq(b.ignored, 0);
	ck_assert_int_eq(iw_sipi_variant(b.version, &var), 0);
	ck_assert_int_eq(var, ISUP_VAR_ITU);

	n = iw_sipi_isup_with_cic(full, sizeof(full), 42, (const uint8_t *)b.isup.p, b.isup.len);
	ck_assert_int_eq(n, (int)isup_len + 2);
	ck_assert_int_eq(isup_msg_decode(var, full, (size_t)n, &dec, &err), 0);
	ck_assert_uint_eq(dec.type, ISUP_MT_IAM);
	ck_assert_uint_eq(dec.cic, 42);
	expect_number(&dec, ISUP_PAR_CALLED_PARTY_NUMBER, "4930123456");
	free(m);
}
END_TEST

/* SIP-T: an ANSI REL alone in a BYE (ISUP only, no SDP). */
START_TEST(test_roundtrip_sipt_isup_only)
{
	struct isup_cause cause = {.coding_standard = 0, .location = 0, .value = 16};
	uint8_t cv[8], rel[32], full[34];
	const uint8_t *isup;
	size_t isup_len;
	uint16_t cic;
	char body[512], ctype[128], msgbuf[1024];
	struct sip_msg *m = malloc(sizeof(*m));
	struct iw_sipi_body b;
	struct isup_msg msg, dec;
	enum isup_decode_err err;
	enum isup_variant var;
	struct isup_cause got;
	const struct isup_param *p;
	int n, blen;

	n = isup_cause_encode(&cause, cv, sizeof(cv));
	ck_assert_int_gt(n, 0);
	isup_msg_init(&msg, ISUP_MT_REL, 0x2abc);
	ck_assert_int_eq(isup_msg_add(&msg, ISUP_PAR_CAUSE_INDICATORS, cv, (size_t)n), 0);
	n = isup_msg_encode(ISUP_VAR_ANSI, &msg, rel, sizeof(rel));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(iw_sipi_isup_strip_cic(rel, (size_t)n, &isup, &isup_len, &cic), 0);
	ck_assert_uint_eq(cic, 0x2abc);

	blen = iw_sipi_build(body, sizeof(body), NULL, 0, isup, isup_len, IW_SIPI_ANSI00, "xyz",
			     ctype, sizeof(ctype));
	ck_assert_int_gt(blen, 0);
	ck_assert_ptr_null(memmem(body, (size_t)blen, "application/sdp", 15));
	wrap(msgbuf, sizeof(msgbuf), "BYE", ctype, body, (size_t)blen);
	ck_assert_int_eq(
		sip_msg_parse(m, msgbuf, strlen(msgbuf) - strlen(body) + (size_t)blen, NULL), 0);
	ck_assert_int_eq(iw_sipi_parse(m, &b), 0);
	ck_assert(!b.has_sdp && b.has_isup);
	ck_assert_uint_eq(b.sdp.len, 0);
	ck_assert(tstr_eq_cstr(b.version, "ansi00"));
	ck_assert_int_eq(iw_sipi_variant(b.version, &var), 0);
	ck_assert_int_eq(var, ISUP_VAR_ANSI);
	n = iw_sipi_isup_with_cic(full, sizeof(full), 0x2abc, (const uint8_t *)b.isup.p,
				  b.isup.len);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(isup_msg_decode(var, full, (size_t)n, &dec, &err), 0);
	ck_assert_uint_eq(dec.type, ISUP_MT_REL);
	ck_assert_uint_eq(dec.cic, 0x2abc);
	p = isup_msg_param(&dec, ISUP_PAR_CAUSE_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_cause_decode(p->val, p->len, &got), 0);
	ck_assert_uint_eq(got.value, 16);
	free(m);
}
END_TEST

START_TEST(test_sdp_only)
{
	char body[1024], ctype[64];
	struct iw_sipi_body b;
	int blen = iw_sipi_build(body, sizeof(body), sdp_offer, strlen(sdp_offer), NULL, 0,
				 IW_SIPI_ITU_T92, "sdp-only", ctype, sizeof(ctype));

	ck_assert_int_gt(blen, 0);
	ck_assert_ptr_null(memmem(body, (size_t)blen, "isup", 4));
	ck_assert_int_eq(iw_sipi_decode(tstr_make(ctype, strlen(ctype)), TSTR_NULL,
					tstr_make(body, (size_t)blen), &b),
			 0);
	ck_assert(b.has_sdp && !b.has_isup);
	ck_assert(tstr_eq_cstr(b.sdp, sdp_offer));

	/* a plain application/sdp body (RFC 3398 trunk) counts too */
	ck_assert_int_eq(iw_sipi_decode(TSTR_LIT("Application/SDP"), TSTR_NULL,
					tstr_make(sdp_offer, strlen(sdp_offer)), &b),
			 0);
	ck_assert(b.has_sdp && !b.has_isup && b.sdp.p == sdp_offer);

	/* no body at all */
	ck_assert_int_eq(iw_sipi_decode(TSTR_NULL, TSTR_NULL, TSTR_NULL, &b), 0);
	ck_assert(!b.has_sdp && !b.has_isup);
	/* a body without a Content-Type */
	ck_assert_int_eq(iw_sipi_decode(TSTR_NULL, TSTR_NULL, TSTR_LIT("v=0\r\n"), &b), -EBADMSG);
}
END_TEST

/* A non-multipart application/isup body, its disposition in the SIP header. */
START_TEST(test_single_isup_body)
{
	static const uint8_t rel[] = {0x0c, 0x02, 0x00, 0x02, 0x80, 0x90};
	struct tstr body = tstr_make((const char *)rel, sizeof(rel));
	struct iw_sipi_body b;

	ck_assert_int_eq(iw_sipi_decode(TSTR_LIT("application/ISUP;version=itu-t92+;base=etsi356"),
					TSTR_LIT("signal;handling=optional"), body, &b),
			 0);
	ck_assert(b.has_isup && !b.has_sdp);
	ck_assert(tstr_eq_mem(b.isup, rel, sizeof(rel)));
	ck_assert(tstr_eq_cstr(b.version, "itu-t92+"));
	ck_assert(tstr_eq_cstr(b.base, "etsi356"));
	/* no Content-Disposition: the ISUP type is understood all the same */
	ck_assert_int_eq(
		iw_sipi_decode(TSTR_LIT("application/isup;version=ansi00"), TSTR_NULL, body, &b),
		0);
	ck_assert(b.has_isup);
	/* understood type, disposition we do not know, handling required */
	ck_assert_int_eq(iw_sipi_decode(TSTR_LIT("application/isup;version=ansi00"),
					TSTR_LIT("render;handling=required"), body, &b),
			 -ENOTSUP);
	/* an unknown single body: handling defaults to required */
	ck_assert_int_eq(iw_sipi_decode(TSTR_LIT("application/qsig"), TSTR_NULL, body, &b),
			 -ENOTSUP);
	ck_assert_int_eq(iw_sipi_decode(TSTR_LIT("application/qsig"),
					TSTR_LIT("signal; handling=optional"), body, &b),
			 0);
	ck_assert(!b.has_isup && !b.has_sdp && b.ignored == 1);
}
END_TEST

/* Read the vector: '#' lines dropped, lines sent with CRLF, %hex lines as
 * bytes, %len filled in. */
static size_t load_vector(const char *rel, char *out, size_t size)
{
	FILE *f = fopen(unit_vector_path(rel), "r");
	static char body[4096];
	char line[512], hdr[4096];
	size_t hlen = 0, blen = 0;
	bool in_body = false;
	int n;

	ck_assert_msg(f != NULL, "cannot open %s", rel);
	while (fgets(line, sizeof(line), f)) {
		char *dst = in_body ? body : hdr;
		size_t *len = in_body ? &blen : &hlen;

		if (line[0] == '#')
			continue;
		line[strcspn(line, "\r\n")] = 0;
		if (!strncmp(line, "%hex ", 5)) {
			char *p = line + 5, *e;

			for (;;) {
				unsigned long v = strtoul(p, &e, 16);

				if (e == p)
					break;
				ck_assert(v <= 0xff && *len < 4000);
				dst[(*len)++] = (char)v;
				p = e;
			}
		} else {
			ck_assert(*len + strlen(line) + 2 < 4000);
			memcpy(dst + *len, line, strlen(line));
			*len += strlen(line);
		}
		memcpy(dst + *len, "\r\n", 2);
		*len += 2;
		if (!in_body && !line[0])
			in_body = true;
	}
	fclose(f);
	ck_assert(in_body);
	hdr[hlen] = 0;
	{
		char *at = strstr(hdr, "%len");
		char num[16];

		ck_assert_ptr_nonnull(at);
		snprintf(num, sizeof(num), "%zu", blen);
		n = snprintf(out, size, "%.*s%s%s", (int)(at - hdr), hdr, num, at + 4);
	}
	ck_assert(n > 0 && (size_t)n + blen <= size);
	memcpy(out + n, body, blen);
	return (size_t)n + blen;
}

START_TEST(test_vector_invite)
{
	static char buf[8192];
	size_t len = load_vector("interwork/sipi_invite.txt", buf, sizeof(buf));
	struct sip_msg *m = malloc(sizeof(*m));
	struct iw_sipi_body b;
	struct isup_msg dec;
	enum isup_decode_err err;
	enum isup_variant var;
	uint8_t full[128];
	int n;

	ck_assert_int_eq(sip_msg_parse(m, buf, len, NULL), 0);
	ck_assert_int_eq(m->meth, SIP_METHOD_INVITE);
	ck_assert_int_eq(iw_sipi_parse(m, &b), 0);
	ck_assert(b.has_sdp && b.has_isup);
	ck_assert(b.sdp.len > 10 && !memcmp(b.sdp.p, "v=0\r\n", 5));
	ck_assert(!memcmp(b.sdp.p + b.sdp.len - 9, "PCMA/8000", 9));
	ck_assert(tstr_eq_cstr(b.version, "itu-t92+"));
	ck_assert(tstr_eq_cstr(b.base, "itu-t92+"));
	ck_assert_uint_eq(b.isup.len, 26);
	ck_assert_int_eq(iw_sipi_variant(b.version, &var), 0);
	n = iw_sipi_isup_with_cic(full, sizeof(full), 7, (const uint8_t *)b.isup.p, b.isup.len);
	ck_assert_int_eq(n, 28);
	ck_assert_int_eq(isup_msg_decode(var, full, (size_t)n, &dec, &err), 0);
	ck_assert_uint_eq(dec.type, ISUP_MT_IAM);
	ck_assert_uint_eq(dec.cic, 7);
	expect_number(&dec, ISUP_PAR_CALLED_PARTY_NUMBER, "4930123456");
	expect_number(&dec, ISUP_PAR_CALLING_PARTY_NUMBER, "3012345678");
	free(m);
}
END_TEST

#define PART_SDP "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n"
/* no NUL in it: decode_b() takes strlen() */
#define PART_ISUP               \
	"--b\r\nContent-Type: " \
	"application/isup;version=itu-t92+\r\n\r\n\x0c\x02\x05\x02\x80\x90\r\n"

static int decode_b(const char *body, struct iw_sipi_body *b)
{
	return iw_sipi_decode(TSTR_LIT("multipart/mixed; boundary=b"), TSTR_NULL,
			      tstr_make(body, strlen(body)), b);
}

START_TEST(test_unknown_parts)
{
	struct iw_sipi_body b;

	ck_assert_int_eq(decode_b(PART_SDP PART_ISUP "--b--\r\n", &b), 0);
	ck_assert(b.has_sdp && b.has_isup && b.ignored == 0);
	/* RFC 3204 / RFC 3261 20.11: unknown and required -> 415 */
	ck_assert_int_eq(decode_b(PART_SDP PART_ISUP
				  "--b\r\nContent-Type: application/x-foo\r\n"
				  "Content-Disposition: signal;handling=required\r\n"
				  "\r\nfoo\r\n--b--\r\n",
				  &b),
			 -ENOTSUP);
	/* no handling parameter: required is assumed */
	ck_assert_int_eq(decode_b(PART_SDP "--b\r\nContent-Type: application/x-foo\r\n"
					   "Content-Disposition: render\r\n\r\nfoo\r\n" PART_ISUP
					   "--b--\r\n",
				  &b),
			 -ENOTSUP);
	/* no Content-Disposition at all: also required */
	ck_assert_int_eq(decode_b(PART_SDP "--b\r\nContent-Type: application/x-foo\r\n\r\nfoo\r\n"
					   "--b--\r\n",
				  &b),
			 -ENOTSUP);
	/* no Content-Type: text/plain, not ours */
	ck_assert_int_eq(decode_b(PART_SDP "--b\r\n\r\nhello\r\n--b--\r\n", &b), -ENOTSUP);
	/* optional: skipped, the rest still found */
	ck_assert_int_eq(decode_b(PART_SDP "--b\r\nContent-Type: application/x-foo\r\n"
					   "content-disposition: signal ; HANDLING = Optional\r\n"
					   "\r\nfoo\r\n" PART_ISUP "--b--\r\n",
				  &b),
			 0);
	ck_assert(b.has_sdp && b.has_isup && b.ignored == 1);
	ck_assert(tstr_eq_cstr(b.sdp, "v=0"));
	ck_assert(tstr_eq_mem(b.isup, "\x0c\x02\x05\x02\x80\x90", 6));
}
END_TEST

START_TEST(test_malformed)
{
	static const char *const bad[] = {
		"",							  /* no delimiter */
		PART_SDP,						  /* no close delimiter */
		PART_SDP PART_SDP "--b--\r\n",				  /* two SDP parts */
		PART_ISUP PART_ISUP "--b--\r\n",			  /* two ISUP parts */
		"--b\r\nno colon here\r\n\r\nx\r\n--b--\r\n",		  /* part header */
		"--b\r\nContent-Type: application\r\n\r\nx\r\n--b--\r\n", /* bad type */
		"--b\r\nContent-Type: application/sdp\r\nContent-Disposition: ;x\r\n\r\nv=0\r\n"
		"--b--\r\n",
		"--b\r\nContent-Type: application/sdp\r\nContent-Disposition: session\r\n"
		"Content-Disposition: session\r\n\r\nv=0\r\n--b--\r\n",
		"--b\r\nContent-Type: application/sdp", /* headers never end */
	};
	struct iw_sipi_body b = {.ignored = 77};
	char good[512];
	size_t i, glen;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(decode_b(bad[i], &b) == -EBADMSG, "bad[%zu]", i);
	ck_assert_uint_eq(b.ignored, 77); /* untouched on failure */
	/* multipart without a boundary parameter */
	ck_assert_int_eq(iw_sipi_decode(TSTR_LIT("multipart/mixed"), TSTR_NULL,
					TSTR_LIT(PART_SDP "--b--\r\n"), &b),
			 -EBADMSG);
	ck_assert_int_eq(iw_sipi_decode(TSTR_LIT("multipart"), TSTR_NULL,
					TSTR_LIT(PART_SDP "--b--\r\n"), &b),
			 -EBADMSG);

	/* every cut of a good body: an error or a result, never a bad read
	 * (exact-size copies, so the sanitizer build sees any over-read) */
	glen = (size_t)snprintf(good, sizeof(good), "%s", PART_SDP PART_ISUP "--b--\r\n");
	for (i = 0; i <= glen; i++) {
		char *cut = malloc(i ? i : 1);
		int rc;

		memcpy(cut, good, i);
		rc = iw_sipi_decode(TSTR_LIT("multipart/mixed;boundary=b"), TSTR_NULL,
				    tstr_make(cut, i), &b);
		ck_assert(rc == 0 || rc == -EBADMSG);
		if (rc == 0)
			ck_assert(b.sdp.len <= i && b.isup.len <= i);
		free(cut);
	}
}
END_TEST

START_TEST(test_build_errors)
{
	static const uint8_t isup[] = {0x0c, 0x02, 0x00, 0x02, 0x80, 0x90};
	char body[512], ctype[64], big[80];
	struct iw_sipi_body b;
	int need, n;
	size_t s;

	/* neither part */
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), NULL, 0, NULL, 0, IW_SIPI_ITU_T92, "b",
				       ctype, sizeof(ctype)),
			 -EINVAL);
	/* boundary: empty, too long, not bchars, ending in a space */
	memset(big, 'a', 71);
	big[71] = 0;
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), "v=0\r\n", 5, NULL, 0, IW_SIPI_ITU_T92,
				       big, ctype, sizeof(ctype)),
			 -EINVAL);
	big[70] = 0;
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), "v=0\r\n", 5, NULL, 0, IW_SIPI_ITU_T92,
				       big, ctype, sizeof(ctype)),
			 -ENOSPC); /* ctype too small for it */
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), "v=0\r\n", 5, NULL, 0, IW_SIPI_ITU_T92,
				       "", ctype, sizeof(ctype)),
			 -EINVAL);
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), "v=0\r\n", 5, NULL, 0, IW_SIPI_ITU_T92,
				       "a;b", ctype, sizeof(ctype)),
			 -EINVAL);
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), "v=0\r\n", 5, NULL, 0, IW_SIPI_ITU_T92,
				       "ab ", ctype, sizeof(ctype)),
			 -EINVAL);
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), NULL, 0, isup, sizeof(isup),
				       (enum iw_sipi_version)9, "b", ctype, sizeof(ctype)),
			 -EINVAL);
	/* the boundary inside a content */
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), "v=0\r\n--zz\r\n", 11, NULL, 0,
				       IW_SIPI_ITU_T92, "zz", ctype, sizeof(ctype)),
			 -EEXIST);
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), NULL, 0, (const uint8_t *)"\x01--zz", 5,
				       IW_SIPI_ITU_T92, "zz", ctype, sizeof(ctype)),
			 -EEXIST);

	/* a boundary that is not a SIP token gets quoted and still parses */
	need = iw_sipi_build(body, sizeof(body), "v=0\r\n", 5, isup, sizeof(isup), IW_SIPI_ITU_T92,
			     "a:b=c d", ctype, sizeof(ctype));
	ck_assert_int_gt(need, 0);
	ck_assert_str_eq(ctype, "multipart/mixed;boundary=\"a:b=c d\"");
	ck_assert_int_eq(iw_sipi_decode(tstr_make(ctype, strlen(ctype)), TSTR_NULL,
					tstr_make(body, (size_t)need), &b),
			 0);
	ck_assert(b.has_sdp && b.has_isup && tstr_eq_mem(b.isup, isup, sizeof(isup)));

	/* every buffer too small says so; the exact size fits */
	for (s = 0; s < (size_t)need; s++)
		ck_assert_int_eq(iw_sipi_build(body, s, "v=0\r\n", 5, isup, sizeof(isup),
					       IW_SIPI_ITU_T92, "a:b=c d", ctype, sizeof(ctype)),
				 -ENOSPC);
	n = iw_sipi_build(body, (size_t)need, "v=0\r\n", 5, isup, sizeof(isup), IW_SIPI_ITU_T92,
			  "a:b=c d", ctype, sizeof(ctype));
	ck_assert_int_eq(n, need);
	ck_assert_int_eq(iw_sipi_build(body, sizeof(body), "v=0\r\n", 5, isup, sizeof(isup),
				       IW_SIPI_ITU_T92, "b", ctype, 26),
			 -ENOSPC);
}
END_TEST

/* Q.1912.5 profile C on receipt: which backward message a SIP message may
 * carry, and the bodies of tests/integration/sipp/uas_sipi.xml decoded as
 * the call does (body -> CIC in front -> isup_msg_decode). */
START_TEST(test_backward_fits)
{
	static const char mp[] = "--b1x\r\n"
				 "Content-Type: application/isup;version=itu-t92+\r\n"
				 "Content-Disposition: signal;handling=optional\r\n\r\n"
				 "\x06\x15\x11\x01\x29\x01\x02\x00\r\n"
				 "--b1x--\r\n";
	static const uint8_t cpg_bad[] = {0x2c}, rel[] = {0x0c, 0x02, 0x00, 0x02, 0x82, 0x9f};
	struct iw_sipi_body b;
	struct isup_msg m;
	struct isup_bci bci;
	struct isup_cause cause;
	enum isup_decode_err err;
	const struct isup_param *p;
	uint8_t store[64], obci = 0;
	int n;

	/* 18x: ACM first, then CPG; never ANM/REL */
	ck_assert(iw_sipi_fits("180", ISUP_MT_ACM, false));
	ck_assert(iw_sipi_fits("183", ISUP_MT_ACM, false));
	ck_assert(!iw_sipi_fits("180", ISUP_MT_ACM, true));
	ck_assert(iw_sipi_fits("183", ISUP_MT_CPG, true));
	ck_assert(!iw_sipi_fits("183", ISUP_MT_CPG, false));
	ck_assert(!iw_sipi_fits("180", ISUP_MT_ANM, true));
	ck_assert(!iw_sipi_fits("180", ISUP_MT_REL, false));
	/* 2xx: CON before any ACM, ANM after */
	ck_assert(iw_sipi_fits("200", ISUP_MT_CON, false));
	ck_assert(!iw_sipi_fits("200", ISUP_MT_CON, true));
	ck_assert(iw_sipi_fits("200", ISUP_MT_ANM, true));
	ck_assert(!iw_sipi_fits("200", ISUP_MT_ANM, false));
	ck_assert(!iw_sipi_fits("200", ISUP_MT_REL, true));
	/* failures and hang-ups: REL only */
	ck_assert(iw_sipi_fits("486", ISUP_MT_REL, false));
	ck_assert(iw_sipi_fits("302", ISUP_MT_REL, true));
	ck_assert(!iw_sipi_fits("486", ISUP_MT_ACM, false));
	ck_assert(iw_sipi_fits("BYE", ISUP_MT_REL, true));
	ck_assert(iw_sipi_fits("cancel", ISUP_MT_REL, false));
	ck_assert(!iw_sipi_fits("BYE", ISUP_MT_CPG, true));
	/* INFO: a CPG after the ACM */
	ck_assert(iw_sipi_fits("INFO", ISUP_MT_CPG, true));
	ck_assert(!iw_sipi_fits("INFO", ISUP_MT_CPG, false));
	ck_assert(!iw_sipi_fits("INFO", ISUP_MT_ANM, true));
	/* nonsense */
	ck_assert(!iw_sipi_fits("100", ISUP_MT_ACM, false));
	ck_assert(!iw_sipi_fits("18x", ISUP_MT_ACM, false));
	ck_assert(!iw_sipi_fits("99999", ISUP_MT_REL, false));
	ck_assert(!iw_sipi_fits("", ISUP_MT_REL, false));
	ck_assert(!iw_sipi_fits(NULL, ISUP_MT_REL, false));

	/* an INFO's dtmf-relay body is no SIP-I body (not malformed: the call
	 * tells the two apart) */
	ck_assert_int_eq(iw_sipi_decode(TSTR_LIT("application/dtmf-relay"), TSTR_LIT(""),
					TSTR_LIT("Signal=5\r\nDuration=160\r\n"), &b),
			 -ENOTSUP);

	/* the ACM of the 180: no charge, subscriber free, ISDN access; OBCI
	 * "call diversion may occur" */
	ck_assert_int_eq(iw_sipi_decode(TSTR_LIT("multipart/mixed;boundary=b1x"), TSTR_LIT(""),
					(struct tstr){mp, sizeof(mp) - 1}, &b),
			 0);
	ck_assert(b.has_isup && !b.has_sdp);
	ck_assert_uint_eq(b.isup.len, 8);
	n = iw_sipi_isup_with_cic(store, sizeof(store), 27, (const uint8_t *)b.isup.p, b.isup.len);
	ck_assert_int_eq(n, 10);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, store, (size_t)n, &m, &err), 0);
	ck_assert_uint_eq(m.type, ISUP_MT_ACM);
	ck_assert_uint_eq(m.cic, 27);
	p = isup_msg_param(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_bci_decode(p->val, p->len, &bci), 0);
	ck_assert_uint_eq(bci.charge, 1);
	ck_assert_uint_eq(bci.called_status, 1);
	ck_assert(bci.interworking && bci.isdn_access && !bci.echo_control_device);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS, &obci), 0);
	ck_assert_uint_eq(obci, 0x02);

	/* a CPG cut after its type: the decoder refuses it (the call logs and
	 * maps the 183 as plain SIP) */
	n = iw_sipi_isup_with_cic(store, sizeof(store), 27, cpg_bad, sizeof(cpg_bad));
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, store, (size_t)n, &m, &err), -EBADMSG);

	/* the REL of the BYE: cause 31, location 2 (public network, local user) */
	n = iw_sipi_isup_with_cic(store, sizeof(store), 27, rel, sizeof(rel));
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, store, (size_t)n, &m, &err), 0);
	p = isup_msg_param(&m, ISUP_PAR_CAUSE_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_cause_decode(p->val, p->len, &cause), 0);
	ck_assert_uint_eq(cause.value, 31);
	ck_assert_uint_eq(cause.location, 2);
}
END_TEST

START_TEST(test_cic)
{
	static const uint8_t body[] = {0x0c, 0x02, 0x00, 0x02, 0x80, 0x90};
	uint8_t out[16];
	const uint8_t *v;
	size_t vlen;
	uint16_t cic;

	ck_assert_int_eq(iw_sipi_isup_with_cic(out, sizeof(out), 0x0123, body, sizeof(body)), 8);
	/* Q.763 1.2: least significant octet first */
	ck_assert_uint_eq(out[0], 0x23);
	ck_assert_uint_eq(out[1], 0x01);
	ck_assert_mem_eq(out + 2, body, sizeof(body));
	ck_assert_int_eq(iw_sipi_isup_strip_cic(out, 8, &v, &vlen, &cic), 0);
	ck_assert_uint_eq(cic, 0x0123);
	ck_assert_ptr_eq(v, out + 2);
	ck_assert_uint_eq(vlen, sizeof(body));

	ck_assert_int_eq(iw_sipi_isup_with_cic(out, 7, 1, body, sizeof(body)), -ENOSPC);
	ck_assert_int_eq(iw_sipi_isup_with_cic(out, sizeof(out), 0x4000, body, sizeof(body)),
			 -ERANGE);
	ck_assert_int_eq(iw_sipi_isup_with_cic(out, sizeof(out), 1, body, 0), -EINVAL);
	ck_assert_int_eq(iw_sipi_isup_strip_cic(out, 2, &v, &vlen, &cic), -EBADMSG);

	/* version names and families */
	ck_assert_str_eq(iw_sipi_version_name(IW_SIPI_ITU_T92), "itu-t92+");
	ck_assert_str_eq(iw_sipi_version_name(IW_SIPI_ANSI00), "ansi00");
	{
		enum isup_variant var = ISUP_VAR_ANSI;

		ck_assert_int_eq(iw_sipi_variant(TSTR_LIT("ETSI356"), &var), 0);
		ck_assert_int_eq(var, ISUP_VAR_ITU);
		ck_assert_int_eq(iw_sipi_variant(TSTR_LIT("gr317"), &var), 0);
		ck_assert_int_eq(var, ISUP_VAR_ANSI);
		ck_assert_int_eq(iw_sipi_variant(TSTR_LIT("nxv3"), &var), -ENOTSUP);
		ck_assert_int_eq(iw_sipi_variant(TSTR_NULL, &var), -ENOTSUP);
	}
}
END_TEST

/* ITU <-> ANSI (Q.1912.5 between networks): what both code alike goes on */
START_TEST(test_convert_variants)
{
	static const uint8_t bci[] = {0x15, 0x11}, obci[] = {0x02}, pci[] = {0x01, 0x02};
	static const uint8_t cause_ansi[] = {0xc2, 0x97}; /* ANSI standard, loc 2, 23 */
	static const uint8_t cause_itu[] = {0x82, 0x9f, 0x2a};
	static const uint8_t nci[] = {0x00}, fci[] = {0x20, 0x01}, cpc[] = {0x0a}, tmr[] = {0x00};
	static const uint8_t called[] = {0x83, 0x10, 0x21, 0x43};
	uint8_t cbuf[IW_SIPI_CAUSE_MAX], enc[272];
	struct isup_msg in = {.cic = 5, .type = ISUP_MT_ACM}, out, dec;
	enum isup_decode_err err;
	unsigned dropped = 99;
	const struct isup_param *p;
	int n;

	/* ACM ITU -> ANSI: BCI and OBCI kept, parameter compatibility (ITU
	 * only) dropped; the result encodes and decodes as ANSI */
	in.p[in.nparams++] =
		(struct isup_param){ISUP_PAR_BACKWARD_CALL_INDICATORS, ISUP_PART_FIXED, 2, bci};
	in.p[in.nparams++] = (struct isup_param){ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS,
						 ISUP_PART_OPT, 1, obci};
	in.p[in.nparams++] = (struct isup_param){ISUP_PAR_PARAMETER_COMPATIBILITY_INFORMATION,
						 ISUP_PART_OPT, 2, pci};
	ck_assert_int_eq(iw_sipi_convert(ISUP_VAR_ITU, ISUP_VAR_ANSI, &in, &out, cbuf, &dropped),
			 0);
	ck_assert_uint_eq(dropped, 1);
	ck_assert_uint_eq(out.nparams, 2);
	n = isup_msg_encode(ISUP_VAR_ANSI, &out, enc, sizeof(enc));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ANSI, enc, (size_t)n, &dec, &err), 0);
	ck_assert_ptr_nonnull(p = isup_msg_param(&dec, ISUP_PAR_BACKWARD_CALL_INDICATORS));
	ck_assert_mem_eq(p->val, bci, 2);
	ck_assert_ptr_nonnull(isup_msg_param(&dec, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS));
	ck_assert_ptr_null(isup_msg_param(&dec, ISUP_PAR_PARAMETER_COMPATIBILITY_INFORMATION));

	/* the same variant: a copy, nothing dropped */
	ck_assert_int_eq(iw_sipi_convert(ISUP_VAR_ITU, ISUP_VAR_ITU, &in, &out, cbuf, &dropped), 0);
	ck_assert_uint_eq(out.nparams, 3);
	ck_assert_uint_eq(dropped, 0);

	/* CON has no ANSI counterpart */
	in.type = ISUP_MT_CON;
	ck_assert_int_eq(iw_sipi_convert(ISUP_VAR_ITU, ISUP_VAR_ANSI, &in, &out, cbuf, &dropped),
			 -ENOTSUP);

	/* REL ANSI -> ITU: an ANSI-standard cause gets the ITU coding
	 * standard, its ANSI-only value 23 becomes 127; an ITU cause as it is */
	in = (struct isup_msg){.cic = 5, .type = ISUP_MT_REL};
	in.p[in.nparams++] =
		(struct isup_param){ISUP_PAR_CAUSE_INDICATORS, ISUP_PART_VAR, 2, cause_ansi};
	ck_assert_int_eq(iw_sipi_convert(ISUP_VAR_ANSI, ISUP_VAR_ITU, &in, &out, cbuf, &dropped),
			 0);
	ck_assert_ptr_nonnull(p = isup_msg_param(&out, ISUP_PAR_CAUSE_INDICATORS));
	ck_assert_uint_eq(p->val[0], 0x82);
	ck_assert_uint_eq(p->val[1], 0x80 | 127);
	ck_assert_uint_eq(cause_ansi[0], 0xc2); /* the input is left alone */
	in.p[0] = (struct isup_param){ISUP_PAR_CAUSE_INDICATORS, ISUP_PART_VAR, 3, cause_itu};
	ck_assert_int_eq(iw_sipi_convert(ISUP_VAR_ANSI, ISUP_VAR_ITU, &in, &out, cbuf, &dropped),
			 0);
	ck_assert_ptr_eq(isup_msg_param(&out, ISUP_PAR_CAUSE_INDICATORS)->val, cause_itu);

	/* IAM ITU -> ANSI: the TMR (speech) becomes user service information
	 * (speech, 64 kbit/s, G.711); and back */
	in = (struct isup_msg){.cic = 5, .type = ISUP_MT_IAM};
	in.p[in.nparams++] = (struct isup_param){ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS,
						 ISUP_PART_FIXED, 1, nci};
	in.p[in.nparams++] =
		(struct isup_param){ISUP_PAR_FORWARD_CALL_INDICATORS, ISUP_PART_FIXED, 2, fci};
	in.p[in.nparams++] =
		(struct isup_param){ISUP_PAR_CALLING_PARTYS_CATEGORY, ISUP_PART_FIXED, 1, cpc};
	in.p[in.nparams++] = (struct isup_param){ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT,
						 ISUP_PART_FIXED, 1, tmr};
	in.p[in.nparams++] =
		(struct isup_param){ISUP_PAR_CALLED_PARTY_NUMBER, ISUP_PART_VAR, 4, called};
	ck_assert_int_eq(iw_sipi_convert(ISUP_VAR_ITU, ISUP_VAR_ANSI, &in, &out, cbuf, &dropped),
			 0);
	n = isup_msg_encode(ISUP_VAR_ANSI, &out, enc, sizeof(enc));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ANSI, enc, (size_t)n, &dec, &err), 0);
	ck_assert_ptr_nonnull(p = isup_msg_param(&dec, ISUP_PAR_USER_SERVICE_INFORMATION));
	ck_assert_uint_eq(p->len, 3);
	ck_assert_uint_eq(p->val[0], 0x80);
	ck_assert_ptr_null(isup_msg_param(&dec, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT));
	ck_assert_int_eq(iw_sipi_convert(ISUP_VAR_ANSI, ISUP_VAR_ITU, &dec, &out, cbuf, &dropped),
			 0);
	n = isup_msg_encode(ISUP_VAR_ITU, &out, enc, sizeof(enc));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, enc, (size_t)n, &dec, &err), 0);
	ck_assert_ptr_nonnull(p = isup_msg_param(&dec, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT));
	ck_assert_uint_eq(p->val[0], 0x00);
	ck_assert_ptr_nonnull(p = isup_msg_param(&dec, ISUP_PAR_CALLED_PARTY_NUMBER));
	ck_assert_mem_eq(p->val, called, 4);

	/* a bearer neither variant's counterpart can say: refused */
	in.p[3].val = (const uint8_t[]){0x06}; /* TMR 6: 1920 kbit/s */
	ck_assert_int_eq(iw_sipi_convert(ISUP_VAR_ITU, ISUP_VAR_ANSI, &in, &out, cbuf, &dropped),
			 -ENOTSUP);
}
END_TEST

/* Q.763 3.41 / Q.764 2.9.5.3: the decision for an unrecognised parameter
 * from the parameter compatibility information. */
static void pci_msg(struct isup_msg *m, const uint8_t *pci, size_t n)
{
	isup_msg_init(m, ISUP_MT_IAM, 1);
	if (pci)
		isup_msg_add(m, ISUP_PAR_PARAMETER_COMPATIBILITY_INFORMATION, pci, n);
}

START_TEST(test_param_compat)
{
	struct isup_msg m;
	bool notify;
	uint8_t ii;

	/* no PCI: pass on where possible, else drop the parameter */
	pci_msg(&m, NULL, 0);
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, true, &notify), ISUP_COMPAT_PASS_ON);
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, false, &notify), ISUP_COMPAT_DISCARD_PARAM);
	ck_assert(!notify);

	/* transit interpretation: pass on; not possible: bits G F */
	pci_msg(&m, (const uint8_t[]){0xfa, 0x80 | 0x40}, 2); /* GF 10 discard parameter */
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, true, NULL), ISUP_COMPAT_PASS_ON);
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, false, NULL), ISUP_COMPAT_DISCARD_PARAM);
	pci_msg(&m, (const uint8_t[]){0xfa, 0x80}, 2); /* GF 00 release call */
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, false, NULL), ISUP_COMPAT_RELEASE);
	pci_msg(&m, (const uint8_t[]){0xfa, 0x80 | 0x20}, 2); /* GF 01 discard message */
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, false, NULL), ISUP_COMPAT_DISCARD_MSG);
	pci_msg(&m, (const uint8_t[]){0xfa, 0x80 | 0x60}, 2); /* GF 11: as 00 */
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, false, NULL), ISUP_COMPAT_RELEASE);
	/* another parameter's entry says nothing about this one */
	ck_assert_int_eq(isup_param_compat(&m, 0xfb, false, NULL), ISUP_COMPAT_DISCARD_PARAM);

	/* end node interpretation: B, then D, then E; C asks for a notification */
	pci_msg(&m, (const uint8_t[]){0xfa, 0x80 | 0x01 | 0x02 | 0x10}, 2);
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, true, NULL), ISUP_COMPAT_RELEASE);
	pci_msg(&m, (const uint8_t[]){0xfa, 0x80 | 0x01 | 0x08}, 2);
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, true, NULL), ISUP_COMPAT_DISCARD_MSG);
	pci_msg(&m, (const uint8_t[]){0xfa, 0x80 | 0x01 | 0x10 | 0x04}, 2);
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, true, &notify), ISUP_COMPAT_DISCARD_PARAM);
	ck_assert(notify);
	pci_msg(&m, (const uint8_t[]){0xfa, 0x80 | 0x01}, 2);
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, true, NULL), ISUP_COMPAT_PASS_ON);

	/* two entries, the first with an extension octet (bit 8 0 then 1) */
	pci_msg(&m, (const uint8_t[]){0xfb, 0x00, 0x81, 0xfa, 0x80 | 0x01 | 0x10}, 5);
	ck_assert_int_eq(isup_pci_find(&m, 0xfa, &ii), 0);
	ck_assert_uint_eq(ii, 0x91);
	ck_assert_int_eq(isup_pci_find(&m, 0xfb, &ii), 0);
	ck_assert_uint_eq(ii, 0x00);
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, true, NULL), ISUP_COMPAT_DISCARD_PARAM);
	/* an entry without its last octet: malformed, no instruction */
	pci_msg(&m, (const uint8_t[]){0xfa, 0x13}, 2);
	ck_assert_int_eq(isup_pci_find(&m, 0xfa, &ii), -EBADMSG);
	ck_assert_int_eq(isup_param_compat(&m, 0xfa, true, NULL), ISUP_COMPAT_PASS_ON);
	pci_msg(&m, (const uint8_t[]){0xfa}, 1);
	ck_assert_int_eq(isup_pci_find(&m, 0xfa, &ii), -EBADMSG);
}
END_TEST

/* The unrecognised parameters of a decoded SIP-I IAM carried on: known
 * ones stay out (the IAM is built from what they say), the PCI goes
 * along, the bound holds, and the instructions are followed. */
START_TEST(test_unknown_carry)
{
	static const uint8_t noci = 0, fci[2] = {0x60, 0x01}, cpc = 10, tmr = 0,
			     called[] = {0x83, 0x10, 0x21, 0x43};
	uint8_t big[90], enc[272];
	struct iw_sipi_unknown u;
	struct isup_msg in, dec;
	enum isup_decode_err err;
	int n;

	memset(big, 0x55, sizeof(big));
	isup_msg_init(&in, ISUP_MT_IAM, 5);
	isup_msg_add(&in, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci, 1);
	isup_msg_add(&in, ISUP_PAR_FORWARD_CALL_INDICATORS, fci, 2);
	isup_msg_add(&in, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1);
	isup_msg_add(&in, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &tmr, 1);
	isup_msg_add(&in, ISUP_PAR_CALLED_PARTY_NUMBER, called, sizeof(called));
	isup_msg_add(&in, 0xfa, (const uint8_t[]){1, 2, 3}, 3);
	isup_msg_add(&in, ISUP_PAR_HOP_COUNTER, (const uint8_t[]){12}, 1);
	n = isup_msg_encode(ISUP_VAR_ITU, &in, enc, sizeof(enc));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, enc, (size_t)n, &dec, &err), 0);
	/* ISUP -> SIP-I: the received IAM is decoded and encoded again for
	 * the body (iw_call_to_sip.c): the unknown parameter stays as it was */
	{
		uint8_t again[272];

		ck_assert_int_eq(isup_msg_encode(ISUP_VAR_ITU, &dec, again, sizeof(again)), n);
		ck_assert_mem_eq(again, enc, (size_t)n);
	}
	iw_sipi_unknown(&dec, IW_SIPI_UNKNOWN_MAX, &u);
	ck_assert_uint_eq(u.passed, 1);
	ck_assert_uint_eq(u.discarded, 0);
	ck_assert(!u.release && !u.discard_msg);
	ck_assert_uint_eq(u.len, 5);
	ck_assert_mem_eq(u.raw, ((const uint8_t[]){0xfa, 3, 1, 2, 3}), 5);
	/* nowhere to carry it: dropped */
	iw_sipi_unknown(&dec, 0, &u);
	ck_assert_uint_eq(u.passed, 0);
	ck_assert_uint_eq(u.discarded, 1);
	ck_assert_uint_eq(u.len, 0);

	/* PCI: 0xfb end node + discard parameter; 0xfa passes on; the PCI
	 * goes along after it */
	isup_msg_add(&in, 0xfb, (const uint8_t[]){9}, 1);
	isup_msg_add(&in, ISUP_PAR_PARAMETER_COMPATIBILITY_INFORMATION,
		     (const uint8_t[]){0xfb, 0x80 | 0x01 | 0x10}, 2);
	n = isup_msg_encode(ISUP_VAR_ITU, &in, enc, sizeof(enc));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, enc, (size_t)n, &dec, &err), 0);
	iw_sipi_unknown(&dec, IW_SIPI_UNKNOWN_MAX, &u);
	ck_assert_uint_eq(u.passed, 1);
	ck_assert_uint_eq(u.discarded, 1);
	ck_assert_uint_eq(u.len, 9);
	ck_assert_mem_eq(u.raw, ((const uint8_t[]){0xfa, 3, 1, 2, 3, 0x39, 2, 0xfb, 0x91}), 9);

	/* the bound: a 90-octet unknown parameter does not fit with the
	 * first; without an instruction it is dropped */
	isup_msg_init(&in, ISUP_MT_IAM, 5);
	isup_msg_add(&in, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci, 1);
	isup_msg_add(&in, ISUP_PAR_FORWARD_CALL_INDICATORS, fci, 2);
	isup_msg_add(&in, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1);
	isup_msg_add(&in, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &tmr, 1);
	isup_msg_add(&in, ISUP_PAR_CALLED_PARTY_NUMBER, called, sizeof(called));
	isup_msg_add(&in, 0xfa, (const uint8_t[]){1, 2, 3}, 3);
	isup_msg_add(&in, 0xfc, big, sizeof(big));
	n = isup_msg_encode(ISUP_VAR_ITU, &in, enc, sizeof(enc));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, enc, (size_t)n, &dec, &err), 0);
	iw_sipi_unknown(&dec, IW_SIPI_UNKNOWN_MAX, &u);
	ck_assert_uint_eq(u.passed, 1);
	ck_assert_uint_eq(u.discarded, 1);
	ck_assert(!u.release);
	ck_assert_uint_le(u.len, IW_SIPI_UNKNOWN_MAX);
	/* ... and with "pass on not possible: release call" the call goes */
	isup_msg_add(&in, ISUP_PAR_PARAMETER_COMPATIBILITY_INFORMATION,
		     (const uint8_t[]){0xfc, 0x80}, 2);
	n = isup_msg_encode(ISUP_VAR_ITU, &in, enc, sizeof(enc));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(isup_msg_decode(ISUP_VAR_ITU, enc, (size_t)n, &dec, &err), 0);
	iw_sipi_unknown(&dec, IW_SIPI_UNKNOWN_MAX, &u);
	ck_assert(u.release);
	ck_assert_uint_eq(u.release_code, 0xfc);
}
END_TEST

Suite *iw_sipi_suite(void)
{
	Suite *s = suite_create("iw_sipi");
	TCase *tc = unit_tcase("iw_sipi");

	tcase_add_test(tc, test_roundtrip_sipi);
	tcase_add_test(tc, test_roundtrip_sipt_isup_only);
	tcase_add_test(tc, test_sdp_only);
	tcase_add_test(tc, test_single_isup_body);
	tcase_add_test(tc, test_vector_invite);
	tcase_add_test(tc, test_unknown_parts);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_build_errors);
	tcase_add_test(tc, test_cic);
	tcase_add_test(tc, test_backward_fits);
	tcase_add_test(tc, test_convert_variants);
	tcase_add_test(tc, test_param_compat);
	tcase_add_test(tc, test_unknown_carry);
	suite_add_tcase(s, tc);
	return s;
}
