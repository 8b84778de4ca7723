"""What every board HAL built on ``machine`` does the same way (docs/hardware.md).

``MachineBoard`` holds the power stage, the LEDs and buttons, the serial port on the REPL's
stdin/stdout, the watchdog, storage and the ticks. A board module (``boards.pico``,
``boards.esp32``) keeps its pin map (``const()`` GPIO numbers) and derives ``Board`` from
``MachineBoard`` with ``name``, ``pins`` (its ``Pins`` table), ``_init_analog`` (its own
analog inputs), ``read_temp``, ``read_vin``, ``read_motor_current`` and ``reset_cause``.
``MachineBoard.__init__`` builds it in this order:

    _init_power(...)   # first thing: the power outputs driven off (SR-1)
    _init_panel(...)   # LEDs off, buttons with pull-ups
    _init_analog()     # the board's analog inputs
    _init_serial(stdin, stdout, poll)

Nothing here names a GPIO: each board's pin map is all in its own module.
"""

import select
import sys
import time

import machine
import micropython
from machine import PWM, Pin

from boards.storage import DirStorage


def _duty_u16(permille):
    """Per-mille duty, clamped to 0..1000, as a duty_u16 value (never above 65535)."""
    if permille <= 0:
        return 0
    if permille >= 1000:
        return 65535
    return permille * 65535 // 1000


class Pins:
    """A board's pin table: GPIO numbers of the power stage, the LEDs (in ``leds()`` bit
    order: session, heat low, medium, high, massage, fault) and the buttons (power, heat,
    massage), and the two PWM frequencies."""

    def __init__(self, cutoff, heater, heater_hz, motor, motor_hz, motor_dir, leds, buttons):
        self.cutoff = cutoff
        self.heater = heater
        self.heater_hz = heater_hz
        self.motor = motor
        self.motor_hz = motor_hz
        self.motor_dir = motor_dir
        self.leds = leds
        self.buttons = buttons


class MachineBoard:
    """The shared part of a board HAL; a board module's ``Board`` derives from it.
    ``stdin``/``stdout``/``poll`` are for tests only."""

    name: str
    pins: Pins

    def __init__(self, stdin=None, stdout=None, poll=None):
        pins = self.pins
        # SR-1 boot safe: the power outputs go off before anything else can fail.
        self._init_power(pins.cutoff, pins.heater, pins.heater_hz, pins.motor, pins.motor_hz,
                         pins.motor_dir)
        self._init_panel(pins.leds, pins.buttons)
        self._init_analog()
        self._init_serial(stdin, stdout, poll)

    # ---- construction, in __init__'s order ---------------------------------------------
    def _init_power(self, cutoff_gpio, heater_gpio, heater_hz, motor_gpio, motor_hz, dir_gpio):
        """Drive the power stage off, then disable Ctrl-C. Call it before anything else.

        Each output pin is driven low before PWM takes it, and each PWM starts at duty 0.
        """
        self._cutoff = Pin(cutoff_gpio, Pin.OUT, value=0)
        self._heater = PWM(Pin(heater_gpio, Pin.OUT, value=0), freq=heater_hz, duty_u16=0)
        self._motor = PWM(Pin(motor_gpio, Pin.OUT, value=0), freq=motor_hz, duty_u16=0)
        self._motor_dir = Pin(dir_gpio, Pin.OUT, value=0)
        self._cutoff_closed = False
        self._heater_duty = 0
        self._motor_duty = 0
        self._motor_level = 0

        # A stray 0x03 on the serial line must not raise KeyboardInterrupt in the loop.
        micropython.kbd_intr(-1)

    def _init_panel(self, led_gpios, button_gpios):
        """LEDs (active high, off) in ``leds()`` bit order: session, heat low, medium, high,
        massage, fault. Buttons (to GND, internal pull-ups): power, heat, massage."""
        self._leds = tuple(Pin(gpio, Pin.OUT, value=0) for gpio in led_gpios)
        self._led_mask = 0

        power, heat, massage = button_gpios
        self._btn_power = Pin(power, Pin.IN, Pin.PULL_UP)
        self._btn_heat = Pin(heat, Pin.IN, Pin.PULL_UP)
        self._btn_massage = Pin(massage, Pin.IN, Pin.PULL_UP)

    def _init_analog(self):
        """The board's analog inputs (its own module)."""
        raise NotImplementedError

    def _init_serial(self, stdin, stdout, poll):
        """The REPL's stdin/stdout (or the tests' streams), the watchdog slot, storage, ticks."""
        # Poll object registered once; one spare byte buffer so a read allocates nothing.
        self._stdin = stdin if stdin is not None else sys.stdin.buffer
        self._stdout = stdout if stdout is not None else sys.stdout.buffer
        self._poll = poll if poll is not None else select.poll()
        self._poll.register(self._stdin, select.POLLIN)
        self._byte = bytearray(1)
        # Writable check before each write (the tests' stand-in stdout is always writable).
        self._out_poll = None
        self._cut = False  # the last line was written only in part
        if stdout is None:
            self._out_poll = select.poll()
            self._out_poll.register(self._stdout, select.POLLOUT)

        self._wdt = None
        self.storage = DirStorage("/data")

        # Plain functions as instance attributes: calling them binds nothing.
        self.ticks_ms = time.ticks_ms
        self.ticks_diff = time.ticks_diff
        self.ticks_add = time.ticks_add
        self.sleep_ms = time.sleep_ms

    # ---- outputs -----------------------------------------------------------------------
    def heater_pwm(self, permille):
        duty = _duty_u16(permille)
        if duty != self._heater_duty:
            self._heater.duty_u16(duty)
            self._heater_duty = duty

    def heater_enable(self, on):
        if bool(on) != self._cutoff_closed:
            self._cutoff.value(1 if on else 0)
            self._cutoff_closed = bool(on)

    def motor(self, permille, direction):
        duty = _duty_u16(permille)
        level = 1 if direction > 0 else 0
        if level != self._motor_level:
            # Never flip the phase with the bridge driving: stop, flip, then drive again.
            if self._motor_duty:
                self._motor.duty_u16(0)
                self._motor_duty = 0
            self._motor_dir.value(level)
            self._motor_level = level
        if duty != self._motor_duty:
            self._motor.duty_u16(duty)
            self._motor_duty = duty

    def leds(self, mask):
        mask &= 0x3F
        changed = mask ^ self._led_mask
        if not changed:
            return
        self._led_mask = mask
        bit = 1
        for led in self._leds:
            if changed & bit:
                led.value(1 if mask & bit else 0)
            bit <<= 1

    def outputs_off(self):
        """Heater MOSFET, cut-off and motor off (the HAL's one "outputs off")."""
        # Unconditional writes: do not trust the cached state here.
        self._heater.duty_u16(0)
        self._cutoff.value(0)
        self._motor.duty_u16(0)
        self._heater_duty = 0
        self._cutoff_closed = False
        self._motor_duty = 0

    # ---- inputs ------------------------------------------------------------------------
    def buttons(self):
        mask = 0
        if not self._btn_power.value():
            mask |= 1
        if not self._btn_heat.value():
            mask |= 2
        if not self._btn_massage.value():
            mask |= 4
        return mask

    # ---- serial ------------------------------------------------------------------------
    def serial_readinto(self, buf):
        # stdin.buffer.read(n) blocks until n bytes came, so: one byte per "readable" poll.
        # ipoll() hands back the poll object itself as the iterator and reuses one result
        # tuple: nothing is allocated (poll() would build a list on every call).
        n = 0
        size = len(buf)
        while n < size:
            for _ in self._poll.ipoll(0):
                break
            else:
                return n  # nothing waiting
            # MicroPython's stdin.buffer has readinto; typeshed's BinaryIO does not.
            if not self._stdin.readinto(self._byte):  # pyright: ignore[reportAttributeAccessIssue]
                return n  # end of stream (tests; never on the board)
            buf[n] = self._byte[0]
            n += 1
        return n

    def serial_write(self, data):
        # Never block the tick (SR-2): with a host that has the port open but does not read,
        # a USB CDC write waits up to 500 ms per 64-byte chunk (MicroPython's TX timeout).
        # Write only while the port takes bytes now; otherwise drop the whole line (False:
        # the console counts it in `tx_dropped`).
        if self._out_poll is not None:
            for _ in self._out_poll.ipoll(0):
                break
            else:
                return False
        if self._cut:
            # the last line went out in part: end it, so that this one arrives whole
            if self._stdout.write(b"\n") != 1:
                return False
            self._cut = False
        n = self._stdout.write(data)
        if n is not None and n < len(data):
            self._cut = True  # room for only part of it: the write timed out (MicroPython)
            return False
        return True

    # ---- watchdog and reset ------------------------------------------------------------
    def wdt_start(self, timeout_ms):
        """Start the watchdog (1..8388 ms on the RP2040). It can never be stopped.

        Only the first call creates it; later calls just feed it.
        """
        if self._wdt is None:
            if timeout_ms < 1:
                raise ValueError("watchdog timeout")  # 0 would reboot at once
            self._wdt = machine.WDT(timeout=timeout_ms)
        else:
            self._wdt.feed()

    def wdt_feed(self):
        if self._wdt is not None:
            self._wdt.feed()

    def reset(self):
        machine.reset()

    def enter_service(self):
        """Hand the port to the REPL: outputs off (again) and Ctrl-C back on.

        The caller then returns from main.py so the REPL (and mpremote) get the port.
        """
        self.outputs_off()
        micropython.kbd_intr(3)
