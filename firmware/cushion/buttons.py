"""Debounced buttons with short and long presses.

A short press is reported on release (so it can be told from a long one); a long press
is reported once, as soon as the button has been held LONG_PRESS_MS, and its release is
then silent.
"""

from micropython import const

from cushion import limits

POWER = const(1)
HEAT = const(2)
MASSAGE = const(4)
_ALL = (POWER, HEAT, MASSAGE)


class Buttons:
    def __init__(self, hal):
        self._hal = hal
        self._raw = 0  # last raw mask
        self._raw_since = 0  # when the raw mask last changed
        self._stable = 0  # debounced mask
        self._down_at = [0, 0, 0]
        self._long_sent = [False, False, False]
        # results of the last update(): bit masks of buttons with a short / long press
        self.short = 0
        self.long = 0

    def update(self, now, raw):
        self.short = 0
        self.long = 0
        hal = self._hal
        if raw != self._raw:
            self._raw = raw
            self._raw_since = now
        elif hal.ticks_diff(now, self._raw_since) >= limits.DEBOUNCE_MS:
            changed = raw ^ self._stable
            if changed:
                for i in range(3):
                    bit = _ALL[i]
                    if changed & bit:
                        if raw & bit:
                            self._down_at[i] = now
                            self._long_sent[i] = False
                        elif not self._long_sent[i]:
                            self.short |= bit
                self._stable = raw
        stable = self._stable
        if stable:
            for i in range(3):
                bit = _ALL[i]
                if stable & bit and not self._long_sent[i]:
                    if hal.ticks_diff(now, self._down_at[i]) >= limits.LONG_PRESS_MS:
                        self._long_sent[i] = True
                        self.long |= bit
