/* sigtran/isup_link + isup_call_fsm, Calls (Q.764 2.1-2.6): incoming and
 * outgoing setup, ACM/CON/ANM, release and its timers (T1, T5, T6, T7),
 * INR/INF, echo control, message crossing, bad causes. Loop tests run once
 * per variant: _i 0 is ITU (Q.763), 1 is ANSI (T1.113); the harness is
 * isup_link_harness.h. */
#include <errno.h>
#include <string.h>

#include "tests/unit/isup_link_harness.h"

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

/* A 3xx not followed (RFC 3398 / Q.732.2 call rerouting): the REL with
 * cause 23 carries the redirection number and redirection information on
 * an ITU link; ANSI refuses them and sends the cause alone. */
START_TEST(test_rel_redirection)
{
	struct isup_number rn = {.noa = 3, .npi = 1};
	static const uint8_t ri[2] = {0x03, 0x31},
			     rn_coded[6] = {0x03, 0x10, 0x03, 0x77, 0x87, 0x88};
	const struct isup_param *p;
	struct isup_msg m;

	start(_i ? ISUP_VAR_ANSI : ISUP_VAR_ITU, 1, 4);
	rx_iam(2, "123", _i == 0, NULL);
	strcpy(rn.digits, "30777888");
	ck_assert_int_eq(isup_call_set_rel_redirection(OW.call, &rn, ri), _i ? -ENOTSUP : 0);
	ck_assert_int_eq(isup_call_release(OW.call, ISUP_CAUSE_REDIRECTION), 0);
	expect(0, ISUP_MT_REL, 2, &m);
	ck_assert_uint_eq(cause_of(&m), 23);
	p = isup_msg_param(&m, ISUP_PAR_REDIRECTION_NUMBER);
	if (_i) {
		ck_assert_ptr_null(p);
		ck_assert_ptr_null(isup_msg_param(&m, ISUP_PAR_REDIRECTION_INFORMATION));
	} else {
		/* Q.763 3.46: NOA 3 national (even), INN 0 plan 1, BCD 30777888 */
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(p->len, 6);
		ck_assert_mem_eq(p->val, rn_coded, 6);
		p = isup_msg_param(&m, ISUP_PAR_REDIRECTION_INFORMATION);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(p->len, 2);
		ck_assert_mem_eq(p->val, ri, 2);
	}
	rx_simple(ISUP_MT_RLC, 2);
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

/* Q.764 2.9.5.3: optional parameters carried on from a SIP-I IAM go out in
 * the IAM's optional part as they came, on a linkset of their variant
 * only. */
START_TEST(test_iam_extra_params)
{
	struct isup_call_spec spec = {.cpc = 10, .except_cic = -1};
	enum isup_variant v = _i ? ISUP_VAR_ANSI : ISUP_VAR_ITU;
	const uint8_t extra[] = {0xfa, 3, 0x01, 0x02, 0x03, 0xfb, 1, 0x7f};
	const struct isup_param *p;
	struct isup_call *c;
	struct isup_msg m;

	start(v, 1, 31);
	spec.called.noa = 3;
	spec.called.npi = 1;
	snprintf(spec.called.digits, sizeof(spec.called.digits), "%s", "301234");
	spec.extra = extra;
	spec.extra_len = sizeof(extra);
	spec.extra_variant = (uint8_t)v;
	c = isup_call_out(L, &spec, NULL, &OW);
	ck_assert_ptr_nonnull(c);
	expect(0, ISUP_MT_IAM, isup_call_cic(c), &m);
	ck_assert_ptr_nonnull(p = isup_msg_param(&m, 0xfa));
	ck_assert_uint_eq(p->len, 3);
	ck_assert_mem_eq(p->val, extra + 2, 3);
	ck_assert_ptr_nonnull(p = isup_msg_param(&m, 0xfb));
	ck_assert_uint_eq(p->len, 1);
	ck_assert_uint_eq(p->val[0], 0x7f);
	ck_assert_ptr_nonnull(isup_msg_param(&m, ISUP_PAR_CALLED_PARTY_NUMBER));
	isup_call_release(c, 16);
	rx_simple(ISUP_MT_RLC, isup_call_cic(c));

	/* coded for the other variant: not sent */
	spec.extra_variant = (uint8_t)(_i ? ISUP_VAR_ITU : ISUP_VAR_ANSI);
	c = isup_call_out(L, &spec, NULL, &OW);
	ck_assert_ptr_nonnull(c);
	expect(TX.n - 1, ISUP_MT_IAM, isup_call_cic(c), &m);
	ck_assert_ptr_null(isup_msg_param(&m, 0xfa));
	isup_call_release(c, 16);
	rx_simple(ISUP_MT_RLC, isup_call_cic(c));
	finish();
}
END_TEST

Suite *isup_link_call_suite(void)
{
	Suite *s = suite_create("isup_link_call");
	TCase *tc = unit_tcase("calls");

	tcase_add_loop_test(tc, test_incoming_call, 0, 2);
	tcase_add_test(tc, test_incoming_backward_from_msg);
	tcase_add_loop_test(tc, test_incoming_owner_release, 0, 2);
	tcase_add_loop_test(tc, test_rel_redirection, 0, 2);
	tcase_add_loop_test(tc, test_iam_bad_called, 0, 2);
	tcase_add_loop_test(tc, test_outgoing_call, 0, 2);
	tcase_add_loop_test(tc, test_outgoing_acm_no_indication, 0, 2);
	tcase_add_loop_test(tc, test_release_t1_t5, 0, 2);
	tcase_add_loop_test(tc, test_t7, 0, 2);
	tcase_add_loop_test(tc, test_incoming_con, 0, 2);
	tcase_add_loop_test(tc, test_acm_stops_t7, 0, 2);
	tcase_add_loop_test(tc, test_inr_inf, 0, 2);
	tcase_add_loop_test(tc, test_echo_control_indicators, 0, 2);
	tcase_add_loop_test(tc, test_message_crossing_rel, 0, 2);
	tcase_add_loop_test(tc, test_iam_extra_params, 0, 2);
	tcase_add_loop_test(tc, test_suspend_t6, 0, 2);
	tcase_add_loop_test(tc, test_rel_bad_cause, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
