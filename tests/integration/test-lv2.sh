#!/bin/sh
# integration: LV2Nodes in the live daemon (the rtcheck build: the render thread activates
# and runs the plugins without allocating or locking).  swh-lv2's amp is created with an
# option and automation, fed and rendered; `get` shows its port as a param; an unknown URI is
# refused; `save` keeps its uri and `load` into a second session gives the same document,
# which `audioctl render` renders offline to the amp's known response.  exits 77 (skipped)
# when the plugin is not installed (tools/deps.sh installs it).
# usage: test-lv2.sh AUDIOD AUDIOCTL
set -u
AUDIOD=$1
AUDIOCTL=$2
AMP=http://plugin.org.uk/swh-plugins/amp
"$AUDIOCTL" plugins "$AMP" >/dev/null 2>&1 || { echo "skipped: no $AMP (or no lilv)"; exit 77; }
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
py - "$AMP" "$PW_ENV/saved.json" <<'PY' || fail "LV2Node in the daemon"
import json, os, sys
from audiod_test import Client
amp, saved = sys.argv[1], sys.argv[2]
c = Client(os.environ["AUDIOD_SOCKET"])
c.ok("session", name="a")
r = c.request("create", type="LV2Node", id="x", options={"uri": amp + "x"})
if r.get("ok") or r["error"]["code"] != "invalid_value" or amp not in r["error"]["message"]:
    sys.exit("unknown URI: %r" % r)
cmds = [
    {"op": "create", "type": "ConstantSourceNode", "id": "c", "options": {"offset": 0.5}},
    {"op": "create", "type": "LV2Node", "id": "amp", "options": {"uri": amp, "gain": -6}},
    {"op": "connect", "from": "c", "to": "amp"},
    {"op": "connect", "from": "amp", "to": "destination"},
    {"op": "param", "target": "amp.gain", "method": "setValueAtTime", "args": [6, 1000]},
    {"op": "start", "id": "c", "when": 0},
]
for cmd in cmds:
    c.ok(cmd.pop("op"), **cmd)
c.wait_rendered(c.time()["frame"] + 48000)
got = c.ok("get", id="amp")
if got["type"] != "LV2Node" or abs(got["params"]["gain"] + 6) > 1e-6 or \
        got["channelCount"] != 1 or got["channelCountMode"] != "explicit":
    sys.exit("get: %r" % got)
first = c.ok("save")["document"]
node = [n for n in first["nodes"] if n["id"] == "amp"][0]
if node["type"] != "LV2Node" or node["options"].get("uri") != amp or \
        node["options"].get("gain") != -6 or "setValueAtTime" not in json.dumps(node["params"]):
    sys.exit("saved: %r" % node)
c.ok("session", name="b")
c.ok("load", document=first)
second = c.ok("save")["document"]
for doc in (first, second):
    doc["nodes"].sort(key=lambda n: n["id"])
    doc.pop("listener", None)
if first != second:
    print(json.dumps(first, sort_keys=True, indent=1))
    print(json.dumps(second, sort_keys=True, indent=1))
    sys.exit("the documents differ")
# offline: from now on the saved schedule (gain -6 until 1000 s) over a short length
first["length"] = 4800
with open(saved, "w") as f:
    json.dump(first, f)
print("LV2Node created, rendered, saved and loaded")
PY
"$AUDIOCTL" render "$PW_ENV/saved.json" -o "$PW_ENV/saved.wav" --quiet ||
	fail "audioctl render of the saved document"
py - "$PW_ENV/saved.wav" <<'PY' || fail "the rendered document is not 0.5 at -6 dB"
import sys
from audiod_test import read_wav
rate, channels, samples = read_wav(sys.argv[1])
want = 0.5 * 10 ** (-6 * 0.05)
bad = [s for s in samples if abs(s - want) > 1e-6]
if len(samples) != 4800 * channels or bad:
    sys.exit("%d samples, %d off (%r)" % (len(samples), len(bad), bad[:3]))
print("rendered", len(samples) // channels, "frames of", want)
PY
daemon_stop
echo PASS
