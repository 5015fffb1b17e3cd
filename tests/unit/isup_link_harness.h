/* The ISUP link test harness shared by tests/unit/check_isup_link_*.c: an
 * ISUP linkset (sigtran/isup_link + isup_call_fsm) driven through its public
 * API, its messages captured by the tx callback (TX), what its owner heard
 * through the call ops (OW), a fake clock, and builders for the messages the
 * far end sends. One link at a time: start() or start_cfg() ... finish(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <osmocom/core/timer.h>

#include "sigtran/isup_link.h"
#include "sigtran/isup_proto.h"
#include "tests/unit/unit.h"

#define OPC 100 /* ours */
#define DPC 200 /* the far end's */

/* --- captured output --- */

struct sent {
	uint8_t buf[272];
	size_t len;
	uint32_t opc, dpc;
	uint8_t sls;
};

struct isup_tx_log {
	struct sent s[512];
	unsigned n;
};
extern struct isup_tx_log TX;

/* --- what the owner heard --- */

struct isup_owner_log {
	int setups, progress, answers, releases, suspends, resumes;
	bool alerting;
	struct isup_call *call; /* last setup */
	unsigned setup_cic;
	char called[ISUP_NUMBER_MAX_DIGITS + 1], calling[ISUP_NUMBER_MAX_DIGITS + 1];
	bool called_st, have_calling;
	uint8_t rel_cause;
	bool rel_had_msg;
	struct isup_call *released;
};
extern struct isup_owner_log OW;

extern void *ctx;	    /* the link's talloc context */
extern struct isup_link *L; /* the link under test */
extern enum isup_variant V;

/* the tx callback and the owner's call ops (a test may build its own ops
 * from them) */
int cap_tx(void *priv, uint32_t opc, uint32_t dpc, uint8_t ni, uint8_t sls, const uint8_t *buf,
	   size_t len);
void ow_setup(void *priv, struct isup_call *c, const struct isup_msg *iam,
	      const struct isup_number *called, const struct isup_number *calling);
void ow_progress(void *u, struct isup_call *c, const struct isup_msg *m, bool alerting);
void ow_answer(void *u, struct isup_call *c, const struct isup_msg *m);
void ow_release(void *u, struct isup_call *c, const struct isup_cause *cause,
		const struct isup_msg *m);
void ow_suspend(void *u, struct isup_call *c, bool suspended);

/* --- fake clock: osmo timers run in 100 ms steps --- */
void advance_ms(unsigned ms);
void advance_s(unsigned s);

/* --- link setup and teardown --- */
struct isup_link_cfg base_cfg(enum isup_variant v);
/* the link with CICs first..last on span 0 from timeslot 1, not up yet */
void start_cfg(const struct isup_link_cfg *cfg, unsigned first, unsigned last);
/* base_cfg(v), up, nothing sent */
void start(enum isup_variant v, unsigned first, unsigned last);
/* free the link; everything it allocated must have hung under it */
void finish(void);
/* blocks under the link's context: what a finished call must give back */
size_t blocks(void);

/* --- sent message access --- */
void sent_msg(unsigned i, struct isup_msg *m);
/* the i-th sent message, asserting its type and CIC */
void expect(unsigned i, uint8_t type, unsigned cic, struct isup_msg *m);
unsigned count_type(uint8_t type);
void rs_of(const struct isup_msg *m, struct isup_range_status *rs);
uint8_t location_of(const struct isup_msg *m);
uint8_t cause_of(const struct isup_msg *m);

/* --- building received messages (from DPC) --- */
void rx_msg(const struct isup_msg *m);
void rx_simple(uint8_t type, unsigned cic);
int build_iam(uint8_t *buf, size_t size, unsigned cic, const char *called, bool st,
	      const char *calling);
void rx_iam(unsigned cic, const char *called, bool st, const char *calling);
void rx_sam(unsigned cic, const char *digits, bool st);
void rx_acm(unsigned cic, bool subscriber_free);
void rx_rel(unsigned cic, uint8_t cause);
/* GRS/GRA/CQM (type_par < 0: no supervision type) and CGB/CGU/CGBA/CGUA */
void rx_range(uint8_t type, unsigned cic, uint8_t range, const uint8_t *status, int type_par);
/* an IAM asking for a continuity check on this circuit (Q.764 2.1.8) */
void rx_iam_cot(unsigned cic);
struct isup_cic *cic(unsigned n);
struct isup_call *call_out(const char *called);
