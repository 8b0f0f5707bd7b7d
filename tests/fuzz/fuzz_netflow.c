/*
 * fuzz_netflow.c -- libFuzzer target for the NetFlow v5/v9/IPFIX decoder
 * (capture/netflow.c).
 *
 * An input is a sequence of datagrams, each
 *   1 byte   the exporter: bits 0-1 pick one of four addresses, bit 2
 *            makes it IPv6
 *   2 bytes  the datagram's length, big-endian (past the end of the input:
 *            what is left)
 *   n bytes  the datagram
 * all fed, in order, to one fresh decoder with small caps (8 templates, 3
 * exporters), so that templates defined by one datagram are used by the
 * next, evicted, withdrawn, and the exporter table fills. Every record
 * handed on, and the counters after each datagram, must be sane (else
 * __builtin_trap).
 *
 * The pairer is this file's: cap_pairer_add_ahead checks the record and
 * keeps nothing. netflow.c calls nothing else of the pairer, so when this target
 * is linked with the library archive, the archive's pairing.c is not
 * pulled in; linking pairing.c's object directly would be a duplicate
 * definition, on purpose (the decoder is what is fuzzed here).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/records.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_TEMPLATES 8
#define FZ_EXPORTERS 3

static uint64_t handed;

void cap_pairer_add_ahead(struct cap_pairer *p, const struct cap_record *r,
                          uint64_t now_ns)
{
	(void)p;
	if (now_ns != 0) /* the collector ticks by the wall clock */
		__builtin_trap();
	static const uint8_t zero[12];
	if (r->family != 4 && r->family != 6)
		__builtin_trap();
	if (r->family == 4 && memcmp(r->src + 4, zero, 12) != 0)
		__builtin_trap();
	if (r->family == 4 && memcmp(r->dst + 4, zero, 12) != 0)
		__builtin_trap();
	if (r->direction < -1 || r->direction > 3)
		__builtin_trap();
	if (r->exporter >= FZ_EXPORTERS)
		__builtin_trap();
	if (r->vlan > 4095)
		__builtin_trap();
	if ((r->proto == 1 || r->proto == 58) && r->sport != 0)
		__builtin_trap();
	if (!r->biflow && (r->rev_pkts || r->rev_bytes || r->rev_tcp_flags))
		__builtin_trap();
	handed++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t addrs[4][16] = {
		{ 192, 0, 2, 1 },
		{ 192, 0, 2, 2 },
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		{ 10, 0, 0, 1 },
	};
	struct cap_rec_stats rs;
	memset(&rs, 0, sizeof rs);
	static int pairer; /* never dereferenced */
	struct cap_netflow *nf = cap_netflow_new((struct cap_pairer *)(void *)&pairer,
	                                         &rs, FZ_TEMPLATES, FZ_EXPORTERS);
	if (!nf)
		return 0;
	handed = 0;
	size_t off = 0;
	uint64_t now = 1767607200ull * 1000000000ull;
	while (off + 3 <= size) {
		uint8_t sel = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		off += 3;
		if (len > size - off)
			len = size - off;
		/* an exact copy, so that ASan sees a read past the datagram */
		uint8_t *dg = malloc(len ? len : 1);
		if (!dg)
			break;
		memcpy(dg, data + off, len);
		uint64_t before = rs.records + rs.malformed + rs.exporters_full;
		cap_netflow_datagram(nf, (sel & 4) ? 6 : 4, addrs[sel & 3],
		                     2055, dg, len, now);
		free(dg);
		off += len;
		now += 1000000;
		if (rs.exporters > FZ_EXPORTERS || rs.records != handed)
			__builtin_trap();
		/* a datagram is decoded, counted malformed or dropped, or
		 * carried only templates, options or kept data: the counters
		 * never go back */
		if (rs.records + rs.malformed + rs.exporters_full < before)
			__builtin_trap();
	}
	cap_netflow_free(nf);
	return 0;
}
