#!/bin/sh
# integration: the real-time safety proof on the real daemon.  audiod built with rtcheck
# aborts when its render thread or PipeWire process callback allocates, frees or locks.
# 1. the interposer is live in the binary and reaches shared libraries: --rtcheck-selftest
#    marks the main thread and calls into libpipewire, which allocates: it must abort.
# 2. audiod, playing a client's tone, renders 5 s of audio (its `time` frame, polled) at a small quantum (64
#    frames, many callbacks) against a private PipeWire, then exits cleanly on SIGTERM: no
#    violation happened.
# usage: test-rtcheck-daemon.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
export AUDIOD_SOCKET="$PW_ENV/audiod.sock"

fail() {
	echo "FAIL: $*" >&2
	cat "$PW_ENV/audiod.log" >&2
	pw_env_logs
	exit 1
}

pw_env_run "$AUDIOD" --rtcheck-selftest >"$PW_ENV/audiod.log" 2>&1 </dev/null
rc=$?
[ "$rc" -eq 134 ] || fail "selftest: expected SIGABRT (134), got $rc"
grep -q 'rtcheck: .* called on a real-time thread' "$PW_ENV/audiod.log" ||
	fail "selftest: no rtcheck message"
echo "selftest aborted as it should"

"$AUDIOD" --socket "$AUDIOD_SOCKET" --no-persist --latency 64 --lead 128 -v \
	>"$PW_ENV/audiod.log" 2>&1 </dev/null &
AUDIOD_PID=$!
pw_env_track "$AUDIOD_PID"
pw_env_wait "grep -q 'playing:' '$PW_ENV/audiod.log'" 600 || fail "audiod never started playing"
pw_env_wait "test -S '$AUDIOD_SOCKET'" 600 || fail "audiod never listened"
pw_env_run python3 "$(dirname "$0")/audiod_test.py" tone || fail "the tone's graph was refused"
pw_env_run python3 "$(dirname "$0")/audiod_test.py" wait-rendered $((5 * 48000)) ||
	fail "audiod did not render 5 s (rtcheck abort?)"
pw_env_alive "$AUDIOD_PID" || fail "audiod died (rtcheck abort?)"
kill -TERM "$AUDIOD_PID"
wait "$AUDIOD_PID"
rc=$?
pw_env_untrack "$AUDIOD_PID"
[ "$rc" -eq 0 ] || fail "audiod exited with status $rc"
grep -q 'rtcheck:' "$PW_ENV/audiod.log" && fail "rtcheck reported a violation"
grep -E 'underruns|xruns' "$PW_ENV/audiod.log" || true
echo "PASS"
