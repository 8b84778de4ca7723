"""Whole-system safety tests judged by the simulator's physical truth.

The firmware runs unchanged on the simulated cushion (hal_sim). What a test asserts is what
happened to the pad and the element, not what the firmware says about itself:

- `sim.pad_c`, the true pad surface under the user's back, checked on every tick (never
  above PAD_MAX_C, DESIGN section 9);
- `sim.heater_duty` / `sim.motor_duty`, the fraction of full power the element / motors
  really got over the last tick;
- events and replies only for what the requirement itself names (the fault code, the
  auto_off event's time, the boot event's reset cause).

Bounds come from the requirements where they give one (SR-2/SR-3 100 ms, SR-7 one tick,
SR-10 2 s, SR-13 1 s) and otherwise from the thresholds in cushion/limits.py and the pad's
physics (docs/simulator.md, "Safety thresholds and why"). Helpers live here; the tests are in
the test_*.py modules next to it.
"""

from tests.conftest import (  # noqa: F401 - the names the tests here import from this package
    AMBIENTS, EPS, LEVELS, PAD_MAX_C, SETPOINT_C, TICK_S, fault_events, ticks,
)

from cushion import limits  # noqa: E402
from hal_sim import Simulation  # noqa: E402


class Watch:
    """Drives a Simulation one tick at a time and checks the physical truth on every tick.

    `max_pad` is the hottest the true pad has been since the Watch was made; every step
    asserts it is at most PAD_MAX_C and that every line the firmware sent was JSON."""

    def __init__(self, sim):
        self.sim = sim
        self.max_pad = sim.pad_c

    def step(self):
        sim = self.sim
        sim.step()
        pad = sim.pad_c
        if pad > self.max_pad:
            self.max_pad = pad
        assert pad <= PAD_MAX_C, "true pad %.2f C > %.1f C at %.2f s" % (
            pad, PAD_MAX_C, sim.now_s)
        assert not sim.bad_lines, sim.bad_lines[:3]

    def run(self, seconds):
        for _ in range(ticks(seconds)):
            self.step()

    def run_until(self, predicate, max_s):
        """Step until predicate(sim) holds; the seconds it took, or None."""
        t0 = self.sim.now_s
        for _ in range(ticks(max_s)):
            self.step()
            if predicate(self.sim):
                return self.sim.now_s - t0
        return None

    def send(self, line, max_s=2.0):
        """One request line in, stepping (and checking) tick by tick until its reply."""
        sim = self.sim
        before = len(sim.replies)
        sim.serial_in(line.encode() + b"\n")
        for _ in range(ticks(max_s)):
            self.step()
            if len(sim.replies) > before:
                return sim.replies[before]
        raise AssertionError("no reply to %r within %s s" % (line, max_s))


def heat_state(sim):
    return sim.state()["heat_state"]


def start(ambient_c=22.0, level="high", supply_v=12.0, params=None, massage=None, **kw):
    """A Simulation with a session running at `level` (and massage, e.g. "continuous 3")."""
    sim = Simulation(ambient_c=ambient_c, supply_v=supply_v, params=params, **kw)
    w = Watch(sim)
    assert w.send("heat " + level)["ok"]
    if massage:
        assert w.send("massage " + massage)["ok"]
    return w


def to_phase(w, phase, warming_s=30.0, holding_extra_s=60.0):
    """Run to the phase a fault goes in: 'warming' (warming_s into the session, still at full
    power far below the set-point) or 'holding' (holding_extra_s after the controller first
    reports HOLDING)."""
    if phase == "warming":
        w.run(warming_s)
        assert heat_state(w.sim) == "warming"
        assert w.sim.heater_duty >= limits.FULL_DUTY_PERMILLE / 1000
        return
    assert w.run_until(lambda s: heat_state(s) == "holding", 900) is not None, "never held"
    w.run(holding_extra_s)
    assert heat_state(w.sim) == "holding"
