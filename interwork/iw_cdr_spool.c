/* The CDR spool (iw_cdr_spool.h): an append-only record file and its
 * done mark. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <talloc.h>

#include "core/log.h"
#include "interwork/iw_cdr_spool.h"

/* the unsent tail moves to a new file once this much is committed ahead
 * of it (a spool under steady load is seldom empty at a commit), and
 * only when the tail is no longer than that: each copy is then paid for
 * by as many bytes committed, and a replay after a long outage copies its
 * backlog about once in all (copied at each MiB, a 700 MB backlog was
 * copied some 700 times over, about 245 GB) */
#define SPOOL_COMPACT_BYTES (1u << 20)
/* a failed compaction is tried again after 10 s, doubling to 10 min */
#define SPOOL_COMPACT_RETRY_S	  10u
#define SPOOL_COMPACT_RETRY_MAX_S 600u
/* nor started unless the disk keeps this much free beside two copies of
 * the tail (the copy, and as much again for what comes meanwhile): a
 * copy that filled the disk would make the appends fail */
#define SPOOL_COMPACT_FREE_MARGIN (64ull << 20)
/* a drained file this long is cut even before a mark with its last
 * sequence is on the disk (a disk slower than the batches would never let
 * the cut come, and the file would grow without end): what a power loss
 * then costs is the sequence's continuity, not a record */
#define SPOOL_CUT_ANYWAY_BYTES (1u << 20)
#define SPOOL_READ_MAX	       (256u << 10)

/* One job on a thread of its own, with its own descriptors; shared by the
 * thread and the spool until both let go. A sync: the done mark, then the
 * record file (a compaction may replace it meanwhile), then the directory
 * when a compaction renamed a file into it. A compaction: the records
 * [from, to) copied from the record file into the new one, which is
 * synced; the spool then takes the new one over. */
struct spool_job {
	atomic_int refs;
	atomic_bool done;
	int fd, done_fd, err;
	uint64_t seq; /* the mark's sequence when the sync began */
	int (*datasync)(int fd);
	char *dir;	  /* a sync: the directory too (malloc'ed), or NULL */
	uint64_t renames; /* the spool's renames when it began */
	int tmp_fd;	  /* a compaction: the new file (the spool takes it), or -1 */
	uint64_t from, to;
};

struct iw_cdr_spool {
	char *path, *done_path;
	int fd, done_fd;
	uint64_t size, done_off;
	/* the bytes cut off the file's start since open (cuts, compactions):
	 * peek and commit speak of offsets past it, so a batch read before a
	 * compaction is committed after it */
	uint64_t base;
	char *buf; /* peek buffer */
	size_t buf_cap;
	struct spool_job *job;	    /* the sync running or done, not yet reaped */
	struct spool_job *cjob;	    /* the compaction running or done, not yet taken */
	bool dir_unsynced;	    /* a compaction renamed: the next sync syncs the directory */
	uint64_t renames;	    /* compactions taken over (renames into the directory) */
	uint64_t compact_failed_ns; /* the last compaction failed then (0: none) */
	unsigned compact_retry_s;   /* and the next one waits this long */
	uint64_t mark_seq;	    /* the sequence in the last mark written */
	uint64_t synced_seq;	    /* a mark with it (or later) is on the disk */
	bool cut_pending;	    /* drained: cut once the mark is on the disk */
	bool sync_failed;	    /* the last sync failed: the next one a second later */
	uint64_t failed_ns;	    /* when (CLOCK_MONOTONIC) */
	struct iw_cdr_spool_stats st;
};

int (*iw_cdr_spool_datasync)(int fd) = fdatasync;

/* --- CSV (RFC 4180) --- */

size_t iw_cdr_csv_record_len(const char *buf, size_t len)
{
	bool q = false;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '"')
			q = !q; /* a doubled quote toggles twice */
		else if (buf[i] == '\n' && !q)
			return i + 1;
	}
	return 0;
}

int iw_cdr_csv_split(const char *rec, size_t len, char *out, const char **fields, unsigned max)
{
	size_t i = 0;
	unsigned n = 0;
	char *o = out;

	if (len && rec[len - 1] == '\n')
		len--;
	if (len && rec[len - 1] == '\r')
		len--;
	for (;;) {
		char *start = o;
		bool quoted = false;

		if (n == max)
			return -EBADMSG;
		if (i < len && rec[i] == '"') {
			quoted = true;
			for (i++;; i++) {
				if (i >= len)
					return -EBADMSG; /* no closing quote */
				if (rec[i] == '"') {
					if (i + 1 < len && rec[i + 1] == '"') {
						*o++ = '"';
						i++;
						continue;
					}
					i++;
					break;
				}
				*o++ = rec[i];
			}
			if (i < len && rec[i] != ',')
				return -EBADMSG; /* text after the closing quote */
		} else {
			while (i < len && rec[i] != ',') {
				if (rec[i] == '"')
					return -EBADMSG;
				*o++ = rec[i++];
			}
		}
		*o++ = '\0';
		fields[n++] = quoted || o - 1 > start ? start : NULL;
		if (i >= len)
			return (int)n;
		i++; /* the comma */
	}
}

/* --- the done mark --- */

static int mark_write(struct iw_cdr_spool *sp, uint64_t off, uint64_t seq)
{
	char m[64];
	int n = snprintf(m, sizeof(m), "%020" PRIu64 " %020" PRIu64 "\n", off, seq);

	/* one small write at offset 0, always the same length */
	if (pwrite(sp->done_fd, m, (size_t)n, 0) != n) {
		int e = errno ? errno : EIO;

		sp->st.write_errors++;
		LOGP(DCDR, LOGL_ERROR, "CDR spool %s: %s\n", sp->done_path, strerror(e));
		return -e;
	}
	sp->mark_seq = seq;
	return 0;
}

static void mark_read(struct iw_cdr_spool *sp, uint64_t *off, uint64_t *seq)
{
	char m[64];
	ssize_t k = pread(sp->done_fd, m, sizeof(m) - 1, 0);

	*off = *seq = 0;
	if (k <= 0)
		return;
	m[k] = '\0';
	if (sscanf(m, "%" SCNu64 " %" SCNu64, off, seq) != 2)
		*off = *seq = 0;
}

static void sync_dir(const char *path)
{
	char *dup = strdup(path);
	int dfd;

	if (!dup)
		return;
	dfd = open(dirname(dup), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(dup);
}

/* --- recovery --- */

static int grow(struct iw_cdr_spool *sp, size_t cap)
{
	char *b;

	if (sp->buf_cap >= cap)
		return 0;
	b = talloc_realloc_size(sp, sp->buf, cap);
	if (!b)
		return -ENOMEM;
	sp->buf = b;
	sp->buf_cap = cap;
	return 0;
}

/* Walk the whole file: count the records to replay, find the last
 * sequence number, cut a torn tail. Where the replay starts: the mark's offset when it is a
 * record's start and no record before it is newer than the mark's sequence, else the first record
 * that is (a mark synced before a drained file was cut, then new records written over its offset:
 * the offset may fall on one of theirs), else 0 (a mark inside a record or past the end: everything
 * again, the database ignores what it has). Never past a record newer
 * than the mark. */
static int recover(struct iw_cdr_spool *sp)
{
	uint64_t off = 0, mark_off, mark_seq, last = 0, nrec = 0;
	uint64_t first_new = UINT64_MAX, before_mark = 0, before_new = 0, start;
	bool mark_ok = false;
	size_t have = 0;

	mark_read(sp, &mark_off, &mark_seq);
	if (grow(sp, SPOOL_READ_MAX) < 0)
		return -ENOMEM;
	for (;;) {
		ssize_t k = pread(sp->fd, sp->buf + have, sp->buf_cap - have, (off_t)(off + have));
		size_t used = 0, r;

		if (k < 0)
			return -errno;
		have += (size_t)k;
		while ((r = iw_cdr_csv_record_len(sp->buf + used, have - used)) > 0) {
			uint64_t at = off + used;

			if (at == mark_off)
				mark_ok = true;
			if (at < mark_off)
				before_mark++;
			last = strtoull(sp->buf + used, NULL, 10);
			if (last > mark_seq && first_new == UINT64_MAX) {
				first_new = at;
				before_new = nrec;
			}
			nrec++;
			used += r;
		}
		off += used;
		memmove(sp->buf, sp->buf + used, have - used);
		have -= used;
		if (k == 0)
			break;
		if (have == sp->buf_cap)
			break; /* a "record" longer than the buffer: cut there */
	}
	if (have) {
		sp->st.torn++;
		LOGP(DCDR, LOGL_ERROR,
		     "CDR spool %s: %zu bytes after the last whole record cut off (a torn "
		     "write): %.*s\n",
		     sp->path, have, (int)(have > 200 ? 200 : have), sp->buf);
		if (ftruncate(sp->fd, (off_t)off) < 0)
			return -errno;
	}
	if (off == mark_off)
		mark_ok = true;
	if (!mark_ok) {
		if (mark_off)
			LOGP(DCDR, LOGL_NOTICE,
			     "CDR spool %s: done mark %" PRIu64 " is not a record's start: "
			     "replaying the whole spool (the database ignores what it has)\n",
			     sp->path, mark_off);
		start = 0;
		before_mark = 0;
	} else if (first_new < mark_off) {
		LOGP(DCDR, LOGL_NOTICE,
		     "CDR spool %s: records newer than the done mark (seq %" PRIu64
		     ") before its offset %" PRIu64 ": replaying from %" PRIu64 "\n",
		     sp->path, mark_seq, mark_off, first_new);
		start = first_new;
		before_mark = before_new;
	} else {
		start = mark_off;
	}
	sp->size = off;
	sp->done_off = start;
	sp->st.backlog = nrec - before_mark;
	sp->st.done_seq = mark_seq;
	/* the mark read may be only in the page cache (a crash, not a power
	 * loss): not counted as on the disk until a sync says so */
	sp->mark_seq = mark_seq;
	sp->synced_seq = 0;
	sp->st.last_seq = last > mark_seq ? last : mark_seq;
	sp->st.bytes = off;
	return 0;
}

/* --- the sync off the signalling thread --- */

#define SPOOL_RETRY_NS 1000000000ull

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void job_put(struct spool_job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	if (j->tmp_fd >= 0)
		close(j->tmp_fd);
	free(j->dir);
	free(j);
}

static int dir_sync(const char *dir, int (*datasync)(int fd))
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (dfd < 0)
		return -1;
	if (datasync(dfd) < 0)
		rc = -1;
	close(dfd);
	return rc;
}

static int copy_range(int from_fd, int to_fd, uint64_t from, uint64_t to)
{
	char b[65536];

	while (from < to) {
		size_t want = to - from < sizeof(b) ? (size_t)(to - from) : sizeof(b);
		ssize_t k = pread(from_fd, b, want, (off_t)from);

		if (k < 0)
			return -1;
		if (k == 0 || write(to_fd, b, (size_t)k) != k) {
			if (k == 0 || !errno)
				errno = EIO; /* the file shorter than said, or a short write */
			return -1;
		}
		from += (uint64_t)k;
	}
	return 0;
}

static void *job_main(void *arg)
{
	struct spool_job *j = arg;

	errno = 0;
	if (j->tmp_fd >= 0) {
		if (copy_range(j->fd, j->tmp_fd, j->from, j->to) < 0 || j->datasync(j->tmp_fd) < 0)
			j->err = errno ? errno : EIO;
		close(j->fd);
		atomic_store(&j->done, true);
		job_put(j);
		return NULL;
	}
	/* the mark first: when it is on the disk the record file may be cut;
	 * the records whatever the mark's sync gave (the first error kept);
	 * then the directory a compaction renamed the record file in */
	if (j->datasync(j->done_fd) < 0)
		j->err = errno ? errno : EIO;
	if (j->datasync(j->fd) < 0 && !j->err)
		j->err = errno ? errno : EIO;
	if (j->dir && dir_sync(j->dir, j->datasync) < 0 && !j->err)
		j->err = errno ? errno : EIO;
	close(j->fd);
	close(j->done_fd);
	atomic_store(&j->done, true);
	job_put(j);
	return NULL;
}

/* j's thread started (detached), or j run in line when none can be */
static void job_run(struct iw_cdr_spool *sp, struct spool_job *j)
{
	pthread_attr_t a;
	pthread_t t;
	int rc;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &a, job_main, j);
	pthread_attr_destroy(&a);
	if (rc) {
		LOGP(DCDR, LOGL_NOTICE, "CDR spool %s: no thread for its %s (%s), done in line\n",
		     sp->path, j->tmp_fd >= 0 ? "compaction" : "sync", strerror(rc));
		job_main(j);
	}
}

/* A finished sync's outcome taken in; then a drained file is cut if the
 * mark on the disk has the last committed sequence (the mark is then the
 * only place it lives), or a sync started that will put it there. */
static void job_reap(struct iw_cdr_spool *sp)
{
	struct spool_job *j = sp->job;

	if (!j || !atomic_load(&j->done))
		return;
	if (j->err) {
		sp->st.write_errors++;
		/* once per run of failures; the next try is the period's */
		if (!sp->sync_failed)
			LOGP(DCDR, LOGL_ERROR,
			     "CDR spool %s: sync failed: %s (tried again each sync period)\n",
			     sp->path, strerror(j->err));
		sp->sync_failed = true;
		sp->failed_ns = mono_ns();
	} else {
		if (sp->sync_failed)
			LOGP(DCDR, LOGL_NOTICE, "CDR spool %s: synced again\n", sp->path);
		sp->sync_failed = false;
		sp->st.syncs++;
		if (j->seq > sp->synced_seq)
			sp->synced_seq = j->seq;
		/* a rename after the directory's sync began is not covered */
		if (j->dir && j->renames == sp->renames)
			sp->dir_unsynced = false;
	}
	sp->job = NULL;
	job_put(j);
}

static void compact_reap(struct iw_cdr_spool *sp);

static int job_start(struct iw_cdr_spool *sp)
{
	struct spool_job *j;
	int rc;

	job_reap(sp);
	compact_reap(sp);
	if (sp->job || sp->cjob)
		return -EBUSY;
	if (sp->sync_failed) {
		if (mono_ns() - sp->failed_ns < SPOOL_RETRY_NS)
			return -EAGAIN;
		/* the mark written again: after a failed sync its page may be
		 * marked clean with nothing on the disk */
		mark_write(sp, sp->done_off, sp->mark_seq);
	}
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->fd = fcntl(sp->fd, F_DUPFD_CLOEXEC, 0);
	j->done_fd = fcntl(sp->done_fd, F_DUPFD_CLOEXEC, 0);
	if (j->fd < 0 || j->done_fd < 0) {
		rc = -errno;
		if (j->fd >= 0)
			close(j->fd);
		if (j->done_fd >= 0)
			close(j->done_fd);
		free(j);
		return rc;
	}
	j->seq = sp->mark_seq;
	j->datasync = iw_cdr_spool_datasync;
	j->tmp_fd = -1;
	if (sp->dir_unsynced) {
		char *dup = strdup(sp->path);

		j->dir = dup ? strdup(dirname(dup)) : NULL;
		j->renames = sp->renames;
		free(dup);
	}
	atomic_init(&j->refs, 2);
	atomic_init(&j->done, false);
	sp->job = j;
	job_run(sp, j);
	return 0;
}

/* --- the compaction off the signalling thread --- */

static char *tmp_path(struct iw_cdr_spool *sp)
{
	return talloc_asprintf(sp, "%s.tmp", sp->path);
}

/* The compaction's new file dropped (failed, or the file drained
 * meanwhile: the cut does better). */
static void compact_drop(struct iw_cdr_spool *sp)
{
	char *tmp = tmp_path(sp);

	if (tmp)
		unlink(tmp);
	talloc_free(tmp);
	job_put(sp->cjob);
	sp->cjob = NULL;
}

/* A compaction that could not start or finish: counted; logged once per
 * run of failures; the next one waits 10 s, then twice as long each time
 * up to 10 min (a full disk is not filled again every 10 s). */
static void compact_failed(struct iw_cdr_spool *sp, int e, const char *detail)
{
	sp->st.write_errors++;
	sp->compact_retry_s = sp->compact_retry_s ? sp->compact_retry_s * 2 : SPOOL_COMPACT_RETRY_S;
	if (sp->compact_retry_s > SPOOL_COMPACT_RETRY_MAX_S)
		sp->compact_retry_s = SPOOL_COMPACT_RETRY_MAX_S;
	if (!sp->compact_failed_ns)
		LOGP(DCDR, LOGL_ERROR,
		     "CDR spool %s: cannot compact: %s%s (tried again in %u s, then less often; "
		     "further failures only counted)\n",
		     sp->path, strerror(e), detail, sp->compact_retry_s);
	sp->compact_failed_ns = mono_ns();
}

/* A compaction done is taken in: dropped when it failed or the file
 * drained (the cut does better); else what was appended meanwhile is
 * copied after it, the new file renamed over the old and taken over, the
 * mark written for it. No sync here: the next syncs (mark, records,
 * directory; each with the directory until one that began after the last
 * rename is done) make it durable. Until then a power loss leaves either
 * name with either mark: recovery replays from an earlier record, or all,
 * never past one not committed (the old file with the new mark's offset:
 * an earlier record, a record's offset in the new file being its old one
 * less the copy's start; the new file with the old mark's: the sequence
 * rule of recover()); and what was appended during the copy had been
 * synced nowhere (no sync runs beside a compaction), so a power loss may
 * take what the last sync period and the copy appended, as it may take a
 * period's, and nothing a sync had covered. */
static void compact_reap(struct iw_cdr_spool *sp)
{
	struct spool_job *j = sp->cjob;
	char *tmp;
	int e;

	if (!j || !atomic_load(&j->done))
		return;
	if (j->err) {
		e = j->err;
		goto fail;
	}
	if (sp->done_off == sp->size) {
		compact_drop(sp);
		return;
	}
	errno = 0;
	if (copy_range(sp->fd, j->tmp_fd, j->to, sp->size) < 0) {
		e = errno ? errno : EIO;
		goto fail;
	}
	tmp = tmp_path(sp);
	if (!tmp || rename(tmp, sp->path) < 0) {
		e = tmp ? errno : ENOMEM;
		talloc_free(tmp);
		goto fail;
	}
	talloc_free(tmp);
	close(sp->fd);
	sp->fd = j->tmp_fd;
	j->tmp_fd = -1;
	sp->st.compact_copied += sp->size - j->from;
	sp->base += j->from;
	sp->size -= j->from;
	sp->done_off -= j->from;
	sp->st.bytes = sp->size;
	sp->st.compactions++;
	sp->dir_unsynced = true;
	sp->renames++;
	if (sp->compact_failed_ns)
		LOGP(DCDR, LOGL_NOTICE, "CDR spool %s: compacted again\n", sp->path);
	sp->compact_failed_ns = 0;
	sp->compact_retry_s = 0;
	job_put(j);
	sp->cjob = NULL;
	mark_write(sp, sp->done_off, sp->st.done_seq);
	return;
fail:
	compact_failed(sp, e, "");
	compact_drop(sp);
}

/* The unsent tail [done_off, size) copied to a new file on a thread; no
 * sync runs meanwhile (nor starts: job_start), so what is appended during
 * the copy has been synced nowhere when it is copied after it. */
static void compact_start(struct iw_cdr_spool *sp)
{
	uint64_t tail = sp->size - sp->done_off, avail;
	struct spool_job *j;
	struct statvfs vs;
	char *tmp, why[96];

	/* never beside a sync: what it synced of the old file after the
	 * copy's end would be in the new one unsynced */
	job_reap(sp);
	if (sp->job)
		return; /* at a later commit */
	if (sp->cjob || (sp->compact_failed_ns &&
			 mono_ns() - sp->compact_failed_ns < sp->compact_retry_s * 1000000000ull))
		return;
	if (fstatvfs(sp->fd, &vs) == 0) {
		avail = (uint64_t)vs.f_bavail * vs.f_frsize;
		if (avail < 2 * tail + SPOOL_COMPACT_FREE_MARGIN) {
			snprintf(why, sizeof(why), " (%" PRIu64 " MB free, %" PRIu64 " MB asked)",
				 avail >> 20,
				 (uint64_t)((2 * tail + SPOOL_COMPACT_FREE_MARGIN) >> 20));
			compact_failed(sp, ENOSPC, why);
			return;
		}
	}
	j = calloc(1, sizeof(*j));
	tmp = tmp_path(sp);
	if (!j || !tmp)
		goto fail;
	j->tmp_fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
	j->fd = fcntl(sp->fd, F_DUPFD_CLOEXEC, 0);
	j->done_fd = -1;
	if (j->tmp_fd < 0 || j->fd < 0) {
		if (j->fd >= 0)
			close(j->fd);
		if (j->tmp_fd >= 0) {
			close(j->tmp_fd);
			unlink(tmp);
		}
		goto fail;
	}
	talloc_free(tmp);
	j->from = sp->done_off;
	j->to = sp->size;
	j->datasync = iw_cdr_spool_datasync;
	atomic_init(&j->refs, 2);
	atomic_init(&j->done, false);
	sp->cjob = j;
	job_run(sp, j);
	return;
fail:
	compact_failed(sp, errno ? errno : ENOMEM, "");
	talloc_free(tmp);
	free(j);
}

static void cut_if_synced(struct iw_cdr_spool *sp)
{
	job_reap(sp);
	compact_reap(sp);
	if (!sp->cut_pending)
		return;
	if (sp->done_off != sp->size) {
		sp->cut_pending = false; /* not drained any more: a later drain */
		return;
	}
	if (sp->cjob)
		return; /* a compaction still reads the file: cut after it */
	if (sp->synced_seq < sp->st.done_seq && sp->size < SPOOL_CUT_ANYWAY_BYTES) {
		/* -EBUSY or -EAGAIN (a second after a failed one): the next
		 * call tries again */
		job_start(sp);
		return;
	}
	sp->cut_pending = false;
	/* the mark back to 0 (it need not reach the disk: the one there has
	 * the sequence, and recovery goes by it), then the cut */
	if (mark_write(sp, 0, sp->st.done_seq) < 0)
		return;
	if (ftruncate(sp->fd, 0) < 0) {
		/* the mark at 0 and the records kept: a replay doubles them,
		 * the database ignores them */
		sp->st.write_errors++;
		LOGP(DCDR, LOGL_ERROR, "CDR spool %s: cannot cut the drained file: %s\n", sp->path,
		     strerror(errno));
		sp->done_off = 0;
		return;
	}
	sp->base += sp->size;
	sp->size = sp->done_off = 0;
	sp->st.bytes = 0;
	sp->st.compactions++;
}

bool iw_cdr_spool_syncing(struct iw_cdr_spool *sp)
{
	return sp->job && !atomic_load(&sp->job->done);
}

bool iw_cdr_spool_compacting(struct iw_cdr_spool *sp)
{
	return sp->cjob && !atomic_load(&sp->cjob->done);
}

bool iw_cdr_spool_cut_pending(const struct iw_cdr_spool *sp)
{
	return sp->cut_pending;
}

void iw_cdr_spool_poll(struct iw_cdr_spool *sp)
{
	cut_if_synced(sp);
}

static int spool_free(struct iw_cdr_spool *sp)
{
	if (sp->job) {
		job_put(sp->job); /* a running sync ends on its own */
		sp->job = NULL;
	}
	if (sp->cjob) /* a running compaction too (its file unlinked: it writes on) */
		compact_drop(sp);
	if (sp->fd >= 0) {
		iw_cdr_spool_datasync(sp->fd);
		close(sp->fd);
	}
	if (sp->done_fd >= 0) {
		iw_cdr_spool_datasync(sp->done_fd);
		close(sp->done_fd);
	}
	/* a compaction's rename not yet synced */
	if (sp->dir_unsynced && sp->path) {
		char *dup = strdup(sp->path);

		if (dup)
			dir_sync(dirname(dup), iw_cdr_spool_datasync);
		free(dup);
	}
	return 0;
}

struct iw_cdr_spool *iw_cdr_spool_open(void *ctx, const char *path)
{
	struct iw_cdr_spool *sp = talloc_zero(ctx, struct iw_cdr_spool);
	int rc;

	if (!sp)
		return NULL;
	sp->fd = sp->done_fd = -1;
	talloc_set_destructor(sp, spool_free);
	sp->path = talloc_strdup(sp, path);
	sp->done_path = talloc_asprintf(sp, "%s.done", path);
	if (!sp->path || !sp->done_path)
		goto fail;
	sp->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (sp->fd < 0) {
		LOGP(DCDR, LOGL_ERROR, "CDR spool %s: %s\n", path, strerror(errno));
		goto fail;
	}
	sp->done_fd = open(sp->done_path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (sp->done_fd < 0) {
		LOGP(DCDR, LOGL_ERROR, "CDR spool %s: %s\n", sp->done_path, strerror(errno));
		goto fail;
	}
	sync_dir(path);
	rc = recover(sp);
	if (rc < 0) {
		LOGP(DCDR, LOGL_ERROR, "CDR spool %s: cannot read it: %s\n", path, strerror(-rc));
		goto fail;
	}
	if (sp->st.backlog)
		LOGP(DCDR, LOGL_NOTICE,
		     "CDR spool %s: %" PRIu64 " records not yet in the database (seq %" PRIu64
		     " committed last): replaying them\n",
		     path, sp->st.backlog, sp->st.done_seq);
	return sp;
fail:
	talloc_free(sp);
	return NULL;
}

void iw_cdr_spool_close(struct iw_cdr_spool *sp)
{
	talloc_free(sp);
}

int iw_cdr_spool_append(struct iw_cdr_spool *sp, const char *csv, size_t len)
{
	char line[8192];
	int h = snprintf(line, sizeof(line), "%" PRIu64 "\t", sp->st.last_seq + 1);
	ssize_t k;

	if (!len || csv[len - 1] != '\n' || (size_t)h + len > sizeof(line))
		return -EINVAL;
	cut_if_synced(sp);
	memcpy(line + h, csv, len);
	k = write(sp->fd, line, (size_t)h + len);
	if (k != (ssize_t)((size_t)h + len)) {
		int e = k < 0 ? errno : EIO;

		sp->st.write_errors++;
		/* a short write leaves a torn record: cut it so the next one
		 * starts a line of its own */
		if (k > 0 && ftruncate(sp->fd, (off_t)sp->size) < 0)
			LOGP(DCDR, LOGL_ERROR, "CDR spool %s: cannot cut a short write: %s\n",
			     sp->path, strerror(errno));
		return -e;
	}
	sp->st.last_seq++;
	sp->st.appended++;
	sp->st.backlog++;
	sp->size += (uint64_t)k;
	sp->st.bytes = sp->size;
	return 0;
}

int iw_cdr_spool_sync(struct iw_cdr_spool *sp)
{
	int rc = job_start(sp);

	cut_if_synced(sp);
	return rc;
}

int iw_cdr_spool_peek(struct iw_cdr_spool *sp, struct iw_cdr_spool_rec *recs, unsigned max,
		      uint64_t *end)
{
	size_t want = SPOOL_READ_MAX, used = 0, r;
	unsigned n = 0;
	ssize_t k;

	*end = sp->base + sp->done_off;
	if (sp->done_off >= sp->size || !max)
		return 0;
	if (sp->size - sp->done_off < want)
		want = (size_t)(sp->size - sp->done_off);
	if (grow(sp, want) < 0)
		return -ENOMEM;
	k = pread(sp->fd, sp->buf, want, (off_t)sp->done_off);
	if (k < 0)
		return -errno;
	while (n < max && (r = iw_cdr_csv_record_len(sp->buf + used, (size_t)k - used)) > 0) {
		char *tab = memchr(sp->buf + used, '\t', r);

		if (!tab) {
			LOGP(DCDR, LOGL_ERROR,
			     "CDR spool %s: record at %" PRIu64 " has no sequence\n", sp->path,
			     sp->done_off + used);
			return -EBADMSG;
		}
		recs[n].seq = strtoull(sp->buf + used, NULL, 10);
		recs[n].csv = tab + 1;
		recs[n].len = r - (size_t)(tab + 1 - (sp->buf + used));
		n++;
		used += r;
	}
	*end = sp->base + sp->done_off + used;
	return (int)n;
}

int iw_cdr_spool_commit(struct iw_cdr_spool *sp, uint64_t end, unsigned n, uint64_t seq)
{
	if (end < sp->base)
		return -EINVAL;
	end -= sp->base;
	if (end <= sp->done_off || end > sp->size)
		return -EINVAL;
	sp->done_off = end;
	sp->st.done_seq = seq;
	sp->st.backlog = sp->st.backlog >= n ? sp->st.backlog - n : 0;
	sp->st.committed += n;
	if (end == sp->size) {
		/* drained: the file is cut once a mark with this sequence is
		 * on the disk (the mark is then the only place it lives); the
		 * sync runs on its own thread, the cut comes at a later call
		 * (a busy disk held the signalling thread here for seconds) */
		int rc = mark_write(sp, sp->done_off, seq);

		if (rc == 0) {
			sp->cut_pending = true;
			cut_if_synced(sp);
		}
		return rc;
	}
	compact_reap(sp);
	if (!sp->cjob && sp->done_off >= SPOOL_COMPACT_BYTES &&
	    sp->done_off >= sp->size - sp->done_off)
		compact_start(sp);
	return mark_write(sp, sp->done_off, seq);
}

const struct iw_cdr_spool_stats *iw_cdr_spool_get_stats(const struct iw_cdr_spool *sp)
{
	return &sp->st;
}
