/*
 * text.c -- the terminal summary.
 *
 * Design. Four short sections a firewall engineer reads top to bottom:
 * capture health (could we see enough to judge?), the servers judged (given
 * or inferred, and how, with their flows and findings), the per-service
 * status table (the service groups first, then by product; only the rows
 * that say something: observed, violated, blocked, missing or with flows;
 * every row with --all), the findings worst first as classify sorted them,
 * then the verdict block: the headline, the caveats that qualify it, what
 * it leaves out, what was judged.
 *
 * Everything is laid out for one width: the terminal's (cat_term_width:
 * TIOCGWINSZ, so `stty cols` is obeyed; else $COLUMNS; else 80), and no
 * line is wider, whatever the data (an IPv6 peer, a long path, a long
 * reason). Prose (reasons, notes, caveats, the verdict lines) is wrapped
 * at blanks under its row or label, with a hanging indent. Tables are laid
 * out in two passes, as before: cells are formatted first, then
 * t_layout() fits the columns to the width. It narrows, each step, the
 * column (by the amount) that costs the fewest extra lines per character
 * gained: wrapping a cell at blanks costs its extra lines; breaking a word
 * after a hyphen, '|', '/' or ',' costs more; a break inside a word costs
 * most. Then columns trade width while that saves lines. A cell of a
 * "spill" column (FROM -> TO) that no longer fits at blanks goes on a
 * line of its own under its row, so one IPv6 pair never widens every row.
 * When one line per row costs too many extra lines (a narrow terminal),
 * rows are broken into two or three bands, the later bands on lines of
 * their own under column 1, whichever costs least. Widths are counted in
 * characters (UTF-8 code points); numbers are right-aligned. Nothing is
 * cut except the member list of a service group (two lines, "...": the
 * machine formats hold it whole and --all prints it whole). The layout
 * looks at the first T_SAMPLE rows only (later rows are printed, wrapped,
 * with the widths found): a few million cell measures at most, some
 * milliseconds even for 10000 findings with --all. ANSI colour only when
 * o->color (rep_open: a terminal, no NO_COLOR, TERM not dumb), never in a
 * file, each colour sequence closed on its line. The text holds no
 * wall-clock time, so it can be compared with a golden file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rep_int.h"

#define TEXT_MAX_FINDINGS 100 /* findings listed without --all */
#define TCOLS 10
#define T_SAMPLE 400          /* rows the layout looks at */
#define T_GROUP_NOTE_LINES 2  /* a group's member list, without --all */
#define T_MIN_PROSE 20        /* a hanging indent leaves at least this */

#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_DIM "\033[2m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_MAGENTA "\033[35m"
#define C_CYAN "\033[36m"

/* ---- output with a width ------------------------------------------------ */

struct txt {
	struct rep_out *o;
	const struct rep_input *in;
	size_t w;    /* the width to lay out for */
	size_t col;  /* column of the cursor on the current line */
	size_t pend; /* blanks owed before the next text (none at line ends) */
};

static const char *pl(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Bytes of the code point at s (1 for a byte that starts none). */
static size_t u8clen(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			return i;
	return n;
}

static size_t u8len(const char *s)
{
	size_t n = 0;
	while (*s) {
		s += u8clen(s);
		n++;
	}
	return n;
}

static void paint(struct rep_out *o, const char *color, const char *s,
                  size_t len)
{
	if (!len)
		return;
	if (o->color && color)
		rep_puts(o, color);
	rep_write(o, s, len);
	if (o->color && color)
		rep_puts(o, C_RESET);
}

static void out_sp(struct txt *x, size_t n)
{
	x->pend += n;
	x->col += n;
}

static void out_text(struct txt *x, const char *color, const char *s,
                     size_t len, size_t chars)
{
	static const char sp[] = "                                ";
	if (!len)
		return;
	while (x->pend > 0) {
		size_t k = x->pend < sizeof sp - 1 ? x->pend : sizeof sp - 1;
		rep_write(x->o, sp, k);
		x->pend -= k;
	}
	paint(x->o, color, s, len);
	x->col += chars;
}

static void out_str(struct txt *x, const char *color, const char *s)
{
	out_text(x, color, s, strlen(s), u8len(s));
}

static void out_nl(struct txt *x)
{
	rep_puts(x->o, "\n");
	x->col = x->pend = 0;
}

/* A copy fit for one line of a terminal: control characters (a newline in
 * a reason, an escape from a file name) become spaces. */
static char *clean(struct txt *x, const char *s)
{
	char *c = strdup(s ? s : "");
	if (!c) {
		rep_fail(x->o, ENOMEM);
		return NULL;
	}
	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

/* ---- wrapping ------------------------------------------------------------ */

enum { W_SPACE, W_SOFT, W_HARD, W_OVER };

/* One line of a wrapped text. */
struct wl {
	size_t len;   /* bytes of the line, trailing blanks left out */
	size_t chars; /* its width */
	size_t next;  /* where the next line starts (blanks skipped) */
	int how;      /* W_SPACE: at a blank or the end; W_SOFT: after a
	               * hyphen, '|', '/' or ','; W_HARD: inside a word;
	               * W_OVER: one word wider than the width (mode allowed
	               * no break) */
};

static bool alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* May a line end after `c` (between prev and next) in a word? */
static bool soft_after(char prev, char c, char next)
{
	if (!next || next == ' ')
		return false;
	if (c == '-')
		return alnum(prev) && alnum(next);
	return c == '|' || c == '/' || c == ',';
}

static size_t skip_blanks(const char *s, size_t i)
{
	while (s[i] == ' ')
		i++;
	return i;
}

/* The first line of `s` in `width` characters, breaking as `mode` allows
 * (W_SPACE, W_SOFT or W_HARD). Always makes progress on a non-empty s. */
static struct wl wrap_line(const char *s, size_t width, int mode)
{
	struct wl r = { 0, 0, 0, W_SPACE };
	size_t i = 0, n = 0, sp = 0, spn = 0, so = 0, son = 0;
	bool have_sp = false, have_so = false;
	char prev = 0;
	if (!width)
		width = 1;
	while (s[i]) {
		if (s[i] == ' ') {
			if (i > 0 && s[i - 1] != ' ') {
				sp = i;
				spn = n;
				have_sp = true;
			}
			prev = s[i++];
			n++;
			continue;
		}
		if (n >= width) {
			if (have_sp) {
				r.len = sp;
				r.chars = spn;
				r.next = skip_blanks(s, sp);
			} else if (mode >= W_SOFT && have_so) {
				r.len = r.next = so;
				r.chars = son;
				r.how = W_SOFT;
			} else if (mode >= W_HARD) {
				r.len = r.next = i;
				r.chars = n;
				r.how = W_HARD;
			} else {
				while (s[i] && s[i] != ' ') {
					i += u8clen(s + i);
					n++;
				}
				r.len = i;
				r.chars = n;
				r.next = skip_blanks(s, i);
				r.how = W_OVER;
			}
			return r;
		}
		char c = s[i];
		i += u8clen(s + i);
		n++;
		if (soft_after(prev, c, s[i])) {
			so = i;
			son = n;
			have_so = true;
		}
		prev = c;
	}
	r.next = i;
	while (i > 0 && s[i - 1] == ' ') {
		i--;
		n--;
	}
	r.len = i;
	r.chars = n;
	return r;
}

/* Lines of `s` wrapped in `width` with `mode`; *worst: the worst break,
 * *used: the widest line. */
static unsigned wrap_count(const char *s, size_t width, int mode, int *worst,
                           size_t *used)
{
	unsigned k = 0;
	size_t p = 0;
	*worst = W_SPACE;
	*used = 0;
	do {
		struct wl l = wrap_line(s + p, width, mode);
		if (l.how > *worst)
			*worst = l.how;
		if (l.chars > *used)
			*used = l.chars;
		k++;
		p += l.next;
	} while (s[p]);
	return k;
}

/* The gentlest mode that wraps the next line of s in width. */
static struct wl wrap_best(const char *s, size_t width)
{
	struct wl l = wrap_line(s, width, W_SPACE);
	if (l.how == W_OVER)
		l = wrap_line(s, width, W_SOFT);
	if (l.how == W_OVER)
		l = wrap_line(s, width, W_HARD);
	return l;
}

/* Write `text` from the cursor's column, wrapped to the width; the lines
 * after the first start at column `hang`. At most `max` lines (0: all):
 * when text remains, the last line ends with "...". Ends the line. */
static void para(struct txt *x, size_t hang, const char *color,
                 const char *text, unsigned max)
{
	char *s = clean(x, text);
	if (!s)
		return;
	if (hang + T_MIN_PROSE > x->w)
		hang = x->w > T_MIN_PROSE ? x->w - T_MIN_PROSE : 0;
	size_t p = skip_blanks(s, 0);
	unsigned k = 0;
	do {
		/* A label too long for the line: the text starts under it. */
		if (x->col > hang && x->col + 10 > x->w) {
			out_nl(x);
			out_sp(x, hang);
		}
		size_t avail = x->w > x->col ? x->w - x->col : 1;
		struct wl l = wrap_best(s + p, avail);
		bool cut = max && k + 1 == max && s[p + l.next];
		if (cut)
			l = wrap_best(s + p, avail > 8 ? avail - 4 : avail);
		out_text(x, color, s + p, l.len, l.chars);
		if (cut) {
			out_sp(x, 1);
			out_str(x, color, "...");
		}
		p += l.next;
		out_nl(x);
		k++;
		if (s[p] && !cut)
			out_sp(x, hang);
		if (cut)
			break;
	} while (s[p]);
	free(s);
}

/* "  label: text" with the text hanging under itself. */
static void labelled(struct txt *x, size_t indent, const char *label,
                     const char *color, const char *text)
{
	out_sp(x, indent);
	out_str(x, NULL, label);
	out_sp(x, 1);
	para(x, x->col, color, text, 0);
}

/* ---- tables -------------------------------------------------------------- */

struct tcell {
	char *s;
	const char *color; /* or NULL */
};

struct trow {
	struct tcell c[TCOLS];
	char *group;       /* a group header row instead of cells */
	char *note;        /* text under the row, hanging after column 0 */
	unsigned note_max; /* its lines at most (0: all) */
};

struct table {
	unsigned ncols;
	bool right[TCOLS];
	bool spill[TCOLS]; /* a cell too wide goes under its row */
	struct trow *rows; /* rows[0] is the header */
	size_t n, cap;
	size_t w[TCOLS];   /* the layout's widths */
	unsigned nb;       /* bands: a row's columns on 1 to 3 lines */
	unsigned band[4];  /* band b: columns band[b] .. band[b + 1] - 1 */
	size_t gap[3];     /* blanks between the columns of each band */
	bool oom;
};

static struct trow *t_row(struct table *t)
{
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 32;
		struct trow *r = realloc(t->rows, nc * sizeof *r);
		if (!r) {
			t->oom = true;
			return NULL;
		}
		t->rows = r;
		t->cap = nc;
	}
	struct trow *r = &t->rows[t->n++];
	memset(r, 0, sizeof *r);
	return r;
}

static void t_group(struct table *t, const char *name)
{
	struct trow *r = t_row(t);
	if (r && !(r->group = strdup(name)))
		t->oom = true;
}

static char *t_dup(struct table *t, const char *s)
{
	char *c = strdup(s ? s : "");
	if (!c) {
		t->oom = true;
		return NULL;
	}
	/* One line per cell, and no terminal control sequences from data. */
	for (char *p = c; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return c;
}

static void t_cell(struct table *t, struct trow *r, unsigned col,
                   const char *s, const char *color)
{
	if (!r || col >= TCOLS)
		return;
	r->c[col].s = t_dup(t, s);
	r->c[col].color = color;
}

static void t_note(struct table *t, struct trow *r, const char *s,
                   unsigned max)
{
	if (!r)
		return;
	r->note = t_dup(t, s);
	r->note_max = max;
}

static void t_free(struct table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].group);
		free(t->rows[i].note);
		for (unsigned c = 0; c < TCOLS; c++)
			free(t->rows[i].c[c].s);
	}
	free(t->rows);
}

static const char *cell_s(const struct trow *r, unsigned c)
{
	return r->c[c].s ? r->c[c].s : "";
}

/* How a cell fits a width: its lines, the mode that wraps it, whether it
 * goes under the row instead, and what that costs in readability. */
struct fit {
	unsigned lines, pen;
	size_t used;       /* its widest line (0 when it spills) */
	int mode;
	bool spill;
};

#define PEN_SOFT 2  /* a word broken after a hyphen */
#define PEN_SPILL 1 /* a cell on a line of its own, besides the line */
#define PEN_HARD 8  /* a word broken anywhere, per line */

static struct fit cell_fit(const char *s, size_t w, bool spill)
{
	struct fit f = { 1, 0, u8len(s), W_SPACE, false };
	int worst;
	if (f.used <= w)
		return f;
	f.lines = wrap_count(s, w, W_SPACE, &worst, &f.used);
	if (worst != W_OVER)
		return f;
	if (spill) {
		f.lines = 1;
		f.used = 0;
		f.spill = true;
		f.pen = PEN_SPILL;
		return f;
	}
	f.mode = W_SOFT;
	f.lines = wrap_count(s, w, W_SOFT, &worst, &f.used);
	if (worst != W_OVER) {
		f.pen = PEN_SOFT * (f.lines - 1);
		return f;
	}
	f.mode = W_HARD;
	f.lines = wrap_count(s, w, W_HARD, &worst, &f.used);
	f.pen = PEN_HARD * f.lines;
	return f;
}

static unsigned row_cost(const struct fit *const *f, size_t k,
                         unsigned c0, unsigned c1)
{
	unsigned h = 1, extra = 0;
	for (unsigned c = c0; c < c1; c++) {
		const struct fit *e = &f[c][k];
		extra += e->pen;
		if (e->spill)
			extra++;
		else if (e->lines > h)
			h = e->lines;
	}
	return h + extra;
}

/* The layout's memory: how every sampled cell fits each width tried. */
struct lay {
	const struct table *t;
	size_t rows[T_SAMPLE], ns;
	size_t nat[TCOLS];
	struct fit *fits[TCOLS]; /* [(w - 1) * ns + k] */
	bool *done[TCOLS];       /* [w - 1] */
	bool oom;
};

static const struct fit *lay_fits(struct lay *L, unsigned c, size_t w)
{
	struct fit *f = &L->fits[c][(w - 1) * L->ns];
	if (!L->done[c][w - 1]) {
		for (size_t k = 0; k < L->ns; k++)
			f[k] = cell_fit(cell_s(&L->t->rows[L->rows[k]], c), w,
			                L->t->spill[c]);
		L->done[c][w - 1] = true;
	}
	return f;
}

/* Lines and penalties of the sampled rows in columns c0..c1-1 at w. */
static unsigned long lay_cost(struct lay *L, unsigned c0, unsigned c1,
                              const size_t *w)
{
	const struct fit *f[TCOLS];
	unsigned long cost = 0;
	for (unsigned c = c0; c < c1; c++)
		f[c] = lay_fits(L, c, w[c]);
	for (size_t k = 0; k < L->ns; k++)
		cost += row_cost(f, k, c0, c1);
	return cost;
}

static size_t band_total(unsigned c0, unsigned c1, const size_t *w,
                         size_t gap, size_t indent)
{
	size_t n = indent + gap * (c1 - c0 - 1);
	for (unsigned c = c0; c < c1; c++)
		n += w[c];
	return n;
}

#define T_TOO_WIDE 1000000ul /* the cost of a band wider than the width */

/* Lay columns c0..c1-1 out on one line of `width` from `indent`: their
 * widths in w (from their natural ones), the gap in *gap; returns the
 * cost. Each step narrows the column, by the amount, that costs the fewest
 * extra lines per character gained; then width moves from one column to
 * another while that saves lines (the steps cannot see that narrowing a
 * column further than it needed would have spared another). First no
 * column is narrower than its heading; then any column may be; then the
 * gaps shrink to one blank. */
static unsigned long band_layout(struct lay *L, unsigned c0, unsigned c1,
                                 size_t width, size_t indent, size_t *w,
                                 size_t *gap)
{
	const struct table *t = L->t;
	*gap = 2;
	for (unsigned c = c0; c < c1; c++)
		w[c] = L->nat[c];
	for (int pass = 0; pass < 3 &&
	     band_total(c0, c1, w, *gap, indent) > width; pass++) {
		size_t minw[TCOLS], w2[TCOLS];
		for (unsigned c = c0; c < c1; c++)
			minw[c] = pass == 0 ? u8len(cell_s(&t->rows[0], c)) : 1;
		if (pass == 2)
			*gap = 1;
		while (band_total(c0, c1, w, *gap, indent) > width) {
			size_t need = band_total(c0, c1, w, *gap, indent) - width;
			double base = (double)lay_cost(L, c0, c1, w), best = 0;
			int bc = -1;
			size_t bw = 0;
			memcpy(w2, w, sizeof w2);
			for (unsigned c = c0; c < c1; c++) {
				size_t lo = w[c] > minw[c] + need ? w[c] - need
				                                  : minw[c];
				for (w2[c] = w[c] - 1; w2[c] >= lo && w2[c] > 0;
				     w2[c]--) {
					double ratio = ((double)lay_cost(L, c0, c1, w2) -
					                base) / (double)(w[c] - w2[c]);
					if (bc < 0 || ratio < best ||
					    (ratio == best && w[c] - w2[c] > w[bc] - bw)) {
						bc = (int)c;
						bw = w2[c];
						best = ratio;
					}
				}
				w2[c] = w[c];
			}
			if (bc < 0)
				break;
			w[bc] = bw;
		}
		/* Exchanges: a column gives k characters to another. */
		for (int iter = 0; iter < 32; iter++) {
			unsigned long best = lay_cost(L, c0, c1, w);
			unsigned ba = 0, bb = 0;
			size_t bk = 0;
			memcpy(w2, w, sizeof w2);
			for (unsigned a = c0; a < c1; a++)
				for (unsigned b = c0; b < c1; b++) {
					if (a == b)
						continue;
					for (size_t k = 1; w[a] + k <= L->nat[a] &&
					     w[b] >= minw[b] + k; k++) {
						w2[a] = w[a] + k;
						w2[b] = w[b] - k;
						unsigned long c2 = lay_cost(L, c0, c1, w2);
						if (c2 < best) {
							best = c2;
							ba = a;
							bb = b;
							bk = k;
						}
					}
					w2[a] = w[a];
					w2[b] = w[b];
				}
			if (!bk)
				break;
			w[ba] += bk;
			w[bb] -= bk;
		}
	}
	/* No column wider than its widest line once wrapped; what that frees
	 * goes to a column it spares lines. */
	for (int round = 0; round < 2; round++) {
		for (unsigned c = c0; c < c1; c++) {
			const struct fit *f = lay_fits(L, c, w[c]);
			size_t used = 1;
			for (size_t k = 0; k < L->ns; k++)
				if (f[k].used > used)
					used = f[k].used;
			if (used < w[c])
				w[c] = used;
		}
		size_t total = band_total(c0, c1, w, *gap, indent), w2[TCOLS];
		if (round || total >= width)
			break;
		unsigned long best = lay_cost(L, c0, c1, w);
		memcpy(w2, w, sizeof w2);
		for (bool more = true; more;) {
			more = false;
			for (unsigned c = c0; c < c1; c++)
				for (size_t k = 1; total + k <= width &&
				     w[c] + k <= L->nat[c]; k++) {
					w2[c] = w[c] + k;
					unsigned long c2 = lay_cost(L, c0, c1, w2);
					w2[c] = w[c];
					if (c2 < best) {
						best = c2;
						w[c] += k;
						w2[c] = w[c];
						total += k;
						more = true;
						break;
					}
				}
		}
	}
	unsigned long cost = lay_cost(L, c0, c1, w);
	return band_total(c0, c1, w, *gap, indent) > width ? cost + T_TOO_WIDE
	                                                  : cost;
}

/* Lay the table out for `width` (see the design note): each row on one
 * line when that costs few extra lines, else in two or three bands (the
 * columns of the later bands go on lines of their own, under column 1),
 * whichever costs least; a band costs a line per row and a little more, so
 * that fewer are kept when they read as well. */
static void t_layout(struct table *t, size_t width, size_t indent)
{
	struct lay L = { .t = t };
	t->nb = 1;
	t->band[0] = 0;
	t->band[1] = t->ncols;
	t->gap[0] = 2;
	for (size_t i = 0; i < t->n; i++) {
		const struct trow *r = &t->rows[i];
		if (r->group)
			continue;
		for (unsigned c = 0; c < t->ncols; c++) {
			size_t l = u8len(cell_s(r, c));
			if (l > L.nat[c])
				L.nat[c] = l;
		}
		if (L.ns < T_SAMPLE)
			L.rows[L.ns++] = i;
	}
	for (unsigned c = 0; c < t->ncols; c++) {
		if (!L.nat[c])
			L.nat[c] = 1;
		t->w[c] = L.nat[c];
	}
	if (band_total(0, t->ncols, t->w, 2, indent) <= width || !L.ns)
		return;
	for (unsigned c = 0; c < t->ncols; c++) {
		L.fits[c] = malloc(L.nat[c] * L.ns * sizeof *L.fits[c]);
		L.done[c] = calloc(L.nat[c], sizeof *L.done[c]);
		if (!L.fits[c] || !L.done[c])
			L.oom = true;
	}
	if (L.oom)
		goto out;
	unsigned long best = band_layout(&L, 0, t->ncols, width, indent, t->w,
	                                 &t->gap[0]);
	/* Bands: [0, j1) at the indent, [j1, j2) and [j2, ncols) under
	 * column 1 (j2 == ncols: two bands). Column 0 has a band with at
	 * least one other column. */
	for (unsigned j1 = 2; j1 < t->ncols && best > L.ns + L.ns / 4; j1++)
		for (unsigned j2 = t->ncols; j2 > j1; j2--) {
			size_t w[TCOLS], g[3];
			unsigned long cost = band_layout(&L, 0, j1, width, indent, w,
			                                 &g[0]);
			size_t hang = indent + w[0] + g[0];
			cost += band_layout(&L, j1, j2, width, hang, w, &g[1]);
			if (j2 < t->ncols)
				cost += band_layout(&L, j2, t->ncols, width, hang, w,
				                    &g[2]) + L.ns / 2;
			cost += L.ns / 2;
			if (cost < best) {
				best = cost;
				memcpy(t->w, w, sizeof w);
				t->nb = j2 < t->ncols ? 3 : 2;
				t->band[1] = j1;
				t->band[2] = j2;
				t->band[3] = t->ncols;
				memcpy(t->gap, g, sizeof g);
			}
		}
out:
	if (L.oom)
		t->oom = true;
	for (unsigned c = 0; c < t->ncols; c++) {
		free(L.fits[c]);
		free(L.done[c]);
	}
}

/* One band of a row: columns c0..c1-1 from column `at`, as many lines as
 * its tallest cell. pos: where each cell's next line starts. */
static void t_band(struct txt *x, const struct table *t, const struct trow *r,
                   bool head, const struct fit *f, size_t *pos, unsigned c0,
                   unsigned c1, size_t at, size_t gap)
{
	unsigned h = 1;
	for (unsigned c = c0; c < c1; c++)
		if (!f[c].spill && f[c].lines > h)
			h = f[c].lines;
	for (unsigned k = 0; k < h; k++) {
		out_sp(x, at);
		for (unsigned c = c0; c < c1; c++) {
			const char *s = cell_s(r, c) + pos[c];
			struct wl l = { 0, 0, 0, W_SPACE };
			if (!f[c].spill && *s)
				l = wrap_line(s, t->w[c], f[c].mode);
			size_t room = t->w[c] > l.chars ? t->w[c] - l.chars : 0;
			if (t->right[c])
				out_sp(x, room);
			out_text(x, head ? C_DIM : r->c[c].color, s, l.len, l.chars);
			if (!t->right[c])
				out_sp(x, room);
			out_sp(x, gap);
			pos[c] += l.next;
		}
		out_nl(x);
	}
}

/* Print the table (row 0 is the header) for the width. */
static void t_print(struct txt *x, struct table *t, size_t indent)
{
	if (t->oom)
		return;
	t_layout(t, x->w, indent);
	size_t hang = indent + t->w[0] + t->gap[0];
	size_t start[TCOLS];
	for (unsigned b = 0; b < t->nb; b++)
		for (unsigned c = t->band[b]; c < t->band[b + 1]; c++)
			start[c] = c > t->band[b] ? start[c - 1] + t->w[c - 1] +
			                            t->gap[b]
			           : b ? hang : indent;
	for (size_t i = 0; i < t->n; i++) {
		const struct trow *r = &t->rows[i];
		if (r->group) {
			out_sp(x, indent);
			para(x, indent + 2, C_BOLD, r->group, 0);
			continue;
		}
		struct fit f[TCOLS];
		size_t pos[TCOLS] = { 0 };
		for (unsigned c = 0; c < t->ncols; c++)
			f[c] = cell_fit(cell_s(r, c), t->w[c], t->spill[c]);
		for (unsigned b = 0; b < t->nb; b++)
			t_band(x, t, r, i == 0, f, pos, t->band[b], t->band[b + 1],
			       b ? hang : indent, t->gap[b]);
		for (unsigned c = 0; c < t->ncols; c++) {
			if (!f[c].spill)
				continue;
			/* Under its column if it fits there, else from the hang,
			 * else from the indent. */
			size_t at = indent;
			const size_t tries[] = { start[c], hang };
			for (unsigned k = 0; k < 2; k++) {
				int worst;
				size_t used;
				if (tries[k] < x->w &&
				    (wrap_count(cell_s(r, c), x->w - tries[k], W_SPACE,
				                &worst, &used), worst != W_OVER)) {
					at = tries[k];
					break;
				}
			}
			out_sp(x, at);
			para(x, at, r->c[c].color, cell_s(r, c), 0);
		}
		if (r->note) {
			out_sp(x, hang);
			para(x, hang, C_DIM, r->note, r->note_max);
		}
	}
}

/* ---- sections ------------------------------------------------------------ */

static const char *status_color(enum cls_status s)
{
	switch (s) {
	case CLS_S_OBSERVED: return C_GREEN;
	case CLS_S_MISSING: return C_YELLOW;
	case CLS_S_BLOCKED: return C_RED;
	case CLS_S_VIOLATED: return C_RED C_BOLD;
	case CLS_S_DISABLED: return C_DIM;
	default: return NULL;
	}
}

static const char *kind_color(enum cls_kind k)
{
	switch (k) {
	case CLS_K_VIOLATION: return C_RED C_BOLD;
	case CLS_K_BLOCKED: return C_RED;
	case CLS_K_MISSING: return C_YELLOW;
	case CLS_K_UNEXPECTED: return C_MAGENTA;
	default: return NULL;
	}
}

/* "Title  (note)" on one line when it fits, else the note under it,
 * wrapped. */
static void heading(struct txt *x, const char *title, const char *note)
{
	out_nl(x);
	out_str(x, C_BOLD C_CYAN, title);
	if (!note || !*note) {
		out_nl(x);
		return;
	}
	size_t len = strlen(note) + 4;
	char *n = malloc(len);
	if (!n) {
		rep_fail(x->o, ENOMEM);
		out_nl(x);
		return;
	}
	snprintf(n, len, "(%s)", note);
	if (x->col + 2 + u8len(n) > x->w)
		out_nl(x); /* the note under the title, not beside it */
	out_sp(x, 2);
	para(x, 3, NULL, n, 0);
	free(n);
}

static void fact(struct txt *x, const char *label, const char *color,
                 const char *value)
{
	char l[16];
	snprintf(l, sizeof l, "%-11s", label);
	labelled(x, 2, l, color, value);
}

static void capture_section(struct txt *x)
{
	const struct rep_input *in = x->in;
	const struct cap_stats *st = in->cap;
	const struct cap_options *co = in->capopt;
	char buf[1024], a[REP_TIME_MAX], b[REP_TIME_MAX], d[48], by[32];

	heading(x, "Capture", NULL);
	if (in->interval) {
		const struct rep_interval *iv = in->interval;
		rep_time(iv->start_ns, a, sizeof a);
		rep_time(iv->end_ns, b, sizeof b);
		snprintf(buf, sizeof buf, "%u%s: %s to %s (every %" PRIu32 " s)",
		         iv->seq, iv->final ? " (the last)" : "", a, b,
		         iv->seconds);
		fact(x, "interval", NULL, buf);
	}
	if (co && co->iface) {
		snprintf(buf, sizeof buf, "interface %s%s%s", co->iface,
		         co->filter ? ", filter: " : "",
		         co->filter ? co->filter : "");
		fact(x, "source", NULL, buf);
	} else if (rep_flow_input(in) && !in->nmerged) {
		unsigned n = rep_nsources(in);
		for (unsigned i = 0; i < n; i++) {
			rep_source_label(in, i, buf, sizeof buf);
			fact(x, i == 0 ? (n > 1 ? "sources" : "source") : "", NULL,
			     buf);
		}
	} else if (co) {
		for (unsigned i = 0; i < co->nsources && i < CAP_MAX_SOURCES; i++) {
			char lt[16] = "";
			if (st->skipped[i][0])
				snprintf(buf, sizeof buf, "%s  SKIPPED: %s",
				         co->sources[i], st->skipped[i]);
			else if (i < st->nsources && st->linktypes[i] >= 0)
				snprintf(buf, sizeof buf, "%s  [%s]", co->sources[i],
				         rep_linktype_name(st->linktypes[i], lt,
				                           sizeof lt));
			else
				snprintf(buf, sizeof buf, "%s", co->sources[i]);
			fact(x, i == 0 ? (co->nsources > 1 ? "sources" : "source")
			               : "", st->skipped[i][0] ? C_YELLOW : NULL,
			     buf);
		}
		if (rep_more_linktypes_words(st, buf, sizeof buf))
			fact(x, "also read", NULL, buf); /* other interfaces */
		if (co->filter)
			fact(x, "filter", NULL, co->filter);
	}
	if (rep_flow_input(in)) {
		rep_records_words(st, buf, sizeof buf);
		fact(x, "records", st->rec.malformed || st->rec.evicted ||
		     st->rec.sequence_gaps ? C_YELLOW : NULL, buf);
		if (st->rec.sampling > 1) {
			rep_sampling_words(st->rec.sampling, buf, sizeof buf);
			fact(x, "sampling", C_YELLOW, buf);
		}
	}
	rep_bytes(st->bytes, by, sizeof by);
	if (st->packets) {
		rep_time(st->first_ns, a, sizeof a);
		rep_time(st->last_ns, b, sizeof b);
		rep_duration(st->last_ns > st->first_ns
		             ? st->last_ns - st->first_ns : 0, d, sizeof d);
		/* The end without its date when it is the start's day. */
		const char *e = strncmp(a, b, 11) == 0 ? b + 11 : b;
		snprintf(buf, sizeof buf, "%" PRIu64 " (%s)", st->packets, by);
		fact(x, "packets", NULL, buf);
		snprintf(buf, sizeof buf, "%s .. %s (%s)", a, e, d);
		fact(x, "period", NULL, buf);
	} else {
		snprintf(buf, sizeof buf, "0: %s", rep_no_packets_words(st, co));
		fact(x, "packets", C_YELLOW, buf);
	}
	snprintf(buf, sizeof buf, "%" PRIu64 " (peak %" PRIu32 " live of %"
	         PRIu32 "; %" PRIu64 " timed out, %" PRIu64 " evicted)",
	         st->flows, st->peak_flows, st->max_flows, st->timed_out,
	         st->evicted);
	fact(x, "flows", st->evicted ? C_YELLOW : NULL, buf);
	if (st->has_dropped) {
		snprintf(buf, sizeof buf, "%" PRIu64 "%s", st->dropped,
		         st->dropped == 1 ? " packet dropped by the kernel or "
		                            "interface"
		         : st->dropped ? " packets dropped by the kernel or "
		                         "interface" : "");
		fact(x, "dropped", st->dropped ? C_RED : C_GREEN, buf);
	}
	size_t off = 0;
	buf[0] = 0;
	for (int i = 0; i < CAP_AN_COUNT && off < sizeof buf; i++) {
		if (!st->anomalies[i])
			continue;
		off += (size_t)snprintf(buf + off, sizeof buf - off, "%s%s %" PRIu64,
		                        off ? ", " : "",
		                        cap_anomaly_name((enum cap_anomaly)i),
		                        st->anomalies[i]);
	}
	fact(x, "anomalies", NULL, off ? buf : "none");
	if (st->truncated)
		fact(x, "truncated", C_YELLOW, rep_truncated_words(st));
	if (st->interrupted)
		fact(x, "interrupted", C_YELLOW,
		     "yes: stopped by a signal before its end");
	if (st->stopped[0])
		fact(x, "stopped", C_YELLOW, st->stopped);
	if (st->unread[0])
		fact(x, "unread", C_YELLOW, st->unread);
}

static void servers_section(struct txt *x)
{
	const struct cls_result *res = x->in->res;
	heading(x, "Servers", res->servers_how);
	if (res->nservers == 0) {
		out_sp(x, 2);
		para(x, 2, C_YELLOW, "none: no flow could be judged", 0);
		return;
	}
	struct table t = { .ncols = 5 };
	t.right[2] = true;
	static const char *const head[] = { "ADDRESS", "NAME", "FLOWS",
		"FINDINGS", "HOW" };
	struct trow *r = t_row(&t);
	for (unsigned c = 0; c < 5; c++)
		t_cell(&t, r, c, head[c], NULL);
	for (uint32_t i = 0; i < res->nservers; i++) {
		const struct cls_server *s = &res->servers[i];
		char a[REP_ADDR_MAX], how[128], n[32], k[128];
		uint64_t flows = 0;
		for (int v = 0; v < CLS_V_NONE; v++)
			flows += s->by[v];
		rep_addr(s->family, s->addr, s->len, a, sizeof a);
		snprintf(how, sizeof how, "%s%s", s->inferred ? "inferred: " : "",
		         s->how);
		snprintf(n, sizeof n, "%" PRIu64, flows);
		rep_kinds_words(s->kinds, (1 << CLS_K_COUNT) - 1, k, sizeof k, 0);
		r = t_row(&t);
		t_cell(&t, r, 0, a, C_BOLD);
		t_cell(&t, r, 1, s->name[0] ? s->name : "-", NULL);
		t_cell(&t, r, 2, n, NULL);
		t_cell(&t, r, 3, k[0] ? k : "none", NULL);
		t_cell(&t, r, 4, how, NULL);
	}
	t_print(x, &t, 2);
	if (t.oom)
		rep_fail(x->o, ENOMEM);
	t_free(&t);
}

static bool relevant(const struct cls_service_stat *st)
{
	return st->status == CLS_S_OBSERVED || st->status == CLS_S_BLOCKED ||
	       st->status == CLS_S_MISSING || st->status == CLS_S_VIOLATED ||
	       st->flows > 0;
}

/* A service row worth a line: a member of a group with no flow of its own
 * (its group's row carries them) is not, unless --all. */
static bool service_shown(const struct rep_input *in, uint32_t i)
{
	const struct cls_service_stat *st = &in->res->services[i];
	if (in->all_services)
		return true;
	if (st->group && st->flows == 0 &&
	    (st->status == CLS_S_NOT_SEEN || st->status == CLS_S_OBSERVED))
		return false;
	return relevant(st);
}

static void stat_cells(struct table *t, struct trow *r,
                       const struct cls_service_stat *st)
{
	char n[32], by[32];
	t_cell(t, r, 0, cls_status_name(st->status), status_color(st->status));
	snprintf(n, sizeof n, "%" PRIu64, st->flows);
	t_cell(t, r, 5, n, NULL);
	rep_bytes(st->bytes, by, sizeof by);
	t_cell(t, r, 6, st->flows ? by : "-", NULL);
}

/* "NAME: member, member, ..." for a group's row. */
static char *group_note(const struct catalog *cat, const struct cls_group *g)
{
	size_t len = strlen(g->name) + 3;
	for (uint32_t m = 0; m < g->nmembers; m++)
		if (g->members[m] < cat->nservices)
			len += strlen(cat->services[g->members[m]].id) + 2;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t off = (size_t)snprintf(s, len, "%s:", g->name);
	for (uint32_t m = 0; m < g->nmembers && off < len; m++)
		if (g->members[m] < cat->nservices)
			off += (size_t)snprintf(s + off, len - off, "%s %s",
			                        m ? "," : "",
			                        cat->services[g->members[m]].id);
	return s;
}

static void services_section(struct txt *x)
{
	const struct rep_input *in = x->in;
	const struct catalog *cat = in->model ? in->model->cat : NULL;
	const struct cls_result *res = in->res;
	if (!cat)
		return;
	uint32_t shown = 0, groups = 0;
	for (uint32_t i = 0; i < cat->nservices; i++)
		if (service_shown(in, i))
			shown++;
	for (uint32_t g = 0; g < res->ngroups; g++)
		if (in->all_services || relevant(&res->groups[g].st))
			groups++;
	char note[160], gn[64] = "";
	if (groups)
		snprintf(gn, sizeof gn, "%" PRIu32 " shared %s, ", groups,
		         pl(groups, "group", "groups"));
	if (in->all_services)
		snprintf(note, sizeof note, "%sall %" PRIu32 " catalog services",
		         gn, cat->nservices);
	else
		snprintf(note, sizeof note, "%s%" PRIu32 " of %" PRIu32
		         " services shown; --all lists every one", gn, shown,
		         cat->nservices);
	heading(x, "Services", note);
	if (!shown && !groups) {
		out_sp(x, 2);
		para(x, 2, NULL, "no catalog service was seen", 0);
		return;
	}
	struct table t = { .ncols = 7 };
	t.right[5] = t.right[6] = true;
	struct trow *r = t_row(&t);
	static const char *const head[] = { "STATUS", "SERVICE", "PROTO",
		"PORTS", "DIRECTION", "FLOWS", "BYTES" };
	for (unsigned c = 0; c < 7; c++)
		t_cell(&t, r, c, head[c], NULL);
	/* The groups first: rows of several products that the same flows fit
	 * equally, their flows counted once. */
	bool first = true;
	for (uint32_t g = 0; g < res->ngroups; g++) {
		const struct cls_group *gr = &res->groups[g];
		if (!(in->all_services || relevant(&gr->st)))
			continue;
		if (first) {
			t_group(&t, "Shared by several products");
			first = false;
		}
		char pb[8];
		r = t_row(&t);
		stat_cells(&t, r, &gr->st);
		t_cell(&t, r, 1, gr->id, NULL);
		t_cell(&t, r, 2, rep_proto_name(gr->proto, pb, sizeof pb), NULL);
		t_cell(&t, r, 3, gr->ports, NULL);
		t_cell(&t, r, 4, cat_dir_name(gr->dir), NULL);
		char *gnote = group_note(cat, gr);
		if (!gnote)
			t.oom = true;
		t_note(&t, r, gnote ? gnote : gr->name,
		       in->all_services ? 0 : T_GROUP_NOTE_LINES);
		free(gnote);
	}
	/* Then by product, in catalog order of the products. */
	for (uint32_t p = 0; p < cat->nproducts; p++) {
		first = true;
		for (uint32_t i = 0; i < cat->nservices; i++) {
			const struct cat_service *s = &cat->services[i];
			if (s->product != p || !service_shown(in, i))
				continue;
			if (first) {
				const struct cat_product *pr = &cat->products[p];
				t_group(&t, pr->name ? pr->name : pr->id);
				first = false;
			}
			char ports[256];
			cat_service_ports_format(s, ports, sizeof ports);
			r = t_row(&t);
			stat_cells(&t, r, &res->services[i]);
			t_cell(&t, r, 1, s->id, NULL);
			t_cell(&t, r, 2, cat_proto_name(s->proto), NULL);
			t_cell(&t, r, 3, ports, NULL);
			t_cell(&t, r, 4, cat_dir_name(s->dir), NULL);
		}
	}
	t_print(x, &t, 2);
	if (t.oom)
		rep_fail(x->o, ENOMEM);
	t_free(&t);
	for (uint32_t i = 0; i < cat->nservices; i++) {
		const struct cls_service_stat *st = &res->services[i];
		if (!st->caveat[0] || !service_shown(in, i))
			continue;
		char buf[CAT_ID_MAX + sizeof st->caveat + 4];
		snprintf(buf, sizeof buf, "%s: %s", cat->services[i].id,
		         st->caveat);
		labelled(x, 2, "note:", NULL, buf);
	}
}

static void findings_section(struct txt *x)
{
	const struct rep_input *in = x->in;
	const struct cls_result *res = in->res;
	char note[128], buf[256];
	uint32_t limit = in->all_services ? res->nfindings
	                 : (res->nfindings < TEXT_MAX_FINDINGS
	                    ? res->nfindings : TEXT_MAX_FINDINGS);
	snprintf(note, sizeof note, "%" PRIu32 ", worst first", res->nfindings);
	heading(x, "Findings", res->nfindings ? note : NULL);
	if (!res->nfindings) {
		out_sp(x, 2);
		para(x, 2, C_GREEN, "none", 0);
	} else {
		struct table t = { .ncols = 7 };
		t.right[6] = true;
		t.spill[4] = true;
		static const char *const head[] = { "KIND", "SERVICE", "PROTO",
			"PORT", "FROM -> TO", "OUTCOME", "FLOWS" };
		struct trow *r = t_row(&t);
		for (unsigned c = 0; c < 7; c++)
			t_cell(&t, r, c, head[c], NULL);
		for (uint32_t i = 0; i < limit; i++) {
			const struct cls_finding *f = &res->findings[i];
			char pb[8], port[24], sa[REP_ADDR_MAX], pa[REP_ADDR_MAX],
			     n[32], oc[64], conn[2 * REP_ADDR_MAX + 16];
			const char *id = rep_attrib_id(in, f->service, f->group);
			r = t_row(&t);
			t_cell(&t, r, 0, cls_kind_name(f->kind), kind_color(f->kind));
			t_cell(&t, r, 1, id ? id : "-", NULL);
			t_cell(&t, r, 2, rep_proto_name(f->proto, pb, sizeof pb),
			       NULL);
			if (f->port_hi != f->port)
				snprintf(port, sizeof port, "%u-%u (%" PRIu32 ")",
				         (unsigned)f->port, (unsigned)f->port_hi,
				         f->nports);
			else
				snprintf(port, sizeof port, "%u", (unsigned)f->port);
			t_cell(&t, r, 3, port, NULL);
			sa[0] = pa[0] = 0;
			if (!rep_zero_addr(f->server))
				rep_addr(f->family, f->server, REP_HOST, sa, sizeof sa);
			if (f->has_peer)
				rep_addr(f->family, f->peer, REP_PEER_LEN(f), pa, sizeof pa);
			else if (f->npeers) /* a flood: many peers, one port */
				snprintf(pa, sizeof pa, "%u peers", (unsigned)f->npeers);
			if (f->flows && sa[0] && pa[0])
				snprintf(conn, sizeof conn, "%s -> %s",
				         f->server_initiated ? sa : pa,
				         f->server_initiated ? pa : sa);
			else
				snprintf(conn, sizeof conn, "%s%s%s", sa[0] ? sa : "-",
				         pa[0] ? " / " : "", pa);
			t_cell(&t, r, 4, conn, NULL);
			if (!f->flows)
				snprintf(oc, sizeof oc, "-");
			else if (f->has_icmp)
				snprintf(oc, sizeof oc, "%s (icmp %u/%u)",
				         rep_outcome_name(f->outcome),
				         (unsigned)f->icmp_type, (unsigned)f->icmp_code);
			else
				snprintf(oc, sizeof oc, "%s",
				         rep_outcome_name(f->outcome));
			t_cell(&t, r, 5, oc, NULL);
			snprintf(n, sizeof n, "%" PRIu64, f->flows);
			t_cell(&t, r, 6, n, NULL);
			t_note(&t, r, f->reason, 0);
		}
		t_print(x, &t, 2);
		if (t.oom)
			rep_fail(x->o, ENOMEM);
		t_free(&t);
		if (limit < res->nfindings) {
			snprintf(buf, sizeof buf, "... and %" PRIu32 " more (--all "
			         "lists them; --json/--csv/--html hold them all)",
			         res->nfindings - limit);
			out_sp(x, 2);
			para(x, 4, NULL, buf, 0);
		}
	}
	if (res->summary.findings_dropped) {
		uint64_t d = res->summary.findings_dropped;
		snprintf(buf, sizeof buf, "%" PRIu64 " more %s counted but not "
		         "kept (--max-findings)", d,
		         pl(d, "finding was", "findings were"));
		out_sp(x, 2);
		para(x, 4, NULL, buf, 0);
	}
}

/* The verdict block: the headline (its lines hang after "VERDICT: "), the
 * capture-wide caveats that qualify it, what it leaves out, what was
 * judged. The words are reports/util.c's, as every writer prints them. */
static void verdict_section(struct txt *x)
{
	const struct cls_result *res = x->in->res;
	char buf[512];
	out_nl(x);
	rep_verdict_line(res, buf, sizeof buf);
	const char *colon = strstr(buf, ": ");
	size_t hang = colon ? (size_t)(colon - buf) + 2 : 2;
	if (hang > x->w / 2)
		hang = 2;
	para(x, hang, res->summary.compliant ? C_BOLD C_GREEN :
	     res->summary.verdict == CLS_NOT_AUDITED ? C_BOLD C_YELLOW :
	     C_BOLD C_RED, buf, 0);
	for (uint32_t i = 0; i < res->ncaveats && i < CLS_MAX_CAVEATS; i++)
		labelled(x, 2, "caveat:", NULL, res->caveats[i]);
	rep_verdict_scope(res, buf, sizeof buf);
	if (buf[0]) {
		out_sp(x, 2);
		para(x, 4, NULL, buf, 0);
	}
	rep_verdict_judged(res, buf, sizeof buf);
	out_sp(x, 2);
	para(x, 4, NULL, buf, 0);
}

static int text_report(struct rep_out *o, const struct rep_input *in)
{
	const struct cat_model *m = in->model;
	struct txt x = { .o = o, .in = in,
	                 .w = cat_term_width(fileno(o->fp)) };
	char buf[512];

	out_str(&x, C_BOLD, "portaudit " PORTAUDIT_VERSION);
	if (m && m->cat) {
		/* "base port N" on a line of its own rather than cut. */
		char base[32];
		snprintf(buf, sizeof buf, "%s catalog%s%s%s,", m->cat->name,
		         m->cat->title ? " (" : "",
		         m->cat->title ? m->cat->title : "",
		         m->cat->title ? ")" : "");
		snprintf(base, sizeof base, "base port %u", (unsigned)m->base);
		out_sp(&x, 2);
		if (x.col + u8len(buf) + 1 + strlen(base) <= x.w) {
			out_str(&x, NULL, buf);
			out_sp(&x, 1);
			para(&x, 2, NULL, base, 0);
		} else {
			para(&x, 2, NULL, buf, 0);
			out_sp(&x, 2);
			para(&x, 2, NULL, base, 0);
		}
	} else {
		out_nl(&x);
	}
	if (m && m->prof) {
		snprintf(buf, sizeof buf, "profile %s%s%s%s",
		         m->prof->source ? m->prof->source : "?",
		         m->prof->site ? " (site " : "",
		         m->prof->site ? m->prof->site : "",
		         m->prof->site ? ")" : "");
		para(&x, 2, NULL, buf, 0);
	} else {
		para(&x, 2, NULL, "no profile: the whole catalog applies, nothing "
		     "is required", 0);
	}
	if (in->cap)
		capture_section(&x);
	servers_section(&x);
	services_section(&x);
	findings_section(&x);
	verdict_section(&x);
	return rep_done(o);
}

const struct rep_writer rep_text = { "text", NULL, text_report };
