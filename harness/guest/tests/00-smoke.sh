#!/bin/sh
# Smoke test of the guest runner (harness/guest/init): prints a 2-case TAP
# (kselftest style) and exits non-zero if a case fails.
# Usage (in the guest): /opt/tests/00-smoke.sh
rc=0
echo "TAP version 13"
echo "1..2"
if [ -f /proc/meminfo ] && grep -q '^MemTotal:' /proc/meminfo; then
	echo "ok 1 proc_meminfo_exists"
else
	echo "not ok 1 proc_meminfo_exists"; rc=1
fi
if [ "$(wc -l </proc/vmstat)" -gt 0 ]; then
	echo "ok 2 proc_vmstat_readable"
else
	echo "not ok 2 proc_vmstat_readable"; rc=1
fi
exit $rc
