/* Drain: see iw_drain.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/loop.h"
#include "interwork/iw_call.h"
#include "interwork/iw_cdr_pg.h"
#include "interwork/iw_drain.h"
#include "sigtran/isup_cic.h"
#include "sigtran/isup_proto.h"
#include "sigtran/isup_vty.h"
#include "sip/sip_ua.h"

unsigned iw_drain_sigterm_s;
bool iw_drain_sigterm_graceful;

static struct {
	struct loop *loop;
	struct iw *iw;
	bool active;
	time_t deadline; /* 0: none */
	unsigned blocked;
	uint64_t options_refused; /* OPTIONS probes answered 503 */
	struct loop_timer tick;
	const struct isup_call_ops *inner;
	struct isup_call_ops ops;
	uint64_t cdr_until_ns, cdr_from; /* the CDR flush at the end (0: not begun) */
} dr;

/* CDRs still in the spool go to the database before the stop, within
 * this bound (the next start replays what is left) */
#define DRAIN_CDR_FLUSH_NS (5 * 1000000000ull)

void iw_drain_set(struct loop *l, struct iw *iw)
{
	if (dr.loop && dr.tick.cb)
		loop_timer_cancel(dr.loop, &dr.tick);
	dr.loop = l;
	dr.iw = iw;
}

bool iw_drain_active(void)
{
	return dr.active;
}

void iw_drain_status(unsigned *left_s, unsigned *blocked, uint64_t *options_refused)
{
	time_t now = time(NULL);

	*left_s = dr.deadline > now ? (unsigned)(dr.deadline - now) : 0;
	*blocked = dr.blocked;
	*options_refused = dr.options_refused;
}

/* Block one run of consecutive circuits: CGB by 32 (Q.763 3.43 range), a
 * lone circuit by BLO. Maintenance blocking leaves calls up (Q.764
 * 2.8.2.1): they clear normally, no new call is offered on them. */
static void block_run(struct isup_link *l, unsigned first, unsigned n)
{
	while (n) {
		unsigned k = n > 32 ? 32 : n;
		int rc = k == 1 ? isup_link_block(l, first, true)
				: isup_link_group_block(l, first, k, true, false);

		if (rc == 0)
			dr.blocked += k;
		else
			LOGP(DIW, LOGL_ERROR, "drain: linkset %s CIC %u+%u not blocked: %s\n",
			     isup_link_cfg(l)->name, first, k, strerror(-rc));
		first += k;
		n -= k;
	}
}

static void block_all(void)
{
	struct isup_vty_linkset *ls;

	llist_for_each_entry(ls, &isup_vty_linksets, list)
	{
		struct isup_cic_table *t;
		struct isup_cic *c = NULL;
		unsigned first = 0, n = 0;

		if (!ls->link)
			continue;
		t = isup_link_cics(ls->link);
		while ((c = isup_cic_next(t, c))) {
			if (!c->configured || (c->blocked & ISUP_BLK_LOCAL_MAINT))
				continue;
			if (n && c->cic == first + n) {
				n++;
				continue;
			}
			if (n)
				block_run(ls->link, first, n);
			first = c->cic;
			n = 1;
		}
		if (n)
			block_run(ls->link, first, n);
	}
}

/* true: keep the loop running, the spool is being sent */
static bool cdr_flush_wait(void)
{
	uint64_t now = loop_now_ns(), left = iw_cdr_pg_backlog();

	if (!dr.cdr_until_ns) {
		if (!iw_cdr_pg_flush())
			return false;
		dr.cdr_until_ns = now + DRAIN_CDR_FLUSH_NS;
		dr.cdr_from = left;
		LOGP(DMAIN, LOGL_NOTICE,
		     "shutdown graceful: sending %" PRIu64
		     " CDR(s) from the spool to the database (at most %llu s)\n",
		     left, DRAIN_CDR_FLUSH_NS / 1000000000ull);
		return true;
	}
	if (iw_cdr_pg_flush() && now < dr.cdr_until_ns)
		return true;
	if (left)
		LOGP(DMAIN, LOGL_NOTICE,
		     "shutdown graceful: %" PRIu64
		     " CDR(s) stay in the spool for the next start (database %s)\n",
		     left, iw_cdr_pg_state());
	else
		LOGP(DMAIN, LOGL_NOTICE,
		     "shutdown graceful: %" PRIu64 " CDR(s) sent to the database, spool empty\n",
		     dr.cdr_from);
	return false;
}

static void tick(void *priv)
{
	unsigned up = dr.iw ? iw_active_calls(dr.iw) : 0;

	(void)priv;
	if (!up && cdr_flush_wait()) {
		loop_timer_schedule(dr.loop, &dr.tick, 100000);
		return;
	}
	if (!up) {
		/* the drain's figures go with the process: said here */
		LOGP(DMAIN, LOGL_NOTICE,
		     "shutdown graceful: no call left, stopping (%" PRIu64
		     " OPTIONS answered 503)\n",
		     dr.options_refused);
		loop_stop(dr.loop);
		return;
	}
	if (dr.deadline && time(NULL) >= dr.deadline) {
		LOGP(DMAIN, LOGL_NOTICE,
		     "shutdown graceful: timeout with %u call(s) up, stopping\n", up);
		loop_stop(dr.loop);
		return;
	}
	loop_timer_schedule(dr.loop, &dr.tick, 200000);
}

unsigned iw_drain_start(unsigned timeout_s)
{
	unsigned up = dr.iw ? iw_active_calls(dr.iw) : 0;

	dr.deadline = timeout_s ? time(NULL) + (time_t)timeout_s : 0;
	if (!dr.loop || dr.active)
		return up;
	dr.active = true;
	LOGP(DMAIN, LOGL_NOTICE,
	     "shutdown graceful: %u call(s) up; refusing new calls, blocking circuits%s\n", up,
	     timeout_s ? "" : ", no timeout");
	block_all();
	loop_timer_init(&dr.tick, tick, NULL);
	loop_timer_schedule(dr.loop, &dr.tick, 100000);
	return up;
}

/* RFC 3261 21.5.4 / 20.33: out of service for a while, back after the
 * drain's deadline at the latest */
static void retry_after(char *hdrs, size_t len)
{
	time_t now = time(NULL);
	unsigned after = dr.deadline > now ? (unsigned)(dr.deadline - now) : 60;

	snprintf(hdrs, len, "Retry-After: %u\r\n", after < 1 ? 1 : after);
}

bool iw_drain_refuse_invite(struct sip_leg *leg)
{
	char hdr[96];
	struct sip_body b = {.headers = hdr};
	size_t n;

	if (!dr.active)
		return false;
	/* Q.850 41 names it for an interworking peer (RFC 3326) */
	retry_after(hdr, sizeof(hdr));
	n = strlen(hdr);
	snprintf(hdr + n, sizeof(hdr) - n, "Reason: Q.850;cause=41\r\n");
	sip_leg_respond(leg, 503, &b);
	return true;
}

unsigned iw_drain_options(char *hdrs, size_t len)
{
	if (!dr.active)
		return 200;
	retry_after(hdrs, len);
	dr.options_refused++;
	return 503;
}

static void drain_setup(void *priv, struct isup_call *c, const struct isup_msg *iam,
			const struct isup_number *called, const struct isup_number *calling)
{
	if (dr.active) {
		/* the circuit was seized before our CGB reached the far end */
		LOGP(DIW, LOGL_NOTICE, "shutdown graceful: IAM on CIC %u refused (cause 42)\n",
		     isup_call_cic(c));
		isup_call_release(c, ISUP_CAUSE_SWITCHING_EQUIPMENT_CONGESTION);
		return;
	}
	dr.inner->setup(priv, c, iam, called, calling);
}

const struct isup_call_ops *iw_drain_isup_ops(const struct isup_call_ops *inner)
{
	dr.inner = inner;
	dr.ops = *inner;
	dr.ops.setup = drain_setup;
	return &dr.ops;
}

void iw_drain_on_term(void *priv)
{
	(void)priv;
	if (!iw_drain_sigterm_graceful || dr.active) {
		/* a second SIGTERM while draining: stop now */
		loop_stop(dr.loop);
		return;
	}
	LOGP(DMAIN, LOGL_NOTICE, "SIGTERM: shutdown graceful, timeout %u s\n", iw_drain_sigterm_s);
	iw_drain_start(iw_drain_sigterm_s);
}
