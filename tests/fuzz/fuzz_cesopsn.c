/* libFuzzer: CESoPSN decoding in every RTP placement and span, feeding the
 * jitter buffer and de-interleaver with what decodes. The first input
 * byte picks the configuration. */
#include <stddef.h>
#include <stdint.h>
#include <talloc.h>

#include "media/cesopsn.h"
#include "media/jitterbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jb *jb[2];
	struct cesop_cfg cfg;
	struct cesop_pkt p;
	uint8_t streams[CESOP_MAX_PAYLOAD], out[CESOP_MAX_PAYLOAD];
	unsigned sel;

	if (size < 1)
		return 0;
	sel = data[0];
	cesop_cfg_init(&cfg, sel & 1 ? CESOP_T1 : CESOP_E1);
	cfg.rtp = (enum cesop_rtp_mode)((sel >> 1) % 3);
	cesop_cfg_set_frames(&cfg, 1 + ((sel >> 3) & 7));
	if (sel & 0x80)
		cesop_cfg_set_timeslots(&cfg, 0x6);
	if (!jb[0]) {
		struct jb_cfg jc = {.frame_bytes = CESOP_MAX_PAYLOAD,
				    .depth = 4,
				    .payload = JB_PAYLOAD_ALAW,
				    .conceal = JB_CONCEAL_REPEAT_FADE};

		jb[0] = jb_alloc(NULL, &jc);
		jc.payload = JB_PAYLOAD_ULAW;
		jc.conceal = JB_CONCEAL_SILENCE;
		jb[1] = jb_alloc(NULL, &jc);
	}
	if (cesop_decode(&cfg, data + 1, size - 1, &p) == 0) {
		if (p.payload < data + 1 || p.payload + p.payload_len > data + size)
			__builtin_trap();
		if (p.payload_len) {
			cesop_deinterleave(p.payload, cfg.n_ts, cfg.frames, streams);
			cesop_interleave(streams, cfg.n_ts, cfg.frames, out);
		}
		jb_put(jb[sel & 1], p.cw.seq, p.payload, p.payload_len);
		jb_get(jb[sel & 1], out);
	}
	return 0;
}
