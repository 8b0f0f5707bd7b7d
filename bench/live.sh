#!/bin/sh
# live.sh PORTAUDIT -- live capture under load: the highest packet rate at
# which `portaudit -i` reports no kernel drop, with each capture buffer.
#
# `make bench` runs it after bench/run.sh; alone: sh bench/live.sh ./portaudit
# Needs root (network namespaces, live capture); without root, or where
# `ip netns add` is not permitted, it says so and exits 0 (skipped).
#
# 1. Installs tcpreplay with apt-get when missing; builds benchgen and rss
#    (bench/README.md) into BENCH_DIR (default build/bench) and generates,
#    once, live.pcap: LIVE_PACKETS (default 500000, 282 MB) packets of
#    benchgen's mixed profile (the first packets of run.sh's mixed.pcap).
# 2. Creates two network namespaces, pa-live-PID-tx and pa-live-PID-rx,
#    joined by a veth pair (pa-tx in one, pa-rx in the other; MTU 1600 for
#    the profile's 1508-byte IPv6 segments; IPv6 off in both, so that the
#    kernel sends nothing of its own and every packet on pa-rx is one
#    tcpreplay sent). No address is configured anywhere: the replayed
#    frames keep benchgen's MACs and addresses, arrive on pa-rx as frames
#    for another host (a SPAN port's view), are seen by the capture in
#    promiscuous mode and dropped by the namespace's stack; nothing leaves
#    the two namespaces. Both are deleted on every exit (trap), with the
#    portaudit still running if any.
# 3. A run: `portaudit -i pa-rx --duration D -q --server 10.0.0.5 --json R
#    [-B KIB]` inside rx (under bench/rss, for its CPU time); once its
#    TPACKET_V3 ring is up (`ss -0 -e` shows it; its blocks, size and
#    timeout are printed), `tcpreplay -i pa-tx --pps RATE --duration
#    LIVE_SECONDS --limit RATE*LIVE_SECONDS --loop 0 --preload-pcap
#    live.pcap` inside tx. --preload-pcap (LIVE_PRELOAD=0 leaves it out)
#    reads the capture into memory first, which takes tcpreplay from about
#    150k to about 400k packets/s here; the time it takes is measured once
#    and D is LIVE_SECONDS + 4 s + twice that. Recorded: the rate asked,
#    the rate tcpreplay reached (its "Rated:" line) and the packets it sent
#    ("Actual:"); from the report, capture.packets and capture.dropped
#    (libpcap's ps_drop + ps_ifdrop); lost = sent - captured - dropped
#    (packets that never reached the capture socket, or were still in a
#    block not handed over when the capture ended); the CPU time of
#    portaudit (user+sys, both threads) and its share of one core over
#    the sending time.
# 4. For each buffer of LIVE_BUFFERS (default "2048 default 65536": libpcap's
#    own 2 MiB, portaudit's default, 64 MiB): the rate starts at LIVE_START
#    pps (default 20000) and doubles while no run drops, up to LIVE_MAX
#    (default 1280000) or until the sender stalls: a run that sends less
#    than 90% of the rate asked and no more than 10% above the run before
#    is the sender's ceiling. After the first run with drops, the rate is
#    bisected between the last clean rate and it until they are within
#    1/8 (at most LIVE_BISECT steps, default 4). The rate kept is run
#    LIVE_REPEAT times in all (default 3), and a quarter lower while one of
#    them drops (at most 3 times).
# 5. Prints the table of every run and, for each buffer, the zero-drop
#    rate: the lowest rate sent among its clean confirming runs, and
#    whether the sender was the ceiling.
# The machine is shared: the load average is printed with each buffer's
# runs; compare within one run of the script, and repeat it.
# Exit status: 0 (also when skipped), 1 when portaudit or tcpreplay
# failed, 2 when the tools could not be built or the capture generated.
pa=${1:-./portaudit}
case $pa in
/*) ;;
*) pa=$(pwd)/$pa ;;
esac
dir=${BENCH_DIR:-build/bench}
secs=${LIVE_SECONDS:-5}
start=${LIVE_START:-20000}
maxrate=${LIVE_MAX:-1280000}
buffers=${LIVE_BUFFERS:-2048 default 65536}
npk=${LIVE_PACKETS:-500000}
preload=${LIVE_PRELOAD:-1}
repeat=${LIVE_REPEAT:-3}
bisect=${LIVE_BISECT:-4}
cc=${CC:-cc}
src=$(dirname "$0")

if [ "$(id -u)" != 0 ]; then
	echo "live: skipped: needs root (network namespaces, live capture)"
	exit 0
fi
if ! command -v ip > /dev/null 2>&1 || ! command -v ss > /dev/null 2>&1; then
	echo "live: skipped: ip and ss (iproute2) are needed"
	exit 0
fi
if ! command -v tcpreplay > /dev/null 2>&1; then
	echo "live: installing tcpreplay"
	apt-get update -qq > /dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpreplay > /dev/null 2>&1
fi
if ! command -v tcpreplay > /dev/null 2>&1; then
	echo "live: skipped: tcpreplay is missing and could not be installed"
	exit 0
fi
mkdir -p "$dir" || exit 2

build() {       # build NAME SOURCE
	if [ ! -x "$dir/$1" ] || [ "$2" -nt "$dir/$1" ]; then
		echo "live: building $dir/$1"
		$cc -std=c11 -O2 -Wall -Wextra -o "$dir/$1" "$2" || exit 2
	fi
}
build benchgen "$src/benchgen.c"
build rss "$src/rss.c"
file=$dir/live.pcap
stamp="$(cksum < "$src/benchgen.c") $npk"
if [ ! -s "$file" ] || [ "$(cat "$file.stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "live: generating $file (mixed, $npk packets)"
	rm -f "$file.stamp"
	"$dir/benchgen" mixed "$npk" "$file" || exit 2
	echo "$stamp" > "$file.stamp"
fi

# ---- the namespaces --------------------------------------------------------
tx=pa-live-$$-tx
rx=pa-live-$$-rx
papid=
# the report's directory: portaudit drops root (to portaudit or nobody)
# before it writes, and checks the path as that user
out=$(mktemp -d /tmp/pa-live.XXXXXX) || exit 2
chmod 1777 "$out"
cleanup() {
	if [ -n "$papid" ]; then       # our portaudit (under rss), if still running
		for c in $(cat "/proc/$papid/task/$papid/children" 2>/dev/null); do
			kill "$c" 2>/dev/null
		done
		kill "$papid" 2>/dev/null
		wait "$papid" 2>/dev/null
	fi
	ip netns del "$tx" 2>/dev/null
	ip netns del "$rx" 2>/dev/null
	rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
if ! ip netns add "$tx" 2> "$dir/live-ns.err" || ! ip netns add "$rx" 2>> "$dir/live-ns.err"; then
	echo "live: skipped: ip netns add is not permitted here: $(head -n 1 "$dir/live-ns.err")"
	exit 0
fi
for n in "$tx" "$rx"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 > /dev/null 2>&1
done
if ! ip link add pa-tx netns "$tx" type veth peer name pa-rx netns "$rx" ||
   ! ip -n "$tx" link set pa-tx mtu 1600 up ||
   ! ip -n "$rx" link set pa-rx mtu 1600 up; then
	echo "live: skipped: cannot create the veth pair in the namespaces"
	exit 0
fi
# tcpreplay --preload-pcap reads the whole capture into memory before it
# sends the first packet (for more than twice the rate it reaches reading
# the file as it sends): time that once (one packet onto the veth, nobody
# capturing) and give portaudit's --duration twice as long on top of the
# sending and 4 s
pad=3 popt=
if [ "$preload" = 1 ]; then
	popt=--preload-pcap
	t0=$(date +%s.%N)
	if ! ip netns exec "$tx" tcpreplay -i pa-tx --preload-pcap --limit 1 "$file" \
	     > "$dir/tcpreplay.out" 2>&1; then
		echo "live: tcpreplay failed: $(tail -n 2 "$dir/tcpreplay.out")"
		exit 1
	fi
	t1=$(date +%s.%N)
	pad=$(awk "BEGIN{printf \"%d\", 3.999 + 2 * ($t1 - $t0)}")
	preload_s=$(awk "BEGIN{printf \"%.1f\", $t1 - $t0}")
fi

# ---- one run -------------------------------------------------------------
# jget FILE KEY: a number of the report's "capture" object
jget() {
	awk -v k="$2" '/^  "capture": \{/ { c = 1; next }
		c && /^  }/ { exit }
		c && index($0, "    \"" k "\": ") == 1 { v = $2; sub(/,$/, "", v); print v; exit }' "$1"
}
# ring: the capture socket's ring in rx, as ss shows it, or nothing yet
ring() {
	ip netns exec "$rx" ss -0 -a -e 2> /dev/null | awk '
		/ver:/ { for (i = 1; i <= NF; i++) if ($i ~ /^ver:/) { v = substr($i, 5) } }
		/ring_rx\(/ { s = $0; sub(/.*ring_rx\(/, "", s); sub(/\).*/, "", s)
			n = split(s, f, ","); for (i = 1; i <= n; i++) { split(f[i], kv, ":"); r[kv[1]] = kv[2] }
			printf "TPACKET_V%d, %d block%s of %d KiB (%.1f MiB), block timeout %d ms\n",
				v + 1, r["blk_nr"], r["blk_nr"] == 1 ? "" : "s", r["blk_size"] / 1024,
				r["blk_nr"] * r["blk_size"] / 1048576, r["tmo"]
			exit }'
}
bad_exit=0
# trial BUF RATE: one run; sets t_sent t_pps t_mbps t_cap t_drop t_lost
# t_cpu t_pct t_ok (1 when portaudit and tcpreplay did their part)
trial() {
	b=$1 r=$2
	set --
	[ "$b" = default ] || set -- -B "$b"
	rm -f "$out/live.json"
	ip netns exec "$rx" "$dir/rss" "$pa" -i pa-rx --duration $((secs + pad)) -q \
		--server 10.0.0.5 --json "$out/live.json" "$@" > /dev/null 2> "$dir/live.err" &
	papid=$!
	i=0 t_ring=
	while [ $i -lt 100 ] && kill -0 "$papid" 2> /dev/null; do
		t_ring=$(ring)
		[ -n "$t_ring" ] && break
		sleep 0.05
		i=$((i + 1))
	done
	sleep 0.2
	ip netns exec "$tx" tcpreplay -i pa-tx --pps "$r" --duration "$secs" \
		--limit $((r * secs)) --loop 0 $popt "$file" > "$dir/tcpreplay.out" 2>&1
	trc=$?
	wait "$papid"
	prc=$?
	papid=
	t_sent=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$dir/tcpreplay.out")
	t_secs=$(sed -n 's/^Actual: .* sent in \([0-9.]*\) seconds.*/\1/p' "$dir/tcpreplay.out")
	t_mbps=$(sed -n 's/^Rated: .* \([0-9.]*\) Mbps.*/\1/p' "$dir/tcpreplay.out")
	t_pps=$(sed -n 's/^Rated: .* \([0-9.]*\) pps.*/\1/p' "$dir/tcpreplay.out")
	t_cap=$(jget "$out/live.json" packets 2> /dev/null)
	t_drop=$(jget "$out/live.json" dropped 2> /dev/null)
	t_cpu=$(sed -n 's/^rss: .* cpu=\([0-9.]*\).*/\1/p' "$dir/live.err" | tail -n 1)
	t_ok=1
	if [ $trc != 0 ] || [ -z "$t_sent" ] || [ -z "$t_pps" ]; then
		echo "live: tcpreplay failed (exit $trc): $(grep -v '^$' "$dir/tcpreplay.out" | tail -n 2)"
		t_ok=0
	fi
	case $prc in
	0 | 1) ;;
	*) echo "live: portaudit failed (exit $prc): $(grep -v '^rss: ' "$dir/live.err" | head -n 2)"
	   t_ok=0 ;;
	esac
	if [ -z "$t_cap" ] || [ -z "$t_drop" ] || [ "$t_drop" = null ]; then
		echo "live: no capture.packets/dropped in portaudit's report"
		t_ok=0
	fi
	if [ $t_ok = 0 ]; then
		bad_exit=1
		t_sent=${t_sent:-0} t_pps=${t_pps:-0} t_mbps=${t_mbps:-0} t_cap=${t_cap:-0}
		t_drop=1 t_cpu=${t_cpu:-0} t_secs=${t_secs:-$secs}
	fi
	t_lost=$((t_sent - t_cap - t_drop))
	t_pct=$(awk "BEGIN{printf \"%.0f\", 100 * $t_cpu / ($t_secs > 0 ? $t_secs : 1)}")
	t_short=$(awk "BEGIN{print ($t_pps < 0.9 * $r) ? 1 : 0}")
	note=clean
	[ "$t_drop" != 0 ] && note=DROPS
	[ "$t_short" = 1 ] && note="$note, sender short"
	[ $t_ok = 0 ] && note=FAILED
	n_runs=$((n_runs + 1))
	if [ "$t_drop" = 0 ]; then
		p=$(awk "BEGIN{printf \"%.0f\", $t_pps}")
		[ "$p" -gt "$max_clean" ] && max_clean=$p
	fi
	printf '%-8s %9s %10.0f %8.1f %9s %9s %8s %6s %6s %5s%%  %s\n' "$b" "$r" "$t_pps" \
		"$t_mbps" "$t_sent" "$t_cap" "$t_drop" "$t_lost" "$t_cpu" "$t_pct" "$note"
	[ $t_ok = 1 ]
}

load() {
	cut -d' ' -f1-3 /proc/loadavg
}

echo
echo "Live capture under load: tcpreplay --pps on a veth in one network namespace,"
echo "portaudit -i on its peer in another; $file, $secs s a run; $(nproc 2>/dev/null || echo '?') CPUs"
echo "(sent, Mb/s: tcpreplay's Actual/Rated; captured, dropped: capture.packets, capture.dropped;"
echo " lost = sent - captured - dropped; CPU: portaudit's user+sys, and over the sending time)"
[ "$preload" = 1 ] && echo "tcpreplay $popt: $preload_s s to read the capture before sending; portaudit --duration $((secs + pad))"
printf '%-8s %9s %10s %8s %9s %9s %8s %6s %6s %6s  %s\n' "-B KiB" "asked pps" "sent pps" \
	"Mb/s" sent captured dropped lost "CPU s" "CPU" note
summary=
for b in $buffers; do
	echo "-- -B $b, load average $(load)"
	good=0 bad=0 bad_sent=0 short=0 steps=0 rate=$start ringinfo= prev=0
	n_runs=0 max_clean=0
	# doubling, while no run drops and the sender still gains
	while :; do
		trial "$b" "$rate" || exit 1
		[ -n "$ringinfo" ] || ringinfo=$t_ring
		p=$(awk "BEGIN{printf \"%.0f\", $t_pps}")
		if [ "$t_drop" != 0 ]; then
			bad=$rate bad_sent=$p
			break
		fi
		good=$rate
		# short of the rate asked and no 10% more than the run before:
		# the sender's ceiling
		if [ "$t_short" = 1 ] && [ "$p" -lt $((prev + prev / 10)) ]; then
			short=1
			break
		fi
		prev=$p
		[ $((rate * 2)) -le "$maxrate" ] || break
		rate=$((rate * 2))
	done
	# bisecting between the last clean rate and the first with drops
	while [ "$bad" -gt 0 ] && [ "$steps" -lt "$bisect" ] &&
	      [ $((bad - good)) -gt $((good / 8)) ]; do
		rate=$(( (good + bad) / 2 / 1000 * 1000 ))
		[ "$rate" -gt "$good" ] || break
		trial "$b" "$rate" || exit 1
		steps=$((steps + 1))
		if [ "$t_drop" != 0 ]; then
			bad=$rate bad_sent=$(awk "BEGIN{printf \"%.0f\", $t_pps}")
		else
			good=$rate
		fi
	done
	# confirming: LIVE_REPEAT clean runs in all at the rate kept, a
	# quarter lower while one of them drops
	result=
	down=0
	while [ "$good" -gt 0 ]; do
		clean=1 n=0 minsent=
		# the search's last run counts when it was a clean one at `good`
		if [ "$rate" = "$good" ] && [ "$t_drop" = 0 ]; then
			n=1 minsent=$(awk "BEGIN{printf \"%.0f\", $t_pps}")
		fi
		while [ "$n" -lt "$repeat" ]; do
			trial "$b" "$good" || exit 1
			n=$((n + 1))
			p=$(awk "BEGIN{printf \"%.0f\", $t_pps}")
			if [ -z "$minsent" ] || [ "$p" -lt "$minsent" ]; then minsent=$p; fi
			if [ "$t_drop" != 0 ]; then
				clean=0 bad=$good bad_sent=$p
				break
			fi
		done
		if [ $clean = 1 ]; then
			result="$minsent pps sent (the lowest of $repeat clean runs at $good asked)"
			break
		fi
		down=$((down + 1))
		good=$((good * 3 / 4 / 1000 * 1000))
		rate=0
		if [ "$down" -gt 3 ] || [ "$good" -lt 1000 ]; then
			result="none confirmed (drops in one of $repeat runs at every rate down to $bad pps asked)"
			good=0
			break
		fi
	done
	if [ -z "$result" ]; then
		result="none: drops at every rate tried, down to $bad pps asked ($bad_sent sent)"
	elif [ "$short" = 1 ] && [ "$bad" = 0 ]; then
		result="no drop in any of $n_runs runs, up to $max_clean pps sent; the SENDER was the ceiling: at $good pps asked tcpreplay reached less than 90% of it and no more than the run before (its $repeat runs there: $minsent pps sent at the least)"
	elif [ "$bad" -gt 0 ]; then
		result="$result; drops at $bad pps asked ($bad_sent sent)"
		awk "BEGIN{exit !($bad_sent < 0.9 * $bad)}" &&
			result="$result, where the sender was short of the rate too"
		[ -n "$minsent" ] && [ "$max_clean" -gt $((minsent + minsent / 10)) ] &&
			result="$result; single runs were clean up to $max_clean pps sent"
	else
		result="$result; no drop up to LIVE_MAX ($maxrate pps asked)"
	fi
	summary="$summary
  -B $b: $result
      ring: ${ringinfo:-not seen}"
done
echo
echo "Highest rate with no kernel drop (capture.dropped 0), mixed profile, $secs s runs; load average now $(load):$summary"
exit $bad_exit
