/* bench_ec: the echo canceller candidate table (docs/echo-canceller.md),
 * regenerated in one run on the bench of media/ec_bench.c.
 *
 * CPU is thread CPU time (CLOCK_THREAD_CPUTIME_ID) spent in ec_process,
 * per second of 8 kHz signal, 128 ms tail; channels per core = 1e6 / that.
 * The machine is shared: expect +-15 % between runs.
 *
 * spandsp 0.0.6 prints two lines to stdout per sample from
 * echo_can_update(): stdout (fd 1) points at /dev/null while the
 * cancellers run, and the table is printed afterwards. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <talloc.h>

#include "media/ec_bench.h"

struct scen {
	const char *label;
	enum ec_bench_signal sig;
	unsigned delay_ms;
	float erl_db;
	bool dt;
};

static const struct scen scens[] = {
	{"css 0ms/6dB", EC_BENCH_CSS, 0, 6.0f, false},
	{"css 100ms/20dB", EC_BENCH_CSS, 100, 20.0f, false},
	{"speech 0ms/12dB", EC_BENCH_SPEECH, 0, 12.0f, false},
	{"speech 50ms/6dB", EC_BENCH_SPEECH, 50, 6.0f, false},
	{"speech 100ms/20dB", EC_BENCH_SPEECH, 100, 20.0f, false},
	{"noise 50ms/12dB", EC_BENCH_NOISE, 50, 12.0f, false},
	{"DT css 60ms/6dB", EC_BENCH_CSS, 60, 6.0f, true},
	{"DT speech 60ms/20dB", EC_BENCH_SPEECH, 60, 20.0f, true},
};
#define NSCEN (sizeof(scens) / sizeof(scens[0]))
#define NIMPL 3

int main(void)
{
	static struct ec_bench_result res[NIMPL][NSCEN], cpu[NIMPL];
	const struct ec_ops *const *impls = ec_impls();
	void *ctx = talloc_new(NULL);
	unsigned i, k, ni = 0;
	int saved, null, rc = 0;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	if (saved < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0)
		return 1;
	close(null);
	for (i = 0; impls[i] && i < NIMPL; i++, ni++) {
		struct ec_bench_cfg c = {.ops = impls[i],
					 .tail_ms = 128,
					 .signal = EC_BENCH_SPEECH,
					 .seconds = 10.0f,
					 .delay_ms = 50,
					 .erl_db = 12.0f,
					 .seed = 7};

		for (k = 0; k < NSCEN; k++) {
			struct ec_bench_cfg s = {.ops = impls[i],
						 .tail_ms = 128,
						 .signal = scens[k].sig,
						 .delay_ms = scens[k].delay_ms,
						 .erl_db = scens[k].erl_db,
						 .double_talk = scens[k].dt,
						 .seed = 1};

			if (ec_bench_run(ctx, &s, &res[i][k]) < 0)
				rc = 1;
		}
		if (ec_bench_run(ctx, &c, &cpu[i]) < 0)
			rc = 1;
	}
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);

	printf("ERLE dB at 1 s / steady (ms to 20 dB); NLP off; tail 128 ms; 10 ms blocks\n");
	printf("| scenario |");
	for (i = 0; i < ni; i++)
		printf(" %s |", impls[i]->name);
	printf("\n|---|");
	for (i = 0; i < ni; i++)
		printf("---|");
	printf("\n");
	for (k = 0; k < NSCEN; k++) {
		printf("| %s |", scens[k].label);
		for (i = 0; i < ni; i++) {
			const struct ec_bench_result *r = &res[i][k];

			if (scens[k].dt)
				printf(" before %.1f, after %.1f, SDR %.1f, dist %.2f dB |",
				       r->erle_db_before_dt, r->erle_db_after_dt, r->dt_sdr_db,
				       r->dt_distortion_db);
			else
				printf(" %.1f / %.1f (%d) |", r->erle_db_1s, r->erle_db_steady,
				       r->ms_to_20db);
		}
		printf("\n");
	}
	printf("| CPU us per channel-second |");
	for (i = 0; i < ni; i++)
		printf(" %.0f |", cpu[i].us_per_channel_second);
	printf("\n| channels per core |");
	for (i = 0; i < ni; i++)
		printf(" %.0f |", 1e6 / cpu[i].us_per_channel_second);
	printf("\n| x spandsp |");
	for (i = 0; i < ni; i++)
		printf(" %.1f |", cpu[1].us_per_channel_second / cpu[i].us_per_channel_second);
	printf("\n| state bytes |");
	for (i = 0; i < ni; i++)
		printf(" %zu |", cpu[i].state_bytes);
	printf("\n");
	talloc_free(ctx);
	return rc;
}
