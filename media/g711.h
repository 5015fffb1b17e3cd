/* G.711 PCM (ITU-T G.711): A-law and µ-law, with direct A<->µ conversion.
 *
 * Linear samples are 16-bit two's complement. A-law carries 13 bits of it
 * (the 3 low bits are dropped), µ-law 14 bits (2 low bits dropped), as in
 * G.711 Tables 1 and 2 scaled to 16 bits. Decoding and A<->µ conversion are
 * table look-ups; encoding is a few integer operations (no branches on the
 * segment search beyond a count-leading-zeros). */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum g711_law {
	G711_LAW_A,
	G711_LAW_U,
};

/* G.711 idle (silence) codes: the encoding of +0. */
#define G711_ALAW_SILENCE 0xd5
#define G711_ULAW_SILENCE 0xff

extern const int16_t g711_alaw_dec_tab[256];
extern const int16_t g711_ulaw_dec_tab[256];
extern const uint8_t g711_alaw_to_ulaw_tab[256];
extern const uint8_t g711_ulaw_to_alaw_tab[256];

static inline int16_t g711_alaw_decode(uint8_t c)
{
	return g711_alaw_dec_tab[c];
}

static inline int16_t g711_ulaw_decode(uint8_t c)
{
	return g711_ulaw_dec_tab[c];
}

static inline uint8_t g711_alaw_to_ulaw(uint8_t c)
{
	return g711_alaw_to_ulaw_tab[c];
}

static inline uint8_t g711_ulaw_to_alaw(uint8_t c)
{
	return g711_ulaw_to_alaw_tab[c];
}

/* G.711 Table 1 (A-law): 12-bit magnitude, 8 segments; segments 0 and 1
 * share the step of 2, each later one doubles it. Even bits are inverted
 * on the line (XOR 0x55); the sign bit is 1 for positive values. */
static inline uint8_t g711_alaw_encode(int16_t x)
{
	unsigned m, seg, code, sign;

	if (x >= 0) {
		sign = 0x80;
		m = (unsigned)x >> 3;
	} else {
		/* One's complement: -1..-8 fall in the first negative step. */
		sign = 0;
		m = (unsigned)(~(int)x) >> 3;
	}
	if (m < 32) {
		code = m >> 1;
	} else {
		seg = 31 - (unsigned)__builtin_clz(m) - 4; /* 1..7 */
		code = (seg << 4) | ((m >> seg) & 0xf);
	}
	return (uint8_t)((sign | code) ^ 0x55);
}

/* G.711 Table 2 (µ-law): 14-bit magnitude biased by 33, clipped at 8158 so
 * the top code stays in segment 7; all bits inverted on the line and the
 * sign bit is 0 for negative values. */
static inline uint8_t g711_ulaw_encode(int16_t x)
{
	int v;
	unsigned m, seg, sign;

	/* Table 2 is symmetric in magnitude (there is a +0 and a -0), so the
	 * magnitude is truncated, not the two's complement value. */
	if (x < 0) {
		sign = 0x80;
		v = -(int)x >> 2;
	} else {
		sign = 0;
		v = x >> 2;
	}
	if (v > 8158)
		v = 8158;
	m = (unsigned)v + 33;			   /* 33..8191 */
	seg = 31 - (unsigned)__builtin_clz(m) - 5; /* 0..7 */
	return (uint8_t) ~(sign | (seg << 4) | ((m >> (seg + 1)) & 0xf));
}

static inline uint8_t g711_lin2law(enum g711_law law, int16_t x)
{
	return law == G711_LAW_A ? g711_alaw_encode(x) : g711_ulaw_encode(x);
}

static inline int16_t g711_law2lin(enum g711_law law, uint8_t c)
{
	return law == G711_LAW_A ? g711_alaw_decode(c) : g711_ulaw_decode(c);
}

static inline uint8_t g711_silence(enum g711_law law)
{
	return law == G711_LAW_A ? G711_ALAW_SILENCE : G711_ULAW_SILENCE;
}

/* Block forms; in and out may not overlap except for the byte-to-byte
 * conversions, which may run in place. */
void g711_decode_buf(enum g711_law law, const uint8_t *in, int16_t *out, size_t n);
void g711_encode_buf(enum g711_law law, const int16_t *in, uint8_t *out, size_t n);
/* A->µ or µ->A (from -> to); same law copies. */
void g711_convert_buf(enum g711_law from, enum g711_law to, const uint8_t *in, uint8_t *out,
		      size_t n);

/* Peak amplitude (16-bit linear) of a 0 dBm0 sine: G.711 puts the
 * overload point at +3.14 dBm0 (A-law) and +3.17 dBm0 (µ-law). */
double g711_dbm0_peak(enum g711_law law);
