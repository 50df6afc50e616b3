#!/bin/sh
# The pfn walkers over live virtual compound pages: test_vcompound holds
# 32 MiB of them (hold_mb=32, with the policy "always"), then compaction,
# /proc/kpageflags, page_owner, hwpoison injection on a tail and offlining
# the memory block of that tail each must finish and refuse cleanly.
# KTAP, one test per walker, skipped where the kernel lacks it; kernel
# splats are boot.sh's.  harness/boot.sh installs it as /opt/walkers only
# when the command line has VCOMPOUND_WALKERS=1 (boot-debug, boot-numa,
# the mutants' boot): hwpoison leaves a page poisoned for good.  The guest
# runs it after the kselftest (/opt/vcompound).
ko=/opt/vcompound/test_vcompound.ko
dbg=/sys/kernel/debug
policy=$dbg/vcompound/policy
mem=/sys/devices/system/memory
n=0
fails=0

result() { # ok|skip|fail NAME [WHY]
	n=$((n + 1))
	case $1 in
	ok) echo "ok $n $2" ;;
	skip) echo "ok $n $2 # SKIP $3" ;;
	*) echo "# $2: $3"; echo "not ok $n $2"; fails=$((fails + 1)) ;;
	esac
}

kpageflags() { # PFN: its /proc/kpageflags word, in decimal
	dd if=/proc/kpageflags bs=8 skip="$1" count=1 2>/dev/null | od -An -tu8 | tr -d ' '
}

echo "TAP version 13"
echo "1..5"
old=$(sed 's/.*\[\(.*\)\].*/\1/' $policy 2>/dev/null)
echo "run_vcompound-walkers: hold" > /dev/kmsg
held=
if [ -f $ko ] && echo always > $policy && insmod $ko run_test_mask=0 hold_mb=32; then
	held=$(dmesg | sed -n '/run_vcompound-walkers: hold$/,$p' |
	       sed -n 's/.*test_vcompound: hold: order [0-9]* head pfn \([0-9]*\) tail pfn \([0-9]*\)$/\1:\2/p')
fi
[ -z "$old" ] || echo "$old" > $policy
if [ -z "$held" ]; then
	for w in compact_memory kpageflags page_owner hwpoison offline; do
		result fail $w "test_vcompound hold_mb=32 did not load, or logged no page"
	done
	rmmod test_vcompound 2>/dev/null
	exit 1
fi
first=$(echo "$held" | head -n 1)
tail_pfn=${first#*:}
echo "# $(echo "$held" | grep -c .) virtual compound pages held"

if [ ! -w /proc/sys/vm/compact_memory ]; then
	result skip compact_memory "CONFIG_COMPACTION=n"
elif echo 1 > /proc/sys/vm/compact_memory; then
	result ok compact_memory
else
	result fail compact_memory "writing compact_memory failed"
fi

if [ ! -r /proc/kpageflags ]; then
	result skip kpageflags "CONFIG_PROC_PAGE_MONITOR=n"
else
	why=
	for ht in $held; do
		hf=$(kpageflags "${ht%%:*}")
		tf=$(kpageflags "${ht#*:}")
		# KPF_COMPOUND_HEAD 15, KPF_COMPOUND_TAIL 16
		[ $(((${hf:-0} >> 15) & 1)) = 1 ] ||
			why="head pfn ${ht%%:*}: flags ${hf:-none} without COMPOUND_HEAD"
		[ $(((${tf:-0} >> 16) & 1)) = 1 ] ||
			why="tail pfn ${ht#*:}: flags ${tf:-none} without COMPOUND_TAIL"
		[ -z "$why" ] || break
	done
	if [ -z "$why" ]; then result ok kpageflags; else result fail kpageflags "$why"; fi
fi

if [ ! -r $dbg/page_owner ]; then
	result skip page_owner "CONFIG_PAGE_OWNER=n or no page_owner=on"
elif grep -q "^PFN $(printf '0x%x' "${first%%:*}") " $dbg/page_owner; then
	result ok page_owner
else
	result fail page_owner "no record of head pfn ${first%%:*}"
fi

if [ ! -w $dbg/hwpoison/corrupt-pfn ]; then
	result skip hwpoison "CONFIG_HWPOISON_INJECT=n"
else
	echo "$tail_pfn" > $dbg/hwpoison/corrupt-pfn 2>/dev/null
	echo "# hwpoison: tail pfn $tail_pfn: status $?, kpageflags $(kpageflags "$tail_pfn")"
	if dmesg | grep -q "Memory failure: $(printf '%#x' "$tail_pfn"):"; then
		result ok hwpoison
	else
		result fail hwpoison "memory_failure() did not report pfn $tail_pfn"
	fi
fi

if [ ! -r $mem/block_size_bytes ]; then
	result skip offline "CONFIG_MEMORY_HOTPLUG=n"
else
	block=$((tail_pfn * 4096 / 0x$(cat $mem/block_size_bytes)))
	state=$mem/memory$block/state
	if [ ! -w "$state" ] || [ "$(cat "$state")" != online ]; then
		result skip offline "memory$block cannot be offlined"
	elif echo offline > "$state" 2>/dev/null; then
		echo online > "$state"
		result fail offline "memory$block went offline with a virtual compound page in it"
	else
		result ok offline
	fi
fi
rmmod test_vcompound || { echo "# cannot remove test_vcompound"; fails=$((fails + 1)); }
[ $fails -eq 0 ]
