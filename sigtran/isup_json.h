/* ISUP message <-> JSON, for tandem-tool isup-decode / isup-encode and the
 * tests. Pure: writes to and reads from caller buffers.
 *
 * {"cic":N,"type":"IAM","params":{"<snake_case name>":VALUE,...},
 *  "unknown":[{"code":N,"hex":".."}]}
 * VALUE is typed for the parameters call control reads (numbers, cause,
 * indicators), a plain number for one-octet codes, else {"hex":".."} (also
 * when a typed parameter's value does not decode). Any
 * parameter may be given as {"hex":".."} to the parser. A parameter that
 * occurs again is keyed "<name>_2", "<name>_3"... JSON strings with
 * backslash escapes are not accepted (nothing here needs them). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "sigtran/isup_msg.h"

/* Write m as one JSON object (no newline). Length written, or -ENOSPC. */
int isup_json_print(enum isup_variant v, const struct isup_msg *m, char *buf, size_t size);

/* Parse the JSON object into m (isup_msg_init + isup_msg_add), the
 * parameter bytes living in store. 0, or -EINVAL with a reason in err. */
int isup_json_parse(enum isup_variant v, const char *json, struct isup_msg *m, uint8_t *store,
		    size_t store_size, char *err, size_t errlen);
