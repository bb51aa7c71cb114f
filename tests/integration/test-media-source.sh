#!/bin/sh
# integration: MediaStreamAudioDestinationNode in the rtcheck daemon.  a 660 Hz sine at 0.3
# feeds a node named "audiod-test-source" (and nothing else: the destination stays silent);
# pw-dump shows a PipeWire node of that name with media.class Audio/Source, and pw-record
# recording it gets the tone (±1 Hz, ±0.5 dB).  `get` reports the stream's counters;
# `save` keeps the name; deleting the node removes the source.
# usage: test-media-source.sh AUDIOD AUDIOCTL WAV-ANALYZE
set -u
AUDIOD=$1
AUDIOCTL=$2
ANALYZE=$3
. "$(dirname "$0")/pw-env.sh"
pw_env_need pw-dump
pw_env_start
. "$(dirname "$0")/daemon-env.sh"
. "$(dirname "$0")/media-env.sh"

daemon_start --latency 1024 --no-persist
py - <<'PY' || fail "source node"
import sys
from audiod_test import Client
c = Client()
c.ok("session", name="src")
for cmd in [
    {"op": "create", "type": "OscillatorNode", "id": "osc", "options": {"frequency": 660}},
    {"op": "create", "type": "GainNode", "id": "g", "options": {"gain": 0.3}},
    {"op": "create", "type": "MediaStreamAudioDestinationNode", "id": "out",
     "options": {"name": "audiod-test-source"}},
    {"op": "connect", "from": "osc", "to": "g"},
    {"op": "connect", "from": "g", "to": "out"},
    {"op": "start", "id": "osc"},
]:
    c.ok(cmd.pop("op"), **cmd)
got = c.ok("get", id="out")
if got["numberOfInputs"] != 1 or got["numberOfOutputs"] != 0 or got["channelCount"] != 2:
    sys.exit("get: %r" % got)
r = c.request("set", id="out", attr="channelCount", value=1)
if r.get("ok"):
    sys.exit("the stream's channel count changed: %r" % r)
PY
pw_env_wait "media_pw_has media.class Audio/Source" 100 || fail "no Audio/Source in pw-dump"
media_pw_has node.name audiod-test-source || fail "the source is not named audiod-test-source"
media_rec_start audiod-test-source "$PW_ENV/out.wav"
rec_wait_seconds 3
rec_stop
media_check "$PW_ENV/out.wav" 660 0.3

py - <<'PY' || fail "the source node's counters, save or teardown"
import sys
from audiod_test import Client
c = Client()
c.ok("session", name="src")
a = c.ok("get", id="out")["attributes"]
print("attributes:", a)
if not (0 < a["latency"] < 0.5) or a["underruns"] > 3:
    sys.exit("latency, underruns: %r" % a)
doc = c.ok("save")["document"]
node = [n for n in doc["nodes"] if n["id"] == "out"][0]
if node["options"].get("name") != "audiod-test-source" or "latency" in str(node):
    sys.exit("saved: %r" % node)
c.ok("delete", id="out")
c.ok("sync")
PY
pw_env_wait "! media_pw_has node.name audiod-test-source" 100 ||
	fail "the source outlived its node"
daemon_stop
echo PASS
