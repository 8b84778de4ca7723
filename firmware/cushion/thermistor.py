"""ADC counts to pad temperature for a 10 k B3950 NTC on the low side of a 10 k divider.

The beta equation needs a logarithm; a 129-point table over the 12-bit range, one point
every 32 counts, plus linear interpolation is exact to 0.02 C between 0 and 60 C and never
touches a float. Generated from 1/T = 1/298.15 + ln(R/10k)/3950.
"""

from micropython import const

from cushion import limits
from cushion.names import SENSOR_OPEN, SENSOR_SHORT

_SHIFT = const(5)  # 32 counts per table step
_MASK = const(31)

# centi-degrees C at 12-bit counts 0, 32, 64, ... 4096 (ends clamped to 1 and 4094 counts)
_TABLE = (
    52789, 19684, 16065, 14181, 12931, 12005, 11273, 10670, 10159, 9716,
    9325, 8976, 8660, 8371, 8106, 7861, 7632, 7418, 7217, 7028,
    6848, 6677, 6514, 6359, 6210, 6067, 5929, 5796, 5668, 5545,
    5425, 5308, 5195, 5085, 4978, 4874, 4772, 4672, 4575, 4479,
    4386, 4294, 4204, 4116, 4029, 3943, 3859, 3776, 3695, 3614,
    3535, 3456, 3378, 3301, 3225, 3150, 3075, 3002, 2928, 2856,
    2783, 2712, 2640, 2569, 2499, 2429, 2359, 2289, 2220, 2151,
    2082, 2013, 1944, 1875, 1806, 1737, 1668, 1600, 1530, 1461,
    1392, 1322, 1252, 1182, 1111, 1040, 968, 896, 824, 750,
    677, 602, 526, 450, 373, 294, 215, 134, 53, -31,
    -116, -202, -291, -381, -473, -568, -666, -766, -869, -976,
    -1087, -1202, -1322, -1447, -1578, -1717, -1863, -2020, -2187, -2368,
    -2566, -2785, -3031, -3314, -3648, -4064, -4623, -5521, -8999,
)


def to_c100(c12):
    """12-bit counts to centi-degrees C by table interpolation."""
    if c12 < 0:
        c12 = 0
    elif c12 > 4095:
        c12 = 4095
    i = c12 >> _SHIFT
    lo = _TABLE[i]
    return lo + (((_TABLE[i + 1] - lo) * (c12 & _MASK)) >> _SHIFT)


def window_fault(c12):
    """SR-3's plausible window, the one place it is checked: None inside it, else the fault
    code (SENSOR_OPEN above it, SENSOR_SHORT below). Outside the window the temperature is
    meaningless: safety latches the fault, and control and dose do not trust the sensor."""
    if c12 > limits.SENSOR_OPEN_COUNTS:
        return SENSOR_OPEN
    if c12 < limits.SENSOR_SHORT_COUNTS:
        return SENSOR_SHORT
    return None


def hotter_c100(hal):
    """The hotter pad sensor, sampled now through the HAL (SR-2's confirming second sample)."""
    a = to_c100(hal.read_temp(0) >> 4)
    b = to_c100(hal.read_temp(1) >> 4)
    return a if a > b else b
