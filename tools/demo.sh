#!/bin/bash
# builds audiod, renders examples/demo.json (a three-second chord) with `audioctl render` and
# plays it: pw-play when a PipeWire is running, else aplay or sox's play, else prints where it is.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/tools/deps.sh"

[ -d "$build/meson-private" ] || meson setup "$build" "$root"
ninja -C "$build"

wav=$build/demo.wav
"$build/client/audioctl" render "$root/examples/demo.json" -o "$wav"
echo "demo: rendered $wav"

runtime=${XDG_RUNTIME_DIR:-/run/user/$(id -u)}
if command -v pw-play >/dev/null && [ -S "${PIPEWIRE_RUNTIME_DIR:-$runtime}/${PIPEWIRE_REMOTE:-pipewire-0}" ] &&
	pw-play "$wav"; then
	exit 0
fi
if command -v aplay >/dev/null && aplay -q "$wav" 2>/dev/null; then
	exit 0
fi
if command -v play >/dev/null && play -q "$wav" 2>/dev/null; then
	exit 0
fi
echo "demo: no audio output found; the sound is in $wav"
sox "$wav" -n stat
