#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the virtual compound page test module (lib/test_vcompound.c) once per
# test case and report in KTAP: one test per module load, ok if the load
# succeeded (the module's init returns 0 only if its case passed) and the
# kernel log of that load has no "test_vcompound: ... FAIL" line and no
# kernel warning; then one test that /proc/vmstat's vcompound_alloc grew.
#
# Usage: run_vcompound.sh [-t CASE|all]
#
#   functional  every order 3..MAX_PAGE_ORDER on the virtual path
#   stress      one thread per CPU, policy=always, every free context
#   fault       policy=always under fail_page_alloc (probability 10).
#               Not failslab: the mapping is aligned to its size, which
#               makes vmalloc split a free area, and vmalloc's va_clip()
#               WARNs when the slab object for the split cannot be had
#               (vmalloc core behaviour, for any aligned vmalloc)
#   memcg       __GFP_ACCOUNT, loaded from a child memory cgroup (cgroup2)
#   contig      alloc_contig_range() around live virtual compound pages
#   walkers     hold_mb=32 of virtual compound pages live while the pfn
#               walkers run: compaction, /proc/kpageflags, page_owner,
#               hwpoison injection on a tail, offlining its memory block;
#               one KTAP subtest each, skipped where the kernel lacks it
#
# hwpoison injection leaves one page poisoned (the kernel never gives it
# back): walkers runs last, and only when asked for (-t walkers, or
# VCOMPOUND_WALKERS=1 with all).
#
# Environment:
#   VCOMPOUND_MODULE       the test_vcompound.ko to insmod if modprobe
#                          does not know the module (default: the one next
#                          to this script)
#   VCOMPOUND_CYCLES       nr_cycles of stress and fault (default: 1000)
#   VCOMPOUND_WALKERS      1: all includes walkers (default: 0)
#   VCOMPOUND_TEST         the case(s) to run when -t is not given,
#                          separated by spaces (default: all)
#   VCOMPOUND_STRESS_SECONDS      seconds per pass of stress instead of
#                                 VCOMPOUND_CYCLES (default: 0: cycles)
#   VCOMPOUND_STRESS_FRAGMENT_MB  fragment memory for the whole stress run
#                                 (fragment_mb; default: 0)
#   VCOMPOUND_STRESS_POLICY       policy of stress (default: always)
#   PAGESIZE               the page size, for memory block numbers
#                          (default: 4096)
#   VCOMPOUND_TASK_FILTER  fail_page_alloc and failslab task-filter during fault
#                          (default: Y: only the allocations of the task
#                          loading the module fail, and the module makes
#                          itself a target only around its fault loop; N
#                          fails every task's allocations, the module load
#                          and this script's own forks included)
#
# Plain POSIX sh: it runs under busybox sh.  It uses the KTAP helpers of
# ../kselftest/ktap_helpers.sh when they are there and equivalent ones of
# its own when they are not.

DIR=$(cd "$(dirname "$0")" && pwd)
DRIVER=test_vcompound
MODULE=${VCOMPOUND_MODULE:-$DIR/$DRIVER.ko}
CYCLES=${VCOMPOUND_CYCLES:-1000}
TASK_FILTER=${VCOMPOUND_TASK_FILTER:-Y}
DEBUGFS=/sys/kernel/debug
PAGESIZE=${PAGESIZE:-4096}
WALKERS=${VCOMPOUND_WALKERS:-0}
STRESS_SECONDS=${VCOMPOUND_STRESS_SECONDS:-0}
STRESS_FRAGMENT_MB=${VCOMPOUND_STRESS_FRAGMENT_MB:-0}
STRESS_POLICY=${VCOMPOUND_STRESS_POLICY:-always}
FPA=$DEBUGFS/fail_page_alloc
FSL=$DEBUGFS/failslab
# Restored in this order: probability last.
FPA_FILES="interval times space verbose task-filter ignore-gfp-wait min-order probability"
FSL_FILES="interval times space verbose task-filter ignore-gfp-wait cache-filter probability"
FI_SAVED=
CGROOT=/sys/fs/cgroup
CG=
# Kernel log lines that fail a run whatever the module says: one extended
# regular expression a line in ./splats, the list the test harness uses
# for the whole boot log too.
SPLAT=$(grep -v -e '^#' -e '^$' "$DIR/splats" 2>/dev/null | tr '\n' '|')
SPLAT=${SPLAT%|}
[ -n "$SPLAT" ] || { echo "# $DIR/splats is missing" >&2; exit 1; }
RUN_NO=0
VIRTUAL_TOTAL=0

if [ -f "$DIR/../kselftest/ktap_helpers.sh" ]; then
	# shellcheck source=../kselftest/ktap_helpers.sh
	. "$DIR/../kselftest/ktap_helpers.sh"
else
	KTAP_TESTNO=1
	KTAP_CNT_PASS=0
	KTAP_CNT_FAIL=0
	KTAP_CNT_SKIP=0
	KSFT_PASS=0
	KSFT_FAIL=1
	KSFT_SKIP=4
	KSFT_NUM_TESTS=0

	ktap_print_header()
	{
		echo "TAP version 13"
	}

	ktap_print_msg()
	{
		echo "# $*"
	}

	ktap_set_plan()
	{
		KSFT_NUM_TESTS=$1
		echo "1..$KSFT_NUM_TESTS"
	}

	ktap_skip_all()
	{
		echo "1..0 # SKIP $*"
	}

	ktap_test_pass()
	{
		echo "ok $KTAP_TESTNO $1"
		KTAP_TESTNO=$((KTAP_TESTNO + 1))
		KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
	}

	ktap_test_skip()
	{
		echo "ok $KTAP_TESTNO $1 # SKIP"
		KTAP_TESTNO=$((KTAP_TESTNO + 1))
		KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
	}

	ktap_test_fail()
	{
		echo "not ok $KTAP_TESTNO $1"
		KTAP_TESTNO=$((KTAP_TESTNO + 1))
		KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
	}

	ktap_print_totals()
	{
		printf '# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:%d error:0\n' \
			"$KTAP_CNT_PASS" "$KTAP_CNT_FAIL" "$KTAP_CNT_SKIP"
	}

	ktap_exit_fail_msg()
	{
		echo "Bail out! $*"
		ktap_print_totals
		exit "$KSFT_FAIL"
	}

	ktap_finished()
	{
		ktap_print_totals
		if [ $((KTAP_CNT_PASS + KTAP_CNT_SKIP)) -eq "$KSFT_NUM_TESTS" ]; then
			exit "$KSFT_PASS"
		fi
		exit "$KSFT_FAIL"
	}
fi

usage()
{
	echo "Usage: $0 [-t functional|stress|fault|memcg|contig|walkers|all]"
}

# Indent command output as KTAP diagnostics.
diag()
{
	sed 's/^/# /'
}

skip_all()
{
	ktap_skip_all "$*"
	exit "$KSFT_SKIP"
}

ncpus()
{
	n=$(nproc 2>/dev/null) || n=
	[ -n "$n" ] || n=$(getconf _NPROCESSORS_ONLN 2>/dev/null) || n=
	[ -n "$n" ] || n=$(grep -c '^processor' /proc/cpuinfo 2>/dev/null)
	[ "$n" -gt 0 ] 2>/dev/null || n=1
	echo "$n"
}

vmstat_get()
{
	v=$(sed -n "s/^$1 //p" /proc/vmstat)
	echo "${v:-0}"
}

debugfs_mounted()
{
	grep -qs " $DEBUGFS debugfs " /proc/mounts
}

# Does modprobe know the module (installed with modules_install)?
modprobe_knows()
{
	command -v modprobe >/dev/null 2>&1 || return 1
	if command -v modinfo >/dev/null 2>&1 &&
	   modinfo "$DRIVER" >/dev/null 2>&1; then
		return 0
	fi
	grep -qs "/$DRIVER\.ko" "/lib/modules/$(uname -r)/modules.dep"
}

module_loaded()
{
	grep -q "^$DRIVER " /proc/modules
}

# Load the module once with the parameters given; its init runs the case.
load_module()
{
	if [ "$LOADER" = modprobe ]; then
		modprobe "$DRIVER" "$@"
	else
		insmod "$MODULE" "$@"
	fi
}

# The module stays loaded after a passing case: remove it.
unload_module()
{
	if module_loaded; then
		rmmod "$DRIVER" 2>&1 | diag
	fi
	! module_loaded
}

# fi_set DIR FILE VALUE: one setting of a fault injection attribute.
fi_set()
{
	printf '%s\n' "$3" > "$1/$2"
}

# fi_save DIR FILES: remember the settings, as "DIR:FILE=VALUE" words.
fi_save()
{
	for f in $2; do
		FI_SAVED="$FI_SAVED $1:$f=$(cat "$1/$f")" || return 1
	done
}

fi_restore()
{
	[ -n "$FI_SAVED" ] || return 0
	for kv in $FI_SAVED; do
		fi_set "${kv%%:*}" probability 0
	done
	for kv in $FI_SAVED; do
		d=${kv%%:*}
		kv=${kv#*:}
		fi_set "$d" "${kv%%=*}" "${kv#*=}"
	done
	FI_SAVED=
}

# One page allocation in ten fails, of any order and context, for as long
# as it is set; quiet.  fail_page_alloc only (see the fault case above).
fi_setup()
{
	FI_SAVED=
	for d in "$FPA"; do
		[ -d "$d" ] || continue
		if [ "$d" = "$FPA" ]; then files=$FPA_FILES; else files=$FSL_FILES; fi
		fi_save "$d" "$files" || return 1
		fi_set "$d" probability 0 &&
		fi_set "$d" interval 1 &&
		fi_set "$d" times -1 &&
		fi_set "$d" space 0 &&
		fi_set "$d" verbose 0 &&
		fi_set "$d" task-filter "$TASK_FILTER" &&
		fi_set "$d" ignore-gfp-wait N || return 1
		if [ "$d" = "$FPA" ]; then
			fi_set "$d" min-order 0 || return 1
		else
			fi_set "$d" cache-filter N || return 1
		fi
		fi_set "$d" probability 10 || return 1
	done
}

# Move this shell into a child memory cgroup (cgroup2); 1 if impossible.
cg_enter()
{
	grep -qs " $CGROOT cgroup2 " /proc/mounts ||
		mount -t cgroup2 none "$CGROOT" 2>/dev/null || return 1
	grep -qw memory "$CGROOT/cgroup.controllers" 2>/dev/null || return 1
	echo +memory > "$CGROOT/cgroup.subtree_control" 2>/dev/null || return 1
	CG=$CGROOT/vcompound_test.$$
	if ! mkdir -p "$CG" || ! echo $$ > "$CG/cgroup.procs"; then
		cg_leave
		return 1
	fi
}

cg_leave()
{
	[ -n "$CG" ] || return 0
	echo $$ > "$CGROOT/cgroup.procs" 2>/dev/null
	rmdir "$CG" 2>/dev/null
	CG=
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
	fi_restore
	cg_leave
	module_loaded && rmmod "$DRIVER" 2>/dev/null
}

# A figure of the module's line "test_vcompound: <case>: passes=... x=N ...".
figure()
{
	v=$(echo "$FIGURES" | sed -n "s/.* $1=\(-*[0-9]*\).*/\1/p")
	echo "${v:-0}"
}

# walk_result ok|fail|skip NAME [WHY]: one KTAP subtest line of walkers.
walk_result()
{
	WALK_NO=$((WALK_NO + 1))
	case $1 in
	ok)
		echo "    ok $WALK_NO $2"
		;;
	skip)
		echo "    ok $WALK_NO $2 # SKIP $3"
		;;
	*)
		echo "    # $2: $3"
		echo "    not ok $WALK_NO $2"
		WALK_FAILED=$((WALK_FAILED + 1))
		;;
	esac
}

# The /proc/kpageflags word of a pfn, in decimal.
kpageflags()
{
	dd if=/proc/kpageflags bs=8 skip="$1" count=1 2>/dev/null | od -An -tu8 | tr -d ' '
}

# bit VALUE N: bit N of VALUE.
bit()
{
	echo $((($1 >> $2) & 1))
}

# The pfn walkers, while the module holds virtual compound pages whose
# "hold: order O head pfn H tail pfn T" lines are in RUN_LOG.  Each must
# finish and refuse cleanly; the kernel log is checked by run_case.
walkers()
{
	WALK_NO=0
	echo "    # Subtest: walkers"
	echo "    1..5"
	num='\([0-9]*\)'
	held=$(echo "$RUN_LOG" |
	       sed -n "s/.*$DRIVER: hold: order [0-9]* head pfn $num tail pfn $num$/\1:\2/p")
	if [ -z "$held" ]; then
		for w in compact_memory kpageflags page_owner hwpoison offline; do
			walk_result fail "$w" "the module logged no held page"
		done
		return
	fi
	first=$(echo "$held" | head -n 1)
	tail_pfn=${first#*:}
	ktap_print_msg "walkers: $(echo "$held" | grep -c .) virtual compound pages held"

	if [ ! -w /proc/sys/vm/compact_memory ]; then
		walk_result skip compact_memory "CONFIG_COMPACTION=n"
	elif echo 1 > /proc/sys/vm/compact_memory; then
		walk_result ok compact_memory
	else
		walk_result fail compact_memory "writing compact_memory failed"
	fi

	if [ ! -r /proc/kpageflags ]; then
		walk_result skip kpageflags "CONFIG_PROC_PAGE_MONITOR=n"
	else
		why=
		for ht in $held; do
			h=${ht%%:*}
			t=${ht#*:}
			hf=$(kpageflags "$h")
			tf=$(kpageflags "$t")
			# KPF_COMPOUND_HEAD 15, KPF_COMPOUND_TAIL 16
			if [ "$(bit "${hf:-0}" 15)" != 1 ]; then
				why="head pfn $h: flags ${hf:-none} without COMPOUND_HEAD"
			elif [ "$(bit "${tf:-0}" 16)" != 1 ]; then
				why="tail pfn $t: flags ${tf:-none} without COMPOUND_TAIL"
			fi
			[ -z "$why" ] || break
		done
		if [ -z "$why" ]; then
			walk_result ok kpageflags
		else
			walk_result fail kpageflags "$why"
		fi
	fi

	if [ ! -r "$DEBUGFS/page_owner" ]; then
		walk_result skip page_owner "CONFIG_PAGE_OWNER=n or no page_owner=on"
	elif grep -q "^PFN $(printf '0x%x' "${first%%:*}") " "$DEBUGFS/page_owner"; then
		walk_result ok page_owner
	else
		walk_result fail page_owner "no record of head pfn ${first%%:*}"
	fi

	if [ ! -w "$DEBUGFS/hwpoison/corrupt-pfn" ]; then
		walk_result skip hwpoison "CONFIG_HWPOISON_INJECT=n"
	else
		echo "$tail_pfn" > "$DEBUGFS/hwpoison/corrupt-pfn" 2>/dev/null
		# shellcheck disable=SC2320 # the status of that write
		hw_rc=$?
		ktap_print_msg "hwpoison: tail pfn $tail_pfn: status $hw_rc," \
			"kpageflags $(kpageflags "$tail_pfn")"
		if dmesg | grep -q "Memory failure: $(printf '%#x' "$tail_pfn"):"; then
			walk_result ok hwpoison
		else
			walk_result fail hwpoison "memory_failure() did not report pfn $tail_pfn"
		fi
	fi

	mem=/sys/devices/system/memory
	if [ ! -r "$mem/block_size_bytes" ]; then
		walk_result skip offline "CONFIG_MEMORY_HOTPLUG=n"
	else
		bs=$(cat "$mem/block_size_bytes")
		block=$((tail_pfn * PAGESIZE / 0x$bs))
		state=$mem/memory$block/state
		if [ ! -w "$state" ] || [ "$(cat "$state")" != online ]; then
			walk_result skip offline "memory$block cannot be offlined"
		elif echo offline > "$state" 2>/dev/null; then
			echo online > "$state"
			walk_result fail offline \
				"memory$block went offline with a virtual compound page in it"
		else
			walk_result ok offline
		fi
	fi
}

# vc_test_skip NAME REASON...: a skipped test with its reason in the KTAP
# directive ("ok N NAME # SKIP REASON"), so that a harness can tell one
# reason from another.
vc_test_skip()
{
	_name=$1
	shift
	if command -v __ktap_test >/dev/null 2>&1; then
		__ktap_test ok "$_name" "SKIP $*"
	else
		echo "ok $KTAP_TESTNO $_name # SKIP $*"
		KTAP_TESTNO=$((KTAP_TESTNO + 1))
	fi
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
}

# run_case NAME PARAM...: load the module for one case; one KTAP test.
run_case()
{
	name=$1
	shift
	RUN_NO=$((RUN_NO + 1))
	mark="run_vcompound: $name $$ $RUN_NO"
	HOLD=
	WALK_FAILED=0
	[ "$name" = walkers ] && HOLD=walkers

	if [ "$name" = fault ]; then
		if [ ! -d "$FPA" ]; then
			vc_test_skip "$name" "$FPA missing: CONFIG_FAIL_PAGE_ALLOC=y" \
				"and CONFIG_FAULT_INJECTION_DEBUG_FS=y needed"
			return
		fi
		if ! fi_setup; then
			fi_restore
			ktap_print_msg "cannot configure $FPA or $FSL"
			ktap_test_fail "$name"
			return
		fi
		ktap_print_msg "fail_page_alloc:" \
			"probability 10, interval 1, times -1, ignore-gfp-wait N," \
			"task-filter $TASK_FILTER"
	fi

	echo "$mark" > /dev/kmsg
	ktap_print_msg "$LOADER $DRIVER $*"
	out=$(load_module "$@" 2>&1)
	rc=$?
	[ "$name" = fault ] && fi_restore
	[ -n "$out" ] && echo "$out" | diag
	if [ -n "$HOLD" ]; then
		# The module holds pages for the walkers: they run now.
		RUN_LOG=$(dmesg | sed -n "/$mark\$/,\$p")
		$HOLD
	fi
	unloaded=1
	unload_module || unloaded=0

	log=$(dmesg | sed -n "/$mark\$/,\$p")
	echo "$log" | grep "$DRIVER: " | diag
	FIGURES=$(echo "$log" | grep "$DRIVER: $name: passes=" | tail -n 1)
	vname=$name
	[ "$name" = walkers ] && vname=contig

	# A failure anywhere wins over a skip: a skip must not hide it.
	why=
	starts=$(echo "$log" | grep -c "$DRIVER: start:")
	if [ -z "$log" ]; then
		why="the kernel log of the run is lost"
	elif [ "$starts" -ne 1 ]; then
		# busybox insmod retries a failed finit_module() with
		# init_module(): a second, passing run must not hide the first.
		why="module init ran $starts times in one load"
	elif echo "$log" | grep -q "$DRIVER: .*FAIL"; then
		why="the module reported a failure"
	elif [ "$rc" -ne 0 ]; then
		why="loading the module failed with status $rc"
	elif echo "$log" | grep -qE "$SPLAT"; then
		echo "$log" | grep -E "$SPLAT" | head -n 10 | diag
		why="kernel warning during the run"
	elif echo "$log" | grep -q "$DRIVER: $vname: SKIP"; then
		skip=$(echo "$log" | sed -n "s/.*$DRIVER: $vname: SKIP //p" | head -n 1)
		vc_test_skip "$name" "$skip"
		return
	elif ! echo "$log" | grep -q "$DRIVER: $vname: ok"; then
		why="no verdict from the module"
	elif [ "$unloaded" -eq 0 ]; then
		why="cannot remove the module"
	elif [ "$name" = fault ] &&
	     [ "$(figure failed)" -eq 0 ] && [ "$(figure fallback_failed)" -eq 0 ]; then
		why="no allocation failed: fault injection not in effect"
	fi
	if [ -n "$HOLD" ] && [ "$WALK_FAILED" -gt 0 ]; then
		why=${why:-"$WALK_FAILED walker(s) failed"}
	fi

	VIRTUAL_TOTAL=$((VIRTUAL_TOTAL + $(figure virtual)))
	if [ -n "$why" ]; then
		ktap_print_msg "$name: $why"
		ktap_test_fail "$name"
	else
		ktap_test_pass "$name"
	fi
}

TEST=${VCOMPOUND_TEST:-all}
while getopts "t:h" opt; do
	case $opt in
	t)
		TEST=$OPTARG
		;;
	h)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit "$KSFT_FAIL"
		;;
	esac
done

RUNS=
for t in $TEST; do
	case $t in
	functional|stress|fault|memcg|contig|walkers)
		RUNS="$RUNS $t"
		;;
	all)
		RUNS="$RUNS functional stress fault memcg contig"
		[ "$WALKERS" = 1 ] && RUNS="$RUNS walkers"
		;;
	*)
		usage >&2
		exit "$KSFT_FAIL"
		;;
	esac
done

ktap_print_header

[ "$(id -u)" -eq 0 ] || skip_all "must be run as root"
if ! debugfs_mounted; then
	mount -t debugfs none "$DEBUGFS" 2>/dev/null
	debugfs_mounted || skip_all "debugfs is not mounted on $DEBUGFS"
fi
grep -q '^vcompound_alloc ' /proc/vmstat ||
	skip_all "no vcompound_alloc in /proc/vmstat: CONFIG_VCOMPOUND=y needed"

if modprobe_knows; then
	LOADER=modprobe
elif [ -f "$MODULE" ]; then
	LOADER=insmod
else
	skip_all "$DRIVER not found: CONFIG_TEST_VCOMPOUND=m needed," \
		"or VCOMPOUND_MODULE=<path to $DRIVER.ko>"
fi

trap cleanup EXIT
trap 'exit "$KSFT_FAIL"' HUP INT TERM

ktap_set_plan $(($(echo "$RUNS" | wc -w) + 1))

unload_module || ktap_exit_fail_msg "$DRIVER is loaded and cannot be removed"

NCPUS=$(ncpus)
ALLOC0=$(vmstat_get vcompound_alloc)
FAIL0=$(vmstat_get vcompound_alloc_fail)
FREE0=$(vmstat_get vcompound_free)
DEFERRED0=$(vmstat_get vcompound_free_deferred)

for run in $RUNS; do
	case $run in
	functional)
		run_case functional run_test_mask=1
		;;
	stress)
		run_case stress run_test_mask=2 nr_threads="$NCPUS" \
			nr_cycles="$CYCLES" policy="$STRESS_POLICY" \
			duration_s="$STRESS_SECONDS" fragment_mb="$STRESS_FRAGMENT_MB"
		;;
	fault)
		run_case fault run_test_mask=4 nr_cycles="$CYCLES" policy=always
		;;
	memcg)
		if cg_enter; then
			run_case memcg run_test_mask=8
			cg_leave
		else
			vc_test_skip memcg "no cgroup2 memory controller to load the module from"
		fi
		;;
	contig)
		run_case contig run_test_mask=16
		;;
	walkers)
		run_case walkers run_test_mask=16 hold_mb=32
		;;
	esac
done

ALLOC1=$(vmstat_get vcompound_alloc)
FAIL1=$(vmstat_get vcompound_alloc_fail)
FREE1=$(vmstat_get vcompound_free)
DEFERRED1=$(vmstat_get vcompound_free_deferred)
ktap_print_msg "vmstat: vcompound_alloc +$((ALLOC1 - ALLOC0))" \
	"vcompound_alloc_fail +$((FAIL1 - FAIL0))" \
	"vcompound_free +$((FREE1 - FREE0))" \
	"vcompound_free_deferred +$((DEFERRED1 - DEFERRED0))"
[ -r "$DEBUGFS/vcompound/live" ] &&
	ktap_print_msg "live virtual compound pages: $(cat "$DEBUGFS/vcompound/live")"

if [ "$VIRTUAL_TOTAL" -eq 0 ]; then
	vc_test_skip vmstat_vcompound_alloc "no run reported a virtual compound page"
elif [ "$ALLOC1" -gt "$ALLOC0" ] &&
     [ $((ALLOC1 - ALLOC0)) -ge "$VIRTUAL_TOTAL" ]; then
	ktap_test_pass "vmstat_vcompound_alloc"
else
	ktap_print_msg "vcompound_alloc grew by $((ALLOC1 - ALLOC0))," \
		"the module made $VIRTUAL_TOTAL virtual compound pages"
	ktap_test_fail "vmstat_vcompound_alloc"
fi

ktap_finished
