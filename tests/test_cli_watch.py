"""Issue 13's watch defects: signals end it cleanly (items 2 and 16), file types checked
before it starts (6), a rate limit and the achieved speed (12), the plot (13) and the CSV
shared with `run` (14)."""

import csv
import math
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import host.cli as cli
from host import commands, watch as watch_mod, watchplot
from host.client import CushionClient
from host.csvlog import CSV_FIELDS, TRUTH_FIELDS

from cushion.limits import OVERHEAT_C100

ROOT = Path(__file__).resolve().parent.parent
SIM = "sim://?speed=200"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def no_env_port(monkeypatch):
    monkeypatch.delenv("CUSHION_PORT", raising=False)


@pytest.fixture
def shared(monkeypatch):
    client = CushionClient.connect("sim://?speed=100&heat=high", timeout=2.0)
    client.close = lambda: None
    monkeypatch.setattr(commands, "connect", lambda args: client)
    try:
        yield client
    finally:
        CushionClient.close(client)


def signal_after(client, monkeypatch, n, signum):
    """Deliver `signum` to this process after n telemetry samples, as `kill` would."""
    real = client.next_event
    seen = []

    def next_event(timeout):
        if len(seen) >= n:
            os.kill(os.getpid(), signum)
        ev = real(timeout)
        if ev and ev.get("event") == "telemetry":
            seen.append(ev)
        return ev
    monkeypatch.setattr(client, "next_event", next_event)


# -- item 2: SIGTERM and SIGHUP end a watch like Ctrl-C, with 128+N -------------------------

@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_switches_telemetry_off_and_writes_the_files(capsys, shared, monkeypatch,
                                                             tmp_path, signum):
    signal_after(shared, monkeypatch, 4, signum)
    png, csv_path = tmp_path / "w.png", tmp_path / "w.csv"
    code, out, err = run(capsys, "watch", "--period", "100", "--plot", str(png),
                         "--csv", str(csv_path))
    assert code == 128 + signum
    assert err.splitlines()[-1] == f"cushion: stopped by {signal.Signals(signum).name}"
    assert shared.ser.simulation.ctl.console.telemetry_ms == 0
    assert png.read_bytes()[:4] == b"\x89PNG" and f"wrote {png}" in out
    assert len(csv_path.read_text().splitlines()) >= 1 + 4
    assert signal.getsignal(signum) is signal.SIG_DFL or signum == signal.SIGHUP


def test_sigterm_from_outside_ends_a_real_watch_with_143_and_its_plot(tmp_path):
    png = tmp_path / "w.png"
    proc = subprocess.Popen(
        [sys.executable, "-m", "host.cli", "--port", "sim://?speed=50&heat=high", "watch",
         "--period", "500", "--plot", str(png)], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        lines = 0
        while lines < 3:                        # watching, then samples
            assert proc.stdout.readline(), proc.stderr.read()
            lines += 1
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert err.splitlines()[-1] == "cushion: stopped by SIGTERM"   # after any speed warning
    assert png.read_bytes()[:4] == b"\x89PNG" and f"wrote {png}" in out


def test_the_exit_codes_for_signals_are_documented():
    readme = (ROOT / "README.md").read_text()
    for code, what in (("130", "Ctrl-C"), ("143", "SIGTERM"), ("129", "SIGHUP")):
        assert f"| {code} |" in readme and what in readme


# -- item 6: file types checked before the watch starts ----------------------------------------

@pytest.mark.parametrize("argv, words", [
    (["watch", "--plot", "capture.txt"], "must end in one of"),
    (["watch", "--csv", "capture.txt"], "must end in .csv"),
    (["run", "scenarios/x.toml", "--plot", "run.txt"], "must end in one of"),
    (["run", "scenarios/x.toml", "--csv", "run.png"], "must end in .csv"),
])
def test_a_wrong_file_type_is_refused_before_anything_runs(capsys, monkeypatch, argv, words):
    def never(*a, **k):
        raise AssertionError("connected or ran before checking the file names")
    monkeypatch.setattr(commands, "connect", never)
    monkeypatch.setattr("host.runner.run_paths", never)
    code, out, err = run(capsys, *argv)
    assert code == 2 and words in err and err.count("\n") == 1


# -- item 12: a rate limit, and the speed achieved -------------------------------------------

class FakeClient:
    """Telemetry as fast as a simulator at speed 100 sends it: a sample per 5 ms of wall."""

    port = "fake"
    timeout = 1.0
    ser = None

    def __init__(self, clock, n):
        self.clock, self.n, self.sent = clock, n, 0
        self.requests = []

    def request(self, line, timeout=None):
        self.requests.append(line)
        return {"ok": True}

    def next_event(self, timeout):
        if self.sent >= self.n:
            raise KeyboardInterrupt
        self.clock.now += 0.005
        self.sent += 1
        return {"event": "telemetry", "uptime_ms": 500 * self.sent, "temp_c": 30.0,
                "state": "idle", "heater_pct": 0, "motor_pct": 0}


class Clock:
    now = 0.0

    def __call__(self):
        return self.now


def test_watch_prints_at_most_n_lines_a_second_and_keeps_every_sample(tmp_path):
    clock = Clock()
    client = FakeClient(clock, 400)                     # 2 wall seconds, 400 samples
    out = open(tmp_path / "out.txt", "w+")
    with pytest.raises(KeyboardInterrupt):
        watch_mod.watch(client, period_ms=100, csv_path=str(tmp_path / "w.csv"), out=out,
                        clock=clock, max_lines_per_s=5)
    out.seek(0)
    text = out.read()
    printed = [ln for ln in text.splitlines() if " pad " in ln]
    assert len(printed) == 10                           # 5 a second for 2 s
    assert "390 of 400 samples not printed" in text
    assert len((tmp_path / "w.csv").read_text().splitlines()) == 1 + 400
    assert client.requests[-1] == "telemetry off"


def test_an_impossible_speed_warns_and_the_achieved_speed_is_reported(capsys):
    code, out, err = run(capsys, "--port", "sim://?speed=10000", "watch", "--seconds", "1",
                         "--period", "1000")
    assert code == 0
    assert "(asked for 10000x)" in out
    assert "warning: speed 10000 is more than this computer can run the simulator at" in err


# -- item 13: the watch plot -------------------------------------------------------------------

def rows_of_a_session():
    """Heating from 22 C, holding at 45 C, then the session ends (set-point 0) - sampled
    every 30 s under pulse massage, so the motor samples hit on and off at random."""
    rows = []
    for i in range(40):
        t = 30.0 * i
        on = i < 30
        rows.append({"time_s": t, "temp_c": min(45.0, 22 + i) if on else 45.0 - (i - 29),
                     "temp2_c": min(45.0, 22 + i) - 0.2, "setpoint_c": 45.0 if on else 0.0,
                     "heater_pct": 100 if i < 23 else (20 if on else 0),
                     "motor_pct": (70 if i % 3 else 0) if on else 0,
                     "state": "active" if on else "idle",
                     "heat_state": ("warming" if i < 23 else "holding") if on else "off"})
    events = [{"event": "auto_off_warning", "time_s": 840.0}, {"event": "auto_off",
                                                                 "time_s": 900.0}]
    return rows, events


def test_the_watch_plot_has_bands_markers_the_cutoff_and_an_honest_axis():
    rows, events = rows_of_a_session()
    fig = watchplot.figure(rows, events, period_s=30)
    top, duty = fig.axes[:2]
    labels = top.get_legend().get_texts()
    names = [t.get_text() for t in labels]
    assert names[:2] == ["pad sensor A", "pad sensor B"]
    assert "heating up" in names and "holding" in names
    assert f"overheat cut-off {OVERHEAT_C100 / 100:g} C" in names
    lo, hi = top.get_ylim()
    assert 15 < lo < 22 and hi > 50                     # set-point 0 does not squash it
    marks = [a.get_text() for a in top.texts]
    assert "auto-off warning 840 s" in marks and "auto-off 900 s" in marks
    # the pulse massage sampled every 30 s: the drawn line is the mean, not a zig-zag
    motor = next(ln for ln in duty.get_lines() if ln.get_label().startswith("motor duty"))
    held = [v for t, v in zip(motor.get_xdata(), motor.get_ydata()) if 60 <= t <= 800]
    assert all(30 <= v <= 60 for v in held), held
    assert not any("_c100" in n or "_pct" in n for n in names)


def test_the_watch_plot_is_written_on_its_own_figure_not_pyplot(tmp_path):
    rows, events = rows_of_a_session()
    before = set(sys.modules)
    watchplot.plot(rows, events, str(tmp_path / "w.png"))
    assert "matplotlib.pyplot" not in set(sys.modules) - before


# -- item 13: the scenario plot ----------------------------------------------------------------

def test_the_scenario_plot_marks_its_steps_and_shows_the_supply_on_a_supply_fault():
    from hal_sim.plot import run_figure
    from hal_sim.scenario import run_scenario
    result = run_scenario({"name": "supply", "ambient_c": 22.0, "duration_s": 60,
                           "steps": [{"at_s": 0, "send": "heat high"},
                                     {"at_s": 20, "inject": "supply_low"},
                                     {"at_s": 40, "repair": "supply_low"}],
                           "expect": [{"max_pad_c": 50.0}]})
    steps = [(lg.applied_s, lg.text) for lg in result.steps]
    fig = run_figure(result.sim.trace, result.sim.events, steps=steps)
    texts = [a.get_text() for a in fig.axes[0].texts]
    assert "inject supply_low, 20 s" in texts and "repair supply_low, 40 s" in texts
    assert any(ax.get_ylabel() == "supply (V)" for ax in fig.axes)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "sensor A as the firmware reads it" in labels
    assert not any("c100" in lb for lb in labels)


def test_the_demo_plot_parts_the_sensor_traces_and_keeps_the_heater_in_view():
    from hal_sim.demo import SCENARIO
    from hal_sim.plot import run_figure
    from hal_sim.scenario import run_scenario
    result = run_scenario(SCENARIO)
    fig = run_figure(result.sim.trace, result.sim.events)
    lag = next(ax for ax in fig.axes if ax.get_ylabel() == "sensor lag (C)")
    a, b = (ln.get_ydata() for ln in lag.get_lines()[:2])
    spread = max(abs(x) for x in a if not math.isnan(x))
    assert spread > 0.2                                  # the lag is visible at this scale
    heater = next(ax for ax in fig.axes if ax.get_ylabel() == "heater (%)")
    assert all("motor" not in ln.get_label() for ln in heater.get_lines())


# -- item 14: one CSV format for watch and run -------------------------------------------------

def test_watch_and_run_write_the_same_csv_format(capsys, tmp_path):
    w, r = tmp_path / "w.csv", tmp_path / "r.csv"
    assert run(capsys, "--port", "sim://?speed=100&heat=high", "watch", "--seconds", "0.3",
               "--period", "1000", "--csv", str(w))[0] == 0
    assert run(capsys, "run", str(ROOT / "scenarios" / "power_cycle_boot_safe.toml"),
               "--csv", str(r))[0] in (0, 1)
    with open(w, newline="") as f:
        wrows = list(csv.DictReader(f))
    with open(r, newline="") as f:
        rrows = list(csv.DictReader(f))
    assert tuple(wrows[0]) == CSV_FIELDS
    assert tuple(rrows[0]) == CSV_FIELDS + TRUTH_FIELDS
    for rows in (wrows, rrows):
        assert rows[0]["state"] in ("idle", "active") and float(rows[-1]["time_s"]) > 0
        assert all(-30 < float(x["temp_c"]) < 120 for x in rows if x["temp_c"])
    doc = (ROOT / "docs" / "csv.md").read_text()
    for name in CSV_FIELDS + TRUTH_FIELDS:
        assert f"`{name}`" in doc, name


class SilentClient(FakeClient):
    def next_event(self, timeout):
        self.clock.now += timeout
        return None


def test_a_silent_board_is_a_timeout_not_a_plot_error(tmp_path):
    from host.errors import ReplyTimeout
    clock = Clock()
    client = SilentClient(clock, 0)
    out = open(tmp_path / "out.txt", "w+")
    png = tmp_path / "w.png"
    with pytest.raises(ReplyTimeout, match="no telemetry from fake"):
        watch_mod.watch(client, period_ms=100, plot_path=str(png), out=out, clock=clock)
    out.seek(0)
    assert "was not written" in out.read() and not png.exists()
    assert client.requests == ["telemetry on 100", "telemetry off"]
