#!/bin/sh
# embed.sh YAML -- print a C file that holds YAML as cat_builtin_yaml[].
# The build runs this on catalog/prognosis.yaml, so the catalog file stays
# the single source and the binary needs no installed files.
set -eu
f=$1
n=$(wc -c < "$f" | tr -d ' ')
echo "/* Generated from $f by catalog/embed.sh: do not edit. */"
echo "#include <stddef.h>"
echo "extern const unsigned char cat_builtin_yaml[];"
echo "extern const size_t cat_builtin_yaml_len;"
echo "const unsigned char cat_builtin_yaml[] = {"
od -An -v -tx1 "$f" | awk '{ s = "\t"; for (i = 1; i <= NF; i++) s = s "0x" $i ","; print s }'
echo "	0x00"
echo "};"
echo "const size_t cat_builtin_yaml_len = $n;"
