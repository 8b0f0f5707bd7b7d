#!/bin/sh
# build.sh -- build the libFuzzer targets (make fuzz).
#
# Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput; here it is
# linked with libFuzzer, ASan and UBSan into $B/fuzz/fuzz_NAME, with the
# catalog sources and the Zeek reader (capture/zeek.c), nothing else of
# the tree. Run one with its
# saved inputs as the seed corpus, e.g.
#   build/fuzz/fuzz_catalog -max_total_time=60 build/fuzz/corpus-catalog tests/fuzz/corpus/catalog
# and save every crashing input into tests/fuzz/corpus/NAME/ so that
# `make test` replays it (tests/fuzz/replay.c) from then on.
# Needs clang with libFuzzer; without it, says so and exits 0.
set -eu
B=${B:-build}
out=$B/fuzz
CC=${FUZZ_CC:-clang}
if ! command -v "$CC" >/dev/null 2>&1; then
	echo "fuzz: $CC not found: the fuzz targets need clang with libFuzzer (skipped)"
	exit 0
fi
mkdir -p "$out"
probe=$out/probe.c
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$probe"
if ! "$CC" -fsanitize=fuzzer "$probe" -o "$out/probe" 2>/dev/null; then
	echo "fuzz: $CC has no libFuzzer (-fsanitize=fuzzer): skipped"
	rm -f "$probe"
	exit 0
fi
rm -f "$probe" "$out/probe"

PKG_CFLAGS=$(pkg-config --cflags yaml-0.1 jansson zlib libcap-ng)
PKG_LIBS=$(pkg-config --libs yaml-0.1 jansson zlib libcap-ng)
FLAGS="-std=c11 -g -O1 -fno-omit-frame-pointer -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -I."
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"

sh catalog/embed.sh catalog/prognosis.yaml > "$out/catalog_builtin.c"
LIB="catalog/load.c catalog/model.c catalog/yaml_tree.c catalog/sha256.c $out/catalog_builtin.c capture/zeek.c"
for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c)
	# shellcheck disable=SC2086
	"$CC" $FLAGS $PKG_CFLAGS $SAN -fsanitize=fuzzer -o "$out/$name" "$src" $LIB $PKG_LIBS -lm
	mkdir -p "$out/corpus-${name#fuzz_}"
	echo "fuzz: built $out/$name (corpus: tests/fuzz/corpus/${name#fuzz_}/)"
done
