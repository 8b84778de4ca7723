"""The 4-way analog switch in front of one ADC input (docs/hardware.md, "Analog front end").

Both boards read the power stage's four analog signals through one switch (e.g. a
74HC4052 half, or a TMUX1204): two select lines, bit 0 and bit 1, pick the source. Each source
has its RC filter capacitor on its own side of the switch, so a switch only has to charge the
ADC pin and the switch capacitance (tens of pF from about 8 k): well under a microsecond. The
settle time waits far longer than that before the conversion. The switch is moved only when
another source is asked for, and only the select lines that change are written.
"""

import time

from machine import Pin
from micropython import const

SOURCE_VIN = const(0)  # supply divider (47 k / 10 k)
SOURCE_MOTOR_CURRENT = const(1)  # motor shunt amplifier
SOURCE_HEATER_CURRENT = const(2)  # heater low-side shunt amplifier
SOURCE_REF = const(3)  # fixed reference (LM4040-2.0)


class AnalogSwitch:
    """Select lines on ``select0_gpio`` (bit 0) and ``select1_gpio`` (bit 1); starts at the
    supply divider."""

    def __init__(self, select0_gpio, select1_gpio, settle_us):
        self._select0 = Pin(select0_gpio, Pin.OUT, value=0)
        self._select1 = Pin(select1_gpio, Pin.OUT, value=0)
        self._selected = SOURCE_VIN
        self._settle_us = settle_us
        self.delay_us = time.sleep_us  # a board may give one that a stopped TIMER cannot hold

    def select(self, source):
        """Route ``source`` (SOURCE_*) to the ADC and let it settle (no-op if it is there)."""
        changed = source ^ self._selected
        if not changed:
            return
        if changed & 1:
            self._select0.value(source & 1)
        if changed & 2:
            self._select1.value(source >> 1)
        self._selected = source
        self.delay_us(self._settle_us)
