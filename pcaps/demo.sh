#!/bin/sh
# demo.sh PORTAUDIT -- run portaudit's main job on the bundled captures.
#
# `make demo` runs it with ./portaudit. It audits pcaps/demo.pcap (a small
# site around the Prognosis server 10.0.0.5, generated from pcaps/demo.flows)
# and shows the terminal summary, writes the JSON, JSON lines and HTML
# reports into a fresh temporary directory and says where, then runs the
# other bundled sample captures (link types, IPv6, fragments, pcapng) in
# quiet mode, one line each.
#
# The demo has findings on purpose, so portaudit exiting 1 is the expected
# answer (the other captures, audited without --server, may be "not
# audited", exit 3, when no server can be inferred from them): the script exits 0 when portaudit exited 0 or 1, and 1 otherwise
# (after showing the built-in catalog, so that there is still something to
# look at).
pa=${1:-./portaudit}
here=$(dirname "$0")
server=10.0.0.5
out=$(mktemp -d "${TMPDIR:-/tmp}/portaudit-demo.XXXXXX") || exit 1

echo "== $pa -r $here/demo.pcap --server $server"
"$pa" -r "$here/demo.pcap" --server "$server" \
	--json "$out/demo.json" --jsonl "$out/demo.jsonl" --html "$out/demo.html"
status=$?
echo
case $status in
0)
	echo "portaudit: exit 0 (compliant) -- the demo capture has trouble in it on purpose,"
	echo "           so findings were expected here." ;;
1)
	echo "portaudit: exit 1 -- findings, as expected on this capture (see $here/demo.flows)." ;;
*)
	echo "portaudit: exit $status -- the audit did not run (see the message above)."
	echo
	echo "== $pa catalog show (the built-in Prognosis catalog)"
	"$pa" catalog show
	rm -rf "$out"
	exit 1 ;;
esac

echo
echo "Reports written to $out:"
for f in demo.json demo.jsonl demo.html; do
	[ -s "$out/$f" ] && echo "  $out/$f"
done
echo "  (open demo.html in a browser)"

echo
echo "== the other bundled captures (portaudit -q -r FILE)"
for f in "$here"/*.pcap; do
	name=$(basename "$f" .pcap)
	case $name in
	demo | cls_* | rep_*) continue ;;
	esac
	"$pa" -q -r "$f" --json "$out/$name.json"
	st=$?
	case $st in
	0) what="compliant" ;;
	1) what="findings" ;;
	3) what="not audited: no server given or inferred, or no packet" ;;
	*) what="ERROR" ;;
	esac
	pk=$(grep -m 1 '"packets":' "$out/$name.json" 2>/dev/null | tr -dc 0-9)
	printf '  %-22s %6s packets  exit %d (%s)\n' "$name.pcap" "${pk:-?}" "$st" "$what"
done
exit 0
