#!/usr/bin/env bash
# The build matrix: the series must build, and add no compiler (W=1) or
# sparse (C=2) warning on the lines it touches, in each entry:
#
#   on       the qemu configuration (options on, FALLBACK_ALWAYS)
#   off      the same with CONFIG_VCOMPOUND=n
#   allno    allnoconfig (x86_64)
#   i386     32-bit x86 tinyconfig with HIGHMEM4G and the options on
#   mmrandN  tinyconfig + guest essentials + the options on, then ~40
#            mm-related options (harness/matrix/mmrand.py) set at random
#            from seed N; 1, 2 and 3 by default
#
# UML is built by the kunit steps of harness/test.sh. Each entry is a full
# build (vmlinux, bzImage, modules) in build/out/matrix-NAME, then
# "make W=1 C=2" of every .c file the series touches that the entry built;
# harness/matrix/newwarn.py keeps the warnings on lines the series adds or
# changes. Prints "N passed, M failed" (one check per entry).
# Usage: harness/matrix.sh [ENTRY...]   (default: on off allno i386 mmrand1 mmrand2 mmrand3)
. "$(dirname "$0")/lib.sh"

entries=${*:-on off allno i386 mmrand1 mmrand2 mmrand3}
base=$(awk '{print $3}' "$BUILD/base.done")
gen=$BUILD/matrix
mkdir -p "$gen"
pass=0 fail=0 summary=()

# The .c files the series adds or changes.
touched=$(git -C "$LINUX" diff --name-only --diff-filter=AM "$base" HEAD -- '*.c')

conf_for() {
	local e=$1 c=$gen/$1.conf
	case $e in
	on)
		echo "$HARNESS/configs/qemu.conf"; return ;;
	off)
		printf 'ARCH=x86_64\nBASE=tinyconfig\nFRAGMENTS="harness/configs/qemu-x86_64.config harness/matrix/off.config"\n' >"$c" ;;
	allno)
		printf 'ARCH=x86_64\nBASE=allnoconfig\nFRAGMENTS=""\n' >"$c" ;;
	i386)
		printf 'ARCH=i386\nBASE=tinyconfig\nFRAGMENTS="harness/matrix/i386.config Kconfig.vcompound"\n' >"$c" ;;
	mmrand*)
		python3 "$HARNESS/matrix/mmrand.py" "${e#mmrand}" >"$gen/$e.config"
		printf 'ARCH=x86_64\nBASE=tinyconfig\nFRAGMENTS="harness/configs/qemu-x86_64.config build/matrix/%s.config"\n' "$e" >"$c" ;;
	*)
		die "matrix: unknown entry $e (entries: on off allno i386 mmrandN)" ;;
	esac
	echo "$c"
}

entry() {
	local e=$1 conf out arch nocheck=
	conf=$(conf_for "$e")
	out=$BUILD/out/matrix-$e
	[ "$e" = on ] && out=$BUILD/out/qemu
	case $e in mmrand*) nocheck=1 ;; esac
	VC_CONF=$conf VC_OUT=$out VC_NOCHECK=$nocheck "$HARNESS/build-kernel.sh" "matrix-$e" || return 1
	if [ "$e" != off ] && [ "$e" != allno ] &&
	   ! grep -q '^CONFIG_VCOMPOUND=y' "$out/.config"; then
		say "matrix[$e]: CONFIG_VCOMPOUND did not stick"
		return 1
	fi
	arch=$(sed -n 's/^ARCH=//p' "$conf")
	objs=()
	for f in $touched; do
		[ -f "$out/${f%.c}.o" ] && objs+=("${f%.c}.o")
	done
	say "matrix[$e]: W=1 C=2 on ${#objs[@]} touched objects"
	make -C "$LINUX" O="$out" ARCH="$arch" CC="ccache gcc" HOSTCC="ccache gcc" \
		-j"$JOBS" W=1 C=2 "${objs[@]}" >"$out/w1.log" 2>&1 ||
		{ tail -20 "$out/w1.log"; say "matrix[$e]: W=1 C=2 build failed"; return 1; }
	python3 "$HARNESS/matrix/newwarn.py" "$LINUX" "$base" "$out/w1.log"
}

for e in $entries; do
	start=$(date +%s)
	if entry "$e"; then
		pass=$((pass + 1)); r=ok
	else
		fail=$((fail + 1)); r=FAIL
	fi
	summary+=("$(printf '%-10s %-4s %5ds' "$e" "$r" $(( $(date +%s) - start )))")
done
printf '%s\n' "${summary[@]}"
echo "matrix: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
