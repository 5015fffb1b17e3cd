/* Release causes between ISUP and SIP: Q.850 cause values <-> SIP status
 * codes (RFC 3398 7.2.4.1 and 8.2.6.1) and the Reason header that carries
 * the Q.850 cause itself (RFC 3326, in responses RFC 6432). Pure: no I/O,
 * no globals. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The Q.850 cause values and locations are the wire constants of
 * sigtran/isup_proto.h (ISUP_CAUSE_*, ISUP_LOC_*): one set for the tree. */
#include "sigtran/isup_proto.h"

struct sip_msg;

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

/* A cause mapping table: the RFC 3398 defaults above with per-entry
 * overrides, loaded from a text file (format in README.md, "Cause mapping
 * tables"). Pure data: a struct the caller owns, no allocation. */
#define IW_CAUSE_MAP_NO_RESPONSE (-1)
#define IW_CAUSE_MAP_STATUS_MIN	 300
#define IW_CAUSE_MAP_STATUS_MAX	 699
struct iw_cause_map {
	/* 0: default; IW_CAUSE_MAP_NO_RESPONSE; otherwise a SIP status */
	int16_t isup2sip[128];
	/* index status - 300; 0: default; otherwise a Q.850 cause */
	uint8_t sip2isup[IW_CAUSE_MAP_STATUS_MAX - IW_CAUSE_MAP_STATUS_MIN + 1];
	unsigned entries; /* overrides set */
};

/* Every entry back to the RFC 3398 default. */
void iw_cause_map_init(struct iw_cause_map *m);

/* Applies the table text (len bytes, need not be NUL-terminated) on top of
 * m, which the caller initialised. name names the source in messages. On
 * error m may hold the lines before the bad one, and err gets
 * "NAME:LINE: what is wrong" (NUL-terminated, truncated to errsize).
 * Returns 0, -EINVAL for a bad line. */
int iw_cause_map_parse(struct iw_cause_map *m, const char *text, size_t len, const char *name,
		       char *err, size_t errsize);

/* iw_cause_map_init() and then the file at path: 0, -EINVAL (bad line),
 * -errno when the file cannot be read (-EFBIG above 1 MiB); err as for
 * iw_cause_map_parse(), or "PATH: reason" when it cannot be read. */
int iw_cause_map_load(struct iw_cause_map *m, const char *path, char *err, size_t errsize);

/* The SIP status for an ISUP cause through the table (m NULL: defaults).
 * 0 when the table gives no response: cause 16 by default (RFC 3398
 * 7.2.4.1 note *: the call ends with BYE or CANCEL) and entries "-"; a
 * caller that must still reject an INVITE then answers 480. An override
 * applies at every location; without one, cause 21 at location user gives
 * 603 as in iw_cause_isup_to_sip_loc(). -EINVAL for a cause outside
 * 1..127. */
int iw_cause_map_isup_to_sip(const struct iw_cause_map *m, uint8_t cause, uint8_t location);

/* The final response that rejects an INVITE still to answer for an ISUP
 * release cause: iw_cause_map_isup_to_sip(), and 480 where that gives no
 * response (cause 16, "-" entries; RFC 3398 7.2.4.1) or the cause is not a
 * Q.850 value. Always 300..699. */
int iw_cause_map_reject_status(const struct iw_cause_map *m, uint8_t cause, uint8_t location);

/* The ISUP cause for a SIP failure response through the table (m NULL:
 * defaults); 0 for a status outside 300..699. */
uint8_t iw_cause_map_sip_to_isup(const struct iw_cause_map *m, int status);

/* iw_cause_from_response() through the table: a Q.850 Reason still wins. */
uint8_t iw_cause_map_from_response(const struct iw_cause_map *m, int status, const char *reason,
				   size_t reason_len);

/* The release cause for a BYE or CANCEL carrying Reason header values
 * (reason may be NULL): the Q.850 cause in it, else 16 normal clearing
 * (RFC 3398 8.2.7 / 9; Q.1912.5). */
uint8_t iw_cause_from_bye(const char *reason, size_t reason_len);

/* The same decisions on a parsed message, over all its Reason header lines
 * (the first line holding a Q.850 value decides, as within one line), so
 * that the daemon and `tandem-tool cause` agree: a Q.850 cause 0 is no
 * cause and leaves the decision to the status (or to 16 for BYE). */
uint8_t iw_cause_map_from_msg(const struct iw_cause_map *m, int status, const struct sip_msg *rsp);
uint8_t iw_cause_from_bye_msg(const struct sip_msg *bye);

/* The Q.850 cause 1..127 of the message's Reason headers, or 0 when none
 * (no Reason, no Q.850 value, cause 0, malformed). */
uint8_t iw_reason_msg_cause(const struct sip_msg *m);

/* Route advance (Q.1912.5, RFC 3398 8): an ISUP release cause that another
 * linkset may not give (no circuit, network out of order, temporary
 * failure, congestion), so the call tries the next route. */
bool iw_cause_route_advance(uint8_t cause);

/* SIP failover: a final response that another trunk may not give (408 and
 * the server failures 500, 502, 503, 504; RFC 3261 16.7 / RFC 3263 4.3). */
bool iw_cause_sip_failover(int status);

/* The tone that tells a TDM caller of a failure before the REL (national
 * practice, Q.1912.5 tones-on-failure): "busy" for 17, "congestion" for
 * the network/resource causes, NULL for the others. */
const char *iw_cause_failure_tone(uint8_t cause);
