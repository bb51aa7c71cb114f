#!/bin/bash
# installs what audiod needs to build and test (Debian 12 package names), skipping apt
# entirely when every package is already installed.  used by tools/test.sh, tools/demo.sh, .ci/run.
set -euo pipefail

packages=(
	meson ninja-build pkg-config gcc libc6-dev
	libjson-c-dev libcmocka-dev libsndfile1-dev libsamplerate0-dev libfftw3-dev
	libpipewire-0.3-dev libspa-0.2-dev pipewire pipewire-bin wireplumber
	libsystemd-dev systemd sox libmysofa-dev libmysofa1 graphviz python3 strace
	liblilv-dev swh-lv2 x42-plugins
)
# the Node.js package (bindings/node): node runs its tests, node_api.h builds its addon
# (Debian's libnode-dev has it; a nodejs that brings its own headers needs nothing more)
command -v node >/dev/null || packages+=(nodejs)
[ -f /usr/include/node/node_api.h ] || [ -f /usr/local/include/node/node_api.h ] ||
	packages+=(libnode-dev)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
	sudo=(sudo)
fi
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
	apt-get install -y --no-install-recommends "${missing[@]}"
