#!/usr/bin/env bash
# Boot build/out/NAME/arch/x86/boot/bzImage under QEMU (TCG) with an
# initramfs from harness/mkinitramfs.sh (extra dirs: build/out/NAME/guest-extra
# and harness/guest/tests, if present) and judge the run. The serial console
# goes to stdout and build/out/NAME/console.log. The run passes only if the
# guest reported "pass" through isa-debug-exit (QEMU exit code 1), the log
# has no kernel splat, its skips are those VC_EXPECT lists (if set: see
# harness/expect.py), and the KTAP in the log (parsed with the kernel's
# kunit.py by harness/ktap-results.py into build/out/NAME/results.txt) has at
# least one test and no failure.
# Usage: harness/boot.sh NAME [--append "CMDLINE"] [--timeout SECS] [--mem 512M] [--smp 2]
#                           [--extra DIR]  (more guest tests, repeatable)
# (--append vc.shell=1 gives a shell in the guest; Ctrl-A x quits QEMU.)
. "$(dirname "$0")/lib.sh"

usage="usage: boot.sh NAME [--append CMDLINE] [--timeout SECS] [--mem SIZE] [--smp N] [--extra DIR]"
name=${1:?$usage}
shift
repro="harness/boot.sh $name${*:+ $(printf '%q ' "$@")}"
repro=${repro% }
append='' tmo=600 mem=512M smp=2 more=()
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || die "$usage"
	case $1 in
	--append) append=$2 ;;
	--timeout) tmo=$2 ;;
	--mem) mem=$2 ;;
	--smp) smp=$2 ;;
	--extra) more+=("$2") ;;
	*) die "$usage" ;;
	esac
	shift 2
done

# A configuration may add to the command line and to QEMU's options.
BOOT_APPEND='' QEMU_MEM='' QEMU_EXTRA=''
# shellcheck source=/dev/null
[ -f "$HARNESS/configs/$name.conf" ] && . "$HARNESS/configs/$name.conf"
[ -z "$QEMU_MEM" ] || [ "$mem" != 512M ] || mem=$QEMU_MEM
append="${BOOT_APPEND}${append:+ $append}"

out=${VC_OUT:-$BUILD/out/$name}
kernel=$out/arch/x86/boot/bzImage
log=$out/console.log
[ -f "$kernel" ] || die "boot[$name]: no $kernel (build it: harness/build-kernel.sh $name)"
grep -q '^CONFIG_DEVPORT=y' "$out/.config" ||
	say "boot[$name]: WARNING: CONFIG_DEVPORT is not set: the guest cannot report its verdict"
# The series' kselftest and its test module, as /opt/vcompound (only if
# this configuration builds it: a stale module of an earlier configuration
# must not be booted).
rm -rf "$out/kselftest/vcompound" "$out/kselftest/kselftest"
if grep -q '^CONFIG_TEST_VCOMPOUND=m' "$out/.config" && [ -f "$out/lib/test_vcompound.ko" ]; then
	rm -rf "$out/kselftest" && mkdir -p "$out/kselftest"
	cp -r "$LINUX/tools/testing/selftests/vcompound" "$out/kselftest/"
	cp "$out/lib/test_vcompound.ko" "$out/kselftest/vcompound/"
	# Its KTAP helpers, where kselftest installs them (/opt/kselftest).
	mkdir -p "$out/kselftest/kselftest"
	cp "$LINUX/tools/testing/selftests/kselftest/ktap_helpers.sh" "$out/kselftest/kselftest/"
fi
# The kernel's own test modules this configuration built, as /opt/suites.
rm -rf "$out/kselftest/suites"
for m in test_vmalloc test_meminit; do
	M=$(echo "$m" | tr a-z A-Z)
	grep -q "^CONFIG_$M=m" "$out/.config" && [ -f "$out/lib/$m.ko" ] || continue
	mkdir -p "$out/kselftest/suites"
	cp "$out/lib/$m.ko" "$out/kselftest/suites/"
done
extras=()
for d in "$out/guest-extra" "$out/kselftest/vcompound" "$out/kselftest/kselftest" "$out/kselftest/suites" "$HARNESS/guest/tests" "${more[@]}"; do [ -d "$d" ] && extras+=("$d"); done
# The pfn walkers (harness/guest/walkers), only when asked for.
case " $append " in *" VCOMPOUND_WALKERS=1 "*) extras+=("$HARNESS/guest/walkers") ;; esac
"$HARNESS/mkinitramfs.sh" "$out" "$out/initramfs.cpio" "${extras[@]}"

cmdline="console=ttyS0 panic=-1 oops=panic panic_on_warn=0 loglevel=7${append:+ $append}"
say "boot[$name]: qemu -smp $smp -m $mem, timeout ${tmo}s, cmdline: $cmdline"
rm -f "$log" "$out/results.txt" "$out/splats.txt" "$out/ktap-summary.txt"
start=$(date +%s)
set +e
# One socket per CPU: SeaBIOS's MP table lists only the first CPU of each
# socket, and the guest kernel (no ACPI) finds CPUs only through it.
timeout --foreground -k 10 "$tmo" qemu-system-x86_64 -accel tcg -cpu max -m "$mem" \
	-smp "$smp,sockets=$smp,cores=1,threads=1" \
	-nographic -no-reboot -nic none \
	-kernel "$kernel" -initrd "$out/initramfs.cpio" -append "$cmdline" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 $QEMU_EXTRA \
	-chardev stdio,id=con,mux=on,logfile="$log" -serial chardev:con -mon chardev=con
rc=$?
set -e
secs=$(( $(date +%s) - start ))
[ -f "$log" ] || die "boot[$name]: QEMU did not start (exit $rc; reproduce: $repro)"
# Drop CRs and terminal escapes; end SeaBIOS's "Booting from ROM.." line.
sed -i 's/\r$//; s/\x1b[[?0-9;]*[a-zA-Z]//g; s/\x1bc//g; s/^\(Booting from ROM\.*\)\(.\)/\1\n\2/' "$log"
echo
say "boot[$name]: QEMU exited with $rc after ${secs}s (log: $log)"

causes=()
case $rc in
1) ;;
3) causes+=("guest verdict: fail") ;;
124|137) causes+=("timed out after ${tmo}s") ;;
0) causes+=("no verdict from the guest (panic or reboot)") ;;
*) causes+=("QEMU exit code $rc") ;;
esac
grep -aq '^vc-init: cannot write the verdict' "$log" &&
	causes+=("guest could not write the verdict to /dev/port (CONFIG_DEVPORT=y missing?)")
grep -ah '^vc-init: FAIL' "$log" || true

# The kernel log lines that count as a splat: one list (harness/splats),
# which also holds test_vcompound's FAIL lines, whatever a script made of
# the load.
# kmemleak's "N new suspected memory leaks" is not in it: the guest's
# last test (90-kmemleak.sh) scans and fails on any leak but the deliberate
# ones of the kernel's own tests, which the automatic scans report too.
splats=$HARNESS/splats
[ -s "$splats" ] || die "boot[$name]: no $splats (the list of kernel splats)"
splat=$(grep -v -e '^#' -e '^$' "$splats" | paste -sd '|' -)
# The KUnit suite vcompound_misuse causes warnings on purpose and judges
# every line the kernel logs while it runs (an unexpected warning, a
# stack trace without one or any other report fails it, and KTAP says
# so), then logs "vcompound_misuse: the log up to here is judged": the
# part of the log from its "# Subtest:" line to that line is left to it.
# Any other splat fails the run.  A suite that never says so must not
# blind the rest of the log.
if awk '/# Subtest: vcompound_misuse([^_[:alnum:]]|$)/{skip=1; open=NR} !skip{printf "%d:%s\n", NR, $0} /vcompound_misuse: the log up to here is judged/{skip=0}
	END { if (skip) printf "%d:BUG: vcompound_misuse (line %d) never judged its log\n", NR, open }' "$log" |
   grep -aE "^[0-9]+:.*($splat)" >"$out/splats.txt"; then
	say "boot[$name]: kernel splats in $log:"
	head -n 40 "$out/splats.txt"
	causes+=("$(wc -l <"$out/splats.txt") splat line(s), first: $(head -n1 "$out/splats.txt" | cut -c1-100)")
fi

# Its last line, "boot.sh: N passed, M failed, K skipped", is printed last.
python3 "$HARNESS/ktap-results.py" "$LINUX" "$log" "$out/results.txt" >"$out/ktap-summary.txt" ||
	die "boot[$name]: harness/ktap-results.py failed on $log"
sed '$d' "$out/ktap-summary.txt"
summary=$(tail -n1 "$out/ktap-summary.txt")
read -r passed failed skipped < <(echo "$summary" | sed -E 's/[^0-9]+/ /g')
[ $((passed + failed + skipped)) -gt 0 ] || causes+=("no KTAP test results in the log")
[ "$failed" -eq 0 ] || causes+=("$failed test(s) failed (see $out/results.txt)")
# VC_EXPECT (harness/test.sh sets it per step): the skips this boot may
# have, each with its reason, and the sections that must report.
if [ -n "${VC_EXPECT:-}" ]; then
	if ! /usr/bin/python3 "$HARNESS/expect.py" "$out/results.txt" "$VC_EXPECT" >"$out/expect.txt"; then
		causes+=("not as $VC_EXPECT expects: $(grep -v ': note:' "$out/expect.txt" | head -n3 | paste -sd ';' -)")
	fi
	cat "$out/expect.txt"
fi

if [ ${#causes[@]} -gt 0 ]; then
	echo "$summary"
	msg=$(printf '%s; ' "${causes[@]}")
	die "boot[$name]: FAIL: ${msg%; } (reproduce: $repro)"
fi
say "boot[$name]: PASS (QEMU ran ${secs}s)"
echo "$summary"
