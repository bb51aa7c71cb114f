#!/bin/sh
# integration: 8 concurrent clients, each in its own session, send 10 000 random requests in
# all (valid ones and every kind of invalid one: bad JSON, over-long lines, unknown ops,
# types, nodes and params, wrong field types, duplicate names, cycles) pipelined in bursts
# while a tone plays.  every request must get exactly one reply, in order, echoing its id,
# with the code a model of the session predicts; the daemon must keep running with
# `underruns` at 0, and rtcheck must see no allocation or lock on a real-time thread.
# usage: test-stress.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024 --max-line 4096
py - <<'PY' || fail "stress: a reply was missing or wrong"
import json, os, random, threading
from audiod_test import Client

path = os.environ["AUDIOD_SOCKET"]
tone = Client(path)
tone.ok("create", type="OscillatorNode", id="osc", options={"frequency": 440})
tone.ok("create", type="GainNode", id="vol", options={"gain": 0.1})
tone.ok("connect", **{"from": "osc", "to": "vol"})
tone.ok("connect", **{"from": "vol", "to": "destination"})
tone.ok("start", id="osc")

CLIENTS, TOTAL, BURST = 8, 10000, 16
errors = []

def gen(rnd, nodes, serial, k):
    """one request line and the reply it must get: (line, id or None, code or "ok")"""
    rid = k
    pick = rnd.randrange(17)
    some = rnd.choice(sorted(nodes)) if nodes else None
    if pick == 0:
        return json.dumps({"op": "time", "id": rid}), rid, "ok"
    if pick == 1:
        return json.dumps({"op": "tiem", "id": rid}), rid, "unknown_op"
    if pick == 2:
        return '{"op": "time", "id": ', None, "parse_error"
    if pick == 3:
        return json.dumps({"op": "time", "id": rid, "pad": "x" * 5000}), None, "too_large"
    if pick in (4, 5, 6):
        name = "g%d" % next(serial)
        nodes.add(name)
        return json.dumps({"op": "create", "type": "GainNode", "id": name}), name, "ok"
    if pick == 7 and some:
        return json.dumps({"op": "create", "type": "GainNode", "id": some}), some, "invalid_state"
    if pick == 8:
        return json.dumps({"op": "create", "type": "GainNod", "id": "x%d" % k}), "x%d" % k, "unknown_type"
    if pick == 9 and some:
        nodes.discard(some)
        return json.dumps({"op": "delete", "id": some}), some, "ok"
    if pick == 10:
        return json.dumps({"op": "delete", "id": "nope%d" % k}), "nope%d" % k, "unknown_node"
    if pick == 11 and some:
        return json.dumps({"op": "param", "id": rid, "target": some + ".gain",
                           "method": "setValueAtTime", "args": [rnd.random(), 0]}), rid, "ok"
    if pick == 12 and some:
        return json.dumps({"op": "param", "id": rid, "target": some + ".gian",
                           "method": "setValueAtTime", "args": [0.5, 0]}), rid, "unknown_param"
    if pick == 13 and some:
        return json.dumps({"op": "param", "id": rid, "target": some + ".gain",
                           "method": "setValueAtTime", "args": ["x", 0]}), rid, "bad_request"
    if pick == 14 and some:
        return json.dumps({"op": "connect", "id": rid, "from": some, "to": "destination"}), rid, "ok"
    if pick == 15 and some:
        return json.dumps({"op": "connect", "id": rid, "from": some, "to": some}), rid, "ok"
    if pick == 16:
        return json.dumps({"op": "create", "type": "GainNode", "id": "b%d" % k,
                           "options": {"gain": "loud"}}), "b%d" % k, "bad_request"
    return json.dumps({"op": "sync", "id": rid}), rid, "ok"

def run(i, count):
    try:
        rnd = random.Random(1000 + i)
        c = Client(path, timeout=30)
        c.ok("session", name="stress%d" % i)
        nodes, serial = set(), iter(range(1 << 30))
        k = 0
        while k < count:
            burst = [gen(rnd, nodes, serial, k + j) for j in range(min(BURST, count - k))]
            c.sock.sendall("".join(line + "\n" for line, _, _ in burst).encode())
            for line, rid, code in burst:
                r = c.reply()
                got = "ok" if r.get("ok") else r.get("error", {}).get("code")
                if got != code or r.get("id") != rid:
                    errors.append("client %d: %s -> %r (expected id %r, %s)" % (i, line[:80], r, rid, code))
                    return
            k += len(burst)
        c.ok("sync")
        print("client %d: %d requests, %d nodes left" % (i, count, len(nodes)))
    except Exception as e:
        errors.append("client %d: %r" % (i, e))

threads = [threading.Thread(target=run, args=(i, TOTAL // CLIENTS)) for i in range(CLIENTS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for e in errors[:10]:
    print("FAIL:", e)
st = tone.ok("stats")
print("stats:", json.dumps(st))
if errors:
    raise SystemExit(1)
if st["underruns"] != 0:
    print("FAIL: underruns", st["underruns"])
    raise SystemExit(1)
PY
daemon_stop
grep -q 'totals:.* underruns 0 ' "$PW_ENV/audiod.log" || fail "audiod counted underruns"
echo "PASS"
