#!/bin/sh
# integration: hostile request lines and hostile socket paths.  lines with invalid UTF-8 get
# parse_error with a message that does not echo the bytes; an escaped NUL, an unpaired
# surrogate escape, a key twice in one object (at any depth, a load's document included),
# nesting past 32, and JSON that is not an object get bad_request naming the JSON path, and
# nothing of such a request is applied; every reply is one line of valid UTF-8 and the
# connection stays usable.  then `--socket PATH`: a live daemon's socket, a regular file, a
# directory, a symbolic link, another user's socket, and a socket directory that is a
# symlink, group/other-writable or another user's are all refused (audiod exits non-zero,
# says why and leaves them exactly as they were); a stale socket of ours is replaced and a
# missing directory is created 0700.
# usage: test-hostile.sh AUDIOD [ignored]
set -u
AUDIOD=$1
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"

# refuse_start PATH MESSAGE: `audiod --socket PATH` must exit non-zero (not be killed by the
# timeout, which only bounds a daemon that wrongly started) and log MESSAGE
refuse_start() {
	timeout 60 "$AUDIOD" --socket "$1" >"$PW_ENV/refused.log" 2>&1 </dev/null
	rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "audiod --socket $1: status $rc, not a refusal"
	grep -qF -- "$2" "$PW_ENV/refused.log" ||
		{ cat "$PW_ENV/refused.log" >&2; fail "audiod --socket $1 did not say: $2"; }
}

daemon_start --latency 1024
python3 - <<'PY' || fail "a hostile line was not answered as PROTOCOL.md says"
import json, os, sys
from audiod_test import Client

c = Client(os.environ["AUDIOD_SOCKET"])

def raw(line):
    """sends the bytes as one line; the reply must be one line of valid UTF-8 JSON"""
    c.sock.sendall(line + b"\n")
    while b"\n" not in c.buf:
        chunk = c.sock.recv(65536)
        if not chunk:
            sys.exit("the daemon closed the connection after %r" % line)
        c.buf += chunk
    text, c.buf = c.buf.split(b"\n", 1)
    try:
        reply = json.loads(text.decode("utf-8", errors="strict"))
    except (UnicodeDecodeError, ValueError) as e:
        sys.exit("%r: the reply %r is not one line of UTF-8 JSON: %s" % (line, text, e))
    return reply

def refused(line, code, message):
    r = raw(line)
    want = {"ok": False, "error": {"code": code, "message": message}}
    if r != want:
        sys.exit("%r:\n got      %s\n expected %s" % (line, json.dumps(r), json.dumps(want)))

# invalid UTF-8: overlongs, encoded surrogates, above U+10FFFF, bytes that never occur,
# sequences cut short; the column is the first bad byte's
for line, col in [(b'{"op":"time","id":"\xc0\xaf"}', 20),
                  (b'{"op":"time","id":"\xe0\x80\xaf"}', 20),
                  (b'{"op":"x\xed\xa0\x80"}', 9),
                  (b'{"op":"time","id":"\xed\xbf\xbf"}', 20),
                  (b'{"op":"time","id":"\xf4\x90\x80\x80"}', 20),
                  (b'{"op":"\xff"}', 8),
                  (b'{"op":"\xf5\x80\x80\x80"}', 8),
                  (b'{"op":"time","id":"\xe2\x82"}', 20),
                  (b'{"op":"time","id":"ok\xc3"}', 22),
                  (b'{"op":"time","\x80":1}', 15)]:
    refused(line, "parse_error", "column %d: invalid UTF-8" % col)

# an escaped NUL used to cut the name: node "a" was created
refused(b'{"op":"create","type":"GainNode","id":"a\\u0000b"}', "bad_request",
        "id: embedded NUL")
refused(b'{"op":"create","type":"GainNode","id":"a","options":{"\\u0000":1}}', "bad_request",
        "options: embedded NUL in a key")
refused(b'{"op":"time","id":"\\ud800"}', "bad_request", "id: unpaired surrogate \\ud800")
refused(b'{"op":"time","id":"\\udfff\\ud800"}', "bad_request", "id: unpaired surrogate \\udfff")

# duplicate keys: json-c kept the last one
refused(b'{"op":"time","op":"nope"}', "bad_request", 'duplicate key "op"')
refused(b'{"op":"create","type":"GainNode","id":"g","options":{"gain":0.5,"gain":2}}',
        "bad_request", 'options: duplicate key "gain"')
refused(b'{"op":"create","type":"GainNode","id":"g","\\u0069d":"h"}', "bad_request",
        'duplicate key "id"')
refused(b'{"op":"batch","commands":[{"op":"create","type":"GainNode","id":"b"},'
        b'{"op":"connect","from":"b","to":"destination","to":"b"}]}', "bad_request",
        'commands[1]: duplicate key "to"')
refused(b'{"op":"load","document":{"nodes":[{"id":"d","type":"GainNode",'
        b'"type":"OscillatorNode"}]}}', "bad_request", 'document.nodes[0]: duplicate key "type"')
for name in ["a", "g", "h", "b", "d"]:
    r = c.request("get", id=name)
    if r.get("ok") or r["error"]["code"] != "unknown_node":
        sys.exit("a refused request left node %s: %s" % (name, json.dumps(r)))

# valid JSON that is not an object: bad_request, not parse_error
for line in [b"42", b"null", b"[1]", b'"x"', b"true", b" -0.5e3 ", b"[]"]:
    refused(line, "bad_request", "a request must be a JSON object")

# nesting: 32 arrays and objects are fine, 33 are not
deep = b'{"op":"time","id":' + b"[" * 31 + b"]" * 31 + b"}"
r = raw(deep)
if not r.get("ok") or json.dumps(r["id"]) != "[" * 31 + "]" * 31:
    sys.exit("31 nested arrays in an object: %s" % json.dumps(r)[:200])
refused(b'{"op":"time","id":' + b"[" * 32 + b"]" * 32 + b"}", "bad_request",
        "id" + "[0]" * 31 + ": nested deeper than 32 arrays and objects")

# plain syntax errors keep parse_error, with where
refused(b'{"op":"time"', "parse_error", "column 13: invalid JSON: unexpected end")
refused(b'{"op":"time"} x', "parse_error", "column 15: invalid JSON: text after the value")
refused(b'{"op":"time",}', "parse_error", "column 14: invalid JSON: expected a key")
refused(b'{"op":"time","id":"a\tb"}', "parse_error",
        "column 21: invalid JSON: a control character in a string")

# valid UTF-8 and escapes still come back as sent
r = raw('{"op":"time","id":"\u00e9\U0001f3b5 \\u00e9\\ud83c\\udfb5"}'.encode())
if not r.get("ok") or r["id"] != "\u00e9\U0001f3b5 \u00e9\U0001f3b5":
    sys.exit("UTF-8 id did not round-trip: %s" % json.dumps(r))
# a message quoting a key with control characters and quotes escapes them
refused(b'{"op":"time","id":{"\\u001b[2J\\"":1,"\\u001b[2J\\"":2}}', "bad_request",
        'id: duplicate key "\\u001b[2J\\""')
c.ok("time")
print("hostile lines: every reply as expected")
PY

# a second daemon on a live daemon's socket: refused, the first keeps its socket
refuse_start "$SOCK" "another audiod is listening on $SOCK"
python3 -c 'import os; from audiod_test import Client; Client(os.environ["AUDIOD_SOCKET"]).ok("time")' ||
	fail "the first daemon stopped answering"
daemon_stop

# whatever is not a stale socket of ours stays exactly as it was
printf 'precious\n' >"$PW_ENV/file"
refuse_start "$PW_ENV/file" "$PW_ENV/file is a regular file, not a socket: not replacing it"
[ "$(cat "$PW_ENV/file")" = precious ] || fail "a regular file at the socket path was touched"
mkdir "$PW_ENV/dir"
refuse_start "$PW_ENV/dir" "$PW_ENV/dir is a directory, not a socket: not replacing it"
[ -d "$PW_ENV/dir" ] || fail "a directory at the socket path was touched"
ln -s "$PW_ENV/file" "$PW_ENV/link"
refuse_start "$PW_ENV/link" "$PW_ENV/link is a symbolic link, not a socket: not replacing it"
[ -L "$PW_ENV/link" ] && [ "$(cat "$PW_ENV/file")" = precious ] ||
	fail "a symlink at the socket path was touched"

# the socket's directory
mkdir -m 700 "$PW_ENV/real"
ln -s "$PW_ENV/real" "$PW_ENV/dirlink"
refuse_start "$PW_ENV/dirlink/s" "$PW_ENV/dirlink: the socket's directory is a symbolic link"
mkdir "$PW_ENV/open" && chmod 777 "$PW_ENV/open"
refuse_start "$PW_ENV/open/s" \
	"$PW_ENV/open: the socket's directory is writable by others (mode 0777)"
mkdir "$PW_ENV/group" && chmod 770 "$PW_ENV/group"
refuse_start "$PW_ENV/group/s" \
	"$PW_ENV/group: the socket's directory is writable by others (mode 0770)"
[ -z "$(find "$PW_ENV/real" "$PW_ENV/open" "$PW_ENV/group" -mindepth 1)" ] ||
	fail "a refused daemon left something in a socket directory"
if [ "$(id -u)" -eq 0 ]; then
	# only root can make files of another user here
	mkdir -m 700 "$PW_ENV/theirs" && chown 65534 "$PW_ENV/theirs"
	refuse_start "$PW_ENV/theirs/s" \
		"$PW_ENV/theirs: the socket's directory belongs to uid 65534, not to uid 0"
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
		"$PW_ENV/foreign.sock" && chown 65534 "$PW_ENV/foreign.sock"
	refuse_start "$PW_ENV/foreign.sock" \
		"$PW_ENV/foreign.sock is a socket of uid 65534, not ours: not replacing it"
	[ -S "$PW_ENV/foreign.sock" ] || fail "another user's socket was removed"
else
	echo "not root: another user's directory and socket not tried"
fi

# a stale socket of ours (bound, nobody listening) is replaced
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$SOCK"
[ -S "$SOCK" ] || fail "no stale socket to start with"
daemon_start --latency 1024
# the stale socket passes daemon_start's `test -S` before the daemon gets to it: wait for its
# word that it replaced it
pw_env_wait "grep -qF 'listening on $SOCK' '$PW_ENV/audiod.log'" 600 ||
	fail "audiod never listened on the stale socket's path"
grep -qF "$SOCK: removed a stale socket" "$PW_ENV/audiod.log" || fail "the stale socket was not noted"
python3 -c 'import os; from audiod_test import Client; Client(os.environ["AUDIOD_SOCKET"]).ok("time")' ||
	fail "the daemon on the replaced stale socket does not answer"
daemon_stop

# a missing directory is created 0700
SOCK="$PW_ENV/made/audiod.sock"
export AUDIOD_SOCKET="$SOCK"
daemon_start --latency 1024
[ "$(stat -c %a "$PW_ENV/made")" = 700 ] || fail "the socket directory is not 0700"
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "the socket is not 0600"
daemon_stop

# a shared sticky folder of root's or ours, such as /tmp, is fine: nobody else can remove or
# replace what we put there
mkdir "$PW_ENV/sticky" && chmod 1777 "$PW_ENV/sticky"
SOCK="$PW_ENV/sticky/audiod.sock"
export AUDIOD_SOCKET="$SOCK"
daemon_start --latency 1024
python3 -c 'import os; from audiod_test import Client; Client(os.environ["AUDIOD_SOCKET"]).ok("time")' ||
	fail "the daemon in a sticky shared folder does not answer"
daemon_stop
echo PASS
