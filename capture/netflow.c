/*
 * netflow.c -- TEMPORARY STAND-IN, not the NetFlow/IPFIX decoder.
 *
 * The real capture/netflow.c (NetFlow v5, v9 and IPFIX datagrams into
 * struct cap_record, handed to the pairer) is written on its own branch
 * and replaces this file when the branches are merged. Until then the
 * collector (`--collect netflow:[ADDR:]PORT`, records.c) binds, applies
 * --exporter, honours --duration, signals and -Z as it will, but decodes
 * nothing: every datagram from an allowed exporter is counted in
 * rs->malformed, and the first one says so on standard error.
 */
#include <stdio.h>
#include <stdlib.h>

#include "records.h"

struct cap_netflow {
	struct cap_rec_stats *rs;
	bool warned;
};

struct cap_netflow *cap_netflow_new(struct cap_pairer *p,
                                    struct cap_rec_stats *rs,
                                    uint32_t max_templates,
                                    uint32_t max_exporters)
{
	(void)p;
	(void)max_templates;
	(void)max_exporters;
	struct cap_netflow *nf = calloc(1, sizeof *nf);
	if (nf)
		nf->rs = rs;
	return nf;
}

void cap_netflow_datagram(struct cap_netflow *nf, uint8_t family,
                          const uint8_t *from, uint16_t from_port,
                          const uint8_t *data, size_t len, uint64_t now_ns)
{
	(void)family;
	(void)from;
	(void)from_port;
	(void)data;
	(void)len;
	(void)now_ns;
	nf->rs->malformed++;
	if (!nf->warned) {
		nf->warned = true;
		fputs("portaudit: NetFlow/IPFIX decoding is not built yet "
		      "(capture/netflow.c is a temporary stand-in): datagrams "
		      "are counted as malformed\n", stderr);
	}
}

void cap_netflow_free(struct cap_netflow *nf)
{
	free(nf);
}
