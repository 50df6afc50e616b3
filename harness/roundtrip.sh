#!/usr/bin/env bash
# Series round trip: after apply, exporting build/linux must reproduce
# series/ and the tree-form copies byte for byte: the content of every
# file under those paths (tracked or not) is hashed before and after.
# Usage: harness/roundtrip.sh   (run harness/apply.sh first)
. "$(dirname "$0")/lib.sh"

cd "$TOP"
paths=(series MAINTAINERS mm include arch lib tools Documentation crypto kernel)
snapshot() {
	git ls-files -co --exclude-standard -- "${paths[@]}" | LC_ALL=C sort -u |
	while IFS= read -r f; do
		if [ -f "$f" ]; then sha256sum -- "$f"; else echo "missing  $f"; fi
	done
}
before=$(snapshot)
"$HARNESS/export.sh" >/dev/null
after=$(snapshot)
if [ "$before" != "$after" ]; then
	diff <(echo "$before") <(echo "$after") | head -40
	die "roundtrip: export after apply changed the content of the files above (reproduce: make apply export && git status)"
fi
dirty=$(git status --porcelain -- "${paths[@]}")
[ -z "$dirty" ] || say "roundtrip: note: uncommitted changes were already present: $dirty"
say "roundtrip: ok (apply + export reproduces series/ and the tree-form copies, byte for byte)"
