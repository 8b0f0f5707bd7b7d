#!/bin/sh
# embed.sh FILE [NAME] -- print a C file that holds FILE as NAME[] (and
# NAME_len; NAME defaults to cat_builtin_yaml). The build runs this on
# catalog/prognosis.yaml and on docs/report.schema.json (rep_schema_json,
# for reports/schema.c), so each file stays the single source and the
# binary needs no installed files.
set -eu
f=$1
v=${2:-cat_builtin_yaml}
n=$(wc -c < "$f" | tr -d ' ')
echo "/* Generated from $f by catalog/embed.sh: do not edit. */"
echo "#include <stddef.h>"
echo "extern const unsigned char $v[];"
echo "extern const size_t ${v}_len;"
echo "const unsigned char $v[] = {"
od -An -v -tx1 "$f" | awk '{ s = "\t"; for (i = 1; i <= NF; i++) s = s "0x" $i ","; print s }'
echo "	0x00"
echo "};"
echo "const size_t ${v}_len = $n;"
