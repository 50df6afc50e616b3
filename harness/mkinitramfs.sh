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
	od uname date true false timeout setsid cttyhack ifconfig mkfifo rm"

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
	# Rebuilt when it or the shared header (vcguest.h) is newer.
	{ [ "$bin" -nt "$c" ] && [ "$bin" -nt "$HARNESS/guest/src/vcguest.h" ]; } ||
		gcc -static -O2 -Wall -pthread -o "$bin" "$c" ||
		die "mkinitramfs: cannot build $c"
	progs+=("$bin")
done

# The kernel's own af_packet selftests, built from the tree under test, and
# variants of them with ring blocks of 32 and 128 KiB (order 3 and 5, which
# the fallback serves; the originals use 16 KiB and 4 KiB blocks): the
# variant is the source with one sed expression applied.  txring_overwrite
# sends every packet from frame 0, so its variant keeps one frame a block.
net=$LINUX/tools/testing/selftests/net
kselftest_prog() { # NAME SOURCE SED-EXPRESSION
	local bin=$BUILD/guest-bin/$1 src=$BUILD/guest-bin/$1.c
	sed -e "$3" "$net/$2" >"$src.new" || die "mkinitramfs: cannot read $net/$2"
	if [ "$3" != "" ] && cmp -s "$net/$2" "$src.new"; then
		die "mkinitramfs: '$3' changes nothing in $2 (the selftest changed?)"
	fi
	if [ -x "$bin" ] && cmp -s "$src.new" "$src"; then
		rm -f "$src.new"
	else
		mv "$src.new" "$src"
		gcc -static -O2 -Wall -pthread -I"$net" -I"$LINUX/tools/testing/selftests" -o "$bin" "$src" ||
			die "mkinitramfs: cannot build $1 from $2"
	fi
	progs+=("$bin")
}
if [ -f "$net/psock_tpacket.c" ]; then
	kselftest_prog psock_tpacket psock_tpacket.c ''
	kselftest_prog psock_tpacket_32k psock_tpacket.c 's/getpagesize() << 2;/getpagesize() << 3;/'
	kselftest_prog psock_tpacket_128k psock_tpacket.c 's/getpagesize() << 2;/getpagesize() << 5;/'
	kselftest_prog txring_overwrite txring_overwrite.c ''
	kselftest_prog txring_overwrite_32k txring_overwrite.c \
		's/req.tp_block_size = getpagesize();/req.tp_block_size = getpagesize() << 3;/; s/req.tp_frame_size = getpagesize();/req.tp_frame_size = getpagesize() << 3;/'
fi

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
