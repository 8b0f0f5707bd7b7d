#!/bin/sh
# lint.sh -- cheap checks on the C sources (curl's checksrc habit):
# banned functions and trailing whitespace.
status=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.c' -o -name '*.h')
[ -n "$files" ] || exit 0
if grep -nE '\b(atoi|atol|sprintf|vsprintf|strcpy|strcat|strtok|gets)[[:space:]]*\(' $files; then
	echo "lint: banned function (use bounded parsing: strtoul with checks, snprintf)"
	status=1
fi
# A merge's conflict markers left in any tracked text file.
if git ls-files -z 2>/dev/null | xargs -0 grep -nIE '^(<<<<<<< |>>>>>>> |=======$)' 2>/dev/null; then
	echo "lint: merge conflict markers"
	status=1
fi
if grep -nE '[[:space:]]+$' $files; then
	echo "lint: trailing whitespace"
	status=1
fi
[ $status -eq 0 ] && echo "lint: ok"
exit $status
