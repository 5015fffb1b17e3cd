/* libFuzzer: RTP header, RTCP compound, RFC 4733 and CN payload decoders,
 * and the receiver statistics fed with whatever decodes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/rtp_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rtp_rx rx;
	static struct rtp_event_rx erx;
	static uint64_t now;
	struct rtp_hdr h;
	struct rtcp_iter it;
	struct rtcp_pkt pkt;
	struct rtcp_report rep;
	struct rtcp_rb rb;
	static uint8_t out[RTP_HDR_LEN + 4 * RTP_MAX_CSRC + 4 + 4 * 65535];

	if (!rx.clock_rate)
		rtp_rx_init(&rx, 8000);
	now += 20000000;
	if (rtp_decode(data, size, &h) == 0) {
		struct rtp_event ev;
		uint8_t lvl;

		/* Views stay inside the input. */
		if (h.payload < data || h.payload + h.payload_len > data + size)
			__builtin_trap();
		rtp_rx_update(&rx, &h, now);
		if (rtp_event_decode(h.payload, h.payload_len, &ev) == 0)
			rtp_event_rx_update(&erx, h.ts, &ev);
		rtp_cn_decode(h.payload, h.payload_len, &lvl);
		/* Re-encoding what decoded gives the same header bytes. */
		if (!h.padding) {
			int n = rtp_encode_hdr(out, sizeof(out), &h);

			if (n < 0 || (size_t)n > size || memcmp(out, data, (size_t)n))
				__builtin_trap();
		}
	}
	if (rtcp_iter_init(&it, data, size) == 0) {
		while (rtcp_iter_next(&it, &pkt) == 1) {
			const char *s;
			size_t l;
			uint32_t ssrc;

			if (pkt.body < data || pkt.body + pkt.body_len > data + size)
				__builtin_trap();
			switch (pkt.pt) {
			case RTCP_SR:
			case RTCP_RR:
				if (rtcp_report_decode(&pkt, &rep) == 0 && rep.is_sr)
					rtp_rx_sr_seen(&rx, rep.sr.ntp, now);
				break;
			case RTCP_SDES:
				if (rtcp_sdes_cname(&pkt, &ssrc, &s, &l) == 0 &&
				    (const uint8_t *)s + l > data + size)
					__builtin_trap();
				break;
			case RTCP_BYE:
				if (rtcp_bye_decode(&pkt, &ssrc, &s, &l) == 0 && s &&
				    (const uint8_t *)s + l > data + size)
					__builtin_trap();
				break;
			}
		}
	}
	rtcp_rb_from_rx(&rx, &rb, now);
	return 0;
}
