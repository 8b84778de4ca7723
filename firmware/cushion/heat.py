"""Heat state machine and its integer PI controller.

States: OFF, WARMING (full power until the pad is close to the set-point), HOLDING
(PI around the set-point) and HELD_OFF (a latched fault: the supervisor owns the heater).

The controller proposes a duty; the safety supervisor decides whether the heater may be on
at all. Everything is in centi-degrees, per-mille and milliseconds.

Why it is shaped this way (see Klipper's heaters.py and Marlin's PID for the pattern):
- Full power far below the set-point: the fastest warm-up is the physical limit.
- The element stores heat that reaches the surface (and then the lagging sensors) after
  the power is cut, so the controller acts on a *projected* temperature: the reading plus
  its rate of rise times a lead. That is derivative on the measurement: no set-point kick.
- The integrator is clamped so the I term alone never exceeds full power, integrates only
  while the output is not saturated in the direction of the error, and is preloaded on
  entry to the band so holding starts near the duty the pad needs.
"""

from micropython import const

from cushion import limits

OFF = const(0)
WARMING = const(1)
HOLDING = const(2)
HELD_OFF = const(3)
STATE_NAMES = ("off", "warming", "holding", "fault")

# Tuning, fitted on the reference pad in the simulator (bench/ reports the result).
_BAND_C100 = const(150)  # PI acts within this of the set-point; full power below it
_HOLD_ENTER_C100 = const(50)  # WARMING -> HOLDING when the reading is this close
_LEAD_MS = const(12000)  # projection horizon: element heat still on its way to the sensor
_KP = const(600)  # per-mille of duty per degree C of projected error
_KI = const(40)  # per-mille per degree-second, scaled by _I_SHIFT below
_I_SHIFT = const(10)  # the integrator keeps 10 extra bits of resolution
_I_MAX = const(1000 << 10)
_RATE_SPAN = const(20)  # rate over the last 20 ticks (1 s at 50 ms)


class HeatControl:
    def __init__(self):
        self.level = limits.HEAT_OFF
        self.setpoint = 0
        self.state = OFF
        self.duty = 0
        self._i_acc = 0
        self._history = [0] * _RATE_SPAN  # ring of past readings for the rate
        self._hist_pos = 0
        self._hist_len = 0
        self.rate_c100_per_s = 0

    def set_level(self, level):
        """Pick a level from the fixed table; returns False for anything else."""
        if level < limits.HEAT_OFF or level > limits.HEAT_HIGH:
            return False
        if level == limits.HEAT_OFF:
            self.level = level
            self.setpoint = 0
            self.state = OFF
            self.duty = 0
            return True
        old = self.setpoint
        self.level = level
        self.setpoint = limits.LEVEL_SETPOINTS[level]
        if self.state == OFF or self.state == HELD_OFF:
            self.state = WARMING
            self._i_acc = 0
        elif self.setpoint > old + _HOLD_ENTER_C100:
            self.state = WARMING
        return True

    def hold_off(self):
        """A latched fault: forget the loop's state; only a new user action restarts it."""
        self.level = limits.HEAT_OFF
        self.setpoint = 0
        self.state = HELD_OFF
        self.duty = 0
        self._i_acc = 0

    def off(self):
        self.level = limits.HEAT_OFF
        self.setpoint = 0
        self.state = OFF
        self.duty = 0
        self._i_acc = 0

    def _track_rate(self, c100):
        hist = self._history
        pos = self._hist_pos
        if self._hist_len < _RATE_SPAN:
            self._hist_len += 1
            oldest = hist[0]
        else:
            oldest = hist[pos]
        hist[pos] = c100
        pos += 1
        self._hist_pos = 0 if pos >= _RATE_SPAN else pos
        # centi-degrees per second over the span (TICK_MS per sample)
        n = self._hist_len
        if n > 1:
            self.rate_c100_per_s = (c100 - oldest) * 1000 // ((n - 1) * limits.TICK_MS)

    def update(self, c100, dt_ms):
        """Propose a heater duty (per-mille) for the pad reading c100."""
        self._track_rate(c100)
        state = self.state
        if state == OFF or state == HELD_OFF:
            self.duty = 0
            return 0
        sp = self.setpoint
        error = sp - c100
        if state == WARMING and error <= _HOLD_ENTER_C100:
            state = self.state = HOLDING
        projected = c100 + self.rate_c100_per_s * _LEAD_MS // 1000
        perr = sp - projected
        if perr > _BAND_C100 and state == WARMING:
            # Far below: full power. Preload the integrator so the I term alone would be
            # the duty a holding pad typically needs (about a third at 22 C ambient).
            self._i_acc = 300 << _I_SHIFT
            self.duty = 1000
            return 1000
        p = _KP * perr // 100
        duty = p + (self._i_acc >> _I_SHIFT)
        # Conditional integration: do not wind up while the output is pinned.
        if not ((duty >= 1000 and perr > 0) or (duty <= 0 and perr < 0)):
            e = perr
            if e > _BAND_C100:  # bounded so the product stays a small int
                e = _BAND_C100
            elif e < -_BAND_C100:
                e = -_BAND_C100
            acc = self._i_acc + ((_KI * e * dt_ms) << _I_SHIFT) // 100000
            if acc < 0:
                acc = 0
            elif acc > _I_MAX:
                acc = _I_MAX
            self._i_acc = acc
        if duty < 0:
            duty = 0
        elif duty > 1000:
            duty = 1000
        self.duty = duty
        return duty
