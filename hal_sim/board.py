"""The virtual board: the firmware's HAL, implemented on the simulated cushion.

It keeps a virtual clock that wraps at 2**30 like the board's `ticks_ms`, a simulated
watchdog, buffered serial in both directions and storage that survives power cycles; the
clock, the storage and the power loss are hal_sim.double, the one test double of them that
the firmware's unit tests (tests/fw/fakehal.py) and the VM measurements
(tools/minimal_hal.py) build on too.
Runs under CPython and in the MicroPython VMs.
"""

# MemStorage and PowerLoss are imported from here by the power-loss tests and docs too
from hal_sim.double import MemStorage, PowerLoss, VirtualClock  # noqa: F401


class VirtualBoard(VirtualClock):
    """The HAL on a simulated cushion: its clock, storage, outputs, inputs, serial and
    watchdog. Tests that need no physics use hal_sim.double's VirtualClock and MemStorage
    on their own."""
    name = "sim"

    def __init__(self, cushion, start_ticks_ms=0, storage=None):
        super().__init__(start_ticks_ms)
        self.cushion = cushion
        self.storage = storage if storage is not None else MemStorage()
        # outputs as the firmware last set them
        self.heater_permille = 0
        self.heater_enabled = False
        self.motor_permille = 0
        self.motor_direction = 1
        self.led_mask = 0
        self.button_mask = 0
        # serial
        self.rx = bytearray()
        self.tx = bytearray()
        # watchdog
        self.wdt_timeout_ms = 0  # 0 = not started
        self.wdt_last_feed = 0
        self.wdt_feeds = 0
        self.cause = "power_on"
        self.reset_requested = False
        self.in_service = False

    # -- outputs ------------------------------------------------------------------------
    def heater_pwm(self, permille):
        self.heater_permille = 0 if permille < 0 else (1000 if permille > 1000 else permille)

    def heater_enable(self, on):
        self.heater_enabled = bool(on)

    def motor(self, permille, direction):
        self.motor_permille = 0 if permille < 0 else (1000 if permille > 1000 else permille)
        self.motor_direction = 1 if direction >= 0 else -1

    def leds(self, mask):
        self.led_mask = mask

    def outputs_off(self):
        self.heater_permille = 0
        self.heater_enabled = False
        self.motor_permille = 0

    # -- inputs -------------------------------------------------------------------------
    def read_temp(self, index):
        return self.cushion.adc_temp(index)

    def read_vin(self):
        return self.cushion.adc_vin()

    def read_motor_current(self):
        return self.cushion.adc_motor_current()

    def buttons(self):
        return self.button_mask

    # -- serial -------------------------------------------------------------------------
    def serial_readinto(self, buf):
        rx = self.rx
        if not rx:
            return 0
        n = len(buf)
        if n > len(rx):
            n = len(rx)
        for i in range(n):
            buf[i] = rx[i]
        self.rx = rx[n:]
        return n

    def serial_write(self, data):
        self.tx.extend(data)
        return True

    # -- watchdog, reset ----------------------------------------------------------------
    def wdt_start(self, timeout_ms):
        self.wdt_timeout_ms = timeout_ms
        self.wdt_last_feed = self._ticks

    def wdt_feed(self):
        self.wdt_last_feed = self._ticks
        self.wdt_feeds += 1

    def wdt_expired(self):
        return (self.wdt_timeout_ms > 0
                and self.ticks_diff(self._ticks, self.wdt_last_feed) > self.wdt_timeout_ms)

    def reset_cause(self):
        return self.cause

    def reset(self):
        self.reset_requested = True

    def enter_service(self):
        self.in_service = True
