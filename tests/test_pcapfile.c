/* test_pcapfile.c -- the classic pcap reader (capture/pcapfile.c) against
 * libpcap's own reading of the same bytes (pcap_open_offline_with_tstamp_
 * precision, nanoseconds, and pcap_next_ex): the same headers, the same
 * data, the same end or the same error message, on files written here: both
 * magics in both byte orders, a cut at every byte of the last record,
 * caplen above the snaplen and above libpcap's maximum, no record at all,
 * records larger than the read block's room crossing its end, a pipe, a
 * filter, and the files it must leave to libpcap; every file both mapped
 * and read in blocks; a mapped file that shrinks (SIGBUS) or grows while
 * it is read. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture/pcapfile.h"
#include "capture/source.h"

/* ---- writing files ------------------------------------------------------ */

struct bytes {
	unsigned char *b;
	size_t n, cap;
};

static void put(struct bytes *o, const void *p, size_t n)
{
	if (o->n + n > o->cap) {
		o->cap = (o->n + n) * 2 + 4096;
		o->b = realloc(o->b, o->cap);
		assert_non_null(o->b);
	}
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static uint32_t sw32(uint32_t v, bool swapped)
{
	return swapped ? __builtin_bswap32(v) : v;
}

static uint16_t sw16(uint16_t v, bool swapped)
{
	return swapped ? __builtin_bswap16(v) : v;
}

static void put32(struct bytes *o, uint32_t v, bool swapped)
{
	v = sw32(v, swapped);
	put(o, &v, 4);
}

#define US 0xa1b2c3d4u
#define NS 0xa1b23c4du

static void file_header(struct bytes *o, uint32_t magic, bool swapped,
                        uint16_t vmin, uint32_t snaplen, uint32_t linktype)
{
	put32(o, magic, swapped);
	uint16_t v = sw16(2, swapped);
	put(o, &v, 2);
	v = sw16(vmin, swapped);
	put(o, &v, 2);
	put32(o, 0, swapped);
	put32(o, 0, swapped);
	put32(o, snaplen, swapped);
	put32(o, linktype, swapped);
}

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

/* A record of `caplen` bytes (pattern from the seed), wire length `len`. */
static void record(struct bytes *o, bool swapped, uint32_t sec, uint32_t frac,
                   uint32_t caplen, uint32_t len)
{
	put32(o, sec, swapped);
	put32(o, frac, swapped);
	put32(o, caplen, swapped);
	put32(o, len, swapped);
	unsigned char chunk[4096];
	uint32_t left = caplen;
	while (left) {
		uint32_t k = left < sizeof chunk ? left : (uint32_t)sizeof chunk;
		for (uint32_t i = 0; i < k; i++)
			chunk[i] = (unsigned char)rnd();
		put(o, chunk, k);
		left -= k;
	}
}

/* Records of assorted sizes and times, some odd. */
static void records(struct bytes *o, bool swapped, unsigned n, uint32_t maxcap)
{
	for (unsigned i = 0; i < n; i++) {
		uint32_t cap = rnd() % (maxcap + 1);
		uint32_t len = cap + (rnd() % 3 == 0 ? rnd() % 100 : 0);
		if (i % 17 == 5)
			len = cap > 3 ? cap - 3 : 0; /* caplen > len: passed on */
		uint32_t sec = 1700000000u + i, frac = rnd() % 1000000u;
		if (i == 3)
			sec = 0x80000000u; /* negative as a signed 32-bit value */
		if (i == 4)
			frac = 0xfffffff0u; /* negative fraction */
		if (i == 6)
			cap = len = 0;
		record(o, swapped, sec, frac, cap, len);
	}
}

static const char *save(const char *name, const struct bytes *o, size_t n)
{
	const char *path = pa_tmp(name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(o->b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* ---- reading them both ways --------------------------------------------- */

struct rec {
	struct pcap_pkthdr h;
	unsigned char *data;
};

struct result {
	struct rec *r;
	size_t n, cap;
	int end;          /* 0: the end of the file; -1: an error */
	char err[PCAP_ERRBUF_SIZE];
};

static void add(struct result *res, const struct pcap_pkthdr *h,
                const u_char *data)
{
	if (res->n == res->cap) {
		res->cap = res->cap * 2 + 64;
		res->r = realloc(res->r, res->cap * sizeof *res->r);
		assert_non_null(res->r);
	}
	struct rec *r = &res->r[res->n++];
	r->h = *h;
	r->data = malloc(h->caplen ? h->caplen : 1);
	assert_non_null(r->data);
	memcpy(r->data, data, h->caplen);
}

static void result_free(struct result *res)
{
	for (size_t i = 0; i < res->n; i++)
		free(res->r[i].data);
	free(res->r);
	memset(res, 0, sizeof *res);
}

static void read_libpcap(const char *path, const char *filter,
                         struct result *res)
{
	char eb[PCAP_ERRBUF_SIZE];
	memset(res, 0, sizeof *res);
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p)
		fail_msg("libpcap cannot open %s: %s", path, eb);
	if (filter) {
		struct bpf_program prog;
		assert_int_equal(pcap_compile(p, &prog, filter, 1,
		                              PCAP_NETMASK_UNKNOWN), 0);
		assert_int_equal(pcap_setfilter(p, &prog), 0);
		pcap_freecode(&prog);
	}
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int rc = pcap_next_ex(p, &h, &d);
		if (rc == 1) {
			add(res, h, d);
			continue;
		}
		if (rc == PCAP_ERROR_BREAK) {
			res->end = 0;
		} else {
			res->end = -1;
			snprintf(res->err, sizeof res->err, "%s", pcap_geterr(p));
		}
		break;
	}
	pcap_close(p);
}

static void on_rec(u_char *user, const struct pcap_pkthdr *h,
                   const u_char *data)
{
	add((struct result *)(void *)user, h, data);
}

/* Dispatch in batches of `batch` until the end or an error. */
static void drain(struct cap_pcapfile *f, int batch, struct result *res)
{
	for (;;) {
		size_t before = res->n;
		int rc = cap_pcapfile_dispatch(f, batch, on_rec, (u_char *)res);
		if (rc > 0) {
			assert_int_equal((size_t)rc, res->n - before);
			assert_true(batch <= 0 || rc <= batch);
			continue;
		}
		assert_int_not_equal(rc, -2);
		res->end = rc == 0 ? 0 : -1;
		if (rc < 0)
			snprintf(res->err, sizeof res->err, "%s", f->errbuf);
		break;
	}
}

/* `path` opened as cap_run opens it (its filter compiled), and the fast
 * reader on it: the file mapped (map) or read in blocks. Fails the test
 * unless the reader takes it that way. */
static void open_fast(const char *path, const char *filter, bool map,
                      struct cap_source *s, struct cap_pcapfile *f)
{
	char eb[256];
	if (cap_source_open(s, path, filter, eb, sizeof eb) != 0)
		fail_msg("cap_source_open %s: %s", path, eb);
	if (cap_pcapfile_open(f, s->p, s->has_prog ? &s->prog : NULL, map) != 1)
		fail_msg("%s: the fast reader did not take it", path);
	assert_int_equal(f->map != NULL, map);
}

static void close_fast(struct cap_source *s, struct cap_pcapfile *f)
{
	cap_pcapfile_close(f);
	cap_source_close(s);
}

/* The fast reader on `path`, all of it. */
static void read_fast(const char *path, const char *filter, int batch,
                      bool map, struct result *res)
{
	struct cap_source s;
	struct cap_pcapfile f;
	memset(res, 0, sizeof *res);
	open_fast(path, filter, map, &s, &f);
	drain(&f, batch, res);
	close_fast(&s, &f);
}

static void same(const struct result *a, const struct result *b,
                 const char *what)
{
	if (a->n != b->n)
		fail_msg("%s: %zu packets from libpcap, %zu from the reader "
		         "(%s / %s)", what, a->n, b->n, a->err, b->err);
	for (size_t i = 0; i < a->n; i++) {
		const struct pcap_pkthdr *x = &a->r[i].h, *y = &b->r[i].h;
		if (x->ts.tv_sec != y->ts.tv_sec ||
		    x->ts.tv_usec != y->ts.tv_usec || x->caplen != y->caplen ||
		    x->len != y->len)
			fail_msg("%s: packet %zu: header %lld.%ld %u/%u against "
			         "%lld.%ld %u/%u", what, i,
			         (long long)x->ts.tv_sec, (long)x->ts.tv_usec,
			         x->caplen, x->len, (long long)y->ts.tv_sec,
			         (long)y->ts.tv_usec, y->caplen, y->len);
		if (memcmp(a->r[i].data, b->r[i].data, x->caplen) != 0)
			fail_msg("%s: packet %zu: data differ", what, i);
	}
	if (a->end != b->end || strcmp(a->err, b->err) != 0)
		fail_msg("%s: libpcap ends %d \"%s\", the reader %d \"%s\"", what,
		         a->end, a->err, b->end, b->err);
}

static void check_file(const char *path, const char *filter, int batch,
                       const char *what, size_t min_packets)
{
	struct result a, b, c;
	read_libpcap(path, filter, &a);
	read_fast(path, filter, batch, true, &b);
	same(&a, &b, what);
	read_fast(path, filter, batch, false, &c);
	same(&a, &c, what);
	assert_true(a.n >= min_packets);
	result_free(&a);
	result_free(&b);
	result_free(&c);
}

/* ---- the tests ---------------------------------------------------------- */

static void test_magics(void **state)
{
	(void)state;
	const uint32_t magics[2] = { US, NS };
	for (int m = 0; m < 2; m++) {
		for (int s = 0; s < 2; s++) {
			struct bytes o = { 0 };
			bool swapped = s == 1;
			file_header(&o, magics[m], swapped, 4, 65535, DLT_EN10MB);
			records(&o, swapped, 300, 1600);
			char what[64];
			snprintf(what, sizeof what, "magic %08x %s", magics[m],
			         swapped ? "swapped" : "native");
			const char *path = save("magic.pcap", &o, o.n);
			check_file(path, NULL, 4096, what, 300);
			check_file(path, NULL, 7, what, 300);
			free(o.b);
		}
	}
}

/* Every cut of the last record (and of its header), in both byte orders,
 * and of a last record longer than the snaplen. */
static void test_cut_every_byte(void **state)
{
	(void)state;
	for (int variant = 0; variant < 3; variant++) {
		bool swapped = variant == 1;
		uint32_t snap = variant == 2 ? 100 : 65535;
		struct bytes o = { 0 };
		file_header(&o, variant == 1 ? NS : US, swapped, 4, snap,
		            DLT_EN10MB);
		records(&o, swapped, 5, 90);
		size_t start = o.n;
		record(&o, swapped, 1700000100u, 5, 180, 200);
		for (size_t n = start; n < o.n; n++) {
			char what[64];
			snprintf(what, sizeof what, "variant %d cut at %zu of %zu",
			         variant, n, o.n);
			const char *path = save("cut.pcap", &o, n);
			check_file(path, NULL, 4096, what, 5);
		}
		free(o.b);
	}
}

static void test_caplen_over_snaplen(void **state)
{
	(void)state;
	for (int s = 0; s < 2; s++) {
		struct bytes o = { 0 };
		file_header(&o, US, s == 1, 4, 100, DLT_EN10MB);
		records(&o, s == 1, 20, 100);
		record(&o, s == 1, 1700000200u, 1, 150, 150);
		record(&o, s == 1, 1700000201u, 2, 262144, 300000);
		records(&o, s == 1, 20, 100);
		const char *path = save("oversnap.pcap", &o, o.n);
		check_file(path, NULL, 4096, "caplen > snaplen", 42);
		free(o.b);
	}
}

static void test_caplen_over_max(void **state)
{
	(void)state;
	/* above the snaplen too, then above the maximum only */
	const uint32_t snaps[2] = { 65535, 300000 };
	for (int i = 0; i < 2; i++) {
		struct bytes o = { 0 };
		file_header(&o, NS, i == 1, 4, snaps[i], DLT_RAW);
		records(&o, i == 1, 10, 1000);
		record(&o, i == 1, 1700000300u, 3, 262145, 262145);
		records(&o, i == 1, 10, 1000);
		const char *path = save("overmax.pcap", &o, o.n);
		struct result a;
		read_libpcap(path, NULL, &a);
		assert_int_equal(a.end, -1);
		assert_non_null(strstr(a.err, "invalid packet capture length"));
		result_free(&a);
		check_file(path, NULL, 4096, "caplen > maximum", 10);
		free(o.b);
	}
}

static void test_no_record(void **state)
{
	(void)state;
	struct bytes o = { 0 };
	file_header(&o, US, false, 4, 65535, DLT_EN10MB);
	const char *path = save("empty.pcap", &o, o.n);
	check_file(path, NULL, 4096, "no record", 0);
	free(o.b);
}

/* Several MiB of records up to 262144 bytes: many cross the end of the
 * read block, some are larger than what is left of it by far. */
static void test_large_records(void **state)
{
	(void)state;
	for (int s = 0; s < 2; s++) {
		struct bytes o = { 0 };
		file_header(&o, s ? NS : US, s == 1, 4, 262144, DLT_EN10MB);
		for (int k = 0; k < 40; k++) {
			records(&o, s == 1, 30, 2000);
			uint32_t big = k % 3 == 0 ? 262144 : rnd() % 262144;
			record(&o, s == 1, 1700001000u + (uint32_t)k, 7, big, big);
		}
		assert_true(o.n > 4 * CAP_PCAPFILE_BLOCK);
		const char *path = save("large.pcap", &o, o.n);
		check_file(path, NULL, 4096, "large records", 1240);
		check_file(path, NULL, 1, "large records, one at a time", 1240);
		/* and cut inside the last large one */
		path = save("large-cut.pcap", &o, o.n - 70000);
		check_file(path, NULL, 4096, "large records, cut", 1200);
		free(o.b);
	}
}

/* A pipe: libpcap reads it through a FILE of its default buffer; the
 * writer trickles the bytes in pieces of assorted sizes. */
static void pipe_case(const struct bytes *o, size_t n, const char *what)
{
	const char *path = save("pipe.pcap", o, n);
	struct result a, b;
	read_libpcap(path, NULL, &a);
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		size_t off = 0;
		while (off < n) {
			size_t k = 1 + rnd() % 70000;
			if (k > n - off)
				k = n - off;
			ssize_t w = write(fds[1], o->b + off, k);
			if (w <= 0)
				_exit(1);
			off += (size_t)w;
			if (rnd() % 4 == 0)
				usleep(200);
		}
		_exit(0);
	}
	close(fds[1]);
	FILE *fp = fdopen(fds[0], "rb");
	assert_non_null(fp);
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p)
		fail_msg("%s: %s", what, eb);
	struct cap_pcapfile f;
	assert_int_equal(cap_pcapfile_open(&f, p, NULL, true), 1);
	assert_null(f.map); /* a pipe is read */
	memset(&b, 0, sizeof b);
	drain(&f, 4096, &b);
	cap_pcapfile_close(&f);
	pcap_close(p);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	same(&a, &b, what);
	result_free(&a);
	result_free(&b);
}

static void test_pipe(void **state)
{
	(void)state;
	struct bytes o = { 0 };
	file_header(&o, US, true, 4, 262144, DLT_EN10MB);
	for (int k = 0; k < 12; k++) {
		records(&o, true, 200, 1500);
		record(&o, true, 1700002000u + (uint32_t)k, 9, 200000, 200000);
	}
	pipe_case(&o, o.n, "pipe");
	pipe_case(&o, o.n - 33333, "pipe, cut");
	pipe_case(&o, 24 + 16 + 7, "pipe, cut in the first record");
	free(o.b);
}

static void test_filter(void **state)
{
	(void)state;
	struct bytes o = { 0 };
	file_header(&o, US, false, 4, 65535, DLT_EN10MB);
	records(&o, false, 3000, 1500);
	const char *path = save("filter.pcap", &o, o.n);
	/* "greater 700": about half the records, on their wire length */
	check_file(path, "greater 700", 4096, "filter", 1000);
	check_file(path, "greater 700", 3, "filter, batches of 3", 1000);
	free(o.b);
}

/* A dispatch after cap_pcapfile_breakloop returns -2 and reads nothing;
 * the next one carries on. */
static void test_breakloop(void **state)
{
	(void)state;
	struct bytes o = { 0 };
	file_header(&o, US, false, 4, 65535, DLT_EN10MB);
	records(&o, false, 50, 500);
	const char *path = save("break.pcap", &o, o.n);
	struct cap_source s;
	struct cap_pcapfile f;
	open_fast(path, NULL, true, &s, &f);
	struct result r;
	memset(&r, 0, sizeof r);
	assert_int_equal(cap_pcapfile_dispatch(&f, 10, on_rec, (u_char *)&r),
	                 10);
	cap_pcapfile_breakloop(&f);
	assert_int_equal(cap_pcapfile_dispatch(&f, 10, on_rec, (u_char *)&r),
	                 -2);
	assert_int_equal(r.n, 10);
	drain(&f, 4096, &r);
	assert_int_equal(r.n, 50);
	assert_int_equal(r.end, 0);
	close_fast(&s, &f);
	result_free(&r);
	free(o.b);
}

/* A mapped file that shrinks while it is read (truncated by another
 * process): the pages past its new end raise SIGBUS when touched, and the
 * dispatch returns -1 with "it shrank" instead, the records before kept;
 * the read(2) path meets the new end as a truncated file. Then a file
 * that grows: what was appended after it was opened (and mapped) is read,
 * as libpcap reads it. */
static void test_map_shrink_and_grow(void **state)
{
	(void)state;
	struct bytes o = { 0 };
	file_header(&o, US, false, 4, 65535, DLT_EN10MB);
	while (o.n < 3u * 1024u * 1024u)
		record(&o, false, 1700003000u, (uint32_t)o.n % 1000000u, 1000,
		       1000);
	const char *path = save("shrink.pcap", &o, o.n);
	for (int map = 1; map >= 0; map--) {
		(void)save("shrink.pcap", &o, o.n);
		struct cap_source s;
		struct cap_pcapfile f;
		open_fast(path, NULL, map != 0, &s, &f);
		struct result r;
		memset(&r, 0, sizeof r);
		assert_int_equal(cap_pcapfile_dispatch(&f, 10, on_rec,
		                                       (u_char *)&r), 10);
		assert_int_equal(truncate(path, 1024 * 1024), 0);
		drain(&f, 4096, &r);
		assert_int_equal(r.end, -1);
		if (map)
			assert_non_null(strstr(r.err, "shrank while it was read"));
		else
			assert_non_null(strstr(r.err, "truncated dump file"));
		/* what was read before: records wholly in the first MiB at
		 * most (the read(2) path has its block of 1 MiB already) */
		assert_true(r.n >= 10);
		assert_true(r.n * 1016 <= 1024 * 1024 + 4096 * 1016u);
		for (size_t i = 0; i < r.n; i++)
			assert_int_equal(r.r[i].h.caplen, 1000);
		/* nothing more after the error */
		assert_true(cap_pcapfile_dispatch(&f, 10, on_rec, (u_char *)&r) <= 0);
		close_fast(&s, &f);
		result_free(&r);
	}

	/* Grows: 200 records when opened (and mapped), 300 more appended
	 * after the first dispatch: all 500 are read (the end of a file is
	 * where its reader first finds it, with libpcap too: stdio's EOF is
	 * sticky). */
	struct bytes g = { 0 };
	file_header(&g, NS, true, 4, 65535, DLT_EN10MB);
	records(&g, true, 200, 1500);
	size_t first = g.n;
	records(&g, true, 300, 1500);
	path = save("grow.pcap", &g, first);
	struct result a;
	read_libpcap(path, NULL, &a);
	assert_int_equal(a.n, 200);
	(void)save("grow-all.pcap", &g, g.n);
	result_free(&a);
	read_libpcap(pa_tmp("grow-all.pcap"), NULL, &a);
	assert_int_equal(a.n, 500);
	struct cap_source s;
	struct cap_pcapfile f;
	open_fast(path, NULL, true, &s, &f);
	struct result b;
	memset(&b, 0, sizeof b);
	assert_int_equal(cap_pcapfile_dispatch(&f, 10, on_rec, (u_char *)&b),
	                 10);
	FILE *fp = fopen(path, "ab");
	assert_non_null(fp);
	assert_int_equal(fwrite(g.b + first, 1, g.n - first, fp), g.n - first);
	assert_int_equal(fclose(fp), 0);
	drain(&f, 4096, &b);
	same(&a, &b, "a mapped file that grew");
	close_fast(&s, &f);
	result_free(&a);
	result_free(&b);
	free(g.b);
	free(o.b);
}

/* A SIGBUS that is not the reader's (raised outside a mapped dispatch)
 * goes to the action there was before: here the default, which ends the
 * process. */
static void test_other_sigbus(void **state)
{
	(void)state;
	struct bytes o = { 0 };
	file_header(&o, US, false, 4, 65535, DLT_EN10MB);
	records(&o, false, 20, 500);
	const char *path = save("bus.pcap", &o, o.n);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL); /* not cmocka's */
		struct cap_source s;
		char eb[256];
		if (cap_source_open(&s, path, NULL, eb, sizeof eb) != 0)
			_exit(1);
		struct cap_pcapfile f;
		if (cap_pcapfile_open(&f, s.p, NULL, true) != 1 || !f.map)
			_exit(2);
		raise(SIGBUS);
		_exit(3);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGBUS);
	free(o.b);
}

/* ---- letting go of the mapping behind the reader ------------------------ */

struct let_go {
	const u_char *last;        /* the last record's data */
	long rss0, rss_max;        /* RssFile (KiB) before, and its peak */
	unsigned long n;
	const unsigned char *map;
	size_t released;           /* ranges handed to the hook, in order */
	bool bad;
	char why[160];
};

static long rss_file_kib(void)
{
	FILE *fp = fopen("/proc/self/status", "r");
	if (!fp)
		return -1;
	char line[256];
	long v = -1;
	while (fgets(line, sizeof line, fp))
		if (sscanf(line, "RssFile: %ld", &v) == 1)
			break;
	fclose(fp);
	return v;
}

static void on_let_go(u_char *user, const struct pcap_pkthdr *h,
                      const u_char *data)
{
	(void)h;
	struct let_go *g = (struct let_go *)(void *)user;
	g->last = data;
	if (++g->n % 512 == 0) {
		long r = rss_file_kib();
		if (r > g->rss_max)
			g->rss_max = r;
	}
}

static void hook(void *ctx, void *addr, size_t len)
{
	struct let_go *g = ctx;
	const unsigned char *a = addr;
	if (g->bad)
		return;
	if (a != g->map + g->released)
		snprintf(g->why, sizeof g->why, "range at +%zu, expected +%zu",
		         (size_t)(a - g->map), g->released);
	else if (((uintptr_t)(a + len)) % (2u << 20) != 0)
		snprintf(g->why, sizeof g->why, "range ends at +%zu: not on "
		         "a 2 MiB boundary", (size_t)(a + len - g->map));
	else if (g->last && a + len + 256 * 1024 > g->last)
		snprintf(g->why, sizeof g->why, "range ends at +%zu, within "
		         "256 KiB of the reader (+%zu)",
		         (size_t)(a + len - g->map), (size_t)(g->last - g->map));
	else {
		g->released += len;
		return;
	}
	g->bad = true;
}

/* A mapped file is not kept resident as it is read: the pages well behind
 * the reader are let go (MADV_DONTNEED) in whole 2 MiB steps, by the
 * reader itself or by whoever the release hook names (run.c: the flow
 * table's thread). */
static void test_map_let_go(void **state)
{
	(void)state;
	struct bytes o = { 0 };
	file_header(&o, NS, false, 4, 65535, DLT_EN10MB);
	while (o.n < 40u << 20)
		record(&o, false, 1700000000u, 0, 1400 + rnd() % 200, 1600);
	const char *path = save("letgo.pcap", &o, o.n);
	for (int with_hook = 0; with_hook < 2; with_hook++) {
		struct cap_source s;
		struct cap_pcapfile f;
		open_fast(path, NULL, true, &s, &f);
		struct let_go g;
		memset(&g, 0, sizeof g);
		g.map = f.map;
		if (with_hook) {
			f.release = hook;
			f.release_ctx = &g;
		}
		g.rss0 = g.rss_max = rss_file_kib();
		assert_true(g.rss0 >= 0);
		int rc;
		while ((rc = cap_pcapfile_dispatch(&f, 256, on_let_go,
		                                   (u_char *)&g)) > 0)
			;
		assert_int_equal(rc, 0);
		if (g.bad)
			fail_msg("release hook: %s", g.why);
		if (with_hook) {
			/* all but the last few MiB were handed over */
			assert_true(g.released >= f.maplen - (5u << 20));
		} else {
			/* 40 MiB read, at most a few resident at a time */
			if (g.rss_max - g.rss0 > 8 * 1024)
				fail_msg("RssFile grew by %ld KiB reading a "
				         "40 MiB mapped file",
				         g.rss_max - g.rss0);
		}
		close_fast(&s, &f);
	}
	free(o.b);
}

/* Files the reader must leave to libpcap: it says 0 and touches nothing,
 * so libpcap still reads every packet. */
static void leave_to_libpcap(struct bytes *o, const char *what)
{
	const char *path = save("other.pcap", o, o->n);
	struct cap_source s;
	char eb[256];
	if (cap_source_open(&s, path, NULL, eb, sizeof eb) != 0)
		fail_msg("%s: %s", what, eb);
	struct cap_pcapfile f;
	if (cap_pcapfile_open(&f, s.p, NULL, true) != 0)
		fail_msg("%s: the fast reader took it", what);
	struct result a, b;
	memset(&b, 0, sizeof b);
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *d;
		int rc = pcap_next_ex(s.p, &h, &d);
		if (rc == 1) {
			add(&b, h, d);
			continue;
		}
		b.end = rc == PCAP_ERROR_BREAK ? 0 : -1;
		if (rc != PCAP_ERROR_BREAK)
			snprintf(b.err, sizeof b.err, "%s", pcap_geterr(s.p));
		break;
	}
	cap_source_close(&s);
	read_libpcap(path, NULL, &a);
	same(&a, &b, what);
	assert_true(a.n > 0);
	result_free(&a);
	result_free(&b);
}

static void test_left_to_libpcap(void **state)
{
	(void)state;
	/* link types libpcap rewrites: swapped SLL/SLL2, USB, NFLOG, PFLOG */
	const struct { uint32_t lt; bool swapped; } cases[] = {
		{ DLT_LINUX_SLL, true }, { DLT_LINUX_SLL2, true },
		{ DLT_USB_LINUX_MMAPPED, false }, { DLT_USB_LINUX, true },
		{ DLT_NFLOG, false }, { DLT_PFLOG, false },
		{ 105 /* IEEE802_11 */, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bytes o = { 0 };
		file_header(&o, US, cases[i].swapped, 4, 65535, cases[i].lt);
		records(&o, cases[i].swapped, 20, 200);
		char what[64];
		snprintf(what, sizeof what, "link type %u", cases[i].lt);
		leave_to_libpcap(&o, what);
		free(o.b);
	}
	/* version 2.3 (caplen and len maybe swapped), Kuznetzov's magic */
	struct bytes o = { 0 };
	file_header(&o, US, false, 3, 65535, DLT_EN10MB);
	records(&o, false, 20, 200);
	leave_to_libpcap(&o, "version 2.3");
	free(o.b);
	memset(&o, 0, sizeof o);
	file_header(&o, 0xa1b2cd34u, false, 4, 65535, DLT_EN10MB);
	for (int i = 0; i < 5; i++) { /* 24-byte record headers */
		put32(&o, 1700000000u + (uint32_t)i, false);
		put32(&o, 1, false);
		put32(&o, 60, false);
		put32(&o, 60, false);
		unsigned char extra[8 + 60];
		memset(extra, i, sizeof extra); /* ifindex, protocol, type, pad */
		put(&o, extra, sizeof extra);
	}
	leave_to_libpcap(&o, "Kuznetzov's magic");
	free(o.b);
	/* the sources the reader does take: native SLL and SLL2 */
	const uint32_t lts[] = { DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL,
	                         DLT_LOOP, DLT_IPV4, DLT_IPV6, DLT_RAW };
	for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++) {
		memset(&o, 0, sizeof o);
		file_header(&o, US, false, 4, 65535, lts[i]);
		records(&o, false, 20, 200);
		const char *path = save("taken.pcap", &o, o.n);
		check_file(path, NULL, 4096, "taken link type", 20);
		free(o.b);
	}
}

/* A pcapng file goes to libpcap. */
static void test_pcapng_left(void **state)
{
	(void)state;
	const char *path = pa_src("pcaps/pcapng.pcap");
	struct cap_source s;
	char eb[256];
	assert_int_equal(cap_source_open(&s, path, NULL, eb, sizeof eb), 0);
	struct cap_pcapfile f;
	assert_int_equal(cap_pcapfile_open(&f, s.p, NULL, true), 0);
	cap_source_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_magics),
		cmocka_unit_test(test_cut_every_byte),
		cmocka_unit_test(test_caplen_over_snaplen),
		cmocka_unit_test(test_caplen_over_max),
		cmocka_unit_test(test_no_record),
		cmocka_unit_test(test_large_records),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_breakloop),
		cmocka_unit_test(test_map_shrink_and_grow),
		cmocka_unit_test(test_other_sigbus),
		cmocka_unit_test(test_map_let_go),
		cmocka_unit_test(test_left_to_libpcap),
		cmocka_unit_test(test_pcapng_left),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
