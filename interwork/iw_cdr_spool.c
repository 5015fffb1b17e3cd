/* The CDR spool (iw_cdr_spool.h): an append-only record file and its
 * done mark. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <talloc.h>

#include "core/log.h"
#include "interwork/iw_cdr.h"
#include "interwork/iw_cdr_spool_int.h"

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

int iw_cdr_spool_mark_write(struct iw_cdr_spool *sp, uint64_t off, uint64_t seq)
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

static void cut_if_synced(struct iw_cdr_spool *sp)
{
	iw_cdr_spool_job_reap(sp);
	iw_cdr_spool_compact_reap(sp);
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
		iw_cdr_spool_job_start(sp);
		return;
	}
	sp->cut_pending = false;
	/* the mark back to 0 (it need not reach the disk: the one there has
	 * the sequence, and recovery goes by it), then the cut */
	if (iw_cdr_spool_mark_write(sp, 0, sp->st.done_seq) < 0)
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
		iw_cdr_spool_job_put(sp->job); /* a running sync ends on its own */
		sp->job = NULL;
	}
	if (sp->cjob) /* a running compaction too (its file unlinked: it writes on) */
		iw_cdr_spool_compact_drop(sp);
	if (sp->fd >= 0) {
		iw_cdr_spool_datasync(sp->fd);
		close(sp->fd);
	}
	if (sp->done_fd >= 0) {
		iw_cdr_spool_datasync(sp->done_fd);
		close(sp->done_fd);
	}
	/* a compaction's rename not yet synced */
	if (sp->dir_unsynced && sp->path)
		iw_cdr_dir_sync(sp->path, iw_cdr_spool_datasync);
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
	iw_cdr_dir_sync(path, fsync);
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
	int rc = iw_cdr_spool_job_start(sp);

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
		int rc = iw_cdr_spool_mark_write(sp, sp->done_off, seq);

		if (rc == 0) {
			sp->cut_pending = true;
			cut_if_synced(sp);
		}
		return rc;
	}
	iw_cdr_spool_compact_reap(sp);
	if (!sp->cjob && sp->done_off >= SPOOL_COMPACT_BYTES &&
	    sp->done_off >= sp->size - sp->done_off)
		iw_cdr_spool_compact_start(sp);
	return iw_cdr_spool_mark_write(sp, sp->done_off, seq);
}

const struct iw_cdr_spool_stats *iw_cdr_spool_get_stats(const struct iw_cdr_spool *sp)
{
	return &sp->st;
}
