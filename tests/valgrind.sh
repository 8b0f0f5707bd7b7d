#!/bin/sh
# valgrind.sh -- the integration tests with the real binary under valgrind
# memcheck (make valgrind).
#
#   sh tests/valgrind.sh DIR     run DIR/t/it_* (tests/run.sh's way) with
#                                $PORTAUDIT set to this script, which then
#                                runs DIR/portaudit under valgrind
#
# As $PORTAUDIT (VALGRIND_BINARY set) it execs valgrind on the binary, same
# pid, so the tests' signals reach it: any memcheck error, and any
# definitely or indirectly lost block, makes the binary exit 97 (the test
# then fails) and is written to a log of its own (DIR/valgrind/PID.log),
# never to the binary's standard error, which tests read. At the end every
# log is checked again (a forked child that _exit()s, a test that expected
# a failure status) and the errors printed: the run passes only with no
# error and no leak in any of them.
#
# Not run under valgrind (they time the binary, which valgrind slows 20-50
# times, or measure its memory, which valgrind's own multiplies): it_live
# (live capture on lo for --duration with SIGINT at 0.8 s), it_interval
# (a 20 s soak of one-second reports), it_netns (tcpreplay at a rate into
# a live capture), it_floods (peak RSS bounds). VALGRIND_SKIP (names)
# replaces the list;
# VALGRIND_TESTS (names) runs only those.
if [ -n "${VALGRIND_BINARY:-}" ]; then
	# --vgdb=no: no gdb pipes in /tmp, which a run that drops root (-Z)
	# could not remove any more ("could not unlink" in its log).
	exec valgrind --tool=memcheck -q --vgdb=no --error-exitcode=97 \
		--leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect \
		--log-file="$VALGRIND_LOGS/%p.log" "$VALGRIND_BINARY" "$@"
fi

set -u
dir=${1:?usage: valgrind.sh BUILD_DIR}
if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind: not installed (apt-get install valgrind)" >&2
	exit 2
fi
skip=${VALGRIND_SKIP-it_live it_interval it_netns it_floods}
VALGRIND_BINARY=$(pwd)/$dir/portaudit
VALGRIND_LOGS=$(pwd)/$dir/valgrind
PORTAUDIT=$(pwd)/tests/valgrind.sh
PCAPGEN=$(pwd)/$dir/pcapgen
FLOODGEN=$(pwd)/$dir/floodgen
PA_SRCDIR=$(pwd)
PA_VARIANT=valgrind
export VALGRIND_BINARY VALGRIND_LOGS PORTAUDIT PCAPGEN FLOODGEN PA_SRCDIR PA_VARIANT
rm -rf "$VALGRIND_LOGS"
mkdir -p "$VALGRIND_LOGS"
pass=0
fail=0
failed=""
for t in "$dir"/t/it_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	if [ -n "${VALGRIND_TESTS:-}" ]; then
		case " $VALGRIND_TESTS " in
		*" $name "*) ;;
		*) continue ;;
		esac
	fi
	case " $skip " in
	*" $name "*) echo "  $name: skipped under valgrind (timing)"; continue ;;
	esac
	log=$dir/t/$name.valgrind.log
	start=$(date +%s)
	if "$t" > "$log" 2>&1; then
		pass=$((pass + 1))
		grep -E '^\[  SKIPPED \]|^skip:' "$log" | sed "s/^/  $name: /"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "---- valgrind: $name FAILED, its output:"
		tail -n 40 "$log"
	fi
	echo "  $name: $(($(date +%s) - start)) s"
done
runs=$(ls "$VALGRIND_LOGS" | wc -l)
bad=""
for l in "$VALGRIND_LOGS"/*.log; do
	[ -s "$l" ] && bad="$bad $l"
done
if [ -n "$bad" ]; then
	echo "---- valgrind: errors or leaks in:$bad"
	for l in $bad; do
		echo "== $l"
		head -n 60 "$l"
	done
	fail=$((fail + 1))
fi
[ -n "$failed" ] && echo "valgrind: failed:$failed"
echo "valgrind: $pass passed, $fail failed; $runs runs of the binary, $(echo $bad | wc -w) with errors or leaks"
[ "$fail" -eq 0 ]
