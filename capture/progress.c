/*
 * progress.c -- the progress line on stderr while a capture runs.
 *
 * Design. One line, redrawn in place ("\r\033[K") about four times a
 * second, erased at the end so that the report starts on a clean screen.
 * Offline: a bar of bytes read out of the total size of the files (when the
 * sizes are known, i.e. not a pipe), packets, packets per second and the
 * time left. Live: elapsed and remaining time (with --duration), packets,
 * flows and drops. The caller decides whether it is on (stderr a terminal
 * and not --quiet) and calls cap_progress_update() once per batch of
 * packets, never per packet; the update returns at once unless a redraw is
 * due. Nothing here allocates.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flow.h"

#define PERIOD_NS (250 * 1000000ull)
#define BAR 24

uint64_t cap_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * CAP_NS_PER_S + (uint64_t)ts.tv_nsec;
}

void cap_progress_start(struct cap_progress *pr, bool on, bool live,
                        double duration, uint64_t total_bytes, FILE *out)
{
	memset(pr, 0, sizeof *pr);
	pr->on = on;
	pr->live = live;
	pr->duration = duration;
	pr->total_bytes = total_bytes;
	pr->out = out;
	pr->start_ns = cap_mono_ns();
	pr->next_ns = pr->start_ns + PERIOD_NS;
}

static void hms(char *buf, size_t len, double s)
{
	if (s < 0)
		s = 0;
	unsigned long t = (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

static void human(char *buf, size_t len, uint64_t bytes)
{
	double b = (double)bytes;
	if (b >= 1e9)
		snprintf(buf, len, "%.2f GB", b / 1e9);
	else if (b >= 1e6)
		snprintf(buf, len, "%.1f MB", b / 1e6);
	else
		snprintf(buf, len, "%.0f kB", b / 1e3);
}

void cap_progress_update(struct cap_progress *pr, uint64_t now,
                         uint64_t bytes_read, uint64_t packets,
                         uint64_t flows, uint64_t drops)
{
	if (!pr->on || now < pr->next_ns)
		return;
	pr->next_ns = now + PERIOD_NS;
	double el = (double)(now - pr->start_ns) / 1e9;
	double rate = el > 0 ? (double)packets / el : 0;
	char line[256], a[32], b[32];
	if (pr->live) {
		hms(a, sizeof a, el);
		if (pr->duration > 0) {
			hms(b, sizeof b, pr->duration - el);
			snprintf(line, sizeof line, "live %s (%s left)  %llu pkts  "
			         "%llu flows  %llu dropped", a, b,
			         (unsigned long long)packets, (unsigned long long)flows,
			         (unsigned long long)drops);
		} else {
			snprintf(line, sizeof line, "live %s  %llu pkts  %llu flows  "
			         "%llu dropped", a, (unsigned long long)packets,
			         (unsigned long long)flows, (unsigned long long)drops);
		}
	} else if (pr->total_bytes > 0) {
		double frac = (double)bytes_read / (double)pr->total_bytes;
		if (frac > 1)
			frac = 1;
		char bar[BAR + 1];
		int fill = (int)(frac * BAR);
		for (int i = 0; i < BAR; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[BAR] = 0;
		double eta = frac > 0.001 ? el / frac - el : 0;
		human(a, sizeof a, bytes_read);
		char tot[32], e[32];
		human(tot, sizeof tot, pr->total_bytes);
		hms(e, sizeof e, eta);
		snprintf(line, sizeof line, "[%s] %3d%% %s/%s  %llu pkts  %.0f pkt/s"
		         "  ETA %s", bar, (int)(frac * 100), a, tot,
		         (unsigned long long)packets, rate, e);
	} else {
		human(a, sizeof a, bytes_read);
		snprintf(line, sizeof line, "%s  %llu pkts  %.0f pkt/s", a,
		         (unsigned long long)packets, rate);
	}
	fprintf(pr->out, "\r\033[K%s", line);
	fflush(pr->out);
	pr->drawn = true;
}

void cap_progress_end(struct cap_progress *pr)
{
	if (pr->on && pr->drawn) {
		fputs("\r\033[K", pr->out);
		fflush(pr->out);
	}
	pr->drawn = false;
	pr->on = false;
}
