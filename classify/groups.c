/*
 * groups.c -- service groups: catalog rows that fit a flow equally well.
 *
 * Design. Without a profile, an SNMP poll to UDP 161 fits the SNMP row of
 * 25 products exactly as well; TCP 135 fits every WMI row. Naming one of
 * them would be arbitrary, and crediting each would count one flow 25
 * times. So cls_judge() collects the candidates that tie with the best one
 * (same score, same verdict), and a tie of two or more is attributed once,
 * to the group of exactly those rows. A profile that names the products
 * present disables the others, so the ties shrink to the products really
 * there, down to a single row (no group) when only one fits.
 *
 * A group is identified by its member set. cls_group_get() finds or makes
 * it: a 64-bit hash of the members into a small open-addressing index
 * (CLS_GROUP_INDEX slots, load <= 0.5), so a flow costs one hash of at most
 * a few dozen 16-bit indexes and one probe run. At most CLS_GROUPS_MAX
 * groups are made (a catalog has far fewer distinct ties); past that, a
 * tie is attributed to its best row alone and counted (a caveat says so).
 *
 * The group's id is "shared-<proto>-<port>-<direction>" (port: the first
 * port its members share, the control port for DCE/RPC rows, else the
 * first flow's port; "-2", "-3" if taken); its name is the longest run of
 * words that half of its members' purposes begin with, to its first clause
 * ("SNMP queries from the Monitoring Server"), else "<PROTO> <port>
 * <direction>", followed by how many rows and products share it.
 */
#include <stdlib.h>
#include <string.h>

#include "cls_int.h"

int cls_groups_init(struct cls *c)
{
	c->res.groups = calloc(CLS_GROUPS_MAX, sizeof *c->res.groups);
	c->gindex = calloc(CLS_GROUP_INDEX, sizeof *c->gindex);
	return c->res.groups && c->gindex ? 0 : -1;
}

void cls_groups_free(struct cls *c)
{
	for (uint32_t i = 0; c->res.groups && i < c->res.ngroups; i++)
		free(c->res.groups[i].members);
	free(c->res.groups);
	free(c->gindex);
	c->res.groups = NULL;
	c->gindex = NULL;
}

static const char *dir_id(enum cat_dir d)
{
	static const char *const n[] = { "inbound", "outbound", "both",
	                                 "internal", "local", "reserved" };
	return (unsigned)d < sizeof n / sizeof n[0] ? n[d] : "any";
}

/* The port the id and the display use: the first alternative every member
 * has in common, a DCE/RPC control port, else the flow's. */
static uint16_t group_port(const struct cls *c, const uint16_t *m, uint32_t n,
                           uint16_t flow_port, bool *all_same)
{
	char first[96], other[96];
	const struct cat_service *s0 = &c->cat->services[m[0]];
	cat_service_ports_format(s0, first, sizeof first);
	*all_same = true;
	for (uint32_t i = 1; i < n && *all_same; i++) {
		cat_service_ports_format(&c->cat->services[m[i]], other,
		                         sizeof other);
		*all_same = strcmp(first, other) == 0;
	}
	if (*all_same && s0->nreq)
		return s0->req[0].alt[0].lo;
	if (s0->has_dynamic && s0->control)
		return s0->control;
	return flow_port;
}

/* The length of s's first clause: "WMI - dynamic port range ..." is
 * "WMI", up to " - ", "; ", ", " or " (". */
static size_t first_clause(const char *s, size_t n)
{
	static const char *const cut[] = { " - ", "; ", ", ", " (" };
	for (size_t k = 0; k < sizeof cut / sizeof cut[0]; k++) {
		const char *p = strstr(s, cut[k]);
		if (p && (size_t)(p - s) < n)
			n = (size_t)(p - s);
	}
	return n;
}

/* Does purpose t start with the first n bytes of s, at a word's end? */
static bool word_prefix(const char *t, const char *s, size_t n)
{
	return strncmp(t, s, n) == 0 && (t[n] == '\0' || t[n] == ' ');
}

/* Name: the longest run of leading words (two at least) that half of the
 * members' purposes or more begin with, to its first clause ("SNMP queries
 * from the Monitoring Server"), else the protocol, port and direction; and
 * how many rows and products share it. Cost: members x words x members
 * string compares, once per group. */
static void group_name(const struct cls *c, struct cls_group *g)
{
	const struct catalog *cat = c->cat;
	const char *best = NULL;
	size_t best_len = 0;
	uint32_t nprod = 0;
	for (uint32_t i = 0; i < g->nmembers; i++) {
		const struct cat_service *s = &cat->services[g->members[i]];
		bool new_product = true;
		for (uint32_t k = 0; k < i; k++)
			if (cat->services[g->members[k]].product == s->product)
				new_product = false;
		nprod += new_product;
		/* Each word end of this purpose, past its second word (or
		 * the whole purpose when it is one word). */
		const char *p = s->purpose;
		unsigned words = 0;
		for (size_t n = 0;; n++) {
			if (p[n] != ' ' && p[n] != '\0')
				continue;
			if ((++words >= 2 || !p[n]) && n > best_len) {
				uint32_t have = 0;
				for (uint32_t k = 0; k < g->nmembers; k++)
					have += word_prefix(cat->services[
					        g->members[k]].purpose, p, n);
				if (have >= 2 && have * 2 >= g->nmembers) {
					best = p;
					best_len = n;
				}
			}
			if (!p[n])
				break;
		}
	}
	char what[120];
	size_t n = best ? first_clause(best, best_len) : 0;
	bool clause = best && n < best_len; /* "WMI - ...": a label itself */
	/* Not ending on a word that leads on ("... Monitoring Server to"). */
	static const char *const lead[] = { " to", " the", " for", " from",
	                                    " of", " and", " on", " with",
	                                    " by", " via", " in", " a" };
	for (size_t k = 0; k < sizeof lead / sizeof lead[0] && n; k++) {
		size_t l = strlen(lead[k]);
		if (n > l && strncmp(best + n - l, lead[k], l) == 0) {
			n -= l;
			k = (size_t)-1; /* again, from the first word */
		}
	}
	const char *sp = best ? strchr(best, ' ') : NULL;
	bool whole = best && !best[n];
	if (n && (clause || whole || (sp && (size_t)(sp - best) < n))) {
		if (n >= sizeof what)
			n = sizeof what - 1;
		memcpy(what, best, n);
		what[n] = '\0';
	} else {
		cls_fmt(what, sizeof what, "%s %s %s",
		        g->proto == 6 ? "TCP" : "UDP", g->ports,
		        g->dir == CAT_DIR_BOTH ? "both ways" : dir_id(g->dir));
	}
	if (nprod == g->nmembers)
		cls_fmt(g->name, sizeof g->name, "%s (%u products)", what,
		        (unsigned)nprod);
	else
		cls_fmt(g->name, sizeof g->name, "%s (%u rows of %u products)",
		        what, (unsigned)g->nmembers, (unsigned)nprod);
}

static bool id_taken(const struct cls *c, const char *id)
{
	for (uint32_t i = 0; i < c->res.ngroups; i++)
		if (strcmp(c->res.groups[i].id, id) == 0)
			return true;
	return false;
}

uint32_t cls_group_get(struct cls *c, const uint16_t *m, uint32_t n,
                       const struct cap_flow *f)
{
	if (n < 2 || !c->gindex)
		return 0;
	uint64_t h = cap_hash(c->seed, m, n * sizeof *m);
	h = h ? h : 1;
	uint32_t mask = CLS_GROUP_INDEX - 1;
	for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
		struct cls_gslot *gs = &c->gindex[i];
		if (!gs->hash)
			break;
		if (gs->hash != h)
			continue;
		const struct cls_group *g = &c->res.groups[gs->group - 1];
		if (g->nmembers == n &&
		    memcmp(g->members, m, n * sizeof *m) == 0)
			return gs->group;
	}
	if (c->res.ngroups >= CLS_GROUPS_MAX) {
		c->groups_full++;
		return 0;
	}
	struct cls_group *g = &c->res.groups[c->res.ngroups];
	g->members = malloc(n * sizeof *g->members);
	if (!g->members) {
		c->groups_full++;
		return 0;
	}
	memcpy(g->members, m, n * sizeof *m);
	g->nmembers = n;
	const struct cat_service *s0 = &c->cat->services[m[0]];
	g->proto = f->proto;
	g->dir = s0->dir;
	bool all_same;
	uint16_t port = group_port(c, m, n, f->port_b, &all_same);
	if (all_same)
		cat_service_ports_format(s0, g->ports, sizeof g->ports);
	else
		cls_fmt(g->ports, sizeof g->ports, "%u", (unsigned)port);
	char id[CAT_ID_MAX];
	cls_fmt(id, sizeof id, "shared-%s-%u-%s", f->proto == 6 ? "tcp" : "udp",
	        (unsigned)port, dir_id(g->dir));
	cls_fmt(g->id, sizeof g->id, "%s", id);
	for (unsigned k = 2; id_taken(c, g->id); k++)
		cls_fmt(g->id, sizeof g->id, "%.50s-%u", id, k);
	group_name(c, g);
	c->res.ngroups++;
	for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask)
		if (!c->gindex[i].hash) {
			c->gindex[i].hash = h;
			c->gindex[i].group = c->res.ngroups;
			break;
		}
	return c->res.ngroups;
}
