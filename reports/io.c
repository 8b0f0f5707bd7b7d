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
 * half-write. Colour is decided here once: the text writer on standard
 * output, when it is a terminal and NO_COLOR is unset or empty.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rep_int.h"

void rep_write(struct rep_out *o, const char *s, size_t n)
{
	if (o->failed || n == 0)
		return;
	if (fwrite(s, 1, n, o->fp) != n) {
		o->failed = true;
		o->err = errno;
	}
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
	if (vfprintf(o->fp, fmt, ap) < 0) {
		o->failed = true;
		o->err = errno;
	}
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

static void out_free(struct rep_out *o)
{
	free(o->path);
	free(o->tmp);
	if (o->w && o->w->release)
		o->w->release(o);
	else
		free(o->state);
	free(o);
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
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		if (S_ISDIR(sb.st_mode)) {
			snprintf(errbuf, errlen, "%s: is a directory", path);
			out_free(o);
			return NULL;
		}
		o->fp = fopen(path, "w");
		if (!o->fp) {
			snprintf(errbuf, errlen, "%s: cannot open: %s", path,
			         strerror(errno));
			out_free(o);
			return NULL;
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
	const char *name = o->path ? o->path : "standard output";
	int rc = 0;
	int e = o->err;
	if (o->fp == stdout) {
		if (fflush(stdout) != 0 || ferror(stdout) || o->failed) {
			e = e ? e : errno;
			rc = -1;
		}
	} else {
		if (fflush(o->fp) != 0 || ferror(o->fp) || o->failed) {
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
	if (o->fp && o->fp != stdout)
		fclose(o->fp);
	else if (o->fp == stdout)
		fflush(stdout);
	if (o->tmp)
		unlink(o->tmp);
	out_free(o);
}
