/* interwork/iw_enum (ENUM without I/O) and iw_enum_dns (lookups, cache,
 * cancel) against a DNS server thread of the test that answers NAPTR. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/loop.h"
#include "interwork/iw_enum.h"
#include "interwork/iw_enum_dns.h"
#include "tests/unit/unit.h"

/* Split a vector line on tabs exactly (empty columns allowed). */
static int split_tabs(char *line, char **col, int max)
{
	int n = 0;

	line[strcspn(line, "\r\n")] = 0;
	col[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == '\t') {
			*p = 0;
			col[n++] = p + 1;
		}
	return n;
}

static int err_code(const char *s)
{
	if (!strcmp(s, "!EINVAL"))
		return -EINVAL;
	if (!strcmp(s, "!ENOENT"))
		return -ENOENT;
	if (!strcmp(s, "!ENOSPC"))
		return -ENOSPC;
	ck_abort_msg("bad expectation '%s'", s);
	return 0;
}

START_TEST(test_domain_vectors)
{
	FILE *f = fopen(unit_vector_path("enum/domain.txt"), "r");
	char line[512], out[300], *c[3];
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_int_eq(split_tabs(line, c, 3), 3);
		rc = iw_enum_domain(c[0], strcmp(c[1], "-") ? c[1] : NULL, out, sizeof(out));
		if (c[2][0] == '!') {
			ck_assert_msg(rc == err_code(c[2]), "%s %s: %d", c[0], c[1], rc);
		} else {
			ck_assert_msg(rc == (int)strlen(c[2]), "%s: rc %d", c[0], rc);
			ck_assert_str_eq(out, c[2]);
		}
		n++;
	}
	fclose(f);
	ck_assert_int_ge(n, 10);
}
END_TEST

START_TEST(test_domain_space)
{
	char out[32];

	/* "+4930123" needs 14 + 9 characters and the NUL */
	ck_assert_int_eq(iw_enum_domain("+4930123", NULL, out, 23), -ENOSPC);
	ck_assert_int_eq(iw_enum_domain("+4930123", NULL, out, 24), 23);
	ck_assert_str_eq(out, "3.2.1.0.3.9.4.e164.arpa");
}
END_TEST

START_TEST(test_regexp_vectors)
{
	FILE *f = fopen(unit_vector_path("enum/regexp.txt"), "r");
	char line[1024], out[IW_ENUM_URI_MAX], *c[3];
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		int rc;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		ck_assert_int_eq(split_tabs(line, c, 3), 3);
		rc = iw_enum_regexp_apply(tstr_make(c[0], strlen(c[0])), c[1], out, sizeof(out));
		if (c[2][0] == '!') {
			ck_assert_msg(rc == err_code(c[2]), "'%s' on %s: %d", c[0], c[1], rc);
		} else {
			ck_assert_msg(c[2][0] == '=', "bad vector line");
			ck_assert_msg(rc == (int)strlen(c[2] + 1), "'%s': rc %d", c[0], rc);
			ck_assert_str_eq(out, c[2] + 1);
		}
		n++;
	}
	fclose(f);
	ck_assert_int_ge(n, 30);
}
END_TEST

START_TEST(test_regexp_icase_and_space)
{
	char out[16];

	/* iw_enum_regexp_apply() takes any string; letters show the "i" flag */
	ck_assert_int_eq(iw_enum_regexp_apply(TSTR_LIT("!^ABC$!ok!"), "abc", out, sizeof(out)),
			 -ENOENT);
	ck_assert_int_eq(iw_enum_regexp_apply(TSTR_LIT("!^ABC$!ok!i"), "abc", out, sizeof(out)), 2);
	/* the result and its NUL must fit */
	ck_assert_int_eq(iw_enum_regexp_apply(TSTR_LIT("!^(.*)$!\\1\\1!"), "+1234567", out, 16),
			 -ENOSPC);
	ck_assert_int_eq(iw_enum_regexp_apply(TSTR_LIT("!^(.*)$!\\1\\1!"), "+123456", out, 15), 14);
	ck_assert_str_eq(out, "+123456+123456");
	/* a view, not a C string: bytes past len are not read */
	ck_assert_int_eq(iw_enum_regexp_apply(tstr_make("!^.*$!x!garbage", 8), "+1", out, 16), 1);
	/* an embedded NUL is malformed */
	ck_assert_int_eq(iw_enum_regexp_apply(tstr_make("!^.\0$!x!", 8), "+1", out, 16), -EINVAL);
}
END_TEST

START_TEST(test_service_parse)
{
	static const struct {
		const char *s;
		int want;
	} v[] = {
		{"E2U+sip", IW_ENUM_SVC_SIP},
		{"e2u+SIP", IW_ENUM_SVC_SIP},
		/* RFC 6116 3.4.3: subtypes, several enumservices in one field */
		{"E2U+sip:foo", IW_ENUM_SVC_SIP},
		{"E2U+sip:foo:bar-2", IW_ENUM_SVC_SIP},
		{"E2U+voice:tel+sip", IW_ENUM_SVC_SIP},
		{"E2U+pstn:tel", IW_ENUM_SVC_PSTN},
		{"E2U+pstn:sip+sip", IW_ENUM_SVC_PSTN | IW_ENUM_SVC_SIP},
		{"E2U+email:mailto", 0},
		{"E2U+h323", 0},
		{"E2U+sips", 0},
		{"E2U+sipx", 0},
		/* malformed */
		{"E2U", -EINVAL},
		{"E2U+", -EINVAL},
		{"E2U+sip:", -EINVAL},
		{"E2U+sip+", -EINVAL},
		{"E2U++sip", -EINVAL},
		{"E2Usip", -EINVAL},
		{"sip+E2U", -EINVAL}, /* RFC 2916 order, obsoleted by RFC 3761 */
		{"E2U+si p", -EINVAL},
		{"E2U+sip:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -EINVAL}, /* 33 characters */
		{"", -EINVAL},
	};

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_msg(iw_enum_service_parse(tstr_make(v[i].s, strlen(v[i].s))) == v[i].want,
			      "'%s'", v[i].s);
}
END_TEST

#define REC(o, p, f, s, r)                                                \
	{                                                                 \
		o, p, TSTR_LIT(f), TSTR_LIT(s), TSTR_LIT(r), TSTR_LIT("") \
	}

START_TEST(test_select_sort)
{
	/* out of order on purpose; RFC 3403 4.1: order first, then preference */
	struct iw_enum_naptr recs[] = {
		REC(20, 1, "u", "E2U+sip", "!^.*$!sip:c@x!"),
		REC(10, 200, "u", "E2U+sip", "!^.*$!sip:b@x!"),
		REC(10, 100, "u", "E2U+sip", "!^.*$!sip:a@x!"),
		REC(10, 100, "u", "E2U+sip", "!^.*$!sip:a2@x!"),
	};
	struct iw_enum_result r;

	ck_assert_int_eq(iw_enum_select(recs, 4, "+4930123", IW_ENUM_SVC_DEFAULT, &r), 0);
	ck_assert_str_eq(r.uri, "sip:a@x");
	ck_assert_uint_eq(r.order, 10);
	ck_assert_uint_eq(r.pref, 100);
	ck_assert_uint_eq(r.usable, 4);
	ck_assert_str_eq(r.service, "E2U+sip");
	/* stable: equal keys keep their order */
	ck_assert(tstr_eq_cstr(recs[1].regexp, "!^.*$!sip:a2@x!"));
	ck_assert_uint_eq(recs[3].order, 20);
}
END_TEST

START_TEST(test_select_filter)
{
	struct iw_enum_naptr recs[] = {
		REC(1, 1, "u", "E2U+email:mailto", "!^.*$!mailto:a@x!"), /* other service */
		REC(2, 1, "", "E2U+sip", "!^.*$!sip:nonterm@x!"),	 /* non-terminal */
		REC(3, 1, "s", "E2U+sip", "!^.*$!sip:srv@x!"),		 /* other flag */
		REC(4, 1, "u", "E2U+sip", "!^.*$!mailto:wrong@x!"),	 /* scheme vs service */
		REC(5, 1, "u", "E2U+sip", "!^(.*$!sip:bad@x!"),		 /* bad ERE */
		REC(6, 1, "u", "E2U+sip", "!^\\+1.*$!sip:nomatch@x!"),	 /* no match */
		REC(7, 1, "u", "sip+E2U", "!^.*$!sip:old@x!"),		 /* RFC 2916 form */
		REC(8, 1, "U", "E2U+pstn:tel", "!^(.*)$!tel:\\1;npdi;rn=+49-30-99!"),
		REC(9, 1, "u", "E2U+SIP:foo", "!^.*$!SIPS:last@x!"),
	};
	struct iw_enum_result r;

	ck_assert_int_eq(iw_enum_select(recs, 9, "+4930123", IW_ENUM_SVC_DEFAULT, &r), 0);
	ck_assert_str_eq(r.uri, "tel:+4930123;npdi;rn=+49-30-99");
	ck_assert_uint_eq(r.order, 8);
	ck_assert_uint_eq(r.usable, 2);
	ck_assert(r.np.npdi);
	ck_assert(r.np.has_rn);
	ck_assert_str_eq(r.np.rn, "+493099");

	/* pstn not wanted: the sip one with a subtype and an upper-case scheme */
	ck_assert_int_eq(iw_enum_select(recs, 9, "+4930123", IW_ENUM_SVC_SIP, &r), 0);
	ck_assert_str_eq(r.uri, "SIPS:last@x");
	ck_assert(!r.np.npdi && !r.np.has_rn);

	/* a replacement next to the regexp is malformed (RFC 3403 4.1); "." is the root */
	{
		struct iw_enum_naptr rr[] = {
			REC(1, 1, "u", "E2U+sip", "!^.*$!sip:repl@x!"),
			REC(2, 1, "u", "E2U+sip", "!^.*$!sip:dot@x!"),
		};

		rr[0].replacement = TSTR_LIT("sip.example.net");
		rr[1].replacement = TSTR_LIT(".");
		ck_assert_int_eq(iw_enum_select(rr, 2, "+4930123", IW_ENUM_SVC_SIP, &r), 0);
		ck_assert_str_eq(r.uri, "sip:dot@x");
	}

	/* nothing usable: *res untouched */
	memset(&r, 0x5a, sizeof(r));
	ck_assert_int_eq(iw_enum_select(recs, 7, "+4930123", IW_ENUM_SVC_DEFAULT, &r), -ENOENT);
	ck_assert_uint_eq((uint8_t)r.uri[0], 0x5a);
	ck_assert_int_eq(iw_enum_select(recs, 0, "+4930123", IW_ENUM_SVC_DEFAULT, &r), -ENOENT);
	ck_assert_int_eq(iw_enum_select(recs, 9, "4930123", IW_ENUM_SVC_DEFAULT, &r), -EINVAL);
}
END_TEST

START_TEST(test_np_parse)
{
	struct iw_enum_np np;

	ck_assert_int_eq(iw_enum_np_parse("tel:+1-202-533-1234;npdi;rn=+1-202-544-0000", &np), 0);
	ck_assert(np.npdi && np.has_rn);
	ck_assert_str_eq(np.rn, "+12025440000");
	ck_assert_str_eq(np.rn_context, "");

	/* npdi alone: dipped, not ported (RFC 4694 4) */
	ck_assert_int_eq(iw_enum_np_parse("TEL:+4930123;NPDI", &np), 0);
	ck_assert(np.npdi && !np.has_rn);

	/* local rn with its context */
	ck_assert_int_eq(iw_enum_np_parse("tel:5331234;rn=4AB;rn-context=+1202;npdi", &np), 0);
	ck_assert(np.npdi && np.has_rn);
	ck_assert_str_eq(np.rn, "4AB");
	ck_assert_str_eq(np.rn_context, "+1202");

	/* in the user part of a SIP URI; host parameters are not looked at */
	ck_assert_int_eq(
		iw_enum_np_parse("sip:+4930123;npdi;rn=+49301@gw.example.net;user=phone", &np), 0);
	ck_assert(np.npdi && np.has_rn);
	ck_assert_str_eq(np.rn, "+49301");
	ck_assert_int_eq(iw_enum_np_parse("sip:gw.example.net;npdi", &np), 0);
	ck_assert(!np.npdi);

	/* nothing there */
	ck_assert_int_eq(iw_enum_np_parse("tel:+4930123", &np), 0);
	ck_assert(!np.npdi && !np.has_rn);
	ck_assert_int_eq(iw_enum_np_parse("mailto:a@x;npdi", &np), 0);
	ck_assert(!np.npdi);

	/* malformed: everything cleared */
	ck_assert_int_eq(iw_enum_np_parse("tel:+4930123;npdi;npdi", &np), -EINVAL);
	ck_assert(!np.npdi);
	ck_assert_int_eq(iw_enum_np_parse("tel:+4930123;npdi;rn=+49AB", &np), -EINVAL);
	ck_assert(!np.npdi && !np.has_rn);
	ck_assert_int_eq(iw_enum_np_parse("tel:+4930123;rn=", &np), -EINVAL);
	ck_assert_int_eq(iw_enum_np_parse("tel:+4930123;rn=+", &np), -EINVAL);
	ck_assert_int_eq(iw_enum_np_parse("tel:+4930123;rn", &np), -EINVAL);
	ck_assert_int_eq(iw_enum_np_parse("tel:+4930123;npdi=yes", &np), -EINVAL);
	ck_assert_int_eq(iw_enum_np_parse("tel:+4930123;rn=+1;rn=+2", &np), -EINVAL);
	ck_assert_int_eq(
		iw_enum_np_parse("tel:+1;rn=+1234567890123456789012345678901234567890", &np),
		-EINVAL);
}
END_TEST

/* ---- DNS messages (RFC 1035 4.1) ---- */

static size_t put16(uint8_t *b, size_t o, unsigned v)
{
	b[o] = (uint8_t)(v >> 8);
	b[o + 1] = (uint8_t)v;
	return o + 2;
}

static size_t put_cstr(uint8_t *b, size_t o, const char *s)
{
	size_t n = strlen(s);

	b[o++] = (uint8_t)n;
	memcpy(b + o, s, n);
	return o + n;
}

/* One NAPTR answer RR (RFC 3403 4.1) named by a pointer to the question. */
static size_t put_naptr(uint8_t *b, size_t o, uint32_t ttl, unsigned order, unsigned pref,
			const char *flags, const char *svc, const char *rx)
{
	size_t rdlen_at;

	o = put16(b, o, 0xc00c);
	o = put16(b, o, 35); /* NAPTR */
	o = put16(b, o, 1);
	o = put16(b, o, ttl >> 16);
	o = put16(b, o, ttl & 0xffff);
	rdlen_at = o;
	o += 2;
	o = put16(b, o, order);
	o = put16(b, o, pref);
	o = put_cstr(b, o, flags);
	o = put_cstr(b, o, svc);
	o = put_cstr(b, o, rx);
	b[o++] = 0; /* replacement: the root */
	put16(b, rdlen_at, (unsigned)(o - rdlen_at - 2));
	return o;
}

START_TEST(test_answer_ttl)
{
	uint8_t b[512];
	size_t o;
	uint32_t ttl = 7;

	memset(b, 0, sizeof(b));
	put16(b, 4, 1); /* one question */
	put16(b, 6, 2); /* two answers */
	o = 12;
	b[o++] = 1;
	b[o++] = '3';
	o = put_cstr(b, o, "e164");
	o = put_cstr(b, o, "arpa");
	b[o++] = 0;
	o = put16(b, o, 35);
	o = put16(b, o, 1);
	o = put_naptr(b, o, 3600, 10, 10, "u", "E2U+sip", "!^.*$!sip:a@x!");
	o = put_naptr(b, o, 60, 20, 10, "u", "E2U+sip", "!^.*$!sip:b@x!");
	ck_assert_int_eq(iw_enum_answer_ttl(b, o, &ttl), 0);
	ck_assert_uint_eq(ttl, 60);
	/* every truncation is refused, never read past */
	for (size_t n = 0; n < o; n++) {
		ttl = 7;
		ck_assert_int_eq(iw_enum_answer_ttl(b, n, &ttl), -EBADMSG);
		ck_assert_uint_eq(ttl, 7);
	}
	/* RFC 2181 8: the top bit set means 0; the answer after the question */
	o = 12 + 1 + 1 + 5 + 5 + 1 + 4;
	o = put_naptr(b, o, 0x80000001u, 10, 10, "u", "E2U+sip", "!^.*$!sip:a@x!");
	put16(b, 6, 1);
	ck_assert_int_eq(iw_enum_answer_ttl(b, o, &ttl), 0);
	ck_assert_uint_eq(ttl, 0);
	/* a label with the reserved 01/10 top bits */
	b[12] = 0x41;
	ck_assert_int_eq(iw_enum_answer_ttl(b, o, &ttl), -EBADMSG);
}
END_TEST

/* ---- lookups against a DNS thread ----
 * Names by their first label (the last digit of the number):
 *   1: two NAPTR records, TTL 60      2: one usable record, TTL 0
 *   3: NXDOMAIN                        4: only an email record
 *   5: SERVFAIL                        9: never answered */

struct fake_dns {
	int fd;
	bool stop;   /* __atomic: read by the DNS thread */
	int queries; /* __atomic: counted by the DNS thread */
};

static void *dns_thread(void *p)
{
	struct fake_dns *d = p;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd pf = {.fd = d->fd, .events = POLLIN};
		uint8_t q[512], a[1024];
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;
		size_t qend, o;
		unsigned rcode = 0, an = 0;

		if (poll(&pf, 1, 20) <= 0)
			continue;
		n = recvfrom(d->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
		if (n < 17 || q[12] != 1)
			continue;
		__atomic_fetch_add(&d->queries, 1, __ATOMIC_RELEASE);
		for (qend = 12; qend < (size_t)n && q[qend];)
			qend += 1u + q[qend];
		qend += 5;
		if (qend > (size_t)n)
			continue;
		memcpy(a, q, qend);
		o = qend;
		switch (q[13]) {
		case '1':
			o = put_naptr(a, o, 60, 20, 10, "u", "E2U+sip", "!^.*$!sip:second@x!");
			o = put_naptr(a, o, 90, 10, 10, "u", "E2U+sip", "!^(.*)$!sip:\\1@first!");
			an = 2;
			break;
		case '2':
			o = put_naptr(a, o, 0, 10, 10, "u", "E2U+sip", "!^.*$!sip:nocache@x!");
			an = 1;
			break;
		case '3':
			rcode = 3;
			break;
		case '4':
			o = put_naptr(a, o, 60, 10, 10, "u", "E2U+email:mailto",
				      "!^.*$!mailto:a@x!");
			an = 1;
			break;
		case '5':
			rcode = 2;
			break;
		default:
			continue;
		}
		a[2] = 0x81; /* QR, RD */
		a[3] = (uint8_t)(0x80 | rcode);
		put16(a, 6, an);
		put16(a, 8, 0);
		put16(a, 10, 0);
		sendto(d->fd, a, o, 0, (struct sockaddr *)&from, flen);
	}
	return NULL;
}

struct res {
	int calls;
	int status;
	struct iw_enum_result r;
};

static void on_res(void *priv, int status, const struct iw_enum_result *r)
{
	struct res *x = priv;

	x->calls++;
	x->status = status;
	if (r)
		x->r = *r;
	else
		memset(&x->r, 0, sizeof(x->r));
}

static void noop(void *p)
{
	(void)p;
}

static void turn(struct loop *l, const int *calls, int want, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct loop_timer g;

	loop_timer_init(&g, noop, NULL);
	while ((!calls || *calls < want) && loop_now_ns() < end) {
		loop_timer_schedule(l, &g, 10000);
		loop_run_once(l);
	}
	loop_timer_cancel(l, &g);
}

struct env {
	struct loop *l;
	struct fake_dns d;
	pthread_t th;
	char servers[64];
};

static int nqueries(struct env *v)
{
	return __atomic_load_n(&v->d.queries, __ATOMIC_ACQUIRE);
}

static void env_start(struct env *v)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);

	memset(v, 0, sizeof(*v));
	v->l = loop_alloc(unit_ctx, NULL);
	ck_assert_ptr_nonnull(v->l);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	v->d.fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_eq(bind(v->d.fd, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(v->d.fd, (struct sockaddr *)&a, &alen);
	snprintf(v->servers, sizeof(v->servers), "127.0.0.1:%u", ntohs(a.sin_port));
	pthread_create(&v->th, NULL, dns_thread, &v->d);
}

static void env_stop(struct env *v)
{
	__atomic_store_n(&v->d.stop, true, __ATOMIC_RELEASE);
	pthread_join(v->th, NULL);
	close(v->d.fd);
	turn(v->l, NULL, 0, 30); /* let cancelled poll requests complete */
	loop_free(v->l);
}

START_TEST(test_lookup_cache)
{
	struct env v;
	struct iw_enum_cfg cfg = {.timeout_ms = 300, .tries = 1};
	struct iw_enum_stats st;
	struct iw_enum *e;
	struct res r = {0};

	env_start(&v);
	cfg.servers = v.servers;
	e = iw_enum_alloc(unit_ctx, v.l, &cfg);
	ck_assert_ptr_nonnull(e);

	/* found: order 10 wins over order 20, TTL the smallest of the set */
	ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &r), 0);
	ck_assert_int_eq(r.calls, 0); /* never from inside the call */
	turn(v.l, &r.calls, 1, 2000);
	ck_assert_int_eq(r.calls, 1);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.r.uri, "sip:+4930121@first");
	ck_assert_uint_eq(r.r.ttl, 60);
	ck_assert(!r.r.cached);
	ck_assert_int_eq(nqueries(&v), 1);

	/* the positive cache answers, later and from the loop */
	ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &r), 0);
	ck_assert_int_eq(r.calls, 1);
	turn(v.l, &r.calls, 2, 1000);
	ck_assert_int_eq(r.calls, 2);
	ck_assert_int_eq(r.status, 0);
	ck_assert(r.r.cached);
	ck_assert_str_eq(r.r.uri, "sip:+4930121@first");
	ck_assert_uint_le(r.r.ttl, 60);
	ck_assert_uint_ge(r.r.ttl, 58);
	ck_assert_int_eq(nqueries(&v), 1);

	/* TTL 0 is not kept */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(iw_enum_lookup(e, "+4930122", on_res, &r), 0);
		turn(v.l, &r.calls, 3 + i, 2000);
		ck_assert_int_eq(r.status, 0);
		ck_assert_str_eq(r.r.uri, "sip:nocache@x");
	}
	ck_assert_int_eq(nqueries(&v), 3);

	/* NXDOMAIN, then from the negative cache */
	ck_assert_int_eq(iw_enum_lookup(e, "+4930123", on_res, &r), 0);
	turn(v.l, &r.calls, 5, 2000);
	ck_assert_int_eq(r.status, -ENOENT);
	ck_assert_int_eq(iw_enum_lookup(e, "+4930123", on_res, &r), 0);
	turn(v.l, &r.calls, 6, 1000);
	ck_assert_int_eq(r.calls, 6);
	ck_assert_int_eq(r.status, -ENOENT);
	ck_assert_int_eq(nqueries(&v), 4);

	/* records, none usable */
	ck_assert_int_eq(iw_enum_lookup(e, "+4930124", on_res, &r), 0);
	turn(v.l, &r.calls, 7, 2000);
	ck_assert_int_eq(r.status, -ENOENT);

	/* SERVFAIL is not cached. c-ares 1.18 moves on to the next server on
	 * SERVFAIL and, when none is left, reports ARES_ECONNREFUSED */
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(iw_enum_lookup(e, "+4930125", on_res, &r), 0);
		turn(v.l, &r.calls, 8 + i, 2000);
		ck_assert_int_eq(r.status, -ECONNREFUSED);
	}
	ck_assert_int_eq(nqueries(&v), 7);

	/* no answer: the timeout */
	ck_assert_int_eq(iw_enum_lookup(e, "+4930129", on_res, &r), 0);
	turn(v.l, &r.calls, 10, 3000);
	ck_assert_int_eq(r.calls, 10);
	ck_assert_int_eq(r.status, -ETIMEDOUT);

	ck_assert_int_eq(iw_enum_lookup(e, "4930121", on_res, &r), -EINVAL);
	ck_assert_int_eq(iw_enum_lookup(e, "+49301a", on_res, &r), -EINVAL);

	iw_enum_get_stats(e, &st);
	ck_assert_uint_eq(st.lookups, 10);
	ck_assert_uint_eq(st.cache_hits, 2);
	ck_assert_uint_eq(st.neg_hits, 1);
	ck_assert_uint_eq(st.found, 4);
	ck_assert_uint_eq(st.pending, 0);
	ck_assert_uint_eq(st.cache_entries, 3);

	iw_enum_cache_flush(e);
	ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &r), 0);
	turn(v.l, &r.calls, 11, 2000);
	ck_assert(!r.r.cached);
	iw_enum_free(e);
	env_stop(&v);
}
END_TEST

START_TEST(test_lookup_cancel_and_free)
{
	struct env v;
	struct iw_enum_cfg cfg = {.timeout_ms = 200, .tries = 1, .max_entries = 2};
	struct iw_enum_stats st;
	struct iw_enum *e;
	struct res a = {0}, b = {0}, c = {0};

	env_start(&v);
	cfg.servers = v.servers;
	e = iw_enum_alloc(unit_ctx, v.l, &cfg);
	ck_assert_ptr_nonnull(e);

	/* cancel one of two lookups in flight */
	ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &a), 0);
	ck_assert_int_eq(iw_enum_lookup(e, "+4930129", on_res, &b), 0);
	ck_assert_uint_eq(iw_enum_cancel(e, &b), 1);
	ck_assert_uint_eq(iw_enum_cancel(e, &b), 0);
	turn(v.l, NULL, 0, 500); /* past b's timeout */
	ck_assert_int_eq(a.calls, 1);
	ck_assert_int_eq(b.calls, 0);

	/* cancel a cache hit before it is delivered */
	ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &c), 0);
	ck_assert_uint_eq(iw_enum_cancel(e, &c), 1);
	turn(v.l, NULL, 0, 50);
	ck_assert_int_eq(c.calls, 0);

	/* the cache keeps max_entries, the least recently used goes */
	ck_assert_int_eq(iw_enum_lookup(e, "+4930123", on_res, &a), 0);
	turn(v.l, &a.calls, 2, 2000);
	ck_assert_int_eq(iw_enum_lookup(e, "+4930124", on_res, &a), 0);
	turn(v.l, &a.calls, 3, 2000);
	iw_enum_get_stats(e, &st);
	ck_assert_uint_eq(st.cache_entries, 2);
	ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &a), 0);
	turn(v.l, &a.calls, 4, 2000);
	ck_assert(!a.r.cached);

	/* lookups of one number while its query is out share it; a waiter
	 * cancelled before the answer does not stop the others */
	{
		struct res w[3] = {{0}};
		int before = nqueries(&v);

		iw_enum_cache_flush(e);
		for (int i = 0; i < 3; i++)
			ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &w[i]), 0);
		ck_assert_uint_eq(iw_enum_cancel(e, &w[0]), 1);
		turn(v.l, &w[2].calls, 1, 2000);
		ck_assert_int_eq(w[0].calls, 0);
		ck_assert_int_eq(w[1].calls, 1);
		ck_assert_int_eq(w[2].calls, 1);
		ck_assert_str_eq(w[1].r.uri, "sip:+4930121@first");
		ck_assert_str_eq(w[2].r.uri, "sip:+4930121@first");
		ck_assert_int_eq(nqueries(&v), before + 1);
		iw_enum_get_stats(e, &st);
		ck_assert_uint_eq(st.joined, 2);

		/* every waiter gone: the answer still fills the cache, and a
		 * new lookup in between joins the same query */
		iw_enum_cache_flush(e);
		ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &w[0]), 0);
		ck_assert_uint_eq(iw_enum_cancel(e, &w[0]), 1);
		ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &w[1]), 0);
		turn(v.l, &w[1].calls, 2, 2000);
		ck_assert_int_eq(w[1].calls, 2);
		ck_assert_int_eq(nqueries(&v), before + 2);
		ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &w[1]), 0);
		turn(v.l, &w[1].calls, 3, 1000);
		ck_assert(w[1].r.cached);
	}

	/* free with a query in c-ares and a cache hit queued: no callback, no leak */
	ck_assert_int_eq(iw_enum_lookup(e, "+4930129", on_res, &b), 0);
	ck_assert_int_eq(iw_enum_lookup(e, "+4930121", on_res, &c), 0);
	iw_enum_free(e);
	turn(v.l, NULL, 0, 300);
	ck_assert_int_eq(b.calls, 0);
	ck_assert_int_eq(c.calls, 0);
	env_stop(&v);
}
END_TEST

START_TEST(test_alloc_bad_cfg)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct iw_enum_cfg cfg = {.suffix = "e164..arpa"};

	ck_assert_ptr_null(iw_enum_alloc(unit_ctx, l, &cfg));
	cfg.suffix = NULL;
	cfg.servers = "not a server list";
	ck_assert_ptr_null(iw_enum_alloc(unit_ctx, l, &cfg));
	loop_free(l);
}
END_TEST

START_TEST(test_filter_parse)
{
	struct iw_enum_filter f;
	static const char *const bad[] = {
		"",
		"E2U",
		"E2U+",
		"sip",
		"E2U+sip:",
		"E2U+:tel",
		"E2U+sip,",
		",E2U+sip",
		"E2U+sip,,E2U+tel",
		"E2U+pstn:tel:x",
		"E2U+si p",
		"E2U+sip+pstn",
		"sip+E2U",
		"E2U+aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",		 /* 33 characters */
		"E2U+a,E2U+b,E2U+c,E2U+d,E2U+e,E2U+f,E2U+g,E2U+h,E2U+i", /* 9 entries */
	};

	ck_assert_int_eq(iw_enum_filter_parse(&f, "E2U+sip"), 0);
	ck_assert_uint_eq(f.n, 1);
	ck_assert_str_eq(f.spec[0].type, "sip");
	ck_assert_str_eq(f.spec[0].subtype, "");
	ck_assert_int_eq(iw_enum_filter_parse(&f, "e2u+PSTN:Tel,E2U+sip,E2U+voice:tel"), 0);
	ck_assert_uint_eq(f.n, 3);
	ck_assert_str_eq(f.spec[0].type, "pstn");
	ck_assert_str_eq(f.spec[0].subtype, "tel");
	ck_assert_str_eq(f.spec[2].type, "voice");
	ck_assert_int_eq(
		iw_enum_filter_parse(&f, "E2U+a,E2U+b,E2U+c,E2U+d,E2U+e,E2U+f,E2U+g,E2U+h"), 0);
	ck_assert_uint_eq(f.n, 8);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(iw_enum_filter_parse(&f, bad[i]) == -EINVAL, "'%s'", bad[i]);
	ck_assert_int_eq(iw_enum_filter_parse(&f, NULL), -EINVAL);
}
END_TEST

START_TEST(test_filter_match)
{
	static const struct {
		const char *filter, *service;
		int want;
	} v[] = {
		{"E2U+sip", "E2U+sip", 1},
		{"E2U+sip", "E2U+SIP:foo", 1}, /* no subtype in the filter: any */
		{"E2U+sip", "E2U+pstn:sip", 0},
		{"E2U+pstn:sip", "E2U+pstn:sip", 1},
		{"E2U+pstn:sip", "E2U+pstn:tel", 0},
		{"E2U+pstn:sip", "E2U+pstn", 0},
		{"E2U+pstn", "E2U+pstn:tel", 1},
		{"E2U+pstn:tel", "E2U+pstn:x:tel", 1}, /* one of several subtypes */
		{"E2U+pstn:tel", "E2U+sip+pstn:tel", 1},
		{"E2U+pstn:tel", "E2U+pstn:sip+voice:tel", 0}, /* subtype of another type */
		{"E2U+tel", "E2U+tel", 1},
		{"E2U+tel", "E2U+telx", 0},
		{"E2U+sip,E2U+pstn:tel", "E2U+pstn:tel+sip", 3},
		{"E2U+pstn:tel,E2U+sip", "E2U+sip", 2},
		{"E2U+sip", "E2U+email:mailto", 0},
		{"E2U+sip", "E2U+sip:", -EINVAL},
		{"E2U+sip", "sip+E2U", -EINVAL},
	};
	struct iw_enum_filter f;

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(iw_enum_filter_parse(&f, v[i].filter), 0);
		ck_assert_msg(
			iw_enum_filter_match(&f, tstr_make(v[i].service, strlen(v[i].service))) ==
				v[i].want,
			"%s vs %s", v[i].filter, v[i].service);
	}
}
END_TEST

/* One record set, each service choosing its record (RFC 6116, RFC 4769). */
START_TEST(test_select_service)
{
	static const struct {
		const char *filter, *uri, *service;
	} v[] = {
		{"E2U+sip", "sip:sip@x", "E2U+sip"},
		{"E2U+pstn:sip", "sip:+4930123;npdi@pstn-sip", "E2U+pstn:sip"},
		{"E2U+pstn:tel", "tel:+4930123;npdi;rn=+4930999", "E2U+pstn:tel"},
		{"E2U+pstn", "sip:+4930123;npdi@pstn-sip", "E2U+pstn:sip"}, /* order 20 < 30 */
		{"E2U+tel", "tel:+4930123", "E2U+tel"},
		{"E2U+voice:tel", "tel:+4930123;voice", "E2U+voice:tel"},
		{"E2U+pstn:tel,E2U+sip", "sip:sip@x", "E2U+sip"}, /* record order decides */
		{"E2U+h323", NULL, NULL},			  /* h323: URI: not routable */
	};
	struct iw_enum_naptr recs[] = {
		REC(50, 1, "u", "E2U+voice:tel", "!^(.*)$!tel:\\1;voice!"),
		REC(10, 1, "u", "E2U+sip", "!^.*$!sip:sip@x!"),
		REC(30, 1, "u", "E2U+pstn:tel", "!^(.*)$!tel:\\1;npdi;rn=+4930999!"),
		REC(20, 1, "u", "E2U+pstn:sip", "!^(.*)$!sip:\\1;npdi@pstn-sip!"),
		REC(15, 1, "u", "E2U+pstn:tel", "!^(.*)$!sip:wrong-scheme@x!"),
		REC(40, 1, "u", "E2U+tel", "!^(.*)$!\\1!"), /* not a URI */
		REC(41, 1, "u", "E2U+tel", "!^(.*)$!tel:\\1!"),
		REC(60, 1, "u", "E2U+h323", "!^(.*)$!h323:\\1@gk!"),
	};
	struct iw_enum_filter f;
	struct iw_enum_result r;

	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_int_eq(iw_enum_filter_parse(&f, v[i].filter), 0);
		if (!v[i].uri) {
			ck_assert_int_eq(iw_enum_select_filter(recs, 8, "+4930123", &f, &r),
					 -ENOENT);
			continue;
		}
		ck_assert_msg(iw_enum_select_filter(recs, 8, "+4930123", &f, &r) == 0, "%s",
			      v[i].filter);
		ck_assert_str_eq(r.uri, v[i].uri);
		ck_assert_str_eq(r.service, v[i].service);
	}
	/* the np data of the pstn:tel record */
	ck_assert_int_eq(iw_enum_filter_parse(&f, "E2U+pstn:tel"), 0);
	ck_assert_int_eq(iw_enum_select_filter(recs, 8, "+4930123", &f, &r), 0);
	ck_assert(r.np.npdi);
	ck_assert_str_eq(r.np.rn, "+4930999");
	ck_assert_uint_eq(r.usable, 1);
}
END_TEST

Suite *iw_enum_suite(void)
{
	Suite *s = suite_create("iw_enum");
	TCase *tc = unit_tcase("pure");
	TCase *td = unit_tcase("dns");

	tcase_add_test(tc, test_domain_vectors);
	tcase_add_test(tc, test_domain_space);
	tcase_add_test(tc, test_regexp_vectors);
	tcase_add_test(tc, test_regexp_icase_and_space);
	tcase_add_test(tc, test_service_parse);
	tcase_add_test(tc, test_select_sort);
	tcase_add_test(tc, test_select_filter);
	tcase_add_test(tc, test_filter_parse);
	tcase_add_test(tc, test_filter_match);
	tcase_add_test(tc, test_select_service);
	tcase_add_test(tc, test_np_parse);
	tcase_add_test(tc, test_answer_ttl);
	suite_add_tcase(s, tc);
	tcase_set_timeout(td, 20);
	tcase_add_test(td, test_lookup_cache);
	tcase_add_test(td, test_lookup_cancel_and_free);
	tcase_add_test(td, test_alloc_bad_cfg);
	suite_add_tcase(s, td);
	return s;
}
