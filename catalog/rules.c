/* rules.c -- placeholder for `portaudit rules`. */
#include <stdio.h>
#include "catalog.h"
int cat_cmd_rules(int argc, char **argv) { (void)argc; (void)argv; fputs("portaudit: rules: not built yet\n", stderr); return 2; }
