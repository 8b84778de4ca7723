"""Heat state machine and its integer PI controller.

States: OFF, WARMING (full power until the pad is close to the set-point), HOLDING
(PI around the set-point) and HELD_OFF (a latched fault: the supervisor owns the heater).

The controller proposes a duty; the safety supervisor decides whether the heater may be on
at all. Everything is in centi-degrees, per-mille and milliseconds; no floats, no
allocation per tick, and every intermediate stays far below 2**30 (no bigints).

Why it is shaped this way (the figures behind every constant: docs/control.md):
- Full power far below the set-point: the fastest warm-up is the physical limit.
- The loop acts on cushion.trend's projected reading (the heat stored in the element keeps
  lifting the pad long after a cut), on the measurement only: no set-point kick.
- WARMING cuts to the PI as soon as the projection reaches the set-point (a bang-off-hold
  approach, close to time-optimal).
- The integrator is preloaded at the cut with an estimate of the holding duty taken from
  the approach, or, after a level change, from the duty that held the previous level. It
  is clamped so the I term alone never exceeds full power, and integrates only while the
  output is not saturated in the direction of the error (conditional integration).
"""

from micropython import const

from cushion import limits
from cushion.trend import Trend

# indices into cushion.names.HEAT_STATE_NAMES
OFF = const(0)
WARMING = const(1)
HOLDING = const(2)
HELD_OFF = const(3)

# -- PI (docs/control.md has the figures) --------------------------------------------------
# Per-mille of duty per degree C of projected error: well damped with the projection's lag.
_KP = const(600)
# Per-mille per degree C per second (integral time 17 s): it only trims the preload's error.
_KI = const(35)
# The integrator holds per-mille x 1000: Ki x error x dt_ms / 100 is exact to 0.001 per-mille.
_I_SCALE = const(1000)
_I_MAX = const(1000 * _I_SCALE)  # the I term alone never exceeds full power
# Error clamp for P and I arithmetic: 3 C already saturates the P term (600 x 3 > 1000).
_E_MAX = const(300)

# -- states ----------------------------------------------------------------------------------
# WARMING -> HOLDING also when the raw reading is this close (a pad that starts near the
# set-point, or a reading that jumps there).
_HOLD_ENTER_C100 = const(50)
# HOLDING -> WARMING (full power again) if the filtered reading falls this far below.
_REWARM_C100 = const(300)

# -- integrator preload at the cut (derivation and fit: docs/control.md) -------------------
# From a cold start: A + B x (set-point - start reading) [C] - C x rise rate at the cut
# [centi-degrees/s]: the losses grow with the set-point's height above the room, and the rate
# still reached at full power is the element's margin over them.
_PRE_A = const(253)
_PRE_B = const(11)
_PRE_C = const(16)
# After a level change: the previous holding duty plus the losses' growth per degree C.
_PRE_B2 = const(19)
_PRE_MIN = const(30)  # under the lowest holding duty over the envelope
_PRE_MAX = const(800)  # over the highest
_NO_START = const(-30000)  # no start reading recorded yet


class HeatControl:
    """The heat state machine and its PI loop: set_level / hold_off / off, and update()
    once a tick with the hotter pad reading."""

    def __init__(self):
        self.level = limits.HEAT_OFF
        self.setpoint = 0
        self.state = OFF
        self.duty = 0
        self.i_acc = 0  # integrator, per-mille x _I_SCALE
        # the measurement runs in every state, so it is warm when heat is switched on
        self.trend = Trend()
        # what the integrator preload is estimated from
        self.start_c100 = _NO_START  # reading when warming began from off
        self._from_hold = False  # this warm-up started from a holding level
        self._hold_duty = 0  # the duty that held that level
        self._hold_sp = 0  # ... and its set-point

    def set_level(self, level):
        """Pick a level from the fixed table; returns False for anything else."""
        if level < limits.HEAT_OFF or level > limits.HEAT_HIGH:
            return False
        if level == limits.HEAT_OFF:
            self.off()
            return True
        old = self.setpoint
        state = self.state
        self.level = level
        sp = self.setpoint = limits.LEVEL_SETPOINTS[level]
        if state == OFF or state == HELD_OFF:
            self.state = WARMING
            self.i_acc = 0
            self.start_c100 = _NO_START
            self._from_hold = False
        elif sp > old + _HOLD_ENTER_C100:
            if state == HOLDING:
                self._hold_duty = self.i_acc // _I_SCALE
                self._hold_sp = old
                self._from_hold = True
            self.state = WARMING
        elif sp < old and state == HOLDING:
            # the lower level needs less: move the integrator by the loss difference
            acc = self.i_acc - _PRE_B2 * (old - sp) * (_I_SCALE // 100)
            self.i_acc = acc if acc > 0 else 0
        return True

    def hold_off(self):
        """A latched fault: forget the loop's state; only a new user action restarts it."""
        self.off()
        self.state = HELD_OFF

    def off(self):
        self.level = limits.HEAT_OFF
        self.setpoint = 0
        self.state = OFF
        self.duty = 0
        self.i_acc = 0

    def update(self, c100, dt_ms):
        """Propose a heater duty (per-mille) for the pad reading c100."""
        trend = self.trend
        proj = trend.update(c100, dt_ms)
        state = self.state
        if state == OFF or state == HELD_OFF:
            self.duty = 0
            return 0
        sp = self.setpoint
        if state == WARMING and self.start_c100 == _NO_START:
            self.start_c100 = trend.c100
        if state == HOLDING and sp - trend.c100 > _REWARM_C100:
            self._hold_duty = self.i_acc // _I_SCALE
            self._hold_sp = sp
            self._from_hold = True
            state = self.state = WARMING
        if state == WARMING:
            # full power until the heat already on its way would carry the pad to the set-point
            if sp - c100 > _HOLD_ENTER_C100 and proj < sp:
                self.duty = 1000
                return 1000
            state = self.state = HOLDING
            if self._from_hold:
                pre = self._hold_duty + _PRE_B2 * (sp - self._hold_sp) // 100
            else:
                pre = (_PRE_A + _PRE_B * (sp - self.start_c100) // 100
                       - _PRE_C * trend.rate // 16)
            if pre > _PRE_MAX:
                pre = _PRE_MAX
            elif pre < _PRE_MIN:
                pre = _PRE_MIN
            self.i_acc = pre * _I_SCALE
        e = sp - proj
        if e > _E_MAX:
            e = _E_MAX
        elif e < -_E_MAX:
            e = -_E_MAX
        duty = self.i_acc // _I_SCALE + _KP * e // 100
        # conditional integration: no wind-up while the output is pinned by this error
        if not ((duty >= 1000 and e > 0) or (duty <= 0 and e < 0)):
            acc = self.i_acc + _KI * e * dt_ms // 100
            if acc < 0:
                acc = 0
            elif acc > _I_MAX:
                acc = _I_MAX
            self.i_acc = acc
        if duty < 0:
            duty = 0
        elif duty > 1000:
            duty = 1000
        self.duty = duty
        return duty
