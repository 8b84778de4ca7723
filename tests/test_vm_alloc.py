"""A steady control tick allocates nothing, measured in the MicroPython unix port.

MicroPython boxes floats and allocates for new objects; an allocating tick means garbage
collector pauses in the control loop. The tick runs against a minimal HAL whose methods
return fixed small ints, with heat holding at low (where the thermal dose grows too slowly
to be saved), the massage running a wave, a session active and no serial traffic;
gc.mem_alloc() is read before and after 1000 ticks.
"""

import pytest

from hal_sim import digest
from tools import mpvm

ROOT = digest.__file__.rsplit("/", 2)[0]

SCRIPT = r"""
import gc
from cushion.controller import Controller
from cushion import limits

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
    name = "alloc-test"
    def __init__(self):
        self.t = (1 << 30) - 20000  # cross the ticks_ms wrap during the measurement
        self.storage = Storage()
        self.temp = 1499 << 4  # ~37.9 C: holding just under the low set-point (no dose saves)
        self.calls = 0
    def ticks_ms(self):
        return self.t
    def ticks_diff(self, a, b):
        return ((a - b + 0x20000000) & 0x3FFFFFFF) - 0x20000000
    def ticks_add(self, a, d):
        return (a + d) & 0x3FFFFFFF
    def sleep_ms(self, ms):
        pass
    def heater_pwm(self, p):
        self.calls += 1
    def heater_enable(self, on):
        pass
    def motor(self, p, d):
        pass
    def read_temp(self, i):
        return self.temp
    def read_vin(self):
        return 2612 << 4
    def read_motor_current(self):
        return 1000 << 4
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

hal = Hal()
ctl = Controller(hal)
now = hal.t
ctl.set_heat(now, limits.HEAT_LOW)
ctl.set_massage(now, 3, 2)
for _ in range(400):  # settle: the first ticks of a session may allocate (events, state)
    hal.t = hal.ticks_add(hal.t, 50)
    ctl.tick(hal.t)

def measure(n):
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    t = hal.t
    for _ in range(n):
        t = hal.ticks_add(t, 50)
        hal.t = t
        ctl.tick(t)
    after = gc.mem_alloc()
    gc.enable()
    return after - before

print("ALLOC", measure(1000))
print("STATE", ctl.heat.state, ctl.session.active, ctl.vib.mode, ctl.applied_duty > 0)
"""


@pytest.mark.vm
def test_steady_tick_allocates_nothing_in_the_unix_port():
    out = mpvm.run_unix(SCRIPT, [ROOT + "/firmware"], heapsize="256k")
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines())
    # the measurement ran in the intended steady state: holding, session on, wave running
    assert lines["STATE"] == "2 True 3 True"
    assert int(lines["ALLOC"]) == 0, out
