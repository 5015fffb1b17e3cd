/* CDRs into PostgreSQL through the spool (iw_cdr_pg.h). */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "interwork/iw_cdr.h"
#include "interwork/iw_cdr_pg.h"
#include "interwork/iw_cdr_pg_int.h"
#include "interwork/iw_cdr_spool.h"

struct iw_cdr_pg_cfg iw_cdr_pg_cfg = {.batch = 100, .interval_ms = 200};

#define PG_MAX_COLS	     64
#define PG_BACKOFF_MIN_MS    500
#define PG_BACKOFF_MAX_MS    5000
#define PG_CONNECT_TIMEOUT_S 10
#define PG_QUERY_TIMEOUT_S   30

#ifdef TANDEM_HAVE_LIBPQ
#include <libpq-fe.h>

/* SQL types of the CDR columns; the rest are text */
static const char *col_type(const char *name)
{
	static const char *const ints[] = {
		"attempt",    "cic",   "span",	   "timeslot",	"cause",     "cause_location",
		"sip_status", "ptime", "rtp_lost", "peer_lost", "ec_conv_ms"};
	static const char *const bigs[] = {"setup_ms",	  "duration_ms", "rtp_rx",   "rtp_tx",
					   "rtp_refused", "jb_lost",	 "concealed"};
	static const char *const dbls[] = {"jitter_ms", "peer_jitter_ms", "rtt_ms", "ec_erl_db",
					   "ec_erle_db"};
	size_t n = strlen(name);

	if (n > 4 && !strcmp(name + n - 4, "_utc"))
		return "timestamptz";
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (!strcmp(name, ints[i]))
			return "integer";
	for (size_t i = 0; i < sizeof(bigs) / sizeof(bigs[0]); i++)
		if (!strcmp(name, bigs[i]))
			return "bigint";
	for (size_t i = 0; i < sizeof(dbls) / sizeof(dbls[0]); i++)
		if (!strcmp(name, dbls[i]))
			return "double precision";
	return "text";
}

enum pg_state { PG_S_OFF, PG_S_DOWN, PG_S_CONNECTING, PG_S_SETUP, PG_S_IDLE, PG_S_BUSY };

/* One poll request on libpq's socket at a time; a record whose socket
 * went away (PQfinish) lives until its request completes. */
struct pg_watch {
	struct loop_op op;
	int fd;
	unsigned armed; /* mask in flight, ~0u: being withdrawn */
	bool inflight, gone;
};

static struct {
	void *ctx;
	struct loop *loop;
	PGconn *conn;
	enum pg_state state;
	PostgresPollingStatusType cpoll; /* connecting: what libpq waits for */
	bool want_write;		 /* PQflush has more to send */
	struct pg_watch *watch;
	struct iw_cdr_spool *spool;
	struct loop_timer retry_tmr, batch_tmr, timeout_tmr, sync_tmr, cut_tmr;
	unsigned backoff_ms;
	bool logged_down, sync_dirty;
	bool hold;     /* a refused batch waits out its back-off */
	bool flushing; /* a graceful stop: every batch now, not after the interval */
	/* the batch in flight */
	unsigned n_inflight, rows_inflight, isolate; /* isolate: the next records go one by one */
	uint64_t end_inflight, seq_inflight;
	bool batch_ok, batch_conflict_class; /* data error (class 22/23) */
	uint64_t batch_inserted;
	char *last_error;
	/* the columns of the CSV record, from iw_cdr_header */
	char hdr[2048];
	const char *cols[PG_MAX_COLS];
	int ncols;
	struct iw_cdr_pg_stats st;
} pg = {.state = PG_S_OFF};

static const char *table(void)
{
	return iw_cdr_pg_cfg.table ? iw_cdr_pg_cfg.table : "cdr";
}

static void ignore_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	(void)l;
	(void)op;
	(void)cqe;
}
static struct loop_op ignore_op = {.cb = ignore_cb};

static void drive(void);
static void rearm(void);

static void watch_cb(struct loop *l, struct loop_op *op, const struct io_uring_cqe *cqe)
{
	struct pg_watch *w = op->priv;

	(void)l;
	w->inflight = false;
	if (w->gone || w != pg.watch) {
		talloc_free(w);
		return;
	}
	if (cqe->res != -ECANCELED)
		drive();
	rearm();
}

static void watch_retire(void)
{
	struct pg_watch *w = pg.watch;

	pg.watch = NULL;
	if (!w)
		return;
	if (!w->inflight) {
		talloc_free(w);
		return;
	}
	w->gone = true;
	struct io_uring_sqe *sqe = loop_sqe(pg.loop, &ignore_op);

	if (sqe)
		io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)&w->op);
}

static unsigned want_mask(void)
{
	switch (pg.state) {
	case PG_S_CONNECTING:
		return pg.cpoll == PGRES_POLLING_READING ? POLLIN : POLLOUT;
	case PG_S_SETUP:
	case PG_S_IDLE:
	case PG_S_BUSY:
		return POLLIN | (pg.want_write ? POLLOUT : 0);
	default:
		return 0;
	}
}

static void rearm(void)
{
	int fd = pg.conn ? PQsocket(pg.conn) : -1;
	unsigned want = fd >= 0 ? want_mask() : 0;
	struct pg_watch *w = pg.watch;
	struct io_uring_sqe *sqe;

	if (w && (w->fd != fd || !want))
		watch_retire();
	if (!want)
		return;
	if (!pg.watch) {
		/* parented to the loop: it may outlive a stop */
		w = talloc_zero(pg.loop, struct pg_watch);
		if (!w)
			return;
		w->fd = fd;
		w->op.cb = watch_cb;
		w->op.priv = w;
		pg.watch = w;
	}
	w = pg.watch;
	if (w->inflight) {
		if (w->armed == want || w->armed == ~0u)
			return;
		/* withdrawn; its completion arms the new mask */
		sqe = loop_sqe(pg.loop, &ignore_op);
		if (sqe)
			io_uring_prep_poll_remove(sqe, (uint64_t)(uintptr_t)&w->op);
		w->armed = ~0u;
		return;
	}
	sqe = loop_sqe(pg.loop, &w->op);
	if (!sqe)
		return;
	io_uring_prep_poll_add(sqe, fd, want);
	w->inflight = true;
	w->armed = want;
}

static void set_error(const char *what)
{
	size_t n;

	talloc_free(pg.last_error);
	pg.last_error = talloc_strdup(pg.ctx, what ? what : "");
	if (!pg.last_error)
		return;
	/* libpq's messages end in a line break and may hold more lines
	 * (DETAIL, HINT): one log line */
	while ((n = strlen(pg.last_error)) &&
	       (pg.last_error[n - 1] == '\n' || pg.last_error[n - 1] == ' '))
		pg.last_error[n - 1] = '\0';
	for (char *p = pg.last_error; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

static void schedule_retry(void)
{
	pg.state = PG_S_DOWN;
	loop_timer_cancel(pg.loop, &pg.batch_tmr);
	loop_timer_cancel(pg.loop, &pg.timeout_tmr);
	loop_timer_schedule(pg.loop, &pg.retry_tmr, (uint64_t)pg.backoff_ms * 1000);
	pg.backoff_ms =
		pg.backoff_ms * 2 > PG_BACKOFF_MAX_MS ? PG_BACKOFF_MAX_MS : pg.backoff_ms * 2;
}

/* The connection is gone (or never came): close, try again later. A batch
 * in flight stays in the spool and goes again. */
static void conn_fail(const char *why)
{
	set_error(why);
	if (!pg.logged_down)
		LOGP(DCDR, LOGL_ERROR,
		     "CDR database unreachable (%s): records are kept in the spool %s\n",
		     pg.last_error, iw_cdr_pg_cfg.spool);
	pg.logged_down = true;
	if (pg.state == PG_S_BUSY)
		pg.st.failed_batches++;
	if (pg.state >= PG_S_SETUP)
		pg.st.disconnects++;
	watch_retire();
	if (pg.conn)
		PQfinish(pg.conn);
	pg.conn = NULL;
	pg.n_inflight = 0;
	pg.want_write = false;
	pg.hold = false;
	schedule_retry();
}

static void flush_out(void)
{
	int r = PQflush(pg.conn);

	if (r < 0) {
		conn_fail(PQerrorMessage(pg.conn));
		return;
	}
	pg.want_write = r == 1;
	rearm();
}

static void connect_start(void)
{
	pg.conn = PQconnectStart(iw_cdr_pg_cfg.conninfo);
	if (!pg.conn) {
		conn_fail("out of memory");
		return;
	}
	if (PQstatus(pg.conn) == CONNECTION_BAD) {
		conn_fail(PQerrorMessage(pg.conn));
		return;
	}
	pg.state = PG_S_CONNECTING;
	pg.cpoll = PGRES_POLLING_WRITING; /* as if PQconnectPoll had said so */
	loop_timer_schedule(pg.loop, &pg.timeout_tmr, PG_CONNECT_TIMEOUT_S * 1000000ull);
	rearm();
}

static void retry_tick(void *priv)
{
	(void)priv;
	if (pg.state == PG_S_DOWN)
		connect_start();
}

static void timeout_tick(void *priv)
{
	(void)priv;
	if (pg.state == PG_S_CONNECTING)
		conn_fail("connect timed out");
	else if (pg.state == PG_S_SETUP || pg.state == PG_S_BUSY)
		conn_fail("no answer from the database");
}

static void send_batch(void);

static void batch_tick(void *priv)
{
	(void)priv;
	pg.hold = false;
	send_batch();
}

/* Now when a batch is full (or a backlog is being replayed), else after
 * the interval. */
static void kick(void)
{
	const struct iw_cdr_spool_stats *ss;

	if (pg.state != PG_S_IDLE || !pg.spool || pg.hold)
		return;
	ss = iw_cdr_spool_get_stats(pg.spool);
	if (!ss->backlog)
		return;
	if (ss->backlog >= iw_cdr_pg_cfg.batch || pg.isolate || pg.flushing) {
		loop_timer_schedule(pg.loop, &pg.batch_tmr, 0);
		return;
	}
	if (!loop_timer_pending(&pg.batch_tmr))
		loop_timer_schedule(pg.loop, &pg.batch_tmr,
				    (uint64_t)iw_cdr_pg_cfg.interval_ms * 1000);
}

/* A drained spool's file is cut once its mark is on the disk (synced off
 * this thread): the sync timer looks again shortly until it is. */
#define PG_CUT_POLL_US 50000

static void spool_commit(uint64_t end, unsigned n, uint64_t seq)
{
	iw_cdr_spool_commit(pg.spool, end, n, seq);
	if (iw_cdr_spool_cut_pending(pg.spool) && !loop_timer_pending(&pg.cut_tmr))
		loop_timer_schedule(pg.loop, &pg.cut_tmr, PG_CUT_POLL_US);
}

static void cut_tick(void *priv)
{
	(void)priv;
	if (!pg.spool)
		return;
	iw_cdr_spool_poll(pg.spool);
	if (iw_cdr_spool_cut_pending(pg.spool))
		loop_timer_schedule(pg.loop, &pg.cut_tmr, PG_CUT_POLL_US);
}

static void send_setup(void)
{
	char *sql = talloc_asprintf(pg.ctx, "CREATE TABLE IF NOT EXISTS %s (seq bigint NOT NULL",
				    table());

	for (int i = 0; sql && i < pg.ncols; i++)
		sql = talloc_asprintf_append(sql, ", %s %s%s", pg.cols[i], col_type(pg.cols[i]),
					     !strcmp(pg.cols[i], "record_id") ? " PRIMARY KEY"
									      : "");
	if (sql)
		sql = talloc_asprintf_append(sql,
					     ", inserted_utc timestamptz NOT NULL DEFAULT now())");
	if (!sql || !PQsendQuery(pg.conn, sql)) {
		talloc_free(sql);
		conn_fail(sql ? PQerrorMessage(pg.conn) : "out of memory");
		return;
	}
	talloc_free(sql);
	pg.state = PG_S_SETUP;
	pg.batch_ok = true;
	loop_timer_schedule(pg.loop, &pg.timeout_tmr, PG_QUERY_TIMEOUT_S * 1000000ull);
	flush_out();
}

static void reject(const struct iw_cdr_spool_rec *r, const char *why)
{
	pg.st.rejected++;
	LOGP(DCDR, LOGL_ERROR,
	     "CDR seq %" PRIu64 " refused by the database (%s), dropped from the "
	     "spool: %.*s",
	     r->seq, why, (int)r->len, r->csv);
}

static void send_batch(void)
{
	unsigned max = pg.isolate ? 1 : iw_cdr_pg_cfg.batch;
	struct iw_cdr_spool_rec *recs = NULL;
	const char **vals = NULL;
	char *sql = NULL, *store = NULL, *seqs = NULL;
	uint64_t end;
	int n, nv = 0, rows = 0;
	size_t store_len = 0;

	if (pg.state != PG_S_IDLE)
		return;
	recs = talloc_array(pg.ctx, struct iw_cdr_spool_rec, max);
	if (!recs)
		return;
	n = iw_cdr_spool_peek(pg.spool, recs, max, &end);
	if (n <= 0)
		goto out;
	for (int i = 0; i < n; i++)
		store_len += recs[i].len + 1;
	store = talloc_size(pg.ctx, store_len);
	seqs = talloc_size(pg.ctx, (size_t)n * 24);
	vals = talloc_array(pg.ctx, const char *, (size_t)n *(size_t)(pg.ncols + 1));
	sql = talloc_asprintf(pg.ctx, "INSERT INTO %s (seq", table());
	if (!store || !seqs || !vals || !sql)
		goto out;
	for (int i = 0; i < pg.ncols; i++)
		sql = talloc_asprintf_append(sql, ", %s", pg.cols[i]);
	sql = talloc_asprintf_append(sql, ") VALUES ");
	{
		char *o = store;

		for (int i = 0; i < n && sql; i++) {
			int k = iw_cdr_csv_split(recs[i].csv, recs[i].len, o, vals + nv + 1,
						 PG_MAX_COLS);

			if (k != pg.ncols) {
				reject(&recs[i], k < 0 ? "not a CSV record"
						       : "not the columns of this version");
				continue;
			}
			o += recs[i].len + 1;
			snprintf(seqs + i * 24, 24, "%" PRIu64, recs[i].seq);
			vals[nv] = seqs + i * 24;
			sql = talloc_asprintf_append(sql, "%s(", rows ? ", " : "");
			for (int c = 0; c <= pg.ncols && sql; c++)
				sql = talloc_asprintf_append(sql, "%s$%d", c ? "," : "",
							     nv + c + 1);
			if (sql)
				sql = talloc_asprintf_append(sql, ")");
			nv += pg.ncols + 1;
			rows++;
		}
	}
	if (!sql)
		goto out;
	pg.n_inflight = (unsigned)n;
	pg.rows_inflight = (unsigned)rows;
	pg.end_inflight = end;
	pg.seq_inflight = recs[n - 1].seq;
	pg.batch_ok = true;
	pg.batch_conflict_class = false;
	pg.batch_inserted = 0;
	if (!rows) {
		/* every record refused here: past them */
		spool_commit(end, (unsigned)n, pg.seq_inflight);
		pg.n_inflight = 0;
		kick();
		goto out;
	}
	sql = talloc_asprintf_append(sql, " ON CONFLICT (record_id) DO NOTHING");
	if (!sql)
		goto out;
	if (!PQsendQueryParams(pg.conn, sql, nv, NULL, vals, NULL, NULL, 0)) {
		conn_fail(PQerrorMessage(pg.conn));
		goto out;
	}
	pg.state = PG_S_BUSY;
	pg.st.batches++;
	loop_timer_schedule(pg.loop, &pg.timeout_tmr, PG_QUERY_TIMEOUT_S * 1000000ull);
	flush_out();
out:
	talloc_free(recs);
	talloc_free(vals);
	talloc_free(sql);
	talloc_free(store);
	talloc_free(seqs);
}

/* The statement in flight ended (every result read). */
static void query_done(void)
{
	enum pg_state was = pg.state;

	loop_timer_cancel(pg.loop, &pg.timeout_tmr);
	pg.state = PG_S_IDLE;
	if (was == PG_S_SETUP) {
		if (!pg.batch_ok) {
			LOGP(DCDR, LOGL_ERROR, "CDR table %s: %s\n", table(), pg.last_error);
			conn_fail(pg.last_error);
			return;
		}
		LOGP(DCDR, LOGL_NOTICE,
		     "CDR database connected (table %s, %" PRIu64 " records in the spool)\n",
		     table(), iw_cdr_spool_get_stats(pg.spool)->backlog);
		pg.logged_down = false;
		pg.backoff_ms = PG_BACKOFF_MIN_MS;
		pg.st.connects++;
		kick();
		return;
	}
	if (pg.batch_ok) {
		pg.backoff_ms = PG_BACKOFF_MIN_MS;
		pg.st.sent += pg.rows_inflight;
		pg.st.duplicates += pg.rows_inflight - pg.batch_inserted;
		spool_commit(pg.end_inflight, pg.n_inflight, pg.seq_inflight);
		if (pg.isolate)
			pg.isolate -= pg.isolate >= pg.n_inflight ? pg.n_inflight : pg.isolate;
		pg.n_inflight = 0;
		kick();
		return;
	}
	pg.st.failed_batches++;
	if (pg.batch_conflict_class && pg.n_inflight > 1 && !pg.isolate) {
		/* one bad record refuses the whole statement: send these one
		 * by one to find it, the others go in */
		LOGP(DCDR, LOGL_NOTICE,
		     "CDR batch refused (%s): sending its %u records one by one\n", pg.last_error,
		     pg.n_inflight);
		pg.isolate = pg.n_inflight;
		pg.n_inflight = 0;
		kick();
		return;
	}
	if (pg.batch_conflict_class && pg.n_inflight == 1) {
		struct iw_cdr_spool_rec r;
		uint64_t end;

		if (iw_cdr_spool_peek(pg.spool, &r, 1, &end) == 1) {
			reject(&r, pg.last_error);
			spool_commit(end, 1, r.seq);
		}
		if (pg.isolate)
			pg.isolate--;
		pg.n_inflight = 0;
		kick();
		return;
	}
	/* anything else (a table dropped, permissions): again later */
	LOGP(DCDR, LOGL_ERROR, "CDR batch refused (%s): kept in the spool, trying again\n",
	     pg.last_error);
	pg.n_inflight = 0;
	pg.hold = true;
	loop_timer_schedule(pg.loop, &pg.batch_tmr, (uint64_t)pg.backoff_ms * 1000);
	pg.backoff_ms =
		pg.backoff_ms * 2 > PG_BACKOFF_MAX_MS ? PG_BACKOFF_MAX_MS : pg.backoff_ms * 2;
}

static void read_results(void)
{
	if (!PQconsumeInput(pg.conn)) {
		conn_fail(PQerrorMessage(pg.conn));
		return;
	}
	if (pg.state == PG_S_IDLE) {
		/* nothing asked: the server closing shows as a status change */
		PGresult *res;

		while (!PQisBusy(pg.conn) && (res = PQgetResult(pg.conn)))
			PQclear(res);
		if (PQstatus(pg.conn) == CONNECTION_BAD)
			conn_fail(PQerrorMessage(pg.conn));
		return;
	}
	while (!PQisBusy(pg.conn)) {
		PGresult *res = PQgetResult(pg.conn);

		if (!res) {
			query_done();
			return;
		}
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			pg.batch_inserted += strtoull(PQcmdTuples(res), NULL, 10);
		} else {
			const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			pg.batch_ok = false;
			/* SQLSTATE class 22 data exception, 23 integrity */
			pg.batch_conflict_class =
				state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2));
			set_error(PQresultErrorMessage(res));
		}
		PQclear(res);
		if (PQstatus(pg.conn) == CONNECTION_BAD) {
			conn_fail(PQerrorMessage(pg.conn));
			return;
		}
	}
}

static void drive(void)
{
	if (!pg.conn)
		return;
	if (pg.state == PG_S_CONNECTING) {
		pg.cpoll = PQconnectPoll(pg.conn);
		if (pg.cpoll == PGRES_POLLING_FAILED) {
			conn_fail(PQerrorMessage(pg.conn));
			return;
		}
		if (pg.cpoll == PGRES_POLLING_OK) {
			loop_timer_cancel(pg.loop, &pg.timeout_tmr);
			if (PQsetnonblocking(pg.conn, 1) < 0) {
				conn_fail(PQerrorMessage(pg.conn));
				return;
			}
			send_setup();
		}
		return;
	}
	if (pg.want_write) {
		flush_out();
		if (!pg.conn)
			return;
	}
	read_results();
}

static void sync_tick(void *priv)
{
	int rc;

	(void)priv;
	if (!pg.spool || !pg.sync_dirty)
		return;
	rc = iw_cdr_spool_sync(pg.spool);
	if (rc == -EBUSY || rc == -EAGAIN) {
		/* the last sync still runs (what came since is not covered),
		 * or failed a moment ago */
		loop_timer_schedule(pg.loop, &pg.sync_tmr, rc == -EBUSY ? PG_CUT_POLL_US : 1000000);
		return;
	}
	pg.sync_dirty = false;
}

static void collect(struct tandem_metrics_out *o, void *priv)
{
	(void)priv;
	tandem_metrics_family(o, "tandem_cdr_db_up", "gauge",
			      "1 when the CDR database is connected");
	tandem_metrics_sample(o, "tandem_cdr_db_up", pg.state >= PG_S_IDLE ? 1 : 0, NULL);
	tandem_metrics_family(o, "tandem_cdr_db_backlog", "gauge",
			      "CDR records in the spool, not yet in the database");
	tandem_metrics_sample(o, "tandem_cdr_db_backlog", (double)iw_cdr_pg_backlog(), NULL);
	tandem_metrics_family(o, "tandem_cdr_db_records_total", "counter",
			      "CDR records the database committed");
	tandem_metrics_sample(o, "tandem_cdr_db_records_total", (double)pg.st.sent, NULL);
	tandem_metrics_family(o, "tandem_cdr_db_failed_batches_total", "counter",
			      "CDR batches that did not commit (sent again)");
	tandem_metrics_sample(o, "tandem_cdr_db_failed_batches_total", (double)pg.st.failed_batches,
			      NULL);
	tandem_metrics_family(o, "tandem_cdr_db_rejected_total", "counter",
			      "CDR records the database refused (logged whole)");
	tandem_metrics_sample(o, "tandem_cdr_db_rejected_total", (double)pg.st.rejected, NULL);
}

int iw_cdr_pg_start(void *ctx, struct loop *l)
{
	char err[256];

	iw_cdr_pg_stop();
	if (!iw_cdr_pg_cfg.conninfo)
		return 0;
	pg.ctx = ctx;
	pg.loop = l;
	loop_timer_init(&pg.retry_tmr, retry_tick, NULL);
	loop_timer_init(&pg.batch_tmr, batch_tick, NULL);
	loop_timer_init(&pg.timeout_tmr, timeout_tick, NULL);
	loop_timer_init(&pg.sync_tmr, sync_tick, NULL);
	loop_timer_init(&pg.cut_tmr, cut_tick, NULL);
	if (!iw_cdr_pg_cfg.spool) {
		LOGP(DCDR, LOGL_ERROR, "cdr postgresql: no spool file configured\n");
		return -EINVAL;
	}
	if (iw_cdr_header(pg.hdr, sizeof(pg.hdr), IW_CDR_CSV) <= 0)
		return -ENOSPC;
	{
		char *tmp = talloc_strdup(ctx, pg.hdr);

		if (!tmp)
			return -ENOMEM;
		pg.ncols = iw_cdr_csv_split(tmp, strlen(tmp), pg.hdr, pg.cols, PG_MAX_COLS);
		talloc_free(tmp);
		if (pg.ncols <= 0)
			return -EINVAL;
	}
	pg.spool = iw_cdr_spool_open(ctx, iw_cdr_pg_cfg.spool);
	if (!pg.spool)
		return -EIO;
	snprintf(err, sizeof(err), "not connected yet");
	set_error(err);
	pg.backoff_ms = PG_BACKOFF_MIN_MS;
	tandem_metrics_register(collect, NULL);
	connect_start();
	return 0;
}

void iw_cdr_pg_stop(void)
{
	if (pg.state == PG_S_OFF && !pg.spool)
		return;
	tandem_metrics_unregister(collect, NULL);
	if (pg.loop) {
		loop_timer_cancel(pg.loop, &pg.retry_tmr);
		loop_timer_cancel(pg.loop, &pg.batch_tmr);
		loop_timer_cancel(pg.loop, &pg.timeout_tmr);
		loop_timer_cancel(pg.loop, &pg.sync_tmr);
		loop_timer_cancel(pg.loop, &pg.cut_tmr);
		watch_retire();
	}
	if (pg.conn)
		PQfinish(pg.conn);
	pg.conn = NULL;
	/* what the database has not committed stays for the next start */
	if (pg.spool)
		iw_cdr_spool_close(pg.spool);
	pg.spool = NULL;
	TALLOC_FREE(pg.last_error);
	pg.state = PG_S_OFF;
	pg.n_inflight = pg.isolate = 0;
	pg.want_write = false;
	pg.hold = false;
	pg.flushing = false;
}

bool iw_cdr_pg_enabled(void)
{
	return pg.spool != NULL;
}

bool iw_cdr_pg_flush(void)
{
	if (!pg.spool || pg.state < PG_S_IDLE || !iw_cdr_spool_get_stats(pg.spool)->backlog)
		return false;
	if (!pg.flushing) {
		pg.flushing = true;
		loop_timer_cancel(pg.loop, &pg.batch_tmr);
		kick();
	}
	return true;
}

void iw_cdr_pg_put(const char *csv, size_t len)
{
	int rc;

	if (!pg.spool)
		return;
	rc = iw_cdr_spool_append(pg.spool, csv, len);
	if (rc < 0) {
		pg.st.spool_errors++;
		LOGP(DCDR, LOGL_ERROR, "CDR spool %s: write failed (%s): %.*s", iw_cdr_pg_cfg.spool,
		     strerror(-rc), (int)len, csv);
		return;
	}
	if (!pg.sync_dirty && iw_cdr_cfg.sync_s) {
		pg.sync_dirty = true;
		loop_timer_schedule(pg.loop, &pg.sync_tmr, (uint64_t)iw_cdr_cfg.sync_s * 1000000);
	}
	kick();
}

const char *iw_cdr_pg_state(void)
{
	switch (pg.state) {
	case PG_S_OFF:
		return "off";
	case PG_S_DOWN:
		return "down";
	case PG_S_CONNECTING:
	case PG_S_SETUP:
		return "connecting";
	default:
		return "connected";
	}
}

uint64_t iw_cdr_pg_backlog(void)
{
	return pg.spool ? iw_cdr_spool_get_stats(pg.spool)->backlog : 0;
}

const struct iw_cdr_spool_stats *iw_cdr_pg_spool_stats(void)
{
	return pg.spool ? iw_cdr_spool_get_stats(pg.spool) : NULL;
}

const char *iw_cdr_pg_last_error(void)
{
	return pg.last_error;
}

/* a configuration change on a running gateway takes effect at once */
int iw_cdr_pg_restart(void)
{
	return pg.loop ? iw_cdr_pg_start(pg.ctx, pg.loop) : 0;
}

int iw_cdr_pg_conninfo_check(const char *ci, char *why, size_t len)
{
	char *err = NULL;
	PQconninfoOption *o = PQconninfoParse(ci, &err);

	if (!o) {
		snprintf(why, len, "%s", err ? err : "out of memory");
		PQfreemem(err);
		why[strcspn(why, "\n")] = '\0';
		return -EINVAL;
	}
	PQconninfoFree(o);
	return 0;
}

#else /* !TANDEM_HAVE_LIBPQ */

static struct {
	struct iw_cdr_pg_stats st;
} pg;

int iw_cdr_pg_start(void *ctx, struct loop *l)
{
	(void)ctx;
	(void)l;
	if (iw_cdr_pg_cfg.conninfo)
		LOGP(DCDR, LOGL_ERROR,
		     "cdr postgresql: tandem was built without libpq "
		     "(libpq-dev): no records go to the database\n");
	return 0;
}
void iw_cdr_pg_stop(void)
{
}
bool iw_cdr_pg_enabled(void)
{
	return false;
}
bool iw_cdr_pg_flush(void)
{
	return false;
}
void iw_cdr_pg_put(const char *csv, size_t len)
{
	(void)csv;
	(void)len;
}
const char *iw_cdr_pg_state(void)
{
	return "off";
}
uint64_t iw_cdr_pg_backlog(void)
{
	return 0;
}
const char *iw_cdr_pg_last_error(void)
{
	return NULL;
}
int iw_cdr_pg_restart(void)
{
	return 0;
}
const struct iw_cdr_spool_stats *iw_cdr_pg_spool_stats(void)
{
	return NULL;
}
int iw_cdr_pg_conninfo_check(const char *ci, char *why, size_t len)
{
	(void)ci;
	(void)why;
	(void)len;
	return 0;
}
#endif

const struct iw_cdr_pg_stats *iw_cdr_pg_get_stats(void)
{
	return &pg.st;
}
