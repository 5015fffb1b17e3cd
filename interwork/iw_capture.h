/* Captures of a call's signalling: SIP messages and M3UA DATA (ISUP) as
 * they go on the wire, sent to a HEP collector (core/hep.c) with the
 * call's SIP Call-ID as the correlation id, so that a collector (Homer)
 * shows the SIP and the ISUP side of one call together; and "trace call":
 * every message of the calls of a number written to the log.
 *
 * The hooks in sip/ and sigtran/ copy each message; they are matched to
 * their call after the message was handled (an IAM or INVITE has made its
 * call by then): an ISUP message of a call whose Call-ID is not known yet
 * (ENUM lookup running) waits for it, at most 2 s. */
#pragma once

#include <stdbool.h>

struct loop;
struct iw;

/* the "hep" node, "show hep", "trace call", "show trace" */
void iw_capture_vty_init(void);
/* Hooks on and the collector's socket when configured. 0 or -errno. */
int iw_capture_start(struct loop *l, struct iw *iw);
void iw_capture_stop(void);

/* The number in the "i:" / "Call-ID:" header of a SIP message (compact
 * form too), "" when none. Pure: for the unit test. */
void iw_capture_sip_call_id(const char *msg, size_t len, char *out, size_t outlen);
