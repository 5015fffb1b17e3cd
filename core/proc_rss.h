/* The resident set of this process as the kernel counts it (VmRSS in
 * /proc/self/status, proc(5)): what "show memory" and the RSS checks of the
 * unit tests read. */
#pragma once

/* kB resident now, or -1 when /proc cannot be read */
long tandem_rss_kb(void);
