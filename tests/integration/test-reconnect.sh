#!/bin/sh
# integration: audiod survives PipeWire going away.  with audiod --demo playing, the server
# (and WirePlumber) is killed and started again; audiod must notice, retry every 0.5 s,
# rebuild its stream, and play the 440 Hz tone again, without ever exiting.
# usage: test-reconnect.sh AUDIOD WAV-ANALYZE
set -u
AUDIOD=$1
ANALYZE=$2
. "$(dirname "$0")/pw-env.sh"
pw_env_start

fail() {
	echo "FAIL: $*" >&2
	cat "$PW_ENV/audiod.log" >&2
	pw_env_logs
	exit 1
}

"$AUDIOD" --demo --latency 1024 -v >"$PW_ENV/audiod.log" 2>&1 &
AUDIOD_PID=$!
pw_env_wait "grep -q 'playing:' '$PW_ENV/audiod.log'" 100 || fail "audiod never started playing"

pw_env_kill_server
sleep 1.2
kill -0 "$AUDIOD_PID" 2>/dev/null || fail "audiod exited when PipeWire went away"
pw_env_start_server || fail "PipeWire did not restart"
pw_env_wait "grep -q 'reconnected to pipewire' '$PW_ENV/audiod.log'" 50 || fail "no reconnection"
pw_env_wait "test \$(grep -c 'playing:' '$PW_ENV/audiod.log') -ge 2" 50 ||
	fail "not playing after reconnecting"
sleep 0.3

PIPEWIRE_CONFIG_NAME=client-rt.conf timeout -s INT 1.5 pw-record --target test-sink \
	--format f32 --rate 48000 --channels 2 -P '{ stream.capture.sink = true }' \
	"$PW_ENV/out.wav" 2>/dev/null
"$ANALYZE" "$PW_ENV/out.wav" >"$PW_ENV/analysis.txt" || fail "no tone after reconnecting"
awk '{ v[$1] = $2 } END { exit !(v["frequency"] > 439.5 && v["frequency"] < 440.5 &&
	v["amplitude"] > 0.19 && v["amplitude"] < 0.21) }' "$PW_ENV/analysis.txt" ||
	{ cat "$PW_ENV/analysis.txt"; fail "wrong tone after reconnecting"; }

kill -TERM "$AUDIOD_PID"
wait "$AUDIOD_PID"
rc=$?
[ "$rc" -eq 0 ] || fail "audiod exited with status $rc"
grep -E 'pipewire|reconnect|totals' "$PW_ENV/audiod.log"
echo "PASS"
