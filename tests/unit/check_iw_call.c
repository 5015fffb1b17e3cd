/* interwork/iw_call: the call FSM's table (which state changes and events
 * each state takes), and calls from a scripted circuit leg that end before
 * any SIP leg exists (refusals: the leg hears the cause, the call and its
 * memory go). */
#include <errno.h>
#include <string.h>

#include <osmocom/core/fsm.h>
#include <talloc.h>

#include "core/loop.h"
#include "interwork/iw_call_int.h"
#include "interwork/iw_mem.h"
#include "sigtran/isup_proto.h"
#include "sip/sip_uri.h"
#include "sip/sip_trunk.h"
#include "sip/sip_ua.h"
#include "media/media.h"
#include <arpa/inet.h>
#include "tests/unit/unit.h"

#define S(x) (1u << (x))

/* The transitions the design allows (iw_call.c's table, written again here
 * from the life of a call: a change there must be a change here too). */
static const uint32_t allowed[] = {
	[IW_CALL_S_ROUTING] = S(IW_CALL_S_ENUM) | S(IW_CALL_S_SETUP) | S(IW_CALL_S_CLEARING),
	[IW_CALL_S_ENUM] = S(IW_CALL_S_SETUP) | S(IW_CALL_S_CLEARING),
	[IW_CALL_S_SETUP] = S(IW_CALL_S_EARLY) | S(IW_CALL_S_ACTIVE) | S(IW_CALL_S_FAIL_TONE) |
			    S(IW_CALL_S_CLEARING),
	[IW_CALL_S_EARLY] = S(IW_CALL_S_ACTIVE) | S(IW_CALL_S_FAIL_TONE) | S(IW_CALL_S_CLEARING),
	[IW_CALL_S_ACTIVE] = S(IW_CALL_S_CLEARING),
	[IW_CALL_S_FAIL_TONE] = S(IW_CALL_S_CLEARING),
	[IW_CALL_S_CLEARING] = 0,
};
#define N_STATES (sizeof(allowed) / sizeof(allowed[0]))

static void fsm_register(void)
{
	if (!osmo_fsm_find_by_name(iw_call_fsm.name))
		ck_assert_int_eq(osmo_fsm_register(&iw_call_fsm), 0);
}

/* An instance put in state `from` by the allowed path to it. */
static struct osmo_fsm_inst *inst_in(uint32_t from)
{
	static const uint32_t path[][4] = {
		[IW_CALL_S_ROUTING] = {0},
		[IW_CALL_S_ENUM] = {IW_CALL_S_ENUM},
		[IW_CALL_S_SETUP] = {IW_CALL_S_SETUP},
		[IW_CALL_S_EARLY] = {IW_CALL_S_SETUP, IW_CALL_S_EARLY},
		[IW_CALL_S_ACTIVE] = {IW_CALL_S_SETUP, IW_CALL_S_ACTIVE},
		[IW_CALL_S_FAIL_TONE] = {IW_CALL_S_SETUP, IW_CALL_S_FAIL_TONE},
		[IW_CALL_S_CLEARING] = {IW_CALL_S_CLEARING},
	};
	struct osmo_fsm_inst *fi =
		osmo_fsm_inst_alloc(&iw_call_fsm, unit_ctx, NULL, LOGL_DEBUG, NULL);

	ck_assert_ptr_nonnull(fi);
	for (unsigned i = 0; i < 4 && path[from][i]; i++)
		ck_assert_int_eq(osmo_fsm_inst_state_chg(fi, path[from][i], 0, 0), 0);
	ck_assert_uint_eq(fi->state, from);
	return fi;
}

START_TEST(test_transitions)
{
	size_t before;

	fsm_register();
	ck_assert_uint_eq(iw_call_fsm.num_states, N_STATES);
	before = talloc_total_blocks(unit_ctx);
	for (uint32_t from = 0; from < N_STATES; from++) {
		for (uint32_t to = 0; to < N_STATES; to++) {
			struct osmo_fsm_inst *fi;
			int rc;

			if (to == from)
				continue;
			fi = inst_in(from);
			rc = osmo_fsm_inst_state_chg(fi, to, 0, 0);
			if (allowed[from] & S(to))
				ck_assert_msg(rc == 0, "%s -> %s refused",
					      iw_call_fsm.states[from].name,
					      iw_call_fsm.states[to].name);
			else
				ck_assert_msg(rc == -EPERM && fi->state == from, "%s -> %s allowed",
					      iw_call_fsm.states[from].name,
					      iw_call_fsm.states[to].name);
			osmo_fsm_inst_free(fi);
		}
	}
	ck_assert_uint_eq(talloc_total_blocks(unit_ctx), before);
}
END_TEST

/* Events a state has no business with are refused before any action runs
 * (the instance has no call behind it: an action would crash the test). */
START_TEST(test_events_refused)
{
	static const struct {
		uint32_t state;
		uint32_t ev;
	} refused[] = {
		/* answered: no more provisional or final responses, no ACM */
		{IW_CALL_S_ACTIVE, IW_CALL_E_SIP_PROGRESS},
		{IW_CALL_S_ACTIVE, IW_CALL_E_SIP_ANSWER},
		{IW_CALL_S_ACTIVE, IW_CALL_E_SIP_FAILED},
		{IW_CALL_S_ACTIVE, IW_CALL_E_CIRCUIT_PROGRESS},
		{IW_CALL_S_ACTIVE, IW_CALL_E_CIRCUIT_ANSWER},
		{IW_CALL_S_ACTIVE, IW_CALL_E_ENUM_DONE},
		/* the ENUM lookup runs before any SIP leg exists */
		{IW_CALL_S_ENUM, IW_CALL_E_SIP_PROGRESS},
		{IW_CALL_S_ENUM, IW_CALL_E_SIP_BYE},
		{IW_CALL_S_ENUM, IW_CALL_E_SIP_GONE},
		{IW_CALL_S_ENUM, IW_CALL_E_CIRCUIT_ANSWER},
		/* an ENUM answer after the lookup is over */
		{IW_CALL_S_SETUP, IW_CALL_E_ENUM_DONE},
		{IW_CALL_S_CLEARING, IW_CALL_E_ENUM_DONE},
		/* the circuit left before CLEARING: nothing more from it but
		 * its release */
		{IW_CALL_S_CLEARING, IW_CALL_E_CIRCUIT_PROGRESS},
		{IW_CALL_S_CLEARING, IW_CALL_E_CIRCUIT_ANSWER},
		/* the failure tone: the SIP side refused already */
		{IW_CALL_S_FAIL_TONE, IW_CALL_E_SIP_ANSWER},
		{IW_CALL_S_FAIL_TONE, IW_CALL_E_CIRCUIT_ANSWER},
		/* routing is synchronous: nothing answers it yet */
		{IW_CALL_S_ROUTING, IW_CALL_E_SIP_ANSWER},
		{IW_CALL_S_ROUTING, IW_CALL_E_CIRCUIT_PROGRESS},
	};

	fsm_register();
	for (unsigned i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct osmo_fsm_inst *fi = inst_in(refused[i].state);

		ck_assert_msg(osmo_fsm_inst_dispatch(fi, refused[i].ev, NULL) < 0, "%s took %s",
			      iw_call_fsm.states[refused[i].state].name,
			      osmo_fsm_event_name(&iw_call_fsm, refused[i].ev));
		ck_assert_uint_eq(fi->state, refused[i].state);
		osmo_fsm_inst_free(fi);
	}
	/* every state takes the release of either side and the operator's end */
	for (uint32_t s = 0; s < N_STATES; s++) {
		ck_assert(iw_call_fsm.states[s].in_event_mask & S(IW_CALL_E_CIRCUIT_RELEASE));
		ck_assert(iw_call_fsm.states[s].in_event_mask & S(IW_CALL_E_END));
	}
}
END_TEST

/* --- a scripted circuit leg --- */

struct fake_group {
	const char *name;
	bool up;
	unsigned max_calls;
};

static struct fake_group fake_sw = {.name = "fake1", .up = true};

struct fake_leg {
	struct iw_leg leg;
};

static unsigned rel_count;
static uint8_t rel_cause;
static int route_rc;
static uint8_t route_cause;

static void fake_release(struct iw_leg *leg, uint8_t cause, uint8_t location)
{
	(void)location;
	rel_count++;
	rel_cause = cause;
	talloc_free(leg);
}

static const struct iw_leg_ops fake_ops = {.release = fake_release};

static const void *fake_find(const char *name)
{
	return !name || !strcmp(name, fake_sw.name) ? &fake_sw : NULL;
}

static void fake_info(const void *group, struct iw_leg_group_info *out)
{
	const struct fake_group *g = group;

	out->name = g->name;
	out->up = g->up;
	out->max_calls = g->max_calls;
	out->max_cps = 0;
}

static const struct iw_leg_class fake_class = {
	.kind = "FAKE", .group_find = fake_find, .group_info = fake_info};

static int fake_route(void *priv, bool to_sip, const char *e164, struct iw_route_res *res)
{
	(void)priv;
	(void)to_sip;
	(void)e164;
	res->cause = route_cause;
	return route_rc;
}

static struct iw_leg *fake_leg(void *ctx, unsigned cic)
{
	struct fake_leg *f = talloc_zero(ctx, struct fake_leg);

	ck_assert_ptr_nonnull(f);
	f->leg.ops = &fake_ops;
	f->leg.cls = &fake_class;
	f->leg.group = &fake_sw;
	strcpy(f->leg.group_name, fake_sw.name);
	f->leg.cic = cic;
	f->leg.span = -1;
	f->leg.isup_variant = -1;
	return &f->leg;
}

/* A call from the circuit: number 3 (national) 30123456, hops as given. */
static void incoming(struct iw *iw, unsigned cic, uint8_t noa, int hops)
{
	struct isup_number called = {.noa = noa, .npi = 1};
	struct iw_leg_in in = {.called = &called, .hops = hops};

	strcpy(called.digits, "30123456");
	iw_leg_incoming(iw, fake_leg(iw, cic), &in);
}

START_TEST(test_refusals_from_the_circuit)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct iw_cfg cfg = {.num = {.cc = "49"}};
	size_t before;
	struct iw *iw;

	ck_assert_ptr_nonnull(l);
	iw = iw_alloc(unit_ctx, &cfg, l, NULL, NULL, fake_route, NULL);
	ck_assert_ptr_nonnull(iw);
	before = talloc_total_blocks(unit_ctx);

	/* no route: the routing layer's cause goes back in the release */
	rel_count = 0;
	route_rc = -ENOENT;
	route_cause = ISUP_CAUSE_NO_ROUTE_DESTINATION;
	incoming(iw, 1, 3, 0);
	ck_assert_uint_eq(rel_count, 1);
	ck_assert_uint_eq(rel_cause, ISUP_CAUSE_NO_ROUTE_DESTINATION);
	ck_assert_uint_eq(iw_active_calls(iw), 0);
	ck_assert_uint_eq(iw_get_stats(iw)->failed, 1);
	ck_assert_ptr_null(iw_call_next(iw, NULL));

	/* the hop counter spent (Q.764 2.14.2): cause 25, before routing */
	route_cause = ISUP_CAUSE_NO_CIRCUIT_AVAILABLE;
	incoming(iw, 2, 3, -1);
	ck_assert_uint_eq(rel_count, 2);
	ck_assert_uint_eq(rel_cause, ISUP_CAUSE_EXCHANGE_ROUTING_ERROR);

	/* a subscriber number (NOA 1) and no area code to put in front: no
	 * E.164 form, cause 28 */
	incoming(iw, 3, 1, 0);
	ck_assert_uint_eq(rel_count, 3);
	ck_assert_uint_eq(rel_cause, ISUP_CAUSE_INVALID_NUMBER_FORMAT);

	/* the one admission check: a group that is up and below its limit
	 * takes a call, one whose signalling is down does not */
	fake_sw.max_calls = 1;
	ck_assert(iw_admit_group(iw, &fake_class, &fake_sw, NULL));
	fake_sw.up = false;
	ck_assert(!iw_admit_group(iw, &fake_class, &fake_sw, NULL));
	fake_sw.up = true;
	fake_sw.max_calls = 0;

	/* calls by id: found while they live, gone with them */
	{
		struct iw_call *a = iw_call_alloc(iw, true), *b = iw_call_alloc(iw, false);
		unsigned ida = a->id;

		ck_assert_ptr_eq(iw_call_find(iw, a->id), a);
		ck_assert_ptr_eq(iw_call_find(iw, b->id), b);
		ck_assert_ptr_null(iw_call_find(iw, b->id + 1));
		/* by Call-ID and by circuit (what HEP capture matches by) */
		struct iw_leg *la = fake_leg(iw, 7), *lb = fake_leg(iw, 7);

		la->isup_variant = lb->isup_variant = 0;
		strcpy(lb->group_name, "other");
		iw_call_set_call_id(a, "a@x");
		iw_call_set_call_id(b, "b@x");
		iw_call_attach_leg(a, la);
		iw_call_attach_leg(b, lb);
		ck_assert_ptr_eq(iw_call_by_call_id(iw, "a@x"), a);
		ck_assert_ptr_eq(iw_call_by_call_id(iw, "b@x"), b);
		ck_assert_ptr_null(iw_call_by_call_id(iw, "c@x"));
		ck_assert_ptr_null(iw_call_by_call_id(iw, ""));
		ck_assert_ptr_eq(iw_call_by_cic(iw, "fake1", 7), a);
		ck_assert_ptr_eq(iw_call_by_cic(iw, "other", 7), b);
		ck_assert_ptr_null(iw_call_by_cic(iw, "fake1", 8));
		/* a new Call-ID (a new leg after route advance) moves the entry */
		iw_call_set_call_id(a, "a2@x");
		ck_assert_ptr_null(iw_call_by_call_id(iw, "a@x"));
		ck_assert_ptr_eq(iw_call_by_call_id(iw, "a2@x"), a);
		a->cleg = b->cleg = NULL;
		talloc_free(la);
		talloc_free(lb);
		iw_call_maybe_free(a);
		ck_assert_ptr_null(iw_call_find(iw, ida));
		ck_assert_ptr_null(iw_call_by_call_id(iw, "a2@x"));
		ck_assert_ptr_null(iw_call_by_cic(iw, "fake1", 7));
		ck_assert_ptr_eq(iw_call_by_cic(iw, "other", 7), b);
		ck_assert_ptr_eq(iw_call_find(iw, b->id), b);
		iw_call_maybe_free(b);
		ck_assert_ptr_null(iw_call_next(iw, NULL));
	}

	ck_assert_uint_eq(iw_active_calls(iw), 0);
	ck_assert_uint_eq(iw_get_stats(iw)->isup_to_sip, 4);
	ck_assert_uint_eq(iw_get_stats(iw)->failed, 3);
	/* each call and its leg are gone with nothing left behind (the
	 * linkset's load slot stays: one per group, not per call) */
	ck_assert_uint_le(talloc_total_blocks(unit_ctx), before);
	iw_free(iw);
	loop_free(l);
}
END_TEST

/* 3xx follow (RFC 3261 8.1.3.4): a 302's Contacts in q order, a foreign
 * host, a loop, a tel: URI that does not route, a non-SIP URI and a '*'
 * kept out (iw_redir_targets). */
static bool t_tried(void *priv, const char *uri)
{
	return !strcmp(uri, (const char *)priv);
}

static bool t_allowed(void *priv, const struct sip_uri *u)
{
	(void)priv;
	/* a tel: URI: its number "routes" when it is +4945006 */
	if (u->scheme == SIP_URI_TEL)
		return tstr_eq_cstr(u->user, "+4945006");
	return tstr_eq_cstr(u->host, "192.0.2.10") || tstr_eq_cstr(u->host, "192.0.2.11");
}

START_TEST(test_redirect_targets)
{
	static const char rsp302[] =
		"SIP/2.0 302 Moved Temporarily\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK302\r\n"
		"From: <sip:+4989555@gw.example.net>;tag=1\r\n"
		"To: <sip:+4945001@192.0.2.10;user=phone>;tag=2\r\n"
		"Call-ID: redir@192.0.2.1\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:+4945999@198.51.100.7>;q=1.0, "
		"<sip:+4945002@192.0.2.11:5070>;q=0.5\r\n"
		"Contact: <sip:+4945001@192.0.2.10;user=phone>;q=0.9, <tel:+4945003>\r\n"
		"Contact: <sip:+4945004@192.0.2.10>, <sip:+4945005@192.0.2.11>;q=0.5\r\n"
		"Contact: <tel:+4945006>;q=0.7, <mailto:x@example.net>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *m = talloc_zero(unit_ctx, struct sip_msg);
	struct iw_redir_target v[8];
	unsigned n;

	ck_assert_int_eq(sip_msg_parse(m, rsp302, sizeof(rsp302) - 1, NULL), 0);
	n = iw_redir_targets(m, t_tried, t_allowed, (void *)"sip:+4945001@192.0.2.10;user=phone", v,
			     8);
	ck_assert_uint_eq(n, 8);
	/* usable: no q (1.0) first, the tel: URI (RFC 3966) whose number
	 * routes at q=0.7, then the two q=0.5 in message order */
	ck_assert_str_eq(v[0].uri, "sip:+4945004@192.0.2.10");
	ck_assert_int_eq(v[0].q, 1000);
	ck_assert_str_eq(v[1].uri, "tel:+4945006");
	ck_assert_str_eq(v[2].uri, "sip:+4945002@192.0.2.11:5070");
	ck_assert_str_eq(v[3].uri, "sip:+4945005@192.0.2.11");
	for (unsigned i = 0; i < 4; i++)
		ck_assert_int_eq(v[i].verdict, IW_REDIR_USE);
	/* then the refused ones, in message order */
	ck_assert_str_eq(v[4].uri, "sip:+4945999@198.51.100.7");
	ck_assert_int_eq(v[4].verdict, IW_REDIR_FOREIGN);
	ck_assert_str_eq(v[5].uri, "sip:+4945001@192.0.2.10;user=phone");
	ck_assert_int_eq(v[5].verdict, IW_REDIR_TRIED);
	/* a tel: URI whose number routes nowhere; another scheme */
	ck_assert_str_eq(v[6].uri, "tel:+4945003");
	ck_assert_int_eq(v[6].verdict, IW_REDIR_NO_ROUTE);
	ck_assert_str_eq(v[7].uri, "mailto:x@example.net");
	ck_assert_int_eq(v[7].verdict, IW_REDIR_NOT_SIP);
	/* max bounds the output */
	ck_assert_uint_eq(iw_redir_targets(m, t_tried, t_allowed, (void *)"", v, 2), 2);
	ck_assert_str_eq(v[0].uri, "sip:+4945004@192.0.2.10");
	/* no allowed callback: every host is foreign */
	n = iw_redir_targets(m, NULL, NULL, NULL, v, 8);
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_ne(v[i].verdict, IW_REDIR_USE);
	talloc_free(m);
}
END_TEST

/* An INVITE that cannot even be sent (the trunk has no address
 * sip_ua_trunk_dest can give: no host, a DNS name not resolved yet): the
 * UA ended the leg and told the owner 'gone' before sip_leg_invite
 * returned NULL, so the call was freed under send_invite, which then wrote
 * to it and released it again (ASan: heap-use-after-free, a double free
 * without it: the heap corrupted) */
static struct sip_trunk nohost_trunk = {.name = "nohost", .proto = SIP_PROTO_UDP};

static int nohost_route(void *priv, bool to_sip, const char *e164, struct iw_route_res *res)
{
	(void)priv;
	(void)to_sip;
	memset(res, 0, sizeof(*res));
	res->trunk = &nohost_trunk;
	snprintf(res->number, sizeof(res->number), "%s", e164);
	return 0;
}

static void nohost_media_ev(void *priv, const struct media_event *ev)
{
	(void)priv;
	(void)ev;
}

START_TEST(test_invite_not_sent)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct iw_cfg cfg = {.num = {.cc = "49"}};
	struct media_cfg mc = {
		.workers = 1, .chans_per_worker = 4, .rtp_port_min = 26400, .rtp_port_max = 26411};
	struct media_engine *e = media_engine_alloc(unit_ctx, l, &mc, nohost_media_ev, NULL);
	struct media_span_cfg sc = {.id = 0, .frames = 8, .worker = -1};
	struct sockaddr_in *loc = (struct sockaddr_in *)&sc.local,
			   *rem = (struct sockaddr_in *)&sc.remote;
	struct sip_ua *ua = sip_ua_alloc(unit_ctx, l, NULL, NULL, NULL);
	struct isup_number called = {.noa = 3, .npi = 1};
	struct iw_leg_in in = {.called = &called};
	struct iw_leg *leg;
	struct iw *iw;

	loc->sin_family = rem->sin_family = AF_INET;
	loc->sin_addr.s_addr = rem->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	loc->sin_port = htons(26420);
	rem->sin_port = htons(26421);
	sc.local_len = sc.remote_len = sizeof(struct sockaddr_in);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(ua);
	ck_assert_int_eq(media_engine_add_span(e, &sc), 0);
	ck_assert_int_eq(media_engine_start(e), 0);
	iw = iw_alloc(unit_ctx, &cfg, l, e, ua, nohost_route, NULL);
	ck_assert_ptr_nonnull(iw);
	strcpy(called.digits, "30123456");
	leg = fake_leg(iw, 1);
	leg->span = 0;
	leg->ts = 1;
	rel_count = 0;
	iw_leg_incoming(iw, leg, &in);
	/* the circuit hears one REL, the call is gone */
	ck_assert_uint_eq(rel_count, 1);
	ck_assert_uint_eq(iw_active_calls(iw), 0);
	iw_free(iw);
	sip_ua_free(ua);
	unit_loop_run(l, 20);
	media_engine_stop(e);
	talloc_free(e);
	loop_free(l);
}
END_TEST

/* Two calls joined by an attended transfer (REFER with Replaces), both on
 * a linkset whose signalling route is down past ss7-outage-hold: the
 * stats round (stats_tick) ends the first with cause 38, and its end
 * releases and frees the joined peer too (iw_refer_joined_end). When the
 * peer is the next call of the round's safe iteration, the round went on
 * with the freed call (ASan: heap-use-after-free in stats_tick). */
static bool fake_down(const struct iw_leg *leg)
{
	(void)leg;
	return false;
}

static const struct iw_leg_ops fake_down_ops = {.release = fake_release,
						.signalling_up = fake_down};

static void noop_guard(void *p)
{
	(void)p;
}

START_TEST(test_joined_ss7_hold)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct iw_cfg cfg = {.num = {.cc = "49"}, .ss7_hold_s = 1};
	struct iw_call *a, *b;
	struct loop_timer g;
	struct iw *iw;

	ck_assert_ptr_nonnull(l);
	iw = iw_alloc(unit_ctx, &cfg, l, NULL, NULL, fake_route, NULL);
	ck_assert_ptr_nonnull(iw);
	rel_count = 0;
	a = iw_call_alloc(iw, true);
	b = iw_call_alloc(iw, true);
	ck_assert_ptr_eq(iw_call_next(iw, a), b); /* b is a's next in the round */
	iw_call_attach_leg(a, fake_leg(iw, 1));
	iw_call_attach_leg(b, fake_leg(iw, 2));
	a->cleg->ops = b->cleg->ops = &fake_down_ops;
	ck_assert_int_eq(iw_call_state(a, IW_CALL_S_SETUP), 0);
	ck_assert_int_eq(iw_call_state(a, IW_CALL_S_ACTIVE), 0);
	ck_assert_int_eq(iw_call_state(b, IW_CALL_S_SETUP), 0);
	ck_assert_int_eq(iw_call_state(b, IW_CALL_S_ACTIVE), 0);
	/* what iw_sip_side_refer_replaces leaves: joined, no SIP legs */
	a->joined = b;
	b->joined = a;
	/* a's route has been down for long */
	a->ss7_down_since_ms = 1;
	/* every slice of the round once (8 x 250 ms) */
	loop_timer_init(&g, noop_guard, NULL);
	for (unsigned long long end = unit_real_ms() + 2300; unit_real_ms() < end;) {
		loop_timer_schedule(l, &g, 10000);
		loop_run_once(l);
	}
	loop_timer_cancel(l, &g);
	/* both circuits released, both calls gone */
	ck_assert_uint_eq(rel_count, 2);
	ck_assert_uint_eq(iw_active_calls(iw), 0);
	/* iw_free with two joined calls one after the other: the same walk */
	a = iw_call_alloc(iw, true);
	b = iw_call_alloc(iw, true);
	iw_call_attach_leg(a, fake_leg(iw, 3));
	iw_call_attach_leg(b, fake_leg(iw, 4));
	a->joined = b;
	b->joined = a;
	iw_free(iw);
	ck_assert_uint_eq(rel_count, 4);
	loop_free(l);
}
END_TEST

/* Turns of the loop until rel_count reaches want or limit_ms pass. */
static void run_until_rel(struct loop *l, unsigned want, unsigned limit_ms)
{
	struct loop_timer g;

	loop_timer_init(&g, noop_guard, NULL);
	for (unsigned long long end = unit_real_ms() + limit_ms;
	     rel_count < want && unit_real_ms() < end;) {
		loop_timer_schedule(l, &g, 10000);
		loop_run_once(l);
	}
	loop_timer_cancel(l, &g);
}

/* The stats round's steps (every 250 ms) each take the next eighth of the
 * calls where the last stopped: 40 calls whose SS7 hold is over end five
 * a step, in list order; the call the round would visit next ending
 * meanwhile moves it on to the one after. */
START_TEST(test_stats_round_cursor)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct iw_cfg cfg = {.num = {.cc = "49"}, .ss7_hold_s = 1};
	struct iw_call *c[40];
	unsigned id[40];
	struct iw *iw;

	ck_assert_ptr_nonnull(l);
	iw = iw_alloc(unit_ctx, &cfg, l, NULL, NULL, fake_route, NULL);
	ck_assert_ptr_nonnull(iw);
	rel_count = 0;
	for (unsigned i = 0; i < 40; i++) {
		c[i] = iw_call_alloc(iw, true);
		id[i] = c[i]->id;
		iw_call_attach_leg(c[i], fake_leg(iw, 10 + i));
		c[i]->cleg->ops = &fake_down_ops;
		ck_assert_int_eq(iw_call_state(c[i], IW_CALL_S_SETUP), 0);
		ck_assert_int_eq(iw_call_state(c[i], IW_CALL_S_ACTIVE), 0);
		c[i]->ss7_down_since_ms = 1; /* down for long */
	}
	/* one step: the first five */
	run_until_rel(l, 1, 1000);
	ck_assert_uint_eq(rel_count, 5);
	for (unsigned i = 0; i < 5; i++)
		ck_assert_ptr_null(iw_call_find(iw, id[i]));
	ck_assert_ptr_eq(iw_call_find(iw, id[5]), c[5]);
	/* the next to visit ends on its own (its far end released) */
	iw_call_end(c[5], 16);
	ck_assert_ptr_null(iw_call_find(iw, id[5]));
	ck_assert_uint_eq(rel_count, 6);
	/* the next step goes on after it: 34 calls, five a step */
	run_until_rel(l, 7, 1000);
	ck_assert_uint_eq(rel_count, 11);
	for (unsigned i = 6; i < 11; i++)
		ck_assert_ptr_null(iw_call_find(iw, id[i]));
	ck_assert_ptr_eq(iw_call_find(iw, id[11]), c[11]);
	/* and the round ends them all (about 4 s of steps; the limit is for
	 * a loaded machine, the wait ends when they are) */
	run_until_rel(l, 40, 15000);
	ck_assert_uint_eq(rel_count, 40);
	ck_assert_uint_eq(iw_active_calls(iw), 0);
	iw_free(iw);
	loop_free(l);
}
END_TEST

/* "show memory"'s reading (iw_mem_read): with more calls than it reads,
 * about IW_MEM_READ_CALLS spread over the list and the figures theirs; all
 * when asked; the whole talloc tree only when asked. */
START_TEST(test_mem_read_bounded)
{
	struct loop *l = loop_alloc(unit_ctx, NULL);
	struct iw_cfg cfg = {.num = {.cc = "49"}};
	struct iw_call *calls[600];
	struct iw_mem_figures f, all;
	struct iw *iw;

	ck_assert_ptr_nonnull(l);
	iw = iw_alloc(unit_ctx, &cfg, l, NULL, NULL, fake_route, NULL);
	ck_assert_ptr_nonnull(iw);
	for (unsigned i = 0; i < 600; i++) {
		calls[i] = iw_call_alloc(iw, i % 2);
		ck_assert_ptr_nonnull(calls[i]);
		/* every tenth call is larger: the largest is one of them */
		if (i % 10 == 0)
			ck_assert_ptr_nonnull(talloc_size(calls[i], 2000));
	}
	iw_mem_read(iw, unit_ctx, IW_MEM_READ_CALLS, false, &f);
	ck_assert_uint_eq(f.calls, 600);
	ck_assert_uint_eq(f.read, 200); /* every third */
	ck_assert(!f.walked);
	ck_assert_uint_eq(f.talloc_blocks, 0);
	iw_mem_read(iw, unit_ctx, 0, true, &all);
	ck_assert_uint_eq(all.calls, 600);
	ck_assert_uint_eq(all.read, 600);
	ck_assert(all.walked);
	ck_assert_uint_ge(all.talloc_blocks, 660);
	ck_assert_uint_ge(all.talloc_bytes, all.bytes);
	/* a tenth of the calls are large, and some of them are among those read */
	ck_assert_uint_eq(all.largest, f.largest);
	ck_assert_uint_ge(f.largest, f.bytes / f.read + 1000);
	/* the mean of the calls read is the mean of every third: within the
	 * spread of the small and large ones */
	ck_assert_uint_ge(f.bytes / f.read, all.bytes / all.read - 200);
	ck_assert_uint_le(f.bytes / f.read, all.bytes / all.read + 200);
	/* fewer calls than the bound: all read */
	iw_mem_read(iw, unit_ctx, 1000, false, &f);
	ck_assert_uint_eq(f.read, 600);
	for (unsigned i = 0; i < 600; i++)
		iw_call_maybe_free(calls[i]);
	ck_assert_ptr_null(iw_call_next(iw, NULL));
	iw_free(iw);
	loop_free(l);
}
END_TEST

Suite *iw_call_suite(void)
{
	Suite *s = suite_create("iw_call");
	TCase *tc = unit_tcase("iw_call");

	tcase_add_test(tc, test_transitions);
	tcase_add_test(tc, test_events_refused);
	tcase_add_test(tc, test_refusals_from_the_circuit);
	tcase_add_test(tc, test_redirect_targets);
	tcase_add_test(tc, test_invite_not_sent);
	tcase_add_test(tc, test_joined_ss7_hold);
	tcase_add_test(tc, test_mem_read_bounded);
	tcase_add_test(tc, test_stats_round_cursor);
	suite_add_tcase(s, tc);
	return s;
}
