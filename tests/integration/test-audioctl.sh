#!/bin/sh
# integration: every audioctl subcommand against the real daemon on a private, headless
# PipeWire (pw-env.sh).  checks exit statuses, the daemon's replies (--json lines, grepped),
# the human tables, and that `play` plays: the sink's monitor is recorded with pw-record
# (capturing before play starts, stopped once the frame play returned at has been heard)
# while `audioctl play` plays a 440 Hz tone of amplitude 0.5 at --gain 0.5, and the recording
# must hold that tone at 0.25 for about as long as the file.
# usage: test-audioctl.sh AUDIOD AUDIOCTL WAV-ANALYZE
set -u
AUDIOD=$1
AUDIOCTL=$2
ANALYZE=$3
. "$(dirname "$0")/pw-env.sh"
pw_env_start

fail() {
	echo "FAIL: $*" >&2
	for f in "$PW_ENV"/out.txt "$PW_ENV"/err.txt "$PW_ENV"/audiod.log; do
		[ -s "$f" ] && { echo "--- $f"; tail -n 40 "$f"; } >&2
	done
	pw_env_logs
	exit 1
}

SOCK="$PW_ENV/audiod.sock"
export AUDIOD_SOCKET="$SOCK"
HELPER="$(dirname "$0")/audiod_test.py"
OUT="$PW_ENV/out.txt"
ERR="$PW_ENV/err.txt"

# ctl ARGS...: runs audioctl, output in $OUT and $ERR, its status in $rc
ctl() {
	"$AUDIOCTL" --socket "$SOCK" "$@" >"$OUT" 2>"$ERR"
	rc=$?
}
# ok ARGS...: must succeed
ok() {
	ctl "$@"
	[ "$rc" -eq 0 ] || fail "audioctl $* exited $rc"
}
# refused CODE ARGS...: must exit 1 naming the error code
refused() {
	code=$1
	shift
	ctl "$@"
	[ "$rc" -eq 1 ] || fail "audioctl $* exited $rc, expected 1"
	grep -q "$code" "$ERR" "$OUT" || fail "audioctl $*: no \"$code\" in its output"
}
has() {
	grep -q -- "$1" "$OUT" || fail "expected \"$1\" in the output of the last command"
}
lacks() {
	grep -q -- "$1" "$OUT" && fail "did not expect \"$1\" in the output of the last command"
	return 0
}

# --- before the daemon: the hint, the help ---
ctl time
[ "$rc" -eq 1 ] || fail "time without a daemon exited $rc, expected 1"
grep -q "not running" "$ERR" || fail "no \"not running\" without a daemon"
grep -q "systemctl --user start audiod" "$ERR" || fail "no hint how to start the daemon"

ok help
for c in send create delete connect disconnect set param start stop buffer free-buffer get \
	 analyser batch ls save load graph sync time stats sessions close-session play watch \
	 top render; do
	grep -q "^  $c " "$OUT" || fail "audioctl help does not list $c"
	"$AUDIOCTL" "$c" --help >/dev/null 2>&1 || fail "audioctl $c --help failed"
done
ctl frobnicate
[ "$rc" -eq 2 ] || fail "an unknown command exited $rc, expected 2"

# --- the daemon ---
"$AUDIOD" --socket "$SOCK" -v >"$PW_ENV/audiod.log" 2>&1 </dev/null &
AUDIOD_PID=$!
pw_env_track "$AUDIOD_PID"
pw_env_wait "'$AUDIOCTL' --socket '$SOCK' time" 600 || fail "audiod never answered"

# --- raw mode ---
ok send '{"op":"time"}'
has '"ok":true'
has '"currentTime"'
ctl send '{"op":"time"}' '{"op":"nope"}' '{"op":"time"}'
[ "$rc" -eq 1 ] || fail "send with a failing request exited $rc"
[ "$(wc -l <"$OUT")" -eq 2 ] || fail "send went on after the first failure"
has unknown_op
ctl send --keep-going '{"op":"time"}' '{"op":"nope"}' '{"op":"time"}'
[ "$rc" -eq 1 ] || fail "send --keep-going with a failing request exited $rc"
[ "$(wc -l <"$OUT")" -eq 3 ] || fail "send --keep-going stopped early"
printf '{"op":"time"}\n\n{"op":"stats"}\n' | "$AUDIOCTL" --socket "$SOCK" - >"$OUT" 2>"$ERR" ||
	fail "JSON lines from stdin failed"
[ "$(grep -c '"ok":true' "$OUT")" -eq 2 ] || fail "stdin mode: expected two replies"
printf '{"op":"time"}\n' | "$AUDIOCTL" --socket "$SOCK" >"$OUT" 2>"$ERR" ||
	fail "JSON lines from a pipe without - failed"
has '"ok":true'
printf '{"op":"time"}\nnot json\n{"op":"time"}\n' |
	"$AUDIOCTL" --socket "$SOCK" - >"$OUT" 2>"$ERR" && fail "a bad line did not fail"
[ "$(wc -l <"$OUT")" -eq 2 ] || fail "stdin mode went on after a bad line"

# --- building a graph in Web Audio words ---
ok create OscillatorNode osc frequency=440 type=square
ok create GainNode g gain=0.25
ok create OscillatorNode lfo frequency=5
ok create GainNode
[ -s "$OUT" ] || fail "create without a name did not print the name it got"
anon=$(cat "$OUT")
refused unknown_type create OscilatorNode typo
grep -q OscillatorNode "$ERR" || fail "no suggestion for a misspelt type"
refused invalid_value create OscillatorNode bad type=triangular
ok connect osc g
ok connect g destination
ok connect lfo g.gain
refused unknown_param connect lfo g.gian
ok set osc type sawtooth
refused invalid_value set osc type nonsense
ok param g.gain value 0.2
ok param osc.frequency setValueAtTime 440 0
ok param osc.frequency linearRampToValueAtTime 880 2.5
ok param osc.frequency setValueCurveAtTime '[440,660,440]' 3 1
refused unknown_node param nope.gain value 1
ok start osc
ok start lfo --when 0.1
refused invalid_state start osc
ok --json get osc
has '"ok":true'
has sawtooth
ok get g
has gain
ok ls
has osc
has OscillatorNode
has 'g.gain'
has destination
ok ls --names
has '^lfo$'
has "^$anon\$"
ok graph --dot
has '^digraph'
has '"lfo" -> "g" \[style=dashed, label="gain"\]'
has '"osc" -> "g";'
has 'OscillatorNode'
if command -v dot >/dev/null 2>&1; then
	"$AUDIOCTL" --socket "$SOCK" graph --dot | dot -Tsvg >/dev/null || fail "dot rejects graph"
fi
ok sync
has frame
ok --json sync
has '"frame"'
ok stop osc --when 0
ok disconnect lfo g.gain
ok disconnect osc
ok delete "$anon"
refused unknown_node delete "$anon"
ok create AnalyserNode an fftSize=256
ok connect g an
ok analyser an getFloatTimeDomainData
[ "$(wc -l <"$OUT")" -eq 256 ] || fail "analyser: expected 256 samples"
ok --json analyser an getByteFrequencyData
has '"data":\['

# --- buffers ---
cat >"$PW_ENV/tone.json" <<'DOC'
{ "sampleRate": 48000, "length": 48000, "channels": 2,
  "nodes": [ { "id": "o", "type": "OscillatorNode", "options": { "frequency": 440 },
               "start": 0 },
             { "id": "g", "type": "GainNode", "options": { "gain": 0.5 } } ],
  "connections": [ ["o", "g"], ["g", "destination"] ] }
DOC
"$AUDIOCTL" render "$PW_ENV/tone.json" -o "$PW_ENV/tone.wav" -q ||
	fail "could not render the test tone"
# a document's buffers share one budget: the second is refused before it is generated
cat >"$PW_ENV/two.json" <<'DOC'
{ "sampleRate": 48000, "length": 128, "channels": 1,
  "buffers": { "a": { "generate": "noise", "seed": 1, "length": 786432 },
               "b": { "generate": "noise", "seed": 2, "length": 786432 } } }
DOC
"$AUDIOCTL" render "$PW_ENV/two.json" -o "$PW_ENV/two.wav" -q --max-buffer-mb 4 \
	2>"$PW_ENV/two.err" && fail "two 3 MiB buffers rendered within 4 MiB"
grep -q "buffers.b: .* more than the 1048576 left for buffers" "$PW_ENV/two.err" ||
	fail "the budget's refusal: $(cat "$PW_ENV/two.err")"
[ -e "$PW_ENV/two.wav" ] && fail "a refused render wrote its output"
"$AUDIOCTL" render "$PW_ENV/two.json" -o "$PW_ENV/two.wav" -q --max-buffer-mb 6 ||
	fail "two 3 MiB buffers did not render within 6 MiB"
ok buffer tone "$PW_ENV/tone.wav"
ok buffer nz noise seed=7 length=4800 numberOfChannels=2
ok buffer im impulse at=0 value=1 length=480
ok buffer inline '{"sampleRate":48000,"channels":[[0,0.5,1]]}'
refused io buffer missing "$PW_ENV/no-such-file.wav"
ok create AudioBufferSourceNode src buffer=tone loop=true
ok set src loop false
ok start src --when 0 --offset 0.5 --duration 0.1
ok free-buffer nz
refused unknown free-buffer nz
ok batch /dev/stdin <<'BATCH'
[ {"op":"create","type":"GainNode","id":"b1"}, {"op":"connect","from":"b1","to":"g"} ]
BATCH
ok ls --names
has '^b1$'
ctl batch /dev/stdin <<'BATCH'
[ {"op":"create","type":"GainNode","id":"b2"}, {"op":"connect","from":"b2","to":"zz"} ]
BATCH
[ "$rc" -eq 1 ] || fail "a failing batch exited $rc"
ok ls --names
lacks '^b2$'

# --- save and load ---
ok save "$PW_ENV/saved.json"
grep -q '"OscillatorNode"' "$PW_ENV/saved.json" || fail "save: no oscillator in the document"
ok save
has '"nodes"'
ok --session copy load "$PW_ENV/saved.json"
ok --session copy ls --names
has '^osc$'
has '^lfo$'
ok --session copy load "$PW_ENV/saved.json" --replace
ok close-session copy
refused "not a JSON object" load /dev/null

# --- sessions, stats, time ---
ok --session eph --ephemeral create GainNode x
pw_env_wait "! '$AUDIOCTL' --socket '$SOCK' sessions | grep -q eph" 600 ||
	fail "the ephemeral session outlived its last client"
ok sessions
has default
ok --json sessions
has '"sessions"'
ok stats
has underruns
has xruns
ok --json stats
for k in underruns xruns renderLoad ringFill queue commandLatencyMs nodes sessions clients \
	 uptimeS; do
	has "\"$k\""
done
ok time
has currentTime
ok --json time
for k in currentTime frame sampleRate baseLatency outputLatency monotonicNs; do
	has "\"$k\""
done
ok top --once
has SESSION
has default
has underruns

# --- watch: an `ended` event arrives and SIGINT ends it cleanly ---
"$AUDIOCTL" --socket "$SOCK" --json watch ended session >"$PW_ENV/watch.txt" 2>&1 </dev/null &
WATCH_PID=$!
pw_env_track "$WATCH_PID"
# watch has subscribed once it reports a session event: open and close an empty ephemeral
# session until it does
pw_env_wait "'$AUDIOCTL' --socket '$SOCK' --session probe --ephemeral sessions &&
	grep -q '\"probe\"' '$PW_ENV/watch.txt'" 600 || fail "watch never subscribed"
ok create AudioBufferSourceNode short buffer=im
ok start short
# other sources (other sessions too) may end meanwhile: wait for ours
pw_env_wait "grep -q '\"ended\"' '$PW_ENV/watch.txt'" 600 || fail "watch saw no ended event"
pw_env_wait "grep -q '\"short\"' '$PW_ENV/watch.txt'" 600 ||
	fail "no ended event names the node"
kill -INT "$WATCH_PID"
wait "$WATCH_PID" || fail "watch did not exit 0 on SIGINT"
pw_env_untrack "$WATCH_PID"

# --- play, recorded: in a session of its own with everything else silent ---
ok delete osc
ok delete lfo
ok delete src
ok sync
# frame: the frame of a `time` reading, through audioctl
frame() {
	ok --json time
	sed -n 's/.*"frame": *\([0-9]*\).*/\1/p' "$OUT"
}
rec_start "$PW_ENV/played.wav"
before=$(frame)
ok --session player play "$PW_ENV/tone.wav" --gain 0.5
after=$(frame)
[ -n "$before" ] && [ -n "$after" ] || fail "no frame in the time replies"
# the end of the tone was rendered by frame $after: wait until that has been heard
pw_env_run python3 "$HELPER" wait-heard "$after" "$before" >/dev/null ||
	fail "the played tone was not heard"
rec_stop
took=$((after - before))
echo "play took $took frames"
[ "$took" -ge 45600 ] || fail "play returned after $took frames, before the end (0.95 s)"
ok --session player ls --names
lacks '^play-'
# trim 0: the whole tone counts (wav-analyze trims 0.1 s at each end by default)
"$ANALYZE" "$PW_ENV/played.wav" 0 >"$PW_ENV/analysis.txt" || fail "nothing played"
cat "$PW_ENV/analysis.txt"
awk '{ v[$1] = $2 } END {
	bad = 0
	if (v["frequency"] < 439.5 || v["frequency"] > 440.5) { print "frequency " v["frequency"]; bad = 1 }
	if (v["amplitude"] < 0.24 || v["amplitude"] > 0.26) { print "amplitude " v["amplitude"]; bad = 1 }
	if (v["tone_frames"] < 0.9 * 48000 || v["tone_frames"] > 1.1 * 48000) {
		print "tone_frames " v["tone_frames"]; bad = 1 }
	exit bad }' "$PW_ENV/analysis.txt" || fail "play did not play the file as it is"

ok --session player play "$PW_ENV/tone.wav" --no-wait --loop
player=$(cat "$OUT")
ok --session player ls --names
has "^$player\$"
ok --session player stop "$player"
ok --session player delete "$player"
ok --session player free-buffer "$player"
ctl play "$PW_ENV/nothing-here.wav"
[ "$rc" -eq 1 ] || fail "play of a missing file exited $rc"

# --- the daemon goes away ---
kill -TERM "$AUDIOD_PID"
wait "$AUDIOD_PID" || fail "audiod exited with status $?"
pw_env_untrack "$AUDIOD_PID"
ctl time
[ "$rc" -eq 1 ] || fail "time after the daemon left exited $rc"
grep -q "not running" "$ERR" || fail "no \"not running\" after the daemon left"
echo "PASS"
