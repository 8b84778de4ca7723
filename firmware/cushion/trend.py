"""The pad reading's trend, for the heat loop: filter, rate and acceleration fit, projection.

The element holds heat that keeps flowing into the pad, and then into the lagging sensors,
long after the power is cut, so the heat loop acts on a *projected* reading: the filtered
reading + LEAD x rate + ACC_LEAD x acceleration. Rate and acceleration are a quadratic
least-squares fit (Savitzky-Golay, evaluated at the newest point: no half-window delay) over
the last 12 one-second samples of an IIR-filtered reading; the ADC noise makes a plain 1 s
difference useless for a long lead. Integers only, nothing allocated per tick.

Every figure behind the constants (noise, pad rates, the fitted leads): docs/control.md.
"""

from micropython import const

# Readings carry 4 extra fractional bits (1/16 centi-degree) through the filter and the fit.
_FRAC = const(4)
# IIR time constant 8 ticks (0.4 s): cuts the ADC noise ~4x, a lag small next to the sensors'.
_FILT_SHIFT = const(3)
# One sample a second over the last 12 s: quiet enough for ACC_LEAD, quick enough for the pad.
_RING = const(12)
# Quadratic least-squares fit over t = 0, -1, ... -11 s, evaluated at t = 0 (newest first):
# slope = sum(W1[i] * y[i]) / D1 per second, second derivative = sum(W2[i] * y[i]) / D2.
# Exact integers (the weights of a line sum to D1 over t, to 0 over a constant).
_W1 = (759, 401, 109, -117, -277, -371, -399, -361, -257, -87, 149, 451)
_D1 = const(4004)
_W2 = (55, 25, 1, -17, -29, -35, -35, -29, -17, 1, 25, 55)
_D2 = const(2002)
# Sample differences clamped to 20 C (a real pad moves < 3 C in 12 s): the sums stay small.
_DIFF_MAX = const(32767)
# Rate clamp, 1/16 centi-degrees per s: 0.5 C/s, over twice the fastest real rise.
_RATE_MAX = const(800)
# Acceleration clamp, 1/256 centi-degrees per s^2: 0.02 C/s^2, over the largest real one.
_ACC_MAX = const(512)
# The projection leads by at most 6 C and lags by at most 1.5 C; the lower bound keeps a
# reading that steps *up* from ever looking like a pad that needs heat.
_LEAD_MAX = const(600 << 4)
_LEAD_MIN = const(-150 << 4)
# Readings clamped to -20..120 C before filtering (beyond, the sensor is faulty and safety.py
# latches it): every product stays a small int.
_IN_MIN = const(-2000)
_IN_MAX = const(12000)

# Lead on the rate: element storage plus sensor lag, shortened because the cut drives the
# duty to zero at first (the light pad's warm-up against the heavy pad's overshoot).
_LEAD_MS = const(21000)
# Lead on the acceleration, s^2: about element time constant x sensor lag, fitted lower.
_ACC_LEAD = const(100)


class Trend:
    """update() once a tick with the pad reading; the fields are public and read-only
    outside: `filt` (filtered reading, centi-degrees << _FRAC), `c100` (the same in
    centi-degrees), `rate` (1/16 centi-degree per s), `acc` (1/256 centi-degree per s^2),
    `lead` (projection minus filtered reading, centi-degrees << _FRAC), `ring` (one filtered
    sample a second, newest at `pos`)."""

    def __init__(self):
        self.filt = 0
        self.c100 = 0
        self.primed = False
        self.ring = [0] * _RING  # preallocated
        self.pos = 0
        self.rate = 0
        self.acc = 0
        self.lead = 0
        self._ms = 0  # ms since the newest sample

    def update(self, c100, dt_ms):
        """Filter the reading, refit rate and acceleration once a second; return the
        projected reading in centi-degrees."""
        if c100 < _IN_MIN:
            c100 = _IN_MIN
        elif c100 > _IN_MAX:
            c100 = _IN_MAX
        x = c100 << _FRAC
        ring = self.ring
        if not self.primed:
            self.primed = True
            self.filt = x
            for i in range(_RING):
                ring[i] = x
            self._ms = 0
        f = self.filt
        f += (x - f) >> _FILT_SHIFT
        self.filt = f
        self.c100 = f >> _FRAC
        ms = self._ms + dt_ms
        if ms >= 1000:
            ms -= 1000
            if ms >= 1000:
                ms = 0
            pos = self.pos + 1
            if pos >= _RING:
                pos = 0
            ring[pos] = f
            self.pos = pos
            s1 = 0
            s2 = 0
            w1 = _W1
            w2 = _W2
            for i in range(_RING):
                d = ring[pos - i] - f  # newest first; a negative index wraps round the ring
                if d > _DIFF_MAX:
                    d = _DIFF_MAX
                elif d < -_DIFF_MAX:
                    d = -_DIFF_MAX
                s1 += w1[i] * d
                s2 += w2[i] * d
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
            self.rate = r
            self.acc = a
            lead = r * _LEAD_MS // 1000 + a * _ACC_LEAD // 16
            if lead > _LEAD_MAX:
                lead = _LEAD_MAX
            elif lead < _LEAD_MIN:
                lead = _LEAD_MIN
            self.lead = lead
        self._ms = ms
        return (f + self.lead) >> _FRAC
