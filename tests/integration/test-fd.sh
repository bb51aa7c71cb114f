#!/bin/sh
# integration: buffers read from file descriptors a client sends (SCM_RIGHTS, PROTOCOL.md §6).
# a WAV deleted after it was opened (readable only through the descriptor) decodes to its
# exact samples through {"fd":0} and plays; {"fd":1} with one descriptor is bad_request;
# descriptors a request takes and does not use, and those of a connection that goes, are
# closed (the daemon's /proc/PID/fd count comes back to where it was); 20 sent without a
# request leave at most 16 waiting and the next request naming one gets limit, the one after
# works again.  the daemon keeps a float WAV copy in its state folder, named by `save`,
# removed with the buffer, restored after a restart; with --no-persist `save` says
# {"fd":null}.  under strace, `audioctl buffer`, `load` and `play` of a file in a folder of
# the test's never make the daemon touch that path.
# usage: test-fd.sh AUDIOD AUDIOCTL [ignored]
set -u
AUDIOD=$1
AUDIOCTL=$2
. "$(dirname "$0")/pw-env.sh"
pw_env_start
. "$(dirname "$0")/daemon-env.sh"
pw_env_need strace

BUFFERS="$XDG_STATE_HOME/audiod/buffers"
PRIVATE=$(mktemp -d "$PW_ENV/private.XXXXXX")
export BUFFERS PRIVATE PW_ENV

# a 1000 Hz sine of amplitude 0.5, 16-bit, 44100 Hz, 22050 frames: tone.wav in DIR
make_tone() {
	python3 - "$1" <<'PY' || fail "cannot write the test tone"
import math, struct, sys, wave
with wave.open(sys.argv[1] + "/tone.wav", "wb") as w:
    w.setnchannels(1)
    w.setsampwidth(2)
    w.setframerate(44100)
    w.writeframes(b"".join(struct.pack("<h", int(round(16384 * math.sin(2 * math.pi * 1000 * i / 44100))))
                           for i in range(22050)))
PY
}
make_tone "$PW_ENV"
make_tone "$PRIVATE"

daemon_start --latency 1024
export AUDIOD_PID
py - <<'PY' || fail "descriptors: protocol"
import array, json, math, os, socket, sys, time, wave
from audiod_test import Client, read_wav, fail
PID = os.environ["AUDIOD_PID"]
TONE = os.environ["PW_ENV"] + "/tone.wav"
BUFFERS = os.path.realpath(os.environ["BUFFERS"])

def fds_open():
    return len(os.listdir("/proc/%s/fd" % PID))

def wait_fds(want, what):
    """the daemon's descriptor count reaches `want` (polled, 20 s at most)"""
    end = time.monotonic() + 20
    while (n := fds_open()) != want:
        if time.monotonic() > end:
            fail("%s: the daemon has %d descriptors open, expected %d" % (what, n, want))
        time.sleep(0.02)

def send(c, fds, **req):
    """a request with descriptors on the sendmsg that carries it; its reply"""
    socket.send_fds(c.sock, [(json.dumps(req) + "\n").encode()], fds)
    return c.reply()

def unlinked_tone():
    """the tone, opened and then deleted: only the descriptor reaches it"""
    tmp = TONE + ".tmp"
    os.link(TONE, tmp)
    fd = os.open(tmp, os.O_RDONLY)
    os.unlink(tmp)
    return fd

def expect(r, code, text):
    if r.get("ok") or r["error"]["code"] != code or text not in r["error"]["message"]:
        fail("expected %s with %r, got %s" % (code, text, json.dumps(r)))

def copies():
    return sorted(os.listdir(BUFFERS)) if os.path.isdir(BUFFERS) else []

with wave.open(TONE) as w:
    pcm = array.array("h", w.readframes(w.getnframes()))
c = Client()
base = fds_open()
print("daemon descriptors at rest:", base)

# --- {"fd":0}: exact samples, played, kept as a copy ---------------------------------------
fd = unlinked_tone()
r = send(c, [fd], op="buffer", name="t", spec={"fd": 0})
os.close(fd)
print("buffer:", json.dumps(r))
if not r.get("ok") or (r["length"], r["sampleRate"], r["numberOfChannels"]) != (22050, 44100.0, 1):
    fail("the unlinked WAV did not decode to 22050 frames at 44100 Hz, 1 channel")
wait_fds(base, "after a buffer from a descriptor")
spec = c.ok("save")["document"]["buffers"]["t"]
print("saved as:", json.dumps(spec))
if list(spec) != ["file"] or os.path.dirname(spec["file"]) != BUFFERS or \
        not os.path.basename(spec["file"]).startswith("default-t-") or not spec["file"].endswith(".wav"):
    fail("save does not name a copy in %s" % BUFFERS)
if oct(os.stat(spec["file"]).st_mode & 0o777) != "0o600":
    fail("the copy is not 0600")
rate, channels, samples = read_wav(spec["file"])
if (rate, channels, len(samples)) != (44100, 1, 22050):
    fail("the copy holds %d frames at %d Hz in %d channels" % (len(samples), rate, channels))
wrong = [i for i in range(22050) if samples[i] != pcm[i] / 32768.0]
if wrong:
    fail("%d samples differ from the file's, the first at frame %d" % (len(wrong), wrong[0]))
up = [i - samples[i] / (samples[i] - samples[i - 1]) for i in range(1, len(samples))
      if samples[i - 1] < 0 <= samples[i]]
freq = (len(up) - 1) * 44100 / (up[-1] - up[0])
print("copy: %.4f Hz" % freq)
if abs(freq - 1000) > 0.01:
    fail("the decoded tone is %.4f Hz, not 1000" % freq)

# it plays: an analyser after the source peaks in the 1000 Hz bin (48000/2048 Hz a bin)
c.ok("create", type="AudioBufferSourceNode", id="src", buffer="t", options={"loop": True})
c.ok("create", type="AnalyserNode", id="an", options={"fftSize": 2048})
c.ok("connect", **{"from": "src", "to": "an"})
c.ok("connect", **{"from": "an", "to": "destination"})
c.ok("start", id="src")
frame = c.ok("sync")["frame"]
c.wait_rendered(frame + 4096)
data = c.ok("analyser", id="an", method="getFloatFrequencyData")["data"]
peak = max(range(len(data)), key=lambda i: data[i] if data[i] is not None else -1e9)
print("analyser peak: bin %d (%.1f Hz)" % (peak, peak * 48000 / 2048))
if peak not in (42, 43):
    fail("the buffer does not play a 1000 Hz tone")
c.ok("delete", id="src")
c.ok("delete", id="an")

# resampled, replacing t: the old copy goes, the new one is named with "resample"
old = spec["file"]
fd = unlinked_tone()
r = send(c, [fd], op="buffer", name="t", spec={"fd": 0, "resample": True})
os.close(fd)
if not r.get("ok") or (r["length"], r["sampleRate"]) != (24000, 48000.0):
    fail("resampled: %s" % json.dumps(r))
spec = c.ok("save")["document"]["buffers"]["t"]
if sorted(spec) != ["file", "resample"] or spec["resample"] is not True or os.path.exists(old):
    fail("replacing t: saved %s, old copy %s" % (json.dumps(spec), os.path.exists(old)))
c.ok("free-buffer", name="t")
if os.path.exists(spec["file"]) or copies():
    fail("free-buffer left copies: %r" % copies())

# --- refusals ------------------------------------------------------------------------------
fd = unlinked_tone()
r = send(c, [fd], op="buffer", name="u", spec={"fd": 1})
os.close(fd)
expect(r, "bad_request", "fd 1: only 1 descriptor came with the request")
wait_fds(base, "after fd 1 of one")
r = c.request("buffer", name="u", spec={"fd": 0})
expect(r, "bad_request", "fd 0: no descriptor came with the request")
r = c.request("buffer", name="u", spec={"fd": -1})
expect(r, "bad_request", "spec.fd: -1 is not a descriptor index")

# taken and unused: {"fd":1} with two takes both, reads the second, closes the first
a, b = unlinked_tone(), unlinked_tone()
r = send(c, [a, b], op="buffer", name="u", spec={"fd": 1})
os.close(a)
os.close(b)
if not r.get("ok") or r["length"] != 22050:
    fail("fd 1 of two: %s" % json.dumps(r))
wait_fds(base, "after fd 1 of two")
# one a load's document does not name, one a buffer reads: closed too
a, b, d = unlinked_tone(), unlinked_tone(), unlinked_tone()
r = send(c, [a, b, d], op="load", document={"buffers": {
    "x": {"fd": 0}, "y": {"fd": 2, "resample": True}, "z": {"generate": "dc", "length": 8}}})
for f in (a, b, d):
    os.close(f)
if not r.get("ok"):
    fail("load with descriptors: %s" % json.dumps(r))
saved = c.ok("save")["document"]["buffers"]
if not saved["x"]["file"].startswith(BUFFERS + "/default-x-") or saved["y"].get("resample") is not True:
    fail("load: saved %s" % json.dumps(saved))
wait_fds(base, "after a load naming fd 0 and 2 of three")
a = unlinked_tone()
r = send(c, [a], op="load", document={"buffers": {"p": {"fd": 0}, "q": {"fd": 0}}})
os.close(a)
expect(r, "bad_request", "fd 0 is named by another buffer of the request too")
# what is not a sound file, or not a file
text = open(os.environ["PW_ENV"] + "/notes.txt", "w+")
text.write("not audio\n")
text.flush()
r = send(c, [text.fileno()], op="buffer", name="u", spec={"fd": 0})
text.close()
expect(r, "io", "spec: fd 0: ")
rd, wr = os.pipe()
r = send(c, [rd], op="buffer", name="u", spec={"fd": 0})
os.close(rd)
os.close(wr)
expect(r, "io", "fd 0: a pipe, not a regular file")
wait_fds(base, "after the refusals")

# one sent with a request that does not name it waits, and goes with the connection
c2 = Client()
base2 = base + 1
a = unlinked_tone()
send(c2, [a], op="time")
os.close(a)
wait_fds(base2 + 1, "a descriptor waiting")
c2.close()
wait_fds(base, "after its connection closed")
# a client that leaves while its buffer decodes
c3 = Client()
a = unlinked_tone()
socket.send_fds(c3.sock, [b'{"op":"buffer","name":"gone","spec":{"fd":0}}\n'], [a])
os.close(a)
c3.close()
wait_fds(base, "after a client left mid-decode")

# --- more than 16 waiting: limit, once --------------------------------------------------------
for how in ("one by one", "twenty at once"):
    held = [unlinked_tone() for _ in range(20)]
    if how == "one by one":
        for f in held:
            socket.send_fds(c.sock, [b"\n"], [f])
    else:
        socket.send_fds(c.sock, [b"\n"], held)
    for f in held:
        os.close(f)
    c.ok("time")    # replied: everything sent before it has been read
    wait_fds(base + 16, "20 descriptors sent %s" % how)
    a = unlinked_tone()
    r = send(c, [a], op="buffer", name="v", spec={"fd": 0})
    os.close(a)
    expect(r, "limit", "more than 16 descriptors came to this connection")
    wait_fds(base, "after the limit (%s)" % how)
    a = unlinked_tone()
    r = send(c, [a], op="buffer", name="v", spec={"fd": 0})
    os.close(a)
    if not r.get("ok"):
        fail("after the limit the next request still fails: %s" % json.dumps(r))

# --- a closed session's copies go -----------------------------------------------------------
c.ok("session", name="s2")
a = unlinked_tone()
r = send(c, [a], op="buffer", name="w", spec={"fd": 0})
os.close(a)
w = c.ok("save")["document"]["buffers"]["w"]["file"]
c.ok("session", name="default")
c.ok("close-session", name="s2")
end = time.monotonic() + 20
while os.path.exists(w):
    if time.monotonic() > end:
        fail("the closed session's copy %s stayed" % w)
    time.sleep(0.02)
kept = sorted(f[:len("default-u-")] for f in copies())
print("copies kept:", copies())
if kept != ["default-u-", "default-v-", "default-x-", "default-y-"]:
    fail("expected the copies of u, v, x and y of the default session")
PY

# --- the daemon never opens the path: strace while audioctl sends a file it opened -----------
strace -f -p "$AUDIOD_PID" -e trace=%file -o "$PW_ENV/strace.log" 2>"$PW_ENV/strace.err" &
STRACE_PID=$!
pw_env_track "$STRACE_PID"
# "Process PID attached with N threads": all of them, the decoding workers too
pw_env_wait "grep -q 'Process $AUDIOD_PID attached' '$PW_ENV/strace.err'" 600 ||
	fail "strace did not attach to the daemon"
cat >"$PRIVATE/doc.json" <<'DOC'
{ "buffers": { "ld": { "file": "tone.wav" } } }
DOC
"$AUDIOCTL" buffer viactl "$PRIVATE/tone.wav" --native-rate || fail "audioctl buffer FILE failed"
"$AUDIOCTL" load "$PRIVATE/doc.json" || fail "audioctl load DOC failed"
"$AUDIOCTL" play "$PRIVATE/tone.wav" --gain 0.1 || fail "audioctl play FILE failed"
"$AUDIOCTL" --json save >"$PW_ENV/saved.json" || fail "audioctl save failed"
kill -INT "$STRACE_PID"
wait "$STRACE_PID"
pw_env_untrack "$STRACE_PID"
if grep -F "$PRIVATE" "$PW_ENV/strace.log"; then
	fail "the daemon touched the client's folder $PRIVATE"
fi
# the positive control: the trace did see the workers create the copies
grep -F "$BUFFERS/default-viactl-" "$PW_ENV/strace.log" | grep -q O_CREAT ||
	fail "strace saw no copy being created: the trace proves nothing"
grep -F "$BUFFERS/default-ld-" "$PW_ENV/strace.log" | grep -q O_CREAT ||
	fail "strace saw no copy of the loaded document's buffer"
echo "strace: $(wc -l <"$PW_ENV/strace.log") file calls, none on $PRIVATE"
python3 - "$PW_ENV/saved.json" <<'PY' || fail "audioctl's buffers are not kept as copies"
import json, sys
doc = json.load(open(sys.argv[1]))
for name in ("viactl", "ld"):
    print(name, json.dumps(doc["buffers"][name]))
    if "/audiod/buffers/default-%s-" % name not in doc["buffers"][name]["file"]:
        sys.exit("%s is not kept as a copy" % name)
if any(k.startswith("play-") for k in doc["buffers"]):
    sys.exit("play left its buffer")
PY
ls "$BUFFERS" | grep -q '^default-play-' && fail "play left its copy behind"
daemon_stop

# --- a restart: the copies bring the buffers back; a copy no document names goes -------------
: >"$BUFFERS/default-orphan-AAAAAA.wav"
daemon_start --latency 1024
py - <<'PY' || fail "descriptors: after a restart"
import json, os, socket
from audiod_test import Client, fail
c = Client()
bufs = c.ok("save")["document"]["buffers"]
print("restored:", sorted(bufs))
for name in ("u", "v", "x", "y", "viactl", "ld"):
    if name not in bufs or not os.path.exists(bufs[name]["file"]):
        fail("%s did not come back" % name)
c.ok("create", type="AudioBufferSourceNode", id="again", buffer="viactl")
if os.path.exists(os.environ["BUFFERS"] + "/default-orphan-AAAAAA.wav"):
    fail("the copy no document names was not removed")
# a copy that cannot be written (a file where the folder was): the buffer is still made,
# the reply warns, save says {"fd": null}
folder = os.environ["BUFFERS"]
os.rename(folder, folder + ".aside")
open(folder, "w").close()
fd = os.open(os.environ["PW_ENV"] + "/tone.wav", os.O_RDONLY)
socket.send_fds(c.sock, [b'{"op":"buffer","name":"nocopy","spec":{"fd":0}}\n'], [fd])
os.close(fd)
r = c.reply()
print("without a copy:", json.dumps(r))
if not r.get("ok") or r["length"] != 22050 or \
        "spec: no copy kept in the state folder (Not a directory)" not in r.get("warning", ""):
    fail("a buffer whose copy cannot be written must be made, with a warning")
if c.ok("save")["document"]["buffers"]["nocopy"] != {"fd": None}:
    fail("a buffer without a copy must be saved as {\"fd\": null}")
c.ok("free-buffer", name="nocopy")
os.unlink(folder)
os.rename(folder + ".aside", folder)
PY
daemon_stop

# --- without persistence: nothing is copied, save says {"fd": null} --------------------------
daemon_start --latency 1024 --no-persist
py - <<'PY' || fail "descriptors: --no-persist"
import json, os, socket
from audiod_test import Client, fail
c = Client()
before = sorted(os.listdir(os.environ["BUFFERS"]))
fd = os.open(os.environ["PW_ENV"] + "/tone.wav", os.O_RDONLY)
socket.send_fds(c.sock, [b'{"op":"buffer","name":"n","spec":{"fd":0,"resample":true}}\n'], [fd])
os.close(fd)
r = c.reply()
if not r.get("ok"):
    fail("buffer: %s" % json.dumps(r))
doc = c.ok("save")["document"]
print("saved as:", json.dumps(doc["buffers"]["n"]))
if doc["buffers"]["n"] != {"fd": None, "resample": True}:
    fail("expected {\"fd\": null, \"resample\": true}")
if sorted(os.listdir(os.environ["BUFFERS"])) != before:
    fail("a copy was written without persistence")
r = c.request("load", document={"buffers": doc["buffers"]})
print("load of it:", json.dumps(r))
if r.get("ok") or r["error"]["code"] != "bad_request" or \
        "the daemon kept no copy of it" not in r["error"]["message"]:
    fail("loading {\"fd\": null} must be bad_request saying why")
PY
daemon_stop
echo PASS
