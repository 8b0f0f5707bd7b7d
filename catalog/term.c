/*
 * term.c -- the terminal a command prints to: its width and whether it
 * takes colour.
 *
 * Design. The people-facing outputs (the audit's terminal summary,
 * `catalog show`) lay their tables out for a width: the terminal's own
 * (TIOCGWINSZ, so `stty cols 80` is obeyed), else $COLUMNS when it holds a
 * sane number (a pipe to `less`, a test), else 80. Colour only on a
 * terminal, and never with NO_COLOR set or TERM=dumb. Both live here, in
 * the lowest folder that prints to a terminal, so that catalog/ and
 * reports/ answer the same way.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "catalog.h"

#define TERM_MIN 20
#define TERM_MAX 1000

unsigned cat_term_width(int fd)
{
	struct winsize ws;
	if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col < TERM_MIN ? TERM_MIN :
		       ws.ws_col > TERM_MAX ? TERM_MAX : ws.ws_col;
	const char *c = getenv("COLUMNS");
	if (c && *c) {
		char *end;
		unsigned long v = strtoul(c, &end, 10);
		if (!*end && v >= TERM_MIN && v <= TERM_MAX)
			return (unsigned)v;
	}
	return CAT_TERM_DEFAULT;
}

bool cat_term_color(int fd)
{
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	return isatty(fd) && !(nc && *nc) && !(term && strcmp(term, "dumb") == 0);
}
