#!/usr/bin/env bash
# The whole test suite (what CI runs): series round trip, checkpatch,
# documentation checks (kernel-doc, htmldocs, get_maintainer), the KUnit
# suite through kunit.py on UML (virtual path not forced, and the same
# kernel booted with vcompound_fallback=always), the FALLBACK_ALWAYS kernels
# booted under QEMU
# (VMAP_STACK on, which runs the KUnit suite at boot on x86_64, forced,
# and once more with vcompound_fallback=late, not forced; VMAP_STACK off
# with 32 KiB stacks, THP and memory hotplug; (optional steps, below: the
# late kernel (policy late, lockdep, NUMA, THP=n, PREEMPT) booted so that
# the first fallback of the boot happens inside a CPU online and inside
# memory hot-add, and booted in full with the pfn walkers); a KASAN kernel without KASAN_VMALLOC
# (configured only: Kconfig must refuse the series; boot-kasan-novmalloc,
# optional, builds and boots it); and the
# debug kernel: KASAN, lockdep, DEBUG_VM, DEBUG_PAGEALLOC, kmemleak, with
# the pfn walkers, memcg and the kernel's own mm suites), no new W=1 or
# sparse warning on the lines the series touches (harness/matrix.sh on;
# the full build matrix is "make matrix"), and the harness's own
# regression tests; mutants-smoke: three mutants of
# the series (harness/mutants.py) that KUnit must kill (the full set is
# "make mutants"); boot-4g: the qemu kernel with memory above 4 GiB, for
# the zone-modifier checks.  Each KUnit and boot step's skips must be those
# harness/expect/STEP lists, with reasons. Every step runs even if an
# earlier one failed; the last line is "N passed, N failed". Optional
# steps: kunit-x86 (kunit.py --arch=x86_64, a kernel of its own) and
# bisect (every prefix of the series builds: a full kernel build for each
# prefix that touches a widely included header, too slow for CI's hour
# cold; "make bisect", run before every submission). The step
# bisect-stamp checks that harness/bisect-ok, written by a passing
# "make bisect", is for the series under test. first-cpu, first-hotplug and
# boot-numa (the late kernel: a fifth cold kernel build) are optional
# steps too, until make test fits CI's limit cold: a series change that
# touches a header every file includes makes every kernel cold.
# Usage: harness/test.sh [step ...]   (default: all steps)
. "$(dirname "$0")/lib.sh"
# Per-tree overrides of a caller must not leak into every build here.
unset VC_OUT VC_CONF VC_NOCHECK

all_steps="roundtrip checkpatch bisect-stamp docs kunit kunit-forced mutants-smoke boot boot-late boot-4g warnings boot-novmap kasan-novmalloc boot-debug selftest"
steps=${*:-$all_steps}
mkdir -p "$BUILD/logs"
total_pass=0 total_fail=0 total_skip=0
summary=()
t0=$(date +%s)

"$HARNESS/setup.sh"
"$HARNESS/apply.sh" || { echo "0 passed, 1 failed"; die "the series does not apply"; }

run_step() {
	local name=$1; shift
	local log=$BUILD/logs/$name.log start rc p f line
	start=$(date +%s)
	say "=== $name: $*"
	# The skips this step may have, with their reasons, and the sections
	# that must report (harness/expect.py): every KUnit and boot step has
	# its list.
	case $name in
	kunit*|boot*|first-*)
		export VC_EXPECT=$HARNESS/expect/$name
		[ -f "$VC_EXPECT" ] || die "no $VC_EXPECT: every KUnit and boot step lists its expected skips"
		;;
	*) unset VC_EXPECT ;;
	esac
	set +e
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	# A step reports its own counts as "N passed, M failed"; otherwise
	# it is one check, passed or failed by its exit status.
	line=$(grep -Eo '[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?' "$log" | tail -n1 || true)
	k=0
	if [ -n "$line" ]; then
		p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
		case $line in *skipped) k=${line##*failed, }; k=${k%% skipped} ;; esac
	else
		p=$((rc == 0)); f=$((rc != 0))
	fi
	# A step whose checks all skipped proved nothing.
	[ "$p" -gt 0 ] || [ "$f" -gt 0 ] || { f=1; say "$name: no check passed (all $k skipped?)"; }
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || f=1
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + k))
	summary+=("$(printf '%-20s %-4s %4d passed %4d failed %4d skipped %5ds' "$name" \
		"$([ "$rc" -eq 0 ] && echo ok || echo FAIL)" "$p" "$f" "$k" $(( $(date +%s) - start )))")
	if [ "$rc" -ne 0 ] || [ "$f" -gt 0 ]; then
		summary+=("               log: $log")
		# What failed, in the summary itself: CI shows only the end of
		# the output, and its logs are not kept.  Not every WARNING: a
		# boot's log has the expected ones of the vcompound_misuse suite,
		# and boot.sh's FAIL line names the splats.
		while IFS= read -r line; do
			summary+=("               | ${line:0:150}")
		done < <({ grep -a 'ERROR: ' "$log"
			   grep -aE '(^|[] #:] )not ok |FAIL|unexpected|missing' "$log" |
				grep -av 'ERROR: '; } |
			grep -avE '(^|[] #:] )(ok|not ok) .*# (SKIP|TODO)' | head -n 10 || true)
	fi
}

for s in $steps; do
	case $s in
	roundtrip)    run_step roundtrip "$HARNESS/roundtrip.sh" ;;
	checkpatch)   run_step checkpatch "$HARNESS/checkpatch.sh" ;;
	docs)         run_step docs "$HARNESS/docs.sh" ;;
	kunit)        run_step kunit "$HARNESS/kunit.sh" ;;
	kunit-forced) run_step kunit-forced "$HARNESS/kunit.sh" --forced ;;
	kunit-x86)    run_step kunit-x86 "$HARNESS/kunit.sh" --arch=x86_64 ;;
	mutants-smoke) run_step mutants-smoke "$HARNESS/mutants.sh" --smoke ;;
	boot)         run_step boot bash -c "'$HARNESS/build-kernel.sh' qemu && '$HARNESS/boot.sh' qemu" ;;
	boot-late)    run_step boot-late bash -c "'$HARNESS/build-kernel.sh' qemu && '$HARNESS/boot.sh' qemu --append vcompound_fallback=late" ;;
	boot-4g)      run_step boot-4g bash -c "'$HARNESS/build-kernel.sh' qemu && '$HARNESS/boot.sh' qemu --mem 4608M --append 'vc.only=vcompound/run_vcompound.sh VCOMPOUND_TEST=stress VCOMPOUND_CYCLES=300'" ;;
	boot-novmap)  run_step boot-novmap bash -c "'$HARNESS/build-kernel.sh' qemu-novmap && '$HARNESS/boot.sh' qemu-novmap" ;;
	warnings)     run_step warnings "$HARNESS/matrix.sh" on ;;
	first-cpu)    run_step first-cpu bash -c "'$HARNESS/build-kernel.sh' late && '$HARNESS/boot.sh' late --timeout 400 --extra '$HARNESS/guest/first' --append 'kunit.enable=0 maxcpus=1 vc.first=cpu vc.only=first/run_first_fallback.sh'" ;;
	first-hotplug) run_step first-hotplug bash -c "'$HARNESS/build-kernel.sh' late && '$HARNESS/boot.sh' late --timeout 400 --extra '$HARNESS/guest/first' --append 'kunit.enable=0 vc.first=hotplug vc.only=first/run_first_fallback.sh'" ;;
	boot-numa)    run_step boot-numa bash -c "'$HARNESS/build-kernel.sh' late && '$HARNESS/boot.sh' late --timeout 1500 --append VCOMPOUND_WALKERS=1" ;;
	kasan-novmalloc) run_step kasan-novmalloc "$HARNESS/build-kernel.sh" kasan-novmalloc --config-only ;;
	boot-kasan-novmalloc) run_step boot-kasan-novmalloc bash -c "'$HARNESS/build-kernel.sh' kasan-novmalloc && '$HARNESS/boot.sh' kasan-novmalloc --timeout 900" ;;
	boot-debug)   run_step boot-debug bash -c "'$HARNESS/build-kernel.sh' debug && '$HARNESS/boot.sh' debug --timeout 1800" ;;
	bisect)       run_step bisect "$HARNESS/bisect.sh" bisect ;;
	bisect-stamp) run_step bisect-stamp "$HARNESS/bisect.sh" --check ;;
	selftest)     run_step selftest "$HARNESS/selftest.sh" ;;
	*) die "unknown step $s (steps: $all_steps kunit-x86 bisect boot-kasan-novmalloc first-cpu first-hotplug boot-numa)" ;;
	esac
done

echo
echo "==== vcompound test summary ($(( ($(date +%s) - t0) / 60 )) min) ===="
printf '%s\n' "${summary[@]}"
echo "$total_skip skipped (each step's skips and their reasons are in its log)"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
