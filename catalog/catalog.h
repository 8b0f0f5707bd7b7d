/*
 * catalog.h -- the port model as data: the vendor catalog, the site profile,
 * and the effective model that classify matches flows against.
 *
 * Design. A catalog is loaded once (from the copy embedded in the binary or
 * from --catalog FILE) into flat arrays sized at load time; a profile is
 * loaded against a catalog so that every name it uses (condition, product,
 * service) is checked with a line:column error. cat_apply() then resolves
 * base offsets for the chosen base port, applies the profile's conditions,
 * products and overrides, and marks each service enabled or disabled (with a
 * reason). Nothing here allocates after loading; classify reads the result.
 *
 * Ports. A service lists requirements (`ports:` in YAML). Each requirement
 * is a set of alternatives; each alternative is a range lo..hi (a single
 * port is lo == hi), absolute or relative to the base port. A flow matches a
 * service when its responder port lies in any alternative of any
 * requirement; a service is "observed" when every requirement has at least
 * one matching flow. Example: RADIUS "1812 or 1645 and 1813 or 1646" is two
 * requirements {1812|1645} and {1813|1646}.
 *
 * Errors. Every loader error is formatted into struct cat_error as
 * "FILE:LINE:COL: message" (1-based), ready to print after "portaudit: ".
 * The loaders stop at the first error; the *_all variants, for `catalog
 * check`, go on and collect every error of the file (struct cat_errors).
 */
#ifndef PORTAUDIT_CATALOG_H
#define PORTAUDIT_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define CAT_MAX_REQ 8        /* requirements per service */
#define CAT_MAX_ALT 8        /* alternatives per requirement */
#define CAT_MAX_COND 32      /* conditions per catalog (bit mask) */
#define CAT_ID_MAX 64        /* ids, including NUL */
#define CAT_MAX_DEPTH 16     /* YAML nesting limit */
#define CAT_DEFAULT_BASE 1960

#if defined(__GNUC__)
#define CAT_MUST_CHECK __attribute__((warn_unused_result))
#else
#define CAT_MUST_CHECK
#endif

struct cat_error {
	char msg[512]; /* "file:line:col: what was wrong" */
	uint32_t line, col; /* the position in msg (0 when it has none) */
};

/* Every error of one file, for `catalog check`: the first CAT_MAX_ERRORS
 * kept, the rest only counted. */
#define CAT_MAX_ERRORS 20
struct cat_errors {
	struct cat_error e[CAT_MAX_ERRORS];
	unsigned n; /* errors found (may be above CAT_MAX_ERRORS) */
	uint32_t tab_stop; /* a tab not read past (limits): its line, else 0 */
};
void cat_errors_add(struct cat_errors *l, const struct cat_error *e);

enum cat_proto {
	CAT_PROTO_NONE = 0, /* reserved offsets: any protocol, no traffic allowed */
	CAT_PROTO_TCP = 6,
	CAT_PROTO_UDP = 17,
};

/* Direction relative to the monitored server: who opens the connection. */
enum cat_dir {
	CAT_DIR_INBOUND = 0, /* a peer opens to the server */
	CAT_DIR_OUTBOUND,    /* the server opens to a peer */
	CAT_DIR_BOTH,        /* either way */
	CAT_DIR_INTERNAL,    /* between the product's own servers only */
	CAT_DIR_LOCAL,       /* same host only: never on the wire (base+1) */
	CAT_DIR_RESERVED,    /* reserved offset: no traffic at all (base+3, +5) */
};

struct cat_range {
	uint16_t lo, hi;         /* resolved by cat_apply(); absolute ports */
	uint16_t raw_lo, raw_hi; /* as written: offsets when base_rel */
	bool base_rel;           /* written as base+N */
};

struct cat_req {
	struct cat_range alt[CAT_MAX_ALT];
	uint8_t nalt;
};

struct cat_condition {
	char id[CAT_ID_MAX];
	bool dflt;         /* on when no profile says otherwise */
	char *description;
};

/* A product is one table of the vendor document ("Base Ports",
 * "Cisco Unified Communications Manager", ...). */
struct cat_product {
	char id[CAT_ID_MAX];
	char *name;  /* the table's title, shown as "group" */
	bool always; /* applies whether or not a profile lists it (base, common) */
};

struct cat_service {
	char id[CAT_ID_MAX];
	uint32_t product;    /* index into catalog.products */
	enum cat_proto proto;
	enum cat_dir dir;
	bool oneway;         /* one-way traffic (syslog, traps, RTCP, CDR push) */
	struct cat_req req[CAT_MAX_REQ];
	uint8_t nreq;
	bool has_dynamic;    /* control port then a dynamic range, same peer */
	uint16_t control;    /* the control port (135 for DCE/RPC) */
	struct cat_range dynamic;
	uint32_t conditions; /* bit i: needs catalog.conditions[i] on */
	char *process;       /* may be NULL */
	char *purpose;       /* never NULL */
	char *note;          /* may be NULL: anomalies of the document, readings */
	char *ports_text;    /* the ports as written in the catalog, for display */
	char *vendor;        /* may be NULL: the row's vendor column (CRA, MI) */
	uint32_t line;       /* where the service starts in the YAML */

	/* Filled by cat_apply(). */
	bool enabled;
	const char *disabled_reason; /* static string or points into the model */

	uint32_t col;        /* column where the service starts (with line) */
};

struct catalog {
	char name[CAT_ID_MAX]; /* "prognosis" */
	char *title;
	char *source;          /* file name, or "<built-in>" */
	char sha256[65];       /* hex digest of the YAML text */
	uint16_t default_base;
	uint16_t max_offset;   /* base+N allowed for N <= max_offset */
	struct cat_condition cond[CAT_MAX_COND];
	uint32_t ncond;
	struct cat_product *products;
	uint32_t nproducts;
	struct cat_service *services;
	uint32_t nservices;

	/* The services as loaded, which cat_apply() starts from each time
	 * (sharing their strings); NULL in a catalog built by hand, which
	 * cat_apply() then resolves in place. */
	struct cat_service *loaded;

	uint32_t base_line, base_col; /* where base_port is written, or 0 */
};

/* An address or prefix; IPv4 is family 4 with the address in addr[0..3]. */
struct cat_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len;    /* prefix length in bits (32 / 128 for a host) */
	uint8_t addr[16];
};

struct cat_server {
	char name[CAT_ID_MAX];
	char role[CAT_ID_MAX]; /* free text, e.g. "monitoring", "management" */
	struct cat_prefix *addrs;
	uint32_t naddrs;
};

struct cat_profile_product {
	uint32_t product;          /* index into catalog.products */
	struct cat_prefix *devices; /* NULL/0: any peer */
	uint32_t ndevices;
};

struct cat_override {
	uint32_t service;          /* index into catalog.services */
	bool has_dynamic;
	struct cat_range dynamic;  /* replaces the service's dynamic range */
	bool has_ports;
	struct cat_req req[CAT_MAX_REQ]; /* replaces the service's ports */
	uint8_t nreq;
	uint32_t line, col;        /* its `ports` (else the entry) in the profile */
};

struct cat_profile {
	char *source;
	char sha256[65];
	char *site;
	bool has_base;
	uint16_t base;
	struct cat_server *servers;
	uint32_t nservers;
	uint32_t cond_set; /* bit i: the profile sets condition i ... */
	uint32_t cond_on;  /* ... to this value */
	bool has_products; /* a `products:` section was given */
	struct cat_profile_product *products;
	uint32_t nproducts;
	uint32_t *required; /* service indexes that must be seen */
	uint32_t nrequired;
	struct cat_override *overrides;
	uint32_t noverrides;
	uint32_t base_line, base_col; /* where base_port is written, or 0 */
};

/* The loaded, applied model that classify and the reports read. */
struct cat_model {
	const struct catalog *cat;     /* services carry resolved ports */
	const struct cat_profile *prof; /* NULL without a profile */
	uint16_t base;
	uint32_t cond_on;              /* effective condition bits */
	bool *required;                /* [nservices]: must be seen */
};

/* The catalog YAML compiled into the binary (generated at build time). */
extern const unsigned char cat_builtin_yaml[];
extern const size_t cat_builtin_yaml_len;

/* Load a catalog from a YAML buffer; `source` names it in errors.
 * Returns 0, or -1 with err filled. */
CAT_MUST_CHECK int cat_load_buffer(struct catalog *cat, const char *source,
                                   const unsigned char *yaml, size_t len,
                                   struct cat_error *err);
/* Load from a file (NULL or "" = the built-in catalog). */
CAT_MUST_CHECK int cat_load_file(struct catalog *cat, const char *path,
                                 struct cat_error *err);
void cat_free(struct catalog *cat);
/* The same, collecting every error into errs (zeroed by the caller; see
 * load.c) instead of stopping at the first. Returns 0 (loaded, errs
 * untouched) or -1. */
CAT_MUST_CHECK int cat_load_buffer_all(struct catalog *cat, const char *source,
                                       const unsigned char *yaml, size_t len,
                                       struct cat_errors *errs);

/* Load a site profile, checking every name against `cat`. */
CAT_MUST_CHECK int cat_profile_load_buffer(struct cat_profile *prof,
                                           const struct catalog *cat,
                                           const char *source,
                                           const unsigned char *yaml,
                                           size_t len, struct cat_error *err);
CAT_MUST_CHECK int cat_profile_load_file(struct cat_profile *prof,
                                         const struct catalog *cat,
                                         const char *path,
                                         struct cat_error *err);
CAT_MUST_CHECK int cat_profile_load_buffer_all(struct cat_profile *prof,
                                               const struct catalog *cat,
                                               const char *source,
                                               const unsigned char *yaml,
                                               size_t len,
                                               struct cat_errors *errs);
void cat_profile_free(struct cat_profile *prof);

/* Resolve ports for `base` (0 = profile's base, else the catalog default),
 * apply conditions, products and overrides; `prof` may be NULL.
 * Modifies the services of `cat` in place. Returns 0 or -1 (a base+N that
 * does not fit in 0..65535 for this base). */
CAT_MUST_CHECK int cat_apply(struct cat_model *m, struct catalog *cat,
                             const struct cat_profile *prof, uint16_t base,
                             struct cat_error *err);
void cat_model_free(struct cat_model *m);

/* Is `a` (family 4 or 6, 4 or 16 bytes) inside prefix p? */
bool cat_prefix_contains(const struct cat_prefix *p, uint8_t family,
                         const uint8_t *a);
/* Parse "10.0.0.0/8", "2001:db8::1" ... Returns 0 or -1. */
CAT_MUST_CHECK int cat_prefix_parse(struct cat_prefix *p, const char *s);
/* Format a prefix ("10.1.0.0/16", or a plain address for a host prefix). */
void cat_prefix_format(const struct cat_prefix *p, char *buf, size_t len);

/* Does the service's port set contain `port` (resolved)? Includes the
 * dynamic range only when `with_dynamic`. */
bool cat_service_has_port(const struct cat_service *s, uint16_t port,
                          bool with_dynamic);
/* Format resolved ports: "1812|1645, 1813|1646", "50000-50002", "135 +
 * 49152-65535 (dynamic)". */
void cat_service_ports_format(const struct cat_service *s, char *buf,
                              size_t len);

/* The service as JSON, the fields `catalog show --json` and the report's
 * `services` share: id, group, product, protocol, ports (an array as the
 * catalog states them with base offsets resolved: 22, "50000-50002",
 * {"any": [1812, 1645]}), dynamic (null or {"control": 135, "range":
 * "49152-65535"}), direction, oneway, conditions, enabled, disabled_reason,
 * required, process, purpose, vendor, note. New reference. */
json_t *cat_service_json(const struct cat_model *m, uint32_t i);

/* SHA-256 (FIPS 180-4) of data, as 64 lowercase hex digits and a NUL
 * (sha256.c; the reports' ids use it too). */
void cat_sha256_hex(const unsigned char *data, size_t len, char out[65]);

const char *cat_proto_name(enum cat_proto p);  /* "tcp", "udp", "any" */
const char *cat_dir_name(enum cat_dir d);      /* "inbound", ... */

/* The terminal on fd (term.c): the width to lay text out for (the
 * terminal's, else $COLUMNS, else CAT_TERM_DEFAULT; 20..1000), and whether
 * colour is wanted (a terminal, NO_COLOR unset or empty, TERM not dumb). */
#define CAT_TERM_DEFAULT 80
unsigned cat_term_width(int fd);
bool cat_term_color(int fd);

/* Subcommands: `portaudit catalog show|check`, `portaudit rules`.
 * argv[0] is the subcommand name. Return the process exit status. */
int cat_cmd_catalog(int argc, char **argv);
int cat_cmd_rules(int argc, char **argv);

#endif
