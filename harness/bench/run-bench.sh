#!/bin/sh
# Guest side of harness/bench/run.sh (busybox sh). run.sh copies this file,
# bench.env and bench_vcompound.ko into build/out/NAME/bench-guest/, which
# harness/boot.sh --extra puts at /opt/bench-guest/; harness/guest/init runs
# /opt/*/run*.sh.
#
# Loads lib/bench_vcompound.ko (which runs at load and unloads itself by
# returning -EAGAIN) three times:
#   1. cells=hot,fastpath phase=before, only if /proc/vmstat says that no
#      virtual compound page has been created in this boot (vcompound_alloc
#      is 0); otherwise says why it is skipped (a CONFIG_FALLBACK_ALWAYS
#      kernel, or the KUnit suite at boot, creates some before userspace);
#   2. cells=fallback,access,frag (these create virtual compound pages);
#   3. cells=hot,fastpath phase=after.
# Between 2 and 3, the ring cell (ringbench, user space) runs twice: with
# memory free, and with memory held fragmented by a fourth load
# (frag_keep=1, removed with rmmod afterwards).
# The results are the module's "bench_vcompound: ..." lines on the console
# (loglevel=7); this script adds "bench-guest: key=value" lines about the
# guest. It prints one KTAP result, "ok 1 bench ran": a benchmark is not a
# test, so it never fails on a time, only when the module does not load for
# a reason other than -EAGAIN ("Resource temporarily unavailable"), or when
# ringbench finds its contenders not what they claim to be.

cd "$(dirname "$0")" || exit 1
KO=$PWD/bench_vcompound.ko
# shellcheck disable=SC1091 # written by run.sh
[ -f ./bench.env ] && . ./bench.env
: "${BENCH_ITERS:=2000}" "${BENCH_ACCESS_ITERS:=100}" "${BENCH_HOT_BATCH:=1000}"
: "${BENCH_FRAG_N:=50}" "${BENCH_DRAIN_ORDER:=3}" "${BENCH_FRAG_HOLD:=0}"
: "${BENCH_FRAGMENT_MB:=auto}" "${BENCH_CLOCK:=auto}"

failed=
say() { echo "bench-guest: $*"; }
fail() { say "error=\"$*\""; failed="$*"; }

vmstat() { # vmstat NAME: the /proc/vmstat counter, or "none"
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "none" }' /proc/vmstat
}

state() { # state LABEL: one line about the vcompound state of the guest
	pol=$(cat /sys/kernel/debug/vcompound/policy 2>/dev/null || echo none)
	live=$(cat /sys/kernel/debug/vcompound/live 2>/dev/null || echo none)
	memfree=$(awk '/^MemFree:/ { print int($2 / 1024) }' /proc/meminfo)
	say "state=$1 vcompound_alloc=$(vmstat vcompound_alloc) vcompound_alloc_fail=$(vmstat vcompound_alloc_fail) vcompound_free=$(vmstat vcompound_free) vcompound_free_deferred=$(vmstat vcompound_free_deferred) live=$live memfree_mb=$memfree policy=\"$pol\""
}

load() { # load LABEL PARAM...: insmod; -EAGAIN is success
	label=$1
	shift
	say "load=$label params=\"$*\""
	out=$(insmod "$KO" "$@" 2>&1)
	rc=$?
	[ -n "$out" ] && say "load=$label insmod_output=\"$(echo "$out" | tr '\n"' " '")\""
	if [ "$rc" -eq 0 ]; then
		say "load=$label note=\"module stayed loaded (it should return -EAGAIN); removing it\""
		rmmod bench_vcompound 2>/dev/null
		return 0
	fi
	case $out in
	*"Resource temporarily unavailable"* | *"Try again"*) return 0 ;;
	esac
	fail "$label: insmod failed with status $rc: $(echo "$out" | tr '\n"' " '")"
	return 1
}

say "kernel=\"$(uname -r)\" cpus=$(grep -c '^processor' /proc/cpuinfo) memtotal_mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo) clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)"
say "cmdline=\"$(cat /proc/cmdline)\""
state start
[ -f "$KO" ] || fail "no $KO"

# Word-split on purpose where it is used: one insmod parameter per word.
common="iters=$BENCH_ITERS hot_batch=$BENCH_HOT_BATCH clock=$BENCH_CLOCK"

if [ -z "$failed" ]; then
	n=$(vmstat vcompound_alloc)
	if [ "$n" = none ]; then
		say "phase_before=skipped reason=\"no vcompound_alloc in /proc/vmstat (CONFIG_VCOMPOUND=n or CONFIG_VM_EVENT_COUNTERS=n)\""
	elif [ "$n" -eq 0 ]; then
		say "phase_before=measured vcompound_alloc=0 note=\"no virtual compound page has existed in this boot\""
		# shellcheck disable=SC2086
		load before cells=hot,fastpath phase=before $common
	else
		say "phase_before=skipped vcompound_alloc=$n reason=\"a virtual compound page already existed before userspace (CONFIG_FALLBACK_ALWAYS=y kernel, or the vcompound KUnit suite ran at boot): only phase=after can be measured in this boot\""
	fi
fi

if [ -z "$failed" ]; then
	frag=$BENCH_FRAGMENT_MB
	# auto: ask for all memory; the module stops when the allocator says no.
	[ "$frag" = auto ] && frag=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
	say "buddyinfo_before_frag=\"$(tr -s ' \n' ' ' </proc/buddyinfo)\""
	# shellcheck disable=SC2086
	load cells cells=fallback,access,frag $common access_iters="$BENCH_ACCESS_ITERS" \
		fragment_mb="$frag" frag_n="$BENCH_FRAG_N" drain_order="$BENCH_DRAIN_ORDER" \
		frag_hold="$BENCH_FRAG_HOLD"
	say "buddyinfo_after=\"$(tr -s ' \n' ' ' </proc/buddyinfo)\""
	state after_cells
fi

# The ring cell (ringbench.c): af_packet rings, three contenders.
if [ -z "$failed" ] && [ -e /proc/net/packet ]; then
	ifconfig lo 127.0.0.1 up 2>/dev/null
	./ringbench "${BENCH_RING_ITERS:-200}" 16 || fail "ringbench failed (status $?)"
	state after_ring
	# The same rings with memory held fragmented by the module (frag_keep),
	# vcompound against af_packet's own vzalloc() (ringbench frag): in
	# order-2 holes (no order-3 block, but head chunks: the fallback must
	# serve at least 90% of the blocks), then in order-0 holes (no free
	# order-2 block at the start: the vcompound share is reported, not
	# judged, as head chunks freed by earlier rings come back).
	frag=$BENCH_FRAGMENT_MB
	[ "$frag" = auto ] && frag=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
	if [ "$frag" = 0 ] || [ "$BENCH_DRAIN_ORDER" = 0 ]; then
		say "ring_frag=skipped reason=\"BENCH_FRAGMENT_MB=$BENCH_FRAGMENT_MB BENCH_DRAIN_ORDER=$BENCH_DRAIN_ORDER: memory is not held fragmented\""
	else
		for run in "2 frag 90" "0 frag0 0"; do
			# shellcheck disable=SC2086 # three words
			set -- $run
			[ -z "$failed" ] || break
			say "load=frag_keep params=\"frag_keep=1 fragment_mb=$frag drain_order=$BENCH_DRAIN_ORDER frag_hole_order=$1\""
			if out=$(insmod "$KO" frag_keep=1 fragment_mb="$frag" \
				drain_order="$BENCH_DRAIN_ORDER" frag_hole_order="$1" 2>&1); then
				say "buddyinfo_ring_$2=\"$(tr -s ' \n' ' ' </proc/buddyinfo)\""
				./ringbench "${BENCH_RING_FRAG_ITERS:-50}" 16 "$2" "$3" ||
					fail "ringbench $2 failed (status $?)"
				rmmod bench_vcompound || fail "rmmod after frag_keep failed"
				state "after_ring_$2"
			else
				fail "frag_keep: insmod failed: $(echo "$out" | tr '\n"' " '")"
			fi
		done
	fi
elif [ -z "$failed" ]; then
	say "ring=skipped reason=\"no CONFIG_PACKET in this kernel\""
fi

if [ -z "$failed" ]; then
	n=$(vmstat vcompound_alloc)
	[ "$n" != none ] && [ "$n" -eq 0 ] &&
		say "note=\"still no virtual compound page after the fallback cell: phase=after is not really after\""
	# shellcheck disable=SC2086
	load after cells=hot,fastpath phase=after $common
	state end
fi

echo "KTAP version 1"
echo "1..1"
if [ -z "$failed" ]; then
	echo "ok 1 bench ran"
	exit 0
fi
echo "not ok 1 bench ran # $failed"
exit 1
