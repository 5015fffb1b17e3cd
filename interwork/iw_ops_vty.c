/* The "operations" node and the operator's commands (iw_ops_vty.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/vty.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/vty.h"
#include "interwork/iw_call.h"
#include "interwork/iw_capture.h"
#include "interwork/iw_cdr.h"
#include "interwork/iw_cdr_pg.h"
#include "interwork/iw_drain.h"
#include "interwork/iw_metrics.h"
#include "interwork/iw_ops_vty.h"
#include "interwork/iw_route_vty.h"
#include "media/media_metrics.h"
#include "sip/sip_trunk.h"
#include "sigtran/isup_metrics.h"
#include "sip/sip_metrics.h"

static struct {
	void *ctx;
	struct loop *loop;
	struct iw *iw;
	char *metrics_addr;
	unsigned metrics_port;
} ops;

static struct cmd_node ops_node = {
	.node = TANDEM_OPS_NODE,
	.prompt = "%s(config-operations)# ",
	.vtysh = 1,
};

DEFUN(cfg_ops, cfg_ops_cmd, "operations",
      "Configure operation: CDR file, metrics endpoint, shutdown\n")
{
	vty->node = TANDEM_OPS_NODE;
	return CMD_SUCCESS;
}

/* a running gateway takes a CDR change at once */
static int cdr_apply(struct vty *vty)
{
	int rc;

	if (!ops.loop)
		return CMD_SUCCESS;
	rc = iw_cdr_start(ops.ctx, ops.loop);
	if (rc < 0) {
		vty_out(vty, "%% CDR file %s: %s%s", iw_cdr_cfg.path, strerror(-rc), VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_cdr_file, cfg_cdr_file_cmd, "cdr file PATH format (csv|json)",
      "Call detail records\nWrite them to a file (appended)\nPath\nRecord format\n"
      "Comma-separated values with a header line (RFC 4180)\nOne JSON object per line\n")
{
	if (argv[0][0] != '/') {
		tandem_config_reason("cdr file: an absolute path, not '%s'", argv[0]);
		vty_out(vty, "%% cdr file: an absolute path%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(tall_vty_ctx, &iw_cdr_cfg.path, argv[0]);
	iw_cdr_cfg.format = !strcmp(argv[1], "json") ? IW_CDR_JSON : IW_CDR_CSV;
	return cdr_apply(vty);
}

DEFUN(cfg_no_cdr_file, cfg_no_cdr_file_cmd, "no cdr file",
      NO_STR "Call detail records\nNo CDR file (the log line only)\n")
{
	TALLOC_FREE(iw_cdr_cfg.path);
	iw_cdr_stop();
	return CMD_SUCCESS;
}

DEFUN(cfg_cdr_rotate, cfg_cdr_rotate_cmd, "cdr rotate (size|interval) <0-2147483647>",
      "Call detail records\nStart a new file (the old one renamed "
      "PATH.YYYYMMDDTHHMMSS.mmmZ, then synced with its directory on a thread)\nWhen the file "
      "reaches this many bytes\nEvery this many "
      "seconds\nBytes or seconds (0: never)\n")
{
	unsigned long v = strtoul(argv[1], NULL, 10);

	if (!strcmp(argv[0], "size")) {
		if (v && v < 4096) {
			tandem_config_reason("cdr rotate size: at least 4096 bytes (or 0)");
			vty_out(vty, "%% at least 4096 bytes (or 0)%s", VTY_NEWLINE);
			return CMD_WARNING;
		}
		iw_cdr_cfg.rotate_bytes = v;
		return CMD_SUCCESS;
	}
	iw_cdr_cfg.rotate_s = (unsigned)v;
	return cdr_apply(vty);
}

DEFUN(cfg_cdr_sync, cfg_cdr_sync_cmd, "cdr sync <0-3600>",
      "Call detail records\nfdatasync the file this many seconds after a record (0: at "
      "rotation and stop only)\nSeconds\n")
{
	iw_cdr_cfg.sync_s = (unsigned)atoi(argv[0]);
	return CMD_SUCCESS;
}

DEFUN(cfg_metrics, cfg_metrics_cmd, "metrics listen ADDR <1-65535>",
      "Prometheus metrics over HTTP\nServe GET /metrics\nIPv4 or IPv6 address\nTCP port\n")
{
	osmo_talloc_replace_string(tall_vty_ctx, &ops.metrics_addr, argv[0]);
	ops.metrics_port = (unsigned)atoi(argv[1]);
	if (ops.loop &&
	    tandem_metrics_http_start(ops.metrics_addr, (uint16_t)ops.metrics_port) < 0) {
		vty_out(vty, "%% cannot serve metrics on %s port %u%s", ops.metrics_addr,
			ops.metrics_port, VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_no_metrics, cfg_no_metrics_cmd, "no metrics", NO_STR "No Prometheus metrics endpoint\n")
{
	TALLOC_FREE(ops.metrics_addr);
	tandem_metrics_http_stop();
	return CMD_SUCCESS;
}

DEFUN(cfg_sigterm, cfg_sigterm_cmd, "sigterm (stop|graceful) [<0-86400>]",
      "What SIGTERM does\nRelease every call and stop (default)\nDrain as 'shutdown "
      "graceful': no new calls, the calls up continue\nTimeout in seconds (0: none; "
      "default 600)\n")
{
	iw_drain_sigterm_graceful = !strcmp(argv[0], "graceful");
	iw_drain_sigterm_s = argc > 1 ? (unsigned)atoi(argv[1]) : 600;
	return CMD_SUCCESS;
}

static int config_write_ops(struct vty *vty)
{
	vty_out(vty, "operations%s", VTY_NEWLINE);
	if (iw_cdr_cfg.path)
		vty_out(vty, " cdr file %s format %s%s", iw_cdr_cfg.path,
			iw_cdr_cfg.format == IW_CDR_JSON ? "json" : "csv", VTY_NEWLINE);
	vty_out(vty, " cdr rotate size %" PRIu64 "%s", iw_cdr_cfg.rotate_bytes, VTY_NEWLINE);
	vty_out(vty, " cdr rotate interval %u%s", iw_cdr_cfg.rotate_s, VTY_NEWLINE);
	vty_out(vty, " cdr sync %u%s", iw_cdr_cfg.sync_s, VTY_NEWLINE);
	iw_cdr_pg_config_write(vty);
	if (ops.metrics_addr)
		vty_out(vty, " metrics listen %s %u%s", ops.metrics_addr, ops.metrics_port,
			VTY_NEWLINE);
	if (iw_drain_sigterm_graceful)
		vty_out(vty, " sigterm graceful %u%s", iw_drain_sigterm_s, VTY_NEWLINE);
	else
		vty_out(vty, " sigterm stop%s", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(cdr_rotate_now, cdr_rotate_now_cmd, "cdr rotate",
      "Call detail records\nStart a new CDR file now\n")
{
	int rc = iw_cdr_rotate();

	if (rc < 0) {
		vty_out(vty, "%% %s%s", rc == -ENOENT ? "no CDR file configured" : strerror(-rc),
			VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(show_cdr, show_cdr_cmd, "show cdr", SHOW_STR "CDR file and its counters\n")
{
	const struct iw_cdr_stats *st = iw_cdr_get_stats();

	vty_out(vty, "CDR file: %s (%s)%s", iw_cdr_path() ? iw_cdr_path() : "none",
		iw_cdr_cfg.format == IW_CDR_JSON ? "json" : "csv", VTY_NEWLINE);
	vty_out(vty,
		"records %" PRIu64 ", bytes %" PRIu64 ", rotations %" PRIu64
		", write errors %" PRIu64 ", syncs %" PRIu64 "%s",
		st->records, st->bytes, st->rotations, st->write_errors, st->syncs, VTY_NEWLINE);
	iw_cdr_pg_show(vty);
	return CMD_SUCCESS;
}

DEFUN(show_metrics, show_metrics_cmd, "show metrics",
      SHOW_STR "The Prometheus metrics, as /metrics serves them\n")
{
	size_t len;
	char *s = tandem_metrics_render(&len), *line, *save = NULL;

	if (!s)
		return CMD_WARNING;
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		vty_out(vty, "%s%s", line, VTY_NEWLINE);
	free(s);
	return CMD_SUCCESS;
}

DEFUN(shutdown_graceful, shutdown_graceful_cmd, "shutdown graceful [<0-86400>]",
      "Take the gateway out of service\nNo new calls (SIP 503 Retry-After, circuits "
      "blocked), the calls up continue; stop when none is left\nTimeout in seconds (0: "
      "none; default 600)\n")
{
	unsigned t = argc > 0 ? (unsigned)atoi(argv[0]) : 600;
	unsigned up;

	if (!ops.loop) {
		vty_out(vty, "%% not running%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	up = iw_drain_start(t);
	vty_out(vty, "draining: %u call(s) up, stop when none is left%s%s", up,
		t ? " or at the timeout" : "", VTY_NEWLINE);
	return CMD_SUCCESS;
}

DEFUN(show_shutdown, show_shutdown_cmd, "show shutdown", SHOW_STR "Drain state\n")
{
	unsigned left, blocked;
	uint64_t probes;

	if (!iw_drain_active()) {
		vty_out(vty, "in service%s", VTY_NEWLINE);
		return CMD_SUCCESS;
	}
	iw_drain_status(&left, &blocked, &probes);
	vty_out(vty,
		"draining: %u call(s) up, %u circuit(s) blocked, %u s to the timeout, "
		"%" PRIu64 " OPTIONS answered 503%s",
		ops.iw ? iw_active_calls(ops.iw) : 0, blocked, left, probes, VTY_NEWLINE);
	return CMD_SUCCESS;
}

/* --- reload --- */

static bool top_level(const char *line)
{
	return line[0] && line[0] != ' ' && line[0] != '\t' && line[0] != '\n' && line[0] != '!';
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* What reload takes from the file: the "routing" node whole, and each
 * existing trunk's "limits" line (they apply to the next calls). */
static char *reload_text(void *ctx, const char *text)
{
	char *out = talloc_strdup(ctx, "");
	const char *p = text;
	bool in_routing = false, in_sip = false;
	char trunk[64] = "";

	while (out && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len;
		if (top_level(line)) {
			in_routing = !strncmp(line, "routing", 7);
			in_sip = !strncmp(line, "sip", 3);
			trunk[0] = '\0';
		}
		if (in_routing) {
			out = talloc_asprintf_append(out, "%s%s", line, nl ? "" : "\n");
			continue;
		}
		if (!in_sip)
			continue;
		if (!strncmp(skip_blank(line), "trunk ", 6) && skip_blank(line) - line == 1) {
			if (sscanf(skip_blank(line) + 6, "%63s", trunk) != 1 ||
			    !sip_trunk_find(trunk))
				trunk[0] = '\0'; /* a new trunk needs a restart */
			continue;
		}
		if (trunk[0] && !strncmp(skip_blank(line), "limits ", 7))
			out = talloc_asprintf_append(out, "sip\n trunk %s\n  %s%s", trunk,
						     skip_blank(line), nl ? "" : "\n");
	}
	return out;
}

/* the number of the first line of text that is, blanks aside, line */
static unsigned file_line(const char *text, const char *line, size_t len)
{
	unsigned n = 1;

	for (const char *p = text; *p; n++) {
		const char *b = skip_blank(p), *nl = strchr(p, '\n');

		if (!strncmp(b, line, len) && (b[len] == '\n' || b[len] == '\0' || b[len] == '\r'))
			return n;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

int iw_ops_reload(char *reply, size_t len)
{
	const char *path = host_config_file();
	char err[512] = "", *text = NULL, *sel = NULL;
	void *tmp = talloc_new(NULL);
	size_t n = 0;
	FILE *f;
	int rc;

	if (!path) {
		snprintf(reply, len, "no configuration file (started without -c)");
		rc = -ENOENT;
		goto out;
	}
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(reply, len, "%s: %s", path, strerror(-rc));
		goto out;
	}
	text = talloc_size(tmp, 1 << 20);
	if (text)
		n = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	if (!text) {
		rc = -ENOMEM;
		goto out;
	}
	text[n] = '\0';
	sel = reload_text(tmp, text);
	if (!sel) {
		rc = -ENOMEM;
		goto out;
	}
	iw_route_vty_reload_begin();
	rc = tandem_config_read_buf(path, sel, strlen(sel), err, sizeof(err));
	iw_route_vty_reload_end(rc == 0);
	if (rc < 0) {
		/* the error counts lines of the text read: name the file's line */
		char *q1 = NULL, *q2 = strrchr(err, '\'');
		unsigned ln = 0;

		if (q2) {
			*q2 = '\0';
			q1 = strrchr(err, '\'');
			*q2 = '\'';
		}
		if (q1)
			ln = file_line(text, q1 + 1, (size_t)(q2 - q1 - 1));
		if (ln && (q2 = strchr(err + strlen(path) + 1, ':')))
			snprintf(reply, len, "refused, the running routes stay: %s:%u%s", path, ln,
				 q2);
		else
			snprintf(reply, len, "refused, the running routes stay: %s", err);
	} else
		snprintf(reply, len,
			 "%s: routing, numbering, cause table and trunk limits re-read (the next "
			 "calls take them; calls up keep theirs); sigtran, isup (circuits, "
			 "linkset limits), sip listeners and trunk addresses, ENUM servers, media "
			 "and operations need a restart",
			 path);
out:
	LOGP(DMAIN, rc < 0 ? LOGL_ERROR : LOGL_NOTICE, "reload: %s\n", reply);
	talloc_free(tmp);
	return rc;
}

DEFUN(reload, reload_cmd, "reload",
      "Re-read routing, numbering and trunk limits from the configuration file\n")
{
	char reply[1024];
	int rc = iw_ops_reload(reply, sizeof(reply));

	vty_out(vty, "%s%s", reply, VTY_NEWLINE);
	return rc < 0 ? CMD_WARNING : CMD_SUCCESS;
}

void iw_ops_vty_init(void)
{
	install_node(&ops_node, config_write_ops);
	install_element(CONFIG_NODE, &cfg_ops_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_cdr_file_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_no_cdr_file_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_cdr_rotate_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_cdr_sync_cmd);
	iw_cdr_pg_vty_init();
	install_element(TANDEM_OPS_NODE, &cfg_metrics_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_no_metrics_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_sigterm_cmd);
	install_element(ENABLE_NODE, &cdr_rotate_now_cmd);
	install_element(ENABLE_NODE, &shutdown_graceful_cmd);
	install_element(ENABLE_NODE, &reload_cmd);
	install_element_ve(&show_cdr_cmd);
	install_element_ve(&show_metrics_cmd);
	install_element_ve(&show_shutdown_cmd);
	iw_capture_vty_init();
}

int iw_ops_start(void *ctx, struct loop *l, struct iw *iw, struct sip_ua *ua,
		 struct media_engine *media)
{
	int rc;

	ops.ctx = ctx;
	ops.loop = l;
	ops.iw = iw;
	iw_drain_set(l, iw);
	/* each layer's figures, in the order a reader looks for them */
	loop_metrics_register(l);
	iw_metrics_register(iw);
	isup_metrics_register();
	m3ua_metrics_register();
	sip_metrics_register(ua);
	media_metrics_register(media);
	loop_signals_on_term(l, iw_drain_on_term, NULL);
	iw_capture_start(l, iw); /* a collector that cannot be used is logged, the gateway runs */
	rc = iw_cdr_start(ctx, l);
	if (rc < 0) {
		fprintf(stderr, "tandemd: CDR file %s: %s\n", iw_cdr_cfg.path, strerror(-rc));
		return rc;
	}
	rc = iw_cdr_pg_start(ctx, l);
	if (rc < 0) {
		fprintf(stderr, "tandemd: CDR database spool %s: %s\n",
			iw_cdr_pg_cfg.spool ? iw_cdr_pg_cfg.spool : "(no 'cdr postgresql spool')",
			strerror(-rc));
		return rc;
	}
	if (ops.metrics_addr) {
		rc = tandem_metrics_http_start(ops.metrics_addr, (uint16_t)ops.metrics_port);
		/* built without libmicrohttpd: said in the log, the gateway runs */
		if (rc < 0 && rc != -ENOTSUP) {
			fprintf(stderr, "tandemd: metrics on %s port %u: %s\n", ops.metrics_addr,
				ops.metrics_port, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

void iw_ops_stop(void)
{
	tandem_metrics_http_stop();
	iw_capture_stop();
	iw_cdr_stop();
	iw_cdr_wait_syncs(10000); /* the exit would cut them short */
	iw_cdr_pg_stop();
	iw_drain_set(NULL, NULL);
	ops.loop = NULL;
	ops.iw = NULL;
}
