"""`cushion flash`: build the .mpy files, put the board in service mode, copy, reset, verify.

Why this dance (DESIGN section 10): the running firmware owns the serial port and a hardware
watchdog that cannot be stopped, so mpremote cannot simply interrupt it.  `service` makes the
firmware write a one-shot flag and reset; the next boot hands the port to the REPL with all
outputs off; mpremote copies the files and resets; the boot after that runs the new firmware,
which we ask for `info` to confirm the version.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from host.client import CushionClient
from host.errors import EXIT_REFUSED, CliError, ConnectionFailed, ReplyTimeout, UsageError

REPO_ROOT = Path(__file__).resolve().parent.parent
SRC_ROOT = "firmware"
OUT_ROOT = "build/mpy"
MPREMOTE_TIMEOUT_S = 120

# How long a board takes to drop off USB after `service`/`reset`, and to come back.
GONE_WAIT_S = 3.0
BACK_WAIT_S = 15.0
SETTLE_S = 0.5
POLL_S = 0.1


# Indirections that tests replace (patching os.path.exists or time.sleep themselves would
# reach far beyond this module).
_port_exists = os.path.exists
_sleep = time.sleep


class FlashVerifyFailed(CliError):
    exit_code = EXIT_REFUSED
    kind = "verify_failed"


def expected_version(src_root):
    """The version the firmware source declares (`FW_VERSION = "x.y.z"` in limits.py), or None."""
    pattern = re.compile(r"""^\s*_?(?:FW_)?VERSION\s*=\s*["'](\d+\.\d+\.\d+[^"']*)["']""", re.M)
    for path in sorted(Path(src_root).rglob("*.py")):
        try:
            m = pattern.search(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        if m:
            return m.group(1)
    return None


def copy_commands(written, out_root=OUT_ROOT, src_root=SRC_ROOT, repo_root=REPO_ROOT):
    """The mpremote argument lists (after `connect PORT`), in order.

    One `cp -r` per top-level package directory in the build (cushion/, boards/...), one `cp`
    per top-level .mpy module, then the plain two-line main.py from the source tree, then
    `reset`.  Paths are relative to the repository root (the subprocess runs there), so the
    commands read like the ones in REFERENCE "Deploying".
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


def wait_for_reset(port, exists=None, sleep=None, find=None):
    """Wait for a USB board to drop off and come back after a reset; return its port.

    A device path vanishes while a native-USB board (Pico) re-enumerates; a UART bridge
    (ESP32) stays, so not seeing it vanish is fine.  `find` (auto-detection) looks the board
    up again by VID:PID, since it may come back under another name.  Other URLs: just give
    it a moment.  Counted in polls rather than clock time so that tests can stub `sleep`.
    """
    exists = exists or _port_exists
    sleep = sleep or _sleep
    if not _is_device_path(port):
        sleep(2 * SETTLE_S)
        return port
    for _ in range(int(GONE_WAIT_S / POLL_S)):
        if not exists(port):
            break
        sleep(POLL_S)
    for _ in range(int(BACK_WAIT_S / POLL_S)):
        if find is not None:
            try:
                port = find()
                break
            except CliError:
                pass
        elif exists(port):
            break
        sleep(POLL_S)
    else:
        raise ReplyTimeout(f"{port} did not come back within {BACK_WAIT_S:g} s after the reset")
    sleep(SETTLE_S)   # udev permissions, ModemManager; opening too early fails
    return port


def flash(port, out=None, build=None, run=None, connect=None, timeout=2.0, exists=None,
          sleep=None, repo_root=None, src_root=None, out_root=None, reresolve=None):
    """Returns the `info` reply of the freshly flashed board.

    The collaborators are looked up at call time (not bound as defaults) so that tests can
    patch `subprocess.run`, `CushionClient.connect`, `os.path.exists` and `time.sleep`.
    """
    out = out or sys.stdout
    run = run or subprocess.run
    connect = connect or CushionClient.connect
    exists = exists or _port_exists
    sleep = sleep or _sleep
    repo_root = Path(repo_root or REPO_ROOT)
    src_root = src_root or SRC_ROOT
    out_root = out_root or OUT_ROOT

    def say(text):
        out.write(text + "\n")
        out.flush()

    if port.lower().startswith("sim://"):
        raise UsageError("flash needs a real board: a sim:// cushion runs the firmware "
                         "straight from firmware/ (nothing to copy)")
    if build is None:
        try:
            from host.mpybuild import build
        except ImportError as exc:
            raise UsageError(f"cannot build: host.mpybuild is missing ({exc})")

    if not (repo_root / src_root / "main.py").is_file():
        raise UsageError(f"{src_root}/main.py is missing: nothing would start the firmware")
    say(f"[1/5] building .mpy files from {src_root}/ into {out_root}/")
    cwd = os.getcwd()
    try:
        os.chdir(repo_root)        # build() takes paths relative to the repository
        written = build(src_root=src_root, out_root=out_root)
    except (RuntimeError, OSError) as exc:      # mpybuild.MpyBuildError is a RuntimeError
        raise UsageError(f"the build failed: {' '.join(str(exc).split())}")
    finally:
        os.chdir(cwd)
    if not written:
        raise UsageError(f"the build wrote no files: is {src_root}/ empty?")
    want = expected_version(Path(repo_root) / src_root)
    say("      {} files{}".format(len(written),
                                  ", version " + want if want else ""))

    say(f"[2/5] asking the board on {port} to enter service mode")
    client = connect(port, timeout=timeout)
    try:
        info = client.info or {}
        say("      it runs {} {} on {}".format(info.get("fw", "?"), info.get("version", "?"),
                                               info.get("board", "?")))
        client.request("service", retry=False)
    finally:
        client.close()                      # mpremote needs the port to itself
    say("      waiting for the reset")
    port = wait_for_reset(port, exists=exists, sleep=sleep, find=reresolve)

    cmds = copy_commands(written, out_root=out_root, src_root=src_root, repo_root=repo_root)
    say("[3/5] copying with mpremote")
    for args in cmds:
        argv = mpremote_argv(port, args)
        say("      mpremote connect {} {}".format(port, " ".join(args)))
        try:
            res = run(argv, cwd=str(repo_root), capture_output=True, text=True,
                      timeout=MPREMOTE_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise ReplyTimeout("mpremote '{}' did not finish within {} s".format(
                " ".join(args), MPREMOTE_TIMEOUT_S))
        except OSError as exc:
            raise ConnectionFailed(f"could not run mpremote: {exc}")
        if res.returncode != 0:
            last = ((res.stderr or "") + (res.stdout or "")).strip().splitlines()
            raise ConnectionFailed("mpremote '{}' failed (exit {}){}".format(
                " ".join(args), res.returncode, ": " + last[-1] if last else ""))

    say("[4/5] waiting for the board to restart")
    port = wait_for_reset(port, exists=exists, sleep=sleep, find=reresolve)

    say("[5/5] checking the version")
    client = None
    for attempt in range(5):                 # a board that just booted may not answer yet
        try:
            client = connect(port, timeout=max(timeout, 2.0))
            break
        except ConnectionFailed:
            if attempt == 4:
                raise
            sleep(1.0)
    try:
        info = client.info or client.request("info")
    finally:
        client.close()
    got = info.get("version")
    if want and got != want:
        raise FlashVerifyFailed(f"the board reports version {got} after flashing, "
                                f"expected {want}")
    say("      done: {} {} on {}".format(info.get("fw"), got, info.get("board", "?")))
    return info
