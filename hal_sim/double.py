"""The board's clock, storage and power loss as one test double: the virtual board
(hal_sim/board.py), the firmware's unit-test fake (tests/fw/fakehal.py) and the quiet HAL of
the VM measurements (tools/minimal_hal.py) all use these.

It imports nothing, so a MicroPython VM can load it on its own (`import double` with
hal_sim/ on sys.path) without the simulator behind `hal_sim/__init__.py`, which would
otherwise count in the firmware's heap measurements.
"""

TICKS_PERIOD = 1 << 30
_TICKS_MASK = TICKS_PERIOD - 1
_TICKS_HALF = TICKS_PERIOD >> 1


class PowerLoss(Exception):
    """Raised by a storage write that the power cut part-way (nothing after it runs)."""


class MemStorage:
    """The storage object (docs/hardware.md) in memory, surviving power cycles.

    For power-loss and flash-failure tests: `cut_next_write(k)` (or `cut_after = k`) makes
    the next write keep only its first k bytes and raise PowerLoss; `fail_reads` /
    `fail_writes` make read() / write() raise OSError (unreadable, full or failing flash);
    `writes` counts write() calls."""

    def __init__(self, files=None):
        self.files = dict(files or {})
        self.writes = 0
        self.cut_after = None  # None, or cut the next write after this many bytes
        self.fail_reads = False
        self.fail_writes = False

    def cut_next_write(self, k):
        self.cut_after = k

    def read(self, name):
        if self.fail_reads:
            raise OSError(5, "EIO")
        return self.files.get(name)

    def write(self, name, data):
        if self.fail_writes:
            raise OSError(28, "ENOSPC")
        self.writes += 1
        data = bytes(data)
        if self.cut_after is not None:
            self.files[name] = data[:self.cut_after]
            self.cut_after = None
            raise PowerLoss(name)
        self.files[name] = data

    def rename(self, old, new):
        self.files[new] = self.files.pop(old)

    def remove(self, name):
        self.files.pop(name, None)


class VirtualClock:
    """The board's `ticks_ms`, on a virtual clock that wraps at 2**30 as MicroPython's does,
    with wrap-safe `ticks_diff` / `ticks_add`; `advance(ms)` moves it."""

    def __init__(self, start_ticks_ms=0):
        self._ticks = start_ticks_ms & _TICKS_MASK

    def ticks_ms(self):
        return self._ticks

    def ticks_diff(self, a, b):
        return ((a - b + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF

    def ticks_add(self, a, d):
        return (a + d) & _TICKS_MASK

    def advance(self, ms):
        self._ticks = (self._ticks + ms) & _TICKS_MASK

    def sleep_ms(self, ms):
        self.advance(ms)
