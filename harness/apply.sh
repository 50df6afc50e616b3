#!/usr/bin/env bash
# Materialise build/linux: the pinned base commit plus `git am` of every
# patch in series/, one commit each, on branch "vcompound".
# Commit hashes are reproducible (fixed committer, committer date = author
# date), and files whose content did not change keep their mtime, so an
# unchanged series does not trigger kernel rebuilds.
# Usage: harness/apply.sh [--force]   (--force discards local commits)
. "$(dirname "$0")/lib.sh"

"$HARNESS/fetch-base.sh"
base=$(awk '{print $3}' "$BUILD/base.done")
want=$(series_base_commit)
if [ -n "$want" ] && [ "$want" != "$base" ]; then
	cat >&2 <<WARN
WARNING: series/ was made on base-commit $want
WARNING: but the base tree here is $base; applying anyway.
WARN
fi

if [ ! -d "$LINUX/.git" ]; then
	say "apply: cloning the base into $LINUX"
	git clone -q --no-checkout "$BUILD/base" "$LINUX"
	hgit -C "$LINUX" checkout -q -b vcompound "$base"
fi
cd "$LINUX"
old=$(git rev-parse -q --verify HEAD || true)
if [ "${1:-}" != "--force" ] && [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	die "apply: $LINUX has uncommitted changes; commit them and run 'make export', or use 'make apply FORCE=1'"
fi

# Remember mtimes of every file the old or new series touches.
declare -A mtime oldblob
touched=$( { git diff --name-only "$base" "$old" 2>/dev/null || true;
	     for p in $(series_patches); do git apply --numstat "$p" 2>/dev/null | cut -f3; done; } | sort -u)
for f in $touched; do
	[ -e "$f" ] && mtime[$f]=$(stat -c %Y "$f")
	oldblob[$f]=$(git rev-parse -q --verify "$old:$f" 2>/dev/null || echo none)
done

git am --abort >/dev/null 2>&1 || true
hgit checkout -q -f -B vcompound "$base"
n=0
for p in $(series_patches); do
	if ! hgit am -q --committer-date-is-author-date "$p" >/dev/null 2>"$BUILD/am.err"; then
		cat "$BUILD/am.err" >&2
		git am --abort >/dev/null 2>&1 || true
		die "apply: $(basename "$p") does not apply to $base (reproduce: cd $LINUX && git am $p)"
	fi
	n=$((n + 1))
done
new=$(git rev-parse HEAD)

for f in $touched; do
	[ -n "${mtime[$f]:-}" ] && [ -e "$f" ] || continue
	nb=$(git rev-parse -q --verify "$new:$f" 2>/dev/null || echo none)
	[ "$nb" = "${oldblob[$f]}" ] && touch -d "@${mtime[$f]}" "$f"
done
say "apply: $n patches on $base -> $new"
