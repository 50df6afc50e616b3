#!/usr/bin/env bash
# Run "git rebase -i --autosquash" on build/linux's series in a scratch
# worktree, then move build/linux to the result with "git reset --hard":
# only files whose content changed are rewritten, so the kernel build
# directories do not rebuild what a plain rebase would have touched.
# Usage: harness/rebase.sh [GIT_SEQUENCE_EDITOR command]   (default: ":")
. "$(dirname "$0")/lib.sh"

base=$(awk '{print $3}' "$BUILD/base.done")
wt=$BUILD/rebase-wt
cd "$LINUX"
[ -z "$(git status --porcelain --untracked-files=no)" ] || die "rebase: commit your changes first"
if [ ! -e "$wt/.git" ]; then
	git worktree prune
	hgit worktree add -q --detach "$wt" HEAD
fi
hgit -C "$wt" checkout -q -f --detach "$(git rev-parse HEAD)"
GIT_SEQUENCE_EDITOR=${1:-:} git -C "$wt" rebase -q -i --autosquash "$base" ||
	die "rebase: failed in $wt (resolve there, then: git -C $LINUX reset --hard \$(git -C $wt rev-parse HEAD))"
git reset -q --hard "$(git -C "$wt" rev-parse HEAD)"
git log --oneline "$base..HEAD"
