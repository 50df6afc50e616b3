#!/usr/bin/env bash
# Compare the machine code of the allocator's hot functions in two builds,
# to see what __GFP_VFALLBACK adds to the fast paths (benchmark cell 1 and 3).
# Builds nothing: both build/out/BASE and build/out/NAME must be built
# already (at least the objects named below). BASE is a build without the
# series (the base commit with the same .config), or the series tree with
# CONFIG_VCOMPOUND=n, where every vcompound branch compiles out (the
# harness's "warmup" configuration is one).
#
# Usage: harness/bench/disasm.sh BASE NAME [OBJECT:FUNCTION ...]
# Default functions: mm/page_alloc.o:__alloc_pages_noprof (allocation fast
# path up to the slowpath call), mm/page_alloc.o:free_unref_page (every page
# free), mm/slub.o:kfree and mm/slub.o:virt_to_folio (an out-of-line copy
# at -Os; inlined into kfree at -O2, then only kfree shows it). A function
# missing from one object is reported and skipped.
#
# For each function: the instruction counts, the symbols of the static keys
# it reads or patches (vcompound_*), and a diff of the listings with
# addresses and jump offsets removed, so only real changes show. With
# CONFIG_JUMP_LABEL=y a static branch is a NOP (xchg %ax,%ax or nopl) with a
# __jump_table entry, listed as "jump_table: KEY"; without it, it is a load
# of the key and a test ("mov KEY(%rip),%eax; test; jg").
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/../lib.sh"

usage="usage: harness/bench/disasm.sh BASE NAME [OBJECT:FUNCTION ...]"
base=${1:?$usage}
name=${2:?$usage}
shift 2
funcs=("$@")
[ ${#funcs[@]} -gt 0 ] ||
	funcs=(mm/page_alloc.o:__alloc_pages_noprof mm/page_alloc.o:free_unref_page
	       mm/slub.o:kfree mm/slub.o:virt_to_folio)

# listing OBJ FUNC: the normalised disassembly of FUNC in OBJ
listing() {
	objdump -d --no-show-raw-insn -r "$1" |
		awk -v f="$2" '$0 ~ "^[0-9a-f]+ <" f ">:$" { p = 1; next } /^$/ { p = 0 } p' |
		sed -E 's/^ *[0-9a-f]+:\t//; s/^\t+[0-9a-f]+: (R_X86_64_[A-Z0-9_]+)\t/\t\1 /;
			s/[0-9a-f]+ <([^>+]+)(\+0x[0-9a-f]+)?>/<\1>/; s/ +# .*//'
}

# jump_keys OBJ FUNC: static keys whose __jump_table entries point into FUNC
jump_keys() {
	readelf -sW "$1" >"$tmp/syms" 2>/dev/null || return 0
	readelf -rW "$1" >"$tmp/relocs" 2>/dev/null || return 0
	python3 - "$tmp/syms" "$tmp/relocs" "$2" <<'PY'
import re, sys
syms, relocs, fn = sys.argv[1:4]
start = size = None
for line in open(syms):
    f = line.split()
    if len(f) >= 8 and f[7] == fn and f[3] == "FUNC":
        start, size = int(f[1], 16), int(f[2])
if start is None:
    sys.exit(0)
entries, jt = [], False
for line in open(relocs):
    if line.startswith("Relocation section"):
        jt = "__jump_table" in line
        continue
    if jt:
        m = re.search(r"\s(\S+) \+ ([0-9a-f]+)\s*$", line)
        if m:
            entries.append((m.group(1), int(m.group(2), 16)))
keys = set()
for i in range(0, len(entries) - 2, 3):   # code, target, key
    (sec, off), key = entries[i], entries[i + 2][0]
    if sec.startswith(".text") and start <= off < start + size:
        keys.add(key)
for k in sorted(keys):
    print("jump_table: " + k)
PY
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for spec in "${funcs[@]}"; do
	obj=${spec%%:*} fn=${spec#*:}
	a=$BUILD/out/$base/$obj b=$BUILD/out/$name/$obj
	for f in "$a" "$b"; do [ -f "$f" ] || die "disasm: no $f (build it first)"; done
	la=$(listing "$a" "$fn") lb=$(listing "$b" "$fn")
	if [ -z "$la" ] || [ -z "$lb" ]; then
		echo "=== $fn ($obj): not in both objects (inlined?): skipped"
		continue
	fi
	echo "=== $fn ($obj): $base $(grep -vc R_X86 <<<"$la") instructions, $name $(grep -vc R_X86 <<<"$lb")"
	grep -oE '[a-z_]*vcompound[a-z_]*' <<<"$lb" | sort -u | sed 's/^/  reads or calls: /' || true
	jump_keys "$b" "$fn" | sed 's/^/  /'
	d=$(diff -u <(echo "$la") <(echo "$lb") || true)
	if [ -z "$d" ]; then
		echo "  (identical)"
	else
		grep -E '^[-+]' <<<"$d" | grep -vE '^(---|\+\+\+)' || true
	fi
done
