/* CDRs into PostgreSQL (iw_cdr_pg.h): what its VTY part
 * (iw_cdr_pg_vty.c) needs of the engine in iw_cdr_pg.c. */
#pragma once

#include <stddef.h>

struct iw_cdr_spool_stats;

/* a configuration change on a running gateway takes effect at once */
int iw_cdr_pg_restart(void);
const struct iw_cdr_spool_stats *iw_cdr_pg_spool_stats(void);
const char *iw_cdr_pg_last_error(void);
/* a libpq connection string that parses; else why (-EINVAL) */
int iw_cdr_pg_conninfo_check(const char *ci, char *why, size_t len);
