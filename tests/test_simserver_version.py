"""`cushion --version`: the host's version, and the board's firmware version with a port
(sim://, and a served sim over the socket and the pty)."""

import json

import pytest

import hal_sim  # noqa: F401  (the firmware modules need its micropython shim)
from cushion import limits  # noqa: E402
from host.cli import main  # noqa: E402
from host.cliextra import host_version  # noqa: E402
from tests.simserved import cushion, served  # noqa: E402


def test_version_alone_needs_no_board(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"cushion (host tool) {host_version()}\n"
    assert host_version() != "unknown"


def test_version_with_a_port_adds_the_firmware(capsys):
    assert main(["--port", "sim://", "--version"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1] == f"firmware cushion {limits.FW_VERSION} on sim at sim://"
    assert main(["--json", "--port", "sim://", "--version"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got == {"ok": True, "host": host_version(),
                   "firmware": {"fw": "cushion", "version": limits.FW_VERSION, "board": "sim"}}


def test_version_with_a_port_that_is_not_there(capsys):
    assert main(["--port", "/dev/ttyNOPE9", "--version"]) == 3
    assert capsys.readouterr().err.startswith("cushion: ")


@pytest.mark.parametrize("which", [0, 1], ids=["socket", "pty"])
def test_version_of_a_served_sim(which):
    with served("--listen", "127.0.0.1:0", "--pty", "--speed", "20") as (proc, urls, _ctl):
        res = cushion("--version", port=urls[which])
        assert res.returncode == 0
        assert res.stdout.splitlines()[1].startswith(f"firmware cushion {limits.FW_VERSION} ")
