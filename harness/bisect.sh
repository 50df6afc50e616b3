#!/usr/bin/env bash
# Bisectability: build every prefix of the series (patch 1, 1-2, ...,
# all but the last; the whole series is built by every other target) in
# configuration NAME (default qemu), in a worktree of its own so that
# build/linux is left alone. Incremental and ccache'd.
# Usage: harness/bisect.sh [NAME]
. "$(dirname "$0")/lib.sh"

name=${1:-qemu}
wt=$BUILD/bisect-linux
base=$(awk '{print $3}' "$BUILD/base.done")
commits=$(git -C "$LINUX" rev-list --reverse "$base..HEAD")
n=$(wc -w <<<"$commits")
[ "$n" -gt 0 ] || die "bisect: no commits on $base"
if [ ! -d "$wt/.git" ] && [ ! -f "$wt/.git" ]; then
	git -C "$LINUX" worktree prune
	hgit -C "$LINUX" worktree add -q --detach "$wt" "$base"
fi
i=0 bad=0
for c in $commits; do
	i=$((i + 1))
	[ "$i" -lt "$n" ] || break
	subj=$(git -C "$LINUX" log -1 --format=%s "$c")
	say "bisect: [$i/$((n - 1))] $subj"
	hgit -C "$wt" checkout -q --detach "$c"
	if ! VC_LINUX=$wt VC_OUT=$BUILD/out/bisect-$name VC_NOCHECK=1 "$HARNESS/build-kernel.sh" "$name" >"$BUILD/bisect-$i.log" 2>&1; then
		tail -5 "$BUILD/bisect-$i.log"
		echo "bisect: FAIL patch $i ($subj) does not build in $name (log: $BUILD/bisect-$i.log)"
		bad=$((bad + 1))
	else
		echo "bisect: ok patch $i ($subj)"
	fi
done
[ "$bad" -eq 0 ] || die "bisect: $bad prefixes do not build (reproduce: harness/bisect.sh $name)"
say "bisect: every prefix of the series builds in $name"
