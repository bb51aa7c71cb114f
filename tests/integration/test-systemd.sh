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

# 2 and 3. socket activation with our own notify socket and a 0.4 s watchdog
python3 - "$PW_ENV/notify" >"$PW_ENV/notify.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
end = time.monotonic() + 20
while time.monotonic() < end:
    try:
        msg = s.recv(4096).decode()
    except socket.timeout:
        continue
    print(msg.replace("\n", "|"), flush=True)
    if "STOPPING=1" in msg:
        break
PY
NOTIFY_PID=$!
pw_env_wait "test -S '$PW_ENV/notify'" 50 || fail "no notify socket"

NOTIFY_SOCKET="$PW_ENV/notify" WATCHDOG_USEC=400000 \
	systemd-socket-activate -l "$SOCK" --fdname=control -E NOTIFY_SOCKET -E WATCHDOG_USEC \
	-E XDG_RUNTIME_DIR -E XDG_CONFIG_HOME -E XDG_STATE_HOME \
	"$AUDIOD" -v >"$PW_ENV/audiod.log" 2>&1 &
AUDIOD_PID=$!
pw_env_wait "test -S '$SOCK'" 50 || fail "systemd-socket-activate is not listening"
grep -q 'playing:' "$PW_ENV/audiod.log" && fail "audiod ran before the first connection"
python3 - <<'PY' || fail "the first connection did not start audiod"
import os
from audiod_test import Client
c = Client(os.environ["AUDIOD_SOCKET"])
print("hello:", c.hello)
c.ok("time")
PY
grep -q 'socket activation' "$PW_ENV/audiod.log" || fail "audiod did not take systemd's socket"
pw_env_wait "grep -q 'READY=1' '$PW_ENV/notify.log'" 100 || fail "no READY=1"
sleep 1.5
kill -TERM "$AUDIOD_PID"
wait "$AUDIOD_PID" || fail "audiod exited with an error"
wait "$NOTIFY_PID"
cat "$PW_ENV/notify.log"
grep -q 'READY=1|STATUS=playing' "$PW_ENV/notify.log" || fail "READY=1 came without a STATUS"
n=$(grep -c '^WATCHDOG=1' "$PW_ENV/notify.log")
[ "$n" -ge 5 ] || fail "only $n WATCHDOG=1 in 1.5 s at a 0.4 s watchdog"
tail -n 1 "$PW_ENV/notify.log" | grep -q 'STOPPING=1' || fail "no STOPPING=1 last"
[ -e "$SOCK" ] && echo "(the socket belongs to systemd-socket-activate, which is gone too)"
echo PASS
