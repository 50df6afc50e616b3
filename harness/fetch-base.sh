#!/usr/bin/env bash
# Fetch the pinned base tree and make it the base commit of build/linux-base.git
# (a bare-ish cache repository that apply.sh clones from).
# Cached: a second run does nothing.
. "$(dirname "$0")/lib.sh"

CACHE=$BUILD/cache
BASEREPO=$BUILD/base
mkdir -p "$CACHE"

if [ -f "$BUILD/base.done" ]; then
	say "base: cached at $BASEREPO ($(cat "$BUILD/base.done"))"
	exit 0
fi

deb=$CACHE/${BASE_PKG}_${BASE_VERSION//:/%3a}_all.deb
used_version=$BASE_VERSION
if [ ! -f "$deb" ]; then
	say "base: downloading $BASE_PKG=$BASE_VERSION"
	if ! (cd "$CACHE" && apt-get download "$BASE_PKG=$BASE_VERSION" >/dev/null 2>&1); then
		apt-get update -qq || true
		if ! (cd "$CACHE" && apt-get download "$BASE_PKG=$BASE_VERSION" >/dev/null 2>&1); then
			used_version=$(apt-cache madison "$BASE_PKG" | awk '{print $3}' | sort -V | tail -n1)
			[ -n "$used_version" ] || die "no $BASE_PKG version is served by the mirror"
			cat >&2 <<WARN
################################################################
WARNING: pinned $BASE_PKG=$BASE_VERSION is no longer served.
WARNING: falling back to the newest one served: $used_version
WARNING: the checksum cannot be verified; the series is still
WARNING: applied and tested against it.
################################################################
WARN
			(cd "$CACHE" && apt-get download "$BASE_PKG=$used_version" >/dev/null) ||
				die "download of $BASE_PKG=$used_version failed"
			deb=$(ls "$CACHE"/"${BASE_PKG}"_*.deb | head -n1)
		fi
	fi
fi
if [ "$used_version" = "$BASE_VERSION" ]; then
	sum=$(sha256sum "$deb" | cut -d' ' -f1)
	[ "$sum" = "$BASE_SHA256" ] ||
		die "checksum mismatch for $deb: got $sum, want $BASE_SHA256"
	say "base: sha256 ok ($sum)"
fi

say "base: extracting"
rm -rf "$CACHE/x" "$BASEREPO.tmp" "$BASEREPO"
dpkg -x "$deb" "$CACHE/x"
mkdir -p "$BASEREPO.tmp"
tar -C "$BASEREPO.tmp" --strip-components=1 -xf "$CACHE/x/$BASE_TARBALL"
rm -rf "$CACHE/x"

say "base: creating the base commit"
export GIT_AUTHOR_DATE=$BASE_COMMIT_DATE GIT_COMMITTER_DATE=$BASE_COMMIT_DATE
export GIT_AUTHOR_NAME=$BASE_COMMIT_IDENT_NAME GIT_COMMITTER_NAME=$BASE_COMMIT_IDENT_NAME
export GIT_AUTHOR_EMAIL=$BASE_COMMIT_IDENT_EMAIL GIT_COMMITTER_EMAIL=$BASE_COMMIT_IDENT_EMAIL
(
	cd "$BASEREPO.tmp"
	git init -q -b base .
	git add -Af .
	git -c core.autocrlf=false commit -q -m "Linux $(make -s kernelversion) from Debian $BASE_PKG $used_version"
)
mv "$BASEREPO.tmp" "$BASEREPO"
echo "$BASE_PKG $used_version $(git -C "$BASEREPO" rev-parse HEAD)" > "$BUILD/base.done"
say "base: $(cat "$BUILD/base.done")"
