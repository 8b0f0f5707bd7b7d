/* harness.c -- run the real binary and read what it wrote (see harness.h). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static void rm_tmpdir(void)
{
	if (tmpdir[0]) {
		char cmd[300];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: could not remove %s\n", tmpdir);
	}
}

const char *pa_tmpdir(void)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof tmpdir, "/tmp/portaudit-test.XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			abort();
		}
		atexit(rm_tmpdir);
	}
	return tmpdir;
}

static char *rotate(void)
{
	static char bufs[8][1024];
	static unsigned i;
	return bufs[i++ % 8];
}

const char *pa_tmp(const char *name)
{
	char *b = rotate();
	snprintf(b, 1024, "%s/%s", pa_tmpdir(), name);
	return b;
}

const char *pa_src(const char *rel)
{
	const char *d = getenv("PA_SRCDIR");
	char *b = rotate();
	snprintf(b, 1024, "%s/%s", d ? d : ".", rel);
	return b;
}

static void append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 4096;
		while (c < *len + n + 1)
			c *= 2;
		char *nb = realloc(*buf, c);
		if (!nb)
			abort();
		*buf = nb;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = 0;
}

void pa_exec(struct pa_result *r, const char *input, const char *const *argv)
{
	int in[2], out[2], err[2];
	memset(r, 0, sizeof *r);
	if (pipe(in) || pipe(out) || pipe(err))
		abort();
	pid_t pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		close(err[0]); close(err[1]);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	signal(SIGPIPE, SIG_IGN);
	size_t inlen = input ? strlen(input) : 0, inoff = 0;
	if (!input) {
		close(in[1]);
		in[1] = -1;
	}
	size_t ocap = 0, ecap = 0;
	append(&r->out, &r->outlen, &ocap, "", 0);
	append(&r->err, &r->errlen, &ecap, "", 0);
	int open_fds = 2;
	while (open_fds > 0 || in[1] >= 0) {
		struct pollfd p[3] = {
			{ out[0], POLLIN, 0 }, { err[0], POLLIN, 0 },
			{ in[1], POLLOUT, 0 },
		};
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			abort();
		}
		char buf[65536];
		for (int k = 0; k < 2; k++) {
			if (p[k].fd >= 0 && (p[k].revents & (POLLIN | POLLHUP | POLLERR))) {
				ssize_t n = read(p[k].fd, buf, sizeof buf);
				if (n <= 0) {
					close(p[k].fd);
					if (k == 0) out[0] = -1; else err[0] = -1;
					open_fds--;
				} else if (k == 0) {
					append(&r->out, &r->outlen, &ocap, buf, (size_t)n);
				} else {
					append(&r->err, &r->errlen, &ecap, buf, (size_t)n);
				}
			}
		}
		if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(in[1], input + inoff, inlen - inoff);
			if (n > 0)
				inoff += (size_t)n;
			if (n <= 0 || inoff == inlen) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	int st;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	r->maxrss_kib = ru.ru_maxrss;
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void pa_run(struct pa_result *r, const char *input, const char *const *args)
{
	const char *argv[128];
	const char *bin = getenv("PORTAUDIT");
	size_t n = 0;
	argv[n++] = bin ? bin : "./portaudit";
	for (size_t i = 0; args && args[i] && n < 127; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pa_exec(r, input, argv);
}

void pa_runl(struct pa_result *r, const char *arg, ...)
{
	const char *args[128];
	size_t n = 0;
	va_list ap;
	va_start(ap, arg);
	for (const char *a = arg; a && n < 127; a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	pa_run(r, NULL, args);
}

void pa_result_free(struct pa_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof *r);
}

void pa_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

char *pa_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t l = 0, cap = 0;
	char tmp[65536];
	size_t n;
	append(&buf, &l, &cap, "", 0);
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		append(&buf, &l, &cap, tmp, n);
	fclose(f);
	if (len)
		*len = l;
	return buf;
}

int pa_has_caveat(const json_t *report, const char *text)
{
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(report, "caveats"), i, c)
		if (json_is_string(c) && strstr(json_string_value(c), text))
			return 1;
	return 0;
}

json_t *pa_load_json(const char *path)
{
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		fail_msg("%s:%d:%d: %s", path, e.line, e.column, e.text);
	return j;
}

int pa_contains(const char *hay, const char *needle)
{
	if (hay && strstr(hay, needle))
		return 1;
	fprintf(stderr, "expected to find [%s] in:\n%s\n", needle, hay ? hay : "(null)");
	return 0;
}

int pa_have(const char *tool)
{
	const char *path = getenv("PATH");
	char buf[1024];
	if (!path)
		return 0;
	while (*path) {
		const char *c = strchr(path, ':');
		size_t n = c ? (size_t)(c - path) : strlen(path);
		snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, tool);
		if (access(buf, X_OK) == 0)
			return 1;
		path += n + (c ? 1 : 0);
	}
	return 0;
}

int pa_proc_status(int pid, const char *key, char *out, size_t len)
{
	char path[64], line[512];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return 0;
	size_t kl = strlen(key);
	int found = 0;
	while (!found && fgets(line, sizeof line, fp))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			const char *v = line + kl + 1;
			v += strspn(v, " \t");
			snprintf(out, len, "%.*s", (int)strcspn(v, "\n"), v);
			found = 1;
		}
	fclose(fp);
	return found;
}

int pa_wait_proc_status(int pid, const char *key, const char *want,
                        int differ, int timeout_ms)
{
	for (int t = 0; t <= timeout_ms; t += 20) {
		char v[512];
		if (!pa_proc_status(pid, key, v, sizeof v))
			return 0;
		if ((strcmp(v, want) != 0) == (differ != 0))
			return 1;
		usleep(20000);
	}
	return 0;
}

int pa_spawn(const char *out, const char *const *argv)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	return pid;
}
