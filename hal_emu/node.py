"""The node process that runs rp2040js (hal_emu/harness.mjs), and its request/reply channel.

One JSON request per line on the process's stdin, one JSON reply per line on its stdout;
the harness does nothing between requests, so the caller owns emulated time.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from hal_emu import image

HARNESS = Path(__file__).resolve().parent / "harness.mjs"
REPO_ROOT = HARNESS.parent.parent


class HarnessError(RuntimeError):
    """The node harness died or answered with an error (its stderr tail is in the message)."""


def node_binary():
    node = shutil.which("node")
    if node is None:
        raise HarnessError("node (>= 20) is needed to run the emulated chip; `make setup`")
    if not (REPO_ROOT / "node_modules" / "rp2040js").is_dir():
        # installed from the wheel there is no node_modules: --chip runs from a checkout
        raise HarnessError("rp2040js is not installed: --chip runs from a source checkout "
                           "after `make setup` (npm ci); docs/emulator.md")
    return node


class Harness:
    """One emulated Pico in a node process. `flash` is the whole 2 MiB flash to boot from."""

    def __init__(self, flash):
        self._dir = tempfile.TemporaryDirectory(prefix="cushion-emu-")
        d = Path(self._dir.name)
        (d / "bootrom.bin").write_bytes(image.bootrom_bytes())
        (d / "flash.bin").write_bytes(bytes(flash))
        self._err = open(d / "stderr.log", "w+b")
        self.proc = subprocess.Popen(
            [node_binary(), str(HARNESS), str(d / "bootrom.bin"), str(d / "flash.bin")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err, cwd=REPO_ROOT,
            bufsize=0)
        self._out = self.proc.stdout

    def request(self, **req):
        try:
            self.proc.stdin.write(json.dumps(req).encode() + b"\n")
            line = self._out.readline()
        except (BrokenPipeError, OSError):
            line = b""
        if not line:
            raise HarnessError("the emulator stopped: " + self.stderr_tail())
        reply = json.loads(line)
        if "error" in reply:
            raise HarnessError("harness: %s" % reply["error"])
        return reply

    def stderr_tail(self, n=2000):
        try:
            self._err.flush()
            self._err.seek(0)
            data = self._err.read()
            self._err.seek(0, os.SEEK_END)
        except (OSError, ValueError):
            return ""
        return data[-n:].decode(errors="replace")

    def flash(self):
        """The flash contents now (bytes, 2 MiB)."""
        path = Path(self._dir.name) / "flash-now.bin"
        self.request(op="save", path=str(path))
        return path.read_bytes()

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self._err.close()
        self._dir.cleanup()
