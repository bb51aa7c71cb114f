#!/bin/sh
# integration: a persistent session with its own playback stream comes back with it.  session
# "player", made with {"stream": {"application": "Persist App", "target": "test-app",
# "name": "audiod-persist"}}, plays 550 Hz at 0.2; once its state file holds the graph the
# daemon is killed with SIGKILL and started again: the session is restored with its stream
# (pw-dump shows application.name "Persist App", `sessions` lists the same spec, `save` the
# same document), its tone sounds in test-app (±1 Hz, ±0.5 dB) and not in the main output.
# usage: test-persist-stream.sh AUDIOD AUDIOCTL WAV-ANALYZE
set -u
AUDIOD=$1
AUDIOCTL=$2
ANALYZE=$3
. "$(dirname "$0")/pw-env.sh"
pw_env_need pw-dump
pw_env_start
. "$(dirname "$0")/daemon-env.sh"
. "$(dirname "$0")/media-env.sh"
STATE="$XDG_STATE_HOME/audiod/sessions"

media_null_sink test-app
daemon_start --latency 1024
py - "$PW_ENV/before.json" <<'PY' || fail "could not build the session"
import json, sys
from audiod_test import Client
c = Client()
spec = {"application": "Persist App", "target": "test-app", "name": "audiod-persist"}
c.ok("session", name="player", stream=spec)
for cmd in [
    {"op": "create", "type": "OscillatorNode", "id": "osc", "options": {"frequency": 550}},
    {"op": "create", "type": "GainNode", "id": "g", "options": {"gain": 0.2}},
    {"op": "connect", "from": "osc", "to": "g"},
    {"op": "connect", "from": "g", "to": "destination"},
    {"op": "start", "id": "osc"},
]:
    c.ok(cmd.pop("op"), **cmd)
json.dump(c.ok("save")["document"], open(sys.argv[1], "w"), sort_keys=True)
PY
pw_env_wait "media_pw_has application.name 'Persist App'" 100 || fail "no stream Persist App"
pw_env_wait "grep -q '\"OscillatorNode\"' '$STATE/player.json' && grep -q '\"start\"' '$STATE/player.json'" 600 ||
	fail "the session was never saved in $STATE"
kill -KILL "$AUDIOD_PID"
wait "$AUDIOD_PID"
pw_env_untrack "$AUDIOD_PID"
pw_env_wait "! media_pw_has application.name 'Persist App'" 100 ||
	fail "the killed daemon's stream stayed"

daemon_start --latency 1024
pw_env_wait "grep -q 'session player restored' '$PW_ENV/audiod.log'" 600 ||
	fail "the session was not restored"
pw_env_wait "media_pw_has application.name 'Persist App'" 100 ||
	fail "the restored session has no stream of its own"
py - "$PW_ENV/before.json" <<'PY' || fail "the restored session"
import json, sys
from audiod_test import Client, fail
c = Client()
c.ok("session", name="player")
before = json.load(open(sys.argv[1]))
after = json.loads(json.dumps(c.ok("save")["document"], sort_keys=True))
if before != after:
    fail("documents differ:\n%s\n%s" % (json.dumps(before)[:800], json.dumps(after)[:800]))
s = [x for x in c.ok("sessions")["sessions"] if x["name"] == "player"][0]
if s.get("stream") != {"application": "Persist App", "target": "test-app",
                       "name": "audiod-persist"}:
    fail("sessions: %r" % s)
PY
pw_env_wait "pw_env_linked audiod-persist:output_ test-app:playback_" 600 ||
	fail "the restored stream was not linked to test-app"
pw_env_wait "pw_env_linked audiod:output_ test-sink:playback_" 600 ||
	fail "audiod's stream was not linked to test-sink"
media_rec_start test-app "$PW_ENV/app.wav" "stream.capture.sink = true"
rec_wait_seconds 3
rec_stop
media_check "$PW_ENV/app.wav" 550 0.2
rec_start "$PW_ENV/main.wav"
rec_wait_seconds 1
rec_stop
py - "$PW_ENV/main.wav" <<'PY' || fail "the restored session plays into the main output"
import sys
from audiod_test import read_wav
rate, channels, samples = read_wav(sys.argv[1])
peak = max(abs(x) for x in samples) if samples else 0.0
print("main output peak", peak)
if peak > 0.01:
    sys.exit("the main output is not silent: peak %g" % peak)
PY
daemon_stop
echo PASS
