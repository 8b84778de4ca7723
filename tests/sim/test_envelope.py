"""The plant envelope as data (hal_sim/envelope.py) and the faults' interface
(hal_sim/faults.py, Simulation.inject/repair): ranges, corners, the seeded draw, argument
checking, and what the new faults do to the board the firmware sees."""

import pathlib
import random
import re

import pytest

from hal_sim import envelope, faults
from hal_sim.physics import PadParams
from cushion.schema import FAULT_KINDS

from . import ticks

ISSUE_TABLE = {  # the envelope of issue 10 (docs/simulator.md, "The plant envelope")
    "power_scale": (0.8, 1.2), "mass_scale": (0.7, 1.3), "loss_scale": (0.4, 1.5),
    "sensor_tau_s": (4.0, 15.0), "hotspot_c": (0.0, 3.0), "ntc_r25_error": (-0.03, 0.03),
    "ntc_beta_error": (-0.02, 0.02), "r_supply_ohm": (0.05, 0.5), "ambient_c": (0.0, 40.0),
}


def _values(cond, key):
    v = getattr(cond.pad, key) if hasattr(cond.pad, key) else getattr(cond, key)
    return v if isinstance(v, list) else [v]


def test_ranges_are_the_issue_table_and_name_real_fields():
    for key, rng in ISSUE_TABLE.items():
        assert envelope.RANGES[key] == rng
    ref = PadParams()
    for key, (lo, hi) in envelope.RANGES.items():
        assert hasattr(ref, key) or key in ("ambient_c", "supply_v")
        assert lo < hi
        if hasattr(ref, key):  # the reference pad lies inside its own envelope
            assert all(lo <= v <= hi for v in _values(envelope.NOMINAL, key)), key


@pytest.mark.parametrize("name", list(envelope.CORNERS))
def test_every_corner_lies_inside_the_envelope(name):
    cond = envelope.corner(name)
    assert cond.name == name
    for key, (lo, hi) in envelope.RANGES.items():
        assert all(lo <= v <= hi for v in _values(cond, key)), (name, key)


def test_the_corners_the_safety_tests_need_are_there():
    for name in ("hot_corner", "cold_weak_corner", "slow_sensor_corner", "blanket_corner",
                 "no_back_corner", "reads_low_corner", "mismatched_sensors_corner",
                 "noisy_corner", "weak_adapter_corner"):
        assert name in envelope.CORNERS
    hot, cold = envelope.corner("hot_corner"), envelope.corner("cold_weak_corner")
    assert hot.ambient_c == 40.0 and hot.supply_v == 13.2 and hot.pad.power_scale == 1.2
    assert cold.ambient_c == 0.0 and cold.supply_v == 10.8 and cold.pad.r_supply_ohm == 0.3
    assert envelope.corner("slow_sensor_corner").pad.sensor_tau_s == [15.0, 15.0]


def test_unknown_corner_names_the_known_ones():
    with pytest.raises(ValueError, match="hot_corner.*cold_weak_corner"):
        envelope.corner("lukewarm")


def test_draw_is_seeded_and_inside_the_envelope():
    a = [envelope.draw(random.Random(5)).describe() for _ in range(2)]
    assert a[0] == a[1]
    rng = random.Random(11)
    conds = [envelope.draw(rng) for _ in range(300)]
    assert len({c.describe() for c in conds}) == 300
    for cond in conds:
        for key, (lo, hi) in envelope.RANGES.items():
            assert all(lo <= v <= hi for v in _values(cond, key)), key
    assert any(not c.pad.back_present for c in conds)
    assert any(c.pad.adc_spike_per_s > 0 for c in conds)


def test_simulation_builds_that_pad_in_that_setting():
    cond = envelope.corner("hot_corner")
    sim = envelope.simulation(cond, seed=3)
    assert sim.cushion.params is cond.pad
    assert sim.cushion.ambient_c == 40.0 and sim.cushion.supply_v == 13.2
    changed = envelope.with_params(cond, loss_scale=0.4, ambient_c=30.0)
    assert changed.pad.loss_scale == 0.4 and changed.ambient_c == 30.0
    assert cond.pad.loss_scale == 1.0  # the corner itself is untouched
    with pytest.raises(ValueError, match="unknown pad parameter 'los_scale'"):
        envelope.with_params(cond, los_scale=0.4)


# ---- the faults' interface ---------------------------------------------------------------

def test_every_fault_kind_has_its_arguments_and_defaults():
    assert set(faults.ARGS) == set(FAULT_KINDS)
    assert faults.BASE_FAULTS + faults.NEW_FAULTS == FAULT_KINDS
    for kind, spec in faults.ARGS.items():
        assert faults.validate_args(kind, {}) is None
        for name, (default, lo, hi) in spec.items():
            assert name in faults.ARG_NAMES
            if name != "sensor":
                assert lo <= default <= hi
    assert faults.ARGS["sensor_drift"]["rate_c_per_min"][0] == -1.0  # the old default


@pytest.mark.parametrize("kind,args,message", [
    ("sensor_wobble", {}, "unknown fault 'sensor_wobble'; one of sensor_open"),
    ("mosfet_leak", {"percent": 5}, "mosfet_leak takes fraction, not 'percent'"),
    ("mosfet_leak", {"fraction": 1.5}, "fraction must be a number from 0.0 to 1.0, not 1.5"),
    ("mosfet_leak", {"fraction": "lots"}, "fraction must be a number"),
    ("heater_open", {"sensor": 1}, "heater_open takes no arguments, not 'sensor'"),
    ("sensor_offset", {"sensor": 2}, "sensor must be 0, 1 or \"both\", not 2"),
    ("sensor_offset", {"sensor": True}, "sensor must be 0, 1 or \"both\""),
    ("sensor_drift", {"rate_c_per_min": float("nan")}, "rate_c_per_min must be a number"),
    ("serial_block", {"seconds": -1}, "seconds must be a number from 0.0"),
])
def test_bad_fault_arguments_are_refused_and_change_nothing(sim, kind, args, message):
    err = faults.validate_args(kind, args)
    assert err is not None and message in err
    before = (list(sim.cushion.sensor_offset_c), sim.cushion.mosfet_leak)
    with pytest.raises(ValueError) as info:
        sim.inject(kind, **args)
    assert message in str(info.value)
    assert sim.active_faults == []
    assert (list(sim.cushion.sensor_offset_c), sim.cushion.mosfet_leak) == before


@pytest.fixture
def sim():
    return envelope.simulation(envelope.NOMINAL)


def test_sensor_faults_take_a_sensor_or_both_and_repair_one_at_a_time(sim):
    sim.inject("sensor_offset", sensor="both", value_c=-3.0)
    assert sim.cushion.sensor_offset_c == [-3.0, -3.0]
    sim.repair("sensor_offset", sensor=0)
    assert sim.cushion.sensor_offset_c == [0.0, -3.0]
    assert sim.active_faults == ["sensor_offset"]  # still on sensor B
    sim.repair("sensor_offset")
    assert sim.cushion.sensor_offset_c == [0.0, 0.0] and sim.active_faults == []
    sim.inject("sensor_drift", 1)  # the old positional sensor still works
    assert sim.cushion.sensor_drift_c_per_min == [0.0, -1.0]
    sim.inject("sensor_drift", sensor=0, rate_c_per_min=-0.5)
    assert sim.cushion.sensor_drift_c_per_min == [-0.5, -1.0]


def test_power_stage_faults_set_and_clear_the_hardware(sim):
    pw = sim.cushion
    sim.inject("mosfet_leak", fraction=0.2)
    sim.inject("heater_degraded", fraction=0.4)
    sim.inject("cutoff_stuck_closed")
    sim.inject("adc_reference", percent=-2.0)
    assert (pw.mosfet_leak, pw.heater_degraded, pw.cutoff_stuck_closed) == (0.2, 0.4, True)
    assert sim.cushion.adc_gain == pytest.approx(0.98)
    for kind in ("mosfet_leak", "heater_degraded", "cutoff_stuck_closed", "adc_reference"):
        sim.repair(kind)
    assert (pw.mosfet_leak, pw.heater_degraded, pw.cutoff_stuck_closed) == (0.0, 0.0, False)
    assert sim.cushion.adc_gain == 1.0 and sim.active_faults == []


def test_the_board_reads_heater_current_and_reference(sim):
    assert sim.command("heat high")["ok"]
    sim.run(5)  # warming: full duty, both switches closed
    counts = sim.board.read_heater_current() >> 4
    amps = sim.cushion.heater_current_a
    assert amps > 1.5
    assert abs(counts - amps / 3.3 * 4095) <= 3
    assert abs((sim.board.read_ref() >> 4) - 2541) <= 3
    assert sim.command("heat off")["ok"]
    sim.run(1)
    assert sim.board.read_heater_current() >> 4 <= 3


def test_clock_freeze_stops_ticks_ms_but_not_the_watchdog(sim):
    sim.run(1)
    t = sim.board.ticks_ms()
    sim.inject("clock_freeze")
    sim.run(5)
    assert sim.board.ticks_ms() == t
    assert sim.resets == []  # the loop still feeds it
    sim.inject("loop_hang")  # a hung loop while the clock stands still: the watchdog fires
    sim.run(2.2)
    assert [cause for _, cause in sim.resets] == ["watchdog"]
    sim.repair("clock_freeze")
    sim.run(1)
    assert sim.board.ticks_diff(sim.board.ticks_ms(), t) == pytest.approx(1000, abs=60)


def test_serial_block_drops_whole_lines_then_clears_by_itself(sim):
    assert sim.board.serial_write(b"x\n") is True
    sim.board.tx = bytearray()
    sim.inject("serial_block", seconds=3)
    assert sim.board.serial_write(b'{"ok": true}\n') is False
    n = len(sim.replies)
    sim.serial_in(b"status\n")
    sim.run(1)
    assert len(sim.replies) == n and sim.board.tx_dropped >= 2  # the reply was dropped
    sim.run(2.1)
    assert sim.command("status")["ok"]  # after 3 s the port takes writes again
    sim.inject("serial_block")  # without seconds: until repaired
    sim.run(ticks(10) * 0.05)
    assert sim.board.serial_blocked
    sim.repair("serial_block")
    assert sim.command("status")["ok"]


# ---- the docs say what the data says ----------------------------------------------------

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"


def _table_rows(text, header):
    """The rows (lists of cells) of the markdown table whose header line starts `header`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def test_simulator_doc_envelope_table_is_the_data():
    rows = _table_rows((DOCS / "simulator.md").read_text(),
                       "| parameter | nominal | envelope |")
    ref = PadParams()
    names = []
    for name, nominal, rng, _why in rows:
        name = name.strip("`")
        names.append(name)
        lo, hi = (w.strip() for w in rng.split(".."))
        want = envelope.RANGES[name]
        if name == "back_present":
            assert (lo, hi) == ("False", "True") and nominal == str(ref.back_present)
            continue
        assert (float(lo), float(hi)) == want, name
        have = (getattr(ref, name) if hasattr(ref, name)
                else getattr(envelope.NOMINAL, name))
        values = [float(v) for v in nominal.split(",")]
        assert values == pytest.approx(have if isinstance(have, list) else [have],
                                       abs=5e-4), name
    assert names == list(envelope.RANGES)


def test_simulator_doc_corner_and_fault_tables_are_the_data():
    text = (DOCS / "simulator.md").read_text()
    corners = [r[0].strip("`") for r in _table_rows(text, "| corner | what it is |")]
    assert corners == list(envelope.CORNERS)
    rows = _table_rows(text, "| fault | arguments (default) |")
    assert [r[0].strip("`") for r in rows] == sorted(FAULT_KINDS, key=_doc_order)
    for kind, args, _what in rows:
        kind = kind.strip("`")
        spec = faults.ARGS[kind]
        documented = re.findall(r"`(\w+)` \(([^)]*)\)", args)
        assert [n for n, _ in documented] == list(spec), kind
        for name, default in documented:
            if name == "seconds":
                assert default.startswith("0") and spec[name][0] == 0.0
            else:
                assert default == repr(spec[name][0]), (kind, name)


def _doc_order(kind):
    # the docs list the sensor faults first, then the heater's, the supply's, the rest
    order = ("sensor_open", "sensor_short", "sensor_detached", "sensor_drift", "sensor_offset",
             "heater_stuck_on", "heater_open", "mosfet_leak", "cutoff_stuck_closed",
             "cutoff_stuck_open", "heater_degraded", "adc_reference", "supply_low",
             "supply_high", "motor_stall", "loop_hang", "clock_freeze", "serial_block",
             "serial_noise")
    return order.index(kind)


def test_hardware_doc_matches_limits_and_pin_maps():
    from cushion import limits
    text = (DOCS / "hardware.md").read_text()
    assert "full scale 3300 mA" in text and limits.HEATER_FULL_SCALE_MA == 3300
    assert "2541 (12-bit)" in text and limits.REF_NOMINAL_COUNTS == 2541
    for member in ("read_heater_current() -> int", "read_ref() -> int",
                   "serial_write(data) -> bool"):
        assert "`%s`" % member in text
    boards = DOCS.parent / "firmware" / "boards"
    rows = {r[0]: r[1:] for r in _table_rows(text, "| board | switch output |")}
    for board, row in (("pico", rows["Pico"]), ("esp32", rows["ESP32 DevKitC"])):
        src = (boards / (board + ".py")).read_text()
        pins = {k: int(v) for k, v in re.findall(r"^(ANALOG_\w+_PIN) = const\((\d+)\)", src,
                                                  re.M)}
        doc = [int(re.search(r"(\d+)", cell).group(1)) for cell in row]
        assert doc == [pins["ANALOG_SHARED_PIN"], pins["ANALOG_SELECT_PIN"],
                       pins["ANALOG_SELECT1_PIN"]], board


# ---- scenario steps take the faults' arguments ------------------------------------------

SCENARIO = {"name": "t", "ambient_c": 22.0, "duration_s": 20, "expect": [{"max_pad_c": 50}]}


def _scenario(*steps):
    from hal_sim.scenario import validate_scenario
    return validate_scenario(_raw(*steps))


def _raw(*steps):
    return dict(SCENARIO, steps=list(steps))


def test_scenario_inject_step_passes_its_arguments():
    from hal_sim.scenario import run_scenario
    steps = ({"at_s": 0, "send": "heat high"},
             {"at_s": 5, "inject": "sensor_drift", "sensor": "both", "rate_c_per_min": -0.5},
             {"at_s": 10, "repair": "sensor_drift", "sensor": 1})
    sc = _scenario(*steps)
    assert sc["steps"][1]["args"] == {"sensor": "both", "rate_c_per_min": -0.5}
    result = run_scenario(_raw(*steps))
    assert result.sim.cushion.sensor_drift_c_per_min == [-0.5, 0.0]
    assert result.passed
    assert [s.text for s in result.steps][1:] == [
        "inject sensor_drift rate_c_per_min=-0.5 sensor=both", "repair sensor_drift sensor=1"]


@pytest.mark.parametrize("step,message", [
    # the example in docs/simulator.md, "Steps"
    ({"at_s": 1, "inject": "mosfet_leak", "fraction": 2},
     "steps[1]: mosfet_leak: fraction must be a number from 0.0 to 1.0, not 2"),
    ({"at_s": 1, "inject": "heater_open", "fraction": 0.5},
     "steps[1]: heater_open takes no arguments, not 'fraction'"),
    ({"at_s": 1, "repair": "sensor_drift", "rate_c_per_min": 1.0},
     "steps[1]: `repair` takes only `sensor`"),
    ({"at_s": 1, "send": "status", "sensor": 1},
     "steps[1]: `sensor` goes only with `inject` or `repair`"),
])
def test_scenario_fault_arguments_are_checked(step, message):
    from hal_sim.scenario import ScenarioError
    with pytest.raises(ScenarioError) as info:
        _scenario({"at_s": 0, "send": "heat high"}, step)
    assert str(info.value) == message


def test_simulator_doc_counts_the_fault_free_matrix_it_describes():
    from .test_envelope_matrix import SWEEP_PADS, clean_cases
    text = " ".join((DOCS / "simulator.md").read_text().split())
    assert "0.05 ohm: %d sessions) and a seeded sweep of %d pads" % (
        len(list(clean_cases())), SWEEP_PADS) in text

