#!/bin/sh
# integration: AudioParam automation scheduled through the socket lands sample-accurately in
# the recording.  a ConstantSourceNode (offset 0) plays into the destination; at T0 (a frame
# boundary a second ahead) offset.setValueAtTime(0.2, T0), linearRampToValueAtTime(0.6,
# T0 + 0.1), setValueAtTime(0.1, T0 + 0.2), setValueAtTime(0, T0 + 0.3).  in the recording
# the ramp must start at the first 0.2, reach 0.4 halfway and 0.6 at its end, and the 0.1
# and 0 steps must come 9600 and 14400 frames after the start, each within one sample, with
# the values right to float precision.
# usage: test-automation.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
record 3 "$PW_ENV/out.wav"
sleep 0.5
python3 - <<'PY' || fail "scheduling through the socket failed"
import os
from audiod_test import Client
c = Client(os.environ["AUDIOD_SOCKET"])
c.ok("create", type="ConstantSourceNode", id="c", options={"offset": 0})
c.ok("connect", **{"from": "c", "to": "destination"})
c.ok("start", id="c")
now = c.ok("time")["frame"]
t0 = (now + 48000) / 48000.0
for method, args in [("setValueAtTime", [0.2, t0]),
                     ("linearRampToValueAtTime", [0.6, t0 + 0.1]),
                     ("setValueAtTime", [0.1, t0 + 0.2]),
                     ("setValueAtTime", [0.0, t0 + 0.3])]:
    c.ok("param", target="c.offset", method=method, args=args)
c.ok("sync")
PY
wait "$REC_PID"
daemon_stop

python3 - "$PW_ENV/out.wav" <<'PY' || fail "the automation is not where it was scheduled"
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
