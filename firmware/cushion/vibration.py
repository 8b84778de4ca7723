"""Vibration state machine: continuous, pulse, wave and knead at intensity 1..3.

The pattern gives a target duty every tick; the output follows it with a soft start
(rises limited to reach full duty in 300 ms, falls immediate). Knead reverses the
H-bridge every 60 s, but only after the output has coasted at zero for COAST_MS, so the
bridge never reverses a spinning motor.
"""

from micropython import const

# indices into cushion.names.MODE_NAMES
MODE_OFF = const(0)
MODE_CONTINUOUS = const(1)
MODE_PULSE = const(2)
MODE_WAVE = const(3)
MODE_KNEAD = const(4)

INTENSITY_DUTY = (0, 400, 700, 1000)  # per-mille for intensity 1..3

_SOFT_START_MS = const(300)
_PULSE_HALF_MS = const(500)
_WAVE_PERIOD_MS = const(4000)
_WAVE_FLOOR = const(200)  # wave duty swings between 20 % and the intensity's duty
_KNEAD_RUN_MS = const(60000)
COAST_MS = const(250)  # design minimum is 200 ms at zero before a reversal


class Vibration:
    def __init__(self, hal):
        self._hal = hal
        self.mode = MODE_OFF
        self.intensity = 1
        self.duty = 0  # what goes to the motor this tick
        self.direction = 1
        self._t0 = 0  # pattern phase origin
        self._coast_from = 0
        self._coasting = False

    def set_mode(self, mode, intensity, now):
        if mode != self.mode:
            self._t0 = now
            self._coasting = False
        self.mode = mode
        if 1 <= intensity <= 3:
            self.intensity = intensity

    def off(self):
        self.mode = MODE_OFF
        self.duty = 0
        self._coasting = False

    def _pattern(self, now):
        """Target duty for the current mode and phase."""
        mode = self.mode
        top = INTENSITY_DUTY[self.intensity]
        if mode == MODE_CONTINUOUS:
            return top
        t = self._hal.ticks_diff(now, self._t0)
        if mode == MODE_PULSE:
            return top if (t // _PULSE_HALF_MS) % 2 == 0 else 0
        if mode == MODE_WAVE:
            phase = t % _WAVE_PERIOD_MS
            half = _WAVE_PERIOD_MS // 2
            up = phase if phase < half else _WAVE_PERIOD_MS - phase
            return _WAVE_FLOOR + (top - _WAVE_FLOOR) * up // half
        if mode == MODE_KNEAD:
            if self._coasting:
                if self._hal.ticks_diff(now, self._coast_from) >= COAST_MS:
                    self._coasting = False
                    self.direction = -self.direction
                    self._t0 = now
                    return top
                return 0
            if t >= _KNEAD_RUN_MS:
                self._coasting = True
                self._coast_from = now
                return 0
            return top
        return 0

    def update(self, now, dt_ms):
        if self.mode == MODE_OFF:
            self.duty = 0
            return 0
        target = self._pattern(now)
        duty = self.duty
        if target > duty:
            # rounded up: 6 ticks of 50 ms reach full duty in 300 ms (truncating took 350)
            step = (1000 * dt_ms + _SOFT_START_MS - 1) // _SOFT_START_MS
            duty = duty + step if duty + step < target else target
        else:
            duty = target
        self.duty = duty
        return duty
