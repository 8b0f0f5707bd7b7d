/* it_corpus.c -- the real binary on every capture of the shared corpus
 * (tcpdump's and libpcap's test files, many of them crafted to crash
 * dissectors): the exit status must be 0, 1, 2 or 3, never a signal, and under
 * test-san never a sanitizer report.
 *
 * Speed: 873 files, one process each, cost half a minute (two and a half
 * under ASan), nearly all of it start-up (catalog, port tables). So the
 * files go 64 to a process (`-r F1 -r F2 ...`, read in order into one flow
 * table; every file is still decoded). A file that cannot be opened as a
 * capture makes the whole command exit 2 before reading anything, naming
 * the file: that is its (correct) result, so it leaves the batch and the
 * rest runs again. A crash names its batch. */
#include "harness.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 64
#define MAXFILES 4096
#define ASAN_EXIT 86
#define UBSAN_EXIT 87

static char *files[MAXFILES];
static unsigned nfiles;

static void collect(const char *rel)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", pa_src(rel));
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d)) && nfiles < MAXFILES) {
		if (de->d_name[0] == '.')
			continue;
		size_t n = strlen(dir) + strlen(de->d_name) + 2;
		char *p = malloc(n);
		assert_non_null(p);
		snprintf(p, n, "%s/%s", dir, de->d_name);
		files[nfiles++] = p;
	}
	closedir(d);
}

static bool sanitizer_report(const char *err)
{
	return strstr(err, "ERROR: AddressSanitizer") ||
	       strstr(err, "runtime error") ||
	       strstr(err, "ERROR: LeakSanitizer");
}

/* Run one batch; returns the number of abnormal results. */
static unsigned run_batch(const char *bin, char **batch, unsigned n,
                          unsigned *opened_errors)
{
	while (n > 0) {
		const char *argv[2 * BATCH + 8];
		unsigned a = 0;
		argv[a++] = bin;
		argv[a++] = "-q";
		argv[a++] = "--max-flows";
		argv[a++] = "4096";
		for (unsigned i = 0; i < n; i++) {
			argv[a++] = "-r";
			argv[a++] = batch[i];
		}
		argv[a] = NULL;
		struct pa_result r;
		pa_exec(&r, NULL, argv);
		if (r.status > 3 || sanitizer_report(r.err)) {
			fprintf(stderr, "FAIL: status %d on the batch of %u files from "
			        "%s:\n%s\n", r.status, n, batch[0], r.err);
			pa_result_free(&r);
			return 1;
		}
		if (r.status != 2) {
			pa_result_free(&r);
			return 0;
		}
		/* Which file was refused? It leaves the batch. */
		unsigned bad = n;
		for (unsigned i = 0; i < n && bad == n; i++) {
			char want[1200];
			snprintf(want, sizeof want, "portaudit: %s: ", batch[i]);
			if (strstr(r.err, want))
				bad = i;
		}
		if (bad == n) {
			fprintf(stderr, "FAIL: exit 2 naming no file of the batch from "
			        "%s:\n%s\n", batch[0], r.err);
			pa_result_free(&r);
			return 1;
		}
		pa_result_free(&r);
		(*opened_errors)++;
		char *t = batch[bad];
		batch[bad] = batch[n - 1];
		batch[n - 1] = t;
		n--;
	}
	return 0;
}

static void test_corpus(void **state)
{
	(void)state;
	const char *bin = getenv("PORTAUDIT");
	if (!bin)
		pa_skip("PORTAUDIT not set");
	collect("../shared/corpus/tcpdump");
	collect("../shared/corpus/libpcap");
	if (nfiles == 0)
		pa_skip("no shared corpus (../shared/corpus/{tcpdump,libpcap})");
	/* A sanitizer report gets an exit status of its own. */
	char asan[512], ubsan[512];
	const char *a = getenv("ASAN_OPTIONS"), *u = getenv("UBSAN_OPTIONS");
	snprintf(asan, sizeof asan, "%s%sexitcode=%d", a ? a : "",
	         a && *a ? ":" : "", ASAN_EXIT);
	snprintf(ubsan, sizeof ubsan, "%s%sexitcode=%d", u ? u : "",
	         u && *u ? ":" : "", UBSAN_EXIT);
	setenv("ASAN_OPTIONS", asan, 1);
	setenv("UBSAN_OPTIONS", ubsan, 1);
	unsigned bad = 0, refused = 0;
	for (unsigned i = 0; i < nfiles; i += BATCH) {
		unsigned n = nfiles - i < BATCH ? nfiles - i : BATCH;
		bad += run_batch(bin, files + i, n, &refused);
	}
	printf("corpus: %u files, %u refused as not a capture, %u abnormal "
	       "batches\n", nfiles, refused, bad);
	for (unsigned i = 0; i < nfiles; i++)
		free(files[i]);
	assert_int_equal(bad, 0);
	assert_true(refused < nfiles / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
