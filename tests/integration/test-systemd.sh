#!/bin/sh
# integration: the systemd side, checked with systemd's own tools (systemd is not PID 1 here,
# see the notes on testing it): the user units verify with no output at all and score an
# exposure of at most 2.0; systemd-socket-activate starts audiod on the first connection and
# hands it the listening socket; a NOTIFY_SOCKET of ours receives READY=1 with a STATUS line
# once audiod listens and plays, WATCHDOG=1 at the asked interval, then STOPPING=1 on SIGTERM.
# usage: test-systemd.sh AUDIOD UNIT_DIR (the build's systemd/ folder with the generated units)
set -u
AUDIOD=$1
UNITS=$2
. "$(dirname "$0")/pw-env.sh"
pw_env_need systemd-analyze systemd-socket-activate python3
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

# 1. units: ExecStart pointed at the built daemon so verify can check the binary
mkdir -p "$PW_ENV/units"
sed "s|^ExecStart=.*|ExecStart=$(readlink -f "$AUDIOD")|" "$UNITS/audiod.service" \
	>"$PW_ENV/units/audiod.service"
cp "$UNITS/audiod.socket" "$PW_ENV/units/audiod.socket"
( cd "$PW_ENV/units" && systemd-analyze --user verify --man=no audiod.service audiod.socket ) \
	>"$PW_ENV/verify.out" 2>"$PW_ENV/verify.err" || { cat "$PW_ENV/verify.err"; fail "verify failed"; }
[ -s "$PW_ENV/verify.err" ] && { cat "$PW_ENV/verify.err"; fail "verify printed warnings"; }
score=$(cd "$PW_ENV/units" && systemd-analyze security --offline=yes audiod.service 2>&1 |
	sed -n 's/.*Overall exposure level for audiod.service: \([0-9.]*\).*/\1/p')
echo "exposure: $score"
[ -n "$score" ] || fail "no exposure score"
awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "exposure $score > 2.0"

# 2 and 3. socket activation with our own notify socket and a 0.4 s watchdog.  the listener
# stamps each datagram with CLOCK_MONOTONIC; it stops at STOPPING=1 (or is killed on exit)
python3 - "$PW_ENV/notify" >"$PW_ENV/notify.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    msg = s.recv(4096).decode()
    print("%.6f %s" % (time.monotonic(), msg.replace("\n", "|")), flush=True)
    if "STOPPING=1" in msg:
        break
PY
NOTIFY_PID=$!
pw_env_track "$NOTIFY_PID"
pw_env_wait "test -S '$PW_ENV/notify'" 600 || fail "no notify socket"

NOTIFY_SOCKET="$PW_ENV/notify" WATCHDOG_USEC=400000 \
	systemd-socket-activate -l "$SOCK" --fdname=control -E NOTIFY_SOCKET -E WATCHDOG_USEC \
	-E XDG_RUNTIME_DIR -E XDG_CONFIG_HOME -E XDG_STATE_HOME \
	"$AUDIOD" -v >"$PW_ENV/audiod.log" 2>&1 </dev/null &
AUDIOD_PID=$!
pw_env_track "$AUDIOD_PID"
pw_env_wait "test -S '$SOCK'" 600 || fail "systemd-socket-activate is not listening"
grep -q 'playing:' "$PW_ENV/audiod.log" && fail "audiod ran before the first connection"
py - <<'PY' || fail "the first connection did not start audiod"
from audiod_test import Client
c = Client()
print("hello:", c.hello)
c.ok("time")
PY
grep -q 'socket activation' "$PW_ENV/audiod.log" || fail "audiod did not take systemd's socket"
pw_env_wait "grep -q 'READY=1' '$PW_ENV/notify.log'" 600 || fail "no READY=1"
# five watchdog pings after READY=1 (polled, not slept for); their spacing is checked below
pw_env_wait "[ \$(sed -n '/READY=1/,\$p' '$PW_ENV/notify.log' | grep -c ' WATCHDOG=1') -ge 5 ]" 600 ||
	fail "fewer than 5 WATCHDOG=1 after READY=1 within 60 s"
kill -TERM "$AUDIOD_PID"
wait "$AUDIOD_PID" || fail "audiod exited with an error"
pw_env_untrack "$AUDIOD_PID"
pw_env_wait "! pw_env_alive $NOTIFY_PID" 600 || fail "the notify listener saw no STOPPING=1"
wait "$NOTIFY_PID"
pw_env_untrack "$NOTIFY_PID"
cat "$PW_ENV/notify.log"
grep -q ' READY=1|STATUS=playing' "$PW_ENV/notify.log" || fail "READY=1 came without a STATUS"
# the watchdog asked for 0.4 s: from READY=1 on, each of the first five pings within 0.4 s of
# the one before (systemd would kill the service otherwise) and 0.3 s apart on average (the
# daemon pings at half the interval)
awk '
	/ READY=1/ { ready = $1; last = $1; next }
	ready == "" || $2 != "WATCHDOG=1" || n >= 5 { next }
	{ gap = $1 - last; last = $1; n++; if (gap > worst) worst = gap }
	END {
		printf "watchdog: %d pings, %.3f s after READY=1, largest gap %.3f s\n", n,
		       last - ready, worst
		exit !(n == 5 && worst <= 0.4 && (last - ready) / 5 <= 0.3)
	}' "$PW_ENV/notify.log" || fail "WATCHDOG=1 not at the asked interval"
tail -n 1 "$PW_ENV/notify.log" | grep -q ' STOPPING=1' || fail "no STOPPING=1 last"
[ -e "$SOCK" ] && echo "(the socket belongs to systemd-socket-activate, which is gone too)"
echo PASS
