/* 8 <-> 16 kHz conversion with a half-band FIR (own design: 24-tap
 * Kaiser-windowed half-sample interpolator). Used between the 8 kHz TDM
 * side and G.722's 16 kHz. Fixed state, no allocation. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RS_TAPS 24 /* taps of the half-sample interpolator */

struct rs_hist {
	float buf[2 * RS_TAPS];
	unsigned pos;
};

struct rs_coef {
	float w[RS_TAPS];
};

/* Coefficients (computed once per transcoder, kept in its state). */
void rs_coef_init(struct rs_coef *c);

struct rs_up {
	struct rs_hist h;
};

struct rs_down {
	struct rs_hist even;
	struct rs_hist odd;
};

void rs_up_init(struct rs_up *u);
void rs_down_init(struct rs_down *d);
/* n input samples at 8 kHz -> 2n at 16 kHz. Delay: 12 input samples. */
void rs_up(struct rs_up *u, const struct rs_coef *c, const int16_t *in, size_t n, int16_t *out);
/* 2n input samples at 16 kHz -> n at 8 kHz. */
void rs_down(struct rs_down *d, const struct rs_coef *c, const int16_t *in, size_t n, int16_t *out);
