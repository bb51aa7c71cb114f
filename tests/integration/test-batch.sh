#!/bin/sh
# integration: `batch` is all or nothing.  a batch that creates a node, connects it, changes
# an existing node's gain automation, type and channel count, stops a playing source and
# deletes a node, then fails at its last command, must leave no trace: the reply names the
# failing index, and `save` shows the session exactly as before (nodes, connections, params,
# attributes); the same batch without the bad command applies whole, in one quantum.
# usage: test-batch.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
py - <<'PY' || fail "a failed batch left something behind"
import json, os, sys
from audiod_test import Client
c = Client(os.environ["AUDIOD_SOCKET"])
for cmd in [{"op": "create", "type": "OscillatorNode", "id": "o"},
            {"op": "create", "type": "GainNode", "id": "g", "options": {"gain": 0.5}},
            {"op": "create", "type": "GainNode", "id": "spare"},
            {"op": "connect", "from": "o", "to": "g"},
            {"op": "connect", "from": "g", "to": "destination"},
            {"op": "start", "id": "o"}]:
    c.ok(cmd.pop("op"), **cmd)
c.ok("sync")
before = c.ok("save")["document"]
good = [{"op": "create", "type": "ConstantSourceNode", "id": "k"},
        {"op": "connect", "from": "k", "to": "g.gain"},
        {"op": "param", "target": "g.gain", "method": "setValueAtTime", "args": [0.1, 0]},
        {"op": "set", "id": "o", "attr": "type", "value": "square"},
        {"op": "set", "id": "g", "attr": "channelCount", "value": 1},
        {"op": "stop", "id": "o", "when": 100},
        {"op": "delete", "id": "spare"}]
r = c.request("batch", commands=good + [{"op": "create", "type": "NoSuchNode", "id": "x"}])
print("failed batch:", json.dumps(r))
if r.get("ok") or r["error"]["code"] != "unknown_type" or r["error"].get("index") != len(good):
    sys.exit("expected unknown_type at index %d" % len(good))
c.ok("sync")
after = c.ok("save")["document"]
if after != before:
    print("before:", json.dumps(before, sort_keys=True))
    print("after: ", json.dumps(after, sort_keys=True))
    sys.exit("the session changed")
c.ok("batch", commands=good)
c.ok("sync")
doc = c.ok("save")["document"]
ids = sorted(n["id"] for n in doc["nodes"])
print("applied batch:", ids)
if "k" not in ids or "spare" in ids:
    sys.exit("the good batch did not apply")
o = c.ok("get", id="o")
g = c.ok("get", id="g")
print("o:", o["attributes"], "g channelCount:", g["channelCount"])
if o["attributes"]["type"] != "square" or g["channelCount"] != 1:
    sys.exit("the good batch's set commands did not apply")
PY
daemon_stop
echo PASS
