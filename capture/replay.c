/*
 * replay.c -- cap_replay(): read the offline sources a second time and hand
 * every decoded packet, with its raw bytes, to a callback.
 *
 * Design. Some reports need packets, not flows: --evidence writes the
 * packets of the flows classify flagged, which are known only once the
 * capture has ended. Rather than keep every packet of the first pass in
 * memory (unbounded) or spool them to disk (the sources already are files),
 * the second pass reads the same files again, in the same order, through
 * the same BPF filter, stops after the same -c count, and decodes with the
 * same decoders (cap_decode, with a fragment table of the same size as
 * cap_run's), so a later fragment gets the ports it got in the first pass
 * and a packet reaches the caller with the tuple the flow table saw. Every
 * source is opened (and its filter compiled) before the first packet is
 * read, so an error names the file before any callback runs. Files of a
 * link type the decoders do not know are skipped silently (cap_run warned
 * already); a file cut inside a record ends that file quietly, as cap_run
 * kept what it could read. Live capture and standard input cannot be read
 * twice, so they are refused with a message saying so.
 *
 * What leaves capture/ is struct cap_packet_view (capture.h): the decoded
 * tuple, the quoted tuple of an ICMP error, the timestamp, the lengths, the
 * link type and a pointer to the frame, valid during the call only. The
 * internals of decode.h stay inside.
 *
 * Costs. Per packet what cap_run pays minus the flow table: the pcap read,
 * cap_decode(), a copy of ~100 bytes into the view, and the callback. No
 * allocation after the sources and the decoder are set up.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "decode.h"

#define REPLAY_FRAG_SLOTS 8192 /* as cap_run's FRAG_SLOTS */
#define NS_PER_S 1000000000ull

static void close_all(pcap_t **p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (p[i]) {
			pcap_close(p[i]);
			p[i] = NULL;
		}
}

/* Open source i (never stdin); NULL with errbuf set on error, *skip when
 * its link type is not decoded. */
static pcap_t *open_one(const struct cap_options *opt, unsigned i, bool *skip,
                        char *errbuf, size_t errlen)
{
	const char *name = opt->sources[i];
	char eb[PCAP_ERRBUF_SIZE];
	*skip = false;
	FILE *f = fopen(name, "rb");
	if (!f) {
		snprintf(errbuf, errlen, "%s: cannot open again: %s", name,
		         strerror(errno));
		return NULL;
	}
	struct stat sb;
	if (fstat(fileno(f), &sb) == 0 && S_ISDIR(sb.st_mode)) {
		snprintf(errbuf, errlen, "%s: is a directory, not a pcap or "
		         "pcapng file", name);
		fclose(f);
		return NULL;
	}
	eb[0] = 0;
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(
		f, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!p) {
		snprintf(errbuf, errlen, "%s: not a pcap or pcapng file (%s)",
		         name, eb[0] ? eb : "unknown format");
		fclose(f);
		return NULL;
	}
	if (!cap_linktype_supported(pcap_datalink(p))) {
		*skip = true;
		return p;
	}
	if (opt->filter && *opt->filter) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, opt->filter, 1,
		                 PCAP_NETMASK_UNKNOWN) != 0) {
			snprintf(errbuf, errlen, "bad filter '%s': %s", opt->filter,
			         pcap_geterr(p));
			pcap_close(p);
			return NULL;
		}
		int rc = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			snprintf(errbuf, errlen, "cannot set filter '%s': %s",
			         opt->filter, pcap_geterr(p));
			pcap_close(p);
			return NULL;
		}
	}
	return p;
}

static void fill_view(struct cap_packet_view *v, const struct cap_packet *pk)
{
	size_t alen = pk->family == 4 ? 4 : 16;
	v->family = pk->family;
	v->proto = pk->proto;
	memcpy(v->src, pk->src, alen);
	memcpy(v->dst, pk->dst, alen);
	v->sport = pk->sport;
	v->dport = pk->dport;
	v->tcp_flags = pk->tcp_flags;
	v->icmp_type = pk->icmp_type;
	v->icmp_code = pk->icmp_code;
	v->icmp_error = pk->icmp_error;
	if (pk->icmp_error &&
	    (pk->quoted.family == 4 || pk->quoted.family == 6)) {
		size_t qlen = pk->quoted.family == 4 ? 4 : 16;
		v->quoted.family = pk->quoted.family;
		v->quoted.proto = pk->quoted.proto;
		memcpy(v->quoted.src, pk->quoted.src, qlen);
		memcpy(v->quoted.dst, pk->quoted.dst, qlen);
		v->quoted.sport = pk->quoted.sport;
		v->quoted.dport = pk->quoted.dport;
	}
}

int cap_replay(const struct cap_options *opt, cap_replay_fn fn, void *ctx,
               int *linktype_out, char *errbuf, size_t errlen)
{
	if (linktype_out)
		*linktype_out = -1;
	if (errlen)
		errbuf[0] = 0;
	if (opt->iface) {
		snprintf(errbuf, errlen, "%s: a live capture cannot be read "
		         "again (a second pass needs -r FILE)", opt->iface);
		return -1;
	}
	unsigned n = opt->nsources;
	if (n == 0) {
		snprintf(errbuf, errlen, "nothing to read again");
		return -1;
	}
	if (n > CAP_MAX_SOURCES)
		n = CAP_MAX_SOURCES;
	for (unsigned i = 0; i < n; i++)
		if (strcmp(opt->sources[i], "-") == 0) {
			snprintf(errbuf, errlen, "standard input (-r -) cannot be "
			         "read again (a second pass needs -r FILE)");
			return -1;
		}

	pcap_t *p[CAP_MAX_SOURCES];
	bool skip[CAP_MAX_SOURCES];
	memset(p, 0, sizeof p);
	for (unsigned i = 0; i < n; i++) {
		p[i] = open_one(opt, i, &skip[i], errbuf, errlen);
		if (!p[i]) {
			close_all(p, n);
			return -1;
		}
	}
	struct cap_decoder dec;
	if (cap_decoder_init(&dec, REPLAY_FRAG_SLOTS) != 0) {
		snprintf(errbuf, errlen, "out of memory (decoder)");
		close_all(p, n);
		return -1;
	}

	uint64_t packets = 0;
	bool stop = false;
	for (unsigned i = 0; i < n && !stop; i++) {
		if (skip[i])
			continue;
		int lt = pcap_datalink(p[i]);
		if (linktype_out && *linktype_out < 0)
			*linktype_out = lt;
		uint64_t mul = pcap_get_tstamp_precision(p[i]) ==
		               PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;
		while ((rc = pcap_next_ex(p[i], &h, &data)) == 1) {
			uint64_t ts = 0;
			if (h->ts.tv_sec > 0)
				ts = (uint64_t)h->ts.tv_sec * NS_PER_S;
			if (h->ts.tv_usec > 0)
				ts += (uint64_t)h->ts.tv_usec * mul;
			packets++;
			struct cap_packet pk;
			if (cap_decode(&dec, lt, data, h->caplen, h->len, ts, &pk) &&
			    (pk.family == 4 || pk.family == 6)) {
				struct cap_packet_view v;
				memset(&v, 0, sizeof v);
				fill_view(&v, &pk);
				v.ts_ns = ts;
				v.caplen = h->caplen;
				v.wirelen = h->len;
				v.data = data;
				v.linktype = lt;
				v.source = i;
				fn(&v, ctx);
			}
			if (opt->count && packets >= opt->count) {
				stop = true;
				break;
			}
		}
		/* rc: -2 end of file; -1 a record cut or unreadable, which
		 * cap_run reported when it read the same file. */
		pcap_close(p[i]);
		p[i] = NULL;
	}
	cap_decoder_free(&dec);
	close_all(p, n);
	return 0;
}
