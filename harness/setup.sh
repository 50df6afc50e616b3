#!/usr/bin/env bash
# Install the Debian packages the harness needs, when they are missing.
# Idempotent: does nothing (and needs no network) once all are present.
# Usage: harness/setup.sh [extra-package ...]
. "$(dirname "$0")/lib.sh"

pkgs=(build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils
      ccache qemu-system-x86 busybox-static python3 git perl rsync kmod
      dwarves python3-ply python3-git python3-sphinx python3-sphinx-rtd-theme
      python3-yaml python3-matplotlib sparse "$@")
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	say "setup: all ${#pkgs[@]} packages present"
	exit 0
fi
say "setup: installing ${missing[*]}"
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
say "setup: done"
