/*
 * tshark_conv.h -- conversations as tshark counts them (`-q -z conv,tcp
 * -z conv,udp`) and as our flows give them, for the tests that hold
 * portaudit's flow table against tshark's (it_tshark, it_wireless,
 * it_tunnels). A conversation is a protocol and two endpoints (address
 * text as inet_ntop writes it, and a port) with the packets each way; the
 * same pair in either order is one conversation.
 *
 * Header only, every function static inline: each test program keeps its
 * own tables and uses what it needs.
 */
#ifndef PORTAUDIT_TESTS_TSHARK_CONV_H
#define PORTAUDIT_TESTS_TSHARK_CONV_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* One conversation. n[0] = a->b, n[1] = b->a. proto: 6, 17 (1, 58 for
 * the tests that pair ICMP echoes the same way). */
struct ts_conv {
	unsigned proto;
	char a[64], b[64];
	unsigned pa, pb;
	unsigned long long n[2];
	bool matched;
};

/* A table of them, as many as max (the caller's array). */
struct ts_convs {
	struct ts_conv *v;
	unsigned n, max;
};

static inline const char *ts_proto_name(unsigned proto)
{
	return proto == 6 ? "tcp" : proto == 17 ? "udp" :
	       proto == 1 || proto == 58 ? "icmp" : "other";
}

/* Add c, or its packets to the conversation of the same endpoints (in
 * either order) already there. */
static inline void ts_conv_add(struct ts_convs *t, const struct ts_conv *c)
{
	for (unsigned i = 0; i < t->n; i++) {
		struct ts_conv *x = &t->v[i];
		if (x->proto != c->proto)
			continue;
		if (strcmp(x->a, c->a) == 0 && x->pa == c->pa &&
		    strcmp(x->b, c->b) == 0 && x->pb == c->pb) {
			x->n[0] += c->n[0];
			x->n[1] += c->n[1];
			return;
		}
		if (strcmp(x->a, c->b) == 0 && x->pa == c->pb &&
		    strcmp(x->b, c->a) == 0 && x->pb == c->pa) {
			x->n[0] += c->n[1];
			x->n[1] += c->n[0];
			return;
		}
	}
	assert_true(t->n < t->max);
	t->v[t->n++] = *c;
}

/* Address text rewritten as inet_ntop writes it; false if not one. */
static inline bool ts_norm_addr(char *addr, size_t alen)
{
	uint8_t bin[16];
	char norm[64];
	if (inet_pton(AF_INET, addr, bin) == 1)
		inet_ntop(AF_INET, bin, norm, sizeof norm);
	else if (inet_pton(AF_INET6, addr, bin) == 1)
		inet_ntop(AF_INET6, bin, norm, sizeof norm);
	else
		return false;
	snprintf(addr, alen, "%s", norm);
	return true;
}

static inline bool ts_parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long p = strtoul(s, &end, 10);
	if (end == s || *end || p > 65535)
		return false;
	*port = (unsigned)p;
	return true;
}

/* "10.0.0.1:50000" or "2001:db8::1:50000": the port after the last ':' */
static inline bool ts_endpoint(const char *tok, char *addr, size_t alen,
                               unsigned *port)
{
	const char *c = strrchr(tok, ':');
	if (!c || (size_t)(c - tok) >= alen)
		return false;
	memcpy(addr, tok, (size_t)(c - tok));
	addr[c - tok] = 0;
	return ts_parse_port(c + 1, port) && ts_norm_addr(addr, alen);
}

/* tshark's conversation tables (its standard output with -q -z conv,tcp
 * -z conv,udp) added to t: "A:pa <-> B:pb  frames(B->A) bytes unit
 * frames(A->B) ...". */
static inline void ts_parse_conv(const char *out, struct ts_convs *t)
{
	unsigned proto = 0;
	const char *line = out;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[512];
		snprintf(buf, sizeof buf, "%.*s", (int)(len < 511 ? len : 511),
		         line);
		if (strncmp(buf, "TCP Conversations", 17) == 0)
			proto = 6;
		else if (strncmp(buf, "UDP Conversations", 17) == 0)
			proto = 17;
		else if (proto && strstr(buf, "<->")) {
			char e1[128], e2[128], u1[16], b1[32];
			unsigned long long n_ba, n_ab;
			if (sscanf(buf, "%127s <-> %127s %llu %31s %15s %llu", e1,
			           e2, &n_ba, b1, u1, &n_ab) == 6) {
				struct ts_conv c;
				memset(&c, 0, sizeof c);
				c.proto = proto;
				if (ts_endpoint(e1, c.a, sizeof c.a, &c.pa) &&
				    ts_endpoint(e2, c.b, sizeof c.b, &c.pb)) {
					c.n[0] = n_ab;
					c.n[1] = n_ba;
					ts_conv_add(t, &c);
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
}

/* Every conversation of tshark's among ours with the same packets each
 * way, and none of ours left over: the differences, each printed to
 * stderr under `what`. Marks the matched ones (ts_conv.matched). */
static inline unsigned ts_compare(struct ts_convs *ours,
                                  struct ts_convs *theirs, const char *what)
{
	unsigned bad = 0;
	for (unsigned i = 0; i < theirs->n; i++) {
		struct ts_conv *t = &theirs->v[i];
		struct ts_conv *o = NULL;
		bool swap = false;
		for (unsigned k = 0; k < ours->n && !o; k++) {
			struct ts_conv *c = &ours->v[k];
			if (c->proto != t->proto)
				continue;
			if (strcmp(c->a, t->a) == 0 && c->pa == t->pa &&
			    strcmp(c->b, t->b) == 0 && c->pb == t->pb)
				o = c;
			else if (strcmp(c->a, t->b) == 0 && c->pa == t->pb &&
			         strcmp(c->b, t->a) == 0 && c->pb == t->pa)
				o = c, swap = true;
		}
		if (!o) {
			fprintf(stderr, "%s: tshark %s %s:%u <-> %s:%u not in our "
			        "flows\n", what, ts_proto_name(t->proto), t->a,
			        t->pa, t->b, t->pb);
			bad++;
			continue;
		}
		o->matched = true;
		t->matched = true;
		for (int d = 0; d < 2; d++) {
			unsigned long long want = t->n[swap ? 1 - d : d];
			if (o->n[d] != want) {
				fprintf(stderr, "%s: %s:%u -> %s:%u direction %d: "
				        "ours %llu, tshark %llu\n", what, o->a,
				        o->pa, o->b, o->pb, d, o->n[d], want);
				bad++;
			}
		}
	}
	for (unsigned k = 0; k < ours->n; k++)
		if (!ours->v[k].matched) {
			fprintf(stderr, "%s: our %s flow %s:%u -> %s:%u not in "
			        "tshark's\n", what, ts_proto_name(ours->v[k].proto),
			        ours->v[k].a, ours->v[k].pa, ours->v[k].b,
			        ours->v[k].pb);
			bad++;
		}
	return bad;
}

#endif
