#!/bin/sh
# integration: MediaStreamAudioSourceNode in the rtcheck daemon.  a 1 kHz sine at 0.25 plays
# into a second null sink, test-src; a node capturing test-src's monitor ("captureSink")
# feeds the destination, and test-sink's monitor is recorded: it must be that tone (±1 Hz,
# ±0.5 dB).  `get` reports the stream's channels and its latency, underruns and overruns
# (read-only); deleting the node removes its PipeWire stream; `audioctl render` of a document with the node is not_supported.
# usage: test-media-capture.sh AUDIOD AUDIOCTL WAV-ANALYZE
set -u
AUDIOD=$1
AUDIOCTL=$2
ANALYZE=$3
. "$(dirname "$0")/pw-env.sh"
pw_env_need sox pw-play pw-dump
pw_env_start
. "$(dirname "$0")/daemon-env.sh"
. "$(dirname "$0")/media-env.sh"

media_null_sink test-src
media_tone "$PW_ENV/tone.wav" 1000 0.25 60
media_play test-src "$PW_ENV/tone.wav"
daemon_start --latency 1024 --no-persist

py - <<'PY' || fail "capture node"
import sys
from audiod_test import Client
c = Client()
c.ok("session", name="cap")
c.ok("create", type="MediaStreamAudioSourceNode", id="mic",
     options={"target": "test-src", "captureSink": True})
c.ok("connect", **{"from": "mic", "to": "destination"})
got = c.ok("get", id="mic")
if got["type"] != "MediaStreamAudioSourceNode" or got["numberOfOutputs"] != 1:
    sys.exit("get: %r" % got)
r = c.request("set", id="mic", attr="latency", value=0)
if r.get("ok"):
    sys.exit("latency is read-only: %r" % r)
print("capturing test-src:", got)
PY
pw_env_wait "pw_env_linked audiod:output_ test-sink:playback_" 600 ||
	fail "audiod's stream was not linked to test-sink"
rec_start "$PW_ENV/out.wav"
rec_wait_seconds 3
rec_stop
media_check "$PW_ENV/out.wav" 1000 0.25

py - <<'PY' || fail "the capture node's counters or teardown"
import sys
from audiod_test import Client
c = Client()
c.ok("session", name="cap")
a = c.ok("get", id="mic")["attributes"]
print("attributes:", a)
if not (0 < a["latency"] < 0.5) or a["underruns"] > 3 or a["overruns"] > 3:
    sys.exit("latency, underruns, overruns: %r" % a)
doc = c.ok("save")["document"]
node = [n for n in doc["nodes"] if n["id"] == "mic"][0]
if node["options"].get("target") != "test-src" or node["options"].get("captureSink") is not True \
        or "latency" in str(node):
    sys.exit("saved: %r" % node)
c.ok("delete", id="mic")
c.ok("sync")
PY
pw_env_wait "! media_pw_has node.name audiod-capture" 100 ||
	fail "the capture stream outlived its node"

cat >"$PW_ENV/doc.json" <<'JSON'
{"sampleRate": 48000, "channels": 2, "length": 4800,
 "nodes": [{"id": "mic", "type": "MediaStreamAudioSourceNode"}],
 "connections": [{"from": "mic", "to": "destination"}]}
JSON
"$AUDIOCTL" render "$PW_ENV/doc.json" -o "$PW_ENV/doc.wav" --quiet 2>"$PW_ENV/render.txt" &&
	fail "audioctl render captured"
cat "$PW_ENV/render.txt"
grep -q 'MediaStreamAudioSourceNode needs a live sound server.*offline' "$PW_ENV/render.txt" ||
	fail "audioctl render: no clear refusal"
daemon_stop
echo PASS
