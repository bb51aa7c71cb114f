#!/bin/bash
# daemon-load: the live daemon under a busy graph, for the figures in a closing note (not a
# test).  starts a private headless PipeWire, audiod at the given PipeWire quantum, loads a
# busy graph (N sawtooth voices through biquads and gains, a convolver reverb), keeps the
# other core busy with a spinning process, streams parameter changes for the given seconds
# (about 100 commands a second), then prints audiod's stats.
# usage: bench/daemon-load.sh [QUANTUM=128] [SECONDS=60] [VOICES=32]   (after a build in build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
quantum=${1:-128}
seconds=${2:-60}
voices=${3:-32}

. "$root/tests/integration/pw-env.sh"
pw_env_start
pw-metadata -n settings 0 clock.force-quantum "$quantum" >/dev/null
export AUDIOD_SOCKET=$PW_ENV/audiod.sock
export PYTHONPATH=$root/tests/integration
"$build/daemon/audiod" --socket "$AUDIOD_SOCKET" --latency "$quantum" >"$PW_ENV/audiod.log" 2>&1 &
audiod=$!
spin=
trap 'kill $spin $audiod 2>/dev/null; wait $audiod 2>/dev/null; pw_env_stop' EXIT
pw_env_wait "test -S '$AUDIOD_SOCKET'" 50

sh -c 'while :; do :; done' &
spin=$!

python3 - "$seconds" "$voices" <<'PY'
import json, os, random, sys, time
from audiod_test import Client
seconds, voices = float(sys.argv[1]), int(sys.argv[2])
c = Client(os.environ["AUDIOD_SOCKET"], timeout=30)
cmds = [{"op": "create", "type": "GainNode", "id": "mix", "options": {"gain": 0.02}},
        {"op": "buffer", "name": "ir", "spec": {"generate": "noise", "seed": 7, "length": 96000,
         "numberOfChannels": 2, "decayPow": 8}},
        {"op": "create", "type": "ConvolverNode", "id": "rev", "buffer": "ir"},
        {"op": "connect", "from": "mix", "to": "rev"},
        {"op": "connect", "from": "rev", "to": "destination"},
        {"op": "connect", "from": "mix", "to": "destination"}]
for i in range(voices):
    cmds += [{"op": "create", "type": "OscillatorNode", "id": "o%d" % i,
              "options": {"type": "sawtooth", "frequency": 55 * (1 + i % 12)}},
             {"op": "create", "type": "BiquadFilterNode", "id": "f%d" % i,
              "options": {"frequency": 800, "Q": 5}},
             {"op": "create", "type": "StereoPannerNode", "id": "p%d" % i,
              "options": {"pan": (i % 7) / 3.5 - 1}},
             {"op": "connect", "from": "o%d" % i, "to": "f%d" % i},
             {"op": "connect", "from": "f%d" % i, "to": "p%d" % i},
             {"op": "connect", "from": "p%d" % i, "to": "mix"},
             {"op": "start", "id": "o%d" % i}]
for cmd in cmds:
    r = c.request(cmd.pop("op"), **cmd)
    if not r.get("ok"):
        sys.exit("setup failed: %r" % r)
c.ok("sync")
end, n = time.monotonic() + seconds, 0
while time.monotonic() < end:
    i = random.randrange(voices)
    now = c.ok("time")["currentTime"]
    c.ok("param", target="f%d.frequency" % i, method="setTargetAtTime",
         args=[random.uniform(200, 4000), now, 0.05])
    n += 2
    time.sleep(0.02)
print("commands sent:", n)
s = c.ok("stats")
print(json.dumps({k: s[k] for k in ("underruns", "xruns", "renderLoad", "commandLatencyMs",
                                    "nodes", "uptimeS") if k in s}, indent=1))
PY
