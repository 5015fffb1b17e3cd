/* CDRs into PostgreSQL, through the on-disk spool (iw_cdr_spool.h).
 *
 * Every record is appended to the spool when the call attempt ends (before
 * the call's memory goes), and only then sent. libpq runs in non-blocking
 * mode on the signalling thread's loop: its socket is polled through the
 * ring, connecting is PQconnectStart/PQconnectPoll, a batch is one
 * multi-row INSERT (one statement: one transaction) sent with
 * PQsendQueryParams and read back with PQconsumeInput/PQisBusy. A batch
 * leaves the spool only when the server answered the INSERT (committed).
 * The table has record_id as its primary key and rows go in with ON
 * CONFLICT DO NOTHING, so a replay (after a reconnect, a restart, a
 * SIGKILL) never doubles a row. The database gone: the spool grows, the
 * connection is tried again with a back-off (0.5 s doubling to 5 s).
 *
 * Give libpq a socket path or hostaddr=: a host name is resolved by libpq
 * with a blocking getaddrinfo(). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct loop;
struct vty;

struct iw_cdr_pg_cfg {
	char *conninfo;	      /* NULL: not configured */
	char *table;	      /* default "cdr" */
	char *spool;	      /* spool file path (required with conninfo) */
	unsigned batch;	      /* records per INSERT (default 100) */
	unsigned interval_ms; /* wait this long for a batch to fill (default 200) */
};
extern struct iw_cdr_pg_cfg iw_cdr_pg_cfg;

struct iw_cdr_pg_stats {
	uint64_t sent;	     /* records the database committed */
	uint64_t duplicates; /* of those, already there (a replay) */
	uint64_t batches, failed_batches, rejected, spool_errors;
	uint64_t connects, disconnects;
};

/* Open the spool and start connecting (no-op when not configured). */
int iw_cdr_pg_start(void *ctx, struct loop *l);
void iw_cdr_pg_stop(void);
bool iw_cdr_pg_enabled(void);
/* A graceful stop: send what the spool holds at once (not after the batch
 * interval). True while records wait and the database is connected (the
 * caller keeps its loop running, for a bounded time); false when nothing
 * is left or there is no database to send to (the spool keeps the records
 * for the next start). */
bool iw_cdr_pg_flush(void);
/* One CSV record (with its LF) of a finished attempt: spooled, then sent. */
void iw_cdr_pg_put(const char *csv, size_t len);
const struct iw_cdr_pg_stats *iw_cdr_pg_get_stats(void);
/* "connected", "connecting", "down", "off" */
const char *iw_cdr_pg_state(void);
uint64_t iw_cdr_pg_backlog(void);

/* "operations" node commands, their config lines, "show cdr" lines. */
void iw_cdr_pg_vty_init(void);
void iw_cdr_pg_config_write(struct vty *vty);
void iw_cdr_pg_show(struct vty *vty);
/* After reading: a database without a spool is an error (printed to out
 * as FILE:LINE: reason). Returns the number of errors. */
unsigned iw_cdr_pg_cfg_check(FILE *out);
