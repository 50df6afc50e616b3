#!/usr/bin/env bash
# Build build/linux in configuration NAME (harness/configs/NAME.conf) into
# build/out/NAME. The configuration is the conf's BASE target plus its
# fragments merged with scripts/kconfig/merge_config.sh; every option a
# fragment asks for must be in the final .config, or the build fails
# naming it (VC_NOCHECK=1 skips that, for series prefixes that do not
# define every option yet). VC_OUT overrides the output directory, VC_CONF
# the configuration file. A conf's MUST_DROP lists options that Kconfig must
# refuse although a fragment asks for them (a dependency the configuration
# is there to test). The target --config-only stops once the configuration
# is made and checked. Usage: harness/build-kernel.sh NAME [make targets...]
. "$(dirname "$0")/lib.sh"

name=${1:?usage: build-kernel.sh NAME [targets]}
shift
conf=$HARNESS/configs/$name.conf
# VC_CONF: a .conf file elsewhere (harness/matrix.sh generates some).
[ -z "${VC_CONF:-}" ] || conf=$VC_CONF
[ -f "$conf" ] || die "no configuration $name ($conf)"
ARCH= BASE= FRAGMENTS= MUST_DROP=
# shellcheck source=/dev/null
. "$conf"
out=${VC_OUT:-$BUILD/out/$name}
mkdir -p "$out"
log=$out/build.log
mk=(make -C "$LINUX" O="$out" ARCH="$ARCH" CC="ccache gcc" HOSTCC="ccache gcc" -j"$JOBS")
frags=()
for f in $FRAGMENTS; do frags+=("$TOP/$f"); done

say "build[$name]: configuring ($BASE + ${FRAGMENTS})"
"${mk[@]}" -s "$BASE" >"$log" 2>&1 || { tail -20 "$log"; die "build[$name]: make $BASE failed"; }
(cd "$out" && ARCH=$ARCH "$LINUX/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}") >>"$log" 2>&1 ||
	die "build[$name]: merge_config.sh failed (see $log)"
"${mk[@]}" -s olddefconfig >>"$log" 2>&1 || die "build[$name]: olddefconfig failed (see $log)"
[ -n "${VC_NOCHECK:-}" ] || VC_MUST_DROP="$MUST_DROP" python3 "$HARNESS/checkconfig.py" "$out/.config" "${frags[@]}" ||
	die "build[$name]: requested options did not stick (reproduce: harness/build-kernel.sh $name)"

if [ "${1:-}" = --config-only ]; then
	say "build[$name]: configured and checked, not built (--config-only)"
	exit 0
fi
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(all)
say "build[$name]: make ${targets[*]} (log: $log)"
start=$(date +%s)
set +e
"${mk[@]}" "${targets[@]}" 2>&1 | tee -a "$log" | awk -v name="$name" '
	/^  (CC|AS|LD|AR)/ { n++; if (n % 500 == 0) { printf "[build %s] %d objects...\n", name, n; fflush() } }
	/(error|warning):/ { print; fflush() }'
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] || { grep -E "error|Error" "$log" | tail -20; die "build[$name]: make failed (reproduce: harness/build-kernel.sh $name ${targets[*]})"; }
say "build[$name]: ok in $(( $(date +%s) - start ))s"
