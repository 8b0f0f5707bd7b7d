/*
 * reports.h -- what classify decided, written for people and machines.
 *
 * Design. One file per format (text.c, json.c, csv.c, jsonl.c, html.c), each
 * a struct rep_writer of function pointers, as masscan's out-*.c. A writer
 * is opened on a path ("-" = stdout; files go to a temporary name in the same
 * directory and are renamed into place by rep_close, so a crash never leaves
 * half a report), may receive every classified flow while the capture runs
 * (flow), and writes the whole report at the end (report). Writers print
 * what classify decided; they never re-derive a verdict.
 */
#ifndef PORTAUDIT_REPORTS_H
#define PORTAUDIT_REPORTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../capture/capture.h"
#include "../catalog/catalog.h"
#include "../classify/classify.h"

#define PORTAUDIT_VERSION "0.1.0"
#define REP_FORMAT_VERSION 1

/* --interval: which interval a report covers (wall clock, UTC). */
struct rep_interval {
	unsigned seq;              /* 1, 2, ... in the run */
	uint32_t seconds;          /* --interval */
	uint64_t start_ns, end_ns; /* its bounds */
	bool final;                /* the capture's last (ended early) */
};

/* Everything a report needs, read-only. */
struct rep_input {
	const struct cat_model *model;
	const struct cap_stats *cap;
	const struct cap_options *capopt;
	const struct cls_result *res;
	const char *command_line; /* argv joined, for reproducibility */
	bool all_services;        /* --all: text shows every catalog row */
	unsigned evidence_packets;/* --evidence-packets: per flagged flow */
	const char *const *merged_from; /* portaudit merge: the reports read */
	unsigned nmerged;
	const char *const *covers; /* merge: the base report ids (sorted) */
	unsigned ncovers;
	const struct rep_interval *interval; /* --interval, else NULL */
};

struct rep_out;

struct rep_writer {
	const char *name; /* "text", "json", "csv", "jsonl", "html" */
	/* Optional: one classified flow, during the capture. */
	void (*flow)(struct rep_out *o, const struct rep_input *in,
	             const struct cls_flow *cf);
	/* The report, once, at the end. Returns 0, or -1 after saying why on
	 * stderr (an I/O error naming the file): the caller then aborts. */
	int (*report)(struct rep_out *o, const struct rep_input *in);
	/* Optional: release o->state (rep_close/rep_abort; default free()). */
	void (*release)(struct rep_out *o);
	/* A stream (JSON lines): written to its final name as flows end,
	 * line by line, so `tail -f` follows it; not a whole report behind a
	 * temporary name. */
	bool stream;
};

struct rep_out {
	const struct rep_writer *w;
	FILE *fp;
	char *path;      /* final name, or NULL for stdout */
	char *tmp;       /* temporary name */
	bool color;      /* text on a terminal without NO_COLOR */
	bool failed;     /* a write error happened */
	bool streamed;   /* a stream written under its final name */
	bool lost;       /* a stream lost lines (kept across reopens: the
	                  * run's status says so at the end) */
	unsigned gen;    /* the reopen generation it was opened in */
	void *state;     /* the writer's own (free()d by rep_close/rep_abort) */
	int err;         /* errno of the first write error */
};

extern const struct rep_writer rep_text, rep_json, rep_csv, rep_jsonl,
	rep_html, rep_flows_csv;
/* --evidence FILE.pcap: the packets of flagged flows (reports/evidence.c). */
extern const struct rep_writer rep_evidence;

/* Open a writer on `path` ("-" = stdout). Returns NULL with errbuf set. */
struct rep_out *rep_open(const struct rep_writer *w, const char *path,
                         char *errbuf, size_t errlen);
/* The same writer on standard error (the terminal summary when a report
 * goes to standard output). */
struct rep_out *rep_open_stderr(const struct rep_writer *w);
/* Do two output paths name the same file ("-" names standard output)? */
bool rep_same_path(const char *a, const char *b);
/* Outputs never collide: of the n outputs (path[i] NULL when not asked
 * for, opt[i] the option that names it), two may not write to one file or
 * both to standard output. 0, *to_stdout set when one writes there; or -1
 * with errbuf set ("--json and --csv both write to ..."). */
int rep_check_outputs(const char *const *path, const char *const *opt,
                      unsigned n, bool *to_stdout, char *errbuf,
                      size_t errlen);
/* Can user uid/gid (-Z) publish an output of o: write its temporary file
 * or stream, and rename it into place? Checked before the capture, in a
 * child that takes the user's identity. 0, or -1 with errbuf set. */
int rep_check_user(const struct rep_out *o, const char *user, unsigned uid,
                   unsigned gid, char *errbuf, size_t errlen);
/* Finish: flush, fsync, rename into place. Returns 0 or -1 with errbuf. */
int rep_close(struct rep_out *o, char *errbuf, size_t errlen);
/* Remove the temporary file without publishing it. */
void rep_abort(struct rep_out *o);
/* Remove every temporary file of the outputs still open, nothing else
 * (async-signal-safe: unlink(2) only): for a signal that ends the
 * process at once (capture.h, cap_set_fatal_hook). */
void rep_unlink_temps(void);

/* --interval: the name of an output of the interval starting at
 * start_ns (interval.c: a %-pattern through strftime in UTC, else the
 * start inserted before the extension). Malloc'd; NULL if the pattern
 * expands to nothing or too long. */
char *rep_interval_name(const char *path, uint64_t start_ns,
                        uint32_t seconds);

/* SIGHUP: every stream (JSON lines) reopens its file before its next
 * line. Async-signal-safe (one atomic add). */
void rep_request_reopen(void);

/* Subcommands: `portaudit merge`, `portaudit diff`. */
int rep_cmd_merge(int argc, char **argv);
int rep_cmd_diff(int argc, char **argv);

#endif
