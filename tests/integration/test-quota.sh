#!/bin/sh
# integration: a hostile or careless client cannot take what the others need.  each defect
# this guards against is checked as a client would meet it:
# - 1030 creates held for `at` 1e12 leave the shared render queue to everyone else (they wait
#   in their session's timeline); past --max-held they get `limit`; when their ephemeral
#   session closes, its held edits go and its nodes with them;
# - a 2^30-frame generated buffer is refused with `limit` before anything is allocated (the
#   daemon's peak memory stays small), and a long decode in one session does not hold back a
#   short one in another;
# - automation events per param, values per curve and PeriodicWave, sessions in all and per
#   connection, and the render load of a session each end in `limit`;
# - a client that subscribes and never reads has events dropped past --max-backlog-kb (the
#   daemon's memory stays bounded) and is told how many when it reads again.
# usage: test-quota.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024 --max-held 1200 --max-held-mb 512 --max-sessions 8 --max-client-sessions 3 \
	--max-backlog-kb 64 --max-events 100 --max-points 1000 --max-session-load 1 --max-load 1
export AUDIOD_PID
py - <<'PY' || fail "a quota did not hold"
import json, os, select, socket, time
from audiod_test import Client, fail

def peak_rss_mb():
    for line in open("/proc/%s/status" % os.environ["AUDIOD_PID"]):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024

def code(r):
    return "ok" if r.get("ok") else r["error"]["code"]

def wait_stats(c, pred, what, seconds=30):
    end = time.monotonic() + seconds
    while True:
        st = c.ok("stats")
        if pred(st):
            return st
        if time.monotonic() > end:
            fail("%s: stats %r" % (what, st))
        time.sleep(0.05)

# --- held edits stay out of the shared queue
hog = Client(); hog.ok("session", name="hog", ephemeral=True)
codes = {}
for i in range(1030):
    c = code(hog.request("create", type="GainNode", id="g%d" % i, at=1e12))
    codes[c] = codes.get(c, 0) + 1
if codes != {"ok": 1030}:
    fail("1030 held creates: %r" % codes)
other = Client(); other.ok("session", name="other")
r = other.request("create", type="GainNode", id="x")
if not r.get("ok"):
    fail("another session could not create a node while one held 1030 edits: %r" % r)
st = other.ok("stats")
print("held", st["held"], "queue", st["queue"])
if st["held"] != 1030 or st["queue"]["depth"] >= 1030:
    fail("the held edits are in the render queue: %r" % st)
for i in range(1030, 1600):
    r = hog.request("create", type="GainNode", id="g%d" % i, at=1e12)
    if not r.get("ok"):
        break
if code(r) != "limit" or "--max-held)" not in r["error"]["message"]:
    fail("no limit on held edits: %r" % r)
print("held edits stop at", i, ":", r["error"]["message"])
hog.close()
wait_stats(other, lambda s: s["held"] == 0 and s["nodes"] == 1, "the closed session's held edits "
           "and nodes were not freed")

# a batch counts its own creates once: 2100 fit in a session of 4096 (it refused at 2048)
other.ok("batch", commands=[{"op": "create", "type": "GainNode", "id": "b%d" % i}
                            for i in range(2100)])
other.ok("batch", commands=[{"op": "delete", "id": "b%d" % i} for i in range(2100)])

# an `at` no frame counter reaches is refused, not overflowed (found by review of the fuzzing)
r = other.request("create", type="GainNode", id="far", at=1e300)
if code(r) != "invalid_value":
    fail("at 1e300: %r" % r)

# --- buffers: the size is checked before the work, decodes run side by side
rss0 = peak_rss_mb()
r = other.request("buffer", name="huge", spec={"generate": "noise", "seed": 1,
                                               "length": 1 << 30, "numberOfChannels": 1})
if code(r) != "limit":
    fail("a 2^30-frame buffer was not refused: %r" % r)
if peak_rss_mb() > rss0 + 64:
    fail("the daemon allocated before refusing: peak %d MB, was %d MB" % (peak_rss_mb(), rss0))
slow = Client(); slow.ok("session", name="slow")
slow.send_raw(json.dumps({"op": "buffer", "name": "long", "spec": {
    "generate": "noise", "seed": 2, "length": 40000000, "numberOfChannels": 2}}))
quick = Client(); quick.ok("session", name="quick")
r = quick.ok("buffer", name="short", spec={"generate": "dc", "length": 480})
if select.select([slow.sock], [], [], 0)[0] or slow.buf:
    fail("the long decode of one session finished before another session's short one")
if not slow.reply().get("ok"):
    fail("the long decode failed")
slow.ok("free-buffer", name="long")

# --- automation events, array sizes
other.ok("create", type="GainNode", id="a")
for i in range(100):
    other.ok("param", target="a.gain", method="setValueAtTime", args=[0.5, 1000 + i])
r = other.request("param", target="a.gain", method="setValueAtTime", args=[0.5, 2000])
if code(r) != "limit":
    fail("the 101st event of a param was accepted: %r" % r)
for req in (dict(type="WaveShaperNode", id="w", curve=[0.0] * 1001),
            dict(type="OscillatorNode", id="o", periodicWave={"real": [0.0] * 1001,
                                                               "imag": [0.0] * 1001})):
    r = other.request("create", **req)
    if code(r) != "limit":
        fail("an array of 1001 values was accepted: %r" % r)
r = other.request("param", target="a.gain", method="setValueCurveAtTime",
                  args=[[0.0] * 1001, 3000, 1])
if code(r) != "limit":
    fail("a curve of 1001 values was accepted: %r" % r)

# --- a subscriber that never reads
lazy = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
lazy.connect(os.environ["AUDIOD_SOCKET"])
lazy.sendall(b'{"op":"subscribe","events":["ended"]}\n')
src = Client(); src.ok("session", name="other")
for b in range(8):
    cmds = []
    for i in range(200):
        name = "s%d_%d_" % (b, i) + "x" * 200	# long names: big events
        cmds += [{"op": "create", "type": "ConstantSourceNode", "id": name},
                 {"op": "start", "id": name}, {"op": "stop", "id": name}]
    src.ok("batch", commands=cmds)
st = wait_stats(src, lambda s: s["eventsDropped"] > 0, "no event was dropped for a client that "
                "does not read")
rss1 = peak_rss_mb()
print("events dropped:", st["eventsDropped"], "peak memory", rss1, "MB")
lazy.setblocking(False)
data, dropped = b"", None
end = time.monotonic() + 30
while dropped is None and time.monotonic() < end:
    try:
        chunk = lazy.recv(65536)
    except BlockingIOError:
        chunk = b""
        # one more event makes the daemon tell this client what it missed
        src.ok("batch", commands=[{"op": "create", "type": "ConstantSourceNode", "id": "z%d" %
                                   len(data)}, {"op": "start", "id": "z%d" % len(data)},
                                  {"op": "stop", "id": "z%d" % len(data)}])
        time.sleep(0.05)
    data += chunk
    for line in data.split(b"\n")[:-1]:
        ev = json.loads(line)
        if ev.get("event") == "dropped":
            dropped = ev["count"]
if dropped is None or dropped <= 0:
    fail("the lazy client was never told what it missed")
print("the lazy client was told", dropped, "events were dropped")
# --- sessions: per connection, then in all
maker = Client()
for i in range(3):
    maker.ok("session", name="m%d" % i)
r = maker.request("session", name="m3")
if code(r) != "limit" or "--max-client-sessions" not in r["error"]["message"]:
    fail("a connection made a 4th session: %r" % r)
live = wait_stats(other, lambda s: True, "")["sessions"]
makers = []
for i in range(8 - live):
    m = Client(); m.ok("session", name="n%d" % i); makers.append(m)
r = Client().request("session", name="one-too-many")
if code(r) != "limit" or "--max-sessions" not in r["error"]["message"]:
    fail("a session past --max-sessions: %r" % r)

# --- render load: a session cannot take the whole render thread
cpu = Client(); cpu.ok("session", name="default")
n, r = 0, {}
for n in range(20000):
    r = cpu.request("create", type="ConvolverNode", id="c%d" % n)
    if not r.get("ok"):
        break
if code(r) != "limit" or "--max-" not in r["error"]["message"] or "load" not in r["error"]["message"]:
    fail("no render load limit after %d convolvers: %r" % (n, r))
print("render load limit after", n, "convolvers:", r["error"]["message"])

PY
daemon_stop
echo PASS
