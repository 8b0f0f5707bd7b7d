/* pending.c -- writers and subcommands not written yet (removed as each lands). */
#include <stdio.h>

#include "rep_int.h"




int rep_cmd_merge(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("portaudit: merge: not built yet\n", stderr);
	return 2;
}

int rep_cmd_diff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("portaudit: diff: not built yet\n", stderr);
	return 2;
}
