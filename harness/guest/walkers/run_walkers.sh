#!/bin/sh
# The pfn walkers over virtual compound pages a real caller holds: with the
# policy "always", /bin/ringhold (harness/guest/src/ringhold.c) maps 32
# MiB of af_packet ring blocks of orders 3 to 10, filled with a pattern,
# checks that vmstat counted them virtual, and prints their pfns
# (/proc/self/pagemap).  Then:
#  - compact_memory: compaction finishes and the rings read back intact;
#  - kpageflags: every block's head is COMPOUND_HEAD, its last page
#    COMPOUND_TAIL;
#  - page_owner: a record of the first block's head;
#  - hwpoison: memory_failure() on the last block's tail ignores it ("get
#    hwpoison page: Ignored"), as it does any page that is neither LRU nor
#    free (mm/memory-failure.c has no code of the series'), and the rings
#    stay intact.  It catches a tail that is free while still mapped
#    ("free buddy page: Recovered") and a crash; the later free of the
#    poisoned tail is judged by boot.sh's scan for splats.
# Memory offlining is KUnit's vc_test_isolation: offlining a block of boot
# memory is refused on other kernel pages first, so it could not fail.
# Each answer of ringhold is awaited 300 s at most.
# KTAP, one test per walker, skipped where the kernel lacks it; kernel
# splats are boot.sh's.  harness/boot.sh installs it as /opt/walkers only
# when the command line has VCOMPOUND_WALKERS=1 (boot-debug, boot-numa,
# the mutants' boot): hwpoison leaves a page poisoned for good.
dbg=/sys/kernel/debug
tmp=/tmp/walkers.$$
n=0
fails=0

result() { # ok|skip|fail NAME [WHY]
	n=$((n + 1))
	case $1 in
	ok) echo "ok $n $2${3:+ # $3}" ;;
	skip) echo "ok $n $2 # SKIP $3" ;;
	*) echo "# $2: $3"; echo "not ok $n $2"; fails=$((fails + 1)) ;;
	esac
}

kpageflags() { # PFN: its /proc/kpageflags word, in decimal
	dd if=/proc/kpageflags bs=8 skip="$1" count=1 2>/dev/null | od -An -tu8 | tr -d ' '
}

intact() { # ask ringhold to check the rings: its answer
	echo check >&3 && read -r -t 300 answer <&4 && echo "$answer"
}

echo "TAP version 13"
echo "1..4"
mkdir -p $tmp && mkfifo $tmp/in $tmp/out || exit 1
# shellcheck source=../tests/policy.sh
. /opt/tests/policy.sh
policy_set always || echo "# cannot set the fallback policy always"
ringhold 3 4 5 6 7 8 9 10 < $tmp/in > $tmp/out 2> $tmp/err &
pid=$!
exec 3> $tmp/in 4< $tmp/out
: > $tmp/pfns
while read -r -t 300 line <&4; do
	[ "$line" = held ] && break
	echo "$line" >> $tmp/pfns
done
policy_restore
blocks=$(sed -n 's/^block [0-9]* \([0-9]*\) \([0-9]*\)$/\1:\2/p' $tmp/pfns)
if [ "$line" != held ] || [ -z "$blocks" ] || echo "$blocks" | grep -qE '^0:|:0$'; then
	echo "# ringhold: $(cat $tmp/err)"
	for w in compact_memory kpageflags page_owner hwpoison; do
		result fail $w "ringhold held no rings, or no pfns (policy always? root?)"
	done
	exec 3>&- 4<&-
	kill $pid 2>/dev/null
	wait $pid
	rm -rf $tmp
	exit 1
fi
first=$(echo "$blocks" | head -n 1)
last=$(echo "$blocks" | tail -n 1)
echo "# $(echo "$blocks" | grep -c .) ring blocks held"

if [ ! -w /proc/sys/vm/compact_memory ]; then
	result skip compact_memory "CONFIG_COMPACTION=n"
elif ! echo 1 > /proc/sys/vm/compact_memory; then
	result fail compact_memory "writing compact_memory failed"
else
	a=$(intact)
	if [ "$a" = intact ]; then result ok compact_memory; else result fail compact_memory "rings $a"; fi
fi

if [ ! -r /proc/kpageflags ]; then
	result skip kpageflags "CONFIG_PROC_PAGE_MONITOR=n"
else
	why=
	for ht in $blocks; do
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
	t=${last#*:}
	echo "$t" > $dbg/hwpoison/corrupt-pfn 2>/dev/null
	msg=$(dmesg | grep "Memory failure: $(printf '%#x' "$t"):" | tail -n 1)
	echo "# hwpoison: tail pfn $t: ${msg:-no report}, kpageflags $(kpageflags "$t")"
	a=$(intact)
	case $msg in
	*"get hwpoison page: Ignored"*)
		if [ "$a" = intact ]; then result ok hwpoison; else result fail hwpoison "rings $a"; fi ;;
	*) result fail hwpoison "memory_failure() did not ignore pfn $t: ${msg:-no report}" ;;
	esac
fi

exec 3>&-
read -r -t 300 a <&4 || kill $pid 2>/dev/null
exec 4<&-
wait $pid || { echo "# ringhold exited $?: rings $a"; fails=$((fails + 1)); }
rm -rf $tmp
[ $fails -eq 0 ]
