/* model.c -- placeholder until cat_apply lands. */
#include <stdio.h>
#include <string.h>
#include "catalog.h"
int cat_apply(struct cat_model *m, struct catalog *cat, const struct cat_profile *prof, uint16_t base, struct cat_error *err)
{ (void)cat; (void)prof; (void)base; memset(m, 0, sizeof *m); snprintf(err->msg, sizeof err->msg, "model not built yet"); return -1; }
void cat_model_free(struct cat_model *m) { (void)m; }
bool cat_prefix_contains(const struct cat_prefix *p, uint8_t family, const uint8_t *a) { (void)p; (void)family; (void)a; return false; }
int cat_prefix_parse(struct cat_prefix *p, const char *s) { (void)p; (void)s; return -1; }
void cat_prefix_format(const struct cat_prefix *p, char *buf, size_t len) { (void)p; snprintf(buf, len, "?"); }
bool cat_service_has_port(const struct cat_service *s, uint16_t port, bool with_dynamic) { (void)s; (void)port; (void)with_dynamic; return false; }
void cat_service_ports_format(const struct cat_service *s, char *buf, size_t len) { (void)s; snprintf(buf, len, "?"); }
const char *cat_proto_name(enum cat_proto p) { (void)p; return "?"; }
const char *cat_dir_name(enum cat_dir d) { (void)d; return "?"; }
json_t *cat_service_json(const struct cat_model *m, uint32_t i) { (void)m; (void)i; return json_object(); }
