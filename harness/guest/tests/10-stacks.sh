#!/bin/sh
# Fork hundreds of processes and start hundreds of threads; with
# vc.stacks=virtual on the command line (a !VMAP_STACK kernel with 32 KiB
# stacks and the fallback forced), every new task stack must be a virtual
# compound page: vcompound_alloc in /proc/vmstat grows by at least one per
# task. KTAP output.
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
echo "TAP version 13"
echo "1..3"
a0=$(vmstat vcompound_alloc); a0=${a0:-0}

# The sleepers outlive any fork loop (a debug kernel under TCG forks
# slowly) and are killed once counted.
n=300 i=0 pids=
while [ $i -lt $n ]; do sleep 600 & pids="$pids $!"; i=$((i + 1)); done
running=$(ps | grep -c '[s]leep 600')
# shellcheck disable=SC2086 # one pid a word
kill $pids
wait
if [ "$running" -ge "$n" ]; then
	echo "ok 1 stacks_fork_$n # $running running at once"
else
	echo "not ok 1 stacks_fork_$n # only $running of $n processes ran"
fi

if /bin/threads 300; then echo "ok 2 stacks_threads_300"; else echo "not ok 2 stacks_threads_300"; fi

a1=$(vmstat vcompound_alloc); a1=${a1:-0}
if grep -qw 'vc.stacks=virtual' /proc/cmdline; then
	if [ $((a1 - a0)) -ge 600 ]; then
		echo "ok 3 stacks_virtual # vcompound_alloc +$((a1 - a0)) for 600 tasks"
	else
		echo "not ok 3 stacks_virtual # vcompound_alloc +$((a1 - a0)) for 600 tasks"
	fi
else
	echo "ok 3 stacks_virtual # SKIP stacks are not forced virtual in this kernel"
fi
