/*
 * io.c -- opening, writing and publishing report files.
 *
 * Design. A report is never seen half written. rep_open() on a regular path
 * creates "NAME.XXXXXX" in the same directory with mkstemp() (same file
 * system, so the final rename(2) is atomic) and gives it the mode a plain
 * fopen() would have (0666 & ~umask). Writers print through rep_printf() and
 * friends, which remember the first error. rep_close() flushes, fsyncs,
 * closes and renames into place; on any error it removes the temporary file
 * and reports "NAME: what failed: why". rep_abort() removes it silently.
 * "-" is standard output (never closed). A path that exists and is not a
 * regular file (/dev/null, /dev/full, a FIFO) is opened and written
 * directly: renaming over a device would be wrong, and there is nothing to
 * half-write. A stream (JSON lines) is a log, not a report: it is opened
 * under its final name and line-buffered, so every line is complete when
 * it reaches the file and `tail -f` follows the capture (one write(2) a
 * flow); rep_abort() removes it only if nothing was written; after a
 * SIGHUP (rep_request_reopen) it is reopened under its name before its
 * next line, so logrotate can move it away as with Suricata's eve.json.
 * Colour is
 * decided here once: the text writer on a terminal (catalog/term.c).
 *
 * Before a capture that drops root (-Z), rep_check_user() asks a child
 * that has taken the user's identity whether it could publish each
 * output: write and search its directory, and replace the final name
 * there (a sticky directory, like /tmp, lets only the owner of a file
 * replace it), so a bad path fails before minutes of capture.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rep_int.h"

/* SIGHUP: streams reopen their file before their next line (rotation). */
static atomic_uint reopen_gen;

void rep_request_reopen(void)
{
	atomic_fetch_add_explicit(&reopen_gen, 1, memory_order_relaxed);
}

/* A stream that cannot be written (a full disk, its directory gone) says
 * so when it happens, not only at the end, and writes nothing until a
 * SIGHUP opens it again; the lines in between are lost, and the run's
 * status at the end says so (rep_close). A report fails as before. */
static void write_failed(struct rep_out *o, int err)
{
	bool first = !o->failed;
	rep_fail(o, err);
	if (!o->streamed || !first)
		return;
	o->lost = true;
	fprintf(stderr, "portaudit: %s: write error: %s; its lines are lost "
	        "until a SIGHUP opens it again\n", o->path, strerror(err));
}

void rep_stream_check(struct rep_out *o)
{
	if (!o->streamed)
		return;
	unsigned g = atomic_load_explicit(&reopen_gen, memory_order_relaxed);
	if (g == o->gen)
		return;
	o->gen = g;
	/* The rotated file keeps what was written; the name starts anew
	 * (a stream that failed tries again: the disk may have room now). */
	if (o->fp && fclose(o->fp) != 0)
		write_failed(o, errno);
	o->fp = fopen(o->path, "a");
	if (!o->fp) {
		int e = errno;
		o->failed = false; /* say this failure too */
		write_failed(o, e);
		o->fp = fopen("/dev/null", "w"); /* keep a stream to close */
		return;
	}
	setvbuf(o->fp, NULL, _IOLBF, 0);
	o->failed = false;
}

void rep_write(struct rep_out *o, const char *s, size_t n)
{
	if (o->failed || n == 0)
		return;
	/* Line-buffered, a line's write(2) happens inside fwrite: its
	 * error (ENOSPC) is errno now, and only ferror may show it. */
	errno = 0;
	if (fwrite(s, 1, n, o->fp) != n || ferror(o->fp))
		write_failed(o, errno ? errno : EIO);
}

void rep_puts(struct rep_out *o, const char *s)
{
	rep_write(o, s, strlen(s));
}

void rep_printf(struct rep_out *o, const char *fmt, ...)
{
	if (o->failed)
		return;
	va_list ap;
	va_start(ap, fmt);
	errno = 0;
	if (vfprintf(o->fp, fmt, ap) < 0 || ferror(o->fp))
		write_failed(o, errno ? errno : EIO);
	va_end(ap);
}

void rep_fail(struct rep_out *o, int err)
{
	if (!o->failed) {
		o->failed = true;
		o->err = err;
	}
}

int rep_done(struct rep_out *o)
{
	if (!o->failed && !ferror(o->fp))
		return 0;
	int e = o->err ? o->err : EIO;
	fprintf(stderr, "portaudit: %s: %s: %s\n",
	        o->path ? o->path : "standard output",
	        e == ENOMEM ? "cannot build the report" : "write error",
	        strerror(e));
	o->failed = true;
	return -1;
}

/* The temporary names that exist now, for rep_unlink_temps() from a
 * signal handler: a fixed table of atomic pointers, filled when mkstemp()
 * creates a file and emptied before the name is freed (out_free), so the
 * handler never sees a freed name. */
#define TEMPS_MAX 64
static _Atomic(char *) temps[TEMPS_MAX];

static void temp_add(char *t)
{
	for (unsigned i = 0; i < TEMPS_MAX; i++) {
		char *none = NULL;
		if (atomic_compare_exchange_strong(&temps[i], &none, t))
			return;
	}
	/* More outputs than the table: that one is not removed by a second
	 * signal (a plain exit path still removes it). */
}

static void temp_del(const char *t)
{
	for (unsigned i = 0; t && i < TEMPS_MAX; i++)
		if (atomic_load(&temps[i]) == t)
			atomic_store(&temps[i], NULL);
}

void rep_unlink_temps(void)
{
	for (unsigned i = 0; i < TEMPS_MAX; i++) {
		char *t = atomic_load(&temps[i]);
		if (t)
			(void)unlink(t);
	}
}

static void out_free(struct rep_out *o)
{
	temp_del(o->tmp);
	free(o->path);
	free(o->tmp);
	if (o->w && o->w->release)
		o->w->release(o);
	else
		free(o->state);
	free(o);
}

struct rep_out *rep_open_stderr(const struct rep_writer *w)
{
	struct rep_out *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->w = w;
	o->fp = stderr;
	o->color = w == &rep_text && cat_term_color(STDERR_FILENO);
	return o;
}

/* "dir/name" with dir resolved (symbolic links, ".."), for comparing. */
static bool canonical(const char *path, char *out, size_t len)
{
	char dir[PATH_MAX], res[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (slash) {
		size_t n = (size_t)(slash - path);
		if (n >= sizeof dir)
			return false;
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (!n)
			snprintf(dir, sizeof dir, "/");
	} else {
		snprintf(dir, sizeof dir, ".");
	}
	if (!realpath(dir, res))
		return false;
	int n = snprintf(out, len, "%s/%s", res, base);
	return n > 0 && (size_t)n < len;
}

bool rep_same_path(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	if (strcmp(a, "-") == 0 || strcmp(b, "-") == 0)
		return false;
	struct stat sa, sb;
	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	char ca[PATH_MAX + 256], cb[PATH_MAX + 256];
	return canonical(a, ca, sizeof ca) && canonical(b, cb, sizeof cb) &&
	       strcmp(ca, cb) == 0;
}

int rep_check_outputs(const char *const *path, const char *const *opt,
                      unsigned n, bool *to_stdout, char *errbuf,
                      size_t errlen)
{
	*to_stdout = false;
	for (unsigned i = 0; i < n; i++) {
		if (!path[i])
			continue;
		*to_stdout |= strcmp(path[i], "-") == 0;
		for (unsigned j = i + 1; j < n; j++) {
			if (!path[j] || !rep_same_path(path[i], path[j]))
				continue;
			snprintf(errbuf, errlen, "%s and %s both write to %s: "
			         "give each its own file", opt[i], opt[j],
			         strcmp(path[i], "-") == 0 ? "standard output"
			                                   : path[j]);
			return -1;
		}
	}
	return 0;
}

int rep_check_user(const struct rep_out *o, const char *user, unsigned uid,
                   unsigned gid, char *errbuf, size_t errlen)
{
	if (!o->path || (!o->tmp && !o->streamed))
		return 0; /* standard output, or a device opened as root */
	char dir[PATH_MAX];
	const char *slash = strrchr(o->path, '/');
	if (slash) {
		size_t n = (size_t)(slash - o->path);
		snprintf(dir, sizeof dir, "%.*s", (int)(n ? n : 1), o->path);
	} else {
		snprintf(dir, sizeof dir, ".");
	}
	int pfd[2];
	if (pipe(pfd) != 0) {
		snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(errbuf, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		char msg[512] = "";
		close(pfd[0]);
		struct stat d, f;
		if (initgroups(user, (gid_t)gid) != 0 || setgid((gid_t)gid) != 0 ||
		    setuid((uid_t)uid) != 0)
			snprintf(msg, sizeof msg, "cannot become user '%s': %s",
			         user, strerror(errno));
		else if (access(dir, W_OK | X_OK) != 0)
			snprintf(msg, sizeof msg, "user '%s', who parses the "
			         "packets (-Z), cannot write in "
			         "%.200s: %s", user, dir, strerror(errno));
		else if (!o->streamed && stat(dir, &d) == 0 &&
		         (d.st_mode & S_ISVTX) && stat(o->path, &f) == 0 &&
		         f.st_uid != (uid_t)uid && d.st_uid != (uid_t)uid)
			snprintf(msg, sizeof msg, "user '%s' (-Z) cannot replace "
			         "it: %.200s is sticky and the file belongs to uid %u",
			         user, dir, (unsigned)f.st_uid);
		size_t n = strlen(msg);
		ssize_t wr = write(pfd[1], msg, n);
		(void)wr;
		_exit(n ? 1 : 0);
	}
	close(pfd[1]);
	char msg[512];
	ssize_t n = read(pfd[0], msg, sizeof msg - 1);
	close(pfd[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	msg[n > 0 ? n : 0] = '\0';
	snprintf(errbuf, errlen, "%s: %s", o->path,
	         msg[0] ? msg : "cannot check it as the -Z user");
	return -1;
}

struct rep_out *rep_open(const struct rep_writer *w, const char *path,
                         char *errbuf, size_t errlen)
{
	if (!path || !*path) {
		snprintf(errbuf, errlen, "%s report: empty file name", w->name);
		return NULL;
	}
	struct rep_out *o = calloc(1, sizeof *o);
	if (!o) {
		snprintf(errbuf, errlen, "out of memory");
		return NULL;
	}
	o->w = w;
	if (strcmp(path, "-") == 0) {
		o->fp = stdout;
		o->color = w == &rep_text && cat_term_color(STDOUT_FILENO);
		return o;
	}
	o->path = strdup(path);
	if (!o->path)
		goto oom;
	struct stat sb;
	bool exists = stat(path, &sb) == 0;
	if (exists && S_ISDIR(sb.st_mode)) {
		snprintf(errbuf, errlen, "%s: is a directory", path);
		out_free(o);
		return NULL;
	}
	if (w->stream || (exists && !S_ISREG(sb.st_mode))) {
		/* A stream under its final name, a line at a time; a device
		 * or FIFO as it is. */
		o->fp = fopen(path, "w");
		if (!o->fp) {
			snprintf(errbuf, errlen, "%s: cannot open: %s", path,
			         strerror(errno));
			out_free(o);
			return NULL;
		}
		if (w->stream && (!exists || S_ISREG(sb.st_mode))) {
			setvbuf(o->fp, NULL, _IOLBF, 0);
			o->streamed = true;
			o->gen = atomic_load_explicit(&reopen_gen,
			                              memory_order_relaxed);
		}
		return o;
	}
	size_t n = strlen(path) + 8;
	o->tmp = malloc(n);
	if (!o->tmp)
		goto oom;
	snprintf(o->tmp, n, "%s.XXXXXX", path);
	int fd = mkstemp(o->tmp);
	if (fd < 0) {
		snprintf(errbuf, errlen, "%s: cannot create a temporary file "
		         "next to it: %s", path, strerror(errno));
		free(o->tmp);
		o->tmp = NULL;
		out_free(o);
		return NULL;
	}
	temp_add(o->tmp);
	mode_t um = umask(0);
	umask(um);
	(void)fchmod(fd, (mode_t)(0666 & ~um));
	o->fp = fdopen(fd, "w");
	if (!o->fp) {
		int e = errno;
		close(fd);
		unlink(o->tmp);
		snprintf(errbuf, errlen, "%s: %s", path, strerror(e));
		out_free(o);
		return NULL;
	}
	return o;
oom:
	snprintf(errbuf, errlen, "out of memory");
	out_free(o);
	return NULL;
}

int rep_close(struct rep_out *o, char *errbuf, size_t errlen)
{
	if (!o)
		return 0;
	const char *name = o->path ? o->path :
	                   o->fp == stderr ? "standard error" : "standard output";
	int rc = 0;
	int e = o->err;
	if (o->fp == stdout || o->fp == stderr) {
		if (fflush(o->fp) != 0 || ferror(o->fp) || o->failed) {
			e = e ? e : errno;
			rc = -1;
		}
	} else {
		if (fflush(o->fp) != 0 || ferror(o->fp) || o->failed ||
		    o->lost) {
			e = e ? e : errno;
			rc = -1;
		}
		if (rc == 0 && o->tmp && fsync(fileno(o->fp)) != 0) {
			e = errno;
			rc = -1;
		}
		if (fclose(o->fp) != 0 && rc == 0) {
			e = errno;
			rc = -1;
		}
		o->fp = NULL;
		if (rc == 0 && o->tmp && rename(o->tmp, o->path) != 0) {
			snprintf(errbuf, errlen, "%s: cannot rename %s into place: %s",
			         o->path, o->tmp, strerror(errno));
			unlink(o->tmp);
			out_free(o);
			return -1;
		}
		if (rc != 0 && o->tmp)
			unlink(o->tmp);
	}
	if (rc != 0)
		snprintf(errbuf, errlen, "%s: write error: %s", name,
		         e ? strerror(e) : "I/O error");
	out_free(o);
	return rc;
}

void rep_abort(struct rep_out *o)
{
	if (!o)
		return;
	bool empty = false;
	if (o->fp && o->fp != stdout && o->fp != stderr) {
		empty = o->streamed && ftell(o->fp) == 0;
		fclose(o->fp);
	} else if (o->fp) {
		fflush(o->fp);
	}
	if (o->tmp)
		unlink(o->tmp);
	if (empty && o->path)
		unlink(o->path); /* a stream that never got a line */
	out_free(o);
}
