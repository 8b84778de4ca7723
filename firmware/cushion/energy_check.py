"""Both pad sensors wrong together: the delivered energy against the rise they report.

SR-6 compares the two sensors with each other, so a common error (both drifting or offset
the same way, both lifted off the pad) passes it. The element's electrical energy (the
measured current times the measured supply, over time) is a second witness: while the pad
is well below the set-point, every ENERGY_WINDOW_J that goes in must lift the hotter reading
by at least ENERGY_MIN_RISE_C100 above its lowest point of the window, for every pad of the
envelope (limits.py names the corner that bounds it). Energy rather than time makes the
window as short as the strongest pad allows: a strong element in a hot room gets its window
in a third of the time a weak one needs. Where physics leaves a case to the thermal cut-out,
docs/safety.md says so.
"""

from cushion import limits
from cushion.names import ENERGY_MISMATCH

_WINDOW_MJ = limits.ENERGY_WINDOW_J * 1000


class EnergyCheck:
    def __init__(self):
        self._armed = False
        self._ref = 0
        self._mj = 0

    def reset(self):
        self._armed = False

    def check(self, hot, setpoint, power_mw, dt):
        if setpoint <= 0 or setpoint - hot <= limits.NO_RISE_ARM_C100:
            self._armed = False  # near the set-point the heat goes into holding, not rising
            return None
        if not self._armed:
            self._armed = True
            self._ref = hot
            self._mj = 0
            return None
        if hot < self._ref:
            self._ref = hot
        self._mj += power_mw * dt // 1000
        if self._mj < _WINDOW_MJ:
            return None
        if hot - self._ref < limits.ENERGY_MIN_RISE_C100:
            return ENERGY_MISMATCH
        self._ref = hot
        self._mj = 0
        return None
