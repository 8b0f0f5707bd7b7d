/*
 * fuzz_decode.c -- libFuzzer target for the decoders and the flow table
 * alone: fuzz_packets' input (packets.h) without classify and reports,
 * whose set-up costs a hundred times more than a decode, so that the
 * decoders of every link type and the flow table's timeouts, eviction and
 * emergency mode are explored many times faster; what it finds seeds
 * fuzz_packets (the same format). Never a crash, a leak, a read past a
 * frame, a flow table that holds more than it may, keeps a flow after the
 * flush, or hands on a packet in no flow or in two (fzp_feed).
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/packets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fzp_input fi;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fzp_decode(&fi, data, size))
		fzp_feed(&fi, NULL, NULL);
	return 0;
}
