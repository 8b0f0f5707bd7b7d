/*
 * hold.c -- keep captures in the page cache while the benchmark runs.
 *
 *   hold FILE...   maps each file, reads one byte of every page, prints
 *                  "held N bytes" and waits until it is killed, or its
 *                  parent (bench/run.sh) ends
 *
 * bench/run.sh times reads of files it assumes in the page cache. On a
 * virtual machine whose kernel reclaims cold page cache behind the
 * program's back (DAMON's pageout scheme, as on the machines this was
 * written on: it pages out unmapped file pages idle for a few seconds,
 * up to 128 MiB a second), a capture read every few seconds is partly read
 * from disk again in each timed run, which adds the same seconds of I/O
 * to the floors and to the audit and blurs every ratio. Pages mapped by a
 * process are not "unmapped": holding a mapping keeps them cached.
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	/* gone with the script, however it ends */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
		return 2;
	unsigned long long held = 0;
	volatile unsigned char sink = 0;
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		struct stat sb;
		if (fd < 0 || fstat(fd, &sb) != 0) {
			perror(argv[i]);
			return 2;
		}
		if (sb.st_size == 0) {
			close(fd);
			continue;
		}
		size_t len = (size_t)sb.st_size;
		unsigned char *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			perror(argv[i]);
			return 2;
		}
		close(fd);
		(void)madvise(m, len, MADV_WILLNEED);
		long pg = sysconf(_SC_PAGESIZE);
		for (size_t o = 0; o < len; o += (size_t)pg)
			sink ^= m[o];
		held += len;
	}
	(void)sink;
	printf("held %llu bytes\n", held);
	fflush(stdout);
	for (;;)
		pause();
}
