/*
 * interval.c -- the names of the reports of one --interval.
 *
 * A path with a '%' is a strftime(3) pattern, as tcpdump's -w with -G:
 * expanded with the interval's start in UTC (audit-%Y%m%dT%H%MZ.json).
 * Any other path gets the start inserted before its extension, or at its
 * end when it has none: audit.json -> audit-20261205T1300Z.json, minutes
 * when the interval is whole minutes (its boundaries are then on the
 * minute), seconds otherwise (audit-20261205T130001Z.json). Each
 * interval's start differs from the last's by the interval, so the names
 * never repeat (a pattern without the fields that change may: that is
 * the pattern's choice, as with tcpdump).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reports.h"

char *rep_interval_name(const char *path, uint64_t start_ns,
                        uint32_t seconds)
{
	time_t t = (time_t)(start_ns / 1000000000u);
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return NULL;
	char buf[4096];
	if (strchr(path, '%')) {
		/* The user's pattern, on purpose (tcpdump -w with -G). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		size_t n = strftime(buf, sizeof buf, path, &tm);
#pragma GCC diagnostic pop
		if (n == 0)
			return NULL; /* empty, or longer than the buffer */
		return strdup(buf);
	}
	char stamp[32];
	if (strftime(stamp, sizeof stamp, seconds % 60 ? "-%Y%m%dT%H%M%SZ"
	                                              : "-%Y%m%dT%H%MZ",
	             &tm) == 0)
		return NULL;
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	if (!dot || dot == base) /* no extension, or a dot file */
		dot = path + strlen(path);
	size_t head = (size_t)(dot - path);
	int n = snprintf(buf, sizeof buf, "%.*s%s%s", (int)head, path, stamp,
	                 dot);
	if (n < 0 || (size_t)n >= sizeof buf)
		return NULL;
	return strdup(buf);
}
