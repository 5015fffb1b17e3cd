/* CDRs into PostgreSQL: the "operations" node's commands and "show cdr"
 * lines (iw_cdr_pg.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <osmocom/core/talloc.h>
#include <osmocom/vty/command.h>
#include <osmocom/vty/vty.h>

#include "core/vty.h"
#include "interwork/iw_cdr_pg.h"
#include "interwork/iw_cdr_pg_int.h"
#include "interwork/iw_cdr_spool.h"

static int apply(struct vty *vty)
{
	int rc = iw_cdr_pg_restart();

	if (rc < 0) {
		vty_out(vty, "%% cdr postgresql: %s%s", strerror(-rc), VTY_NEWLINE);
		return CMD_WARNING;
	}
	return CMD_SUCCESS;
}

DEFUN(cfg_cdr_pg_connect, cfg_cdr_pg_connect_cmd, "cdr postgresql connect .CONNINFO",
      "Call detail records\nAlso into a PostgreSQL table (through an on-disk spool)\n"
      "libpq connection string, e.g. host=/run/postgresql dbname=cdr user=tandem (a socket "
      "path or hostaddr=: a host name would be resolved blocking)\nConnection string\n")
{
	char *ci = argv_concat(argv, argc, 0), why[256];

	if (!ci)
		return CMD_WARNING;
	if (iw_cdr_pg_conninfo_check(ci, why, sizeof(why)) < 0) {
		tandem_config_reason("cdr postgresql connect: %s", why);
		vty_out(vty, "%% cdr postgresql connect: %s%s", why, VTY_NEWLINE);
		talloc_free(ci);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(tall_vty_ctx, &iw_cdr_pg_cfg.conninfo, ci);
	talloc_free(ci);
	if (!iw_cdr_pg_cfg.spool)
		return CMD_SUCCESS; /* the spool line may follow */
	return apply(vty);
}

DEFUN(cfg_cdr_pg_spool, cfg_cdr_pg_spool_cmd, "cdr postgresql spool PATH",
      "Call detail records\nPostgreSQL\nEvery record is written here before it is sent "
      "(PATH and PATH.done)\nAbsolute path\n")
{
	if (argv[0][0] != '/') {
		tandem_config_reason("cdr postgresql spool: an absolute path, not '%s'", argv[0]);
		vty_out(vty, "%% cdr postgresql spool: an absolute path%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(tall_vty_ctx, &iw_cdr_pg_cfg.spool, argv[0]);
	return iw_cdr_pg_cfg.conninfo ? apply(vty) : CMD_SUCCESS;
}

DEFUN(cfg_cdr_pg_table, cfg_cdr_pg_table_cmd, "cdr postgresql table NAME",
      "Call detail records\nPostgreSQL\nThe table (created when missing; default cdr)\n"
      "Table name, optionally schema.table (lower case letters, digits, _)\n")
{
	const char *s = argv[0];
	bool ok = strlen(s) <= 127 && !(s[0] >= '0' && s[0] <= '9') && s[0] != '.';
	unsigned dots = 0;

	for (; ok && *s; s++) {
		if (*s == '.')
			ok = ++dots == 1 && s[1] && !(s[1] >= '0' && s[1] <= '9');
		else
			ok = (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_';
	}
	if (!ok || !argv[0][0]) {
		tandem_config_reason("cdr postgresql table: '%s' is not a plain SQL name "
				     "(a-z, 0-9, _, one '.' for a schema)",
				     argv[0]);
		vty_out(vty, "%% cdr postgresql table: not a plain SQL name%s", VTY_NEWLINE);
		return CMD_WARNING;
	}
	osmo_talloc_replace_string(tall_vty_ctx, &iw_cdr_pg_cfg.table, argv[0]);
	return iw_cdr_pg_cfg.conninfo && iw_cdr_pg_cfg.spool ? apply(vty) : CMD_SUCCESS;
}

DEFUN(cfg_cdr_pg_batch, cfg_cdr_pg_batch_cmd, "cdr postgresql batch <1-1000> interval <10-60000>",
      "Call detail records\nPostgreSQL\nRecords per INSERT\nRecords\nWait this long for a "
      "batch to fill\nMilliseconds\n")
{
	iw_cdr_pg_cfg.batch = (unsigned)atoi(argv[0]);
	iw_cdr_pg_cfg.interval_ms = (unsigned)atoi(argv[1]);
	return CMD_SUCCESS;
}

DEFUN(cfg_no_cdr_pg, cfg_no_cdr_pg_cmd, "no cdr postgresql",
      NO_STR "Call detail records\nNo database (the spool keeps what was not sent)\n")
{
	TALLOC_FREE(iw_cdr_pg_cfg.conninfo);
	iw_cdr_pg_stop();
	return CMD_SUCCESS;
}

void iw_cdr_pg_config_write(struct vty *vty)
{
	if (!iw_cdr_pg_cfg.conninfo)
		return;
	if (iw_cdr_pg_cfg.spool)
		vty_out(vty, " cdr postgresql spool %s%s", iw_cdr_pg_cfg.spool, VTY_NEWLINE);
	if (iw_cdr_pg_cfg.table)
		vty_out(vty, " cdr postgresql table %s%s", iw_cdr_pg_cfg.table, VTY_NEWLINE);
	vty_out(vty, " cdr postgresql batch %u interval %u%s", iw_cdr_pg_cfg.batch,
		iw_cdr_pg_cfg.interval_ms, VTY_NEWLINE);
	vty_out(vty, " cdr postgresql connect %s%s", iw_cdr_pg_cfg.conninfo, VTY_NEWLINE);
}

void iw_cdr_pg_show(struct vty *vty)
{
	const struct iw_cdr_pg_stats *st = iw_cdr_pg_get_stats();
	const char *err = iw_cdr_pg_last_error();
	const struct iw_cdr_spool_stats *ss;

	if (!iw_cdr_pg_cfg.conninfo)
		return;
	vty_out(vty, "CDR database: %s, table %s, spool %s%s", iw_cdr_pg_state(),
		iw_cdr_pg_cfg.table ? iw_cdr_pg_cfg.table : "cdr",
		iw_cdr_pg_cfg.spool ? iw_cdr_pg_cfg.spool : "none", VTY_NEWLINE);
	vty_out(vty,
		"db backlog %" PRIu64 ", sent %" PRIu64 ", duplicates ignored %" PRIu64
		", batches %" PRIu64 ", failed batches %" PRIu64 ", rejected %" PRIu64
		", spool errors %" PRIu64 ", connects %" PRIu64 ", disconnects %" PRIu64 "%s",
		iw_cdr_pg_backlog(), st->sent, st->duplicates, st->batches, st->failed_batches,
		st->rejected, st->spool_errors, st->connects, st->disconnects, VTY_NEWLINE);
	if ((ss = iw_cdr_pg_spool_stats()))
		vty_out(vty,
			"db spool: last seq %" PRIu64 ", committed seq %" PRIu64 ", %" PRIu64
			" bytes, compactions %" PRIu64 " (%" PRIu64
			" kB copied), torn records cut %" PRIu64 ", syncs %" PRIu64
			", write errors %" PRIu64 "%s",
			ss->last_seq, ss->done_seq, ss->bytes, ss->compactions,
			ss->compact_copied / 1000, ss->torn, ss->syncs, ss->write_errors,
			VTY_NEWLINE);
	if (err && err[0] && strcmp(iw_cdr_pg_state(), "connected"))
		vty_out(vty, "db last error: %s%s", err, VTY_NEWLINE);
}

unsigned iw_cdr_pg_cfg_check(FILE *out)
{
	if (!iw_cdr_pg_cfg.conninfo || iw_cdr_pg_cfg.spool)
		return 0;
	fprintf(out,
		"%s:%u: cdr postgresql connect: no 'cdr postgresql spool PATH' (every record is "
		"written there before it is sent)\n",
		tandem_config_name(), tandem_config_find_line("cdr postgresql connect", NULL, 0));
	return 1;
}

void iw_cdr_pg_vty_init(void)
{
	install_element(TANDEM_OPS_NODE, &cfg_cdr_pg_connect_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_cdr_pg_spool_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_cdr_pg_table_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_cdr_pg_batch_cmd);
	install_element(TANDEM_OPS_NODE, &cfg_no_cdr_pg_cmd);
}
