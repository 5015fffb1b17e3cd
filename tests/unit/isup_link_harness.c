/* The ISUP link test harness (isup_link_harness.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/isup_link_harness.h"

/* --- captured output --- */

struct isup_tx_log TX;

/* --- what the owner heard --- */

struct isup_owner_log OW;

void *ctx;
struct isup_link *L;
enum isup_variant V;

int cap_tx(void *priv, uint32_t opc, uint32_t dpc, uint8_t ni, uint8_t sls, const uint8_t *buf,
	   size_t len)
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

void ow_setup(void *priv, struct isup_call *c, const struct isup_msg *iam,
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

void ow_progress(void *u, struct isup_call *c, const struct isup_msg *m, bool alerting)
{
	(void)u;
	(void)c;
	(void)m;
	OW.progress++;
	OW.alerting = alerting;
}

void ow_answer(void *u, struct isup_call *c, const struct isup_msg *m)
{
	(void)u;
	(void)c;
	(void)m;
	OW.answers++;
}

void ow_release(void *u, struct isup_call *c, const struct isup_cause *cause,
		const struct isup_msg *m)
{
	(void)u;
	OW.releases++;
	OW.rel_cause = cause->value;
	OW.rel_had_msg = m != NULL;
	OW.released = c;
}

void ow_suspend(void *u, struct isup_call *c, bool suspended)
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

void advance_ms(unsigned ms)
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

void advance_s(unsigned s)
{
	advance_ms(s * 1000);
}

/* --- link setup and teardown --- */

struct isup_link_cfg base_cfg(enum isup_variant v)
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

void start_cfg(const struct isup_link_cfg *cfg, unsigned first, unsigned last)
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

void start(enum isup_variant v, unsigned first, unsigned last)
{
	struct isup_link_cfg cfg = base_cfg(v);

	start_cfg(&cfg, first, last);
	isup_link_up(L);
	ck_assert(isup_link_is_up(L));
	ck_assert_uint_eq(TX.n, 0); /* no grs_on_up */
}

void finish(void)
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
size_t blocks(void)
{
	return talloc_total_blocks(ctx);
}

/* --- sent message access --- */

void sent_msg(unsigned i, struct isup_msg *m)
{
	enum isup_decode_err err;

	ck_assert_uint_lt(i, TX.n);
	ck_assert_uint_eq(TX.s[i].opc, OPC);
	ck_assert_uint_eq(TX.s[i].dpc, DPC);
	ck_assert_msg(isup_msg_decode(V, TX.s[i].buf, TX.s[i].len, m, &err) == 0,
		      "sent message %u does not decode: %d", i, err);
}

/* The i-th sent message, asserting its type and CIC. */
void expect(unsigned i, uint8_t type, unsigned cic, struct isup_msg *m)
{
	sent_msg(i, m);
	ck_assert_msg(m->type == type, "message %u: type %s, expected %s", i,
		      isup_msg_type_name(m->type), isup_msg_type_name(type));
	ck_assert_uint_eq(m->cic, cic);
}

unsigned count_type(uint8_t type)
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

void rs_of(const struct isup_msg *m, struct isup_range_status *rs)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_RANGE_AND_STATUS);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_range_status_decode(p->val, p->len, rs), 0);
}

uint8_t location_of(const struct isup_msg *m)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_CAUSE_INDICATORS);
	struct isup_cause c;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_cause_decode(p->val, p->len, &c), 0);
	return c.location;
}

uint8_t cause_of(const struct isup_msg *m)
{
	const struct isup_param *p = isup_msg_param(m, ISUP_PAR_CAUSE_INDICATORS);
	struct isup_cause c;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(isup_cause_decode(p->val, p->len, &c), 0);
	return c.value;
}

/* --- building received messages --- */

void rx_msg(const struct isup_msg *m)
{
	uint8_t buf[272];
	int n = isup_msg_encode(V, m, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	isup_link_rx(L, DPC, buf, (size_t)n);
}

void rx_simple(uint8_t type, unsigned cic)
{
	struct isup_msg m;

	isup_msg_init(&m, type, (uint16_t)cic);
	rx_msg(&m);
}

int build_iam(uint8_t *buf, size_t size, unsigned cic, const char *called, bool st,
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

void rx_iam(unsigned cic, const char *called, bool st, const char *calling)
{
	uint8_t buf[272];
	int n = build_iam(buf, sizeof(buf), cic, called, st, calling);

	ck_assert_int_gt(n, 0);
	isup_link_rx(L, DPC, buf, (size_t)n);
}

void rx_sam(unsigned cic, const char *digits, bool st)
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

void rx_acm(unsigned cic, bool subscriber_free)
{
	struct isup_bci b = {.charge = 2, .called_status = subscriber_free ? 1 : 0};
	uint8_t bci[2];
	struct isup_msg m;

	ck_assert_int_eq(isup_bci_encode(&b, bci, sizeof(bci)), 2);
	isup_msg_init(&m, ISUP_MT_ACM, (uint16_t)cic);
	isup_msg_add(&m, ISUP_PAR_BACKWARD_CALL_INDICATORS, bci, 2);
	rx_msg(&m);
}

void rx_rel(unsigned cic, uint8_t cause)
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
void rx_range(uint8_t type, unsigned cic, uint8_t range, const uint8_t *status, int type_par)
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

struct isup_cic *cic(unsigned n)
{
	struct isup_cic *c = isup_cic_get(isup_link_cics(L), n);

	ck_assert_ptr_nonnull(c);
	return c;
}

struct isup_call *call_out(const char *called)
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

/* an IAM asking for a continuity check on this circuit (NCI 0x04) */
void rx_iam_cot(unsigned cic)
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
