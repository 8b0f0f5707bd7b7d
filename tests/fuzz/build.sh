#!/bin/sh
# build.sh -- build the libFuzzer targets, and run them (make fuzz).
#
# Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput; here it is
# linked with libFuzzer, ASan and UBSan into $B/fuzz/fuzz_NAME, against the
# whole library (capture/ classify/ catalog/ reports/ and the generated
# built-in catalog, compiled once into $B/fuzz/obj/ with coverage and the
# same sanitizers) and libpcap, yaml, jansson. tests/fuzz/pcap2packets.c
# (seeds for fuzz_packets) is built too, without sanitizers.
#
# With FUZZ_SECONDS=N (make fuzz SECONDS=N) every target then runs for N
# seconds, one after the other, in one process (no -jobs/-workers: the
# machine is shared), seeded from its committed corpus tests/fuzz/corpus/
# NAME/ plus what fits its input format:
#   catalog   catalog/prognosis.yaml
#   profile   catalog/site-example.yaml
#   packets   pcaps/*.pcap and ../shared/corpus/*/* turned into its format
#   decode    by pcap2packets, and each other's $B/fuzz/corpus-NAME/ (the
#             same format)
#   pcap      pcaps/*.pcap and ../shared/corpus/*/* as they are
#   zeek      ../shared/zeek/*.conn.log (real Zeek output)
#   netflow   its committed corpus (softflowd's and pmacct's datagrams)
#   report    its committed corpus (reports of pcaps/, cut to 12 services,
#             and four with a value the schema refuses)
# New inputs go to $B/fuzz/corpus-NAME/ (kept between runs), the log to
# $B/fuzz/NAME.log, a crashing input to $B/fuzz/artifacts/NAME-crash-...;
# each target's last line says its coverage (libFuzzer's cov: and ft:) and
# executions. Save every crashing input, named after its bug, into
# tests/fuzz/corpus/NAME/ so that `make test` replays it (tests/fuzz/
# replay.c) from then on; see tests/fuzz/README.md.
# Environment: FUZZ_CC (clang), FUZZ_TARGETS (names, default all),
# FUZZ_TIMEOUT (seconds per input that stop the run as a crash, 10: on a
# shared machine an ASan build's ordinary input can stall past 1 s; an
# input slower than 1 s is reported as "Slowest unit" and saved as
# artifacts/NAME-slow-unit-..., to time again in build/rel/t/fuzz_NAME),
# FUZZ_FLAGS (more libFuzzer flags),
# SHARED_CORPUS (../shared/corpus; ../shared/zeek beside it).
# Needs clang with libFuzzer; without it, says so and exits 0.
set -eu
B=${B:-build}
out=$B/fuzz
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found: the fuzz targets need clang with libFuzzer (skipped)"
	exit 0
fi
mkdir -p "$out/obj"
probe=$out/probe.c
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$probe"
if ! "$CC" -fsanitize=fuzzer "$probe" -o "$out/probe" 2>/dev/null; then
	echo "fuzz: $CC has no libFuzzer (-fsanitize=fuzzer): skipped"
	rm -f "$probe"
	exit 0
fi
rm -f "$probe" "$out/probe"

PKG_CFLAGS=$(pkg-config --cflags libpcap yaml-0.1 jansson zlib libcap-ng)
PKG_LIBS="$(pkg-config --libs libpcap yaml-0.1 jansson zlib libcap-ng) -pthread -lm"
FLAGS="-std=c11 -pthread -g -O1 -fno-omit-frame-pointer -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -I."
WARN="-Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"

# The library, compiled when its object is older than its source or than
# any header of the tree.
newest_h=$(ls -t capture/*.h classify/*.h catalog/*.h reports/*.h | head -n 1)
# The generated sources (as the Makefile makes them): the built-in catalog
# and the report schema.
embed() { # FILE NAME OUT
	sh catalog/embed.sh "$1" "$2" > "$3.tmp"
	if cmp -s "$3.tmp" "$3"; then
		rm -f "$3.tmp"
	else
		mv "$3.tmp" "$3"
	fi
}
embed catalog/prognosis.yaml cat_builtin_yaml "$out/catalog_builtin.c"
embed docs/report.schema.json rep_schema_json "$out/report_schema.c"
objs=""
for src in capture/*.c classify/*.c catalog/*.c reports/*.c \
           "$out/catalog_builtin.c" "$out/report_schema.c"; do
	obj=$out/obj/$(echo "${src#"$out"/}" | tr / _ | sed 's/\.c$/.o/')
	objs="$objs $obj"
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_h" -nt "$obj" ] ||
	   [ tests/fuzz/fixed.ignore -nt "$obj" ] || [ tests/fuzz/build.sh -nt "$obj" ]; then
		# shellcheck disable=SC2086
		"$CC" $FLAGS $WARN $PKG_CFLAGS $SAN -fsanitize=fuzzer-no-link \
			-fsanitize-coverage-ignorelist=tests/fuzz/fixed.ignore \
			-fsanitize-ignorelist=tests/fuzz/fixed.ignore -c "$src" -o "$obj"
	fi
done
rm -f "$out/libportaudit-fuzz.a"
# shellcheck disable=SC2086
ar rcs "$out/libportaudit-fuzz.a" $objs

names=""
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	# shellcheck disable=SC2086
	"$CC" $FLAGS $WARN $PKG_CFLAGS $SAN -fsanitize=fuzzer -o "$out/$name" "$src" \
		"$out/libportaudit-fuzz.a" $PKG_LIBS
	mkdir -p "$out/corpus-${name#fuzz_}"
	names="$names ${name#fuzz_}"
	echo "fuzz: built $out/$name (corpus: tests/fuzz/corpus/${name#fuzz_}/)"
done
# shellcheck disable=SC2086
"$CC" $FLAGS $WARN $PKG_CFLAGS -o "$out/pcap2packets" tests/fuzz/pcap2packets.c $PKG_LIBS

secs=${FUZZ_SECONDS:-}
if [ -z "$secs" ]; then
	echo "fuzz: run them with: make fuzz SECONDS=N"
	exit 0
fi
case $secs in
*[!0-9]*|'') echo "fuzz: SECONDS must be a number of seconds" >&2; exit 2 ;;
esac

shared=${SHARED_CORPUS:-../shared/corpus}
# Seeds for fuzz_packets: every capture of a decoded link type, converted.
seeds_packets() {
	dir=$out/seeds-packets
	rm -rf "$dir"
	mkdir -p "$dir"
	# Our own captures whole (a DCE/RPC ept_map reply is 480 bytes of
	# payload), the first packets' headers of the others.
	for f in pcaps/*.pcap; do
		base=$(basename "$f" .pcap)
		"$out/pcap2packets" -n 64 -s 1600 "$f" "$dir/$base"
		"$out/pcap2packets" -n 64 -s 1600 -o 3 "$f" "$dir/$base-profile"
	done
	for f in "$shared"/*/*.pcap "$shared"/*/*.pcapng; do
		[ -f "$f" ] || continue
		base=$(basename "$f")
		"$out/pcap2packets" -n 32 -s 400 "$f" "$dir/${base%.*}" 2>/dev/null ||
			rm -f "$dir/${base%.*}"
	done
	echo "$dir"
}
seeds_pcap() {
	echo pcaps
	for d in "$shared"/*/; do
		[ -d "$d" ] && echo "${d%/}"
	done
	return 0
}

mkdir -p "$out/artifacts"
# Shorter allocation stacks: a third of fuzz_packets' time went to ASan's
# allocator (the reports allocate a lot), much of it unwinding 30 frames.
ASAN_OPTIONS=${ASAN_OPTIONS:-malloc_context_size=8}
export ASAN_OPTIONS
status=0
for name in ${FUZZ_TARGETS:-$names}; do
	case $name in
	catalog) extra=$out/seeds-catalog; mkdir -p "$extra"; cp catalog/prognosis.yaml "$extra/" ;;
	profile) extra=$out/seeds-profile; mkdir -p "$extra"; cp catalog/site-example.yaml "$extra/" ;;
	packets) extra="$(seeds_packets) $out/corpus-decode" ;;
	decode) extra="$(seeds_packets) $out/corpus-packets" ;;
	pcap) extra=$(seeds_pcap) ;;
	zeek) extra=$out/seeds-zeek; mkdir -p "$extra"
	      for f in "$(dirname "$shared")"/zeek/*.conn.log; do
	              [ -f "$f" ] && cp "$f" "$extra/"
	      done ;;
	*) extra="" ;;
	esac
	case $name in
	pcap) maxlen=65536 ;;
	*) maxlen=16384 ;;
	esac
	dirs=""
	for d in "tests/fuzz/corpus/$name" $extra; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	log=$out/$name.log
	echo "fuzz: fuzz_$name for $secs s (log: $log)"
	# shellcheck disable=SC2086
	if ! "$out/fuzz_$name" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-10}" \
		-report_slow_units=1 -max_len=$maxlen -close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$name-" ${FUZZ_FLAGS:-} \
		"$out/corpus-$name" $dirs > "$log" 2>&1; then
		status=1
		echo "fuzz: fuzz_$name FAILED:"
		grep -E '^==[0-9]+==ERROR|SUMMARY|runtime error|unit written to .*-(crash|leak|timeout|oom)-' "$log" | head -n 10
	fi
	last=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	echo "fuzz: fuzz_$name: ${last:-no coverage line} (executions: ${execs:-?})"
done
exit $status
