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
 *
 *   hold -c FILE...  first lets the page cache drop each file
 *                  (POSIX_FADV_DONTNEED), then maps it with MADV_HUGEPAGE
 *                  and reads it from disk: the file is then cached as it is
 *                  after portaudit read it cold (capture/pcapfile.c asks for
 *                  huge pages: the kernel reads ahead in 2 MiB folios and
 *                  maps each with one PMD), not as whoever wrote it left it
 *                  (4 KiB pages, for benchgen's writes). Prints how much of
 *                  each file is mapped in 2 MiB pages (smaps FilePmdMapped).
 */
#define _DEFAULT_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* KiB of the mapping at m mapped with PMDs (2 MiB pages), -1 unknown. */
static long pmd_kib(const void *m)
{
	FILE *fp = fopen("/proc/self/smaps", "r");
	if (!fp)
		return -1;
	char line[512];
	bool in = false;
	long v = -1;
	while (fgets(line, sizeof line, fp)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			if (in)
				break;
			in = lo == (unsigned long)m;
		} else if (in && sscanf(line, "FilePmdMapped: %ld", &v) == 1) {
			break;
		}
	}
	fclose(fp);
	return v;
}

int main(int argc, char **argv)
{
	/* gone with the script, however it ends */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() == 1)
		return 2;
	bool cold = argc > 1 && strcmp(argv[1], "-c") == 0;
	unsigned long long held = 0;
	volatile unsigned char sink = 0;
	for (int i = cold ? 2 : 1; i < argc; i++) {
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
		/* only pages no process maps are dropped */
		if (cold)
			(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		unsigned char *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED) {
			perror(argv[i]);
			return 2;
		}
		close(fd);
		if (cold) /* as portaudit maps it: read-ahead in 2 MiB folios */
			(void)madvise(m, len, MADV_HUGEPAGE);
		else
			(void)madvise(m, len, MADV_WILLNEED);
		long pg = sysconf(_SC_PAGESIZE);
		for (size_t o = 0; o < len; o += (size_t)pg)
			sink ^= m[o];
		held += len;
		long pmd = pmd_kib(m);
		if (pmd >= 0)
			printf("%s: %.0f of %.0f MiB cached in 2 MiB pages\n",
			       argv[i], (double)pmd / 1024.0,
			       (double)len / 1048576.0);
	}
	(void)sink;
	printf("held %llu bytes\n", held);
	fflush(stdout);
	for (;;)
		pause();
}
