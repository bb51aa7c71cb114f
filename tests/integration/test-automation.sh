#!/bin/sh
# integration: AudioParam automation scheduled through the socket lands sample-accurately in
# the recording.  a ConstantSourceNode (offset 0) plays into the destination; at T0 (a frame
# a second after one `time` reading) offset.setValueAtTime(0.2, T0), linearRampToValueAtTime(0.6,
# T0 + 0.1), setValueAtTime(0.1, T0 + 0.2), setValueAtTime(0, T0 + 0.3), in one batch.  in the
# recording the ramp must start at the first 0.2, reach 0.4 halfway and 0.6 at its end, and
# the 0.1 and 0 steps must come 9600 and 14400 frames after the start, each within one
# sample, with the values right to float precision.  the recorder is capturing before
# anything is scheduled, the batch must be applied before T0 (else the test says it came too
# late), and the recorder is stopped once T0 + 0.3 has been heard.
# usage: test-automation.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
rec_start "$PW_ENV/out.wav"
py - <<'PY' || fail "scheduling through the socket failed"
from audiod_test import Client, ahead, check_in_time
c = Client()
c.ok("create", type="ConstantSourceNode", id="c", options={"offset": 0})
c.ok("connect", **{"from": "c", "to": "destination"})
c.ok("start", id="c")
c.ok("sync")
r = c.time()                    # the one reading the schedule comes from
rate = r["sampleRate"]
f0 = ahead(r, 1.0)
t0 = f0 / rate
c.ok("batch", commands=[
    {"op": "param", "target": "c.offset", "method": method, "args": args}
    for method, args in [("setValueAtTime", [0.2, t0]),
                         ("linearRampToValueAtTime", [0.6, t0 + 0.1]),
                         ("setValueAtTime", [0.1, t0 + 0.2]),
                         ("setValueAtTime", [0.0, t0 + 0.3])]])
applied = c.ok("sync")["frame"]
print("reading at frame %d, schedule from %d, applied at %d" % (r["frame"], f0, applied))
check_in_time(applied, f0, "the automation")
c.wait_heard(f0 + int(0.3 * rate), since=r["frame"])
PY
rec_stop
daemon_stop

py - "$PW_ENV/out.wav" <<'PY' || fail "the automation is not where it was scheduled"
import sys
from audiod_test import read_wav, channel, fail
rate, chans, s = read_wav(sys.argv[1])
x = channel(s, chans, 0)
eps = 2e-6
i0 = next((i for i, v in enumerate(x) if abs(v) > 1e-7), None)
if i0 is None:
    fail("silence: nothing was recorded")
print("ramp starts at frame", i0, "value", x[i0])
if abs(x[i0] - 0.2) > eps:
    fail("the first value is %r, not 0.2" % x[i0])
worst = 0.0
for k in range(0, 4801):
    want = 0.2 + 0.4 * k / 4800.0
    worst = max(worst, abs(x[i0 + k] - want))
print("ramp: worst error", worst)
if worst > 1e-5:
    fail("the linear ramp is off by %g" % worst)
half = next(i for i in range(i0, i0 + 4801) if x[i] >= 0.4 - 1e-6)
if abs(half - (i0 + 2400)) > 1:
    fail("the ramp reaches 0.4 at %d, not %d" % (half - i0, 2400))
if any(abs(x[i] - 0.6) > eps for i in range(i0 + 4800, i0 + 9600 - 1)):
    fail("0.6 is not held after the ramp")
i1 = next(i for i in range(i0 + 4800, len(x)) if abs(x[i] - 0.1) < eps)
i2 = next(i for i in range(i1, len(x)) if abs(x[i]) < 1e-7)
print("setValueAtTime 0.1 at +%d, 0 at +%d frames" % (i1 - i0, i2 - i0))
if abs(i1 - i0 - 9600) > 1 or abs(i2 - i0 - 14400) > 1:
    fail("the steps are at +%d and +%d, not +9600 and +14400" % (i1 - i0, i2 - i0))
if any(abs(x[i] - 0.1) > eps for i in range(i1, i2)):
    fail("0.1 is not held")
right = channel(s, chans, 1)
if any(abs(right[i] - x[i]) > 1e-7 for i in range(len(x))):
    fail("the channels differ")
PY
echo "PASS"
