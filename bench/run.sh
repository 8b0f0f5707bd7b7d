#!/bin/sh
# run.sh PORTAUDIT -- benchmark portaudit against a bare libpcap read loop.
#
# `make bench` runs it with ./portaudit (it is not part of `make test`).
# 1. Builds the tools with cc into build/bench/: benchgen (the captures),
#    floor (pcap_open_offline + pcap_next_ex, counting packets; -m: the
#    file mapped and walked), rss (fork/execvp/wait4: wall time, CPU time
#    and peak RSS of a command) and hold (keeps the captures mapped, so in
#    the page cache, while the script runs).
# 2. Generates, once (cached in build/bench/, regenerated when benchgen.c
#    or the sizes change), deterministic captures:
#      mixed.pcap    BENCH_MIXED packets (default 5000000) of mixed TCP/UDP
#                    traffic around the server 10.0.0.5, mostly established
#      servers.pcap  BENCH_SERVERS packets (default 1000000) over ten
#                    minutes around 10,000 servers to infer, 10% VLAN
#      scan.pcap     BENCH_SCAN SYNs (default 1000000) from one peer to one
#                    server over all ports, each answered by a RST
# 3. Times, for each capture, BENCH_RUNS rounds (default 7) of: floor,
#    `floor -b BYTES` (libpcap through the stdio buffer portaudit reads
#    with: CAP_READ_BUF in capture/source.h, 128 KiB), `floor -m` (no
#    libpcap: the file mapped and its records walked, the floor under
#    portaudit's own reader), then the whole audit
#    with its JSON report (`portaudit -q -r FILE [--server 10.0.0.5] --json
#    F`) on each path: PORTAUDIT_PIPE=thread (the flow table on a second
#    thread), PORTAUDIT_PIPE=inline (on the reader's), and the default (the
#    path measured faster at run time, capture/pipe.c). The rounds alternate
#    the commands, so that a busy minute hurts them alike; medians of wall
#    and CPU (user+sys) time, the largest peak RSS. Files stay in the page
#    cache: bench/hold keeps them mapped while the script runs (some
#    virtual machines reclaim idle page cache within seconds).
# 4. When valgrind is installed (BENCH_CALLGRIND=0 skips it): instruction
#    counts (callgrind) of floor, floor -b and the audit on the inline path
#    over the first BENCH_CUT packets (default 1000000) of each capture,
#    with where the audit's go (callgrind_annotate, inclusive); then the
#    cost per flow of classification (cls_flow: Ir per call) on that cut of
#    the mixed capture with 10, 1,000 and 10,000 servers given (10.0.0.5
#    and addresses of 198.18.0.0/15 that never appear), so that the same
#    flows are judged and only the size of the server set changes.
# 5. Prints the goals, met or MISSED:
#      mixed: audit <= 2.0 x the bare loop's instructions; default path's
#      wall <= 0.6 x floor and <= 1.15 x floor-128K; every capture: the
#      default path no slower than inline (5% for noise); cost per flow
#      from 10 to 10,000 servers within 10%; scan: peak RSS < 64 MiB.
#    BENCH_KINDS (default "mixed servers scan") picks the captures timed.
# 6. Runs bench/live.sh (BENCH_LIVE=0 skips it): the live capture under load,
#    on a veth between two network namespaces; root only, else it says it
#    is skipped.
# 7. Runs bench/records.sh (BENCH_RECORDS=0 skips it): the flow-record
#    sources, Zeek conn.log, nfdump and the NetFlow/IPFIX collector.
# Exit status: 0 when every goal is met, 1 when one is missed or portaudit
# failed (or live.sh or records.sh did), 2 when the tools could not be built.
pa=${1:-./portaudit}
case $pa in
/*) ;;
*) pa=$(pwd)/$pa ;;
esac
dir=${BENCH_DIR:-build/bench}
mixed_n=${BENCH_MIXED:-5000000}
servers_n=${BENCH_SERVERS:-1000000}
scan_n=${BENCH_SCAN:-1000000}
runs=${BENCH_RUNS:-7}
cut=${BENCH_CUT:-1000000}
callgrind=${BENCH_CALLGRIND:-1}
# portaudit's read buffer, from capture/source.h (CAP_READ_BUF, in KiB)
readbuf=$(sed -n 's/^#define CAP_READ_BUF (\([0-9]*\)u \* 1024u).*/\1/p' \
	"$(dirname "$0")/../capture/source.h")
readbuf=$(( ${readbuf:-128} * 1024 ))
fb="floor-$((readbuf / 1024))K"
server=10.0.0.5
cc=${CC:-cc}
src=$(dirname "$0")
mkdir -p "$dir" || exit 2

build() {       # build NAME SOURCE [LIBS...]
	name=$1 source=$2
	shift 2
	if [ ! -x "$dir/$name" ] || [ "$source" -nt "$dir/$name" ]; then
		echo "bench: building $dir/$name"
		$cc -std=c11 -O2 -Wall -Wextra -o "$dir/$name" "$source" "$@" || exit 2
	fi
}
pcap_cflags=$(pkg-config --cflags libpcap 2>/dev/null)
pcap_libs=$(pkg-config --libs libpcap 2>/dev/null || echo -lpcap)
build benchgen "$src/benchgen.c"
build floor "$src/floor.c" $pcap_cflags $pcap_libs
build rss "$src/rss.c"
build hold "$src/hold.c"

# generate KIND N: cached by a stamp of the generator source and the size
generate() {
	kind=$1 n=$2
	file=$dir/$kind.pcap
	stamp="$(cksum < "$src/benchgen.c") $n"
	if [ -s "$file" ] && [ "$(cat "$file.stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	echo "bench: generating $file ($kind, $n)"
	rm -f "$file.stamp"
	"$dir/benchgen" "$kind" "$n" "$file" || exit 2
	echo "$stamp" > "$file.stamp"
}
generate mixed "$mixed_n"
generate servers "$servers_n"
generate scan "$scan_n"

# Keep the captures in the page cache while they are timed: hold maps
# them (bench/hold.c says why), and ends with this script. First (unless
# BENCH_COLD=0) it has the page cache drop them and reads them again as
# portaudit reads a file from disk (-c): cached in 2 MiB pages.
cold=-c
[ "${BENCH_COLD:-1}" = 0 ] && cold=
"$dir/hold" $cold "$dir/mixed.pcap" "$dir/servers.pcap" "$dir/scan.pcap" \
	> "$dir/hold.out" 2>&1 &
holdpid=$!
trap 'kill $holdpid 2>/dev/null' EXIT
trap 'kill $holdpid 2>/dev/null; exit 2' INT TERM
i=0
while ! grep -q '^held' "$dir/hold.out" 2>/dev/null; do
	if ! kill -0 $holdpid 2>/dev/null || [ $i -ge 600 ]; then
		echo "bench: hold failed: $(cat "$dir/hold.out")"
		exit 2
	fi
	sleep 0.1
	i=$((i + 1))
done
sed -n 's|^.*/\([^/]*: .* cached in 2 MiB pages\)$|page cache: \1|p' "$dir/hold.out"

kinds=${BENCH_KINDS:-mixed servers scan}
opts() {        # the audit's options for a capture
	case $1 in
	servers) echo "" ;;          # inferred: hosts accepting the base port
	*) echo "--server $server" ;;
	esac
}

# once LABEL CMD...: one timed run, appended to $dir/t.LABEL as
# "wall cpu rss_kib status"; the command's stderr is kept in $dir/err.LABEL
once() {
	label=$1
	shift
	"$dir/rss" "$@" > "$dir/out.txt" 2> "$dir/err.$label"
	line=$(grep '^rss: wall=' "$dir/err.$label" | tail -n 1)
	echo "$line" | sed 's/.*wall=\([0-9.]*\) maxrss_kib=\([0-9]*\) status=\([0-9]*\) cpu=\([0-9.]*\).*/\1 \4 \2 \3/' \
		>> "$dir/t.$label"
}
median() {      # median FILE COLUMN
	cut -d' ' -f"$2" "$1" | sort -n | awk '{v[NR] = $1} END {
		if (NR == 0) { print "-"; exit }
		printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
maxcol() {      # maxcol FILE COLUMN
	cut -d' ' -f"$2" "$1" | sort -n | tail -n 1
}
mincol() {      # mincol FILE COLUMN
	cut -d' ' -f"$2" "$1" | sort -n | head -n 1
}
worst_status() {
	cut -d' ' -f4 "$1" | sort -n | tail -n 1
}
ratio() {       # ratio A B -> A/B with two decimals
	awk "BEGIN{printf \"%.2f\", $1 / ($2 > 0 ? $2 : 0.001)}"
}
ratio3() {      # the same with three
	awk "BEGIN{printf \"%.3f\", $1 / ($2 > 0 ? $2 : 0.001)}"
}

fail=0
notes=
goals=
goal() {        # goal TEXT MET(0|1)
	if [ "$2" = 0 ]; then goals="$goals
  met     $1"; else goals="$goals
  MISSED  $1"; fail=1; fi
}
le() {          # le A B: exit 0 when A <= B
	awk "BEGIN{exit !($1 <= $2)}"
}

echo
echo "Wall and CPU time (median of $runs alternated rounds), peak RSS; the audit writes its JSON report"
printf '%-8s %9s  %-11s %8s %8s %8s %9s %8s %7s %7s  %s\n' capture packets run "wall s" "cpu s" "x floor" "x $fb" "RSS MiB" "best s" "x floor" note
for kind in $kinds; do
	file=$dir/$kind.pcap
	"$dir/floor" "$file" > "$dir/pkts.txt" || { echo "bench: floor failed on $file"; exit 2; }
	pkts=$(cut -d' ' -f1 "$dir/pkts.txt")
	o=$(opts "$kind")
	rm -f "$dir"/t.*
	i=0
	while [ $i -lt "$runs" ]; do
		once floor "$dir/floor" "$file"
		once floorb "$dir/floor" -b "$readbuf" "$file"
		once floorm "$dir/floor" -m "$file"
		once thread env PORTAUDIT_PIPE=thread "$pa" -q -r "$file" $o --json "$dir/report-$kind.json"
		once inline env PORTAUDIT_PIPE=inline "$pa" -q -r "$file" $o --json "$dir/report-$kind.json"
		once default env PORTAUDIT_PIPE_DEBUG=1 "$pa" -q -r "$file" $o --json "$dir/report-$kind.json"
		i=$((i + 1))
	done
	for l in floor floorb floorm; do
		if [ "$(worst_status "$dir/t.$l")" != 0 ]; then
			echo "bench: $l failed on $file: $(head -n 3 "$dir/err.$l")"
			exit 2
		fi
	done
	fw=$(median "$dir/t.floor" 1)
	fbw=$(median "$dir/t.floorb" 1)
	fmin=$(mincol "$dir/t.floor" 1)
	first=1
	for l in floor floorb floorm thread inline default; do
		w=$(median "$dir/t.$l" 1)
		c=$(median "$dir/t.$l" 2)
		m=$(awk "BEGIN{printf \"%.1f\", $(maxcol "$dir/t.$l" 3) / 1024}")
		st=$(worst_status "$dir/t.$l")
		name=$l note=
		[ "$l" = floorb ] && name=$fb
		[ "$l" = floorm ] && name=floor-map
		[ "$l" = default ] && name="default"
		if [ "$l" = default ]; then
			if grep -q 'on_thread 1' "$dir/err.default"; then
				note="the last run ended on the thread"
			else
				note="the last run ended inline"
			fi
		fi
		case $st in
		0 | 1) ;;
		*) note="FAILED (exit $st): $(grep -v '^rss: ' "$dir/err.$l" | head -n 1)"
		   fail=1 ;;
		esac
		if [ $first = 1 ]; then
			printf '%-8s %9s  ' "$kind" "$pkts"
			first=0
		else
			printf '%-8s %9s  ' "" ""
		fi
		b=$(mincol "$dir/t.$l" 1)
		printf '%-11s %8s %8s %8s %9s %8s %7s %7s  %s\n' "$name" "$w" "$c" \
			"$(ratio "$w" "$fw")" "$(ratio "$w" "$fbw")" "$m" "$b" \
			"$(ratio "$b" "$fmin")" "$note"
	done
	dw=$(median "$dir/t.default" 1)
	iw=$(median "$dir/t.inline" 1)
	tw=$(median "$dir/t.thread" 1)
	mw=$(median "$dir/t.floorm" 1)
	dc=$(median "$dir/t.default" 2)
	half=$(awk "BEGIN{printf \"%.3f\", $dc / 2}")
	notes="$notes
  $kind: thread/inline $(ratio "$tw" "$iw"), default/inline $(ratio "$dw" "$iw"); default x floor-map $(ratio "$dw" "$mw"); floor-map x floor $(ratio "$mw" "$fw"); two-CPU bound (default's CPU / 2 = $half s) x floor $(ratio "$half" "$fw")"
	le "$dw" "$(awk "BEGIN{print $iw * 1.05}")"
	goal "$kind: the default path no slower than inline (default/inline $(ratio "$dw" "$iw") <= 1.05)" $?
	if [ "$kind" = mixed ]; then
		# compared unrounded: 0.6015 is not within 0.6
		le "$dw" "$(awk "BEGIN{print $fw * 0.6}")"
		goal "mixed: wall <= 0.6 x floor ($(ratio3 "$dw" "$fw"))" $?
		le "$dw" "$(awk "BEGIN{print $fbw * 1.15}")"
		goal "mixed: wall <= 1.15 x $fb ($(ratio3 "$dw" "$fbw"))" $?
	fi
	if [ "$kind" = scan ]; then
		m=$(awk "BEGIN{printf \"%.1f\", $(maxcol "$dir/t.default" 3) / 1024}")
		le "$m" 63.999
		goal "scan ($pkts packets): peak RSS < 64 MiB ($m MiB)" $?
	fi
done
echo "$notes"
echo "x floor: wall / floor's wall (libpcap's defaults, 4 KiB reads); x $fb: / libpcap through the $((readbuf / 1024)) KiB buffer portaudit reads with"
echo "floor-map: no libpcap, the file mapped and each record's header and two bytes of its packet read on one thread (floor -m): portaudit's reader with no work"
echo "two-CPU bound: the audit's CPU time spread evenly over two CPUs with no hand-off cost, the least wall time its work allows on this machine"
echo "best s: the fastest of the $runs runs, and its ratio to the fastest floor: other work on the host only ever slows a run (on these virtual machines the second CPU is at times no faster than sharing the first); the goals are judged on the medians"
echo "thread, inline: PORTAUDIT_PIPE forces the flow table's path; default: measured at run time (capture/pipe.c); $(nproc 2>/dev/null || echo '?') CPUs"

# ---- instructions -------------------------------------------------------
# cg OUT CMD...: callgrind's instruction count of CMD (its output in OUT)
cg() {
	out=$1
	shift
	valgrind --tool=callgrind --callgrind-out-file="$out" "$@" \
		> /dev/null 2> "$out.err"
	sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$out.err" | tail -n 1
}
# fn OUT FUNC: "INCLUSIVE_IR CALLS" of a function in a callgrind output
# (annotated from /, where no source file is found: from the source tree
# callgrind_annotate splits a function's entries by file name)
fn() {
	f=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	(cd / && callgrind_annotate --inclusive=yes --tree=caller --threshold=100 "$f" 2>/dev/null) |
	awk -v fn="$2" '
	/^[[:space:]]*$/ { calls = 0; next }
	/ < / { if (match($0, /\(([0-9,]+)x\)/)) {
			c = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", c); calls += c }
		next }
	/ \* / { if (index($0, ":" fn " [")) { ir = $1; gsub(",", "", ir); print ir, calls; found = 1; exit }
		calls = 0 }
	END { if (!found) print 0, 0 }'
}
mega() {
	awk "BEGIN{printf \"%.0f\", $1 / 1e6}"
}

if [ "$callgrind" != 0 ] && command -v valgrind > /dev/null 2>&1 &&
   command -v callgrind_annotate > /dev/null 2>&1; then
	echo
	echo "Instructions (callgrind; the first $cut packets of each capture, the audit on the inline path, with its JSON report)"
	printf '%-8s %9s %10s %10s %10s %8s  %s\n' capture packets "floor M" "$fb M" "audit M" "x floor" \
		"audit: reading (the reader, the callback, the pipe) / decode / flow table / classify / JSON / setup, M"
	for kind in $kinds; do
		file=$dir/$kind.pcap
		o=$(opts "$kind")
		fl=$(cg "$dir/cg.floor.out" "$dir/floor" -c "$cut" "$file")
		fbl=$(cg "$dir/cg.floorb.out" "$dir/floor" -b "$readbuf" -c "$cut" "$file")
		au=$(export PORTAUDIT_PIPE=inline
		     cg "$dir/cg.$kind.out" "$pa" -q -c "$cut" -r "$file" $o \
		        --json "$dir/cg-report.json")
		n=$("$dir/floor" -c "$cut" "$file" | cut -d' ' -f1)
		if [ -z "$au" ] || [ -z "$fl" ]; then
			echo "$kind: callgrind failed: $(tail -n 3 "$dir/cg.$kind.out.err")"
			fail=1
			continue
		fi
		out=$dir/cg.$kind.out
		dec=$(fn "$out" cap_decode_frame | cut -d' ' -f1)
		bat=$(fn "$out" cap_flowtab_batch | cut -d' ' -f1)
		bth=$(fn "$out" cap_flowtab_batch_hashed | cut -d' ' -f1)
		hsh=$(fn "$out" cap_flowtab_hash | cut -d' ' -f1)
		fls=$(fn "$out" cap_flowtab_flush | cut -d' ' -f1)
		clf=$(fn "$out" cls_flow | cut -d' ' -f1)
		fin=$(fn "$out" cls_finish | cut -d' ' -f1)
		jso=$(fn "$out" json_report | cut -d' ' -f1)
		new=$(fn "$out" cls_new | cut -d' ' -f1)
		tab=$((${bat:-0} + ${bth:-0} + ${hsh:-0} + fls - clf))
		cls=$((clf + fin))
		rest=$((au - dec - tab - cls - jso - new))
		printf '%-8s %9s %10s %10s %10s %8s  %s / %s / %s / %s / %s / %s\n' "$kind" "$n" \
			"$(mega "$fl")" "$(mega "$fbl")" "$(mega "$au")" "$(ratio "$au" "$fl")" \
			"$(mega "$rest")" "$(mega "$dec")" "$(mega "$tab")" "$(mega "$cls")" \
			"$(mega "$jso")" "$(mega "$new")"
		if [ "$kind" = mixed ]; then
			le "$(ratio "$au" "$fl")" 2.0
			goal "mixed: audit with its report <= 2.0 x the bare loop's instructions ($(ratio "$au" "$fl"), first $n packets)" $?
		fi
	done
	echo "reading: everything not listed (the pcap reader -- capture/pcapfile.c, or libpcap and stdio with PORTAUDIT_READER=libpcap --, the callback, the pipe); decode: cap_decode_frame; flow table: cap_flowtab_batch, _batch_hashed and _hash (when the reader hashes the keys) and _flush, less classification;"
	echo "classify: cls_flow (per flow) and cls_finish (inferred servers' flows judged at the end); setup: cls_new"

	echo
	echo "Cost per flow with N servers given (callgrind, the first $cut packets of mixed.pcap, inline; 10.0.0.5 and N-1 addresses never seen)"
	printf '%8s %10s %12s %10s\n' servers flows "cls_flow M" "Ir/flow"
	base=
	for ns in 10 1000 10000; do
		set -- --server "$server"
		i=1
		while [ $i -lt "$ns" ]; do
			set -- "$@" --server "198.18.$((i / 250)).$((i % 250 + 1))"
			i=$((i + 1))
		done
		PORTAUDIT_PIPE=inline valgrind --tool=callgrind --callgrind-out-file="$dir/cg.srv$ns.out" \
			"$pa" -q -c "$cut" -r "$dir/mixed.pcap" "$@" > /dev/null 2> "$dir/cg.srv$ns.err"
		r=$(fn "$dir/cg.srv$ns.out" cls_flow)
		ir=${r% *}
		calls=${r#* }
		per=$(awk "BEGIN{printf \"%.0f\", $ir / ($calls > 0 ? $calls : 1)}")
		[ -n "$base" ] || base=$per
		printf '%8s %10s %12s %10s\n' "$ns" "$calls" "$(mega "$ir")" "$per"
		last=$per
	done
	spread=$(awk "BEGIN{d = $last / ($base > 0 ? $base : 1); printf \"%.2f\", d}")
	awk "BEGIN{exit !($spread >= 0.9 && $spread <= 1.1)}"
	goal "cost per flow from 10 to 10,000 servers within 10% (x$spread)" $?
else
	echo
	echo "Instructions: skipped (valgrind not installed, or BENCH_CALLGRIND=0)"
fi

# ---- live capture under load (bench/live.sh: root only, else skipped) ---
if [ "${BENCH_LIVE:-1}" != 0 ]; then
	BENCH_DIR=$dir sh "$src/live.sh" "$pa" || fail=1
fi
# ---- flow records (bench/records.sh: Zeek, nfdump, the collector) -------
if [ "${BENCH_RECORDS:-1}" != 0 ]; then
	BENCH_DIR=$dir sh "$src/records.sh" "$pa" || fail=1
fi

echo
echo "Goals:$goals"
exit $fail
