/* isdn/isdn_pri: two PRI spans back to back on the test's loop (span 10
 * the network side, span 11 the user side, EuroISDN E1), frames handed
 * across by the test: Q.921 up, RESTART of every B channel, a call with
 * CALL PROCEEDING / ALERTING (in-band) / CONNECT / DISCONNECT through the
 * call API both ways, a refused SETUP, the D channel lost (a call up with
 * T309 off: released at once) and back; SERVICE
 * on two T1 NI-2 spans. */
#include <errno.h>
#include <string.h>

#include "core/loop.h"
#include "isdn/isdn_pri.h"
#include "tests/unit/unit.h"

#define QN 256

struct frame {
	unsigned to;
	size_t len;
	uint8_t b[300];
};

static struct frame q[QN];
static unsigned qh, qt;
static bool cut; /* the line is cut: frames are lost */

struct side {
	unsigned up, down, setups, proceeding, alerting, inband, connect, released;
	uint8_t cause;
	struct isdn_call *call;
	struct isdn_setup_info si;
	int refuse; /* cause for the next SETUP, 0: take it */
};

static struct side net, usr;

static struct side *side_of(unsigned span)
{
	return span == 10 ? &net : &usr;
}

static int tx(void *priv, unsigned span, const uint8_t *f, size_t len)
{
	(void)priv;
	if (cut || (qt + 1) % QN == qh || len > sizeof(q[0].b))
		return 0;
	q[qt].to = span == 10 ? 11 : 10;
	q[qt].len = len;
	memcpy(q[qt].b, f, len);
	qt = (qt + 1) % QN;
	return 0;
}

static int tx_drop(void *priv, unsigned span, const uint8_t *f, size_t len)
{
	(void)priv;
	(void)span;
	(void)f;
	(void)len;
	return 0;
}

static int on_setup(void *priv, struct isdn_call *c, const struct isdn_setup_info *si)
{
	struct side *s = side_of(isdn_call_span(c));

	(void)priv;
	s->setups++;
	s->si = *si;
	if (s->refuse)
		return s->refuse;
	s->call = c;
	return 0;
}

static void on_proceeding(void *priv, struct isdn_call *c)
{
	(void)priv;
	side_of(isdn_call_span(c))->proceeding++;
}

static void on_alerting(void *priv, struct isdn_call *c, bool inband)
{
	struct side *s = side_of(isdn_call_span(c));

	(void)priv;
	s->alerting++;
	s->inband += inband;
}

static void on_connect(void *priv, struct isdn_call *c)
{
	(void)priv;
	side_of(isdn_call_span(c))->connect++;
}

static void on_released(void *priv, struct isdn_call *c, uint8_t cause)
{
	struct side *s = side_of(isdn_call_span(c));

	(void)priv;
	s->released++;
	s->cause = cause;
	if (s->call == c)
		s->call = NULL;
}

static void on_dchan(void *priv, struct isdn_span *sp, bool up)
{
	struct isdn_span_info si;
	struct side *s;

	(void)priv;
	isdn_span_info(sp, &si);
	s = side_of(si.id);
	if (up)
		s->up++;
	else
		s->down++;
}

static const struct isdn_call_ops ops = {
	.setup = on_setup,
	.proceeding = on_proceeding,
	.alerting = on_alerting,
	.connect = on_connect,
	.released = on_released,
	.dchan = on_dchan,
};

static void noop(void *p)
{
	(void)p;
}

/* Hand the queued frames across and run the loop's timers for ms. */
static void pump(struct loop *l, unsigned ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;
	struct loop_timer g;

	loop_timer_init(&g, noop, NULL);
	do {
		while (qh != qt) {
			struct frame f = q[qh];

			qh = (qh + 1) % QN;
			isdn_span_rx(isdn_span_find(f.to), f.b, f.len);
		}
		loop_timer_schedule(l, &g, 1000);
		loop_run_once(l);
	} while (loop_now_ns() < end);
	loop_timer_cancel(l, &g);
}

static unsigned idle(unsigned span)
{
	struct isdn_span_info si;
	unsigned n = 0;

	isdn_span_info(isdn_span_find(span), &si);
	for (unsigned i = 0; i < ISDN_MAX_CHAN; i++)
		n += si.ch[i] == ISDN_CH_IDLE;
	return n;
}

START_TEST(test_back_to_back)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct isdn_span_cfg a = {.id = 10,
				  .network = true,
				  .sw = ISDN_SW_EUROISDN,
				  .dchan_ts = 16,
				  .restart_on_up = true,
				  .tx = tx};
	struct isdn_span_cfg b = {.id = 11, .sw = ISDN_SW_EUROISDN, .dchan_ts = 16, .tx = tx};
	struct isdn_span *sa, *sb;
	struct isdn_span_info ia;
	struct isdn_call *out;
	uint8_t cause = 0;

	memset(&net, 0, sizeof(net));
	memset(&usr, 0, sizeof(usr));
	qh = qt = 0;
	cut = false;
	ck_assert_int_eq(isdn_init(l, &ops, NULL), 0);
	sa = isdn_span_create(unit_ctx, &a);
	sb = isdn_span_create(unit_ctx, &b);
	ck_assert_ptr_nonnull(sa);
	ck_assert_ptr_nonnull(sb);
	ck_assert_ptr_null(isdn_span_create(unit_ctx, &a)); /* the same span twice */
	pump(l, 300);
	ck_assert_uint_eq(net.up, 1);
	ck_assert_uint_eq(usr.up, 1);
	/* RESTART of the 30 B channels, one at a time, all acknowledged */
	isdn_span_info(sa, &ia);
	ck_assert_uint_eq(ia.restarts_sent, 30);
	ck_assert_uint_eq(ia.restart_acks, 30);
	ck_assert_uint_eq(idle(10), 30);
	ck_assert_int_eq(isdn_span_restart(sa, 16), -EINVAL);

	/* user -> network: SETUP, CALL PROCEEDING, ALERTING with in-band
	 * information, CONNECT, then DISCONNECT 16 from the user */
	out = isdn_call_place(sb, 0, "4930123", 0x21, "4989111", 0x21, 0x23, &cause);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(isdn_call_channel(out), 1);
	pump(l, 100);
	ck_assert_uint_eq(net.setups, 1);
	ck_assert_str_eq(net.si.called, "4930123");
	ck_assert_str_eq(net.si.calling, "4989111");
	ck_assert_int_eq(net.si.channel, 1);
	ck_assert_uint_eq(net.si.called_plan, 0x21);
	/* presentation restricted, network provided: octet 3a as sent */
	ck_assert_uint_eq(net.si.calling_pres, 0x23);
	ck_assert(net.si.complete);
	ck_assert_ptr_nonnull(net.call);
	ck_assert_int_eq(isdn_call_proceeding(net.call), 0);
	pump(l, 50);
	ck_assert_uint_eq(usr.proceeding, 1);
	ck_assert_int_eq(isdn_call_alerting(net.call, true), 0);
	pump(l, 50);
	ck_assert_uint_eq(usr.alerting, 1);
	ck_assert_uint_eq(usr.inband, 1);
	ck_assert_int_eq(isdn_call_answer(net.call), 0);
	pump(l, 50);
	ck_assert_uint_eq(usr.connect, 1);
	ck_assert_uint_eq(idle(10), 29);
	ck_assert_int_eq(isdn_call_release(out, 16), 0);
	pump(l, 100);
	ck_assert_uint_eq(net.released, 1);
	ck_assert_uint_eq(net.cause, 16);
	ck_assert_uint_eq(usr.released, 0); /* it released itself: no event */
	ck_assert_uint_eq(idle(10), 30);
	ck_assert_uint_eq(idle(11), 30);

	/* refused: 17 (user busy) comes back as the cause */
	net.refuse = 17;
	out = isdn_call_place(sb, 0, "4930124", 0x21, NULL, 0, 0, &cause);
	ck_assert_ptr_nonnull(out);
	pump(l, 100);
	ck_assert_uint_eq(usr.released, 1);
	ck_assert_uint_eq(usr.cause, 17);
	ck_assert_uint_eq(idle(10), 30);
	ck_assert_uint_eq(idle(11), 30);

	/* a call is up when the line is cut, with T309 off ("timer pri
	 * T309 0"): both sides release it at once, cause 38 (network out of
	 * order) toward the owner, and the channel is free */
	net.refuse = 0;
	ck_assert_int_eq(osmo_tdef_set(isdn_tdefs, 309, 0, OSMO_TDEF_S), 0);
	out = isdn_call_place(sb, 0, "4930125", 0x21, NULL, 0, 0, &cause);
	ck_assert_ptr_nonnull(out);
	pump(l, 100);
	ck_assert_ptr_nonnull(net.call);
	ck_assert_int_eq(isdn_call_answer(net.call), 0);
	pump(l, 100);
	ck_assert_uint_eq(usr.connect, 2);
	ck_assert_uint_eq(idle(10), 29);

	/* the line is cut: both D channels go down (T200 x N200 with
	 * traffic, T203 otherwise: well within 20 s), then come back */
	cut = true;
	isdn_span_restart(sa, 5); /* traffic, so that T200 runs */
	for (unsigned i = 0; i < 200 && !(net.down && usr.down); i++)
		pump(l, 100);
	ck_assert_uint_eq(net.down, 1);
	ck_assert_uint_eq(usr.down, 1);
	ck_assert_uint_eq(net.released, 2);
	ck_assert_uint_eq(net.cause, 38);
	ck_assert_uint_eq(usr.released, 2);
	ck_assert_uint_eq(usr.cause, 38);
	ck_assert_uint_eq(idle(10), 30);
	ck_assert_uint_eq(idle(11), 30);
	osmo_tdefs_reset(isdn_tdefs);
	ck_assert_ptr_null(isdn_call_place(sb, 0, "1", 0, NULL, 0, 0, &cause));
	ck_assert_uint_eq(cause, 38);
	cut = false;
	for (unsigned i = 0; i < 200 && !(net.up == 2 && usr.up == 2); i++)
		pump(l, 100);
	ck_assert_uint_eq(net.up, 2);
	ck_assert_uint_eq(usr.up, 2);
	isdn_span_free(sa);
	isdn_span_free(sb);
	ck_assert_ptr_null(isdn_span_find(10));
	loop_free(l);
}
END_TEST

static enum isdn_chan_state chan_state(unsigned span, unsigned ch)
{
	struct isdn_span_info si;

	isdn_span_info(isdn_span_find(span), &si);
	return si.ch[ch];
}

/* SERVICE (maintenance) on T1 NI-2: the network side takes channel 5 out
 * of service, the user side learns it (libpri acknowledges), neither side
 * places a call on it; back in service; refused where the switch type has
 * no SERVICE messages or for a channel that is no B channel. */
START_TEST(test_service_ni2)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct isdn_span_cfg a = {
		.id = 10, .t1 = true, .network = true, .sw = ISDN_SW_NI2, .dchan_ts = 24, .tx = tx};
	struct isdn_span_cfg b = {
		.id = 11, .t1 = true, .sw = ISDN_SW_NI2, .dchan_ts = 24, .tx = tx};
	/* a EuroISDN span on its own (nothing it sends arrives anywhere) */
	struct isdn_span_cfg e = {.id = 12, .sw = ISDN_SW_EUROISDN, .dchan_ts = 16, .tx = tx_drop};
	struct isdn_span *sa, *sb, *se;
	struct isdn_span_info ia, ib;
	struct isdn_call *out;
	uint8_t cause = 0;

	memset(&net, 0, sizeof(net));
	memset(&usr, 0, sizeof(usr));
	qh = qt = 0;
	cut = false;
	ck_assert_int_eq(isdn_init(l, &ops, NULL), 0);
	sa = isdn_span_create(unit_ctx, &a);
	sb = isdn_span_create(unit_ctx, &b);
	se = isdn_span_create(unit_ctx, &e);
	ck_assert_ptr_nonnull(sa);
	ck_assert_ptr_nonnull(sb);
	ck_assert_ptr_nonnull(se);
	for (unsigned i = 0; i < 50 && !(net.up && usr.up); i++)
		pump(l, 100);
	ck_assert_uint_eq(net.up, 1);
	ck_assert_uint_eq(usr.up, 1);
	ck_assert_int_eq(isdn_span_service(se, 5, 2), -ENOTSUP);
	ck_assert_int_eq(isdn_span_service(sa, 24, 2), -EINVAL);
	ck_assert_int_eq(isdn_span_service(sa, 5, 3), -EINVAL);

	ck_assert_int_eq(isdn_span_service(sa, 5, 2), 0);
	pump(l, 200);
	isdn_span_info(sa, &ia);
	isdn_span_info(sb, &ib);
	ck_assert(ia.service_msgs);
	ck_assert_uint_eq(ia.services_sent, 1);
	ck_assert_uint_eq(ia.service_acks, 1);
	ck_assert_uint_eq(ib.services_rcvd, 1);
	ck_assert_int_eq(chan_state(10, 5), ISDN_CH_OOS);
	ck_assert_int_eq(chan_state(11, 5), ISDN_CH_OOS);
	ck_assert_uint_eq(idle(11), 22);
	/* neither side seizes it */
	ck_assert_ptr_null(isdn_call_place(sb, 5, "1", 0x21, NULL, 0, 0, &cause));
	ck_assert_uint_eq(cause, 34);
	ck_assert_ptr_null(isdn_call_place(sa, 5, "1", 0x21, NULL, 0, 0, &cause));
	/* a RESTART of the span leaves it out of service */
	ck_assert_int_eq(isdn_span_restart(sa, 0), 0);
	pump(l, 1500);
	ck_assert_int_eq(chan_state(10, 5), ISDN_CH_OOS);
	ck_assert_uint_eq(idle(10), 22);
	/* a call on a channel in service still goes (network -> user: the
	 * user side takes the SETUP as complete) */
	out = isdn_call_place(sa, 0, "2125550100", 0x21, NULL, 0, 0, &cause);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_ne(isdn_call_channel(out), 5);
	for (unsigned i = 0; i < 30 && !usr.setups; i++)
		pump(l, 100);
	ck_assert_uint_eq(usr.setups, 1);
	ck_assert_int_eq(isdn_call_release(out, 16), 0);
	pump(l, 200);
	/* back in service, from the user side this time */
	ck_assert_int_eq(isdn_span_service(sb, 5, 0), 0);
	pump(l, 200);
	ck_assert_int_eq(chan_state(10, 5), ISDN_CH_IDLE);
	ck_assert_int_eq(chan_state(11, 5), ISDN_CH_IDLE);
	isdn_span_info(sa, &ia);
	ck_assert_uint_eq(ia.services_rcvd, 1);
	ck_assert_uint_eq(idle(10), 23);
	isdn_span_free(sa);
	isdn_span_free(sb);
	isdn_span_free(se);
	loop_free(l);
}
END_TEST

Suite *isdn_pri_suite(void)
{
	Suite *s = suite_create("isdn_pri");
	TCase *tc = unit_tcase("isdn_pri");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_back_to_back);
	tcase_add_test(tc, test_service_ni2);
	suite_add_tcase(s, tc);
	return s;
}
