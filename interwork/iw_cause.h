/* Release causes between ISUP and SIP: Q.850 cause values <-> SIP status
 * codes (RFC 3398 7.2.4.1 and 8.2.6.1) and the Reason header that carries
 * the Q.850 cause itself (RFC 3326, in responses RFC 6432). Pure: no I/O,
 * no globals. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Q.850 2.2.5 location values the mapping looks at. */
#define IW_CAUSE_LOC_USER 0
#define IW_CAUSE_LOC_BI	  10 /* network beyond interworking point */

/* Q.850 cause values named by the mapping code. */
#define IW_CAUSE_UNALLOCATED	 1
#define IW_CAUSE_NORMAL_CLEARING 16
#define IW_CAUSE_USER_BUSY	 17
#define IW_CAUSE_CALL_REJECTED	 21
#define IW_CAUSE_NORMAL_UNSPEC	 31
#define IW_CAUSE_TEMP_FAILURE	 41
#define IW_CAUSE_INTERWORKING	 127

/* The SIP final response for an ISUP release cause (RFC 3398 7.2.4.1), the
 * location taken as "not user". Causes the table does not list take the
 * response of their class's "unspecified" cause (see the vector file for
 * the choices). Cause 16 gives 480: the caller sends BYE or CANCEL where
 * the dialog allows it and needs a response only to reject an INVITE.
 * -EINVAL for a value outside 1..127. */
int iw_cause_isup_to_sip(uint8_t cause);

/* The same with the Q.850 location of the cause indicators: cause 21 at
 * location user (0) gives 603 Decline (RFC 3398 7.2.4.1 note +). */
int iw_cause_isup_to_sip_loc(uint8_t cause, uint8_t location);

/* The ISUP release cause for a SIP final response (RFC 3398 8.2.6.1).
 * Statuses the table does not list take 31 as the RFC says, 487 (which
 * it leaves unmapped) too; 488 and 606 ("by Warning header") give 65.
 * A status outside 300..699 gives 0 (no cause: not a failure response). */
uint8_t iw_cause_sip_to_isup(int status);

/* The Q.850 location for the cause of a SIP failure response (RFC 3398
 * 8.2.6.1): user for 6xx, beyond the interworking point otherwise. */
uint8_t iw_cause_sip_location(int status);

/* The release cause for a failure response carrying Reason header values
 * (reason may be NULL): a Q.850 cause in it wins over the status map
 * (RFC 3398 / Q.1912.5, RFC 6432). */
uint8_t iw_cause_from_response(int status, const char *reason, size_t reason_len);

/* Q.850 name of a cause value, NULL when Q.850 defines none. */
const char *iw_cause_text(uint8_t cause);

/* Writes the header line "Reason: Q.850;cause=N;text=\"...\"\r\n" (text
 * only when Q.850 names the cause), NUL-terminated, ready for
 * sip_build_extra.headers. Returns its length, -EINVAL for a cause outside
 * 0..127, -ENOSPC when it does not fit. */
int iw_reason_format(char *buf, size_t size, uint8_t cause);

/* Finds the first Q.850 reason-value in a Reason header value (the part
 * after the colon; a leading "Reason:" is skipped too), several values
 * separated by commas allowed (RFC 3326 2). Sets *cause on success.
 * Returns 0, -ENOENT when there is no Q.850 value, -EBADMSG when the Q.850
 * value has no cause or one outside 0..127. */
int iw_reason_parse(const char *p, size_t len, uint8_t *cause);
