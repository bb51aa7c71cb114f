#!/bin/sh
# integration: two clients in two sessions are mixed, and an ephemeral one dies by SIGKILL.
# session "music" (persistent): a 440 Hz sine at 0.2 panned hard left; session "fx"
# (ephemeral, a separate process): a ConstantSourceNode at 0.5 panned hard right.  the fx
# client is killed once 2 s of both have been heard in the recording: the right channel
# must fall from 0.5 to silence within 10 ms without a step (a ramp), "fx" must vanish
# from `sessions` with its nodes, and the left channel must play on unchanged (frequency,
# level, no gap or click) until 1.5 s after fx's session closed has been heard.
# usage: test-sessions.sh AUDIOD WAV-ANALYZE
set -u
AUDIOD=$1
ANALYZE=$2
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
rec_start "$PW_ENV/out.wav"
py - <<'PY' || fail "the music session could not be built"
from audiod_test import Client
c = Client()
c.ok("session", name="music")
c.ok("create", type="OscillatorNode", id="osc", options={"frequency": 440})
c.ok("create", type="GainNode", id="g", options={"gain": 0.2})
c.ok("create", type="StereoPannerNode", id="left", options={"pan": -1})
for a, b in [("osc", "g"), ("g", "left"), ("left", "destination")]:
    c.ok("connect", **{"from": a, "to": b})
c.ok("start", id="osc")
c.ok("sync")
PY
# the fx client stays connected until it is killed; it prints the frame its source starts at
python3 - >"$PW_ENV/fx.log" 2>&1 <<'PY' &
import time
from audiod_test import Client
c = Client()
c.ok("hello", client="fx-player")
c.ok("session", name="fx", ephemeral=True)
c.ok("create", type="ConstantSourceNode", id="dc", options={"offset": 0.5})
c.ok("create", type="StereoPannerNode", id="right", options={"pan": 1})
c.ok("connect", **{"from": "dc", "to": "right"})
c.ok("connect", **{"from": "right", "to": "destination"})
c.ok("start", id="dc")
print("ready", c.ok("sync")["frame"], flush=True)
while True:
    time.sleep(60)
PY
FX_PID=$!
pw_env_track "$FX_PID"
pw_env_wait "grep -q ready '$PW_ENV/fx.log'" 600 ||
	fail "the fx client did not start: $(cat "$PW_ENV/fx.log")"
FX_FRAME=$(sed -n 's/^ready //p' "$PW_ENV/fx.log")
py - <<'PY' || fail "sessions does not list both"
from audiod_test import Client, fail
s = {x["name"]: x for x in Client().ok("sessions")["sessions"]}
print(s)
if s.get("fx", {}).get("nodes") != 2 or s.get("music", {}).get("nodes") != 3:
    fail("expected fx with 2 nodes and music with 3")
if s["fx"]["clients"] != ["fx-player"] or not s["fx"]["ephemeral"]:
    fail("fx: wrong clients or not ephemeral")
PY
# both sessions sound from FX_FRAME on: 2 s of them heard, then the kill
py - "$FX_FRAME" <<'PY' || fail "the music and fx sessions were not heard"
import sys
from audiod_test import Client
c = Client()
first = int(sys.argv[1])
c.wait_heard(first + int(2 * c.time()["sampleRate"]), since=first)
PY
kill -KILL "$FX_PID"
wait "$FX_PID" 2>/dev/null
pw_env_untrack "$FX_PID"
py - <<'PY' || fail "the ephemeral session outlived its client"
import time
from audiod_test import Client, fail, DEADLINE
c = Client()
end = time.monotonic() + DEADLINE
while time.monotonic() < end:
    s = {x["name"]: x for x in c.ok("sessions")["sessions"]}
    if "fx" not in s:
        break
    time.sleep(0.02)
else:
    fail("fx still listed %d s after its client died" % DEADLINE)
# fx has closed, its fade rendered: the music plays on alone for 1.5 s more
gone = c.time()["frame"]
print("fx closed by frame", gone)
if s["music"]["nodes"] != 3:
    fail("music lost nodes: %r" % s["music"])
if c.ok("stats")["nodes"] != 3:
    fail("the engine still holds fx's nodes")
c.wait_heard(gone + int(1.5 * c.time()["sampleRate"]))
PY
rec_stop
daemon_stop
grep -q 'totals:.* underruns 0 ' "$PW_ENV/audiod.log" || fail "audiod counted underruns"

py - "$PW_ENV/out.wav" <<'PY' || fail "the fx fade is wrong"
import sys
from audiod_test import read_wav, channel, fail
rate, chans, s = read_wav(sys.argv[1])
r = channel(s, chans, 1)
full = [i for i, v in enumerate(r) if abs(v - 0.5) < 1e-4]
if not full:
    fail("the fx session was never heard")
last = full[-1]
gone = next((i for i in range(last, len(r)) if abs(r[i]) < 1e-4), None)
if gone is None:
    fail("the fx session never went silent")
step = max(abs(r[i] - r[i - 1]) for i in range(last + 1, gone + 1))
print("fade: %d frames (%.2f ms), largest step %.4f" % (gone - last, (gone - last) * 1000.0 / rate, step))
if gone - last > rate / 100:
    fail("the fade took %.2f ms" % ((gone - last) * 1000.0 / rate))
if step > 0.02:
    fail("the fade clicks: a step of %.4f" % step)
if any(abs(v) > 1e-4 for v in r[gone:]):
    fail("fx came back after its fade")
PY
"$ANALYZE" "$PW_ENV/out.wav" >"$PW_ENV/analysis.txt" || fail "no tone on the left"
cat "$PW_ENV/analysis.txt"
awk '
	{ v[$1] = $2 }
	function db(x) { return 20 * log(x / 0.2) / log(10) }
	function check(ok, what) { if (!ok) { print "FAIL: " what; bad = 1 } }
	END {
		check(v["tone_frames"] >= 3 * 48000, "tone shorter than 3 s: " v["tone_frames"])
		check(v["frequency"] >= 439.5 && v["frequency"] <= 440.5, "frequency " v["frequency"])
		check(db(v["amplitude"]) >= -0.1 && db(v["amplitude"]) <= 0.1, "level " db(v["amplitude"]))
		check(db(v["window_rms_min"] * sqrt(2)) >= -0.1, "a 50 ms window dropped")
		check(db(v["window_rms_max"] * sqrt(2)) <= 0.1, "a 50 ms window rose")
		check(v["longest_quiet_run"] <= 4, "gap of " v["longest_quiet_run"] " quiet frames")
		check(v["max_step"] <= 0.0121, "discontinuity: step " v["max_step"])
		exit bad
	}' "$PW_ENV/analysis.txt" || fail "the music session did not play on unchanged"
echo "PASS"
