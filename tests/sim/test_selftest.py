"""SR-17 on the simulated cushion, judged by the element's real power (sim.heater_duty): the
switch self-test at a session start gives a healthy pad no energy at all, and a failed switch
is found before any heating, with the switch that still works named in the fault event."""

import pytest
from cushion import limits

from hal_sim import envelope
from tests.sim import Watch, fault_events, ticks

TEST_TICKS = 2 * limits.SELFTEST_PHASE_TICKS


def _start_heat(w):
    """Send `heat high` and return the element's energy fractions tick by tick, from the
    tick the reply came on until the self-test is over and heating has begun."""
    sim = w.sim
    assert w.send("heat high")["ok"]
    duties = []
    for _ in range(TEST_TICKS + 3):
        w.step()
        duties.append(sim.heater_duty)
    return duties


def test_sr17_a_healthy_pad_gets_no_energy_from_the_self_test():
    w = Watch(envelope.simulation(envelope.NOMINAL))
    duties = _start_heat(w)
    assert duties[:TEST_TICKS] == [0.0] * TEST_TICKS  # both phases: no current at all
    assert duties[-1] > 0.9  # and then it heats
    assert not fault_events(w.sim)


@pytest.mark.parametrize("fault,code,left", [
    ("cutoff_stuck_closed", "cutoff_stuck", "mosfet"),
    ("heater_stuck_on", "heater_stuck_on", "cutoff"),
    ("mosfet_leak", "heater_stuck_on", "cutoff"),
])
def test_sr17_a_failed_switch_is_found_before_any_heating(fault, code, left):
    sim = envelope.simulation(envelope.corner("hot_corner"))
    w = Watch(sim)
    sim.inject(fault)
    pad0 = sim.pad_c
    _start_heat(w)
    (ev,) = fault_events(sim)
    assert (ev["code"], ev["switch_left"]) == (code, left)
    for _ in range(ticks(30)):
        w.step()
        if fault == "cutoff_stuck_closed":
            assert sim.heater_duty == 0.0  # the MOSFET alone holds the heat off
    # at most the ticks it took to see the failed switch: hundredths of a degree
    assert w.max_pad - pad0 < 0.1
