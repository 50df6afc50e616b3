#!/bin/sh
# SLUB's caller tables still work with the virtual path forced: with
# slub_debug=U on the command line, /sys/kernel/debug/slab/*/alloc_traces
# lists callers (alloc_loc_track() allocates the table they are built in).
# KTAP.
echo "TAP version 13"
echo "1..1"
d=/sys/kernel/debug/slab/kmalloc-64
if ! grep -q 'slub_debug=U' /proc/cmdline || [ ! -r $d/alloc_traces ]; then
	echo "ok 1 slab_alloc_traces # SKIP needs slub_debug=U and SLUB debugfs"
	exit 0
fi
n=$(grep -c 'age=' $d/alloc_traces)
if [ "$n" -gt 0 ]; then
	echo "ok 1 slab_alloc_traces # $n call sites in kmalloc-64"
else
	head -5 $d/alloc_traces
	echo "not ok 1 slab_alloc_traces # no call sites listed"
fi
