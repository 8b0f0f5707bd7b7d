/* io.c -- placeholder for report output plumbing. */
#include <stdio.h>
#include "reports.h"
struct rep_out *rep_open(const struct rep_writer *w, const char *path, char *errbuf, size_t errlen) { (void)w; snprintf(errbuf, errlen, "%s: reports not built yet", path); return NULL; }
int rep_close(struct rep_out *o, char *errbuf, size_t errlen) { (void)o; (void)errbuf; (void)errlen; return -1; }
void rep_abort(struct rep_out *o) { (void)o; }
static int no_report(struct rep_out *o, const struct rep_input *in) { (void)o; (void)in; return -1; }
const struct rep_writer rep_text = { "text", NULL, no_report }, rep_json = { "json", NULL, no_report },
	rep_csv = { "csv", NULL, no_report }, rep_jsonl = { "jsonl", NULL, no_report },
	rep_html = { "html", NULL, no_report }, rep_flows_csv = { "flows-csv", NULL, no_report };
int rep_cmd_merge(int argc, char **argv) { (void)argc; (void)argv; fputs("portaudit: merge: not built yet\n", stderr); return 2; }
int rep_cmd_diff(int argc, char **argv) { (void)argc; (void)argv; fputs("portaudit: diff: not built yet\n", stderr); return 2; }
