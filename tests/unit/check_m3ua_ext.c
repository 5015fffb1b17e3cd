/* sigtran/m3ua_asp optional parameters against a scripted SG over loopback
 * TCP (fake osmo clock, real loopback): Network Appearance (RFC 4666 3.3.1)
 * in DATA, DAUD and the routing key, and checked in DATA and SSNM; ASP
 * Identifier (3.5.1) in ASPUP; IPSP double exchange (4.3.1): against the
 * scripted peer, and two ASP objects in one process. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <osmocom/core/timer.h>
#include <osmocom/core/timer_compat.h>

#include "core/loop.h"
#include "sigtran/m3ua_asp.h"
#include "tests/unit/unit.h"

struct xsg {
	struct m3ua_conn *conn;
	int n[10][8];
	uint8_t last[10][8][256]; /* the last message of each class and type */
	size_t last_len[10][8];
};

static void xsg_send(struct xsg *sg, struct m3ua_enc *e)
{
	int n = m3ua_enc_finish(e);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(m3ua_conn_tx(sg->conn, e->buf, (size_t)n, 0), 0);
}

static void xsg_simple(struct xsg *sg, uint8_t cls, uint8_t type)
{
	uint8_t buf[64];
	struct m3ua_enc e;

	m3ua_enc_start(&e, buf, sizeof(buf), cls, type);
	xsg_send(sg, &e);
}

static void xsg_rx(void *priv, const uint8_t *buf, size_t len, uint16_t stream)
{
	struct xsg *sg = priv;
	struct m3ua_msg m;
	uint32_t err;
	uint8_t out[128], res[64];
	struct m3ua_enc e, r;
	int n;

	(void)stream;
	ck_assert_int_eq(m3ua_decode(&m, buf, len, &err), 0);
	ck_assert_uint_lt(m.cls, 10);
	ck_assert_uint_lt(m.type, 8);
	sg->n[m.cls][m.type]++;
	ck_assert_uint_le(len, sizeof(sg->last[0][0]));
	memcpy(sg->last[m.cls][m.type], buf, len);
	sg->last_len[m.cls][m.type] = len;
	switch (m.cls << 8 | m.type) {
	case M3UA_CLS_ASPSM << 8 | M3UA_ASPSM_UP:
		xsg_simple(sg, M3UA_CLS_ASPSM, M3UA_ASPSM_UP_ACK);
		break;
	case M3UA_CLS_ASPTM << 8 | M3UA_ASPTM_ACTIVE:
		xsg_simple(sg, M3UA_CLS_ASPTM, M3UA_ASPTM_ACTIVE_ACK);
		break;
	case M3UA_CLS_RKM << 8 | M3UA_RKM_REG_REQ:
		m3ua_enc_start(&r, res, sizeof(res), M3UA_CLS_RKM, M3UA_RKM_REG_RSP);
		m3ua_enc_u32(&r, M3UA_IEI_LOC_RKEY_ID, 1);
		m3ua_enc_u32(&r, M3UA_IEI_REG_STATUS, M3UA_REG_SUCCESS);
		m3ua_enc_u32(&r, M3UA_IEI_ROUTE_CTX, 77);
		n = m3ua_enc_finish(&r);
		m3ua_enc_start(&e, out, sizeof(out), M3UA_CLS_RKM, M3UA_RKM_REG_RSP);
		m3ua_enc_param(&e, M3UA_IEI_REG_RESULT, res + 8, (size_t)n - 8);
		xsg_send(sg, &e);
		break;
	}
}

static const struct m3ua_conn_ops xsg_ops = {.rx = xsg_rx};

/* the last message of a type, decoded */
static void xsg_last(struct xsg *sg, uint8_t cls, uint8_t type, struct m3ua_msg *m)
{
	uint32_t err;

	ck_assert_uint_gt(sg->last_len[cls][type], 0);
	ck_assert_int_eq(m3ua_decode(m, sg->last[cls][type], sg->last_len[cls][type], &err), 0);
}

/* DATA (or an SSNM) from the SG; na < 0: without Network Appearance */
static void xsg_data(struct xsg *sg, long long na)
{
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 2, .dpc = 1, .si = 5, .data = rlc, .data_len = 4};
	uint8_t buf[128];
	struct m3ua_enc e;

	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
	if (na >= 0)
		m3ua_enc_u32(&e, M3UA_IEI_NET_APPEARANCE, (uint32_t)na);
	m3ua_enc_pdata(&e, &pd);
	xsg_send(sg, &e);
}

static void xsg_duna(struct xsg *sg, uint32_t pc, long long na)
{
	uint8_t buf[64], apc[4] = {0, (uint8_t)(pc >> 16), (uint8_t)(pc >> 8), (uint8_t)pc};
	struct m3ua_enc e;

	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_SSNM, M3UA_SSNM_DUNA);
	if (na >= 0)
		m3ua_enc_u32(&e, M3UA_IEI_NET_APPEARANCE, (uint32_t)na);
	m3ua_enc_param(&e, M3UA_IEI_AFFECTED_PC, apc, 4);
	xsg_send(sg, &e);
}

struct xuser {
	enum m3ua_asp_state st;
	int transfers, pauses;
};

static void xu_state(void *p, enum m3ua_asp_state st)
{
	((struct xuser *)p)->st = st;
}

static void xu_transfer(void *p, const struct m3ua_pdata *pd)
{
	(void)pd;
	((struct xuser *)p)->transfers++;
}

static void xu_pause(void *p, uint32_t dpc)
{
	(void)dpc;
	((struct xuser *)p)->pauses++;
}

static const struct m3ua_asp_ops xu_ops = {
	.state = xu_state, .transfer = xu_transfer, .pause = xu_pause};

struct xbed {
	struct loop *l;
	struct xsg sg;
	struct xuser u;
	struct m3ua_asp *asp;
};

static void xbed_start(struct xbed *b, struct m3ua_asp_cfg *acfg)
{
	struct m3ua_conn_cfg scfg = {.transport = M3UA_TRANSPORT_TCP, .server = true};
	struct sockaddr_in *a = (struct sockaddr_in *)&scfg.local;

	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 300000};
	b->l = loop_alloc(unit_ctx, NULL);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	scfg.local_len = sizeof(*a);
	b->sg.conn = m3ua_conn_alloc(unit_ctx, b->l, &scfg, &xsg_ops, &b->sg);
	ck_assert_ptr_nonnull(b->sg.conn);
	ck_assert_int_eq(m3ua_conn_local(b->sg.conn, &acfg->conn.remote), 0);
	acfg->conn.remote_len = sizeof(struct sockaddr_in);
	acfg->conn.transport = M3UA_TRANSPORT_TCP;
	acfg->ack_ms = 1000;
	b->asp = m3ua_asp_alloc(unit_ctx, b->l, acfg, &xu_ops, &b->u);
	ck_assert_ptr_nonnull(b->asp);
	unit_loop_run(b->l, 50);
	ck_assert_int_eq(m3ua_asp_state(b->asp), M3UA_ASP_S_ACTIVE);
}

static void xbed_stop(struct xbed *b)
{
	m3ua_asp_free(b->asp);
	m3ua_conn_free(b->sg.conn);
	unit_loop_run(b->l, 20);
	loop_free(b->l);
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	osmo_gettimeofday_override = false;
}

#define LAST(cls, type, m) xsg_last(&b.sg, M3UA_CLS_##cls, M3UA_##cls##_##type, m)
#define NSG(cls, type)	   b.sg.n[M3UA_CLS_##cls][M3UA_##cls##_##type]

START_TEST(test_network_appearance)
{
	struct m3ua_asp_cfg acfg = {.traffic_mode = 1, .have_na = true, .na = 8, .daud_ms = 500};
	struct xbed b = {0};
	struct m3ua_msg m, k;
	uint32_t v;
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 1, .dpc = 2, .si = 5, .data = rlc, .data_len = 4};

	acfg.rk = (struct m3ua_rk){.enabled = true, .lrk_id = 1, .dpc = 1, .si = 5};
	xbed_start(&b, &acfg);

	/* 3.6.1: the routing key names the Network Appearance */
	LAST(RKM, REG_REQ, &m);
	ck_assert_int_eq(m3ua_decode_nested(&k, m3ua_msg_find(&m, M3UA_IEI_ROUTING_KEY)), 0);
	ck_assert_int_eq(m3ua_msg_u32(&k, M3UA_IEI_NET_APPEARANCE, &v), 0);
	ck_assert_uint_eq(v, 8);

	/* 3.3.1: DATA carries it, with the learned routing context */
	ck_assert_int_eq(m3ua_asp_transfer(b.asp, &pd), 0);
	unit_loop_run(b.l, 10);
	LAST(XFER, DATA, &m);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_NET_APPEARANCE, &v), 0);
	ck_assert_uint_eq(v, 8);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ROUTE_CTX, &v), 0);
	ck_assert_uint_eq(v, 77);
	/* the parameters in the RFC's order: NA, RC, Protocol Data */
	ck_assert_uint_eq(m.params[0].tag, M3UA_IEI_NET_APPEARANCE);
	ck_assert_uint_eq(m.params[1].tag, M3UA_IEI_ROUTE_CTX);

	/* DATA with ours, and without any, is taken */
	xsg_data(&b.sg, 8);
	xsg_data(&b.sg, -1);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.transfers, 2);
	ck_assert_int_eq(NSG(MGMT, ERR), 0);

	/* another one: ERR Invalid Network Appearance (3.8.1: 0x15) naming it */
	xsg_data(&b.sg, 9);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.transfers, 2);
	ck_assert_int_eq(NSG(MGMT, ERR), 1);
	LAST(MGMT, ERR, &m);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ERR_CODE, &v), 0);
	ck_assert_uint_eq(v, 0x15);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_NET_APPEARANCE, &v), 0);
	ck_assert_uint_eq(v, 9);
	ck_assert_uint_eq(m3ua_asp_get_stats(b.asp)->rx_bad_na, 1);

	/* SSNM for another network is refused too; ours pauses */
	xsg_duna(&b.sg, 300, 9);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.pauses, 0);
	ck_assert(m3ua_asp_dest_available(b.asp, 300));
	ck_assert_int_eq(NSG(MGMT, ERR), 2);
	xsg_duna(&b.sg, 300, 8);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.pauses, 1);
	ck_assert(!m3ua_asp_dest_available(b.asp, 300));

	/* 3.4.3: our DAUD names it, first */
	unit_loop_run(b.l, 600);
	ck_assert_int_ge(NSG(SSNM, DAUD), 1);
	LAST(SSNM, DAUD, &m);
	ck_assert_uint_eq(m.params[0].tag, M3UA_IEI_NET_APPEARANCE);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_NET_APPEARANCE, &v), 0);
	ck_assert_uint_eq(v, 8);

	/* a wrong-sized one is a field error, not taken */
	{
		uint8_t buf[64], two[2] = {0, 8};
		struct m3ua_enc e;
		struct m3ua_pdata in = {.opc = 2, .dpc = 1, .si = 5, .data = rlc, .data_len = 4};

		m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
		m3ua_enc_param(&e, M3UA_IEI_NET_APPEARANCE, two, 2);
		m3ua_enc_pdata(&e, &in);
		xsg_send(&b.sg, &e);
		unit_loop_run(b.l, 10);
		ck_assert_int_eq(b.u.transfers, 2);
		LAST(MGMT, ERR, &m);
		ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ERR_CODE, &v), 0);
		ck_assert_uint_eq(v, M3UA_ERR_PARAM_FIELD_ERR);
	}
	xbed_stop(&b);
}
END_TEST

/* Without one configured: none sent, and any received is taken. */
START_TEST(test_network_appearance_none)
{
	struct m3ua_asp_cfg acfg = {.traffic_mode = 1};
	struct xbed b = {0};
	struct m3ua_msg m;
	uint32_t v;
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 1, .dpc = 2, .si = 5, .data = rlc, .data_len = 4};

	xbed_start(&b, &acfg);
	ck_assert_int_eq(m3ua_asp_transfer(b.asp, &pd), 0);
	unit_loop_run(b.l, 10);
	LAST(XFER, DATA, &m);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_NET_APPEARANCE, &v), -ENOENT);
	xsg_data(&b.sg, 9);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.transfers, 1);
	ck_assert_int_eq(NSG(MGMT, ERR), 0);
	/* and ASPUP has no ASP Identifier */
	LAST(ASPSM, UP, &m);
	ck_assert_ptr_null(m3ua_msg_find(&m, M3UA_IEI_ASP_ID));
	xbed_stop(&b);
}
END_TEST

/* Hostile input over TCP (RFC 4666 3.8.1): a message of another version is
 * answered with ERR "Invalid Version" and the association stays; DATA with
 * a routing context not ours gets ERR "Invalid Routing Context" naming it
 * and is not handed up; ours, or none, is taken. */
START_TEST(test_bad_version_and_rc)
{
	struct m3ua_asp_cfg acfg = {.traffic_mode = 1, .have_rc = true, .rc = 7};
	struct xbed b = {0};
	struct m3ua_msg m;
	uint32_t v;
	uint8_t buf[64];
	struct m3ua_enc e;
	int n;
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 2, .dpc = 1, .si = 5, .data = rlc, .data_len = 4};

	xbed_start(&b, &acfg);
	/* version 2 BEAT: ERR 0x01, no BEAT ACK, still up */
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT);
	n = m3ua_enc_finish(&e);
	buf[0] = 2;
	ck_assert_int_eq(m3ua_conn_tx(b.sg.conn, buf, (size_t)n, 0), 0);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(NSG(MGMT, ERR), 1);
	LAST(MGMT, ERR, &m);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ERR_CODE, &v), 0);
	ck_assert_uint_eq(v, M3UA_ERR_INVAL_VERSION);
	ck_assert_int_eq(NSG(ASPSM, BEAT_ACK), 0);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	/* the next message on the same stream is read as before */
	xsg_simple(&b.sg, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(NSG(ASPSM, BEAT_ACK), 1);

	/* DATA with RC 9: ERR 0x19 naming 9; with 7 and without: taken */
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
	m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, 9);
	m3ua_enc_pdata(&e, &pd);
	xsg_send(&b.sg, &e);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.transfers, 0);
	ck_assert_int_eq(NSG(MGMT, ERR), 2);
	LAST(MGMT, ERR, &m);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ERR_CODE, &v), 0);
	ck_assert_uint_eq(v, M3UA_ERR_INVAL_ROUT_CTX);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ROUTE_CTX, &v), 0);
	ck_assert_uint_eq(v, 9);
	ck_assert_uint_eq(m3ua_asp_get_stats(b.asp)->rx_bad_rc, 1);
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
	m3ua_enc_u32(&e, M3UA_IEI_ROUTE_CTX, 7);
	m3ua_enc_pdata(&e, &pd);
	xsg_send(&b.sg, &e);
	xsg_data(&b.sg, -1);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.transfers, 2);
	ck_assert_int_eq(NSG(MGMT, ERR), 2);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	xbed_stop(&b);
}
END_TEST

/* RFC 4666 3.5.1: ASPUP carries the configured ASP Identifier, every time
 * (also after the association comes back); ASPUP ACK as before. */
START_TEST(test_asp_identifier)
{
	struct m3ua_asp_cfg acfg = {.traffic_mode = 1, .have_asp_id = true, .asp_id = 0x01020304};
	struct xbed b = {0};
	struct m3ua_msg m;
	uint32_t v;

	xbed_start(&b, &acfg);
	ck_assert_int_eq(NSG(ASPSM, UP), 1);
	LAST(ASPSM, UP, &m);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ASP_ID, &v), 0);
	ck_assert_uint_eq(v, 0x01020304);
	/* not in ASPAC */
	LAST(ASPTM, ACTIVE, &m);
	ck_assert_ptr_null(m3ua_msg_find(&m, M3UA_IEI_ASP_ID));
	memset(b.sg.last_len, 0, sizeof(b.sg.last_len));
	m3ua_asp_reset(b.asp);
	/* the reconnection backs off from 200 ms, doubling when an attempt
	 * fails: up to 20 s of fake time */
	for (int i = 0; i < 2000 && m3ua_asp_state(b.asp) != M3UA_ASP_S_ACTIVE; i++)
		unit_loop_run(b.l, 10);
	UNIT_LOOP_UNTIL(b.l, m3ua_asp_state(b.asp) == M3UA_ASP_S_ACTIVE, 0, 20000);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(NSG(ASPSM, UP), 2);
	LAST(ASPSM, UP, &m);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ASP_ID, &v), 0);
	ck_assert_uint_eq(v, 0x01020304);
	xbed_stop(&b);
}
END_TEST

/* IPSP DE against the scripted peer: it answers our ASPUP/ASPAC, and its
 * own requests set the peer state we keep; DATA from it only while it is
 * active; its ASPUP while up means it restarted: we announce ourselves
 * again. */
START_TEST(test_ipsp_de_peer)
{
	struct m3ua_asp_cfg acfg = {.role = M3UA_ROLE_IPSP_DE, .traffic_mode = 1};
	struct xbed b = {0};
	struct m3ua_msg m;
	uint32_t v;

	xbed_start(&b, &acfg);
	ck_assert_int_eq(NSG(ASPSM, UP), 1);
	ck_assert_int_eq(NSG(ASPTM, ACTIVE), 1);
	/* we are active; the peer has not said anything of itself yet */
	ck_assert_int_eq(m3ua_asp_peer_state(b.asp), M3UA_ASP_S_DOWN);
	xsg_data(&b.sg, -1);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.transfers, 0);
	ck_assert_int_eq(NSG(MGMT, ERR), 1);
	LAST(MGMT, ERR, &m);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ERR_CODE, &v), 0);
	ck_assert_uint_eq(v, M3UA_ERR_UNEXPECTED_MSG);
	/* ASPAC before ASPUP: ERR, no ACK */
	xsg_simple(&b.sg, M3UA_CLS_ASPTM, M3UA_ASPTM_ACTIVE);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(NSG(MGMT, ERR), 2);
	ck_assert_int_eq(NSG(ASPTM, ACTIVE_ACK), 0);
	/* the peer's ASPUP and ASPAC: answered, its state follows, ours stays */
	xsg_simple(&b.sg, M3UA_CLS_ASPSM, M3UA_ASPSM_UP);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(NSG(ASPSM, UP_ACK), 1);
	ck_assert_int_eq(m3ua_asp_peer_state(b.asp), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	xsg_simple(&b.sg, M3UA_CLS_ASPTM, M3UA_ASPTM_ACTIVE);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(NSG(ASPTM, ACTIVE_ACK), 1);
	ck_assert_int_eq(m3ua_asp_peer_state(b.asp), M3UA_ASP_S_ACTIVE);
	xsg_data(&b.sg, -1);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.transfers, 1);
	/* its ASPIA: DATA from it refused again; ours still goes */
	xsg_simple(&b.sg, M3UA_CLS_ASPTM, M3UA_ASPTM_INACTIVE);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(NSG(ASPTM, INACTIVE_ACK), 1);
	ck_assert_int_eq(m3ua_asp_peer_state(b.asp), M3UA_ASP_S_INACTIVE);
	xsg_data(&b.sg, -1);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(b.u.transfers, 1);
	{
		static const uint8_t rlc[] = {1, 0, 0x10, 0};
		struct m3ua_pdata pd = {.opc = 1, .dpc = 2, .si = 5, .data = rlc, .data_len = 4};

		ck_assert_int_eq(m3ua_asp_transfer(b.asp, &pd), 0);
	}
	/* ASPUP from the peer while it is up: it restarted; we send ASPUP and
	 * ASPAC again and come back active */
	xsg_simple(&b.sg, M3UA_CLS_ASPSM, M3UA_ASPSM_UP);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(NSG(ASPSM, UP_ACK), 2);
	ck_assert_int_eq(NSG(ASPSM, UP), 2);
	ck_assert_int_eq(NSG(ASPTM, ACTIVE), 2);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_peer_state(b.asp), M3UA_ASP_S_INACTIVE);
	/* its ASPDN */
	xsg_simple(&b.sg, M3UA_CLS_ASPSM, M3UA_ASPSM_DOWN);
	unit_loop_run(b.l, 10);
	ck_assert_int_eq(NSG(ASPSM, DOWN_ACK), 1);
	ck_assert_int_eq(m3ua_asp_peer_state(b.asp), M3UA_ASP_S_DOWN);
	xbed_stop(&b);
}
END_TEST

/* Two IPSPs in double exchange over loopback TCP: both send ASPUP and
 * ASPAC, both answer; each side's state is its own business. */
START_TEST(test_ipsp_de_pair)
{
	struct m3ua_asp_cfg acfg = {.role = M3UA_ROLE_IPSP_DE,
				    .have_rc = true,
				    .rc = 5,
				    .traffic_mode = 1,
				    .ack_ms = 1000};
	struct m3ua_asp_cfg bcfg = acfg;
	struct sockaddr_in *sa = (struct sockaddr_in *)&acfg.conn.local;
	struct xuser ua = {0}, ub = {0};
	struct m3ua_asp *a, *b;
	struct loop *l;
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 2, .dpc = 1, .si = 5, .data = rlc, .data_len = 4};
	const struct m3ua_asp_stats *sta, *stb;

	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 500000};
	l = loop_alloc(unit_ctx, NULL);
	acfg.conn.transport = bcfg.conn.transport = M3UA_TRANSPORT_TCP;
	acfg.conn.server = true;
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	acfg.conn.local_len = sizeof(*sa);
	a = m3ua_asp_alloc(unit_ctx, l, &acfg, &xu_ops, &ua);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(m3ua_asp_local(a, &bcfg.conn.remote), 0);
	bcfg.conn.remote_len = sizeof(struct sockaddr_in);
	b = m3ua_asp_alloc(unit_ctx, l, &bcfg, &xu_ops, &ub);
	ck_assert_ptr_nonnull(b);
	unit_loop_run(l, 50);
	/* the TCP connection and the handshake on a loaded machine: more real
	 * loop passes, the fake clock held (no retransmission may happen) */
	UNIT_LOOP_UNTIL(l,
			m3ua_asp_peer_state(a) == M3UA_ASP_S_ACTIVE &&
				m3ua_asp_peer_state(b) == M3UA_ASP_S_ACTIVE,
			0, 20000);
	sta = m3ua_asp_get_stats(a);
	stb = m3ua_asp_get_stats(b);
	ck_assert_int_eq(m3ua_asp_state(a), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_state(b), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_peer_state(a), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_peer_state(b), M3UA_ASP_S_ACTIVE);
	/* each asked once and answered once (the server side too) */
	ck_assert_uint_eq(sta->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP], 1);
	ck_assert_uint_eq(stb->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP], 1);
	ck_assert_uint_eq(sta->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP_ACK], 1);
	ck_assert_uint_eq(stb->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP_ACK], 1);
	ck_assert_uint_eq(sta->tx[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE], 1);
	ck_assert_uint_eq(stb->tx[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE], 1);
	ck_assert_uint_eq(sta->tx[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE_ACK], 1);
	ck_assert_uint_eq(stb->tx[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE_ACK], 1);
	ck_assert_uint_eq(sta->rx_err_sent + stb->rx_err_sent, 0);
	/* DATA both ways */
	ck_assert_int_eq(m3ua_asp_transfer(b, &pd), 0);
	ck_assert_int_eq(m3ua_asp_transfer(a, &pd), 0);
	unit_loop_run(l, 20);
	ck_assert_int_eq(ua.transfers, 1);
	ck_assert_int_eq(ub.transfers, 1);
	/* b goes inactive: its own DATA stops, a's still reaches it */
	m3ua_asp_set_target(b, M3UA_ASP_S_INACTIVE);
	unit_loop_run(l, 20);
	ck_assert_int_eq(m3ua_asp_state(b), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(m3ua_asp_peer_state(a), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(m3ua_asp_state(a), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_transfer(b, &pd), -ENOTCONN);
	ck_assert_int_eq(m3ua_asp_transfer(a, &pd), 0);
	unit_loop_run(l, 20);
	ck_assert_int_eq(ub.transfers, 2);
	/* the association drops: both go down, both come back up */
	m3ua_asp_set_target(b, M3UA_ASP_S_ACTIVE);
	unit_loop_run(l, 20);
	m3ua_asp_reset(b);
	unit_loop_run(l, 20);
	for (int i = 0; i < 100 && !(m3ua_asp_state(a) == M3UA_ASP_S_ACTIVE &&
				     m3ua_asp_peer_state(a) == M3UA_ASP_S_ACTIVE &&
				     m3ua_asp_state(b) == M3UA_ASP_S_ACTIVE &&
				     m3ua_asp_peer_state(b) == M3UA_ASP_S_ACTIVE);
	     i++)
		unit_loop_run(l, 10);
	UNIT_LOOP_UNTIL(l,
			m3ua_asp_state(a) == M3UA_ASP_S_ACTIVE &&
				m3ua_asp_peer_state(a) == M3UA_ASP_S_ACTIVE &&
				m3ua_asp_state(b) == M3UA_ASP_S_ACTIVE &&
				m3ua_asp_peer_state(b) == M3UA_ASP_S_ACTIVE,
			0, 20000);
	ck_assert_int_eq(m3ua_asp_state(a), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_peer_state(a), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_state(b), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_peer_state(b), M3UA_ASP_S_ACTIVE);
	ck_assert_uint_eq(sta->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP], 2);
	ck_assert_uint_eq(stb->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP], 2);
	/* b goes down (ASPIA, ASPDN): a sees its peer down, itself unchanged */
	m3ua_asp_set_target(b, M3UA_ASP_S_DOWN);
	unit_loop_run(l, 20);
	ck_assert_int_eq(m3ua_asp_state(b), M3UA_ASP_S_DOWN);
	ck_assert_int_eq(m3ua_asp_peer_state(a), M3UA_ASP_S_DOWN);
	ck_assert_int_eq(m3ua_asp_state(a), M3UA_ASP_S_ACTIVE);
	m3ua_asp_free(b);
	m3ua_asp_free(a);
	unit_loop_run(l, 20);
	loop_free(l);
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	osmo_gettimeofday_override = false;
}
END_TEST

Suite *m3ua_ext_suite(void)
{
	Suite *s = suite_create("m3ua_ext");
	TCase *tc = unit_tcase("ext");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_network_appearance);
	tcase_add_test(tc, test_network_appearance_none);
	tcase_add_test(tc, test_bad_version_and_rc);
	tcase_add_test(tc, test_asp_identifier);
	tcase_add_test(tc, test_ipsp_de_peer);
	tcase_add_test(tc, test_ipsp_de_pair);
	suite_add_tcase(s, tc);
	return s;
}
