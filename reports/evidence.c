/* evidence.c -- placeholder for --evidence (the evidence helper replaces it). */
#include "reports.h"
static int no_evidence(struct rep_out *o, const struct rep_input *in) { (void)o; (void)in; return -1; }
const struct rep_writer rep_evidence = { "evidence", NULL, no_evidence };
