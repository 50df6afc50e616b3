#!/bin/sh
# Memory hotplug with a virtual memmap: with vc.hotplug=ADDR on the command
# line (QEMU has a 128 MiB pc-dimm at ADDR that the guest does not know of;
# no ACPI), add it through /sys/devices/system/memory/probe, which
# allocates the section's memmap with __GFP_VFALLBACK, online it, use it,
# and offline it again (page isolation and migration walk it by pfn).
# The memmap itself is judged: under the policy "always" the probe must
# leave one more 2 MiB vmap area holding 512 pages (the section's memmap
# as a virtual compound page, in /proc/vmallocinfo); under the others, with
# memory plentiful, none.  Offlining a block onlined movable must succeed;
# one onlined as kernel memory may refuse with EBUSY (an unmovable page
# landed there).  Nothing may hang or splat. KTAP output.
addr=$(sed -n 's/.*vc\.hotplug=\(0x[0-9a-fA-F]*\).*/\1/p' /proc/cmdline)
echo "TAP version 13"
echo "1..3"
if [ -z "$addr" ] || [ ! -w /sys/devices/system/memory/probe ]; then
	for t in 1 2 3; do echo "ok $t hotplug_$t # SKIP no vc.hotplug= or no memory probe interface"; done
	exit 0
fi
# Virtual compound pages of order 9 in the vmalloc range: a section's
# memmap in the harness's x86_64 kernels (128 MiB sections, 32768 struct
# pages of 64 bytes; other architectures or struct page sizes would need
# another count).  Nothing else maps 512 pages here while this script
# runs (task stacks are order 3).
memmaps() { grep -cE ' pages=512 vmap( |$)' /proc/vmallocinfo; }
m0=$(memmaps)
bs=$(cat /sys/devices/system/memory/block_size_bytes)
blk=$(( addr / 0x$bs ))
if echo "$addr" > /sys/devices/system/memory/probe && [ -d /sys/devices/system/memory/memory$blk ]; then
	m1=$(memmaps)
	policy=$(cat /sys/kernel/debug/vcompound/policy)
	# With the fallback forced, the section's memmap is a virtual compound
	# page; under the other policies, with memory plentiful, it is not.
	case $policy in
	*'[always]'*) want=$((m0 + 1)) kind=virtual ;;
	*) want=$m0 kind=physical ;;
	esac
	if [ "$m1" -eq "$want" ]; then
		echo "ok 1 hotplug_add # memory$blk added, memmap $kind (order-9 vmap areas $m0 -> $m1, policy $policy)"
	else
		echo "not ok 1 hotplug_add # memory$blk added, memmap should be $kind: order-9 vmap areas $m0 -> $m1 (policy $policy)"
	fi
else
	echo "not ok 1 hotplug_add"
	exit 1
fi
movable=0
if echo online_movable > /sys/devices/system/memory/memory$blk/state 2>/dev/null && movable=1 ||
   echo online > /sys/devices/system/memory/memory$blk/state; then
	# Use the new memory: fill page cache and anonymous memory.
	dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>/dev/null
	echo "ok 2 hotplug_online # $(cat /sys/devices/system/memory/memory$blk/state)"
else
	echo "not ok 2 hotplug_online"
fi
rm -f /tmp/fill
if timeout 120 sh -c "echo offline > /sys/devices/system/memory/memory$blk/state" 2>/tmp/off.err; then
	echo "ok 3 hotplug_offline # offlined"
elif [ "$movable" = 0 ] && grep -q 'busy' /tmp/off.err; then
	echo "ok 3 hotplug_offline # onlined as kernel memory, refused cleanly: $(cat /tmp/off.err)"
else
	echo "not ok 3 hotplug_offline # $(cat /tmp/off.err)"
fi

