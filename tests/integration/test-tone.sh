#!/bin/sh
# integration: audiod against a private PipeWire plays the 440 Hz sine at amplitude 0.2 a client asks for
# (Oscillator -> Gain 0.2 -> destination).  once audiod's stream is linked to the sink, the
# sink's monitor is recorded with pw-record until the file holds 3 s more than when the
# recorder was confirmed capturing; checks frequency (±0.5 Hz), level (±0.1 dB), steadiness
# (every 50 ms window within 0.1 dB), continuity (no quiet run, no step larger than the
# sine's own slope), both channels equal, and that audiod (an rtcheck build) stays up and
# exits cleanly.
# usage: test-tone.sh AUDIOD WAV-ANALYZE
set -u
AUDIOD=$1
ANALYZE=$2
. "$(dirname "$0")/pw-env.sh"
pw_env_start

fail() {
	echo "FAIL: $*" >&2
	echo "--- audiod log" >&2
	cat "$PW_ENV/audiod.log" >&2
	pw_env_logs
	exit 1
}

# quantum 1024 (PipeWire's default): on a busy 2-core machine shared with other real-time
# clients, smaller quanta occasionally lose a graph cycle, which is PipeWire's doing, not ours
export AUDIOD_SOCKET="$PW_ENV/audiod.sock"
"$AUDIOD" --socket "$AUDIOD_SOCKET" --no-persist --latency 1024 -v >"$PW_ENV/audiod.log" 2>&1 \
	</dev/null &
AUDIOD_PID=$!
pw_env_track "$AUDIOD_PID"
pw_env_wait "grep -q 'playing:' '$PW_ENV/audiod.log'" 600 || fail "audiod never started playing"
pw_env_wait "test -S '$AUDIOD_SOCKET'" 600 || fail "audiod never listened"
pw_env_run python3 "$(dirname "$0")/audiod_test.py" tone ||
	fail "the tone's graph was refused"
pw_env_wait "pw_env_linked audiod:output_ test-sink:playback_" 600 ||
	fail "audiod's stream was not linked to test-sink"

rec_start "$PW_ENV/out.wav"
rec_wait_seconds 3
rec_stop

pw_env_alive "$AUDIOD_PID" || fail "audiod died while playing"
kill -TERM "$AUDIOD_PID"
wait "$AUDIOD_PID"
rc=$?
pw_env_untrack "$AUDIOD_PID"
[ "$rc" -eq 0 ] || fail "audiod exited with status $rc"
grep -q 'rtcheck:' "$PW_ENV/audiod.log" && fail "rtcheck reported a real-time violation"
grep 'totals:' "$PW_ENV/audiod.log"
grep -q 'totals:.* underruns 0 ' "$PW_ENV/audiod.log" || fail "audiod counted underruns"

"$ANALYZE" "$PW_ENV/out.wav" >"$PW_ENV/analysis.txt" || fail "no tone in the recording"
cat "$PW_ENV/analysis.txt"

# awk exits 1 and says why when any bound is broken
awk '
	{ v[$1] = $2 }
	function db(x) { return 20 * log(x / 0.2) / log(10) }
	function check(ok, what) { if (!ok) { print "FAIL: " what; bad = 1 } }
	END {
		check(v["tone_frames"] >= 2.5 * 48000, "tone shorter than 2.5 s: " v["tone_frames"])
		check(v["frequency"] >= 439.5 && v["frequency"] <= 440.5, "frequency " v["frequency"])
		check(db(v["amplitude"]) >= -0.1 && db(v["amplitude"]) <= 0.1, \
		      "level " db(v["amplitude"]) " dB from 0.2")
		check(db(v["window_rms_min"] * sqrt(2)) >= -0.1, "a 50 ms window dropped to " \
		      db(v["window_rms_min"] * sqrt(2)) " dB")
		check(db(v["window_rms_max"] * sqrt(2)) <= 0.1, "a 50 ms window rose to " \
		      db(v["window_rms_max"] * sqrt(2)) " dB")
		check(v["longest_quiet_run"] <= 4, "gap of " v["longest_quiet_run"] " quiet frames")
		# a 440 Hz sine at 0.2 moves at most 2 pi 440 0.2 / 48000 = 0.01152 per sample
		check(v["max_step"] <= 0.0121, "discontinuity: step " v["max_step"])
		check(v["channel_diff"] <= 1e-6, "channels differ by " v["channel_diff"])
		exit bad
	}' "$PW_ENV/analysis.txt" || fail "recorded tone out of bounds"
echo "PASS"
