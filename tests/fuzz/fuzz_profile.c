/*
 * fuzz_profile.c -- libFuzzer target for the site-profile loader, against
 * the built-in catalog (loaded once). A profile that loads is applied and
 * every service turned into JSON; a failure must name the source.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct catalog cat;
static int cat_state; /* 0 not loaded, 1 loaded, -1 failed */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cat_error err;
	if (cat_state == 0)
		cat_state = cat_load_file(&cat, NULL, &err) == 0 ? 1 : -1;
	if (cat_state < 0)
		return 0;
	struct cat_profile prof;
	if (cat_profile_load_buffer(&prof, &cat, "fuzz.yaml", data, size,
	                            &err) != 0) {
		if (strncmp(err.msg, "fuzz.yaml:", 10) != 0)
			__builtin_trap();
		return 0;
	}
	struct cat_model m;
	if (cat_apply(&m, &cat, &prof, 0, &err) == 0) {
		for (uint32_t i = 0; i < cat.nservices; i++) {
			json_t *o = cat_service_json(&m, i);
			char *s = json_dumps(o, 0);
			free(s);
			json_decref(o);
		}
		for (uint32_t i = 0; i < prof.nservers; i++)
			for (uint32_t k = 0; k < prof.servers[i].naddrs; k++) {
				char buf[64];
				cat_prefix_format(&prof.servers[i].addrs[k], buf, sizeof buf);
			}
	}
	cat_model_free(&m);
	cat_profile_free(&prof);
	return 0;
}
