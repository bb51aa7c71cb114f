#!/bin/sh
# integration: idle suspension changes nothing a client can observe.  the daemon (idle after
# 500 ms) suspends its stream when nothing sounds; while suspended its context time keeps
# pace with the clock.  from one `time` reading a batch schedules a short burst on the left
# channel at +0.5 s and, 4 s later, a second source on the right channel that is only
# connected by an edit held for `at` 0.1 s before it starts: between the two the daemon
# suspends again, and must wake by itself (for the held edit and the scheduled start) in
# time.  in the recording the right channel starts exactly 4 s (192000 frames) after the
# left, give or take one device cycle of the restart, and stats show the suspensions;
# --idle-suspend 0 keeps the stream running.
# usage: test-idle.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024 --idle-suspend 500
rec_start "$PW_ENV/out.wav"
py - >"$PW_ENV/gap.txt" <<'PY' || fail "suspension changed what a client sees"
import sys, time
from audiod_test import Client, ahead, check_in_time, fail

c = Client()
def stats():
    return c.ok("stats")
def until(pred, what, seconds=30):
    end = time.monotonic() + seconds
    while not pred():
        if time.monotonic() > end:
            fail(what)
        time.sleep(0.02)

until(lambda: stats()["state"] == "suspended", "the idle daemon never suspended")
# suspended, context time follows the clock
r0, t0 = c.time(), time.monotonic()
until(lambda: c.time()["frame"] - r0["frame"] >= 48000, "time stood still while suspended")
r1, t1 = c.time(), time.monotonic()
if stats()["state"] != "suspended":
    fail("a `time` request woke the daemon")
drift = (r1["frame"] - r0["frame"]) / 48000.0 - (t1 - t0)
sys.stderr.write("suspended: context time moved %.3f s in %.3f s\n"
                 % ((r1["frame"] - r0["frame"]) / 48000.0, t1 - t0))
if abs(drift) > 0.1:
    fail("context time drifted %.3f s from the clock while suspended" % drift)
n0 = stats()["suspensions"]

r = c.time()
first, second = ahead(r, 0.5), ahead(r, 4.5)
c.ok("batch", commands=[
    {"op": "create", "type": "ChannelMergerNode", "id": "m", "options": {"numberOfInputs": 2}},
    {"op": "connect", "from": "m", "to": "destination"},
    {"op": "create", "type": "ConstantSourceNode", "id": "a", "options": {"offset": 0.5}},
    {"op": "connect", "from": "a", "to": "m", "output": 0, "input": 0},
    {"op": "start", "id": "a", "when": first / 48000.0},
    {"op": "stop", "id": "a", "when": (first + 4800) / 48000.0},
    {"op": "create", "type": "ConstantSourceNode", "id": "b", "options": {"offset": 0.25}},
    {"op": "start", "id": "b", "when": second / 48000.0},
    {"op": "stop", "id": "b", "when": (second + 4800) / 48000.0}])
check_in_time(c.ok("sync")["frame"], first)
c.ok("connect", **{"from": "b", "to": "m", "output": 0, "input": 1}, at=(second - 4800) / 48000.0)
# between the two: quiet, suspended again (the held connect is in the session's timeline)
until(lambda: stats()["suspensions"] > n0, "the daemon did not suspend between the sources")
if c.time()["frame"] >= second - 24000:
    fail("suspended too late to prove anything")
c.wait_heard(second + 4800, since=r["frame"])
st = stats()
sys.stderr.write("suspensions %d -> %d, underruns %d\n" % (n0, st["suspensions"], st["underruns"]))
print(second - first)
PY
rec_stop
daemon_stop
py - "$PW_ENV/out.wav" "$PW_ENV/gap.txt" <<'PY' || fail "the source scheduled across a suspension did not start on time"
import sys
from audiod_test import read_wav, channel
rate, chans, s = read_wav(sys.argv[1])
want = int(open(sys.argv[2]).read())
left, right = channel(s, chans, 0), channel(s, chans, 1)
l0 = next((i for i, v in enumerate(left) if abs(v - 0.5) < 1e-6), None)
r0 = next((i for i, v in enumerate(right) if abs(v - 0.25) < 1e-6), None)
if l0 is None or r0 is None:
    sys.exit("a source never sounded (left %r, right %r)" % (l0, r0))
print("left at", l0, "right at", r0, "gap", r0 - l0, "scheduled", want)
# context time is exact; across a suspension the output restarts, which may shift what
# follows by at most a device cycle (1024 frames)
if abs((r0 - l0) - want) > 1024:
    sys.exit("the right source started %d frames after the left, not %d" % (r0 - l0, want))
ln = sum(1 for v in left if abs(v - 0.5) < 1e-6)
rn = sum(1 for v in right if abs(v - 0.25) < 1e-6)
if ln != 4800 or rn != 4800:
    sys.exit("the bursts are %d and %d frames long, not 4800" % (ln, rn))
PY

# turned off: the stream keeps running through silence
daemon_start --latency 1024 --idle-suspend 0
py - <<'PY' || fail "--idle-suspend 0 suspended"
from audiod_test import Client, fail
c = Client()
r = c.time()
c.wait_rendered(r["frame"] + 48000)
st = c.ok("stats")
if st["state"] != "running" or st["suspensions"] != 0:
    fail("with --idle-suspend 0: %r" % st)
PY
daemon_stop
echo PASS
