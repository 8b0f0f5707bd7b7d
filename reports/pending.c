/* pending.c -- writers and subcommands not written yet (removed as each lands). */
#include <stdio.h>

#include "rep_int.h"

static int no_report(struct rep_out *o, const struct rep_input *in)
{
	(void)in;
	rep_printf(o, "%s report: not built yet\n", o->w->name);
	return -1;
}

const struct rep_writer rep_html = { "html", NULL, no_report, NULL };

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
