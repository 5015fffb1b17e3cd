/* VmRSS from /proc/self/status: one line "VmRSS:   1234 kB" (proc(5)). */
#include <stdio.h>

#include "core/proc_rss.h"

long tandem_rss_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}
