/* The CDR spool: records on their way to a database, on disk first.
 *
 * Two files: PATH holds the records, one per line "SEQ<TAB>CSV record"
 * (the CSV record as the CDR file has it, RFC 4180; a quoted field may
 * hold a line break, so a record ends at an unquoted LF), appended with
 * one write(2) each; PATH.done holds "OFFSET SEQ": every record before
 * OFFSET is in the database, SEQ is the last one committed.
 *
 * The done mark only ever lags: it is written after the database said
 * COMMIT; a drained record file is cut (truncated) only once a mark with
 * the last committed sequence is on the disk, and its unsent tail moves to
 * a new file whose mark is written after the rename (either file with
 * either mark replays from an earlier record, never a later one: the
 * old file with the new mark's offset lands on an earlier record, the new
 * file with the old mark's is caught by the sequence rule below).
 * Recovery starts at the
 * mark's offset, or earlier at the first record newer than its sequence
 * (the offset of a mark synced before a cut may fall among the records
 * written after it). The syncs run off the signalling thread, and so does
 * a compaction's copy (1 MB committed, and at least as much as is left
 * behind it; no sync starts while it copies). A drained file of 1 MB is cut without waiting for the
 * sync (a disk slower than the batches): a power loss then may cost the
 * sequence's continuity (numbers given again), never a record. A mark
 * that lags makes
 * the next replay send records again, which the database ignores (each
 * record has a unique id, inserted with ON CONFLICT DO NOTHING): so a
 * crash at any point loses nothing and doubles nothing.
 *
 * At open: a torn last record (a write cut by a power loss) is cut off and
 * logged, a mark beyond the file or inside a record goes back to 0. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct iw_cdr_spool;

struct iw_cdr_spool_stats {
	uint64_t backlog;   /* records not yet committed */
	uint64_t bytes;	    /* size of the record file */
	uint64_t appended;  /* records appended since open */
	uint64_t committed; /* records committed since open */
	uint64_t compactions, torn, write_errors;
	uint64_t syncs;		 /* syncs of the mark and the records done off the loop */
	uint64_t compact_copied; /* bytes the compactions copied */
	uint64_t last_seq, done_seq;
};

/* Open (create) PATH and PATH.done and recover. NULL on failure (logged). */
struct iw_cdr_spool *iw_cdr_spool_open(void *ctx, const char *path);
void iw_cdr_spool_close(struct iw_cdr_spool *sp);
/* Append one CSV record (ending in LF) under the next sequence number.
 * 0 or -errno (then nothing was added). */
int iw_cdr_spool_append(struct iw_cdr_spool *sp, const char *csv, size_t len);
/* Sync the done mark and the record file (the policy's period) on a
 * thread of its own, one at a time; at close they are synced in line.
 * -EBUSY while the last one runs or a compaction copies (ask again
 * shortly: what was written since it began is not covered; a compaction
 * done is taken over here, or at the next append, commit or poll, with
 * the directory synced next), -EAGAIN within a second of a failed
 * one (logged once per run of failures, counted as write errors). */
int iw_cdr_spool_sync(struct iw_cdr_spool *sp);
/* Whether that sync is running (tests). */
bool iw_cdr_spool_syncing(struct iw_cdr_spool *sp);
/* Whether a compaction is copying (tests). */
bool iw_cdr_spool_compacting(struct iw_cdr_spool *sp);
/* Drained, its file to be cut once its mark is on the disk: the next
 * iw_cdr_spool_poll (or sync, append, commit) does it, or starts the
 * sync that puts the mark there. */
bool iw_cdr_spool_cut_pending(const struct iw_cdr_spool *sp);
void iw_cdr_spool_poll(struct iw_cdr_spool *sp);
/* The sync itself (fdatasync; tests put a slow disk here). */
extern int (*iw_cdr_spool_datasync)(int fd);

/* One record read back: views into the batch buffer. */
struct iw_cdr_spool_rec {
	uint64_t seq;
	const char *csv;
	size_t len; /* with its LF */
};

/* Read up to max records from the first one not committed; *end is where
 * the last one ends (for iw_cdr_spool_commit: a position in the spool,
 * not in its file, which a compaction may replace in between). The views stay
 * valid until the next call. Returns how many (0: none), or -errno. */
int iw_cdr_spool_peek(struct iw_cdr_spool *sp, struct iw_cdr_spool_rec *recs, unsigned max,
		      uint64_t *end);
/* Records up to end (n of them, the last being seq) are in the database. */
int iw_cdr_spool_commit(struct iw_cdr_spool *sp, uint64_t end, unsigned n, uint64_t seq);
const struct iw_cdr_spool_stats *iw_cdr_spool_get_stats(const struct iw_cdr_spool *sp);

/* Split one CSV record (RFC 4180) into at most max fields, unquoted into
 * out (at least len + 1 bytes): fields[i] points into out, NUL-ended; an
 * empty unquoted field is NULL. Returns the field count or -EBADMSG. Pure. */
int iw_cdr_csv_split(const char *rec, size_t len, char *out, const char **fields, unsigned max);
/* Length of the first record in buf (up to and with its unquoted LF), 0
 * when buf holds no whole record. Pure. */
size_t iw_cdr_csv_record_len(const char *buf, size_t len);
