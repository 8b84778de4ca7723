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

import time

import machine
from machine import ADC, Pin
from micropython import const

from boards.base import MachineBoard, Pins

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



class Board(MachineBoard):
    """The HAL for one Pico; USB CDC serial is the REPL's stdin/stdout."""

    name = "pico"
    pins = Pins(
        HEATER_CUTOFF_PIN, HEATER_PWM_PIN, HEATER_PWM_HZ, MOTOR_PWM_PIN, MOTOR_PWM_HZ,
        MOTOR_DIR_PIN,
        (LED_SESSION_PIN, LED_HEAT_LOW_PIN, LED_HEAT_MEDIUM_PIN, LED_HEAT_HIGH_PIN,
         LED_MASSAGE_PIN, LED_FAULT_PIN),
        (BUTTON_POWER_PIN, BUTTON_HEAT_PIN, BUTTON_MASSAGE_PIN),
    )

    def _init_analog(self):
        self._therms = (ADC(THERM_A_PIN), ADC(THERM_B_PIN))
        self._analog = ADC(ANALOG_SHARED_PIN)
        self._select = Pin(ANALOG_SELECT_PIN, Pin.OUT, value=_SELECT_VIN)
        self._selected = _SELECT_VIN

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

    # ---- reset cause ----------------------------------------------------------------
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
