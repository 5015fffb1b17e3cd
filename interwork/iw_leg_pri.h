/* The circuit leg on an ISDN PRI B channel (iw_leg.h implemented for
 * Q.931 through isdn/). */
#pragma once

#include <stdint.h>

#include "sigtran/isup_param.h"

struct iw;
struct isdn_call_ops;

extern const struct iw_leg_class iw_leg_pri_class;

/* The isdn/ call events, to give isdn_init(); ctx: where incoming legs
 * live until the call takes them. */
const struct isdn_call_ops *iw_leg_pri_ops(void *ctx);
/* The interworking instance incoming PRI calls go to. */
void iw_leg_pri_set_iw(struct iw *iw);

/* Q.931 type of number (4.5.8 / 4.5.10 octet 3 bits 7-5) <-> Q.763 nature
 * of address indicator. */
uint8_t iw_pri_ton_to_noa(uint8_t ton);
uint8_t iw_pri_noa_to_ton(uint8_t noa);
/* A Q.931 number (plan: type of number << 4 | numbering plan; pres:
 * presentation << 5 | screening) as the call carries it. */
void iw_pri_number_in(uint8_t plan, uint8_t pres, const char *digits, struct isup_number *out);
/* The Q.931 type of number / numbering plan octet for a number. */
uint8_t iw_pri_plan_out(const struct isup_number *n);
/* Q.931 octet 3a of the calling number: presentation << 5 | screening */
uint8_t iw_pri_pres_out(const struct isup_number *n);
