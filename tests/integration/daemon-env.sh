# daemon-env.sh: the real daemon (an rtcheck build) on a private PipeWire for the socket
# tests.  source after pw-env.sh; daemon_start ARGS..., py (python helpers, tracked),
# daemon_stop.  the recorder is pw-env.sh's rec_start / rec_stop; the python side
# (audiod_test.py) schedules from one `time` reading and waits until it has been heard.
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

# py ARGS...: python3 ARGS... (a here-document as its stdin), killed with the test
py() {
	pw_env_run python3 "$@"
}

# starts the daemon and waits until it plays and listens (right after start: before any
# idle suspension could pause its stream)
daemon_start() {
	# emptied here, not by the redirection: the child may open the file only after the
	# waits below have read the last daemon's log (its "playing:" and "listening on")
	: >"$PW_ENV/audiod.log"
	"$AUDIOD" --socket "$SOCK" -v "$@" >>"$PW_ENV/audiod.log" 2>&1 </dev/null &
	AUDIOD_PID=$!
	pw_env_track "$AUDIOD_PID"
	pw_env_wait "grep -q 'playing:' '$PW_ENV/audiod.log'" 600 ||
		fail "audiod never started playing"
	pw_env_wait "test -S '$SOCK'" 600 || fail "audiod never listened on $SOCK"
}

daemon_stop() {
	pw_env_alive "$AUDIOD_PID" || fail "audiod died"
	kill -TERM "$AUDIOD_PID"
	wait "$AUDIOD_PID"
	rc=$?
	pw_env_untrack "$AUDIOD_PID"
	[ "$rc" -eq 0 ] || fail "audiod exited with status $rc"
	[ -e "$SOCK" ] && fail "audiod left its socket behind"
	grep -q 'rtcheck:' "$PW_ENV/audiod.log" && fail "rtcheck reported a real-time violation"
	grep 'totals:' "$PW_ENV/audiod.log"
	return 0
}
