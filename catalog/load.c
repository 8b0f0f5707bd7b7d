/* load.c -- placeholder until the YAML loaders land. */
#include <stdio.h>
#include <string.h>
#include "catalog.h"
int cat_load_buffer(struct catalog *cat, const char *source, const unsigned char *yaml, size_t len, struct cat_error *err)
{ (void)yaml; (void)len; memset(cat, 0, sizeof *cat); snprintf(err->msg, sizeof err->msg, "%s: catalog loader not built yet", source); return -1; }
int cat_load_file(struct catalog *cat, const char *path, struct cat_error *err)
{ return cat_load_buffer(cat, path ? path : "<built-in>", NULL, 0, err); }
void cat_free(struct catalog *cat) { (void)cat; }
int cat_profile_load_buffer(struct cat_profile *prof, const struct catalog *cat, const char *source, const unsigned char *yaml, size_t len, struct cat_error *err)
{ (void)cat; (void)yaml; (void)len; memset(prof, 0, sizeof *prof); snprintf(err->msg, sizeof err->msg, "%s: profile loader not built yet", source); return -1; }
int cat_profile_load_file(struct cat_profile *prof, const struct catalog *cat, const char *path, struct cat_error *err)
{ return cat_profile_load_buffer(prof, cat, path, NULL, 0, err); }
void cat_profile_free(struct cat_profile *prof) { (void)prof; }
