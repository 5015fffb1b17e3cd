/* sigtran/m3ua_sctp: the parts that need no SCTP socket (stream choice by
 * class and SLS, RFC 4666 1.4.7; the stream check of 3.8.1; SCTP_SNDRCV /
 * SCTP_RCVINFO control data; what a received record is; the packed address
 * list for multi-homing), and, on a kernel with SCTP only, two associations
 * over loopback. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <string.h>

#include "core/loop.h"
#include "sigtran/m3ua_conn.h"
#include "sigtran/m3ua_msg.h"
#include "sigtran/m3ua_sctp.h"
#include "tests/unit/unit.h"

START_TEST(test_stream_select)
{
	static const uint8_t mgmt[] = {M3UA_CLS_MGMT, M3UA_CLS_ASPSM, M3UA_CLS_ASPTM, M3UA_CLS_RKM};
	unsigned hits[17] = {0};

	/* management on stream 0 whatever the SLS */
	for (unsigned i = 0; i < sizeof(mgmt); i++)
		for (unsigned sls = 0; sls < 256; sls += 17)
			ck_assert_uint_eq(m3ua_sctp_stream(mgmt[i], (uint8_t)sls, 17, true), 0);
	/* DATA: (SLS mod 16) + 1 over 17 streams; every data stream used,
	 * never 0, one SLS always on the same stream */
	for (unsigned sls = 0; sls < 256; sls++) {
		uint16_t st = m3ua_sctp_stream(M3UA_CLS_XFER, (uint8_t)sls, 17, false);

		ck_assert_uint_ge(st, 1);
		ck_assert_uint_le(st, 16);
		ck_assert_uint_eq(st, 1 + sls % 16);
		hits[st]++;
	}
	for (unsigned i = 1; i < 17; i++)
		ck_assert_uint_eq(hits[i], 16);
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_XFER, 0, 17, false), 1);
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_XFER, 15, 17, false), 16);
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_XFER, 16, 17, false), 1);
	/* the peer granted fewer streams: DATA folds onto those */
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_XFER, 9, 4, false), 1);
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_XFER, 10, 4, false), 2);
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_XFER, 200, 2, false), 1);
	/* one stream (or not known yet): everything on 0 */
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_XFER, 200, 1, false), 0);
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_XFER, 7, 0, false), 0);
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_SSNM, 0, 1, true), 0);
	/* SSNM: stream 0 unless configured onto the data streams */
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_SSNM, 5, 17, false), 0);
	ck_assert_uint_eq(m3ua_sctp_stream(M3UA_CLS_SSNM, 5, 17, true), 1);
}
END_TEST

START_TEST(test_stream_ok)
{
	ck_assert(m3ua_sctp_stream_ok(M3UA_CLS_MGMT, 0));
	ck_assert(!m3ua_sctp_stream_ok(M3UA_CLS_MGMT, 3));
	ck_assert(m3ua_sctp_stream_ok(M3UA_CLS_ASPSM, 0));
	ck_assert(!m3ua_sctp_stream_ok(M3UA_CLS_ASPSM, 1));
	ck_assert(m3ua_sctp_stream_ok(M3UA_CLS_XFER, 5));
	ck_assert(m3ua_sctp_stream_ok(M3UA_CLS_XFER, 0));
	ck_assert(m3ua_sctp_stream_ok(M3UA_CLS_SSNM, 1));
}
END_TEST

START_TEST(test_cmsg)
{
	union {
		struct cmsghdr h;
		uint8_t b[256];
	} u;
	struct cmsghdr *cm = &u.h;
	struct sctp_sndrcvinfo si;
	struct sctp_rcvinfo ri;
	uint16_t stream = 0xffff;
	uint32_t ppid = 0;
	int n;

	/* sendmsg's control data: one SCTP_SNDRCV, PPID in network order */
	memset(u.b, 0xee, sizeof(u.b));
	n = m3ua_sctp_cmsg_build(u.b, sizeof(u.b), 7, M3UA_SCTP_PPID);
	ck_assert_int_eq(n, (int)CMSG_SPACE(sizeof(si)));
	ck_assert_int_eq(cm->cmsg_level, IPPROTO_SCTP);
	ck_assert_int_eq(cm->cmsg_type, SCTP_SNDRCV);
	ck_assert_uint_eq(cm->cmsg_len, CMSG_LEN(sizeof(si)));
	memcpy(&si, CMSG_DATA(cm), sizeof(si));
	ck_assert_uint_eq(si.sinfo_stream, 7);
	ck_assert_uint_eq(si.sinfo_flags, 0);
	ck_assert_mem_eq(&si.sinfo_ppid, "\0\0\0\3", 4);
	ck_assert_int_eq(m3ua_sctp_cmsg_parse(u.b, (size_t)n, &stream, &ppid), 0);
	ck_assert_uint_eq(stream, 7);
	ck_assert_uint_eq(ppid, 3);
	ck_assert_int_eq(m3ua_sctp_cmsg_build(u.b, CMSG_SPACE(sizeof(si)) - 1, 1, 3), -ENOSPC);

	/* none, or cut short: nothing is taken from it */
	stream = 0xffff;
	ck_assert_int_eq(m3ua_sctp_cmsg_parse(u.b, 0, &stream, &ppid), -ENOENT);
	ck_assert_int_eq(m3ua_sctp_cmsg_parse(u.b, CMSG_LEN(4), &stream, &ppid), -ENOENT);
	cm->cmsg_len = CMSG_LEN(sizeof(si) - 4);
	ck_assert_int_eq(m3ua_sctp_cmsg_parse(u.b, (size_t)n, &stream, &ppid), -ENOENT);
	ck_assert_uint_eq(stream, 0xffff);

	/* SCTP_RCVINFO after another level's cmsg */
	memset(u.b, 0, sizeof(u.b));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	{
		struct msghdr mh = {.msg_control = u.b, .msg_controllen = sizeof(u.b)};
		struct cmsghdr *c2 = CMSG_NXTHDR(&mh, cm);

		ck_assert_ptr_nonnull(c2);
		memset(&ri, 0, sizeof(ri));
		ri.rcv_sid = 12;
		ri.rcv_ppid = htonl(3);
		c2->cmsg_level = IPPROTO_SCTP;
		c2->cmsg_type = SCTP_RCVINFO;
		c2->cmsg_len = CMSG_LEN(sizeof(ri));
		memcpy(CMSG_DATA(c2), &ri, sizeof(ri));
		n = (int)(CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(ri)));
	}
	ck_assert_int_eq(m3ua_sctp_cmsg_parse(u.b, (size_t)n, &stream, &ppid), 0);
	ck_assert_uint_eq(stream, 12);
	ck_assert_uint_eq(ppid, 3);
}
END_TEST

START_TEST(test_rx_check)
{
	/* ASPUP ACK: version 1, class 3, type 4, length 8 */
	static const uint8_t ack[] = {1, 0, 3, 4, 0, 0, 0, 8};
	static const uint8_t says16[] = {1, 0, 3, 4, 0, 0, 0, 16};
	uint8_t longer[12] = {1, 0, 3, 4, 0, 0, 0, 8, 0, 0, 0, 0};

	ck_assert_int_eq(m3ua_sctp_rx_check(ack, sizeof(ack), MSG_EOR, 3), 0);
	ck_assert_int_eq(m3ua_sctp_rx_check(ack, sizeof(ack), MSG_EOR, 0), 0);
	ck_assert_int_eq(m3ua_sctp_rx_check(ack, sizeof(ack), MSG_EOR, 46), -EPROTO);
	/* no MSG_EOR: cut short unless the header says it is all there */
	ck_assert_int_eq(m3ua_sctp_rx_check(ack, sizeof(ack), 0, 3), 0);
	ck_assert_int_eq(m3ua_sctp_rx_check(says16, sizeof(says16), 0, 3), -EMSGSIZE);
	ck_assert_int_eq(m3ua_sctp_rx_check(ack, 4, 0, 3), -EMSGSIZE);
	ck_assert_int_eq(m3ua_sctp_rx_check(ack, sizeof(ack), MSG_EOR | MSG_NOTIFICATION, 0),
			 -ENOMSG);
	/* the header's length and the record's must agree */
	ck_assert_int_eq(m3ua_sctp_rx_check(says16, sizeof(says16), MSG_EOR, 3), -EBADMSG);
	ck_assert_int_eq(m3ua_sctp_rx_check(longer, sizeof(longer), MSG_EOR, 3), -EBADMSG);
	ck_assert_int_eq(m3ua_sctp_rx_check(ack, 5, MSG_EOR, 3), -EBADMSG);
	ck_assert_int_eq(m3ua_sctp_rx_check(ack, 0, MSG_EOR, 3), -EBADMSG);
}
END_TEST

START_TEST(test_pack_addrs)
{
	struct sockaddr_storage a[3];
	struct sockaddr_in *v4 = (struct sockaddr_in *)&a[0];
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a[1];
	uint8_t out[128];
	int n;

	memset(a, 0, sizeof(a));
	v4->sin_family = AF_INET;
	v4->sin_port = htons(2905);
	v4->sin_addr.s_addr = htonl(0x7f000001);
	v6->sin6_family = AF_INET6;
	v6->sin6_port = htons(2905);
	v6->sin6_addr = in6addr_loopback;
	n = m3ua_sctp_pack_addrs(a, 2, out, sizeof(out));
	ck_assert_int_eq(n, (int)(sizeof(struct sockaddr_in) + sizeof(struct sockaddr_in6)));
	ck_assert_mem_eq(out, v4, sizeof(*v4));
	ck_assert_mem_eq(out + sizeof(*v4), v6, sizeof(*v6));
	ck_assert_int_eq(m3ua_sctp_pack_addrs(a, 2, out, sizeof(*v4) + sizeof(*v6) - 1), -ENOSPC);
	a[2].ss_family = AF_UNIX;
	ck_assert_int_eq(m3ua_sctp_pack_addrs(a, 3, out, sizeof(out)), -EAFNOSUPPORT);
	ck_assert_int_eq(m3ua_sctp_pack_addrs(a, 0, out, sizeof(out)), 0);
}
END_TEST

/* On a kernel with SCTP: a server and a client association over loopback,
 * DATA on the stream its SLS names, management on 0. Without SCTP, the
 * client cannot be made (the start-up check's case). */
struct peer {
	int up, msgs;
	uint16_t last_stream;
	uint8_t last_cls;
};

static void p_up(void *priv)
{
	((struct peer *)priv)->up++;
}

static void p_rx(void *priv, const uint8_t *msg, size_t len, uint16_t stream)
{
	struct peer *p = priv;

	(void)len;
	p->msgs++;
	p->last_stream = stream;
	p->last_cls = msg[2];
}

static const struct m3ua_conn_ops p_ops = {.up = p_up, .rx = p_rx};

/* RFC 4960 6.3.1: RTO.Min <= RTO.Initial <= RTO.Max; 0 is "the kernel's" */
START_TEST(test_params_check)
{
	struct m3ua_sctp_params p = {0};
	char why[160] = "";

	ck_assert(!m3ua_sctp_params_any(&p));
	ck_assert_int_eq(m3ua_sctp_params_check(&p, why, sizeof(why)), 0);
	p = (struct m3ua_sctp_params){.rto_initial_ms = 300, .rto_min_ms = 100, .rto_max_ms = 400};
	ck_assert(m3ua_sctp_params_any(&p));
	ck_assert_int_eq(m3ua_sctp_params_check(&p, why, sizeof(why)), 0);
	p.rto_min_ms = 500;
	ck_assert_int_eq(m3ua_sctp_params_check(&p, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "RTO min 500 ms is above RTO max 400 ms");
	p.rto_min_ms = 350;
	ck_assert_int_eq(m3ua_sctp_params_check(&p, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "RTO initial 300 ms is below RTO min 350 ms");
	p = (struct m3ua_sctp_params){.rto_initial_ms = 500, .rto_max_ms = 400};
	ck_assert_int_eq(m3ua_sctp_params_check(&p, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "RTO initial 500 ms is above RTO max 400 ms");
	p = (struct m3ua_sctp_params){.streams = 1};
	ck_assert_int_eq(m3ua_sctp_params_check(&p, why, sizeof(why)), -EINVAL);
	p = (struct m3ua_sctp_params){.hb_off = true};
	ck_assert(m3ua_sctp_params_any(&p));
	ck_assert_int_eq(m3ua_sctp_params_check(&p, why, sizeof(why)), 0);
	p.hb_interval_ms = 100;
	ck_assert_int_eq(m3ua_sctp_params_check(&p, why, sizeof(why)), -EINVAL);
}
END_TEST

/* path and association changes in words for the log; others not */
START_TEST(test_notification_str)
{
	struct sctp_paddr_change pc;
	struct sctp_assoc_change ac;
	struct sctp_send_failed sf;
	struct sockaddr_in *a = (struct sockaddr_in *)&pc.spc_aaddr;
	char out[128];

	memset(&pc, 0, sizeof(pc));
	pc.spc_type = SCTP_PEER_ADDR_CHANGE;
	pc.spc_length = sizeof(pc);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(0x7f000002);
	pc.spc_state = SCTP_ADDR_UNREACHABLE;
	ck_assert_int_eq(
		m3ua_sctp_notification_str((const uint8_t *)&pc, sizeof(pc), out, sizeof(out)), 0);
	ck_assert_str_eq(out, "path 127.0.0.2 unreachable (error 0)");
	pc.spc_state = SCTP_ADDR_POTENTIALLY_FAILED;
	a->sin_port = htons(2905);
	m3ua_sctp_notification_str((const uint8_t *)&pc, sizeof(pc), out, sizeof(out));
	ck_assert_str_eq(out, "path 127.0.0.2 port 2905 potentially-failed (error 0)");
	pc.spc_state = 77;
	m3ua_sctp_notification_str((const uint8_t *)&pc, sizeof(pc), out, sizeof(out));
	ck_assert_str_eq(out, "path 127.0.0.2 port 2905 ? (error 0)");
	/* cut short: not read past its end */
	ck_assert_int_eq(m3ua_sctp_notification_str((const uint8_t *)&pc, 12, out, sizeof(out)),
			 -ENOENT);
	memset(&ac, 0, sizeof(ac));
	ac.sac_type = SCTP_ASSOC_CHANGE;
	ac.sac_state = SCTP_COMM_LOST;
	ac.sac_outbound_streams = 17;
	ac.sac_inbound_streams = 5;
	ck_assert_int_eq(
		m3ua_sctp_notification_str((const uint8_t *)&ac, sizeof(ac), out, sizeof(out)), 0);
	ck_assert_str_eq(out, "association lost (streams out 17 in 5, error 0)");
	memset(&sf, 0, sizeof(sf));
	sf.ssf_type = SCTP_SEND_FAILED;
	ck_assert_int_eq(
		m3ua_sctp_notification_str((const uint8_t *)&sf, sizeof(sf), out, sizeof(out)),
		-ENOENT);
	ck_assert_int_eq(m3ua_sctp_notification_str((const uint8_t *)&sf, 3, out, sizeof(out)),
			 -ENOENT);
}
END_TEST

static void noop(void *p)
{
	(void)p;
}

/* one loop turn, never longer than 2 ms */
static void turn(struct loop *l)
{
	struct loop_timer g;

	loop_timer_init(&g, noop, NULL);
	loop_timer_schedule(l, &g, 2000);
	loop_run_once(l);
	loop_timer_cancel(l, &g);
}

START_TEST(test_sctp_loopback)
{
	struct m3ua_conn_cfg scfg = {.transport = M3UA_TRANSPORT_SCTP, .server = true};
	struct m3ua_conn_cfg ccfg = {.transport = M3UA_TRANSPORT_SCTP,
				     .sctp = {.rto_initial_ms = 300,
					      .rto_min_ms = 100,
					      .rto_max_ms = 400,
					      .hb_interval_ms = 700,
					      .path_max_retrans = 3,
					      .assoc_max_retrans = 6,
					      .init_max_attempts = 4,
					      .init_max_timeo_ms = 900,
					      .streams = 5}};
	struct m3ua_sctp_info si;
	struct sockaddr_in *a = (struct sockaddr_in *)&scfg.local;
	struct peer ps = {0}, pc = {0};
	struct m3ua_conn *srv, *cli;
	struct loop *l;
	uint8_t buf[64];
	struct m3ua_enc e;
	char why[256];
	int n;

	l = loop_alloc(unit_ctx, NULL);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	scfg.local_len = sizeof(*a);
	if (m3ua_sctp_probe(why, sizeof(why)) < 0) {
		ck_assert_ptr_null(m3ua_conn_alloc(unit_ctx, l, &scfg, &p_ops, &ps));
		loop_free(l);
		unit_skip("%s; only the refusal is checked", why);
	}
	srv = m3ua_conn_alloc(unit_ctx, l, &scfg, &p_ops, &ps);
	ck_assert_ptr_nonnull(srv);
	ck_assert_int_eq(m3ua_conn_local(srv, &ccfg.remote), 0);
	ccfg.remote_len = sizeof(struct sockaddr_in);
	cli = m3ua_conn_alloc(unit_ctx, l, &ccfg, &p_ops, &pc);
	ck_assert_ptr_nonnull(cli);
	for (int i = 0; i < 200 && !(ps.up && pc.up); i++)
		turn(l);
	ck_assert(ps.up && pc.up);
	/* the client's parameters, as the kernel reports them back */
	ck_assert_int_eq(m3ua_conn_sctp_info(cli, &si), 0);
	ck_assert_uint_eq(si.rto_initial_ms, 300);
	ck_assert_uint_eq(si.rto_min_ms, 100);
	ck_assert_uint_eq(si.rto_max_ms, 400);
	ck_assert_uint_eq(si.hb_interval_ms, 700);
	ck_assert(si.hb_on);
	ck_assert_uint_eq(si.path_max_retrans, 3);
	ck_assert_uint_eq(si.assoc_max_retrans, 6);
	ck_assert_uint_eq(si.init_max_attempts, 4);
	ck_assert_uint_eq(si.init_max_timeo_ms, 900);
	ck_assert_uint_eq(si.n_out, 5);
	ck_assert_uint_eq(si.n_in, 5);
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_ASPSM, M3UA_ASPSM_UP);
	n = m3ua_enc_finish(&e);
	ck_assert_int_eq(m3ua_conn_tx(cli, buf, (size_t)n, 0), 0);
	for (int i = 0; i < 200 && ps.msgs < 1; i++)
		turn(l);
	ck_assert_int_eq(ps.msgs, 1);
	ck_assert_uint_eq(ps.last_stream, 0);
	m3ua_enc_start(&e, buf, sizeof(buf), M3UA_CLS_XFER, M3UA_XFER_DATA);
	n = m3ua_enc_finish(&e);
	ck_assert_int_eq(m3ua_conn_tx(cli, buf, (size_t)n, 1 + 5), 0);
	for (int i = 0; i < 200 && ps.msgs < 2; i++)
		turn(l);
	ck_assert_int_eq(ps.msgs, 2);
	ck_assert_uint_eq(ps.last_cls, M3UA_CLS_XFER);
	/* five streams: DATA on 1 + SLS mod 4 */
	ck_assert_uint_eq(ps.last_stream, 2);
	m3ua_conn_free(cli);
	m3ua_conn_free(srv);
	for (int i = 0; i < 20; i++)
		turn(l);
	loop_free(l);
}
END_TEST

Suite *m3ua_sctp_suite(void)
{
	Suite *s = suite_create("m3ua_sctp");
	TCase *tc = unit_tcase("sctp");

	tcase_add_test(tc, test_stream_select);
	tcase_add_test(tc, test_stream_ok);
	tcase_add_test(tc, test_cmsg);
	tcase_add_test(tc, test_rx_check);
	tcase_add_test(tc, test_pack_addrs);
	tcase_add_test(tc, test_params_check);
	tcase_add_test(tc, test_notification_str);
	tcase_add_test(tc, test_sctp_loopback);
	suite_add_tcase(s, tc);
	return s;
}
