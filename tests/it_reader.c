/* it_reader.c -- the real binary reads classic pcap files with its own
 * reader (capture/pcapfile.c; a file mapped, or read in blocks with
 * PORTAUDIT_READER=read) unless PORTAUDIT_READER=libpcap: all must give
 * the same report. For every capture of pcaps/ (one at a time, from a
 * file and from standard input through a pipe and redirected from the
 * file, then all of them in one command) and every classic pcap file of
 * the shared corpus (tcpdump's and
 * libpcap's test captures, many cut short or crafted: 32 to a command, as
 * several -r files in a row), `portaudit -q -r ... --json R.json` is run
 * each way: the exit status, standard error and the JSON report (less
 * its command line) must be the same; the same for the captures of
 * pcaps/ cut short, with a caplen too large or a lower snaplen (in rel
 * each alone and before an intact capture; under the sanitizers 31 in a
 * row). A batch that differs is run again file by file to name the
 * file. */
#include "harness.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 32
#define MAXFILES 4096

static char *files[MAXFILES];
static unsigned nfiles;

static bool classic_pcap(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	unsigned char m[4];
	size_t n = fread(m, 1, 4, f);
	fclose(f);
	if (n != 4)
		return false;
	uint32_t v = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
	             (uint32_t)m[2] << 8 | m[3];
	const uint32_t magics[] = { 0xa1b2c3d4u, 0xa1b23c4du, 0xa1b2cd34u };
	for (size_t i = 0; i < 3; i++)
		if (v == magics[i] || v == __builtin_bswap32(magics[i]))
			return true;
	return false;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Files of `rel` ending in `suffix` (NULL: any) and, when `classic`, only
 * classic pcap files; sorted. Returns how many were added. */
static unsigned collect(const char *rel, const char *suffix, bool classic)
{
	char dir[1024];
	snprintf(dir, sizeof dir, "%s", pa_src(rel));
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	unsigned first = nfiles;
	struct dirent *de;
	while ((de = readdir(d)) && nfiles < MAXFILES) {
		if (de->d_name[0] == '.')
			continue;
		size_t l = strlen(de->d_name);
		if (suffix && (l < strlen(suffix) ||
		               strcmp(de->d_name + l - strlen(suffix), suffix)))
			continue;
		size_t n = strlen(dir) + l + 2;
		char *p = malloc(n);
		assert_non_null(p);
		snprintf(p, n, "%s/%s", dir, de->d_name);
		if (classic && !classic_pcap(p)) {
			free(p);
			continue;
		}
		files[nfiles++] = p;
	}
	closedir(d);
	qsort(files + first, nfiles - first, sizeof files[0], by_name);
	return nfiles - first;
}

static void free_files(void)
{
	for (unsigned i = 0; i < nfiles; i++)
		free(files[i]);
	nfiles = 0;
}

struct outcome {
	struct pa_result r;
	json_t *json; /* NULL when no report was written */
};

/* Standard input from the file itself (`-r - < FILE`), not a pipe. */
static bool stdin_redirect;

/* One run, with the reader PORTAUDIT_READER names: NULL (ours, a file
 * mapped), "read" (ours, read in blocks) or "libpcap". `stdin_file`: the
 * capture comes through a pipe from cat (the only source, "-r -"). */
static void run(struct outcome *o, const char *reader, char **batch,
                unsigned n, const char *stdin_file)
{
	const char *bin = getenv("PORTAUDIT");
	const char *report = pa_tmp("reader.json");
	remove(report);
	if (reader)
		setenv("PORTAUDIT_READER", reader, 1);
	else
		unsetenv("PORTAUDIT_READER");
	if (stdin_file) {
		char cmd[4096];
		if (stdin_redirect) /* a regular file: mapped */
			snprintf(cmd, sizeof cmd, "'%s' -q -r - --json '%s' < '%s'",
			         bin, report, stdin_file);
		else
			snprintf(cmd, sizeof cmd,
			         "cat '%s' | '%s' -q -r - --json '%s'", stdin_file,
			         bin, report);
		const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
		pa_exec(&o->r, NULL, argv);
	} else {
		const char *argv[2 * BATCH + 8];
		unsigned a = 0;
		argv[a++] = bin;
		argv[a++] = "-q";
		for (unsigned i = 0; i < n; i++) {
			argv[a++] = "-r";
			argv[a++] = batch[i];
		}
		argv[a++] = "--json";
		argv[a++] = report;
		argv[a] = NULL;
		pa_exec(&o->r, NULL, argv);
	}
	unsetenv("PORTAUDIT_READER");
	o->json = NULL;
	FILE *f = fopen(report, "r");
	if (f) {
		fclose(f);
		o->json = pa_load_json(report);
		json_object_del(o->json, "command_line");
		json_object_del(o->json, "generated");
	}
}

static void outcome_free(struct outcome *o)
{
	pa_result_free(&o->r);
	json_decref(o->json);
}

/* Does our reader (`reader`: NULL or "read") agree with libpcap's, in
 * `b`? Prints what differs. */
static bool same_outcome(const struct outcome *a, const struct outcome *b,
                         const char *reader, const char *what)
{
	const char *ours = reader ? "our reader (read)" : "our reader";
	bool ok = true;
	if (a->r.status != b->r.status) {
		fprintf(stderr, "%s: exit %d with %s, %d with libpcap's\n",
		        what, a->r.status, ours, b->r.status);
		ok = false;
	}
	if (strcmp(a->r.err, b->r.err) != 0) {
		fprintf(stderr, "%s: standard error differs:\n--- %s\n%s"
		        "--- libpcap\n%s", what, ours, a->r.err, b->r.err);
		ok = false;
	}
	if (!a->json != !b->json || (a->json && !json_equal(a->json, b->json))) {
		char *x = a->json ? json_dumps(a->json, JSON_INDENT(2)) : NULL;
		char *y = b->json ? json_dumps(b->json, JSON_INDENT(2)) : NULL;
		if (x)
			pa_write_file(pa_tmp("ours.json"), x);
		if (y)
			pa_write_file(pa_tmp("libpcap.json"), y);
		fprintf(stderr, "%s: the reports differ, %s (%s)\n", what,
		        ours, pa_tmp("ours.json"));
		free(x);
		free(y);
		ok = false;
	}
	return ok;
}

/* Do the readers agree: ours on a mapped file and read in blocks, and
 * libpcap's? Standard input: from a pipe, and redirected from the file
 * (mapped). */
static bool agree(char **batch, unsigned n, const char *stdin_file)
{
	struct outcome a, b, c;
	const char *what = stdin_file ? stdin_file : batch[0];
	run(&a, NULL, batch, n, stdin_file);
	run(&b, "libpcap", batch, n, stdin_file);
	bool ok = same_outcome(&a, &b, NULL, what);
	if (!stdin_file) {
		run(&c, "read", batch, n, NULL);
		ok = same_outcome(&c, &b, "read", what) && ok;
	} else {
		stdin_redirect = true;
		run(&c, NULL, batch, n, stdin_file);
		stdin_redirect = false;
		ok = same_outcome(&c, &b, NULL, what) && ok;
	}
	outcome_free(&c);
	outcome_free(&a);
	outcome_free(&b);
	return ok;
}

/* A batch, less the files portaudit refuses to open (exit 2 naming one:
 * both readers refuse it alike, and the rest must still be read). */
static unsigned check_batch(char **batch, unsigned n, unsigned *refused)
{
	for (;;) {
		if (n == 0)
			return 0;
		struct outcome a;
		run(&a, NULL, batch, n, NULL);
		unsigned bad = n;
		if (a.r.status == 2) {
			for (unsigned i = 0; i < n && bad == n; i++) {
				char want[1200];
				snprintf(want, sizeof want, "portaudit: %s: ",
				         batch[i]);
				if (strstr(a.r.err, want) && !a.json)
					bad = i;
			}
		}
		outcome_free(&a);
		if (bad == n)
			break;
		(*refused)++;
		char *t = batch[bad];
		batch[bad] = batch[n - 1];
		batch[n - 1] = t;
		n--;
	}
	if (agree(batch, n, NULL))
		return 0;
	unsigned differ = 0;
	for (unsigned i = 0; i < n; i++)
		if (!agree(batch + i, 1, NULL)) {
			fprintf(stderr, "FAIL: %s\n", batch[i]);
			differ++;
		}
	return differ ? differ : 1;
}

static void test_pcaps(void **state)
{
	(void)state;
	if (!getenv("PORTAUDIT"))
		pa_skip("PORTAUDIT not set");
	unsigned n = collect("pcaps", ".pcap", false);
	assert_true(n >= 20);
	unsigned bad = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!agree(files + i, 1, NULL)) {
			fprintf(stderr, "FAIL: %s\n", files[i]);
			bad++;
		}
		if (!agree(NULL, 0, files[i])) {
			fprintf(stderr, "FAIL: %s from standard input\n", files[i]);
			bad++;
		}
	}
	/* all of them in a row, into one flow table */
	unsigned refused = 0;
	for (unsigned i = 0; i < n; i += BATCH)
		bad += check_batch(files + i, n - i < BATCH ? n - i : BATCH,
		                   &refused);
	printf("pcaps: %u captures, %u differ\n", n, bad);
	free_files();
	assert_int_equal(bad, 0);
	assert_int_equal(refused, 0);
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static uint32_t get32(const unsigned char *b, bool swapped)
{
	uint32_t v;
	memcpy(&v, b, 4);
	return swapped ? __builtin_bswap32(v) : v;
}

static void put32(unsigned char *b, uint32_t v, bool swapped)
{
	v = swapped ? __builtin_bswap32(v) : v;
	memcpy(b, &v, 4);
}

/* The captures of pcaps/ damaged: cut inside the first record's header,
 * inside its data, in the middle of the file, one and ten bytes short; a
 * record's caplen above libpcap's maximum; the file's snaplen lowered to
 * 60 (longer records cut to it). Each then read before an intact capture
 * (several -r in a row: the next file is read all the same). */
static void test_damaged(void **state)
{
	(void)state;
	if (!getenv("PORTAUDIT"))
		pa_skip("PORTAUDIT not set");
	unsigned n = collect("pcaps", ".pcap", true);
	assert_true(n >= 20);
	char *made[MAXFILES];
	unsigned from[MAXFILES]; /* the capture each was made from */
	unsigned nmade = 0;
	for (unsigned i = 0; i < n; i++) {
		size_t len;
		char *text = pa_read_file(files[i], &len);
		assert_non_null(text);
		unsigned char *b = (unsigned char *)text;
		assert_true(len > 24 + 16);
		bool sw = get32(b, false) != 0xa1b2c3d4u &&
		          get32(b, false) != 0xa1b23c4du;
		const size_t cuts[] = { 24 + 9, 24 + 16 + 5, len / 2, len - 1,
		                        len - 10 };
		for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
			char name[64];
			snprintf(name, sizeof name, "cut-%u-%zu.pcap", i, c);
			const char *path = pa_tmp(name);
			write_bytes(path, b, cuts[c]);
			from[nmade] = i;
			made[nmade++] = strdup(path);
		}
		/* the third record's caplen too large */
		size_t off = 24;
		for (int r = 0; r < 2 && off + 16 <= len; r++)
			off += 16 + get32(b + off + 8, sw);
		if (off + 16 <= len) {
			unsigned char *c = malloc(len);
			assert_non_null(c);
			memcpy(c, b, len);
			put32(c + off + 8, 300000, sw);
			char name[64];
			snprintf(name, sizeof name, "overmax-%u.pcap", i);
			write_bytes(pa_tmp(name), c, len);
			from[nmade] = i;
			made[nmade++] = strdup(pa_tmp(name));
			memcpy(c, b, len);
			put32(c + 16, 60, sw);
			snprintf(name, sizeof name, "snap60-%u.pcap", i);
			write_bytes(pa_tmp(name), c, len);
			from[nmade] = i;
			made[nmade++] = strdup(pa_tmp(name));
			free(c);
		}
		free(text);
	}
	/* Under valgrind (make valgrind) the damaged copies of every eighth
	 * capture only, each kind of damage on each: all 194 (each read by
	 * every reader, alone and before an intact capture) were not done
	 * after eight minutes of it. */
	const char *variant = getenv("PA_VARIANT");
	unsigned step = variant && strcmp(variant, "valgrind") == 0 ? 8 : 1;
	/* Under the sanitizers (where a run costs six times as much: the
	 * 1,164 runs below took 4 minutes) the damaged copies are read
	 * BATCH - 1 in a row before an intact capture, each so read after
	 * another damaged one, as check_batch() reads the corpus: a file
	 * refused is taken out of its batch (so a batch cannot pass by being
	 * refused whole), a batch whose readers disagree is read file by
	 * file, naming the file. */
	bool batched = variant && strcmp(variant, "san") == 0;
	unsigned bad = 0, checked = 0, refused = 0;
	for (unsigned i = 0; batched && i < nmade; i += BATCH - 1) {
		char *row[BATCH];
		unsigned k = 0;
		for (unsigned j = i; j < nmade && k < BATCH - 1; j++)
			row[k++] = made[j];
		row[k] = files[i % n];
		bad += check_batch(row, k + 1, &refused);
		checked += k;
	}
	for (unsigned i = 0; !batched && i < nmade; i++) {
		if (from[i] % step != 0)
			continue;
		checked++;
		/* alone, then before an intact capture */
		char *two[2] = { made[i], files[i % n] };
		if (!agree(made + i, 1, NULL) || !agree(two, 2, NULL)) {
			fprintf(stderr, "FAIL: %s\n", made[i]);
			bad++;
		}
	}
	printf("damaged: %u files (%u checked%s, %u refused), %u differ\n",
	       nmade, checked, batched ? " in batches" : "", refused, bad);
	for (unsigned i = 0; i < nmade; i++)
		free(made[i]);
	free_files();
	assert_int_equal(bad, 0);
}

static void test_corpus(void **state)
{
	(void)state;
	if (!getenv("PORTAUDIT"))
		pa_skip("PORTAUDIT not set");
	collect("../shared/corpus/tcpdump", NULL, true);
	collect("../shared/corpus/libpcap", NULL, true);
	if (nfiles == 0)
		pa_skip("no shared corpus (../shared/corpus/{tcpdump,libpcap})");
	unsigned bad = 0, refused = 0;
	for (unsigned i = 0; i < nfiles; i += BATCH)
		bad += check_batch(files + i, nfiles - i < BATCH ? nfiles - i
		                                               : BATCH, &refused);
	printf("corpus: %u classic pcap files, %u refused by both, %u "
	       "differ\n", nfiles, refused, bad);
	free_files();
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcaps),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
