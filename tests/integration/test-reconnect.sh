#!/bin/sh
# integration: audiod survives PipeWire going away.  with audiod playing a client's tone, the server
# (and WirePlumber) is killed; once audiod has logged that PipeWire is gone (a reconnection
# attempt failed) and is still running, the server is started again; audiod must retry,
# rebuild its stream, and play the 440 Hz tone again (1.5 s recorded once its new stream is
# linked), without ever exiting.
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

export AUDIOD_SOCKET="$PW_ENV/audiod.sock"
"$AUDIOD" --socket "$AUDIOD_SOCKET" --no-persist --latency 1024 -v >"$PW_ENV/audiod.log" 2>&1 \
	</dev/null &
AUDIOD_PID=$!
pw_env_track "$AUDIOD_PID"
pw_env_wait "grep -q 'playing:' '$PW_ENV/audiod.log'" 600 || fail "audiod never started playing"
pw_env_wait "test -S '$AUDIOD_SOCKET'" 600 || fail "audiod never listened"
pw_env_run python3 "$(dirname "$0")/audiod_test.py" tone ||
	fail "the tone's graph was refused"

pw_env_kill_server
pw_env_wait "grep -q 'pipewire is gone' '$PW_ENV/audiod.log'" 600 ||
	fail "audiod did not notice that PipeWire went away"
pw_env_alive "$AUDIOD_PID" || fail "audiod exited when PipeWire went away"
pw_env_start_server || fail "PipeWire did not restart"
# after_gone PATTERN: a log line matching PATTERN follows the first "pipewire is gone" (a
# retry may reach the dying server once before that)
after_gone() {
	awk -v p="$1" '/pipewire is gone/ { gone = 1 } gone && $0 ~ p { found = 1 }
		END { exit !found }' "$PW_ENV/audiod.log"
}
pw_env_wait "after_gone 'reconnected to pipewire'" 600 || fail "no reconnection"
pw_env_wait "after_gone 'playing:'" 600 || fail "not playing after reconnecting"
pw_env_wait "pw_env_linked audiod:output_ test-sink:playback_" 600 ||
	fail "audiod's new stream was not linked to test-sink"

rec_start "$PW_ENV/out.wav"
rec_wait_seconds 1.5
rec_stop
"$ANALYZE" "$PW_ENV/out.wav" >"$PW_ENV/analysis.txt" || fail "no tone after reconnecting"
awk '{ v[$1] = $2 } END { exit !(v["frequency"] > 439.5 && v["frequency"] < 440.5 &&
	v["amplitude"] > 0.19 && v["amplitude"] < 0.21) }' "$PW_ENV/analysis.txt" ||
	{ cat "$PW_ENV/analysis.txt"; fail "wrong tone after reconnecting"; }

kill -TERM "$AUDIOD_PID"
wait "$AUDIOD_PID"
rc=$?
pw_env_untrack "$AUDIOD_PID"
[ "$rc" -eq 0 ] || fail "audiod exited with status $rc"
grep -E 'pipewire|reconnect|totals' "$PW_ENV/audiod.log"
echo "PASS"
