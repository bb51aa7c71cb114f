#!/bin/sh
# integration: media streams survive PipeWire going away, in the rtcheck daemon.  session
# "cap" captures the monitor of test-src (where a 1 kHz tone at 0.25 plays) into the main
# output; session "b" has its own playback stream (application "My App", to test-app) playing
# 880 Hz at 0.2.  PipeWire and WirePlumber are killed and started again (test-src and test-app
# come back with the server, from its configuration); once audiod has reconnected, the same
# nodes carry sound again: test-sink's monitor holds the captured tone
# and test-app's the session's (±1 Hz, ±0.5 dB), and a capture node made afterwards works.
# usage: test-media-reconnect.sh AUDIOD AUDIOCTL WAV-ANALYZE
set -u
AUDIOD=$1
AUDIOCTL=$2
ANALYZE=$3
. "$(dirname "$0")/pw-env.sh"
pw_env_need sox pw-play pw-dump
pw_env_start
. "$(dirname "$0")/daemon-env.sh"
. "$(dirname "$0")/media-env.sh"

# the two null sinks as objects of the server's own configuration, so a restarted server
# has them before any client can be linked (made now by pw-cli, as the first server runs)
awk '/^]$/ && ++n == 2 { for (i = 1; i <= 2; i++) {
	s = i == 1 ? "test-src" : "test-app"
	print "    { factory = adapter"
	print "      args = { factory.name = support.null-audio-sink node.name = " s
	print "               node.description = " s " media.class = Audio/Sink"
	print "               audio.format = F32 audio.rate = 48000 audio.channels = 2"
	print "               audio.position = [ FL FR ] monitor.channel-volumes = false } }" } }
	{ print }' "$PW_ENV/pipewire.conf" >"$PW_ENV/pipewire.conf.new" &&
	mv "$PW_ENV/pipewire.conf.new" "$PW_ENV/pipewire.conf" || fail "configuration"
media_null_sink test-src
media_null_sink test-app
media_tone "$PW_ENV/tone.wav" 1000 0.25 120
media_play test-src "$PW_ENV/tone.wav"
daemon_start --latency 1024 --no-persist

py - <<'PY' || fail "the capture node and the session stream"
from audiod_test import Client
c = Client()
c.ok("session", name="cap")
c.ok("create", type="MediaStreamAudioSourceNode", id="mic",
     options={"target": "test-src", "captureSink": True})
c.ok("connect", **{"from": "mic", "to": "destination"})
b = Client()
b.ok("session", name="b", stream={"application": "My App", "target": "test-app",
                                  "name": "audiod-my-app"})
for cmd in [
    {"op": "create", "type": "OscillatorNode", "id": "osc", "options": {"frequency": 880}},
    {"op": "create", "type": "GainNode", "id": "g", "options": {"gain": 0.2}},
    {"op": "connect", "from": "osc", "to": "g"},
    {"op": "connect", "from": "g", "to": "destination"},
    {"op": "start", "id": "osc"},
]:
    b.ok(cmd.pop("op"), **cmd)
PY
pw_env_wait "pw_env_linked audiod-my-app:output_ test-app:playback_" 600 ||
	fail "b's stream was not linked to test-app"
pw_env_wait "pw_env_linked test-src:monitor_ audiod-capture:input_" 600 ||
	fail "the capture stream was not linked to test-src"

pw_env_kill_server
pw_env_wait "grep -q 'pipewire is gone' '$PW_ENV/audiod.log'" 600 ||
	fail "audiod did not notice that PipeWire went away"
pw_env_alive "$AUDIOD_PID" || fail "audiod exited when PipeWire went away"
pw_env_start_server || fail "PipeWire did not restart"
media_play test-src "$PW_ENV/tone.wav"
pw_env_wait "pw_env_linked audiod:output_ test-sink:playback_" 600 ||
	fail "audiod's new stream was not linked to test-sink"
pw_env_wait "pw_env_linked test-src:monitor_ audiod-capture:input_" 600 ||
	fail "the capture stream was not made again and linked to test-src"
pw_env_wait "pw_env_linked audiod-my-app:output_ test-app:playback_" 600 ||
	fail "b's stream was not made again and linked to test-app"
media_pw_has application.name 'My App' || fail "no application.name My App after reconnecting"

rec_start "$PW_ENV/main.wav"
rec_wait_seconds 3
rec_stop
media_check "$PW_ENV/main.wav" 1000 0.25
media_rec_start test-app "$PW_ENV/app.wav" "stream.capture.sink = true"
rec_wait_seconds 3
rec_stop
media_check "$PW_ENV/app.wav" 880 0.2

py - <<'PY' || fail "the nodes after reconnecting"
import sys
from audiod_test import Client
c = Client()
c.ok("session", name="cap")
a = c.ok("get", id="mic")["attributes"]
print("the capture node's attributes:", a)
if not (0 < a["latency"] < 0.5):
    sys.exit("latency: %r" % a)
c.ok("delete", id="mic")
c.ok("create", type="MediaStreamAudioSourceNode", id="mic2",
     options={"target": "test-src", "captureSink": True})
PY
pw_env_wait "pw_env_linked test-src:monitor_ audiod-capture:input_" 600 ||
	fail "a capture node made after reconnecting was not linked"
daemon_stop
echo PASS
