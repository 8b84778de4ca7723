"""The virtual board: the firmware's HAL, implemented on the simulated cushion.

It keeps a virtual clock that wraps at 2**30 like the board's `ticks_ms`, a simulated
watchdog on its own clock (it still fires while `ticks_ms` is frozen), buffered serial in
both directions (writes can be blocked, as a USB port nobody reads) and storage that
survives power cycles.
Runs under CPython and in the MicroPython VMs.
"""

TICKS_PERIOD = 1 << 30
_TICKS_MASK = TICKS_PERIOD - 1
_TICKS_HALF = TICKS_PERIOD >> 1


class MemStorage:
    """Storage object (docs/hardware.md) in memory. Plain writes go through `_cut` so a
    test can simulate power loss part-way through a write."""

    def __init__(self):
        self.files = {}
        self.writes = 0  # count of write() calls, for power-loss tests
        self.cut_after = None  # None, or cut the next write after this many bytes

    def read(self, name):
        return self.files.get(name)

    def write(self, name, data):
        self.writes += 1
        data = bytes(data)
        if self.cut_after is not None:
            self.files[name] = data[:self.cut_after]
            self.cut_after = None
            raise PowerLoss()
        self.files[name] = data

    def rename(self, old, new):
        self.files[new] = self.files.pop(old)

    def remove(self, name):
        self.files.pop(name, None)


class PowerLoss(Exception):
    """Raised by a storage write that the power cut part-way."""


class VirtualBoard:
    name = "sim"

    def __init__(self, cushion, start_ticks_ms=0, storage=None):
        self.cushion = cushion
        self.storage = storage if storage is not None else MemStorage()
        self._ticks = start_ticks_ms & _TICKS_MASK  # what ticks_ms() returns
        self._hw_ms = 0  # free-running hardware time (ms), the watchdog's clock: never frozen
        self.clock_frozen = False  # fault clock_freeze: ticks_ms() stands still
        self.serial_blocked = False  # fault serial_block: nothing can be written ...
        self.serial_unblock_ms = None  # ... until this hardware time (None: until repaired)
        self.tx_dropped = 0  # lines serial_write refused while blocked
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
        # inputs: raw read_u16 counts from the simulated analog front end
        self.read_temp = cushion.adc_temp
        self.read_vin = cushion.adc_vin
        self.read_motor_current = cushion.adc_motor_current
        self.read_heater_current = cushion.adc_heater_current
        self.read_ref = cushion.adc_ref

    # -- clock --------------------------------------------------------------------------
    def ticks_ms(self):
        return self._ticks

    def ticks_diff(self, a, b):
        return ((a - b + _TICKS_HALF) & _TICKS_MASK) - _TICKS_HALF

    def ticks_add(self, a, d):
        return (a + d) & _TICKS_MASK

    def advance(self, ms):
        self._hw_ms += ms
        if not self.clock_frozen:
            self._ticks = (self._ticks + ms) & _TICKS_MASK

    def sleep_ms(self, ms):
        self.advance(ms)

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
    # read_temp(index), read_vin(), read_motor_current(), read_heater_current(), read_ref():
    # the cushion's ADC methods themselves, bound in __init__ (no extra call per reading).

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
        """True when the bytes went out whole; False (dropped) while the port is blocked."""
        if self.serial_blocked:
            until = self.serial_unblock_ms
            if until is None or self._hw_ms < until:
                self.tx_dropped += 1
                return False
            self.serial_blocked = False
            self.serial_unblock_ms = None
        self.tx.extend(data)
        return True

    def block_serial(self, seconds):
        """Writes fail from now on, for `seconds` (0: until unblock_serial())."""
        self.serial_blocked = True
        self.serial_unblock_ms = self._hw_ms + int(seconds * 1000 + 0.5) if seconds else None

    def unblock_serial(self):
        self.serial_blocked = False
        self.serial_unblock_ms = None

    # -- watchdog, reset ----------------------------------------------------------------
    def wdt_start(self, timeout_ms):
        self.wdt_timeout_ms = timeout_ms
        self.wdt_last_feed = self._hw_ms

    def wdt_feed(self):
        self.wdt_last_feed = self._hw_ms
        self.wdt_feeds += 1

    def wdt_expired(self):
        return (self.wdt_timeout_ms > 0
                and self._hw_ms - self.wdt_last_feed > self.wdt_timeout_ms)

    def reset_cause(self):
        return self.cause

    def reset(self):
        self.reset_requested = True

    def enter_service(self):
        self.in_service = True
