#!/usr/bin/env bash
# scripts/checkpatch.pl --strict on every patch of the series. Exceptions
# must be justified in the cover letter, as lines of the form
#   checkpatch-exception: <patch-file-name> <CHECKPATCH_TYPE>: <why>
# Usage: harness/checkpatch.sh [SERIES_DIR]
. "$(dirname "$0")/lib.sh"

dir=${1:-$SERIES}
[ -x "$LINUX/scripts/checkpatch.pl" ] || die "checkpatch: no $LINUX; run 'make apply'"
cover=$dir/0000-cover-letter.patch
bad=0 n=0
for p in $(SERIES=$dir; series_patches); do
	n=$((n + 1))
	name=$(basename "$p")
	ignore=$(sed -n "s/^checkpatch-exception: $name \([A-Z_]*\):.*/\1/p" "$cover" 2>/dev/null | paste -sd, -)
	out=$(cd "$LINUX" && scripts/checkpatch.pl --strict --show-types --terse --no-summary \
		${ignore:+--ignore "$ignore"} "$p" 2>&1) || true
	if [ -n "$out" ]; then
		echo "checkpatch: $name:"
		sed 's/^/    /' <<<"$out"
		bad=$((bad + 1))
	else
		echo "checkpatch: $name: ok${ignore:+ (justified exceptions: $ignore)}"
	fi
done
[ "$n" -gt 0 ] || die "checkpatch: no patches in $dir"
[ "$bad" -eq 0 ] || die "checkpatch: $bad of $n patches have errors/warnings/checks (reproduce: $LINUX/scripts/checkpatch.pl --strict <patch>)"
say "checkpatch: $n patches clean"
