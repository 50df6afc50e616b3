#!/bin/sh
# Memory hotplug with a virtual memmap: with vc.hotplug=ADDR on the command
# line (QEMU has a 128 MiB pc-dimm at ADDR that the guest does not know of;
# no ACPI), add it through /sys/devices/system/memory/probe, which
# allocates the section's memmap with __GFP_VFALLBACK, online it, use it,
# and offline it again (page isolation and migration walk it by pfn).
# Offlining may refuse with EBUSY when an unmovable page landed there; it
# must not hang or splat. KTAP output.
addr=$(sed -n 's/.*vc\.hotplug=\(0x[0-9a-fA-F]*\).*/\1/p' /proc/cmdline)
echo "TAP version 13"
echo "1..3"
if [ -z "$addr" ] || [ ! -w /sys/devices/system/memory/probe ]; then
	for t in 1 2 3; do echo "ok $t hotplug_$t # SKIP no vc.hotplug= or no memory probe interface"; done
	exit 0
fi
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
a0=$(vmstat vcompound_alloc)
bs=$(cat /sys/devices/system/memory/block_size_bytes)
blk=$(( addr / 0x$bs ))
if echo "$addr" > /sys/devices/system/memory/probe && [ -d /sys/devices/system/memory/memory$blk ]; then
	a1=$(vmstat vcompound_alloc)
	# With the fallback forced, the section's memmap is a virtual compound
	# page; under the other policies, with memory plentiful, it is not.
	if ! grep -q '\[always\]' /sys/kernel/debug/vcompound/policy; then
		# Memory is plentiful here: nothing may have fallen back.
		if [ "$a1" = "$a0" ]; then
			echo "ok 1 hotplug_add # memory$blk added, memmap physical (policy: $(cat /sys/kernel/debug/vcompound/policy))"
		else
			echo "not ok 1 hotplug_add # memory$blk added, but vcompound_alloc moved $a0 -> $a1 with memory plentiful"
		fi
	elif [ $((a1 - a0)) -ge 1 ]; then
		echo "ok 1 hotplug_add # memory$blk, memmap virtual: vcompound_alloc +$((a1 - a0))"
	else
		echo "not ok 1 hotplug_add # memory$blk added, but its memmap is not virtual"
	fi
else
	echo "not ok 1 hotplug_add"
	exit 1
fi
if echo online_movable > /sys/devices/system/memory/memory$blk/state 2>/dev/null ||
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
elif grep -q 'busy' /tmp/off.err; then
	echo "ok 3 hotplug_offline # refused cleanly: $(cat /tmp/off.err)"
else
	echo "not ok 3 hotplug_offline # $(cat /tmp/off.err)"
fi

