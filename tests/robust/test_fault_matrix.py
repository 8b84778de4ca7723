"""Fault matrix (SR-2..SR-6, SR-9, SR-10, SR-13, SR-14): every fault of hal_sim.FAULTS, at
every heat level, at ambient 0, 22 and 35 C, injected while warming and while holding.

For each case the fault must be detected (a fault event with an expected code; supply_low:
a pause with heater_duty 0 and nothing latched; loop_hang: a watchdog reset, then a safe
boot; serial_noise: error replies, no crash, nothing latched, control continues), the heater
must be off (sim.heater_duty == 0, the power the element really got) within the fault's
bound, and the true pad (sim.pad_c, checked every tick) must stay at or below 52 C.

Plus the fault-free matrix: every level x ambient 0/22/35 C x supply 10.8/12.0/13.2 V, a whole
15-minute session each, with zero fault events and a clean auto-off.

Default run: DEFAULT_FAULT_CASES and DEFAULT_CLEAN_CASES below, a fixed selection that covers
every fault (warming and holding), every level and every ambient at least once (checked by
test_default_selection_covers_every_fault_level_and_ambient). The whole matrix (198 fault
cases, 27 clean sessions) is marked slow: `make test-full`.
"""

import itertools

import pytest

from hal_sim import Simulation
from hal_sim.faults import BASE_FAULTS as FAULTS  # the new kinds: tests/sim/test_envelope_faults.py
from tests.robust._common import (
    AMBIENTS, LEVELS, PAD_MAX_C, SETPOINTS_C100, SUPPLIES, TICK_S, fault_events, step_checked,
    tick_n,
)

PHASES = ("warming", "holding")
WARMING_INJECT_S = 30.0  # after the session starts: the pad is still far below the set-point
HOLDING_EXTRA_S = 30.0  # after the controller first reports HOLDING
HOLDING_STATE = 2

# Per fault: the codes that count as detection, and how long after the injection it may take
# (seconds). Bounds come from the requirements where they give one (SR-2/3: 100 ms, SR-9: 100 ms,
# SR-13: 1 s, SR-10: 2 s watchdog) plus one tick for the delivered duty, and otherwise from the
# physics (a drift of 1 C/min needs 5 min to make a 5 C disagreement; a stuck MOSFET while
# warming shows only once the controller commands the heater off near the set-point).
EXPECT = {
    "sensor_open": ({"sensor_open"}, 0.15),
    "sensor_short": ({"sensor_short"}, 0.15),
    "sensor_detached": ({"sensor_mismatch", "no_heat_rise", "thermal_runaway"}, 120.0),
    "sensor_drift": ({"sensor_mismatch"}, 400.0),
    "heater_stuck_on": ({"heater_stuck_on"}, 600.0),
    # SR-16: no current while driven
    "heater_open": ({"heater_open"}, 1.0),
    "supply_high": ({"supply_high"}, 0.2),
    "motor_stall": ({"motor_stall"}, 1.2),
}
WATCHDOG_BOUND_S = 2.0 + 2 * TICK_S
SUPPLY_LOW_OBSERVE_S = 120.0
NOISE_OBSERVE_S = 120.0
AFTER_DETECT_S = 30.0  # keep watching after detection: the heater stays off, pad stays cool

# Cases the physics cannot show within the thresholds, each with the reason. They are
# asserted differently (the hazard is absent), not skipped; see docs/safety.md "Known limits".
UNDETECTABLE = {
    # Detached sensor at 35 C ambient on low (38 C): the loose sensor settles near ambient,
    # within the 5 C mismatch band of the pad. Control runs on the hotter (attached) sensor.
    ("sensor_detached", "low", 35.0): "loose sensor within 5 C of the pad",
    # Open element at 35 C ambient on low: the pad sits 3 C below the set-point, inside the
    # no-rise arming band (3 C) and the runaway band (5 C). No power reaches the pad at all.
    ("heater_open", "low", 35.0): "set-point within the no-rise/runaway bands of ambient",
}

# The same, for one phase only.
UNDETECTABLE_IN_PHASE = {
    # An element that opens early in a 0 C warm-up: the user's back keeps warming the cold pad
    # faster than the no-rise check's 0.5 C per 120 s for longer than the session lasts. No
    # power reaches the pad, so nothing can burn (docs/safety.md, "Known limits").
    ("heater_open", "low", 0.0, "warming"): "the back warms a cold pad faster than 0.5 C/120 s",
    ("heater_open", "medium", 0.0, "warming"): "the back warms a cold pad faster than 0.5 C/120 s",
    ("heater_open", "high", 0.0, "warming"): "the back warms a cold pad faster than 0.5 C/120 s",
}

ALL_FAULT_CASES = list(itertools.product(FAULTS, LEVELS, AMBIENTS, PHASES))

# The default selection: each fault twice (warming and holding), levels and ambients rotated
# so that every fault meets two different ambients and every level/ambient pair turns up.
DEFAULT_FAULT_CASES = [
    (f, LEVELS[(i + j) % 3], AMBIENTS[(i + 2 * j) % 3], PHASES[j])
    for i, f in enumerate(FAULTS)
    for j in range(2)
]

ALL_CLEAN_CASES = list(itertools.product(LEVELS, AMBIENTS, SUPPLIES))
DEFAULT_CLEAN_CASES = [
    ("high", 35.0, 13.2),  # hottest: most overshoot
    ("low", 0.0, 10.8),  # slowest rise: most prone to a false no_heat_rise
    ("medium", 22.0, 12.0),
    ("high", 0.0, 10.8),  # slowest to high: false runaway / no-rise
]


def _start(level, ambient, supply=12.0):
    sim = Simulation(ambient_c=ambient, supply_v=supply)
    assert sim.command("heat " + level)["ok"]
    assert sim.command("massage continuous")["ok"]
    return sim


def _warming_ticks(level, ambient):
    """How many ticks after the start the controller stays in WARMING (at most 30 s)."""
    sim = _start(level, ambient)
    for k in range(tick_n(WARMING_INJECT_S)):
        sim.step()
        if sim.ctl.heat.state != 1:
            return k
    return tick_n(WARMING_INJECT_S)


def _run_to_phase(sim, phase, warm_ticks=None):
    if phase == "warming":
        # 30 s in; where warming is shorter (35 C on low: 3 C to go), half-way through it
        n = tick_n(WARMING_INJECT_S) if warm_ticks is None else warm_ticks
        if n < tick_n(WARMING_INJECT_S):
            n //= 2
        if n < 1:
            pytest.skip("no warming phase: the pad starts inside the hold band")
        for _ in range(n):
            step_checked(sim)
        assert sim.ctl.heat.state == 1, "still warming when the fault goes in"
        return
    for _ in range(tick_n(700)):
        step_checked(sim)
        if sim.ctl.heat.state == HOLDING_STATE:
            break
    else:
        pytest.fail("never reached HOLDING")
    for _ in range(tick_n(HOLDING_EXTRA_S)):
        step_checked(sim)


def _check_latched_fault(sim, fault, level, ambient, phase=None):
    codes, bound = EXPECT[fault]
    n_ev = len(sim.events)
    t0 = sim.now_s
    sim.inject(fault)
    heater_fault = fault != "motor_stall"
    limit = tick_n(bound) + 1
    detect = None
    if ((fault, level, ambient) in UNDETECTABLE
            or (fault, level, ambient, phase) in UNDETECTABLE_IN_PHASE):
        # the hazard must be absent instead: no power reaches the pad above the set-point
        setpoint = SETPOINTS_C100[LEVELS.index(level) + 1] / 100
        for _ in range(limit):
            pad = step_checked(sim)
            assert pad <= setpoint + 2.0
            if fault == "heater_open":
                assert sim.heater_duty == 0.0 or sim.cushion.heater_power_w == 0.0
            assert sim.ctl.safety.fault is None or sim.ctl.safety.fault in codes
        return
    for k in range(limit):
        step_checked(sim)
        evs = fault_events(sim, n_ev)
        if evs:
            detect = k
            break
    assert detect is not None, "%s not detected within %.1f s" % (fault, bound)
    assert evs[0]["code"] in codes, (evs[0], codes)
    assert sim.now_s - t0 <= bound + 1e-6
    if heater_fault:
        assert sim.ctl.safety.fault == evs[0]["code"]
    else:
        assert sim.ctl.safety.motor_fault == "motor_stall"
        assert sim.ctl.safety.fault is None
    level_before = sim.ctl.heat.level
    # From the tick after the latch on: the element gets nothing (heater faults) or the motor
    # stops and the heat goes on untouched (SR-13).
    for _ in range(tick_n(AFTER_DETECT_S)):
        step_checked(sim)
        if heater_fault:
            assert sim.heater_duty == 0.0
            assert not sim.board.heater_enabled  # the cut-off switch is open too
        else:
            assert sim.motor_duty == 0.0
            assert sim.ctl.safety.fault is None
            assert sim.ctl.heat.level == level_before


def _check_supply_low(sim):
    n_ev = len(sim.events)
    sim.inject("supply_low")
    for k in range(tick_n(SUPPLY_LOW_OBSERVE_S)):
        step_checked(sim)
        if k >= 2:  # detection within one tick, delivered duty one tick later
            assert sim.ctl.safety.supply_paused
            assert sim.heater_duty == 0.0
    assert sim.ctl.safety.fault is None, "supply_low must pause, not latch"
    assert not fault_events(sim, n_ev), fault_events(sim, n_ev)
    assert sim.command("status")["supply_paused"] is True
    sim.repair("supply_low")
    # resumes by itself when the heater is wanted (the session may have ended meanwhile)
    for _ in range(tick_n(1)):
        step_checked(sim)
    assert not sim.ctl.safety.supply_paused


def _check_loop_hang(sim):
    resets = len(sim.resets)
    t0 = sim.now_s
    sim.inject("loop_hang")
    for _ in range(tick_n(WATCHDOG_BOUND_S)):
        step_checked(sim)
        if len(sim.resets) > resets:
            break
    assert len(sim.resets) == resets + 1, "no watchdog reset within %.2f s" % WATCHDOG_BOUND_S
    assert sim.resets[-1][1] == "watchdog"
    assert sim.now_s - t0 <= WATCHDOG_BOUND_S
    boots = [e for e in sim.events if e.get("event") == "boot"]
    assert boots[-1]["reset_cause"] == "watchdog"
    # SR-1: after the reset nothing runs until a user action.
    for _ in range(tick_n(60)):
        step_checked(sim)
        assert sim.heater_duty == 0.0
        assert sim.motor_duty == 0.0
        assert not sim.ctl.session.active
    st = sim.command("status")
    assert st["heat"] == "off" and st["massage"] == "off"


def _check_serial_noise(sim):
    n_rep = len(sim.replies)
    resets = len(sim.resets)
    setpoint = sim.ctl.heat.setpoint
    sim.inject("serial_noise")
    delivered = 0.0
    for _ in range(tick_n(NOISE_OBSERVE_S)):
        step_checked(sim)
        delivered += sim.heater_duty
        assert sim.ctl.safety.fault is None
        assert sim.ctl.safety.motor_fault is None
    sim.repair("serial_noise")
    assert len(sim.resets) == resets, "noise must not crash or reset the board"
    errors = [r for r in sim.replies[n_rep:] if r.get("ok") is False]
    assert errors, "noise lines got no error replies"
    assert sim.ctl.heat.setpoint == setpoint  # control continues
    assert sim.ctl.session.active
    assert delivered > 0.0


def _fault_case(fault, level, ambient, phase):
    warm = _warming_ticks(level, ambient) if phase == "warming" else None
    sim = _start(level, ambient)
    _run_to_phase(sim, phase, warm)
    if fault == "supply_low":
        _check_supply_low(sim)
    elif fault == "loop_hang":
        _check_loop_hang(sim)
    elif fault == "serial_noise":
        _check_serial_noise(sim)
    else:
        _check_latched_fault(sim, fault, level, ambient, phase)


def _clean_case(level, ambient, supply):
    sim = _start(level, ambient, supply)
    for _ in range(tick_n(905)):
        step_checked(sim)
    assert not fault_events(sim), fault_events(sim)
    assert sim.ctl.safety.fault is None and sim.ctl.safety.motor_fault is None
    assert not sim.ctl.safety.supply_paused
    autos = [e for e in sim.events if e.get("event") == "auto_off"]
    assert len(autos) == 1 and 899.9 <= autos[0]["sim_s"] <= 900.2, autos
    assert sim.heater_duty == 0.0 and sim.motor_duty == 0.0


def _case_id(case):
    return "-".join(str(x) for x in case)


# Firmware bugs found by this matrix and reported to the lead (docs/safety.md "Open bugs").
# Strict: the test fails the day the bug is fixed, so the mark is removed with the fix.
KNOWN_BUGS = {}  # (fault, level, ambient, phase) -> reason; empty since the calibration
# of safety.py fixed the false supply_low/loop_hang heater_stuck_on trips at 0 C ambient.


def _params(cases):
    out = []
    for c in cases:
        bug = KNOWN_BUGS.get(c)
        marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
        out.append(pytest.param(*c, marks=marks, id=_case_id(c)))
    return out


def test_default_selection_covers_every_fault_level_and_ambient():
    assert {c[0] for c in DEFAULT_FAULT_CASES} == set(FAULTS)
    for f in FAULTS:
        assert {c[3] for c in DEFAULT_FAULT_CASES if c[0] == f} == set(PHASES)
    assert {c[1] for c in DEFAULT_FAULT_CASES} == set(LEVELS)
    assert {c[2] for c in DEFAULT_FAULT_CASES} == set(AMBIENTS)
    assert {c[0] for c in DEFAULT_CLEAN_CASES} == set(LEVELS)
    assert {c[1] for c in DEFAULT_CLEAN_CASES} == set(AMBIENTS)
    assert {c[2] for c in DEFAULT_CLEAN_CASES} == set(SUPPLIES)
    assert set(DEFAULT_FAULT_CASES) <= set(ALL_FAULT_CASES)


@pytest.mark.parametrize("fault,level,ambient,phase", _params(DEFAULT_FAULT_CASES))
def test_fault_detected_and_heater_off(fault, level, ambient, phase):
    _fault_case(fault, level, ambient, phase)


@pytest.mark.slow
@pytest.mark.parametrize("fault,level,ambient,phase", _params(ALL_FAULT_CASES))
def test_fault_detected_and_heater_off_full_matrix(fault, level, ambient, phase):
    _fault_case(fault, level, ambient, phase)


@pytest.mark.parametrize("level,ambient,supply", _params(DEFAULT_CLEAN_CASES))
def test_fault_free_session_has_no_faults(level, ambient, supply):
    _clean_case(level, ambient, supply)


@pytest.mark.slow
@pytest.mark.parametrize("level,ambient,supply", _params(ALL_CLEAN_CASES))
def test_fault_free_session_has_no_faults_full_matrix(level, ambient, supply):
    _clean_case(level, ambient, supply)


def test_pad_limit_is_the_design_value():
    assert PAD_MAX_C == 52.0


def test_lowering_the_level_while_hot_is_not_a_fault():
    """Regression: this latched a false heater_stuck_on before the SR-5 calibration."""
    sim = Simulation()
    assert sim.command("heat high")["ok"]
    assert sim.run_until(lambda s: s.ctl.heat.state == HOLDING_STATE, 600)
    sim.run(60)
    assert sim.command("heat low")["ok"]
    n_ev = len(sim.events)
    for _ in range(tick_n(300)):
        step_checked(sim)
    assert not fault_events(sim, n_ev), fault_events(sim, n_ev)


def test_watchdog_reset_while_warming_cold_is_not_a_fault():
    """Regression: this latched a false heater_stuck_on before the SR-5 calibration."""
    sim = _start("high", 0.0)
    _run_to_phase(sim, "warming")
    _check_loop_hang(sim)
    assert not fault_events(sim), fault_events(sim)


def test_supply_low_pause_while_warming_cold_is_not_a_fault():
    """Regression: a low-supply pause early in a 0 C warm-up latched heater_stuck_on."""
    for level in LEVELS:
        sim = _start(level, 0.0)
        _run_to_phase(sim, "warming")
        _check_supply_low(sim)
