/*
 * packets.h -- the input format of fuzz_packets.c and fuzz_decode.c, its
 * decoding into packets, and the flow table they go through.
 *
 * Input (all numbers big-endian):
 *   u16  link type: used as is when cap_linktype_supported(), else the
 *        (value mod n)-th supported one, so that every value decodes
 *   u8   opt0  bits 0-1 servers: 0 inferred, 1 every address (/0),
 *                       2 the first decoded packet's destination,
 *                       3 the site profile's (implies bit 2)
 *              bit 2    the site profile (catalog/site-example.yaml)
 *              bit 3    a flow table of 16 flows (eviction, emergency)
 *              bit 4    at most 4 findings (the findings cap)
 *              bits 5-6 classify's filter: none, "tcp", "not port 22",
 *                       "udp or icmp or icmp6"
 *              bit 7    --fail-on none (else all)
 *   u8   opt1  bit 0    packets in batches (cap_flowtab_batch, as cap_run)
 *              bit 1    live: an interface, drops counted, the first
 *                       packet's destination a local address, and the
 *                       clock ticks (cap_flowtab_tick) on long steps
 *              bit 2    a u64 base time follows (else 2026-01-01)
 *              bit 3    a source name follows: u8 length (<= 64), bytes
 *              bit 4    caveats: the file ended inside a record
 *                       (truncated), a second source was skipped (a link
 *                       type not decoded), the capture was interrupted
 *              bit 5    --all (every catalog row in the text report) and
 *                       --evidence-packets 1 (the reports print it)
 *              bit 6    the whole built-in catalog (else the catalog cut
 *                       to the base and common ports and fuzz_pcap's two
 *                       products, fz_small_model: a report of 115
 *                       services written and read back for every input
 *                       was half of this target's time); the site
 *                       profile (bit 2) has its own
 *              bit 7    fast: only the writers that stream flows (JSON
 *                       lines, flows CSV), not the whole reports (text,
 *                       JSON, CSV, HTML)
 *   then frames, each: u16 caplen, u8 time step, u8 extra wire length,
 *        caplen bytes (fewer if the input ends first).
 *        time step: low 4 bits pick a step from fzp_steps[] (some go
 *        back), times (high 4 bits + 1). extra: wirelen = caplen + extra,
 *        except 255: wirelen = caplen / 2 (a record whose caplen exceeds
 *        its len).
 * fuzz_decode.c reads the link type, the flow-table bits (opt0 bits 2-3,
 * opt1 bits 0-3) and the frames, and ignores the rest, so that both
 * targets take each other's inputs. pcap2packets.c turns a capture file
 * into this format (seeds).
 *
 * Everything is static inline: each target includes it once.
 */
#ifndef PORTAUDIT_FUZZ_PACKETS_H
#define PORTAUDIT_FUZZ_PACKETS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/decode.h"
#include "capture/flow.h"
#include "tests/fuzz/fuzz_common.h"

#define FZP_MAX_FRAMES 2048
#define FZP_BASE_TS (1767225600ull * CAP_NS_PER_S) /* 2026-01-01T00:00:00Z */

/* catalog/site-example.yaml without its comments: servers 10.0.0.5,
 * 2001:db8::5 and 10.0.0.6 (those of pcaps/), products with devices,
 * required services and products, an override. */
static const char fzp_site_profile[] =
	"site: Example Corp DC1\n"
	"base_port: 1960\n"
	"servers:\n"
	"  - name: prognosis-mon1\n"
	"    role: monitoring\n"
	"    addresses: [10.0.0.5, \"2001:db8::5\"]\n"
	"  - name: prognosis-mgmt\n"
	"    role: management\n"
	"    addresses: [10.0.0.6]\n"
	"features:\n"
	"  auto-discovery: false\n"
	"  ldap: false\n"
	"  amqp-plain: false\n"
	"  telnet-sat: false\n"
	"products:\n"
	"  - id: cisco-cucm\n"
	"    devices: [10.1.0.11, 10.1.0.0/28]\n"
	"  - id: avaya-cm\n"
	"    devices: [10.2.0.20]\n"
	"  - avaya-aes\n"
	"require:\n"
	"  services: [base-router, cucm-snmp]\n"
	"  products: [avaya-cm]\n"
	"overrides:\n"
	"  - service: cucm-wmi\n"
	"    dynamic: 50000-50100\n";

/* Time steps in ns; the sign says back in time. They straddle the flow
 * table's timeouts (flow.h): linger 5 s, emergency 1/5/10/60 s, SYN 30 s,
 * datagrams 60 s, established 300 s. INT64_MIN: back to the epoch. */
static const int64_t fzp_steps[16] = {
	0, 1000, 1000000, 100000000, 1000000000, 2000000000, 6000000000,
	11000000000, 31000000000, 61000000000, 301000000000, 3600000000000,
	-1000000000, -3600000000000, INT64_C(1) << 40, INT64_MIN,
};

static int fzp_linktypes[512];
static unsigned fzp_nlinktypes;

/* The site profile applied to a catalog of its own (cat_apply resolves a
 * catalog in place, so two models need two catalogs). */
static struct catalog fzp_prof_cat;
static struct cat_profile fzp_prof;
static struct cat_model fzp_prof_model;
static struct cap_portmap fzp_prof_pm;

static inline void fzp_init(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	for (int lt = 0; lt < 4096 && fzp_nlinktypes < 512; lt++)
		if (cap_linktype_supported(lt))
			fzp_linktypes[fzp_nlinktypes++] = lt;
	if (fzp_nlinktypes == 0)
		abort();
	(void)fz_builtin_model();
	(void)fz_small_model();
	struct cat_error err;
	if (cat_load_file(&fzp_prof_cat, NULL, &err) != 0 ||
	    cat_profile_load_buffer(&fzp_prof, &fzp_prof_cat, "site.yaml",
	                            (const unsigned char *)fzp_site_profile,
	                            sizeof fzp_site_profile - 1, &err) != 0 ||
	    cat_apply(&fzp_prof_model, &fzp_prof_cat, &fzp_prof, 0, &err) != 0) {
		fprintf(stderr, "fuzz: site profile: %s\n", err.msg);
		abort();
	}
	cls_portmap(&fzp_prof_model, &fzp_prof_pm);
}

/* The model (and its portmap) the header picks: the site profile's
 * (opt0 bit 2, or servers from it), the whole built-in catalog (opt1
 * bit 6), else the cut one. */
static inline const struct cat_model *fzp_model(uint8_t o0, uint8_t o1,
                                               const struct cap_portmap **pm)
{
	if ((o0 & 4) || (o0 & 3) == 3) {
		*pm = &fzp_prof_pm;
		return &fzp_prof_model;
	}
	if (o1 & 64) {
		*pm = &fz_pm;
		return &fz_model;
	}
	*pm = &fz_small_pm;
	return &fz_small;
}

/* What the header says, and the packets the frames decoded to. */
struct fzp_input {
	int linktype;
	uint8_t o0, o1;
	char name[65];           /* the source name */
	unsigned npkt;           /* packets that reached the flow table */
	struct cap_packet pkt[FZP_MAX_FRAMES];
	uint64_t ts[FZP_MAX_FRAMES];
	struct cap_stats st;     /* packets, bytes, times, anomalies */
};

static inline bool fzp_take(const uint8_t **p, size_t *n, void *out,
                            size_t len)
{
	if (*n < len)
		return false;
	memcpy(out, *p, len);
	*p += len;
	*n -= len;
	return true;
}

static inline uint64_t fzp_be(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | b[i];
	return v;
}

/* Read the header and decode every frame, as cap_run's reader would
 * (cap_decode, then the packet without its payload pointer). False when
 * the input is shorter than its header. */
static inline bool fzp_decode(struct fzp_input *fi, const uint8_t *data,
                              size_t size)
{
	const uint8_t *p = data;
	size_t n = size;
	uint8_t hdr[4];
	if (!fzp_take(&p, &n, hdr, sizeof hdr))
		return false;
	fzp_init();
	memset(&fi->st, 0, sizeof fi->st);
	fi->npkt = 0;
	int lt = (int)fzp_be(hdr, 2);
	if (!cap_linktype_supported(lt))
		lt = fzp_linktypes[(unsigned)lt % fzp_nlinktypes];
	fi->linktype = lt;
	fi->o0 = hdr[2];
	fi->o1 = hdr[3];
	uint64_t ts = FZP_BASE_TS;
	uint8_t b8[8];
	if ((fi->o1 & 4) && fzp_take(&p, &n, b8, 8))
		ts = fzp_be(b8, 8);
	snprintf(fi->name, sizeof fi->name, "fuzz.pcap");
	uint8_t nlen;
	if ((fi->o1 & 8) && fzp_take(&p, &n, &nlen, 1)) {
		nlen = nlen > 64 ? 64 : nlen;
		nlen = n < nlen ? (uint8_t)n : nlen;
		memcpy(fi->name, p, nlen);
		fi->name[nlen] = '\0'; /* a NUL inside ends it sooner */
		p += nlen;
		n -= nlen;
	}
	struct cap_stats *st = &fi->st;
	struct cap_decoder dec;
	if (cap_decoder_init(&dec, 64) != 0)
		abort();
	while (fi->npkt < FZP_MAX_FRAMES && n >= 4) {
		uint8_t fh[4];
		(void)fzp_take(&p, &n, fh, 4);
		uint32_t caplen = (uint32_t)fzp_be(fh, 2);
		if (caplen > n)
			caplen = (uint32_t)n;
		int64_t step = fzp_steps[fh[2] & 15];
		uint64_t mul = (uint64_t)(fh[2] >> 4) + 1;
		if (step == INT64_MIN)
			ts = 0;
		else if (step >= 0)
			ts += (uint64_t)step * mul;
		else
			ts -= (uint64_t)(-step) * mul;
		uint32_t wirelen = fh[3] == 255 ? caplen / 2 : caplen + fh[3];
		/* A buffer of its own, so that ASan sees a read past it. */
		uint8_t *frame = malloc(caplen ? caplen : 1);
		if (!frame)
			abort();
		memcpy(frame, p, caplen);
		p += caplen;
		n -= caplen;
		st->packets++;
		st->bytes += wirelen;
		if (st->packets == 1 || ts < st->first_ns)
			st->first_ns = ts;
		if (ts > st->last_ns)
			st->last_ns = ts;
		struct cap_packet *pkt = &fi->pkt[fi->npkt];
		if (cap_decode(&dec, lt, frame, caplen, wirelen, ts, pkt)) {
			pkt->payload = NULL; /* as run.c: not kept */
			fi->ts[fi->npkt++] = ts;
			st->ip_packets++;
		}
		free(frame);
	}
	memcpy(st->anomalies, dec.anomalies, sizeof st->anomalies);
	st->frag_tracked = dec.frag_tracked;
	cap_decoder_free(&dec);
	return true;
}

/* Every finished flow is checked, counted, then passed on (may be NULL). */
struct fzp_flows {
	uint64_t flows, pkts, bytes;
	cap_flow_fn next;
	void *next_ctx;
};

static inline void fzp_check_flow(const struct cap_flow *f, void *ctx)
{
	struct fzp_flows *fc = ctx;
	/* Any IP protocol may be a flow (a tunnel's outer GRE or IP-in-IP
	 * flow is one); only TCP, UDP and ICMP (type and code) fill
	 * the ports. */
	bool ports = f->proto == 6 || f->proto == 17;
	if ((f->family != 4 && f->family != 6) ||
	    (!ports && f->proto != 1 && f->proto != 58 &&
	     (f->port_a || f->port_b)) ||
	    f->outcome > CAP_OUT_REPLIED || f->pkts[0] + (uint64_t)f->pkts[1] == 0)
		__builtin_trap();
	fc->flows++;
	fc->pkts += (uint64_t)f->pkts[0] + f->pkts[1];
	fc->bytes += f->bytes[0] + f->bytes[1];
	if (fc->next)
		fc->next(f, fc->next_ctx);
}

/* The decoded packets through a flow table of 16 flows (opt0 bit 3) or
 * 4096, with the portmap of the model fzp_model picks: in
 * batches as cap_run feeds it (opt1 bit 0), or one by one with the clock
 * ticking over long gaps as in a live capture (opt1 bit 1); then flushed.
 * The table never holds more than it may, is empty after the flush, and
 * hands on every packet in exactly one flow, but a later fragment (its
 * datagram counts once) and an ICMP error that quotes a flow (it counts in
 * none; docs/flows.md); the bytes of every packet count, but the
 * error's. fn(flow, ctx) gets each flow. */
static inline void fzp_feed(struct fzp_input *fi, cap_flow_fn fn, void *ctx)
{
	uint32_t max_flows = (fi->o0 & 8) ? 16 : 4096;
	const struct cap_portmap *pm;
	(void)fzp_model(fi->o0, fi->o1, &pm);
	struct fzp_flows fc = { 0, 0, 0, fn, ctx };
	struct cap_flowtab *ft = cap_flowtab_new(max_flows, pm, fzp_check_flow,
	                                         &fc, &fi->st);
	if (!ft)
		abort();
	bool live = (fi->o1 & 2) != 0;
	if (fi->o1 & 1) {
		for (unsigned i = 0; i < fi->npkt; i += CAP_FLOW_BATCH) {
			unsigned k = fi->npkt - i < CAP_FLOW_BATCH ?
			             fi->npkt - i : CAP_FLOW_BATCH;
			cap_flowtab_batch(ft, &fi->pkt[i], &fi->ts[i], k);
		}
	} else {
		for (unsigned i = 0; i < fi->npkt; i++) {
			if (live && i > 0 && fi->ts[i] > fi->ts[i - 1] + CAP_NS_PER_S)
				cap_flowtab_tick(ft, fi->ts[i] - CAP_NS_PER_S / 2);
			cap_flowtab_packet(ft, &fi->pkt[i], fi->ts[i]);
			if (cap_flowtab_live(ft) > max_flows)
				__builtin_trap();
		}
	}
	cap_flowtab_flush(ft);
	if (cap_flowtab_live(ft) != 0)
		__builtin_trap();
	cap_flowtab_free(ft);

	uint64_t n = 0, errors = 0, bytes = 0, err_bytes = 0;
	for (unsigned i = 0; i < fi->npkt; i++) {
		bytes += fi->pkt[i].wirelen;
		if (fi->pkt[i].icmp_error) {
			errors++;
			err_bytes += fi->pkt[i].wirelen;
		}
		n += !fi->pkt[i].later_fragment;
	}
	if (fc.flows != fi->st.flows || fc.pkts > n || fc.pkts + errors < n ||
	    fc.bytes > bytes || fc.bytes + err_bytes < bytes) {
		fprintf(stderr, "fuzz: %llu packets (%llu ICMP errors), %llu "
		        "bytes gave %llu flows (stats: %llu) holding %llu "
		        "packets, %llu bytes\n", (unsigned long long)n,
		        (unsigned long long)errors, (unsigned long long)bytes,
		        (unsigned long long)fc.flows,
		        (unsigned long long)fi->st.flows,
		        (unsigned long long)fc.pkts, (unsigned long long)fc.bytes);
		__builtin_trap();
	}
}

#endif
