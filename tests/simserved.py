"""Helpers for tests of a served `cushion sim` process (shared by tests/test_simserver_*.py)."""

import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import serial

import host  # noqa: F401  (sim:// and friends registered)

ROOT = Path(__file__).resolve().parent.parent
ENV = dict(os.environ, PYTHONPATH=str(ROOT))
ENV.pop("CUSHION_PORT", None)


@contextmanager
def served(*args):
    """Start `cushion sim ARGS`; yield (process, serial URLs, control URL)."""
    proc = subprocess.Popen([sys.executable, "-m", "host.cli", "sim", *args],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        urls = []
        guard = threading.Timer(30, proc.kill)      # a server that never prints: fail, not hang
        guard.start()
        try:
            while True:
                line = proc.stdout.readline().strip()
                assert line, f"server printed no simctl:// URL; stderr: {proc.stderr.read()}"
                if line.startswith("simctl://"):
                    break
                urls.append(line)
        finally:
            guard.cancel()
        yield proc, urls, line
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def cushion(*args, timeout=60, port=None):
    pre = ["--port", port] if port else []
    res = subprocess.run([sys.executable, "-m", "host.cli", *pre, *args],
                         cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in res.stderr, res.stderr
    return res


def open_raw(url):
    ser = serial.serial_for_url(url, timeout=0.05)
    ser.reset_input_buffer()
    return ser


class Lines:
    """Read whole lines from a raw pyserial port, keeping the partial tail."""

    def __init__(self, ser):
        self.ser = ser
        self.buf = b""

    def read(self, seconds):
        out = []
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.buf += self.ser.read(max(1, self.ser.in_waiting))
            while b"\n" in self.buf:
                raw, self.buf = self.buf.split(b"\n", 1)
                out.append(raw)
        return out

    def reply(self, text, seconds=5.0):
        want = int(text[1:text.index(" ")]) if text.startswith("#") else None
        self.ser.write(text.encode() + b"\n")
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for raw in self.read(0.05):
                msg = json.loads(raw)
                if "ok" in msg and (want is None or msg["id"] == want):
                    return msg
        raise AssertionError(f"no reply to {text!r}")


def telemetry(lines):
    msgs = [json.loads(raw) for raw in lines if raw.strip()]
    return [m for m in msgs if m.get("event") == "telemetry"]
