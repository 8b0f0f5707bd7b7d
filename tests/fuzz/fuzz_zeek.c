/*
 * fuzz_zeek.c -- libFuzzer target for the Zeek conn.log reader: any bytes
 * in (TSV, JSON lines, gzip, garbage), flows or an error out, never a
 * crash, a leak or a read past the input. The bytes go to a file (the
 * reader takes a path) read twice: with skip_bad, where only a bad header
 * may fail, and without, where a failure must name the file; every flow
 * handed on must be a flow portaudit can judge.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/records.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct cap_flow *f, void *ctx)
{
	unsigned long *n = ctx;
	(*n)++;
	if ((f->family != 4 && f->family != 6) ||
	    f->outcome > CAP_OUT_REPLIED || f->last_ns < f->first_ns ||
	    f->initiator_inferred > 1 || f->vlan > 4095)
		__builtin_trap();
	if (f->family == 4)
		for (int i = 4; i < 16; i++)
			if (f->addr_a[i] || f->addr_b[i])
				__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_input_file(data, size);
	char err[512];
	for (int skip = 1; skip >= 0; skip--) {
		struct cap_rec_stats rs;
		unsigned long n = 0;
		memset(&rs, 0, sizeof rs);
		int rc = cap_zeek_read(path, check, &n, &rs, skip, err,
		                       sizeof err);
		if (rc != 0 && strncmp(err, path, strlen(path)) != 0)
			__builtin_trap(); /* every error names the file */
		/* records: the records handed on, each one flow; a malformed
		 * one is in malformed alone */
		if (n != rs.records)
			__builtin_trap();
	}
	return 0;
}
