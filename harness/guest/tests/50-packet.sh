#!/bin/sh
# af_packet rings, whose blocks net/packet now allocates with
# __GFP_VFALLBACK: the kernel's own selftests psock_tpacket (TPACKET V1 to
# V3, RX and TX rings) and txring_overwrite, and their variants with 32 and
# 128 KiB blocks (built by harness/mkinitramfs.sh), which the fallback
# serves.  Each program is judged by its exit status (and killed after
# 120 s); where the fallback policy is "always", psock_tpacket's variants'
# blocks must be virtual compound pages (vcompound_alloc in /proc/vmstat
# grows by one per block: 6 rings of 256 blocks, far more than the stacks
# of the few tasks forked meanwhile).  txring_overwrite's one block is
# too few to tell apart from those; /bin/ringmap checks a ring of its own.
# KTAP.
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
echo "TAP version 13"
if [ ! -e /proc/net/packet ]; then
	echo "1..1"
	echo "ok 1 packet # SKIP no CONFIG_PACKET in this kernel"
	exit 0
fi
echo "1..7"
ifconfig lo 127.0.0.1 up
always=$(grep -c '\[always\]' /sys/kernel/debug/vcompound/policy)
n=0 fails=0
case_result() { # OK NAME COMMENT
	n=$((n + 1))
	if [ "$1" = 1 ]; then echo "ok $n $2${3:+ # $3}"
	else echo "not ok $n $2${3:+ # $3}"; fails=$((fails + 1)); fi
}
for p in psock_tpacket psock_tpacket_32k psock_tpacket_128k txring_overwrite txring_overwrite_32k; do
	a0=$(vmstat vcompound_alloc)
	timeout 120 "/bin/$p" >/tmp/$p.out 2>&1
	rc=$?
	a1=$(vmstat vcompound_alloc)
	sed 's/^/# /' /tmp/$p.out
	case_result "$([ $rc = 0 ] && echo 1)" "$p" "exit $rc, vcompound_alloc +$((a1 - a0))"
	case $p in
	psock_tpacket_*) want=1536 ;;
	*) continue ;;
	esac
	if [ "$always" != 1 ]; then
		n=$((n + 1)); echo "ok $n ${p}_virtual # SKIP the fallback policy is not \"always\""
	else
		case_result "$([ $((a1 - a0)) -ge $want ] && echo 1)" "${p}_virtual" \
			"vcompound_alloc +$((a1 - a0)), at least $want blocks"
	fi
done
[ $fails = 0 ]
