/* sigtran/isup_link + isup_call_fsm: an ISUP linkset driven through its
 * public API with a capturing tx callback and a fake clock. Circuit
 * supervision (Q.764 2.8-2.10, 2.12, 2.9.5), incoming and outgoing calls
 * with their timers (T1, T5, T7, T35), dual seizure, overlap. Loop tests
 * run once per variant: _i 0 is ITU (Q.763), 1 is ANSI (T1.113). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/timer.h>

#include "sigtran/isup_link.h"
#include "sigtran/isup_proto.h"
#include "tests/unit/unit.h"

#define OPC 100
#define DPC 200

/* --- captured output --- */

struct sent {
	uint8_t buf[272];
	size_t len;
	uint32_t opc, dpc;
	uint8_t sls;
};

static struct {
	struct sent s[512];
	unsigned n;
} TX;

/* --- what the owner heard --- */

static struct {
	int setups, progress, answers, releases, suspends, resumes;
	bool alerting;
	struct isup_call *call; /* last setup */
	unsigned setup_cic;
	char called[ISUP_NUMBER_MAX_DIGITS + 1], calling[ISUP_NUMBER_MAX_DIGITS + 1];
	bool called_st, have_calling;
	uint8_t rel_cause;
	bool rel_had_msg;
	struct isup_call *released;
} OW;

static void *ctx;
static struct isup_link *L;
static enum isup_variant V;

static int cap_tx(void *priv, uint32_t opc, uint32_t dpc, uint8_t ni, uint8_t sls,
		  const uint8_t *buf, size_t len)
{
	(void)priv;
	(void)ni;
	ck_assert_uint_lt(TX.n, 512);
	ck_assert_uint_le(len, sizeof(TX.s[0].buf));
	memcpy(TX.s[TX.n].buf, buf, len);
	TX.s[TX.n].len = len;
	TX.s[TX.n].opc = opc;
	TX.s[TX.n].dpc = dpc;
	TX.s[TX.n].sls = sls;
	TX.n++;
	return 0;
}

static void ow_setup(void *priv, struct isup_call *c, const struct isup_msg *iam,
		     const struct isup_number *called, const struct isup_number *calling)
{
	(void)priv;
	ck_assert_uint_eq(iam->type, ISUP_MT_IAM);
	OW.setups++;
	OW.call = c;
	OW.setup_cic = isup_call_cic(c);
	snprintf(OW.called, sizeof(OW.called), "%s", called->digits);
	OW.called_st = called->st;
	OW.have_calling = calling != NULL;
	snprintf(OW.calling, sizeof(OW.calling), "%s", calling ? calling->digits : "");
	isup_call_set_user(c, &OW);
}

static void ow_progress(void *u, struct isup_call *c, const struct isup_msg *m, bool alerting)
{
	(void)u;
	(void)c;
	(void)m;
	OW.progress++;
	OW.alerting = alerting;
}

static void ow_answer(void *u, struct isup_call *c, const struct isup_msg *m)
{
	(void)u;
	(void)c;
	(void)m;
	OW.answers++;
}

static void ow_release(void *u, struct isup_call *c, const struct isup_cause *cause,
		       const struct isup_msg *m)
{
	(void)u;
	OW.releases++;
	OW.rel_cause = cause->value;
	OW.rel_had_msg = m != NULL;
	OW.released = c;
}

static void ow_suspend(void *u, struct isup_call *c, bool suspended)
{
	(void)u;
	(void)c;
	if (suspended)
		OW.suspends++;
	else
		OW.resumes++;
}

static const struct isup_call_ops ops = {
	.setup = ow_setup,
	.progress = ow_progress,
	.answer = ow_answer,
	.release = ow_release,
	.suspend = ow_suspend,
};

/* --- fake clock --- */

static void advance_ms(unsigned ms)
{
	/* libosmocore 1.7 osmo_timer reads osmo_gettimeofday(); move the
	 * monotonic clock too for anything reading that */
	for (unsigned i = 0; i < ms; i += 100) {
		osmo_gettimeofday_override_add(0, 100000);
		osmo_clock_override_add(CLOCK_MONOTONIC, 0, 100 * 1000000);
		osmo_timers_prepare();
		osmo_timers_update();
	}
}

static void advance_s(unsigned s)
{
	advance_ms(s * 1000);
}

/* --- link setup and teardown --- */

static struct isup_link_cfg base_cfg(enum isup_variant v)
{
	struct isup_link_cfg cfg = {
		.name = "test",
		.variant = v,
		.opc = OPC,
		.dpc = DPC,
		.ni = 2,
		.glare = ISUP_GLARE_ALWAYS_WIN,
	};
	return cfg;
}

static void start_cfg(const struct isup_link_cfg *cfg, unsigned first, unsigned last)
{
	memset(&TX, 0, sizeof(TX));
	memset(&OW, 0, sizeof(OW));
	V = cfg->variant;
	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 100000};
	ctx = talloc_named_const(unit_ctx, 0, "isup_link_test");
	L = isup_link_alloc(ctx, cfg, cap_tx, NULL, &ops, NULL);
	ck_assert_ptr_nonnull(L);
	ck_assert_int_eq(isup_cic_add_range(isup_link_cics(L), first, last, 0, 1), 0);
}

static void start(enum isup_variant v, unsigned first, unsigned last)
{
	struct isup_link_cfg cfg = base_cfg(v);

	start_cfg(&cfg, first, last);
	isup_link_up(L);
	ck_assert(isup_link_is_up(L));
	ck_assert_uint_eq(TX.n, 0); /* no grs_on_up */
}

static void finish(void)
{
	isup_link_free(L);
	L = NULL;
	/* everything the link allocated hung under it */
	ck_assert_uint_eq(talloc_total_blocks(ctx), 1);
	talloc_free(ctx);
	ctx = NULL;
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	osmo_gettimeofday_override = false;
}

/* blocks under the link's context: what a finished call must give back */
static size_t blocks(void)
{
	return talloc_total_blocks(ctx);
}

/* --- sent message access --- */

static void sent_msg(unsigned i, struct isup_msg *m)
{
	enum isup_decode_err err;

	ck_assert_uint_lt(i, TX.n);
	ck_assert_uint_eq(TX.s[i].opc, OPC);
	ck_assert_uint_eq(TX.s[i].dpc, DPC);
	ck_assert_msg(isup_msg_decode(V, TX.s[i].buf, TX.s[i].len, m, &err) == 0,
		      "sent message %u does not decode: %d", i, err);
}

/* The i-th sent message, asserting its type and CIC. */
static void expect(unsigned i, uint8_t type, unsigned cic, struct isup_msg *m)
{
	sent_msg(i, m);
	ck_assert_msg(m->type == type, "message %u: type %s, expected %s", i,
		      isup_msg_type_name(m->type), isup_msg_type_name(type));
	ck_assert_uint_eq(m->cic, cic);
}

static unsigned count_type(uint8_t type)
{
	unsigned n = 0;

	for (unsigned i = 0; i < TX.n; i++) {
		struct isup_msg m;

		sent_msg(i, &m);
		if (m.type == type)
			n++;
	}
	return n;
}

static void rs_of(const struct isup_msg *m, struct isup_range_status *rs)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_RANGE_AND_STATUS);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_range_status_decode(p->val, p->len, rs), 0);
}

static uint8_t location_of(const struct isup_msg *m)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_CAUSE_INDICATORS);
	struct isup_cause c;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_cause_decode(p->val, p->len, &c), 0);
	return c.location;
}

static uint8_t cause_of(const struct isup_msg *m)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_CAUSE_INDICATORS);
	struct isup_cause c;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_cause_decode(p->val, p->len, &c), 0);
	return c.value;
}

/* --- building received messages --- */

static void rx_msg(const struct isup_msg *m)
{
	uint8_t buf[272];
	int n = isup_msg_encode(V, m, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	isup_link_rx(L, DPC, buf, (size_t)n);
}

static void rx_simple(uint8_t type, unsigned cic)
{
	struct isup_msg m;

	isup_msg_init(&m, type, (uint16_t)cic);
	rx_msg(&m);
}

static int build_iam(uint8_t *buf, size_t size, unsigned cic, const char *called, bool st,
		     const char *calling)
{
	static const uint8_t usi[3] = {0x80, 0x90, 0xa2};
	uint8_t noci = 0, fci[2] = {0x20, 0x01}, cpc = 10, tmr = 0, cd[24], cg[24];
	struct isup_number n = {.noa = 3, .npi = 1, .st = st};
	struct isup_msg m;
	int n1, n2 = 0;

	snprintf(n.digits, sizeof(n.digits), "%s", called);
	n1 = isup_number_encode(ISUP_PAR_CALLED_PARTY_NUMBER, &n, cd, sizeof(cd));
	ck_assert_int_gt(n1, 0);
	if (calling) {
		struct isup_number g = {.noa = 3, .npi = 1, .screening = 3};

		snprintf(g.digits, sizeof(g.digits), "%s", calling);
		n2 = isup_number_encode(ISUP_PAR_CALLING_PARTY_NUMBER, &g, cg, sizeof(cg));
		ck_assert_int_gt(n2, 0);
	}
	isup_msg_init(&m, ISUP_MT_IAM, (uint16_t)cic);
	isup_msg_add(&m, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci, 1);
	isup_msg_add(&m, ISUP_PAR_FORWARD_CALL_INDICATORS, fci, 2);
	isup_msg_add(&m, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1);
	if (V == ISUP_VAR_ANSI)
		isup_msg_add(&m, ISUP_PAR_USER_SERVICE_INFORMATION, usi, 3);
	else
		isup_msg_add(&m, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &tmr, 1);
	isup_msg_add(&m, ISUP_PAR_CALLED_PARTY_NUMBER, cd, (size_t)n1);
	if (calling)
		isup_msg_add(&m, ISUP_PAR_CALLING_PARTY_NUMBER, cg, (size_t)n2);
	return isup_msg_encode(V, &m, buf, size);
}

static void rx_iam(unsigned cic, const char *called, bool st, const char *calling)
{
	uint8_t buf[272];
	int n = build_iam(buf, sizeof(buf), cic, called, st, calling);

	ck_assert_int_gt(n, 0);
	isup_link_rx(L, DPC, buf, (size_t)n);
}

static void rx_sam(unsigned cic, const char *digits, bool st)
{
	struct isup_number n = {.st = st};
	uint8_t sn[24];
	struct isup_msg m;
	int len;

	snprintf(n.digits, sizeof(n.digits), "%s", digits);
	len = isup_number_encode(ISUP_PAR_SUBSEQUENT_NUMBER, &n, sn, sizeof(sn));
	ck_assert_int_gt(len, 0);
	isup_msg_init(&m, ISUP_MT_SAM, (uint16_t)cic);
	isup_msg_add(&m, ISUP_PAR_SUBSEQUENT_NUMBER, sn, (size_t)len);
	rx_msg(&m);
}

static void rx_acm(unsigned cic, bool subscriber_free)
{
	struct isup_bci b = {.charge = 2, .called_status = subscriber_free ? 1 : 0};
	uint8_t bci[2];
	struct isup_msg m;

	ck_assert_int_eq(isup_bci_encode(&b, bci, sizeof(bci)), 2);
	isup_msg_init(&m, ISUP_MT_ACM, (uint16_t)cic);
	isup_msg_add(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS, bci, 2);
	rx_msg(&m);
}

static void rx_rel(unsigned cic, uint8_t cause)
{
	struct isup_cause c = {.location = 2, .value = cause};
	uint8_t buf[8];
	struct isup_msg m;
	int n = isup_cause_encode(&c, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	isup_msg_init(&m, ISUP_MT_REL, (uint16_t)cic);
	isup_msg_add(&m, ISUP_PAR_CAUSE_INDICATORS, buf, (size_t)n);
	rx_msg(&m);
}

/* GRS/GRA/CQM (type_par < 0: no supervision type) and CGB/CGU/CGBA/CGUA */
static void rx_range(uint8_t type, unsigned cic, uint8_t range, const uint8_t *status, int type_par)
{
	struct isup_range_status rs = {.range = range};
	uint8_t rsbuf[40], cgs = (uint8_t)type_par;
	struct isup_msg m;
	int n;

	if (status) {
		rs.status_len = (uint8_t)((range + 1u + 7) / 8);
		memcpy(rs.status, status, rs.status_len);
	}
	n = isup_range_status_encode(&rs, rsbuf, sizeof(rsbuf));
	ck_assert_int_gt(n, 0);
	isup_msg_init(&m, type, (uint16_t)cic);
	if (type_par >= 0)
		isup_msg_add(&m, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &cgs, 1);
	isup_msg_add(&m, ISUP_PAR_RANGE_AND_STATUS, rsbuf, (size_t)n);
	rx_msg(&m);
}

static struct isup_cic *cic(unsigned n)
{
	struct isup_cic *c = isup_cic_get(isup_link_cics(L), n);

	ck_assert_ptr_nonnull(c);
	return c;
}

static struct isup_call *call_out(const char *called)
{
	struct isup_call_spec spec = {
		.have_calling = true,
		.cpc = 10,
		.except_cic = -1,
	};

	spec.called.noa = 3;
	spec.called.npi = 1;
	snprintf(spec.called.digits, sizeof(spec.called.digits), "%s", called);
	spec.calling.noa = 3;
	spec.calling.npi = 1;
	snprintf(spec.calling.digits, sizeof(spec.calling.digits), "%s", "3055551234");
	return isup_call_out(L, &spec, NULL, &OW);
}

/* ------------------------------------------------------------------ */

/* Q.764 2.9.3.1: reset on link up, in groups of up to 32 circuits; GRA
 * completes a group; T22 repeats an unanswered GRS. ANSI uses CICs above
 * the ITU 12-bit range to show the 14-bit CIC round trip. */
START_TEST(test_grs_on_up)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	unsigned b = _i ? 5000 : 1, single = b + 49;
	struct isup_range_status rs;
	struct isup_msg m;
	uint8_t st4[4] = {0}, st1[1] = {0x01};

	cfg.grs_on_up = true;
	start_cfg(&cfg, b, b + 39);
	ck_assert_int_eq(isup_cic_add_range(isup_link_cics(L), single, single, 0, 60), 0);
	isup_link_up(L);

	ck_assert_uint_eq(TX.n, 3);
	expect(0, ISUP_MT_GRS, b, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 31);
	ck_assert_uint_eq(rs.status_len, 0);
	expect(1, ISUP_MT_GRS, b + 32, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 7);
	/* a lone circuit gets RSC: a group has 2..32 (Q.763 3.43) */
	expect(2, ISUP_MT_RSC, single, &m);
	for (unsigned i = b; i < b + 40; i++)
		ck_assert(cic(i)->pending & ISUP_PEND_RESET);
	ck_assert(cic(single)->pending & ISUP_PEND_RESET);
	/* nothing free while every circuit is being reset */
	ck_assert_ptr_null(call_out("123"));

	/* GRA for the first group: 32 circuits, none blocked */
	rx_range(ISUP_MT_GRA, b, 31, st4, -1);
	for (unsigned i = b; i < b + 32; i++)
		ck_assert_uint_eq(cic(i)->pending, 0);
	for (unsigned i = b + 32; i < b + 40; i++)
		ck_assert(cic(i)->pending & ISUP_PEND_RESET);
	ck_assert_uint_eq(TX.n, 3);

	/* T22 (15 s): the unanswered GRS goes again; T16 repeats the RSC */
	advance_s(14);
	ck_assert_uint_eq(TX.n, 3);
	advance_s(1);
	ck_assert_uint_eq(TX.n, 5);
	ck_assert_uint_eq(count_type(ISUP_MT_GRS), 3); /* 2 at link up, 1 repeat */
	ck_assert_uint_eq(count_type(ISUP_MT_RSC), 2);
	for (unsigned i = 3; i < 5; i++) {
		sent_msg(i, &m);
		if (m.type == ISUP_MT_GRS) {
			ck_assert_uint_eq(m.cic, b + 32);
			rs_of(&m, &rs);
			ck_assert_uint_eq(rs.range, 7);
		} else {
			ck_assert_uint_eq(m.cic, single);
		}
	}

	/* GRA for the second group: its status bit 0 says the peer blocks
	 * the first circuit (Q.764 2.9.3.2) */
	rx_range(ISUP_MT_GRA, b + 32, 7, st1, -1);
	rx_simple(ISUP_MT_RLC, single);
	for (unsigned i = b + 32; i < b + 40; i++)
		ck_assert_uint_eq(cic(i)->pending, 0);
	ck_assert_uint_eq(cic(b + 32)->blocked, ISUP_BLK_REMOTE_MAINT);
	ck_assert_uint_eq(cic(b + 33)->blocked, 0);
	ck_assert_uint_eq(cic(single)->pending, 0);

	/* procedures done: no more repeats */
	TX.n = 0;
	advance_s(400);
	ck_assert_uint_eq(TX.n, 0);
	finish();
}
END_TEST

/* A GRA that does not match our GRS (other range) leaves the reset pending. */
START_TEST(test_gra_mismatch)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	uint8_t st[1] = {0};

	cfg.grs_on_up = true;
	start_cfg(&cfg, 1, 8);
	isup_link_up(L);
	ck_assert_uint_eq(TX.n, 1);
	rx_range(ISUP_MT_GRA, 1, 3, st, -1);
	ck_assert(cic(1)->pending & ISUP_PEND_RESET);
	rx_range(ISUP_MT_GRA, 1, 7, st, -1);
	ck_assert_uint_eq(cic(1)->pending, 0);
	ck_assert_uint_eq(cic(8)->pending, 0);
	ck_assert_uint_eq(TX.n, 1);
	finish();
}
END_TEST

/* Incoming call: IAM -> setup, ACM with BCI, ANM, REL -> RLC + release. */
START_TEST(test_incoming_call)
{
	struct isup_bci bci;
	const struct isup_param *p;
	struct isup_msg m;
	size_t base;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 31);
	base = blocks();
	rx_iam(5, "4930123456", _i == 0, "3055551234");
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(OW.setup_cic, 5);
	ck_assert_str_eq(OW.called, "4930123456");
	ck_assert(OW.have_calling);
	ck_assert_str_eq(OW.calling, "3055551234");
	ck_assert(isup_call_incoming(OW.call));
	ck_assert_uint_eq(cic(5)->call, ISUP_CIC_IN_BUSY);
	ck_assert_ptr_eq(cic(5)->user, OW.call);
	ck_assert_uint_eq(TX.n, 0);
	/* ANM before ACM is not a valid order here */
	ck_assert_int_eq(isup_call_anm(OW.call), -EINVAL);
	ck_assert_uint_eq(TX.n, 0);

	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_ACM, 5, &m);
	p = isup_msg_param(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_bci_decode(p->val, p->len, &bci), 0);
	ck_assert_uint_eq(bci.called_status, 1); /* subscriber free */
	ck_assert_uint_eq(bci.charge, 2);
	ck_assert_ptr_null(isup_msg_param(&m, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS));
	ck_assert_str_eq(isup_call_state_name(OW.call), "IN_ALERTING");

	ck_assert_int_eq(isup_call_anm(OW.call), 0);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_ANM, 5, &m);
	ck_assert_str_eq(isup_call_state_name(OW.call), "ANSWERED");

	rx_rel(5, 17);
	ck_assert_uint_eq(TX.n, 3);
	expect(2, ISUP_MT_RLC, 5, &m);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 17);
	ck_assert(OW.rel_had_msg);
	ck_assert_uint_eq(cic(5)->call, ISUP_CIC_IDLE);
	ck_assert_ptr_null(cic(5)->user);
	ck_assert_uint_eq(blocks(), base);
	ck_assert_uint_eq(isup_link_stats(L)->calls_in, 1);
	finish();
}
END_TEST

/* SIP-I (Q.1912.5 profile C): backward messages with the parameters a
 * received encapsulated message gives (isup_call_backward): the ACM's BCI
 * and OBCI as they came but bit N ours, the CPG's event, the ANM's
 * optional part; a message that does not fit the state is refused and
 * nothing goes out. */
START_TEST(test_incoming_backward_from_msg)
{
	static const uint8_t bci_in[2] = {0x15, 0x11}, obci = 0x02, ev = 0x06, ev_bad = 0x02;
	struct isup_msg in, m;
	struct isup_bci bci;
	const struct isup_param *p;
	uint8_t u8 = 0;

	start(ISUP_VAR_ITU, 1, 31);
	rx_iam(7, "4930123456", true, NULL);
	ck_assert_int_eq(OW.setups, 1);
	isup_call_set_echo_control(OW.call, true);

	/* a CPG or ANM before anything went back: refused */
	isup_msg_init(&in, ISUP_MT_CPG, 99);
	isup_msg_add(&in, ISUP_PAR_EVENT_INFORMATION, &ev_bad, 1);
	ck_assert_int_eq(isup_call_backward(OW.call, &in), -EINVAL);
	isup_msg_init(&in, ISUP_MT_ANM, 99);
	ck_assert_int_eq(isup_call_backward(OW.call, &in), -EINVAL);
	/* an ACM without its BCI, a REL: refused */
	isup_msg_init(&in, ISUP_MT_ACM, 99);
	ck_assert_int_eq(isup_call_backward(OW.call, &in), -EINVAL);
	isup_msg_init(&in, ISUP_MT_REL, 99);
	ck_assert_int_eq(isup_call_backward(OW.call, &in), -EINVAL);
	ck_assert_uint_eq(TX.n, 0);

	isup_msg_init(&in, ISUP_MT_ACM, 99); /* its CIC is not ours: ignored */
	isup_msg_add(&in, ISUP_PAR_BACKWARD_CALL_INDICATORS, bci_in, 2);
	isup_msg_add(&in, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS, &obci, 1);
	ck_assert_int_eq(isup_call_backward(OW.call, &in), 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_ACM, 7, &m);
	p = isup_msg_param(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_bci_decode(p->val, p->len, &bci), 0);
	ck_assert_uint_eq(bci.charge, 1); /* no charge, as received (ours says 2) */
	ck_assert_uint_eq(bci.called_status, 1);
	ck_assert(bci.isdn_access && bci.interworking);
	ck_assert(bci.echo_control_device); /* ours works on the circuit */
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS, &u8), 0);
	ck_assert_uint_eq(u8, 0x02);
	ck_assert_str_eq(isup_call_state_name(OW.call), "IN_ALERTING");
	/* a second ACM: refused */
	ck_assert_int_eq(isup_call_backward(OW.call, &in), -EINVAL);

	isup_msg_init(&in, ISUP_MT_CPG, 99);
	isup_msg_add(&in, ISUP_PAR_EVENT_INFORMATION, &ev, 1);
	ck_assert_int_eq(isup_call_backward(OW.call, &in), 0);
	expect(1, ISUP_MT_CPG, 7, &m);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_EVENT_INFORMATION, &u8), 0);
	ck_assert_uint_eq(u8, 0x06);

	isup_msg_init(&in, ISUP_MT_ANM, 99);
	isup_msg_add(&in, ISUP_PAR_BACKWARD_CALL_INDICATORS, bci_in, 2);
	ck_assert_int_eq(isup_call_backward(OW.call, &in), 0);
	expect(2, ISUP_MT_ANM, 7, &m);
	ck_assert_ptr_nonnull(isup_msg_param(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS));
	ck_assert_str_eq(isup_call_state_name(OW.call), "ANSWERED");
	ck_assert_uint_eq(TX.n, 3);

	/* the REL of a SIP-I BYE: cause 21 location 2 with a diagnostic; it
	 * goes as coded when the release has that value and location */
	{
		static const uint8_t raw[3] = {0x82, 0x95, 0x2a}, bad[1] = {0x82};
		const struct isup_param *c;

		ck_assert_int_eq(isup_call_set_rel_cause(OW.call, bad, 1), -EINVAL);
		ck_assert_int_eq(isup_call_set_rel_cause(OW.call, raw, 3), 0);
		ck_assert_int_eq(isup_call_release_loc(OW.call, 21, 2), 0);
		expect(3, ISUP_MT_REL, 7, &m);
		c = isup_msg_param(&m, ISUP_PAR_CAUSE_INDICATORS);
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(c->len, 3);
		ck_assert_mem_eq(c->val, raw, 3);
		rx_simple(ISUP_MT_RLC, 7);
	}
	/* another cause on the next call: the stored one does not apply */
	rx_iam(8, "4930123456", true, NULL);
	{
		static const uint8_t raw[3] = {0x82, 0x95, 0x2a};

		ck_assert_int_eq(isup_call_set_rel_cause(OW.call, raw, 3), 0);
		ck_assert_int_eq(isup_call_release(OW.call, 16), 0);
		expect(4, ISUP_MT_REL, 8, &m);
		ck_assert_uint_eq(cause_of(&m), 16);
		ck_assert_uint_eq(isup_msg_param(&m, ISUP_PAR_CAUSE_INDICATORS)->len, 2);
		rx_simple(ISUP_MT_RLC, 8);
	}
	finish();
}
END_TEST

/* ACM with in-band information sets the optional BCI; the owner's own
 * release sends REL and the RLC ends the call. */
START_TEST(test_incoming_owner_release)
{
	struct isup_msg m;
	size_t base;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	base = blocks();
	rx_iam(2, "123", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert(!OW.have_calling);
	ck_assert_int_eq(isup_call_acm(OW.call, false, true), 0);
	expect(0, ISUP_MT_ACM, 2, &m);
	ck_assert_ptr_nonnull(isup_msg_param(&m, ISUP_PAR_OPTIONAL_BACKWARD_CALL_INDICATORS));
	ck_assert_int_eq(isup_call_release(OW.call, 17), 0);
	expect(1, ISUP_MT_REL, 2, &m);
	ck_assert_uint_eq(cause_of(&m), 17);
	/* isup_call_release(): on behalf of the SIP side (Q.1912.5 6.11) */
	ck_assert_uint_eq(location_of(&m), ISUP_LOC_BEYOND_INTERWORKING);
	/* the owner hears nothing more of it */
	ck_assert_int_eq(isup_call_release(OW.call, 17), -ESHUTDOWN);
	rx_simple(ISUP_MT_RLC, 2);
	ck_assert_int_eq(OW.releases, 0);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	ck_assert_uint_eq(blocks(), base);
	ck_assert_uint_eq(TX.n, 2);
	finish();
}
END_TEST

/* Outgoing call: IAM, ACM -> alerting, ANM -> answer, release, RLC. */
START_TEST(test_outgoing_call)
{
	struct isup_call *c;
	struct isup_number n;
	const struct isup_param *p;
	struct isup_msg m;
	unsigned k;
	size_t base;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 31);
	base = blocks();
	c = call_out("4930123456");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	ck_assert(!isup_call_incoming(c));
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_OUT_BUSY);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_IAM, k, &m);
	p = isup_msg_param(&m, ISUP_PAR_CALLED_PARTY_NUMBER);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_number_decode(ISUP_PAR_CALLED_PARTY_NUMBER, p->val, p->len, &n), 0);
	ck_assert_str_eq(n.digits, "4930123456");
	ck_assert_uint_eq(n.noa, 3);
	/* Q.763 3.9: en-bloc ITU IAM ends the number with ST; T1.113 has none */
	ck_assert(n.st == (_i == 0));
	p = isup_msg_param(&m, ISUP_PAR_CALLING_PARTY_NUMBER);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_number_decode(ISUP_PAR_CALLING_PARTY_NUMBER, p->val, p->len, &n), 0);
	ck_assert_str_eq(n.digits, "3055551234");
	if (_i)
		ck_assert_ptr_nonnull(isup_msg_param(&m, ISUP_PAR_USER_SERVICE_INFORMATION));
	else
		ck_assert_ptr_nonnull(isup_msg_param(&m, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT));
	ck_assert_str_eq(isup_call_state_name(c), "OUT_WAIT_ACM");

	rx_acm(k, true);
	ck_assert_int_eq(OW.progress, 1);
	ck_assert(OW.alerting);
	ck_assert_str_eq(isup_call_state_name(c), "OUT_ALERTING");
	rx_simple(ISUP_MT_ANM, k);
	ck_assert_int_eq(OW.answers, 1);
	ck_assert_str_eq(isup_call_state_name(c), "ANSWERED");
	ck_assert_uint_eq(TX.n, 1);

	ck_assert_int_eq(isup_call_release(c, 16), 0);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_REL, k, &m);
	ck_assert_uint_eq(cause_of(&m), 16);
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_OUT_BUSY); /* until RLC */
	rx_simple(ISUP_MT_RLC, k);
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_IDLE);
	ck_assert_ptr_null(cic(k)->user);
	ck_assert_int_eq(OW.releases, 0);
	ck_assert_uint_eq(blocks(), base);
	/* the timers went with the call */
	advance_s(400);
	ck_assert_uint_eq(TX.n, 2);
	finish();
}
END_TEST

/* ACM without "subscriber free" is progress, not alerting. */
START_TEST(test_outgoing_acm_no_indication)
{
	struct isup_call *c;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	c = call_out("555");
	ck_assert_ptr_nonnull(c);
	rx_acm(isup_call_cic(c), false);
	ck_assert_int_eq(OW.progress, 1);
	ck_assert(!OW.alerting);
	rx_rel(isup_call_cic(c), 16);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 16);
	finish();
}
END_TEST

/* Q.764 2.3.1 e): no RLC: REL again every T1, and after T5 RSC instead. */
START_TEST(test_release_t1_t5)
{
	struct isup_call *c;
	struct isup_msg m;
	unsigned k;
	size_t base;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	base = blocks();
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	rx_simple(ISUP_MT_ANM, k);
	/* the owner's location (RFC 3398 8.2.6.1: user for a 6xx) goes into
	 * the REL and its repetitions */
	ck_assert_int_eq(isup_call_release_loc(c, 16, 16), -EINVAL);
	ck_assert_int_eq(isup_call_release_loc(c, 16, ISUP_LOC_USER), 0);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_REL, k, &m);
	ck_assert_uint_eq(location_of(&m), ISUP_LOC_USER);

	advance_s(14);
	ck_assert_uint_eq(count_type(ISUP_MT_REL), 1);
	advance_s(1);
	ck_assert_uint_eq(count_type(ISUP_MT_REL), 2);
	expect(2, ISUP_MT_REL, k, &m);
	ck_assert_uint_eq(cause_of(&m), 16);
	ck_assert_uint_eq(location_of(&m), ISUP_LOC_USER);
	/* up to just before T5 (300 s): REL at 0, 15, ..., 285 s */
	advance_s(284);
	ck_assert_uint_eq(count_type(ISUP_MT_REL), 20);
	ck_assert_uint_eq(count_type(ISUP_MT_RSC), 0);
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_OUT_BUSY);

	advance_s(1);
	ck_assert_uint_eq(count_type(ISUP_MT_RSC), 1);
	/* T5 stops T1: no REL along with the RSC (Q.764 2.9.6) */
	ck_assert_uint_eq(count_type(ISUP_MT_REL), 20);
	ck_assert_ptr_null(cic(k)->user);
	ck_assert(cic(k)->pending & ISUP_PEND_RESET);
	ck_assert_int_eq(OW.releases, 0);
	{
		unsigned rel = count_type(ISUP_MT_REL);

		/* no more REL once the reset took over; RSC repeats (T16) */
		advance_s(20);
		ck_assert_uint_eq(count_type(ISUP_MT_REL), rel);
		ck_assert_uint_eq(count_type(ISUP_MT_RSC), 2);
	}
	sent_msg(TX.n - 1, &m);
	ck_assert_uint_eq(m.type, ISUP_MT_RSC);
	ck_assert_uint_eq(m.cic, k);
	rx_simple(ISUP_MT_RLC, k);
	ck_assert_uint_eq(cic(k)->pending, 0);
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_IDLE);
	ck_assert_uint_eq(blocks(), base);
	finish();
}
END_TEST

/* T7: no ACM within 20 s: REL cause 102, the owner hears the same cause. */
START_TEST(test_t7)
{
	struct isup_call *c;
	struct isup_msg m;
	unsigned k;
	size_t base;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	base = blocks();
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	advance_s(19);
	ck_assert_uint_eq(TX.n, 1);
	ck_assert_int_eq(OW.releases, 0);
	advance_s(1);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_REL, k, &m);
	ck_assert_uint_eq(cause_of(&m), 102);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 102);
	ck_assert_ptr_eq(OW.released, c);
	ck_assert(!OW.rel_had_msg);
	/* a late ACM does not revive it */
	rx_acm(k, true);
	ck_assert_int_eq(OW.progress, 0);
	ck_assert_uint_eq(TX.n, 2); /* discarded: no RSC under the release */
	rx_simple(ISUP_MT_RLC, k);
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_IDLE);
	ck_assert_uint_eq(blocks(), base);
	finish();
}
END_TEST

/* Q.764 2.10.1.4 dual seizure, the controlling side: the IAM is ignored. */
START_TEST(test_glare_win)
{
	struct isup_call *c;
	unsigned k;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	rx_iam(k, "456", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_uint_eq(TX.n, 1);
	ck_assert_ptr_eq(cic(k)->user, c);
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_OUT_BUSY);
	ck_assert_str_eq(isup_call_state_name(c), "OUT_WAIT_ACM");
	ck_assert_uint_eq(isup_link_stats(L)->glare, 1);
	ck_assert_uint_eq(isup_link_stats(L)->glare_lost, 0);
	rx_acm(k, true);
	ck_assert_int_eq(OW.progress, 1);
	finish();
}
END_TEST

/* ... the non-controlling side: theirs is accepted, ours moves circuit. */
START_TEST(test_glare_yield)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_call *c;
	struct isup_number n;
	const struct isup_param *p;
	struct isup_msg m;
	unsigned k, k2;

	cfg.glare = ISUP_GLARE_ALWAYS_YIELD;
	start_cfg(&cfg, 1, 2);
	isup_link_up(L);
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	rx_iam(k, "456", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(OW.setup_cic, k);
	ck_assert_str_eq(OW.called, "456");
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_IN_BUSY);
	ck_assert_ptr_eq(cic(k)->user, OW.call);
	/* our call is re-attempted on the other circuit */
	k2 = isup_call_cic(c);
	ck_assert_uint_ne(k2, k);
	ck_assert_uint_eq(cic(k2)->call, ISUP_CIC_OUT_BUSY);
	ck_assert_ptr_eq(cic(k2)->user, c);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_IAM, k2, &m);
	p = isup_msg_param(&m, ISUP_PAR_CALLED_PARTY_NUMBER);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_number_decode(ISUP_PAR_CALLED_PARTY_NUMBER, p->val, p->len, &n), 0);
	ck_assert_str_eq(n.digits, "123");
	ck_assert_uint_eq(isup_link_stats(L)->glare_lost, 1);
	ck_assert_int_eq(OW.releases, 0);
	/* both calls go on */
	rx_acm(k2, true);
	ck_assert_int_eq(OW.progress, 1);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	expect(2, ISUP_MT_ACM, k, &m);
	finish();
}
END_TEST

/* ... and with no other circuit the yielding call fails with cause 34. */
START_TEST(test_glare_yield_no_circuit)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_call *c;

	cfg.glare = ISUP_GLARE_ALWAYS_YIELD;
	start_cfg(&cfg, 7, 7);
	isup_link_up(L);
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	rx_iam(7, "456", _i == 0, NULL);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 34);
	ck_assert_ptr_eq(OW.released, c);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(cic(7)->call, ISUP_CIC_IN_BUSY);
	ck_assert_uint_eq(TX.n, 1);
	finish();
}
END_TEST

/* Q.764 2.9.3.1: RSC received: RLC, the call on it ends with cause 41. */
START_TEST(test_rsc_received)
{
	struct isup_msg m;
	size_t base;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	base = blocks();
	rx_iam(3, "123", _i == 0, NULL);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	rx_simple(ISUP_MT_RSC, 3);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_RLC, 3, &m);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	ck_assert(!OW.rel_had_msg);
	ck_assert_uint_eq(cic(3)->call, ISUP_CIC_IDLE);
	ck_assert_ptr_null(cic(3)->user);
	ck_assert_uint_eq(blocks(), base);
	/* RSC on an idle circuit: RLC all the same */
	rx_simple(ISUP_MT_RSC, 4);
	expect(2, ISUP_MT_RLC, 4, &m);
	finish();
}
END_TEST

/* Q.764 2.8.2: BLO -> BLA and no outgoing call on it; UBL -> UBA. */
START_TEST(test_blo_ubl_received)
{
	struct isup_call *c;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	rx_simple(ISUP_MT_BLO, 1);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_BLA, 1, &m);
	ck_assert_uint_eq(cic(1)->blocked, ISUP_BLK_REMOTE_MAINT);
	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(isup_call_cic(c), 2);
	/* the only other circuit is busy: none left */
	ck_assert_ptr_null(call_out("456"));
	ck_assert_uint_eq(TX.n, 2);

	rx_simple(ISUP_MT_UBL, 1);
	expect(2, ISUP_MT_UBA, 1, &m);
	ck_assert_uint_eq(cic(1)->blocked, 0);
	c = call_out("456");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(isup_call_cic(c), 1);
	finish();
}
END_TEST

/* Q.764 2.8.2.1: a maintenance BLO leaves a call on the circuit alone. */
START_TEST(test_blo_keeps_call)
{
	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	rx_iam(1, "123", _i == 0, NULL);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	rx_simple(ISUP_MT_BLO, 1);
	ck_assert_int_eq(OW.releases, 0);
	ck_assert_ptr_eq(cic(1)->user, OW.call);
	ck_assert_int_eq(isup_call_anm(OW.call), 0);
	ck_assert_uint_eq(TX.n, 3); /* ACM, BLA, ANM */
	finish();
}
END_TEST

/* Q.764 2.8.2.2: CGB/CGU (maintenance) acknowledged with the same range
 * and status; only the circuits with a status bit are affected. */
START_TEST(test_cgb_cgu_received)
{
	const uint8_t st_b[1] = {0xa5}, st_u[1] = {0x05};
	struct isup_range_status rs;
	struct isup_msg m;
	uint8_t t;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 8);
	rx_range(ISUP_MT_CGB, 1, 7, st_b, 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_CGBA, 1, &m);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &t), 0);
	ck_assert_uint_eq(t, 0);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 7);
	ck_assert_uint_eq(rs.status_len, 1);
	ck_assert_uint_eq(rs.status[0], 0xa5);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(cic(1 + i)->blocked, (0xa5 >> i) & 1 ? ISUP_BLK_REMOTE_MAINT : 0);

	rx_range(ISUP_MT_CGU, 1, 7, st_u, 0);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_CGUA, 1, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 7);
	ck_assert_uint_eq(rs.status[0], 0x05);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(cic(1 + i)->blocked, (0xa0 >> i) & 1 ? ISUP_BLK_REMOTE_MAINT : 0);
	finish();
}
END_TEST

/* Hardware-failure CGB ends the calls on the circuits at once. */
START_TEST(test_cgb_hardware_clears_call)
{
	const uint8_t st[1] = {0x03};
	struct isup_msg m;
	uint8_t t;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_iam(2, "123", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 1);
	rx_range(ISUP_MT_CGB, 1, 1, st, 1);
	expect(0, ISUP_MT_CGBA, 1, &m);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &t), 0);
	ck_assert_uint_eq(t, 1);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_REMOTE_HW);
	finish();
}
END_TEST

/* Q.763 3.14: CQR reports each circuit's state (DC: 1 incoming busy,
 * 2 outgoing busy, 3 idle; BA maintenance blocking; 3 alone unequipped). */
START_TEST(test_cqm)
{
	const struct isup_param *p;
	struct isup_range_status rs;
	struct isup_call *c;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_iam(2, "123", _i == 0, NULL);		  /* incoming busy */
	rx_simple(ISUP_MT_BLO, 3);			  /* remotely blocked */
	ck_assert_int_eq(isup_link_block(L, 4, true), 0); /* locally blocked */
	c = call_out("456");				  /* the one free: CIC 1 */
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(isup_call_cic(c), 1);
	TX.n = 0;

	rx_range(ISUP_MT_CQM, 1, 4, NULL, -1); /* CICs 1..5; 5 is not equipped */
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_CQR, 1, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 4);
	ck_assert_uint_eq(rs.status_len, 0);
	p = isup_msg_param(&m, ISUP_PAR_CIRCUIT_STATE_INDICATOR);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->len, 5);
	ck_assert_uint_eq(p->val[0], 0x08); /* outgoing busy */
	ck_assert_uint_eq(p->val[1], 0x04); /* incoming busy */
	ck_assert_uint_eq(p->val[2], 0x0e); /* idle, remotely blocked */
	ck_assert_uint_eq(p->val[3], 0x0d); /* idle, locally blocked */
	ck_assert_uint_eq(p->val[4], 0x03); /* unequipped */

	/* all idle */
	ck_assert_int_eq(isup_call_release(c, 16), 0);
	rx_simple(ISUP_MT_RLC, 1);
	TX.n = 0;
	rx_range(ISUP_MT_CQM, 1, 0, NULL, -1);
	expect(0, ISUP_MT_CQR, 1, &m);
	p = isup_msg_param(&m, ISUP_PAR_CIRCUIT_STATE_INDICATOR);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->len, 1);
	ck_assert_uint_eq(p->val[0], 0x0c);
	finish();
}
END_TEST

/* Q.764 2.12: a message for a CIC not equipped here gets UCIC (but not a
 * UCIC for a UCIC). */
START_TEST(test_ucic)
{
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_iam(99, "123", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_UCIC, 99, &m);
	rx_simple(ISUP_MT_BLO, 100);
	expect(1, ISUP_MT_UCIC, 100, &m);
	rx_simple(ISUP_MT_UCIC, 101);
	ck_assert_uint_eq(TX.n, 2);
	ck_assert_uint_eq(isup_link_stats(L)->rx_unknown_cic, 3);
	finish();
}
END_TEST

/* Q.764 2.9.5.1: unrecognised message type: CFN, cause 97, the type as
 * diagnostic. */
START_TEST(test_unknown_type_cfn)
{
	const uint8_t unknown = 0x7f;
	uint8_t buf[] = {2, 0, unknown, 0x01, 0x02, 0x03};
	const struct isup_param *p;
	struct isup_cause cause;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	ck_assert(!isup_msg_type_known(V, unknown));
	isup_link_rx(L, DPC, buf, sizeof(buf));
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_CFN, 2, &m);
	p = isup_msg_param(&m, ISUP_PAR_CAUSE_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_cause_decode(p->val, p->len, &cause), 0);
	ck_assert_uint_eq(cause.value, 97);
	ck_assert_uint_eq(cause.diag_len, 1);
	ck_assert_uint_eq(cause.diag[0], unknown);
	finish();
}
END_TEST

/* Q.764 2.10.5.1: ANM on an idle circuit: reset it (RSC). */
START_TEST(test_unexpected_anm)
{
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_simple(ISUP_MT_ANM, 3);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_RSC, 3, &m);
	ck_assert(cic(3)->pending & ISUP_PEND_RESET);
	rx_simple(ISUP_MT_RLC, 3);
	ck_assert_uint_eq(cic(3)->pending, 0);
	/* REL on an idle circuit: RLC */
	rx_rel(4, 16);
	expect(1, ISUP_MT_RLC, 4, &m);
	ck_assert_uint_eq(TX.n, 2);
	finish();
}
END_TEST

/* Malformed input is discarded without a reply; every truncation of a
 * valid IAM that the decoder refuses is dropped quietly; a wrong OPC too. */
START_TEST(test_malformed)
{
	uint8_t iam[272], junk[] = {1, 0, ISUP_MT_IAM, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	enum isup_decode_err err;
	struct isup_msg m;
	unsigned tried = 0;
	int n;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	n = build_iam(iam, sizeof(iam), 1, "4930123456", _i == 0, "3055551234");
	ck_assert_int_gt(n, 10);
	for (int len = 0; len < n; len++) {
		if (isup_msg_decode(V, iam, (size_t)len, &m, &err) != -EBADMSG)
			continue;
		tried++;
		isup_link_rx(L, DPC, iam, (size_t)len);
		ck_assert_msg(TX.n == 0, "reply to an IAM truncated to %d", len);
		ck_assert_int_eq(OW.setups, 0);
	}
	ck_assert_uint_ge(tried, 10);
	isup_link_rx(L, DPC, junk, sizeof(junk));
	isup_link_rx(L, DPC, NULL, 0);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert_uint_ge(isup_link_stats(L)->rx_bad, tried + 2);
	/* the real thing from another point code */
	isup_link_rx(L, DPC + 1, iam, (size_t)n);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert_int_eq(OW.setups, 0);
	for (unsigned i = 1; i <= 4; i++)
		ck_assert_uint_eq(cic(i)->call, ISUP_CIC_IDLE);
	/* the link still works */
	isup_link_rx(L, DPC, iam, (size_t)n);
	ck_assert_int_eq(OW.setups, 1);
	finish();
}
END_TEST

/* Q.764 2.9.5.3: an IAM whose called party number cannot be read: REL. */
START_TEST(test_iam_bad_called)
{
	uint8_t noci = 0, fci[2] = {0x20, 0x01}, cpc = 10, tmr = 0, cd[1] = {0x83};
	static const uint8_t usi[3] = {0x80, 0x90, 0xa2};
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	isup_msg_init(&m, ISUP_MT_IAM, 2);
	isup_msg_add(&m, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci, 1);
	isup_msg_add(&m, ISUP_PAR_FORWARD_CALL_INDICATORS, fci, 2);
	isup_msg_add(&m, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1);
	if (_i)
		isup_msg_add(&m, ISUP_PAR_USER_SERVICE_INFORMATION, usi, 3);
	else
		isup_msg_add(&m, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &tmr, 1);
	isup_msg_add(&m, ISUP_PAR_CALLED_PARTY_NUMBER, cd, 1);
	rx_msg(&m);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_REL, 2, &m);
	ck_assert_uint_eq(cause_of(&m), 100);
	rx_simple(ISUP_MT_RLC, 2);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	finish();
}
END_TEST

/* Q.764 2.8.2.1: local blocking: BLO, T12 repeats, BLA ends it; the
 * circuit is kept off outgoing calls; UBL/UBA lifts it. */
START_TEST(test_local_block)
{
	struct isup_call *c;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	ck_assert_int_eq(isup_link_block(L, 1, true), 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_BLO, 1, &m);
	ck_assert(cic(1)->pending & ISUP_PEND_BLO);
	ck_assert(cic(1)->blocked & ISUP_BLK_LOCAL_MAINT);
	ck_assert_int_eq(isup_link_block(L, 1, true), -EBUSY);
	ck_assert_int_eq(isup_link_block(L, 9, true), -ENOENT);

	advance_s(14);
	ck_assert_uint_eq(TX.n, 1);
	advance_s(1);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_BLO, 1, &m);

	rx_simple(ISUP_MT_BLA, 1);
	ck_assert_uint_eq(cic(1)->pending, 0);
	ck_assert_uint_eq(cic(1)->blocked, ISUP_BLK_LOCAL_MAINT);
	advance_s(400);
	ck_assert_uint_eq(TX.n, 2);

	c = call_out("123");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(isup_call_cic(c), 2);
	ck_assert_ptr_null(call_out("123"));
	ck_assert_int_eq(isup_call_release(c, 16), 0);
	rx_simple(ISUP_MT_RLC, 2);
	TX.n = 0;

	ck_assert_int_eq(isup_link_block(L, 1, false), 0);
	expect(0, ISUP_MT_UBL, 1, &m);
	rx_simple(ISUP_MT_UBA, 1);
	ck_assert_uint_eq(cic(1)->pending, 0);
	ck_assert_uint_eq(cic(1)->blocked, 0);
	/* an unexpected BLA is discarded */
	rx_simple(ISUP_MT_BLA, 1);
	ck_assert_uint_eq(cic(1)->blocked, 0);
	ck_assert_uint_eq(TX.n, 1);
	finish();
}
END_TEST

/* Overlap (ITU): the IAM without ST waits for SAMs; the SAM with ST
 * completes the number. ANSI has no SAM: its IAM is complete as it is. */
START_TEST(test_overlap_sam)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);

	cfg.overlap = true;
	start_cfg(&cfg, 1, 4);
	isup_link_up(L);
	rx_iam(1, "4930", false, "3055551234");
	if (_i) {
		ck_assert_int_eq(OW.setups, 1);
		ck_assert_str_eq(OW.called, "4930");
		finish();
		return;
	}
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_uint_eq(cic(1)->call, ISUP_CIC_IN_BUSY);
	advance_s(5);
	rx_sam(1, "12", false);
	ck_assert_int_eq(OW.setups, 0);
	advance_s(10); /* T35 restarted by the SAM */
	ck_assert_int_eq(OW.setups, 0);
	rx_sam(1, "3456", true);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_str_eq(OW.called, "4930123456");
	ck_assert(OW.called_st);
	ck_assert_str_eq(OW.calling, "3055551234");
	ck_assert_uint_eq(OW.setup_cic, 1);
	/* a SAM after the number is complete changes nothing */
	rx_sam(1, "7", true);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(TX.n, 0);
	advance_s(60);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(TX.n, 0);
	finish();
}
END_TEST

/* Overlap (ITU): no SAM within T35: the digits so far go to routing. */
START_TEST(test_overlap_t35)
{
	struct isup_link_cfg cfg = base_cfg(ISUP_VAR_ITU);

	cfg.overlap = true;
	start_cfg(&cfg, 1, 4);
	isup_link_up(L);
	rx_iam(3, "4930", false, NULL);
	advance_s(14);
	ck_assert_int_eq(OW.setups, 0);
	advance_s(1);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_str_eq(OW.called, "4930");
	ck_assert(!OW.called_st);
	ck_assert_uint_eq(OW.setup_cic, 3);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	ck_assert_uint_eq(TX.n, 1);
	finish();
}
END_TEST

/* Overlap off: an ITU IAM without ST is complete. */
START_TEST(test_no_overlap_en_bloc)
{
	start(ISUP_VAR_ITU, 1, 4);
	rx_iam(3, "4930", false, NULL);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_str_eq(OW.called, "4930");
	finish();
}
END_TEST

/* Freeing the link with calls and procedures alive gives everything back
 * and tells no owner. */
START_TEST(test_free_busy)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);

	cfg.grs_on_up = true;
	start_cfg(&cfg, 1, 8);
	isup_link_up(L);
	rx_range(ISUP_MT_GRA, 1, 7, (const uint8_t[]){0}, -1);
	rx_iam(1, "1", _i == 0, NULL);
	ck_assert_ptr_nonnull(call_out("2"));
	ck_assert_int_eq(isup_link_block(L, 5, true), 0);
	ck_assert_int_eq(isup_link_reset(L, 6), 0);
	finish();
	ck_assert_int_eq(OW.releases, 0);
}
END_TEST

/* Q.764 2.9.3.1: a reset circuit we block for maintenance gets its BLO
 * again after the RLC. */
START_TEST(test_rsc_on_locally_blocked)
{
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	ck_assert_int_eq(isup_link_block(L, 2, true), 0);
	rx_simple(ISUP_MT_BLA, 2);
	rx_simple(ISUP_MT_BLO, 2); /* and the peer blocks it too */
	TX.n = 0;
	rx_simple(ISUP_MT_RSC, 2);
	ck_assert_uint_eq(TX.n, 2);
	expect(0, ISUP_MT_RLC, 2, &m);
	expect(1, ISUP_MT_BLO, 2, &m);
	/* the reset removed the remote block, ours stays */
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_LOCAL_MAINT);
	rx_simple(ISUP_MT_BLA, 2);
	ck_assert_uint_eq(cic(2)->pending, 0);
	advance_s(60);
	ck_assert_uint_eq(TX.n, 2);
	finish();
}
END_TEST

/* Q.764 2.9.3.2: GRS received: calls on the group end (cause 41), GRA
 * marks the circuits we block for maintenance, remote blocks go. */
START_TEST(test_grs_received)
{
	struct isup_range_status rs;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 10);
	rx_iam(3, "123", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_int_eq(isup_link_block(L, 2, true), 0);
	rx_simple(ISUP_MT_BLA, 2);
	rx_simple(ISUP_MT_BLO, 4);
	TX.n = 0;
	rx_range(ISUP_MT_GRS, 1, 9, NULL, -1);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_GRA, 1, &m);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 9);
	ck_assert_uint_eq(rs.status_len, 2);
	ck_assert_uint_eq(rs.status[0], 0x02); /* CIC 2 */
	ck_assert_uint_eq(rs.status[1], 0x00);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	ck_assert_uint_eq(cic(3)->call, ISUP_CIC_IDLE);
	ck_assert_uint_eq(cic(4)->blocked, 0);
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_LOCAL_MAINT);
	finish();
}
END_TEST

/* Q.764 2.8.2.2: our CGB (maintenance): status bits for the whole group,
 * T18 repeats until CGBA; CGU/CGUA lift it. */
START_TEST(test_local_cgb)
{
	struct isup_range_status rs;
	struct isup_msg m;
	uint8_t t, st[1] = {0x0f};

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	ck_assert_int_eq(isup_link_group_block(L, 1, 1, true, false), -ERANGE);
	ck_assert_int_eq(isup_link_group_block(L, 1, 4, true, false), 0);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_CGB, 1, &m);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_CIRCUIT_GROUP_SUPERVISION_TYPE, &t), 0);
	ck_assert_uint_eq(t, 0);
	rs_of(&m, &rs);
	ck_assert_uint_eq(rs.range, 3);
	ck_assert_uint_eq(rs.status_len, 1);
	ck_assert_uint_eq(rs.status[0], 0x0f);
	ck_assert_ptr_null(call_out("1"));
	advance_s(15);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_CGB, 1, &m);
	rx_range(ISUP_MT_CGBA, 1, 3, st, 0);
	for (unsigned i = 1; i <= 4; i++) {
		ck_assert_uint_eq(cic(i)->pending, 0);
		ck_assert_uint_eq(cic(i)->blocked, ISUP_BLK_LOCAL_MAINT);
	}
	advance_s(60);
	ck_assert_uint_eq(TX.n, 2);
	ck_assert_int_eq(isup_link_group_block(L, 1, 4, false, false), 0);
	expect(2, ISUP_MT_CGU, 1, &m);
	rx_range(ISUP_MT_CGUA, 1, 3, st, 0);
	for (unsigned i = 1; i <= 4; i++)
		ck_assert_uint_eq(cic(i)->blocked, 0);
	ck_assert_ptr_nonnull(call_out("1"));
	finish();
}
END_TEST

/* Q.764 2.9.1.4 a): with the even/odd rule the exchange with the higher
 * point code controls the even circuits. OPC 100 < DPC 200: we control
 * the odd ones, hunt them first, and keep our call on one; on an even one
 * we yield. */
START_TEST(test_glare_even_odd)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_call *a, *b;

	cfg.glare = ISUP_GLARE_EVEN_ODD;
	start_cfg(&cfg, 1, 2);
	isup_link_up(L);
	a = call_out("1");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(isup_call_cic(a), 1);
	b = call_out("2");
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(isup_call_cic(b), 2);
	rx_iam(1, "9", _i == 0, NULL);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_ptr_eq(cic(1)->user, a);
	rx_iam(2, "9", _i == 0, NULL);
	/* no other circuit for ours: it fails with cause 34 */
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_uint_eq(OW.setup_cic, 2);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_ptr_eq(OW.released, b);
	ck_assert_uint_eq(OW.rel_cause, 34);
	finish();
}
END_TEST

/* CON answers at once (ITU); T1.113 has no CON: ACM then ANM. */
START_TEST(test_incoming_con)
{
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	rx_iam(1, "123", _i == 0, NULL);
	ck_assert_int_eq(isup_call_con(OW.call), 0);
	if (_i) {
		ck_assert_uint_eq(TX.n, 2);
		expect(0, ISUP_MT_ACM, 1, &m);
		expect(1, ISUP_MT_ANM, 1, &m);
	} else {
		ck_assert_uint_eq(TX.n, 1);
		expect(0, ISUP_MT_CON, 1, &m);
		ck_assert_ptr_nonnull(isup_msg_param(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS));
	}
	ck_assert_str_eq(isup_call_state_name(OW.call), "ANSWERED");
	finish();
}
END_TEST

/* After ACM, T7 is off: no release however long the called party rings
 * (T9 is off by default). */
/* Q.764 2.1.6: an INR for our outgoing call gets a solicited INF with the
 * calling party number and category it asked for. */
START_TEST(test_inr_inf)
{
	struct isup_call *c;
	const struct isup_param *p;
	struct isup_number n;
	struct isup_msg m, inr;
	uint8_t iri[2] = {0x09, 0x00}, cpc; /* calling party address + category */
	unsigned k;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 31);
	c = call_out("4930123456");
	k = isup_call_cic(c);
	rx_acm(k, true);
	isup_msg_init(&inr, ISUP_MT_INR, (uint16_t)k);
	isup_msg_add(&inr, ISUP_PAR_INFORMATION_REQUEST_INDICATORS, iri, 2);
	rx_msg(&inr);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_INF, k, &m);
	p = isup_msg_param(&m, ISUP_PAR_INFORMATION_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->val[0] & 0x03, 0x03); /* calling party address included */
	ck_assert_uint_eq(p->val[0] & 0x20, 0x20); /* category included */
	p = isup_msg_param(&m, ISUP_PAR_CALLING_PARTY_NUMBER);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_number_decode(ISUP_PAR_CALLING_PARTY_NUMBER, p->val, p->len, &n), 0);
	ck_assert_str_eq(n.digits, "3055551234");
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc), 0);
	ck_assert_uint_eq(cpc, 10);
	ck_assert_str_eq(isup_call_state_name(c), "OUT_ALERTING");
	isup_call_release(c, 16);
	rx_simple(ISUP_MT_RLC, k);
	finish();
}
END_TEST

/* NoCI bit E in our IAM, BCI bit N in our ACM: an echo control device is
 * included when the gateway cancels echo on the circuit (Q.763 3.35, 3.5);
 * FCI bit L for a ported number (Q.769.1). */
START_TEST(test_echo_control_indicators)
{
	struct isup_call_spec spec = {.cpc = 10, .except_cic = -1, .echo_control = true};
	struct isup_call *c;
	struct isup_bci b;
	const struct isup_param *p;
	struct isup_msg m;
	uint8_t noci = 0;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 31);
	spec.called.noa = 3;
	spec.called.npi = 1;
	snprintf(spec.called.digits, sizeof(spec.called.digits), "%s", "301234");
	c = isup_call_out(L, &spec, NULL, &OW);
	ck_assert_ptr_nonnull(c);
	expect(0, ISUP_MT_IAM, isup_call_cic(c), &m);
	ck_assert_int_eq(isup_msg_u8(&m, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci), 0);
	ck_assert_uint_eq(noci & 0x10, 0x10);
	p = isup_msg_param(&m, ISUP_PAR_FORWARD_CALL_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->val[1] & 0x08, 0); /* bit L: not translated */
	isup_call_release(c, 16);
	rx_simple(ISUP_MT_RLC, isup_call_cic(c));

	/* Q.769.1: a number that went through a portability query: FCI bit L */
	spec.number_translated = true;
	c = isup_call_out(L, &spec, NULL, &OW);
	ck_assert_ptr_nonnull(c);
	expect(TX.n - 1, ISUP_MT_IAM, isup_call_cic(c), &m);
	p = isup_msg_param(&m, ISUP_PAR_FORWARD_CALL_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(p->val[1] & 0x08, 0x08);
	isup_call_release(c, 16);
	rx_simple(ISUP_MT_RLC, isup_call_cic(c));

	rx_iam(7, "4930123", true, NULL);
	ck_assert_ptr_nonnull(OW.call);
	isup_call_set_echo_control(OW.call, true);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	expect(TX.n - 1, ISUP_MT_ACM, 7, &m);
	p = isup_msg_param(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_bci_decode(p->val, p->len, &b), 0);
	ck_assert(b.echo_control_device);
	isup_call_release(OW.call, 16);
	rx_simple(ISUP_MT_RLC, 7);
	finish();
}
END_TEST

START_TEST(test_acm_stops_t7)
{
	struct isup_call *c;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	c = call_out("1");
	ck_assert_ptr_nonnull(c);
	advance_s(10);
	rx_acm(isup_call_cic(c), true);
	advance_s(120);
	ck_assert_uint_eq(TX.n, 1);
	ck_assert_int_eq(OW.releases, 0);
	ck_assert_str_eq(isup_call_state_name(c), "OUT_ALERTING");
	finish();
}
END_TEST

/* Q.764 2.1.8: continuity check on this circuit: the loop is put on, the
 * setup waits for COT; a successful COT completes it. No COT within T8:
 * REL 41, the owner never heard of the call. */
static struct {
	int on, off;
} LOOP;

static void ow_cot_loop(void *priv, unsigned cic, int span, unsigned ts, bool on)
{
	(void)priv;
	(void)cic;
	(void)span;
	(void)ts;
	if (on)
		LOOP.on++;
	else
		LOOP.off++;
}

static void rx_iam_cot(unsigned cic)
{
	uint8_t noci = 0x04, fci[2] = {0x20, 0x01}, cpc = 10, tmr = 0, cd[24];
	static const uint8_t usi[3] = {0x80, 0x90, 0xa2};
	struct isup_number n = {.noa = 3, .npi = 1, .st = V == ISUP_VAR_ITU};
	struct isup_msg m;
	int n1;

	snprintf(n.digits, sizeof(n.digits), "%s", "5551234");
	n1 = isup_number_encode(ISUP_PAR_CALLED_PARTY_NUMBER, &n, cd, sizeof(cd));
	ck_assert_int_gt(n1, 0);
	isup_msg_init(&m, ISUP_MT_IAM, (uint16_t)cic);
	isup_msg_add(&m, ISUP_PAR_NATURE_OF_CONNECTION_INDICATORS, &noci, 1);
	isup_msg_add(&m, ISUP_PAR_FORWARD_CALL_INDICATORS, fci, 2);
	isup_msg_add(&m, ISUP_PAR_CALLING_PARTYS_CATEGORY, &cpc, 1);
	if (V == ISUP_VAR_ANSI)
		isup_msg_add(&m, ISUP_PAR_USER_SERVICE_INFORMATION, usi, 3);
	else
		isup_msg_add(&m, ISUP_PAR_TRANSMISSION_MEDIUM_REQUIREMENT, &tmr, 1);
	isup_msg_add(&m, ISUP_PAR_CALLED_PARTY_NUMBER, cd, (size_t)n1);
	rx_msg(&m);
}

START_TEST(test_continuity)
{
	static const struct isup_call_ops cot_ops = {
		.setup = ow_setup,
		.release = ow_release,
		.cot_loop = ow_cot_loop,
	};
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	uint8_t ok = 0x01;
	struct isup_msg m;

	memset(&LOOP, 0, sizeof(LOOP));
	start_cfg(&cfg, 1, 2);
	isup_link_free(L);
	L = isup_link_alloc(ctx, &cfg, cap_tx, NULL, &cot_ops, NULL);
	ck_assert_ptr_nonnull(L);
	ck_assert_int_eq(isup_cic_add_range(isup_link_cics(L), 1, 2, 0, 1), 0);
	isup_link_up(L);

	rx_iam_cot(1);
	ck_assert_int_eq(LOOP.on, 1);
	ck_assert_int_eq(OW.setups, 0);
	isup_msg_init(&m, ISUP_MT_COT, 1);
	isup_msg_add(&m, ISUP_PAR_CONTINUITY_INDICATORS, &ok, 1);
	rx_msg(&m);
	ck_assert_int_eq(LOOP.off, 1);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_str_eq(OW.called, "5551234");

	rx_iam_cot(2);
	ck_assert_int_eq(LOOP.on, 2);
	advance_s(9);
	ck_assert_uint_eq(TX.n, 0);
	advance_s(1);
	ck_assert_int_eq(LOOP.off, 2);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_REL, 2, &m);
	ck_assert_uint_eq(cause_of(&m), 41);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_int_eq(OW.releases, 0);
	rx_simple(ISUP_MT_RLC, 2);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	finish();
}
END_TEST

/* Q.764 2.3.1: answer or progress crossing our REL is discarded: the
 * release goes on with REL/RLC, the circuit is not reset. */
START_TEST(test_message_crossing_rel)
{
	struct isup_call *c;
	unsigned k;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	c = call_out("1");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	ck_assert_int_eq(isup_call_release(c, 16), 0);
	ck_assert_uint_eq(TX.n, 2);
	rx_acm(k, true);
	rx_simple(ISUP_MT_ANM, k);
	ck_assert_uint_eq(TX.n, 2);
	ck_assert_uint_eq(count_type(ISUP_MT_RSC), 0);
	ck_assert_int_eq(OW.progress + OW.answers + OW.releases, 0);
	ck_assert_ptr_eq(cic(k)->user, c);
	ck_assert_str_eq(isup_call_state_name(c), "RELEASING");
	rx_simple(ISUP_MT_RLC, k);
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_IDLE);
	ck_assert_uint_eq(cic(k)->pending, 0);
	finish();
}
END_TEST

/* Overlap: a SAM that crosses our ACM is discarded (the number was
 * complete for us); the call goes on. */
START_TEST(test_overlap_late_sam)
{
	struct isup_link_cfg cfg = base_cfg(ISUP_VAR_ITU);

	cfg.overlap = true;
	start_cfg(&cfg, 1, 4);
	isup_link_up(L);
	rx_iam(1, "4930", false, NULL);
	advance_s(15);
	ck_assert_int_eq(OW.setups, 1);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	rx_sam(1, "5", false);
	ck_assert_uint_eq(TX.n, 1);
	ck_assert_int_eq(OW.releases, 0);
	ck_assert_ptr_eq(cic(1)->user, OW.call);
	ck_assert_int_eq(isup_call_anm(OW.call), 0);
	rx_sam(1, "6", true);
	ck_assert_uint_eq(TX.n, 2);
	ck_assert_int_eq(OW.releases, 0);
	finish();
}
END_TEST

/* Q.764 2.6: network SUS/RES reach the owner; no RES within T6 (60 s):
 * REL 102 and the owner hears 102. */
START_TEST(test_suspend_t6)
{
	const uint8_t network = 0x01;
	struct isup_call *c;
	struct isup_msg m;
	unsigned k;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	c = call_out("1");
	ck_assert_ptr_nonnull(c);
	k = isup_call_cic(c);
	rx_acm(k, true);
	rx_simple(ISUP_MT_ANM, k);
	isup_msg_init(&m, ISUP_MT_SUS, (uint16_t)k);
	isup_msg_add(&m, ISUP_PAR_SUSPEND_RESUME_INDICATORS, &network, 1);
	rx_msg(&m);
	ck_assert_int_eq(OW.suspends, 1);
	advance_s(30);
	isup_msg_init(&m, ISUP_MT_RES, (uint16_t)k);
	isup_msg_add(&m, ISUP_PAR_SUSPEND_RESUME_INDICATORS, &network, 1);
	rx_msg(&m);
	ck_assert_int_eq(OW.resumes, 1);
	advance_s(60); /* T6 was stopped by RES */
	ck_assert_uint_eq(TX.n, 1);

	isup_msg_init(&m, ISUP_MT_SUS, (uint16_t)k);
	isup_msg_add(&m, ISUP_PAR_SUSPEND_RESUME_INDICATORS, &network, 1);
	rx_msg(&m);
	ck_assert_int_eq(OW.suspends, 2);
	advance_s(59);
	ck_assert_uint_eq(TX.n, 1);
	advance_s(1);
	ck_assert_uint_eq(TX.n, 2);
	expect(1, ISUP_MT_REL, k, &m);
	ck_assert_uint_eq(cause_of(&m), 102);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 102);
	rx_simple(ISUP_MT_RLC, k);
	ck_assert_uint_eq(cic(k)->call, ISUP_CIC_IDLE);
	finish();
}
END_TEST

/* Q.764 2.13 (MTP pause/resume): nothing is sent while the destination is
 * unavailable, no outgoing call starts; what is pending goes on resume. */
START_TEST(test_link_down_up)
{
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	rx_iam(1, "1", _i == 0, NULL);
	isup_link_down(L);
	ck_assert(!isup_link_is_up(L));
	ck_assert_ptr_null(call_out("2"));
	ck_assert_int_eq(isup_link_block(L, 2, true), 0);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert(cic(2)->pending & ISUP_PEND_BLO);
	/* the call survives the pause */
	ck_assert_ptr_eq(cic(1)->user, OW.call);
	isup_link_up(L);
	ck_assert_uint_eq(TX.n, 1);
	expect(0, ISUP_MT_BLO, 2, &m);
	ck_assert_int_eq(isup_call_acm(OW.call, true, false), 0);
	expect(1, ISUP_MT_ACM, 1, &m);
	/* a local reset ends the call with cause 41 */
	ck_assert_int_eq(isup_link_reset(L, 1), 0);
	expect(2, ISUP_MT_RSC, 1, &m);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	ck_assert_int_eq(isup_link_reset(L, 1), -EBUSY);
	ck_assert_int_eq(isup_link_reset(L, 3), -ENOENT);
	finish();
}
END_TEST

/* REL whose cause cannot be read: RLC all the same, the owner hears 31. */
START_TEST(test_rel_bad_cause)
{
	const uint8_t bad[1] = {0x80};
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	rx_iam(2, "1", _i == 0, NULL);
	isup_msg_init(&m, ISUP_MT_REL, 2);
	isup_msg_add(&m, ISUP_PAR_CAUSE_INDICATORS, bad, 1);
	rx_msg(&m);
	expect(0, ISUP_MT_RLC, 2, &m);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 31);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	finish();
}
END_TEST

/* A reset we send clears the peer's record of our maintenance block (it
 * drops "remotely blocked" on RSC and GRS, Q.764 2.9.3.1/2.9.3.2), so a
 * circuit we block is blocked again after our RSC or GRS. */
START_TEST(test_reset_reblocks)
{
	struct isup_msg m;
	const uint8_t st[1] = {0};

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	ck_assert_int_eq(isup_link_block(L, 2, true), 0);
	rx_simple(ISUP_MT_BLA, 2);
	TX.n = 0;
	ck_assert_int_eq(isup_link_reset(L, 2), 0);
	ck_assert_uint_eq(TX.n, 2);
	expect(0, ISUP_MT_RSC, 2, &m);
	expect(1, ISUP_MT_BLO, 2, &m);
	rx_simple(ISUP_MT_RLC, 2);
	rx_simple(ISUP_MT_BLA, 2);
	ck_assert_uint_eq(cic(2)->pending, 0);
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_LOCAL_MAINT);

	TX.n = 0;
	ck_assert_int_eq(isup_link_group_reset(L, 1, 4), 0);
	ck_assert_uint_eq(TX.n, 2);
	expect(0, ISUP_MT_GRS, 1, &m);
	expect(1, ISUP_MT_BLO, 2, &m);
	rx_range(ISUP_MT_GRA, 1, 3, st, -1);
	rx_simple(ISUP_MT_BLA, 2);
	for (unsigned i = 1; i <= 4; i++)
		ck_assert_uint_eq(cic(i)->pending, 0);
	ck_assert_uint_eq(cic(2)->blocked, ISUP_BLK_LOCAL_MAINT);
	advance_s(60);
	ck_assert_uint_eq(TX.n, 2);
	finish();
}
END_TEST

/* Blocked while the destination was away, reset on resume: the BLO must
 * reach the peer after the GRS, or the GRS undoes it. */
START_TEST(test_grs_on_up_reblocks)
{
	struct isup_link_cfg cfg = base_cfg(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU);
	struct isup_msg m;

	cfg.grs_on_up = true;
	start_cfg(&cfg, 1, 4);
	ck_assert_int_eq(isup_link_block(L, 3, true), 0);
	ck_assert_uint_eq(TX.n, 0);
	isup_link_up(L);
	ck_assert_uint_ge(TX.n, 2);
	sent_msg(TX.n - 1, &m);
	ck_assert_uint_eq(m.type, ISUP_MT_BLO);
	ck_assert_uint_eq(m.cic, 3);
	ck_assert_uint_eq(count_type(ISUP_MT_GRS), 1);
	finish();
}
END_TEST

/* Q.764 2.9.4: BLO unanswered: repeated every T12 (15 s) until T13
 * (300 s), then once per T13 with a maintenance alert. */
START_TEST(test_block_t13)
{
	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 2);
	ck_assert_int_eq(isup_link_block(L, 1, true), 0);
	advance_s(299);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 20); /* 0, 15, ..., 285 */
	advance_s(1);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 21);
	advance_s(299);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 21);
	advance_s(1);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 22);
	rx_simple(ISUP_MT_BLA, 1);
	advance_s(600);
	ck_assert_uint_eq(count_type(ISUP_MT_BLO), 22);
	finish();
}
END_TEST

/* An incoming call still collecting digits (overlap) or waiting for COT
 * has not been given to the owner: when it ends (REL, RSC, GRS) the owner
 * must not hear of it either; its release callback would get the link's
 * ops_priv as the call's user pointer. */
START_TEST(test_release_before_setup)
{
	struct isup_link_cfg cfg = base_cfg(ISUP_VAR_ITU);
	struct isup_msg m;

	cfg.overlap = true;
	start_cfg(&cfg, 1, 4);
	isup_link_up(L);
	rx_iam(1, "4930", false, NULL);
	rx_rel(1, 16);
	expect(0, ISUP_MT_RLC, 1, &m);
	ck_assert_uint_eq(cic(1)->call, ISUP_CIC_IDLE);
	rx_iam(2, "4930", false, NULL);
	rx_simple(ISUP_MT_RSC, 2);
	expect(1, ISUP_MT_RLC, 2, &m);
	ck_assert_uint_eq(cic(2)->call, ISUP_CIC_IDLE);
	rx_iam_cot(3);
	rx_rel(3, 16);
	expect(2, ISUP_MT_RLC, 3, &m);
	rx_iam(4, "4930", false, NULL);
	ck_assert_int_eq(OW.setups, 0);
	ck_assert_int_eq(OW.releases, 0);
	/* once given to the owner, it does hear of the release */
	advance_s(15);
	ck_assert_int_eq(OW.setups, 1);
	rx_rel(4, 16);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_ptr_eq(OW.released, OW.call);
	finish();
}
END_TEST

/* Q.764 2.12: UCIC for a circuit of ours: it is kept off (blocked), a call
 * on it ends (41), and what we had pending on it stops: the peer has no
 * such circuit and will never acknowledge. */
START_TEST(test_ucic_received)
{
	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_iam(2, "1", _i == 0, NULL);
	ck_assert_int_eq(isup_link_block(L, 3, true), 0);
	ck_assert_int_eq(isup_link_reset(L, 4), 0);
	TX.n = 0;
	rx_simple(ISUP_MT_UCIC, 2);
	rx_simple(ISUP_MT_UCIC, 3);
	rx_simple(ISUP_MT_UCIC, 4);
	ck_assert_uint_eq(TX.n, 0);
	ck_assert_int_eq(OW.releases, 1);
	ck_assert_uint_eq(OW.rel_cause, 41);
	for (unsigned i = 2; i <= 4; i++) {
		ck_assert_uint_eq(cic(i)->call, ISUP_CIC_IDLE);
		ck_assert(cic(i)->blocked & ISUP_BLK_REMOTE_MAINT);
		ck_assert_uint_eq(cic(i)->pending, 0);
	}
	advance_s(600);
	ck_assert_uint_eq(TX.n, 0);
	finish();
}
END_TEST

Suite *isup_link_suite(void)
{
	Suite *s = suite_create("isup_link");
	TCase *sup = unit_tcase("supervision");
	TCase *calls = unit_tcase("calls");
	TCase *ovl = unit_tcase("overlap");

	/* loop index: 0 ITU, 1 ANSI */
	tcase_add_loop_test(sup, test_grs_on_up, 0, 2);
	tcase_add_loop_test(sup, test_gra_mismatch, 0, 2);
	tcase_add_loop_test(sup, test_rsc_received, 0, 2);
	tcase_add_loop_test(sup, test_blo_ubl_received, 0, 2);
	tcase_add_loop_test(sup, test_blo_keeps_call, 0, 2);
	tcase_add_loop_test(sup, test_cgb_cgu_received, 0, 2);
	tcase_add_loop_test(sup, test_cgb_hardware_clears_call, 0, 2);
	tcase_add_loop_test(sup, test_cqm, 0, 2);
	tcase_add_loop_test(sup, test_ucic, 0, 2);
	tcase_add_loop_test(sup, test_ucic_received, 0, 2);
	tcase_add_loop_test(sup, test_unknown_type_cfn, 0, 2);
	tcase_add_loop_test(sup, test_unexpected_anm, 0, 2);
	tcase_add_loop_test(sup, test_malformed, 0, 2);
	tcase_add_loop_test(sup, test_local_block, 0, 2);
	tcase_add_loop_test(sup, test_free_busy, 0, 2);
	tcase_add_loop_test(sup, test_rsc_on_locally_blocked, 0, 2);
	tcase_add_loop_test(sup, test_grs_received, 0, 2);
	tcase_add_loop_test(sup, test_local_cgb, 0, 2);
	tcase_add_loop_test(sup, test_reset_reblocks, 0, 2);
	tcase_add_loop_test(sup, test_block_t13, 0, 2);
	tcase_add_loop_test(sup, test_grs_on_up_reblocks, 0, 2);
	suite_add_tcase(s, sup);

	tcase_add_loop_test(calls, test_incoming_call, 0, 2);
	tcase_add_test(calls, test_incoming_backward_from_msg);
	tcase_add_loop_test(calls, test_incoming_owner_release, 0, 2);
	tcase_add_loop_test(calls, test_iam_bad_called, 0, 2);
	tcase_add_loop_test(calls, test_outgoing_call, 0, 2);
	tcase_add_loop_test(calls, test_outgoing_acm_no_indication, 0, 2);
	tcase_add_loop_test(calls, test_release_t1_t5, 0, 2);
	tcase_add_loop_test(calls, test_t7, 0, 2);
	tcase_add_loop_test(calls, test_glare_win, 0, 2);
	tcase_add_loop_test(calls, test_glare_yield, 0, 2);
	tcase_add_loop_test(calls, test_glare_yield_no_circuit, 0, 2);
	tcase_add_loop_test(calls, test_glare_even_odd, 0, 2);
	tcase_add_loop_test(calls, test_incoming_con, 0, 2);
	tcase_add_loop_test(calls, test_acm_stops_t7, 0, 2);
	tcase_add_loop_test(calls, test_inr_inf, 0, 2);
	tcase_add_loop_test(calls, test_echo_control_indicators, 0, 2);
	tcase_add_loop_test(calls, test_continuity, 0, 2);
	tcase_add_loop_test(calls, test_message_crossing_rel, 0, 2);
	tcase_add_loop_test(calls, test_suspend_t6, 0, 2);
	tcase_add_loop_test(calls, test_rel_bad_cause, 0, 2);
	tcase_add_loop_test(sup, test_link_down_up, 0, 2);
	suite_add_tcase(s, calls);

	tcase_add_loop_test(ovl, test_overlap_sam, 0, 2);
	tcase_add_test(ovl, test_overlap_t35);
	tcase_add_test(ovl, test_no_overlap_en_bloc);
	tcase_add_test(ovl, test_overlap_late_sam);
	tcase_add_test(ovl, test_release_before_setup);
	suite_add_tcase(s, ovl);
	return s;
}
