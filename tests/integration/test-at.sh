#!/bin/sh
# integration: an edit scheduled with "at" waits for its quantum without holding back anyone
# else.  client A schedules a node's creation 1.5 s ahead; client B, in another session, then
# creates and connects a node and syncs: B's edits apply at once (well before A's frame), A's
# sync returns only once its own edit applied, at the first quantum at or after its time.
# usage: test-at.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
python3 - <<'PY' || fail "a scheduled edit held back another client's"
import os, sys, time
from audiod_test import Client
a = Client(os.environ["AUDIOD_SOCKET"])
b = Client(os.environ["AUDIOD_SOCKET"])
b.ok("session", name="other")
rate = a.hello["sampleRate"]
now = a.ok("time")["frame"]
at = (now + int(1.5 * rate)) / rate
a.ok("create", type="ConstantSourceNode", id="late", at=at)
t0 = time.monotonic()
b.ok("create", type="ConstantSourceNode", id="now")
b.ok("connect", **{"from": "now", "to": "destination"})
fb = b.ok("sync")["frame"]
waited = time.monotonic() - t0
print("B applied at frame", fb, "after", round(waited, 3), "s; A's edit is due at",
      int(at * rate))
if waited > 0.5 or fb >= int(at * rate):
    sys.exit("B waited for A's scheduled edit")
fa = a.ok("sync")["frame"]
due = -(-int(round(at * rate)) // 128) * 128
print("A applied at frame", fa, "due", due)
if fa != due:
    sys.exit("A's edit applied at %d, not at the quantum %d" % (fa, due))
names = [n["id"] for n in a.ok("save")["document"]["nodes"]]
if "late" not in names:
    sys.exit("A's node is missing: %r" % names)
PY
daemon_stop
echo "PASS"
