#!/bin/sh
# make_netflow_pcaps.sh -- regenerate the NetFlow/IPFIX export captures of
# tests/data/netflow/ that test_netflow_tshark decodes and compares with
# tshark's cflow dissector. Re-runnable; needs softflowd, mergecap and editcap
# (tests/install_tools.sh installs both), a C compiler and libpcap.
#
# The real softflowd reads the bundled captures (-r, with -a: its clock is
# the packets' time) and exports to 127.0.0.1:PORT, where
# tests/netflow_sink.c receives every datagram and writes it, byte for
# byte, into a pcap (one Ethernet/IPv4/UDP frame each, to PORT):
#
#   nf5.pcap           -v 5 -s 3     demo.pcap, 1 in 3 packets sampled
#                                   (the header's sampling interval)
#   nf9.pcap           -v 9 -6       demo.pcap + ipv6.pcap: IPv4 and IPv6
#                                   templates, sysUptime times, an options
#                                   record (sampling interval 1)
#   ipfix.pcap         -v 10 -6 -A milli   the same, flowStart/End-
#                                   Milliseconds (152/153)
#   ipfix_biflow.pcap  -v 10 -b      demo.pcap as RFC 5103 biflows
#                                   (reverse octets/packets/flags under PEN
#                                   29305), sysUptime times with
#                                   systemInitTimeMilliseconds (160)
#   ipfix_scan.pcap    -v 10         the first 600 packets of cls_scan.pcap
#                                   (a port scan): 600 records in 20
#                                   messages, so that the sequence numbers
#                                   are checked
#
# The port is written into tests/data/netflow/PORT (the test reads it);
# softflowd's times are the capture's, but the sink stamps frames with the
# wall clock, so two runs differ in those stamps and in the source port.
set -eu
cd "$(dirname "$0")/.."
out=tests/data/netflow
port=${NETFLOW_PORT:-29996}
for t in softflowd mergecap editcap cc; do
	command -v "$t" >/dev/null 2>&1 || { echo "$0: $t not found" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2046
cc -O2 -o "$tmp/sink" tests/netflow_sink.c $(pkg-config --cflags --libs libpcap)
mergecap -F pcap -a -w "$tmp/demo6.pcap" pcaps/demo.pcap pcaps/ipv6.pcap

run() { # NAME INPUT SOFTFLOWD-OPTIONS...
	name=$1 input=$2
	shift 2
	rm -f "$out/$name.pcap.ready"
	"$tmp/sink" "$port" "$out/$name.pcap" 2000 &
	sink=$!
	i=0
	while [ ! -e "$out/$name.pcap.ready" ]; do
		i=$((i + 1))
		[ $i -lt 100 ] || { echo "$0: the sink did not start" >&2; exit 1; }
		sleep 0.1
	done
	softflowd -r "$input" -a -n "127.0.0.1:$port" -p "$tmp/sf.pid" "$@" >"$tmp/sf.log" 2>&1
	wait "$sink"
	grep -E '^Flows exported' "$tmp/sf.log" | sed "s/^/$name: softflowd: /"
}
run nf5 pcaps/demo.pcap -v 5 -s 3
run nf9 "$tmp/demo6.pcap" -v 9 -6
run ipfix "$tmp/demo6.pcap" -v 10 -6 -A milli
run ipfix_biflow pcaps/demo.pcap -v 10 -b
editcap -F pcap -r pcaps/cls_scan.pcap "$tmp/scan.pcap" 1-600
run ipfix_scan "$tmp/scan.pcap" -v 10
echo "$port" > "$out/PORT"
