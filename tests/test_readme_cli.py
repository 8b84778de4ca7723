"""Every `cushion` example in README.md's CLI sections is produced by a run (issue 13 item 17).

The console blocks are run in order on one simulated cushion stepped on a virtual clock (no
wall-clock timing: the output is the same on any machine) and their output must match the
README line for line; a README line `...` stands for any number of lines.  `$ sleep N` in a
block lets N simulated seconds pass.  Blocks that need hardware or a server (`flash`, `sim`,
`ports`) are checked by their own tests (test_cli_flash.py, test_cli_simserver.py).

When a change of output is intended, run this file with CUSHION_SHOW_README=FILE to write
what the commands printed to FILE.
"""

import io
import os
import re
import shlex
from pathlib import Path

import pytest

import host.cli as cli
from host import commands, watch as watch_mod
from host.client import CushionClient

from hal_sim import Simulation
from tests.stepped_port import SteppedPort

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CHECKED = ("info", "heat", "massage", "status", "stop", "watch", "clear", "faults")


def blocks(text):
    """[(command, [expected lines])] of every console block that runs a checked command."""
    out = []
    for body in re.findall(r"```console\n(.*?)```", text, re.S):
        cmd = None
        for line in body.splitlines():
            if line.startswith("$ "):
                cmd = [line[2:], []]
                out.append(cmd)
            elif cmd is not None:
                cmd[1].append(line)
    return [(c, lines) for c, lines in out
            if c.startswith("sleep ") or (shlex.split(c)[1:2] and shlex.split(c)[1] in CHECKED
                                          and "--port" not in c)]


def matches(expected, got):
    """README lines against the output; `...` stands for any number of lines."""
    pattern = "".join(".*?" if e.strip() == "..." else re.escape(e + "\n") for e in expected)
    return re.fullmatch(pattern, "".join(g + "\n" for g in got), re.S) is not None


@pytest.fixture
def cushion(monkeypatch, tmp_path):
    sim = Simulation(seed=1, bridge=True)
    clock = lambda: sim.now_s               # noqa: E731  virtual: moves with the simulation
    client = CushionClient(SteppedPort(sim), "/dev/ttyACM0", timeout=2.0, clock=clock)
    client._next_id = 1
    client.handshake()

    def connect(args):                   # each command opens the port afresh: what the
        client.events.clear()            # board sent before is not seen
        return client
    monkeypatch.setattr(commands, "connect", connect)
    real_watch = watch_mod.watch
    monkeypatch.setattr(watch_mod, "watch", lambda *a, **k: real_watch(*a, clock=clock, **k))
    monkeypatch.chdir(tmp_path)
    return sim


def test_every_cli_example_in_the_readme_is_what_the_cli_prints(cushion, monkeypatch):
    found = blocks(README.read_text())
    assert len(found) >= 6, found
    shown, bad = [], []
    for cmd, expected in found:
        if cmd.startswith("sleep "):
            cushion.run(float(cmd.split()[1]))
            shown.append(f"$ {cmd}")
            continue
        out = io.StringIO()
        monkeypatch.setattr("sys.stdout", out)
        code = cli.main(shlex.split(cmd)[1:])
        got = out.getvalue().splitlines()
        shown += [f"$ {cmd}"] + got
        if code != 0 or not matches(expected, got):
            bad.append((cmd, code, expected, got))
    if os.environ.get("CUSHION_SHOW_README"):
        Path(os.environ["CUSHION_SHOW_README"]).write_text("\n".join(shown) + "\n")
    assert not bad, "\n\n".join(f"$ {c} (exit {code})\nREADME:\n" + "\n".join(e)
                                + "\nprinted:\n" + "\n".join(g) for c, code, e, g in bad)
