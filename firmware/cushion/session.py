"""Session timer (SR-7): auto-off 900 s after the session starts, warning 60 s before.

Only ticks_diff against the start time is used, so a ticks_ms wrap at 2**30 does not
matter. Changing levels inside a session never touches the start time, and nothing on
serial can move it.
"""

from micropython import const

from cushion import limits

# what update() reports
NOTHING = const(0)
WARNING = const(1)
AUTO_OFF = const(2)


class SessionTimer:
    def __init__(self, hal):
        self._hal = hal
        self.active = False
        self.start_ms = 0  # ticks_ms when the session started (meaningful while active)
        self._warned = False

    def start(self, now):
        self.active = True
        self.start_ms = now
        self._warned = False

    def end(self):
        self.active = False

    def remaining_ms(self, now):
        if not self.active:
            return 0
        left = limits.AUTO_OFF_MS - self._hal.ticks_diff(now, self.start_ms)
        return left if left > 0 else 0

    def update(self, now):
        if not self.active:
            return NOTHING
        elapsed = self._hal.ticks_diff(now, self.start_ms)
        # A negative elapsed time can only come from a broken clock; treat it as expired
        # rather than as a session that has barely begun.
        if elapsed >= limits.AUTO_OFF_MS or elapsed < 0:
            self.active = False
            return AUTO_OFF
        if not self._warned and elapsed >= limits.AUTO_OFF_WARN_MS:
            self._warned = True
            return WARNING
        return NOTHING
