#!/usr/bin/env bash
# Run the vcompound benchmark (harness/bench/module/bench_vcompound.c, an
# out-of-tree module: the benchmark is the harness's, not the series') in
# the QEMU guest and turn its console output into a table and a plot.
#
# Usage: harness/bench/run.sh NAME
#
# Expects the kernel in build/out/NAME to be built (harness/build-kernel.sh
# NAME; harness/configs/bench.conf is the benchmark kernel: the qemu guest
# configuration with harness/bench/bench.config). It builds the module
# against it (make M=), then
#   1. creates build/out/NAME/bench-guest/ with the module, run-bench.sh
#      (busybox sh, harness/bench/run-bench.sh) and bench.env (the
#      parameters below);
#   2. boots the kernel with harness/boot.sh NAME --extra
#      build/out/NAME/bench-guest --mem 1024M --timeout 1200 (boot.sh copies
#      the directory to /opt/bench-guest/ in the guest, whose init runs
#      /opt/*/run*.sh, and judges the run: KTAP "ok 1 bench ran", no splat);
#   3. runs harness/bench/plot.py on build/out/NAME/console.log, writing
#      build/out/NAME/bench.md (also printed) and build/out/NAME/bench.png.
# The plot is made even when boot.sh fails (if there is a console log); the
# exit status is boot.sh's.
#
# Environment (defaults in brackets):
#   BENCH_ITERS [2000]        samples per contender (clock, hot, fastpath, fallback)
#   BENCH_ACCESS_ITERS [100]  2 MiB passes per contender and pattern (access)
#   BENCH_HOT_BATCH [1000]    operations per sample (hot)
#   BENCH_FRAGMENT_MB [auto]  MB of order-0 pages for the frag cell (auto:
#                             MemTotal; the module stops when allocation fails)
#   BENCH_FRAG_N [50]         requests per order and contender (frag)
#   BENCH_DRAIN_ORDER [3]     after fragmenting, hold free blocks >= this order
#   BENCH_FRAG_HOLD [0]       1: keep frag successes until the end of each order
#   BENCH_CLOCK [auto]        auto|ktime|tsc (auto: TSC if ktime is coarse)
#   BENCH_RING_ITERS [200]    rings per contender (ring cell)
#   BENCH_RING_FRAG_ITERS [50] rings per contender with memory held
#                             fragmented (ring_frag cell)
#   BENCH_BOOT_ARGS []        more boot.sh options, e.g. "--smp 1"
# shellcheck source=harness/lib.sh
. "$(dirname "$0")/../lib.sh"

name=${1:?usage: harness/bench/run.sh NAME}
out=$BUILD/out/$name
guest=$out/bench-guest
log=$out/console.log

[ -f "$out/.config" ] || die "bench[$name]: no $out/.config (build it: harness/build-kernel.sh $name)"
mod=$BUILD/bench-module
rm -rf "$mod" && mkdir -p "$mod"
cp "$HARNESS/bench/module/bench_vcompound.c" "$mod/"
echo 'obj-m += bench_vcompound.o' >"$mod/Kbuild"
make -s -C "$LINUX" O="$out" M="$mod" CC="ccache gcc" modules >"$mod/build.log" 2>&1 ||
	{ cat "$mod/build.log"; die "bench[$name]: the module does not build against $out"; }
ko=$mod/bench_vcompound.ko
if grep -qE '^CONFIG_(FALLBACK_ALWAYS|VCOMPOUND_KUNIT_TEST)=y' "$out/.config"; then
	say "bench[$name]: NOTE: $(grep -oE '^CONFIG_(FALLBACK_ALWAYS|VCOMPOUND_KUNIT_TEST)=y' "$out/.config" | tr '\n' ' ')" \
	    "creates virtual compound pages at boot: the phase=before measurement will be skipped"
fi
grep -q '^CONFIG_JUMP_LABEL=y' "$out/.config" ||
	say "bench[$name]: NOTE: CONFIG_JUMP_LABEL is not set: static keys are loads and tests, not patched branches"

rm -rf "$guest"
mkdir -p "$guest"
cp "$ko" "$guest/bench_vcompound.ko"
install -m 0755 "$HARNESS/bench/run-bench.sh" "$guest/run-bench.sh"
# The ring cell runs in the guest's user space.
gcc -static -O2 -Wall -o "$guest/ringbench" "$HARNESS/bench/ringbench.c" ||
	die "bench[$name]: cannot build harness/bench/ringbench.c"
cat >"$guest/bench.env" <<EOF
# Written by harness/bench/run.sh; read by run-bench.sh in the guest.
BENCH_ITERS=${BENCH_ITERS:-2000}
BENCH_ACCESS_ITERS=${BENCH_ACCESS_ITERS:-100}
BENCH_HOT_BATCH=${BENCH_HOT_BATCH:-1000}
BENCH_FRAGMENT_MB=${BENCH_FRAGMENT_MB:-auto}
BENCH_FRAG_N=${BENCH_FRAG_N:-50}
BENCH_DRAIN_ORDER=${BENCH_DRAIN_ORDER:-3}
BENCH_FRAG_HOLD=${BENCH_FRAG_HOLD:-0}
BENCH_CLOCK=${BENCH_CLOCK:-auto}
BENCH_RING_ITERS=${BENCH_RING_ITERS:-200}
BENCH_RING_FRAG_ITERS=${BENCH_RING_FRAG_ITERS:-50}
EOF
say "bench[$name]: guest directory $guest ($(du -k "$guest/bench_vcompound.ko" | cut -f1) KiB module)"

read -r -a boot_extra <<<"${BENCH_BOOT_ARGS:-}"
rc=0
"$HARNESS/boot.sh" "$name" --extra "$guest" --mem 1024M --timeout 1200 "${boot_extra[@]}" || rc=$?
[ "$rc" -eq 0 ] || say "bench[$name]: boot.sh failed (exit $rc); plotting what the log has"

[ -f "$log" ] || die "bench[$name]: no console log $log"
if python3 "$HARNESS/bench/plot.py" "$log" --md "$out/bench.md" --png "$out/bench.png"; then
	say "bench[$name]: table $out/bench.md, plot $out/bench.png"
else
	say "bench[$name]: plot.py found no benchmark results in $log"
	[ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
