/* An RTCP SR or RR as the JSON object a HEP collector (Homer) stores for
 * HEP protocol type 5 ("RTCP JSON", HEP3 chunk 0x000b): the report's type
 * and SSRC, for an SR its sender information (ntp_timestamp_sec is the
 * NTP seconds word, ntp_timestamp_usec the fraction word, as capture
 * agents send them), and each report block (RFC 3550 6.4.1). Pure. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* The first SR or RR of a compound packet (checked whole, RFC 3550 A.2)
 * into out (NUL-terminated). The length, -EBADMSG (malformed, or no SR or
 * RR in it), -ENOSPC. */
int rtcp_json_encode(char *out, size_t size, const uint8_t *buf, size_t len);
