/* libFuzzer: the far end's RTCP as the media worker takes it in
 * (rtcp_peer_rx: compound check, SR/RR and report blocks, round trip from
 * LSR/DLSR), fed into the receiver statistics our own reports are built
 * from. The first 12 bytes choose our SSRC and the arrival time, so the
 * report blocks can be about us and the round-trip arithmetic is reached. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/rtcp.h"
#include "media/rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rtp_rx rx;
	static uint64_t now;
	struct rtcp_peer p = {0}, before;
	uint64_t ntp, sr_ntp = 7;
	uint32_t ssrc;
	uint8_t *copy, out[512];
	struct rtp_tx tx;
	int rc;

	if (size < 12)
		return 0;
	if (!rx.clock_rate)
		rtp_rx_init(&rx, 8000);
	now += 20000000;
	ssrc = rd32(data);
	ntp = (uint64_t)rd32(data + 4) << 32 | rd32(data + 8);
	data += 12;
	size -= 12;
	/* an exact-size copy: ASan sees any read past the datagram */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	before = p;
	rc = rtcp_peer_rx(&p, copy, size, ssrc, ntp, &sr_ntp);
	if (rc == 0) {
		if (p.reports != 1 || p.bad != 0)
			__builtin_trap();
		/* a round trip is only ever taken as non-negative and under 60 s */
		if (p.have_rtt && p.rtt_q16 >= 60u * 65536u)
			__builtin_trap();
		if (sr_ntp)
			rtp_rx_sr_seen(&rx, sr_ntp, now);
	} else {
		/* refused whole: nothing taken over */
		before.bad = 1;
		if (rc != -74 /* -EBADMSG */ || memcmp(&p, &before, sizeof(p)) || sr_ntp)
			__builtin_trap();
	}
	/* our next report carries LSR/DLSR from what was taken in */
	rtp_tx_init(&tx, ssrc ^ 1, 1, 160);
	if (rtcp_build_report(out, sizeof(out), &tx, false, ntp, 0, &rx, now, "fuzz") < 0)
		__builtin_trap();
	free(copy);
	return 0;
}
