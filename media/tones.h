/* Tone building blocks on 8 kHz linear samples: an oscillator, levels in
 * dBm0, a Goertzel power meter, and call-progress tone plans (US per ANSI
 * T1.401, ITU/European per E.180) with their cadences. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "media/g711.h"

#define TONE_RATE 8000

/* Quadrature oscillator (rotation by a fixed phasor, renormalised each
 * block so the amplitude does not drift). */
struct tone_osc {
	float re, im;
	float cr, ci;
};

void tone_osc_init(struct tone_osc *o, double freq_hz);
/* Next sample of sin(), unit amplitude. */
static inline float tone_osc_next(struct tone_osc *o)
{
	float re = o->re * o->cr - o->im * o->ci;
	float im = o->re * o->ci + o->im * o->cr;

	o->re = re;
	o->im = im;
	return im;
}
void tone_osc_renorm(struct tone_osc *o);

/* Peak amplitude of a sine at level dbm0 for the given law. */
double tone_dbm0_amp(enum g711_law law, double dbm0);
/* Level in dBm0 of a signal with this mean power (sum of squares / n). */
double tone_power_dbm0(enum g711_law law, double mean_square);

/* Goertzel: power of one frequency over a block, as the mean square of
 * the matching sinusoid (so a pure tone gives its own mean square). */
double tone_goertzel(const int16_t *x, size_t n, double freq_hz);
double tone_mean_square(const int16_t *x, size_t n);

/* Call-progress tones. */
#define TONE_MAX_CADENCE 4

struct tone_def {
	const char *name;
	uint16_t f1, f2;		       /* Hz; f2 = 0 for a single frequency */
	int16_t level_cdbm0;		       /* per frequency, in 0.1 dBm0 */
	uint16_t cadence_ms[TONE_MAX_CADENCE]; /* on, off, on, off; 0 ends; none = steady */
};

/* Plans: "us" and "itu". Tones: "dial", "ringback", "busy", "congestion". */
const struct tone_def *tone_plan_find(const char *plan, const char *tone);

struct tone_gen {
	const struct tone_def *def;
	struct tone_osc o1, o2;
	float a1, a2;
	unsigned step; /* index into cadence */
	uint32_t left; /* samples left in this step */
	bool on;
	bool active;
};

/* level_cdbm0: INT16_MIN for the plan's level. Returns 0, -ENOENT. */
int tone_gen_start(struct tone_gen *g, const char *plan, const char *tone, enum g711_law law,
		   int level_cdbm0);
int tone_gen_start_def(struct tone_gen *g, const struct tone_def *def, enum g711_law law,
		       int level_cdbm0);
void tone_gen_stop(struct tone_gen *g);
/* Write n samples (silence in the off periods). */
void tone_gen_fill(struct tone_gen *g, int16_t *out, size_t n);
