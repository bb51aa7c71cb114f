#!/bin/sh
# integration: `save` gives a document `load` makes the same session from.  a session with a
# custom PeriodicWave, an IIR filter, a long delay in a feedback loop, a merger, a biquad
# with pending automation, a looping buffer source with offset and duration, a panner and
# listener automation is saved, loaded into a second session, saved again: the two
# documents must be equal (node for node, connection for connection; the listener, shared
# by all sessions, is checked to be there).
# usage: test-save.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
py - <<'PY' || fail "save and load do not round-trip"
import json, os, sys
from audiod_test import Client
c = Client(os.environ["AUDIOD_SOCKET"])
c.ok("session", name="a")
c.ok("buffer", name="n", spec={"generate": "noise", "seed": 5, "length": 4800})
cmds = [
    {"op": "create", "type": "OscillatorNode", "id": "o",
     "periodicWave": {"real": [0, 0.5, 0.25], "imag": [0, 1, 0.5], "disableNormalization": True}},
    {"op": "create", "type": "IIRFilterNode", "id": "f",
     "options": {"feedforward": [0.5, 0.25], "feedback": [1, -0.5]}},
    {"op": "create", "type": "DelayNode", "id": "d", "options": {"maxDelayTime": 3, "delayTime": 0.5}},
    {"op": "create", "type": "GainNode", "id": "fb", "options": {"gain": 0.3}},
    {"op": "create", "type": "ChannelMergerNode", "id": "m", "options": {"numberOfInputs": 3}},
    {"op": "create", "type": "BiquadFilterNode", "id": "q", "options": {"type": "highpass", "Q": 3}},
    {"op": "create", "type": "AudioBufferSourceNode", "id": "b", "buffer": "n",
     "options": {"loop": True, "loopStart": 0.01, "loopEnd": 0.05}},
    {"op": "create", "type": "PannerNode", "id": "p", "options": {"positionX": 2, "distanceModel": "linear"}},
    {"op": "connect", "from": "o", "to": "f"},
    {"op": "connect", "from": "f", "to": "d"},
    {"op": "connect", "from": "d", "to": "fb"},
    {"op": "connect", "from": "fb", "to": "d"},
    {"op": "connect", "from": "d", "to": "m", "output": 0, "input": 2},
    {"op": "connect", "from": "m", "to": "q"},
    {"op": "connect", "from": "b", "to": "p"},
    {"op": "connect", "from": "o", "to": "q.frequency"},
    {"op": "connect", "from": "q", "to": "destination"},
    {"op": "connect", "from": "p", "to": "destination"},
    {"op": "param", "target": "q.frequency", "method": "setValueAtTime", "args": [500, 100]},
    {"op": "param", "target": "q.frequency", "method": "exponentialRampToValueAtTime", "args": [2000, 101]},
    {"op": "param", "target": "listener.positionZ", "method": "linearRampToValueAtTime", "args": [3, 200]},
    {"op": "start", "id": "o", "when": 100},
    {"op": "start", "id": "b", "when": 100, "offset": 0.02, "duration": 5},
    {"op": "stop", "id": "o", "when": 150},
]
for cmd in cmds:
    c.ok(cmd.pop("op"), **cmd)
first = c.ok("save")["document"]
c.ok("session", name="b")
c.ok("load", document=first)
second = c.ok("save")["document"]
for doc in (first, second):
    doc["nodes"].sort(key=lambda n: n["id"])
# the listener is the engine's, shared by every session: loading the document into a second
# session schedules its automation once more on the same listener
if "listener" not in first:
    sys.exit("the listener's automation is missing")
del first["listener"], second["listener"]
if first != second:
    print(json.dumps(first, sort_keys=True, indent=1))
    print(json.dumps(second, sort_keys=True, indent=1))
    sys.exit("the documents differ")
print("round trip of", len(first["nodes"]), "nodes and", len(first["connections"]), "connections")
PY
daemon_stop
echo PASS
