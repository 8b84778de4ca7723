"""SR-16: the heater current matches what the two switches were told, on every tick.

Current flows only while both the cut-off and the MOSFET conduct (docs/hardware.md, "The
power stage"), and the shunt amplifier reads its mean over the PWM. So, judged on what the
output gate told the switches last tick:

- current while either switch was told to open: that switch failed (a stuck MOSFET, a
  welded cut-off; both when both were open);
- no current while both were told to conduct: the element or its wiring is open;
- a current that makes the element's resistance (supply x duty / current) fall outside the
  envelope's range: the element is degraded (or partly shorted), or the MOSFET passes more
  than its duty.

Every verdict needs readings in a row (limits.py): one ADC spike is one reading. `left` says
which switch still works, so that the fault event can tell.
"""

from micropython import const

from cushion import limits
from cushion.names import CUTOFF_STUCK, HEATER_DEGRADED, HEATER_OPEN, HEATER_STUCK_ON

# indices into cushion.names.SWITCH_NAMES
LEFT_BOTH = const(0)
LEFT_CUTOFF = const(1)
LEFT_MOSFET = const(2)
LEFT_NONE = const(3)

# Below this duty a healthy element's mean current may sit under HEATER_ZERO_MA (the
# weakest element at the lowest supply draws about one mA per per-mille): no open verdict.
_OPEN_MIN_DUTY = const(150)
# A MOSFET that passes much more than its duty (at most this duty) reads as stuck, not as
# a degraded element.
_PARTIAL_DUTY = const(900)


class PowerCheck:
    def __init__(self):
        self.left = LEFT_BOTH
        self._stray = 0  # readings in a row with current while a switch was told to open
        self._dead = 0  # ... with no current while driven
        self._odd = 0  # ... with the element's resistance out of its window

    def check(self, heater_ma, vin_mv, pwm, enabled):
        """`pwm`, `enabled`: what the MOSFET and the cut-off were told for the period this
        reading covers. The fault code, or None."""
        if pwm == 0 or not enabled:
            self._odd = 0  # (`_dead` counts driven readings since current was last seen)
            if heater_ma < limits.HEATER_ZERO_MA:
                self._stray = 0
                return None
            self._stray += 1
            if self._stray < limits.HEATER_STUCK_TICKS:
                return None
            if enabled:
                self.left = LEFT_CUTOFF
                return HEATER_STUCK_ON
            if pwm > 0:
                self.left = LEFT_MOSFET
                return CUTOFF_STUCK
            self.left = LEFT_NONE
            return HEATER_STUCK_ON
        self._stray = 0
        if heater_ma < limits.HEATER_ZERO_MA:
            self._odd = 0
            if pwm >= _OPEN_MIN_DUTY:  # (below it the count neither grows nor restarts)
                self._dead += 1
                if self._dead >= limits.HEATER_OPEN_TICKS:
                    self.left = LEFT_BOTH
                    return HEATER_OPEN
            return None
        self._dead = 0
        if pwm < limits.HEATER_WINDOW_DUTY:
            self._odd = 0
            return None
        r = vin_mv * pwm // heater_ma  # milliohm: (mV / mA) x duty
        if limits.HEATER_R_MIN_MOHM <= r <= limits.HEATER_R_MAX_MOHM:
            self._odd = 0
            return None
        self._odd += 1
        if self._odd < limits.HEATER_WINDOW_TICKS:
            return None
        if r < limits.HEATER_R_MIN_MOHM and pwm <= _PARTIAL_DUTY:
            self.left = LEFT_CUTOFF
            return HEATER_STUCK_ON
        self.left = LEFT_BOTH
        return HEATER_DEGRADED
