/*
 * classify.c -- one verdict and one reason per flow; statuses at the end.
 *
 * Design. cls_judge() decides a flow in a fixed order. The flow touches no
 * server: verdict none. Otherwise the static candidates of its protocol and
 * responder port (match.c) are scored: enabled (16) + direction fits the
 * server's role (8) + the peer is allowed by the product's device list (4)
 * + the peer is on a device list (2) + required (1); the best is named,
 * catalog order breaking ties, and every candidate that fits as well is
 * credited with the flow (one SNMP poll serves every product documenting
 * 161). A guessed orientation (initiator_inferred) is turned round when
 * only the reverse is expected. Then, in this order:
 * reserved offset -> violation; local-only between two hosts -> violation
 * (same host: by outcome); disabled -> violation; wrong direction -> violation;
 * peer not a listed device -> unexpected; else the outcome decides
 * expected (established, closed, replied, mid-stream, or sent for a one-way
 * service or a multicast group) or blocked (unanswered, rejected,
 * unreachable, a request/response UDP service without reply). A flow that
 * is not expected this way may still be a DCE/RPC dynamic port (epm.c):
 * the exact port the endpoint mapper named, or a dynamic-range port within
 * the window after the control contact; a candidate without its contact
 * yet is held until the contact arrives, expires, or cls_finish. Without any
 * candidate the flow is unexpected. Every non-expected flow is folded into
 * a finding (findings.c); every flow goes to the sink once.
 *
 * cls_finish() settles inferred servers (servers.c), judges held flows,
 * then gives each service its status and the missing findings (a capture
 * filter is checked first, filter.c), the caveats, and sorts the findings
 * worst first. Cost per flow: two table reads, a few candidate scores and,
 * when not expected, one hash lookup in the findings (none for a pair
 * already folded into a scan). The reason is only recorded (what to say,
 * struct cls_reason) and worded by cls_reason_text() when someone reads it:
 * the flow sink, or a finding taking its first reason or a new outcome. So
 * the flows of a scan, or expected flows without a sink, cost no text.
 * Every sentence is worded in words.c; this file only decides.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cls_int.h"

static bool same_host(const struct cap_flow *f)
{
	return memcmp(f->addr_a, f->addr_b, 16) == 0;
}


struct pick {
	int32_t svc;
	int score;       /* see evaluate() */
	bool enabled, dir_ok, dev_ok, listed, required;
	int32_t server;
	bool srv_init;
};

/* Is the peer allowed by the service's device list? *listed: the service
 * has a list and the peer is on it (more specific than no list). */
static bool peer_is_device(const struct cls *c, int32_t svc, uint8_t family,
                           const uint8_t *peer, bool *listed)
{
	*listed = false;
	if (!c->devs[svc])
		return true;
	*listed = cls_devidx_match(c->dix[svc], family, peer, NULL, NULL) > 0;
	return *listed;
}

static void evaluate(const struct cls *c, int32_t svc, const struct cap_flow *f,
                     int32_t sa, int32_t sb, struct pick *p)
{
	const struct cat_service *s = &c->cat->services[svc];
	p->svc = svc;
	p->enabled = s->enabled;
	p->dir_ok = false;
	p->server = sb >= 0 ? sb : sa;
	p->srv_init = sb < 0;
	switch (s->dir) {
	case CAT_DIR_INBOUND:
		p->dir_ok = sb >= 0;
		break;
	case CAT_DIR_OUTBOUND:
		if (sa >= 0) {
			p->dir_ok = true;
			p->server = sa;
			p->srv_init = true;
		}
		break;
	case CAT_DIR_BOTH:
		p->dir_ok = true;
		break;
	case CAT_DIR_INTERNAL:
		/* Between the product's own hosts. Which hosts those are is
		 * known only from the profile's device list, which the device
		 * rule below checks; a server sending to a multicast group
		 * (discovery) is the initiator. */
		p->dir_ok = true;
		if (sa >= 0 && sb < 0 &&
		    cls_is_multicast(f->family, f->addr_b))
			p->srv_init = true;
		break;
	case CAT_DIR_LOCAL:
	case CAT_DIR_RESERVED:
		p->dir_ok = true;
		break;
	}
	p->listed = false;
	if (sa >= 0 && sb >= 0)
		p->dev_ok = true;
	else
		p->dev_ok = peer_is_device(c, svc, f->family,
		                           p->srv_init ? f->addr_b : f->addr_a,
		                           &p->listed);
	p->required = c->m->required && c->m->required[svc];
	p->score = (p->enabled ? 16 : 0) + (p->dir_ok ? 8 : 0) +
	           (p->dev_ok ? 4 : 0) + (p->listed ? 2 : 0) +
	           (p->required ? 1 : 0);
}

/* A local-only or reserved offset (base+1, base+3, base+5): a base port
 * that puts one on a port another row documents (base 5429: base+3 is
 * PostgreSQL's 5432) is a documented use against "not used", and the use
 * wins a tie, as the rules (catalog/rules.c) allow it. */
static bool off_row(const struct cls *c, int32_t svc)
{
	enum cat_dir d = c->cat->services[svc].dir;
	return d == CAT_DIR_LOCAL || d == CAT_DIR_RESERVED;
}

static bool best_of(const struct cls *c, const uint16_t *list, uint32_t n,
                    const struct cap_flow *f, int32_t sa, int32_t sb,
                    struct pick *best)
{
	bool any = false;
	for (uint32_t i = 0; i < n; i++) {
		struct pick p;
		evaluate(c, list[i], f, sa, sb, &p);
		if (!any || p.score > best->score ||
		    (p.score == best->score && off_row(c, best->svc) &&
		     !off_row(c, p.svc)))
			*best = p;
		any = true;
	}
	return any;
}

/* A TCP flow of resets alone, no SYN and nothing else (a SPAN port's copy
 * of the RST that refused a SYN, whose flow was handed on at once; a late
 * RST after a close): it shows neither that its service works nor that it
 * fails. Judged expected when its service is, it credits the service with
 * nothing: no flow, no attempt, no status (account, attribute). */
static bool reset_only(const struct cap_flow *f)
{
	unsigned fl = (unsigned)f->flags[0] | f->flags[1];
	return f->proto == 6 && f->outcome == CAP_OUT_MIDSTREAM &&
	       (fl & CAP_TH_RST) && !(fl & ~(unsigned)(CAP_TH_RST | CAP_TH_ACK));
}

/* Did the attempt succeed, for this service? */
static bool succeeded(const struct cat_service *s, const struct cap_flow *f)
{
	switch (f->outcome) {
	case CAP_OUT_ESTABLISHED:
	case CAP_OUT_CLOSED:
	case CAP_OUT_REPLIED:
	case CAP_OUT_MIDSTREAM:
		return true;
	case CAP_OUT_ONEWAY:
	case CAP_OUT_UNANSWERED:
		if (f->proto == 6)
			return false;
		if (f->proto == 17 && f->pkts[0] == 0 && f->pkts[1] > 0)
			return true; /* the responder's reply to a request
			              * sent before the capture began */
		return (s && s->oneway) || cls_is_group(f->family, f->addr_b);
	default:
		return false;
	}
}


/* A TCP attempt of which only the initiator's packets were captured, but
 * whose initiator set ACK after its SYN (an ACK, data, a FIN): it got the
 * SYN-ACK, which the capture missed (asymmetric routing, a tap or SPAN
 * port that sees one direction). Its reply went unseen; it was not
 * refused. A SYN, its retransmissions, even a RST, carry no ACK. */
unsigned cls_unsure_of(const struct cap_flow *f)
{
	if (f->reply_unsure)
		return f->reply_unsure;
	if (f->proto == 6 && f->pkts[0] && !f->pkts[1] &&
	    (f->flags[0] & CAP_TH_SYN) && (f->flags[0] & CAP_TH_ACK))
		return CLS_UNSURE_UNSEEN;
	return 0;
}

/* An attempt at a service, within its rules: expected when it succeeded
 * (*ok, W_EXPECTED), blocked when it failed (W_BLOCKED), and expected
 * without *ok when it shows neither: resets alone (W_RESET_ONLY), or no
 * reply where one may have gone unseen (W_UNSURE: the capture's end,
 * sampled records). proves_nothing() tells those apart. */
static enum cls_verdict attempt(const struct cat_service *s,
                                const struct cap_flow *f, bool *ok,
                                enum cls_why *why)
{
	*ok = false;
	if (reset_only(f)) {
		*why = W_RESET_ONLY;
		return CLS_V_EXPECTED;
	}
	if (succeeded(s, f)) {
		*ok = true;
		*why = W_EXPECTED;
		return CLS_V_EXPECTED;
	}
	if (cls_unsure_of(f)) {
		*why = W_UNSURE;
		return CLS_V_EXPECTED;
	}
	*why = W_BLOCKED;
	return CLS_V_BLOCKED;
}

static enum cls_kind kind_of(enum cls_verdict v)
{
	return v == CLS_V_VIOLATION ? CLS_K_VIOLATION :
	       v == CLS_V_BLOCKED ? CLS_K_BLOCKED : CLS_K_UNEXPECTED;
}

/* One flow in a service's or a group's counters: flows and bytes, by
 * verdict, and whether it succeeded. */
static void count_flow(struct cls_service_stat *st, const struct cap_flow *f,
                       enum cls_verdict v, bool ok)
{
	uint64_t b = f->bytes[0] + f->bytes[1];
	st->flows++;
	st->bytes += b;
	if ((unsigned)v < CLS_V_NONE) {
		st->by[v].flows++;
		st->by[v].bytes += b;
	}
	if (ok)
		st->ok_flows++;
}

/* credit: the requirement bits tried with each listed device holding the
 * peer. */
struct mark {
	uint32_t *req; /* this service's dev_req */
	uint32_t bits;
};

static void mark_dev(void *ctx, uint32_t j)
{
	struct mark *m = ctx;
	m->req[j] |= m->bits;
}

/* An attempt at a service (a flow judged expected or blocked for it, its
 * own or through its group): the requirements its port belongs to, and
 * those requirements for the listed device the peer is (every listed
 * entry that holds the peer: a host inside a listed prefix is its
 * member). */
static void credit(struct cls *c, int32_t svc, const struct cap_flow *f,
                   bool ok, bool srv_init)
{
	struct cls_service_stat *st = &c->res.services[svc];
	const struct cat_service *s = &c->cat->services[svc];
	uint32_t bits = 0;
	c->attempts[svc]++;
	for (unsigned r = 0; r < s->nreq && r < 32; r++)
		for (unsigned k = 0; k < s->req[r].nalt; k++)
			if (f->port_b >= s->req[r].alt[k].lo &&
			    f->port_b <= s->req[r].alt[k].hi)
				bits |= 1u << r;
	c->req_tried[svc] |= bits;
	if (ok)
		st->req_seen |= bits;
	if (c->devs[svc]) {
		const uint8_t *peer = srv_init ? f->addr_b : f->addr_a;
		struct mark m = { &c->dev_req[c->dev_off[svc]], bits };
		(void)cls_devidx_match(c->dix[svc], f->family, peer, mark_dev, &m);
	}
}

static bool is_attempt(enum cls_verdict v)
{
	return v == CLS_V_EXPECTED || v == CLS_V_BLOCKED;
}

/* Judged expected without succeeding: resets alone (W_RESET_ONLY), or no
 * reply where one may have gone unseen (W_UNSURE). Such a flow credits
 * its service with nothing: no flow, no attempt, no group. */
static bool proves_nothing(enum cls_verdict v, bool ok)
{
	return v == CLS_V_EXPECTED && !ok;
}

/* A flow attributed to one service. Only an attempt (expected or blocked)
 * counts towards its status and requirements; a flow that breaks its
 * rules (wrong direction, not a listed device, disabled) is counted in
 * its flows and bytes by verdict, and makes it "violated" when that is all
 * it has. */
static void account(struct cls *c, int32_t svc, const struct cap_flow *f,
                    enum cls_verdict v, bool ok, bool srv_init)
{
	if (proves_nothing(v, ok))
		return;
	count_flow(&c->res.services[svc], f, v, ok);
	if (is_attempt(v))
		credit(c, svc, f, ok, srv_init);
}

/* A flow attributed once, to a group: counted in the group; its members
 * learn which group carried their flows, and the required ones are
 * credited with the attempt (so a required row is not missing because its
 * flows fit other rows as well), without counting the flow again. */
static void account_group(struct cls *c, uint32_t g, const struct cap_flow *f,
                          enum cls_verdict v, bool ok, bool srv_init)
{
	struct cls_group *grp = &c->res.groups[g - 1];
	count_flow(&grp->st, f, v, ok);
	for (uint32_t i = 0; i < grp->nmembers; i++) {
		int32_t m = grp->members[i];
		c->res.services[m].group = g;
		if (is_attempt(v) && c->m->required && c->m->required[m]) {
			if (ok)
				c->res.services[m].ok_flows++;
			credit(c, m, f, ok, srv_init);
		}
	}
}

/* A flow matched to a request/response UDP service that got no reply is
 * unanswered, not one-way: one-way is for one-way services (syslog,
 * traps) and multicast or broadcast, as capture could not know. */
static bool unanswered_udp(const struct cls *c, int32_t svc,
                           const struct cap_flow *f)
{
	if (svc < 0 || f->proto != 17 || f->outcome != CAP_OUT_ONEWAY ||
	    f->pkts[0] == 0)
		return false; /* no request: a reply alone is no unanswered one */
	const struct cat_service *s = &c->cat->services[svc];
	return !s->oneway && s->dir != CAT_DIR_LOCAL &&
	       s->dir != CAT_DIR_RESERVED && !succeeded(s, f);
}

static void emit(struct cls *c, const struct cap_flow *f, enum cls_verdict v,
                 int32_t svc, uint32_t group, int32_t server, bool srv_init,
                 struct cls_reason *reason)
{
	struct cls_summary *sm = &c->res.summary;
	struct cap_flow judged;
	if (unanswered_udp(c, svc, f)) {
		judged = *f;
		judged.outcome = CAP_OUT_UNANSWERED;
		f = &judged;
		reason->f = f;
	}
	switch (v) {
	case CLS_V_EXPECTED: sm->expected++; break;
	case CLS_V_UNEXPECTED: sm->unexpected++; break;
	case CLS_V_VIOLATION: sm->violation++; break;
	case CLS_V_BLOCKED: sm->blocked++; break;
	case CLS_V_NONE: sm->other_flows++; break;
	}
	c->flow_ids++;
	if (reason->why == W_UNSURE)
		c->unsure[cls_unsure_of(f) - 1]++;
	if (v != CLS_V_NONE) {
		sm->flows++;
		if (server >= 0 && (uint32_t)server < c->res.nservers)
			c->res.servers[server].by[v]++;
		if (v != CLS_V_EXPECTED)
			cls_finding_add(c, kind_of(v), svc, group, f, server,
			                srv_init, c->flow_ids, reason);
	}
	if (c->opt.sink) {
		struct cls_flow cf = {
			.flow = f, .verdict = v, .outcome = f->outcome,
			.flow_id = c->flow_ids, .group = group,
			.group_id = group && group <= c->res.ngroups ?
			            c->res.groups[group - 1].id : NULL,
			.service = svc, .server = server,
			.server_is_initiator = srv_init,
			.reason = cls_reason_text(reason),
		};
		c->opt.sink(&cf, c->opt.sink_ctx);
	}
}

/* The rows among list[0..n) that fit the flow exactly as well as `best`
 * (the same score, the required bit aside) and would judge it the same
 * way: written to out in list (catalog) order; their number. One SNMP poll
 * fits the SNMP row of every product. */
static uint32_t ties(const struct cls *c, const uint16_t *list, uint32_t n,
                     const struct cap_flow *f, int32_t sa, int32_t sb,
                     const struct pick *best, enum cls_verdict v,
                     uint16_t *out);

/* The attribution of a flow judged v for best among list: the group of the
 * rows that tie with it (1-based), or 0 for best alone; counts the flow. */
static uint32_t attribute(struct cls *c, const uint16_t *list, uint32_t n,
                          const struct cap_flow *f, int32_t sa, int32_t sb,
                          const struct pick *best, enum cls_verdict v,
                          bool ok, struct cls_reason *reason)
{
	uint16_t tie[CLS_TIE_MAX];
	uint32_t nt = ties(c, list, n, f, sa, sb, best, v, tie);
	uint32_t g = nt > 1 ? cls_group_get(c, tie, nt, f) : 0;
	if (proves_nothing(v, ok)) {
		/* named as any flow of its port is (the group of a tie), but
		 * credited to nothing */
		if (g)
			reason->g = &c->res.groups[g - 1];
		return g;
	}
	if (g) {
		account_group(c, g, f, v, ok, best->srv_init);
		reason->g = &c->res.groups[g - 1];
	} else {
		account(c, best->svc, f, v, ok, best->srv_init);
	}
	return g;
}

/* The static verdict of a flow for its best candidate; the reason is only
 * recorded (r->why), to be worded if someone reads it. */
static enum cls_verdict judge_static(const struct cls *c,
                                     const struct cap_flow *f,
                                     const struct pick *p,
                                     struct cls_reason *r, bool *ok)
{
	const struct cat_service *s = &c->cat->services[p->svc];
	*ok = false;
	r->s = s;
	r->srv_init = p->srv_init;
	if (s->dir == CAT_DIR_RESERVED) {
		r->why = W_RESERVED;
		return CLS_V_VIOLATION;
	}
	if (s->dir == CAT_DIR_LOCAL) {
		if (same_host(f)) {
			enum cls_verdict v = attempt(s, f, ok, &r->why);
			if (r->why == W_EXPECTED)
				r->why = W_LOCAL_OK;
			return v;
		}
		r->why = W_LOCAL_CROSS;
		return CLS_V_VIOLATION;
	}
	if (!s->enabled) {
		r->why = W_DISABLED;
		return CLS_V_VIOLATION;
	}
	if (!p->dir_ok) {
		r->why = s->dir == CAT_DIR_OUTBOUND ? W_WRONG_OUT : W_WRONG_IN;
		return CLS_V_VIOLATION;
	}
	if (!p->dev_ok) {
		/* (internal services: the product's hosts are its devices) */
		r->why = W_NOT_DEVICE;
		return CLS_V_UNEXPECTED;
	}
	return attempt(s, f, ok, &r->why);
}

static uint32_t ties(const struct cls *c, const uint16_t *list, uint32_t n,
                     const struct cap_flow *f, int32_t sa, int32_t sb,
                     const struct pick *best, enum cls_verdict v,
                     uint16_t *out)
{
	const struct cat_service *bs = &c->cat->services[best->svc];
	uint32_t k = 0;
	if (bs->dir == CAT_DIR_LOCAL || bs->dir == CAT_DIR_RESERVED)
		n = 0; /* a base offset is one row of its own */
	for (uint32_t i = 0; i < n && k < CLS_TIE_MAX; i++) {
		if (list[i] == best->svc) {
			out[k++] = list[i];
			continue;
		}
		const struct cat_service *s = &c->cat->services[list[i]];
		if (s->dir == CAT_DIR_LOCAL || s->dir == CAT_DIR_RESERVED)
			continue;
		struct pick p;
		struct cls_reason r;
		bool ok;
		evaluate(c, list[i], f, sa, sb, &p);
		if ((p.score >> 1) == (best->score >> 1) &&
		    p.srv_init == best->srv_init &&
		    judge_static(c, f, &p, &r, &ok) == v)
			out[k++] = list[i];
	}
	if (!k)
		out[k++] = (uint16_t)best->svc;
	return k;
}

/* The same for a dynamic-port flow: the dynamic rows that fit as well
 * (enabled, direction) and would judge it the same way. */
static enum cls_verdict dyn_verdict(const struct cat_service *s,
                                    const struct cap_flow *f)
{
	bool ok;
	enum cls_why why;
	return s->enabled ? attempt(s, f, &ok, &why) : CLS_V_VIOLATION;
}

static uint32_t dyn_ties(const struct cls *c, const uint16_t *list,
                         uint32_t n, const struct cap_flow *f, int32_t sa,
                         int32_t sb, const struct pick *best,
                         enum cls_verdict v, uint16_t *out)
{
	uint32_t k = 0;
	bool in_list = false;
	for (uint32_t i = 0; i < n && k < CLS_TIE_MAX; i++) {
		struct pick p;
		evaluate(c, list[i], f, sa, sb, &p);
		if (list[i] == best->svc)
			in_list = true;
		if (list[i] == best->svc ||
		    ((p.score >> 1) == (best->score >> 1) &&
		     p.srv_init == best->srv_init &&
		     dyn_verdict(&c->cat->services[list[i]], f) == v))
			out[k++] = list[i];
	}
	if (!in_list) { /* the port the endpoint mapper named: its row alone */
		out[0] = (uint16_t)best->svc;
		k = 1;
	}
	return k;
}

/* What every host on a link sends for the link to work, not for a
 * service: ICMPv6 router and neighbour discovery (RS, RA, NS, NA,
 * redirect, inverse ND, SEND, multicast router discovery), multicast
 * listener queries and reports (MLD, MLDv2), and IGMP. IPv6 stops working
 * without them, so `portaudit rules` lets them through; judging them
 * would make every IPv6 capture non-compliant. */
static bool link_infrastructure(const struct cap_flow *f)
{
	if (f->proto == 2)
		return true; /* IGMP */
	if (f->proto != 58)
		return false;
	unsigned type = (unsigned)f->port_b >> 8;
	return (type >= 130 && type <= 137) || type == 141 || type == 142 ||
	       type == 143 || type == 148 || type == 149 ||
	       (type >= 151 && type <= 153);
}

/* Server and peer of a flow for the dynamic-port rule. */
static void srv_peer(const struct cap_flow *f, int32_t sa, int32_t sb,
                     const uint8_t **srv, const uint8_t **peer)
{
	bool a = sa >= 0; /* both servers: the initiator */
	(void)sb;
	*srv = a ? f->addr_a : f->addr_b;
	*peer = a ? f->addr_b : f->addr_a;
}

/* Would the static rules call this orientation of the flow expected? */
static bool static_expected(struct cls *c, const struct cap_flow *f,
                            int32_t sa, int32_t sb)
{
	const uint16_t *list;
	uint32_t n = cls_candidates(c, f->proto, f->port_b, false, &list);
	struct pick best;
	struct cls_reason r;
	bool ok;
	return best_of(c, list, n, f, sa, sb, &best) &&
	       judge_static(c, f, &best, &r, &ok) == CLS_V_EXPECTED;
}

/* The flow seen the other way round: initiator and responder swapped. */
static void swap_flow(struct cap_flow *d, const struct cap_flow *f)
{
	*d = *f;
	memcpy(d->addr_a, f->addr_b, 16);
	memcpy(d->addr_b, f->addr_a, 16);
	d->port_a = f->port_b;
	d->port_b = f->port_a;
	d->flags[0] = f->flags[1];
	d->flags[1] = f->flags[0];
	d->pkts[0] = f->pkts[1];
	d->pkts[1] = f->pkts[0];
	d->bytes[0] = f->bytes[1];
	d->bytes[1] = f->bytes[0];
}

void cls_judge(struct cls *c, const struct cap_flow *f, bool allow_hold)
{
	int32_t sa = cls_server_of(c, f->family, f->addr_a);
	int32_t sb = cls_server_of(c, f->family, f->addr_b);
	struct cls_reason reason;
	reason.c = c;
	reason.s = NULL;
	reason.g = NULL;
	reason.text = NULL;
	if (sa < 0 && sb < 0) {
		reason.f = f;
		reason.why = W_FIXED;
		reason.text = "No monitored server is involved.";
		emit(c, f, CLS_V_NONE, -1, 0, -1, false, &reason);
		return;
	}
	if (link_infrastructure(f)) {
		reason.f = f;
		reason.why = W_FIXED;
		reason.text = "Link infrastructure (IPv6 neighbour or router "
		              "discovery, multicast listener reports, IGMP): no "
		              "service, not judged.";
		emit(c, f, CLS_V_NONE, -1, 0, -1, false, &reason);
		return;
	}
	/* Capture guessed who initiated (no SYN seen, or UDP with service
	 * ports on both sides): when only the other way round is a flow the
	 * model expects, that is the better guess -- unless it would make a
	 * multicast or broadcast address the initiator, which it never is. */
	struct cap_flow swapped;
	bool b_group = cls_is_group(f->family, f->addr_b);
	if (f->initiator_inferred && (f->proto == 6 || f->proto == 17) &&
	    !b_group && !static_expected(c, f, sa, sb)) {
		swap_flow(&swapped, f);
		if (static_expected(c, &swapped, sb, sa)) {
			f = &swapped;
			int32_t t = sa;
			sa = sb;
			sb = t;
		}
	}
	reason.f = f;
	reason.a_srv = sa >= 0;
	reason.b_srv = sb >= 0;
	int32_t server = sb >= 0 ? sb : sa;
	bool srv_init = sb < 0;
	reason.srv_init = srv_init;
	if (f->proto != 6 && f->proto != 17) {
		reason.why = W_NOT_L4;
		emit(c, f, CLS_V_UNEXPECTED, -1, 0, server, srv_init, &reason);
		return;
	}

	const uint16_t *list;
	uint32_t n = cls_candidates(c, f->proto, f->port_b, false, &list);
	struct pick best;
	enum cls_verdict v = CLS_V_UNEXPECTED;
	bool ok = false, have = best_of(c, list, n, f, sa, sb, &best);
	if (have) {
		v = judge_static(c, f, &best, &reason, &ok);
		server = best.server;
		srv_init = best.srv_init;
	}

	/* A control-port contact (TCP 135): remember it for dynamic ports. */
	int32_t ctrl_svc = -1;
	if (f->proto == 6 && c->ctrl && have) {
		struct pick cp = { .svc = -1 };
		bool found = false;
		for (uint32_t i = 0; i < n; i++) {
			const struct cat_service *s = &c->cat->services[list[i]];
			if (!s->has_dynamic || s->control != f->port_b)
				continue;
			struct pick p;
			evaluate(c, list[i], f, sa, sb, &p);
			if (!found || p.score > cp.score)
				cp = p;
			found = true;
		}
		/* (an attempt whose SYN-ACK went uncaptured got through) */
		if (found && f->outcome != CAP_OUT_REJECTED &&
		    (f->outcome != CAP_OUT_UNANSWERED ||
		     cls_unsure_of(f) == CLS_UNSURE_UNSEEN) &&
		    f->outcome != CAP_OUT_UNREACHABLE)
			ctrl_svc = cp.svc;
	}

	if (v != CLS_V_EXPECTED && c->ctrl && !same_host(f)) {
		const uint8_t *srv, *peer;
		srv_peer(f, sa, sb, &srv, &peer);
		const uint16_t *dl;
		uint32_t dn = cls_candidates(c, f->proto, f->port_b, true, &dl);
		bool by_epm = false;
		int32_t d = f->proto == 6 ?
		            cls_epm_lookup(c, f, srv, peer, &by_epm) : -1;
		struct pick dp;
		bool dyn = false;
		if (d >= 0) {
			/* The service whose control contact opened the port,
			 * when its range holds the port or the endpoint mapper
			 * named it; else the best dynamic row of this port (a
			 * peer that is a device of two products). Either must
			 * take this peer: a contact does not make a port
			 * expected for a service whose devices the peer is not
			 * one of. */
			bool in_range = by_epm;
			for (uint32_t i = 0; i < dn && !in_range; i++)
				in_range = dl[i] == d;
			if (in_range) {
				evaluate(c, d, f, sa, sb, &dp);
				dyn = dp.dir_ok && dp.dev_ok;
			}
			if (!dyn && best_of(c, dl, dn, f, sa, sb, &dp) &&
			    dp.enabled && dp.dir_ok && dp.dev_ok)
				dyn = true;
		} else if (dn && allow_hold && !c->finished) {
			struct pick hp;
			if (best_of(c, dl, dn, f, sa, sb, &hp) && hp.enabled &&
			    hp.dir_ok && cls_epm_hold(c, f))
				return;
		}
		if (dyn) {
			const struct cat_service *s = &c->cat->services[dp.svc];
			server = dp.server;
			srv_init = dp.srv_init;
			reason.s = s;
			reason.srv_init = srv_init;
			if (!s->enabled) {
				v = CLS_V_VIOLATION;
				reason.why = W_DYN_DISABLED;
			} else {
				v = attempt(s, f, &ok, &reason.why);
				if (reason.why == W_EXPECTED)
					reason.why = by_epm ? W_DYN_EPM : W_DYN_WINDOW;
			}
			uint16_t tie[CLS_TIE_MAX];
			uint32_t nt = proves_nothing(v, ok) ? 0 :
			              dyn_ties(c, dl, dn, f, sa, sb, &dp, v, tie);
			uint32_t g = nt > 1 ? cls_group_get(c, tie, nt, f) : 0;
			if (g) {
				account_group(c, g, f, v, ok, srv_init);
				reason.g = &c->res.groups[g - 1];
			} else {
				account(c, dp.svc, f, v, ok, srv_init);
			}
			emit(c, f, v, dp.svc, g, server, srv_init, &reason);
			return;
		}
	}

	if (!have) {
		reason.why = W_NO_SERVICE;
		reason.srv_init = srv_init;
		emit(c, f, CLS_V_UNEXPECTED, -1, 0, server, srv_init, &reason);
		return;
	}
	/* Rows that fit the flow exactly as well (SNMP 161 of several
	 * products) share it as a group: counted once (groups.c). */
	uint32_t g = attribute(c, list, n, f, sa, sb, &best, v, ok, &reason);
	emit(c, f, v, best.svc, g, server, srv_init, &reason);
	if (ctrl_svc >= 0) {
		const uint8_t *srv, *peer;
		srv_peer(f, sa, sb, &srv, &peer);
		cls_epm_control(c, f, ctrl_svc, srv, peer);
	}
}

/* ---- lifecycle ------------------------------------------------------ */

struct cls *cls_new(const struct cat_model *m, const struct cls_options *o)
{
	if (!m || !m->cat)
		return NULL;
	struct cls *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->m = m;
	c->cat = m->cat;
	if (o)
		c->opt = *o;
	c->res.filter = c->opt.filter && *c->opt.filter ? c->opt.filter : NULL;
	c->nsvc = m->cat->nservices;
	c->window_ns = (uint64_t)(c->opt.dynamic_window_s ?
	                          c->opt.dynamic_window_s : 120) * 1000000000ull;
	c->max_findings = c->opt.max_findings ? c->opt.max_findings :
	                  CLS_DEFAULT_MAX_FINDINGS;
	cap_random(&c->seed, sizeof c->seed);
	c->ffree = -1;
	size_t ns = c->nsvc ? c->nsvc : 1;
	c->res.services = calloc(ns, sizeof *c->res.services);
	c->devs = calloc(ns, sizeof *c->devs);
	c->dix = calloc(ns, sizeof *c->dix);
	c->dev_off = calloc(ns, sizeof *c->dev_off);
	c->req_tried = calloc(ns, sizeof *c->req_tried);
	c->attempts = calloc(ns, sizeof *c->attempts);
	if (!c->res.services || !c->devs || !c->dix || !c->dev_off ||
	    !c->req_tried || !c->attempts)
		goto fail;

	/* Listed devices, per service of a product that lists them. */
	const struct cat_profile *prof = m->prof;
	uint32_t ndev = 0;
	if (prof && prof->has_products && prof->nproducts) {
		c->didx = calloc(prof->nproducts, sizeof *c->didx);
		if (!c->didx)
			goto fail;
		c->ndidx = prof->nproducts;
		for (uint32_t k = 0; k < prof->nproducts; k++)
			if (prof->products[k].ndevices > 0 &&
			    cls_devidx_build(&c->didx[k], &prof->products[k]) != 0)
				goto fail;
		for (uint32_t i = 0; i < c->nsvc; i++)
			for (uint32_t k = 0; k < prof->nproducts; k++) {
				const struct cat_profile_product *pp =
					&prof->products[k];
				if (pp->product == c->cat->services[i].product &&
				    pp->ndevices > 0) {
					c->devs[i] = pp;
					c->dix[i] = &c->didx[k];
					c->dev_off[i] = ndev;
					ndev += pp->ndevices;
					break;
				}
			}
	}
	c->dev_req = calloc(ndev ? ndev : 1, sizeof *c->dev_req);
	if (!c->dev_req)
		goto fail;

	if (cls_tables_build(c) != 0 || cls_findings_init(c) != 0 ||
	    cls_epm_init(c) != 0 || cls_groups_init(c) != 0)
		goto fail;
	c->filter = cls_filter_new(c->opt.filter);

	if (c->opt.servers && c->opt.nservers) {
		if (cls_servers_given(c, c->opt.servers, c->opt.nservers) != 0)
			goto fail;
		uint32_t n = c->res.nservers;
		c->servers_known = c->given = true;
		const char *how = c->opt.servers[0].how;
		if (strncmp(how, "profile", 7) == 0)
			cls_fmt(c->res.servers_how, sizeof c->res.servers_how,
			         "The %u server address(es) of the %s.", n, how);
		else
			cls_fmt(c->res.servers_how, sizeof c->res.servers_how,
			         "The %u server address(es) given with %s.", n,
			         how[0] ? how : "--server");
	}
	return c;
fail:
	cls_free(c);
	return NULL;
}

void cls_status(void *ctx, char *buf, size_t len)
{
	struct cls *c = ctx;
	uint64_t n = atomic_load_explicit(&c->found, memory_order_relaxed);
	cls_fmt(buf, len, "%llu finding%s so far", (unsigned long long)n,
	        n == 1 ? "" : "s");
}

void cls_flow(const struct cap_flow *f, void *ctx)
{
	struct cls *c = ctx;
	if (!c || !f || c->finished)
		return;
	if (f->proto == 6) {
		/* One side only: packets one way (a responder's SYN-ACK and
		 * FIN alone make a "closed" flow of one side), or none either
		 * way counted and no answer in its state (a Zeek log without
		 * packet counts). */
		c->tcp_flows++;
		if ((!f->pkts[0] != !f->pkts[1]) ||
		    (!f->pkts[0] && !f->pkts[1] &&
		     f->outcome != CAP_OUT_ESTABLISHED &&
		     f->outcome != CAP_OUT_CLOSED &&
		     f->outcome != CAP_OUT_REJECTED))
			c->tcp_oneside++;
	} else if (f->pkts[0] && f->pkts[1]) {
		c->other_twoway++;
	}
	if (f->last_ns > c->now_ns)
		c->now_ns = f->last_ns;
	cls_flow_classify(c, f);
	if (c->npending)
		cls_epm_expire(c);
}

__attribute__((format(printf, 2, 3)))
static void caveat(struct cls *c, const char *fmt, ...)
{
	if (c->res.ncaveats >= sizeof c->res.caveats / sizeof c->res.caveats[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->res.caveats[c->res.ncaveats++],
	          sizeof c->res.caveats[0], fmt, ap);
	va_end(ap);
}

/* Could the capture have seen this part (a requirement's alternatives,
 * with a listed device or any peer)? Only a capture filter can hide it:
 * every alternative must pass the filter (filter.c) for "missing" to be
 * sound. */
static enum cls_filter_answer part_visible(const struct cls *c,
                                           const struct cat_service *s,
                                           const struct cat_req *q,
                                           const struct cat_prefix *dev)
{
	if (!c->opt.filter || !*c->opt.filter)
		return CLS_FILTER_PASSES;
	if (!c->filter || s->proto == CAT_PROTO_NONE)
		return CLS_FILTER_UNKNOWN;
	static const uint8_t doc4[16] = { 192, 0, 2, 1 };
	static const uint8_t doc6[16] = { 0x20, 0x01, 0x0d, 0xb2, 0, 0, 0, 0,
	                                  0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t srv4[16] = { 192, 0, 2, 2 };
	uint8_t fam = dev ? dev->family : 0;
	const uint8_t *srv = NULL;
	for (uint32_t k = 0; k < c->res.nservers && !srv; k++)
		if (!fam || c->res.servers[k].family == fam) {
			srv = c->res.servers[k].addr;
			fam = c->res.servers[k].family;
		}
	if (!srv) {
		if (fam == 6)
			return CLS_FILTER_UNKNOWN;
		srv = srv4;
		fam = 4;
	}
	const uint8_t *peer = dev ? dev->addr : fam == 4 ? doc4 : doc6;
	bool out = s->dir == CAT_DIR_OUTBOUND;
	for (unsigned k = 0; k < q->nalt; k++) {
		enum cls_filter_answer a =
			cls_filter_test(c->filter, fam, (uint8_t)s->proto,
			                out ? srv : peer, out ? peer : srv, 40000,
			                q->alt[k].lo);
		if (a != CLS_FILTER_PASSES)
			return a;
	}
	return CLS_FILTER_PASSES;
}

struct parts {
	unsigned missing;   /* never seen, and the capture could have */
	unsigned hidden;    /* never seen, and the filter may hide it */
	bool excluded;      /* the filter surely drops one */
};

/* The listed entry a device belongs to: the first other entry of the
 * list that holds it (a host inside a listed prefix is that prefix's
 * member), or j itself. */

/* One missing part: counted, and its finding made when `make`. */
static void missing_part(struct cls *c, uint32_t i, unsigned r,
                         const struct cat_prefix *dev,
                         const struct cat_profile_product *pp,
                         const uint32_t *owner, uint32_t j,
                         bool make, struct parts *n)
{
	const struct cat_service *s = &c->cat->services[i];
	enum cls_filter_answer a = part_visible(c, s, &s->req[r], dev);
	if (a != CLS_FILTER_PASSES) {
		n->hidden++;
		n->excluded |= a == CLS_FILTER_EXCLUDES;
		return;
	}
	n->missing++;
	if (!make)
		return;
	char why[300];
	if (!dev) {
		cls_words_missing(why, sizeof why, s, &s->req[r], NULL, NULL, 0);
		cls_finding_missing(c, (int32_t)i, 0, NULL, 0,
		                    s->req[r].alt[0].lo, why);
		return;
	}
	/* The listed hosts inside this prefix are silent with it. */
	const struct cat_prefix *in[8];
	unsigned nin = 0;
	for (uint32_t k = 0; k < pp->ndevices && nin < 8; k++)
		if (k != j && owner[k] == j)
			in[nin++] = &pp->devices[k];
	cls_words_missing(why, sizeof why, s, &s->req[r], dev, in, nin);
	uint8_t host = dev->family == 4 ? 32 : 128;
	cls_finding_missing(c, (int32_t)i, dev->family, dev->addr,
	                    dev->len < host ? dev->len : 0,
	                    s->req[r].alt[0].lo, why);
}

/* The parts of a required service that no flow attempted: each of its
 * requirements (a set of alternatives each), and when the profile lists
 * the product's devices, each requirement for each listed device. A host
 * listed inside a listed prefix is the prefix's member: one finding for
 * the prefix when no host of it was seen (naming the listed ones inside),
 * one for the host when others of its prefix were seen but not it.
 * Counts them, and makes their missing findings when `make`. */
static struct parts missing_parts(struct cls *c, uint32_t i, bool make)
{
	const struct cat_service *s = &c->cat->services[i];
	struct parts n = { 0, 0, false };
	unsigned nreq = s->nreq < 32 ? s->nreq : 32;
	const struct cat_profile_product *pp = c->devs[i];
	for (unsigned r = 0; r < nreq; r++) {
		uint32_t bit = 1u << r;
		if (!pp) {
			if (!(c->req_tried[i] & bit))
				missing_part(c, i, r, NULL, NULL, NULL, 0, make,
				             &n);
			continue;
		}
		const uint32_t *owner = c->dix[i]->owner;
		for (uint32_t j = 0; j < pp->ndevices; j++) {
			const uint32_t *seen = &c->dev_req[c->dev_off[i]];
			uint32_t k = owner[j];
			if (seen[j] & bit)
				continue;
			if (k != j && !(seen[k] & bit))
				continue; /* silent with its prefix: one finding */
			missing_part(c, i, r, &pp->devices[j], pp, owner, j, make,
			             &n);
		}
	}
	return n;
}

/* Status, caveat and missing findings of one service. Nothing is
 * missing from an audit that checked nothing (cls_decide: not audited). */
static void settle_service(struct cls *c, uint32_t i, bool one_side,
                           bool audited)
{
	const struct cat_service *s = &c->cat->services[i];
	struct cls_service_stat *st = &c->res.services[i];
	bool required = c->m->required && c->m->required[i];
	if (!s->enabled) {
		st->status = CLS_S_DISABLED;
		return;
	}
	if (s->dir == CAT_DIR_LOCAL || s->dir == CAT_DIR_RESERVED) {
		/* Seen on its host: observed; across the wire or at a
		 * reserved offset: violated. */
		st->status = st->ok_flows ? CLS_S_OBSERVED :
		             st->by[CLS_V_BLOCKED].flows ? CLS_S_BLOCKED :
		             st->flows ? CLS_S_VIOLATED : CLS_S_NOT_SEEN;
		return;
	}
	struct parts n = { 0, 0, false };
	if (required && audited && !c->sampled)
		n = missing_parts(c, i, false);
	if (st->ok_flows)
		st->status = CLS_S_OBSERVED;
	else if (c->attempts[i])
		st->status = CLS_S_BLOCKED;
	else if (st->flows)
		st->status = CLS_S_VIOLATED; /* its flows broke its rules */
	else
		st->status = n.missing ? CLS_S_MISSING : CLS_S_NOT_SEEN;
	if (n.missing) {
		if (st->status == CLS_S_OBSERVED)
			st->status = CLS_S_MISSING;
		missing_parts(c, i, true);
	}
	if (n.hidden) {
		/* Not observable: the filter drops (or may drop) it. */
		char ports[96];
		cat_service_ports_format(s, ports, sizeof ports);
		cls_fmt(st->caveat, sizeof st->caveat, "The capture filter %s "
		        "%s %s, so it is not reported missing.",
		        n.excluded ? "excludes" : "may exclude",
		        s->proto == CAT_PROTO_UDP ? "UDP" : "TCP", ports);
	} else if (required && audited && c->sampled && !st->ok_flows) {
		cls_fmt(st->caveat, sizeof st->caveat, "The records are "
		        "sampled: a flow of it may not have been, so it is not "
		        "reported missing.");
	} else if (n.missing && c->dropped_pkts) {
		cls_fmt(st->caveat, sizeof st->caveat, "Packets were dropped "
		        "during the capture: a flow of it may have been lost.");
	} else if ((n.missing || st->status == CLS_S_BLOCKED) && one_side) {
		cls_fmt(st->caveat, sizeof st->caveat, "Only one direction of "
		        "traffic was captured: replies may have gone unseen.");
	}
}

/* Flow records instead of packets (--flows, --collect): what they cannot
 * show (docs/classify.md, "Caveats"). */
static void flow_caveats(struct cls *c, const struct cap_stats *st)
{
	const struct cap_rec_stats *rs = &st->rec;
	/* Each under the 200 bytes of a caveat, numbers at their widest. */
	const char *kind = st->kind == CAP_SRC_ZEEK ? "Zeek" : st->kind ==
	                   CAP_SRC_NFDUMP ? "nfdump" : "NetFlow/IPFIX";
	if (rs->sampling == CAP_SAMPLING_UNKNOWN)
		caveat(c, "The flow records were sampled, at a rate they do not "
		       "state: short flows may be missing altogether and an "
		       "answer may go unsampled, so missing and unanswered are "
		       "not observable.");
	else if (rs->sampling > 1)
		caveat(c, "%s 1 in %u packets%s: short flows may be missing "
		       "altogether and an answer may go unsampled, so missing "
		       "and unanswered are not observable.",
		       st->kind == CAP_SRC_ZEEK ? "The records were sampled" :
		       "The exporters sampled", (unsigned)rs->sampling,
		       st->kind == CAP_SRC_ZEEK ? " (--sampling)" : "");
	caveat(c, "Audited from %s records, not packets: bytes are layer 3, "
	       "times are the exporter's (clock, resolution), no payload: a "
	       "dynamic DCE/RPC port is tied to its mapper by time alone.",
	       kind);
	if (rs->initiators_guessed)
		caveat(c, st->kind == CAP_SRC_ZEEK ?
		       "Some initiators were guessed: Zeek saw no handshake for "
		       "them (a history without S), so the port model and the "
		       "lower port chose." :
		       "Some initiators were guessed: a uniflow record without "
		       "a SYN (or a biflow without biflowDirection) does not say "
		       "who opened the flow, so the port model and the lower "
		       "port chose.");
	if (rs->unreachable_inferred)
		caveat(c, "Some flows are unreachable by inference: an ICMP "
		       "unreachable record sent to their initiator close in time "
		       "(a flow record quotes no header, so hosts and time "
		       "match it).");
	if (rs->biflow_flags_guessed)
		caveat(c, "TCP biflows read through nfdump carry one flags field "
		       "(nfcapd 1.7.1 keeps the reverse side's): their outcomes "
		       "were reconstructed, and a one-way biflow is midstream.");
	if (rs->missed_bytes)
		caveat(c, "Zeek reported missed bytes (capture loss at its "
		       "sensor): some connections may be incomplete.");
	uint64_t lost = rs->malformed + rs->evicted + rs->templates_missing +
	                rs->sequence_gaps + rs->exporters_full;
	if (lost)
		caveat(c, "Flow records were lost or cut short: %llu malformed, "
		       "%llu judged early (table full), %llu without template, "
		       "%llu sequence gaps, %llu datagrams from exporters past "
		       "the exporter table.",
		       (unsigned long long)rs->malformed,
		       (unsigned long long)rs->evicted,
		       (unsigned long long)rs->templates_missing,
		       (unsigned long long)rs->sequence_gaps,
		       (unsigned long long)rs->exporters_full);
}

const struct cls_result *cls_finish(struct cls *c, const struct cap_stats *st)
{
	if (!c)
		return NULL;
	if (c->finished)
		return &c->res;
	if (!c->servers_known)
		cls_infer_servers(c, st);
	cls_epm_flush(c);
	c->finished = true;
	c->dropped_pkts = st && st->has_dropped ? st->dropped : 0;
	/* Sampled records: a short flow may be missing altogether, so no
	 * required service is reported missing (each says why). */
	c->sampled = st && st->kind != CAP_SRC_PACKETS && st->rec.sampling > 1;

	bool one_side = c->tcp_flows > 0 && c->tcp_oneside == c->tcp_flows &&
	                c->other_twoway == 0;
	/* (An --interval may judge flows whose packets came before it.) */
	bool audited = st && (st->packets || st->flows) && c->res.nservers &&
	               c->res.summary.flows;
	for (uint32_t i = 0; i < c->nsvc; i++)
		settle_service(c, i, one_side, audited);
	for (uint32_t g = 0; g < c->res.ngroups; g++) {
		struct cls_service_stat *gs = &c->res.groups[g].st;
		gs->status = gs->ok_flows ? CLS_S_OBSERVED :
		             gs->by[CLS_V_BLOCKED].flows ? CLS_S_BLOCKED :
		             gs->flows ? CLS_S_VIOLATED : CLS_S_NOT_SEEN;
		if (gs->status == CLS_S_BLOCKED && one_side)
			cls_fmt(gs->caveat, sizeof gs->caveat, "Only one "
			        "direction of traffic was captured: replies may "
			        "have gone unseen.");
	}

	if (c->given_over)
		caveat(c, "Only the first %u of the %u servers given are "
		       "audited: at most %u servers can be.",
		       (unsigned)(c->opt.nservers - c->given_over),
		       (unsigned)c->opt.nservers, CLS_MAX_SERVERS);
	if (c->infer_over)
		caveat(c, "%llu base-port connections (or interface addresses) "
		       "of hosts past the first %u servers inferred were not "
		       "taken as servers: at most %u servers can be%s, so those "
		       "hosts' flows were not judged.",
		       (unsigned long long)c->infer_over,
		       (unsigned)c->res.nservers, CLS_MAX_SERVERS,
		       c->servers_nomem ? " (and memory ran out)" : "");
	else if (c->servers_nomem)
		caveat(c, "Some servers could not be kept (out of memory): "
		       "their flows were not judged.");
	if (c->dropped_pkts)
		caveat(c, "%llu packets were dropped during the capture: flows "
		       "may be missing from this report.",
		       (unsigned long long)c->dropped_pkts);
	if (st && st->stopped[0]) {
		char t[40] = "";
		if (st->last_ns) {
			time_t sec = (time_t)(st->last_ns / 1000000000u);
			struct tm tm;
			gmtime_r(&sec, &tm);
			strftime(t, sizeof t, " after %Y-%m-%dT%H:%M:%SZ", &tm);
		}
		caveat(c, "The capture failed and stopped early%s (%.60s): "
		       "traffic after that was not seen, so flows may be "
		       "missing from this report.", t, st->stopped);
	}
	if (c->unsure[0])
		caveat(c, "%llu attempt(s) had no reply yet when the capture "
		       "ended, less than 1 s after they began: not judged "
		       "blocked, since a reply may have come after.",
		       (unsigned long long)c->unsure[0]);
	if (c->unsure[1])
		caveat(c, "%llu attempt(s) without a sampled reply were not "
		       "judged blocked: under sampling, a reply may go "
		       "unsampled.", (unsigned long long)c->unsure[1]);
	if (c->unsure[2])
		caveat(c, "%llu TCP attempt(s) had their replies go uncaptured: "
		       "the initiator acknowledged a SYN-ACK the capture never "
		       "saw (asymmetric routing, a tap or SPAN port that sees "
		       "one direction), so they were not judged blocked, nor "
		       "counted as working.", (unsigned long long)c->unsure[2]);
	if (st && st->unread[0])
		caveat(c, "A %s was not read whole (%s): flows of what was "
		       "not read are missing from this report.",
		       st->kind == CAP_SRC_PACKETS ? "capture file" :
		       "flow-record source", st->unread);
	if (st && st->truncated && st->kind == CAP_SRC_PACKETS)
		caveat(c, "A capture file ended inside a packet record (cut "
		       "short or damaged): nothing after it was read, so flows "
		       "may be missing from this report.");
	if (one_side)
		caveat(c, "Every TCP flow has packets in one direction only: the "
		       "capture sees one side of the traffic, so unanswered and "
		       "missing may be wrong.");
	if (c->opt.filter && *c->opt.filter)
		caveat(c, "The capture filter '%.80s' limits what was seen: "
		       "required services it excludes are not-seen, not "
		       "missing.", c->opt.filter);
	if (c->buf.dropped)
		caveat(c, "%llu flows arrived after the %u flows held while the "
		       "servers were inferred and were not judged.",
		       (unsigned long long)c->buf.dropped, CLS_BUFFER_MAX);
	if (c->settled_early)
		caveat(c, "The servers were inferred from the first %u flows, "
		       "when the buffer that holds flows meanwhile was full.",
		       c->settled_early);
	if (c->approx_peers || c->approx_ports || c->approx_dropped)
		caveat(c, "Counts are upper bounds: %llu flood, %llu scan and "
		       "%llu dropped-finding flows were counted unchecked when "
		       "their sets (%u peers, %u scanners, %u keys) were full.",
		       (unsigned long long)c->approx_peers,
		       (unsigned long long)c->approx_ports,
		       (unsigned long long)c->approx_dropped, CLS_PEERSET / 2,
		       CLS_SCAN_BITMAPS, CLS_DROPPED_KEYS / 2);
	if (c->ctrl_evicted)
		caveat(c, "%llu control-port contacts were forgotten, the least "
		       "recently seen, when %u were held; dynamic-port flows "
		       "of those pairs may be judged without them.",
		       (unsigned long long)c->ctrl_evicted, CLS_CTRL_MAX);
	if (st && st->evicted)
		caveat(c, "%llu flows were ended early because the flow table "
		       "was full (%u flows): a long flow may be split in several "
		       "and its outcome may be wrong; a flood is the usual "
		       "cause.", (unsigned long long)st->evicted,
		       (unsigned)st->max_flows);
	if (c->groups_full)
		caveat(c, "%llu flows fit several catalog rows equally but were "
		       "named after one of them: the %u service groups were "
		       "all taken.", (unsigned long long)c->groups_full,
		       CLS_GROUPS_MAX);
	if (c->pending_dropped)
		caveat(c, "%llu flows in a dynamic port range could not wait for "
		       "their control-port flow and were judged without it.",
		       (unsigned long long)c->pending_dropped);
	if (st && st->anomalies[CAP_AN_FRAG_TABLE_FULL])
		caveat(c, "%llu fragmented datagrams were forgotten, the least "
		       "recently used, when the fragment table (%u datagrams) "
		       "was full: their later fragments were not counted in "
		       "their flows (frag_no_first); a flood of fragments is "
		       "the usual cause.",
		       (unsigned long long)st->anomalies[CAP_AN_FRAG_TABLE_FULL],
		       (unsigned)CAP_FRAG_SLOTS);
	if (st && (st->tunnel_full || st->tunnel_frag))
		caveat(c, "%llu tunnelled packets were not decapsulated (%llu "
		       "found the table of %u tunnels full, %llu came in "
		       "fragmented outer packets): only their outer flows "
		       "were judged.",
		       (unsigned long long)(st->tunnel_full + st->tunnel_frag),
		       (unsigned long long)st->tunnel_full, CAP_TUNNELS_MAX,
		       (unsigned long long)st->tunnel_frag);

	if (st && st->kind != CAP_SRC_PACKETS)
		flow_caveats(c, st);

	cls_findings_sort(c);
	struct cls_summary *sm = &c->res.summary;
	sm->findings = c->res.nfindings + sm->findings_dropped;
	for (int k = 0; k < CLS_K_COUNT; k++)
		sm->kinds[k] = sm->kinds_dropped[k];
	for (uint32_t i = 0; i < c->res.nfindings; i++)
		sm->kinds[c->res.findings[i].kind]++;
	sm->fail_on = c->opt.fail_on;
	for (uint32_t i = 0; i < c->res.nfindings; i++) {
		const struct cls_finding *fd = &c->res.findings[i];
		static const uint8_t zero[16];
		if (memcmp(fd->server, zero, 16) == 0)
			continue; /* a missing finding of no one server */
		int32_t k = cls_server_of(c, fd->family, fd->server);
		if (k >= 0)
			c->res.servers[k].kinds[fd->kind]++;
	}
	cls_decide(&c->res, st);
	return &c->res;
}

void cls_decide(struct cls_result *res, const struct cap_stats *st)
{
	struct cls_summary *s = &res->summary;
	s->failing = 0;
	for (int k = 0; k < CLS_K_COUNT; k++)
		if (s->fail_on & (1 << k))
			s->failing += s->kinds[k];
	s->why[0] = '\0';
	if (!st || (st->packets == 0 && st->flows == 0) ||
	    res->nservers == 0 || s->flows == 0) {
		s->verdict = CLS_NOT_AUDITED;
		cls_words_not_audited(res, st, s->why, sizeof s->why);
	} else {
		s->verdict = s->failing ? CLS_NOT_COMPLIANT : CLS_COMPLIANT;
	}
	s->compliant = s->verdict == CLS_COMPLIANT;
	s->with_caveats = s->verdict != CLS_NOT_AUDITED && res->ncaveats > 0;
}

int cls_exit_status(const struct cls_summary *s)
{
	switch (s->verdict) {
	case CLS_COMPLIANT: return CLS_EXIT_COMPLIANT;
	case CLS_NOT_COMPLIANT: return CLS_EXIT_FINDINGS;
	default: return CLS_EXIT_NOT_AUDITED;
	}
}

void cls_free(struct cls *c)
{
	if (!c)
		return;
	cls_tables_free(c);
	cls_findings_free(c);
	cls_epm_free(c);
	cls_groups_free(c);
	cls_filter_free(c->filter);
	cls_servers_free(c);
	free(c->buf.v);
	free(c->res.services);
	free(c->devs);
	free(c->dix);
	for (uint32_t k = 0; k < c->ndidx; k++)
		cls_devidx_free(&c->didx[k]);
	free(c->didx);
	free(c->dev_off);
	free(c->dev_req);
	free(c->req_tried);
	free(c->attempts);
	free(c);
}
