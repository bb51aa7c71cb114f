# daemon-env.sh: the real daemon (an rtcheck build) on a private PipeWire for the socket
# tests.  source after pw-env.sh; daemon_start ARGS..., record SECONDS FILE, daemon_stop.
# every test ends by proving the daemon stayed up, exited cleanly on SIGTERM, and that
# rtcheck saw no allocation or lock on a real-time thread while it served real traffic.

SOCK="$PW_ENV/audiod.sock"
export AUDIOD_SOCKET="$SOCK"
export PYTHONPATH="$(dirname "$0")${PYTHONPATH:+:$PYTHONPATH}"

fail() {
	echo "FAIL: $*" >&2
	echo "--- audiod log (tail)" >&2
	tail -n 40 "$PW_ENV/audiod.log" >&2
	pw_env_logs
	exit 1
}

daemon_start() {
	"$AUDIOD" --socket "$SOCK" -v "$@" >"$PW_ENV/audiod.log" 2>&1 &
	AUDIOD_PID=$!
	pw_env_wait "grep -q 'playing:' '$PW_ENV/audiod.log'" 100 || fail "audiod never started playing"
	pw_env_wait "test -S '$SOCK'" 50 || fail "audiod never listened on $SOCK"
}

# record SECONDS FILE: the sink's monitor, in the background (REC_PID)
record() {
	PIPEWIRE_CONFIG_NAME=client-rt.conf timeout -s INT "$1" \
		pw-record --target test-sink --format f32 --rate 48000 --channels 2 \
		-P '{ stream.capture.sink = true }' "$2" 2>"$PW_ENV/pw-record.log" &
	REC_PID=$!
}

daemon_stop() {
	kill -0 "$AUDIOD_PID" 2>/dev/null || fail "audiod died"
	kill -TERM "$AUDIOD_PID"
	wait "$AUDIOD_PID"
	rc=$?
	[ "$rc" -eq 0 ] || fail "audiod exited with status $rc"
	[ -e "$SOCK" ] && fail "audiod left its socket behind"
	grep -q 'rtcheck:' "$PW_ENV/audiod.log" && fail "rtcheck reported a real-time violation"
	grep 'totals:' "$PW_ENV/audiod.log"
	return 0
}
