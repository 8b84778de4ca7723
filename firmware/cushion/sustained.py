"""A condition that counts only once it has held for a while (a debounce on the clock).

SR-5a latches a runaway, SR-6 a sensor mismatch and SR-9 a high supply only after the
condition held for their hold time, and SR-9's pause ends only after the supply has been
good for its own: one reading (an ADC spike, a load step) must not decide any of them.
"""


class Sustained:
    def __init__(self, hold_ms):
        self._hold_ms = hold_ms
        self._on = False
        self._since = 0

    def reset(self):
        self._on = False

    def held(self, hal, now, condition):
        """Whether `condition` has been true on every call for at least hold_ms up to now;
        a false one starts the wait again (the first true one only starts it)."""
        if not condition:
            self._on = False
            return False
        if not self._on:
            self._on = True
            self._since = now
            return False
        return hal.ticks_diff(now, self._since) >= self._hold_ms
