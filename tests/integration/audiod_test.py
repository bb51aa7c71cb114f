"""Helpers for the integration tests: a minimal audiod client over the Unix socket (JSON lines,
as in PROTOCOL.md), the timing helpers that make the recorded tests deterministic, and a reader
for the float WAV files pw-record writes.  Standard library only.

Timing, without fixed sleeps:
- schedule from one reading: r = c.time(); first = ahead(r, 1.0); every time of the schedule
  is computed from r; send it (one `batch` where it fits), `sync`, and check_in_time(the sync
  reply's frame, first) fails the test, saying so, when the commands arrived too late.
- heard: frame F reaches the output at r["monotonicNs"] + (F - r["frame"]) * 1e9 / rate
  (CLOCK_MONOTONIC, python's time.monotonic_ns()).  c.wait_heard(F) polls `time` until that
  instant plus a margin has passed and the recording (rec_start in pw-env.sh) has grown by
  the scheduled span; then the shell stops the recorder (rec_stop).

Also a command line for shell tests: `python3 audiod_test.py wait-heard FRAME [SINCE]`,
`wait-rendered FRAMES` (AUDIOD_SOCKET; REC_FILE and REC_BASE when a recorder runs)."""
import array
import json
import math
import os
import socket
import struct
import sys
import time

MARGIN = 0.3            # s past the instant a frame is heard before the recording is stopped
DEADLINE = 60.0         # s past the expected instant before a wait fails loudly


class Client:
    """one connection; request() sends and returns the reply, keeping events aside"""

    def __init__(self, path=None, timeout=30.0):
        if path is None:
            path = os.environ["AUDIOD_SOCKET"]
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.hello = self.line()
        if self.hello.get("event") != "hello":
            raise RuntimeError("no hello: %r" % self.hello)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("the daemon closed the connection")
            self.buf += chunk
        text, self.buf = self.buf.split(b"\n", 1)
        return json.loads(text)

    def send_raw(self, text):
        self.sock.sendall(text.encode() + b"\n")

    def reply(self):
        while True:
            msg = self.line()
            if "event" in msg and "ok" not in msg:
                self.events.append(msg)
                continue
            return msg

    def request(self, op, **fields):
        req = {"op": op}
        req.update(fields)
        self.send_raw(json.dumps(req))
        return self.reply()

    def ok(self, op, **fields):
        r = self.request(op, **fields)
        if not r.get("ok"):
            raise RuntimeError("%s %r failed: %r" % (op, fields, r))
        return r

    def close(self):
        self.sock.close()

    def time(self):
        """one `time` reading (frame, sampleRate, monotonicNs, ...)"""
        return self.ok("time")

    def wait_heard(self, frame, margin=MARGIN, since=None, recording="env", deadline=DEADLINE):
        """Returns (the last reading) once context frame `frame` has been heard and `margin`
        seconds more have passed: polls `time` until time.monotonic_ns() passes
        heard_ns(reading, frame) + margin, each reading giving the instant anew (a renderer
        that stalls or resumes moves it).  With a recording (by default the one rec_start left
        running: REC_FILE, REC_BASE; None for none) it also waits until the file has grown,
        since the recorder was confirmed capturing, by at least (frame - since) frames plus
        margin: `since` is the frame the schedule was computed from (default: the first
        reading here), so a recorder that stalled under load is waited for too.  Fails the
        test when that has not happened `deadline` seconds after the expected instant."""
        if recording == "env":
            recording = Recording.from_env()
        end = None
        while True:
            r = self.time()
            rate = r["sampleRate"]
            if since is None:
                since = r["frame"]
            target = heard_ns(r, frame) + margin * 1e9
            need = int(math.ceil(frame - since + margin * rate))
            got = recording.frames() if recording is not None else None
            now = time.monotonic_ns()
            if now >= target and (got is None or got >= need):
                return r
            if end is None:
                end = time.monotonic() + max(0.0, (target - now) / 1e9) + deadline
            elif time.monotonic() > end:
                fail("frame %d was not heard: the last `time` reading %r puts it %.3f s from "
                     "now%s" % (frame, r, (target - now) / 1e9 - margin,
                                "" if got is None else "; the recording grew by %d of %d frames"
                                % (got, need)))
            time.sleep(min(0.05, max(0.005, (target - now) / 1e9)))

    def wait_rendered(self, frame, deadline=DEADLINE):
        """Returns the first `time` reading whose frame is at least `frame` (frames rendered),
        polling; fails the test after deadline seconds past the expected time"""
        end = None
        while True:
            r = self.time()
            if r["frame"] >= frame:
                return r
            if end is None:
                end = time.monotonic() + (frame - r["frame"]) / r["sampleRate"] + deadline
            elif time.monotonic() > end:
                fail("the renderer did not reach frame %d: %r" % (frame, r))
            time.sleep(0.05)


def heard_ns(reading, frame):
    """the CLOCK_MONOTONIC instant (ns) at which `frame` reaches the output, by `reading`"""
    return reading["monotonicNs"] + (frame - reading["frame"]) * 1e9 / reading["sampleRate"]


def ahead(reading, seconds):
    """the frame `seconds` after a `time` reading's frame"""
    return reading["frame"] + int(round(seconds * reading["sampleRate"]))


def check_in_time(applied, first, what="the schedule"):
    """fails the test unless frame `applied` (a `sync` reply's, or a reading taken after the
    commands were sent) comes before `first`, the first frame scheduled: the commands must
    have arrived before anything they schedule was due"""
    if applied >= first:
        fail("%s arrived too late: applied at frame %d, not before its first frame %d "
             "(%d frames late; the machine is too loaded for the margin the test left)"
             % (what, applied, first, applied - first))


class Recording:
    """the recorder rec_start (pw-env.sh) left running: REC_FILE, and REC_BASE, its size in
    bytes once it was known to be capturing; 2 channels of 32-bit floats"""
    FRAME_BYTES = 8

    def __init__(self, path=None, base=None):
        self.path = path if path is not None else os.environ["REC_FILE"]
        self.base = int(base if base is not None else os.environ["REC_BASE"])

    @classmethod
    def from_env(cls):
        return cls() if os.environ.get("REC_FILE") and os.environ.get("REC_BASE") else None

    def frames(self):
        """frames written since the recorder was confirmed capturing"""
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return 0
        return max(0, size - self.base) // self.FRAME_BYTES


def wait_socket(path, seconds=10.0):
    end = time.time() + seconds
    while time.time() < end:
        try:
            c = Client(path)
            c.close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def read_wav(path):
    """(rate, channels, samples): interleaved float samples of a 32-bit float WAV"""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("%s: not a WAV file" % path)
    pos, fmt, samples = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = data[pos + 8:pos + 8 + size] if size and size != 0xFFFFFFFF else data[pos + 8:]
        if cid == b"fmt ":
            tag, channels, rate = struct.unpack("<HHI", body[:8])
            bits = struct.unpack("<H", body[14:16])[0]
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            samples = array.array("f")
            usable = len(body) - len(body) % 4
            samples.frombytes(body[:usable])
            if sys.byteorder != "little":
                samples.byteswap()
        pos += 8 + size + (size & 1)
        if size == 0 or size == 0xFFFFFFFF:
            break
    if fmt is None or samples is None or fmt[3] != 32:
        raise ValueError("%s: expected 32-bit float samples, got %r" % (path, fmt))
    return fmt[2], fmt[1], samples


def channel(samples, channels, c):
    return samples[c::channels]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main(argv):
    """the command line for shell tests"""
    usage = ("usage: audiod_test.py wait-heard FRAME [SINCE] | wait-rendered FRAMES | "
             "tone")
    if len(argv) < 1 or (len(argv) < 2 and argv[0] != "tone"):
        fail(usage)
    c = Client()
    if argv[0] == "tone":
        # the test tone, as a client sends it: 440 Hz at gain 0.2 on the output, kept by
        # the session "default" after this client leaves
        r = c.ok("batch", commands=[
            {"op": "create", "type": "OscillatorNode", "id": "osc",
             "options": {"frequency": 440}},
            {"op": "create", "type": "GainNode", "id": "gain", "options": {"gain": 0.2}},
            {"op": "connect", "from": "osc", "to": "gain"},
            {"op": "connect", "from": "gain", "to": "destination"},
            {"op": "start", "id": "osc"}])
        c.ok("sync")
    elif argv[0] == "wait-heard":
        r = c.wait_heard(int(argv[1]), since=int(argv[2]) if len(argv) > 2 else None)
    elif argv[0] == "wait-rendered":
        r = c.wait_rendered(int(argv[1]))
    else:
        fail(usage)
    print(json.dumps(r))


if __name__ == "__main__":
    main(sys.argv[1:])
