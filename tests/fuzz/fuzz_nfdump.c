/*
 * fuzz_nfdump.c -- libFuzzer target for the reader of nfdump's JSON
 * (capture/nfdump.c, capture/nfjson.c): `--flows nfdump:PATH` reads what
 * the nfdump binary prints, and nfdump prints what an nfcapd file holds.
 *
 * Two checks on any bytes:
 *  1. Differential, when the input starts with '{': nf_scan() and
 *     jansson's json_loadb() (what the reader used before) accept the same
 *     objects, and where both read one, every key map_record() reads has
 *     the same kind and value in both (else __builtin_trap). One known
 *     difference: jansson 2.14 skips a NUL byte right after a number or a
 *     literal ("{\"a\":0\0}" reads as "{\"a\":0}", a quirk of its
 *     lexer's unget), where nf_scan() refuses every NUL byte as RFC 8259
 *     does; an input with a NUL byte is only checked to be refused
 *     (regress-nul-after-number-jansson-reads in the corpus).
 *  2. Differential, when the input starts with '{': the objects at its
 *     start, one after another (separated by ",\n" as nfdump prints
 *     them), read by nf_scan_layout() with one learned layout state give
 *     what nf_scan() gives on each (length or refusal and why, and the
 *     same slice for every key), so that the layout a record teaches is
 *     tried on the next ones.
 *  3. The whole input as nfdump's standard output (`[`, records, `]`)
 *     through cap_nfdump_read_fd() and the pairer, with and without
 *     --skip-bad-records: never a crash, a leak or a read past the input;
 *     a failure says why and names the source; every flow handed on is
 *     one portaudit can judge.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "capture/nfjson.h"
#include "capture/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void differential(const char *s, size_t len)
{
	struct nf_fields f;
	char why[120];
	why[0] = 0;
	long n = nf_scan(s, len, &f, why, sizeof why);
	bool mine = n > 0;
	for (size_t i = n > 0 ? (size_t)n : len; mine && i < len; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '\r')
			mine = false; /* jansson allows trailing white space only */
	if (n == 0 || (n == NF_SCAN_INVALID && !why[0]))
		__builtin_trap(); /* a refusal says why (an input that ends
		                   * early is only incomplete) */
	if (memchr(s, 0, len)) {
		if (mine)
			__builtin_trap(); /* no NUL byte in JSON */
		return;
	}
	json_error_t je;
	json_t *o = json_loadb(s, len, 0, &je);
	if (mine != (o != NULL))
		__builtin_trap();
	if (o) {
		if (!json_is_object(o))
			__builtin_trap();
		for (int k = 0; k < NF_NKEYS; k++) {
			const json_t *j = json_object_get(o, nf_key_names[k]);
			if (nf_has(&f, (enum nf_key)k) != (j != NULL))
				__builtin_trap();
			char tmp[256];
			const char *v;
			size_t vl;
			bool isstr = nf_str(&f, (enum nf_key)k, tmp, sizeof tmp,
			                    &v, &vl);
			if (isstr != json_is_string(j))
				__builtin_trap();
			if (isstr && json_string_length(j) <= sizeof tmp &&
			    (vl != json_string_length(j) ||
			     memcmp(v, json_string_value(j), vl) != 0))
				__builtin_trap();
			uint64_t x;
			bool isint = nf_u64(&f, (enum nf_key)k, UINT64_MAX, &x);
			if (isint != (json_is_integer(j) &&
			              json_integer_value(j) >= 0))
				__builtin_trap();
			if (isint && x != (uint64_t)json_integer_value(j))
				__builtin_trap();
		}
	}
	json_decref(o);
}

static bool same_fields(const struct nf_fields *a, const struct nf_fields *b)
{
	for (int k = 0; k < NF_NKEYS; k++) {
		if (a->v[k].kind != b->v[k].kind)
			return false;
		if (a->v[k].kind != NF_ABSENT &&
		    (a->v[k].p != b->v[k].p || a->v[k].len != b->v[k].len ||
		     a->v[k].esc != b->v[k].esc))
			return false;
	}
	return true;
}

static void layout_differential(const char *s, size_t len)
{
	static struct nf_layout l;
	memset(&l, 0, sizeof l);
	size_t pos = 0;
	while (pos < len && s[pos] == '{') {
		struct nf_fields a, b;
		char wa[120] = "", wb[120] = "";
		long ra = nf_scan_layout(&l, s + pos, len - pos, &a, wa,
		                         sizeof wa);
		long rb = nf_scan(s + pos, len - pos, &b, wb, sizeof wb);
		if (ra != rb || (ra == NF_SCAN_INVALID && strcmp(wa, wb) != 0) ||
		    (ra > 0 && !same_fields(&a, &b)))
			__builtin_trap();
		if (ra <= 0)
			break;
		pos += (size_t)ra;
		if (len - pos < 2 || s[pos] != ',' || s[pos + 1] != '\n')
			break;
		pos += 2;
	}
}

static void check(const struct cap_flow *fl, void *ctx)
{
	unsigned long *nflows = ctx;
	(*nflows)++;
	if ((fl->family != 4 && fl->family != 6) ||
	    fl->outcome > CAP_OUT_REPLIED || fl->last_ns < fl->first_ns ||
	    fl->initiator_inferred > 1 || fl->vlan > 4095)
		__builtin_trap();
}

static void read_stream(const uint8_t *data, size_t size, bool skip_bad)
{
	FILE *t = tmpfile();
	if (!t)
		abort();
	if (size && fwrite(data, 1, size, t) != size)
		abort();
	fflush(t);
	if (lseek(fileno(t), 0, SEEK_SET) != 0)
		abort();
	struct cap_rec_stats rs;
	memset(&rs, 0, sizeof rs);
	unsigned long nflows = 0;
	struct cap_pairer *p = cap_pairer_new(check, &nflows, NULL, &rs, 64,
	                                      60ull * 1000000000ull,
	                                      1800ull * 1000000000ull);
	if (!p)
		abort();
	char err[512];
	err[0] = 0;
	int rc = cap_nfdump_read_fd(fileno(t), "fuzz", p, &rs, NULL, 0,
	                            skip_bad, NULL, NULL, NULL, err,
	                            sizeof err);
	cap_pairer_flush(p);
	cap_pairer_free(p);
	fclose(t);
	if (rc != 0 && !strstr(err, "fuzz"))
		__builtin_trap(); /* a failure names the source */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	if (size && data[0] == '{') {
		differential((const char *)data, size);
		layout_differential((const char *)data, size);
	}
	read_stream(data, size, true);
	read_stream(data, size, false);
	return 0;
}
