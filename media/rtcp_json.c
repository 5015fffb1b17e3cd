/* RTCP report -> JSON for HEP (rtcp_json.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "media/rtcp.h"
#include "media/rtcp_json.h"

struct out {
	char *p;
	size_t size, len;
	bool full;
};

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

int rtcp_json_encode(char *out, size_t size, const uint8_t *buf, size_t len)
{
	struct out o = {.p = out, .size = size};
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	struct rtcp_report r;
	bool found = false;

	if (!size)
		return -ENOSPC;
	out[0] = '\0';
	if (rtcp_iter_init(&it, buf, len) < 0)
		return -EBADMSG;
	while (rtcp_iter_next(&it, &pkt) == 1) {
		if ((pkt.pt == RTCP_SR || pkt.pt == RTCP_RR) && rtcp_report_decode(&pkt, &r) == 0) {
			found = true;
			break;
		}
	}
	if (!found)
		return -EBADMSG;
	put(&o, "{\"type\":%u,\"ssrc\":%" PRIu32, r.is_sr ? RTCP_SR : RTCP_RR, r.ssrc);
	if (r.is_sr)
		put(&o,
		    ",\"sender_information\":{\"ntp_timestamp_sec\":%" PRIu32
		    ",\"ntp_timestamp_usec\":%" PRIu32 ",\"rtp_timestamp\":%" PRIu32
		    ",\"packets\":%" PRIu32 ",\"octets\":%" PRIu32 "}",
		    (uint32_t)(r.sr.ntp >> 32), (uint32_t)r.sr.ntp, r.sr.rtp_ts, r.sr.packets,
		    r.sr.octets);
	put(&o, ",\"report_count\":%u,\"report_blocks\":[", r.rb_count);
	for (unsigned i = 0; i < r.rb_count; i++) {
		const struct rtcp_rb *b = &r.rb[i];

		put(&o,
		    "%s{\"source_ssrc\":%" PRIu32 ",\"fraction_lost\":%u,\"packets_lost\":%" PRId32
		    ",\"highest_seq_no\":%" PRIu32 ",\"ia_jitter\":%" PRIu32 ",\"lsr\":%" PRIu32
		    ",\"dlsr\":%" PRIu32 "}",
		    i ? "," : "", b->ssrc, b->fraction, b->lost, b->ext_max, b->jitter, b->lsr,
		    b->dlsr);
	}
	put(&o, "]}");
	return o.full ? -ENOSPC : (int)o.len;
}
