"""The quietest HAL there is, for measuring the firmware's own tick in a MicroPython VM.

Every method returns a fixed small int or does nothing, so whatever a tick allocates or
costs is the firmware's. Used by tests/test_vm_alloc.py and bench/vm.py (put tools/ on
sys.path inside the VM and `from minimal_hal import Hal`). Runs under MicroPython.
"""


class Storage:
    def __init__(self):
        self.files = {}

    def read(self, name):
        return self.files.get(name)

    def write(self, name, data):
        self.files[name] = bytes(data)

    def rename(self, old, new):
        self.files[new] = self.files.pop(old)

    def remove(self, name):
        self.files.pop(name, None)


class Hal:
    name = "minimal"

    def __init__(self):
        self.t = (1 << 30) - 20000  # cross the ticks_ms wrap during a measurement
        self.storage = Storage()
        self.temp = 1499 << 4  # ~37.9 C: holding just under the low set-point
        self.pwm = 0
        self.on = False

    def ticks_ms(self):
        return self.t

    def ticks_diff(self, a, b):
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000

    def ticks_add(self, a, d):
        return (a + d) & 0x3FFFFFFF

    def sleep_ms(self, ms):
        pass

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
        pass

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
    t = hal.t
    for _ in range(n):
        t = hal.ticks_add(t, 50)
        hal.t = t
        ctl.tick(t)


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
