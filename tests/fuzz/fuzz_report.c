/*
 * fuzz_report.c -- libFuzzer target for the reports `portaudit merge` and
 * `portaudit diff` read (archived, copied, perhaps edited by hand): any
 * bytes as a JSON report through rep_load_report (jansson, the format's
 * schema built into the binary, reports/schema.c, the report identity);
 * one that loads is merged alone into every output format and diffed
 * against itself, as the commands do.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/rep_int.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_input_file(data, size);
	char err[512];
	json_t *j = NULL;
	if (rep_load_report(path, &j, err, sizeof err) != 0) {
		if (strncmp(err, path, strlen(path)) != 0)
			__builtin_trap(); /* every error names the file */
		return 0;
	}
	json_decref(j);
	/* The commands on it: their status is 0, 1 or 3 (a verdict), or 2
	 * (a report merge refuses, said on standard error). */
	static char out[4][320];
	static const char *const ext[4] = { "json", "html", "csv", "jsonl" };
	for (int i = 0; i < 4; i++)
		snprintf(out[i], sizeof out[i], "%s.%s", path, ext[i]);
	char *in = (char *)path; /* argv is not const */
	char *merge[] = { "merge", "-q", in, "--json", out[0], "--html",
	                  out[1], "--csv", out[2], "--jsonl", out[3], NULL };
	int rc = rep_cmd_merge(11, merge);
	for (int i = 0; i < 4; i++)
		unlink(out[i]);
	if (rc < 0 || rc > 3)
		__builtin_trap();
	char *diff[] = { "diff", in, in, NULL };
	fflush(stdout); /* its terminal summary goes to /dev/null */
	int saved = dup(1), null = open("/dev/null", O_WRONLY);
	if (saved < 0 || null < 0 || dup2(null, 1) < 0)
		abort();
	rc = rep_cmd_diff(3, diff);
	fflush(stdout);
	if (dup2(saved, 1) < 0)
		abort();
	close(saved);
	close(null);
	if (rc < 0 || rc > 3)
		__builtin_trap();
	return 0;
}
