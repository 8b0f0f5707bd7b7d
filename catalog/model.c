/*
 * model.c -- the applied model: a catalog resolved for one base port and
 * one site profile, and the small helpers everyone uses on it (prefixes,
 * port sets, names, the service as JSON).
 *
 * Design. cat_apply() starts every time from the services as loaded
 * (catalog.loaded, see internal.h), applies the
 * profile's overrides, resolves base+N for the chosen base (an offset that
 * lands above 65535 is an error located where the base was chosen: the
 * profile's base_port line, else the catalog's, else the argument; it
 * names the first offset that does not fit, where that offset is written,
 * and the highest base that fits), computes the effective
 * conditions (catalog defaults, then the profile's features) and marks each
 * service enabled or disabled with a one-sentence reason. The model owns one
 * allocation: the `required` flags followed by the reason strings that the
 * services' disabled_reason point into; cat_model_free() releases it.
 *
 * Cost: O(services x ports) per apply; nothing allocates afterwards.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define REASON_LEN 160

const struct cat_service *cat_service_orig(const struct catalog *cat,
                                           uint32_t i)
{
	return cat->loaded ? &cat->loaded[i] : &cat->services[i];
}

static void resolve(struct cat_range *r, uint16_t base)
{
	if (!r->base_rel)
		return; /* absolute: lo/hi were set when it was parsed */
	r->lo = (uint16_t)(base + r->raw_lo);
	r->hi = (uint16_t)(base + r->raw_hi);
}

/* The first base+N that does not fit for base `b` (service *si, from the
 * profile's override *ok or the catalog when *ok < 0) and the largest N in
 * use; returns false when everything fits. */
static bool first_overflow(const struct catalog *cat,
                           const struct cat_profile *prof, uint16_t b,
                           uint32_t *si, int *ok, uint16_t *off,
                           uint16_t *maxoff)
{
	bool found = false;
	*maxoff = 0;
	for (uint32_t i = 0; i < cat->nservices; i++) {
		const struct cat_service *s = &cat->services[i];
		for (uint8_t q = 0; q < s->nreq; q++)
			for (uint8_t a = 0; a < s->req[q].nalt; a++) {
				const struct cat_range *r = &s->req[q].alt[a];
				if (!r->base_rel)
					continue;
				if (r->raw_hi > *maxoff)
					*maxoff = r->raw_hi;
				if (found || (unsigned long)b + r->raw_hi <= 65535)
					continue;
				found = true;
				*si = i;
				*off = r->raw_hi;
			}
	}
	if (found) {
		*ok = -1;
		for (uint32_t k = 0; prof && k < prof->noverrides; k++)
			if (prof->overrides[k].service == *si &&
			    prof->overrides[k].has_ports)
				*ok = (int)k;
	}
	return found;
}

/* A base port for which some base+N lands above 65535: said where the
 * base was chosen (the profile's or the catalog's base_port, else the
 * argument), naming the first offset that does not fit and the highest
 * base that would. */
static void overflow_error(const struct catalog *cat,
                           const struct cat_profile *prof, uint16_t base,
                           uint16_t b, struct cat_error *err)
{
	uint32_t si = 0;
	int ok = -1;
	uint16_t off = 0, maxoff = 0;
	(void)first_overflow(cat, prof, b, &si, &ok, &off, &maxoff);
	const struct cat_service *s = &cat->services[si];
	const char *csrc = cat->source ? cat->source : "<catalog>";
	const char *psrc = prof && prof->source ? prof->source : "<profile>";
	char where[160], head[160];
	if (ok >= 0)
		snprintf(where, sizeof where, "the override of service '%s' (%s:%u:%u)",
		         s->id, psrc, prof->overrides[ok].line, prof->overrides[ok].col);
	else
		snprintf(where, sizeof where, "service '%s' (%s:%u:%u)", s->id, csrc,
		         s->line, s->col);
	if (!base && prof && prof->has_base && prof->base_line)
		snprintf(head, sizeof head, "%s:%u:%u: base_port %u is too high",
		         psrc, prof->base_line, prof->base_col, (unsigned)b);
	else if (!base && !(prof && prof->has_base) && cat->base_line)
		snprintf(head, sizeof head, "%s:%u:%u: base_port %u is too high",
		         csrc, cat->base_line, cat->base_col, (unsigned)b);
	else if (base)
		snprintf(head, sizeof head, "base port %u is too high", (unsigned)b);
	else { /* the default base: the offset is what is wrong */
		snprintf(err->msg, sizeof err->msg, "%s:%u:%u: service '%s': "
		         "base+%u with the default base port %u would be port %lu, "
		         "above 65535 (give base_port %u or lower, or a smaller "
		         "offset)", ok >= 0 ? psrc : csrc,
		         ok >= 0 ? prof->overrides[ok].line : s->line,
		         ok >= 0 ? prof->overrides[ok].col : s->col, s->id,
		         (unsigned)off, (unsigned)b, (unsigned long)b + off,
		         65535u - maxoff);
		err->line = err->col = 0;
		return;
	}
	snprintf(err->msg, sizeof err->msg, "%s: base+%u of %s would be port "
	         "%lu, above 65535; the highest base port that fits every "
	         "offset in use (up to base+%u) is %u", head, (unsigned)off, where,
	         (unsigned long)b + off, (unsigned)maxoff, 65535u - maxoff);
	err->line = err->col = 0;
}

static bool product_listed(const struct cat_profile *prof, uint32_t product)
{
	for (uint32_t i = 0; i < prof->nproducts; i++)
		if (prof->products[i].product == product)
			return true;
	return false;
}

int cat_apply(struct cat_model *m, struct catalog *cat,
              const struct cat_profile *prof, uint16_t base,
              struct cat_error *err)
{
	memset(m, 0, sizeof *m);
	uint32_t n = cat->nservices;
	uint16_t b = base ? base
	           : (prof && prof->has_base) ? prof->base : cat->default_base;

	for (uint32_t i = 0; cat->loaded && i < n; i++)
		cat->services[i] = cat->loaded[i];
	for (uint32_t k = 0; prof && k < prof->noverrides; k++) {
		const struct cat_override *o = &prof->overrides[k];
		struct cat_service *s = &cat->services[o->service];
		if (o->has_ports) {
			memcpy(s->req, o->req, sizeof s->req);
			s->nreq = o->nreq;
		}
		if (o->has_dynamic) {
			if (!s->has_dynamic)
				s->control = 135;
			s->has_dynamic = true;
			s->dynamic = o->dynamic;
		}
	}
	uint32_t ov_si;
	int ov_ok;
	uint16_t ov_off, ov_max;
	if (first_overflow(cat, prof, b, &ov_si, &ov_ok, &ov_off, &ov_max)) {
		overflow_error(cat, prof, base, b, err);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct cat_service *s = &cat->services[i];
		for (uint8_t q = 0; q < s->nreq; q++)
			for (uint8_t a = 0; a < s->req[q].nalt; a++)
				resolve(&s->req[q].alt[a], b);
		if (s->has_dynamic)
			resolve(&s->dynamic, b);
	}

	uint32_t on = 0;
	for (uint32_t c = 0; c < cat->ncond; c++)
		if (cat->cond[c].dflt)
			on |= 1u << c;
	if (prof)
		on = (on & ~prof->cond_set) | (prof->cond_on & prof->cond_set);

	unsigned char *block = calloc(n ? n : 1, 1 + REASON_LEN);
	if (!block) {
		snprintf(err->msg, sizeof err->msg, "out of memory");
		return -1;
	}
	bool *required = (bool *)block;
	char *reasons = (char *)block + (n ? n : 1);
	for (uint32_t i = 0; i < n; i++) {
		struct cat_service *s = &cat->services[i];
		char *why = reasons + (size_t)i * REASON_LEN;
		const struct cat_product *p = &cat->products[s->product];
		uint32_t off = s->conditions & ~on;
		s->enabled = true;
		s->disabled_reason = NULL;
		if (off) {
			unsigned c = 0;
			while (!(off & (1u << c)))
				c++;
			snprintf(why, REASON_LEN, "condition '%s' is off %s",
			         cat->cond[c].id,
			         prof && (prof->cond_set & (1u << c)) ? "in the profile"
			                                              : "by default");
			s->enabled = false;
		} else if (prof && prof->has_products && !p->always &&
		           !product_listed(prof, s->product)) {
			snprintf(why, REASON_LEN, "product '%s' is not listed in the "
			         "profile", p->name ? p->name : p->id);
			s->enabled = false;
		}
		if (!s->enabled)
			s->disabled_reason = why;
	}
	for (uint32_t k = 0; prof && k < prof->nrequired; k++) {
		uint32_t i = prof->required[k];
		if (i < n && cat->services[i].enabled)
			required[i] = true;
	}
	m->cat = cat;
	m->prof = prof;
	m->base = b;
	m->cond_on = on;
	m->required = required;
	return 0;
}

void cat_model_free(struct cat_model *m)
{
	if (!m)
		return;
	free(m->required);
	memset(m, 0, sizeof *m);
}

/* ---- prefixes -------------------------------------------------------------- */

int cat_prefix_parse_why(struct cat_prefix *p, const char *s, char *why,
                         size_t whylen)
{
	memset(p, 0, sizeof *p);
	const char *slash = strchr(s, '/');
	size_t hl = slash ? (size_t)(slash - s) : strlen(s);
	char host[64];
	if (hl == 0 || hl >= sizeof host)
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	unsigned max;
	if (strchr(host, ':')) {
		if (inet_pton(AF_INET6, host, p->addr) != 1)
			goto bad;
		p->family = 6;
		max = 128;
	} else {
		if (inet_pton(AF_INET, host, p->addr) != 1)
			goto bad;
		p->family = 4;
		max = 32;
	}
	p->len = (uint8_t)max;
	if (slash) {
		const char *d = slash + 1;
		size_t dl = strlen(d);
		bool digits = dl > 0 && dl <= 3;
		for (size_t i = 0; digits && i < dl; i++)
			digits = d[i] >= '0' && d[i] <= '9';
		if (!digits) {
			if (dl > 3 && strspn(d, "0123456789") == dl)
				goto toolong;
			snprintf(why, whylen, "'%.64s': '/%.16s' is not a prefix length",
			         s, d);
			return -1;
		}
		char *end;
		errno = 0;
		unsigned long v = strtoul(d, &end, 10);
		if (errno || *end || v > max)
			goto toolong;
		p->len = (uint8_t)v;
	}
	/* Clear the host bits: 10.0.9.7/24 is 10.0.9.0/24. */
	for (unsigned bit = p->len; bit < max; bit++)
		p->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	return 0;
toolong:
	snprintf(why, whylen, "'%.64s': /%.16s is too long for %s (at most /%u)",
	         s, slash + 1, p->family == 4 ? "IPv4" : "IPv6",
	         p->family == 4 ? 32u : 128u);
	memset(p, 0, sizeof *p);
	return -1;
bad:
	snprintf(why, whylen, "'%.64s' is not an IPv4/IPv6 address or prefix", s);
	memset(p, 0, sizeof *p);
	return -1;
}

int cat_prefix_parse(struct cat_prefix *p, const char *s)
{
	char why[160];
	if (!s)
		return -1;
	return cat_prefix_parse_why(p, s, why, sizeof why);
}

bool cat_prefix_contains(const struct cat_prefix *p, uint8_t family,
                         const uint8_t *a)
{
	if (p->family != family)
		return false;
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr, a, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rest));
		if ((p->addr[full] & mask) != (a[full] & mask))
			return false;
	}
	return true;
}

void cat_prefix_format(const struct cat_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	unsigned max = p->family == 6 ? 128 : 32;
	if (!inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, p->addr, a, sizeof a)) {
		snprintf(buf, len, "?");
		return;
	}
	if (p->len < max)
		snprintf(buf, len, "%s/%u", a, (unsigned)p->len);
	else
		snprintf(buf, len, "%s", a);
}

/* ---- ports ------------------------------------------------------------------ */

bool cat_service_has_port(const struct cat_service *s, uint16_t port,
                          bool with_dynamic)
{
	for (uint8_t q = 0; q < s->nreq; q++)
		for (uint8_t a = 0; a < s->req[q].nalt; a++)
			if (s->req[q].alt[a].lo <= port && port <= s->req[q].alt[a].hi)
				return true;
	return with_dynamic && s->has_dynamic && s->dynamic.lo <= port &&
	       port <= s->dynamic.hi;
}

static void put(char *buf, size_t len, size_t *off, const char *str)
{
	if (*off >= len)
		return;
	int w = snprintf(buf + *off, len - *off, "%s", str);
	if (w < 0)
		return;
	*off = (size_t)w < len - *off ? *off + (size_t)w : len;
}

static void range_fmt(char *buf, size_t len, size_t *off,
                      const struct cat_range *r)
{
	char t[16];
	if (r->lo == r->hi)
		snprintf(t, sizeof t, "%u", (unsigned)r->lo);
	else
		snprintf(t, sizeof t, "%u-%u", (unsigned)r->lo, (unsigned)r->hi);
	put(buf, len, off, t);
}

void cat_service_ports_format(const struct cat_service *s, char *buf,
                              size_t len)
{
	size_t off = 0;
	if (len == 0)
		return;
	buf[0] = '\0';
	for (uint8_t q = 0; q < s->nreq; q++) {
		if (q)
			put(buf, len, &off, ", ");
		for (uint8_t a = 0; a < s->req[q].nalt; a++) {
			if (a)
				put(buf, len, &off, "|");
			range_fmt(buf, len, &off, &s->req[q].alt[a]);
		}
	}
	if (s->has_dynamic) {
		put(buf, len, &off, " + ");
		range_fmt(buf, len, &off, &s->dynamic);
		put(buf, len, &off, " (dynamic)");
	}
}

const char *cat_proto_name(enum cat_proto p)
{
	switch (p) {
	case CAT_PROTO_TCP: return "tcp";
	case CAT_PROTO_UDP: return "udp";
	case CAT_PROTO_NONE: return "any";
	}
	return "?";
}

const char *cat_dir_name(enum cat_dir d)
{
	static const char *const names[] = { "inbound", "outbound", "both",
	                                     "internal", "local", "reserved" };
	return (unsigned)d < 6 ? names[d] : "?";
}

/* ---- JSON ------------------------------------------------------------------- */

static json_t *range_json(const struct cat_range *r)
{
	if (r->lo == r->hi)
		return json_integer(r->lo);
	char b[16];
	snprintf(b, sizeof b, "%u-%u", (unsigned)r->lo, (unsigned)r->hi);
	return json_string(b);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *cat_service_json(const struct cat_model *m, uint32_t i)
{
	const struct catalog *cat = m->cat;
	const struct cat_service *s = &cat->services[i];
	const struct cat_product *p = &cat->products[s->product];
	json_t *o = json_object();
	json_t *ports = json_array();
	json_t *conds = json_array();
	if (!o || !ports || !conds) {
		json_decref(o);
		json_decref(ports);
		json_decref(conds);
		return NULL;
	}
	for (uint8_t q = 0; q < s->nreq; q++) {
		const struct cat_req *rq = &s->req[q];
		if (rq->nalt == 1) {
			json_array_append_new(ports, range_json(&rq->alt[0]));
			continue;
		}
		json_t *any = json_array();
		for (uint8_t a = 0; a < rq->nalt; a++)
			json_array_append_new(any, range_json(&rq->alt[a]));
		json_array_append_new(ports, json_pack("{s:o}", "any", any));
	}
	for (uint32_t c = 0; c < cat->ncond; c++)
		if (s->conditions & (1u << c))
			json_array_append_new(conds, json_string(cat->cond[c].id));
	json_t *dyn = json_null();
	if (s->has_dynamic) {
		char r[16];
		snprintf(r, sizeof r, "%u-%u", (unsigned)s->dynamic.lo,
		         (unsigned)s->dynamic.hi);
		json_decref(dyn);
		dyn = json_pack("{s:i, s:s}", "control", (int)s->control,
		                "range", r);
	}
	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "group", json_string(p->name ? p->name : p->id));
	json_object_set_new(o, "product", json_string(p->id));
	json_object_set_new(o, "protocol", json_string(cat_proto_name(s->proto)));
	json_object_set_new(o, "ports", ports);
	json_object_set_new(o, "ports_text", str_or_null(s->ports_text));
	json_object_set_new(o, "dynamic", dyn ? dyn : json_null());
	json_object_set_new(o, "direction", json_string(cat_dir_name(s->dir)));
	json_object_set_new(o, "oneway", json_boolean(s->oneway));
	json_object_set_new(o, "conditions", conds);
	json_object_set_new(o, "enabled", json_boolean(s->enabled));
	json_object_set_new(o, "disabled_reason", str_or_null(s->disabled_reason));
	json_object_set_new(o, "required",
	                    json_boolean(m->required && m->required[i]));
	json_object_set_new(o, "process", str_or_null(s->process));
	json_object_set_new(o, "purpose", str_or_null(s->purpose));
	json_object_set_new(o, "vendor", str_or_null(s->vendor));
	json_object_set_new(o, "note", str_or_null(s->note));
	json_object_set_new(o, "line", json_integer(s->line));
	return o;
}
