/* sigtran/m3ua_asp procedures against a scripted SG of the test's own over
 * loopback TCP, with a fake clock for T(ack) and the DAUD period (the
 * association runs on real time, the osmo timers on the fake one):
 * ASPIA/ASPDN from our side with retransmission (RFC 4666 4.3.4.2, 4.3.4.4),
 * SG-initiated ASPDN ACK and NTFY Alternate ASP Active, SSNM (4.5: SCON,
 * DRST, DUPU, DUNA/DAVA and our DAUD), RKM (4.4: REG REQ/RSP accepted and
 * refused, DEREG REQ/RSP on the way down) and the RKM codec. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <osmocom/core/timer.h>
#include <osmocom/core/fsm.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/timer_compat.h>

#include "core/loop.h"
#include "sigtran/m3ua_as.h"
#include "sigtran/m3ua_asp.h"
#include "sigtran/m3ua_asp_int.h" /* the FSM instance and its events */
#include "sigtran/m3ua_dest.h"
#include "sigtran/m3ua_rkm.h"
#include "tests/unit/unit.h"

struct sg {
	struct m3ua_conn *conn;
	int n[10][8];	       /* received per class and type */
	int ignore[10][8];     /* this many of a type go unanswered */
	int rkm;	       /* 0 silent, 1 accept, 2 refuse */
	uint32_t rc_assign;    /* RC given on acceptance */
	uint32_t last_ac_rc;   /* RC in the last ASPAC (or ~0 without) */
	uint32_t last_data_rc; /* same for DATA */
	uint32_t dereg_rc;
	uint8_t daud_apc[16]; /* the last DAUD's Affected Point Code */
	size_t daud_len;
	struct m3ua_rk reg; /* what the REG REQ asked for */
};

static void sg_send(struct sg *sg, struct m3ua_enc *e)
{
	int n = m3ua_enc_finish(e);

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(m3ua_conn_tx(sg->conn, e->buf, (size_t)n, 0), 0);
}

static void sg_simple(struct sg *sg, uint8_t cls, uint8_t type)
{
	uint8_t buf[64];
	struct m3ua_enc e;

	m3ua_enc_start(&e, buf, sizeof(buf), cls, type);
	sg_send(sg, &e);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* decode what the ASP registers, the way an SG has to */
static void sg_reg(struct sg *sg, const struct m3ua_msg *m)
{
	const struct m3ua_param *p = m3ua_msg_find(m, M3UA_IEI_ROUTING_KEY);
	struct m3ua_msg k;
	uint8_t buf[128], res[64];
	struct m3ua_enc e, r;
	int n;

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(m3ua_decode_nested(&k, p), 0);
	memset(&sg->reg, 0, sizeof(sg->reg));
	ck_assert_int_eq(m3ua_msg_u32(&k, M3UA_IEI_LOC_RKEY_ID, &sg->reg.lrk_id), 0);
	ck_assert_int_eq(m3ua_msg_u32(&k, M3UA_IEI_DEST_PC, &sg->reg.dpc), 0);
	p = m3ua_msg_find(&k, M3UA_IEI_SVC_IND);
	ck_assert_ptr_nonnull(p);
	sg->reg.si = p->val[0];
	p = m3ua_msg_find(&k, M3UA_IEI_ORIG_PC);
	for (unsigned i = 0; p && i + 4 <= p->len && sg->reg.n_opc < M3UA_RK_MAX_OPC; i += 4)
		sg->reg.opc[sg->reg.n_opc++] = rd32(p->val + i) & 0xffffff;
	p = m3ua_msg_find(&k, M3UA_IEI_CIRCUIT_RANGE);
	if (p) {
		ck_assert_uint_eq(p->len, 8);
		sg->reg.have_cics = true;
		sg->reg.cic_opc = rd32(p->val) & 0xffffff;
		sg->reg.cic_first = (uint16_t)(p->val[4] << 8 | p->val[5]);
		sg->reg.cic_last = (uint16_t)(p->val[6] << 8 | p->val[7]);
	}
	if (!sg->rkm)
		return;
	/* RFC 4666 3.6.2: Registration Result { LRK id, status, RC } */
	m3ua_enc_start(&r, res, sizeof(res), M3UA_CLS_RKM, M3UA_RKM_REG_RSP);
	m3ua_enc_u32(&r, M3UA_IEI_LOC_RKEY_ID, sg->reg.lrk_id);
	m3ua_enc_u32(&r, M3UA_IEI_REG_STATUS,
		     sg->rkm == 1 ? M3UA_REG_SUCCESS : M3UA_REG_ERR_PERM_DENIED);
	m3ua_enc_u32(&r, M3UA_IEI_ROUTE_CTX, sg->rkm == 1 ? sg->rc_assign : 0);
	n = m3ua_enc_finish(&r);
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_RKM, M3UA_RKM_REG_RSP);
	m3ua_enc_param(&e, M3UA_IEI_REG_RESULT, res + 8, (size_t)n - 8);
	sg_send(sg, &e);
}

static void sg_rx(void *priv, const uint8_t *buf, size_t len, uint16_t stream)
{
	struct sg *sg = priv;
	struct m3ua_msg m;
	uint32_t err, rc;
	uint8_t out[64], res[32];
	struct m3ua_enc e, r;
	int n;

	(void)stream;
	ck_assert_int_eq(m3ua_decode(&m, buf, len, &err), 0);
	sg->n[m.cls][m.type]++;
	if (sg->ignore[m.cls][m.type] > 0) {
		sg->ignore[m.cls][m.type]--;
		return;
	}
	switch (m.cls << 8 | m.type) {
	case M3UA_CLS_ASPSM << 8 | M3UA_ASPSM_UP:
		sg_simple(sg, M3UA_CLS_ASPSM, M3UA_ASPSM_UP_ACK);
		break;
	case M3UA_CLS_ASPSM << 8 | M3UA_ASPSM_DOWN:
		sg_simple(sg, M3UA_CLS_ASPSM, M3UA_ASPSM_DOWN_ACK);
		break;
	case M3UA_CLS_ASPSM << 8 | M3UA_ASPSM_BEAT: {
		const struct m3ua_param *hb = m3ua_msg_find(&m, M3UA_IEI_HEARDBT_DATA);

		m3ua_enc_start(&e, out, sizeof(out), M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK);
		if (hb)
			m3ua_enc_param(&e, M3UA_IEI_HEARDBT_DATA, hb->val, hb->len);
		sg_send(sg, &e);
		break;
	}
	case M3UA_CLS_ASPTM << 8 | M3UA_ASPTM_ACTIVE:
		sg->last_ac_rc = m3ua_msg_u32(&m, M3UA_IEI_ROUTE_CTX, &rc) == 0 ? rc : ~0u;
		sg_simple(sg, M3UA_CLS_ASPTM, M3UA_ASPTM_ACTIVE_ACK);
		break;
	case M3UA_CLS_ASPTM << 8 | M3UA_ASPTM_INACTIVE:
		sg_simple(sg, M3UA_CLS_ASPTM, M3UA_ASPTM_INACTIVE_ACK);
		break;
	case M3UA_CLS_XFER << 8 | M3UA_XFER_DATA:
		sg->last_data_rc = m3ua_msg_u32(&m, M3UA_IEI_ROUTE_CTX, &rc) == 0 ? rc : ~0u;
		break;
	case M3UA_CLS_SSNM << 8 | M3UA_SSNM_DAUD: {
		const struct m3ua_param *p = m3ua_msg_find(&m, M3UA_IEI_AFFECTED_PC);

		sg->daud_len = p->len < sizeof(sg->daud_apc) ? p->len : sizeof(sg->daud_apc);
		memcpy(sg->daud_apc, p->val, sg->daud_len);
		break;
	}
	case M3UA_CLS_RKM << 8 | M3UA_RKM_REG_REQ:
		sg_reg(sg, &m);
		break;
	case M3UA_CLS_RKM << 8 | M3UA_RKM_DEREG_REQ:
		ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ROUTE_CTX, &sg->dereg_rc), 0);
		m3ua_enc_start(&r, res, sizeof(res), M3UA_CLS_RKM, M3UA_RKM_DEREG_RSP);
		m3ua_enc_u32(&r, M3UA_IEI_ROUTE_CTX, sg->dereg_rc);
		m3ua_enc_u32(&r, M3UA_IEI_DEREG_STATUS, M3UA_DEREG_SUCCESS);
		n = m3ua_enc_finish(&r);
		m3ua_enc_start(&e, out, sizeof(out), M3UA_CLS_RKM, M3UA_RKM_DEREG_RSP);
		m3ua_enc_param(&e, M3UA_IEI_DEREG_RESULT, res + 8, (size_t)n - 8);
		sg_send(sg, &e);
		break;
	}
}

static const struct m3ua_conn_ops sg_ops = {.rx = sg_rx};

/* SSNM from the SG: Affected Point Code and one more 32-bit parameter */
static void sg_ssnm(struct sg *sg, uint8_t type, uint32_t pc, uint16_t tag, uint32_t v)
{
	uint8_t buf[64], apc[4] = {0, (uint8_t)(pc >> 16), (uint8_t)(pc >> 8), (uint8_t)pc};
	struct m3ua_enc e;

	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_SSNM, type);
	m3ua_enc_param(&e, M3UA_IEI_AFFECTED_PC, apc, 4);
	if (tag)
		m3ua_enc_u32(&e, tag, v);
	sg_send(sg, &e);
}

struct user {
	enum m3ua_asp_state st;
	int transfers, pauses, resumes, congs, dupus;
	unsigned cong_level, dupu_user, dupu_cause;
};

static void u_state(void *p, enum m3ua_asp_state st)
{
	((struct user *)p)->st = st;
}

static void u_transfer(void *p, const struct m3ua_pdata *pd)
{
	(void)pd;
	((struct user *)p)->transfers++;
}

static void u_pause(void *p, uint32_t dpc)
{
	(void)dpc;
	((struct user *)p)->pauses++;
}

static void u_resume(void *p, uint32_t dpc)
{
	(void)dpc;
	((struct user *)p)->resumes++;
}

static void u_cong(void *p, uint32_t dpc, unsigned level)
{
	struct user *u = p;

	(void)dpc;
	u->congs++;
	u->cong_level = level;
}

static void u_dupu(void *p, uint32_t dpc, uint8_t user, unsigned cause)
{
	struct user *u = p;

	(void)dpc;
	u->dupus++;
	u->dupu_user = user;
	u->dupu_cause = cause;
}

static const struct m3ua_asp_ops u_ops = {.state = u_state,
					  .transfer = u_transfer,
					  .pause = u_pause,
					  .resume = u_resume,
					  .congestion = u_cong,
					  .user_unavailable = u_dupu};

struct bed {
	struct loop *l;
	struct sg sg;
	struct user u;
	struct m3ua_asp *asp;
};

static void bed_start(struct bed *b, struct m3ua_asp_cfg *acfg)
{
	struct m3ua_conn_cfg scfg = {.transport = M3UA_TRANSPORT_TCP, .server = true};
	struct sockaddr_in *a = (struct sockaddr_in *)&scfg.local;

	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 200000};
	b->l = loop_alloc(unit_ctx, NULL);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	scfg.local_len = sizeof(*a);
	b->sg.conn = m3ua_conn_alloc(unit_ctx, b->l, &scfg, &sg_ops, &b->sg);
	ck_assert_ptr_nonnull(b->sg.conn);
	ck_assert_int_eq(m3ua_conn_local(b->sg.conn, &acfg->conn.remote), 0);
	acfg->conn.remote_len = sizeof(struct sockaddr_in);
	acfg->conn.transport = M3UA_TRANSPORT_TCP;
	/* T(ack) from the timer table ("timer m3ua X1 1000"), unless the
	 * test gives the ASP its own */
	osmo_tdef_set(m3ua_asp_tdefs, -1, 1000, OSMO_TDEF_MS);
	b->asp = m3ua_asp_alloc(unit_ctx, b->l, acfg, &u_ops, &b->u);
	ck_assert_ptr_nonnull(b->asp);
}

static void bed_stop(struct bed *b)
{
	m3ua_asp_free(b->asp);
	m3ua_conn_free(b->sg.conn);
	unit_loop_run(b->l, 20);
	loop_free(b->l);
	osmo_tdefs_reset(m3ua_asp_tdefs);
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	osmo_gettimeofday_override = false;
}

#define N(cls, type) b.sg.n[M3UA_CLS_##cls][M3UA_##cls##_##type]

START_TEST(test_aspia_aspdn)
{
	struct m3ua_asp_cfg acfg = {.traffic_mode = 1};
	struct bed b = {0};

	bed_start(&b, &acfg);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert(m3ua_asp_settled(b.asp));

	/* 4.3.4.4: ASPIA; the first is lost, T(ack) (1 s) sends it again, not sooner */
	b.sg.ignore[M3UA_CLS_ASPTM][M3UA_ASPTM_INACTIVE] = 1;
	m3ua_asp_set_target(b.asp, M3UA_ASP_S_INACTIVE);
	unit_loop_run(b.l, 900);
	ck_assert_int_eq(N(ASPTM, INACTIVE), 1);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert(!m3ua_asp_settled(b.asp));
	unit_loop_run(b.l, 200);
	ck_assert_int_eq(N(ASPTM, INACTIVE), 2);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(b.u.st, M3UA_ASP_S_INACTIVE);
	ck_assert(m3ua_asp_settled(b.asp));
	/* nothing more is sent while it stays there */
	unit_loop_run(b.l, 3000);
	ck_assert_int_eq(N(ASPTM, INACTIVE), 2);
	ck_assert_int_eq(N(ASPTM, ACTIVE), 1);

	/* and back */
	m3ua_asp_set_target(b.asp, M3UA_ASP_S_ACTIVE);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(N(ASPTM, ACTIVE), 2);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);

	/* 4.3.4.2: down from ACTIVE is ASPIA then ASPDN */
	m3ua_asp_set_target(b.asp, M3UA_ASP_S_DOWN);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(N(ASPTM, INACTIVE), 3);
	ck_assert_int_eq(N(ASPSM, DOWN), 1);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_DOWN);
	ck_assert(m3ua_asp_settled(b.asp));
	unit_loop_run(b.l, 3000);
	ck_assert_int_eq(N(ASPSM, UP), 1); /* stays down */

	/* up again; then an SG that never answers ASPDN: 3 tries, then down */
	m3ua_asp_set_target(b.asp, M3UA_ASP_S_ACTIVE);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	b.sg.ignore[M3UA_CLS_ASPSM][M3UA_ASPSM_DOWN] = 10;
	m3ua_asp_set_target(b.asp, M3UA_ASP_S_DOWN);
	unit_loop_run(b.l, 2500);
	ck_assert_int_eq(N(ASPSM, DOWN), 4);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_INACTIVE);
	unit_loop_run(b.l, 1000);
	ck_assert_int_eq(N(ASPSM, DOWN), 4);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_DOWN);
	bed_stop(&b);
}
END_TEST

/* 4.3.4.6: BEAT every period while answered; two unanswered drop the
 * association, which comes back */
/* The ASP FSM table (RFC 4666 4.3.1) refuses what the procedure does not
 * allow, and T(ack) is the timer table's X1: a lost ASPUP and a lost ASPAC
 * go again after exactly that long. */
START_TEST(test_asp_fsm_table)
{
	struct m3ua_asp_cfg acfg = {.traffic_mode = 1};
	struct bed b = {0};
	struct osmo_fsm_inst *fi;

	b.sg.ignore[M3UA_CLS_ASPSM][M3UA_ASPSM_UP] = 1;
	b.sg.ignore[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE] = 1;
	bed_start(&b, &acfg);
	ck_assert_uint_eq(m3ua_asp_ack_ms(b.asp), 1000);
	fi = b.asp->fi;
	unit_loop_run(b.l, 900);
	ck_assert_int_eq(N(ASPSM, UP), 1);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_DOWN);
	/* in ASP-DOWN: no ASPTM ACK, no NTFY Alternate ASP Active, no jump to ACTIVE */
	ck_assert_int_lt(osmo_fsm_inst_dispatch(fi, E_RX_ACTIVE_ACK, NULL), 0);
	ck_assert_int_lt(osmo_fsm_inst_dispatch(fi, E_RX_INACTIVE_ACK, NULL), 0);
	ck_assert_int_lt(osmo_fsm_inst_dispatch(fi, E_RX_ALT_ASP_ACTIVE, NULL), 0);
	ck_assert_int_lt(osmo_fsm_inst_state_chg(fi, M3UA_ASP_S_ACTIVE, 0, 0), 0);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_DOWN);
	/* T(ack) expiry: ASPUP again (4.3.4.1), then ASPAC, lost once, again (4.3.4.3) */
	unit_loop_run(b.l, 200);
	ck_assert_int_eq(N(ASPSM, UP), 2);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(N(ASPTM, ACTIVE), 1);
	/* in ASP-INACTIVE: the association cannot come up again, NTFY
	 * Alternate ASP Active has nothing to take away */
	ck_assert_int_lt(osmo_fsm_inst_dispatch(fi, E_CONN_UP, NULL), 0);
	ck_assert_int_lt(osmo_fsm_inst_dispatch(fi, E_RX_ALT_ASP_ACTIVE, NULL), 0);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_INACTIVE);
	unit_loop_run(b.l, 800);
	ck_assert_int_eq(N(ASPTM, ACTIVE), 1);
	unit_loop_run(b.l, 300);
	ck_assert_int_eq(N(ASPTM, ACTIVE), 2);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert(m3ua_asp_settled(b.asp));
	/* in ASP-ACTIVE: a refused event changes nothing and sends nothing */
	ck_assert_int_lt(osmo_fsm_inst_dispatch(fi, E_CONN_UP, NULL), 0);
	unit_loop_run(b.l, 2500);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(N(ASPSM, UP), 2);
	ck_assert_int_eq(N(ASPTM, ACTIVE), 2);
	ck_assert_int_eq(N(MGMT, ERR), 0);
	/* a duplicate ASPAC ACK is taken quietly */
	sg_simple(&b.sg, M3UA_CLS_ASPTM, M3UA_ASPTM_ACTIVE_ACK);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(N(MGMT, ERR), 0);

	/* down on request; then an ASPAC ACK from the network in ASP-DOWN is
	 * refused by the table and answered ERR Unexpected Message (3.8.1) */
	m3ua_asp_set_target(b.asp, M3UA_ASP_S_DOWN);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_DOWN);
	sg_simple(&b.sg, M3UA_CLS_ASPTM, M3UA_ASPTM_ACTIVE_ACK);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_DOWN);
	ck_assert_int_eq(N(MGMT, ERR), 1);
	bed_stop(&b);
}
END_TEST

/* The AS FSM table (RFC 4666 4.3.2): AS-DOWN goes only to AS-INACTIVE; an
 * unknown event is refused. */
START_TEST(test_as_fsm_table)
{
	static const struct m3ua_asp_ops none = {0};
	struct m3ua_as_cfg ascfg = {.traffic_mode = 1};
	struct m3ua_as *as = m3ua_as_alloc(unit_ctx, "tbl", &ascfg, &none, NULL);
	struct osmo_fsm *fsm = osmo_fsm_find_by_name("M3UA_AS");
	struct osmo_fsm_inst *fi;

	ck_assert_ptr_nonnull(as);
	ck_assert_ptr_nonnull(fsm);
	fi = osmo_fsm_inst_find_by_id(fsm, "tbl");
	ck_assert_ptr_nonnull(fi);
	ck_assert_int_eq(m3ua_as_state(as), M3UA_AS_S_DOWN);
	ck_assert_int_lt(osmo_fsm_inst_state_chg(fi, M3UA_AS_S_PENDING, 0, 0), 0);
	ck_assert_int_lt(osmo_fsm_inst_state_chg(fi, M3UA_AS_S_ACTIVE, 0, 0), 0);
	ck_assert_int_lt(osmo_fsm_inst_dispatch(fi, 5, NULL), 0);
	ck_assert_int_eq(m3ua_as_state(as), M3UA_AS_S_DOWN);
	ck_assert_int_eq(osmo_fsm_inst_state_chg(fi, M3UA_AS_S_INACTIVE, 0, 0), 0);
	ck_assert_int_lt(osmo_fsm_inst_state_chg(fi, M3UA_AS_S_PENDING, 0, 0), 0);
	ck_assert_int_eq(m3ua_as_state(as), M3UA_AS_S_INACTIVE);
	m3ua_as_free(as);
}
END_TEST

START_TEST(test_beat)
{
	struct m3ua_asp_cfg acfg = {.beat_ms = 1000};
	struct bed b = {0};

	acfg.conn.reconnect_min_ms = 20;
	bed_start(&b, &acfg);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	unit_loop_run(b.l, 3000);
	ck_assert_int_eq(N(ASPSM, BEAT), 3);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	/* the peer stops answering: BEAT at 4 s and 5 s unanswered, at 6 s the
	 * association goes */
	b.sg.ignore[M3UA_CLS_ASPSM][M3UA_ASPSM_BEAT] = 2;
	unit_loop_run(b.l, 2900);
	ck_assert_int_eq(N(ASPSM, BEAT), 5);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(N(ASPSM, UP), 1);
	ck_assert_uint_eq(m3ua_conn_get_stats(b.sg.conn)->disconnects, 0);
	unit_loop_run(b.l, 200);
	ck_assert_uint_eq(m3ua_conn_get_stats(b.sg.conn)->disconnects, 1);
	for (int i = 0; i < 100 && N(ASPSM, UP) < 2; i++)
		unit_loop_run(b.l, 10);
	ck_assert_int_eq(N(ASPSM, UP), 2); /* reconnected, up again */
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	bed_stop(&b);
}
END_TEST

START_TEST(test_sg_initiated)
{
	struct m3ua_asp_cfg acfg = {0};
	struct bed b = {0};
	uint8_t buf[32];
	struct m3ua_enc e;

	bed_start(&b, &acfg);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	/* 4.3.4.3: NTFY Alternate ASP Active: standby, no ASPAC fight */
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_MGMT, M3UA_MGMT_NTFY);
	m3ua_enc_u32(&e, M3UA_IEI_STATUS, M3UA_NTFY_T_OTHER << 16 | M3UA_NTFY_I_ALT_ASP_ACT);
	sg_send(&b.sg, &e);
	unit_loop_run(b.l, 3000);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(m3ua_asp_target(b.asp), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(N(ASPTM, ACTIVE), 1);
	/* 4.3.4.2: an ASPDN ACK the ASP did not ask for: down, then ASPUP again */
	sg_simple(&b.sg, M3UA_CLS_ASPSM, M3UA_ASPSM_DOWN_ACK);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(N(ASPSM, UP), 2);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_INACTIVE);
	bed_stop(&b);
}
END_TEST

START_TEST(test_ssnm)
{
	struct m3ua_asp_cfg acfg = {.have_rc = true, .rc = 9, .daud_ms = 2000};
	struct bed b = {0};
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 1, .dpc = 2, .si = 5, .data = rlc, .data_len = 4};

	bed_start(&b, &acfg);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);

	/* SCON level 2, then DAVA ends it */
	sg_ssnm(&b.sg, M3UA_SSNM_SCON, 300, M3UA_IEI_CONG_IND, 2);
	unit_loop_run(b.l, 20);
	ck_assert_int_eq(b.u.congs, 1);
	ck_assert_uint_eq(b.u.cong_level, 2);
	ck_assert_uint_eq(m3ua_asp_dest_congestion(b.asp, 300), 2);
	ck_assert(m3ua_asp_dest_available(b.asp, 300));
	sg_ssnm(&b.sg, M3UA_SSNM_DAVA, 300, 0, 0);
	unit_loop_run(b.l, 20);
	ck_assert_uint_eq(m3ua_asp_dest_congestion(b.asp, 300), 0);
	ck_assert_uint_eq(b.u.cong_level, 0);

	/* DRST: restricted but reachable */
	sg_ssnm(&b.sg, M3UA_SSNM_DRST, 301, 0, 0);
	unit_loop_run(b.l, 20);
	ck_assert_int_eq(m3ua_asp_dest_state(b.asp, 301), M3UA_DEST_RESTRICTED);
	ck_assert(m3ua_asp_dest_available(b.asp, 301));
	ck_assert_int_eq(b.u.pauses, 0);

	/* DUPU for ISUP at PC 1 (cause 2 inaccessible); DATA from it clears it */
	sg_ssnm(&b.sg, M3UA_SSNM_DUPU, 1, M3UA_IEI_USER_CAUSE, 2u << 16 | 5);
	unit_loop_run(b.l, 20);
	ck_assert_int_eq(b.u.dupus, 1);
	ck_assert_uint_eq(b.u.dupu_user, 5);
	ck_assert_uint_eq(b.u.dupu_cause, 2);
	ck_assert(!m3ua_asp_user_available(b.asp, 1, 5));
	ck_assert(m3ua_asp_user_available(b.asp, 1, 3));
	ck_assert(m3ua_asp_dest_available(b.asp, 1));
	{
		uint8_t buf[64];
		struct m3ua_enc e;

		m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
		m3ua_enc_pdata(&e, &pd);
		sg_send(&b.sg, &e);
	}
	unit_loop_run(b.l, 20);
	ck_assert_int_eq(b.u.transfers, 1);
	ck_assert(m3ua_asp_user_available(b.asp, 1, 5));

	/* DUNA: pause, sending refused; DAUD every 2 s while it lasts (4.5.3) */
	sg_ssnm(&b.sg, M3UA_SSNM_DUNA, 2, 0, 0);
	unit_loop_run(b.l, 20);
	ck_assert_int_eq(b.u.pauses, 1);
	ck_assert_int_eq(m3ua_asp_transfer(b.asp, &pd), -EHOSTUNREACH);
	unit_loop_run(b.l, 1900);
	ck_assert_int_eq(N(SSNM, DAUD), 0);
	unit_loop_run(b.l, 200);
	ck_assert_int_eq(N(SSNM, DAUD), 1);
	ck_assert_uint_eq(b.sg.daud_len, 4);
	ck_assert_uint_eq(rd32(b.sg.daud_apc), 2);
	unit_loop_run(b.l, 2000);
	ck_assert_int_eq(N(SSNM, DAUD), 2);
	sg_ssnm(&b.sg, M3UA_SSNM_DAVA, 2, 0, 0);
	unit_loop_run(b.l, 20);
	ck_assert_int_eq(b.u.resumes, 1);
	ck_assert_int_eq(m3ua_asp_transfer(b.asp, &pd), 0);
	unit_loop_run(b.l, 4500);
	ck_assert_int_eq(N(SSNM, DAUD), 2);
	ck_assert_uint_eq(b.sg.last_data_rc, 9);

	/* an SSNM without Affected Point Code is refused by the decoder: ERR */
	sg_simple(&b.sg, M3UA_CLS_SSNM, M3UA_SSNM_SCON);
	unit_loop_run(b.l, 20);
	ck_assert_int_eq(b.sg.n[M3UA_CLS_MGMT][M3UA_MGMT_ERR], 1);
	bed_stop(&b);
}
END_TEST

static const struct m3ua_rk test_rk = {.enabled = true,
				       .lrk_id = 11,
				       .dpc = 2,
				       .si = 5,
				       .opc = {1},
				       .n_opc = 1,
				       .have_cics = true,
				       .cic_opc = 1,
				       .cic_first = 1,
				       .cic_last = 31};

START_TEST(test_rkm_accepted)
{
	struct m3ua_asp_cfg acfg = {.traffic_mode = 1, .rk = test_rk};
	struct bed b = {0};
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 2, .dpc = 1, .si = 5, .data = rlc, .data_len = 4};
	uint32_t rc = 0, st = 1;

	b.sg.rkm = 1;
	b.sg.rc_assign = 77;
	bed_start(&b, &acfg);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(N(RKM, REG_REQ), 1);
	ck_assert_uint_eq(b.sg.reg.lrk_id, 11);
	ck_assert_uint_eq(b.sg.reg.dpc, 2);
	ck_assert_uint_eq(b.sg.reg.si, 5);
	ck_assert_uint_eq(b.sg.reg.n_opc, 1);
	ck_assert_uint_eq(b.sg.reg.opc[0], 1);
	ck_assert(b.sg.reg.have_cics);
	ck_assert_uint_eq(b.sg.reg.cic_opc, 1);
	ck_assert_uint_eq(b.sg.reg.cic_first, 1);
	ck_assert_uint_eq(b.sg.reg.cic_last, 31);
	ck_assert_int_eq(m3ua_asp_rk_state(b.asp, &rc, &st), M3UA_RK_REGISTERED);
	ck_assert_uint_eq(rc, 77);
	ck_assert_uint_eq(st, 0);
	/* ASPAC and DATA name the learned routing context */
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert_uint_eq(b.sg.last_ac_rc, 77);
	ck_assert_int_eq(m3ua_asp_transfer(b.asp, &pd), 0);
	unit_loop_run(b.l, 20);
	ck_assert_uint_eq(b.sg.last_data_rc, 77);
	/* 4.4.3: on the way down: ASPIA, DEREG REQ for RC 77, ASPDN */
	m3ua_asp_set_target(b.asp, M3UA_ASP_S_DOWN);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(N(ASPTM, INACTIVE), 1);
	ck_assert_int_eq(N(RKM, DEREG_REQ), 1);
	ck_assert_uint_eq(b.sg.dereg_rc, 77);
	ck_assert_int_eq(N(ASPSM, DOWN), 1);
	ck_assert_int_eq(m3ua_asp_rk_state(b.asp, NULL, NULL), M3UA_RK_DEREGISTERED);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_DOWN);
	/* up again registers again */
	m3ua_asp_set_target(b.asp, M3UA_ASP_S_ACTIVE);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(N(RKM, REG_REQ), 2);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	bed_stop(&b);
}
END_TEST

START_TEST(test_rkm_refused_and_silent)
{
	struct m3ua_asp_cfg acfg = {.rk = test_rk};
	struct bed b = {0};
	uint32_t st = 0;

	b.sg.rkm = 2;
	bed_start(&b, &acfg);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(m3ua_asp_rk_state(b.asp, NULL, &st), M3UA_RK_REFUSED);
	ck_assert_uint_eq(st, M3UA_REG_ERR_PERM_DENIED);
	/* without a routing context, and active all the same */
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	ck_assert_uint_eq(b.sg.last_ac_rc, ~0u);
	/* no DEREG REQ for a key that is not registered */
	m3ua_asp_set_target(b.asp, M3UA_ASP_S_DOWN);
	unit_loop_run(b.l, 50);
	ck_assert_int_eq(N(RKM, DEREG_REQ), 0);
	ck_assert_int_eq(N(ASPSM, DOWN), 1);
	bed_stop(&b);

	/* an SG that never answers REG REQ: T(ack) twice more, then on without */
	memset(&b, 0, sizeof(b));
	bed_start(&b, &acfg);
	unit_loop_run(b.l, 2950);
	ck_assert_int_eq(N(RKM, REG_REQ), 3);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_INACTIVE);
	unit_loop_run(b.l, 100);
	ck_assert_int_eq(m3ua_asp_rk_state(b.asp, NULL, NULL), M3UA_RK_REFUSED);
	ck_assert_int_eq(m3ua_asp_state(b.asp), M3UA_ASP_S_ACTIVE);
	bed_stop(&b);
}
END_TEST

START_TEST(test_rkm_codec)
{
	uint8_t buf[256];
	struct m3ua_msg m, k;
	uint32_t err, id, st, rc;
	int n = m3ua_rkm_reg_req_encode(buf, sizeof(buf), &test_rk, 2);
	const struct m3ua_param *p;

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(m3ua_decode(&m, buf, (size_t)n, &err), 0);
	ck_assert_uint_eq(m.cls, M3UA_CLS_RKM);
	p = m3ua_msg_find(&m, M3UA_IEI_ROUTING_KEY);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(m3ua_decode_nested(&k, p), 0);
	ck_assert_uint_eq(k.nparams, 6);
	ck_assert_int_eq(m3ua_msg_u32(&k, M3UA_IEI_TRAF_MODE_TYPE, &st), 0);
	ck_assert_uint_eq(st, 2);
	ck_assert_ptr_nonnull(m3ua_msg_find(&k, M3UA_IEI_CIRCUIT_RANGE));
	ck_assert_ptr_null(m3ua_msg_find(&k, M3UA_IEI_ROUTE_CTX));
	/* by DPC alone, with the Routing Context asked for: LRK id, RC, DPC,
	 * no SI, OPC or circuits (what osmo-stp takes) */
	{
		struct m3ua_rk dk = {
			.enabled = true, .lrk_id = 3, .dpc = 2, .have_rc = true, .rc = 20};

		n = m3ua_rkm_reg_req_encode(buf, sizeof(buf), &dk, 0);
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(m3ua_decode(&m, buf, (size_t)n, &err), 0);
		p = m3ua_msg_find(&m, M3UA_IEI_ROUTING_KEY);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(m3ua_decode_nested(&k, p), 0);
		ck_assert_uint_eq(k.nparams, 3);
		ck_assert_uint_eq(k.params[0].tag, M3UA_IEI_LOC_RKEY_ID);
		ck_assert_uint_eq(k.params[1].tag, M3UA_IEI_ROUTE_CTX);
		ck_assert_int_eq(m3ua_msg_u32(&k, M3UA_IEI_ROUTE_CTX, &rc), 0);
		ck_assert_uint_eq(rc, 20);
		ck_assert_int_eq(m3ua_msg_u32(&k, M3UA_IEI_DEST_PC, &rc), 0);
		ck_assert_uint_eq(rc, 2);
		ck_assert_ptr_null(m3ua_msg_find(&k, M3UA_IEI_SVC_IND));
	}
	/* too small a buffer */
	ck_assert_int_eq(m3ua_rkm_reg_req_encode(buf, 40, &test_rk, 0), -ENOSPC);

	/* REG RSP whose result is cut short, or lacks the status: -EBADMSG */
	{
		/* Registration Result with a nested length past its end */
		static const uint8_t bad[] = {1, 0,  9,	   2,	 0, 0,	0, 20, 0x02, 0x08,
					      0, 12, 0x02, 0x0a, 0, 12, 0, 0,  0,    11};
		static const uint8_t nost[] = {1, 0,  9,    2,	  0, 0, 0, 20, 0x02, 0x08,
					       0, 12, 0x02, 0x0a, 0, 8, 0, 0,  0,    11};

		ck_assert_int_eq(m3ua_decode(&m, bad, sizeof(bad), &err), 0);
		ck_assert_int_eq(m3ua_rkm_reg_rsp_decode(&m, &id, &st, &rc), -EBADMSG);
		ck_assert_int_eq(m3ua_decode(&m, nost, sizeof(nost), &err), 0);
		ck_assert_int_eq(m3ua_rkm_reg_rsp_decode(&m, &id, &st, &rc), -EBADMSG);
	}
	n = m3ua_rkm_dereg_req_encode(buf, sizeof(buf), 77);
	ck_assert_int_eq(n, 16);
	ck_assert_int_eq(m3ua_decode(&m, buf, (size_t)n, &err), 0);
	ck_assert_int_eq(m3ua_msg_u32(&m, M3UA_IEI_ROUTE_CTX, &rc), 0);
	ck_assert_uint_eq(rc, 77);
	ck_assert_str_eq(m3ua_reg_status_name(M3UA_REG_ERR_PERM_DENIED), "permission denied");
}
END_TEST

/* --- the AS over two associations (RFC 4666 4.3.4.3, 4.3.4.5) --- */

struct two {
	struct loop *l;
	struct sg sg[2];
	struct user u;
	int ups, downs;
	struct m3ua_as *as;
};

static void t_state(void *p, enum m3ua_asp_state st)
{
	struct two *t = p;

	if (st == M3UA_ASP_S_ACTIVE)
		t->ups++;
	else
		t->downs++;
}

static const struct m3ua_asp_ops t_ops = {.state = t_state};

static void two_start(struct two *t, uint32_t tm)
{
	struct m3ua_as_cfg ascfg = {.traffic_mode = tm};

	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 300000};
	t->l = loop_alloc(unit_ctx, NULL);
	t->as = m3ua_as_alloc(unit_ctx, "as1", &ascfg, &t_ops, t);
	ck_assert_ptr_nonnull(t->as);
	for (int i = 0; i < 2; i++) {
		struct m3ua_conn_cfg scfg = {.transport = M3UA_TRANSPORT_TCP, .server = true};
		struct sockaddr_in *a = (struct sockaddr_in *)&scfg.local;
		struct m3ua_asp_cfg acfg = {.ack_ms = 1000};

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		scfg.local_len = sizeof(*a);
		t->sg[i].conn = m3ua_conn_alloc(unit_ctx, t->l, &scfg, &sg_ops, &t->sg[i]);
		ck_assert_ptr_nonnull(t->sg[i].conn);
		ck_assert_int_eq(m3ua_conn_local(t->sg[i].conn, &acfg.conn.remote), 0);
		acfg.conn.remote_len = sizeof(struct sockaddr_in);
		acfg.conn.reconnect_min_ms = 20;
		acfg.conn.reconnect_max_ms = 40;
		ck_assert_ptr_nonnull(m3ua_as_add_asp(t->as, t->l, &acfg));
	}
}

static void two_stop(struct two *t)
{
	m3ua_as_free(t->as);
	for (int i = 0; i < 2; i++)
		m3ua_conn_free(t->sg[i].conn);
	unit_loop_run(t->l, 20);
	loop_free(t->l);
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	osmo_gettimeofday_override = false;
}

#define NS(i, cls, type) t.sg[i].n[M3UA_CLS_##cls][M3UA_##cls##_##type]

START_TEST(test_as_override_failover)
{
	struct two t = {0};
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 2, .dpc = 1, .si = 5, .data = rlc, .data_len = 4};

	two_start(&t, 1);
	unit_loop_run(t.l, 50);
	/* one active, the other standing by */
	ck_assert_int_eq(m3ua_as_state(t.as), M3UA_AS_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_state(m3ua_as_asp(t.as, 0)), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_state(m3ua_as_asp(t.as, 1)), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(NS(1, ASPTM, ACTIVE), 0);
	ck_assert_int_eq(t.ups, 1);
	ck_assert_int_eq(m3ua_as_transfer(t.as, &pd), 0);
	unit_loop_run(t.l, 20);
	ck_assert_int_eq(NS(0, XFER, DATA), 1);

	/* the active association drops; the standby's first ASPAC is lost, so
	 * the AS stays PENDING until T(ack) sends it again (1 s < T(r) 2 s);
	 * what the user sends meanwhile is held, then goes the new way */
	t.sg[1].ignore[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE] = 1;
	m3ua_conn_reset(t.sg[0].conn);
	unit_loop_run(t.l, 100);
	ck_assert_int_eq(m3ua_as_state(t.as), M3UA_AS_S_PENDING);
	ck_assert_int_eq(NS(1, ASPTM, ACTIVE), 1);
	ck_assert_int_eq(m3ua_as_transfer(t.as, &pd), 0);
	ck_assert_int_eq(m3ua_as_transfer(t.as, &pd), 0);
	unit_loop_run(t.l, 1000);
	ck_assert_int_eq(m3ua_as_state(t.as), M3UA_AS_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_state(m3ua_as_asp(t.as, 1)), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(NS(1, XFER, DATA), 2);
	ck_assert_int_eq(NS(0, XFER, DATA), 1);
	ck_assert_int_eq(t.downs, 0); /* the user never saw a pause */
	/* the old one came back and stands by (no fight for the traffic) */
	unit_loop_run(t.l, 500);
	ck_assert_int_eq(m3ua_asp_state(m3ua_as_asp(t.as, 0)), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(m3ua_asp_state(m3ua_as_asp(t.as, 1)), M3UA_ASP_S_ACTIVE);

	/* now no ASP can take over: T(r) expires, the user hears of it */
	t.sg[0].ignore[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE] = 100;
	m3ua_conn_reset(t.sg[1].conn);
	unit_loop_run(t.l, 1900);
	ck_assert_int_eq(m3ua_as_state(t.as), M3UA_AS_S_PENDING);
	ck_assert_int_eq(t.downs, 0);
	unit_loop_run(t.l, 200);
	ck_assert_int_ne(m3ua_as_state(t.as), M3UA_AS_S_PENDING);
	ck_assert_int_ne(m3ua_as_state(t.as), M3UA_AS_S_ACTIVE);
	ck_assert_int_eq(t.downs, 1);
	ck_assert_int_eq(m3ua_as_transfer(t.as, &pd), -ENOTCONN);
	two_stop(&t);
}
END_TEST

START_TEST(test_as_loadshare)
{
	struct two t = {0};
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 2, .dpc = 1, .si = 5, .data = rlc, .data_len = 4};

	two_start(&t, 2);
	unit_loop_run(t.l, 50);
	ck_assert_int_eq(m3ua_asp_state(m3ua_as_asp(t.as, 0)), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_state(m3ua_as_asp(t.as, 1)), M3UA_ASP_S_ACTIVE);
	for (pd.sls = 0; pd.sls < 8; pd.sls++)
		ck_assert_int_eq(m3ua_as_transfer(t.as, &pd), 0);
	/* the same SLS always takes the same ASP */
	pd.sls = 3;
	ck_assert_int_eq(m3ua_as_transfer(t.as, &pd), 0);
	unit_loop_run(t.l, 20);
	ck_assert_int_eq(NS(0, XFER, DATA), 4);
	ck_assert_int_eq(NS(1, XFER, DATA), 5);
	/* one goes: the other carries everything, no PENDING */
	m3ua_conn_reset(t.sg[1].conn);
	unit_loop_run(t.l, 10);
	ck_assert_int_eq(m3ua_as_state(t.as), M3UA_AS_S_ACTIVE);
	for (pd.sls = 0; pd.sls < 4; pd.sls++)
		ck_assert_int_eq(m3ua_as_transfer(t.as, &pd), 0);
	unit_loop_run(t.l, 20);
	ck_assert_int_eq(NS(0, XFER, DATA), 8);
	/* clean stop: every ASP sends ASPIA and ASPDN */
	m3ua_as_stop(t.as);
	unit_loop_run(t.l, 100);
	ck_assert(m3ua_as_settled(t.as));
	ck_assert_int_ge(NS(0, ASPSM, DOWN), 1);
	ck_assert_int_eq(m3ua_as_state(t.as), M3UA_AS_S_DOWN);
	two_stop(&t);
}
END_TEST

/* --- IPSP single exchange over loopback: one IPSP listens (server, it
 * answers), the other connects and sends ASPUP/ASPAC (RFC 4666 4.3, 5.5) --- */

START_TEST(test_ipsp_se)
{
	struct m3ua_asp_cfg scfg = {.role = M3UA_ROLE_IPSP_SERVER, .have_rc = true, .rc = 5};
	struct m3ua_asp_cfg ccfg = {
		.role = M3UA_ROLE_IPSP_CLIENT, .have_rc = true, .rc = 5, .traffic_mode = 1};
	struct sockaddr_in *a = (struct sockaddr_in *)&scfg.conn.local;
	struct user us = {0}, uc = {0};
	struct m3ua_asp *srv, *cli;
	struct loop *l;
	static const uint8_t rlc[] = {1, 0, 0x10, 0};
	struct m3ua_pdata pd = {.opc = 2, .dpc = 1, .si = 5, .data = rlc, .data_len = 4};

	osmo_clock_override_enable(CLOCK_MONOTONIC, true);
	osmo_gettimeofday_override = true;
	osmo_gettimeofday_override_time = (struct timeval){.tv_sec = 400000};
	l = loop_alloc(unit_ctx, NULL);
	scfg.conn.transport = M3UA_TRANSPORT_TCP;
	scfg.conn.server = true;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	scfg.conn.local_len = sizeof(*a);
	scfg.ack_ms = ccfg.ack_ms = 1000;
	srv = m3ua_asp_alloc(unit_ctx, l, &scfg, &u_ops, &us);
	ck_assert_ptr_nonnull(srv);
	/* the server side sends nothing of its own while nobody is there */
	unit_loop_run(l, 3000);
	ck_assert_int_eq(m3ua_asp_state(srv), M3UA_ASP_S_DOWN);
	ck_assert_uint_eq(m3ua_asp_get_stats(srv)->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP], 0);
	ck_assert_int_eq(m3ua_asp_local(srv, &ccfg.conn.remote), 0);
	ccfg.conn.remote_len = sizeof(struct sockaddr_in);
	ccfg.conn.transport = M3UA_TRANSPORT_TCP;
	cli = m3ua_asp_alloc(unit_ctx, l, &ccfg, &u_ops, &uc);
	ck_assert_ptr_nonnull(cli);
	unit_loop_run(l, 50);
	/* the TCP connection and the handshake on a loaded machine: more real
	 * loop passes, the fake clock held (no retransmission may happen) */
	UNIT_LOOP_UNTIL(l,
			m3ua_asp_state(cli) == M3UA_ASP_S_ACTIVE &&
				m3ua_asp_state(srv) == M3UA_ASP_S_ACTIVE,
			0, 20000);
	ck_assert_int_eq(m3ua_asp_state(cli), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_state(srv), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(us.st, M3UA_ASP_S_ACTIVE);
	/* only the client asked: one ASPUP and one ASPAC, all from it */
	ck_assert_uint_eq(m3ua_asp_get_stats(srv)->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP], 0);
	ck_assert_uint_eq(m3ua_asp_get_stats(srv)->tx[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE], 0);
	ck_assert_uint_eq(m3ua_asp_get_stats(cli)->tx[M3UA_CLS_ASPSM][M3UA_ASPSM_UP], 1);
	ck_assert_uint_eq(m3ua_asp_get_stats(srv)->tx[M3UA_CLS_ASPTM][M3UA_ASPTM_ACTIVE_ACK], 1);
	/* DATA both ways */
	ck_assert_int_eq(m3ua_asp_transfer(cli, &pd), 0);
	pd.opc = 1;
	pd.dpc = 2;
	ck_assert_int_eq(m3ua_asp_transfer(srv, &pd), 0);
	unit_loop_run(l, 20);
	ck_assert_int_eq(us.transfers, 1);
	ck_assert_int_eq(uc.transfers, 1);
	/* the client goes inactive, then down: the server follows */
	m3ua_asp_set_target(cli, M3UA_ASP_S_INACTIVE);
	unit_loop_run(l, 20);
	ck_assert_int_eq(m3ua_asp_state(srv), M3UA_ASP_S_INACTIVE);
	ck_assert_int_eq(m3ua_asp_transfer(srv, &pd), -ENOTCONN);
	m3ua_asp_set_target(cli, M3UA_ASP_S_DOWN);
	unit_loop_run(l, 20);
	ck_assert_int_eq(m3ua_asp_state(srv), M3UA_ASP_S_DOWN);
	ck_assert_int_eq(m3ua_asp_state(cli), M3UA_ASP_S_DOWN);
	/* and up again; then the client's association drops: it reconnects */
	m3ua_asp_set_target(cli, M3UA_ASP_S_ACTIVE);
	unit_loop_run(l, 20);
	UNIT_LOOP_UNTIL(l, m3ua_asp_state(srv) == M3UA_ASP_S_ACTIVE, 0, 20000);
	ck_assert_int_eq(m3ua_asp_state(srv), M3UA_ASP_S_ACTIVE);
	m3ua_asp_reset(cli);
	unit_loop_run(l, 20);
	ck_assert_int_eq(m3ua_asp_state(srv), M3UA_ASP_S_DOWN);
	for (int i = 0; i < 100 && m3ua_asp_state(srv) != M3UA_ASP_S_ACTIVE; i++)
		unit_loop_run(l, 10);
	UNIT_LOOP_UNTIL(l,
			m3ua_asp_state(srv) == M3UA_ASP_S_ACTIVE &&
				m3ua_asp_state(cli) == M3UA_ASP_S_ACTIVE,
			0, 20000);
	ck_assert_int_eq(m3ua_asp_state(srv), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_state(cli), M3UA_ASP_S_ACTIVE);
	m3ua_asp_free(cli);
	m3ua_asp_free(srv);
	unit_loop_run(l, 20);
	loop_free(l);
	osmo_clock_override_enable(CLOCK_MONOTONIC, false);
	osmo_gettimeofday_override = false;
}
END_TEST

/* the destination table alone: exact entries, wildcards by mask (RFC 4666
 * 3.4.1), the audit list, and a full table */
START_TEST(test_dest_table)
{
	struct m3ua_dests t = {0};
	struct m3ua_dest *d;
	uint8_t apc[16];

	/* a cluster 0x1200-0x12ff unavailable (mask 8), one member restricted */
	d = m3ua_dests_find(&t, 0x1200, 8, true);
	d->st = M3UA_DEST_UNAVAILABLE;
	d = m3ua_dests_find(&t, 0x1234, 0, true);
	d->st = M3UA_DEST_RESTRICTED;
	ck_assert_ptr_eq(m3ua_dests_find(&t, 0x1234, 0, false), d);
	ck_assert_ptr_null(m3ua_dests_find(&t, 0x1235, 0, false));
	ck_assert_uint_eq(m3ua_dests_lookup(&t, 0x1234)->st, M3UA_DEST_RESTRICTED);
	ck_assert_uint_eq(m3ua_dests_lookup(&t, 0x12ff)->st, M3UA_DEST_UNAVAILABLE);
	ck_assert_ptr_null(m3ua_dests_lookup(&t, 0x1300));
	ck_assert_ptr_null(m3ua_dests_lookup(&t, 0x11ff));
	/* the audit names the unavailable cluster only, with its mask */
	ck_assert_uint_eq(m3ua_dests_audit(&t, apc, sizeof(apc)), 4);
	ck_assert_uint_eq(apc[0], 8);
	ck_assert_uint_eq(rd32(apc) & 0xffffff, 0x1200);
	/* congestion is audited too; the buffer bounds the list */
	m3ua_dests_find(&t, 0x1234, 0, false)->cong = 2;
	ck_assert_uint_eq(m3ua_dests_audit(&t, apc, sizeof(apc)), 8);
	ck_assert_uint_eq(m3ua_dests_audit(&t, apc, 7), 4);
	/* back to available: collected */
	d = m3ua_dests_find(&t, 0x1234, 0, false);
	d->st = M3UA_DEST_AVAILABLE;
	d->cong = 0;
	m3ua_dests_gc(&t);
	ck_assert_uint_eq(t.n, 1);
	/* it grows past its first 64 entries (kept, found again) ... */
	for (uint32_t pc = 1; t.n < 1000; pc++) {
		d = m3ua_dests_find(&t, pc, 0, true);
		ck_assert_ptr_nonnull(d);
		d->st = M3UA_DEST_UNAVAILABLE;
	}
	ck_assert_uint_ge(t.cap, 1000);
	ck_assert_ptr_nonnull(m3ua_dests_find(&t, 900, 0, false));
	ck_assert_uint_eq(m3ua_dests_lookup(&t, 999)->st, M3UA_DEST_UNAVAILABLE);
	ck_assert_uint_eq(t.refused, 0);
	/* ... the audit goes through all of them in pieces ... */
	{
		uint8_t big[4 * 64];
		unsigned pos = 0, pieces = 0;
		size_t n, total = 0;

		while ((n = m3ua_dests_audit_from(&t, &pos, big, sizeof(big))) > 0) {
			total += n;
			pieces++;
		}
		ck_assert_uint_eq(total, 4 * 1000);
		ck_assert_uint_eq(pieces, 16);
	}
	m3ua_dests_free(&t);
	/* ... up to its limit, where one more is refused and counted */
	t.limit = 100;
	for (uint32_t pc = 1; t.n < 100; pc++)
		ck_assert_ptr_nonnull(m3ua_dests_find(&t, pc, 0, true));
	ck_assert_ptr_null(m3ua_dests_find(&t, 0x777, 0, true));
	ck_assert_uint_eq(t.refused, 1);
	ck_assert_ptr_nonnull(m3ua_dests_find(&t, 50, 0, true));
	m3ua_dests_free(&t);
}
END_TEST

Suite *m3ua_proc_suite(void)
{
	Suite *s = suite_create("m3ua_proc");
	TCase *tc = unit_tcase("proc");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_aspia_aspdn);
	tcase_add_test(tc, test_asp_fsm_table);
	tcase_add_test(tc, test_as_fsm_table);
	tcase_add_test(tc, test_sg_initiated);
	tcase_add_test(tc, test_beat);
	tcase_add_test(tc, test_ssnm);
	tcase_add_test(tc, test_rkm_accepted);
	tcase_add_test(tc, test_rkm_refused_and_silent);
	tcase_add_test(tc, test_rkm_codec);
	tcase_add_test(tc, test_as_override_failover);
	tcase_add_test(tc, test_as_loadshare);
	tcase_add_test(tc, test_ipsp_se);
	tcase_add_test(tc, test_dest_table);
	suite_add_tcase(s, tc);
	return s;
}
