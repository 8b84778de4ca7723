"""SR-18: the ADC checked against a fixed reference on every tick.

The pad sensors, the supply and the currents are all read against the ADC's reference
(the 3.3 V rail on the Pico); if it drifts, every reading moves with it and the sensors
read colder than the pad. The LM4040 on the 4-way switch's fourth input does not move:
read outside its window for REF_BAD_TICKS readings in a row, it latches `adc_fault`.
"""

from cushion import limits
from cushion.names import ADC_FAULT


class RefCheck:
    def __init__(self):
        self._bad = 0

    def check(self, ref_c12):
        d = ref_c12 - limits.REF_NOMINAL_COUNTS
        if -limits.REF_WINDOW_COUNTS <= d <= limits.REF_WINDOW_COUNTS:
            self._bad = 0
            return None
        self._bad += 1
        return ADC_FAULT if self._bad >= limits.REF_BAD_TICKS else None
