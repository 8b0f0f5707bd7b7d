/*
 * zeek.c -- TEMPORARY STAND-IN, not the Zeek reader.
 *
 * The real capture/zeek.c (cap_zeek_read: Zeek conn.log, TSV or JSON
 * lines, gzip) is written on its own branch and replaces this file when
 * the branches are merged. Until then `--flows zeek:PATH` is refused with
 * a clear error, so that the command line, cap_run_records() and the
 * reports can be built and tested without it.
 */
#include <stdio.h>

#include "records.h"

int cap_zeek_read(const char *path, cap_flow_fn fn, void *ctx,
                  struct cap_rec_stats *rs, bool skip_bad, char *err,
                  size_t errlen)
{
	(void)fn;
	(void)ctx;
	(void)rs;
	(void)skip_bad;
	snprintf(err, errlen, "zeek:%s: the Zeek conn.log reader is not built "
	         "yet (capture/zeek.c is a temporary stand-in)", path);
	return -1;
}
