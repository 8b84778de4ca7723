"""One tick's inputs, read once through the HAL and converted to integers (DESIGN section 3).

The controller owns one Readings object and refills it at the start of every tick; the
supervisor, the session, the dose, the heat loop and the console all read the same values,
so nothing in a tick reads the hardware twice or converts a count two ways.
"""

from cushion import limits, thermistor


class Readings:
    """Both pad sensors (12-bit counts, centi-degrees, SR-3 window fault), the supply (mV),
    the motor and heater currents (mA), the reference (12-bit counts, SR-18) and the raw
    button mask. Preallocated: update() makes nothing."""

    def __init__(self):
        self.c12a = self.c12b = 2048
        self.ta = self.tb = 2500
        self.fault_a = self.fault_b = None  # None, or the sensor's SR-3 fault code
        self.hot = 2500
        self.vin_mv = 12000
        self.motor_ma = 0
        self.heater_ma = 0
        self.ref_c12 = limits.REF_NOMINAL_COUNTS
        self.buttons = 0

    def update(self, hal):
        c = hal.read_temp(0) >> 4
        self.c12a = c
        self.ta = thermistor.to_c100(c)
        self.fault_a = thermistor.window_fault(c)
        c = hal.read_temp(1) >> 4
        self.c12b = c
        self.tb = thermistor.to_c100(c)
        self.fault_b = thermistor.window_fault(c)
        # In the order a board's analog switch moves through (boards/analog.py).
        self.vin_mv = (hal.read_vin() >> 4) * limits.VIN_FULL_SCALE_MV // 4095
        self.motor_ma = (hal.read_motor_current() >> 4) * limits.MOTOR_FULL_SCALE_MA // 4095
        self.ref_c12 = hal.read_ref() >> 4
        self.heater_ma = (hal.read_heater_current() >> 4) * limits.HEATER_FULL_SCALE_MA // 4095
        self.buttons = hal.buttons()
        # What control and dose act on: the hotter sensor, as a sensor reading low is never
        # trusted. A sensor outside the plausible window says nothing about the pad (the
        # supervisor latches a fault for it), so the other one stands in.
        if self.fault_a is None:
            hot = self.ta
            if self.fault_b is None and self.tb > hot:
                hot = self.tb
        elif self.fault_b is None:
            hot = self.tb
        else:
            hot = 0
        self.hot = hot
