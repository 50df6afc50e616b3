#!/usr/bin/env bash
# Run the series' KUnit suite (mm/tests/.kunitconfig) with the kernel's own
# tools/testing/kunit/kunit.py. Default: UML. Usage:
#   harness/kunit.sh [--arch=x86_64] [--forced] [extra kunit.py args]
# --forced boots the same kernel with vcompound_fallback=always (the tests
# switch the policy at run time either way; this changes the boot default
# they start from, from vcompound's core_initcall on). The kernel is not
# rebuilt for it: CONFIG_FALLBACK_ALWAYS=y itself is built and booted in the
# qemu, qemu-novmap and debug kernels (harness/test.sh).
. "$(dirname "$0")/lib.sh"

arch=um forced=0 extra=()
for a in "$@"; do
	case $a in
	--arch=*) arch=${a#--arch=} ;;
	--forced) forced=1 ;;
	*) extra+=("$a") ;;
	esac
done
name=kunit-$arch$([ $forced = 1 ] && echo -forced || true)
dir=$BUILD/kunit-$arch
args=(run --kunitconfig=mm/tests --build_dir="$dir" --jobs="$JOBS"
      --make_options="CC=ccache gcc" --timeout=600)
[ $forced = 1 ] && args+=(--kernel_args=vcompound_fallback=always)
# UML is an architecture whose stack code is not audited for virtual
# compound stacks: give it order-3 stacks from the page allocator (no
# VMAP_STACK), eligible for the fallback, so that vc_test_task_stack checks
# that they never take it.
[ "$arch" = um ] && args+=(--kconfig_add CONFIG_KERNEL_STACK_ORDER=3 --kconfig_add CONFIG_VMAP_STACK=n)
# Two CPUs: vc_test_reclaim_deferred keeps one from the deferred-free work.
[ "$arch" = um ] || args+=(--arch="$arch" --kconfig_add CONFIG_SERIAL_8250=y --qemu_args="-smp 2")
say "kunit[$name]: kunit.py ${args[*]} ${extra[*]}"
cd "$LINUX"
set +e
python3 tools/testing/kunit/kunit.py "${args[@]}" "${extra[@]}" 2>&1 | tee "$BUILD/$name.log" |
	grep --line-buffered -E "^\[..:..:..\] (Configuring|Building|Starting|Testing complete|=+ |\[(PASSED|FAILED|SKIPPED|CRASHED)\])|ERROR|error:" 
rc=${PIPESTATUS[0]}
set -e
summary=$(grep -E "Testing complete\. Ran [0-9]+ tests" "$BUILD/$name.log" | tail -n1 | sed 's/^\[..:..:..\] //')
passed=$(sed -n 's/.*passed: \([0-9]*\).*/\1/p' <<<"$summary")
failed=$(sed -n 's/.*failed: \([0-9]*\).*/\1/p' <<<"$summary")
skipped=$(sed -n 's/.*skipped: \([0-9]*\).*/\1/p' <<<"$summary")
crashed=$(sed -n 's/.*crashed: \([0-9]*\).*/\1/p' <<<"$summary")
errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' <<<"$summary")
failed=$(( ${failed:-0} + ${crashed:-0} + ${errors:-0} ))
# One "PASS|FAIL|SKIP case" line per case, a skip with " # " and its
# reason (from the kernel's raw output), for harness/expect.py.
sed -nE '/=/d; s/^\[..:..:..\] \[PASSED\] (.*)/PASS \1/p; s/^\[..:..:..\] \[SKIPPED\] (.*)/SKIP \1/p;
	 s/^\[..:..:..\] \[(FAILED|CRASHED)\] (.*)/FAIL \2/p' "$BUILD/$name.log" |
while read -r st case; do
	if [ "$st" = SKIP ]; then
		# A fixed-string match: case names hold parentheses and commas.
		why=$(awk -v c="$case" '{ sub(/^ */, "") }
			index($0, "ok ") == 1 { sub(/^ok [0-9]+ /, "")
				if (index($0, c " # SKIP") == 1) { sub(/^[^#]*# SKIP ?/, ""); print; exit } }' \
			"$dir/test.log" 2>/dev/null || true)
		echo "SKIP $case # ${why:-(no reason given)}"
	else
		echo "$st $case"
	fi
done >"$BUILD/$name.results"
# VC_EXPECT (harness/test.sh sets it per step): the skips this run may have.
expect_ok=1
if [ -n "${VC_EXPECT:-}" ]; then
	/usr/bin/python3 "$HARNESS/expect.py" "$BUILD/$name.results" "$VC_EXPECT" || expect_ok=0
fi
# --forced: the kernel must have taken the boot parameter.
if [ $forced = 1 ] && ! grep -q 'vcompound: fallback policy: always' "$dir/test.log" 2>/dev/null; then
	echo "kunit[$name]: FAIL the kernel did not report 'fallback policy: always' ($dir/test.log)"
	failed=$(( ${failed:-0} + 1 ))
	rc=1
fi
echo "kunit[$name]: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
[ $expect_ok = 1 ] || die "kunit[$name]: skips not as $VC_EXPECT expects"
if [ "$rc" -ne 0 ] || [ -z "$passed" ] || [ "${passed:-0}" -eq 0 ]; then
	die "kunit[$name] failed (log: $BUILD/$name.log; reproduce: harness/kunit.sh $*)"
fi
