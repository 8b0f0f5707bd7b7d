/* names.c -- placeholder for names and formatting. */
#include <stdio.h>
#include "capture.h"
const char *cap_anomaly_name(enum cap_anomaly a) { (void)a; return "?"; }
const char *cap_outcome_name(enum cap_outcome o) { (void)o; return "?"; }
void cap_addr_format(uint8_t family, const uint8_t *addr, char *buf, size_t len) { (void)family; (void)addr; snprintf(buf, len, "?"); }
void cap_time_format(uint64_t ns, char *buf, size_t len) { (void)ns; snprintf(buf, len, "?"); }
