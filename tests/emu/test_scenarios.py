"""`cushion run --chip`: scenario files on the emulated chip, judged by hal_sim's judge."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from hal_emu.scenario import run_chip_scenario
from hal_sim.scenario import run_scenario
from host.flash import REPO_ROOT

pytestmark = pytest.mark.emu

SHORT = """
name = "overheat reading while heating, on the chip"
ambient_c = 22.0
duration_s = 12
steps = [
  { at_s = 0, send = "heat high" },
  { at_s = 6, inject = "sensor_short" },
]
expect = [
  { state = "active", at_s = 5, heat = "high", heat_state = "warming" },
  { event = "fault", code = "sensor_short", within_s = [6, 6.1] },
  { heater_off_after_s = 6.1 },
  { state = "fault", at_s = 11 },
  { max_pad_c = 30.0 },
]
"""


def _run(path, env):
    return subprocess.run([sys.executable, "-m", "host.cli", "run", "--chip", str(path)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_cushion_run_chip_judges_a_scenario(tmp_path, chip_env):
    path = tmp_path / "short.toml"
    path.write_text(SHORT)
    res = _run(path, chip_env)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("PASS expect[") == 5
    path.write_text(SHORT.replace("within_s = [6, 6.1]", "within_s = [0, 5]"))
    res = _run(path, chip_env)
    assert res.returncode == 1 and "FAIL expect[1]" in res.stdout


def test_cushion_run_chip_refuses_bad_input(tmp_path, chip_env):
    path = tmp_path / "bad.toml"
    path.write_text(SHORT.replace("duration_s = 12", "duration_s = -1"))
    res = _run(path, chip_env)
    assert res.returncode == 2 and "duration_s" in res.stderr
    env = {k: v for k, v in chip_env.items() if k != "MICROPYTHON_RP2_UF2"}
    path.write_text(SHORT)  # (a bad file is refused first, before the image is looked for)
    res = _run(path, env)
    assert res.returncode == 2 and "MICROPYTHON_RP2_UF2" in res.stderr


def test_cushion_run_chip_csv_plot_and_verbose_mean_what_they_do_on_the_simulator(
        tmp_path, chip_env):
    """-v narrates steps, replies and events; --csv is docs/csv.md's format (host/csvlog.py)
    and --plot hal_sim's picture; with several files each gets its own, named alike."""
    from host.csvlog import CSV_FIELDS, TRUTH_FIELDS
    for stem in ("a", "b"):
        (tmp_path / (stem + ".toml")).write_text(SHORT)
    res = subprocess.run(
        [sys.executable, "-m", "host.cli", "run", "--chip", "-v", "--csv",
         str(tmp_path / "out.csv"), "--plot", str(tmp_path / "out.png"),
         str(tmp_path / "a.toml"), str(tmp_path / "b.toml")],
        cwd=REPO_ROOT, env=chip_env, capture_output=True, text=True, timeout=240)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("    0.00 s  steps[0] send 'heat high'") == 2
    assert res.stdout.count("steps[0] -> ok") == 2
    assert res.stdout.count("s  event fault code=sensor_short") == 2
    for stem in ("a", "b"):
        with open(tmp_path / ("out-%s.csv" % stem), newline="") as f:
            rows = list(csv.DictReader(f))
        assert tuple(rows[0]) == CSV_FIELDS + TRUTH_FIELDS
        assert len(rows) == pytest.approx(12 / 0.05, abs=3)  # a row per firmware tick
        by_t = {round(float(r["time_s"]), 2): r for r in rows}
        assert float(by_t[5.0]["heater_pct"]) > 0 and by_t[5.0]["state"] == "active"
        assert all(float(r["heater_pct"]) == 0 and float(r["heater_duty"]) == 0
                   for t, r in by_t.items() if t >= 6.2)
        assert by_t[11.0]["fault"] == "sensor_short"
        assert (tmp_path / ("out-%s.png" % stem)).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _verdicts(result):
    return [(o.index, o.passed) for o in result.outcomes]


# Expectations that depend on how fast the board is, so the chip may judge them otherwise:
# {scenario: {expectation index: why}}.
SPEED_DEPENDENT = {
    "power_cycle_boot_safe": {
        0: "the boot event within 0.1 s of power-on: MicroPython itself takes 0.23 s to "
           "start main.py on the chip (hal_sim boots in no time)"},
}
# Expectations the chip adapter cannot see: {scenario: {expectation index: why}}.
CHIP_CANNOT_SEE = {
    "serial_host_stops_reading": {
        3: "the state at 359 s, while the host reads nothing: the chip's state is seen only "
           "through `status` over that very serial line (its pins and the pad are judged)"},
}


# The scenarios CI judges on the chip (`make test-slow`): the short ones whose faults act at
# the chip itself (its serial line, its watchdog, its power). All of them together are about
# 3.5 hours of emulated time, some 40 minutes of CI on 2 cores: the rest carry `chip_long`,
# which `make test-emu` runs and `make test-slow` leaves out.
IN_CI = {"serial_host_stops_reading", "watchdog_loop_hang", "power_cycle_boot_safe"}


def _chip_cases():
    """Every shipped scenario; one with a fault the chip cannot inject yet is skipped with
    the reason (hal_emu/faults.py), not judged wrongly."""
    from hal_emu.faults import CHIP_CANNOT
    from hal_sim.scenario import load_scenario
    for path in sorted((REPO_ROOT / "scenarios").glob("*.toml")):
        kinds = sorted({st["value"] for st in load_scenario(str(path))["steps"]
                        if st["kind"] in ("inject", "repair")} & set(CHIP_CANNOT))
        marks = [pytest.mark.skip(reason="; ".join(
            "the chip cannot inject %s: %s" % (k, CHIP_CANNOT[k]) for k in kinds))] if kinds else []
        if path.stem not in IN_CI:
            marks.append(pytest.mark.chip_long)
        yield pytest.param(path, id=path.stem, marks=marks)


@pytest.mark.slow  # each is minutes of emulated time (see IN_CI)
@pytest.mark.parametrize("path", list(_chip_cases()))
def test_every_shipped_scenario_gives_the_same_verdict_on_the_chip(path, uf2, shipped):
    # (the same expectations judged alike; SPEED_DEPENDENT and CHIP_CANNOT_SEE name the rest)
    sim = run_scenario(str(path))
    chip = run_chip_scenario(str(path), uf2=uf2, files=shipped)
    stem = Path(path).stem
    skip = {**SPEED_DEPENDENT.get(stem, {}), **CHIP_CANNOT_SEE.get(stem, {})}
    same = [(i, ok) for i, ok in _verdicts(chip) if i not in skip]
    assert same == [(i, ok) for i, ok in _verdicts(sim) if i not in skip], \
        "\n".join(o.line for o in chip.outcomes)
