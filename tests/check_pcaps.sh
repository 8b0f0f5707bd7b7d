#!/bin/sh
# check_pcaps.sh PCAPGEN -- every pcaps/NAME.pcap is exactly what the
# generator makes from pcaps/NAME.flows.
gen=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
n=0
for f in pcaps/*.flows; do
	[ -e "$f" ] || continue
	p=${f%.flows}.pcap
	"$gen" "$f" "$tmp/out.pcap" || { status=1; continue; }
	if ! cmp -s "$tmp/out.pcap" "$p"; then
		echo "check-pcaps: $p differs from what $f generates (run make pcaps)"
		status=1
	fi
	n=$((n + 1))
done
[ $status -eq 0 ] && echo "check-pcaps: $n captures match their descriptions"
exit $status
