#!/bin/sh
# integration: the Node package's AudioContext (bindings/node) plays through the real daemon.
# a context gets its own ephemeral session and the daemon's rate; a ConstantSourceNode at
# 0.5 through a GainNode at 0.5 is heard in the recording at 0.25; its stop() fires `ended`
# at the context time asked; currentTime advances with the daemon's clock; suspend/resume/
# close go through their states; the session is gone once the context is closed; the
# daemon's end fires the context's `error` and suspends it.
# usage: test-node-live.sh AUDIOD WAV-ANALYZE NODE ADDON PACKAGE_DIR
set -u
AUDIOD=$1
ANALYZE=$2
node_bin=$3
export AUDIOD_NODE_ADDON=$4
PKG=$5
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

daemon_start --latency 1024
rec_start "$PW_ENV/out.wav"
pw_env_run "$node_bin" --input-type=module - "$PKG/index.mjs" >"$PW_ENV/node.log" 2>&1 <<'JS' ||
const W = await import(process.argv[2]);
const fail = (m) => { console.error(`FAIL: ${m}`); process.exit(1); };
const ctx = new W.AudioContext();
if (ctx.sampleRate !== 48000) fail(`sampleRate ${ctx.sampleRate}`);
if (!(ctx.baseLatency > 0 && ctx.outputLatency >= ctx.baseLatency)) fail('latencies');
const states = [];
ctx.onstatechange = () => states.push(ctx.state);
await new Promise((r) => setTimeout(r, 100));
if (ctx.state !== 'running') fail(`state ${ctx.state}`);
const t0 = ctx.currentTime;
const c = new W.ConstantSourceNode(ctx, { offset: 0.5 });
const g = ctx.createGain();
g.gain.value = 0.5;
c.connect(g).connect(ctx.destination);
try { c.connect(g, 3); fail('no IndexSizeError'); } catch (e) { if (e.name !== 'IndexSizeError') fail(e); }
const when = t0 + 0.5;
c.start(when);
c.stop(when + 2);
const ended = await new Promise((r) => { c.onended = () => r(ctx.currentTime); });
if (!(ended >= when + 2 - 0.01 && ended < when + 2.5)) fail(`ended at ${ended}, stop at ${when + 2}`);
if (!(ctx.currentTime > t0 + 2)) fail('currentTime did not advance');
await ctx.suspend();
const frozen = ctx.currentTime;
await new Promise((r) => setTimeout(r, 200));
if (ctx.currentTime !== frozen) fail('currentTime moved while suspended');
await ctx.resume();
await ctx.close();
if (ctx.state !== 'closed') fail(`state after close ${ctx.state}`);
if (states.join() !== 'running,suspended,running,closed') fail(`states ${states}`);
console.log(`ok: ended at ${ended}`);
JS
	{ cat "$PW_ENV/node.log" >&2; fail "the node script failed"; }
cat "$PW_ENV/node.log"
sleep 0.5
rec_stop
# the source played 2 s at 0.5 * 0.5
"$ANALYZE" "$PW_ENV/out.wav" 0 >"$PW_ENV/analysis.txt" || fail "nothing in the recording"
cat "$PW_ENV/analysis.txt"
awk '
	{ v[$1] = $2 }
	function check(ok, what) { if (!ok) { print "FAIL: " what; bad = 1 } }
	END {
		check(v["tone_frames"] == 96000, \
		      "played " v["tone_frames"] " frames, not 2 s (96000)")
		check(v["rms"] >= 0.2499 && v["rms"] <= 0.2501, "level " v["rms"] ", not 0.25")
		exit bad
	}' "$PW_ENV/analysis.txt" || fail "recording out of bounds"
py - <<'PY' || fail "the context's session outlived it"
import time
from audiod_test import Client
c = Client()
for _ in range(50):
    names = [s["name"] for s in c.ok("sessions")["sessions"]]
    if not any(n.startswith("node-") for n in names):
        break
    time.sleep(0.1)
assert not any(n.startswith("node-") for n in names), names
PY
# the daemon going away: the context fires `error` and turns suspended; close() still closes
export AUDIOD_PID
pw_env_alive "$AUDIOD_PID" || fail "audiod died"
pw_env_run "$node_bin" --input-type=module - "$PKG/index.mjs" >"$PW_ENV/node2.log" 2>&1 <<'JS' ||
const W = await import(process.argv[2]);
const fail = (m) => { console.error(`FAIL: ${m}`); process.exit(1); };
const ctx = new W.AudioContext();
await new Promise((r) => { ctx.onstatechange = r; });
const error = new Promise((r) => { ctx.onerror = r; });
const state = new Promise((r) => { ctx.onstatechange = () => r(ctx.state); });
process.kill(Number(process.env.AUDIOD_PID), 'SIGTERM');
const e = await error;
if (e.error.name !== 'InvalidStateError') fail(`error ${e.error}`);
if ((await state) !== 'suspended') fail(`state ${ctx.state}`);
await ctx.close();
if (ctx.state !== 'closed') fail(`state after close ${ctx.state}`);
console.log('ok: the lost daemon was reported');
JS
	{ cat "$PW_ENV/node2.log" >&2; fail "the daemon's loss was not reported"; }
cat "$PW_ENV/node2.log"
wait "$AUDIOD_PID"
pw_env_untrack "$AUDIOD_PID"
echo "PASS"
