#!/bin/sh
# integration: a 440 Hz sine at gain 0.5 built through the socket (Oscillator -> Gain ->
# destination, in the default session) is recorded with pw-record from before it starts
# until 5.5 s after its first frame has been heard: frequency within 0.5 Hz, level within
# 0.1 dB of 0.5, every 50 ms window steady, no gap, no step larger than the sine's own slope,
# at least 5 s of tone.  the daemon is the rtcheck build.
# usage: test-socket-tone.sh AUDIOD WAV-ANALYZE
set -u
AUDIOD=$1
ANALYZE=$2
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
rec_start "$PW_ENV/out.wav"
py - <<'PY' || fail "building the tone through the socket failed"
from audiod_test import Client
c = Client()
c.ok("hello", client="test-socket-tone")
c.ok("create", type="OscillatorNode", id="osc", options={"frequency": 440})
c.ok("create", type="GainNode", id="g", options={"gain": 0.5})
c.ok("connect", **{"from": "osc", "to": "g"})
c.ok("connect", **{"from": "g", "to": "destination"})
c.ok("start", id="osc")
first = c.ok("sync")["frame"]           # the tone's first frame
rate = c.time()["sampleRate"]
print("the tone starts at frame", first)
c.wait_heard(first + int(5.5 * rate), since=first)
PY
rec_stop
daemon_stop
grep -q 'totals:.* underruns 0 ' "$PW_ENV/audiod.log" || fail "audiod counted underruns"

"$ANALYZE" "$PW_ENV/out.wav" >"$PW_ENV/analysis.txt" || fail "no tone in the recording"
cat "$PW_ENV/analysis.txt"
awk '
	{ v[$1] = $2 }
	function db(x) { return 20 * log(x / 0.5) / log(10) }
	function check(ok, what) { if (!ok) { print "FAIL: " what; bad = 1 } }
	END {
		check(v["tone_frames"] >= 5 * 48000, "tone shorter than 5 s: " v["tone_frames"])
		check(v["frequency"] >= 439.5 && v["frequency"] <= 440.5, "frequency " v["frequency"])
		check(db(v["amplitude"]) >= -0.1 && db(v["amplitude"]) <= 0.1, \
		      "level " db(v["amplitude"]) " dB from 0.5")
		check(db(v["window_rms_min"] * sqrt(2)) >= -0.1, "a 50 ms window dropped")
		check(db(v["window_rms_max"] * sqrt(2)) <= 0.1, "a 50 ms window rose")
		check(v["longest_quiet_run"] <= 4, "gap of " v["longest_quiet_run"] " quiet frames")
		# a 440 Hz sine at 0.5 moves at most 2 pi 440 0.5 / 48000 = 0.0288 per sample
		check(v["max_step"] <= 0.0295, "discontinuity: step " v["max_step"])
		check(v["channel_diff"] <= 1e-6, "channels differ by " v["channel_diff"])
		exit bad
	}' "$PW_ENV/analysis.txt" || fail "recorded tone out of bounds"
echo "PASS"
