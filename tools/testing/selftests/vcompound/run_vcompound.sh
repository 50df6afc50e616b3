#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Load lib/test_vcompound.c (it describes the cases and parameters) once per
# case with the fallback policy "always"; each load's exit status is its KTAP
# verdict.  fault sets fail_page_alloc and fail_vcompound, memcg loads from a
# child memory cgroup; kernel warnings are left to the log.  Usage:
# run_vcompound.sh [-t "stress fault memcg" | -t all] [PARAM=VALUE...]
# PARAMs go to every load, as do VCOMPOUND_TEST, VCOMPOUND_CYCLES (nr_cycles)
# and VCOMPOUND_STRESS_SECONDS (duration_s).

# shellcheck disable=SC2086 # $PARAMS is a list of words
DIR=$(dirname "$0")
# shellcheck source=../kselftest/ktap_helpers.sh
. "$DIR/../kselftest/ktap_helpers.sh"

DRIVER=test_vcompound
POLICY=/sys/kernel/debug/vcompound/policy
FPA=/sys/kernel/debug/fail_page_alloc FVC=/sys/kernel/debug/fail_vcompound
CGROOT=/sys/fs/cgroup
CG=$CGROOT/vcompound_test.$$
CG_HOME='' CG_MOUNTED='' OLD_POLICY='' FAULTS_SAVED='' TIMES=1000000

# load CASE-NUMBER PARAM...: one load; 0 passed, 1 failed, 4 not possible.
# busybox insmod retries a failed load: a failure may then be in dmesg only.
load()
{
	mask=$((1 << $1))
	shift
	rmmod $DRIVER 2>/dev/null
	if [ -f "$DIR/$DRIVER.ko" ]; then
		out=$(insmod "$DIR/$DRIVER.ko" run_test_mask=$mask "$@" $PARAMS 2>&1)
	else
		out=$(modprobe $DRIVER run_test_mask=$mask "$@" $PARAMS 2>&1)
	fi
	rc=$?
	[ -z "$out" ] || echo "$out" | sed 's/^/# /'
	rmmod $DRIVER 2>/dev/null
	[ $rc -eq 0 ] && return 0
	# -EOPNOTSUPP: this kernel lacks what the case needs (see dmesg).
	echo "$out" | LC_ALL=C grep -qi "not supported" && return 4
	return 1
}

# faults on|off: allocations of a task that asks for it (the module's
# loading task) fail (10%) for the fault case; then fail_page_alloc and
# fail_vcompound are as they were, probability restored last.
faults()
{
	if [ "$1" = off ]; then
		echo 0 > $FPA/probability; echo 0 > $FVC/probability
		for kv in $FAULTS_SAVED; do echo "${kv#*:}" > "${kv%%:*}"; done
		FAULTS_SAVED=
		return
	fi
	FAULTS_SAVED=$({ for d in $FPA $FVC; do echo $d/interval $d/times $d/space \
		$d/verbose $d/task-filter; done; echo $FPA/probability $FVC/probability; } |
		xargs grep -H . $FPA/min-order $FPA/ignore-gfp-wait) || return 1
	echo 0 > $FPA/probability && echo 0 > $FVC/probability &&
		echo 0 > $FPA/min-order && echo N > $FPA/ignore-gfp-wait || return 1
	for d in $FPA $FVC; do
		echo 1 > $d/interval && echo $TIMES > $d/times && echo 0 > $d/space &&
			echo 0 > $d/verbose && echo Y > $d/task-filter &&
			echo 10 > $d/probability || return 1
	done
}

# fired: each of fail_page_alloc and fail_vcompound injected a fault.
fired()
{
	for d in $FPA $FVC; do [ "$(cat $d/times)" -lt $TIMES ] ||
		{ ktap_print_msg "$d injected no fault"; return 1; }; done
}

# Into a child memory cgroup of the cgroup2 root (mounted if need be), and back.
cg_enter()
{
	if ! grep -qs " $CGROOT " /proc/mounts; then
		mount -t cgroup2 none $CGROOT 2>/dev/null || return 1
		CG_MOUNTED=1
	fi
	grep -qs " $CGROOT cgroup2 " /proc/mounts &&
		CG_HOME=$CGROOT$(sed -n 's/^0:://p' /proc/self/cgroup) &&
		[ -w $CGROOT/cgroup.subtree_control ] &&
		echo +memory > $CGROOT/cgroup.subtree_control &&
		mkdir "$CG" && echo $$ > "$CG/cgroup.procs"
}

cg_leave()
{
	if [ -d "$CG" ] && ! { echo $$ > "$CG_HOME/cgroup.procs" && rmdir "$CG"; }; then
		ktap_print_msg "cannot leave or remove $CG"
	fi
	[ -z "$CG_MOUNTED" ] || umount $CGROOT
	CG_MOUNTED=
}

cleanup()
{
	[ -z "$FAULTS_SAVED" ] || faults off
	cg_leave
	[ -z "$OLD_POLICY" ] || echo "$OLD_POLICY" > $POLICY
	rmmod $DRIVER 2>/dev/null
}

TEST=${VCOMPOUND_TEST:-all}
while getopts "t:" opt; do
	[ "$opt" = t ] || exit "$KSFT_FAIL"
	TEST=$OPTARG
done
shift $((OPTIND - 1))
[ "$TEST" = all ] && TEST="stress fault memcg"
for t in $TEST; do case $t in stress|fault|memcg) ;; *)
	echo "unknown case $t: stress, fault, memcg or all" >&2; exit "$KSFT_FAIL" ;; esac; done
PARAMS="nr_cycles=${VCOMPOUND_CYCLES:-1000} $*"

ktap_print_header
[ "$(id -u)" -eq 0 ] || { ktap_skip_all "must be run as root"; exit "$KSFT_SKIP"; }
[ -e $POLICY ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null
[ -w $POLICY ] || { ktap_skip_all "no $POLICY: CONFIG_VCOMPOUND=y and debugfs needed"
	exit "$KSFT_SKIP"; }
trap cleanup EXIT
trap 'exit $KSFT_FAIL' HUP INT TERM
OLD_POLICY=$(sed 's/.*\[\(.*\)\].*/\1/' $POLICY)
echo always > $POLICY || ktap_exit_fail_msg "cannot set the policy always"
ktap_set_plan "$(echo $TEST | wc -w)"

for t in $TEST; do
	why=
	case $t in
	stress)
		load 0 duration_s="${VCOMPOUND_STRESS_SECONDS:-0}" ;;
	fault)
		why="no $FPA or $FVC: fault injection in debugfs needed"
		[ -d $FPA ] && [ -d $FVC ] && why= && { faults on ||
			{ ktap_print_msg "cannot set up fault injection"; false; }; } &&
			load 1 && fired ;;
	memcg)
		why="no cgroup2 memory controller to load the module from"
		cg_enter && why= && load 2 ;;
	esac
	rc=$?
	[ -z "$FAULTS_SAVED" ] || faults off
	cg_leave
	if [ $rc -eq 4 ]; then
		why="the module cannot run it in this kernel (see its SKIP line in dmesg)"
	elif [ $rc -eq 0 ] || [ -z "$why" ]; then
		why=
	fi
	if [ -n "$why" ]; then
		__ktap_test ok "$t" "SKIP $why"
		KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
	elif [ $rc -eq 0 ]; then
		ktap_test_pass "$t"
	else
		ktap_test_fail "$t"
	fi
done
ktap_finished
