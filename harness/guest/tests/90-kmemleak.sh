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
n=$(grep -c '^unreferenced object' $k)
if [ "$n" -eq 0 ]; then
	echo "ok 1 kmemleak_scan # no leaks"
else
	head -40 $k
	echo "not ok 1 kmemleak_scan # $n suspected leaks"
fi
