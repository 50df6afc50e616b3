#!/usr/bin/env bash
# Documentation checks of the series:
#  - scripts/kernel-doc -none -Wall on every .c/.h file the series touches
#    reports nothing new (its output is compared with the base tree's);
#  - the mm documentation builds (make htmldocs SPHINXDIRS=mm) with no
#    warning that the same build of the base tree does not give;
#  - scripts/get_maintainer.pl reaches the series' MAINTAINERS entry (or,
#    for a preparatory patch in another subsystem, that subsystem's) from
#    each patch's files or the entry's keywords.
# Usage: harness/docs.sh
. "$(dirname "$0")/lib.sh"

base=$(awk '{print $3}' "$BUILD/base.done")
cd "$LINUX"
pass=0 fail=0
ok()  { echo "ok - $*"; pass=$((pass + 1)); }
bad() { echo "not ok - $*"; fail=$((fail + 1)); }

files=$(git diff --name-only --diff-filter=AM "$base" HEAD -- '*.c' '*.h')
for f in $files; do
	new=$(scripts/kernel-doc -none -Wall "$f" 2>&1 | sed 's/:[0-9]*:/:/' | sort)
	old=$(git show "$base:$f" 2>/dev/null | scripts/kernel-doc -none -Wall /dev/stdin 2>&1 |
		sed 's|/dev/stdin|'"$f"'|; s/:[0-9]*:/:/' | sort || true)
	added=$(comm -23 <(echo "$new") <(echo "$old") | grep -v '^$' || true)
	if [ -z "$added" ]; then ok "kernel-doc $f"; else bad "kernel-doc $f:"; echo "$added" | sed 's/^/    /'; fi
done

# The same build of the base tree gives the warnings that are not ours
# (SPHINXDIRS=mm cannot resolve links to other directories).
htmlwarn() {	# TREE OUT LOG: build, print the normalised warning lines
	(cd "$1" && nice make -s O="$2" SPHINXDIRS=mm htmldocs) >"$3" 2>&1 || return 1
	grep -E "WARNING|ERROR" "$3" | sed "s|$1/||; s|:[0-9]*: |: |" | sort -u
}
basewarn=$BUILD/htmldocs-base.warn
if [ ! -s "$basewarn" ]; then
	htmlwarn "$BUILD/base" "$BUILD/out/htmldocs-base" "$BUILD/htmldocs-base.log" >"$basewarn.tmp" ||
		die "docs: htmldocs of the base tree failed (log: $BUILD/htmldocs-base.log)"
	mv "$basewarn.tmp" "$basewarn"
fi
log=$BUILD/htmldocs.log
if ours=$(htmlwarn "$LINUX" "$BUILD/out/htmldocs" "$log"); then
	new=$(comm -23 <(echo "$ours") "$basewarn" | grep -v '^$' || true)
	if [ -z "$new" ]; then ok "htmldocs SPHINXDIRS=mm: no new warning"
	else bad "htmldocs SPHINXDIRS=mm: new warnings:"; echo "$new" | head -20 | sed 's/^/    /'; fi
else
	tail -20 "$log"
	bad "htmldocs SPHINXDIRS=mm failed (log: $log)"
fi

# The MAINTAINERS section each patch must reach, from its files or the
# entry's K: keywords in its diff only: get_maintainer.pl also matches
# keywords in a patch's subject and message (which name the flag anyway)
# and takes names from git history (--nogit --nogit-fallback).  The
# series' entry; or, for a preparatory patch that touches only another
# subsystem's files and goes to its maintainers, that subsystem's: the
# ALSA clean-up (SOUND), the fix of the base's mm/page_owner.c (for
# stable rather than for the series), the KASAN rename, the kmemleak fix
# of vmalloc's split-off vmap_area objects (VMALLOC), the x86
# stack-size choice and the memcg accounting change. The fix of the
# base's THP stubs touches only include/linux/huge_mm.h, which 6.12's
# MAINTAINERS lists nowhere: get_maintainer.pl names the open list only,
# and the patch carries Cc: lines for mm (its commit message).
want_for() {	# want_for PATCH: the section PATCH must reach
	local files
	files=$(sed -n 's|^+++ b/||p' "$1" | sort -u)
	only() { ! grep -qv "$1" <<<"$files"; }
	if only '^sound/'; then echo "SOUND"
	elif only '^mm/page_owner\.c$'; then echo "MEMORY MANAGEMENT"
	elif only '^mm/kasan/'; then echo "KASAN"
	elif only '^mm/vmalloc\.c$'; then echo "VMALLOC"
	elif only '^mm/memcontrol\.c$'; then echo "CONTROL GROUP - MEMORY RESOURCE CONTROLLER (MEMCG)"
	elif only '^arch/x86/'; then echo "X86 ARCHITECTURE (32-BIT AND 64-BIT)"
	elif only '^include/linux/huge_mm\.h$'; then echo "open list"
	else echo "VIRTUAL COMPOUND PAGES"
	fi
}
diffonly=$BUILD/docs-diff.patch
for p in $(series_patches); do
	want=$(want_for "$p")
	sed -n '/^diff --git /,$p' "$p" >"$diffonly"
	# Whole output first: grep -q stopping early would SIGPIPE the
	# script, which pipefail then reports as a failure.
	got=$(scripts/get_maintainer.pl --nogit --nogit-fallback "$diffonly" 2>/dev/null || true)
	if grep -qF "maintainer:$want" <<<"$got" ||
	   { [ "$want" = "open list" ] && ! grep -q '(maintainer:' <<<"$got" &&
	     sed '/^---$/q' "$p" | grep -q '^Cc: linux-mm@kvack.org$'; }; then
		ok "get_maintainer $(basename "$p"): $want"
	else
		bad "get_maintainer $(basename "$p") does not reach the $want entry"
	fi
done
echo "docs: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || die "docs checks failed (reproduce: harness/docs.sh)"
