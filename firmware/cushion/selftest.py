"""SR-17: both heater switches shown able to interrupt the current, before any heating.

Whenever heat is wanted and the test has not passed since heat was last off (so at every
session start, and whenever the heat comes back on), the output gate runs it instead of
the heat loop's duty:

  phase 1: cut-off told open, MOSFET fully on  -> a working cut-off lets no current through
  phase 2: MOSFET told off, cut-off closed     -> a working MOSFET lets no current through

SR-16 (power_check) judges each phase's readings exactly as in normal running, so a failed
phase latches `cutoff_stuck` or `heater_stuck_on`, and the latch names the switch that
failed. Each phase lasts SELFTEST_PHASE_TICKS ticks; with both switches working no current
flows at all, so the test delivers no energy to the pad. Only a failed switch lets current
through, for the ticks that it takes to see it (0.1 s of full power: 0.01 C on the pad).
"""

from cushion import limits

_PHASES = 2 * limits.SELFTEST_PHASE_TICKS


class SwitchTest:
    def __init__(self):
        self.passed = False
        self._tick = 0
        self.pwm = 0  # what this tick's step() asks of the switches
        self.enable = False

    def reset(self):
        """Heat is off (or a fault latched): the next heat start tests again."""
        self.passed = False
        self._tick = 0

    def step(self):
        """One tick of the test: False while it runs (pwm/enable hold this tick's switch
        states), True once both phases are done (they were judged by SR-16 on their own
        ticks' readings)."""
        t = self._tick
        if t >= _PHASES:
            self.passed = True
            return True
        self._tick = t + 1
        if t < limits.SELFTEST_PHASE_TICKS:
            self.pwm = 1000
            self.enable = False
        else:
            self.pwm = 0
            self.enable = True
        return False
