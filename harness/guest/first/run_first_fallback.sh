#!/bin/sh
# The first fallback of the boot inside a CPU online or a memory hot-add.
# Booted by harness/test.sh (first-cpu, first-hotplug) on the late kernel
# (CONFIG_FALLBACK_ALWAYS=n, lockdep) with kunit.enable=0 and
# vc.only=first/run_first_fallback.sh, so that nothing has taken the
# fallback before this script.  It checks that, switches the policy to
# "always" and then, with shell builtins only (a fork would take the
# fallback first: 32 KiB stacks), either onlines CPU 1 (vc.first=cpu, with
# maxcpus=1), where kthreadd forks the CPU's threads under the CPU hotplug
# lock, or hot-adds the DIMM at vc.hotplug= (vc.first=hotplug), whose
# memmap is allocated under mem_hotplug_begin().  A lockdep report, a
# hang (timeout) or a failed online/add fails the boot.  The hotplug run
# then hot-adds the second DIMM with every order-9 page allocation failing
# (fail_page_alloc) and the fallback failing (fail_vcompound): the memmap
# must still be allocated (vmalloc), as before the series.  KTAP output.
mode=$(sed -n 's/.*vc\.first=\([a-z]*\).*/\1/p' /proc/cmdline)
addr=$(sed -n 's/.*vc\.hotplug=\(0x[0-9a-fA-F]*\).*/\1/p' /proc/cmdline)
dbg=/sys/kernel/debug
mem=/sys/devices/system/memory
rc=0

# vmstat NAME: sets $v to /proc/vmstat's NAME, with builtins only.
vmstat() {
	v=
	while read -r k n; do
		[ "$k" = "$1" ] && v=$n
	done </proc/vmstat
}
ok() { echo "ok $1"; }
notok() { echo "not ok $1"; rc=1; }

echo "TAP version 13"
case $mode in
cpu) echo "1..3" ;;
hotplug) echo "1..4" ;;
*) echo "1..1"; echo "not ok 1 first_fallback # no vc.first=cpu|hotplug on the command line"; exit 1 ;;
esac
[ "$mode" = cpu ] || [ -n "$addr" ] || { notok "1 precondition # no vc.hotplug=ADDR"; exit 1; }
bs=0x$(cat $mem/block_size_bytes)
blk0=$((addr / bs)) blk1=$(((addr + bs) / bs))
if ! policy=$(cat $dbg/vcompound/policy) || [ ! -w $dbg/vcompound/policy ]; then
	notok "1 no_fallback_yet # no $dbg/vcompound/policy to switch the policy with"
	exit 1
fi

vmstat vcompound_alloc
a0=$v
if [ "$a0" = 0 ]; then
	ok "1 no_fallback_yet # policy: $policy"
else
	notok "1 no_fallback_yet # vcompound_alloc is $a0 already: this boot proves nothing"
	exit 1
fi

echo always > $dbg/vcompound/policy
if [ "$mode" = cpu ]; then
	echo 1 > /sys/devices/system/cpu/cpu1/online
	read -r on < /sys/devices/system/cpu/cpu1/online
	vmstat vcompound_alloc
	echo late > $dbg/vcompound/policy
	if [ "$on" = 1 ]; then ok "2 cpu_online"; else notok "2 cpu_online # cpu1 online=$on"; fi
	if [ "$v" -gt 0 ]; then
		ok "3 first_fallback_in_cpu_online # vcompound_alloc 0 -> $v"
	else
		notok "3 first_fallback_in_cpu_online # no virtual compound page was made"
	fi
	exit $rc
fi

echo "$addr" > $mem/probe
vmstat vcompound_alloc
echo late > $dbg/vcompound/policy
if [ -d $mem/memory$blk0 ]; then ok "2 hotplug_add # memory$blk0"; else notok "2 hotplug_add # memory$blk0 missing"; fi
if [ "$v" -gt 0 ]; then
	ok "3 first_fallback_in_hotplug # vcompound_alloc 0 -> $v"
else
	notok "3 first_fallback_in_hotplug # the memmap is not a virtual compound page"
fi

# Neither the buddy allocator nor the fallback can serve the memmap.
fp=$dbg/fail_page_alloc fv=$dbg/fail_vcompound
echo always > $dbg/vcompound/policy
for f in $fp $fv; do
	echo 0 > $f/verbose; echo N > $f/task-filter; echo 1 > $f/interval
	echo 0 > $f/space; echo -1 > $f/times; echo 100 > $f/probability
done
echo N > $fp/ignore-gfp-wait; echo 9 > $fp/min-order
echo "$((addr + bs))" > $mem/probe 2>/tmp/probe.err
st=$?
echo 0 > $fp/probability; echo 0 > $fv/probability
echo late > $dbg/vcompound/policy
if [ $st = 0 ] && [ -d $mem/memory$blk1 ]; then
	ok "4 hotplug_add_no_high_order # memory$blk1: memmap from vmalloc"
else
	notok "4 hotplug_add_no_high_order # probe: status $st $(cat /tmp/probe.err)"
fi
exit $rc
