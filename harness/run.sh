#!/usr/bin/env bash
# The main job: fetch the pinned base, apply series/, build the x86_64
# CONFIG_FALLBACK_ALWAYS kernel (configuration NAME, default qemu), boot
# it under QEMU with the KUnit suite, the vcompound kselftest and the
# guest tests, and print a summary table.
# Usage: harness/run.sh [NAME]
. "$(dirname "$0")/lib.sh"

name=${1:-qemu}
"$HARNESS/setup.sh"
"$HARNESS/fetch-base.sh"
"$HARNESS/apply.sh"
"$HARNESS/build-kernel.sh" "$name"
set +e
"$HARNESS/boot.sh" "$name" </dev/null
rc=$?
set -e
echo
echo "==== vcompound: $name under QEMU ===="
if [ -f "$BUILD/out/$name/results.txt" ]; then
	awk '{ split($2, a, "."); t[a[1] " " $1]++ }
	     END { for (k in t) print k, t[k] }' "$BUILD/out/$name/results.txt" |
		sort | awk 'BEGIN { printf "%-28s %-6s %s\n", "suite", "result", "cases" }
			    { printf "%-28s %-6s %d\n", $1, $2, $3 }'
fi
tail -n 1 "$BUILD/out/$name/ktap-summary.txt" 2>/dev/null || true
exit $rc
