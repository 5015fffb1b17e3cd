/* G.165 answer tone disabler: 2100 Hz with phase reversals. See ec_tone.h. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "media/ec_tone.h"

/* -31 dBm0 (G.165 tone disabler sensitivity) as mean power of 16-bit linear
 * samples: 0 dBm0 is an rms of 16055 (G.711, 3.14 dBm0 full-scale sine). */
#define TONE_MIN_POWER (16055.0f * 16055.0f * 7.943e-4f)
#define TONE_PURITY    0.7f /* share of block power at 2100 Hz */
#define TONE_RUN_MIN   40   /* 200 ms of tone before a reversal counts */
#define TONE_CONFIRM   4    /* 20 ms of tone after it */

/* The 2100 Hz phasor: made once for every canceller of every worker (it
 * was 160 cos/sin per detector, two detectors per call's canceller: ~0.7 %
 * of a tandem's CPU per call set-up) */
static float tone_cos[EC_TONE_PERIOD], tone_sin[EC_TONE_PERIOD];
static pthread_once_t tone_once = PTHREAD_ONCE_INIT;

static void tone_table(void)
{
	for (unsigned i = 0; i < EC_TONE_PERIOD; i++) {
		double a = 2.0 * M_PI * 2100.0 * i / 8000.0;

		tone_cos[i] = (float)cos(a);
		tone_sin[i] = (float)-sin(a);
	}
}

void ec_tone_init(struct ec_tone *t)
{
	pthread_once(&tone_once, tone_table);
	memset(t, 0, sizeof(*t));
	t->dr = 1.0f;
}

static void block_done(struct ec_tone *t)
{
	float zr = t->zr / EC_TONE_BLOCK, zi = t->zi / EC_TONE_BLOCK, p = t->p / EC_TONE_BLOCK;
	bool pure = p >= TONE_MIN_POWER && 2.0f * (zr * zr + zi * zi) >= TONE_PURITY * p;
	bool reversal = false;

	t->hr[2] = t->hr[1], t->hi[2] = t->hi[1], t->hpure[2] = t->hpure[1];
	t->hr[1] = t->hr[0], t->hi[1] = t->hi[0], t->hpure[1] = t->hpure[0];
	t->hr[0] = zr, t->hi[0] = zi, t->hpure[0] = pure;
	t->zr = t->zi = t->p = 0.0f;

	if (!pure) {
		/* A block straddling a reversal loses purity: allow one. */
		if (++t->gap > 1) {
			t->tone_run = 0;
			t->confirm = 0;
		}
		return;
	}
	t->gap = 0;
	t->tone_run++;
	if (t->holdoff)
		t->holdoff--;

	if (t->hpure[1]) {
		/* Drift between neighbouring blocks: the frequency offset (up
		 * to 21 Hz, 38 degrees per block). Learn it only from steady
		 * pairs (less than 90 degrees apart). */
		float qr = zr * t->hr[1] + zi * t->hi[1];
		float qi = zi * t->hr[1] - zr * t->hi[1];
		float m = sqrtf(qr * qr + qi * qi);

		if (qr > 0.0f && m > 0.0f) {
			t->dr = 0.7f * t->dr + 0.3f * qr / m;
			t->di = 0.7f * t->di + 0.3f * qi / m;
		}
	}
	if (t->hpure[2] && !t->holdoff) {
		/* Compare with the block 10 ms earlier, less two blocks of drift. */
		float qr = zr * t->hr[2] + zi * t->hi[2];
		float qi = zi * t->hr[2] - zr * t->hi[2];
		float d2r = t->dr * t->dr - t->di * t->di, d2i = 2.0f * t->dr * t->di;
		float rr = qr * d2r + qi * d2i; /* q * conj(drift^2) */
		float m = sqrtf(qr * qr + qi * qi) * sqrtf(d2r * d2r + d2i * d2i);

		if (m > 0.0f && rr < -0.5f * m)
			reversal = true;
	}
	if (reversal) {
		t->reversals++;
		t->holdoff = 3;
		if (t->tone_run >= TONE_RUN_MIN)
			t->confirm = TONE_CONFIRM;
		return;
	}
	if (t->confirm && --t->confirm == 0)
		t->detected = true;
}

bool ec_tone_rx(struct ec_tone *t, const int16_t *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		float v = x[i];

		t->zr += v * tone_cos[t->phase];
		t->zi += v * tone_sin[t->phase];
		t->p += v * v;
		if (++t->phase == EC_TONE_PERIOD)
			t->phase = 0;
		if (++t->fill == EC_TONE_BLOCK) {
			t->fill = 0;
			block_done(t);
		}
	}
	return t->detected;
}
