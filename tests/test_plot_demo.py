"""Plots, CSV and the demo (hal_sim/plot.py, hal_sim/demo.py)."""

import csv
import io
import struct
import time

import pytest

from hal_sim import Simulation
from hal_sim import demo as demo_mod
from hal_sim.plot import plot_run, state_spans, write_csv
from hal_sim.scenario import main as run_main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24]), len(data)


@pytest.fixture(scope="module")
def faulty_run():
    """Heat high and wave massage; sensor A open from 120 s (reads about -89 C) to 150 s,
    then a power cycle and 10 s of idle."""
    sim = Simulation(record=True)
    sim.command("heat high")
    sim.command("massage wave")
    sim.run(120 - sim.now_s)
    sim.inject("sensor_open")
    sim.run(30)
    sim.repair("sensor_open")
    sim.power_cycle()
    sim.run(10)
    return sim


def test_csv_has_a_header_and_one_row_per_tick(tmp_path, faulty_run):
    sim = faulty_run
    path = tmp_path / "run.csv"
    assert write_csv(sim.trace, path) == len(sim.trace)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == list(sim.trace[0])
    for col in ("t_ms", "pad_c", "sensor_a_c", "sensor_b_c", "temp_c100", "temp2_c100",
                "setpoint_c100", "heater_duty", "motor_duty", "heat_state"):
        assert col in rows[0]
    assert len(rows) == 1 + len(sim.trace) == 1 + round(sim.now_s * 1000 / sim.tick_ms)
    t = rows[0].index("t_ms")
    assert [int(r[t]) for r in rows[1:4]] == [50, 100, 150]
    assert int(rows[-1][t]) == sim.now_ms
    pad = rows[0].index("pad_c")
    assert float(rows[-1][pad]) == pytest.approx(sim.trace[-1]["pad_c"], abs=1e-4)


def test_csv_of_an_empty_trace_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="record=True"):
        write_csv([], tmp_path / "x.csv")


def test_plot_is_a_png_of_reasonable_size(tmp_path, faulty_run):
    sim = faulty_run
    path = tmp_path / "run.png"
    t0 = time.perf_counter()
    plot_run(sim.trace, sim.events, path, title="sensor open")
    took = time.perf_counter() - t0
    (w, h), nbytes = png_size(path)
    assert (w, h) == (1400, 950)       # four panels: temperatures, sensor lag, heater, motor
    assert 20_000 < nbytes < 2_000_000
    assert took < 10


def test_plot_of_an_empty_trace_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="record=True"):
        plot_run([], [], tmp_path / "x.png")


def test_state_spans_follow_heat_state(faulty_run):
    spans = state_spans(faulty_run.trace)
    codes = [c for _, _, c in spans]
    assert codes[:3] == [1, 2, 3] or codes[:2] == [1, 3]  # warming, (holding,) fault
    assert spans[0][0] == 0.0
    fault_start = next(a for a, _, c in spans if c == 3)
    t_fault = next(e["sim_s"] for e in faulty_run.events if e["event"] == "fault")
    assert fault_start == pytest.approx(t_fault - 0.05)
    assert spans[-1][2] == 0 and spans[-1][1] == faulty_run.now_s  # off after the power cycle


def test_run_writes_plot_and_csv(tmp_path, capsys):
    f = tmp_path / "s.toml"
    f.write_text('name = "p"\nambient_c = 22.0\nduration_s = 20\n'
                 'steps = [ { at_s = 0, send = "heat high" } ]\n'
                 'expect = [ { event = "auto_off" } ]\n')
    png, csv_path = tmp_path / "o.png", tmp_path / "o.csv"
    # a failing run still writes both: that is when they are wanted
    assert run_main([str(f), "--plot", str(png), "--csv", str(csv_path)]) == 1
    assert png_size(png)[1] > 10_000
    assert len(csv_path.read_text().splitlines()) == 1 + 400
    assert run_main([str(f), "--csv", str(tmp_path / "no" / "dir.csv")]) == 2
    assert "cannot write" in capsys.readouterr().err


# -- the demo ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("demo") / "build"  # made by the demo
    buf = io.StringIO()
    t0 = time.perf_counter()
    result, summary = demo_mod.run_demo(str(out_dir), out=buf)
    return result, summary, buf.getvalue(), out_dir, time.perf_counter() - t0


def test_demo_prints_the_summary_and_writes_its_files(demo_run):
    _, _, text, out_dir, took = demo_run
    for words in ("time to set-point:", "overshoot: sensors", "steady band at high",
                  "heat button x2 at 450 s", "band at low", "auto-off: 900.05 s",
                  "faults:", "max pad surface:", "checks:", "wrote"):
        assert words in text, words
    assert "PASS expect[5] event auto_off within [900, 901] s" in text
    (w, h), nbytes = png_size(out_dir / "demo.png")
    assert nbytes > 50_000
    assert len((out_dir / "demo.csv").read_text().splitlines()) == 1 + 960 * 20
    assert took < 30, "the demo took %.1f s" % took


def test_demo_summary_numbers_are_sane(demo_run):
    # loose on purpose: the control tuning is the firmware's and its own tests judge it;
    # this checks that the summary measures what it says
    s = demo_run[1]
    # full power brings the sensors to 45 C in about 230 s (docs/simulator.md): no sooner
    assert 200 <= s["time_to_setpoint_s"] <= 420
    assert 0 <= s["overshoot_sensor_c"] < 1.5 and s["overshoot_pad_c"] < 2
    lo, hi = s["steady_sensor_c"]
    assert 44.0 <= lo <= hi <= 46.0
    assert s["max_pad_c"] == pytest.approx(max(r["pad_c"] for r in demo_run[0].sim.trace))
    assert s["auto_off_s"] == pytest.approx(900.05)
    assert s["outputs_off_after_auto_off"]


def test_demo_main_exit_code_follows_its_checks(tmp_path, monkeypatch, demo_run):
    monkeypatch.setattr(demo_mod, "run_demo", lambda out_dir, out=None: demo_run[:2])
    assert demo_mod.main(["--out", str(tmp_path)]) == demo_run[0].exit_code


def test_demo_checks_all_pass(demo_run):
    result = demo_run[0]
    assert result.passed, result.report()
