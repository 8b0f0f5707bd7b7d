#!/bin/sh
# run.sh VARIANT DIR -- run every test program of a build variant.
# Unit tests are build/VARIANT/t/test_*, integration tests build/VARIANT/t/it_*
# (they run the real binary: $PORTAUDIT), fuzz replays build/VARIANT/t/fuzz_*
# over tests/fuzz/corpus/NAME/. Each one's wall time (ms) goes to
# DIR/t/times. Prints two closing lines:
#   VARIANT: slowest: NAME S s, ...; all: S s
#   VARIANT: N passed, N failed
variant=$1
dir=$2
PORTAUDIT=$(pwd)/$dir/portaudit
PCAPGEN=$(pwd)/$dir/pcapgen
FLOODGEN=$(pwd)/$dir/floodgen
PA_SRCDIR=$(pwd)
PA_VARIANT=$variant # rel, san, tsan: a test may say what a sanitizer skews
export PORTAUDIT PCAPGEN FLOODGEN PA_SRCDIR PA_VARIANT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1}
pass=0
fail=0
rm -f "$dir/t/times"
failed=""
for t in "$dir"/t/test_* "$dir"/t/it_* "$dir"/t/fuzz_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	case $name in
	fuzz_decode) set -- tests/fuzz/corpus/packets ;; # the same format
	fuzz_*) set -- "tests/fuzz/corpus/${name#fuzz_}" ;;
	*) set -- ;;
	esac
	log="$dir/t/$name.log"
	t0=$(date +%s%N)
	"$t" "$@" > "$log" 2>&1
	st=$?
	echo "$(( ($(date +%s%N) - t0) / 1000000 )) $name" >> "$dir/t/times"
	if [ $st -eq 0 ]; then
		pass=$((pass + 1))
		grep -E '^\[  SKIPPED \]|^skip:' "$log" | sed "s/^/  $name: /"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "---- $variant: $name FAILED, its output:"
		tail -n 60 "$log"
	fi
done
[ -n "$failed" ] && echo "$variant: failed:$failed"
# where the time went: the slowest programs, and all of them ($dir/t/times)
echo "$variant: slowest: $(sort -rn "$dir/t/times" | head -n 4 |
	awk '{printf "%s%s %.1f s", (NR > 1 ? ", " : ""), $2, $1 / 1000}'); all: $(
	awk '{s += $1} END {printf "%.0f s", s / 1000}' "$dir/t/times")"
echo "$variant: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
