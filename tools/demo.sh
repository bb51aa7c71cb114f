#!/bin/bash
# the main job, from a fresh clone: builds audiod, makes sure a PipeWire is there (starts a
# private headless one when none runs), starts audiod (unless one already serves the
# socket), plays through it with audioctl (a 440 Hz tone, then an arpeggio), records what
# it played from the sink's monitor and shows that it worked: the recording's pitch and
# level, the daemon's graph and its stats.  everything it started is stopped at the end.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/tools/deps.sh"
[ -d "$build/meson-private" ] || meson setup "$build" "$root" >/dev/null
ninja -C "$build" >/dev/null
ctl=$build/client/audioctl
say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }

# --- PipeWire: the user's own, or a private headless one with a null sink
sink=
if timeout 3 pw-cli info 0 >/dev/null 2>&1; then
	say "using your running PipeWire (you should hear it)"
else
	. "$root/tests/integration/pw-env.sh"
	pw_env_start
	sink=test-sink
	say "no PipeWire was running: started a private headless one with a null sink in $PW_ENV"
	say "(no speakers are involved: the recording below shows what audiod played)"
fi

# --- audiod: one already serving the socket (systemd), or ours
work=$(mktemp -d "${TMPDIR:-/tmp}/audiod-demo.XXXXXX")
audiod_pid=
cleanup() {
	"$ctl" close-session demo >/dev/null 2>&1 || true
	if [ -n "$audiod_pid" ]; then
		kill -TERM "$audiod_pid" 2>/dev/null && wait "$audiod_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
	if [ -n "$sink" ]; then pw_env_stop; fi
}
trap cleanup EXIT
if [ -n "$sink" ] || ! "$ctl" time >/dev/null 2>&1; then
	export AUDIOD_SOCKET=$work/audiod.sock
	"$build/daemon/audiod" --socket "$AUDIOD_SOCKET" >"$work/audiod.log" 2>&1 &
	audiod_pid=$!
	for _ in $(seq 50); do [ -S "$AUDIOD_SOCKET" ] && break; sleep 0.1; done
	"$ctl" time >/dev/null || { cat "$work/audiod.log"; exit 1; }
	say "started audiod (pid $audiod_pid, socket $AUDIOD_SOCKET)"
else
	say "using the audiod already running"
fi

# --- record the sink's monitor while we play
target=()
[ -n "$sink" ] && target=(--target "$sink")
PIPEWIRE_CONFIG_NAME=client-rt.conf timeout -s INT 4.5 pw-record "${target[@]}" \
	--format f32 --rate 48000 --channels 2 -P '{ stream.capture.sink = true }' \
	"$work/out.wav" 2>/dev/null &
rec=$!
sleep 0.3

# --- play: in a session of our own, with the friendly commands
a() { "$ctl" --session demo "$@"; }
say "playing a 440 Hz sine at gain 0.25 for 1.5 s"
a create GainNode master gain=0.25 >/dev/null
a connect master destination >/dev/null
a create OscillatorNode tone frequency=440 >/dev/null
a connect tone master >/dev/null
now=$("$ctl" --json time | python3 -c 'import json,sys; print(json.load(sys.stdin)["currentTime"])')
# each audioctl is a process of its own: leave them time to arrive before the start
a start tone --when "$(python3 -c "print($now + 0.4)")" >/dev/null
a stop tone --when "$(python3 -c "print($now + 1.9)")" >/dev/null
a ls
sleep 2.0
say "then an A-major arpeggio, each note with an envelope"
t=$("$ctl" --json time | python3 -c 'import json,sys; print(json.load(sys.stdin)["currentTime"])')
i=0
for f in 440 554.37 659.26 880; do
	w=$(python3 -c "print($t + 0.3 + $i * 0.15)")
	a create OscillatorNode n$i type=triangle frequency=$f >/dev/null
	a create GainNode e$i gain=0 >/dev/null
	a connect n$i e$i >/dev/null
	a connect e$i master >/dev/null
	a param e$i.gain setValueAtTime 0 "$w" >/dev/null
	a param e$i.gain linearRampToValueAtTime 1 "$(python3 -c "print($w + 0.01)")" >/dev/null
	a param e$i.gain setTargetAtTime 0 "$(python3 -c "print($w + 0.05)")" 0.1 >/dev/null
	a start n$i --when "$w" >/dev/null
	a stop n$i --when "$(python3 -c "print($w + 0.8)")" >/dev/null
	i=$((i + 1))
done
wait "$rec" || true

# --- show it worked
say "what the recording holds:"
python3 - "$work/out.wav" <<'PY'
import math, struct, sys
# pw-record writes 32-bit float WAV: read its RIFF chunks directly
data = open(sys.argv[1], "rb").read()
pos, rate, ch, raw = 12, 48000, 2, b""
while pos + 8 <= len(data):
    cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
    if cid == b"fmt ":
        ch, rate = struct.unpack("<HI", data[pos + 10:pos + 16])
    elif cid == b"data":
        raw = data[pos + 8:pos + 8 + size]
    pos += 8 + size + (size & 1)
x = struct.unpack("<%df" % (len(raw) // 4), raw)[0::ch]
start = next((i for i, v in enumerate(x) if abs(v) > 1e-4), None)
if start is None:
    sys.exit("demo: the recording is silent: something is wrong")
tone = x[start + rate // 10:start + rate * 12 // 10]	# 1.1 s inside the 1.5 s tone
ups = [i + tone[i] / (tone[i] - tone[i + 1]) for i in range(len(tone) - 1)
       if tone[i] < 0 <= tone[i + 1]]
freq = (len(ups) - 1) * rate / (ups[-1] - ups[0])
amp = math.sqrt(sum(v * v for v in tone) / len(tone)) * math.sqrt(2)
rest = max(abs(v) for v in x[start + rate * 17 // 10:]) if len(x) > start + rate * 2 else 0
print("  tone:      %.2f Hz, amplitude %.4f (asked: 440 Hz, 0.25)" % (freq, amp))
print("  arpeggio:  peak %.3f after the tone" % rest)
if abs(freq - 440) > 0.5 or abs(amp - 0.25) > 0.003 or rest < 0.05:
    sys.exit("demo: the recording is not what was played")
print("  it works.")
PY
say "the daemon's counters:"
"$ctl" stats
