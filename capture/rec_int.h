/*
 * rec_int.h -- capture/ internal: what records.c (cap_run_records) needs
 * from the other files of the flow-record feature and from run.c. Tests
 * include it; nothing outside capture/ does.
 */
#ifndef PORTAUDIT_CAPTURE_REC_INT_H
#define PORTAUDIT_CAPTURE_REC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"
#include "records.h"

/* ---- pairing.c: the defaults cap_run_records() gives the pairer -------- */

/* How long (of the pairer's clock) an unpaired uniflow waits for its
 * reverse: exporters send the two directions of a flow from one cache
 * sweep, or, when two routers see one direction each, within their
 * inactive timeout (15 s on most) plus the export delay. */
#define CAP_PAIR_HOLD_NS (60 * CAP_NS_PER_S)
/* The exporters' active timeout: a flow longer than this comes in pieces
 * (30 minutes is the default of IOS, IOS-XR, NX-OS and Junos' inline
 * J-Flow); a flow that may still continue is held this long after its
 * last record, so that the next piece joins it. */
#define CAP_PAIR_ACTIVE_NS (1800 * CAP_NS_PER_S)
/* An ICMP unreachable record answers a flow when its time lies within
 * this much of the flow's own [first, last] (the two may come from two
 * exporters whose clocks differ a little). */
#define CAP_PAIR_ICMP_WINDOW_NS (2 * CAP_NS_PER_S)
/* ICMP error records looked at per unanswered flow (one bucket walk). */
#define CAP_PAIR_ICMP_WALK 64u

/* ---- nfdump.c: --flows nfdump:PATH ------------------------------------- */

/* Read PATH (an nfcapd file, or a directory of them) through the real
 * `nfdump -o json` and hand each record to the pairer, ticking it with
 * the records' own time. `allow`/`nallow`: the --exporter list (a record
 * whose exporter, nfdump's ip4_router/ip6_router, is outside it is
 * counted in rs->ignored_exporters), nallow 0 = all. skip_bad: a record
 * that does not map is counted in rs->malformed and skipped instead of
 * being an error. `stop` (may be NULL) is polled between records (a
 * signal). `progress` (may be NULL) is called about every 4096 records
 * with the bytes of JSON read. 0, or -1 with "nfdump:PATH: what" in err
 * (nfdump missing or failing: its own message included). */
int cap_nfdump_read(const char *path, struct cap_pairer *p,
                    struct cap_rec_stats *rs,
                    const struct cap_prefix_opt *allow, unsigned nallow,
                    bool skip_bad, bool (*stop)(void),
                    void (*progress)(void *ctx, uint64_t bytes),
                    void *progress_ctx, char *err, size_t errlen);

/* The nfdump binary used: $PORTAUDIT_NFDUMP when set (tests), else
 * "nfdump" looked up in $PATH. */
const char *cap_nfdump_program(void);

/* Does addr (family 4 or 6) fall in one of the n prefixes? */
bool cap_prefix_match(const struct cap_prefix_opt *list, unsigned n,
                      uint8_t family, const uint8_t *addr);

/* Record an exporter's address in rs->exporter_addrs (once; the first
 * CAP_REC_EXPORTERS_SHOWN distinct ones). */
void cap_rec_exporter_seen(struct cap_rec_stats *rs, uint8_t family,
                           const uint8_t *addr);

/* ---- run.c: shared with the capture loop -------------------------------- */

/* SIGINT/SIGTERM as cap_run handles them: the first one sets a flag
 * (cap_signal_seen), a second one kills. The handlers are installed
 * without SA_RESTART: a blocked read returns EINTR, and the readers
 * (zeek.c, nfdump.c) then stop on cap_signal_seen() or read on. */
void cap_signals_begin(void);
void cap_signals_end(void);
bool cap_signal_seen(void);
/* SIGUSR1 came since the last call (and is taken): print the counters. */
bool cap_counters_asked(void);
/* records.c: print the counters of the running record source on standard
 * error if SIGUSR1 asked for them (a blocked read calls it on EINTR). */
void cap_rec_counters(void);
/* -Z: initgroups, setgid, setuid, then setuid(0) must fail. */
int cap_drop_privileges(const char *user, char *errbuf, size_t errlen);

#endif
