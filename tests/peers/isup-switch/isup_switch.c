/* isup-switch: an independent ISUP switch for tandem's tests.
 *
 * The ISUP side is libss7 (Asterisk's ISUP, ITU and ANSI); it speaks MTP2 on
 * a datagram socketpair to isw_mtp.c, which carries ISUP to and from the
 * M3UA SG in isw_m3ua.c that tandem's ASP connects to.
 *
 * Usage:
 *   isup-switch --listen IP:PORT --variant itu|ansi --opc PC --dpc PC [--rc N]
 *               [--ni N] [--cics FIRST-LAST] [--timeout SECONDS] [--script FILE|-]
 *               [--auto-answer | --auto-release CAUSE] [--debug]
 *
 * Script commands (one per line, '#' starts a comment), see README.md.
 * Every event is one stdout line "EV NAME cic=N key=value...", commands echo
 * as "CMD ...", problems as "ERR ...", a main loop that ran a second or more
 * late as "LAG N ms". Exit 0: script done, every expect met;
 * 1: an expect or command failed; 3: --timeout expired.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libss7.h>

#include "isw.h"

#define MAX_CIC	     4096
#define MAX_EVENTS   4096
#define MAX_ARGS     8
#define IDLE_PUMP_MS 20

struct isw_cfg isw_cfg = {.ni = SS7_NI_NAT};

static struct ss7 *ss7;
static struct isup_call *calls[MAX_CIC];
static int cic_first = 1, cic_last = 31;
static bool auto_answer;
static int auto_release = -1;
static int64_t anm_due[MAX_CIC];
static bool outgoing[MAX_CIC];
/* the busy circuit's call is ours */ /* --auto-answer: when to send ANM, 0 = none */
static bool link_up;
static volatile sig_atomic_t got_term;

/* Why the link left service (EV LINK_DOWN reason=...): libss7's last error
 * line and when, whether its MTP2 went down, since when the link was up,
 * and how late the main loop has been running (a starved process). */
#define ERR_RECENT_MS 3000
#define LAG_WINDOW_MS 10000
#define LAG_SAY_MS    1000
#define ERR_KEEP      4
static struct {
	char text[200];
	int64_t ms;
} errs[ERR_KEEP]; /* libss7's last error lines, a ring */
static int errs_next;
static int64_t link_up_ms;
static bool mtp2_down_seen;
static int64_t lag_max_ms, lag_prev_ms, lag_since_ms;

/* Events seen so far; "expect" consumes the first matching one. */
static struct {
	char *line;
	bool used;
} evlog[MAX_EVENTS];
static int nev;

/* The script */
static int script_fd = -1;
static char sbuf[8192];
static size_t slen;
static bool script_eof;
/* the CIC of the event the last "expect" met ("ring last", "answer last") */
static long expect_cic = -1;
static enum { W_NONE, W_LINK, W_EXPECT, W_SLEEP } waiting;
static int64_t wait_until;
static char wait_args[512];

int64_t isw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void isw_out(const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s\n", line);
	fflush(stdout);
	if (!strncmp(line, "EV ", 3) && nev < MAX_EVENTS)
		evlog[nev++].line = strdup(line + 3);
}

/* --dpc-cics PC:FIRST-LAST: those CICs are circuits toward PC (another
 * exchange reached through the same STP), the rest toward --dpc. */
#define MAX_DPC_MAP 4
static struct {
	uint32_t pc;
	int first, last;
} dpc_map[MAX_DPC_MAP];
static int n_dpc_map;

static uint32_t dpc_of(int cic)
{
	for (int i = 0; i < n_dpc_map; i++)
		if (cic >= dpc_map[i].first && cic <= dpc_map[i].last)
			return dpc_map[i].pc;
	return isw_cfg.dpc;
}

static bool cic_ok(int cic)
{
	return cic >= cic_first && cic <= cic_last && cic < MAX_CIC;
}

/* libss7 callbacks */
static void cb_message(struct ss7 *s, char *msg)
{
	(void)s;
	if (isw_cfg.debug)
		fprintf(stderr, "%s", msg);
}

static void cb_error(struct ss7 *s, char *msg)
{
	size_t n;

	(void)s;
	fprintf(stderr, "libss7: %s", msg);
	snprintf(errs[errs_next].text, sizeof(errs[0].text), "%s", msg);
	n = strcspn(errs[errs_next].text, "\r\n");
	errs[errs_next].text[n] = 0;
	errs[errs_next].ms = isw_now_ms();
	errs_next = (errs_next + 1) % ERR_KEEP;
}

/* A libss7 error line of the last few seconds containing `what`. */
static bool recent_err(int64_t now, const char *what)
{
	int i;

	for (i = 0; i < ERR_KEEP; i++)
		if (errs[i].text[0] && now - errs[i].ms < ERR_RECENT_MS &&
		    strstr(errs[i].text, what))
			return true;
	return false;
}

int64_t isw_loop_lag_ms(void)
{
	return lag_max_ms > lag_prev_ms ? lag_max_ms : lag_prev_ms;
}

/* The main loop woke up `late` ms after it meant to: keep the worst of the
 * current and the previous window. */
static void note_lag(int64_t now, int64_t late)
{
	if (now - lag_since_ms >= LAG_WINDOW_MS) {
		lag_prev_ms = lag_max_ms;
		lag_max_ms = 0;
		lag_since_ms = now;
	}
	if (late > lag_max_ms)
		lag_max_ms = late;
}

/* libss7 reported its linkset down: say why, as far as it can be told. The
 * usual causes: Q.703 T7 (excessive delay of acknowledgement) when an MSU
 * is not acknowledged in time, a failed Q.707 signalling link test (SLTA
 * not received twice), or MTP2 leaving service on a timer of its own
 * (no error line then). */
static void report_link_down(void)
{
	int64_t now = isw_now_ms();
	const char *why;
	int i, k;

	if (recent_err(now, "T7 expired"))
		why = "mtp2-t7";
	else if (recent_err(now, "Q707 T1"))
		why = "slt-failed";
	else if (mtp2_down_seen)
		why = "mtp2-out-of-service";
	else
		why = "mtp3";
	isw_out("EV LINK_DOWN reason=%s up_ms=%lld lag_ms=%lld", why,
		(long long)(link_up_ms ? now - link_up_ms : -1), (long long)isw_loop_lag_ms());
	for (i = 0; i < ERR_KEEP; i++) {
		k = (errs_next + i) % ERR_KEEP;
		if (errs[k].text[0] && now - errs[k].ms < ERR_RECENT_MS)
			isw_out("ERR libss7 before LINK_DOWN: %s", errs[k].text);
		errs[k].text[0] = 0; /* told once */
	}
	mtp2_down_seen = false;
}

static void cb_call_null(struct ss7 *s, struct isup_call *c, int lock)
{
	int i;

	(void)s;
	(void)lock;
	for (i = 0; i < MAX_CIC; i++)
		if (calls[i] == c)
			calls[i] = NULL;
}

static void cb_notinservice(struct ss7 *s, int cic, unsigned int dpc)
{
	(void)s;
	isw_out("EV NOTINSERVICE cic=%d dpc=%u", cic, dpc);
}

/* libss7 asks the switch to clear a circuit (timer expiry, unexpected
 * message, dual seizure). */
static int cb_hangup(struct ss7 *s, int cic, unsigned int dpc, int cause, int do_hangup)
{
	struct isup_call *c;

	if (!cic_ok(cic))
		return SS7_CIC_NOT_EXISTS;
	c = calls[cic];
	isw_out("EV HANGUP cic=%d cause=%d action=%d", cic, cause, do_hangup);
	if (!c)
		return SS7_CIC_IDLE;
	switch (do_hangup) {
	case SS7_HANGUP_SEND_REL:
		isup_rel(s, c, cause);
		break;
	case SS7_HANGUP_SEND_RLC:
		isup_rlc(s, c);
		calls[cic] = isup_free_call_if_clear(s, c);
		break;
	case SS7_HANGUP_FREE_CALL:
		calls[cic] = NULL;
		isup_free_call(s, c);
		break;
	case SS7_HANGUP_REEVENT_IAM:
		/* Q.764 2.10.1.4: dual seizure, the other side controls this circuit */
		isup_event_iam(s, c, (int)dpc);
		break;
	default:
		break;
	}
	return SS7_CIC_USED;
}

/* After an event: keep the call while it is busy, else let libss7 free it. */
static void settle(int cic, struct isup_call *c)
{
	struct isup_call *left;

	if (!c)
		return;
	left = isup_free_call_if_clear(ss7, c);
	if (cic >= 0 && cic < MAX_CIC)
		calls[cic] = left;
}

static void forget_range(int first, int last, struct isup_call *keep)
{
	int i;

	for (i = first; i <= last && i < MAX_CIC; i++) {
		if (i >= 0 && calls[i] && calls[i] != keep) {
			isup_free_call(ss7, calls[i]);
			calls[i] = NULL;
		}
		if (i >= 0)
			anm_due[i] = 0;
	}
}

static const char *strip_st(const char *num, char *out, size_t outsz, bool *st)
{
	size_t n = strlen(num);

	*st = n && num[n - 1] == '#';
	snprintf(out, outsz, "%.*s", (int)(*st ? n - 1 : n), num);
	return out;
}

static void on_iam(ss7_event *e)
{
	char called[64];
	bool st;
	int cic = e->iam.cic;

	strip_st(e->iam.called_party_num, called, sizeof(called), &st);
	if (e->iam.redirecting_num[0] || e->iam.orig_called_num[0])
		isw_out("EV IAM cic=%d called=%s calling=%s cpc=%u nai=%u calling_nai=%u pres=%u "
			"st=%d redir=%s redir_reason=%u redir_counter=%u ocn=%s scr=%u",
			cic, called, e->iam.calling_party_num, e->iam.calling_party_cat,
			e->iam.called_nai, e->iam.calling_nai, e->iam.presentation_ind, st,
			e->iam.redirecting_num, e->iam.redirect_info_reas,
			e->iam.redirect_info_counter, e->iam.orig_called_num, e->iam.screening_ind);
	else
		isw_out("EV IAM cic=%d called=%s calling=%s cpc=%u nai=%u calling_nai=%u pres=%u "
			"st=%d scr=%u",
			cic, called, e->iam.calling_party_num, e->iam.calling_party_cat,
			e->iam.called_nai, e->iam.calling_nai, e->iam.presentation_ind, st,
			e->iam.screening_ind);
	if (!cic_ok(cic)) {
		isw_out("ERR IAM on unequipped CIC %d: UCIC sent", cic);
		isup_ucic(ss7, cic, e->iam.opc);
		isup_free_call(ss7, e->iam.call);
		return;
	}
	calls[cic] = e->iam.call;
	outgoing[cic] = false;
	if (auto_release >= 0) {
		isup_rel(ss7, e->iam.call, auto_release);
	} else if (auto_answer) {
		isup_acm(ss7, e->iam.call);
		anm_due[cic] = isw_now_ms() + 200;
	}
}

static void range_status(unsigned char *st, int n, unsigned char v)
{
	memset(st, v, (size_t)n);
}

static void handle_event(ss7_event *e)
{
	unsigned char st[256];
	int i, n;

	switch (e->e) {
	case SS7_EVENT_UP:
		link_up = true;
		link_up_ms = isw_now_ms();
		mtp2_down_seen = false;
		isw_out("EV LINK_UP");
		isw_m3ua_dest(true);
		break;
	case SS7_EVENT_DOWN:
		link_up = false;
		report_link_down();
		isw_m3ua_dest(false);
		break;
	case MTP2_LINK_DOWN:
		mtp2_down_seen = true;
		break;
	case MTP2_LINK_UP:
		break;
	case ISUP_EVENT_IAM:
		on_iam(e);
		break;
	case ISUP_EVENT_SAM:
		isw_out("EV SAM cic=%d called=%s", e->sam.cic, e->sam.called_party_num);
		break;
	case ISUP_EVENT_ACM:
		isw_out("EV ACM cic=%d echo=%u", e->acm.cic, e->acm.echocontrol_ind);
		break;
	case ISUP_EVENT_CPG:
		isw_out("EV CPG cic=%d event=%u", e->cpg.cic, e->cpg.event);
		break;
	case ISUP_EVENT_ANM:
		isw_out("EV ANM cic=%d", e->anm.cic);
		break;
	case ISUP_EVENT_CON:
		isw_out("EV CON cic=%d echo=%u", e->con.cic, e->con.echocontrol_ind);
		break;
	case ISUP_EVENT_REL:
		isw_out("EV REL cic=%d cause=%d", e->rel.cic, e->rel.cause);
		/* Q.764 2.3.1 d): answer REL with RLC and free the circuit */
		isup_rlc(ss7, e->rel.call);
		if (e->rel.cic >= 0 && e->rel.cic < MAX_CIC) {
			calls[e->rel.cic] = NULL;
			anm_due[e->rel.cic] = 0;
		}
		isup_free_call(ss7, e->rel.call);
		break;
	case ISUP_EVENT_RLC:
		isw_out("EV RLC cic=%d", e->rlc.cic);
		settle(e->rlc.cic, e->rlc.call);
		break;
	case ISUP_EVENT_RSC:
		isw_out("EV RSC cic=%d", e->rsc.cic);
		/* Q.764 2.9.3.1: reset -> idle, RLC */
		isup_rlc(ss7, e->rsc.call);
		forget_range(e->rsc.cic, e->rsc.cic, e->rsc.call);
		if (e->rsc.cic >= 0 && e->rsc.cic < MAX_CIC)
			calls[e->rsc.cic] = NULL;
		isup_free_call(ss7, e->rsc.call);
		break;
	case ISUP_EVENT_GRS:
		n = e->grs.endcic - e->grs.startcic;
		isw_out("EV GRS cic=%d range=%d", e->grs.startcic, n);
		/* Q.764 2.9.3.2: all circuits of the range idle; GRA with no
		 * circuit locally blocked */
		range_status(st, n + 1, 0);
		isup_gra(ss7, e->grs.call, e->grs.endcic, st);
		forget_range(e->grs.startcic, e->grs.endcic, e->grs.call);
		if (e->grs.startcic >= 0 && e->grs.startcic < MAX_CIC)
			calls[e->grs.startcic] = NULL;
		isup_free_call(ss7, e->grs.call);
		break;
	case ISUP_EVENT_GRA:
		isw_out("EV GRA cic=%d range=%d", e->gra.startcic, e->gra.endcic - e->gra.startcic);
		settle(e->gra.startcic, e->gra.call);
		break;
	case ISUP_EVENT_BLO:
		isw_out("EV BLO cic=%d", e->blo.cic);
		isup_bla(ss7, e->blo.call);
		settle(e->blo.cic, e->blo.call);
		break;
	case ISUP_EVENT_BLA:
		isw_out("EV BLA cic=%d", e->bla.cic);
		settle(e->bla.cic, e->bla.call);
		break;
	case ISUP_EVENT_UBL:
		isw_out("EV UBL cic=%d", e->ubl.cic);
		isup_uba(ss7, e->ubl.call);
		settle(e->ubl.cic, e->ubl.call);
		break;
	case ISUP_EVENT_UBA:
		isw_out("EV UBA cic=%d", e->uba.cic);
		settle(e->uba.cic, e->uba.call);
		break;
	case ISUP_EVENT_CGB:
	case ISUP_EVENT_CGU:
		n = e->cgb.endcic - e->cgb.startcic;
		isw_out("EV %s cic=%d range=%d type=%d", e->e == ISUP_EVENT_CGB ? "CGB" : "CGU",
			e->cgb.startcic, n, e->cgb.type);
		/* Q.764 2.8.2: acknowledge the circuits the status marks */
		for (i = 0; i <= n && i < 255; i++)
			st[i] = e->cgb.status[i];
		if (e->e == ISUP_EVENT_CGB)
			isup_cgba(ss7, e->cgb.call, e->cgb.endcic, st);
		else
			isup_cgua(ss7, e->cgb.call, e->cgb.endcic, st);
		settle(e->cgb.startcic, e->cgb.call);
		break;
	case ISUP_EVENT_CGBA:
	case ISUP_EVENT_CGUA:
		isw_out("EV %s cic=%d range=%d", e->e == ISUP_EVENT_CGBA ? "CGBA" : "CGUA",
			e->cgba.startcic, e->cgba.endcic - e->cgba.startcic);
		settle(e->cgba.startcic, e->cgba.call);
		break;
	case ISUP_EVENT_CQM:
		n = e->cqm.endcic - e->cqm.startcic;
		isw_out("EV CQM cic=%d range=%d", e->cqm.startcic, n);
		/* Q.763 3.14 circuit state: DC 11 idle, 01 incoming busy, 10
		 * outgoing busy; DC 00 with BA 11 unequipped */
		for (i = 0; i <= n && i < 255; i++) {
			int c = e->cqm.startcic + i;

			if (!cic_ok(c))
				st[i] = 0x03;
			else if (!calls[c] || c == e->cqm.startcic)
				st[i] = 0x0c;
			else
				st[i] = outgoing[c] ? 0x08 : 0x04;
		}
		isup_cqr(ss7, e->cqm.startcic, e->cqm.endcic, e->cqm.opc, st);
		settle(e->cqm.startcic, e->cqm.call);
		break;
	case ISUP_EVENT_UCIC:
		isw_out("EV UCIC cic=%d", e->ucic.cic);
		settle(e->ucic.cic, e->ucic.call);
		break;
	case ISUP_EVENT_COT:
		isw_out("EV COT cic=%d passed=%d", e->cot.cic, e->cot.passed);
		break;
	case ISUP_EVENT_CCR:
		isw_out("EV CCR cic=%d", e->ccr.cic);
		break;
	case ISUP_EVENT_DIGITTIMEOUT:
		isw_out("EV DIGITTIMEOUT cic=%d", e->digittimeout.cic);
		break;
	case ISUP_EVENT_SUS:
	case ISUP_EVENT_RES:
		isw_out("EV %s cic=%d", e->e == ISUP_EVENT_SUS ? "SUS" : "RES", e->sus.cic);
		break;
	default:
		isw_out("EV OTHER name=%s", ss7_event2str(e->e));
		break;
	}
}

/* The optional part at isup[at] (Q.763 1.3: code, length, value; 0 ends
 * it): its codes as hex into out ("29,2c"), and the OBCI value (-1: none). */
static int opt_codes(const uint8_t *isup, size_t len, size_t at, char *out, size_t size)
{
	int obci = -1;
	size_t o = 0;

	out[0] = '\0';
	while (at + 1 < len && isup[at]) {
		if (at + 2 + isup[at + 1] > len)
			break;
		if (isup[at] == 0x29 && isup[at + 1] == 1)
			obci = isup[at + 2];
		if (o + 4 < size)
			o += (size_t)snprintf(out + o, size - o, "%s%02x", o ? "," : "", isup[at]);
		at += 2 + (size_t)isup[at + 1];
	}
	if (!out[0])
		snprintf(out, size, "-");
	return obci;
}

/* What libss7 does not tell of backward messages (SIP-I checks, Q.1912.5):
 * ACM/CON backward call indicators and optional ones, CPG event, REL cause
 * location, each as the wire has it. */
static void sniff_params(int cic, const uint8_t *isup, size_t len)
{
	char opts[64];
	int obci;

	switch (isup[2]) {
	case 0x01: /* IAM: the optional part pointer is octet 9 in both variants
		    * (ITU: 5 fixed octets, called; ANSI: 4, USI, called) */
		if (len < 10)
			return;
		if (isup[9]) {
			size_t at = 9 + (size_t)isup[9];

			opt_codes(isup, len, at, opts, sizeof(opts));
			/* the codes no Q.763 or T1.113 parameter uses, with
			 * their values: what a transit exchange carried on */
			for (; at + 1 < len && isup[at] && at + 2 + isup[at + 1] <= len;
			     at += 2 + (size_t)isup[at + 1]) {
				char hex[2 * 255 + 1];

				if (isup[at] < 0xf0)
					continue;
				for (unsigned k = 0; k < isup[at + 1]; k++)
					snprintf(hex + 2 * k, 3, "%02x", isup[at + 2 + k]);
				hex[2 * isup[at + 1]] = 0;
				isw_out("EV IAMX cic=%d code=%02x val=%s", cic, isup[at],
					isup[at + 1] ? hex : "-");
			}
		} else {
			snprintf(opts, sizeof(opts), "-");
		}
		isw_out("EV IAMP cic=%d opt=%s", cic, opts);
		break;
	case 0x06: /* ACM: BCI (2), pointer to the optional part */
	case 0x07: /* CON: the same */
		if (len < 6)
			return;
		obci = isup[5] ? opt_codes(isup, len, 5 + (size_t)isup[5], opts, sizeof(opts)) : -1;
		if (!isup[5])
			snprintf(opts, sizeof(opts), "-");
		isw_out("EV %sP cic=%d bci=%02x%02x obci=%d opt=%s", isup[2] == 6 ? "ACM" : "CON",
			cic, isup[3], isup[4], obci, opts);
		break;
	case 0x09: /* ANM: the optional part only */
		if (len < 4)
			return;
		if (isup[3])
			opt_codes(isup, len, 3 + (size_t)isup[3], opts, sizeof(opts));
		else
			snprintf(opts, sizeof(opts), "-");
		isw_out("EV ANMP cic=%d opt=%s", cic, opts);
		break;
	case 0x2c: /* CPG: event information (1), pointer to the optional part */
		if (len < 5)
			return;
		isw_out("EV CPGP cic=%d event=%u", cic, isup[3]);
		break;
	case 0x0c: { /* REL: pointer to the cause, pointer to the optional part */
		size_t at;
		char rn[48], ri[16];

		if (len < 5 || !isup[3])
			return;
		at = 3 + (size_t)isup[3];
		if (at + 2 >= len || isup[at] < 2 || at + 1 + isup[at] > len)
			return;
		/* octet 1 (location); 1a when its extension bit is 0; then the cause;
		 * of the optional part the redirection number (Q.763 3.46: NOA,
		 * then BCD digits) and redirection information (3.45) */
		rn[0] = ri[0] = '\0';
		for (size_t o = len > 4 && isup[4] ? 4 + (size_t)isup[4] : len;
		     o + 1 < len && isup[o] && o + 2 + isup[o + 1] <= len;
		     o += 2 + (size_t)isup[o + 1]) {
			const uint8_t *v = isup + o + 2;
			unsigned vl = isup[o + 1], nd, k = 0;

			if (isup[o] == 0x0c && vl >= 2) {
				nd = (vl - 2) * 2 - ((v[0] & 0x80) ? 1 : 0);
				k = (unsigned)snprintf(rn, sizeof(rn), " rn=%u:", v[0] & 0x7f);
				for (unsigned d = 0; d < nd && k + 1 < sizeof(rn); d++)
					rn[k++] = "0123456789ABCDEF"[(v[2 + d / 2] >>
								      (d % 2 ? 4 : 0)) &
								     0x0f];
				rn[k] = '\0';
			} else if (isup[o] == 0x13 && vl == 2) {
				snprintf(ri, sizeof(ri), " ri=%02x%02x", v[0], v[1]);
			}
		}
		isw_out("EV RELP cic=%d loc=%u cause=%u len=%u%s%s", cic, isup[at + 1] & 0x0f,
			isup[at + 1 + ((isup[at + 1] & 0x80) ? 1 : 2)] & 0x7f, isup[at], rn, ri);
		break;
	}
	default:
		break;
	}
}

/* Messages libss7 does not report (CQR, CFN): read from the raw ISUP. */
/* "mute": ISUP from tandem for these circuits never reaches libss7 (a
 * switch that does not answer: T1/T5), or for all of them (the script
 * plays the switch with "raw" messages: glare, overlap). */
static bool muted[MAX_CIC], mute_all;

bool isw_sniff_rx_isup(const uint8_t *isup, size_t len)
{
	int cic;

	if (len < 3)
		return true;
	cic = isup[0] | ((isup[1] & (isw_cfg.ansi ? 0x3f : 0x0f)) << 8);
	/* every message, by its Q.763 type code, for what libss7 does not
	 * report or never sees */
	isw_out("EV RX cic=%d type=%u%s", cic, isup[2],
		mute_all || (cic < MAX_CIC && muted[cic]) ? " muted=1" : "");
	sniff_params(cic, isup, len);
	switch (isup[2]) {
	case 0x04: /* INF */
		isw_out("EV INF cic=%d", cic);
		break;
	case 0x2b: /* CQR: range and status, circuit state indicators */
		if (len >= 5 && isup[3] && (size_t)3 + isup[3] < len) {
			const uint8_t *rs = isup + 3 + isup[3];
			isw_out("EV CQR cic=%d range=%u", cic, rs[0] ? rs[1] : 0);
		} else {
			isw_out("EV CQR cic=%d", cic);
		}
		break;
	case 0x2f: /* CFN */
		if (len >= 6 && isup[3] && (size_t)3 + isup[3] + 2 < len)
			isw_out("EV CFN cic=%d cause=%u", cic, isup[3 + isup[3] + 2] & 0x7f);
		else
			isw_out("EV CFN cic=%d", cic);
		break;
	default:
		break;
	}
	return !(mute_all || (cic < MAX_CIC && muted[cic]));
}

/* "raw CIC HEX": the message after the CIC (type, then its parts), by hand
 * through MTP: what libss7 cannot send (an IAM without ST, SAM, an unknown
 * type) or must not know about (glare). */
static int send_raw(int cic, const char *hex)
{
	uint8_t isup[272];
	size_t n = 2, hl = strlen(hex);
	struct isw_pdu p = {.opc = isw_cfg.opc,
			    .dpc = dpc_of(cic),
			    .si = 5,
			    .ni = isw_cfg.ni,
			    .mp = 0,
			    .sls = (uint8_t)(cic & 0x0f),
			    .data = isup};

	if (hl % 2 || hl / 2 + 2 > sizeof(isup) || hl == 0)
		return -1;
	isup[0] = cic & 0xff;
	isup[1] = (uint8_t)((cic >> 8) & (isw_cfg.ansi ? 0x3f : 0x0f));
	for (size_t i = 0; i < hl; i += 2) {
		unsigned x;

		if (sscanf(hex + i, "%2x", &x) != 1)
			return -1;
		isup[n++] = (uint8_t)x;
	}
	p.len = n;
	return isw_m3ua_tx_data(&p) < 0 ? -1 : 0;
}

static int ss7_fd;

/* libss7 keeps at most 16 events: they are taken after every signal unit it
 * reads (isw_mtp.c), else a burst from tandem (132 GRS, 20 RLC at once)
 * overflows the queue and libss7 drops events ("Event queue full"), which
 * looked like tandem failing to answer or release calls */
void isw_drain_events(void)
{
	ss7_event *e;

	while ((e = ss7_check_event(ss7)))
		handle_event(e);
}

/* libss7 writes one signal unit per ss7_write (a FISU when it has nothing
 * queued): keep writing while MSUs come out so that they leave at once. */
static void pump(void)
{
	int i;

	for (i = 0; i < 64; i++) {
		isw_drain_events();
		if (ss7_write(ss7, ss7_fd) < 0)
			break;
		isw_mtp_rx();
		if (!isw_mtp_last_rx_was_msu())
			break;
	}
	isw_drain_events();
}

/* ---- commands ---- */

static int nargs(char *line, char **av)
{
	int n = 0;
	char *save = NULL, *t;

	for (t = strtok_r(line, " \t\r\n", &save); t && n < MAX_ARGS;
	     t = strtok_r(NULL, " \t\r\n", &save))
		av[n++] = t;
	return n;
}

static bool parse_int(const char *s, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, 0);
	return s[0] && !*end && !errno;
}

static struct isup_call *call_for(int cic, bool out)
{
	if (!calls[cic]) {
		calls[cic] = isup_new_call(ss7, cic, dpc_of(cic), out);
		outgoing[cic] = out;
	}
	return calls[cic];
}

static bool event_matches(const char *line, int ac, char **av)
{
	char name[32];
	int i;
	size_t n = strcspn(line, " ");

	snprintf(name, sizeof(name), "%.*s", (int)n, line);
	if (strcasecmp(name, av[0]))
		return false;
	for (i = 1; i < ac; i++) {
		char want[96];
		const char *p;
		size_t wl;

		if (strchr(av[i], '='))
			snprintf(want, sizeof(want), " %s", av[i]);
		else if (i == 1 && strcmp(av[i], "-") && strcmp(av[i], "*"))
			snprintf(want, sizeof(want), " cic=%s", av[i]);
		else
			continue;
		wl = strlen(want);
		for (p = strstr(line, want); p; p = strstr(p + 1, want))
			if (p[wl] == ' ' || p[wl] == 0)
				break;
		if (!p)
			return false;
	}
	return true;
}

/* expect EVENT [CIC|-] [SECS] [key=value]... */
static bool expect_check(void)
{
	char buf[512], *av[MAX_ARGS];
	int ac, i, j, k = 0;
	char *mav[MAX_ARGS];

	snprintf(buf, sizeof(buf), "%s", wait_args);
	ac = nargs(buf, av);
	/* matching arguments: the name, the CIC, key=value; not the timeout */
	for (i = 0; i < ac; i++)
		if (!(i == 2 && !strchr(av[i], '=')))
			mav[k++] = av[i];
	for (j = 0; j < nev; j++) {
		if (!evlog[j].used && event_matches(evlog[j].line, k, mav)) {
			const char *c = strstr(evlog[j].line, " cic=");

			evlog[j].used = true;
			expect_cic = c ? strtol(c + 5, NULL, 10) : -1;
			return true;
		}
	}
	return false;
}

static int cmd_range(char **av, int ac, int *first, int *last)
{
	long c, r = 0;

	/* "last": the CIC of the event the last expect met, so a script can
	 * answer a call the moment its IAM comes, whatever CIC it took */
	if (ac >= 2 && !strcmp(av[1], "last")) {
		if (expect_cic < 0)
			return -1;
		c = expect_cic;
	} else if (ac < 2 || !parse_int(av[1], &c)) {
		return -1;
	}
	if ((ac > 2 && !parse_int(av[2], &r)) || r < 0 || r > 31 || c < 0 || c + r >= MAX_CIC)
		return -1;
	*first = (int)c;
	*last = (int)(c + r);
	return 0;
}

static void show_cb(int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdprintf(fd, fmt, ap);
	va_end(ap);
}

/* Returns 0 done, 1 now waiting, -1 failed. */
static int run_cmd(char *line)
{
	char *av[MAX_ARGS], copy[512];
	int ac, first, last;
	long v, w;
	unsigned char st[32];
	struct isup_call *c;

	snprintf(copy, sizeof(copy), "%s", line);
	ac = nargs(line, av);
	if (ac == 0 || av[0][0] == '#')
		return 0;
	isw_out("CMD %s", copy);
	if (!strcmp(av[0], "quit")) {
		script_eof = true;
		return 0;
	}
	if (!strcmp(av[0], "sleep")) {
		if (ac < 2 || !parse_int(av[1], &v))
			goto usage;
		waiting = W_SLEEP;
		wait_until = isw_now_ms() + v;
		return 1;
	}
	if (!strcmp(av[0], "auto-release")) {
		/* auto-release CAUSE|off: the cause every IAM is refused with */
		if (ac > 1 && !strcmp(av[1], "off")) {
			auto_release = -1;
			return 0;
		}
		if (ac < 2 || !parse_int(av[1], &v) || v < 1 || v > 127)
			goto usage;
		auto_release = (int)v;
		return 0;
	}
	if (!strcmp(av[0], "wait-link")) {
		w = 10;
		if (ac > 1 && !parse_int(av[1], &w))
			goto usage;
		waiting = W_LINK;
		wait_until = isw_now_ms() + w * 1000;
		return 1;
	}
	if (!strcmp(av[0], "expect")) {
		if (ac < 2)
			goto usage;
		w = 10;
		if (ac > 3 && !strchr(av[3], '=') && !parse_int(av[3], &w))
			goto usage;
		snprintf(wait_args, sizeof(wait_args), "%s", copy + strlen("expect "));
		waiting = W_EXPECT;
		wait_until = isw_now_ms() + w * 1000;
		return 1;
	}
	if (!strcmp(av[0], "show")) {
		ss7_show_linkset(ss7, show_cb, 2);
		isup_show_calls(ss7, show_cb, 2);
		return 0;
	}
	if (!strcmp(av[0], "mute") || !strcmp(av[0], "unmute")) {
		bool on = av[0][0] == 'm';

		if (ac > 1 && !strcmp(av[1], "all")) {
			mute_all = on;
			return 0;
		}
		if (cmd_range(av, 2, &first, &last) < 0)
			goto usage;
		muted[first] = on;
		return 0;
	}
	if (!link_up) {
		isw_out("ERR %s: link not up", av[0]);
		return -1;
	}
	/* the range argument exists only for the group messages */
	if (cmd_range(av,
		      !strcmp(av[0], "grs") || !strcmp(av[0], "cgb") || !strcmp(av[0], "cgu") ||
				      !strcmp(av[0], "cqm")
			      ? ac
			      : (ac > 2 ? 2 : ac),
		      &first, &last) < 0)
		goto usage;
	if (!strcmp(av[0], "call")) {
		long nai = SS7_NAI_NATIONAL, cpc = 10, reason = 3, counter = 1, echo = 0,
		     pres = SS7_PRESENTATION_ALLOWED;
		const char *redir = NULL, *ocn = NULL;
		int i;

		if (ac < 3)
			goto usage;
		for (i = 4; i < ac; i++) {
			if (!strncmp(av[i], "nai=", 4))
				parse_int(av[i] + 4, &nai);
			else if (!strncmp(av[i], "cpc=", 4))
				parse_int(av[i] + 4, &cpc);
			else if (!strncmp(av[i], "redir=", 6))
				redir = av[i] + 6;
			else if (!strncmp(av[i], "ocn=", 4))
				ocn = av[i] + 4;
			else if (!strncmp(av[i], "reason=", 7))
				parse_int(av[i] + 7, &reason);
			else if (!strncmp(av[i], "counter=", 8))
				parse_int(av[i] + 8, &counter);
			else if (!strncmp(av[i], "echo=", 5))
				parse_int(av[i] + 5, &echo);
			else if (!strncmp(av[i], "pres=", 5))
				parse_int(av[i] + 5, &pres);
		}
		if (calls[first]) {
			isw_out("ERR call: CIC %d busy", first);
			return -1;
		}
		c = call_for(first, true);
		if (!c)
			return -1;
		isup_set_called(c, av[2], (unsigned char)nai, ss7);
		if (ac > 3 && strcmp(av[3], "-"))
			isup_set_calling(c, av[3], (unsigned char)nai, (unsigned char)pres,
					 SS7_SCREENING_NETWORK_PROVIDED);
		isup_set_calling_party_category(c, (unsigned int)cpc);
		/* NoCI: an (outgoing half) echo control device is included */
		isup_set_echocontrol(c, (unsigned char)echo);
		if (redir) {
			/* a diverted call (Q.763 3.44, 3.45): redirecting number and
			 * redirection information (indicator 3 "call diverted",
			 * redirecting reason as given) */
			isup_set_redirecting_number(c, redir, SS7_NAI_NATIONAL,
						    SS7_PRESENTATION_ALLOWED,
						    SS7_SCREENING_NETWORK_PROVIDED);
			isup_set_redirection_info(c, 3, (unsigned char)reason,
						  (unsigned char)counter, (unsigned char)reason);
			isup_set_redirect_counter(c, (unsigned char)counter);
		}
		if (ocn)
			isup_set_orig_called_num(c, ocn, SS7_NAI_NATIONAL, SS7_PRESENTATION_ALLOWED,
						 SS7_SCREENING_NETWORK_PROVIDED);
		return isup_iam(ss7, c) < 0 ? -1 : 0;
	}
	if (!strcmp(av[0], "raw")) {
		if (ac < 3 || send_raw(first, av[2]) < 0)
			goto usage;
		return 0;
	}
	if (!strcmp(av[0], "ring") || !strcmp(av[0], "answer") || !strcmp(av[0], "connect") ||
	    !strcmp(av[0], "progress") || !strcmp(av[0], "release") || !strcmp(av[0], "suspend") ||
	    !strcmp(av[0], "resume") || !strcmp(av[0], "inr")) {
		if (!calls[first]) {
			isw_out("ERR %s: no call on CIC %d", av[0], first);
			return -1;
		}
		c = calls[first];
		if (!strcmp(av[0], "ring")) {
			/* "ring CIC echo=1": BCI, an echo control device included */
			if (ac > 2 && !strcmp(av[2], "echo=1"))
				isup_set_echocontrol(c, 1);
			return isup_acm(ss7, c) < 0 ? -1 : 0;
		}
		if (!strcmp(av[0], "answer"))
			return isup_anm(ss7, c) < 0 ? -1 : 0;
		if (!strcmp(av[0], "connect"))
			return isup_con(ss7, c) < 0 ? -1 : 0;
		/* SUS/RES: suspend/resume indicators (Q.763 3.52), 1 network
		 * initiated (default), 0 ISDN subscriber initiated */
		if (!strcmp(av[0], "suspend"))
			return isup_sus(ss7, c, ac > 2 ? (unsigned char)atoi(av[2]) : 1) < 0 ? -1
											     : 0;
		if (!strcmp(av[0], "resume"))
			return isup_res(ss7, c, ac > 2 ? (unsigned char)atoi(av[2]) : 1) < 0 ? -1
											     : 0;
		/* INR: information request indicators (Q.763 3.29), first
		 * octet; default 0x01, calling party address requested */
		if (!strcmp(av[0], "inr"))
			return isup_inr(ss7, c, ac > 2 ? (unsigned char)strtol(av[2], NULL, 0) : 1,
					0) < 0
				       ? -1
				       : 0;
		if (!strcmp(av[0], "progress"))
			return isup_cpg(ss7, c, ac > 2 ? atoi(av[2]) : CPG_EVENT_ALERTING) < 0 ? -1
											       : 0;
		anm_due[first] = 0;
		return isup_rel(ss7, c, ac > 2 ? atoi(av[2]) : 16) < 0 ? -1 : 0;
	}
	memset(st, 1, sizeof(st));
	if (!strcmp(av[0], "grs")) {
		c = call_for(first, false);
		forget_range(first + 1, last, c);
		return isup_grs(ss7, c, last) < 0 ? -1 : 0;
	}
	if (!strcmp(av[0], "rsc"))
		return isup_rsc(ss7, call_for(first, false)) < 0 ? -1 : 0;
	if (!strcmp(av[0], "blo"))
		return isup_blo(ss7, call_for(first, false)) < 0 ? -1 : 0;
	if (!strcmp(av[0], "ubl"))
		return isup_ubl(ss7, call_for(first, false)) < 0 ? -1 : 0;
	if (!strcmp(av[0], "cgb"))
		return isup_cgb(ss7, call_for(first, false), last, st, 0) < 0 ? -1 : 0;
	if (!strcmp(av[0], "cgu"))
		return isup_cgu(ss7, call_for(first, false), last, st, 0) < 0 ? -1 : 0;
	if (!strcmp(av[0], "cqm")) {
		/* libss7 has no CQM sender: Q.763 table 36 by hand, through MTP */
		uint8_t isup[6];
		struct isw_pdu p = {.opc = isw_cfg.opc,
				    .dpc = dpc_of(first),
				    .si = 5,
				    .ni = isw_cfg.ni,
				    .mp = 0,
				    .sls = (uint8_t)(first & 0x0f),
				    .data = isup,
				    .len = sizeof(isup)};

		isup[0] = first & 0xff;
		isup[1] = (uint8_t)((first >> 8) & (isw_cfg.ansi ? 0x3f : 0x0f));
		isup[2] = 0x2a; /* CQM (Q.763 Table 4) */
		isup[3] = 1;	/* pointer to the range and status */
		isup[4] = 1;	/* length: range only */
		isup[5] = (uint8_t)(last - first);
		return isw_m3ua_tx_data(&p) < 0 ? -1 : 0;
	}
usage:
	isw_out("ERR bad command: %s", copy);
	return -1;
}

static int failed;

/* Run script lines until one blocks or the script ends. */
static void script_step(void)
{
	char *nl, line[512];
	int r;

	while (waiting == W_NONE && !script_eof) {
		nl = memchr(sbuf, '\n', slen);
		if (!nl)
			return;
		*nl = 0;
		snprintf(line, sizeof(line), "%.*s", (int)sizeof(line) - 1, sbuf);
		memmove(sbuf, nl + 1, slen - (size_t)(nl + 1 - sbuf));
		slen -= (size_t)(nl + 1 - sbuf);
		r = run_cmd(line);
		pump();
		if (r < 0)
			failed = 1;
	}
}

static void script_read(void)
{
	ssize_t n;

	if (slen >= sizeof(sbuf) - 1) {
		isw_out("ERR script line too long");
		script_eof = true;
		return;
	}
	n = read(script_fd, sbuf + slen, sizeof(sbuf) - 1 - slen);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		/* a last line without its newline still counts */
		if (slen && sbuf[slen - 1] != '\n')
			sbuf[slen++] = '\n';
		close(script_fd);
		script_fd = -1;
		return;
	}
	slen += (size_t)n;
}

/* A blocked command: met, still waiting, or failed (exit 1). */
static void wait_check(int64_t now)
{
	bool met = false;

	switch (waiting) {
	case W_NONE:
		return;
	case W_SLEEP:
		met = now >= wait_until;
		break;
	case W_LINK:
		met = link_up && isw_m3ua_active();
		break;
	case W_EXPECT:
		met = expect_check();
		break;
	}
	if (met) {
		waiting = W_NONE;
		return;
	}
	if (now >= wait_until) {
		if (waiting == W_LINK)
			isw_out("ERR wait-link: timeout (asp_active=%d link_up=%d)",
				isw_m3ua_active(), link_up);
		else
			isw_out("ERR expect %s: timeout", wait_args);
		failed = 1;
		waiting = W_NONE;
		script_eof = true; /* stop: later steps depend on this one */
	}
}

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int parse_pc(const char *s, uint32_t *pc)
{
	unsigned a, b, c;
	long v;

	if (sscanf(s, "%u-%u-%u", &a, &b, &c) == 3 || sscanf(s, "%u.%u.%u", &a, &b, &c) == 3) {
		/* ITU 3-8-3, ANSI network-cluster-member 8-8-8 */
		*pc = isw_cfg.ansi ? (a << 16 | b << 8 | c) : (a << 11 | b << 3 | c);
		return 0;
	}
	if (!parse_int(s, &v) || v < 0 || v > 0xffffff)
		return -1;
	*pc = (uint32_t)v;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: isup-switch --listen IP:PORT|--asp-sctp IP:PORT --variant itu|ansi --opc "
		"PC --dpc PC [--rc "
		"N]\n"
		"       [--ni 0-3] [--cics FIRST-LAST] [--dpc-cics PC:FIRST-LAST]...\n"
		"       [--timeout SECONDS] [--script FILE|-]\n"
		"       [--auto-answer | --auto-release CAUSE] [--debug]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *listen_addr = NULL, *asp_addr = NULL, *asp_local = NULL, *script = "-",
		   *opc_s = NULL, *dpc_s = NULL;
	long timeout = 30, v;
	int sp[2], i, np, rc;
	struct pollfd pfd[4];
	int64_t start, now, deadline, last_pump = 0, woke_by = 0;
	struct timeval *tv;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--auto-answer")) {
			auto_answer = true;
			continue;
		}
		if (!strcmp(a, "--debug")) {
			isw_cfg.debug = true;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (!strcmp(a, "--listen"))
			listen_addr = val;
		else if (!strcmp(a, "--asp-sctp"))
			asp_addr = val;
		else if (!strcmp(a, "--asp-local"))
			asp_local = val;
		else if (!strcmp(a, "--variant") && !strcmp(val, "itu"))
			isw_cfg.ansi = false;
		else if (!strcmp(a, "--variant") && !strcmp(val, "ansi"))
			isw_cfg.ansi = true;
		else if (!strcmp(a, "--opc"))
			opc_s = val;
		else if (!strcmp(a, "--dpc"))
			dpc_s = val;
		else if (!strcmp(a, "--rc") && parse_int(val, &v))
			isw_cfg.have_rc = true, isw_cfg.rc = (uint32_t)v;
		else if (!strcmp(a, "--ni") && parse_int(val, &v) && v >= 0 && v <= 3)
			isw_cfg.ni = (uint8_t)v;
		else if (!strcmp(a, "--cics") && sscanf(val, "%d-%d", &cic_first, &cic_last) == 2 &&
			 cic_first >= 0 && cic_last >= cic_first && cic_last < MAX_CIC)
			;
		else if (!strcmp(a, "--dpc-cics") && n_dpc_map < MAX_DPC_MAP) {
			char pc[32];
			int f, l;

			if (sscanf(val, "%31[^:]:%d-%d", pc, &f, &l) != 3 || f < 0 || l < f ||
			    parse_pc(pc, &dpc_map[n_dpc_map].pc) < 0)
				usage();
			dpc_map[n_dpc_map].first = f;
			dpc_map[n_dpc_map++].last = l;
		} else if (!strcmp(a, "--timeout") && parse_int(val, &timeout) && timeout > 0)
			;
		else if (!strcmp(a, "--script"))
			script = val;
		else if (!strcmp(a, "--auto-release") && parse_int(val, &v) && v >= 0 && v < 128)
			auto_release = (int)v;
		else
			usage();
	}
	if ((!listen_addr == !asp_addr) || !opc_s || !dpc_s || parse_pc(opc_s, &isw_cfg.opc) < 0 ||
	    parse_pc(dpc_s, &isw_cfg.dpc) < 0)
		usage();

	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);

	script_fd = strcmp(script, "-") ? open(script, O_RDONLY | O_CLOEXEC) : 0;
	if (script_fd < 0) {
		fprintf(stderr, "isup-switch: %s: %s\n", script, strerror(errno));
		return 2;
	}
	if (listen_addr && (rc = isw_m3ua_listen(listen_addr)) < 0) {
		fprintf(stderr, "isup-switch: listen %s: %s\n", listen_addr, strerror(-rc));
		return 2;
	}
	if (asp_addr && (rc = isw_m3ua_asp_sctp(asp_addr, asp_local)) < 0) {
		fprintf(stderr, "isup-switch: ASP over SCTP to %s: %s\n", asp_addr, strerror(-rc));
		return 2;
	}
	if (socketpair(AF_LOCAL, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0) {
		perror("socketpair");
		return 2;
	}
	fcntl(sp[0], F_SETFL, O_NONBLOCK);
	fcntl(sp[1], F_SETFL, O_NONBLOCK);
	ss7_fd = sp[0];

	ss7_set_message(cb_message);
	ss7_set_error(cb_error);
	/* libss7 calls these without NULL checks */
	ss7_set_hangup(cb_hangup);
	ss7_set_call_null(cb_call_null);
	ss7_set_notinservice(cb_notinservice);
	ss7 = ss7_new(isw_cfg.ansi ? SS7_ANSI : SS7_ITU);
	if (!ss7) {
		fprintf(stderr, "isup-switch: ss7_new failed\n");
		return 2;
	}
	if (isw_cfg.debug)
		ss7_set_debug(ss7, SS7_DEBUG_MTP2 | SS7_DEBUG_MTP3 | SS7_DEBUG_ISUP);
	ss7_set_network_ind(ss7, isw_cfg.ni);
	ss7_set_pc(ss7, isw_cfg.opc);
	if (ss7_add_link(ss7, SS7_TRANSPORT_DAHDIDCHAN, sp[0], 0, isw_cfg.dpc) < 0) {
		fprintf(stderr, "isup-switch: ss7_add_link failed\n");
		return 2;
	}
	isw_mtp_init(sp[1], sp[0], ss7);
	isw_out("READY listen=%s variant=%s opc=%u dpc=%u", listen_addr,
		isw_cfg.ansi ? "ansi" : "itu", isw_cfg.opc, isw_cfg.dpc);
	/* ss7_start() starts alignment of every link not marked in alarm (a new
	 * link is not). ss7_link_noalarm() on top would start it a second time:
	 * libss7 then schedules a second MTP2 T2 (Q.703 "not aligned", ITU 50 s,
	 * ANSI 11.5 s) over the first one's id, the first is never cancelled and
	 * takes the link out of service T2 after start, in the middle of a test. */
	ss7_start(ss7);

	start = isw_now_ms();
	deadline = start + timeout * 1000;
	while (!got_term) {
		int timeout_ms = IDLE_PUMP_MS;

		now = isw_now_ms();
		if (woke_by) {
			note_lag(now, now - woke_by);
			/* said as it happens: a test that failed on a late
			 * message tells the switch's stall from the script's */
			if (now - woke_by >= LAG_SAY_MS)
				isw_out("LAG %lld ms: the loop ran that late",
					(long long)(now - woke_by));
		}
		if (now >= deadline) {
			isw_out("ERR timeout after %ld s", timeout);
			rc = 3;
			goto out;
		}
		wait_check(now);
		script_step();
		if (script_fd < 0 && waiting == W_NONE && !memchr(sbuf, '\n', slen))
			script_eof = true;
		if (script_eof && waiting == W_NONE)
			break;

		if ((tv = ss7_schedule_next(ss7))) {
			struct timeval tnow;
			int64_t ms;

			gettimeofday(&tnow, NULL);
			ms = (tv->tv_sec - tnow.tv_sec) * 1000 +
			     (tv->tv_usec - tnow.tv_usec) / 1000;
			if (ms < timeout_ms)
				timeout_ms = ms < 0 ? 0 : (int)ms;
		}
		if (waiting != W_NONE && wait_until - now < timeout_ms)
			timeout_ms = wait_until - now < 0 ? 0 : (int)(wait_until - now);
		for (i = cic_first; i <= cic_last; i++)
			if (anm_due[i] && anm_due[i] - now < timeout_ms)
				timeout_ms = anm_due[i] - now < 0 ? 0 : (int)(anm_due[i] - now);

		np = isw_m3ua_pollfds(pfd);
		if (script_fd >= 0 && waiting == W_NONE)
			pfd[np++] = (struct pollfd){.fd = script_fd, .events = POLLIN};
		woke_by = isw_now_ms() + timeout_ms;
		if (poll(pfd, (nfds_t)np, timeout_ms) < 0 && errno != EINTR)
			break;
		isw_m3ua_handle(pfd, np);
		if (script_fd >= 0 && np && pfd[np - 1].fd == script_fd && pfd[np - 1].revents)
			script_read();

		now = isw_now_ms();
		ss7_schedule_run(ss7);
		for (i = cic_first; i <= cic_last; i++) {
			if (anm_due[i] && now >= anm_due[i]) {
				anm_due[i] = 0;
				if (calls[i])
					isup_anm(ss7, calls[i]);
			}
		}
		if (now - last_pump >= IDLE_PUMP_MS) {
			last_pump = now;
			isw_mtp_tick();
		}
		pump();
	}
	rc = failed ? 1 : 0;
	if (got_term)
		isw_out("EV STOP reason=signal");
out:
	isw_m3ua_close();
	ss7_destroy(ss7);
	close(sp[0]);
	close(sp[1]);
	for (i = 0; i < nev; i++)
		free(evlog[i].line);
	isw_out("EXIT %d", rc);
	return rc;
}
