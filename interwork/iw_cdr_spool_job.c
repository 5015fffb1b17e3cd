/* The CDR spool's jobs on threads of their own (iw_cdr_spool_int.h): the
 * syncs of the mark, the records and the directory, and the compaction. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include "interwork/iw_cdr.h"
#include "interwork/iw_cdr_spool_int.h"

/* --- the sync off the signalling thread --- */

uint64_t iw_cdr_spool_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void iw_cdr_spool_job_put(struct spool_job *j)
{
	if (atomic_fetch_sub(&j->refs, 1) != 1)
		return;
	if (j->tmp_fd >= 0)
		close(j->tmp_fd);
	free(j->dir_of);
	free(j);
}

static int copy_range(int from_fd, int to_fd, uint64_t from, uint64_t to, atomic_bool *cancel)
{
	char b[65536];

	while (from < to) {
		if (cancel && atomic_load(cancel)) {
			errno = ECANCELED;
			return -1;
		}
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
		if (copy_range(j->fd, j->tmp_fd, j->from, j->to, &j->cancel) < 0 ||
		    j->datasync(j->tmp_fd) < 0)
			j->err = errno ? errno : EIO;
		close(j->fd);
		atomic_store(&j->done, true);
		iw_cdr_spool_job_put(j);
		return NULL;
	}
	/* the mark first: when it is on the disk the record file may be cut;
	 * the records whatever the mark's sync gave (the first error kept);
	 * then the directory a compaction renamed the record file in */
	if (j->datasync(j->done_fd) < 0)
		j->err = errno ? errno : EIO;
	if (j->datasync(j->fd) < 0 && !j->err)
		j->err = errno ? errno : EIO;
	if (j->dir_of && iw_cdr_dir_sync(j->dir_of, j->datasync) < 0 && !j->err)
		j->err = errno ? errno : EIO;
	close(j->fd);
	close(j->done_fd);
	atomic_store(&j->done, true);
	iw_cdr_spool_job_put(j);
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
void iw_cdr_spool_job_reap(struct iw_cdr_spool *sp)
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
		sp->failed_ns = iw_cdr_spool_mono_ns();
	} else {
		if (sp->sync_failed)
			LOGP(DCDR, LOGL_NOTICE, "CDR spool %s: synced again\n", sp->path);
		sp->sync_failed = false;
		sp->st.syncs++;
		if (j->seq > sp->synced_seq)
			sp->synced_seq = j->seq;
		/* no rename can come while it runs (a compaction and a sync
		 * never run together) */
		if (j->dir_of)
			sp->dir_unsynced = false;
	}
	sp->job = NULL;
	iw_cdr_spool_job_put(j);
}

void iw_cdr_spool_compact_reap(struct iw_cdr_spool *sp);

int iw_cdr_spool_job_start(struct iw_cdr_spool *sp)
{
	struct spool_job *j;
	int rc;

	iw_cdr_spool_job_reap(sp);
	iw_cdr_spool_compact_reap(sp);
	if (sp->job || sp->cjob)
		return -EBUSY;
	if (sp->sync_failed) {
		if (iw_cdr_spool_mono_ns() - sp->failed_ns < SPOOL_RETRY_NS)
			return -EAGAIN;
		/* the mark written again: after a failed sync its page may be
		 * marked clean with nothing on the disk */
		iw_cdr_spool_mark_write(sp, sp->done_off, sp->mark_seq);
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
	if (sp->dir_unsynced)
		j->dir_of = strdup(sp->path);
	atomic_init(&j->refs, 2);
	atomic_init(&j->done, false);
	atomic_init(&j->cancel, false);
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
void iw_cdr_spool_compact_drop(struct iw_cdr_spool *sp)
{
	char *tmp = tmp_path(sp);

	if (tmp)
		unlink(tmp);
	talloc_free(tmp);
	atomic_store(&sp->cjob->cancel, true); /* a copy still running stops */
	iw_cdr_spool_job_put(sp->cjob);
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
	sp->compact_failed_ns = iw_cdr_spool_mono_ns();
}

/* A compaction done is taken in: dropped when it failed or the file
 * drained (the cut does better); else what was appended meanwhile is
 * copied after it, the new file renamed over the old and taken over, the
 * mark written for it. No sync here: the next syncs (mark, records,
 * directory; each with the directory until one is done: none can run
 * beside the rename) make it durable. Until then a power loss leaves either
 * name with either mark: recovery replays from an earlier record, or all,
 * never past one not committed (the old file with the new mark's offset:
 * an earlier record, a record's offset in the new file being its old one
 * less the copy's start; the new file with the old mark's: the sequence
 * rule of recover()); and what was appended during the copy had been
 * synced nowhere (no sync runs beside a compaction), so a power loss may
 * take what the last sync period and the copy appended, as it may take a
 * period's, and nothing a sync had covered. */
void iw_cdr_spool_compact_reap(struct iw_cdr_spool *sp)
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
		iw_cdr_spool_compact_drop(sp);
		return;
	}
	errno = 0;
	if (copy_range(sp->fd, j->tmp_fd, j->to, sp->size, NULL) < 0) {
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
	if (sp->compact_failed_ns)
		LOGP(DCDR, LOGL_NOTICE, "CDR spool %s: compacted again\n", sp->path);
	sp->compact_failed_ns = 0;
	sp->compact_retry_s = 0;
	iw_cdr_spool_job_put(j);
	sp->cjob = NULL;
	iw_cdr_spool_mark_write(sp, sp->done_off, sp->st.done_seq);
	return;
fail:
	compact_failed(sp, e, "");
	iw_cdr_spool_compact_drop(sp);
}

/* The unsent tail [done_off, size) copied to a new file on a thread; no
 * sync runs meanwhile (nor starts: iw_cdr_spool_job_start), so what is appended during
 * the copy has been synced nowhere when it is copied after it. */
void iw_cdr_spool_compact_start(struct iw_cdr_spool *sp)
{
	uint64_t tail = sp->size - sp->done_off, avail;
	struct spool_job *j;
	struct statvfs vs;
	char *tmp, why[96];

	/* never beside a sync: what it synced of the old file after the
	 * copy's end would be in the new one unsynced */
	iw_cdr_spool_job_reap(sp);
	if (sp->job)
		return; /* at a later commit */
	if (sp->cjob || (sp->compact_failed_ns && iw_cdr_spool_mono_ns() - sp->compact_failed_ns <
							  sp->compact_retry_s * 1000000000ull))
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
	atomic_init(&j->cancel, false);
	sp->cjob = j;
	job_run(sp, j);
	return;
fail:
	compact_failed(sp, errno ? errno : ENOMEM, "");
	talloc_free(tmp);
	free(j);
}
