/* bench_ec: the echo canceller candidates side by side, in one run, on the
 * ITU-T G.168 Annex D echo path models (D.2..D.9, spandsp's
 * spandsp/g168models.h) and G.168's test structure, NLP off everywhere:
 *   convergence (test 2B): CSS at -16 dBm0, ERL 6 dB, 20 ms bulk delay,
 *     every model: ERLE at 1 s and steady; G.168 asks a combined loss
 *     ACOM = ERL + ERLE >= 27 dB within 1 s
 *   double talk (test 3B): near-end speech at the far end's level in the
 *     middle third: ERLE before / after, near-end SDR
 *   path change (test 2, re-convergence): D.2 at 20 ms -> D.7 at 60 ms
 *     after 3 s of an 8 s run (as check_ec.c): ERLE 0.5-1 s after the
 *     change, ms to 20 dB after it
 *   speech (the old bench's signal): D.5, 100 ms, ERL 20 dB
 * and CPU: thread CPU time (CLOCK_THREAD_CPUTIME_ID) inside ec_process only
 * (the signal generator and echo path excluded), per second of 8 kHz
 * signal, 128 ms tail, on a 10 s speech run; three rounds, candidates
 * interleaved (A B C A B C ...), the fastest round kept; the process is
 * pinned to one CPU. The ERLE of that same run stands next to the CPU
 * figure: a fast canceller that does not cancel is no candidate.
 *
 * speexdsp's MDF is run at 80, 160 and 256-sample frames (same 128 ms
 * tail): its cost per sample falls with the frame, its adaptation slows.
 *
 * spandsp 0.0.6 prints two lines to stdout per sample from
 * echo_can_update(): stdout (fd 1) points at /dev/null while the
 * cancellers run, and the table is printed afterwards. */
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <talloc.h>

#include "media/ec_bench.h"

#define NMODEL (EC_BENCH_G168_LAST - EC_BENCH_G168_FIRST + 1)
#define ROUNDS 3

static const struct ec_ops *const cands[] = {&ec_nlms_ops, &ec_spandsp_ops, &ec_speex_ops,
					     &ec_speex160_ops, &ec_speex256_ops};
#define NCAND (sizeof(cands) / sizeof(cands[0]))

struct row {
	struct ec_bench_result conv[NMODEL], dt, change, speech, cpu;
	double cpu_best;
};

static int run(void *ctx, struct ec_bench_cfg *c, struct ec_bench_result *r)
{
	c->tail_ms = 128;
	return ec_bench_run(ctx, c, r);
}

int main(void)
{
	static struct row rows[NCAND];
	void *ctx = talloc_new(NULL);
	unsigned i, k, rd;
	int saved, null, rc = 0;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(0, &one);
	if (sched_setaffinity(0, sizeof(one), &one) < 0)
		perror("sched_setaffinity (not pinned)");
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	if (saved < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0)
		return 1;
	close(null);
	for (i = 0; i < NCAND; i++) {
		struct row *w = &rows[i];
		struct ec_bench_cfg dt = {.ops = cands[i],
					  .signal = EC_BENCH_CSS,
					  .g168 = 3,
					  .delay_ms = 20,
					  .erl_db = 6.0f,
					  .double_talk = true,
					  .seed = 1};
		struct ec_bench_cfg ch = {.ops = cands[i],
					  .signal = EC_BENCH_CSS,
					  .g168 = 2,
					  .delay_ms = 20,
					  .erl_db = 6.0f,
					  .seconds = 8.0f,
					  .change_s = 3.0f,
					  .change_g168 = 7,
					  .change_delay_ms = 60,
					  .seed = 1};
		struct ec_bench_cfg sp = {.ops = cands[i],
					  .signal = EC_BENCH_SPEECH,
					  .g168 = 5,
					  .delay_ms = 100,
					  .erl_db = 20.0f,
					  .seed = 1};

		for (k = 0; k < NMODEL; k++) {
			struct ec_bench_cfg c = {.ops = cands[i],
						 .signal = EC_BENCH_CSS,
						 .g168 = EC_BENCH_G168_FIRST + k,
						 .delay_ms = 20,
						 .erl_db = 6.0f,
						 .seed = 1};

			if (run(ctx, &c, &w->conv[k]) < 0)
				rc = 1;
		}
		if (run(ctx, &dt, &w->dt) < 0 || run(ctx, &ch, &w->change) < 0 ||
		    run(ctx, &sp, &w->speech) < 0)
			rc = 1;
		w->cpu_best = INFINITY;
	}
	for (rd = 0; rd < ROUNDS; rd++)
		for (i = 0; i < NCAND; i++) {
			struct ec_bench_cfg c = {.ops = cands[i],
						 .signal = EC_BENCH_SPEECH,
						 .g168 = 5,
						 .delay_ms = 50,
						 .erl_db = 12.0f,
						 .seconds = 10.0f,
						 .seed = 7};
			struct ec_bench_result r;

			if (run(ctx, &c, &r) < 0) {
				rc = 1;
				continue;
			}
			if (r.us_per_channel_second < rows[i].cpu_best) {
				rows[i].cpu_best = r.us_per_channel_second;
				rows[i].cpu = r;
			}
		}
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);

	printf("G.168 Annex D echo paths; NLP off; tail 128 ms; 10 ms blocks in; ERLE dB\n");
	printf("| test |");
	for (i = 0; i < NCAND; i++)
		printf(" %s |", cands[i]->name);
	printf("\n|---|");
	for (i = 0; i < NCAND; i++)
		printf("---|");
	printf("\n");
	for (k = 0; k < NMODEL; k++) {
		printf("| 2B conv. D.%u css 20ms/6dB: 1 s / steady |", EC_BENCH_G168_FIRST + k);
		for (i = 0; i < NCAND; i++)
			printf(" %.1f / %.1f |", rows[i].conv[k].erle_db_1s,
			       rows[i].conv[k].erle_db_steady);
		printf("\n");
	}
	printf("| 2B: worst ACOM at 1 s (>= 27 dB), models passing |");
	for (i = 0; i < NCAND; i++) {
		float worst = INFINITY;
		unsigned ok = 0;

		for (k = 0; k < NMODEL; k++) {
			float acom = 6.0f + rows[i].conv[k].erle_db_1s;

			worst = acom < worst ? acom : worst;
			ok += acom >= 27.0f;
		}
		printf(" %.1f, %u/%u |", worst, ok, NMODEL);
	}
	printf("\n| 3B double talk D.3 css 6dB: before / after, near-end SDR |");
	for (i = 0; i < NCAND; i++)
		printf(" %.1f / %.1f, %.1f |", rows[i].dt.erle_db_before_dt,
		       rows[i].dt.erle_db_after_dt, rows[i].dt.dt_sdr_db);
	printf("\n| path change D.2/20ms -> D.7/60ms: ERLE 1 s after (ms to 20 dB) |");
	for (i = 0; i < NCAND; i++)
		printf(" %.1f (%d) |", rows[i].change.erle_db_change_1s,
		       rows[i].change.ms_to_20db_change);
	printf("\n| speech D.5 100ms/20dB: 1 s / steady |");
	for (i = 0; i < NCAND; i++)
		printf(" %.1f / %.1f |", rows[i].speech.erle_db_1s, rows[i].speech.erle_db_steady);
	printf("\n| CPU us per channel-second (speech D.5 50ms/12dB, best of %d) |", ROUNDS);
	for (i = 0; i < NCAND; i++)
		printf(" %.0f |", rows[i].cpu_best);
	printf("\n| ... ERLE steady on that run |");
	for (i = 0; i < NCAND; i++)
		printf(" %.1f |", rows[i].cpu.erle_db_steady);
	printf("\n| channels per core |");
	for (i = 0; i < NCAND; i++)
		printf(" %.0f |", 1e6 / rows[i].cpu_best);
	printf("\n| state bytes |");
	for (i = 0; i < NCAND; i++)
		printf(" %zu |", rows[i].cpu.state_bytes);
	printf("\n");
	talloc_free(ctx);
	return rc;
}
