# Common helpers for the vcompound harness. Sourced, not run.
# shellcheck shell=bash
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=$TOP/harness
BUILD=${VC_BUILD:-$TOP/build}
LINUX=${VC_LINUX:-$BUILD/linux}
SERIES=${VC_SERIES:-$TOP/series}
# shellcheck source=harness/base.env
. "$HARNESS/base.env"

export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/vcompound-ccache}
# Paths under the checkout are hashed relative to it: a clone elsewhere
# (CI) hits the same cache entries.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$TOP}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-8G}
# Same compiler command line everywhere, so ccache hits across runs.
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2025-01-01}
export KBUILD_BUILD_USER=vcompound KBUILD_BUILD_HOST=harness
JOBS=${JOBS:-$(nproc)}
# Debian's own interpreters first (a pyenv python3 lacks python3-ply etc.).
export PATH=/usr/bin:/bin:$PATH

say()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die()  { printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# git with a fixed identity, so commits made by the harness are reproducible.
hgit() {
	git -c user.name="vcompound harness" -c user.email="harness@vcompound.invalid" \
	    -c core.autocrlf=false -c advice.detachedHead=false "$@"
}

# The base commit hash recorded in the cover letter (empty if none yet).
series_base_commit() {
	sed -n 's/^base-commit: \([0-9a-f]\{40\}\)$/\1/p' "$SERIES"/0000-cover-letter.patch 2>/dev/null | head -n1 || true
}

# The patches of the series, in order, without the cover letter.
series_patches() {
	[ -d "$SERIES" ] || return 0
	find "$SERIES" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' ! -name '0000-*' | LC_ALL=C sort
}
