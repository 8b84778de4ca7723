"""Fault matrix: every fault of hal_sim (cushion.schema.FAULT_KINDS, old and new), each judged
by its own rule (tests/robust/_matrix.py: RULES), by physics: detected by the rule meant for
it (SR-2 or another fault's rule is a miss), the element unpowered from the latch on, the
true pad (sim.pad_c, every tick) at or below 52 C, and after a power cycle or a watchdog
reset the latch back and heat refused.

- default run: every fault, warming and holding, at high heat on the nominal pad;
- slow (`make test-slow`): every fault x warming/holding at high on every envelope corner;
  every level on the nominal pad and the hot corner; holding at high on the nominal pad in a
  0 and a 40 C room behind 10.8 V / 0.3 ohm and 13.2 V / 0.05 ohm; in the hot corner each
  case again followed by a power cycle and by a watchdog reset; a seeded sweep of 1,000
  sessions, each a pad drawn from the envelope with one random fault, level, phase and
  follow-up.

Plus the fault-free matrix: every level x ambient 0/22/35 C x supply 10.8/12.0/13.2 V, a whole
15-minute session each, with zero fault events and a clean auto-off (the envelope's own
fault-free sessions are in tests/sim/test_envelope_no_false_trips.py).
"""

import itertools
import random

import pytest
from cushion.schema import FAULT_KINDS

from hal_sim import Simulation, envelope
from tests.robust import _matrix as M
from tests.robust._common import (
    AMBIENTS, LEVELS, PAD_MAX_C, SUPPLIES, fault_events, step_checked, tick_n,
)

PHASES = M.PHASES
WARMING_INJECT_S = 30.0
HOLDING_EXTRA_S = 30.0
HOLDING_STATE = 2
WATCHDOG_BOUND_S = 2.0 + 0.1
CORNERS = ("nominal",) + tuple(envelope.CORNERS)
SWEEP_SESSIONS = 1000
SWEEP_CHUNKS = 20


def _case(cond, fault, level, phase, follow=None, seed=1):
    out = M.run_case(cond, fault, level, phase, follow, seed)
    if out is None:
        pytest.skip("this pad has no %s phase at %s" % (phase, level))
    assert out.max_pad <= PAD_MAX_C
    return out


def test_rules_cover_every_fault_kind():
    assert set(M.FAULTS) == set(FAULT_KINDS)


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("fault", M.FAULTS)
def test_fault_detected_and_heater_off(fault, phase):
    _case(envelope.NOMINAL, fault, "high", phase)


@pytest.mark.slow
@pytest.mark.parametrize("corner", CORNERS)
@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("fault", M.FAULTS)
def test_fault_detected_on_every_corner(fault, phase, corner):
    _case(envelope.corner(corner), fault, "high", phase)


@pytest.mark.slow
@pytest.mark.parametrize("corner", ("nominal", "hot_corner"))
@pytest.mark.parametrize("level", ("low", "medium"))
@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("fault", M.FAULTS)
def test_fault_detected_at_every_level(fault, phase, level, corner):
    _case(envelope.corner(corner), fault, level, phase)


@pytest.mark.slow
@pytest.mark.parametrize("follow", ("power_cycle", "watchdog"))
@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("fault", M.FAULTS)
def test_fault_in_the_hot_corner_then_a_reset(fault, phase, follow):
    _case(envelope.corner("hot_corner"), fault, "high", phase, follow)


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ((10.8, 0.3), (13.2, 0.05)), ids=("10.8V_0.3ohm",
                                                                      "13.2V_0.05ohm"))
@pytest.mark.parametrize("ambient", (0.0, 40.0))
@pytest.mark.parametrize("fault", M.FAULTS)
def test_fault_on_the_nominal_pad_across_room_and_adapter(fault, ambient, adapter):
    volts, ohms = adapter
    cond = envelope.with_params(envelope.NOMINAL, "nominal_%g_%g_%g" % (ambient, volts, ohms),
                                ambient_c=ambient, supply_v=volts, r_supply_ohm=ohms)
    _case(cond, fault, "high", "holding")


def sweep_case(i):
    """Session i of the seeded sweep: a pad from the envelope, one random fault, level, phase
    and follow-up."""
    rng = random.Random(1000003 * i + 11)
    cond = envelope.draw(rng, name="draw%d" % i)
    return (cond, rng.choice(M.FAULTS), rng.choice(LEVELS), rng.choice(PHASES),
            rng.choice(M.FOLLOW_UPS))


@pytest.mark.slow
@pytest.mark.parametrize("chunk", range(SWEEP_CHUNKS))
def test_seeded_sweep_over_the_envelope(chunk):
    ran = 0
    i = chunk
    n = SWEEP_SESSIONS // SWEEP_CHUNKS
    while ran < n:
        cond, fault, level, phase, follow = sweep_case(i)
        i += SWEEP_CHUNKS
        try:
            out = M.run_case(cond, fault, level, phase, follow, seed=i)
        except AssertionError as err:
            raise AssertionError("%s %s %s %s: %s\n%s" % (
                fault, level, phase, follow, err, cond.describe())) from None
        if out is not None:  # a pad with no such phase at this level draws again
            ran += 1
    assert ran == n


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


def _check_supply_low(sim):
    n_ev = len(sim.events)
    sim.inject("supply_low")
    for k in range(tick_n(M.SUPPLY_LOW_OBSERVE_S)):
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




ALL_CLEAN_CASES = list(itertools.product(LEVELS, AMBIENTS, SUPPLIES))
DEFAULT_CLEAN_CASES = [
    ("high", 35.0, 13.2),  # hottest: most overshoot
    ("low", 0.0, 10.8),  # slowest rise: most prone to a false no_heat_rise
    ("medium", 22.0, 12.0),
    ("high", 0.0, 10.8),  # slowest to high: false runaway / no-rise
]


@pytest.mark.parametrize("level,ambient,supply", DEFAULT_CLEAN_CASES)
def test_fault_free_session_has_no_faults(level, ambient, supply):
    _clean_case(level, ambient, supply)


@pytest.mark.slow
@pytest.mark.parametrize("level,ambient,supply", ALL_CLEAN_CASES)
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
