#!/bin/sh
# demo.sh PORTAUDIT -- run portaudit's main job on the bundled captures.
pa=$1
echo "== portaudit catalog show (the built-in Prognosis catalog)"
"$pa" catalog show
