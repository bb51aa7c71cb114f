#!/bin/bash
# the main job, from a fresh clone: builds audiod, makes sure a PipeWire is there (starts a
# private headless one when none runs), starts audiod (unless one already serves the
# socket), plays through it (a 440 Hz tone, then an arpeggio), records what it played from
# the sink's monitor and shows that it worked: what the recording holds, in plain words, the
# daemon's graph and its counters.  everything it started is stopped at the end.
#
# nothing here depends on luck with the clock: the recorder is known to be capturing before
# anything is scheduled, the whole schedule goes to the daemon as one batch whose times are
# relative to the moment the daemon takes it ("+0.5"), and the recording stops once the
# daemon's own clock says the end of the schedule has been heard.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/tools/deps.sh"
[ -d "$build/meson-private" ] || meson setup "$build" "$root" >/dev/null
ninja -C "$build" >/dev/null
ctl=$build/client/audioctl
analyze=$build/tests/wav-analyze
say() { printf '\033[1mdemo:\033[0m %s\n' "$*"; }
die() { printf '\033[1mdemo:\033[0m %s\n' "$*" >&2; exit 1; }

# waits up to $2 tenths of a second for the command $1 to succeed
wait_for() {
	local n=0
	until eval "$1" >/dev/null 2>&1; do
		n=$((n + 1))
		[ "$n" -lt "$2" ] || return 1
		sleep 0.1
	done
}

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
audiod_pid= rec=
cleanup() {
	[ -n "$rec" ] && kill -INT "$rec" 2>/dev/null && wait "$rec" 2>/dev/null
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
	wait_for "'$ctl' time" 100 || { cat "$work/audiod.log"; die "audiod did not come up"; }
	say "started audiod (pid $audiod_pid, socket $AUDIOD_SOCKET)"
else
	say "using the audiod already running"
fi

# --- the recorder, on the sink's monitor: started first, known to be capturing
rec_name=audiod-demo-rec-$$
target=()
[ -n "$sink" ] && target=(--target "$sink")
# real-time when allowed: on a busy machine a normal-priority recorder drops whole blocks
rt=()
chrt -f 50 true 2>/dev/null && rt=(chrt -f 50)
PIPEWIRE_CONFIG_NAME=client-rt.conf "${rt[@]}" pw-record "${target[@]}" --format f32 --rate 48000 \
	--channels 2 -P "{ node.name = $rec_name stream.capture.sink = true }" \
	"$work/out.wav" 2>"$work/rec.log" &
rec=$!
wait_for "pw-link -l | grep -q '$rec_name:' && [ \$(stat -c %s '$work/out.wav') -gt 16384 ]" 150 ||
	die "the recorder never started capturing the sink's monitor"

# --- play: the whole schedule in one batch, every time counted from when audiod takes it
cat >"$work/schedule.json" <<'JSON'
[
  {"op": "create", "type": "GainNode", "id": "master", "options": {"gain": 0.25}},
  {"op": "connect", "from": "master", "to": "destination"},
  {"op": "create", "type": "OscillatorNode", "id": "tone", "options": {"frequency": 440}},
  {"op": "connect", "from": "tone", "to": "master"},
  {"op": "start", "id": "tone", "when": "+0.5"},
  {"op": "stop", "id": "tone", "when": "+2.0"},
JSON
i=0
for note in "440 2.30 2.31 2.35 3.10" "554.37 2.45 2.46 2.50 3.25" \
	    "659.26 2.60 2.61 2.65 3.40" "880 2.75 2.76 2.80 3.55"; do
	set -- $note	# frequency, on, peak, decay from, off
	cat >>"$work/schedule.json" <<JSON
  {"op": "create", "type": "OscillatorNode", "id": "n$i", "options": {"type": "triangle", "frequency": $1}},
  {"op": "create", "type": "GainNode", "id": "e$i", "options": {"gain": 0}},
  {"op": "connect", "from": "n$i", "to": "e$i"},
  {"op": "connect", "from": "e$i", "to": "master"},
  {"op": "param", "target": "e$i.gain", "method": "setValueAtTime", "args": [0, "+$2"]},
  {"op": "param", "target": "e$i.gain", "method": "linearRampToValueAtTime", "args": [1, "+$3"]},
  {"op": "param", "target": "e$i.gain", "method": "setTargetAtTime", "args": [0, "+$4", 0.1]},
  {"op": "start", "id": "n$i", "when": "+$2"},
  {"op": "stop", "id": "n$i", "when": "+$5"}$([ $i -lt 3 ] && echo ,)
JSON
	i=$((i + 1))
done
echo "]" >>"$work/schedule.json"
a() { "$ctl" --session demo "$@"; }
say "playing a 440 Hz sine at gain 0.25 for 1.5 s, then an A-major arpeggio (one batch)"
reply=$(a --json batch "$work/schedule.json") || die "the daemon refused the schedule: $reply"
case $reply in *'"warning"'*) die "the schedule arrived late: $reply" ;; esac
now=$(printf '%s\n' "$reply" | sed -n 's/.*"now":\([0-9.eE+-]*\).*/\1/p')
[ -n "$now" ] || die "no \"now\" in the batch reply: $reply"
a ls
end=$(awk -v now="$now" 'BEGIN { printf "%.6f", now + 3.8 }')
a wait "$end" || die "the schedule was never heard to its end"
kill -INT "$rec" && wait "$rec" 2>/dev/null || true
rec=

# --- what was heard, measured only where each part is meant to sound (seconds from the
# tone's first sample: tone 0-1.5, silence 1.5-1.8, arpeggio from 1.8)
measure() { "$analyze" "$work/out.wav" --window "$1" "$2" 2>/dev/null || true; }
{ measure 0.1 1.4 | sed 's/^/tone_/'; measure 1.55 1.75 | sed 's/^/gap_/'
  measure 1.8 3.1 | sed 's/^/arp_/'; } >"$work/heard.txt"
say "what the recording holds:"
awk '
	{ v[$1] = $2 }
	END {
		if (v["tone_tone_frames"] == 0) { print "  silence: nothing was recorded"; exit 1 }
		f = v["tone_frequency"]; a = v["tone_amplitude"]
		printf "  a %.2f Hz tone at amplitude %.4f (%.1f dBFS), steady within %.2f dB\n", f, a,
		       20 * log(a) / log(10),
		       20 * log(v["tone_window_rms_max"] / v["tone_window_rms_min"]) / log(10)
		printf "  then %s between the tone and the arpeggio\n",
		       v["gap_peak"] < 1e-4 ? "silence" : sprintf("sound (peak %.4f)", v["gap_peak"])
		printf "  then the arpeggio, peaking at %.3f\n", v["arp_peak"]
		printf "  (asked: 440 Hz at 0.25 for 1.5 s, a pause, four notes)\n"
		bad = f < 439.5 || f > 440.5 || a < 0.247 || a > 0.253 || v["gap_peak"] >= 1e-4 ||
		      v["arp_peak"] < 0.05
		exit bad
	}' "$work/heard.txt" || die "the recording is not what was played"
say "it works: audiod played exactly what was scheduled"
say "the daemon's counters:"
"$ctl" stats
