#!/bin/sh
# Last guest test: on a kernel with kmemleak (the debug configuration),
# scan for leaks after everything else ran; there must be none. KTAP.
echo "TAP version 13"
echo "1..1"
k=/sys/kernel/debug/kmemleak
if [ ! -e $k ]; then
	echo "ok 1 kmemleak_scan # SKIP no kmemleak in this kernel"
	exit 0
fi
# Two scans: an object must be unreferenced in two scans to be reported.
echo scan > $k; sleep 1; echo scan > $k
# Leaks the kernel's own tests make on purpose do not count:
# slub_kunit's test_leak_destroy leaks one object to check that
# kmem_cache_destroy() notices.
deliberate='test_leak_destroy'
report=$(cat $k)
n=$(echo "$report" | grep -c '^unreferenced object')
known=$(echo "$report" | awk -v re="$deliberate" '
	/^unreferenced object/ { if (obj && hit) k++; obj = 1; hit = 0 }
	$0 ~ re { hit = 1 }
	END { if (obj && hit) k++; print k + 0 }')
if [ "$n" -eq "$known" ]; then
	echo "ok 1 kmemleak_scan # no leaks ($known deliberate: $deliberate)"
else
	echo "$report" | head -60 | sed 's/^/# /'
	echo "not ok 1 kmemleak_scan # $((n - known)) suspected leaks ($known deliberate ones not counted)"
fi
