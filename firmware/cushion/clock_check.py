"""SR-19: a `ticks_ms` that stops or jumps turns the outputs off and latches `clock_fault`.

Every timed protection (auto-off, the no-rise window, the cross-check's 5 s, the stall's
1 s) counts `ticks_ms`; a stopped clock would switch all of them off. The second time source
is the loop itself: app.run sleeps until the next TICK_MS boundary, so each pass of the loop
is one tick of real time, whatever `ticks_ms` says. Counted against that:

- CLOCK_STALL_TICKS passes in a row in which `ticks_ms` did not move: stopped;
- one pass over which it moved backwards, or forwards by more than CLOCK_JUMP_MS (longer
  than the watchdog lets any pass take): jumped.

On the rp2 port `ticks_ms` and `time.sleep_ms` both count the chip's 1 MHz TIMER; the Pico
HAL's sleep also ends on a DMA countdown paced from clk_sys (boards/pico.py), so with the
TIMER stopped the loop runs on at its period and this check sees it (measured on the
emulated chip: docs/emulator.md). In the simulator the `clock_freeze` fault stops
`ticks_ms` while the loop runs on.
"""

from cushion import limits
from cushion.names import CLOCK_FAULT


class ClockCheck:
    def __init__(self):
        self._still = 0

    def check(self, dt_ms):
        """dt_ms: ticks_diff(now, the previous tick's now), before any clamping."""
        if dt_ms < 0 or dt_ms > limits.CLOCK_JUMP_MS:
            return CLOCK_FAULT
        if dt_ms == 0:
            self._still += 1
            if self._still >= limits.CLOCK_STALL_TICKS:
                return CLOCK_FAULT
            return None
        self._still = 0
        return None
