/* Fixed-size, sequence-indexed jitter buffer for packetised 8 kHz media
 * (CESoPSN payloads, RTP G.711 frames). Memory is sized at allocation;
 * jb_put() and jb_get() never allocate. The consumer calls jb_get() once
 * per packet interval on its own clock (the TDM span clock), so the buffer
 * also absorbs the sender's clock. Not thread-safe: one worker owns it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/g711.h"

enum jb_conceal {
	JB_CONCEAL_SILENCE,	/* play idle code */
	JB_CONCEAL_REPEAT_FADE, /* repeat the last frame, fading out, then idle */
	JB_CONCEAL_NONE,	/* leave the frame to the caller (raw payloads) */
};

enum jb_payload {
	JB_PAYLOAD_ALAW,
	JB_PAYLOAD_ULAW,
	JB_PAYLOAD_RAW,
};

struct jb_cfg {
	unsigned frame_bytes; /* bytes per packet slot */
	unsigned depth;	      /* packets buffered before playout starts */
	unsigned capacity;    /* slots; rounded up to a power of two >= 2 * depth */
	enum jb_payload payload;
	enum jb_conceal conceal;
	/* Repeat-fade: frames until silence, the gain halving each frame.
	 * Every byte is a G.711 sample (interleaved CESoPSN frames too), so
	 * fading works on either. */
	unsigned fade_frames;
};

enum jb_out {
	JB_OUT_FRAME,	  /* a received frame */
	JB_OUT_CONCEALED, /* missing: concealment written to out */
	JB_OUT_MISSING,	  /* missing, JB_CONCEAL_NONE: out untouched */
	JB_OUT_BUFFERING, /* not playing yet: idle written (or untouched if raw) */
};

struct jb_stats {
	uint64_t received;
	uint64_t played;
	/* Playout slots with no frame inside the stream: between the first
	 * and the last sequence received. Slots played before the stream
	 * starts or after it ends (or while it pauses with no gap in its
	 * numbering) are concealed but not lost. */
	uint64_t lost;
	uint64_t late;	    /* arrived after their slot was played */
	uint64_t duplicate; /* same sequence already buffered */
	uint64_t resync;    /* jumps too far ahead or behind: buffer restarted */
	uint64_t concealed;
};

struct jb;

struct jb *jb_alloc(void *ctx, const struct jb_cfg *cfg);
void jb_free(struct jb *jb);
void jb_reset(struct jb *jb);

/* Returns 0, or -EALREADY (duplicate), -ETIME (late), -EMSGSIZE (len >
 * frame_bytes), all counted. A frame shorter than frame_bytes is padded
 * with the idle code. */
int jb_put(struct jb *jb, uint16_t seq, const uint8_t *data, size_t len);
/* One playout interval: writes frame_bytes to out. */
enum jb_out jb_get(struct jb *jb, uint8_t *out);

const struct jb_stats *jb_stats(const struct jb *jb);
/* Frames buffered ahead of the playout point. */
unsigned jb_fill(const struct jb *jb);
