/* Oscillator, levels, Goertzel and call-progress tone plans. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "media/tones.h"

void tone_osc_init(struct tone_osc *o, double freq_hz)
{
	double w = 2 * M_PI * freq_hz / TONE_RATE;

	o->re = 1;
	o->im = 0;
	o->cr = (float)cos(w);
	o->ci = (float)sin(w);
}

void tone_osc_renorm(struct tone_osc *o)
{
	float m = sqrtf(o->re * o->re + o->im * o->im);

	if (m > 0) {
		o->re /= m;
		o->im /= m;
	}
}

double tone_dbm0_amp(enum g711_law law, double dbm0)
{
	return g711_dbm0_peak(law) * pow(10.0, dbm0 / 20.0);
}

double tone_power_dbm0(enum g711_law law, double mean_square)
{
	double p0 = g711_dbm0_peak(law);

	if (mean_square <= 0)
		return -200;
	/* A 0 dBm0 sine has mean square p0^2 / 2. */
	return 10 * log10(mean_square / (p0 * p0 / 2));
}

double tone_goertzel(const int16_t *x, size_t n, double freq_hz)
{
	double k = 2 * cos(2 * M_PI * freq_hz / TONE_RATE), s1 = 0, s2 = 0, p;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		double s = x[i] + k * s1 - s2;

		s2 = s1;
		s1 = s;
	}
	p = s1 * s1 + s2 * s2 - k * s1 * s2; /* |X(f)|^2 */
	/* A sinusoid of amplitude A gives |X|^2 = (A n / 2)^2; its mean
	 * square is A^2 / 2. */
	return 2 * p / ((double)n * n);
}

double tone_mean_square(const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	return n ? e / n : 0;
}

/* ANSI T1.401 (precise tone plan): dial 350+440 at -13 dBm0, audible
 * ringing 440+480 at -19 dBm0 2 s on 4 s off, line busy 480+620 at -24
 * dBm0 0.5/0.5 s, reorder (congestion) 480+620 at -24 dBm0 0.25/0.25 s.
 * ITU-T E.180: 425 Hz for all; ringing 0.67-1.5 s on, 3-5 s off (1/4 here);
 * busy 0.1-0.6 s on and off in equal parts (0.5/0.5); congestion the
 * faster cadence (0.25/0.25); level -10 dBm0 here, within E.180's
 * recommended range. */
static const struct tone_def plan_us[] = {
	{"dial", 350, 440, -130, {0}},
	{"ringback", 440, 480, -190, {2000, 4000}},
	{"busy", 480, 620, -240, {500, 500}},
	{"congestion", 480, 620, -240, {250, 250}},
	{NULL, 0, 0, 0, {0}},
};

static const struct tone_def plan_itu[] = {
	{"dial", 425, 0, -100, {0}},
	{"ringback", 425, 0, -100, {1000, 4000}},
	{"busy", 425, 0, -100, {500, 500}},
	{"congestion", 425, 0, -100, {250, 250}},
	{NULL, 0, 0, 0, {0}},
};

const struct tone_def *tone_plan_find(const char *plan, const char *tone)
{
	const struct tone_def *t;

	if (!strcmp(plan, "us"))
		t = plan_us;
	else if (!strcmp(plan, "itu") || !strcmp(plan, "eu"))
		t = plan_itu;
	else
		return NULL;
	for (; t->name; t++)
		if (!strcmp(t->name, tone))
			return t;
	return NULL;
}

static void load_step(struct tone_gen *g)
{
	const uint16_t *c = g->def->cadence_ms;

	if (!c[0]) {
		g->on = true;
		g->left = UINT32_MAX;
		return;
	}
	if (g->step >= TONE_MAX_CADENCE || !c[g->step])
		g->step = 0;
	g->on = !(g->step & 1);
	g->left = (uint32_t)c[g->step] * (TONE_RATE / 1000);
}

int tone_gen_start_def(struct tone_gen *g, const struct tone_def *def, enum g711_law law,
		       int level_cdbm0)
{
	double lvl = (level_cdbm0 == INT16_MIN ? def->level_cdbm0 : level_cdbm0) / 10.0;

	memset(g, 0, sizeof(*g));
	g->def = def;
	tone_osc_init(&g->o1, def->f1);
	tone_osc_init(&g->o2, def->f2 ? def->f2 : def->f1);
	g->a1 = (float)tone_dbm0_amp(law, lvl);
	g->a2 = def->f2 ? g->a1 : 0;
	g->step = 0;
	g->active = true;
	load_step(g);
	return 0;
}

int tone_gen_start(struct tone_gen *g, const char *plan, const char *tone, enum g711_law law,
		   int level_cdbm0)
{
	const struct tone_def *def = tone_plan_find(plan, tone);

	if (!def)
		return -ENOENT;
	return tone_gen_start_def(g, def, law, level_cdbm0);
}

void tone_gen_stop(struct tone_gen *g)
{
	g->active = false;
}

void tone_gen_fill(struct tone_gen *g, int16_t *out, size_t n)
{
	size_t i = 0;

	if (!g->active) {
		memset(out, 0, n * sizeof(*out));
		return;
	}
	while (i < n) {
		size_t run = n - i;

		if (run > g->left)
			run = g->left;
		if (g->on) {
			for (size_t k = 0; k < run; k++) {
				float v = g->a1 * tone_osc_next(&g->o1) +
					  g->a2 * tone_osc_next(&g->o2);

				out[i + k] = (int16_t)lrintf(v);
			}
			tone_osc_renorm(&g->o1);
			tone_osc_renorm(&g->o2);
		} else {
			memset(out + i, 0, run * sizeof(*out));
		}
		i += run;
		if (g->left != UINT32_MAX) {
			g->left -= (uint32_t)run;
			if (!g->left) {
				g->step++;
				load_step(g);
			}
		}
	}
}
