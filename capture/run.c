/* run.c -- placeholder for the capture loop. */
#include <stdio.h>
#include "capture.h"
int cap_run(const struct cap_options *opt, cap_flow_fn fn, void *ctx, struct cap_stats *st, char *errbuf, size_t errlen)
{ (void)opt; (void)fn; (void)ctx; (void)st; snprintf(errbuf, errlen, "capture not built yet"); return -1; }
