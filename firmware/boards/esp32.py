"""ESP32 DevKitC (ESP32-WROOM/WROVER): the pin map and the HAL of docs/hardware.md.

Pins avoided: 0, 2, 5, 12, 15 (boot strapping), 6..11 (SPI flash), 1 and 3 (UART0: the REPL
through the USB bridge), 16 and 17 (PSRAM on WROVER modules). GPIO 14 drives a signal at
boot, so it is only a button input here. 34..39 are input-only and have no pull-ups: ADC only.

Power stage (the same on every board): the heater MOSFET gate, the cut-off driver and the
H-bridge enable have external pull-down resistors; ESP32 pads float while in reset.

ADC: only ADC1 (GPIO 32..39): ADC2 cannot be read while WiFi runs. Four ADC1 inputs are
free, so every signal has its own (no analog switch, unlike the Pico). ATTN_11DB gives a
span up to about 3.1 V. The ESP32 ADC is not ratiometric to the 3.3 V rail and its raw
counts are not linear, so each reading is taken as calibrated microvolts (``read_uv``) and
scaled to the ``read_u16`` counts of an ideal 3.3 V ADC, the scale docs/hardware.md and the
firmware use. Above SATURATION_UV the converter is at its ceiling and the true voltage is
unknown: the reading is reported as full scale, i.e. an open thermistor still reads "open"
(and supply and motor current read high, the safe side).

PWM: LEDC; each frequency gets its own timer, so heater and motor never share one.
"""

# pyright: reportAttributeAccessIssue=false
# (firmware/ is type-checked against the rp2 stubs, whose ADC has no ESP32 read_uv.)

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
HEATER_CUTOFF_PIN = const(26)  # cut-off switch in series with the element; high = closed
HEATER_PWM_PIN = const(25)  # heater MOSFET gate, LEDC PWM
MOTOR_PWM_PIN = const(27)  # H-bridge EN (phase/enable driver), LEDC PWM
MOTOR_DIR_PIN = const(33)  # H-bridge PH, plain GPIO: high = +1 (forward)

# Buttons to GND, internal pull-ups (active low).
BUTTON_POWER_PIN = const(4)
BUTTON_HEAT_PIN = const(13)
BUTTON_MASSAGE_PIN = const(14)

# LEDs, active high (the DevKitC has no user LED).
LED_SESSION_PIN = const(18)
LED_HEAT_LOW_PIN = const(19)
LED_HEAT_MEDIUM_PIN = const(21)
LED_HEAT_HIGH_PIN = const(22)
LED_MASSAGE_PIN = const(23)
LED_FAULT_PIN = const(32)

# Analog inputs, all on ADC1.
THERM_A_PIN = const(36)  # SENSOR_VP, ADC1 channel 0, pad sensor A
THERM_B_PIN = const(39)  # SENSOR_VN, ADC1 channel 3, pad sensor B
VIN_PIN = const(34)  # ADC1 channel 6, supply divider
MOTOR_CURRENT_PIN = const(35)  # ADC1 channel 7, motor shunt amplifier

# ---- timing and scaling ----------------------------------------------------------------
HEATER_PWM_HZ = const(500)  # resistive load: slow gate edges are fine, switching loss small
MOTOR_PWM_HZ = const(20_000)  # above hearing; LEDC still has 11 bits of duty there
SATURATION_UV = const(3_100_000)  # ATTN_11DB ceiling (datasheet: about 3.1 V)


def _duty_u16(permille):
    """Per-mille duty, clamped to 0..1000, as a duty_u16 value (never above 65535)."""
    if permille <= 0:
        return 0
    if permille >= 1000:
        return 65535
    return permille * 65535 // 1000


def _uv_to_u16(uv):
    """Microvolts -> read_u16 counts of a 3.3 V ADC, in small ints (no bignum)."""
    if uv >= SATURATION_UV:
        return 65535
    if uv <= 0:
        return 0
    # = uv * 65535 // 3_300_000 within a count, reduced (65535/3300000 = 13107/660000) so
    # every intermediate stays a small int (under 2**30): no bignum on the heap.
    return (uv // 50) * 13107 // 13200


def _adc(gpio):
    adc = ADC(Pin(gpio))
    adc.atten(ADC.ATTN_11DB)
    return adc


class Board:
    """The HAL for one ESP32 DevKitC. ``stdin``/``stdout``/``poll`` are for tests only."""

    name = "esp32"

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

        self._therms = (_adc(THERM_A_PIN), _adc(THERM_B_PIN))
        self._vin = _adc(VIN_PIN)
        self._motor_current = _adc(MOTOR_CURRENT_PIN)

        # UART0 through the USB bridge is the REPL's stdin/stdout. Poll object registered
        # once; one spare byte buffer so a read allocates nothing.
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
        return _uv_to_u16(self._therms[index].read_uv())

    def read_vin(self):
        return _uv_to_u16(self._vin.read_uv())

    def read_motor_current(self):
        return _uv_to_u16(self._motor_current.read_uv())

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
        self._stdout.write(data)

    # ---- watchdog and reset ------------------------------------------------------------
    def wdt_start(self, timeout_ms):
        """Start the watchdog. It can never be stopped.

        Only the first call creates it; later calls just feed it.
        """
        if self._wdt is None:
            if timeout_ms < 1:
                raise ValueError("watchdog timeout")
            self._wdt = machine.WDT(timeout=timeout_ms)
        else:
            self._wdt.feed()

    def wdt_feed(self):
        if self._wdt is not None:
            self._wdt.feed()

    def reset_cause(self):
        """"power_on", "watchdog", "soft" or "unknown".

        MicroPython's esp32 port (esp_reset_reason()): POWERON and BROWNOUT -> PWRON_RESET
        (the EN pin, i.e. the button or the USB bridge's auto-reset, also reads as power-on
        on the ESP32); the watchdogs -> WDT_RESET; esp_restart() (machine.reset(), mpremote
        reset) and a firmware panic -> HARD_RESET; a soft reboot (Ctrl-D) -> SOFT_RESET.
        "soft" here means a restart asked for by software, as on the Pico.
        """
        cause = machine.reset_cause()
        if cause == machine.PWRON_RESET:
            return "power_on"
        if cause == machine.WDT_RESET:
            return "watchdog"
        if cause == machine.HARD_RESET or cause == machine.SOFT_RESET:
            return "soft"
        return "unknown"  # DEEPSLEEP_RESET (never used) or unknown

    def reset(self):
        machine.reset()

    def enter_service(self):
        """Hand the port to the REPL: outputs off (again) and Ctrl-C back on.

        The caller then returns from main.py so the REPL (and mpremote) get the port.
        """
        self._outputs_off()
        micropython.kbd_intr(3)
