#!/bin/sh
# integration: creating a MediaStreamAudioSourceNode never blocks the daemon's main thread.
# with WirePlumber stopped (SIGSTOP: nothing links new streams, the worst case of a busy
# session manager), one client creates a node capturing test-src's monitor while another
# sends `time` requests back to back.  the create succeeds while nothing can link its stream
# (a create that waited for the link could not: the old one failed after 2 s), and neither
# its reply nor any `time` reply takes a second (loose on purpose: the proof is the success
# while WirePlumber is stopped, not a race with the clock).  the node's output is the channelCount asked for (here 1)
# from the start.  WirePlumber then continues and links the waiting capture stream in the
# background: the 1 kHz tone at 0.25 played into test-src comes out of test-sink (±1 Hz,
# ±0.5 dB; mixed to mono by PipeWire), the node's silence before that not counted as
# underruns.
# usage: test-media-nonblocking.sh AUDIOD AUDIOCTL WAV-ANALYZE
set -u
AUDIOD=$1
AUDIOCTL=$2
ANALYZE=$3
. "$(dirname "$0")/pw-env.sh"
pw_env_need sox pw-play
pw_env_start
. "$(dirname "$0")/daemon-env.sh"
. "$(dirname "$0")/media-env.sh"

media_null_sink test-src
media_tone "$PW_ENV/tone.wav" 1000 0.25 60
media_play test-src "$PW_ENV/tone.wav"
daemon_start --latency 1024 --no-persist
kill -STOP "$PW_ENV_WP_PID"

py - <<'PY' || fail "the main thread waited while a capture node was made"
import sys, threading, time
from audiod_test import Client

LIMIT = 1.0       # s; the old create blocked 2 s
t = Client()
c = Client()
c.ok("session", name="cap")
rtts, stop = [], threading.Event()

def ticker():
    while not stop.is_set():
        sent = time.monotonic()
        t.ok("time")
        rtts.append((sent, time.monotonic() - sent))

th = threading.Thread(target=ticker, daemon=True)
th.start()
while len(rtts) < 20:
    time.sleep(0.01)
start = time.monotonic()
made = c.request("create", type="MediaStreamAudioSourceNode", id="mic",
                 options={"target": "test-src", "captureSink": True, "channelCount": 1})
took = time.monotonic() - start
time.sleep(0.5)
stop.set()
th.join()
during = [r for s, r in rtts if s >= start - LIMIT and s <= start + took]
print("create took %.1f ms; %d time requests, %d during it, the slowest %.1f ms" %
      (took * 1e3, len(rtts), len(during), max(r for s, r in rtts) * 1e3))
if not made.get("ok"):
    sys.exit("create, with nothing to link its stream (after %.3f s): %r" % (took, made))
if took > LIMIT:
    sys.exit("create took %.3f s" % took)
slow = [(s - start, r) for s, r in rtts if r > LIMIT]
if slow:
    sys.exit("time replies slower than %.0f ms (request at s from the create, rtt): %r" %
             (LIMIT * 1e3, slow))
if not made.get("ok"):
    sys.exit("create (after %.3f s): %r" % (took, made))
c.ok("connect", **{"from": "mic", "to": "destination"})
got = c.ok("get", id="mic")
if got["channelCount"] != 1 or got["numberOfOutputs"] != 1:
    sys.exit("get: %r" % got)
r = c.request("set", id="mic", attr="channelCount", value=2)
if r.get("ok") or r["error"]["code"] != "not_supported":
    sys.exit("the capture's channel count changed: %r" % r)
PY

kill -CONT "$PW_ENV_WP_PID"
pw_env_wait "pw_env_linked test-src:monitor_ audiod-capture:input_" 600 ||
	fail "the capture stream was not linked once WirePlumber went on"
pw_env_wait "pw_env_linked audiod:output_ test-sink:playback_" 600 ||
	fail "audiod's stream was not linked to test-sink"
rec_start "$PW_ENV/out.wav"
rec_wait_seconds 3
rec_stop
# PipeWire's adapter mixes test-src's two equal channels into the one asked for at -3 dB
# each: 0.25 * 2 / sqrt(2)
media_check "$PW_ENV/out.wav" 1000 0.353553
py - <<'PY' || fail "the capture node's counters"
import sys
from audiod_test import Client
c = Client()
c.ok("session", name="cap")
a = c.ok("get", id="mic")["attributes"]
print("attributes:", a)
if a["underruns"] > 3 or a["overruns"] > 3:
    sys.exit("underruns, overruns: %r" % a)
PY
daemon_stop
echo PASS
