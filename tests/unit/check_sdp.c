/* sip/sdp: parser, offer building, offer/answer negotiation (RFC 8866, RFC 3264). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/sdp.h"
#include "tests/unit/unit.h"

/* ---- negotiation table: tests/vectors/sdp/<name>.sdp ---- */

static const char *const vectors[] = {
	"rfc3264_basic_trunk",
	"rfc3264_basic_offerer",
	"te_dynamic",
	"te_events_subset",
	"te_not_in_prefs",
	"ptime_maxptime",
	"ptime_over_maxptime",
	"dir_sendonly",
	"dir_recvonly",
	"dir_inactive",
	"dir_sendrecv",
	"hold_c0",
	"hold_session_sendonly",
	"local_hold",
	"ipv6",
	"no_common_codec",
	"no_audio",
	"srtp_only",
	"telephone_event_only",
	"multi_m_lines",
	"g722_static",
	"g722_wrong_rate",
	"te_wrong_rate",
	"fqdn_conn",
	"ipv6_local_ipv4",
};

struct vec {
	char prefs[128];
	char order[16];
	char dir[16];
	char local[64];
	char expect[512];
	unsigned ptime;
	bool lf;
	char body[4096];
	size_t len;
};

static void vec_load(const char *name, struct vec *v)
{
	char rel[128], line[1024];
	FILE *f;
	bool in_body = false;

	memset(v, 0, sizeof(*v));
	snprintf(rel, sizeof(rel), "sdp/%s.sdp", name);
	f = fopen(unit_vector_path(rel), "r");
	ck_assert_msg(f != NULL, "cannot open %s", unit_vector_path(rel));
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");

		line[n] = 0;
		if (in_body) {
			ck_assert(v->len + n + 2 < sizeof(v->body));
			memcpy(v->body + v->len, line, n);
			v->len += n;
			if (!v->lf)
				v->body[v->len++] = '\r';
			v->body[v->len++] = '\n';
			continue;
		}
		if (strcmp(line, "---") == 0)
			in_body = true;
		else if (strncmp(line, "# prefs: ", 9) == 0)
			tstr_to_buf(tstr_make(line + 9, strlen(line + 9)), v->prefs,
				    sizeof(v->prefs));
		else if (strncmp(line, "# order: ", 9) == 0)
			tstr_to_buf(tstr_make(line + 9, strlen(line + 9)), v->order,
				    sizeof(v->order));
		else if (strncmp(line, "# dir: ", 7) == 0)
			tstr_to_buf(tstr_make(line + 7, strlen(line + 7)), v->dir, sizeof(v->dir));
		else if (strncmp(line, "# ptime: ", 9) == 0)
			v->ptime = (unsigned)atoi(line + 9);
		else if (strncmp(line, "# local: ", 9) == 0)
			tstr_to_buf(tstr_make(line + 9, strlen(line + 9)), v->local,
				    sizeof(v->local));
		else if (strcmp(line, "# eol: lf") == 0)
			v->lf = true;
		else if (strncmp(line, "# expect: ", 10) == 0)
			tstr_to_buf(tstr_make(line + 10, strlen(line + 10)), v->expect,
				    sizeof(v->expect));
	}
	fclose(f);
	ck_assert_msg(in_body && v->prefs[0] && v->expect[0], "%s: incomplete vector", name);
}

/* Value of key=... in the expect line, or NULL. */
static const char *kv(const char *expect, const char *key, char *buf, size_t size)
{
	size_t kl = strlen(key);

	for (const char *p = expect; (p = strstr(p, key)); p++) {
		if ((p == expect || p[-1] == ' ') && p[kl] == '=') {
			size_t n = strcspn(p + kl + 1, " ");

			ck_assert(n < size);
			memcpy(buf, p + kl + 1, n);
			buf[n] = 0;
			return buf;
		}
	}
	return NULL;
}

static unsigned kv_uint(const char *expect, const char *key)
{
	char b[64];

	ck_assert_msg(kv(expect, key, b, sizeof(b)), "expect lacks %s", key);
	return (unsigned)strtoul(b, NULL, 10);
}

static enum sdp_dir dir_by_name(const char *s)
{
	for (int d = 0; d < 4; d++)
		if (strcmp(s, sdp_dir_name(d)) == 0)
			return (enum sdp_dir)d;
	ck_abort_msg("bad direction %s", s);
	return SDP_DIR_INACTIVE;
}

START_TEST(test_negotiation_table)
{
	const char *name = vectors[_i];
	struct vec *v = malloc(sizeof(*v));
	struct sdp_session *offer = malloc(sizeof(*offer)), *ans = malloc(sizeof(*ans));
	struct sdp_prefs prefs;
	struct sdp_local local = {
		.addr = "192.0.2.99", .port = 16000, .sess_id = 42, .sess_version = 7};
	struct sdp_answer_res res;
	const char *reason = NULL;
	char out[2048], b[64];
	int rc;

	vec_load(name, v);
	ck_assert_int_eq(sdp_prefs_parse(&prefs, v->prefs), 0);
	prefs.offerer_order = strcmp(v->order, "offerer") == 0;
	if (v->ptime)
		prefs.ptime = v->ptime;
	if (v->dir[0])
		local.dir = dir_by_name(v->dir);
	if (v->local[0])
		local.addr = v->local;
	rc = sdp_decode(offer, v->body, v->len, &reason);
	ck_assert_msg(rc == 0, "%s: offer does not parse: %s", name, reason);
	ck_assert_int_eq(sdp_answer(&res, offer, &prefs, &local), 0);

	if (strncmp(v->expect, "488 ", 4) == 0) {
		ck_assert_msg(res.reject, "%s: expected 488", name);
		ck_assert_int_eq(res.warn_code, atoi(v->expect + 4));
		ck_assert_ptr_nonnull(res.warn_text);
		/* Nothing to encode for a rejected offer. */
		ck_assert_int_eq(sdp_answer_encode(out, sizeof(out), offer, &res, &prefs, &local),
				 -EINVAL);
		goto out;
	}
	ck_assert_msg(!res.reject, "%s: rejected with %d", name, res.warn_code);
	ck_assert_str_eq(sdp_codec_info(res.agreed.codec)->name,
			 kv(v->expect, "codec", b, sizeof(b)));
	ck_assert_uint_eq(res.agreed.rx_pt, kv_uint(v->expect, "pt"));
	ck_assert_uint_eq(res.agreed.tx_pt, res.agreed.rx_pt);
	kv(v->expect, "te", b, sizeof(b));
	if (strcmp(b, "none") == 0) {
		ck_assert(!res.agreed.te);
	} else {
		ck_assert(res.agreed.te);
		ck_assert_uint_eq(res.agreed.te_rx_pt, kv_uint(v->expect, "te"));
		ck_assert_uint_eq(res.agreed.te_tx_pt, res.agreed.te_rx_pt);
		ck_assert_str_eq(res.te_events, kv(v->expect, "events", b, sizeof(b)));
	}
	ck_assert_uint_eq(res.agreed.tx_ptime, kv_uint(v->expect, "tx_ptime"));
	ck_assert_uint_eq(res.agreed.rx_ptime, kv_uint(v->expect, "rx_ptime"));
	ck_assert_str_eq(sdp_dir_name(res.agreed.dir), kv(v->expect, "dir", b, sizeof(b)));
	ck_assert_int_eq(res.agreed.remote_hold, (int)kv_uint(v->expect, "hold"));
	ck_assert_int_eq(res.agreed.m_idx, (int)kv_uint(v->expect, "m"));
	ck_assert_str_eq(res.agreed.remote_addr, kv(v->expect, "addr", b, sizeof(b)));
	ck_assert_uint_eq(res.agreed.remote_port, kv_uint(v->expect, "port"));
	ck_assert_uint_eq(res.agreed.remote_rtcp_port, kv_uint(v->expect, "rtcp"));

	/* The built answer must itself be valid SDP that mirrors the offer. */
	rc = sdp_answer_encode(out, sizeof(out), offer, &res, &prefs, &local);
	ck_assert_int_gt(rc, 0);
	ck_assert_uint_eq(strlen(out), (size_t)rc);
	rc = sdp_decode(ans, out, (size_t)rc, &reason);
	ck_assert_msg(rc == 0, "%s: answer does not parse: %s\n%s", name, reason, out);
	ck_assert_uint_eq(ans->n_media, offer->n_media);
	for (unsigned i = 0; i < ans->n_media; i++) {
		ck_assert(tstr_eq(ans->m[i].type, offer->m[i].type));
		if ((int)i != res.agreed.m_idx) {
			ck_assert_uint_eq(ans->m[i].port, 0);
			continue;
		}
		ck_assert_uint_eq(ans->m[i].port, 16000);
		ck_assert_uint_eq(ans->m[i].fmt[0].pt, res.agreed.rx_pt);
		ck_assert_uint_eq(ans->m[i].n_fmt, res.agreed.te ? 2 : 1);
		ck_assert_int_eq(sdp_media_dir(ans, i), res.agreed.dir);
		ck_assert_uint_eq(ans->m[i].ptime, res.agreed.rx_ptime);
	}
	ck_assert(tstr_eq_cstr(ans->o_sess_id, "42"));
	ck_assert(tstr_eq_cstr(ans->o_sess_version, "7"));
out:
	free(v);
	free(offer);
	free(ans);
}
END_TEST

/* ---- malformed input ---- */

#define HDR  "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
#define HDRT HDR "c=IN IP4 192.0.2.1\r\nt=0 0\r\n"

static const struct {
	const char *sdp;
	int rc;
} bad[] = {
	{"", -EBADMSG},
	{"v=1\r\n", -EBADMSG},
	{"o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n", -EBADMSG},
	{"v=0\r\ns=-\r\n", -EBADMSG},
	{"v=0\r\no=- 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n", -EBADMSG},
	{"v=0\r\no=- x 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n", -EBADMSG},
	{HDR "c=IN IP4 192.0.2.1\r\n", -EBADMSG}, /* no t= */
	{HDR "c=IN IP5 192.0.2.1\r\nt=0 0\r\n", -EBADMSG},
	{HDR "c=ATM IP4 192.0.2.1\r\nt=0 0\r\n", -EBADMSG},
	{HDR "c=IN IP4 192.0.2.1/127\r\nt=0 0\r\n", -EBADMSG}, /* multicast TTL */
	{HDR "c=IN IP4\r\nt=0 0\r\n", -EBADMSG},
	{HDR "c=IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n", -EBADMSG},
	{HDR "t=0 0\r\nm=audio 4000 RTP/AVP 0\r\n", -EBADMSG}, /* no c= at all */
	{HDR "c=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\nt=0 0\r\n", -EBADMSG},
	{HDRT "m=audio 70000 RTP/AVP 0\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 128\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0 0\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP\r\n", -EBADMSG},
	{HDRT "m=audio 4000/0 RTP/AVP 0\r\n", -EBADMSG},
	{HDRT "m=audio -1 RTP/AVP 0\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/0\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000/0\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:0 PCMU/8000\r\n",
	 -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=ptime:abc\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=ptime:0\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=maxptime:\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\na=recvonly\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=rtcp:x\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=rtcp:4001 IN IP4\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\n\r\na=sendonly\r\n", -EBADMSG}, /* blank line */
	{HDRT "m=audio 4000 RTP/AVP 0\r\nxyz\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\nA=foo\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\na=\r\n", -EBADMSG},
	{HDRT "t=0\r\n", -EBADMSG},
	{HDRT "m=audio 4000 RTP/AVP 0\r\nt=0 0\r\n", -EBADMSG},
	{HDRT "b=100\r\n", -EBADMSG},
	{HDRT "m=a 1 RTP/AVP 0\r\nm=a 1 RTP/AVP 0\r\nm=a 1 RTP/AVP 0\r\nm=a 1 RTP/AVP 0\r\n"
	      "m=a 1 RTP/AVP 0\r\nm=a 1 RTP/AVP 0\r\nm=a 1 RTP/AVP 0\r\nm=a 1 RTP/AVP 0\r\n"
	      "m=a 1 RTP/AVP 0\r\n",
	 -E2BIG},
};

START_TEST(test_malformed)
{
	struct sdp_session *s = malloc(sizeof(*s));
	const char *reason = NULL;
	size_t len = strlen(bad[_i].sdp);
	/* Exact-size heap copy: ASan catches any read past the end. */
	char *buf = malloc(len ? len : 1);

	memcpy(buf, bad[_i].sdp, len);
	memset(s, 0xa5, sizeof(*s));
	ck_assert_int_eq(sdp_decode(s, buf, len, &reason), bad[_i].rc);
	ck_assert_msg(reason != NULL, "case %d: no reason", _i);
	/* Out-param untouched on failure. */
	ck_assert_uint_eq(((unsigned char *)s)[0], 0xa5);
	ck_assert_uint_eq(s->n_media, 0xa5a5a5a5u);
	free(buf);
	free(s);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char sdp[] = HDRT "m=audio 4000 RTP/AVP 0\r\na=x\0y\r\n";
	struct sdp_session *s = malloc(sizeof(*s));
	const char *reason = NULL;

	ck_assert_int_eq(sdp_decode(s, sdp, sizeof(sdp) - 1, &reason), -EBADMSG);
	free(s);
}
END_TEST

/* Every prefix of a valid SDP either parses or fails cleanly. */
START_TEST(test_truncations)
{
	static const char sdp[] = HDRT "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 "
				       "telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\n"
				       "a=rtcp:4001 IN IP4 192.0.2.1\r\na=sendrecv\r\n";
	struct sdp_session *s = malloc(sizeof(*s));
	size_t full = sizeof(sdp) - 1;
	unsigned ok = 0;

	for (size_t n = 1; n <= full; n++) {
		char *buf = malloc(n);

		memcpy(buf, sdp, n);
		if (sdp_decode(s, buf, n, NULL) == 0)
			ok++;
		free(buf);
	}
	ck_assert_int_eq(sdp_decode(s, sdp, full, NULL), 0);
	ck_assert_uint_gt(ok, 0);
	ck_assert_uint_lt(ok, full);
	free(s);
}
END_TEST

START_TEST(test_parse_fields)
{
	static const char sdp[] =
		"v=0\r\no=bob 2808844564 2808844565 IN IP6 2001:db8::2\r\ns=call\r\n"
		"c=IN IP4 192.0.2.5\r\nb=AS:64\r\nt=0 0\r\na=recvonly\r\n"
		"m=audio 49172/2 RTP/AVP 96 8\r\na=rtpmap:96 opus/48000/2\r\n"
		"a=fmtp:96 useinbandfec=1; stereo=0\r\na=ptime:20.0\r\na=maxptime:60\r\n"
		"a=rtcp:53020 IN IP4 192.0.2.6\r\na=inactive\r\n"
		"m=image 49174 udptl t38\r\n";
	struct sdp_session *s = malloc(sizeof(*s));
	const char *reason = NULL;

	ck_assert_int_eq(sdp_decode(s, sdp, sizeof(sdp) - 1, &reason), 0);
	ck_assert(tstr_eq_cstr(s->o_user, "bob"));
	ck_assert(tstr_eq_cstr(s->o_sess_version, "2808844565"));
	ck_assert_int_eq(s->o_addr.type, SDP_ADDR_IP6);
	ck_assert(tstr_eq_cstr(s->name, "call"));
	ck_assert_uint_eq(s->n_media, 2);
	ck_assert_uint_eq(s->m[0].port, 49172);
	ck_assert_uint_eq(s->m[0].nports, 2);
	ck_assert_uint_eq(s->m[0].n_fmt, 2);
	ck_assert(tstr_eq_cstr(s->m[0].fmt[0].enc, "opus"));
	ck_assert_uint_eq(s->m[0].fmt[0].rate, 48000);
	ck_assert_uint_eq(s->m[0].fmt[0].channels, 2);
	ck_assert(tstr_eq_cstr(s->m[0].fmt[0].fmtp, "useinbandfec=1; stereo=0"));
	ck_assert(!s->m[0].fmt[1].has_rtpmap);
	ck_assert_uint_eq(s->m[0].ptime, 20);
	ck_assert_uint_eq(s->m[0].maxptime, 60);
	ck_assert(s->m[0].has_rtcp);
	ck_assert_uint_eq(s->m[0].rtcp_port, 53020);
	ck_assert(tstr_eq_cstr(s->m[0].rtcp_c.addr, "192.0.2.6"));
	/* media-level direction wins over session-level (RFC 3264 5.1) */
	ck_assert_int_eq(sdp_media_dir(s, 0), SDP_DIR_INACTIVE);
	ck_assert_int_eq(sdp_media_dir(s, 1), SDP_DIR_RECVONLY);
	ck_assert(!s->m[1].rtp);
	ck_assert(tstr_eq_cstr(s->m[1].fmt_list, "t38"));
	free(s);
}
END_TEST

/* ---- our offers ---- */

START_TEST(test_offer_build)
{
	struct sdp_prefs prefs;
	struct sdp_local local = {.addr = "2001:db8::99",
				  .port = 30000,
				  .rtcp_port = 30001,
				  .sess_id = 555,
				  .sess_version = 1,
				  .user = "tandem"};
	struct sdp_session *s = malloc(sizeof(*s));
	const char *reason = NULL;
	char out[2048], again[2048];
	int n;

	ck_assert_int_eq(sdp_prefs_parse(&prefs, "PCMA,PCMU,G722,telephone-event"), 0);
	prefs.te_pt = 97;
	n = sdp_offer_encode(out, sizeof(out), &prefs, &local);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sdp_decode(s, out, (size_t)n, &reason), 0);
	ck_assert_int_eq(s->c.type, SDP_ADDR_IP6);
	ck_assert(tstr_eq_cstr(s->o_sess_id, "555"));
	ck_assert(tstr_eq_cstr(s->o_sess_version, "1"));
	ck_assert_uint_eq(s->n_media, 1);
	ck_assert_uint_eq(s->m[0].port, 30000);
	ck_assert_uint_eq(s->m[0].n_fmt, 4);
	ck_assert_uint_eq(s->m[0].fmt[0].pt, 8);
	ck_assert_uint_eq(s->m[0].fmt[1].pt, 0);
	ck_assert_uint_eq(s->m[0].fmt[2].pt, 9);
	ck_assert_uint_eq(s->m[0].fmt[3].pt, 97);
	ck_assert(tstr_eq_cstr(s->m[0].fmt[2].enc, "G722"));
	ck_assert_uint_eq(s->m[0].fmt[2].rate, 8000);
	ck_assert(tstr_eq_cstr(s->m[0].fmt[3].enc, "telephone-event"));
	ck_assert(tstr_eq_cstr(s->m[0].fmt[3].fmtp, "0-15"));
	ck_assert_uint_eq(s->m[0].ptime, 20);
	ck_assert_uint_eq(s->m[0].rtcp_port, 30001);
	ck_assert_int_eq(sdp_media_dir(s, 0), SDP_DIR_SENDRECV);

	/* RFC 3264 8: an identical re-offer keeps the version ... */
	ck_assert_int_eq(sdp_offer_encode(again, sizeof(again), &prefs, &local), n);
	ck_assert_str_eq(again, out);
	/* ... a changed one (hold) increments it, same session id. */
	local.dir = SDP_DIR_SENDONLY;
	n = sdp_offer_encode(out, sizeof(out), &prefs, &local);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sdp_decode(s, out, (size_t)n, &reason), 0);
	ck_assert(tstr_eq_cstr(s->o_sess_id, "555"));
	ck_assert(tstr_eq_cstr(s->o_sess_version, "2"));
	ck_assert_int_eq(sdp_media_dir(s, 0), SDP_DIR_SENDONLY);
	/* Too small a buffer fails without consuming a version. */
	local.dir = SDP_DIR_SENDRECV;
	ck_assert_int_eq(sdp_offer_encode(out, 40, &prefs, &local), -ENOSPC);
	ck_assert_uint_eq(local.sess_version, 2);
	n = sdp_offer_encode(out, sizeof(out), &prefs, &local);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_eq(local.sess_version, 3);
	/* Not an IP literal: refused. */
	local.addr = "gw.example.net";
	ck_assert_int_eq(sdp_offer_encode(out, sizeof(out), &prefs, &local), -EINVAL);
	free(s);
}
END_TEST

START_TEST(test_prefs_parse)
{
	struct sdp_prefs p;

	ck_assert_int_eq(sdp_prefs_parse(&p, "pcma,PCMU"), 0);
	ck_assert_uint_eq(p.n_codec, 2);
	ck_assert_int_eq(p.codec[0], SDP_CODEC_PCMA);
	ck_assert_int_eq(sdp_prefs_parse(&p, "PCMA,G729"), -EINVAL);
	ck_assert_int_eq(sdp_prefs_parse(&p, "PCMA,PCMA"), -EINVAL);
	ck_assert_int_eq(sdp_prefs_parse(&p, "PCMA,"), -EINVAL);
	ck_assert_int_eq(sdp_prefs_parse(&p, ""), -EINVAL);
	ck_assert_int_eq(sdp_prefs_parse(&p, ",PCMA"), -EINVAL);
}
END_TEST

/* ---- answers to our offer ---- */

static const struct {
	const char *media; /* everything after t= */
	int rc;
	const char *codec;
	unsigned tx_pt, rx_pt;
	int te_tx; /* -1 none */
	enum sdp_dir dir;
} rx_cases[] = {
	{"m=audio 5000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n", 0, "PCMU", 0, 0,
	 101, SDP_DIR_SENDRECV},
	/* RFC 3264 6.1 SHOULD keep numbers; a different dynamic pt is honoured for sending. */
	{"m=audio 5000 RTP/AVP 8 96\r\na=rtpmap:96 telephone-event/8000\r\na=recvonly\r\n", 0,
	 "PCMA", 8, 8, 96, SDP_DIR_SENDONLY},
	{"m=audio 5000 RTP/AVP 120\r\na=rtpmap:120 PCMA/8000\r\na=sendonly\r\n", 0, "PCMA", 120, 8,
	 -1, SDP_DIR_RECVONLY},
	{"m=audio 5000 RTP/AVP 18\r\n", -EPROTO, NULL, 0, 0, -1, 0}, /* not offered */
	{"m=audio 5000 RTP/AVP 9\r\n", -EPROTO, NULL, 0, 0, -1, 0},  /* G722 not offered */
	{"m=audio 5000 RTP/AVP 101\r\na=rtpmap:101 telephone-event/8000\r\n", -EPROTO, NULL, 0, 0,
	 -1, 0},
	{"m=audio 0 RTP/AVP 0\r\n", -ENOMEDIUM, NULL, 0, 0, -1, 0},
	{"m=audio 5000 RTP/AVP 0\r\nm=video 0 RTP/AVP 31\r\n", -EPROTO, NULL, 0, 0, -1, 0},
	{"m=video 5000 RTP/AVP 0\r\n", -EPROTO, NULL, 0, 0, -1, 0},
};

START_TEST(test_answer_rx)
{
	struct sdp_prefs prefs;
	struct sdp_local local = {.addr = "192.0.2.99", .port = 16000, .sess_id = 1};
	struct sdp_session *s = malloc(sizeof(*s));
	struct sdp_agreed a;
	const char *reason = NULL;
	char buf[1024];
	int n;

	ck_assert_int_eq(sdp_prefs_parse(&prefs, "PCMU,PCMA,telephone-event"), 0);
	n = snprintf(buf, sizeof(buf), HDRT "%s", rx_cases[_i].media);
	ck_assert_int_eq(sdp_decode(s, buf, (size_t)n, &reason), 0);
	memset(&a, 0x5a, sizeof(a));
	ck_assert_int_eq(sdp_answer_rx(&a, s, &prefs, &local, &reason), rx_cases[_i].rc);
	if (rx_cases[_i].rc) {
		ck_assert_ptr_nonnull(reason);
		ck_assert_uint_eq(a.tx_pt, 0x5a);
		goto out;
	}
	ck_assert_str_eq(sdp_codec_info(a.codec)->name, rx_cases[_i].codec);
	ck_assert_uint_eq(a.tx_pt, rx_cases[_i].tx_pt);
	ck_assert_uint_eq(a.rx_pt, rx_cases[_i].rx_pt);
	ck_assert_int_eq(a.te ? a.te_tx_pt : -1, rx_cases[_i].te_tx);
	if (a.te)
		ck_assert_uint_eq(a.te_rx_pt, 101);
	ck_assert_int_eq(a.dir, rx_cases[_i].dir);
	ck_assert_str_eq(a.remote_addr, "192.0.2.1");
	ck_assert_uint_eq(a.remote_port, 5000);
out:
	free(s);
}
END_TEST

START_TEST(test_answer_rx_direction_check)
{
	struct sdp_prefs prefs;
	struct sdp_local local = {.addr = "192.0.2.99", .port = 16000, .dir = SDP_DIR_SENDONLY};
	struct sdp_session *s = malloc(sizeof(*s));
	struct sdp_agreed a;
	static const char ok[] = HDRT "m=audio 5000 RTP/AVP 0\r\na=recvonly\r\n";
	static const char bad_dir[] = HDRT "m=audio 5000 RTP/AVP 0\r\n";

	ck_assert_int_eq(sdp_prefs_parse(&prefs, "PCMU"), 0);
	/* We offered sendonly (hold): the answer must be recvonly or inactive. */
	ck_assert_int_eq(sdp_decode(s, ok, sizeof(ok) - 1, NULL), 0);
	ck_assert_int_eq(sdp_answer_rx(&a, s, &prefs, &local, NULL), 0);
	ck_assert_int_eq(a.dir, SDP_DIR_SENDONLY);
	ck_assert_int_eq(sdp_decode(s, bad_dir, sizeof(bad_dir) - 1, NULL), 0);
	ck_assert_int_eq(sdp_answer_rx(&a, s, &prefs, &local, NULL), -EPROTO);
	free(s);
}
END_TEST

START_TEST(test_warning)
{
	char buf[128];

	ck_assert_int_eq(sdp_warning_encode(buf, sizeof(buf), 305, "gw.example.net",
					    "Incompatible media format"),
			 (int)strlen("305 gw.example.net \"Incompatible media format\""));
	ck_assert_str_eq(buf, "305 gw.example.net \"Incompatible media format\"");
	ck_assert_int_eq(sdp_warning_encode(buf, 10, 305, "gw.example.net", "x"), -ENOSPC);
}
END_TEST

START_TEST(test_reanswer_version)
{
	static const char offer_txt[] = HDRT "m=audio 5000 RTP/AVP 8\r\n";
	static const char hold_txt[] = HDRT "m=audio 5000 RTP/AVP 8\r\na=sendonly\r\n";
	struct sdp_session *o = malloc(sizeof(*o)), *a = malloc(sizeof(*a));
	struct sdp_prefs prefs;
	struct sdp_local local = {
		.addr = "192.0.2.99", .port = 16000, .sess_id = 9, .sess_version = 100};
	struct sdp_answer_res res;
	char out[1024];
	int n;

	ck_assert_int_eq(sdp_prefs_parse(&prefs, "PCMA"), 0);
	ck_assert_int_eq(sdp_decode(o, offer_txt, sizeof(offer_txt) - 1, NULL), 0);
	ck_assert_int_eq(sdp_answer(&res, o, &prefs, &local), 0);
	ck_assert_int_gt(sdp_answer_encode(out, sizeof(out), o, &res, &prefs, &local), 0);
	/* re-INVITE with the same offer: same answer, same version */
	ck_assert_int_gt(sdp_answer_encode(out, sizeof(out), o, &res, &prefs, &local), 0);
	ck_assert_uint_eq(local.sess_version, 100);
	/* re-INVITE putting us on hold: our answer changes to recvonly, version 101 */
	ck_assert_int_eq(sdp_decode(o, hold_txt, sizeof(hold_txt) - 1, NULL), 0);
	ck_assert_int_eq(sdp_answer(&res, o, &prefs, &local), 0);
	n = sdp_answer_encode(out, sizeof(out), o, &res, &prefs, &local);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sdp_decode(a, out, (size_t)n, NULL), 0);
	ck_assert(tstr_eq_cstr(a->o_sess_version, "101"));
	ck_assert_int_eq(sdp_media_dir(a, 0), SDP_DIR_RECVONLY);
	free(o);
	free(a);
}
END_TEST

START_TEST(test_origin_tracking)
{
	static const char v1[] = "v=0\r\no=a 10 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
				 "192.0.2.1\r\nt=0 0\r\n";
	static const char v2[] = "v=0\r\no=a 10 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
				 "192.0.2.1\r\nt=0 0\r\n";
	static const char other[] = "v=0\r\no=a 11 2 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 "
				    "192.0.2.1\r\nt=0 0\r\n";
	struct sdp_session *s = malloc(sizeof(*s));
	struct sdp_origin o = {0};

	ck_assert_int_eq(sdp_decode(s, v1, sizeof(v1) - 1, NULL), 0);
	ck_assert_int_eq(sdp_origin_check(&o, s), SDP_ORIGIN_FIRST);
	sdp_origin_save(&o, s);
	ck_assert_int_eq(sdp_origin_check(&o, s), SDP_ORIGIN_SAME);
	ck_assert_int_eq(sdp_decode(s, v2, sizeof(v2) - 1, NULL), 0);
	ck_assert_int_eq(sdp_origin_check(&o, s), SDP_ORIGIN_NEW_VERSION);
	sdp_origin_save(&o, s);
	ck_assert_int_eq(sdp_decode(s, other, sizeof(other) - 1, NULL), 0);
	ck_assert_int_eq(sdp_origin_check(&o, s), SDP_ORIGIN_OTHER_SESSION);
	free(s);
}
END_TEST

/* RFC 5761 5.1.1/5.1.3, RFC 8035 4: rtcp-mux in both roles. */
START_TEST(test_rtcp_mux)
{
	struct sdp_prefs prefs;
	struct sdp_local local = {.addr = "192.0.2.99", .port = 16000, .sess_id = 7};
	struct sdp_session *s = malloc(sizeof(*s));
	struct sdp_answer_res ar;
	struct sdp_agreed a;
	char out[2048];
	int n;
	static const char offer_mux[] =
		HDRT "m=audio 5000 RTP/AVP 8\r\na=rtcp:5001\r\na=rtcp-mux\r\n";
	static const char offer_plain[] = HDRT "m=audio 5000 RTP/AVP 8\r\n";
	static const char ans_mux[] = HDRT "m=audio 6000 RTP/AVP 8\r\na=rtcp-mux\r\n";
	static const char ans_plain[] = HDRT "m=audio 6000 RTP/AVP 8\r\na=rtcp:6003\r\n";
	/* not a flag: a value after it is another attribute name */
	static const char ans_bogus[] = HDRT "m=audio 6000 RTP/AVP 8\r\na=rtcp-muxx\r\n";

	ck_assert_int_eq(sdp_prefs_parse(&prefs, "PCMA"), 0);
	/* answering: an offered mux is accepted, RTCP goes to the RTP port */
	ck_assert_int_eq(sdp_decode(s, offer_mux, sizeof(offer_mux) - 1, NULL), 0);
	ck_assert(s->m[0].rtcp_mux);
	ck_assert_int_eq(sdp_answer(&ar, s, &prefs, &local), 0);
	ck_assert(!ar.reject);
	ck_assert(ar.agreed.rtcp_mux);
	ck_assert_uint_eq(ar.agreed.remote_rtcp_port, 5000);
	n = sdp_answer_encode(out, sizeof(out), s, &ar, &prefs, &local);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(out, "a=rtcp-mux\r\n"));
	/* with an a=rtcp of ours, it names the RTP port (5.1.3) */
	local.rtcp_port = 16001;
	n = sdp_answer_encode(out, sizeof(out), s, &ar, &prefs, &local);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(out, "a=rtcp:16000\r\n"));
	local.rtcp_port = 0;
	/* an offer without it: no mux, RTCP on port + 1, none in the answer */
	ck_assert_int_eq(sdp_decode(s, offer_plain, sizeof(offer_plain) - 1, NULL), 0);
	ck_assert(!s->m[0].rtcp_mux);
	ck_assert_int_eq(sdp_answer(&ar, s, &prefs, &local), 0);
	ck_assert(!ar.agreed.rtcp_mux);
	ck_assert_uint_eq(ar.agreed.remote_rtcp_port, 5001);
	n = sdp_answer_encode(out, sizeof(out), s, &ar, &prefs, &local);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_null(strstr(out, "rtcp-mux"));

	/* offering: only with local.rtcp_mux; a=rtcp stays the fallback */
	local.rtcp_port = 16001;
	n = sdp_offer_encode(out, sizeof(out), &prefs, &local);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_null(strstr(out, "rtcp-mux"));
	local.rtcp_mux = true;
	n = sdp_offer_encode(out, sizeof(out), &prefs, &local);
	ck_assert_int_gt(n, 0);
	ck_assert_ptr_nonnull(strstr(out, "a=rtcp:16001\r\na=rtcp-mux\r\n"));
	ck_assert_int_eq(sdp_decode(s, out, (size_t)n, NULL), 0);
	ck_assert(s->m[0].rtcp_mux);
	/* the answer accepts: mux, RTCP to the answer's RTP port */
	ck_assert_int_eq(sdp_decode(s, ans_mux, sizeof(ans_mux) - 1, NULL), 0);
	ck_assert_int_eq(sdp_answer_rx(&a, s, &prefs, &local, NULL), 0);
	ck_assert(a.rtcp_mux);
	ck_assert_uint_eq(a.remote_rtcp_port, 6000);
	/* the answer declines: separate RTCP, its a=rtcp port */
	ck_assert_int_eq(sdp_decode(s, ans_plain, sizeof(ans_plain) - 1, NULL), 0);
	ck_assert_int_eq(sdp_answer_rx(&a, s, &prefs, &local, NULL), 0);
	ck_assert(!a.rtcp_mux);
	ck_assert_uint_eq(a.remote_rtcp_port, 6003);
	ck_assert_int_eq(sdp_decode(s, ans_bogus, sizeof(ans_bogus) - 1, NULL), 0);
	ck_assert(!s->m[0].rtcp_mux);
	/* an a=rtcp-mux in an answer to an offer without it is not taken */
	local.rtcp_mux = false;
	ck_assert_int_eq(sdp_decode(s, ans_mux, sizeof(ans_mux) - 1, NULL), 0);
	ck_assert_int_eq(sdp_answer_rx(&a, s, &prefs, &local, NULL), 0);
	ck_assert(!a.rtcp_mux);
	ck_assert_uint_eq(a.remote_rtcp_port, 6001);
	free(s);
}
END_TEST

Suite *sdp_suite(void)
{
	Suite *s = suite_create("sdp");
	TCase *tc = unit_tcase("negotiation");

	tcase_add_loop_test(tc, test_negotiation_table, 0, sizeof(vectors) / sizeof(vectors[0]));
	tcase_add_test(tc, test_reanswer_version);
	tcase_add_test(tc, test_warning);
	suite_add_tcase(s, tc);

	tc = unit_tcase("parse");
	tcase_add_loop_test(tc, test_malformed, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_truncations);
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_origin_tracking);
	suite_add_tcase(s, tc);

	tc = unit_tcase("offer");
	tcase_add_test(tc, test_offer_build);
	tcase_add_test(tc, test_prefs_parse);
	tcase_add_loop_test(tc, test_answer_rx, 0, sizeof(rx_cases) / sizeof(rx_cases[0]));
	tcase_add_test(tc, test_answer_rx_direction_check);
	tcase_add_test(tc, test_rtcp_mux);
	suite_add_tcase(s, tc);
	return s;
}
