#!/bin/sh
# integration: an edit scheduled with "at" waits for its quantum without holding back anyone
# else, and later edits that go ahead of it never bring it forward.  client A (left channel)
# starts a ConstantSourceNode at once but connects it 3 s after one `time` reading; client B
# (right channel, another session) then creates, connects and syncs a source of its own.
# B's edits apply at once (before A's quantum, and B's sync replies before that quantum is
# rendered), A's sync returns only once its connection applied, at the first quantum at or
# after its time (a time that multiplied by the rate lands a hair above its frame included);
# in the recording the left channel starts exactly (due - B's frame) frames
# after the right one.  the recorder is capturing before anything is scheduled and is
# stopped once A's quantum has been heard; commands that arrive too late fail the test
# saying so.
# usage: test-at.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
rec_start "$PW_ENV/out.wav"
py - >"$PW_ENV/frames.txt" <<'PY' || fail "a scheduled edit held back another client's"
import math, sys
from audiod_test import Client, ahead, check_in_time
a = Client()
b = Client()
# A: left channel, connected later
a.ok("create", type="ChannelMergerNode", id="m", options={"numberOfInputs": 2})
a.ok("connect", **{"from": "m", "to": "destination"})
a.ok("create", type="ConstantSourceNode", id="late", options={"offset": 0.5})
a.ok("start", id="late")
a.ok("sync")
r = a.time()                    # the one reading the schedule comes from
rate = r["sampleRate"]
# a quantum's first frame 3 s ahead, one whose time (frame / rate) comes back a hair above
# the frame when multiplied by the rate (about one in twenty): it must still be that
# quantum, not the next (the daemon once rounded it up)
due = -(-ahead(r, 3.0) // 128) * 128
while math.ceil((due / rate) * rate) == due:
    due += 128
at = due / rate
a.ok("connect", **{"from": "late", "to": "m", "output": 0, "input": 0}, at=at)
check_in_time(a.time()["frame"], due, "A's connect")
# B: right channel, at once, with topology edits of its own
b.ok("session", name="other")
b.ok("create", type="ChannelMergerNode", id="m", options={"numberOfInputs": 2})
b.ok("create", type="ConstantSourceNode", id="now", options={"offset": 0.25})
b.ok("connect", **{"from": "now", "to": "m", "output": 0, "input": 1})
b.ok("connect", **{"from": "m", "to": "destination"})
b.ok("start", id="now")
check_in_time(b.time()["frame"], due, "B's edits")
fb = b.ok("sync")["frame"]
after = b.time()["frame"]
print(fb, due)
sys.stderr.write("B applied at frame %d, its sync answered by frame %d; A's edit is due at %d\n"
                 % (fb, after, due))
if fb >= due:
    sys.exit("B's edits waited for A's scheduled edit")
if after >= due:
    sys.exit("B's sync reply waited for A's scheduled edit")
fa = a.ok("sync")["frame"]
sys.stderr.write("A applied at frame %d\n" % fa)
if fa != due:
    sys.exit("A's edit applied at %d, not at the quantum %d" % (fa, due))
a.wait_heard(due, since=r["frame"])
PY
rec_stop
daemon_stop
py - "$PW_ENV/out.wav" "$PW_ENV/frames.txt" <<'PY' || fail "the scheduled connection sounded at the wrong frame"
import sys
from audiod_test import read_wav, channel
rate, chans, s = read_wav(sys.argv[1])
fb, due = map(int, open(sys.argv[2]).read().split())
left, right = channel(s, chans, 0), channel(s, chans, 1)
r0 = next((i for i, v in enumerate(right) if abs(v - 0.25) < 1e-6), None)
l0 = next((i for i, v in enumerate(left) if abs(v - 0.5) < 1e-6), None)
print("right starts at", r0, "left at", l0, "expected gap", due - fb)
if r0 is None or l0 is None:
    sys.exit("a channel never sounded")
if l0 - r0 != due - fb:
    sys.exit("left started %d frames after right, not %d" % (l0 - r0, due - fb))
PY
echo PASS
