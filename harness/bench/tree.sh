#!/usr/bin/env bash
# The benchmark's kernel tree: build/linux's HEAD plus
# harness/bench/exports.patch (the series exports none of the functions
# only tests use; the out-of-tree benchmark module needs four of them), in
# the worktree build/bench-linux.  make bench builds and runs it with
# VC_LINUX pointing there.
# Usage: harness/bench/tree.sh
. "$(dirname "$0")/../lib.sh"

wt=$BUILD/bench-linux
head=$(git -C "$LINUX" rev-parse HEAD) || die "bench: no $LINUX (make apply)"
[ -d "$wt" ] || git -C "$LINUX" worktree add -q --detach "$wt" "$head" ||
	die "bench: cannot add the worktree $wt"
git -C "$wt" reset -q --hard "$head" && git -C "$wt" clean -qfd ||
	die "bench: cannot reset $wt to $head"
git -C "$wt" apply "$HARNESS/bench/exports.patch" ||
	die "bench: harness/bench/exports.patch does not apply to $head"
say "bench: $wt is $head plus harness/bench/exports.patch"
