/* Per-message formats (Q.763 Tables 32-55 and T1.113): private to the ISUP
 * codec. */
#pragma once

#include <stdint.h>

#include "sigtran/isup_msg.h"

#define ISUP_FMT_MAX_FIXED 4
#define ISUP_FMT_MAX_VAR   2

enum isup_fmt_opt {
	ISUP_OPT_NONE, /* no optional part, no pointer to it */
	ISUP_OPT_YES,  /* optional part with its pointer */
	ISUP_OPT_LAX,  /* optional part; a peer may leave the pointer out (libss7 CFN, INR) */
};

struct isup_fmt_fixed {
	uint8_t code;
	uint8_t len;
};

struct isup_fmt {
	uint8_t type;
	uint8_t nfixed;
	uint8_t nvar;
	uint8_t opt; /* enum isup_fmt_opt */
	struct isup_fmt_fixed fixed[ISUP_FMT_MAX_FIXED];
	uint8_t var[ISUP_FMT_MAX_VAR];
};

/* The format of a message type in a variant, or NULL when the variant does
 * not know it. */
const struct isup_fmt *isup_fmt_get(enum isup_variant v, uint8_t type);
