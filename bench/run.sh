#!/bin/sh
# run.sh PORTAUDIT -- benchmark portaudit against a bare libpcap read loop.
#
# `make bench` runs it with ./portaudit (it is not part of `make test`).
# 1. Builds the tools with cc into build/bench/: benchgen (the captures),
#    floor (pcap_open_offline + pcap_next_ex, counting packets) and rss
#    (fork/execvp/wait4: wall time and peak RSS of a command).
# 2. Generates, once (cached in build/bench/, regenerated when benchgen.c
#    or the sizes change), deterministic captures:
#      mixed.pcap  BENCH_MIXED packets (default 5000000) of mixed TCP/UDP
#                  traffic around the server 10.0.0.5, mostly established
#      scan.pcap   BENCH_SCAN SYNs (default 1000000) from one peer to one
#                  server over all ports, each answered by a RST
# 3. Runs floor, `floor -b BYTES` (libpcap reading through a stdio buffer
#    of BYTES, as portaudit does: CAP_READ_BUF in capture/source.h, read
#    from there, 128 KiB), then
#    `portaudit -q -r FILE --server 10.0.0.5`, BENCH_RUNS times each
#    (default 5; the best wall time and the largest RSS count), after one
#    untimed read to put the file in the page cache, and prints packets,
#    seconds, the ratio portaudit/floor (the target), the ratio
#    portaudit/floor-NK (portaudit over the same reading), portaudit's
#    CPU time (user+sys: with its second thread it can exceed the wall
#    time), packets per second and peak RSS, with the targets: ratio <= 1.3
#    on the mixed capture, peak RSS < 256 MiB on the scan.
# Exit status: 0 when every target is met, 1 when one is missed or
# portaudit failed, 2 when the tools could not be built.
pa=${1:-./portaudit}
case $pa in
/*) ;;
*) pa=$(pwd)/$pa ;;
esac
dir=${BENCH_DIR:-build/bench}
mixed_n=${BENCH_MIXED:-5000000}
scan_n=${BENCH_SCAN:-1000000}
runs=${BENCH_RUNS:-5}
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
generate scan "$scan_n"

# measure CMD... : sets wall (best), cpu (user+sys of that run), rss_kib
# (largest), status (last)
measure() {
	wall= cpu= rss_kib=0 status=0
	i=0
	while [ $i -lt "$runs" ]; do
		"$dir/rss" "$@" > "$dir/out.txt" 2> "$dir/err.txt"
		line=$(grep '^rss: wall=' "$dir/err.txt" | tail -n 1)
		w=$(echo "$line" | sed 's/.*wall=\([0-9.]*\).*/\1/')
		k=$(echo "$line" | sed 's/.*maxrss_kib=\([0-9]*\).*/\1/')
		status=$(echo "$line" | sed 's/.*status=\([0-9]*\).*/\1/')
		c=$(echo "$line" | sed 's/.*cpu=\([0-9.]*\).*/\1/')
		[ -n "$w" ] || { status=2; return; }
		case $status in 0 | 1) ;; *) return ;; esac
		if [ -z "$wall" ] || awk "BEGIN{exit !($w < $wall)}"; then
			wall=$w
			cpu=$c
		fi
		[ "$k" -gt "$rss_kib" ] && rss_kib=$k
		i=$((i + 1))
	done
}

fail=0
results=
printf '\n%-6s %10s %8s %10s %11s %6s %10s %7s %11s %8s  %s\n' capture packets "floor s" "$fb" "portaudit s" ratio "ratio-${fb#floor-}" "cpu s" "packets/s" "RSS MiB" "target"
for kind in mixed scan; do
	file=$dir/$kind.pcap
	"$dir/floor" "$file" > /dev/null            # page cache
	measure "$dir/floor" "$file"
	if [ "$status" != 0 ]; then
		echo "bench: floor failed on $file: $(head -n 3 "$dir/err.txt")"
		exit 2
	fi
	pkts=$(cut -d' ' -f1 "$dir/out.txt")
	floor_s=$wall
	measure "$dir/floor" -b "$readbuf" "$file"
	if [ "$status" != 0 ]; then
		echo "bench: floor -b failed on $file: $(head -n 3 "$dir/err.txt")"
		exit 2
	fi
	floorb_s=$wall
	measure "$pa" -q -r "$file" --server "$server"
	if [ "$status" != 0 ] && [ "$status" != 1 ]; then
		printf '%-6s %10s %8s %10s %11s %6s %10s %7s %11s %8s  %s\n' "$kind" "$pkts" "$floor_s" "$floorb_s" - - - - - - "not measured"
		results="$results
bench: $kind: portaudit failed (exit $status): $(grep -v '^rss: ' "$dir/err.txt" | head -n 2 | tr '\n' ' ')"
		fail=1
		continue
	fi
	ratio=$(awk "BEGIN{printf \"%.2f\", $wall / ($floor_s > 0 ? $floor_s : 0.001)}")
	ratiob=$(awk "BEGIN{printf \"%.2f\", $wall / ($floorb_s > 0 ? $floorb_s : 0.001)}")
	pps=$(awk "BEGIN{printf \"%.0f\", $pkts / ($wall > 0 ? $wall : 0.001)}")
	mib=$(awk "BEGIN{printf \"%.1f\", $rss_kib / 1024}")
	if [ "$kind" = mixed ]; then
		if awk "BEGIN{exit !($ratio <= 1.3)}"; then t="ratio <= 1.3: met"; else t="ratio <= 1.3: MISSED"; fail=1; fi
	else
		if awk "BEGIN{exit !($mib < 256)}"; then t="RSS < 256 MiB: met"; else t="RSS < 256 MiB: MISSED"; fail=1; fi
	fi
	printf '%-6s %10s %8s %10s %11s %6s %10s %7s %11s %8s  %s\n' "$kind" "$pkts" "$floor_s" "$floorb_s" "$wall" "$ratio" "$ratiob" "$cpu" "$pps" "$mib" "$t"
done
[ -n "$results" ] && echo "$results"
echo
echo "targets: portaudit/floor <= 1.3 on the mixed capture; peak RSS < 256 MiB on the scan"
echo "floor: libpcap's defaults (4 KiB reads); $fb: libpcap through the $((readbuf / 1024)) KiB buffer portaudit reads with"
echo "portaudit s: wall time; cpu s: its user+sys time in that run (the flow table runs on a second thread)"
echo "(best of $runs runs, files in the page cache; $(nproc 2>/dev/null || echo '?') CPUs)"
exit $fail
