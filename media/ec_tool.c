/* tandem-tool erle: run one echo canceller on the bench, print JSON. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <talloc.h>

#include "core/tool.h"
#include "media/ec_bench.h"

static void json_num(const char *key, double v, const char *sep)
{
	if (isnan(v) || isinf(v))
		printf("\"%s\":null%s", key, sep);
	else
		printf("\"%s\":%.2f%s", key, v, sep);
}

/* spandsp 0.0.6's echo_can_update() prints to stdout on every sample: point
 * fd 1 at /dev/null while the bench runs, then restore it for the JSON. */
static int quiet_begin(void)
{
	int saved, null;

	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (saved < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0) {
		if (saved >= 0)
			close(saved);
		if (null >= 0)
			close(null);
		return -1;
	}
	close(null);
	return saved;
}

static void quiet_end(int saved)
{
	if (saved < 0)
		return;
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
}

static int run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"ec", required_argument, NULL, 'e'},
		{"tail-ms", required_argument, NULL, 't'},
		{"delay-ms", required_argument, NULL, 'd'},
		{"erl-db", required_argument, NULL, 'l'},
		{"signal", required_argument, NULL, 's'},
		{"double-talk", no_argument, NULL, 'D'},
		{"seconds", required_argument, NULL, 'S'},
		{"nlp", no_argument, NULL, 'n'},
		{"path", required_argument, NULL, 'p'},
		{"seed", required_argument, NULL, 'r'},
		{"noise-dbm0", required_argument, NULL, 'N'},
		{NULL, 0, NULL, 0},
	};
	struct ec_bench_cfg cfg = {.erl_db = 6.0f, .signal = EC_BENCH_CSS, .seed = 1};
	struct ec_bench_result res;
	const char *name = "tandem";
	int c, rc, saved;
	char *end;
	void *ctx;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			name = optarg;
			continue;
		case 't':
			cfg.tail_ms = (unsigned)strtoul(optarg, &end, 10);
			break;
		case 'd':
			cfg.delay_ms = (unsigned)strtoul(optarg, &end, 10);
			break;
		case 'l':
			cfg.erl_db = strtof(optarg, &end);
			break;
		case 's':
			if (ec_bench_signal_parse(optarg, &cfg.signal) < 0)
				return 2;
			end = optarg + strlen(optarg);
			break;
		case 'D':
			cfg.double_talk = true;
			continue;
		case 'n':
			cfg.nlp = true;
			continue;
		case 'S':
			cfg.seconds = strtof(optarg, &end);
			break;
		case 'p':
			cfg.path = (unsigned)strtoul(optarg, &end, 10);
			break;
		case 'r':
			cfg.seed = (uint32_t)strtoul(optarg, &end, 10);
			break;
		case 'N':
			cfg.noise_dbm0 = strtof(optarg, &end);
			break;
		default:
			return 2;
		}
		if (*end || end == optarg)
			return 2;
	}
	if (optind != argc)
		return 2;
	cfg.ops = ec_find(name);
	if (!cfg.ops) {
		printf("{\"error\":\"unknown echo canceller\"}\n");
		return 1;
	}
	if (cfg.tail_ms && (cfg.tail_ms < EC_TAIL_MS_MIN || cfg.tail_ms > EC_TAIL_MS_MAX))
		return 2;
	ctx = talloc_new(NULL);
	saved = quiet_begin();
	rc = ec_bench_run(ctx, &cfg, &res);
	quiet_end(saved);
	talloc_free(ctx);
	if (rc < 0) {
		printf("{\"error\":\"%s\"}\n", strerror(-rc));
		return rc == -EINVAL ? 2 : 1;
	}
	printf("{\"ec\":\"%s\",\"signal\":\"%s\",\"delay_ms\":%u,\"erl_db\":%.1f,", cfg.ops->name,
	       ec_bench_signal_name(cfg.signal), cfg.delay_ms, cfg.erl_db);
	json_num("erle_db_1s", res.erle_db_1s, ",");
	json_num("erle_db_steady", res.erle_db_steady, ",");
	printf("\"ms_to_20db\":%d,", res.ms_to_20db);
	if (cfg.double_talk) {
		json_num("double_talk_distortion_db", res.dt_distortion_db, ",");
		json_num("double_talk_sdr_db", res.dt_sdr_db, ",");
		json_num("erle_db_before_dt", res.erle_db_before_dt, ",");
		json_num("erle_db_after_dt", res.erle_db_after_dt, ",");
	} else {
		printf("\"double_talk_distortion_db\":null,");
	}
	json_num("us_per_channel_second", res.us_per_channel_second, ",");
	printf("\"state_bytes\":%zu,\"double_talk_share\":%.3f}\n", res.state_bytes,
	       res.metrics.double_talk_share);
	return 0;
}

TOOL_CMD(ec_erle, "erle",
	 "[--ec tandem|spandsp|speex] [--tail-ms 32..128] [--delay-ms 0..120] [--erl-db E] "
	 "[--signal noise|css|speech] [--double-talk] [--seconds S] [--nlp] [--path 1..4] "
	 "[--seed N] [--noise-dbm0 DB]",
	 "echo canceller bench: ERLE, convergence, double talk, CPU (JSON)", run);
