#!/bin/sh
# integration: persistent sessions outlive the daemon.  a session with a playing oscillator,
# a buffer, a looping source on it and automation still to come is made; once its state file
# holds all of it (the daemon writes it within a second of a change), the daemon is killed
# with SIGKILL (no chance to save at exit) and started again: `save` of the session must give
# the same document as before, an ephemeral session must not come back, and the restored
# graph must play (its bus meter).  then close-session removes the session for good: after a
# clean restart it is gone.
# usage: test-persist.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"
STATE="$XDG_STATE_HOME/audiod/sessions"

daemon_start --latency 1024
py - "$PW_ENV/before.json" <<'PY' || fail "could not build the session"
import json, sys
from audiod_test import Client
c = Client()
c.ok("session", name="music")
c.ok("buffer", name="n", spec={"generate": "noise", "seed": 7, "length": 4800})
for cmd in [
    {"op": "create", "type": "OscillatorNode", "id": "o", "options": {"frequency": 330}},
    {"op": "create", "type": "GainNode", "id": "g", "options": {"gain": 0.3}},
    {"op": "create", "type": "AudioBufferSourceNode", "id": "b", "buffer": "n",
     "options": {"loop": True}},
    {"op": "connect", "from": "o", "to": "g"},
    {"op": "connect", "from": "b", "to": "g"},
    {"op": "connect", "from": "g", "to": "destination"},
    {"op": "start", "id": "o"},
    {"op": "start", "id": "b"},
    {"op": "param", "target": "g.gain", "method": "linearRampToValueAtTime", "args": [0.1, 500]},
]:
    c.ok(cmd.pop("op"), **cmd)
e = Client(); e.ok("session", name="passing", ephemeral=True); e.ok("create", type="GainNode", id="x")
json.dump(c.ok("save")["document"], open(sys.argv[1], "w"), sort_keys=True)
PY
# the state file is written within about a second of the last change: wait until it holds
# the whole session (the buffer and the automation), then kill without warning
pw_env_wait "grep -q '\"linearRampToValueAtTime\"' '$STATE/music.json' && grep -q '\"n\":' '$STATE/music.json'" 600 ||
	fail "the session was never saved in $STATE"
[ -e "$STATE/passing.json" ] && fail "an ephemeral session was saved"
kill -KILL "$AUDIOD_PID"
wait "$AUDIOD_PID"
pw_env_untrack "$AUDIOD_PID"

daemon_start --latency 1024
# the daemon restores before it serves its first client; the log line may trail daemon_start
pw_env_wait "grep -q 'session music restored' '$PW_ENV/audiod.log'" 600 ||
	fail "the session was not restored"
py - "$PW_ENV/before.json" <<'PY' || fail "the restored session is not the one saved"
import json, sys, time
from audiod_test import Client, fail
c = Client()
c.ok("session", name="music")
before = json.load(open(sys.argv[1]))
after = json.loads(json.dumps(c.ok("save")["document"], sort_keys=True))
if before != after:
    fail("documents differ:\n%s\n%s" % (json.dumps(before)[:800], json.dumps(after)[:800]))
names = [s["name"] for s in c.ok("sessions")["sessions"]]
if "passing" in names or "music" not in names:
    fail("sessions after restart: %r" % names)
# the restored graph plays: its bus meter rises (polled, with a deadline)
end = time.monotonic() + 30
while True:
    s = [x for x in c.ok("sessions")["sessions"] if x["name"] == "music"][0]
    if s["peak"] > 0.1:
        break
    if time.monotonic() > end:
        fail("the restored session is silent: %r" % s)
    time.sleep(0.05)
print("restored and playing, peak", s["peak"])
c.ok("close-session", name="music")
PY
[ -e "$STATE/music.json" ] && fail "close-session left the state file"
daemon_stop
[ -s "$STATE/default.json" ] || fail "a clean stop did not save the default session"
daemon_start --latency 1024
py - <<'PY' || fail "a closed session came back"
from audiod_test import Client, fail
names = [s["name"] for s in Client().ok("sessions")["sessions"]]
if "music" in names:
    fail("sessions: %r" % names)
PY
daemon_stop
echo PASS
