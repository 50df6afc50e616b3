#!/usr/bin/env bash
# Build an uncompressed newc initramfs for the QEMU guest with the kernel's
# own usr/gen_init_cpio: static busybox plus applet links, /dev/console,
# empty /dev /proc /sys /tmp, /init = harness/guest/init, and every
# EXTRA_DIR copied recursively to /opt/<basename of EXTRA_DIR>; the C
# programs in harness/guest/src/ are built statically into /bin.
# Usage: harness/mkinitramfs.sh KERNEL_OUT_DIR INITRAMFS_PATH [EXTRA_DIR...]
. "$(dirname "$0")/lib.sh"

out=${1:?usage: mkinitramfs.sh KERNEL_OUT_DIR INITRAMFS_PATH [EXTRA_DIR...]}
dest=${2:?usage: mkinitramfs.sh KERNEL_OUT_DIR INITRAMFS_PATH [EXTRA_DIR...]}
shift 2
busybox=/bin/busybox
applets="sh mount cat echo grep sed awk ls mkdir sleep insmod rmmod modprobe dd
	head tail wc tr cut seq printf test [ kill ps sync poweroff reboot find xargs
	od uname date true false timeout setsid cttyhack"

[ -x "$busybox" ] || die "mkinitramfs: no $busybox (apt-get install busybox-static)"
gen=$out/usr/gen_init_cpio
if [ ! -x "$gen" ]; then
	gen=$BUILD/gen_init_cpio
	[ -x "$gen" ] && [ "$gen" -nt "$LINUX/usr/gen_init_cpio.c" ] ||
		gcc -O2 -o "$gen" "$LINUX/usr/gen_init_cpio.c" || die "mkinitramfs: cannot build $gen"
fi

mkdir -p "$BUILD/guest-bin"
progs=()
for c in "$HARNESS"/guest/src/*.c; do
	[ -e "$c" ] || continue
	bin=$BUILD/guest-bin/$(basename "$c" .c)
	[ "$bin" -nt "$c" ] || gcc -static -O2 -Wall -pthread -o "$bin" "$c" ||
		die "mkinitramfs: cannot build $c"
	progs+=("$bin")
done

list=$(mktemp)
trap 'rm -f "$list"' EXIT
{
	for d in /bin /dev /proc /sys /tmp /opt; do echo "dir $d 0755 0 0"; done
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "file /bin/busybox $busybox 0755 0 0"
	for a in $applets; do echo "slink /bin/$a busybox 0777 0 0"; done
	echo "file /init $HARNESS/guest/init 0755 0 0"
	for b in "${progs[@]}"; do echo "file /bin/$(basename "$b") $b 0755 0 0"; done
	for x in "$@"; do
		[ -d "$x" ] || die "mkinitramfs: extra dir $x does not exist"
		src=$(cd "$x" && pwd)
		top=/opt/$(basename "$src")
		echo "dir $top 0755 0 0"
		# gen_init_cpio's list format is whitespace-separated.
		if find "$src" -name '*[[:space:]]*' | grep -q .; then
			die "mkinitramfs: file names with whitespace under $src"
		fi
		(cd "$src" && find . -mindepth 1 -printf '%y %P %m %l\n' | LC_ALL=C sort -k2) |
		while read -r type rel mode link; do
			case $type in
			d) echo "dir $top/$rel $mode 0 0" ;;
			f) echo "file $top/$rel $src/$rel $mode 0 0" ;;
			l) echo "slink $top/$rel $link $mode 0 0" ;;
			*) die "mkinitramfs: unsupported file type $type: $src/$rel" ;;
			esac
		done
	done
} >"$list"

mkdir -p "$(dirname "$dest")"
"$gen" -t 0 "$list" >"$dest.tmp" || die "mkinitramfs: gen_init_cpio failed (list: $list)"
mv "$dest.tmp" "$dest"
say "mkinitramfs: $dest ($(du -k "$dest" | cut -f1) KiB${*:+, extra: $*})"
