/* cmd.c -- placeholder for `portaudit catalog`. */
#include <stdio.h>
#include "catalog.h"
int cat_cmd_catalog(int argc, char **argv) { (void)argc; (void)argv; fputs("portaudit: catalog: not built yet\n", stderr); return 2; }
