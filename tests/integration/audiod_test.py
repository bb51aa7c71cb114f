"""Helpers for the integration tests: a minimal audiod client over the Unix socket (JSON lines,
as in PROTOCOL.md) and a reader for the float WAV files pw-record writes.  Standard library only."""
import array
import json
import os
import socket
import struct
import sys
import time


class Client:
    """one connection; request() sends and returns the reply, keeping events aside"""

    def __init__(self, path, timeout=10.0):
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
