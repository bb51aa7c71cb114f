#!/bin/sh
# integration: ~/.config/audiod/audiod.conf ($XDG_CONFIG_HOME) sets options, the command line
# overrides it: the file asks for 44100 Hz, mono and one client at most; the command line
# asks for stereo.  the hello shows 44100 Hz and 2 channels, and a second connection gets a
# `limit` error.  a bad line makes audiod refuse to start, naming the file and line.
# usage: test-config.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

mkdir -p "$XDG_CONFIG_HOME/audiod"
printf 'max-clients = 1   # one app at a time\nrate = 44100\n\nchannels = 1\n' \
	>"$XDG_CONFIG_HOME/audiod/audiod.conf"
daemon_start --latency 1024 --channels 2
py - <<'PY' || fail "the config file was not applied"
import json, os, socket, sys
from audiod_test import Client
a = Client(os.environ["AUDIOD_SOCKET"])
print("hello:", a.hello)
if a.hello["sampleRate"] != 44100 or a.hello["channels"] != 2:
    sys.exit("expected 44100 Hz from the file and 2 channels from the command line")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(30)
s.connect(os.environ["AUDIOD_SOCKET"])
line = s.makefile().readline()
print("second client:", line.strip())
msg = json.loads(line)
if msg.get("error", {}).get("code") != "limit":
    sys.exit("a second client was served despite max-clients = 1")
PY
daemon_stop

printf 'rate = fast\n' >"$XDG_CONFIG_HOME/audiod/audiod.conf"
# the timeout only bounds a daemon that wrongly started (status 124 fails too)
pw_env_run timeout 60 "$AUDIOD" --socket "$SOCK" >"$PW_ENV/bad.log" 2>&1 </dev/null
rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "audiod started with a bad config file (status $rc)"
cat "$PW_ENV/bad.log"
grep -q 'audiod.conf:1' "$PW_ENV/bad.log" || fail "the error does not name the file and line"
echo PASS
