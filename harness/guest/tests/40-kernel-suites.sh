#!/bin/sh
# The kernel's own mm test modules, run in whatever kernel this is (the
# debug kernel builds them, with CONFIG_FALLBACK_ALWAYS): lib/test_vmalloc
# (every case but align_shift_alloc_test, which "is supposed to be failed"
# as its comment says and prints an allocation failure splat: it is
# reported as skipped; fewer loops than the default 1000000, which takes
# hours under KASAN and TCG; it runs twice, see below) and
# lib/test_meminit. harness/boot.sh copies the modules the kernel built to
# /opt/suites. The built-in KUnit suites
# (slub_kunit, DAMON's) run at boot and are parsed from the boot log. KTAP.
d=/opt/suites
loops=${VCOMPOUND_VMALLOC_LOOPS:-100}
echo "TAP version 13"
echo "1..2"
n=0

# test_vmalloc: its init always fails with EAGAIN (so that it unloads);
# the verdict is one "Summary: NAME passed: N failed: M" line per case.
# Busybox's insmod loads a module a second time (init_module() after
# finit_module()) when its init fails, so every case runs twice, $loops
# loops each time; both runs' lines are judged.
n=$((n + 1))
if [ ! -f $d/test_vmalloc.ko ]; then
	echo "ok $n test_vmalloc # SKIP not built"
else
	echo "run_vcompound-suites: test_vmalloc begin" > /dev/kmsg
	# run_test_mask: all 11 cases (0x7ff) but align_shift_alloc_test (0x40)
	insmod $d/test_vmalloc.ko test_loop_count="$loops" run_test_mask=0x7bf 2>/dev/null
	log=$(dmesg | sed -n '/run_vcompound-suites: test_vmalloc begin$/,$p')
	echo "    # Subtest: test_vmalloc"
	# One "Summary:" line per case and worker thread: a case fails if any
	# of its workers failed it.
	results=$(echo "$log" |
		  sed -n 's/.*Summary: \([a-z0-9_]*\) passed: [0-9]* failed: \([0-9]*\) .*/\1 \2/p' |
		  awk '{ f[$1] += $2; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
		       END { for (i = 0; i < n; i++) print order[i] ":" f[order[i]] }')
	cases=$(echo "$results" | grep -c .)
	echo "    1..$((cases + 1))"
	i=0 bad=0
	for c in $results; do
		i=$((i + 1))
		if [ "${c#*:}" = 0 ]; then
			echo "    ok $i ${c%%:*}"
		else
			echo "    not ok $i ${c%%:*} # ${c#*:} failed"
			bad=$((bad + 1))
		fi
	done
	i=$((i + 1))
	echo "    ok $i align_shift_alloc_test # SKIP supposed to fail, with a splat"
	if [ "$cases" -ge 10 ] && [ "$bad" -eq 0 ]; then
		echo "ok $n test_vmalloc # $cases cases, $loops loops per run"
	else
		echo "not ok $n test_vmalloc # $cases cases (10 expected), $bad failed"
	fi
fi

# test_meminit: init returns 0 only if all its tests passed. It checks
# that memory comes back zeroed, which only init_on_alloc=1 or
# init_on_free=1 promise, and not for slab caches that SLUB debugging
# poisons (the debug kernel has SLUB_DEBUG_ON): it is skipped unless the
# command line asks for one of them.
n=$((n + 1))
if [ ! -f $d/test_meminit.ko ]; then
	echo "ok $n test_meminit # SKIP not built"
elif ! grep -qE 'init_on_(alloc|free)=1' /proc/cmdline; then
	echo "ok $n test_meminit # SKIP needs init_on_alloc=1 or init_on_free=1"
elif insmod $d/test_meminit.ko 2>/dev/null; then
	rmmod test_meminit
	echo "ok $n test_meminit # $(dmesg | grep 'test_meminit: all' | tail -n 1 | sed 's/.*test_meminit: //')"
else
	dmesg | grep 'test_meminit:' | tail -n 5 | sed 's/^/# /'
	echo "not ok $n test_meminit"
fi
