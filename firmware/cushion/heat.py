"""Heat state machine and its integer PI controller.

States: OFF, WARMING (full power until the pad is close to the set-point), HOLDING
(PI around the set-point) and HELD_OFF (a latched fault: the supervisor owns the heater).

The controller proposes a duty; the safety supervisor decides whether the heater may be on
at all. Everything is in centi-degrees, per-mille and milliseconds.
"""

from micropython import const

from cushion import limits

OFF = const(0)
WARMING = const(1)
HOLDING = const(2)
HELD_OFF = const(3)
STATE_NAMES = ("off", "warming", "holding", "fault")

_FRAC = const(4)
_FILT_SHIFT = const(4)
_RING = const(8)
_LEAD_MS = const(30000)
_KP = const(800)
_KI = const(20)
_I_SCALE = const(1000)
_I_MAX = const(1000000)
_E_MAX = const(300)
_HOLD_ENTER_C100 = const(50)
_REWARM_C100 = const(300)
_PRE_K = const(70)
_PRE_A = const(1000)
_PRE_MAX = const(600)
_PRE_MIN = const(0)
_PRE_DEFAULT = const(300)
_PRE_MIN_FULL_MS = const(60000)
_CUT_C100 = const(0)
_IN_MIN = const(-2000)
_IN_MAX = const(12000)
_RATE_MAX = const(3200)


class HeatControl:
    def __init__(self):
        self.level = limits.HEAT_OFF
        self.setpoint = 0
        self.state = OFF
        self.duty = 0
        self.rate_c100_per_s = 0
        self._i_acc = 0
        self._filt = 0
        self._primed = False
        self._ring = [0] * _RING
        self._ring_pos = 0
        self._ring_n = 0
        self._ms = 0
        self._rate = 0
        self._full_ms = 0

    def set_level(self, level):
        """Pick a level from the fixed table; returns False for anything else."""
        if level < limits.HEAT_OFF or level > limits.HEAT_HIGH:
            return False
        if level == limits.HEAT_OFF:
            self.off()
            return True
        old = self.setpoint
        self.level = level
        self.setpoint = limits.LEVEL_SETPOINTS[level]
        if self.state == OFF or self.state == HELD_OFF:
            self.state = WARMING
            self._i_acc = 0
            self._full_ms = 0
        elif self.setpoint > old + _HOLD_ENTER_C100:
            self.state = WARMING
            self._full_ms = 0
        return True

    def hold_off(self):
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

    def _track(self, c100, dt_ms):
        if c100 < _IN_MIN:
            c100 = _IN_MIN
        elif c100 > _IN_MAX:
            c100 = _IN_MAX
        x = c100 << _FRAC
        if not self._primed:
            self._primed = True
            self._filt = x
            ring = self._ring
            for i in range(_RING):
                ring[i] = x
            self._ring_n = 1
            self._ms = 0
        f = self._filt
        f += (x - f) >> _FILT_SHIFT
        self._filt = f
        ms = self._ms + dt_ms
        ring = self._ring
        if ms >= 1000:
            ms -= 1000
            if ms >= 1000:
                ms = 0
            pos = self._ring_pos + 1
            if pos >= _RING:
                pos = 0
            ring[pos] = f
            self._ring_pos = pos
            if self._ring_n < _RING:
                self._ring_n += 1
        self._ms = ms
        n = self._ring_n
        oldest_pos = self._ring_pos - n + 1
        if oldest_pos < 0:
            oldest_pos += _RING
        span = (n - 1) * 1000 + ms
        if span >= 1000:
            r = (f - ring[oldest_pos]) * 1000 // span
            if r > _RATE_MAX:
                r = _RATE_MAX
            elif r < -_RATE_MAX:
                r = -_RATE_MAX
            self._rate = r
        self.rate_c100_per_s = self._rate >> _FRAC
        return (f + self._rate * _LEAD_MS // 1000) >> _FRAC

    def update(self, c100, dt_ms):
        """Propose a heater duty (per-mille) for the pad reading c100."""
        proj = self._track(c100, dt_ms)
        state = self.state
        if state == OFF or state == HELD_OFF:
            self.duty = 0
            return 0
        sp = self.setpoint
        if state == HOLDING and sp - proj > _REWARM_C100:
            state = self.state = WARMING
            self._full_ms = 0
        if state == WARMING:
            if sp - c100 > _HOLD_ENTER_C100 and sp - proj > _CUT_C100:
                if self._full_ms < 1000000:
                    self._full_ms += dt_ms
                self.duty = 1000
                return 1000
            state = self.state = HOLDING
            if self._full_ms >= _PRE_MIN_FULL_MS:
                pre = _PRE_A - ((_PRE_K * self._rate) >> _FRAC)
            else:
                pre = _PRE_DEFAULT
            if pre > _PRE_MAX:
                pre = _PRE_MAX
            elif pre < _PRE_MIN:
                pre = _PRE_MIN
            self._i_acc = pre * _I_SCALE
        e = sp - proj
        if e > _E_MAX:
            e = _E_MAX
        elif e < -_E_MAX:
            e = -_E_MAX
        duty = self._i_acc // _I_SCALE + _KP * e // 100
        if not ((duty >= 1000 and e > 0) or (duty <= 0 and e < 0)):
            acc = self._i_acc + _KI * e * dt_ms // 100
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
