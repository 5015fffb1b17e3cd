/* ISUP circuits of one linkset (Q.764 2.8-2.10): call state, blocking,
 * circuits in reset, hunting for an outgoing circuit, and dual seizure.
 * Pure bookkeeping: no messages are built here; the circuit/call state
 * machines decide what to send from what this table says. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define ISUP_CIC_MAX_ITU  4095	/* Q.763 1.2: 12 bits */
#define ISUP_CIC_MAX_ANSI 16383 /* T1.113: 14 bits */

enum isup_cic_call {
	ISUP_CIC_IDLE,
	ISUP_CIC_IN_BUSY,  /* incoming call (we received the IAM) */
	ISUP_CIC_OUT_BUSY, /* outgoing call (we sent the IAM) */
};

/* Blocking (Q.764 2.8.2): who blocked it and why. */
enum isup_cic_block {
	ISUP_BLK_LOCAL_MAINT = 1 << 0,	/* we blocked it (BLO/CGB maintenance acknowledged) */
	ISUP_BLK_LOCAL_HW = 1 << 1,	/* we blocked it (CGB hardware failure) */
	ISUP_BLK_REMOTE_MAINT = 1 << 2, /* the peer blocked it (BLO / CGB maintenance) */
	ISUP_BLK_REMOTE_HW = 1 << 3,	/* the peer blocked it (CGB hardware failure) */
};

/* Maintenance procedures waiting for an acknowledgement. */
enum isup_cic_pending {
	ISUP_PEND_RESET = 1 << 0, /* RSC or GRS sent, awaiting RLC / GRA */
	ISUP_PEND_BLO = 1 << 1,	  /* BLO or CGB sent, awaiting BLA / CGBA */
	ISUP_PEND_UBL = 1 << 2,	  /* UBL or CGU sent, awaiting UBA / CGUA */
};

/* How dual seizure is resolved (Q.764 2.10.1.4). */
enum isup_glare_rule {
	ISUP_GLARE_EVEN_ODD,   /* the higher point code controls the even CICs */
	ISUP_GLARE_ALWAYS_WIN, /* this side controls every circuit */
	ISUP_GLARE_ALWAYS_YIELD,
};

enum isup_glare_result {
	ISUP_GLARE_KEEP_OURS, /* ignore the received IAM: our call goes on */
	ISUP_GLARE_YIELD,     /* drop our call, accept theirs, retry ours elsewhere */
};

struct isup_cic {
	uint16_t cic;
	bool configured;
	uint8_t call;	 /* enum isup_cic_call */
	uint8_t blocked; /* enum isup_cic_block bits */
	uint8_t pending; /* enum isup_cic_pending bits */
	int16_t span;	 /* TDM span, -1 when none */
	uint8_t timeslot;
	void *user; /* the call on it */
};

struct isup_cic_table;

struct isup_cic_table *isup_cic_table_alloc(void *ctx, uint32_t opc, uint32_t dpc, bool ansi);
void isup_cic_table_set_glare(struct isup_cic_table *t, enum isup_glare_rule rule);
/* Add CICs first..last on span, timeslots from first_ts up. 0 or -errno
 * (-ERANGE outside the variant's CIC range, -EEXIST overlap). */
int isup_cic_add_range(struct isup_cic_table *t, unsigned first, unsigned last, int span,
		       unsigned first_ts);
struct isup_cic *isup_cic_get(struct isup_cic_table *t, unsigned cic);
unsigned isup_cic_count(const struct isup_cic_table *t);
/* Iterate configured circuits in CIC order: start with NULL. */
struct isup_cic *isup_cic_next(struct isup_cic_table *t, const struct isup_cic *prev);

/* The circuit's call is over: idle again (and a candidate for hunting;
 * the only way a circuit's call may become ISUP_CIC_IDLE). */
void isup_cic_set_idle(struct isup_cic_table *t, struct isup_cic *c);

/* Does this side control the circuit for dual seizure? */
bool isup_cic_we_control(const struct isup_cic_table *t, unsigned cic);
/* A seized outgoing circuit received an IAM: what now. */
enum isup_glare_result isup_cic_glare(const struct isup_cic_table *t, unsigned cic);

/* Free for a new outgoing call: configured, idle, not blocked either way,
 * no reset or blocking procedure pending. */
bool isup_cic_usable_out(const struct isup_cic *c);
/* Hunt (Q.764 2.10.1.4: circuits this side controls first, to make dual
 * seizure rare), round-robin within each group; skip except (a CIC that
 * just lost a glare). NULL when none is free. */
struct isup_cic *isup_cic_hunt(struct isup_cic_table *t, int except);

struct isup_cic_summary {
	unsigned total, idle, in_busy, out_busy, local_blocked, remote_blocked, resetting;
};
void isup_cic_summarise(struct isup_cic_table *t, unsigned first, unsigned last,
			struct isup_cic_summary *s);
