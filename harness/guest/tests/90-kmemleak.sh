#!/bin/sh
# Last guest test: on a kernel with kmemleak (the debug configuration),
# scan for leaks after everything else ran.  test_vcompound first leaks
# four large kmalloc()s that took the fallback (leak_kmalloc=4, 1060921
# bytes each): kmemleak must report at least one of them, although their
# vm_structs and struct pages know their addresses.  No other leak may be
# reported. KTAP.
# Why not all four: kmemleak is conservative, and a stale copy of an
# address in memory it scans hides that object.  With one leaked object,
# three debug boots of 2026-12-01/02 reported nothing, the last one even
# with stack=off, which leaves out task stacks but not the per-CPU
# interrupt and exception stacks (per-CPU data, scanned whole), where a
# register holding the pointer can be left by an interrupt.  A broken
# registration (the object untracked, or its address kept as a pointer in
# the memmap) hides all four.  If two rounds with stack scanning report
# none, two more scans run with stack=off; the other leaks are judged on
# the report taken before that.
echo "TAP version 13"
echo "1..2"
k=/sys/kernel/debug/kmemleak
if [ ! -e $k ]; then
	echo "ok 1 kmemleak_scan # SKIP no kmemleak in this kernel"
	echo "ok 2 kmemleak_vcompound_leak # SKIP no kmemleak in this kernel"
	exit 0
fi
ko=/opt/vcompound/test_vcompound.ko
leak=0 rmmod_failed=0
nleak=4
why="no $ko"
# The module needs the fallback policy "always"; then as it was.
# shellcheck source=policy.sh
. /opt/tests/policy.sh
if [ -f $ko ]; then
	why="no fallback policy to set (CONFIG_VCOMPOUND=n?)"
	if policy_set always; then
		why="insmod $ko run_test_mask=0 leak_kmalloc=$nleak failed"
		insmod $ko run_test_mask=0 leak_kmalloc=$nleak && leak=1 &&
			{ rmmod test_vcompound || rmmod_failed=1; }
	fi
	policy_restore
fi
# kmemleak reports an object only once it is 5 s old, and only when it
# was unreferenced in two scans.  A stale copy of the address (a register
# spilled to a stack, a freed buffer not yet reused) can hide it for a
# while: scan again (two rounds), then without stacks (see above).
rc=0
round=0
while [ $round -lt 2 ]; do
	round=$((round + 1))
	sleep 6
	for _ in 1 2; do
		if ! echo scan > $k; then
			echo "not ok 1 kmemleak_scan # the scan write failed: kmemleak disabled itself?"
			echo "not ok 2 kmemleak_vcompound_leak # no scan"
			exit 1
		fi
	done
	[ $leak = 1 ] || break
	grep -q '^unreferenced object .*(size 1060921)' $k && break
done
# Leaks made on purpose do not count: slub_kunit's test_leak_destroy leaks
# one object to check that kmem_cache_destroy() notices; ours has its size.
deliberate='test_leak_destroy|size 1060921'
report=$(cat $k)
n=$(echo "$report" | grep -c '^unreferenced object')
ours=$(echo "$report" | grep -c '^unreferenced object .*(size 1060921)')
how="scan round $round"
if [ $leak = 1 ] && [ "$ours" -eq 0 ]; then
	if echo stack=off > $k; then
		sleep 1
		echo scan > $k && echo scan > $k
		ours=$(grep -c '^unreferenced object .*(size 1060921)' $k)
		echo stack=on > $k
		how="only with stack scanning off: copies of their addresses on task stacks hid them"
		round="$round rounds with stacks and 1 without"
	fi
fi
known=$(echo "$report" | awk -v re="$deliberate" '
	/^unreferenced object/ { if (obj && hit) k++; obj = 1; hit = 0 }
	$0 ~ re { hit = 1 }
	END { if (obj && hit) k++; print k + 0 }')
if [ "$n" -eq "$known" ]; then
	echo "ok 1 kmemleak_scan # no leaks ($known deliberate: $deliberate)"
else
	echo "$report" | head -60 | sed 's/^/# /'
	echo "not ok 1 kmemleak_scan # $((n - known)) suspected leaks ($known deliberate ones not counted)"
	rc=1
fi
if [ $leak = 0 ]; then
	echo "not ok 2 kmemleak_vcompound_leak # $why"
	rc=1
elif [ "$ours" -ge 1 ]; then
	echo "ok 2 kmemleak_vcompound_leak # $ours of $nleak reported ($how)"
else
	echo "not ok 2 kmemleak_vcompound_leak # $ours of the $nleak leaked large kmalloc()s (1060921 bytes, virtual) reported in $round"
	rc=1
fi
# The module must also go: a reference it leaked keeps it loaded.
if [ $rmmod_failed = 1 ]; then
	echo "# FAIL rmmod test_vcompound failed after its leak_kmalloc run"
	rc=1
fi
exit $rc
