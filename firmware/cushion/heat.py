"""Heat state machine and its integer PI controller.

States: OFF, WARMING (full power until the pad is close to the set-point), HOLDING
(PI around the set-point) and HELD_OFF (a latched fault: the supervisor owns the heater).

The controller proposes a duty; the safety supervisor decides whether the heater may be on
at all. Everything is in centi-degrees, per-mille and milliseconds; no floats, no
allocation per tick, and every intermediate stays far below 2**30 (no bigints).

Why it is shaped this way (pad physics: docs/simulator.md; bench/tuning/ has the fit):
- Full power far below the set-point: the fastest warm-up is the physical limit.
- The element (40 J/K, 1.2 W/K to a 100 J/K surface) holds heat that keeps flowing into the
  surface, and then into the lagging sensors (6-8 s), long after the power is cut. From a
  full-power rise that is worth about 30 s of the current rise rate. So the loop acts on a
  *projected* reading: filtered reading + LEAD x rate + ACC_LEAD x acceleration. The rate and
  the acceleration are a quadratic least-squares fit (Savitzky-Golay, evaluated at the newest
  point, so no half-window delay) over the last 12 one-second samples of an IIR-filtered
  reading: the ADC noise (+-2 LSB) makes a 1 s difference useless for a long lead. The
  acceleration term sees the rise rate building up at the start of a short warm-up and
  collapsing after the cut-off before the rate itself shows it. Both act on the measurement
  only: no set-point kick.
- WARMING cuts to the PI as soon as the projection reaches the set-point. The lead is a little
  shorter than the hold-duty physics (21 s, not ~30 s): right after the cut the P term drives
  the duty to zero, which drains the element faster than holding would, and the sensor reaches
  the set-point sooner without overshoot (a bang-off-hold approach, close to time-optimal).
- The integrator is preloaded at the cut with an estimate of the holding duty taken from the
  approach (how far the pad rose and how fast it was still rising), or, after a level change,
  from the duty that held the previous level. It is clamped so the I term alone never exceeds
  full power, and integrates only while the output is not saturated in the direction of the
  error (conditional integration).
"""

from micropython import const

from cushion import limits

OFF = const(0)
WARMING = const(1)
HOLDING = const(2)
HELD_OFF = const(3)
STATE_NAMES = ("off", "warming", "holding", "fault")

# -- measurement --------------------------------------------------------------------------
# Readings carry 4 extra fractional bits (1/16 centi-degree) through the filter and the fit.
_FRAC = const(4)
# IIR on every 50 ms reading, time constant 8 ticks (0.4 s): cuts the ADC noise (sigma about
# 2 centi-degrees) by ~4x while adding a lag that is small next to the sensors' own 6-8 s.
_FILT_SHIFT = const(3)
# One sample a second; the fit spans the last 12 s: long enough that the acceleration noise
# times ACC_LEAD stays about 0.03 C, short enough to follow the 20-30 s thermal transients.
_RING = const(12)
# Quadratic least-squares fit over t = 0, -1, ... -11 s, evaluated at t = 0 (newest first):
# slope = sum(W1[i] * y[i]) / D1 per second, second derivative = sum(W2[i] * y[i]) / D2.
# Exact integers (the weights of a line sum to D1 over t, to 0 over a constant).
_W1 = (759, 401, 109, -117, -277, -371, -399, -361, -257, -87, 149, 451)
_D1 = const(4004)
_W2 = (55, 25, 1, -17, -29, -35, -35, -29, -17, 1, 25, 55)
_D2 = const(2002)
# Sample differences are clamped to 20 C inside the window (a real pad moves < 3 C in 12 s),
# which bounds the weighted sums at ~1.2e8 even when a sensor reading jumps.
_DIFF_MAX = const(32767)
# Rate clamp: 0.5 C/s in 1/16 centi-degrees per second (the pad rises at most ~0.2 C/s).
_RATE_MAX = const(800)
# Acceleration clamp, in 1/256 centi-degrees per s^2: 0.02 C/s^2 (real: below 0.012 C/s^2).
_ACC_MAX = const(512)
# The projection leads the reading by at most 6 C (real: up to ~4.5 C while warming) and lags
# it by at most 1.5 C (a pad cooling with the heater off falls < 0.09 C/s). A reading that
# steps makes the fit swing past the step for a few seconds; the lower bound keeps a step
# *up* from ever looking like a pad that needs heat.
_LEAD_MAX = const(600 << 4)
_LEAD_MIN = const(-150 << 4)
# Readings are clamped to -20..120 C before filtering: beyond that the sensor is faulty
# (safety.py latches it); this keeps every product small.
_IN_MIN = const(-2000)
_IN_MAX = const(12000)

# -- projection ----------------------------------------------------------------------------
# Lead on the rate: element storage (~24 s at the reference mass) plus the sensor lag (6 s),
# shortened to 21 s because the cut-off drives the duty to zero at first (see above).
# Fitted on the simulator: 20 s lets the nominal low level overshoot ~0.15 C, 22 s makes a
# 30 % lighter pad slow (warm-up ratio up to ~1.15). The right lead scales with the thermal
# mass, which the rise alone cannot reveal: this is the trade between the light pad's warm-up
# and the heavy pad's overshoot (bench/tuning/README.md).
_LEAD_MS = const(21000)
# Lead on the acceleration, s^2: about element time constant x sensor lag (24 s x 6 s = 144)
# in theory; 100 fitted. Without it the light pad's warm-up ratio is ~1.22 and a 35 C room's
# short, all-transient warm-up overshoots ~0.5 C; 140 takes nominal overshoot to ~0.2 C.
_ACC_LEAD = const(100)

# -- PI ------------------------------------------------------------------------------------
# Per-mille of duty per degree C of projected error. The pad integrates power (140 J/K) and
# the projection adds ~10 s of measurement lag; 600 keeps the hold loop well damped (band
# < 0.1 C) and still corrects a 60 per-mille preload error with 0.1 C of error.
_KP = const(600)
# Per-mille per degree C per second: integral time Kp/Ki = 17 s. It only has to trim the
# preload's error (up to ~90 per-mille) after the approach; 20 leaves the light/heavy pads
# creeping above the set-point for longer (nominal overshoot up to 0.15 C), 70 starts to
# widen the hold band. A 10 C room step or a 12 -> 10.8 V supply step is held within 0.21 C.
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

# -- integrator preload at the cut ----------------------------------------------------------
# Holding duty = losses / element power. From a cold start it is estimated as
#   A + B x (set-point - start reading) [C] - C x rise rate at the cut [centi-degrees/s]:
# the losses grow with the set-point's height above the room (the start reading), and the rate
# still reached at full power is the margin the element has over those losses. Least-squares
# fit over the reference pad +-20 % power, +-30 % mass, 10.8-13.2 V, 0-35 C ambient (error
# within about +-90 per-mille; mass changes the rate but not the holding duty, which limits
# it), then A raised by 30 so a light pad is not starved (bench/tuning/).
_PRE_A = const(253)
_PRE_B = const(11)
_PRE_C = const(16)
# After a level change the previous holding duty is the better guide: the losses grow by
# about 19 per-mille per degree C of set-point on the reference pad at 22 C (344 - 213 over
# 45 - 38 C).
_PRE_B2 = const(19)
_PRE_MIN = const(30)  # the lowest holding duty of the benchmark is ~50 (35 C room, low)
_PRE_MAX = const(800)  # the highest is ~740 (0 C room, 10.8 V, high)
_NO_START = const(-30000)  # no start reading recorded yet


class HeatControl:
    """The heat state machine and its PI loop: set_level / hold_off / off, and update()
    once a tick with the hotter pad reading."""

    def __init__(self):
        self.level = limits.HEAT_OFF
        self.setpoint = 0
        self.state = OFF
        self.duty = 0
        self.rate_c100_per_s = 0
        self._i_acc = 0  # integrator, per-mille x _I_SCALE
        # measurement (runs in every state, so it is warm when heat is switched on)
        self._filt = 0  # filtered reading, centi-degrees << _FRAC
        self._primed = False
        self._ring = [0] * _RING  # one filtered sample a second, preallocated
        self._ring_pos = 0  # index of the newest sample
        self._ms = 0  # ms since the newest sample
        self._rate = 0  # 1/16 centi-degree per s
        self._acc = 0  # 1/256 centi-degree per s^2
        self._lead = 0  # projection minus filtered reading, centi-degrees << _FRAC
        # what the integrator preload is estimated from
        self._start_c100 = _NO_START  # reading when warming began from off
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
            self._i_acc = 0
            self._start_c100 = _NO_START
            self._from_hold = False
        elif sp > old + _HOLD_ENTER_C100:
            if state == HOLDING:
                self._hold_duty = self._i_acc // _I_SCALE
                self._hold_sp = old
                self._from_hold = True
            self.state = WARMING
        elif sp < old and state == HOLDING:
            # the lower level needs less: move the integrator by the loss difference
            acc = self._i_acc - _PRE_B2 * (old - sp) * (_I_SCALE // 100)
            self._i_acc = acc if acc > 0 else 0
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

    def _track(self, c100, dt_ms):
        """Filter the reading, refit rate and acceleration once a second; return the
        projected reading in centi-degrees."""
        if c100 < _IN_MIN:
            c100 = _IN_MIN
        elif c100 > _IN_MAX:
            c100 = _IN_MAX
        x = c100 << _FRAC
        ring = self._ring
        if not self._primed:
            self._primed = True
            self._filt = x
            for i in range(_RING):
                ring[i] = x
            self._ms = 0
        f = self._filt
        f += (x - f) >> _FILT_SHIFT
        self._filt = f
        ms = self._ms + dt_ms
        if ms >= 1000:
            ms -= 1000
            if ms >= 1000:
                ms = 0
            pos = self._ring_pos + 1
            if pos >= _RING:
                pos = 0
            ring[pos] = f
            self._ring_pos = pos
            s1 = 0
            s2 = 0
            j = pos
            for i in range(_RING):
                d = ring[j] - f
                if d > _DIFF_MAX:
                    d = _DIFF_MAX
                elif d < -_DIFF_MAX:
                    d = -_DIFF_MAX
                s1 += _W1[i] * d
                s2 += _W2[i] * d
                j -= 1
                if j < 0:
                    j = _RING - 1
            r = s1 // _D1
            if r > _RATE_MAX:
                r = _RATE_MAX
            elif r < -_RATE_MAX:
                r = -_RATE_MAX
            a = s2 * 16 // _D2
            if a > _ACC_MAX:
                a = _ACC_MAX
            elif a < -_ACC_MAX:
                a = -_ACC_MAX
            self._rate = r
            self._acc = a
            lead = r * _LEAD_MS // 1000 + a * _ACC_LEAD // 16
            if lead > _LEAD_MAX:
                lead = _LEAD_MAX
            elif lead < _LEAD_MIN:
                lead = _LEAD_MIN
            self._lead = lead
        self._ms = ms
        self.rate_c100_per_s = self._rate >> _FRAC
        return (f + self._lead) >> _FRAC

    def update(self, c100, dt_ms):
        """Propose a heater duty (per-mille) for the pad reading c100."""
        if dt_ms < 0:
            dt_ms = 0
        elif dt_ms > 1000:
            dt_ms = 1000
        proj = self._track(c100, dt_ms)
        state = self.state
        if state == OFF or state == HELD_OFF:
            self.duty = 0
            return 0
        sp = self.setpoint
        if state == WARMING and self._start_c100 == _NO_START:
            self._start_c100 = self._filt >> _FRAC
        if state == HOLDING and sp - (self._filt >> _FRAC) > _REWARM_C100:
            self._hold_duty = self._i_acc // _I_SCALE
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
                pre = (_PRE_A + _PRE_B * (sp - self._start_c100) // 100
                       - _PRE_C * self._rate // 16)
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
        # conditional integration: no wind-up while the output is pinned by this error
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
