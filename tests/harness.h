/*
 * harness.h -- helpers for tests that run the real portaudit binary.
 *
 * The binary is $PORTAUDIT (tests/run.sh sets it to the variant's build),
 * paths in the source tree are resolved against $PA_SRCDIR, and the pcap
 * generator is $PCAPGEN. Every test is a cmocka program.
 */
#ifndef PORTAUDIT_TESTS_HARNESS_H
#define PORTAUDIT_TESTS_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>

struct pa_result {
	int status;   /* exit status, or 128+signal */
	char *out;    /* stdout, NUL-terminated */
	char *err;    /* stderr, NUL-terminated */
	size_t outlen, errlen;
	long maxrss_kib; /* the child's peak resident set (wait4's ru_maxrss) */
};

/* Run $PORTAUDIT with the NULL-terminated argument list (argv[0] is added).
 * `input` (may be NULL) is written to its standard input. */
void pa_run(struct pa_result *r, const char *input, const char *const *args);
/* Same, from a list of arguments ending with NULL. */
void pa_runl(struct pa_result *r, const char *arg, ...);
/* Run any program (argv[0] is the path). */
void pa_exec(struct pa_result *r, const char *input, const char *const *argv);
void pa_result_free(struct pa_result *r);

/* "$PA_SRCDIR/rel" in a static rotating buffer. */
const char *pa_src(const char *rel);
/* A fresh private directory for this test program (removed at exit). */
const char *pa_tmpdir(void);
/* "tmpdir/name" in a static rotating buffer. */
const char *pa_tmp(const char *name);
/* Write a file; fails the test on error. */
void pa_write_file(const char *path, const char *text);
/* Read a whole file (malloc'ed, NUL-terminated) or NULL. */
char *pa_read_file(const char *path, size_t *len);
/* Load a JSON file; fails the test on a parse error. */
/* Does one of the report's caveats contain `text`? */
int pa_has_caveat(const json_t *report, const char *text);
json_t *pa_load_json(const char *path);
/* Does `hay` contain `needle`? (prints both when not, to help debugging) */
int pa_contains(const char *hay, const char *needle);
/* Is `tool` on PATH? */
int pa_have(const char *tool);
/* The value of one line of /proc/PID/status ("Uid", "VmRSS", "SigCgt",
 * ...: what follows "KEY:" and its white space, without the newline) into
 * out; 0 when the process or the line is not there. */
int pa_proc_status(int pid, const char *key, char *out, size_t len);
/* Poll pa_proc_status every 20 ms until the field equals want (differs
 * from it when `differ`), at most timeout_ms: 1 when it did, 0 when the
 * time ran out or the process is gone. For a test that must wait until
 * the binary reached a point it shows there (privileges dropped once
 * the capture is open) instead of sleeping a fixed time. */
int pa_wait_proc_status(int pid, const char *key, const char *want,
                        int differ, int timeout_ms);
/* Start argv (argv[0] looked up in PATH) in the background, its standard
 * output and error into the file `out`; its pid. For a test that signals
 * or watches the process while it runs (pa_exec waits for it). */
int pa_spawn(const char *out, const char *const *argv);
/* Print "skip: why" so that tests/run.sh shows it, then cmocka skip(). */
#define pa_skip(why) do { printf("skip: %s\n", (why)); fflush(stdout); skip(); } while (0)

#endif
