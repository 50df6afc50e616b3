#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Run the virtual compound page test module (lib/test_vcompound.c) once per
# test case and report in KTAP: one test per module load, ok if the load
# succeeded (the module's init returns 0 only if its case passed) and the
# kernel log of that load has no "test_vcompound: ... FAIL" line and no
# kernel warning; then one test that /proc/vmstat's vcompound_alloc grew.
#
# Usage: run_vcompound.sh [-t functional|stress|fault|fragment|all]
#
#   functional  every order 3..MAX_PAGE_ORDER on the virtual path
#   stress      one thread per CPU, policy=always, every free context
#   fault       policy=always under fail_page_alloc (probability 10)
#   fragment    fragment_mb=64 pinned at every other page, policy late
#
# Environment:
#   VCOMPOUND_MODULE       the test_vcompound.ko to insmod if modprobe
#                          does not know the module (default: the one next
#                          to this script)
#   VCOMPOUND_CYCLES       nr_cycles of stress and fault (default: 1000)
#   VCOMPOUND_FRAGMENT_MB  fragment_mb of fragment (default: 64)
#   VCOMPOUND_TASK_FILTER  fail_page_alloc task-filter during fault
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
FRAGMENT_MB=${VCOMPOUND_FRAGMENT_MB:-64}
TASK_FILTER=${VCOMPOUND_TASK_FILTER:-Y}
DEBUGFS=/sys/kernel/debug
FPA=$DEBUGFS/fail_page_alloc
# Restored in this order: probability last.
FPA_FILES="interval times space verbose task-filter ignore-gfp-wait min-order probability"
FPA_SAVED=
# Kernel log lines that fail a run whatever the module says.
SPLAT='BUG:|WARNING:|Oops|Call Trace:|general protection|Unable to handle'
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
	echo "Usage: $0 [-t functional|stress|fault|fragment|all]"
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

fpa_set()
{
	printf '%s\n' "$2" > "$FPA/$1"
}

fpa_save()
{
	FPA_SAVED=
	for f in $FPA_FILES; do
		FPA_SAVED="$FPA_SAVED $f=$(cat "$FPA/$f")" || return 1
	done
}

fpa_restore()
{
	[ -n "$FPA_SAVED" ] || return 0
	fpa_set probability 0
	for kv in $FPA_SAVED; do
		fpa_set "${kv%%=*}" "${kv#*=}"
	done
	FPA_SAVED=
}

# fail_page_alloc: one page allocation in ten fails, of any order and
# context, for as long as it is set; quiet.
fpa_setup()
{
	fpa_save || return 1
	fpa_set probability 0 &&
	fpa_set interval 1 &&
	fpa_set times -1 &&
	fpa_set space 0 &&
	fpa_set verbose 0 &&
	fpa_set task-filter "$TASK_FILTER" &&
	fpa_set ignore-gfp-wait N &&
	fpa_set min-order 0 &&
	fpa_set probability 10
}

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
	fpa_restore
}

# A figure of the module's line "test_vcompound: <case>: passes=... x=N ...".
figure()
{
	v=$(echo "$FIGURES" | sed -n "s/.* $1=\(-*[0-9]*\).*/\1/p")
	echo "${v:-0}"
}

# run_case NAME PARAM...: load the module for one case; one KTAP test.
run_case()
{
	name=$1
	shift
	RUN_NO=$((RUN_NO + 1))
	mark="run_vcompound: $name $$ $RUN_NO"

	if [ "$name" = fault ]; then
		if [ ! -d "$FPA" ]; then
			ktap_print_msg "$FPA missing: CONFIG_FAIL_PAGE_ALLOC=y" \
				"and CONFIG_FAULT_INJECTION_DEBUG_FS=y needed"
			ktap_test_skip "$name"
			return
		fi
		if ! fpa_setup; then
			fpa_restore
			ktap_print_msg "cannot configure $FPA"
			ktap_test_fail "$name"
			return
		fi
		ktap_print_msg "fail_page_alloc: probability 10, interval 1, times -1," \
			"min-order 0, ignore-gfp-wait N, task-filter $TASK_FILTER"
	fi

	echo "$mark" > /dev/kmsg
	ktap_print_msg "$LOADER $DRIVER $*"
	out=$(load_module "$@" 2>&1)
	rc=$?
	[ "$name" = fault ] && fpa_restore
	[ -n "$out" ] && echo "$out" | diag
	unloaded=1
	unload_module || unloaded=0

	log=$(dmesg | sed -n "/$mark\$/,\$p")
	echo "$log" | grep "$DRIVER: " | diag
	FIGURES=$(echo "$log" | grep "$DRIVER: $name: passes=" | tail -n 1)

	why=
	if [ -z "$log" ]; then
		why="the kernel log of the run is lost"
	elif echo "$log" | grep -q "$DRIVER: $name: SKIP"; then
		ktap_test_skip "$name"
		return
	elif echo "$log" | grep -q "$DRIVER: .*FAIL"; then
		why="the module reported a failure"
	elif [ "$rc" -ne 0 ]; then
		why="loading the module failed with status $rc"
	elif ! echo "$log" | grep -q "$DRIVER: $name: ok"; then
		why="no verdict from the module"
	elif echo "$log" | grep -qE "$SPLAT"; then
		echo "$log" | grep -E "$SPLAT" | head -n 10 | diag
		why="kernel warning during the run"
	elif [ "$unloaded" -eq 0 ]; then
		why="cannot remove the module"
	elif [ "$name" = fault ] &&
	     [ "$(figure failed)" -eq 0 ] && [ "$(figure fallback_failed)" -eq 0 ]; then
		why="no allocation failed: fault injection not in effect"
	fi

	VIRTUAL_TOTAL=$((VIRTUAL_TOTAL + $(figure virtual)))
	if [ -n "$why" ]; then
		ktap_print_msg "$name: $why"
		ktap_test_fail "$name"
	else
		ktap_test_pass "$name"
	fi
}

TEST=all
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

case $TEST in
functional|stress|fault|fragment)
	RUNS=$TEST
	NR_RUNS=1
	;;
all)
	RUNS="functional stress fault fragment"
	NR_RUNS=4
	;;
*)
	usage >&2
	exit "$KSFT_FAIL"
	;;
esac

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

ktap_set_plan $((NR_RUNS + 1))

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
			nr_cycles="$CYCLES" policy=always
		;;
	fault)
		run_case fault run_test_mask=4 nr_cycles="$CYCLES" policy=always
		;;
	fragment)
		run_case fragment run_test_mask=8 fragment_mb="$FRAGMENT_MB"
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
	ktap_print_msg "no run reported a virtual compound page"
	ktap_test_skip "vmstat_vcompound_alloc"
elif [ "$ALLOC1" -gt "$ALLOC0" ] &&
     [ $((ALLOC1 - ALLOC0)) -ge "$VIRTUAL_TOTAL" ]; then
	ktap_test_pass "vmstat_vcompound_alloc"
else
	ktap_print_msg "vcompound_alloc grew by $((ALLOC1 - ALLOC0))," \
		"the module made $VIRTUAL_TOTAL virtual compound pages"
	ktap_test_fail "vmstat_vcompound_alloc"
fi

ktap_finished
