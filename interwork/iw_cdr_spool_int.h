/* The CDR spool's parts (iw_cdr_spool.h): the files, recovery and the
 * interface in iw_cdr_spool.c; the jobs on threads of their own (the
 * syncs, the compaction) in iw_cdr_spool_job.c. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "interwork/iw_cdr_spool.h"

/* the unsent tail moves to a new file once this much is committed ahead
 * of it (a spool under steady load is seldom empty at a commit), and
 * only when the tail is no longer than that: each copy is then paid for
 * by as many bytes committed, and a replay after a long outage copies its
 * backlog about once in all (copied at each MiB, a 700 MB backlog was
 * copied 700 times, 350 MB on average: about 245 GB) */
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
	char *dir_of; /* a sync: the directory of this file too (malloc'ed), or NULL */
	int tmp_fd;   /* a compaction: the new file (the spool takes it), or -1 */
	uint64_t from, to;
	atomic_bool cancel; /* a compaction given up: its copy stops */
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
	uint64_t compact_failed_ns; /* the last compaction failed then (0: none) */
	unsigned compact_retry_s;   /* and the next one waits this long */
	uint64_t mark_seq;	    /* the sequence in the last mark written */
	uint64_t synced_seq;	    /* a mark with it (or later) is on the disk */
	bool cut_pending;	    /* drained: cut once the mark is on the disk */
	bool sync_failed;	    /* the last sync failed: the next one a second later */
	uint64_t failed_ns;	    /* when (CLOCK_MONOTONIC) */
	struct iw_cdr_spool_stats st;
};

/* a failed sync: the next one a second later */
#define SPOOL_RETRY_NS 1000000000ull

/* the done mark at offset 0 of PATH.done: "OFFSET SEQ" (iw_cdr_spool.c) */
int iw_cdr_spool_mark_write(struct iw_cdr_spool *sp, uint64_t off, uint64_t seq);

/* iw_cdr_spool_job.c */
uint64_t iw_cdr_spool_mono_ns(void);
void iw_cdr_spool_job_put(struct spool_job *j);
/* a finished sync's outcome taken in */
void iw_cdr_spool_job_reap(struct iw_cdr_spool *sp);
/* a sync started (mark, records, the directory after a rename); -EBUSY
 * while one runs or a compaction copies, -EAGAIN a second after a failed
 * one */
int iw_cdr_spool_job_start(struct iw_cdr_spool *sp);
/* a compaction: started at a commit when worth it; a finished one taken
 * over (or dropped); a running one given up (its file removed) */
void iw_cdr_spool_compact_start(struct iw_cdr_spool *sp);
void iw_cdr_spool_compact_reap(struct iw_cdr_spool *sp);
void iw_cdr_spool_compact_drop(struct iw_cdr_spool *sp);
