#!/bin/sh
# integration: a session with a PipeWire playback stream of its own, in the rtcheck daemon.
# session "a" plays 440 Hz at 0.2 into the main output (test-sink); session "b", made with
# {"stream": {"application": "My App", "role": "Music", "target": "test-app",
# "name": "audiod-my-app"}}, plays 880 Hz at 0.2 into its own stream, which plays to a
# second null sink, test-app.  pw-dump shows the stream with that application.name and
# media.role; each sink's monitor, recorded, carries only its own tone (±1 Hz, ±0.5 dB:
# the other tone mixed in would move both); `sessions` lists b's stream; asking an existing
# session for a stream is invalid_state; `audioctl --session c --stream APP` makes one.
# usage: test-media-streams.sh AUDIOD AUDIOCTL WAV-ANALYZE
set -u
AUDIOD=$1
AUDIOCTL=$2
ANALYZE=$3
. "$(dirname "$0")/pw-env.sh"
pw_env_need pw-dump
pw_env_start
. "$(dirname "$0")/daemon-env.sh"
. "$(dirname "$0")/media-env.sh"

media_null_sink test-app
daemon_start --latency 1024 --no-persist
py - <<'PY' || fail "the two sessions"
import sys
from audiod_test import Client

def tone(c, hz):
    for cmd in [
        {"op": "create", "type": "OscillatorNode", "id": "osc", "options": {"frequency": hz}},
        {"op": "create", "type": "GainNode", "id": "g", "options": {"gain": 0.2}},
        {"op": "connect", "from": "osc", "to": "g"},
        {"op": "connect", "from": "g", "to": "destination"},
        {"op": "start", "id": "osc"},
    ]:
        c.ok(cmd.pop("op"), **cmd)

a = Client()
a.ok("session", name="a")
tone(a, 440)
b = Client()
spec = {"application": "My App", "role": "Music", "target": "test-app", "name": "audiod-my-app"}
b.ok("session", name="b", stream=spec)
tone(b, 880)
r = a.request("session", name="a", stream={"application": "x"})
if r.get("ok") or r["error"]["code"] != "invalid_state":
    sys.exit("a stream for an existing session: %r" % r)
r = a.request("session", name="c", stream={"role": 1})
if r.get("ok"):
    sys.exit("a stream spec with a number: %r" % r)
listed = {s["name"]: s for s in a.ok("sessions")["sessions"]}
if listed["b"].get("stream") != spec or "stream" in listed["a"]:
    sys.exit("sessions: %r" % listed)
doc = b.ok("save")["document"]
if any("stream" in n["id"] for n in doc["nodes"]):
    sys.exit("the stream's node is saved: %r" % doc)
print("sessions a and b play")
PY
pw_env_wait "media_pw_has application.name 'My App'" 100 || fail "no application.name My App"
media_pw_has media.role Music || fail "no media.role Music"
pw_env_wait "pw_env_linked audiod-my-app:output_ test-app:playback_" 600 ||
	fail "b's stream was not linked to test-app"
pw_env_wait "pw_env_linked audiod:output_ test-sink:playback_" 600 ||
	fail "audiod's stream was not linked to test-sink"

rec_start "$PW_ENV/main.wav"
rec_wait_seconds 3
rec_stop
media_check "$PW_ENV/main.wav" 440 0.2

media_rec_start test-app "$PW_ENV/app.wav" "stream.capture.sink = true"
rec_wait_seconds 3
rec_stop
media_check "$PW_ENV/app.wav" 880 0.2

# audioctl: --stream makes the session with a stream; joining it again changes nothing
"$AUDIOCTL" --session c --stream "Ctl App" --stream-role Game time >/dev/null ||
	fail "audioctl --stream"
"$AUDIOCTL" --session c --stream "Ctl App" time >/dev/null || fail "audioctl --stream again"
pw_env_wait "media_pw_has application.name 'Ctl App'" 100 || fail "no stream for audioctl's session"
media_pw_has media.role Game || fail "no media.role Game"
daemon_stop
echo PASS
