#!/usr/bin/env bash
# Bisectability: build every prefix of the series (patch 1, 1-2, ...,
# all but the last; the whole series is built by every other target) in
# configuration NAME (default qemu), in a worktree of its own so that
# build/linux is left alone. Incremental and ccache'd. On success in the
# bisect configuration it records what it built in harness/bisect-ok: the
# tree of every commit (commit messages do not count) and the
# configuration's files, hashed; the optional bisect-stamp step checks that
# record against the series and configuration under test.
# Usage: harness/bisect.sh [NAME]
#        harness/bisect.sh --check   (the bisect-stamp step)
. "$(dirname "$0")/lib.sh"

stamp=$HARNESS/bisect-ok
[ -f "$BUILD/base.done" ] || die "bisect: no base tree yet (make apply)"
base=$(awk '{print $3}' "$BUILD/base.done")
# The trees of the commits up to $1 (default HEAD), one line each, and the
# bisect configuration's files, hashed.
series_trees() {
	local conf=$HARNESS/configs/bisect.conf f
	{ git -C "$LINUX" log --reverse --format=%T "$base..${1:-HEAD}"
	  cat "$conf"
	  # shellcheck disable=SC1090
	  for f in $(. "$conf"; echo $FRAGMENTS); do cat "$TOP/$f"; done
	} | sha256sum | cut -d' ' -f1
}
if [ "${1:-}" = --check ]; then
	want=$(series_trees)
	have=$(sed -n 's/^trees \([0-9a-f]*\)$/\1/p' "$stamp" 2>/dev/null || true)
	n=$(git -C "$LINUX" rev-list --count "$base..HEAD")
	if [ "$have" = "$want" ]; then
		echo "bisect-stamp: ok - make bisect passed on this series ($n patches; $(grep '^date ' "$stamp"))"
		echo "bisect-stamp: 1 passed, 0 failed"
		exit 0
	fi
	echo "bisect-stamp: not ok - harness/bisect-ok is not for this series (trees ${have:-none} != $want): run make bisect"
	echo "bisect-stamp: 0 passed, 1 failed"
	exit 1
fi

name=${1:-qemu}
wt=$BUILD/bisect-linux
head=$(git -C "$LINUX" rev-parse HEAD)
trees=$(series_trees "$head")
commits=$(git -C "$LINUX" rev-list --reverse "$base..$head")
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
if [ "$name" = bisect ]; then
	# Commit messages may be reworded meanwhile; the trees may not change.
	[ "$(series_trees)" = "$trees" ] ||
		die "bisect: the series' trees changed during the run: nothing recorded"
	printf 'trees %s\ncommits %s\ndate %s\n' "$trees" "$n" "$(date -u +%Y-%m-%dT%H:%MZ)" >"$stamp"
	say "bisect: recorded in $stamp"
fi
