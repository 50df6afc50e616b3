#!/bin/sh
# /sys/kernel/debug/page_owner must print the memory cgroup of an LRU page
# charged to a child cgroup, online and then offline, without an Oops: the
# base tree's print_page_owner_memcg() took such a page's mem_cgroup for an
# obj_cgroup and faulted (fixed by the series' first patch). The walkers of
# run_vcompound.sh read page_owner after its memcg case, which left such
# pages behind now and then. KTAP.
CG=/sys/fs/cgroup
PO=/sys/kernel/debug/page_owner
NAME=vc_page_owner
echo "TAP version 13"
if [ ! -r "$PO" ]; then
	echo "1..1"
	echo "ok 1 page_owner_memcg # SKIP no page_owner in this kernel"
	exit 0
fi
grep -qs " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none "$CG" 2>/dev/null
if ! grep -qw memory "$CG/cgroup.controllers" 2>/dev/null ||
   ! echo +memory > "$CG/cgroup.subtree_control" || ! mkdir "$CG/$NAME"; then
	echo "1..1"
	echo "ok 1 page_owner_memcg # SKIP no cgroup2 memory controller"
	exit 0
fi
echo "1..2"
rc=0
# 64 tmpfs pages, charged to the child cgroup by a shell that runs in it.
sh -c "echo \$\$ > $CG/$NAME/cgroup.procs &&
       dd if=/dev/zero of=/tmp/$NAME bs=4096 count=64 2>/dev/null"
echo "# memory.current of $NAME: $(cat "$CG/$NAME/memory.current")"
if grep -q "^Charged to memcg $NAME\$" "$PO"; then
	echo "ok 1 page_owner_memcg_online"
else
	echo "not ok 1 page_owner_memcg_online # no \"Charged to memcg $NAME\" in page_owner"
	rc=1
fi
if ! rmdir "$CG/$NAME"; then
	echo "not ok 2 page_owner_memcg_offline # rmdir $CG/$NAME failed"
	rm -f "/tmp/$NAME"
	exit 1
fi
found=0
for _ in 1 2 3; do
	grep -q "^Charged to offline memcg $NAME\$" "$PO" && { found=1; break; }
	sleep 1
done
if [ "$found" -eq 1 ]; then
	echo "ok 2 page_owner_memcg_offline"
else
	echo "not ok 2 page_owner_memcg_offline # no \"Charged to offline memcg $NAME\" in page_owner"
	rc=1
fi
rm -f "/tmp/$NAME"
exit $rc
