#!/usr/bin/env bash
# Mutation testing of the series: apply each mutant of harness/mutants.py
# (one deliberate breakage of the series) to a tree, run the fast part of
# the suite, and record whether the suite killed it and by which test:
#   1. the KUnit suite on UML, forced (harness/kunit.sh --forced);
#   2. if it survived that: the qemu-novmap kernel (x86_64, 32 KiB stacks
#      without VMAP_STACK, memory hotplug, KUnit at boot, the guest tests
#      and test_vcompound with the pfn walkers) booted under QEMU.
# A mutant that no longer applies or does not build is an error, not a
# kill.  Every mutant must be killed.
#
# make mutants: every mutant in its own worktree (build/mutants/linux, its
# own build directories), writing build/mutants/results.md, which is copied
# to harness/mutants-results.md (the committed table).
# --smoke (make test's mutants-smoke step): the three mutants of
# "mutants.py smoke", KUnit only, in build/linux itself (an incremental
# rebuild of harness/kunit.sh --forced's directory); every file is restored
# on exit.
# --boot-only skips the KUnit stage (to see what the boot's own tests say
# of a mutant that KUnit kills).
# Usage: harness/mutants.sh [--smoke] [--uml-only] [--boot-only] [NAME ...]
. "$(dirname "$0")/lib.sh"

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
	tree=$LINUX
	mbuild=$BUILD
	out=$BUILD/mutants-smoke
else
	[ ${#names[@]} -gt 0 ] || mapfile -t names < <("${mut[@]}" list)
	mbuild=$BUILD/mutants
	tree=$mbuild/linux
	out=$mbuild
	mkdir -p "$mbuild"
	# A worktree at build/linux's HEAD, so that make mutants never
	# touches build/linux.
	if [ ! -d "$tree/.git" ] && [ ! -f "$tree/.git" ]; then
		git -C "$LINUX" worktree prune
		git -C "$LINUX" worktree add --detach "$tree" HEAD >/dev/null
	fi
	git -C "$tree" checkout -q --detach "$(git -C "$LINUX" rev-parse HEAD)"
fi
[ -z "$(git -C "$tree" status --porcelain --untracked-files=no)" ] ||
	die "mutants: $tree has local changes; commit or discard them first"
mkdir -p "$out"
current=
restore() { [ -z "$current" ] || "${mut[@]}" revert "$current" "$tree"; }
trap restore EXIT

kill_by_kunit() {	# the failed cases of a kunit.sh log, or why it crashed
	local f
	f=$(grep -aE '\[(FAILED|CRASHED)\] ' "$1" | grep -v '=' |
		sed -E 's/^\[..:..:..\] \[(FAILED|CRASHED)\] //' | grep -v '^ *$' |
		head -n3 | paste -sd ';' - || true)
	[ -n "$f" ] || f="crashed: $(grep -aoE '(Kernel panic|BUG:|kernel BUG at|Oops)[^[]*' "$1" |
		head -n1 | cut -c1-100 || true)"
	[ "$f" != "crashed: " ] || f="the kernel did not finish the suite (timeout?)"
	echo "$f"
}

kill_by_boot() {	# the failed KTAP tests of a boot, else boot.sh's causes
	local f
	f=$(grep -aE '^ *not ok ' "$2" 2>/dev/null | sed -E 's/^ *not ok [0-9]+ //' |
		head -n3 | paste -sd ';' - | cut -c1-200 || true)
	[ -n "$f" ] || f=$(grep -ao 'FAIL: .*' "$1" | tail -n1 | cut -c1-200 || true)
	echo "${f:-see $1}"
}

table=("| mutant | file | what it breaks | result | killed by |" "|---|---|---|---|---|")
killed=0 survived=0 errors=0
for m in "${names[@]}"; do
	desc=$("${mut[@]}" describe "$m")
	file=${desc%%: *} what=${desc#*: }
	log=$out/$m.log
	say "mutant $m: $what"
	if ! "${mut[@]}" apply "$m" "$tree" 2>"$log"; then
		result=ERROR by="does not apply: $(cat "$log")"
		errors=$((errors + 1))
		table+=("| $m | $file | $what | $result | $by |")
		continue
	fi
	current=$m
	result=survived by=
	set +e
	rc=0
	klog=$mbuild/kunit-um-forced.log
	if [ $boot_only = 1 ]; then
		: >"$log"
		: >"$klog.boot-only"
		klog=$klog.boot-only
	else
		VC_BUILD=$mbuild VC_LINUX=$tree "$HARNESS/kunit.sh" --forced --timeout=300 >"$log" 2>&1
		rc=$?
	fi
	set -e
	if grep -qE 'error:|Error [0-9]|make.*Error' "$klog" &&
	   ! grep -q 'Starting KUnit Kernel' "$klog"; then
		result=ERROR by="does not build (log: $klog)"
	elif [ $rc -ne 0 ]; then
		result=killed by="KUnit (UML): $(kill_by_kunit "$klog")"
		cp "$klog" "$out/$m.kunit.log"
	elif [ $uml_only = 0 ]; then
		set +e
		{ VC_BUILD=$mbuild VC_LINUX=$tree "$HARNESS/build-kernel.sh" qemu-novmap &&
		  VC_BUILD=$mbuild VC_LINUX=$tree "$HARNESS/boot.sh" qemu-novmap --timeout 400 \
			--append VCOMPOUND_WALKERS=1; } >>"$log" 2>&1
		rc=$?
		console=$mbuild/out/qemu-novmap/console.log
		if grep -q 'build\[qemu-novmap\]: make failed' "$log"; then
			result=ERROR by="does not build for x86_64 (log: $log)"
		elif [ $rc -ne 0 ]; then
			result=killed by="x86_64 boot: $(kill_by_boot "$log" "$console")"
			cp "$console" "$out/$m.console.log" 2>/dev/null
		fi
		set -e
	fi
	"${mut[@]}" revert "$m" "$tree"
	current=
	case $result in
	killed) killed=$((killed + 1)) ;;
	survived) survived=$((survived + 1)) by="nothing" ;;
	*) errors=$((errors + 1)) ;;
	esac
	by=${by//|/\\|}
	say "mutant $m: $result${by:+ ($by)}"
	table+=("| $m | $file | $what | $result | $by |")
done

total=${#names[@]}
{
	echo "# Mutants of the series"
	echo
	echo "Generated by \`harness/mutants.sh$([ $smoke = 1 ] && echo ' --smoke')\` on $(date -u +%Y-%m-%d)" \
	     "against the series at $(git -C "$LINUX" rev-parse --short=12 HEAD)" \
	     "(build/linux HEAD). Stages: KUnit on UML (forced)$([ $uml_only = 1 ] || echo ', then, if it survived, the qemu-novmap kernel booted with the pfn walkers')."
	echo
	printf '%s\n' "${table[@]}"
	echo
	echo "**$killed of $total killed** ($survived survived, $errors errors)."
} >"$out/results.md"
cat "$out/results.md"
[ "$full" = 0 ] || cp "$out/results.md" "$TOP/harness/mutants-results.md"
echo "mutants: $killed passed, $((survived + errors)) failed"
[ $((survived + errors)) -eq 0 ]
