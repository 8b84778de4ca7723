"""Raspberry Pi Pico (RP2040): the pin map and the HAL of docs/hardware.md on ``machine``.

Power stage (the same on every board): the heater MOSFET gate and the H-bridge enable have
external pull-down resistors, so they are off while the chip is in reset and until
``Board()`` drives them; RP2040 pads also come out of reset as inputs with pull-downs.

PWM on the RP2040: GPIO 2n and 2n+1 are channels A and B of slice (n & 7) and share one
frequency. The heater (500 Hz) and the motor (20 kHz) therefore sit on different slices, and
the other channel of each of those slices is left unused or used as a plain GPIO, never as
PWM at another frequency.

ADC: only GP26..GP28 (ADC0..ADC2) reach the header; GP29/ADC3 measures VSYS/3 on the Pico
board. Thermistors A and B get ADC0 and ADC1. The supply divider and the motor current
amplifier share ADC2 through an SPDT analog switch (e.g. 74LVC1G3157) whose select input is
ANALOG_SELECT_PIN. Each source has its RC filter capacitor on its own side of the switch, so
a switch only has to charge the ADC pin and switch capacitance (tens of pF from about 8 k):
well under a microsecond. MUX_SETTLE_US waits far longer than that before the conversion.
The switch is moved only when the other source is asked for.
"""

import select
import sys
import time

import machine
import micropython
from machine import ADC, PWM, Pin
from micropython import const

from boards.storage import DirStorage

# ---- pin map (GPIO numbers) ------------------------------------------------------------
# Power outputs: driven off first thing in Board().
HEATER_CUTOFF_PIN = const(4)  # cut-off switch in series with the element; high = closed
HEATER_PWM_PIN = const(2)  # heater MOSFET gate: PWM slice 1 A (GP3 = 1 B stays unused)
MOTOR_PWM_PIN = const(6)  # H-bridge EN (phase/enable driver): PWM slice 3 A
MOTOR_DIR_PIN = const(7)  # H-bridge PH, plain GPIO (not PWM): high = +1 (forward)

# Buttons to GND, internal pull-ups (active low).
BUTTON_POWER_PIN = const(10)
BUTTON_HEAT_PIN = const(11)
BUTTON_MASSAGE_PIN = const(12)

# LEDs, active high. GP25 is the Pico's onboard LED (not on a Pico W: that one is on the
# wireless chip).
LED_SESSION_PIN = const(25)
LED_HEAT_LOW_PIN = const(16)
LED_HEAT_MEDIUM_PIN = const(17)
LED_HEAT_HIGH_PIN = const(18)
LED_MASSAGE_PIN = const(19)
LED_FAULT_PIN = const(20)

# Analog inputs.
THERM_A_PIN = const(26)  # ADC0, pad sensor A
THERM_B_PIN = const(27)  # ADC1, pad sensor B
ANALOG_SHARED_PIN = const(28)  # ADC2: supply divider or motor current, per the switch
ANALOG_SELECT_PIN = const(13)  # analog switch select: 0 = supply divider, 1 = motor current

# ---- timing ----------------------------------------------------------------------------
HEATER_PWM_HZ = const(500)  # resistive load: slow gate edges are fine, switching loss small
MOTOR_PWM_HZ = const(20_000)  # above hearing: no motor whine
MUX_SETTLE_US = const(50)  # after moving the analog switch, before converting

_SELECT_VIN = const(0)
_SELECT_MOTOR_CURRENT = const(1)

# machine.reset() on rp2 is a reboot forced through the watchdog, so machine.reset_cause()
# reports WDT_RESET for it too. The watchdog REASON register tells them apart: bit 0 TIMER
# (it timed out), bit 1 FORCE (a requested reboot). Address for the RP2040 (a Pico 2 /
# RP2350 has its watchdog at 0x400D8000).
WATCHDOG_REASON_ADDR = const(0x40058008)
_REASON_FORCE = const(2)


def _duty_u16(permille):
    """Per-mille duty, clamped to 0..1000, as a duty_u16 value (never above 65535)."""
    if permille <= 0:
        return 0
    if permille >= 1000:
        return 65535
    return permille * 65535 // 1000


class Board:
    """The HAL for one Pico. ``stdin``/``stdout``/``poll`` are for tests only."""

    name = "pico"

    def __init__(self, stdin=None, stdout=None, poll=None):
        # SR-1 boot safe: the power outputs go off before anything else can fail.
        self._cutoff = Pin(HEATER_CUTOFF_PIN, Pin.OUT, value=0)
        self._heater = PWM(Pin(HEATER_PWM_PIN, Pin.OUT, value=0), freq=HEATER_PWM_HZ, duty_u16=0)
        self._motor = PWM(Pin(MOTOR_PWM_PIN, Pin.OUT, value=0), freq=MOTOR_PWM_HZ, duty_u16=0)
        self._motor_dir = Pin(MOTOR_DIR_PIN, Pin.OUT, value=0)
        self._cutoff_closed = False
        self._heater_duty = 0
        self._motor_duty = 0
        self._motor_level = 0

        # A stray 0x03 on the serial line must not raise KeyboardInterrupt in the loop.
        micropython.kbd_intr(-1)

        self._leds = (
            Pin(LED_SESSION_PIN, Pin.OUT, value=0),
            Pin(LED_HEAT_LOW_PIN, Pin.OUT, value=0),
            Pin(LED_HEAT_MEDIUM_PIN, Pin.OUT, value=0),
            Pin(LED_HEAT_HIGH_PIN, Pin.OUT, value=0),
            Pin(LED_MASSAGE_PIN, Pin.OUT, value=0),
            Pin(LED_FAULT_PIN, Pin.OUT, value=0),
        )
        self._led_mask = 0

        self._btn_power = Pin(BUTTON_POWER_PIN, Pin.IN, Pin.PULL_UP)
        self._btn_heat = Pin(BUTTON_HEAT_PIN, Pin.IN, Pin.PULL_UP)
        self._btn_massage = Pin(BUTTON_MASSAGE_PIN, Pin.IN, Pin.PULL_UP)

        self._therms = (ADC(THERM_A_PIN), ADC(THERM_B_PIN))
        self._analog = ADC(ANALOG_SHARED_PIN)
        self._select = Pin(ANALOG_SELECT_PIN, Pin.OUT, value=_SELECT_VIN)
        self._selected = _SELECT_VIN

        # USB CDC serial is the REPL's stdin/stdout. Poll object registered once; one spare
        # byte buffer so a read allocates nothing.
        self._stdin = stdin if stdin is not None else sys.stdin.buffer
        self._stdout = stdout if stdout is not None else sys.stdout.buffer
        self._poll = poll if poll is not None else select.poll()
        self._poll.register(self._stdin, select.POLLIN)
        self._byte = bytearray(1)

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

    def _outputs_off(self):
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

    def _select_source(self, source):
        if source != self._selected:
            self._select.value(source)
            self._selected = source
            time.sleep_us(MUX_SETTLE_US)

    def read_vin(self):
        self._select_source(_SELECT_VIN)
        return self._analog.read_u16()

    def read_motor_current(self):
        self._select_source(_SELECT_MOTOR_CURRENT)
        return self._analog.read_u16()

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
        # USB CDC: a host that has the port open but does not read makes this wait up to
        # 500 ms per 64-byte chunk (MicroPython's CDC TX timeout), then drop the rest.
        self._stdout.write(data)

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

    def reset_cause(self):
        """"power_on", "watchdog", "soft" (machine.reset(), mpremote reset) or "unknown".

        rp2 knows only PWRON_RESET (power, RUN pin) and WDT_RESET; a soft reboot (Ctrl-D)
        resets no hardware and keeps reporting the last hard reset's cause.
        """
        cause = machine.reset_cause()
        if cause == machine.PWRON_RESET:
            return "power_on"
        if cause == machine.WDT_RESET:
            if machine.mem32[WATCHDOG_REASON_ADDR] & _REASON_FORCE:
                return "soft"
            return "watchdog"
        return "unknown"

    def reset(self):
        machine.reset()

    def enter_service(self):
        """Hand the port to the REPL: outputs off (again) and Ctrl-C back on.

        The caller then returns from main.py so the REPL (and mpremote) get the port.
        """
        self._outputs_off()
        micropython.kbd_intr(3)
