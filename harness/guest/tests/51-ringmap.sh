#!/bin/sh
# An af_packet RX ring of 16 blocks of 32 KiB mapped into user space:
# /bin/ringmap (harness/guest/src/ringmap.c) maps it twice, forks, punches
# a hole, madvises one page cold and out, reads it through /proc/self/mem,
# and points vmsplice() and O_DIRECT on /dev/ram0 at it. KTAP.
if [ ! -e /proc/net/packet ]; then
	echo "TAP version 13"
	echo "1..1"
	echo "ok 1 ringmap # SKIP no CONFIG_PACKET in this kernel"
	exit 0
fi
ifconfig lo 127.0.0.1 up
exec /bin/ringmap 3 16
