#!/bin/sh
# records.sh PORTAUDIT -- the flow-record sources' speed (make bench runs it
# after run.sh; BENCH_RECORDS=0 leaves it out).
#
# 1. Zeek: a conn.log of BENCH_ZEEK lines (default 1,000,000, TSV, written
#    once by bench/zeekgen.c and cached) judged by `portaudit -q --flows
#    zeek:FILE --server 10.0.0.5 --json F`, BENCH_RUNS rounds (default 5):
#    median wall and CPU time, peak RSS; beside it the reader alone
#    (bench/zeekread.c: cap_zeek_read with a callback that counts) and, when
#    valgrind is installed, the audit's instructions per line (callgrind on
#    the first 100,000 lines).
#    Goal: 1M lines judged in at most 1 s of CPU on one core.
# 2. nfdump: BENCH_NFDUMP records (default 1,000,000) sent as IPFIX uniflow
#    pairs by bench/nfsend.c to a real nfcapd on the loopback, once (cached:
#    the nfcapd directory); then, BENCH_RUNS rounds of `nfdump -R DIR -o
#    json` alone (TZ=UTC, output to /dev/null) and of `portaudit --flows
#    nfdump:DIR` (which runs that same nfdump and reads its JSON). wait4
#    counts a child's CPU with the process that waited for it, so
#    portaudit's own CPU is its total less nfdump's: the CPU of the nfdump
#    it started, measured by GNU time around it (PORTAUDIT_NFDUMP; writing
#    into the pipe costs nfdump more than writing to /dev/null), or
#    without /usr/bin/time nfdump's alone. The rate of each is records /
#    its CPU time; with valgrind, portaudit's instructions per record too
#    (callgrind, the first 100,000 records' JSON saved and fed by cat).
#    Goal: portaudit's own rate at least 10 x nfdump's (nfdump is the
#    bottleneck of that path).
# 3. Collector: `portaudit --collect netflow:127.0.0.1:PORT` (a free port)
#    fed by nfsend at BENCH_RATE records/s (default 300,000) for
#    BENCH_COLLECT records (default 3,000,000): records received, sequence
#    gaps, CPU time. Then the same as fast as nfsend can send (-r 0), to
#    show the ceiling of this machine (loss is reported there, not a goal).
#    Goal: every record at BENCH_RATE received, no sequence gap.
# 4. Memory per concurrent tuple: the collector fed one-way records (a SYN
#    whose reverse never comes: held for the pairing window, 60 s, longer
#    than the run) of BENCH_TUPLES_LO and BENCH_TUPLES_HI distinct tuples
#    (100,000 and 400,000); peak RSS of each and the difference per 100,000
#    tuples. Reported, with the bound stated in capture/pairing.c.
# Exit status: 0 when the goals are met or their tools are missing (said),
# 1 when one is missed or portaudit failed, 2 when a tool could not be built.
pa=${1:-./portaudit}
case $pa in
/*) ;;
*) pa=$(pwd)/$pa ;;
esac
dir=${BENCH_DIR:-build/bench}
zeek_n=${BENCH_ZEEK:-1000000}
nfd_n=${BENCH_NFDUMP:-1000000}
runs=${BENCH_RUNS:-5}
rate=${BENCH_RATE:-300000}
col_n=${BENCH_COLLECT:-3000000}
lo_n=${BENCH_TUPLES_LO:-100000}
hi_n=${BENCH_TUPLES_HI:-400000}
callgrind=${BENCH_CALLGRIND:-1}
cc=${CC:-cc}
src=$(dirname "$0")
root=$(cd "$src/.." && pwd)
mkdir -p "$dir" || exit 2

build() {       # build NAME SOURCE [ARGS...]
	name=$1 source=$2
	shift 2
	if [ ! -x "$dir/$name" ] || [ "$source" -nt "$dir/$name" ]; then
		echo "bench: building $dir/$name"
		$cc -std=c11 -O2 -Wall -Wextra -o "$dir/$name" "$source" "$@" || exit 2
	fi
}
build rss "$src/rss.c"
build zeekgen "$src/zeekgen.c"
build nfsend "$src/nfsend.c"
lib=$root/build/rel/libportaudit.a
if [ ! -f "$lib" ]; then
	make -C "$root" -s build/rel/libportaudit.a >/dev/null 2>&1 || true
fi
zeekread=
if [ -f "$lib" ]; then
	# shellcheck disable=SC2046
	$cc -std=c11 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -I"$root" \
		-o "$dir/zeekread" "$src/zeekread.c" "$lib" \
		$(pkg-config --libs libpcap yaml-0.1 jansson zlib libcap-ng) -pthread -lm \
		&& zeekread=$dir/zeekread
fi

# once LABEL CMD...: one run through rss, "wall cpu rss_kib status" appended
# to $dir/r.LABEL; stdout in $dir/out.LABEL, stderr in $dir/err.LABEL
once() {
	label=$1
	shift
	"$dir/rss" "$@" > "$dir/out.$label" 2> "$dir/err.$label"
	grep '^rss: wall=' "$dir/err.$label" | tail -n 1 |
		sed 's/.*wall=\([0-9.]*\) maxrss_kib=\([0-9]*\) status=\([0-9]*\) cpu=\([0-9.]*\).*/\1 \4 \2 \3/' \
		>> "$dir/r.$label"
}
median() {      # median FILE COLUMN
	cut -d' ' -f"$2" "$1" | sort -n | awk '{v[NR] = $1} END {
		if (NR == 0) { print "-"; exit }
		printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
maxcol() { cut -d' ' -f"$2" "$1" | sort -n | tail -n 1; }
worst() { cut -d' ' -f4 "$1" | sort -n | tail -n 1; }
calc() { awk "BEGIN{printf \"$1\", $2}"; }
le() { awk "BEGIN{exit !($1 <= $2)}"; }
jget() {        # jget FILE KEY: the first integer value of KEY in a JSON file
	tr ',{}' '\n\n\n' < "$1" | sed -n "s/^ *\"$2\": *\([0-9][0-9]*\).*/\1/p" | head -n 1
}

fail=0
goals=
goal() {
	if [ "$2" = 0 ]; then goals="$goals
  met     $1"; else goals="$goals
  MISSED  $1"; fail=1; fi
}

# ---- 1. Zeek conn.log ----------------------------------------------------
log=$dir/conn-$zeek_n.log
stamp="$(cksum < "$src/zeekgen.c") $zeek_n"
if [ ! -s "$log" ] || [ "$(cat "$log.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "bench: generating $log ($zeek_n lines)"
	"$dir/zeekgen" "$zeek_n" tsv > "$log" || exit 2
	echo "$stamp" > "$log.stamp"
fi
cat "$log" > /dev/null
rm -f "$dir"/r.*
i=0
while [ $i -lt "$runs" ]; do
	once zaudit "$pa" -q --flows "zeek:$log" --server 10.0.0.5 --json "$dir/report-zeek.json"
	[ -n "$zeekread" ] && once zread "$zeekread" "$log"
	i=$((i + 1))
done
echo
echo "Zeek conn.log, $zeek_n lines (median of $runs runs)"
printf '  %-30s %8s %8s %8s %9s\n' run "wall s" "cpu s" "RSS MiB" "lines/s"
for l in zread zaudit; do
	[ -f "$dir/r.$l" ] || continue
	w=$(median "$dir/r.$l" 1) c=$(median "$dir/r.$l" 2)
	m=$(calc "%.1f" "$(maxcol "$dir/r.$l" 3) / 1024")
	name="reader alone (zeekread)"
	[ $l = zaudit ] && name="audit (--flows zeek: --json)"
	printf '  %-30s %8s %8s %8s %9s\n' "$name" "$w" "$c" "$m" \
		"$(calc "%.0f" "$zeek_n / ($c > 0 ? $c : 0.001)")"
done
st=$(worst "$dir/r.zaudit")
case $st in
0 | 1) ;;
*) echo "  audit FAILED (exit $st): $(grep -v '^rss: ' "$dir/err.zaudit" | head -n 2)"; fail=1 ;;
esac
zc=$(median "$dir/r.zaudit" 2)
le "$zc" "$(calc "%.3f" "$zeek_n / 1000000")"
goal "zeek: $zeek_n lines judged in $zc s of CPU (at most $(calc "%.1f" "$zeek_n / 1000000") s)" $?
if [ "$callgrind" != 0 ] && command -v valgrind >/dev/null 2>&1; then
	cut=$dir/conn-cut.log
	head -n 100008 "$log" > "$cut"
	valgrind --tool=callgrind --callgrind-out-file="$dir/cg.zeek" \
		"$pa" -q --flows "zeek:$cut" --server 10.0.0.5 --json "$dir/report-cut.json" \
		> /dev/null 2> "$dir/cg.zeek.err"
	ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$dir/cg.zeek" | head -n 1)
	[ -n "$ir" ] && echo "  instructions (callgrind, first 100,000 lines): $ir, $(calc "%.0f" "$ir / 100000") per line"
fi

# ---- 2. nfdump -------------------------------------------------------------
free_port() {   # a UDP port nobody listens on, from a range by our pid
	p=$((20000 + ($$ * 7 + ${1:-0} * 131) % 40000))
	while ss -Huln "sport = :$p" 2>/dev/null | grep -q .; do
		p=$((p + 1))
	done
	echo $p
}
if ! command -v nfcapd >/dev/null 2>&1 || ! command -v nfdump >/dev/null 2>&1; then
	echo
	echo "nfdump: skipped (nfdump/nfcapd not installed: apt-get install nfdump)"
else
	nd=$dir/nfcapd-$nfd_n
	stamp="$(cksum < "$src/nfsend.c") $nfd_n"
	if [ "$(cat "$nd.stamp" 2>/dev/null)" != "$stamp" ] ||
	   [ -z "$(ls "$nd" 2>/dev/null)" ]; then
		echo "bench: collecting $nfd_n records with nfcapd into $nd"
		rm -rf "$nd" "$nd.stamp"
		mkdir -p "$nd"
		port=$(free_port 1)
		nfcapd -w "$nd" -b 127.0.0.1 -p "$port" -t 3600 > "$dir/nfcapd.log" 2>&1 &
		npid=$!
		sleep 1
		"$dir/nfsend" -n "$nfd_n" -r 200000 127.0.0.1 "$port" > "$dir/nfsend.nfcapd" 2>&1
		sleep 1
		kill -TERM $npid
		wait $npid 2>/dev/null
		echo "$stamp" > "$nd.stamp"
	fi
	got=$(TZ=UTC nfdump -R "$nd" -q -o 'fmt:%pr' 2>/dev/null | wc -l)
	# nfdump's own CPU inside the audit (writing into the pipe, which
	# costs it more than writing to /dev/null alone): GNU time around the
	# nfdump that portaudit starts (PORTAUDIT_NFDUMP), one line a run.
	wrap=
	if /usr/bin/time -o /dev/null -f '%U' true 2>/dev/null; then
		wrap=$dir/nfdump-timed
		printf '#!/bin/sh
exec /usr/bin/time -a -o "%s" -f "%%U %%S" nfdump "$@"
' \
			"$dir/nfdpipe.times" > "$wrap"
		chmod +x "$wrap"
		rm -f "$dir/nfdpipe.times"
	fi
	i=0
	while [ $i -lt "$runs" ]; do
		once nfd env TZ=UTC nfdump -R "$nd" -o json
		if [ -n "$wrap" ]; then
			once nfaudit env PORTAUDIT_NFDUMP="$wrap" "$pa" -q --flows "nfdump:$nd" --server 10.0.0.5 --json "$dir/report-nfdump.json"
			# this run's total less its nfdump's
			t=$(tail -n 1 "$dir/r.nfaudit" | cut -d' ' -f2)
			tail -n 1 "$dir/nfdpipe.times" | awk -v t="$t" '{printf "%.3f %.3f\n", $1 + $2, t - $1 - $2}' >> "$dir/r.nfown"
		else
			once nfaudit "$pa" -q --flows "nfdump:$nd" --server 10.0.0.5 --json "$dir/report-nfdump.json"
		fi
		i=$((i + 1))
	done
	echo
	echo "nfdump path, $got records in $nd (median of $runs runs)"
	nw=$(median "$dir/r.nfd" 1) ncpu=$(median "$dir/r.nfd" 2)
	aw=$(median "$dir/r.nfaudit" 1) acpu=$(median "$dir/r.nfaudit" 2)
	if [ -s "$dir/r.nfown" ]; then
		pcpu=$(median "$dir/r.nfown" 1) own=$(median "$dir/r.nfown" 2)
		how="the audit's CPU less its nfdump's ($pcpu s, by GNU time)"
	else
		pcpu=$ncpu
		own=$(calc "%.3f" "$acpu - $ncpu")
		how="the audit's CPU less nfdump's alone (no GNU time)"
	fi
	le "$own" 0 && own=0.001
	printf '  %-34s %8s %8s %12s\n' run "wall s" "cpu s" "records/s"
	printf '  %-34s %8s %8s %12s\n' "nfdump -R -o json alone" "$nw" "$ncpu" \
		"$(calc "%.0f" "$got / $ncpu")"
	printf '  %-34s %8s %8s %12s\n' "portaudit --flows nfdump: (total)" "$aw" "$acpu" \
		"$(calc "%.0f" "$got / $acpu")"
	printf '  %-34s %8s %8s %12s\n' "  of which portaudit's own" "" "$own" \
		"$(calc "%.0f" "$got / $own")"
	st=$(worst "$dir/r.nfaudit")
	case $st in
	0 | 1) ;;
	*) echo "  audit FAILED (exit $st): $(grep -v '^rss: ' "$dir/err.nfaudit" | head -n 2)"; fail=1 ;;
	esac
	echo "  portaudit's own: $how"
	if [ "$callgrind" != 0 ] && command -v valgrind >/dev/null 2>&1; then
		# Instructions per record of portaudit alone: nfdump's JSON of
		# the first 100,000 records saved once, fed back by cat.
		cut=$dir/nfdump-cut.json
		if [ ! -s "$cut" ] || [ "$nd.stamp" -nt "$cut" ]; then
			TZ=UTC nfdump -R "$nd" -c 100000 -o json > "$cut" 2>/dev/null
		fi
		printf '#!/bin/sh\nexec cat "%s"\n' "$cut" > "$dir/nfdump-cat"
		chmod +x "$dir/nfdump-cat"
		PORTAUDIT_NFDUMP=$dir/nfdump-cat valgrind --tool=callgrind \
			--callgrind-out-file="$dir/cg.nfdump" "$pa" -q --flows "nfdump:$nd" \
			--server 10.0.0.5 --json "$dir/report-cut.json" > /dev/null 2> "$dir/cg.nfdump.err"
		ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$dir/cg.nfdump" | head -n 1)
		[ -n "$ir" ] && echo "  instructions (callgrind, portaudit on the first 100,000 records' JSON): $ir, $(calc "%.0f" "$ir / 100000") per record"
	fi
	x=$(calc "%.1f" "$pcpu / $own")
	le 10 "$x"
	goal "nfdump: portaudit's own rate $x x nfdump's (at least 10)" $?
fi

# ---- 3. collector ------------------------------------------------------------
# collect LABEL RECORDS RATE KIND: the collector for as long as the sending
# takes (plus a margin), nfsend into it; prints "sent received gaps cpu rss"
collect() {
	label=$1 n=$2 r=$3 kind=$4
	port=$(free_port 2)
	if [ "$r" -gt 0 ]; then
		secs=$(( n / r + 4 ))
	else
		secs=$(( n / 200000 + 4 ))
	fi
	rm -f "$dir/r.$label"
	"$dir/rss" "$pa" -q -Z root --collect "netflow:127.0.0.1:$port" --duration "$secs" \
		--server 10.0.0.5 --json "$dir/report-$label.json" \
		> "$dir/out.$label" 2> "$dir/err.$label" &
	cpid=$!
	# the socket is bound when ss lists it
	t=0
	while ! ss -Huln "sport = :$port" 2>/dev/null | grep -q . && [ $t -lt 50 ]; do
		sleep 0.1
		t=$((t + 1))
	done
	"$dir/nfsend" -n "$n" -r "$r" -k "$kind" 127.0.0.1 "$port" > "$dir/send.$label" 2>&1
	wait $cpid
	line=$(grep '^rss: wall=' "$dir/err.$label" | tail -n 1)
	c=$(echo "$line" | sed 's/.* cpu=\([0-9.]*\).*/\1/')
	m=$(echo "$line" | sed 's/.*maxrss_kib=\([0-9]*\).*/\1/')
	s=$(echo "$line" | sed 's/.*status=\([0-9]*\).*/\1/')
	rec=$(jget "$dir/report-$label.json" records)
	gaps=$(jget "$dir/report-$label.json" sequence_gaps)
	reached=$(sed -n 's/.*s, \([0-9]*\) records\/s.*/\1/p' "$dir/send.$label")
	echo "${n} ${rec:-0} ${gaps:--} ${c:-0} ${m:-0} ${s:-9} ${reached:-0}"
}
echo
echo "Collector (--collect netflow:127.0.0.1:PORT, nfsend IPFIX uniflow pairs on the loopback)"
printf '  %-22s %10s %10s %10s %5s %7s %8s\n' run sent received "sent at/s" gaps "cpu s" "RSS MiB"
set -- $(collect cpaced "$col_n" "$rate" pairs)
printf '  %-22s %10s %10s %10s %5s %7s %8s\n' "asked $rate/s" "$1" "$2" "$7" "$3" "$4" \
	"$(calc "%.1f" "$5 / 1024")"
[ "$6" = 0 ] || [ "$6" = 1 ] || { echo "  collector FAILED (exit $6): $(grep -v '^rss: ' "$dir/err.cpaced" | head -n 2)"; fail=1; }
[ "$1" = "$2" ] && [ "$3" = 0 ]
goal "collector: $2 of $1 records at $7/s received, $3 sequence gaps (all, none)" $?
set -- $(collect cfast "$col_n" 0 pairs)
printf '  %-22s %10s %10s %10s %5s %7s %8s\n' "as fast as nfsend" "$1" "$2" "$7" "$3" "$4" \
	"$(calc "%.1f" "$5 / 1024")"

# ---- 4. memory per concurrent tuple --------------------------------------
echo
echo "Pairing memory (one-way records, all held for the 60 s window)"
set -- $(collect tlo "$lo_n" 200000 oneway)
lo_rss=$5 lo_rec=$2
set -- $(collect thi "$hi_n" 200000 oneway)
hi_rss=$5 hi_rec=$2
printf '  %8s tuples held: peak RSS %s MiB\n' "$lo_rec" "$(calc "%.1f" "$lo_rss / 1024")"
printf '  %8s tuples held: peak RSS %s MiB\n' "$hi_rec" "$(calc "%.1f" "$hi_rss / 1024")"
if [ "${hi_rec:-0}" -gt "${lo_rec:-0}" ]; then
	echo "  per 100,000 concurrent tuples: $(calc "%.1f" "($hi_rss - $lo_rss) / 1024 / (($hi_rec - $lo_rec) / 100000)") MiB (the records, the pairing table and the flows they become, judged and reported)"
fi

echo
echo "Goals (records):$goals"
exit $fail
