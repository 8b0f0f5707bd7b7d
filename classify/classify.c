/* classify.c -- placeholder for classification. */
#include <stdlib.h>
#include "classify.h"
struct cls *cls_new(const struct cat_model *m, const struct cls_options *o) { (void)m; (void)o; return NULL; }
void cls_flow(const struct cap_flow *f, void *c) { (void)f; (void)c; }
const struct cls_result *cls_finish(struct cls *c, const struct cap_stats *st) { (void)c; (void)st; return NULL; }
void cls_free(struct cls *c) { (void)c; }
void cls_portmap(const struct cat_model *m, struct cap_portmap *pm) { (void)m; (void)pm; }
