/* Call detail records: one record per call attempt, written to a CSV or
 * JSON-lines file when the attempt ends (before the call's memory goes).
 *
 * Durability: each record is one write(2) on an O_APPEND descriptor, made
 * when the attempt ends: from then on it is in the kernel and survives the
 * daemon being killed (SIGKILL, a crash). fsync(2) runs at every rotation,
 * every `cdr sync` seconds when records were written, and at stop; a power
 * loss can only take what was written since the last of those. A write
 * that fails (disk full) is logged whole on DCDR at ERROR level, counted,
 * and the file is reopened for the next record. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "media/media.h"

struct loop;

enum iw_cdr_format { IW_CDR_CSV, IW_CDR_JSON };

/* From the VTY ("operations" node). */
struct iw_cdr_cfg {
	char *path; /* NULL: no CDR file */
	enum iw_cdr_format format;
	uint64_t rotate_bytes; /* 0: no rotation by size */
	unsigned rotate_s;     /* 0: no rotation by time */
	unsigned sync_s;       /* fdatasync period while records come (0: rotation/stop only) */
};
extern struct iw_cdr_cfg iw_cdr_cfg;

/* One attempt as the call saw it. Strings may be NULL or "" (empty field). */
struct iw_cdr_rec {
	bool final;	  /* the call's last attempt; false: route advanced past it */
	uint64_t boot;	  /* the daemon's start (s since the epoch): call ids restart */
	unsigned call;	  /* the call's id: attempts of one call share boot-call */
	unsigned attempt; /* 1, 2...: the route-advance attempt */
	bool from_isup;	  /* ISUP -> SIP (else SIP -> ISUP) */
	struct timespec start, answer, end;   /* CLOCK_REALTIME; answer 0: not answered */
	const char *calling_in, *called_in;   /* E.164 as received (normalised) */
	const char *calling_out, *called_out; /* E.164 as sent (after rewrite) */
	const char *ruri_out;		      /* Request-URI sent (ISUP -> SIP) */
	const char *linkset;
	unsigned cic;
	int span, timeslot; /* -1: none */
	const char *trunk, *call_id;
	int cause;     /* Q.850 cause value, 0: none */
	int cause_loc; /* Q.850 location, -1: not known */
	int sip_status;
	const char *release_side; /* "isup" / "pri", "sip", "gateway" or NULL (derived) */
	const char *circuit;	  /* the circuit side: "isup" (also NULL), "pri" */
	const char *codec;
	unsigned ptime;
	bool have_media;
	struct media_chan_stats media;
};

struct iw_cdr_stats {
	uint64_t records, bytes, rotations, write_errors, syncs;
};

/* Result of an attempt: answered, busy, no-answer, cancelled, failed or
 * advanced. Pure. */
const char *iw_cdr_result(const struct iw_cdr_rec *r);
/* Encode one record (with its newline) into buf; the CSV header line with
 * iw_cdr_header. Return the length, or -ENOSPC. Pure. */
int iw_cdr_encode(char *buf, size_t len, enum iw_cdr_format f, const struct iw_cdr_rec *r);
int iw_cdr_header(char *buf, size_t len, enum iw_cdr_format f);

/* Open (or reopen after a change) the file named by iw_cdr_cfg; records
 * are appended to what an earlier run left. 0 or -errno (logged). */
int iw_cdr_start(void *ctx, struct loop *l);
/* Make what was written durable without holding the caller: an
 * fdatasync of the open file on a thread of its own (a busy disk can hold
 * one for seconds, and on the signalling thread that stops SIP, the ISUP
 * timers and Q.921 with it: loaded test runs saw turns of 3.7-7 s begin
 * one sync period after a CDR write). 0 started, -EBUSY one still runs, -EBADF no
 * file open. The periodic sync ("cdr sync") goes through it. */
int iw_cdr_sync_start(void);
bool iw_cdr_sync_running(void);
/* What it calls: fdatasync; a test puts a slow one in its place. */
extern int (*iw_cdr_datasync)(int fd);
/* Rotate now: fsync, rename to PATH.YYYYMMDDTHHMMSS.mmmZ, open anew. */
int iw_cdr_rotate(void);
/* fsync and close. */
void iw_cdr_stop(void);
/* At exit, after iw_cdr_stop: the syncs still running on their threads
 * (a file rotated just before) waited for, max_ms at most (then logged);
 * whether none is left. */
bool iw_cdr_wait_syncs(unsigned max_ms);
/* The directory holding file synced with datasync (the CDR file's and the
 * spool's renames and new files): 0, or -1 and errno. */
int iw_cdr_dir_sync(const char *file, int (*datasync)(int fd));
/* Write one record (no-op without a file). */
void iw_cdr_write(const struct iw_cdr_rec *r);
const struct iw_cdr_stats *iw_cdr_get_stats(void);
/* The file in use, NULL when none. */
const char *iw_cdr_path(void);
