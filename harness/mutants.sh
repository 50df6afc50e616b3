#!/usr/bin/env bash
# Mutation testing of the series: apply each mutant of harness/mutants.py
# (one deliberate breakage of the series) to a worktree of build/linux, run
# the fast part of the suite, and record whether the suite killed it and by
# which test:
#   1. the KUnit suite on UML, forced (harness/kunit.sh --forced);
#   2. if it survived that: the qemu-novmap kernel (x86_64, 32 KiB stacks
#      without VMAP_STACK, memory hotplug, memcg, KUnit at boot, the guest
#      tests, test_vcompound and the pfn walkers) booted under QEMU.
# Both stages first run on the unmutated tree (the baseline), which must
# pass: a failure of a mutant's run is then the mutant's doing.  A mutant
# that no longer applies, does not build, or whose KUnit kernel never
# starts is an ERROR, not a kill; a kernel that hangs is "killed (hang)".
# Every mutant must be killed.
#
# make mutants: every mutant, both stages, in build/mutants/linux with its
# own build directories; writes build/mutants/results.md, copied to
# harness/mutants-results.md (the committed table).
# --smoke (make test's mutants-smoke step): the three mutants of
# "mutants.py smoke", KUnit only, in build/mutants-smoke/linux (its build
# directory gets its objects from ccache, as the paths are the same
# relative to it).
# --uml-only: stage 1 only.  --boot-only: stage 2 only (to see what the
# boot's own tests say of a mutant that KUnit kills).
# Usage: harness/mutants.sh [--smoke] [--uml-only] [--boot-only] [NAME ...]
. "$(dirname "$0")/lib.sh"
# Per-tree overrides of a caller must not leak into every build here.
unset VC_OUT VC_CONF VC_NOCHECK

smoke=0 uml_only=0 boot_only=0 names=()
for a in "$@"; do
	case $a in
	--smoke) smoke=1 uml_only=1 ;;
	--uml-only) uml_only=1 ;;
	--boot-only) boot_only=1 ;;
	*) names+=("$a") ;;
	esac
done
mut=(/usr/bin/python3 "$HARNESS/mutants.py")
# The committed table is written only by a full run: every mutant, both stages.
full=$([ ${#names[@]} -eq 0 ] && [ $smoke = 0 ] && [ $uml_only = 0 ] && [ $boot_only = 0 ] && echo 1 || echo 0)
if [ $smoke = 1 ]; then
	[ ${#names[@]} -gt 0 ] || mapfile -t names < <("${mut[@]}" smoke)
	mbuild=$BUILD/mutants-smoke
else
	[ ${#names[@]} -gt 0 ] || mapfile -t names < <("${mut[@]}" list)
	mbuild=$BUILD/mutants
fi
tree=$mbuild/linux
out=$mbuild
mkdir -p "$mbuild"
# A worktree at build/linux's HEAD: build/linux itself is never touched.
if [ ! -d "$tree/.git" ] && [ ! -f "$tree/.git" ]; then
	rm -rf "$tree"
	git -C "$LINUX" worktree prune
	git -C "$LINUX" worktree add --detach "$tree" HEAD >/dev/null
fi
git -C "$tree" checkout -q -f --detach "$(git -C "$LINUX" rev-parse HEAD)"
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "mutants: $tree has local changes"
current=
restore() { [ -z "$current" ] || "${mut[@]}" revert "$current" "$tree"; }
trap restore EXIT

# stage_kunit LOG: run stage 1; prints killed|survived|error|hang and, on
# the next line, what killed it or why it is an error.
stage_kunit() {
	local log=$1 klog=$mbuild/kunit-um-forced.log rc f
	set +e
	VC_BUILD=$mbuild VC_LINUX=$tree "$HARNESS/kunit.sh" --forced --timeout=120 >"$log" 2>&1
	rc=$?
	set -e
	if ! grep -q 'Starting KUnit Kernel' "$klog"; then
		echo error
		echo "the KUnit kernel did not build or start (log: $klog)"
	elif [ $rc -eq 0 ]; then
		echo survived
		echo
	elif grep -q 'timed out after' "$klog"; then
		echo hang
		echo "KUnit (UML): the kernel hung: no result within 120 s"
	else
		f=$(grep -aE '\[(FAILED|CRASHED)\] ' "$klog" | grep -v '=' |
			sed -E 's/^\[..:..:..\] \[(FAILED|CRASHED)\] //' | grep -v '^ *$' |
			head -n3 | paste -sd ';' - || true)
		[ -n "$f" ] || f="crashed: $(grep -aoE '(Kernel panic|BUG:|kernel BUG at|Oops)[^[]*' "$klog" |
			head -n1 | cut -c1-100 || true)"
		echo killed
		echo "KUnit (UML): $f"
	fi
}

# stage_boot LOG: run stage 2, same output as stage_kunit.
stage_boot() {
	local log=$1 rc f console=$mbuild/out/qemu-novmap/console.log
	set +e
	{ VC_BUILD=$mbuild VC_LINUX=$tree "$HARNESS/build-kernel.sh" qemu-novmap &&
	  VC_BUILD=$mbuild VC_LINUX=$tree "$HARNESS/boot.sh" qemu-novmap --timeout 400 \
		--append VCOMPOUND_WALKERS=1; } >>"$log" 2>&1
	rc=$?
	set -e
	if grep -q 'build\[qemu-novmap\]: make failed' "$log"; then
		echo error
		echo "does not build for x86_64 (log: $log)"
	elif [ $rc -eq 0 ]; then
		echo survived
		echo
	elif grep -q 'timed out after' "$log"; then
		echo hang
		echo "x86_64 boot: timed out"
	else
		f=$(grep -aE '^ *not ok ' "$console" 2>/dev/null | sed -E 's/^ *not ok [0-9]+ //' |
			head -n3 | paste -sd ';' - | cut -c1-200 || true)
		[ -n "$f" ] || f=$(grep -ao 'FAIL: .*' "$log" | tail -n1 | cut -c1-200 || true)
		echo killed
		echo "x86_64 boot: ${f:-see $log}"
	fi
}

# The baseline: the unmutated tree must pass every stage that will run.
say "mutants: baseline (no mutant) in $tree"
if [ $boot_only = 0 ]; then
	mapfile -t r < <(stage_kunit "$out/baseline.log")
	[ "${r[0]}" = survived ] ||
		die "mutants: the baseline fails KUnit (${r[0]}: ${r[1]:-}; log: $out/baseline.log): no mutant can be judged"
fi
if [ $uml_only = 0 ]; then
	mapfile -t r < <(stage_boot "$out/baseline.log")
	[ "${r[0]}" = survived ] ||
		die "mutants: the baseline fails the x86_64 boot (${r[0]}: ${r[1]:-}; log: $out/baseline.log): no mutant can be judged"
fi

table=("| mutant | file | what it breaks | result | killed by |" "|---|---|---|---|---|")
killed=0 survived=0 errors=0
for m in "${names[@]}"; do
	desc=$("${mut[@]}" describe "$m")
	file=${desc%%: *} what=${desc#*: }
	log=$out/$m.log
	say "mutant $m: $what"
	if ! "${mut[@]}" apply "$m" "$tree" 2>"$log"; then
		errors=$((errors + 1))
		table+=("| $m | $file | $what | ERROR | does not apply: $(cat "$log") |")
		continue
	fi
	current=$m
	r=(survived "")
	if [ $boot_only = 0 ]; then
		mapfile -t r < <(stage_kunit "$log")
		[ "${r[0]}" = survived ] || cp "$mbuild/kunit-um-forced.log" "$out/$m.kunit.log"
	fi
	if [ "${r[0]}" = survived ] && [ $uml_only = 0 ]; then
		mapfile -t r < <(stage_boot "$log")
		[ "${r[0]}" = survived ] ||
			cp "$mbuild/out/qemu-novmap/console.log" "$out/$m.console.log" 2>/dev/null || true
	fi
	"${mut[@]}" revert "$m" "$tree"
	current=
	result=${r[0]} by=${r[1]:-}
	case $result in
	killed|hang) killed=$((killed + 1)) ;;
	survived) survived=$((survived + 1)) by=nothing ;;
	*) errors=$((errors + 1)) result=ERROR ;;
	esac
	[ "$result" != hang ] || result="killed (hang)"
	by=${by//|/\\|}
	say "mutant $m: $result${by:+ ($by)}"
	table+=("| $m | $file | $what | $result | $by |")
done

total=${#names[@]}
{
	echo "# Mutants of the series"
	echo
	echo "Generated by \`harness/mutants.sh$([ $smoke = 1 ] && echo ' --smoke')\` on $(date -u +%Y-%m-%d)" \
	     "against the series at $(git -C "$tree" rev-parse --short=12 HEAD)" \
	     "(build/linux HEAD). Stages: KUnit on UML (forced)$([ $uml_only = 1 ] || echo ', then, if it survived, the qemu-novmap kernel booted with the pfn walkers')." \
	     "The unmutated tree passed every stage first (the baseline)."
	echo
	printf '%s\n' "${table[@]}"
	echo
	echo "**$killed of $total killed** ($survived survived, $errors errors)."
} >"$out/results.md"
cat "$out/results.md"
[ "$full" = 0 ] || cp "$out/results.md" "$TOP/harness/mutants-results.md"
echo "mutants: $killed passed, $((survived + errors)) failed"
[ $((survived + errors)) -eq 0 ]
