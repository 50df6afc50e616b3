#!/usr/bin/env bash
# Series round trip: after apply, exporting build/linux must reproduce
# series/ and the tree-form copies byte for byte.
# Usage: harness/roundtrip.sh   (run harness/apply.sh first)
. "$(dirname "$0")/lib.sh"

cd "$TOP"
before=$(git status --porcelain -- series MAINTAINERS mm include arch lib tools Documentation crypto kernel)
"$HARNESS/export.sh" >/dev/null
after=$(git status --porcelain -- series MAINTAINERS mm include arch lib tools Documentation crypto kernel)
if [ "$before" != "$after" ]; then
	git --no-pager diff --stat -- series mm include arch lib tools Documentation crypto kernel MAINTAINERS
	die "roundtrip: export after apply changed the repository (reproduce: make apply export && git status)"
fi
[ -z "$after" ] || say "roundtrip: note: uncommitted changes were already present: $after"
say "roundtrip: ok (apply + export reproduces series/ and the tree-form copies)"
