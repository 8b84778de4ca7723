"""`cushion flash` end to end on the emulated board: the real mpremote over the pty, the
service boot, the copy, the reset and the version check. No mocks."""

import shutil
import subprocess
import sys
import threading

import pytest

from hal_emu import EmulatedBoard, image
from hal_emu.serve import ChipServer, PacedChip
from host.flash import KEEP_ON_BOARD, REPO_ROOT, SERVICE_FLAG_PATH, expected_version
from host.mpybuild import build

pytestmark = pytest.mark.emu
OLD_VERSION = "0.9.0"


def _old_firmware(tmp_path):
    """The shipped tree with an older FW_VERSION: what the board ran before."""
    src = tmp_path / "old-firmware"
    shutil.copytree(REPO_ROOT / "firmware", src, ignore=shutil.ignore_patterns("__pycache__"))
    limits = src / "cushion" / "limits.py"
    new = expected_version(REPO_ROOT / "firmware")
    limits.write_text(limits.read_text().replace('"%s"' % new, '"%s"' % OLD_VERSION, 1))
    assert expected_version(src) == OLD_VERSION
    return src


def _as_mpy(src, out):
    return {"/" + rel: (out / rel).read_bytes() for rel in build(str(src), str(out))}


def _as_sources(src):
    """A source deploy: the .py files themselves (what flash must not leave behind)."""
    files = {"/main.py": (src / "main.py").read_bytes()}
    for pkg in ("cushion", "boards"):
        for py in (src / pkg).glob("*.py"):
            files["/%s/%s" % (pkg, py.name)] = py.read_bytes()
    return files


class Served:
    """An emulated board served on a pty from a thread, in (at most) real time."""

    def __init__(self, uf2, files):
        self.board = EmulatedBoard(uf2=uf2, files=files)
        self.server = ChipServer(PacedChip(self.board), pty=True)
        self.port = self.server.urls[0]
        self._stop = False
        self._thread = threading.Thread(target=self.server.serve, args=(lambda: self._stop,))
        self._thread.start()

    def stop(self):
        """Stop serving; the board stays for a look at its flash."""
        self._stop = True
        self._thread.join(timeout=30)

    def close(self):
        self.stop()
        self.server.close()


def _flash(port, env):
    return subprocess.run([sys.executable, "-m", "host.cli", "--port", port, "--json",
                           "--timeout", "5", "flash"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


def _check_flashed(res, served, tmp_path):
    import json
    assert res.returncode == 0, res.stderr[-2000:]
    info = json.loads(res.stdout)
    new = expected_version(REPO_ROOT / "firmware")
    assert info["version"] == new != OLD_VERSION
    causes = [c for _, c in served.board.resets]
    assert causes[:2] == ["soft", "soft"]  # `service`, then mpremote's reset
    boots = [e for e in served.board.events if e["event"] == "boot"]
    assert boots[-1]["version"] == new  # the boot after the flash runs the new firmware
    served.stop()
    on_board = image.read_littlefs(served.board.flash_contents())
    data = KEEP_ON_BOARD[0] + "/"
    assert {p for p in on_board if not p.startswith(data)} == set(
        _as_mpy(REPO_ROOT / "firmware", tmp_path / "new-mpy"))  # exactly the shipped set
    assert SERVICE_FLAG_PATH not in on_board


def test_cushion_flash_from_old_firmware_to_new(uf2, tmp_path, chip_env):
    old = _old_firmware(tmp_path)
    served = Served(uf2, _as_mpy(old, tmp_path / "old-mpy"))
    try:
        assert served.board.events[0]["version"] == OLD_VERSION
        _check_flashed(_flash(served.port, chip_env), served, tmp_path)
    finally:
        served.close()


@pytest.mark.slow  # about 2 minutes: 34 mpremote rm calls, and the board compiles the sources
def test_cushion_flash_onto_a_board_holding_py_sources(uf2, tmp_path, chip_env):
    """The old firmware compiles its .py sources at boot, so mpremote's Ctrl-C stops the
    service boot before it has taken its one-shot flag; flash must not leave that flag for
    the next boot (it would be another service boot: the REPL, no `info` reply)."""
    served = Served(uf2, _as_sources(_old_firmware(tmp_path)))
    try:
        assert served.board.events[0]["version"] == OLD_VERSION
        _check_flashed(_flash(served.port, chip_env), served, tmp_path)
    finally:
        served.close()
