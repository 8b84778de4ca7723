"""The pictures in README.md are what the commands draw (issue 13 items 13 and 17).

docs/watch.png is `cushion watch --plot` over a simulated session (heat high, wave massage,
to the auto-off) and docs/demo.png is `make demo`'s plot; both are drawn again here, on a
virtual clock, and must be byte for byte the committed files.  After an intended change:
CUSHION_UPDATE_PICTURES=1 pytest tests/test_docs_pictures.py rewrites them.
"""

import os
import shutil
from pathlib import Path

import host.cli as cli
from host import commands, watch as watch_mod
from host.client import CushionClient

from hal_sim import Simulation
from tests.stepped_port import SteppedPort

ROOT = Path(__file__).resolve().parent.parent
WATCH_ARGS = ["watch", "--seconds", "960", "--period", "1000", "--plot"]


def same_or_update(drawn, committed):
    if os.environ.get("CUSHION_UPDATE_PICTURES"):
        shutil.copyfile(drawn, committed)
    assert drawn.read_bytes() == committed.read_bytes(), (
        f"{committed.relative_to(ROOT)} is not what the command draws now: "
        "CUSHION_UPDATE_PICTURES=1 pytest tests/test_docs_pictures.py")


def test_the_readme_watch_picture_is_what_watch_plot_draws(monkeypatch, tmp_path, capsys):
    sim = Simulation(seed=1, bridge=True)
    clock = lambda: sim.now_s               # noqa: E731
    client = CushionClient(SteppedPort(sim), "sim://", timeout=2.0, clock=clock)
    client.handshake()
    client.request("heat high")
    client.request("massage wave")
    client.events.clear()
    monkeypatch.setattr(commands, "connect", lambda args: client)
    real_watch = watch_mod.watch
    monkeypatch.setattr(watch_mod, "watch", lambda *a, **k: real_watch(*a, clock=clock, **k))
    png = tmp_path / "watch.png"
    assert cli.main(WATCH_ARGS + [str(png)]) == 0
    assert f"wrote {png}" in capsys.readouterr().out
    same_or_update(png, ROOT / "docs" / "watch.png")


def test_the_readme_demo_picture_is_what_make_demo_draws(tmp_path, capsys):
    from hal_sim.demo import main as demo_main
    assert demo_main(["--out", str(tmp_path)]) == 0
    capsys.readouterr()
    same_or_update(tmp_path / "demo.png", ROOT / "docs" / "demo.png")
