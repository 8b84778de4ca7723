"""Raspberry Pi Pico (RP2040): the pin map and the HAL of docs/hardware.md on ``machine``.

Power stage (the same on every board): the heater MOSFET gate and the H-bridge enable have
external pull-down resistors, so they are off while the chip is in reset and until
``Board()`` drives them; RP2040 pads also come out of reset as inputs with pull-downs.

PWM on the RP2040: GPIO 2n and 2n+1 are channels A and B of slice (n & 7) and share one
frequency. The heater (500 Hz) and the motor (20 kHz) therefore sit on different slices, and
the other channel of each of those slices is left unused or used as a plain GPIO, never as
PWM at another frequency.

ADC: only GP26..GP28 (ADC0..ADC2) reach the header; GP29/ADC3 measures VSYS/3 on the Pico
board. Thermistors A and B get ADC0 and ADC1. The supply divider, the motor current, the
heater current and the fixed reference share ADC2 through the 4-way analog switch of
boards/analog.py, selected by ANALOG_SELECT_PIN (bit 0) and ANALOG_SELECT1_PIN (bit 1).
"""

import machine
from micropython import const

from boards.base import MachineBoard

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
ANALOG_SHARED_PIN = const(28)  # ADC2: the 4-way switch's output
ANALOG_SELECT_PIN = const(13)  # switch select bit 0
ANALOG_SELECT1_PIN = const(14)  # switch select bit 1 (sources: boards/analog.py)

# ---- timing ----------------------------------------------------------------------------
HEATER_PWM_HZ = const(500)  # resistive load: slow gate edges are fine, switching loss small
MOTOR_PWM_HZ = const(20_000)  # above hearing: no motor whine
MUX_SETTLE_US = const(50)  # after moving the analog switch, before converting

# machine.reset() on rp2 is a reboot forced through the watchdog, so machine.reset_cause()
# reports WDT_RESET for it too. The watchdog REASON register tells them apart: bit 0 TIMER
# (it timed out), bit 1 FORCE (a requested reboot). Address for the RP2040 (a Pico 2 /
# RP2350 has its watchdog at 0x400D8000).
WATCHDOG_REASON_ADDR = const(0x40058008)
_REASON_FORCE = const(2)


class Board(MachineBoard):
    """The HAL for one Pico; USB CDC serial is the REPL's stdin/stdout."""

    name = "pico"
    pin_map = globals()  # the pin map above, by name (boards/base.py)

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
