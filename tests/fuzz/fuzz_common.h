/*
 * fuzz_common.h -- what the packet-path fuzz targets (fuzz_packets.c,
 * fuzz_pcap.c) share, and fuzz_zeek.c and fuzz_report.c the first of it:
 * a private directory on a memory file system for the inputs and the
 * reports they write, the built-in catalog applied once, the "every address
 * is a server" server list, and the checks on what the writers produced (a
 * JSON report that parses, whose summary says the verdict classify decided;
 * JSON lines that each parse). A check that fails traps, so that libFuzzer keeps the input.
 * Everything is static (inline: a target need not use all of it).
 */
#ifndef PORTAUDIT_FUZZ_COMMON_H
#define PORTAUDIT_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "capture/capture.h"
#include "catalog/catalog.h"
#include "classify/classify.h"
#include "reports/reports.h"

/* Reports are renamed into place and fsync'ed (reports/io.c): on a memory
 * file system that costs nothing. $FUZZ_TMPDIR, else /dev/shm, else /tmp. */
static char fz_dir[256];

static inline void fz_dir_remove(void)
{
	if (fz_dir[0])
		(void)rmdir(fz_dir);
}

static inline const char *fz_tmpdir(void)
{
	if (fz_dir[0])
		return fz_dir;
	const char *base = getenv("FUZZ_TMPDIR");
	if (!base || !*base)
		base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(fz_dir, sizeof fz_dir, "%s/portaudit-fuzz-XXXXXX", base);
	if (!mkdtemp(fz_dir)) {
		perror(fz_dir);
		abort();
	}
	atexit(fz_dir_remove);
	return fz_dir;
}

/* dir/name into buf; aborts if it does not fit (it always does). */
static inline void fz_path(char *buf, size_t len, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", fz_tmpdir(), name);
	if (n < 0 || (size_t)n >= len)
		abort();
}

/* The input as a file (the targets whose reader takes a path: fuzz_zeek,
 * fuzz_report), rewritten for each input, removed at exit. */
static char fz_input[300];

static inline void fz_input_remove(void)
{
	(void)unlink(fz_input);
}

static inline const char *fz_input_file(const uint8_t *data, size_t size)
{
	if (!fz_input[0]) {
		fz_path(fz_input, sizeof fz_input, "input");
		atexit(fz_input_remove); /* before the directory's (LIFO) */
	}
	FILE *f = fopen(fz_input, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	return fz_input;
}

/* The built-in catalog loaded and applied (no profile) into c, m, pm:
 * whole (keep NULL), or cut to the base and common ports and the products
 * keep names (NULL-terminated). A target whose report lists every service
 * spends most of its time writing and re-reading the 115 services that no
 * packet touched, and a few products already hold every kind of service
 * (a range, a control port and its dynamic range, one-way pushes, UDP and
 * TCP). */
static inline void fz_model_load(struct catalog *c, struct cat_model *m,
                                 struct cap_portmap *pm,
                                 const char *const *keep)
{
	struct cat_error err;
	if (cat_load_file(c, NULL, &err) != 0) {
		fprintf(stderr, "fuzz: built-in catalog: %s\n", err.msg);
		abort();
	}
	uint32_t n = 0;
	for (uint32_t i = 0; keep && i < c->nservices; i++) {
		const struct cat_product *p = &c->products[c->loaded[i].product];
		bool kept = p->always;
		for (const char *const *k = keep; *k && !kept; k++)
			kept = strcmp(p->id, *k) == 0;
		if (kept) { /* swapped, not overwritten: the strings of the
		             * services cut stay reachable (no leak report) */
			struct cat_service t = c->loaded[n];
			c->loaded[n++] = c->loaded[i];
			c->loaded[i] = t;
		}
	}
	if (keep)
		c->nservices = n;
	if (cat_apply(m, c, NULL, 0, &err) != 0) {
		fprintf(stderr, "fuzz: built-in catalog: %s\n", err.msg);
		abort();
	}
	cls_portmap(m, pm);
}

/* The whole built-in catalog, applied once. */
static struct catalog fz_cat;
static struct cat_model fz_model;
static struct cap_portmap fz_pm;

static inline const struct cat_model *fz_builtin_model(void)
{
	static bool ready;
	if (!ready)
		fz_model_load(&fz_cat, &fz_model, &fz_pm, NULL);
	ready = true;
	return &fz_model;
}

/* The products the cut catalog keeps beside the base and common ports
 * (fuzz_pcap, and fuzz_packets unless its input asks for the whole). */
static const char *const fz_small_products[] = { "avaya-cm",
                                                 "audiocodes-sbc", NULL };

/* The catalog cut to them (fz_model_load), applied once. */
static struct catalog fz_small_cat;
static struct cat_model fz_small;
static struct cap_portmap fz_small_pm;

static inline const struct cat_model *fz_small_model(void)
{
	static bool ready;
	if (!ready)
		fz_model_load(&fz_small_cat, &fz_small, &fz_small_pm,
		              fz_small_products);
	ready = true;
	return &fz_small;
}

/* Every IPv4 and every IPv6 address is a server (0.0.0.0/0, ::/0), so
 * that every flow is judged, whatever addresses the input holds. */
static inline uint32_t fz_all_servers(struct cls_server *s)
{
	memset(s, 0, 2 * sizeof *s);
	s[0].family = 4;
	s[1].family = 6;
	snprintf(s[0].how, sizeof s[0].how, "--server");
	snprintf(s[1].how, sizeof s[1].how, "--server");
	return 2;
}

/* The JSON report must parse, be an object, and carry the summary whose
 * verdict classify decided. */
static inline void fz_check_json(const char *path, const struct cls_result *res)
{
	/* Read whole, then parsed: json_load_file reads a byte at a time. */
	FILE *f = fopen(path, "rb");
	if (!f)
		__builtin_trap(); /* rep_close published it */
	size_t cap = 1 << 16, len = 0, n;
	char *buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf)
		abort();
	json_error_t jerr;
	json_t *root = json_loadb(buf, len, 0, &jerr);
	free(buf);
	if (!root) {
		fprintf(stderr, "fuzz: %s: not JSON: %s (line %d)\n", path,
		        jerr.text, jerr.line);
		__builtin_trap();
	}
	json_t *sum = json_object_get(root, "summary");
	const char *v = json_string_value(json_object_get(sum, "verdict"));
	if (!v || strcmp(v, cls_overall_name(res->summary.verdict)) != 0) {
		fprintf(stderr, "fuzz: %s: summary.verdict is %s, classify "
		        "decided %s\n", path, v ? v : "(none)",
		        cls_overall_name(res->summary.verdict));
		__builtin_trap();
	}
	json_decref(root);
}

/* Every line of a JSON-lines file is one JSON object. */
static inline void fz_check_jsonl(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		__builtin_trap(); /* rep_close published it */
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned no = 0;
	while ((n = getline(&line, &cap, f)) > 0) {
		no++;
		json_error_t jerr;
		json_t *o = json_loadb(line, (size_t)n, 0, &jerr);
		if (!o || !json_is_object(o)) {
			fprintf(stderr, "fuzz: %s:%u: not a JSON object: %s\n",
			        path, no, o ? "other JSON" : jerr.text);
			__builtin_trap();
		}
		json_decref(o);
	}
	free(line);
	fclose(f);
}

#endif
