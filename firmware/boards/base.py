"""What every board HAL built on ``machine`` does the same way (docs/hardware.md).

``MachineBoard`` holds the power stage, the LEDs and buttons, the analog inputs (two
thermistors, and four signals behind the 4-way switch of boards/analog.py), the serial port
on the REPL's stdin/stdout, the watchdog, storage and the ticks. A board module
(``boards.pico``, ``boards.esp32``) keeps its pin map as ``const()`` module globals, all
under the same names: the GPIOs HEATER_CUTOFF_PIN, HEATER_PWM_PIN, MOTOR_PWM_PIN,
MOTOR_DIR_PIN, the LED_PIN_NAMES and BUTTON_PIN_NAMES below, THERM_A_PIN, THERM_B_PIN,
ANALOG_SHARED_PIN, ANALOG_SELECT_PIN, ANALOG_SELECT1_PIN, and HEATER_PWM_HZ, MOTOR_PWM_HZ,
MUX_SETTLE_US. Its ``Board`` derives from ``MachineBoard`` with ``name``, ``pin_map =
globals()`` (that table), ``reset_cause`` and, where machine.ADC's ``read_u16`` is not
the scale of an ideal 3.3 V ADC, its own ``adc_type``.
``MachineBoard.__init__`` builds it in this order:

    _init_power(...)   # first thing: the power outputs driven off (SR-1)
    _init_panel(...)   # LEDs off, buttons with pull-ups
    _init_analog(...)  # the thermistors' ADCs, the switched ADC and its switch
    _init_serial(stdin, stdout, poll)

Nothing here names a GPIO: each board's pin map is all in its own module.
"""

import select
import sys
import time

import machine
import micropython
from machine import ADC, PWM, Pin

from boards.analog import (
    SOURCE_HEATER_CURRENT, SOURCE_MOTOR_CURRENT, SOURCE_REF, SOURCE_VIN, AnalogSwitch,
)
from boards.storage import DirStorage

# The LEDs of a board's pin map in ``leds()`` bit order, its buttons in ``buttons()`` order.
LED_PIN_NAMES = ("LED_SESSION_PIN", "LED_HEAT_LOW_PIN", "LED_HEAT_MEDIUM_PIN",
                 "LED_HEAT_HIGH_PIN", "LED_MASSAGE_PIN", "LED_FAULT_PIN")
BUTTON_PIN_NAMES = ("BUTTON_POWER_PIN", "BUTTON_HEAT_PIN", "BUTTON_MASSAGE_PIN")


def _duty_u16(permille):
    """Per-mille duty, clamped to 0..1000, as a duty_u16 value (never above 65535)."""
    if permille <= 0:
        return 0
    if permille >= 1000:
        return 65535
    return permille * 65535 // 1000


class MachineBoard:
    """The shared part of a board HAL; a board module's ``Board`` derives from it.
    ``stdin``/``stdout``/``poll`` are for tests only."""

    name: str
    pin_map: dict  # the board module's globals(): its pin map by name (see above)
    # Its ADC on a GPIO, whose read_u16() gives counts of an ideal 3.3 V ADC (the firmware's
    # scale): machine.ADC where the port's read_u16 is that, else the board's own class.
    adc_type = ADC

    def __init__(self, stdin=None, stdout=None, poll=None):
        pin = self.pin_map
        # SR-1 boot safe: the power outputs go off before anything else can fail.
        self._init_power(pin["HEATER_CUTOFF_PIN"], pin["HEATER_PWM_PIN"], pin["HEATER_PWM_HZ"],
                         pin["MOTOR_PWM_PIN"], pin["MOTOR_PWM_HZ"], pin["MOTOR_DIR_PIN"])
        self._init_panel([pin[n] for n in LED_PIN_NAMES], [pin[n] for n in BUTTON_PIN_NAMES])
        self._init_analog(pin["THERM_A_PIN"], pin["THERM_B_PIN"], pin["ANALOG_SHARED_PIN"],
                          pin["ANALOG_SELECT_PIN"], pin["ANALOG_SELECT1_PIN"],
                          pin["MUX_SETTLE_US"])
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

    def _init_analog(self, therm_a_gpio, therm_b_gpio, shared_gpio, select0_gpio,
                     select1_gpio, settle_us):
        """The thermistors on their own ADCs; the supply, the currents and the reference on
        one ADC behind the 4-way switch."""
        adc = self.adc_type
        self._therms = (adc(therm_a_gpio), adc(therm_b_gpio))
        self._switch = AnalogSwitch(adc(shared_gpio), select0_gpio, select1_gpio, settle_us)

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
    def read_temp(self, index):
        return self._therms[index].read_u16()

    def read_vin(self):
        return self._switch.read(SOURCE_VIN)

    def read_motor_current(self):
        return self._switch.read(SOURCE_MOTOR_CURRENT)

    def read_heater_current(self):
        return self._switch.read(SOURCE_HEATER_CURRENT)

    def read_ref(self):
        return self._switch.read(SOURCE_REF)

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
