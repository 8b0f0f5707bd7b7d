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
 * same decoders (cap_decode, with cap_run's fragment table size), opening each
 * file with cap_run's own cap_source_open (source.c), so a later fragment gets the ports it got in the first pass
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
 * internals of decode.h stay inside. A frame with a tunnel is decoded
 * into all its packets (cap_decode_frame), each handed on with the same
 * frame number and its layer, outermost first, and with its tunnel's id,
 * looked up in cap_run's table (opt->tunnels), so that a packet inside a
 * tunnel meets the flow its id made.
 *
 * Costs. Per packet what cap_run pays minus the flow table: the pcap read,
 * cap_decode(), a copy of ~100 bytes into the view, and the callback. No
 * allocation after the sources and the decoder are set up.
 */
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "decode.h"
#include "source.h"

static void close_all(struct cap_source *src, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		cap_source_close(&src[i]);
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
	v->tunnel = pk->tunnel;
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

	static struct cap_source src[CAP_MAX_SOURCES];
	memset(src, 0, sizeof src);
	for (unsigned i = 0; i < n; i++)
		if (cap_source_open(&src[i], opt->sources[i], opt->filter, errbuf,
		                    errlen) != 0) {
			close_all(src, n);
			return -1;
		}
	struct cap_decoder dec;
	if (cap_decoder_init(&dec, CAP_FRAG_SLOTS) != 0) {
		snprintf(errbuf, errlen, "out of memory (decoder)");
		close_all(src, n);
		return -1;
	}
	/* The first pass's tunnel table: every tunnel is in it already, so
	 * the same packets get the same ids (else a table of the pass's
	 * own, whose ids come out in the same order). */
	struct cap_tunnels *own_tunnels = NULL;
	if (!opt->no_decap) {
		dec.tunnels = opt->tunnels;
		if (!dec.tunnels)
			dec.tunnels = own_tunnels = cap_tunnels_new();
		if (!dec.tunnels) {
			snprintf(errbuf, errlen, "out of memory (tunnel table)");
			cap_decoder_free(&dec);
			close_all(src, n);
			return -1;
		}
	}

	uint64_t packets = 0;
	bool stop = false, interrupted = false;
	struct cap_packet pk[CAP_DECODE_MAX];
	for (unsigned i = 0; i < n && !stop; i++) {
		if (src[i].unsupported)
			continue;
		int lt = src[i].linktype;
		if (linktype_out && *linktype_out < 0)
			*linktype_out = lt;
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;
		while ((rc = pcap_next_ex(src[i].p, &h, &data)) == 1) {
			if (opt->stop && *opt->stop) {
				interrupted = true;
				stop = true;
				break;
			}
			uint64_t ts = cap_source_ts(h, src[i].ts_mul);
			packets++;
			unsigned np = cap_decode_frame(&dec, lt, data, h->caplen,
			                               h->len, ts, pk);
			for (unsigned k = 0; k < np; k++) {
				if (pk[k].family != 4 && pk[k].family != 6)
					continue;
				struct cap_packet_view v;
				memset(&v, 0, sizeof v);
				fill_view(&v, &pk[k]);
				v.ts_ns = ts;
				v.caplen = h->caplen;
				v.wirelen = h->len;
				v.data = data;
				v.linktype = lt;
				v.source = i;
				v.layer = (uint8_t)k;
				v.frame = packets;
				fn(&v, ctx);
			}
			if (opt->count && packets >= opt->count) {
				stop = true;
				break;
			}
		}
		/* rc: -2 end of file; -1 a record cut or unreadable, which
		 * cap_run reported when it read the same file. */
		cap_source_close(&src[i]);
	}
	cap_decoder_free(&dec);
	cap_tunnels_free(own_tunnels);
	close_all(src, n);
	if (interrupted) {
		snprintf(errbuf, errlen, "interrupted");
		return -1;
	}
	return 0;
}
