# The heater's power stage: the 12 V adapter (source resistance and current limit), the
# thermal cut-out (when fitted), the cut-off switch and the PWM MOSFET in series with the
# element, and the low-side shunt that measures the element current (docs/hardware.md, "The
# power stage").
#
# Current flows only while both switches conduct and the cut-out is closed. The element's
# resistance follows its temperature (r_element_tc) and a degraded element's is higher.
# MicroPython-safe like physics.py: + - * / on floats (and one sqrt, for a leak).
#
# A mixin of physics.Cushion rather than an object of its own: the fault injector and the
# tests set and read these attributes on the cushion (`cushion.heater_open = True`), and in
# MicroPython a property forwarding them would slow every attribute access of the class.

import math

SUPPLY_NOMINAL_V = 12.0


class PowerStage:
    """Mean element power, element current and terminal voltage over one step."""

    def _init_power(self, supply_v):
        self.supply_v = supply_v
        # faults
        self.heater_open = False          # element (or its wiring) open
        self.heater_stuck_on = False      # MOSFET shorted: conducts all the time
        self.mosfet_leak = 0.0            # MOSFET partly shorted: this fraction of full power
        self.cutoff_stuck_closed = False  # cut-off contacts welded
        self.cutoff_stuck_open = False    # cut-off never closes
        self.cutout_open = False  # the thermal cut-out has opened (physics.Cushion switches it)
        self.heater_degraded = 0.0        # element resistance up by this fraction
        # last step's outputs
        self.heater_duty_delivered = 0.0  # fraction of full power the element got
        self.heater_power_w = 0.0
        self.heater_current_a = 0.0  # mean element current (what the shunt amplifier reads)
        self.vin_v = supply_v        # terminal voltage (what the filtered divider sees)

    def _power_params(self, p):
        self._r20 = p.r_element_ohm / p.power_scale
        self._tc = p.r_element_tc
        self._rs = p.r_supply_ohm
        self._limit_a = p.supply_limit_a

    def element_ohm(self, element_c):
        r = self._r20 * (1.0 + self.heater_degraded)
        if self._tc:
            r = r * (1.0 + self._tc * (element_c - 20.0))
        return r

    def full_power_w(self, motor_current_a=0.0, element_c=20.0):
        """The element's power with both switches conducting (no current limit)."""
        r = self.element_ohm(element_c)
        i = (self.supply_v - self._rs * motor_current_a) / (r + self._rs)
        return i * i * r

    def _heater_step(self, duty, enabled, motor_current_a, element_c):
        """One step with the MOSFET at `duty` (0..1), the cut-off `enabled`, the motors
        drawing motor_current_a; returns the element's mean power (W)."""
        rs = self._rs
        v_off = self.supply_v - rs * motor_current_a  # terminal voltage, heater off
        if v_off < 0.0:
            v_off = 0.0
        closed = enabled
        if self.cutoff_stuck_closed:
            closed = True
        elif self.cutoff_stuck_open:
            closed = False
        if self.heater_open or not closed or self.cutout_open:
            self.heater_duty_delivered = 0.0
            self.heater_power_w = 0.0
            self.heater_current_a = 0.0
            self.vin_v = v_off
            return 0.0
        if self.heater_stuck_on or duty >= 1.0:
            f = 1.0
        elif duty <= 0.0:
            f = 0.0
        else:
            f = duty
        pf = f  # fraction of full power
        cf = f  # fraction of full current
        leak = self.mosfet_leak
        if leak and f < 1.0:
            # While the MOSFET is off the partial short passes sqrt(leak) of the current,
            # which is `leak` of the power.
            pf = f + (1.0 - f) * leak
            cf = f + (1.0 - f) * math.sqrt(leak)
        r = self._r20
        if self.heater_degraded or self._tc:
            r = self.element_ohm(element_c)
        i_on = v_off / (r + rs)
        v_on = v_off - rs * i_on
        if i_on + motor_current_a > self._limit_a:
            # the adapter holds its limit: its output voltage folds back
            i_on = self._limit_a - motor_current_a
            if i_on < 0.0:
                i_on = 0.0
            v_on = i_on * r
        pw = pf * i_on * i_on * r
        self.heater_duty_delivered = pf
        self.heater_power_w = pw
        self.heater_current_a = cf * i_on
        self.vin_v = v_off + cf * (v_on - v_off)
        return pw
