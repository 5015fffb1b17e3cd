/* Checks of a configuration after it was read, where one command alone
 * cannot tell: routes naming trunks or linksets that are not configured,
 * two CICs on one TDM timeslot, certificate files that are not there, trunk
 * addresses that are no addresses. Each problem is one line
 * "FILE:LINE: what" on out. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

struct iw_cfg_check_res {
	unsigned errors;   /* start-up must stop */
	unsigned warnings; /* tolerated at start-up (logged), errors under -t */
};

void iw_cfg_check(FILE *out, struct iw_cfg_check_res *res);
