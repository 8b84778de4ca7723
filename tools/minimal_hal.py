"""The quietest HAL there is, for measuring the firmware's own tick in a MicroPython VM.

Every method returns a fixed small int or does nothing, so whatever a tick allocates or
costs is the firmware's. The clock and the storage are the board's test double,
hal_sim/double.py, loaded on its own (not through the hal_sim package, whose simulator would
count in the heap figures). Used by tests/test_vm_alloc.py and bench/vm.py: put tools/ and
hal_sim/ on sys.path inside the VM and `from minimal_hal import Hal`. Runs under MicroPython.
"""

from double import MemStorage, VirtualClock

TICK_MS = 50


class Hal(VirtualClock):
    name = "minimal"

    def __init__(self):
        super().__init__((1 << 30) - 20000)  # cross the ticks_ms wrap during a measurement
        self.storage = MemStorage()
        self.temp = 1499 << 4  # ~37.9 C: holding just under the low set-point
        self.pwm = 0
        self.on = False

    @property
    def t(self):
        """The clock's ticks_ms, settable: the measurement scripts step it themselves."""
        return self._ticks

    @t.setter
    def t(self, ticks):
        self._ticks = ticks

    def heater_pwm(self, p):
        self.pwm = p

    def heater_enable(self, on):
        self.on = on

    def motor(self, p, d):
        pass

    def outputs_off(self):
        pass

    def read_temp(self, i):
        return self.temp

    def read_vin(self):
        return 2612 << 4  # 12.0 V

    def read_heater_current(self):
        # a healthy element: 2050 counts (1.65 A) at full duty, nothing unless both conduct
        return (self.pwm * 2050 // 1000) << 4 if self.on else 0

    def read_ref(self):
        return 2541 << 4  # the reference at a correct ADC

    def read_motor_current(self):
        return 1000 << 4  # ~400 mA: a running motor

    def buttons(self):
        return 0

    def leds(self, m):
        pass

    def serial_readinto(self, buf):
        return 0

    def serial_write(self, data):
        return True

    def wdt_start(self, ms):
        pass

    def wdt_feed(self):
        pass

    def reset_cause(self):
        return "power_on"

    def reset(self):
        pass

    def enter_service(self):
        pass


def run_ticks(ctl, hal, n):
    """n ticks of 50 ms on the virtual clock."""
    for _ in range(n):
        hal.advance(TICK_MS)
        ctl.tick(hal.ticks_ms())


def alloc_over(ctl, hal, n):
    """Bytes the heap grew by over n ticks, with the collector off so nothing is hidden."""
    import gc

    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    run_ticks(ctl, hal, n)
    after = gc.mem_alloc()
    gc.enable()
    return after - before
