"""`cushion flash`: build the .mpy files, put the board in service mode, make its files
exactly the shipped set (remove old `.py` sources and stale modules, copy), reset, verify.

Why this dance (DESIGN section 10): the running firmware owns the serial port and a hardware
watchdog that cannot be stopped, so mpremote cannot simply interrupt it.  `service` makes the
firmware write a one-shot flag and reset; the next boot hands the port to the REPL with all
outputs off; mpremote copies the files and resets; the boot after that runs the new firmware,
which we ask for `info` to confirm the version.
"""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import hal_sim  # noqa: F401,I001  (cushion.* needs its `micropython` stand-in under CPython)
from cushion.store import SERVICE_FLAG

from . import constfold
from .client import CushionClient
from .errors import (EXIT_REFUSED, AtRepl, CliError, ConnectionFailed, ReplyTimeout,
                     UsageError)
from .mpybuild import FIRMWARE_ROOT, INSTALLED
from .progress import Progress

# Paths are relative to REPO_ROOT, where mpremote runs: the checkout, or (installed from the
# wheel) the package, whose firmware/ is package data; the build then goes to the user's cache.
REPO_ROOT = FIRMWARE_ROOT.parent
SRC_ROOT = "firmware"
OUT_ROOT = (str(Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "cushion" / "mpy") if INSTALLED else "build/mpy")
MPREMOTE_TIMEOUT_S = 120

# How long a board takes to drop off USB after `service`/`reset`, and to come back.
GONE_WAIT_S = 3.0
BACK_WAIT_S = 15.0
SETTLE_S = 0.5
POLL_S = 0.1

# The board's own data (settings, fault log: boards/base.py's DirStorage) survives a flash.
KEEP_ON_BOARD = ("/data",)
# ...except the one-shot flag of `service`: the service boot takes it before it hands over
# the REPL, unless mpremote's Ctrl-C stops that boot first (it is still importing: a board
# holding .py sources compiles them for over a second).  Left there, the first boot after
# the flash would be a second service boot, in the REPL with no firmware running.
SERVICE_FLAG_PATH = KEEP_ON_BOARD[0] + "/" + SERVICE_FLAG
# Run on the board with `mpremote exec`: every file and directory, one per line.
LIST_FILES = """import os
def walk(d):
    for e in os.ilistdir(d):
        p = d.rstrip('/') + '/' + e[0]
        print(('D ' if e[1] & 0x4000 else 'F ') + p)
        if e[1] & 0x4000:
            walk(p)
walk('/')
"""


def _build(**kw):
    from .mpybuild import build
    return build(**kw)


@dataclass
class FlashEnv:
    """Everything `flash` touches outside itself: the output, the mpremote runner, the board
    client, the device node, the clock, the build and where the files are.  Tests pass
    doubles; `cushion flash` uses the defaults."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    timeout: float = 2.0
    run: Callable = subprocess.run                 # mpremote: run(argv, cwd=..., ...)
    connect: Callable = CushionClient.connect      # the protocol client
    exists: Callable = os.path.exists              # is the device node there?
    sleep: Callable = time.sleep
    build: Callable = _build                       # host.mpybuild.build(src_root, out_root)
    repo_root: Path = REPO_ROOT
    src_root: str = SRC_ROOT
    out_root: str = OUT_ROOT
    reresolve: Callable | None = None              # auto-detection: find the board again
    err: TextIO = field(default_factory=lambda: sys.stderr)   # where a progress bar goes
    bar: bool = True                               # False (--json): plain lines only

    def say(self, text):
        self.out.write(text + "\n")
        self.out.flush()

    def path(self, rel):
        rel = Path(rel)
        return rel if rel.is_absolute() else Path(self.repo_root) / rel


class FlashVerifyFailed(CliError):
    exit_code = EXIT_REFUSED
    kind = "verify_failed"


def expected_version(src_root):
    """The version the firmware source declares (`FW_VERSION = const("x.y.z")` in
    cushion/limits.py), or None."""
    try:
        text = (Path(src_root) / "cushion" / "limits.py").read_text(encoding="utf-8")
        version = constfold.constants(text).get("FW_VERSION")
    except (OSError, UnicodeDecodeError, SyntaxError):
        return None
    return version if isinstance(version, str) else None


def copy_commands(written, out_root=OUT_ROOT, src_root=SRC_ROOT, repo_root=REPO_ROOT):
    """The mpremote argument lists (after `connect PORT`), in order.

    One `cp -r` per top-level package directory in the build (cushion/, boards/...), one `cp`
    per top-level .mpy module, then the plain two-line main.py from the source tree, then
    `reset`.  Paths are relative to the repository root (the subprocess runs there), so the
    commands read like the deploy recipe (DESIGN section 10, README "Flashing").
    """
    out_root = Path(out_root)
    tops = {}                                # top-level name -> is a directory
    base = out_root if out_root.is_absolute() else Path(repo_root) / out_root
    for p in written:
        p = Path(p)
        for root in (base, out_root):       # absolute, relative to the repo, or to out_root
            try:
                p = p.relative_to(root)
                break
            except ValueError:
                pass
        tops[p.parts[0]] = tops.get(p.parts[0], False) or len(p.parts) > 1
    cmds = []
    for top, is_dir in tops.items():
        if top == "main.py":
            continue                         # the source main.py is copied below
        if is_dir:
            cmds.append(["cp", "-r", (out_root / top).as_posix(), ":"])
        else:
            cmds.append(["cp", (out_root / top).as_posix(), ":" + top])
    cmds.append(["cp", (Path(src_root) / "main.py").as_posix(), ":main.py"])
    cmds.append(["reset"])
    return cmds


def mpremote_argv(port, args):
    return [sys.executable, "-m", "mpremote", "connect", port] + list(args)


def _is_device_path(port):
    return port.startswith("/dev/")


def wait_for_reset(port, env):
    """Wait for a USB board to drop off and come back after a reset; return its port.

    A device path vanishes while a native-USB board (Pico) re-enumerates; a UART bridge
    (ESP32) stays, so not seeing it vanish is fine.  `env.reresolve` (auto-detection) looks
    the board up again by VID:PID, since it may come back under another name.  Other URLs:
    just give it a moment.  Counted in polls rather than clock time so that tests can stub
    the sleep.
    """
    if not _is_device_path(port):
        env.sleep(2 * SETTLE_S)
        return port
    for _ in range(int(GONE_WAIT_S / POLL_S)):
        if not env.exists(port):
            break
        env.sleep(POLL_S)
    for _ in range(int(BACK_WAIT_S / POLL_S)):
        if env.reresolve is not None:
            try:
                port = env.reresolve()
                break
            except CliError:
                pass
        elif env.exists(port):
            break
        env.sleep(POLL_S)
    else:
        raise ReplyTimeout(f"{port} did not come back within {BACK_WAIT_S:g} s after the reset")
    env.sleep(SETTLE_S)   # udev permissions, ModemManager; opening too early fails
    return port


def mpremote(port, args, env):
    """Run one mpremote command on `port`; returns its stdout, raises a CliError if it fails."""
    argv = mpremote_argv(port, args)
    try:
        res = env.run(argv, cwd=str(env.repo_root), capture_output=True, text=True,
                      timeout=MPREMOTE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ReplyTimeout("mpremote '{}' did not finish within {} s".format(
            _shown(args), MPREMOTE_TIMEOUT_S))
    except OSError as exc:
        raise ConnectionFailed(f"could not run mpremote: {exc}")
    if res.returncode != 0:
        last = ((res.stderr or "") + (res.stdout or "")).strip().splitlines()
        raise ConnectionFailed("mpremote '{}' failed (exit {}){}".format(
            _shown(args), res.returncode, ": " + last[-1] if last else ""))
    return res.stdout or ""


def _shown(args):
    return "exec <list files>" if args == ["exec", LIST_FILES] else " ".join(args)


def stale_files(listing, written):
    """What on the board is not part of the shipped set: `(files, dirs)` to remove.

    `listing` is LIST_FILES' output; `written` the build's paths (relative, `main.py` among
    them).  Old `.py` sources beside the `.mpy` (MicroPython imports `.py` first), modules the
    firmware no longer has and any other file go; the board's data directory stays, but for
    a service flag that an interrupted service boot left behind.
    """
    shipped = {"/" + Path(p).as_posix() for p in written} | {"/main.py"}
    shipped_dirs = {str(Path(p).parent) for p in shipped}
    files, dirs = [], []
    for line in listing.splitlines():
        kind, _, path = line.strip().partition(" ")
        if kind not in ("F", "D") or not path.startswith("/"):
            continue
        if path == SERVICE_FLAG_PATH:
            files.append(path)
            continue
        if any(path == k or path.startswith(k + "/") for k in KEEP_ON_BOARD):
            continue
        if kind == "F" and path not in shipped:
            files.append(path)
        elif kind == "D" and path not in shipped_dirs:
            dirs.append(path)
    return files, sorted(dirs, key=lambda d: -d.count("/"))     # innermost first


def flash(port, env=None):
    """Build, put the board in service mode, clear what is not shipped, copy, reset, verify.

    Returns the `info` reply of the freshly flashed board."""
    env = env or FlashEnv()
    if port.lower().startswith("sim://"):
        raise UsageError("flash needs a real board: a sim:// cushion runs the firmware "
                         "straight from firmware/ (nothing to copy)")
    src, out_dir = env.path(env.src_root), env.path(env.out_root)
    if not (src / "main.py").is_file():
        raise UsageError(f"{env.src_root}/main.py is missing: nothing would start the firmware")
    env.say(f"[1/5] building .mpy files from {env.src_root}/ into {env.out_root}/")
    try:
        written = env.build(src_root=str(src), out_root=str(out_dir))
    except (RuntimeError, OSError) as exc:      # mpybuild.MpyBuildError is a RuntimeError
        raise UsageError(f"the build failed: {' '.join(str(exc).split())}")
    if not written:
        raise UsageError(f"the build wrote no files: is {env.src_root}/ empty?")
    want = expected_version(src)
    env.say("      {} files{}".format(len(written), ", version " + want if want else ""))

    env.say(f"[2/5] asking the board on {port} to enter service mode")
    try:
        client = env.connect(port, timeout=env.timeout)
    except AtRepl as exc:
        if exc.simulated:                   # its REPL runs no Python: nothing to copy onto
            raise
        # already in service mode (a `service` earlier, a soft reset from the raw REPL)
        env.say("      it is at the MicroPython REPL already (service mode)")
    else:
        try:
            info = client.info or {}
            env.say("      it runs {} {} on {}".format(info.get("fw", "?"),
                                                       info.get("version", "?"),
                                                       info.get("board", "?")))
            client.request("service", retry=False)
        finally:
            client.close()                  # mpremote needs the port to itself
        env.say("      waiting for the reset")
        port = wait_for_reset(port, env)

    env.say("[3/5] copying with mpremote (first removing what the new firmware does not ship)")
    files, dirs = stale_files(mpremote(port, ["exec", LIST_FILES], env), written)
    cmds = [["rm", ":" + f] for f in files] + [["rmdir", ":" + d] for d in dirs]
    cmds += copy_commands(written, out_root=env.out_root, src_root=env.src_root,
                          repo_root=env.repo_root)
    with Progress(len(cmds), "step", lines=env.out, bar=env.bar, err=env.err,
                  desc="      mpremote") as progress:
        for args in cmds:
            if progress.bar is None:
                env.say("      mpremote connect {} {}".format(port, " ".join(args)))
            else:
                progress.note(" ".join(args))
            mpremote(port, args, env)
            progress.advance()

    env.say("[4/5] waiting for the board to restart")
    port = wait_for_reset(port, env)

    env.say("[5/5] checking the version")
    client = None
    for attempt in range(5):                 # a board that just booted may not answer yet
        try:
            client = env.connect(port, timeout=max(env.timeout, 2.0))
            break
        except ConnectionFailed:
            if attempt == 4:
                raise
            env.sleep(1.0)
    try:
        info = client.info or client.request("info")
    finally:
        client.close()
    got = info.get("version")
    if want and got != want:
        raise FlashVerifyFailed(f"the board reports version {got} after flashing, "
                                f"expected {want}")
    env.say("      done: {} {} on {}".format(info.get("fw"), got, info.get("board", "?")))
    return info
