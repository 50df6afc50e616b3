#!/usr/bin/env bash
# Export build/linux (base..vcompound) back into series/ and refresh the
# tree-form copies of the files the series adds. Deterministic: exporting
# an unchanged tree changes nothing.
. "$(dirname "$0")/lib.sh"

[ -d "$LINUX/.git" ] || die "export: no $LINUX; run 'make apply' first"
base=$(awk '{print $3}' "$BUILD/base.done")
cd "$LINUX"
[ -z "$(git status --porcelain --untracked-files=no)" ] ||
	die "export: $LINUX has uncommitted changes; commit them first"
n=$(git rev-list --count "$base..HEAD")
[ "$n" -gt 0 ] || die "export: no commits on top of $base"
# A file that the kernel's own .gitignore files ignore is generated (by
# htmldocs, a build): never a part of the series, however it got committed.
# Checked against a copy of the .gitignore files without Debian's
# top-level "/*", which ignores every path, and without any global
# excludes.  Dotfiles are left out: the kernel ignores ".*" and adds the
# ones it wants (.kunitconfig, .gitignore) by force.
ign=$(mktemp -d)
git init -q "$ign"
git ls-files -- '*.gitignore' | while read -r g; do
	mkdir -p "$ign/$(dirname "$g")"
	sed '/^\/\*$/d; /^!\/debian\/$/d' "$g" >"$ign/$g"
done
git diff --name-only --no-renames --diff-filter=A "$base" HEAD |
	grep -v '\(^\|/\)\.[^/]*$' >"$ign/.added" || true
set +e
ignored=$(git -C "$ign" -c core.excludesFile=/dev/null check-ignore --no-index --stdin <"$ign/.added")
rc=$?
set -e
rm -rf "$ign"
[ "$rc" -le 1 ] || die "export: git check-ignore failed (status $rc)"
[ -z "$ignored" ] ||
	die "export: the series adds files the kernel ignores (generated?): $(tr "\n" " " <<<"$ignored" | cut -c1-300)"

# The cover letter's subject and blurb are kept; the shortlog, diffstat and
# base-commit below them are regenerated.
cover=$SERIES/0000-cover-letter.patch
desc=$(python3 "$HARNESS/cover.py" extract "$cover")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Hermetic: no global/system git configuration may change the output; the
# abbreviated blob hashes have a fixed length (git's automatic length depends
# on how many objects the repository holds); the cover letter is "From" the
# author of the first patch, not whoever runs the export.
first=$(git rev-list --reverse "$base..HEAD" | sed -n 1p)
GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git \
	-c core.abbrev=12 \
	-c user.name="$(git log -1 --format=%an "$first")" \
	-c user.email="$(git log -1 --format=%ae "$first")" \
	-c branch.vcompound.description="$desc" format-patch -q \
	--zero-commit --no-signature --base="$base" --cover-letter \
	--cover-from-description=subject --no-thread \
	--subject-prefix=PATCH -o "$tmp" "$base..HEAD" >/dev/null
python3 "$HARNESS/cover.py" fixdate "$tmp"

mkdir -p "$SERIES"
find "$SERIES" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' -delete
cp "$tmp"/*.patch "$SERIES"/

# Tree-form copies of the files the series adds.
cd "$TOP"
roots="mm include arch lib tools Documentation crypto kernel"
for r in $roots; do
	[ -d "$r" ] && git ls-files -- "$r" | xargs -r rm -f --
done
git -C "$LINUX" diff --name-only --diff-filter=A "$base" HEAD | while read -r f; do
	mkdir -p "$(dirname "$f")"
	git -C "$LINUX" show "HEAD:$f" > "$f"
done
for r in $roots; do [ -d "$r" ] && find "$r" -type d -empty -delete; done
python3 "$HARNESS/cover.py" maintainers "$LINUX" "$base" > "$TOP/MAINTAINERS"
[ -s "$TOP/MAINTAINERS" ] || rm -f "$TOP/MAINTAINERS"
say "export: $n patches + cover letter -> series/"
