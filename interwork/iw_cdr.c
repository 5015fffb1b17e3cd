/* Call detail records: the encoder (CSV, RFC 4180 quoting; JSON lines,
 * RFC 8259 escaping) and the file writer (append, rotate, fsync). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "core/log.h"
#include "core/loop.h"
#include "interwork/iw_cdr.h"
#include "interwork/iw_cdr_pg.h"
#include "interwork/iw_metrics.h"

struct iw_cdr_cfg iw_cdr_cfg = {.format = IW_CDR_CSV, .sync_s = 1};

/* --- encoder --- */

struct out {
	char *p;
	size_t left;
	bool err, header, first;
	enum iw_cdr_format f;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->err || n >= o->left) {
		o->err = true;
		return;
	}
	memcpy(o->p, s, n);
	o->p += n;
	o->left -= n;
	*o->p = '\0';
}

static void putc_(struct out *o, char ch)
{
	put(o, &ch, 1);
}

static void sep(struct out *o, const char *name)
{
	if (!o->first)
		putc_(o, ',');
	o->first = false;
	if (o->header) {
		put(o, name, strlen(name));
		return;
	}
	if (o->f == IW_CDR_JSON) {
		putc_(o, '"');
		put(o, name, strlen(name));
		put(o, "\":", 2);
	}
}

/* A string field: JSON escapes (RFC 8259 7), CSV quotes when the value
 * holds a separator, a quote or a line break (RFC 4180 2.6, 2.7). NULL or
 * "": empty in CSV, null in JSON. */
static void fld_str(struct out *o, const char *name, const char *v)
{
	const char *s;

	sep(o, name);
	if (o->header)
		return;
	if (!v || !v[0]) {
		if (o->f == IW_CDR_JSON)
			put(o, "null", 4);
		return;
	}
	if (o->f == IW_CDR_CSV) {
		if (!strpbrk(v, ",\"\r\n")) {
			put(o, v, strlen(v));
			return;
		}
		putc_(o, '"');
		for (s = v; *s; s++) {
			if (*s == '"')
				putc_(o, '"');
			putc_(o, *s);
		}
		putc_(o, '"');
		return;
	}
	putc_(o, '"');
	for (s = v; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];

		if (ch == '"' || ch == '\\') {
			putc_(o, '\\');
			putc_(o, (char)ch);
		} else if (ch < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			put(o, esc, 6);
		} else {
			putc_(o, (char)ch);
		}
	}
	putc_(o, '"');
}

static void fld_fmt(struct out *o, const char *name, bool present, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void fld_fmt(struct out *o, const char *name, bool present, const char *fmt, ...)
{
	char v[64];
	va_list ap;
	int n;

	sep(o, name);
	if (o->header)
		return;
	if (!present) {
		if (o->f == IW_CDR_JSON)
			put(o, "null", 4);
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(v)) {
		o->err = true;
		return;
	}
	put(o, v, (size_t)n);
}

/* "2026-12-05T16:23:18.123Z", "" for a zero time */
static void utc_ms(char *buf, size_t len, const struct timespec *t)
{
	struct tm tm;
	time_t s = t->tv_sec;
	size_t n;

	buf[0] = '\0';
	if (!t->tv_sec && !t->tv_nsec)
		return;
	gmtime_r(&s, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ldZ", t->tv_nsec / 1000000);
}

static int64_t ms_between(const struct timespec *a, const struct timespec *b)
{
	return (int64_t)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

const char *iw_cdr_result(const struct iw_cdr_rec *r)
{
	const char *orig = r->from_isup ? (r->circuit ? r->circuit : "isup") : "sip";

	if (!r->final)
		return "advanced";
	if (r->answer.tv_sec)
		return "answered";
	if (r->cause == 17 || r->sip_status == 486 || r->sip_status == 600)
		return "busy";
	if (r->cause == 18 || r->cause == 19 || r->sip_status == 480 || r->sip_status == 408)
		return "no-answer";
	/* the caller's own side let go before the answer */
	if (r->release_side && !strcmp(r->release_side, orig) && (r->cause == 16 || r->cause == 31))
		return "cancelled";
	return "failed";
}

static const char *release_side(const struct iw_cdr_rec *r)
{
	if (r->release_side)
		return r->release_side;
	return r->cause || r->sip_status ? "gateway" : NULL;
}

static void encode(struct out *o, const struct iw_cdr_rec *r)
{
	const struct media_chan_stats *m = &r->media;
	bool md = r->have_media, ans = r->answer.tv_sec != 0;
	char start[40], answer[40], end[40], id[48], ref[40];

	utc_ms(start, sizeof(start), &r->start);
	utc_ms(answer, sizeof(answer), &r->answer);
	utc_ms(end, sizeof(end), &r->end);
	snprintf(ref, sizeof(ref), "%" PRIu64 "-%u", r->boot, r->call);
	snprintf(id, sizeof(id), "%s-%u", ref, r->attempt);
	if (o->f == IW_CDR_JSON)
		putc_(o, '{');
	fld_str(o, "record_id", id);
	fld_str(o, "call_ref", ref);
	fld_fmt(o, "attempt", true, "%u", r->attempt);
	fld_str(o, "record_type", r->final ? "call" : "attempt");
	{
		const char *circ = r->circuit ? r->circuit : "isup";
		char dir[16];

		snprintf(dir, sizeof(dir), r->from_isup ? "%s-sip" : "sip-%s", circ);
		fld_str(o, "direction", dir);
	}
	fld_str(o, "start_utc", start);
	fld_str(o, "answer_utc", answer);
	fld_str(o, "end_utc", end);
	fld_fmt(o, "setup_ms", true, "%" PRId64, ms_between(&r->start, ans ? &r->answer : &r->end));
	fld_fmt(o, "duration_ms", true, "%" PRId64, ans ? ms_between(&r->answer, &r->end) : 0);
	fld_str(o, "calling_in", r->calling_in);
	fld_str(o, "called_in", r->called_in);
	fld_str(o, "calling_out", r->calling_out);
	fld_str(o, "called_out", r->called_out);
	fld_str(o, "ruri_out", r->ruri_out);
	fld_str(o, "linkset", r->linkset);
	fld_fmt(o, "cic", r->linkset && r->linkset[0], "%u", r->cic);
	fld_fmt(o, "span", r->span >= 0, "%d", r->span);
	fld_fmt(o, "timeslot", r->span >= 0, "%d", r->timeslot);
	fld_str(o, "trunk", r->trunk);
	fld_str(o, "call_id", r->call_id);
	fld_fmt(o, "cause", r->cause > 0, "%d", r->cause);
	fld_fmt(o, "cause_location", r->cause > 0 && r->cause_loc >= 0, "%d", r->cause_loc);
	fld_fmt(o, "sip_status", r->sip_status > 0, "%d", r->sip_status);
	fld_str(o, "release_side", release_side(r));
	fld_str(o, "result", iw_cdr_result(r));
	fld_str(o, "codec", r->codec);
	fld_fmt(o, "ptime", r->codec && r->codec[0], "%u", r->ptime);
	fld_fmt(o, "rtp_rx", md, "%" PRIu64, m->rx_pkts);
	fld_fmt(o, "rtp_tx", md, "%" PRIu64, m->tx_pkts);
	fld_fmt(o, "rtp_refused", md, "%" PRIu64, m->rx_refused);
	fld_fmt(o, "rtp_lost", md, "%d", m->rtp_lost);
	fld_fmt(o, "jitter_ms", md, "%.1f", m->rtp_jitter_ms);
	fld_fmt(o, "peer_lost", md && m->peer_have_rb, "%d", m->peer_lost);
	fld_fmt(o, "peer_jitter_ms", md && m->peer_have_rb, "%.1f", m->peer_jitter_ms);
	fld_fmt(o, "rtt_ms", md && m->rtt_ms >= 0, "%.1f", m->rtt_ms);
	fld_fmt(o, "jb_lost", md, "%" PRIu64, m->jb_lost);
	fld_fmt(o, "concealed", md, "%" PRIu64, m->jb_concealed);
	fld_str(o, "ec",
		!md		      ? NULL
		: !m->have_ec	      ? "off"
		: m->ec_tone_disabled ? "tone-disabled"
				      : "on");
	fld_fmt(o, "ec_erl_db", md && m->have_ec, "%.1f", m->ec_erl_db);
	fld_fmt(o, "ec_erle_db", md && m->have_ec, "%.1f", m->ec_erle_db);
	fld_fmt(o, "ec_conv_ms", md && m->have_ec && m->ec_convergence_ms >= 0, "%d",
		m->ec_convergence_ms);
	if (o->f == IW_CDR_JSON)
		putc_(o, '}');
	putc_(o, '\n');
}

int iw_cdr_encode(char *buf, size_t len, enum iw_cdr_format f, const struct iw_cdr_rec *r)
{
	struct out o = {.p = buf, .left = len, .first = true, .f = f};

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	encode(&o, r);
	return o.err ? -ENOSPC : (int)(len - o.left);
}

int iw_cdr_header(char *buf, size_t len, enum iw_cdr_format f)
{
	struct out o = {.p = buf, .left = len, .first = true, .f = IW_CDR_CSV, .header = true};
	struct iw_cdr_rec r = {.span = -1};

	if (f != IW_CDR_CSV || !len)
		return 0;
	buf[0] = '\0';
	encode(&o, &r);
	return o.err ? -ENOSPC : (int)(len - o.left);
}

/* --- writer --- */

static struct {
	void *ctx;
	struct loop *loop;
	int fd;
	char *path;
	enum iw_cdr_format format;
	uint64_t size;
	bool dirty;
	struct loop_timer rotate_timer, sync_timer;
	struct iw_cdr_stats st;
	uint64_t boot; /* the daemon's start, s since the epoch */
} w = {.fd = -1};

int (*iw_cdr_datasync)(int fd) = fdatasync;

/* The syncs on threads of their own: the period's (at most one at a time)
 * and each rotated file's (with its directory: the rename, the new file);
 * before, in line, where a busy disk held the signalling thread for
 * seconds. Their outcomes are counted apart (the stats are the signalling
 * thread's, and so is logging): a failure is taken in by the signalling
 * thread at its next CDR, tick or stats read, counted as a write error and
 * logged once per run of failures. */
static atomic_bool sync_busy;
static atomic_int rotations_syncing;
static atomic_uint_fast64_t syncs_off_loop, sync_failures;
static atomic_int sync_errno;
static struct {
	uint64_t failures, syncs; /* taken in so far */
	bool failing;
} seen;

/* rotated files synced at once on threads; more (a tiny `cdr rotate
 * size` on a slow disk) are synced in line rather than pile up */
#define ROTATION_SYNCS_MAX 4

struct sync_job {
	int fd;
	int (*datasync)(int fd); /* read once, here: tests change the hook */
	bool rotation;
	char file[]; /* a rotation's file (its directory synced too), else "" */
};

static void *sync_main(void *arg)
{
	struct sync_job *j = arg;
	int e = 0;

	if (j->datasync(j->fd) < 0)
		e = errno ? errno : EIO;
	if (j->file[0] && iw_cdr_dir_sync(j->file, j->datasync) < 0 && !e)
		e = errno ? errno : EIO;
	if (e) {
		atomic_store(&sync_errno, e);
		atomic_fetch_add(&sync_failures, 1);
	} else {
		atomic_fetch_add(&syncs_off_loop, 1);
	}
	close(j->fd);
	if (j->rotation)
		atomic_fetch_sub(&rotations_syncing, 1);
	else
		atomic_store(&sync_busy, false);
	free(j);
	return NULL;
}

/* the syncs' failures taken in (the signalling thread) */
static void sync_outcomes(void)
{
	uint64_t f = atomic_load(&sync_failures), ok = atomic_load(&syncs_off_loop);

	if (f != seen.failures) {
		w.st.write_errors += f - seen.failures;
		if (!seen.failing)
			LOGP(DCDR, LOGL_ERROR,
			     "CDR file %s: sync failed: %s (what was written since the last "
			     "sync may not be on the disk; further failures only counted)\n",
			     w.path ? w.path : "-", strerror(atomic_load(&sync_errno)));
		seen.failing = true;
	} else if (seen.failing && ok != seen.syncs) {
		LOGP(DCDR, LOGL_NOTICE, "CDR file %s: synced again\n", w.path ? w.path : "-");
		seen.failing = false;
	}
	seen.failures = f;
	seen.syncs = ok;
}

/* j started on a detached thread, or run here (in_line, or no thread) */
static void sync_run(struct sync_job *j, bool in_line)
{
	pthread_attr_t a;
	pthread_t t;
	int rc = 0;

	j->datasync = iw_cdr_datasync;
	if (!in_line) {
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		rc = pthread_create(&t, &a, sync_main, j);
		pthread_attr_destroy(&a);
		if (rc)
			LOGP(DCDR, LOGL_NOTICE,
			     "CDR file %s: no sync thread (%s), synced in line\n",
			     w.path ? w.path : "-", strerror(rc));
	}
	if (in_line || rc)
		sync_main(j);
}

/* a job for fd (given up to it), with file's directory ("" for none);
 * NULL when there is no memory (fd still the caller's) */
static struct sync_job *sync_job_new(int fd, const char *file, bool rotation)
{
	struct sync_job *j = malloc(sizeof(*j) + strlen(file) + 1);

	if (!j)
		return NULL;
	j->fd = fd;
	j->rotation = rotation;
	strcpy(j->file, file);
	return j;
}

int iw_cdr_sync_start(void)
{
	struct sync_job *j;
	int fd, rc;

	if (w.fd < 0)
		return -EBADF;
	if (atomic_exchange(&sync_busy, true))
		return -EBUSY;
	/* its own descriptor of the file: a rotation may close ours meanwhile */
	fd = fcntl(w.fd, F_DUPFD_CLOEXEC, 0);
	j = fd >= 0 ? sync_job_new(fd, "", false) : NULL;
	if (!j) {
		rc = fd < 0 ? -errno : -ENOMEM;
		if (fd >= 0)
			close(fd);
		atomic_store(&sync_busy, false);
		return rc;
	}
	sync_run(j, false);
	return 0;
}

static void sync_dir(const char *path);

/* fd (the file just renamed, now given up) and the directory synced */
static void rot_sync_start(int fd, const char *path)
{
	struct sync_job *j = sync_job_new(fd, path, true);

	if (!j) {
		/* no memory for a job: here, the file and the directory */
		if (iw_cdr_datasync(fd) < 0) {
			atomic_store(&sync_errno, errno ? errno : EIO);
			atomic_fetch_add(&sync_failures, 1);
		}
		close(fd);
		sync_dir(path);
		return;
	}
	sync_run(j, atomic_fetch_add(&rotations_syncing, 1) >= ROTATION_SYNCS_MAX);
}

bool iw_cdr_sync_running(void)
{
	return atomic_load(&sync_busy) || atomic_load(&rotations_syncing) > 0;
}

int iw_cdr_dir_sync(const char *file, int (*datasync)(int fd))
{
	char *dup = strdup(file);
	int dfd = dup ? open(dirname(dup), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1, rc = -1;

	free(dup);
	if (dfd < 0)
		return -1;
	rc = datasync(dfd);
	close(dfd);
	return rc < 0 ? -1 : 0;
}

static void sync_dir(const char *path)
{
	iw_cdr_dir_sync(path, fsync);
}

/* dir_sync: the directory synced in line when a new file is made (at
 * start; a rotation syncs it on its thread) */
static int file_open(bool dir_sync)
{
	struct stat sb;
	char hdr[2048];
	int n;

	w.fd = open(w.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (w.fd < 0) {
		int e = errno;

		LOGP(DCDR, LOGL_ERROR, "CDR file %s: %s\n", w.path, strerror(e));
		return -e;
	}
	w.size = fstat(w.fd, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	/* a new file starts with the column names (CSV) */
	if (!w.size && (n = iw_cdr_header(hdr, sizeof(hdr), w.format)) > 0) {
		if (write(w.fd, hdr, (size_t)n) == n)
			w.size = (uint64_t)n;
		if (dir_sync)
			sync_dir(w.path);
	}
	return 0;
}

static void file_close(void)
{
	if (w.fd < 0)
		return;
	if (fsync(w.fd) == 0)
		w.st.syncs++;
	close(w.fd);
	w.fd = -1;
	w.dirty = false;
}

/* path renamed to name, never over a file there (two rotations in one
 * millisecond: "NAME.1", "NAME.2", ...); name is what it became */
static int rotate_rename(const char *path, char *name, size_t len)
{
	size_t base = strlen(name);

	for (unsigned i = 0; i < 100; i++) {
		if (i)
			snprintf(name + base, len - base, ".%u", i);
		if (renameat2(AT_FDCWD, path, AT_FDCWD, name, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno == EINVAL || errno == ENOSYS) /* a file system without it */
			return access(name, F_OK) == 0 ? -1 : rename(path, name);
		if (errno != EEXIST)
			return -1;
	}
	errno = EEXIST;
	return -1;
}

int iw_cdr_rotate(void)
{
	char name[4096], stamp[40];
	struct timespec now;
	int rc, old = w.fd;

	if (!w.path)
		return -ENOENT;
	sync_outcomes();
	if (w.fd >= 0 && w.size == 0)
		return 0;
	/* the old file synced on a thread once the new one is open */
	w.fd = -1;
	w.dirty = false;
	clock_gettime(CLOCK_REALTIME, &now);
	utc_ms(stamp, sizeof(stamp), &now);
	/* ':' is awkward in file names (scp, Windows shares) */
	for (char *s = stamp; *s; s++)
		if (*s == ':' || *s == '-')
			memmove(s, s + 1, strlen(s));
	snprintf(name, sizeof(name), "%s.%s", w.path, stamp);
	if (rotate_rename(w.path, name, sizeof(name)) < 0 && errno != ENOENT) {
		rc = -errno;
		LOGP(DCDR, LOGL_ERROR, "CDR file %s: cannot rotate to %s: %s\n", w.path, name,
		     strerror(-rc));
	} else {
		w.st.rotations++;
		LOGP(DCDR, LOGL_INFO, "CDR file rotated to %s\n", name);
	}
	rc = file_open(false);
	if (old >= 0)
		rot_sync_start(old, w.path);
	else
		sync_dir(w.path);
	return rc;
}

static void rotate_tick(void *priv)
{
	(void)priv;
	iw_cdr_rotate();
	if (iw_cdr_cfg.rotate_s)
		loop_timer_schedule(w.loop, &w.rotate_timer,
				    (uint64_t)iw_cdr_cfg.rotate_s * 1000000);
}

static void sync_tick(void *priv)
{
	(void)priv;
	sync_outcomes();
	if (w.dirty && iw_cdr_sync_start() == -EBUSY) {
		/* the last one has not come back (a slow disk): again later */
		loop_timer_schedule(w.loop, &w.sync_timer, (uint64_t)iw_cdr_cfg.sync_s * 1000000);
		return;
	}
	w.dirty = false;
}

int iw_cdr_start(void *ctx, struct loop *l)
{
	iw_cdr_stop();
	if (!w.boot)
		w.boot = (uint64_t)time(NULL);
	w.ctx = ctx;
	w.loop = l;
	/* initialised before anything can return: iw_cdr_stop cancels them,
	 * and a zeroed timer looks scheduled at the heap's slot 0 (cancelling
	 * it corrupted the loop's timer heap: SIGSEGV at every stop of a
	 * tandemd without a CDR file) */
	loop_timer_init(&w.rotate_timer, rotate_tick, NULL);
	loop_timer_init(&w.sync_timer, sync_tick, NULL);
	if (!iw_cdr_cfg.path)
		return 0;
	w.path = talloc_strdup(ctx, iw_cdr_cfg.path);
	if (!w.path)
		return -ENOMEM;
	w.format = iw_cdr_cfg.format;
	if (l && iw_cdr_cfg.rotate_s)
		loop_timer_schedule(l, &w.rotate_timer, (uint64_t)iw_cdr_cfg.rotate_s * 1000000);
	return file_open(true);
}

void iw_cdr_stop(void)
{
	file_close();
	if (w.loop) {
		loop_timer_cancel(w.loop, &w.rotate_timer);
		loop_timer_cancel(w.loop, &w.sync_timer);
	}
	TALLOC_FREE(w.path);
}

bool iw_cdr_wait_syncs(unsigned max_ms)
{
	for (unsigned i = 0; i < max_ms / 10 && iw_cdr_sync_running(); i++)
		usleep(10000);
	if (!iw_cdr_sync_running())
		return true;
	LOGP(DCDR, LOGL_NOTICE, "CDR file: a sync still running after %u ms: not waited for\n",
	     max_ms);
	return false;
}

void iw_cdr_write(const struct iw_cdr_rec *r)
{
	char buf[4096];
	ssize_t k;
	int n;

	struct iw_cdr_rec rb = *r;

	/* call ids restart with the daemon: its start time makes them unique */
	if (!rb.boot)
		rb.boot = w.boot;
	r = &rb;
	iw_metrics_record(r);
	if (iw_cdr_pg_enabled()) {
		/* the database's copy goes to its spool first, always as CSV */
		n = iw_cdr_encode(buf, sizeof(buf), IW_CDR_CSV, r);
		if (n > 0)
			iw_cdr_pg_put(buf, (size_t)n);
		else
			LOGP(DCDR, LOGL_ERROR, "CDR of call %u attempt %u does not fit %zu bytes\n",
			     r->call, r->attempt, sizeof(buf));
	}
	if (!w.path)
		return;
	sync_outcomes();
	n = iw_cdr_encode(buf, sizeof(buf), w.format, r);
	if (n < 0) {
		w.st.write_errors++;
		LOGP(DCDR, LOGL_ERROR, "CDR of call %u attempt %u does not fit %zu bytes\n",
		     r->call, r->attempt, sizeof(buf));
		return;
	}
	if (w.fd < 0)
		file_open(true);
	k = w.fd >= 0 ? write(w.fd, buf, (size_t)n) : -1;
	if (k != n) {
		/* never silently: the whole record goes to the log, and the
		 * file is opened anew for the next one */
		w.st.write_errors++;
		LOGP(DCDR, LOGL_ERROR, "CDR file %s: write failed (%s): %.*s", w.path,
		     k < 0 ? strerror(errno) : "short write", n, buf);
		if (w.fd >= 0) {
			close(w.fd);
			w.fd = -1;
		}
		return;
	}
	w.st.records++;
	w.st.bytes += (uint64_t)n;
	w.size += (uint64_t)n;
	if (!w.dirty && iw_cdr_cfg.sync_s && w.loop) {
		w.dirty = true;
		loop_timer_schedule(w.loop, &w.sync_timer, (uint64_t)iw_cdr_cfg.sync_s * 1000000);
	}
	if (iw_cdr_cfg.rotate_bytes && w.size >= iw_cdr_cfg.rotate_bytes)
		iw_cdr_rotate();
}

const struct iw_cdr_stats *iw_cdr_get_stats(void)
{
	static struct iw_cdr_stats out;

	sync_outcomes();
	out = w.st;
	out.syncs += atomic_load(&syncs_off_loop);
	return &out;
}

const char *iw_cdr_path(void)
{
	return w.path;
}
