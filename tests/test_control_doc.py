"""docs/control.md: its preload constants are heat.py's, each row's preload is its formula,
and the reference pad's holding duties are what the firmware holds today."""

import pathlib
import re

import pytest

from hal_sim import Simulation

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "control.md").read_text()
HEAT_SRC = (ROOT / "firmware" / "cushion" / "heat.py").read_text()


def _rows():
    rows = {}
    for line in DOC.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and re.fullmatch(r"[+-]?\d+", cells[6]):
            rise, rate, hold, pre, err = (float(c) for c in cells[2:])
            rows[(cells[0], cells[1])] = (rise, rate, hold, pre, err)
    return rows


ROWS = _rows()


def _doc_constants():
    m = re.search(r"\*\*A = (\d+), B = (\d+), C = (\d+)\*\*", DOC)
    assert m, "docs/control.md states the constants as **A = .., B = .., C = ..**"
    return tuple(int(x) for x in m.groups())


def test_the_doc_constants_are_the_firmware_constants():
    code = tuple(int(re.search(r"^%s = const\((\d+)\)" % name, HEAT_SRC, re.M).group(1))
                 for name in ("_PRE_A", "_PRE_B", "_PRE_C"))
    assert _doc_constants() == code


def test_each_row_is_the_formula_and_its_error():
    a, b, c = _doc_constants()
    assert len(ROWS) == 39
    for key, (rise, rate, hold, pre, err) in ROWS.items():
        assert abs(a + b * rise - c * rate - pre) <= 1.0, key  # the rate is rounded to 0.01
        assert abs(pre - hold - err) <= 1, key  # each column rounded on its own


@pytest.mark.parametrize("level", ["low", "medium", "high"])
def test_the_reference_pad_holds_at_the_documented_duty(level):
    sim = Simulation(ambient_c=22.0, supply_v=12.0, seed=1)
    sim.command("heat " + level)
    duties = []
    while sim.now_s < 899:
        sim.step()
        if sim.now_s >= 690:
            duties.append(sim.ctl.out.heater)
    holding = sum(duties) / len(duties)
    assert abs(holding - ROWS[("nominal", level)][2]) <= 3, holding
