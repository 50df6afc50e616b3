#!/usr/bin/env bash
# Regression tests of the harness itself: each deliberately broken input
# must make the harness fail with a message that names the cause.
#   checkpatch  a patch with trailing whitespace      -> checkpatch.sh fails naming the patch
#   apply       a patch whose context does not match  -> apply.sh fails naming the patch
#   guest-test  a guest test that reports "not ok"    -> boot.sh fails naming the test
#   warn-boot   a patch adding WARN_ON(1) at boot and  -> boot.sh fails naming the WARNING
#               a patch breaking a KUnit expectation      and the failed KUnit case
#   expect      an unexpected skip, a skip for another   -> harness/expect.py fails naming it
#               reason, a missing section
#   splats      reports that open without BUG:/WARNING: -> the splat list matches each
# The warn-boot case builds the qemu kernel in a worktree of its own,
# build/st/linux with its output in build/st/out/qemu: the same paths
# relative to each other as build/linux and build/out/qemu, so that ccache
# (base_dir is the checkout) hits for every file but the two it breaks.
# Both boots run only what they check (one guest script; one KUnit case).
# Usage: harness/selftest.sh [case ...]
. "$(dirname "$0")/lib.sh"
# Per-tree overrides of a caller must not leak into every build here.
unset VC_OUT VC_CONF VC_NOCHECK

cases=${*:-checkpatch apply guest-test warn-boot expect splats}
tmp=$BUILD/selftest
rm -rf "$tmp"
mkdir -p "$tmp"
pass=0 fail=0

# result OK MESSAGE: count and print one check (OK is 1 or 0).
result() {
	if [ "$1" = 1 ]; then
		echo "ok - $2"
		pass=$((pass + 1))
	else
		echo "not ok - $2"
		fail=$((fail + 1))
	fi
}

# expect_fail CASE PATTERN CMD...: CMD must fail and print PATTERN.
expect_fail() {
	local c=$1 pat=$2 log=$tmp/$1.log
	shift 2
	if "$@" >"$log" 2>&1; then
		result 0 "$c: the harness passed a broken input (log: $log)"
	elif ! grep -qE "$pat" "$log"; then
		result 0 "$c: failed, but without naming the cause /$pat/ (log: $log)"
	else
		result 1 "$c: failed as it must: $(grep -E "$pat" "$log" | head -n1 | cut -c1-150)"
	fi
}

broken_series() {	# copy series/ to $tmp/$1
	rm -rf "${tmp:?}/$1"
	cp -r "$SERIES" "$tmp/$1"
}

for c in $cases; do
	case $c in
	checkpatch)
		broken_series cp
		# Trailing whitespace on the first added C statement of the
		# series (hunk counts stay right); prints the patch's number.
		n=$(python3 - "$tmp/cp" <<'PY'
import glob, os, sys
for p in sorted(glob.glob(sys.argv[1] + "/[0-9][0-9][0-9][0-9]-*.patch")):
    if os.path.basename(p).startswith("0000-"):
        continue
    lines = open(p).read().split("\n")
    for i, l in enumerate(lines):
        if l.startswith("+") and not l.startswith("+++") and l.rstrip() and ";" in l:
            lines[i] = l + " "
            open(p, "w").write("\n".join(lines))
            print(os.path.basename(p)[:4])
            sys.exit(0)
sys.exit("no added C statement in the series")
PY
)
		expect_fail checkpatch "$n-.*(TRAILING_WHITESPACE|trailing whitespace)" \
			"$HARNESS/checkpatch.sh" "$tmp/cp" ;;
	apply)
		broken_series ap
		p=$(ls "$tmp"/ap/0001-*.patch)
		# Change one context line of the first hunk.
		python3 - "$p" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
seen = False
for i, l in enumerate(lines):
    if l.startswith("@@"):
        seen = True
    elif seen and l.startswith(" ") and len(l) > 3:
        lines[i] = l + " broken"
        break
open(p, "w").write("\n".join(lines))
PY
		expect_fail apply "0001-.*does not apply" \
			env VC_SERIES="$tmp/ap" VC_LINUX="$tmp/linux" "$HARNESS/apply.sh" ;;
	guest-test)
		mkdir -p "$tmp/failing"
		cat >"$tmp/failing/run-failing.sh" <<'SH'
#!/bin/sh
echo "TAP version 13"
echo "1..2"
echo "ok 1 selftest_ok_case"
echo "not ok 2 selftest_broken_case"
exit 1
SH
		chmod +x "$tmp/failing/run-failing.sh"
		[ -f "$BUILD/out/qemu/arch/x86/boot/bzImage" ] || "$HARNESS/build-kernel.sh" qemu
		rm -f "$BUILD/out/qemu/results.txt"
		expect_fail guest-test "FAIL: .*test\\(s\\) failed" \
			"$HARNESS/boot.sh" qemu --extra "$tmp/failing" --timeout 300 \
			--append 'kunit.enable=0 vc.only=failing/run-failing.sh'
		# And by name, in the boot's results (a timeout would not do).
		if grep -q '^FAIL .*selftest_broken_case' "$BUILD/out/qemu/results.txt"; then
			result 1 "guest-test-named: the failed guest case selftest_broken_case was named"
		else
			result 0 "guest-test-named: the failed guest case was not named in $BUILD/out/qemu/results.txt"
		fi ;;
	warn-boot)
		wt=$BUILD/st/linux stout=$BUILD/st/out/qemu
		# A missing worktree (a fresh clone), or one whose build/linux is
		# gone (make clean), is made anew.
		if [ ! -d "$wt" ] ||
		   [ "$(git -C "$wt" rev-parse --show-toplevel 2>/dev/null)" != "$(cd "$wt" && pwd -P)" ]; then
			rm -rf "$wt"
			mkdir -p "$BUILD/st"
			git -C "$LINUX" worktree prune
			hgit -C "$LINUX" worktree add -q --detach "$wt" HEAD
		fi
		hgit -C "$wt" checkout -q -f --detach "$(git -C "$LINUX" rev-parse HEAD)"
		# A WARN_ON(1) at boot and a KUnit expectation that cannot hold.
		python3 - "$wt" <<'PY'
import sys
wt = sys.argv[1]
p = wt + "/mm/vcompound.c"
s = open(p).read()
s = s.replace("\t/* Apply vcompound_fallback= to the static key. */",
              "\tWARN_ON(1); /* harness selftest: deliberately broken */\n"
              "\t/* Apply vcompound_fallback= to the static key. */", 1)
open(p, "w").write(s)
p = wt + "/mm/tests/vcompound_kunit.c"
s = open(p).read()
old = "\tKUNIT_EXPECT_EQ(test, ev[VCOMPOUND_ALLOC], a0 + 1);"
assert s.count(old) == 1, "selftest: the KUnit line to break is gone"
s = s.replace(old, "\tKUNIT_EXPECT_EQ(test, ev[VCOMPOUND_ALLOC], a0 + 1000000);", 1)
open(p, "w").write(s)
PY
		git -C "$wt" diff --quiet && die "selftest: could not break the tree"
		if VC_LINUX=$wt VC_OUT=$stout "$HARNESS/build-kernel.sh" qemu >"$tmp/warn-build.log" 2>&1; then
			expect_fail warn-boot "FAIL: .*splat.*WARNING:.*mm/vcompound\.c" \
				env VC_LINUX="$wt" VC_OUT="$stout" "$HARNESS/boot.sh" qemu --timeout 300 \
				--append 'kunit.filter_glob=vcompound.vc_test_vmstat vc.only=tests/00-smoke.sh'
			# The same boot must also have named the failed KUnit case.
			if grep -q '^FAIL vcompound\.vc_test_vmstat' "$stout/results.txt" &&
			   grep -qE 'FAIL: .*test\(s\) failed' "$tmp/warn-boot.log"; then
			result 1 "kunit-fail: the failed KUnit case vc_test_vmstat was named"
		else
			result 0 "kunit-fail: the failed KUnit case was not named (log: $tmp/warn-boot.log)"
		fi
		else
			echo "not ok - warn-boot: the broken tree did not build (log: $tmp/warn-build.log)"
			fail=$((fail + 1))
		fi
		git -C "$wt" checkout -q -f . ;;
	expect)
		# harness/expect.py: an unexpected skip, a skip for another
		# reason, and a missing section must each fail.
		printf '%s\n' 'section tests/a' 'skip tests/a.x "no frobnicator" this kernel has none' >"$tmp/expect.list"
		printf '%s\n' 'PASS tests/a.y' 'SKIP tests/a.z # not built' >"$tmp/expect1.txt"
		expect_fail expect-unexpected "unexpected skip: tests/a.z" \
			/usr/bin/python3 "$HARNESS/expect.py" "$tmp/expect1.txt" "$tmp/expect.list"
		printf '%s\n' 'PASS tests/a.y' 'SKIP tests/a.x # needs CONFIG_FOO' >"$tmp/expect2.txt"
		expect_fail expect-reason "unexpected skip: tests/a.x # needs CONFIG_FOO" \
			/usr/bin/python3 "$HARNESS/expect.py" "$tmp/expect2.txt" "$tmp/expect.list"
		printf '%s\n' 'PASS tests/b.y' >"$tmp/expect3.txt"
		expect_fail expect-section "missing section: tests/a" \
			/usr/bin/python3 "$HARNESS/expect.py" "$tmp/expect3.txt" "$tmp/expect.list"
		# And the positive control: the expected skip, for its reason, passes.
		printf '%s\n' 'PASS tests/a.y' 'SKIP tests/a.x # no frobnicator here' >"$tmp/expect4.txt"
		if /usr/bin/python3 "$HARNESS/expect.py" "$tmp/expect4.txt" "$tmp/expect.list" >"$tmp/expect4.log" 2>&1; then
			result 1 "expect-pass: an expected skip for its reason passes"
		else
			result 0 "expect-pass: an expected skip was refused (log: $tmp/expect4.log)"
		fi ;;
	splats)
		# The one list of splat patterns catches the reports that open
		# without a "BUG:"/"WARNING:" line, and has no empty pattern.
		list=$HARNESS/splats
		re=$(grep -v -e '^#' -e '^$' "$list" | paste -sd '|' -)
		printf '%s\n' '[    1.0] BUG kmalloc-128 (Not tainted): Redzone overwritten' \
			'[    1.0] kernel BUG at mm/vcompound.c:1!' \
			'[    1.0] rcu: INFO: rcu_preempt self-detected stall on CPU' \
			'[    1.0] Watchdog detected hard LOCKUP on cpu 1' \
			'[    1.0] BUG: Bad page state in process x  pfn:1234' \
			'[    1.0] WARNING: possible recursive locking detected' \
			'[    1.0] test_vcompound: stress: FAIL 3 pages leaked (1 failed checks)' >"$tmp/splats.log"
		n=$(grep -cE "$re" "$tmp/splats.log" || true)
		if [ "$n" -eq 7 ] && ! printf '%s\n' "[    1.0] an ordinary line" \
			'[    1.0] test_vcompound: stress: ok' | grep -qE "$re"; then
			result 1 "splats: all 7 reports matched, ordinary lines not"
		else
			result 0 "splats: $n of 7 reports matched, or an ordinary line matched ($list)"
		fi ;;
	*) die "selftest: unknown case $c" ;;
	esac
done
echo "selftest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
