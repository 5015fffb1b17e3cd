/* SIP transaction state machines (RFC 3261 17.1 and 17.2, RFC 6026). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <osmocom/core/fsm.h>
#include <osmocom/core/linuxlist.h>
#include <osmocom/core/logging.h>
#include <osmocom/core/talloc.h>
#include <osmocom/core/tdef.h>
#include <osmocom/core/timer.h>
#include <osmocom/core/utils.h>

#include "core/log.h"
#include "sip/sip_txn.h"

#define MAGIC_COOKIE "z9hG4bK"
/* 16,384: a UDP call leaves two server transactions for 32 s (Timer L of
 * the INVITE, RFC 6026; Timer J of the BYE): 64,000 at 1,000 CPS, a few per
 * bucket (at 1,024 a lookup walked ~20 at 300 CPS: 2 % of a tandem's CPU) */
#define N_BUCKETS 16384
/* client transactions by destination: a lost connection, or an ICMP
 * error whose quote names no transaction, names only the address, and
 * looks at the transactions toward it, not at every bucket. Over UDP only
 * those still without a response are in it (the only ones an ICMP error
 * concerns): a stream of forged errors naming a busy trunk walks the few
 * calls being set up toward it, not every transaction of the last 32 s. */
#define N_DBUCKETS 1024
#define BUILD_MAX  8192

/* Timer numbers in sip_txn_tdefs (letters as 1000 + position). */
enum {
	TT1 = 1,
	TT2 = 2,
	TT4 = 4,
	TA = 1001,
	TB = 1002,
	TD = 1004,
	TE = 1005,
	TF = 1006,
	TG = 1007,
	TH = 1008,
	TI = 1009,
	TJ = 1010,
	TK = 1011,
	TL = 1012,
	TM = 1013,
	T100 = 100,
};

/* A..M default to 0, meaning "as RFC 3261 derives it from T1/T4"; a
 * configured value overrides that. */
struct osmo_tdef sip_txn_tdefs[] = {
	{.T = TT1, .default_val = 500, .unit = OSMO_TDEF_MS, .desc = "T1: RTT estimate"},
	{.T = TT2,
	 .default_val = 4000,
	 .unit = OSMO_TDEF_MS,
	 .desc = "T2: maximum retransmit interval for non-INVITE requests and INVITE responses"},
	{.T = TT4,
	 .default_val = 5000,
	 .unit = OSMO_TDEF_MS,
	 .desc = "T4: maximum duration a message remains in the network"},
	{.T = TA,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer A: first INVITE retransmit interval (0: T1) (17.1.1.2)"},
	{.T = TB,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer B: INVITE transaction timeout (0: 64*T1) (17.1.1.2)"},
	{.T = TD,
	 .default_val = 32000,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer D: wait for response retransmits, >32 s; 0 on reliable transports "
		 "(17.1.1.2)"},
	{.T = TE,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer E: first non-INVITE retransmit interval (0: T1) (17.1.2.2)"},
	{.T = TF,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer F: non-INVITE transaction timeout (0: 64*T1) (17.1.2.2)"},
	{.T = TG,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer G: first INVITE response retransmit interval (0: T1) (17.2.1)"},
	{.T = TH,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer H: wait time for ACK receipt (0: 64*T1) (17.2.1)"},
	{.T = TI,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer I: wait time for ACK retransmits (0: T4); 0 on reliable (17.2.1)"},
	{.T = TJ,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer J: wait for non-INVITE request retransmits (0: 64*T1) (17.2.2)"},
	{.T = TK,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer K: wait for response retransmits (0: T4) (17.1.2.2)"},
	{.T = TL,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer L: wait for INVITE retransmits after a 2xx (0: 64*T1) (RFC 6026 8.7)"},
	{.T = TM,
	 .default_val = 0,
	 .unit = OSMO_TDEF_MS,
	 .desc = "Timer M: wait for 2xx retransmits in Accepted (0: 64*T1) (RFC 6026 8.4)"},
	{.T = T100,
	 .default_val = 200,
	 .unit = OSMO_TDEF_MS,
	 .desc = "100 Trying sent by the INVITE server transaction after this (17.2.1)"},
	{}};

enum txn_state {
	/* shared numbering for the four machines; each uses its own subset */
	S_CALLING,    /* ICT */
	S_TRYING,     /* NICT, NIST */
	S_PROCEEDING, /* all */
	S_COMPLETED,  /* all */
	S_CONFIRMED,  /* IST */
	S_ACCEPTED,   /* ICT, IST (RFC 6026) */
};

enum txn_event {
	E_RX_REQ,   /* retransmission of the request (server) */
	E_RX_ACK,   /* ACK (IST) */
	E_RX_1XX,   /* client */
	E_RX_2XX,   /* client */
	E_RX_FINAL, /* client: 300-699 (non-INVITE: 200-699) */
	E_TX_1XX,   /* server */
	E_TX_2XX,   /* server */
	E_TX_FINAL, /* server: 300-699 (non-INVITE: 200-699) */
	E_TRANSPORT_ERR,
};

static const struct value_string event_names[] = {
	{E_RX_REQ, "RX_REQUEST_RETRANSMISSION"},
	{E_RX_ACK, "RX_ACK"},
	{E_RX_1XX, "RX_1XX"},
	{E_RX_2XX, "RX_2XX"},
	{E_RX_FINAL, "RX_FINAL"},
	{E_TX_1XX, "TX_1XX"},
	{E_TX_2XX, "TX_2XX"},
	{E_TX_FINAL, "TX_FINAL"},
	{E_TRANSPORT_ERR, "TRANSPORT_ERROR"},
	{0, NULL},
};

struct sip_txn_layer {
	const struct sip_txn_layer_ops *ops;
	void *priv;
	struct osmo_tdef *tdefs;
	struct llist_head buckets[N_BUCKETS];
	struct llist_head dbuckets[N_DBUCKETS];
	uint32_t dseed; /* random: which addresses share a bucket is not known outside */
	unsigned count;
};

struct sip_txn {
	struct llist_head hlist;
	struct llist_head dlist; /* client: in the layer's dbuckets (in_dlist) */
	bool in_dlist;
	struct sip_txn_layer *tl;
	struct osmo_fsm_inst *fi;
	enum sip_txn_kind kind;
	struct sip_txn_dest dest;
	const struct sip_txn_user_ops *uops;
	void *tu;
	/* key: owned copies */
	char *branch, *method, *via_host;
	uint16_t via_port;
	bool rfc2543;
	char *call_id, *from_tag, *ruri;
	uint32_t cseq;
	/* the request, and the last response sent (server) */
	uint8_t *req, *rsp;
	size_t req_len, rsp_len;
	/* retransmission (A, E, G) and the 100 Trying delay */
	struct osmo_timer_list rtx, trying;
	unsigned rtx_ms;
	bool terminating;
	/* a send failed: the transport error reaches the TU in an event of its
	 * own (txn_send's callers go on using the transaction) */
	struct osmo_timer_list terr;
	bool terr_pending;
	/* UDP: datagrams it sent, and how many it had sent when an ICMP
	 * unreachable toward its address was first heard (0: none yet) */
	uint8_t sends, icmp_at;
};

static unsigned long tval(struct sip_txn_layer *tl, int T)
{
	unsigned long v = osmo_tdef_get(tl->tdefs, T, OSMO_TDEF_MS, -1);

	if (v)
		return v;
	switch (T) {
	case TA:
	case TE:
	case TG:
		return osmo_tdef_get(tl->tdefs, TT1, OSMO_TDEF_MS, -1);
	case TB:
	case TF:
	case TH:
	case TJ:
	case TL:
	case TM:
		return 64 * osmo_tdef_get(tl->tdefs, TT1, OSMO_TDEF_MS, -1);
	case TI:
	case TK:
		return osmo_tdef_get(tl->tdefs, TT4, OSMO_TDEF_MS, -1);
	}
	return 0;
}

static bool reliable(const struct sip_txn *t)
{
	return t->dest.proto != SIP_PROTO_UDP;
}

static uint32_t fnv_add(uint32_t h, const char *s, size_t len)
{
	while (len--)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static char *dup_tstr(void *ctx, struct tstr s)
{
	return talloc_strndup(ctx, s.p ? s.p : "", s.len);
}

static bool has_cookie(struct tstr branch)
{
	return branch.len > 7 && !memcmp(branch.p, MAGIC_COOKIE, 7);
}

static void terr_cb(void *priv)
{
	struct sip_txn *t = priv;

	t->terr_pending = false;
	if (!t->terminating)
		osmo_fsm_inst_dispatch(t->fi, E_TRANSPORT_ERR, NULL);
}

static void txn_terr_later(struct sip_txn *t)
{
	if (t->terr_pending || t->terminating)
		return;
	t->terr_pending = true;
	osmo_timer_schedule(&t->terr, 0, 0);
}

/* A send that failed. Over UDP, a local shortage (no send buffer, a full
 * submission queue: -ENOBUFS, -EBUSY, -EAGAIN) is a datagram lost on the
 * way (RFC 3261 18: the retransmissions of 17.1.1.2/17.1.2.2, the peer's
 * own or Timer G cover it). Anything else is a transport error (8.1.3.1,
 * 17.1.4), dispatched from a timer of its own: ending the transaction here
 * would free it under the caller, who still uses it (sip_txn_client_start
 * returned it freed, rtx_cb wrote to it: glibc heap corruption under load,
 * issue 13). */
static void txn_send(struct sip_txn *t, const uint8_t *buf, size_t len)
{
	int rc = t->tl->ops->send(t->tl->priv, &t->dest, buf, len);

	if (t->sends < UINT8_MAX)
		t->sends++;
	if (rc >= 0 || t->terminating)
		return;
	if (!reliable(t) && (rc == -ENOBUFS || rc == -EBUSY || rc == -EAGAIN))
		return;
	txn_terr_later(t);
}

/* Leave: the user hears it once, the record goes at the end of the event. */
static void txn_terminate(struct sip_txn *t)
{
	if (t->terminating)
		return;
	t->terminating = true;
	osmo_fsm_inst_term(t->fi, OSMO_FSM_TERM_REGULAR, NULL);
}

static void dlist_leave(struct sip_txn *t)
{
	if (!t->in_dlist)
		return;
	llist_del(&t->dlist);
	t->in_dlist = false;
}

/* A UDP client transaction that has its first response leaves the index
 * by destination: no ICMP error concerns it any more */
static void dlist_answered(struct sip_txn *t, int st)
{
	if (t->in_dlist && !reliable(t) && st != S_CALLING && st != S_TRYING)
		dlist_leave(t);
}

static void state_chg(struct sip_txn *t, enum txn_state st, int T)
{
	unsigned long ms = T ? tval(t->tl, T) : 0;

	dlist_answered(t, st);
	if (T && ms == 0) {
		/* a zero timer (reliable transport) ends the transaction at once */
		osmo_fsm_inst_state_chg(t->fi, st, 0, 0);
		txn_terminate(t);
		return;
	}
	osmo_fsm_inst_state_chg(t->fi, st, 0, 0);
	if (T) {
		/* libosmocore 1.7's osmo_fsm_inst_state_chg_ms() schedules the
		 * sub-second part as microseconds (6400 ms runs 6.0004 s); arm
		 * the instance timer ourselves so 64*T1 is exact. */
		t->fi->T = T;
		osmo_timer_schedule(&t->fi->timer, ms / 1000, (ms % 1000) * 1000);
	}
}

static void rtx_start(struct sip_txn *t, int T)
{
	if (reliable(t))
		return;
	t->rtx_ms = (unsigned)tval(t->tl, T);
	osmo_timer_schedule(&t->rtx, t->rtx_ms / 1000, (t->rtx_ms % 1000) * 1000);
}

static void rtx_cb(void *priv)
{
	struct sip_txn *t = priv;
	unsigned t2 = (unsigned)tval(t->tl, TT2);
	enum txn_state st = t->fi->state;

	switch (t->kind) {
	case SIP_TXN_ICT: /* 17.1.1.2: Timer A doubles without limit while Calling */
		if (st != S_CALLING)
			return;
		txn_send(t, t->req, t->req_len);
		t->rtx_ms *= 2;
		break;
	case SIP_TXN_NICT: /* 17.1.2.2: Timer E doubles up to T2; T2 once Proceeding */
		if (st != S_TRYING && st != S_PROCEEDING)
			return;
		txn_send(t, t->req, t->req_len);
		t->rtx_ms = st == S_TRYING ? (t->rtx_ms * 2 < t2 ? t->rtx_ms * 2 : t2) : t2;
		break;
	case SIP_TXN_IST: /* 17.2.1: Timer G doubles up to T2 while Completed */
		if (st != S_COMPLETED)
			return;
		txn_send(t, t->rsp, t->rsp_len);
		t->rtx_ms = t->rtx_ms * 2 < t2 ? t->rtx_ms * 2 : t2;
		break;
	case SIP_TXN_NIST:
		return;
	}
	if (t->fi->state == st && !t->terminating)
		osmo_timer_schedule(&t->rtx, t->rtx_ms / 1000, (t->rtx_ms % 1000) * 1000);
}

static void trying_cb(void *priv)
{
	struct sip_txn *t = priv;
	uint8_t buf[BUILD_MAX];
	int n;

	/* 17.2.1: the TU did not answer within 200 ms */
	if (t->fi->state != S_PROCEEDING || t->rsp || !t->tl->ops->build_trying)
		return;
	n = t->tl->ops->build_trying(t->tl->priv, t->req, t->req_len, NULL, buf, sizeof(buf));
	if (n > 0)
		sip_txn_respond(t, 100, buf, (size_t)n);
}

/* --- the four machines share one action handler --- */

struct rx_ctx {
	const struct sip_txn_info *info;
	const uint8_t *raw;
	size_t len;
};

static void deliver_response(struct sip_txn *t, const struct rx_ctx *rc)
{
	if (t->uops && t->uops->response)
		t->uops->response(t->tu, t, rc->info, rc->raw, rc->len);
}

static void send_ack(struct sip_txn *t, const struct rx_ctx *rc)
{
	uint8_t buf[BUILD_MAX];
	int n;

	if (!t->tl->ops->build_ack)
		return;
	n = t->tl->ops->build_ack(t->tl->priv, t->req, t->req_len, rc->raw, rc->len, rc->info->msg,
				  buf, sizeof(buf));
	if (n > 0)
		txn_send(t, buf, (size_t)n);
}

static void ict_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct sip_txn *t = fi->priv;
	const struct rx_ctx *rc = data;

	switch (event) {
	case E_RX_1XX:
		if (fi->state == S_CALLING)
			state_chg(t, S_PROCEEDING, 0); /* Timer B no longer runs */
		deliver_response(t, rc);
		break;
	case E_RX_2XX:
		if (fi->state == S_ACCEPTED) {
			/* RFC 6026 7.2: retransmitted 2xx go to the TU */
			deliver_response(t, rc);
			break;
		}
		osmo_timer_del(&t->rtx);
		state_chg(t, S_ACCEPTED, TM);
		deliver_response(t, rc);
		break;
	case E_RX_FINAL:
		if (fi->state == S_COMPLETED) {
			send_ack(t, rc); /* 17.1.1.2: retransmission: ACK again, no TU */
			break;
		}
		osmo_timer_del(&t->rtx);
		send_ack(t, rc);
		deliver_response(t, rc);
		state_chg(t, S_COMPLETED, reliable(t) ? 0 : TD);
		if (reliable(t))
			txn_terminate(t);
		break;
	case E_TRANSPORT_ERR:
		if (t->uops && t->uops->transport_error)
			t->uops->transport_error(t->tu, t);
		txn_terminate(t);
		break;
	}
}

static void nict_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct sip_txn *t = fi->priv;
	const struct rx_ctx *rc = data;

	switch (event) {
	case E_RX_1XX:
		if (fi->state == S_TRYING) {
			osmo_fsm_inst_state_chg_keep_timer(fi, S_PROCEEDING); /* F keeps running */
			dlist_answered(t, S_PROCEEDING);
		}
		deliver_response(t, rc);
		break;
	case E_RX_2XX:
	case E_RX_FINAL:
		if (fi->state == S_COMPLETED)
			break; /* 17.1.2.2: retransmissions are absorbed */
		deliver_response(t, rc);
		osmo_timer_del(&t->rtx);
		state_chg(t, S_COMPLETED, reliable(t) ? 0 : TK);
		if (reliable(t))
			txn_terminate(t);
		break;
	case E_TRANSPORT_ERR:
		if (t->uops && t->uops->transport_error)
			t->uops->transport_error(t->tu, t);
		txn_terminate(t);
		break;
	}
}

static void ist_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct sip_txn *t = fi->priv;
	const struct rx_ctx *rc = data;

	switch (event) {
	case E_RX_REQ:
		/* 17.2.1: retransmitted INVITE: send the last response again;
		 * RFC 6026 8.7: absorbed in Accepted */
		if ((fi->state == S_PROCEEDING || fi->state == S_COMPLETED) && t->rsp)
			txn_send(t, t->rsp, t->rsp_len);
		break;
	case E_RX_ACK:
		if (fi->state == S_COMPLETED) {
			osmo_timer_del(&t->rtx);
			state_chg(t, S_CONFIRMED, reliable(t) ? 0 : TI);
			if (reliable(t))
				txn_terminate(t);
		} else if (fi->state == S_ACCEPTED && t->uops && t->uops->ack) {
			t->uops->ack(t->tu, t, rc->info, rc->raw, rc->len);
		}
		break;
	case E_TX_1XX:
		break;
	case E_TX_2XX:
		state_chg(t, S_ACCEPTED, TL);
		break;
	case E_TX_FINAL:
		state_chg(t, S_COMPLETED, TH);
		rtx_start(t, TG);
		break;
	case E_TRANSPORT_ERR:
		if (t->uops && t->uops->transport_error)
			t->uops->transport_error(t->tu, t);
		txn_terminate(t);
		break;
	}
}

static void nist_action(struct osmo_fsm_inst *fi, uint32_t event, void *data)
{
	struct sip_txn *t = fi->priv;

	(void)data;
	switch (event) {
	case E_RX_REQ:
		/* 17.2.2: absorbed while Trying; the last response otherwise */
		if (fi->state != S_TRYING && t->rsp)
			txn_send(t, t->rsp, t->rsp_len);
		break;
	case E_TX_1XX:
		if (fi->state == S_TRYING)
			state_chg(t, S_PROCEEDING, 0);
		break;
	case E_TX_2XX:
	case E_TX_FINAL:
		state_chg(t, S_COMPLETED, reliable(t) ? 0 : TJ);
		if (reliable(t))
			txn_terminate(t);
		break;
	case E_TRANSPORT_ERR:
		if (t->uops && t->uops->transport_error)
			t->uops->transport_error(t->tu, t);
		txn_terminate(t);
		break;
	}
}

static int txn_timer_cb(struct osmo_fsm_inst *fi)
{
	struct sip_txn *t = fi->priv;

	switch (fi->T) {
	case TB: /* no final response */
	case TF:
	case TH: /* no ACK */
		if (t->uops && t->uops->timeout)
			t->uops->timeout(t->tu, t);
		break;
	default: /* D, I, J, K, L, M: the quiet period is over */
		break;
	}
	txn_terminate(t);
	return 0;
}

static void txn_cleanup(struct osmo_fsm_inst *fi, enum osmo_fsm_term_cause cause)
{
	struct sip_txn *t = fi->priv;

	(void)cause;
	osmo_timer_del(&t->rtx);
	osmo_timer_del(&t->trying);
	osmo_timer_del(&t->terr);
	llist_del(&t->hlist);
	dlist_leave(t);
	t->tl->count--;
	if (t->uops && t->uops->terminated)
		t->uops->terminated(t->tu, t);
}

#define S(x)	      (1 << (x))
#define CLIENT_EVENTS (S(E_RX_1XX) | S(E_RX_2XX) | S(E_RX_FINAL) | S(E_TRANSPORT_ERR))

static const struct osmo_fsm_state ict_states[] = {
	[S_CALLING] = {.name = "CALLING",
		       .in_event_mask = CLIENT_EVENTS,
		       .out_state_mask =
			       S(S_CALLING) | S(S_PROCEEDING) | S(S_COMPLETED) | S(S_ACCEPTED),
		       .action = ict_action},
	[S_PROCEEDING] = {.name = "PROCEEDING",
			  .in_event_mask = CLIENT_EVENTS,
			  .out_state_mask = S(S_COMPLETED) | S(S_ACCEPTED),
			  .action = ict_action},
	[S_COMPLETED] = {.name = "COMPLETED", .in_event_mask = CLIENT_EVENTS, .action = ict_action},
	[S_ACCEPTED] = {.name = "ACCEPTED", .in_event_mask = CLIENT_EVENTS, .action = ict_action},
};

static const struct osmo_fsm_state nict_states[] = {
	[S_TRYING] = {.name = "TRYING",
		      .in_event_mask = CLIENT_EVENTS,
		      .out_state_mask = S(S_TRYING) | S(S_PROCEEDING) | S(S_COMPLETED),
		      .action = nict_action},
	[S_PROCEEDING] = {.name = "PROCEEDING",
			  .in_event_mask = CLIENT_EVENTS,
			  .out_state_mask = S(S_COMPLETED),
			  .action = nict_action},
	[S_COMPLETED] = {.name = "COMPLETED",
			 .in_event_mask = CLIENT_EVENTS,
			 .action = nict_action},
};

#define SERVER_EVENTS \
	(S(E_RX_REQ) | S(E_RX_ACK) | S(E_TX_1XX) | S(E_TX_2XX) | S(E_TX_FINAL) | S(E_TRANSPORT_ERR))

static const struct osmo_fsm_state ist_states[] = {
	[S_PROCEEDING] = {.name = "PROCEEDING",
			  .in_event_mask = SERVER_EVENTS,
			  .out_state_mask = S(S_COMPLETED) | S(S_ACCEPTED),
			  .action = ist_action},
	[S_COMPLETED] = {.name = "COMPLETED",
			 .in_event_mask = SERVER_EVENTS,
			 .out_state_mask = S(S_CONFIRMED),
			 .action = ist_action},
	[S_CONFIRMED] = {.name = "CONFIRMED", .in_event_mask = SERVER_EVENTS, .action = ist_action},
	[S_ACCEPTED] = {.name = "ACCEPTED", .in_event_mask = SERVER_EVENTS, .action = ist_action},
};

static const struct osmo_fsm_state nist_states[] = {
	[S_TRYING] = {.name = "TRYING",
		      .in_event_mask = SERVER_EVENTS,
		      .out_state_mask = S(S_PROCEEDING) | S(S_COMPLETED),
		      .action = nist_action},
	[S_PROCEEDING] = {.name = "PROCEEDING",
			  .in_event_mask = SERVER_EVENTS,
			  .out_state_mask = S(S_COMPLETED),
			  .action = nist_action},
	[S_COMPLETED] = {.name = "COMPLETED",
			 .in_event_mask = SERVER_EVENTS,
			 .action = nist_action},
};

static struct osmo_fsm txn_fsms[] = {
	[SIP_TXN_ICT] = {.name = "SIP_ICT",
			 .states = ict_states,
			 .num_states = ARRAY_SIZE(ict_states),
			 .timer_cb = txn_timer_cb,
			 .cleanup = txn_cleanup,
			 .event_names = event_names,
			 .log_subsys = DSIP},
	[SIP_TXN_NICT] = {.name = "SIP_NICT",
			  .states = nict_states,
			  .num_states = ARRAY_SIZE(nict_states),
			  .timer_cb = txn_timer_cb,
			  .cleanup = txn_cleanup,
			  .event_names = event_names,
			  .log_subsys = DSIP},
	[SIP_TXN_IST] = {.name = "SIP_IST",
			 .states = ist_states,
			 .num_states = ARRAY_SIZE(ist_states),
			 .timer_cb = txn_timer_cb,
			 .cleanup = txn_cleanup,
			 .event_names = event_names,
			 .log_subsys = DSIP},
	[SIP_TXN_NIST] = {.name = "SIP_NIST",
			  .states = nist_states,
			  .num_states = ARRAY_SIZE(nist_states),
			  .timer_cb = txn_timer_cb,
			  .cleanup = txn_cleanup,
			  .event_names = event_names,
			  .log_subsys = DSIP},
};

/* --- layer --- */

struct sip_txn_layer *sip_txn_layer_alloc(void *ctx, const struct sip_txn_layer_ops *ops,
					  void *priv, struct osmo_tdef *tdefs)
{
	static bool registered;
	struct sip_txn_layer *tl = talloc_zero(ctx, struct sip_txn_layer);

	if (!tl)
		return NULL;
	if (getrandom(&tl->dseed, sizeof(tl->dseed), GRND_NONBLOCK) != sizeof(tl->dseed))
		tl->dseed = (uint32_t)(uintptr_t)tl ^ (uint32_t)time(NULL);
	if (!registered) {
		for (unsigned i = 0; i < ARRAY_SIZE(txn_fsms); i++)
			OSMO_ASSERT(osmo_fsm_register(&txn_fsms[i]) == 0);
		registered = true;
	}
	/* The configuration may have set timers already (sip_vty_init() resets
	 * the table before the file is read); only a table nobody initialised
	 * gets its defaults here. */
	if (!sip_txn_tdefs[0].val) {
		osmo_tdefs_reset(sip_txn_tdefs);
	}
	/* callers may stay inside a transaction callback while it ends */
	osmo_fsm_term_safely(true);
	tl->ops = ops;
	tl->priv = priv;
	tl->tdefs = tdefs ? tdefs : sip_txn_tdefs;
	for (unsigned i = 0; i < N_BUCKETS; i++)
		INIT_LLIST_HEAD(&tl->buckets[i]);
	for (unsigned i = 0; i < N_DBUCKETS; i++)
		INIT_LLIST_HEAD(&tl->dbuckets[i]);
	return tl;
}

void sip_txn_layer_free(struct sip_txn_layer *tl)
{
	for (unsigned i = 0; i < N_BUCKETS; i++) {
		struct sip_txn *t, *n;

		llist_for_each_entry_safe(t, n, &tl->buckets[i], hlist)
		{
			t->uops = NULL;
			osmo_fsm_inst_term(t->fi, OSMO_FSM_TERM_PARENT, NULL);
		}
	}
	talloc_free(tl);
}

unsigned sip_txn_layer_count(const struct sip_txn_layer *tl)
{
	return tl->count;
}

/* The bucket: 17.2.3's branch; RFC 2543 requests fall back to Call-ID
 * (hashed in place, no key string made per lookup) */
static uint32_t txn_bucket(const struct sip_txn_info *info)
{
	uint32_t h = 2166136261u;

	if (has_cookie(info->branch))
		h = fnv_add(h, info->branch.p, info->branch.len);
	else
		h = fnv_add(fnv_add(h, "2543:", 5), info->call_id.p ? info->call_id.p : "",
			    info->call_id.p ? info->call_id.len : 0);
	return h % N_BUCKETS;
}

/* The destination's bucket: transport, address and port (the fields
 * dest_eq compares, so equal destinations share it) */
static uint32_t dest_bucket(const struct sip_txn_layer *tl, const struct sip_txn_dest *d)
{
	uint32_t h = (2166136261u ^ tl->dseed ^ (uint32_t)d->proto) * 16777619u;

	if (d->addr.ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)&d->addr;

		h = fnv_add(h, (const char *)&a->sin_addr, sizeof(a->sin_addr));
		h = fnv_add(h, (const char *)&a->sin_port, sizeof(a->sin_port));
	} else if (d->addr.ss_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const void *)&d->addr;

		h = fnv_add(h, (const char *)&a->sin6_addr, sizeof(a->sin6_addr));
		h = fnv_add(h, (const char *)&a->sin6_port, sizeof(a->sin6_port));
	}
	return h % N_DBUCKETS;
}

static struct sip_txn *txn_new(struct sip_txn_layer *tl, enum sip_txn_kind kind,
			       const struct sip_txn_info *info, const uint8_t *raw, size_t len,
			       const struct sip_txn_dest *d)
{
	struct osmo_fsm_inst *fi;
	struct sip_txn *t;
	static const int first_state[] = {[SIP_TXN_ICT] = S_CALLING,
					  [SIP_TXN_NICT] = S_TRYING,
					  [SIP_TXN_IST] = S_PROCEEDING,
					  [SIP_TXN_NIST] = S_TRYING};

	fi = osmo_fsm_inst_alloc(&txn_fsms[kind], tl, NULL, LOGL_DEBUG, NULL);
	if (!fi)
		return NULL;
	t = talloc_zero(fi, struct sip_txn);
	if (!t) {
		osmo_fsm_inst_free(fi);
		return NULL;
	}
	fi->priv = t;
	fi->state = (uint32_t)first_state[kind];
	t->fi = fi;
	t->tl = tl;
	t->kind = kind;
	t->dest = *d;
	t->branch = dup_tstr(t, info->branch);
	t->method = dup_tstr(t, info->method);
	t->via_host = dup_tstr(t, info->via_host);
	t->via_port = info->via_port;
	t->rfc2543 = !has_cookie(info->branch);
	t->call_id = dup_tstr(t, info->call_id);
	t->from_tag = dup_tstr(t, info->from_tag);
	t->ruri = dup_tstr(t, info->ruri);
	t->cseq = info->cseq;
	t->req = talloc_memdup(t, raw, len);
	t->req_len = len;
	osmo_timer_setup(&t->rtx, rtx_cb, t);
	osmo_timer_setup(&t->trying, trying_cb, t);
	osmo_timer_setup(&t->terr, terr_cb, t);
	osmo_fsm_inst_update_id_f_sanitize(fi, '-', "%s", t->branch);
	llist_add(&t->hlist, &tl->buckets[txn_bucket(info)]);
	if (kind == SIP_TXN_ICT || kind == SIP_TXN_NICT) {
		llist_add(&t->dlist, &tl->dbuckets[dest_bucket(tl, d)]);
		t->in_dlist = true;
	}
	tl->count++;
	return t;
}

struct sip_txn *sip_txn_client_start(struct sip_txn_layer *tl, const struct sip_txn_info *info,
				     const uint8_t *req, size_t len, const struct sip_txn_dest *d,
				     const struct sip_txn_user_ops *uops, void *tu)
{
	bool invite = tstr_eq_cstr(info->method, "INVITE");
	struct sip_txn *t = txn_new(tl, invite ? SIP_TXN_ICT : SIP_TXN_NICT, info, req, len, d);

	if (!t)
		return NULL;
	t->uops = uops;
	t->tu = tu;
	if (invite) {
		state_chg(t, S_CALLING, TB);
		rtx_start(t, TA);
	} else {
		state_chg(t, S_TRYING, TF);
		rtx_start(t, TE);
	}
	txn_send(t, req, len);
	return t;
}

static bool server_match(const struct sip_txn *t, const struct sip_txn_info *info, bool ack)
{
	if (t->kind != SIP_TXN_IST && t->kind != SIP_TXN_NIST)
		return false;
	if (has_cookie(info->branch)) {
		/* 17.2.3: branch, sent-by, and method (ACK matches INVITE) */
		if (t->rfc2543 || strlen(t->branch) != info->branch.len ||
		    memcmp(t->branch, info->branch.p, info->branch.len))
			return false;
		if (!tstr_casecmp_cstr(info->via_host, t->via_host) ||
		    info->via_port != t->via_port)
			return false;
		return ack ? t->kind == SIP_TXN_IST : tstr_eq_cstr(info->method, t->method);
	}
	/* RFC 2543 (17.2.3 last paragraphs): Call-ID, CSeq number, From tag,
	 * Request-URI (not for ACK: its To tag differs), top Via */
	if (!t->rfc2543 || !tstr_eq_cstr(info->call_id, t->call_id) || info->cseq != t->cseq ||
	    !tstr_eq_cstr(info->from_tag, t->from_tag))
		return false;
	if (ack)
		return t->kind == SIP_TXN_IST;
	return tstr_eq_cstr(info->ruri, t->ruri) && tstr_eq_cstr(info->method, t->method) &&
	       tstr_eq_cstr(info->branch, t->branch);
}

static struct sip_txn *find_server(struct sip_txn_layer *tl, const struct sip_txn_info *info,
				   bool ack)
{
	struct sip_txn *t;

	llist_for_each_entry(t, &tl->buckets[txn_bucket(info)],
			     hlist) if (!t->terminating && server_match(t, info, ack)) return t;
	return NULL;
}

static struct sip_txn *find_client(struct sip_txn_layer *tl, const struct sip_txn_info *info)
{
	struct sip_txn *t;

	/* 17.1.3: branch of the top Via and the CSeq method */
	llist_for_each_entry(t, &tl->buckets[txn_bucket(info)], hlist)
	{
		if (t->terminating || (t->kind != SIP_TXN_ICT && t->kind != SIP_TXN_NICT))
			continue;
		if (strlen(t->branch) == info->branch.len &&
		    !memcmp(t->branch, info->branch.p, info->branch.len) &&
		    tstr_eq_cstr(info->method, t->method))
			return t;
	}
	return NULL;
}

struct sip_txn *sip_txn_find_invite(struct sip_txn_layer *tl, const struct sip_txn_info *cancel)
{
	struct sip_txn_info i = *cancel;

	/* 9.2: the CANCEL matches the INVITE with the same branch and sent-by */
	i.method = TSTR_LIT("INVITE");
	return find_server(tl, &i, false);
}

void sip_txn_layer_rx(struct sip_txn_layer *tl, const struct sip_txn_info *info, const uint8_t *raw,
		      size_t len, const struct sip_txn_dest *src)
{
	struct rx_ctx rc = {.info = info, .raw = raw, .len = len};
	struct sip_txn *t;

	if (!info->request) {
		t = find_client(tl, info);
		if (!t) {
			if (tl->ops->stray_response)
				tl->ops->stray_response(tl->priv, info, raw, len, src);
			return;
		}
		if (info->status < 200)
			osmo_fsm_inst_dispatch(t->fi, E_RX_1XX, &rc);
		else if (info->status < 300 && t->kind == SIP_TXN_ICT)
			osmo_fsm_inst_dispatch(t->fi, E_RX_2XX, &rc);
		else
			osmo_fsm_inst_dispatch(t->fi, E_RX_FINAL, &rc);
		return;
	}
	if (tstr_eq_cstr(info->method, "ACK")) {
		t = find_server(tl, info, true);
		if (t)
			osmo_fsm_inst_dispatch(t->fi, E_RX_ACK, &rc);
		else if (tl->ops->request)
			tl->ops->request(tl->priv, NULL, info, raw, len, src);
		return;
	}
	t = find_server(tl, info, false);
	if (t) {
		osmo_fsm_inst_dispatch(t->fi, E_RX_REQ, &rc);
		return;
	}
	t = txn_new(tl, tstr_eq_cstr(info->method, "INVITE") ? SIP_TXN_IST : SIP_TXN_NIST, info,
		    raw, len, src);
	if (!t)
		return;
	if (t->kind == SIP_TXN_IST) {
		unsigned long ms = tval(tl, T100);

		osmo_timer_schedule(&t->trying, ms / 1000, (ms % 1000) * 1000);
	}
	if (tl->ops->request)
		tl->ops->request(tl->priv, t, info, raw, len, src);
}

void sip_txn_set_user(struct sip_txn *t, const struct sip_txn_user_ops *uops, void *tu)
{
	t->uops = uops;
	t->tu = tu;
}

void sip_txn_detach_user(struct sip_txn *t)
{
	t->uops = NULL;
	t->tu = NULL;
}

void *sip_txn_user(const struct sip_txn *t, const struct sip_txn_user_ops *uops)
{
	return t && uops && t->uops == uops ? t->tu : NULL;
}

int sip_txn_respond(struct sip_txn *t, int status, const uint8_t *rsp, size_t len)
{
	uint8_t *copy;

	if (t->kind != SIP_TXN_IST && t->kind != SIP_TXN_NIST)
		return -EINVAL;
	if (t->terminating || t->fi->state == S_COMPLETED || t->fi->state == S_CONFIRMED ||
	    (t->fi->state == S_ACCEPTED && status >= 300))
		return -EALREADY;
	copy = talloc_memdup(t, rsp, len);
	if (!copy)
		return -ENOMEM;
	talloc_free(t->rsp);
	t->rsp = copy;
	t->rsp_len = len;
	osmo_timer_del(&t->trying);
	txn_send(t, rsp, len);
	if (t->terminating)
		return -EIO;
	if (status < 200)
		osmo_fsm_inst_dispatch(t->fi, E_TX_1XX, NULL);
	else if (status < 300 && t->kind == SIP_TXN_IST)
		osmo_fsm_inst_dispatch(t->fi, E_TX_2XX, NULL);
	else
		osmo_fsm_inst_dispatch(t->fi, E_TX_FINAL, NULL);
	return 0;
}

enum sip_txn_kind sip_txn_kind(const struct sip_txn *t)
{
	return t->kind;
}

const char *sip_txn_state_name(const struct sip_txn *t)
{
	return osmo_fsm_inst_state_name(t->fi);
}

const struct sip_txn_dest *sip_txn_dest(const struct sip_txn *t)
{
	return &t->dest;
}

const uint8_t *sip_txn_request(const struct sip_txn *t, size_t *len)
{
	*len = t->req_len;
	return t->req;
}

static bool dest_eq(const struct sip_txn_dest *a, const struct sip_txn_dest *b)
{
	if (a->proto != b->proto || a->addr.ss_family != b->addr.ss_family)
		return false;
	if (a->addr.ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)&a->addr, *y = (const void *)&b->addr;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	return a->addr_len == b->addr_len && !memcmp(&a->addr, &b->addr, a->addr_len);
}

unsigned sip_txn_layer_pending_toward(struct sip_txn_layer *tl, const struct sip_txn_dest *d)
{
	struct sip_txn *t;
	unsigned n = 0;

	llist_for_each_entry(t, &tl->dbuckets[dest_bucket(tl, d)], dlist) n += dest_eq(&t->dest, d);
	return n;
}

/* One transaction's share of a transport error toward d (see below) */
static void txn_transport_error(struct sip_txn *t, const struct sip_txn_dest *d, bool one)
{
	/* UDP: one heard after its own retransmission fails it (that was
	 * refused too); the first only notes how many it had sent. A peer
	 * whose socket opens just after our first datagram (a restart, a
	 * port opened in a race) is reached by the retransmission instead
	 * of failing the call, and another transaction's refused datagram
	 * to the same address, sent meanwhile, does not count as its own
	 * (an error names only the address). Quoted: a second of its own
	 * datagrams refused. */
	if (d->proto == SIP_PROTO_UDP) {
		if (!t->icmp_at) {
			t->icmp_at = t->sends ? t->sends : 1;
			return;
		}
		if (!one && t->sends <= t->icmp_at)
			return;
	}
	txn_terr_later(t); /* a TU callback may end others */
}

/* The transaction a quoted datagram names: a request of ours (a client
 * transaction waiting for a response: branch and method), or a response of
 * ours to the peer's INVITE (its server transaction) */
static struct sip_txn *quoted_txn(struct sip_txn_layer *tl, const struct sip_txn_dest *d,
				  const struct sip_refused *which)
{
	struct sip_txn_info key = {.branch = tstr_make(which->branch, which->branch_len)};
	struct sip_txn *t;

	llist_for_each_entry(t, &tl->buckets[txn_bucket(&key)], hlist)
	{
		if (t->terminating || !dest_eq(&t->dest, d) ||
		    strlen(t->branch) != which->branch_len ||
		    memcmp(t->branch, which->branch, which->branch_len) ||
		    strlen(t->method) != which->method_len ||
		    memcmp(t->method, which->method, which->method_len))
			continue;
		if (which->response ? t->kind == SIP_TXN_IST : t->in_dlist)
			return t; /* branch and method name one */
	}
	return NULL;
}

void sip_txn_layer_transport_error(struct sip_txn_layer *tl, const struct sip_txn_dest *d,
				   const struct sip_refused *which)
{
	struct sip_txn *t, *n;
	/* the ICMP quoted the request: that transaction only (the branch
	 * is ours and random: a forged error must know it; a CANCEL shares
	 * its INVITE's branch, the method tells them apart), found by its
	 * branch's bucket */
	bool one = which && which->branch_len > 7 && which->method_len &&
		   !memcmp(which->branch, MAGIC_COOKIE, 7);

	if (one) {
		/* a response: ours to the peer's INVITE (the peer's branch,
		 * the CSeq's method), whose transaction's user ends the call
		 * when the second is refused (17.2.4); a non-INVITE one ends
		 * by itself */
		if (!which->response ||
		    (which->method_len == 6 && !memcmp(which->method, "INVITE", 6))) {
			t = quoted_txn(tl, d, which);
			if (t)
				txn_transport_error(t, d, true);
		}
		return;
	}
	if (which && which->response)
		return; /* its request not known: no transaction of ours waits */
	/* (the TU hears of it from a timer of its own: nothing leaves the
	 * list under this walk) */
	llist_for_each_entry_safe(t, n, &tl->dbuckets[dest_bucket(tl, d)], dlist)
	{
		if (t->terminating)
			continue;
		/* UDP (an ICMP error, which names only the address):
		 * those still waiting for a first response; one that
		 * has one heard the peer after its own send */
		if (d->proto == SIP_PROTO_UDP && t->fi->state != S_CALLING &&
		    t->fi->state != S_TRYING)
			continue;
		if (!dest_eq(&t->dest, d))
			continue;
		txn_transport_error(t, d, false);
	}
}
