/* names.c -- the words classify's enums print as, and --fail-on parsing. */
#include <string.h>

#include "classify.h"

const char *cls_verdict_name(enum cls_verdict v)
{
	static const char *const n[] = { "expected", "unexpected", "violation",
	                                 "blocked", "none" };
	return (unsigned)v < sizeof n / sizeof n[0] ? n[v] : "?";
}

const char *cls_overall_name(enum cls_overall v)
{
	static const char *const n[] = { "compliant", "not-compliant",
	                                 "not-audited" };
	return (unsigned)v < sizeof n / sizeof n[0] ? n[v] : "?";
}

const char *cls_kind_name(enum cls_kind k)
{
	static const char *const n[] = { "unexpected", "violation", "blocked",
	                                 "missing" };
	return (unsigned)k < CLS_K_COUNT ? n[k] : "?";
}

const char *cls_status_name(enum cls_status s)
{
	static const char *const n[] = { "observed", "missing", "blocked",
	                                 "not-seen", "disabled", "violated" };
	return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

/* "all", "none", or a comma-separated list of kinds. */
int cls_parse_fail_on(const char *s)
{
	if (!s || !*s)
		return -1;
	if (strcmp(s, "all") == 0)
		return (1 << CLS_K_COUNT) - 1;
	if (strcmp(s, "none") == 0)
		return 0;
	int mask = 0;
	while (*s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		int k;
		for (k = 0; k < CLS_K_COUNT; k++) {
			const char *name = cls_kind_name((enum cls_kind)k);
			if (strlen(name) == len && strncmp(name, s, len) == 0)
				break;
		}
		if (k == CLS_K_COUNT)
			return -1;
		mask |= 1 << k;
		s += len;
		if (*s == ',') {
			s++;
			if (!*s)
				return -1;
		}
	}
	return mask;
}
