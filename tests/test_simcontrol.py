"""The control channel of a served sim (host/simcontrol.py), and its examples in
docs/protocol.md, replayed against a simulated cushion in this process."""

import json
import re
from pathlib import Path

import pytest

from host.cli import main
from host.simboard import ServedSimulation
from host.simcontrol import ControlChannel, parse_url

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def section(title):
    text = DOC.read_text()
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def examples():
    block = section("## Simulator control channel").split("```text\n", 1)[1].split("```")[0]
    lines = block.splitlines()
    assert all(ln[:2] == ("> " if i % 2 == 0 else "< ") for i, ln in enumerate(lines))
    return [(req[2:], rep[2:]) for req, rep in zip(lines[::2], lines[1::2])]


@pytest.fixture
def channel():
    served = ServedSimulation(speed=1.0)
    return ControlChannel(served, ["socket://127.0.0.1:1"])


def test_the_documented_examples_are_what_the_channel_answers(channel):
    seen = examples()
    assert len(seen) >= 10
    for request, reply in seen:
        got = json.loads(channel.handle(request.encode() + b"\n"))
        assert got == json.loads(reply), request


def test_bad_lines_get_a_clear_error_and_change_nothing(channel):
    sim = channel.served.sim
    before = (sim.state(), list(sim.active_faults), sim.board.button_mask)
    for line in (b"", b"launch", b"inject", b"inject sensor_open sensor", b"inject x=1",
                 b"inject sensor_open value_c=nan", b"press", b"press heat hold_s=-1",
                 b"press heat hold_s=1 hold_s=2", b"truth please", b"#0 reset",
                 b"inject sensor_open \xff", b"x" * 600, b"inject sensor_open\x00"):
        got = json.loads(channel.handle(line))
        assert got["ok"] is False and got["error"] and got["detail"], line
    assert (sim.state(), list(sim.active_faults), sim.board.button_mask) == before


def test_a_press_is_held_for_simulated_time_while_the_clock_runs():
    served = ServedSimulation(speed=1.0)
    channel = ControlChannel(served, [])
    assert json.loads(channel.handle(b"press heat hold_s=0.5"))["ok"]
    served._t0 -= 2.0                      # two wall seconds later
    served.advance()
    assert served.sim.board.button_mask == 0
    assert served.sim.state()["heat"] == "low"


def test_truth_lists_the_simulators_view(channel):
    got = json.loads(channel.handle(b"truth"))
    assert set(got) >= {"pad_c", "sensor_c", "heater_duty", "faults", "in_service", "clients"}
    assert json.loads(channel.handle(b"urls"))["serial"] == ["socket://127.0.0.1:1"]


@pytest.mark.parametrize("url", ["/dev/ttyACM0", "socket://127.0.0.1:4000", "COM3", "sim://",
                                 "simctl://127.0.0.1", "simctl://:80"])
def test_sim_control_refuses_anything_but_a_control_url(url, capsys):
    assert main(["sim-control", url, "reset"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cushion: ") and err.count("\n") == 1
    with pytest.raises(ValueError):
        parse_url(url)


def test_the_documented_refusal_of_a_real_board(capsys):
    block = section("## Simulator control channel").split("```console\n", 1)[1].split("```")[0]
    cmd, said = re.search(r"\$ cushion (sim-control /dev/ttyACM0 reset)\n(.*)\n", block).groups()
    assert main(cmd.split()) == 2
    assert capsys.readouterr().err.strip() == said
