/*
 * fuzz_catalog.c -- libFuzzer target for the catalog loader: any bytes in,
 * an error message or a catalog out, never a crash, a leak or a read past
 * the input. A catalog that loads is also applied (the default base and a
 * base that overflows base+N) and turned into JSON, so that every field
 * the loader filled is read once.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog cat;
	struct cat_error err;
	if (cat_load_buffer(&cat, "fuzz.yaml", data, size, &err) != 0) {
		if (strncmp(err.msg, "fuzz.yaml:", 10) != 0)
			__builtin_trap(); /* every error names the source */
		return 0;
	}
	static const uint16_t bases[] = { 0, 1, 65535 };
	for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
		struct cat_model m;
		if (cat_apply(&m, &cat, NULL, bases[b], &err) == 0) {
			for (uint32_t i = 0; i < cat.nservices; i++) {
				char buf[256];
				cat_service_ports_format(&cat.services[i], buf, sizeof buf);
				(void)cat_service_has_port(&cat.services[i], 135, true);
				json_t *o = cat_service_json(&m, i);
				char *s = json_dumps(o, 0);
				free(s);
				json_decref(o);
			}
		}
		cat_model_free(&m);
	}
	cat_free(&cat);
	return 0;
}
