/* Taking the gateway out of service without dropping calls ("shutdown
 * graceful"): new SIP calls get 503 with Retry-After (OPTIONS probes too), new IAMs are
 * refused, every circuit is blocked toward the SS7 side (CGB, maintenance),
 * the calls up continue until they end or the timeout passes; then the
 * loop stops and tandemd exits (releasing what is left, every CDR
 * written). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iw;
struct loop;
struct sip_leg;
struct isup_call_ops;

/* The running gateway (tandemd, after start-up); NULL iw: stopped. */
void iw_drain_set(struct loop *l, struct iw *iw);
/* Start draining; timeout_s 0: wait for the calls as long as they last.
 * Returns the calls up. Again while draining: only the timeout changes. */
unsigned iw_drain_start(unsigned timeout_s);
bool iw_drain_active(void);
/* Seconds until the timeout (0: none), circuits blocked so far. */
void iw_drain_status(unsigned *left_s, unsigned *blocked, uint64_t *options_refused);
/* A new INVITE while draining: answered 503 with Retry-After here. True
 * when it was refused. */
bool iw_drain_refuse_invite(struct sip_leg *leg);
/* The status for an OPTIONS probe: 503 with Retry-After (written to hdrs)
 * while draining, so that a proxy in front (Kamailio's dispatcher, an SBC)
 * stops offering calls before they are refused; 200 otherwise. */
unsigned iw_drain_options(char *hdrs, size_t len);
/* The ISUP call events with an admission check in front of the IAM. */
const struct isup_call_ops *iw_drain_isup_ops(const struct isup_call_ops *inner);
/* SIGTERM when "sigterm graceful" is configured (loop_signals_on_term). */
void iw_drain_on_term(void *priv);
extern unsigned iw_drain_sigterm_s; /* "sigterm graceful N" (0: stop at once) */
extern bool iw_drain_sigterm_graceful;
