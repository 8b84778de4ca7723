"""`--trace`: every line the protocol client sends and receives, with timestamps.

    2026-12-01 20:41:07.512 +0.004 socket://127.0.0.1:40001 > #5121 status*3A
    2026-12-01 20:41:07.561 +0.053 socket://127.0.0.1:40001 < {"ok": true, "id": 5121, ...}

Wall-clock time (milliseconds), seconds since the command started, the port, the direction
(`>` to the device, `<` from it) and the line, with bytes that are not printable ASCII
written as \\xNN so that noise and half lines are visible.  host/client.py calls `sent` and
`received` at the one place it writes and the one place it splits lines.
"""

import sys
import time

_tracer = None


class Tracer:
    def __init__(self, stream, close=False, clock=time.monotonic, wall=time.time):
        self.stream = stream
        self._close = close
        self.clock = clock
        self.wall = wall
        self.t0 = clock()

    def line(self, port, direction, data):
        now = self.wall()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        text = escape(data.rstrip(b"\n") if direction == ">" else data)
        self.stream.write(f"{stamp}.{int(now * 1000) % 1000:03d} +{self.clock() - self.t0:.3f} "
                          f"{port} {direction} {text}\n")
        self.stream.flush()

    def close(self):
        if self._close:
            self.stream.close()


def escape(data):
    out = []
    for b in bytes(data):
        if 32 <= b < 127 and b != 92:
            out.append(chr(b))
        elif b == 92:
            out.append("\\\\")
        elif b == 10:
            out.append("\\n")
        elif b == 13:
            out.append("\\r")
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


def start(dest):
    """Trace to stderr (`dest` "-") or append to the file `dest`; OSError if it cannot."""
    global _tracer
    stop()
    if dest in (None, ""):
        return None
    if dest == "-":
        _tracer = Tracer(sys.stderr)
    else:
        _tracer = Tracer(open(dest, "a", encoding="utf-8", buffering=1), close=True)
    return _tracer


def stop():
    global _tracer
    if _tracer is not None:
        _tracer.close()
    _tracer = None


def sent(port, data):
    if _tracer is not None:
        _tracer.line(port, ">", data)


def received(port, line):
    if _tracer is not None:
        _tracer.line(port, "<", line)
