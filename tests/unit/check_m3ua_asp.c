/* sigtran/m3ua_asp: the ASP against a small SG of the test's own over
 * loopback TCP: ASPUP/ASPAC with retransmission, DATA both ways, BEAT,
 * DUNA/DAVA kept per destination, association loss and recovery. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "core/loop.h"
#include "sigtran/m3ua_asp.h"
#include "tests/unit/unit.h"

struct sg {
	struct m3ua_conn *conn;
	bool drop_first_up; /* ignore the first ASPUP: the ASP must send it again */
	int ups, acs, datas, beat_acks;
	uint8_t last_rc_seen;
	struct m3ua_pdata last;
	uint8_t last_buf[64];
};

static void sg_send(struct sg *sg, uint8_t cls, uint8_t type)
{
	uint8_t buf[64];
	struct m3ua_enc e;
	int n;

	m3ua_enc_start(&e, buf, sizeof(buf), cls, type);
	n = m3ua_enc_finish(&e);
	m3ua_conn_tx(sg->conn, buf, (size_t)n, 0);
}

static void sg_rx(void *priv, const uint8_t *buf, size_t len, uint16_t stream)
{
	struct sg *sg = priv;
	struct m3ua_msg m;
	uint32_t err, rc = 0;

	(void)stream;
	ck_assert_int_eq(m3ua_decode(&m, buf, len, &err), 0);
	if (m.cls == M3UA_CLS_ASPSM && m.type == M3UA_ASPSM_UP) {
		if (sg->ups++ == 0 && sg->drop_first_up)
			return;
		sg_send(sg, M3UA_CLS_ASPSM, M3UA_ASPSM_UP_ACK);
	} else if (m.cls == M3UA_CLS_ASPTM && m.type == M3UA_ASPTM_ACTIVE) {
		sg->acs++;
		if (m3ua_msg_u32(&m, M3UA_IEI_ROUTE_CTX, &rc) == 0 && rc == 7)
			sg->last_rc_seen = 1;
		sg_send(sg, M3UA_CLS_ASPTM, M3UA_ASPTM_ACTIVE_ACK);
		{
			/* NTFY AS-ACTIVE (status type 1, info 3) */
			uint8_t buf[32];
			struct m3ua_enc e;
			int n;

			m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_MGMT, M3UA_MGMT_NTFY);
			m3ua_enc_u32(&e, M3UA_IEI_STATUS, (1u << 16) | 3);
			n = m3ua_enc_finish(&e);
			m3ua_conn_tx(sg->conn, buf, (size_t)n, 0);
		}
	} else if (m.cls == M3UA_CLS_XFER) {
		const struct m3ua_param *p = m3ua_msg_find(&m, M3UA_IEI_PROT_DATA);

		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(m3ua_pdata_decode(&sg->last, p), 0);
		memcpy(sg->last_buf, sg->last.data, sg->last.data_len);
		sg->datas++;
	} else if (m.cls == M3UA_CLS_ASPSM && m.type == M3UA_ASPSM_BEAT_ACK) {
		sg->beat_acks++;
	}
}

static const struct m3ua_conn_ops sg_ops = {.rx = sg_rx};

struct user {
	enum m3ua_asp_state st;
	int transfers, pauses, resumes, downs;
	struct m3ua_pdata last;
	uint8_t buf[64];
};

static void u_state(void *p, enum m3ua_asp_state st)
{
	struct user *u = p;

	if (st == M3UA_ASP_S_DOWN && u->st == M3UA_ASP_S_ACTIVE)
		u->downs++;
	u->st = st;
}

static void u_transfer(void *p, const struct m3ua_pdata *pd)
{
	struct user *u = p;

	u->transfers++;
	u->last = *pd;
	memcpy(u->buf, pd->data, pd->data_len < sizeof(u->buf) ? pd->data_len : sizeof(u->buf));
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

static const struct m3ua_asp_ops u_ops = {
	.state = u_state, .transfer = u_transfer, .pause = u_pause, .resume = u_resume};

static void noop(void *p)
{
	(void)p;
}

static void turn(struct loop *l, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct loop_timer g;

	loop_timer_init(&g, noop, NULL);
	while (loop_now_ns() < end) {
		loop_timer_schedule(l, &g, 5000);
		loop_run_once(l);
	}
	loop_timer_cancel(l, &g);
}

START_TEST(test_asp_up_active_data_ssnm)
{
	struct loop_cfg lc = {.drive_osmocom = true};
	struct loop *l = loop_alloc(unit_ctx, &lc);
	struct m3ua_conn_cfg scfg = {.transport = M3UA_TRANSPORT_TCP, .server = true};
	struct sockaddr_in *a = (struct sockaddr_in *)&scfg.local;
	struct sg sg = {.drop_first_up = true};
	struct user u = {0};
	struct m3ua_asp_cfg acfg = {.have_rc = true, .rc = 7, .traffic_mode = 1, .ack_ms = 200};
	struct m3ua_asp *asp;
	static const uint8_t isup_rlc[] = {0x01, 0x00, 0x10, 0x00}; /* CIC 1, RLC */
	struct m3ua_pdata pd = {.opc = 100,
				.dpc = 200,
				.si = 5,
				.ni = 2,
				.sls = 3,
				.data = isup_rlc,
				.data_len = sizeof(isup_rlc)};

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	scfg.local_len = sizeof(*a);
	sg.conn = m3ua_conn_alloc(unit_ctx, l, &scfg, &sg_ops, &sg);
	ck_assert_ptr_nonnull(sg.conn);
	ck_assert_int_eq(m3ua_conn_local(sg.conn, &acfg.conn.remote), 0);
	acfg.conn.remote_len = sizeof(struct sockaddr_in);
	acfg.conn.transport = M3UA_TRANSPORT_TCP;
	asp = m3ua_asp_alloc(unit_ctx, l, &acfg, &u_ops, &u);
	ck_assert_ptr_nonnull(asp);
	ck_assert_int_eq(m3ua_asp_transfer(asp, &pd), -ENOTCONN);

	/* the first ASPUP is lost: T(ack) sends it again */
	turn(l, 600);
	ck_assert_int_eq(sg.ups, 2);
	ck_assert_int_eq(sg.acs, 1);
	ck_assert_int_eq(sg.last_rc_seen, 1);
	ck_assert_int_eq(m3ua_asp_state(asp), M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(u.st, M3UA_ASP_S_ACTIVE);
	ck_assert_int_eq(m3ua_asp_as_state(asp), M3UA_AS_ACTIVE);

	/* DATA both ways */
	ck_assert_int_eq(m3ua_asp_transfer(asp, &pd), 0);
	{
		uint8_t buf[64];
		struct m3ua_enc e;
		struct m3ua_pdata in = {.opc = 200,
					.dpc = 100,
					.si = 5,
					.ni = 2,
					.sls = 9,
					.data = isup_rlc,
					.data_len = sizeof(isup_rlc)};
		int n;

		m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
		m3ua_enc_pdata(&e, &in);
		n = m3ua_enc_finish(&e);
		m3ua_conn_tx(sg.conn, buf, (size_t)n, 1);
		/* BEAT gets its data echoed */
		m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT);
		m3ua_enc_param(&e, M3UA_IEI_HEARDBT_DATA, "ping", 4);
		n = m3ua_enc_finish(&e);
		m3ua_conn_tx(sg.conn, buf, (size_t)n, 0);
	}
	turn(l, 100);
	ck_assert_int_eq(sg.datas, 1);
	ck_assert_uint_eq(sg.last.opc, 100);
	ck_assert_uint_eq(sg.last.dpc, 200);
	ck_assert_uint_eq(sg.last.si, 5);
	ck_assert(!memcmp(sg.last_buf, isup_rlc, sizeof(isup_rlc)));
	ck_assert_int_eq(u.transfers, 1);
	ck_assert_uint_eq(u.last.opc, 200);
	ck_assert_uint_eq(u.last.sls, 9);
	ck_assert_int_eq(sg.beat_acks, 1);

	/* DUNA for 200: paused and refused; DAVA: resumed */
	{
		uint8_t buf[64], apc[4] = {0, 0, 0, 200};
		struct m3ua_enc e;
		int n;

		m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_SSNM, M3UA_SSNM_DUNA);
		m3ua_enc_param(&e, M3UA_IEI_AFFECTED_PC, apc, 4);
		n = m3ua_enc_finish(&e);
		m3ua_conn_tx(sg.conn, buf, (size_t)n, 0);
		turn(l, 50);
		ck_assert_int_eq(u.pauses, 1);
		ck_assert(!m3ua_asp_dest_available(asp, 200));
		ck_assert_int_eq(m3ua_asp_transfer(asp, &pd), -EHOSTUNREACH);
		m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_SSNM, M3UA_SSNM_DAVA);
		m3ua_enc_param(&e, M3UA_IEI_AFFECTED_PC, apc, 4);
		n = m3ua_enc_finish(&e);
		m3ua_conn_tx(sg.conn, buf, (size_t)n, 0);
		turn(l, 50);
		ck_assert_int_eq(u.resumes, 1);
		ck_assert_int_eq(m3ua_asp_transfer(asp, &pd), 0);
	}

	/* the SG drops the association: the ASP goes down and comes back */
	m3ua_conn_reset(sg.conn);
	turn(l, 100);
	ck_assert_int_eq(u.downs, 1);
	turn(l, 1500);
	ck_assert_int_eq(m3ua_asp_state(asp), M3UA_ASP_S_ACTIVE);
	ck_assert_int_ge(sg.ups, 3);

	m3ua_asp_free(asp);
	m3ua_conn_free(sg.conn);
	turn(l, 20);
	loop_free(l);
}
END_TEST

Suite *m3ua_asp_suite(void)
{
	Suite *s = suite_create("m3ua_asp");
	TCase *tc = unit_tcase("asp");

	tcase_add_test(tc, test_asp_up_active_data_ssnm);
	suite_add_tcase(s, tc);
	return s;
}
