"""The 4-way analog switch in front of one ADC input (docs/hardware.md, "Analog front end").

Both boards read the power stage's four analog signals through one switch (e.g. a
74HC4052 half, or a TMUX1204): two select lines, bit 0 and bit 1, pick the source. Each source
has its RC filter capacitor on its own side of the switch, so a switch only has to charge the
ADC pin and the switch capacitance (tens of pF from about 8 k): well under a microsecond. The
settle time waits far longer than that before the conversion.

The firmware reads the four sources in one order every tick (cushion/readings.py). Right
after each conversion the switch moves on to the next source in that order, so it settles
while the caller converts the reading it got; a read then waits only for what is left of
the settle time. A read of any other source moves the switch first and waits the whole
settle time, so the order is a matter of speed, never of correctness. The order is a Gray
code: one select line changes per move.
"""

import time

from machine import Pin
from micropython import const

SOURCE_VIN = const(0)  # supply divider (47 k / 10 k)
SOURCE_MOTOR_CURRENT = const(1)  # motor shunt amplifier
SOURCE_HEATER_CURRENT = const(2)  # heater low-side shunt amplifier
SOURCE_REF = const(3)  # fixed reference (LM4040-2.0)

# The source read after each one: supply, motor current, reference, heater current, supply.
_NEXT = (SOURCE_MOTOR_CURRENT, SOURCE_REF, SOURCE_VIN, SOURCE_HEATER_CURRENT)


class AnalogSwitch:
    """The switch's select lines on ``select0_gpio`` (bit 0) and ``select1_gpio`` (bit 1),
    in front of ``adc`` (read_u16 scale); starts at the supply divider."""

    def __init__(self, adc, select0_gpio, select1_gpio, settle_us):
        self._adc = adc
        self._select0 = Pin(select0_gpio, Pin.OUT, value=0)
        self._select1 = Pin(select1_gpio, Pin.OUT, value=0)
        self._selected = SOURCE_VIN
        self._settle_us = settle_us
        self._moved_us = time.ticks_us()
        self.delay_us = time.sleep_us  # a board may give one that a stopped TIMER cannot hold

    def read(self, source):
        """``source``'s (SOURCE_*) reading, settled; then the switch moves on."""
        if source != self._selected:
            self._route(source)
        # A stopped TIMER stops ticks_us too: then nothing seems to have passed, and the
        # board's delay_us, bounded without the TIMER, waits the whole settle time.
        left = self._settle_us - time.ticks_diff(time.ticks_us(), self._moved_us)
        if left > 0:
            self.delay_us(left)
        value = self._adc.read_u16()
        self._route(_NEXT[source])
        return value

    def _route(self, source):
        """Write only the select lines that change, and note when."""
        changed = source ^ self._selected
        if changed & 1:
            self._select0.value(source & 1)
        if changed & 2:
            self._select1.value(source >> 1)
        self._selected = source
        self._moved_us = time.ticks_us()
