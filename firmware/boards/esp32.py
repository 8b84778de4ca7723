"""ESP32 DevKitC (ESP32-WROOM/WROVER): the pin map and the HAL of docs/hardware.md.

Pins avoided: 0, 2, 5, 12, 15 (boot strapping), 6..11 (SPI flash), 1 and 3 (UART0: the REPL
through the USB bridge), 16 and 17 (PSRAM on WROVER modules). GPIO 14 drives a signal at
boot, so it is only a button input here. 34..39 are input-only and have no pull-ups: ADC only.
The one exception: the analog switch's two select lines sit on strapping pins 2 and 15. A
select input is high-impedance CMOS, so the pins' own boot straps hold (GPIO 2 low, GPIO 15
high), and whatever they do during boot only picks which signal nobody is reading yet.

Power stage (the same on every board): the heater MOSFET gate, the cut-off driver and the
H-bridge enable have external pull-down resistors; ESP32 pads float while in reset.

ADC: only ADC1 (GPIO 32..39): ADC2 cannot be read while WiFi runs. The thermistors have
their own inputs; the supply, the motor current, the heater current and the reference share
one through the 4-way analog switch of boards/analog.py, as on the Pico. ATTN_11DB gives a
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

import machine
from machine import ADC, Pin
from micropython import const

from boards.base import MachineBoard

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
ANALOG_SHARED_PIN = const(34)  # ADC1 channel 6: the 4-way switch's output
ANALOG_SELECT_PIN = const(2)  # switch select bit 0 (a strapping pin: see above)
ANALOG_SELECT1_PIN = const(15)  # switch select bit 1 (sources: boards/analog.py)

# ---- timing and scaling ----------------------------------------------------------------
HEATER_PWM_HZ = const(500)  # resistive load: slow gate edges are fine, switching loss small
MOTOR_PWM_HZ = const(20_000)  # above hearing; LEDC still has 11 bits of duty there
SATURATION_UV = const(3_100_000)  # ATTN_11DB ceiling (datasheet: about 3.1 V)
# After moving the analog switch, before converting: the switch charges the ADC pin and its
# own tens of pF through at most ~8 k (0.4 us a time constant), so 10 us is 25 of them.
MUX_SETTLE_US = const(10)


def _uv_to_u16(uv):
    """Microvolts -> read_u16 counts of a 3.3 V ADC, in small ints (no bignum)."""
    if uv >= SATURATION_UV:
        return 65535
    if uv <= 0:
        return 0
    # = uv * 65535 // 3_300_000 within a count, reduced (65535/3300000 = 13107/660000) so
    # every intermediate stays a small int (under 2**30): no bignum on the heap.
    return (uv // 50) * 13107 // 13200


class CalibratedADC:
    """An ADC1 input at ATTN_11DB whose ``read_u16`` is calibrated microvolts scaled to the
    counts of an ideal 3.3 V ADC (the ESP32's own read_u16 is raw and not linear)."""

    def __init__(self, gpio):
        self._adc = ADC(Pin(gpio))
        self._adc.atten(ADC.ATTN_11DB)

    def read_u16(self):
        return _uv_to_u16(self._adc.read_uv())


class Board(MachineBoard):
    """The HAL for one ESP32 DevKitC; UART0 through the USB bridge is the REPL's
    stdin/stdout."""

    name = "esp32"
    pin_map = globals()  # the pin map above, by name (boards/base.py)
    adc_type = CalibratedADC

    # ---- reset cause ----------------------------------------------------------------
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
